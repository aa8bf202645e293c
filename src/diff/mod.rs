//! What a rubric change does to a corpus (`callqa diff`): every call scored
//! with the old and the new rubric, and what changed between the two
//! scorecards — the verdict flips per item (with the evidence of both
//! sides), the calls whose pass/fail changes, the score deltas overall and
//! per agent, the items only one rubric has, and flips on golden fixtures
//! (transcripts with an `expect` object, see [`crate::check`]).
//!
//! A flip is exactly a verdict change between what `callqa score` gives with
//! the old rubric and with the new one, item by item (items in both
//! rubrics): each call is read, checked for usable speech and redacted the
//! way `callqa score` does it, for each rubric. When the two rubrics analyse
//! text identically ([`CompiledRubric::shares_analysis`]) and redact alike,
//! each call is normalised and segmented once and both rubrics evaluate the
//! same analysis ([`CompiledRubric::reuse_analysis`]); otherwise each rubric
//! analyses it on its own.
//!
//! Calls are scored in parallel (rayon); only what the report needs is kept
//! per call (verdict codes, scores, the flips with their two item results),
//! never whole scorecards, so 100,000 calls fit in little memory. The
//! result is a function of the inputs in their given order.
//!
//! Submodules: [`corpus`] finds the inputs (transcripts, `callqa run`
//! folders) and reads an old rubric from git history; [`render_text`],
//! [`render_json`] and [`render_markdown`] write the report.

pub mod corpus;
pub mod render_json;
pub mod render_markdown;
pub mod render_text;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::i18n::Text;
use crate::redact::Policy;
use crate::rubric::compile::CallView;
use crate::rubric::CompiledRubric;
use crate::score::{ItemResult, Scorecard, Verdict};
use crate::transcript::Transcript;

/// The four verdicts in a fixed order (index = code used in this module).
pub const VERDICTS: [Verdict; 4] = [Verdict::Pass, Verdict::Fail, Verdict::Na, Verdict::Review];

fn code(v: Verdict) -> u8 {
    match v {
        Verdict::Pass => 0,
        Verdict::Fail => 1,
        Verdict::Na => 2,
        Verdict::Review => 3,
    }
}

/// "Absent": the item is not in that rubric.
const ABSENT: u8 = u8::MAX;

/// The two rubrics of a diff, each with the redaction `callqa score` would
/// apply with it (the rubric's own `[redact]` section).
pub struct Pair<'a> {
    pub old: &'a CompiledRubric,
    pub new: &'a CompiledRubric,
    old_redact: Policy,
    new_redact: Policy,
    /// One analysis serves both rubrics.
    shared: bool,
    /// ... and so do its phrase hits.
    same_hits: bool,
    /// The union of the items: the new rubric's in its order, then the
    /// items only the old one has, in its order; with each side's index.
    items: Vec<(String, Option<usize>, Option<usize>)>,
}

