//! The extractor: PyRadiomics' `RadiomicsFeatureExtractor.execute` for one image, one mask and one
//! validated parameter document.

use std::borrow::Cow;
use std::ops::Range;

use rayon::prelude::*;

use super::angles::SharedRegion;
use super::error::FeatureError;
use super::params::{ImageType, Params, feature_class};
use super::preprocess::{Resegmentation, normalize_image, resegment};
use super::{ClassFeatures, Roi, Settings, firstorder, glcm, gldm, glrlm, glszm, ngtdm, shape, shape2d};
use ndarray::{Array3, CowArray, Ix3, SliceInfo, SliceInfoElem, s};

use super::bounding_box;
use super::filters::{
    GRADIENT_IMAGE_NAME, LBP2D_IMAGE_NAME, PointwiseFilter, for_each_wavelet_image, gradient_magnitude, lbp2d_image,
    lbp3d_images, log_image,
};
use crate::imaging::{
    BlockPlacement, CaseRegion, CaseVolumes, Geometry, ImagingError, LabelExtent, OutputCast, Volume, check_same_grid,
    label_region, nearest_support, resample_image, resample_labels, resample_mask_onto, resampling_support,
    roi_resampling_grid,
};

/// Feature values named as PyRadiomics names them (`original_glcm_Contrast`), in PyRadiomics' order.
pub type FeatureVector = Vec<(String, f64)>;

/// A feature class's computation on one region; the texture classes walk its padded grid, built
/// once per image type and shared.
type ClassFn = fn(&Roi, &SharedRegion, &Settings) -> Result<ClassFeatures, FeatureError>;

