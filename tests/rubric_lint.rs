//! Rubrics that lie: a rule that parses but would fake a score (negative or
//! non-finite points, a `pass_score` no score can reach, two items with one
//! id, an item with two rules, a phrase set that matches nothing, named
//! matches that use each other in a cycle, a dictionary that cannot be
//! read …). Each is a `callqa lint` error at the exact file:line:column of
//! the offending key or value, with the fix in the message, and `score` and
//! `check` refuse the rubric with exit 2 and the same message.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A rubric that means what it says; each test changes one thing.
/// Line 3 is `pass_score`, 7 the phrases, 9–12 the one item.
const BASE: &str = r#"[rubric]
id = "t"
pass_score = 80

[phrases.greeting]
label = "a greeting"
phrases = ["您好", "你好"]

[[item]]
id = "greeting"
points = 10
pass = { say = { role = "agent", any = ["greeting"] } }
"#;

/// A golden call, for `score` and `check`.
const CALL: &str = "fixtures/golden/asr-empathy-3x-garbled-food.json";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn callqa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callqa"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("callqa runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `BASE` with `from` replaced by `to` (which must occur).
fn base_with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "`{from}` is not in the base rubric");
    BASE.replacen(from, to, 1)
}

/// Writes `text` as `r.toml` in `dir`.
fn write_rubric(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("r.toml");
    fs::write(&path, text).unwrap();
    path
}

/// `callqa lint` rejects `rubric` with exit 2 and a message at `at`
/// (`line:column`) that contains every one of `says`; returns that line.
fn linted_at(rubric: &Path, at: &str, says: &[&str]) -> String {
    let path = rubric.to_str().unwrap();
    let prefix = format!("{path}:{at}: ");
    let lint = callqa(&["lint", path]);
    let err = stderr(&lint);
    assert_eq!(lint.status.code(), Some(2), "lint must fail:\n{err}");
    let line = err
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no problem at {at}:\n{err}"))
        .to_string();
    for s in says {
        assert!(line.contains(s), "the message does not say `{s}`:\n{line}");
    }
    line
}

/// Lint, score and check all refuse `rubric` with exit 2 and a message at
/// `at` (`line:column`) that contains every one of `says`; returns that
/// message line.
fn refused_at(rubric: &Path, at: &str, says: &[&str]) -> String {
    let path = rubric.to_str().unwrap();
    let line = linted_at(rubric, at, says);
    for args in [
        vec!["score", "--rubric", path, CALL],
        vec!["check", "--rubric", path, CALL],
    ] {
        let o = callqa(&args);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{} must refuse the rubric",
            args[0]
        );
        assert!(o.stdout.is_empty(), "{} printed results", args[0]);
        assert!(stderr(&o).contains(&line), "{}:\n{}", args[0], stderr(&o));
    }
    line
}

/// `refused_at` for `BASE` with one replacement.
fn lie(from: &str, to: &str, at: &str, says: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    refused_at(&write_rubric(dir.path(), &base_with(from, to)), at, says)
}

#[test]
fn the_base_rubric_and_the_bundled_ones_lint_clean() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_rubric(dir.path(), BASE);
    let o = callqa(&["lint", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for entry in fs::read_dir(root().join("rubrics")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let o = callqa(&["lint", path.to_str().unwrap()]);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{}: {}",
                path.display(),
                stderr(&o)
            );
        }
    }
}

#[test]
fn negative_points() {
    lie(
        "points = 10",
        "points = -5",
        "11:10",
        &["`points = -5`", "points = 10"],
    );
}

#[test]
fn nan_points() {
    lie(
        "points = 10",
        "points = nan",
        "11:10",
        &["NaN", "points = 10"],
    );
}

#[test]
fn infinite_points() {
    lie(
        "points = 10",
        "points = inf",
        "11:10",
        &["inf", "finite", "points = 10"],
    );
    lie(
        "points = 10",
        "points = -inf",
        "11:10",
        &["-inf", "points = 10"],
    );
}

#[test]
fn points_that_add_up_to_zero() {
    // Lint rejects it; scoring still loads it (a draft, or coaching flags).
    let dir = tempfile::tempdir().unwrap();
    let path = write_rubric(dir.path(), &base_with("points = 10", "points = 0"));
    linted_at(&path, "11:10", &["add up to 0", "score 100", "points = 10"]);
    let score = callqa(&["score", "--rubric", path.to_str().unwrap(), CALL]);
    assert_ne!(score.status.code(), Some(2), "{}", stderr(&score));
}

