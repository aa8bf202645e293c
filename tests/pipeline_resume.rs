//! Resumability: a run killed with SIGKILL (no destructors, no flushing)
//! loses no finished call, and the next run redoes only the unfinished ones.
//!
//! The run to kill is a child process: this test binary started again with
//! only `crash_child_process` selected and its configuration in an
//! environment variable. Its transcriber appends each call id it starts to a
//! marker file, so the parent knows how far the child got, and can block on
//! a chosen call so the kill lands at a known point.

mod pipeline_support;

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use callqa::asr::{AsrError, AsrInfo, AsrSegment, CallContext, Transcriber};
use callqa::pipeline;
use callqa::store::RunDb;
use pipeline_support::*;
use serde_json::{json, Value};

const CHILD_ENV: &str = "CALLQA_PIPELINE_CRASH_CHILD";

/// Records the calls it starts in a marker file; optionally blocks forever
/// on the `block_at`-th call.
struct MarkingTranscriber {
    inner: GroundTruthTranscriber,
    marker: PathBuf,
    block_at: usize,
    started: Mutex<Vec<String>>,
}

impl Transcriber for MarkingTranscriber {
    fn transcribe_channel(
        &self,
        samples: &[f32],
        channel: usize,
        call: &CallContext,
    ) -> Result<Vec<AsrSegment>, AsrError> {
        if channel == 0 {
            let count = {
                let mut started = self.started.lock().unwrap();
                started.push(call.call_id.clone());
                let mut marker = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.marker)
                    .unwrap();
                writeln!(marker, "{}", call.call_id).unwrap();
                started.len()
            };
            if count == self.block_at {
                loop {
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
        self.inner.transcribe_channel(samples, channel, call)
    }

    fn info(&self) -> AsrInfo {
        self.inner.info()
    }
}

/// The run the parent kills. Does nothing in a normal test run.
#[test]
fn crash_child_process() {
    let Ok(config) = std::env::var(CHILD_ENV) else {
        return;
    };
    let config: Value = serde_json::from_str(&config).unwrap();
    let path = |key: &str| PathBuf::from(config[key].as_str().unwrap());
    let mut inner = GroundTruthTranscriber::new();
    inner.delay_ms = config["delay_ms"].as_u64().unwrap();
    let transcriber = MarkingTranscriber {
        inner,
        marker: path("marker"),
        block_at: config["block_at"].as_u64().unwrap() as usize,
        started: Mutex::new(Vec::new()),
    };
    let mut opts = options(vec![path("calls")], &path("out"));
    opts.jobs = config["jobs"].as_u64().unwrap() as usize;
    pipeline::run(&opts, &transcriber, &builtin_rubric()).unwrap();
}

fn spawn_child(
    calls: &Path,
    out: &Path,
    marker: &Path,
    jobs: usize,
    block_at: usize,
    delay_ms: u64,
) -> Child {
    let config = json!({
        "calls": calls, "out": out, "marker": marker,
        "jobs": jobs, "block_at": block_at, "delay_ms": delay_ms,
    });
    Command::new(std::env::current_exe().unwrap())
        .args(["crash_child_process", "--exact", "--test-threads=1"])
        .env(CHILD_ENV, config.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn marker_lines(marker: &Path) -> Vec<String> {
    fs::read_to_string(marker)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Waits until the marker has `n` lines; `None` if the child exited first.
fn wait_for_marker(child: &mut Child, marker: &Path, n: usize) -> Option<Vec<String>> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let lines = marker_lines(marker);
        if lines.len() >= n {
            return Some(lines);
        }
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "the child run failed: {status}");
            return None;
        }
        assert!(Instant::now() < deadline, "the child run made no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill(mut child: Child) {
    // SIGKILL on Unix: the run gets no chance to clean up.
    let _ = child.kill();
    child.wait().unwrap();
}

/// The scorecards of `out` equal scoring the ground truth directly.
fn assert_outputs_complete(out: &Path) {
    let rubric = builtin_rubric();
    let cards: Vec<Value> = read_jsonl(&out.join("scorecards.jsonl"))
        .into_iter()
        .map(|mut v| {
            v.as_object_mut().unwrap().remove("file");
            v
        })
        .collect();
    let expected: Vec<Value> = DEV_CALLS
        .iter()
        .map(|c| {
            let mut truth = ground_truth(c);
            truth.agent_id = None; // folder input: no manifest metadata
                                   // scorecards.jsonl carries reasons in one language (zh by default).
            serde_json::to_value(rubric.score(&truth).in_lang(Default::default())).unwrap()
        })
        .collect();
    assert_eq!(cards, expected);
    assert_eq!(
        file_names(&out.join("transcripts")),
        ["dev-01.json", "dev-02.json", "dev-03.json", "dev-04.json"]
    );
    assert_eq!(read_json(&out.join("summary.json"))["counts"]["scored"], 4);
}

#[test]
fn killed_run_resumes_without_redoing_finished_calls() {
    let tmp = tempfile::tempdir().unwrap();
    let calls = tmp.path().join("calls");
    copy_dev_wavs(&calls);
    let out = tmp.path().join("out");
    let marker = tmp.path().join("started.txt");

    // One worker, blocked inside the third call: two calls are finished.
    let mut child = spawn_child(&calls, &out, &marker, 1, 3, 0);
    let started =
        wait_for_marker(&mut child, &marker, 3).expect("the child blocks on its third call");
    kill(child);
    let finished = &started[..2];

    let db = RunDb::open(&out.join("callqa.sqlite")).unwrap();
    assert_eq!(
        db.result_count().unwrap(),
        2,
        "finished calls are recorded as they finish"
    );
    assert_eq!(db.transcript_count().unwrap(), 2);
    drop(db);
    // The run database: intact, the two finished calls in it, the run
    // logged as started but not finished.
    assert_eq!(store_counts(&out), (2, 2, 2 * item_count(), 1, 0));
    // A report of the killed run shows its finished calls and says the run
    // did not finish.
    let dataset = callqa::store::load(std::slice::from_ref(&out), &Default::default()).unwrap();
    let mut shown: Vec<&str> = dataset
        .calls
        .iter()
        .map(|c| c.transcript.call_id.as_str())
        .collect();
    shown.sort();
    let mut want: Vec<&str> = finished.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(shown, want);
    assert_eq!(dataset.sources.len(), 1);
    assert_eq!(
        (dataset.sources[0].finished_unix, dataset.sources[0].calls),
        (None, 2)
    );
    assert!(
        !out.join("scorecards.jsonl").exists(),
        "reports are written at the end of a run"
    );
    for call in finished {
        assert!(out
            .join("transcripts")
            .join(format!("{call}.json"))
            .is_file());
    }
    assert!(!out
        .join("transcripts")
        .join(format!("{}.json", started[2]))
        .exists());
    assert!(
        file_names(&out.join("transcripts"))
            .iter()
            .all(|n| !n.starts_with('.')),
        "a temporary file was left behind"
    );

    // The next run does only the two unfinished calls.
    let transcriber = GroundTruthTranscriber::new();
    let summary =
        pipeline::run(&options(vec![calls], &out), &transcriber, &builtin_rubric()).unwrap();
    let mut unfinished: Vec<String> = DEV_CALLS
        .iter()
        .map(|c| c.to_string())
        .filter(|c| !finished.contains(c))
        .collect();
    unfinished.sort();
    assert_eq!(transcriber.transcribed_calls(), unfinished);
    assert_eq!(transcriber.total(), 4, "two calls, two channels each");
    assert_eq!(summary.timing.result_cache_hits, 2);
    assert_eq!(summary.timing.transcribed, 2);
    assert_eq!(summary.counts.scored, 4);
    assert_outputs_complete(&out);
    assert_eq!(
        store_counts(&out),
        (2 + 4, 4, 4 * item_count(), 2, 1),
        "each run records the calls it finished (the killed one 2, the next all 4), each scorecard \
         is stored once, the killed run stays unfinished in the log"
    );
    let dataset = callqa::store::load(std::slice::from_ref(&out), &Default::default()).unwrap();
    assert_eq!(dataset.calls.len(), 4);
    assert!(dataset.unscored.is_empty());
}

fn item_count() -> usize {
    builtin_rubric().items.len()
}

/// (finished calls of all runs, scorecards, item results, runs logged, runs
/// finished) in the run database, after SQLite's own integrity and foreign
/// key checks.
fn store_counts(out: &Path) -> (usize, usize, usize, usize, usize) {
    let conn = rusqlite::Connection::open(out.join("callqa.sqlite")).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let dangling: i64 = conn
        .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(dangling, 0, "rows referring to missing runs or scorecards");
    let count = |sql: &str| conn.query_row(sql, [], |row| row.get::<_, i64>(0)).unwrap() as usize;
    (
        count("SELECT COUNT(*) FROM finished_calls"),
        count("SELECT COUNT(*) FROM scorecards"),
        count("SELECT COUNT(*) FROM item_results"),
        count("SELECT COUNT(*) FROM run_log"),
        count("SELECT COUNT(*) FROM run_log WHERE finished_unix IS NOT NULL"),
    )
}

#[test]
fn runs_killed_at_arbitrary_moments_lose_nothing_finished() {
    let tmp = tempfile::tempdir().unwrap();
    let calls = tmp.path().join("calls");
    copy_dev_wavs(&calls);
    let out = tmp.path().join("out");
    let marker = tmp.path().join("started.txt");

    // Two workers, slow ASR; kill at different points after a call starts.
    let (mut transcripts, mut results) = (0, 0);
    for pause_ms in [0u64, 350, 800, 2500] {
        let seen = marker_lines(&marker).len();
        let mut child = spawn_child(&calls, &out, &marker, 2, 0, 300);
        if wait_for_marker(&mut child, &marker, seen + 1).is_some() {
            std::thread::sleep(Duration::from_millis(pause_ms));
            kill(child);
        }
        // The database survives every kill, and never loses what it had.
        let db = RunDb::open(&out.join("callqa.sqlite")).unwrap();
        let (t, r) = (db.transcript_count().unwrap(), db.result_count().unwrap());
        assert!(
            t >= transcripts && r >= results,
            "lost work: {transcripts}/{results} -> {t}/{r}"
        );
        assert!(r <= t && t <= 4);
        (transcripts, results) = (t, r);
    }

    // Finishing: only calls without a stored transcript reach ASR again.
    let transcriber = GroundTruthTranscriber::new();
    let summary =
        pipeline::run(&options(vec![calls], &out), &transcriber, &builtin_rubric()).unwrap();
    assert_eq!(
        transcriber.total() as u64,
        2 * (4 - transcripts),
        "{:?}",
        transcriber.calls()
    );
    assert_eq!(summary.timing.result_cache_hits as u64, results);
    assert_outputs_complete(&out);
}

/// The dev calls with their ground truth as vendor transcripts, run once
/// into `root/out` (vendor transcripts, so the binary needs no model).
fn finished_vendor_run(root: &Path) -> (PathBuf, PathBuf, PathBuf) {
    copy_dev_wavs(&root.join("calls"));
    let vendor = root.join("vendor");
    fs::create_dir_all(&vendor).unwrap();
    for call in DEV_CALLS {
        fs::copy(
            dev_dir().join(format!("{call}.json")),
            vendor.join(format!("{call}.json")),
        )
        .unwrap();
    }
    let manifest = root.join("calls.csv");
    fs::write(&manifest, dev_manifest_rows("calls")).unwrap();
    let out = root.join("out");
    let summary = pipeline::run_vendor(
        &options(vec![manifest.clone()], &out),
        &pipeline::VendorTranscripts {
            dir: vendor.clone(),
        },
        &builtin_rubric(),
    )
    .unwrap();
    assert_eq!(summary.counts.scored, 4, "{:?}", summary.errors);
    (out, vendor, manifest)
}

fn callqa(args: &[&Path]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_callqa"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// `report` and `rescore` of `folder` both work, and the re-scored
/// scorecards are those of the original run.
fn assert_reports_and_rescores(folder: &Path, scorecards: &str, what: &str) {
    let report_dir = folder.with_extension("report");
    let report = callqa(&[
        Path::new("report"),
        Path::new("--audio"),
        Path::new("none"),
        Path::new("--out"),
        &report_dir,
        folder,
    ]);
    assert_eq!(
        report.status.code(),
        Some(0),
        "report after {what}: {}",
        String::from_utf8_lossy(&report.stderr)
    );
    assert!(report_dir.join("calls/dev-01.html").is_file());
    let rescore = callqa(&[Path::new("rescore"), folder]);
    assert!(
        matches!(rescore.status.code(), Some(0 | 1)),
        "rescore after {what}: {}",
        String::from_utf8_lossy(&rescore.stderr)
    );
    assert_eq!(
        read_json(&folder.join("summary.json"))["counts"]["scored"],
        4,
        "{what}"
    );
    assert_eq!(
        fs::read_to_string(folder.join("scorecards.jsonl")).unwrap(),
        scorecards,
        "{what}"
    );
}

#[test]
fn run_folders_survive_mv_cp_and_tar() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (out, _, _) = finished_vendor_run(root);
    let scorecards = fs::read_to_string(out.join("scorecards.jsonl")).unwrap();

    let moved = root.join("moved");
    fs::rename(&out, &moved).unwrap();
    assert_reports_and_rescores(&moved, &scorecards, "mv");

    let copied = root.join("copied");
    let cp = Command::new("cp")
        .arg("-r")
        .args([&moved, &copied])
        .status()
        .unwrap();
    assert!(cp.success());
    fs::remove_dir_all(&moved).unwrap();
    assert_reports_and_rescores(&copied, &scorecards, "cp -r");

    let archive = root.join("run.tar");
    let tar = |args: &[&Path]| {
        assert!(Command::new("tar").args(args).status().unwrap().success());
    };
    tar(&[
        Path::new("-C"),
        root,
        Path::new("-cf"),
        &archive,
        Path::new("copied"),
    ]);
    fs::remove_dir_all(&copied).unwrap();
    let elsewhere = root.join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    tar(&[Path::new("-C"), &elsewhere, Path::new("-xf"), &archive]);
    assert_reports_and_rescores(&elsewhere.join("copied"), &scorecards, "tar");
}

#[test]
fn databases_that_keyed_folders_by_absolute_path_still_open_after_a_move() {
    let tmp = tempfile::tempdir().unwrap();
    // A database made by callqa before schema 5 (fixtures/db), turned into
    // what callqa before schema 4 wrote: the folder's absolute path as key,
    // a path that no longer exists (the folder was moved since).
    let moved = tmp.path().join("moved");
    let db_path = old_database_fixture(&moved);
    {
        let conn = rusqlite::Connection::open(&db_path).unwrap();
        for table in [
            "runs",
            "run_calls",
            "run_log",
            "calls",
            "scorecards",
            "item_results",
        ] {
            conn.execute(
                &format!("UPDATE {table} SET out_dir = '/srv/calls/out'"),
                [],
            )
            .unwrap();
        }
        conn.execute("DELETE FROM schema_version WHERE version >= 4", [])
            .unwrap();
    }
    for (rubric, pages) in [
        (None, &["dev-03"][..]),
        (
            Some(OLD_FIXTURE_RUBRIC_A),
            &["dev-01", "dev-02", "dev-03"][..],
        ),
    ] {
        let report_dir = tmp
            .path()
            .join(format!("report-{}", rubric.unwrap_or("latest")));
        let mut args = vec![Path::new("report"), Path::new("--audio"), Path::new("none")];
        if let Some(rubric) = rubric {
            args.extend([Path::new("--rubric-version"), Path::new(rubric)]);
        }
        args.extend([Path::new("--out"), &report_dir, &moved]);
        let report = callqa(&args);
        assert_eq!(
            report.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&report.stderr)
        );
        let written: Vec<String> = file_names(&report_dir.join("calls"))
            .into_iter()
            .filter_map(|n| n.strip_suffix(".html").map(str::to_string))
            .collect();
        assert_eq!(written, pages, "rubric {rubric:?}");
    }
    // The last run's plan (dev-03) re-scores from the stored transcript.
    let rescore = callqa(&[Path::new("rescore"), &moved]);
    assert!(
        matches!(rescore.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&rescore.stderr)
    );
    assert_eq!(
        read_json(&moved.join("summary.json"))["counts"]["scored"],
        1
    );
    let db = RunDb::open(&db_path).unwrap();
    assert_eq!(db.schema_version().unwrap(), callqa::store::SCHEMA_VERSION);
    assert_eq!(db.check_integrity().unwrap(), Vec::<String>::new());
}

#[test]
fn a_second_run_into_a_busy_folder_names_the_holder_or_waits_for_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, vendor, manifest) = finished_vendor_run(tmp.path());
    let run_args = |wait: bool| {
        let mut args: Vec<&Path> = vec![
            Path::new("run"),
            Path::new("--quiet"),
            Path::new("--transcripts"),
            &vendor,
            Path::new("--out"),
            &out,
        ];
        if wait {
            args.push(Path::new("--wait"));
        }
        args.push(&manifest);
        args
    };
    // Another callqa (this test) holds the folder.
    let held = pipeline::lock::lock_folder(&out, "run", false, |_| {}).unwrap();
    let pid = format!("pid {}", std::process::id());
    for (command, args) in [
        ("run", run_args(false)),
        ("rescore", vec![Path::new("rescore"), out.as_path()]),
    ] {
        let refused = callqa(&args);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains(&pid) && stderr.contains("since") && stderr.contains("--wait"),
            "{command}: {stderr}"
        );
    }

    // With --wait it says so, waits, and then finds everything done.
    let mut waiting = Command::new(env!("CARGO_BIN_EXE_callqa"))
        .args(run_args(true))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = waiting.stderr.take().unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines() {
            let _ = lines_tx.send(line.unwrap_or_default());
        }
    });
    let waiting_line = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(120))
            .expect("the waiting run says it waits");
        if line.contains("waiting") {
            break line;
        }
    };
    assert!(waiting_line.contains(&pid), "{waiting_line}");
    assert!(
        waiting.try_wait().unwrap().is_none(),
        "it waits for the lock"
    );
    drop(held);
    let status = waiting.wait().unwrap();
    assert!(matches!(status.code(), Some(0 | 1)), "{status}");
    let timing = &read_json(&out.join("summary.json"))["timing"];
    assert_eq!(timing["transcribed"], 0, "{timing}");
    assert_eq!(timing["result_cache_hits"], 4, "{timing}");
}
