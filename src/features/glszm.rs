//! Grey Level Size Zone Matrix features (PyRadiomics `radiomics/glszm.py`, matrix from
//! `calculate_glszm` in `cmatrices.c`; IBSI 1 chapter 3.7).
//!
//! A zone is a connected set of voxels with one grey level: 26-connected in 3-D, 8-connected in the
//! planes normal to `force2Ddimension` with `force2D`. All zones are found in one union–find pass
//! over the cropped region and kept as sparse (level, size) counts, so hundreds of grey levels cost
//! nothing.
//!
//! [`LevelSizeMatrix`] holds the feature formulas GLSZM shares with GLDM, whose matrix has the same
//! shape (grey level × dependence count) and whose features PyRadiomics defines identically.

use multiversion::multiversion;

use super::angles::{Angle, PaddedRegion, RUN_CHUNK, settings_angles};
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
    let angles = settings_angles(region.shape(), &[1], true, settings);
    LevelSizeMatrix::from_entries(zones(region, &angles, &region.steps_for(&angles)))
}

/// (grey level, size) of every zone, in no particular order: the connected components of
/// same-level region voxels under `angles` (both directions of each), whose padded-index steps are
/// `steps`.
///
/// Union–find over the region in raster order: each voxel joins the zones of its same-level
/// neighbours a backward step away, all visited before it. Which of those are the same level is
/// found lane-wise ([`same_level_behind`]). Two of them that are neighbours of each other are
/// already in one zone (the later joined the earlier), so only one per group of mutually
/// connected ones is looked up ([`Representatives`]): mostly a single one, where a flood fill
/// tested all 26 neighbours of every voxel one by one.
fn zones(region: &PaddedRegion, angles: &[Angle], steps: &[isize]) -> Vec<(u32, u32)> {
    let levels = region.levels();
    let voxels = region.voxels();
    let (behind, behind_angles): (Vec<isize>, Vec<Angle>) = steps
        .iter()
        .zip(angles)
        .filter(|&(&s, _)| s < 0)
        .map(|(&s, &a)| (s, a))
        .unzip();
    let same = same_level_behind(levels, voxels, &behind);
    let mut representatives = Representatives::new(&behind_angles, angles);
    let index = |v: usize| u32::try_from(v).expect("a padded region of fewer than 2³² voxels");
    let mut parent = vec![0u32; levels.len()];
    for (&v, &bits) in voxels.iter().zip(&same) {
        let mut root = index(v);
        let mut joined = representatives.of(bits);
        while joined != 0 {
            let step = behind[joined.trailing_zeros() as usize];
            joined &= joined - 1;
            let other = find_root(&mut parent, index(v.wrapping_add_signed(step)));
            // The earlier voxel stays the root, so a zone's root is its first voxel.
            if other < root {
                if root != index(v) {
                    parent[root as usize] = other;
                }
                root = other;
            } else if other > root {
                parent[other as usize] = root;
            }
        }
        parent[v] = root;
    }
    let mut size = vec![0u32; levels.len()];
    for &v in voxels {
        let root = find_root(&mut parent, index(v));
        size[root as usize] += 1;
    }
    voxels
        .iter()
        .filter(|&&v| parent[v] == index(v))
        .map(|&v| (levels[v], size[v]))
        .collect()
}

/// For a set of same-level backward neighbours (bits over the backward angles), one neighbour of
/// each group that is connected among itself, found once per set.
struct Representatives {
    /// Bit `b`: the backward angles one angle away from backward angle `b`.
    adjacent: Vec<u16>,
    /// By set of neighbours, its representatives; `u16::MAX` until found.
    found: Vec<u16>,
}

impl Representatives {
    fn new(behind: &[Angle], angles: &[Angle]) -> Representatives {
        let adjacent = behind
            .iter()
            .map(|a| {
                (behind.iter().enumerate())
                    .filter(|&(_, b)| angles.contains(&std::array::from_fn(|axis| a[axis] - b[axis])))
                    .fold(0u16, |bits, (k, _)| bits | 1 << k)
            })
            .collect();
        Representatives {
            adjacent,
            found: vec![u16::MAX; 1 << behind.len()],
        }
    }

    fn of(&mut self, bits: u16) -> u16 {
        if self.found[bits as usize] == u16::MAX {
            let (mut left, mut representatives) = (bits, 0);
            while left != 0 {
                let mut group = left & left.wrapping_neg();
                representatives |= group;
                loop {
                    let grown = (0..16)
                        .filter(|&k| group >> k & 1 == 1)
                        .fold(group, |g, k| g | self.adjacent[k] & bits);
                    if grown == group {
                        break;
                    }
                    group = grown;
                }
                left &= !group;
            }
            self.found[bits as usize] = representatives;
        }
        self.found[bits as usize]
    }
}

