//! Serving several model versions: reload without restart (admin route behind its bearer token,
//! folder poll and SIGHUP without one), a broken new artifact refused while the working set keeps
//! serving, and each prediction's training Kaplan–Meier medians for its risk group.

use std::path::Path;
use std::time::Duration;

use radscore::config::Secret;
use serde_json::{Value, json};

use crate::helpers::{TestApp, model_json, spawn_with, test_settings, valid_form};

/// The test model at `version` with `cutoff` and, when given, risk-group survival.
fn artifact(version: &str, cutoff: f64, survival: Option<Value>) -> String {
    let mut model = model_json();
    model["version"] = json!(version);
    model["cutoff"] = json!(cutoff);
    if let Some(survival) = survival {
        model["risk_group_survival"] = survival;
    }
    model.to_string()
}

/// The admin token of the servers that enable the admin API.
const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// A server on its own model folder holding `files`, with the admin API enabled by `admin_token`.
async fn app_with_models(
    dir: &Path,
    files: &[(&str, String)],
    poll: Option<Duration>,
    admin_token: Option<&str>,
) -> TestApp {
    let models = dir.join("models");
    std::fs::create_dir_all(&models).unwrap();
    for (name, text) in files {
        std::fs::write(models.join(name), text).unwrap();
    }
    let mut settings = test_settings(dir);
    settings.model_dir = models;
    settings.model_reload = poll;
    settings.admin_token = admin_token.map(Secret::new);
    spawn_with(settings).await
}

async fn versions(app: &TestApp) -> Value {
    let (status, body) = app.get("/v1/models/test-firstorder").await;
    assert_eq!(status, 200, "{body}");
    body["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].clone())
        .collect()
}

/// `POST /v1/admin/reload` with the admin token.
async fn reload(app: &TestApp) -> (u16, Value) {
    let (status, body, _) = reload_authorized_by(app, Some(&format!("Bearer {ADMIN_TOKEN}"))).await;
    (status, body)
}

/// `POST /v1/admin/reload` with `authorization` as its `Authorization` header: status, body and
/// the `WWW-Authenticate` header.
async fn reload_authorized_by(app: &TestApp, authorization: Option<&str>) -> (u16, Value, Option<String>) {
    let mut request = app.client.post(format!("{}/v1/admin/reload", app.address));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.unwrap();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let (status, body) = crate::helpers::split(response).await;
    (status, body, challenge)
}

#[tokio::test]
async fn an_admin_reload_serves_a_new_version_and_refuses_a_broken_artifact_while_serving_on() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_models(
        dir.path(),
        &[("v1.json", artifact("1.0.0", 0.55, None))],
        None,
        Some(ADMIN_TOKEN),
    )
    .await;
    std::fs::write(dir.path().join("models/v2.json"), artifact("1.1.0", 0.6, None)).unwrap();
    assert_eq!(
        versions(&app).await,
        json!(["1.0.0"]),
        "nothing changes before a reload"
    );

    let (status, body) = reload(&app).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["models"],
        json!(["test-firstorder@1.0.0", "test-firstorder@1.1.0"])
    );
    assert_eq!(versions(&app).await, json!(["1.0.0", "1.1.0"]));
    let (status, scored) = app.predict(valid_form()).await;
    assert_eq!(
        (status, &scored["model"]["version"]),
        (201, &json!("1.1.0")),
        "{scored}"
    );

    std::fs::write(
        dir.path().join("models/v3.json"),
        artifact("1.2.0", 0.6, None).replace("\"cutoff\":0.6", "\"cutoff\":1.6"),
    )
    .unwrap();
    let (status, problem) = reload(&app).await;

    assert_eq!(status, 409, "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("v3.json") && detail.contains("cutoff"), "{detail}");
    assert_eq!(versions(&app).await, json!(["1.0.0", "1.1.0"]), "the working set stays");
    let (status, scored) = app.predict(valid_form()).await;
    assert_eq!(
        (status, &scored["model"]["version"]),
        (201, &json!("1.1.0")),
        "{scored}"
    );
}

#[tokio::test]
async fn an_admin_reload_without_the_right_bearer_token_is_refused_with_401_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_models(
        dir.path(),
        &[("v1.json", artifact("1.0.0", 0.55, None))],
        None,
        Some(ADMIN_TOKEN),
    )
    .await;
    std::fs::write(dir.path().join("models/v2.json"), artifact("1.1.0", 0.6, None)).unwrap();
    // The right token one character short, with one character changed, or under another scheme.
    let wrong = [
        None,
        Some(format!("Bearer {}", &ADMIN_TOKEN[..ADMIN_TOKEN.len() - 1])),
        Some(format!("Bearer {}", ADMIN_TOKEN.replace('t', "T"))),
        Some(format!("Basic {ADMIN_TOKEN}")),
    ];

    for authorization in wrong {
        let (status, problem, challenge) = reload_authorized_by(&app, authorization.as_deref()).await;

        assert_eq!(status, 401, "{authorization:?}: {problem}");
        assert_eq!(problem["type"], "urn:radscore:problem:unauthorized", "{problem}");
        assert_eq!(challenge.as_deref(), Some("Bearer"), "{authorization:?}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("Bearer") || detail.contains("bearer"), "{detail}");
        assert!(
            !problem.to_string().contains("0123456789"),
            "the problem shows a token: {problem}"
        );
    }
    assert_eq!(versions(&app).await, json!(["1.0.0"]), "no refused call reloads");
}

