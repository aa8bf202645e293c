//! The language of what a person reads, across the scorecard outputs
//! (`score -f text|json|jsonl|csv`), `check`'s report, `score`'s last line
//! and the run summary: Chinese by default with no English glue, English
//! on request and grammatical, and every machine field the same in both.
//!
//! Driven through the library on golden fixtures scored by the built-in
//! rubric, so it tests the writers and not the command line's wiring.
//! "No English glue" is checked by taking out everything that comes from
//! the input or the rubric (ids, file names, quoted words, reasons, which
//! the scorer's own tests cover) and asserting that what the writer itself
//! added has no Latin letters in Chinese and no Chinese in English.

use std::fs;
use std::path::{Path, PathBuf};

use callqa::batch::{self, Row, Tally};
use callqa::check;
use callqa::i18n::Lang;
use callqa::pipeline::{RunSummary, RunTiming};
use callqa::report::{self, ExportOptions, Format, ItemTitles};
use callqa::rubric::CompiledRubric;
use serde_json::Value;

/// Fixtures with failing items, evidence with times, and one call that
/// fails its rubric.
const FIXTURES: [&str; 3] = [
    "compensation-no-apology-shoes.json",
    "asr-forbidden-rice-cooker-silence.json",
    "empathy-lijie-3x-water-outage.json",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rubric() -> CompiledRubric {
    callqa::rubric::load_and_compile(None).expect("the built-in rubric compiles")
}

fn scored(rubric: &CompiledRubric) -> Vec<Row> {
    let files: Vec<PathBuf> = FIXTURES
        .iter()
        .map(|f| root().join("fixtures/golden").join(f))
        .collect();
    let mut rows = batch::score_files(rubric, &files, 1);
    // An input that could not be read is an error row in every format.
    rows.push(Row {
        file: PathBuf::from("missing.json"),
        result: Err("missing.json: no such file".into()),
    });
    rows
}

fn write(format: Format, lang: Lang, rubric: &CompiledRubric, rows: &[Row]) -> String {
    let options = ExportOptions::new(lang, rubric);
    let mut out = Vec::new();
    report::exporter_with(format, &options)
        .write(rows, &mut out)
        .unwrap();
    String::from_utf8(out).unwrap()
}

/// Every string the output may quote from the input or the rubric, longest
/// first (so a long one goes before a piece of it).
fn quoted(rows: &[Row], rubric: &CompiledRubric, lang: Lang) -> Vec<String> {
    let mut strings: Vec<String> = vec!["sha256".into(), "missing.json: no such file".into()];
    let titles = ItemTitles::of(rubric);
    for item in &rubric.items {
        strings.push(titles.label(&item.def.id, lang));
        strings.push(item.def.id.clone());
    }
    for row in rows {
        strings.push(row.file.display().to_string());
        let Ok(card) = &row.result else { continue };
        strings.push(card.call_id.clone());
        strings.extend(card.agent_id.clone());
        strings.push(card.rubric.clone());
        strings.push(card.rubric_sha256.clone());
        strings.push(card.rubric_sha256.chars().take(12).collect());
        for item in &card.items {
            strings.push(item.reason_in(lang).to_string());
            for e in &item.evidence {
                strings.push(e.text.clone());
                strings.extend(e.matched.iter().cloned());
            }
        }
    }
    strings.retain(|s| !s.is_empty());
    strings.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
    strings.dedup();
    strings
}

/// `text` with every quoted string taken out: what the writer added.
fn own_words(text: &str, quoted: &[String]) -> String {
    let mut text = text.to_string();
    for s in quoted {
        text = text.replace(s.as_str(), " ");
    }
    text
}

fn has_latin(text: &str) -> Option<char> {
    text.chars().find(|c| c.is_ascii_alphabetic())
}

fn has_chinese(text: &str) -> Option<char> {
    text.chars()
        .find(|c| ('\u{3000}'..='\u{9fff}').contains(c) || ('\u{ff00}'..='\u{ffef}').contains(c))
}

#[test]
fn text_scorecard_is_chinese_by_default_and_english_on_request() {
    let rubric = rubric();
    let rows = scored(&rubric);
    assert!(
        rows.iter()
            .filter_map(Row::scorecard)
            .any(|card| !card.passed),
        "one call fails its rubric"
    );

    let zh = write(Format::Text, Lang::Zh, &rubric, &rows);
    for word in [
        "通话 ",
        "坐席 ",
        "得分 ",
        "未通过",
        "评分表 ",
        "文件 ",
        " 秒",
        "客服：",
        "出错：",
    ] {
        assert!(zh.contains(word), "zh scorecard lacks {word:?}:\n{zh}");
    }
    // Items by their titles (the id beside, for `callqa explain`).
    assert!(zh.contains("开场问候（greeting）"), "{zh}");
    // A not-applicable item is left out of the score: no `0/15` beside it.
    let na_lines: Vec<&str> = zh.lines().filter(|l| l.starts_with("  不适用")).collect();
    assert!(!na_lines.is_empty());
    for line in na_lines {
        assert!(line.contains("  -  ") && !line.contains("0/"), "{line}");
    }
    let added = own_words(&zh, &quoted(&rows, &rubric, Lang::Zh));
    assert_eq!(has_latin(&added), None, "English glue in:\n{added}");

    let en = write(Format::Text, Lang::En, &rubric, &rows);
    for word in [
        "call ", "agent ", "score ", "FAILED", "rubric ", "file ", " s  ", "agent: ", "error: ",
    ] {
        assert!(en.contains(word), "en scorecard lacks {word:?}:\n{en}");
    }
    let added = own_words(&en, &quoted(&rows, &rubric, Lang::En));
    assert_eq!(has_chinese(&added), None, "Chinese glue in:\n{added}");
}

#[test]
fn text_scorecard_columns_line_up_in_terminal_columns() {
    let rubric = rubric();
    let rows = scored(&rubric);
    for lang in [Lang::Zh, Lang::En] {
        let text = write(Format::Text, lang, &rubric, &rows);
        let card = rows[0].scorecard().unwrap();
        // The item lines of the first card (after its two header lines;
        // evidence lines are indented deeper): where each reason starts.
        let starts: Vec<usize> = text
            .lines()
            .take_while(|line| !line.is_empty())
            .skip(2)
            .filter(|line| !line.starts_with("   "))
            .zip(&card.items)
            .map(|(line, item)| {
                let reason = item.reason_in(lang);
                let before = line
                    .strip_suffix(reason)
                    .unwrap_or_else(|| panic!("item line does not end with its reason: {line:?}"));
                report::display_width(before)
            })
            .collect();
        assert!(
            starts.windows(2).all(|w| w[0] == w[1]),
            "{lang}: reasons start at columns {starts:?}:\n{text}"
        );
    }
}

/// JSON with every item's `reason` taken out.
fn machine_fields(mut value: Value) -> Value {
    for card in value.as_array_mut().into_iter().flatten() {
        for item in card["items"].as_array_mut().into_iter().flatten() {
            let reason = item.as_object_mut().unwrap().remove("reason");
            assert!(reason.is_some_and(|r| r.is_string()));
            assert!(item.get("reason_en").is_none(), "one language only: {item}");
        }
    }
    value
}

#[test]
fn json_and_jsonl_keep_machine_fields_and_carry_one_language() {
    let rubric = rubric();
    let rows = scored(&rubric);
    let zh: Value = serde_json::from_str(&write(Format::Json, Lang::Zh, &rubric, &rows)).unwrap();
    let en: Value = serde_json::from_str(&write(Format::Json, Lang::En, &rubric, &rows)).unwrap();
    // The reasons are each language's own.
    let first = rows[0].scorecard().unwrap();
    assert_eq!(zh[0]["items"][0]["reason"], first.items[0].reason.as_str());
    assert_eq!(
        en[0]["items"][0]["reason"],
        first.items[0].reason_in(Lang::En)
    );
    assert_eq!(zh[0]["items"][0]["verdict"], en[0]["items"][0]["verdict"]);
    assert_eq!(machine_fields(zh.clone()), machine_fields(en.clone()));

    let lines = |lang| -> Value {
        Value::Array(
            write(Format::Jsonl, lang, &rubric, &rows)
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect(),
        )
    };
    let (zh_lines, en_lines) = (lines(Lang::Zh), lines(Lang::En));
    assert_eq!(zh_lines, zh, "JSONL holds the same objects as JSON");
    assert_eq!(en_lines, en);
    assert_eq!(machine_fields(zh_lines), machine_fields(en_lines));
}

fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let body = text.strip_prefix('\u{feff}').expect("a BOM");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

#[test]
fn csv_header_and_machine_columns_are_the_same_in_both_languages() {
    let rubric = rubric();
    let rows = scored(&rubric);
    let (zh_header, zh) = csv_rows(&write(Format::Csv, Lang::Zh, &rubric, &rows));
    let (en_header, en) = csv_rows(&write(Format::Csv, Lang::En, &rubric, &rows));
    assert_eq!(zh_header, en_header);
    assert_eq!(zh_header, report::SCORECARD_HEADER);
    assert_eq!(zh.len(), en.len());
    let human = ["item_title", "reason", "evidence"];
    let column = |name: &str| zh_header.iter().position(|h| h == name).unwrap();
    for (a, b) in zh.iter().zip(&en) {
        for (i, name) in zh_header.iter().enumerate() {
            if !human.contains(&name.as_str()) {
                assert_eq!(a[i], b[i], "column {name}");
            }
        }
    }
    // The human columns are each in their language.
    let greeting = zh
        .iter()
        .position(|r| r[column("item")] == "greeting")
        .unwrap();
    assert_eq!(zh[greeting][column("item_title")], "开场问候");
    let evidence: Vec<(&str, &str)> = zh
        .iter()
        .zip(&en)
        .map(|(a, b)| {
            (
                a[column("evidence")].as_str(),
                b[column("evidence")].as_str(),
            )
        })
        .filter(|(a, _)| !a.is_empty())
        .collect();
    assert!(!evidence.is_empty());
    for (zh_cell, en_cell) in evidence {
        assert!(
            zh_cell.starts_with("客服 ") || zh_cell.starts_with("客户 "),
            "{zh_cell}"
        );
        assert!(zh_cell.contains(" 秒："), "{zh_cell}");
        assert!(
            en_cell.starts_with("agent ") || en_cell.starts_with("customer "),
            "{en_cell}"
        );
        assert!(en_cell.contains(" s: "), "{en_cell}");
    }
}

#[test]
fn score_last_line_counts_calls_in_words() {
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
        t(0, 0, 0).line(Lang::En),
        "0 calls: 0 passed, 0 failed, no errors"
    );
    assert_eq!(
        t(1, 0, 0).line(Lang::En),
        "1 call: 1 passed, 0 failed, no errors"
    );
    assert_eq!(
        t(0, 1, 1).line(Lang::En),
        "2 calls: 0 passed, 1 failed, 1 error"
    );
    assert_eq!(
        t(0, 0, 2).line(Lang::En),
        "2 calls: 0 passed, 0 failed, 2 errors"
    );
    let rubric = rubric();
    let tally = batch::tally(&scored(&rubric));
    assert_eq!(tally.calls(), FIXTURES.len() + 1);
    assert!(tally.line(Lang::Zh).starts_with("共 4 通电话："));
    assert!(tally.line(Lang::En).ends_with(", 1 error"));
}

