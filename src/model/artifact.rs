//! The versioned model artifact: a JSON document holding everything needed to score one patient.
//!
//! Scoring follows the study: each selected radiomic feature is standardised with the training
//! mean and SD, the rad-score is the LASSO linear predictor `intercept + Σ β·z`, and the combined
//! logistic model turns rad-score plus encoded clinical inputs into the probability of objective
//! response (CR+PR by mRECIST). A probability below `cutoff` is the high-risk group.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The artifact format this build reads and writes.
pub const FORMAT: &str = "radscore-model/1";

/// Why an artifact cannot be loaded or a patient cannot be scored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The document is not valid JSON for an artifact.
    #[error("model artifact is not valid: {0}")]
    Parse(#[from] serde_json::Error),
    /// The document parses but breaks a rule (unknown format, bad coefficient, inconsistent terms).
    #[error("model artifact is invalid: {0}")]
    Invalid(String),
    /// Clinical inputs failed validation; one entry per offending field.
    #[error("clinical inputs are invalid: {}", describe_field_errors(.0))]
    Clinical(Vec<FieldError>),
    /// The extracted features lack one the model needs.
    #[error("feature {0} required by the model was not extracted")]
    MissingFeature(String),
    /// A feature the model needs is NaN or infinite for this image.
    #[error("feature {name} is not finite ({value}) for this image")]
    NonFiniteFeature {
        /// The feature's PyRadiomics name.
        name: String,
        /// The offending value.
        value: f64,
    },
}

/// One invalid field: its name and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    /// The field's name as the caller sent it (`clinical.age`).
    pub field: String,
    /// What is wrong, lowercase, with the expected range or levels.
    pub message: String,
}

fn describe_field_errors(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A complete, versioned clinical-radiomic model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    /// Always [`FORMAT`].
    pub format: String,
    /// Model name, used to select it (`tpi-demo`).
    pub name: String,
    /// Semantic version of this artifact.
    pub version: String,
    /// True for every model not validated for clinical use, including the shipped demo.
    pub research_use_only: bool,
    /// What the model is for and what it is not for, in prose.
    pub intended_use: String,
    /// The PyRadiomics parameter document (YAML as JSON) the features were extracted with.
    pub radiomics_params: Value,
    /// LASSO-selected features with their standardisation and coefficients.
    pub radiomic_features: Vec<RadiomicFeature>,
    /// Intercept of the rad-score linear predictor.
    pub rad_score_intercept: f64,
    /// The clinical fields a caller supplies.
    pub clinical_inputs: Vec<ClinicalInput>,
    /// The combined logistic model over rad-score and clinical terms.
    pub combined_model: LogisticModel,
    /// Predicted response probability below which a patient is high risk.
    pub cutoff: f64,
    /// How the model was trained and how it performed.
    pub training: Value,
    /// Training-cohort Kaplan–Meier medians per risk group, returned with every prediction; absent in
    /// artifacts trained before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_group_survival: Option<RiskGroupSurvival>,
}

/// Training-cohort survival of each risk group under this artifact's cutoff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskGroupSurvival {
    /// Patients whose probability is below the cutoff.
    pub high: GroupSurvival,
    /// Patients whose probability is at or above the cutoff.
    pub low: GroupSurvival,
}

/// Kaplan–Meier medians of one risk group; `None` when the curve never falls to 0.5 (median not reached).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSurvival {
    /// Training patients in the group.
    pub n: usize,
    /// Median overall survival in months.
    pub median_os_months: Option<f64>,
    /// Median progression-free survival in months.
    pub median_pfs_months: Option<f64>,
}

/// One radiomic feature of the rad-score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RadiomicFeature {
    /// PyRadiomics feature name (`original_glcm_Idmn`).
    pub name: String,
    /// Training mean used for z-scoring.
    pub mean: f64,
    /// Training standard deviation used for z-scoring (> 0).
    pub sd: f64,
    /// LASSO coefficient on the z-score.
    pub coefficient: f64,
}

/// The type of a clinical input, which decides how it is validated and encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClinicalType {
    /// Any finite number within `minimum`/`maximum`.
    Number,
    /// A whole number within `minimum`/`maximum`.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// One of `levels`.
    Category,
}

