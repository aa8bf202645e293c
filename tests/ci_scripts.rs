//! The CI gate (scripts/ci/rubric-gate.sh) run as a pull-request job runs
//! it: in a temporary git repository where a branch changes a rubric, with
//! the base ref the first commit. Checks the outputs (JUnit XML with its
//! counts, comment.md with the diff summary, status.env, the exit code) and
//! that both documented CI configurations (docs/ci/*.yml) parse and call the
//! script.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const GOLDEN: [&str; 2] = [
    "compensation-no-apology-shoes.json",
    "greeting-bare-wei-courier.json",
];
/// Real-traffic calls for the diff (their `expect` removed: not golden).
const TRAFFIC: [&str; 3] = [
    "h-01-telecom-roaming-refund.json",
    "h-03-ecommerce-price-drop.json",
    "h-05-airline-damaged-suitcase.json",
];
/// How many items cs-standard has (each golden fixture expects all).
fn items() -> usize {
    callqa::rubric::load_builtin().file.items.len()
}

fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=CI Test", "-c", "user.email=ci@example.com"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// A repository as a rubric team keeps one: `rubrics/` (cs-standard and
/// its dictionary), `golden/` fixtures and `calls/` traffic, committed on
/// main; then a branch `change` whose commit applies `edit` to the rubric.
/// Returns the folder and the first commit's id.
fn repository(edit: impl Fn(&str) -> String) -> (tempfile::TempDir, PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    fs::create_dir_all(dir.join("rubrics")).unwrap();
    fs::create_dir_all(dir.join("golden")).unwrap();
    fs::create_dir_all(dir.join("calls")).unwrap();
    for f in ["cs-standard.toml", "cs-dict.txt"] {
        fs::copy(root().join("rubrics").join(f), dir.join("rubrics").join(f)).unwrap();
    }
    for f in GOLDEN {
        fs::copy(
            root().join("fixtures/golden").join(f),
            dir.join("golden").join(f),
        )
        .unwrap();
    }
    for f in TRAFFIC {
        let mut v: serde_json::Value = serde_json::from_str(
            &fs::read_to_string(root().join("fixtures/holdout").join(f)).unwrap(),
        )
        .unwrap();
        v.as_object_mut().unwrap().remove("expect");
        fs::write(
            dir.join("calls").join(f),
            serde_json::to_string_pretty(&v).unwrap(),
        )
        .unwrap();
    }
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-q", "-m", "rubric and fixtures"]);
    let base = git(&dir, &["rev-parse", "HEAD"]);
    git(&dir, &["checkout", "-q", "-b", "change"]);
    let path = dir.join("rubrics/cs-standard.toml");
    let text = fs::read_to_string(&path).unwrap();
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit changes the rubric");
    fs::write(&path, edited).unwrap();
    git(&dir, &["commit", "-q", "-am", "edit the rubric"]);
    (tmp, dir, base)
}

/// The edit that breaks a golden fixture: the greeting words cut down to
/// one nobody says.
fn drop_greeting_words(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.starts_with("phrases = [\"你好\", \"您好\""))
        .expect("cs-standard lists 你好/您好 as greeting words");
    text.replacen(line, "phrases = [\"早安\"]", 1)
}

/// The edit that changes nothing a call sees: a comment.
fn add_a_comment(text: &str) -> String {
    format!("# reviewed by the QA team\n{text}")
}

