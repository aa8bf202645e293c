//! `callqa diff`: what a rubric change does to a corpus (see
//! [`callqa::diff`]); this file parses the arguments, loads both rubrics
//! and prints the report.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::{Args, ValueEnum};

use callqa::diff::{self, corpus};
use callqa::report::visible_lines;
use callqa::rubric::{self, CompiledRubric};

use super::{display_paths, Context, Outcome};

/// Report formats of `callqa diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// For a person (language per --lang).
    Text,
    /// One JSON object: `flips` ({call_id, item, old, new, …}) and aggregates.
    Json,
    /// A GitHub pull-request comment.
    Markdown,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Exit status: 0 when at most --fail-on calls change pass/fail and no golden \
fixture (a transcript with an `expect` object) changes any verdict; 1 otherwise (a regression); \
2 when some input could not be read (the others are still compared).\n\n\
CI example: callqa diff --old-ref origin/main --new rubrics/cs-standard.toml --format markdown fixtures/golden corpus/"
)]
pub struct DiffArgs {
    /// The rubric before the change (TOML file).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "old_ref",
        conflicts_with = "old_ref"
    )]
    pub old: Option<PathBuf>,
    /// Take the rubric before the change from git history: the --new file
    /// (and its dictionaries) as committed at this ref, e.g. origin/main.
    #[arg(long, value_name = "GIT_REF")]
    pub old_ref: Option<String>,
    /// The rubric after the change (TOML file).
    #[arg(long, value_name = "FILE")]
    pub new: PathBuf,
    /// Report format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: DiffFormat,
    /// How many calls may change pass/fail before the exit status is 1
    /// (default 0: any call that changes pass/fail fails the check).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub fail_on: usize,
    /// How many verdict changes (and changed calls) text and Markdown list
    /// in detail; JSON lists all.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub max_flips: usize,
    /// Worker threads (0 = one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub jobs: usize,
    /// Transcript files or folders, or `callqa run` output folders.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
}

fn compile(
    source: rubric::RubricSource,
    flag: &str,
    shown: &str,
) -> anyhow::Result<CompiledRubric> {
    CompiledRubric::compile(source).with_context(|| {
        format!("{flag} {shown}: the rubric cannot be used; fix the problem below (`callqa lint` lists every one)")
    })
}

pub fn run(args: DiffArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let new_shown = args.new.display().to_string();
    let new_source = rubric::load_path(&args.new)
        .with_context(|| format!("--new {new_shown}: the rubric cannot be read"))?;
    let new = compile(new_source, "--new", &new_shown)?;
    let old = match (&args.old, &args.old_ref) {
        (Some(path), _) => {
            let shown = path.display().to_string();
            let source = rubric::load_path(path)
                .with_context(|| format!("--old {shown}: the rubric cannot be read"))?;
            compile(source, "--old", &shown)?
        }
        (None, Some(reference)) => {
            let source = corpus::rubric_at_ref(reference, &args.new)?;
            let shown = source.origin.clone();
            compile(source, "--old-ref", &shown)?
        }
        (None, None) => {
            bail!("give the rubric before the change with --old FILE or --old-ref GIT_REF")
        }
    };
    let files = corpus::collect(&args.inputs)?;
    if files.is_empty() {
        bail!(
            "no transcript files (*.json) found in {}; give transcripts, folders of them or `callqa run` output folders",
            display_paths(&args.inputs)
        );
    }
    let pair = diff::Pair::new(&old, &new);
    let result = pair.diff_files(&files, args.jobs);
    for e in &result.errors {
        eprintln!("callqa: error: {}", visible_lines(&e.message));
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match args.format {
        DiffFormat::Text => diff::render_text::write(&result, ctx.lang, args.max_flips, &mut out),
        DiffFormat::Json => diff::render_json::write(&result, args.fail_on, ctx.lang, &mut out),
        DiffFormat::Markdown => {
            diff::render_markdown::write(&result, ctx.lang, args.fail_on, args.max_flips, &mut out)
        }
    }
    .and_then(|_| out.flush())
    .context("cannot write output")?;
    Ok(Outcome::of(
        !result.errors.is_empty(),
        result.regressed(args.fail_on),
    ))
}
