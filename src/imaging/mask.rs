//! Checking a mask against its image and turning a label into a region.

use std::ops::Range;

use ndarray::Array3;

use super::{BlockPlacement, Geometry, ImagingError, Volume};

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
pub fn bounding_box(mask: &Array3<bool>) -> Option<[Range<usize>; 3]> {
    bounding_box_where(mask, |&inside| inside)
}

/// Inclusive-exclusive `[z, y, x]` bounds of the voxels for which `inside` holds, or `None`.
pub fn bounding_box_where<T>(voxels: &Array3<T>, inside: impl Fn(&T) -> bool) -> Option<[Range<usize>; 3]> {
    let ny = voxels.dim().1;
    let mut bounds = RowBounds::default();
    for (r, row) in voxels.rows().into_iter().enumerate() {
        bounds.add_row([r / ny, r % ny], row.iter(), &inside);
    }
    bounds.finish()
}

/// The bounding box of the voxels that pass a test, gathered one x row at a time (rows in any
/// order), so that a volume streamed from a file needs no more than a row in memory.
///
/// On a whole CT volume with a small region this runs on every reading, so it must cost a few
/// instructions per voxel, not an index triple each.
#[derive(Debug)]
pub(crate) struct RowBounds {
    lo: [usize; 3],
    hi: [usize; 3],
}

impl Default for RowBounds {
    fn default() -> Self {
        RowBounds {
            lo: [usize::MAX; 3],
            hi: [0; 3],
        }
    }
}

impl RowBounds {
    /// Adds row `[z, y]`.
    pub(crate) fn add_row<'a, T: 'a, I>(&mut self, [z, y]: [usize; 2], row: I, inside: impl Fn(&T) -> bool)
    where
        I: IntoIterator<Item = &'a T>,
        I::IntoIter: Clone + DoubleEndedIterator + ExactSizeIterator,
    {
        let row = row.into_iter();
        // Most rows of a whole-image mask hold none: a pass without an early exit vectorises,
        // where `position` tests one voxel per branch.
        if !row.clone().fold(false, |any, v| any | inside(v)) {
            return;
        }
        let Some(first) = row.clone().position(&inside) else {
            return;
        };
        let last = row.clone().rposition(&inside).unwrap_or(first);
        for (axis, (low, high)) in [(z, z + 1), (y, y + 1), (first, last + 1)].into_iter().enumerate() {
            self.lo[axis] = self.lo[axis].min(low);
            self.hi[axis] = self.hi[axis].max(high);
        }
    }

    /// The `[z, y, x]` bounds, `None` when no voxel passed.
    pub(crate) fn finish(self) -> Option<[Range<usize>; 3]> {
        let [lo, hi] = [self.lo, self.hi];
        (lo[0] != usize::MAX).then(|| [lo[0]..hi[0], lo[1]..hi[1], lo[2]..hi[2]])
    }
}

/// A label volume's grid and where one label lies on it: what choosing the part of a case to read
/// needs, which a label file gives without its voxels being held ([`read_label_extent`](super::read_label_extent)).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelExtent {
    /// The whole label volume's grid.
    pub geometry: Geometry,
    /// `[z, y, x]` bounds of the label's voxels; `None` when it has none.
    pub bounds: Option<[Range<usize>; 3]>,
}

impl LabelExtent {
    /// The extent of `label` in `mask`.
    pub fn of(mask: &Volume<i32>, label: i32) -> LabelExtent {
        LabelExtent {
            geometry: mask.geometry.clone(),
            bounds: bounding_box_where(&mask.voxels, |&v| v == label),
        }
    }

    /// The extent of `label` in the whole label volume, from `mask`, the block of it that `block`
    /// places (one holding every voxel of the label), or the whole volume for `None`; an error
    /// listing the labels present when there is none.
    pub fn located(
        mask: &Volume<i32>,
        block: Option<&BlockPlacement>,
        label: i32,
    ) -> Result<LabelExtent, ImagingError> {
        let Some(bounds) = bounding_box_where(&mask.voxels, |&v| v == label) else {
            return Err(label_region(mask, label).err().unwrap_or(ImagingError::LabelNotFound {
                label,
                present: Vec::new(),
            }));
        };
        Ok(match block {
            Some(b) => LabelExtent {
                geometry: b.whole.clone(),
                bounds: Some(std::array::from_fn(|a| {
                    bounds[a].start + b.start[a]..bounds[a].end + b.start[a]
                })),
            },
            None => LabelExtent {
                geometry: mask.geometry.clone(),
                bounds: Some(bounds),
            },
        })
    }
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
