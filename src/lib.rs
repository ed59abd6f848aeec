//! radscore: clinical-radiomic treatment-response scoring.
pub mod api;
pub mod cohort;
pub mod config;
pub mod features;
pub mod imaging;
pub mod model;
pub mod store;
pub mod study;
pub mod synth;
#[cfg(test)]
mod test_support;
