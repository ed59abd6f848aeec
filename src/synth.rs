//! A deterministic synthetic cohort standing in for the study's non-public patients: MR-like liver
//! volumes with one lesion each, clinical fields, mRECIST response and survival.
//!
//! Each patient has a latent imaging phenotype `u ~ N(0, 1)` that drives the lesion's look
//! (enhancement up, heterogeneity, necrosis and boundary irregularity down as `u` grows) and, with
//! the clinical fields, the true logit of objective response (CR+PR). The coefficients are written to
//! `truth.json`, so tests can compare a trained model with the oracle. Patient `i` draws from its own
//! ChaCha8 stream, so patients are generated in parallel and identically for a seed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ndarray::Array3;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;
use serde::Serialize;

use crate::cohort::{CLINICAL_SCHEMA_FILE, stratified_split};
use crate::imaging::{Geometry, ImagingError, NiftiDatatype, Volume, write_nifti_gz};
use crate::model::{ClinicalInput, ClinicalType, sigmoid};

/// Why a cohort could not be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SynthError {
    /// An option is out of range.
    #[error("invalid option: {0}")]
    Option(String),
    /// Writing a file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Writing a volume failed.
    #[error(transparent)]
    Imaging(#[from] ImagingError),
    /// Writing the CSV failed.
    #[error("cannot write cohort.csv: {0}")]
    Csv(#[from] csv::Error),
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthOptions {
    /// Number of patients.
    pub n: usize,
    /// Seed of every random draw.
    pub seed: u64,
    /// Share of patients in the validation split; the study's 48 of 239 by default.
    pub validation_fraction: f64,
    /// Voxels along x, y, z. Spacing scales so the field of view stays ~190 × 190 × 120 mm.
    pub size: [usize; 3],
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            n: 239,
            seed: 7,
            validation_fraction: 48.0 / 239.0,
            size: [128, 128, 24],
        }
    }
}

/// True coefficients of the response model: logit P(CR or PR) = intercept + Σ coefficient · covariate.
/// Covariates: `latent_phenotype` (u), `pvtt`, `extrahepatic_spread` (0/1), `albi_grade=2`,
/// `albi_grade=3`, `child_pugh_class=B` (indicators) and `largest_diameter_per_10mm_above_75`.
const RESPONSE_INTERCEPT: f64 = 2.35;
const RESPONSE_COEFFICIENTS: [(&str, f64); 7] = [
    ("latent_phenotype", 2.0),
    ("pvtt", -0.6),
    ("extrahepatic_spread", -0.5),
    ("albi_grade=2", -0.45),
    ("albi_grade=3", -0.9),
    ("child_pugh_class=B", -0.4),
    ("largest_diameter_per_10mm_above_75", -0.12),
];

/// The clinical columns of `cohort.csv`, with units and plausible ranges (not the observed ones),
/// also written to `clinical_inputs.json` so training knows each column's type.
pub fn clinical_schema() -> Vec<ClinicalInput> {
    let number = |name: &str, kind, unit: &str, lo, hi, description: &str| ClinicalInput {
        name: name.into(),
        kind,
        description: description.into(),
        unit: Some(unit.into()),
        minimum: Some(lo),
        maximum: Some(hi),
        levels: None,
        required: true,
    };
    let category = |name: &str, levels: &[&str], description: &str| ClinicalInput {
        name: name.into(),
        kind: ClinicalType::Category,
        description: description.into(),
        unit: None,
        minimum: None,
        maximum: None,
        levels: Some(levels.iter().map(|s| s.to_string()).collect()),
        required: true,
    };
    let boolean = |name: &str, description: &str| ClinicalInput {
        name: name.into(),
        kind: ClinicalType::Boolean,
        description: description.into(),
        unit: None,
        minimum: None,
        maximum: None,
        levels: None,
        required: true,
    };
    vec![
        number(
            "age",
            ClinicalType::Integer,
            "years",
            18.0,
            100.0,
            "Age at treatment start",
        ),
        category("sex", &["male", "female"], "Sex"),
        boolean("hbv", "Hepatitis B virus infection"),
        number(
            "afp",
            ClinicalType::Number,
            "ng/mL",
            0.0,
            1e7,
            "Serum alpha-fetoprotein",
        ),
        category("albi_grade", &["1", "2", "3"], "Albumin-bilirubin (ALBI) grade"),
        category("child_pugh_class", &["A", "B"], "Child-Pugh class"),
        category("bclc_stage", &["B", "C"], "Barcelona Clinic Liver Cancer stage"),
        boolean("pvtt", "Portal vein tumour thrombus"),
        boolean("extrahepatic_spread", "Extrahepatic spread"),
        number(
            "tumour_number",
            ClinicalType::Integer,
            "count",
            1.0,
            50.0,
            "Number of intrahepatic tumours",
        ),
        number(
            "largest_diameter",
            ClinicalType::Number,
            "mm",
            5.0,
            300.0,
            "Largest tumour diameter",
        ),
    ]
}

