//! Decoding raw voxel samples of any scalar type into the voxel type a caller wants.

use std::io::Read;
use std::ops::Range;

use super::ImagingError;

pub(crate) use super::PixelType as Kind;

impl Kind {
    pub(crate) fn bytes(self) -> usize {
        match self {
            Kind::I8 | Kind::U8 => 1,
            Kind::I16 | Kind::U16 => 2,
            Kind::I32 | Kind::U32 | Kind::F32 => 4,
            Kind::I64 | Kind::U64 | Kind::F64 => 8,
        }
    }
}

/// A sample kind with its byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SampleType {
    pub kind: Kind,
    pub big_endian: bool,
}

/// Where the 3-D volumes of a file holding several (a 4-D NIfTI or NRRD) lie in its sample stream:
/// sample `i` belongs to volume `(i / stride) % count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameLayout {
    /// Number of 3-D volumes.
    pub count: usize,
    /// Samples between consecutive volume indices: the product of the sizes of the axes stored
    /// before the volume axis (1 when volumes are interleaved voxel by voxel).
    pub stride: usize,
}

impl FrameLayout {
    /// A plain 3-D file.
    pub(crate) const SINGLE: FrameLayout = FrameLayout { count: 1, stride: 1 };

    /// The volume sample `i` belongs to.
    pub(crate) fn volume_of(self, i: usize) -> usize {
        (i / self.stride) % self.count
    }
}

/// Streams `count` samples from `reader`, calling `sink` with each run of samples, still encoded,
/// and the index of the run's first sample; the sink decodes the parts it keeps ([`Samples::decode`]).
///
/// Reads in fixed chunks so a volume never exists twice in memory, and reports a truncated file
/// instead of trusting the header's size. Runs rather than single values, so that a caller keeping
/// a small block of a large image pays per row, not per voxel, and decodes only that block.
pub(crate) fn decode_samples(
    reader: &mut dyn Read,
    sample: SampleType,
    count: usize,
    file: &str,
    mut sink: impl FnMut(usize, Samples<'_>) -> Result<(), ImagingError>,
) -> Result<(), ImagingError> {
    const CHUNK: usize = 65536;
    let width = sample.kind.bytes();
    let expected = (count as u64).saturating_mul(width as u64);
    let mut chunk = vec![0u8; width * CHUNK];
    let mut remaining = count;
    let mut carry = 0usize;
    let mut consumed: u64 = 0;
    while remaining > 0 {
        let want = (remaining * width).min(chunk.len());
        let n = match reader.read(&mut chunk[carry..want]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(source) => {
                return Err(ImagingError::Io {
                    file: file.into(),
                    source,
                });
            }
        };
        if n == 0 {
            return Err(ImagingError::Truncated {
                file: file.into(),
                expected,
                actual: consumed + carry as u64,
            });
        }
        let available = carry + n;
        let whole = available / width;
        sink(
            count - remaining,
            Samples {
                bytes: &chunk[..whole * width],
                sample,
            },
        )?;
        consumed += (whole * width) as u64;
        remaining -= whole;
        carry = available - whole * width;
        chunk.copy_within(whole * width..available, 0);
    }
    Ok(())
}

/// A run of whole samples as the file stores them.
pub(crate) struct Samples<'a> {
    bytes: &'a [u8],
    sample: SampleType,
}

impl Samples<'_> {
    pub(crate) fn len(&self) -> usize {
        self.bytes.len() / self.sample.kind.bytes()
    }

    /// Appends samples `range` of the run to `values`, each read as f64 (exact for every kind but
    /// 64-bit integers beyond 2^53, which no image format in practice uses) and stored as `store`
    /// makes it.
    pub(crate) fn decode<T>(&self, range: Range<usize>, values: &mut Vec<T>, store: impl Fn(f64) -> T) {
        let width = self.sample.kind.bytes();
        decode_chunk(
            &self.bytes[range.start * width..range.end * width],
            self.sample,
            values,
            store,
        );
    }
}

/// Decodes whole samples, choosing the conversion once per chunk rather than once per sample. With
/// `store` inlined, a conversion through f64 that is exact both ways (u8 to i32, say) compiles to
/// the direct one.
fn decode_chunk<T>(bytes: &[u8], sample: SampleType, values: &mut Vec<T>, store: impl Fn(f64) -> T) {
    macro_rules! each {
        ($t:ty) => {{
            const WIDTH: usize = std::mem::size_of::<$t>();
            let samples = bytes
                .chunks_exact(WIDTH)
                .map(|s| -> [u8; WIDTH] { s.try_into().expect("sample width") });
            // Two loops rather than a branch or a function pointer per sample, so each vectorises.
            if sample.big_endian {
                values.extend(samples.map(|b| store(<$t>::from_be_bytes(b) as f64)));
            } else {
                values.extend(samples.map(|b| store(<$t>::from_le_bytes(b) as f64)));
            }
        }};
    }
    match sample.kind {
        Kind::I8 => each!(i8),
        Kind::U8 => each!(u8),
        Kind::I16 => each!(i16),
        Kind::U16 => each!(u16),
        Kind::I32 => each!(i32),
        Kind::U32 => each!(u32),
        Kind::I64 => each!(i64),
        Kind::U64 => each!(u64),
        Kind::F32 => each!(f32),
        Kind::F64 => each!(f64),
    }
}
