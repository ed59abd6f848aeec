//! PyRadiomics' `shape` class: 14 three-dimensional size and shape descriptors of the region.
//!
//! Reproduces `radiomics/shape.py` and its C extension `cshape.c` (PyRadiomics 3.1):
//! - the mask is padded with one empty voxel on every side, then a marching-cubes mesh is built with
//!   PyRadiomics' own 128-entry triangle table, every vertex sitting at the midpoint of a cube edge
//!   whose two corners differ (a binary mask has no sub-voxel interpolation);
//! - mesh volume is the sum of signed tetrahedra (origin, triangle), surface area the sum of triangle areas;
//! - maximum diameters are the largest distances between mesh vertices, in 3-D and between vertices that
//!   share a slice (`z`), a column (`y`) or a row (`x`) index, as `cshape.c` compares coordinates;
//! - axis lengths come from the eigenvalues of the covariance (over N, not N − 1) of the physical
//!   coordinates of the region's voxel centres.
//!
//! Only the voxel spacing enters: like PyRadiomics, shape ignores origin and direction, so a flipped or
//! oblique grid gives the same numbers as an axis-aligned one. The spacing is used in `[z, y, x]` order
//! to match the voxel array. PyRadiomics computes this class once per extraction, from the original
//! image's mask (never per filtered image type), and reports it as `original_shape_*`.

use std::collections::HashSet;
use std::f64::consts::PI;

use ndarray::{Array2, Array3, s};

use super::{ClassFeatures, Roi, Settings};

/// Computes PyRadiomics' 14 non-deprecated 3-D shape features, in PyRadiomics' (alphabetical) order.
///
/// `settings` is accepted for symmetry with the other classes: no shape setting changes a 3-D value.
/// A region of one voxel gives zero axis lengths and NaN `Elongation`/`Flatness` (0/0), as PyRadiomics does.
pub fn compute(roi: &Roi, _settings: &Settings) -> ClassFeatures {
    let spacing = zyx_spacing(roi.spacing);
    let padded = pad_mask(&roi.mask);
    let mesh = triangle_mesh_measures(&padded, spacing);
    let diameters = maximum_diameters(&padded, spacing);
    let voxel_count = roi.mask.iter().filter(|&&m| m).count();
    let mut eigenvalues = covariance_eigenvalues(&roi.mask, spacing);
    sort_rounding_noise_to_zero(&mut eigenvalues);
    let [least, minor, major] = eigenvalues;
    vec![
        ("Elongation", elongation(minor, major)),
        ("Flatness", flatness(least, major)),
        ("LeastAxisLength", axis_length(least)),
        ("MajorAxisLength", axis_length(major)),
        ("Maximum2DDiameterColumn", diameters.column),
        ("Maximum2DDiameterRow", diameters.row),
        ("Maximum2DDiameterSlice", diameters.slice),
        ("Maximum3DDiameter", diameters.three_d),
        ("MeshVolume", mesh.volume),
        ("MinorAxisLength", axis_length(minor)),
        ("Sphericity", sphericity(mesh.volume, mesh.surface_area)),
        ("SurfaceArea", mesh.surface_area),
        (
            "SurfaceVolumeRatio",
            surface_volume_ratio(mesh.volume, mesh.surface_area),
        ),
        ("VoxelVolume", voxel_volume(voxel_count, spacing)),
    ]
}

/// Spacing reordered from (x, y, z) to the array's `[z, y, x]` axes (PyRadiomics' `GetSpacing()[::-1]`).
fn zyx_spacing([x, y, z]: [f64; 3]) -> [f64; 3] {
    [z, y, x]
}

/// The mask with one `false` voxel added on each side of every axis (PyRadiomics' `ConstantPadImageFilter`),
/// so every surface voxel has an outside neighbour and the mesh closes.
fn pad_mask(mask: &Array3<bool>) -> Array3<bool> {
    let (z, y, x) = mask.dim();
    let mut padded = Array3::from_elem((z + 2, y + 2, x + 2), false);
    padded.slice_mut(s![1..=z, 1..=y, 1..=x]).assign(mask);
    padded
}

/// Mesh volume and surface area of the marching-cubes mesh.
struct MeshMeasures {
    volume: f64,
    surface_area: f64,
}

/// The 8 corners of a marching cube as `[z, y, x]` offsets, numbered as in `cshape.c` (`gridAngles`).
const CUBE_CORNERS: [[usize; 3]; 8] = [
    [0, 0, 0],
    [0, 0, 1],
    [0, 1, 1],
    [0, 1, 0],
    [1, 0, 0],
    [1, 0, 1],
    [1, 1, 1],
    [1, 1, 0],
];

/// Midpoint of each of the 12 cube edges as `[z, y, x]` offsets (`cshape.c` `vertList`).
const EDGE_MIDPOINTS: [[f64; 3]; 12] = [
    [0.0, 0.0, 0.5],
    [0.0, 0.5, 1.0],
    [0.0, 1.0, 0.5],
    [0.0, 0.5, 0.0],
    [1.0, 0.0, 0.5],
    [1.0, 0.5, 1.0],
    [1.0, 1.0, 0.5],
    [1.0, 0.5, 0.0],
    [0.5, 0.0, 0.0],
    [0.5, 0.0, 1.0],
    [0.5, 1.0, 1.0],
    [0.5, 1.0, 0.0],
];

