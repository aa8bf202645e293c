//! `callqa rescore`: the transcripts of a finished `callqa run` scored again
//! with a (changed) rubric, without touching the audio.

use std::path::PathBuf;

use clap::Args;

use callqa::pipeline::{self, RescoreOptions};

use super::args::{redact_policy, RubricArg};
use super::{Context, Outcome};

#[derive(Args, Debug)]
pub struct RescoreArgs {
    #[command(flatten)]
    pub rubric: RubricArg,
    /// The output folder of an earlier run.
    #[arg(value_name = "DIR")]
    pub out: PathBuf,
    /// Replace customers' phone, 身份证 and card numbers, addresses and names
    /// with placeholders ([手机号]…) in every output (also `[redact]` in a rubric).
    #[arg(long)]
    pub redact: bool,

    /// Results database (default: DIR/callqa.sqlite).
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// When another callqa is writing DIR, wait for it instead of stopping.
    #[arg(long)]
    pub wait: bool,
}

pub fn run(args: RescoreArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let rubric = args.rubric.load()?;
    let mut options = RescoreOptions::new(args.out);
    options.db_path = args.db;
    // The run summary line (and only it, so far) is in this language.
    options.lang = ctx.lang;
    options.redact = redact_policy(args.redact, &rubric);
    options.wait = args.wait;
    let summary = pipeline::rescore(&options, &rubric)?;
    eprintln!("{}", summary.one_line());
    Ok(Outcome::from_exit_code(summary.exit_code()))
}
