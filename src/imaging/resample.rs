//! Resampling image and mask onto a new spacing exactly as PyRadiomics' `imageoperations.resampleImage`
//! does with SimpleITK's `ResampleImageFilter`: the new grid covers only the mask's bounding box padded
//! by `padDistance` voxels and keeps the mask's direction; the image is interpolated (B-spline of order
//! 3, linear or nearest neighbour, as ITK computes them) and the mask always nearest neighbour.

use std::ops::Range;

use multiversion::multiversion;
use ndarray::{Array2, Array3, ArrayBase, Axis, Data, Ix3, Zip, s};

use super::{BlockPlacement, Geometry, ImagingError, LabelExtent, Volume, map_lines_along};

/// `interpolator` values PyRadiomics accepts that radscore implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interpolator {
    /// `sitkNearestNeighbor`.
    NearestNeighbor,
    /// `sitkLinear`.
    Linear,
    /// `sitkBSpline`: cubic B-spline with mirror boundaries (ITK's default spline order 3).
    BSpline,
}

/// How the interpolated value is stored: SimpleITK resamples into the input's pixel type, so an
/// integer image is clamped to its range and truncated toward zero (`static_cast`), a float32 image
/// rounded to float32.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OutputCast {
    /// Integer pixel type with its range.
    Integer {
        /// Smallest representable value.
        min: f64,
        /// Largest representable value.
        max: f64,
    },
    /// 32-bit float pixels.
    Float32,
    /// 64-bit float pixels (no change).
    Float64,
}

impl OutputCast {
    /// How SimpleITK stores a resampled image of `pixel_type` (the input's type).
    pub fn for_pixel_type(pixel_type: super::PixelType) -> OutputCast {
        match pixel_type.integer_range() {
            Some((min, max)) => OutputCast::Integer { min, max },
            None if pixel_type == super::PixelType::F32 => OutputCast::Float32,
            None => OutputCast::Float64,
        }
    }

    /// Stores `v` as this pixel type does.
    pub fn apply(self, v: f64) -> f64 {
        match self {
            OutputCast::Integer { min, max } => v.clamp(min, max).trunc(),
            OutputCast::Float32 => f64::from(v as f32),
            OutputCast::Float64 => v,
        }
    }
}

/// The output grid PyRadiomics chooses: mask bounding box of `label`, padded by `pad_distance`
/// voxels of the new spacing, clipped to the image, with the new origin tied to that corner; once
/// [`check_region_inside`] has accepted the region on `image`. Both from the label's box alone
/// ([`LabelExtent`]), which a label file gives without its voxels being held.
///
/// `spacing` entries of 0 keep the mask's spacing; an axis along which the region spans one voxel is
/// never resampled.
pub fn roi_resampling_grid(
    image: &Geometry,
    mask: &LabelExtent,
    label: i32,
    spacing: [f64; 3],
    pad_distance: f64,
) -> Result<Geometry, ImagingError> {
    let (lo, size) = label_box(mask, label)?;
    check_box_inside(image, &mask.geometry, lo, size, label)?;
    Ok(grid_around(&mask.geometry, lo, size, spacing, pad_distance))
}

/// The grid of [`roi_resampling_grid`] around the label's box (`lo`, `size`, (x, y, z)) on `g`.
fn grid_around(g: &Geometry, lo: [usize; 3], size: [usize; 3], spacing: [f64; 3], pad_distance: f64) -> Geometry {
    let mut new_spacing = [0.0; 3];
    let mut lower = [0.0; 3];
    let mut new_size = [0usize; 3];
    let mut origin_index = [0.0; 3];
    for a in 0..3 {
        let requested = if spacing[a] == 0.0 { g.spacing[a] } else { spacing[a] };
        new_spacing[a] = if size[a] != 1 { requested } else { g.spacing[a] };
        let ratio = g.spacing[a] / new_spacing[a];
        let lo_a = lo[a] as f64;
        let mut l = ((lo_a - 0.5) * ratio - pad_distance).floor();
        let mut u = ((lo_a + size[a] as f64 - 0.5) * ratio + pad_distance).ceil();
        let max_u = (g.size[a] as f64 * ratio).ceil() - 1.0;
        if l < 0.0 {
            l = 0.0;
        }
        if u > max_u {
            u = max_u;
        }
        lower[a] = l;
        new_size[a] = (u - l + 1.0) as usize;
        // Voxel centres: the new grid's voxel 0 starts at the same corner as the old voxel 0.
        origin_index[a] = 0.5 * (new_spacing[a] - g.spacing[a]) / g.spacing[a] + l / ratio;
    }
    Geometry {
        size: new_size,
        spacing: new_spacing,
        origin: continuous_index_to_physical(g, origin_index),
        direction: g.direction,
    }
}

/// ITK's `TransformContinuousIndexToPhysicalPoint` (PyRadiomics places the new origin with it): the
/// matrix terms summed first, the origin added last — not the integer-index variant's order.
fn continuous_index_to_physical(g: &Geometry, index: [f64; 3]) -> [f64; 3] {
    std::array::from_fn(|r| {
        let mut sum = 0.0;
        for (c, i) in index.iter().enumerate() {
            sum += g.direction[r * 3 + c] * g.spacing[c] * i;
        }
        sum + g.origin[r]
    })
}

