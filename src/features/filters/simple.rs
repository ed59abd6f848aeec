//! PyRadiomics' point-wise image types (`imageoperations.getSquareImage`, `getSquareRootImage`,
//! `getLogarithmImage`, `getExponentialImage`): each maps every voxel through a function scaled by
//! the image's largest absolute intensity, so the result keeps the original's range, and PyRadiomics
//! returns it as float64.

use ndarray::Array3;

use super::FilterError;

/// The four point-wise image types, named as in PyRadiomics' params files (`imageType:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointwiseFilter {
    /// `Square`: `(x / √max|x|)²`.
    Square,
    /// `SquareRoot`: `sign(x) · √(|x| · max|x|)`.
    SquareRoot,
    /// `Logarithm`: `sign(x) · log(|x| + 1)`, rescaled to the original `max|x|`.
    Logarithm,
    /// `Exponential`: `exp(x · log(max|x|) / max|x|)`.
    Exponential,
}

impl PointwiseFilter {
    /// Every point-wise filter, in PyRadiomics' documentation order.
    pub const ALL: [PointwiseFilter; 4] = [
        PointwiseFilter::Square,
        PointwiseFilter::SquareRoot,
        PointwiseFilter::Logarithm,
        PointwiseFilter::Exponential,
    ];

    /// PyRadiomics' image-type name, the prefix of its feature names (`square_firstorder_Mean`).
    pub fn image_name(self) -> &'static str {
        match self {
            PointwiseFilter::Square => "square",
            PointwiseFilter::SquareRoot => "squareroot",
            PointwiseFilter::Logarithm => "logarithm",
            PointwiseFilter::Exponential => "exponential",
        }
    }

    /// The filtered image, computed as PyRadiomics does in float64.
    ///
    /// An image that is 0 everywhere is an error for `Square`, `Logarithm` and `Exponential`, whose
    /// scale factor is then undefined (PyRadiomics returns an all-NaN image); `SquareRoot` returns
    /// zeros as PyRadiomics does.
    pub fn apply(self, image: &Array3<f64>) -> Result<Array3<f64>, FilterError> {
        let max_abs = image.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        if max_abs == 0.0 && self != PointwiseFilter::SquareRoot {
            return Err(FilterError::AllZeroImage {
                image_type: self.image_name(),
            });
        }
        Ok(match self {
            PointwiseFilter::Square => {
                let coeff = 1.0 / max_abs.sqrt();
                image.mapv(|x| {
                    let scaled = coeff * x;
                    scaled * scaled
                })
            }
            PointwiseFilter::SquareRoot => image.mapv(|x| {
                if x > 0.0 {
                    (x * max_abs).sqrt()
                } else if x < 0.0 {
                    -(-x * max_abs).sqrt()
                } else {
                    x
                }
            }),
            PointwiseFilter::Logarithm => {
                let logs = image.mapv(|x| {
                    if x > 0.0 {
                        (x + 1.0).ln()
                    } else if x < 0.0 {
                        -(-(x - 1.0)).ln()
                    } else {
                        x
                    }
                });
                let max_log = logs.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
                let scale = max_abs / max_log;
                logs.mapv(|v| v * scale)
            }
            PointwiseFilter::Exponential => {
                let coeff = max_abs.ln() / max_abs;
                image.mapv(|x| (coeff * x).exp())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_all_zero_image_is_an_error_naming_the_image_type_except_for_square_root() {
        let zeros = Array3::<f64>::zeros((2, 2, 2));
        for filter in PointwiseFilter::ALL {
            let result = filter.apply(&zeros);
            if filter == PointwiseFilter::SquareRoot {
                assert_eq!(result.unwrap(), zeros);
            } else {
                let message = result.unwrap_err().to_string();
                assert!(message.contains(filter.image_name()), "{message}");
            }
        }
    }

    #[test]
    fn every_filter_maps_the_largest_positive_intensity_onto_itself() {
        let image = Array3::from_shape_vec((1, 2, 3), vec![-25.0, -3.0, 0.0, 2.0, 17.0, 40.0]).unwrap();
        for filter in PointwiseFilter::ALL {
            let out = filter.apply(&image).unwrap();
            let max_abs = out.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
            assert!(
                (max_abs - 40.0).abs() < 1e-12,
                "{}: max |f(x)| = {max_abs}",
                filter.image_name()
            );
        }
    }
}
