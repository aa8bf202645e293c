//! `callqa check --format github`: the GitHub Actions annotations for a
//! deliberately regressed rubric — exact lines, pointing at the `id = "…"`
//! line of each failing item in the rubric file — and for a fixture that
//! cannot be read; the last line stays `N passed, N failed`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use callqa::i18n::Lang;
use callqa::report::evidence_line;
use callqa::transcript::Transcript;

const FIXTURE: &str = "compensation-no-apology-shoes.json";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `callqa ARGS` run in `dir`.
fn callqa_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callqa"))
        .current_dir(dir)
        .env_remove("CALLQA_LANG")
        .args(args)
        .output()
        .expect("callqa runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

/// The annotation lines of an output (workflow commands start with `::`).
fn annotations(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.starts_with("::")).collect()
}

/// cs-standard as a rubric author might break it in a pull request: a
/// shorter header, the greeting words cut down to one the fixture does not
/// say, and thanks looked for on the customer's side. Written as
/// `dir/name` with its dictionary beside it; returns the rubric text.
fn regressed_rubric(dir: &Path, name: &str) -> String {
    let text = fs::read_to_string(root().join("rubrics/cs-standard.toml")).unwrap();
    let greeting = text
        .lines()
        .find(|l| l.starts_with("phrases = [\"你好\", \"您好\""))
        .expect("cs-standard lists 你好/您好 as greeting words");
    let thanks = "pass = { say = { role = \"agent\", any = [\"thanks\"] } }";
    assert!(text.contains(thanks), "cs-standard's thanks rule changed");
    let text = format!(
        "# cs-standard, edited in a branch\n# (the greeting words were \"tidied up\")\n\n{}",
        text.replacen(greeting, "phrases = [\"早安\"]", 1).replacen(
            thanks,
            "pass = { say = { role = \"customer\", any = [\"thanks\"] } }",
            1
        )
    );
    fs::write(dir.join(name), &text).unwrap();
    fs::copy(root().join("rubrics/cs-dict.txt"), dir.join("cs-dict.txt")).unwrap();
    text
}

/// A temporary folder with the regressed rubric (`rubric.toml`) and
/// `golden/` holding one real golden fixture.
fn workspace() -> (tempfile::TempDir, PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    // The working directory callqa sees is canonical; so must be the paths
    // the test expects it to shorten.
    let dir = tmp.path().canonicalize().unwrap();
    let text = regressed_rubric(&dir, "rubric.toml");
    fs::create_dir(dir.join("golden")).unwrap();
    fs::copy(
        root().join("fixtures/golden").join(FIXTURE),
        dir.join("golden").join(FIXTURE),
    )
    .unwrap();
    (tmp, dir, text)
}

/// The 1-based line of `id = "ITEM"` in `text`, found by reading it.
fn id_line(text: &str, item: &str) -> usize {
    let wanted = format!("id = \"{item}\"");
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim() == wanted)
        .unwrap_or_else(|| panic!("no {wanted} in the rubric"));
    assert_eq!(lines[at - 1].trim(), "[[item]]", "{wanted} opens its block");
    at + 1
}

/// GitHub's escaping of a message (`%`, CR, LF) — written out here so the
/// test does not share the code it checks.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// The reason and the evidence lines the scorer gives `item` of the
/// fixture under the regressed rubric, in `lang`.
fn scorer_says(rubric: &Path, item: &str, lang: Lang) -> String {
    let rubric = callqa::rubric::load_and_compile(Some(rubric)).unwrap();
    let transcript = Transcript::from_path(&root().join("fixtures/golden").join(FIXTURE)).unwrap();
    let card = rubric.score(&transcript);
    let result = card.items.iter().find(|i| i.id == item).unwrap();
    let mut s = result.reason_in(lang).to_string();
    for e in &result.evidence {
        s.push('\n');
        s.push_str(&evidence_line(e, lang));
    }
    s
}

