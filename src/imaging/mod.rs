//! Reading volumes from disk and checking that an image and its mask share one grid.
//!
//! Everything here returns [`Volume`]s in LPS world coordinates, the convention of ITK, SimpleITK and
//! therefore PyRadiomics, so geometry and features line up with the reference tools.

pub mod archive;
pub mod dicom;
mod error;
mod lines;
mod mask;
mod mask_file;
mod nifti;
mod nrrd;
mod read;
mod resample;
mod samples;
mod volume;

pub use error::ImagingError;
pub use lines::map_lines_along;
pub use mask::{LabelExtent, bounding_box, bounding_box_where, check_same_grid, label_region};
pub use mask_file::{
    CaseRegion, CaseVolumes, MaskPart, MaskSelection, OpenedMask, open_mask, read_case, read_case_region,
    read_case_volumes, read_mask,
};
pub use nifti::{NiftiDatatype, write_nifti_gz};
pub use read::{
    ImageInput, OpenedImage, Voxel, is_dicom_input, open_image, read_image, read_image_any, read_image_geometry,
    read_image_region, read_image_volume, read_label_extent, read_labels, read_labels_region,
};
pub use resample::{
    Interpolator, OutputCast, check_region_inside, nearest_support, resample_image, resample_labels,
    resample_mask_onto, resampling_support, roi_resampling_grid,
};
pub use volume::{BlockPlacement, Geometry, PixelType, Volume};
