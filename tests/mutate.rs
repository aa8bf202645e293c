//! `callqa mutate`: each mutation does what its documentation says, the run
//! is deterministic, cs-standard stays above per-item robustness floors
//! measured on the golden fixtures, and a deliberately brittle rubric gets
//! exactly its brittle items flagged.

use std::path::{Path, PathBuf};
use std::process::Command;

use callqa::mutate::ops::{self, Apply, Cited, Kind, Settings};
use callqa::mutate::{self, Report};
use callqa::rubric::{load_and_compile, CompiledRubric};
use callqa::text;
use callqa::transcript::{collect_inputs, Transcript};

fn rubric(path: &str) -> CompiledRubric {
    load_and_compile(Some(Path::new(path))).expect("rubric compiles")
}

fn golden_files() -> Vec<PathBuf> {
    collect_inputs(&[PathBuf::from("fixtures/golden")], "json").unwrap()
}

fn golden() -> Vec<Transcript> {
    golden_files()
        .iter()
        .map(|f| Transcript::from_path(f).unwrap())
        .collect()
}

fn run(rubric_path: &str, seed: u64) -> Report {
    let settings = Settings {
        seed,
        ..Settings::default()
    };
    mutate::run(
        &rubric(rubric_path),
        &golden_files(),
        &settings,
        ops::REGISTRY,
    )
}

fn keep_variants(id: &str, call: &Transcript, seed: u64) -> Vec<ops::Variant> {
    let m = ops::lookup(id).unwrap();
    let Apply::Keep(f) = m.apply else {
        panic!("{id} is must-keep")
    };
    f(
        call,
        &Settings {
            seed,
            ..Settings::default()
        },
    )
}

fn call(json: &str) -> Transcript {
    Transcript::from_json(json, Path::new("test.json")).unwrap()
}

const CALL: &str = r#"{"call_id": "t-1", "utterances": [
  {"speaker": "agent", "start_ms": 500, "end_ms": 6500, "text": "您好，欢迎致电飞鸿快递，工号1024，很高兴为您服务。请问有什么可以帮您？"},
  {"speaker": "customer", "start_ms": 7000, "end_ms": 12000, "text": "我寄的橙子三天了还没到，单号FH202611180032。"},
  {"speaker": "customer", "start_ms": 12100, "end_ms": 13000, "text": "你们到底管不管？"},
  {"speaker": "agent", "start_ms": 13500, "end_ms": 22000, "text": "非常抱歉，这是我们的责任。我们按照运费的3倍给您赔付，24小时内给您回电。"},
  {"speaker": "customer", "start_ms": 22500, "end_ms": 23000, "text": "好的"},
  {"speaker": "agent", "start_ms": 23500, "end_ms": 26000, "text": "感谢您的来电，再见。"}
]}"#;

// ---------------------------------------------------------------- determinism

#[test]
fn same_seed_same_output_other_seed_other_texts() {
    let a = run("rubrics/cs-standard.toml", 7);
    let b = run("rubrics/cs-standard.toml", 7);
    assert_eq!(mutate::to_json(&a), mutate::to_json(&b));
    for lang in [callqa::i18n::Lang::Zh, callqa::i18n::Lang::En] {
        assert_eq!(
            mutate::render_text(&a, lang, None),
            mutate::render_text(&b, lang, None)
        );
    }
    // Another seed: other misspellings, fillers, split points.
    let call = &golden()[0];
    for id in ["homophones", "fillers"] {
        let x = keep_variants(id, call, 1);
        let y = keep_variants(id, call, 2);
        assert!(!x.is_empty());
        assert_ne!(
            x.iter().map(|v| &v.transcript).collect::<Vec<_>>(),
            y.iter().map(|v| &v.transcript).collect::<Vec<_>>(),
            "{id}"
        );
    }
}

// ---------------------------------------------------------------- each mutation

#[test]
fn every_mutation_is_documented_and_listed() {
    let list = mutate::render_list(callqa::i18n::Lang::En);
    for m in ops::REGISTRY {
        assert!(m.documentation().len() > 80, "{} needs a doc comment", m.id);
        assert!(list.contains(m.id) && list.contains(&m.summary()[..20]));
    }
    let kinds: Vec<Kind> = ops::REGISTRY.iter().map(|m| m.kind()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == Kind::Change).count(), 3);
}

#[test]
fn traditional_characters_normalise_back_to_the_original() {
    let mut changed = 0;
    for call in golden() {
        for u in &call.utterances {
            let t = ops::to_traditional(&u.text);
            changed += usize::from(t != u.text);
            assert_eq!(text::normalize(&t), text::normalize(&u.text), "{}", u.text);
        }
    }
    assert!(changed > 100, "{changed}");
    assert_eq!(
        ops::to_traditional("给您添麻烦了，我帮您处理"),
        "給您添麻煩了，我幫您處理"
    );
}

