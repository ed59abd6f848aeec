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
        /// NIfTI-1 (.nii, .nii.gz) or NRRD (.nrrd) file, or a DICOM series (folder, zip or file).
        file: PathBuf,
        /// SeriesInstanceUID to read when a DICOM input holds several series.
        #[arg(long)]
        series_uid: Option<String>,
    },
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
    }
    Ok(ExitCode::SUCCESS)
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
