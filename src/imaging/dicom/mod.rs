//! DICOM image series to [`Volume`]: grouping files by SeriesInstanceUID, choosing one series,
//! stacking its slices like ITK and applying the modality rescale.
//!
//! Input can be a list of files, a folder (walked recursively) or a zip archive
//! ([`read_dicom_input`]). Non-image objects (SR, PR, KO, SEG, RTSTRUCT…) are ignored when grouping.
//! Enhanced multi-frame images contribute one slice per frame, placed by their functional groups.
//! A series repeating its positions for several temporal positions or b-values holds several
//! volumes; [`SeriesSelection::volume`] chooses one.

mod enhanced;
mod error;
mod geometry;
mod header;
mod jpeg;
mod pixels;
mod placement;
mod rle;
mod rtstruct;
mod seg;
mod stacks;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;
use dicom_object::OpenFileOptions;
use ndarray::Array3;
use serde::Serialize;

pub use error::DicomError;
pub use header::DicomFile;
use header::{SliceHeader, is_non_image, slice_header};
pub use pixels::{StoredFrames, read_stored_frames};
pub use stacks::StackSummary;

use super::archive::{ZipLimits, extract_zip, is_zip};
use super::{Geometry, MaskSelection, PixelType, Volume};

/// Which series of a multi-series input to read.
#[derive(Debug, Clone, Default)]
pub struct SeriesSelection {
    /// SeriesInstanceUID to read; `None` accepts the input only when it holds one image series.
    pub series_uid: Option<String>,
    /// 0-based index of the volume to read when the series holds several (temporal positions,
    /// b-values), in the order [`DicomError::VolumeRequired`] lists them; `None` accepts a series
    /// holding one volume.
    pub volume: Option<usize>,
}

/// One image series found in an input, as listed when the caller must choose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesSummary {
    /// SeriesInstanceUID.
    pub uid: String,
    /// Modality (MR, CT…).
    pub modality: String,
    /// SeriesDescription.
    pub description: String,
    /// Number of slices in the series: image files, or frames of multi-frame files.
    pub slices: usize,
}

impl std::fmt::Display for SeriesSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({} \"{}\", {} slice(s))",
            self.uid, self.modality, self.description, self.slices
        )
    }
}

/// A segment of a SEG or an ROI of an RTSTRUCT, as listed when the requested one is absent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MaskRegion {
    /// SegmentNumber or ROINumber.
    pub number: i64,
    /// SegmentLabel or ROIName.
    pub name: String,
}

impl std::fmt::Display for MaskRegion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?}", self.number, self.name)
    }
}

/// The identifiers that tie a mask (SEG, RTSTRUCT) to the image series it was drawn on; the API
/// stores only salted hashes of the study and series UIDs.
#[derive(Clone, PartialEq)]
pub struct SeriesIdentity {
    /// StudyInstanceUID, when present.
    pub study_uid: Option<String>,
    /// SeriesInstanceUID.
    pub series_uid: String,
    /// FrameOfReferenceUID, when present.
    pub frame_of_reference_uid: Option<String>,
}

/// Identifiers are patient data: never printed by accident through `{:?}`.
impl std::fmt::Debug for SeriesIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SeriesIdentity(<redacted>)")
    }
}

/// An image series read into a volume, with the identifiers masks are checked against.
#[derive(Debug, Clone)]
pub struct DicomSeries {
    /// The voxels and their geometry.
    pub volume: Volume<f64>,
    /// Which series (and frame of reference) the volume is.
    pub identity: SeriesIdentity,
}

/// Reads one image series from `files` (each named by its path in errors).
pub fn read_series(files: &[PathBuf], select: &SeriesSelection) -> Result<Volume<f64>, DicomError> {
    let named: Vec<DicomFile> = files
        .iter()
        .map(|path| DicomFile {
            path: path.clone(),
            name: path.display().to_string(),
        })
        .collect();
    SeriesLayout::new(&named, select, None)?
        .read(None)
        .map(|series| series.volume)
}