#[test]
fn numerals_are_spoken_where_normalisation_reads_them_back() {
    use ops::numerals::digits_to_chinese as zh;
    assert_eq!(ops::chinese_positional(120).unwrap(), "一百二十");
    assert_eq!(ops::chinese_positional(105).unwrap(), "一百零五");
    assert_eq!(ops::chinese_positional(15).unwrap(), "十五");
    assert_eq!(ops::chinese_positional(20_000).unwrap(), "二万");
    assert_eq!(zh("按照运费的3倍给您赔付"), "按照运费的三倍给您赔付");
    assert_eq!(zh("一共120元，2个工作日"), "一共一百二十元，两个工作日");
    assert_eq!(zh("24小时内"), "二十四小时内");
    assert_eq!(zh("百分之百，100%"), "百分之百，百分之一百");
    // An id is read digit by digit; order numbers, decimals and clock times stay.
    assert_eq!(zh("工号1024"), "工号一零二四");
    assert_eq!(
        zh("单号FH202611180032，3.5公斤，6:30"),
        "单号FH202611180032，3.5公斤，6:30"
    );
    for s in [
        "按照运费的3倍给您赔付",
        "一共120元，2个工作日",
        "24小时内给您回电",
        "保证100%修好",
    ] {
        assert_eq!(text::normalize(&zh(s)), text::normalize(s), "{s}");
    }
    // The other way round is the normalisation's own rule.
    let t = call(CALL);
    let digits = keep_variants("numerals", &t, 0);
    assert_eq!(digits.len(), 2);
    assert!(digits[1].transcript.utterances[1]
        .text
        .contains("橙子3天了"));
}

#[test]
fn fillers_go_at_clause_starts_never_inside_words() {
    let every = |s: &str| ops::fillers::insert(s, || Some("那个"));
    assert_eq!(
        every("您好，欢迎致电飞鸿快递。请问有什么可以帮您？"),
        "那个，您好，那个，欢迎致电飞鸿快递。那个，请问有什么可以帮您？"
    );
    assert_eq!(ops::fillers::insert("好的", || Some("嗯")), "好的");
    assert_eq!(
        ops::fillers::insert("我查一下您的订单", || Some("就是")),
        "就是我查一下您的订单"
    );
    // On every golden utterance: the original comes back by taking out
    // fillers only where a clause starts.
    for call in golden() {
        let v = &keep_variants("fillers", &call, 3)[0];
        let mut inserted = 0;
        for (u, m) in call.utterances.iter().zip(&v.transcript.utterances) {
            let (m, o): (Vec<char>, Vec<char>) =
                (m.text.chars().collect(), u.text.chars().collect());
            assert!(fillers_at_clause_starts(&m, &o, 0, 0), "{}", u.text);
            inserted += m.len() - o.len();
        }
        assert!(inserted > 0, "{}", call.call_id);
    }
}

/// Whether `o[j..]` is `m[i..]` with fillers (and their comma) taken out at clause starts.
fn fillers_at_clause_starts(m: &[char], o: &[char], i: usize, j: usize) -> bool {
    if i == m.len() {
        return j == o.len();
    }
    let clause_start = i == 0 || "，。？！；：、… ".contains(m[i - 1]);
    if clause_start {
        for f in ops::fillers::FILLER_WORDS {
            let f: Vec<char> = f.chars().collect();
            if m[i..].starts_with(&f) {
                let mut k = i + f.len();
                if m.get(k) == Some(&'，') {
                    k += 1;
                }
                if fillers_at_clause_starts(m, o, k, j) {
                    return true;
                }
            }
        }
    }
    j < o.len() && m[i] == o[j] && fillers_at_clause_starts(m, o, i + 1, j + 1)
}

#[test]
fn punctuation_is_dropped_or_made_pauses_but_numbers_stay() {
    use ops::punctuation::rewrite;
    assert_eq!(rewrite("好的，3.5公斤，6:30到。", ""), "好的3.5公斤6:30到");
    assert_eq!(rewrite("好的，请稍等。", " "), "好的 请稍等");
    assert_eq!(rewrite("好的，请稍等……", "..."), "好的...请稍等");
    let t = call(CALL);
    let v = keep_variants("punctuation", &t, 0);
    assert_eq!(v.len(), 3);
    for u in &v[0].transcript.utterances {
        assert!(!u.text.contains(['，', '。', '？']), "{}", u.text);
    }
}

