//! The extractor: PyRadiomics' `RadiomicsFeatureExtractor.execute` for one image, one mask and one
//! validated parameter document.

use std::borrow::Cow;

use rayon::prelude::*;

use super::error::FeatureError;
use super::params::{ImageType, Params, feature_class};
use super::{ClassFeatures, Roi, Settings, firstorder, glcm, gldm, glrlm, glszm, ngtdm, shape, shape2d};
use ndarray::{Array3, s};

use super::bounding_box;
use super::filters::{
    GRADIENT_IMAGE_NAME, LBP2D_IMAGE_NAME, PointwiseFilter, gradient_magnitude, lbp2d_image, lbp3d_images, log_images,
    wavelet_decompositions,
};
use crate::imaging::{
    Geometry, ImagingError, OutputCast, Volume, check_same_grid, label_region, resample_image, resample_labels,
    roi_resampling_grid,
};

/// Feature values named as PyRadiomics names them (`original_glcm_Contrast`), in PyRadiomics' order.
pub type FeatureVector = Vec<(String, f64)>;

/// A feature class's computation on one region.
type ClassFn = fn(&Roi, &Settings) -> Result<ClassFeatures, FeatureError>;

/// The feature classes radscore computes, by PyRadiomics class name.
const REGISTRY: &[(&str, ClassFn)] = &[
    ("firstorder", |roi, settings| Ok(firstorder::compute(roi, settings))),
    ("shape", |roi, settings| Ok(shape::compute(roi, settings))),
    ("shape2D", |roi, settings| Ok(shape2d::compute(roi, settings)?)),
    ("glcm", |roi, settings| Ok(glcm::compute(roi, settings))),
    ("glrlm", |roi, settings| Ok(glrlm::compute(roi, settings))),
    ("glszm", |roi, settings| Ok(glszm::compute(roi, settings))),
    ("gldm", |roi, settings| Ok(gldm::compute(roi, settings))),
    ("ngtdm", |roi, settings| Ok(ngtdm::compute(roi, settings))),
];

/// The classes that depend on the mask alone: PyRadiomics computes them once, on the original image.
const SHAPE_CLASSES: &[&str] = &["shape", "shape2D"];

/// Names of the implemented feature classes, in registry order.
pub fn implemented_classes() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|(name, _)| *name)
}

/// One enabled class, ready to run.
struct EnabledClass<'p> {
    name: &'static str,
    compute: ClassFn,
    /// Features to report, in output order.
    features: &'p [&'static str],
}

/// Extracts every enabled feature of `image` inside `mask`'s region labelled `params.settings.label`.
///
/// Steps, as PyRadiomics runs them: image and mask must share a grid (within `geometryTolerance`),
/// the label must be present, the region must pass `minimumROIDimensions` and `minimumROISize`;
/// then each enabled class runs on the region cropped to its bounding box. Shape features come
/// first, then the other classes in document order, each class's features in PyRadiomics' order
/// (or the order the document lists them).
pub fn extract(image: &Volume<f64>, mask: &Volume<i32>, params: &Params) -> Result<FeatureVector, FeatureError> {
    let settings = &params.settings;
    let classes = enabled_classes(params)?;
    check_same_grid(&image.geometry, &mask.geometry, settings.geometry_tolerance).map_err(|e| {
        if settings.correct_mask {
            FeatureError::Params {
                key: "setting.correctMask".into(),
                message: format!("resampling the mask onto the image grid is not implemented yet: {e}"),
            }
        } else {
            e.into()
        }
    })?;
    let prepared = prepare(image, mask, settings)?;
    let (image, mask) = prepared.as_ref().map_or((image, mask), |(i, m)| (i, m));
    let region = label_region(mask, settings.label)?;
    let spacing = image.geometry.spacing;
    let mut vector = FeatureVector::new();
    for spec in &params.image_types {
        for (name, voxels) in derived_images(&spec.image_type, image, &region, &spec.settings)? {
            let roi = Roi::new(&voxels, &region, spacing, &spec.settings).ok_or(ImagingError::LabelNotFound {
                label: settings.label,
                present: Vec::new(),
            })?;
            drop(voxels);
            // PyRadiomics checks the region once, with the document's settings.
            check_roi(&roi, settings)?;
            let per_class: Vec<Result<FeatureVector, FeatureError>> = classes
                .par_iter()
                .filter(|class| !SHAPE_CLASSES.contains(&class.name) || spec.image_type == ImageType::Original)
                .filter(|class| class.name != "shape2D" || shape2d_applies(&roi, settings))
                .map(|class| named_features(&name, class, &roi, &spec.settings))
                .collect();
            for features in per_class {
                vector.extend(features?);
            }
        }
    }
    Ok(vector)
}

