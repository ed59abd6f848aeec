//! PyRadiomics' `LBP2D` image type (`imageoperations.getLBP2DImage`): scikit-image's
//! `local_binary_pattern` applied to every slice normal to `force2Ddimension`, the result stored back
//! in the image's pixel type.

use ndarray::{Array2, Array3, ArrayView2, Axis};
use rayon::prelude::*;

use crate::imaging::PixelType;

/// The image name PyRadiomics gives the LBP2D image (features are `lbp-2D_<class>_<feature>`).
pub const LBP2D_IMAGE_NAME: &str = "lbp-2D";

/// `lbp2DMethod`: how the thresholded neighbours become one value (scikit-image's `method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lbp2dMethod {
    /// `default`: the neighbours' bits as a number, Σ sᵢ 2ⁱ.
    Default,
    /// `ror`: the smallest of the bit pattern's rotations (rotation invariant).
    Ror,
    /// `uniform` (PyRadiomics' default): the number of set bits when the circular pattern changes at
    /// most twice along the open chain of samples, P + 1 otherwise.
    Uniform,
    /// `var`: the biased variance of the neighbour samples (NaN when it is 0).
    Var,
}

/// LBP2D options (PyRadiomics defaults: radius 1, 8 samples, `uniform`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lbp2dOptions {
    /// `lbp2DRadius`: radius of the sampling circle in pixels.
    pub radius: f64,
    /// `lbp2DSamples`: number of samples on the circle.
    pub samples: u32,
    /// `lbp2DMethod`.
    pub method: Lbp2dMethod,
}

impl Default for Lbp2dOptions {
    fn default() -> Self {
        Lbp2dOptions {
            radius: 1.0,
            samples: 8,
            method: Lbp2dMethod::Uniform,
        }
    }
}

/// The LBP2D image of `voxels` (`[z, y, x]`), computed slice by slice in the planes normal to
/// `plane_normal` (0 = z, 1 = y, 2 = x) and stored in the image's `pixel_type`.
///
/// PyRadiomics swaps `plane_normal` with axis 0 and iterates over the new axis 0, so a slice's rows
/// and columns are the remaining axes in the swapped order: (y, x) for 0, (z, x) for 1 and (y, z)
/// for 2. It assigns each slice's float64 result back into the image's array ([`numpy_cast`]).
pub fn lbp2d_image(
    voxels: &Array3<f64>,
    options: &Lbp2dOptions,
    plane_normal: usize,
    pixel_type: PixelType,
) -> Array3<f64> {
    let offsets = sample_offsets(options);
    let mut out = Array3::zeros(voxels.raw_dim());
    out.axis_iter_mut(Axis(plane_normal))
        .into_par_iter()
        .zip(voxels.axis_iter(Axis(plane_normal)).into_par_iter())
        .for_each(|(mut target, slice)| {
            // For normal 2 the slice view is (z, y); PyRadiomics' slice is (y, z).
            let slice = if plane_normal == 2 {
                slice.reversed_axes()
            } else {
                slice
            };
            let pattern = local_binary_pattern(slice, &offsets, options.method);
            let pattern = if plane_normal == 2 {
                pattern.reversed_axes()
            } else {
                pattern
            };
            target.zip_mut_with(&pattern, |t, &v| *t = numpy_cast(v, pixel_type));
        });
    out
}

/// numpy's float64 → `pixel_type` assignment as it runs on x86-64 (a C cast): floats round to the
/// type; integers truncate toward zero through a 32-bit register (64-bit for 32-bit unsigned and
/// 64-bit types), where NaN and out-of-range values become the register's minimum, and keep the low
/// bits, so out-of-range values wrap. Only `var` produces values that are not small non-negative
/// integers.
fn numpy_cast(value: f64, pixel_type: PixelType) -> f64 {
    let via_i32 = || {
        if value.is_finite() && value > -2_147_483_649.0 && value < 2_147_483_648.0 {
            value.trunc() as i32
        } else {
            i32::MIN
        }
    };
    let via_i64 = || {
        if value.is_finite() && value.abs() < 9.223_372_036_854_776e18 {
            value.trunc() as i64
        } else {
            i64::MIN
        }
    };
    match pixel_type {
        PixelType::F64 => value,
        PixelType::F32 => f64::from(value as f32),
        PixelType::I8 => f64::from(via_i32() as i8),
        PixelType::U8 => f64::from(via_i32() as u8),
        PixelType::I16 => f64::from(via_i32() as i16),
        PixelType::U16 => f64::from(via_i32() as u16),
        PixelType::I32 => f64::from(via_i32()),
        PixelType::U32 => f64::from(via_i64() as u32),
        PixelType::I64 | PixelType::U64 => via_i64() as f64,
    }
}

/// scikit-image `_local_binary_pattern`: sample i sits at (row, column) offset
/// (−R sin(2πi/P), R cos(2πi/P)), each rounded to 5 decimals.
fn sample_offsets(options: &Lbp2dOptions) -> Vec<[f64; 2]> {
    let p = f64::from(options.samples);
    (0..options.samples)
        .map(|i| {
            let angle = 2.0 * std::f64::consts::PI * f64::from(i) / p;
            [
                round5(-options.radius * angle.sin()),
                round5(options.radius * angle.cos()),
            ]
        })
        .collect()
}

/// numpy `round(x, 5)`: scale, round half to even, unscale.
fn round5(x: f64) -> f64 {
    (x * 1e5).round_ties_even() / 1e5
}

