//! Intensity preprocessing PyRadiomics applies before features: normalisation of the whole image
//! (`imageoperations.normalizeImage`) and resegmentation of the region by intensity
//! (`imageoperations.resegmentMask`).

use ndarray::{Array3, Zip};

use super::FeatureError;
use crate::imaging::{PixelType, Volume};

/// How `resegmentRange` thresholds are read (`resegmentMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResegmentMode {
    /// `absolute`: grey values as they are.
    Absolute,
    /// `relative`: fractions of the region's maximum.
    Relative,
    /// `sigma`: standard deviations from the region's mean.
    Sigma,
}

impl ResegmentMode {
    /// The PyRadiomics spelling.
    pub fn name(self) -> &'static str {
        match self {
            ResegmentMode::Absolute => "absolute",
            ResegmentMode::Relative => "relative",
            ResegmentMode::Sigma => "sigma",
        }
    }
}

/// A validated `resegmentRange` in its `resegmentMode`: thresholds sorted, the upper one optional.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resegmentation {
    /// Voxels below this (in `mode`'s units) leave the region.
    pub lower: f64,
    /// Voxels above this leave the region; `None` when one threshold was given.
    pub upper: Option<f64>,
    /// How the thresholds are read.
    pub mode: ResegmentMode,
}

impl std::fmt::Display for Resegmentation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.upper {
            Some(upper) => write!(f, "resegmentRange [{}, {}]", self.lower, upper)?,
            None => write!(f, "resegmentRange [{}]", self.lower)?,
        }
        write!(f, " (resegmentMode {})", self.mode.name())
    }
}

/// PyRadiomics `normalizeImage`: SimpleITK `Normalize` — `(x − μ)·(1/σ)` with the mean and the
/// unbiased (n − 1) standard deviation of every voxel of the image, not just the region — then, with
/// `outliers`, values beyond ±`outliers` clamped, and finally multiplied by `scale`. The result is
/// float64, as SimpleITK's is, so later resampling does not truncate it to the file's integer type.
pub fn normalize_image(image: &Volume<f64>, scale: f64, outliers: Option<f64>) -> Volume<f64> {
    let (mean, sigma) = itk_mean_and_sigma(image.voxels.iter().copied());
    // ITK's ShiftScaleImageFilter: (x + shift)·scale with shift = −μ and scale = 1/σ.
    let inverse_sigma = 1.0 / sigma;
    let voxels = image.voxels.mapv(|x| {
        let z = (x - mean) * inverse_sigma;
        let z = match outliers {
            Some(n) if z > n => n,
            Some(n) if z < -n => -n,
            _ => z,
        };
        z * scale
    });
    Volume {
        geometry: image.geometry.clone(),
        voxels,
        pixel_type: PixelType::F64,
    }
}

/// ITK `StatisticsImageFilter`: compensated (Kahan) sums of values and squares, mean = Σx/n and
/// σ = √((Σx² − (Σx)²/n)/(n − 1)).
fn itk_mean_and_sigma(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut sum, mut squares, mut n) = (KahanSum::default(), KahanSum::default(), 0usize);
    for x in values {
        sum.add(x);
        squares.add(x * x);
        n += 1;
    }
    let count = n as f64;
    let (sum, squares) = (sum.total, squares.total);
    let variance = (squares - sum * sum / count) / (count - 1.0);
    (sum / count, variance.sqrt())
}

/// ITK's `CompensatedSummation`.
#[derive(Default)]
struct KahanSum {
    total: f64,
    compensation: f64,
}

impl KahanSum {
    fn add(&mut self, x: f64) {
        let compensated = x - self.compensation;
        let sum = self.total + compensated;
        self.compensation = (sum - self.total) - compensated;
        self.total = sum;
    }
}

