//! Predictions keep salted hashes of StudyInstanceUID and SeriesInstanceUID, never identifiers, in
//! the database or the logs.

use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;
use radscore::config::Secret;
use serde_json::Value;
use sqlx::{Connection, Row};

use crate::dicom::{dicom_form, series_files, series_zip};
use crate::helpers::{TestApp, captured_logs, spawn_with, test_settings};
use crate::reference::reference_dir;

/// The identifying values of a DICOM file: UIDs, patient name and id.
fn identifiers(file: &Path) -> Vec<String> {
    let obj = dicom_object::open_file(file).unwrap();
    [
        tags::STUDY_INSTANCE_UID,
        tags::SERIES_INSTANCE_UID,
        tags::SOP_INSTANCE_UID,
        tags::PATIENT_NAME,
        tags::PATIENT_ID,
    ]
    .iter()
    .map(|&tag| {
        obj.element(tag)
            .unwrap()
            .to_str()
            .unwrap()
            .trim_end_matches('\0')
            .trim()
            .to_owned()
    })
    .collect()
}

fn database_path(dir: &Path) -> PathBuf {
    dir.join("radscore.db")
}

async fn app_with_salt(dir: &Path, salt: Option<&str>) -> TestApp {
    let mut settings = test_settings(dir);
    settings.uid_salt = salt.map(Secret::new);
    spawn_with(settings).await
}

/// Posts the zipped brain1 series and returns the response.
async fn post_brain1(app: &TestApp, reference: &Path) -> Value {
    let zip = series_zip(&series_files(reference, "brain1"));
    let (status, body) = app
        .predict(dicom_form(vec![zip], &reference.join("dicom/brain1_label.nii.gz")))
        .await;
    assert_eq!(status, 201, "{body}");
    body
}

/// Every value of every TEXT column of every table of the SQLite database (the whole file's bytes
/// are scanned as well, which covers the other columns).
async fn every_stored_text(db: &Path) -> Vec<String> {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let mut texts = Vec::new();
    for table in tables {
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info(?) WHERE upper(type) = 'TEXT'")
                .bind(&table)
                .fetch_all(&mut conn)
                .await
                .unwrap();
        for column in columns {
            let sql = format!("SELECT \"{column}\" FROM \"{table}\"");
            for row in sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut conn)
                .await
                .unwrap()
            {
                texts.extend(row.try_get::<Option<String>, _>(0).unwrap());
            }
        }
    }
    conn.close().await.unwrap();
    texts
}

#[tokio::test]
async fn uid_hashes_link_repeated_submissions_and_identifiers_reach_neither_database_nor_logs() {
    let Some(reference) = reference_dir() else { return };
    let salt = "salt-A-0123456789abcdef";
    let first_slice = &series_files(&reference, "brain1")[0];
    let ids = identifiers(first_slice);
    let (study_uid, series_uid) = (&ids[0], &ids[1]);
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_salt(dir.path(), Some(salt)).await;

    let first = post_brain1(&app, &reference).await;
    let second = post_brain1(&app, &reference).await;
    app.stop().await;

    // The stored hashes are those of this series' UIDs under this salt, the same both times.
    let secret = Secret::new(salt);
    assert_eq!(
        first["series_uid_hash"],
        radscore::api::uid_hash(&secret, series_uid).as_str()
    );
    assert_eq!(
        first["study_uid_hash"],
        radscore::api::uid_hash(&secret, study_uid).as_str()
    );
    let store = radscore::store::Store::connect(&format!("sqlite://{}", database_path(dir.path()).display()))
        .await
        .unwrap();
    let mut stored = Vec::new();
    for body in [&first, &second] {
        let id = uuid::Uuid::parse_str(body["id"].as_str().unwrap()).unwrap();
        let record = store.get_prediction(id).await.unwrap().unwrap();
        stored.push((record.study_uid_hash.unwrap(), record.series_uid_hash.unwrap()));
    }
    store.close().await;
    assert_eq!(stored[0], stored[1]);
    assert_eq!(Some(stored[0].1.as_str()), first["series_uid_hash"].as_str());

    // Another deployment with another salt cannot link to these records.
    let other_dir = tempfile::tempdir().unwrap();
    let other = app_with_salt(other_dir.path(), Some("salt-B-0123456789abcdef")).await;
    let elsewhere = post_brain1(&other, &reference).await;
    other.stop().await;
    assert_ne!(elsewhere["series_uid_hash"], first["series_uid_hash"]);
    assert_ne!(elsewhere["study_uid_hash"], first["study_uid_hash"]);

    let texts = every_stored_text(&database_path(dir.path())).await;
    assert!(texts.iter().any(|t| t == &stored[0].1), "the scan sees the stored hash");
    let db_bytes = String::from_utf8_lossy(&std::fs::read(database_path(dir.path())).unwrap()).into_owned();
    let logs = captured_logs();
    assert!(
        logs.contains("scored upload"),
        "the log capture sees this test's requests"
    );
    for id in &ids {
        assert!(!texts.iter().any(|t| t.contains(id.as_str())), "{id} is stored");
        assert!(!db_bytes.contains(id.as_str()), "{id} is in the database file");
        assert!(!logs.contains(id.as_str()), "{id} is logged");
    }
}

#[tokio::test]
async fn without_a_configured_salt_a_generated_one_is_kept_in_the_database_across_restarts() {
    let Some(reference) = reference_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_salt(dir.path(), None).await;
    let before = post_brain1(&app, &reference).await;
    app.stop().await;

    let restarted = app_with_salt(dir.path(), None).await;
    let after = post_brain1(&restarted, &reference).await;
    restarted.stop().await;
    assert_eq!(after["series_uid_hash"], before["series_uid_hash"]);

    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = app_with_salt(fresh_dir.path(), None).await;
    let elsewhere = post_brain1(&fresh, &reference).await;
    fresh.stop().await;
    assert_ne!(elsewhere["series_uid_hash"], before["series_uid_hash"]);

    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", database_path(dir.path()).display()))
        .await
        .unwrap();
    let salt: String = sqlx::query_scalar("SELECT value FROM service_secrets WHERE name = 'uid_salt'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let series_uid = &identifiers(&series_files(&reference, "brain1")[0])[1];
    assert_eq!(
        before["series_uid_hash"],
        radscore::api::uid_hash(&Secret::new(salt.clone()), series_uid).as_str()
    );
    let logs = captured_logs();
    assert!(
        logs.contains("privacy.uid_salt is not configured"),
        "the fallback is announced"
    );
    assert!(!logs.contains(&salt), "the generated salt is logged");
}