/// One synthetic patient's clinical record and outcomes.
#[derive(Debug, Clone, PartialEq)]
struct Record {
    age: u32,
    male: bool,
    hbv: bool,
    afp: f64,
    albi_grade: u8,
    child_pugh_b: bool,
    bclc_c: bool,
    pvtt: bool,
    extrahepatic_spread: bool,
    tumour_number: u32,
    largest_diameter: f64,
    latent: f64,
    linear_predictor: f64,
    response: &'static str,
    os_months: f64,
    os_event: bool,
    pfs_months: f64,
    pfs_event: bool,
}

impl Record {
    fn covariates(&self) -> [f64; 7] {
        let flag = |b: bool| f64::from(u8::from(b));
        [
            self.latent,
            flag(self.pvtt),
            flag(self.extrahepatic_spread),
            flag(self.albi_grade == 2),
            flag(self.albi_grade == 3),
            flag(self.child_pugh_b),
            (self.largest_diameter - 75.0) / 10.0,
        ]
    }

    fn responder(&self) -> bool {
        matches!(self.response, "CR" | "PR")
    }
}

fn patient_rng(seed: u64, index: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index as u64 + 1);
    rng
}

fn normal(rng: &mut ChaCha8Rng, mean: f64, sd: f64) -> f64 {
    Normal::new(mean, sd).map(|d| d.sample(rng)).unwrap_or(mean)
}

