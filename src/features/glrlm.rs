//! Grey Level Run Length Matrix features, exactly as PyRadiomics 3.1 computes them
//! (`radiomics/glrlm.py`, matrices as `cmatrices.c` `calculate_glrlm`).
//!
//! One matrix `P(i, j|θ)` per angle (distance 1, one direction per axis pair) counting runs of
//! grey level `i` and length `j` along the angle's lines through the region; rows are the levels
//! present (level values kept as `i`), columns run lengths `1 … max(region size)`. An angle along
//! which no line crosses two region voxels is emptied (a 2-D region seen edge-on), and empty angles
//! are dropped. Without `weightingNorm` every feature is computed per angle, normalised by that
//! angle's run count `N_r(θ)`, and averaged (numpy `nanmean`); with it the matrices are summed with
//! distance weights first. Empty run-length columns, which PyRadiomics deletes, add nothing to
//! any sum and are simply kept.

use ndarray::Array2;
use rayon::prelude::*;

use super::angles::{Angle, PaddedRegion, settings_angles, step_length};
use super::texture::{EPS, NamedFeature, average_over_angles};
use super::{ClassFeatures, Roi, Settings};

/// PyRadiomics' GLRLM features, in its output order.
const FEATURES: [NamedFeature<Glrlm>; 16] = [
    ("GrayLevelNonUniformity", grey_level_non_uniformity),
    ("GrayLevelNonUniformityNormalized", grey_level_non_uniformity_normalized),
    ("GrayLevelVariance", grey_level_variance),
    ("HighGrayLevelRunEmphasis", high_grey_level_run_emphasis),
    ("LongRunEmphasis", long_run_emphasis),
    ("LongRunHighGrayLevelEmphasis", long_run_high_grey_level_emphasis),
    ("LongRunLowGrayLevelEmphasis", long_run_low_grey_level_emphasis),
    ("LowGrayLevelRunEmphasis", low_grey_level_run_emphasis),
    ("RunEntropy", run_entropy),
    ("RunLengthNonUniformity", run_length_non_uniformity),
    ("RunLengthNonUniformityNormalized", run_length_non_uniformity_normalized),
    ("RunPercentage", run_percentage),
    ("RunVariance", run_variance),
    ("ShortRunEmphasis", short_run_emphasis),
    ("ShortRunHighGrayLevelEmphasis", short_run_high_grey_level_emphasis),
    ("ShortRunLowGrayLevelEmphasis", short_run_low_grey_level_emphasis),
];

/// All GLRLM features of `roi` (PyRadiomics `RadiomicsGLRLM`), in PyRadiomics' order.
pub fn compute(roi: &Roi, settings: &Settings) -> ClassFeatures {
    compute_on(&PaddedRegion::for_texture(roi, settings), roi.spacing, settings)
}

/// [`compute`] on the region already padded ([`PaddedRegion::for_texture`]); `spacing` in (x, y, z)
/// order, for `weightingNorm`.
pub fn compute_on(region: &PaddedRegion, spacing: [f64; 3], settings: &Settings) -> ClassFeatures {
    let matrices = glrlm_matrices(region, spacing, settings);
    let levels: Vec<f64> = region.present_levels().iter().map(|&l| f64::from(l)).collect();
    let glrlms: Vec<Glrlm> = matrices.into_par_iter().map(|p| Glrlm::new(p, &levels)).collect();
    average_over_angles(&FEATURES, &glrlms)
}

