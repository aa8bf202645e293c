//! Every CSV callqa writes comes from the one CSV writer: UTF-8 with a BOM,
//! CRLF line ends, and no cell a spreadsheet would run as a formula.
//!
//! A batch whose call ids, agent ids and spoken text begin with `=`, `+`,
//! `-` and `@` goes through the five CSV outputs (`run`'s scorecards.csv,
//! `score -f csv`, `promises -f csv`, `hotspots -f csv`, the report's
//! exports), all driven through the `callqa` binary. Each file is parsed
//! back with the csv crate: the hostile values come out guarded with a
//! leading `'`, and without the guard they are exactly what went in.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const CALLQA: &str = env!("CARGO_BIN_EXE_callqa");

/// (dev call, hostile call id, hostile agent id).
const CALLS: [(&str, &str, &str); 3] = [
    ("dev-01", "=SUM(A1)", "+A-3012"),
    ("dev-03", "@cmd", "-A-9"),
    ("dev-04", "-2+3", "@A7"),
];

/// What dev-01's promise utterance says in this batch (its `好的。` dropped
/// and a formula start put in front).
const PROMISE_TEXT: &str = "=我今晚九点前再给您回电，确认您已经顺利入住。";

fn dev_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/audio/dev");
    assert!(
        dir.join("dev-01.wav").is_file(),
        "the dev recordings are missing from {}; these tests need them",
        dir.display()
    );
    dir
}

/// Runs callqa; exit 0 (all passed) or 1 (some call failed its rubric) is
/// success here. Returns stdout.
fn callqa(args: &[&str]) -> Vec<u8> {
    let output = Command::new(CALLQA).args(args).output().unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "callqa {args:?} exited {:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// `run --transcripts` over the three dev calls under hostile ids, with a
/// hostile promise sentence; returns (temp dir, run folder).
fn hostile_run() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let calls = tmp.path().join("calls");
    let vendor = tmp.path().join("vendor");
    fs::create_dir_all(&calls).unwrap();
    fs::create_dir_all(&vendor).unwrap();
    let mut manifest = String::from("call_id,audio,agent_id,customer_id,started_at,direction\n");
    for (dev, call_id, agent_id) in CALLS {
        fs::copy(
            dev_dir().join(format!("{dev}.wav")),
            calls.join(format!("{dev}.wav")),
        )
        .unwrap();
        let mut truth: Value = serde_json::from_str(
            &fs::read_to_string(dev_dir().join(format!("{dev}.json"))).unwrap(),
        )
        .unwrap();
        if dev == "dev-01" {
            let text = &mut truth["utterances"][8]["text"];
            assert_eq!(text, "好的。我今晚九点前再给您回电，确认您已经顺利入住。");
            *text = PROMISE_TEXT.into();
        }
        truth["call_id"] = call_id.into();
        fs::write(
            vendor.join(format!("{call_id}.json")),
            serde_json::to_string_pretty(&truth).unwrap(),
        )
        .unwrap();
        manifest.push_str(&format!(
            "{call_id},calls/{dev}.wav,{agent_id},{},{},{}\n",
            truth["customer_id"].as_str().unwrap(),
            truth["started_at"].as_str().unwrap(),
            truth["direction"].as_str().unwrap(),
        ));
    }
    let manifest_path = tmp.path().join("calls.csv");
    fs::write(&manifest_path, manifest).unwrap();
    let out = tmp.path().join("out");
    callqa(&[
        "run",
        "--quiet",
        "--transcripts",
        vendor.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        manifest_path.to_str().unwrap(),
    ]);
    (tmp, out)
}

/// A parsed CSV file: the header and the rows, cells as written (guards kept).
struct Parsed {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Parsed {
    fn column(&self, name: &str) -> Vec<&str> {
        let index = self
            .header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header));
        self.rows.iter().map(|r| r[index].as_str()).collect()
    }
}

/// Parses `bytes` with the csv crate after checking the BOM and the CRLF
/// line ends, and checks that no cell starts like a formula.
fn parse(name: &str, bytes: &[u8]) -> Parsed {
    let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{name}: not UTF-8: {e}"));
    let body = text
        .strip_prefix('\u{feff}')
        .unwrap_or_else(|| panic!("{name}: no byte-order mark"));
    assert!(body.ends_with("\r\n"), "{name}: last line not CRLF");
    assert_eq!(
        body.matches('\n').count(),
        body.matches("\r\n").count(),
        "{name}: a line ends in a bare LF"
    );
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']) || is_number(cell),
                "{name}: unguarded formula start in {cell:?}"
            );
        }
    }
    Parsed { header, rows }
}