/// Reads one image series from a folder, a zip archive or a single DICOM file.
///
/// A zip is extracted, within `limits`, into a temporary folder that is removed before returning;
/// errors name its entries, not temporary paths.
pub fn read_dicom_input(path: &Path, select: &SeriesSelection, limits: &ZipLimits) -> Result<Volume<f64>, DicomError> {
    read_dicom_series(path, select, limits).map(|series| series.volume)
}

/// [`read_dicom_input`], keeping the series' identifiers for checking a SEG or RTSTRUCT mask.
pub fn read_dicom_series(path: &Path, select: &SeriesSelection, limits: &ZipLimits) -> Result<DicomSeries, DicomError> {
    open_dicom_series(path, select, limits)?.read(None)
}

/// A chosen series whose headers are read and slices stacked, its pixel data not yet decoded: the
/// grid and identifiers are known, so a mask can be placed before deciding which voxels to decode.
pub struct SeriesLayout {
    slices: Vec<SliceHeader>,
    geometry: Geometry,
    identity: SeriesIdentity,
    /// The extracted zip, kept until the pixels are read.
    _extracted: Option<tempfile::TempDir>,
}

/// Opens the series of `path` (a folder, a zip extracted within `limits`, or one file) chosen by
/// `select`, reading headers only; see [`read_dicom_input`].
pub fn open_dicom_series(
    path: &Path,
    select: &SeriesSelection,
    limits: &ZipLimits,
) -> Result<SeriesLayout, DicomError> {
    let name = path.display().to_string();
    if path.is_dir() {
        return SeriesLayout::new(&find_dicom_files(path, &name)?, select, None);
    }
    if is_zip(path).map_err(|source| DicomError::Io {
        file: name.clone(),
        source,
    })? {
        let temp = tempfile::tempdir().map_err(|source| DicomError::Io {
            file: name.clone(),
            source,
        })?;
        extract_zip(path, &name, temp.path(), limits)?;
        let files = find_dicom_files(temp.path(), &name)?;
        return SeriesLayout::new(&files, select, Some(temp));
    }
    SeriesLayout::new(
        &[DicomFile {
            path: path.into(),
            name,
        }],
        select,
        None,
    )
}

impl SeriesLayout {
    fn new(
        files: &[DicomFile],
        select: &SeriesSelection,
        extracted: Option<tempfile::TempDir>,
    ) -> Result<Self, DicomError> {
        let slices = choose_series(files, select)?;
        if let Some(multi) = slices.iter().find(|s| s.frames > 1) {
            return Err(DicomError::Unsupported {
                file: multi.name.clone(),
                what: format!(
                    "a multi-frame image without functional groups ({} frames, no per-frame positions)",
                    multi.frames
                ),
            });
        }
        let mut slices = stacks::choose_stack(slices, select.volume)?;
        let geometry = geometry::stack_slices(&mut slices)?;
        let first = &slices[0];
        let identity = SeriesIdentity {
            study_uid: first.study_uid.clone(),
            series_uid: first.series_uid.clone(),
            frame_of_reference_uid: first.frame_of_reference_uid.clone(),
        };
        Ok(SeriesLayout {
            slices,
            geometry,
            identity,
            _extracted: extracted,
        })
    }

    /// The series' grid.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// The series' identifiers.
    pub fn identity(&self) -> &SeriesIdentity {
        &self.identity
    }

    /// Decodes the series, or only the block `region` (`[z, y, x]` index ranges: only its slices
    /// are decoded), into a volume whose origin is the block's first voxel.
    pub fn read(self, region: Option<&[Range<usize>; 3]>) -> Result<DicomSeries, DicomError> {
        let [nx, ny, nz] = self.geometry.size;
        let block = self.geometry.block(region).ok_or_else(|| DicomError::Unsupported {
            file: self.slices[0].name.clone(),
            what: format!(
                "a region {region:?} outside the series' [z, y, x] size {:?}",
                [nz, ny, nx]
            ),
        })?;
        let [zs, ys, xs] = block.clone();
        let (values, pixel_type) = slice_values(&self.slices, [nx, ny], block.clone())?;
        let voxels = Array3::from_shape_vec((zs.len(), ys.len(), xs.len()), values)
            .map_err(|e| unreadable(&self.slices[0].name, e))?;
        let geometry = self.geometry.cropped(&block);
        Ok(DicomSeries {
            volume: Volume {
                geometry,
                voxels,
                pixel_type,
            },
            identity: self.identity,
        })
    }
}

