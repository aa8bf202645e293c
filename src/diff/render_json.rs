//! `callqa diff --format json`: one JSON object for machines. Field names,
//! ids and verdict strings (pass/fail/na/review) are the same in every
//! language; only `reason` follows `--lang`. Ordering is deterministic:
//! `flips` by call id, file, then item order (the new rubric's items, then
//! removed ones); `outcome_changes` by call id; `agents` by agent id.
//!
//! ```json
//! {"old": {…}, "new": {…}, "calls": 120, "errors": [],
//!  "summary": {"flips": 7, "calls_with_flips": 5, "outcome_changes": 2, …},
//!  "items": [{"id": "greeting", "status": "both", "flips": 3, "directions": {…}, …}],
//!  "outcome_changes": [{"call_id": …, "old_score": 86.7, "new_score": 70.0, …}],
//!  "score_delta": {"mean": -1.2, …, "histogram": […]},
//!  "agents": [{"agent_id": "A017", …}],
//!  "flips": [{"call_id": "…", "item": "greeting", "old": "pass", "new": "fail", …}]}
//! ```

use std::io::{self, Write};

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{json, Map, Value};

use super::{bucket_label, Diff, Direction, Distribution, Flip, RubricInfo, VERDICTS};
use crate::i18n::Lang;
use crate::score::ItemResult;

fn rubric(info: &RubricInfo) -> Value {
    json!({
        "origin": info.origin,
        "id": info.id,
        "version": info.version,
        "sha256": info.sha256,
        "pass_score": info.pass_score,
    })
}

fn verdict_counts(counts: &[usize; 4]) -> Value {
    let mut m = Map::new();
    for (v, n) in VERDICTS.iter().zip(counts) {
        m.insert(v.as_str().into(), json!(n));
    }
    Value::Object(m)
}

fn distribution(d: &Distribution) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("calls".into(), json!(d.calls));
    m.insert("changed".into(), json!(d.changed));
    m.insert("mean".into(), json!(d.mean));
    m.insert("min".into(), json!(d.min));
    m.insert("p5".into(), json!(d.p5));
    m.insert("median".into(), json!(d.median));
    m.insert("p95".into(), json!(d.p95));
    m.insert("max".into(), json!(d.max));
    m
}

fn result(item: &ItemResult, lang: Lang) -> Value {
    json!({
        "verdict": item.verdict.as_str(),
        "points": item.points,
        "max_points": item.max_points,
        "reason": item.reason_in(lang),
        "evidence": item.evidence,
    })
}

fn flip(f: &Flip, lang: Lang) -> Value {
    let mut m = Map::new();
    m.insert("call_id".into(), json!(f.call_id));
    m.insert("item".into(), json!(f.item));
    m.insert("old".into(), json!(f.old.verdict.as_str()));
    m.insert("new".into(), json!(f.new.verdict.as_str()));
    m.insert("direction".into(), json!(f.direction().key()));
    m.insert("file".into(), json!(f.file.display().to_string()));
    m.insert("agent_id".into(), json!(f.agent_id));
    m.insert("golden".into(), json!(f.golden));
    if let Some(e) = f.expected {
        m.insert("expected".into(), json!(e.as_str()));
    }
    m.insert("old_result".into(), result(&f.old, lang));
    m.insert("new_result".into(), result(&f.new, lang));
    Value::Object(m)
}

/// The report as one JSON value.
pub fn to_value(diff: &Diff, fail_on: usize, lang: Lang) -> Value {
    let mut m = aggregates(diff, fail_on, lang);
    m.insert(
        "flips".into(),
        Value::Array(diff.flips.iter().map(|f| flip(f, lang)).collect()),
    );
    Value::Object(m)
}

