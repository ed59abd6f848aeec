//! DICOM Segmentation (SEG) masks: the frames of one segment placed on the image grid by their
//! positions (PS3.3 C.8.20, Segmentation IOD), in whatever order they are stored and however few
//! slices they cover.
//!
//! FRACTIONAL segments are thresholded at half of MaximumFractionalValue (a voxel is in the mask when
//! stored × 2 ≥ MaximumFractionalValue, i.e. probability or occupancy ≥ 0.5). The standard sets no
//! threshold: highdicom reads fractional values rescaled to [0, 1] and refuses to binarise anything
//! but 0 and the maximum, and dcmqi copies the raw values into its label image, so 0.5 — the
//! usual probability cut-off — is radscore's documented choice.

use std::borrow::Cow;

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject};
use ndarray::Array3;

use super::header::{items, numbers, text};
use super::placement::{GridMap, check_references, same_orientation};
use super::{DicomError, MaskRegion, SeriesIdentity, find_region, pixels};
use crate::imaging::{Geometry, MaskSelection, PixelType, Volume};

/// Allowed relative difference between the SEG's and the image's PixelSpacing: 1e-4 of a pixel
/// stays far below one voxel across any frame a scanner writes.
const SPACING_TOLERANCE: f64 = 1e-4;

/// The voxels of the chosen segment on `image`'s grid, set to `select.label`; 0 elsewhere. The
/// segment is `select.roi` (SegmentLabel or number) or else segment number `select.label`.
pub(crate) fn seg_mask(
    obj: &DefaultDicomObject,
    file: &str,
    image: &Geometry,
    series: Option<&SeriesIdentity>,
    select: &MaskSelection,
) -> Result<Volume<i32>, DicomError> {
    let referenced: Vec<String> = items(obj, tags::REFERENCED_SERIES_SEQUENCE)
        .iter()
        .filter_map(|item| text(item, tags::SERIES_INSTANCE_UID))
        .collect();
    check_references(
        file,
        series,
        text(obj, tags::FRAME_OF_REFERENCE_UID).as_deref(),
        &referenced,
    )?;
    let fractional = match required_text(obj, tags::SEGMENTATION_TYPE, "SegmentationType", file)?.as_str() {
        "BINARY" => false,
        "FRACTIONAL" => true,
        other => {
            return Err(DicomError::Unsupported {
                file: file.into(),
                what: format!("SegmentationType {other}"),
            });
        }
    };
    let present = segments(obj, file)?;
    let chosen = match &select.roi {
        Some(wanted) => find_region(&present, wanted),
        None => present.iter().find(|s| s.number == i64::from(select.label)),
    };
    let Some(segment) = chosen.cloned() else {
        return Err(DicomError::SegmentNotFound {
            file: file.into(),
            segment: select.roi.clone().unwrap_or_else(|| select.label.to_string()),
            present,
        });
    };
    let count = |tag, attribute| -> Result<usize, DicomError> {
        let [v] = numbers::<1>(obj, tag, attribute, file)?.ok_or_else(|| missing(file, attribute))?;
        Ok(v as usize)
    };
    let (rows, columns) = (count(tags::ROWS, "Rows")?, count(tags::COLUMNS, "Columns")?);
    let frames = count(tags::NUMBER_OF_FRAMES, "NumberOfFrames")?;
    let per_frame = items(obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
    if per_frame.len() != frames {
        return Err(DicomError::InvalidAttribute {
            file: file.into(),
            attribute: "PerFrameFunctionalGroupsSequence",
            value: format!("{} item(s)", per_frame.len()),
            reason: format!("NumberOfFrames is {frames}"),
        });
    }
    let shared = items(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE).first();
    let total = frames
        .checked_mul(rows * columns)
        .ok_or_else(|| DicomError::InvalidAttribute {
            file: file.into(),
            attribute: "NumberOfFrames",
            value: frames.to_string(),
            reason: format!("{frames} frames of {rows} × {columns} pixels cannot be addressed"),
        })?;
    let pixels = FramePixels::read(obj, file, fractional, total)?;
    let grid = GridMap::new(image);
    let [nx, ny, nz] = image.size;
    let mut voxels = Array3::<i32>::zeros((nz, ny, nx));
    let mut placed = 0;
    for (index, group) in per_frame.iter().enumerate() {
        let frame = Frame {
            file,
            number: index + 1,
            group,
            shared,
        };
        if frame.segment_number()? != segment.number as f64 {
            continue;
        }
        let [x0, y0, z] = frame.place(&grid, rows, columns)?;
        let first = index * rows * columns;
        for r in 0..rows {
            for c in 0..columns {
                if pixels.inside(first + r * columns + c) {
                    voxels[[z, y0 + r, x0 + c]] = select.label;
                }
            }
        }
        placed += 1;
    }
    if placed == 0 {
        return Err(DicomError::EmptyRegion {
            file: file.into(),
            region: format!("segment {segment}"),
        });
    }
    Ok(Volume {
        geometry: image.clone(),
        voxels,
        pixel_type: PixelType::I32,
    })
}

fn missing(file: &str, attribute: &'static str) -> DicomError {
    DicomError::MissingAttribute {
        file: file.into(),
        attribute,
    }
}

fn required_text(obj: &InMemDicomObject, tag: Tag, attribute: &'static str, file: &str) -> Result<String, DicomError> {
    text(obj, tag).ok_or_else(|| missing(file, attribute))
}

/// SegmentSequence as (SegmentNumber, SegmentLabel) pairs.
fn segments(obj: &InMemDicomObject, file: &str) -> Result<Vec<MaskRegion>, DicomError> {
    items(obj, tags::SEGMENT_SEQUENCE)
        .iter()
        .map(|item| {
            let [number] = numbers::<1>(item, tags::SEGMENT_NUMBER, "SegmentNumber", file)?
                .ok_or_else(|| missing(file, "SegmentNumber"))?;
            Ok(MaskRegion {
                number: number as i64,
                name: text(item, tags::SEGMENT_LABEL).unwrap_or_default(),
            })
        })
        .collect()
}

/// The mask bits of every frame, one after another.
enum FramePixels<'a> {
    /// BINARY: one bit per pixel, least significant bit first, frames packed without padding.
    Bits(Cow<'a, [u8]>),
    /// FRACTIONAL: stored values and MaximumFractionalValue.
    Fractions { values: Vec<f64>, maximum: f64 },
}

impl<'a> FramePixels<'a> {
    fn read(
        obj: &'a DefaultDicomObject,
        file: &str,
        fractional: bool,
        pixels: usize,
    ) -> Result<FramePixels<'a>, DicomError> {
        let data = obj
            .get(tags::PIXEL_DATA)
            .ok_or_else(|| DicomError::MissingPixelData { file: file.into() })?;
        let short = |found: usize| DicomError::Unreadable {
            file: file.into(),
            message: format!("pixel data holds {found} samples, NumberOfFrames × Rows × Columns needs {pixels}"),
        };
        if fractional {
            let [maximum] = numbers::<1>(obj, tags::MAXIMUM_FRACTIONAL_VALUE, "MaximumFractionalValue", file)?
                .ok_or_else(|| missing(file, "MaximumFractionalValue"))?;
            if maximum < 1.0 {
                return Err(DicomError::InvalidAttribute {
                    file: file.into(),
                    attribute: "MaximumFractionalValue",
                    value: maximum.to_string(),
                    reason: "must be at least 1".into(),
                });
            }
            let values = pixels::stored_values(obj, file)?;
            if values.len() < pixels {
                return Err(short(values.len()));
            }
            return Ok(FramePixels::Fractions { values, maximum });
        }
        if data.value().fragments().is_some() {
            return Err(DicomError::Unsupported {
                file: file.into(),
                what: format!(
                    "a compressed BINARY SEG (transfer syntax {})",
                    obj.meta().transfer_syntax().trim_end_matches('\0')
                ),
            });
        }
        let bytes = data.to_bytes().map_err(|e| DicomError::Unreadable {
            file: file.into(),
            message: e.to_string(),
        })?;
        if bytes.len() * 8 < pixels {
            return Err(short(bytes.len() * 8));
        }
        Ok(FramePixels::Bits(bytes))
    }

    /// Whether pixel `i` (counted over all frames) is in the mask.
    fn inside(&self, i: usize) -> bool {
        match self {
            FramePixels::Bits(bytes) => bytes[i / 8] >> (i % 8) & 1 == 1,
            FramePixels::Fractions { values, maximum } => values[i] * 2.0 >= *maximum,
        }
    }
}

