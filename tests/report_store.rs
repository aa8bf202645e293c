//! The results store and the supervisor commands without a browser: runs
//! recorded once however often they are repeated, rubric versions side by
//! side, the report choosing a version, CSV exports for Excel, `callqa
//! promises` and `callqa hotspots` output, and clear errors.

mod report_support;

use std::fs;
use std::path::Path;

use serde_json::Value;

use report_support::{build_batch, callqa, crate_dir, default_sources, round1, scorecards, AS_OF};

fn counts(run_dir: &Path) -> Vec<i64> {
    let conn = rusqlite::Connection::open(run_dir.join("callqa.sqlite")).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    [
        // Each run records the calls it finished; each scorecard is stored
        // once however often runs meet it again.
        "SELECT COUNT(*) FROM finished_calls",
        "SELECT COUNT(*) FROM scorecards",
        "SELECT COUNT(*) FROM item_results",
        "SELECT COUNT(*) FROM rubric_versions",
        "SELECT COUNT(*) FROM run_log WHERE finished_unix IS NOT NULL",
        "SELECT MAX(version) FROM schema_version",
    ]
    .iter()
    .map(|sql| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap())
    .collect()
}

#[test]
fn runs_are_recorded_once_and_rubric_versions_coexist() {
    // A dozen golden calls plus the promise histories keep this quick.
    let sources: Vec<_> = default_sources()
        .into_iter()
        .enumerate()
        .filter(|(i, (path, _))| *i < 12 || path.to_string_lossy().contains("promises"))
        .map(|(_, s)| s)
        .collect();
    let batch = build_batch(&sources);
    let n = batch.call_ids.len() as i64;
    let items = 14;
    let schema = i64::from(callqa::store::SCHEMA_VERSION);
    assert_eq!(counts(&batch.run_dir), vec![n, n, n * items, 1, 1, schema]);

    // Again: no scorecard added twice, one more run logged with its calls.
    batch.run(&[]);
    assert_eq!(
        counts(&batch.run_dir),
        vec![2 * n, n, n * items, 1, 2, schema]
    );

    // A stricter rubric version: its scorecards live beside the first ones.
    let strict = batch.path("strict.toml");
    let builtin = fs::read_to_string(crate_dir().join("rubrics/cs-standard.toml")).unwrap();
    let edited = builtin.replacen("pass_score = ", "pass_score = 99.5 # was ", 1);
    assert_ne!(edited, builtin, "the rubric has a pass_score line");
    fs::write(&strict, edited).unwrap();
    fs::copy(
        crate_dir().join("rubrics/cs-dict.txt"),
        batch.path("cs-dict.txt"),
    )
    .unwrap();
    let output = callqa(&[
        "rescore",
        "--rubric",
        strict.to_str().unwrap(),
        batch.run_dir.to_str().unwrap(),
    ]);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        counts(&batch.run_dir),
        vec![3 * n, 2 * n, 2 * n * items, 2, 3, schema]
    );
    let strict_cards = scorecards(&batch.run_dir);
    let strict_sha = strict_cards[0]["rubric_sha256"]
        .as_str()
        .unwrap()
        .to_string();

    // The report shows the latest version by default, an older one on request.
    let conn = rusqlite::Connection::open(batch.run_dir.join("callqa.sqlite")).unwrap();
    let old_sha: String = conn
        .query_row(
            "SELECT rubric_sha256 FROM rubric_versions WHERE rubric_sha256 != ?1",
            [&strict_sha],
            |r| r.get(0),
        )
        .unwrap();
    let run_dir = batch.run_dir.to_str().unwrap();
    // The report of the version shown by default, without audio, as of AS_OF.
    let report = |out: &Path| {
        callqa(&[
            "report",
            "--audio",
            "none",
            "--as-of",
            AS_OF,
            "--out",
            out.to_str().unwrap(),
            run_dir,
        ])
    };
    let latest = batch.path("report-latest");
    let output = report(&latest);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let index = fs::read_to_string(latest.join("index.html")).unwrap();
    assert!(
        index.contains(&strict_sha[..12]),
        "the report names the rubric version it shows"
    );
    let passed = strict_cards
        .iter()
        .filter(|c| c["passed"] == Value::Bool(true))
        .count();
    let rate = format!("{:.1}%", round1(100.0 * passed as f64 / n as f64));
    assert!(
        index.contains(&format!(
            r#"data-stat="pass-rate"><div class="value">{rate}<"#
        )),
        "pass rate {rate}"
    );

    let older = batch.path("report-older");
    let output = callqa(&[
        "report",
        "--audio",
        "none",
        "--as-of",
        AS_OF,
        "--rubric-version",
        &old_sha[..8],
        "--out",
        older.to_str().unwrap(),
        run_dir,
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let index = fs::read_to_string(older.join("index.html")).unwrap();
    assert!(index.contains(&old_sha[..12]) && !index.contains(&strict_sha[..12]));

    // The same data and as-of time give byte-identical pages.
    let again = batch.path("report-again");
    report(&again);
    for page in [
        "index.html",
        "promises.html",
        "hotspots.html",
        "csv/calls.csv",
    ] {
        assert_eq!(
            fs::read(latest.join(page)).unwrap(),
            fs::read(again.join(page)).unwrap(),
            "{page} differs between two builds"
        );
    }

    // CSV for Excel: BOM, CRLF, one row per call, the scores of the scorecards.
    let csv = fs::read_to_string(latest.join("csv/calls.csv")).unwrap();
    assert!(
        csv.starts_with('\u{feff}'),
        "calls.csv has a byte-order mark"
    );
    assert!(csv.contains("\r\n"));
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let score_column = headers.iter().position(|h| h == "score").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len() as i64, n);
    for card in &strict_cards {
        let row = rows
            .iter()
            .find(|r| &r[0] == card["call_id"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            row[score_column],
            format!("{:.1}", card["score"].as_f64().unwrap())
        );
    }

    // The report's promises come from the rubric that scored the calls: a
    // version whose promise act leaves out calls and replies lists fewer.
    let promise_rows = |report: &Path| {
        fs::read_to_string(report.join("csv/promises.csv"))
            .unwrap()
            .lines()
            .count()
    };
    let narrow = batch.path("narrow.toml");
    let without_contact = builtin.replacen(
        "unless = [\"promise_not_new\"]",
        "unless = [\"promise_not_new\", \"promise_word\", \"contact_promise\"]",
        1,
    );
    assert_ne!(
        without_contact, builtin,
        "the promise act has its unless line"
    );
    fs::write(&narrow, without_contact).unwrap();
    let output = callqa(&["rescore", "--rubric", narrow.to_str().unwrap(), run_dir]);
    assert!(matches!(output.status.code(), Some(0 | 1)));
    let narrow_report = batch.path("report-narrow");
    let output = report(&narrow_report);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        promise_rows(&narrow_report) < promise_rows(&latest),
        "{} promise rows with the narrow rubric, {} with the standard one",
        promise_rows(&narrow_report),
        promise_rows(&latest)
    );
}

