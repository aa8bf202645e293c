//! The reasons a QA analyst reads, in Chinese and in English, on every
//! fixture call: none of the defects of reasons glued word by word (an
//! article after "no", a speaker named twice, a clause or a quote twice, a
//! singular count with a plural noun, a regex or an internal name), every
//! Chinese reason in Chinese, every English one in English. Then snapshots
//! of one reason per condition kind and verdict in both languages, on tiny
//! inline rubrics, so that a template change is a reviewable diff.
//!
//! `CALLQA_DUMP_REASONS=FILE cargo test --release --test reason_language`
//! also writes every reason of every fixture call, both languages, to FILE
//! (for reading them, which is the real test).

use std::fs;
use std::path::{Path, PathBuf};

use callqa::i18n::Lang;
use callqa::rubric::{self, CompiledRubric, RubricError};
use callqa::score::Scorecard;
use callqa::transcript::Transcript;

const FOLDERS: &[&str] = &[
    "fixtures/golden",
    "fixtures/holdout",
    "fixtures/blind",
    "fixtures/real/dev",
    "fixtures/real/heldout",
];

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
}

fn fixture_cards() -> Vec<Scorecard> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let rubric = rubric::load_and_compile(Some(&root.join("rubrics/cs-standard.toml"))).unwrap();
    let mut files = Vec::new();
    for f in FOLDERS {
        json_files(&root.join(f), &mut files);
    }
    files.sort();
    files
        .iter()
        .filter_map(|f| Transcript::from_path(f).ok())
        .filter(|t| callqa::score::check_usable_speech(t).is_ok())
        .map(|t| rubric.score(&t))
        .collect()
}

/// The reason with every quote 「…」 replaced by 「」: quotes are the
/// customer's and agent's words and may hold anything.
fn outside_quotes(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut depth = 0usize;
    for c in reason.chars() {
        match c {
            '「' => {
                if depth == 0 {
                    out.push('「');
                }
                depth += 1;
            }
            '」' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    out.push('」');
                }
            }
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// The defects of `reason` (written in `lang`), named.
fn defects(reason: &str, lang: Lang) -> Vec<String> {
    let mut found = Vec::new();
    let bare = outside_quotes(reason);
    let lower = bare.to_lowercase();
    for glued in [
        "no a ",
        "no an ",
        "no the ",
        "every a ",
        "every an ",
        "every the ",
    ] {
        if lower.contains(glued) {
            found.push(format!("`{}`", glued.trim()));
        }
    }
    for who in ["the customer", "the agent", "客户", "客服"] {
        let twice = format!("by {who} by {who}");
        if lower.contains(&twice) {
            found.push(format!("speaker twice: `{twice}`"));
        }
    }
    // The same word twice in a row (English).
    let words: Vec<&str> = bare
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .collect();
    for pair in words.windows(2) {
        if pair[0].eq_ignore_ascii_case(pair[1]) && pair[0].chars().any(|c| c.is_ascii_alphabetic())
        {
            found.push(format!("doubled word `{}`", pair[0]));
        }
    }
    // A singular count with a plural noun: "1 calls", "1 times".
    let tokens: Vec<&str> = bare.split_whitespace().collect();
    for pair in tokens.windows(2) {
        let noun = pair[1].trim_end_matches(|c: char| !c.is_alphabetic());
        if pair[0] == "1" && noun.len() > 2 && noun.ends_with('s') {
            found.push(format!("`1 {noun}`"));
        }
    }
    // The same clause twice, also when only trailing punctuation differs.
    let sep = if lang == Lang::Zh { "；" } else { "; " };
    let detail = reason
        .split_once(if lang == Lang::Zh { "：" } else { ": " })
        .map_or(reason, |(_, d)| d);
    let mut clauses: Vec<String> = Vec::new();
    for clause in detail.split(sep) {
        let key: String = clause
            .chars()
            .filter(|c| !"。？！，、.?!, ".contains(*c))
            .collect();
        if clauses.contains(&key) {
            found.push(format!("clause twice: `{clause}`"));
        }
        clauses.push(key);
    }
    // The same quote twice in one clause.
    for clause in reason.split(sep) {
        let mut quotes: Vec<&str> = Vec::new();
        for q in clause.split('「').skip(1) {
            let q = q.split('」').next().unwrap_or_default();
            let key = q.trim_end_matches(['。', '？', '！', '，', '.', '?', '!', ',']);
            if quotes.contains(&key) {
                found.push(format!("quote twice: `{key}`"));
            }
            quotes.push(key);
        }
    }
    // The prefix said again by what follows it ("no transfer: no transfer …").
    if let Some((prefix, rest)) = reason.split_once(if lang == Lang::Zh { "：" } else { ": " }) {
        if prefix.chars().count() >= 2 && outside_quotes(rest).starts_with(prefix) {
            found.push(format!("prefix restated: `{prefix}`"));
        }
    }
    // Regex syntax or internal names.
    for raw in ["|", "\\", "[^", "(?", "{0,", "(^", "$)", "_", "@"] {
        if bare.contains(raw) {
            found.push(format!("raw rule text `{raw}`"));
        }
    }
    match lang {
        Lang::Zh => {
            if !bare.chars().any(is_cjk) {
                found.push("no Chinese outside the quotes".into());
            }
            let english: Vec<&str> = bare
                .split(|c: char| !c.is_ascii_alphabetic())
                .filter(|w| w.len() >= 2)
                .collect();
            if !english.is_empty() {
                found.push(format!("English glue in Chinese: {english:?}"));
            }
        }
        Lang::En => {
            if bare.chars().any(is_cjk) {
                found.push("Chinese outside the quotes of an English reason".into());
            }
        }
    }
    found
}

#[test]
fn fixture_reasons_read_well_in_both_languages() {
    let cards = fixture_cards();
    assert!(
        cards.len() > 200,
        "only {} fixture calls scored",
        cards.len()
    );
    let mut dump = String::new();
    let mut problems: Vec<String> = Vec::new();
    let mut seen = 0usize;
    for card in &cards {
        for item in &card.items {
            assert!(
                !item.reason.is_empty() && !item.reason_en.is_empty(),
                "{} {}: both languages are filled",
                card.call_id,
                item.id
            );
            for lang in [Lang::Zh, Lang::En] {
                let reason = item.reason_in(lang);
                seen += 1;
                dump.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{}\n",
                    card.call_id,
                    item.id,
                    item.verdict.as_str(),
                    lang,
                    reason
                ));
                for d in defects(reason, lang) {
                    problems.push(format!(
                        "{} {} [{lang}] {d}: {reason}",
                        card.call_id, item.id
                    ));
                }
            }
        }
    }
    if let Ok(path) = std::env::var("CALLQA_DUMP_REASONS") {
        fs::write(path, &dump).unwrap();
    }
    assert!(seen > 5000, "only {seen} reasons read");
    assert!(
        problems.is_empty(),
        "{} defects, e.g.:\n{}",
        problems.len(),
        problems[..problems.len().min(30)].join("\n")
    );
}

