//! Grey Level Co-occurrence Matrix features, exactly as PyRadiomics 3.1 computes them
//! (`radiomics/glcm.py`, matrices as `cmatrices.c` `calculate_glcm`).
//!
//! One matrix per neighbour angle over the grey levels present (rows and columns of absent levels
//! removed, level values kept as the `i`, `j` weights), optionally symmetrised, each normalised to
//! a joint probability `p(i, j)`; angles without any co-occurrence are dropped. Without
//! `weightingNorm` every feature is computed per angle and averaged (ignoring NaN, numpy
//! `nanmean`); with it the matrices are summed with distance weights first. `ε` is
//! `numpy.spacing(1)` and `Ng` is PyRadiomics' `Ng`, the highest level present.

use ndarray::Array2;
use rayon::prelude::*;

mod eigen;

use super::angles::{PaddedRegion, settings_angles, step_length};
use super::texture::{EPS, NamedFeature, average_over_angles};
use super::{ClassFeatures, Roi, Settings};

/// PyRadiomics' GLCM features, in its output order.
const FEATURES: [NamedFeature<Glcm>; 24] = [
    ("Autocorrelation", autocorrelation),
    ("ClusterProminence", cluster_prominence),
    ("ClusterShade", cluster_shade),
    ("ClusterTendency", cluster_tendency),
    ("Contrast", contrast),
    ("Correlation", correlation),
    ("DifferenceAverage", difference_average),
    ("DifferenceEntropy", difference_entropy),
    ("DifferenceVariance", difference_variance),
    ("Id", inverse_difference),
    ("Idm", inverse_difference_moment),
    ("Idmn", inverse_difference_moment_normalized),
    ("Idn", inverse_difference_normalized),
    ("Imc1", informational_measure_of_correlation_1),
    ("Imc2", informational_measure_of_correlation_2),
    ("InverseVariance", inverse_variance),
    ("JointAverage", joint_average),
    ("JointEnergy", joint_energy),
    ("JointEntropy", joint_entropy),
    ("MCC", maximal_correlation_coefficient),
    ("MaximumProbability", maximum_probability),
    ("SumAverage", sum_average),
    ("SumEntropy", sum_entropy),
    ("SumSquares", sum_squares),
];

/// All GLCM features of `roi` (PyRadiomics `RadiomicsGLCM`), in PyRadiomics' order.
pub fn compute(roi: &Roi, settings: &Settings) -> ClassFeatures {
    compute_on(&PaddedRegion::for_texture(roi, settings), roi.spacing, settings)
}

/// [`compute`] on the region already padded ([`PaddedRegion::for_texture`]); `spacing` in (x, y, z)
/// order, for `weightingNorm`.
pub fn compute_on(region: &PaddedRegion, spacing: [f64; 3], settings: &Settings) -> ClassFeatures {
    let matrices = glcm_matrices(region, spacing, settings);
    let levels: Vec<f64> = region.present_levels().iter().map(|&l| f64::from(l)).collect();
    // PyRadiomics `Ng`: the highest level present (not the number of levels).
    let ng = levels.last().copied().unwrap_or(0.0);
    let glcms: Vec<Glcm> = matrices.into_par_iter().map(|p| Glcm::new(p, &levels, ng)).collect();
    average_over_angles(&FEATURES, &glcms)
}

