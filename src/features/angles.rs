//! Neighbour offsets ("angles") for the texture matrices, exactly as PyRadiomics generates them
//! (`cmatrices.c`: `get_angle_count` + `build_angles`, exposed as `_cmatrices.generate_angles`), and
//! [`PaddedRegion`], the neighbour walk every texture class (GLCM, GLRLM, GLSZM, GLDM, NGTDM) runs on.
//!
//! Offsets are `[dz, dy, dx]`, the `[z, y, x]` order of [`Roi`](super::Roi) arrays, so the order in
//! which they are listed (and therefore the order of per-angle matrices) matches PyRadiomics.

use std::ops::Range;
use std::sync::OnceLock;

use multiversion::multiversion;

use super::{Roi, Settings, WeightingNorm};

/// One neighbour offset `[dz, dy, dx]`.
pub type Angle = [i32; 3];

/// PyRadiomics' neighbour offsets for a region of `size` voxels (`[z, y, x]`, the cropped bounding
/// box PyRadiomics passes to its C code).
///
/// An offset is kept when its infinity norm is one of `distances`, it moves less than the region's
/// extent along every axis, and it does not move along `out_of_plane` (PyRadiomics'
/// `force2Ddimension`, `None` for 3-D). Offsets are listed in descending lexicographic order, from
/// `[d, d, d]` down, as `build_angles` enumerates them. Mono-directional lists (`bidirectional =
/// false`, used by GLCM and GLRLM) keep only the first half, i.e. the offsets that are
/// lexicographically positive; bidirectional lists (GLSZM, GLDM, NGTDM) hold each offset and its
/// mirror. Distances below 1 are ignored and repeated distances count once (PyRadiomics rejects
/// the former and would loop on the latter).
pub fn neighbour_angles(
    size: [usize; 3],
    distances: &[u32],
    bidirectional: bool,
    out_of_plane: Option<usize>,
) -> Vec<Angle> {
    let max_distance = distances.iter().copied().max().unwrap_or(0) as i32;
    let fits = |axis: usize, offset: i32| {
        (out_of_plane != Some(axis) || offset == 0) && (offset.unsigned_abs() as usize) < size[axis]
    };
    let mut angles = Vec::new();
    for dz in (-max_distance..=max_distance).rev() {
        for dy in (-max_distance..=max_distance).rev() {
            for dx in (-max_distance..=max_distance).rev() {
                let angle = [dz, dy, dx];
                let norm = angle.iter().map(|o| o.unsigned_abs()).max().unwrap_or(0);
                let valid = norm >= 1 && distances.contains(&norm) && (0..3).all(|axis| fits(axis, angle[axis]));
                if valid && (bidirectional || is_forward(angle)) {
                    angles.push(angle);
                }
            }
        }
    }
    angles
}

/// The angles a texture class uses for `settings`: [`neighbour_angles`] with `force2D` /
/// `force2Ddimension` applied.
pub fn settings_angles(size: [usize; 3], distances: &[u32], bidirectional: bool, settings: &Settings) -> Vec<Angle> {
    let out_of_plane = settings.force_2d.then_some(settings.force_2d_dimension);
    neighbour_angles(size, distances, bidirectional, out_of_plane)
}

/// The length in mm of one step along `angle` under a PyRadiomics `weightingNorm`, `None` for
/// `no_weighting`; `spacing` is in (x, y, z) order, reversed here to the angle's `[z, y, x]` as
/// PyRadiomics does (`GetSpacing()[::-1]`). GLCM weights by `exp(−length²)`, GLRLM by the length.
pub fn step_length(norm: WeightingNorm, angle: Angle, spacing: [f64; 3]) -> Option<f64> {
    let d = [0, 1, 2].map(|k| f64::from(angle[k].unsigned_abs()) * spacing[2 - k]);
    match norm {
        WeightingNorm::Infinity => Some(d.into_iter().fold(0.0, f64::max)),
        WeightingNorm::Euclidean => Some(d.iter().map(|v| v * v).sum::<f64>().sqrt()),
        WeightingNorm::Manhattan => Some(d.iter().sum()),
        WeightingNorm::NoWeighting => None,
    }
}