/// An image and its mask on one grid.
type ImageAndMask = (Volume<f64>, Volume<i32>);

/// PyRadiomics' `loadImage` after reading: resample image and mask onto the padded region's grid
/// when `resampledPixelSpacing` is set, else crop both to the padded region when `preCrop` is;
/// `None` when the volumes are used as they are.
pub(super) fn prepare(
    image: &Volume<f64>,
    mask: &Volume<i32>,
    settings: &Settings,
) -> Result<Option<ImageAndMask>, FeatureError> {
    if let Some(spacing) = settings.resampled_pixel_spacing {
        let grid = roi_resampling_grid(mask, settings.label, spacing, settings.pad_distance as f64)?;
        return Ok(Some((
            resample_image(image, &grid, settings.interpolator),
            resample_labels(mask, &grid),
        )));
    }
    if !settings.pre_crop {
        return Ok(None);
    }
    let region = label_region(mask, settings.label)?;
    let Some(bounds) = bounding_box(&region) else {
        return Ok(None);
    };
    let pad = settings.pad_distance;
    let ranges: Vec<std::ops::Range<usize>> = bounds
        .iter()
        .zip(region.shape())
        .map(|(r, &n)| r.start.saturating_sub(pad)..(r.end + pad).min(n))
        .collect();
    let crop = s![ranges[0].clone(), ranges[1].clone(), ranges[2].clone()];
    let corner = [ranges[2].start as f64, ranges[1].start as f64, ranges[0].start as f64];
    let geometry = Geometry {
        size: [ranges[2].len(), ranges[1].len(), ranges[0].len()],
        origin: image.geometry.index_to_physical(corner),
        ..image.geometry.clone()
    };
    Ok(Some((
        Volume {
            geometry: geometry.clone(),
            voxels: image.voxels.slice(crop).to_owned(),
            pixel_type: image.pixel_type,
        },
        Volume {
            geometry,
            voxels: mask.voxels.slice(crop).to_owned(),
            pixel_type: mask.pixel_type,
        },
    )))
}

