//! PyRadiomics' `LoG` image type (`imageoperations.getLoGImage`): SimpleITK's
//! `LaplacianRecursiveGaussianImageFilter` with `NormalizeAcrossScale(True)` and sigma in mm.
//!
//! ITK 5.4 builds the Laplacian from Deriche's recursive (IIR) Gaussian: for each axis, the second
//! derivative along it and Gaussian smoothing along the two others, divided by the squared spacing
//! and summed. Every 1-D pass runs in double precision but ITK stores its result in a float32 image,
//! and the running sum is float32 too; radscore rounds at the same points so that it reproduces
//! SimpleITK's float32 output, not just approximates it.

use std::fmt;
use std::ops::Range;

use ndarray::{Array3, Axis, Zip};

use multiversion::multiversion;

use crate::imaging::map_lines_along;

/// A LoG `sigma` as the params file wrote it. PyRadiomics names the image after Python's
/// `str(sigma)`, so `1` gives `log-sigma-1-mm-3D` and `1.0` gives `log-sigma-1-0-mm-3D`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sigma {
    /// Written without a decimal point (a YAML integer).
    Integer(i64),
    /// Written as a YAML float.
    Float(f64),
}

impl Sigma {
    /// The width in mm.
    pub fn mm(self) -> f64 {
        match self {
            Sigma::Integer(v) => v as f64,
            Sigma::Float(v) => v,
        }
    }

    /// PyRadiomics' image-type name: `'log-sigma-%s-mm-3D' % str(sigma).replace('.', '-')`.
    pub fn image_name(self) -> String {
        let text = match self {
            Sigma::Integer(v) => v.to_string(),
            Sigma::Float(v) => python_float_str(v),
        };
        format!("log-sigma-{}-mm-3D", text.replace('.', "-"))
    }
}

/// Python's `str(float)`: shortest round-trip digits, `.0` on integral values, and exponent
/// notation (`1e-05`) below 1e-4 or from 1e16 on.
fn python_float_str(v: f64) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "nan".into()
        } else if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let magnitude = v.abs();
    if magnitude != 0.0 && !(1e-4..1e16).contains(&magnitude) {
        let text = format!("{v:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let (sign, digits) = exponent.strip_prefix('-').map_or(("+", exponent), |d| ("-", d));
        return format!("{mantissa}e{sign}{digits:0>2}");
    }
    if v.fract() == 0.0 {
        format!("{v:.1}")
    } else {
        v.to_string()
    }
}

/// One LoG image and the PyRadiomics name of its image type.
#[derive(Debug, Clone)]
pub struct LogImage {
    /// `log-sigma-<sigma>-mm-3D`.
    pub name: String,
    /// The sigma it was filtered with.
    pub sigma: Sigma,
    /// Filtered intensities (float32 values, as SimpleITK returns them), same shape as the input.
    pub image: Array3<f64>,
}

/// Why PyRadiomics yields no image for a sigma (it only logs a warning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSkipReason {
    /// The image has fewer than 4 voxels along some axis, so no sigma can run.
    ImageUnder4Voxels,
    /// `sigma` is zero or negative.
    SigmaNotPositive,
    /// Some axis has fewer than `ceil(sigma / spacing) + 1` voxels.
    ImageSmallerThanKernel,
}

impl fmt::Display for LogSkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogSkipReason::ImageUnder4Voxels => "the image has fewer than 4 voxels along some axis",
            LogSkipReason::SigmaNotPositive => "sigma must be greater than 0",
            LogSkipReason::ImageSmallerThanKernel => "some axis has fewer than ceil(sigma / spacing) + 1 voxels",
        })
    }
}

/// Every LoG image PyRadiomics yields for these sigmas, in their order, and the sigmas it skips.
#[derive(Debug, Clone)]
pub struct LogImages {
    /// The images, in the order of the sigmas that were not skipped.
    pub images: Vec<LogImage>,
    /// Each skipped sigma and why.
    pub skipped: Vec<(Sigma, LogSkipReason)>,
}

/// PyRadiomics' `getLoGImage`: one image per sigma that passes its size checks.
///
/// `image` is indexed `[z, y, x]`, `spacing` is (x, y, z) in mm.
pub fn log_images(image: &Array3<f64>, spacing: [f64; 3], sigmas: &[Sigma]) -> LogImages {
    let mut out = LogImages {
        images: Vec::new(),
        skipped: Vec::new(),
    };
    let whole: [Range<usize>; 3] = std::array::from_fn(|a| 0..image.shape()[a]);
    for &sigma in sigmas {
        match log_image(image, spacing, sigma, &whole) {
            Ok(image) => out.images.push(LogImage {
                name: sigma.image_name(),
                sigma,
                image,
            }),
            Err(reason) => out.skipped.push((sigma, reason)),
        }
    }
    out
}