/// The normalised matrices features are computed on, rows and columns indexed by the region's
/// present levels: one per non-empty angle, or a single distance-weighted sum when `weightingNorm`
/// is set (PyRadiomics `_calculateMatrix`). `spacing` is in (x, y, z) order.
pub fn glcm_matrices(region: &PaddedRegion, spacing: [f64; 3], settings: &Settings) -> Vec<Array2<f64>> {
    let angles = settings_angles(region.shape(), &settings.distances, false, settings);
    let mut matrices: Vec<Array2<f64>> = region
        .steps_for(&angles)
        .into_par_iter()
        .map(|step| glcm_matrix(region, step, settings.symmetrical_glcm))
        .collect();
    if let Some(norm) = settings.weighting_norm {
        let n = region.present_levels().len();
        let mut weighted = Array2::zeros((n, n));
        for (matrix, &angle) in matrices.iter().zip(&angles) {
            // PyRadiomics' GLCM weight exp(−‖d‖²), d in mm.
            let weight = step_length(norm, angle, spacing).map_or(1.0, |d| (-d * d).exp());
            weighted.scaled_add(weight, matrix);
        }
        matrices = vec![weighted];
    }
    if matrices.len() > 1 {
        matrices.retain(|m| m.sum() > 0.0);
    }
    // A lone empty matrix becomes NaN (0 / 0), as PyRadiomics marks it.
    matrices
        .into_iter()
        .map(|m| {
            let total = m.sum();
            m / total
        })
        .collect()
}

/// Co-occurrence counts for the angle whose padded-index step is `step`: `P[i, j]` counts region
/// voxels of the `i`-th present level whose neighbour at `+angle` is in the region with the `j`-th
/// level (`cmatrices.c` `calculate_glcm`); `symmetrical` adds the transpose (the opposite
/// direction).
fn glcm_matrix(region: &PaddedRegion, step: isize, symmetrical: bool) -> Array2<f64> {
    let n = region.present_levels().len();
    // Counted by `rows` (row + 1, 0 outside) in an (n + 1)² table whose column 0 takes the
    // neighbours outside the region, uncounted by PyRadiomics: no test per voxel. Integer counts: a
    // repeated cell waits for an integer addition, not a floating-point one.
    let width = n + 1;
    let mut counts = vec![0u32; width * width];
    let rows = region.rows();
    for run in region.runs() {
        // The neighbours' rows, a slice as long as the run's: no index check per voxel.
        let neighbours = run.start.wrapping_add_signed(step)..run.end.wrapping_add_signed(step);
        for (&centre, &neighbour) in rows[run].iter().zip(&rows[neighbours]) {
            counts[centre as usize * width + neighbour as usize] += 1;
        }
    }
    let count = |i: usize, j: usize| u64::from(counts[(i + 1) * width + j + 1]);
    if symmetrical {
        Array2::from_shape_fn((n, n), |(i, j)| (count(i, j) + count(j, i)) as f64)
    } else {
        Array2::from_shape_fn((n, n), |(i, j)| count(i, j) as f64)
    }
}

/// One normalised matrix with the coefficients PyRadiomics derives from it
/// (`_calculateCoefficients`).
struct Glcm {
    /// `p(i, j)`.
    p: Array2<f64>,
    /// Level values `i` of the rows (and `j` of the columns).
    levels: Vec<f64>,
    /// `Ng`: the highest level present.
    ng: f64,
    /// `p_x(i)`.
    px: Vec<f64>,
    /// `p_y(j)`.
    py: Vec<f64>,
    /// `μ_x = Σ p(i,j)·i`.
    ux: f64,
    /// `μ_y = Σ p(i,j)·j`.
    uy: f64,
    /// `p_{x+y}(k)`, indexed by `k = i + j`.
    sum_distribution: Vec<f64>,
    /// `p_{x−y}(k)`, indexed by `k = |i − j|`, `k = 0 … Ng−1`.
    difference_distribution: Vec<f64>,
    /// `HXY = −Σ p(i,j)·log₂(p(i,j) + ε)`.
    hxy: f64,
    /// The non-zero cells `(row, column, p(i, j))` in row-major order: an empty cell adds a zero
    /// term to every sum over `p` (+0 or −0, which leave a non-zero sum unchanged), and over many
    /// grey levels most cells are empty.
    cells: Vec<(usize, usize, f64)>,
}

