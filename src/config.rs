//! Service configuration: `config/default.toml`, then an optional file, then `RADSCORE_*`
//! environment variables, checked once into a typed [`Settings`].
//!
//! The keys are flat so each environment variable is just `RADSCORE_` + the key in upper case
//! (`RADSCORE_DATABASE_URL`), the names issue 2 promises; nested sections would have forced
//! `RADSCORE_DATABASE__URL`-style names on operators. The one section, `[privacy]`, holds the UID
//! salt, whose variable is `RADSCORE_UID_SALT`. The two secrets (salt and `admin_token`) are read
//! from their variables verbatim.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::Deserialize;

use crate::imaging::archive::ZipLimits;

/// The defaults, compiled in so the binary runs from any working directory.
const DEFAULTS: &str = include_str!("../config/default.toml");

/// Keys read from the environment; other `RADSCORE_*` variables (test switches) are ignored.
const KEYS: &[&str] = &[
    "bind",
    "database_url",
    "model_dir",
    "default_model",
    "max_body_bytes",
    "request_timeout_secs",
    "max_concurrent_extractions",
    "log_format",
    "log_level",
    "model_reload_secs",
    "zip_max_total_bytes",
    "zip_max_entries",
    "zip_max_ratio",
];

/// The environment variable of `privacy.uid_salt`. Read as raw text rather than through figment's
/// value parsing, which would turn a salt such as `[1,2]` or `true` into an array or a bool.
const UID_SALT_VAR: &str = "RADSCORE_UID_SALT";

/// The environment variable of `admin_token`, read verbatim like the salt.
pub const ADMIN_TOKEN_VAR: &str = "RADSCORE_ADMIN_TOKEN";

/// Shortest accepted configured secret (salt or admin token): a guessable salt would let anyone
/// holding the database confirm a known UID by hashing it; a short token can be guessed.
const MIN_SECRET_CHARS: usize = 16;

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A source could not be read or a value has the wrong type.
    #[error("configuration cannot be read: {0}")]
    Load(#[from] Box<figment::Error>),
    /// A value has the right type but is not acceptable.
    #[error("configuration key {key} is invalid: {message}")]
    Invalid {
        /// The key (`database_url`); its environment variable is `RADSCORE_` + the key upper-cased.
        key: &'static str,
        /// What is wrong and what is accepted.
        message: String,
    },
}

/// The raw configuration as written in files and environment variables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    bind: String,
    database_url: String,
    model_dir: PathBuf,
    default_model: Option<String>,
    max_body_bytes: u64,
    request_timeout_secs: u64,
    max_concurrent_extractions: u64,
    log_format: String,
    log_level: String,
    model_reload_secs: u64,
    zip_max_total_bytes: u64,
    zip_max_entries: u64,
    zip_max_ratio: f64,
    admin_token: Option<String>,
    #[serde(default)]
    privacy: RawPrivacy,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrivacy {
    uid_salt: Option<String>,
}

/// A configuration value that is never printed: `Debug` shows `Secret(***)`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line, for log collectors.
    Json,
    /// Human-readable lines, for a terminal.
    Pretty,
}

/// Validated service settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Listening address (`RADSCORE_BIND`); port 0 asks the OS for a free port.
    pub bind: SocketAddr,
    /// `sqlite://PATH` or `postgres://…` (`RADSCORE_DATABASE_URL`).
    pub database_url: String,
    /// Folder of model artifacts (`RADSCORE_MODEL_DIR`).
    pub model_dir: PathBuf,
    /// Model used when a request names none: `name` or `name@version` (`RADSCORE_DEFAULT_MODEL`).
    pub default_model: Option<String>,
    /// Largest accepted request body in bytes (`RADSCORE_MAX_BODY_BYTES`).
    pub max_body_bytes: usize,
    /// Whole-request time limit (`RADSCORE_REQUEST_TIMEOUT_SECS`).
    pub request_timeout: Duration,
    /// Extractions allowed to run at once (`RADSCORE_MAX_CONCURRENT_EXTRACTIONS`).
    pub max_concurrent_extractions: NonZeroUsize,
    /// Log line format (`RADSCORE_LOG_FORMAT`: `json` or `pretty`).
    pub log_format: LogFormat,
    /// tracing filter directive (`RADSCORE_LOG_LEVEL`), e.g. `info` or `radscore=debug`.
    pub log_level: String,
    /// How often the model folder is checked for changed artifacts (`RADSCORE_MODEL_RELOAD_SECS`;
    /// 0 in the file means never: reload then only on SIGHUP or `POST /v1/admin/reload`).
    pub model_reload: Option<Duration>,
    /// Bounds on a zipped DICOM upload (`RADSCORE_ZIP_MAX_TOTAL_BYTES`, `_ENTRIES`, `_RATIO`).
    pub zip_limits: ZipLimits,
    /// Salt of the stored StudyInstanceUID/SeriesInstanceUID hashes (`privacy.uid_salt`,
    /// `RADSCORE_UID_SALT`); when absent the service generates one and keeps it in the database.
    pub uid_salt: Option<Secret>,
    /// Bearer token of `POST /v1/admin/reload` (`admin_token`, `RADSCORE_ADMIN_TOKEN`); when
    /// absent the admin API is disabled (SIGHUP and the folder poll still reload).
    pub admin_token: Option<Secret>,
}