/// The report but `flips`, which [`write`] streams one at a time (a large
/// corpus can have tens of thousands, each with evidence on both sides).
fn aggregates(diff: &Diff, fail_on: usize, lang: Lang) -> Map<String, Value> {
    let mut directions = Map::new();
    for d in Direction::ALL {
        directions.insert(d.key().into(), json!(diff.count(d)));
    }
    let items: Vec<Value> = diff
        .items
        .iter()
        .map(|s| {
            let mut m = Map::new();
            m.insert("id".into(), json!(s.id));
            m.insert("title".into(), json!(s.title.get(lang)));
            m.insert("status".into(), json!(s.side.key()));
            m.insert("flips".into(), json!(s.flips()));
            let mut dirs = Map::new();
            for d in Direction::ALL {
                dirs.insert(d.key().into(), json!(s.count(d)));
            }
            m.insert("directions".into(), Value::Object(dirs));
            let mut transitions = Vec::new();
            for (o, row) in s.transitions.iter().enumerate() {
                for (n, &calls) in row.iter().enumerate() {
                    if o != n && calls > 0 {
                        transitions.push(json!({
                            "old": VERDICTS[o].as_str(),
                            "new": VERDICTS[n].as_str(),
                            "calls": calls,
                        }));
                    }
                }
            }
            m.insert("transitions".into(), Value::Array(transitions));
            m.insert("old_verdicts".into(), verdict_counts(&s.old_verdicts));
            m.insert("new_verdicts".into(), verdict_counts(&s.new_verdicts));
            Value::Object(m)
        })
        .collect();
    let outcome_changes: Vec<Value> = diff
        .outcome_changes
        .iter()
        .map(|c| {
            json!({
                "call_id": c.call_id,
                "file": c.file.display().to_string(),
                "agent_id": c.agent_id,
                "golden": c.golden,
                "old_score": c.old_score,
                "new_score": c.new_score,
                "old_passed": c.old_passed,
                "new_passed": c.new_passed,
            })
        })
        .collect();
    let mut score_delta = distribution(&diff.deltas());
    let histogram: Vec<Value> = diff
        .histogram()
        .iter()
        .enumerate()
        .map(|(i, n)| json!({"range": bucket_label(i), "calls": n}))
        .collect();
    score_delta.insert("histogram".into(), Value::Array(histogram));
    let agents: Vec<Value> = diff
        .agents
        .iter()
        .map(|(id, a)| {
            let mut m = Map::new();
            m.insert(
                "agent_id".into(),
                if id.is_empty() {
                    Value::Null
                } else {
                    json!(id)
                },
            );
            m.insert("calls".into(), json!(a.calls));
            m.insert("old_passed".into(), json!(a.old_passed));
            m.insert("new_passed".into(), json!(a.new_passed));
            m.insert("outcome_changes".into(), json!(a.outcome_changes));
            m.insert("flips".into(), json!(a.flips));
            m.insert(
                "score_delta".into(),
                Value::Object(distribution(&a.deltas())),
            );
            Value::Object(m)
        })
        .collect();
    let errors: Vec<Value> = diff
        .errors
        .iter()
        .map(|e| json!({"file": e.file.display().to_string(), "error": e.message}))
        .collect();
    let golden_flips = diff.golden_flips().count();
    let mut m = Map::new();
    m.insert("old".into(), rubric(&diff.old));
    m.insert("new".into(), rubric(&diff.new));
    m.insert("calls".into(), json!(diff.calls));
    m.insert("golden_calls".into(), json!(diff.golden_calls));
    m.insert("errors".into(), Value::Array(errors));
    m.insert(
        "summary".into(),
        json!({
            "flips": diff.flips.len(),
            "calls_with_flips": diff.calls_with_flips(),
            "outcome_changes": diff.outcome_changes.len(),
            "golden_flips": golden_flips,
            "old_passed": diff.old_passed,
            "new_passed": diff.new_passed,
            "directions": directions,
            "fail_on": fail_on,
            "regressed": diff.regressed(fail_on),
        }),
    );
    m.insert("items".into(), Value::Array(items));
    m.insert("outcome_changes".into(), Value::Array(outcome_changes));
    m.insert("score_delta".into(), Value::Object(score_delta));
    m.insert("agents".into(), Value::Array(agents));
    m
}

/// The flips, each turned into JSON only while it is written.
struct Flips<'a>(&'a [Flip], Lang);

impl Serialize for Flips<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for f in self.0 {
            seq.serialize_element(&flip(f, self.1))?;
        }
        seq.end()
    }
}

/// The aggregates, then `flips` last.
struct Report<'a>(Map<String, Value>, Flips<'a>);

impl Serialize for Report<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len() + 1))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.serialize_entry("flips", &self.1)?;
        map.end()
    }
}

/// Writes the report as pretty JSON and a newline: the same text as
/// [`to_value`] pretty-printed.
pub fn write(diff: &Diff, fail_on: usize, lang: Lang, out: &mut dyn Write) -> io::Result<()> {
    let report = Report(aggregates(diff, fail_on, lang), Flips(&diff.flips, lang));
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}