impl<'a> Pair<'a> {
    pub fn new(old: &'a CompiledRubric, new: &'a CompiledRubric) -> Pair<'a> {
        let redact = |r: &CompiledRubric| Policy::resolve(false, r.source.file.redact.as_ref());
        let (old_redact, new_redact) = (redact(old), redact(new));
        let shared = old.shares_analysis(new) && old_redact == new_redact;
        let same_hits = shared && old.shares_hits(new);
        let old_index = |id: &str| old.items.iter().position(|i| i.def.id == id);
        let mut items: Vec<(String, Option<usize>, Option<usize>)> = new
            .items
            .iter()
            .enumerate()
            .map(|(n, i)| (i.def.id.clone(), old_index(&i.def.id), Some(n)))
            .collect();
        for (o, i) in old.items.iter().enumerate() {
            if new.item(&i.def.id).is_none() {
                items.push((i.def.id.clone(), Some(o), None));
            }
        }
        Pair {
            old,
            new,
            old_redact,
            new_redact,
            shared,
            same_hits,
            items,
        }
    }

    /// True when each call is analysed once for both rubrics.
    pub fn shares_analysis(&self) -> bool {
        self.shared
    }

    /// True when the phrase hits of that one analysis serve both rubrics too.
    pub fn shares_hits(&self) -> bool {
        self.same_hits
    }

    /// Both scorecards of one call, as `callqa score` gives them with each
    /// rubric (the transcript has passed the usable-speech check). Verdicts
    /// come first, without words ([`CompiledRubric::verdicts_view`]); only
    /// a call where some verdict or the outcome changes is scored again with
    /// its reasons and evidence, which is all the report quotes. Calls
    /// that do not change keep empty reasons.
    pub fn score_both(&self, transcript: Transcript) -> (Scorecard, Scorecard) {
        if self.shared {
            let transcript = self.old_redact.transcript(transcript);
            let view = self.old.analyze(&transcript);
            let old = self.old.verdicts_view(&view);
            let view = self.as_rubric(&self.new, view);
            let new = self.new.verdicts_view(&view);
            if !changes(&old, &new) {
                return (old, new);
            }
            let new = self.new.score_view(&view);
            let view = self.as_rubric(&self.old, view);
            (self.old.score_view(&view), new)
        } else {
            let old_transcript = self.old_redact.transcript(transcript.clone());
            let new_transcript = self.new_redact.transcript(transcript);
            let old_view = self.old.analyze(&old_transcript);
            let new_view = self.new.analyze(&new_transcript);
            let old = self.old.verdicts_view(&old_view);
            let new = self.new.verdicts_view(&new_view);
            if !changes(&old, &new) {
                return (old, new);
            }
            (
                self.old.score_view(&old_view),
                self.new.score_view(&new_view),
            )
        }
    }

    /// One rubric's view of a call analysed for the other (they share the
    /// analysis, and the hits too when `same_hits`).
    fn as_rubric<'t>(&self, rubric: &CompiledRubric, view: CallView<'t>) -> CallView<'t> {
        if self.same_hits {
            rubric.reuse_hits(view)
        } else {
            rubric.reuse_analysis(view)
        }
    }

    /// Compares one call: what the report keeps of it.
    pub fn compare(&self, file: &Path, transcript: Transcript) -> CallDiff {
        let expect = golden_expectations(&transcript);
        let (old, new) = self.score_both(transcript);
        let mut verdicts = Vec::with_capacity(self.items.len());
        let mut flips = Vec::new();
        for (id, o, n) in &self.items {
            let old_item = o.and_then(|o| old.items.get(o)).filter(|i| &i.id == id);
            let new_item = n.and_then(|n| new.items.get(n)).filter(|i| &i.id == id);
            // Items are scored in rubric order, one result each; look the
            // id up when that ever stops holding.
            let old_item = old_item.or_else(|| o.and(old.items.iter().find(|i| &i.id == id)));
            let new_item = new_item.or_else(|| n.and(new.items.iter().find(|i| &i.id == id)));
            let pair = (
                old_item.map_or(ABSENT, |i| code(i.verdict)),
                new_item.map_or(ABSENT, |i| code(i.verdict)),
            );
            verdicts.push(pair);
            if let (Some(a), Some(b)) = (old_item, new_item) {
                if a.verdict != b.verdict {
                    flips.push(Flip {
                        call_id: old.call_id.clone(),
                        file: file.to_path_buf(),
                        agent_id: old.agent_id.clone(),
                        item: id.clone(),
                        old: a.clone(),
                        new: b.clone(),
                        golden: expect.is_some(),
                        expected: expect.as_ref().and_then(|e| e.get(id).copied()),
                    });
                }
            }
        }
        CallDiff {
            call_id: old.call_id,
            file: file.to_path_buf(),
            agent_id: old.agent_id,
            golden: expect.is_some(),
            old_score: old.score,
            new_score: new.score,
            old_passed: old.passed,
            new_passed: new.passed,
            verdicts,
            flips,
        }
    }

    /// Reads `file` the way `callqa score` does and compares the call; the
    /// error is the message `callqa score` would print for it.
    pub fn compare_file(&self, file: &Path) -> Result<CallDiff, String> {
        let transcript = Transcript::from_path(file)
            .map_err(|e| crate::walk::read_problem(file).unwrap_or_else(|| e.to_string()))?;
        crate::score::check_usable_speech(&transcript).map_err(|e| e.in_transcript(file))?;
        Ok(self.compare(file, transcript))
    }

    /// Compares every file (in parallel; `jobs` = 0 uses rayon's default
    /// pool) and sums up. One bad file is an error entry; the rest go on.
    pub fn diff_files(&self, files: &[PathBuf], jobs: usize) -> Diff {
        let work = || -> Vec<Result<CallDiff, String>> {
            files.par_iter().map(|f| self.compare_file(f)).collect()
        };
        let results = if jobs == 0 {
            work()
        } else {
            match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
                Ok(pool) => pool.install(work),
                Err(_) => work(),
            }
        };
        let mut diff = self.empty_diff();
        for (file, result) in files.iter().zip(results) {
            match result {
                Ok(call) => diff.add(call),
                Err(message) => diff.errors.push(InputError {
                    file: file.clone(),
                    message,
                }),
            }
        }
        diff.finish();
        diff
    }

    /// A diff of no calls yet: add calls with [`Diff::add`], then
    /// [`Diff::finish`].
    pub fn empty_diff(&self) -> Diff {
        let title = |r: &CompiledRubric, i: usize| r.items[i].def.title.clone();
        let items = self
            .items
            .iter()
            .map(|(id, o, n)| ItemSummary {
                id: id.clone(),
                title: n
                    .map(|n| title(self.new, n))
                    .or_else(|| o.map(|o| title(self.old, o)))
                    .unwrap_or_default(),
                side: match (o, n) {
                    (Some(_), Some(_)) => Side::Both,
                    (Some(_), None) => Side::OldOnly,
                    _ => Side::NewOnly,
                },
                transitions: [[0; 4]; 4],
                old_verdicts: [0; 4],
                new_verdicts: [0; 4],
            })
            .collect();
        Diff {
            old: RubricInfo::of(self.old),
            new: RubricInfo::of(self.new),
            shared_analysis: self.shared,
            calls: 0,
            golden_calls: 0,
            errors: Vec::new(),
            items,
            flips: Vec::new(),
            outcome_changes: Vec::new(),
            old_passed: 0,
            new_passed: 0,
            deltas: Vec::new(),
            agents: BTreeMap::new(),
        }
    }
}

