//! Grey Level Dependence Matrix features (PyRadiomics `radiomics/gldm.py`, matrix from
//! `calculate_gldm` in `cmatrices.c`; IBSI 1 chapter 3.9, NGLDM).
//!
//! Each voxel counts its neighbours (both directions of every angle at the `distances`, in the
//! region) whose grey level differs by at most `gldm_a`; the voxel lands in `P(i, j)` with `i` its
//! level and `j` that count plus one. The features are the GLSZM formulas on this matrix
//! ([`LevelSizeMatrix`]), with `N_z = N_p`.

use super::angles::PaddedRegion;
use super::glszm::LevelSizeMatrix;
use super::{ClassFeatures, Roi, Settings};

/// The 14 non-deprecated GLDM features in PyRadiomics' output order (alphabetical).
///
/// Formulas: PyRadiomics GLDM docs, features 1–14, on [`LevelSizeMatrix`]: `Dependence*` are the
/// size-axis features, `SmallDependence*`/`LargeDependence*` the `1/j²`/`j²` emphases.
pub fn compute(roi: &Roi, settings: &Settings) -> ClassFeatures {
    compute_on(&PaddedRegion::for_texture(roi, settings), settings)
}

/// [`compute`] on the region already padded ([`PaddedRegion::for_texture`]).
pub fn compute_on(region: &PaddedRegion, settings: &Settings) -> ClassFeatures {
    let m = gldm_matrix(region, settings);
    vec![
        ("DependenceEntropy", m.entropy()),
        ("DependenceNonUniformity", m.size_non_uniformity()),
        ("DependenceNonUniformityNormalized", m.size_non_uniformity_normalized()),
        ("DependenceVariance", m.size_variance()),
        ("GrayLevelNonUniformity", m.grey_level_non_uniformity()),
        ("GrayLevelVariance", m.grey_level_variance()),
        ("HighGrayLevelEmphasis", m.high_grey_level_emphasis()),
        ("LargeDependenceEmphasis", m.large_size_emphasis()),
        (
            "LargeDependenceHighGrayLevelEmphasis",
            m.large_size_high_grey_level_emphasis(),
        ),
        (
            "LargeDependenceLowGrayLevelEmphasis",
            m.large_size_low_grey_level_emphasis(),
        ),
        ("LowGrayLevelEmphasis", m.low_grey_level_emphasis()),
        ("SmallDependenceEmphasis", m.small_size_emphasis()),
        (
            "SmallDependenceHighGrayLevelEmphasis",
            m.small_size_high_grey_level_emphasis(),
        ),
        (
            "SmallDependenceLowGrayLevelEmphasis",
            m.small_size_low_grey_level_emphasis(),
        ),
    ]
}

/// The GLDM of `roi`: one count per voxel at (grey level, 1 + dependent neighbours), a neighbour
/// being dependent when `|i − j| ≤ gldm_a` ([`Neighbourhood`](super::angles::Neighbourhood)).
pub fn gldm_matrix(region: &PaddedRegion, settings: &Settings) -> LevelSizeMatrix {
    let levels = region.levels();
    let entries = region
        .voxels()
        .iter()
        .zip(region.neighbourhoods(settings))
        .map(|(&v, around)| (levels[v], around.dependent + 1))
        .collect();
    LevelSizeMatrix::from_entries(entries)
}

#[cfg(test)]
mod tests {
    use super::super::glszm::tests::planar_roi;
    use super::*;

    /// The GLDM of `roi` under `settings`.
    fn matrix_of(roi: &Roi, settings: &Settings) -> LevelSizeMatrix {
        gldm_matrix(&PaddedRegion::for_texture(roi, settings), settings)
    }

    /// PyRadiomics' GLDM documentation example (5×5 image, α = 0, δ = 1).
    fn docs_example() -> Roi {
        planar_roi(&[
            &[5, 2, 5, 4, 4],
            &[3, 3, 3, 1, 3],
            &[2, 1, 1, 1, 3],
            &[4, 2, 2, 2, 3],
            &[3, 5, 3, 3, 2],
        ])
    }

