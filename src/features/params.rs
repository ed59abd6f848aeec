//! PyRadiomics parameter files: the raw document (stage 1, types only) and the validated
//! [`Params`] built from it (stage 2, values and what radscore implements).
//!
//! Every key PyRadiomics 3.1 knows is recognised (its `paramSchema.yaml`). A key whose value cannot
//! change the numbers yet (null, false, the default, speed-only keys like `preCrop`, filter options
//! of image types that are not enabled) is accepted; a value that would change the numbers but is not
//! implemented is an error naming the key, never silently ignored.

use serde::de::DeserializeOwned;
use serde_yaml::{Mapping, Value};

use super::FeatureError;
use super::filters::{Lbp2dMethod, Lbp2dOptions, Lbp3dOptions, Sigma};
use super::preprocess::{ResegmentMode, Resegmentation};
use crate::imaging::Interpolator;

/// A validated PyRadiomics parameter document.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// `imageType`: the images features are computed on, in document order.
    pub image_types: Vec<ImageTypeSettings>,
    /// `featureClass`: enabled classes in document order, each with its selected features in
    /// document order (`None`: every non-deprecated feature of the class).
    pub classes: Vec<ClassSelection>,
    /// `setting`.
    pub settings: Settings,
}

/// An enabled feature class and its selected features (`None`: every non-deprecated one).
pub type ClassSelection = (&'static str, Option<Vec<&'static str>>);

/// An image type features are computed on, with its options. The images it yields name the
/// features (`original_…`, `log-sigma-1-0-mm-3D_…`, `wavelet-LLH_…`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ImageType {
    /// `Original`: the image as read (after resampling, if enabled).
    Original,
    /// `LoG`: Laplacian of Gaussian, one image per `sigma` (mm).
    LoG {
        /// `sigma`, as written (PyRadiomics names images after Python's `str(sigma)`).
        sigmas: Vec<Sigma>,
    },
    /// `Wavelet`: stationary wavelet sub-bands.
    Wavelet {
        /// `wavelet` (default `coif1`).
        wavelet: String,
        /// `start_level` (default 0).
        start_level: u32,
        /// `level` (default 1).
        level: u32,
    },
    /// `Square`.
    Square,
    /// `SquareRoot`.
    SquareRoot,
    /// `Logarithm`.
    Logarithm,
    /// `Exponential`.
    Exponential,
    /// `Gradient`.
    Gradient {
        /// `gradientUseSpacing` (default true).
        use_spacing: bool,
    },
    /// `LBP2D`: local binary patterns slice by slice, in the planes normal to `force2Ddimension`.
    Lbp2d(Lbp2dOptions),
    /// `LBP3D`: spherical-harmonic local binary pattern levels and the kurtosis image.
    Lbp3d(Lbp3dOptions),
}

/// An enabled image type and the settings its features use: `setting` overlaid with the image
/// type's own mapping, as PyRadiomics merges them.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageTypeSettings {
    /// The image type and its options.
    pub image_type: ImageType,
    /// Settings for features on its images.
    pub settings: Settings,
}

/// Validated extraction settings (PyRadiomics names in comments).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `label`: the mask value that marks the region.
    pub label: i32,
    /// `binWidth` (default 25) unless `binCount` is set.
    pub bin_width: f64,
    /// `binCount`: a fixed number of bins instead of a fixed width.
    pub bin_count: Option<u32>,
    /// `voxelArrayShift` added before Energy, TotalEnergy and RootMeanSquared.
    pub voxel_array_shift: f64,
    /// `distances` for GLCM and NGTDM neighbourhoods (default `[1]`).
    pub distances: Vec<u32>,
    /// `symmetricalGLCM` (default true).
    pub symmetrical_glcm: bool,
    /// `gldm_a`: the dependence tolerance α (default 0).
    pub gldm_a: f64,
    /// `weightingNorm` for GLCM: how matrices of different angles are weighted by distance
    /// (`None` averages features over angles, PyRadiomics' default).
    pub weighting_norm: Option<WeightingNorm>,
    /// `force2D`: compute texture in-plane only, slice by slice.
    pub force_2d: bool,
    /// `force2Ddimension`: the axis (0 = z/axial, 1 = y/coronal, 2 = x/sagittal in `[z, y, x]` order)
    /// normal to the planes used when `force_2d` is set.
    pub force_2d_dimension: usize,
    /// `geometryTolerance` between image and mask grids (default 1e-6).
    pub geometry_tolerance: f64,
    /// `minimumROIDimensions`: how many axes the region must extend along (1–3, default 2).
    pub minimum_roi_dimensions: usize,
    /// `minimumROISize`: the region must hold more than this many voxels (default: no check).
    pub minimum_roi_size: Option<u64>,
    /// `correctMask`: resample (nearest neighbour) a mask whose grid differs from the image's onto
    /// the image's grid, provided its region lies inside the image.
    pub correct_mask: bool,
    /// `normalize`: standardise the whole image (mean 0, standard deviation 1) before anything else.
    pub normalize: bool,
    /// `normalizeScale`: factor applied after normalising (default 1).
    pub normalize_scale: f64,
    /// `removeOutliers`: when normalising, clamp values beyond ± this many standard deviations.
    pub remove_outliers: Option<f64>,
    /// `resegmentRange` with `resegmentMode`: keep only region voxels within the thresholds.
    pub resegment: Option<Resegmentation>,
    /// `resegmentShape`: compute shape on the resegmented region too (default: the original one).
    pub resegment_shape: bool,
    /// `resampledPixelSpacing` (x, y, z mm; 0 keeps an axis): resample image and mask before
    /// extraction, on a grid cropped to the region padded by `pad_distance` voxels.
    pub resampled_pixel_spacing: Option<[f64; 3]>,
    /// `interpolator` for the image when resampling (the mask is always nearest neighbour).
    pub interpolator: Interpolator,
    /// `padDistance`: voxels of margin around the region when resampling or pre-cropping.
    pub pad_distance: usize,
    /// `preCrop`: crop image and mask to the padded region before filtering (no resampling).
    pub pre_crop: bool,
}

