//! `callqa diff`: the flips it reports are exactly the verdict changes of
//! scoring the corpus twice (library and CLI), on real rubric changes over
//! the real fixtures; inputs (run folders, bad files), `--old-ref` in a
//! temporary git repository, exit codes, languages and the Markdown comment.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use callqa::diff::{corpus, Pair};
use callqa::redact::Policy;
use callqa::rubric::{self, CompiledRubric, RubricSource};
use callqa::transcript::Transcript;

const RUBRIC: &str = "rubrics/cs-standard.toml";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rubric_text() -> String {
    std::fs::read_to_string(root().join(RUBRIC)).unwrap()
}

/// `text` with `from` replaced by `to`, which must occur.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "the rubric no longer has {from:?}");
    text.replacen(from, to, 1)
}

/// A real change of cs-standard: phrases removed from `thanks`, the
/// closing window narrowed, the greeting window widened, pass_score raised,
/// `talk_balance` removed and a stricter thanks item added.
fn changed_rubric_text() -> String {
    let mut t = rubric_text();
    t = edit(
        &t,
        "\"谢谢\", \"感谢\", \"多谢\", \"谢谢您\", ",
        "\"感谢\", ",
    );
    t = t.replace(
        "any = [\"anything_else\"], within = { last_turns = 2 }",
        "any = [\"anything_else\"], within = { last_turns = 1 }",
    );
    t = t.replace(
        "any = [\"greeting_word\"], within = { first_turns = 1 }",
        "any = [\"greeting_word\"], within = { first_turns = 2 }",
    );
    t = edit(&t, "pass_score = 80", "pass_score = 85");
    let cut = t
        .find("[[item]]\nid = \"talk_balance\"")
        .expect("talk_balance item");
    t.truncate(cut);
    t.push_str(
        r#"[[item]]
id = "thanks_for_calling"
section = "规范"
title = { zh = "感谢来电", en = "Thanks for calling" }
points = 2
what = "The agent thanks the customer for calling."
reasons = { pass = { zh = "感谢了来电", en = "thanked for the call" }, fail = { zh = "没有感谢来电", en = "no thanks for the call" } }
pass = { say = { role = "agent", words = ["感谢您的来电", "感谢来电", "感谢致电"] } }
"#,
    );
    t
}

fn compile(origin: &str, text: &str, dictionary: &str) -> CompiledRubric {
    let source: RubricSource = rubric::parse(origin, text, |name| {
        assert_eq!(name, "cs-dict.txt");
        Ok((format!("dict:{name}"), dictionary.to_string()))
    })
    .unwrap();
    CompiledRubric::compile(source).unwrap()
}

fn dict() -> String {
    std::fs::read_to_string(root().join("rubrics/cs-dict.txt")).unwrap()
}

fn corpus_dirs() -> Vec<PathBuf> {
    [
        "fixtures/golden",
        "fixtures/holdout",
        "fixtures/blind",
        "fixtures/real",
    ]
    .iter()
    .map(|d| root().join(d))
    .collect()
}

type FlipKey = (String, PathBuf, String, String, String);

/// What scoring the corpus twice, each rubric on its own, gives.
fn scored_twice(
    old: &CompiledRubric,
    new: &CompiledRubric,
    files: &[PathBuf],
) -> (BTreeSet<FlipKey>, BTreeSet<String>) {
    let policy = |r: &CompiledRubric| Policy::resolve(false, r.source.file.redact.as_ref());
    let mut flips = BTreeSet::new();
    let mut outcome = BTreeSet::new();
    for file in files {
        let Ok(t) = Transcript::from_path(file) else {
            continue;
        };
        if callqa::score::check_usable_speech(&t).is_err() {
            continue;
        }
        let a = old.score(&policy(old).transcript(t.clone()));
        let b = new.score(&policy(new).transcript(t));
        for item in &b.items {
            if let Some(o) = a.items.iter().find(|i| i.id == item.id) {
                if o.verdict != item.verdict {
                    flips.insert((
                        a.call_id.clone(),
                        file.clone(),
                        item.id.clone(),
                        o.verdict.as_str().to_string(),
                        item.verdict.as_str().to_string(),
                    ));
                }
            }
        }
        if a.passed != b.passed {
            outcome.insert(a.call_id.clone());
        }
    }
    (flips, outcome)
}

