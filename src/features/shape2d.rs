//! PyRadiomics' `shape2D` class: 9 size and shape descriptors of a single-slice region, used with `force2D`.
//!
//! Reproduces `radiomics/shape2D.py` and `cshape.c` `calculate_coefficients2D` (PyRadiomics 3.1): the slice is
//! taken normal to `force2Ddimension`, padded with one empty pixel on each side, and outlined by marching
//! squares with PyRadiomics' line table, vertices at the midpoints of edges between an inside and an
//! outside pixel. Like PyRadiomics, the class needs `force2D` and a region one slice thick along
//! `force2Ddimension`; only the in-plane spacing enters, never origin or direction. Like `shape`, it is
//! computed on the original image only and reported as `original_shape2D_*`.

use ndarray::{Array2, Array3, Axis, s};

use super::shape::{
    axis_length, covariance_eigenvalues, eigenvalue_ratio, maximum_diameters, sort_rounding_noise_to_zero,
};
use super::{ClassFeatures, Roi, Settings};

/// Why `shape2D` cannot be computed for a region (PyRadiomics raises `ValueError` in the same cases).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Shape2dError {
    /// `force2D` is off: shape2D of a 3-D volume is only defined slice-wise.
    #[error("shape2D needs `force2D: true` for a 3-D image")]
    NotForced2d,
    /// `force2Ddimension` is not 0, 1 or 2.
    #[error("`force2Ddimension` must be 0, 1 or 2, got {0}")]
    InvalidDimension(usize),
    /// The region spans more than one slice along `force2Ddimension`.
    #[error(
        "shape2D needs a region one slice thick along `force2Ddimension` {dimension}, but it spans {slices} slices"
    )]
    ThickRegion {
        /// `force2Ddimension`.
        dimension: usize,
        /// Extent of the region's bounding box along that axis.
        slices: usize,
    },
}

/// Computes PyRadiomics' 9 non-deprecated `shape2D` features, in PyRadiomics' (alphabetical) order.
///
/// One pixel gives zero axis lengths and NaN `Elongation` (0/0), as in PyRadiomics.
pub fn compute(roi: &Roi, settings: &Settings) -> Result<ClassFeatures, Shape2dError> {
    if !settings.force_2d {
        return Err(Shape2dError::NotForced2d);
    }
    let dimension = settings.force_2d_dimension;
    if dimension > 2 {
        return Err(Shape2dError::InvalidDimension(dimension));
    }
    let slices = roi.mask.len_of(Axis(dimension));
    if slices > 1 {
        return Err(Shape2dError::ThickRegion { dimension, slices });
    }
    let [x, y, z] = roi.spacing;
    let zyx = [z, y, x];
    let in_plane: Vec<usize> = (0..3).filter(|&d| d != dimension).collect();
    let spacing = [zyx[in_plane[0]], zyx[in_plane[1]]];

    let plane = roi.mask.index_axis(Axis(dimension), 0);
    let (rows, columns) = plane.dim();
    let mut padded = Array2::from_elem((rows + 2, columns + 2), false);
    padded.slice_mut(s![1..=rows, 1..=columns]).assign(&plane);

    let outline = outline_measures(&padded, spacing);
    let diameter = maximum_diameter(padded, spacing);
    let pixel_count = plane.iter().filter(|&&m| m).count();

    let eigenvalues = covariance_eigenvalues(&roi.mask, zyx);
    let mut in_plane_eigenvalues = [eigenvalues[in_plane[0]], eigenvalues[in_plane[1]]];
    sort_rounding_noise_to_zero(&mut in_plane_eigenvalues);
    let [minor, major] = in_plane_eigenvalues;

    Ok(vec![
        ("Elongation", eigenvalue_ratio(minor, major)),
        ("MajorAxisLength", axis_length(major)),
        ("MaximumDiameter", diameter),
        ("MeshSurface", outline.surface),
        ("MinorAxisLength", axis_length(minor)),
        ("Perimeter", outline.perimeter),
        (
            "PerimeterSurfaceRatio",
            perimeter_surface_ratio(outline.perimeter, outline.surface),
        ),
        ("PixelSurface", pixel_surface(pixel_count, spacing)),
        ("Sphericity", sphericity(outline.surface, outline.perimeter)),
    ])
}

