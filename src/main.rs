//! The `radscore` command line: a thin shell over the library that parses arguments, calls one
//! library function per subcommand and turns errors into a one-line message and an exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

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
        /// NIfTI-1 (.nii, .nii.gz) or NRRD (.nrrd) file.
        file: PathBuf,
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
        label: Option<i32>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
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
        Command::Inspect { file } => {
            let name = file.display().to_string();
            let volume = radscore::imaging::read_image(&file, &name)?;
            let json = serde_json::to_string_pretty(&volume.geometry).context("failed to format geometry")?;
            println!("{json}");
        }
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
                params.settings.label = label;
            }
            let image = radscore::imaging::read_image(&image, &image.display().to_string())?;
            let mask = radscore::imaging::read_labels(&mask, &mask.display().to_string())?;
            let features = radscore::features::extract(&image, &mask, &params)?;
            match format {
                Format::Json => println!("{}", radscore::features::to_json(&features)),
                Format::Csv => print!("{}", radscore::features::to_csv(&features)?),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
