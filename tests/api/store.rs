//! The prediction store on SQLite and on PostgreSQL: same schema, same queries, same records.

use chrono::{SubsecRound, Utc};
use radscore::store::{PredictionRecord, Store, Timings};
use sqlx::{AssertSqlSafe, Connection};
use uuid::Uuid;

fn record() -> PredictionRecord {
    PredictionRecord {
        id: Uuid::new_v4(),
        created_at: Utc::now().trunc_subsecs(6),
        model_name: "test-firstorder".into(),
        model_version: "1.0.0".into(),
        model_digest: format!("sha256:{}", "ab".repeat(32)),
        research_use_only: true,
        image_sha256: "01".repeat(32),
        mask_sha256: "02".repeat(32),
        label: 3,
        clinical: serde_json::json!({"age": 63, "child_pugh": "B", "pvtt": true}),
        // Values that do not survive a decimal round trip through a narrower type.
        probability: 0.123_456_789_012_345_67,
        rad_score: -1.0e-300,
        risk_group: "high".into(),
        cutoff: 0.55,
        contributions: serde_json::json!([{"name": "original_firstorder_Mean", "value": 301.25,
            "coefficient": 0.8, "contribution": 1.025, "target": "rad_score"}]),
        study_uid_hash: Some("5a".repeat(32)),
        series_uid_hash: Some("e7".repeat(32)),
        risk_group_survival: Some(serde_json::json!({"n": 12, "median_os_months": 8.5, "median_pfs_months": null})),
        timings: Timings {
            upload_ms: 12,
            extraction_ms: 345,
            scoring_ms: 0,
            total_ms: 360,
        },
    }
}

async fn round_trips_and_rejects_a_duplicate_whole(store: &Store) {
    let original = record();
    store.insert_prediction(&original).await.expect("insert succeeds");

    let read = store.get_prediction(original.id).await.expect("query succeeds");
    assert_eq!(read.as_ref(), Some(&original));

    let mut clash = record();
    clash.id = original.id;
    clash.probability = 0.9;
    assert!(
        store.insert_prediction(&clash).await.is_err(),
        "a second row with the same id is refused"
    );
    let read = store.get_prediction(original.id).await.unwrap();
    assert_eq!(read.as_ref(), Some(&original), "the refused write changed nothing");

    assert_eq!(store.get_prediction(Uuid::new_v4()).await.unwrap(), None);
    store.ping().await.expect("ping answers");

    // NIfTI input: no UID hashes; a model without medians: no survival.
    let mut nifti = record();
    nifti.study_uid_hash = None;
    nifti.series_uid_hash = None;
    nifti.risk_group_survival = None;
    store.insert_prediction(&nifti).await.unwrap();
    assert_eq!(store.get_prediction(nifti.id).await.unwrap().as_ref(), Some(&nifti));

    // The first stored secret wins; a later candidate does not replace it.
    assert_eq!(store.secret_or_insert("uid_salt", "first").await.unwrap(), "first");
    assert_eq!(store.secret_or_insert("uid_salt", "second").await.unwrap(), "first");
}

#[tokio::test]
async fn sqlite_store_creates_its_file_and_round_trips_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    assert!(!path.exists());

    let store = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("store opens");

    assert!(path.exists(), "the database file is created");
    round_trips_and_rejects_a_duplicate_whole(&store).await;
    store.close().await;
    // Reopening applies no migration twice and keeps the data.
    let reopened = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("store reopens");
    reopened.ping().await.unwrap();
}

fn postgres_url() -> String {
    std::env::var("RADSCORE_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

#[tokio::test]
async fn postgres_store_runs_the_same_migrations_and_round_trips_a_record() {
    // A schema per run so concurrent test runs cannot see each other's tables.
    sqlx::any::install_default_drivers();
    let base = postgres_url();
    let schema = format!("radscore_test_{}", Uuid::new_v4().simple());
    let mut admin = sqlx::AnyConnection::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {base} is required for this test: {e}"));
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };

    let store = Store::connect(&format!("{base}{sep}options[search_path]={schema}"))
        .await
        .expect("store opens");
    round_trips_and_rejects_a_duplicate_whole(&store).await;
    store.close().await;

    sqlx::raw_sql(AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&mut admin)
        .await
        .unwrap();
}
