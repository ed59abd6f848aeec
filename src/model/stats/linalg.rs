//! Small dense symmetric systems for Newton–Raphson fits (a handful of parameters at most).

// Triangular factorisation is index arithmetic over (i, j, k); iterator chains would obscure it.
#[allow(clippy::needless_range_loop)]
/// Inverse of a symmetric positive-definite matrix by Cholesky factorisation; `None` when the matrix
/// is not positive definite (singular information: a constant or collinear covariate).
pub(crate) fn invert_spd(matrix: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = matrix.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = matrix[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if i == j {
                // Relative pivot test: a pivot lost to rounding means the matrix is singular.
                if s <= matrix[i][i].abs() * 1e-12 || !s.is_finite() {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    // Invert L (lower triangular), then A⁻¹ = L⁻ᵀ L⁻¹.
    let mut l_inv = vec![vec![0.0; n]; n];
    for i in 0..n {
        l_inv[i][i] = 1.0 / l[i][i];
        for j in 0..i {
            let s: f64 = (j..i).map(|k| l[i][k] * l_inv[k][j]).sum();
            l_inv[i][j] = -s / l[i][i];
        }
    }
    let inverse = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| (i.max(j)..n).map(|k| l_inv[k][i] * l_inv[k][j]).sum())
                .collect()
        })
        .collect();
    Some(inverse)
}

/// Matrix–vector product.
pub(crate) fn mat_vec(matrix: &[Vec<f64>], vector: &[f64]) -> Vec<f64> {
    matrix
        .iter()
        .map(|row| row.iter().zip(vector).map(|(a, b)| a * b).sum())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_times_matrix_is_the_identity() {
        let a = vec![vec![4.0, 1.0, 0.5], vec![1.0, 3.0, 0.2], vec![0.5, 0.2, 2.0]];
        let inv = invert_spd(&a).unwrap();
        for (i, row) in a.iter().enumerate() {
            for j in 0..3 {
                let p: f64 = row.iter().zip(&inv).map(|(x, inv_row)| x * inv_row[j]).sum();
                assert!((p - if i == j { 1.0 } else { 0.0 }).abs() < 1e-14, "({i},{j}) = {p}");
            }
        }
    }

    #[test]
    fn a_singular_matrix_has_no_inverse() {
        assert!(invert_spd(&[vec![1.0, 2.0], vec![2.0, 4.0]]).is_none());
    }
}
