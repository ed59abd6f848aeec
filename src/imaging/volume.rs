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
    /// The scalar type SimpleITK would hold these voxels in. Values are always widened to `T`, but
    /// resampling stores its result in this type (an integer image is truncated), so numbers only
    /// match PyRadiomics' when it is known.
    pub pixel_type: PixelType,
}

impl<T> Volume<T> {
    /// A volume whose values are genuinely `f64`-precise (computed, not read from a file).
    pub fn new(geometry: Geometry, voxels: Array3<T>) -> Volume<T> {
        Volume {
            geometry,
            voxels,
            pixel_type: PixelType::F64,
        }
    }
}

/// Scalar pixel types of the files radscore reads (ITK's component types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PixelType {
    /// Signed 8-bit.
    I8,
    /// Unsigned 8-bit.
    U8,
    /// Signed 16-bit.
    I16,
    /// Unsigned 16-bit.
    U16,
    /// Signed 32-bit.
    I32,
    /// Unsigned 32-bit.
    U32,
    /// Signed 64-bit.
    I64,
    /// Unsigned 64-bit.
    U64,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
}

impl PixelType {
    /// Smallest and largest value of an integer type; `None` for floats.
    pub fn integer_range(self) -> Option<(f64, f64)> {
        Some(match self {
            PixelType::I8 => (i8::MIN.into(), i8::MAX.into()),
            PixelType::U8 => (0.0, u8::MAX.into()),
            PixelType::I16 => (i16::MIN.into(), i16::MAX.into()),
            PixelType::U16 => (0.0, u16::MAX.into()),
            PixelType::I32 => (i32::MIN.into(), i32::MAX.into()),
            PixelType::U32 => (0.0, u32::MAX.into()),
            PixelType::I64 => (i64::MIN as f64, i64::MAX as f64),
            PixelType::U64 => (0.0, u64::MAX as f64),
            PixelType::F32 | PixelType::F64 => return None,
        })
    }
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
