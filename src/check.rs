//! Golden checks: fixtures are transcripts with an `expect` map of item
//! verdicts (see `fixtures/README.md`). `callqa check` scores each one and
//! reports every item whose verdict differs, with the evidence, so a rubric
//! change shows exactly which calls it flips.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::rubric::CompiledRubric;
use crate::score::{Scorecard, Verdict};
use crate::transcript::Transcript;

/// One expected-vs-actual difference.
#[derive(Debug, Clone)]
pub struct Mismatch {
    pub item: String,
    pub expected: Verdict,
    pub got: Verdict,
    pub reason: String,
    pub evidence: Vec<String>,
}

/// The result of one fixture.
#[derive(Debug, Clone)]
pub struct FixtureResult {
    pub file: PathBuf,
    pub call_id: String,
    /// Item verdicts compared.
    pub checked: usize,
    /// The expected verdicts that were compared, in fixture order.
    pub expected: Vec<(String, Verdict)>,
    pub mismatches: Vec<Mismatch>,
    /// The fixture could not be used (bad JSON, unknown item, bad verdict).
    pub error: Option<String>,
    pub scorecard: Option<Scorecard>,
}

impl FixtureResult {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.mismatches.is_empty()
    }
}

/// Totals over a check run.
#[derive(Debug, Clone, Default)]
pub struct CheckSummary {
    pub results: Vec<FixtureResult>,
}

impl CheckSummary {
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed()).count()
    }

    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }

    pub fn items_checked(&self) -> usize {
        self.results.iter().map(|r| r.checked).sum()
    }

    pub fn items_agreeing(&self) -> usize {
        self.results
            .iter()
            .map(|r| r.checked - r.mismatches.len())
            .sum()
    }

    /// Per item: (agreeing, checked).
    pub fn per_item(&self) -> BTreeMap<String, (usize, usize)> {
        let mut map: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for r in &self.results {
            for (item, _) in &r.expected {
                let wrong = r.mismatches.iter().any(|m| &m.item == item);
                let e = map.entry(item.clone()).or_default();
                e.1 += 1;
                if !wrong {
                    e.0 += 1;
                }
            }
        }
        map
    }
}

/// Runs every fixture file (folders expanded to their `*.json`, sorted).
pub fn run(rubric: &CompiledRubric, files: &[PathBuf]) -> CheckSummary {
    let results = files.par_iter().map(|f| check_fixture(rubric, f)).collect();
    CheckSummary { results }
}

