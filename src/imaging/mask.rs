//! Checking a mask against its image and turning a label into a region.

use ndarray::Array3;

use super::{Geometry, ImagingError, Volume};

/// Checks that `mask` lies on `image`'s grid, with PyRadiomics' `geometryTolerance` semantics:
/// sizes must be equal, and spacing, origin and direction must agree within `tolerance` (absolute,
/// per component), as SimpleITK's `CheckImageCompatibility` does.
pub fn check_same_grid(image: &Geometry, mask: &Geometry, tolerance: f64) -> Result<(), ImagingError> {
    let mismatch = |detail: String| ImagingError::GeometryMismatch {
        detail,
        image: Box::new(image.clone()),
        mask: Box::new(mask.clone()),
    };
    if image.size != mask.size {
        return Err(mismatch(format!("size {:?} vs {:?}", image.size, mask.size)));
    }
    let worst = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
    for (what, a, b) in [
        ("spacing", &image.spacing[..], &mask.spacing[..]),
        ("origin", &image.origin[..], &mask.origin[..]),
        ("direction", &image.direction[..], &mask.direction[..]),
    ] {
        let diff = worst(a, b);
        if diff > tolerance {
            return Err(mismatch(format!(
                "{what} differs by {diff:.3e} > tolerance {tolerance:e}"
            )));
        }
    }
    Ok(())
}

/// Voxels equal to `label`, or an error listing the labels that are present when none are.
pub fn label_region(mask: &Volume<i32>, label: i32) -> Result<Array3<bool>, ImagingError> {
    let region = mask.voxels.mapv(|v| v == label);
    if region.iter().any(|&v| v) {
        return Ok(region);
    }
    let mut present: Vec<i32> = mask
        .voxels
        .iter()
        .copied()
        .filter(|&v| v != 0)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    present.truncate(32);
    Err(ImagingError::LabelNotFound { label, present })
}
