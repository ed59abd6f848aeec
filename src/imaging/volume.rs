//! The one in-memory volume type every layer shares.

use ndarray::Array3;
use serde::Serialize;

/// Physical placement of a voxel grid, in ITK's LPS world convention.
///
/// Every vector is in (x, y, z) order — the order ITK, SimpleITK and PyRadiomics report — while
/// [`Volume::voxels`] is indexed `[z, y, x]` like the numpy array SimpleITK returns, so texture
/// kernels walk the same neighbour order as PyRadiomics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Geometry {
    /// Number of voxels along x, y, z.
    pub size: [usize; 3],
    /// Distance between voxel centres along each axis, mm.
    pub spacing: [f64; 3],
    /// LPS position of the centre of voxel (0, 0, 0), mm.
    pub origin: [f64; 3],
    /// Row-major 3×3 matrix whose column `c` is the LPS unit vector of index axis `c`.
    pub direction: [f64; 9],
}

impl Geometry {
    /// LPS position of the centre of the voxel at index (i, j, k) = (x, y, z).
    pub fn index_to_physical(&self, index: [f64; 3]) -> [f64; 3] {
        let mut p = self.origin;
        for (r, pr) in p.iter_mut().enumerate() {
            for (c, i) in index.iter().enumerate() {
                *pr += self.direction[r * 3 + c] * self.spacing[c] * i;
            }
        }
        p
    }

    /// Number of voxels in the grid.
    pub fn voxel_count(&self) -> usize {
        self.size.iter().product()
    }
}

/// A 3-D voxel array with its geometry. Images are `Volume<f64>`, label masks `Volume<i32>`.
#[derive(Debug, Clone)]
pub struct Volume<T> {
    /// Where the grid sits in the patient.
    pub geometry: Geometry,
    /// Voxel values indexed `[z, y, x]`; shape is `(size[2], size[1], size[0])`.
    pub voxels: Array3<T>,
}

impl std::fmt::Display for Geometry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{{size {:?}, spacing {:?}, origin {:?}, direction {:?}}}",
            self.size, self.spacing, self.origin, self.direction
        )
    }
}
