//! `GET /v1/models`, `GET /v1/models/{name}`, health and readiness.

use radscore::model::ClinicalInput;

use crate::helpers::{model_json, spawn_app};

#[tokio::test]
async fn the_model_list_names_the_loaded_model_and_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path()).await;

    let (status, body) = app.get("/v1/models").await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["default"], "test-firstorder");
    assert_eq!(body["models"][0]["name"], "test-firstorder");
    assert_eq!(body["models"][0]["versions"], serde_json::json!(["1.0.0"]));
}

/// Compared as typed inputs: JSON `18` and `18.0` are the same minimum.
fn inputs(document: &serde_json::Value) -> Vec<ClinicalInput> {
    serde_json::from_value(document["clinical_inputs"].clone()).expect("clinical_inputs parse")
}

#[tokio::test]
async fn a_model_is_described_with_its_clinical_input_schema_and_versions() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path()).await;
    let artifact = model_json();

    for selector in ["test-firstorder", "test-firstorder@1.0.0"] {
        let (status, body) = app.get(&format!("/v1/models/{selector}")).await;

        assert_eq!(status, 200, "{selector}: {body}");
        assert_eq!(inputs(&body), inputs(&artifact), "{selector}");
        assert_eq!(body["cutoff"], artifact["cutoff"]);
        assert_eq!(body["versions"][0]["version"], "1.0.0");
        assert_eq!(body["versions"][0]["training"], artifact["training"]);
        assert_eq!(
            body["radiomic_features"],
            serde_json::json!(["original_firstorder_Mean", "original_firstorder_Entropy"])
        );
    }
}

#[tokio::test]
async fn an_unknown_model_is_a_404_problem_listing_the_loaded_ones() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path()).await;

    let (status, body) = app.get("/v1/models/nope").await;

    assert_eq!(status, 404, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("test-firstorder@1.0.0"),
        "{body}"
    );
}

#[tokio::test]
async fn health_and_readiness_answer_ok() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path()).await;

    let (status, body) = app.get("/healthz").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, body) = app.get("/readyz").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
}

#[tokio::test]
async fn a_broken_artifact_stops_the_server_from_starting() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    let broken = model_json().to_string().replace("\"cutoff\":0.55", "\"cutoff\":-1");
    std::fs::write(models.join("broken.json"), broken).unwrap();
    let mut settings = crate::helpers::test_settings(dir.path());
    settings.model_dir = models;

    let error = radscore::api::Application::build(settings)
        .await
        .err()
        .expect("startup fails");

    let message = error.to_string();
    assert!(
        message.contains("broken.json") && message.contains("cutoff"),
        "{message}"
    );
}