/// The root of `x`'s tree, halving the path on the way.
fn find_root(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let grandparent = parent[parent[x as usize] as usize];
        parent[x as usize] = grandparent;
        x = grandparent;
    }
    x
}

/// For each region voxel (in `voxels` order), bit `b` set when its neighbour `behind[b]` away has
/// its level (a neighbour outside the region has level 0, never a region voxel's). Runs of
/// consecutive voxels along x are compared [`RUN_CHUNK`] at a time: their neighbours along any
/// step are again consecutive, one vector load. Also compiled for AVX2, chosen at run time.
#[multiversion(targets("x86_64+avx2"))]
fn same_level_behind(levels: &[u32], voxels: &[usize], behind: &[isize]) -> Vec<u16> {
    // Fewer than 16, so that no set of representatives is `Representatives`' unfilled mark.
    debug_assert!(behind.len() < 16, "at most 13 backward steps at distance 1");
    let mut same = Vec::with_capacity(voxels.len());
    let bits_at = |v: usize| -> u16 {
        (behind.iter().enumerate())
            .map(|(b, &step)| u16::from(levels[v.wrapping_add_signed(step)] == levels[v]) << b)
            .fold(0, |bits, bit| bits | bit)
    };
    for run in voxels.chunk_by(|&a, &b| b == a + 1) {
        let (mut start, end) = (run[0], run[0] + run.len());
        while start + RUN_CHUNK <= end {
            let chunk =
                |from: usize| -> [u32; RUN_CHUNK] { levels[from..from + RUN_CHUNK].try_into().expect("a chunk") };
            let centre = chunk(start);
            let mut bits = [0u32; RUN_CHUNK];
            for (b, &step) in behind.iter().enumerate() {
                let neighbours = chunk(start.wrapping_add_signed(step));
                for lane in 0..RUN_CHUNK {
                    bits[lane] |= u32::from(neighbours[lane] == centre[lane]) << b;
                }
            }
            same.extend(bits.map(|b| b as u16));
            start += RUN_CHUNK;
        }
        same.extend((start..end).map(bits_at));
    }
    same
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

    /// Zones by breadth-first search over the ROI's own arrays: (level, size), sorted.
    fn zones_by_search(roi: &Roi, angles: &[Angle]) -> Vec<(u32, u32)> {
        let levels = &roi.grey_levels;
        let shape = levels.shape().to_vec();
        let mut seen = Array3::from_elem(levels.raw_dim(), false);
        let mut found = Vec::new();
        for (start, &level) in levels.indexed_iter() {
            if !roi.mask[start] || seen[start] {
                continue;
            }
            seen[start] = true;
            let (mut queue, mut size) = (std::collections::VecDeque::from([start]), 0);
            while let Some((z, y, x)) = queue.pop_front() {
                size += 1;
                for a in angles {
                    let q = [
                        z as i64 + i64::from(a[0]),
                        y as i64 + i64::from(a[1]),
                        x as i64 + i64::from(a[2]),
                    ];
                    if (0..3).any(|k| q[k] < 0 || q[k] >= shape[k] as i64) {
                        continue;
                    }
                    let q = (q[0] as usize, q[1] as usize, q[2] as usize);
                    if roi.mask[q] && !seen[q] && levels[q] == level {
                        seen[q] = true;
                        queue.push_back(q);
                    }
                }
            }
            found.push((level, size));
        }
        found.sort_unstable();
        found
    }

    #[test]
    fn zones_found_by_union_find_are_those_a_search_finds() {
        // Few levels, so zones of many shapes and sizes meet; a mask with holes and runs along x of
        // every length; 3-D and each force2Ddimension.
        let shape = (6, 9, 21);
        let grey_levels = Array3::from_shape_fn(shape, |(z, y, x)| {
            (1 + (x / 3 + y * y / 4 + z + (x * y) % 5) % 4) as u32
        });
        let mask = Array3::from_shape_fn(shape, |(z, y, x)| {
            (x + 2 * y + 3 * z) % 7 != 0 && x < 3 + (5 * y + z) % 19
        });
        let roi = Roi {
            mask,
            ..Roi::of_grey_levels(grey_levels)
        };
        let planes = [None, Some(0), Some(1), Some(2)];
        for dimension in planes {
            let settings = Settings {
                force_2d: dimension.is_some(),
                force_2d_dimension: dimension.unwrap_or(0),
                ..Settings::default()
            };
            let region = PaddedRegion::for_texture(&roi, &settings);
            let angles = settings_angles(region.shape(), &[1], true, &settings);
            let mut found = zones(&region, &angles, &region.steps_for(&angles));
            found.sort_unstable();
            let searched = zones_by_search(&roi, &angles);
            // Zones of many voxels and single voxels alike.
            assert!(searched.iter().any(|z| z.1 > 5) && searched.iter().filter(|z| z.1 == 1).count() > 5);
            assert_eq!(found, searched, "force2Ddimension {dimension:?}");
        }
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
