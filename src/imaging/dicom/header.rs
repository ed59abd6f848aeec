//! The per-file attributes that decide grouping and geometry, read with our own text parsing.
//!
//! dicom-object 0.10.1 misreads numeric strings stored with VR UN (RescaleSlope "1" became 49), so
//! every attribute is taken as text from its raw bytes and parsed here.

use dicom_core::value::PrimitiveValue;
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject};

use super::DicomError;

/// SOP classes and modalities that never hold an image series to analyse (reports, presentation
/// states, key objects, segmentations, RT structures, plans, registrations, directories).
const NON_IMAGE_MODALITIES: [&str; 9] = ["SR", "PR", "KO", "SEG", "RTSTRUCT", "RTPLAN", "RTRECORD", "REG", "DOC"];
const MEDIA_DIRECTORY_SOP_CLASS: &str = "1.2.840.10008.1.3.10";

/// One DICOM file as named for the caller.
#[derive(Debug, Clone)]
pub struct DicomFile {
    /// Where it is on disk now.
    pub path: std::path::PathBuf,
    /// How errors refer to it.
    pub name: String,
}

/// What one image file, or one frame of a multi-frame file, says about where its slice sits.
#[derive(Debug, Clone)]
pub(crate) struct SliceHeader {
    pub file: DicomFile,
    /// How errors refer to this slice: the file's name, followed by "frame N" for a frame.
    pub name: String,
    /// Index of the frame within the file's pixel data (0 for a single-frame file).
    pub frame: usize,
    /// What sets this slice's volume apart from other volumes of the series (temporal position,
    /// b-value…); empty when the series holds one volume.
    pub stack: StackKey,
    pub series_uid: String,
    pub study_uid: Option<String>,
    pub frame_of_reference_uid: Option<String>,
    pub modality: String,
    pub description: String,
    pub rows: usize,
    pub columns: usize,
    pub frames: usize,
    pub position: Option<[f64; 3]>,
    pub orientation: Option<[f64; 6]>,
    /// (row spacing, column spacing) as stored: PixelSpacing is y first.
    pub pixel_spacing: Option<[f64; 2]>,
    /// SpacingBetweenSlices of an enhanced frame's pixel measures; only used for a one-frame stack,
    /// whose positions give no slice spacing.
    pub slice_spacing: Option<f64>,
    pub rescale: Rescale,
}

/// The (DICOM keyword, value) pairs that distinguish one volume of a series from the others.
pub(crate) type StackKey = Vec<(String, String)>;

/// RescaleSlope/RescaleIntercept of one slice; identity when absent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rescale {
    pub slope: f64,
    pub intercept: f64,
}

