//! The service middleware, exercised on test-only routes wrapped in the production stack.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use tower::ServiceExt;

async fn problem_of(response: axum::response::Response) -> (StatusCode, serde_json::Value) {
    let status = response.status();
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

fn stack(routes: Router) -> Router {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = crate::helpers::test_settings(dir.path());
    settings.request_timeout = Duration::from_millis(200);
    radscore::api::with_service_layers(routes, &settings)
}

fn request(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

async fn boom() -> &'static str {
    panic!("deliberate test panic")
}

#[tokio::test]
async fn a_panicking_handler_becomes_a_500_problem_and_the_service_keeps_serving() {
    let app = stack(
        Router::new()
            .route("/boom", get(boom))
            .route("/fine", get(|| async { "fine" })),
    );

    let (status, body) = problem_of(app.clone().oneshot(request("/boom")).await.unwrap()).await;

    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["status"], 500);
    // The panic message stays in the log; the client gets a generic sentence.
    assert!(!body["detail"].as_str().unwrap().contains("deliberate"), "{body}");
    let response = app.oneshot(request("/fine")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_request_over_the_time_limit_is_a_408_problem() {
    let app = stack(Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }),
    ));

    let (status, body) = problem_of(app.oneshot(request("/slow")).await.unwrap()).await;

    assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(body["status"], 408);
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = stack(Router::new().route("/fine", get(|| async { "fine" })));

    let response = app.oneshot(request("/fine")).await.unwrap();

    let id = response.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
}