/// Mesh surface and perimeter of the marching-squares outline.
struct OutlineMeasures {
    surface: f64,
    perimeter: f64,
}

/// The 4 corners of a marching square as `[row, column]` offsets (`cshape.c` `gridAngles2D`).
const SQUARE_CORNERS: [[usize; 2]; 4] = [[0, 0], [0, 1], [1, 1], [1, 0]];

/// Midpoint of each square edge as `[row, column]` offsets (`cshape.c` `vertList2D`).
const EDGE_MIDPOINTS: [[f64; 2]; 4] = [[0.0, 0.5], [0.5, 1.0], [1.0, 0.5], [0.5, 0.0]];

/// Outline segments (pairs of edge numbers) of each square configuration, oriented so that the signed
/// areas they span with the origin sum to the enclosed area (`cshape.c` `lineTable2D`).
#[rustfmt::skip]
const SEGMENTS: [&[[u8; 2]]; 16] = [
    &[], &[[3, 0]], &[[0, 1]], &[[3, 1]], &[[1, 2]], &[[1, 2], [3, 0]], &[[0, 2]], &[[3, 2]],
    &[[2, 3]], &[[2, 0]], &[[0, 1], [2, 3]], &[[2, 1]], &[[1, 3]], &[[1, 0]], &[[0, 3]], &[],
];

/// Sums signed triangle areas (origin, a, b) and segment lengths over the outline.
///
/// MeshSurface: A = Σ ½ (Oa × Ob) over segments (a, b) (PyRadiomics docs). Perimeter: P = Σ |a − b|
/// (PyRadiomics docs; IBSI 3.1.3 in 2-D).
fn outline_measures(padded: &Array2<bool>, spacing: [f64; 2]) -> OutlineMeasures {
    let (rows, columns) = padded.dim();
    let mut twice_surface = 0.0;
    let mut perimeter = 0.0;
    for iy in 0..rows - 1 {
        for ix in 0..columns - 1 {
            let square = SQUARE_CORNERS
                .iter()
                .enumerate()
                .fold(0usize, |square, (bit, [dy, dx])| {
                    square | (usize::from(padded[[iy + dy, ix + dx]]) << bit)
                });
            let origin = [iy as f64, ix as f64];
            for segment in SEGMENTS[square] {
                let [a, b] = segment.map(|edge| {
                    let mid = EDGE_MIDPOINTS[usize::from(edge)];
                    [0, 1].map(|d| (origin[d] + mid[d]) * spacing[d])
                });
                twice_surface += a[0] * b[1] - b[0] * a[1];
                perimeter += ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
            }
        }
    }
    OutlineMeasures {
        surface: twice_surface / 2.0,
        perimeter,
    }
}

/// MaximumDiameter: the largest distance between outline vertices (PyRadiomics docs), found with the 3-D
/// class' exact pruned search on the plane seen as a one-slice volume.
fn maximum_diameter(padded: Array2<bool>, [row, column]: [f64; 2]) -> f64 {
    let slab: Array3<bool> = padded.insert_axis(Axis(0));
    maximum_diameters(&slab, [0.0, row, column]).slice
}

/// PixelSurface: N_p · ΔxΔy, pixels times the area of one pixel (PyRadiomics docs).
fn pixel_surface(pixel_count: usize, [y, x]: [f64; 2]) -> f64 {
    pixel_count as f64 * (x * y)
}

/// PerimeterSurfaceRatio: P / A (PyRadiomics docs).
fn perimeter_surface_ratio(perimeter: f64, surface: f64) -> f64 {
    perimeter / surface
}

/// Sphericity: 2√(πA) / P, 1 for a circle (PyRadiomics docs).
fn sphericity(surface: f64, perimeter: f64) -> f64 {
    2.0 * (std::f64::consts::PI * surface).sqrt() / perimeter
}

#[cfg(test)]
mod tests {
    use std::f64::consts::PI;

    use ndarray::Array3;

    use super::*;

