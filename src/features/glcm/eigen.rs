//! The one eigenvalue MCC needs: the largest eigenvalue of a symmetric positive semi-definite
//! operator on the complement of a known eigenvector, by Lanczos iteration with full
//! re-orthogonalisation (Golub & Van Loan, *Matrix Computations*, §10.1–10.3). Each step costs one
//! operator application plus `O(k·n)`, instead of the `O(n³)` of a dense eigensolver.

/// Largest eigenvalue, with a unit eigenvector, of the symmetric positive semi-definite operator
/// `apply` (`out = A·x`, with `n = u.len()`) restricted to the orthogonal complement of `u`, a
/// unit eigenvector of `A`. `(0, 0)` when that complement is trivial.
///
/// Iterates until the Ritz value's residual bound `β_k·|s_k|` is below `1e-12` relative (so the
/// eigenvalue itself is known far more precisely), the Krylov space becomes invariant, or it spans
/// the whole complement, where the Ritz value is exact.
pub fn largest_eigenpair_orthogonal_to(mut apply: impl FnMut(&[f64], &mut [f64]), u: &[f64]) -> (f64, Vec<f64>) {
    let n = u.len();
    let dimension = n.saturating_sub(1);
    if dimension == 0 {
        return (0.0, vec![0.0; n]);
    }
    let mut q = start_vector(n);
    orthogonalise(&mut q, u, &mut [0.0]);
    let norm = dot(&q, &q).sqrt();
    if norm == 0.0 {
        return (0.0, vec![0.0; n]);
    }
    q.iter_mut().for_each(|v| *v /= norm);
    // `u` then the Lanczos vectors, one after another.
    let mut basis: Vec<f64> = Vec::with_capacity(n * (dimension + 1));
    basis.extend_from_slice(u);
    let mut coefficients = Vec::with_capacity(dimension + 1);
    let (mut alpha, mut beta) = (Vec::new(), Vec::new());
    let mut w = vec![0.0; n];
    loop {
        apply(&q, &mut w);
        alpha.push(dot(&q, &w));
        basis.extend_from_slice(&q);
        // Twice is enough (Parlett's "twice is enough", classical Gram–Schmidt included): keeps the
        // Lanczos vectors orthogonal to working precision.
        coefficients.resize(basis.len() / n, 0.0);
        for _ in 0..2 {
            orthogonalise(&mut w, &basis, &mut coefficients);
        }
        let steps = alpha.len();
        let b = dot(&w, &w).sqrt();
        // A Ritz value costs O(k²) (the QL sweep), so convergence is tested every few steps, and
        // whenever the space may have become invariant: Gershgorin bounds θ from above.
        let may_stop = steps == dimension
            || steps.is_multiple_of(CONVERGENCE_TEST_EVERY)
            || b <= 1e-14 * gershgorin_bound(&alpha, &beta);
        if may_stop {
            let theta = largest_tridiagonal_eigenvalue(&alpha, &beta);
            let scale = theta.abs().max(f64::MIN_POSITIVE);
            let s = tridiagonal_eigenvector(&alpha, &beta, theta);
            let invariant = b <= 1e-14 * alpha.iter().fold(scale, |m, a| m.max(a.abs()));
            let residual = b * s[s.len() - 1].abs();
            if steps == dimension || invariant || residual <= 1e-12 * scale {
                // Ritz vector: the Lanczos basis (after `u`) combined by T's eigenvector.
                let mut y = vec![0.0; n];
                for (q, &sj) in basis[n..].chunks_exact(n).zip(&s) {
                    y.iter_mut().zip(q).for_each(|(yi, qi)| *yi += sj * qi);
                }
                return (theta, y);
            }
        }
        beta.push(b);
        q.iter_mut().zip(&w).for_each(|(qi, wi)| *qi = wi / b);
    }
}

/// Lanczos steps between convergence tests. A test is a QL sweep of `T_k`, O(k²) rotations that
/// each wait on a square root and two divisions: at k ≈ 40 it costs tens of Lanczos steps, so a few
/// steps past convergence are the cheaper side (8 against 4: 2–5 % less time on the small reference
/// cases; the eigenvalue still meets the 1e-12 residual bound).
const CONVERGENCE_TEST_EVERY: usize = 8;

/// An upper bound of the tridiagonal `(alpha, beta)`'s eigenvalues' magnitudes: the largest
/// Gershgorin row sum.
fn gershgorin_bound(alpha: &[f64], beta: &[f64]) -> f64 {
    (0..alpha.len())
        .map(|i| {
            let below = if i > 0 { beta[i - 1].abs() } else { 0.0 };
            let above = beta.get(i).map_or(0.0, |b| b.abs());
            alpha[i].abs() + below + above
        })
        .fold(f64::MIN_POSITIVE, f64::max)
}

