//! PyRadiomics' `LBP3D` image type (`imageoperations.getLBP3DImage`, after Banerjee et al. 2013,
//! doi:10.1007/978-3-642-37410-4_3): rotation-invariant local binary patterns on a sphere, expressed in
//! spherical harmonics, plus the kurtosis of the sphere's samples.
//!
//! For each region voxel, the image is sampled (SciPy cubic spline, stored in the image's pixel type)
//! at the vertices of trimesh's icosphere around it, in voxel units. The samples give the kurtosis
//! image; thresholded at the voxel's value they give a binary function f on the sphere, projected on
//! the spherical harmonics of each degree n < `lbp3DLevels`: c_{m,n} = Σ_v f(v) Y_n^m(v) and
//! f_n(v) = Σ_m c_{m,n} Y_n^m(v). The level-n image holds Re √(Σ_v f_n(v)²), computed in complex
//! arithmetic without conjugates exactly as PyRadiomics does. PyRadiomics passes its polar angle as
//! SciPy's azimuth and its azimuth as the polar angle; that is reproduced too. Voxels outside the
//! region are 0 (PyRadiomics leaves them uninitialised; no feature reads them). Sums run in plain
//! order where numpy sums pairwise: that changes results by rounding only.

use std::ops::Range;

use ndarray::Array3;
use rayon::prelude::*;

use super::ndimage_spline::CubicCoefficients;
use crate::imaging::OutputCast;

/// LBP3D options (PyRadiomics defaults: 2 levels, radius 1, 1 subdivision).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lbp3dOptions {
    /// `lbp3DLevels`: spherical-harmonic degrees 0..levels, one image each.
    pub levels: u32,
    /// `lbp3DIcosphereRadius`: sampling radius in voxels.
    pub icosphere_radius: f64,
    /// `lbp3DIcosphereSubdivision`: icosphere subdivisions (12, 42, 162, … vertices).
    pub icosphere_subdivision: u32,
}

impl Default for Lbp3dOptions {
    fn default() -> Self {
        Lbp3dOptions {
            levels: 2,
            icosphere_radius: 1.0,
            icosphere_subdivision: 1,
        }
    }
}

/// The LBP3D images of `voxels` in `region`, on the `bounds` box (`[z, y, x]` ranges holding the
/// region; 0 at the box's voxels outside it), named as PyRadiomics names them: `lbp-3D-m1` …
/// `lbp-3D-m{levels}`, then `lbp-3D-k` (kurtosis). `cast` is how the image's pixel type stores a
/// sampled value (SciPy writes `map_coordinates`' output in the input's dtype).
pub fn lbp3d_images(
    voxels: &Array3<f64>,
    region: &Array3<bool>,
    bounds: &[Range<usize>; 3],
    options: &Lbp3dOptions,
    cast: OutputCast,
) -> Vec<(String, Array3<f64>)> {
    let vertices = icosphere(options.icosphere_subdivision, options.icosphere_radius);
    let harmonics = SphericalHarmonics::at(&vertices, options.icosphere_radius, options.levels);
    let spline = CubicCoefficients::new(voxels);
    // numpy.where order: C order over (z, y, x).
    let points: Vec<[usize; 3]> = region
        .indexed_iter()
        .filter(|(_, inside)| **inside)
        .map(|((z, y, x), _)| [z, y, x])
        .collect();
    let descriptors: Vec<Descriptor> = points
        .par_iter()
        .map(|&[z, y, x]| {
            // PyRadiomics adds vertex (x, y, z) components to index (z, y, x) as they come.
            let samples: Vec<f64> = vertices
                .iter()
                .map(|v| {
                    stored_sample(
                        cast,
                        spline.evaluate([z as f64 + v[0], y as f64 + v[1], x as f64 + v[2]]),
                    )
                })
                .collect();
            let centre = voxels[[z, y, x]];
            let above: Vec<bool> = samples.iter().map(|&s| s >= centre).collect();
            Descriptor {
                levels: harmonics.level_magnitudes(&above),
                kurtosis: kurtosis(&samples),
            }
        })
        .collect();
    let [bz, by, bx] = bounds.clone();
    let image_of = |value: &dyn Fn(&Descriptor) -> f64| {
        let mut image = Array3::zeros((bz.len(), by.len(), bx.len()));
        for (&[z, y, x], descriptor) in points.iter().zip(&descriptors) {
            image[[z - bz.start, y - by.start, x - bx.start]] = value(descriptor);
        }
        image
    };
    let mut images: Vec<(String, Array3<f64>)> = (0..options.levels as usize)
        .map(|level| (format!("lbp-3D-m{}", level + 1), image_of(&|d| d.levels[level])))
        .collect();
    images.push(("lbp-3D-k".to_owned(), image_of(&|d| d.kurtosis)));
    images
}

