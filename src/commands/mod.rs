//! One module per subcommand of the `callqa` binary (binary-private: the
//! library knows nothing of them). Each module owns its clap arguments
//! (`…Args`) and one `run(args, &Context) -> anyhow::Result<Outcome>`; what
//! they share — argument groups, the outcome → exit code mapping, printing
//! an error with its causes — lives here and in [`args`].

pub mod args;
pub mod check;
pub mod diff;
pub mod explain;
pub mod hotspots;
pub mod lint;
pub mod models;
pub mod mutate;
pub mod promises;
pub mod report;
pub mod rescore;
pub mod run;
pub mod schema;
pub mod score;
pub mod trace;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use callqa::i18n::Lang;

/// What every command gets besides its own arguments.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// The language of what a person reads (`--lang`, `CALLQA_LANG`, zh by
    /// default). Machine lines (`check`'s `N passed, N failed`, JSON field
    /// names) do not change with it.
    pub lang: Lang,
}

/// How a command that ran to its end went; errors that stop a command are
/// the `Err` of its `run` instead (exit 2 as well).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything passed, or the command simply did its job: exit 0.
    Clean,
    /// Some call failed its rubric, or a golden fixture regressed: exit 1.
    Failed,
    /// The tool hit errors on some inputs (the rest were still done): exit 2.
    Errors,
}

impl Outcome {
    /// Errors outrank failures: a run with both exits 2.
    pub fn of(errors: bool, failed: bool) -> Outcome {
        if errors {
            Outcome::Errors
        } else if failed {
            Outcome::Failed
        } else {
            Outcome::Clean
        }
    }

    /// From an exit code the library computed (`RunSummary::exit_code`).
    pub fn from_exit_code(code: u8) -> Outcome {
        match code {
            0 => Outcome::Clean,
            1 => Outcome::Failed,
            _ => Outcome::Errors,
        }
    }

    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Failed => 1,
            Outcome::Errors => 2,
        }
    }
}

/// An error and the chain of its causes, one per line: the message, then
/// `caused by: …` for each cause the lines above do not already quote (the
/// library's messages often end with their cause's text, and saying it twice
/// helps nobody).
pub fn error_chain(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    let mut said = text.clone();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if cause.is_empty() || said.contains(&cause) {
            continue;
        }
        said.push('\n');
        said.push_str(&cause);
        text.push_str("\n  caused by: ");
        text.push_str(&cause);
    }
    text
}

/// Colour on a terminal, unless `NO_COLOR` is set (https://no-color.org).
pub fn color_enabled() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// All of `text` to stdout, flushed (a closed pipe is an error, not a panic).
pub fn write_stdout(text: &str) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .context("cannot write output")
}

pub fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{path}: cannot read: {source}")]
    struct Quoting {
        path: &'static str,
        #[source]
        source: std::io::Error,
    }

    #[test]
    fn a_cause_is_listed_once_and_only_when_not_already_said() {
        let io = || std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        // The library's message already quotes its cause: nothing added.
        let quoting = anyhow::Error::new(Quoting {
            path: "a.toml",
            source: io(),
        });
        assert_eq!(error_chain(&quoting), "a.toml: cannot read: no such file");
        // A context above it: the library's message becomes the cause line.
        let with_context = anyhow::Error::new(Quoting {
            path: "a.toml",
            source: io(),
        })
        .context("--rubric a.toml: the rubric cannot be used");
        assert_eq!(
            error_chain(&with_context),
            "--rubric a.toml: the rubric cannot be used\n  caused by: a.toml: cannot read: no such file"
        );
        // A bare cause, not quoted above: listed.
        let bare = anyhow::Error::new(io()).context("cannot write output");
        assert_eq!(
            error_chain(&bare),
            "cannot write output\n  caused by: no such file"
        );
    }

    #[test]
    fn errors_outrank_failures_in_the_exit_code() {
        assert_eq!(Outcome::of(true, true).exit_code(), 2);
        assert_eq!(Outcome::of(false, true).exit_code(), 1);
        assert_eq!(Outcome::of(false, false).exit_code(), 0);
        for code in 0..=2 {
            assert_eq!(Outcome::from_exit_code(code).exit_code(), code);
        }
    }
}
