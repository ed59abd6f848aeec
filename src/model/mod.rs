//! The clinical-radiomic model: its serialized artifact, how it scores a patient, and how it is trained.

pub mod artifact;
pub mod evaluation;
pub mod report;
pub mod stats;

pub use artifact::{
    Artifact, ClinicalInput, ClinicalType, ClinicalValue, Contribution, FieldError, LogisticModel, ModelError,
    Prediction, RadiomicFeature, RiskGroup, Term, sigmoid,
};
pub mod registry;

pub use registry::{LoadedModel, Registry, RegistryError};
