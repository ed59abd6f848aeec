//! PyRadiomics' diagnostics (`additionalInfo`, `radiomics/generalinfo.py`): what was read, what
//! the region is and which settings ran, under PyRadiomics' key names.
//!
//! Values equal PyRadiomics' bit for bit: hashes are SHA-1 of the voxel bytes in the stored pixel
//! type (`sitk.Hash`), means use numpy's summation order, centres of mass ITK's index-to-physical
//! arithmetic. `diagnostics_Versions_*` names radscore's version instead of PyRadiomics' stack.
//! CSV text is PyRadiomics' under numpy < 2 (numpy 2 would print tuples as `(np.float64(1.5), …)`);
//! `Dimensionality` is always `3D`, as radscore reads every volume as 3-D.

use std::borrow::Cow;

use ndarray::Array3;
use serde_yaml::{Mapping, Value};
use sha1::{Digest, Sha1};

use super::bounding_box;
use super::error::FeatureError;
use super::extract::load;
use super::params::Params;
use crate::imaging::{Geometry, PixelType, Volume, label_region};

/// One diagnostic value, typed so JSON gets natural types and CSV PyRadiomics' `str()` text.
#[derive(Debug, Clone, PartialEq)]
pub enum DiagnosticValue {
    /// A string (hash, version, `3D`).
    Text(String),
    /// A count (voxels, connected volumes).
    Count(u64),
    /// A number (mean, minimum, maximum).
    Number(f64),
    /// A tuple of integers (size, bounding box).
    Integers(Vec<usize>),
    /// A tuple of numbers (spacing, centre of mass).
    Numbers(Vec<f64>),
    /// A settings mapping, in PyRadiomics' key order.
    Document(Value),
}

/// Diagnostics in PyRadiomics' order, keyed `diagnostics_…`.
pub type Diagnostics = Vec<(String, DiagnosticValue)>;

/// PyRadiomics' default settings (`RadiomicsFeatureExtractor._getDefaultSettings`), in its order;
/// the document's `setting` and `voxelSetting` entries update them as a Python dict would.
const DEFAULT_SETTINGS: &str = "{minimumROIDimensions: 2, minimumROISize: null, normalize: false, normalizeScale: 1, \
     removeOutliers: null, resampledPixelSpacing: null, interpolator: sitkBSpline, preCrop: false, padDistance: 5, \
     distances: [1], force2D: false, force2Ddimension: 0, resegmentRange: null, label: 1, additionalInfo: true}";

/// PyRadiomics' diagnostics for `image` and `mask` extracted with `params`, whose parameter
/// document is `document` (`Value::Null` for PyRadiomics' defaults). Adds the `-interpolated`
/// entries when `resampledPixelSpacing` is set, computed on the same resampled grid extraction uses.
pub fn diagnostics(
    image: &Volume<f64>,
    mask: &Volume<i32>,
    params: &Params,
    document: &Value,
) -> Result<Diagnostics, FeatureError> {
    let label = params.settings.label;
    let mut out: Diagnostics = vec![
        (
            key("Versions_radscore"),
            DiagnosticValue::Text(env!("CARGO_PKG_VERSION").into()),
        ),
        (
            key("Configuration_Settings"),
            DiagnosticValue::Document(configuration_settings(document, label)),
        ),
        (
            key("Configuration_EnabledImageTypes"),
            DiagnosticValue::Document(enabled_image_types(document)),
        ),
        (
            key("Image-original_Hash"),
            DiagnosticValue::Text(voxel_hash(image.voxels.iter().copied(), image.pixel_type)),
        ),
        (key("Image-original_Dimensionality"), DiagnosticValue::Text("3D".into())),
    ];
    out.extend(image_elements(image, "original"));
    let mask_hash = voxel_hash(mask.voxels.iter().map(|&v| f64::from(v as u32)), PixelType::U32);
    out.push((key("Mask-original_Hash"), DiagnosticValue::Text(mask_hash)));
    out.extend(mask_elements(None, mask, label, "original")?);
    if params.settings.resampled_pixel_spacing.is_some() {
        let (image, mask) = load(Cow::Borrowed(image), None, Cow::Borrowed(mask), None, &params.settings)?;
        out.extend(image_elements(&image, "interpolated"));
        out.extend(mask_elements(Some(&image), &mask, label, "interpolated")?);
    }
    Ok(out)
}

fn key(name: &str) -> String {
    format!("diagnostics_{name}")
}