fn reported(diff: &callqa::diff::Diff) -> (BTreeSet<FlipKey>, BTreeSet<String>) {
    let flips = diff
        .flips
        .iter()
        .map(|f| {
            (
                f.call_id.clone(),
                f.file.clone(),
                f.item.clone(),
                f.old.verdict.as_str().to_string(),
                f.new.verdict.as_str().to_string(),
            )
        })
        .collect();
    let outcome = diff
        .outcome_changes
        .iter()
        .map(|c| c.call_id.clone())
        .collect();
    (flips, outcome)
}

#[test]
fn flips_are_exactly_the_verdict_changes_of_scoring_twice() {
    let old = compile("old.toml", &rubric_text(), &dict());
    let new = compile("new.toml", &changed_rubric_text(), &dict());
    let pair = Pair::new(&old, &new);
    assert!(
        pair.shares_analysis(),
        "same dictionary and tagging: one analysis"
    );
    let files = corpus::collect(&corpus_dirs()).unwrap();
    assert!(files.len() > 150, "{} files", files.len());
    let diff = pair.diff_files(&files, 2);
    let (want_flips, want_outcome) = scored_twice(&old, &new, &files);
    let (got_flips, got_outcome) = reported(&diff);
    assert_eq!(got_flips, want_flips);
    assert_eq!(got_outcome, want_outcome);
    assert_eq!(diff.flips.len(), want_flips.len(), "no flip reported twice");
    // The change does something on every axis the test means to cover.
    let items: BTreeSet<&str> = diff.flips.iter().map(|f| f.item.as_str()).collect();
    assert!(
        items.contains("thanks") && items.contains("closing"),
        "{items:?}"
    );
    assert!(!want_outcome.is_empty());
    assert!(diff.golden_flips().next().is_some());
    let added = diff.item("thanks_for_calling").unwrap();
    assert_eq!(added.side, callqa::diff::Side::NewOnly);
    assert_eq!(added.new_verdicts.iter().sum::<usize>(), diff.calls);
    assert_eq!(
        diff.item("talk_balance").unwrap().side,
        callqa::diff::Side::OldOnly
    );
    // Per-item counts agree with the flip list.
    for s in &diff.items {
        assert_eq!(
            s.flips(),
            diff.flips.iter().filter(|f| f.item == s.id).count(),
            "{}",
            s.id
        );
    }
    // The streamed JSON is the JSON value, pretty-printed.
    let mut streamed = Vec::new();
    callqa::diff::render_json::write(&diff, 0, callqa::i18n::Lang::Zh, &mut streamed).unwrap();
    let value = callqa::diff::render_json::to_value(&diff, 0, callqa::i18n::Lang::Zh);
    assert_eq!(
        String::from_utf8(streamed).unwrap(),
        serde_json::to_string_pretty(&value).unwrap() + "\n"
    );
    // Evidence of both sides is kept for the flips.
    let thanks = diff
        .flips
        .iter()
        .find(|f| f.item == "thanks" && f.old.verdict == callqa::score::Verdict::Pass)
        .unwrap();
    assert!(!thanks.old.evidence.is_empty());
    assert!(!thanks.new.reason.is_empty());
}

/// A change that moves windows, points and pass_score and drops an item,
/// but matches the same phrases: the hits are shared too.
#[test]
fn a_change_without_phrase_changes_shares_the_hits_and_still_matches() {
    let mut t = rubric_text();
    t = t.replace(
        "any = [\"anything_else\"], within = { last_turns = 2 }",
        "any = [\"anything_else\"], within = { last_turns = 1 }",
    );
    t = edit(&t, "pass_score = 80", "pass_score = 90");
    let cut = t
        .find("[[item]]\nid = \"talk_balance\"")
        .expect("talk_balance item");
    t.truncate(cut);
    let old = compile("old.toml", &rubric_text(), &dict());
    let new = compile("new.toml", &t, &dict());
    let pair = Pair::new(&old, &new);
    assert!(pair.shares_analysis() && pair.shares_hits());
    let phrases = compile("new.toml", &changed_rubric_text(), &dict());
    assert!(
        !Pair::new(&old, &phrases).shares_hits(),
        "a phrase change re-finds the hits"
    );
    let files = corpus::collect(&corpus_dirs()).unwrap();
    let diff = pair.diff_files(&files, 2);
    let want = scored_twice(&old, &new, &files);
    assert!(!want.0.is_empty() && !want.1.is_empty());
    assert_eq!(reported(&diff), want);
}

