//! `POST /v1/predictions` and `GET /v1/predictions/{id}`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, Path as UrlPath, State};
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use chrono::{SubsecRound, Utc};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::error::imaging_error;
use super::extraction;
use super::privacy::uid_hash;
use super::uploads::{
    ImageChoice, lay_out_image, open_uploaded_image, open_uploaded_mask, read_uploaded_mask, relative_to,
};
use super::{AppState, Error, Route};
use crate::features;
use crate::imaging::archive::ZipLimits;
use crate::imaging::dicom::SeriesIdentity;
use crate::imaging::{MaskSelection, read_case_volumes};
use crate::model::{ClinicalValue, FieldError, LoadedModel, Prediction, RiskGroup};
use crate::store::{PredictionRecord, Timings};

/// Routes of this module.
pub(super) fn routes() -> Vec<Route> {
    vec![
        (Method::POST, "/v1/predictions", post(create_prediction)),
        (Method::GET, "/v1/predictions/{id}", get(get_prediction)),
    ]
}

/// The model a prediction came from.
#[derive(Debug, Serialize)]
struct ModelRef {
    name: String,
    version: String,
    digest: String,
}

/// A prediction as returned by both routes (issue 2's response shape).
#[derive(Debug, Serialize)]
struct PredictionBody {
    id: Uuid,
    model: ModelRef,
    probability: f64,
    rad_score: f64,
    risk_group: String,
    cutoff: f64,
    contributions: Value,
    /// Training Kaplan–Meier medians of this risk group; null when the model lacks them.
    risk_group_survival: Option<Value>,
    /// Salted SHA-256 of the DICOM StudyInstanceUID; null for NIfTI/NRRD input.
    study_uid_hash: Option<String>,
    /// Salted SHA-256 of the DICOM SeriesInstanceUID; null for NIfTI/NRRD input.
    series_uid_hash: Option<String>,
    research_use_only: bool,
    created_at: String,
}

impl From<PredictionRecord> for PredictionBody {
    fn from(r: PredictionRecord) -> PredictionBody {
        PredictionBody {
            id: r.id,
            model: ModelRef {
                name: r.model_name,
                version: r.model_version,
                digest: r.model_digest,
            },
            probability: r.probability,
            rad_score: r.rad_score,
            risk_group: r.risk_group,
            cutoff: r.cutoff,
            contributions: r.contributions,
            risk_group_survival: r.risk_group_survival,
            study_uid_hash: r.study_uid_hash,
            series_uid_hash: r.series_uid_hash,
            research_use_only: r.research_use_only,
            created_at: r.created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        }
    }
}

async fn get_prediction(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<impl IntoResponse, Error> {
    let not_found = || Error::NotFound(format!("no prediction with id {id}"));
    let uuid = Uuid::parse_str(&id).map_err(|_| not_found())?;
    let record = state.store.get_prediction(uuid).await?.ok_or_else(not_found)?;
    Ok(Json(PredictionBody::from(record)))
}

/// One uploaded file: streamed to disk and hashed on the way.
struct Upload {
    sha256: String,
}

/// The parts of a prediction request after streaming.
#[derive(Default)]
struct Parts {
    /// One NIfTI/NRRD volume, DICOM file or zip, or several DICOM files, in arrival order.
    images: Vec<(PathBuf, Upload)>,
    mask: Option<Upload>,
    label: Option<String>,
    roi: Option<String>,
    series_uid: Option<String>,
    volume: Option<String>,
    clinical: Option<String>,
    model: Option<String>,
}

const PARTS: &str = "image, mask, label, roi, series_uid, volume, clinical, model";

impl Parts {
    /// SHA-256 of the image: of the one part, or, for several DICOM parts, of their sorted hex
    /// digests joined by newlines, so the same files in another order hash the same.
    fn image_sha256(&self) -> String {
        match self.images.as_slice() {
            [(_, single)] => single.sha256.clone(),
            several => {
                let mut digests: Vec<&str> = several.iter().map(|(_, u)| u.sha256.as_str()).collect();
                digests.sort_unstable();
                hex::encode(Sha256::digest(digests.join("\n")))
            }
        }
    }
}

fn multipart_error(e: MultipartError, limit: usize) -> Error {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Error::PayloadTooLarge(limit)
    } else {
        Error::BadRequest(format!("malformed multipart body: {}", e.body_text()))
    }
}