/// PyRadiomics' `weightingNorm` values for GLCM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightingNorm {
    /// `manhattan`.
    Manhattan,
    /// `euclidean`.
    Euclidean,
    /// `infinity`.
    Infinity,
    /// `no_weighting`: matrices summed with weight 1.
    NoWeighting,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            label: 1,
            bin_width: 25.0,
            bin_count: None,
            voxel_array_shift: 0.0,
            distances: vec![1],
            symmetrical_glcm: true,
            gldm_a: 0.0,
            weighting_norm: None,
            force_2d: false,
            force_2d_dimension: 0,
            geometry_tolerance: 1e-6,
            minimum_roi_dimensions: 2,
            minimum_roi_size: None,
            correct_mask: false,
            normalize: false,
            normalize_scale: 1.0,
            remove_outliers: None,
            resegment: None,
            resegment_shape: false,
            resampled_pixel_spacing: None,
            interpolator: Interpolator::BSpline,
            pad_distance: 5,
            pre_crop: false,
        }
    }
}

/// A PyRadiomics feature class: its features in PyRadiomics' order (sorted by method name, as
/// `getFeatureNames` lists them) and the deprecated ones it no longer enables.
#[derive(Debug)]
pub struct FeatureClassInfo {
    /// Class name as in `featureClass` (`glcm`).
    pub name: &'static str,
    /// Non-deprecated features, PyRadiomics' order.
    pub features: &'static [&'static str],
    /// Deprecated features, which radscore does not compute.
    pub deprecated: &'static [&'static str],
}

/// Every PyRadiomics 3.1 feature class (`radiomics.getFeatureClasses()`).
pub const FEATURE_CLASSES: &[FeatureClassInfo] = &[
    FeatureClassInfo {
        name: "firstorder",
        features: &[
            "10Percentile",
            "90Percentile",
            "Energy",
            "Entropy",
            "InterquartileRange",
            "Kurtosis",
            "Maximum",
            "MeanAbsoluteDeviation",
            "Mean",
            "Median",
            "Minimum",
            "Range",
            "RobustMeanAbsoluteDeviation",
            "RootMeanSquared",
            "Skewness",
            "TotalEnergy",
            "Uniformity",
            "Variance",
        ],
        deprecated: &["StandardDeviation"],
    },
    FeatureClassInfo {
        name: "shape",
        features: &[
            "Elongation",
            "Flatness",
            "LeastAxisLength",
            "MajorAxisLength",
            "Maximum2DDiameterColumn",
            "Maximum2DDiameterRow",
            "Maximum2DDiameterSlice",
            "Maximum3DDiameter",
            "MeshVolume",
            "MinorAxisLength",
            "Sphericity",
            "SurfaceArea",
            "SurfaceVolumeRatio",
            "VoxelVolume",
        ],
        deprecated: &["Compactness1", "Compactness2", "SphericalDisproportion"],
    },
    FeatureClassInfo {
        name: "shape2D",
        features: &[
            "Elongation",
            "MajorAxisLength",
            "MaximumDiameter",
            "MeshSurface",
            "MinorAxisLength",
            "Perimeter",
            "PerimeterSurfaceRatio",
            "PixelSurface",
            "Sphericity",
        ],
        deprecated: &["SphericalDisproportion"],
    },
    FeatureClassInfo {
        name: "glcm",
        features: &[
            "Autocorrelation",
            "ClusterProminence",
            "ClusterShade",
            "ClusterTendency",
            "Contrast",
            "Correlation",
            "DifferenceAverage",
            "DifferenceEntropy",
            "DifferenceVariance",
            "Id",
            "Idm",
            "Idmn",
            "Idn",
            "Imc1",
            "Imc2",
            "InverseVariance",
            "JointAverage",
            "JointEnergy",
            "JointEntropy",
            "MCC",
            "MaximumProbability",
            "SumAverage",
            "SumEntropy",
            "SumSquares",
        ],
        deprecated: &["Dissimilarity", "Homogeneity1", "Homogeneity2", "SumVariance"],
    },
    FeatureClassInfo {
        name: "glrlm",
        features: &[
            "GrayLevelNonUniformity",
            "GrayLevelNonUniformityNormalized",
            "GrayLevelVariance",
            "HighGrayLevelRunEmphasis",
            "LongRunEmphasis",
            "LongRunHighGrayLevelEmphasis",
            "LongRunLowGrayLevelEmphasis",
            "LowGrayLevelRunEmphasis",
            "RunEntropy",
            "RunLengthNonUniformity",
            "RunLengthNonUniformityNormalized",
            "RunPercentage",
            "RunVariance",
            "ShortRunEmphasis",
            "ShortRunHighGrayLevelEmphasis",
            "ShortRunLowGrayLevelEmphasis",
        ],
        deprecated: &[],
    },
    FeatureClassInfo {
        name: "glszm",
        features: &[
            "GrayLevelNonUniformity",
            "GrayLevelNonUniformityNormalized",
            "GrayLevelVariance",
            "HighGrayLevelZoneEmphasis",
            "LargeAreaEmphasis",
            "LargeAreaHighGrayLevelEmphasis",
            "LargeAreaLowGrayLevelEmphasis",
            "LowGrayLevelZoneEmphasis",
            "SizeZoneNonUniformity",
            "SizeZoneNonUniformityNormalized",
            "SmallAreaEmphasis",
            "SmallAreaHighGrayLevelEmphasis",
            "SmallAreaLowGrayLevelEmphasis",
            "ZoneEntropy",
            "ZonePercentage",
            "ZoneVariance",
        ],
        deprecated: &[],
    },
    FeatureClassInfo {
        name: "gldm",
        features: &[
            "DependenceEntropy",
            "DependenceNonUniformity",
            "DependenceNonUniformityNormalized",
            "DependenceVariance",
            "GrayLevelNonUniformity",
            "GrayLevelVariance",
            "HighGrayLevelEmphasis",
            "LargeDependenceEmphasis",
            "LargeDependenceHighGrayLevelEmphasis",
            "LargeDependenceLowGrayLevelEmphasis",
            "LowGrayLevelEmphasis",
            "SmallDependenceEmphasis",
            "SmallDependenceHighGrayLevelEmphasis",
            "SmallDependenceLowGrayLevelEmphasis",
        ],
        deprecated: &["DependencePercentage", "GrayLevelNonUniformityNormalized"],
    },
    FeatureClassInfo {
        name: "ngtdm",
        features: &["Busyness", "Coarseness", "Complexity", "Contrast", "Strength"],
        deprecated: &[],
    },
];