/// PyRadiomics' `getLoGImage` for one sigma: its image on the `keep` box (`[z, y, x]` ranges; the
/// region's bounding box is all that features read), or why it yields none. One sigma at a time
/// keeps a single filtered image alive while the extractor computes its features.
///
/// `image` is indexed `[z, y, x]`, `spacing` is (x, y, z) in mm.
pub fn log_image(
    image: &Array3<f64>,
    spacing: [f64; 3],
    sigma: Sigma,
    keep: &[Range<usize>; 3],
) -> Result<Array3<f64>, LogSkipReason> {
    let (nz, ny, nx) = image.dim();
    let size = [nx, ny, nz];
    let mm = sigma.mm();
    // PyRadiomics tests `sigma > 0.0`, which NaN fails too.
    if size.iter().any(|&n| n < 4) {
        Err(LogSkipReason::ImageUnder4Voxels)
    } else if mm.is_nan() || mm <= 0.0 {
        Err(LogSkipReason::SigmaNotPositive)
    } else if size
        .iter()
        .zip(spacing)
        .any(|(&n, s)| (n as f64) < (mm / s).ceil() + 1.0)
    {
        Err(LogSkipReason::ImageSmallerThanKernel)
    } else {
        Ok(laplacian_of_gaussian(image, spacing, mm, keep))
    }
}

