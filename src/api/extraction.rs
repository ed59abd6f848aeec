//! Feature extraction for a prediction, with the model's own PyRadiomics parameters.

use std::collections::BTreeMap;

use super::Error;
use super::error::imaging_error;
use crate::features::{self, FeatureError, Params};
use crate::imaging::CaseVolumes;
use crate::model::Artifact;

/// The validated parameters of a model's `radiomics_params` document; checked for every model at
/// start-up so a model the engine cannot serve stops the server instead of failing each request.
pub fn model_params(artifact: &Artifact) -> Result<Params, FeatureError> {
    Params::from_document(&artifact.radiomics_params)
}

/// The model's parameters for a request's region `label`: the request's label wins over the
/// document's, so one model serves masks labelled either way.
pub fn request_params(artifact: &Artifact, label: i32) -> Result<Params, Error> {
    let mut params = model_params(artifact)
        .map_err(|e| Error::Internal(format!("model {} has unusable radiomics_params: {e}", artifact.name)))?;
    params.use_label(label);
    Ok(params)
}

/// Extracts every feature `params` enable (taking the volumes, so each is freed once replaced).
pub fn extract_features(case: CaseVolumes, params: &Params) -> Result<BTreeMap<String, f64>, Error> {
    let features = features::extract_case(case, params).map_err(feature_error)?;
    Ok(features.into_iter().collect())
}

fn feature_error(e: FeatureError) -> Error {
    match e {
        FeatureError::Imaging(e) => imaging_error("mask", e),
        e @ (FeatureError::TooFewDimensions { .. }
        | FeatureError::TooSmall { .. }
        | FeatureError::ResegmentedAway { .. }
        | FeatureError::Resegmented { .. }
        | FeatureError::MaskCorrection { .. }) => Error::field("mask", e.to_string()),
        other => Error::Internal(format!("feature extraction failed: {other}")),
    }
}