/// The feature classes radscore computes, by PyRadiomics class name.
const REGISTRY: &[(&str, ClassFn)] = &[
    ("firstorder", |roi, _, settings| Ok(firstorder::compute(roi, settings))),
    ("shape", |roi, _, settings| Ok(shape::compute(roi, settings))),
    ("shape2D", |roi, _, settings| Ok(shape2d::compute(roi, settings)?)),
    ("glcm", |roi, region, settings| {
        Ok(glcm::compute_on(region.get(roi, settings), roi.spacing, settings))
    }),
    ("glrlm", |roi, region, settings| {
        Ok(glrlm::compute_on(region.get(roi, settings), roi.spacing, settings))
    }),
    ("glszm", |roi, region, settings| {
        Ok(glszm::compute_on(region.get(roi, settings), settings))
    }),
    ("gldm", |roi, region, settings| {
        Ok(gldm::compute_on(region.get(roi, settings), settings))
    }),
    ("ngtdm", |roi, region, settings| {
        Ok(ngtdm::compute_on(region.get(roi, settings), settings))
    }),
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
/// Steps, in the order of PyRadiomics' `execute`: normalise the whole image (`normalize`); resample
/// image and mask onto the padded region's grid, or bring the mask onto the image grid (within
/// `geometryTolerance`, else `correctMask`) and optionally pre-crop; check the region
/// (`minimumROIDimensions`, `minimumROISize`); resegment it by intensity and check it again; shape on
/// the original region (`resegmentShape`: the resegmented one) cropped to the final region's box;
/// then each image type's classes on the final region. Shape features come first, then the other
/// classes in document order, each class's features in PyRadiomics' order (or the document's).
pub fn extract(image: &Volume<f64>, mask: &Volume<i32>, params: &Params) -> Result<FeatureVector, FeatureError> {
    extract_from(Cow::Borrowed(image), None, Cow::Borrowed(mask), None, params)
}

/// [`extract`] on a case as [`read_case_region`](crate::imaging::read_case_region) read it (a block
/// of the image only, when [`region_to_read`] allowed it), taking the volumes, so that each is freed
/// as soon as normalisation or resampling has replaced it rather than held through every image type.
pub fn extract_case(case: CaseVolumes, params: &Params) -> Result<FeatureVector, FeatureError> {
    extract_from(
        Cow::Owned(case.image),
        case.image_block.as_ref(),
        Cow::Owned(case.mask),
        case.mask_block.as_ref(),
        params,
    )
}

/// Runs on a worker of rayon's pool (`rayon::scope` does that from any other thread, and nothing
/// when already on one): the parallel loops of one extraction then share work among the workers
/// instead of each waking the calling thread, which cost 10–20 % of a small case's time.
fn extract_from(
    image: Cow<'_, Volume<f64>>,
    image_block: Option<&BlockPlacement>,
    mask: Cow<'_, Volume<i32>>,
    mask_block: Option<&BlockPlacement>,
    params: &Params,
) -> Result<FeatureVector, FeatureError> {
    rayon::scope(|_| extract_on_worker(image, image_block, mask, mask_block, params))
}

fn extract_on_worker(
    image: Cow<'_, Volume<f64>>,
    image_block: Option<&BlockPlacement>,
    mask: Cow<'_, Volume<i32>>,
    mask_block: Option<&BlockPlacement>,
    params: &Params,
) -> Result<FeatureVector, FeatureError> {
    let settings = &params.settings;
    let classes = enabled_classes(params)?;
    let image = if settings.normalize {
        let normalized = normalize_image(&image, settings.normalize_scale, settings.remove_outliers);
        drop(image);
        Cow::Owned(normalized)
    } else {
        image
    };
    let (image, mask) = load(image, image_block, mask, mask_block, settings)?;
    let region = label_region(&mask, settings.label)?;
    drop(mask);
    check_region(&region, settings)?;
    let resegmented = settings
        .resegment
        .as_ref()
        .map(|r| resegmented_region(&image.voxels, &region, r, settings))
        .transpose()?;
    let texture_region = resegmented.as_ref().unwrap_or(&region);
    let shape_region = if settings.resegment_shape {
        texture_region
    } else {
        &region
    };
    let bounds = bounding_box(texture_region).ok_or(ImagingError::LabelNotFound {
        label: settings.label,
        present: Vec::new(),
    })?;
    let spacing = image.geometry.spacing;
    let mut vector = FeatureVector::new();
    // PyRadiomics computes shape (and shape2D) once, before any image type, and names it `original`.
    let shape_roi = Roi::within(&image.voxels, shape_region, &bounds, spacing, settings);
    for class in classes.iter().filter(|class| SHAPE_CLASSES.contains(&class.name)) {
        if class.name == "shape2D" && !shape2d_applies(&shape_roi, settings) {
            continue;
        }
        vector.extend(named_features(
            "original",
            class,
            &shape_roi,
            &SharedRegion::default(),
            settings,
        )?);
    }
    drop(shape_roi);
    for spec in &params.image_types {
        for_each_derived_image(
            &spec.image_type,
            &image,
            texture_region,
            &bounds,
            &spec.settings,
            |name, voxels| {
                let roi = Roi::on_box(voxels, texture_region, &bounds, spacing, &spec.settings);
                let padded = SharedRegion::default();
                let per_class: Vec<Result<FeatureVector, FeatureError>> = classes
                    .par_iter()
                    .filter(|class| !SHAPE_CLASSES.contains(&class.name))
                    .map(|class| named_features(&name, class, &roi, &padded, &spec.settings))
                    .collect();
                for features in per_class {
                    vector.extend(features?);
                }
                Ok(())
            },
        )?;
    }
    Ok(vector)
}

/// An image and its mask on one grid.
type ImageAndMask = (Volume<f64>, Volume<i32>);

/// An image and its mask on one grid, borrowed from the inputs when no step changed them.
type LoadedImageAndMask<'a> = (Cow<'a, Volume<f64>>, Cow<'a, Volume<i32>>);

/// PyRadiomics' `loadImage` after normalisation, and `checkMask`'s grid handling: resample image and
/// mask onto the padded region's grid when `resampledPixelSpacing` is set (that grid is tied to the
/// mask, so the mask need only lie inside the image); otherwise put the mask on the image grid and,
/// with `preCrop`, crop both to the padded region.
///
/// `image_block` and `mask_block` place `image` and `mask` in the whole volumes when only the blocks
/// resampling reads were read ([`region_to_read`]). Inputs replaced by resampling or cropping are
/// dropped on return (freed when owned).
pub(super) fn load<'a>(
    image: Cow<'a, Volume<f64>>,
    image_block: Option<&BlockPlacement>,
    mask: Cow<'a, Volume<i32>>,
    mask_block: Option<&BlockPlacement>,
    settings: &Settings,
) -> Result<LoadedImageAndMask<'a>, FeatureError> {
    let image_grid = image_block.map_or(&image.geometry, |b| &b.whole);
    if let Some(spacing) = settings.resampled_pixel_spacing {
        let extent = LabelExtent::located(&mask, mask_block, settings.label)?;
        let grid = roi_resampling_grid(
            image_grid,
            &extent,
            settings.label,
            spacing,
            settings.pad_distance as f64,
        )?;
        let (image, mask) = if spacing_unchanged(image_grid.spacing, grid.spacing) {
            // PyRadiomics then interpolates nothing: it moves the mask onto the image grid and
            // crops both to the padded region. (`region_to_read` reads the whole image here.)
            debug_assert!(image_block.is_none(), "a block read for settings that do not resample");
            crop_to_padded_region(&image, &resample_labels(&mask, mask_block, &image.geometry), settings)?
        } else {
            (
                resample_image(&image, image_block, &grid, settings.interpolator),
                resample_labels(&mask, mask_block, &grid),
            )
        };
        return Ok((Cow::Owned(image), Cow::Owned(mask)));
    }
    debug_assert!(
        image_block.is_none() && mask_block.is_none(),
        "a block read for settings that do not resample"
    );
    let mask = mask_on_image_grid(&image.geometry, mask, settings)?;
    if !settings.pre_crop {
        return Ok((image, mask));
    }
    let (image, mask) = crop_to_padded_region(&image, &mask, settings)?;
    Ok((Cow::Owned(image), Cow::Owned(mask)))
}