/// The `expect` verdicts of a golden fixture; `None` for other transcripts.
fn golden_expectations(transcript: &Transcript) -> Option<BTreeMap<String, Verdict>> {
    let expect = transcript.extra.get("expect")?.as_object()?;
    Some(
        expect
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str().and_then(Verdict::parse)?)))
            .collect(),
    )
}

/// What is kept of one call.
#[derive(Debug, Clone)]
pub struct CallDiff {
    pub call_id: String,
    pub file: PathBuf,
    pub agent_id: Option<String>,
    /// The transcript carries an `expect` object (a golden fixture).
    pub golden: bool,
    pub old_score: f64,
    pub new_score: f64,
    pub old_passed: bool,
    pub new_passed: bool,
    /// Per item of the pair (union order): (old, new) verdict codes.
    verdicts: Vec<(u8, u8)>,
    pub flips: Vec<Flip>,
}

/// One item whose verdict differs between the two scorecards of a call.
#[derive(Debug, Clone)]
pub struct Flip {
    pub call_id: String,
    pub file: PathBuf,
    pub agent_id: Option<String>,
    pub item: String,
    /// The item's result with the old rubric (verdict, reason, evidence).
    pub old: ItemResult,
    pub new: ItemResult,
    /// The call is a golden fixture (its transcript has `expect`).
    pub golden: bool,
    /// On a golden fixture: the verdict its `expect` gives the item.
    pub expected: Option<Verdict>,
}

impl Flip {
    pub fn direction(&self) -> Direction {
        Direction::of(self.old.verdict, self.new.verdict)
    }
}

/// The direction classes a report counts flips in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Direction {
    PassToFail,
    FailToPass,
    /// Anything → na.
    ToNa,
    /// Anything → review.
    ToReview,
    /// na or review → pass or fail.
    Other,
}