/// The catalogue entry of a PyRadiomics feature class.
pub fn feature_class(name: &str) -> Option<&'static FeatureClassInfo> {
    FEATURE_CLASSES.iter().find(|c| c.name == name)
}

/// Every PyRadiomics image type (`radiomics.getImageTypes()`).
const IMAGE_TYPES: &[&str] = &[
    "Original",
    "Wavelet",
    "LoG",
    "Square",
    "SquareRoot",
    "Logarithm",
    "Exponential",
    "Gradient",
    "LBP2D",
    "LBP3D",
];

const SECTIONS: &[&str] = &["imageType", "featureClass", "setting", "voxelSetting"];

impl Default for Params {
    /// PyRadiomics' defaults: the original image, every implemented class with all its
    /// non-deprecated features, default settings.
    fn default() -> Self {
        Params {
            image_types: vec![ImageTypeSettings {
                image_type: ImageType::Original,
                settings: Settings::default(),
            }],
            classes: all_implemented_classes(),
            settings: Settings::default(),
        }
    }
}

impl Params {
    /// Parses and validates a PyRadiomics parameter file's text.
    pub fn from_yaml_str(text: &str) -> Result<Params, FeatureError> {
        let document: Value = serde_yaml::from_str(text).map_err(|e| params_error("(document)", e))?;
        Params::from_yaml_value(&document)
    }

    /// Validates a parameter document stored as JSON (as in a model artifact). JSON objects carry
    /// no order here, so classes and selected features come out in name order.
    pub fn from_document(document: &serde_json::Value) -> Result<Params, FeatureError> {
        let document = serde_yaml::to_value(document).map_err(|e| params_error("(document)", e))?;
        Params::from_yaml_value(&document)
    }

    /// Overrides `label` (the command line's `--label`, the API's `label` field) with the same
    /// rule as the document's: a positive integer.
    pub fn set_label(&mut self, label: i64) -> Result<(), FeatureError> {
        self.use_label(positive_label(label)?);
        Ok(())
    }

    /// Sets `label` in the settings and every image type's settings, as validated by the caller (the
    /// API accepts any non-zero label).
    pub fn use_label(&mut self, label: i32) {
        self.settings.label = label;
        for image_type in &mut self.image_types {
            image_type.settings.label = label;
        }
    }

    fn from_yaml_value(document: &Value) -> Result<Params, FeatureError> {
        let empty = Mapping::new();
        let top = mapping_or_empty(document, "(document)", &empty)?;
        let mut params = Params::default();
        let mut image_section = &Value::Null;
        let mut setting_section = &empty;
        for (key, value) in top {
            match key_str(key, "(document)")? {
                "imageType" => image_section = value,
                "featureClass" => params.classes = feature_classes(value)?,
                "setting" => setting_section = mapping_or_empty(value, "setting", &empty)?,
                "voxelSetting" => {
                    if !mapping_or_empty(value, "voxelSetting", &empty)?.is_empty() {
                        return Err(params_error(
                            "voxelSetting",
                            "voxel-based extraction is not supported; remove the voxelSetting section",
                        ));
                    }
                }
                other => {
                    return Err(params_error(
                        other,
                        format!("unknown section; PyRadiomics sections are {}", SECTIONS.join(", ")),
                    ));
                }
            }
        }
        params.settings = RawSettings::from_mapping(setting_section)?.validate()?;
        params.image_types = image_types(image_section, setting_section)?;
        Ok(params)
    }
}

/// PyRadiomics' default classes: every class but `shape2D`, which it enables only on request.
fn all_implemented_classes() -> Vec<ClassSelection> {
    super::extract::implemented_classes()
        .filter(|&c| c != "shape2D")
        .map(|c| (c, None))
        .collect()
}

fn params_error(key: &str, message: impl ToString) -> FeatureError {
    FeatureError::Params {
        key: key.to_owned(),
        message: message.to_string(),
    }
}

fn mapping_or_empty<'a>(value: &'a Value, key: &str, empty: &'a Mapping) -> Result<&'a Mapping, FeatureError> {
    match value {
        Value::Null => Ok(empty),
        Value::Mapping(m) => Ok(m),
        other => Err(params_error(
            key,
            format!("expected a mapping, got {}", describe(other)),
        )),
    }
}

fn key_str<'a>(key: &'a Value, section: &str) -> Result<&'a str, FeatureError> {
    key.as_str()
        .ok_or_else(|| params_error(section, format!("keys must be names, got {}", describe(key))))
}

fn describe(value: &Value) -> String {
    serde_yaml::to_string(value).map_or_else(|_| "an unreadable value".into(), |s| s.trim().to_owned())
}

/// `imageType`: absent or empty means `Original` (PyRadiomics' default). Each type's mapping
/// overrides `setting` for that type's features (PyRadiomics: `args = settings; args.update(custom)`).
fn image_types(value: &Value, setting: &Mapping) -> Result<Vec<ImageTypeSettings>, FeatureError> {
    let empty = Mapping::new();
    let mut types: Vec<ImageTypeSettings> = Vec::new();
    for (name, custom) in mapping_or_empty(value, "imageType", &empty)? {
        let name = key_str(name, "imageType")?;
        let key = format!("imageType.{name}");
        let mut merged = setting.clone();
        for (k, v) in mapping_or_empty(custom, &key, &empty)? {
            merged.insert(k.clone(), v.clone());
        }
        let raw = RawSettings::from_mapping(&merged)?;
        let image_type = match name {
            "Original" => ImageType::Original,
            "LoG" => {
                let sigmas = raw.sigmas()?;
                if sigmas.is_empty() {
                    return Err(params_error(
                        &key,
                        "LoG needs `sigma`, a list of widths in mm (e.g. [1.0, 2.0, 3.0])",
                    ));
                }
                ImageType::LoG { sigmas }
            }
            "Wavelet" => ImageType::Wavelet {
                wavelet: raw.wavelet.clone().unwrap_or_else(|| "coif1".into()),
                start_level: raw.start_level.map_or(Ok(0), |v| int_in("start_level", v, 0..=8))? as u32,
                level: raw.level.map_or(Ok(1), |v| int_in("level", v, 1..=8))? as u32,
            },
            "Square" => ImageType::Square,
            "SquareRoot" => ImageType::SquareRoot,
            "Logarithm" => ImageType::Logarithm,
            "Exponential" => ImageType::Exponential,
            "Gradient" => ImageType::Gradient {
                use_spacing: raw.gradient_use_spacing.unwrap_or(true),
            },
            "LBP2D" => ImageType::Lbp2d(raw.lbp2d_options()?),
            "LBP3D" => ImageType::Lbp3d(raw.lbp3d_options()?),
            unknown => {
                return Err(params_error(
                    &key,
                    format!(
                        "unknown image type {unknown}; PyRadiomics image types are {}",
                        IMAGE_TYPES.join(", ")
                    ),
                ));
            }
        };
        if let ImageType::Wavelet { wavelet, .. } = &image_type {
            super::filters::wavelet_filters(wavelet).map_err(|e| params_error(&format!("{key}.wavelet"), e))?;
        }
        let settings = raw.validate()?;
        if !types
            .iter()
            .any(|t| std::mem::discriminant(&t.image_type) == std::mem::discriminant(&image_type))
        {
            types.push(ImageTypeSettings { image_type, settings });
        }
    }
    if types.is_empty() {
        types.push(ImageTypeSettings {
            image_type: ImageType::Original,
            settings: RawSettings::from_mapping(setting)?.validate()?,
        });
    }
    Ok(types)
}