#[test]
fn promises_and_hotspots_commands_read_run_folders() {
    let sources: Vec<_> = default_sources()
        .into_iter()
        .filter(|(path, _)| path.to_string_lossy().contains("promises"))
        .collect();
    assert!(sources.len() >= 4, "the promise fixtures are there");
    let batch = build_batch(&sources);
    let run_dir = batch.run_dir.to_str().unwrap();

    let output = callqa(&["promises", "--format", "json", "--as-of", AS_OF, run_dir]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let promises: Value = serde_json::from_slice(&output.stdout).unwrap();
    let promises = promises.as_array().unwrap();
    assert!(!promises.is_empty());
    for promise in promises {
        for key in [
            "call_id",
            "agent_id",
            "customer_id",
            "text",
            "deadline",
            "status",
            "follow_up_call_id",
        ] {
            assert!(
                promise.get(key).is_some(),
                "promise without `{key}`: {promise}"
            );
        }
        let status = promise["status"].as_str().unwrap();
        // Visits, deliveries, refunds and SMS are unverifiable by a later call.
        assert!(["kept", "broken", "pending", "unverifiable"].contains(&status));
        if status == "kept" {
            assert!(
                promise["follow_up_call_id"].is_string(),
                "a kept promise names its follow-up call: {promise}"
            );
        }
    }
    let output = callqa(&["promises", "--format", "csv", "--as-of", AS_OF, run_dir]);
    assert!(String::from_utf8(output.stdout)
        .unwrap()
        .starts_with('\u{feff}'));
    let output = callqa(&["promises", "--lang", "en", "--as-of", AS_OF, run_dir]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("kept") && text.contains("broken"), "{text}");

    let output = callqa(&["hotspots", "--format", "json", run_dir]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let hotspots: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        hotspots["calls"].as_u64().unwrap() as usize,
        batch.call_ids.len()
    );
}

#[test]
fn supervisor_commands_name_bad_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("not-a-run");
    fs::create_dir_all(&empty).unwrap();
    for command in ["report", "promises", "hotspots"] {
        let mut args = vec![command];
        let out = tmp.path().join("out");
        if command == "report" {
            args.extend(["--out", out.to_str().unwrap()]);
        }
        args.push(empty.to_str().unwrap());
        let output = callqa(&args);
        assert_eq!(output.status.code(), Some(2), "{command}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("not-a-run") && stderr.contains("callqa run"),
            "{command}: {stderr}"
        );
    }
    // promises and hotspots also read transcript folders directly.
    let output = callqa(&[
        "promises",
        "--format",
        "json",
        "--as-of",
        AS_OF,
        crate_dir().join("fixtures/promises").to_str().unwrap(),
    ]);
    let promises: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        promises
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["status"] == "kept"),
        "{promises}"
    );
    let output = callqa(&[
        "promises",
        "--as-of",
        "next tuesday",
        empty.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let output = callqa(&[
        "report",
        "--out",
        "x",
        "--audio",
        "mp3",
        empty.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("--audio"));
}
