//! TEMPORARY until features-core is merged (not to be committed).
use std::collections::BTreeMap;
use super::Error;
use crate::imaging::Volume;
use crate::model::Artifact;
pub fn extract_features(_: &Volume<f64>, _: &Volume<i32>, _: &Artifact, _: i32) -> Result<BTreeMap<String, f64>, Error> {
    Err(Error::Internal("extraction not merged".into()))
}
pub fn model_params(_: &Artifact) -> Result<(), String> { Ok(()) }