/// One region voxel's LBP3D values.
struct Descriptor {
    /// Re √(Σ_v f_n(v)²) for each degree n.
    levels: Vec<f64>,
    /// Kurtosis of the sphere's samples.
    kurtosis: f64,
}

/// How `map_coordinates` stores a value in the input's dtype (ni_interpolation.c `CASE_INTERP_OUT_*`):
/// integers round half away from zero and are clamped, float32 rounds.
fn stored_sample(cast: OutputCast, value: f64) -> f64 {
    match cast {
        OutputCast::Integer { min, max } => value.round().clamp(min, max),
        other => other.apply(value),
    }
}

/// trimesh `creation.icosphere(subdivisions, radius)` vertices, bit for bit: trimesh's icosahedron,
/// each subdivision appending one midpoint per unique edge (edges ordered by (larger, smaller) vertex
/// index, as trimesh's row hashing sorts them) and pushing every vertex onto the sphere as
/// v + u·(r − |v|), u = v/|v|.
pub fn icosphere(subdivisions: u32, radius: f64) -> Vec<[f64; 3]> {
    let (mut vertices, mut faces) = icosahedron();
    for _ in 0..subdivisions {
        (vertices, faces) = subdivide(vertices, &faces);
        project_to_sphere(&mut vertices, radius);
    }
    if subdivisions == 0 {
        project_to_sphere(&mut vertices, radius);
    }
    vertices
}

/// trimesh's stored icosahedron: unit-radius vertices (±1, ±t, 0)/√(2 + t) and cyclic permutations,
/// t the golden ratio, and its 20 faces.
fn icosahedron() -> (Vec<[f64; 3]>, Vec<[usize; 3]>) {
    const A: f64 = 0.525_731_112_119_133_6;
    const B: f64 = 0.850_650_808_352_04;
    let vertices = vec![
        [-A, B, 0.0],
        [A, B, 0.0],
        [-A, -B, 0.0],
        [A, -B, 0.0],
        [0.0, -A, B],
        [0.0, A, B],
        [0.0, -A, -B],
        [0.0, A, -B],
        [B, 0.0, -A],
        [B, 0.0, A],
        [-B, 0.0, -A],
        [-B, 0.0, A],
    ];
    let faces = vec![
        [0, 11, 5],
        [0, 5, 1],
        [0, 1, 7],
        [0, 7, 10],
        [0, 10, 11],
        [1, 5, 9],
        [5, 11, 4],
        [11, 10, 2],
        [10, 7, 6],
        [7, 1, 8],
        [3, 9, 4],
        [3, 4, 2],
        [3, 2, 6],
        [3, 6, 8],
        [3, 8, 9],
        [4, 9, 5],
        [2, 4, 11],
        [6, 2, 10],
        [8, 6, 7],
        [9, 8, 1],
    ];
    (vertices, faces)
}

/// trimesh `remesh.subdivide`: every face becomes four, new vertices at edge midpoints.
fn subdivide(mut vertices: Vec<[f64; 3]>, faces: &[[usize; 3]]) -> (Vec<[f64; 3]>, Vec<[usize; 3]>) {
    let sorted_edge = |a: usize, b: usize| if a < b { [a, b] } else { [b, a] };
    let face_edges: Vec<[[usize; 2]; 3]> = faces
        .iter()
        .map(|&[a, b, c]| [sorted_edge(a, b), sorted_edge(b, c), sorted_edge(c, a)])
        .collect();
    let mut unique: Vec<[usize; 2]> = face_edges.iter().flatten().copied().collect();
    unique.sort_by_key(|&[small, large]| (large, small));
    unique.dedup();
    let first_new = vertices.len();
    for &[a, b] in &unique {
        let (p, q) = (vertices[a], vertices[b]);
        vertices.push(std::array::from_fn(|k| (p[k] + q[k]) / 2.0));
    }
    let midpoint = |edge: &[usize; 2]| {
        let position = unique.binary_search_by_key(&(edge[1], edge[0]), |e| (e[1], e[0]));
        first_new + position.expect("every face edge is among the unique edges")
    };
    let new_faces = faces
        .iter()
        .zip(&face_edges)
        .flat_map(|(&[a, b, c], edges)| {
            let [ab, bc, ca] = edges.each_ref().map(midpoint);
            [[a, ab, ca], [ab, b, bc], [ca, bc, c], [ab, bc, ca]]
        })
        .collect();
    (vertices, new_faces)
}

