//! Stored pixel values of one image object: dicom-pixeldata decodes the transfer syntax, and the
//! samples are interpreted here (BitsAllocated, BitsStored, PixelRepresentation) so that signed
//! values narrower than their container are sign-extended, as pydicom and ITK do.

use dicom_dictionary_std::tags;
use dicom_object::DefaultDicomObject;
use dicom_pixeldata::PixelDecoder;

use super::header::{Rescale, numbers, text};
use super::{DicomError, jpeg, rle};
use crate::imaging::PixelType;

/// How stored samples are laid out after decoding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SampleLayout {
    pub bits_allocated: u16,
    pub bits_stored: u16,
    pub signed: bool,
}

fn layout(obj: &DefaultDicomObject, file: &str) -> Result<SampleLayout, DicomError> {
    let number = |tag, attribute| -> Result<u16, DicomError> {
        let [v] = numbers::<1>(obj, tag, attribute, file)?.ok_or_else(|| DicomError::MissingAttribute {
            file: file.into(),
            attribute,
        })?;
        u16::try_from(v as i64)
            .ok()
            .filter(|_| v.fract() == 0.0)
            .ok_or_else(|| DicomError::InvalidAttribute {
                file: file.into(),
                attribute,
                value: v.to_string(),
                reason: "not a 16-bit unsigned integer".into(),
            })
    };
    let samples = numbers::<1>(obj, tags::SAMPLES_PER_PIXEL, "SamplesPerPixel", file)?.map_or(1.0, |[v]| v);
    if samples != 1.0 {
        return Err(DicomError::Unsupported {
            file: file.into(),
            what: format!("SamplesPerPixel {samples} (colour images)"),
        });
    }
    let bits_allocated = number(tags::BITS_ALLOCATED, "BitsAllocated")?;
    let bits_stored = number(tags::BITS_STORED, "BitsStored")?;
    let signed = number(tags::PIXEL_REPRESENTATION, "PixelRepresentation")? == 1;
    if ![8, 16, 32].contains(&bits_allocated) {
        return Err(DicomError::Unsupported {
            file: file.into(),
            what: format!("BitsAllocated {bits_allocated}"),
        });
    }
    if bits_stored == 0 || bits_stored > bits_allocated {
        return Err(DicomError::InvalidAttribute {
            file: file.into(),
            attribute: "BitsStored",
            value: bits_stored.to_string(),
            reason: format!("must be between 1 and BitsAllocated ({bits_allocated})"),
        });
    }
    Ok(SampleLayout {
        bits_allocated,
        bits_stored,
        signed,
    })
}

/// One decoded sample as the stored integer value.
fn stored_value(bytes: &[u8], layout: SampleLayout) -> f64 {
    let raw = bytes.iter().rev().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    if layout.signed {
        let bits = u32::from(layout.bits_stored);
        let masked = raw & ((1u64 << bits) - 1);
        let value = if masked & (1u64 << (bits - 1)) != 0 {
            masked as i64 - (1i64 << bits)
        } else {
            masked as i64
        };
        value as f64
    } else {
        raw as f64
    }
}

/// The pixel type SimpleITK (GDCM) gives a slice: its stored integer type, or float64 once a
/// non-identity rescale applies (as `roundtrip.json` records for brain1_rescaled).
pub(crate) fn pixel_type(obj: &DefaultDicomObject, rescale: Rescale, file: &str) -> Result<PixelType, DicomError> {
    if rescale.slope != 1.0 || rescale.intercept != 0.0 {
        return Ok(PixelType::F64);
    }
    let layout = layout(obj, file)?;
    Ok(match (layout.bits_allocated, layout.signed) {
        (8, true) => PixelType::I8,
        (8, false) => PixelType::U8,
        (16, true) => PixelType::I16,
        (16, false) => PixelType::U16,
        (_, true) => PixelType::I32,
        (_, false) => PixelType::U32,
    })
}

