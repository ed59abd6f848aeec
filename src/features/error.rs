//! Why features could not be extracted.

use super::preprocess::Resegmentation;
use crate::imaging::ImagingError;

/// An extraction failure: bad parameters, unusable inputs or a region PyRadiomics would refuse.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FeatureError {
    /// The image or mask cannot be used (grid mismatch, absent label, ...).
    #[error(transparent)]
    Imaging(#[from] ImagingError),
    /// A derived image type could not be computed (all-zero image for a logarithm, ...).
    #[error(transparent)]
    Filter(#[from] super::filters::FilterError),
    /// `shape2D` cannot be computed for this region (PyRadiomics raises the same `ValueError`).
    #[error(transparent)]
    Shape2d(#[from] super::shape2d::Shape2dError),
    /// A parameter document key is unknown, malformed, out of range or not implemented.
    #[error("parameter {key}: {message}")]
    Params {
        /// The key's path in the document (`setting.binWidth`, `featureClass.glcm`).
        key: String,
        /// What is wrong and what is accepted.
        message: String,
    },
    /// A feature class PyRadiomics knows but radscore does not compute yet.
    #[error("feature class {class} is not implemented yet; implemented classes: {}", .implemented.join(", "))]
    ClassNotImplemented {
        /// The requested class.
        class: String,
        /// The classes radscore computes.
        implemented: Vec<&'static str>,
    },
    /// The region is a single voxel or extends along fewer axes than `minimumROIDimensions`.
    #[error(
        "label {label}: the region extends along {dimensions} axis(es) but minimumROIDimensions is {required}{}",
        if *.dimensions == 0 { " (a single voxel)" } else { "" }
    )]
    TooFewDimensions {
        /// The label extracted.
        label: i32,
        /// Axes along which the region is more than one voxel thick.
        dimensions: usize,
        /// `minimumROIDimensions` (at least 1: a single voxel is always refused).
        required: usize,
    },
    /// The region holds no more voxels than `minimumROISize`.
    #[error("label {label}: the region has {voxels} voxels but minimumROISize requires more than {minimum}")]
    TooSmall {
        /// The label extracted.
        label: i32,
        /// Voxels in the region.
        voxels: u64,
        /// `minimumROISize`.
        minimum: u64,
    },
    /// Resegmentation (`resegmentRange`) left one voxel of the region or none.
    #[error("label {label}: {resegmentation} leaves {retained} voxel(s) of the region; features need at least 2")]
    ResegmentedAway {
        /// The label extracted.
        label: i32,
        /// Voxels left.
        retained: usize,
        /// The resegmentation applied.
        resegmentation: Resegmentation,
    },
    /// The resegmented region fails `minimumROIDimensions` or `minimumROISize`.
    #[error("after {resegmentation}, {source}")]
    Resegmented {
        /// The resegmentation applied.
        resegmentation: Resegmentation,
        /// The check the resegmented region fails.
        source: Box<FeatureError>,
    },
    /// `correctMask` is set but the mask cannot be resampled onto the image grid.
    #[error("correctMask: the mask is on another grid and cannot be resampled onto the image's: {source}")]
    MaskCorrection {
        /// Why (the region reaches outside the image, the label is absent).
        source: ImagingError,
    },
    /// A feature class did not return a feature it is registered for (a defect in radscore).
    #[error("internal error: feature class {class} did not compute {feature}")]
    MissingFeature {
        /// The class.
        class: &'static str,
        /// The missing feature.
        feature: &'static str,
    },
}