/// Lexicographically positive: the first non-zero component is positive.
fn is_forward(angle: Angle) -> bool {
    angle.iter().find(|&&o| o != 0).is_some_and(|&o| o > 0)
}

/// A region's grey levels on a grid padded by the largest offset of the angles on every side, so
/// every neighbour of a region voxel has a valid index. Padding and voxels outside the region hold
/// level 0, so "non-zero" is exactly PyRadiomics' "inside the image and in the mask" test and the
/// neighbour walk needs no bounds checks. The texture classes visit only the region's voxels.
///
/// Also the grey levels present, ascending (PyRadiomics `grayLevels`): texture matrices are
/// indexed by present levels only, as PyRadiomics deletes the rows and columns of absent levels,
/// so their size follows the number of distinct levels, not the highest level.
#[derive(Debug, Clone)]
pub struct PaddedRegion {
    levels: Vec<u32>,
    /// Padded indices of the region's voxels in `[z, y, x]` order, PyRadiomics' visiting order.
    voxels: Vec<usize>,
    /// The same voxels as runs of consecutive padded indices.
    runs: Vec<Range<usize>>,
    /// The region's (unpadded) `[z, y, x]` size.
    shape: [usize; 3],
    /// Padding on each side of each axis.
    margin: [usize; 3],
    /// Padded-index strides of the axes.
    strides: [usize; 3],
    /// The levels present in the region, ascending.
    present: Vec<u32>,
    /// By padded index, like `levels`: one more than the row of the voxel's level in `present`, 0
    /// outside the region.
    rows: Vec<u32>,
    /// Each voxel's [`Neighbourhood`], found by the first of GLDM and NGTDM to ask, with the
    /// neighbour steps and dependence tolerance it was found for.
    neighbourhoods: OnceLock<(NeighbourhoodWalk, Vec<Neighbourhood>)>,
}

/// The neighbour steps (padded-index offsets) and the dependence tolerance (`⌊gldm_a⌋`) of a walk.
type NeighbourhoodWalk = (Vec<isize>, u32);

/// What GLDM and NGTDM read of a region voxel's neighbours (both directions of every angle at the
/// `distances`): one walk serves both classes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbourhood {
    /// Neighbours inside the region.
    pub in_region: u32,
    /// The sum of their grey levels.
    pub level_sum: u64,
    /// Those whose level differs from the voxel's by at most `gldm_a` (GLDM's dependence).
    pub dependent: u32,
}

impl PaddedRegion {
    /// Pads `roi`'s grey levels for every texture class under `settings`: by the largest of the
    /// `distances` and 1 on each axis the angles move along. One image type's classes share it.
    pub fn for_texture(roi: &Roi, settings: &Settings) -> PaddedRegion {
        let shape: [usize; 3] = roi.grey_levels.dim().into();
        let mut distances = settings.distances.clone();
        distances.push(1);
        PaddedRegion::new(roi, &settings_angles(shape, &distances, true, settings))
    }

