//! Which study and series a DICOM input's chosen series belongs to, so a caller can link repeated
//! submissions (the API stores only salted hashes of these UIDs, never the UIDs).

use std::path::Path;

use dicom_dictionary_std::tags;
use dicom_object::OpenFileOptions;

use super::header::text;
use super::{DicomError, DicomFile, SeriesSelection, choose_series, find_dicom_files, unreadable};

/// The identifiers of one image series.
#[derive(Clone, PartialEq, Eq)]
pub struct SeriesIdentity {
    /// StudyInstanceUID; `None` when the files omit it (linking then works per series only).
    pub study_uid: Option<String>,
    /// SeriesInstanceUID.
    pub series_uid: String,
}

/// Identifiers are patient data: never printed by accident through `{:?}`.
impl std::fmt::Debug for SeriesIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SeriesIdentity(<redacted>)")
    }
}

/// The identity of the series [`super::read_dicom_input`] reads from `path` (a folder or one DICOM
/// file; extract a zip first) with the same selection. Reads headers only.
pub fn series_identity(path: &Path, select: &SeriesSelection) -> Result<SeriesIdentity, DicomError> {
    let name = path.display().to_string();
    let files = if path.is_dir() {
        find_dicom_files(path, &name)?
    } else {
        vec![DicomFile {
            path: path.into(),
            name,
        }]
    };
    let slices = choose_series(&files, select)?;
    let first = slices.first().ok_or(DicomError::NoImageSeries { files: files.len() })?;
    let obj = OpenFileOptions::new()
        .read_until(tags::PIXEL_DATA)
        .open_file(&first.file.path)
        .map_err(|e| unreadable(&first.file.name, e))?;
    Ok(SeriesIdentity {
        study_uid: text(&obj, tags::STUDY_INSTANCE_UID),
        series_uid: first.series_uid.clone(),
    })
}
