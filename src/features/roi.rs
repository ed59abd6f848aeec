//! Building a [`Roi`]: crop image and mask to the mask's bounding box, then discretise.

use std::ops::Range;

use ndarray::{Array3, CowArray, Ix3, s};

use super::discretisation::{Digitizer, fixed_count_edges, fixed_width_edges, masked_value_range, value_range};
use super::{Roi, Settings};

pub use crate::imaging::bounding_box;

impl Roi {
    /// Crops `image` and `region` to the region's bounding box and discretises the region's grey
    /// levels with `settings` (bin count if set, else bin width). `None` when the region is empty.
    pub fn new(image: &Array3<f64>, region: &Array3<bool>, spacing: [f64; 3], settings: &Settings) -> Option<Roi> {
        let bounds = bounding_box(region)?;
        Some(Roi::within(image, region, &bounds, spacing, settings))
    }

    /// Crops `image` and `region` to `bounds` and discretises the region's grey levels. `bounds`
    /// may cut the region: PyRadiomics crops the shape mask to the resegmented region's box.
    pub fn within(
        image: &Array3<f64>,
        region: &Array3<bool>,
        bounds: &[Range<usize>; 3],
        spacing: [f64; 3],
        settings: &Settings,
    ) -> Roi {
        let [z, y, x] = bounds.clone();
        Roi::on_box(image.slice(s![z, y, x]).into(), region, bounds, spacing, settings)
    }

    /// [`Roi::within`] for an image already cut to `bounds` (a filter that computed only the box),
    /// taken without a copy when owned.
    pub fn on_box(
        image: CowArray<'_, f64, Ix3>,
        region: &Array3<bool>,
        bounds: &[Range<usize>; 3],
        spacing: [f64; 3],
        settings: &Settings,
    ) -> Roi {
        let [z, y, x] = bounds.clone();
        let mask = region.slice(s![z, y, x]).to_owned();
        assert_eq!(image.shape(), mask.shape(), "an image on another box than {bounds:?}");
        let image = image.into_owned();
        let grey_levels = discretise(&image, &mask, settings);
        Roi {
            image,
            mask,
            spacing,
            grey_levels,
        }
    }
}

#[cfg(test)]
impl Roi {
    /// A test region with unit spacing: the image holds `grey_levels` and the mask is their
    /// non-zero voxels.
    pub(crate) fn of_grey_levels(grey_levels: Array3<u32>) -> Roi {
        Roi {
            image: grey_levels.mapv(f64::from),
            mask: grey_levels.mapv(|l| l != 0),
            spacing: [1.0; 3],
            grey_levels,
        }
    }
}

/// PyRadiomics `binImage`: edges from the values inside the mask, then `digitize`; 0 outside.
pub fn discretise(image: &Array3<f64>, mask: &Array3<bool>, settings: &Settings) -> Array3<u32> {
    // The edges need only the extremes: no copy of the region's values.
    let range = match (image.as_slice(), mask.as_slice()) {
        (Some(values), Some(inside)) => masked_value_range(values, inside),
        _ => value_range(image.iter().zip(mask).filter(|(_, m)| **m).map(|(v, _)| *v)),
    };
    let Some(range) = range else {
        return Array3::zeros(image.raw_dim());
    };
    let edges = match settings.bin_count {
        Some(count) => fixed_count_edges(range, count),
        None => fixed_width_edges(range, settings.bin_width),
    };
    let digitizer = Digitizer::new(&edges);
    let mut levels = Array3::zeros(image.raw_dim());
    ndarray::Zip::from(&mut levels)
        .and(image)
        .and(mask)
        .for_each(|l, &v, &m| {
            if m {
                *l = digitizer.level(v);
            }
        });
    levels
}

#[cfg(test)]
mod tests {
    use ndarray::ShapeBuilder;

    use super::*;
    use crate::features::discretisation::digitize;

    #[test]
    fn levels_are_the_same_whatever_the_arrays_memory_order() {
        let image = Array3::from_shape_fn((3, 4, 5), |(z, y, x)| {
            ((z * 31 + y * 7 + x * 13) % 17) as f64 * 9.5 - 40.0
        });
        let mask = image.mapv(|v| v > -20.0);
        let settings = Settings {
            bin_width: 10.0,
            ..Settings::default()
        };
        // Row-major arrays take the lane-wise value range, column-major ones the per-voxel one.
        let mut column_major_image = Array3::zeros((3, 4, 5).f());
        column_major_image.assign(&image);
        let mut column_major_mask = Array3::from_elem((3, 4, 5).f(), false);
        column_major_mask.assign(&mask);
        assert!(column_major_image.as_slice().is_none());
        let levels = discretise(&image, &mask, &settings);
        assert_eq!(levels, discretise(&column_major_image, &column_major_mask, &settings));
        // -11.5 is the smallest value inside: edges from -20 in steps of 10.
        let edges = fixed_width_edges((-11.5, 112.0), 10.0);
        for ((&level, &value), &inside) in levels.iter().zip(&image).zip(&mask) {
            assert_eq!(level, if inside { digitize(value, &edges) } else { 0 });
        }
    }
}