/// PyRadiomics `resampleImage`'s test for "new spacing equal to the image's": `numpy.allclose`
/// (|a − b| ≤ 1e-8 + 1e-5·|b| on every axis).
fn spacing_unchanged(image: [f64; 3], resampled: [f64; 3]) -> bool {
    image
        .iter()
        .zip(resampled)
        .all(|(a, b)| (a - b).abs() <= 1e-8 + 1e-5 * b.abs())
}

/// PyRadiomics `cropToTumorMask` with `padDistance`: image and mask cropped to the region's
/// bounding box widened by `padDistance` voxels, clipped to the grid.
fn crop_to_padded_region(
    image: &Volume<f64>,
    mask: &Volume<i32>,
    settings: &Settings,
) -> Result<ImageAndMask, FeatureError> {
    let region = label_region(mask, settings.label)?;
    let bounds = padded_bounding_box(&region, settings.pad_distance).ok_or(ImagingError::LabelNotFound {
        label: settings.label,
        present: Vec::new(),
    })?;
    Ok((image.cropped(&bounds), mask.cropped(&bounds)))
}

/// `[z, y, x]` bounds of the region's voxels widened by `pad` voxels, clipped to the grid.
fn padded_bounding_box(region: &Array3<bool>, pad: usize) -> Option<[Range<usize>; 3]> {
    Some(padded(bounding_box(region)?, region.shape(), pad))
}

/// `bounds` widened by `pad` voxels on every side, clipped to `shape`.
fn padded(bounds: [Range<usize>; 3], shape: &[usize], pad: usize) -> [Range<usize>; 3] {
    std::array::from_fn(|a| bounds[a].start.saturating_sub(pad)..(bounds[a].end + pad).min(shape[a]))
}

/// The part of an image on grid `image` that extraction with `params` reads, given the mask, when
/// less than the whole image gives the same features (for
/// [`read_case_region`](crate::imaging::read_case_region)). With resampling and no normalisation
/// (whole-image statistics), PyRadiomics resamples onto a grid around the mask and filters the
/// result, so only the block the interpolator reads is needed
/// ([`CaseRegion::ImageBlock`]); resampling maps points through the whole image's grid, so the values
/// are the whole image's. Without resampling it computes features on the mask's bounding box, so
/// without normalisation or filters run on the uncropped image (no `preCrop`), the padded bounding
/// box is all it uses ([`CaseRegion::Crop`]). `None` when the whole image is needed, the mask does
/// not fit the image or lacks the label (extraction then reports it as usual).
///
/// `label_extent` gives where the mask's label lies (`None`: the mask cannot be read); it is asked
/// for only when the settings could use less than the whole image, since finding it reads the mask.
pub fn region_to_read<'m>(
    params: &Params,
    image: &Geometry,
    label_extent: impl FnOnce() -> Option<&'m LabelExtent>,
) -> Option<CaseRegion> {
    let settings = &params.settings;
    if settings.normalize {
        return None;
    }
    if let Some(spacing) = settings.resampled_pixel_spacing {
        let mask = label_extent()?;
        let grid = roi_resampling_grid(image, mask, settings.label, spacing, settings.pad_distance as f64).ok()?;
        // Unchanged spacing moves the mask onto the image grid instead (see `load`).
        if spacing_unchanged(image.spacing, grid.spacing) {
            return None;
        }
        // The mask's block holds every label voxel: the grid is the label's box, padded.
        return Some(CaseRegion::ImageBlock {
            image: resampling_support(image, &grid)?,
            mask: nearest_support(&mask.geometry, &grid)?,
        });
    }
    let cropped_first =
        |settings: &Settings, image_type: &ImageType| settings.pre_crop || *image_type == ImageType::Original;
    if !params
        .image_types
        .iter()
        .all(|t| cropped_first(settings, &t.image_type) && cropped_first(&t.settings, &t.image_type))
    {
        return None;
    }
    let mask = label_extent()?;
    check_same_grid(image, &mask.geometry, settings.geometry_tolerance).ok()?;
    let pad = params
        .image_types
        .iter()
        .map(|t| t.settings.pad_distance)
        .fold(settings.pad_distance, usize::max);
    let [nx, ny, nz] = mask.geometry.size;
    Some(CaseRegion::Crop(padded(mask.bounds.clone()?, &[nz, ny, nx], pad)))
}