/// Text of an attribute, or `None` when absent or empty. Byte values (VR UN, OB) are decoded as
/// ASCII text, which is what a numeric string under VR UN really holds.
pub(crate) fn text(obj: &InMemDicomObject, tag: dicom_core::Tag) -> Option<String> {
    let element = obj.get(tag)?;
    let raw = match element.value().primitive() {
        Some(PrimitiveValue::U8(bytes)) => String::from_utf8_lossy(bytes).into_owned(),
        _ => element.to_str().ok()?.into_owned(),
    };
    let trimmed = raw.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// The items of a sequence attribute; none when it is absent.
pub(crate) fn items(obj: &InMemDicomObject, tag: dicom_core::Tag) -> &[InMemDicomObject] {
    obj.get(tag).and_then(|e| e.items()).unwrap_or(&[])
}

/// The numbers of a DS/IS/US attribute (backslash-separated), checked to be `N` finite values.
pub(crate) fn numbers<const N: usize>(
    obj: &InMemDicomObject,
    tag: dicom_core::Tag,
    attribute: &'static str,
    file: &str,
) -> Result<Option<[f64; N]>, DicomError> {
    let Some(parsed) = number_list(obj, tag, attribute, file)? else {
        return Ok(None);
    };
    let count = parsed.len();
    parsed.try_into().map(Some).map_err(|_| DicomError::InvalidAttribute {
        file: file.into(),
        attribute,
        value: text(obj, tag).unwrap_or_default(),
        reason: format!("expected {N} value(s), found {count}"),
    })
}

/// Every number of a DS/IS/US attribute (backslash-separated), checked to be finite.
pub(crate) fn number_list(
    obj: &InMemDicomObject,
    tag: dicom_core::Tag,
    attribute: &'static str,
    file: &str,
) -> Result<Option<Vec<f64>>, DicomError> {
    let Some(value) = text(obj, tag) else {
        return Ok(None);
    };
    let invalid = |reason: String| DicomError::InvalidAttribute {
        file: file.into(),
        attribute,
        value: value.clone(),
        reason,
    };
    let parsed: Vec<f64> = value
        .split('\\')
        .map(|part| part.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|e| invalid(format!("not a number ({e})")))?;
    if let Some(bad) = parsed.iter().find(|v| !v.is_finite()) {
        return Err(invalid(format!("{bad} is not finite")));
    }
    Ok(Some(parsed))
}

fn positive_count(
    obj: &InMemDicomObject,
    tag: dicom_core::Tag,
    attribute: &'static str,
    file: &str,
) -> Result<Option<usize>, DicomError> {
    match numbers::<1>(obj, tag, attribute, file)? {
        None => Ok(None),
        Some([v]) if v >= 1.0 && v.fract() == 0.0 && v <= f64::from(u32::MAX) => Ok(Some(v as usize)),
        Some([v]) => Err(DicomError::InvalidAttribute {
            file: file.into(),
            attribute,
            value: v.to_string(),
            reason: "must be a positive whole number".into(),
        }),
    }
}

/// True for objects that can never be part of an image series to analyse.
pub(crate) fn is_non_image(obj: &DefaultDicomObject) -> bool {
    let sop_class = text(obj, tags::SOP_CLASS_UID).unwrap_or_else(|| obj.meta().media_storage_sop_class_uid.clone());
    let modality = text(obj, tags::MODALITY).unwrap_or_default();
    sop_class.trim_end_matches('\0') == MEDIA_DIRECTORY_SOP_CLASS
        || NON_IMAGE_MODALITIES.contains(&modality.as_str())
        || obj.get(tags::ROWS).is_none()
}

/// Reads the grouping and geometry attributes of an image object.
pub(crate) fn slice_header(obj: &InMemDicomObject, file: &DicomFile) -> Result<SliceHeader, DicomError> {
    let name = file.name.as_str();
    let required = |attribute| DicomError::MissingAttribute {
        file: name.into(),
        attribute,
    };
    let series_uid = text(obj, tags::SERIES_INSTANCE_UID).ok_or_else(|| required("SeriesInstanceUID"))?;
    let rows = positive_count(obj, tags::ROWS, "Rows", name)?.ok_or_else(|| required("Rows"))?;
    let columns = positive_count(obj, tags::COLUMNS, "Columns", name)?.ok_or_else(|| required("Columns"))?;
    let frames = positive_count(obj, tags::NUMBER_OF_FRAMES, "NumberOfFrames", name)?.unwrap_or(1);
    Ok(SliceHeader {
        file: file.clone(),
        name: name.into(),
        frame: 0,
        stack: classic_stack_key(obj, name)?,
        series_uid,
        study_uid: text(obj, tags::STUDY_INSTANCE_UID),
        frame_of_reference_uid: text(obj, tags::FRAME_OF_REFERENCE_UID),
        modality: text(obj, tags::MODALITY).unwrap_or_default(),
        description: text(obj, tags::SERIES_DESCRIPTION).unwrap_or_default(),
        rows,
        columns,
        frames,
        position: numbers(obj, tags::IMAGE_POSITION_PATIENT, "ImagePositionPatient", name)?,
        orientation: numbers(obj, tags::IMAGE_ORIENTATION_PATIENT, "ImageOrientationPatient", name)?,
        pixel_spacing: numbers(obj, tags::PIXEL_SPACING, "PixelSpacing", name)?,
        slice_spacing: None,
        rescale: rescale(obj, name)?,
    })
}

/// RescaleSlope/RescaleIntercept of a data set (the file, or an enhanced frame's
/// PixelValueTransformationSequence item); identity when absent.
pub(crate) fn rescale(obj: &InMemDicomObject, name: &str) -> Result<Rescale, DicomError> {
    let slope = numbers::<1>(obj, tags::RESCALE_SLOPE, "RescaleSlope", name)?.map_or(1.0, |[v]| v);
    let intercept = numbers::<1>(obj, tags::RESCALE_INTERCEPT, "RescaleIntercept", name)?.map_or(0.0, |[v]| v);
    if slope == 0.0 {
        return Err(DicomError::InvalidAttribute {
            file: name.into(),
            attribute: "RescaleSlope",
            value: "0".into(),
            reason: "a zero slope maps every pixel to the intercept".into(),
        });
    }
    Ok(Rescale { slope, intercept })
}

/// A classic series' slices split into volumes by TemporalPositionIdentifier (dynamic series) and
/// DiffusionBValue (diffusion series), the attributes scanners write per slice for that purpose.
fn classic_stack_key(obj: &InMemDicomObject, name: &str) -> Result<StackKey, DicomError> {
    let mut key = StackKey::new();
    if let Some([t]) = numbers::<1>(
        obj,
        tags::TEMPORAL_POSITION_IDENTIFIER,
        "TemporalPositionIdentifier",
        name,
    )? {
        key.push(("TemporalPositionIdentifier".into(), t.to_string()));
    }
    if let Some([b]) = numbers::<1>(obj, tags::DIFFUSION_B_VALUE, "DiffusionBValue", name)? {
        key.push(("DiffusionBValue".into(), b.to_string()));
    }
    Ok(key)
}
