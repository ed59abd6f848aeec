//! PyRadiomics-compatible feature extraction.
//!
//! The pipeline for one image type is: crop image and mask to the mask's bounding box ([`Roi`]),
//! discretise the grey levels once, then run each enabled feature class on that region. Every class
//! lives in its own file and is a pure function of a [`Roi`] and the validated [`Settings`].

pub mod angles;
pub mod batch;
pub mod diagnostics;
pub mod discretisation;
mod error;
mod extract;
pub mod filters;
mod firstorder;
pub mod glcm;
pub mod gldm;
pub mod glrlm;
pub mod glszm;
pub mod ngtdm;
mod output;
pub mod params;
pub mod preprocess;
mod roi;
pub mod shape;
pub mod shape2d;
pub mod texture;

use ndarray::Array3;

pub use diagnostics::{DiagnosticValue, Diagnostics, diagnostics};
pub use error::FeatureError;
pub use extract::{FeatureVector, extract, extract_case, implemented_classes, region_to_read};
pub use output::{Cell, csv_header_and_row, feature_cells, json_object, to_csv, to_json};
pub use params::{ImageType, Params, Settings, WeightingNorm};
pub use roi::{bounding_box, discretise};

/// One image type's region of interest, cropped to the mask's bounding box (no padding).
///
/// Cropping never changes a feature: texture neighbours outside the mask are ignored anyway,
/// and shape pads its own copy of the mask.
#[derive(Debug, Clone)]
pub struct Roi {
    /// Image intensities, indexed `[z, y, x]`.
    pub image: Array3<f64>,
    /// `true` for voxels in the region, same shape as `image`.
    pub mask: Array3<bool>,
    /// Voxel spacing in mm, (x, y, z) order.
    pub spacing: [f64; 3],
    /// Discretised grey level of each voxel: PyRadiomics' bin index (1-based) inside the mask,
    /// 0 outside. Bin indices keep their values (they are not renumbered when a bin is empty),
    /// because texture features weight by the level value itself.
    pub grey_levels: Array3<u32>,
}

/// Feature values in PyRadiomics' order, keyed by the feature's PyRadiomics name within its class
/// (`Contrast`, `JointEnergy`); the extractor prefixes image type and class.
pub type ClassFeatures = Vec<(&'static str, f64)>;