/// Reads a DICOM SEG or RTSTRUCT `path` (named `name` in errors) as a label mask on `image`'s grid.
///
/// `select.roi` names the segment (SegmentLabel) or ROI (ROIName), or gives its number; without it
/// a SEG gives segment number `select.label` and an RTSTRUCT its only ROI. RTSTRUCT contours are
/// rasterised with the even-odd rule. The chosen voxels hold `select.label`, everything else 0, so
/// the result is used like a NIfTI mask with that label. When `series` is given, a mask drawn on
/// another series or frame of reference is rejected.
pub fn read_dicom_mask(
    path: &Path,
    name: &str,
    image: &Geometry,
    series: Option<&SeriesIdentity>,
    select: &MaskSelection,
) -> Result<Volume<i32>, DicomError> {
    let obj = dicom_object::open_file(path).map_err(|e| unreadable(name, e))?;
    let sop_class = header::text(&obj, tags::SOP_CLASS_UID).unwrap_or_default();
    match sop_class.as_str() {
        SEGMENTATION_STORAGE => seg::seg_mask(&obj, name, image, series, select),
        RT_STRUCTURE_SET_STORAGE => rtstruct::rtstruct_mask(&obj, name, image, series, select),
        _ => Err(DicomError::NotAMask {
            file: name.into(),
            sop_class,
            modality: header::text(&obj, tags::MODALITY).unwrap_or_default(),
        }),
    }
}

/// The region named `wanted`: by name first, then by number.
fn find_region<'r>(regions: &'r [MaskRegion], wanted: &str) -> Option<&'r MaskRegion> {
    regions.iter().find(|r| r.name == wanted).or_else(|| {
        let number = wanted.trim().parse::<i64>().ok()?;
        regions.iter().find(|r| r.number == number)
    })
}

const SEGMENTATION_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.66.4";
const RT_STRUCTURE_SET_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.481.3";

/// True when the file has the DICOM Part 10 preamble ("DICM" at byte 128).
pub fn is_dicom_file(path: &Path) -> std::io::Result<bool> {
    Ok(crate::imaging::archive::read_head::<132>(path)?.is_some_and(|head| &head[128..] == b"DICM"))
}

