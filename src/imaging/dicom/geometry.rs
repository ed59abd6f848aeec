//! Stacking slices into a grid the way ITK's GDCM series reader does: order by position along the
//! slice normal (ImageOrientationPatient row × column), origin at the first slice, slice spacing
//! from ImagePositionPatient (never SliceThickness).

use super::DicomError;
use super::header::SliceHeader;
use crate::imaging::Geometry;

/// Allowed deviation of a slice gap from the median gap, as a fraction of that gap. Scanners write
/// positions rounded to about 1e-3 mm; 1 % of a slice gap tolerates that and still catches a
/// missing slice or an interleaved second stack.
const GAP_TOLERANCE: f64 = 0.01;
/// Orientation cosines written to six decimals agree to this.
pub(crate) const ORIENTATION_TOLERANCE: f64 = 1e-4;

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn format_values(values: &[f64]) -> String {
    format!("{values:?}")
}

/// Checks that every slice shares `first`'s value of one attribute.
fn check_shared<T: PartialEq + std::fmt::Debug>(
    slices: &[SliceHeader],
    attribute: &'static str,
    value: impl Fn(&SliceHeader) -> T,
    same: impl Fn(&T, &T) -> bool,
) -> Result<(), DicomError> {
    let first = value(&slices[0]);
    match slices.iter().find(|s| !same(&value(s), &first)) {
        None => Ok(()),
        Some(other) => Err(DicomError::InconsistentSlices {
            attribute,
            first_file: slices[0].name.clone(),
            first: format!("{first:?}"),
            other_file: other.name.clone(),
            other: format!("{:?}", value(other)),
        }),
    }
}

fn required<T: Copy>(slice: &SliceHeader, value: Option<T>, attribute: &'static str) -> Result<T, DicomError> {
    value.ok_or_else(|| DicomError::MissingAttribute {
        file: slice.name.clone(),
        attribute,
    })
}

/// Unit row and column direction cosines, checked to be orthonormal.
fn orientation_axes(slice: &SliceHeader) -> Result<([f64; 3], [f64; 3]), DicomError> {
    let iop = required(slice, slice.orientation, "ImageOrientationPatient")?;
    let row = [iop[0], iop[1], iop[2]];
    let column = [iop[3], iop[4], iop[5]];
    let unit = |v: [f64; 3]| (dot(v, v).sqrt() - 1.0).abs() <= ORIENTATION_TOLERANCE;
    if !unit(row) || !unit(column) || dot(row, column).abs() > ORIENTATION_TOLERANCE {
        return Err(DicomError::InvalidAttribute {
            file: slice.name.clone(),
            attribute: "ImageOrientationPatient",
            value: format_values(&iop),
            reason: "row and column cosines must be orthogonal unit vectors".into(),
        });
    }
    Ok((row, column))
}