/// `featureClass`: absent or empty enables every implemented class; a class's value null or `[]`
/// selects all its non-deprecated features, a list selects those (in list order, once each).
fn feature_classes(value: &Value) -> Result<Vec<ClassSelection>, FeatureError> {
    let empty = Mapping::new();
    let map = mapping_or_empty(value, "featureClass", &empty)?;
    if map.is_empty() {
        return Ok(all_implemented_classes());
    }
    let mut classes = Vec::with_capacity(map.len());
    for (name, features) in map {
        let name = key_str(name, "featureClass")?;
        let key = format!("featureClass.{name}");
        let info = feature_class(name).ok_or_else(|| {
            let valid: Vec<&str> = FEATURE_CLASSES.iter().map(|c| c.name).collect();
            params_error(
                &key,
                format!(
                    "unknown feature class {name}; PyRadiomics classes are {}",
                    valid.join(", ")
                ),
            )
        })?;
        let requested: Vec<String> = field(&key, features)?.unwrap_or_default();
        let selection = if requested.is_empty() {
            None
        } else {
            let mut selected: Vec<&'static str> = Vec::with_capacity(requested.len());
            for feature in &requested {
                let known = known_feature(info, feature, &key)?;
                if !selected.contains(&known) {
                    selected.push(known);
                }
            }
            Some(selected)
        };
        classes.push((info.name, selection));
    }
    Ok(classes)
}

fn known_feature(info: &FeatureClassInfo, feature: &str, key: &str) -> Result<&'static str, FeatureError> {
    if let Some(known) = info.features.iter().find(|f| **f == feature) {
        return Ok(known);
    }
    let message = if info.deprecated.contains(&feature) {
        format!("feature {feature} is deprecated in PyRadiomics and radscore does not compute it")
    } else {
        format!(
            "unknown feature {feature}; {} features are {}",
            info.name,
            info.features.join(", ")
        )
    };
    Err(params_error(key, message))
}

/// Deserialises one value, naming its key when the type is wrong; null means "not set".
fn field<T: DeserializeOwned>(key: &str, value: &Value) -> Result<Option<T>, FeatureError> {
    serde_yaml::from_value(value.clone()).map_err(|e| params_error(key, e))
}

/// Declares the stage-1 settings struct, one typed optional field per PyRadiomics key, so that the
/// key list exists exactly once.
macro_rules! raw_settings {
    ($($field:ident: $ty:ty = $key:literal,)*) => {
        /// Stage 1: the `setting` section with every value type-checked but not yet validated.
        #[derive(Debug, Default)]
        #[allow(
            dead_code,
            reason = "speed-only keys (preCrop, additionalInfo, enableCExtensions) and switches of steps that are off are only type-checked"
        )]
        struct RawSettings {
            $($field: Option<$ty>,)*
            /// `interpolator: null`, which PyRadiomics reads as "do not resample" (it resamples only
            /// when both `interpolator` and `resampledPixelSpacing` are set); absent means sitkBSpline.
            interpolator_is_null: bool,
        }

        const SETTING_KEYS: &[&str] = &[$($key),*];

        impl RawSettings {
            fn from_mapping(map: &Mapping) -> Result<RawSettings, FeatureError> {
                let mut raw = RawSettings::default();
                for (key, value) in map {
                    let name = key_str(key, "setting")?;
                    let path = format!("setting.{name}");
                    raw.interpolator_is_null |= name == "interpolator" && value.is_null();
                    match name {
                        $($key => raw.$field = field(&path, value)?,)*
                        _ => {
                            return Err(params_error(
                                &path,
                                format!("unknown setting {name}; PyRadiomics settings are {}", SETTING_KEYS.join(", ")),
                            ))
                        }
                    }
                }
                Ok(raw)
            }
        }
    };
}

raw_settings! {
    minimum_roi_dimensions: i64 = "minimumROIDimensions",
    minimum_roi_size: i64 = "minimumROISize",
    geometry_tolerance: f64 = "geometryTolerance",
    correct_mask: bool = "correctMask",
    additional_info: bool = "additionalInfo",
    enable_c_extensions: bool = "enableCExtensions",
    label: i64 = "label",
    label_channel: i64 = "label_channel",
    bin_width: f64 = "binWidth",
    bin_count: i64 = "binCount",
    normalize: bool = "normalize",
    normalize_scale: f64 = "normalizeScale",
    remove_outliers: f64 = "removeOutliers",
    resampled_pixel_spacing: Vec<f64> = "resampledPixelSpacing",
    interpolator: Value = "interpolator",
    pad_distance: i64 = "padDistance",
    distances: Vec<i64> = "distances",
    force_2d: bool = "force2D",
    force_2d_dimension: i64 = "force2Ddimension",
    resegment_range: Vec<f64> = "resegmentRange",
    resegment_mode: String = "resegmentMode",
    resegment_shape: bool = "resegmentShape",
    pre_crop: bool = "preCrop",
    sigma: Vec<Value> = "sigma",
    start_level: i64 = "start_level",
    level: i64 = "level",
    wavelet: String = "wavelet",
    gradient_use_spacing: bool = "gradientUseSpacing",
    lbp_2d_radius: f64 = "lbp2DRadius",
    lbp_2d_samples: i64 = "lbp2DSamples",
    lbp_2d_method: String = "lbp2DMethod",
    lbp_3d_levels: i64 = "lbp3DLevels",
    lbp_3d_icosphere_radius: f64 = "lbp3DIcosphereRadius",
    lbp_3d_icosphere_subdivision: i64 = "lbp3DIcosphereSubdivision",
    voxel_array_shift: f64 = "voxelArrayShift",
    symmetrical_glcm: bool = "symmetricalGLCM",
    weighting_norm: String = "weightingNorm",
    gldm_a: f64 = "gldm_a",
}