/// The images one image type yields, named as PyRadiomics names them, in its order. `region` is the
/// label's mask on the image's grid (LBP3D samples only there); `settings` are the image type's.
fn derived_images<'a>(
    image_type: &ImageType,
    image: &'a Volume<f64>,
    region: &Array3<bool>,
    settings: &Settings,
) -> Result<Vec<(String, Cow<'a, Array3<f64>>)>, FeatureError> {
    let (voxels, spacing) = (&image.voxels, image.geometry.spacing);
    let filtered = match image_type {
        // Only read, so borrowed: a copy would double the peak memory when nothing is cropped.
        ImageType::Original => return Ok(vec![("original".to_owned(), Cow::Borrowed(voxels))]),
        ImageType::LoG { sigmas } => log_images(voxels, spacing, sigmas)
            .images
            .into_iter()
            .map(|i| (i.name, i.image))
            .collect(),
        ImageType::Wavelet {
            wavelet,
            start_level,
            level,
        } => wavelet_decompositions(voxels, wavelet, *start_level, *level, &[2, 1, 0])?
            .into_iter()
            .map(|w| (w.name, w.image))
            .collect(),
        ImageType::Square => pointwise(PointwiseFilter::Square, voxels)?,
        ImageType::SquareRoot => pointwise(PointwiseFilter::SquareRoot, voxels)?,
        ImageType::Logarithm => pointwise(PointwiseFilter::Logarithm, voxels)?,
        ImageType::Exponential => pointwise(PointwiseFilter::Exponential, voxels)?,
        ImageType::Gradient { use_spacing } => {
            vec![(
                GRADIENT_IMAGE_NAME.to_owned(),
                gradient_magnitude(voxels, spacing, *use_spacing),
            )]
        }
        ImageType::Lbp2d(options) => {
            if !settings.force_2d {
                tracing::warn!("LBP2D is computed slice by slice but features are extracted in 3-D (force2D is off)");
            }
            let plane_normal = settings.force_2d_dimension;
            vec![(
                LBP2D_IMAGE_NAME.to_owned(),
                lbp2d_image(voxels, options, plane_normal, image.pixel_type),
            )]
        }
        ImageType::Lbp3d(options) => {
            if settings.force_2d {
                tracing::warn!("LBP3D is computed in 3-D but features are extracted in 2-D (force2D is on)");
            }
            lbp3d_images(voxels, region, options, OutputCast::for_pixel_type(image.pixel_type))
        }
    };
    Ok(filtered
        .into_iter()
        .map(|(name, image)| (name, Cow::Owned(image)))
        .collect())
}

fn pointwise(filter: PointwiseFilter, voxels: &Array3<f64>) -> Result<Vec<(String, Array3<f64>)>, FeatureError> {
    Ok(vec![(filter.image_name().to_owned(), filter.apply(voxels)?)])
}

/// Resolves the document's classes against the registry, shape first (PyRadiomics computes shape
/// before the other classes whatever the document's order).
fn enabled_classes(params: &Params) -> Result<Vec<EnabledClass<'_>>, FeatureError> {
    let mut classes = params
        .classes
        .iter()
        .map(|(name, selection)| {
            let compute = REGISTRY
                .iter()
                .find(|(registered, _)| registered == name)
                .map(|(_, compute)| *compute)
                .ok_or_else(|| FeatureError::ClassNotImplemented {
                    class: (*name).to_owned(),
                    implemented: implemented_classes().collect(),
                })?;
            let features = match selection {
                Some(list) => list.as_slice(),
                None => feature_class(name).map_or(&[][..], |info| info.features),
            };
            Ok(EnabledClass {
                name,
                compute,
                features,
            })
        })
        .collect::<Result<Vec<_>, FeatureError>>()?;
    classes.sort_by_key(|class| class.name != "shape");
    Ok(classes)
}

/// Whether PyRadiomics' `computeShape` runs shape2D for a 3-D mask: only with `force2D`, and only when
/// the region's bounding box is more than one voxel wide along SimpleITK axis `force2Ddimension`
/// (x for 0, y for 1, z for 2: PyRadiomics indexes its (x, y, z) bounding box with the numpy axis
/// number). Otherwise it logs a warning and computes nothing, and so does radscore. The class itself
/// then requires one slice along numpy axis `force2Ddimension` ([`shape2d::Shape2dError`]), so with
/// `force2Ddimension` 1 PyRadiomics never computes shape2D.
fn shape2d_applies(roi: &Roi, settings: &Settings) -> bool {
    if !settings.force_2d {
        tracing::warn!("shape2D is skipped: it needs force2D: true (as in PyRadiomics)");
        return false;
    }
    let dimension = settings.force_2d_dimension;
    let sitk_extent = roi.mask.shape()[2 - dimension.min(2)];
    if sitk_extent <= 1 {
        tracing::warn!(
            dimension,
            "shape2D is skipped: PyRadiomics requires the region to be wider than one voxel along SimpleITK axis force2Ddimension"
        );
        return false;
    }
    true
}

