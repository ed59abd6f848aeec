//! Derived image types PyRadiomics computes features on (`LoG`, `Wavelet`, …), each a pure function
//! from one intensity array to one or more filtered arrays of the same shape.

mod wavelet;
mod wavelet_filters;

pub use wavelet::{WaveletImage, wavelet_decompositions, wavelet_filters};

/// Why a filter cannot run with the given settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// `wavelet` names no wavelet PyWavelets (and so radscore) knows.
    #[error("unknown wavelet {name:?}; known wavelets: {}", known.join(", "))]
    UnknownWavelet {
        /// The requested name.
        name: String,
        /// Every accepted name.
        known: Vec<&'static str>,
    },
    /// A filter setting is out of range.
    #[error("image type setting {key}: {message}")]
    InvalidSetting {
        /// The PyRadiomics setting name.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}