/// Triangles (as edge numbers) of each cube configuration with corner 7 outside, from PyRadiomics'
/// `cshape.c` `triTable` (its half-size variant of Lorensen & Cline's table). A configuration with corner 7
/// inside is looked up by its complement, and its triangles then face inward, so their signed volume is
/// negated. Using this exact table matters: ambiguous configurations and the choice of quad diagonals
/// change surface area and volume.
#[rustfmt::skip]
const TRIANGLES: [&[[u8; 3]]; 128] = [
    &[],
    &[[0, 8, 3]],
    &[[1, 9, 0]],
    &[[1, 8, 3], [1, 9, 8]],
    &[[1, 2, 10]],
    &[[0, 8, 3], [1, 2, 10]],
    &[[9, 2, 10], [0, 2, 9]],
    &[[2, 8, 3], [2, 10, 8], [10, 9, 8]],
    &[[11, 2, 3]],
    &[[11, 2, 0], [0, 8, 11]],
    &[[1, 9, 0], [11, 2, 3]],
    &[[11, 2, 1], [1, 9, 11], [9, 8, 11]],
    &[[3, 10, 1], [11, 10, 3]],
    &[[10, 1, 0], [0, 8, 10], [8, 11, 10]],
    &[[9, 0, 3], [3, 11, 9], [11, 10, 9]],
    &[[9, 8, 10], [11, 10, 8]],
    &[[4, 7, 8]],
    &[[0, 4, 3], [4, 7, 3]],
    &[[1, 9, 0], [4, 7, 8]],
    &[[1, 9, 4], [1, 4, 7], [1, 7, 3]],
    &[[1, 2, 10], [4, 7, 8]],
    &[[3, 4, 7], [3, 0, 4], [1, 2, 10]],
    &[[9, 2, 10], [9, 0, 2], [4, 7, 8]],
    &[[2, 10, 9], [2, 9, 7], [2, 7, 3], [4, 7, 9]],
    &[[4, 7, 8], [11, 2, 3]],
    &[[11, 4, 7], [11, 2, 4], [2, 0, 4]],
    &[[1, 9, 0], [4, 7, 8], [11, 2, 3]],
    &[[4, 7, 11], [9, 4, 11], [11, 2, 9], [1, 9, 2]],
    &[[3, 10, 1], [11, 10, 3], [4, 7, 8]],
    &[[11, 10, 1], [1, 4, 11], [1, 0, 4], [4, 7, 11]],
    &[[4, 7, 8], [9, 0, 3], [3, 11, 9], [11, 10, 9]],
    &[[4, 7, 11], [4, 11, 9], [9, 11, 10]],
    &[[9, 5, 4]],
    &[[9, 5, 4], [0, 8, 3]],
    &[[0, 5, 4], [0, 1, 5]],
    &[[8, 5, 4], [8, 3, 5], [3, 1, 5]],
    &[[1, 2, 10], [9, 5, 4]],
    &[[0, 8, 3], [1, 2, 10], [9, 5, 4]],
    &[[2, 10, 5], [5, 4, 2], [2, 4, 0]],
    &[[2, 10, 5], [3, 2, 5], [3, 5, 4], [8, 3, 4]],
    &[[9, 5, 4], [11, 2, 3]],
    &[[11, 2, 0], [0, 8, 11], [9, 5, 4]],
    &[[0, 5, 4], [0, 1, 5], [11, 2, 3]],
    &[[2, 1, 5], [2, 5, 8], [11, 2, 8], [5, 4, 8]],
    &[[3, 10, 1], [11, 10, 3], [9, 5, 4]],
    &[[5, 4, 9], [10, 1, 0], [0, 8, 10], [8, 11, 10]],
    &[[5, 4, 0], [5, 0, 11], [10, 5, 11], [11, 0, 3]],
    &[[5, 4, 8], [10, 5, 8], [11, 10, 8]],
    &[[7, 8, 9], [5, 7, 9]],
    &[[3, 0, 9], [5, 3, 9], [3, 5, 7]],
    &[[7, 8, 0], [0, 1, 7], [7, 1, 5]],
    &[[1, 5, 7], [1, 7, 3]],
    &[[7, 8, 9], [5, 7, 9], [1, 2, 10]],
    &[[1, 2, 10], [3, 0, 9], [3, 9, 5], [3, 5, 7]],
    &[[0, 2, 8], [8, 2, 5], [8, 5, 7], [2, 10, 5]],
    &[[2, 10, 5], [2, 5, 3], [3, 5, 7]],
    &[[5, 7, 9], [7, 8, 9], [11, 2, 3]],
    &[[5, 7, 9], [9, 7, 2], [2, 0, 9], [11, 2, 7]],
    &[[11, 2, 3], [0, 1, 8], [1, 7, 8], [1, 5, 7]],
    &[[2, 1, 11], [1, 7, 11], [1, 5, 7]],
    &[[7, 8, 9], [5, 7, 9], [3, 10, 1], [11, 10, 3]],
    &[[5, 7, 0], [5, 0, 9], [7, 11, 0], [10, 1, 0], [11, 10, 0]],
    &[[11, 10, 0], [0, 3, 11], [10, 5, 0], [0, 7, 8], [5, 7, 0]],
    &[[11, 10, 5], [5, 7, 11]],
    &[[6, 5, 10]],
    &[[0, 8, 3], [6, 5, 10]],
    &[[1, 9, 0], [6, 5, 10]],
    &[[1, 8, 3], [1, 9, 8], [6, 5, 10]],
    &[[1, 6, 5], [1, 2, 6]],
    &[[1, 6, 5], [1, 2, 6], [0, 8, 3]],
    &[[9, 6, 5], [9, 0, 6], [0, 2, 6]],
    &[[5, 9, 8], [5, 8, 2], [5, 2, 6], [8, 3, 2]],
    &[[11, 2, 3], [6, 5, 10]],
    &[[11, 2, 0], [0, 8, 11], [6, 5, 10]],
    &[[1, 9, 0], [11, 2, 3], [6, 5, 10]],
    &[[11, 2, 1], [1, 9, 11], [9, 8, 11], [6, 5, 10]],
    &[[6, 3, 11], [6, 5, 3], [5, 1, 3]],
    &[[0, 8, 11], [0, 11, 5], [0, 5, 1], [5, 11, 6]],
    &[[6, 3, 11], [0, 3, 6], [0, 6, 5], [0, 5, 9]],
    &[[6, 5, 9], [6, 9, 11], [11, 9, 8]],
    &[[4, 7, 8], [6, 5, 10]],
    &[[0, 4, 3], [4, 7, 3], [6, 5, 10]],
    &[[1, 9, 0], [4, 7, 8], [6, 5, 10]],
    &[[1, 9, 4], [1, 4, 7], [1, 7, 3], [6, 5, 10]],
    &[[4, 7, 8], [1, 6, 5], [1, 2, 6]],
    &[[0, 4, 3], [4, 7, 3], [1, 6, 5], [1, 2, 6]],
    &[[4, 7, 8], [9, 6, 5], [9, 0, 6], [0, 2, 6]],
    &[[7, 3, 9], [4, 7, 9], [3, 2, 9], [5, 9, 6], [2, 6, 9]],
    &[[11, 2, 3], [4, 7, 8], [6, 5, 10]],
    &[[11, 4, 7], [11, 2, 4], [2, 0, 4], [6, 5, 10]],
    &[[1, 9, 0], [11, 2, 3], [4, 7, 8], [6, 5, 10]],
    &[[4, 7, 11], [9, 4, 11], [11, 2, 9], [1, 9, 2], [6, 5, 10]],
    &[[4, 7, 8], [6, 3, 11], [6, 5, 3], [5, 1, 3]],
    &[[5, 1, 11], [5, 11, 6], [1, 0, 11], [4, 7, 11], [0, 4, 11]],
    &[[4, 7, 8], [6, 3, 11], [0, 3, 6], [0, 6, 5], [0, 5, 9]],
    &[[6, 5, 9], [6, 9, 11], [4, 7, 9], [7, 11, 9]],
    &[[10, 4, 9], [6, 4, 10]],
    &[[10, 4, 9], [6, 4, 10], [0, 8, 3]],
    &[[0, 1, 10], [10, 6, 0], [6, 4, 0]],
    &[[1, 8, 3], [1, 6, 8], [8, 6, 4], [6, 1, 10]],
    &[[1, 4, 9], [1, 2, 4], [2, 6, 4]],
    &[[1, 4, 9], [1, 2, 4], [2, 6, 4], [0, 8, 3]],
    &[[0, 2, 4], [4, 2, 6]],
    &[[8, 3, 2], [8, 2, 4], [4, 2, 6]],
    &[[11, 2, 3], [10, 4, 9], [6, 4, 10]],
    &[[11, 2, 0], [0, 8, 11], [10, 4, 9], [6, 4, 10]],
    &[[11, 2, 3], [0, 1, 10], [10, 6, 0], [6, 4, 0]],
    &[[6, 4, 1], [6, 1, 10], [1, 4, 8], [11, 2, 1], [1, 8, 11]],
    &[[9, 6, 4], [3, 6, 9], [1, 3, 9], [11, 6, 3]],
    &[[1, 8, 11], [0, 8, 1], [11, 6, 1], [1, 4, 9], [6, 4, 1]],
    &[[6, 3, 11], [0, 3, 6], [6, 4, 0]],
    &[[8, 6, 4], [6, 8, 11]],
    &[[6, 7, 10], [7, 8, 10], [8, 9, 10]],
    &[[6, 7, 10], [0, 10, 7], [0, 9, 10], [0, 7, 3]],
    &[[6, 7, 10], [1, 10, 7], [1, 7, 8], [0, 1, 8]],
    &[[6, 7, 10], [1, 10, 7], [1, 7, 3]],
    &[[1, 2, 6], [1, 6, 8], [1, 8, 9], [6, 7, 8]],
    &[[2, 6, 9], [1, 2, 9], [6, 7, 9], [3, 0, 9], [7, 3, 9]],
    &[[0, 7, 8], [7, 0, 6], [6, 0, 2]],
    &[[2, 7, 3], [2, 6, 7]],
    &[[11, 2, 3], [6, 7, 10], [7, 8, 10], [8, 9, 10]],
    &[[2, 0, 7], [11, 2, 7], [0, 9, 7], [6, 7, 10], [9, 10, 7]],
    &[[6, 7, 10], [1, 10, 7], [1, 7, 8], [0, 1, 8], [11, 2, 3]],
    &[[11, 2, 1], [1, 7, 11], [10, 6, 1], [1, 6, 7]],
    &[[8, 9, 6], [6, 7, 8], [1, 6, 9], [11, 6, 3], [1, 3, 6]],
    &[[0, 9, 1], [6, 7, 11]],
    &[[0, 7, 8], [7, 0, 6], [0, 3, 11], [11, 6, 0]],
    &[[6, 7, 11]],
];

