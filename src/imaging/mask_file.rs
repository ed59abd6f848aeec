//! Reading a mask of any supported kind onto an image's grid: a NIfTI/NRRD label volume, a DICOM
//! SEG or a DICOM RTSTRUCT, told apart by content.

use std::path::Path;

use super::archive::ZipLimits;
use super::dicom::{self, SeriesIdentity, SeriesSelection};
use super::{ImagingError, Volume, read_image_any, read_labels};

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
        &image.volume,
        image.series.as_ref(),
        mask,
        &mask.display().to_string(),
        select,
    )?;
    Ok((image.volume, mask))
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
    image: &Volume<f64>,
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
        return Ok(dicom::read_dicom_mask(path, name, &image.geometry, series, select)?);
    }
    if let Some(roi) = &select.roi {
        return Err(ImagingError::RoiNotApplicable {
            file: name.into(),
            roi: roi.clone(),
        });
    }
    read_labels(path, name)
}
