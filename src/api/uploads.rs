//! From saved upload parts to volumes: the image (a NIfTI/NRRD volume, one DICOM file, several
//! DICOM parts, or one zip of a DICOM export) and the mask.
//!
//! Everything happens inside the request's temporary folder, zip extraction included, and errors
//! name files relative to it (`image`, `image/3`, `image/export/IM_0007.dcm`), never by their
//! temporary path.

use std::path::{Path, PathBuf};

use super::Error;
use super::error::imaging_error;
use crate::imaging::archive::{ZipLimits, extract_zip, is_zip};
use crate::imaging::dicom::{SeriesSelection, is_dicom_file};
use crate::imaging::{CaseRegion, MaskPart, MaskSelection, OpenedImage, OpenedMask, open_image, open_mask};

/// How the caller chose within the image input.
#[derive(Debug, Default)]
pub(super) struct ImageChoice {
    /// SeriesInstanceUID of a multi-series DICOM input.
    pub series_uid: Option<String>,
    /// Volume (frame) index of a 4-D input.
    pub volume: Option<usize>,
}

/// Lays the saved image `parts` out as one input below `dir` and returns its path: one part becomes
/// the file `dir/image`, or, when it is a zip, the folder `dir/image` it is extracted into within
/// `limits`; several parts (each a DICOM file) become `dir/image/0`, `dir/image/1`, …
pub(super) fn lay_out_image(dir: &Path, parts: &[PathBuf], limits: &ZipLimits) -> Result<PathBuf, Error> {
    let io = |e: std::io::Error| Error::Internal(format!("failed to arrange the uploaded image: {e}"));
    let input = dir.join("image");
    match parts {
        [single] if is_zip(single).map_err(io)? => {
            std::fs::create_dir(&input).map_err(io)?;
            extract_zip(single, "image", &input, limits)?;
        }
        [single] => std::fs::rename(single, &input).map_err(io)?,
        several => {
            std::fs::create_dir(&input).map_err(io)?;
            for (index, part) in several.iter().enumerate() {
                if !is_dicom_file(part).map_err(io)? {
                    return Err(Error::field(
                        "image",
                        format!(
                            "part {} of {} is not a DICOM file; send a NIfTI/NRRD volume or a zip as a single image part",
                            index + 1,
                            several.len()
                        ),
                    ));
                }
                std::fs::rename(part, input.join(index.to_string())).map_err(io)?;
            }
        }
    }
    Ok(input)
}

/// Opens the laid-out image input, headers only: its grid and, for DICOM, the series' identity.
pub(super) fn open_uploaded_image(
    input: &Path,
    choice: &ImageChoice,
    limits: &ZipLimits,
) -> Result<OpenedImage, Error> {
    let select = SeriesSelection {
        series_uid: choice.series_uid.clone(),
        volume: choice.volume,
    };
    open_image(input, &select, limits).map_err(|e| imaging_error("image", e))
}

/// Opens the mask part for the image: a NIfTI/NRRD label volume (streamed for where the label lies,
/// its voxels read once the region is known), a DICOM SEG (segment `roi`, or number `label`) or an
/// RTSTRUCT (ROI `roi`, rasterised on the image grid).
pub(super) fn open_uploaded_mask(
    path: &Path,
    image: &OpenedImage,
    select: &MaskSelection,
) -> Result<OpenedMask, Error> {
    open_mask(image, path, "mask", select).map_err(|e| imaging_error(mask_field(path, select), e))
}

/// The voxels of the mask part that `region` uses.
pub(super) fn read_uploaded_mask(
    path: &Path,
    mask: OpenedMask,
    select: &MaskSelection,
    region: Option<&CaseRegion>,
) -> Result<MaskPart, Error> {
    mask.read(region)
        .map_err(|e| imaging_error(mask_field(path, select), e))
}

/// The request field a mask error is about: `roi` when one was given for a mask that cannot have it.
fn mask_field(path: &Path, select: &MaskSelection) -> &'static str {
    if select.roi.is_some() && !is_dicom_file(path).unwrap_or(false) {
        "roi"
    } else {
        "mask"
    }
}

/// Rewrites the messages of `error` to name files relative to the request folder `dir`.
pub(super) fn relative_to(error: Error, dir: &Path) -> Error {
    let prefix = format!("{}/", dir.display());
    let strip = |errors: Vec<crate::model::FieldError>| {
        errors
            .into_iter()
            .map(|mut e| {
                e.message = e.message.replace(&prefix, "");
                e
            })
            .collect()
    };
    match error {
        Error::Validation(errors) => Error::Validation(strip(errors)),
        Error::Choice {
            errors,
            member,
            choices,
        } => Error::Choice {
            errors: strip(errors),
            member,
            choices,
        },
        other => other,
    }
}