/// Builds the mesh cube by cube and sums signed tetrahedron volumes and triangle areas (`cshape.c`
/// `calculate_coefficients`).
///
/// MeshVolume: V = Σ (Oa·(Ob×Oc))/6 over faces (a, b, c), O the grid origin (PyRadiomics docs, IBSI morph_volume).
/// SurfaceArea: A = Σ ½|ab×ac| over faces (PyRadiomics docs, IBSI morph_area_mesh).
fn triangle_mesh_measures(padded: &Array3<bool>, spacing: [f64; 3]) -> MeshMeasures {
    let (nz, ny, nx) = padded.dim();
    let inside = padded.as_slice().expect("a freshly padded mask is in standard layout");
    let corner_offsets = CUBE_CORNERS.map(|[dz, dy, dx]| (dz * ny + dy) * nx + dx);
    let mut six_volume = 0.0;
    let mut surface_area = 0.0;
    for iz in 0..nz - 1 {
        for iy in 0..ny - 1 {
            for ix in 0..nx - 1 {
                let base = (iz * ny + iy) * nx + ix;
                let mut cube = corner_offsets.iter().enumerate().fold(0u8, |cube, (bit, offset)| {
                    cube | (u8::from(inside[base + offset]) << bit)
                });
                let sign = if cube & 0x80 != 0 {
                    cube ^= 0xff;
                    -1.0
                } else {
                    1.0
                };
                let origin = [iz as f64, iy as f64, ix as f64];
                for triangle in TRIANGLES[usize::from(cube)] {
                    let [a, b, c] = triangle.map(|edge| {
                        let mid = EDGE_MIDPOINTS[usize::from(edge)];
                        [0, 1, 2].map(|d| (origin[d] + mid[d]) * spacing[d])
                    });
                    six_volume += sign * dot(cross(a, b), c);
                    surface_area += 0.5 * norm(cross(sub(a, c), sub(b, c)));
                }
            }
        }
    }
    MeshMeasures {
        volume: six_volume / 6.0,
        surface_area,
    }
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - b[1] * a[2],
        a[2] * b[0] - b[2] * a[0],
        a[0] * b[1] - b[0] * a[1],
    ]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