/// Runs the gate in `dir` (a clean environment: no CI variables from the
/// machine running the tests).
fn gate(dir: &Path, extra: &[&str]) -> Output {
    let mut c = Command::new("bash");
    c.arg(root().join("scripts/ci/rubric-gate.sh"))
        .args([
            "--callqa",
            env!("CARGO_BIN_EXE_callqa"),
            "--rubric",
            "rubrics/cs-standard.toml",
            "--golden",
            "golden",
            "--corpus",
            "golden",
            "--corpus",
            "calls",
        ])
        .args(extra)
        .current_dir(dir);
    for var in [
        "GITHUB_ACTIONS",
        "GITHUB_BASE_REF",
        "GITHUB_STEP_SUMMARY",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
        "CALLQA_LANG",
        "CALLQA_BIN",
        "CALLQA_GATE_RUBRIC",
        "CALLQA_GATE_GOLDEN",
        "CALLQA_GATE_CORPUS",
        "CALLQA_GATE_BASE_REF",
        "CALLQA_GATE_OUT_DIR",
        "CALLQA_GATE_FAIL_ON",
        "CALLQA_GATE_SEED",
        "CALLQA_GATE_CHECK_FORMAT",
    ] {
        c.env_remove(var);
    }
    c.output().expect("bash runs the gate")
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn read(dir: &Path, file: &str) -> String {
    fs::read_to_string(dir.join("callqa-ci").join(file))
        .unwrap_or_else(|e| panic!("callqa-ci/{file}: {e}"))
}

/// status.env as a map.
fn status(dir: &Path) -> BTreeMap<String, i32> {
    read(dir, "status.env")
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('=').expect("KEY=VALUE");
            (k.to_string(), v.parse().expect("an exit code"))
        })
        .collect()
}

// ---------------------------------------------------------------- XML
// A small XML reader (elements, attributes, text, the five entities and
// character references): enough to tell that the JUnit file is well-formed
// and to count what it says, without a dependency.

#[derive(Debug)]
struct Element {
    name: String,
    attrs: BTreeMap<String, String>,
    children: Vec<Element>,
    text: String,
}

impl Element {
    fn all<'a>(&'a self, name: &str, found: &mut Vec<&'a Element>) {
        if self.name == name {
            found.push(self);
        }
        for c in &self.children {
            c.all(name, found);
        }
    }

    fn count(&self, name: &str) -> usize {
        let mut found = Vec::new();
        self.all(name, &mut found);
        found.len()
    }
}

struct Reader<'a> {
    s: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.at..]
    }

    fn fail<T>(&self, what: &str) -> Result<T, String> {
        let near: String = self.rest().chars().take(30).collect();
        Err(format!("byte {}: {what} (near {near:?})", self.at))
    }

    fn skip_space(&mut self) {
        let n = self.rest().len() - self.rest().trim_start().len();
        self.at += n;
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.rest().starts_with(lit) {
            self.at += lit.len();
            true
        } else {
            false
        }
    }

    fn name(&mut self) -> Result<String, String> {
        let n: usize = self
            .rest()
            .char_indices()
            .take_while(|(i, c)| {
                c.is_alphabetic()
                    || *c == '_'
                    || *c == ':'
                    || (*i > 0 && (c.is_alphanumeric() || *c == '-' || *c == '.'))
            })
            .map(|(_, c)| c.len_utf8())
            .sum();
        if n == 0 {
            return self.fail("a name");
        }
        let name = self.rest()[..n].to_string();
        self.at += n;
        Ok(name)
    }

    /// Text up to `end` (exclusive) with its references resolved.
    fn chars_until(&mut self, end: char) -> Result<String, String> {
        let mut out = String::new();
        loop {
            let Some(c) = self.rest().chars().next() else {
                return self.fail("end of file inside text");
            };
            if c == end {
                return Ok(out);
            }
            if c == '<' {
                return self.fail("a raw '<' in text or an attribute");
            }
            if c == '&' {
                let Some(semi) = self.rest().find(';') else {
                    return self.fail("an unterminated reference");
                };
                let entity = &self.rest()[1..semi];
                let resolved = match entity {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or_else(|| format!("bad reference &{e};"))?,
                    e if e.starts_with('#') => e[1..]
                        .parse()
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or_else(|| format!("bad reference &{e};"))?,
                    e => return self.fail(&format!("an unknown entity &{e};")),
                };
                out.push(resolved);
                self.at += semi + 1;
                continue;
            }
            out.push(c);
            self.at += c.len_utf8();
        }
    }

    fn element(&mut self) -> Result<Element, String> {
        if !self.eat("<") {
            return self.fail("'<'");
        }
        let name = self.name()?;
        let mut attrs = BTreeMap::new();
        loop {
            self.skip_space();
            if self.eat("/>") {
                return Ok(Element {
                    name,
                    attrs,
                    children: Vec::new(),
                    text: String::new(),
                });
            }
            if self.eat(">") {
                break;
            }
            let key = self.name()?;
            self.skip_space();
            if !self.eat("=") {
                return self.fail("'=' after an attribute name");
            }
            self.skip_space();
            let quote = match self.rest().chars().next() {
                Some(q @ ('"' | '\'')) => q,
                _ => return self.fail("a quoted attribute value"),
            };
            self.at += 1;
            let value = self.chars_until(quote)?;
            self.at += 1;
            if attrs.insert(key.clone(), value).is_some() {
                return self.fail(&format!("attribute {key} twice"));
            }
        }
        let mut children = Vec::new();
        let mut text = String::new();
        loop {
            if self.eat("</") {
                let end = self.name()?;
                self.skip_space();
                if end != name || !self.eat(">") {
                    return self.fail(&format!("</{name}>"));
                }
                return Ok(Element {
                    name,
                    attrs,
                    children,
                    text,
                });
            }
            if self.rest().starts_with('<') {
                children.push(self.element()?);
            } else {
                text.push_str(&self.chars_until('<')?);
            }
        }
    }
}