/// One frame's functional groups: its own, else the shared ones.
struct Frame<'o> {
    file: &'o str,
    /// 1-based, as frames are numbered in the file.
    number: usize,
    group: &'o InMemDicomObject,
    shared: Option<&'o InMemDicomObject>,
}

impl Frame<'_> {
    fn macro_item(&self, sequence: Tag, attribute: &'static str) -> Result<&InMemDicomObject, DicomError> {
        [Some(self.group), self.shared]
            .into_iter()
            .flatten()
            .find_map(|group| items(group, sequence).first())
            .ok_or_else(|| missing(self.file, attribute))
    }

    fn value<const N: usize>(&self, sequence: Tag, tag: Tag, attribute: &'static str) -> Result<[f64; N], DicomError> {
        let item = self.macro_item(sequence, attribute)?;
        numbers::<N>(item, tag, attribute, self.file)?.ok_or_else(|| missing(self.file, attribute))
    }

    fn segment_number(&self) -> Result<f64, DicomError> {
        let [number] = self.value::<1>(
            tags::SEGMENT_IDENTIFICATION_SEQUENCE,
            tags::REFERENCED_SEGMENT_NUMBER,
            "ReferencedSegmentNumber",
        )?;
        Ok(number)
    }

    /// The image voxel (x, y, z) of the frame's first pixel, after checking that the frame's plane,
    /// pixel spacing and position are the image grid's and that the whole frame lies inside it.
    fn place(&self, grid: &GridMap, rows: usize, columns: usize) -> Result<[usize; 3], DicomError> {
        let image = grid.geometry;
        let orientation = self.value::<6>(
            tags::PLANE_ORIENTATION_SEQUENCE,
            tags::IMAGE_ORIENTATION_PATIENT,
            "ImageOrientationPatient",
        )?;
        if !same_orientation(image, orientation) {
            let expected: Vec<f64> = (0..6).map(|i| image.direction[(i % 3) * 3 + i / 3]).collect();
            return Err(DicomError::MaskGridMismatch {
                file: self.file.into(),
                attribute: "ImageOrientationPatient",
                found: format!("{orientation:?}"),
                expected: format!("{expected:?}"),
            });
        }
        let spacing = self.value::<2>(tags::PIXEL_MEASURES_SEQUENCE, tags::PIXEL_SPACING, "PixelSpacing")?;
        let expected = [image.spacing[1], image.spacing[0]];
        if spacing
            .iter()
            .zip(expected)
            .any(|(s, e)| (s - e).abs() > SPACING_TOLERANCE * e)
        {
            return Err(DicomError::MaskGridMismatch {
                file: self.file.into(),
                attribute: "PixelSpacing",
                found: format!("{spacing:?}"),
                expected: format!("{expected:?}"),
            });
        }
        let position = self.value::<3>(
            tags::PLANE_POSITION_SEQUENCE,
            tags::IMAGE_POSITION_PATIENT,
            "ImagePositionPatient",
        )?;
        let index = grid.continuous_index(position);
        let nearest = index.map(f64::round);
        let distance = grid.length_mm(std::array::from_fn(|i| index[i] - nearest[i]));
        if distance > grid.tolerance_mm() {
            return Err(DicomError::FrameOffGrid {
                file: self.file.into(),
                frame: self.number,
                position,
                distance,
                tolerance: grid.tolerance_mm(),
            });
        }
        let first = nearest.map(|v| v as i64);
        let extent = [columns, rows, 1];
        let fits = (0..3).all(|a| first[a] >= 0 && first[a] as usize + extent[a] <= image.size[a]);
        if !fits {
            return Err(DicomError::FrameOutsideImage {
                file: self.file.into(),
                frame: self.number,
                position,
                index: first,
                size: image.size,
            });
        }
        Ok(first.map(|v| v as usize))
    }
}
