//! The files a run leaves in its output folder, and how they are written.
//!
//! ```text
//! DIR/transcripts/<call_id>.json   transcript contract + call metadata + `asr` stamp
//! DIR/scorecards.jsonl             one scorecard (or error row) per input, input order
//! DIR/scorecards.csv               one row per call × item (report::CsvExporter: BOM, CRLF, formula guard)
//! DIR/errors.jsonl                 one error row per failed input (empty file if none)
//! DIR/summary.json                 counts, rates, per-item verdicts, errors, timing
//! ```
//!
//! Every file is written atomically: a temporary file in the same folder,
//! fsync, rename over the target, fsync of the folder. A reader (or a run
//! killed halfway) sees the old file or the new one, never half of one.
//! Everything but `summary.json`'s `timing` is a function of the inputs, the
//! rubric and the transcripts, so re-runs give byte-identical files.
//! Transcripts of calls that a later run no longer lists stay in
//! `transcripts/`; the reports list exactly the run's inputs.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::batch::Row;
use crate::report::{CsvExporter, ExportOptions, Exporter, JsonlExporter};
use crate::transcript::Transcript;

use super::summary::{ErrorRow, RunSummary};

pub const TRANSCRIPTS_DIR: &str = "transcripts";
pub const SCORECARDS_JSONL: &str = "scorecards.jsonl";
pub const SCORECARDS_CSV: &str = "scorecards.csv";
pub const ERRORS_JSONL: &str = "errors.jsonl";
pub const SUMMARY_JSON: &str = "summary.json";

/// An output file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{}: cannot write: {source}; check the output folder is writable and the disk not full", path.display())]
pub struct OutputError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// Writes `bytes` to `path` atomically (temp file + fsync + rename + folder fsync).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    write_atomically_with(path, |file| file.write_all(bytes))
}

/// Like [`write_atomically`], for a file too large to hold in memory:
/// `write` streams the contents into the temporary file (it may seek).
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<(), OutputError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let error = |source| OutputError {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("output");
    let temp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        write(&mut file)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)?;
        sync_folder(dir)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written.map_err(error)
}

#[cfg(unix)]
fn sync_folder(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_folder(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Where a call's transcript goes.
pub fn transcript_path(out_dir: &Path, call_id: &str) -> PathBuf {
    out_dir
        .join(TRANSCRIPTS_DIR)
        .join(format!("{call_id}.json"))
}

/// Writes `transcripts/<call_id>.json` (pretty JSON + newline), unless the
/// file already holds exactly these bytes.
pub fn write_transcript(out_dir: &Path, transcript: &Transcript) -> Result<PathBuf, OutputError> {
    let path = transcript_path(out_dir, &transcript.call_id);
    let mut bytes = serde_json::to_vec_pretty(transcript).expect("transcripts serialise");
    bytes.push(b'\n');
    if fs::read(&path).is_ok_and(|existing| existing == bytes) {
        return Ok(path);
    }
    write_atomically(&path, &bytes)?;
    Ok(path)
}

/// Removes the temporary files that [`write_atomically`] left behind in
/// `dir` when a run was killed between creating and renaming one (SIGKILL
/// runs no clean-up). Only names of its own pattern, `.NAME.PID.N.tmp`,
/// from other processes: the folder lock keeps any other callqa out of the
/// folder, so such a file is stale. Best effort: a file that cannot be
/// removed is left.
pub fn remove_stale_temp_files(dir: &Path) {
    let own = format!(".{}.", std::process::id());
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(inner) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
            continue;
        };
        // NAME.PID.N: the last two dot-separated parts are numbers.
        let mut parts = inner.rsplitn(3, '.');
        let numbers = parts.next().is_some_and(is_number) && parts.next().is_some_and(is_number);
        if numbers && parts.next().is_some_and(|n| !n.is_empty()) && !name.contains(&own) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// Writes the four report files; `summary.json` last, so its presence with
/// a fresh timestamp means the others are complete. Temporary files of
/// killed runs go first ([`remove_stale_temp_files`]), so the folder holds
/// exactly what an uninterrupted run leaves.
pub fn write_reports(
    out_dir: &Path,
    rows: &[Row],
    errors: &[ErrorRow],
    summary: &RunSummary,
    export: &ExportOptions,
) -> Result<(), OutputError> {
    remove_stale_temp_files(out_dir);
    remove_stale_temp_files(&out_dir.join(TRANSCRIPTS_DIR));
    let in_memory = |path: &Path, result: io::Result<()>| {
        result.map_err(|source| OutputError {
            path: path.to_path_buf(),
            source,
        })
    };

    let jsonl_path = out_dir.join(SCORECARDS_JSONL);
    let mut jsonl = Vec::new();
    in_memory(
        &jsonl_path,
        JsonlExporter { lang: export.lang }.write(rows, &mut jsonl),
    )?;
    write_atomically(&jsonl_path, &jsonl)?;

    let csv_path = out_dir.join(SCORECARDS_CSV);
    let mut csv = Vec::new();
    in_memory(
        &csv_path,
        CsvExporter {
            lang: export.lang,
            titles: export.titles.clone(),
        }
        .write(rows, &mut csv),
    )?;
    write_atomically(&csv_path, &csv)?;

    let mut error_lines = Vec::new();
    for error in errors {
        serde_json::to_writer(&mut error_lines, error).expect("error rows serialise");
        error_lines.push(b'\n');
    }
    write_atomically(&out_dir.join(ERRORS_JSONL), &error_lines)?;

    let mut summary_bytes = serde_json::to_vec_pretty(summary).expect("summaries serialise");
    summary_bytes.push(b'\n');
    write_atomically(&out_dir.join(SUMMARY_JSON), &summary_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.json")]);
    }

    #[test]
    fn stale_temp_files_of_killed_runs_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let keep = [
            "s01.json",
            ".hidden",
            ".notes.tmp",
            ".x.1.tmp",
            &format!(".mine.json.{}.0.tmp", std::process::id()),
        ];
        for name in keep
            .iter()
            .chain(&[".s01.json.4242.0.tmp", ".scorecards.csv.7.12.tmp"])
        {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        remove_stale_temp_files(dir.path());
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        let mut want: Vec<String> = keep.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(left, want);
    }

    #[test]
    fn atomic_write_names_the_file_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-folder").join("a.json");
        let err = write_atomically(&path, b"x").unwrap_err();
        assert!(err.to_string().contains("missing-folder"), "{err}");
    }
}
