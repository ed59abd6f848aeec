//! A training cohort on disk — `cohort.csv` plus image and mask files — read into patients, and the
//! radiomic features of every patient extracted in parallel.
//!
//! `cohort.csv` columns: `patient_id`, `image`, `mask` (paths relative to the CSV), `response`
//! (CR/PR/SD/PD by mRECIST), optional `split` (train/validation), optional `mask2` (a second
//! segmentation, for the ICC robustness filter), optional `os_months`, `os_event`, `pfs_months`,
//! `pfs_event` (all four or none); every other column is a clinical field. The clinical fields' types,
//! units and ranges come from `clinical_inputs.json` next to the CSV when present, otherwise they
//! are inferred from the values (boolean, integer, number, else category with sorted levels).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::model::train::{SurvivalTimes, TrainError};
use crate::model::{ClinicalInput, ClinicalType, ClinicalValue};

pub mod cache;
mod progress;

pub use cache::FeatureCache;
use progress::Progress;

/// File next to `cohort.csv` declaring the clinical columns (a JSON array of [`ClinicalInput`]).
pub const CLINICAL_SCHEMA_FILE: &str = "clinical_inputs.json";

/// Columns that are not clinical fields.
const RESERVED: [&str; 11] = [
    "patient_id",
    "image",
    "mask",
    "mask2",
    "response",
    "split",
    "os_months",
    "os_event",
    "pfs_months",
    "pfs_event",
    "label",
];

/// Why a cohort cannot be read or its features extracted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CohortError {
    /// A file cannot be read.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        message: String,
    },
    /// A required column is absent.
    #[error("{file} has no {column} column")]
    MissingColumn {
        /// The CSV.
        file: String,
        /// The column.
        column: String,
    },
    /// A cell holds a bad value.
    #[error("patient {patient}, column {column}: {message}")]
    Value {
        /// Patient id (or row number when the id itself is bad).
        patient: String,
        /// Column name.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// The PyRadiomics parameter document is invalid.
    #[error("radiomics parameters: {0}")]
    Params(String),
    /// Model fitting failed.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// The cohort cannot be evaluated with the model.
    #[error("evaluation: {0}")]
    Evaluation(String),
    /// An output file cannot be written.
    #[error("cannot write {path}: {message}")]
    Write {
        /// The file.
        path: String,
        /// The cause.
        message: String,
    },
    /// The feature cache cannot be read or written.
    #[error("feature cache {path}: {message}")]
    Cache {
        /// The cache file or folder.
        path: String,
        /// The cause.
        message: String,
    },
    /// Feature extraction failed for a patient.
    #[error("patient {patient}: feature extraction failed: {message}")]
    Extraction {
        /// Patient id.
        patient: String,
        /// The extractor's error.
        message: String,
    },
}

/// mRECIST best overall response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    /// Complete response.
    Cr,
    /// Partial response.
    Pr,
    /// Stable disease.
    Sd,
    /// Progressive disease.
    Pd,
}

impl Response {
    /// Objective response: CR or PR.
    pub fn is_objective(self) -> bool {
        matches!(self, Response::Cr | Response::Pr)
    }
}

/// One patient of the cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct Patient {
    /// The cohort's identifier.
    pub id: String,
    /// Image path, resolved against the CSV's folder.
    pub image: PathBuf,
    /// Mask path, resolved against the CSV's folder.
    pub mask: PathBuf,
    /// Second segmentation of the same lesion, when the cohort has a `mask2` column.
    pub mask2: Option<PathBuf>,
    /// Validated clinical values keyed by column.
    pub clinical: BTreeMap<String, ClinicalValue>,
    /// mRECIST response.
    pub response: Response,
    /// True for the validation split.
    pub validation: bool,
    /// Survival, when the cohort has the four survival columns.
    pub survival: Option<SurvivalTimes>,
}

/// A cohort ready for training.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    /// Patients in CSV order.
    pub patients: Vec<Patient>,
    /// The clinical columns' schema.
    pub clinical_inputs: Vec<ClinicalInput>,
    /// How the split was obtained: `column` or the seed of a stratified random split.
    pub split_source: String,
}

