//! The clinical-radiomic model: its serialized artifact, how it scores a patient, and how it is trained.

pub mod artifact;

pub use artifact::{
    Artifact, ClinicalInput, ClinicalType, ClinicalValue, Contribution, FieldError, LogisticModel, ModelError,
    Prediction, RadiomicFeature, RiskGroup, Term, sigmoid,
};
pub mod cv;
pub mod fit;
pub mod lasso;
pub mod logistic;

pub use fit::FitError;
#[cfg(test)]
mod sklearn_parity;
pub mod train;
