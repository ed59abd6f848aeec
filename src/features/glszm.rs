//! Grey Level Size Zone Matrix features (PyRadiomics `radiomics/glszm.py`, matrix from
//! `calculate_glszm` in `cmatrices.c`; IBSI 1 chapter 3.7).
//!
//! A zone is a connected set of voxels with one grey level: 26-connected in 3-D, 8-connected in the
//! planes normal to `force2Ddimension` with `force2D`. All zones are found in one flood fill over the
//! cropped region and kept as sparse (level, size) counts, so hundreds of grey levels cost nothing.
//!
//! [`LevelSizeMatrix`] holds the feature formulas GLSZM shares with GLDM, whose matrix has the same
//! shape (grey level × dependence count) and whose features PyRadiomics defines identically.

use super::angles::{PaddedRegion, settings_angles};
use super::texture::EPS;
use super::{ClassFeatures, Roi, Settings};

/// The 16 GLSZM features in PyRadiomics' output order (alphabetical, as `getFeatureNames` lists
/// them).
pub fn compute(roi: &Roi, settings: &Settings) -> ClassFeatures {
    compute_on(&PaddedRegion::for_texture(roi, settings), settings)
}

/// [`compute`] on the region already padded ([`PaddedRegion::for_texture`]).
pub fn compute_on(region: &PaddedRegion, settings: &Settings) -> ClassFeatures {
    let m = glszm_matrix(region, settings);
    vec![
        ("GrayLevelNonUniformity", m.grey_level_non_uniformity()),
        (
            "GrayLevelNonUniformityNormalized",
            m.grey_level_non_uniformity_normalized(),
        ),
        ("GrayLevelVariance", m.grey_level_variance()),
        ("HighGrayLevelZoneEmphasis", m.high_grey_level_emphasis()),
        ("LargeAreaEmphasis", m.large_size_emphasis()),
        (
            "LargeAreaHighGrayLevelEmphasis",
            m.large_size_high_grey_level_emphasis(),
        ),
        ("LargeAreaLowGrayLevelEmphasis", m.large_size_low_grey_level_emphasis()),
        ("LowGrayLevelZoneEmphasis", m.low_grey_level_emphasis()),
        ("SizeZoneNonUniformity", m.size_non_uniformity()),
        ("SizeZoneNonUniformityNormalized", m.size_non_uniformity_normalized()),
        ("SmallAreaEmphasis", m.small_size_emphasis()),
        (
            "SmallAreaHighGrayLevelEmphasis",
            m.small_size_high_grey_level_emphasis(),
        ),
        ("SmallAreaLowGrayLevelEmphasis", m.small_size_low_grey_level_emphasis()),
        ("ZoneEntropy", m.entropy()),
        ("ZonePercentage", zone_percentage(&m)),
        ("ZoneVariance", m.size_variance()),
    ]
}

/// Zone Percentage `ZP = N_z / N_p`, with `N_p = Σ_j j·Σ_i P(i,j)` the voxel count
/// (PyRadiomics GLSZM feature 7; IBSI `szm_z_perc`).
pub fn zone_percentage(m: &LevelSizeMatrix) -> f64 {
    let voxels: f64 = m.size_marginal().iter().map(|&(j, n)| j * n).sum();
    m.total() / voxels
}

/// The GLSZM of `roi`: one count per zone at (grey level, zone size).
pub fn glszm_matrix(region: &PaddedRegion, settings: &Settings) -> LevelSizeMatrix {
    let steps = region.steps_for(&settings_angles(region.shape(), &[1], true, settings));
    LevelSizeMatrix::from_entries(zones(region, &steps))
}

/// (grey level, size) of every zone: one depth-first flood fill over the region.
fn zones(region: &PaddedRegion, steps: &[isize]) -> Vec<(u32, u32)> {
    // Visited voxels are cleared to 0 (outside) in a copy of the levels, so "unvisited, in the
    // region and of the zone's level" is a single comparison per neighbour.
    let mut unvisited = region.levels().to_vec();
    let mut stack = Vec::new();
    let mut out = Vec::new();
    for &seed in region.voxels() {
        let level = unvisited[seed];
        if level == 0 {
            continue;
        }
        unvisited[seed] = 0;
        stack.push(seed);
        let mut size = 0u32;
        while let Some(voxel) = stack.pop() {
            size += 1;
            for &step in steps {
                let neighbour = voxel.wrapping_add_signed(step);
                if unvisited[neighbour] == level {
                    unvisited[neighbour] = 0;
                    stack.push(neighbour);
                }
            }
        }
        out.push((level, size));
    }
    out
}

