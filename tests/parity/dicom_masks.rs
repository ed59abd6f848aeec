//! DICOM SEG and RTSTRUCT masks written by highdicom and pydicom (scripts/reference/seg_fixtures.py)
//! on the reference DICOM series: each must give back the series' NIfTI label voxel for voxel, the
//! RTSTRUCT ring skimage's even-odd rasterisation, and every misfit its precise error.

use std::path::{Path, PathBuf};
use std::process::Command;

use ndarray::Array3;
use radscore::features::{Params, extract};
use radscore::imaging::archive::ZipLimits;
use radscore::imaging::dicom::{DicomSeries, SeriesSelection, read_dicom_series};
use radscore::imaging::{MaskSelection, Volume, read_image, read_labels, read_mask};

use crate::reference::reference_dir;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dicom/seg")
        .join(name)
}

fn series(dir: &Path, name: &str) -> DicomSeries {
    read_dicom_series(
        &dir.join("dicom").join(name),
        &SeriesSelection::default(),
        &ZipLimits::default(),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn nifti_label(dir: &Path, name: &str) -> Volume<i32> {
    read_labels(&dir.join(format!("dicom/{name}_label.nii.gz")), name).unwrap()
}

fn selection(label: i32, roi: Option<&str>) -> MaskSelection {
    MaskSelection {
        label,
        roi: roi.map(str::to_owned),
    }
}

/// Reads fixture `file` as the mask of `series`, naming it by its file name in errors.
fn read(series: &DicomSeries, file: &str, label: i32, roi: Option<&str>) -> Result<Volume<i32>, String> {
    read_mask(
        &series.volume.geometry,
        Some(&series.identity),
        &fixture(file),
        file,
        &selection(label, roi),
    )
    .map_err(|e| e.to_string())
}

/// The NIfTI label's voxels equal to `value`, relabelled `label`.
fn relabelled(nifti: &Volume<i32>, value: i32, label: i32) -> Array3<i32> {
    nifti.voxels.mapv(|v| if v == value { label } else { 0 })
}

#[test]
fn binary_seg_segments_equal_the_nifti_labels_voxel_for_voxel() {
    let Some(dir) = reference_dir() else { return };
    let prostate = series(&dir, "prostate_phantom");
    let nifti = nifti_label(&dir, "prostate_phantom");
    // The fixture stores labels 1, 7, 8, 9 as segments 1 to 4 (DICOM numbers segments from 1).
    for (segment, value) in [(1, 1), (2, 7), (3, 8), (4, 9)] {
        let mask = read(&prostate, "prostate_seg_binary.dcm", segment, None).unwrap();
        assert_eq!(mask.geometry, prostate.volume.geometry);
        assert_eq!(mask.voxels, relabelled(&nifti, value, segment), "segment {segment}");
    }
    let by_name = read(&prostate, "prostate_seg_binary.dcm", 1, Some("label 8")).unwrap();
    assert_eq!(by_name.voxels, relabelled(&nifti, 8, 1));
}

#[test]
fn shuffled_seg_frames_covering_only_the_mask_slices_equal_the_nifti_label() {
    let Some(dir) = reference_dir() else { return };
    let brain = series(&dir, "brain1");
    let mask = read(&brain, "brain1_seg_shuffled.dcm", 1, None).unwrap();
    assert_eq!(mask.voxels, nifti_label(&dir, "brain1").voxels);
}

#[test]
fn fractional_seg_thresholded_at_half_its_maximum_equals_the_nifti_label() {
    let Some(dir) = reference_dir() else { return };
    let brain = series(&dir, "brain1");
    let mask = read(&brain, "brain1_seg_fractional.dcm", 1, None).unwrap();
    assert_eq!(mask.voxels, nifti_label(&dir, "brain1").voxels);
}

#[test]
fn a_seg_on_a_nifti_image_is_placed_by_geometry_alone() {
    let Some(dir) = reference_dir() else { return };
    let image = read_image(&dir.join("cases/prostate_phantom_image.nii.gz"), "prostate").unwrap();
    let mask = read_mask(
        &image.geometry,
        None,
        &fixture("prostate_seg_binary.dcm"),
        "seg",
        &selection(4, None),
    )
    .unwrap();
    assert_eq!(mask.voxels, relabelled(&nifti_label(&dir, "prostate_phantom"), 9, 4));
}

#[test]
fn features_from_a_seg_or_rtstruct_mask_equal_features_from_the_nifti_label_exactly() {
    let Some(dir) = reference_dir() else { return };
    let brain = series(&dir, "brain1");
    let params =
        Params::from_yaml_str(&std::fs::read_to_string(dir.join("params/params_a_original.yaml")).unwrap()).unwrap();
    let from_nifti = extract(&brain.volume, &nifti_label(&dir, "brain1"), &params).unwrap();
    for (file, roi) in [
        ("brain1_seg_shuffled.dcm", None),
        ("brain1_rtstruct.dcm", Some("tumour")),
    ] {
        let mask = read(&brain, file, 1, roi).unwrap();
        let from_dicom = extract(&brain.volume, &mask, &params).unwrap();
        assert_eq!(from_dicom.len(), 107);
        for ((name, ours), (twin_name, twin)) in from_dicom.iter().zip(&from_nifti) {
            assert_eq!(name, twin_name);
            assert_eq!(ours.to_bits(), twin.to_bits(), "{file}: {name} {ours} vs {twin}");
        }
    }
}

#[test]
fn rtstruct_pixel_edge_outlines_rasterise_to_the_nifti_label() {
    let Some(dir) = reference_dir() else { return };
    let brain = series(&dir, "brain1");
    let nifti = nifti_label(&dir, "brain1");
    for roi in ["tumour", "1"] {
        let mask = read(&brain, "brain1_rtstruct.dcm", 1, Some(roi)).unwrap();
        assert_eq!(mask.voxels, nifti.voxels, "roi {roi}");
    }
}

#[test]
fn rtstruct_ring_equals_the_skimage_even_odd_reference_and_its_hole_is_empty() {
    let Some(dir) = reference_dir() else { return };
    let brain = series(&dir, "brain1");
    let reference: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/dicom/seg/brain1_rtstruct_reference.json")).unwrap();
    let runs = |key: &str| -> Vec<[usize; 4]> {
        reference[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|run| std::array::from_fn(|i| run[i].as_u64().unwrap() as usize))
            .collect()
    };
    let mut expected = Array3::<i32>::zeros(brain.volume.voxels.raw_dim());
    for [z, y, x0, x1] in runs("ring_runs_zyx") {
        for x in x0..=x1 {
            expected[[z, y, x]] = 3;
        }
    }
    let mask = read(&brain, "brain1_rtstruct.dcm", 3, Some("ring")).unwrap();
    assert_eq!(mask.voxels, expected);
    let hole = runs("ring_hole_runs_zyx");
    assert!(!hole.is_empty());
    for [z, y, x0, x1] in hole {
        assert!(
            (x0..=x1).all(|x| mask.voxels[[z, y, x]] == 0),
            "hole voxel filled on row {y}"
        );
    }
}

#[test]
fn a_missing_segment_is_reported_with_the_segments_present() {
    let Some(dir) = reference_dir() else { return };
    let prostate = series(&dir, "prostate_phantom");
    let present = r#"1 "label 1", 2 "label 7", 3 "label 8", 4 "label 9""#;
    assert_eq!(
        read(&prostate, "prostate_seg_binary.dcm", 5, None).unwrap_err(),
        format!(
            r#"prostate_seg_binary.dcm: segment 5 is not in the SEG; segments present (number "label"): {present}"#
        )
    );
    assert_eq!(
        read(&prostate, "prostate_seg_binary.dcm", 1, Some("liver")).unwrap_err(),
        format!(
            r#"prostate_seg_binary.dcm: segment liver is not in the SEG; segments present (number "label"): {present}"#
        )
    );
}

#[test]
fn a_missing_or_unchosen_rtstruct_roi_is_reported_with_the_rois_present() {
    let Some(dir) = reference_dir() else { return };
    let brain = series(&dir, "brain1");
    let present = r#"1 "tumour", 2 "ring", 3 "off-plane""#;
    assert_eq!(
        read(&brain, "brain1_rtstruct.dcm", 1, Some("GTV")).unwrap_err(),
        format!(r#"brain1_rtstruct.dcm: ROI "GTV" is not in the RTSTRUCT; ROIs present (number "name"): {present}"#)
    );
    assert_eq!(
        read(&brain, "brain1_rtstruct.dcm", 1, None).unwrap_err(),
        format!("brain1_rtstruct.dcm: the RTSTRUCT holds 3 ROIs; choose one by roi (name or number): {present}")
    );
}

#[test]
fn a_seg_frame_off_the_image_grid_names_its_position_and_the_tolerance() {
    let Some(dir) = reference_dir() else { return };
    let prostate = series(&dir, "prostate_phantom");
    // The fixture moves the frame a quarter of a 0.5 mm pixel along the rows; the tolerance is 1 %
    // of the smallest spacing (0.5 mm).
    assert_eq!(
        read(&prostate, "prostate_seg_off_grid.dcm", 1, None).unwrap_err(),
        "prostate_seg_off_grid.dcm: frame 1 at ImagePositionPatient (15.558383, 76.535761, -34.776131) is not on \
         the image grid: 0.125000 mm from the nearest voxel centre (tolerance 0.005000 mm)"
    );
}

#[test]
fn a_seg_of_another_series_or_frame_of_reference_is_rejected() {
    let Some(dir) = reference_dir() else { return };
    let prostate = series(&dir, "prostate_phantom");
    assert_eq!(
        read(&prostate, "prostate_seg_other_series.dcm", 1, None).unwrap_err(),
        "prostate_seg_other_series.dcm: the mask references series \
         1.2.826.0.1.3680043.8.498.12041031546402643047873906151099001918, not the image series \
         1.2.826.0.1.3680043.8.498.25762585395488936918566407028743407353"
    );
    assert_eq!(
        read(&prostate, "prostate_seg_other_frame.dcm", 1, None).unwrap_err(),
        "prostate_seg_other_frame.dcm: the mask's FrameOfReferenceUID \
         1.2.826.0.1.3680043.8.498.74810136335845119388778812602306383591 is not the image's \
         1.2.826.0.1.3680043.8.498.30305186058274147072715662499711388604"
    );
    // The brain1 SEG on the prostate series fails on its frame of reference first.
    let brain_on_prostate = read(&prostate, "brain1_seg_shuffled.dcm", 1, None).unwrap_err();
    assert!(brain_on_prostate.contains("FrameOfReferenceUID"), "{brain_on_prostate}");
}

#[test]
fn a_contour_between_slice_planes_is_rejected_with_its_distance_and_the_tolerance() {
    let Some(dir) = reference_dir() else { return };
    let brain = series(&dir, "brain1");
    // ROI 3 is drawn 2 mm above slice 13; the tolerance is 1 % of the 0.78125 mm pixel spacing.
    let tolerance = format!("{:.6}", 0.01 * 0.78125);
    assert_eq!(
        read(&brain, "brain1_rtstruct.dcm", 1, Some("off-plane")).unwrap_err(),
        format!(
            r#"brain1_rtstruct.dcm: contour 1 of ROI 3 "off-plane" is not on a slice plane of the image: point (-68.125000, -58.437500, 8.500000) is 2.000000 mm from slice 13 (tolerance {tolerance} mm)"#
        )
    );
}

#[test]
fn an_roi_for_a_label_volume_and_an_image_given_as_mask_are_rejected() {
    let Some(dir) = reference_dir() else { return };
    let brain = series(&dir, "brain1");
    let label = dir.join("dicom/brain1_label.nii.gz");
    let err = read_mask(
        &brain.volume.geometry,
        None,
        &label,
        "label.nii.gz",
        &selection(1, Some("tumour")),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"label.nii.gz: roi "tumour" names a region of a DICOM SEG or RTSTRUCT, but this mask is a label volume; choose its region by label"#
    );
    let slice = dir.join("dicom/brain1/IM_0001.dcm");
    let err = read_mask(&brain.volume.geometry, None, &slice, "IM_0001.dcm", &selection(1, None)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "IM_0001.dcm: not a DICOM SEG or RTSTRUCT mask (SOPClassUID 1.2.840.10008.5.1.4.1.1.4, Modality MR)"
    );
}

#[test]
fn extract_takes_a_seg_or_an_rtstruct_roi_as_mask() {
    let Some(dir) = reference_dir() else { return };
    let run = |mask: &Path, extra: &[&str]| -> String {
        let output = Command::new(env!("CARGO_BIN_EXE_radscore"))
            .arg("extract")
            .arg("--image")
            .arg(dir.join("dicom/brain1"))
            .arg("--mask")
            .arg(mask)
            .arg("--params")
            .arg(dir.join("params/params_a_original.yaml"))
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let nifti = run(&dir.join("dicom/brain1_label.nii.gz"), &[]);
    assert_eq!(run(&fixture("brain1_seg_fractional.dcm"), &[]), nifti);
    assert_eq!(run(&fixture("brain1_rtstruct.dcm"), &["--roi", "tumour"]), nifti);
    assert_eq!(
        run(&fixture("brain1_rtstruct.dcm"), &["--roi", "1", "--label", "2"]),
        nifti
    );
}