    /// Dense `P(i, j)` for levels 1..=rows and dependence sizes 1..=cols.
    fn dense(m: &LevelSizeMatrix, rows: usize, cols: usize) -> Vec<Vec<f64>> {
        let mut p = vec![vec![0.0; cols]; rows];
        for &(i, j, n) in m.cells() {
            p[i as usize - 1][j as usize - 1] = n;
        }
        p
    }

    #[test]
    fn gldm_of_the_pyradiomics_docs_example_matches_its_matrix() {
        let m = matrix_of(&docs_example(), &Settings::default());
        let documented = vec![
            vec![0.0, 1.0, 2.0, 1.0],
            vec![1.0, 2.0, 3.0, 0.0],
            vec![1.0, 4.0, 4.0, 0.0],
            vec![1.0, 2.0, 0.0, 0.0],
            vec![3.0, 0.0, 0.0, 0.0],
        ];
        assert_eq!(dense(&m, 5, 4), documented);
        assert_eq!(m.total(), 25.0);
    }

    #[test]
    fn alpha_widens_dependence_and_distance_widens_the_neighbourhood() {
        // A 1×3 row 1 2 3: with α = 1 the middle voxel depends on both ends, each end on the middle.
        let row = planar_roi(&[&[1, 2, 3]]);
        let alpha = Settings {
            gldm_a: 1.0,
            ..Settings::default()
        };
        assert_eq!(
            matrix_of(&row, &alpha).cells(),
            &[(1, 2, 1.0), (2, 3, 1.0), (3, 2, 1.0)]
        );
        // A fractional α counts as its integer part (differences are integers); a huge one makes
        // every neighbour dependent.
        for (gldm_a, cells) in [
            (1.9, [(1, 2, 1.0), (2, 3, 1.0), (3, 2, 1.0)]),
            (0.9, [(1, 1, 1.0), (2, 1, 1.0), (3, 1, 1.0)]),
            (1e12, [(1, 2, 1.0), (2, 3, 1.0), (3, 2, 1.0)]),
        ] {
            let settings = Settings {
                gldm_a,
                ..Settings::default()
            };
            assert_eq!(matrix_of(&row, &settings).cells(), &cells, "α = {gldm_a}");
        }
        // 1 2 1 with distances [1, 2]: the two 1s are 2 apart, so each has one dependent voxel.
        let ends = planar_roi(&[&[1, 2, 1]]);
        let far = Settings {
            distances: vec![1, 2],
            ..Settings::default()
        };
        assert_eq!(matrix_of(&ends, &far).cells(), &[(1, 2, 2.0), (2, 1, 1.0)]);
        assert_eq!(
            matrix_of(&ends, &Settings::default()).cells(),
            &[(1, 1, 2.0), (2, 1, 1.0)]
        );
    }

    #[test]
    fn gldm_features_of_the_docs_example_match_hand_computation() {
        let features = compute(&docs_example(), &Settings::default());
        let get = |name: &str| features.iter().find(|(n, _)| *n == name).unwrap().1;
        // Dependence marginal (j = 1..4): 6, 9, 9, 1 over N_z = 25.
        let sde = (6.0 + 9.0 / 4.0 + 9.0 / 9.0 + 1.0 / 16.0) / 25.0;
        assert!((get("SmallDependenceEmphasis") - sde).abs() < 1e-15);
        assert!((get("LargeDependenceEmphasis") - (6.0 + 36.0 + 81.0 + 16.0) / 25.0).abs() < 1e-14);
        assert!((get("DependenceNonUniformity") - (36.0 + 81.0 + 81.0 + 1.0) / 25.0).abs() < 1e-14);
        // Level marginal 4, 6, 9, 3, 3 → GLN = 151 / 25.
        assert!((get("GrayLevelNonUniformity") - 151.0 / 25.0).abs() < 1e-14);
        assert_eq!(features.len(), 14);
    }
}