/// Every DICOM Part 10 file below `root`, in path order, named relative to `root` (prefixed by
/// `root_name`). Other files (README, DICOMDIR-less junk) are skipped; symlinks are not followed.
pub fn find_dicom_files(root: &Path, root_name: &str) -> Result<Vec<DicomFile>, DicomError> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let io = |source| DicomError::Io {
            file: relative_name(root, &dir, root_name),
            source,
        };
        for entry in std::fs::read_dir(&dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let kind = entry.file_type().map_err(io)?;
            let path = entry.path();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file()
                && is_dicom_file(&path).map_err(|source| DicomError::Io {
                    file: relative_name(root, &path, root_name),
                    source,
                })?
            {
                found.push(DicomFile {
                    name: relative_name(root, &path, root_name),
                    path,
                });
            }
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

fn relative_name(root: &Path, path: &Path, root_name: &str) -> String {
    match path.strip_prefix(root) {
        Ok(rel) if rel.as_os_str().is_empty() => root_name.to_owned(),
        Ok(rel) => format!("{root_name}/{}", rel.display()),
        Err(_) => path.display().to_string(),
    }
}

fn unreadable(file: &str, e: impl std::fmt::Display) -> DicomError {
    DicomError::Unreadable {
        file: file.into(),
        message: e.to_string(),
    }
}

/// Reads the headers of every file (not their pixels), groups image objects by series and
/// returns the chosen series' slices.
fn choose_series(files: &[DicomFile], select: &SeriesSelection) -> Result<Vec<SliceHeader>, DicomError> {
    let mut series: BTreeMap<String, Vec<SliceHeader>> = BTreeMap::new();
    for file in files {
        let obj = OpenFileOptions::new()
            .read_until(tags::PIXEL_DATA)
            .open_file(&file.path)
            .map_err(|e| unreadable(&file.name, e))?;
        if is_non_image(&obj) {
            continue;
        }
        let slice = slice_header(&obj, file)?;
        let slices = if enhanced::has_functional_groups(&obj) {
            enhanced::frame_headers(&obj, slice)?
        } else {
            vec![slice]
        };
        if let Some(first) = slices.first() {
            series.entry(first.series_uid.clone()).or_default().extend(slices);
        }
    }
    let summaries = || -> Vec<SeriesSummary> {
        series
            .iter()
            .map(|(uid, slices)| SeriesSummary {
                uid: uid.clone(),
                modality: slices[0].modality.clone(),
                description: slices[0].description.clone(),
                slices: slices.len(),
            })
            .collect()
    };
    match &select.series_uid {
        Some(uid) => match series.get(uid) {
            Some(_) => Ok(series.remove(uid).unwrap_or_default()),
            None => Err(DicomError::SeriesNotFound {
                uid: uid.clone(),
                series: summaries(),
            }),
        },
        None if series.is_empty() => Err(DicomError::NoImageSeries { files: files.len() }),
        None if series.len() > 1 => Err(DicomError::AmbiguousSeries { series: summaries() }),
        None => Ok(series.into_values().next().unwrap_or_default()),
    }
}

/// Rescaled values of the block `region` (`[z, y, x]`) of the sorted slices of `size` = [columns,
/// rows], slice after slice, and the pixel type of the first slice. Only the region's slices are
/// decoded, each file once for all its frames as long as its frames are neighbours in the stack
/// (always so for a single enhanced file).
fn slice_values(
    slices: &[SliceHeader],
    size: [usize; 2],
    region: [Range<usize>; 3],
) -> Result<(Vec<f64>, PixelType), DicomError> {
    let [nx, ny] = size;
    let per_slice = nx * ny;
    let [zs, ys, xs] = region;
    let mut values = Vec::with_capacity(zs.len() * ys.len() * xs.len());
    let pixel_type = match slices.first() {
        Some(first) => {
            let obj = OpenFileOptions::new()
                .read_until(tags::PIXEL_DATA)
                .open_file(&first.file.path)
                .map_err(|e| unreadable(&first.name, e))?;
            pixels::pixel_type(&obj, first.rescale, &first.name)?
        }
        None => PixelType::F64,
    };
    let mut decoded: Option<(&Path, Vec<f64>)> = None;
    for slice in &slices[zs] {
        let name = &slice.file.name;
        if decoded.as_ref().is_none_or(|(path, _)| *path != slice.file.path) {
            let obj = dicom_object::open_file(&slice.file.path).map_err(|e| unreadable(name, e))?;
            pixels::check_monochrome(&obj, name)?;
            decoded = Some((slice.file.path.as_path(), pixels::stored_values(&obj, name)?));
        }
        let stored = decoded.as_ref().map(|(_, v)| v.as_slice()).unwrap_or_default();
        // Pixel data may end with a padding byte or excess padding, so only a shortfall is an error.
        let frame = stored
            .get(slice.frame * per_slice..(slice.frame + 1) * per_slice)
            .ok_or_else(|| DicomError::Unreadable {
                file: slice.name.clone(),
                message: format!(
                    "pixel data holds {} samples, frame {} of Rows × Columns = {per_slice} needs {}",
                    stored.len(),
                    slice.frame + 1,
                    (slice.frame + 1) * per_slice
                ),
            })?;
        for row in frame.chunks_exact(nx).skip(ys.start).take(ys.len()) {
            values.extend(pixels::rescaled(&row[xs.clone()], slice.rescale));
        }
    }
    Ok((values, pixel_type))
}

#[cfg(test)]
mod tests;
