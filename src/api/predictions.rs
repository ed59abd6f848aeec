//! `POST /v1/predictions` and `GET /v1/predictions/{id}`.

use std::collections::BTreeMap;
use std::path::Path;
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

use super::{AppState, Error, Route};
use crate::api::error::imaging_error;
use crate::model::{ClinicalValue, FieldError, LoadedModel, Prediction};
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
    image: Option<Upload>,
    mask: Option<Upload>,
    label: Option<String>,
    clinical: Option<String>,
    model: Option<String>,
}

const PARTS: &str = "image, mask, label, clinical, model";

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

async fn read_parts(mut multipart: Multipart, dir: &Path, limit: usize) -> Result<Parts, Error> {
    let mut parts = Parts::default();
    let mut errors = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(|e| multipart_error(e, limit))? {
        let name = field.name().unwrap_or_default().to_owned();
        let duplicate = match name.as_str() {
            "image" | "mask" => {
                let upload = save_part(&mut field, &dir.join(&name), limit).await?;
                let slot = if name == "image" {
                    &mut parts.image
                } else {
                    &mut parts.mask
                };
                slot.replace(upload).is_some()
            }
            "label" | "clinical" | "model" => {
                let text = field.text().await.map_err(|e| multipart_error(e, limit))?;
                let slot = match name.as_str() {
                    "label" => &mut parts.label,
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
    for (present, field, what) in [
        (parts.image.is_some(), "image", "the MRI volume file (NIfTI-1 or NRRD)"),
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
    let multipart =
        multipart.map_err(|e| Error::BadRequest(format!("expected multipart/form-data: {}", e.body_text())))?;
    // Removed when dropped: after scoring, or when a failure or timeout drops this future.
    let dir = tempfile::Builder::new()
        .prefix("radscore-upload-")
        .tempdir()
        .map_err(|e| Error::Internal(format!("failed to create upload directory: {e}")))?;
    let parts = read_parts(multipart, dir.path(), limit).await?;
    let upload_ms = millis(started);

    let model = state.registry.select(parts.model.as_deref())?;
    let label = parse_label(parts.label.as_deref())?;
    let clinical_json = parse_clinical(parts.clinical.as_deref().unwrap_or_default())?;
    let clinical = model.artifact.validate_clinical(&clinical_json)?;

    let extraction_started = Instant::now();
    let permit = Arc::clone(&state.extractions)
        .acquire_owned()
        .await
        .map_err(|e| Error::Internal(format!("extraction limiter closed: {e}")))?;
    let span = tracing::Span::current();
    let scoring_model = Arc::clone(&model);
    let (features, prediction, scoring_ms) = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let _dir = dir;
        span.in_scope(|| score_files(_dir.path(), &scoring_model, label, &clinical))
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
    let extraction_ms = millis(extraction_started) - scoring_ms;
    tracing::debug!(features, "scored upload");

    let (image, mask) = (parts.image, parts.mask);
    let record = PredictionRecord {
        id: Uuid::new_v4(),
        // Microseconds: what the database keeps, so GET returns exactly what POST did.
        created_at: Utc::now().trunc_subsecs(6),
        model_name: model.artifact.name.clone(),
        model_version: model.artifact.version.clone(),
        model_digest: model.digest.clone(),
        research_use_only: model.artifact.research_use_only,
        image_sha256: image.map(|u| u.sha256).unwrap_or_default(),
        mask_sha256: mask.map(|u| u.sha256).unwrap_or_default(),
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
        timings: Timings {
            upload_ms,
            extraction_ms,
            scoring_ms,
            total_ms: millis(started),
        },
    };
    state.store.insert_prediction(&record).await?;
    Ok((StatusCode::CREATED, Json(PredictionBody::from(record))))
}

/// Reads the uploads, extracts the model's features and scores them; CPU-bound, runs on the
/// blocking pool. Returns the number of features extracted, the prediction and scoring time.
fn score_files(
    dir: &Path,
    model: &LoadedModel,
    label: i32,
    clinical: &BTreeMap<String, ClinicalValue>,
) -> Result<(usize, Prediction, i64), Error> {
    let image = crate::imaging::read_image(&dir.join("image"), "image").map_err(|e| imaging_error("image", e))?;
    let mask = crate::imaging::read_labels(&dir.join("mask"), "mask").map_err(|e| imaging_error("mask", e))?;
    let features = super::extraction::extract_features(&image, &mask, &model.artifact, label)?;
    let scoring_started = Instant::now();
    let prediction = model.artifact.predict(&features, clinical)?;
    Ok((features.len(), prediction, millis(scoring_started)))
}
