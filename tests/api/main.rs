//! HTTP tests of the REST service: a real server on an ephemeral port, a fresh SQLite database,
//! the test model in tests/fixtures/models and synthetic volumes written in the tests.

mod helpers;
mod layers;
mod models;
mod openapi;
mod predictions;
mod store;
