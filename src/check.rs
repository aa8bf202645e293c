//! Golden checks: fixtures are transcripts with an `expect` map of item
//! verdicts (see `fixtures/README.md`). `callqa check` scores each one and
//! reports every item whose verdict differs, with the evidence, so a rubric
//! change shows exactly which calls it flips.
//!
//! The report a person reads ([`render`], [`render_items`]) is in the
//! chosen language. What CI systems parse never changes with it: the last
//! line `N passed, N failed`, and the JUnit XML ([`junit`]). For GitHub
//! Actions, [`github`] turns each failing item into a workflow-command
//! annotation on the rubric line that defines the item.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::evidence::Evidence;
use crate::i18n::Lang;
use crate::report::{
    display_width, evidence_line, pad, verdict_word, visible, visible_lines, ItemTitles,
};
use crate::rubric::CompiledRubric;
use crate::score::{Scorecard, Verdict};
use crate::transcript::Transcript;

/// One expected-vs-actual difference.
#[derive(Debug, Clone)]
pub struct Mismatch {
    pub item: String,
    pub expected: Verdict,
    pub got: Verdict,
    /// Why the scorer said `got`, in Chinese and in English.
    pub reason: String,
    pub reason_en: String,
    pub evidence: Vec<Evidence>,
}

impl Mismatch {
    fn reason_in(&self, lang: Lang) -> &str {
        match lang {
            Lang::En if !self.reason_en.is_empty() => &self.reason_en,
            _ => &self.reason,
        }
    }
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
    /// The rubric's item titles, for the report a person reads.
    pub titles: ItemTitles,
    /// The rubric file as given (relative to the working directory when it
    /// lies below it), for annotations that point into it.
    pub rubric_file: String,
    /// Per item id: the 1-based line of its `id = "…"` in the rubric file.
    pub item_lines: BTreeMap<String, usize>,
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
    CheckSummary {
        results,
        titles: ItemTitles::of(rubric),
        rubric_file: relative_to_cwd(Path::new(&rubric.source.origin)),
        item_lines: item_lines(&rubric.source),
    }
}

/// Where each item's `id = "…"` is written in the rubric text. An item
/// whose id cannot be found (only a rubric built in code) has no line.
fn item_lines(source: &crate::rubric::RubricSource) -> BTreeMap<String, usize> {
    use crate::rubric::{line_column, Locator, Step};
    let locator = Locator::new(&source.text);
    source
        .file
        .items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let at = locator.find(&[Step::Key("item"), Step::Index(i), Step::Key("id")])?;
            Some((item.id.clone(), line_column(&source.text, at.key.start).0))
        })
        .collect()
}

/// `path` as given, or relative to the working directory when it is an
/// absolute path below it: GitHub resolves annotation files against the
/// checkout, which is where CI runs.
fn relative_to_cwd(path: &Path) -> String {
    if path.is_absolute() {
        if let Some(rel) = std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        {
            if !rel.as_os_str().is_empty() {
                return rel.display().to_string();
            }
        }
    }
    path.display().to_string()
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
                reason_en: item.reason_en.clone(),
                evidence: item.evidence.clone(),
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

/// The human report in `lang`: a block per failing fixture, then the
/// totals. Its last line, `N passed, N failed`, is the same in every
/// language (CI scripts read it).
pub fn render_in(summary: &CheckSummary, verbose: bool, lang: Lang) -> String {
    let mut out = String::new();
    // Mismatch lines put the item in a column as wide as the widest label.
    let labels: BTreeMap<&str, String> = summary
        .results
        .iter()
        .flat_map(|r| &r.mismatches)
        .map(|m| {
            let label = visible(&summary.titles.label(&m.item, lang)).into_owned();
            (m.item.as_str(), label)
        })
        .collect();
    let columns = labels
        .values()
        .map(|l| display_width(l))
        .max()
        .unwrap_or(0)
        .max(20);
    for r in &summary.results {
        let file = r.file.display().to_string();
        let file = visible(&file);
        if r.passed() {
            if verbose {
                let _ = match lang {
                    Lang::Zh => writeln!(out, "通过    {file}（{} 项）", r.checked),
                    Lang::En => writeln!(
                        out,
                        "ok      {file} ({})",
                        crate::batch::count_en(r.checked, "item", "items")
                    ),
                };
            }
            continue;
        }
        let call = visible(&r.call_id);
        let _ = match (lang, call.is_empty()) {
            (Lang::Zh, false) => writeln!(out, "未通过  {file}（通话 {call}）"),
            (Lang::Zh, true) => writeln!(out, "未通过  {file}"),
            (Lang::En, false) => writeln!(out, "FAIL    {file} (call {call})"),
            (Lang::En, true) => writeln!(out, "FAIL    {file}"),
        };
        if let Some(e) = &r.error {
            let _ = writeln!(
                out,
                "        {}{}",
                lang.pick("出错：", "error: "),
                visible(e)
            );
        }
        for m in &r.mismatches {
            let label = pad(&labels[m.item.as_str()], columns);
            let expected = verdict_word(m.expected, lang);
            let got = verdict_word(m.got, lang);
            let reason = visible(m.reason_in(lang));
            let _ = match lang {
                Lang::Zh => writeln!(out, "        {label}  应为{expected}，实为{got}：{reason}"),
                Lang::En => writeln!(
                    out,
                    "        {label}  expected {} got {}: {reason}",
                    m.expected.as_str(),
                    m.got.as_str()
                ),
            };
            for e in &m.evidence {
                let _ = writeln!(
                    out,
                    "        {}  │ {}",
                    pad("", columns),
                    evidence_line(e, lang)
                );
            }
        }
    }
    let checked = summary.items_checked();
    if checked > 0 {
        let agreeing = summary.items_agreeing();
        let percent = 100.0 * agreeing as f64 / checked as f64;
        let _ = match lang {
            Lang::Zh => writeln!(
                out,
                "条目判定：{checked} 条中 {agreeing} 条与预期一致（{percent:.1}%）"
            ),
            Lang::En => writeln!(
                out,
                "items: {agreeing} of {} agree ({percent:.1}%)",
                crate::batch::count_en(checked, "verdict", "verdicts")
            ),
        };
    }
    let _ = writeln!(out, "{}", totals_line(summary));
    out
}

/// `N passed, N failed`: the last line of `callqa check`, identical in
/// every language because CI scripts parse it.
pub fn totals_line(summary: &CheckSummary) -> String {
    format!("{} passed, {} failed", summary.passed(), summary.failed())
}

/// Per-item agreement table in `lang` (item titles with their ids).
pub fn render_items_in(summary: &CheckSummary, lang: Lang) -> String {
    let per_item = summary.per_item();
    let labels: Vec<String> = per_item
        .keys()
        .map(|item| visible(&summary.titles.label(item, lang)).into_owned())
        .collect();
    let columns = labels
        .iter()
        .map(|l| display_width(l))
        .max()
        .unwrap_or(0)
        .max(20);
    let mut out = String::new();
    for ((ok, n), label) in per_item.values().zip(&labels) {
        let _ = writeln!(
            out,
            "  {} {ok:>3}/{n:<3} {:>5.1}%",
            pad(label, columns),
            100.0 * *ok as f64 / (*n).max(1) as f64
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

/// A JUnit failure's text: the reason and evidence in the default language
/// (Chinese) whatever `--lang` says, so the XML is the same in every run.
fn junit_detail(m: &Mismatch) -> String {
    let mut detail = m.reason.clone();
    for e in &m.evidence {
        detail.push('\n');
        detail.push_str(&evidence_line(e, Lang::default()));
    }
    detail
}

/// JUnit XML: one test suite, one test case per fixture and item; the
/// same in every language.
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
                        xml_escape(&junit_detail(m))
                    );
                }
            }
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"callqa check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n{cases}  </testsuite>\n</testsuites>\n"
    )
}

