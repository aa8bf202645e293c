//! The README's examples work and its tables say what callqa does: the minimal rubric lints,
//! scores and checks; the transcript and rubric it shows are the files in `rubrics/examples/`;
//! the first-steps, rubric and CI commands run with the exit codes the README states; and the
//! CSV and manifest columns it documents are the ones callqa writes and reads.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// The text from the line starting with `heading` to the next heading of the same or a higher
/// level.
fn section(text: &str, heading: &str) -> String {
    let level = heading.chars().take_while(|&c| c == '#').count();
    let mut lines = text.lines().skip_while(|l| !l.starts_with(heading));
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("README has no `{heading}`"));
    // `# comments` inside fenced code blocks are not headings.
    let mut in_code = false;
    let rest = lines.take_while(|l| {
        if l.starts_with("```") {
            in_code = !in_code;
        }
        let hashes = l.chars().take_while(|&c| c == '#').count();
        in_code || !(hashes > 0 && hashes <= level && l[hashes..].starts_with(' '))
    });
    std::iter::once(first)
        .chain(rest)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first fenced block of `lang` in `text`.
fn code_block(text: &str, lang: &str) -> String {
    let fence = format!("```{lang}\n");
    let start = text
        .find(&fence)
        .unwrap_or_else(|| panic!("no ```{lang} block"))
        + fence.len();
    let end = start + text[start..].find("\n```").unwrap();
    text[start..end].to_string()
}

