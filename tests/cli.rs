//! The `callqa` binary end to end: golden checks, exit codes, error rows,
//! determinism, output formats, explain, lint — as CI and users run it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_callqa"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c.env_remove("NO_COLOR");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("callqa runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn golden_fixtures_pass() {
    let o = run(&["check", "fixtures/golden"]);
    let out = stdout(&o);
    assert!(
        o.status.success(),
        "callqa check failed:\n{out}\n{}",
        stderr(&o)
    );
    let last = out.lines().last().unwrap();
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
    let passed: usize = last.split(' ').next().unwrap().parse().unwrap();
    assert!(passed >= 40, "{last}");
}

/// Every item has at least 3 passing and 3 failing golden fixtures.
#[test]
fn golden_fixtures_cover_every_item() {
    let mut counts: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for entry in fs::read_dir(root().join("fixtures/golden")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        for (item, verdict) in v["expect"].as_object().unwrap() {
            let e = counts.entry(item.clone()).or_default();
            match verdict.as_str().unwrap() {
                "pass" => e.0 += 1,
                "fail" | "review" => e.1 += 1,
                _ => {}
            }
        }
    }
    assert_eq!(counts.len(), 14);
    for (item, (pass, fail)) in counts {
        assert!(
            pass >= 3 && fail >= 3,
            "{item}: {pass} pass, {fail} fail fixtures"
        );
    }
}

/// The independently written validation sets must agree with the rubric at
/// least 95 % item by item (the bar the held-out set is judged by).
#[test]
fn validation_sets_agree_at_least_95_percent() {
    for set in ["fixtures/holdout", "fixtures/blind"] {
        // The English agreement line (`items: … (98.0%)`) is parsed here.
        let o = run(&["check", "--lang", "en", set]);
        let out = stdout(&o);
        let line = out
            .lines()
            .find(|l| l.starts_with("items: "))
            .unwrap_or_else(|| panic!("{out}"));
        let pct: f64 = line
            .rsplit('(')
            .next()
            .unwrap()
            .trim_end_matches("%)")
            .parse()
            .unwrap();
        assert!(pct >= 95.0, "{set}: {line}\n{out}");
    }
}

fn temp_copy(fixtures: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in fixtures {
        let from = root().join("fixtures/golden").join(f);
        fs::copy(&from, dir.path().join(f)).unwrap();
    }
    dir
}

#[test]
fn a_regression_shows_a_diff_and_exits_1() {
    let dir = temp_copy(&["greeting-bare-wei-courier.json"]);
    let path = dir.path().join("greeting-bare-wei-courier.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    v["expect"]["greeting"] = "pass".into();
    fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
    let junit = dir.path().join("junit.xml");
    let o = run(&[
        "check",
        "--lang",
        "en",
        "--junit",
        junit.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("greeting") && out.contains("expected pass") && out.contains("got fail"),
        "{out}"
    );
    assert!(out.contains("│"), "the diff shows evidence lines: {out}");
    assert!(out.trim_end().ends_with("0 passed, 1 failed"), "{out}");
    let xml = fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuite name=\"callqa check\" tests=\"14\" failures=\"1\""),
        "{xml}"
    );
    assert!(
        xml.contains("<failure message=\"expected pass got fail\">"),
        "{xml}"
    );
}

#[test]
fn bad_fixture_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("bad.json"),
        r#"{"call_id":"x","utterances":[],"expect":{"greting":"pass"}}"#,
    )
    .unwrap();
    let o = run(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(
        out.contains("greting") && out.contains("no such item") && out.contains("greeting"),
        "{out}"
    );
}

