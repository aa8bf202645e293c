//! `callqa score`: transcripts (JSON files or folders) → scorecards on stdout.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::Args;

use callqa::batch;
use callqa::report::{self, visible_lines, Format};
use callqa::transcript::collect_inputs;

use super::args::{redact_policy, RubricArg};
use super::{color_enabled, display_paths, Context, Outcome};

#[derive(Args, Debug)]
pub struct ScoreArgs {
    #[command(flatten)]
    pub rubric: RubricArg,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: Format,
    /// Worker threads (0 = one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub jobs: usize,
    /// Transcript files or folders.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Replace customers' phone, 身份证 and card numbers, addresses and names
    /// with placeholders ([手机号]…) in every output (also `[redact]` in a rubric).
    #[arg(long)]
    pub redact: bool,
}

pub fn run(args: ScoreArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let rubric = args.rubric.load()?;
    let redact = redact_policy(args.redact, &rubric);
    let files = collect_inputs(&args.inputs, "json")?;
    if files.is_empty() {
        bail!(
            "no transcript files (*.json) found in {}",
            display_paths(&args.inputs)
        );
    }
    let rows = batch::score_files_redacted(&rubric, &files, args.jobs, &redact);
    for row in &rows {
        if let Err(message) = &row.result {
            eprintln!("callqa: error: {}", visible_lines(message));
        }
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let options = report::ExportOptions {
        color: color_enabled(),
        ..report::ExportOptions::new(ctx.lang, &rubric)
    };
    report::exporter_with(args.format, &options)
        .write(&rows, &mut out)
        .and_then(|_| out.flush())
        .context("cannot write output")?;
    let tally = batch::tally(&rows);
    eprintln!("{}", tally.line(ctx.lang));
    Ok(Outcome::of(tally.errors > 0, tally.failed > 0))
}
