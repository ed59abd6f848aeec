//! DICOM series against SimpleITK and pydicom (`dicom/roundtrip.json`): geometry within 1e-6 and
//! voxels identical to the NIfTI twin at the same physical positions.

use std::path::{Path, PathBuf};
use std::process::Command;

use radscore::imaging::archive::ZipLimits;
use radscore::imaging::dicom::{SeriesSelection, read_dicom_input};
use radscore::imaging::{Geometry, Volume, check_same_grid, read_image, read_labels};

use crate::reference::{read_json, reference_dir};

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn assert_geometry_close(case: &str, got: &Geometry, entry: &serde_json::Value, size: [usize; 3]) {
    assert_eq!(got.size, size, "{case}: size");
    for (what, ours, theirs) in [
        ("spacing", &got.spacing[..], floats(&entry["spacing"])),
        ("origin", &got.origin[..], floats(&entry["origin"])),
        ("direction", &got.direction[..], floats(&entry["direction"])),
    ] {
        assert_eq!(ours.len(), theirs.len(), "{case}: {what} length");
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert!((a - b).abs() <= 1e-6, "{case}: {what}[{i}] {a} vs SimpleITK {b}");
        }
    }
}

/// Solves `geometry.index_to_physical(index) = point` for an axis-aligned or oblique grid.
pub fn physical_to_index(g: &Geometry, point: [f64; 3]) -> [f64; 3] {
    // Columns of direction × spacing are orthogonal, so the inverse is the scaled transpose.
    let d = [point[0] - g.origin[0], point[1] - g.origin[1], point[2] - g.origin[2]];
    std::array::from_fn(|c| (0..3).map(|r| g.direction[r * 3 + c] * d[r]).sum::<f64>() / g.spacing[c])
}

/// Counts voxels whose value differs from the twin's voxel at the same physical position.
pub fn voxels_differing_from_twin(dicom: &Volume<f64>, twin: &Volume<f64>) -> usize {
    let [nx, ny, nz] = dicom.geometry.size;
    let mut differing = 0;
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                let p = dicom.geometry.index_to_physical([x as f64, y as f64, z as f64]);
                let i = physical_to_index(&twin.geometry, p).map(|v| {
                    assert!((v - v.round()).abs() < 1e-3, "grids are not aligned: index {v}");
                    v.round() as usize
                });
                if dicom.voxels[[z, y, x]] != twin.voxels[[i[2], i[1], i[0]]] {
                    differing += 1;
                }
            }
        }
    }
    differing
}

#[test]
fn dicom_series_geometry_and_voxels_match_simpleitk_and_the_nifti_twin() {
    let Some(dir) = reference_dir() else { return };
    let roundtrip = read_json(&dir, "dicom/roundtrip.json");
    let cases = roundtrip.as_array().unwrap();
    assert_eq!(cases.len(), 3, "roundtrip.json lists {} series", cases.len());
    for entry in cases {
        let case = entry["case"].as_str().unwrap();
        assert!(
            entry["array_equal"].as_bool().unwrap(),
            "{case}: SimpleITK and pydicom disagree"
        );
        let volume = read_dicom_input(
            &dir.join(entry["dir"].as_str().unwrap()),
            &SeriesSelection::default(),
            &ZipLimits::default(),
        )
        .unwrap_or_else(|e| panic!("{case}: {e}"));
        let source = entry["source_case"].as_str().unwrap();
        let twin = read_image(&dir.join(format!("cases/{source}_image.nii.gz")), source).unwrap();
        let mut size = twin.geometry.size;
        size[2] = entry["n_files"].as_u64().unwrap() as usize;
        assert_geometry_close(case, &volume.geometry, entry, size);
        assert_eq!(
            voxels_differing_from_twin(&volume, &twin),
            0,
            "{case}: voxels differ from {source}"
        );
        let mask = read_labels(&dir.join(entry["mask"].as_str().unwrap()), case).unwrap();
        check_same_grid(&volume.geometry, &mask.geometry, 1e-5).unwrap_or_else(|e| panic!("{case}: {e}"));
    }
}

