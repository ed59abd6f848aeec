//! First-order statistics of the intensities inside the region, exactly as PyRadiomics 3.1
//! `radiomics/firstorder.py` computes them (population moments over N, numpy's linear-interpolation
//! percentiles, histogram features on the discretised grey levels).

use super::{ClassFeatures, Roi, Settings};

/// `numpy.spacing(1)`: PyRadiomics' ε inside the entropy logarithm.
const EPS: f64 = f64::EPSILON;

/// All 18 non-deprecated PyRadiomics first-order features, in PyRadiomics' order.
pub fn compute(roi: &Roi, settings: &Settings) -> ClassFeatures {
    let (values, levels): (Vec<f64>, Vec<u32>) = roi
        .image
        .iter()
        .zip(roi.grey_levels.iter())
        .zip(roi.mask.iter())
        .filter_map(|((&v, &level), &inside)| inside.then_some((v, level)))
        .unzip();
    let counts = level_counts(&levels);
    let ranked = Ranked::new(&values, &levels, &counts, &[10.0, 25.0, 50.0, 75.0, 90.0]);
    let stats = Intensities::new(&values, &ranked);
    let histogram = grey_level_probabilities(&counts);
    let shift = settings.voxel_array_shift;
    let energy = energy(&values, shift);
    vec![
        ("10Percentile", percentile(&ranked, 10.0)),
        ("90Percentile", percentile(&ranked, 90.0)),
        ("Energy", energy),
        ("Entropy", entropy(&histogram)),
        ("InterquartileRange", interquartile_range(&ranked)),
        ("Kurtosis", stats.kurtosis()),
        ("Maximum", stats.maximum),
        ("MeanAbsoluteDeviation", mean_absolute_deviation(&values, stats.mean)),
        ("Mean", stats.mean),
        ("Median", percentile(&ranked, 50.0)),
        ("Minimum", stats.minimum),
        ("Range", stats.maximum - stats.minimum),
        (
            "RobustMeanAbsoluteDeviation",
            robust_mean_absolute_deviation(&values, &ranked),
        ),
        ("RootMeanSquared", root_mean_squared(energy, values.len())),
        ("Skewness", stats.skewness()),
        ("TotalEnergy", total_energy(energy, roi.spacing)),
        ("Uniformity", uniformity(&histogram)),
        ("Variance", stats.m2),
    ]
}

/// Mean, extremes and central moments of the region's intensities.
struct Intensities {
    mean: f64,
    minimum: f64,
    maximum: f64,
    /// Second central moment (population variance).
    m2: f64,
    m3: f64,
    m4: f64,
}

impl Intensities {
    fn new(values: &[f64], ranked: &Ranked) -> Intensities {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
        for &v in values {
            let d = v - mean;
            let d2 = d * d;
            m2 += d2;
            m3 += d2 * d;
            m4 += d2 * d2;
        }
        Intensities {
            mean,
            minimum: ranked.at(0),
            maximum: ranked.at(ranked.len - 1),
            m2: m2 / n,
            m3: m3 / n,
            m4: m4 / n,
        }
    }

    /// Skewness = μ₃ / σ³, 0 for a flat region (PyRadiomics firstorder `getSkewnessFeatureValue`).
    fn skewness(&self) -> f64 {
        if self.m2 == 0.0 {
            0.0
        } else {
            self.m3 / self.m2.powf(1.5)
        }
    }

    /// Kurtosis = μ₄ / σ⁴, not excess kurtosis; 0 for a flat region (PyRadiomics
    /// `getKurtosisFeatureValue`).
    fn kurtosis(&self) -> f64 {
        if self.m2 == 0.0 {
            0.0
        } else {
            self.m4 / (self.m2 * self.m2)
        }
    }
}

/// Energy = Σ (X(i) + c)², c = `voxelArrayShift` (PyRadiomics `getEnergyFeatureValue`).
fn energy(values: &[f64], shift: f64) -> f64 {
    values.iter().map(|&v| (v + shift) * (v + shift)).sum()
}

/// TotalEnergy = V_voxel · Energy, V_voxel the product of the spacings in mm³ (PyRadiomics
/// `getTotalEnergyFeatureValue`).
fn total_energy(energy: f64, spacing: [f64; 3]) -> f64 {
    energy * (spacing[0] * spacing[1] * spacing[2])
}

/// RMS = √(Σ (X(i) + c)² / N_p) (PyRadiomics `getRootMeanSquaredFeatureValue`).
fn root_mean_squared(energy: f64, count: usize) -> f64 {
    (energy / count as f64).sqrt()
}

