//! The one in-memory volume type every layer shares.

use std::ops::Range;

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

    /// `region` (`[z, y, x]` index ranges) when it lies inside the grid; the whole grid for `None`.
    pub fn block(&self, region: Option<&[Range<usize>; 3]>) -> Option<[Range<usize>; 3]> {
        let [nx, ny, nz] = self.size;
        match region {
            Some(r) => (r[0].end <= nz && r[1].end <= ny && r[2].end <= nx).then(|| r.clone()),
            None => Some([0..nz, 0..ny, 0..nx]),
        }
    }

    /// The grid of the block `region` (`[z, y, x]`) of this grid: its origin moved to the block's
    /// first voxel.
    pub fn cropped(&self, region: &[Range<usize>; 3]) -> Geometry {
        let [z, y, x] = region;
        Geometry {
            size: [x.len(), y.len(), z.len()],
            origin: self.index_to_physical([x.start as f64, y.start as f64, z.start as f64]),
            ..self.clone()
        }
    }
}

/// Where a block of an image, read on its own, lies in the whole image: what resampling needs to map
/// points into the whole image's index space, so that the block gives exactly the whole image's
/// values (a block's own origin is the whole image's moved by a rounded product).
#[derive(Debug, Clone, PartialEq)]
pub struct BlockPlacement {
    /// The whole image's grid.
    pub whole: Geometry,
    /// `[z, y, x]` index of the block's first voxel in the whole image.
    pub start: [usize; 3],
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

    /// The block `region` (`[z, y, x]` ranges) of this volume, its origin moved to the block's first
    /// voxel.
    pub fn cropped(&self, region: &[Range<usize>; 3]) -> Volume<T>
    where
        T: Clone,
    {
        let [z, y, x] = region.clone();
        Volume {
            geometry: self.geometry.cropped(region),
            voxels: self.voxels.slice(ndarray::s![z, y, x]).to_owned(),
            pixel_type: self.pixel_type,
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