impl Glcm {
    fn new(p: Array2<f64>, levels: &[f64], ng: f64) -> Glcm {
        let n = levels.len();
        let ng_len = ng as usize;
        let mut glcm = Glcm {
            p: Array2::zeros((0, 0)),
            levels: levels.to_vec(),
            ng,
            px: vec![0.0; n],
            py: vec![0.0; n],
            ux: 0.0,
            uy: 0.0,
            sum_distribution: vec![0.0; 2 * ng_len + 1],
            difference_distribution: vec![0.0; ng_len],
            hxy: 0.0,
            cells: Vec::with_capacity(p.iter().filter(|&&v| v != 0.0).count()),
        };
        glcm.cells.extend(
            p.indexed_iter()
                .filter(|(_, v)| **v != 0.0)
                .map(|((a, b), &v)| (a, b, v)),
        );
        for &(a, b, v) in &glcm.cells {
            let (i, j) = (levels[a], levels[b]);
            glcm.px[a] += v;
            glcm.py[b] += v;
            glcm.ux += v * i;
            glcm.uy += v * j;
            glcm.sum_distribution[(i + j) as usize] += v;
            glcm.difference_distribution[(i - j).abs() as usize] += v;
            glcm.hxy -= v * (v + EPS).log2();
        }
        glcm.p = p;
        glcm
    }

    /// `Σ_i Σ_j f(p(i,j), i, j)` over level values.
    fn sum_ij(&self, f: impl Fn(f64, f64, f64) -> f64) -> f64 {
        self.cells
            .iter()
            .map(|&(a, b, v)| f(v, self.levels[a], self.levels[b]))
            .sum()
    }

    /// `Σ_k f(p_{x−y}(k), k)` for `k = 0 … Ng−1`.
    fn sum_difference(&self, f: impl Fn(f64, f64) -> f64) -> f64 {
        self.difference_distribution
            .iter()
            .enumerate()
            .map(|(k, &v)| f(v, k as f64))
            .sum()
    }

    /// `Σ_k f(p_{x+y}(k), k)` for `k = 2 … 2Ng`.
    fn sum_sum(&self, f: impl Fn(f64, f64) -> f64) -> f64 {
        self.sum_distribution
            .iter()
            .enumerate()
            .skip(2)
            .map(|(k, &v)| f(v, k as f64))
            .sum()
    }

    /// `Σ p(i,j)·(i + j − μ_x − μ_y)^power`.
    fn cluster_moment(&self, power: i32) -> f64 {
        self.sum_ij(|v, i, j| v * (i + j - self.ux - self.uy).powi(power))
    }

    /// `σ_x·σ_y` and `Σ p(i,j)(i − μ_x)(j − μ_y)`.
    fn deviations(&self) -> (f64, f64) {
        let var_x = sum_squares(self);
        let var_y = self.sum_ij(|v, _, j| v * (j - self.uy).powi(2));
        let covariance = self.sum_ij(|v, i, j| v * (i - self.ux) * (j - self.uy));
        (var_x.sqrt() * var_y.sqrt(), covariance)
    }
}

/// `−Σ q·log₂(q + ε)`, PyRadiomics' entropy of a distribution.
fn entropy(distribution: &[f64]) -> f64 {
    -distribution.iter().map(|&q| q * (q + EPS).log2()).sum::<f64>()
}

/// Autocorrelation `Σ_i Σ_j p(i,j)·i·j` (PyRadiomics GLCM feature 1).
fn autocorrelation(g: &Glcm) -> f64 {
    g.sum_ij(|v, i, j| v * i * j)
}

/// Cluster Prominence `Σ_i Σ_j (i + j − μ_x − μ_y)⁴·p(i,j)` (PyRadiomics GLCM feature 3).
fn cluster_prominence(g: &Glcm) -> f64 {
    g.cluster_moment(4)
}

/// Cluster Shade `Σ_i Σ_j (i + j − μ_x − μ_y)³·p(i,j)` (PyRadiomics GLCM feature 4).
fn cluster_shade(g: &Glcm) -> f64 {
    g.cluster_moment(3)
}

/// Cluster Tendency `Σ_i Σ_j (i + j − μ_x − μ_y)²·p(i,j)` (PyRadiomics GLCM feature 5).
fn cluster_tendency(g: &Glcm) -> f64 {
    g.cluster_moment(2)
}

