//! The REST service: routes, shared state, middleware and the [`Application`] that serves them.
//!
//! Each submodule exposes a `router()`; [`router`] merges them and wraps the result in
//! [`with_service_layers`], which `main` and the tests share so the tests exercise the exact stack.

mod error;
mod extraction;
mod health;
mod models;
mod predictions;
mod privacy;
mod reload;
pub mod telemetry;
mod uploads;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::{Error, PROBLEM_JSON, Problem};
pub use health::OPENAPI_YAML;
pub use privacy::uid_hash;
pub use reload::{Models, Reloaded};

use crate::config::{Secret, Settings};
use crate::model::RegistryError;
use crate::store::{Store, StoreError};

/// State shared by every handler. Cheap to clone: everything is behind an `Arc` or is a pool.
#[derive(Clone)]
pub struct AppState {
    /// The validated configuration.
    pub settings: Arc<Settings>,
    /// The prediction store.
    pub store: Store,
    /// Every loaded model, reloadable.
    pub models: Arc<Models>,
    /// Bounds concurrent extractions: each holds a blocking thread and a volume in memory.
    pub extractions: Arc<Semaphore>,
    /// Salt of the stored UID hashes (configured, or generated once and kept in the database).
    pub uid_salt: Arc<Secret>,
}

/// Why the application cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError {
    /// The database cannot be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// The model directory cannot be served.
    #[error("models: {0}")]
    Registry(#[from] RegistryError),
    /// A model's radiomics parameters are not ones the engine can apply.
    #[error("model {model}: radiomics_params: {message}")]
    ModelParams {
        /// `name@version`.
        model: String,
        /// What is wrong.
        message: String,
    },
    /// A reload could not run to completion.
    #[error("{0}")]
    Reload(String),
    /// The listening socket cannot be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The configured address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A route: its method and path template as the OpenAPI document names them, and its handler.
type Route = (Method, &'static str, MethodRouter<AppState>);

fn all_routes() -> Vec<Route> {
    [
        predictions::routes(),
        models::routes(),
        reload::routes(),
        health::routes(),
    ]
    .concat()
}

/// The (method, path template) of every route the router serves, in OpenAPI's `{param}` syntax
/// (axum 0.8 uses the same), so a test can compare them with openapi.yaml.
pub fn routes() -> Vec<(Method, &'static str)> {
    all_routes()
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect()
}

/// Every route of the API with the service middleware applied.
pub fn router(state: AppState) -> Router {
    // `route` merges method routers registered on the same path.
    let api = all_routes()
        .into_iter()
        .fold(Router::new(), |router, (_, path, handler)| router.route(path, handler))
        .fallback(no_route)
        .layer(DefaultBodyLimit::max(state.settings.max_body_bytes))
        .with_state(state.clone());
    with_service_layers(api, &state.settings)
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps `router` in the service stack, outermost first: request id, trace span, problem bodies
/// for bare error statuses, error logging, panic catching, request timeout.
pub fn with_service_layers(router: Router, settings: &Settings) -> Router {
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(TraceLayer::new_for_http().make_span_with(request_span))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(middleware::map_response(problem_for_bare_errors))
            .layer(middleware::from_fn(log_errors))
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                settings.request_timeout,
            )),
    )
}

/// Method, route template (never the raw URI with its query) and request id.
fn request_span(request: &Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!("request", method = %request.method(), route, request_id)
}

async fn no_route() -> Error {
    Error::NotFound("no such route; see /openapi.yaml".into())
}

fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("non-string panic payload");
    Error::Internal(format!("handler panicked: {message}")).into_response()
}

/// Gives error responses made outside our handlers (405, 408 from the timeout) a problem body,
/// so clients parse one error format whatever produced the status.
async fn problem_for_bare_errors(response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let (kind, detail) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            "method-not-allowed",
            "this route does not accept this method; see /openapi.yaml".to_owned(),
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "timeout",
            "the request took longer than the configured time limit".to_owned(),
        ),
        other => ("http", format!("the request failed with status {}", other.as_u16())),
    };
    let (problem_parts, body) = Problem::new(status, kind, detail).into_response().into_parts();
    // Keep the original headers (Allow on a 405, the request id) and swap only the body.
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.extend(problem_parts.headers);
    Response::from_parts(parts, body)
}

/// Logs each error once, inside the request span. Client errors are logged by kind and status
/// only: their details quote the offending values, which may be clinical data.
async fn log_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(error) = response.extensions().get::<Arc<Error>>() {
        match error.as_ref() {
            Error::Internal(cause) => tracing::error!(status = 500, cause = %cause, "request failed"),
            Error::Unavailable(cause) => tracing::warn!(status = 503, cause = %cause, "dependency unavailable"),
            Error::Validation(errors) | Error::Choice { errors, .. } => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                tracing::info!(status = 422, fields = ?fields, "invalid request");
            }
            other => tracing::info!(status = other.status_code().as_u16(), "request rejected"),
        }
    }
    response
}

/// The server: a bound listener and the router.
pub struct Application {
    listener: TcpListener,
    router: Router,
    port: u16,
    store: Store,
    models: Arc<Models>,
    model_reload: Option<std::time::Duration>,
}

impl Application {
    /// Opens the database (creating and migrating it), loads and checks every model, and binds
    /// the listener (port 0 picks a free one).
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        let store = Store::connect(&settings.database_url).await?;
        let models = Arc::new(Models::load(&settings.model_dir, settings.default_model.as_deref())?);
        let uid_salt = Arc::new(privacy::resolve_salt(settings.uid_salt.as_ref(), &store).await?);
        let listener = TcpListener::bind(settings.bind)
            .await
            .map_err(|source| StartupError::Bind {
                addr: settings.bind,
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind {
                addr: settings.bind,
                source,
            })?
            .port();
        let model_reload = settings.model_reload;
        let state = AppState {
            extractions: Arc::new(Semaphore::new(settings.max_concurrent_extractions.get())),
            settings: Arc::new(settings),
            store: store.clone(),
            models: Arc::clone(&models),
            uid_salt,
        };
        Ok(Application {
            listener,
            router: router(state),
            port,
            store,
            models,
            model_reload,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests (bounded by the request
    /// timeout) and closes the database.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes, then shuts down gracefully. Meanwhile models reload on
    /// SIGHUP and, when configured, whenever a poll sees the model folder change.
    pub async fn run_until(self, stop: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let mut reloaders = Vec::new();
        #[cfg(unix)]
        reloaders.push(tokio::spawn(Arc::clone(&self.models).reload_on_sighup()));
        if let Some(interval) = self.model_reload {
            reloaders.push(tokio::spawn(Arc::clone(&self.models).poll(interval)));
        }
        let result = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(stop)
            .await;
        reloaders.iter().for_each(tokio::task::JoinHandle::abort);
        self.store.close().await;
        result
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
