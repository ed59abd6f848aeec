//! `POST /v1/predictions` and `GET /v1/predictions/{id}` over real HTTP.

use radscore::imaging::{Geometry, NiftiDatatype};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{
    clinical, error_fields, form, lesion_volumes, model_json, nifti_bytes, spawn_app, spawn_with, study_files,
    study_geometry, test_settings, valid_form,
};

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Mean of the lesion voxels, computed here from the volumes the test wrote.
fn lesion_mean() -> f64 {
    let (image, mask) = lesion_volumes(&study_geometry());
    let values: Vec<f64> = image
        .voxels
        .iter()
        .zip(mask.voxels.iter())
        .filter(|(_, m)| **m == 1.0)
        .map(|(v, _)| *v)
        .collect();
    values.iter().sum::<f64>() / values.len() as f64
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[tokio::test]
async fn a_valid_upload_is_scored_stored_and_readable_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path()).await;

    let (status, body) = app.predict(valid_form()).await;

    assert_eq!(status, 201, "{body}");
    let probability = body["probability"].as_f64().expect("probability is a number");
    assert!((0.0..=1.0).contains(&probability), "{probability}");
    let cutoff = body["cutoff"].as_f64().unwrap();
    assert_eq!(cutoff, 0.55);
    let expected_group = if probability < cutoff { "high" } else { "low" };
    assert_eq!(body["risk_group"], expected_group);
    assert_eq!(body["model"]["name"], "test-firstorder");
    assert_eq!(body["model"]["version"], "1.0.0");
    assert!(body["model"]["digest"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(body["research_use_only"], true);
    // NIfTI input has no DICOM UIDs to hash; the test model records no survival medians.
    assert_eq!(body["study_uid_hash"], Value::Null);
    assert_eq!(body["series_uid_hash"], Value::Null);
    assert_eq!(body["risk_group_survival"], Value::Null);

    // The chain end to end: the Mean the server extracted is the lesion mean of the volume we
    // wrote, and the probability is the model's formula applied to the reported contributions.
    let contributions = body["contributions"].as_array().unwrap();
    let find = |name: &str| {
        contributions
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let mean = find("original_firstorder_Mean")["value"].as_f64().unwrap();
    assert!(
        close(mean, lesion_mean()),
        "Mean {mean} vs lesion mean {}",
        lesion_mean()
    );
    let model = model_json();
    let rad_score = model["rad_score_intercept"].as_f64().unwrap()
        + model["radiomic_features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let value = find(f["name"].as_str().unwrap())["value"].as_f64().unwrap();
                f["coefficient"].as_f64().unwrap() * (value - f["mean"].as_f64().unwrap()) / f["sd"].as_f64().unwrap()
            })
            .sum::<f64>();
    assert!(close(body["rad_score"].as_f64().unwrap(), rad_score));
    // intercept + 1.2·rad_score − 0.2·(63 − 60)/10 − 0.7·[B] − 0.5·(1 − 0.3)
    let logit = 0.4 + 1.2 * rad_score - 0.2 * 0.3 - 0.7 - 0.5 * 0.7;
    assert!(
        close(probability, sigmoid(logit)),
        "{probability} vs {}",
        sigmoid(logit)
    );

    let id = body["id"].as_str().unwrap();
    let (status, stored) = app.get(&format!("/v1/predictions/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(stored, body, "GET returns exactly what POST returned");
}

#[tokio::test]
async fn the_stored_record_holds_upload_hashes_inputs_and_the_model_digest() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path()).await;
    let (image, mask) = study_files();
    let (status, created) = app.predict(valid_form()).await;
    assert_eq!(status, 201, "{created}");
    app.stop().await;

    let store = radscore::store::Store::connect(&format!("sqlite://{}", dir.path().join("radscore.db").display()))
        .await
        .unwrap();
    let id = uuid::Uuid::parse_str(created["id"].as_str().unwrap()).unwrap();
    let record = store.get_prediction(id).await.unwrap().expect("record exists");

    let sha256 = |bytes: &[u8]| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
    assert_eq!(record.image_sha256, sha256(&image));
    assert_eq!(record.mask_sha256, sha256(&mask));
    assert_eq!(record.clinical, clinical());
    assert_eq!(record.label, 1);
    assert_eq!(record.model_digest, created["model"]["digest"].as_str().unwrap());
    assert!(record.timings.total_ms >= record.timings.extraction_ms + record.timings.scoring_ms);
}

#[tokio::test]
async fn a_record_is_still_readable_after_a_restart_on_the_same_database() {
    let dir = tempfile::tempdir().unwrap();
    let first = spawn_app(dir.path()).await;
    let (status, created) = first.predict(valid_form()).await;
    assert_eq!(status, 201, "{created}");
    first.stop().await;

    let second = spawn_app(dir.path()).await;
    let (status, stored) = second
        .get(&format!("/v1/predictions/{}", created["id"].as_str().unwrap()))
        .await;

    assert_eq!(status, 200);
    assert_eq!(stored, created);
}

/// Each bad request with the status and the problem fields it must name.
struct Case {
    description: &'static str,
    form: Form,
    status: u16,
    fields: &'static [&'static str],
}

