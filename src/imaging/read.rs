//! Opening a volume file of any supported format, decided by content rather than file name
//! (uploads often arrive without a meaningful extension).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use ndarray::Array3;

use super::archive::{ZipLimits, is_zip};
use super::dicom::{SeriesIdentity, SeriesSelection, is_dicom_file, read_dicom_series};
use super::nifti::{Scaling, is_nifti1, is_nifti2, read_nifti1_header, read_nifti2_header};
use super::nrrd::{is_nrrd, read_nrrd_header};
use super::samples::{FrameLayout, decode_samples};
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

/// Reads a 3-D image (NIfTI-1, NIfTI-2 or NRRD, optionally gzip-compressed) into LPS geometry and
/// f64 voxels; a 4-D file is an error saying how many volumes it holds (see [`read_image_volume`]).
///
/// `name` is how errors refer to the input. NaN or infinite voxels are rejected.
pub fn read_image(path: &Path, name: &str) -> Result<Volume<f64>, ImagingError> {
    read_image_volume(path, name, None)
}

/// Reads one 3-D volume of an image: `volume` is the 0-based index along the fourth NIfTI
/// dimension (time) or the non-spatial NRRD axis. `None` accepts only a file holding one volume
/// (any 3-D file); a 3-D file is volume 0.
pub fn read_image_volume(path: &Path, name: &str, volume: Option<usize>) -> Result<Volume<f64>, ImagingError> {
    read_volume(path, name, volume, |file, index, value| ImagingError::NonFinite {
        file,
        index,
        value,
    })
}

/// An image read by [`read_image_any`]: the volume and, for DICOM, which series it is.
#[derive(Debug)]
pub struct ImageInput {
    /// The voxels and their geometry.
    pub volume: Volume<f64>,
    /// The DICOM series' identifiers (checked against SEG/RTSTRUCT masks); `None` for NIfTI/NRRD.
    pub series: Option<SeriesIdentity>,
}

/// Reads an image of any supported kind: a DICOM series when `path` is a folder, a zip (extracted
/// within `limits`) or a DICOM Part 10 file, otherwise a NIfTI/NRRD volume. `select.series_uid`
/// chooses the series of a multi-series DICOM input (an error for a NIfTI/NRRD volume);
/// `select.volume` the volume of a 4-D file or a multi-volume series. Errors name the input by its
/// path.
pub fn read_image_any(path: &Path, select: &SeriesSelection, limits: &ZipLimits) -> Result<ImageInput, ImagingError> {
    let name = path.display().to_string();
    if is_dicom_input(path)? {
        let series = read_dicom_series(path, select, limits)?;
        return Ok(ImageInput {
            volume: series.volume,
            series: Some(series.identity),
        });
    }
    if select.series_uid.is_some() {
        return Err(ImagingError::Unsupported {
            file: name,
            what: "series_uid on a NIfTI/NRRD volume (it selects a DICOM series)".into(),
        });
    }
    Ok(ImageInput {
        volume: read_image_volume(path, &name, select.volume)?,
        series: None,
    })
}

/// True when `path` is read as DICOM: a folder, a zip archive or a DICOM Part 10 file.
pub fn is_dicom_input(path: &Path) -> Result<bool, ImagingError> {
    let io = |source| ImagingError::Io {
        file: path.display().to_string(),
        source,
    };
    Ok(path.is_dir() || is_zip(path).map_err(io)? || is_dicom_file(path).map_err(io)?)
}

/// Reads a 3-D label mask (same formats) into integer labels; a non-integer value is an error.
pub fn read_labels(path: &Path, name: &str) -> Result<Volume<i32>, ImagingError> {
    read_volume(path, name, None, |file, index, value| ImagingError::NonIntegerLabel {
        file,
        index,
        value,
    })
}

/// The volume index to read from a file holding `frames.count` volumes.
fn chosen_volume(frames: FrameLayout, volume: Option<usize>, name: &str) -> Result<usize, ImagingError> {
    match volume {
        None if frames.count > 1 => Err(ImagingError::VolumeRequired {
            file: name.into(),
            volumes: frames.count,
        }),
        Some(v) if v >= frames.count => Err(ImagingError::VolumeOutOfRange {
            file: name.into(),
            volume: v,
            volumes: frames.count,
        }),
        chosen => Ok(chosen.unwrap_or(0)),
    }
}

fn read_volume<T: Voxel>(
    path: &Path,
    name: &str,
    volume: Option<usize>,
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
    let (geometry, frames, sample, scaling, mut data): (Geometry, _, _, Scaling, Box<dyn Read>) =
        if is_nifti1(&head) || is_nifti2(&head) {
            let layout = if is_nifti1(&head) {
                read_nifti1_header(&mut reader, name)?
            } else {
                read_nifti2_header(&mut reader, name)?
            };
            (layout.geometry, layout.frames, layout.sample, layout.scaling, reader)
        } else if is_nrrd(&head) {
            let layout = read_nrrd_header(reader, name)?;
            (
                layout.geometry,
                layout.frames,
                layout.sample,
                Scaling::IDENTITY,
                layout.data,
            )
        } else {
            return Err(ImagingError::UnknownFormat { file: name.into() });
        };
    let chosen = chosen_volume(frames, volume, name)?;
    let count = geometry.voxel_count();
    let [nx, ny, _] = geometry.size;
    // Grow as data arrives instead of trusting the header's size: a lying header cannot make us
    // allocate more than the file really holds.
    let mut values: Vec<T> = Vec::with_capacity(count.min(1 << 24));
    let mut sample_index = 0;
    decode_samples(&mut *data, sample, count.saturating_mul(frames.count), name, |v| {
        let in_chosen = frames.volume_of(sample_index) == chosen;
        sample_index += 1;
        if !in_chosen {
            return Ok(());
        }
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