/// Local binary pattern of one slice (Ojala et al. 2002, as scikit-image computes it): each pixel's
/// neighbours are sampled bilinearly (0 outside the slice) and thresholded at the pixel's value.
fn local_binary_pattern(slice: ArrayView2<f64>, offsets: &[[f64; 2]], method: Lbp2dMethod) -> Array2<f64> {
    let (rows, columns) = slice.dim();
    let p = offsets.len();
    let mut texture = vec![0.0; p];
    let mut bits = vec![false; p];
    Array2::from_shape_fn((rows, columns), |(r, c)| {
        let centre = slice[[r, c]];
        for (i, [dr, dc]) in offsets.iter().enumerate() {
            texture[i] = bilinear(&slice, r as f64 + dr, c as f64 + dc);
            bits[i] = texture[i] - centre >= 0.0;
        }
        match method {
            Lbp2dMethod::Var => neighbour_variance(&texture),
            Lbp2dMethod::Uniform => uniform_pattern(&bits),
            Lbp2dMethod::Default => f64::from(pattern_number(&bits)),
            Lbp2dMethod::Ror => f64::from(smallest_rotation(pattern_number(&bits), p)),
        }
    })
}

/// scikit-image `bilinear_interpolation` with mode `C` and cval 0.
fn bilinear(slice: &ArrayView2<f64>, r: f64, c: f64) -> f64 {
    let (min_r, min_c, max_r, max_c) = (r.floor(), c.floor(), r.ceil(), c.ceil());
    let (dr, dc) = (r - min_r, c - min_c);
    let pixel = |r: f64, c: f64| {
        let (rows, columns) = slice.dim();
        if r < 0.0 || c < 0.0 || r >= rows as f64 || c >= columns as f64 {
            0.0
        } else {
            slice[[r as usize, c as usize]]
        }
    };
    let top = (1.0 - dc) * pixel(min_r, min_c) + dc * pixel(min_r, max_c);
    let bottom = (1.0 - dc) * pixel(max_r, min_c) + dc * pixel(max_r, max_c);
    (1.0 - dr) * top + dr * bottom
}

/// VAR_P = (Σ gᵢ² − (Σ gᵢ)²/P) / P, NaN when 0 (scikit-image `var`).
fn neighbour_variance(texture: &[f64]) -> f64 {
    let p = texture.len() as f64;
    let (sum, squares) = texture.iter().fold((0.0, 0.0), |(s, q), &t| (s + t, q + t * t));
    let variance = (squares - sum * sum / p) / p;
    if variance != 0.0 { variance } else { f64::NAN }
}

/// LBP^riu2: set bits if the chain of samples changes at most twice, P + 1 otherwise (scikit-image
/// counts changes along the open chain, not around the circle).
fn uniform_pattern(bits: &[bool]) -> f64 {
    let changes = bits.windows(2).filter(|w| w[0] != w[1]).count();
    if changes <= 2 {
        bits.iter().filter(|&&b| b).count() as f64
    } else {
        (bits.len() + 1) as f64
    }
}

/// Σ sᵢ 2ⁱ.
fn pattern_number(bits: &[bool]) -> u32 {
    bits.iter().enumerate().fold(0u32, |n, (i, &b)| n | (u32::from(b) << i))
}

/// LBP^ri: the minimum over the P right rotations of the P-bit pattern.
fn smallest_rotation(pattern: u32, p: usize) -> u32 {
    (1..p)
        .scan(pattern, |value, _| {
            *value = (*value >> 1) | ((*value & 1) << (p - 1));
            Some(*value)
        })
        .fold(pattern, u32::min)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bright centre pixel: every neighbour is below it, so no bit is set; a dark centre sets all.
    #[test]
    fn a_peak_has_pattern_zero_and_a_pit_all_bits() {
        let mut image = Array3::from_elem((1, 3, 3), 5.0);
        image[[0, 1, 1]] = 9.0;
        let options = Lbp2dOptions {
            method: Lbp2dMethod::Default,
            ..Lbp2dOptions::default()
        };
        assert_eq!(lbp2d_image(&image, &options, 0, PixelType::F64)[[0, 1, 1]], 0.0);
        image[[0, 1, 1]] = 1.0;
        assert_eq!(lbp2d_image(&image, &options, 0, PixelType::I16)[[0, 1, 1]], 255.0);
    }

    /// What numpy gives for `a = np.zeros(4, np.uint16); a[...] = [70000.7, -3.7, 1e10, nan]` on x86-64.
    #[test]
    fn assignment_into_integer_pixels_wraps_like_numpy() {
        let stored = [70000.7, -3.7, 1e10, f64::NAN].map(|v| numpy_cast(v, PixelType::U16));
        assert_eq!(stored, [4464.0, 65533.0, 0.0, 0.0]);
        assert_eq!(numpy_cast(70000.7, PixelType::I16), 4464.0);
        assert_eq!(numpy_cast(-3.7, PixelType::I16), -3.0);
        assert_eq!(numpy_cast(70000.7, PixelType::I8), 112.0);
        assert_eq!(numpy_cast(3e9, PixelType::I32), f64::from(i32::MIN));
    }

    #[test]
    fn rotations_and_uniformity_follow_scikit_image() {
        // 0b0000_0110 rotated right until smallest: 0b0000_0011.
        assert_eq!(smallest_rotation(0b0000_0110, 8), 0b0000_0011);
        assert_eq!(uniform_pattern(&[true, true, false, false]), 2.0);
        // Changes are counted along the open chain: 1,0,1,0 changes 3 times.
        assert_eq!(uniform_pattern(&[true, false, true, false]), 5.0);
        assert!(neighbour_variance(&[2.0, 2.0]).is_nan());
        assert_eq!(neighbour_variance(&[1.0, 3.0]), 1.0);
    }
}