/// Rounds to `decimals` places so the CSV holds exactly what the model trains on.
fn round_to(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

fn draw_record(rng: &mut ChaCha8Rng) -> Record {
    let age = normal(rng, 56.0, 10.0).round().clamp(25.0, 85.0) as u32;
    let male = rng.random_bool(0.86);
    let hbv = rng.random_bool(0.8);
    let afp = round_to(10f64.powf(normal(rng, 2.3, 1.2).clamp(0.0, 5.5)), 1);
    let albi_grade = match rng.random::<f64>() {
        u if u < 0.45 => 1,
        u if u < 0.95 => 2,
        _ => 3,
    };
    let child_pugh_b = rng.random_bool(if albi_grade == 1 { 0.05 } else { 0.25 });
    let pvtt = rng.random_bool(0.45);
    let extrahepatic_spread = rng.random_bool(0.3);
    // BCLC C: vascular invasion or spread, or (here, at random) impaired performance status.
    let bclc_c = pvtt || extrahepatic_spread || rng.random_bool(0.2);
    let tumour_number = match rng.random::<f64>() {
        u if u < 0.35 => 1,
        u if u < 0.55 => 2,
        u if u < 0.7 => 3,
        _ => rng.random_range(4..=8),
    };
    let largest_diameter = round_to((normal(rng, 75f64.ln(), 0.4)).exp().clamp(20.0, 110.0), 1);
    let latent = normal(rng, 0.0, 1.0);
    let mut record = Record {
        age,
        male,
        hbv,
        afp,
        albi_grade,
        child_pugh_b,
        bclc_c,
        pvtt,
        extrahepatic_spread,
        tumour_number,
        largest_diameter,
        latent,
        linear_predictor: 0.0,
        response: "",
        os_months: 0.0,
        os_event: false,
        pfs_months: 0.0,
        pfs_event: false,
    };
    record.linear_predictor = RESPONSE_INTERCEPT
        + record
            .covariates()
            .iter()
            .zip(RESPONSE_COEFFICIENTS)
            .map(|(x, (_, b))| x * b)
            .sum::<f64>();
    let responder = rng.random_bool(sigmoid(record.linear_predictor));
    // CR is rarer (15 of 176 responders in the study) and likelier for a favourable phenotype;
    // SD is 26 of 63 non-responders.
    record.response = if responder {
        if rng.random_bool(sigmoid(-2.8 + 0.8 * latent)) {
            "CR"
        } else {
            "PR"
        }
    } else if rng.random_bool(sigmoid(-0.35 + 0.5 * latent)) {
        "SD"
    } else {
        "PD"
    };
    // Exponential survival; response, PVTT, spread and AFP move the hazard. Follow-up is censored
    // uniformly between 6 and 40 months.
    let log_afp = afp.max(1.0).log10();
    let os_rate = 2f64.ln() / 22.0
        * (-0.8 * f64::from(u8::from(responder)) + 0.35 * f64::from(u8::from(pvtt)) + 0.15 * (log_afp - 2.3)).exp();
    let pfs_rate = 2f64.ln() / 9.0
        * (-0.9 * f64::from(u8::from(responder)) + 0.3 * f64::from(u8::from(extrahepatic_spread))).exp();
    let exponential = |rng: &mut ChaCha8Rng, rate: f64| -(1.0 - rng.random::<f64>()).ln() / rate;
    let death = exponential(rng, os_rate);
    let progression = exponential(rng, pfs_rate).min(death);
    let follow_up = rng.random_range(6.0..40.0);
    record.os_months = round_to(death.min(follow_up), 2).max(0.01);
    record.os_event = death <= follow_up;
    record.pfs_months = round_to(progression.min(follow_up), 2).max(0.01);
    record.pfs_event = progression <= follow_up;
    record
}

/// The lesion's appearance, every aspect a function of the latent phenotype `u`.
struct Lesion {
    center_mm: [f64; 3],
    semi_axes_mm: [f64; 3],
    rotation: f64,
    /// Lobulation amplitude of the boundary, relative to the radius.
    irregularity: f64,
    lobes: [(f64, f64, f64, f64); 3],
    /// Lesion-to-liver signal ratio.
    enhancement: f64,
    /// Voxel noise SD inside the lesion.
    heterogeneity: f64,
    /// Amplitude and wavelength (mm) of the mottled texture.
    texture: (f64, f64, [f64; 3]),
    /// Normalised radius of the necrotic core (0 = none).
    necrosis: f64,
}

fn draw_lesion(rng: &mut ChaCha8Rng, record: &Record, fov: [f64; 3]) -> Lesion {
    let u = record.latent;
    let unfavourable = sigmoid(-1.2 * u);
    let a = record.largest_diameter / 2.0;
    let b = a * rng.random_range(0.75..1.0);
    let c = (a * rng.random_range(0.55..0.85)).min(fov[2] * 0.4);
    let lobe = |rng: &mut ChaCha8Rng| {
        (
            f64::from(rng.random_range(2..6u8)),
            f64::from(rng.random_range(1..4u8)),
            rng.random_range(0.0..std::f64::consts::TAU),
            rng.random_range(0.5..1.0),
        )
    };
    Lesion {
        center_mm: [normal(rng, 0.0, 8.0), normal(rng, 0.0, 8.0), normal(rng, 0.0, 3.0)],
        semi_axes_mm: [a, b, c],
        rotation: rng.random_range(0.0..std::f64::consts::PI),
        irregularity: 0.03 + 0.2 * unfavourable,
        lobes: [lobe(rng), lobe(rng), lobe(rng)],
        enhancement: 1.3 + 0.35 * (0.8 * u).tanh() + normal(rng, 0.0, 0.03),
        heterogeneity: 15.0 + 50.0 * unfavourable,
        texture: (
            70.0 * unfavourable,
            rng.random_range(8.0..16.0),
            [
                rng.random_range(0.0..6.3),
                rng.random_range(0.0..6.3),
                rng.random_range(0.0..6.3),
            ],
        ),
        necrosis: 0.65 * sigmoid(-1.5 * u - 1.0),
    }
}

/// Renders image and mask on one grid. The image is liver parenchyma with a smooth bias field and
/// Rician-like noise inside an elliptical body outline, dark air outside, and the lesion.
fn render(rng: &mut ChaCha8Rng, lesion: &Lesion, geometry: &Geometry) -> (Array3<f64>, Array3<f64>) {
    let [nx, ny, nz] = geometry.size;
    let liver = 420.0 * (1.0 + normal(rng, 0.0, 0.04));
    let parenchyma_noise = Normal::<f64>::new(0.0, 18.0).expect("valid sd");
    let lesion_noise = Normal::new(0.0, lesion.heterogeneity).expect("valid sd");
    let air_noise = Normal::<f64>::new(0.0, 6.0).expect("valid sd");
    let fov = [0, 1, 2].map(|a| geometry.spacing[a] * geometry.size[a] as f64);
    let (sin_r, cos_r) = lesion.rotation.sin_cos();
    let mut image = Array3::zeros((nz, ny, nx));
    let mut mask = Array3::zeros((nz, ny, nx));
    for ((k, j, i), value) in image.indexed_iter_mut() {
        let p = geometry.index_to_physical([i as f64, j as f64, k as f64]);
        let body = (p[0] / (0.46 * fov[0])).powi(2) + (p[1] / (0.38 * fov[1])).powi(2);
        if body > 1.0 {
            *value = 8.0 + f64::abs(air_noise.sample(rng));
            continue;
        }
        let bias = 1.0 + 0.08 * (p[0] / 60.0).sin() * (p[1] / 75.0).cos();
        let d = [0, 1, 2].map(|a| p[a] - lesion.center_mm[a]);
        let local = [
            (cos_r * d[0] + sin_r * d[1]) / lesion.semi_axes_mm[0],
            (-sin_r * d[0] + cos_r * d[1]) / lesion.semi_axes_mm[1],
            d[2] / lesion.semi_axes_mm[2],
        ];
        let rho = local.iter().map(|v| v * v).sum::<f64>().sqrt();
        let inside = rho <= 1.0 + lesion.irregularity && {
            let azimuth = local[1].atan2(local[0]);
            let polar = (local[2] / rho.max(1e-9)).clamp(-1.0, 1.0).acos();
            let boundary = 1.0
                + lesion.irregularity
                    * lesion
                        .lobes
                        .iter()
                        .map(|(m, l, phase, amp)| amp * (m * azimuth + phase).sin() * (l * polar).cos())
                        .sum::<f64>()
                    / 2.0;
            rho <= boundary
        };
        if inside {
            mask[[k, j, i]] = 1.0;
            let (amplitude, wavelength, phase) = lesion.texture;
            let w = std::f64::consts::TAU / wavelength;
            let mottle =
                amplitude * (w * p[0] + phase[0]).sin() * (w * p[1] + phase[1]).sin() * (w * p[2] + phase[2]).cos();
            *value = if rho < lesion.necrosis {
                0.45 * liver + 0.5 * lesion_noise.sample(rng)
            } else {
                liver * bias * lesion.enhancement + mottle + lesion_noise.sample(rng)
            };
        } else {
            *value = liver * bias + parenchyma_noise.sample(rng);
        }
    }
    (image, mask)
}

/// Per-patient entry of `truth.json`.
#[derive(Debug, Serialize)]
struct TruthPatient {
    patient_id: String,
    latent_phenotype: f64,
    linear_predictor: f64,
    probability_of_response: f64,
}

/// What the generator knows and a model can only estimate.
#[derive(Debug, Serialize)]
struct Truth {
    generator: String,
    seed: u64,
    n: usize,
    response_model: BTreeMap<&'static str, serde_json::Value>,
    patients: Vec<TruthPatient>,
}

fn patient_id(index: usize) -> String {
    format!("SYN-{:04}", index + 1)
}

/// Writes `DIR/cohort.csv`, `DIR/clinical_inputs.json`, `DIR/truth.json` and per patient
/// `DIR/images/<id>.nii.gz` (int16) and `DIR/masks/<id>.nii.gz` (uint8, label 1).
pub fn generate_cohort(out: &Path, options: &SynthOptions) -> Result<(), SynthError> {
    if options.n == 0 {
        return Err(SynthError::Option("--n must be at least 1".into()));
    }
    if !(0.0..1.0).contains(&options.validation_fraction) {
        return Err(SynthError::Option(format!(
            "validation fraction {} must be in [0, 1)",
            options.validation_fraction
        )));
    }
    if options.size.iter().any(|&s| s < 8) {
        return Err(SynthError::Option(format!(
            "volume size {:?} needs at least 8 voxels per axis",
            options.size
        )));
    }
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| SynthError::Io { path, source }
    };
    for sub in ["images", "masks"] {
        let dir = out.join(sub);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    }
    let records: Vec<Record> = (0..options.n)
        .into_par_iter()
        .map(|index| write_patient(out, index, options))
        .collect::<Result<_, _>>()?;
    let responders: Vec<bool> = records.iter().map(Record::responder).collect();
    let validation = stratified_split(&responders, options.validation_fraction, options.seed);

    let csv_path = out.join("cohort.csv");
    let mut csv = csv::Writer::from_path(&csv_path)?;
    let mut header = vec!["patient_id"];
    let schema = clinical_schema();
    header.extend(schema.iter().map(|c| c.name.as_str()));
    header.extend([
        "response",
        "os_months",
        "os_event",
        "pfs_months",
        "pfs_event",
        "split",
        "image",
        "mask",
    ]);
    csv.write_record(&header)?;
    for (index, r) in records.iter().enumerate() {
        let id = patient_id(index);
        let flag = |b: bool| if b { "true" } else { "false" }.to_string();
        csv.write_record([
            id.clone(),
            r.age.to_string(),
            if r.male { "male" } else { "female" }.into(),
            flag(r.hbv),
            r.afp.to_string(),
            r.albi_grade.to_string(),
            if r.child_pugh_b { "B" } else { "A" }.into(),
            if r.bclc_c { "C" } else { "B" }.into(),
            flag(r.pvtt),
            flag(r.extrahepatic_spread),
            r.tumour_number.to_string(),
            r.largest_diameter.to_string(),
            r.response.into(),
            r.os_months.to_string(),
            u8::from(r.os_event).to_string(),
            r.pfs_months.to_string(),
            u8::from(r.pfs_event).to_string(),
            if validation[index] { "validation" } else { "train" }.into(),
            format!("images/{id}.nii.gz"),
            format!("masks/{id}.nii.gz"),
        ])?;
    }
    csv.flush().map_err(io(&csv_path))?;

    let schema_path = out.join(CLINICAL_SCHEMA_FILE);
    let json = serde_json::to_vec_pretty(&schema).expect("schema serialises");
    std::fs::write(&schema_path, json).map_err(io(&schema_path))?;

    let mut response_model = BTreeMap::new();
    response_model.insert("intercept", serde_json::json!(RESPONSE_INTERCEPT));
    response_model.insert(
        "coefficients",
        serde_json::json!(
            RESPONSE_COEFFICIENTS
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect::<BTreeMap<_, _>>()
        ),
    );
    response_model.insert(
        "outcome",
        serde_json::json!("objective response (CR or PR) ~ Bernoulli(sigmoid(intercept + Σ coefficient·covariate))"),
    );
    let truth = Truth {
        generator: format!("radscore {} synth-cohort", env!("CARGO_PKG_VERSION")),
        seed: options.seed,
        n: options.n,
        response_model,
        patients: records
            .iter()
            .enumerate()
            .map(|(index, r)| TruthPatient {
                patient_id: patient_id(index),
                latent_phenotype: r.latent,
                linear_predictor: r.linear_predictor,
                probability_of_response: sigmoid(r.linear_predictor),
            })
            .collect(),
    };
    let truth_path = out.join("truth.json");
    let json = serde_json::to_vec_pretty(&truth).expect("truth serialises");
    std::fs::write(&truth_path, json).map_err(io(&truth_path))?;
    Ok(())
}