    /// Pads `roi`'s grey levels (0 outside its mask) for walking `angles`.
    pub fn new(roi: &Roi, angles: &[Angle]) -> PaddedRegion {
        let shape: [usize; 3] = roi.grey_levels.dim().into();
        let margin: [usize; 3] = std::array::from_fn(|axis| {
            angles
                .iter()
                .map(|a| a[axis].unsigned_abs() as usize)
                .max()
                .unwrap_or(0)
        });
        let padded: [usize; 3] = std::array::from_fn(|axis| shape[axis] + 2 * margin[axis]);
        let strides = [padded[1] * padded[2], padded[2], 1];
        let mut levels = vec![0u32; padded.iter().product()];
        let mut voxels = Vec::new();
        let grey_levels = roi.grey_levels.as_standard_layout();
        let mask = roi.mask.as_standard_layout();
        let rows = grey_levels
            .as_slice()
            .expect("standard layout")
            .chunks_exact(shape[2].max(1))
            .zip(mask.as_slice().expect("standard layout").chunks_exact(shape[2].max(1)));
        // Row by row (one x line each), the copy without branches: an index triple per voxel
        // costs more than the padding itself.
        for (r, (levels_row, mask_row)) in rows.enumerate() {
            let (z, y) = (r / shape[1], r % shape[1]);
            let start = (z + margin[0]) * strides[0] + (y + margin[1]) * strides[1] + margin[2];
            let padded_row = &mut levels[start..start + shape[2]];
            for ((out, &level), &inside) in padded_row.iter_mut().zip(levels_row).zip(mask_row) {
                *out = if inside { level } else { 0 };
            }
            voxels.extend((0..shape[2]).filter(|&x| mask_row[x]).map(|x| start + x));
        }
        let top = voxels.iter().map(|&v| levels[v]).max().unwrap_or(0) as usize;
        let mut is_present = vec![false; top + 1];
        for &v in &voxels {
            is_present[levels[v] as usize] = true;
        }
        let present: Vec<u32> = (0..=top as u32).filter(|&l| is_present[l as usize]).collect();
        // Region levels are ≥ 1, so entry 0 (outside) stays 0.
        let mut row_plus_one = vec![0u32; top + 1];
        for (row, &level) in present.iter().enumerate() {
            row_plus_one[level as usize] = row as u32 + 1;
        }
        let rows = levels.iter().map(|&l| row_plus_one[l as usize]).collect();
        let runs = voxels
            .chunk_by(|&a, &b| b == a + 1)
            .map(|run| run[0]..run[0] + run.len())
            .collect();
        PaddedRegion {
            levels,
            voxels,
            runs,
            shape,
            margin,
            strides,
            present,
            rows,
            neighbourhoods: OnceLock::new(),
        }
    }

    /// Every region voxel's [`Neighbourhood`], in [`voxels`](Self::voxels) order, under `settings`
    /// (`distances`, `gldm_a`). Found once: GLDM and NGTDM of an image type share their settings.
    ///
    /// # Panics
    /// If called again with other `distances` or `gldm_a` (a programming error: the walk would not
    /// be the one asked for).
    pub fn neighbourhoods(&self, settings: &Settings) -> &[Neighbourhood] {
        let steps = self.steps_for(&settings_angles(self.shape, &settings.distances, true, settings));
        debug_assert!(settings.gldm_a >= 0.0, "gldm_a is checked to be ≥ 0");
        // PyRadiomics passes α to C as an integer (a fractional `gldm_a` is a TypeError there); for
        // an integer difference `≤ α` is `≤ ⌊α⌋`, and the cast saturates, so an α beyond u32's range
        // makes every difference dependent, as it should.
        let walk = (steps, settings.gldm_a as u32);
        let (found_for, neighbourhoods) = self.neighbourhoods.get_or_init(|| {
            let (steps, tolerance) = &walk;
            let mut neighbourhoods = Vec::with_capacity(self.voxels.len());
            for run in self.runs() {
                neighbourhoods_of_run(
                    &self.levels,
                    run.start,
                    run.len(),
                    steps,
                    *tolerance,
                    &mut neighbourhoods,
                );
            }
            (walk.clone(), neighbourhoods)
        });
        assert_eq!(*found_for, walk, "neighbourhoods asked for under other settings");
        neighbourhoods
    }

    /// Padded indices of the region's voxels, in PyRadiomics' (z, y, x) order.
    pub fn voxels(&self) -> &[usize] {
        &self.voxels
    }

    /// Grey levels by padded index (0 outside the region).
    pub fn levels(&self) -> &[u32] {
        &self.levels
    }

    /// By padded index, one more than the position of the voxel's level in
    /// [`present_levels`](Self::present_levels), 0 outside the region: matrices indexed by present
    /// levels count without a lookup per voxel, and with a row and column 0 for "outside" without a
    /// test.
    pub fn rows(&self) -> &[u32] {
        &self.rows
    }

    /// The region's voxels as runs of consecutive padded indices (along x), in
    /// [`voxels`](Self::voxels) order: a loop over a range needs no index loaded per voxel.
    pub fn runs(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        self.runs.iter().cloned()
    }

