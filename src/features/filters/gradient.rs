//! PyRadiomics' `Gradient` image type (`imageoperations.getGradientImage`): SimpleITK's
//! `GradientMagnitudeImageFilter`, which SimpleITK returns as float32.
//!
//! ITK takes central differences `(f[i+1] − f[i−1]) / 2` (divided by the spacing when
//! `gradientUseSpacing` is on, PyRadiomics' default) with zero-flux Neumann edges (the edge voxel
//! repeats), sums their squares in double precision and stores the square root as float32.

use ndarray::{Array3, Zip};

/// PyRadiomics' image-type name, the prefix of its feature names (`gradient_firstorder_Mean`).
pub const GRADIENT_IMAGE_NAME: &str = "gradient";

/// The gradient magnitude of `image` (`[z, y, x]`), `spacing` in mm as (x, y, z).
pub fn gradient_magnitude(image: &Array3<f64>, spacing: [f64; 3], use_spacing: bool) -> Array3<f64> {
    let (nz, ny, nx) = image.dim();
    // ITK's `DerivativeOperator` coefficients are ±0.5, scaled by 1/spacing when asked.
    let half = |s: f64| if use_spacing { 0.5 * (1.0 / s) } else { 0.5 };
    let [cx, cy, cz] = spacing.map(half);
    let mut out = Array3::<f64>::zeros(image.raw_dim());
    Zip::indexed(&mut out).for_each(|(z, y, x), o| {
        let difference = |before: f64, after: f64, c: f64| -c * before + c * after;
        let gx = difference(
            image[[z, y, x.saturating_sub(1)]],
            image[[z, y, (x + 1).min(nx - 1)]],
            cx,
        );
        let gy = difference(
            image[[z, y.saturating_sub(1), x]],
            image[[z, (y + 1).min(ny - 1), x]],
            cy,
        );
        let gz = difference(
            image[[z.saturating_sub(1), y, x]],
            image[[(z + 1).min(nz - 1), y, x]],
            cz,
        );
        let sum = gx * gx + gy * gy + gz * gz;
        *o = f64::from(sum.sqrt() as f32);
    });
    out
}