/// Contrast `Σ_i Σ_j (i − j)²·p(i,j)` (PyRadiomics GLCM feature 6).
fn contrast(g: &Glcm) -> f64 {
    g.sum_ij(|v, i, j| v * (i - j).powi(2))
}

/// Correlation `(Σ p(i,j)(i − μ_x)(j − μ_y)) / (σ_x·σ_y + ε)`, 1 when `σ_x·σ_y = 0` (flat region)
/// (PyRadiomics GLCM feature 7).
fn correlation(g: &Glcm) -> f64 {
    let (sigma_xy, covariance) = g.deviations();
    if sigma_xy == 0.0 {
        1.0
    } else {
        covariance / (sigma_xy + EPS)
    }
}

/// Difference Average `DA = Σ_k k·p_{x−y}(k)` (PyRadiomics GLCM feature 8).
fn difference_average(g: &Glcm) -> f64 {
    g.sum_difference(|v, k| k * v)
}

/// Difference Entropy `−Σ_k p_{x−y}(k)·log₂(p_{x−y}(k) + ε)` (PyRadiomics GLCM feature 9).
fn difference_entropy(g: &Glcm) -> f64 {
    entropy(&g.difference_distribution)
}

/// Difference Variance `Σ_k (k − DA)²·p_{x−y}(k)` (PyRadiomics GLCM feature 10).
fn difference_variance(g: &Glcm) -> f64 {
    let average = difference_average(g);
    g.sum_difference(|v, k| (k - average).powi(2) * v)
}

/// Inverse Difference `Σ_k p_{x−y}(k) / (1 + k)` (PyRadiomics GLCM feature 18, `Id`).
fn inverse_difference(g: &Glcm) -> f64 {
    g.sum_difference(|v, k| v / (1.0 + k))
}

/// Inverse Difference Moment `Σ_k p_{x−y}(k) / (1 + k²)` (PyRadiomics GLCM feature 15, `Idm`).
fn inverse_difference_moment(g: &Glcm) -> f64 {
    g.sum_difference(|v, k| v / (1.0 + k * k))
}

/// Inverse Difference Moment Normalized `Σ_k p_{x−y}(k) / (1 + k²/Ng²)` (PyRadiomics GLCM feature
/// 17, `Idmn`).
fn inverse_difference_moment_normalized(g: &Glcm) -> f64 {
    let ng2 = g.ng * g.ng;
    g.sum_difference(|v, k| v / (1.0 + k * k / ng2))
}

/// Inverse Difference Normalized `Σ_k p_{x−y}(k) / (1 + k/Ng)` (PyRadiomics GLCM feature 19, `Idn`).
fn inverse_difference_normalized(g: &Glcm) -> f64 {
    g.sum_difference(|v, k| v / (1.0 + k / g.ng))
}

/// IMC1 `(HXY − HXY1) / max(HX, HY)`, 0 when both marginal entropies are 0, with
/// `HXY1 = −Σ p(i,j)·log₂(p_x(i)p_y(j) + ε)` (PyRadiomics GLCM feature 13).
fn informational_measure_of_correlation_1(g: &Glcm) -> f64 {
    let hxy1 = -g
        .cells
        .iter()
        .map(|&(a, b, v)| v * (g.px[a] * g.py[b] + EPS).log2())
        .sum::<f64>();
    let div = entropy(&g.px).max(entropy(&g.py));
    if div == 0.0 { 0.0 } else { (g.hxy - hxy1) / div }
}