/// Backticked names in the first cell of each table row.
fn documented_columns(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|l| {
            let cell = l[1..].split(" | ").next().unwrap_or("");
            cell.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn header_of(csv_text: &str) -> BTreeSet<String> {
    let text = csv_text
        .strip_prefix('\u{feff}')
        .expect("CSV starts with a BOM");
    let line = text.lines().next().unwrap();
    line.split(',').map(str::to_string).collect()
}

fn callqa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callqa"))
        .args(args)
        .current_dir(root())
        .env_remove("CALLQA_LANG")
        .output()
        .unwrap()
}

/// Runs a README command line (`callqa …`, or the CI's `./target/release/callqa …`); a
/// `> FILE` redirect captures stdout instead. Returns the exit code and stdout.
fn run_line(line: &str, junit: Option<&Path>) -> (i32, String) {
    let line = line.split(" # ").next().unwrap().trim();
    let (command, _redirect) = match line.split_once(" > ") {
        Some((c, r)) => (c, Some(r)),
        None => (line, None),
    };
    let mut words: Vec<String> = command.split_whitespace().map(str::to_string).collect();
    assert!(
        words[0] == "callqa" || words[0] == "./target/release/callqa",
        "{line}"
    );
    if let (Some(path), Some(i)) = (junit, words.iter().position(|w| w == "--junit")) {
        words[i + 1] = path.display().to_string();
    }
    let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    let out = callqa(&args);
    assert!(
        out.status.code() != Some(2),
        "`{line}` hit an error:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_minimal_rubric_lints_scores_and_checks() {
    let lint = callqa(&["lint", "rubrics/examples/minimal.toml"]);
    assert_eq!(lint.status.code(), Some(0), "{lint:?}");

    let score = callqa(&[
        "score",
        "-f",
        "jsonl",
        "--rubric",
        "rubrics/examples/minimal.toml",
        "rubrics/examples/golden/",
    ]);
    assert_eq!(score.status.code(), Some(1), "one example call fails");
    let cards: Vec<serde_json::Value> = String::from_utf8(score.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let card = |id: &str| cards.iter().find(|c| c["call_id"] == id).unwrap().clone();
    let ok = card("20261120-0001");
    assert_eq!(ok["score"], 100.0);
    assert_eq!(ok["passed"], true);
    let rude = card("chat-0002");
    assert_eq!(rude["score"], 0.0);
    assert_eq!(rude["critical_failed"], true);
    let verdict = |c: &serde_json::Value, item: &str| {
        c["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == item)
            .unwrap()["verdict"]
            .clone()
    };
    assert_eq!(verdict(&rude, "no_rude_words"), "fail");
    assert_eq!(verdict(&rude, "greeting"), "pass");

    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("check.xml");
    let check = callqa(&[
        "check",
        "--rubric",
        "rubrics/examples/minimal.toml",
        "--junit",
        junit.to_str().unwrap(),
        "rubrics/examples/golden/",
    ]);
    assert_eq!(check.status.code(), Some(0), "{check:?}");
    assert!(String::from_utf8_lossy(&check.stdout).contains("2 passed, 0 failed"));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 6, "{xml}");
}

#[test]
fn the_readme_shows_the_example_files_as_they_are() {
    let text = readme();
    let rubric_section = section(&text, "## A minimal rubric of your own");
    let shown = code_block(&rubric_section, "toml");
    let file = std::fs::read_to_string(root().join("rubrics/examples/minimal.toml")).unwrap();
    let body = &file[file.find("[rubric]").unwrap()..];
    assert_eq!(shown.trim_end(), body.trim_end());

    let transcript_section = section(&text, "## Input: the transcript JSON");
    let shown: serde_json::Value =
        serde_json::from_str(&code_block(&transcript_section, "json")).unwrap();
    let file: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("rubrics/examples/golden/call-ok.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(shown, file);
}

#[test]
fn the_readme_commands_run_with_the_exit_codes_it_states() {
    let text = readme();
    let dir = tempfile::tempdir().unwrap();
    // First steps: the transcript commands (run and report need Whisper; other tests cover them).
    let first = code_block(&section(&text, "## First steps"), "sh");
    let mut ran = 0;
    for line in first.lines().filter(|l| l.starts_with("callqa ")) {
        if line.starts_with("callqa run ") || line.starts_with("callqa report ") {
            continue;
        }
        let (code, stdout) = run_line(line, None);
        let expected = if line.contains(" check ") { 0 } else { 1 };
        assert_eq!(code, expected, "`{line}`");
        if line.contains("-f csv") {
            assert!(stdout.starts_with("\u{feff}call_id,"), "{stdout}");
        }
        ran += 1;
    }
    assert!(ran >= 4, "{first}");

    // The rubric section's commands.
    let rubric = section(&text, "## A minimal rubric of your own");
    let block = rubric.split("```sh\n").nth(1).unwrap();
    let block = &block[..block.find("\n```").unwrap()];
    for line in block.lines().filter(|l| l.starts_with("callqa ")) {
        let (code, _) = run_line(line, None);
        let expected = if line.starts_with("callqa score ") {
            1
        } else {
            0
        };
        assert_eq!(code, expected, "`{line}`");
    }

    // The CI section's commands pass on this repository's rubric and golden calls
    // (the full workflows in docs/ci/ are run by tests/ci_scripts.rs).
    let ci = code_block(&section(&text, "## Gating a rubric change in CI"), "sh");
    let junit = dir.path().join("callqa-check.xml");
    let steps: Vec<&str> = ci.lines().filter(|l| l.starts_with("callqa ")).collect();
    assert_eq!(steps.len(), 2, "{ci}");
    for line in steps {
        let (code, _) = run_line(line, Some(&junit));
        assert_eq!(code, 0, "`{line}`");
    }
    assert!(std::fs::read_to_string(&junit)
        .unwrap()
        .contains("<testsuites"));
}

#[test]
fn the_documented_csv_columns_are_the_written_ones() {
    let text = readme();
    let dir = tempfile::tempdir().unwrap();
    let out = |args: &[&str]| {
        let o = callqa(args);
        assert_ne!(o.status.code(), Some(2), "{o:?}");
        String::from_utf8(o.stdout).unwrap()
    };

    let scorecards = out(&["score", "-f", "csv", "fixtures/audio/call-01.json"]);
    let documented = |heading: &str| documented_columns(&section(&text, heading));
    assert_eq!(
        documented("### Scorecards: `callqa score -f csv`"),
        header_of(&scorecards)
    );
    let promises = out(&["promises", "-f", "csv", "fixtures/audio/"]);
    assert_eq!(
        documented("### Promises: `callqa promises -f csv`"),
        header_of(&promises)
    );
    let hotspots = out(&["hotspots", "-f", "csv", "fixtures/audio/"]);
    assert_eq!(
        documented("### Complaint hotspots: `callqa hotspots -f csv`"),
        header_of(&hotspots)
    );

    // run (with the bundled transcripts, no Whisper) and the report's csv/ folder.
    let run_dir = dir.path().join("run");
    let run = callqa(&[
        "run",
        "--quiet",
        "--transcripts",
        "fixtures/audio",
        "--out",
        run_dir.to_str().unwrap(),
        "fixtures/audio/calls.csv",
    ]);
    assert_ne!(run.status.code(), Some(2), "{run:?}");
    let run_csv = std::fs::read_to_string(run_dir.join("scorecards.csv")).unwrap();
    assert_eq!(header_of(&run_csv), header_of(&scorecards));
    let report_dir = dir.path().join("report");
    let report = callqa(&[
        "report",
        "--out",
        report_dir.to_str().unwrap(),
        "--audio",
        "none",
        "--as-of",
        "2026-12-01T00:00:00+08:00",
        run_dir.to_str().unwrap(),
    ]);
    assert_eq!(report.status.code(), Some(0), "{report:?}");
    let folder = section(&text, "### The report's `csv/` folder");
    let read = |name: &str| std::fs::read_to_string(report_dir.join("csv").join(name)).unwrap();
    assert_eq!(header_of(&read("promises.csv")), header_of(&promises));
    assert_eq!(header_of(&read("hotspots.csv")), header_of(&hotspots));
    for name in ["calls.csv", "agents.csv", "items.csv"] {
        // The part of the section from "`name` —" to the next file's table.
        let marker = format!("`{name}` —");
        let start = folder.find(&marker).unwrap_or_else(|| panic!("{name}"));
        let rest = &folder[start + marker.len()..];
        let part = &rest[..rest.find("\n`").unwrap_or(rest.len())];
        let mut written = header_of(&read(name));
        if name == "calls.csv" {
            // "one column per item id": the rubric's items.
            let items = read("items.csv");
            for line in items.lines().skip(1) {
                written.remove(line.split(',').next().unwrap());
            }
        }
        assert_eq!(documented_columns(part), written, "{name}");
    }
}

#[test]
fn the_documented_manifest_columns_are_the_accepted_ones() {
    let documented = documented_columns(&section(&readme(), "## Input: the manifest CSV"));
    let accepted: BTreeSet<String> = callqa::pipeline::manifest::MANIFEST_COLUMNS
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(documented, accepted);
}

/// GitHub's anchor for a heading: lower case, spaces to `-`, punctuation other than `-` and `_`
/// dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut in_code = false;
    let mut found = BTreeSet::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if !in_code && line.starts_with('#') {
            found.insert(slug(line.trim_start_matches('#')));
        }
    }
    found
}

#[test]
fn the_readmes_links_lead_somewhere() {
    for doc in ["README.md", "models/README.md", "docs/benchmarks.md"] {
        let path = root().join(doc);
        let text = std::fs::read_to_string(&path).unwrap();
        let base = path.parent().unwrap();
        let mut checked = 0;
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let target = &rest[..rest.find(')').unwrap()];
            if target.starts_with("http") {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let file_path = if file.is_empty() {
                path.clone()
            } else {
                base.join(file)
            };
            assert!(file_path.exists(), "{doc}: link to {target}: no such file");
            if !anchor.is_empty() {
                let linked = std::fs::read_to_string(&file_path).unwrap();
                assert!(
                    anchors(&linked).contains(anchor),
                    "{doc}: link to {target}: no such heading"
                );
            }
            checked += 1;
        }
        assert!(checked > 0, "{doc}");
    }
}
