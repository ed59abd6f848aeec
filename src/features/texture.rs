//! What the texture classes share: the grey levels present in a region with each voxel's position
//! among them (texture matrices are indexed by present levels only, as PyRadiomics deletes the rows
//! and columns of absent levels, so their size follows the number of distinct levels, not the
//! highest level), and PyRadiomics' averaging of per-angle features.

use rayon::prelude::*;

use super::{ClassFeatures, Roi};

/// `numpy.spacing(1)`, the ε PyRadiomics adds inside logarithms and denominators.
pub const EPS: f64 = f64::EPSILON;

/// A feature as a function of one angle's matrix `M`, with its PyRadiomics name.
pub type NamedFeature<M> = (&'static str, fn(&M) -> f64);

/// Marks a voxel outside the region in [`LevelIndex::voxels`].
pub const OUTSIDE: u32 = u32::MAX;

/// A region's grey levels, re-indexed densely.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelIndex {
    /// The discretised levels present in the region, ascending (PyRadiomics `grayLevels`).
    pub levels: Vec<u32>,
    /// For every voxel of the cropped region (row-major `[z, y, x]`), the position of its level in
    /// `levels`, or [`OUTSIDE`].
    pub voxels: Vec<u32>,
    /// The region's `[z, y, x]` size.
    pub shape: [usize; 3],
}

impl LevelIndex {
    /// Indexes `roi.grey_levels` (0 outside the mask, PyRadiomics bin numbers inside).
    pub fn new(roi: &Roi) -> LevelIndex {
        let (nz, ny, nx) = roi.grey_levels.dim();
        let max_level = roi.grey_levels.iter().copied().max().unwrap_or(0) as usize;
        let mut present = vec![false; max_level + 1];
        for (&level, &inside) in roi.grey_levels.iter().zip(roi.mask.iter()) {
            if inside {
                present[level as usize] = true;
            }
        }
        let levels: Vec<u32> = (0..=max_level as u32).filter(|&l| present[l as usize]).collect();
        let mut position = vec![OUTSIDE; max_level + 1];
        for (k, &level) in levels.iter().enumerate() {
            position[level as usize] = k as u32;
        }
        let voxels = roi
            .grey_levels
            .iter()
            .zip(roi.mask.iter())
            .map(|(&level, &inside)| if inside { position[level as usize] } else { OUTSIDE })
            .collect();
        LevelIndex {
            levels,
            voxels,
            shape: [nz, ny, nx],
        }
    }

    /// PyRadiomics `Ng`: the highest level present (not the number of levels), 0 for an empty region.
    pub fn max_level(&self) -> u32 {
        self.levels.last().copied().unwrap_or(0)
    }

    /// The level values as `f64`, the `i`/`j` weights of the texture formulas.
    pub fn level_values(&self) -> Vec<f64> {
        self.levels.iter().map(|&l| f64::from(l)).collect()
    }

    /// Row-major offset of voxel `[z, y, x]`.
    pub fn offset(&self, z: usize, y: usize, x: usize) -> usize {
        (z * self.shape[1] + y) * self.shape[2] + x
    }
}

/// Every feature on every angle's matrix, then the mean over angles ignoring NaN (numpy `nanmean`,
/// PyRadiomics' default aggregation), in the order of `features`.
pub fn average_over_angles<M: Sync>(features: &[NamedFeature<M>], matrices: &[M]) -> ClassFeatures {
    let per_angle: Vec<Vec<f64>> = matrices
        .par_iter()
        .map(|m| features.iter().map(|(_, feature)| feature(m)).collect())
        .collect();
    features
        .iter()
        .enumerate()
        .map(|(k, (name, _))| (*name, nan_mean(per_angle.iter().map(|values| values[k]))))
        .collect()
}

/// numpy `nanmean`: the mean of the non-NaN values, NaN when there are none.
pub fn nan_mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values
        .filter(|v| !v.is_nan())
        .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    if count == 0 { f64::NAN } else { sum / count as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    #[test]
    fn absent_levels_are_skipped_but_level_values_kept() {
        let grey_levels = Array3::from_shape_vec((1, 2, 3), vec![3, 7, 3, 0, 7, 9]).unwrap();
        let mask = grey_levels.mapv(|l| l != 0);
        let roi = Roi {
            image: grey_levels.mapv(f64::from),
            mask,
            spacing: [1.0; 3],
            grey_levels,
        };
        let index = LevelIndex::new(&roi);
        assert_eq!(index.levels, vec![3, 7, 9]);
        assert_eq!(index.voxels, vec![0, 1, 0, OUTSIDE, 1, 2]);
        assert_eq!(index.max_level(), 9);
        assert_eq!(index.offset(0, 1, 2), 5);
    }

    #[test]
    fn angle_average_skips_nan_like_numpy_nanmean() {
        assert_eq!(nan_mean([1.0, f64::NAN, 2.0].into_iter()), 1.5);
        assert!(nan_mean([f64::NAN].into_iter()).is_nan());
        let features: [NamedFeature<f64>; 2] = [("Same", |&m| m), ("Double", |&m| 2.0 * m)];
        assert_eq!(
            average_over_angles(&features, &[1.0, 3.0]),
            vec![("Same", 2.0), ("Double", 4.0)]
        );
    }
}