impl Direction {
    pub const ALL: [Direction; 5] = [
        Direction::PassToFail,
        Direction::FailToPass,
        Direction::ToNa,
        Direction::ToReview,
        Direction::Other,
    ];

    pub fn of(old: Verdict, new: Verdict) -> Direction {
        match (old, new) {
            (Verdict::Pass, Verdict::Fail) => Direction::PassToFail,
            (Verdict::Fail, Verdict::Pass) => Direction::FailToPass,
            (_, Verdict::Na) => Direction::ToNa,
            (_, Verdict::Review) => Direction::ToReview,
            _ => Direction::Other,
        }
    }

    /// Stable machine name (JSON).
    pub fn key(self) -> &'static str {
        match self {
            Direction::PassToFail => "pass_to_fail",
            Direction::FailToPass => "fail_to_pass",
            Direction::ToNa => "to_na",
            Direction::ToReview => "to_review",
            Direction::Other => "other",
        }
    }

    /// Column heading for a person.
    pub fn label(self, lang: crate::i18n::Lang) -> &'static str {
        match self {
            Direction::PassToFail => lang.pick("通过→未通过", "pass→fail"),
            Direction::FailToPass => lang.pick("未通过→通过", "fail→pass"),
            Direction::ToNa => lang.pick("→不适用", "→n/a"),
            Direction::ToReview => lang.pick("→待复核", "→review"),
            Direction::Other => lang.pick("其他", "other"),
        }
    }
}

/// Which rubrics have an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Both,
    OldOnly,
    NewOnly,
}

impl Side {
    pub fn key(self) -> &'static str {
        match self {
            Side::Both => "both",
            Side::OldOnly => "removed",
            Side::NewOnly => "added",
        }
    }
}

/// Per item: how its verdicts moved.
#[derive(Debug, Clone)]
pub struct ItemSummary {
    pub id: String,
    /// From the new rubric (the old one for a removed item).
    pub title: Text,
    pub side: Side,
    /// `transitions[old][new]`: calls (indices per [`VERDICTS`]); only for
    /// items in both rubrics.
    pub transitions: [[usize; 4]; 4],
    /// Verdict counts with each rubric (zero for the side without the item).
    pub old_verdicts: [usize; 4],
    pub new_verdicts: [usize; 4],
}

impl ItemSummary {
    /// Flips of this item in `direction`.
    pub fn count(&self, direction: Direction) -> usize {
        let mut n = 0;
        for (o, row) in self.transitions.iter().enumerate() {
            for (k, &calls) in row.iter().enumerate() {
                if o != k && Direction::of(VERDICTS[o], VERDICTS[k]) == direction {
                    n += calls;
                }
            }
        }
        n
    }

    /// Every flip of this item.
    pub fn flips(&self) -> usize {
        Direction::ALL.iter().map(|&d| self.count(d)).sum()
    }
}

/// A call whose pass/fail changed.
#[derive(Debug, Clone)]
pub struct OutcomeChange {
    pub call_id: String,
    pub file: PathBuf,
    pub agent_id: Option<String>,
    pub golden: bool,
    pub old_score: f64,
    pub new_score: f64,
    pub old_passed: bool,
    pub new_passed: bool,
}

/// A file that could not be compared, with the message naming the fix.
#[derive(Debug, Clone)]
pub struct InputError {
    pub file: PathBuf,
    pub message: String,
}

/// What the report says about a rubric.
#[derive(Debug, Clone)]
pub struct RubricInfo {
    pub origin: String,
    pub id: String,
    pub version: String,
    pub sha256: String,
    pub pass_score: f64,
}

impl RubricInfo {
    fn of(r: &CompiledRubric) -> RubricInfo {
        let meta = &r.source.file.rubric;
        RubricInfo {
            origin: r.source.origin.clone(),
            id: meta.id.clone(),
            version: meta.version.clone(),
            sha256: r.source.sha256.clone(),
            pass_score: meta.pass_score,
        }
    }
}

/// Per agent: the calls and their score deltas.
#[derive(Debug, Clone, Default)]
pub struct AgentTally {
    pub calls: usize,
    pub old_passed: usize,
    pub new_passed: usize,
    pub outcome_changes: usize,
    pub flips: usize,
    deltas: Vec<f64>,
}