/// Decoding only a block of a series (what extraction asks for when the mask's box is enough)
/// equals cropping the whole series: same voxels, same geometry, same pixel type.
#[test]
fn a_series_block_decodes_to_the_same_block_of_the_whole_series() {
    use radscore::imaging::dicom::open_dicom_series;
    let Some(dir) = reference_dir() else { return };
    for series in ["brain1", "brain1_rescaled", "prostate_phantom"] {
        let path = dir.join("dicom").join(series);
        let open = || open_dicom_series(&path, &SeriesSelection::default(), &ZipLimits::default()).unwrap();
        let whole = open().read(None).unwrap().volume;
        let [nx, ny, nz] = whole.geometry.size;
        for region in [
            [0..nz, 0..ny, 0..nx],
            [2..nz - 3, 5..ny / 2, 1..nx - 7],
            [nz - 1..nz, 0..1, 0..1],
        ] {
            let block = open().read(Some(&region)).unwrap().volume;
            let want = whole.cropped(&region);
            assert_eq!(block.geometry, want.geometry, "{series} {region:?}");
            assert_eq!(block.voxels, want.voxels, "{series} {region:?}");
            assert_eq!(block.pixel_type, want.pixel_type, "{series} {region:?}");
        }
    }
}

#[test]
fn inspect_prints_the_dicom_series_geometry_of_a_folder() {
    let Some(dir) = reference_dir() else { return };
    let output = Command::new(env!("CARGO_BIN_EXE_radscore"))
        .arg("inspect")
        .arg(dir.join("dicom/prostate_phantom"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let roundtrip = read_json(&dir, "dicom/roundtrip.json");
    let entry = roundtrip
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["case"] == "prostate_phantom")
        .unwrap();
    let geometry = Geometry {
        size: [82, 67, 13],
        spacing: floats(&printed["spacing"]).try_into().unwrap(),
        origin: floats(&printed["origin"]).try_into().unwrap(),
        direction: floats(&printed["direction"]).try_into().unwrap(),
    };
    let size: Vec<u64> = printed["size"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(size, [82, 67, 13]);
    assert_geometry_close("prostate_phantom (inspect)", &geometry, entry, [82, 67, 13]);
}

#[test]
fn a_zipped_series_reads_the_same_as_its_folder() {
    let Some(dir) = reference_dir() else { return };
    let folder = dir.join("dicom/brain1_rescaled");
    let temp = tempfile::tempdir().unwrap();
    let zip_path = temp.path().join("series.zip");
    zip_folder(&folder, &zip_path);
    let select = SeriesSelection::default();
    let from_zip = read_dicom_input(&zip_path, &select, &ZipLimits::default()).unwrap();
    let from_folder = read_dicom_input(&folder, &select, &ZipLimits::default()).unwrap();
    assert_eq!(from_zip.geometry, from_folder.geometry);
    assert_eq!(from_zip.voxels, from_folder.voxels);
}

fn zip_folder(folder: &Path, zip_path: &Path) {
    let mut writer = zip::ZipWriter::new(std::fs::File::create(zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut entries: Vec<_> = std::fs::read_dir(folder).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        writer
            .start_file(
                format!("export/{}", path.file_name().unwrap().to_string_lossy()),
                options,
            )
            .unwrap();
        std::io::Write::write_all(&mut writer, &std::fs::read(&path).unwrap()).unwrap();
    }
    writer.finish().unwrap();
}

/// Files of pydicom's and pydicom-data's test sets whose stored values radscore reproduces exactly,
/// by transfer syntax. The test fails when one of them regresses and when another starts to match
/// (so the list stays true). Not decoded, with the reason:
/// - JPGExtended.dcm (JPEG Extended, 12-bit DCT): radscore's decoder reproduces libjpeg(-turbo)'s
///   accurate integer IDCT; pydicom's decoder (pylibjpeg-libjpeg) computes another, and 3,612 of
///   262,144 samples differ by one level. `jpeg_extended_12_bit_files_decode_like_libjpeg_turbo`
///   checks both: equal to libjpeg-turbo, and to pydicom up to exactly those samples.
/// - liver_1frame.dcm, liver_expb_1frame.dcm (SEG, BitsAllocated 1): bit-packed segmentation frames
///   are mask data, unpacked by the SEG reader, not image values.
const DECODED_LIKE_PYDICOM: &[&str] = &[
    "693_J2KI.dcm",                      // JPEG 2000 (lossy), CT
    "693_J2KR.dcm",                      // JPEG 2000 lossless, CT (pydicom-data)
    "693_UNCI.dcm",                      // explicit VR little endian, CT (pydicom-data)
    "693_UNCR.dcm",                      // explicit VR little endian, CT (pydicom-data)
    "CT_small.dcm",                      // explicit VR little endian, CT
    "J2K_pixelrep_mismatch.dcm",         // JPEG 2000 lossless, CT
    "JPEG-LL.dcm",                       // JPEG lossless SV1, NM (pydicom-data)
    "JPEG2000.dcm",                      // JPEG 2000 (lossy), NM
    "JPEG2000_UNC.dcm",                  // explicit VR little endian, NM (pydicom-data)
    "JPEGLSNearLossless_08.dcm",         // JPEG-LS near-lossless, 8-bit
    "JPEGLSNearLossless_16.dcm",         // JPEG-LS near-lossless, 16-bit
    "MR-SIEMENS-DICOM-WithOverlays.dcm", // explicit VR little endian, MR (pydicom-data)
    "MR2_J2KI.dcm",                      // JPEG 2000 (lossy), MR 1024² (pydicom-data)
    "MR2_J2KR.dcm",                      // JPEG 2000 lossless, MR 1024² (pydicom-data)
    "MR2_UNCI.dcm",                      // explicit VR little endian, MR (pydicom-data)
    "MR2_UNCR.dcm",                      // explicit VR little endian, MR (pydicom-data)
    "MR_small.dcm",                      // explicit VR little endian, MR
    "MR_small_RLE.dcm",                  // RLE lossless, MR
    "MR_small_bigendian.dcm",            // explicit VR big endian, MR
    "MR_small_expb.dcm",                 // explicit VR big endian, MR
    "MR_small_implicit.dcm",             // implicit VR little endian, MR
    "MR_small_jp2klossless.dcm",         // JPEG 2000 lossless, MR
    "MR_small_jpeg_ls_lossless.dcm",     // JPEG-LS lossless, MR
    "MR_small_padded.dcm",               // explicit VR little endian with excess padding, MR
    "bad_sequence.dcm",                  // JPEG lossless SV1, CT (pydicom-data)
    "eCT_Supplemental.dcm",              // explicit VR little endian, enhanced CT, 2 frames (pydicom-data)
    "emri_small.dcm",                    // explicit VR little endian, enhanced MR, 10 frames (pydicom-data)
    "emri_small_RLE.dcm",                // RLE lossless, enhanced MR (pydicom-data)
    "emri_small_big_endian.dcm",         // explicit VR big endian, enhanced MR (pydicom-data)
    "emri_small_jpeg_2k_lossless.dcm",   // JPEG 2000 lossless, enhanced MR (pydicom-data)
    "emri_small_jpeg_ls_lossless.dcm",   // JPEG-LS lossless, enhanced MR (pydicom-data)
    "examples_overlay.dcm",              // explicit VR little endian, MR
    "explicit_VR-UN.dcm",                // JPEG 2000 lossless, CT (pydicom-data)
    "image_dfl.dcm",                     // deflated explicit VR little endian, OT
    "mlut_18.dcm",                       // explicit VR little endian, OT (pydicom-data)
    "rtdose.dcm",                        // implicit VR little endian, 32-bit, 15 frames, RTDOSE
    "rtdose_1frame.dcm",                 // implicit VR little endian, 32-bit, RTDOSE
    "rtdose_expb.dcm",                   // explicit VR big endian, 32-bit, 15 frames, RTDOSE
    "rtdose_expb_1frame.dcm",            // explicit VR big endian, 32-bit, RTDOSE
    "rtdose_rle.dcm",                    // RLE lossless, 32-bit (radscore's own RLE), 15 frames, RTDOSE
    "rtdose_rle_1frame.dcm",             // RLE lossless, 32-bit (radscore's own RLE), RTDOSE
    "vlut_04.dcm",                       // explicit VR little endian, 8-bit, OT (pydicom-data)
];

/// Where pydicom's test files are: its bundled `data/test_files` ("pydicom") and the pydicom-data
/// package's folder ("pydicom-data"), read from the installed packages (never copied here).
pub struct PydicomFiles {
    bundled: PathBuf,
    data: PathBuf,
}

impl PydicomFiles {
    /// The folder of a fixture entry's `source`.
    pub fn folder(&self, source: &str) -> &Path {
        match source {
            "pydicom-data" => &self.data,
            _ => &self.bundled,
        }
    }
}

/// The installed pydicom and pydicom-data test files, or `None` (after saying why) when python3
/// lacks them and the reference is not required.
pub fn pydicom_test_files() -> Option<PydicomFiles> {
    let script = "import os, pydicom, data_store; \
                  print(os.path.join(os.path.dirname(pydicom.__file__), 'data', 'test_files')); \
                  print(os.path.join(os.path.dirname(data_store.__file__), 'data'))";
    let found = Command::new("python3")
        .args(["-c", script])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            let mut lines = text.lines().map(PathBuf::from);
            Some(PydicomFiles {
                bundled: lines.next()?,
                data: lines.next()?,
            })
        })
        .filter(|f| f.bundled.is_dir() && f.data.is_dir());
    if found.is_none() {
        if std::env::var("RADSCORE_REQUIRE_REFERENCE").is_ok_and(|v| v == "1") {
            panic!(
                "RADSCORE_REQUIRE_REFERENCE=1 but python3 cannot import pydicom and pydicom-data (run .ci/dicom-deps.sh and .ci/dicommf-deps.sh)"
            );
        }
        eprintln!("skipped: pydicom or pydicom-data is not installed for python3");
    }
    found
}

fn sha256_of_stored(values: &[f64]) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for v in values {
        hasher.update((*v as i64).to_le_bytes());
    }
    hex::encode(hasher.finalize())
}