/// Resamples `image` onto `grid` with `interpolator`, storing values in the image's pixel type as
/// SimpleITK does ([`OutputCast::for_pixel_type`]); points outside the image become 0 (ITK's default
/// pixel value). `block` says where `image` lies when it is only a block of the image read on its own
/// (it must hold [`resampling_support`]); points are then mapped into the whole image's index space
/// and shifted, so the values are exactly those of resampling the whole image.
pub fn resample_image(
    image: &Volume<f64>,
    block: Option<&BlockPlacement>,
    grid: &Geometry,
    interpolator: Interpolator,
) -> Volume<f64> {
    let cast = OutputCast::for_pixel_type(image.pixel_type);
    let samples = Samples::new(&image.voxels, &image.geometry, block);
    let points = GridPoints::new(grid, &PhysicalToIndex::new(samples.grid));
    let voxels = match interpolator {
        Interpolator::NearestNeighbor => interpolate_points(&points, cast, |[c]| [nearest(&samples, c)]),
        Interpolator::Linear => interpolate_points(&points, cast, |[c]| [linear(&samples, c)]),
        Interpolator::BSpline => {
            let spline = CubicSpline::covering(&samples, &points);
            interpolate_points(&points, cast, |cs: [[f64; 3]; 4]| spline.evaluate_chunk(cs))
        }
    };
    let [nx, ny, nz] = grid.size;
    debug_assert_eq!(voxels.dim(), (nz, ny, nx));
    Volume {
        geometry: grid.clone(),
        voxels,
        pixel_type: image.pixel_type,
    }
}

/// `values` at every point, `N` points at a time (0 where a point has none, outside the image),
/// stored as `cast` says.
fn interpolate_points<const N: usize>(
    points: &GridPoints,
    cast: OutputCast,
    values: impl Fn([[f64; 3]; N]) -> [Option<f64>; N] + Sync,
) -> Array3<f64> {
    points.map_collect_chunks(|cs| values(cs).map(|v| cast.apply(v.unwrap_or(0.0))))
}

/// The block (`[z, y, x]` ranges) of an image on `image` that resampling onto `grid` reads, with any
/// interpolator: the B-spline's, the widest; `None` when no point of `grid` falls inside the image.
pub fn resampling_support(image: &Geometry, grid: &Geometry) -> Option<[Range<usize>; 3]> {
    support_block(image, grid, SPLINE_MARGIN)
}

/// The block (`[z, y, x]` ranges) of a label mask on `mask` that [`resample_labels`] onto `grid`
/// reads: nearest neighbour needs no prefilter margin, so it is far smaller than
/// [`resampling_support`]'s; `None` when no point of `grid` falls inside the mask.
pub fn nearest_support(mask: &Geometry, grid: &Geometry) -> Option<[Range<usize>; 3]> {
    support_block(mask, grid, 0)
}

/// The B-spline's reach around the points of `grid` inside `image`, widened by `margin` voxels.
fn support_block(image: &Geometry, grid: &Geometry, margin: usize) -> Option<[Range<usize>; 3]> {
    let points = GridPoints::new(grid, &PhysicalToIndex::new(image));
    let [x, y, z] = spline_block(inside_extent(&points, image.size)?, image.size, margin);
    Some([z, y, x])
}

/// Resamples a label mask onto `grid` by nearest neighbour (PyRadiomics hard-codes it for masks).
/// `block` says where `mask` lies when it is only a block of the mask (it must hold
/// [`nearest_support`]), as for [`resample_image`].
pub fn resample_labels(mask: &Volume<i32>, block: Option<&BlockPlacement>, grid: &Geometry) -> Volume<i32> {
    let samples = Samples::new(&mask.voxels, &mask.geometry, block);
    let points = GridPoints::new(grid, &PhysicalToIndex::new(samples.grid));
    Volume {
        geometry: grid.clone(),
        voxels: points.map_collect(|c| nearest(&samples, c).unwrap_or(0)),
        pixel_type: mask.pixel_type,
    }
}

/// The voxels an interpolator reads: `data`, the block starting at `start` (`[z, y, x]`) of an image
/// on `grid`.
struct Samples<'a, T> {
    data: &'a Array3<T>,
    start: [usize; 3],
    grid: &'a Geometry,
}

impl<'a, T: Copy> Samples<'a, T> {
    /// `data` on `geometry`, or the block `block` says it is.
    fn new(data: &'a Array3<T>, geometry: &'a Geometry, block: Option<&'a BlockPlacement>) -> Self {
        match block {
            Some(b) => Samples {
                data,
                start: b.start,
                grid: &b.whole,
            },
            None => Samples {
                data,
                start: [0; 3],
                grid: geometry,
            },
        }
    }

    /// The whole image's `(nz, ny, nx)`.
    fn dims(&self) -> (usize, usize, usize) {
        let [nx, ny, nz] = self.grid.size;
        (nz, ny, nx)
    }

    /// Voxel `[z, y, x]` of the whole image.
    fn at(&self, z: usize, y: usize, x: usize) -> T {
        self.data[[z - self.start[0], y - self.start[1], x - self.start[2]]]
    }
}

/// PyRadiomics `_checkROI`: the bounding box of `label` in `mask`, taken to its outer voxel faces,
/// must lie inside `image`'s grid (from −0.5 to size − 0.5 in image index coordinates, with a
/// tolerance of 1e-3) — PyRadiomics checks the box's two opposite corners only.
pub fn check_region_inside(image: &Geometry, mask: &Volume<i32>, label: i32) -> Result<(), ImagingError> {
    let (lo, size) = label_box(&LabelExtent::located(mask, None, label)?, label)?;
    check_box_inside(image, &mask.geometry, lo, size, label)
}

/// [`check_region_inside`] for the label's box (`lo`, `size`, (x, y, z)) on the mask grid `g`.
fn check_box_inside(
    image: &Geometry,
    g: &Geometry,
    lo: [usize; 3],
    size: [usize; 3],
    label: i32,
) -> Result<(), ImagingError> {
    const TOLERANCE: f64 = 1e-3;
    let to_index = PhysicalToIndex::new(image);
    let corner = |offset: [f64; 3]| {
        let index: [f64; 3] = std::array::from_fn(|a| lo[a] as f64 + offset[a] - 0.5);
        to_index.apply(continuous_index_to_physical(g, index))
    };
    let (a, b) = (corner([0.0; 3]), corner(size.map(|n| n as f64)));
    let lower: [f64; 3] = std::array::from_fn(|i| a[i].min(b[i]));
    let upper: [f64; 3] = std::array::from_fn(|i| a[i].max(b[i]));
    let outside = (0..3).any(|i| lower[i] < -0.5 - TOLERANCE || upper[i] > image.size[i] as f64 - 0.5 + TOLERANCE);
    if outside {
        return Err(ImagingError::RegionOutsideImage {
            label,
            lower,
            upper,
            size: image.size,
        });
    }
    Ok(())
}

