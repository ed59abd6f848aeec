//! The prediction record store: SQLite by default, PostgreSQL with a `postgres://` URL.
//!
//! One schema (migrations/) and one set of queries serve both through sqlx's `Any` driver, rather
//! than a pool enum with every query written twice. The price is that `Any` carries only plain
//! types, so ids, timestamps and JSON are stored as TEXT and converted here.

use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use uuid::Uuid;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database could not be reached or a query failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration from migrations/ could not be applied.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored row cannot be read back (hand-edited or from an incompatible version).
    #[error("stored prediction {id} is corrupt: {message}")]
    Corrupt {
        /// The row's id.
        id: String,
        /// Which column is wrong.
        message: String,
    },
}

/// Everything recorded about one prediction; never image data.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionRecord {
    /// Public identifier.
    pub id: Uuid,
    /// When the prediction was made, microsecond precision (what the database keeps).
    pub created_at: DateTime<Utc>,
    /// Model name.
    pub model_name: String,
    /// Model version.
    pub model_version: String,
    /// `sha256:…` of the model artifact.
    pub model_digest: String,
    /// Whether the model was research-use-only.
    pub research_use_only: bool,
    /// Hex SHA-256 of the uploaded image bytes.
    pub image_sha256: String,
    /// Hex SHA-256 of the uploaded mask bytes.
    pub mask_sha256: String,
    /// Mask label scored.
    pub label: i32,
    /// The validated clinical inputs as sent.
    pub clinical: Value,
    /// Predicted probability of objective response.
    pub probability: f64,
    /// LASSO rad-score.
    pub rad_score: f64,
    /// `high` or `low`.
    pub risk_group: String,
    /// The model's cutoff.
    pub cutoff: f64,
    /// Per-predictor contributions as returned to the caller.
    pub contributions: Value,
    /// Salted SHA-256 (hex) of the DICOM StudyInstanceUID; `None` for NIfTI/NRRD input.
    pub study_uid_hash: Option<String>,
    /// Salted SHA-256 (hex) of the DICOM SeriesInstanceUID; `None` for NIfTI/NRRD input.
    pub series_uid_hash: Option<String>,
    /// Training Kaplan–Meier medians of the predicted risk group as returned; `None` when the
    /// model does not record them.
    pub risk_group_survival: Option<Value>,
    /// Wall-clock durations of the request's stages.
    pub timings: Timings,
}

/// Durations of one prediction's stages, milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timings {
    /// Receiving and hashing the uploads.
    pub upload_ms: i64,
    /// Reading volumes and extracting features (including waiting for a slot).
    pub extraction_ms: i64,
    /// Applying the model.
    pub scoring_ms: i64,
    /// The whole request up to storing.
    pub total_ms: i64,
}

/// A connection pool with the schema migrated.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
}

/// Makes `sqlite:` URLs create their file: a fresh deployment should start without a manual step.
fn connect_url(url: &str) -> String {
    if url.starts_with("sqlite:") && !url.contains("mode=") && !url.contains(":memory:") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}mode=rwc")
    } else {
        url.to_owned()
    }
}