/// IMC2 `√(1 − e^{−2(HXY2 − HXY)})`, 0 when `HXY2 = HXY`, NaN (skipped in the angle mean) when
/// rounding makes `HXY > HXY2`; `HXY2 = −Σ p_x(i)p_y(j)·log₂(p_x(i)p_y(j) + ε)` (PyRadiomics GLCM
/// feature 14).
fn informational_measure_of_correlation_2(g: &Glcm) -> f64 {
    // Products of 0 give terms of −0, which leave the sum unchanged.
    let hxy2 = -g
        .px
        .iter()
        .filter(|&&x| x != 0.0)
        .flat_map(|&x| g.py.iter().map(move |&y| x * y))
        .filter(|&q| q != 0.0)
        .map(|q| q * (q + EPS).log2())
        .sum::<f64>();
    if hxy2 == g.hxy {
        0.0
    } else {
        (1.0 - (-2.0 * (hxy2 - g.hxy)).exp()).sqrt()
    }
}

/// Inverse Variance `Σ_{k≥1} p_{x−y}(k) / k²` (PyRadiomics GLCM feature 20).
fn inverse_variance(g: &Glcm) -> f64 {
    g.sum_difference(|v, k| if k == 0.0 { 0.0 } else { v / (k * k) })
}

/// Joint Average `μ_x = Σ_i Σ_j p(i,j)·i` (PyRadiomics GLCM feature 2).
fn joint_average(g: &Glcm) -> f64 {
    g.ux
}

/// Joint Energy `Σ_i Σ_j p(i,j)²` (PyRadiomics GLCM feature 11).
fn joint_energy(g: &Glcm) -> f64 {
    g.cells.iter().map(|&(_, _, v)| v * v).sum()
}

/// Joint Entropy `HXY = −Σ_i Σ_j p(i,j)·log₂(p(i,j) + ε)` (PyRadiomics GLCM feature 12).
fn joint_entropy(g: &Glcm) -> f64 {
    g.hxy
}

/// Maximal Correlation Coefficient `√(second largest eigenvalue of Q)`,
/// `Q(i,j) = Σ_k p(i,k)p(j,k) / (p_x(i)p_y(k))`, 1 for a single grey level (PyRadiomics GLCM
/// feature 16).
///
/// PyRadiomics takes all eigenvalues of the non-symmetric `Q` (numpy `eigvals`, O(Ng³) with a large
/// constant). Restricted to the levels with `p_x(i) > 0` (the other rows of `Q` are zero and only
/// add zero eigenvalues), `Q = D_x⁻¹·P·D_y⁻¹·Pᵀ` is similar to `B·Bᵀ` with
/// `B = D_x^{-½}·P·D_y^{-½}`, a symmetric positive semi-definite matrix: same eigenvalues. Its
/// largest is 1 with eigenvector `√p_x`, so the second largest is the largest on the complement of
/// `√p_x`, found by Lanczos iteration using only products with the sparse `B` and `Bᵀ`.
/// PyRadiomics' `+ ε` in the denominator breaks the symmetry; it shifts the eigenvalue by up to
/// ~1e-7 relative (ε against `p_x(i)p_y(k)` of rare levels), which [`epsilon_shift`] adds back to
/// first order.
fn maximal_correlation_coefficient(g: &Glcm) -> f64 {
    let n = g.levels.len();
    if n < 2 {
        return 1.0;
    }
    // B in compressed rows over the levels with p_x > 0 (the rows holding a non-zero cell);
    // columns index the levels directly. Row r's cells are `b[row_ends[r − 1]..row_ends[r]]`.
    let (mut rows, mut row_ends, mut b) = (Vec::new(), Vec::new(), Vec::with_capacity(g.cells.len()));
    for row in g.cells.chunk_by(|x, y| x.0 == y.0) {
        let a = row[0].0;
        if g.px[a] > 0.0 {
            rows.push(a);
            b.extend(row.iter().map(|&(_, k, v)| (k, v / (g.px[a] * g.py[k]).sqrt())));
            row_ends.push(b.len());
        }
    }
    let b_rows = CompressedRows {
        ends: &row_ends,
        cells: &b,
    };
    // B·Bᵀ·√p_x = √p_x with the largest eigenvalue, 1: deflate it and find the next.
    let mut top: Vec<f64> = rows.iter().map(|&a| g.px[a].sqrt()).collect();
    let norm = top.iter().map(|v| v * v).sum::<f64>().sqrt();
    top.iter_mut().for_each(|v| *v /= norm);
    let mut bt_x = vec![0.0; n];
    let apply = |x: &[f64], out: &mut [f64]| {
        bt_x.fill(0.0);
        for (row, &xa) in b_rows.iter().zip(x) {
            for &(k, b) in row {
                bt_x[k] += b * xa;
            }
        }
        for (row, o) in b_rows.iter().zip(out.iter_mut()) {
            *o = row.iter().map(|&(k, b)| b * bt_x[k]).sum();
        }
    };
    let (second, y) = eigen::largest_eigenpair_orthogonal_to(apply, &top);
    (second + epsilon_shift(g, &rows, b_rows, &y)).max(0.0).sqrt()
}

