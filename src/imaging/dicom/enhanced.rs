//! Enhanced (multi-frame) images: one [`SliceHeader`] per frame from the functional groups
//! (PS3.3 C.7.6.16). A frame's attribute is taken from its PerFrameFunctionalGroupsSequence item
//! and, when absent there, from the SharedFunctionalGroupsSequence.

use dicom_core::Tag;
use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::value::PrimitiveValue;
use dicom_dictionary_std::{StandardDataDictionary, tags};
use dicom_object::InMemDicomObject;

use super::DicomError;
use super::header::{DicomFile, Rescale, SliceHeader, StackKey, numbers, rescale, text};

/// Dimensions that place a frame in space rather than in another volume: ImagePositionPatient,
/// InStackPositionNumber and SliceLocation.
const SPATIAL_DIMENSIONS: [Tag; 3] = [
    tags::IMAGE_POSITION_PATIENT,
    tags::IN_STACK_POSITION_NUMBER,
    tags::SLICE_LOCATION,
];

/// True when the object carries functional groups, so its geometry is per frame.
pub(crate) fn has_functional_groups(obj: &InMemDicomObject) -> bool {
    obj.get(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE).is_some()
        || obj.get(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE).is_some()
}

fn items(obj: &InMemDicomObject, tag: Tag) -> &[InMemDicomObject] {
    obj.get(tag).and_then(|e| e.items()).unwrap_or_default()
}

/// The functional groups of one frame: its own item, then the shared one.
struct FrameGroups<'a> {
    groups: Vec<&'a InMemDicomObject>,
}

impl<'a> FrameGroups<'a> {
    /// The first item of functional group `sequence`, per-frame before shared.
    fn group(&self, sequence: Tag) -> Option<&'a InMemDicomObject> {
        self.groups.iter().find_map(|&g| items(g, sequence).first())
    }

    /// The item of `sequence` that holds `attribute`, per-frame before shared.
    fn holding(&self, sequence: Tag, attribute: Tag) -> Option<&'a InMemDicomObject> {
        self.groups
            .iter()
            .filter_map(|&g| items(g, sequence).first())
            .find(|item| item.get(attribute).is_some())
    }
}

