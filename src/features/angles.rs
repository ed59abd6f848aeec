//! Neighbour offsets ("angles") exactly as PyRadiomics generates them (`cMatrices.generate_angles`,
//! i.e. `get_angle_count` + `build_angles` in `radiomics/src/cmatrices.c`), and the walk over a
//! voxel's neighbours in the region that every texture matrix builder shares.

use super::Roi;

/// One neighbour offset in `[z, y, x]` order, like PyRadiomics' angle rows.
pub type Angle = [isize; 3];

/// PyRadiomics' angles for a region of `size` (`[z, y, x]`, the cropped ROI's shape).
///
/// An angle is kept when its infinity norm is one of `distances`, it moves less than the region's
/// extent along every axis, and (with `force_2d_dimension`) it does not move along that axis.
/// Order is PyRadiomics': offsets run from `+max` down to `−max`, the last axis fastest. The list
/// is mirror-symmetric, so the mono-directional set (`bidirectional == false`, used by GLCM and
/// GLRLM) is its first half; GLSZM, GLDM and NGTDM use both directions.
pub fn generate_angles(
    size: [usize; 3],
    distances: &[u32],
    bidirectional: bool,
    force_2d_dimension: Option<usize>,
) -> Vec<Angle> {
    let Some(max_distance) = distances.iter().copied().max().filter(|&d| d > 0) else {
        return Vec::new();
    };
    let max_distance = max_distance as isize;
    let n_offsets = 2 * max_distance + 1;
    let offset = |combination: isize, stride: isize| max_distance - (combination / stride) % n_offsets;
    let strides = [n_offsets * n_offsets, n_offsets, 1];
    let mut angles: Vec<Angle> = (0..n_offsets.pow(3))
        .map(|combination| strides.map(|stride| offset(combination, stride)))
        .filter(|angle| {
            angle.iter().zip(size).enumerate().all(|(axis, (&o, extent))| {
                let movable = force_2d_dimension != Some(axis) || o == 0;
                movable && o.unsigned_abs() < extent
            })
        })
        .filter(|angle| {
            let norm = angle.iter().map(|o| o.unsigned_abs()).max().unwrap_or(0);
            norm > 0 && distances.iter().any(|&d| d as usize == norm)
        })
        .collect();
    if !bidirectional {
        angles.truncate(angles.len() / 2);
    }
    angles
}

/// A region's grey levels on a grid padded by the largest offset of the angles on every side, so
/// every neighbour of a region voxel has a valid index. Padding and voxels outside the region hold
/// level 0, so "non-zero" is exactly PyRadiomics' "inside the image and in the mask" test and the
/// neighbour walk needs no bounds checks.
#[derive(Debug, Clone)]
pub struct PaddedRegion {
    levels: Vec<u32>,
    /// Padded indices of the region's voxels in `[z, y, x]` order, PyRadiomics' visiting order.
    voxels: Vec<usize>,
    /// Padded-index step of each angle, in angle order.
    steps: Vec<isize>,
}

impl PaddedRegion {
    /// Pads `roi`'s grey levels (0 outside its mask) for walking `angles`.
    pub fn new(roi: &Roi, angles: &[Angle]) -> PaddedRegion {
        let shape: [usize; 3] = roi.grey_levels.dim().into();
        let margin: [usize; 3] =
            std::array::from_fn(|axis| angles.iter().map(|a| a[axis].unsigned_abs()).max().unwrap_or(0));
        let padded: [usize; 3] = std::array::from_fn(|axis| shape[axis] + 2 * margin[axis]);
        let strides = [padded[1] * padded[2], padded[2], 1];
        let mut levels = vec![0u32; padded.iter().product()];
        let mut voxels = Vec::new();
        for (((z, y, x), &level), &inside) in roi.grey_levels.indexed_iter().zip(roi.mask.iter()) {
            if inside {
                let index = (z + margin[0]) * strides[0] + (y + margin[1]) * strides[1] + x + margin[2];
                levels[index] = level;
                voxels.push(index);
            }
        }
        let steps = angles
            .iter()
            .map(|a| a.iter().zip(strides).map(|(&o, s)| o * s as isize).sum())
            .collect();
        PaddedRegion { levels, voxels, steps }
    }

    /// Padded indices of the region's voxels, in PyRadiomics' (z, y, x) order.
    pub fn voxels(&self) -> &[usize] {
        &self.voxels
    }

    /// Grey level at a padded index (0 outside the region).
    pub fn level(&self, index: usize) -> u32 {
        self.levels[index]
    }