/// v ← v + (v/|v|)(r − |v|), |v| = √(x² + y² + z²) (trimesh's arithmetic, not a plain rescale).
fn project_to_sphere(vertices: &mut [[f64; 3]], radius: f64) {
    for v in vertices {
        let norm = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        let unit = v.map(|c| c / norm);
        let gap = radius - norm;
        *v = std::array::from_fn(|k| v[k] + unit[k] * gap);
    }
}

/// A complex number with numpy's arithmetic (no fused operations).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Complex {
    re: f64,
    im: f64,
}

impl Complex {
    const ZERO: Complex = Complex { re: 0.0, im: 0.0 };

    fn add(self, other: Complex) -> Complex {
        Complex {
            re: self.re + other.re,
            im: self.im + other.im,
        }
    }

    fn mul(self, other: Complex) -> Complex {
        Complex {
            re: self.re * other.re - self.im * other.im,
            im: self.re * other.im + self.im * other.re,
        }
    }

    /// Real part of the principal square root (C99 `csqrt`, as numpy uses).
    fn sqrt_re(self) -> f64 {
        let modulus = self.re.hypot(self.im);
        if self.re > 0.0 {
            (0.5 * (modulus + self.re)).sqrt()
        } else {
            let s = (0.5 * (modulus - self.re)).sqrt();
            if s == 0.0 { 0.0 } else { (0.5 * (self.im / s)).abs() }
        }
    }
}

/// Y_n^m at every icosphere vertex, columns in PyRadiomics' order (n = 0; then n = 1, m = −1..1; …).
struct SphericalHarmonics {
    /// `values[v][j]`.
    values: Vec<Vec<Complex>>,
    /// Degree n of column j.
    degrees: Vec<u32>,
    levels: u32,
}

impl SphericalHarmonics {
    /// PyRadiomics: θ = arccos(z / r), φ = atan2(y, x), then SciPy's old `sph_harm(m, n, θ, φ)`, which
    /// takes its third argument as the azimuth and its fourth as the polar angle.
    fn at(vertices: &[[f64; 3]], radius: f64, levels: u32) -> SphericalHarmonics {
        let orders: Vec<(u32, i32)> = (0..levels)
            .flat_map(|n| (-(n as i32)..=n as i32).map(move |m| (n, m)))
            .collect();
        let values = vertices
            .iter()
            .map(|v| {
                let theta = (v[2] / radius).acos();
                let phi = v[1].atan2(v[0]);
                orders.iter().map(|&(n, m)| legacy_sph_harm(m, n, theta, phi)).collect()
            })
            .collect();
        SphericalHarmonics {
            values,
            degrees: orders.iter().map(|&(n, _)| n).collect(),
            levels,
        }
    }

    /// Re √(Σ_v f_n(v)²) for each degree n, with f_n(v) = Σ_m c_{m,n} Y_n^m(v) and
    /// c_{m,n} = Σ_v above(v) Y_n^m(v) (summed over vertices in order, as numpy reduces that axis).
    fn level_magnitudes(&self, above: &[bool]) -> Vec<f64> {
        let columns = self.degrees.len();
        let mut c = vec![Complex::ZERO; columns];
        for (row, &inside) in self.values.iter().zip(above) {
            let f = Complex {
                re: f64::from(u8::from(inside)),
                im: 0.0,
            };
            for (cj, &y) in c.iter_mut().zip(row) {
                *cj = cj.add(f.mul(y));
            }
        }
        (0..self.levels)
            .map(|n| {
                let js: Vec<usize> = (0..columns).filter(|&j| self.degrees[j] == n).collect();
                let squares = self.values.iter().fold(Complex::ZERO, |sum, row| {
                    let projection = js.iter().fold(Complex::ZERO, |p, &j| p.add(c[j].mul(row[j])));
                    sum.add(projection.mul(projection))
                });
                squares.sqrt_re()
            })
            .collect()
    }
}

/// SciPy < 1.15 `sph_harm(m, n, theta, phi)` (sph_harmonic.pxd): theta the azimuth, phi the polar angle;
/// √((2n+1)/4π · (n−m)!/(n+m)!) P_n^m(cos φ) e^{imθ}, P with the Condon–Shortley phase and
/// P_n^{−m} = (−1)^m (n−m)!/(n+m)! P_n^m.
fn legacy_sph_harm(m: i32, n: u32, theta: f64, phi: f64) -> Complex {
    let order = m.unsigned_abs();
    let mut value = associated_legendre(order, n, phi.cos());
    if m < 0 {
        let sign = if order.is_multiple_of(2) { 1.0 } else { -1.0 };
        value *= sign * factorial_ratio(n - order, n + order);
    }
    value *= (f64::from(2 * n + 1) / 4.0 / std::f64::consts::PI).sqrt();
    // poch(n + m + 1, −2m) = (n − m)! / (n + m)!
    let normalisation = if m < 0 {
        factorial_ratio(n + order, n - order)
    } else {
        factorial_ratio(n - order, n + order)
    };
    value *= normalisation.sqrt();
    let angle = f64::from(m) * theta;
    Complex {
        re: value * angle.cos(),
        im: value * angle.sin(),
    }
}

