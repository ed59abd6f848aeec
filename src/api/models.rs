//! `GET /v1/models` and `GET /v1/models/{name}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::routing::get;
use serde::Serialize;
use serde_json::Value;

use super::{AppState, Error, Route};
use crate::model::{ClinicalInput, LoadedModel, RiskGroupSurvival};

/// Routes of this module.
pub(super) fn routes() -> Vec<Route> {
    vec![
        (Method::GET, "/v1/models", get(list_models)),
        (Method::GET, "/v1/models/{name}", get(describe_model)),
    ]
}

#[derive(Serialize)]
struct ModelList {
    default: String,
    models: Vec<ModelSummary>,
}

#[derive(Serialize)]
struct ModelSummary {
    name: String,
    latest_version: String,
    versions: Vec<String>,
    research_use_only: bool,
    intended_use: String,
}

/// One version's identity, cutoff and training summary (issue 5: metrics per version).
#[derive(Serialize)]
struct VersionSummary {
    version: String,
    digest: String,
    research_use_only: bool,
    cutoff: f64,
    training: Value,
    risk_group_survival: Option<RiskGroupSurvival>,
}

#[derive(Serialize)]
struct ModelDetail {
    name: String,
    version: String,
    digest: String,
    research_use_only: bool,
    intended_use: String,
    cutoff: f64,
    radiomic_features: Vec<String>,
    clinical_inputs: Vec<ClinicalInput>,
    versions: Vec<VersionSummary>,
}

fn version_summary(m: &LoadedModel) -> VersionSummary {
    VersionSummary {
        version: m.artifact.version.clone(),
        digest: m.digest.clone(),
        research_use_only: m.artifact.research_use_only,
        cutoff: m.artifact.cutoff,
        training: m.artifact.training.clone(),
        risk_group_survival: m.artifact.risk_group_survival.clone(),
    }
}

async fn list_models(State(state): State<AppState>) -> Json<ModelList> {
    let registry = state.models.current();
    let models = registry
        .models()
        .filter_map(|(name, versions)| {
            let latest = versions.last()?;
            Some(ModelSummary {
                name: name.to_owned(),
                latest_version: latest.artifact.version.clone(),
                versions: versions.iter().map(|m| m.artifact.version.clone()).collect(),
                research_use_only: latest.artifact.research_use_only,
                intended_use: latest.artifact.intended_use.clone(),
            })
        })
        .collect();
    Json(ModelList {
        default: registry.default_selector().to_owned(),
        models,
    })
}

/// `{name}` is a model name (its newest version is described) or `name@version`.
async fn describe_model(
    State(state): State<AppState>,
    Path(selector): Path<String>,
) -> Result<Json<ModelDetail>, Error> {
    let registry = state.models.current();
    let model = registry.select(Some(&selector))?;
    let a = &model.artifact;
    let versions = registry
        .versions(&a.name)
        .unwrap_or_default()
        .iter()
        .map(|m| version_summary(m))
        .collect();
    Ok(Json(ModelDetail {
        name: a.name.clone(),
        version: a.version.clone(),
        digest: model.digest.clone(),
        research_use_only: a.research_use_only,
        intended_use: a.intended_use.clone(),
        cutoff: a.cutoff,
        radiomic_features: a.feature_names().map(str::to_owned).collect(),
        clinical_inputs: a.clinical_inputs.clone(),
        versions,
    }))
}