#[test]
fn the_defect_finder_finds_the_old_defects() {
    // The reasons of the word-by-word glue this test exists to keep out.
    let old = [
        "empathy without a repeated formula: no a soothing formula by the agent",
        "every promise has a deadline: every a follow-up promise by the agent comes with a deadline: 「现在就」",
        "no problem raised: no problem raised by the customer by the customer in the call",
        "closing: an anything-else question by the agent: 「还有其他可以帮您的吗」; an anything-else question by the agent: 「还有其他可以帮您的吗？」",
        "no transfer: no transfer by the agent in the call",
        "repeated 1 times",
        "flat negation: (^|[，。？！])不对",
    ];
    for reason in old {
        assert!(
            !defects(reason, Lang::En).is_empty(),
            "not caught: {reason}"
        );
    }
    assert!(!defects("未致谢: no 致谢用语 by the agent in the call", Lang::Zh).is_empty());
    assert!(defects("未致谢", Lang::Zh).is_empty());
    assert!(defects(
        "开场完整：客服在 0.8 秒说「您好」（问候语）；「欢迎致电」（自报家门）",
        Lang::Zh
    )
    .is_empty());
}

// ------------------------------------------------------------ per condition kind

fn inline_rubric(body: &str) -> CompiledRubric {
    let text = format!(
        r#"[rubric]
id = "t"
min_confidence = 0.5

[phrases.greeting]
label = {{ zh = "问候语", en = "a greeting" }}
phrases = ["您好"]

[phrases.sorry]
label = {{ zh = "致歉", en = "an apology" }}
phrases = ["抱歉"]

[phrases.offer]
label = {{ zh = "补偿方案", en = "a compensation offer" }}
phrases = ["代金券"]

[phrases.promise]
label = {{ zh = "跟进承诺", en = "a follow-up promise" }}
phrases = ["给您回电"]

[phrases.deadline]
label = {{ zh = "明确时限", en = "a deadline" }}
phrases = ["明天"]

[phrases.formula]
label = {{ zh = "安抚话术", en = "a soothing formula" }}
phrases = ["理解您的心情"]

[phrases.hold]
label = {{ zh = "等待提示", en = "a hold announcement" }}
phrases = ["请稍等"]

[phrases.problem]
label = {{ zh = "客户提出的问题", en = "a problem raised by the customer" }}
phrases = ["坏了"]

[phrases.unlabelled]
phrases = ["谢谢"]

{body}
"#
    );
    let source = rubric::parse("t.toml", &text, |name| {
        Err(RubricError::Invalid {
            origin: "t.toml".into(),
            message: format!("no dictionary {name}"),
        })
    })
    .unwrap_or_else(|e| panic!("{e}"));
    CompiledRubric::compile(source).unwrap_or_else(|e| panic!("{e}"))
}