const INTERPOLATORS: &[&str] = &[
    "sitkNearestNeighbor",
    "sitkLinear",
    "sitkBSpline",
    "sitkGaussian",
    "sitkLabelGaussian",
    "sitkHammingWindowedSinc",
    "sitkCosineWindowedSinc",
    "sitkWelchWindowedSinc",
    "sitkLanczosWindowedSinc",
    "sitkBlackmanWindowedSinc",
];

/// An integer in `range`, or an error naming the setting.
fn int_in(key: &str, value: i64, range: std::ops::RangeInclusive<i64>) -> Result<i64, FeatureError> {
    if range.contains(&value) {
        Ok(value)
    } else if *range.end() == i64::MAX {
        Err(params_error(
            &format!("setting.{key}"),
            format!("must be an integer ≥ {}, got {value}", range.start()),
        ))
    } else {
        Err(params_error(
            &format!("setting.{key}"),
            format!(
                "must be an integer from {} to {}, got {value}",
                range.start(),
                range.end()
            ),
        ))
    }
}

/// PyRadiomics' schema: `label` is an integer > 0.
fn positive_label(label: i64) -> Result<i32, FeatureError> {
    i32::try_from(int_in("label", label, 1..=i64::MAX)?)
        .map_err(|_| params_error("setting.label", format!("{label} does not fit a 32-bit label")))
}

fn positive(key: &str, value: f64) -> Result<f64, FeatureError> {
    if value > 0.0 && value.is_finite() {
        Ok(value)
    } else {
        Err(params_error(
            &format!("setting.{key}"),
            format!("must be a number > 0, got {value}"),
        ))
    }
}

fn one_of<'a>(key: &str, value: &'a str, valid: &[&str]) -> Result<&'a str, FeatureError> {
    if valid.contains(&value) {
        Ok(value)
    } else {
        Err(params_error(
            &format!("setting.{key}"),
            format!("unknown value {value:?}; valid values are {}", valid.join(", ")),
        ))
    }
}

fn not_implemented(key: &str, value: impl std::fmt::Debug) -> FeatureError {
    params_error(
        &format!("setting.{key}"),
        format!("{value:?} is not implemented yet (radscore would compute different numbers than PyRadiomics)"),
    )
}

impl RawSettings {
    /// `lbp2DRadius` (1), `lbp2DSamples` (8) and `lbp2DMethod` (uniform), PyRadiomics' defaults.
    /// More than 31 samples would overflow scikit-image's 32-bit pattern weights.
    fn lbp2d_options(&self) -> Result<Lbp2dOptions, FeatureError> {
        let defaults = Lbp2dOptions::default();
        Ok(Lbp2dOptions {
            radius: self
                .lbp_2d_radius
                .map(|r| positive("lbp2DRadius", r))
                .transpose()?
                .unwrap_or(defaults.radius),
            samples: self
                .lbp_2d_samples
                .map(|p| int_in("lbp2DSamples", p, 1..=31).map(|p| p as u32))
                .transpose()?
                .unwrap_or(defaults.samples),
            method: match self.lbp_2d_method.as_deref() {
                None => defaults.method,
                Some(m) => match one_of("lbp2DMethod", m, &["default", "ror", "uniform", "var"])? {
                    "default" => Lbp2dMethod::Default,
                    "ror" => Lbp2dMethod::Ror,
                    "var" => Lbp2dMethod::Var,
                    _ => Lbp2dMethod::Uniform,
                },
            },
        })
    }

    /// `lbp3DLevels` (2), `lbp3DIcosphereRadius` (1) and `lbp3DIcosphereSubdivision` (1), PyRadiomics'
    /// defaults. radscore bounds levels and subdivisions (the work grows with levels² and 4^subdivisions).
    fn lbp3d_options(&self) -> Result<Lbp3dOptions, FeatureError> {
        let defaults = Lbp3dOptions::default();
        Ok(Lbp3dOptions {
            levels: self
                .lbp_3d_levels
                .map(|l| int_in("lbp3DLevels", l, 1..=20).map(|l| l as u32))
                .transpose()?
                .unwrap_or(defaults.levels),
            icosphere_radius: self
                .lbp_3d_icosphere_radius
                .map(|r| positive("lbp3DIcosphereRadius", r))
                .transpose()?
                .unwrap_or(defaults.icosphere_radius),
            icosphere_subdivision: self
                .lbp_3d_icosphere_subdivision
                .map(|d| int_in("lbp3DIcosphereSubdivision", d, 0..=5).map(|d| d as u32))
                .transpose()?
                .unwrap_or(defaults.icosphere_subdivision),
        })
    }

    /// `sigma` as written: YAML integers and floats name LoG images differently.
    fn sigmas(&self) -> Result<Vec<Sigma>, FeatureError> {
        self.sigma
            .iter()
            .flatten()
            .map(|v| {
                let sigma = match v {
                    Value::Number(n) if n.is_i64() || n.is_u64() => n.as_i64().map(Sigma::Integer),
                    Value::Number(n) => n.as_f64().map(Sigma::Float),
                    _ => None,
                };
                match sigma {
                    Some(s) if s.mm() > 0.0 && s.mm().is_finite() => Ok(s),
                    _ => Err(params_error(
                        "setting.sigma",
                        format!("must be numbers > 0 (mm), got {}", describe(v)),
                    )),
                }
            })
            .collect()
    }

