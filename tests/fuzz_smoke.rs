//! Replays the kept fuzz corpora (`fuzz/corpus/TARGET`) and the reproducers of past findings
//! (`fuzz/regressions/TARGET`) through the fuzz targets' own entry points (`fuzz/entry.rs`,
//! included here), so every input the fuzzer learned from stays a no-panic regression test
//! without a fuzzing toolchain. Runs in seconds.

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

#[path = "../fuzz/entry.rs"]
mod entry;

fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        files.extend(entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()));
    }
    files.sort();
    files
}

fn replay(target: &str) {
    let (_, run) = entry::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .expect("a target of fuzz/entry.rs");
    let files = inputs(target);
    assert!(
        !files.is_empty(),
        "fuzz/corpus/{target} is empty: run fuzz/run.sh {target} SECONDS"
    );
    let panicked: Vec<String> = files
        .iter()
        .filter(|path| {
            let data = fs::read(path).unwrap();
            catch_unwind(AssertUnwindSafe(|| run(&data))).is_err()
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        panicked.is_empty(),
        "{} of {} inputs panic: {panicked:#?}",
        panicked.len(),
        files.len()
    );
}

#[test]
fn wav_corpus() {
    replay("wav");
}

#[test]
fn transcript_corpus() {
    replay("transcript");
}

#[test]
fn rubric_corpus() {
    replay("rubric");
}

#[test]
fn manifest_corpus() {
    replay("manifest");
}

#[test]
fn model_corpus() {
    replay("model");
}
