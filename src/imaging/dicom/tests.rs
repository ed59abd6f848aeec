//! Failure paths and ITK conventions on small series written here with dicom-object.

use std::path::{Path, PathBuf};

use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};

use super::*;

const MR_IMAGE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.4";
const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
const AXIAL: [f64; 6] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];

fn put_text(obj: &mut InMemDicomObject, tag: Tag, vr: VR, value: &str) {
    obj.put(DataElement::new(tag, vr, PrimitiveValue::from(value)));
}

fn decimal_list(values: &[f64]) -> String {
    values.iter().map(f64::to_string).collect::<Vec<_>>().join("\\")
}

/// A 3×2 (columns × rows) axial MR slice at height `z` whose pixels are `z*10 + index`.
fn slice(series: &str, z: f64) -> InMemDicomObject {
    let mut obj = InMemDicomObject::new_empty();
    put_text(&mut obj, tags::SOP_CLASS_UID, VR::UI, MR_IMAGE_STORAGE);
    put_text(&mut obj, tags::MODALITY, VR::CS, "MR");
    put_text(&mut obj, tags::SERIES_INSTANCE_UID, VR::UI, series);
    put_text(&mut obj, tags::SERIES_DESCRIPTION, VR::LO, "t1 axial");
    put_text(
        &mut obj,
        tags::IMAGE_POSITION_PATIENT,
        VR::DS,
        &decimal_list(&[-10.0, 20.0, z]),
    );
    put_text(&mut obj, tags::IMAGE_ORIENTATION_PATIENT, VR::DS, &decimal_list(&AXIAL));
    put_text(&mut obj, tags::PIXEL_SPACING, VR::DS, "0.5\\0.25");
    put_text(&mut obj, tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2");
    for (tag, value) in [
        (tags::SAMPLES_PER_PIXEL, 1u16),
        (tags::ROWS, 2),
        (tags::COLUMNS, 3),
        (tags::BITS_ALLOCATED, 16),
        (tags::BITS_STORED, 16),
        (tags::HIGH_BIT, 15),
        (tags::PIXEL_REPRESENTATION, 0),
    ] {
        obj.put(DataElement::new(tag, VR::US, PrimitiveValue::from(value)));
    }
    let base = (z * 10.0) as u16;
    set_pixels(&mut obj, &(0..6).map(|i| base + i).collect::<Vec<_>>());
    obj
}

fn set_pixels(obj: &mut InMemDicomObject, pixels: &[u16]) {
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OW,
        PrimitiveValue::U16(pixels.into()),
    ));
}

fn write(dir: &Path, name: &str, obj: InMemDicomObject) -> PathBuf {
    let path = dir.join(name);
    let file = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(EXPLICIT_LE)
                .media_storage_sop_class_uid(MR_IMAGE_STORAGE)
                .media_storage_sop_instance_uid(format!(
                    "1.2.3.{}",
                    name.len() * 1000 + name.bytes().map(usize::from).sum::<usize>()
                )),
        )
        .unwrap();
    file.write_to_file(&path).unwrap();
    path
}

/// Writes slices at the given heights of one series and returns their paths.
fn series(dir: &Path, uid: &str, heights: &[f64]) -> Vec<PathBuf> {
    heights
        .iter()
        .enumerate()
        .map(|(i, &z)| write(dir, &format!("{uid}_{i}.dcm"), slice(uid, z)))
        .collect()
}

fn read(files: &[PathBuf]) -> Result<Volume<f64>, DicomError> {
    read_series(files, &SeriesSelection::default())
}