/// Stored values of every frame, one after another, from the decoder's little-endian samples.
pub(crate) fn stored_values(obj: &DefaultDicomObject, file: &str) -> Result<Vec<f64>, DicomError> {
    if obj.get(tags::PIXEL_DATA).is_none() {
        return Err(DicomError::MissingPixelData { file: file.into() });
    }
    let layout = layout(obj, file)?;
    let transfer_syntax = obj.meta().transfer_syntax().trim_end_matches('\0').to_owned();
    let decode_error = |message: String| DicomError::Decode {
        file: file.into(),
        transfer_syntax: transfer_syntax.clone(),
        message,
    };
    let bytes = if transfer_syntax == RLE_LOSSLESS && layout.bits_allocated == 32 {
        rle_32_bit(obj, file).map_err(decode_error)?
    } else if [JPEG_BASELINE, JPEG_EXTENDED].contains(&transfer_syntax.as_str()) {
        sequential_dct_jpeg(obj, layout, file).map_err(decode_error)?
    } else {
        let decoded = obj.decode_pixel_data().map_err(|e| decode_error(e.to_string()))?;
        let mut bytes = decoded.data().to_vec();
        if transfer_syntax == EXPLICIT_VR_BIG_ENDIAN && layout.bits_allocated == 32 {
            // Big-endian OW pixel data arrives as byte-swapped 16-bit words, high word first;
            // a 32-bit sample needs its two words exchanged to read little endian.
            for sample in bytes.chunks_exact_mut(4) {
                sample.rotate_left(2);
            }
        }
        bytes
    };
    let width = usize::from(layout.bits_allocated / 8);
    Ok(bytes
        .chunks_exact(width)
        .map(|sample| stored_value(sample, layout))
        .collect())
}

const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";
const EXPLICIT_VR_BIG_ENDIAN: &str = "1.2.840.10008.1.2.2";
const JPEG_BASELINE: &str = "1.2.840.10008.1.2.4.50";
const JPEG_EXTENDED: &str = "1.2.840.10008.1.2.4.51";

/// The fragments of encapsulated pixel data grouped by frame: one fragment per frame, all of them
/// for a single frame, or as the Basic Offset Table groups them (PS3.5 A.4).
fn frame_fragments(obj: &DefaultDicomObject, frames: usize) -> Result<Vec<Vec<u8>>, String> {
    let value = obj.get(tags::PIXEL_DATA).map(|e| e.value()).ok_or("no pixel data")?;
    let fragments = value.fragments().ok_or("pixel data is not encapsulated")?;
    if fragments.len() == frames {
        return Ok(fragments.iter().map(|f| f.to_vec()).collect());
    }
    if frames == 1 {
        return Ok(vec![fragments.concat()]);
    }
    let offsets = value.offset_table().unwrap_or_default();
    if offsets.len() != frames {
        return Err(format!(
            "{} fragments for {frames} frames and a Basic Offset Table of {} entries",
            fragments.len(),
            offsets.len()
        ));
    }
    // Offsets count bytes from the first fragment's item tag; each item adds an 8-byte header.
    let mut grouped = vec![Vec::new(); frames];
    let mut position = 0u64;
    for fragment in fragments {
        let frame = offsets.iter().rposition(|&o| u64::from(o) <= position).unwrap_or(0);
        grouped[frame].extend_from_slice(fragment);
        position += fragment.len() as u64 + 8;
    }
    Ok(grouped)
}

/// Every frame of a JPEG Baseline or Extended image, decoded by radscore's own sequential DCT
/// decoder (libjpeg's IDCT, 8- and 12-bit), as little-endian sample bytes.
fn sequential_dct_jpeg(obj: &DefaultDicomObject, layout: SampleLayout, file: &str) -> Result<Vec<u8>, String> {
    let count = |tag, attribute| required_count(obj, tag, attribute, file).map_err(|e| e.to_string());
    let (rows, columns) = (count(tags::ROWS, "Rows")?, count(tags::COLUMNS, "Columns")?);
    let frames = count(tags::NUMBER_OF_FRAMES, "NumberOfFrames").unwrap_or(1);
    let width = usize::from(layout.bits_allocated / 8);
    // Grows frame by frame: header counts alone never size an allocation.
    let mut bytes = Vec::new();
    for (frame, data) in frame_fragments(obj, frames)?.iter().enumerate() {
        let decoded = jpeg::decode_frame(data, rows, columns).map_err(|e| format!("frame {}: {e}", frame + 1))?;
        if u16::from(decoded.precision) > layout.bits_allocated {
            return Err(format!(
                "frame {}: {}-bit JPEG samples do not fit BitsAllocated {}",
                frame + 1,
                decoded.precision,
                layout.bits_allocated
            ));
        }
        for sample in decoded.samples {
            bytes.extend_from_slice(&u32::from(sample).to_le_bytes()[..width]);
        }
    }
    Ok(bytes)
}