/// One header per frame of an enhanced image, each named "`file` frame N" (1-based, as DICOM
/// numbers frames).
pub(crate) fn frame_headers(obj: &InMemDicomObject, classic: SliceHeader) -> Result<Vec<SliceHeader>, DicomError> {
    let file = &classic.file;
    let per_frame = items(obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
    let shared = items(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE).first();
    if !per_frame.is_empty() && per_frame.len() != classic.frames {
        return Err(DicomError::InvalidAttribute {
            file: file.name.clone(),
            attribute: "PerFrameFunctionalGroupsSequence",
            value: format!("{} item(s)", per_frame.len()),
            reason: format!("NumberOfFrames is {}", classic.frames),
        });
    }
    let dimensions = non_spatial_dimensions(obj);
    (0..classic.frames)
        .map(|frame| {
            let groups = FrameGroups {
                groups: per_frame.get(frame).into_iter().chain(shared).collect(),
            };
            frame_header(&groups, &dimensions, &classic, file, frame)
        })
        .collect()
}

fn frame_header(
    groups: &FrameGroups,
    dimensions: &[(usize, String)],
    classic: &SliceHeader,
    file: &DicomFile,
    frame: usize,
) -> Result<SliceHeader, DicomError> {
    let name = format!("{} frame {}", file.name, frame + 1);
    let measures = groups.group(tags::PIXEL_MEASURES_SEQUENCE);
    let position = match groups.group(tags::PLANE_POSITION_SEQUENCE) {
        Some(item) => numbers(item, tags::IMAGE_POSITION_PATIENT, "ImagePositionPatient", &name)?,
        None => None,
    };
    let orientation = match groups.group(tags::PLANE_ORIENTATION_SEQUENCE) {
        Some(item) => numbers(item, tags::IMAGE_ORIENTATION_PATIENT, "ImageOrientationPatient", &name)?,
        None => None,
    };
    let pixel_spacing = match groups.holding(tags::PIXEL_MEASURES_SEQUENCE, tags::PIXEL_SPACING) {
        Some(item) => numbers(item, tags::PIXEL_SPACING, "PixelSpacing", &name)?,
        None => None,
    };
    let slice_spacing = match measures {
        Some(item) => numbers::<1>(item, tags::SPACING_BETWEEN_SLICES, "SpacingBetweenSlices", &name)?.map(|[v]| v),
        None => None,
    };
    let rescale = match groups.group(tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE) {
        Some(item) => rescale(item, &name)?,
        None => Rescale {
            slope: 1.0,
            intercept: 0.0,
        },
    };
    Ok(SliceHeader {
        file: file.clone(),
        stack: frame_stack_key(groups, dimensions, &name)?,
        name,
        frame,
        position,
        orientation,
        pixel_spacing,
        slice_spacing,
        rescale,
        frames: 1,
        ..classic.clone()
    })
}

/// (index in DimensionIndexValues, keyword) of each dimension that does not place a frame in space.
fn non_spatial_dimensions(obj: &InMemDicomObject) -> Vec<(usize, String)> {
    items(obj, tags::DIMENSION_INDEX_SEQUENCE)
        .iter()
        .enumerate()
        .filter_map(|(index, item)| {
            let pointer = dimension_pointer(item)?;
            (!SPATIAL_DIMENSIONS.contains(&pointer)).then(|| (index, keyword(pointer)))
        })
        .collect()
}

/// DimensionIndexPointer as a tag; an AT value read under VR UN arrives as 4 little-endian bytes.
fn dimension_pointer(item: &InMemDicomObject) -> Option<Tag> {
    match item.get(tags::DIMENSION_INDEX_POINTER)?.value().primitive()? {
        PrimitiveValue::Tags(t) => t.first().copied(),
        PrimitiveValue::U8(b) if b.len() == 4 => {
            Some(Tag(u16::from_le_bytes([b[0], b[1]]), u16::from_le_bytes([b[2], b[3]])))
        }
        _ => None,
    }
}

fn keyword(tag: Tag) -> String {
    StandardDataDictionary
        .by_tag(tag)
        .map_or_else(|| tag.to_string(), |entry| entry.alias().to_owned())
}

/// A number as the key shows it: `800`, `0.5`.
fn number_text(value: f64) -> String {
    value.to_string()
}

/// What sets a frame's volume apart: its non-spatial dimension index values, its
/// TemporalPositionIndex, and its diffusion b-value and gradient direction.
fn frame_stack_key(groups: &FrameGroups, dimensions: &[(usize, String)], name: &str) -> Result<StackKey, DicomError> {
    let mut key = StackKey::new();
    let content = groups.group(tags::FRAME_CONTENT_SEQUENCE);
    if let Some(values) = content.and_then(|c| text(c, tags::DIMENSION_INDEX_VALUES)) {
        let values: Vec<&str> = values.split('\\').map(str::trim).collect();
        for (index, keyword) in dimensions {
            if let Some(value) = values.get(*index) {
                key.push((keyword.clone(), (*value).to_owned()));
            }
        }
    }
    let temporal = groups
        .holding(tags::FRAME_CONTENT_SEQUENCE, tags::TEMPORAL_POSITION_INDEX)
        .and_then(|c| text(c, tags::TEMPORAL_POSITION_INDEX));
    if let Some(t) = temporal
        && !key.iter().any(|(k, _)| k == "TemporalPositionIndex")
    {
        key.push(("TemporalPositionIndex".into(), t));
    }
    if let Some(diffusion) = groups.holding(tags::MR_DIFFUSION_SEQUENCE, tags::DIFFUSION_B_VALUE) {
        if let Some([b]) = numbers::<1>(diffusion, tags::DIFFUSION_B_VALUE, "DiffusionBValue", name)? {
            key.push(("DiffusionBValue".into(), number_text(b)));
        }
        let direction = items(diffusion, tags::DIFFUSION_GRADIENT_DIRECTION_SEQUENCE).first();
        if let Some(d) = direction {
            let orientation = numbers::<3>(
                d,
                tags::DIFFUSION_GRADIENT_ORIENTATION,
                "DiffusionGradientOrientation",
                name,
            )?;
            if let Some(v) = orientation {
                let joined = v.map(number_text).join(",");
                key.push(("DiffusionGradientOrientation".into(), joined));
            }
        }
    }
    Ok(key)
}