/// Reads `cohort.csv` from a folder (or a CSV path directly). Without a `split` column, a
/// stratified random split puts `validation_fraction` of patients in validation, seeded by `seed`.
pub fn read_cohort(path: &Path, validation_fraction: f64, seed: u64) -> Result<Cohort, CohortError> {
    let csv_path = if path.is_dir() {
        path.join("cohort.csv")
    } else {
        path.to_path_buf()
    };
    let base = csv_path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let file = csv_path.display().to_string();
    let read_error = |e: &dyn std::fmt::Display| CohortError::Read {
        path: file.clone(),
        message: e.to_string(),
    };
    let mut reader = csv::Reader::from_path(&csv_path).map_err(|e| read_error(&e))?;
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| read_error(&e))?
        .iter()
        .map(str::to_owned)
        .collect();
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().map_err(|e| read_error(&e))?;
    let column = |name: &str| -> Result<usize, CohortError> {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| CohortError::MissingColumn {
                file: file.clone(),
                column: name.into(),
            })
    };
    let (id_col, image_col, mask_col, response_col) = (
        column("patient_id")?,
        column("image")?,
        column("mask")?,
        column("response")?,
    );
    let split_col = headers.iter().position(|h| h == "split");
    let mask2_col = headers.iter().position(|h| h == "mask2");
    let survival_cols = survival_columns(&headers, &file)?;
    let clinical_cols: Vec<(usize, &str)> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !RESERVED.contains(&h.as_str()))
        .map(|(i, h)| (i, h.as_str()))
        .collect();

    let schema_path = base.join(CLINICAL_SCHEMA_FILE);
    let clinical_inputs: Vec<ClinicalInput> = if schema_path.exists() {
        let bytes = std::fs::read(&schema_path).map_err(|e| CohortError::Read {
            path: schema_path.display().to_string(),
            message: e.to_string(),
        })?;
        serde_json::from_slice(&bytes).map_err(|e| CohortError::Read {
            path: schema_path.display().to_string(),
            message: e.to_string(),
        })?
    } else {
        clinical_cols
            .iter()
            .map(|&(c, name)| infer_input(name, rows.iter().map(|r| r.get(c).unwrap_or_default())))
            .collect()
    };
    for input in &clinical_inputs {
        if !clinical_cols.iter().any(|(_, name)| *name == input.name) {
            return Err(CohortError::MissingColumn {
                file: file.clone(),
                column: input.name.clone(),
            });
        }
    }

    let mut patients = Vec::with_capacity(rows.len());
    let mut ids = std::collections::BTreeSet::new();
    for (row_index, row) in rows.iter().enumerate() {
        let cell = |c: usize| row.get(c).unwrap_or_default().trim();
        let id = cell(id_col).to_owned();
        let bad = |column: &str, message: String| CohortError::Value {
            patient: if id.is_empty() {
                format!("row {}", row_index + 2)
            } else {
                id.clone()
            },
            column: column.into(),
            message,
        };
        if id.is_empty() || !ids.insert(id.clone()) {
            return Err(bad("patient_id", "empty or duplicated".into()));
        }
        let response = match cell(response_col).to_ascii_uppercase().as_str() {
            "CR" => Response::Cr,
            "PR" => Response::Pr,
            "SD" => Response::Sd,
            "PD" => Response::Pd,
            other => return Err(bad("response", format!("{other:?} is not one of CR, PR, SD, PD"))),
        };
        let validation = match split_col.map(cell) {
            None => false,
            Some("train") => false,
            Some("validation") => true,
            Some(other) => return Err(bad("split", format!("{other:?} is not train or validation"))),
        };
        let mut clinical = BTreeMap::new();
        for input in &clinical_inputs {
            let c = column(&input.name)?;
            let value = parse_cell(input, cell(c)).map_err(|m| bad(&input.name, m))?;
            clinical.insert(input.name.clone(), value);
        }
        for (c, name) in [(image_col, "image"), (mask_col, "mask")] {
            if cell(c).is_empty() {
                return Err(bad(name, "empty path".into()));
            }
        }
        let survival = match survival_cols {
            Some([os_t, os_e, pfs_t, pfs_e]) => {
                let time = |c: usize, name: &str| {
                    cell(c)
                        .parse::<f64>()
                        .ok()
                        .filter(|t| t.is_finite() && *t >= 0.0)
                        .ok_or_else(|| bad(name, format!("{:?} is not a time in months ≥ 0", cell(c))))
                };
                let event = |c: usize, name: &str| {
                    parse_bool(cell(c)).ok_or_else(|| bad(name, format!("{:?} is not 1/0 or true/false", cell(c))))
                };
                Some(SurvivalTimes {
                    os_months: time(os_t, "os_months")?,
                    os_event: event(os_e, "os_event")?,
                    pfs_months: time(pfs_t, "pfs_months")?,
                    pfs_event: event(pfs_e, "pfs_event")?,
                })
            }
            None => None,
        };
        let mask2 = match mask2_col.map(cell) {
            None => None,
            Some("") => {
                return Err(bad(
                    "mask2",
                    "empty path (the column is present, so every patient needs one)".into(),
                ));
            }
            Some(path) => Some(base.join(path)),
        };
        patients.push(Patient {
            image: base.join(cell(image_col)),
            mask: base.join(cell(mask_col)),
            mask2,
            survival,
            id,
            clinical,
            response,
            validation,
        });
    }
    let split_source = if split_col.is_some() {
        "split column of cohort.csv".to_string()
    } else {
        let y: Vec<bool> = patients.iter().map(|p| p.response.is_objective()).collect();
        for (p, v) in patients.iter_mut().zip(stratified_split(&y, validation_fraction, seed)) {
            p.validation = v;
        }
        format!("stratified random split, validation fraction {validation_fraction}, seed {seed}")
    };
    Ok(Cohort {
        patients,
        clinical_inputs,
        split_source,
    })
}