/// A sparse grey level × size matrix `P(i, j)` (GLSZM: zones of size `j`; GLDM: voxels with `j`
/// dependent voxels counting themselves), with the features PyRadiomics computes from it.
///
/// Only occupied cells are stored, sorted by (level, size); PyRadiomics deletes empty grey levels
/// and sizes before computing features, so sums over occupied cells are the same sums.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelSizeMatrix {
    /// (level i, size j, count P(i, j)), sorted, counts > 0.
    cells: Vec<(u32, u32, f64)>,
    /// `N_z = Σ P(i, j)`.
    total: f64,
}

impl LevelSizeMatrix {
    /// Counts `(level, size)` entries into a matrix.
    pub fn from_entries(mut entries: Vec<(u32, u32)>) -> LevelSizeMatrix {
        let (rows, columns) = entries.iter().fold((0, 0), |(i, j), &(level, size)| {
            (i.max(level as usize + 1), j.max(size as usize + 1))
        });
        let mut cells: Vec<(u32, u32, f64)> = Vec::new();
        // GLDM gives an entry per voxel with few distinct sizes: a dense table counts them in one
        // pass; zone sizes can reach the region's size, so sparse GLSZMs are sorted instead.
        if rows.saturating_mul(columns) <= 2 * entries.len() + 4096 {
            let mut table = vec![0u32; rows * columns];
            for &(i, j) in &entries {
                table[i as usize * columns + j as usize] += 1;
            }
            for (k, &n) in table.iter().enumerate().filter(|(_, n)| **n > 0) {
                cells.push(((k / columns) as u32, (k % columns) as u32, f64::from(n)));
            }
        } else {
            entries.sort_unstable();
            for (i, j) in entries {
                match cells.last_mut() {
                    Some(last) if (last.0, last.1) == (i, j) => last.2 += 1.0,
                    _ => cells.push((i, j, 1.0)),
                }
            }
        }
        let total = cells.iter().map(|c| c.2).sum();
        LevelSizeMatrix { cells, total }
    }

    /// Occupied cells `(i, j, P(i, j))`, sorted by level then size.
    pub fn cells(&self) -> &[(u32, u32, f64)] {
        &self.cells
    }

    /// `N_z`, the sum of all counts.
    pub fn total(&self) -> f64 {
        self.total
    }

    /// `p_g(i) = Σ_j P(i, j)` for each occupied level, as `(i, p_g)`.
    pub fn level_marginal(&self) -> Vec<(f64, f64)> {
        marginal(self.cells.iter().map(|&(i, _, n)| (i, n)))
    }

    /// `p_s(j) = Σ_i P(i, j)` for each occupied size, as `(j, p_s)`.
    pub fn size_marginal(&self) -> Vec<(f64, f64)> {
        let mut by_size: Vec<(u32, f64)> = self.cells.iter().map(|&(_, j, n)| (j, n)).collect();
        by_size.sort_unstable_by_key(|&(j, _)| j);
        marginal(by_size.into_iter())
    }

    /// `Σ_ij P(i,j)·w(i, j) / N_z`, the shape shared by every emphasis feature.
    fn emphasis(&self, weight: impl Fn(f64, f64) -> f64) -> f64 {
        let sum: f64 = self
            .cells
            .iter()
            .map(|&(i, j, n)| n * weight(f64::from(i), f64::from(j)))
            .sum();
        sum / self.total
    }

    /// Small Area / Dependence Emphasis `Σ P(i,j)/j² / N_z` (PyRadiomics GLSZM 1 / GLDM 1).
    pub fn small_size_emphasis(&self) -> f64 {
        self.emphasis(|_, j| 1.0 / (j * j))
    }