#[test]
fn pydicom_test_files_decode_to_pydicom_stored_values_per_transfer_syntax() {
    let Some(folders) = pydicom_test_files() else { return };
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/dicom/pydicom_stored_values.json")).unwrap();
    let mut matching = Vec::new();
    let mut report = std::collections::BTreeMap::<String, Vec<String>>::new();
    for (file, expected) in fixture["files"].as_object().unwrap() {
        let folder = folders.folder(expected["source"].as_str().unwrap_or("pydicom"));
        let outcome = match radscore::imaging::dicom::read_stored_frames(&folder.join(file), file) {
            Ok(frames) => {
                let shape = [frames.frames, frames.rows, frames.columns];
                let want: Vec<usize> = expected["shape"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_u64().unwrap() as usize)
                    .collect();
                if shape[..] != want[..] {
                    format!("shape {shape:?} vs {want:?}")
                } else if sha256_of_stored(&frames.values) != expected["sha256"].as_str().unwrap() {
                    let min = frames.values.iter().copied().fold(f64::INFINITY, f64::min);
                    let max = frames.values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    format!(
                        "values differ (range {min}..{max} vs {}..{})",
                        expected["min"], expected["max"]
                    )
                } else {
                    matching.push(file.clone());
                    "identical".into()
                }
            }
            Err(e) => format!("error: {e}"),
        };
        report
            .entry(expected["transfer_syntax_name"].as_str().unwrap().to_owned())
            .or_default()
            .push(format!(
                "{file} [{}]: {outcome}",
                expected["modality"].as_str().unwrap()
            ));
    }
    for (syntax, lines) in &report {
        eprintln!("{syntax}:\n  {}", lines.join("\n  "));
    }
    assert_eq!(
        matching, DECODED_LIKE_PYDICOM,
        "files decoded identically to pydicom changed"
    );
}