#[test]
fn one_bad_file_never_stops_the_batch() {
    let dir = temp_copy(&[
        "ownership-is-our-responsibility-gas-meter.json",
        "listen-interrupt-1500ms-broadband.json",
    ]);
    fs::write(
        dir.path().join("broken.json"),
        "{\"call_id\": \"x\", \"utterances\": [",
    )
    .unwrap();
    fs::write(
        dir.path().join("missing.json"),
        r#"{"call_id": "y", "utterances": [{"speaker": "agent"}]}"#,
    )
    .unwrap();
    let o = run(&["score", "-f", "jsonl", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let out = stdout(&o);
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 4);
    let errors: Vec<&serde_json::Value> =
        rows.iter().filter(|r| r.get("error").is_some()).collect();
    assert_eq!(errors.len(), 2);
    for e in &errors {
        let msg = e["error"].as_str().unwrap();
        let file = e["file"].as_str().unwrap();
        assert!(msg.contains(file), "error names its file: {msg}");
    }
    assert!(errors.iter().any(|e| e["error"]
        .as_str()
        .unwrap()
        .contains("missing field `text`")));
    assert!(errors.iter().any(|e| e["error"]
        .as_str()
        .unwrap()
        .contains("invalid transcript JSON")));
    assert_eq!(rows.iter().filter(|r| r.get("score").is_some()).count(), 2);
    assert!(stderr(&o).contains("broken.json"));
}

#[test]
fn scorecards_are_byte_identical_across_runs_and_worker_counts() {
    let one = run(&["score", "-f", "jsonl", "-j", "1", "fixtures/golden"]);
    let two = run(&["score", "-f", "jsonl", "-j", "2", "fixtures/golden"]);
    let again = run(&["score", "-f", "jsonl", "-j", "2", "fixtures/golden"]);
    assert_eq!(one.stdout, two.stdout);
    assert_eq!(two.stdout, again.stdout);
    // input order, not completion order
    let ids: Vec<String> = stdout(&one)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["call_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "folder contents are scored in sorted order");
}

#[test]
fn scorecard_contract_fields_and_evidence() {
    let o = run(&[
        "score",
        "-f",
        "json",
        "fixtures/golden/compensation-same-breath-courier-damaged.json",
    ]);
    let cards: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let card = &cards[0];
    let expected_code = if card["passed"].as_bool().unwrap() {
        0
    } else {
        1
    };
    assert_eq!(
        o.status.code(),
        Some(expected_code),
        "exit 1 exactly when a call fails its rubric"
    );
    let failing = run(&[
        "score",
        "fixtures/golden/forbidden-wei-shuohuaya-heating.json",
    ]);
    assert_eq!(failing.status.code(), Some(1));
    for field in [
        "call_id",
        "agent_id",
        "rubric",
        "rubric_sha256",
        "score",
        "passed",
        "critical_failed",
        "items",
    ] {
        assert!(card.get(field).is_some(), "missing {field}");
    }
    let sha = card["rubric_sha256"].as_str().unwrap();
    let expected =
        callqa::rubric::sha256_hex(&fs::read(root().join("rubrics/cs-standard.toml")).unwrap());
    assert_eq!(sha, expected, "the stamped sha256 is the rubric file's");
    let item = card["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "compensation_timing")
        .unwrap();
    assert_eq!(item["verdict"], "fail");
    let ev = item["evidence"].as_array().unwrap();
    assert!(!ev.is_empty());
    assert!(ev.iter().any(|e| e["speaker"] == "agent"
        && e["start_ms"].is_u64()
        && !e["matched"].as_array().unwrap().is_empty()));
    assert!(!item["reason"].as_str().unwrap().is_empty());
}

#[test]
fn csv_and_text_formats() {
    let csv = run(&[
        "score",
        "-f",
        "csv",
        "fixtures/golden/greeting-full-airline-cancelled.json",
    ]);
    assert!(csv.status.success());
    let text = stdout(&csv);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "call_id");
    assert_eq!(reader.records().count(), 14, "one row per item");
    let human = run(&[
        "score",
        "--lang",
        "en",
        "fixtures/golden/greeting-bare-wei-courier.json",
    ]);
    let h = stdout(&human);
    assert!(
        h.contains("FAIL") && h.contains("greeting") && !h.contains("\x1b["),
        "no colour when not a terminal: {h}"
    );
}

#[test]
fn explain_prints_docs_and_rule_from_the_rubric() {
    let o = run(&["explain", "--lang", "en", "greeting"]);
    assert!(o.status.success());
    let out = stdout(&o);
    for part in [
        "greeting",
        "What:",
        "Why:",
        "Example:",
        "Source:",
        "Rule:",
        "欢迎致电",
        "first_turns",
    ] {
        assert!(out.contains(part), "missing {part} in:\n{out}");
    }
    let all = stdout(&run(&["explain", "--all"]));
    for id in ["listen_first", "forbidden", "talk_balance"] {
        assert!(all.contains(id));
    }
    let unknown = run(&["explain", "greting"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("greeting"),
        "lists the items: {}",
        stderr(&unknown)
    );
}

#[test]
fn rubric_errors_point_at_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let text = fs::read_to_string(root().join("rubrics/cs-standard.toml"))
        .unwrap()
        .replacen("pass_score = 80", "pass_scor = 80", 1);
    fs::write(&path, &text).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("pass_scor"))
        .unwrap()
        + 1;
    let o = run(&["lint", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains(&format!("bad.toml:{line}:")), "{err}");
    assert!(
        err.contains("pass_scor") && err.contains("pass_score"),
        "{err}"
    );
    let score = run(&[
        "score",
        "--rubric",
        path.to_str().unwrap(),
        "fixtures/golden",
    ]);
    assert_eq!(score.status.code(), Some(2));
    assert!(stdout(&score).is_empty());
}

#[test]
fn chat_logs_without_timestamps_score_without_errors() {
    // Real chat-log shape: no times, placeholders, emoji, a system line.
    let dir = tempfile::tempdir().unwrap();
    let log = r#"{"call_id": "chat-1", "channel": "chat", "utterances": [
        {"speaker": "system", "text": "会话已接入 [客服]"},
        {"speaker": "客户", "text": "在吗😡 我的订单{订单号}怎么还没发货"},
        {"speaker": "客服", "text": "亲亲您好，这里是[店铺名]官方客服，请问有什么可以帮您呢？😊"},
        {"speaker": "客服", "text": "非常抱歉让您久等了🙏 我这边帮您催一下仓库，今天18:00前给您回复物流单号哦"},
        {"speaker": "客户", "text": "好吧"},
        {"speaker": "客服", "text": "感谢亲的耐心～还有其他可以帮您的吗？"},
        {"speaker": "客户", "text": "没了👌"},
        {"speaker": "客服", "text": "好的亲，祝您生活愉快，再见～"}
    ]}"#;
    fs::write(dir.path().join("chat-1.json"), log).unwrap();
    let o = run(&["score", "-f", "json", dir.path().to_str().unwrap()]);
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    let cards: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let items = cards[0]["items"].as_array().unwrap();
    let v = |id: &str| {
        items.iter().find(|i| i["id"] == id).unwrap()["verdict"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(v("listen_first"), "na");
    assert_eq!(v("hold_silence"), "na");
    assert_eq!(v("promise_specific"), "pass");
    assert_eq!(v("closing"), "pass");
    assert_eq!(v("thanks"), "pass");
    let roundtrip: serde_json::Value = serde_json::from_str(log).unwrap();
    assert_eq!(roundtrip["channel"], "chat");
}

#[test]
fn schema_command_prints_the_committed_schema() {
    let o = run(&["schema"]);
    let committed = fs::read_to_string(root().join("rubrics/rubric.schema.json")).unwrap();
    assert_eq!(stdout(&o).trim(), committed.trim());
    assert!(Path::new(&root().join("rubrics/cs-dict.txt")).exists());
}

/// `callqa ARGS` with `--lang LANG` placed before or after the subcommand.
fn run_in(lang: &str, before: bool, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut all: Vec<&str> = Vec::new();
    if before {
        all.extend(["--lang", lang]);
        all.extend(args);
    } else {
        all.extend(args);
        all.extend(["--lang", lang]);
    }
    let mut c = bin();
    c.env_remove("CALLQA_LANG");
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(&all).output().expect("callqa runs")
}

/// `--lang zh` and `--lang en` are taken by every subcommand, before or
/// after it; each command then does its job (exit 0, or 1 where a call
/// fails its rubric) — never a usage error.
#[test]
fn every_subcommand_takes_lang_zh_and_en() {
    let tmp = tempfile::tempdir().unwrap();
    let t = |p: &str| tmp.path().join(p).to_str().unwrap().to_owned();
    let (models, out, site) = (t("models"), t("out"), t("site"));
    fs::create_dir_all(&models).unwrap();
    let fixture = "fixtures/golden/asr-empathy-3x-garbled-food.json";
    let env = [("CALLQA_MODEL_DIR", models.as_str())];

    // A run folder for run, rescore, report, promises and hotspots.
    let made = run_in(
        "zh",
        false,
        &[
            "run",
            "--quiet",
            "--transcripts",
            "fixtures/audio",
            "-o",
            &out,
            "fixtures/audio/call-01.wav",
        ],
        &[],
    );
    assert!(
        matches!(made.status.code(), Some(0 | 1)),
        "{}",
        stderr(&made)
    );

    let commands: Vec<Vec<&str>> = vec![
        vec!["score", fixture],
        vec!["check", fixture],
        vec!["explain", "greeting"],
        vec!["explain", "--operators"],
        vec!["trace", fixture],
        vec!["schema"],
        vec!["lint", "rubrics/cs-standard.toml"],
        vec!["models", "list"],
        vec![
            "run",
            "--quiet",
            "--transcripts",
            "fixtures/audio",
            "-o",
            &out,
            "fixtures/audio/call-01.wav",
        ],
        vec!["rescore", &out],
        vec!["report", "--audio", "none", "-o", &site, &out],
        vec!["promises", &out],
        vec!["hotspots", &out],
    ];
    for args in &commands {
        for (lang, before) in [("zh", true), ("en", false), ("en", true), ("zh", false)] {
            let o = run_in(lang, before, args, &env);
            assert!(
                matches!(o.status.code(), Some(0 | 1)),
                "callqa {args:?} with --lang {lang} (before the subcommand: {before}): {:?}\n{}",
                o.status.code(),
                stderr(&o)
            );
        }
    }

    // Commands that need the network or a model folder: the flag is taken
    // (the error is the tool's, not a usage error).
    let missing = t("no-such-ct2-folder");
    for lang in ["zh", "en"] {
        let o = run_in(lang, false, &["models", "import-ct2", &missing], &env);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).starts_with("callqa: error: "), "{}", stderr(&o));
        assert!(stderr(&o).contains("no-such-ct2-folder"), "{}", stderr(&o));
    }
}

