//! The stationary (undecimated) wavelet transform PyRadiomics uses for its `Wavelet` image type
//! (`imageoperations.getWaveletImage`/`_swt3`, built on PyWavelets' `swtn` with `level=1`).
//!
//! Each axis with an odd length is padded by one wrapped sample, every level filters every axis
//! with the wavelet's low- and high-pass decomposition filters under periodic extension, and the
//! padding is cut off again. Level n+1 transforms level n's all-low-pass approximation with the
//! same (not upsampled) filters, exactly as PyRadiomics calls `swtn` once per level.

use std::borrow::Cow;
use std::ops::Range;

use ndarray::{Array3, ArrayBase, Axis, Data, Ix3};

use multiversion::multiversion;

use crate::imaging::map_lines_along;

use super::FilterError;
use super::wavelet_filters::WAVELET_FILTERS;

/// One filtered image and its PyRadiomics image-type name (`wavelet-LLH`, `wavelet2-HHH`).
#[derive(Debug, Clone)]
pub struct WaveletImage {
    /// `wavelet-<bands>` for the first level, `wavelet<N>-<bands>` for level N > 1.
    pub name: String,
    /// Filtered intensities on the box that was asked for.
    pub image: Array3<f64>,
}

/// Decomposition filters `(low-pass, high-pass)` of a PyWavelets wavelet name.
pub fn wavelet_filters(name: &str) -> Result<(&'static [f64], &'static [f64]), FilterError> {
    WAVELET_FILTERS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, lo, hi)| (*lo, *hi))
        .ok_or_else(|| FilterError::UnknownWavelet {
            name: name.to_owned(),
            known: WAVELET_FILTERS.iter().map(|(n, _, _)| *n).collect(),
        })
}

/// Hands every sub-band PyRadiomics yields for `Wavelet` with these settings to `visit`, on the
/// `keep` box (`[z, y, x]` ranges of `image`; features read only the region's bounding box), in its
/// order: for each level from `start_level` the 2^d − 1 detail bands (`…LLH`, `…LHL`, … `…HHH`), then
/// the final approximation. Bands are computed one at a time, so besides the band being visited only
/// the current level's input, its all-low band and one partial band per filtered axis are alive.
///
/// Each axis's convolution computes only the box's samples along it, from whole (periodic) lines, so
/// the next axis has only the lines through the box to filter: the values are those of transforming
/// the whole image, bit for bit. A level that feeds the next is still transformed whole.
///
/// `axes` are the `[z, y, x]` array axes to filter, in PyRadiomics' order (`[2, 1, 0]` in 3-D; with
/// force2D the `force2Ddimension` axis is left out). Band letters follow that order: `wavelet-LLH` is
/// low-pass along x and y and high-pass along z.
pub fn for_each_wavelet_image<E: From<FilterError>>(
    image: &Array3<f64>,
    wavelet: &str,
    start_level: u32,
    level: u32,
    axes: &[usize],
    keep: &[Range<usize>; 3],
    mut visit: impl FnMut(WaveletImage) -> Result<(), E>,
) -> Result<(), E> {
    let (lo, hi) = wavelet_filters(wavelet)?;
    if level == 0 {
        return Err(FilterError::InvalidSetting {
            key: "level",
            message: "must be at least 1".into(),
        }
        .into());
    }
    let mut data = pad_odd_axes_by_wrapping(image);
    for _ in 0..start_level {
        data = Cow::Owned(all_low_band(&data, lo, axes));
    }
    for index in 1..level {
        detail_bands_on_box(&data, (lo, hi), axes, keep, index, &mut visit)?;
        data = Cow::Owned(all_low_band(&data, lo, axes));
    }
    let approximation = detail_bands_on_box(&data, (lo, hi), axes, keep, level, &mut visit)?;
    visit(WaveletImage {
        name: wavelet_image_name(level, &"L".repeat(axes.len())),
        image: approximation,
    })
}

/// Hands level `index`'s detail bands of `data` on the `keep` box to `visit`, and returns the
/// level's all-low band on the box.
fn detail_bands_on_box<E>(
    data: &Array3<f64>,
    (lo, hi): (&[f64], &[f64]),
    axes: &[usize],
    keep: &[Range<usize>; 3],
    index: u32,
    visit: &mut impl FnMut(WaveletImage) -> Result<(), E>,
) -> Result<Array3<f64>, E> {
    // Axes left unfiltered (force2D) are cut to the box at once: their lines never mix.
    let data = data.slice_each_axis(|a| {
        let axis = a.axis.index();
        if axes.contains(&axis) {
            (..).into()
        } else {
            keep[axis].clone().into()
        }
    });
    let mut approximation = None;
    swt_bands(&data, lo, hi, axes, keep, "", &mut |bands, band| {
        if bands.bytes().all(|letter| letter == b'L') {
            approximation = Some(band);
            return Ok(());
        }
        visit(WaveletImage {
            name: wavelet_image_name(index, &bands),
            image: band,
        })
    })?;
    // Without axes there is nothing to filter: the approximation is the input.
    Ok(approximation.unwrap_or_else(|| data.to_owned()))
}

