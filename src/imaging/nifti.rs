//! NIfTI-1 reading and writing (`.nii`, `.nii.gz`), with ITK's choice between sform and qform.
//!
//! Header layout: <https://nifti.nimh.nih.gov/pub/dist/src/niftilib/nifti1.h>. NIfTI stores a
//! RAS world frame; ITK (and so PyRadiomics) reports LPS, so the first two world axes are negated.

use std::io::{Read, Write};

use super::samples::{FrameLayout, SampleType};
use super::{Geometry, ImagingError, Volume};

const HEADER_SIZE: usize = 348;
const NIFTI2_HEADER_SIZE: usize = 540;

/// The parts of a NIfTI-1 header radscore uses.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    big_endian: bool,
    dim: [i64; 8],
    datatype: i16,
    pixdim: [f64; 8],
    vox_offset: f64,
    scl_slope: f64,
    scl_inter: f64,
    qform_code: i16,
    sform_code: i16,
    quatern: [f64; 3],
    qoffset: [f64; 3],
    srow: [[f64; 4]; 3],
}

/// True when `bytes` start like a NIfTI-1 header in either byte order.
pub(crate) fn is_nifti1(bytes: &[u8]) -> bool {
    bytes.len() >= 4
        && (i32::from_le_bytes(bytes[..4].try_into().unwrap_or_default()) == HEADER_SIZE as i32
            || i32::from_be_bytes(bytes[..4].try_into().unwrap_or_default()) == HEADER_SIZE as i32)
}

/// Reads a NIfTI-1 header and leaves `reader` at the first voxel.
pub(crate) fn read_nifti1_header(reader: &mut dyn Read, file: &str) -> Result<NiftiLayout, ImagingError> {
    let mut raw = [0u8; HEADER_SIZE];
    read_fully(reader, &mut raw, file)?;
    let header = parse_header(&raw, file)?;
    finish_header(&header, HEADER_SIZE, reader, file)
}

/// True when `bytes` start like a NIfTI-2 header in either byte order.
pub(crate) fn is_nifti2(bytes: &[u8]) -> bool {
    bytes.len() >= 4
        && (i32::from_le_bytes(bytes[..4].try_into().unwrap_or_default()) == NIFTI2_HEADER_SIZE as i32
            || i32::from_be_bytes(bytes[..4].try_into().unwrap_or_default()) == NIFTI2_HEADER_SIZE as i32)
}

/// Reads a NIfTI-2 header (64-bit dims, double-precision geometry) and leaves `reader` at the
/// first voxel. Layout: <https://nifti.nimh.nih.gov/pub/dist/doc/nifti2.h>.
pub(crate) fn read_nifti2_header(reader: &mut dyn Read, file: &str) -> Result<NiftiLayout, ImagingError> {
    let mut raw = [0u8; NIFTI2_HEADER_SIZE];
    read_fully(reader, &mut raw, file)?;
    let header = parse_header2(&raw, file)?;
    finish_header(&header, NIFTI2_HEADER_SIZE, reader, file)
}

/// What a NIfTI header says about the voxel data that follows it.
#[derive(Debug, Clone)]
pub(crate) struct NiftiLayout {
    /// The grid of one 3-D volume.
    pub geometry: Geometry,
    /// The 3-D volumes along dim[4] (time), one after another.
    pub frames: FrameLayout,
    pub sample: SampleType,
    pub scaling: Scaling,
    /// Where the voxel data starts in the (decompressed) file.
    pub data_start: u64,
}

fn finish_header(
    header: &Header,
    header_size: usize,
    reader: &mut dyn Read,
    file: &str,
) -> Result<NiftiLayout, ImagingError> {
    let io = |source| ImagingError::Io {
        file: file.to_owned(),
        source,
    };
    let (geometry, frames) = header_geometry(header, file)?;
    let sample = sample_type(header.datatype, header.big_endian, file)?;
    // The voxel data starts at vox_offset (≥ 352 for NIfTI-1, ≥ 544 for NIfTI-2); skip what lies between.
    let skip = (header.vox_offset as u64).saturating_sub(header_size as u64);
    let skipped = std::io::copy(&mut reader.take(skip), &mut std::io::sink()).map_err(io)?;
    if skipped < skip {
        return Err(ImagingError::Truncated {
            file: file.into(),
            expected: skip,
            actual: skipped,
        });
    }
    let scaling = Scaling::from_header(header.scl_slope, header.scl_inter);
    Ok(NiftiLayout {
        geometry,
        frames,
        sample,
        scaling,
        data_start: header_size as u64 + skip,
    })
}