impl AgentTally {
    pub fn deltas(&self) -> Distribution {
        Distribution::of(&self.deltas)
    }
}

/// A summary of score deltas (new − old).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Distribution {
    pub calls: usize,
    /// Calls whose score changed.
    pub changed: usize,
    pub mean: f64,
    pub min: f64,
    pub p5: f64,
    pub median: f64,
    pub p95: f64,
    pub max: f64,
}

impl Distribution {
    fn of(deltas: &[f64]) -> Distribution {
        let mut sorted = deltas.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        // Nearest rank: an actual delta, never an interpolated one.
        let rank = |p: f64| -> f64 {
            if n == 0 {
                0.0
            } else {
                sorted[((p * n as f64).ceil() as usize).clamp(1, n) - 1]
            }
        };
        let sum: f64 = sorted.iter().sum();
        Distribution {
            calls: n,
            changed: sorted.iter().filter(|d| d.abs() > 1e-9).count(),
            mean: if n == 0 { 0.0 } else { round1(sum / n as f64) },
            min: rank(0.0),
            p5: rank(0.05),
            median: rank(0.5),
            p95: rank(0.95),
            max: sorted.last().copied().unwrap_or(0.0),
        }
    }
}

/// Histogram buckets of score deltas: (lower bound inclusive, upper
/// exclusive); zero is its own bucket.
pub const BUCKETS: [(f64, f64); 9] = [
    (f64::NEG_INFINITY, -20.0),
    (-20.0, -10.0),
    (-10.0, -5.0),
    (-5.0, 0.0),
    (0.0, 0.0),
    (0.0, 5.0),
    (5.0, 10.0),
    (10.0, 20.0),
    (20.0, f64::INFINITY),
];

/// The bucket label, e.g. `-10…-5`, `0`, `≥20`.
pub fn bucket_label(i: usize) -> String {
    let (lo, hi) = BUCKETS[i];
    if lo == f64::NEG_INFINITY {
        format!("<{hi}")
    } else if hi == f64::INFINITY {
        format!("≥{lo}")
    } else if lo == hi {
        "0".into()
    } else if lo == 0.0 {
        format!("(0, {hi})")
    } else {
        format!("[{lo}, {hi})")
    }
}

