//! Reading a mask of any supported kind onto an image's grid: a NIfTI/NRRD label volume, a DICOM
//! SEG or a DICOM RTSTRUCT, told apart by content.

use std::cell::OnceCell;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::archive::ZipLimits;
use super::dicom::{self, SeriesIdentity, SeriesSelection};
use super::{
    BlockPlacement, Geometry, ImagingError, LabelExtent, OpenedImage, Volume, open_image, read_label_extent,
    read_labels, read_labels_region,
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
    /// ([`resampling_support`](super::resampling_support) and
    /// [`nearest_support`](super::nearest_support)); both keep their place in the whole volumes
    /// ([`BlockPlacement`]), from which the resampling grid is placed.
    ImageBlock {
        image: [Range<usize>; 3],
        mask: [Range<usize>; 3],
    },
}

/// [`read_case`] holding only the voxels `region_of(image grid, opened mask)` asks for (`None`: all
/// of them). The image's headers are read first, then the mask is opened ([`open_mask`]), then only
/// the blocks are read: a NIfTI/NRRD file keeps only the block while it is decoded
/// ([`read_image_region`](super::read_image_region)), a DICOM series decodes only the block's
/// slices.
pub fn read_case_region(
    image: &Path,
    mask: &Path,
    series: &SeriesSelection,
    select: &MaskSelection,
    limits: &ZipLimits,
    region_of: impl FnOnce(&Geometry, &OpenedMask) -> Option<CaseRegion>,
) -> Result<CaseVolumes, ImagingError> {
    let opened = open_image(image, series, limits)?;
    let mask = open_mask(&opened, mask, &mask.display().to_string(), select)?;
    let region = region_of(opened.geometry(), &mask);
    let mask = mask.read(region.as_ref())?;
    Ok(read_case_volumes(opened, mask, region.as_ref())?.0)
}

/// A case's mask before the part of the case to read is chosen.
#[derive(Debug)]
pub struct OpenedMask {
    label: i32,
    voxels: MaskVoxels,
    /// Where the label lies, found when first asked for; `None` when a label file could not be read
    /// (reading it whole then reports why).
    extent: OnceCell<Option<LabelExtent>>,
}

#[derive(Debug)]
enum MaskVoxels {
    /// A DICOM SEG or RTSTRUCT, placed on the image grid as it was read: whole.
    Read(Volume<i32>),
    /// A NIfTI/NRRD label volume, read once its part is known.
    File { path: PathBuf, name: String },
}

/// The mask voxels a case uses, as [`OpenedMask::read`] gives them.
#[derive(Debug)]
pub struct MaskPart {
    /// The voxels: whole, or the block the region asked for.
    pub mask: Volume<i32>,
    /// Where `mask` lies in the whole mask when it is a [`CaseRegion::ImageBlock`]'s mask block.
    pub block: Option<BlockPlacement>,
}

/// Opens the mask at `path` (named `name` in errors) for `image`: a DICOM mask is read whole now
/// ([`read_mask`]); a NIfTI/NRRD label volume is only told apart, and read once it is known which
/// part the case uses, so that it is decoded once when the whole is needed and never held whole
/// otherwise.
pub fn open_mask(
    image: &OpenedImage,
    path: &Path,
    name: &str,
    select: &MaskSelection,
) -> Result<OpenedMask, ImagingError> {
    let voxels = if is_label_volume(path, name, select)? {
        MaskVoxels::File {
            path: path.to_owned(),
            name: name.to_owned(),
        }
    } else {
        MaskVoxels::Read(dicom::read_dicom_mask(
            path,
            name,
            image.geometry(),
            image.series(),
            select,
        )?)
    };
    Ok(OpenedMask {
        label: select.label,
        voxels,
        extent: OnceCell::new(),
    })
}

impl OpenedMask {
    /// Where the label lies; for a label file, found by streaming it ([`read_label_extent`]: one row
    /// held at a time). `None` when the file cannot be read.
    pub fn extent(&self) -> Option<&LabelExtent> {
        self.extent
            .get_or_init(|| match &self.voxels {
                MaskVoxels::Read(mask) => Some(LabelExtent::of(mask, self.label)),
                MaskVoxels::File { path, name } => read_label_extent(path, name, self.label).ok(),
            })
            .as_ref()
    }