#[test]
fn jpeg_extended_12_bit_files_decode_like_libjpeg_turbo() {
    let Some(folders) = pydicom_test_files() else { return };
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dicom");
    let turbo: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures.join("jpeg/libjpeg_turbo.json")).unwrap()).unwrap();
    let pydicom: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/dicom/pydicom_stored_values.json")).unwrap();
    // JPEG-lossy.dcm's scan header says Ss = Se = 0; libjpeg warns and decodes it as sequential.
    for file in ["JPGExtended.dcm", "JPEG-lossy.dcm"] {
        let frames = radscore::imaging::dicom::read_stored_frames(&folders.folder("pydicom").join(file), file)
            .unwrap_or_else(|e| panic!("{e}"));
        let expected = &turbo["cases"][file];
        assert_eq!([frames.rows, frames.columns], [1024, 256], "{file}");
        assert_eq!(
            sha256_of_stored(&frames.values),
            expected["sha256"],
            "{file}: libjpeg-turbo"
        );
    }
    // pydicom (pylibjpeg) differs from libjpeg-turbo only where the fixture says, by what it says.
    let mut values = radscore::imaging::dicom::read_stored_frames(
        &folders.folder("pydicom").join("JPGExtended.dcm"),
        "JPGExtended.dcm",
    )
    .unwrap()
    .values;
    let differs = &turbo["cases"]["JPGExtended.dcm"]["pylibjpeg_differs"];
    let (index, delta) = (
        differs["index"].as_array().unwrap(),
        differs["delta"].as_array().unwrap(),
    );
    assert_eq!(index.len(), 3612);
    for (i, d) in index.iter().zip(delta) {
        let d = d.as_f64().unwrap();
        assert_eq!(d.abs(), 1.0);
        values[i.as_u64().unwrap() as usize] += d;
    }
    assert_eq!(
        sha256_of_stored(&values),
        pydicom["files"]["JPGExtended.dcm"]["sha256"],
        "JPGExtended.dcm: pydicom"
    );
}