/// Streams one file part to `path`, returning its SHA-256; memory use stays one chunk.
async fn save_part(field: &mut Field<'_>, path: &Path, limit: usize) -> Result<Upload, Error> {
    let io = |e: std::io::Error| Error::Internal(format!("failed to write upload to temporary file: {e}"));
    let mut file = tokio::fs::File::create(path).await.map_err(io)?;
    let mut hasher = Sha256::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, limit))? {
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    Ok(Upload {
        sha256: hex::encode(hasher.finalize()),
    })
}

/// Streams every part: files below `dir/parts`, text fields into memory. At most `max_images`
/// image parts are accepted (the zip entry limit), so many tiny parts cannot flood the disk.
async fn read_parts(mut multipart: Multipart, dir: &Path, limit: usize, max_images: usize) -> Result<Parts, Error> {
    let saved = dir.join("parts");
    tokio::fs::create_dir(&saved)
        .await
        .map_err(|e| Error::Internal(format!("failed to create upload directory: {e}")))?;
    let mut parts = Parts::default();
    let mut errors = Vec::new();
    let mut too_many_images = false;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| multipart_error(e, limit))? {
        let name = field.name().unwrap_or_default().to_owned();
        let duplicate = match name.as_str() {
            "image" if parts.images.len() == max_images => {
                // Not saved; the rest of the body is still read so the client gets the answer.
                too_many_images = true;
                false
            }
            "image" => {
                let path = saved.join(format!("image.{}", parts.images.len()));
                let upload = save_part(&mut field, &path, limit).await?;
                parts.images.push((path, upload));
                false
            }
            "mask" => {
                let upload = save_part(&mut field, &dir.join("mask"), limit).await?;
                parts.mask.replace(upload).is_some()
            }
            "label" | "roi" | "series_uid" | "volume" | "clinical" | "model" => {
                let text = field.text().await.map_err(|e| multipart_error(e, limit))?;
                let slot = match name.as_str() {
                    "label" => &mut parts.label,
                    "roi" => &mut parts.roi,
                    "series_uid" => &mut parts.series_uid,
                    "volume" => &mut parts.volume,
                    "clinical" => &mut parts.clinical,
                    _ => &mut parts.model,
                };
                slot.replace(text).is_some()
            }
            _ => {
                errors.push(FieldError {
                    field: name.clone(),
                    message: format!("unknown part; expected {PARTS}"),
                });
                false
            }
        };
        if duplicate {
            errors.push(FieldError {
                field: name,
                message: "part given more than once".into(),
            });
        }
    }
    if too_many_images {
        errors.push(FieldError {
            field: "image".into(),
            message: format!("more than {max_images} image parts; send a large series as one zip"),
        });
    }
    for (present, field, what) in [
        (
            !parts.images.is_empty(),
            "image",
            "the MRI volume (NIfTI/NRRD, DICOM files or a zip of a DICOM series)",
        ),
        (
            parts.mask.is_some(),
            "mask",
            "the tumour label mask file on the image grid",
        ),
        (parts.clinical.is_some(), "clinical", "a JSON object of clinical inputs"),
    ] {
        if !present {
            errors.push(FieldError {
                field: field.into(),
                message: format!("required part is missing: {what}"),
            });
        }
    }
    if errors.is_empty() {
        Ok(parts)
    } else {
        Err(Error::Validation(errors))
    }
}