    /// Large Area / Dependence Emphasis `Σ P(i,j)·j² / N_z` (PyRadiomics GLSZM 2 / GLDM 2).
    pub fn large_size_emphasis(&self) -> f64 {
        self.emphasis(|_, j| j * j)
    }

    /// Grey Level Non-Uniformity `Σ_i (Σ_j P(i,j))² / N_z` (PyRadiomics GLSZM 3 / GLDM 3).
    pub fn grey_level_non_uniformity(&self) -> f64 {
        sum_of_squares(&self.level_marginal()) / self.total
    }

    /// Grey Level Non-Uniformity Normalized `Σ_i (Σ_j P(i,j))² / N_z²` (PyRadiomics GLSZM 4).
    pub fn grey_level_non_uniformity_normalized(&self) -> f64 {
        sum_of_squares(&self.level_marginal()) / (self.total * self.total)
    }

    /// Size Zone / Dependence Non-Uniformity `Σ_j (Σ_i P(i,j))² / N_z` (PyRadiomics GLSZM 5 /
    /// GLDM 4).
    pub fn size_non_uniformity(&self) -> f64 {
        sum_of_squares(&self.size_marginal()) / self.total
    }

    /// Size Zone / Dependence Non-Uniformity Normalized `Σ_j (Σ_i P(i,j))² / N_z²` (PyRadiomics
    /// GLSZM 6 / GLDM 5).
    pub fn size_non_uniformity_normalized(&self) -> f64 {
        sum_of_squares(&self.size_marginal()) / (self.total * self.total)
    }

    /// Grey Level Variance `Σ p(i,j)(i − μ)²`, `μ = Σ p(i,j)·i`, `p = P / N_z` (PyRadiomics
    /// GLSZM 8 / GLDM 6).
    pub fn grey_level_variance(&self) -> f64 {
        variance(&self.level_marginal(), self.total)
    }

    /// Zone / Dependence Variance `Σ p(i,j)(j − μ)²`, `μ = Σ p(i,j)·j` (PyRadiomics GLSZM 9 /
    /// GLDM 7).
    pub fn size_variance(&self) -> f64 {
        variance(&self.size_marginal(), self.total)
    }

    /// Zone / Dependence Entropy `−Σ p(i,j) log₂(p(i,j) + ε)`, ε = numpy `spacing(1)`
    /// (PyRadiomics GLSZM 10 / GLDM 8).
    pub fn entropy(&self) -> f64 {
        -self
            .cells
            .iter()
            .map(|&(_, _, n)| {
                let p = n / self.total;
                p * (p + EPS).log2()
            })
            .sum::<f64>()
    }

    /// Low Grey Level (Zone) Emphasis `Σ P(i,j)/i² / N_z` (PyRadiomics GLSZM 11 / GLDM 9).
    pub fn low_grey_level_emphasis(&self) -> f64 {
        self.emphasis(|i, _| 1.0 / (i * i))
    }

    /// High Grey Level (Zone) Emphasis `Σ P(i,j)·i² / N_z` (PyRadiomics GLSZM 12 / GLDM 10).
    pub fn high_grey_level_emphasis(&self) -> f64 {
        self.emphasis(|i, _| i * i)
    }

    /// Small Area / Dependence Low Grey Level Emphasis `Σ P(i,j)/(i²j²) / N_z` (PyRadiomics
    /// GLSZM 13 / GLDM 11).
    pub fn small_size_low_grey_level_emphasis(&self) -> f64 {
        self.emphasis(|i, j| 1.0 / (i * i * j * j))
    }

    /// Small Area / Dependence High Grey Level Emphasis `Σ P(i,j)·i²/j² / N_z` (PyRadiomics
    /// GLSZM 14 / GLDM 12).
    pub fn small_size_high_grey_level_emphasis(&self) -> f64 {
        self.emphasis(|i, j| i * i / (j * j))
    }

    /// Large Area / Dependence Low Grey Level Emphasis `Σ P(i,j)·j²/i² / N_z` (PyRadiomics
    /// GLSZM 15 / GLDM 13).
    pub fn large_size_low_grey_level_emphasis(&self) -> f64 {
        self.emphasis(|i, j| j * j / (i * i))
    }

