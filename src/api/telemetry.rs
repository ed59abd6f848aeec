//! Structured logging: JSON lines by default, each request in a span carrying its request id.
//!
//! What is never logged: clinical values, file names, request bodies, validation messages (they
//! quote the offending value). Spans carry method, route template and request id only.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::LogFormat;

/// Installs the global subscriber writing to `writer`; `RUST_LOG` overrides `level`.
/// Returns false when a subscriber was already installed (tests that build several apps).
pub fn init<W>(format: LogFormat, level: &str, writer: W) -> bool
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    match format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
            .is_ok(),
        LogFormat::Pretty => builder.try_init().is_ok(),
    }
}
