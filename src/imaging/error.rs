use super::Geometry;
use super::dicom::DicomError;

/// Why a volume could not be read or used.
///
/// `file` is the name the caller knows the input by (a path on the command line, the multipart
/// part in the API), never a temporary path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImagingError {
    /// The file could not be opened or read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The input's name.
        file: String,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Neither a NIfTI nor an NRRD header was found.
    #[error("{file}: not a NIfTI-1 (.nii, .nii.gz) or NRRD (.nrrd) volume")]
    UnknownFormat {
        /// The input's name.
        file: String,
    },
    /// A block of voxels asked of [`read_image_region`](super::read_image_region) is not inside the image.
    #[error("{file}: region {region:?} lies outside the image's [z, y, x] size {size:?}")]
    RegionOutsideGrid {
        /// The input's name.
        file: String,
        /// The `[z, y, x]` index ranges asked for.
        region: [std::ops::Range<usize>; 3],
        /// The image's `[z, y, x]` size.
        size: [usize; 3],
    },
    /// The header is present but inconsistent or invalid.
    #[error("{file}: invalid header: {message}")]
    Malformed {
        /// The input's name.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The voxel data ends before the header says it should.
    #[error("{file}: truncated: the header promises {expected} bytes of voxel data but only {actual} are present")]
    Truncated {
        /// The input's name.
        file: String,
        /// Bytes the header requires.
        expected: u64,
        /// Bytes found.
        actual: u64,
    },
    /// A valid file using a feature radscore does not read.
    #[error("{file}: {what} is not supported")]
    Unsupported {
        /// The input's name.
        file: String,
        /// The unsupported feature.
        what: String,
    },
    /// A 4-D file holds several 3-D volumes and none was chosen.
    #[error("{file}: a 4-D file holding {volumes} volumes; choose one by volume (0-based, 0 to {})", .volumes - 1)]
    VolumeRequired {
        /// The input's name.
        file: String,
        /// Number of 3-D volumes in the file.
        volumes: usize,
    },
    /// The requested volume index is beyond the file's volumes.
    #[error("{file}: volume {volume} is out of range; the file holds {volumes} volume(s) (0 to {})", .volumes - 1)]
    VolumeOutOfRange {
        /// The input's name.
        file: String,
        /// The requested 0-based index.
        volume: usize,
        /// Number of 3-D volumes in the file.
        volumes: usize,
    },
    /// The volume holds a non-finite voxel (NaN or infinity).
    #[error("{file}: voxel at index (x={}, y={}, z={}) is {value}; volumes must hold finite numbers", .index[0], .index[1], .index[2])]
    NonFinite {
        /// The input's name.
        file: String,
        /// (x, y, z) index of the first offending voxel.
        index: [usize; 3],
        /// The value found.
        value: f64,
    },
    /// A mask holds a value that is not a whole number.
    #[error("{file}: mask voxel at index (x={}, y={}, z={}) is {value}; a mask must hold integer labels", .index[0], .index[1], .index[2])]
    NonIntegerLabel {
        /// The input's name.
        file: String,
        /// (x, y, z) index of the first offending voxel.
        index: [usize; 3],
        /// The value found.
        value: f64,
    },
    /// Image and mask do not share a voxel grid.
    #[error("mask grid does not match image grid ({detail}): image {image}, mask {mask}")]
    GeometryMismatch {
        /// Which property differs and by how much.
        detail: String,
        /// The image's geometry.
        image: Box<Geometry>,
        /// The mask's geometry.
        mask: Box<Geometry>,
    },
    /// A DICOM input (folder, zip or file) could not be read as one image series.
    #[error(transparent)]
    Dicom(Box<DicomError>),
    /// An ROI was named for a mask that has none (a NIfTI/NRRD label volume).
    #[error(
        "{file}: roi {roi:?} names a region of a DICOM SEG or RTSTRUCT, but this mask is a label volume; choose its region by label"
    )]
    RoiNotApplicable {
        /// The input's name.
        file: String,
        /// The ROI requested.
        roi: String,
    },
    /// The region lies partly outside the image, so the mask cannot be resampled onto the image
    /// grid (PyRadiomics `_checkROI`, 1e-3 voxel tolerance).
    #[error(
        "the region labelled {label} reaches outside the image: its bounding box spans image index {lower:?} to {upper:?}, but the image (size {size:?}) spans -0.5 to size - 0.5 along each axis"
    )]
    RegionOutsideImage {
        /// The label.
        label: i32,
        /// Lower corner of the region's bounding box, as a continuous image index (x, y, z).
        lower: [f64; 3],
        /// Upper corner, as a continuous image index (x, y, z).
        upper: [f64; 3],
        /// The image's size.
        size: [usize; 3],
    },
    /// The requested label does not occur in the mask.
    #[error("label {label} is not present in the mask; labels present: {}", describe_labels(.present))]
    LabelNotFound {
        /// The requested label.
        label: i32,
        /// Non-zero labels that do occur.
        present: Vec<i32>,
    },
}

impl From<DicomError> for ImagingError {
    fn from(e: DicomError) -> ImagingError {
        ImagingError::Dicom(Box::new(e))
    }
}

fn describe_labels(labels: &[i32]) -> String {
    if labels.is_empty() {
        "none (the mask is empty)".into()
    } else {
        labels.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
    }
}