/// PyRadiomics numbers levels from 1 whatever `start_level` is, and omits the number for level 1.
fn wavelet_image_name(index: u32, bands: &str) -> String {
    if index == 1 {
        format!("wavelet-{bands}")
    } else {
        format!("wavelet{index}-{bands}")
    }
}

/// The all-low band of one `pywt.swtn(…, level=1, axes)` level, whole: low-pass along every axis in
/// turn.
fn all_low_band(data: &Array3<f64>, lo: &[f64], axes: &[usize]) -> Array3<f64> {
    axes.iter()
        .fold(Cow::Borrowed(data), |band, &axis| {
            let whole = 0..band.len_of(Axis(axis));
            Cow::Owned(swt_axis(&band, lo, axis, whole))
        })
        .into_owned()
}

/// One level of `pywt.swtn(…, level=1, axes)` on the `keep` box, depth first: filters `data`
/// (already filtered into `bands` along the axes before `axes`) low (`L`) then high (`H`) pass along
/// `axes[0]` and hands each finished band to `band_done` in PyWavelets' key order (`LLL`, `LLH`,
/// `LHL`, … `HHH`). Only one partial band per axis is alive at a time, not all 2^d bands.
fn swt_bands<S: Data<Elem = f64>, E>(
    data: &ArrayBase<S, Ix3>,
    lo: &[f64],
    hi: &[f64],
    axes: &[usize],
    keep: &[Range<usize>; 3],
    bands: &str,
    band_done: &mut impl FnMut(String, Array3<f64>) -> Result<(), E>,
) -> Result<(), E> {
    let Some((&axis, rest)) = axes.split_first() else {
        return Ok(());
    };
    for (letter, filter) in [('L', lo), ('H', hi)] {
        let band = swt_axis(data, filter, axis, keep[axis].clone());
        let name = format!("{bands}{letter}");
        if rest.is_empty() {
            band_done(name, band)?;
        } else {
            swt_bands(&band, lo, hi, rest, keep, &name, band_done)?;
        }
    }
    Ok(())
}

/// Periodic convolution along `axis` as PyWavelets' level-1 `swt`, at the `keep` samples:
/// `out[i] = Σ_k f[k] · x[(i + L/2 − k) mod N]` for a filter of even length L.
///
/// Each line's samples that the kept outputs read are first copied into a periodically extended
/// contiguous buffer, so the inner loop has no modulo and no stride; the sum keeps PyWavelets' order
/// over k, so results are unchanged.
fn swt_axis<S: Data<Elem = f64>>(
    data: &ArrayBase<S, Ix3>,
    filter: &[f64],
    axis: usize,
    keep: Range<usize>,
) -> Array3<f64> {
    let n = data.len_of(Axis(axis));
    let taps = filter.len();
    // ext[t] = x[(keep.start + t + shift − (L − 1)) mod n], so output keep.start + i reads
    // x[(keep.start + i + shift − k) mod n] = ext[i + L − 1 − k].
    let offset = keep.start as i64 + (taps / 2) as i64 - (taps as i64 - 1);
    let source: Vec<usize> = (0..keep.len() + taps - 1)
        .map(|t| (t as i64 + offset).rem_euclid(n as i64) as usize)
        .collect();
    map_lines_along(
        data,
        Axis(axis),
        keep,
        |v| v,
        |extended: &mut Vec<f64>, block, out, w, _| {
            // Blocks of lines, interleaved: ext[t] of line k at extended[t * w + k].
            extended.clear();
            for &j in &source {
                extended.extend_from_slice(&block[j * w..(j + 1) * w]);
            }
            convolve_lines(filter, extended, out, w);
        },
    )
}

/// `out[i]` of `w` interleaved lines (`out[i * w + k]`) from their extended samples:
/// `f[0]·ext[i + L − 1] + f[1]·ext[i + L − 2] + …`, summed in that order.
///
/// Also compiled for AVX, chosen at run time when the CPU has it: the loop over the lines then uses
/// 4-wide vectors, with the same values (Rust never fuses `a * b + c`).
#[multiversion(targets("x86_64+avx"))]
fn convolve_lines(filter: &[f64], extended: &[f64], out: &mut [f64], w: usize) {
    let taps = filter.len();
    for (i, out_row) in out.chunks_exact_mut(w).enumerate() {
        out_row.fill(0.0);
        for (k, &f) in filter.iter().enumerate() {
            let ext_row = &extended[(i + taps - 1 - k) * w..(i + taps - k) * w];
            for (o, &v) in out_row.iter_mut().zip(ext_row) {
                *o += f * v;
            }
        }
    }
}