/// PyRadiomics `checkMask`'s first step: the mask as it is when it lies on the image grid (within
/// `geometryTolerance`), resampled onto it when it does not and `correctMask` is set, else an error.
fn mask_on_image_grid<'m>(
    image: &Geometry,
    mask: Cow<'m, Volume<i32>>,
    settings: &Settings,
) -> Result<Cow<'m, Volume<i32>>, FeatureError> {
    match check_same_grid(image, &mask.geometry, settings.geometry_tolerance) {
        Ok(()) => Ok(mask),
        Err(_) if settings.correct_mask => resample_mask_onto(image, &mask, settings.label)
            .map(Cow::Owned)
            .map_err(|source| FeatureError::MaskCorrection { source }),
        Err(e) => Err(e.into()),
    }
}

/// PyRadiomics `resegmentMask` followed by `checkMask` on the result.
fn resegmented_region(
    image: &Array3<f64>,
    region: &Array3<bool>,
    resegmentation: &Resegmentation,
    settings: &Settings,
) -> Result<Array3<bool>, FeatureError> {
    let kept = resegment(image, region, resegmentation, settings.label)?;
    check_region(&kept, settings).map_err(|source| FeatureError::Resegmented {
        resegmentation: *resegmentation,
        source: Box::new(source),
    })?;
    Ok(kept)
}