#[tokio::test]
async fn the_admin_reload_is_forbidden_naming_its_variable_when_no_token_is_configured() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_models(dir.path(), &[("v1.json", artifact("1.0.0", 0.55, None))], None, None).await;
    std::fs::write(dir.path().join("models/v2.json"), artifact("1.1.0", 0.6, None)).unwrap();

    for authorization in [None, Some(format!("Bearer {ADMIN_TOKEN}"))] {
        let (status, problem, _) = reload_authorized_by(&app, authorization.as_deref()).await;

        assert_eq!(status, 403, "{authorization:?}: {problem}");
        assert_eq!(problem["type"], "urn:radscore:problem:forbidden", "{problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains("disabled") && detail.contains("RADSCORE_ADMIN_TOKEN"),
            "{detail}"
        );
    }
    assert_eq!(
        versions(&app).await,
        json!(["1.0.0"]),
        "a forbidden call does not reload"
    );
}

/// Waits up to 10 s for the served versions to become `expected`.
async fn wait_for_versions(app: &TestApp, expected: Value) {
    for _ in 0..100 {
        if versions(app).await == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("versions are {} after 10 s, want {expected}", versions(app).await);
}

#[tokio::test]
async fn the_folder_poll_picks_up_a_new_version_and_a_removed_one_without_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_models(
        dir.path(),
        &[("v1.json", artifact("1.0.0", 0.55, None))],
        Some(Duration::from_millis(200)),
        None,
    )
    .await;

    std::fs::write(dir.path().join("models/v2.json"), artifact("2.0.0", 0.55, None)).unwrap();
    wait_for_versions(&app, json!(["1.0.0", "2.0.0"])).await;
    std::fs::remove_file(dir.path().join("models/v1.json")).unwrap();
    wait_for_versions(&app, json!(["2.0.0"])).await;
}

#[cfg(unix)]
#[tokio::test]
async fn sighup_reloads_the_models() {
    use tokio::signal::unix::{SignalKind, signal};
    // Installs tokio's SIGHUP handler for the whole process before any SIGHUP is sent, so the
    // signal can never take the default action (terminating the test binary).
    let _hangups = signal(SignalKind::hangup()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_models(dir.path(), &[("v1.json", artifact("1.0.0", 0.55, None))], None, None).await;
    std::fs::write(dir.path().join("models/v2.json"), artifact("3.0.0", 0.55, None)).unwrap();

    // The server's listener starts with its task; signal until it has reloaded.
    for _ in 0..50 {
        let sent = std::process::Command::new("kill")
            .args(["-HUP", &std::process::id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        tokio::time::sleep(Duration::from_millis(200)).await;
        if versions(&app).await == json!(["1.0.0", "3.0.0"]) {
            return;
        }
    }
    panic!("SIGHUP did not reload the models");
}

#[tokio::test]
async fn each_prediction_returns_the_training_km_medians_of_its_risk_group() {
    let survival = json!({
        "high": {"n": 12, "median_os_months": 8.5, "median_pfs_months": 3.25},
        "low": {"n": 30, "median_os_months": null, "median_pfs_months": 11.0}
    });
    let dir = tempfile::tempdir().unwrap();
    // The same patient is low risk under a cutoff of 0.01 and high risk under 0.99.
    let app = app_with_models(
        dir.path(),
        &[
            ("low.json", artifact("1.0.0", 0.01, Some(survival.clone()))),
            ("high.json", artifact("2.0.0", 0.99, Some(survival.clone()))),
            ("none.json", artifact("3.0.0", 0.5, None)),
        ],
        None,
        None,
    )
    .await;

    for (version, group) in [("1.0.0", "low"), ("2.0.0", "high")] {
        let form = valid_form().text("model", format!("test-firstorder@{version}"));
        let (status, body) = app.predict(form).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["risk_group"], group);
        assert_eq!(body["risk_group_survival"], survival[group], "{version}");
        let (_, stored) = app
            .get(&format!("/v1/predictions/{}", body["id"].as_str().unwrap()))
            .await;
        assert_eq!(stored, body);
    }
    let form = valid_form().text("model", "test-firstorder@3.0.0");
    let (status, body) = app.predict(form).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["risk_group_survival"],
        Value::Null,
        "an artifact without medians gives null"
    );

    let (_, model) = app.get("/v1/models/test-firstorder").await;
    let listed: Vec<&Value> = model["versions"].as_array().unwrap().iter().collect();
    assert_eq!(listed[0]["risk_group_survival"], survival);
    assert_eq!(listed[0]["cutoff"], 0.01);
    assert_eq!(listed[2]["risk_group_survival"], Value::Null);
}