#[test]
fn a_shared_analysis_gives_the_scorecards_of_separate_analyses() {
    let old = compile("old.toml", &rubric_text(), &dict());
    let new = compile("new.toml", &changed_rubric_text(), &dict());
    assert!(old.shares_analysis(&new));
    for file in corpus::collect(&corpus_dirs()).unwrap() {
        let t = Transcript::from_path(&file).unwrap();
        let view = old.analyze(&t);
        let a = old.score_view(&view);
        let b = new.score_view(&new.reuse_analysis(view));
        assert_eq!(a, old.score(&t), "{}", file.display());
        assert_eq!(b, new.score(&t), "{}", file.display());
    }
}

#[test]
fn a_dictionary_change_analyses_twice_and_still_matches() {
    let old = compile("old.toml", &rubric_text(), &dict());
    // A domain word that changes how jieba cuts: 退款 glued to 流程.
    let new_dict = format!("{}\n退款流程 50000 n\n谢谢您 80000\n", dict());
    let new = compile("new.toml", &changed_rubric_text(), &new_dict);
    let pair = Pair::new(&old, &new);
    assert!(!pair.shares_analysis());
    let files = corpus::collect(&corpus_dirs()).unwrap();
    let diff = pair.diff_files(&files, 0);
    let (want_flips, want_outcome) = scored_twice(&old, &new, &files);
    assert_eq!(reported(&diff), (want_flips, want_outcome));
}

// ---------------------------------------------------------------- CLI

fn callqa(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_callqa"))
        .args(args)
        .current_dir(dir)
        .env_remove("CALLQA_LANG")
        .output()
        .unwrap()
}

fn temp_rubrics(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.toml"), rubric_text()).unwrap();
    std::fs::write(dir.path().join("new.toml"), text).unwrap();
    std::fs::write(dir.path().join("cs-dict.txt"), dict()).unwrap();
    dir
}

