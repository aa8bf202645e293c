//! Argument groups more than one command takes (`--rubric`, the run folders a
//! supervisor command reads, a table format) and what they load.

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::Args;

use callqa::report::visible_lines;
use callqa::rubric::{self, CompiledRubric};
use callqa::transcript::{collect_inputs, Transcript};

use super::display_paths;

#[derive(Args, Clone, Debug)]
pub struct RubricArg {
    /// Rubric file (TOML). Default: the built-in cs-standard rubric.
    #[arg(long, short = 'r', value_name = "FILE")]
    pub rubric: Option<PathBuf>,
}

impl RubricArg {
    /// The rubric, compiled; a rubric file that cannot be used is named
    /// with the flag, the rubric's own problems (file:line:column) below.
    pub fn load(&self) -> anyhow::Result<CompiledRubric> {
        rubric::load_and_compile(self.rubric.as_deref()).with_context(|| match &self.rubric {
            Some(path) => format!(
                "--rubric {}: the rubric cannot be used; fix the problem below \
                 (`callqa lint {}` lists every one), or leave out --rubric for the built-in cs-standard",
                path.display(),
                path.display()
            ),
            None => "the built-in cs-standard rubric does not compile; this is a bug in callqa".into(),
        })
    }
}

/// `--redact` and the rubric's `[redact]` section together.
pub fn redact_policy(flag: bool, rubric: &CompiledRubric) -> callqa::redact::Policy {
    callqa::redact::Policy::resolve(flag, rubric.source.file.redact.as_ref())
}

/// Which results a supervisor command reads.
#[derive(Args, Clone, Debug)]
pub struct DataArgs {
    /// Rubric version to show: a prefix of its sha256 (default: the rubric of
    /// the most recent run).
    #[arg(long, value_name = "SHA256")]
    pub rubric_version: Option<String>,
    /// "Now" for promise deadlines, RFC 3339 (default: the current time).
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// Output folders of `callqa run` (each with its callqa.sqlite); `promises`
    /// and `hotspots` also take transcript files or folders of them.
    #[arg(required = true, value_name = "RUN_DIR")]
    pub run_dirs: Vec<PathBuf>,
}

impl DataArgs {
    /// The scorecards and transcripts of the run folders, for one rubric version.
    pub fn load(&self) -> anyhow::Result<callqa::store::Dataset> {
        let choice = match &self.rubric_version {
            Some(prefix) if prefix.len() >= 4 && prefix.chars().all(|c| c.is_ascii_hexdigit()) => {
                callqa::store::RubricChoice::Sha256Prefix(prefix.clone())
            }
            Some(prefix) => bail!(
                "--rubric-version {prefix}: give at least 4 hex digits of the rubric's sha256 (scorecards carry it as rubric_sha256)"
            ),
            None => callqa::store::RubricChoice::Latest,
        };
        Ok(callqa::store::load(&self.run_dirs, &choice)?)
    }

    /// Transcripts for `promises` and `hotspots`: each input is a run folder
    /// (read from its results database) or transcript files / folders of them.
    /// A bad transcript file is reported and skipped.
    pub fn transcripts(&self) -> anyhow::Result<Vec<Transcript>> {
        let (runs, files): (Vec<PathBuf>, Vec<PathBuf>) = self
            .run_dirs
            .iter()
            .cloned()
            .partition(|p| p.join(callqa::pipeline::DB_FILE_NAME).is_file());
        let mut transcripts = Vec::new();
        if !runs.is_empty() {
            let data = DataArgs {
                run_dirs: runs,
                ..self.clone()
            };
            transcripts.extend(data.load()?.transcripts());
        }
        if !files.is_empty() {
            let paths = collect_inputs(&files, "json")?;
            if paths.is_empty() {
                bail!(
                    "{}: not a callqa run folder (no callqa.sqlite in it) and no transcript files (*.json) in it; \
                     give the --out folder of `callqa run` or transcripts",
                    display_paths(&files)
                );
            }
            for path in paths {
                match Transcript::from_path(&path) {
                    Ok(t) => transcripts.push(t),
                    Err(e) => eprintln!(
                        "callqa: error: {}",
                        visible_lines(&super::error_chain(&e.into()))
                    ),
                }
            }
        }
        Ok(transcripts)
    }

    /// `--as-of`, or now.
    pub fn as_of(&self) -> anyhow::Result<jiff::Timestamp> {
        match &self.as_of {
            None => Ok(jiff::Timestamp::now()),
            Some(text) => text.parse().with_context(|| {
                format!("--as-of {text}: not an RFC 3339 time with offset, e.g. 2026-11-23T18:00:00+08:00")
            }),
        }
    }
}
