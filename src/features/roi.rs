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