/// PyRadiomics `_correctMask`: a mask on another grid, resampled by nearest neighbour onto
/// `image`'s grid once [`check_region_inside`] accepts it.
pub fn resample_mask_onto(image: &Geometry, mask: &Volume<i32>, label: i32) -> Result<Volume<i32>, ImagingError> {
    check_region_inside(image, mask, label)?;
    Ok(resample_labels(mask, None, image))
}

/// The label's box as (x, y, z) corner and size.
fn label_box(mask: &LabelExtent, label: i32) -> Result<([usize; 3], [usize; 3]), ImagingError> {
    let [z, y, x] = mask.bounds.clone().ok_or(ImagingError::LabelNotFound {
        label,
        present: Vec::new(),
    })?;
    Ok(([x.start, y.start, z.start], [x.len(), y.len(), z.len()]))
}

/// ITK's `TransformPhysicalPointToContinuousIndex`: (D·diag(s))⁻¹ · (p − origin), each row summed
/// in index order.
struct PhysicalToIndex {
    origin: [f64; 3],
    matrix: [[f64; 3]; 3],
}

impl PhysicalToIndex {
    fn new(g: &Geometry) -> Self {
        let m: [[f64; 3]; 3] = std::array::from_fn(|r| std::array::from_fn(|c| g.direction[r * 3 + c] * g.spacing[c]));
        PhysicalToIndex {
            origin: g.origin,
            matrix: invert3(m),
        }
    }

    fn apply(&self, p: [f64; 3]) -> [f64; 3] {
        let d = [p[0] - self.origin[0], p[1] - self.origin[1], p[2] - self.origin[2]];
        std::array::from_fn(|r| self.matrix[r][0] * d[0] + self.matrix[r][1] * d[1] + self.matrix[r][2] * d[2])
    }
}

/// Inverse of `direction·diag(spacing)`. For an axis-aligned grid (one non-zero per row and
/// column) the inverse is exactly `1/m` on the transposed pattern, which is what vnl's SVD inverse
/// (ITK's `GetInverse`) yields there; ties in nearest-neighbour rounding depend on that last bit.
fn invert3(m: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let nonzero = |r: usize| (0..3).filter(|&c| m[r][c] != 0.0).collect::<Vec<_>>();
    if (0..3).all(|r| nonzero(r).len() == 1) {
        let mut inv = [[0.0; 3]; 3];
        for (r, row) in m.iter().enumerate() {
            let c = nonzero(r)[0];
            inv[c][r] = 1.0 / row[c];
        }
        return inv;
    }
    let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    let c = |r0: usize, c0: usize, r1: usize, c1: usize| m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0];
    [
        [c(1, 1, 2, 2) / det, -c(0, 1, 2, 2) / det, c(0, 1, 1, 2) / det],
        [-c(1, 0, 2, 2) / det, c(0, 0, 2, 2) / det, -c(0, 0, 1, 2) / det],
        [c(1, 0, 2, 1) / det, -c(0, 0, 2, 1) / det, c(0, 0, 1, 1) / det],
    ]
}

/// Continuous input index (x, y, z) of every output voxel centre of a grid, computed the way ITK's
/// `ResampleImageFilter::LinearThreadedGenerateData` (v5.4) does for a linear transform: per output
/// row, the indices of voxel 0 and of voxel `nx` (one past the end), and in between
/// `start + (x / nx)·(end − start)`. Points are computed when read rather than stored (24 bytes per
/// output voxel, and a resampling reads them twice or three times).
struct GridPoints {
    /// `x / nx` for every `x` of a row.
    alphas: Vec<f64>,
    /// Per output row, `[z, y]`: the index of voxel 0 and the step to voxel `nx`.
    rows: Array2<([f64; 3], [f64; 3])>,
}

impl GridPoints {
    fn new(grid: &Geometry, to_index: &PhysicalToIndex) -> Self {
        let [nx, ny, nz] = grid.size;
        let rows = Array2::from_shape_fn((nz, ny), |(k, j)| {
            let start = to_index.apply(grid.index_to_physical([0.0, j as f64, k as f64]));
            let end = to_index.apply(grid.index_to_physical([nx as f64, j as f64, k as f64]));
            (start, [end[0] - start[0], end[1] - start[1], end[2] - start[2]])
        });
        let alphas = (0..nx).map(|i| i as f64 / nx as f64).collect();
        GridPoints { alphas, rows }
    }