    /// Stage 2: ranges, cross-key rules and what radscore implements.
    fn validate(self) -> Result<Settings, FeatureError> {
        let defaults = Settings::default();
        self.check_no_effect_keys()?;
        let resegment = self.resegmentation()?;
        let resampled_pixel_spacing = match &self.resampled_pixel_spacing {
            None => None,
            Some(s) if s.len() == 3 && s.iter().all(|v| v.is_finite() && *v >= 0.0) => Some([s[0], s[1], s[2]]),
            Some(s) => {
                return Err(params_error(
                    "setting.resampledPixelSpacing",
                    format!("expected three spacings in mm (x, y, z; 0 keeps an axis), got {s:?}"),
                ));
            }
        };
        let resampled_pixel_spacing = resampled_pixel_spacing.filter(|_| !self.interpolator_is_null);
        let interpolator = match &self.interpolator {
            None => Interpolator::BSpline,
            Some(Value::String(s)) => match one_of("interpolator", s, INTERPOLATORS)? {
                "sitkNearestNeighbor" => Interpolator::NearestNeighbor,
                "sitkLinear" => Interpolator::Linear,
                "sitkBSpline" => Interpolator::BSpline,
                other if resampled_pixel_spacing.is_some() => return Err(not_implemented("interpolator", other)),
                _ => Interpolator::BSpline,
            },
            Some(other) => {
                return Err(params_error(
                    "setting.interpolator",
                    format!(
                        "give the interpolator by name (sitkBSpline, sitkLinear, sitkNearestNeighbor), got {}",
                        describe(other)
                    ),
                ));
            }
        };
        if let Some(channel) = self.label_channel.filter(|&c| c != 0) {
            return Err(not_implemented(
                "label_channel",
                int_in("label_channel", channel, 0..=i64::MAX)?,
            ));
        }
        let bin_count = self
            .bin_count
            .map(|c| int_in("binCount", c, 1..=i64::from(u32::MAX)).map(|c| c as u32))
            .transpose()?;
        let distances = match self.distances {
            Some(d) if d.is_empty() => {
                return Err(params_error("setting.distances", "must list at least one distance"));
            }
            Some(d) => d
                .into_iter()
                .map(|v| int_in("distances", v, 1..=i64::from(u32::MAX)).map(|v| v as u32))
                .collect::<Result<_, _>>()?,
            None => defaults.distances,
        };
        let weighting_norm = match self.weighting_norm.as_deref() {
            None => None,
            Some(v) => Some(
                match one_of(
                    "weightingNorm",
                    v,
                    &["manhattan", "euclidean", "infinity", "no_weighting"],
                )? {
                    "manhattan" => WeightingNorm::Manhattan,
                    "euclidean" => WeightingNorm::Euclidean,
                    "infinity" => WeightingNorm::Infinity,
                    _ => WeightingNorm::NoWeighting,
                },
            ),
        };
        let gldm_a = match self.gldm_a {
            Some(a) if a >= 0.0 && a.is_finite() => a,
            Some(a) => return Err(params_error("setting.gldm_a", format!("must be ≥ 0, got {a}"))),
            None => defaults.gldm_a,
        };
        let voxel_array_shift = match self.voxel_array_shift {
            Some(c) if c.is_finite() => c,
            Some(c) => {
                return Err(params_error(
                    "setting.voxelArrayShift",
                    format!("must be finite, got {c}"),
                ));
            }
            None => defaults.voxel_array_shift,
        };
        Ok(Settings {
            label: self.label.map(positive_label).transpose()?.unwrap_or(defaults.label),
            bin_width: self
                .bin_width
                .map(|w| positive("binWidth", w))
                .transpose()?
                .unwrap_or(defaults.bin_width),
            bin_count,
            voxel_array_shift,
            distances,
            symmetrical_glcm: self.symmetrical_glcm.unwrap_or(defaults.symmetrical_glcm),
            gldm_a,
            weighting_norm,
            force_2d: self.force_2d.unwrap_or(defaults.force_2d),
            force_2d_dimension: self
                .force_2d_dimension
                .map(|d| int_in("force2Ddimension", d, 0..=2).map(|d| d as usize))
                .transpose()?
                .unwrap_or(defaults.force_2d_dimension),
            geometry_tolerance: self
                .geometry_tolerance
                .map(|t| positive("geometryTolerance", t))
                .transpose()?
                .unwrap_or(defaults.geometry_tolerance),
            minimum_roi_dimensions: self
                .minimum_roi_dimensions
                .map(|d| int_in("minimumROIDimensions", d, 1..=3).map(|d| d as usize))
                .transpose()?
                .unwrap_or(defaults.minimum_roi_dimensions),
            minimum_roi_size: self
                .minimum_roi_size
                .map(|s| int_in("minimumROISize", s, 1..=i64::MAX).map(|s| s as u64))
                .transpose()?,
            correct_mask: self.correct_mask.unwrap_or(defaults.correct_mask),
            normalize: self.normalize.unwrap_or(defaults.normalize),
            normalize_scale: self
                .normalize_scale
                .map(|v| positive("normalizeScale", v))
                .transpose()?
                .unwrap_or(defaults.normalize_scale),
            remove_outliers: self
                .remove_outliers
                .map(|v| positive("removeOutliers", v))
                .transpose()?,
            resegment,
            resegment_shape: self.resegment_shape.unwrap_or(defaults.resegment_shape),
            resampled_pixel_spacing,
            interpolator,
            pad_distance: self
                .pad_distance
                .map(|d| int_in("padDistance", d, 0..=i64::from(u32::MAX)).map(|d| d as usize))
                .transpose()?
                .unwrap_or(defaults.pad_distance),
            pre_crop: self.pre_crop.unwrap_or(defaults.pre_crop),
        })
    }

    /// `resegmentRange` (one threshold: a lower bound; two: a closed range, in either order) read
    /// in `resegmentMode` (default absolute). The mode is checked even without a range.
    fn resegmentation(&self) -> Result<Option<Resegmentation>, FeatureError> {
        let mode = match self.resegment_mode.as_deref() {
            None => ResegmentMode::Absolute,
            Some(v) => match one_of("resegmentMode", v, &["absolute", "relative", "sigma"])? {
                "relative" => ResegmentMode::Relative,
                "sigma" => ResegmentMode::Sigma,
                _ => ResegmentMode::Absolute,
            },
        };
        let Some(range) = &self.resegment_range else {
            return Ok(None);
        };
        let mut thresholds = range.clone();
        if !(1..=2).contains(&thresholds.len()) || thresholds.iter().any(|t| !t.is_finite()) {
            return Err(params_error(
                "setting.resegmentRange",
                format!("expected one threshold (a lower bound) or two (a closed range), got {range:?}"),
            ));
        }
        thresholds.sort_by(f64::total_cmp);
        Ok(Some(Resegmentation {
            lower: thresholds[0],
            upper: thresholds.get(1).copied(),
            mode,
        }))
    }

