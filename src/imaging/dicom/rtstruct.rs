//! RT Structure Set (RTSTRUCT) masks: the closed planar contours of one ROI (PS3.3 C.8.8.6, ROI
//! Contour Module) rasterised slice by slice onto the image grid with the even-odd rule, as
//! plastimatch does: a voxel is in the mask when its centre is inside an odd number of the ROI's
//! contours on its slice, so a contour drawn inside another is a hole.

use std::collections::BTreeMap;

use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject};
use ndarray::Array3;

use super::header::{items, number_list, numbers, text};
use super::placement::{GridMap, check_references};
use super::{DicomError, MaskRegion, SeriesIdentity, find_region};
use crate::imaging::{Geometry, MaskSelection, PixelType, Volume};

/// Contour types that enclose an area (CLOSEDPLANAR_XOR states the even-odd rule explicitly);
/// points and open polylines enclose none and are skipped.
const CLOSED_TYPES: [&str; 2] = ["CLOSED_PLANAR", "CLOSEDPLANAR_XOR"];

/// One ROI of the structure set.
struct Roi {
    region: MaskRegion,
    frame_of_reference: Option<String>,
}

/// The voxels of the chosen ROI on `image`'s grid, set to `select.label`; 0 elsewhere. `select.roi`
/// names the ROI by ROIName or ROINumber; it may be omitted when the structure set holds one ROI.
pub(crate) fn rtstruct_mask(
    obj: &DefaultDicomObject,
    file: &str,
    image: &Geometry,
    series: Option<&SeriesIdentity>,
    select: &MaskSelection,
) -> Result<Volume<i32>, DicomError> {
    let rois = structure_set_rois(obj, file)?;
    let chosen = choose_roi(&rois, select.roi.as_deref(), file)?;
    check_references(
        file,
        series,
        chosen.frame_of_reference.as_deref(),
        &referenced_series(obj),
    )?;
    let region = format!("ROI {}", chosen.region);
    let contours = items(obj, tags::ROI_CONTOUR_SEQUENCE)
        .iter()
        .filter(|item| {
            numbers::<1>(item, tags::REFERENCED_ROI_NUMBER, "ReferencedROINumber", file)
                .ok()
                .flatten()
                .is_some_and(|[n]| n as i64 == chosen.region.number)
        })
        .flat_map(|item| items(item, tags::CONTOUR_SEQUENCE))
        .filter(|contour| {
            text(contour, tags::CONTOUR_GEOMETRIC_TYPE).is_some_and(|t| CLOSED_TYPES.contains(&t.as_str()))
        });
    let grid = GridMap::new(image);
    let mut slices: BTreeMap<usize, Vec<Vec<[f64; 2]>>> = BTreeMap::new();
    for (index, contour) in contours.enumerate() {
        let (slice, polygon) = contour_on_slice(&grid, contour, file, &region, index + 1)?;
        slices.entry(slice).or_default().push(polygon);
    }
    if slices.is_empty() {
        return Err(DicomError::EmptyRegion {
            file: file.into(),
            region,
        });
    }
    let [nx, ny, nz] = image.size;
    let mut voxels = Array3::<i32>::zeros((nz, ny, nx));
    for (z, polygons) in &slices {
        fill_even_odd(polygons, nx, ny, |x, y| voxels[[*z, y, x]] = select.label);
    }
    Ok(Volume {
        geometry: image.clone(),
        voxels,
        pixel_type: PixelType::I32,
    })
}

fn structure_set_rois(obj: &InMemDicomObject, file: &str) -> Result<Vec<Roi>, DicomError> {
    items(obj, tags::STRUCTURE_SET_ROI_SEQUENCE)
        .iter()
        .map(|item| {
            let [number] = numbers::<1>(item, tags::ROI_NUMBER, "ROINumber", file)?.ok_or_else(|| {
                DicomError::MissingAttribute {
                    file: file.into(),
                    attribute: "ROINumber",
                }
            })?;
            Ok(Roi {
                region: MaskRegion {
                    number: number as i64,
                    name: text(item, tags::ROI_NAME).unwrap_or_default(),
                },
                frame_of_reference: text(item, tags::REFERENCED_FRAME_OF_REFERENCE_UID),
            })
        })
        .collect()
}

/// The ROI named `roi` (ROIName first, then ROINumber), or the only ROI when none is named.
fn choose_roi<'r>(rois: &'r [Roi], roi: Option<&str>, file: &str) -> Result<&'r Roi, DicomError> {
    let present: Vec<MaskRegion> = rois.iter().map(|r| r.region.clone()).collect();
    match roi {
        Some(wanted) => find_region(&present, wanted)
            .and_then(|found| rois.iter().find(|r| r.region == *found))
            .ok_or_else(|| DicomError::RoiNotFound {
                file: file.into(),
                roi: wanted.into(),
                present,
            }),
        None => match rois {
            [only] => Ok(only),
            _ => Err(DicomError::RoiNotChosen {
                file: file.into(),
                present,
            }),
        },
    }
}

