//! Neighbouring Grey Tone Difference Matrix features (PyRadiomics `radiomics/ngtdm.py`, matrix
//! from `calculate_ngtdm` in `cmatrices.c`; IBSI 1 chapter 3.8).
//!
//! For each voxel, `Ā` is the mean grey level of its neighbours (both directions of every angle at
//! the `distances`, in the region); `s_i` sums `|i − Ā|` over voxels of level `i`. As in PyRadiomics'
//! C code, a voxel without any neighbour in the region still counts in `n_i` with a difference of 0.

use super::angles::PaddedRegion;
use super::{ClassFeatures, Roi, Settings};

/// The 5 NGTDM features in PyRadiomics' output order (alphabetical).
pub fn compute(roi: &Roi, settings: &Settings) -> ClassFeatures {
    compute_on(&PaddedRegion::for_texture(roi, settings), settings)
}

/// [`compute`] on the region already padded ([`PaddedRegion::for_texture`]).
pub fn compute_on(region: &PaddedRegion, settings: &Settings) -> ClassFeatures {
    let m = ngtdm_matrix(region, settings);
    vec![
        ("Busyness", m.busyness()),
        ("Coarseness", m.coarseness()),
        ("Complexity", m.complexity()),
        ("Contrast", m.contrast()),
        ("Strength", m.strength()),
    ]
}

/// One occupied grey level of the NGTDM.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToneRow {
    /// Grey level `i`.
    pub level: f64,
    /// `n_i`, voxels with level `i`.
    pub count: f64,
    /// `s_i = Σ |i − Ā|` over those voxels.
    pub difference: f64,
}

/// The NGTDM restricted to occupied grey levels (PyRadiomics deletes the empty ones).
#[derive(Debug, Clone, PartialEq)]
pub struct Ngtdm {
    /// Rows by increasing level.
    pub rows: Vec<ToneRow>,
    /// `N_vp = Σ n_i`.
    pub voxels: f64,
}

/// The NGTDM of `roi`. Differences accumulate in PyRadiomics' voxel order (z, y, x), so `s_i` is
/// the same floating-point sum.
pub fn ngtdm_matrix(region: &PaddedRegion, settings: &Settings) -> Ngtdm {
    let levels = region.levels();
    let top = region.present_levels().last().copied().unwrap_or(0) as usize;
    let mut counts = vec![0.0f64; top + 1];
    let mut differences = vec![0.0f64; top + 1];
    for (&v, around) in region.voxels().iter().zip(region.neighbourhoods(settings)) {
        let level = levels[v] as usize;
        counts[level] += 1.0;
        if around.in_region > 0 {
            differences[level] += (level as f64 - around.level_sum as f64 / f64::from(around.in_region)).abs();
        }
    }
    let rows: Vec<ToneRow> = (0..=top)
        .filter(|&i| counts[i] > 0.0)
        .map(|i| ToneRow {
            level: i as f64,
            count: counts[i],
            difference: differences[i],
        })
        .collect();
    let voxels = rows.iter().map(|r| r.count).sum();
    Ngtdm { rows, voxels }
}

impl Ngtdm {
    /// `p_i = n_i / N_vp` for each row.
    fn probabilities(&self) -> Vec<f64> {
        self.rows.iter().map(|r| r.count / self.voxels).collect()
    }

    /// `Σ p_i s_i`.
    fn weighted_difference(&self) -> f64 {
        self.rows
            .iter()
            .zip(self.probabilities())
            .map(|(r, p)| p * r.difference)
            .sum()
    }

    /// `Σ_i Σ_j f(row_i, p_i, row_j, p_j)` over occupied levels.
    fn pair_sum(&self, f: impl Fn(&ToneRow, f64, &ToneRow, f64) -> f64) -> f64 {
        let p = self.probabilities();
        self.rows
            .iter()
            .zip(&p)
            .map(|(a, &pa)| self.rows.iter().zip(&p).map(|(b, &pb)| f(a, pa, b, pb)).sum::<f64>())
            .sum()
    }

    /// Coarseness `1 / Σ p_i s_i`, or 10⁶ when the sum is 0 (PyRadiomics NGTDM 1; IBSI
    /// `ngt_coarseness`).
    pub fn coarseness(&self) -> f64 {
        let sum = self.weighted_difference();
        if sum != 0.0 { 1.0 / sum } else { 1e6 }
    }

    /// Contrast `(Σ_ij p_i p_j (i − j)² / (N_gp (N_gp − 1))) · Σ s_i / N_vp`, 0 when `N_gp = 1`
    /// (PyRadiomics NGTDM 2; IBSI `ngt_contrast`).
    pub fn contrast(&self) -> f64 {
        let ngp = self.rows.len() as f64;
        let divisor = ngp * (ngp - 1.0);
        if divisor == 0.0 {
            return 0.0;
        }
        let spread = self.pair_sum(|a, pa, b, pb| pa * pb * (a.level - b.level).powi(2));
        let total_difference: f64 = self.rows.iter().map(|r| r.difference).sum();
        spread * total_difference / self.voxels / divisor
    }

    /// Busyness `Σ p_i s_i / Σ_ij |i p_i − j p_j|`, 0 when the denominator is 0 (PyRadiomics
    /// NGTDM 3; IBSI `ngt_busyness`).
    pub fn busyness(&self) -> f64 {
        let denominator = self.pair_sum(|a, pa, b, pb| (a.level * pa - b.level * pb).abs());
        if denominator == 0.0 {
            0.0
        } else {
            self.weighted_difference() / denominator
        }
    }

