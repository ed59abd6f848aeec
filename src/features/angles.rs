//! Neighbour offsets ("angles") exactly as PyRadiomics generates them (`cMatrices.generate_angles`,
//! i.e. `get_angle_count` + `build_angles` in `radiomics/src/cmatrices.c`), and the walk over a
//! voxel's in-bounds neighbours that every texture matrix builder shares.

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

/// The in-bounds neighbours of each voxel of a `[z, y, x]` grid stored in standard (C) order,
/// visited in angle order as PyRadiomics' C loops do.
#[derive(Debug, Clone)]
pub struct Neighbourhood {
    shape: [usize; 3],
    angles: Vec<Angle>,
    /// Linear index step of each angle.
    steps: Vec<isize>,
}

impl Neighbourhood {
    /// Neighbourhood of the given `angles` on a grid of `shape` (`[z, y, x]`).
    pub fn new(shape: [usize; 3], angles: Vec<Angle>) -> Neighbourhood {
        let strides = [(shape[1] * shape[2]) as isize, shape[2] as isize, 1];
        let steps = angles
            .iter()
            .map(|a| a.iter().zip(strides).map(|(o, s)| o * s).sum())
            .collect();
        Neighbourhood { shape, angles, steps }
    }

    /// Linear indices of the neighbours of the voxel at linear index `index` that lie inside the
    /// grid (mask membership is the caller's business).
    pub fn of(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        let plane = self.shape[1] * self.shape[2];
        let position = [
            (index / plane) as isize,
            ((index % plane) / self.shape[2]) as isize,
            (index % self.shape[2]) as isize,
        ];
        self.angles
            .iter()
            .zip(&self.steps)
            .filter(move |(angle, _)| {
                angle
                    .iter()
                    .zip(position)
                    .zip(self.shape)
                    .all(|((o, p), extent)| (0..extent as isize).contains(&(p + o)))
            })
            .map(move |(_, step)| (index as isize + step) as usize)
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
    fn neighbourhood_skips_offsets_that_leave_the_grid() {
        let shape = [2, 3, 4];
        let hood = Neighbourhood::new(shape, generate_angles(shape, &[1], true, None));
        // Corner (0, 0, 0): 7 neighbours inside a 2×3×4 grid.
        assert_eq!(hood.of(0).count(), 7);
        // (1, 1, 1) = 12 + 4 + 1: neighbours are the 3×3×2 block minus itself.
        let mut inner: Vec<usize> = hood.of(17).collect();
        inner.sort_unstable();
        assert_eq!(inner, vec![0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 16, 18, 20, 21, 22]);
    }
}