/// The values a sorted copy of the region's intensities would hold at the ranks the features read
/// (the extremes and both neighbours of each percentile's virtual index). The grey levels, which
/// never decrease as the intensity grows, place each rank in one level's voxels: those few levels'
/// values are gathered in one pass and each rank is selected among them, where a full sort of a
/// large region cost more than every other first-order feature together and selecting among all
/// values took a pass per rank. Ranks follow `f64::total_cmp`, as the sort did.
struct Ranked {
    /// Number of values ranked.
    len: usize,
    /// Ranks, ascending, without repeats.
    ranks: Vec<usize>,
    /// `values[k]` is the value at `ranks[k]`.
    values: Vec<f64>,
}

impl Ranked {
    /// Ranks for `percentiles` (in %) of `values`, which must not be empty. `levels[i]` is value
    /// `i`'s grey level, never lower than that of a smaller value, and `counts` counts the values
    /// of each level ([`level_counts`]).
    fn new(values: &[f64], levels: &[u32], counts: &[usize], percentiles: &[f64]) -> Ranked {
        let last = values.len() - 1;
        let mut ranks = vec![0, last];
        for &q in percentiles {
            let below = virtual_index(values.len(), q).floor() as usize;
            ranks.extend([below, (below + 1).min(last)]);
        }
        ranks.sort_unstable();
        ranks.dedup();
        // Each rank's level and the rank of that level's first value.
        let mut placed = Vec::with_capacity(ranks.len());
        let (mut level, mut first) = (0, 0);
        for &rank in &ranks {
            while first + counts[level] <= rank {
                first += counts[level];
                level += 1;
            }
            placed.push((level, first));
        }
        const UNUSED: usize = usize::MAX;
        let mut slot_of_level = vec![UNUSED; counts.len()];
        let mut buckets: Vec<Vec<f64>> = Vec::new();
        for &(level, _) in &placed {
            if slot_of_level[level] == UNUSED {
                slot_of_level[level] = buckets.len();
                buckets.push(Vec::with_capacity(counts[level]));
            }
        }
        for (&v, &level) in values.iter().zip(levels) {
            let slot = slot_of_level[level as usize];
            if slot != UNUSED {
                buckets[slot].push(v);
            }
        }
        // Per bucket, the values below `selected` are already at most those left after it.
        let mut selected = vec![0; buckets.len()];
        let mut found = Vec::with_capacity(ranks.len());
        for (&rank, &(level, first)) in ranks.iter().zip(&placed) {
            let slot = slot_of_level[level];
            let (k, start) = (rank - first, selected[slot]);
            let (_, value, _) = buckets[slot][start..].select_nth_unstable_by(k - start, f64::total_cmp);
            found.push(*value);
            selected[slot] = k + 1;
        }
        Ranked {
            len: last + 1,
            ranks,
            values: found,
        }
    }

    /// The value at `rank`, which must be one of the ranks found.
    fn at(&self, rank: usize) -> f64 {
        let k = self.ranks.binary_search(&rank).expect("a rank selected in Ranked::new");
        self.values[k]
    }
}

/// numpy's virtual index `(n − 1)·q/100` of percentile `q` among `n` values.
fn virtual_index(n: usize, q: f64) -> f64 {
    (n - 1) as f64 * (q / 100.0)
}

/// `numpy.percentile(values, q)` with the default linear method: virtual index (n − 1)·q/100 and
/// numpy's two-sided `_lerp`, so results agree to the last bit.
fn percentile(ranked: &Ranked, q: f64) -> f64 {
    let n = ranked.len;
    let virtual_index = virtual_index(n, q);
    let below = virtual_index.floor();
    let i = below as usize;
    let a = ranked.at(i);
    let b = ranked.at((i + 1).min(n - 1));
    let t = virtual_index - below;
    let diff = b - a;
    if t >= 0.5 { b - diff * (1.0 - t) } else { a + diff * t }
}

/// Interquartile range = P₇₅ − P₂₅ (PyRadiomics `getInterquartileRangeFeatureValue`).
fn interquartile_range(ranked: &Ranked) -> f64 {
    percentile(ranked, 75.0) - percentile(ranked, 25.0)
}

/// MAD = 1/N_p Σ |X(i) − X̄| (PyRadiomics `getMeanAbsoluteDeviationFeatureValue`).
fn mean_absolute_deviation(values: &[f64], mean: f64) -> f64 {
    values.iter().map(|v| (v - mean).abs()).sum::<f64>() / values.len() as f64
}

/// rMAD: the MAD of the intensities between the 10th and 90th percentile, both included
/// (PyRadiomics `getRobustMeanAbsoluteDeviationFeatureValue`).
fn robust_mean_absolute_deviation(values: &[f64], ranked: &Ranked) -> f64 {
    let (p10, p90) = (percentile(ranked, 10.0), percentile(ranked, 90.0));
    let kept: Vec<f64> = values.iter().copied().filter(|&v| v >= p10 && v <= p90).collect();
    let mean = kept.iter().sum::<f64>() / kept.len() as f64;
    mean_absolute_deviation(&kept, mean)
}