    /// Padded-index step of each of `angles`, in their order: `index + step` is the neighbour
    /// along it. The padding must cover the angles.
    pub fn steps_for(&self, angles: &[Angle]) -> Vec<isize> {
        angles
            .iter()
            .map(|a| {
                debug_assert!((0..3).all(|axis| a[axis].unsigned_abs() as usize <= self.margin[axis]));
                a.iter().zip(self.strides).map(|(&o, s)| o as isize * s as isize).sum()
            })
            .collect()
    }

    /// The region's (unpadded) `[z, y, x]` size, PyRadiomics' cropped bounding box.
    pub fn shape(&self) -> [usize; 3] {
        self.shape
    }

    /// The `[z, y, x]` position in the unpadded region of a padded index inside it.
    pub fn position(&self, index: usize) -> [usize; 3] {
        let [sz, sy, _] = self.strides;
        let padded = [index / sz, index % sz / sy, index % sy];
        std::array::from_fn(|axis| padded[axis] - self.margin[axis])
    }

    /// The grey levels present in the region, ascending: the texture matrices' rows.
    pub fn present_levels(&self) -> &[u32] {
        &self.present
    }
}

/// The voxels of a run along x whose neighbours are compared together: a vector's worth of `u32`
/// lanes (here and in GLSZM's zones).
pub(super) const RUN_CHUNK: usize = 8;

/// The [`Neighbourhood`]s of the `len` consecutive padded indices from `first` (a run of region
/// voxels along x), appended to `out` in order: [`RUN_CHUNK`] voxels at a time, whose neighbours
/// along any step are again consecutive, so each step is one vector load and a few lane-wise
/// operations instead of a load per voxel; the run's last voxels one at a time. The same integer
/// sums as [`neighbourhood`].
///
/// Also compiled for AVX2, chosen at run time when the CPU has it: baseline x86-64 (SSE2) has no
/// unsigned 32-bit minimum or maximum, so the dependence test would not vectorise.
#[multiversion(targets("x86_64+avx2"))]
fn neighbourhoods_of_run(
    levels: &[u32],
    first: usize,
    len: usize,
    steps: &[isize],
    tolerance: u32,
    out: &mut Vec<Neighbourhood>,
) {
    let end = first + len;
    let mut start = first;
    while start + RUN_CHUNK <= end {
        let centre: [u32; RUN_CHUNK] = levels[start..start + RUN_CHUNK].try_into().expect("a chunk");
        let mut in_region = [0u32; RUN_CHUNK];
        let mut level_sum = [0u64; RUN_CHUNK];
        let mut dependent = [0u32; RUN_CHUNK];
        for &step in steps {
            let at = start.wrapping_add_signed(step);
            let neighbours: &[u32; RUN_CHUNK] = levels[at..at + RUN_CHUNK].try_into().expect("a chunk");
            // One lane-wise loop per sum, each a few vector instructions; 0/1 as u32 rather than
            // bools, which would be combined byte by byte.
            let inside = neighbours.map(|n| u32::from(n != 0));
            for lane in 0..RUN_CHUNK {
                in_region[lane] += inside[lane];
            }
            for lane in 0..RUN_CHUNK {
                level_sum[lane] += u64::from(neighbours[lane]);
            }
            for lane in 0..RUN_CHUNK {
                dependent[lane] += inside[lane] & u32::from(centre[lane].abs_diff(neighbours[lane]) <= tolerance);
            }
        }
        out.extend((0..RUN_CHUNK).map(|lane| Neighbourhood {
            in_region: in_region[lane],
            level_sum: level_sum[lane],
            dependent: dependent[lane],
        }));
        start += RUN_CHUNK;
    }
    out.extend((start..end).map(|v| neighbourhood(levels, v, steps, tolerance)));
}

/// Voxel `v`'s [`Neighbourhood`] over `steps`, dependence within `tolerance`. Without branches
/// (neighbourhoods are noisy); integer sums are the same values as PyRadiomics' double sums of
/// integer levels (exact below 2⁵³).
fn neighbourhood(levels: &[u32], v: usize, steps: &[isize], tolerance: u32) -> Neighbourhood {
    let level = levels[v];
    let (mut in_region, mut level_sum, mut dependent) = (0, 0, 0);
    for &step in steps {
        let neighbour = levels[v.wrapping_add_signed(step)];
        let inside = neighbour != 0;
        in_region += u32::from(inside);
        level_sum += u64::from(neighbour);
        dependent += u32::from(inside & (level.abs_diff(neighbour) <= tolerance));
    }
    Neighbourhood {
        in_region,
        level_sum,
        dependent,
    }
}

