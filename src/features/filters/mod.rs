//! Derived image types PyRadiomics computes features on (`LoG`, `Wavelet`, …), each a pure function
//! from one intensity array to one or more filtered arrays of the same shape.

mod gradient;
mod lbp2d;
mod lbp3d;
mod log;
mod ndimage_spline;
mod simple;
mod wavelet;
mod wavelet_filters;

pub use gradient::{GRADIENT_IMAGE_NAME, gradient_magnitude};
pub use lbp2d::{LBP2D_IMAGE_NAME, Lbp2dMethod, Lbp2dOptions, lbp2d_image};
pub use lbp3d::{Lbp3dOptions, icosphere, lbp3d_images};
pub use log::{LogImage, LogImages, LogSkipReason, Sigma, log_image, log_images};
pub use simple::PointwiseFilter;
pub use wavelet::{WaveletImage, for_each_wavelet_image, wavelet_filters};

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
    /// A point-wise filter scales by the largest absolute intensity, and the image is 0 everywhere.
    #[error("image type {image_type}: every voxel is 0, so its scale factor (1 / max|x|) is undefined")]
    AllZeroImage {
        /// PyRadiomics' image-type name (`square`, `logarithm`, `exponential`).
        image_type: &'static str,
    },
}