    /// Padded indices of the neighbours of `index` that lie in the region, in angle order.
    pub fn neighbours(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        self.steps
            .iter()
            .map(move |&step| index.wrapping_add_signed(step))
            .filter(|&n| self.levels[n] != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_one_in_3d_gives_pyradiomics_26_angles_in_its_order() {
        // cMatrices.generate_angles([5, 5, 5], [1], 1, 0, 0) in PyRadiomics 3.1.
        let angles = generate_angles([5, 5, 5], &[1], true, None);
        assert_eq!(angles.len(), 26);
        assert_eq!(&angles[..4], &[[1, 1, 1], [1, 1, 0], [1, 1, -1], [1, 0, 1]]);
        assert_eq!(angles[12], [0, 0, 1]);
        assert_eq!(angles[13], [0, 0, -1]);
        assert_eq!(angles[25], [-1, -1, -1]);
        for (a, b) in angles.iter().zip(angles.iter().rev()) {
            assert_eq!(*a, b.map(|o| -o));
        }
    }

    #[test]
    fn mono_directional_angles_are_the_first_13() {
        let angles = generate_angles([5, 5, 5], &[1], false, None);
        assert_eq!(angles.len(), 13);
        assert_eq!(angles[12], [0, 0, 1]);
    }

    #[test]
    fn force_2d_keeps_only_in_plane_offsets() {
        let axial = generate_angles([5, 5, 5], &[1], true, Some(0));
        assert_eq!(
            axial,
            vec![
                [0, 1, 1],
                [0, 1, 0],
                [0, 1, -1],
                [0, 0, 1],
                [0, 0, -1],
                [0, -1, 1],
                [0, -1, 0],
                [0, -1, -1]
            ]
        );
        let sagittal = generate_angles([5, 5, 5], &[1], false, Some(2));
        assert_eq!(sagittal, vec![[1, 1, 0], [1, 0, 0], [1, -1, 0], [0, 1, 0]]);
    }

    #[test]
    fn offsets_beyond_the_region_are_dropped() {
        // A single slice: nothing moves along z; distance 2 on a 2-voxel axis cannot move 2 there.
        let flat = generate_angles([1, 4, 4], &[1], true, None);
        assert_eq!(flat.len(), 8);
        assert!(flat.iter().all(|a| a[0] == 0));
        let both = generate_angles([2, 5, 5], &[1, 2], true, None);
        // (3·3·3 − 1) at distance 1 plus 3·(5·5 − 3·3) at distance 2.
        assert_eq!(both.len(), 26 + 48);
        assert!(both.iter().all(|a| a[0].abs() <= 1));
    }

    #[test]
    fn only_requested_distances_are_kept() {
        let angles = generate_angles([9, 9, 9], &[2], true, None);
        assert_eq!(angles.len(), 125 - 27);
        assert_eq!(angles[0], [2, 2, 2]);
        assert!(angles.iter().all(|a| a.iter().map(|o| o.abs()).max() == Some(2)));
    }

    #[test]
    fn padded_region_walks_only_neighbours_inside_the_grid_and_the_mask() {
        use ndarray::Array3;
        let grey_levels = Array3::from_shape_fn((2, 3, 4), |(z, y, x)| (1 + z + y + x) as u32);
        let mut mask = Array3::from_elem((2, 3, 4), true);
        let angles = generate_angles([2, 3, 4], &[1], true, None);
        let full = Roi {
            image: grey_levels.mapv(f64::from),
            mask: mask.clone(),
            spacing: [1.0; 3],
            grey_levels: grey_levels.clone(),
        };
        let region = PaddedRegion::new(&full, &angles);
        assert_eq!(region.voxels().len(), 24);
        // Corner (0, 0, 0): 7 neighbours in a 2×3×4 grid; (1, 1, 1): the 3×3×2 block minus itself.
        assert_eq!(region.neighbours(region.voxels()[0]).count(), 7);
        let centre = region.voxels()[12 + 4 + 1];
        assert_eq!(region.level(centre), 4);
        let mut levels: Vec<u32> = region.neighbours(centre).map(|n| region.level(n)).collect();
        levels.sort_unstable();
        assert_eq!(levels, vec![1, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 6]);
        // Dropping (0, 0, 0) from the mask removes it from the region and from the corner's walk.
        mask[[0, 0, 0]] = false;
        let partial = Roi { mask, ..full };
        let region = PaddedRegion::new(&partial, &angles);
        assert_eq!(region.voxels().len(), 23);
        assert_eq!(region.neighbours(centre).count(), 16);
        assert_eq!(region.level(region.voxels()[0]), 2);
    }
}