    /// The points of one row, in order.
    fn row(&self, &(start, vector): &([f64; 3], [f64; 3])) -> impl DoubleEndedIterator<Item = [f64; 3]> + '_ {
        self.alphas
            .iter()
            .map(move |&alpha| std::array::from_fn(|a| start[a] + alpha * vector[a]))
    }

    /// `value` at every point, in `[z, y, x]` layout; rows are computed in parallel.
    fn map_collect<U: Copy + Default + Send>(&self, value: impl Fn([f64; 3]) -> U + Sync) -> Array3<U> {
        self.map_collect_chunks(|[c]: [[f64; 3]; 1]| [value(c)])
    }

    /// `values` of the points `N` at a time along each row (a row's last chunk padded with copies of
    /// its last point, whose values are dropped), in `[z, y, x]` layout; rows are computed in parallel.
    fn map_collect_chunks<const N: usize, U: Copy + Default + Send>(
        &self,
        values: impl Fn([[f64; 3]; N]) -> [U; N] + Sync,
    ) -> Array3<U> {
        let (nz, ny) = self.rows.dim();
        let mut out = Array3::from_elem((nz, ny, self.alphas.len()), U::default());
        Zip::from(out.rows_mut()).and(&self.rows).par_for_each(|mut out, row| {
            let out = out
                .as_slice_mut()
                .expect("rows of a standard-layout array are contiguous");
            let mut points = self.row(row);
            for chunk in out.chunks_mut(N) {
                let mut cs = [[0.0; 3]; N];
                for k in 0..N {
                    cs[k] = if k < chunk.len() {
                        points.next().expect("a row has one point per output voxel")
                    } else {
                        cs[k - 1]
                    };
                }
                chunk.copy_from_slice(&values(cs)[..chunk.len()]);
            }
        });
        out
    }
}

/// ITK `IsInsideBuffer`: within half a voxel of the first and last voxel centres.
fn inside(c: [f64; 3], dims: (usize, usize, usize)) -> bool {
    let n = [dims.2, dims.1, dims.0];
    (0..3).all(|a| c[a] >= -0.5 && c[a] < n[a] as f64 - 0.5)
}

/// ITK `NearestNeighborInterpolateImageFunction`: round half up.
fn nearest<T: Copy>(samples: &Samples<T>, c: [f64; 3]) -> Option<T> {
    if !inside(c, samples.dims()) {
        return None;
    }
    // c ≥ −0.5 inside, so truncation is the floor (without libm's `floor` call on baseline x86-64).
    let i = |a: usize| (c[a] + 0.5) as usize;
    Some(samples.at(i(2), i(1), i(0)))
}

/// ITK `LinearInterpolateImageFunction` (its optimised 3-D path): the base index clamped to the
/// image; along each axis, in x, y, z order, `a + (b − a)·d` when the distance is positive and the
/// upper neighbour exists, else the lower value alone — the same operations in the same order, so
/// truncation to an integer type agrees with ITK.
fn linear(samples: &Samples<f64>, c: [f64; 3]) -> Option<f64> {
    let dims = samples.dims();
    if !inside(c, dims) {
        return None;
    }
    let n = [dims.2, dims.1, dims.0];
    let mut base = [0usize; 3];
    let mut distance = [0.0; 3];
    let mut steps = [0usize; 3];
    for a in 0..3 {
        let b = c[a].floor().max(0.0);
        base[a] = b as usize;
        distance[a] = c[a] - b;
        steps[a] = usize::from(distance[a] > 0.0 && base[a] + 1 < n[a]);
    }
    let at = |dx: usize, dy: usize, dz: usize| samples.at(base[2] + dz, base[1] + dy, base[0] + dx);
    let lerp = |a: f64, b: f64, d: f64| a + (b - a) * d;
    let along_x = |dy: usize, dz: usize| {
        let v0 = at(0, dy, dz);
        if steps[0] == 1 {
            lerp(v0, at(1, dy, dz), distance[0])
        } else {
            v0
        }
    };
    let along_xy = |dz: usize| {
        let v0 = along_x(0, dz);
        if steps[1] == 1 {
            lerp(v0, along_x(1, dz), distance[1])
        } else {
            v0
        }
    };
    let v0 = along_xy(0);
    Some(if steps[2] == 1 {
        lerp(v0, along_xy(1), distance[2])
    } else {
        v0
    })
}

/// Cubic B-spline coefficients of the part of an image that interpolation can reach
/// (ITK `BSplineDecompositionImageFilter` + `BSplineInterpolateImageFunction`, order 3, mirror
/// boundaries).
///
/// Why a block rather than the whole image: the prefilter is an IIR filter with pole √3 − 2, so a
/// sample's influence decays as 0.268ⁿ; [`SPLINE_MARGIN`] voxels beyond the reachable region it is
/// below 1e-20 of the data. Cropping with that margin gives ITK's coefficients to round-off while
/// never prefiltering the whole (often 10⁷-voxel) image.
struct CubicSpline {
    /// `[z, y, x]` offset of the block in the image.
    offset: [usize; 3],
    /// Image size `(nx, ny, nz)`, for the mirror boundary.
    size: [usize; 3],
    coefficients: Array3<f64>,
}

const SPLINE_MARGIN: usize = 40;
const TOLERANCE: f64 = 1e-10;

/// The cubic B-spline pole √3 − 2, computed as ITK computes it so round-off matches.
fn pole() -> f64 {
    3f64.sqrt() - 2.0
}

impl CubicSpline {
    fn covering(samples: &Samples<f64>, points: &GridPoints) -> CubicSpline {
        let size = samples.grid.size;
        let extent = inside_extent(points, size);
        let [x, y, z] = extent.map_or_else(Default::default, |e| spline_block(e, size, SPLINE_MARGIN));
        let block = [z, y, x];
        let [x, y, z] = extent.map_or_else(Default::default, |e| spline_block(e, size, 0));
        let reach = [z, y, x];
        let local = |a: usize| block[a].start - samples.start[a]..block[a].end - samples.start[a];
        let kept = |a: usize| reach[a].start - block[a].start..reach[a].end - block[a].start;
        // ITK filters x, then y, then z. A line along one axis needs only its own samples, so after
        // each pass only the part the evaluation reads along that axis is kept for the next
        // passes: the same coefficients there, at a fraction of the work.
        let block_samples = samples.data.slice(s![local(0), local(1), local(2)]);
        let along_x = prefilter_axis(&block_samples, Axis(2), size[0], kept(2));
        let along_y = prefilter_axis(&along_x, Axis(1), size[1], kept(1));
        let coefficients = prefilter_axis(&along_y, Axis(0), size[2], kept(0));
        CubicSpline {
            offset: reach.map(|r| r.start),
            size,
            coefficients,
        }
    }