fn bucket_of(delta: f64) -> usize {
    if delta.abs() <= 1e-9 {
        return 4;
    }
    BUCKETS
        .iter()
        .position(|&(lo, hi)| lo != hi && delta >= lo && delta < hi)
        .unwrap_or(if delta < 0.0 { 0 } else { 8 })
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The whole comparison.
#[derive(Debug, Clone)]
pub struct Diff {
    pub old: RubricInfo,
    pub new: RubricInfo,
    /// Each call was analysed once for both rubrics.
    pub shared_analysis: bool,
    /// Calls compared (errors not counted).
    pub calls: usize,
    pub golden_calls: usize,
    pub errors: Vec<InputError>,
    /// The new rubric's items in order, then the removed ones.
    pub items: Vec<ItemSummary>,
    /// Sorted by call id, file, then item order.
    pub flips: Vec<Flip>,
    /// Sorted by call id, then file.
    pub outcome_changes: Vec<OutcomeChange>,
    pub old_passed: usize,
    pub new_passed: usize,
    deltas: Vec<f64>,
    /// By agent id (`""` when the transcript names none).
    pub agents: BTreeMap<String, AgentTally>,
}

impl Diff {
    /// Adds one compared call.
    pub fn add(&mut self, call: CallDiff) {
        self.calls += 1;
        self.golden_calls += usize::from(call.golden);
        self.old_passed += usize::from(call.old_passed);
        self.new_passed += usize::from(call.new_passed);
        for (summary, &(o, n)) in self.items.iter_mut().zip(&call.verdicts) {
            if o != ABSENT {
                summary.old_verdicts[o as usize] += 1;
            }
            if n != ABSENT {
                summary.new_verdicts[n as usize] += 1;
            }
            if o != ABSENT && n != ABSENT {
                summary.transitions[o as usize][n as usize] += 1;
            }
        }
        let delta = round1(call.new_score - call.old_score);
        self.deltas.push(delta);
        let agent = self
            .agents
            .entry(call.agent_id.clone().unwrap_or_default())
            .or_default();
        agent.calls += 1;
        agent.old_passed += usize::from(call.old_passed);
        agent.new_passed += usize::from(call.new_passed);
        agent.flips += call.flips.len();
        agent.deltas.push(delta);
        if call.old_passed != call.new_passed {
            agent.outcome_changes += 1;
            self.outcome_changes.push(OutcomeChange {
                call_id: call.call_id,
                file: call.file,
                agent_id: call.agent_id,
                golden: call.golden,
                old_score: call.old_score,
                new_score: call.new_score,
                old_passed: call.old_passed,
                new_passed: call.new_passed,
            });
        }
        self.flips.extend(call.flips);
    }

    /// Puts flips and changed calls in their report order.
    pub fn finish(&mut self) {
        let order: BTreeMap<&str, usize> = self
            .items
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let mut keyed: Vec<(usize, Flip)> = std::mem::take(&mut self.flips)
            .into_iter()
            .map(|f| (order.get(f.item.as_str()).copied().unwrap_or(usize::MAX), f))
            .collect();
        keyed.sort_by(|(a, x), (b, y)| (&x.call_id, &x.file, a).cmp(&(&y.call_id, &y.file, b)));
        self.flips = keyed.into_iter().map(|(_, f)| f).collect();
        self.outcome_changes
            .sort_by(|x, y| (&x.call_id, &x.file).cmp(&(&y.call_id, &y.file)));
    }

    /// Score deltas (new − old) over every compared call.
    pub fn deltas(&self) -> Distribution {
        Distribution::of(&self.deltas)
    }

    /// Calls per [`BUCKETS`] entry.
    pub fn histogram(&self) -> [usize; 9] {
        let mut h = [0; 9];
        for &d in &self.deltas {
            h[bucket_of(d)] += 1;
        }
        h
    }

    /// Flips on golden fixtures (each a regression for `--fail-on`).
    pub fn golden_flips(&self) -> impl Iterator<Item = &Flip> {
        self.flips.iter().filter(|f| f.golden)
    }

    /// Calls with at least one flip.
    pub fn calls_with_flips(&self) -> usize {
        let mut n = 0;
        let mut last: Option<(&str, &Path)> = None;
        for f in &self.flips {
            let key = (f.call_id.as_str(), f.file.as_path());
            if last != Some(key) {
                n += 1;
                last = Some(key);
            }
        }
        n
    }

    /// Whether `callqa diff` fails: more than `fail_on` calls change
    /// pass/fail, or any golden fixture flips.
    pub fn regressed(&self, fail_on: usize) -> bool {
        self.outcome_changes.len() > fail_on || self.golden_flips().next().is_some()
    }
}

impl ItemSummary {
    /// How a person sees the item, as [`crate::report::ItemTitles::label`]
    /// writes it: `开场问候（greeting）` / `Greeting (greeting)`.
    pub fn label(&self, lang: crate::i18n::Lang) -> String {
        let title = self.title.get(lang);
        if title.is_empty() || title == self.id {
            return self.id.clone();
        }
        lang.pick(
            format!("{title}（{}）", self.id),
            format!("{title} ({})", self.id),
        )
    }
}

impl Diff {
    /// The summary of item `id`.
    pub fn item(&self, id: &str) -> Option<&ItemSummary> {
        self.items.iter().find(|s| s.id == id)
    }

    /// Flips in `direction`, over every item.
    pub fn count(&self, direction: Direction) -> usize {
        self.items.iter().map(|s| s.count(direction)).sum()
    }
}

/// True when a call's verdicts or outcome differ between the two rubrics
/// (an item of one rubric only counts as no change: it is not a flip).
fn changes(old: &Scorecard, new: &Scorecard) -> bool {
    old.passed != new.passed
        || old.items.iter().any(|o| {
            new.items
                .iter()
                .find(|n| n.id == o.id)
                .is_some_and(|n| n.verdict != o.verdict)
        })
}
