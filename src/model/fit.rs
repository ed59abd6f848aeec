//! What the fitting code shares: its error type, input checks and the small dense linear algebra
//! (Cholesky) the Newton steps need. Matrices here are a few dozen columns wide at most.

use ndarray::{Array2, ArrayView2};

/// Why a model cannot be fitted. Every variant names the offending column or class so the user can
/// fix the cohort; fitting never returns NaN coefficients instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FitError {
    /// The design matrix and outcome disagree in length, or names do not match columns.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// Only one outcome class is present.
    #[error("the outcome has a single class ({0} only): a logistic model needs responders and non-responders")]
    SingleClass(&'static str),
    /// Too few patients of a class for the requested cross-validation or model.
    #[error("too few patients: {0}")]
    TooFew(String),
    /// A predictor is constant, so its coefficient is not identifiable.
    #[error("predictor {0} has zero variance")]
    ZeroVariance(String),
    /// A value is NaN or infinite.
    #[error("predictor {column} is not finite ({value}) in row {row}")]
    NonFinite {
        /// Column name.
        column: String,
        /// Zero-based row.
        row: usize,
        /// The bad value.
        value: f64,
    },
    /// The outcome is (quasi-)perfectly separated: maximum-likelihood coefficients are infinite.
    #[error(
        "perfect separation: fitted probabilities of 0 or 1 occur (largest effect: {0}); \
         the maximum-likelihood coefficients do not exist — drop or merge that predictor"
    )]
    PerfectSeparation(String),
    /// The information matrix is singular: predictors are collinear.
    #[error("predictors are collinear (information matrix is singular at column {0})")]
    Collinear(String),
    /// The iterations did not converge.
    #[error("{what} did not converge within {iterations} iterations")]
    NotConverged {
        /// Which fit.
        what: &'static str,
        /// Iterations spent.
        iterations: usize,
    },
    /// An option is out of its valid range.
    #[error("invalid option: {0}")]
    Option(String),
}

/// Checks a design matrix against its outcome and column names: equal lengths, finite values,
/// both classes present.
pub fn check_design(x: ArrayView2<f64>, y: &[bool], names: &[String]) -> Result<(), FitError> {
    let (n, p) = x.dim();
    if y.len() != n {
        return Err(FitError::Shape(format!(
            "{n} rows of predictors but {} outcomes",
            y.len()
        )));
    }
    if names.len() != p {
        return Err(FitError::Shape(format!(
            "{p} predictor columns but {} names",
            names.len()
        )));
    }
    for ((row, column), &value) in x.indexed_iter() {
        if !value.is_finite() {
            return Err(FitError::NonFinite {
                column: names[column].clone(),
                row,
                value,
            });
        }
    }
    match y.iter().filter(|&&v| v).count() {
        0 => Err(FitError::SingleClass("non-responders")),
        k if k == n => Err(FitError::SingleClass("responders")),
        _ => Ok(()),
    }
}

/// Lower-triangular Cholesky factor of a symmetric positive-definite matrix, or the index of the
/// first pivot that is not positive (relative to the diagonal's scale).
pub fn cholesky(a: &Array2<f64>) -> Result<Array2<f64>, usize> {
    let n = a.nrows();
    let scale = (0..n)
        .map(|i| a[[i, i]].abs())
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut l = Array2::<f64>::zeros((n, n));
    for j in 0..n {
        let mut d = a[[j, j]];
        for k in 0..j {
            d -= l[[j, k]] * l[[j, k]];
        }
        if d <= 1e-13 * scale || !d.is_finite() {
            return Err(j);
        }
        let d = d.sqrt();
        l[[j, j]] = d;
        for i in j + 1..n {
            let mut s = a[[i, j]];
            for k in 0..j {
                s -= l[[i, k]] * l[[j, k]];
            }
            l[[i, j]] = s / d;
        }
    }
    Ok(l)
}

/// Solves `L Lᵀ x = b` given the Cholesky factor `L`.
pub fn cholesky_solve(l: &Array2<f64>, b: &[f64]) -> Vec<f64> {
    let n = b.len();
    let mut z = b.to_vec();
    for i in 0..n {
        for k in 0..i {
            z[i] -= l[[i, k]] * z[k];
        }
        z[i] /= l[[i, i]];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            z[i] -= l[[k, i]] * z[k];
        }
        z[i] /= l[[i, i]];
    }
    z
}

/// The inverse of `L Lᵀ`, column by column.
pub fn cholesky_inverse(l: &Array2<f64>) -> Array2<f64> {
    let n = l.nrows();
    let mut inv = Array2::zeros((n, n));
    for c in 0..n {
        let mut e = vec![0.0; n];
        e[c] = 1.0;
        for (r, v) in cholesky_solve(l, &e).into_iter().enumerate() {
            inv[[r, c]] = v;
        }
    }
    inv
}