/// `numpy.pad(x, [(0, n % 2)…], 'wrap')`: an odd axis gains one sample equal to its first. Borrowed
/// when no axis is odd.
fn pad_odd_axes_by_wrapping(image: &Array3<f64>) -> Cow<'_, Array3<f64>> {
    let (z, y, x) = image.dim();
    let padded = (z + z % 2, y + y % 2, x + x % 2);
    if padded == image.dim() {
        return Cow::Borrowed(image);
    }
    Cow::Owned(Array3::from_shape_fn(padded, |(k, j, i)| image[[k % z, j % y, i % x]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PyRadiomics 3.1 `getWaveletImage` outputs on seeded volumes (scripts/reference/filter_fixtures.py).
    #[test]
    fn wavelet_images_match_pyradiomics_for_each_fixture_case() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/filters/wavelet.json"
        ))
        .unwrap();
        let fixture: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut failures = Vec::new();
        for case in fixture["cases"].as_array().unwrap() {
            let shape: Vec<usize> = case["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            let input: Vec<f64> = case["input"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            let image = Array3::from_shape_vec((shape[0], shape[1], shape[2]), input).unwrap();
            let s = &case["settings"];
            let mut axes = vec![2, 1, 0];
            if s["force2D"].as_bool() == Some(true) {
                let d = s["force2Ddimension"].as_u64().unwrap() as usize;
                axes.retain(|&a| a != d);
            }
            let mut got = Vec::new();
            let whole = [0..shape[0], 0..shape[1], 0..shape[2]];
            for_each_wavelet_image::<FilterError>(
                &image,
                s["wavelet"].as_str().unwrap(),
                s["start_level"].as_u64().unwrap_or(0) as u32,
                s["level"].as_u64().unwrap_or(1) as u32,
                &axes,
                &whole,
                |w| {
                    got.push(w);
                    Ok(())
                },
            )
            .unwrap();
            let names: Vec<&str> = got.iter().map(|w| w.name.as_str()).collect();
            let want_names: Vec<&str> = case["order"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(names, want_names, "{s}: image types or their order differ");
            for w in &got {
                let want = case["outputs"][&w.name].as_array().unwrap();
                for (i, (g, e)) in w.image.iter().zip(want).enumerate() {
                    let e = e.as_f64().unwrap();
                    // Same coefficients and the same sums, in a different order: round-off only.
                    if (g - e).abs() > 1e-9 * e.abs().max(1.0) {
                        failures.push(format!("{s} {} voxel {i}: got {g}, want {e}", w.name));
                    }
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} differences, first: {:?}",
            failures.len(),
            &failures[..failures.len().min(10)]
        );
    }

    fn wavelet_images_on(
        image: &Array3<f64>,
        (wavelet, start_level, level): (&str, u32, u32),
        axes: &[usize],
        keep: &[Range<usize>; 3],
    ) -> Vec<WaveletImage> {
        let mut images = Vec::new();
        for_each_wavelet_image::<FilterError>(image, wavelet, start_level, level, axes, keep, |w| {
            images.push(w);
            Ok(())
        })
        .unwrap();
        images
    }

    #[test]
    fn the_images_on_a_box_are_that_box_of_the_whole_images_bit_for_bit() {
        // Odd axes (padded by wrapping), a second level and a start level (whole intermediate
        // approximations), force2D's axes (one axis cut without filtering), a box at an edge.
        let image = Array3::from_shape_fn((9, 10, 13), |(z, y, x)| {
            ((z * 131 + y * 31 + x * 7) % 17) as f64 * 3.5 - 20.0
        });
        let whole = [0..9, 0..10, 0..13];
        for settings in [("coif1", 0, 1), ("db3", 0, 2), ("haar", 1, 1)] {
            for axes in [vec![2, 1, 0], vec![2, 1], vec![]] {
                let want = wavelet_images_on(&image, settings, &axes, &whole);
                for keep in [[2..7, 3..10, 4..13], [0..1, 9..10, 0..13], [8..9, 0..10, 6..7]] {
                    let [z, y, x] = keep.clone();
                    let got = wavelet_images_on(&image, settings, &axes, &keep);
                    assert_eq!(got.len(), want.len(), "{settings:?} {axes:?} {keep:?}");
                    for (g, w) in got.iter().zip(&want) {
                        assert_eq!(g.name, w.name);
                        let expected = w.image.slice(ndarray::s![z.clone(), y.clone(), x.clone()]);
                        assert_eq!(g.image, expected, "{settings:?} {axes:?} {keep:?} {}", g.name);
                    }
                }
            }
        }
    }

    #[test]
    fn unknown_wavelet_is_an_error_that_lists_the_known_ones() {
        let err = wavelet_filters("coif99").unwrap_err().to_string();
        assert!(
            err.contains("\"coif99\"") && err.contains("coif1") && err.contains("haar"),
            "{err}"
        );
    }
}