#[test]
fn split_and_merge_keep_the_words_and_the_times() {
    let t = call(CALL);
    let split = &keep_variants("split", &t, 0)[0];
    assert!(split.transcript.utterances.len() > t.utterances.len());
    for (i, u) in t.utterances.iter().enumerate() {
        let parts: Vec<_> = split
            .sources
            .iter()
            .enumerate()
            .filter(|(_, r)| r.contains(&i))
            .map(|(m, _)| &split.transcript.utterances[m])
            .collect();
        let joined: String = parts.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(joined, u.text);
        assert!(parts.iter().all(|p| p.speaker == u.speaker));
        assert_eq!(parts[0].start_ms, u.start_ms);
        assert_eq!(parts.last().unwrap().end_ms, u.end_ms);
        for w in parts.windows(2) {
            assert_eq!(w[0].end_ms, w[1].start_ms);
            assert!(w[0].text.ends_with(['，', '。', '？']));
        }
    }
    let merged = &keep_variants("merge", &t, 0)[0];
    assert_eq!(merged.transcript.utterances.len(), 5);
    let m = &merged.transcript.utterances[1];
    assert_eq!(
        m.text,
        "我寄的橙子三天了还没到，单号FH202611180032。你们到底管不管？"
    );
    assert_eq!((m.start_ms, m.end_ms), (Some(7000), Some(13000)));
    assert_eq!(merged.sources[1], 1..3);
    let shifted = &keep_variants("time_shift", &t, 0)[0];
    let offset = shifted.transcript.utterances[0].start_ms.unwrap() - 500;
    assert!((1000..=30000).contains(&offset));
    for (u, s) in t.utterances.iter().zip(&shifted.transcript.utterances) {
        assert_eq!(s.end_ms.unwrap() - u.end_ms.unwrap(), offset);
    }
}

#[test]
fn must_change_mutations_take_the_evidence_away() {
    let t = call(CALL);
    let cited = [Cited {
        utterance: 3,
        spans: vec![[6, 13]], // 这是我们的责任
    }];
    let apply = |id: &str| {
        let Apply::Change(f) = ops::lookup(id).unwrap().apply else {
            panic!()
        };
        f(&t, &cited, &Settings::default()).unwrap().transcript
    };
    assert_eq!(apply("speaker_swap").utterances[3].speaker, "customer");
    assert_eq!(
        apply("negation").utterances[3].text,
        "非常抱歉，这不是我们的责任。我们按照运费的3倍给您赔付，24小时内给您回电。"
    );
    assert_eq!(
        apply("sentence_removed").utterances[3].text,
        "我们按照运费的3倍给您赔付，24小时内给您回电。"
    );
    use ops::negation::negate;
    let at = |s: &str, p: &str| {
        let a = s.find(p).unwrap();
        [
            s[..a].chars().count(),
            s[..a].chars().count() + p.chars().count(),
        ]
    };
    let s = "我来帮您处理，已经给您提交了，我保证";
    assert_eq!(
        negate(
            s,
            &[
                at(s, "我来帮您处理"),
                at(s, "已经给您提交了"),
                at(s, "我保证")
            ]
        )
        .unwrap(),
        "我不来帮您处理，没有给您提交，我不保证"
    );
    // Not negated: a question, a courtesy, words already negative, a time.
    for (s, p) in [
        ("还有其他可以帮您的吗", "还有其他可以帮您的吗"),
        ("感谢您的来电", "感谢您的来电"),
        ("这个不行", "不行"),
        ("5点前给您回电", "5点前"),
    ] {
        assert_eq!(negate(s, &[at(s, p)]), None, "{s}");
    }
}

// ---------------------------------------------------------------- floors

/// Measured with seed 0 on fixtures/golden (41 calls, 436 must-keep
/// mutations per item) and cs-standard when these floors were set
/// (kept % / changed %): greeting 99.5 / 100, listen_first 100 / –,
/// compensation_timing 99.8 / 89.5, empathy_variety 98.4 / 75.0, ownership
/// 99.8 / 83.9, promise_specific 97.2 / 97.9, no_overpromise 100 / 100,
/// transfer 99.8 / 75.0, thanks 99.5 / 98.7, positive_tone 100 / 100,
/// hold_silence 100 / –, closing 100 / 100, forbidden 100 / 85.7,
/// talk_balance 100 / –. Floors sit a little under, so a regression fails.
const FLOORS: [(&str, f64, Option<f64>); 14] = [
    ("greeting", 0.98, Some(0.95)),
    ("listen_first", 0.98, None),
    ("compensation_timing", 0.98, Some(0.85)),
    ("empathy_variety", 0.96, Some(0.70)),
    ("ownership", 0.98, Some(0.80)),
    ("promise_specific", 0.95, Some(0.95)),
    ("no_overpromise", 0.98, Some(0.95)),
    ("transfer", 0.98, Some(0.70)),
    ("thanks", 0.98, Some(0.95)),
    ("positive_tone", 0.98, Some(0.95)),
    ("hold_silence", 0.98, None),
    ("closing", 0.98, Some(0.95)),
    ("forbidden", 0.98, Some(0.80)),
    ("talk_balance", 0.98, None),
];

