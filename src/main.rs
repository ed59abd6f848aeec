//! The `radscore` command line: a thin shell over the library that parses arguments, calls one
//! library function per subcommand and turns errors into a one-line message and an exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use radscore::study::STUDY_VALIDATION_FRACTION;

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
        /// Label mask on the image's grid.
        #[arg(long)]
        mask: PathBuf,
        /// PyRadiomics parameter file (YAML); PyRadiomics' defaults when absent.
        #[arg(long)]
        params: Option<PathBuf>,
        /// Label to extract; overrides the parameter file's `label`.
        #[arg(long)]
        label: Option<i64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
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
    /// Train the clinical, radiomic and combined models on a cohort and write the artifact (JSON)
    /// serving the combined one; with --report-dir also its evaluation (as `evaluate` writes it).
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
        #[arg(long, default_value_t = radscore::study::DEFAULT_SEED)]
        seed: u64,
        /// Univariable screening threshold for clinical variables.
        #[arg(long, default_value_t = 0.1)]
        screening_p: f64,
        /// Explicit clinical variables (comma-separated) instead of univariable screening.
        #[arg(long, value_delimiter = ',')]
        clinical: Option<Vec<String>>,
        /// Cutoff rule of each model on training predictions; the combined model's splits risk groups.
        #[arg(long, value_enum, default_value_t = Cutoff::Youden)]
        cutoff: Cutoff,
        /// Mann–Whitney pre-filter: keep radiomic features with training p below this.
        #[arg(long)]
        mwu_p: Option<f64>,
        /// ICC(2,1) a feature needs between `mask` and `mask2` (when cohort.csv has a mask2 column).
        #[arg(long, default_value_t = 0.75)]
        icc_min: f64,
        #[command(flatten)]
        cache: CacheArgs,
        /// Also evaluate the trained model on the cohort and write metrics.json, predictions.csv
        /// and report.html here.
        #[arg(long)]
        report_dir: Option<PathBuf>,
    },
    /// Evaluate a trained artifact on a cohort: DIR/metrics.json, DIR/predictions.csv, DIR/report.html.
    Evaluate {
        /// The artifact written by `train`.
        #[arg(long)]
        model: PathBuf,
        /// Cohort folder holding cohort.csv (or the CSV itself); without a split column, the split
        /// training recorded is redrawn.
        #[arg(long)]
        cohort: PathBuf,
        /// Output folder (created).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        cache: CacheArgs,
    },
}

/// Feature cache options shared by `train` and `evaluate`.
#[derive(clap::Args)]
struct CacheArgs {
    /// Extract every patient's features afresh and cache nothing.
    #[arg(long)]
    no_cache: bool,
    /// Feature cache folder (default: COHORT/.radscore-cache).
    #[arg(long, conflicts_with = "no_cache")]
    cache_dir: Option<PathBuf>,
}

impl CacheArgs {
    fn choice(self) -> radscore::study::CacheChoice {
        use radscore::study::CacheChoice;
        match (self.no_cache, self.cache_dir) {
            (true, _) => CacheChoice::Off,
            (false, Some(dir)) => CacheChoice::Dir(dir),
            (false, None) => CacheChoice::Default,
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Cutoff {
    /// Youden index on training predictions.
    Youden,
    /// Median training prediction.
    Median,
}

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
        Command::Inspect { file, series_uid } => {
            let volume = read_any_image(&file, series_uid)?;
            let json = serde_json::to_string_pretty(&volume.geometry).context("failed to format geometry")?;
            println!("{json}");
        }
        Command::Serve { config } => serve(config.as_deref())?,
        Command::Extract {
            image,
            mask,
            params,
            label,
            format,
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
            let image = read_any_image(&image, None)?;
            let mask = radscore::imaging::read_labels(&mask, &mask.display().to_string())?;
            let features = radscore::features::extract(&image, &mask, &params)?;
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
            clinical,
            cutoff,
            mwu_p,
            icc_min,
            cache,
            report_dir,
        } => {
            use radscore::model::train::{ClinicalSelection, CutoffRule, TrainOptions};
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
            let mut options = TrainOptions::new(&name, &version);
            options.cv.seed = seed;
            options.clinical = match clinical {
                Some(list) => ClinicalSelection::Explicit(list),
                None => ClinicalSelection::Screening(screening_p),
            };
            options.cutoff = match cutoff {
                Cutoff::Youden => CutoffRule::Youden,
                Cutoff::Median => CutoffRule::Median,
            };
            options.mwu_p = mwu_p;
            options.icc_min = icc_min;
            options
                .provenance
                .insert("cohort".to_string(), serde_json::json!(cohort.display().to_string()));
            options.provenance.insert(
                "params_file".to_string(),
                serde_json::json!(params.as_ref().map(|p| p.display().to_string())),
            );
            let cohort_options = radscore::study::CohortOptions {
                validation_fraction,
                split_seed: seed,
                cache: cache.choice(),
            };
            let document = radscore::study::params_document(params_text.as_deref())?;
            let data = radscore::study::cohort_features(&cohort, &document, &cohort_options, true)?;
            let mut artifact = radscore::study::train_on(&data, &document, &cohort_options, options)?;
            if let Some(dir) = &report_dir {
                let scored = radscore::study::score_cohort(&artifact, &data)?;
                let evaluation = radscore::study::evaluate_scored(&artifact, &scored)?;
                if let serde_json::Value::Object(training) = &mut artifact.training {
                    training.insert("evaluation".into(), radscore::study::evaluation_summary(&evaluation));
                }
                radscore::study::write_evaluation(dir, &artifact, &scored, &evaluation)?;
                eprintln!("radscore: wrote the evaluation to {}", dir.display());
            }
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
        Command::Evaluate {
            model,
            cohort,
            out,
            cache,
        } => {
            let bytes = std::fs::read(&model).with_context(|| format!("cannot read {}", model.display()))?;
            let artifact = radscore::model::Artifact::from_json(&bytes).with_context(|| model.display().to_string())?;
            let cohort_options = radscore::study::recorded_split(&artifact, cache.choice());
            let data = radscore::study::cohort_features(&cohort, &artifact.radiomics_params, &cohort_options, false)?;
            let scored = radscore::study::score_cohort(&artifact, &data)?;
            let evaluation = radscore::study::evaluate_scored(&artifact, &scored)?;
            radscore::study::write_evaluation(&out, &artifact, &scored, &evaluation)?;
            eprintln!(
                "radscore: wrote metrics.json, predictions.csv and report.html to {}",
                out.display()
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

/// A NIfTI/NRRD volume, or a DICOM series when the path is a folder, a zip or a DICOM file.
fn read_any_image(
    path: &std::path::Path,
    series_uid: Option<String>,
) -> anyhow::Result<radscore::imaging::Volume<f64>> {
    use radscore::imaging::{archive, dicom};
    let name = path.display().to_string();
    let is_dicom = path.is_dir()
        || archive::is_zip(path).with_context(|| format!("{name}: cannot read"))?
        || dicom::is_dicom_file(path).with_context(|| format!("{name}: cannot read"))?;
    if is_dicom {
        let select = dicom::SeriesSelection { series_uid };
        Ok(dicom::read_dicom_input(path, &select, &archive::ZipLimits::default())?)
    } else {
        Ok(radscore::imaging::read_image(path, &name)?)
    }
}