#[test]
fn a_flag_with_points() {
    lie(
        "points = 10\n",
        "points = 10\nflag = true\n",
        "11:10",
        &["flag", "remove `points`"],
    );
}

#[test]
fn pass_score_outside_0_to_100() {
    lie(
        "pass_score = 80",
        "pass_score = 120",
        "3:14",
        &["no call could ever pass", "pass_score = 80"],
    );
    lie(
        "pass_score = 80",
        "pass_score = -1",
        "3:14",
        &["every call would pass", "from 0 to 100"],
    );
    lie(
        "pass_score = 80",
        "pass_score = nan",
        "3:14",
        &["NaN", "from 0 to 100"],
    );
    lie(
        "pass_score = 80",
        "pass_score = inf",
        "3:14",
        &["inf", "from 0 to 100"],
    );
}

#[test]
fn confidence_thresholds_outside_0_to_1() {
    lie(
        "pass_score = 80\n",
        "pass_score = 80\nmin_confidence = 35\n",
        "4:18",
        &["between 0 and 1", "min_confidence = 0.5"],
    );
}

#[test]
fn duplicate_item_ids_name_both_positions() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{BASE}\n[[item]]\nid = \"greeting\"\npoints = 5\npass = {{ say = {{ role = \"agent\", any = [\"greeting\"] }} }}\n"
    );
    let path = write_rubric(dir.path(), &text);
    let first = format!("{}:10:6", path.display());
    refused_at(&path, "15:6", &["`greeting`", &first, "another id"]);
}

#[test]
fn an_item_with_both_pass_and_fail() {
    lie(
        "any = [\"greeting\"] } }\n",
        "any = [\"greeting\"] } }\nfail = { say = { role = \"agent\", words = [\"再见\"] } }\n",
        "13:1",
        &["both `pass` and `fail`", "delete the other"],
    );
}

#[test]
fn an_item_with_neither_pass_nor_fail() {
    lie(
        "pass = { say = { role = \"agent\", any = [\"greeting\"] } }\n",
        "",
        "9:1",
        &["neither `pass` nor `fail`", "add one"],
    );
}

#[test]
fn an_empty_phrase_set() {
    lie(
        "phrases = [\"您好\", \"你好\"]",
        "phrases = []",
        "7:11",
        &["no phrases", "delete the set"],
    );
}

#[test]
fn a_phrase_set_of_blank_strings() {
    lie(
        "phrases = [\"您好\", \"你好\"]",
        "phrases = [\"\", \"  \", \"。\"]",
        "7:11",
        &["only blank phrases", "phrases = [\"您好\"]"],
    );
}

#[test]
fn one_blank_phrase_in_a_set() {
    lie(
        "phrases = [\"您好\", \"你好\"]",
        "phrases = [\"您好\", \" \"]",
        "7:18",
        &["phrase 2 of set `greeting`", "delete it"],
    );
}

#[test]
fn a_blank_inline_word() {
    lie(
        "any = [\"greeting\"]",
        "words = [\"您好\", \"\"]",
        "12:49",
        &["blank", "delete it from `words`"],
    );
}

#[test]
fn a_self_referencing_named_match() {
    lie(
        "[[item]]\n",
        "[matches.m]\nuse = \"m\"\n\n[[item]]\n",
        "10:7",
        &["`m` → `m`", "remove `use = \"m\"`"],
    );
}

#[test]
fn named_matches_in_a_cycle_spell_it_out() {
    lie(
        "[[item]]\n",
        "[matches.a]\nuse = \"b\"\n[matches.b]\nuse = \"a\"\n\n[[item]]\n",
        "10:7",
        &["`a` → `b` → `a`", "remove the `use` of one of them"],
    );
}

#[test]
fn a_pattern_that_names_itself() {
    lie(
        "[[item]]\n",
        "[patterns.p]\nlabel = \"p\"\nmatch = [\"greeting p\"]\n\n[[item]]\n",
        "11:20",
        &["`p` is a pattern", "nor itself"],
    );
}

#[test]
fn a_pattern_without_sequences() {
    lie(
        "[[item]]\n",
        "[patterns.p]\nlabel = \"p\"\nmatch = []\n\n[[item]]\n",
        "11:9",
        &["no `match` sequences", "delete the pattern"],
    );
}