#[test]
fn cs_standard_items_stay_above_their_floors_on_the_golden_calls() {
    let report = run("rubrics/cs-standard.toml", 0);
    assert_eq!(report.errors(), 0);
    let per_item = report.per_item();
    assert_eq!(per_item.len(), FLOORS.len());
    for ((id, r), (floor_id, keep, change)) in per_item.iter().zip(FLOORS) {
        assert_eq!(id, floor_id);
        assert!(r.keep_total >= 400, "{id}: {r:?}");
        let k = r.keep().unwrap();
        assert!(k >= keep, "{id}: kept {k:.3} < floor {keep}");
        match change {
            Some(floor) => {
                let c = r
                    .change()
                    .unwrap_or_else(|| panic!("{id}: no must-change mutation applied"));
                assert!(r.change_total >= 5, "{id}: {r:?}");
                assert!(c >= floor, "{id}: changed {c:.3} < floor {floor}");
            }
            // Timing findings quote no words: nothing to take away.
            None => assert_eq!(r.change_total, 0, "{id}"),
        }
    }
}

#[test]
fn the_brittle_rubric_gets_exactly_its_brittle_items_flagged() {
    let report = run("fixtures/mutate/brittle.toml", 0);
    let mut flagged: Vec<String> = report
        .below(Some(0.97), Some(0.9))
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    flagged.dedup();
    assert_eq!(
        flagged,
        [
            "greeting_comma",
            "thanks_exact",
            "staff_id_digits",
            "taboo_anyone"
        ]
    );
    // And each for the reason it was written brittle.
    let cases: Vec<(&str, &str)> = report
        .cases()
        .map(|(_, o)| (o.item.as_str(), o.mutation.id))
        .collect();
    for (item, mutation) in [
        ("greeting_comma", "punctuation"),
        ("thanks_exact", "homophones"),
        ("staff_id_digits", "numerals"),
        ("taboo_anyone", "speaker_swap"),
    ] {
        assert!(cases.contains(&(item, mutation)), "{item} under {mutation}");
    }
}

// ---------------------------------------------------------------- command line

fn callqa(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_callqa"))
        .args(args)
        .env_remove("CALLQA_LANG")
        .output()
        .unwrap()
}

#[test]
fn the_command_exits_1_below_a_floor_and_2_on_unreadable_input() {
    let ok = callqa(&[
        "mutate",
        "--only",
        "traditional,speaker_swap",
        "fixtures/golden",
    ]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let out = String::from_utf8(ok.stdout).unwrap();
    assert!(
        out.contains("开场问候（greeting）") && out.contains("繁体字"),
        "{out}"
    );

    let below = callqa(&[
        "--lang",
        "en",
        "mutate",
        "--rubric",
        "fixtures/mutate/brittle.toml",
        "--min-keep",
        "0.97",
        "--only",
        "punctuation",
        "fixtures/golden",
    ]);
    assert_eq!(below.status.code(), Some(1));
    let err = String::from_utf8(below.stderr).unwrap();
    assert!(
        err.contains("Greeting (needs a comma) (greeting_comma)"),
        "{err}"
    );

    // Byte-identical for the same seed, from the binary too.
    let twice: Vec<Vec<u8>> = (0..2)
        .map(|_| callqa(&["mutate", "--seed", "5", "--cases", "0", "fixtures/golden"]).stdout)
        .collect();
    assert!(!twice[0].is_empty());
    assert_eq!(twice[0], twice[1]);

    let json = callqa(&[
        "mutate",
        "--format",
        "json",
        "--only",
        "negation",
        "fixtures/golden",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    for field in [
        "rubric",
        "seed",
        "rates",
        "calls",
        "items",
        "mutations",
        "cases",
        "errors",
    ] {
        assert!(v.get(field).is_some(), "{field}");
    }

    let dir = std::env::temp_dir().join(format!("callqa-mutate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bad.json"), "{ not json").unwrap();
    let bad = callqa(&["mutate", dir.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("bad.json"));
    std::fs::remove_dir_all(&dir).ok();
}