/// `log(1 + e^η)`, stable for large |η|.
pub fn log1p_exp(eta: f64) -> f64 {
    if eta > 0.0 {
        eta + (-eta).exp().ln_1p()
    } else {
        eta.exp().ln_1p()
    }
}

/// Upper tail `P(|Z| > |z|)` of the standard normal, the two-sided Wald p-value: `P(χ²₁ > z²)`.
pub fn normal_two_sided_p(z: f64) -> f64 {
    chi2_sf(z * z, 1)
}

/// Upper tail `P(χ²_df > x)` = `Q(df/2, x/2)`, the regularised upper incomplete gamma function
/// (Numerical Recipes 3rd ed. §6.2: series for x < a + 1, Lentz's continued fraction otherwise),
/// accurate to ~1e-15 relative. `df` is small here (likelihood-ratio tests of a few terms).
pub fn chi2_sf(x: f64, df: u32) -> f64 {
    let a = f64::from(df) / 2.0;
    let x = x / 2.0;
    if x <= 0.0 {
        return 1.0;
    }
    let ln_prefactor = -x + a * x.ln() - ln_gamma_half_integer(df);
    if x < a + 1.0 {
        // Series for the lower incomplete gamma P(a, x).
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..1000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        1.0 - sum * ln_prefactor.exp()
    } else {
        // Modified Lentz continued fraction for the upper incomplete gamma Q(a, x).
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..1000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        ln_prefactor.exp() * h
    }
}

/// `ln Γ(df/2)` exactly from the factorial identities `Γ(k) = (k−1)!` and `Γ(k + ½) = √π (2k)!/(4ᵏ k!)`.
fn ln_gamma_half_integer(df: u32) -> f64 {
    let half_pi_ln = 0.5 * std::f64::consts::PI.ln();
    if df.is_multiple_of(2) {
        (1..df / 2).map(|i| f64::from(i).ln()).sum()
    } else {
        let k = df / 2;
        // Γ(k + ½) = √π · Π_{i=1..k} (i − ½)
        half_pi_ln + (1..=k).map(|i| (f64::from(i) - 0.5).ln()).sum::<f64>()
    }
}

/// The 97.5th percentile of the standard normal, for 95% Wald intervals.
pub const Z_975: f64 = 1.959_963_984_540_054;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_two_sided_p_matches_scipy_values() {
        // scipy.stats.norm.sf(z) * 2, printed with repr().
        let cases = [
            (0.1, 0.920_344_325_445_942),
            (1.0, 0.317_310_507_862_914_15),
            (1.959_963_984_540_054, 0.05),
            (3.0, 0.002_699_796_063_260_186_6),
            (8.0, 1.244_192_114_854_348e-15),
        ];
        for (z, want) in cases {
            let got = normal_two_sided_p(z);
            assert!(((got - want) / want).abs() < 1e-12, "z={z}: got {got}, want {want}");
            assert_eq!(normal_two_sided_p(-z), got);
        }
    }

    const CHI2_CASES: [(f64, u32, f64); 6] = [
        (0.5, 2, 0.778_800_783_071_404_9),
        (3.0, 2, 0.223_130_160_148_429_82),
        (7.8, 3, 0.050_331_097_859_853_326),
        (1.2, 4, 0.878_098_617_750_442_4),
        (20.0, 5, 0.001_249_730_563_031_377_3),
        (0.05, 1, 0.823_063_273_758_121_4),
    ];

    #[test]
    fn chi2_sf_matches_scipy_values() {
        // scipy.stats.chi2.sf(x, df), printed with repr().
        for (x, df, want) in CHI2_CASES {
            let got = chi2_sf(x, df);
            assert!(
                ((got - want) / want).abs() < 1e-12,
                "x={x} df={df}: got {got}, want {want}"
            );
        }
    }

    #[test]
    fn cholesky_solves_a_hand_checked_system() {
        // [[4, 2], [2, 3]] x = [2, 1]  ⇒  x = [0.5, 0].
        let a = ndarray::array![[4.0, 2.0], [2.0, 3.0]];
        let l = cholesky(&a).unwrap();
        assert_eq!(cholesky_solve(&l, &[2.0, 1.0]), vec![0.5, 0.0]);
        let inv = cholesky_inverse(&l);
        assert!((inv[[0, 0]] - 3.0 / 8.0).abs() < 1e-15 && (inv[[0, 1]] + 2.0 / 8.0).abs() < 1e-15);
        assert_eq!(cholesky(&ndarray::array![[1.0, 1.0], [1.0, 1.0]]), Err(1));
    }
}