/// A sparse matrix by rows: row `r` holds `cells[ends[r − 1]..ends[r]]` as (column, value).
#[derive(Clone, Copy)]
struct CompressedRows<'a> {
    ends: &'a [usize],
    cells: &'a [(usize, f64)],
}

impl<'a> CompressedRows<'a> {
    fn iter(self) -> impl Iterator<Item = &'a [(usize, f64)]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends).map(move |(start, &end)| &self.cells[start..end])
    }
}

/// First-order change of an eigenvalue of `Q` when, as in PyRadiomics, `ε` is added to each
/// denominator `p_x(i)p_y(k)`: with `y` the unit eigenvector of `B·Bᵀ`, `Q`'s right and left
/// eigenvectors are `D_x^{-½}y` and `D_x^{½}y`, and `Q` loses
/// `E(i,j) = Σ_k p(i,k)p(j,k)·ε / (x(x + ε))`, `x = p_x(i)p_y(k)`, so the eigenvalue moves by
/// `−Σ_k (Σ_i √p_x(i)·y_i·p(i,k)·ε/(x(x+ε))) · (Σ_j y_j·p(j,k)/√p_x(j))`. The second-order term is
/// of relative size `(ε/x)²`, far below double precision.
fn epsilon_shift(g: &Glcm, rows: &[usize], b_rows: CompressedRows, y: &[f64]) -> f64 {
    let n = g.levels.len();
    let (mut left, mut right) = (vec![0.0; n], vec![0.0; n]);
    for ((&a, row), &ya) in rows.iter().zip(b_rows.iter()).zip(y) {
        let sqrt_px = g.px[a].sqrt();
        for &(k, _) in row {
            let p = g.p[[a, k]];
            let x = g.px[a] * g.py[k];
            left[k] += sqrt_px * ya * p * EPS / (x * (x + EPS));
            right[k] += ya * p / sqrt_px;
        }
    }
    -left.iter().zip(&right).map(|(l, r)| l * r).sum::<f64>()
}

/// Maximum Probability `max p(i,j)` (PyRadiomics GLCM feature 21).
fn maximum_probability(g: &Glcm) -> f64 {
    g.p.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v))
}

/// Sum Average `Σ_{k=2}^{2Ng} k·p_{x+y}(k)` (PyRadiomics GLCM feature 22).
fn sum_average(g: &Glcm) -> f64 {
    g.sum_sum(|v, k| k * v)
}

/// Sum Entropy `−Σ_k p_{x+y}(k)·log₂(p_{x+y}(k) + ε)` (PyRadiomics GLCM feature 23).
fn sum_entropy(g: &Glcm) -> f64 {
    entropy(&g.sum_distribution[2..])
}

