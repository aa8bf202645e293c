//! `callqa check`: golden fixtures (transcripts with expected verdicts) against
//! a rubric; exit 1 when a fixture regressed, 2 when one could not be read.
//! `--format github` adds GitHub Actions annotations on the rubric lines of
//! the failing items.

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::{Args, ValueEnum};

use callqa::check;
use callqa::report::visible_lines;
use callqa::transcript::collect_inputs;

use super::args::RubricArg;
use super::{display_paths, Context, Outcome};

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub rubric: RubricArg,
    /// Write a JUnit XML report here as well.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// text: the report; github: also one GitHub Actions annotation
    /// (`::error file=RUBRIC,line=N,…`) per failing item, before the report.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// List passing fixtures too, and per-item agreement.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Fixture files or folders (default: fixtures/golden).
    #[arg(value_name = "FIXTURES")]
    pub paths: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Github,
}

pub fn run(args: CheckArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let rubric = args.rubric.load()?;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("fixtures/golden")]
    } else {
        args.paths
    };
    let files = collect_inputs(&paths, "json")?;
    if files.is_empty() {
        bail!("no fixtures (*.json) found in {}", display_paths(&paths));
    }
    let summary = check::run(&rubric, &files);
    if args.format == CheckFormat::Github {
        // Already escaped for GitHub (no control characters, one line each).
        super::write_stdout(&check::github(&summary, ctx.lang))?;
    }
    if args.verbose {
        super::write_stdout(&visible_lines(&check::render_items_in(&summary, ctx.lang)))?;
    }
    super::write_stdout(&visible_lines(&check::render_in(
        &summary,
        args.verbose,
        ctx.lang,
    )))?;
    // The last line (`N passed, N failed`) and the JUnit XML are the same in
    // every language: CI parses them.
    if let Some(path) = args.junit {
        callqa::pipeline::output::write_atomically(&path, check::junit(&summary).as_bytes())
            .with_context(|| {
                format!("--junit {}: cannot write the JUnit report", path.display())
            })?;
    }
    let errors = summary.results.iter().any(|r| r.error.is_some());
    Ok(Outcome::of(errors, summary.failed() > 0))
}