/// PyRadiomics `imageoperations.checkMask`: never a single voxel, at least `minimumROIDimensions`
/// axes thicker than one voxel, more than `minimumROISize` voxels.
fn check_roi(roi: &Roi, settings: &Settings) -> Result<(), FeatureError> {
    let dimensions = roi.mask.shape().iter().filter(|&&n| n > 1).count();
    if dimensions == 0 || dimensions < settings.minimum_roi_dimensions {
        return Err(FeatureError::TooFewDimensions {
            label: settings.label,
            dimensions,
            required: settings.minimum_roi_dimensions.max(1),
        });
    }
    if let Some(minimum) = settings.minimum_roi_size {
        let voxels = roi.mask.iter().filter(|&&inside| inside).count() as u64;
        if voxels <= minimum {
            return Err(FeatureError::TooSmall {
                label: settings.label,
                voxels,
                minimum,
            });
        }
    }
    Ok(())
}

/// Runs one class and names its selected features `<image type>_<class>_<feature>`.
fn named_features(
    image_name: &str,
    class: &EnabledClass<'_>,
    roi: &Roi,
    settings: &Settings,
) -> Result<FeatureVector, FeatureError> {
    let computed = (class.compute)(roi, settings)?;
    class
        .features
        .iter()
        .map(|&feature| {
            let value = computed
                .iter()
                .find(|(name, _)| *name == feature)
                .map(|(_, value)| *value)
                .ok_or(FeatureError::MissingFeature {
                    class: class.name,
                    feature,
                })?;
            Ok((format!("{image_name}_{}_{feature}", class.name), value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use ndarray::Array3;

    use super::*;
    use crate::features::params::FEATURE_CLASSES;
    use crate::imaging::Geometry;

    fn geometry(size: [usize; 3]) -> Geometry {
        Geometry {
            size,
            spacing: [1.0, 1.0, 2.0],
            origin: [0.0; 3],
            direction: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        }
    }

    /// A 4×4×3 ramp image with label 1 on a 2×3×2 block and label 2 on a single voxel.
    fn phantom() -> (Volume<f64>, Volume<i32>) {
        let size = [4, 4, 3];
        let voxels = Array3::from_shape_fn((3, 4, 4), |(z, y, x)| (x * 7 + y * 13 + z * 29) as f64);
        let labels = Array3::from_shape_fn((3, 4, 4), |(z, y, x)| match (z, y, x) {
            (0..=1, 1..=3, 1..=2) => 1,
            (2, 0, 0) => 2,
            _ => 0,
        });
        (Volume::new(geometry(size), voxels), Volume::new(geometry(size), labels))
    }

    #[test]
    fn every_registered_class_computes_exactly_its_pyradiomics_features_in_order() {
        let (image, mask) = phantom();
        let region = label_region(&mask, 1).unwrap();
        // shape2D needs force2D and a region one slice thick: the label's first slice.
        let mut slab = region.clone();
        slab.slice_mut(s![1.., .., ..]).fill(false);
        let planar = Settings {
            force_2d: true,
            ..Settings::default()
        };
        for (name, compute) in REGISTRY {
            let (region, settings) = if *name == "shape2D" {
                (&slab, planar.clone())
            } else {
                (&region, Settings::default())
            };
            let roi = Roi::new(&image.voxels, region, image.geometry.spacing, &settings).unwrap();
            let info = FEATURE_CLASSES.iter().find(|c| c.name == *name).unwrap();
            let names: Vec<&str> = compute(&roi, &settings).unwrap().iter().map(|(n, _)| *n).collect();
            assert_eq!(names, info.features, "class {name}");
        }
        let registered: Vec<&str> = implemented_classes().collect();
        let catalogue: Vec<&str> = FEATURE_CLASSES.iter().map(|c| c.name).collect();
        assert_eq!(registered.len(), catalogue.len());
        assert!(catalogue.iter().all(|c| registered.contains(c)), "{catalogue:?}");
    }

    #[test]
    fn features_are_named_with_image_type_and_class_in_selection_order() {
        let (image, mask) = phantom();
        let params = Params::from_yaml_str("featureClass: {firstorder: [Minimum, Mean, Minimum]}").unwrap();
        let features = extract(&image, &mask, &params).unwrap();
        let names: Vec<&str> = features.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["original_firstorder_Minimum", "original_firstorder_Mean"]);
        // Label 1 covers x 1–2, y 1–3, z 0–1: minimum at (1, 1, 0) = 7 + 13.
        assert_eq!(features[0].1, 20.0);
    }

    #[test]
    fn the_label_setting_selects_the_region() {
        let (image, mask) = phantom();
        let mut params = Params::default();
        params.settings.label = 3;
        let err = extract(&image, &mask, &params).unwrap_err().to_string();
        assert!(err.contains("label 3") && err.contains("1, 2"), "{err}");
    }

    #[test]
    fn a_single_voxel_region_is_refused_like_pyradiomics() {
        let (image, mask) = phantom();
        let mut params = Params::default();
        params.settings.label = 2;
        params.settings.minimum_roi_dimensions = 1;
        let err = extract(&image, &mask, &params).unwrap_err();
        assert!(
            matches!(err, FeatureError::TooFewDimensions { dimensions: 0, .. }),
            "{err}"
        );
    }

    #[test]
    fn minimum_roi_dimensions_and_size_are_enforced() {
        let (image, mask) = phantom();
        let mut params = Params::default();
        params.settings.minimum_roi_dimensions = 3;
        assert!(extract(&image, &mask, &params).is_ok(), "the block is 3-D");
        // 12 voxels: PyRadiomics refuses a region whose size is ≤ minimumROISize.
        params.settings.minimum_roi_size = Some(12);
        let err = extract(&image, &mask, &params).unwrap_err();
        assert!(
            matches!(
                err,
                FeatureError::TooSmall {
                    voxels: 12,
                    minimum: 12,
                    ..
                }
            ),
            "{err}"
        );
        params.settings.minimum_roi_size = Some(11);
        assert!(extract(&image, &mask, &params).is_ok());
    }

    #[test]
    fn a_mask_on_another_grid_is_refused() {
        let (image, mut mask) = phantom();
        mask.geometry.origin[0] = 0.5;
        let err = extract(&image, &mask, &Params::default()).unwrap_err();
        assert!(
            matches!(err, FeatureError::Imaging(ImagingError::GeometryMismatch { .. })),
            "{err}"
        );
    }

    #[test]
    fn correct_mask_on_another_grid_says_resampling_is_not_implemented() {
        let (image, mut mask) = phantom();
        mask.geometry.origin[0] = 0.5;
        let params = Params::from_yaml_str("setting: {correctMask: true}").unwrap();
        let err = extract(&image, &mask, &params).unwrap_err().to_string();
        assert!(err.contains("correctMask"), "{err}");
    }

    #[test]
    fn shape2d_is_off_by_default_and_skipped_without_force2d_like_pyradiomics() {
        let (image, mask) = phantom();
        let defaults = extract(&image, &mask, &Params::default()).unwrap();
        assert!(!defaults.iter().any(|(n, _)| n.contains("shape2D")));
        let params = Params::from_yaml_str("featureClass: {shape2D: , firstorder: [Mean]}").unwrap();
        let names: Vec<String> = extract(&image, &mask, &params)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["original_firstorder_Mean"]);
    }

    #[test]
    fn shape2d_of_a_region_thicker_than_one_slice_is_an_error() {
        let (image, mask) = phantom();
        let params = Params::from_yaml_str("featureClass: {shape2D: }\nsetting: {force2D: true}").unwrap();
        let err = extract(&image, &mask, &params).unwrap_err();
        assert!(matches!(err, FeatureError::Shape2d(_)), "{err}");
    }
}