/// The number of region voxels of each grey level, indexed by level.
fn level_counts(levels: &[u32]) -> Vec<usize> {
    let top = levels.iter().copied().max().unwrap_or(0) as usize;
    let mut counts = vec![0; top + 1];
    for &level in levels {
        counts[level as usize] += 1;
    }
    counts
}

/// p(i) = P(i) / N_p for the grey levels present in the region (PyRadiomics' `numpy.unique` counts
/// of the discretised image), from [`level_counts`].
fn grey_level_probabilities(counts: &[usize]) -> Vec<f64> {
    let total: usize = counts.iter().sum();
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| c as f64 / total as f64)
        .collect()
}

/// Entropy = −Σ p(i) log₂(p(i) + ε) (PyRadiomics `getEntropyFeatureValue`; IBSI intensity
/// histogram entropy).
fn entropy(probabilities: &[f64]) -> f64 {
    -probabilities.iter().map(|p| p * (p + EPS).log2()).sum::<f64>()
}

/// Uniformity = Σ p(i)² (PyRadiomics `getUniformityFeatureValue`; IBSI intensity histogram
/// uniformity).
fn uniformity(probabilities: &[f64]) -> f64 {
    probabilities.iter().map(|p| p * p).sum()
}

#[cfg(test)]
mod tests {
    use ndarray::Array3;

    use super::*;
    use crate::features::discretisation::{digitize, fixed_width_edges, value_range};

    /// Region of six voxels with intensities 1, 2, 3, 4, 5, 10 (plus one voxel outside the mask
    /// that must be ignored), spacing 1 × 2 × 3 mm, bin width 2.
    fn six_voxel_roi() -> Roi {
        let image = Array3::from_shape_vec((1, 1, 7), vec![1.0, 2.0, 3.0, 4.0, 5.0, 10.0, 1000.0]).unwrap();
        let mask = Array3::from_shape_vec((1, 1, 7), vec![true, true, true, true, true, true, false]).unwrap();
        let settings = Settings {
            bin_width: 2.0,
            ..Settings::default()
        };
        let grey_levels = super::super::discretise(&image, &mask, &settings);
        Roi {
            image,
            mask,
            spacing: [1.0, 2.0, 3.0],
            grey_levels,
        }
    }

    fn feature(features: &ClassFeatures, name: &str) -> f64 {
        features.iter().find(|(n, _)| *n == name).unwrap().1
    }

