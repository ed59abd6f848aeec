//! NRRD reading (attached data; raw and gzip encodings), following the NRRD0004/0005 format
//! specification <https://teem.sourceforge.net/nrrd/format.html> and ITK's NrrdImageIO for geometry.

use std::io::{BufRead, Read};

use super::samples::{Kind, SampleType};
use super::{Geometry, ImagingError};

/// True when `bytes` start with the NRRD magic.
pub(crate) fn is_nrrd(bytes: &[u8]) -> bool {
    bytes.starts_with(b"NRRD000")
}

/// Reads an NRRD header and returns the geometry, sample type and a reader positioned at the
/// first decoded voxel (gzip data is decoded on the fly).
pub(crate) fn read_nrrd_header<'a>(
    mut reader: Box<dyn BufRead + 'a>,
    file: &str,
) -> Result<(Geometry, SampleType, Box<dyn Read + 'a>), ImagingError> {
    let malformed = |message: String| ImagingError::Malformed {
        file: file.into(),
        message,
    };
    let unsupported = |what: String| ImagingError::Unsupported {
        file: file.into(),
        what,
    };
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut line = String::new();
    let mut first = true;
    loop {
        line.clear();
        let n = reader
            .by_ref()
            .take(1 << 16)
            .read_line(&mut line)
            .map_err(|source| ImagingError::Io {
                file: file.into(),
                source,
            })?;
        if n == 0 {
            return Err(malformed(
                "header ends without the blank line that separates it from the data".into(),
            ));
        }
        let text = line.trim_end_matches(['\n', '\r']);
        if first {
            first = false;
            continue; // the magic line, already checked
        }
        if text.is_empty() {
            break;
        }
        if text.starts_with('#') || text.contains(":=") {
            continue; // comments and key/value pairs carry no geometry
        }
        let Some((key, value)) = text.split_once(": ") else {
            return Err(malformed(format!("header line {text:?} is not 'field: value'")));
        };
        fields.push((key.trim().to_ascii_lowercase(), value.trim().to_owned()));
        if fields.len() > 256 {
            return Err(malformed("header has more than 256 fields".into()));
        }
    }
    let get = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let require = |key: &str| get(key).ok_or_else(|| malformed(format!("required field '{key}' is missing")));

    if get("data file").or(get("datafile")).is_some() {
        return Err(unsupported(
            "detached NRRD data ('data file'); use a single .nrrd file".into(),
        ));
    }
    let kind = parse_type(require("type")?)
        .ok_or_else(|| unsupported(format!("NRRD type '{}'", get("type").unwrap_or_default())))?;
    let dimension: usize = require("dimension")?
        .parse()
        .map_err(|_| malformed("'dimension' is not a whole number".into()))?;
    let sizes: Vec<usize> = require("sizes")?
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| malformed("'sizes' holds a value that is not a whole number".into()))?;
    if sizes.len() != dimension || sizes.contains(&0) {
        return Err(malformed(format!(
            "'sizes' lists {:?} for dimension {dimension}",
            sizes
        )));
    }
    if dimension != 3 {
        return Err(unsupported(format!(
            "a {dimension}-D NRRD volume; radscore reads 3-D volumes"
        )));
    }
    let big_endian = match get("endian") {
        Some("big") => true,
        Some("little") | None => false,
        Some(other) => return Err(malformed(format!("endian '{other}'"))),
    };
    let space = get("space").map(str::to_ascii_lowercase);
    let flip_xy = match space.as_deref() {
        Some("left-posterior-superior" | "lps") | None => false,
        Some("right-anterior-superior" | "ras") => true,
        Some(other) => return Err(unsupported(format!("NRRD space '{other}'; radscore reads LPS and RAS"))),
    };
    let mut direction = [0.0; 9];
    let mut spacing = [1.0; 3];
    if let Some(dirs) = get("space directions") {
        let vectors = parse_vectors(dirs)
            .ok_or_else(|| malformed(format!("'space directions' {dirs:?} is not three (x,y,z) vectors")))?;
        if vectors.len() != 3 {
            return Err(malformed(format!(
                "'space directions' has {} vectors for 3 axes",
                vectors.len()
            )));
        }
        for (c, v) in vectors.iter().enumerate() {
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm == 0.0 || !norm.is_finite() {
                return Err(malformed(format!(
                    "space direction of axis {c} has zero or non-finite length"
                )));
            }
            spacing[c] = norm;
            for r in 0..3 {
                direction[r * 3 + c] = v[r] / norm;
            }
        }
    } else {
        if let Some(sp) = get("spacings") {
            for (c, s) in sp.split_whitespace().take(3).enumerate() {
                spacing[c] = s
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .ok_or_else(|| malformed(format!("'spacings' {sp:?}")))?;
            }
        }
        direction = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    }
    let mut origin = [0.0; 3];
    if let Some(o) = get("space origin") {
        let v = parse_vectors(o)
            .filter(|v| v.len() == 1)
            .ok_or_else(|| malformed(format!("'space origin' {o:?} is not one (x,y,z) vector")))?;
        origin = v[0];
    }
    if flip_xy {
        for c in 0..3 {
            direction[c] = -direction[c];
            direction[3 + c] = -direction[3 + c];
        }
        origin[0] = -origin[0];
        origin[1] = -origin[1];
    }
    let geometry = Geometry {
        size: [sizes[0], sizes[1], sizes[2]],
        spacing,
        origin,
        direction,
    };
    let data: Box<dyn Read + 'a> = match require("encoding")? {
        "raw" => reader,
        "gzip" | "gz" => Box::new(flate2::bufread::MultiGzDecoder::new(reader)),
        other => {
            return Err(unsupported(format!(
                "NRRD encoding '{other}'; radscore reads raw and gzip"
            )));
        }
    };
    Ok((geometry, SampleType { kind, big_endian }, data))
}

fn parse_type(name: &str) -> Option<Kind> {
    Some(match name {
        "signed char" | "int8" | "int8_t" => Kind::I8,
        "uchar" | "unsigned char" | "uint8" | "uint8_t" => Kind::U8,
        "short" | "short int" | "signed short" | "signed short int" | "int16" | "int16_t" => Kind::I16,
        "ushort" | "unsigned short" | "unsigned short int" | "uint16" | "uint16_t" => Kind::U16,
        "int" | "signed int" | "int32" | "int32_t" => Kind::I32,
        "uint" | "unsigned int" | "uint32" | "uint32_t" => Kind::U32,
        "longlong"
        | "long long"
        | "long long int"
        | "signed long long"
        | "signed long long int"
        | "int64"
        | "int64_t" => Kind::I64,
        "ulonglong" | "unsigned long long" | "unsigned long long int" | "uint64" | "uint64_t" => Kind::U64,
        "float" => Kind::F32,
        "double" => Kind::F64,
        _ => return None,
    })
}

/// Parses `(a,b,c) (d,e,f) …` into vectors; `none` entries are rejected (non-spatial axes).
fn parse_vectors(text: &str) -> Option<Vec<[f64; 3]>> {
    text.split(')')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            let inner = t.strip_prefix('(')?;
            let v: Vec<f64> = inner
                .split(',')
                .map(|x| x.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
                .collect::<Option<_>>()?;
            <[f64; 3]>::try_from(v).ok()
        })
        .collect()
}
