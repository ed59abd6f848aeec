//! Enhanced (multi-frame) MR against the volumes pydicom and highdicom say the files hold
//! (`tests/fixtures/dicom/enhanced_reference.json`, made by scripts/reference/dicom_enhanced_fixtures.py),
//! and a legacy-converted enhanced series against its classic series.

use std::path::{Path, PathBuf};

use radscore::imaging::archive::ZipLimits;
use radscore::imaging::dicom::{DicomError, SeriesSelection, read_dicom_input};
use radscore::imaging::{Geometry, Volume};

use crate::dicom::{pydicom_test_files, voxels_differing_from_twin};
use crate::reference::reference_dir;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dicom")
        .join(name)
}

fn read(path: &Path, volume: Option<usize>) -> Result<Volume<f64>, DicomError> {
    let select = SeriesSelection {
        volume,
        ..Default::default()
    };
    read_dicom_input(path, &select, &ZipLimits::default())
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn sha256_of_voxels(volume: &Volume<f64>) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for v in volume.voxels.iter() {
        hasher.update(v.to_le_bytes());
    }
    hex::encode(hasher.finalize())
}

fn assert_stack_matches(case: &str, got: &Geometry, stack: &serde_json::Value) {
    let size: Vec<usize> = stack["size"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(got.size[..], size[..], "{case}: size");
    for (what, ours, theirs) in [
        ("spacing", &got.spacing[..], floats(&stack["spacing"])),
        ("origin", &got.origin[..], floats(&stack["origin"])),
        ("direction", &got.direction[..], floats(&stack["direction"])),
    ] {
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert!((a - b).abs() <= 1e-9, "{case}: {what}[{i}] {a} vs pydicom {b}");
        }
    }
}

/// "K V, K V" as the fixture lists what distinguishes a stack.
fn distinguishing(stack: &serde_json::Value) -> String {
    stack["distinguishing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| format!("{} {}", pair[0].as_str().unwrap(), pair[1].as_str().unwrap()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn enhanced_frames_form_the_volumes_pydicom_computes_from_the_functional_groups() {
    let reference: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/dicom/enhanced_reference.json")).unwrap();
    let pydicom = pydicom_test_files();
    for (name, entry) in reference["files"].as_object().unwrap() {
        let path = match name.strip_prefix("pydicom-data:") {
            Some(file) => match &pydicom {
                Some(folders) => folders.folder("pydicom-data").join(file),
                None => continue,
            },
            None => fixture(name),
        };
        let stacks = entry["stacks"].as_array().unwrap();
        for (index, stack) in stacks.iter().enumerate() {
            let case = format!("{name} volume {index}");
            let volume = (stacks.len() > 1).then_some(index);
            let got = read(&path, volume).unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_stack_matches(&case, &got.geometry, stack);
            assert_eq!(
                sha256_of_voxels(&got),
                stack["sha256"].as_str().unwrap(),
                "{case}: voxel values differ from pydicom's (range {:?})",
                (
                    got.voxels.iter().copied().fold(f64::INFINITY, f64::min),
                    got.voxels.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                )
            );
        }
        if stacks.len() > 1 {
            let listed: Vec<String> = stacks
                .iter()
                .enumerate()
                .map(|(i, s)| format!("{i}: {} ({} frame(s))", distinguishing(s), s["frames"]))
                .collect();
            assert_eq!(
                read(&path, None).unwrap_err().to_string(),
                format!(
                    "the series holds {} volumes; choose one by volume (0-based): {}",
                    stacks.len(),
                    listed.join("; ")
                ),
                "{name}"
            );
        }
    }
}

#[test]
fn a_dynamic_series_needs_a_volume_index_within_its_range() {
    let path = fixture("enhanced_dynamic.dcm");
    let listed = "0: TemporalPositionIndex 1 (4 frame(s)); 1: TemporalPositionIndex 2 (4 frame(s)); \
                  2: TemporalPositionIndex 3 (4 frame(s))";
    assert_eq!(
        read(&path, None).unwrap_err().to_string(),
        format!("the series holds 3 volumes; choose one by volume (0-based): {listed}")
    );
    assert_eq!(
        read(&path, Some(3)).unwrap_err().to_string(),
        format!("volume 3 is out of range; the series holds 3 volume(s): {listed}")
    );
    let diffusion = fixture("enhanced_diffusion.dcm");
    assert_eq!(
        read(&diffusion, Some(2)).unwrap_err().to_string(),
        "volume 2 is out of range; the series holds 2 volume(s): 0: DiffusionBValue 0 (3 frame(s)); \
         1: DiffusionBValue 800, DiffusionGradientOrientation 0,0,1 (3 frame(s))"
    );
}

#[test]
fn a_legacy_converted_enhanced_series_equals_its_classic_series() {
    let Some(dir) = reference_dir() else { return };
    for (series, file) in [
        ("brain1", "enhanced_brain1_crop.dcm"),
        ("brain1_rescaled", "enhanced_brain1_rescaled_crop.dcm"),
    ] {
        let enhanced = read(&fixture(file), None).unwrap_or_else(|e| panic!("{file}: {e}"));
        let classic = read(&dir.join("dicom").join(series), None).unwrap();
        assert_eq!(enhanced.geometry.size, [28, 24, 25], "{file}");
        assert_eq!(enhanced.geometry.spacing, classic.geometry.spacing, "{file}");
        assert_eq!(enhanced.geometry.direction, classic.geometry.direction, "{file}");
        assert_eq!(enhanced.pixel_type, classic.pixel_type, "{file}");
        assert_eq!(voxels_differing_from_twin(&enhanced, &classic), 0, "{file}");
    }
}

#[test]
fn pydicom_enhanced_mr_without_functional_groups_is_refused_with_the_reason() {
    let Some(folders) = pydicom_test_files() else { return };
    // emri_small*.dcm hold 10 frames but no functional groups, so no frame has a position; their
    // stored values are checked in the transfer-syntax listing instead.
    let path = folders.folder("pydicom-data").join("emri_small.dcm");
    assert_eq!(
        read(&path, None).unwrap_err().to_string(),
        format!(
            "{}: a multi-frame image without functional groups (10 frames, no per-frame positions) is not supported",
            path.display()
        )
    );
}

/// A block of an enhanced multi-frame series (frames of one file, and one volume of a dynamic
/// series) decodes to the same block of the whole series.
#[test]
fn a_block_of_an_enhanced_series_equals_the_same_block_of_the_whole_series() {
    use radscore::imaging::dicom::open_dicom_series;
    for (file, volume) in [("enhanced_brain1_crop.dcm", None), ("enhanced_dynamic.dcm", Some(1))] {
        let path = fixture(file);
        let select = SeriesSelection {
            volume,
            ..Default::default()
        };
        let open = || open_dicom_series(&path, &select, &ZipLimits::default()).unwrap();
        let whole = open().read(None).unwrap().volume;
        let [nx, ny, nz] = whole.geometry.size;
        assert!(nz > 2 && ny > 2 && nx > 2, "{file}: {:?}", whole.geometry.size);
        let region = [1..nz - 1, 1..ny - 1, 0..nx / 2];
        let block = open().read(Some(&region)).unwrap().volume;
        let want = whole.cropped(&region);
        assert_eq!(block.geometry, want.geometry, "{file}");
        assert_eq!(block.voxels, want.voxels, "{file}");
    }
}