    /// The interpolant at `N` points at once (`None` outside the image): each point's 64 terms are
    /// summed in ITK's order, and the `N` sums are independent, so the CPU overlaps them instead of
    /// waiting on one addition after another. The same values as one point at a time.
    fn evaluate_chunk<const N: usize>(&self, cs: [[f64; 3]; N]) -> [Option<f64>; N] {
        let inside = cs.map(|c| (0..3).all(|a| c[a] >= -0.5 && c[a] < self.size[a] as f64 - 0.5));
        // Per point and axis, the four weights and the coefficients' offsets in the block (`[z, y, x]`
        // strides applied), so the 64 terms below are plain loads. A point outside keeps zero
        // weights and offsets: its sum is computed and dropped.
        let strides = self.coefficients.strides();
        let data = self
            .coefficients
            .as_slice()
            .expect("coefficients are a standard-layout block");
        let mut offsets = [[[0usize; 4]; 3]; N];
        let mut weights = [[[0.0; 4]; 3]; N];
        for p in (0..N).filter(|&p| inside[p]) {
            for a in 0..3 {
                // Along a row of an axis-aligned grid only x changes: the same index, the same weights.
                if p > 0 && inside[p - 1] && cs[p][a] == cs[p - 1][a] {
                    weights[p][a] = weights[p - 1][a];
                    offsets[p][a] = offsets[p - 1][a];
                    continue;
                }
                // ITK floors the index as float before subtracting splineOrder / 2.
                let first = floor_f32(cs[p][a] as f32) - 1;
                let w = cs[p][a] - (first + 1) as f64;
                // ITK's operation order, so results match it to the last bit where possible.
                let w3 = (1.0 / 6.0) * w * w * w;
                let w0 = 1.0 / 6.0 + 0.5 * w * (w - 1.0) - w3;
                let w2 = w + w0 - 2.0 * w3;
                let w1 = 1.0 - w0 - w2 - w3;
                weights[p][a] = [w0, w1, w2, w3];
                let block_axis = 2 - a;
                offsets[p][a] = std::array::from_fn(|k| {
                    (mirror(first + k as i64, self.size[a]) - self.offset[block_axis]) * strides[block_axis] as usize
                });
            }
        }
        // ITK's weight is wx·wy·wz, multiplied in that order: wx·wy is the same product for every z.
        // Point-minor layouts, so that the N points' weights of a term are side by side.
        let wxy: [[[f64; N]; 4]; 4] = std::array::from_fn(|y| {
            std::array::from_fn(|x| std::array::from_fn(|p| weights[p][0][x] * weights[p][1][y]))
        });
        let wz = std::array::from_fn(|z| std::array::from_fn(|p| weights[p][2][z]));
        let values = spline_sums(data, &offsets, &wxy, &wz);
        std::array::from_fn(|p| inside[p].then_some(values[p]))
    }
}

/// The 64 terms `wx·wy · wz · c` of each of `N` points, summed in ITK's order (z, then y, then x
/// outermost to innermost), the points side by side. Also compiled for AVX, chosen at run time:
/// the `N` sums are then lanes of one vector, with the same values (Rust never fuses `a * b + c`).
#[multiversion(targets("x86_64+avx"))]
fn spline_sums<const N: usize>(
    data: &[f64],
    offsets: &[[[usize; 4]; 3]; N],
    wxy: &[[[f64; N]; 4]; 4],
    wz: &[[f64; N]; 4],
) -> [f64; N] {
    let mut values = [0.0; N];
    for z in 0..4 {
        for y in 0..4 {
            let rows: [usize; N] = std::array::from_fn(|p| offsets[p][2][z] + offsets[p][1][y]);
            for x in 0..4 {
                let c: [f64; N] = std::array::from_fn(|p| data[rows[p] + offsets[p][0][x]]);
                for p in 0..N {
                    values[p] += wxy[y][x][p] * wz[z][p] * c[p];
                }
            }
        }
    }
    values
}

/// `v.floor()` as an integer, for |v| < 2⁶³, without libm's `floorf` call (baseline x86-64 has no
/// rounding instruction).
fn floor_f32(v: f32) -> i64 {
    let truncated = v as i64;
    truncated - i64::from((truncated as f32) > v)
}

/// ITK's mirror boundary for spline indices: reflect about the first and last sample.
fn mirror(i: i64, n: usize) -> usize {
    if (0..n as i64).contains(&i) {
        return i as usize;
    }
    if n == 1 {
        return 0;
    }
    let period = 2 * n as i64 - 2;
    let mut j = if i < 0 {
        -i - period * (-i / period)
    } else {
        i - period * (i / period)
    };
    if j >= n as i64 {
        j = period - j;
    }
    j as usize
}

/// The smallest and largest `(x, y, z)` index of the points inside an image of `size` (ITK's
/// `IsInsideBuffer`); `None` when no point is inside.
///
/// Along a row each coordinate `start + α·step` is monotone in `α` (rounding is monotone), so a row
/// whose two end points are inside the (box-shaped) image lies inside with its extremes at its
/// ends: only rows that leave the image are walked point by point.
fn inside_extent(points: &GridPoints, size: [usize; 3]) -> Option<([f64; 3], [f64; 3])> {
    let dims = (size[2], size[1], size[0]);
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    let mut extend = |c: [f64; 3]| {
        for a in 0..3 {
            lo[a] = lo[a].min(c[a]);
            hi[a] = hi[a].max(c[a]);
        }
    };
    for row in &points.rows {
        let mut row_points = points.row(row);
        let Some(first) = row_points.next() else { continue };
        let last = row_points.next_back().unwrap_or(first);
        if inside(first, dims) && inside(last, dims) {
            extend(first);
            extend(last);
        } else {
            points.row(row).filter(|&c| inside(c, dims)).for_each(&mut extend);
        }
    }
    lo[0].is_finite().then_some((lo, hi))
}