/// The run-length count matrices features are computed on, rows indexed by the region's present
/// levels: one per non-empty angle, or a single distance-weighted sum when `weightingNorm` is set
/// (PyRadiomics `_calculateMatrix`). `spacing` is in (x, y, z) order.
pub fn glrlm_matrices(region: &PaddedRegion, spacing: [f64; 3], settings: &Settings) -> Vec<Array2<f64>> {
    let angles = settings_angles(region.shape(), &[1], false, settings);
    let steps = region.steps_for(&angles);
    let mut matrices: Vec<Array2<f64>> = (0..angles.len())
        .into_par_iter()
        .map_init(Vec::new, |run_so_far, k| {
            glrlm_matrix(region, angles[k], steps[k], run_so_far)
        })
        .collect();
    if let Some(norm) = settings.weighting_norm {
        let mut weighted = Array2::zeros((region.present_levels().len(), max_run_length(region)));
        for (matrix, &angle) in matrices.iter().zip(&angles) {
            // PyRadiomics' GLRLM weight is the step length itself (not GLCM's exponential).
            weighted.scaled_add(step_length(norm, angle, spacing).unwrap_or(1.0), matrix);
        }
        matrices = vec![weighted];
    }
    if matrices.len() > 1 {
        matrices.retain(|m| m.sum() > 0.0);
    }
    matrices
}

/// PyRadiomics' `Nr` bound on run lengths, the matrices' columns: the largest region dimension.
fn max_run_length(region: &PaddedRegion) -> usize {
    region.shape().into_iter().max().unwrap_or(0)
}

/// Run counts for `angle`, whose padded-index step is `step`: `P[i, j − 1]` counts maximal runs of
/// region voxels with the `i`-th present level and length `j` along lines in direction `angle`
/// (`cmatrices.c` `calculate_glrlm`). A voxel outside the region ends a run. When no line holds
/// two region voxels the matrix is all zero, as PyRadiomics removes such an angle.
///
/// `run_so_far` is working memory over the padded grid, reused from angle to angle without
/// clearing: zeroing it per angle cost more than the counting on a sparse region (a 123-voxel
/// region in a 36 000-voxel box).
fn glrlm_matrix(region: &PaddedRegion, angle: Angle, step: isize, run_so_far: &mut Vec<u32>) -> Array2<f64> {
    let rows_by_voxel = region.rows();
    let (rows, columns) = (region.present_levels().len(), max_run_length(region));
    // Integer counts: a repeated cell waits for an integer addition, not a floating-point one.
    // First `S[i, j − 1]`, the voxels of level `i` that are the `j`-th of their run: every run of
    // length ≥ j has one, so the runs of length exactly `j` are `S[i, j − 1] − S[i, j]`. Each voxel
    // counts one, with no test of whether its run ends there.
    let mut counts = vec![0u32; rows * columns];
    // Region voxels in raster order, which visits a voxel's predecessor along a forward angle
    // before it: each voxel's run length so far is its predecessor's plus one (or 1 when the
    // predecessor has another level or is outside). Every access streams through the grid in
    // order, where walking each run from its start jumps a plane per step along z.
    // A voxel's entry is written before any voxel after it reads it, and an entry left from
    // another angle is only read for a predecessor outside the region (level 0 ≠ level), where it
    // is multiplied by 0.
    debug_assert!(step > 0, "forward angles step forward in the padded grid");
    let mut count = |row: u32, length: u32| counts[(row as usize - 1) * columns + length as usize - 1] += 1;
    // Rows (row + 1 of the level, 0 outside) are equal where levels are, so runs compare rows.
    if step == 1 {
        // Along x the predecessor is the voxel just visited (or outside, before a run): its length
        // stays in a register rather than going through memory that the next voxel waits on.
        for run in region.runs() {
            let (mut previous_row, mut length) = (0, 0);
            for &row in &rows_by_voxel[run] {
                length = u32::from(row == previous_row) * length + 1;
                previous_row = row;
                count(row, length);
            }
        }
    } else {
        let step = step as usize;
        run_so_far.resize(rows_by_voxel.len(), 0);
        // Pieces of at most `step` voxels read only predecessors before the piece and write only
        // within it: disjoint slices, walked without an index check per voxel. (A run along x
        // is shorter than any other forward step, so it is one piece.)
        for run in region.runs() {
            for start in run.clone().step_by(step) {
                let piece = start..run.end.min(start + step);
                let (before, from_start) = run_so_far.split_at_mut(start);
                let lengths = &mut from_start[..piece.len()];
                let previous_lengths = &before[start - step..piece.end - step];
                let previous_rows = &rows_by_voxel[start - step..piece.end - step];
                let rows = &rows_by_voxel[piece];
                for (((&row, &previous_row), &previous_length), length) in
                    rows.iter().zip(previous_rows).zip(previous_lengths).zip(lengths)
                {
                    *length = u32::from(previous_row == row) * previous_length + 1;
                    count(row, *length);
                }
            }
        }
    }
    let some_run_is_longer_than_one = columns > 1 && counts.chunks_exact(columns).any(|row| row[1] > 0);
    for row in counts.chunks_exact_mut(columns) {
        for j in 1..columns {
            row[j - 1] -= row[j];
        }
    }
    if !some_run_is_longer_than_one && !line_holds_two_voxels(region, angle) {
        counts.fill(0);
    }
    let counts = counts.into_iter().map(f64::from).collect();
    Array2::from_shape_vec((rows, columns), counts).expect("levels × run lengths")
}

