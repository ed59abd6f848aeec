//! Placing mask planes (SEG frames, RTSTRUCT contours) on an image's voxel grid, and checking that
//! a mask was drawn on that image.

use super::{DicomError, SeriesIdentity};
use crate::imaging::Geometry;

/// A point is on a grid position when it lies within this fraction of the smallest voxel spacing of
/// it. DICOM writes positions as decimal strings of at most 16 characters, so a mask copied from
/// the image's positions agrees to far better than 1 %, while half a voxel is an error.
const GRID_TOLERANCE: f64 = 0.01;

/// The inverse of a grid's index-to-physical map.
pub(crate) struct GridMap<'g> {
    pub geometry: &'g Geometry,
    /// Row-major inverse of direction × diag(spacing).
    inverse: [f64; 9],
}

impl<'g> GridMap<'g> {
    pub fn new(geometry: &'g Geometry) -> GridMap<'g> {
        let m: [f64; 9] = std::array::from_fn(|i| geometry.direction[i] * geometry.spacing[i % 3]);
        let cofactor = |r: usize, c: usize| {
            let (r0, r1) = ((r + 1) % 3, (r + 2) % 3);
            let (c0, c1) = ((c + 1) % 3, (c + 2) % 3);
            m[r0 * 3 + c0] * m[r1 * 3 + c1] - m[r0 * 3 + c1] * m[r1 * 3 + c0]
        };
        let determinant: f64 = (0..3).map(|c| m[c] * cofactor(0, c)).sum();
        // inverse = adjugate / determinant; the adjugate is the transposed cofactor matrix.
        let inverse = std::array::from_fn(|i| cofactor(i % 3, i / 3) / determinant);
        GridMap { geometry, inverse }
    }

    /// Continuous (x, y, z) voxel index of an LPS point.
    pub fn continuous_index(&self, point: [f64; 3]) -> [f64; 3] {
        let d: [f64; 3] = std::array::from_fn(|r| point[r] - self.geometry.origin[r]);
        std::array::from_fn(|r| (0..3).map(|c| self.inverse[r * 3 + c] * d[c]).sum())
    }

    /// Length in mm of a step of `delta` voxels.
    pub fn length_mm(&self, delta: [f64; 3]) -> f64 {
        let g = self.geometry;
        (0..3)
            .map(|r| {
                (0..3)
                    .map(|c| g.direction[r * 3 + c] * g.spacing[c] * delta[c])
                    .sum::<f64>()
                    .powi(2)
            })
            .sum::<f64>()
            .sqrt()
    }

    /// How far a point may be from a grid position, mm.
    pub fn tolerance_mm(&self) -> f64 {
        GRID_TOLERANCE * self.geometry.spacing.iter().copied().fold(f64::INFINITY, f64::min)
    }
}

/// Whether the direction cosines `row` and `column` (ImageOrientationPatient) are the grid's x and
/// y axes.
pub(crate) fn same_orientation(geometry: &Geometry, orientation: [f64; 6]) -> bool {
    (0..3).all(|r| {
        (geometry.direction[r * 3] - orientation[r]).abs() <= super::geometry::ORIENTATION_TOLERANCE
            && (geometry.direction[r * 3 + 1] - orientation[3 + r]).abs() <= super::geometry::ORIENTATION_TOLERANCE
    })
}

/// Checks that a mask belongs to the image series: same frame of reference (when both say) and,
/// when the mask lists the series it was drawn on, the image's series among them.
pub(crate) fn check_references(
    file: &str,
    image: Option<&SeriesIdentity>,
    frame_of_reference: Option<&str>,
    referenced_series: &[String],
) -> Result<(), DicomError> {
    let Some(image) = image else { return Ok(()) };
    if let (Some(mask), Some(ours)) = (frame_of_reference, image.frame_of_reference_uid.as_deref())
        && mask != ours
    {
        return Err(DicomError::OtherFrameOfReference {
            file: file.into(),
            mask: mask.into(),
            image: ours.into(),
        });
    }
    if !referenced_series.is_empty() && !referenced_series.contains(&image.series_uid) {
        return Err(DicomError::OtherSeries {
            file: file.into(),
            referenced: referenced_series.to_vec(),
            image: image.series_uid.clone(),
        });
    }
    Ok(())
}
