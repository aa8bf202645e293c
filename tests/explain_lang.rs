//! Chinese first, English on request, for everything `promises`, `hotspots`,
//! `explain` and `trace` print: Chinese is the default and carries no
//! English glue, English counts its nouns ("1 promise", "2 promises"),
//! machine fields (CSV headers, ids, statuses, JSON keys) are the same in
//! both languages, every CSV comes from the one writer (BOM, CRLF), and the
//! report's `csv/promises.csv` and `csv/hotspots.csv` are byte for byte
//! what `promises -f csv` and `hotspots -f csv` write.

mod report_support;

use std::fs;
use std::path::{Path, PathBuf};

use callqa::explain::{explain_item_in, explain_operator_in, trace_matches_in};
use callqa::hotspots::{HotspotExtractor, HotspotOptions, HotspotReport};
use callqa::i18n::Lang;
use callqa::promises::{self, FollowThrough};
use callqa::report::{render_hotspots, render_promises, DatasetFormat};
use callqa::rubric::{self, CompiledRubric};
use callqa::transcript::{collect_inputs, Transcript};
use serde_json::Value;

use report_support::{build_batch, callqa, crate_dir, default_sources, AS_OF};

fn load(dir: &str) -> Vec<Transcript> {
    let files = collect_inputs(&[crate_dir().join(dir)], "json").expect("fixtures folder");
    files
        .iter()
        .map(|f| Transcript::from_path(f).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn follow() -> FollowThrough {
    let as_of: jiff::Timestamp = "2026-11-28T12:00:00+08:00".parse().unwrap();
    promises::follow_through(&load("fixtures/promises"), as_of)
}

fn hotspots() -> HotspotReport {
    HotspotExtractor::new().report(&load("fixtures/hotspots"), &HotspotOptions::default())
}

fn builtin() -> CompiledRubric {
    CompiledRubric::compile(rubric::load_builtin()).unwrap()
}

/// ASCII words of two letters or more in `text` that are not part of an id
/// (a token with a digit, `-` or `_` in it) and not in `allowed`: English
/// glue in what should be Chinese.
fn english_words(text: &str, allowed: &[&str]) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .filter(|w| w.len() >= 2 && w.chars().all(|c| c.is_ascii_alphabetic()))
        .filter(|w| !allowed.contains(w))
        .map(str::to_string)
        .collect()
}

fn csv_records(text: &str) -> Vec<Vec<String>> {
    let body = text.strip_prefix('\u{feff}').expect("a byte-order mark");
    assert!(body.ends_with("\r\n"), "CRLF line ends");
    assert!(
        !body.replace("\r\n", "").contains('\n'),
        "every line ends in CRLF"
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn promises_text_is_chinese_by_default_and_grammatical_in_english() {
    let result = follow();
    let zh = render_promises(&result, DatasetFormat::Text, Lang::Zh);
    assert_eq!(
        render_promises(&result, DatasetFormat::Text, Lang::default()),
        zh
    );
    for part in [
        "共 7 条承诺",
        "【已兑现】回电/回复",
        "【无法核实】退款",
        "时限：明天下午五点前 → 2026-11-21 17:00 +08:00",
        "依据：",
        "坐席 A017",
        "跳过 1 通通话：",
    ] {
        assert!(zh.contains(part), "missing {part} in:\n{zh}");
    }
    // The only Latin letters left are ids and the field a skipped call must
    // fix; times are in the calls' own offset.
    assert!(zh.starts_with("截至 2026-11-28 12:00 +08:00，"), "{zh}");
    let glue = english_words(&zh, &["started_at", "RFC"]);
    assert!(glue.is_empty(), "English glue {glue:?} in:\n{zh}");

    let en = render_promises(&result, DatasetFormat::Text, Lang::En);
    assert!(en.starts_with("7 promises as of "), "{en}");
    assert!(en.contains("\nKEPT         contact · P-0101 at "), "{en}");
    assert!(
        en.contains("deadline: 明天下午五点前 → 2026-11-21 17:00 +08:00"),
        "{en}"
    );
    assert!(en.contains("\nskipped 1 call:\n"), "{en}");
    assert!(!en.contains("(s)") && !en.contains("1 calls"), "{en}");
    assert!(!en.contains("已兑现") && !en.contains("依据"), "{en}");

    // One promise, one skipped call: singular in English.
    let mut one = result.clone();
    one.promises.truncate(1);
    let en = render_promises(&one, DatasetFormat::Text, Lang::En);
    assert!(en.starts_with("1 promise as of "), "{en}");
    let zh = render_promises(&one, DatasetFormat::Text, Lang::Zh);
    assert!(zh.contains("共 1 条承诺"), "{zh}");
}

#[test]
fn promises_csv_and_json_differ_between_languages_only_in_reasons() {
    let result = follow();
    let zh = csv_records(&render_promises(&result, DatasetFormat::Csv, Lang::Zh));
    let en = csv_records(&render_promises(&result, DatasetFormat::Csv, Lang::En));
    assert_eq!(zh[0], en[0], "one header in both languages");
    let reason = zh[0].iter().position(|h| h == "reason").unwrap();
    assert_eq!(zh.len(), 8);
    assert_eq!(zh.len(), en.len());
    for (z, e) in zh.iter().zip(&en).skip(1) {
        for (column, (a, b)) in z.iter().zip(e).enumerate() {
            if column == reason {
                assert_ne!(a, b, "the reason is written per language");
            } else {
                assert_eq!(a, b, "column {} differs", zh[0][column]);
            }
        }
    }
    let status = zh[0].iter().position(|h| h == "status").unwrap();
    assert_eq!(zh[1][status], "kept", "statuses are machine values");
    assert!(
        zh[1][reason].contains("时限前有呼出通话"),
        "{}",
        zh[1][reason]
    );
    assert!(
        en[1][reason].contains("before the deadline"),
        "{}",
        en[1][reason]
    );

    let json = |lang| -> Value {
        serde_json::from_str(&render_promises(&result, DatasetFormat::Json, lang)).unwrap()
    };
    let (zh, en) = (json(Lang::Zh), json(Lang::En));
    for (z, e) in zh.as_array().unwrap().iter().zip(en.as_array().unwrap()) {
        let (z, e) = (z.as_object().unwrap(), e.as_object().unwrap());
        assert_eq!(
            z.keys().collect::<Vec<_>>(),
            e.keys().collect::<Vec<_>>(),
            "the same keys"
        );
        assert!(!z.contains_key("reason_en"), "one language per output");
        for key in z.keys().filter(|k| *k != "reason") {
            assert_eq!(z[key], e[key], "{key}");
        }
    }
    assert_eq!(zh[0]["status"], "kept");
    assert!(zh[0]["reason"].as_str().unwrap().contains("呼出通话"));
    assert!(en[0]["reason"].as_str().unwrap().contains("outbound call"));
}

#[test]
fn hotspots_text_follows_the_language_and_csv_does_not() {
    let report = hotspots();
    let zh = render_hotspots(&report, DatasetFormat::Text, Lang::default());
    assert_eq!(zh, render_hotspots(&report, DatasetFormat::Text, Lang::Zh));
    assert!(
        zh.contains("入选标准：某时段内至少 2 通通话中有客户提到"),
        "{zh}"
    );
    let glue = english_words(&zh, &[]);
    assert!(glue.is_empty(), "English glue {glue:?} in:\n{zh}");
    let en = render_hotspots(&report, DatasetFormat::Text, Lang::En);
    assert!(en.contains("in at least 2 calls of a period"), "{en}");
    assert!(!en.contains("入选") && !en.contains("通话数"), "{en}");

    let csv = render_hotspots(&report, DatasetFormat::Csv, Lang::Zh);
    assert_eq!(csv, render_hotspots(&report, DatasetFormat::Csv, Lang::En));
    let records = csv_records(&csv);
    assert_eq!(
        records[0],
        [
            "period",
            "rank",
            "phrase",
            "score",
            "calls",
            "mentions",
            "example_call_ids"
        ]
    );
}

#[test]
fn explain_frames_the_rubric_in_the_chosen_language() {
    let r = builtin();
    let def = &r.item("greeting").unwrap().def;
    let zh = explain_item_in(&r, def, Lang::Zh);
    let first = zh.lines().next().unwrap();
    assert!(
        first.starts_with(&format!("greeting — {}", def.title.get(Lang::Zh))),
        "{first}"
    );
    for part in [
        "检查什么：",
        "为什么：",
        "示例：",
        "规则：",
        "评分标准 cs-standard",
    ] {
        assert!(zh.contains(part), "missing {part} in:\n{zh}");
    }
    for english in ["What:", "Why:", "Example:", "Rule:", "points", "rubric "] {
        assert!(!zh.contains(english), "{english} in:\n{zh}");
    }
    let en = explain_item_in(&r, def, Lang::En);
    assert!(
        en.starts_with(&format!("greeting — {}", def.title.get(Lang::En))),
        "{en}"
    );
    for part in ["What:", "Why:", "Rule:", "rubric cs-standard"] {
        assert!(en.contains(part), "missing {part} in:\n{en}");
    }
    assert!(!en.contains("检查什么") && !en.contains("规则："), "{en}");
    // The rubric's own prose is shown in the reader's language.
    let first_line = |lang| {
        def.what
            .get(lang)
            .trim()
            .lines()
            .next()
            .unwrap()
            .trim_end()
            .to_string()
    };
    let (what_zh, what_en) = (first_line(Lang::Zh), first_line(Lang::En));
    assert_ne!(what_zh, what_en, "the built-in rubric's what is bilingual");
    assert!(zh.contains(&what_zh) && !zh.contains(&what_en), "{zh}");
    assert!(en.contains(&what_en) && !en.contains(&what_zh), "{en}");
    for text in [&def.why, &def.example] {
        for (lang, shown) in [(Lang::Zh, &zh), (Lang::En, &en)] {
            let line = text.get(lang).trim().lines().next().unwrap().trim_end();
            assert!(shown.contains(line), "missing {line} in:\n{shown}");
        }
    }

    // A rule's definitions are framed too (ownership uses a match, a
    // pattern and phrase sets).
    let ownership = &r.item("ownership").unwrap().def;
    let zh = explain_item_in(&r, ownership, Lang::Zh);
    let defined = zh
        .split("本评分标准中的定义：")
        .nth(1)
        .expect("definitions");
    assert!(
        defined.contains("  匹配 ownership_statement — "),
        "{defined}"
    );
    assert!(defined.contains("  句式 commitment — "), "{defined}");
    assert!(defined.contains("  短语集 action_verb"), "{defined}");
    // a definition without a label is not named twice ("action_verb — action_verb")
    for line in defined.lines() {
        let words: Vec<&str> = line.split([' ', '：']).filter(|w| !w.is_empty()).collect();
        if let [_, name, "—", label, ..] = words[..] {
            assert_ne!(name, label, "{line}");
        }
    }

    let op = explain_operator_in("before", Lang::Zh).unwrap();
    assert!(op.starts_with("before — 条件运算符\n"), "{op}");
    assert!(
        op.contains("\n字段：\n") && op.contains("（默认 1）"),
        "{op}"
    );
    let op = explain_operator_in("before", Lang::En).unwrap();
    assert!(
        op.starts_with("before — condition operator\n") && op.contains("(default 1)"),
        "{op}"
    );
}

#[test]
fn trace_frames_each_utterance_in_the_chosen_language() {
    let r = builtin();
    let call = load("fixtures/promises")
        .into_iter()
        .find(|c| c.call_id == "P-0101")
        .expect("P-0101");
    let zh = trace_matches_in(&r, &call, Lang::Zh);
    assert!(
        zh.contains("坐席（轮次 ") || zh.contains("客户（轮次 "),
        "{zh}"
    );
    assert!(zh.contains("    分词："), "{zh}");
    assert!(!zh.contains("tokens:") && !zh.contains("(turn"), "{zh}");
    let en = trace_matches_in(&r, &call, Lang::En);
    assert!(
        en.contains(" (turn ") && en.contains("    tokens: "),
        "{en}"
    );
    assert!(!en.contains("分词") && !en.contains("轮次"), "{en}");
    // the hits are the same lines in both
    let hits = |t: &str| t.lines().filter(|l| l.contains('「')).count();
    assert_eq!(hits(&zh), hits(&en));
    assert!(hits(&zh) > 0, "{zh}");
}

/// The report's exports and the commands write one table per dataset.
#[test]
fn report_csv_exports_are_the_commands_csv() {
    let sources: Vec<(PathBuf, bool)> = default_sources()
        .into_iter()
        .filter(|(path, _)| path.to_string_lossy().contains("promises"))
        .collect();
    let batch = build_batch(&sources);
    let run_dir = batch.run_dir.to_str().unwrap();
    let report = batch.path("report");
    let output = callqa(&[
        "report",
        "--audio",
        "none",
        "--as-of",
        AS_OF,
        "-o",
        report.to_str().unwrap(),
        run_dir,
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let command = |args: &[&str]| {
        let output = callqa(args);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    };
    let promises = command(&["promises", "-f", "csv", "--as-of", AS_OF, run_dir]);
    let exported = read(&report, "csv/promises.csv");
    assert_eq!(exported, promises, "promises.csv is `promises -f csv`");
    let records = csv_records(std::str::from_utf8(&promises).unwrap());
    assert!(records.len() > 1, "the histories have promises");
    assert_eq!(records[0][0], "call_id");

    let hotspots = command(&["hotspots", "-f", "csv", run_dir]);
    assert_eq!(
        read(&report, "csv/hotspots.csv"),
        hotspots,
        "hotspots.csv is `hotspots -f csv`"
    );
    assert_eq!(
        csv_records(std::str::from_utf8(&hotspots).unwrap())[0][0],
        "period"
    );
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}