fn parse_label(label: Option<&str>) -> Result<i32, Error> {
    match label.map(str::trim) {
        None | Some("") => Ok(1),
        Some(text) => text
            .parse::<i32>()
            .ok()
            .filter(|&l| l != 0)
            .ok_or_else(|| Error::field("label", format!("{text:?} is not a non-zero integer mask label"))),
    }
}

/// `series_uid`: a DICOM UID (digits and dots, at most 64 characters), or absent.
fn parse_series_uid(text: Option<&str>) -> Result<Option<String>, Error> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(uid) if uid.len() <= 64 && uid.bytes().all(|b| b.is_ascii_digit() || b == b'.') => {
            Ok(Some(uid.to_owned()))
        }
        Some(_) => Err(Error::field(
            "series_uid",
            "is not a DICOM UID (digits and dots, at most 64 characters)",
        )),
    }
}

/// `volume`: a non-negative volume index, or absent.
fn parse_volume(text: Option<&str>) -> Result<Option<usize>, Error> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(index) => index
            .parse::<usize>()
            .map(Some)
            .map_err(|_| Error::field("volume", format!("{index:?} is not a volume index (0, 1, …)"))),
    }
}

/// `roi`: an RTSTRUCT ROI name or number, or absent.
fn parse_roi(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
}

fn parse_clinical(text: &str) -> Result<serde_json::Map<String, Value>, Error> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::field("clinical", "must be a JSON object of field name to value")),
        // serde_json's message gives line and column only, never the content.
        Err(e) => Err(Error::field("clinical", format!("is not valid JSON: {e}"))),
    }
}

fn millis(since: Instant) -> i64 {
    i64::try_from(since.elapsed().as_millis()).unwrap_or(i64::MAX)
}

async fn create_prediction(
    State(state): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<impl IntoResponse, Error> {
    let started = Instant::now();
    let limit = state.settings.max_body_bytes;
    let zip_limits = state.settings.zip_limits;
    let multipart =
        multipart.map_err(|e| Error::BadRequest(format!("expected multipart/form-data: {}", e.body_text())))?;
    // Removed when dropped: after scoring, or when a failure or timeout drops this future.
    let dir = tempfile::Builder::new()
        .prefix("radscore-upload-")
        .tempdir()
        .map_err(|e| Error::Internal(format!("failed to create upload directory: {e}")))?;
    let parts = read_parts(multipart, dir.path(), limit, zip_limits.max_entries).await?;
    let upload_ms = millis(started);

    let model = state.models.current().select(parts.model.as_deref())?;
    let request = ScoringRequest {
        label: parse_label(parts.label.as_deref())?,
        roi: parse_roi(parts.roi.as_deref()),
        choice: ImageChoice {
            series_uid: parse_series_uid(parts.series_uid.as_deref())?,
            volume: parse_volume(parts.volume.as_deref())?,
        },
        image_parts: parts.images.iter().map(|(path, _)| path.clone()).collect(),
        zip_limits,
    };
    let clinical_json = parse_clinical(parts.clinical.as_deref().unwrap_or_default())?;
    let clinical = model.artifact.validate_clinical(&clinical_json)?;

    let extraction_started = Instant::now();
    let permit = Arc::clone(&state.extractions)
        .acquire_owned()
        .await
        .map_err(|e| Error::Internal(format!("extraction limiter closed: {e}")))?;
    let span = tracing::Span::current();
    let scoring_model = Arc::clone(&model);
    let label = request.label;
    let scored = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let _dir = dir;
        span.in_scope(|| {
            score_upload(_dir.path(), &scoring_model, &request, &clinical).map_err(|e| relative_to(e, _dir.path()))
        })
    })
    .await
    .map_err(|e| {
        if e.is_panic() {
            // Re-raise so the catch-panic layer answers exactly as for a handler panic.
            std::panic::resume_unwind(e.into_panic())
        } else {
            Error::Internal(format!("extraction task was cancelled: {e}"))
        }
    })??;
    let extraction_ms = millis(extraction_started) - scored.scoring_ms;
    tracing::debug!(features = scored.features, "scored upload");

    let prediction = scored.prediction;
    let survival = model
        .artifact
        .risk_group_survival
        .as_ref()
        .map(|s| match prediction.risk_group {
            RiskGroup::High => &s.high,
            RiskGroup::Low => &s.low,
        });
    let identity = scored.identity.as_ref();
    let record = PredictionRecord {
        id: Uuid::new_v4(),
        // Microseconds: what the database keeps, so GET returns exactly what POST did.
        created_at: Utc::now().trunc_subsecs(6),
        model_name: model.artifact.name.clone(),
        model_version: model.artifact.version.clone(),
        model_digest: model.digest.clone(),
        research_use_only: model.artifact.research_use_only,
        image_sha256: parts.image_sha256(),
        mask_sha256: parts.mask.map(|u| u.sha256).unwrap_or_default(),
        label,
        clinical: Value::Object(clinical_json),
        probability: prediction.probability,
        rad_score: prediction.rad_score,
        risk_group: serde_json::to_value(prediction.risk_group)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        cutoff: model.artifact.cutoff,
        contributions: serde_json::to_value(&prediction.contributions)
            .map_err(|e| Error::Internal(format!("failed to serialise contributions: {e}")))?,
        study_uid_hash: identity
            .and_then(|i| i.study_uid.as_deref())
            .map(|uid| uid_hash(&state.uid_salt, uid)),
        series_uid_hash: identity.map(|i| uid_hash(&state.uid_salt, &i.series_uid)),
        risk_group_survival: survival
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| Error::Internal(format!("failed to serialise risk_group_survival: {e}")))?,
        timings: Timings {
            upload_ms,
            extraction_ms,
            scoring_ms: scored.scoring_ms,
            total_ms: millis(started),
        },
    };
    state.store.insert_prediction(&record).await?;
    Ok((StatusCode::CREATED, Json(PredictionBody::from(record))))
}

