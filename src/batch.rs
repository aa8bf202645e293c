//! Batch scoring: reads transcript files in parallel, scores each with the
//! shared compiled rubric, and returns one row per input in input order.
//! A file that cannot be read or parsed, or whose call has no usable speech
//! from one side ([`crate::score::check_usable_speech`]), becomes an error
//! row; the batch goes on. The batch's outcome line ([`outcome_line`]) is
//! written here, once, for `score` and for the run summary.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::i18n::Lang;
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

impl Tally {
    /// Every input: scored (passed or failed) or an error.
    pub fn calls(&self) -> usize {
        self.passed + self.failed + self.errors
    }

    /// The line `callqa score` prints at the end, e.g.
    /// 「共 3 通电话：通过 2 通，未通过 1 通，出错 0 通」 or
    /// `3 calls: 2 passed, 1 failed, no errors`.
    pub fn line(&self, lang: Lang) -> String {
        outcome_line(self.calls(), self.passed, self.failed, self.errors, lang)
    }
}

/// How a batch came out, in words: the one wording shared by `score`'s
/// last line and the run summary, so both read the same.
pub fn outcome_line(
    calls: usize,
    passed: usize,
    failed: usize,
    errors: usize,
    lang: Lang,
) -> String {
    match lang {
        // 通 is the measure word for calls; the counts stay digits so a
        // glance finds them.
        Lang::Zh => {
            format!("共 {calls} 通电话：通过 {passed} 通，未通过 {failed} 通，出错 {errors} 通")
        }
        Lang::En => format!(
            "{}: {passed} passed, {failed} failed, {}",
            count_en(calls, "call", "calls"),
            count_en_or_no(errors, "error", "errors")
        ),
    }
}

/// `1 call`, `2 calls`, `0 calls`.
pub fn count_en(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// [`count_en`] with `no errors` for zero.
pub fn count_en_or_no(n: usize, one: &str, many: &str) -> String {
    if n == 0 {
        format!("no {many}")
    } else {
        count_en(n, one, many)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_lines_in_both_languages() {
        let t = |passed, failed, errors| Tally {
            passed,
            failed,
            errors,
        };
        assert_eq!(
            t(2, 1, 0).line(Lang::Zh),
            "共 3 通电话：通过 2 通，未通过 1 通，出错 0 通"
        );
        assert_eq!(
            t(2, 1, 0).line(Lang::En),
            "3 calls: 2 passed, 1 failed, no errors"
        );
        assert_eq!(
            t(1, 0, 0).line(Lang::En),
            "1 call: 1 passed, 0 failed, no errors"
        );
        assert_eq!(
            t(0, 0, 1).line(Lang::En),
            "1 call: 0 passed, 0 failed, 1 error"
        );
        assert_eq!(
            t(0, 0, 0).line(Lang::En),
            "0 calls: 0 passed, 0 failed, no errors"
        );
        assert_eq!(
            t(0, 1, 2).line(Lang::En),
            "3 calls: 0 passed, 1 failed, 2 errors"
        );
    }
}