/// Largest vertex-to-vertex distances of the mesh, mm.
pub(super) struct Diameters {
    /// Between vertices with equal `z` (`Maximum2DDiameterSlice`, usually the axial plane).
    pub(super) slice: f64,
    /// Between vertices with equal `y` (`Maximum2DDiameterColumn`, usually the coronal plane).
    pub(super) column: f64,
    /// Between vertices with equal `x` (`Maximum2DDiameterRow`, usually the sagittal plane).
    pub(super) row: f64,
    /// Between any two vertices (`Maximum3DDiameter`, the Feret diameter).
    pub(super) three_d: f64,
}

/// Maximum 3-D and in-plane diameters over the mesh vertices (`cshape.c` `calculate_meshDiameter`;
/// PyRadiomics docs, IBSI morph_diam).
///
/// PyRadiomics compares every pair of vertices. The farthest pair of a point set is always a pair of
/// corners of its convex hull, and scaling the axes by the spacing keeps hull corners corners, so the
/// search runs exactly on far fewer points: each planar diameter over the 2-D hull corners of each plane's
/// vertices, and the 3-D diameter over the vertices that are hull corners in all three of their planes (a
/// corner of the 3-D hull is a corner of the hull of every subset containing it).
pub(super) fn maximum_diameters(padded: &Array3<bool>, spacing: [f64; 3]) -> Diameters {
    let vertices = mesh_vertices(padded);
    let (nz, ny, nx) = padded.dim();
    let extent = [2 * nz, 2 * ny, 2 * nx];
    let physical = |v: &[i32; 3]| [0, 1, 2].map(|d| f64::from(v[d]) / 2.0 * spacing[d]);
    let corners = [0, 1, 2].map(|axis| plane_hull_corners(&vertices, axis, extent));
    let planar_squared = corners.each_ref().map(|planes| {
        planes
            .iter()
            .map(|plane| farthest_pair_squared(&plane.iter().map(physical).collect::<Vec<_>>()))
            .fold(0.0, f64::max)
    });
    let in_all_planes: [HashSet<[i32; 3]>; 2] = [1, 2].map(|axis| corners[axis].iter().flatten().copied().collect());
    let hull_candidates: Vec<[f64; 3]> = corners[0]
        .iter()
        .flatten()
        .filter(|v| in_all_planes.iter().all(|set| set.contains(*v)))
        .map(physical)
        .collect();
    let [slice, column, row] = planar_squared.map(f64::sqrt);
    Diameters {
        slice,
        column,
        row,
        three_d: farthest_pair_squared(&hull_candidates).sqrt(),
    }
}

/// For every plane normal to `axis` (in doubled coordinates, bounded by `extent`), the vertices at the
/// corners of the convex hull of that plane's vertices.
///
/// Only the first and last vertex of each in-plane row can be a corner (the others lie between them), so
/// one pass keeps those per row; listing rows in order then gives the sorted input of the hull.
fn plane_hull_corners(vertices: &[[i32; 3]], axis: usize, extent: [usize; 3]) -> Vec<Vec<[i32; 3]>> {
    let (a, b) = in_plane_axes(axis);
    let mut row_ends = Array2::from_elem((extent[axis], extent[a]), (i32::MAX, i32::MIN));
    for v in vertices {
        let ends = &mut row_ends[[v[axis] as usize, v[a] as usize]];
        *ends = (ends.0.min(v[b]), ends.1.max(v[b]));
    }
    row_ends
        .outer_iter()
        .enumerate()
        .filter_map(|(plane, rows)| {
            let mut points: Vec<[i64; 2]> = Vec::new();
            for (row, &(first, last)) in rows.iter().enumerate() {
                if first <= last {
                    points.push([row as i64, i64::from(first)]);
                    if last != first {
                        points.push([row as i64, i64::from(last)]);
                    }
                }
            }
            (!points.is_empty()).then(|| {
                convex_hull_corners(&points)
                    .into_iter()
                    .map(|k| {
                        let mut vertex = [0; 3];
                        vertex[axis] = plane as i32;
                        vertex[a] = points[k][0] as i32;
                        vertex[b] = points[k][1] as i32;
                        vertex
                    })
                    .collect()
            })
        })
        .collect()
}