/// `diagnostics_Configuration_Settings`: the defaults updated with `setting`, `voxelSetting` and the
/// label actually extracted.
fn configuration_settings(document: &Value, label: i32) -> Value {
    let mut settings: Mapping = serde_yaml::from_str(DEFAULT_SETTINGS).expect("DEFAULT_SETTINGS is a YAML mapping");
    for section in ["setting", "voxelSetting"] {
        if let Some(Value::Mapping(entries)) = document.get(section) {
            for (name, value) in entries {
                settings.insert(name.clone(), value.clone());
            }
        }
    }
    settings.insert("label".into(), Value::Number(i64::from(label).into()));
    Value::Mapping(settings)
}

/// `diagnostics_Configuration_EnabledImageTypes`: the document's `imageType` mapping, `{Original: {}}`
/// when it enables none.
fn enabled_image_types(document: &Value) -> Value {
    match document.get("imageType") {
        Some(Value::Mapping(types)) if !types.is_empty() => Value::Mapping(types.clone()),
        _ => {
            let mut types = Mapping::new();
            types.insert("Original".into(), Value::Mapping(Mapping::new()));
            Value::Mapping(types)
        }
    }
}

/// `sitk.Hash`: SHA-1 of the voxel buffer in its pixel type, little-endian, x fastest.
fn voxel_hash(values: impl Iterator<Item = f64>, pixel_type: PixelType) -> String {
    let mut hasher = Sha1::new();
    let mut buffer = Vec::with_capacity(1 << 16);
    for v in values {
        match pixel_type {
            PixelType::I8 => buffer.extend((v as i8).to_le_bytes()),
            PixelType::U8 => buffer.extend((v as u8).to_le_bytes()),
            PixelType::I16 => buffer.extend((v as i16).to_le_bytes()),
            PixelType::U16 => buffer.extend((v as u16).to_le_bytes()),
            PixelType::I32 => buffer.extend((v as i32).to_le_bytes()),
            PixelType::U32 => buffer.extend((v as u32).to_le_bytes()),
            PixelType::I64 => buffer.extend((v as i64).to_le_bytes()),
            PixelType::U64 => buffer.extend((v as u64).to_le_bytes()),
            PixelType::F32 => buffer.extend((v as f32).to_le_bytes()),
            PixelType::F64 => buffer.extend(v.to_le_bytes()),
        }
        if buffer.len() >= 1 << 16 {
            hasher.update(&buffer);
            buffer.clear();
        }
    }
    hasher.update(&buffer);
    hex::encode(hasher.finalize())
}