fn is_number(cell: &str) -> bool {
    let digits = cell.trim_start_matches(['+', '-']);
    !digits.is_empty()
        && digits.parse::<f64>().is_ok()
        && !digits.contains(['e', 'E', 'n', 'N', 'i', 'I'])
}

/// A cell as it went in: the guard removed.
fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// Each hostile value appears guarded (`'` + value) and round-trips.
fn assert_guarded(name: &str, cells: &[&str], hostile: &[&str]) {
    let found: BTreeSet<&str> = cells.iter().map(|c| unguard(c)).collect();
    for value in hostile {
        assert!(
            found.contains(value),
            "{name}: {value:?} missing from {found:?}"
        );
        let guarded = format!("'{value}");
        assert!(
            cells.contains(&guarded.as_str()),
            "{name}: {value:?} not written as {guarded:?}: {cells:?}"
        );
    }
}

fn call_ids() -> Vec<&'static str> {
    CALLS.iter().map(|c| c.1).collect()
}

fn agent_ids() -> Vec<&'static str> {
    CALLS.iter().map(|c| c.2).collect()
}

#[test]
fn run_scorecards_csv_is_guarded() {
    let (_tmp, out) = hostile_run();
    let csv = parse(
        "scorecards.csv",
        &fs::read(out.join("scorecards.csv")).unwrap(),
    );
    assert_guarded("scorecards.csv", &csv.column("call_id"), &call_ids());
    assert_guarded("scorecards.csv", &csv.column("agent_id"), &agent_ids());
    // Numbers stay numbers: scores are written plain.
    assert!(csv.column("score").iter().all(|s| s.parse::<f64>().is_ok()));
    // The rest round-trips too: the scorecards.jsonl holds the same reasons.
    let reasons: BTreeSet<String> = fs::read_to_string(out.join("scorecards.jsonl"))
        .unwrap()
        .lines()
        .flat_map(|line| {
            let card: Value = serde_json::from_str(line).unwrap();
            card["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["reason"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let csv_reasons: BTreeSet<String> = csv
        .column("reason")
        .iter()
        .map(|r| unguard(r).to_string())
        .collect();
    assert_eq!(csv_reasons, reasons);
    let evidence = csv.column("evidence").join("\n");
    assert!(evidence.contains(PROMISE_TEXT), "{evidence}");
}

#[test]
fn score_csv_is_guarded_and_matches_run() {
    let (_tmp, out) = hostile_run();
    let stdout = callqa(&[
        "score",
        "-f",
        "csv",
        out.join("transcripts").to_str().unwrap(),
    ]);
    let csv = parse("score -f csv", &stdout);
    assert_guarded("score -f csv", &csv.column("call_id"), &call_ids());
    assert_guarded("score -f csv", &csv.column("agent_id"), &agent_ids());
    // The same row shape as run's scorecards.csv.
    let run = parse(
        "scorecards.csv",
        &fs::read(out.join("scorecards.csv")).unwrap(),
    );
    assert_eq!(csv.header, run.header);
}

/// `--lang` changes only the cells a person reads (`item_title`, `reason`,
/// `evidence`): the header scripts select by and every machine cell stay
/// the same, and the guard holds in both languages.
#[test]
fn score_csv_header_and_machine_cells_are_the_same_in_both_languages() {
    let (_tmp, out) = hostile_run();
    let transcripts = out.join("transcripts");
    let zh = parse(
        "score -f csv",
        &callqa(&["score", "-f", "csv", transcripts.to_str().unwrap()]),
    );
    let en = parse(
        "score --lang en -f csv",
        &callqa(&[
            "--lang",
            "en",
            "score",
            "-f",
            "csv",
            transcripts.to_str().unwrap(),
        ]),
    );
    assert_eq!(zh.header, en.header);
    assert_eq!(zh.rows.len(), en.rows.len());
    for name in ["item_title", "reason", "evidence"] {
        assert_ne!(
            zh.column(name),
            en.column(name),
            "{name} is in each language"
        );
    }
    for name in zh
        .header
        .iter()
        .filter(|h| !["item_title", "reason", "evidence"].contains(&h.as_str()))
    {
        assert_eq!(zh.column(name), en.column(name), "column {name}");
    }
    assert_guarded("score --lang en -f csv", &en.column("call_id"), &call_ids());
    // A person reads who spoke in their language.
    let speakers = |p: &Parsed, agent: &str| {
        p.column("evidence")
            .iter()
            .filter(|e| !e.is_empty())
            .all(|e| {
                e.starts_with(agent)
                    || e.starts_with(if agent == "客服" {
                        "客户"
                    } else {
                        "customer"
                    })
            })
    };
    assert!(speakers(&zh, "客服"), "{:?}", zh.column("evidence"));
    assert!(speakers(&en, "agent"), "{:?}", en.column("evidence"));
}

#[test]
fn promises_csv_is_guarded_and_is_the_reports_table() {
    let (tmp, out) = hostile_run();
    let as_of = "2026-12-01T00:00:00+08:00";
    let stdout = callqa(&[
        "promises",
        "-f",
        "csv",
        "--as-of",
        as_of,
        out.to_str().unwrap(),
    ]);
    let csv = parse("promises -f csv", &stdout);
    let calls = csv.column("call_id");
    assert!(calls.contains(&"'=SUM(A1)"), "{calls:?}");
    assert!(calls.iter().all(|c| call_ids().contains(&unguard(c))));
    assert!(csv
        .column("agent_id")
        .iter()
        .all(|a| agent_ids().contains(&unguard(a))));
    let texts = csv.column("text");
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("'=") && unguard(t).contains("九点前再给您回电")),
        "the promise sentence starting with `=` is guarded: {texts:?}"
    );

    // The report's promises.csv is the same table, byte for byte.
    let report = tmp.path().join("report");
    callqa(&[
        "report",
        "--audio",
        "none",
        "--as-of",
        as_of,
        "-o",
        report.to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    assert_eq!(fs::read(report.join("csv/promises.csv")).unwrap(), stdout);
}

/// The hotspot fixtures under formula-starting call ids.
fn hostile_hotspot_transcripts(dir: &Path) -> Vec<String> {
    fs::create_dir_all(dir).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hotspots");
    let mut names: Vec<PathBuf> = fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    let mut ids = Vec::new();
    for (n, path) in names.iter().enumerate() {
        let mut t: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
        let id = format!(
            "{}{}",
            ["=", "+", "-", "@"][n % 4],
            t["call_id"].as_str().unwrap()
        );
        t["call_id"] = id.clone().into();
        t["agent_id"] = format!("@{}", t["agent_id"].as_str().unwrap_or("A1")).into();
        fs::write(dir.join(format!("{n:02}.json")), t.to_string()).unwrap();
        ids.push(id);
    }
    ids
}

#[test]
fn hotspots_csv_is_guarded() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("t");
    let ids = hostile_hotspot_transcripts(&dir);
    let stdout = callqa(&["hotspots", "-f", "csv", dir.to_str().unwrap()]);
    let csv = parse("hotspots -f csv", &stdout);
    assert!(!csv.rows.is_empty(), "the fixtures have hotspots");
    for cell in csv.column("example_call_ids") {
        assert!(cell.starts_with('\''), "guarded: {cell:?}");
        for id in unguard(cell).split(' ') {
            assert!(ids.iter().any(|i| i == id), "{id:?} round-trips");
        }
    }
    // Scores are numbers, written plain.
    assert!(csv.column("score").iter().all(|s| s.parse::<f64>().is_ok()));
}

#[test]
fn report_exports_are_guarded() {
    let (tmp, out) = hostile_run();
    let report = tmp.path().join("report");
    callqa(&[
        "report",
        "--audio",
        "none",
        "-o",
        report.to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    let read = |name: &str| parse(name, &fs::read(report.join("csv").join(name)).unwrap());
    let calls = read("calls.csv");
    assert_guarded("calls.csv", &calls.column("call_id"), &call_ids());
    assert_guarded("calls.csv", &calls.column("agent_id"), &agent_ids());
    let agents = read("agents.csv");
    assert_guarded("agents.csv", &agents.column("agent_id"), &agent_ids());
    let promises = read("promises.csv");
    assert!(promises
        .column("text")
        .iter()
        .any(|t| t.starts_with("'=") && unguard(t).contains("九点前再给您回电")));
    for name in ["items.csv", "hotspots.csv"] {
        read(name);
    }
}