/// The two array axes spanning the plane normal to `axis`.
fn in_plane_axes(axis: usize) -> (usize, usize) {
    match axis {
        0 => (1, 2),
        1 => (0, 2),
        _ => (0, 1),
    }
}

/// Positions in `points` (distinct, sorted) of the corners of their convex hull, excluding points in the
/// middle of a hull edge (Andrew's monotone chain, exact in integers).
fn convex_hull_corners(points: &[[i64; 2]]) -> Vec<usize> {
    if points.len() <= 2 {
        return (0..points.len()).collect();
    }
    let turn = |o: [i64; 2], a: [i64; 2], b: [i64; 2]| (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
    let mut hull: Vec<usize> = Vec::with_capacity(points.len() + 1);
    let lower_then_upper = (0..points.len()).chain((0..points.len() - 1).rev());
    let mut lower_len = usize::MAX;
    for (step, i) in lower_then_upper.enumerate() {
        if step == points.len() {
            // Starting the upper chain: it may not pop into the finished lower chain.
            lower_len = hull.len() + 1;
        }
        let floor = if step < points.len() { 2 } else { lower_len };
        while hull.len() >= floor && turn(points[hull[hull.len() - 2]], points[hull[hull.len() - 1]], points[i]) <= 0 {
            hull.pop();
        }
        hull.push(i);
    }
    hull.pop(); // the upper chain ends where the lower began
    hull
}

/// Mesh vertices in doubled `[z, y, x]` padded-grid coordinates (twice the index, so edge midpoints are
/// integers): one at the midpoint of every edge between an inside and an outside voxel. These are exactly the
/// vertices `cshape.c` stores (it keeps edges 6, 7 and 11 of each cube so that each edge is stored once).
fn mesh_vertices(padded: &Array3<bool>) -> Vec<[i32; 3]> {
    let (nz, ny, nx) = padded.dim();
    let doubled = |i: usize| i32::try_from(2 * i).expect("mask dimensions fit in i32");
    let mut vertices = Vec::new();
    for ((z, y, x), &inside) in padded.indexed_iter() {
        let here = [doubled(z), doubled(y), doubled(x)];
        for (axis, neighbour) in [(0, [z + 1, y, x]), (1, [z, y + 1, x]), (2, [z, y, x + 1])] {
            let within = neighbour[0] < nz && neighbour[1] < ny && neighbour[2] < nx;
            if within && padded[neighbour] != inside {
                let mut vertex = here;
                vertex[axis] += 1;
                vertices.push(vertex);
            }
        }
    }
    vertices
}

/// Largest squared distance between two of `points` (0 for fewer than two), computed as `cshape.c` does:
/// squared coordinate differences summed in `[z, y, x]` order.
///
/// Points are visited in decreasing order of their reach (squared distance to the farthest corner of the
/// points' bounding box), an upper bound on any distance from them; the search stops once no remaining
/// point can reach farther than the best pair found.
fn farthest_pair_squared(points: &[[f64; 3]]) -> f64 {
    let Some(first) = points.first() else { return 0.0 };
    let (lo, hi) = points.iter().fold((*first, *first), |(lo, hi), p| {
        ([0, 1, 2].map(|d| lo[d].min(p[d])), [0, 1, 2].map(|d| hi[d].max(p[d])))
    });
    let reach = |p: &[f64; 3]| {
        [0, 1, 2]
            .map(|d| {
                let far = (p[d] - lo[d]).abs().max((hi[d] - p[d]).abs());
                far * far
            })
            .iter()
            .sum::<f64>()
    };
    let mut by_reach: Vec<(f64, [f64; 3])> = points.iter().map(|p| (reach(p), *p)).collect();
    by_reach.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut best = 0.0_f64;
    for (i, (reach_p, p)) in by_reach.iter().enumerate() {
        if *reach_p <= best {
            break;
        }
        for (reach_q, q) in &by_reach[i + 1..] {
            if *reach_q <= best {
                break;
            }
            best = best.max(squared_distance(p, q));
        }
    }
    best
}

fn squared_distance(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let d = sub(*a, *b);
    d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
}

/// Eigenvalues of the covariance of the region's voxel-centre coordinates in mm, normalised by N like
/// `shape.py` (numpy `dot` of coordinates centred and scaled by 1/√N), unsorted.
///
/// Centring is done on integer indices so an axis along which the region is flat gets an exact zero row
/// and column, and its eigenvalue stays exactly 0 on that axis' diagonal position (`shape2d` relies on it).
pub(super) fn covariance_eigenvalues(mask: &Array3<bool>, spacing: [f64; 3]) -> [f64; 3] {
    let inside: Vec<[f64; 3]> = mask
        .indexed_iter()
        .filter(|(_, m)| **m)
        .map(|((z, y, x), _)| [z as f64, y as f64, x as f64])
        .collect();
    let n = inside.len() as f64;
    let mean = [0, 1, 2].map(|d| inside.iter().map(|p| p[d]).sum::<f64>() / n);
    let mut covariance = [[0.0; 3]; 3];
    for p in &inside {
        let c = [0, 1, 2].map(|d| (p[d] - mean[d]) * spacing[d]);
        for i in 0..3 {
            for j in 0..3 {
                covariance[i][j] += c[i] * c[j];
            }
        }
    }
    symmetric_eigenvalues(covariance.map(|row| row.map(|v| v / n)))
}

/// Sorts eigenvalues ascending after setting those in (−1e−10, 0), rounding noise of flat regions, to 0
/// as PyRadiomics does.
pub(super) fn sort_rounding_noise_to_zero(eigenvalues: &mut [f64]) {
    for l in eigenvalues.iter_mut() {
        if *l < 0.0 && *l > -1e-10 {
            *l = 0.0;
        }
    }
    eigenvalues.sort_by(f64::total_cmp);
}

/// Eigenvalues of a symmetric 3×3 matrix by cyclic Jacobi rotations (accurate to rounding for every
/// eigenvalue, including near-zero ones of flat regions), each at the diagonal position it converges to.
fn symmetric_eigenvalues(mut a: [[f64; 3]; 3]) -> [f64; 3] {
    for _sweep in 0..64 {
        let off_diagonal = a[0][1].abs() + a[0][2].abs() + a[1][2].abs();
        if off_diagonal == 0.0 {
            break;
        }
        for (p, q) in [(0, 1), (0, 2), (1, 2)] {
            if a[p][q] == 0.0 {
                continue;
            }
            // Rotation angle that zeroes a[p][q] (Numerical Recipes §11.1, the smaller root for stability).
            let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
            let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
            let c = 1.0 / (t * t + 1.0).sqrt();
            let s = t * c;
            let mut rotation = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
            rotation[p][p] = c;
            rotation[q][q] = c;
            rotation[p][q] = s;
            rotation[q][p] = -s;
            a = multiply(transpose(rotation), multiply(a, rotation));
            a[p][q] = 0.0;
            a[q][p] = 0.0;
        }
    }
    [a[0][0], a[1][1], a[2][2]]
}

fn multiply(a: [[f64; 3]; 3], b: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    [0, 1, 2].map(|i| [0, 1, 2].map(|j| (0..3).map(|k| a[i][k] * b[k][j]).sum()))
}

fn transpose(a: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    [0, 1, 2].map(|i| [0, 1, 2].map(|j| a[j][i]))
}

/// VoxelVolume: N_v · (Δz·Δx·Δy), the number of voxels times one voxel's volume (PyRadiomics docs;
/// IBSI morph_vol_approx). Uses no mesh.
fn voxel_volume(voxel_count: usize, [z, y, x]: [f64; 3]) -> f64 {
    voxel_count as f64 * (z * x * y)
}

/// SurfaceVolumeRatio: A / V (PyRadiomics docs; IBSI morph_av).
fn surface_volume_ratio(volume: f64, surface_area: f64) -> f64 {
    surface_area / volume
}

/// Sphericity: ∛(36π V²) / A, 1 for a sphere (PyRadiomics docs; IBSI morph_sphericity).
fn sphericity(volume: f64, surface_area: f64) -> f64 {
    (36.0 * PI * volume * volume).cbrt() / surface_area
}

/// Major/Minor/LeastAxisLength: 4·√λ for the largest/second/smallest eigenvalue λ (PyRadiomics docs;
/// IBSI morph_pca_maj_axis/min_axis/least_axis, which normalise by N − 1 where PyRadiomics uses N).
/// NaN for a negative λ.
pub(super) fn axis_length(eigenvalue: f64) -> f64 {
    if eigenvalue < 0.0 {
        f64::NAN
    } else {
        4.0 * eigenvalue.sqrt()
    }
}

/// Elongation: √(λ_minor / λ_major) (PyRadiomics docs; IBSI morph_pca_elongation, the same ratio).
/// NaN for a negative eigenvalue, and for one voxel (0/0).
fn elongation(minor: f64, major: f64) -> f64 {
    eigenvalue_ratio(minor, major)
}

/// Flatness: √(λ_least / λ_major) (PyRadiomics docs; IBSI morph_pca_flatness, the same ratio).
/// NaN for a negative eigenvalue, and for one voxel (0/0).
fn flatness(least: f64, major: f64) -> f64 {
    eigenvalue_ratio(least, major)
}

/// √(small / large), NaN when either eigenvalue is negative (PyRadiomics' guard).
pub(super) fn eigenvalue_ratio(small: f64, large: f64) -> f64 {
    if small < 0.0 || large < 0.0 {
        f64::NAN
    } else {
        (small / large).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use ndarray::Array3;

    use super::*;
    use crate::imaging::{label_region, read_image, read_labels};
    use crate::test_support::reference_dir;

    /// Spacing (x, y, z) = (1, 2, 3) mm: every axis different, so a swapped axis shows.
    const SPACING: [f64; 3] = [1.0, 2.0, 3.0];

    fn roi_of(mask: Array3<bool>, spacing: [f64; 3]) -> Roi {
        let image = mask.mapv(f64::from);
        Roi::new(&image, &mask, spacing, &Settings::default()).expect("non-empty mask")
    }

    fn feature(features: &ClassFeatures, name: &str) -> f64 {
        features
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .1
    }

    fn assert_close(features: &ClassFeatures, name: &str, want: f64) {
        let got = feature(features, name);
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "{name}: got {got}, want {want}"
        );
    }

    #[test]
    fn features_come_in_pyradiomics_alphabetical_order() {
        let features = compute(
            &roi_of(Array3::from_elem((1, 1, 1), true), SPACING),
            &Settings::default(),
        );
        let names: Vec<&str> = features.iter().map(|(n, _)| *n).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert_eq!(names.len(), 14);
    }

    /// One voxel meshes to an octahedron with vertices at its six face centres:
    /// V = ΔxΔyΔz/6, A = √((ΔyΔz)² + (ΔxΔz)² + (ΔxΔy)²), diameters are the largest spacing in each plane.
    #[test]
    fn a_single_voxel_is_an_octahedron_with_zero_axes() {
        let features = compute(
            &roi_of(Array3::from_elem((1, 1, 1), true), SPACING),
            &Settings::default(),
        );
        assert_close(&features, "MeshVolume", 1.0);
        assert_close(&features, "VoxelVolume", 6.0);
        assert_close(&features, "SurfaceArea", 7.0);
        assert_close(&features, "SurfaceVolumeRatio", 7.0);
        assert_close(&features, "Sphericity", (36.0 * PI).cbrt() / 7.0);
        assert_close(&features, "Maximum3DDiameter", 3.0);
        assert_close(&features, "Maximum2DDiameterSlice", 2.0);
        assert_close(&features, "Maximum2DDiameterColumn", 3.0);
        assert_close(&features, "Maximum2DDiameterRow", 3.0);
        for axis in ["MajorAxisLength", "MinorAxisLength", "LeastAxisLength"] {
            assert_close(&features, axis, 0.0);
        }
        assert!(feature(&features, "Elongation").is_nan());
        assert!(feature(&features, "Flatness").is_nan());
    }

    /// A 2×2×2 block meshes to the box [−1, 1]³ (voxel units, centred) with its 12 edges bevelled at the
    /// edge-voxel midpoints and its 8 corners cut. By the divergence theorem (V = ⅓ Σ distance × area) its
    /// volume is 6 faces × 1/3 + 12 bevels × 1/4 + 8 corners × 1/12 = 17/3 voxel volumes. With spacing (1, 2, 3):
    /// faces 2(ΔyΔz + ΔxΔz + ΔxΔy), bevels 2(Δz√(Δx²+Δy²) + Δy√(Δx²+Δz²) + Δx√(Δy²+Δz²)), corners
    /// √((ΔyΔz)² + (ΔxΔz)² + (ΔxΔy)²). Farthest vertices differ by (2, 1, 1) voxels in some axis order.
    #[test]
    fn a_two_voxel_cube_has_the_bevelled_box_mesh() {
        let features = compute(
            &roi_of(Array3::from_elem((2, 2, 2), true), SPACING),
            &Settings::default(),
        );
        let (x, y, z) = (1.0_f64, 2.0_f64, 3.0_f64);
        let area = 2.0 * (y * z + x * z + x * y)
            + 2.0 * (z * (x * x + y * y).sqrt() + y * (x * x + z * z).sqrt() + x * (y * y + z * z).sqrt())
            + ((y * z).powi(2) + (x * z).powi(2) + (x * y).powi(2)).sqrt();
        assert_close(&features, "MeshVolume", 17.0 / 3.0 * 6.0);
        assert_close(&features, "VoxelVolume", 48.0);
        assert_close(&features, "SurfaceArea", area);
        // (dz, dy, dx) = (2, 1, 1) voxels: 4·9 + 4 + 1.
        assert_close(&features, "Maximum3DDiameter", 41.0_f64.sqrt());
        // Same slice: (dy, dx) = (2, 1): 4·4 + 1. Same column: (dz, dx) = (2, 1). Same row: (dz, dy) = (2, 1).
        assert_close(&features, "Maximum2DDiameterSlice", 17.0_f64.sqrt());
        assert_close(&features, "Maximum2DDiameterColumn", 37.0_f64.sqrt());
        assert_close(&features, "Maximum2DDiameterRow", 40.0_f64.sqrt());
        // Voxel centres at ±Δ/2 per axis: variance Δ²/4, axis length 4·Δ/2.
        assert_close(&features, "MajorAxisLength", 6.0);
        assert_close(&features, "MinorAxisLength", 4.0);
        assert_close(&features, "LeastAxisLength", 2.0);
        assert_close(&features, "Elongation", 2.0 / 3.0);
        assert_close(&features, "Flatness", 1.0 / 3.0);
    }

    /// Transposing the mask's z and x axes together with their spacings must swap the Slice and Row
    /// diameters and leave every other voxel- or vertex-based value unchanged: catches spacing applied to
    /// the wrong array axis. Mesh surface area is left out on purpose: the marching-cubes table resolves
    /// ambiguous cubes differently once axes are swapped (the single-voxel and cube tests cover it).
    #[test]
    fn anisotropic_spacing_follows_the_array_axes() {
        let mask = Array3::from_shape_fn((3, 4, 5), |(z, y, x)| {
            (z + 2 * y + x) % 3 != 0 || (z, y, x) == (1, 1, 1)
        });
        let swapped = mask.clone().permuted_axes([2, 1, 0]).as_standard_layout().to_owned();
        let a = compute(&roi_of(mask, [0.7, 1.1, 2.5]), &Settings::default());
        let b = compute(&roi_of(swapped, [2.5, 1.1, 0.7]), &Settings::default());
        for (name, counterpart) in [
            ("VoxelVolume", "VoxelVolume"),
            ("MajorAxisLength", "MajorAxisLength"),
            ("MinorAxisLength", "MinorAxisLength"),
            ("LeastAxisLength", "LeastAxisLength"),
            ("Elongation", "Elongation"),
            ("Flatness", "Flatness"),
            ("Maximum3DDiameter", "Maximum3DDiameter"),
            ("Maximum2DDiameterColumn", "Maximum2DDiameterColumn"),
            ("Maximum2DDiameterSlice", "Maximum2DDiameterRow"),
            ("Maximum2DDiameterRow", "Maximum2DDiameterSlice"),
        ] {
            let (va, vb) = (feature(&a, name), feature(&b, counterpart));
            assert!(
                (va - vb).abs() <= 1e-9 * va.abs().max(1.0),
                "{name}: {va} vs {counterpart} {vb}"
            );
        }
        assert!(feature(&a, "Maximum2DDiameterSlice") != feature(&a, "Maximum2DDiameterRow"));
    }

    /// The hull-based diameter search against `cshape.c`'s plain comparison of every vertex pair.
    #[test]
    fn hull_based_diameters_equal_the_all_pairs_search() {
        let spacing = [0.8, 1.3, 2.9];
        let mut state = 12345_u64;
        for k in 0..40_u64 {
            // Densities from 1/5 to 4/5: sparse dust, holes, and solid blobs with dents.
            let mask = Array3::from_shape_fn((6, 7, 8), |_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 33) % 5 <= k % 4
            });
            let padded = pad_mask(&mask);
            let got = maximum_diameters(&padded, spacing);
            let points: Vec<[f64; 3]> = mesh_vertices(&padded)
                .iter()
                .map(|v| [0, 1, 2].map(|d| f64::from(v[d]) / 2.0 * spacing[d]))
                .collect();
            let mut want = [0.0_f64; 4];
            for (i, a) in points.iter().enumerate() {
                for b in &points[..i] {
                    let d = squared_distance(a, b);
                    for axis in 0..3 {
                        if a[axis] == b[axis] {
                            want[axis] = want[axis].max(d);
                        }
                    }
                    want[3] = want[3].max(d);
                }
            }
            let got = [got.slice, got.column, got.row, got.three_d];
            assert_eq!(got, want.map(f64::sqrt));
        }
    }

    /// PyRadiomics' values on 40 random masks (noisy, holed, single-slice along each axis, anisotropic),
    /// frozen by `tests/fixtures/shape/generate_pyradiomics_shape_fixture.py`.
    #[test]
    fn shape_and_shape2d_match_frozen_pyradiomics_values_on_random_masks() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shape/random_masks.json");
        let fixture = read_json(&path);
        let cases = fixture["cases"].as_array().expect("cases");
        assert_eq!(cases.len(), 40);
        let mut failures = Vec::new();
        for (k, case) in cases.iter().enumerate() {
            let size: Vec<usize> = case["size"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            let bits: Vec<bool> = case["mask"].as_str().unwrap().bytes().map(|b| b == b'1').collect();
            let mask = Array3::from_shape_vec((size[0], size[1], size[2]), bits).unwrap();
            let spacing: Vec<f64> = case["spacing"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            let settings = Settings {
                force_2d: true,
                force_2d_dimension: case["force2Ddimension"].as_u64().unwrap() as usize,
                ..Settings::default()
            };
            let roi = roi_of(mask, [spacing[0], spacing[1], spacing[2]]);
            let mut computed = vec![("shape", compute(&roi, &settings))];
            if case.get("shape2D").is_some() {
                computed.push(("shape2D", crate::features::shape2d::compute(&roi, &settings).unwrap()));
            }
            for (class, features) in computed {
                let reference = case[class].as_object().unwrap();
                assert_eq!(features.len(), reference.len(), "case {k} {class}: feature count");
                for (name, got) in features {
                    let want = reference[name].as_f64().unwrap();
                    let within = (got - want).abs() <= if want.abs() < 1e-3 { 1e-9 } else { 1e-6 * want.abs() };
                    if !within {
                        failures.push(format!("case {k} {class} {name}: got {got}, want {want}"));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// The IBSI 1 digital phantom against the IBSI consensus values, within their tolerance (PyRadiomics'
    /// own values on it are checked in `tests/parity`). PyRadiomics' axis lengths use the covariance over
    /// N where IBSI uses N − 1, so they are compared after scaling by √(N / (N − 1)).
    #[test]
    fn shape_matches_the_ibsi_consensus_on_the_digital_phantom() {
        let Some(dir) = reference_dir() else { return };
        let image = read_image(&dir.join("cases/ibsi1_digital_phantom_image.nii.gz"), "image").unwrap();
        let labels = read_labels(&dir.join("cases/ibsi1_digital_phantom_label.nii.gz"), "mask").unwrap();
        let region = label_region(&labels, 1).unwrap();
        let voxels = region.iter().filter(|&&m| m).count() as f64;
        let roi = Roi::new(&image.voxels, &region, image.geometry.spacing, &Settings::default()).unwrap();
        let features = compute(&roi, &Settings::default());
        let mut reader = csv::Reader::from_path(dir.join("ibsi/pyradiomics_vs_ibsi_digital_phantom.csv")).unwrap();
        let headers = reader.headers().unwrap().clone();
        let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let (tag, reference, tolerance) = (column("ibsi_tag"), column("reference"), column("tolerance"));
        let feature_name = column("pyradiomics_feature");
        let mut compared = 0;
        for row in reader.records().map(Result::unwrap) {
            let Some(name) = row[feature_name].strip_prefix("original_shape_") else {
                continue;
            };
            let got = feature(&features, name);
            let ibsi_value = if name.ends_with("AxisLength") {
                got * (voxels / (voxels - 1.0)).sqrt()
            } else {
                got
            };
            let (ibsi, ibsi_tolerance): (f64, f64) = (row[reference].parse().unwrap(), row[tolerance].parse().unwrap());
            assert!(
                (ibsi_value - ibsi).abs() <= ibsi_tolerance,
                "{name} ({}): {ibsi_value} vs IBSI {ibsi} ± {ibsi_tolerance}",
                &row[tag]
            );
            compared += 1;
        }
        // Volume, approximate volume, area, A/V, sphericity, 3-D diameter, 3 axes, elongation, flatness;
        // the CSV lists volume and approximate volume twice.
        assert!(compared >= 11, "only {compared} shape rows compared");
    }

    fn read_json(path: &Path) -> serde_json::Value {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
}
