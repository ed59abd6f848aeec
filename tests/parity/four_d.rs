//! 4-D NIfTI and NRRD series (`tests/fixtures/four_d`, written by nibabel and pynrrd through
//! scripts/reference/four_d_fixtures.py): volume k of the series equals the writer's 3-D file of
//! volume k, and a series read without a volume index, or beyond its end, is refused.

use std::path::{Path, PathBuf};

use radscore::imaging::{read_image, read_image_volume, read_labels};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/four_d")
        .join(name)
}

#[test]
fn volume_k_of_a_4d_series_equals_the_3d_file_of_volume_k() {
    for (series, frame_ext) in [
        ("series.nii.gz", "nii.gz"),
        ("series_last.nrrd", "nrrd"),
        ("series_first.nrrd", "nrrd"),
    ] {
        for k in 0..3 {
            let got = read_image_volume(&fixture(series), series, Some(k)).unwrap_or_else(|e| panic!("{e}"));
            let frame_name = format!("series_t{k}.{frame_ext}");
            let want = read_image(&fixture(&frame_name), &frame_name).unwrap();
            assert_eq!(got.geometry, want.geometry, "{series} volume {k}");
            assert_eq!(got.voxels, want.voxels, "{series} volume {k}");
            assert_eq!(got.pixel_type, want.pixel_type, "{series} volume {k}");
        }
    }
    // The NRRD and NIfTI writers hold the same voxels; their geometry agrees to NIfTI's float32.
    let nifti = read_image_volume(&fixture("series.nii.gz"), "nii", Some(2)).unwrap();
    let nrrd = read_image_volume(&fixture("series_first.nrrd"), "nrrd", Some(2)).unwrap();
    assert_eq!(nifti.voxels, nrrd.voxels);
    for (a, b) in nifti.geometry.direction.iter().zip(&nrrd.geometry.direction) {
        assert!((a - b).abs() < 1e-6, "direction {a} vs {b}");
    }
}

#[test]
fn a_4d_series_without_a_volume_index_or_beyond_its_end_is_refused() {
    for series in ["series.nii.gz", "series_last.nrrd", "series_first.nrrd"] {
        assert_eq!(
            read_image(&fixture(series), series).unwrap_err().to_string(),
            format!("{series}: a 4-D file holding 3 volumes; choose one by volume (0-based, 0 to 2)")
        );
        assert_eq!(
            read_image_volume(&fixture(series), series, Some(3))
                .unwrap_err()
                .to_string(),
            format!("{series}: volume 3 is out of range; the file holds 3 volume(s) (0 to 2)")
        );
        assert_eq!(
            read_labels(&fixture(series), series).unwrap_err().to_string(),
            format!("{series}: a 4-D file holding 3 volumes; choose one by volume (0-based, 0 to 2)")
        );
    }
    // A 3-D file is volume 0 of one.
    let single = fixture("series_t1.nii.gz");
    assert!(read_image_volume(&single, "t1", Some(0)).is_ok());
    assert_eq!(
        read_image_volume(&single, "t1", Some(1)).unwrap_err().to_string(),
        "t1: volume 1 is out of range; the file holds 1 volume(s) (0 to 0)"
    );
}

#[test]
fn extract_and_inspect_take_a_volume_index() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_radscore"))
        .args(["inspect", "--volume", "1"])
        .arg(fixture("series_last.nrrd"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed["size"], serde_json::json!([5, 4, 3]));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_radscore"))
        .arg("inspect")
        .arg(fixture("series_last.nrrd"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("a 4-D file holding 3 volumes; choose one by volume"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A block read with `read_image_region` equals the same block cropped from the whole volume, for
/// each volume of the 4-D series (volumes stored one after another, and interleaved voxel by
/// voxel) and for the 3-D files; a block beyond the grid is refused.
#[test]
fn a_region_read_equals_the_same_block_cropped_from_the_whole_volume() {
    use radscore::imaging::read_image_region;
    for (file, volumes) in [
        ("series.nii.gz", 3),
        ("series_last.nrrd", 3),
        ("series_first.nrrd", 3),
        ("series_t1.nii.gz", 1),
        ("series_t1.nrrd", 1),
    ] {
        let volume = |k: usize| (volumes > 1).then_some(k);
        for k in 0..volumes {
            let whole = read_image_volume(&fixture(file), file, volume(k)).unwrap();
            let [nx, ny, nz] = whole.geometry.size;
            for region in [
                [0..nz, 0..ny, 0..nx],
                [1..nz, 1..ny - 1, 2..nx - 1],
                [nz - 1..nz, 0..1, nx - 1..nx],
            ] {
                let got = read_image_region(&fixture(file), file, volume(k), &region).unwrap();
                let want = whole.cropped(&region);
                assert_eq!(got.geometry, want.geometry, "{file} volume {k} region {region:?}");
                assert_eq!(got.voxels, want.voxels, "{file} volume {k} region {region:?}");
                assert_eq!(got.pixel_type, want.pixel_type, "{file} volume {k}");
            }
        }
        let whole = read_image_volume(&fixture(file), file, volume(0)).unwrap();
        let [nx, ny, nz] = whole.geometry.size;
        let beyond = [0..nz + 1, 0..ny, 0..nx];
        assert_eq!(
            read_image_region(&fixture(file), file, volume(0), &beyond)
                .unwrap_err()
                .to_string(),
            format!(
                "{file}: region {beyond:?} lies outside the image's [z, y, x] size {:?}",
                [nz, ny, nx]
            )
        );
    }
}
