//! Batch scoring: reads transcript files in parallel, scores each with the
//! shared compiled rubric, and returns one row per input in input order.
//! A file that cannot be read or parsed, or whose call has no usable speech
//! from one side ([`crate::score::check_usable_speech`]), becomes an error
//! row; the batch goes on.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::rubric::CompiledRubric;
use crate::score::Scorecard;
use crate::transcript::Transcript;

/// The outcome for one input file.
#[derive(Debug, Clone)]
pub struct Row {
    pub file: PathBuf,
    pub result: Result<Scorecard, String>,
}

impl Row {
    pub fn scorecard(&self) -> Option<&Scorecard> {
        self.result.as_ref().ok()
    }
}

/// Scores every file; `jobs` = 0 uses rayon's default pool.
pub fn score_files(rubric: &CompiledRubric, files: &[PathBuf], jobs: usize) -> Vec<Row> {
    score_files_redacted(rubric, files, jobs, &crate::redact::Policy::off())
}

/// [`score_files`] with each transcript redacted before it is scored, so
/// no evidence quotes personal data (`callqa score --redact`).
pub fn score_files_redacted(
    rubric: &CompiledRubric,
    files: &[PathBuf],
    jobs: usize,
    redact: &crate::redact::Policy,
) -> Vec<Row> {
    let work = || -> Vec<Row> {
        files
            .par_iter()
            .map(|file| Row {
                file: file.clone(),
                result: score_file_redacted(rubric, file, redact),
            })
            .collect()
    };
    if jobs == 0 {
        work()
    } else {
        match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
            Ok(pool) => pool.install(work),
            Err(_) => work(),
        }
    }
}

/// Reads, parses and scores one transcript file.
pub fn score_file(rubric: &CompiledRubric, file: &Path) -> Result<Scorecard, String> {
    Ok(rubric.score(&read_scorable(file)?))
}

/// Reads and parses a transcript file and checks it has a call to score
/// (usable speech from both sides); the error is the file's error row.
fn read_scorable(file: &Path) -> Result<Transcript, String> {
    let transcript = Transcript::from_path(file)
        .map_err(|e| crate::walk::read_problem(file).unwrap_or_else(|| e.to_string()))?;
    crate::score::check_usable_speech(&transcript).map_err(|e| e.in_transcript(file))?;
    Ok(transcript)
}

fn score_file_redacted(
    rubric: &CompiledRubric,
    file: &Path,
    redact: &crate::redact::Policy,
) -> Result<Scorecard, String> {
    Ok(rubric.score(&redact.transcript(read_scorable(file)?)))
}

/// Counts for the exit code and the summary line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
}

pub fn tally(rows: &[Row]) -> Tally {
    let mut t = Tally::default();
    for row in rows {
        match &row.result {
            Ok(card) if card.passed => t.passed += 1,
            Ok(_) => t.failed += 1,
            Err(_) => t.errors += 1,
        }
    }
    t
}
