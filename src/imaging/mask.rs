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

/// Inclusive-exclusive `[z, y, x]` bounds of the `true` voxels, or `None` for an empty mask.
///
/// Scans row by row (a row is one x line): on a whole CT volume with a small region this runs on
/// every reading, so it must cost a few instructions per voxel, not an index triple each.
pub fn bounding_box(mask: &Array3<bool>) -> Option<[std::ops::Range<usize>; 3]> {
    let ny = mask.dim().1;
    let mut lo = [usize::MAX; 3];
    let mut hi = [0usize; 3];
    for (r, row) in mask.rows().into_iter().enumerate() {
        let Some(first) = row.iter().position(|&inside| inside) else {
            continue;
        };
        let last = row.iter().rposition(|&inside| inside).unwrap_or(first);
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
}