fn call(utterances: &[(&str, i64, i64, &str)], confidence: Option<f64>) -> Transcript {
    let us: Vec<serde_json::Value> = utterances
        .iter()
        .map(|(s, a, b, t)| {
            let mut u = if *a < 0 {
                serde_json::json!({"speaker": s, "text": t})
            } else {
                serde_json::json!({"speaker": s, "start_ms": a, "end_ms": b, "text": t})
            };
            if let Some(c) = confidence {
                u["confidence"] = serde_json::json!(c);
            }
            u
        })
        .collect();
    let json = serde_json::json!({"call_id": "c1", "utterances": us});
    Transcript::from_json(&json.to_string(), Path::new("c1.json")).unwrap()
}

/// `zh | en` of every item, one line each, checked for defects.
fn reasons(rubric: &CompiledRubric, t: &Transcript) -> Vec<String> {
    rubric
        .score(t)
        .items
        .iter()
        .map(|i| {
            for lang in [Lang::Zh, Lang::En] {
                let d = defects(i.reason_in(lang), lang);
                assert!(
                    d.is_empty(),
                    "{} [{lang}]: {d:?}: {}",
                    i.id,
                    i.reason_in(lang)
                );
            }
            format!(
                "{} {}: {} | {}",
                i.id,
                i.verdict.as_str(),
                i.reason,
                i.reason_en
            )
        })
        .collect()
}

const ITEMS: &str = r#"
[[item]]
id = "say_window"
points = 1
reasons = { pass = { zh = "开场有问候", en = "greeted" }, fail = { zh = "开场没有问候", en = "no greeting at the start" } }
pass = { say = { role = "agent", any = ["greeting"], within = { first_turns = 1 } } }

[[item]]
id = "say_no_prefix"
points = 1
pass = { say = { role = "agent", any = ["sorry"] } }

[[item]]
id = "say_twice"
points = 1
pass = { say = { role = "agent", any = ["sorry"], min_hits = 2 } }

[[item]]
id = "unlabelled"
title = { zh = "致谢", en = "Thanks" }
points = 1
pass = { say = { role = "agent", any = ["unlabelled"], regex = "感谢(您)?" } }

[[item]]
id = "speaker_in_label"
points = 1
pass = { say = { role = "customer", any = ["problem"] } }

[[item]]
id = "every"
points = 1
reasons = { na = { zh = "没有跟进承诺", en = "no follow-up promise" } }
applies = { say = { role = "agent", any = ["promise"] } }
pass = { every = { of = { role = "agent", any = ["promise"] }, has = { role = "agent", any = ["deadline"] }, scope = "sentence" } }

[[item]]
id = "before"
points = 1
pass = { before = { first = { role = "agent", any = ["sorry"] }, then = { role = "agent", any = ["offer"] } } }

[[item]]
id = "after"
points = 1
pass = { after = { first = { role = "agent", any = ["sorry"] }, then = { role = "customer", any = ["problem"] } } }

[[item]]
id = "between"
points = 1
pass = { between = { from = { role = "agent", any = ["sorry"] }, to = { role = "agent", any = ["offer"] }, speaker = "customer", complete = true } }

[[item]]
id = "repeated"
points = 1
reasons = { pass = { zh = "安抚话术没有重复", en = "no repeated formula" }, fail = { zh = "重复使用同一句安抚话术", en = "the same formula repeated" } }
fail = { repeated = { of = { role = "agent", any = ["formula"] }, times = 2 } }

