//! The API's one error type and its RFC 7807 `application/problem+json` rendering.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use crate::imaging::ImagingError;
use crate::imaging::archive::ArchiveError;
use crate::imaging::dicom::DicomError;
use crate::model::{FieldError, ModelError, RegistryError};
use crate::store::StoreError;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 400: the request is not a well-formed multipart body.
    #[error("{0}")]
    BadRequest(String),
    /// 422: one or more named fields are invalid (missing part, bad clinical value, unreadable
    /// image, empty mask, grid mismatch).
    #[error("{}", describe(.0))]
    Validation(Vec<FieldError>),
    /// 422 like `Validation`, plus a problem extension member `member` listing what the caller can
    /// choose from (the image series of a multi-series DICOM upload).
    #[error("{}", describe(.errors))]
    Choice {
        /// The invalid or missing field.
        errors: Vec<FieldError>,
        /// Name of the extension member.
        member: &'static str,
        /// The choices, as JSON.
        choices: Value,
    },
    /// 401: the admin route's bearer token is missing or wrong (answered with
    /// `WWW-Authenticate: Bearer`).
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the route is disabled by configuration (no admin token set).
    #[error("{0}")]
    Forbidden(String),
    /// 409: the request conflicts with the server's files (a model folder that does not load).
    #[error("{0}")]
    Conflict(String),
    /// 404: no such prediction, model or route.
    #[error("{0}")]
    NotFound(String),
    /// 413: the body exceeds the configured limit.
    #[error("request body exceeds the limit of {0} bytes")]
    PayloadTooLarge(usize),
    /// 503: a dependency (the database) is unavailable.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a fault of ours; the cause is logged, never shown.
    #[error("{0}")]
    Internal(String),
}

fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// One invalid field.
    pub fn field(field: &str, message: impl Into<String>) -> Error {
        Error::Validation(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    /// The HTTP status of this error.
    pub fn status_code(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Validation(_) | Error::Choice { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem `type` slug.
    fn kind(&self) -> &'static str {
        match self {
            Error::BadRequest(_) => "bad-request",
            Error::Validation(_) | Error::Choice { .. } => "validation",
            Error::Unauthorized(_) => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::Conflict(_) => "conflict",
            Error::NotFound(_) => "not-found",
            Error::PayloadTooLarge(_) => "payload-too-large",
            Error::Unavailable(_) => "unavailable",
            Error::Internal(_) => "internal",
        }
    }
}

/// An RFC 7807 problem document.
#[derive(Debug, Serialize)]
pub struct Problem {
    /// URI naming the problem kind.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind (the status reason).
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// This occurrence, in a sentence.
    pub detail: String,
    /// Invalid fields, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// RFC 7807 extension members (`series` for an ambiguous DICOM upload).
    #[serde(flatten)]
    pub extensions: serde_json::Map<String, Value>,
}

impl Problem {
    /// A problem with no field list.
    pub fn new(status: StatusCode, kind: &str, detail: String) -> Problem {
        Problem {
            kind: format!("urn:radscore:problem:{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            errors: Vec::new(),
            extensions: serde_json::Map::new(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let detail = match &self {
            // The cause may name internals; the log has it, the client gets a generic sentence.
            Error::Internal(_) => "an internal error occurred; the request id identifies it in the logs".into(),
            Error::Validation(_) | Error::Choice { .. } => "the request has invalid fields; see errors".into(),
            other => other.to_string(),
        };
        let mut problem = Problem::new(status, self.kind(), detail);
        match &self {
            Error::Validation(errors) => problem.errors.clone_from(errors),
            Error::Choice {
                errors,
                member,
                choices,
            } => {
                problem.errors.clone_from(errors);
                problem.extensions.insert((*member).to_owned(), choices.clone());
            }
            _ => {}
        }
        let mut response = problem.into_response();
        if let Error::Unauthorized(_) = self {
            // RFC 6750 §3: a 401 names the scheme the client must use.
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // Picked up by the logging middleware so each error is logged once, inside the request span.
        response.extensions_mut().insert(Arc::new(self));
        response
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        Error::Internal(e.to_string())
    }
}

impl From<RegistryError> for Error {
    fn from(e: RegistryError) -> Error {
        match e {
            RegistryError::UnknownModel { .. } => Error::NotFound(e.to_string()),
            other => Error::Internal(other.to_string()),
        }
    }
}

impl From<ModelError> for Error {
    fn from(e: ModelError) -> Error {
        match e {
            ModelError::Clinical(errors) => Error::Validation(errors),
            ModelError::NonFiniteFeature { .. } => Error::field("image", e.to_string()),
            // A loaded model that cannot score an extracted feature set is our defect.
            other => Error::Internal(other.to_string()),
        }
    }
}

/// Maps an imaging error while reading the upload `part` (`image` or `mask`) to the field at fault;
/// an ambiguous or unknown DICOM series is a `series_uid` problem listing the series present, and an
/// unchosen or absent volume a `volume` problem listing the volumes.
pub fn imaging_error(part: &str, e: ImagingError) -> Error {
    if let ImagingError::Dicom(dicom) = &e
        && let DicomError::AmbiguousSeries { series } | DicomError::SeriesNotFound { series, .. } = dicom.as_ref()
    {
        return Error::Choice {
            errors: vec![FieldError {
                field: "series_uid".into(),
                message: e.to_string(),
            }],
            member: "series",
            choices: serde_json::to_value(series).unwrap_or_default(),
        };
    }
    if let ImagingError::Dicom(dicom) = &e
        && let DicomError::VolumeRequired { stacks } | DicomError::VolumeOutOfRange { stacks, .. } = dicom.as_ref()
    {
        return Error::Choice {
            errors: vec![FieldError {
                field: "volume".into(),
                message: e.to_string(),
            }],
            member: "volumes",
            choices: serde_json::to_value(stacks).unwrap_or_default(),
        };
    }
    let field = match &e {
        ImagingError::GeometryMismatch { .. } => "mask",
        ImagingError::LabelNotFound { .. } => "label",
        ImagingError::VolumeRequired { .. } | ImagingError::VolumeOutOfRange { .. } => "volume",
        _ => part,
    };
    Error::field(field, e.to_string())
}

/// A rejected zip upload is a problem with the `image` part.
impl From<ArchiveError> for Error {
    fn from(e: ArchiveError) -> Error {
        Error::field("image", e.to_string())
    }
}