/// `GeneralInfo.addImageElements` without the hash: spacing, size, mean, minimum, maximum.
fn image_elements(image: &Volume<f64>, prefix: &str) -> Diagnostics {
    let g = &image.geometry;
    let values: Vec<f64> = image.voxels.iter().copied().collect();
    let name = |what: &str| key(&format!("Image-{prefix}_{what}"));
    vec![
        (name("Spacing"), DiagnosticValue::Numbers(g.spacing.to_vec())),
        (name("Size"), DiagnosticValue::Integers(g.size.to_vec())),
        (name("Mean"), DiagnosticValue::Number(numpy_mean(&values))),
        (
            name("Minimum"),
            DiagnosticValue::Number(values.iter().copied().fold(f64::INFINITY, f64::min)),
        ),
        (
            name("Maximum"),
            DiagnosticValue::Number(values.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        ),
    ]
}

/// `GeneralInfo.addMaskElements` without the hash: the region's grid, bounding box, voxel count,
/// 26-connected volumes and centre of mass, and with `image` the region's mean, minimum, maximum.
fn mask_elements(
    image: Option<&Volume<f64>>,
    mask: &Volume<i32>,
    label: i32,
    prefix: &str,
) -> Result<Diagnostics, FeatureError> {
    let region = label_region(mask, label)?;
    let [z, y, x] = bounding_box(&region).expect("label_region guarantees a voxel");
    let name = |what: &str| key(&format!("Mask-{prefix}_{what}"));
    let g = &mask.geometry;
    let mut voxel_count = 0u64;
    let mut index_sum = [0u64; 3];
    for ((k, j, i), _) in region.indexed_iter().filter(|(_, inside)| **inside) {
        voxel_count += 1;
        for (sum, index) in index_sum.iter_mut().zip([i, j, k]) {
            *sum += index as u64;
        }
    }
    let centre_index = index_sum.map(|sum| sum as f64 / voxel_count as f64);
    let mut out = vec![
        (name("Spacing"), DiagnosticValue::Numbers(g.spacing.to_vec())),
        (name("Size"), DiagnosticValue::Integers(g.size.to_vec())),
        (
            name("BoundingBox"),
            DiagnosticValue::Integers(vec![x.start, y.start, z.start, x.len(), y.len(), z.len()]),
        ),
        (name("VoxelNum"), DiagnosticValue::Count(voxel_count)),
        (name("VolumeNum"), DiagnosticValue::Count(connected_volumes(&region))),
        (
            name("CenterOfMassIndex"),
            DiagnosticValue::Numbers(centre_index.to_vec()),
        ),
        (
            name("CenterOfMass"),
            DiagnosticValue::Numbers(itk_continuous_index_to_physical(g, centre_index).to_vec()),
        ),
    ];
    if let Some(image) = image {
        let inside: Vec<f64> = image
            .voxels
            .iter()
            .zip(&region)
            .filter(|(_, r)| **r)
            .map(|(v, _)| *v)
            .collect();
        out.extend([
            (name("Mean"), DiagnosticValue::Number(numpy_mean(&inside))),
            (
                name("Minimum"),
                DiagnosticValue::Number(inside.iter().copied().fold(f64::INFINITY, f64::min)),
            ),
            (
                name("Maximum"),
                DiagnosticValue::Number(inside.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
            ),
        ]);
    }
    Ok(out)
}

/// Connected components with 26-connectivity (`sitk.ConnectedComponentImageFilter`, fully connected).
fn connected_volumes(region: &Array3<bool>) -> u64 {
    let (nz, ny, nx) = region.dim();
    let mut seen = Array3::from_elem(region.dim(), false);
    let mut stack = Vec::new();
    let mut count = 0;
    for (start, &inside) in region.indexed_iter() {
        if !inside || seen[start] {
            continue;
        }
        count += 1;
        seen[start] = true;
        stack.push(start);
        while let Some((z, y, x)) = stack.pop() {
            for k in z.saturating_sub(1)..(z + 2).min(nz) {
                for j in y.saturating_sub(1)..(y + 2).min(ny) {
                    for i in x.saturating_sub(1)..(x + 2).min(nx) {
                        if region[(k, j, i)] && !seen[(k, j, i)] {
                            seen[(k, j, i)] = true;
                            stack.push((k, j, i));
                        }
                    }
                }
            }
        }
    }
    count
}

/// `ImageBase::TransformContinuousIndexToPhysicalPoint`: ITK sums the index terms first and adds
/// the origin last, which [`Geometry::index_to_physical`] does not; the order decides the last bit.
fn itk_continuous_index_to_physical(g: &Geometry, index: [f64; 3]) -> [f64; 3] {
    std::array::from_fn(|r| {
        let sum = (0..3).fold(0.0, |sum, c| sum + g.direction[r * 3 + c] * g.spacing[c] * index[c]);
        sum + g.origin[r]
    })
}

/// `numpy.mean` of a contiguous float64 array, in numpy's summation order: pairwise sums
/// (`pairwise_sum` in numpy's `loops_utils.h`) over blocks of 8192 elements (the ufunc buffer
/// size), added in sequence.
fn numpy_mean(values: &[f64]) -> f64 {
    let sum = values.chunks(8192).fold(0.0, |sum, block| sum + pairwise_sum(block));
    sum / values.len() as f64
}

/// numpy's `pairwise_sum`: eight running sums for up to 128 elements, halves (multiple of 8) above.
fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        return a.iter().fold(0.0, |sum, v| sum + v);
    }
    if n <= 128 {
        let mut r: [f64; 8] = a[..8].try_into().expect("eight elements");
        let whole = n - n % 8;
        for block in a[8..whole].chunks_exact(8) {
            for (acc, v) in r.iter_mut().zip(block) {
                *acc += v;
            }
        }
        let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        return a[whole..].iter().fold(res, |sum, v| sum + v);
    }
    let half = n / 2;
    let half = half - half % 8;
    pairwise_sum(&a[..half]) + pairwise_sum(&a[half..])
}