/// Schema of one clinical input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClinicalInput {
    /// Field name in the request's `clinical` object.
    pub name: String,
    /// Value type.
    #[serde(rename = "type")]
    pub kind: ClinicalType,
    /// Human-readable meaning.
    #[serde(default)]
    pub description: String,
    /// Unit of a numeric value (`years`, `ng/mL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Smallest accepted numeric value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<f64>,
    /// Largest accepted numeric value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<f64>,
    /// Accepted values of a category; the first is the reference level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<Vec<String>>,
    /// Whether the caller must supply it.
    pub required: bool,
}

/// A logistic model: `logit p = intercept + Σ coefficient · (x − center) / scale`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogisticModel {
    /// Intercept on the logit scale.
    pub intercept: f64,
    /// One term per encoded predictor.
    pub terms: Vec<Term>,
}

/// One predictor of a logistic model and how its raw value is encoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    /// `rad_score`, or the name of a clinical input.
    pub input: String,
    /// For a category input: the level this indicator term is 1 for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Subtracted before scaling (0 for indicators).
    pub center: f64,
    /// Divides the centred value (1 for indicators).
    pub scale: f64,
    /// Coefficient on the encoded value.
    pub coefficient: f64,
}

impl LogisticModel {
    /// Probability of response for a patient's rad-score and validated clinical values.
    pub fn probability(&self, rad_score: f64, clinical: &BTreeMap<String, ClinicalValue>) -> Result<f64, ModelError> {
        let mut logit = self.intercept;
        for term in &self.terms {
            logit += term.contribution(term.raw_value(rad_score, clinical)?);
        }
        Ok(sigmoid(logit))
    }
}

impl ClinicalInput {
    /// A required input with no description, unit or range: the schema training infers.
    pub fn required(name: &str, kind: ClinicalType, levels: Option<Vec<String>>) -> ClinicalInput {
        ClinicalInput {
            name: name.into(),
            kind,
            description: String::new(),
            unit: None,
            minimum: None,
            maximum: None,
            levels,
            required: true,
        }
    }
}

impl Term {
    /// The raw value this term encodes: the rad-score, a number, or 0/1 for a category indicator.
    pub fn raw_value(&self, rad_score: f64, clinical: &BTreeMap<String, ClinicalValue>) -> Result<f64, ModelError> {
        if self.input == "rad_score" {
            return Ok(rad_score);
        }
        match (clinical.get(&self.input), &self.level) {
            (Some(ClinicalValue::Level(v)), Some(level)) => Ok(f64::from(u8::from(v == level))),
            (Some(ClinicalValue::Number(x)), None) => Ok(*x),
            // An optional input left out contributes its centre, i.e. nothing.
            (None, None) => Ok(self.center),
            (None, Some(_)) => Ok(0.0),
            _ => Err(ModelError::Invalid(format!(
                "term {} does not match its input's type",
                self.display_name()
            ))),
        }
    }

    /// `coefficient · (value − center) / scale`, the term's addition to the logit.
    pub fn contribution(&self, value: f64) -> f64 {
        self.coefficient * (value - self.center) / self.scale
    }

    /// Display name: the input, with `=level` for a category indicator.
    pub fn display_name(&self) -> String {
        match &self.level {
            Some(level) => format!("{}={}", self.input, level),
            None => self.input.clone(),
        }
    }
}

/// High risk: predicted response probability below the cutoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskGroup {
    /// Probability of response below the cutoff.
    High,
    /// Probability of response at or above the cutoff.
    Low,
}

/// How much one predictor moved a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// Feature name or combined-model term.
    pub name: String,
    /// The raw value (feature value, clinical value encoded as a number, or rad-score).
    pub value: f64,
    /// Coefficient applied to the standardised value.
    pub coefficient: f64,
    /// `coefficient × standardised value`.
    pub contribution: f64,
    /// Which score the contribution adds to: `rad_score` or `logit` (the combined model).
    pub target: String,
}

/// The result of scoring one patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Predicted probability of objective response (CR+PR).
    pub probability: f64,
    /// LASSO rad-score.
    pub rad_score: f64,
    /// Risk group from the cutoff.
    pub risk_group: RiskGroup,
    /// Per-predictor contributions, radiomic features first.
    pub contributions: Vec<Contribution>,
}

impl Artifact {
    /// Parses and validates an artifact document.
    pub fn from_json(bytes: &[u8]) -> Result<Artifact, ModelError> {
        let artifact: Artifact = serde_json::from_slice(bytes)?;
        artifact.validate()?;
        Ok(artifact)
    }