/// `x·y` in four interleaved partial sums: independent additions the CPU overlaps, where a single
/// running sum waits for each addition in turn.
fn dot(x: &[f64], y: &[f64]) -> f64 {
    let mut partial = [0.0; 4];
    let (xs, ys) = (x.chunks_exact(4), y.chunks_exact(4));
    let tail: f64 = xs.remainder().iter().zip(ys.remainder()).map(|(a, b)| a * b).sum();
    for (a, b) in xs.zip(ys) {
        for l in 0..4 {
            partial[l] += a[l] * b[l];
        }
    }
    (partial[0] + partial[1]) + (partial[2] + partial[3]) + tail
}

/// Removes from `w` its components along the orthonormal vectors laid end to end in `directions`
/// (classical Gram–Schmidt: every coefficient from the same `w`, so the dot products are
/// independent of each other). `coefficients` is scratch, one per direction.
fn orthogonalise(w: &mut [f64], directions: &[f64], coefficients: &mut [f64]) {
    let n = w.len();
    for (c, d) in coefficients.iter_mut().zip(directions.chunks_exact(n)) {
        *c = dot(w, d);
    }
    for (&c, d) in coefficients.iter().zip(directions.chunks_exact(n)) {
        w.iter_mut().zip(d).for_each(|(x, y)| *x -= c * y);
    }
}