impl Store {
    /// Connects to `url` (`sqlite://PATH`, created if missing, or `postgres://…`) and applies every
    /// migration in migrations/.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .connect(&connect_url(url))
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool })
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection (lets a restarted application reopen the same SQLite file cleanly).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Stores one record in a single transaction, so a failure leaves no partial row.
    pub async fn insert_prediction(&self, r: &PredictionRecord) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO predictions (id, created_at, model_name, model_version, model_digest, \
             research_use_only, image_sha256, mask_sha256, label, clinical, probability, rad_score, \
             risk_group, cutoff, contributions, upload_ms, extraction_ms, scoring_ms, total_ms, \
             study_uid_hash, series_uid_hash, risk_group_survival) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
             $20, $21, $22)",
        )
        .bind(r.id.to_string())
        .bind(r.created_at.to_rfc3339_opts(SecondsFormat::Micros, true))
        .bind(&r.model_name)
        .bind(&r.model_version)
        .bind(&r.model_digest)
        .bind(i64::from(r.research_use_only))
        .bind(&r.image_sha256)
        .bind(&r.mask_sha256)
        .bind(i64::from(r.label))
        .bind(r.clinical.to_string())
        .bind(r.probability)
        .bind(r.rad_score)
        .bind(&r.risk_group)
        .bind(r.cutoff)
        .bind(r.contributions.to_string())
        .bind(r.timings.upload_ms)
        .bind(r.timings.extraction_ms)
        .bind(r.timings.scoring_ms)
        .bind(r.timings.total_ms)
        .bind(r.study_uid_hash.as_deref())
        .bind(r.series_uid_hash.as_deref())
        .bind(r.risk_group_survival.as_ref().map(Value::to_string))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The record with this id, if any.
    pub async fn get_prediction(&self, id: Uuid) -> Result<Option<PredictionRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, created_at, model_name, model_version, model_digest, research_use_only, \
             image_sha256, mask_sha256, label, clinical, probability, rad_score, risk_group, cutoff, \
             contributions, upload_ms, extraction_ms, scoring_ms, total_ms, study_uid_hash, series_uid_hash, \
             risk_group_survival FROM predictions WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| record_from_row(&row)).transpose()
    }

    /// The service secret `name`, storing `candidate` first when there is none. Whichever process
    /// stores first wins, so replicas starting together on one database agree on the value.
    pub async fn secret_or_insert(&self, name: &str, candidate: &str) -> Result<String, StoreError> {
        sqlx::query("INSERT INTO service_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(candidate)
            .execute(&self.pool)
            .await?;
        let value: String = sqlx::query_scalar("SELECT value FROM service_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(value)
    }
}

fn record_from_row(row: &AnyRow) -> Result<PredictionRecord, StoreError> {
    let id_text: String = row.try_get("id")?;
    let corrupt = |message: String| StoreError::Corrupt {
        id: id_text.clone(),
        message,
    };
    let json = |column: &str| -> Result<Value, StoreError> {
        let text: String = row.try_get(column)?;
        Value::from_str(&text).map_err(|e| corrupt(format!("{column} is not JSON: {e}")))
    };
    let created_at: String = row.try_get("created_at")?;
    let label: i64 = row.try_get("label")?;
    let research_use_only: i64 = row.try_get("research_use_only")?;
    Ok(PredictionRecord {
        id: Uuid::parse_str(&id_text).map_err(|e| corrupt(format!("id is not a uuid: {e}")))?,
        created_at: DateTime::parse_from_rfc3339(&created_at)
            .map_err(|e| corrupt(format!("created_at is not RFC 3339: {e}")))?
            .with_timezone(&Utc),
        model_name: row.try_get("model_name")?,
        model_version: row.try_get("model_version")?,
        model_digest: row.try_get("model_digest")?,
        research_use_only: research_use_only != 0,
        image_sha256: row.try_get("image_sha256")?,
        mask_sha256: row.try_get("mask_sha256")?,
        label: i32::try_from(label).map_err(|_| corrupt(format!("label {label} is out of range")))?,
        clinical: json("clinical")?,
        probability: row.try_get("probability")?,
        rad_score: row.try_get("rad_score")?,
        risk_group: row.try_get("risk_group")?,
        cutoff: row.try_get("cutoff")?,
        contributions: json("contributions")?,
        study_uid_hash: row.try_get("study_uid_hash")?,
        series_uid_hash: row.try_get("series_uid_hash")?,
        risk_group_survival: row
            .try_get::<Option<String>, _>("risk_group_survival")?
            .map(|text| Value::from_str(&text).map_err(|e| corrupt(format!("risk_group_survival is not JSON: {e}"))))
            .transpose()?,
        timings: Timings {
            upload_ms: row.try_get("upload_ms")?,
            extraction_ms: row.try_get("extraction_ms")?,
            scoring_ms: row.try_get("scoring_ms")?,
            total_ms: row.try_get("total_ms")?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::connect_url;

    #[test]
    fn sqlite_urls_create_their_file_unless_a_mode_is_given() {
        assert_eq!(connect_url("sqlite://a.db"), "sqlite://a.db?mode=rwc");
        assert_eq!(
            connect_url("sqlite://a.db?cache=shared"),
            "sqlite://a.db?cache=shared&mode=rwc"
        );
        assert_eq!(connect_url("sqlite://a.db?mode=ro"), "sqlite://a.db?mode=ro");
        assert_eq!(connect_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}