/// A language callqa does not write is refused, naming the two it does —
/// on the command line and in CALLQA_LANG.
#[test]
fn an_unknown_language_is_refused_naming_zh_and_en() {
    for args in [
        vec!["--lang", "fr", "schema"],
        vec!["score", "--lang", "fr", "x.json"],
    ] {
        let o = bin()
            .env_remove("CALLQA_LANG")
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains("fr"), "{err}");
        assert!(err.contains("zh") && err.contains("en"), "{err}");
        assert!(stdout(&o).is_empty());
    }
    let o = bin()
        .env("CALLQA_LANG", "fr")
        .arg("schema")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("CALLQA_LANG") && err.contains("fr"), "{err}");
    assert!(err.contains("zh") && err.contains("en"), "{err}");
    assert!(stdout(&o).is_empty());
}

/// CALLQA_LANG chooses the language when --lang is not given, and --lang
/// wins over it.
#[test]
fn callqa_lang_is_read_and_the_flag_wins() {
    let fixture = "fixtures/golden/asr-empathy-3x-garbled-food.json";
    let with = |env: Option<&str>, flag: Option<&str>| {
        let mut c = bin();
        c.env_remove("CALLQA_LANG");
        if let Some(v) = env {
            c.env("CALLQA_LANG", v);
        }
        if let Some(f) = flag {
            c.args(["--lang", f]);
        }
        let o = c.args(["score", fixture]).output().unwrap();
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
        (stdout(&o), stderr(&o))
    };
    let zh = with(None, None);
    assert_eq!(zh, with(None, Some("zh")), "zh is the default");
    let en = with(None, Some("en"));
    assert_ne!(zh, en, "the two languages read differently");
    assert_eq!(with(Some("en"), None), en, "CALLQA_LANG=en");
    assert_eq!(
        with(Some("en"), Some("zh")),
        zh,
        "--lang wins over CALLQA_LANG"
    );
    assert_eq!(with(Some(""), None), zh, "an empty CALLQA_LANG is unset");
}
