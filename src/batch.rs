//! Batch scoring: reads transcript files in parallel, scores each with the
//! shared compiled rubric, and returns one row per input in input order.
//! A file that cannot be read or parsed becomes an error row; the batch goes on.

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
    let work = || -> Vec<Row> {
        files
            .par_iter()
            .map(|file| Row {
                file: file.clone(),
                result: score_file(rubric, file),
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
    let transcript = Transcript::from_path(file).map_err(|e| e.to_string())?;
    Ok(rubric.score(&transcript))
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
