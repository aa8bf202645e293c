//! `callqa lint`: parse and compile rubric files, reporting each problem as
//! `file:line:column: message` (one per line, for editors) — exit 2 if any.

use std::path::PathBuf;

use clap::Args;

use callqa::rubric::{self, CompiledRubric};

use super::{Context, Outcome};

#[derive(Args, Debug)]
pub struct LintArgs {
    /// Rubric files.
    #[arg(required = true)]
    pub rubrics: Vec<PathBuf>,
}

pub fn run(args: LintArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    // lang: lint messages are the rubric compiler's (English, file:line:column
    // first for editors); wired when src/rubric takes a language.
    let _ = ctx.lang;
    let mut failed = false;
    for path in args.rubrics {
        match rubric::load_path(&path).and_then(CompiledRubric::compile) {
            Ok(r) if !r.lint.is_empty() => {
                for problem in &r.lint {
                    eprintln!("{problem}");
                }
                failed = true;
            }
            Ok(r) => super::write_stdout(&format!(
                "{}: ok ({} items, {} phrase sets, {} patterns)\n",
                path.display(),
                r.items.len(),
                r.source.file.phrases.len(),
                r.patterns.len()
            ))?,
            Err(e) => {
                // Bare `file:line:column: message` lines (no `callqa: error:`
                // prefix): editors and CI annotate the rubric from them.
                eprintln!("{e}");
                failed = true;
            }
        }
    }
    // A rubric with problems is an error of the input, not a failed call.
    Ok(if failed {
        Outcome::Errors
    } else {
        Outcome::Clean
    })
}