fn with_text(form: Form, name: &'static str, value: &str) -> Form {
    form.text(name, value.to_owned())
}

fn other_grid() -> Geometry {
    let mut g = study_geometry();
    g.spacing[2] = 2.0;
    g
}

fn cases() -> Vec<Case> {
    let (image, mask) = study_files();
    let (_, empty_mask) = {
        let (i, mut m) = lesion_volumes(&study_geometry());
        m.voxels.fill(0.0);
        (i, m)
    };
    let (_, shifted_mask) = lesion_volumes(&other_grid());
    let clinical_text = clinical().to_string();
    let full = || form(Some(image.clone()), Some(mask.clone()), Some(clinical_text.clone()));
    vec![
        Case {
            description: "every missing part is named",
            form: with_text(Form::new(), "label", "1"),
            status: 422,
            fields: &["image", "mask", "clinical"],
        },
        Case {
            description: "a missing mask is named",
            form: form(Some(image.clone()), None, Some(clinical_text.clone())),
            status: 422,
            fields: &["mask"],
        },
        Case {
            description: "missing, unknown and out-of-range clinical fields are each named",
            form: form(
                Some(image.clone()),
                Some(mask.clone()),
                Some(r#"{"age": 140, "smoker": true, "pvtt": "yes"}"#.into()),
            ),
            status: 422,
            fields: &[
                "clinical.smoker",
                "clinical.age",
                "clinical.child_pugh",
                "clinical.pvtt",
            ],
        },
        Case {
            description: "clinical that is not JSON",
            form: form(Some(image.clone()), Some(mask.clone()), Some("{age: 63".into())),
            status: 422,
            fields: &["clinical"],
        },
        Case {
            description: "clinical that is a JSON array",
            form: form(Some(image.clone()), Some(mask.clone()), Some("[63]".into())),
            status: 422,
            fields: &["clinical"],
        },
        Case {
            description: "an image that is not a volume",
            form: form(
                Some(b"not an image at all".to_vec()),
                Some(mask.clone()),
                Some(clinical_text.clone()),
            ),
            status: 422,
            fields: &["image"],
        },
        Case {
            description: "a truncated mask",
            form: form(
                Some(image.clone()),
                Some(mask[..mask.len() / 2].to_vec()),
                Some(clinical_text.clone()),
            ),
            status: 422,
            fields: &["mask"],
        },
        Case {
            description: "a mask on another grid",
            form: form(
                Some(image.clone()),
                Some(nifti_bytes(&shifted_mask, NiftiDatatype::U8)),
                Some(clinical_text.clone()),
            ),
            status: 422,
            fields: &["mask"],
        },
        Case {
            description: "an empty mask",
            form: form(
                Some(image.clone()),
                Some(nifti_bytes(&empty_mask, NiftiDatatype::U8)),
                Some(clinical_text.clone()),
            ),
            status: 422,
            fields: &["label"],
        },
        Case {
            description: "a label absent from the mask",
            form: with_text(full(), "label", "2"),
            status: 422,
            fields: &["label"],
        },
        Case {
            description: "a label that is not an integer",
            form: with_text(full(), "label", "lesion"),
            status: 422,
            fields: &["label"],
        },
        Case {
            description: "a series_uid that is not a UID",
            form: with_text(full(), "series_uid", "1.2.3; DROP TABLE"),
            status: 422,
            fields: &["series_uid"],
        },
        Case {
            description: "a series_uid for a NIfTI volume",
            form: with_text(full(), "series_uid", "1.2.3"),
            status: 422,
            fields: &["image"],
        },
        Case {
            description: "a volume index beyond a 3-D image",
            form: with_text(full(), "volume", "1"),
            status: 422,
            fields: &["volume"],
        },
        Case {
            description: "a volume index that is not a number",
            form: with_text(full(), "volume", "-1"),
            status: 422,
            fields: &["volume"],
        },
        Case {
            description: "an roi for a label-volume mask",
            form: with_text(full(), "roi", "GTV"),
            status: 422,
            fields: &["roi"],
        },
        Case {
            description: "an unknown part",
            form: full().part("notes", Part::text("x")),
            status: 422,
            fields: &["notes"],
        },
        Case {
            description: "an unknown model",
            form: with_text(full(), "model", "no-such-model"),
            status: 404,
            fields: &[],
        },
        Case {
            description: "an unknown version",
            form: with_text(full(), "model", "test-firstorder@9.9.9"),
            status: 404,
            fields: &[],
        },
    ]
}

#[tokio::test]
async fn every_bad_upload_gets_its_status_and_a_problem_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path()).await;
    let mut failures = Vec::new();

    for case in cases() {
        let (status, body) = app.predict(case.form).await;

        let fields = error_fields(&body);
        let missing: Vec<_> = case.fields.iter().filter(|f| !fields.iter().any(|g| g == *f)).collect();
        let well_formed = body["status"] == case.status
            && body["type"].as_str().is_some_and(|t| !t.is_empty())
            && body["title"].is_string()
            && body["detail"].is_string();
        if status != case.status || !missing.is_empty() || !well_formed {
            failures.push(format!(
                "{}: got {status}, want {}; missing fields {missing:?}; body {body}",
                case.description, case.status
            ));
        }
    }

    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The server keeps serving after every error class.
    let (status, body) = app.predict(valid_form()).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn a_body_that_is_not_multipart_is_a_400_problem() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path()).await;

    let response = app
        .client
        .post(format!("{}/v1/predictions", app.address))
        .header("content-type", "application/json")
        .body(r#"{"clinical": {}}"#)
        .send()
        .await
        .unwrap();
    let (status, body) = crate::helpers::split(response).await;

    assert_eq!(status, 400, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("multipart"), "{body}");
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_problem_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path());
    settings.max_body_bytes = 16 * 1024;
    let app = spawn_with(settings).await;
    let big = vec![0u8; 64 * 1024];

    let (status, body) = app.predict(form(Some(big), None, Some(clinical().to_string()))).await;

    assert_eq!(status, 413, "{body}");
    assert_eq!(body["status"], 413);
    let (status, _) = app.get("/healthz").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn unknown_and_malformed_prediction_ids_are_404_problems() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path()).await;

    for id in ["3f2b8c1e-5d4a-4e8b-9c7d-0a1b2c3d4e5f", "not-a-uuid"] {
        let (status, body) = app.get(&format!("/v1/predictions/{id}")).await;
        assert_eq!(status, 404, "{id}: {body}");
        assert_eq!(body["status"], 404);
    }
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_get_problem_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path()).await;

    let (status, body) = app.get("/v2/nothing").await;
    assert_eq!(status, 404, "{body}");
    let response = app
        .client
        .delete(format!("{}/v1/models", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET,HEAD");
    let (status, body) = crate::helpers::split(response).await;
    assert_eq!(status, 405, "{body}");
    assert_eq!(body["status"], Value::from(405));
}