fn check_fixture(rubric: &CompiledRubric, file: &Path) -> FixtureResult {
    let mut result = FixtureResult {
        file: file.to_path_buf(),
        call_id: String::new(),
        checked: 0,
        expected: Vec::new(),
        mismatches: Vec::new(),
        error: None,
        scorecard: None,
    };
    let transcript = match Transcript::from_path(file) {
        Ok(t) => t,
        Err(e) => {
            result.error = Some(crate::walk::read_problem(file).unwrap_or_else(|| e.to_string()));
            return result;
        }
    };
    result.call_id = transcript.call_id.clone();
    let Some(expect) = transcript.extra.get("expect").and_then(|v| v.as_object()) else {
        result.error = Some(format!(
            "{}: fixture has no `expect` object of item verdicts",
            file.display()
        ));
        return result;
    };
    // A call without usable speech has no verdicts to compare, but its
    // `expect` keys are still checked below so that one run reports every
    // problem of the fixture.
    let no_speech = crate::score::check_usable_speech(&transcript).err();
    let card = rubric.score(&transcript);
    let mut problems = Vec::new();
    for (item_id, value) in expect {
        let Some(expected) = value.as_str().and_then(Verdict::parse) else {
            problems.push(format!("`expect.{item_id}` is {value}, expected one of \"pass\", \"fail\", \"na\", \"review\""));
            continue;
        };
        let Some(item) = card.items.iter().find(|i| &i.id == item_id) else {
            problems.push(format!(
                "`expect.{item_id}`: rubric `{}` has no such item (items: {})",
                card.rubric,
                card.items
                    .iter()
                    .map(|i| i.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            continue;
        };
        result.checked += 1;
        result.expected.push((item_id.clone(), expected));
        if item.verdict != expected {
            result.mismatches.push(Mismatch {
                item: item_id.clone(),
                expected,
                got: item.verdict,
                reason: item.reason.clone(),
                evidence: item
                    .evidence
                    .iter()
                    .map(|e| {
                        let when = match (e.start_ms, e.end_ms) {
                            (Some(s), Some(t)) => {
                                format!("{:.1}-{:.1}s ", s as f64 / 1000.0, t as f64 / 1000.0)
                            }
                            _ => String::new(),
                        };
                        let matched = if e.matched.is_empty() {
                            String::new()
                        } else {
                            format!(" [{}]", e.matched.join("、"))
                        };
                        format!("{when}{}: {}{matched}", e.speaker, e.text)
                    })
                    .collect(),
            });
        }
    }
    if let Some(no_speech) = no_speech {
        result.checked = 0;
        result.expected.clear();
        result.mismatches.clear();
        let mut message = no_speech.in_transcript(file);
        for problem in &problems {
            message.push_str("; ");
            message.push_str(problem);
        }
        result.error = Some(message);
        return result;
    } else if !problems.is_empty() {
        result.error = Some(format!("{}: {}", file.display(), problems.join("; ")));
    }
    result.scorecard = Some(card);
    result
}

/// The human report: a block per failing fixture, then the totals.
pub fn render(summary: &CheckSummary, verbose: bool) -> String {
    let mut out = String::new();
    for r in &summary.results {
        if r.passed() {
            if verbose {
                let _ = writeln!(out, "ok    {} ({} items)", r.file.display(), r.checked);
            }
            continue;
        }
        let _ = writeln!(out, "FAIL  {} ({})", r.file.display(), r.call_id);
        if let Some(e) = &r.error {
            let _ = writeln!(out, "      error: {e}");
        }
        for m in &r.mismatches {
            let _ = writeln!(
                out,
                "      {:<20} expected {:<6} got {:<6} {}",
                m.item,
                m.expected.as_str(),
                m.got.as_str(),
                m.reason
            );
            for e in &m.evidence {
                let _ = writeln!(out, "      {:<20} │ {e}", "");
            }
        }
    }
    let checked = summary.items_checked();
    if checked > 0 {
        let _ = writeln!(
            out,
            "items: {} of {} verdicts agree ({:.1}%)",
            summary.items_agreeing(),
            checked,
            100.0 * summary.items_agreeing() as f64 / checked as f64
        );
    }
    let _ = writeln!(
        out,
        "{} passed, {} failed",
        summary.passed(),
        summary.failed()
    );
    out
}

/// Per-item agreement table.
pub fn render_items(summary: &CheckSummary) -> String {
    let mut out = String::new();
    for (item, (ok, n)) in summary.per_item() {
        let _ = writeln!(
            out,
            "  {item:<20} {ok:>3}/{n:<3} {:>5.1}%",
            100.0 * ok as f64 / n.max(1) as f64
        );
    }
    out
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// JUnit XML: one test suite, one test case per fixture and item.
pub fn junit(summary: &CheckSummary) -> String {
    let mut cases = String::new();
    let mut tests = 0;
    let mut failures = 0;
    let mut errors = 0;
    for r in &summary.results {
        let class = xml_escape(&r.file.display().to_string());
        if let Some(e) = &r.error {
            tests += 1;
            errors += 1;
            let _ = writeln!(
                cases,
                "    <testcase classname=\"{class}\" name=\"fixture\"><error message=\"{}\"/></testcase>",
                xml_escape(e)
            );
        }
        for (item_id, _) in &r.expected {
            let mismatch = r.mismatches.iter().find(|m| &m.item == item_id);
            tests += 1;
            match mismatch {
                None => {
                    let _ = writeln!(
                        cases,
                        "    <testcase classname=\"{class}\" name=\"{}\"/>",
                        xml_escape(item_id)
                    );
                }
                Some(m) => {
                    failures += 1;
                    let _ = writeln!(
                        cases,
                        "    <testcase classname=\"{class}\" name=\"{}\"><failure message=\"expected {} got {}\">{}</failure></testcase>",
                        xml_escape(item_id),
                        m.expected.as_str(),
                        m.got.as_str(),
                        xml_escape(&format!("{}\n{}", m.reason, m.evidence.join("\n")))
                    );
                }
            }
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"callqa check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n{cases}  </testsuite>\n</testsuites>\n"
    )
}