[[item]]
id = "interruption"
points = 1
reasons = { pass = { zh = "未打断客户", en = "no interruption" }, fail = { zh = "打断客户", en = "interrupted the customer" } }
fail = { interruption = { by = "agent", of = "customer", grace_ms = 500 } }

[[item]]
id = "silence"
points = 1
reasons = { pass = { zh = "没有未提示的静音", en = "no unannounced silence" }, fail = { zh = "静音前未提示", en = "unannounced silence" } }
fail = { silence = { min_ms = 10000, announced = { role = "agent", any = ["hold"] }, lookback = 1 } }

[[item]]
id = "talk_ratio"
points = 0
flag = true
fail = { talk_ratio = { role = "agent", other = "customer", above = 2.0 } }

[[item]]
id = "speech_rate"
points = 1
fail = { speech_rate = { role = "agent", above = 400.0 } }

[[item]]
id = "at_least"
points = 1
pass = { at_least = { n = 2, of = [
  { say = { role = "agent", any = ["greeting"] } },
  { say = { role = "agent", any = ["sorry"] } },
  { say = { role = "agent", any = ["offer"] } },
] } }
"#;

#[test]
fn reasons_per_condition_kind_timed() {
    let r = inline_rubric(ITEMS);
    let t = call(
        &[
            ("agent", 0, 2000, "您好"),
            (
                "customer",
                2500,
                9000,
                "我的洗衣机坏了，一直漏水，你们什么时候来修",
            ),
            (
                "agent",
                8000,
                12000,
                "真的很抱歉，我理解您的心情，我理解您的心情",
            ),
            ("customer", 12500, 15000, "那你们打算怎么办"),
            ("agent", 15500, 20000, "请稍等，我帮您查一下"),
            ("agent", 32000, 38000, "送您一张代金券，我明天给您回电"),
            ("customer", 50000, 53000, "好吧"),
            ("agent", 53500, 56000, "抱歉，稍后给您回电"),
        ],
        None,
    );
    insta::assert_snapshot!("kinds_timed", reasons(&r, &t).join("\n"));
}

#[test]
fn reasons_per_condition_kind_untimed_and_missing() {
    let r = inline_rubric(ITEMS);
    let t = call(
        &[
            ("agent", -1, -1, "喂"),
            ("customer", -1, -1, "你好"),
            ("agent", -1, -1, "送您一张代金券，抱歉"),
        ],
        None,
    );
    insta::assert_snapshot!("kinds_untimed", reasons(&r, &t).join("\n"));
}

#[test]
fn reasons_when_review_is_asked() {
    let r = inline_rubric(ITEMS);
    // Every utterance heard with low ASR confidence: a fail whose evidence
    // is among them becomes review, and the reason says why first.
    let t = call(
        &[
            ("agent", 0, 2000, "喂"),
            ("customer", 2500, 4000, "你好"),
            ("agent", 4500, 8000, "抱歉，稍后给您回电"),
        ],
        Some(0.3),
    );
    insta::assert_snapshot!("kinds_review", reasons(&r, &t).join("\n"));
}

/// `verdicts_view` (what `callqa diff` scores with) gives exactly the
/// verdicts, points and score of `score_view`, without a word of reason or
/// evidence, on every labelled call.
#[test]
fn verdicts_without_words_are_the_verdicts_of_full_scoring() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let rubric = rubric::load_and_compile(Some(&root.join("rubrics/cs-standard.toml"))).unwrap();
    let mut files = Vec::new();
    for f in FOLDERS {
        json_files(&root.join(f), &mut files);
    }
    files.sort();
    let mut compared = 0;
    for t in files.iter().filter_map(|f| Transcript::from_path(f).ok()) {
        let view = rubric.analyze(&t);
        let full = rubric.score_view(&view);
        let bare = rubric.verdicts_view(&view);
        assert_eq!(
            (bare.score, bare.passed, bare.critical_failed),
            (full.score, full.passed, full.critical_failed),
            "{}",
            t.call_id
        );
        for (b, f) in bare.items.iter().zip(&full.items) {
            assert_eq!((&b.id, b.verdict, b.points), (&f.id, f.verdict, f.points));
            assert!(b.reason.is_empty() && b.reason_en.is_empty() && b.evidence.is_empty());
        }
        assert_eq!(bare.items.len(), full.items.len());
        compared += 1;
    }
    assert!(compared > 200, "only {compared} labelled calls found");
}