/// GitHub's escaping of a workflow command's message (`toolkit`'s
/// `escapeData`): a `%` or a line break would end or corrupt the command.
fn github_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping of a workflow command's property value
/// (`escapeProperty`): also `:` and `,`, which separate properties.
fn github_property(s: &str) -> String {
    github_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions annotations, one line per failing item:
/// `::error file=RUBRIC,line=N,title=…::…` where line N is the item's
/// `id = "…"` in the rubric file, and the message names the fixture, the
/// item, the expected and the actual verdict, the scorer's reason and the
/// evidence (in `lang`). A fixture that could not be used is annotated on
/// the fixture file itself. Empty when everything passed.
pub fn github(summary: &CheckSummary, lang: Lang) -> String {
    let mut out = String::new();
    for r in &summary.results {
        let fixture = relative_to_cwd(&r.file);
        if let Some(e) = &r.error {
            let _ = writeln!(
                out,
                "::error file={}::{}",
                github_property(&visible(&fixture)),
                github_data(&visible_lines(e))
            );
        }
        for m in &r.mismatches {
            let label = summary.titles.label(&m.item, lang);
            let (expected, got) = match lang {
                Lang::Zh => (verdict_word(m.expected, lang), verdict_word(m.got, lang)),
                Lang::En => (m.expected.as_str(), m.got.as_str()),
            };
            let title = match lang {
                Lang::Zh => format!("{label}：应为{expected}，实为{got}"),
                Lang::En => format!("{label}: expected {expected}, got {got}"),
            };
            let call = &r.call_id;
            let mut message = match (lang, call.is_empty()) {
                (Lang::Zh, false) => format!("{fixture}（通话 {call}）："),
                (Lang::Zh, true) => format!("{fixture}："),
                (Lang::En, false) => format!("{fixture} (call {call}): "),
                (Lang::En, true) => format!("{fixture}: "),
            };
            let reason = m.reason_in(lang);
            let _ = match lang {
                Lang::Zh => write!(message, "{label}应为{expected}，实为{got}：{reason}"),
                Lang::En => write!(message, "{label} expected {expected} got {got}: {reason}"),
            };
            for e in &m.evidence {
                message.push('\n');
                message.push_str(&evidence_line(e, lang));
            }
            let mut properties =
                format!("file={}", github_property(&visible(&summary.rubric_file)));
            if let Some(line) = summary.item_lines.get(&m.item) {
                let _ = write!(properties, ",line={line}");
            }
            let _ = writeln!(
                out,
                "::error {properties},title={}::{}",
                github_property(&visible(&title)),
                github_data(&visible_lines(&message))
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escaping_follows_the_toolkit() {
        assert_eq!(github_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(github_property("C:\\x,y%\n"), "C%3A\\x%2Cy%25%0A");
    }
}
