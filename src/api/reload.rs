//! The served model set and its reload without restart: on `POST /v1/admin/reload`, on SIGHUP, and
//! when a poll of the model folder (every `model_reload_secs`) sees a file added, changed or removed.
//!
//! A reload loads and checks the whole folder into a new registry and swaps it in only when every
//! artifact is valid, so a broken new file is logged (and reported to the admin caller) while the
//! working set keeps serving. In-flight requests keep the model they selected (`Arc`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use axum::routing::post;
use serde::Serialize;

use super::{AppState, Error, Route, StartupError, extraction};
use crate::model::Registry;

/// Routes of this module.
pub(super) fn routes() -> Vec<Route> {
    vec![(Method::POST, "/v1/admin/reload", post(reload_route))]
}

/// Loads every artifact of `dir` and checks that the engine can apply each one's radiomics
/// parameters, so a model that cannot serve is refused when loaded rather than on each request.
pub(super) fn load_checked(dir: &Path, default: Option<&str>) -> Result<Registry, StartupError> {
    let registry = Registry::load_dir(dir, default)?;
    for (_, versions) in registry.models() {
        for m in versions {
            extraction::model_params(&m.artifact).map_err(|e| StartupError::ModelParams {
                model: format!("{}@{}", m.artifact.name, m.artifact.version),
                message: e.to_string(),
            })?;
        }
    }
    Ok(registry)
}

/// What a poll compares: each `*.json` file's name, size and modification time.
type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

fn fingerprint(dir: &Path) -> Fingerprint {
    let mut files: Fingerprint = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            Some((e.path(), meta.len(), meta.modified().ok()))
        })
        .collect();
    files.sort();
    files
}

/// The models being served, swappable as a whole.
pub struct Models {
    dir: PathBuf,
    default: Option<String>,
    current: RwLock<Arc<Registry>>,
    /// The folder as last loaded (or last found broken); also serialises reloads.
    seen: tokio::sync::Mutex<Fingerprint>,
}

/// The model set after a reload.
#[derive(Debug, Serialize)]
pub struct Reloaded {
    /// The default selector.
    pub default: String,
    /// `name@version` of every loaded model.
    pub models: Vec<String>,
}

impl Models {
    /// Loads and checks the folder (start-up: any error stops the server).
    pub(super) fn load(dir: &Path, default: Option<&str>) -> Result<Models, StartupError> {
        let seen = fingerprint(dir);
        let registry = load_checked(dir, default)?;
        Ok(Models {
            dir: dir.to_owned(),
            default: default.map(str::to_owned),
            current: RwLock::new(Arc::new(registry)),
            seen: tokio::sync::Mutex::new(seen),
        })
    }

    /// The registry serving now.
    pub fn current(&self) -> Arc<Registry> {
        // A poisoned lock still holds a complete registry: swaps replace the Arc in one step.
        Arc::clone(&self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Reloads the folder; on any error the current set stays and the error is returned.
    pub async fn reload(self: &Arc<Models>) -> Result<Reloaded, StartupError> {
        let mut seen = self.seen.lock().await;
        self.reload_locked(&mut seen).await
    }

    /// Reloads when the folder changed since the last reload; `None` when it did not.
    async fn reload_if_changed(self: &Arc<Models>) -> Option<Result<Reloaded, StartupError>> {
        let mut seen = self.seen.lock().await;
        let dir = self.dir.clone();
        let now = tokio::task::spawn_blocking(move || fingerprint(&dir)).await.ok()?;
        (now != *seen).then_some(())?;
        Some(self.reload_locked(&mut seen).await)
    }

    async fn reload_locked(self: &Arc<Models>, seen: &mut Fingerprint) -> Result<Reloaded, StartupError> {
        let models = Arc::clone(self);
        let (now, loaded) = tokio::task::spawn_blocking(move || {
            let now = fingerprint(&models.dir);
            (now, load_checked(&models.dir, models.default.as_deref()))
        })
        .await
        .map_err(|e| StartupError::Reload(format!("reload task failed: {e}")))?;
        // Remembered even when broken, so a poll reports a broken file once, not every interval.
        *seen = now;
        match loaded {
            Ok(registry) => {
                let reloaded = Reloaded {
                    default: registry.default_selector().to_owned(),
                    models: registry
                        .models()
                        .flat_map(|(_, versions)| {
                            versions
                                .iter()
                                .map(|m| format!("{}@{}", m.artifact.name, m.artifact.version))
                        })
                        .collect(),
                };
                *self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(registry);
                tracing::info!(models = ?reloaded.models, default = %reloaded.default, "models reloaded");
                Ok(reloaded)
            }
            Err(e) => {
                tracing::error!(error = %e, "model reload failed; still serving the previous models");
                Err(e)
            }
        }
    }

    /// Polls the folder every `interval` until the task is aborted.
    pub(super) async fn poll(self: Arc<Models>, interval: Duration) {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            // Errors are logged by the reload itself.
            let _ = self.reload_if_changed().await;
        }
    }

    /// Reloads on every SIGHUP until the task is aborted.
    #[cfg(unix)]
    pub(super) async fn reload_on_sighup(self: Arc<Models>) {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; reload with POST /v1/admin/reload");
            return;
        };
        while hangups.recv().await.is_some() {
            tracing::info!("SIGHUP received; reloading models");
            let _ = self.reload().await;
        }
    }
}

/// `POST /v1/admin/reload`: 200 with the new set, or 409 naming the broken artifact (the previous
/// set keeps serving).
async fn reload_route(State(state): State<AppState>) -> Result<Json<Reloaded>, Error> {
    state
        .models
        .reload()
        .await
        .map(Json)
        .map_err(|e| Error::Conflict(format!("models not reloaded, the previous set keeps serving: {e}")))
}
