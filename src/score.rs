//! Scoring: evaluates a compiled rubric on one analysed call and builds its
//! scorecard: per item a verdict, points, a one-line reason and the evidence
//! (speaker, times, text, matched phrases). The conditions themselves are
//! evaluated by their operators ([`crate::rubric::operators`]) in the shared
//! context of [`crate::rubric::eval`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::rubric::compile::{CallView, Rule};
use crate::rubric::eval::{Context, Located, Tri};
use crate::rubric::CompiledRubric;
use crate::transcript::Transcript;

/// An item's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    Na,
    Review,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Na => "na",
            Verdict::Review => "review",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        Some(match s {
            "pass" => Verdict::Pass,
            "fail" => Verdict::Fail,
            "na" | "n/a" => Verdict::Na,
            "review" => Verdict::Review,
            _ => return None,
        })
    }
}

/// One utterance cited as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub speaker: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ms: Option<u64>,
    pub text: String,
    pub matched: Vec<String>,
}

/// One item's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    pub id: String,
    pub verdict: Verdict,
    pub points: f64,
    pub max_points: f64,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub critical: bool,
    pub evidence: Vec<Evidence>,
    pub reason: String,
}

/// One call's scorecard (PRODUCT.md contract).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    pub call_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    pub rubric: String,
    pub rubric_sha256: String,
    pub score: f64,
    pub passed: bool,
    pub critical_failed: bool,
    pub items: Vec<ItemResult>,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn one_line(parts: &[String]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for p in parts {
        if !p.is_empty() && !seen.contains(&p.as_str()) {
            seen.push(p);
        }
    }
    let mut s = seen.into_iter().take(4).collect::<Vec<_>>().join("; ");
    s = s.replace('\n', " ");
    s
}

pub use crate::rubric::eval::ActHit;

impl CompiledRubric {
    /// Scores one transcript.
    pub fn score(&self, transcript: &Transcript) -> Scorecard {
        let call = self.analyze(transcript);
        self.score_view(&call)
    }

