//! Reading a mask of any supported kind onto an image's grid: a NIfTI/NRRD label volume, a DICOM
//! SEG or a DICOM RTSTRUCT, told apart by content.

use std::ops::Range;
use std::path::Path;

use super::archive::ZipLimits;
use super::dicom::{self, SeriesIdentity, SeriesSelection};
use super::{Geometry, ImagingError, Volume, open_image, read_labels};

/// The image and mask of one case, as `extract`, a batch row and a cohort row read them: the image of
/// any kind ([`read_image_any`]) and the mask placed on its grid ([`read_mask`]); errors name the paths.
pub fn read_case(
    image: &Path,
    mask: &Path,
    series: &SeriesSelection,
    select: &MaskSelection,
    limits: &ZipLimits,
) -> Result<(Volume<f64>, Volume<i32>), ImagingError> {
    read_case_region(image, mask, series, select, limits, |_, _| None)
}

/// [`read_case`] holding only the block of voxels `region_of(image grid, mask)` asks for, image and
/// mask cropped alike (`None`: all of them). The image's headers are read first, then the mask,
/// then only the block of the image: a NIfTI/NRRD file keeps only the block while it is decoded
/// ([`read_image_region`](super::read_image_region)), a DICOM series decodes only the block's slices.
pub fn read_case_region(
    image: &Path,
    mask: &Path,
    series: &SeriesSelection,
    select: &MaskSelection,
    limits: &ZipLimits,
    region_of: impl FnOnce(&Geometry, &Volume<i32>) -> Option<[Range<usize>; 3]>,
) -> Result<(Volume<f64>, Volume<i32>), ImagingError> {
    let opened = open_image(image, series, limits)?;
    let mask = read_mask(
        opened.geometry(),
        opened.series(),
        mask,
        &mask.display().to_string(),
        select,
    )?;
    let region = region_of(opened.geometry(), &mask);
    let image = opened.read(region.as_ref())?;
    Ok(match region {
        Some(region) => (image.volume, mask.cropped(&region)),
        None => (image.volume, mask),
    })
}

/// Which region of a mask file to use.
#[derive(Debug, Clone, PartialEq)]
pub struct MaskSelection {
    /// The label features are extracted for (PyRadiomics' `label`). A SEG without `roi` gives the
    /// segment with this number; the voxels read from a SEG or RTSTRUCT carry this value.
    pub label: i32,
    /// A DICOM mask's segment (SegmentLabel) or ROI (ROIName), or its number. Required for an
    /// RTSTRUCT holding several ROIs; not applicable to NIfTI/NRRD label volumes.
    pub roi: Option<String>,
}

/// Reads the mask at `path` (named `name` in errors) for `image`.
///
/// DICOM masks are placed on `image`'s grid (SEG frames by position, RTSTRUCT contours rasterised
/// with the even-odd rule) and, when `series` identifies the image's DICOM series, checked to
/// belong to it. A NIfTI/NRRD label volume is returned as stored; whether it lies on the image's
/// grid is checked by extraction with `geometryTolerance`.
pub fn read_mask(
    image: &Geometry,
    series: Option<&SeriesIdentity>,
    path: &Path,
    name: &str,
    select: &MaskSelection,
) -> Result<Volume<i32>, ImagingError> {
    let is_dicom = dicom::is_dicom_file(path).map_err(|source| ImagingError::Io {
        file: name.into(),
        source,
    })?;
    if is_dicom {
        return Ok(dicom::read_dicom_mask(path, name, image, series, select)?);
    }
    if let Some(roi) = &select.roi {
        return Err(ImagingError::RoiNotApplicable {
            file: name.into(),
            roi: roi.clone(),
        });
    }
    read_labels(path, name)
}
