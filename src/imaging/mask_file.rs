//! Reading a mask of any supported kind onto an image's grid: a NIfTI/NRRD label volume, a DICOM
//! SEG or a DICOM RTSTRUCT, told apart by content.

use std::ops::Range;
use std::path::Path;

use super::archive::ZipLimits;
use super::dicom::{self, SeriesIdentity, SeriesSelection};
use super::{BlockPlacement, Geometry, ImagingError, OpenedImage, Volume, open_image, read_labels};

/// The image and mask of one case, as `extract`, a batch row and a cohort row read them: the image of
/// any kind ([`read_image_any`]) and the mask placed on its grid ([`read_mask`]); errors name the paths.
pub fn read_case(
    image: &Path,
    mask: &Path,
    series: &SeriesSelection,
    select: &MaskSelection,
    limits: &ZipLimits,
) -> Result<(Volume<f64>, Volume<i32>), ImagingError> {
    let case = read_case_region(image, mask, series, select, limits, |_, _| None)?;
    Ok((case.image, case.mask))
}

/// A case's volumes as read: the image (whole, or the block a [`CaseRegion`] asked for) and its mask.
#[derive(Debug, Clone)]
pub struct CaseVolumes {
    /// The image's voxels read.
    pub image: Volume<f64>,
    /// Where `image` lies in the whole image when only [`CaseRegion::ImageBlock`] was read.
    pub image_block: Option<BlockPlacement>,
    /// The mask, cropped like the image for [`CaseRegion::Crop`], else whole.
    pub mask: Volume<i32>,
}

/// The part of a case to read, `[z, y, x]` index ranges on the image's grid.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseRegion {
    /// Image and mask cropped alike: extraction uses nothing outside this block.
    Crop([Range<usize>; 3]),
    /// Only this block of the image, the one resampling reads
    /// ([`resampling_support`](super::resampling_support)); the mask whole, since the resampling
    /// grid is placed from it.
    ImageBlock([Range<usize>; 3]),
}

/// [`read_case`] holding only the voxels `region_of(image grid, mask)` asks for (`None`: all of
/// them). The image's headers are read first, then the mask, then only the block of the image: a
/// NIfTI/NRRD file keeps only the block while it is decoded
/// ([`read_image_region`](super::read_image_region)), a DICOM series decodes only the block's slices.
pub fn read_case_region(
    image: &Path,
    mask: &Path,
    series: &SeriesSelection,
    select: &MaskSelection,
    limits: &ZipLimits,
    region_of: impl FnOnce(&Geometry, &Volume<i32>) -> Option<CaseRegion>,
) -> Result<CaseVolumes, ImagingError> {
    let opened = open_image(image, series, limits)?;
    let mask = read_mask(
        opened.geometry(),
        opened.series(),
        mask,
        &mask.display().to_string(),
        select,
    )?;
    let region = region_of(opened.geometry(), &mask);
    Ok(read_case_volumes(opened, mask, region.as_ref())?.0)
}

/// Reads `region` of `opened` (all of it for `None`) and cuts `mask`, already on its grid, to match;
/// with the image's DICOM series identity, if any.
pub fn read_case_volumes(
    opened: OpenedImage,
    mask: Volume<i32>,
    region: Option<&CaseRegion>,
) -> Result<(CaseVolumes, Option<SeriesIdentity>), ImagingError> {
    let (block, image_block) = match region {
        Some(CaseRegion::Crop(block)) => (Some(block), None),
        Some(CaseRegion::ImageBlock(block)) => (
            Some(block),
            Some(BlockPlacement {
                whole: opened.geometry().clone(),
                start: block.clone().map(|r| r.start),
            }),
        ),
        None => (None, None),
    };
    let image = opened.read(block)?;
    let mask = match region {
        Some(CaseRegion::Crop(block)) => mask.cropped(block),
        _ => mask,
    };
    let case = CaseVolumes {
        image: image.volume,
        image_block,
        mask,
    };
    Ok((case, image.series))
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