    /// Large Area / Dependence High Grey Level Emphasis `Σ P(i,j)·i²j² / N_z` (PyRadiomics
    /// GLSZM 16 / GLDM 14).
    pub fn large_size_high_grey_level_emphasis(&self) -> f64 {
        self.emphasis(|i, j| i * i * j * j)
    }
}

/// Sums counts of equal keys in a key-sorted sequence.
fn marginal(sorted: impl Iterator<Item = (u32, f64)>) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (key, n) in sorted {
        let key = f64::from(key);
        match out.last_mut() {
            Some(last) if last.0 == key => last.1 += n,
            _ => out.push((key, n)),
        }
    }
    out
}

fn sum_of_squares(marginal: &[(f64, f64)]) -> f64 {
    marginal.iter().map(|&(_, n)| n * n).sum()
}

/// Variance of the key under the normalised marginal, PyRadiomics' two-pass form.
fn variance(marginal: &[(f64, f64)], total: f64) -> f64 {
    let mean: f64 = marginal.iter().map(|&(k, n)| n / total * k).sum();
    marginal.iter().map(|&(k, n)| n / total * (k - mean).powi(2)).sum()
}

#[cfg(test)]
pub(crate) mod tests {
    use ndarray::Array3;

    use super::*;

    /// The GLSZM of `roi` under `settings`.
    fn matrix_of(roi: &Roi, settings: &Settings) -> LevelSizeMatrix {
        glszm_matrix(&PaddedRegion::for_texture(roi, settings), settings)
    }

    /// A one-slice ROI whose every voxel is in the mask.
    pub(crate) fn planar_roi(rows: &[&[u32]]) -> Roi {
        let (ny, nx) = (rows.len(), rows[0].len());
        let grey_levels = Array3::from_shape_fn((1, ny, nx), |(_, y, x)| rows[y][x]);
        Roi {
            image: grey_levels.mapv(f64::from),
            mask: Array3::from_elem((1, ny, nx), true),
            spacing: [1.0, 1.0, 1.0],
            grey_levels,
        }
    }

    /// PyRadiomics' GLSZM documentation example (5×5 image, 5 grey levels).
    fn docs_example() -> Roi {
        planar_roi(&[
            &[5, 2, 5, 4, 4],
            &[3, 3, 3, 1, 3],
            &[2, 1, 1, 1, 3],
            &[4, 2, 2, 2, 3],
            &[3, 5, 3, 3, 2],
        ])
    }

    #[test]
    fn glszm_of_the_pyradiomics_docs_example_matches_its_matrix() {
        let m = matrix_of(&docs_example(), &Settings::default());
        // Rows i = 1..5, columns j = 1..5 of the documented P, as (i, j, count).
        let documented = vec![
            (1, 4, 1.0),
            (2, 1, 1.0),
            (2, 5, 1.0),
            (3, 1, 1.0),
            (3, 3, 1.0),
            (3, 5, 1.0),
            (4, 1, 1.0),
            (4, 2, 1.0),
            (5, 1, 3.0),
        ];
        assert_eq!(m.cells(), documented.as_slice());
        assert_eq!(m.total(), 11.0);
    }

    #[test]
    fn force_2d_splits_zones_that_touch_only_across_slices() {
        // Two slices of level 1 stacked: one zone of 2 in 3-D, two zones of 1 in 2-D.
        let roi = Roi::of_grey_levels(Array3::from_elem((2, 1, 1), 1u32));
        assert_eq!(matrix_of(&roi, &Settings::default()).cells(), &[(1, 2, 1.0)]);
        let planar = Settings {
            force_2d: true,
            ..Settings::default()
        };
        assert_eq!(matrix_of(&roi, &planar).cells(), &[(1, 1, 2.0)]);
    }

