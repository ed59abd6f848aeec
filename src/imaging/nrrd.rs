//! NRRD reading (attached data; raw and gzip encodings), following the NRRD0004/0005 format
//! specification <https://teem.sourceforge.net/nrrd/format.html> and ITK's NrrdImageIO for geometry.

use std::io::{BufRead, Read};

use super::samples::{FrameLayout, Kind, SampleType};
use super::{Geometry, ImagingError};

/// True when `bytes` start with the NRRD magic.
pub(crate) fn is_nrrd(bytes: &[u8]) -> bool {
    bytes.starts_with(b"NRRD000")
}

/// What an NRRD header says about its data, and a reader positioned at the first decoded sample
/// (gzip data is decoded on the fly).
pub(crate) struct NrrdLayout<'a> {
    /// The grid of one 3-D volume.
    pub geometry: Geometry,
    /// For a 4-D file, where its 3-D volumes lie in the sample stream.
    pub frames: FrameLayout,
    pub sample: SampleType,
    pub data: Box<dyn Read + 'a>,
}

/// Reads an NRRD header. A 4-D file holds a series of 3-D volumes along its one non-spatial axis:
/// the axis whose space direction is `none`, else whose kind is not a spatial domain, else the last.
pub(crate) fn read_nrrd_header<'a>(
    mut reader: Box<dyn BufRead + 'a>,
    file: &str,
) -> Result<NrrdLayout<'a>, ImagingError> {
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
    if dimension != 3 && dimension != 4 {
        return Err(unsupported(format!(
            "a {dimension}-D NRRD volume; radscore reads 3-D volumes and 4-D series of them"
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
    let directions = get("space directions")
        .map(|dirs| {
            parse_vectors(dirs).filter(|v| v.len() == dimension).ok_or_else(|| {
                malformed(format!(
                    "'space directions' {dirs:?} is not {dimension} (x,y,z) vectors or none"
                ))
            })
        })
        .transpose()?;
    let frame_axis = (dimension == 4)
        .then(|| volume_axis(directions.as_deref(), get("kinds")))
        .transpose()
        .map_err(malformed)?;
    let spatial: Vec<usize> = (0..dimension).filter(|&a| Some(a) != frame_axis).collect();
    let frames = match frame_axis {
        Some(axis) => FrameLayout {
            count: sizes[axis],
            stride: sizes[..axis].iter().product(),
        },
        None => FrameLayout::SINGLE,
    };
    let mut direction = [0.0; 9];
    let mut spacing = [1.0; 3];
    if let Some(vectors) = &directions {
        for (c, &axis) in spatial.iter().enumerate() {
            let v =
                vectors[axis].ok_or_else(|| malformed(format!("space direction of spatial axis {axis} is none")))?;
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
            let values: Vec<&str> = sp.split_whitespace().collect();
            for (c, &axis) in spatial.iter().enumerate() {
                spacing[c] = values
                    .get(axis)
                    .and_then(|s| s.parse::<f64>().ok())
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .ok_or_else(|| malformed(format!("'spacings' {sp:?}")))?;
            }
        }
        direction = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    }
    let mut origin = [0.0; 3];
    if let Some(o) = get("space origin") {
        origin = parse_vectors(o)
            .and_then(|v| match v[..] {
                [Some(point)] => Some(point),
                _ => None,
            })
            .ok_or_else(|| malformed(format!("'space origin' {o:?} is not one (x,y,z) vector")))?;
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
        size: [sizes[spatial[0]], sizes[spatial[1]], sizes[spatial[2]]],
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
    Ok(NrrdLayout {
        geometry,
        frames,
        sample: SampleType { kind, big_endian },
        data,
    })
}

/// The axis of a 4-D NRRD that indexes volumes: the one whose space direction is `none`, else the
/// one whose kind is not a spatial domain (time, list, vector… are not), else the last.
fn volume_axis(directions: Option<&[Option<[f64; 3]>]>, kinds: Option<&str>) -> Result<usize, String> {
    if let Some(vectors) = directions {
        let none: Vec<usize> = (0..vectors.len()).filter(|&a| vectors[a].is_none()).collect();
        return match none[..] {
            [axis] => Ok(axis),
            _ => Err(format!(
                "a 4-D NRRD needs exactly one 'none' space direction (the volume axis), found {}",
                none.len()
            )),
        };
    }
    let spatial_kind = |k: &str| matches!(k, "domain" | "space" | "???" | "none");
    let listed: Vec<&str> = kinds.map(|k| k.split_whitespace().collect()).unwrap_or_default();
    Ok(listed.iter().position(|k| !spatial_kind(k)).unwrap_or(3))
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

/// Parses `(a,b,c) none (d,e,f) …` into vectors; `none` (a non-spatial axis) is `None`.
fn parse_vectors(text: &str) -> Option<Vec<Option<[f64; 3]>>> {
    let mut vectors = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("none") {
            vectors.push(None);
            rest = after.trim_start();
            continue;
        }
        let end = rest.find(')')?;
        vectors.push(Some(parse_vector(&rest[..end])?));
        rest = rest[end + 1..].trim_start();
    }
    Some(vectors)
}

/// Parses `(a,b,c` (the closing parenthesis already removed).
fn parse_vector(text: &str) -> Option<[f64; 3]> {
    let inner = text.trim().strip_prefix('(')?;
    let v: Vec<f64> = inner
        .split(',')
        .map(|x| x.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect::<Option<_>>()?;
    <[f64; 3]>::try_from(v).ok()
}
