//! Checking a mask against its image and turning a label into a region.

use ndarray::Array3;

use super::{Geometry, ImagingError, Volume};

/// Checks that `mask` lies on `image`'s grid, with PyRadiomics' `geometryTolerance` semantics (it
/// sets ITK's global coordinate and direction tolerances): sizes must be equal; spacing and origin
/// must agree per component within `tolerance` times the image's x spacing, and direction within
/// `tolerance`, as ITK's `ImageToImageFilter::VerifyInputInformation` checks them.
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
    let coordinate_tolerance = (tolerance * image.spacing[0]).abs();
    for (what, a, b, tolerance) in [
        ("spacing", &image.spacing[..], &mask.spacing[..], coordinate_tolerance),
        ("origin", &image.origin[..], &mask.origin[..], coordinate_tolerance),
        ("direction", &image.direction[..], &mask.direction[..], tolerance),
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

/// Inclusive-exclusive `[z, y, x]` bounds of the `true` voxels, or `None` for an empty mask.
pub fn bounding_box(mask: &Array3<bool>) -> Option<[std::ops::Range<usize>; 3]> {
    bounding_box_where(mask, |&inside| inside)
}

/// Inclusive-exclusive `[z, y, x]` bounds of the voxels for which `inside` holds, or `None`.
///
/// Scans row by row (a row is one x line): on a whole CT volume with a small region this runs on
/// every reading, so it must cost a few instructions per voxel, not an index triple each.
pub fn bounding_box_where<T>(voxels: &Array3<T>, inside: impl Fn(&T) -> bool) -> Option<[std::ops::Range<usize>; 3]> {
    let ny = voxels.dim().1;
    let mut lo = [usize::MAX; 3];
    let mut hi = [0usize; 3];
    for (r, row) in voxels.rows().into_iter().enumerate() {
        // Most rows of a whole-image mask hold none: a pass without an early exit vectorises,
        // where `position` tests one voxel per branch.
        if !row.iter().fold(false, |any, v| any | inside(v)) {
            continue;
        }
        let Some(first) = row.iter().position(&inside) else {
            continue;
        };
        let last = row.iter().rposition(&inside).unwrap_or(first);
        for (axis, (low, high)) in [(r / ny, r / ny + 1), (r % ny, r % ny + 1), (first, last + 1)]
            .into_iter()
            .enumerate()
        {
            lo[axis] = lo[axis].min(low);
            hi[axis] = hi[axis].max(high);
        }
    }
    (lo[0] != usize::MAX).then(|| [lo[0]..hi[0], lo[1]..hi[1], lo[2]..hi[2]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounding_box_spans_the_region_voxels_on_every_axis() {
        let mut mask = Array3::from_elem((4, 5, 6), false);
        assert_eq!(bounding_box(&mask), None);
        for (z, y, x) in [(1, 3, 2), (2, 1, 4), (2, 1, 5), (1, 2, 1)] {
            mask[[z, y, x]] = true;
        }
        assert_eq!(bounding_box(&mask), Some([1..3, 1..4, 1..6]));
        mask.fill(false);
        mask[[3, 4, 0]] = true;
        assert_eq!(bounding_box(&mask), Some([3..4, 4..5, 0..1]));
    }

    fn grid(spacing: [f64; 3]) -> Geometry {
        Geometry {
            size: [4, 4, 4],
            spacing,
            origin: [0.0; 3],
            direction: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        }
    }

    #[test]
    fn grid_tolerance_scales_with_the_image_x_spacing_like_itk() {
        // SimpleITK 2.5 LabelStatisticsImageFilter on brain1 (x spacing 0.78125 mm, tolerance 1e-6)
        // accepts a mask origin or spacing off by 0.75e-6 mm on any axis and refuses 0.8e-6 mm.
        let image = grid([0.78125, 0.78125, 6.5]);
        for axis in 0..3 {
            for (offset, accepted) in [(0.75e-6, true), (0.8e-6, false)] {
                let mut shifted = image.clone();
                shifted.origin[axis] += offset;
                assert_eq!(
                    check_same_grid(&image, &shifted, 1e-6).is_ok(),
                    accepted,
                    "origin {axis} {offset}"
                );
                let mut stretched = image.clone();
                stretched.spacing[axis] += offset;
                assert_eq!(
                    check_same_grid(&image, &stretched, 1e-6).is_ok(),
                    accepted,
                    "spacing {axis} {offset}"
                );
            }
        }
        // Directions are compared without the spacing factor.
        let mut tilted = image.clone();
        tilted.direction[1] = 0.9e-6;
        assert!(check_same_grid(&image, &tilted, 1e-6).is_ok());
        tilted.direction[1] = 1.1e-6;
        assert!(check_same_grid(&image, &tilted, 1e-6).is_err());
    }

    #[test]
    fn masks_of_another_size_are_on_another_grid() {
        let image = grid([1.0; 3]);
        let mut mask = image.clone();
        mask.size[2] = 3;
        assert!(matches!(
            check_same_grid(&image, &mask, 1e-6),
            Err(ImagingError::GeometryMismatch { .. })
        ));
    }
}