    /// Range-checks keys that cannot change the numbers yet: options of image types that are off
    /// and speed-only switches (`preCrop`, `additionalInfo`, `enableCExtensions`).
    fn check_no_effect_keys(&self) -> Result<(), FeatureError> {
        self.sigmas()?;
        if let Some(v) = self.start_level {
            int_in("start_level", v, 0..=i64::MAX)?;
        }
        if let Some(v) = self.level {
            int_in("level", v, 1..=i64::MAX)?;
        }
        if let Some(w) = &self.wavelet
            && w.trim().is_empty()
        {
            return Err(params_error("setting.wavelet", "must name a wavelet"));
        }
        if let Some(v) = self.lbp_2d_radius {
            positive("lbp2DRadius", v)?;
        }
        if let Some(v) = self.lbp_2d_samples {
            int_in("lbp2DSamples", v, 1..=i64::MAX)?;
        }
        if let Some(v) = &self.lbp_2d_method {
            one_of("lbp2DMethod", v, &["default", "ror", "uniform", "var"])?;
        }
        if let Some(v) = self.lbp_3d_levels {
            int_in("lbp3DLevels", v, 1..=i64::MAX)?;
        }
        if let Some(v) = self.lbp_3d_icosphere_radius {
            positive("lbp3DIcosphereRadius", v)?;
        }
        if let Some(v) = self.lbp_3d_icosphere_subdivision {
            int_in("lbp3DIcosphereSubdivision", v, 0..=i64::MAX)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(yaml: &str) -> (String, String) {
        match Params::from_yaml_str(yaml) {
            Err(FeatureError::Params { key, message }) => (key, message),
            other => panic!("{yaml:?} should be a params error, got {other:?}"),
        }
    }

    #[test]
    fn an_image_type_mapping_overrides_setting_for_that_type_only() {
        let params = Params::from_yaml_str(
            "imageType: {Original: {}, LoG: {sigma: [1, 2.0], binWidth: 5}, Wavelet: {level: 2}}\nsetting: {binWidth: 10}",
        )
        .unwrap();
        assert_eq!(params.settings.bin_width, 10.0);
        let widths: Vec<f64> = params.image_types.iter().map(|t| t.settings.bin_width).collect();
        assert_eq!(widths, [10.0, 5.0, 10.0]);
        assert_eq!(
            params.image_types[1].image_type,
            ImageType::LoG {
                sigmas: vec![Sigma::Integer(1), Sigma::Float(2.0)]
            }
        );
        assert_eq!(
            params.image_types[2].image_type,
            ImageType::Wavelet {
                wavelet: "coif1".into(),
                start_level: 0,
                level: 2
            }
        );
        assert_eq!(error_of("imageType: {LoG: {}}").0, "imageType.LoG");
        assert_eq!(
            error_of("imageType: {Wavelet: {wavelet: coif99}}").0,
            "imageType.Wavelet.wavelet"
        );
    }

    #[test]
    fn lbp_image_types_take_their_options_with_pyradiomics_defaults() {
        let params =
            Params::from_yaml_str("imageType: {LBP2D: {lbp2DMethod: var, lbp2DRadius: 2}, LBP3D: {}}").unwrap();
        assert_eq!(
            params.image_types[0].image_type,
            ImageType::Lbp2d(Lbp2dOptions {
                radius: 2.0,
                samples: 8,
                method: Lbp2dMethod::Var
            })
        );
        assert_eq!(
            params.image_types[1].image_type,
            ImageType::Lbp3d(Lbp3dOptions::default())
        );
        for (yaml, key) in [
            ("imageType: {LBP2D: {lbp2DSamples: 32}}", "setting.lbp2DSamples"),
            ("imageType: {LBP2D: {lbp2DRadius: 0}}", "setting.lbp2DRadius"),
            ("imageType: {LBP2D: {lbp2DMethod: nri_uniform}}", "setting.lbp2DMethod"),
            (
                "imageType: {LBP3D: {lbp3DIcosphereSubdivision: 6}}",
                "setting.lbp3DIcosphereSubdivision",
            ),
            ("imageType: {LBP3D: {lbp3DLevels: 0}}", "setting.lbp3DLevels"),
        ] {
            assert_eq!(error_of(yaml).0, key, "{yaml}");
        }
    }

    #[test]
    fn an_empty_document_means_pyradiomics_defaults() {
        assert_eq!(Params::from_yaml_str("").unwrap(), Params::default());
        assert_eq!(
            Params::from_yaml_str("featureClass: {}\nimageType:\n").unwrap(),
            Params::default()
        );
    }

    #[test]
    fn settings_are_read_and_validated() {
        let params = Params::from_yaml_str(
            "setting:\n  binCount: 32\n  label: 2\n  voxelArrayShift: 1000\n  distances: [1, 2]\n  \
             weightingNorm: euclidean\n  force2D: true\n  force2Ddimension: 1\n  minimumROIDimensions: 3\n  \
             minimumROISize: 50\n  gldm_a: 1\n  symmetricalGLCM: false\n  geometryTolerance: 1.0e-4\n",
        )
        .unwrap();
        let s = params.settings;
        assert_eq!(s.bin_count, Some(32));
        assert_eq!(s.label, 2);
        assert_eq!(s.voxel_array_shift, 1000.0);
        assert_eq!(s.distances, [1, 2]);
        assert_eq!(s.weighting_norm, Some(WeightingNorm::Euclidean));
        assert!(s.force_2d && !s.symmetrical_glcm);
        assert_eq!((s.force_2d_dimension, s.minimum_roi_dimensions), (1, 3));
        assert_eq!(s.minimum_roi_size, Some(50));
        assert_eq!((s.gldm_a, s.geometry_tolerance), (1.0, 1e-4));
    }

    #[test]
    fn keys_that_cannot_change_the_numbers_are_accepted() {
        let params = Params::from_yaml_str(
            "setting:\n  preCrop: true\n  padDistance: 10\n  additionalInfo: false\n  enableCExtensions: true\n  \
             interpolator: sitkLinear\n  resampledPixelSpacing:\n  normalize: false\n  normalizeScale: 100\n  \
             removeOutliers: 3\n  resegmentMode: sigma\n  sigma: [1, 2]\n  wavelet: haar\n  level: 2\n  \
             label_channel: 0\n  correctMask: true\nvoxelSetting: {}\n",
        )
        .unwrap();
        assert!(params.settings.correct_mask);
        assert_eq!(params.settings.bin_width, 25.0);
    }

    #[test]
    fn preprocessing_settings_are_read_with_pyradiomics_defaults() {
        let s = Params::from_yaml_str(
            "setting: {normalize: true, normalizeScale: 100, removeOutliers: 3, resegmentRange: [2, -1.5], \
             resegmentMode: sigma, resegmentShape: true}",
        )
        .unwrap()
        .settings;
        assert!(s.normalize && s.resegment_shape);
        assert_eq!((s.normalize_scale, s.remove_outliers), (100.0, Some(3.0)));
        // Thresholds are sorted, as PyRadiomics sorts them.
        assert_eq!(
            s.resegment,
            Some(Resegmentation {
                lower: -1.5,
                upper: Some(2.0),
                mode: ResegmentMode::Sigma
            })
        );
        let s = Params::from_yaml_str("setting: {resegmentRange: [0.5]}")
            .unwrap()
            .settings;
        assert_eq!(
            s.resegment,
            Some(Resegmentation {
                lower: 0.5,
                upper: None,
                mode: ResegmentMode::Absolute
            })
        );
        let d = Settings::default();
        assert!(!d.normalize && !d.resegment_shape && d.resegment.is_none());
        assert_eq!((d.normalize_scale, d.remove_outliers), (1.0, None));
    }

    #[test]
    fn an_explicit_null_interpolator_turns_resampling_off_and_an_absent_one_means_bspline() {
        let spacing = "setting: {resampledPixelSpacing: [1, 1, 2]";
        let absent = Params::from_yaml_str(&format!("{spacing}}}")).unwrap().settings;
        assert_eq!(absent.resampled_pixel_spacing, Some([1.0, 1.0, 2.0]));
        assert_eq!(absent.interpolator, Interpolator::BSpline);
        let null = Params::from_yaml_str(&format!("{spacing}, interpolator: null}}"))
            .unwrap()
            .settings;
        assert_eq!(null.resampled_pixel_spacing, None);
        let empty = Params::from_yaml_str("setting:\n  resampledPixelSpacing: [1, 1, 2]\n  interpolator:\n")
            .unwrap()
            .settings;
        assert_eq!(empty.resampled_pixel_spacing, None);
        // The spacing is still checked, as PyRadiomics' schema checks it.
        let (key, _) = error_of("setting: {resampledPixelSpacing: [1, 1], interpolator: null}");
        assert_eq!(key, "setting.resampledPixelSpacing");
    }

    #[test]
    fn feature_selection_keeps_document_order_once_each() {
        let params =
            Params::from_yaml_str("featureClass:\n  glcm: [Idmn, Contrast, Idmn]\n  firstorder: []\n  shape:\n")
                .unwrap();
        assert_eq!(
            params.classes,
            vec![
                ("glcm", Some(vec!["Idmn", "Contrast"])),
                ("firstorder", None),
                ("shape", None)
            ]
        );
    }

    #[test]
    fn a_json_document_gives_the_same_params_as_its_yaml() {
        let yaml = "imageType: {Original: {}}\nfeatureClass: {firstorder: [Mean]}\nsetting: {binWidth: 5, label: 3}\n";
        let json: serde_json::Value = serde_yaml::from_str(yaml).unwrap();
        assert_eq!(
            Params::from_document(&json).unwrap(),
            Params::from_yaml_str(yaml).unwrap()
        );
    }

    #[test]
    fn out_of_range_values_are_errors_naming_the_key() {
        for (yaml, key) in [
            ("setting: {binWidth: 0}", "setting.binWidth"),
            ("setting: {binWidth: -25}", "setting.binWidth"),
            ("setting: {binCount: 0}", "setting.binCount"),
            ("setting: {label: 1.5}", "setting.label"),
            ("setting: {label: one}", "setting.label"),
            ("setting: {label: 0}", "setting.label"),
            ("setting: {distances: []}", "setting.distances"),
            ("setting: {minimumROIDimensions: 4}", "setting.minimumROIDimensions"),
            ("setting: {force2Ddimension: 3}", "setting.force2Ddimension"),
            ("setting: {weightingNorm: cosine}", "setting.weightingNorm"),
            ("setting: {interpolator: sitkCubic}", "setting.interpolator"),
            ("setting: {label_channel: 1}", "setting.label_channel"),
            ("setting: {kernelRadius: 1}", "setting.kernelRadius"),
            ("setting: {resegmentRange: [1, 2, 3]}", "setting.resegmentRange"),
            ("setting: {resegmentRange: []}", "setting.resegmentRange"),
            ("setting: {resegmentMode: percentile}", "setting.resegmentMode"),
            ("setting: {normalizeScale: 0}", "setting.normalizeScale"),
            ("setting: {removeOutliers: -3}", "setting.removeOutliers"),
        ] {
            assert_eq!(error_of(yaml).0, key, "{yaml}");
        }
    }

    #[test]
    fn unknown_sections_classes_and_image_types_are_errors_listing_valid_names() {
        let (key, message) = error_of("settings: {binWidth: 25}");
        assert_eq!(key, "settings");
        assert!(message.contains("setting,"), "{message}");
        let (key, message) = error_of("featureClass: {texture: }");
        assert_eq!(key, "featureClass.texture");
        assert!(message.contains("glszm"), "{message}");
        let (key, message) = error_of("imageType: {Wavelets: {}}");
        assert_eq!(key, "imageType.Wavelets");
        assert!(message.contains("Wavelet,"), "{message}");
    }

    #[test]
    fn deprecated_features_and_voxel_settings_are_refused() {
        let (key, message) = error_of("featureClass: {firstorder: [StandardDeviation]}");
        assert_eq!(key, "featureClass.firstorder");
        assert!(message.contains("deprecated"), "{message}");
        assert_eq!(error_of("voxelSetting: {kernelRadius: 2}").0, "voxelSetting");
        assert_eq!(error_of("setting: [binWidth]").0, "setting");
        let mut params = Params::default();
        assert!(params.set_label(0).is_err());
        params.set_label(7).unwrap();
        assert_eq!(params.settings.label, 7);
        assert_eq!(error_of("setting: {binWidth: 25").0, "(document)");
    }
}
