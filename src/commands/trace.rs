//! `callqa trace`: the tokens of each utterance of a transcript and every
//! phrase, pattern and regex hit in it — why an item saw what it saw.

use std::path::PathBuf;

use clap::Args;

use callqa::explain;
use callqa::report::visible_lines;
use callqa::transcript::Transcript;

use super::args::RubricArg;
use super::{Context, Outcome};

#[derive(Args, Debug)]
pub struct TraceArgs {
    #[command(flatten)]
    pub rubric: RubricArg,
    /// Transcript file.
    pub file: PathBuf,
}

pub fn run(args: TraceArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let rubric = args.rubric.load()?;
    let transcript = Transcript::from_path(&args.file)?;
    super::write_stdout(&visible_lines(&explain::trace_matches_in(
        &rubric,
        &transcript,
        ctx.lang,
    )))?;
    Ok(Outcome::Clean)
}
