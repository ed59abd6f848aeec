//! HTTP tests of the REST service: a real server on an ephemeral port, a fresh SQLite database,
//! the test model in tests/fixtures/models and synthetic volumes written in the tests.

mod dicom;
mod helpers;
mod layers;
mod models;
mod openapi;
mod predictions;
mod privacy;
#[path = "../parity/reference.rs"]
mod reference;
mod reload;
mod store;