impl Settings {
    /// Loads defaults, then `file` if given, then `RADSCORE_*` environment variables.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULTS));
        if let Some(file) = file {
            // `file` rather than `Toml::file`, which silently skips a missing file.
            let text = std::fs::read_to_string(file).map_err(|e| ConfigError::Invalid {
                key: "--config",
                message: format!("cannot read {}: {e}", file.display()),
            })?;
            figment = figment.merge(Toml::string(&text));
        }
        figment = figment.merge(Env::prefixed("RADSCORE_").only(KEYS));
        if let Ok(salt) = std::env::var(UID_SALT_VAR) {
            figment = figment.merge(Serialized::default("privacy.uid_salt", salt));
        }
        if let Ok(token) = std::env::var(ADMIN_TOKEN_VAR) {
            figment = figment.merge(Serialized::default("admin_token", token));
        }
        Settings::from_figment(figment)
    }

    /// Extracts and validates settings from any figment (used by [`Settings::load`] and tests).
    pub fn from_figment(figment: Figment) -> Result<Settings, ConfigError> {
        let raw: RawSettings = figment.extract().map_err(Box::new)?;
        Settings::validate(raw)
    }

    fn validate(raw: RawSettings) -> Result<Settings, ConfigError> {
        let invalid = |key, message: String| ConfigError::Invalid { key, message };
        let bind = raw.bind.parse().map_err(|e| {
            invalid(
                "bind",
                format!("{:?} is not an address like 127.0.0.1:8080 ({e})", raw.bind),
            )
        })?;
        let scheme_ok = ["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|s| raw.database_url.starts_with(s));
        if !scheme_ok {
            return Err(invalid(
                "database_url",
                "must start with sqlite: or postgres:// (the value is not shown: it may hold a password)".into(),
            ));
        }
        if raw.model_dir.as_os_str().is_empty() {
            return Err(invalid("model_dir", "is empty".into()));
        }
        if raw.default_model.as_deref().is_some_and(str::is_empty) {
            return Err(invalid("default_model", "is empty; leave it unset instead".into()));
        }
        let max_body_bytes = usize::try_from(raw.max_body_bytes)
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| {
                invalid(
                    "max_body_bytes",
                    format!("{} is not a positive size", raw.max_body_bytes),
                )
            })?;
        if raw.request_timeout_secs == 0 {
            return Err(invalid("request_timeout_secs", "must be at least 1".into()));
        }
        let max_concurrent_extractions = usize::try_from(raw.max_concurrent_extractions)
            .ok()
            .and_then(NonZeroUsize::new)
            .ok_or_else(|| {
                invalid(
                    "max_concurrent_extractions",
                    format!("{} is not a positive count", raw.max_concurrent_extractions),
                )
            })?;
        let log_format = match raw.log_format.as_str() {
            "json" => LogFormat::Json,
            "pretty" => LogFormat::Pretty,
            other => return Err(invalid("log_format", format!("{other:?} is not json or pretty"))),
        };
        let zip_limits = zip_limits(&raw)?;
        let uid_salt = long_secret(
            "privacy.uid_salt",
            raw.privacy.uid_salt,
            "use a long random string, or leave it unset to have one generated",
        )?;
        let admin_token = long_secret(
            "admin_token",
            raw.admin_token,
            "use a long random string, or leave it unset to disable the admin API",
        )?;
        Ok(Settings {
            bind,
            database_url: raw.database_url,
            model_dir: raw.model_dir,
            default_model: raw.default_model,
            max_body_bytes,
            request_timeout: Duration::from_secs(raw.request_timeout_secs),
            max_concurrent_extractions,
            log_format,
            log_level: raw.log_level,
            model_reload: (raw.model_reload_secs > 0).then(|| Duration::from_secs(raw.model_reload_secs)),
            zip_limits,
            uid_salt,
            admin_token,
        })
    }
}

