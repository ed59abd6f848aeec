//! The `radscore` command line: a thin shell over the library that parses arguments, calls one
//! library function per subcommand and turns errors into a one-line message and an exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use radscore::features::batch::{BatchFormat, BatchOptions};
use radscore::features::{Cell, Params};
use radscore::imaging::archive::ZipLimits;
use radscore::study::{DEFAULT_VALIDATION_FRACTION, STUDY_VALIDATION_FRACTION};

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
    /// Extract PyRadiomics-compatible features: a flat map of feature name → value on stdout, or
    /// with --batch one row per case of a PyRadiomics batch CSV.
    Extract {
        /// Image volume (NIfTI or NRRD), or a DICOM series (folder, zip or file).
        #[arg(long, required_unless_present = "batch", conflicts_with = "batch")]
        image: Option<PathBuf>,
        /// Mask: a label volume on the image's grid (NIfTI/NRRD), a DICOM SEG or an RTSTRUCT.
        #[arg(long, required_unless_present = "batch", conflicts_with = "batch")]
        mask: Option<PathBuf>,
        /// SEG segment or RTSTRUCT ROI to use, by name or number (default: the segment numbered
        /// `label`; an RTSTRUCT's only ROI).
        #[arg(long, conflicts_with = "batch")]
        roi: Option<String>,
        /// PyRadiomics batch CSV (columns Image, Mask, optional Label; other columns are carried
        /// through; relative paths are relative to the CSV). Exit status 1 when any case failed.
        #[arg(long)]
        batch: Option<PathBuf>,
        /// Cases extracted in parallel; all threads of the batch, extraction included (default: all cores).
        #[arg(long, requires = "batch", value_parser = clap::value_parser!(u16).range(1..))]
        jobs: Option<u16>,
        /// Batch output file, written row by row (default: stdout).
        #[arg(long, requires = "batch")]
        out: Option<PathBuf>,
        /// Add PyRadiomics' diagnostics (diagnostics_* keys) before the features.
        #[arg(long)]
        diagnostics: bool,
        /// PyRadiomics parameter file (YAML); PyRadiomics' defaults when absent.
        #[arg(long)]
        params: Option<PathBuf>,
        /// Label to extract; overrides the parameter file's `label` (a batch's Label column overrides both).
        #[arg(long)]
        label: Option<i64>,
        /// Output format (default: json for one case, csv for a batch, where json means JSON lines).
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// 0-based volume of a 4-D image or of a DICOM series holding several; required when there
        /// are several.
        #[arg(long, conflicts_with = "batch")]
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
        /// Validation share of the stratified random split drawn when cohort.csv has no split column
        /// (default 0.25: a 3:1 split).
        #[arg(long, default_value_t = DEFAULT_VALIDATION_FRACTION)]
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
    keep_large_buffers_on_the_heap();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("radscore: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// glibc's malloc gives each block above its mmap threshold (128 KiB at start) a mapping of its
/// own, unmapped when the block is freed, so the large buffers an extraction makes one after
/// another (images, level maps) are each faulted in anew, page by page. Freeing a mapped block
/// raises the threshold to its size, up to 32 MiB (`M_MMAP_THRESHOLD`'s dynamic adjustment):
/// freeing one untouched block of that size first keeps such buffers on the heap, whose pages are
/// reused. Other allocators just map and unmap it. ibsi1_ct_phantom, setting b: 17.6 k page faults
/// instead of 27.2 k, 3 % less time. The heap then keeps up to 64 MiB of freed memory (the trim
/// threshold follows at twice the mmap threshold): peak memory rises by a few MiB on large cases.
fn keep_large_buffers_on_the_heap() {
    const GLIBC_MMAP_THRESHOLD_MAX: usize = 32 << 20;
    // Less room for the block's header, so that the block stays within the maximum.
    drop(std::hint::black_box(Vec::<u8>::with_capacity(
        GLIBC_MMAP_THRESHOLD_MAX - (64 << 10),
    )));
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
            batch,
            jobs,
            out,
            diagnostics,
            params,
            label,
            format,
            volume,
        } => {
            let (mut params, document) = load_params(params.as_deref())?;
            if let Some(label) = label {
                params.set_label(label).context("--label")?;
            }
            if let Some(batch) = batch {
                let format = match format.unwrap_or(Format::Csv) {
                    Format::Csv => BatchFormat::Csv,
                    Format::Json => BatchFormat::JsonLines,
                };
                let jobs = jobs.map_or_else(
                    || std::thread::available_parallelism().map_or(1, usize::from),
                    usize::from,
                );
                let options = BatchOptions {
                    params: &params,
                    document: &document,
                    diagnostics,
                    jobs,
                    format,
                    zip_limits: ZipLimits::default(),
                };
                return run_batch(&batch, &options, out.as_deref());
            }
            let (image, mask) = (
                image.context("--image is required")?,
                mask.context("--mask is required")?,
            );
            // The main thread becomes the pool's first worker and runs the extraction: with one
            // thread none is started, and buffers come from the main heap, which grows in place,
            // where a worker thread's heap is 64 MiB mappings that glibc maps and unmaps again as
            // large buffers come and go (brain2, setting b: 3-6 % less time).
            rayon::ThreadPoolBuilder::new()
                .use_current_thread()
                .build_global()
                .context("failed to start the extraction threads")?;
            let select = radscore::imaging::MaskSelection {
                label: params.settings.label,
                roi,
            };
            // Diagnostics describe the whole image; features alone may need only part of it.
            let case = radscore::imaging::read_case_region(
                &image,
                &mask,
                &series(None, volume),
                &select,
                &ZipLimits::default(),
                |grid, mask| {
                    (!diagnostics).then(|| radscore::features::region_to_read(&params, grid, || mask.extent()))?
                },
            )?;
            let diagnostics = if diagnostics {
                radscore::features::diagnostics(&case.image, &case.mask, &params, &document)?
            } else {
                Vec::new()
            };
            let features = radscore::features::extract_case(case, &params)?;
            let cells = diagnostics
                .iter()
                .map(|(name, value)| (name.as_str(), Cell::Diagnostic(value)))
                .chain(radscore::features::feature_cells(&features));
            match format.unwrap_or(Format::Json) {
                Format::Json => println!("{}", radscore::features::json_object(cells)),
                Format::Csv => print!("{}", radscore::features::csv_header_and_row(cells)?),
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

/// The DICOM series and volume choice of `--series-uid` and `--volume`.
fn series(series_uid: Option<String>, volume: Option<usize>) -> radscore::imaging::dicom::SeriesSelection {
    radscore::imaging::dicom::SeriesSelection { series_uid, volume }
}

/// A PyRadiomics parameter file, validated, and its document as written (for diagnostics);
/// PyRadiomics' defaults without one.
fn load_params(path: Option<&std::path::Path>) -> anyhow::Result<(Params, serde_yaml::Value)> {
    let Some(path) = path else {
        return Ok((Params::default(), serde_yaml::Value::Null));
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read params file {}", path.display()))?;
    let params = Params::from_yaml_str(&text).with_context(|| path.display().to_string())?;
    let document = serde_yaml::from_str(&text).with_context(|| path.display().to_string())?;
    Ok((params, document))
}

/// Runs a batch with a progress bar on stderr (only when stderr is a terminal); failed cases are
/// reported one line each either way, then a summary. Exit status 1 when any case failed.
fn run_batch(
    batch: &std::path::Path,
    options: &BatchOptions<'_>,
    out: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    let input = radscore::features::batch::read_batch_csv(batch)?;
    let output: Box<dyn std::io::Write> = match out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(input.cases.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} cases, {elapsed} elapsed, ETA {eta}")
            .context("progress bar template")?,
    );
    let summary = radscore::features::batch::run_batch(&input, options, output, |outcome| {
        if let Some(error) = outcome.error {
            bar.suspend(|| eprintln!("radscore: case on line {} failed: {error}", outcome.line));
        }
        bar.inc(1);
    })?;
    bar.finish_and_clear();
    eprintln!("radscore: {} cases, {} failed", summary.cases, summary.failed);
    Ok(if summary.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
