//! Opening a volume file of any supported format, decided by content rather than file name
//! (uploads often arrive without a meaningful extension).

use std::io::{BufRead, BufReader, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};

use ndarray::Array3;

use super::archive::{ZipLimits, is_zip};
use super::dicom::{SeriesIdentity, SeriesLayout, SeriesSelection, is_dicom_file, open_dicom_series};
use super::mask::{LabelExtent, RowBounds};
use super::nifti::{Scaling, is_nifti1, is_nifti2, read_nifti1_header, read_nifti2_header};
use super::nrrd::{is_nrrd, read_nrrd_header};
use super::samples::{FrameLayout, Kind, SampleType, Samples, decode_samples};
use super::{Geometry, ImagingError, Volume};

/// A voxel type a volume can be read into.
pub trait Voxel: Copy + Send + Sync + 'static {
    /// Appends the decoded samples `run` to `out`, or gives the position in `run` of the first one
    /// that cannot be stored (a NaN image voxel, a non-integer label).
    ///
    /// The check is one pass without an early exit, so that it vectorises like the copy; the
    /// position is looked for only on failure.
    fn extend_from_samples(out: &mut Vec<Self>, run: &[f64]) -> Result<(), usize>;

    /// Whether every unscaled sample of `kind` can be stored, so that none needs the check.
    fn holds_every(kind: Kind) -> bool;

    /// A sample known to be storable (see [`Voxel::holds_every`]).
    fn from_sample(v: f64) -> Self;
}

impl Voxel for f64 {
    fn extend_from_samples(out: &mut Vec<f64>, run: &[f64]) -> Result<(), usize> {
        if !run.iter().fold(true, |ok, v| ok & v.is_finite()) {
            return Err(run.iter().position(|v| !v.is_finite()).unwrap_or(0));
        }
        out.extend_from_slice(run);
        Ok(())
    }

    fn holds_every(kind: Kind) -> bool {
        kind.integer_range().is_some()
    }

    fn from_sample(v: f64) -> f64 {
        v
    }
}

/// 1.5·2⁵²: in i32's range, `v + ROUND` rounds `v` to an integer held in the low mantissa bits.
const ROUND: f64 = 6_755_399_441_055_744.0;

impl Voxel for i32 {
    fn extend_from_samples(out: &mut Vec<i32>, run: &[f64]) -> Result<(), usize> {
        // Adding and removing ROUND is exact only for integers (NaN fails every comparison). Plain
        // arithmetic vectorises, unlike `fract` (a libm call per voxel on baseline x86-64) or a
        // saturating `as` round trip.
        let exact = |v: f64| (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&v) && (v + ROUND) - ROUND == v;
        if !run.iter().fold(true, |ok, &v| ok & exact(v)) {
            return Err(run.iter().position(|&v| !exact(v)).unwrap_or(0));
        }
        out.extend(run.iter().map(|&v| v as i32));
        Ok(())
    }

    fn holds_every(kind: Kind) -> bool {
        matches!(kind, Kind::I8 | Kind::U8 | Kind::I16 | Kind::U16 | Kind::I32)
    }

    fn from_sample(v: f64) -> i32 {
        // An integer v in i32's range is (v + ROUND)'s low 32 bits, two's complement. Unlike the
        // saturating `as` (clamps and a NaN test per voxel), this vectorises: reading a label file
        // whole converts every one of its voxels.
        (v + ROUND).to_bits() as u32 as i32
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
    read_volume(path, name, volume, None, non_finite)
}

fn non_finite(file: String, index: [usize; 3], value: f64) -> ImagingError {
    ImagingError::NonFinite { file, index, value }
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
    open_image(path, select, limits)?.read(None)
}

/// An image input whose grid is known and whose voxels are not read yet ([`open_image`]), so that
/// a mask can be placed on the grid before choosing which voxels to read.
pub enum OpenedImage {
    /// A NIfTI/NRRD file, its header read.
    File {
        /// Where it is.
        path: PathBuf,
        /// How errors name it.
        name: String,
        /// The volume of a 4-D file to read.
        volume: Option<usize>,
        /// Its grid.
        geometry: Geometry,
    },
    /// A DICOM series, its headers read and slices stacked.
    Dicom(SeriesLayout),
}

/// Opens an image as [`read_image_any`] reads it, reading headers only.
pub fn open_image(path: &Path, select: &SeriesSelection, limits: &ZipLimits) -> Result<OpenedImage, ImagingError> {
    let name = path.display().to_string();
    if is_dicom_input(path)? {
        return Ok(OpenedImage::Dicom(open_dicom_series(path, select, limits)?));
    }
    if select.series_uid.is_some() {
        return Err(ImagingError::Unsupported {
            file: name,
            what: "series_uid on a NIfTI/NRRD volume (it selects a DICOM series)".into(),
        });
    }
    Ok(OpenedImage::File {
        geometry: read_image_geometry(path, &name)?,
        path: path.into(),
        name,
        volume: select.volume,
    })
}

impl OpenedImage {
    /// The image's grid.
    pub fn geometry(&self) -> &Geometry {
        match self {
            OpenedImage::File { geometry, .. } => geometry,
            OpenedImage::Dicom(layout) => layout.geometry(),
        }
    }

