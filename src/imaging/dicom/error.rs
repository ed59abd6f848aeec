use super::{MaskRegion, SeriesSummary, StackSummary};
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
    /// A DICOM file given as a mask is neither a SEG nor an RTSTRUCT.
    #[error("{file}: not a DICOM SEG or RTSTRUCT mask (SOPClassUID {sop_class}, Modality {modality})")]
    NotAMask {
        /// The input's name.
        file: String,
        /// The file's SOPClassUID.
        sop_class: String,
        /// The file's Modality.
        modality: String,
    },
    /// The requested segment number is not in the SEG.
    #[error("{file}: segment {segment} is not in the SEG; segments present (number \"label\"): {}", describe_regions(.present))]
    SegmentNotFound {
        /// The input's name.
        file: String,
        /// The requested segment: the `roi` (SegmentLabel or number) or else the `label` setting.
        segment: String,
        /// Every segment, number and label.
        present: Vec<MaskRegion>,
    },
    /// The requested ROI is not in the RTSTRUCT.
    #[error("{file}: ROI {roi:?} is not in the RTSTRUCT; ROIs present (number \"name\"): {}", describe_regions(.present))]
    RoiNotFound {
        /// The input's name.
        file: String,
        /// The requested ROI name or number.
        roi: String,
        /// Every ROI, number and name.
        present: Vec<MaskRegion>,
    },
    /// The RTSTRUCT holds several ROIs and none was chosen.
    #[error("{file}: the RTSTRUCT holds {} ROIs; choose one by roi (name or number): {}", .present.len(), describe_regions(.present))]
    RoiNotChosen {
        /// The input's name.
        file: String,
        /// Every ROI, number and name.
        present: Vec<MaskRegion>,
    },
    /// The chosen ROI or segment has no closed contour or frame to fill.
    #[error("{file}: {region} holds no closed contour or frame")]
    EmptyRegion {
        /// The input's name.
        file: String,
        /// The ROI or segment, as `ROI 2 "ring"`.
        region: String,
    },
    /// The mask's frame of reference is not the image's, so its positions mean nothing on it.
    #[error("{file}: the mask's FrameOfReferenceUID {mask} is not the image's {image}")]
    OtherFrameOfReference {
        /// The input's name.
        file: String,
        /// The mask's FrameOfReferenceUID.
        mask: String,
        /// The image's FrameOfReferenceUID.
        image: String,
    },
    /// The mask was drawn on another series.
    #[error("{file}: the mask references series {}, not the image series {image}", .referenced.join(", "))]
    OtherSeries {
        /// The input's name.
        file: String,
        /// SeriesInstanceUIDs the mask references.
        referenced: Vec<String>,
        /// The image's SeriesInstanceUID.
        image: String,
    },
    /// The mask's planes are not the image's (orientation or pixel spacing differ).
    #[error("{file}: {attribute} {found} does not match the image grid ({expected})")]
    MaskGridMismatch {
        /// The input's name.
        file: String,
        /// The DICOM keyword.
        attribute: &'static str,
        /// The mask's value.
        found: String,
        /// The image's value.
        expected: String,
    },
    /// A SEG frame's position is not a voxel position of the image.
    #[error(
        "{file}: frame {frame} at ImagePositionPatient ({:.6}, {:.6}, {:.6}) is not on the image grid: {distance:.6} mm from the nearest voxel centre (tolerance {tolerance:.6} mm)",
        .position[0], .position[1], .position[2]
    )]
    FrameOffGrid {
        /// The input's name.
        file: String,
        /// Frame number (1-based, as in the file).
        frame: usize,
        /// The frame's ImagePositionPatient, mm.
        position: [f64; 3],
        /// Distance to the nearest voxel centre, mm.
        distance: f64,
        /// Allowed distance, mm.
        tolerance: f64,
    },
    /// A SEG frame, or part of it, lies outside the image.
    #[error(
        "{file}: frame {frame} at ImagePositionPatient ({:.6}, {:.6}, {:.6}) covers voxels outside the image (first voxel at index x={}, y={}, z={}; image size {:?})",
        .position[0], .position[1], .position[2], .index[0], .index[1], .index[2], .size
    )]
    FrameOutsideImage {
        /// The input's name.
        file: String,
        /// Frame number (1-based).
        frame: usize,
        /// The frame's ImagePositionPatient, mm.
        position: [f64; 3],
        /// Voxel index of the frame's first pixel.
        index: [i64; 3],
        /// The image's size (x, y, z).
        size: [usize; 3],
    },
    /// An RTSTRUCT contour does not lie in one slice plane of the image.
    #[error(
        "{file}: contour {contour} of {region} is not on a slice plane of the image: point ({:.6}, {:.6}, {:.6}) is {distance:.6} mm from slice {slice} (tolerance {tolerance:.6} mm)",
        .point[0], .point[1], .point[2]
    )]
    ContourOffPlane {
        /// The input's name.
        file: String,
        /// The ROI, as `ROI 3 "off-plane"`.
        region: String,
        /// Contour number within the ROI (1-based, in file order).
        contour: usize,
        /// The offending point, mm.
        point: [f64; 3],
        /// The slice index whose plane is nearest to the contour's first point.
        slice: i64,
        /// Distance from that slice plane, mm.
        distance: f64,
        /// Allowed distance, mm.
        tolerance: f64,
    },
    /// An RTSTRUCT contour lies in a plane beyond the image's first or last slice.
    #[error("{file}: contour {contour} of {region} lies on slice {slice}, outside the image's {slices} slices")]
    ContourOutsideImage {
        /// The input's name.
        file: String,
        /// The ROI, as `ROI 3 "off-plane"`.
        region: String,
        /// Contour number within the ROI (1-based).
        contour: usize,
        /// The slice index of its plane.
        slice: i64,
        /// Number of slices in the image.
        slices: usize,
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

fn describe_regions(regions: &[MaskRegion]) -> String {
    if regions.is_empty() {
        return "none".into();
    }
    regions.iter().map(MaskRegion::to_string).collect::<Vec<_>>().join(", ")
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
