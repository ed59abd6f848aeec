-- One row per scored request. Portable between SQLite and PostgreSQL: identifiers and timestamps
-- are TEXT (uuid, RFC 3339 UTC) and JSON is TEXT, so one set of queries serves both through sqlx's
-- Any driver. Never image data: only the SHA-256 of each upload.
CREATE TABLE predictions (
    id TEXT PRIMARY KEY NOT NULL,
    created_at TEXT NOT NULL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    model_digest TEXT NOT NULL,
    -- 0 or 1: sqlx's Any driver cannot decode SQLite booleans.
    research_use_only BIGINT NOT NULL CHECK (research_use_only IN (0, 1)),
    image_sha256 TEXT NOT NULL,
    mask_sha256 TEXT NOT NULL,
    label BIGINT NOT NULL,
    clinical TEXT NOT NULL,
    probability DOUBLE PRECISION NOT NULL,
    rad_score DOUBLE PRECISION NOT NULL,
    risk_group TEXT NOT NULL CHECK (risk_group IN ('high', 'low')),
    cutoff DOUBLE PRECISION NOT NULL,
    contributions TEXT NOT NULL,
    upload_ms BIGINT NOT NULL,
    extraction_ms BIGINT NOT NULL,
    scoring_ms BIGINT NOT NULL,
    total_ms BIGINT NOT NULL
);

CREATE INDEX predictions_created_at ON predictions (created_at);
