//! radscore: clinical-radiomic treatment-response scoring.
pub mod cohort;
pub mod features;
pub mod imaging;
pub mod model;
pub mod synth;
