//! The fits against frozen scikit-learn 1.9 results (tests/fixtures/model/logistic_sklearn.json,
//! written by scripts/reference/model_fixtures.py).

use ndarray::Array2;
use serde::Deserialize;

use super::lasso::{fit_lasso_path, lambda_max};
use super::logistic::fit_logistic;

#[derive(Deserialize)]
struct Fixture {
    x: Vec<Vec<f64>>,
    y: Vec<u8>,
    lambda_max: f64,
    unpenalised: Unpenalised,
    l1: Vec<L1>,
}

#[derive(Deserialize)]
struct Unpenalised {
    intercept: f64,
    coefficients: Vec<f64>,
    std_errors: Vec<f64>,
}

#[derive(Deserialize)]
struct L1 {
    lambda: f64,
    intercept: f64,
    coefficients: Vec<f64>,
}

fn fixture() -> (Fixture, Array2<f64>, Vec<bool>, Vec<String>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/model/logistic_sklearn.json"
    );
    let f: Fixture = serde_json::from_slice(&std::fs::read(path).expect("fixture present")).unwrap();
    let (n, p) = (f.x.len(), f.x[0].len());
    let x = Array2::from_shape_vec((n, p), f.x.concat()).unwrap();
    let y = f.y.iter().map(|&v| v == 1).collect();
    let names = (0..p).map(|j| format!("x{j}")).collect();
    (f, x, y, names)
}

fn assert_close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want}, diff {:e}",
        (got - want).abs()
    );
}

#[test]
fn logistic_matches_sklearn_unpenalised_coefficients_and_numpy_standard_errors() {
    // Both sides are Newton solvers run to convergence (ours: relative step < 1e-11; sklearn
    // newton-cholesky, tol 1e-14), so they agree to rounding; 1e-10 is a margin over that.
    let (f, x, y, names) = fixture();
    let fit = fit_logistic(x.view(), &y, &names).unwrap();
    assert_close("intercept", fit.intercept.estimate, f.unpenalised.intercept, 1e-10);
    assert_close(
        "intercept se",
        fit.intercept.std_error,
        f.unpenalised.std_errors[0],
        1e-10,
    );
    for (j, c) in fit.coefficients.iter().enumerate() {
        assert_close(&c.name, c.estimate, f.unpenalised.coefficients[j], 1e-10);
        assert_close(
            &format!("{} se", c.name),
            c.std_error,
            f.unpenalised.std_errors[j + 1],
            1e-10,
        );
    }
}

#[test]
fn lasso_matches_sklearn_saga_at_every_reference_lambda() {
    // saga stops when the largest coefficient change per epoch is below tol·max|β| (tol 1e-13), so
    // its iterate is within ~1e-9 of the optimum; 1e-7 absolute allows that plus our own 1e-10
    // relative stopping rule. A coefficient saga sets exactly to zero must be exactly zero here.
    let (f, x, y, names) = fixture();
    assert_close("lambda_max", lambda_max(x.view(), &y), f.lambda_max, 1e-14);
    let lambdas: Vec<f64> = f.l1.iter().map(|l| l.lambda).collect();
    let path = fit_lasso_path(x.view(), &y, &names, &lambdas).unwrap();
    for (k, reference) in f.l1.iter().enumerate() {
        let at = format!("λ={:.5}", reference.lambda);
        assert_close(
            &format!("{at} intercept"),
            path.intercepts[k],
            reference.intercept,
            1e-7,
        );
        for (j, (&got, &want)) in path.coefficients[k].iter().zip(&reference.coefficients).enumerate() {
            assert_close(&format!("{at} x{j}"), got, want, 1e-7);
            assert_eq!(
                got == 0.0,
                want == 0.0,
                "{at} x{j}: zero pattern differs (got {got}, want {want})"
            );
        }
    }
}