/// Whether some line along `angle` crosses two voxels of the region (not necessarily adjacent).
/// Each voxel is traced back to the voxel where its line enters the region's box; two voxels that
/// share it share the line.
fn line_holds_two_voxels(region: &PaddedRegion, angle: Angle) -> bool {
    let shape = region.shape();
    let mut entries: Vec<[usize; 3]> = region
        .voxels()
        .iter()
        .map(|&v| {
            let p = region.position(v);
            let back = (0..3)
                .map(|axis| match angle[axis] {
                    1 => p[axis],
                    -1 => shape[axis] - 1 - p[axis],
                    _ => usize::MAX,
                })
                .min()
                .unwrap_or(0);
            std::array::from_fn(|axis| p[axis].wrapping_add_signed(-(angle[axis] as isize) * back as isize))
        })
        .collect();
    entries.sort_unstable();
    entries.windows(2).any(|pair| pair[0] == pair[1])
}

/// One angle's run counts with the sums PyRadiomics derives from it (`_calculateCoefficients`).
struct Glrlm {
    /// `P(i, j|θ)`, column `j − 1` for run length `j`.
    p: Array2<f64>,
    /// Level values `i` of the rows.
    levels: Vec<f64>,
    /// `N_r(θ) = Σ P(i, j|θ)`: the number of runs (NaN when 0, as PyRadiomics marks it).
    runs: f64,
    /// `p_g(i) = Σ_j P(i, j|θ)`.
    pg: Vec<f64>,
    /// `p_r(j) = Σ_i P(i, j|θ)`, index `j − 1`.
    pr: Vec<f64>,
}

impl Glrlm {
    fn new(p: Array2<f64>, levels: &[f64]) -> Glrlm {
        let total = p.sum();
        Glrlm {
            runs: if total == 0.0 { f64::NAN } else { total },
            pg: p.rows().into_iter().map(|row| row.sum()).collect(),
            pr: p.columns().into_iter().map(|column| column.sum()).collect(),
            p,
            levels: levels.to_vec(),
        }
    }

    /// `Σ_i f(p_g(i), i) / N_r`.
    fn by_level(&self, f: impl Fn(f64, f64) -> f64) -> f64 {
        self.pg.iter().zip(&self.levels).map(|(&v, &i)| f(v, i)).sum::<f64>() / self.runs
    }

    /// `Σ_j f(p_r(j), j) / N_r`.
    fn by_length(&self, f: impl Fn(f64, f64) -> f64) -> f64 {
        self.pr
            .iter()
            .enumerate()
            .map(|(j, &v)| f(v, (j + 1) as f64))
            .sum::<f64>()
            / self.runs
    }

    /// `Σ_i Σ_j P(i, j|θ)·w(i, j) / N_r`. Empty cells (most of a matrix whose columns run to the
    /// largest region dimension) add +0 and are skipped.
    fn weighted(&self, w: impl Fn(f64, f64) -> f64) -> f64 {
        self.p
            .indexed_iter()
            .filter(|(_, v)| **v != 0.0)
            .map(|((a, j), &v)| v * w(self.levels[a], (j + 1) as f64))
            .sum::<f64>()
            / self.runs
    }
}