#[test]
fn a_regressed_rubric_is_annotated_on_the_id_lines_of_its_failing_items() {
    let (_tmp, dir, text) = workspace();
    let greeting = id_line(&text, "greeting");
    let thanks = id_line(&text, "thanks");
    // The header added 3 lines: the annotation follows the edited file,
    // not the original.
    let original = fs::read_to_string(root().join("rubrics/cs-standard.toml")).unwrap();
    assert_eq!(greeting, id_line(&original, "greeting") + 3);

    let fixture = format!("golden/{FIXTURE}");
    let call = FIXTURE.trim_end_matches(".json");

    let o = callqa_in(
        &dir,
        &[
            "check",
            "--format",
            "github",
            "--rubric",
            "rubric.toml",
            "golden",
        ],
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "a regression exits 1:\n{out}");
    let zh = |item: &str| scorer_says(&dir.join("rubric.toml"), item, Lang::Zh);
    assert!(
        zh("greeting").starts_with("开场不完整"),
        "{}",
        zh("greeting")
    );
    let expected = vec![
        format!(
            "::error file=rubric.toml,line={greeting},title=开场问候（greeting）：应为通过，实为未通过::{}",
            data(&format!(
                "{fixture}（通话 {call}）：开场问候（greeting）应为通过，实为未通过：{}",
                zh("greeting")
            ))
        ),
        format!(
            "::error file=rubric.toml,line={thanks},title=致谢（thanks）：应为通过，实为未通过::{}",
            data(&format!(
                "{fixture}（通话 {call}）：致谢（thanks）应为通过，实为未通过：{}",
                zh("thanks")
            ))
        ),
    ];
    assert_eq!(annotations(&out), expected, "{out}");
    assert_eq!(out.lines().last(), Some("0 passed, 1 failed"));

    // English: the title's `:` and `,` are escaped (they separate properties).
    let o = callqa_in(
        &dir,
        &[
            "--lang",
            "en",
            "check",
            "--format",
            "github",
            "--rubric",
            "rubric.toml",
            "golden",
        ],
    );
    let out = stdout(&o);
    let en = |item: &str| scorer_says(&dir.join("rubric.toml"), item, Lang::En);
    assert!(
        en("thanks").starts_with("never thanked the customer"),
        "{}",
        en("thanks")
    );
    let expected = vec![
        format!(
            "::error file=rubric.toml,line={greeting},title=Opening greeting (greeting)%3A expected pass%2C got fail::{}",
            data(&format!(
                "{fixture} (call {call}): Opening greeting (greeting) expected pass got fail: {}",
                en("greeting")
            ))
        ),
        format!(
            "::error file=rubric.toml,line={thanks},title=Thanks (thanks)%3A expected pass%2C got fail::{}",
            data(&format!(
                "{fixture} (call {call}): Thanks (thanks) expected pass got fail: {}",
                en("thanks")
            ))
        ),
    ];
    assert_eq!(annotations(&out), expected, "{out}");
    assert_eq!(out.lines().last(), Some("0 passed, 1 failed"));
    // Every annotation is one line: the evidence is on %0A-separated lines.
    assert!(expected[0].contains("%0A"), "{}", expected[0]);
}

#[test]
fn the_rubric_path_is_relative_to_the_working_directory_and_escaped() {
    let (_tmp, dir, text) = workspace();
    let line = id_line(&text, "greeting");
    // An absolute path below the working directory is shortened.
    let absolute = dir.join("rubric.toml");
    let o = callqa_in(
        &dir,
        &[
            "check",
            "--format",
            "github",
            "--rubric",
            absolute.to_str().unwrap(),
            "golden",
        ],
    );
    let out = stdout(&o);
    let first = annotations(&out)[0];
    assert!(
        first.starts_with(&format!("::error file=rubric.toml,line={line},title=")),
        "{out}"
    );
    // A path outside it is kept as given.
    let elsewhere = tempfile::tempdir().unwrap();
    let o = callqa_in(
        elsewhere.path(),
        &[
            "check",
            "--format",
            "github",
            "--rubric",
            absolute.to_str().unwrap(),
            dir.join("golden").to_str().unwrap(),
        ],
    );
    let out = stdout(&o);
    let first = annotations(&out)[0];
    assert!(
        first.starts_with(&format!("::error file={},line={line},", absolute.display())),
        "{out}"
    );
    // `,` and `:` in a file name are escaped in the property.
    regressed_rubric(&dir, "v2,draft:1.toml");
    let o = callqa_in(
        &dir,
        &[
            "check",
            "--format",
            "github",
            "--rubric",
            "v2,draft:1.toml",
            "golden",
        ],
    );
    let out = stdout(&o);
    assert!(
        annotations(&out)[0].starts_with(&format!("::error file=v2%2Cdraft%3A1.toml,line={line},")),
        "{out}"
    );
}

#[test]
fn a_fixture_that_cannot_be_read_is_annotated_on_itself() {
    let (_tmp, dir, _) = workspace();
    fs::write(
        dir.join("golden/broken.json"),
        "{\"call_id\": \"x\", \"utterances\": [",
    )
    .unwrap();
    let o = callqa_in(
        &dir,
        &[
            "check",
            "--format",
            "github",
            "--rubric",
            root().join("rubrics/cs-standard.toml").to_str().unwrap(),
            "golden",
        ],
    );
    let out = stdout(&o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "an unreadable fixture exits 2:\n{out}"
    );
    let lines = annotations(&out);
    assert_eq!(lines.len(), 1, "{out}");
    assert!(
        lines[0].starts_with("::error file=golden/broken.json::golden/broken.json"),
        "{out}"
    );
    assert!(!lines[0][2..].contains('\n'));
    assert_eq!(out.lines().last(), Some("1 passed, 1 failed"));
}

#[test]
fn passing_fixtures_give_no_annotation_and_the_text_format_none_either() {
    let o = callqa_in(&root(), &["check", "--format", "github", "fixtures/golden"]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}");
    assert!(annotations(&out).is_empty(), "{out}");
    assert!(
        out.lines().last().unwrap().ends_with(" passed, 0 failed"),
        "{out}"
    );

    let (_tmp, dir, _) = workspace();
    let o = callqa_in(&dir, &["check", "--rubric", "rubric.toml", "golden"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        annotations(&out).is_empty(),
        "text format has no annotations:\n{out}"
    );
}