    fn assert_close(got: f64, want: f64) {
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "got {got}, want {want}"
        );
    }

    #[test]
    fn firstorder_matches_hand_computed_values_on_six_voxels() {
        let f = compute(&six_voxel_roi(), &Settings::default());
        // Mean 25/6; deviations −19/6, −13/6, −7/6, −1/6, 5/6, 35/6.
        let mean = 25.0 / 6.0;
        let devs: Vec<f64> = [1.0, 2.0, 3.0, 4.0, 5.0, 10.0].iter().map(|v| v - mean).collect();
        let m = |k: i32| devs.iter().map(|d| d.powi(k)).sum::<f64>() / 6.0;
        assert_close(feature(&f, "Mean"), mean);
        assert_close(feature(&f, "Minimum"), 1.0);
        assert_close(feature(&f, "Maximum"), 10.0);
        assert_close(feature(&f, "Range"), 9.0);
        // Σv² = 1 + 4 + 9 + 16 + 25 + 100 = 155; voxel volume 6 mm³.
        assert_close(feature(&f, "Energy"), 155.0);
        assert_close(feature(&f, "TotalEnergy"), 930.0);
        assert_close(feature(&f, "RootMeanSquared"), (155.0f64 / 6.0).sqrt());
        // Variance = Σd²/6 = (361 + 169 + 49 + 1 + 25 + 1225)/36/6 = 1830/216.
        assert_close(feature(&f, "Variance"), 1830.0 / 216.0);
        assert_close(feature(&f, "Skewness"), m(3) / m(2).powf(1.5));
        assert_close(feature(&f, "Kurtosis"), m(4) / (m(2) * m(2)));
        // MAD = Σ|d|/6 = (19 + 13 + 7 + 1 + 5 + 35)/36 = 80/36.
        assert_close(feature(&f, "MeanAbsoluteDeviation"), 80.0 / 36.0);
        // Percentiles, index (n−1)q = 5q: P10 at 0.5 → 1.5, P90 at 4.5 → 7.5, P25 at 1.25 → 2.25,
        // P75 at 3.75 → 4.75, median at 2.5 → 3.5.
        assert_close(feature(&f, "10Percentile"), 1.5);
        assert_close(feature(&f, "90Percentile"), 7.5);
        assert_close(feature(&f, "InterquartileRange"), 2.5);
        assert_close(feature(&f, "Median"), 3.5);
        // rMAD over {2, 3, 4, 5}: mean 3.5, |d| = 1.5, 0.5, 0.5, 1.5 → 1.
        assert_close(feature(&f, "RobustMeanAbsoluteDeviation"), 1.0);
    }

    #[test]
    fn histogram_features_use_the_discretised_grey_levels() {
        // Bin width 2 anchored at 0: {1} {2,3} {4,5} {10} → p = 1/6, 2/6, 2/6, 1/6.
        let f = compute(&six_voxel_roi(), &Settings::default());
        let p = [1.0 / 6.0, 2.0 / 6.0, 2.0 / 6.0, 1.0 / 6.0];
        let entropy: f64 = -p.iter().map(|p| p * (p + f64::EPSILON).log2()).sum::<f64>();
        assert_close(feature(&f, "Entropy"), entropy);
        assert_close(feature(&f, "Uniformity"), 10.0 / 36.0);
    }

    #[test]
    fn voxel_array_shift_moves_only_energy_total_energy_and_rms() {
        let roi = six_voxel_roi();
        let plain = compute(&roi, &Settings::default());
        let shifted = compute(
            &roi,
            &Settings {
                voxel_array_shift: 10.0,
                ..Settings::default()
            },
        );
        // Σ(v + 10)² = 121 + 144 + 169 + 196 + 225 + 400 = 1255.
        assert_close(feature(&shifted, "Energy"), 1255.0);
        assert_close(feature(&shifted, "TotalEnergy"), 1255.0 * 6.0);
        assert_close(feature(&shifted, "RootMeanSquared"), (1255.0f64 / 6.0).sqrt());
        for ((name, a), (_, b)) in plain.iter().zip(&shifted) {
            if !["Energy", "TotalEnergy", "RootMeanSquared"].contains(name) {
                assert_eq!(a, b, "{name} must not depend on voxelArrayShift");
            }
        }
    }

    #[test]
    fn flat_region_has_zero_skewness_kurtosis_and_spread() {
        let image = Array3::from_elem((1, 2, 2), 7.0);
        let mask = Array3::from_elem((1, 2, 2), true);
        let grey_levels = super::super::discretise(&image, &mask, &Settings::default());
        let roi = Roi {
            image,
            mask,
            spacing: [1.0; 3],
            grey_levels,
        };
        let f = compute(&roi, &Settings::default());
        for name in ["Skewness", "Kurtosis", "Variance", "Range", "InterquartileRange"] {
            assert_eq!(feature(&f, name), 0.0, "{name}");
        }
        // −1 · log₂(1 + ε): PyRadiomics' ε makes a one-level histogram's entropy −3.2e-16, not 0.
        assert_eq!(feature(&f, "Entropy"), -(1.0 + f64::EPSILON).log2());
        assert_eq!(feature(&f, "Uniformity"), 1.0);
    }

    #[test]
    fn percentile_interpolates_like_numpy() {
        // numpy.percentile([0, 10], 30) = 3.0 and [1, 2, 3, 4] at 90 = 3.7 (index 2.7).
        let percentile = |values: &[f64], q| {
            let levels = vec![1; values.len()];
            percentile(&Ranked::new(values, &levels, &level_counts(&levels), &[q]), q)
        };
        assert_close(percentile(&[0.0, 10.0], 30.0), 3.0);
        assert_close(percentile(&[1.0, 2.0, 3.0, 4.0], 90.0), 3.7);
        assert_eq!(percentile(&[5.0], 90.0), 5.0);
    }

    #[test]
    fn selected_ranks_hold_the_values_of_a_full_sort() {
        // Pseudo-random values with many ties, both zeros and a spread of magnitudes.
        let mut state = 12345u64;
        let values: Vec<f64> = (0..5001)
            .map(|k| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                match k % 7 {
                    0 => 0.0,
                    1 => -0.0,
                    _ => ((state >> 40) % 300) as f64 * 0.5 - 40.0,
                }
            })
            .collect();
        let mut sorted = values.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        let percentiles = [10.0, 25.0, 50.0, 75.0, 90.0, 33.3];
        // Wide bins down to a bin per distinct value.
        for bin_width in [1000.0, 25.0, 7.5, 0.5] {
            let edges = fixed_width_edges(value_range(values.iter().copied()).unwrap(), bin_width);
            let levels: Vec<u32> = values.iter().map(|&v| digitize(v, &edges)).collect();
            let ranked = Ranked::new(&values, &levels, &level_counts(&levels), &percentiles);
            assert_eq!(ranked.ranks.len(), 2 + 2 * percentiles.len());
            for (&rank, &value) in ranked.ranks.iter().zip(&ranked.values) {
                assert_eq!(
                    value.to_bits(),
                    sorted[rank].to_bits(),
                    "bin width {bin_width}, rank {rank}"
                );
            }
        }
    }
}