/// A fixture folder where `greeting-bare-wei-courier.json` expects the
/// wrong verdict for `greeting`, beside a fixture that agrees.
fn regression(dir: &Path) -> Vec<PathBuf> {
    let golden = root().join("fixtures/golden");
    let bad = dir.join("greeting-bare-wei-courier.json");
    let mut v: Value = serde_json::from_str(
        &fs::read_to_string(golden.join("greeting-bare-wei-courier.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(v["expect"]["greeting"], "fail");
    v["expect"]["greeting"] = "pass".into();
    fs::write(&bad, serde_json::to_string(&v).unwrap()).unwrap();
    let good = dir.join(FIXTURES[0]);
    fs::copy(golden.join(FIXTURES[0]), &good).unwrap();
    vec![bad, good]
}

#[test]
fn check_reads_in_each_language_and_its_last_line_does_not_change() {
    let rubric = rubric();
    let tmp = tempfile::tempdir().unwrap();
    let summary = check::run(&rubric, &regression(tmp.path()));

    let zh = check::render_in(&summary, true, Lang::Zh);
    for word in [
        "未通过  ",
        "（通话 ",
        "开场问候（greeting）",
        "应为通过，实为未通过",
        "│ ",
        "客服：",
        "条目判定：",
        "与预期一致",
        "通过    ",
    ] {
        assert!(zh.contains(word), "zh check lacks {word:?}:\n{zh}");
    }
    let en = check::render_in(&summary, true, Lang::En);
    for word in [
        "FAIL    ",
        "(call ",
        "expected pass got fail",
        "agent: ",
        "items: ",
        " verdicts agree (",
        "ok      ",
    ] {
        assert!(en.contains(word), "en check lacks {word:?}:\n{en}");
    }
    let zh_last = zh.lines().last().unwrap();
    let en_last = en.lines().last().unwrap();
    assert_eq!(zh_last, "1 passed, 1 failed");
    assert_eq!(zh_last, en_last);
    assert_eq!(check::totals_line(&summary), zh_last);
    assert!(check::render_items_in(&summary, Lang::Zh).contains("开场问候（greeting）"));

    // What CI reads is the same whatever the language: JUnit has no
    // language, and its failure message is machine words.
    let junit = check::junit(&summary);
    assert!(
        junit.contains("<failure message=\"expected pass got fail\">"),
        "{junit}"
    );
}

#[test]
fn run_summary_line_is_in_the_runs_language_and_the_file_is_not() {
    let rubric = rubric();
    let rows = scored(&rubric);
    let cards: Vec<_> = rows.iter().filter_map(Row::scorecard).collect();
    let timing = RunTiming {
        wall_seconds: 0.84,
        transcribed: 1,
        transcript_cache_hits: 2,
        ..RunTiming::default()
    };
    let summary = RunSummary::tally(&rubric, None, &cards, Vec::new(), timing, PathBuf::new());
    let zh = summary.clone().in_lang(Lang::Zh).one_line();
    assert_eq!(summary.one_line(), zh, "Chinese by default");
    assert!(zh.starts_with("共 3 通电话：通过 "), "{zh}");
    assert!(zh.ends_with("；用时 0.8 秒"), "{zh}");
    assert_eq!(has_latin(&zh), None, "{zh}");
    let en = summary.clone().in_lang(Lang::En).one_line();
    assert!(en.starts_with("3 calls: "), "{en}");
    assert!(en.contains(", no errors; 1 transcribed, 2 re-scored from cached transcripts, none already finished; 0.8 s"), "{en}");
    assert_eq!(has_chinese(&en), None, "{en}");
    assert_eq!(
        serde_json::to_value(summary.clone().in_lang(Lang::Zh)).unwrap(),
        serde_json::to_value(summary.in_lang(Lang::En)).unwrap(),
        "summary.json is the same in both languages"
    );
}

/// Through the binary: `--lang` reaches the writers, and what CI reads
/// (check's last line, the exit code) does not change with it.
#[test]
fn the_command_line_chooses_the_language() {
    let callqa = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_callqa"))
            .current_dir(root())
            .env_remove("CALLQA_LANG")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let fixture = format!("fixtures/golden/{}", FIXTURES[1]);
    let (zh_code, zh, zh_err) = callqa(&["score", &fixture]);
    let (en_code, en, en_err) = callqa(&["--lang", "en", "score", &fixture]);
    assert_eq!(zh_code, en_code);
    assert!(
        zh.starts_with("通话 ") && zh.contains("开场问候（greeting）"),
        "{zh}"
    );
    assert!(en.starts_with("call ") && en.contains("FAILED"), "{en}");
    assert!(
        zh_err.contains("共 1 通电话：通过 0 通，未通过 1 通，出错 0 通"),
        "{zh_err}"
    );
    assert!(
        en_err.contains("1 call: 0 passed, 1 failed, no errors"),
        "{en_err}"
    );

    let (zh_code, zh, _) = callqa(&["check", "fixtures/golden"]);
    let (en_code, en, _) = callqa(&["check", "--lang", "en", "fixtures/golden"]);
    assert_eq!(zh_code, Some(0), "{zh}");
    assert_eq!(zh_code, en_code);
    let last = |out: &str| out.lines().last().unwrap_or_default().to_string();
    assert_eq!(last(&zh), last(&en));
    assert!(last(&zh).ends_with(" passed, 0 failed"), "{zh}");
    assert!(
        zh.contains("条目判定：") && en.contains("items: "),
        "{zh}\n{en}"
    );
}

/// `callqa run` ends with the run summary in the chosen language; the
/// summary.json it writes is the same whatever the language.
#[test]
fn run_prints_its_summary_in_the_chosen_language() {
    let dev = root().join("../shared/audio/dev");
    assert!(
        dev.join("dev-01.wav").is_file(),
        "the dev recordings are missing from {}; this test needs them",
        dev.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let (calls, vendor) = (tmp.path().join("calls"), tmp.path().join("vendor"));
    fs::create_dir_all(&calls).unwrap();
    fs::create_dir_all(&vendor).unwrap();
    fs::copy(dev.join("dev-01.wav"), calls.join("dev-01.wav")).unwrap();
    fs::copy(dev.join("dev-01.json"), vendor.join("dev-01.json")).unwrap();
    let run = |lang: &str, out: &str| {
        let out = tmp.path().join(out);
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_callqa"))
            .env_remove("CALLQA_LANG")
            .args(["--lang", lang, "run", "--quiet", "--transcripts"])
            .arg(&vendor)
            .arg("-o")
            .arg(&out)
            .arg(&calls)
            .output()
            .unwrap();
        assert!(matches!(o.status.code(), Some(0 | 1)), "{o:?}");
        let stderr = String::from_utf8(o.stderr).unwrap();
        let summary: Value =
            serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
        (
            stderr.lines().last().unwrap_or_default().to_string(),
            summary,
        )
    };
    let (zh, zh_json) = run("zh", "zh");
    let (en, en_json) = run("en", "en");
    assert!(zh.starts_with("共 1 通电话：通过 "), "{zh}");
    assert!(
        zh.contains("出错 0 通；本次转写 1 通") && zh.ends_with(" 秒"),
        "{zh}"
    );
    assert!(
        en.starts_with("1 call: ") && en.contains(", no errors; 1 transcribed"),
        "{en}"
    );
    assert!(en.ends_with(" s"), "{en}");
    let machine = |mut v: Value| {
        v.as_object_mut().unwrap().remove("timing");
        v
    };
    assert_eq!(machine(zh_json), machine(en_json));
}