/// Gray Level Non-Uniformity `Σ_i (Σ_j P(i,j|θ))² / N_r(θ)` (PyRadiomics GLRLM feature 3).
fn grey_level_non_uniformity(g: &Glrlm) -> f64 {
    g.by_level(|v, _| v * v)
}

/// Gray Level Non-Uniformity Normalized `Σ_i (Σ_j P(i,j|θ))² / N_r(θ)²` (PyRadiomics GLRLM feature 4).
fn grey_level_non_uniformity_normalized(g: &Glrlm) -> f64 {
    g.by_level(|v, _| v * v) / g.runs
}

/// Gray Level Variance `Σ_i Σ_j p(i,j|θ)(i − μ)²`, `p = P/N_r`, `μ = Σ p(i,j|θ)·i` (PyRadiomics
/// GLRLM feature 8).
fn grey_level_variance(g: &Glrlm) -> f64 {
    let mean = g.by_level(|v, i| v * i);
    g.by_level(|v, i| v * (i - mean).powi(2))
}

/// High Gray Level Run Emphasis `Σ_i Σ_j P(i,j|θ)·i² / N_r(θ)` (PyRadiomics GLRLM feature 12).
fn high_grey_level_run_emphasis(g: &Glrlm) -> f64 {
    g.by_level(|v, i| v * i * i)
}

/// Long Run Emphasis `Σ_i Σ_j P(i,j|θ)·j² / N_r(θ)` (PyRadiomics GLRLM feature 2).
fn long_run_emphasis(g: &Glrlm) -> f64 {
    g.by_length(|v, j| v * j * j)
}

/// Long Run High Gray Level Emphasis `Σ_i Σ_j P(i,j|θ)·i²j² / N_r(θ)` (PyRadiomics GLRLM feature 16).
fn long_run_high_grey_level_emphasis(g: &Glrlm) -> f64 {
    g.weighted(|i, j| i * i * j * j)
}

/// Long Run Low Gray Level Emphasis `Σ_i Σ_j P(i,j|θ)·j²/i² / N_r(θ)` (PyRadiomics GLRLM feature 15).
fn long_run_low_grey_level_emphasis(g: &Glrlm) -> f64 {
    g.weighted(|i, j| j * j / (i * i))
}

/// Low Gray Level Run Emphasis `Σ_i Σ_j P(i,j|θ)/i² / N_r(θ)` (PyRadiomics GLRLM feature 11).
fn low_grey_level_run_emphasis(g: &Glrlm) -> f64 {
    g.by_level(|v, i| v / (i * i))
}

/// Run Entropy `−Σ_i Σ_j p(i,j|θ)·log₂(p(i,j|θ) + ε)`, `p = P/N_r` (PyRadiomics GLRLM feature 10).
fn run_entropy(g: &Glrlm) -> f64 {
    // An empty cell's term is −0 (0 times log₂ ε), which leaves the sum unchanged: skipped.
    -g.p.iter()
        .filter(|&&v| v != 0.0)
        .map(|&v| {
            let q = v / g.runs;
            q * (q + EPS).log2()
        })
        .sum::<f64>()
}

/// Run Length Non-Uniformity `Σ_j (Σ_i P(i,j|θ))² / N_r(θ)` (PyRadiomics GLRLM feature 5).
fn run_length_non_uniformity(g: &Glrlm) -> f64 {
    g.by_length(|v, _| v * v)
}

/// Run Length Non-Uniformity Normalized `Σ_j (Σ_i P(i,j|θ))² / N_r(θ)²` (PyRadiomics GLRLM feature 6).
fn run_length_non_uniformity_normalized(g: &Glrlm) -> f64 {
    g.by_length(|v, _| v * v) / g.runs
}

/// Run Percentage `N_r(θ) / N_p`, with `N_p = Σ_j p_r(j)·j` the voxels the runs cover (with
/// weighting, each voxel counted once per merged angle) (PyRadiomics GLRLM feature 7).
fn run_percentage(g: &Glrlm) -> f64 {
    1.0 / g.by_length(|v, j| v * j)
}