#[test]
fn slices_are_stacked_by_position_along_the_normal_not_by_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let files = series(dir.path(), "1.2.9", &[3.0, 1.0, 2.0]);
    let volume = read(&files).unwrap();
    assert_eq!(volume.geometry.size, [3, 2, 3]);
    assert_eq!(volume.geometry.spacing, [0.25, 0.5, 1.0]);
    assert_eq!(volume.geometry.origin, [-10.0, 20.0, 1.0]);
    assert_eq!(volume.geometry.direction, [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    assert_eq!(volume.voxels[[0, 0, 0]], 10.0);
    assert_eq!(volume.voxels[[2, 1, 2]], 35.0);
}

#[test]
fn a_feet_first_normal_points_the_z_axis_the_other_way() {
    let dir = tempfile::tempdir().unwrap();
    // Row × column = (0,1,0) × (1,0,0) = (0,0,−1): slices sorted by −z.
    let files: Vec<PathBuf> = [1.0, 2.0]
        .iter()
        .enumerate()
        .map(|(i, &z)| {
            let mut obj = slice("1.2.9", z);
            put_text(&mut obj, tags::IMAGE_ORIENTATION_PATIENT, VR::DS, "0\\1\\0\\1\\0\\0");
            write(dir.path(), &format!("s{i}.dcm"), obj)
        })
        .collect();
    let volume = read(&files).unwrap();
    assert_eq!(volume.geometry.origin, [-10.0, 20.0, 2.0]);
    assert_eq!(
        volume.geometry.direction,
        [0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, -1.0]
    );
    assert_eq!(volume.voxels[[0, 0, 0]], 20.0);
}

#[test]
fn rescale_slope_and_intercept_stored_as_vr_un_are_parsed_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut obj = slice("1.2.9", 1.0);
    obj.put(DataElement::new(
        tags::RESCALE_SLOPE,
        VR::UN,
        PrimitiveValue::U8(b"0.5 ".to_vec().into()),
    ));
    obj.put(DataElement::new(
        tags::RESCALE_INTERCEPT,
        VR::UN,
        PrimitiveValue::U8(b"-100".to_vec().into()),
    ));
    let volume = read(&[write(dir.path(), "a.dcm", obj)]).unwrap();
    assert_eq!(
        volume.voxels.iter().copied().collect::<Vec<_>>(),
        [-95.0, -94.5, -94.0, -93.5, -93.0, -92.5]
    );
}

#[test]
fn signed_samples_narrower_than_their_container_are_sign_extended() {
    let dir = tempfile::tempdir().unwrap();
    let mut obj = slice("1.2.9", 1.0);
    obj.put(DataElement::new(tags::BITS_STORED, VR::US, PrimitiveValue::from(12u16)));
    obj.put(DataElement::new(
        tags::PIXEL_REPRESENTATION,
        VR::US,
        PrimitiveValue::from(1u16),
    ));
    // 0x0FFF is −1 in 12 bits; 0xF800 has junk above bit 11 and 0x800 = −2048.
    set_pixels(&mut obj, &[0x0FFF, 0x07FF, 0xF800, 0, 1, 0x0800]);
    let volume = read(&[write(dir.path(), "a.dcm", obj)]).unwrap();
    assert_eq!(
        volume.voxels.iter().copied().collect::<Vec<_>>(),
        [-1.0, 2047.0, -2048.0, 0.0, 1.0, -2048.0]
    );
}

#[test]
fn several_series_without_a_choice_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = series(dir.path(), "1.2.9", &[1.0, 2.0]);
    files.extend(series(dir.path(), "1.2.8", &[1.0]));
    let err = read(&files).unwrap_err();
    assert_eq!(
        err.to_string(),
        "2 image series found; choose one by series_uid: 1.2.8 (MR \"t1 axial\", 1 slice(s)); 1.2.9 (MR \"t1 axial\", 2 slice(s))"
    );
    let chosen = read_series(
        &files,
        &SeriesSelection {
            series_uid: Some("1.2.9".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(chosen.geometry.size, [3, 2, 2]);
    let err = read_series(
        &files,
        &SeriesSelection {
            series_uid: Some("9.9".into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("series_uid 9.9 not found; image series present: 1.2.8 (MR"),
        "{err}"
    );
}

#[test]
fn non_image_objects_are_ignored_when_grouping() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = series(dir.path(), "1.2.9", &[1.0, 2.0]);
    let mut report = InMemDicomObject::new_empty();
    put_text(&mut report, tags::MODALITY, VR::CS, "SR");
    put_text(&mut report, tags::SERIES_INSTANCE_UID, VR::UI, "1.2.7");
    files.push(write(dir.path(), "report.dcm", report));
    assert_eq!(read(&files).unwrap().geometry.size, [3, 2, 2]);
    let err = read(&files[2..]).unwrap_err();
    assert_eq!(err.to_string(), "no DICOM image series found among 1 file(s)");
}

#[test]
fn a_gap_of_two_slice_spacings_is_reported_as_a_missing_slice() {
    let dir = tempfile::tempdir().unwrap();
    let files = series(dir.path(), "1.2.9", &[1.0, 2.0, 3.0, 5.0, 6.0]);
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let err = read(&files).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "missing slice(s) between {} and {}: gap 2.0000 mm where slices are 1.0000 mm apart",
            names[2], names[3]
        )
    );
}

#[test]
fn uneven_slice_gaps_are_rejected_beyond_one_percent() {
    let dir = tempfile::tempdir().unwrap();
    let files = series(dir.path(), "1.2.9", &[1.0, 2.0, 3.0, 4.5]);
    let err = read(&files).unwrap_err();
    assert!(
        matches!(err, DicomError::NonUniformSpacing { gap, spacing, .. } if gap == 1.5 && spacing == 1.0),
        "{err}"
    );
    // 0.5 % off is rounding in the positions, not a different grid.
    let dir = tempfile::tempdir().unwrap();
    let files = series(dir.path(), "1.2.9", &[1.0, 2.0, 3.005, 4.0]);
    assert_eq!(read(&files).unwrap().geometry.spacing[2], 1.0);
}

#[test]
fn two_slices_at_one_position_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let files = series(dir.path(), "1.2.9", &[1.0, 2.0, 2.0]);
    assert!(matches!(read(&files).unwrap_err(), DicomError::DuplicateSlice { position, .. } if position == 2.0));
}