/// Positions of `os_months, os_event, pfs_months, pfs_event`: all four or none.
fn survival_columns(headers: &[String], file: &str) -> Result<Option<[usize; 4]>, CohortError> {
    let names = ["os_months", "os_event", "pfs_months", "pfs_event"];
    let found = names.map(|name| headers.iter().position(|h| h == name));
    match found.iter().position(Option::is_none) {
        None => Ok(Some(found.map(|c| c.expect("all present")))),
        Some(_) if found.iter().all(Option::is_none) => Ok(None),
        Some(missing) => Err(CohortError::MissingColumn {
            file: file.into(),
            column: format!("{} (the survival columns come as a set of four)", names[missing]),
        }),
    }
}

/// Marks `round(n · fraction)` patients as validation, stratified by outcome: each class
/// contributes its proportional share, chosen by a seeded ChaCha8 shuffle.
pub fn stratified_split(y: &[bool], fraction: f64, seed: u64) -> Vec<bool> {
    let n = y.len();
    let n_validation = (n as f64 * fraction).round() as usize;
    let positives = y.iter().filter(|&&v| v).count();
    let validation_positives = ((n_validation * positives) as f64 / n.max(1) as f64).round() as usize;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut validation = vec![false; n];
    for (class, take) in [
        (true, validation_positives),
        (false, n_validation - validation_positives),
    ] {
        let mut members: Vec<usize> = (0..n).filter(|&i| y[i] == class).collect();
        members.shuffle(&mut rng);
        for &i in members.iter().take(take) {
            validation[i] = true;
        }
    }
    validation
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// A clinical cell validated against its column's schema; empty cells are errors because the
/// models are fitted on complete cases.
fn parse_cell(input: &ClinicalInput, s: &str) -> Result<ClinicalValue, String> {
    if s.is_empty() {
        return Err("missing value".into());
    }
    match input.kind {
        ClinicalType::Boolean => parse_bool(s)
            .map(|b| ClinicalValue::Number(f64::from(u8::from(b))))
            .ok_or_else(|| format!("{s:?} is not a boolean (true/false, 1/0, yes/no)")),
        ClinicalType::Category => {
            let levels = input.levels.as_deref().unwrap_or_default();
            if levels.iter().any(|l| l == s) {
                Ok(ClinicalValue::Level(s.to_owned()))
            } else {
                Err(format!("{s:?} is not one of {}", levels.join(", ")))
            }
        }
        ClinicalType::Number | ClinicalType::Integer => {
            let x: f64 = s
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite())
                .ok_or_else(|| format!("{s:?} is not a number"))?;
            if input.kind == ClinicalType::Integer && x.fract() != 0.0 {
                return Err(format!("{s:?} is not a whole number"));
            }
            if input.minimum.is_some_and(|lo| x < lo) || input.maximum.is_some_and(|hi| x > hi) {
                return Err(format!(
                    "{x} is outside [{}, {}]",
                    input.minimum.unwrap_or(f64::NEG_INFINITY),
                    input.maximum.unwrap_or(f64::INFINITY)
                ));
            }
            Ok(ClinicalValue::Number(x))
        }
    }
}