/// `value` of `key` as a [`Secret`] when it has at least [`MIN_SECRET_CHARS`] characters; the
/// error never shows the value.
fn long_secret(key: &'static str, value: Option<String>, advice: &str) -> Result<Option<Secret>, ConfigError> {
    match value {
        Some(v) if v.chars().count() < MIN_SECRET_CHARS => Err(ConfigError::Invalid {
            key,
            message: format!("is shorter than {MIN_SECRET_CHARS} characters (the value is not shown); {advice}"),
        }),
        other => Ok(other.map(Secret)),
    }
}

fn zip_limits(raw: &RawSettings) -> Result<ZipLimits, ConfigError> {
    let invalid = |key, message: String| ConfigError::Invalid { key, message };
    if raw.zip_max_total_bytes == 0 {
        return Err(invalid("zip_max_total_bytes", "must be positive".into()));
    }
    let max_entries = usize::try_from(raw.zip_max_entries)
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            invalid(
                "zip_max_entries",
                format!("{} is not a positive count", raw.zip_max_entries),
            )
        })?;
    if !(raw.zip_max_ratio.is_finite() && raw.zip_max_ratio >= 1.0) {
        return Err(invalid(
            "zip_max_ratio",
            format!("{} is not a ratio of at least 1", raw.zip_max_ratio),
        ));
    }
    Ok(ZipLimits {
        max_total_bytes: raw.zip_max_total_bytes,
        max_entries,
        max_ratio: raw.zip_max_ratio,
    })
}