    /// Checks every invariant scoring relies on, so a broken artifact fails at start-up.
    pub fn validate(&self) -> Result<(), ModelError> {
        let invalid = |m: String| Err(ModelError::Invalid(m));
        if self.format != FORMAT {
            return invalid(format!("format is {:?}, expected {FORMAT:?}", self.format));
        }
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            return invalid(format!(
                "name {:?} must be non-empty ASCII letters, digits, '-', '_' or '.'",
                self.name
            ));
        }
        if self.version.is_empty() {
            return invalid("version is empty".into());
        }
        if self.radiomic_features.is_empty() {
            return invalid("radiomic_features is empty: a rad-score needs at least one feature".into());
        }
        for f in &self.radiomic_features {
            if !(f.sd.is_finite() && f.sd > 0.0 && f.mean.is_finite() && f.coefficient.is_finite()) {
                return invalid(format!(
                    "radiomic feature {} needs finite mean, coefficient and sd > 0",
                    f.name
                ));
            }
        }
        if !self.rad_score_intercept.is_finite() || !self.combined_model.intercept.is_finite() {
            return invalid("intercepts must be finite".into());
        }
        if !(self.cutoff > 0.0 && self.cutoff < 1.0) {
            return invalid(format!(
                "cutoff {} is not a probability strictly between 0 and 1",
                self.cutoff
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        for input in &self.clinical_inputs {
            if !names.insert(input.name.as_str()) || input.name == "rad_score" {
                return invalid(format!(
                    "clinical input {} is declared twice or shadows rad_score",
                    input.name
                ));
            }
            match input.kind {
                ClinicalType::Category => match &input.levels {
                    Some(levels) if levels.len() >= 2 => {}
                    _ => return invalid(format!("category input {} needs at least two levels", input.name)),
                },
                ClinicalType::Number | ClinicalType::Integer => {
                    if let (Some(lo), Some(hi)) = (input.minimum, input.maximum)
                        && lo > hi
                    {
                        return invalid(format!("input {}: minimum {lo} exceeds maximum {hi}", input.name));
                    }
                }
                ClinicalType::Boolean => {}
            }
        }
        for term in &self.combined_model.terms {
            if !(term.scale.is_finite() && term.scale > 0.0 && term.center.is_finite() && term.coefficient.is_finite())
            {
                return invalid(format!(
                    "term {} needs finite center, coefficient and scale > 0",
                    term.display_name()
                ));
            }
            if term.input == "rad_score" {
                continue;
            }
            let Some(input) = self.clinical_inputs.iter().find(|i| i.name == term.input) else {
                return invalid(format!(
                    "term {} uses undeclared clinical input {}",
                    term.display_name(),
                    term.input
                ));
            };
            let level_ok = match (&term.level, input.kind, &input.levels) {
                (Some(level), ClinicalType::Category, Some(levels)) => levels.contains(level),
                (None, ClinicalType::Category, _) => false,
                (None, _, _) => true,
                _ => false,
            };
            if !level_ok {
                return invalid(format!(
                    "term {} does not match the type or levels of input {}",
                    term.display_name(),
                    input.name
                ));
            }
        }
        if !self.combined_model.terms.iter().any(|t| t.input == "rad_score") {
            return invalid("combined_model has no rad_score term".into());
        }
        Ok(())
    }

    /// Names of the radiomic features the model needs.
    pub fn feature_names(&self) -> impl Iterator<Item = &str> {
        self.radiomic_features.iter().map(|f| f.name.as_str())
    }

    /// Validates a request's clinical object against [`Artifact::clinical_inputs`], reporting every
    /// bad field at once: missing required fields, unknown fields, wrong types, out-of-range values.
    pub fn validate_clinical(
        &self,
        clinical: &serde_json::Map<String, Value>,
    ) -> Result<BTreeMap<String, ClinicalValue>, ModelError> {
        let mut errors = Vec::new();
        let mut values = BTreeMap::new();
        let field = |name: &str| format!("clinical.{name}");
        for name in clinical.keys() {
            if !self.clinical_inputs.iter().any(|i| &i.name == name) {
                let known: Vec<&str> = self.clinical_inputs.iter().map(|i| i.name.as_str()).collect();
                errors.push(FieldError {
                    field: field(name),
                    message: format!("unknown field; this model accepts {}", known.join(", ")),
                });
            }
        }
        for input in &self.clinical_inputs {
            match clinical.get(&input.name) {
                None | Some(Value::Null) => {
                    if input.required {
                        errors.push(FieldError {
                            field: field(&input.name),
                            message: format!("required {} is missing", describe_type(input)),
                        });
                    }
                }
                Some(raw) => match parse_clinical_value(input, raw) {
                    Ok(v) => {
                        values.insert(input.name.clone(), v);
                    }
                    Err(message) => errors.push(FieldError {
                        field: field(&input.name),
                        message,
                    }),
                },
            }
        }
        if errors.is_empty() {
            Ok(values)
        } else {
            Err(ModelError::Clinical(errors))
        }
    }

    /// Scores one patient from extracted features and validated clinical values.
    pub fn predict(
        &self,
        features: &BTreeMap<String, f64>,
        clinical: &BTreeMap<String, ClinicalValue>,
    ) -> Result<Prediction, ModelError> {
        let mut contributions = Vec::with_capacity(self.radiomic_features.len() + self.combined_model.terms.len());
        let mut rad_score = self.rad_score_intercept;
        for f in &self.radiomic_features {
            let value = *features
                .get(&f.name)
                .ok_or_else(|| ModelError::MissingFeature(f.name.clone()))?;
            if !value.is_finite() {
                return Err(ModelError::NonFiniteFeature {
                    name: f.name.clone(),
                    value,
                });
            }
            let contribution = f.coefficient * (value - f.mean) / f.sd;
            rad_score += contribution;
            contributions.push(Contribution {
                name: f.name.clone(),
                value,
                coefficient: f.coefficient,
                contribution,
                target: "rad_score".into(),
            });
        }
        let mut logit = self.combined_model.intercept;
        for term in &self.combined_model.terms {
            let value = term.raw_value(rad_score, clinical)?;
            let contribution = term.contribution(value);
            logit += contribution;
            contributions.push(Contribution {
                name: term.display_name(),
                value,
                coefficient: term.coefficient,
                contribution,
                target: "logit".into(),
            });
        }
        let probability = sigmoid(logit);
        let risk_group = if probability < self.cutoff {
            RiskGroup::High
        } else {
            RiskGroup::Low
        };
        Ok(Prediction {
            probability,
            rad_score,
            risk_group,
            contributions,
        })
    }
}

/// A validated clinical value: numbers and booleans (as 0/1) are numeric, categories keep their level.
#[derive(Debug, Clone, PartialEq)]
pub enum ClinicalValue {
    /// Number, integer or boolean (1 for true).
    Number(f64),
    /// A category level.
    Level(String),
}

fn describe_type(input: &ClinicalInput) -> String {
    match (input.kind, &input.levels) {
        (ClinicalType::Category, Some(levels)) => format!("category (one of {})", levels.join(", ")),
        (ClinicalType::Boolean, _) => "boolean".into(),
        (kind, _) => {
            let kind = if kind == ClinicalType::Integer {
                "integer"
            } else {
                "number"
            };
            match (input.minimum, input.maximum) {
                (Some(lo), Some(hi)) => format!("{kind} in [{lo}, {hi}]"),
                _ => kind.into(),
            }
        }
    }
}

fn parse_clinical_value(input: &ClinicalInput, raw: &Value) -> Result<ClinicalValue, String> {
    let expected = || format!("expected {}, got {raw}", describe_type(input));
    match input.kind {
        ClinicalType::Boolean => raw
            .as_bool()
            .map(|b| ClinicalValue::Number(f64::from(u8::from(b))))
            .ok_or_else(expected),
        ClinicalType::Category => {
            let levels = input.levels.as_deref().unwrap_or_default();
            match raw.as_str() {
                Some(s) if levels.iter().any(|l| l == s) => Ok(ClinicalValue::Level(s.to_owned())),
                _ => Err(expected()),
            }
        }
        ClinicalType::Number | ClinicalType::Integer => {
            let x = raw.as_f64().filter(|x| x.is_finite()).ok_or_else(expected)?;
            if input.kind == ClinicalType::Integer && x.fract() != 0.0 {
                return Err(expected());
            }
            if input.minimum.is_some_and(|lo| x < lo) || input.maximum.is_some_and(|hi| x > hi) {
                return Err(format!(
                    "{x} is out of range; {}",
                    expected().split(", got").next().unwrap_or_default()
                ));
            }
            Ok(ClinicalValue::Number(x))
        }
    }
}

/// The logistic function, written to stay finite for large |x|.
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}