/// Infers a column's type from its values: boolean, integer, number, or category (sorted levels,
/// the first being the reference). Ranges are left open: observed ranges would reject new patients.
fn infer_input<'a>(name: &str, values: impl Iterator<Item = &'a str> + Clone) -> ClinicalInput {
    let present = values.map(str::trim).filter(|v| !v.is_empty());
    let kind = if present.clone().all(|v| parse_bool(v).is_some()) {
        ClinicalType::Boolean
    } else if present.clone().all(|v| v.parse::<i64>().is_ok()) {
        ClinicalType::Integer
    } else if present.clone().all(|v| v.parse::<f64>().is_ok_and(f64::is_finite)) {
        ClinicalType::Number
    } else {
        ClinicalType::Category
    };
    let levels = (kind == ClinicalType::Category).then(|| {
        let set: std::collections::BTreeSet<String> = present.map(str::to_owned).collect();
        set.into_iter().collect()
    });
    ClinicalInput::required(name, kind, levels)
}

/// Feature values of every patient: one row per patient, columns in the extractor's order.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTable {
    /// Feature names, identical for every patient.
    pub names: Vec<String>,
    /// One row per patient, in cohort order.
    pub rows: Vec<Vec<f64>>,
}

/// Which segmentation of each patient to extract features from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segmentation {
    /// The `mask` column.
    Primary,
    /// The `mask2` column.
    Second,
}