#[test]
fn nifti2_twins_written_by_nibabel_read_like_the_nifti1_reference() {
    let Some(dir) = reference_dir() else { return };
    let case = "ibsi1_digital_phantom";
    let nifti1 = read_image(&dir.join(format!("cases/{case}_image.nii.gz")), case).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dicom");
    for file in [
        "ibsi1_digital_phantom_nifti2.nii.gz",
        "ibsi1_digital_phantom_nifti2_be.nii",
    ] {
        let nifti2 = read_image(&fixtures.join(file), file).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(nifti2.geometry, nifti1.geometry, "{file}");
        assert_eq!(nifti2.voxels, nifti1.voxels, "{file}");
    }
}

#[test]
fn a_nifti2_file_with_a_bad_magic_or_cut_short_is_rejected_with_the_reason() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dicom/ibsi1_digital_phantom_nifti2_be.nii");
    let bytes = std::fs::read(fixture).unwrap();
    let temp = tempfile::tempdir().unwrap();
    let bad_magic = temp.path().join("bad.nii");
    let mut corrupted = bytes.clone();
    corrupted[4..8].copy_from_slice(b"n+3\0");
    std::fs::write(&bad_magic, corrupted).unwrap();
    assert_eq!(
        read_image(&bad_magic, "bad.nii").unwrap_err().to_string(),
        "bad.nii: invalid header: magic is [110, 43, 51, 0, 13, 10, 26, 10], expected \"n+2\" (NIfTI-2 single file)"
    );
    let short = temp.path().join("short.nii");
    std::fs::write(&short, &bytes[..400]).unwrap();
    assert_eq!(
        read_image(&short, "short.nii").unwrap_err().to_string(),
        "short.nii: invalid header: file ends after 400 bytes, inside the 540-byte header"
    );
    let cut = temp.path().join("cut.nii");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).unwrap();
    assert!(
        read_image(&cut, "cut.nii")
            .unwrap_err()
            .to_string()
            .starts_with("cut.nii: truncated")
    );
}
