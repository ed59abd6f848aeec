//! The clinical-radiomic model: its serialized artifact, how it scores a patient, how it is trained
//! and evaluated.

pub mod artifact;
pub mod cv;
pub mod evaluation;
pub mod fit;
pub mod lasso;
pub mod logistic;
pub mod registry;
pub mod report;
#[cfg(test)]
mod sklearn_parity;
pub mod stats;
pub mod train;
#[cfg(test)]
mod train_parity;

pub use artifact::{
    Artifact, ClinicalInput, ClinicalType, ClinicalValue, Contribution, FieldError, GroupSurvival, LogisticModel,
    ModelError, Prediction, RadiomicFeature, RiskGroup, RiskGroupSurvival, Term, sigmoid,
};
pub use fit::FitError;
pub use registry::{LoadedModel, Registry, RegistryError};
