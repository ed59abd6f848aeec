//! radscore: clinical-radiomic treatment-response scoring.
pub mod features;
pub mod imaging;
pub mod model;
pub mod cohort;
pub mod synth;