/// a! / b!.
fn factorial_ratio(a: u32, b: u32) -> f64 {
    if a >= b {
        (b + 1..=a).map(f64::from).product()
    } else {
        1.0 / (a + 1..=b).map(f64::from).product::<f64>()
    }
}

/// P_n^m(x) with the Condon–Shortley phase (scipy `lpmv`): P_m^m = (−1)^m (2m−1)!! (1−x²)^{m/2}, then
/// the upward recurrence (l − m) P_l^m = (2l − 1) x P_{l−1}^m − (l + m − 1) P_{l−2}^m.
fn associated_legendre(m: u32, n: u32, x: f64) -> f64 {
    if m > n {
        return 0.0;
    }
    let s = (1.0 - x * x).max(0.0).sqrt();
    let mut p_mm = 1.0;
    for k in 1..=m {
        p_mm *= -f64::from(2 * k - 1) * s;
    }
    if n == m {
        return p_mm;
    }
    let mut previous = p_mm;
    let mut current = x * f64::from(2 * m + 1) * p_mm;
    for l in m + 2..=n {
        let next = (f64::from(2 * l - 1) * x * current - f64::from(l + m - 1) * previous) / f64::from(l - m);
        previous = current;
        current = next;
    }
    current
}

/// `scipy.stats.kurtosis(a)` (Fisher, biased): m₄ / m₂² − 3 with central moments over n, NaN when
/// m₂ ≤ (ε·mean)² (all samples equal up to rounding).
fn kurtosis(samples: &[f64]) -> f64 {
    let n = samples.len() as f64;
    let mean = samples.iter().sum::<f64>() / n;
    let squares = samples.iter().map(|&s| (s - mean) * (s - mean));
    let m2 = squares.clone().sum::<f64>() / n;
    let m4 = squares.map(|q| q * q).sum::<f64>() / n;
    let threshold = f64::EPSILON * mean;
    if m2 <= threshold * threshold {
        f64::NAN
    } else {
        m4 / (m2 * m2) - 3.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_icosphere_has_the_expected_vertex_counts_on_the_sphere() {
        for (subdivisions, count) in [(0, 12), (1, 42), (2, 162)] {
            let vertices = icosphere(subdivisions, 2.0);
            assert_eq!(vertices.len(), count);
            for v in vertices {
                let r = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
                assert!((r - 2.0).abs() < 1e-12, "{v:?}");
            }
        }
    }

    /// Y_1^1 = −½√(3/2π) sin φ e^{iθ}; Y_2^0 = ¼√(5/π)(3cos²φ − 1); Y_n^{−m} = (−1)^m conj(Y_n^m).
    #[test]
    fn legacy_spherical_harmonics_follow_the_closed_forms() {
        let (theta, phi) = (0.7, 1.1);
        let y11 = legacy_sph_harm(1, 1, theta, phi);
        let magnitude = -0.5 * (3.0 / (2.0 * std::f64::consts::PI)).sqrt() * phi.sin();
        assert!((y11.re - magnitude * theta.cos()).abs() < 1e-15);
        assert!((y11.im - magnitude * theta.sin()).abs() < 1e-15);
        let y1m1 = legacy_sph_harm(-1, 1, theta, phi);
        assert!((y1m1.re + y11.re).abs() < 1e-15 && (y1m1.im - y11.im).abs() < 1e-15);
        let y20 = legacy_sph_harm(0, 2, theta, phi);
        let want = 0.25 * (5.0 / std::f64::consts::PI).sqrt() * (3.0 * phi.cos().powi(2) - 1.0);
        assert!((y20.re - want).abs() < 1e-15 && y20.im == 0.0);
    }

    #[test]
    fn kurtosis_of_two_values_is_minus_two_and_of_a_constant_nan() {
        assert!((kurtosis(&[1.0, 3.0, 1.0, 3.0]) + 2.0).abs() < 1e-15);
        assert!(kurtosis(&[4.0; 42]).is_nan());
    }
}
