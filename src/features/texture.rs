//! What the texture classes share besides the padded region ([`PaddedRegion`](super::angles::PaddedRegion)):
//! PyRadiomics' ε and its averaging of per-angle features.

use rayon::prelude::*;

use super::ClassFeatures;

/// `numpy.spacing(1)`, the ε PyRadiomics adds inside logarithms and denominators.
pub const EPS: f64 = f64::EPSILON;

/// A feature as a function of one angle's matrix `M`, with its PyRadiomics name.
pub type NamedFeature<M> = (&'static str, fn(&M) -> f64);

/// Every feature on every angle's matrix, then the mean over angles ignoring NaN (numpy `nanmean`,
/// PyRadiomics' default aggregation), in the order of `features`.
pub fn average_over_angles<M: Sync>(features: &[NamedFeature<M>], matrices: &[M]) -> ClassFeatures {
    let per_angle: Vec<Vec<f64>> = matrices
        .par_iter()
        .map(|m| features.iter().map(|(_, feature)| feature(m)).collect())
        .collect();
    features
        .iter()
        .enumerate()
        .map(|(k, (name, _))| (*name, nan_mean(per_angle.iter().map(|values| values[k]))))
        .collect()
}

/// numpy `nanmean`: the mean of the non-NaN values, NaN when there are none.
pub fn nan_mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values
        .filter(|v| !v.is_nan())
        .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    if count == 0 { f64::NAN } else { sum / count as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angle_average_skips_nan_like_numpy_nanmean() {
        assert_eq!(nan_mean([1.0, f64::NAN, 2.0].into_iter()), 1.5);
        assert!(nan_mean([f64::NAN].into_iter()).is_nan());
        let features: [NamedFeature<f64>; 2] = [("Same", |&m| m), ("Double", |&m| 2.0 * m)];
        assert_eq!(
            average_over_angles(&features, &[1.0, 3.0]),
            vec![("Same", 2.0), ("Double", 4.0)]
        );
    }
}
