//! Reading a mask of any supported kind onto an image's grid: a NIfTI/NRRD label volume, a DICOM
//! SEG or a DICOM RTSTRUCT, told apart by content.

use std::ops::Range;
use std::path::Path;

use super::archive::ZipLimits;
use super::dicom::{self, SeriesIdentity, SeriesSelection};
use super::read::{read_image_geometry, read_image_region};
use super::{Geometry, ImagingError, Volume, is_dicom_input, read_image_any, read_image_volume, read_labels};

/// The image and mask of one case, as `extract`, a batch row and a cohort row read them: the image of
/// any kind ([`read_image_any`]) and the mask placed on its grid ([`read_mask`]); errors name the paths.
pub fn read_case(
    image: &Path,
    mask: &Path,
    series: &SeriesSelection,
    select: &MaskSelection,
    limits: &ZipLimits,
) -> Result<(Volume<f64>, Volume<i32>), ImagingError> {
    let image = read_image_any(image, series, limits)?;
    let mask = read_mask(
        &image.volume.geometry,
        image.series.as_ref(),
        mask,
        &mask.display().to_string(),
        select,
    )?;
    Ok((image.volume, mask))
}

/// [`read_case`] holding only the block of voxels `region_of(image grid, mask)` asks for, image and
/// mask cropped alike (`None`: all of them). A NIfTI/NRRD image's header is read first, then the
/// mask, then only the block of the image is kept ([`read_image_region`]); a DICOM series is read
/// whole and cropped.
pub fn read_case_region(
    image: &Path,
    mask: &Path,
    series: &SeriesSelection,
    select: &MaskSelection,
    limits: &ZipLimits,
    region_of: impl FnOnce(&Geometry, &Volume<i32>) -> Option<[Range<usize>; 3]>,
) -> Result<(Volume<f64>, Volume<i32>), ImagingError> {
    if is_dicom_input(image)? || series.series_uid.is_some() {
        let (image, mask) = read_case(image, mask, series, select, limits)?;
        return Ok(match region_of(&image.geometry, &mask) {
            Some(region) => (crop(&image, &region), crop(&mask, &region)),
            None => (image, mask),
        });
    }
    let name = image.display().to_string();
    let geometry = read_image_geometry(image, &name)?;
    let mask = read_mask(&geometry, None, mask, &mask.display().to_string(), select)?;
    match region_of(&geometry, &mask) {
        Some(region) => Ok((
            read_image_region(image, &name, series.volume, &region)?,
            crop(&mask, &region),
        )),
        None => Ok((read_image_volume(image, &name, series.volume)?, mask)),
    }
}

/// The block `region` (`[z, y, x]` ranges) of `volume`, its origin moved to the block's first voxel.
pub fn crop<T: Clone>(volume: &Volume<T>, region: &[Range<usize>; 3]) -> Volume<T> {
    let [z, y, x] = region.clone();
    let corner = [x.start as f64, y.start as f64, z.start as f64];
    Volume {
        geometry: Geometry {
            size: [x.len(), y.len(), z.len()],
            origin: volume.geometry.index_to_physical(corner),
            ..volume.geometry.clone()
        },
        voxels: volume.voxels.slice(ndarray::s![z, y, x]).to_owned(),
        pixel_type: volume.pixel_type,
    }
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