/// `scl_slope`/`scl_inter`, applied the way ITK does: only when the slope is non-zero and finite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scaling {
    pub slope: f64,
    pub intercept: f64,
}

impl Scaling {
    pub(crate) const IDENTITY: Scaling = Scaling {
        slope: 1.0,
        intercept: 0.0,
    };

    fn from_header(slope: f64, intercept: f64) -> Scaling {
        if slope != 0.0 && slope.is_finite() && intercept.is_finite() {
            Scaling { slope, intercept }
        } else {
            Scaling::IDENTITY
        }
    }
}

fn read_fully(reader: &mut dyn Read, buf: &mut [u8], file: &str) -> Result<(), ImagingError> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => {
                return Err(ImagingError::Malformed {
                    file: file.into(),
                    message: format!("file ends after {filled} bytes, inside the {}-byte header", buf.len()),
                });
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(ImagingError::Io {
                    file: file.into(),
                    source,
                });
            }
        }
    }
    Ok(())
}

fn parse_header(raw: &[u8; HEADER_SIZE], file: &str) -> Result<Header, ImagingError> {
    let big_endian = i32::from_le_bytes(raw[0..4].try_into().expect("4 bytes")) != HEADER_SIZE as i32;
    let i16_at = |o: usize| {
        let b = [raw[o], raw[o + 1]];
        if big_endian {
            i16::from_be_bytes(b)
        } else {
            i16::from_le_bytes(b)
        }
    };
    let f32_at = |o: usize| {
        let b = [raw[o], raw[o + 1], raw[o + 2], raw[o + 3]];
        f64::from(if big_endian {
            f32::from_be_bytes(b)
        } else {
            f32::from_le_bytes(b)
        })
    };
    let magic = &raw[344..348];
    if magic != b"n+1\0" && magic != b"ni1\0" {
        return Err(ImagingError::Malformed {
            file: file.into(),
            message: format!("magic is {magic:?}, expected \"n+1\" (NIfTI-1 single file)"),
        });
    }
    if magic == b"ni1\0" {
        return Err(ImagingError::Unsupported {
            file: file.into(),
            what: "a NIfTI-1 header without its image (.hdr/.img pair)".into(),
        });
    }
    let mut dim = [0i64; 8];
    let mut pixdim = [0f64; 8];
    for i in 0..8 {
        dim[i] = i64::from(i16_at(40 + 2 * i));
        pixdim[i] = f32_at(76 + 4 * i);
    }
    let mut srow = [[0f64; 4]; 3];
    for (r, row) in srow.iter_mut().enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            *v = f32_at(280 + 16 * r + 4 * c);
        }
    }
    Ok(Header {
        big_endian,
        dim,
        datatype: i16_at(70),
        pixdim,
        vox_offset: f32_at(108),
        scl_slope: f32_at(112),
        scl_inter: f32_at(116),
        qform_code: i16_at(252),
        sform_code: i16_at(254),
        quatern: [f32_at(256), f32_at(260), f32_at(264)],
        qoffset: [f32_at(268), f32_at(272), f32_at(276)],
        srow,
    })
}

fn parse_header2(raw: &[u8; NIFTI2_HEADER_SIZE], file: &str) -> Result<Header, ImagingError> {
    let big_endian = i32::from_le_bytes(raw[0..4].try_into().expect("4 bytes")) != NIFTI2_HEADER_SIZE as i32;
    let bytes = |o: usize, n: usize| -> Vec<u8> {
        let mut b = raw[o..o + n].to_vec();
        if big_endian {
            b.reverse();
        }
        b
    };
    let i16_at = |o: usize| i16::from_le_bytes(bytes(o, 2).try_into().expect("2 bytes"));
    let i32_at = |o: usize| i32::from_le_bytes(bytes(o, 4).try_into().expect("4 bytes"));
    let i64_at = |o: usize| i64::from_le_bytes(bytes(o, 8).try_into().expect("8 bytes"));
    let f64_at = |o: usize| f64::from_le_bytes(bytes(o, 8).try_into().expect("8 bytes"));
    let magic = &raw[4..12];
    if magic == b"ni2\0\r\n\x1a\n" {
        return Err(ImagingError::Unsupported {
            file: file.into(),
            what: "a NIfTI-2 header without its image (.hdr/.img pair)".into(),
        });
    }
    if magic != b"n+2\0\r\n\x1a\n" {
        return Err(ImagingError::Malformed {
            file: file.into(),
            message: format!("magic is {magic:?}, expected \"n+2\" (NIfTI-2 single file)"),
        });
    }
    let code = |o: usize| i16::try_from(i32_at(o)).unwrap_or(-1);
    let mut srow = [[0f64; 4]; 3];
    for (r, row) in srow.iter_mut().enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            *v = f64_at(400 + 32 * r + 8 * c);
        }
    }
    Ok(Header {
        big_endian,
        dim: std::array::from_fn(|i| i64_at(16 + 8 * i)),
        datatype: i16_at(12),
        pixdim: std::array::from_fn(|i| f64_at(104 + 8 * i)),
        vox_offset: i64_at(168) as f64,
        scl_slope: f64_at(176),
        scl_inter: f64_at(184),
        qform_code: code(344),
        sform_code: code(348),
        quatern: [f64_at(352), f64_at(360), f64_at(368)],
        qoffset: [f64_at(376), f64_at(384), f64_at(392)],
        srow,
    })
}