    /// The DICOM series' identifiers; `None` for NIfTI/NRRD.
    pub fn series(&self) -> Option<&SeriesIdentity> {
        match self {
            OpenedImage::File { .. } => None,
            OpenedImage::Dicom(layout) => Some(layout.identity()),
        }
    }

    /// Reads the voxels, or only the block `region` (`[z, y, x]` index ranges) with its origin
    /// moved to the block's first voxel ([`read_image_region`]; for DICOM only the block's slices
    /// are decoded).
    pub fn read(self, region: Option<&[Range<usize>; 3]>) -> Result<ImageInput, ImagingError> {
        match self {
            OpenedImage::File { path, name, volume, .. } => Ok(ImageInput {
                volume: match region {
                    Some(region) => read_image_region(&path, &name, volume, region)?,
                    None => read_image_volume(&path, &name, volume)?,
                },
                series: None,
            }),
            OpenedImage::Dicom(layout) => {
                let series = layout.read(region)?;
                Ok(ImageInput {
                    volume: series.volume,
                    series: Some(series.identity),
                })
            }
        }
    }
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
    read_volume(path, name, None, None, non_integer_label)
}

/// [`read_labels`] keeping only the block `region` (`[z, y, x]`), as [`read_image_region`] does.
pub fn read_labels_region(path: &Path, name: &str, region: &[Range<usize>; 3]) -> Result<Volume<i32>, ImagingError> {
    read_volume(path, name, None, Some(region), non_integer_label)
}

/// Where `label` lies in the label mask at `path`, with [`read_labels`]' checks of every voxel,
/// holding one row of voxels at a time rather than the volume: on a CT-sized mask around a small
/// lesion the whole volume as `i32` is most of the memory and much of the time of a case.
pub fn read_label_extent(path: &Path, name: &str, label: i32) -> Result<LabelExtent, ImagingError> {
    let mut bounds = RowBounds::default();
    let mut rows_seen = 0;
    let mut take_rows = |values: &mut Vec<i32>, [nx, ny, _]: [usize; 3]| {
        let rows = values.len() / nx.max(1);
        for (k, row) in values.chunks_exact(nx.max(1)).enumerate() {
            let r = rows_seen + k;
            bounds.add_row([r / ny, r % ny], row, |&v| v == label);
        }
        rows_seen += rows;
        values.drain(..rows * nx);
    };
    let (geometry, _, _) = stream_volume(path, name, None, None, non_integer_label, Some(&mut take_rows))?;
    Ok(LabelExtent {
        geometry,
        bounds: bounds.finish(),
    })
}

fn non_integer_label(file: String, index: [usize; 3], value: f64) -> ImagingError {
    ImagingError::NonIntegerLabel { file, index, value }
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

/// A volume file with its header parsed and its sample stream positioned at the first voxel.
struct OpenVolume {
    geometry: Geometry,
    frames: FrameLayout,
    sample: SampleType,
    scaling: Scaling,
    data: Box<dyn Read>,
    /// Where the samples start in the (decompressed) stream, when the format says (NIfTI).
    data_start: Option<u64>,
    /// Where the file records its stream's length.
    length_record: LengthRecord,
}

/// Where a file records the length of its (decompressed) byte stream, which tells a complete file
/// from a truncated one without reading it to the end.
#[derive(Debug, Clone, Copy)]
enum LengthRecord {
    /// An uncompressed file: its size.
    FileSize(u64),
    /// A gzip file: its trailer's ISIZE, the length of its (last) member mod 2³² (RFC 1952).
    GzipTrailer,
}

impl LengthRecord {
    /// Whether the file at `path` records a stream of `bytes` bytes; a trailer that cannot be read
    /// (a file shorter than one) records nothing.
    fn shows(self, path: &Path, bytes: u64) -> bool {
        match self {
            LengthRecord::FileSize(size) => size == bytes,
            LengthRecord::GzipTrailer => {
                gzip_trailer_length(path).is_ok_and(|isize| u64::from(isize) == bytes % (1 << 32))
            }
        }
    }
}

/// The ISIZE field that ends a gzip file (its last four bytes).
fn gzip_trailer_length(path: &Path) -> std::io::Result<u32> {
    use std::io::{Seek, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::End(-4))?;
    let mut isize = [0u8; 4];
    file.read_exact(&mut isize)?;
    Ok(u32::from_le_bytes(isize))
}

fn open_volume(path: &Path, name: &str) -> Result<OpenVolume, ImagingError> {
    let io = |source| ImagingError::Io {
        file: name.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let file_size = file.metadata().map_err(io)?.len();
    let mut raw = BufReader::with_capacity(1 << 16, file);
    let gzipped = raw.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    let length_record = if gzipped {
        LengthRecord::GzipTrailer
    } else {
        LengthRecord::FileSize(file_size)
    };
    let mut reader: Box<dyn BufRead> = if gzipped {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(raw),
        ))
    } else {
        Box::new(raw)
    };
    let head = reader.fill_buf().map_err(io)?.to_vec();
    if is_nifti1(&head) || is_nifti2(&head) {
        let layout = if is_nifti1(&head) {
            read_nifti1_header(&mut reader, name)?
        } else {
            read_nifti2_header(&mut reader, name)?
        };
        Ok(OpenVolume {
            geometry: layout.geometry,
            frames: layout.frames,
            sample: layout.sample,
            scaling: layout.scaling,
            data: reader,
            data_start: Some(layout.data_start),
            length_record,
        })
    } else if is_nrrd(&head) {
        let layout = read_nrrd_header(reader, name)?;
        Ok(OpenVolume {
            geometry: layout.geometry,
            frames: layout.frames,
            sample: layout.sample,
            scaling: Scaling::IDENTITY,
            data: layout.data,
            data_start: None,
            length_record,
        })
    } else {
        Err(ImagingError::UnknownFormat { file: name.into() })
    }
}

/// The grid of a NIfTI/NRRD image, from its header alone (the voxels are not decoded).
pub fn read_image_geometry(path: &Path, name: &str) -> Result<Geometry, ImagingError> {
    Ok(open_volume(path, name)?.geometry)
}

/// Like [`read_image_volume`], keeping only the voxels inside `region` (`[z, y, x]` index ranges,
/// as [`bounding_box`](super::bounding_box) gives them): the volume returned is that block, its
/// origin moved to the block's first voxel. Only the block is converted and held, which is most of
/// the work on a large image with a small region; a single-volume NIfTI whose recorded length (the
/// gzip trailer, the file's size) shows it complete is decoded up to the block's last voxel only,
/// any other file to its end.
pub fn read_image_region(
    path: &Path,
    name: &str,
    volume: Option<usize>,
    region: &[Range<usize>; 3],
) -> Result<Volume<f64>, ImagingError> {
    read_volume(path, name, volume, Some(region), non_finite)
}

fn read_volume<T: Voxel>(
    path: &Path,
    name: &str,
    volume: Option<usize>,
    region: Option<&[Range<usize>; 3]>,
    reject: impl Fn(String, [usize; 3], f64) -> ImagingError,
) -> Result<Volume<T>, ImagingError> {
    let (geometry, pixel_type, values) = stream_volume(path, name, volume, region, reject, None)?;
    let [nx, ny, nz] = geometry.size;
    let voxels = Array3::from_shape_vec((nz, ny, nx), values).map_err(|e| ImagingError::Malformed {
        file: name.into(),
        message: e.to_string(),
    })?;
    Ok(Volume {
        geometry,
        voxels,
        pixel_type,
    })
}

/// Called by [`stream_volume`] after each chunk of a file with the voxels kept so far and the
/// whole volume's `[nx, ny, nz]`; it may take voxels from the front.
type ChunkDone<'a, T> = &'a mut dyn FnMut(&mut Vec<T>, [usize; 3]);

/// Decodes the voxels of `region` (all for `None`) in `[z, y, x]` order, checking each, into a
/// vector that holds them all, unless `chunk_done` takes them as they come; with the block's
/// grid and the pixel type.
fn stream_volume<T: Voxel>(
    path: &Path,
    name: &str,
    volume: Option<usize>,
    region: Option<&[Range<usize>; 3]>,
    reject: impl Fn(String, [usize; 3], f64) -> ImagingError,
    mut chunk_done: Option<ChunkDone<'_, T>>,
) -> Result<(Geometry, super::PixelType, Vec<T>), ImagingError> {
    let OpenVolume {
        geometry,
        frames,
        sample,
        scaling,
        mut data,
        data_start,
        length_record,
    } = open_volume(path, name)?;
    let chosen = chosen_volume(frames, volume, name)?;
    let count = geometry.voxel_count();
    let [nx, ny, nz] = geometry.size;
    let block = geometry.block(region).ok_or_else(|| ImagingError::RegionOutsideGrid {
        file: name.into(),
        region: region.cloned().unwrap_or_default(),
        size: [nz, ny, nx],
    })?;
    let [zs, ys, xs] = block.clone();
    let kept = zs.len() * ys.len() * xs.len();
    // Grow as data arrives instead of trusting the header's size: a lying header cannot make us
    // allocate more than the file really holds.
    let mut values: Vec<T> = Vec::with_capacity(if chunk_done.is_some() { 0 } else { kept.min(1 << 24) });
    let identity = scaling == Scaling::IDENTITY;
    // Unscaled integer samples that the voxel type holds need no per-sample check.
    let unchecked = identity && T::holds_every(sample.kind);
    let coordinates = |voxel: usize| [voxel % nx, (voxel / nx) % ny, voxel / (nx * ny)];
    let mut scaled = Vec::new();
    // Keeps the values of voxels `first..first + run.len()`, or names the first one that cannot be stored.
    let mut keep_run = |values: &mut Vec<T>, first: usize, run: &[f64]| {
        if unchecked {
            values.extend(run.iter().map(|&v| T::from_sample(v)));
            return Ok(());
        }
        let run = if identity {
            run
        } else {
            scaled.clear();
            scaled.extend(run.iter().map(|&v| scaling.slope * v + scaling.intercept));
            &scaled[..]
        };
        T::extend_from_samples(values, run).map_err(|bad| reject(name.to_owned(), coordinates(first + bad), run[bad]))
    };
    let total = count.saturating_mul(frames.count);
    // In a single-volume file sample i is voxel i, so the samples after the block's last voxel are
    // not needed. They are still read (to find a truncated file: an error), unless the file records
    // a stream length that shows it complete. Like ITK, no read goes on to the gzip checksum.
    let block_end = ((zs.end.max(1) - 1) * ny + ys.end.max(1) - 1) * nx + xs.end;
    let stops_early = frames.count == 1
        && block_end < total
        && data_start.is_some_and(|start| {
            length_record.shows(
                path,
                start.saturating_add((total as u64).saturating_mul(sample.kind.bytes() as u64)),
            )
        });
    let to_read = if stops_early { block_end } else { total };
    let mut decoded = Vec::new();
    // Keeps the samples of voxels `first..` that the block holds.
    let mut keep_samples = |values: &mut Vec<T>, first: usize, samples: Samples<'_>| {
        if frames.count == 1 {
            // Decodes and keeps the samples of voxels `span`.
            let mut keep_span = |span: Range<usize>| {
                let range = span.start - first..span.end - first;
                if unchecked {
                    // Straight into the volume, without the f64 staging buffer.
                    samples.decode(range, values, T::from_sample);
                    return Ok(());
                }
                if span.is_empty() {
                    return Ok(());
                }
                decoded.clear();
                samples.decode(range, &mut decoded, |v| v);
                keep_run(values, span.start, &decoded)
            };
            // Keep the part of each row (a z, y line) inside the region; rows kept whole and
            // back to back are decoded as one span.
            let end = first + samples.len();
            let mut span = first..first;
            let mut row = first / nx;
            while row * nx < end {
                if zs.contains(&(row / ny)) && ys.contains(&(row % ny)) {
                    let lo = (row * nx + xs.start).max(first);
                    let hi = (row * nx + xs.end).min(end);
                    if lo < hi {
                        if lo != span.end {
                            keep_span(std::mem::replace(&mut span, lo..lo))?;
                        }
                        span.end = hi;
                    }
                }
                row += 1;
            }
            return keep_span(span);
        }
        decoded.clear();
        samples.decode(0..samples.len(), &mut decoded, |v| v);
        for (offset, &v) in decoded.iter().enumerate() {
            let i = first + offset;
            if frames.volume_of(i) != chosen {
                continue;
            }
            let voxel = i / (frames.stride * frames.count) * frames.stride + i % frames.stride;
            let [x, y, z] = coordinates(voxel);
            if xs.contains(&x) && ys.contains(&y) && zs.contains(&z) {
                keep_run(values, voxel, &[v])?;
            }
        }
        Ok(())
    };
    decode_samples(&mut *data, sample, to_read, name, |first, samples| {
        keep_samples(&mut values, first, samples)?;
        if let Some(done) = chunk_done.as_mut() {
            done(&mut values, geometry.size);
        }
        Ok(())
    })?;
    // ITK reads a scaled NIfTI (scl_slope/scl_inter) as floating point.
    let pixel_type = match (sample.kind, scaling == Scaling::IDENTITY) {
        (kind, true) => kind,
        (super::PixelType::F64, false) => super::PixelType::F64,
        (_, false) => super::PixelType::F32,
    };
    Ok((geometry.cropped(&block), pixel_type, values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imaging::{NiftiDatatype, write_nifti_gz};

    /// A 1 × 2 × 3 float32 NIfTI holding `values` (x fastest).
    fn float_file(dir: &tempfile::TempDir, values: [f64; 6]) -> PathBuf {
        let path = dir.path().join("volume.nii.gz");
        let geometry = Geometry {
            size: [3, 2, 1],
            spacing: [1.0; 3],
            origin: [0.0; 3],
            direction: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        };
        let voxels = Array3::from_shape_vec((1, 2, 3), values.to_vec()).unwrap();
        write_nifti_gz(&path, &Volume::new(geometry, voxels), NiftiDatatype::F32).unwrap();
        path
    }

    /// Every sample an unchecked kind can hold becomes the same label as the saturating `as` gives.
    #[test]
    fn a_label_sample_converts_to_the_integer_it_holds() {
        let i16_and_u16 = (i32::from(i16::MIN)..=i32::from(u16::MAX)).map(f64::from);
        let i32_extremes = [i32::MIN, i32::MIN + 1, -65_537, 65_536, i32::MAX - 1, i32::MAX].map(f64::from);
        for v in i16_and_u16.chain(i32_extremes) {
            assert_eq!(<i32 as Voxel>::from_sample(v), v as i32, "{v}");
        }
    }

    /// The per-sample check is skipped only for sample kinds whose every value the voxel type holds
    /// exactly: a u32 label above i32's range must still be refused.
    #[test]
    fn only_sample_kinds_that_always_fit_skip_the_check() {
        use Kind::*;
        for kind in [I8, U8, I16, U16, I32, U32, I64, U64, F32, F64] {
            let fits_i32 = kind
                .integer_range()
                .is_some_and(|(lo, hi)| lo >= f64::from(i32::MIN) && hi <= f64::from(i32::MAX));
            assert_eq!(<i32 as Voxel>::holds_every(kind), fits_i32, "{kind:?}");
            // Integers are finite; a float sample may be NaN.
            assert_eq!(
                <f64 as Voxel>::holds_every(kind),
                !matches!(kind, F32 | F64),
                "{kind:?}"
            );
        }
    }

    /// A block read stops after the block's last voxel only when the file's recorded length (the
    /// gzip trailer, an uncompressed file's size) shows it complete; a truncated file is an error.
    #[test]
    fn a_block_read_stops_early_only_in_a_file_that_shows_itself_complete() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let geometry = Geometry {
            size: [8, 6, 5],
            spacing: [1.0; 3],
            origin: [0.0; 3],
            direction: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        };
        let voxels = Array3::from_shape_fn((5, 6, 8), |(z, y, x)| (100 * z + 10 * y + x) as f64);
        let gz = dir.path().join("whole.nii.gz");
        write_nifti_gz(&gz, &Volume::new(geometry, voxels), NiftiDatatype::F32).unwrap();
        let compressed = std::fs::read(&gz).unwrap();
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_end(&mut bytes)
            .unwrap();
        let file = |name: &str, content: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, content).unwrap();
            path
        };
        let gzip = |content: &[u8]| {
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(content).unwrap();
            encoder.finish().unwrap()
        };
        let region = [1..3, 2..4, 3..6];
        let whole = read_image(&gz, "whole").unwrap();
        let raw = file("raw.nii", &bytes);
        for path in [&gz, &raw] {
            let block = read_image_region(path, "v", None, &region).unwrap();
            assert_eq!(block.voxels, whole.cropped(&region).voxels, "{}", path.display());
        }
        // Cut just after the block's last voxel: the recorded length gives it away, so the read
        // goes on to the end and reports the truncation.
        let data_start = bytes.len() - 8 * 6 * 5 * 4;
        let cut = &bytes[..data_start + ((2 * 6 + 3) * 8 + 6) * 4];
        for path in [file("cut.nii.gz", &gzip(cut)), file("cut.nii", cut)] {
            let err = read_image_region(&path, "cut", None, &region).unwrap_err();
            assert!(
                matches!(err, ImagingError::Truncated { .. }),
                "{}: {err}",
                path.display()
            );
        }
    }

    /// The streamed extent is the whole read's, though decoding chunks (65536 samples) end inside
    /// rows; a missing label has none; a bad voxel is the same error; a block read is the block.
    #[test]
    fn a_label_extent_streamed_row_by_row_is_that_of_the_whole_mask() {
        let dir = tempfile::tempdir().unwrap();
        let geometry = Geometry {
            size: [70, 50, 40],
            spacing: [0.7, 0.8, 2.5],
            origin: [-3.0, 4.0, 10.0],
            direction: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        };
        let voxels = Array3::from_shape_fn((40, 50, 70), |(z, y, x)| match (z, y, x) {
            (18, 37, 69) | (18, 37, 0) | (19, 0, 5) | (26, 12, 33) => 2.0,
            (0, 0, 0) | (39, 49, 69) => 1.0,
            _ => 0.0,
        });
        let path = dir.path().join("mask.nii.gz");
        write_nifti_gz(&path, &Volume::new(geometry, voxels), NiftiDatatype::U8).unwrap();
        let whole = read_labels(&path, "m").unwrap();
        for label in [1, 2, 3] {
            let streamed = read_label_extent(&path, "m", label).unwrap();
            assert_eq!(streamed, LabelExtent::of(&whole, label), "label {label}");
        }
        let streamed = read_label_extent(&path, "m", 2).unwrap();
        assert_eq!(streamed.bounds, Some([18..27, 0..38, 0..70]));
        assert_eq!(read_label_extent(&path, "m", 3).unwrap().bounds, None);
        let region = [18..27, 0..38, 0..70];
        assert_eq!(
            read_labels_region(&path, "m", &region).unwrap().voxels,
            whole.cropped(&region).voxels
        );
        let bad = float_file(&dir, [0.0, 1.0, 2.0, 1.0, 2.5, 3.0]);
        let err = read_label_extent(&bad, "m", 1).unwrap_err();
        assert!(
            matches!(
                err,
                ImagingError::NonIntegerLabel {
                    index: [1, 1, 0],
                    value: 2.5,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn labels_must_be_integers_in_range_and_images_finite_naming_the_first_bad_voxel() {
        let dir = tempfile::tempdir().unwrap();
        let labels = read_labels(&float_file(&dir, [0.0, -7.0, 40000.0, 1.0, -0.0, 2.0]), "m").unwrap();
        assert_eq!(
            labels.voxels.iter().copied().collect::<Vec<_>>(),
            vec![0, -7, 40000, 1, 0, 2]
        );
        for (values, index, value) in [
            ([0.0, 1.0, 2.0, 1.0, 2.5, 3.0], [1, 1, 0], 2.5),
            ([1.0, 3e9, 1.0, 1.0, 1.0, 1.0], [1, 0, 0], 3e9),
            ([1.0, 1.0, 1.0, 1.0, 1.0, -0.25], [2, 1, 0], -0.25),
        ] {
            let err = read_labels(&float_file(&dir, values), "m").unwrap_err();
            assert!(
                matches!(err, ImagingError::NonIntegerLabel { index: i, value: v, .. } if i == index && v == value),
                "{values:?}: {err}"
            );
        }
        let err = read_labels(&float_file(&dir, [1.0, 1.0, f64::NAN, 1.0, 1.0, 1.0]), "m").unwrap_err();
        assert!(
            matches!(err, ImagingError::NonIntegerLabel { index: [2, 0, 0], .. }),
            "{err}"
        );
        let image = read_image(&float_file(&dir, [0.5, -1.25, 3.0, 1e30, 0.0, 2.0]), "i").unwrap();
        assert_eq!(image.voxels[[0, 1, 0]], f64::from(1e30f32));
        let err = read_image(&float_file(&dir, [0.5, 1.0, 2.0, f64::INFINITY, 0.0, 2.0]), "i").unwrap_err();
        assert!(matches!(err, ImagingError::NonFinite { index: [0, 1, 0], .. }), "{err}");
    }
}
