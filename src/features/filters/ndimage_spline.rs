//! SciPy's cubic-spline interpolation, `scipy.ndimage.map_coordinates(input, coordinates, order=3)`
//! with its default `mode='constant'`, `cval=0` (ni_splines.c, ni_interpolation.c), which PyRadiomics'
//! LBP3D samples the image with.
//!
//! Not ITK's B-spline of the resampler (src/imaging/resample.rs): SciPy's prefilter starts its
//! recursions with mirror boundaries, and a point is 0 as soon as one coordinate leaves [0, n − 1].

use ndarray::{Array3, Axis};

/// The cubic B-spline's filter pole, √3 − 2 (ni_splines.c `get_filter_poles`).
const POLE: f64 = -0.267_949_192_431_122_7;

/// An image's cubic B-spline coefficients along all three axes (`scipy.ndimage.spline_filter`).
#[derive(Debug)]
pub struct CubicCoefficients {
    coefficients: Array3<f64>,
}

impl CubicCoefficients {
    /// Prefilters `image` along axis 0, then 1, then 2, as `spline_filter` does (float64 output).
    pub fn new(image: &Array3<f64>) -> CubicCoefficients {
        let mut coefficients = image.clone();
        for axis in 0..3 {
            for mut lane in coefficients.lanes_mut(Axis(axis)) {
                let mut line = lane.to_vec();
                filter_line(&mut line);
                lane.iter_mut().zip(line).for_each(|(c, v)| *c = v);
            }
        }
        CubicCoefficients { coefficients }
    }

    /// The spline's value at continuous index `point` (`[z, y, x]`); 0 when any coordinate lies outside
    /// `[0, n − 1]` (`map_coordinate` with `NI_EXTEND_CONSTANT`). Neighbours beyond the edges are mirrored.
    pub fn evaluate(&self, point: [f64; 3]) -> f64 {
        let shape = self.coefficients.shape();
        let mut indices = [[0usize; 4]; 3];
        let mut weights = [[0.0; 4]; 3];
        for axis in 0..3 {
            let x = point[axis];
            let n = shape[axis];
            if x < 0.0 || x > (n - 1) as f64 {
                return 0.0;
            }
            let start = x.floor() as i64 - 1;
            for (k, index) in indices[axis].iter_mut().enumerate() {
                *index = mirror(start + k as i64, n);
            }
            weights[axis] = cubic_weights(x);
        }
        let mut total = 0.0;
        for (&i, &wi) in indices[0].iter().zip(&weights[0]) {
            for (&j, &wj) in indices[1].iter().zip(&weights[1]) {
                for (&k, &wk) in indices[2].iter().zip(&weights[2]) {
                    // ni_interpolation.c multiplies the coefficient by each axis' weight in turn.
                    total += self.coefficients[[i, j, k]] * wi * wj * wk;
                }
            }
        }
        total
    }
}

/// ni_splines.c `apply_filter` for one pole with mirror initialisation: gain (1 − z)(1 − 1/z), a causal
/// and an anticausal recursion. Lines of length 1 are left alone.
fn filter_line(c: &mut [f64]) {
    let n = c.len();
    if n < 2 {
        return;
    }
    let z = POLE;
    let gain = (1.0 - z) * (1.0 - 1.0 / z);
    c.iter_mut().for_each(|v| *v *= gain);
    // _init_causal_mirror
    let z_n_1 = z.powi(n as i32 - 1);
    let mut first = c[0] + z_n_1 * c[n - 1];
    let mut z_i = z;
    for i in 1..n - 1 {
        first += z_i * (c[i] + z_n_1 * c[n - 1 - i]);
        z_i *= z;
    }
    c[0] = first / (1.0 - z_n_1 * z_n_1);
    for i in 1..n {
        c[i] += z * c[i - 1];
    }
    // _init_anticausal_mirror
    c[n - 1] = (z * c[n - 2] + c[n - 1]) * z / (z * z - 1.0);
    for i in (0..n - 1).rev() {
        c[i] = z * (c[i + 1] - c[i]);
    }
}

/// ni_splines.c `get_spline_interpolation_weights` for order 3 (the last weight is 1 minus the others).
fn cubic_weights(x: f64) -> [f64; 4] {
    let y = x - x.floor();
    let z = 1.0 - y;
    let w1 = (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0;
    let w2 = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0;
    let w0 = z * z * z / 6.0;
    let mut w3 = 1.0;
    for w in [w0, w1, w2] {
        w3 -= w;
    }
    [w0, w1, w2, w3]
}

/// ni_interpolation.c's mirror of an index outside `0..n` (period 2n − 2).
fn mirror(index: i64, n: usize) -> usize {
    let n = n as i64;
    if n <= 1 {
        return 0;
    }
    let period = 2 * n - 2;
    let mut i = index;
    if i < 0 {
        i += period * (-i / period);
        i = if i <= 1 - n { i + period } else { -i };
    } else if i >= n {
        i -= period * (i / period);
        if i >= n {
            i = period - i;
        }
    }
    i as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prefilter makes the spline interpolate: at grid points it returns the samples.
    #[test]
    fn the_spline_reproduces_the_samples_at_grid_points_and_is_zero_outside() {
        let image = Array3::from_shape_fn((3, 4, 5), |(z, y, x)| ((z * 7 + y * 3 + x * x) % 11) as f64);
        let spline = CubicCoefficients::new(&image);
        for ((z, y, x), &v) in image.indexed_iter() {
            let got = spline.evaluate([z as f64, y as f64, x as f64]);
            assert!((got - v).abs() < 1e-12, "({z}, {y}, {x}): {got} vs {v}");
        }
        assert_eq!(spline.evaluate([-0.01, 1.0, 1.0]), 0.0);
        assert_eq!(spline.evaluate([1.0, 3.01, 1.0]), 0.0);
    }

    #[test]
    fn indices_mirror_about_the_edge_samples() {
        assert_eq!([-2, -1, 0, 4, 5, 6].map(|i| mirror(i, 5)), [2, 1, 0, 4, 3, 2]);
        assert_eq!(mirror(-1, 1), 0);
    }
}