/// Sum of Squares `Σ_i Σ_j (i − μ_x)²·p(i,j)` (PyRadiomics GLCM feature 24).
fn sum_squares(g: &Glcm) -> f64 {
    g.sum_ij(|v, i, _| v * (i - g.ux).powi(2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::WeightingNorm;
    use ndarray::{Array3, array};

    /// PyRadiomics' GLCM documentation example: a 5×5 image with 5 levels.
    fn docs_example() -> Roi {
        let image = array![
            [1, 2, 5, 2, 3],
            [3, 2, 1, 3, 1],
            [1, 3, 5, 5, 2],
            [1, 1, 1, 1, 2],
            [1, 2, 4, 3, 5]
        ];
        Roi::of_grey_levels(image.insert_axis(ndarray::Axis(0)))
    }

    /// The co-occurrence counts of `roi` along `angle` alone.
    fn matrix_along(roi: &Roi, angle: [i32; 3], symmetrical: bool) -> Array2<f64> {
        let region = PaddedRegion::new(roi, &[angle]);
        glcm_matrix(&region, region.steps_for(&[angle])[0], symmetrical)
    }

    #[test]
    fn horizontal_symmetrical_glcm_matches_the_pyradiomics_docs_example() {
        let p = matrix_along(&docs_example(), [0, 0, 1], true);
        let expected = array![
            [6.0, 4.0, 3.0, 0.0, 0.0],
            [4.0, 0.0, 2.0, 1.0, 3.0],
            [3.0, 2.0, 0.0, 1.0, 2.0],
            [0.0, 1.0, 1.0, 0.0, 0.0],
            [0.0, 3.0, 2.0, 0.0, 2.0]
        ];
        assert_eq!(p, expected);
    }

    #[test]
    fn asymmetrical_glcm_counts_one_direction_only() {
        // Row 0 of the docs image, left to right: (1,2), (2,5), (5,2), (2,3), ...
        let p = matrix_along(&docs_example(), [0, 0, 1], false);
        assert_eq!(p.sum(), 20.0);
        assert_eq!(p[[0, 1]], 3.0); // 1→2: rows 0, 3 and 4
        assert_eq!(p[[1, 0]], 1.0); // 2→1: row 1
        assert_eq!(&p + &p.t(), matrix_along(&docs_example(), [0, 0, 1], true));
    }

    #[test]
    fn absent_levels_get_no_row_and_voxels_outside_the_mask_no_pairs() {
        // Levels 2 and 7 with a hole: [2, 7, 0, 7] along x.
        let roi = Roi::of_grey_levels(Array3::from_shape_vec((1, 1, 4), vec![2, 7, 0, 7]).unwrap());
        let p = matrix_along(&roi, [0, 0, 1], true);
        assert_eq!(p, array![[0.0, 1.0], [1.0, 0.0]]);
    }

    #[test]
    fn flat_region_gives_pyradiomics_conventions() {
        let roi = Roi::of_grey_levels(Array3::from_elem((2, 2, 2), 3));
        let settings = Settings::default();
        let region = PaddedRegion::for_texture(&roi, &settings);
        let p = glcm_matrices(&region, roi.spacing, &settings);
        assert_eq!((region.present_levels(), p.len()), (&[3][..], 13));
        let g = Glcm::new(p[0].clone(), &[3.0], 3.0);
        assert_eq!(correlation(&g), 1.0);
        assert_eq!(informational_measure_of_correlation_1(&g), 0.0);
        assert_eq!(informational_measure_of_correlation_2(&g), 0.0);
        assert_eq!(maximal_correlation_coefficient(&g), 1.0);
        assert_eq!(joint_average(&g), 3.0);
    }

    #[test]
    fn weighting_sums_angles_into_one_matrix() {
        // Weights come from angles::step_length; here each angle counts once.
        let settings = Settings {
            weighting_norm: Some(WeightingNorm::NoWeighting),
            ..Settings::default()
        };
        let roi = docs_example();
        let matrices = glcm_matrices(&PaddedRegion::for_texture(&roi, &settings), roi.spacing, &settings);
        assert_eq!(matrices.len(), 1);
        let angles = settings_angles([1, 5, 5], &[1], false, &settings);
        assert_eq!(angles.len(), 4);
        let total = angles
            .iter()
            .map(|&angle| matrix_along(&roi, angle, true))
            .fold(Array2::<f64>::zeros((5, 5)), |sum, m| sum + m);
        let expected = &total / total.sum();
        assert!(matrices[0].iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-15));
    }
}