/// Hands the images one image type yields to `visit`, named as PyRadiomics names them, in its order,
/// one at a time and on the `bounds` box only (all that features read; LoG, wavelet and LBP3D
/// compute just that part): each is dropped before the next is computed, so a multi-image type
/// (LoG sigmas, wavelet sub-bands) never holds all its images at once (issue 3's memory budget;
/// LBP3D's images come together, but on the box). `region` is the label's mask on the image's grid
/// (LBP3D samples only there); `settings` are the image type's.
fn for_each_derived_image(
    image_type: &ImageType,
    image: &Volume<f64>,
    region: &Array3<bool>,
    bounds: &[Range<usize>; 3],
    settings: &Settings,
    mut visit: impl FnMut(String, CowArray<'_, f64, Ix3>) -> Result<(), FeatureError>,
) -> Result<(), FeatureError> {
    let (voxels, spacing) = (&image.voxels, image.geometry.spacing);
    let [z, y, x] = bounds.clone();
    let on_box = s![z, y, x];
    let mut visit_box = |name: String, image: Array3<f64>| visit(name, CowArray::from(image));
    match image_type {
        // Only read, so borrowed: a copy would double the peak memory when nothing is cropped.
        ImageType::Original => visit("original".to_owned(), CowArray::from(voxels.slice(on_box))),
        // PyRadiomics only warns about a sigma it skips.
        ImageType::LoG { sigmas } => {
            sigmas
                .iter()
                .try_for_each(|&sigma| match log_image(voxels, spacing, sigma, bounds) {
                    Ok(filtered) => visit_box(sigma.image_name(), filtered),
                    Err(_) => Ok(()),
                })
        }
        ImageType::Wavelet {
            wavelet,
            start_level,
            level,
        } => for_each_wavelet_image(
            voxels,
            wavelet,
            *start_level,
            *level,
            &wavelet_axes(settings),
            bounds,
            |w| visit_box(w.name, w.image),
        ),
        ImageType::Square => pointwise(PointwiseFilter::Square, voxels, on_box, visit),
        ImageType::SquareRoot => pointwise(PointwiseFilter::SquareRoot, voxels, on_box, visit),
        ImageType::Logarithm => pointwise(PointwiseFilter::Logarithm, voxels, on_box, visit),
        ImageType::Exponential => pointwise(PointwiseFilter::Exponential, voxels, on_box, visit),
        ImageType::Gradient { use_spacing } => visit_box_of(
            GRADIENT_IMAGE_NAME.to_owned(),
            gradient_magnitude(voxels, spacing, *use_spacing),
            on_box,
            visit,
        ),
        ImageType::Lbp2d(options) => {
            if !settings.force_2d {
                tracing::warn!("LBP2D is computed slice by slice but features are extracted in 3-D (force2D is off)");
            }
            let plane_normal = settings.force_2d_dimension;
            visit_box_of(
                LBP2D_IMAGE_NAME.to_owned(),
                lbp2d_image(voxels, options, plane_normal, image.pixel_type),
                on_box,
                visit,
            )
        }
        ImageType::Lbp3d(options) => {
            if settings.force_2d {
                tracing::warn!("LBP3D is computed in 3-D but features are extracted in 2-D (force2D is on)");
            }
            lbp3d_images(
                voxels,
                region,
                bounds,
                options,
                OutputCast::for_pixel_type(image.pixel_type),
            )
            .into_iter()
            .try_for_each(|(name, image)| visit_box(name, image))
        }
    }
}

/// Hands `on_box` of a whole filtered image to `visit`, the whole image freed first: only the box
/// stays alive while the features are computed.
fn visit_box_of(
    name: String,
    whole: Array3<f64>,
    on_box: SliceInfo<[SliceInfoElem; 3], Ix3, Ix3>,
    mut visit: impl FnMut(String, CowArray<'_, f64, Ix3>) -> Result<(), FeatureError>,
) -> Result<(), FeatureError> {
    let on_box = whole.slice(on_box).to_owned();
    drop(whole);
    visit(name, CowArray::from(on_box))
}

/// PyRadiomics `getWaveletImage`: every array axis, last first; force2D leaves out `force2Ddimension`.
fn wavelet_axes(settings: &Settings) -> Vec<usize> {
    [2, 1, 0]
        .into_iter()
        .filter(|&axis| !settings.force_2d || axis != settings.force_2d_dimension)
        .collect()
}

fn pointwise(
    filter: PointwiseFilter,
    voxels: &Array3<f64>,
    on_box: SliceInfo<[SliceInfoElem; 3], Ix3, Ix3>,
    visit: impl FnMut(String, CowArray<'_, f64, Ix3>) -> Result<(), FeatureError>,
) -> Result<(), FeatureError> {
    // The filters' scales come from the whole image (PyRadiomics), so it is filtered whole.
    visit_box_of(filter.image_name().to_owned(), filter.apply(voxels)?, on_box, visit)
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
fn check_region(region: &Array3<bool>, settings: &Settings) -> Result<(), FeatureError> {
    let dimensions = bounding_box(region).map_or(0, |bounds| bounds.iter().filter(|r| r.len() > 1).count());
    if dimensions == 0 || dimensions < settings.minimum_roi_dimensions {
        return Err(FeatureError::TooFewDimensions {
            label: settings.label,
            dimensions,
            required: settings.minimum_roi_dimensions.max(1),
        });
    }
    if let Some(minimum) = settings.minimum_roi_size {
        let voxels = region.iter().filter(|&&inside| inside).count() as u64;
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
    region: &SharedRegion,
    settings: &Settings,
) -> Result<FeatureVector, FeatureError> {
    let computed = (class.compute)(roi, region, settings)?;
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
    use ndarray::s;

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
            let computed = compute(&roi, &SharedRegion::default(), &settings).unwrap();
            let names: Vec<&str> = computed.iter().map(|(n, _)| *n).collect();
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

    /// The phantom's mask stored on a grid one voxel shorter in x, starting one voxel later: the
    /// same physical labels on another grid.
    fn mask_cropped_in_x(mask: &Volume<i32>) -> Volume<i32> {
        let mut geometry = mask.geometry.clone();
        geometry.size[0] -= 1;
        geometry.origin[0] += geometry.spacing[0];
        Volume::new(geometry, mask.voxels.slice(s![.., .., 1..]).to_owned())
    }

    #[test]
    fn correct_mask_resamples_an_off_grid_mask_onto_the_image_grid() {
        let (image, mask) = phantom();
        let cropped = mask_cropped_in_x(&mask);
        let refused = extract(&image, &cropped, &Params::default()).unwrap_err();
        assert!(
            matches!(refused, FeatureError::Imaging(ImagingError::GeometryMismatch { .. })),
            "{refused}"
        );
        let params = Params::from_yaml_str("setting: {correctMask: true}").unwrap();
        assert_eq!(
            extract(&image, &cropped, &params).unwrap(),
            extract(&image, &mask, &params).unwrap()
        );
    }

    #[test]
    fn correct_mask_refuses_a_region_outside_the_image_naming_the_setting() {
        let (image, mut mask) = phantom();
        mask.geometry.origin[1] = 3.0;
        let params = Params::from_yaml_str("setting: {correctMask: true}").unwrap();
        let err = extract(&image, &mask, &params).unwrap_err();
        assert!(
            matches!(
                err,
                FeatureError::MaskCorrection {
                    source: ImagingError::RegionOutsideImage { label: 1, .. }
                }
            ),
            "{err}"
        );
        assert!(err.to_string().starts_with("correctMask"), "{err}");
    }

    fn value(features: &FeatureVector, name: &str) -> f64 {
        features
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .1
    }

    #[test]
    fn resegmentation_shrinks_the_region_and_shape_is_cropped_to_its_box() {
        let (image, mask) = phantom();
        // Label 1 holds 20, 27, 33, 40, 46, 53 at z = 0 and those + 29 at z = 1; [0, 33] keeps an
        // L of three voxels at z = 0 whose box (x 1–2, y 1–2) holds four voxels of the label.
        let yaml = "featureClass: {shape: [VoxelVolume], firstorder: [Maximum]}\nsetting: {resegmentRange: [33, 0]";
        let features = extract(&image, &mask, &Params::from_yaml_str(&format!("{yaml}}}")).unwrap()).unwrap();
        assert_eq!(value(&features, "original_firstorder_Maximum"), 33.0);
        // Voxels are 1×1×2 mm: PyRadiomics' shape sees the original mask inside the new box.
        assert_eq!(value(&features, "original_shape_VoxelVolume"), 8.0);
        let shape_too = Params::from_yaml_str(&format!("{yaml}, resegmentShape: true}}")).unwrap();
        let features = extract(&image, &mask, &shape_too).unwrap();
        assert_eq!(value(&features, "original_shape_VoxelVolume"), 6.0);
    }

    #[test]
    fn a_resegmented_region_failing_the_mask_checks_is_an_error_naming_the_range() {
        let (image, mask) = phantom();
        let params = Params::from_yaml_str("setting: {resegmentRange: [0, 33], minimumROISize: 3}").unwrap();
        let err = extract(&image, &mask, &params).unwrap_err();
        assert!(
            matches!(&err, FeatureError::Resegmented { source, .. } if matches!(**source, FeatureError::TooSmall { voxels: 3, .. })),
            "{err}"
        );
        assert!(err.to_string().contains("resegmentRange [0, 33]"), "{err}");
        let params = Params::from_yaml_str("setting: {resegmentRange: [0, 20]}").unwrap();
        let err = extract(&image, &mask, &params).unwrap_err();
        assert!(
            matches!(err, FeatureError::ResegmentedAway { retained: 1, .. }),
            "{err}"
        );
    }

    #[test]
    fn normalisation_uses_the_whole_image_even_when_pre_cropping() {
        let (image, mask) = phantom();
        let yaml = "featureClass: {firstorder: [Mean]}\nsetting: {normalize: true, normalizeScale: 10, padDistance: 0";
        let whole = extract(&image, &mask, &Params::from_yaml_str(&format!("{yaml}}}")).unwrap()).unwrap();
        let cropped = Params::from_yaml_str(&format!("{yaml}, preCrop: true}}")).unwrap();
        assert_eq!(extract(&image, &mask, &cropped).unwrap(), whole);
        let normalized = normalize_image(&image, 10.0, None);
        let region = label_region(&mask, 1).unwrap();
        let inside: Vec<f64> = normalized
            .voxels
            .iter()
            .zip(&region)
            .filter(|(_, r)| **r)
            .map(|(v, _)| *v)
            .collect();
        let mean = inside.iter().sum::<f64>() / inside.len() as f64;
        assert!((whole[0].1 - mean).abs() < 1e-12, "{} vs {mean}", whole[0].1);
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