/// Run Variance `Σ_i Σ_j p(i,j|θ)(j − μ)²`, `p = P/N_r`, `μ = Σ p(i,j|θ)·j` (PyRadiomics GLRLM
/// feature 9).
fn run_variance(g: &Glrlm) -> f64 {
    let mean = g.by_length(|v, j| v * j);
    g.by_length(|v, j| v * (j - mean).powi(2))
}

/// Short Run Emphasis `Σ_i Σ_j P(i,j|θ)/j² / N_r(θ)` (PyRadiomics GLRLM feature 1).
fn short_run_emphasis(g: &Glrlm) -> f64 {
    g.by_length(|v, j| v / (j * j))
}

/// Short Run High Gray Level Emphasis `Σ_i Σ_j P(i,j|θ)·i²/j² / N_r(θ)` (PyRadiomics GLRLM feature 14).
fn short_run_high_grey_level_emphasis(g: &Glrlm) -> f64 {
    g.weighted(|i, j| i * i / (j * j))
}

/// Short Run Low Gray Level Emphasis `Σ_i Σ_j P(i,j|θ)/(i²j²) / N_r(θ)` (PyRadiomics GLRLM feature 13).
fn short_run_low_grey_level_emphasis(g: &Glrlm) -> f64 {
    g.weighted(|i, j| 1.0 / (i * i * j * j))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array3, array};

    /// The run counts of `roi` along `angle` alone.
    fn matrix_along(roi: &Roi, angle: Angle) -> Array2<f64> {
        let region = PaddedRegion::new(roi, &[angle]);
        glrlm_matrix(&region, angle, region.steps_for(&[angle])[0], &mut Vec::new())
    }

    #[test]
    fn working_memory_left_by_other_angles_does_not_change_the_counts() {
        // Holes (level 0) and two levels in a 4 × 5 × 6 block; each angle once with fresh working
        // memory and once with the memory every angle before it left, primed with junk.
        let levels = Array3::from_shape_fn((4, 5, 6), |(z, y, x)| [0, 3, 3, 5, 3][(z * 7 + y * 3 + x * 2) % 5]);
        let roi = Roi::of_grey_levels(levels);
        let settings = Settings::default();
        let angles = settings_angles([4, 5, 6], &[1], false, &settings);
        let region = PaddedRegion::new(&roi, &angles);
        let steps = region.steps_for(&angles);
        let mut reused = vec![7; region.levels().len()];
        for (&angle, &step) in angles.iter().zip(&steps) {
            let fresh = glrlm_matrix(&region, angle, step, &mut Vec::new());
            assert!(fresh.sum() > 0.0, "{angle:?}");
            assert_eq!(glrlm_matrix(&region, angle, step, &mut reused), fresh, "{angle:?}");
        }
    }

    /// PyRadiomics' GLRLM documentation example: a 5×5 image with 5 levels.
    fn docs_example() -> Roi {
        let image = array![
            [5, 2, 5, 4, 4],
            [3, 3, 3, 1, 3],
            [2, 1, 1, 1, 3],
            [4, 2, 2, 2, 3],
            [3, 5, 3, 3, 2]
        ];
        Roi::of_grey_levels(image.insert_axis(ndarray::Axis(0)))
    }

    #[test]
    fn horizontal_glrlm_matches_the_pyradiomics_docs_example() {
        // PyRadiomics docs, θ = 0°: rows are levels 1…5, columns run lengths 1…5.
        let p = matrix_along(&docs_example(), [0, 0, 1]);
        let expected = array![
            [1.0, 0.0, 1.0, 0.0, 0.0],
            [3.0, 0.0, 1.0, 0.0, 0.0],
            [4.0, 1.0, 1.0, 0.0, 0.0],
            [1.0, 1.0, 0.0, 0.0, 0.0],
            [3.0, 0.0, 0.0, 0.0, 0.0]
        ];
        assert_eq!(p, expected);
    }

    #[test]
    fn runs_stop_at_voxels_outside_the_region() {
        // Along x: 4 4 _ 4 9 9 → runs (4, 2), (4, 1), (9, 2).
        let roi = Roi::of_grey_levels(Array3::from_shape_vec((1, 1, 6), vec![4, 4, 0, 4, 9, 9]).unwrap());
        let p = matrix_along(&roi, [0, 0, 1]);
        assert_eq!(p.row(0).to_vec(), vec![1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(p.row(1).to_vec(), vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn an_angle_that_sees_only_single_voxels_is_empty() {
        // A single slice seen along z would give one run per voxel; PyRadiomics drops it, and no
        // z-moving angle is generated for a one-slice region in the first place.
        let roi = Roi::of_grey_levels(Array3::from_elem((1, 3, 3), 2));
        assert_eq!(matrix_along(&roi, [1, 0, 0]).sum(), 0.0);
        let settings = Settings::default();
        let region = PaddedRegion::for_texture(&roi, &settings);
        let matrices = glrlm_matrices(&region, roi.spacing, &settings);
        assert_eq!((region.present_levels(), matrices.len()), (&[2][..], 4));
    }

    #[test]
    fn single_voxel_runs_count_when_a_line_holds_two_region_voxels() {
        // Runs of length 1 only, but the x line crosses two voxels (2 _ 2, and 2 3 2): kept.
        let gap = Roi::of_grey_levels(Array3::from_shape_vec((1, 1, 3), vec![2, 0, 2]).unwrap());
        assert_eq!(matrix_along(&gap, [0, 0, 1]), array![[2.0, 0.0, 0.0]]);
        let alternating = Roi::of_grey_levels(Array3::from_shape_vec((1, 1, 3), vec![2, 3, 2]).unwrap());
        assert_eq!(
            matrix_along(&alternating, [0, 0, 1]),
            array![[2.0, 0.0, 0.0], [1.0, 0.0, 0.0]]
        );
        // Two voxels on one diagonal with a gap between them, then on two different diagonals.
        let mut corners = Array3::zeros((1, 3, 3));
        corners[[0, 0, 0]] = 5;
        corners[[0, 2, 2]] = 5;
        assert_eq!(
            matrix_along(&Roi::of_grey_levels(corners.clone()), [0, 1, 1]).sum(),
            2.0
        );
        corners[[0, 2, 2]] = 0;
        corners[[0, 2, 1]] = 5;
        assert_eq!(
            matrix_along(&Roi::of_grey_levels(corners.clone()), [0, 1, 1]).sum(),
            0.0
        );
        // Along the other diagonal (0, 0) and (2, 1) share no line either; (0, 2) and (2, 0) do.
        assert_eq!(matrix_along(&Roi::of_grey_levels(corners), [0, 1, -1]).sum(), 0.0);
        let mut anti = Array3::zeros((1, 3, 3));
        anti[[0, 0, 2]] = 5;
        anti[[0, 2, 0]] = 5;
        assert_eq!(matrix_along(&Roi::of_grey_levels(anti), [0, 1, -1]).sum(), 2.0);
    }

    #[test]
    fn uniform_runs_give_textbook_values() {
        // A 1×1×4 line of one level: a single run of length 4 along x; other angles are empty.
        let roi = Roi::of_grey_levels(Array3::from_elem((1, 1, 4), 3));
        let features = compute(&roi, &Settings::default());
        let value = |name: &str| features.iter().find(|(n, _)| *n == name).unwrap().1;
        let settings = Settings::default();
        let region = PaddedRegion::for_texture(&roi, &settings);
        assert_eq!(glrlm_matrices(&region, roi.spacing, &settings).len(), 1);
        assert_eq!(value("ShortRunEmphasis"), 1.0 / 16.0);
        assert_eq!(value("LongRunEmphasis"), 16.0);
        assert_eq!(value("RunPercentage"), 0.25);
        assert_eq!(value("HighGrayLevelRunEmphasis"), 9.0);
        assert_eq!(value("GrayLevelVariance"), 0.0);
        assert_eq!(value("RunVariance"), 0.0);
        assert!(value("RunEntropy").abs() < 1e-15);
    }
}
