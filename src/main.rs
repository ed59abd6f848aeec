//! The `radscore` command line: a thin shell over the library that parses arguments, calls one
//! library function per subcommand and turns errors into a one-line message and an exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use radscore::imaging::archive::ZipLimits;

#[derive(Parser)]
#[command(
    name = "radscore",
    version,
    about = "Clinical-radiomic response scoring for advanced HCC (demo model: research use only)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a volume's geometry as JSON: size, spacing, origin, direction (x, y, z order, LPS).
    Inspect {
        /// NIfTI-1 (.nii, .nii.gz) or NRRD (.nrrd) file, or a DICOM series (folder, zip or file).
        file: PathBuf,
        /// SeriesInstanceUID to read when a DICOM input holds several series.
        #[arg(long)]
        series_uid: Option<String>,
        /// 0-based volume of a 4-D NIfTI/NRRD, or of a DICOM series holding several (temporal
        /// positions, b-values); required when there are several.
        #[arg(long)]
        volume: Option<usize>,
    },
    /// Run the REST service (configuration: config/default.toml, --config FILE, RADSCORE_* env).
    Serve {
        /// TOML file overriding the defaults; RADSCORE_* environment variables override both.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Extract PyRadiomics-compatible features: a flat map of feature name → value on stdout.
    Extract {
        /// Image volume (NIfTI-1 or NRRD).
        #[arg(long)]
        image: PathBuf,
        /// Mask: a label volume on the image's grid (NIfTI/NRRD), a DICOM SEG or an RTSTRUCT.
        #[arg(long)]
        mask: PathBuf,
        /// SEG segment or RTSTRUCT ROI to use, by name or number (default: the segment numbered
        /// `label`; an RTSTRUCT's only ROI).
        #[arg(long)]
        roi: Option<String>,
        /// PyRadiomics parameter file (YAML); PyRadiomics' defaults when absent.
        #[arg(long)]
        params: Option<PathBuf>,
        /// Label to extract; overrides the parameter file's `label`.
        #[arg(long)]
        label: Option<i64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// 0-based volume of a 4-D image or of a DICOM series holding several; required when there
        /// are several.
        #[arg(long)]
        volume: Option<usize>,
    },
    /// Generate a deterministic synthetic cohort: NIfTI image + mask per patient, cohort.csv,
    /// clinical_inputs.json and truth.json (the generator's true coefficients).
    SynthCohort {
        /// Number of patients.
        #[arg(long, default_value_t = 239)]
        n: usize,
        /// Random seed; the same seed gives identical files.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Output folder (created).
        #[arg(long)]
        out: PathBuf,
        /// Share of patients in the validation split (default: the study's 48/239).
        #[arg(long, default_value_t = STUDY_VALIDATION_FRACTION)]
        validation_fraction: f64,
    },
    /// Train the clinical-radiomic model on a cohort and write its artifact (JSON).
    Train {
        /// Cohort folder holding cohort.csv (or the CSV itself).
        #[arg(long)]
        cohort: PathBuf,
        /// Artifact to write, e.g. models/NAME.json.
        #[arg(long)]
        out: PathBuf,
        /// PyRadiomics parameter file (YAML); PyRadiomics' defaults when absent.
        #[arg(long)]
        params: Option<PathBuf>,
        /// Model name (default: the output file's stem).
        #[arg(long)]
        name: Option<String>,
        /// Model version.
        #[arg(long, default_value = "1.0.0")]
        version: String,
        /// Validation share when cohort.csv has no split column (default: the study's 48/239).
        #[arg(long, default_value_t = STUDY_VALIDATION_FRACTION)]
        validation_fraction: f64,
        /// Seed of the split (when cohort.csv has none) and of the CV folds.
        #[arg(long, default_value_t = 20_260_101)]
        seed: u64,
        /// Univariable screening threshold for clinical variables.
        #[arg(long, default_value_t = 0.1)]
        screening_p: f64,
    },
}