/// One image type's [`PaddedRegion`], built by the first texture class that needs it and shared
/// by the others (the classes run in parallel).
#[derive(Debug, Default)]
pub struct SharedRegion(OnceLock<PaddedRegion>);

impl SharedRegion {
    /// The region of `roi` padded for `settings` ([`PaddedRegion::for_texture`]).
    pub fn get(&self, roi: &Roi, settings: &Settings) -> &PaddedRegion {
        self.0.get_or_init(|| PaddedRegion::for_texture(roi, settings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_one_in_3d_gives_pyradiomics_thirteen_angles_in_its_order() {
        // `cMatrices.calculate_glcm(..., distances=[1])` on a 10×10×10 image.
        let expected: Vec<Angle> = vec![
            [1, 1, 1],
            [1, 1, 0],
            [1, 1, -1],
            [1, 0, 1],
            [1, 0, 0],
            [1, 0, -1],
            [1, -1, 1],
            [1, -1, 0],
            [1, -1, -1],
            [0, 1, 1],
            [0, 1, 0],
            [0, 1, -1],
            [0, 0, 1],
        ];
        assert_eq!(neighbour_angles([10, 10, 10], &[1], false, None), expected);
    }

    #[test]
    fn two_distances_interleave_in_lexicographic_order() {
        // PyRadiomics lists 62 angles for distances [1, 2]; the first and the last few are these.
        let angles = neighbour_angles([10, 10, 10], &[1, 2], false, None);
        assert_eq!(angles.len(), 62);
        assert_eq!(angles[0], [2, 2, 2]);
        assert_eq!(angles[31], [1, 1, 1]);
        assert_eq!(&angles[59..], &[[0, 1, -2], [0, 0, 2], [0, 0, 1]]);
    }

    #[test]
    fn force_2d_keeps_only_in_plane_offsets() {
        // PyRadiomics, distances [2], force2D along axis 0: 8 angles.
        let expected: Vec<Angle> = vec![
            [0, 2, 2],
            [0, 2, 1],
            [0, 2, 0],
            [0, 2, -1],
            [0, 2, -2],
            [0, 1, 2],
            [0, 1, -2],
            [0, 0, 2],
        ];
        assert_eq!(neighbour_angles([10, 10, 10], &[2], false, Some(0)), expected);
        // force2Ddimension 1 (coronal planes): PyRadiomics gives these 4.
        assert_eq!(
            neighbour_angles([10, 10, 10], &[1], false, Some(1)),
            vec![[1, 0, 1], [1, 0, 0], [1, 0, -1], [0, 0, 1]]
        );
    }

    #[test]
    fn offsets_longer_than_the_region_are_dropped() {
        // A single slice: no offset may move in z.
        assert_eq!(
            neighbour_angles([1, 5, 5], &[1], false, None),
            vec![[0, 1, 1], [0, 1, 0], [0, 1, -1], [0, 0, 1]]
        );
        // A region 2 voxels deep along x cannot hold a distance-2 step in x.
        // PyRadiomics lists 24 angles here, from [2, 2, 1] to [0, 2, -1].
        let angles = neighbour_angles([5, 5, 2], &[2], false, None);
        assert_eq!(angles.len(), 24);
        assert_eq!((angles[0], angles[23]), ([2, 2, 1], [0, 2, -1]));
        assert!(angles.iter().all(|a| a[2].abs() < 2));
    }

    #[test]
    fn step_lengths_follow_the_norm_in_millimetres() {
        // Angle [dz, dy, dx] = [1, 1, 0] with spacing (x, y, z) = (1, 1, 2): steps of 2 mm and 1 mm.
        let length = |norm| step_length(norm, [1, 1, 0], [1.0, 1.0, 2.0]);
        assert_eq!(length(WeightingNorm::Manhattan), Some(3.0));
        assert_eq!(length(WeightingNorm::Infinity), Some(2.0));
        assert_eq!(length(WeightingNorm::Euclidean), Some(5.0f64.sqrt()));
        assert_eq!(length(WeightingNorm::NoWeighting), None);
    }

    #[test]
    fn bidirectional_lists_each_offset_and_its_mirror() {
        let angles = neighbour_angles([3, 3, 3], &[1], true, None);
        assert_eq!(angles.len(), 26);
        assert_eq!(angles[0], [1, 1, 1]);
        assert_eq!(angles[25], [-1, -1, -1]);
        assert!(angles.iter().all(|a| angles.contains(&[-a[0], -a[1], -a[2]])));
    }

    #[test]
    fn padded_region_walks_only_neighbours_inside_the_grid_and_the_mask() {
        use ndarray::Array3;
        let grey_levels = Array3::from_shape_fn((2, 3, 4), |(z, y, x)| (1 + z + y + x) as u32);
        let mut mask = Array3::from_elem((2, 3, 4), true);
        let angles = neighbour_angles([2, 3, 4], &[1], true, None);
        let full = Roi::of_grey_levels(grey_levels);
        let region = PaddedRegion::new(&full, &angles);
        // The levels of the region's neighbours of a padded index, in angle order.
        let neighbours = |region: &PaddedRegion, index: usize| -> Vec<u32> {
            let levels = region.levels();
            region
                .steps_for(&angles)
                .iter()
                .map(|&step| levels[index.wrapping_add_signed(step)])
                .filter(|&level| level != 0)
                .collect()
        };
        assert_eq!(region.voxels().len(), 24);
        // Corner (0, 0, 0): 7 neighbours in a 2×3×4 grid; (1, 1, 1): the 3×3×2 block minus itself.
        assert_eq!(neighbours(&region, region.voxels()[0]).len(), 7);
        let centre = region.voxels()[12 + 4 + 1];
        assert_eq!(region.levels()[centre], 4);
        let mut levels = neighbours(&region, centre);
        levels.sort_unstable();
        assert_eq!(levels, vec![1, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 6]);
        // Dropping (0, 0, 0) from the mask removes it from the region and from the corner's walk.
        mask[[0, 0, 0]] = false;
        let partial = Roi { mask, ..full };
        let region = PaddedRegion::new(&partial, &angles);
        assert_eq!(region.voxels().len(), 23);
        assert_eq!(neighbours(&region, centre).len(), 16);
        assert_eq!(region.levels()[region.voxels()[0]], 2);
    }

    #[test]
    fn absent_levels_get_no_row_but_keep_their_values_and_positions_map_back() {
        use ndarray::Array3;
        let grey_levels = Array3::from_shape_vec((1, 2, 3), vec![3, 7, 3, 0, 7, 9]).unwrap();
        let roi = Roi::of_grey_levels(grey_levels);
        let region = PaddedRegion::new(&roi, &neighbour_angles([1, 2, 3], &[1], true, None));
        assert_eq!(region.present_levels(), &[3, 7, 9]);
        let rows: Vec<u32> = region.voxels().iter().map(|&v| region.rows()[v]).collect();
        assert_eq!(rows, [1, 2, 1, 2, 3]);
        assert_eq!(
            region.rows().iter().filter(|&&r| r == 0).count(),
            region.levels().len() - 5
        );
        assert_eq!(region.shape(), [1, 2, 3]);
        let positions: Vec<[usize; 3]> = region.voxels().iter().map(|&v| region.position(v)).collect();
        assert_eq!(positions, vec![[0, 0, 0], [0, 0, 1], [0, 0, 2], [0, 1, 1], [0, 1, 2]]);
        // Two runs along x, (0, 0, 0..3) and (0, 1, 1..3), holding the voxels in order.
        assert_eq!(region.runs().map(|run| run.len()).collect::<Vec<_>>(), [3, 2]);
        assert_eq!(region.runs().flatten().collect::<Vec<_>>(), region.voxels());
    }

    #[test]
    fn one_padded_region_serves_every_texture_class_of_an_image_type() {
        use ndarray::Array3;
        let grey_levels = Array3::from_shape_fn((4, 5, 6), |(z, y, x)| (1 + (z + y * x) % 3) as u32);
        let roi = Roi::of_grey_levels(grey_levels);
        // Distances [3] pad by 3 on every axis, enough for GLCM's [3] and GLSZM's [1] alike.
        let settings = Settings {
            distances: vec![3],
            ..Settings::default()
        };
        let shared = SharedRegion::default();
        let region = shared.get(&roi, &settings);
        assert!(std::ptr::eq(region, shared.get(&roi, &settings)), "built once");
        assert_eq!(region.margin, [3, 3, 3]);
        // Every distance-3 neighbour of every voxel reads the ROI's level there, or 0 outside it.
        let far = neighbour_angles([4, 5, 6], &[3], true, None);
        for &voxel in region.voxels() {
            let p = region.position(voxel);
            for (&step, angle) in region.steps_for(&far).iter().zip(&far) {
                let q: [i64; 3] = std::array::from_fn(|a| p[a] as i64 + i64::from(angle[a]));
                let expected = roi
                    .grey_levels
                    .get(q.map(|c| c as usize))
                    .copied()
                    .filter(|_| q.iter().all(|&c| c >= 0));
                assert_eq!(region.levels()[voxel.wrapping_add_signed(step)], expected.unwrap_or(0));
            }
        }
    }

    #[test]
    fn neighbourhoods_walked_a_run_at_a_time_are_those_of_each_voxel_alone() {
        use ndarray::Array3;
        // Runs along x of every length from 1 to 20 (chunks of 8 and the voxels after them), with
        // levels spread so that some neighbours are within the tolerance and some are not.
        let shape = (5, 7, 23);
        let mask = Array3::from_shape_fn(shape, |(z, y, x)| x < (3 * z + 5 * y + 1) % 21);
        let grey_levels = Array3::from_shape_fn(shape, |(z, y, x)| (1 + (7 * x + 3 * y * y + z) % 11) as u32);
        let roi = Roi {
            mask,
            ..Roi::of_grey_levels(grey_levels)
        };
        for gldm_a in [0.0, 2.0] {
            let settings = Settings {
                gldm_a,
                ..Settings::default()
            };
            let region = PaddedRegion::for_texture(&roi, &settings);
            let steps = region.steps_for(&settings_angles(region.shape(), &[1], true, &settings));
            let alone: Vec<Neighbourhood> = region
                .voxels()
                .iter()
                .map(|&v| neighbourhood(region.levels(), v, &steps, gldm_a as u32))
                .collect();
            assert!(alone.iter().any(|n| n.dependent < n.in_region) && alone.iter().any(|n| n.dependent > 0));
            assert_eq!(region.neighbourhoods(&settings), alone, "gldm_a {gldm_a}");
        }
    }

    #[test]
    fn neighbourhoods_are_walked_once_and_refused_under_other_settings() {
        use ndarray::Array3;
        // A 1×2×2 plane with levels 1 2 / 3 0 (the 0 is outside the mask).
        let grey_levels = Array3::from_shape_vec((1, 2, 2), vec![1, 2, 3, 0]).unwrap();
        let roi = Roi::of_grey_levels(grey_levels);
        let settings = Settings {
            gldm_a: 1.0,
            ..Settings::default()
        };
        let region = PaddedRegion::for_texture(&roi, &settings);
        let around = region.neighbourhoods(&settings);
        // Each voxel sees the two others; within α = 1 of level 2 are both, of levels 1 and 3 only 2.
        let want = [(2, 5, 1), (2, 4, 2), (2, 3, 1)];
        let got: Vec<_> = around.iter().map(|n| (n.in_region, n.level_sum, n.dependent)).collect();
        assert_eq!(got, want);
        assert!(std::ptr::eq(around, region.neighbourhoods(&settings)), "walked once");
        let other = Settings {
            gldm_a: 0.0,
            ..settings
        };
        let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| region.neighbourhoods(&other).len()));
        assert!(refused.is_err(), "another gldm_a must not get the first walk");
    }
}
