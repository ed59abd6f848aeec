//! Liveness, readiness and the OpenAPI document.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

use super::{AppState, Error, Route};

/// The OpenAPI 3.1 description served at `/openapi.yaml`.
pub const OPENAPI_YAML: &str = include_str!("../../openapi.yaml");

/// Routes of this module.
pub(super) fn routes() -> Vec<Route> {
    vec![
        (Method::GET, "/healthz", get(healthz)),
        (Method::GET, "/readyz", get(readyz)),
        (Method::GET, "/openapi.yaml", get(openapi)),
    ]
}

/// Alive: the process answers. Deliberately checks nothing else, so a database outage makes the
/// service unready rather than getting it restarted.
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// Ready: the database answers and a default model is loaded (the registry cannot exist without).
async fn readyz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, Error> {
    state
        .store
        .ping()
        .await
        .map_err(|e| Error::Unavailable(format!("database is not reachable: {e}")))?;
    Ok(Json(
        json!({"status": "ready", "default_model": state.models.current().default_selector()}),
    ))
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/yaml")], OPENAPI_YAML)
}