fn sample_type(datatype: i16, big_endian: bool, file: &str) -> Result<SampleType, ImagingError> {
    use super::samples::Kind::*;
    let kind = match datatype {
        2 => U8,
        4 => I16,
        8 => I32,
        16 => F32,
        64 => F64,
        256 => I8,
        512 => U16,
        768 => U32,
        1024 => I64,
        1280 => U64,
        other => {
            let name = match other {
                1 => "binary (1-bit)",
                32 | 1792 | 2048 => "complex",
                128 | 2304 => "RGB",
                1536 => "float128",
                _ => "unknown",
            };
            return Err(ImagingError::Unsupported {
                file: file.into(),
                what: format!(
                    "NIfTI datatype {other} ({name}); radscore reads integer and floating-point scalar volumes"
                ),
            });
        }
    };
    Ok(SampleType { kind, big_endian })
}

/// The grid of one 3-D volume and, for a 4-D file, how many volumes follow one another along
/// dim[4] (time). Dimensions 5 to 7 (vector components and beyond) must be 1.
fn header_geometry(h: &Header, file: &str) -> Result<(Geometry, FrameLayout), ImagingError> {
    let malformed = |message: String| ImagingError::Malformed {
        file: file.into(),
        message,
    };
    let ndim = h.dim[0];
    if !(1..=7).contains(&ndim) {
        return Err(malformed(format!("dim[0] = {ndim}, expected 1 to 7 dimensions")));
    }
    let mut size = [1usize; 3];
    let mut frames = 1;
    for (axis, &n) in h.dim[1..=ndim as usize].iter().enumerate() {
        if n < 1 {
            return Err(malformed(format!(
                "dim[{}] = {n}; every dimension must be at least 1",
                axis + 1
            )));
        }
        if axis < 3 {
            size[axis] = n as usize;
        } else if axis == 3 {
            frames = n as usize;
        } else if n > 1 {
            return Err(ImagingError::Unsupported {
                file: file.into(),
                what: format!(
                    "a {ndim}-D volume with {n} values along dimension {}; radscore reads 3-D volumes and 4-D series of them",
                    axis + 1
                ),
            });
        }
    }
    // ITK takes |pixdim| (a negative spacing is a sign error in the writer, not a flip).
    let mut spacing = [1.0; 3];
    for (axis, s) in spacing.iter_mut().enumerate() {
        if axis < ndim as usize {
            let p = h.pixdim[axis + 1].abs();
            *s = if p > 0.0 && p.is_finite() { p } else { 1.0 };
        }
    }
    let (mut direction, mut origin) = if use_sform(h) {
        sform_frame(h, &mut spacing)
    } else if h.qform_code > 0 {
        qform_frame(h)
    } else {
        // Analyze-style: no orientation; ITK assumes identity in RAS-flipped LPS terms.
        ([-1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 1.0], [0.0; 3])
    };
    // RAS → LPS: negate the first two world rows.
    for c in 0..3 {
        direction[c] = -direction[c];
        direction[3 + c] = -direction[3 + c];
    }
    origin[0] = -origin[0];
    origin[1] = -origin[1];
    if direction.iter().chain(origin.iter()).any(|v| !v.is_finite()) {
        return Err(malformed("orientation (sform/qform) holds non-finite numbers".into()));
    }
    let frames = FrameLayout {
        count: frames,
        stride: size.iter().product(),
    };
    let geometry = Geometry {
        size,
        spacing,
        origin,
        direction,
    };
    Ok((geometry, frames))
}