    /// Complexity `Σ_ij |i − j| (p_i s_i + p_j s_j) / (p_i + p_j) / N_vp` (PyRadiomics NGTDM 4;
    /// IBSI `ngt_complexity`).
    pub fn complexity(&self) -> f64 {
        let sum = self
            .pair_sum(|a, pa, b, pb| (a.level - b.level).abs() * (pa * a.difference + pb * b.difference) / (pa + pb));
        sum / self.voxels
    }

    /// Strength `Σ_ij (p_i + p_j)(i − j)² / Σ s_i`, 0 when `Σ s_i = 0` (PyRadiomics NGTDM 5; IBSI
    /// `ngt_strength`).
    pub fn strength(&self) -> f64 {
        let total_difference: f64 = self.rows.iter().map(|r| r.difference).sum();
        if total_difference == 0.0 {
            return 0.0;
        }
        self.pair_sum(|a, pa, b, pb| (pa + pb) * (a.level - b.level).powi(2)) / total_difference
    }
}

#[cfg(test)]
mod tests {
    use super::super::glszm::tests::planar_roi;
    use super::*;

    /// The NGTDM of `roi` under `settings`.
    fn matrix_of(roi: &Roi, settings: &Settings) -> Ngtdm {
        ngtdm_matrix(&PaddedRegion::for_texture(roi, settings), settings)
    }

    /// PyRadiomics' NGTDM documentation example (4×4 image, no level 4).
    fn docs_example() -> Roi {
        planar_roi(&[&[1, 2, 5, 2], &[3, 5, 1, 3], &[1, 3, 5, 5], &[3, 1, 1, 1]])
    }

    #[test]
    fn ngtdm_of_the_pyradiomics_docs_example_matches_its_sums() {
        let m = matrix_of(&docs_example(), &Settings::default());
        let levels: Vec<f64> = m.rows.iter().map(|r| r.level).collect();
        assert_eq!(levels, vec![1.0, 2.0, 3.0, 5.0]);
        let counts: Vec<f64> = m.rows.iter().map(|r| r.count).collect();
        assert_eq!(counts, vec![6.0, 2.0, 4.0, 4.0]);
        // The docs' table; its worked terms for s_3 and s_5 contain slips, but PyRadiomics 3.1's
        // `cMatrices.calculate_ngtdm` on this image returns these table values: 13.35, 2, 3.0333…, 10.075.
        let s = [
            (1.0 - 10.0 / 3.0f64).abs()
                + (1.0 - 30.0 / 8.0f64).abs()
                + (1.0 - 15.0 / 5.0f64).abs()
                + (1.0 - 13.0 / 5.0f64).abs()
                + (1.0 - 15.0 / 5.0f64).abs()
                + (1.0 - 11.0 / 3.0f64).abs(),
            2.0,
            3.0 + 1.0 / 30.0,
            10.075,
        ];
        for (row, want) in m.rows.iter().zip(s) {
            assert!(
                (row.difference - want).abs() < 1e-12,
                "level {}: {} vs {want}",
                row.level,
                row.difference
            );
        }
        assert_eq!(m.voxels, 16.0);
    }

    #[test]
    fn ngtdm_features_follow_their_formulas_on_a_two_level_region() {
        // Row 1 1 3: Ā = 1, 2, 1 → s_1 = 1, s_3 = 2; p = 2/3, 1/3; levels differ by d = 2.
        let m = matrix_of(&planar_roi(&[&[1, 1, 3]]), &Settings::default());
        let (p1, p3, s1, s3, d) = (2.0 / 3.0, 1.0 / 3.0, 1.0, 2.0, 2.0);
        let weighted: f64 = p1 * s1 + p3 * s3;
        assert!((m.coarseness() - 1.0 / weighted).abs() < 1e-14);
        let contrast = (2.0 * p1 * p3 * d * d) / (2.0 * 1.0) * (s1 + s3) / 3.0;
        assert!((m.contrast() - contrast).abs() < 1e-14);
        let busyness = weighted / (2.0 * (p1 - 3.0 * p3).abs());
        assert!((m.busyness() - busyness).abs() < 1e-14);
        assert!((m.complexity() - 2.0 * d * weighted / (p1 + p3) / 3.0).abs() < 1e-14);
        assert!((m.strength() - 2.0 * (p1 + p3) * d * d / (s1 + s3)).abs() < 1e-14);
    }

    #[test]
    fn a_flat_region_takes_pyradiomics_special_values() {
        let features = compute(&planar_roi(&[&[3, 3], &[3, 3]]), &Settings::default());
        assert_eq!(
            features,
            vec![
                ("Busyness", 0.0),
                ("Coarseness", 1e6),
                ("Complexity", 0.0),
                ("Contrast", 0.0),
                ("Strength", 0.0)
            ]
        );
    }

    #[test]
    fn a_voxel_without_neighbours_counts_with_zero_difference() {
        // Mirrors PyRadiomics 3.1's C code: n_i includes the isolated voxel, s_i gains nothing.
        let mut roi = planar_roi(&[&[1, 1, 2, 2]]);
        roi.mask[[0, 0, 1]] = false;
        roi.grey_levels[[0, 0, 1]] = 0;
        let m = matrix_of(&roi, &Settings::default());
        assert_eq!(
            m.rows[0],
            ToneRow {
                level: 1.0,
                count: 1.0,
                difference: 0.0
            }
        );
        assert_eq!(
            m.rows[1],
            ToneRow {
                level: 2.0,
                count: 2.0,
                difference: 0.0
            }
        );
    }
}
