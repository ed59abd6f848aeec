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

#[cfg(test)]
mod tests {
    use super::*;

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