/// The `(x, y, z)` index ranges of an image of `size` that cubic B-spline interpolation at points
/// within `(lo, hi)` ([`inside_extent`]) reads, widened by `margin`: with [`SPLINE_MARGIN`], the
/// block the prefilter must see, since the mirror boundary only exists at the image's real edges
/// and a block edge inside the image must stay that far from any index evaluation can reach.
fn spline_block((lo, hi): ([f64; 3], [f64; 3]), size: [usize; 3], margin: usize) -> [Range<usize>; 3] {
    // Evaluation reads floor(c) − 1 … floor(c) + 2, with the floor taken in f32 (one more when
    // rounding to f32 carries c up to the next integer); mirrored indices at the image's edges
    // fall inside these ranges too.
    std::array::from_fn(|a| {
        let start = (lo[a].floor() as i64 - 2 - margin as i64).max(0) as usize;
        let end = ((hi[a].floor() as i64 + 4 + margin as i64) as usize).min(size[a]);
        start..end
    })
}

/// Cubic B-spline prefilter of every line along `axis` (Unser 1999, Box 2, as ITK codes it), lines
/// in interleaved blocks ([`map_lines_along`]) with each line's operations in ITK's order; of the
/// result, the `kept` range along `axis`. `real_length` is the image's length along the axis: a
/// block line shorter than it starts or ends inside the image, where the mirror initialisation is
/// only an approximation that decays away.
fn prefilter_axis<S: Data<Elem = f64>>(
    block: &ArrayBase<S, Ix3>,
    axis: Axis,
    real_length: usize,
    kept: Range<usize>,
) -> Array3<f64> {
    let n = block.len_of(axis);
    if real_length == 1 || n < 2 {
        return block.slice_axis(axis, kept.into()).to_owned();
    }
    let pole = pole();
    let gain = (1.0 - pole) * (1.0 - 1.0 / pole);
    let horizon = (TOLERANCE.ln() / pole.abs().ln()).ceil() as usize;
    map_lines_along(
        block,
        axis,
        kept,
        |v| v,
        |(first, line): &mut (Vec<f64>, Vec<f64>), data, out, w, kept| {
            // Sample i of line k is `line[i * w + k]`: each step below runs over the block's lines.
            line.clear();
            line.extend(data.iter().map(|&v| v * gain));
            first.clear();
            first.extend((0..w).map(|k| {
                let x = |i: usize| line[i * w + k];
                if horizon < n {
                    let mut zn = pole;
                    let mut sum = x(0);
                    for i in 1..horizon {
                        sum += zn * x(i);
                        zn *= pole;
                    }
                    sum
                } else {
                    let iz = 1.0 / pole;
                    let mut zn = pole;
                    let mut z2n = pole.powi(n as i32 - 1);
                    let mut sum = x(0) + z2n * x(n - 1);
                    // ITK writes `z2n *= z2n * iz`: z^(2n−3), kept in that operation order.
                    z2n = z2n * (z2n * iz);
                    for i in 1..=n - 2 {
                        sum += (zn + z2n) * x(i);
                        zn *= pole;
                        z2n *= iz;
                    }
                    sum / (1.0 - zn * zn)
                }
            }));
            line[..w].copy_from_slice(first);
            for i in 1..n {
                let (before, rest) = line.split_at_mut(i * w);
                for (x, &previous) in rest[..w].iter_mut().zip(&before[(i - 1) * w..]) {
                    *x += pole * previous;
                }
            }
            let (before, last) = line.split_at_mut((n - 1) * w);
            for (x, &previous) in last.iter_mut().zip(&before[(n - 2) * w..]) {
                *x = (pole / (pole * pole - 1.0)) * (pole * previous + *x);
            }
            // The anti-causal recursion runs down from the end, so it can stop at the first kept sample.
            for i in (kept.start..n - 1).rev() {
                let (head, next) = line.split_at_mut((i + 1) * w);
                for (x, &following) in head[i * w..].iter_mut().zip(&next[..w]) {
                    *x = pole * (following - *x);
                }
            }
            out.copy_from_slice(&line[kept.start * w..kept.end * w]);
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imaging::{read_image, read_labels};

    fn unit_grid(size: [usize; 3]) -> Geometry {
        Geometry {
            size,
            spacing: [1.0; 3],
            origin: [0.0; 3],
            direction: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        }
    }

    #[test]
    fn the_inside_extent_from_row_ends_is_that_of_every_point() {
        let image = unit_grid([8, 7, 6]);
        let (cos, sin) = (0.6, 0.8);
        let grids = [
            unit_grid([8, 7, 6]),
            // Sticking out on the low side along x and z, on the high side along y.
            Geometry {
                size: [12, 9, 8],
                spacing: [0.9, 0.8, 1.1],
                origin: [-1.3, 0.4, -0.6],
                ..unit_grid([1, 1, 1])
            },
            // Rotated about z: rows leave the image through its sides.
            Geometry {
                size: [10, 10, 5],
                origin: [3.2, -2.0, 1.0],
                direction: [cos, -sin, 0.0, sin, cos, 0.0, 0.0, 0.0, 1.0],
                ..unit_grid([1, 1, 1])
            },
            // Wholly outside.
            Geometry {
                origin: [20.0, 0.0, 0.0],
                ..unit_grid([3, 3, 3])
            },
        ];
        for grid in grids {
            let points = GridPoints::new(&grid, &PhysicalToIndex::new(&image));
            let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
            let every_point = points.rows.iter().flat_map(|row| points.row(row));
            for c in every_point.filter(|&c| inside(c, (6, 7, 8))) {
                for a in 0..3 {
                    lo[a] = lo[a].min(c[a]);
                    hi[a] = hi[a].max(c[a]);
                }
            }
            let want = lo[0].is_finite().then_some((lo, hi));
            assert_eq!(inside_extent(&points, image.size), want, "{grid:?}");
        }
    }

    #[test]
    fn a_region_may_reach_the_image_edge_within_a_thousandth_of_a_voxel() {
        let image = unit_grid([4, 4, 4]);
        // Label 1 on the last x column: its outer face lies at index 3.5, the image's edge.
        let labels = Array3::from_shape_fn((4, 4, 4), |(_, _, x)| i32::from(x == 3));
        let mut mask = Volume::new(image.clone(), labels);
        assert!(check_region_inside(&image, &mask, 1).is_ok());
        mask.geometry.origin[0] = 0.0009;
        assert!(check_region_inside(&image, &mask, 1).is_ok());
        mask.geometry.origin[0] = 0.002;
        let err = check_region_inside(&image, &mask, 1).unwrap_err();
        assert!(
            matches!(err, ImagingError::RegionOutsideImage { upper, .. } if (upper[0] - 3.502).abs() < 1e-12),
            "{err}"
        );
        assert!(matches!(
            check_region_inside(&image, &mask, 2),
            Err(ImagingError::LabelNotFound { label: 2, .. })
        ));
    }

    #[test]
    fn a_mask_resampled_onto_the_image_keeps_its_labels_at_their_positions() {
        let image = unit_grid([4, 4, 4]);
        // A 2×2×2 mask of 2 mm voxels whose first voxel centre lies at image index 0.5.
        let coarse = Geometry {
            size: [2, 2, 2],
            spacing: [2.0; 3],
            origin: [0.5; 3],
            ..image.clone()
        };
        let labels = Array3::from_shape_fn((2, 2, 2), |(z, y, x)| i32::from((z, y, x) == (1, 1, 1)));
        let corrected = resample_mask_onto(&image, &Volume::new(coarse, labels), 1).unwrap();
        assert_eq!(corrected.geometry, image);
        // Image voxels 2 and 3 lie at coarse indices 0.75 and 1.25: both nearest to coarse voxel 1.
        let want = Array3::from_shape_fn((4, 4, 4), |(z, y, x)| i32::from(z >= 2 && y >= 2 && x >= 2));
        assert_eq!(corrected.voxels, want);
    }

    fn reference_cases() -> Option<std::path::PathBuf> {
        crate::test_support::reference_dir().map(|dir| dir.join("cases"))
    }

    fn cast_for(pixel_type: &str) -> OutputCast {
        match pixel_type {
            "16-bit signed integer" => OutputCast::Integer {
                min: -32768.0,
                max: 32767.0,
            },
            "16-bit unsigned integer" => OutputCast::Integer { min: 0.0, max: 65535.0 },
            "32-bit float" => OutputCast::Float32,
            other => panic!("fixture pixel type {other} not mapped"),
        }
    }

    /// PyRadiomics `resampleImage` (SimpleITK 2.5.7) on reference cases, frozen by
    /// scripts/reference/resample_fixtures.py: grid within 1e-9, mask identical, integer images
    /// identical (they are truncated, so this needs ITK's operation order: a value interpolated as
    /// 99.9999999 instead of 100.0000001 would be a level off) and float images to round-off (1e-12 relative; measured: identical).
    #[test]
    fn resampling_matches_pyradiomics_grid_mask_and_intensities() {
        let Some(cases) = reference_cases() else { return };
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/filters/resample.json"
        ))
        .unwrap();
        let fixture: serde_json::Value = serde_json::from_str(&text).unwrap();
        let floats =
            |v: &serde_json::Value| -> Vec<f64> { v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect() };
        let mut report = Vec::new();
        let mut smaller_blocks = 0;
        for case in fixture["cases"].as_array().unwrap() {
            let name = case["case"].as_str().unwrap();
            let label = format!("{name} {} {:?}", case["interpolator"], case["spacing"]);
            let image = read_image(&cases.join(format!("{name}_image.nii.gz")), name).unwrap();
            let mask = read_labels(&cases.join(format!("{name}_label.nii.gz")), name).unwrap();
            let spacing: [f64; 3] = floats(&case["spacing"]).try_into().unwrap();
            let grid = roi_resampling_grid(&image.geometry, &LabelExtent::of(&mask, 1), 1, spacing, 5.0).unwrap();
            let want_size: Vec<usize> = case["size"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as usize)
                .collect();
            assert_eq!(grid.size.to_vec(), want_size, "{label}: size");
            for (what, got, want) in [
                ("spacing", grid.spacing.to_vec(), floats(&case["new_spacing"])),
                ("origin", grid.origin.to_vec(), floats(&case["origin"])),
            ] {
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).abs() < 1e-9, "{label}: {what} {got:?} != {want:?}");
                }
            }
            let interpolator = match case["interpolator"].as_str().unwrap() {
                "sitkBSpline" => Interpolator::BSpline,
                "sitkLinear" => Interpolator::Linear,
                _ => Interpolator::NearestNeighbor,
            };
            let cast = cast_for(case["pixel_type"].as_str().unwrap());
            assert_eq!(
                OutputCast::for_pixel_type(image.pixel_type),
                cast,
                "{label}: pixel type read from the file"
            );
            let resampled = resample_image(&image, None, &grid, interpolator);
            // Only the block resampling reads, placed in the whole image, gives the same bits.
            let support = resampling_support(&image.geometry, &grid).unwrap();
            if support.iter().zip(image.voxels.shape()).any(|(r, &n)| r.len() < n) {
                smaller_blocks += 1;
            }
            let block = BlockPlacement {
                whole: image.geometry.clone(),
                start: support.clone().map(|r| r.start),
            };
            let from_block = resample_image(&image.cropped(&support), Some(&block), &grid, interpolator);
            assert!(
                from_block
                    .voxels
                    .iter()
                    .zip(&resampled.voxels)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{label}: resampling the block {support:?} differs from resampling the whole image"
            );
            let labels = resample_labels(&mask, None, &grid);
            // The same for the mask's block, as `read_case_region` reads it.
            let mask_support = nearest_support(&mask.geometry, &grid).unwrap();
            let mask_block = BlockPlacement {
                whole: mask.geometry.clone(),
                start: mask_support.clone().map(|r| r.start),
            };
            let from_mask_block = resample_labels(&mask.cropped(&mask_support), Some(&mask_block), &grid);
            assert_eq!(
                from_mask_block.voxels, labels.voxels,
                "{label}: resampling the mask's block {mask_support:?} differs from resampling the whole mask"
            );
            let want_mask: Vec<i32> = case["mask"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_i64().unwrap() as i32)
                .collect();
            assert_eq!(
                labels.voxels.iter().copied().collect::<Vec<_>>(),
                want_mask,
                "{label}: resampled mask differs"
            );
            let want = floats(&case["image"]);
            let (mut off_by_one, mut worst) = (0usize, 0.0f64);
            for (g, w) in resampled.voxels.iter().zip(&want) {
                let diff = (g - w).abs();
                match cast {
                    OutputCast::Integer { .. } => {
                        assert!(diff <= 1.0, "{label}: {g} vs {w}");
                        off_by_one += usize::from(diff > 0.0);
                    }
                    _ => worst = worst.max(diff / w.abs().max(1.0)),
                }
            }
            report.push(format!(
                "{label}: {off_by_one} of {} voxels one level apart, worst float rel diff {worst:.1e}",
                want.len()
            ));
            assert!(worst < 1e-12, "{label}: worst relative difference {worst}");
            assert_eq!(off_by_one, 0, "{label}: {off_by_one} voxels differ by one level");
        }
        eprintln!("{}", report.join("\n"));
        // Small images are read whole (the B-spline's margin covers them); the large ones are not.
        assert!(
            smaller_blocks > 0,
            "no fixture case resamples from less than the whole image"
        );
    }

    /// On a grid aligned with the samples the interpolant reproduces the data, up to round-off: this is
    /// why an aligned resampling of an integer image can flip a level under truncation (SimpleITK's
    /// round-off differs), and why the fixture uses grids that are not aligned.
    #[test]
    fn bspline_reproduces_samples_on_an_aligned_grid() {
        let data = Array3::from_shape_fn((5, 6, 7), |(z, y, x)| ((x * 7 + y * 3 + z * 11) % 13) as f64);
        let grid = unit_grid([7, 6, 5]);
        let points = GridPoints::new(&grid, &PhysicalToIndex::new(&grid));
        let spline = CubicSpline::covering(&Samples::new(&data, &grid, None), &points);
        for ((z, y, x), v) in data.indexed_iter() {
            let [got] = spline.evaluate_chunk([[x as f64, y as f64, z as f64]]);
            let got = got.unwrap();
            assert!((got - v).abs() < 1e-9, "({x},{y},{z}): {got} vs {v}");
        }
    }

    /// Chunks share weights between neighbouring points and pad a row's last chunk: each point must
    /// still get exactly its own value, inside or outside the image.
    #[test]
    fn bspline_points_evaluated_together_get_the_values_of_points_evaluated_alone() {
        let data = Array3::from_shape_fn((6, 7, 8), |(z, y, x)| ((x * 5 + y * 11 + z * 3) % 17) as f64 - 4.0);
        let grid = unit_grid([8, 7, 6]);
        let points = GridPoints::new(&grid, &PhysicalToIndex::new(&grid));
        let spline = CubicSpline::covering(&Samples::new(&data, &grid, None), &points);
        let row = |y: f64, z: f64| -> Vec<[f64; 3]> { (0..10).map(|i| [i as f64 * 0.85 - 0.7, y, z]).collect() };
        for points in [row(2.25, 1.5), row(0.0, 4.9), row(-0.6, 2.0), row(3.1, 5.6)] {
            let alone: Vec<Option<f64>> = points.iter().map(|&c| spline.evaluate_chunk([c])[0]).collect();
            let together: Vec<Option<f64>> = points
                .chunks(4)
                .flat_map(|chunk| {
                    let cs: [[f64; 3]; 4] = std::array::from_fn(|k| chunk[k.min(chunk.len() - 1)]);
                    spline.evaluate_chunk(cs)[..chunk.len()].to_vec()
                })
                .collect();
            // x = −0.7 is outside, the other nine inside, unless y or z is.
            let inside_yz = (0..2).all(|a| points[0][a + 1] >= -0.5 && points[0][a + 1] < [7.0, 6.0][a] - 0.5);
            assert_eq!(
                alone.iter().filter(|v| v.is_some()).count(),
                if inside_yz { 9 } else { 0 }
            );
            assert_eq!(
                together.iter().map(|v| v.map(f64::to_bits)).collect::<Vec<_>>(),
                alone.iter().map(|v| v.map(f64::to_bits)).collect::<Vec<_>>(),
                "{points:?}"
            );
        }
    }

    #[test]
    fn floor_f32_is_the_floor() {
        for v in [
            -2.5f32,
            -2.0,
            -1e-7,
            -0.0,
            0.0,
            1e-7,
            0.5,
            0.999_999_9,
            1.0,
            3.5,
            8_388_607.5,
            16_777_217.0,
        ] {
            assert_eq!(floor_f32(v), v.floor() as i64, "{v}");
        }
    }

    #[test]
    fn mirror_reflects_about_the_edge_samples() {
        let got: Vec<usize> = (-3..8).map(|i| mirror(i, 4)).collect();
        assert_eq!(got, vec![3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1]);
        assert_eq!(mirror(-2, 1), 0);
    }
}
