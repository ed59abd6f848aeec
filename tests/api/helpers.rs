//! A real server on an ephemeral port with a fresh SQLite file, the test model and synthetic volumes.

use std::path::{Path, PathBuf};

use radscore::api::Application;
use radscore::config::Settings;
use radscore::imaging::{Geometry, NiftiDatatype, Volume, write_nifti_gz};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use tokio::sync::oneshot;

/// Folder holding the test model (`test-firstorder@1.0.0`).
pub fn model_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models")
}

/// The test model's artifact as JSON, for recomputing expected scores.
pub fn model_json() -> Value {
    let text = std::fs::read_to_string(model_dir().join("test-firstorder.json")).expect("test model is readable");
    serde_json::from_str(&text).expect("test model is JSON")
}

/// Every log line of this test binary, at debug level, so a test can check what was logged.
static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

/// Appends to [`LOGS`]; also echoes to stdout when `TEST_LOG` is set.
struct CapturedLogs;

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOGS.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(bytes);
        if std::env::var_os("TEST_LOG").is_some() {
            std::io::stdout().write_all(bytes)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything logged so far by every server of this test binary.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(std::sync::PoisonError::into_inner)).into_owned()
}

/// Logs go to [`captured_logs`] (the first server installs the subscriber for the whole binary).
fn init_logging(settings: &Settings) {
    radscore::api::telemetry::init(settings.log_format, "debug", || CapturedLogs);
}

/// Settings from the real configuration, with port 0, a database in `dir` and the test models.
pub fn test_settings(dir: &Path) -> Settings {
    let mut settings = Settings::load(None).expect("configuration loads");
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings.database_url = format!("sqlite://{}", dir.join("radscore.db").display());
    settings.model_dir = model_dir();
    settings.default_model = None;
    settings
}

/// A running server.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// HTTP client.
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    /// GETs `path` and returns status and JSON body.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request is sent");
        split(response).await
    }

    /// POSTs a prediction form.
    pub async fn predict(&self, form: Form) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}/v1/predictions", self.address))
            .multipart(form)
            .send()
            .await
            .expect("request is sent");
        split(response).await
    }

    /// Stops the server gracefully and waits until it has closed its database.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task joins").expect("server stops cleanly");
        }
    }
}

/// Status and JSON body of a response; asserts every error body is problem+json.
pub async fn split(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.text().await.expect("body is read");
    if status >= 400 {
        assert_eq!(content_type, "application/problem+json", "status {status} body {body}");
    }
    let json = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, json)
}

/// Starts a server with `settings`.
pub async fn spawn_with(settings: Settings) -> TestApp {
    init_logging(&settings);
    let app = Application::build(settings).await.expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let (stop, stopped) = oneshot::channel();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    TestApp {
        address,
        client: reqwest::Client::new(),
        stop: Some(stop),
        server: Some(server),
    }
}

/// Starts a server on a fresh database inside `dir`.
pub async fn spawn_app(dir: &Path) -> TestApp {
    spawn_with(test_settings(dir)).await
}

/// The grid of the synthetic study: anisotropic like an axial MR series, oblique-free.
pub fn study_geometry() -> Geometry {
    Geometry {
        size: [24, 20, 10],
        spacing: [0.9, 0.9, 3.0],
        origin: [-10.0, 20.0, 5.0],
        direction: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
    }
}

/// An ellipsoid lesion brighter than the liver, both with Gaussian noise (fixed seed), and its mask.
pub fn lesion_volumes(geometry: &Geometry) -> (Volume<f64>, Volume<f64>) {
    let [nx, ny, nz] = geometry.size;
    let centre = [nx as f64 / 2.0, ny as f64 / 2.0, nz as f64 / 2.0];
    let radii = [nx as f64 / 4.0, ny as f64 / 4.0, nz as f64 / 3.0];
    let inside = |z: usize, y: usize, x: usize| {
        let d = |i: usize, a: usize| (i as f64 - centre[a]) / radii[a];
        d(x, 0).powi(2) + d(y, 1).powi(2) + d(z, 2).powi(2) <= 1.0
    };
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let noise = Normal::new(0.0, 20.0).unwrap();
    let image = ndarray::Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| {
        let base: f64 = if inside(z, y, x) { 300.0 } else { 120.0 };
        // Rounded because the image is written as int16; the test's expectations use the same values.
        (base + noise.sample(&mut rng)).round()
    });
    let mask = ndarray::Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| f64::from(u8::from(inside(z, y, x))));
    (
        Volume::new(geometry.clone(), image),
        Volume::new(geometry.clone(), mask),
    )
}

/// Bytes of `volume` as a gzipped NIfTI-1 file.
pub fn nifti_bytes(volume: &Volume<f64>, datatype: NiftiDatatype) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("volume.nii.gz");
    write_nifti_gz(&path, volume, datatype).expect("volume is written");
    std::fs::read(path).unwrap()
}

/// The synthetic study's image and mask files.
pub fn study_files() -> (Vec<u8>, Vec<u8>) {
    let (image, mask) = lesion_volumes(&study_geometry());
    (
        nifti_bytes(&image, NiftiDatatype::I16),
        nifti_bytes(&mask, NiftiDatatype::U8),
    )
}

/// Valid clinical inputs for the test model.
pub fn clinical() -> Value {
    serde_json::json!({"age": 63, "child_pugh": "B", "pvtt": true})
}

/// A complete, valid prediction form.
pub fn valid_form() -> Form {
    let (image, mask) = study_files();
    form(Some(image), Some(mask), Some(clinical().to_string()))
}

/// A form with the given parts (absent when `None`).
pub fn form(image: Option<Vec<u8>>, mask: Option<Vec<u8>>, clinical: Option<String>) -> Form {
    let mut form = Form::new();
    if let Some(image) = image {
        form = form.part("image", Part::bytes(image).file_name("image.nii.gz"));
    }
    if let Some(mask) = mask {
        form = form.part("mask", Part::bytes(mask).file_name("mask.nii.gz"));
    }
    if let Some(clinical) = clinical {
        form = form.text("clinical", clinical);
    }
    form
}

/// The `field` names of a problem's `errors`.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