/// SeriesInstanceUIDs the structure set says its contours were drawn on.
fn referenced_series(obj: &InMemDicomObject) -> Vec<String> {
    items(obj, tags::REFERENCED_FRAME_OF_REFERENCE_SEQUENCE)
        .iter()
        .flat_map(|frame| items(frame, tags::RT_REFERENCED_STUDY_SEQUENCE))
        .flat_map(|study| items(study, tags::RT_REFERENCED_SERIES_SEQUENCE))
        .filter_map(|series| text(series, tags::SERIES_INSTANCE_UID))
        .collect()
}

/// The slice a contour lies on and its vertices as continuous (x, y) voxel indices, after checking
/// that every vertex lies in that slice's plane.
fn contour_on_slice(
    grid: &GridMap,
    contour: &InMemDicomObject,
    file: &str,
    region: &str,
    number: usize,
) -> Result<(usize, Vec<[f64; 2]>), DicomError> {
    let data = number_list(contour, tags::CONTOUR_DATA, "ContourData", file)?.unwrap_or_default();
    if data.len() % 3 != 0 || data.len() < 9 {
        return Err(DicomError::InvalidAttribute {
            file: file.into(),
            attribute: "ContourData",
            value: format!("{} number(s) in contour {number} of {region}", data.len()),
            reason: "a closed contour needs at least three (x, y, z) points".into(),
        });
    }
    let points: Vec<[f64; 3]> = data.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
    let indices: Vec<[f64; 3]> = points.iter().map(|&p| grid.continuous_index(p)).collect();
    let slice = indices[0][2].round();
    for (point, index) in points.iter().zip(&indices) {
        let distance = grid.length_mm([0.0, 0.0, index[2] - slice]);
        if distance > grid.tolerance_mm() {
            return Err(DicomError::ContourOffPlane {
                file: file.into(),
                region: region.into(),
                contour: number,
                point: *point,
                slice: slice as i64,
                distance,
                tolerance: grid.tolerance_mm(),
            });
        }
    }
    let slices = grid.geometry.size[2];
    if slice < 0.0 || slice >= slices as f64 {
        return Err(DicomError::ContourOutsideImage {
            file: file.into(),
            region: region.into(),
            contour: number,
            slice: slice as i64,
            slices,
        });
    }
    Ok((slice as usize, indices.iter().map(|i| [i[0], i[1]]).collect()))
}

/// Calls `set(x, y)` for every voxel centre of an `nx` × `ny` slice that is inside `polygons` under
/// the even-odd rule: a ray from the centre towards +x crosses their edges an odd number of times
/// (the crossing test of W. R. Franklin's PNPOLY, an edge counting when it straddles the row).
fn fill_even_odd(polygons: &[Vec<[f64; 2]>], nx: usize, ny: usize, mut set: impl FnMut(usize, usize)) {
    let mut crossings = Vec::new();
    for y in 0..ny {
        let row = y as f64;
        crossings.clear();
        for polygon in polygons {
            for (i, a) in polygon.iter().enumerate() {
                let b = polygon[(i + 1) % polygon.len()];
                if (a[1] > row) != (b[1] > row) {
                    crossings.push(a[0] + (row - a[1]) * (b[0] - a[0]) / (b[1] - a[1]));
                }
            }
        }
        crossings.sort_by(f64::total_cmp);
        // A centre x has an odd number of crossings beyond it exactly when it lies in
        // [crossings[2i], crossings[2i + 1]) for some i.
        for span in crossings.chunks_exact(2) {
            let start = span[0].ceil().max(0.0);
            let end = span[1].ceil().min(nx as f64);
            for x in (start as usize)..(end.max(start) as usize) {
                set(x, y);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fill_even_odd;

    fn filled(polygons: &[Vec<[f64; 2]>], nx: usize, ny: usize) -> Vec<(usize, usize)> {
        let mut inside = Vec::new();
        fill_even_odd(polygons, nx, ny, |x, y| inside.push((x, y)));
        inside
    }

    #[test]
    fn a_square_around_voxel_centres_fills_exactly_those_centres() {
        let square = vec![[0.5, 0.5], [2.5, 0.5], [2.5, 1.5], [0.5, 1.5]];
        assert_eq!(filled(&[square], 4, 3), [(1, 1), (2, 1)]);
    }

    #[test]
    fn a_contour_inside_another_is_a_hole_and_overlaps_cancel() {
        let outer = vec![[-0.5, -0.5], [4.5, -0.5], [4.5, 4.5], [-0.5, 4.5]];
        let hole = vec![[1.5, 1.5], [2.5, 1.5], [2.5, 2.5], [1.5, 2.5]];
        let inside = filled(&[outer, hole], 5, 5);
        assert_eq!(inside.len(), 24);
        assert!(!inside.contains(&(2, 2)));
    }

    #[test]
    fn polygons_reaching_beyond_the_slice_are_clipped_to_it() {
        let wide = vec![[-10.0, -0.5], [10.0, -0.5], [10.0, 0.5], [-10.0, 0.5]];
        assert_eq!(filled(&[wide], 3, 2), [(0, 0), (1, 0), (2, 0)]);
    }
}
