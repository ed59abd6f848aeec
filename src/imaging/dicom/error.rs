use super::{SeriesSummary, StackSummary};
use crate::imaging::archive::ArchiveError;

/// Why a DICOM input could not be turned into a volume.
///
/// `file` is the name the caller knows a file by (its path, or its entry name inside a zip),
/// never a temporary path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DicomError {
    /// A file or folder could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The input's name.
        file: String,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The file is not DICOM, or its data set cannot be parsed (for example because it is truncated).
    #[error("{file}: not a readable DICOM file: {message}")]
    Unreadable {
        /// The input's name.
        file: String,
        /// What the parser reported.
        message: String,
    },
    /// The zip archive holding the series was rejected.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// No file in the input holds an image (only SR, PR, KO, SEG, RTSTRUCT or no DICOM at all).
    #[error("no DICOM image series found among {files} file(s)")]
    NoImageSeries {
        /// Files looked at.
        files: usize,
    },
    /// Several image series are present and none was chosen.
    #[error("{} image series found; choose one by series_uid: {}", .series.len(), describe_series(.series))]
    AmbiguousSeries {
        /// Every image series, so the caller can choose.
        series: Vec<SeriesSummary>,
    },
    /// The requested series is not in the input.
    #[error("series_uid {uid} not found; image series present: {}", describe_series(.series))]
    SeriesNotFound {
        /// The requested SeriesInstanceUID.
        uid: String,
        /// Every image series present.
        series: Vec<SeriesSummary>,
    },
    /// A required attribute is absent or empty.
    #[error("{file}: missing {attribute}")]
    MissingAttribute {
        /// The input's name.
        file: String,
        /// The DICOM keyword.
        attribute: &'static str,
    },
    /// An attribute is present but its value cannot be used.
    #[error("{file}: invalid {attribute} {value:?}: {reason}")]
    InvalidAttribute {
        /// The input's name.
        file: String,
        /// The DICOM keyword.
        attribute: &'static str,
        /// The value as stored.
        value: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// An image object of the series has no Pixel Data.
    #[error("{file}: image has no PixelData")]
    MissingPixelData {
        /// The input's name.
        file: String,
    },
    /// Slices of one series disagree on an attribute that must be shared to form a volume.
    #[error("slices disagree on {attribute}: {first_file} has {first} but {other_file} has {other}")]
    InconsistentSlices {
        /// The DICOM keyword.
        attribute: &'static str,
        /// A file holding the first value seen.
        first_file: String,
        /// The first value seen.
        first: String,
        /// A file holding a different value.
        other_file: String,
        /// The different value.
        other: String,
    },
    /// Two slices sit at the same position along the slice normal.
    #[error("{first_file} and {other_file} are at the same position ({position:.4} mm along the slice normal)")]
    DuplicateSlice {
        /// One of the files.
        first_file: String,
        /// The other file.
        other_file: String,
        /// Their common position along the normal.
        position: f64,
    },
    /// The gap between two neighbouring slices is a whole multiple of the usual one.
    #[error("missing slice(s) between {before} and {after}: gap {gap:.4} mm where slices are {spacing:.4} mm apart")]
    MissingSlice {
        /// The slice before the gap.
        before: String,
        /// The slice after the gap.
        after: String,
        /// The gap, mm.
        gap: f64,
        /// The usual (median) gap, mm.
        spacing: f64,
    },
    /// Slice gaps vary by more than the tolerance.
    #[error(
        "non-uniform slice spacing: gap {gap:.4} mm between {before} and {after}, median gap {spacing:.4} mm (tolerance {tolerance:.4} mm)"
    )]
    NonUniformSpacing {
        /// The slice before the gap.
        before: String,
        /// The slice after the gap.
        after: String,
        /// The gap, mm.
        gap: f64,
        /// The median gap, mm.
        spacing: f64,
        /// Allowed deviation, mm.
        tolerance: f64,
    },
    /// Slice positions drift sideways, so they do not stack along the normal (gantry tilt, shear).
    #[error(
        "{file} is offset {offset:.4} mm sideways from the first slice's normal; sheared or tilted stacks are not supported"
    )]
    ShearedStack {
        /// The offending slice.
        file: String,
        /// Distance from the line through the first slice along the normal, mm.
        offset: f64,
    },
    /// A valid DICOM object using something radscore does not read.
    #[error("{file}: {what} is not supported")]
    Unsupported {
        /// The input's name.
        file: String,
        /// The unsupported feature.
        what: String,
    },
    /// The series holds several volumes (temporal positions, b-values…) and none was chosen.
    #[error("the series holds {} volumes; choose one by volume (0-based): {}", .stacks.len(), describe_stacks(.stacks))]
    VolumeRequired {
        /// Every volume, so the caller can choose.
        stacks: Vec<StackSummary>,
    },
    /// The requested volume index is not in the series.
    #[error("volume {volume} is out of range; the series holds {} volume(s): {}", .stacks.len(), describe_stacks(.stacks))]
    VolumeOutOfRange {
        /// The requested 0-based index.
        volume: usize,
        /// Every volume present.
        stacks: Vec<StackSummary>,
    },
    /// The pixel data could not be decoded.
    #[error("{file}: cannot decode pixel data ({transfer_syntax}): {message}")]
    Decode {
        /// The input's name.
        file: String,
        /// The file's transfer syntax UID.
        transfer_syntax: String,
        /// What the decoder reported.
        message: String,
    },
}

fn describe_series(series: &[SeriesSummary]) -> String {
    series
        .iter()
        .map(SeriesSummary::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn describe_stacks(stacks: &[StackSummary]) -> String {
    stacks
        .iter()
        .map(StackSummary::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