/// Every frame of a 32-bit RLE image (one fragment per frame), as little-endian sample bytes.
fn rle_32_bit(obj: &DefaultDicomObject, file: &str) -> Result<Vec<u8>, String> {
    let count = |tag, attribute| required_count(obj, tag, attribute, file).map_err(|e| e.to_string());
    let samples = count(tags::ROWS, "Rows")? * count(tags::COLUMNS, "Columns")?;
    let fragments = obj
        .get(tags::PIXEL_DATA)
        .and_then(|e| e.value().fragments())
        .ok_or("RLE pixel data is not encapsulated")?;
    let mut bytes = Vec::with_capacity(fragments.len() * samples * 4);
    for (frame, fragment) in fragments.iter().enumerate() {
        let decoded = rle::decode_frame(fragment, samples, 4).map_err(|e| format!("frame {}: {e}", frame + 1))?;
        bytes.extend(decoded);
    }
    Ok(bytes)
}

/// A required count attribute (Rows, Columns, NumberOfFrames, …).
fn required_count(
    obj: &DefaultDicomObject,
    tag: dicom_core::Tag,
    attribute: &'static str,
    file: &str,
) -> Result<usize, DicomError> {
    numbers::<1>(obj, tag, attribute, file)?
        .map(|[v]| v as usize)
        .ok_or_else(|| DicomError::MissingAttribute {
            file: file.into(),
            attribute,
        })
}

/// Modality LUT: stored value × RescaleSlope + RescaleIntercept.
pub(crate) fn rescaled(values: &[f64], rescale: Rescale) -> impl Iterator<Item = f64> + '_ {
    let identity = rescale.slope == 1.0 && rescale.intercept == 0.0;
    values.iter().map(move |&v| {
        if identity {
            v
        } else {
            v * rescale.slope + rescale.intercept
        }
    })
}

/// Whether the object declares a photometric interpretation radscore treats as grey levels.
pub(crate) fn check_monochrome(obj: &DefaultDicomObject, file: &str) -> Result<(), DicomError> {
    match text(obj, tags::PHOTOMETRIC_INTERPRETATION).as_deref() {
        None | Some("MONOCHROME1" | "MONOCHROME2") => Ok(()),
        Some(other) => Err(DicomError::Unsupported {
            file: file.into(),
            what: format!("PhotometricInterpretation {other}"),
        }),
    }
}

/// Every frame's stored values (before rescale) of one greyscale image file.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFrames {
    /// Number of frames.
    pub frames: usize,
    /// Rows per frame.
    pub rows: usize,
    /// Columns per frame.
    pub columns: usize,
    /// Values in frame, row, column order.
    pub values: Vec<f64>,
}

/// Decodes every frame of one greyscale DICOM file to its stored values, whatever its transfer
/// syntax. `name` is how errors refer to the file.
pub fn read_stored_frames(path: &std::path::Path, name: &str) -> Result<StoredFrames, DicomError> {
    let obj = dicom_object::open_file(path).map_err(|e| DicomError::Unreadable {
        file: name.into(),
        message: e.to_string(),
    })?;
    check_monochrome(&obj, name)?;
    let count = |tag, attribute| required_count(&obj, tag, attribute, name);
    let rows = count(tags::ROWS, "Rows")?;
    let columns = count(tags::COLUMNS, "Columns")?;
    let frames = numbers::<1>(&obj, tags::NUMBER_OF_FRAMES, "NumberOfFrames", name)?.map_or(1, |[v]| v as usize);
    let mut values = stored_values(&obj, name)?;
    let expected = frames * rows * columns;
    if values.len() < expected {
        return Err(DicomError::Unreadable {
            file: name.into(),
            message: format!(
                "pixel data holds {} samples, {frames} frame(s) of {rows} × {columns} need {expected}",
                values.len()
            ),
        });
    }
    // Pixel data may carry a padding byte or excess padding after the last frame.
    values.truncate(expected);
    Ok(StoredFrames {
        frames,
        rows,
        columns,
        values,
    })
}