/// SimpleITK `LaplacianRecursiveGaussian(image, sigma, normalizeAcrossScale=True)`:
/// `sigma² · Σ_d ∂²(G_σ * image)/∂d²` with the derivatives in mm, on the `keep` box (`[z, y, x]`
/// ranges) of the image. Each pass filters whole lines but keeps only the box's samples along its
/// axis, so later passes filter only the lines through the box: the box's values are those of
/// filtering the whole image, bit for bit.
///
/// Needs at least 4 voxels along every axis (ITK's recursive filter does), which [`log_image`]
/// checks before calling it.
fn laplacian_of_gaussian(
    image: &Array3<f64>,
    spacing: [f64; 3],
    sigma_mm: f64,
    keep: &[Range<usize>; 3],
) -> Array3<f64> {
    // ITK's dimension d (x, y, z) is array axis 2 − d.
    let axis_of = |dim: usize| 2 - dim;
    let mut cumulative = Array3::<f32>::zeros(keep.clone().map(|r| r.len()));
    for dim in 0..3 {
        let second = DericheCoefficients::new(sigma_mm, spacing[dim], GaussianOrder::Second);
        let axis = axis_of(dim);
        let mut pass = recursive_gaussian_along(image, Axis(axis), keep[axis].clone(), &second);
        // ITK smooths the remaining dimensions in increasing order.
        for other in (0..3).filter(|&d| d != dim) {
            let zero = DericheCoefficients::new(sigma_mm, spacing[other], GaussianOrder::Zero);
            let axis = axis_of(other);
            pass = recursive_gaussian_along(&pass, Axis(axis), keep[axis].clone(), &zero);
        }
        let inverse_spacing2 = 1.0 / (spacing[dim] * spacing[dim]);
        Zip::from(&mut cumulative).and(&pass).for_each(|a, &b| {
            *a = (f64::from(*a) + f64::from(b) * inverse_spacing2) as f32;
        });
    }
    cumulative.mapv(f64::from)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GaussianOrder {
    Zero,
    Second,
}

/// Coefficients of ITK's `RecursiveGaussianImageFilter` (Deriche 1993, INRIA RR-1893, 4th order):
/// causal `N`, anti-causal `M`, recursive `D`, and the `BN`/`BM` that emulate edge extension.
#[derive(Debug, Clone, Copy)]
struct DericheCoefficients {
    n: [f64; 4],
    d: [f64; 4],
    m: [f64; 4],
    bn: [f64; 4],
    bm: [f64; 4],
}

/// ITK's exponential-series parameters of the Gaussian: (A1, B1, A2, B2) for the Gaussian itself
/// and its second derivative, and the shared W1, L1, W2, L2.
const A1_B1_A2_B2_ZERO: [f64; 4] = [1.3530, 1.8151, -0.3531, 0.0902];
const A1_B1_A2_B2_SECOND: [f64; 4] = [-1.3563, 5.2318, 0.3446, -2.2355];
const W1: f64 = 0.6681;
const L1: f64 = -1.3932;
const W2: f64 = 2.0787;
const L2: f64 = -1.3732;

impl DericheCoefficients {
    /// `RecursiveGaussianImageFilter::SetUp` with `NormalizeAcrossScale` on.
    fn new(sigma_mm: f64, spacing: f64, order: GaussianOrder) -> Self {
        let sigmad = sigma_mm / spacing.abs();
        let (d, sd, dd, ed) = d_coefficients(sigmad);
        let n = match order {
            GaussianOrder::Zero => {
                let (n, sn, _, _) = n_coefficients(sigmad, A1_B1_A2_B2_ZERO);
                let alpha0 = 2.0 * sn / sd - n[0];
                n.map(|v| v * (1.0 / alpha0))
            }
            GaussianOrder::Second => {
                let (n0, sn0, dn0, en0) = n_coefficients(sigmad, A1_B1_A2_B2_ZERO);
                let (n2, sn2, dn2, en2) = n_coefficients(sigmad, A1_B1_A2_B2_SECOND);
                let beta = -(2.0 * sn2 - sd * n2[0]) / (2.0 * sn0 - sd * n0[0]);
                let n = [0, 1, 2, 3].map(|i| n2[i] + beta * n0[i]);
                let sn = sn2 + beta * sn0;
                let dn = dn2 + beta * dn0;
                let en = en2 + beta * en0;
                let mut alpha2 = en * sd * sd - ed * sn * sd - 2.0 * dn * dd * sd + 2.0 * dd * dd * sn;
                alpha2 /= sd * sd * sd;
                let across_scale_normalization = sigma_mm * sigma_mm;
                n.map(|v| v * (across_scale_normalization / alpha2))
            }
        };
        // Both orders are symmetric kernels.
        let m = [n[1] - d[0] * n[0], n[2] - d[1] * n[0], n[3] - d[2] * n[0], -d[3] * n[0]];
        let sn = n[0] + n[1] + n[2] + n[3];
        let sm = m[0] + m[1] + m[2] + m[3];
        let sd = 1.0 + d[0] + d[1] + d[2] + d[3];
        DericheCoefficients {
            n,
            d,
            m,
            bn: d.map(|di| di * sn / sd),
            bm: d.map(|di| di * sm / sd),
        }
    }
}

/// `ComputeDCoefficients`: the recursive coefficients D1..D4 and their sums SD, DD, ED.
fn d_coefficients(sigmad: f64) -> ([f64; 4], f64, f64, f64) {
    let cos1 = (W1 / sigmad).cos();
    let cos2 = (W2 / sigmad).cos();
    let exp1 = (L1 / sigmad).exp();
    let exp2 = (L2 / sigmad).exp();
    let d4 = exp1 * exp1 * exp2 * exp2;
    let mut d3 = -2.0 * cos1 * exp1 * exp2 * exp2;
    d3 += -2.0 * cos2 * exp2 * exp1 * exp1;
    let mut d2 = 4.0 * cos2 * cos1 * exp1 * exp2;
    d2 += exp1 * exp1 + exp2 * exp2;
    let d1 = -2.0 * (exp2 * cos2 + exp1 * cos1);
    let sd = 1.0 + d1 + d2 + d3 + d4;
    let dd = d1 + 2.0 * d2 + 3.0 * d3 + 4.0 * d4;
    let ed = d1 + 4.0 * d2 + 9.0 * d3 + 16.0 * d4;
    ([d1, d2, d3, d4], sd, dd, ed)
}

/// `ComputeNCoefficients`: the causal coefficients N0..N3 and their sums SN, DN, EN.
fn n_coefficients(sigmad: f64, [a1, b1, a2, b2]: [f64; 4]) -> ([f64; 4], f64, f64, f64) {
    let sin1 = (W1 / sigmad).sin();
    let sin2 = (W2 / sigmad).sin();
    let cos1 = (W1 / sigmad).cos();
    let cos2 = (W2 / sigmad).cos();
    let exp1 = (L1 / sigmad).exp();
    let exp2 = (L2 / sigmad).exp();
    let n0 = a1 + a2;
    let mut n1 = exp2 * (b2 * sin2 - (a2 + 2.0 * a1) * cos2);
    n1 += exp1 * (b1 * sin1 - (a1 + 2.0 * a2) * cos1);
    let mut n2 = (a1 + a2) * cos2 * cos1;
    n2 -= b1 * cos2 * sin1 + b2 * cos1 * sin2;
    n2 *= 2.0 * exp1 * exp2;
    n2 += a2 * exp1 * exp1 + a1 * exp2 * exp2;
    let mut n3 = exp2 * exp1 * exp1 * (b2 * sin2 - a2 * cos2);
    n3 += exp1 * exp2 * exp2 * (b1 * sin1 - a1 * cos1);
    let sn = n0 + n1 + n2 + n3;
    let dn = n1 + 2.0 * n2 + 3.0 * n3;
    let en = n1 + 4.0 * n2 + 9.0 * n3;
    ([n0, n1, n2, n3], sn, dn, en)
}

/// One `RecursiveGaussianImageFilter` pass along `axis`, computed in f64 per line and stored as
/// f32 like ITK's float32 intermediate images. Lines are filtered in blocks (the same arithmetic
/// per voxel as line by line).
fn recursive_gaussian_along<T: Copy + Into<f64> + Sync>(
    input: &Array3<T>,
    axis: Axis,
    keep: Range<usize>,
    c: &DericheCoefficients,
) -> Array3<f32> {
    map_lines_along(
        input,
        axis,
        keep,
        |v| v as f32,
        |(causal, anticausal): &mut (Vec<f64>, Vec<f64>), data, out, w, keep| {
            causal.resize(data.len(), 0.0);
            anticausal.resize(data.len(), 0.0);
            filter_lines(data, causal, anticausal, w, keep.clone(), c);
            let kept = keep.start * w..keep.end * w;
            for ((o, s), a) in out.iter_mut().zip(&causal[kept.clone()]).zip(&anticausal[kept]) {
                *o = s + a;
            }
        },
    )
}

/// `RecursiveSeparableImageFilter::FilterDataArray` (ITK 5.4) on `w` interleaved lines (`data[i * w + k]`
/// is sample i of line k), keeping ITK's order of operations so the double-precision sums round the
/// same way: a causal and an anti-causal 4th-order recursion, each started as if the edge value
/// extended to infinity. Lines must have at least 4 samples. Only the `keep` samples are wanted: the
/// causal recursion stops after them and the anti-causal one before them (either needs only the
/// samples on its side), leaving the rest of `causal` and `anticausal` unwritten.
///
/// Also compiled for AVX, chosen at run time when the CPU has it: the loops over the block's lines
/// then use 4-wide vectors, with the same values (Rust never fuses `a * b + c`).
#[multiversion(targets("x86_64+avx"))]
fn filter_lines(
    data: &[f64],
    causal: &mut [f64],
    anticausal: &mut [f64],
    w: usize,
    keep: Range<usize>,
    c: &DericheCoefficients,
) {
    let ln = data.len() / w;
    let [n0, n1, n2, n3] = c.n;
    let [d1, d2, d3, d4] = c.d;
    let [m1, m2, m3, m4] = c.m;
    let [bn1, bn2, bn3, bn4] = c.bn;
    let [bm1, bm2, bm3, bm4] = c.bm;
    let (x, s, a) = (data, causal, anticausal);
    for k in 0..w {
        let at = |i: usize| i * w + k;
        let v1 = x[at(0)];
        s[at(0)] = v1 * n0 + v1 * n1 + v1 * n2 + v1 * n3;
        s[at(1)] = x[at(1)] * n0 + v1 * n1 + v1 * n2 + v1 * n3;
        s[at(2)] = x[at(2)] * n0 + x[at(1)] * n1 + v1 * n2 + v1 * n3;
        s[at(3)] = x[at(3)] * n0 + x[at(2)] * n1 + x[at(1)] * n2 + v1 * n3;
        s[at(0)] -= v1 * bn1 + v1 * bn2 + v1 * bn3 + v1 * bn4;
        s[at(1)] -= s[at(0)] * d1 + v1 * bn2 + v1 * bn3 + v1 * bn4;
        s[at(2)] -= s[at(1)] * d1 + s[at(0)] * d2 + v1 * bn3 + v1 * bn4;
        s[at(3)] -= s[at(2)] * d1 + s[at(1)] * d2 + s[at(0)] * d3 + v1 * bn4;
    }
    for i in 4..keep.end.max(4) {
        for k in 0..w {
            let at = |i: usize| i * w + k;
            s[at(i)] = x[at(i)] * n0 + x[at(i - 1)] * n1 + x[at(i - 2)] * n2 + x[at(i - 3)] * n3;
            s[at(i)] -= s[at(i - 1)] * d1 + s[at(i - 2)] * d2 + s[at(i - 3)] * d3 + s[at(i - 4)] * d4;
        }
    }
    for k in 0..w {
        let at = |i: usize| i * w + k;
        let v2 = x[at(ln - 1)];
        a[at(ln - 1)] = v2 * m1 + v2 * m2 + v2 * m3 + v2 * m4;
        a[at(ln - 2)] = x[at(ln - 1)] * m1 + v2 * m2 + v2 * m3 + v2 * m4;
        a[at(ln - 3)] = x[at(ln - 2)] * m1 + x[at(ln - 1)] * m2 + v2 * m3 + v2 * m4;
        a[at(ln - 4)] = x[at(ln - 3)] * m1 + x[at(ln - 2)] * m2 + x[at(ln - 1)] * m3 + v2 * m4;
        a[at(ln - 1)] -= v2 * bm1 + v2 * bm2 + v2 * bm3 + v2 * bm4;
        a[at(ln - 2)] -= a[at(ln - 1)] * d1 + v2 * bm2 + v2 * bm3 + v2 * bm4;
        a[at(ln - 3)] -= a[at(ln - 2)] * d1 + a[at(ln - 1)] * d2 + v2 * bm3 + v2 * bm4;
        a[at(ln - 4)] -= a[at(ln - 3)] * d1 + a[at(ln - 2)] * d2 + a[at(ln - 1)] * d3 + v2 * bm4;
    }
    for i in (keep.start + 1..=ln - 4).rev() {
        for k in 0..w {
            let at = |i: usize| i * w + k;
            a[at(i - 1)] = x[at(i)] * m1 + x[at(i + 1)] * m2 + x[at(i + 2)] * m3 + x[at(i + 3)] * m4;
            a[at(i - 1)] -= a[at(i)] * d1 + a[at(i + 1)] * d2 + a[at(i + 2)] * d3 + a[at(i + 3)] * d4;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Python 3.11 `str()` of each float, as PyRadiomics uses it in the image name.
    #[test]
    fn log_image_names_follow_pythons_str_of_the_sigma() {
        for (sigma, name) in [
            (Sigma::Integer(2), "log-sigma-2-mm-3D"),
            (Sigma::Float(2.0), "log-sigma-2-0-mm-3D"),
            (Sigma::Float(2.25), "log-sigma-2-25-mm-3D"),
            (Sigma::Float(1e-5), "log-sigma-1e-05-mm-3D"),
            (Sigma::Float(0.0001), "log-sigma-0-0001-mm-3D"),
            (Sigma::Float(1e15), "log-sigma-1000000000000000-0-mm-3D"),
            (Sigma::Float(1.5e16), "log-sigma-1-5e+16-mm-3D"),
        ] {
            assert_eq!(sigma.image_name(), name, "{sigma:?}");
        }
    }

    #[test]
    fn a_constant_image_has_a_zero_laplacian() {
        let image = Array3::from_elem((4, 5, 6), 123.0);
        let out = laplacian_of_gaussian(&image, [0.7, 0.8, 2.0], 1.5, &[0..4, 0..5, 0..6]);
        let worst = out.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        assert!(worst < 1e-3, "largest |LoG| of a constant image: {worst}");
    }

    #[test]
    fn the_image_on_a_box_is_that_box_of_the_whole_image_bit_for_bit() {
        let image = Array3::from_shape_fn((9, 11, 13), |(z, y, x)| {
            ((z * 131 + y * 31 + x * 7) % 17) as f64 * 3.5 - 20.0
        });
        let spacing = [0.8, 1.1, 2.5];
        let whole = laplacian_of_gaussian(&image, spacing, 2.0, &[0..9, 0..11, 0..13]);
        for keep in [[2..7, 3..10, 4..13], [0..1, 10..11, 0..13], [4..5, 5..6, 6..7]] {
            let [z, y, x] = keep.clone();
            let got = laplacian_of_gaussian(&image, spacing, 2.0, &keep);
            assert_eq!(got, whole.slice(ndarray::s![z, y, x]), "{keep:?}");
        }
    }
}