fn parse_xml(s: &str) -> Result<Element, String> {
    let mut r = Reader { s, at: 0 };
    if r.eat("<?xml") {
        let Some(end) = r.rest().find("?>") else {
            return r.fail("the end of the XML declaration");
        };
        r.at += end + 2;
    }
    r.skip_space();
    let root = r.element()?;
    r.skip_space();
    if !r.rest().is_empty() {
        return r.fail("nothing after the root element");
    }
    Ok(root)
}

#[test]
fn the_xml_reader_rejects_what_is_not_xml() {
    assert!(parse_xml("<a x=\"1\"><b/>t &amp; &#x4e2d;</a>").is_ok());
    for bad in [
        "<a>",
        "<a></b>",
        "<a x=1/>",
        "<a>&nbsp;</a>",
        "<a>1 < 2</a>",
        "<a/><b/>",
        "<a x='1' x='2'/>",
    ] {
        assert!(parse_xml(bad).is_err(), "{bad} was accepted");
    }
}

/// The JUnit file: well-formed, and its counts: (tests, failures, errors)
/// as the suite says and as its elements are.
fn junit_counts(dir: &Path) -> (usize, usize, usize) {
    let xml = read(dir, "junit.xml");
    let root = parse_xml(&xml).unwrap_or_else(|e| panic!("junit.xml is not XML: {e}\n{xml}"));
    assert_eq!(root.name, "testsuites");
    let mut suites = Vec::new();
    root.all("testsuite", &mut suites);
    assert_eq!(suites.len(), 1, "{xml}");
    let attr = |k: &str| -> usize { suites[0].attrs[k].parse().unwrap() };
    let counts = (attr("tests"), attr("failures"), attr("errors"));
    assert_eq!(
        counts,
        (
            root.count("testcase"),
            root.count("failure"),
            root.count("error")
        ),
        "the suite's counts are its elements':\n{xml}"
    );
    counts
}

// ---------------------------------------------------------------- the gate