    fn forced(dimension: usize) -> Settings {
        Settings {
            force_2d: true,
            force_2d_dimension: dimension,
            ..Settings::default()
        }
    }

    fn features_of(mask: Array3<bool>, spacing: [f64; 3], settings: &Settings) -> ClassFeatures {
        let image = mask.mapv(f64::from);
        let roi = Roi::new(&image, &mask, spacing, settings).expect("non-empty mask");
        compute(&roi, settings).expect("a single-slice region")
    }

    fn assert_features(got: &ClassFeatures, want: &[(&str, f64)]) {
        let names: Vec<&str> = got.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, want.iter().map(|(n, _)| *n).collect::<Vec<_>>());
        for ((name, g), (_, w)) in got.iter().zip(want) {
            let ok = if w.is_nan() {
                g.is_nan()
            } else {
                (g - w).abs() <= 1e-12 * w.abs().max(1.0)
            };
            assert!(ok, "{name}: got {g}, want {w}");
        }
    }

    /// One pixel is outlined by a diamond through its edge midpoints: area ΔyΔx/2, perimeter
    /// 2√(Δy² + Δx²), diameter the larger spacing. Spacing (x, y, z) = (1, 2, 5).
    #[test]
    fn a_single_pixel_is_a_diamond_with_zero_axes() {
        let features = features_of(Array3::from_elem((1, 1, 1), true), [1.0, 2.0, 5.0], &forced(0));
        let perimeter = 2.0 * 5.0_f64.sqrt();
        assert_features(
            &features,
            &[
                ("Elongation", f64::NAN),
                ("MajorAxisLength", 0.0),
                ("MaximumDiameter", 2.0),
                ("MeshSurface", 1.0),
                ("MinorAxisLength", 0.0),
                ("Perimeter", perimeter),
                ("PerimeterSurfaceRatio", perimeter),
                ("PixelSurface", 2.0),
                ("Sphericity", 2.0 * PI.sqrt() / perimeter),
            ],
        );
    }

    /// A 2×2 block is outlined by the square [−1, 1]² (pixel units, centred) with corners cut at the edge
    /// midpoints: area 4 − 4·⅛ = 3.5 pixels, perimeter 2(Δa + Δb) + 2√(Δa² + Δb²). With in-plane spacing
    /// (Δa, Δb) = (2, 1) mm along the array's (row, column): farthest vertices differ by (2, 1) pixels → √17;
    /// pixel centres at ±Δ/2 give axis lengths 2Δ. The plane is taken normal to `force2Ddimension` 1
    /// (coronal), so rows are z and columns x.
    #[test]
    fn a_two_pixel_square_in_a_coronal_plane_is_an_octagon() {
        let features = features_of(Array3::from_elem((2, 1, 2), true), [1.0, 7.0, 2.0], &forced(1));
        let perimeter = 6.0 + 2.0 * 5.0_f64.sqrt();
        let surface = 3.5 * 2.0;
        assert_features(
            &features,
            &[
                ("Elongation", 0.5),
                ("MajorAxisLength", 4.0),
                ("MaximumDiameter", 17.0_f64.sqrt()),
                ("MeshSurface", surface),
                ("MinorAxisLength", 2.0),
                ("Perimeter", perimeter),
                ("PerimeterSurfaceRatio", perimeter / surface),
                ("PixelSurface", 8.0),
                ("Sphericity", 2.0 * (PI * surface).sqrt() / perimeter),
            ],
        );
    }

    #[test]
    fn a_region_thicker_than_one_slice_or_without_force2d_is_refused() {
        let mask = Array3::from_elem((2, 1, 2), true);
        let image = mask.mapv(f64::from);
        let roi = Roi::new(&image, &mask, [1.0; 3], &Settings::default()).unwrap();
        assert_eq!(compute(&roi, &Settings::default()), Err(Shape2dError::NotForced2d));
        assert_eq!(
            compute(&roi, &forced(0)),
            Err(Shape2dError::ThickRegion {
                dimension: 0,
                slices: 2
            })
        );
        assert_eq!(compute(&roi, &forced(3)), Err(Shape2dError::InvalidDimension(3)));
        assert!(compute(&roi, &forced(1)).is_ok());
    }
}
