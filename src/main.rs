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
    /// Run the REST service (configuration: config/default.toml, --config FILE, RADSCORE_* env).
    Serve {
        /// TOML file overriding the defaults; RADSCORE_* environment variables override both.
        #[arg(long)]
        config: Option<PathBuf>,
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
        Command::Inspect { file } => {
            let name = file.display().to_string();
            let volume = radscore::imaging::read_image(&file, &name)?;
            let json = serde_json::to_string_pretty(&volume.geometry).context("failed to format geometry")?;
            println!("{json}");
        }
        Command::Serve { config } => serve(config.as_deref())?,
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