#[test]
fn mixed_orientations_and_sizes_name_the_attribute_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = series(dir.path(), "1.2.9", &[1.0, 2.0]);
    let mut tilted = slice("1.2.9", 3.0);
    put_text(
        &mut tilted,
        tags::IMAGE_ORIENTATION_PATIENT,
        VR::DS,
        "1\\0\\0\\0\\0.8\\0.6",
    );
    files.push(write(dir.path(), "tilted.dcm", tilted));
    let err = read(&files).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "slices disagree on ImageOrientationPatient: {} has Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]) but {} has Some([1.0, 0.0, 0.0, 0.0, 0.8, 0.6])",
            files[0].display(),
            files[2].display()
        )
    );
    let mut wide = slice("1.2.9", 3.0);
    wide.put(DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(4u16)));
    files[2] = write(dir.path(), "wide.dcm", wide);
    assert!(
        matches!(read(&files).unwrap_err(), DicomError::InconsistentSlices { attribute: "Rows and Columns", ref other, .. } if other == "(2, 4)")
    );
}

#[test]
fn sideways_drift_between_slices_is_rejected_as_a_sheared_stack() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = series(dir.path(), "1.2.9", &[1.0, 2.0]);
    let mut shifted = slice("1.2.9", 3.0);
    put_text(&mut shifted, tags::IMAGE_POSITION_PATIENT, VR::DS, "-9\\20\\3");
    files.push(write(dir.path(), "shifted.dcm", shifted));
    assert!(matches!(read(&files).unwrap_err(), DicomError::ShearedStack { offset, .. } if offset == 1.0));
}

#[test]
fn missing_geometry_or_pixel_data_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut no_position = slice("1.2.9", 1.0);
    no_position.remove_element(tags::IMAGE_POSITION_PATIENT);
    let path = write(dir.path(), "a.dcm", no_position);
    assert_eq!(
        read(std::slice::from_ref(&path)).unwrap_err().to_string(),
        format!("{}: missing ImagePositionPatient", path.display())
    );
    let mut no_pixels = slice("1.2.9", 1.0);
    no_pixels.remove_element(tags::PIXEL_DATA);
    let path = write(dir.path(), "b.dcm", no_pixels);
    assert_eq!(
        read(std::slice::from_ref(&path)).unwrap_err().to_string(),
        format!("{}: image has no PixelData", path.display())
    );
}

#[test]
fn a_bad_decimal_string_is_named_with_its_value() {
    let dir = tempfile::tempdir().unwrap();
    let mut obj = slice("1.2.9", 1.0);
    put_text(&mut obj, tags::PIXEL_SPACING, VR::DS, "0.5\\abc");
    let path = write(dir.path(), "a.dcm", obj);
    assert_eq!(
        read(std::slice::from_ref(&path)).unwrap_err().to_string(),
        format!(
            "{}: invalid PixelSpacing \"0.5\\\\abc\": not a number (invalid float literal)",
            path.display()
        )
    );
}