/// ITK's rule (itkNiftiImageIO): trust the sform when it is set and either the qform is not, or the
/// sform says scanner-anatomical coordinates — provided its columns are orthogonal, since an ITK
/// direction cannot hold shear.
fn use_sform(h: &Header) -> bool {
    if h.sform_code <= 0 || !(h.qform_code <= 0 || h.sform_code == 1) {
        return false;
    }
    let cols: Vec<[f64; 3]> = (0..3).map(|c| [h.srow[0][c], h.srow[1][c], h.srow[2][c]]).collect();
    let norms: Vec<f64> = cols
        .iter()
        .map(|v| v.iter().map(|x| x * x).sum::<f64>().sqrt())
        .collect();
    if norms.iter().any(|n| *n == 0.0 || !n.is_finite()) {
        return false;
    }
    let dot = |a: &[f64; 3], b: &[f64; 3]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let ortho = |i: usize, j: usize| (dot(&cols[i], &cols[j]) / (norms[i] * norms[j])).abs() < 1e-4;
    ortho(0, 1) && ortho(0, 2) && ortho(1, 2)
}

fn sform_frame(h: &Header, spacing: &mut [f64; 3]) -> ([f64; 9], [f64; 3]) {
    let mut direction = [0.0; 9];
    for c in 0..3 {
        let norm = (0..3).map(|r| h.srow[r][c].powi(2)).sum::<f64>().sqrt();
        spacing[c] = norm;
        for r in 0..3 {
            direction[r * 3 + c] = h.srow[r][c] / norm;
        }
    }
    (direction, [h.srow[0][3], h.srow[1][3], h.srow[2][3]])
}

/// Quaternion to rotation as niftilib's `nifti_quatern_to_mat44`, which ITK calls.
fn qform_frame(h: &Header) -> ([f64; 9], [f64; 3]) {
    let [mut b, mut c, mut d] = h.quatern;
    let mut a = 1.0 - (b * b + c * c + d * d);
    if a < 1e-7 {
        a = 1.0 / (b * b + c * c + d * d).sqrt();
        b *= a;
        c *= a;
        d *= a;
        a = 0.0;
    } else {
        a = a.sqrt();
    }
    let qfac = if h.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
    let r = [
        a * a + b * b - c * c - d * d,
        2.0 * (b * c - a * d),
        2.0 * (b * d + a * c) * qfac,
        2.0 * (b * c + a * d),
        a * a + c * c - b * b - d * d,
        2.0 * (c * d - a * b) * qfac,
        2.0 * (b * d - a * c),
        2.0 * (c * d + a * b),
        (a * a + d * d - c * c - b * b) * qfac,
    ];
    (r, h.qoffset)
}

/// NIfTI datatypes radscore writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NiftiDatatype {
    /// Unsigned 8-bit, for masks.
    U8,
    /// Signed 16-bit, for MR/CT-like images.
    I16,
    /// 32-bit float.
    F32,
}