/// The study's validation share: 48 of 239 patients.
const STUDY_VALIDATION_FRACTION: f64 = 48.0 / 239.0;

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    /// One JSON object.
    Json,
    /// A header row of names and one row of values.
    Csv,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("radscore: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Inspect {
            file,
            series_uid,
            volume,
        } => {
            let volume =
                radscore::imaging::read_image_any(&file, &series(series_uid, volume), &ZipLimits::default())?.volume;
            let json = serde_json::to_string_pretty(&volume.geometry).context("failed to format geometry")?;
            println!("{json}");
        }
        Command::Serve { config } => serve(config.as_deref())?,
        Command::Extract {
            image,
            mask,
            roi,
            params,
            label,
            format,
            volume,
        } => {
            let mut params = match params {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read params file {}", path.display()))?;
                    radscore::features::Params::from_yaml_str(&text).with_context(|| path.display().to_string())?
                }
                None => radscore::features::Params::default(),
            };
            if let Some(label) = label {
                params.set_label(label).context("--label")?;
            }
            let image = radscore::imaging::read_image_any(&image, &series(None, volume), &ZipLimits::default())?;
            let select = radscore::imaging::MaskSelection {
                label: params.settings.label,
                roi,
            };
            let mask = radscore::imaging::read_mask(
                &image.volume,
                image.series.as_ref(),
                &mask,
                &mask.display().to_string(),
                &select,
            )?;
            let features = radscore::features::extract(&image.volume, &mask, &params)?;
            match format {
                Format::Json => println!("{}", radscore::features::to_json(&features)),
                Format::Csv => print!("{}", radscore::features::to_csv(&features)?),
            }
        }
        Command::SynthCohort {
            n,
            seed,
            out,
            validation_fraction,
        } => {
            let options = radscore::synth::SynthOptions {
                n,
                seed,
                validation_fraction,
                ..Default::default()
            };
            radscore::synth::generate_cohort(&out, &options)?;
            eprintln!("radscore: wrote {n} synthetic patients to {}", out.display());
        }
        Command::Train {
            cohort,
            out,
            params,
            name,
            version,
            validation_fraction,
            seed,
            screening_p,
        } => {
            let params_text = params
                .as_ref()
                .map(|p| std::fs::read_to_string(p).with_context(|| format!("cannot read params file {}", p.display())))
                .transpose()?;
            let name = match name {
                Some(name) => name,
                None => out
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .context("--out has no file name; pass --name")?
                    .to_owned(),
            };
            let mut provenance = std::collections::BTreeMap::new();
            provenance.insert("cohort".to_string(), serde_json::json!(cohort.display().to_string()));
            provenance.insert(
                "params_file".to_string(),
                serde_json::json!(params.as_ref().map(|p| p.display().to_string())),
            );
            let options = radscore::model::train::TrainOptions {
                name,
                version,
                intended_use: radscore::model::train::RESEARCH_USE_ONLY.into(),
                radiomics_params: serde_json::Value::Null,
                cv: radscore::model::lasso::CvOptions {
                    seed,
                    ..Default::default()
                },
                screening_p,
                provenance,
            };
            let artifact =
                radscore::cohort::train_cohort(&cohort, params_text.as_deref(), validation_fraction, seed, options)?;
            let mut json = serde_json::to_vec_pretty(&artifact).context("failed to format the artifact")?;
            json.push(b'\n');
            std::fs::write(&out, json).with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!(
                "radscore: wrote {} ({} radiomic features, {} combined-model terms, cutoff {:.4})",
                out.display(),
                artifact.radiomic_features.len(),
                artifact.combined_model.terms.len(),
                artifact.cutoff
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn serve(config: Option<&std::path::Path>) -> anyhow::Result<()> {
    let settings = radscore::config::Settings::load(config).context("failed to load configuration")?;
    radscore::api::telemetry::init(settings.log_format, &settings.log_level, std::io::stdout);
    let runtime = tokio::runtime::Runtime::new().context("failed to start the async runtime")?;
    runtime.block_on(async {
        let app = radscore::api::Application::build(settings)
            .await
            .context("failed to start the server")?;
        tracing::info!(port = app.port(), "listening");
        app.run_until_stopped().await.context("server failed")
    })
}

/// The DICOM series and volume choice of `--series-uid` and `--volume`.
fn series(series_uid: Option<String>, volume: Option<usize>) -> radscore::imaging::dicom::SeriesSelection {
    radscore::imaging::dicom::SeriesSelection { series_uid, volume }
}