fn write_patient(out: &Path, index: usize, options: &SynthOptions) -> Result<Record, SynthError> {
    let mut rng = patient_rng(options.seed, index);
    let record = draw_record(&mut rng);
    let [nx, _, nz] = options.size;
    let in_plane = round_to(rng.random_range(1.35..1.65) * 128.0 / nx as f64, 3);
    let slice = round_to(rng.random_range(4.0..6.0) * 24.0 / nz as f64, 3);
    let spacing = [in_plane, in_plane, slice];
    let geometry = Geometry {
        size: options.size,
        spacing,
        origin: [0, 1, 2].map(|a| round_to(-(options.size[a] as f64 - 1.0) / 2.0 * spacing[a], 3)),
        direction: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
    };
    let fov = [0, 1, 2].map(|a| spacing[a] * options.size[a] as f64);
    let lesion = draw_lesion(&mut rng, &record, fov);
    let (image, mask) = render(&mut rng, &lesion, &geometry);
    let id = patient_id(index);
    let image_path: PathBuf = out.join("images").join(format!("{id}.nii.gz"));
    let mask_path: PathBuf = out.join("masks").join(format!("{id}.nii.gz"));
    write_nifti_gz(&image_path, &Volume::new(geometry.clone(), image), NiftiDatatype::I16)?;
    write_nifti_gz(&mask_path, &Volume::new(geometry, mask), NiftiDatatype::U8)?;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(n: usize, seed: u64) -> SynthOptions {
        SynthOptions {
            n,
            seed,
            size: [48, 48, 12],
            ..SynthOptions::default()
        }
    }

    #[test]
    fn the_same_seed_gives_identical_cohort_csv_and_images() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        generate_cohort(a.path(), &small(4, 11)).unwrap();
        generate_cohort(b.path(), &small(4, 11)).unwrap();
        for file in [
            "cohort.csv",
            "truth.json",
            "images/SYN-0003.nii.gz",
            "masks/SYN-0003.nii.gz",
        ] {
            let read = |d: &tempfile::TempDir| std::fs::read(d.path().join(file)).unwrap();
            assert_eq!(read(&a), read(&b), "{file} differs between runs with one seed");
        }
        let c = tempfile::tempdir().unwrap();
        generate_cohort(c.path(), &small(4, 12)).unwrap();
        let csv = |d: &tempfile::TempDir| std::fs::read(d.path().join("cohort.csv")).unwrap();
        assert_ne!(csv(&a), csv(&c), "another seed gives another cohort");
    }

    #[test]
    fn every_patient_has_a_nonempty_lesion_on_the_image_grid_with_anisotropic_spacing() {
        let dir = tempfile::tempdir().unwrap();
        generate_cohort(dir.path(), &small(3, 5)).unwrap();
        for id in ["SYN-0001", "SYN-0002", "SYN-0003"] {
            let image = crate::imaging::read_image(&dir.path().join(format!("images/{id}.nii.gz")), "image").unwrap();
            let mask = crate::imaging::read_labels(&dir.path().join(format!("masks/{id}.nii.gz")), "mask").unwrap();
            crate::imaging::check_same_grid(&image.geometry, &mask.geometry, 1e-6).unwrap();
            let lesion = crate::imaging::label_region(&mask, 1).unwrap();
            assert!(lesion.iter().filter(|&&v| v).count() > 50, "{id} lesion too small");
            let s = image.geometry.spacing;
            assert!(s[2] > 2.5 * s[0] && s[0] == s[1], "{id} spacing {s:?}");
        }
    }

    #[test]
    fn the_default_cohort_has_roughly_the_study_class_mix_and_split() {
        // Only clinical draws (no images): 239 patients, study mix 15/161/26/37 and 191/48.
        let records: Vec<Record> = (0..239).map(|i| draw_record(&mut patient_rng(7, i))).collect();
        let count = |r: &str| records.iter().filter(|p| p.response == r).count();
        let (cr, pr, sd, pd) = (count("CR"), count("PR"), count("SD"), count("PD"));
        eprintln!("CR {cr} PR {pr} SD {sd} PD {pd}");
        assert!((5..=28).contains(&cr) && (140..=185).contains(&pr), "CR {cr} PR {pr}");
        assert!((12..=42).contains(&sd) && (20..=55).contains(&pd), "SD {sd} PD {pd}");
        let y: Vec<bool> = records.iter().map(Record::responder).collect();
        let validation = stratified_split(&y, 48.0 / 239.0, 7);
        assert_eq!(validation.iter().filter(|&&v| v).count(), 48);
    }
}