impl DiagnosticValue {
    /// The value as JSON: strings, numbers, arrays, and settings as objects in document order.
    pub fn to_json(&self) -> String {
        match self {
            DiagnosticValue::Text(s) => serde_json::Value::from(s.as_str()).to_string(),
            DiagnosticValue::Count(n) => n.to_string(),
            DiagnosticValue::Number(x) => json_number(*x),
            DiagnosticValue::Integers(v) => format!("[{}]", join(v.iter().map(usize::to_string))),
            DiagnosticValue::Numbers(v) => format!("[{}]", join(v.iter().map(|x| json_number(*x)))),
            // A document whose keys are not strings has no JSON form; its Python text still says it all.
            DiagnosticValue::Document(doc) => {
                serde_json::to_string(doc).unwrap_or_else(|_| serde_json::Value::from(python_repr(doc)).to_string())
            }
        }
    }

    /// The text PyRadiomics' CSV holds (Python's `str()`): tuples `(1.0, 2.5)`, dicts
    /// `{'label': 1, 'normalize': False}`, floats in Python's shortest `repr`.
    pub fn to_python_text(&self) -> String {
        match self {
            DiagnosticValue::Text(s) => s.clone(),
            DiagnosticValue::Count(n) => n.to_string(),
            DiagnosticValue::Number(x) => python_float(*x),
            DiagnosticValue::Integers(v) => python_tuple(v.iter().map(usize::to_string)),
            DiagnosticValue::Numbers(v) => python_tuple(v.iter().map(|x| python_float(*x))),
            DiagnosticValue::Document(doc) => python_repr(doc),
        }
    }
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

fn json_number(x: f64) -> String {
    serde_json::Number::from_f64(x).map_or_else(|| "null".into(), |n| n.to_string())
}

fn python_tuple(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    match items.as_slice() {
        [one] => format!("({one},)"),
        _ => format!("({})", items.join(", ")),
    }
}

/// Python's `repr` of a YAML value as PyYAML would load it.
fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Number(n) => match n
            .as_i64()
            .map(|i| i.to_string())
            .or_else(|| n.as_u64().map(|u| u.to_string()))
        {
            Some(integer) => integer,
            None => python_float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => python_str_repr(s),
        Value::Sequence(items) => format!("[{}]", join(items.iter().map(python_repr))),
        Value::Mapping(map) => format!(
            "{{{}}}",
            join(
                map.iter()
                    .map(|(k, v)| format!("{}: {}", python_repr(k), python_repr(v)))
            )
        ),
        Value::Tagged(tagged) => python_repr(&tagged.value),
    }
}

/// Python's `repr` of a str: single quotes unless the text holds a single quote and no double one.
fn python_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr(float)`: the shortest round-trip digits, positional when the decimal exponent is
/// in −4..16, else `d.ddde±XX`.
fn python_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    // Rust's `{:e}` gives the same shortest round-trip digits as Python's repr.
    let scientific = format!("{:e}", x.abs());
    let (mantissa, exponent) = scientific.split_once('e').expect("{:e} has an exponent");
    let exponent: i32 = exponent.parse().expect("{:e} exponent is an integer");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if !(-4..16).contains(&exponent) {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{first}{fraction}e{exp_sign}{:02}", exponent.abs());
    }
    if exponent < 0 {
        let zeros = "0".repeat((-exponent - 1) as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let point = exponent as usize + 1;
    if digits.len() <= point {
        format!("{sign}{digits}{}.0", "0".repeat(point - digits.len()))
    } else {
        format!("{sign}{}.{}", &digits[..point], &digits[point..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python_repr() {
        // Expected strings are CPython 3.11's repr() of the same doubles.
        for (x, want) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (25.0, "25.0"),
            (1e-6, "1e-06"),
            (1.5e-7, "1.5e-07"),
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (2.0999999046325684, "2.0999999046325684"),
            (-100.22011425778582, "-100.22011425778582"),
            (0.1, "0.1"),
            (f64::NAN, "nan"),
        ] {
            assert_eq!(python_float(x), want, "{x:e}");
        }
    }

    #[test]
    fn yaml_values_print_like_python_dicts() {
        let doc: Value = serde_yaml::from_str("{a: null, b: [1, 2.0], c: sitkBSpline, d: true, e: \"it's\"}").unwrap();
        assert_eq!(
            python_repr(&doc),
            "{'a': None, 'b': [1, 2.0], 'c': 'sitkBSpline', 'd': True, 'e': \"it's\"}"
        );
    }

    #[test]
    fn connected_volumes_join_diagonal_neighbours() {
        let mut region = Array3::from_elem((3, 3, 5), false);
        region[(0, 0, 0)] = true;
        region[(1, 1, 1)] = true; // corner-touching: one 26-connected volume
        region[(1, 1, 4)] = true; // three voxels away along x: a second volume
        assert_eq!(connected_volumes(&region), 2);
    }
}