/// Writes `volume` as a gzip-compressed NIfTI-1 file with sform and qform both set to scanner
/// coordinates, as SimpleITK does. Values are rounded for integer datatypes.
pub fn write_nifti_gz(
    path: &std::path::Path,
    volume: &Volume<f64>,
    datatype: NiftiDatatype,
) -> Result<(), ImagingError> {
    let file = path.display().to_string();
    let io = |source| ImagingError::Io {
        file: file.clone(),
        source,
    };
    let g = &volume.geometry;
    let (code, bitpix) = match datatype {
        NiftiDatatype::U8 => (2i16, 8i16),
        NiftiDatatype::I16 => (4, 16),
        NiftiDatatype::F32 => (16, 32),
    };
    let mut h = vec![0u8; 352];
    let put_i16 = |h: &mut Vec<u8>, o: usize, v: i16| h[o..o + 2].copy_from_slice(&v.to_le_bytes());
    let put_f32 = |h: &mut Vec<u8>, o: usize, v: f64| h[o..o + 4].copy_from_slice(&(v as f32).to_le_bytes());
    h[0..4].copy_from_slice(&(HEADER_SIZE as i32).to_le_bytes());
    put_i16(&mut h, 40, 3);
    for (axis, n) in g.size.iter().enumerate() {
        let n = i16::try_from(*n).map_err(|_| ImagingError::Unsupported {
            file: file.clone(),
            what: format!("writing a dimension of {n} voxels (NIfTI-1 allows 32767)"),
        })?;
        put_i16(&mut h, 42 + 2 * axis, n);
    }
    for o in [48, 50, 52, 54] {
        put_i16(&mut h, o, 1);
    }
    put_i16(&mut h, 70, code);
    put_i16(&mut h, 72, bitpix);
    // LPS → RAS for the stored affine.
    let ras = |r: usize, v: f64| if r < 2 { -v } else { v };
    let rotation: [f64; 9] = std::array::from_fn(|i| ras(i / 3, g.direction[i]));
    let det = rotation[0] * (rotation[4] * rotation[8] - rotation[5] * rotation[7])
        - rotation[1] * (rotation[3] * rotation[8] - rotation[5] * rotation[6])
        + rotation[2] * (rotation[3] * rotation[7] - rotation[4] * rotation[6]);
    let qfac = if det < 0.0 { -1.0 } else { 1.0 };
    put_f32(&mut h, 76, qfac);
    for axis in 0..3 {
        put_f32(&mut h, 80 + 4 * axis, g.spacing[axis]);
    }
    put_f32(&mut h, 108, 352.0);
    put_f32(&mut h, 112, 1.0);
    h[123] = 10 | 8; // xyzt_units: mm and s
    put_i16(&mut h, 252, 1);
    put_i16(&mut h, 254, 1);
    let (quatern, _) = rotation_to_quaternion(rotation, qfac);
    for (i, q) in quatern.iter().enumerate() {
        put_f32(&mut h, 256 + 4 * i, *q);
    }
    for r in 0..3 {
        put_f32(&mut h, 268 + 4 * r, ras(r, g.origin[r]));
        for c in 0..3 {
            put_f32(&mut h, 280 + 16 * r + 4 * c, rotation[r * 3 + c] * g.spacing[c]);
        }
        put_f32(&mut h, 280 + 16 * r + 12, ras(r, g.origin[r]));
    }
    h[344..348].copy_from_slice(b"n+1\0");
    let out = std::fs::File::create(path).map_err(io)?;
    let mut gz = flate2::write::GzEncoder::new(std::io::BufWriter::new(out), flate2::Compression::fast());
    gz.write_all(&h).map_err(io)?;
    let mut buf = Vec::with_capacity(volume.voxels.len() * usize::from(bitpix as u16 / 8));
    for &v in volume.voxels.iter() {
        match datatype {
            NiftiDatatype::U8 => buf.push(v.round().clamp(0.0, 255.0) as u8),
            NiftiDatatype::I16 => buf.extend_from_slice(&(v.round().clamp(-32768.0, 32767.0) as i16).to_le_bytes()),
            NiftiDatatype::F32 => buf.extend_from_slice(&(v as f32).to_le_bytes()),
        }
    }
    gz.write_all(&buf).map_err(io)?;
    gz.finish().and_then(|mut w| w.flush()).map_err(io)?;
    Ok(())
}

/// Rotation matrix (with qfac folded out of the third column) to NIfTI quaternion (b, c, d).
fn rotation_to_quaternion(mut r: [f64; 9], qfac: f64) -> ([f64; 3], f64) {
    for row in 0..3 {
        r[row * 3 + 2] *= qfac;
    }
    let trace = r[0] + r[4] + r[8];
    let (a, b, c, d);
    if trace > 0.0 {
        let s = 0.5 / (trace + 1.0).sqrt();
        a = 0.25 / s;
        b = (r[7] - r[5]) * s;
        c = (r[2] - r[6]) * s;
        d = (r[3] - r[1]) * s;
    } else if r[0] > r[4] && r[0] > r[8] {
        let s = 2.0 * (1.0 + r[0] - r[4] - r[8]).sqrt();
        a = (r[7] - r[5]) / s;
        b = 0.25 * s;
        c = (r[1] + r[3]) / s;
        d = (r[2] + r[6]) / s;
    } else if r[4] > r[8] {
        let s = 2.0 * (1.0 + r[4] - r[0] - r[8]).sqrt();
        a = (r[2] - r[6]) / s;
        b = (r[1] + r[3]) / s;
        c = 0.25 * s;
        d = (r[5] + r[7]) / s;
    } else {
        let s = 2.0 * (1.0 + r[8] - r[0] - r[4]).sqrt();
        a = (r[3] - r[1]) / s;
        b = (r[2] + r[6]) / s;
        c = (r[5] + r[7]) / s;
        d = 0.25 * s;
    }
    // NIfTI requires a ≥ 0.
    if a < 0.0 { ([-b, -c, -d], -a) } else { ([b, c, d], a) }
}