    #[test]
    fn entries_are_counted_into_the_same_sorted_cells_by_the_dense_table_and_by_sorting() {
        // Many voxels with few sizes (GLDM-like) take the dense table; one zone of 100 000 voxels
        // among a few small ones makes the table too large, so those entries are sorted.
        let dense: Vec<(u32, u32)> = (0..5000u32).map(|k| (1 + k % 7, 1 + k * k % 11)).collect();
        let sparse = vec![(4, 100_000), (2, 3), (4, 1), (2, 3), (1, 7)];
        for entries in [dense, sparse] {
            let mut want = std::collections::BTreeMap::new();
            for &entry in &entries {
                *want.entry(entry).or_insert(0.0) += 1.0;
            }
            let want: Vec<(u32, u32, f64)> = want.into_iter().map(|((i, j), n)| (i, j, n)).collect();
            assert_eq!(LevelSizeMatrix::from_entries(entries).cells(), &want[..]);
        }
    }

    #[test]
    fn diagonal_neighbours_join_a_zone_but_voxels_outside_the_mask_do_not() {
        let mut roi = planar_roi(&[&[1, 2, 1], &[2, 1, 2], &[1, 2, 1]]);
        // Diagonal contact joins: the 5 level-1 voxels form one zone, the 4 level-2 voxels another.
        let m = matrix_of(&roi, &Settings::default());
        assert_eq!(m.cells(), &[(1, 5, 1.0), (2, 4, 1.0)]);
        // Removing the centre from the mask leaves four isolated level-1 corners.
        roi.mask[[0, 1, 1]] = false;
        roi.grey_levels[[0, 1, 1]] = 0;
        assert_eq!(
            matrix_of(&roi, &Settings::default()).cells(),
            &[(1, 1, 4.0), (2, 4, 1.0)]
        );
    }

    #[test]
    fn glszm_features_of_the_docs_example_match_hand_computation() {
        let features = compute(&docs_example(), &Settings::default());
        let get = |name: &str| features.iter().find(|(n, _)| *n == name).unwrap().1;
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-14 * b.abs().max(1.0);
        // N_z = 11 zones over N_p = 25 voxels; size marginal (j = 1..5) 6, 1, 1, 1, 2.
        let nz = 11.0;
        assert!(close(
            get("SmallAreaEmphasis"),
            (6.0 + 1.0 / 4.0 + 1.0 / 9.0 + 1.0 / 16.0 + 2.0 / 25.0) / nz
        ));
        assert!(close(get("LargeAreaEmphasis"), (6.0 + 4.0 + 9.0 + 16.0 + 50.0) / nz));
        assert!(close(get("ZonePercentage"), nz / 25.0));
        assert!(close(get("SizeZoneNonUniformity"), (36.0 + 1.0 + 1.0 + 1.0 + 4.0) / nz));
        // Level marginal (i = 1..5) 1, 2, 3, 2, 3.
        assert!(close(get("GrayLevelNonUniformity"), 27.0 / nz));
        assert!(close(get("GrayLevelNonUniformityNormalized"), 27.0 / (nz * nz)));
        let mu = (1.0 + 4.0 + 9.0 + 8.0 + 15.0) / nz;
        let glv = [(1.0, 1.0), (2.0, 2.0), (3.0, 3.0), (4.0, 2.0), (5.0, 3.0)]
            .iter()
            .map(|&(i, n)| n / nz * (i - mu) * (i - mu))
            .sum::<f64>();
        assert!(close(get("GrayLevelVariance"), glv));
        assert!(close(
            get("HighGrayLevelZoneEmphasis"),
            (1.0 + 8.0 + 27.0 + 32.0 + 75.0) / nz
        ));
        // Nine occupied cells: eight hold one zone, (5, 1) holds three.
        let (p1, p3) = (1.0 / nz, 3.0 / nz);
        let ze = -(8.0 * p1 * (p1 + EPS).log2() + p3 * (p3 + EPS).log2());
        assert!(close(get("ZoneEntropy"), ze));
        // (1, 4): 1·16; (2, 1), (2, 5): 4 + 100; (3, 1), (3, 3), (3, 5): 9 + 81 + 225; (4, 1), (4, 2): 16 + 64; (5, 1) ×3: 75.
        assert!(close(
            get("LargeAreaHighGrayLevelEmphasis"),
            (16.0 + 104.0 + 315.0 + 80.0 + 75.0) / nz
        ));
        assert_eq!(features.len(), 16);
    }
}