/// The check part: a golden fixture regressed → JUnit says which, the
/// comment says it, the gate fails.
#[test]
fn a_rubric_change_that_breaks_a_golden_fixture_fails_the_gate_with_its_junit() {
    let (_tmp, dir, base) = repository(drop_greeting_words);
    let o = gate(&dir, &["--base-ref", &base]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));

    // Every fixture expects every item: 2 × items test cases, one failure
    // (compensation-no-apology-shoes greets with 您好; the bare 喂 of the
    // other fixture fails either way).
    assert_eq!(junit_counts(&dir), (2 * items(), 1, 0));
    let xml = read(&dir, "junit.xml");
    assert!(
        xml.contains("<testcase classname=\"golden/compensation-no-apology-shoes.json\" name=\"greeting\"><failure message=\"expected pass got fail\">"),
        "{xml}"
    );
    // The failure's text is the scorer's reason and evidence (Chinese in
    // every run: JUnit does not follow --lang).
    let root = parse_xml(&xml).unwrap();
    let mut failures = Vec::new();
    root.all("failure", &mut failures);
    assert!(
        failures[0].text.starts_with("开场不完整"),
        "{}",
        failures[0].text
    );
    assert!(
        failures[0].text.contains("您好，欢迎致电好物优选"),
        "{}",
        failures[0].text
    );
    let s = status(&dir);
    assert_eq!(s["CHECK_EXIT"], 1);
    assert_eq!(s["GATE_EXIT"], 1);

    let comment = read(&dir, "comment.md");
    assert!(
        comment.starts_with("<!-- callqa-rubric-gate -->\n## callqa：评分标准门禁\n"),
        "{comment}"
    );
    assert!(
        comment.contains("| 黄金样例检查（`callqa check`） | ❌ 未通过 · `1 passed, 1 failed` |"),
        "{comment}"
    );
    // The failing block of check's report, collapsed.
    assert!(
        comment.contains("<summary>黄金样例检查的报告</summary>"),
        "{comment}"
    );
    assert!(
        comment.contains("开场问候（greeting）  应为通过，实为未通过"),
        "{comment}"
    );
    // Outside GitHub Actions, check prints no annotations.
    assert!(!read(&dir, "check.txt").contains("::error"));
}