    /// The voxels `region` uses (all for `None`): the [`CaseRegion::Crop`] box; the block resampling
    /// reads of a label file for [`CaseRegion::ImageBlock`] (a DICOM mask, in memory already, stays
    /// whole).
    pub fn read(self, region: Option<&CaseRegion>) -> Result<MaskPart, ImagingError> {
        let whole = |mask| MaskPart { mask, block: None };
        // An image block's mask block is placed in the whole mask's grid, which the extent the region
        // was chosen from holds (cached: not read again).
        let placement = match region {
            Some(CaseRegion::ImageBlock { mask: block, .. }) => self.extent().map(|e| BlockPlacement {
                whole: e.geometry.clone(),
                start: block.clone().map(|r| r.start),
            }),
            _ => None,
        };
        Ok(match (self.voxels, region, placement) {
            (MaskVoxels::Read(mask), Some(CaseRegion::Crop(block)), _) => whole(mask.cropped(block)),
            (MaskVoxels::Read(mask), _, _) => whole(mask),
            (MaskVoxels::File { path, name }, Some(CaseRegion::Crop(block)), _) => {
                whole(read_labels_region(&path, &name, block)?)
            }
            (MaskVoxels::File { path, name }, Some(CaseRegion::ImageBlock { mask: block, .. }), Some(placement)) => {
                MaskPart {
                    mask: read_labels_region(&path, &name, block)?,
                    block: Some(placement),
                }
            }
            (MaskVoxels::File { path, name }, _, _) => whole(read_labels(&path, &name)?),
        })
    }
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

/// Reads `region` of `opened` (all of it for `None`) to go with `mask`, read for the same region by
/// [`OpenedMask::read`]; with the image's DICOM series identity, if any.
pub fn read_case_volumes(
    opened: OpenedImage,
    mask: MaskPart,
    region: Option<&CaseRegion>,
) -> Result<(CaseVolumes, Option<SeriesIdentity>), ImagingError> {
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
    let image = opened.read(block)?;
    let case = CaseVolumes {
        image: image.volume,
        image_block,
        mask: mask.mask,
        mask_block: mask.block,
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
    if is_label_volume(path, name, select)? {
        return read_labels(path, name);
    }
    Ok(dicom::read_dicom_mask(path, name, image, series, select)?)
}

#[cfg(test)]
mod tests {
    use ndarray::Array3;

    use super::*;
    use crate::imaging::{NiftiDatatype, write_nifti_gz};

    /// Opening a label file reads nothing; a case that needs the whole mask reads it once, and a bad
    /// file's error comes from that read, as from `read_labels`. Asked where the label lies, a good
    /// file answers from one streaming pass, and an image block's mask block is placed in it.
    #[test]
    fn a_label_file_is_read_only_for_the_part_the_case_uses() {
        let dir = tempfile::tempdir().unwrap();
        let geometry = Geometry {
            size: [6, 5, 4],
            spacing: [1.0, 1.0, 2.0],
            origin: [3.0, -2.0, 1.0],
            direction: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        };
        let write = |name: &str, voxels: Array3<f64>, datatype| {
            let path = dir.path().join(name);
            write_nifti_gz(&path, &Volume::new(geometry.clone(), voxels), datatype).unwrap();
            path
        };
        let image = write("image.nii.gz", Array3::from_elem((4, 5, 6), 7.0), NiftiDatatype::I16);
        let labels = Array3::from_shape_fn((4, 5, 6), |(z, y, x)| {
            f64::from(u8::from((1..3).contains(&z) && y == 2 && x > 3))
        });
        let good = write("mask.nii.gz", labels, NiftiDatatype::U8);
        let compressed = std::fs::read(&good).unwrap();
        let cut = dir.path().join("cut.nii.gz");
        std::fs::write(&cut, &compressed[..compressed.len() / 2]).unwrap();
        let opened = open_image(&image, &SeriesSelection::default(), &ZipLimits::default()).unwrap();
        let select = MaskSelection { label: 1, roi: None };
        let open = |path: &Path| open_mask(&opened, path, "m", &select).unwrap();

        let want = read_labels(&cut, "m").unwrap_err().to_string();
        assert_eq!(open(&cut).read(None).unwrap_err().to_string(), want);
        let bad = open(&cut);
        assert_eq!(bad.extent(), None);
        let block = CaseRegion::ImageBlock {
            image: [0..4, 0..5, 0..6],
            mask: [1..3, 1..4, 2..6],
        };
        assert_eq!(bad.read(Some(&block)).unwrap_err().to_string(), want);

        let whole = read_labels(&good, "m").unwrap();
        let mask = open(&good);
        assert_eq!(mask.extent().unwrap().bounds, Some([1..3, 2..3, 4..6]));
        let part = mask.read(Some(&block)).unwrap();
        assert_eq!(part.mask.voxels, whole.cropped(&[1..3, 1..4, 2..6]).voxels);
        assert_eq!(
            part.block,
            Some(BlockPlacement {
                whole: whole.geometry.clone(),
                start: [1, 1, 2],
            })
        );
        assert_eq!(open(&good).read(None).unwrap().mask.voxels, whole.voxels);
    }
}