#[test]
fn at_least_that_always_or_never_holds() {
    let rule = "pass = { say = { role = \"agent\", any = [\"greeting\"] } }";
    lie(
        rule,
        "pass = { at_least = { n = 0, of = [ { say = { any = [\"greeting\"] } } ] } }",
        "12:27",
        &["always hold", "from 1 to 1"],
    );
    lie(
        rule,
        "pass = { at_least = { n = 3, of = [ { say = { any = [\"greeting\"] } } ] } }",
        "12:27",
        &["never hold", "from 1 to 1"],
    );
    lie(
        rule,
        "pass = { say = { at_least = 2, of = [\"greeting\", \"greeting\"] } }",
        "12:29",
        &["1 distinct sets", "never hold"],
    );
    lie(
        rule,
        "pass = { say = { of = [\"greeting\"] } }",
        "12:24",
        &["`at_least`, which is missing", "add `at_least = N`"],
    );
}

#[test]
fn matches_that_hold_without_a_hit_or_never() {
    let rule = "role = \"agent\", any = [\"greeting\"]";
    lie(
        rule,
        "any = [\"greeting\"], min_hits = 0",
        "12:49",
        &["without a single hit", "1 or more"],
    );
    lie(
        rule,
        "any = [\"greeting\"], within = { first_turns = 0 }",
        "12:47",
        &["empty window", "leave `first_turns` out"],
    );
    lie(
        rule,
        "any = [\"greeting\"], within = { last_percent = 150 }",
        "12:47",
        &["`last_percent = 150`", "last_percent = 20"],
    );
    lie(
        rule,
        "any = [\"greeting\"], min_chars = 5, max_chars = 2",
        "12:65",
        &["no utterance fits", "at least `min_chars`"],
    );
    lie(
        rule,
        "label = \"any\", regex = 'x*'",
        "12:41",
        &[
            "matches an empty text",
            "every utterance",
            "`+` rather than `*`",
        ],
    );
}

#[test]
fn negation_settings_that_switch_negation_off() {
    lie(
        "[phrases.greeting]\n",
        "[negation]\nscope_tokens = 0\n\n[phrases.greeting]\nnegation = \"exclude\"\n",
        "6:16",
        &["`greeting`", "scope_tokens = 2"],
    );
}

#[test]
fn many_lies_are_all_listed_in_text_order() {
    let dir = tempfile::tempdir().unwrap();
    let text = base_with("pass_score = 80", "pass_score = 101")
        .replacen("phrases = [\"您好\", \"你好\"]", "phrases = []", 1)
        .replacen("points = 10", "points = -1", 1);
    let path = write_rubric(dir.path(), &text);
    let o = callqa(&["lint", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let at: Vec<String> = stderr(&o)
        .lines()
        .map(|l| {
            l.split(": ")
                .next()
                .unwrap()
                .rsplit_once("r.toml:")
                .unwrap()
                .1
                .to_string()
        })
        .collect();
    assert_eq!(at, ["3:14", "7:11", "11:10"], "{}", stderr(&o));
}

/// `BASE` naming dictionary `d.txt` (the entry is at 3:17).
fn with_dictionary(dir: &Path, bytes: Option<&[u8]>) -> PathBuf {
    if let Some(bytes) = bytes {
        fs::write(dir.join("d.txt"), bytes).unwrap();
    }
    write_rubric(
        dir,
        &base_with("id = \"t\"\n", "id = \"t\"\ndictionaries = [\"d.txt\"]\n"),
    )
}

#[test]
fn a_non_utf8_dictionary_names_the_rubric_the_key_and_the_byte() {
    let dir = tempfile::tempdir().unwrap();
    // 你好 is 6 bytes, " 10\n" 4 more: the bad byte is at offset 10.
    let path = with_dictionary(dir.path(), Some(b"\xe4\xbd\xa0\xe5\xa5\xbd 10\n\xff\xfe\n"));
    let dict = dir.path().join("d.txt").display().to_string();
    refused_at(
        &path,
        "3:17",
        &["dictionary `d.txt`", &dict, "byte offset 10", "iconv"],
    );
}

#[test]
fn a_missing_dictionary_names_the_rubric_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = with_dictionary(dir.path(), None);
    refused_at(
        &path,
        "3:17",
        &[
            "dictionary `d.txt`",
            "no such file",
            "fix the name in `dictionaries`",
        ],
    );
}

#[test]
fn a_bad_dictionary_line_names_the_rubric_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = with_dictionary(dir.path(), Some("您好 10\n你好 ten\n".as_bytes()));
    let line = format!("{}:2:", dir.path().join("d.txt").display());
    refused_at(
        &path,
        "3:17",
        &["dictionary `d.txt`", &line, "whole number"],
    );
}
