//! Opening a volume file of any supported format, decided by content rather than file name
//! (uploads often arrive without a meaningful extension).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use ndarray::Array3;

use super::nifti::{Scaling, is_nifti1, is_nifti2, read_nifti1_header, read_nifti2_header};
use super::nrrd::{is_nrrd, read_nrrd_header};
use super::samples::decode_samples;
use super::{Geometry, ImagingError, Volume};

/// A voxel type a volume can be read into.
pub trait Voxel: Copy + Send + Sync + 'static {
    /// Converts one decoded sample, or says why it cannot be stored (`None` for a NaN image voxel
    /// or a non-integer label).
    fn from_sample(value: f64) -> Option<Self>;
}

impl Voxel for f64 {
    fn from_sample(value: f64) -> Option<f64> {
        value.is_finite().then_some(value)
    }
}

impl Voxel for i32 {
    fn from_sample(value: f64) -> Option<i32> {
        // `as` saturates (NaN to 0), so the round trip is exact only for integers in range; cheaper
        // than `fract`, a libm call per voxel on baseline x86-64.
        let label = value as i32;
        (f64::from(label) == value).then_some(label)
    }
}

/// Reads an image (NIfTI-1, NIfTI-2 or NRRD, optionally gzip-compressed) into LPS geometry and f64 voxels.
///
/// `name` is how errors refer to the input. NaN or infinite voxels are rejected.
pub fn read_image(path: &Path, name: &str) -> Result<Volume<f64>, ImagingError> {
    read_volume(path, name, |file, index, value| ImagingError::NonFinite {
        file,
        index,
        value,
    })
}

/// Reads a label mask (same formats) into integer labels; a non-integer value is an error.
pub fn read_labels(path: &Path, name: &str) -> Result<Volume<i32>, ImagingError> {
    read_volume(path, name, |file, index, value| ImagingError::NonIntegerLabel {
        file,
        index,
        value,
    })
}

fn read_volume<T: Voxel>(
    path: &Path,
    name: &str,
    reject: impl Fn(String, [usize; 3], f64) -> ImagingError,
) -> Result<Volume<T>, ImagingError> {
    let io = |source| ImagingError::Io {
        file: name.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut raw = BufReader::with_capacity(1 << 16, file);
    let gzipped = raw.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    let mut reader: Box<dyn BufRead> = if gzipped {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(raw),
        ))
    } else {
        Box::new(raw)
    };
    let head = reader.fill_buf().map_err(io)?.to_vec();
    let (geometry, sample, scaling, mut data): (Geometry, _, Scaling, Box<dyn Read>) = if is_nifti1(&head) {
        let (g, s, sc) = read_nifti1_header(&mut reader, name)?;
        (g, s, sc, reader)
    } else if is_nrrd(&head) {
        let (g, s, d) = read_nrrd_header(reader, name)?;
        (g, s, Scaling::IDENTITY, d)
    } else if is_nifti2(&head) {
        let (g, s, sc) = read_nifti2_header(&mut reader, name)?;
        (g, s, sc, reader)
    } else {
        return Err(ImagingError::UnknownFormat { file: name.into() });
    };
    let count = geometry.voxel_count();
    let [nx, ny, _] = geometry.size;
    // Grow as data arrives instead of trusting the header's size: a lying header cannot make us
    // allocate more than the file really holds.
    let mut values: Vec<T> = Vec::with_capacity(count.min(1 << 24));
    decode_samples(&mut *data, sample, count, name, |v| {
        let scaled = scaling.slope * v + scaling.intercept;
        match T::from_sample(scaled) {
            Some(x) => {
                values.push(x);
                Ok(())
            }
            None => {
                let i = values.len();
                Err(reject(name.to_owned(), [i % nx, (i / nx) % ny, i / (nx * ny)], scaled))
            }
        }
    })?;
    let voxels = Array3::from_shape_vec((geometry.size[2], ny, nx), values).map_err(|e| ImagingError::Malformed {
        file: name.into(),
        message: e.to_string(),
    })?;
    // ITK reads a scaled NIfTI (scl_slope/scl_inter) as floating point.
    let pixel_type = match (sample.kind, scaling == Scaling::IDENTITY) {
        (kind, true) => kind,
        (super::PixelType::F64, false) => super::PixelType::F64,
        (_, false) => super::PixelType::F32,
    };
    Ok(Volume {
        geometry,
        voxels,
        pixel_type,
    })
}