/// The diff and mutate parts of the same run: the comment carries the
/// diff's Markdown (its summary and the flipped item) and the mutate report.
#[test]
fn the_comment_has_the_diff_summary_and_the_mutate_report() {
    let (_tmp, dir, base) = repository(drop_greeting_words);
    let o = gate(&dir, &["--base-ref", &base]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let s = status(&dir);
    // A golden fixture flips: diff fails its gate too.
    assert_eq!(s["DIFF_EXIT"], 1, "{}", read(&dir, "diff.err"));
    assert_eq!(s["MUTATE_EXIT"], 0, "{}", read(&dir, "mutate.err"));

    let comment = read(&dir, "comment.md");
    let diff = read(&dir, "diff.md");
    assert!(!diff.trim().is_empty());
    assert!(
        comment.contains(diff.trim_end()),
        "comment.md carries diff.md:\n{comment}"
    );
    assert!(
        comment.contains(&format!(
            "| 对语料的影响（`callqa diff`，对比 `{base}`） | ❌ 未通过 |"
        )),
        "{comment}"
    );
    // The diff's summary: 5 calls compared (2 golden + 3 traffic), its
    // verdict, and the greeting row of its item table with flips.
    let summary = diff
        .lines()
        .find(|l| l.starts_with("❌"))
        .unwrap_or_else(|| panic!("no summary line in diff.md:\n{diff}"));
    assert!(summary.contains("**5** 通电话"), "{summary}");
    let greeting = diff
        .lines()
        .find(|l| l.starts_with("| 开场问候（greeting） |"))
        .unwrap_or_else(|| panic!("no greeting row in diff.md:\n{diff}"));
    let flips: usize = greeting.split('|').nth(2).unwrap().trim().parse().unwrap();
    assert!(flips >= 1, "{greeting}");

    // mutate's report, collapsed, in a fence.
    let mutate = read(&dir, "mutate.txt");
    assert!(mutate.contains("开场问候（greeting）"), "{mutate}");
    assert!(
        comment
            .contains("<summary>稳健性：各项目在扰动下的表现（callqa mutate，种子 0）</summary>"),
        "{comment}"
    );
    assert!(
        comment.contains(mutate.lines().next().unwrap()),
        "{comment}"
    );
}

/// A change no call notices passes: exit 0, no JUnit failure, ✅ twice.
#[test]
fn a_harmless_change_passes_the_gate() {
    let (_tmp, dir, base) = repository(add_a_comment);
    let o = gate(&dir, &["--base-ref", &base, "--lang", "en"]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(junit_counts(&dir), (2 * items(), 0, 0));
    let s = status(&dir);
    assert_eq!((s["CHECK_EXIT"], s["DIFF_EXIT"], s["GATE_EXIT"]), (0, 0, 0));
    let comment = read(&dir, "comment.md");
    assert!(
        comment.starts_with("<!-- callqa-rubric-gate -->\n## callqa: rubric gate\n"),
        "{comment}"
    );
    assert!(
        comment.contains("| Golden fixtures (`callqa check`) | ✅ pass · `2 passed, 0 failed` |"),
        "{comment}"
    );
    assert!(comment.contains("| ✅ pass |"), "{comment}");
    // Nothing of a failing check is shown when it passed.
    assert!(!comment.contains("Golden check report"), "{comment}");
}

/// A base ref that does not exist is an error (exit 2), but check still
/// ran and wrote its JUnit, and the comment says what went wrong.
#[test]
fn an_unknown_base_ref_is_an_error_after_every_output_is_written() {
    let (_tmp, dir, _) = repository(add_a_comment);
    let o = gate(&dir, &["--base-ref", "origin/main"]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert_eq!(junit_counts(&dir), (2 * items(), 0, 0));
    let s = status(&dir);
    assert_eq!((s["CHECK_EXIT"], s["DIFF_EXIT"], s["GATE_EXIT"]), (0, 2, 2));
    let comment = read(&dir, "comment.md");
    assert!(
        comment.contains("⚠️ callqa diff 没有完成（退出码 2）"),
        "{comment}"
    );
    assert!(
        comment.contains("origin/main"),
        "the error names the ref:\n{comment}"
    );
    assert!(!read(&dir, "mutate.txt").is_empty(), "mutate ran too");
}

#[test]
fn github_actions_gets_annotations_and_a_job_summary() {
    let (_tmp, dir, base) = repository(drop_greeting_words);
    let summary = dir.join("step-summary.md");
    let o = {
        let mut c = Command::new("bash");
        c.arg(root().join("scripts/ci/rubric-gate.sh"))
            .args([
                "--callqa",
                env!("CARGO_BIN_EXE_callqa"),
                "--golden",
                "golden",
            ])
            .current_dir(&dir)
            .env("CALLQA_GATE_RUBRIC", "rubrics/cs-standard.toml")
            .env("CALLQA_GATE_BASE_REF", &base)
            .env("CALLQA_GATE_OUT_DIR", "out")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env_remove("CALLQA_LANG")
            .env_remove("CALLQA_GATE_CORPUS");
        c.output().unwrap()
    };
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let line = fs::read_to_string(dir.join("rubrics/cs-standard.toml"))
        .unwrap()
        .lines()
        .position(|l| l == "id = \"greeting\"")
        .unwrap()
        + 1;
    let annotations: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(annotations.len(), 1, "{stdout}");
    assert!(
        annotations[0].starts_with(&format!(
            "::error file=rubrics/cs-standard.toml,line={line},title=开场问候（greeting）：应为通过，实为未通过::golden/compensation-no-apology-shoes.json"
        )),
        "{stdout}"
    );
    // The output folder came from the environment; the comment (without
    // annotation lines) is also the job summary.
    let comment = fs::read_to_string(dir.join("out/comment.md")).unwrap();
    assert!(!comment.contains("::error"), "{comment}");
    assert_eq!(fs::read_to_string(&summary).unwrap(), comment);
}

#[test]
fn bad_arguments_are_errors_that_say_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (
            vec!["--fail-on", "many"],
            "--fail-on many: give a number of calls",
        ),
        (vec!["--frobnicate"], "unknown argument '--frobnicate'"),
        (vec!["--rubric"], "--rubric needs a value"),
        (
            vec!["--callqa", "/nonexistent/callqa"],
            "--callqa /nonexistent/callqa: no such program",
        ),
    ] {
        let o = Command::new("bash")
            .arg(root().join("scripts/ci/rubric-gate.sh"))
            .args(&args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", show(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(says),
            "{args:?}: {}",
            show(&o)
        );
    }
    assert!(
        !dir.path().join("callqa-ci").exists(),
        "nothing written on bad arguments"
    );
}

// ---------------------------------------------------------------- CI files

/// docs/ci/NAME parsed by PyYAML into JSON. `scripts/setup.sh` installs
/// PyYAML (python3-yaml), so a machine without it fails here rather than
/// skipping the check.
fn yaml(name: &str) -> Option<serde_json::Value> {
    let path = root().join("docs/ci").join(name);
    let script = "import sys, json, yaml\n\
                  doc = yaml.safe_load(open(sys.argv[1], encoding='utf-8'))\n\
                  print(json.dumps(doc, default=str))";
    let o = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("{name}: python3 cannot run ({e}); run scripts/setup.sh"));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        !stderr.contains("No module named 'yaml'"),
        "{name} cannot be parsed: python3 has no PyYAML; run scripts/setup.sh (apt-get install python3-yaml)"
    );
    assert!(o.status.success(), "{name} is not valid YAML:\n{stderr}");
    Some(serde_json::from_slice(&o.stdout).unwrap())
}