    /// Scores an already analysed call.
    pub fn score_view(&self, call: &CallView) -> Scorecard {
        let ev = Context { rubric: self, call };
        let meta = &self.source.file.rubric;
        let mut items = Vec::with_capacity(self.items.len());
        for item in &self.items {
            let def = &item.def;
            let mut evidence_hits: Vec<Located> = Vec::new();
            let (mut verdict, mut reason) = 'verdict: {
                if let Some(applies) = &item.applies {
                    let r = ev.eval(applies);
                    match r.value {
                        Tri::True => {}
                        Tri::False => {
                            break 'verdict (
                                Verdict::Na,
                                prefixed(
                                    def.reasons.na.as_deref(),
                                    &r.out.missing,
                                    "not applicable",
                                ),
                            );
                        }
                        Tri::Unknown => {
                            let v = untimed(def.without_timestamps);
                            break 'verdict (
                                v,
                                prefixed(
                                    def.reasons.na.as_deref(),
                                    &r.out.missing,
                                    "not applicable",
                                ),
                            );
                        }
                    }
                }
                let (cond, pass_when_true) = match &item.rule {
                    Rule::PassWhen(c) => (c, true),
                    Rule::FailWhen(c) => (c, false),
                };
                let r = ev.eval(cond);
                match (r.value, pass_when_true) {
                    (Tri::Unknown, _) => {
                        (untimed(def.without_timestamps), one_line(&r.out.missing))
                    }
                    (Tri::True, true) => {
                        evidence_hits = r.out.evidence;
                        (
                            Verdict::Pass,
                            prefixed(def.reasons.pass.as_deref(), &r.out.found, ""),
                        )
                    }
                    (Tri::False, true) => {
                        evidence_hits = r.out.evidence;
                        (
                            Verdict::Fail,
                            prefixed(def.reasons.fail.as_deref(), &r.out.missing, ""),
                        )
                    }
                    (Tri::True, false) => {
                        evidence_hits = r.out.evidence;
                        (
                            Verdict::Fail,
                            prefixed(def.reasons.fail.as_deref(), &r.out.found, ""),
                        )
                    }
                    (Tri::False, false) => {
                        evidence_hits = r.out.evidence;
                        (
                            Verdict::Pass,
                            prefixed(def.reasons.pass.as_deref(), &r.out.missing, ""),
                        )
                    }
                }
            };
            if verdict == Verdict::Fail {
                let low_confidence = evidence_hits.iter().find(|h| {
                    call.utterances[h.utterance]
                        .confidence
                        .is_some_and(|c| c < meta.min_confidence)
                });
                let low_role = evidence_hits.iter().find(|h| {
                    call.utterances[h.utterance]
                        .role_confidence
                        .is_some_and(|c| c < meta.min_role_confidence)
                });
                if let Some(h) = low_confidence {
                    verdict = Verdict::Review;
                    reason = format!(
                        "low ASR confidence ({:.2}) on the evidence: {reason}",
                        call.utterances[h.utterance].confidence.unwrap_or_default()
                    );
                } else if let Some(h) = low_role {
                    verdict = Verdict::Review;
                    reason = format!(
                        "speaker role guessed with low confidence ({:.2}): {reason}",
                        call.utterances[h.utterance]
                            .role_confidence
                            .unwrap_or_default()
                    );
                }
            }
            if def.flag && verdict == Verdict::Fail {
                verdict = Verdict::Review;
            }
            let points = if verdict == Verdict::Pass {
                def.points
            } else {
                0.0
            };
            items.push(ItemResult {
                id: def.id.clone(),
                verdict,
                points,
                max_points: def.points,
                critical: def.critical,
                evidence: collect_evidence(call, &evidence_hits),
                reason,
            });
        }
        let critical_failed = items
            .iter()
            .any(|i| i.critical && i.verdict == Verdict::Fail);
        let applicable: f64 = items
            .iter()
            .filter(|i| matches!(i.verdict, Verdict::Pass | Verdict::Fail))
            .map(|i| i.max_points)
            .sum();
        let earned: f64 = items.iter().map(|i| i.points).sum();
        let score = if critical_failed {
            0.0
        } else if applicable > 0.0 {
            round1(100.0 * earned / applicable)
        } else {
            100.0
        };
        Scorecard {
            call_id: call.transcript.call_id.clone(),
            agent_id: call.transcript.agent_id.clone(),
            rubric: meta.id.clone(),
            rubric_sha256: self.source.sha256.clone(),
            score,
            passed: !critical_failed && score >= meta.pass_score,
            critical_failed,
            items,
        }
    }
}

fn untimed(v: crate::rubric::schema::UntimedVerdict) -> Verdict {
    match v {
        crate::rubric::schema::UntimedVerdict::Na => Verdict::Na,
        crate::rubric::schema::UntimedVerdict::Review => Verdict::Review,
    }
}

fn prefixed(prefix: Option<&str>, details: &[String], fallback: &str) -> String {
    let detail = one_line(details);
    match (prefix, detail.is_empty()) {
        (Some(p), false) => format!("{p}: {detail}"),
        (Some(p), true) => p.to_string(),
        (None, false) => detail,
        (None, true) => fallback.to_string(),
    }
}

fn collect_evidence(call: &CallView, hits: &[Located]) -> Vec<Evidence> {
    let mut by_utterance: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for h in hits {
        let list = by_utterance.entry(h.utterance).or_default();
        if !h.matched.is_empty() && !list.contains(&h.matched) {
            list.push(h.matched.clone());
        }
    }
    by_utterance
        .into_iter()
        .map(|(i, matched)| {
            let u = &call.utterances[i];
            let original = call.original(i);
            Evidence {
                speaker: original.speaker.clone(),
                start_ms: u.start_ms,
                end_ms: u.end_ms,
                text: original.text.clone(),
                matched,
            }
        })
        .collect()
}