/// Sorts `slices` along the slice normal and returns the grid they form.
///
/// All slices must share orientation, size and pixel spacing, sit on one line along the normal
/// and be evenly spaced (within [`GAP_TOLERANCE`]).
pub(crate) fn stack_slices(slices: &mut [SliceHeader]) -> Result<Geometry, DicomError> {
    let (row, column) = orientation_axes(&slices[0])?;
    let spacing_yx = required(&slices[0], slices[0].pixel_spacing, "PixelSpacing")?;
    if spacing_yx.iter().any(|&s| s <= 0.0) {
        return Err(DicomError::InvalidAttribute {
            file: slices[0].name.clone(),
            attribute: "PixelSpacing",
            value: format_values(&spacing_yx),
            reason: "spacing must be positive".into(),
        });
    }
    for slice in slices.iter() {
        required(slice, slice.orientation, "ImageOrientationPatient")?;
        required(slice, slice.position, "ImagePositionPatient")?;
        required(slice, slice.pixel_spacing, "PixelSpacing")?;
    }
    let close = |tolerance: f64| {
        move |a: &Option<Vec<f64>>, b: &Option<Vec<f64>>| match (a, b) {
            (Some(a), Some(b)) => a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tolerance),
            _ => false,
        }
    };
    check_shared(
        slices,
        "ImageOrientationPatient",
        |s| s.orientation.map(|v| v.to_vec()),
        close(ORIENTATION_TOLERANCE),
    )?;
    check_shared(slices, "Rows and Columns", |s| (s.rows, s.columns), |a, b| a == b)?;
    check_shared(
        slices,
        "PixelSpacing",
        |s| s.pixel_spacing.map(|v| v.to_vec()),
        close(1e-6),
    )?;

    let normal = cross(row, column);
    let along = |s: &SliceHeader| dot(s.position.unwrap_or_default(), normal);
    slices.sort_by(|a, b| along(a).total_cmp(&along(b)));
    let first_position = slices[0].position.unwrap_or_default();
    let min_pixel = spacing_yx[0].min(spacing_yx[1]);
    for slice in slices.iter() {
        let p = slice.position.unwrap_or_default();
        let d = [
            p[0] - first_position[0],
            p[1] - first_position[1],
            p[2] - first_position[2],
        ];
        let t = dot(d, normal);
        let sideways = [d[0] - t * normal[0], d[1] - t * normal[1], d[2] - t * normal[2]];
        let offset = dot(sideways, sideways).sqrt();
        if offset > GAP_TOLERANCE * min_pixel {
            return Err(DicomError::ShearedStack {
                file: slice.name.clone(),
                offset,
            });
        }
    }
    let slice_spacing = uniform_slice_spacing(slices, along)?;
    let size = [slices[0].columns, slices[0].rows, slices.len()];
    let mut direction = [0.0; 9];
    for r in 0..3 {
        direction[r * 3] = row[r];
        direction[r * 3 + 1] = column[r];
        direction[r * 3 + 2] = normal[r];
    }
    Ok(Geometry {
        size,
        spacing: [spacing_yx[1], spacing_yx[0], slice_spacing],
        origin: first_position,
        direction,
    })
}

/// The slice spacing of sorted slices, as ITK computes it (first-to-last distance over n − 1),
/// after checking each consecutive gap against the median gap.
fn uniform_slice_spacing(slices: &[SliceHeader], along: impl Fn(&SliceHeader) -> f64) -> Result<f64, DicomError> {
    if slices.len() < 2 {
        // One slice has no slice spacing: an enhanced frame's SpacingBetweenSlices when given,
        // else 1 mm as ITK reports.
        return Ok(slices[0].slice_spacing.unwrap_or(1.0));
    }
    let gaps: Vec<f64> = slices.windows(2).map(|w| along(&w[1]) - along(&w[0])).collect();
    let mut sorted = gaps.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    for (i, &gap) in gaps.iter().enumerate() {
        let (before, after) = (&slices[i].name, &slices[i + 1].name);
        if gap <= GAP_TOLERANCE * median.max(f64::MIN_POSITIVE) {
            return Err(DicomError::DuplicateSlice {
                first_file: before.clone(),
                other_file: after.clone(),
                position: along(&slices[i]),
            });
        }
        let tolerance = GAP_TOLERANCE * median;
        if (gap - median).abs() <= tolerance {
            continue;
        }
        let multiple = (gap / median).round();
        if multiple >= 2.0 && (gap - multiple * median).abs() <= tolerance * multiple {
            return Err(DicomError::MissingSlice {
                before: before.clone(),
                after: after.clone(),
                gap,
                spacing: median,
            });
        }
        return Err(DicomError::NonUniformSpacing {
            before: before.clone(),
            after: after.clone(),
            gap,
            spacing: median,
            tolerance,
        });
    }
    Ok((along(&slices[slices.len() - 1]) - along(&slices[0])) / (slices.len() - 1) as f64)
}