/// Every `run`/`script` string of a parsed CI file.
fn commands(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| commands(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| commands(x, out)),
        _ => {}
    }
}

#[test]
fn the_github_workflow_runs_the_gate_on_pull_requests_and_comments() {
    let text = fs::read_to_string(root().join("docs/ci/github-actions.yml")).unwrap();
    assert!(text.contains("bash scripts/ci/rubric-gate.sh"), "{text}");
    let Some(doc) = yaml("github-actions.yml") else {
        return;
    };
    // YAML 1.1 reads the key `on` as true.
    let on = doc
        .get("on")
        .or_else(|| doc.get("true"))
        .expect("an `on` key");
    assert!(on.get("pull_request").is_some(), "{on}");
    assert_eq!(doc["permissions"]["pull-requests"], "write");
    let jobs = doc["jobs"].as_object().unwrap();
    assert_eq!(jobs.len(), 1);
    let job = jobs.values().next().unwrap();
    let steps = job["steps"].as_array().unwrap();
    let checkout = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/checkout@"))
        })
        .expect("a checkout step");
    assert_eq!(
        checkout["with"]["fetch-depth"], 0,
        "origin/<base> must exist"
    );
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    let build = runs
        .iter()
        .position(|r| r.contains("cargo build --release"))
        .expect("a build step");
    let gate = runs
        .iter()
        .position(|r| r.contains("scripts/ci/rubric-gate.sh"))
        .expect("a gate step");
    assert!(build < gate);
    assert!(runs[gate].contains("--base-ref"), "{}", runs[gate]);
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact@"))
        })
        .expect("an upload step");
    assert_eq!(upload["if"], "always()");
    let comment = steps
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("scripts/ci/post-comment.sh"))
        })
        .expect("a comment step");
    assert_eq!(comment["env"]["GH_TOKEN"], "${{ github.token }}");
    assert!(comment["if"].as_str().unwrap().starts_with("always()"));
}

#[test]
fn the_gitlab_job_runs_the_gate_on_merge_requests_and_keeps_the_junit() {
    let text = fs::read_to_string(root().join("docs/ci/gitlab-ci.yml")).unwrap();
    assert!(text.contains("bash scripts/ci/rubric-gate.sh"), "{text}");
    let Some(doc) = yaml("gitlab-ci.yml") else {
        return;
    };
    let job = &doc["rubric-gate"];
    let rules = job["rules"].as_array().unwrap();
    assert!(
        rules.iter().any(|r| r["if"]
            .as_str()
            .is_some_and(|s| s.contains("merge_request_event"))),
        "{rules:?}"
    );
    assert_eq!(job["artifacts"]["reports"]["junit"], "callqa-ci/junit.xml");
    assert_eq!(job["artifacts"]["when"], "always");
    assert_eq!(job["variables"]["GIT_DEPTH"], "0");
    let mut script = Vec::new();
    commands(&job["script"], &mut script);
    let script = script.join("\n");
    assert!(script.contains("scripts/ci/rubric-gate.sh"), "{script}");
    // The gate's exit code is kept while the comment is posted.
    let gate = script.find("scripts/ci/rubric-gate.sh").unwrap();
    let post = script
        .find("scripts/ci/post-comment.sh")
        .expect("a comment");
    assert!(gate < post, "{script}");
    assert!(
        script.contains("exit \"$gate\""),
        "the job fails when the gate does:\n{script}"
    );
    let mut before = Vec::new();
    commands(&job["before_script"], &mut before);
    assert!(
        before.iter().any(|c| c.contains("cargo build --release")),
        "{before:?}"
    );
}