#[cfg(test)]
// figment::Jail dictates the closures' `Result<(), figment::Error>`; its size is not ours to change.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    fn message(result: Result<Settings, ConfigError>) -> String {
        result.expect_err("settings should be rejected").to_string()
    }

    #[test]
    fn defaults_match_the_documented_values() {
        Jail::expect_with(|_| {
            let s = Settings::load(None).expect("defaults load");
            assert_eq!(s.bind, "127.0.0.1:8080".parse().unwrap());
            assert_eq!(s.database_url, "sqlite://radscore.db");
            assert_eq!(s.model_dir, PathBuf::from("models"));
            assert_eq!(s.default_model, None);
            assert_eq!(s.request_timeout, Duration::from_secs(120));
            assert_eq!(s.max_concurrent_extractions.get(), 2);
            assert_eq!(s.log_format, LogFormat::Json);
            assert_eq!(s.zip_limits, ZipLimits::default());
            assert_eq!(s.model_reload, Some(Duration::from_secs(30)));
            assert_eq!(s.uid_salt, None);
            assert_eq!(s.admin_token, None);
            Ok(())
        });
    }

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "radscore.toml",
                "bind = \"0.0.0.0:9000\"\nmodel_dir = \"/srv/models\"\nmax_body_bytes = 1000\n",
            )?;
            jail.set_env("RADSCORE_BIND", "127.0.0.1:0");
            jail.set_env("RADSCORE_DATABASE_URL", "postgres://postgres@db:5432/radscore");
            jail.set_env("RADSCORE_MAX_CONCURRENT_EXTRACTIONS", "7");
            jail.set_env("RADSCORE_DEFAULT_MODEL", "tpi-demo@1.0.0");
            // A test switch sharing the prefix must not be mistaken for a key.
            jail.set_env("RADSCORE_REQUIRE_REFERENCE", "1");
            let s = Settings::load(Some(Path::new("radscore.toml"))).expect("settings load");
            assert_eq!(s.bind, "127.0.0.1:0".parse().unwrap());
            assert_eq!(s.database_url, "postgres://postgres@db:5432/radscore");
            assert_eq!(s.model_dir, PathBuf::from("/srv/models"));
            assert_eq!(s.max_body_bytes, 1000);
            assert_eq!(s.max_concurrent_extractions.get(), 7);
            assert_eq!(s.default_model.as_deref(), Some("tpi-demo@1.0.0"));
            Ok(())
        });
    }

    #[test]
    fn invalid_values_are_rejected_naming_the_key() {
        let cases = [
            ("RADSCORE_BIND", "localhost", "bind"),
            ("RADSCORE_DATABASE_URL", "mysql://x", "database_url"),
            ("RADSCORE_MAX_CONCURRENT_EXTRACTIONS", "0", "max_concurrent_extractions"),
            ("RADSCORE_REQUEST_TIMEOUT_SECS", "0", "request_timeout_secs"),
            ("RADSCORE_MAX_BODY_BYTES", "0", "max_body_bytes"),
            ("RADSCORE_LOG_FORMAT", "xml", "log_format"),
            ("RADSCORE_MAX_BODY_BYTES", "lots", "max_body_bytes"),
            ("RADSCORE_ZIP_MAX_RATIO", "0.5", "zip_max_ratio"),
            ("RADSCORE_ZIP_MAX_ENTRIES", "0", "zip_max_entries"),
            ("RADSCORE_ZIP_MAX_TOTAL_BYTES", "0", "zip_max_total_bytes"),
            ("RADSCORE_UID_SALT", "short", "privacy.uid_salt"),
            ("RADSCORE_ADMIN_TOKEN", "fifteen-chars-x", "admin_token"),
        ];
        for (var, value, key) in cases {
            Jail::expect_with(|jail| {
                jail.set_env(var, value);
                let msg = message(Settings::load(None));
                assert!(
                    msg.to_lowercase().contains(key),
                    "{var}={value}: message {msg:?} should name {key}"
                );
                Ok(())
            });
        }
    }

    #[test]
    fn the_uid_salt_comes_from_the_privacy_section_or_its_variable_verbatim_and_is_never_printed() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "radscore.toml",
                "model_reload_secs = 0\n[privacy]\nuid_salt = \"file-salt-0123456789\"\n",
            )?;
            let s = Settings::load(Some(Path::new("radscore.toml"))).expect("settings load");
            assert_eq!(s.uid_salt, Some(Secret::new("file-salt-0123456789")));
            assert_eq!(s.model_reload, None);
            // Text figment would parse as an array or a bool stays text.
            for salt in ["[1, 2, 3, 4, 5, 6, 7, 8]", "true-true-true-true"] {
                jail.set_env("RADSCORE_UID_SALT", salt);
                let s = Settings::load(Some(Path::new("radscore.toml"))).expect("settings load");
                assert_eq!(s.uid_salt.as_ref().map(Secret::expose), Some(salt));
                assert!(!format!("{s:?}").contains(salt), "Debug prints the salt");
            }
            jail.set_env("RADSCORE_ZIP_MAX_ENTRIES", "10");
            let s = Settings::load(None).expect("settings load");
            assert_eq!(s.zip_limits.max_entries, 10);
            Ok(())
        });
    }

    #[test]
    fn an_admin_token_shorter_than_16_characters_is_refused_without_showing_it() {
        Jail::expect_with(|jail| {
            jail.set_env("RADSCORE_ADMIN_TOKEN", "fifteen-chars-x");
            let msg = message(Settings::load(None));
            assert!(msg.contains("admin_token") && msg.contains("16"), "{msg}");
            assert!(!msg.contains("fifteen-chars-x"), "the message shows the token: {msg}");
            // Sixteen characters, with text figment would parse as an array, is taken verbatim.
            let token = "[1,2,3,4,5,6,7] ";
            jail.set_env("RADSCORE_ADMIN_TOKEN", token);
            let s = Settings::load(None).expect("settings load");
            assert_eq!(s.admin_token.as_ref().map(Secret::expose), Some(token));
            assert!(!format!("{s:?}").contains(token), "Debug prints the token");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_and_missing_files_are_errors() {
        Jail::expect_with(|jail| {
            jail.create_file("typo.toml", "bnid = \"127.0.0.1:1\"\n")?;
            let msg = message(Settings::load(Some(Path::new("typo.toml"))));
            assert!(msg.contains("bnid"), "{msg}");
            let msg = message(Settings::load(Some(Path::new("absent.toml"))));
            assert!(msg.contains("absent.toml"), "{msg}");
            Ok(())
        });
    }
}
