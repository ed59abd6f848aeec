-- Linking without identifiers: salted SHA-256 hashes (hex) of the DICOM StudyInstanceUID and
-- SeriesInstanceUID of the scored series; NULL for NIfTI/NRRD input. The UIDs are never stored.
ALTER TABLE predictions ADD COLUMN study_uid_hash TEXT;
ALTER TABLE predictions ADD COLUMN series_uid_hash TEXT;
-- The training cohort's Kaplan-Meier medians of the predicted risk group as returned (JSON);
-- NULL when the model does not record them.
ALTER TABLE predictions ADD COLUMN risk_group_survival TEXT;

CREATE INDEX predictions_series_uid_hash ON predictions (series_uid_hash);
CREATE INDEX predictions_study_uid_hash ON predictions (study_uid_hash);

-- Values the service generates once and must keep across restarts (the UID salt when none is
-- configured). The first writer wins: INSERT ... ON CONFLICT DO NOTHING, then read back.
CREATE TABLE service_secrets (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