// ---------------------------------------------------------------- comments

/// Stand-ins for `gh` and `curl` on PATH: each call is logged (one line of
/// arguments) to `calls.log`; a body sent from a file is copied to
/// `body-N.md`; a listing of comments answers with `comments.json` (through
/// the real jq, as gh's --jq and the script's jq would).
fn stub_tools(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let gh = r#"#!/usr/bin/env bash
log="$STUB_DIR/calls.log"
echo "gh $*" >>"$log"
n=$(wc -l <"$log")
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    case ${args[i]} in
        --jq) jq -r "${args[i+1]}" <"$STUB_DIR/comments.json"; exit $? ;;
        -F) cp "${args[i+1]#body=@}" "$STUB_DIR/body-$n.md" ;;
        --body-file) cp "${args[i+1]}" "$STUB_DIR/body-$n.md" ;;
    esac
done
"#;
    let curl = r#"#!/usr/bin/env bash
log="$STUB_DIR/calls.log"
echo "curl $*" >>"$log"
n=$(wc -l <"$log")
args=("$@")
method=GET
for ((i = 0; i < ${#args[@]}; i++)); do
    case ${args[i]} in
        --request) method=${args[i+1]} ;;
        --data-urlencode) cp "${args[i+1]#body@}" "$STUB_DIR/body-$n.md" ;;
    esac
done
[ "$method" = GET ] && cat "$STUB_DIR/comments.json"
exit 0
"#;
    for (name, text) in [("gh", gh), ("curl", curl)] {
        let path = bin.join(name);
        fs::write(&path, text).unwrap();
        let mut perm = fs::metadata(&path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
        fs::set_permissions(&path, perm).unwrap();
    }
    bin
}

const COMMENT: &str = "<!-- callqa-rubric-gate -->\n## callqa：评分标准门禁\n\n| 步骤 | 结果 |\n";

/// Runs post-comment.sh in `dir` (with `comment.md` written there and the
/// stubs first on PATH) under `env`; returns the output and the logged calls.
fn post(dir: &Path, comments: &str, env: &[(&str, &str)]) -> (Output, Vec<String>) {
    let bin = stub_tools(dir);
    fs::write(dir.join("comment.md"), COMMENT).unwrap();
    fs::write(dir.join("comments.json"), comments).unwrap();
    let _ = fs::remove_file(dir.join("calls.log"));
    let mut c = Command::new("bash");
    c.arg(root().join("scripts/ci/post-comment.sh"))
        .arg("comment.md")
        .current_dir(dir)
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("STUB_DIR", dir);
    for var in [
        "GITHUB_ACTIONS",
        "GITLAB_CI",
        "GH_TOKEN",
        "GITHUB_REPOSITORY",
        "PR",
        "CALLQA_GITLAB_TOKEN",
        "CI_API_V4_URL",
        "CI_PROJECT_ID",
        "CI_MERGE_REQUEST_IID",
    ] {
        c.env_remove(var);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    let calls = fs::read_to_string(dir.join("calls.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    (o, calls)
}

const GITHUB: [(&str, &str); 4] = [
    ("GITHUB_ACTIONS", "true"),
    ("GH_TOKEN", "ghs_test"),
    ("GITHUB_REPOSITORY", "acme/qa-rubrics"),
    ("PR", "17"),
];

#[test]
fn on_github_the_comment_is_posted_once_then_edited() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // A reviewer quoting the marker and another bot's comment are not ours.
    let others = r#"[
        {"id": 101, "user": {"login": "reviewer"}, "body": "<!-- callqa-rubric-gate --> quoted"},
        {"id": 102, "user": {"login": "github-actions[bot]"}, "body": "coverage: 81%"}
    ]"#;
    let (o, calls) = post(dir, others, &GITHUB);
    assert!(o.status.success(), "{}", show(&o));
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(
        calls[0].starts_with("gh api --paginate repos/acme/qa-rubrics/issues/17/comments --jq "),
        "{calls:?}"
    );
    assert_eq!(
        calls[1],
        "gh pr comment 17 --repo acme/qa-rubrics --body-file comment.md"
    );
    assert_eq!(fs::read_to_string(dir.join("body-2.md")).unwrap(), COMMENT);

    // The second push: the gate's latest comment is edited.
    let ours = r#"[
        {"id": 101, "user": {"login": "reviewer"}, "body": "<!-- callqa-rubric-gate --> quoted"},
        {"id": 201, "user": {"login": "github-actions[bot]"}, "body": "<!-- callqa-rubric-gate -->\nold"},
        {"id": 202, "user": {"login": "github-actions[bot]"}, "body": "<!-- callqa-rubric-gate -->\nnewer"}
    ]"#;
    let (o, calls) = post(dir, ours, &GITHUB);
    assert!(o.status.success(), "{}", show(&o));
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(
        calls[1],
        "gh api --method PATCH repos/acme/qa-rubrics/issues/comments/202 -F body=@comment.md"
    );
    assert_eq!(fs::read_to_string(dir.join("body-2.md")).unwrap(), COMMENT);
}

const GITLAB: [(&str, &str); 5] = [
    ("GITLAB_CI", "true"),
    ("CALLQA_GITLAB_TOKEN", "glpat-test"),
    ("CI_API_V4_URL", "https://gitlab.example.com/api/v4"),
    ("CI_PROJECT_ID", "42"),
    ("CI_MERGE_REQUEST_IID", "7"),
];

#[test]
fn on_gitlab_the_note_is_posted_once_then_updated() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let notes = "https://gitlab.example.com/api/v4/projects/42/merge_requests/7/notes";
    let (o, calls) = post(dir, r#"[{"id": 900, "body": "LGTM"}]"#, &GITLAB);
    assert!(o.status.success(), "{}", show(&o));
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(
        calls[0],
        format!("curl -sS --fail --header PRIVATE-TOKEN: glpat-test {notes}?per_page=100&sort=desc&order_by=created_at")
    );
    assert_eq!(
        calls[1],
        format!("curl -sS --fail --request POST --header PRIVATE-TOKEN: glpat-test --data-urlencode body@comment.md {notes}")
    );
    assert_eq!(fs::read_to_string(dir.join("body-2.md")).unwrap(), COMMENT);

    // Newest first: the first note with the marker is updated.
    let (o, calls) = post(
        dir,
        r#"[{"id": 903, "body": "LGTM"}, {"id": 902, "body": "<!-- callqa-rubric-gate -->\nnew"}, {"id": 901, "body": "<!-- callqa-rubric-gate -->\nold"}]"#,
        &GITLAB,
    );
    assert!(o.status.success(), "{}", show(&o));
    assert_eq!(
        calls[1],
        format!("curl -sS --fail --request PUT --header PRIVATE-TOKEN: glpat-test --data-urlencode body@comment.md {notes}/902")
    );
}

#[test]
fn without_a_token_nothing_is_posted_and_outside_ci_it_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (o, calls) = post(dir, "[]", &GITLAB[..1]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(calls.is_empty(), "{calls:?}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("CALLQA_GITLAB_TOKEN is not set"));

    let (o, calls) = post(dir, "[]", &[]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(calls.is_empty());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("neither GitHub Actions"),
        "{}",
        show(&o)
    );

    // A GitHub job without its pull request number says which variable.
    let (o, _) = post(dir, "[]", &GITHUB[..3]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("PR is not set"),
        "{}",
        show(&o)
    );
}
