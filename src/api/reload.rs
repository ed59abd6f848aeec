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
use axum::http::{HeaderMap, Method, header};
use axum::routing::post;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{AppState, Error, Route, StartupError, extraction};
use crate::config::{ADMIN_TOKEN_VAR, Secret};
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
/// set keeps serving); 401/403 when the caller is not the admin (see [`authorize_admin`]).
async fn reload_route(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Reloaded>, Error> {
    authorize_admin(state.settings.admin_token.as_ref(), &headers)?;
    state
        .models
        .reload()
        .await
        .map(Json)
        .map_err(|e| Error::Conflict(format!("models not reloaded, the previous set keeps serving: {e}")))
}

/// Admits a request whose `Authorization: Bearer` token equals `configured`: 403 when no token is
/// configured (the admin API is off), 401 when the header is missing, malformed or wrong. Neither
/// token is ever put in an error or a log line.
fn authorize_admin(configured: Option<&Secret>, headers: &HeaderMap) -> Result<(), Error> {
    let Some(configured) = configured else {
        return Err(Error::Forbidden(format!(
            "the admin API is disabled: set {ADMIN_TOKEN_VAR} (admin_token, at least 16 characters) to enable it"
        )));
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .ok_or_else(|| Error::Unauthorized("an Authorization: Bearer <admin token> header is required".into()))?;
    if tokens_match(presented, configured.expose()) {
        Ok(())
    } else {
        Err(Error::Unauthorized("the bearer token is not the admin token".into()))
    }
}

/// The token of an `Authorization` value `Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Compares SHA-256 digests rather than the tokens: both digests have the same length whatever the
/// tokens are, and where they first differ says nothing about where the tokens do, so the time
/// taken leaks neither the token's length nor a matching prefix.
fn tokens_match(presented: &str, configured: &str) -> bool {
    Sha256::digest(presented.as_bytes()) == Sha256::digest(configured.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bearer_token_is_taken_from_its_header_value_and_other_schemes_are_not() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic YWJj"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearerabc"), None);
    }

    #[test]
    fn tokens_match_only_when_equal() {
        assert!(tokens_match("0123456789abcdef", "0123456789abcdef"));
        assert!(!tokens_match("0123456789abcdeF", "0123456789abcdef"));
        assert!(!tokens_match("0123456789abcdef0", "0123456789abcdef"));
    }
}