/// PyRadiomics `resegmentMask`: the voxels of `region` whose value in `image` lies within the
/// thresholds (inclusive), the thresholds read in `resegmentation.mode` from the region's values.
/// Fails, naming the range, when one voxel or none is left.
pub fn resegment(
    image: &Array3<f64>,
    region: &Array3<bool>,
    resegmentation: &Resegmentation,
    label: i32,
) -> Result<Array3<bool>, FeatureError> {
    let values: Vec<f64> = image
        .iter()
        .zip(region)
        .filter_map(|(&v, &inside)| inside.then_some(v))
        .collect();
    let (lower, upper) = thresholds(&values, resegmentation);
    let mut kept = region.clone();
    Zip::from(&mut kept).and(image).for_each(|inside, &v| {
        *inside = *inside && v >= lower && upper.is_none_or(|u| v <= u);
    });
    let retained = kept.iter().filter(|&&inside| inside).count();
    if retained <= 1 {
        return Err(FeatureError::ResegmentedAway {
            label,
            retained,
            resegmentation: *resegmentation,
        });
    }
    Ok(kept)
}

/// The thresholds in grey values, `offset + factor·t` with the operations PyRadiomics uses: `t`
/// itself (absolute), the region's maximum times `t` (relative), or mean + σ·`t` with the mean and
/// population σ as numpy's `mean` and `std` compute them (sigma).
fn thresholds(values: &[f64], resegmentation: &Resegmentation) -> (f64, Option<f64>) {
    let (offset, factor) = match resegmentation.mode {
        ResegmentMode::Absolute => (0.0, 1.0),
        ResegmentMode::Relative => (0.0, values.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        ResegmentMode::Sigma => {
            let n = values.len() as f64;
            let mean = pairwise_sum(values) / n;
            let squares: Vec<f64> = values.iter().map(|v| (v - mean) * (v - mean)).collect();
            (mean, (pairwise_sum(&squares) / n).sqrt())
        }
    };
    // Adding a zero offset and multiplying by 1 leave every threshold bit-identical.
    let to_grey = |t: f64| offset + factor * t;
    (to_grey(resegmentation.lower), resegmentation.upper.map(to_grey))
}

/// numpy's pairwise summation (`pairwise_sum` in numpy/core/src/umath/loops_utils.h): blocks of up
/// to 128 summed with 8 accumulators, larger arrays split in halves (at a multiple of 8).
fn pairwise_sum(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 8 {
        return values.iter().fold(0.0, |acc, v| acc + v);
    }
    if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&values[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for (k, acc) in r.iter_mut().enumerate() {
                *acc += values[i + k];
            }
            i += 8;
        }
        let mut total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for v in &values[i..] {
            total += v;
        }
        return total;
    }
    let half = n / 2;
    let half = half - half % 8;
    pairwise_sum(&values[..half]) + pairwise_sum(&values[half..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imaging::Geometry;

    fn volume(values: &[f64]) -> Volume<f64> {
        let geometry = Geometry {
            size: [values.len(), 1, 1],
            spacing: [1.0; 3],
            origin: [0.0; 3],
            direction: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        };
        Volume {
            geometry,
            voxels: Array3::from_shape_vec((1, 1, values.len()), values.to_vec()).unwrap(),
            pixel_type: PixelType::I16,
        }
    }

    #[test]
    fn normalisation_uses_the_whole_image_with_the_unbiased_deviation_and_yields_float64() {
        // Mean 5, Σ(x−μ)² = 40 over 4 voxels: σ = √(40/3) (n − 1, as ITK's StatisticsImageFilter).
        let normalized = normalize_image(&volume(&[1.0, 3.0, 7.0, 9.0]), 1.0, None);
        let sigma = (40.0f64 / 3.0).sqrt();
        let want = [-4.0 / sigma, -2.0 / sigma, 2.0 / sigma, 4.0 / sigma];
        for (got, want) in normalized.voxels.iter().zip(want) {
            assert!((got - want).abs() < 1e-15, "{got} vs {want}");
        }
        assert_eq!(normalized.pixel_type, PixelType::F64);
    }

    #[test]
    fn outliers_are_clamped_in_standard_deviations_before_scaling() {
        // 19 zeros and one 100: μ = 5, σ = √((10000 − 10000/20)/19) = √500; the 100 lies at
        // 95/√500 ≈ 4.25σ and is clamped to 2σ, the zeros at −0.224σ are not.
        let mut values = vec![0.0; 19];
        values.push(100.0);
        let normalized = normalize_image(&volume(&values), 100.0, Some(2.0));
        assert_eq!(normalized.voxels[[0, 0, 19]], 200.0);
        let zero = (0.0 - 5.0) * (1.0 / 500f64.sqrt()) * 100.0;
        assert_eq!(normalized.voxels[[0, 0, 0]], zero);
        let unclamped = normalize_image(&volume(&values), 100.0, None);
        assert!(unclamped.voxels[[0, 0, 19]] > 400.0);
    }

    fn ramp() -> (Array3<f64>, Array3<bool>) {
        // Values 0..10 along x; the region is x = 1..=8.
        let image = Array3::from_shape_fn((1, 1, 10), |(_, _, x)| x as f64);
        let region = Array3::from_shape_fn((1, 1, 10), |(_, _, x)| (1..=8).contains(&x));
        (image, region)
    }

    fn kept(
        image: &Array3<f64>,
        region: &Array3<bool>,
        lower: f64,
        upper: Option<f64>,
        mode: ResegmentMode,
    ) -> Vec<usize> {
        let r = Resegmentation { lower, upper, mode };
        resegment(image, region, &r, 1)
            .unwrap()
            .iter()
            .enumerate()
            .filter_map(|(i, &k)| k.then_some(i))
            .collect()
    }

    #[test]
    fn absolute_resegmentation_keeps_the_closed_range_inside_the_region() {
        let (image, region) = ramp();
        assert_eq!(
            kept(&image, &region, 3.0, Some(6.0), ResegmentMode::Absolute),
            [3, 4, 5, 6]
        );
        // One threshold is a lower bound only; voxels outside the region never join it.
        assert_eq!(kept(&image, &region, 6.0, None, ResegmentMode::Absolute), [6, 7, 8]);
    }

    #[test]
    fn relative_resegmentation_scales_the_thresholds_by_the_region_maximum() {
        let (image, region) = ramp();
        // Region maximum 8: [0.5, 0.75] → [4, 6].
        assert_eq!(
            kept(&image, &region, 0.5, Some(0.75), ResegmentMode::Relative),
            [4, 5, 6]
        );
    }

    #[test]
    fn sigma_resegmentation_uses_the_region_mean_and_population_deviation() {
        let (image, region) = ramp();
        // Region 1..=8: mean 4.5, population σ = √5.25 ≈ 2.291; ±1σ → [2.209, 6.791].
        assert_eq!(
            kept(&image, &region, -1.0, Some(1.0), ResegmentMode::Sigma),
            [3, 4, 5, 6]
        );
    }

    #[test]
    fn resegmentation_leaving_one_voxel_is_an_error_naming_the_range() {
        let (image, region) = ramp();
        let r = Resegmentation {
            lower: 8.0,
            upper: None,
            mode: ResegmentMode::Absolute,
        };
        let err = resegment(&image, &region, &r, 1).unwrap_err().to_string();
        assert!(err.contains("resegmentRange [8]") && err.contains("1 voxel"), "{err}");
    }

    #[test]
    fn pairwise_sum_matches_numpy_blocking() {
        // 0.1 summed 1000 times: numpy.sum gives 100.00000000000001 (naive summation gives
        // 99.9999999999986).
        let values = vec![0.1; 1000];
        assert_eq!(pairwise_sum(&values), 100.00000000000001);
        assert_eq!(pairwise_sum(&[1.0, 2.0, 3.0]), 6.0);
    }
}