#[test]
fn a_truncated_file_is_an_unreadable_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let files = series(dir.path(), "1.2.9", &[1.0, 2.0]);
    let bytes = std::fs::read(&files[1]).unwrap();
    std::fs::write(&files[1], &bytes[..bytes.len() - 5]).unwrap();
    let err = read(&files).unwrap_err();
    assert!(
        matches!(&err, DicomError::Unreadable { file, .. } if *file == files[1].display().to_string()),
        "{err}"
    );
}

#[test]
fn a_folder_is_walked_for_dicom_files_and_other_files_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    series(&dir.path().join("sub"), "1.2.9", &[1.0, 2.0]);
    std::fs::write(dir.path().join("README.txt"), "not dicom").unwrap();
    let found = find_dicom_files(dir.path(), "upload").unwrap();
    let names: Vec<&str> = found.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["upload/sub/1.2.9_0.dcm", "upload/sub/1.2.9_1.dcm"]);
    let volume = read_dicom_input(dir.path(), &SeriesSelection::default(), &ZipLimits::default()).unwrap();
    assert_eq!(volume.geometry.size, [3, 2, 2]);
}

#[test]
fn series_identity_names_the_chosen_series_and_its_study_and_debug_hides_them() {
    let dir = tempfile::tempdir().unwrap();
    for (i, z) in [1.0, 2.0].into_iter().enumerate() {
        let mut obj = slice("1.2.9", z);
        put_text(&mut obj, tags::STUDY_INSTANCE_UID, VR::UI, "1.2.7");
        write(dir.path(), &format!("a_{i}.dcm"), obj);
    }
    series(dir.path(), "1.2.8", &[1.0]);
    let choose = |uid: &str| SeriesSelection {
        series_uid: Some(uid.into()),
        ..Default::default()
    };

    let identity =
        |select: &SeriesSelection| read_dicom_series(dir.path(), select, &ZipLimits::default()).map(|s| s.identity);

    let chosen = identity(&choose("1.2.9")).unwrap();
    assert_eq!(chosen.series_uid, "1.2.9");
    assert_eq!(chosen.study_uid.as_deref(), Some("1.2.7"));
    assert_eq!(format!("{chosen:?}"), "SeriesIdentity(<redacted>)");
    let without_study = identity(&choose("1.2.8")).unwrap();
    assert_eq!(
        (without_study.series_uid.as_str(), without_study.study_uid),
        ("1.2.8", None)
    );
    let err = identity(&SeriesSelection::default()).unwrap_err();
    assert!(
        matches!(err, DicomError::AmbiguousSeries { ref series } if series.len() == 2),
        "{err}"
    );
}

fn sequence(tag: Tag, items: Vec<InMemDicomObject>) -> dicom_object::mem::InMemElement {
    DataElement::new(
        tag,
        VR::SQ,
        dicom_core::value::DataSetSequence::new(items, dicom_core::Length::UNDEFINED),
    )
}

fn item_with(tag: Tag, vr: VR, value: &str) -> InMemDicomObject {
    let mut item = InMemDicomObject::new_empty();
    put_text(&mut item, tag, vr, value);
    item
}

/// An enhanced image of 3×2 frames: orientation and pixel spacing shared, one position per frame
/// at the given heights; frame k's pixels are `k*10 + index`.
fn enhanced(heights: &[f64]) -> InMemDicomObject {
    let mut obj = slice("1.2.5", 0.0);
    for tag in [
        tags::IMAGE_POSITION_PATIENT,
        tags::IMAGE_ORIENTATION_PATIENT,
        tags::PIXEL_SPACING,
    ] {
        obj.remove_element(tag);
    }
    put_text(&mut obj, tags::NUMBER_OF_FRAMES, VR::IS, &heights.len().to_string());
    let mut shared = InMemDicomObject::new_empty();
    shared.put(sequence(
        tags::PLANE_ORIENTATION_SEQUENCE,
        vec![item_with(
            tags::IMAGE_ORIENTATION_PATIENT,
            VR::DS,
            &decimal_list(&AXIAL),
        )],
    ));
    shared.put(sequence(
        tags::PIXEL_MEASURES_SEQUENCE,
        vec![item_with(tags::PIXEL_SPACING, VR::DS, "0.5\\0.25")],
    ));
    obj.put(sequence(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE, vec![shared]));
    let per_frame = heights
        .iter()
        .map(|&z| {
            let mut frame = InMemDicomObject::new_empty();
            frame.put(sequence(
                tags::PLANE_POSITION_SEQUENCE,
                vec![item_with(
                    tags::IMAGE_POSITION_PATIENT,
                    VR::DS,
                    &decimal_list(&[-10.0, 20.0, z]),
                )],
            ));
            frame
        })
        .collect();
    obj.put(sequence(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, per_frame));
    let pixels: Vec<u16> = (0..heights.len() as u16)
        .flat_map(|k| (0..6).map(move |i| k * 10 + i))
        .collect();
    set_pixels(&mut obj, &pixels);
    obj
}

