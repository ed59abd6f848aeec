//! Reading a mask of any supported kind onto an image's grid: a NIfTI/NRRD label volume, a DICOM
//! SEG or a DICOM RTSTRUCT, told apart by content.

use std::ops::Range;
use std::path::Path;

use super::archive::ZipLimits;
use super::dicom::{self, SeriesIdentity, SeriesSelection};
use super::{
    BlockPlacement, Geometry, ImageInput, ImagingError, LabelExtent, OpenedImage, Volume, open_image,
    read_label_extent, read_labels, read_labels_region,
};

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
    /// The mask, cropped like the image for [`CaseRegion::Crop`], else whole or the block of
    /// [`CaseRegion::ImageBlock`].
    pub mask: Volume<i32>,
    /// Where `mask` lies in the whole mask when only a [`CaseRegion::ImageBlock`]'s mask block was read.
    pub mask_block: Option<BlockPlacement>,
}

/// The part of a case to read, `[z, y, x]` index ranges on the image's grid.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseRegion {
    /// Image and mask cropped alike: extraction uses nothing outside this block.
    Crop([Range<usize>; 3]),
    /// Only the blocks of the image and of the mask (on its own grid) that resampling reads
    /// ([`resampling_support`](super::resampling_support)); both keep their place in the whole
    /// volumes ([`BlockPlacement`]), from which the resampling grid is placed.
    ImageBlock {
        image: [Range<usize>; 3],
        mask: [Range<usize>; 3],
    },
}

/// [`read_case`] holding only the voxels `region_of(image grid, where the label is)` asks for
/// (`None`: all of them). The image's headers are read first, then where the mask's label lies,
/// then only the blocks: a NIfTI/NRRD file keeps only the block while it is decoded
/// ([`read_image_region`](super::read_image_region)), a DICOM series decodes only the block's
/// slices. A NIfTI/NRRD mask is read twice, first streamed for where its label lies
/// ([`read_label_extent`]), then for the block; a DICOM mask is read whole, once.
pub fn read_case_region(
    image: &Path,
    mask: &Path,
    series: &SeriesSelection,
    select: &MaskSelection,
    limits: &ZipLimits,
    region_of: impl FnOnce(&Geometry, &LabelExtent) -> Option<CaseRegion>,
) -> Result<CaseVolumes, ImagingError> {
    let opened = open_image(image, series, limits)?;
    let name = mask.display().to_string();
    if !is_label_volume(mask, &name, select)? {
        let mask = read_mask(opened.geometry(), opened.series(), mask, &name, select)?;
        let region = region_of(opened.geometry(), &LabelExtent::of(&mask, select.label));
        return Ok(read_case_volumes(opened, mask, region.as_ref())?.0);
    }
    let extent = read_label_extent(mask, &name, select.label)?;
    let region = region_of(opened.geometry(), &extent);
    let (mask, mask_block) = match &region {
        None => (read_labels(mask, &name)?, None),
        Some(CaseRegion::Crop(block)) => (read_labels_region(mask, &name, block)?, None),
        Some(CaseRegion::ImageBlock { mask: block, .. }) => (
            read_labels_region(mask, &name, block)?,
            Some(BlockPlacement {
                whole: extent.geometry,
                start: block.clone().map(|r| r.start),
            }),
        ),
    };
    let (image, image_block) = read_image_block(opened, region.as_ref())?;
    Ok(CaseVolumes {
        image: image.volume,
        image_block,
        mask,
        mask_block,
    })
}

/// Whether the mask at `path` is a NIfTI/NRRD label volume rather than a DICOM SEG or RTSTRUCT; an
/// error when a label volume comes with a `roi`, which only DICOM masks have.
fn is_label_volume(path: &Path, name: &str, select: &MaskSelection) -> Result<bool, ImagingError> {
    let is_dicom = dicom::is_dicom_file(path).map_err(|source| ImagingError::Io {
        file: name.into(),
        source,
    })?;
    if is_dicom {
        return Ok(false);
    }
    if let Some(roi) = &select.roi {
        return Err(ImagingError::RoiNotApplicable {
            file: name.into(),
            roi: roi.clone(),
        });
    }
    Ok(true)
}

/// Reads `region` of `opened` (all of it for `None`) and cuts `mask`, already on its grid and read
/// whole, to match; with the image's DICOM series identity, if any. For
/// [`CaseRegion::ImageBlock`] the mask stays whole.
pub fn read_case_volumes(
    opened: OpenedImage,
    mask: Volume<i32>,
    region: Option<&CaseRegion>,
) -> Result<(CaseVolumes, Option<SeriesIdentity>), ImagingError> {
    let mask = match region {
        Some(CaseRegion::Crop(block)) => mask.cropped(block),
        _ => mask,
    };
    let (image, image_block) = read_image_block(opened, region)?;
    let case = CaseVolumes {
        image: image.volume,
        image_block,
        mask,
        mask_block: None,
    };
    Ok((case, image.series))
}

/// Reads the image's part of `region` (all of it for `None`), with its placement for an image block.
fn read_image_block(
    opened: OpenedImage,
    region: Option<&CaseRegion>,
) -> Result<(ImageInput, Option<BlockPlacement>), ImagingError> {
    let (block, image_block) = match region {
        Some(CaseRegion::Crop(block)) => (Some(block), None),
        Some(CaseRegion::ImageBlock { image: block, .. }) => (
            Some(block),
            Some(BlockPlacement {
                whole: opened.geometry().clone(),
                start: block.clone().map(|r| r.start),
            }),
        ),
        None => (None, None),
    };
    Ok((opened.read(block)?, image_block))
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
    if is_label_volume(path, name, select)? {
        return read_labels(path, name);
    }
    Ok(dicom::read_dicom_mask(path, name, image, series, select)?)
}
