//! DICOM uploads to `POST /v1/predictions`: a series as a zip or as separate parts scores exactly
//! like its NIfTI twin; ambiguous, malicious and broken uploads are 422 problems naming the field.

use std::io::Write;
use std::path::{Path, PathBuf};

use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{clinical, error_fields, spawn_app, spawn_with, study_files, test_settings};
use crate::reference::{read_json, reference_dir};

/// The DICOM files of one reference series, in name order.
pub fn series_files(reference: &Path, series: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(reference.join("dicom").join(series))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// A deflated zip of `(name, bytes)` entries.
pub fn zip_bytes(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        writer.start_file(name.as_str(), options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// The series zipped below a folder, as a PACS export would be.
pub fn series_zip(files: &[PathBuf]) -> Vec<u8> {
    let entries: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|f| {
            let name = format!("export/{}", f.file_name().unwrap().to_string_lossy());
            (name, std::fs::read(f).unwrap())
        })
        .collect();
    zip_bytes(&entries)
}

/// A form with the given image parts, the mask file and the standard clinical inputs.
pub fn dicom_form(images: Vec<Vec<u8>>, mask: &Path) -> Form {
    let mut form = Form::new();
    for (i, image) in images.into_iter().enumerate() {
        form = form.part("image", Part::bytes(image).file_name(format!("IM_{i}.dcm")));
    }
    form.part(
        "mask",
        Part::bytes(std::fs::read(mask).unwrap()).file_name("mask.nii.gz"),
    )
    .text("clinical", clinical().to_string())
}

fn read_all(files: &[PathBuf]) -> Vec<Vec<u8>> {
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

#[tokio::test]
async fn a_dicom_series_as_a_zip_and_as_separate_parts_scores_exactly_like_its_nifti_twin() {
    let Some(reference) = reference_dir() else { return };
    // roundtrip.json names the NIfTI case each DICOM series was written from and its DICOM-grid mask.
    let roundtrip = read_json(&reference, "dicom/roundtrip.json");
    let entry = roundtrip
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["case"] == "brain1")
        .expect("brain1 is in roundtrip.json");
    let twin = entry["source_case"].as_str().unwrap();
    let dicom_mask = reference.join(entry["mask"].as_str().unwrap());
    let files = series_files(&reference, "brain1");
    assert_eq!(files.len(), entry["n_files"].as_u64().unwrap() as usize);
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path()).await;

    let (status, zipped) = app.predict(dicom_form(vec![series_zip(&files)], &dicom_mask)).await;
    assert_eq!(status, 201, "zip: {zipped}");
    let (status, parts) = app.predict(dicom_form(read_all(&files), &dicom_mask)).await;
    assert_eq!(status, 201, "parts: {parts}");
    let nifti_form = dicom_form(
        vec![std::fs::read(reference.join(format!("cases/{twin}_image.nii.gz"))).unwrap()],
        &reference.join(format!("cases/{twin}_label.nii.gz")),
    );
    let (status, nifti) = app.predict(nifti_form).await;
    assert_eq!(status, 201, "nifti: {nifti}");

    // Same voxels, same features, same summation order for these integer sums: bit-identical.
    for body in [&zipped, &parts] {
        assert_eq!(body["probability"], nifti["probability"], "{body}");
        assert_eq!(body["rad_score"], nifti["rad_score"]);
        assert_eq!(body["contributions"], nifti["contributions"]);
        assert!(
            body["series_uid_hash"].as_str().is_some_and(|h| h.len() == 64),
            "{body}"
        );
    }
    assert_eq!(zipped["series_uid_hash"], parts["series_uid_hash"]);
    assert_eq!(zipped["study_uid_hash"], parts["study_uid_hash"]);
    assert_eq!(nifti["series_uid_hash"], Value::Null);
    assert_eq!(nifti["study_uid_hash"], Value::Null);
}

#[tokio::test]
async fn several_series_without_series_uid_are_a_422_listing_each_series_and_series_uid_chooses() {
    let Some(reference) = reference_dir() else { return };
    let brain = series_files(&reference, "brain1");
    let rescaled = series_files(&reference, "brain1_rescaled");
    let mask = reference.join("dicom/brain1_label.nii.gz");
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path()).await;
    let mut mixed = read_all(&brain);
    mixed.push(std::fs::read(&rescaled[0]).unwrap());

    let (status, problem) = app.predict(dicom_form(mixed.clone(), &mask)).await;

    assert_eq!(status, 422, "{problem}");
    assert_eq!(error_fields(&problem), ["series_uid"]);
    let mut listed: Vec<(String, usize)> = problem["series"]
        .as_array()
        .expect("the problem lists the series")
        .iter()
        .map(|s| {
            assert_eq!(s["modality"], "MR", "{s}");
            (
                s["description"].as_str().unwrap().to_owned(),
                s["slices"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            (
                "pyradiomics test case brain1 (synthetic DICOM export)".to_owned(),
                brain.len()
            ),
            (
                "pyradiomics test case brain1_rescaled (synthetic DICOM export)".to_owned(),
                1
            ),
        ]
    );
    let brain_uid = problem["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["slices"] == brain.len())
        .and_then(|s| s["uid"].as_str())
        .unwrap()
        .to_owned();

    let (status, chosen) = app
        .predict(dicom_form(mixed, &mask).text("series_uid", brain_uid.clone()))
        .await;
    assert_eq!(status, 201, "{chosen}");
    let (status, alone) = app.predict(dicom_form(read_all(&brain), &mask)).await;
    assert_eq!(status, 201, "{alone}");
    assert_eq!(chosen["probability"], alone["probability"]);

    let (status, problem) = app
        .predict(dicom_form(read_all(&brain), &mask).text("series_uid", "1.2.3.4"))
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(error_fields(&problem), ["series_uid"]);
    assert_eq!(problem["series"][0]["uid"], brain_uid.as_str());
}

/// Each bad upload with the field its problem must name and a phrase of the message.
struct Case {
    description: &'static str,
    form: Form,
    field: &'static str,
    phrase: &'static str,
}

fn synthetic_mask() -> Vec<u8> {
    study_files().1
}

fn form_with_image(image: Vec<u8>) -> Form {
    Form::new()
        .part("image", Part::bytes(image).file_name("upload.zip"))
        .part("mask", Part::bytes(synthetic_mask()).file_name("mask.nii.gz"))
        .text("clinical", clinical().to_string())
}

#[tokio::test]
async fn zip_bombs_path_traversal_entry_limits_and_truncated_dicom_are_422_problems_naming_the_image() {
    let Some(reference) = reference_dir() else { return };
    let files = series_files(&reference, "brain1");
    let slice = std::fs::read(&files[0]).unwrap();
    let next = std::fs::read(&files[1]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path());
    settings.zip_limits.max_entries = 3;
    let app = spawn_with(settings).await;
    let (image, _) = study_files();
    let cases = vec![
        Case {
            description: "a zip bomb",
            form: form_with_image(zip_bytes(&[("zeros.dcm".into(), vec![0u8; 4 << 20])])),
            field: "image",
            phrase: "image: entry zeros.dcm expands more than 200× its compressed size (zip bomb?)",
        },
        Case {
            description: "path traversal",
            form: form_with_image(zip_bytes(&[("../evil.dcm".into(), slice.clone())])),
            field: "image",
            phrase: "image: entry name \"../evil.dcm\" would be extracted outside the archive folder",
        },
        Case {
            description: "more entries than the configured limit",
            form: form_with_image(zip_bytes(
                &(0..4).map(|i| (format!("{i}.dcm"), slice.clone())).collect::<Vec<_>>(),
            )),
            field: "image",
            phrase: "image: zip has 4 entries, more than the limit of 3",
        },
        Case {
            description: "more image parts than the entry limit",
            form: dicom_form(vec![slice.clone(); 4], &reference.join("dicom/brain1_label.nii.gz")),
            field: "image",
            phrase: "more than 3 image parts",
        },
        Case {
            description: "a truncated DICOM file",
            form: form_with_image(slice[..slice.len() / 2].to_vec()),
            field: "image",
            phrase: "image: not a readable DICOM file",
        },
        Case {
            description: "a truncated DICOM file among parts",
            form: dicom_form(
                vec![slice.clone(), next[..next.len() / 2].to_vec()],
                &reference.join("dicom/brain1_label.nii.gz"),
            ),
            field: "image",
            phrase: "image/1: not a readable DICOM file",
        },
        Case {
            description: "a NIfTI volume among DICOM parts",
            form: dicom_form(
                vec![slice.clone(), image.clone()],
                &reference.join("dicom/brain1_label.nii.gz"),
            ),
            field: "image",
            phrase: "part 2 of 2 is not a DICOM file",
        },
        Case {
            description: "a zip without DICOM files",
            form: form_with_image(zip_bytes(&[("notes.txt".into(), b"no images here".to_vec())])),
            field: "image",
            phrase: "no DICOM image series found among 0 file(s)",
        },
    ];
    let mut failures = Vec::new();
    for case in cases {
        let (status, problem) = app.predict(case.form).await;
        let message = problem["errors"][0]["message"].as_str().unwrap_or_default().to_owned();
        if status != 422 || error_fields(&problem) != [case.field] || !message.contains(case.phrase) {
            failures.push(format!("{}: got {status} {problem}", case.description));
        }
        assert!(
            !message.contains("radscore-upload-"),
            "{}: temporary path in {message}",
            case.description
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn a_dicom_series_with_a_seg_mask_scores_exactly_like_with_its_nifti_label() {
    let Some(reference) = reference_dir() else { return };
    // The SEG was written from dicom/brain1_label.nii.gz (scripts/reference/seg_fixtures.py), frames
    // shuffled and only the tumour's slices present.
    let seg = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dicom/seg/brain1_seg_shuffled.dcm");
    let files = series_files(&reference, "brain1");
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path()).await;

    let (status, with_seg) = app.predict(dicom_form(vec![series_zip(&files)], &seg)).await;
    let (label_status, with_label) = app
        .predict(dicom_form(
            vec![series_zip(&files)],
            &reference.join("dicom/brain1_label.nii.gz"),
        ))
        .await;

    assert_eq!(status, 201, "seg: {with_seg}");
    assert_eq!(label_status, 201, "label: {with_label}");
    assert_eq!(with_seg["probability"], with_label["probability"]);
    assert_eq!(with_seg["contributions"], with_label["contributions"]);
    assert_eq!(with_seg["series_uid_hash"], with_label["series_uid_hash"]);
}