/// Runs `extract(image, mask)` for every patient in parallel with a progress bar on stderr, taking
/// features from `cache` when the inputs are unchanged and storing new ones. Every patient must
/// yield the same feature names in the same order. Returns the table and the number of patients
/// actually extracted (not found in the cache).
pub fn extract_cohort<F, E>(
    cohort: &Cohort,
    segmentation: Segmentation,
    cache: Option<&FeatureCache>,
    extract: F,
) -> Result<(FeatureTable, usize), CohortError>
where
    F: Fn(&Path, &Path) -> Result<Vec<(String, f64)>, E> + Sync,
    E: std::fmt::Display,
{
    let progress = Progress::new(cohort.patients.len());
    let vectors: Vec<(Vec<(String, f64)>, bool)> = cohort
        .patients
        .par_iter()
        .map(|p| {
            let mask = match segmentation {
                Segmentation::Primary => &p.mask,
                Segmentation::Second => p.mask2.as_ref().ok_or_else(|| CohortError::Value {
                    patient: p.id.clone(),
                    column: "mask2".into(),
                    message: "no second segmentation".into(),
                })?,
            };
            let key = cache.map(|c| c.key(&p.image, mask)).transpose()?;
            if let (Some(cache), Some(key)) = (cache, &key)
                && let Some(features) = cache.get(key)?
            {
                progress.tick(true);
                return Ok((features, false));
            }
            let features = extract(&p.image, mask).map_err(|e| CohortError::Extraction {
                patient: p.id.clone(),
                message: e.to_string(),
            })?;
            if let (Some(cache), Some(key)) = (cache, &key) {
                cache.put(key, &features)?;
            }
            progress.tick(false);
            Ok((features, true))
        })
        .collect::<Result<_, CohortError>>()?;
    progress.finish();
    let extracted = vectors.iter().filter(|(_, fresh)| *fresh).count();
    let names: Vec<String> = vectors
        .first()
        .map(|(v, _)| v.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default();
    let mut rows = Vec::with_capacity(vectors.len());
    for (patient, (vector, _)) in cohort.patients.iter().zip(vectors) {
        if vector.len() != names.len() || vector.iter().zip(&names).any(|((a, _), b)| a != b) {
            return Err(CohortError::Extraction {
                patient: patient.id.clone(),
                message: "its feature names differ from the first patient's".into(),
            });
        }
        rows.push(vector.into_iter().map(|(_, v)| v).collect());
    }
    Ok((FeatureTable { names, rows }, extracted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rerun_extracts_only_the_patients_whose_inputs_changed() {
        let dir = tempfile::tempdir().unwrap();
        let options = crate::synth::SynthOptions {
            n: 4,
            seed: 3,
            size: [8, 8, 8],
            ..Default::default()
        };
        crate::synth::generate_cohort(dir.path(), &options).unwrap();
        let cohort = read_cohort(dir.path(), 0.25, 1).unwrap();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        // A stand-in extractor: the mask file's size and a NaN, so the cache must keep non-finite values.
        let fake = |_: &Path, mask: &Path| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let size = std::fs::metadata(mask)
                .map(|m| m.len() as f64)
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(vec![("size".to_string(), size), ("nan".to_string(), f64::NAN)])
        };
        let cache_dir = dir.path().join("cache");
        let params = serde_json::json!({"setting": {"binWidth": 25}});
        let cache = FeatureCache::new(&cache_dir, &params);
        let run = |cache: &FeatureCache| extract_cohort(&cohort, Segmentation::Primary, Some(cache), fake).unwrap();
        let (first, extracted) = run(&cache);
        assert_eq!((extracted, calls.swap(0, std::sync::atomic::Ordering::Relaxed)), (4, 4));
        let (again, extracted) = run(&cache);
        assert_eq!((extracted, calls.swap(0, std::sync::atomic::Ordering::Relaxed)), (0, 0));
        assert_eq!(again.names, first.names);
        for (a, b) in again.rows.iter().zip(&first.rows) {
            assert_eq!(a[0], b[0]);
            assert!(a[1].is_nan() && b[1].is_nan());
        }
        // One changed mask: only that patient is extracted again.
        let mask = &cohort.patients[2].mask;
        let mut bytes = std::fs::read(mask).unwrap();
        bytes.extend_from_slice(b"changed");
        std::fs::write(mask, bytes).unwrap();
        let (changed, extracted) = run(&cache);
        assert_eq!((extracted, calls.swap(0, std::sync::atomic::Ordering::Relaxed)), (1, 1));
        assert_eq!(changed.rows[2][0], first.rows[2][0] + 7.0);
        // Other parameters are another cache.
        let other = FeatureCache::new(&cache_dir, &serde_json::json!({"setting": {"binWidth": 10}}));
        assert_eq!(run(&other).1, 4);
    }

    #[test]
    fn survival_columns_come_as_a_set_of_four() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("cohort.csv"),
            "patient_id,response,image,mask,os_months,os_event\nA,PR,a,am,3,1\n",
        )
        .unwrap();
        let err = read_cohort(dir.path(), 0.2, 1).unwrap_err().to_string();
        assert!(
            err.contains("has no pfs_months (the survival columns come as a set of four)"),
            "{err}"
        );
    }

    #[test]
    fn stratified_split_takes_each_class_in_proportion() {
        let y: Vec<bool> = (0..40).map(|i| i % 4 != 0).collect(); // 30 responders, 10 not
        let v = stratified_split(&y, 0.25, 3);
        let count = |class: bool| (0..40).filter(|&i| v[i] && y[i] == class).count();
        assert_eq!((count(true), count(false)), (8, 2));
        assert_eq!(v, stratified_split(&y, 0.25, 3));
    }

    #[test]
    fn a_bad_clinical_cell_is_reported_with_patient_and_column() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("cohort.csv"),
            "patient_id,age,response,image,mask\nA,60,PR,a.nii,am.nii\nB,sixty,SD,b.nii,bm.nii\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join(CLINICAL_SCHEMA_FILE),
            r#"[{"name":"age","type":"integer","minimum":18,"maximum":100,"required":true}]"#,
        )
        .unwrap();
        let err = read_cohort(dir.path(), 0.2, 1).unwrap_err().to_string();
        assert!(
            err.contains("patient B, column age") && err.contains("not a number"),
            "{err}"
        );
    }

    #[test]
    fn clinical_types_are_inferred_without_a_schema_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("cohort.csv"),
            "patient_id,pvtt,age,afp,stage,response,image,mask\n\
             A,yes,60,12.5,B,PR,a,am\nB,no,70,3,C,PD,b,bm\nC,no,55,8,C,CR,c,cm\nD,yes,48,1,B,SD,d,dm\n",
        )
        .unwrap();
        let cohort = read_cohort(dir.path(), 0.25, 9).unwrap();
        let kinds: Vec<_> = cohort
            .clinical_inputs
            .iter()
            .map(|i| (i.name.as_str(), i.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("pvtt", ClinicalType::Boolean),
                ("age", ClinicalType::Integer),
                ("afp", ClinicalType::Number),
                ("stage", ClinicalType::Category)
            ]
        );
        assert_eq!(cohort.patients.iter().filter(|p| p.validation).count(), 1);
        assert!(cohort.split_source.contains("seed 9"));
        assert_eq!(cohort.patients[0].image, dir.path().join("a"));
    }
}