fn score_json(rubric: &Path, inputs: &[PathBuf]) -> Vec<serde_json::Value> {
    let mut args = vec![
        "score".to_string(),
        "-f".into(),
        "json".into(),
        "--rubric".into(),
        rubric.display().to_string(),
    ];
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = callqa(&args, &root());
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn cli_flips_equal_callqa_score_run_twice() {
    let dir = temp_rubrics(&changed_rubric_text());
    let (old_path, new_path) = (dir.path().join("old.toml"), dir.path().join("new.toml"));
    let inputs = corpus_dirs();
    let old_cards = score_json(&old_path, &inputs);
    let new_cards = score_json(&new_path, &inputs);
    assert_eq!(old_cards.len(), new_cards.len());
    let mut want = BTreeSet::new();
    for (a, b) in old_cards.iter().zip(&new_cards) {
        assert_eq!(a["file"], b["file"]);
        let (Some(ai), Some(bi)) = (a["items"].as_array(), b["items"].as_array()) else {
            continue;
        };
        for item in bi {
            if let Some(o) = ai.iter().find(|o| o["id"] == item["id"]) {
                if o["verdict"] != item["verdict"] {
                    want.insert((
                        a["call_id"].as_str().unwrap().to_string(),
                        item["id"].as_str().unwrap().to_string(),
                        o["verdict"].as_str().unwrap().to_string(),
                        item["verdict"].as_str().unwrap().to_string(),
                    ));
                }
            }
        }
    }
    let mut args = vec!["diff", "-f", "json", "--old"];
    let (o, n) = (
        old_path.display().to_string(),
        new_path.display().to_string(),
    );
    args.extend([o.as_str(), "--new", n.as_str()]);
    let shown: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    args.extend(shown.iter().map(String::as_str));
    let out = callqa(&args, &root());
    assert_eq!(
        out.status.code(),
        Some(1),
        "golden fixtures flip: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let flips = report["flips"].as_array().unwrap();
    let got: BTreeSet<_> = flips
        .iter()
        .map(|f| {
            (
                f["call_id"].as_str().unwrap().to_string(),
                f["item"].as_str().unwrap().to_string(),
                f["old"].as_str().unwrap().to_string(),
                f["new"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
    assert_eq!(flips.len(), want.len());
    assert_eq!(report["summary"]["flips"], want.len());
    // Same output with one worker: deterministic.
    let mut one = args.clone();
    one.extend(["-j", "1"]);
    assert_eq!(callqa(&one, &root()).stdout, out.stdout);
}

/// Copies of some non-golden calls (no `expect`) into a folder.
fn plain_corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in corpus::collect(&[root().join("fixtures/holdout")]).unwrap() {
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("expect");
        std::fs::write(
            dir.path().join(file.file_name().unwrap()),
            serde_json::to_vec(&v).unwrap(),
        )
        .unwrap();
    }
    dir
}

fn diff_cli(rubrics: &Path, extra: &[&str], inputs: &[&Path]) -> std::process::Output {
    let mut args: Vec<String> = vec![
        "diff".into(),
        "--old".into(),
        "old.toml".into(),
        "--new".into(),
        "new.toml".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    callqa(&args, rubrics)
}

#[test]
fn exit_codes_follow_fail_on_golden_flips_and_bad_files() {
    let rubrics = temp_rubrics(&changed_rubric_text());
    let plain = plain_corpus();
    let json = |out: &std::process::Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let out = diff_cli(rubrics.path(), &["-f", "json"], &[plain.path()]);
    let changes = json(&out)["summary"]["outcome_changes"].as_u64().unwrap();
    assert!(changes > 0);
    assert_eq!(json(&out)["summary"]["golden_flips"], 0);
    assert_eq!(out.status.code(), Some(1), "default --fail-on 0");
    let allow = changes.to_string();
    let out = diff_cli(
        rubrics.path(),
        &["-f", "json", "--fail-on", &allow],
        &[plain.path()],
    );
    assert_eq!(out.status.code(), Some(0));
    let below = (changes - 1).to_string();
    assert_eq!(
        diff_cli(rubrics.path(), &["--fail-on", &below], &[plain.path()])
            .status
            .code(),
        Some(1)
    );
    // A golden fixture that flips fails whatever --fail-on allows.
    let golden = root().join("fixtures/golden");
    assert_eq!(
        diff_cli(
            rubrics.path(),
            &["--fail-on", "100000"],
            &[plain.path(), &golden]
        )
        .status
        .code(),
        Some(1)
    );
    // A bad file is counted and named; the rest is still compared; exit 2.
    std::fs::write(
        plain.path().join("zz-broken.json"),
        "{\"call_id\": \"x\", \"utterances\": [",
    )
    .unwrap();
    let out = diff_cli(
        rubrics.path(),
        &["-f", "json", "--fail-on", "100000"],
        &[plain.path()],
    );
    assert_eq!(out.status.code(), Some(2));
    let report = json(&out);
    assert_eq!(report["errors"].as_array().unwrap().len(), 1);
    assert!(report["calls"].as_u64().unwrap() > 20);
    assert!(String::from_utf8_lossy(&out.stderr).contains("zz-broken.json"));
    // No change at all: exit 0 and no flips.
    let same = temp_rubrics(&rubric_text());
    let out = diff_cli(same.path(), &["-f", "json"], &[&golden]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["flips"].as_array().unwrap().len(), 0);
}

#[test]
fn a_run_folder_contributes_the_transcripts_its_run_scored() {
    let run = tempfile::tempdir().unwrap();
    let transcripts = run.path().join("transcripts");
    std::fs::create_dir(&transcripts).unwrap();
    let files = corpus::collect(&[root().join("fixtures/holdout")]).unwrap();
    let mut lines = String::new();
    for (k, file) in files.iter().enumerate() {
        let t = Transcript::from_path(file).unwrap();
        std::fs::copy(file, transcripts.join(format!("{}.json", t.call_id))).unwrap();
        // The last one is a stale transcript of an earlier run.
        if k + 1 < files.len() {
            lines.push_str(&format!(
                "{{\"call_id\": \"{}\", \"score\": 90.0}}\n",
                t.call_id
            ));
        }
    }
    lines.push_str("{\"file\": \"recordings/broken.wav\", \"error\": \"cannot decode\"}\n");
    std::fs::write(run.path().join("scorecards.jsonl"), lines).unwrap();
    std::fs::write(run.path().join("summary.json"), "{}").unwrap();
    let listed = corpus::collect(&[run.path().to_path_buf()]).unwrap();
    assert_eq!(listed.len(), files.len() - 1);
    let rubrics = temp_rubrics(&changed_rubric_text());
    let out = diff_cli(
        rubrics.path(),
        &["-f", "json", "--fail-on", "1000"],
        &[run.path()],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["calls"],
        files.len() - 1,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report["errors"].as_array().unwrap().len(), 0);
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn old_ref_takes_the_rubric_and_its_dictionary_from_git_history() {
    let repo = tempfile::tempdir().unwrap();
    let r = repo.path();
    std::fs::create_dir(r.join("rubrics")).unwrap();
    std::fs::write(r.join("rubrics/cs-standard.toml"), rubric_text()).unwrap();
    std::fs::write(r.join("rubrics/cs-dict.txt"), dict()).unwrap();
    git(r, &["init", "-q"]);
    git(r, &["add", "."]);
    git(r, &["commit", "-q", "-m", "old"]);
    git(r, &["tag", "v1"]);
    // The working tree changes both the rubric and its dictionary; the old
    // side must be the committed pair.
    std::fs::write(r.join("rubrics/cs-standard.toml"), changed_rubric_text()).unwrap();
    std::fs::write(
        r.join("rubrics/cs-dict.txt"),
        format!("{}\n退款流程 50000 n\n", dict()),
    )
    .unwrap();
    std::fs::write(r.join("old.toml"), rubric_text()).unwrap();
    std::fs::write(r.join("cs-dict.txt"), dict()).unwrap();
    let golden = root().join("fixtures/golden");
    let g = golden.display().to_string();
    let from_git = callqa(
        &[
            "diff",
            "-f",
            "json",
            "--old-ref",
            "v1",
            "--new",
            "rubrics/cs-standard.toml",
            &g,
        ],
        r,
    );
    let from_file = callqa(
        &[
            "diff",
            "-f",
            "json",
            "--old",
            "old.toml",
            "--new",
            "rubrics/cs-standard.toml",
            &g,
        ],
        r,
    );
    assert_eq!(
        from_git.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&from_git.stderr)
    );
    let a: serde_json::Value = serde_json::from_slice(&from_git.stdout).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&from_file.stdout).unwrap();
    assert_eq!(a["flips"], b["flips"]);
    assert_eq!(a["old"]["sha256"], b["old"]["sha256"]);
    assert_eq!(a["old"]["origin"], "v1:rubrics/cs-standard.toml");
    // From a subfolder, with a path relative to it.
    let sub = r.join("rubrics");
    let inside = callqa(
        &[
            "diff",
            "-f",
            "json",
            "--old-ref",
            "HEAD",
            "--new",
            "cs-standard.toml",
            &g,
        ],
        &sub,
    );
    let c: serde_json::Value = serde_json::from_slice(&inside.stdout).unwrap();
    assert_eq!(c["flips"], a["flips"]);

    let err = |out: std::process::Output| {
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = err(callqa(
        &[
            "diff",
            "--old-ref",
            "no-such-branch",
            "--new",
            "rubrics/cs-standard.toml",
            &g,
        ],
        r,
    ));
    assert!(
        e.contains("no-such-branch") && e.contains("git fetch"),
        "{e}"
    );
    std::fs::write(r.join("rubrics/fresh.toml"), rubric_text()).unwrap();
    let e = err(callqa(
        &["diff", "--old-ref", "v1", "--new", "rubrics/fresh.toml", &g],
        r,
    ));
    assert!(
        e.contains("rubrics/fresh.toml") && e.contains("--old"),
        "{e}"
    );
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("r.toml"), rubric_text()).unwrap();
    std::fs::write(outside.path().join("cs-dict.txt"), dict()).unwrap();
    let e = err(callqa(
        &["diff", "--old-ref", "HEAD", "--new", "r.toml", &g],
        outside.path(),
    ));
    assert!(e.contains("not inside a git repository"), "{e}");
    // --old and --old-ref exclude each other; one is needed.
    assert_eq!(
        callqa(
            &[
                "diff",
                "--old",
                "old.toml",
                "--old-ref",
                "v1",
                "--new",
                "old.toml",
                &g
            ],
            r
        )
        .status
        .code(),
        Some(2)
    );
    assert_eq!(
        callqa(&["diff", "--new", "old.toml", &g], r).status.code(),
        Some(2)
    );
}

/// A call whose quote has Markdown and HTML in it, flipping on `thanks`.
fn hostile_call(dir: &Path) {
    let call = serde_json::json!({
        "call_id": "evil|<b>id</b>",
        "agent_id": "A|1",
        "utterances": [
            {"speaker": "agent", "start_ms": 0, "end_ms": 3000, "text": "您好，客服小王为您服务，请问有什么可以帮您？"},
            {"speaker": "customer", "start_ms": 3500, "end_ms": 6000, "text": "我的订单 <script>alert(1)</script> | 还没到\n怎么回事"},
            {"speaker": "agent", "start_ms": 6500, "end_ms": 9000, "text": "谢谢您 | <img src=x onerror=alert(1)> 我马上帮您查，**加急**处理。"},
            {"speaker": "customer", "start_ms": 9500, "end_ms": 10000, "text": "好的"},
            {"speaker": "agent", "start_ms": 10500, "end_ms": 12000, "text": "还有其他问题吗？再见。"}
        ]
    });
    std::fs::write(dir.join("evil.json"), serde_json::to_vec(&call).unwrap()).unwrap();
}

#[test]
fn markdown_is_a_comment_github_renders_safely_in_the_readers_language() {
    let rubrics = temp_rubrics(&changed_rubric_text());
    let calls = plain_corpus();
    hostile_call(calls.path());
    let out = diff_cli(
        rubrics.path(),
        &["-f", "markdown", "--max-flips", "1000"],
        &[calls.path()],
    );
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("## "), "{md}");
    assert!(md.contains("各项目判定变化") && md.contains("<details>") && md.contains("</details>"));
    assert!(md.contains("致谢（thanks）"));
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
    // No tag from a transcript survives.
    for raw in ["<script", "<img", "<b>"] {
        assert!(!md.contains(raw), "{raw} in\n{md}");
    }
    assert!(
        md.contains("&lt;img src=x onerror=alert\\(1\\)&gt;"),
        "{md}"
    );
    // Every table row has as many cells as its header.
    let mut width = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            width = None;
            continue;
        }
        let cells = line.replace("\\|", "").matches('|').count();
        match width {
            None => width = Some(cells),
            Some(w) => assert_eq!(cells, w, "{line}"),
        }
    }
    let flip_block = md
        .split("<summary>evil")
        .nth(1)
        .expect("the hostile call's flip is listed");
    assert!(!flip_block.contains("<script"));
    let mut args = vec![
        "--lang", "en", "diff", "--old", "old.toml", "--new", "new.toml", "-f", "markdown",
    ];
    let p = calls.path().display().to_string();
    args.push(&p);
    let en = String::from_utf8(callqa(&args, rubrics.path()).stdout).unwrap();
    assert!(
        en.contains("Verdict changes per item") && en.contains("Thanks (thanks)"),
        "{en}"
    );
    assert!(!en.contains("各项目"));
}

#[test]
fn text_report_in_chinese_by_default_and_english_on_request() {
    let rubrics = temp_rubrics(&changed_rubric_text());
    let calls = plain_corpus();
    let out = diff_cli(rubrics.path(), &[], &[calls.path()]);
    let zh = String::from_utf8(out.stdout).unwrap();
    assert!(
        zh.contains("各项目判定变化")
            && zh.contains("致谢（thanks）")
            && zh.contains("通过 → 未通过"),
        "{zh}"
    );
    assert!(zh.contains("旧：") && zh.contains("新："));
    let p = calls.path().display().to_string();
    let en = callqa(
        &[
            "--lang", "en", "diff", "--old", "old.toml", "--new", "new.toml", &p,
        ],
        rubrics.path(),
    );
    let en = String::from_utf8(en.stdout).unwrap();
    assert!(
        en.contains("Verdict changes per item")
            && en.contains("Thanks (thanks)")
            && en.contains("PASS → FAIL"),
        "{en}"
    );
    assert!(
        !en.contains("各项目判定变化") && !en.contains("分数变化"),
        "{en}"
    );
}