/// What the blocking scoring step needs besides the model and clinical inputs.
struct ScoringRequest {
    label: i32,
    roi: Option<String>,
    choice: ImageChoice,
    image_parts: Vec<PathBuf>,
    zip_limits: ZipLimits,
}

/// The outcome of scoring an upload.
struct Scored {
    features: usize,
    prediction: Prediction,
    identity: Option<SeriesIdentity>,
    scoring_ms: i64,
}

/// Reads the uploads, extracts the model's features and scores them; CPU-bound, runs on the
/// blocking pool.
fn score_upload(
    dir: &Path,
    model: &LoadedModel,
    request: &ScoringRequest,
    clinical: &BTreeMap<String, ClinicalValue>,
) -> Result<Scored, Error> {
    let input = lay_out_image(dir, &request.image_parts, &request.zip_limits)?;
    let opened = open_uploaded_image(&input, &request.choice, &request.zip_limits)?;
    let select = MaskSelection {
        label: request.label,
        roi: request.roi.clone(),
    };
    let mask_path = dir.join("mask");
    let mask = open_uploaded_mask(&mask_path, &opened, &select)?;
    let params = extraction::request_params(&model.artifact, request.label)?;
    // Only the part of the image and mask the model's settings use is read (the mask's box, or what
    // resampling reads).
    let region = features::region_to_read(&params, opened.geometry(), || mask.extent());
    let mask = read_uploaded_mask(&mask_path, mask, &select, region.as_ref())?;
    let (case, identity) = read_case_volumes(opened, mask, region.as_ref()).map_err(|e| imaging_error("image", e))?;
    let features = extraction::extract_features(case, &params)?;
    let scoring_started = Instant::now();
    let prediction = model.artifact.predict(&features, clinical)?;
    Ok(Scored {
        features: features.len(),
        prediction,
        identity,
        scoring_ms: millis(scoring_started),
    })
}