/// A fixed pseudo-random start (a Weyl sequence), so results are reproducible and the start is,
/// in practice, never orthogonal to the wanted eigenvector.
fn start_vector(n: usize) -> Vec<f64> {
    (0..n as u64)
        .map(|i| {
            let bits = (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
            bits as f64 / (1u64 << 53) as f64 - 0.5
        })
        .collect()
}

/// Largest eigenvalue of the symmetric tridiagonal matrix with diagonal `alpha` and
/// off-diagonal `beta` (`beta.len() = alpha.len() − 1`).
fn largest_tridiagonal_eigenvalue(alpha: &[f64], beta: &[f64]) -> f64 {
    let mut d = alpha.to_vec();
    let mut e: Vec<f64> = beta.iter().copied().chain(std::iter::once(0.0)).collect();
    tridiagonal_ql(&mut d, &mut e);
    d.into_iter().fold(f64::NEG_INFINITY, f64::max)
}

/// Unit eigenvector of the tridiagonal `(alpha, beta)` for its largest eigenvalue `theta`, by two
/// steps of inverse iteration. `T − θI` is negative semi-definite, so elimination without pivoting
/// is stable; a zero pivot (exact eigenvalue) is nudged.
fn tridiagonal_eigenvector(alpha: &[f64], beta: &[f64], theta: f64) -> Vec<f64> {
    let k = alpha.len();
    let tiny = f64::EPSILON * alpha.iter().chain(beta).fold(f64::MIN_POSITIVE, |m, v| m.max(v.abs()));
    let mut x = vec![1.0; k];
    for _ in 0..2 {
        // Thomas algorithm on (T − θI)·y = x.
        let mut diagonal = vec![0.0; k];
        let mut rhs = x.clone();
        for i in 0..k {
            let mut pivot = alpha[i] - theta;
            if i > 0 {
                let factor = beta[i - 1] / diagonal[i - 1];
                pivot -= factor * beta[i - 1];
                rhs[i] -= factor * rhs[i - 1];
            }
            diagonal[i] = if pivot.abs() < tiny { -tiny } else { pivot };
        }
        for i in (0..k).rev() {
            let above = if i + 1 < k { beta[i] * x[i + 1] } else { 0.0 };
            x[i] = (rhs[i] - above) / diagonal[i];
        }
        let norm = dot(&x, &x).sqrt();
        x.iter_mut().for_each(|v| *v /= norm);
    }
    x
}

/// Eigenvalues of the symmetric tridiagonal matrix (`d` diagonal, `e[k]` between `k` and `k + 1`,
/// `e[n − 1]` unused) by the QL algorithm with implicit Wilkinson shifts (Numerical Recipes `tqli`
/// without eigenvectors); the eigenvalues replace `d`, unordered.
fn tridiagonal_ql(d: &mut [f64], e: &mut [f64]) {
    let n = d.len();
    for l in 0..n {
        for _ in 0..64 {
            let mut m = l;
            while m + 1 < n {
                let dd = d[m].abs() + d[m + 1].abs();
                if e[m].abs() <= f64::EPSILON * dd {
                    break;
                }
                m += 1;
            }
            if m == l {
                break;
            }
            let mut g = (d[l + 1] - d[l]) / (2.0 * e[l]);
            let mut r = g.hypot(1.0);
            g = d[m] - d[l] + e[l] / (g + r.copysign(g));
            let (mut s, mut c, mut p) = (1.0, 1.0, 0.0);
            let mut deflated = false;
            for i in (l..m).rev() {
                let f = s * e[i];
                let b = c * e[i];
                // Not `hypot`, which is several times slower: |f|, |g| stay near the matrix's scale.
                r = (f * f + g * g).sqrt();
                e[i + 1] = r;
                if r == 0.0 {
                    d[i + 1] -= p;
                    e[m] = 0.0;
                    deflated = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = d[i + 1] - p;
                r = (d[i] - g) * s + 2.0 * c * b;
                p = s * r;
                d[i + 1] = g + p;
                g = c * r - b;
            }
            if deflated {
                continue;
            }
            d[l] -= p;
            e[l] = g;
            e[m] = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// tridiag(−1, 2, −1) of size n has eigenvalues 2 − 2cos(kπ/(n+1)), k = 1…n.
    fn toeplitz_eigenvalue(k: usize, n: usize) -> f64 {
        2.0 - 2.0 * (k as f64 * PI / (n + 1) as f64).cos()
    }

    #[test]
    fn dot_sums_every_product_including_those_past_the_last_group_of_four() {
        for n in 0..=9 {
            let x: Vec<f64> = (1..=n).map(f64::from).collect();
            let squares: f64 = (1..=n).map(|i| f64::from(i * i)).sum();
            assert_eq!(dot(&x, &x), squares, "n = {n}");
        }
    }

    #[test]
    fn tridiagonal_ql_finds_the_known_toeplitz_eigenvalues() {
        let n = 12;
        let mut d = vec![2.0; n];
        let mut e = vec![-1.0; n];
        tridiagonal_ql(&mut d, &mut e);
        d.sort_by(f64::total_cmp);
        for (k, v) in d.iter().enumerate() {
            assert!((v - toeplitz_eigenvalue(k + 1, n)).abs() < 1e-13, "{k}: {v}");
        }
    }

    #[test]
    fn lanczos_finds_the_second_eigenvalue_once_the_first_is_deflated() {
        // Deflating the top eigenvector sin(j·nπ/(n+1)) of tridiag(−1, 2, −1) leaves λ_{n−1}.
        let n = 40;
        let apply = |x: &[f64], out: &mut [f64]| {
            for i in 0..n {
                let left = if i > 0 { x[i - 1] } else { 0.0 };
                let right = if i + 1 < n { x[i + 1] } else { 0.0 };
                out[i] = 2.0 * x[i] - left - right;
            }
        };
        let mut u: Vec<f64> = (1..=n)
            .map(|j| (j as f64 * n as f64 * PI / (n + 1) as f64).sin())
            .collect();
        let norm = dot(&u, &u).sqrt();
        u.iter_mut().for_each(|v| *v /= norm);
        let (value, y) = largest_eigenpair_orthogonal_to(apply, &u);
        assert!((value - toeplitz_eigenvalue(n - 1, n)).abs() < 1e-12, "{value}");
        // Its eigenvector is sin(j·(n−1)π/(n+1)), up to sign.
        let mut expected: Vec<f64> = (1..=n)
            .map(|j| (j as f64 * (n - 1) as f64 * PI / (n + 1) as f64).sin())
            .collect();
        let norm = dot(&expected, &expected).sqrt();
        expected.iter_mut().for_each(|v| *v /= norm);
        assert!((dot(&y, &expected).abs() - 1.0).abs() < 1e-10);
    }

    #[test]
    fn lanczos_on_a_one_dimensional_space_has_nothing_left() {
        let (value, y) = largest_eigenpair_orthogonal_to(|x, out| out.copy_from_slice(x), &[1.0]);
        assert_eq!((value, y), (0.0, vec![0.0]));
        let (value, y) = largest_eigenpair_orthogonal_to(|x, out| out.copy_from_slice(x), &[]);
        assert_eq!((value, y), (0.0, vec![]));
    }

    #[test]
    fn lanczos_handles_repeated_eigenvalues() {
        // diag(3, 2, 2, 2, 1) without e₁: the largest remaining eigenvalue is 2.
        let diagonal = [3.0, 2.0, 2.0, 2.0, 1.0];
        let apply = |x: &[f64], out: &mut [f64]| {
            for i in 0..5 {
                out[i] = diagonal[i] * x[i];
            }
        };
        let (value, _) = largest_eigenpair_orthogonal_to(apply, &[1.0, 0.0, 0.0, 0.0, 0.0]);
        assert!((value - 2.0).abs() < 1e-14, "{value}");
    }
}