#[test]
fn enhanced_frames_are_sorted_by_position_and_read_from_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "mf.dcm", enhanced(&[3.0, 1.0, 2.0]));
    let volume = read(std::slice::from_ref(&path)).unwrap();
    assert_eq!(volume.geometry.size, [3, 2, 3]);
    assert_eq!(volume.geometry.origin, [-10.0, 20.0, 1.0]);
    assert_eq!(volume.geometry.spacing, [0.25, 0.5, 1.0]);
    // Frame 2 (z = 1) first, then frame 3 (z = 2), then frame 1 (z = 3).
    let firsts: Vec<f64> = (0..3).map(|z| volume.voxels[[z, 0, 0]]).collect();
    assert_eq!(firsts, [10.0, 20.0, 0.0]);
}

#[test]
fn a_gap_between_enhanced_frames_names_the_file_and_frames() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "mf.dcm", enhanced(&[1.0, 2.0, 3.0, 5.0]));
    let name = path.display();
    assert_eq!(
        read(std::slice::from_ref(&path)).unwrap_err().to_string(),
        format!(
            "missing slice(s) between {name} frame 3 and {name} frame 4: gap 2.0000 mm where slices are 1.0000 mm apart"
        )
    );
}

#[test]
fn an_enhanced_frame_without_a_position_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut obj = enhanced(&[1.0, 2.0]);
    let mut frames = obj
        .get(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
        .and_then(|e| e.items())
        .unwrap()
        .to_vec();
    frames[1] = InMemDicomObject::new_empty();
    obj.put(sequence(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, frames));
    let path = write(dir.path(), "mf.dcm", obj);
    assert_eq!(
        read(std::slice::from_ref(&path)).unwrap_err().to_string(),
        format!("{} frame 2: missing ImagePositionPatient", path.display())
    );
}

#[test]
fn per_frame_groups_must_match_the_number_of_frames() {
    let dir = tempfile::tempdir().unwrap();
    let mut obj = enhanced(&[1.0, 2.0]);
    put_text(&mut obj, tags::NUMBER_OF_FRAMES, VR::IS, "3");
    let path = write(dir.path(), "mf.dcm", obj);
    assert_eq!(
        read(std::slice::from_ref(&path)).unwrap_err().to_string(),
        format!(
            "{}: invalid PerFrameFunctionalGroupsSequence \"2 item(s)\": NumberOfFrames is 3",
            path.display()
        )
    );
}

#[test]
fn a_classic_dynamic_series_is_split_by_temporal_position() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = [(1, 1.0), (1, 2.0), (2, 1.0), (2, 2.0)]
        .iter()
        .map(|&(t, z)| {
            let mut obj = slice("1.2.9", z);
            put_text(&mut obj, tags::TEMPORAL_POSITION_IDENTIFIER, VR::IS, &t.to_string());
            let base = (t * 100) as u16;
            set_pixels(&mut obj, &[base, base, base, base, base, base]);
            write(dir.path(), &format!("t{t}_{z}.dcm"), obj)
        })
        .collect();
    assert_eq!(
        read(&files).unwrap_err().to_string(),
        "the series holds 2 volumes; choose one by volume (0-based): 0: TemporalPositionIdentifier 1 (2 frame(s)); \
         1: TemporalPositionIdentifier 2 (2 frame(s))"
    );
    let second = read_series(
        &files,
        &SeriesSelection {
            volume: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(second.geometry.size, [3, 2, 2]);
    assert!(second.voxels.iter().all(|&v| v == 200.0));
}
