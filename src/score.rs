//! Scoring: evaluates a compiled rubric on one analysed call and builds its
//! scorecard: per item a verdict, points, a one-line reason and the evidence
//! (speaker, times, text, matched phrases).
//!
//! Conditions are three-valued: a timing condition on a call without
//! timestamps is `Unknown`, which the item turns into its
//! `without_timestamps` verdict instead of guessing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::rubric::compile::{CallView, Cond, Matcher, PhraseHit, Rule};
use crate::rubric::schema::{RoleScope, Scope, Window};
use crate::rubric::CompiledRubric;
use crate::text;
use crate::transcript::{Role, Transcript};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    True,
    False,
    Unknown,
}

/// A hit located in the call: utterance index and match-text char range.
#[derive(Debug, Clone, PartialEq)]
struct Located {
    utterance: usize,
    start: usize,
    end: usize,
    matched: String,
    /// Phrase id (for repetition), or u32::MAX for regex / whole-utterance hits.
    phrase: u32,
}

#[derive(Debug, Clone, Default)]
struct Outcome {
    evidence: Vec<Located>,
    /// What was found, in words.
    found: Vec<String>,
    /// What was looked for and not found, in words.
    missing: Vec<String>,
}

struct Evaluated {
    value: Tri,
    out: Outcome,
}

impl Evaluated {
    fn new(value: Tri, out: Outcome) -> Self {
        Evaluated { value, out }
    }
}

fn role_matches(scope: RoleScope, role: Role) -> bool {
    match scope {
        RoleScope::Any => role != Role::Other,
        RoleScope::Agent => role == Role::Agent,
        RoleScope::Customer => role == Role::Customer,
    }
}

fn role_word(scope: RoleScope) -> &'static str {
    match scope {
        RoleScope::Any => "anyone",
        RoleScope::Agent => "the agent",
        RoleScope::Customer => "the customer",
    }
}

fn window_words(w: &Option<Window>) -> String {
    let Some(w) = w else { return "the call".into() };
    let mut parts = Vec::new();
    if let Some(k) = w.first_turns {
        parts.push(if k == 1 {
            "the first turn".to_string()
        } else {
            format!("the first {k} turns")
        });
    }
    if let Some(k) = w.last_turns {
        parts.push(if k == 1 {
            "the last turn".to_string()
        } else {
            format!("the last {k} turns")
        });
    }
    if let Some(ms) = w.first_ms {
        parts.push(format!("the first {} s", ms as f64 / 1000.0));
    }
    if let Some(ms) = w.last_ms {
        parts.push(format!("the last {} s", ms as f64 / 1000.0));
    }
    if let Some(p) = w.first_percent {
        parts.push(format!("the first {p}% of the call"));
    }
    if let Some(p) = w.last_percent {
        parts.push(format!("the last {p}% of the call"));
    }
    parts.join(" and ")
}

fn ms(v: u64) -> String {
    format!("{:.1} s", v as f64 / 1000.0)
}

struct Evaluator<'r, 't> {
    rubric: &'r CompiledRubric,
    call: &'r CallView<'t>,
}

impl<'r, 't> Evaluator<'r, 't> {
    /// Utterance indices in a matcher's role and window, or `None` when the
    /// window needs timestamps the call does not have.
    fn scope(&self, m: &Matcher) -> Option<Vec<usize>> {
        let call = self.call;
        let mut in_role: Vec<usize> = (0..call.utterances.len())
            .filter(|&i| role_matches(m.role, call.utterances[i].role))
            .collect();
        if let Some(w) = &m.window {
            if let Some(k) = w.first_turns {
                let turns: Vec<usize> = call
                    .turns
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| role_matches(m.role, t.role))
                    .map(|(i, _)| i)
                    .take(k)
                    .collect();
                in_role.retain(|&i| turns.contains(&call.utterances[i].turn));
            }
            if let Some(k) = w.last_turns {
                let all: Vec<usize> = call
                    .turns
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| role_matches(m.role, t.role))
                    .map(|(i, _)| i)
                    .collect();
                let turns = &all[all.len().saturating_sub(k)..];
                in_role.retain(|&i| turns.contains(&call.utterances[i].turn));
            }
            if w.first_ms.is_some() || w.last_ms.is_some() {
                if !call.timed {
                    return None;
                }
                if let Some(limit) = w.first_ms {
                    in_role.retain(|&i| call.utterances[i].start_ms.unwrap_or(0) <= limit);
                }
                if let Some(limit) = w.last_ms {
                    let from = call.duration_ms.saturating_sub(limit);
                    in_role.retain(|&i| call.utterances[i].end_ms.unwrap_or(0) >= from);
                }
            }
            if w.first_percent.is_some() || w.last_percent.is_some() {
                let n = call.utterances.len().max(1) as f64;
                let position = |i: usize| -> f64 {
                    if call.timed && call.duration_ms > 0 {
                        call.utterances[i].start_ms.unwrap_or(0) as f64 / call.duration_ms as f64
                            * 100.0
                    } else {
                        i as f64 / n * 100.0
                    }
                };
                let end_position = |i: usize| -> f64 {
                    if call.timed && call.duration_ms > 0 {
                        call.utterances[i].end_ms.unwrap_or(0) as f64 / call.duration_ms as f64
                            * 100.0
                    } else {
                        (i + 1) as f64 / n * 100.0
                    }
                };
                if let Some(p) = w.first_percent {
                    in_role.retain(|&i| position(i) <= p);
                }
                if let Some(p) = w.last_percent {
                    in_role.retain(|&i| end_position(i) >= 100.0 - p);
                }
            }
        }
        in_role.retain(|&i| {
            let n = call.utterances[i].text.content_chars;
            m.min_chars.is_none_or(|min| n >= min) && m.max_chars.is_none_or(|max| n <= max)
        });
        if m.complete {
            in_role.retain(|&i| !self.interrupted(i));
        }
        Some(in_role)
    }

    /// True when someone of the other side started talking inside utterance
    /// `i` and went on past its end (the speaker was cut off).
    fn interrupted(&self, i: usize) -> bool {
        let call = self.call;
        if !call.timed {
            return false;
        }
        let u = &call.utterances[i];
        let (Some(s), Some(e)) = (u.start_ms, u.end_ms) else {
            return false;
        };
        call.utterances.iter().enumerate().any(|(j, o)| {
            j != i
                && o.role != u.role
                && o.role != Role::Other
                && o.text.content_chars > 4
                && o.start_ms.is_some_and(|os| os > s && os + 500 < e)
        })
    }

    /// True when the sentence around match-text position `start` of an
    /// utterance rules a hit out: it has a hit of one of the matcher's
    /// `unless` sets or patterns, or matches its `exclude` regex.
    fn sentence_excluded(&self, utterance: usize, start: usize, m: &Matcher) -> bool {
        let u = &self.call.utterances[utterance];
        if !m.unless.is_empty() {
            let sentence = u.text.sentence_of.get(start).copied();
            if u.hits.iter().any(|h| {
                m.unless.contains(&h.set) && u.text.sentence_of.get(h.start as usize).copied() == sentence
            }) {
                return true;
            }
        }
        let Some(rx) = m.exclude else { return false };
        if !self.rubric.regex_matches(u, rx) {
            return false;
        }
        let sentence = u.text.sentence_of.get(start).copied().unwrap_or(0);
        let (a, b) = sentence_range(&u.text, sentence);
        let (na, nb) = u.text.normalized_byte_range(a, b);
        self.rubric.regex(rx).is_match(&u.text.normalized[na..nb])
    }

    /// All hits of a matcher in its scope, in call order, and whether the
    /// matcher's set-level requirements (`all`, `at_least`, `none`) hold.
    fn hits(&self, m: &Matcher) -> Option<(Vec<Located>, bool)> {
        let scope = self.scope(m)?;
        let mut hits: Vec<Located> = Vec::new();
        let mut sets_hit: Vec<u16> = Vec::new();
        let mut none_hit = false;
        for &i in &scope {
            let u = &self.call.utterances[i];
            let push_phrase = |h: &PhraseHit, hits: &mut Vec<Located>| {
                if self.sentence_excluded(i, h.start as usize, m) {
                    return false;
                }
                // Quote the text as said (您, not the 你 it is folded to for matching).
                let (a, b) = u
                    .text
                    .normalized_byte_range(h.start as usize, h.end as usize);
                hits.push(Located {
                    utterance: i,
                    start: h.start as usize,
                    end: h.end as usize,
                    matched: u.text.normalized[a..b].to_string(),
                    phrase: h.phrase,
                });
                true
            };
            for h in &u.hits {
                let wanted = m.any.contains(&h.set)
                    || m.all.contains(&h.set)
                    || m.at_least
                        .as_ref()
                        .is_some_and(|(_, of)| of.contains(&h.set));
                if wanted && push_phrase(h, &mut hits) && !sets_hit.contains(&h.set) {
                    sets_hit.push(h.set);
                }
                if m.none.contains(&h.set)
                    && !self.sentence_excluded(i, h.start as usize, m)
                {
                    none_hit = true;
                }
            }
            if let Some(rx) = m.regex {
                if self.rubric.regex_matches(u, rx) {
                    for found in self.rubric.regex(rx).find_iter(&u.text.normalized) {
                        let (a, b) = normalized_to_match_range(&u.text, found.start(), found.end());
                        if a >= b || self.sentence_excluded(i, a, m) {
                            continue;
                        }
                        hits.push(Located {
                            utterance: i,
                            start: a,
                            end: b,
                            matched: found.as_str().to_string(),
                            phrase: u32::MAX,
                        });
                    }
                }
            }
            if !m.has_criteria() {
                hits.push(Located {
                    utterance: i,
                    start: 0,
                    end: u.text.len(),
                    matched: String::new(),
                    phrase: u32::MAX,
                });
            }
        }
        hits.sort_by_key(|h| (h.utterance, h.start, h.end));
        hits.dedup_by(|a, b| a.utterance == b.utterance && a.start == b.start && a.end == b.end);
        let all_ok = m.all.iter().all(|s| sets_hit.contains(s));
        let at_least_ok = m
            .at_least
            .as_ref()
            .is_none_or(|(n, of)| of.iter().filter(|s| sets_hit.contains(s)).count() >= *n);
        let any_ok = if m.has_criteria() && (!m.any.is_empty() || m.regex.is_some()) {
            // `any` (and regex) alone need a hit; with `all`/`at_least` those decide.
            !hits.is_empty()
        } else {
            true
        };
        let ok = all_ok
            && at_least_ok
            && any_ok
            && !none_hit
            && (m.has_criteria() || !hits.is_empty() || !m.none.is_empty());
        Some((hits, ok))
    }

    fn describe_found(&self, m: &Matcher, hits: &[Located]) -> String {
        let quotes: Vec<String> = hits
            .iter()
            .filter(|h| !h.matched.is_empty())
            .map(|h| format!("「{}」", h.matched))
            .take(3)
            .collect();
        let when = self.when(hits.first().map(|h| h.utterance));
        if quotes.is_empty() {
            format!("{} by {}{when}", m.label, role_word(m.role))
        } else {
            format!(
                "{} by {}{when}: {}",
                m.label,
                role_word(m.role),
                dedup_join(&quotes)
            )
        }
    }

    fn describe_missing(&self, m: &Matcher) -> String {
        let label = m
            .label
            .strip_prefix("a ")
            .or_else(|| m.label.strip_prefix("an "))
            .unwrap_or(&m.label);
        format!(
            "no {label} by {} in {}",
            role_word(m.role),
            window_words(&m.window)
        )
    }

    /// Where a windowed matcher looked, as evidence for a missing part
    /// (the agent's first turn for an incomplete greeting).
    fn looked_at(&self, m: &Matcher) -> Vec<Located> {
        if m.window.is_none() {
            return Vec::new();
        }
        self.scope(m)
            .unwrap_or_default()
            .into_iter()
            .map(|i| whole(self.call, i))
            .collect()
    }

    fn when(&self, utterance: Option<usize>) -> String {
        match utterance.and_then(|i| self.call.utterances[i].start_ms) {
            Some(s) => format!(" at {}", ms(s)),
            None => String::new(),
        }
    }

    fn eval(&self, c: &Cond) -> Evaluated {
        match c {
            Cond::Say(m) => {
                let Some((hits, ok)) = self.hits(m) else {
                    return Evaluated::new(
                        Tri::Unknown,
                        Outcome {
                            missing: vec![format!("{} needs timestamps", m.label)],
                            ..Default::default()
                        },
                    );
                };
                let enough =
                    ok && (hits.len() >= m.min_hits || (!m.has_criteria() && !m.none.is_empty()));
                if enough {
                    let found = if hits.is_empty() {
                        vec![format!("no {} by {}", m.label, role_word(m.role))]
                    } else {
                        vec![self.describe_found(m, &hits)]
                    };
                    Evaluated::new(
                        Tri::True,
                        Outcome {
                            evidence: hits,
                            found,
                            missing: vec![],
                        },
                    )
                } else {
                    let missing = if hits.is_empty() || m.min_hits <= 1 {
                        vec![self.describe_missing(m)]
                    } else {
                        vec![format!(
                            "{} by {} only {} time(s), {} needed",
                            m.label,
                            role_word(m.role),
                            hits.len(),
                            m.min_hits
                        )]
                    };
                    let evidence = if hits.is_empty() {
                        self.looked_at(m)
                    } else {
                        hits
                    };
                    Evaluated::new(
                        Tri::False,
                        Outcome {
                            evidence,
                            found: vec![],
                            missing,
                        },
                    )
                }
            }
            Cond::All(children) => {
                let results: Vec<Evaluated> = children.iter().map(|c| self.eval(c)).collect();
                let value = if results.iter().any(|r| r.value == Tri::False) {
                    Tri::False
                } else if results.iter().any(|r| r.value == Tri::Unknown) {
                    Tri::Unknown
                } else {
                    Tri::True
                };
                let mut out = Outcome::default();
                for r in results {
                    out.evidence.extend(r.out.evidence);
                    out.found.extend(r.out.found);
                    if r.value != Tri::True {
                        out.missing.extend(r.out.missing);
                    }
                }
                Evaluated::new(value, out)
            }
            Cond::Any(children) => {
                let results: Vec<Evaluated> = children.iter().map(|c| self.eval(c)).collect();
                let value = if results.iter().any(|r| r.value == Tri::True) {
                    Tri::True
                } else if results.iter().any(|r| r.value == Tri::Unknown) {
                    Tri::Unknown
                } else {
                    Tri::False
                };
                let mut out = Outcome::default();
                for r in results {
                    if value == Tri::True && r.value != Tri::True {
                        continue;
                    }
                    out.evidence.extend(r.out.evidence);
                    out.found.extend(r.out.found);
                    out.missing.extend(r.out.missing);
                }
                Evaluated::new(value, out)
            }
            Cond::Not(inner) => {
                let r = self.eval(inner);
                let value = match r.value {
                    Tri::True => Tri::False,
                    Tri::False => Tri::True,
                    Tri::Unknown => Tri::Unknown,
                };
                // What the inner condition found is why `not` fails, and the
                // other way round.
                Evaluated::new(
                    value,
                    Outcome {
                        evidence: r.out.evidence,
                        found: r.out.missing,
                        missing: r.out.found,
                    },
                )
            }
            Cond::AtLeast(n, children) => {
                let results: Vec<Evaluated> = children.iter().map(|c| self.eval(c)).collect();
                let yes = results.iter().filter(|r| r.value == Tri::True).count();
                let maybe = results.iter().filter(|r| r.value == Tri::Unknown).count();
                let value = if yes >= *n {
                    Tri::True
                } else if yes + maybe >= *n {
                    Tri::Unknown
                } else {
                    Tri::False
                };
                let mut out = Outcome::default();
                for r in results {
                    out.evidence.extend(r.out.evidence);
                    out.found.extend(r.out.found);
                    out.missing.extend(r.out.missing);
                }
                if value == Tri::False {
                    out.missing.insert(0, format!("only {yes} of {} needed", n));
                }
                Evaluated::new(value, out)
            }
            Cond::Before { first, then, nth } | Cond::After { first, then, nth } => {
                let before = matches!(c, Cond::Before { .. });
                let (Some((firsts, _)), Some((thens, then_ok))) =
                    (self.hits(first), self.hits(then))
                else {
                    return unknown("order needs timestamps");
                };
                let Some(anchor) = (if then_ok { thens.get(nth - 1) } else { None }) else {
                    return Evaluated::new(
                        Tri::False,
                        Outcome {
                            missing: vec![self.describe_missing(then)],
                            ..Default::default()
                        },
                    );
                };
                let key = |h: &Located| (h.utterance, h.start);
                let candidates: Vec<Located> = firsts
                    .iter()
                    .filter(|h| {
                        if before {
                            key(h) < key(anchor)
                        } else {
                            key(h) > key(anchor)
                        }
                    })
                    .cloned()
                    .collect();
                let word = if before { "before" } else { "after" };
                if candidates.is_empty() {
                    Evaluated::new(
                        Tri::False,
                        Outcome {
                            evidence: vec![anchor.clone()],
                            found: vec![],
                            missing: vec![format!(
                                "no {} by {} {word} {}",
                                first.label,
                                role_word(first.role),
                                self.describe_found(then, std::slice::from_ref(anchor))
                            )],
                        },
                    )
                } else {
                    let mut evidence = vec![candidates[0].clone(), anchor.clone()];
                    evidence.sort_by_key(key);
                    Evaluated::new(
                        Tri::True,
                        Outcome {
                            evidence,
                            found: vec![format!(
                                "{} {word} {}",
                                self.describe_found(first, &candidates[..1]),
                                self.describe_found(then, std::slice::from_ref(anchor))
                            )],
                            missing: vec![],
                        },
                    )
                }
            }
            Cond::Between {
                from,
                to,
                speaker,
                complete,
                nth,
            } => {
                let (Some((froms, _)), Some((tos, to_ok))) = (self.hits(from), self.hits(to))
                else {
                    return unknown("order needs timestamps");
                };
                let Some(anchor) = (if to_ok { tos.get(nth - 1) } else { None }) else {
                    return Evaluated::new(
                        Tri::False,
                        Outcome {
                            missing: vec![self.describe_missing(to)],
                            ..Default::default()
                        },
                    );
                };
                let earlier: Vec<&Located> = froms
                    .iter()
                    .filter(|h| h.utterance < anchor.utterance)
                    .collect();
                let same_breath: Vec<&Located> = froms
                    .iter()
                    .filter(|h| h.utterance == anchor.utterance && h.start <= anchor.start)
                    .collect();
                for f in &earlier {
                    let between = (f.utterance + 1..anchor.utterance).find(|&i| {
                        role_matches(*speaker, self.call.utterances[i].role)
                            && (!complete || !self.interrupted(i))
                            && self.call.utterances[i].text.content_chars > 0
                    });
                    if let Some(b) = between {
                        let reply = Located {
                            utterance: b,
                            start: 0,
                            end: self.call.utterances[b].text.len(),
                            matched: String::new(),
                            phrase: u32::MAX,
                        };
                        return Evaluated::new(
                            Tri::True,
                            Outcome {
                                evidence: vec![(*f).clone(), reply, anchor.clone()],
                                found: vec![format!(
                                    "{}, then {} replied{}, then {}",
                                    self.describe_found(from, std::slice::from_ref(*f)),
                                    role_word(*speaker),
                                    self.when(Some(b)),
                                    self.describe_found(to, std::slice::from_ref(anchor))
                                )],
                                missing: vec![],
                            },
                        );
                    }
                }
                let mut evidence: Vec<Located> = earlier
                    .iter()
                    .chain(same_breath.iter())
                    .map(|h| (*h).clone())
                    .collect();
                evidence.push(anchor.clone());
                let missing = if earlier.is_empty() && !same_breath.is_empty() {
                    format!(
                        "{} in the same breath as {} (no reply from {} in between)",
                        self.describe_found(to, std::slice::from_ref(anchor)),
                        from.label,
                        role_word(*speaker)
                    )
                } else if earlier.is_empty() {
                    format!(
                        "no {} by {} before {}",
                        from.label,
                        role_word(from.role),
                        self.describe_found(to, std::slice::from_ref(anchor))
                    )
                } else {
                    format!(
                        "{} spoke no{} utterance between {} and {}",
                        role_word(*speaker),
                        if *complete { " complete" } else { "" },
                        from.label,
                        self.describe_found(to, std::slice::from_ref(anchor))
                    )
                };
                Evaluated::new(
                    Tri::False,
                    Outcome {
                        evidence,
                        found: vec![],
                        missing: vec![missing],
                    },
                )
            }
            Cond::Every {
                of,
                has,
                scope,
                lookback,
                first_only,
            } => {
                let (Some((mut hits, ok)), Some((supports, _))) = (self.hits(of), self.hits(has))
                else {
                    return unknown("needs timestamps");
                };
                if !ok || hits.is_empty() {
                    return Evaluated::new(
                        Tri::True,
                        Outcome {
                            found: vec![format!("no {} by {}", of.label, role_word(of.role))],
                            ..Default::default()
                        },
                    );
                }
                if *first_only {
                    hits.truncate(1);
                }
                let mut unsupported = Vec::new();
                let mut supported = Vec::new();
                for h in &hits {
                    let support = supports
                        .iter()
                        .find(|s| self.same_scope(h, s, *scope, *lookback));
                    match support {
                        Some(s) => {
                            supported.push(h.clone());
                            supported.push(s.clone());
                        }
                        None => unsupported.push(h.clone()),
                    }
                }
                if unsupported.is_empty() {
                    supported.sort_by_key(|h| (h.utterance, h.start));
                    let found = format!(
                        "every {} by {} comes with {}: {}",
                        of.label,
                        role_word(of.role),
                        has.label,
                        dedup_join(
                            &supported
                                .iter()
                                .map(|h| format!("「{}」", h.matched))
                                .collect::<Vec<_>>()
                        )
                    );
                    Evaluated::new(
                        Tri::True,
                        Outcome {
                            evidence: supported,
                            found: vec![found],
                            missing: vec![],
                        },
                    )
                } else {
                    let missing = format!(
                        "{} without {}",
                        self.describe_found(of, &unsupported),
                        has.label
                    );
                    Evaluated::new(
                        Tri::False,
                        Outcome {
                            evidence: unsupported,
                            found: vec![],
                            missing: vec![missing],
                        },
                    )
                }
            }
            Cond::Repeated { of, times } => {
                let Some((hits, _)) = self.hits(of) else {
                    return unknown("needs timestamps");
                };
                let mut by_phrase: BTreeMap<String, Vec<Located>> = BTreeMap::new();
                for h in hits {
                    let key = if h.phrase == u32::MAX {
                        text::match_form(&h.matched)
                    } else {
                        self.rubric.phrases[h.phrase as usize].clone()
                    };
                    by_phrase.entry(key).or_default().push(h);
                }
                let worst = by_phrase.iter().max_by_key(|(_, v)| v.len());
                match worst {
                    Some((_, v)) if v.len() >= *times => {
                        let times_at: Vec<String> =
                            v.iter().map(|h| self.when(Some(h.utterance))).collect();
                        Evaluated::new(
                            Tri::True,
                            Outcome {
                                evidence: v.clone(),
                                found: vec![format!(
                                    "{} repeats 「{}」 {} times{}",
                                    role_word(of.role),
                                    v[0].matched,
                                    v.len(),
                                    if times_at.iter().all(|t| t.is_empty()) {
                                        String::new()
                                    } else {
                                        format!(
                                            " ({})",
                                            times_at
                                                .iter()
                                                .map(|t| t.trim_start_matches(" at "))
                                                .collect::<Vec<_>>()
                                                .join(", ")
                                        )
                                    }
                                )],
                                missing: vec![],
                            },
                        )
                    }
                    Some((_, v)) => Evaluated::new(
                        Tri::False,
                        Outcome {
                            evidence: vec![],
                            found: vec![],
                            missing: vec![format!(
                                "no {} repeated {times} times (at most {})",
                                of.label,
                                v.len()
                            )],
                        },
                    ),
                    None => Evaluated::new(
                        Tri::False,
                        Outcome {
                            missing: vec![format!("no {} by {}", of.label, role_word(of.role))],
                            ..Default::default()
                        },
                    ),
                }
            }
            Cond::Interruption {
                by,
                of,
                grace_ms,
                backchannel,
                max_chars,
            } => {
                if !self.call.timed {
                    return unknown("interruptions need timestamps");
                }
                let us = &self.call.utterances;
                let mut found = Vec::new();
                let mut evidence = Vec::new();
                for (i, u) in us.iter().enumerate() {
                    if !role_matches(*by, u.role) {
                        continue;
                    }
                    // A backchannel is short and made only of backchannel words:
                    // 不对不对 is short but contradicts.
                    let is_backchannel = u.text.content_chars <= *max_chars
                        && (backchannel.is_empty() || {
                            let mut covered = vec![false; u.text.len()];
                            for h in u.hits.iter().filter(|h| backchannel.contains(&h.set)) {
                                covered[h.start as usize..h.end as usize]
                                    .iter_mut()
                                    .for_each(|c| *c = true);
                            }
                            !covered.is_empty() && covered.iter().all(|c| *c)
                        });
                    if is_backchannel {
                        continue;
                    }
                    let (Some(s), Some(_)) = (u.start_ms, u.end_ms) else {
                        continue;
                    };
                    for (j, o) in us.iter().enumerate() {
                        if j == i || !role_matches(*of, o.role) || o.role == u.role {
                            continue;
                        }
                        let (Some(os), Some(oe)) = (o.start_ms, o.end_ms) else {
                            continue;
                        };
                        if os < s && s < oe && oe - s > *grace_ms {
                            found.push(format!(
                                "{} started 「{}」 at {}, {} before {} finished",
                                role_word(*by),
                                short(&self.call.transcript_text(i)),
                                ms(s),
                                ms(oe - s),
                                role_word(*of)
                            ));
                            evidence.push(whole(self.call, j));
                            evidence.push(whole(self.call, i));
                            break;
                        }
                    }
                }
                if found.is_empty() {
                    Evaluated::new(
                        Tri::False,
                        Outcome {
                            missing: vec![format!(
                                "{} never started speaking more than {} ms before {} finished",
                                role_word(*by),
                                grace_ms,
                                role_word(*of)
                            )],
                            ..Default::default()
                        },
                    )
                } else {
                    Evaluated::new(
                        Tri::True,
                        Outcome {
                            evidence,
                            found,
                            missing: vec![],
                        },
                    )
                }
            }
            Cond::Silence {
                min_ms,
                announced,
                lookback,
            } => {
                if !self.call.timed {
                    return unknown("silences need timestamps");
                }
                let announcements = match announced {
                    Some(m) => match self.hits(m) {
                        Some((h, _)) => h,
                        None => return unknown("needs timestamps"),
                    },
                    None => Vec::new(),
                };
                let us = &self.call.utterances;
                let mut found = Vec::new();
                let mut evidence = Vec::new();
                let mut allowed = Vec::new();
                // Speech so far ends at `reach`; a gap opens when the next
                // utterance starts later than that.
                let mut reach = 0u64;
                let mut last_ended: Option<usize> = None;
                for (i, u) in us.iter().enumerate() {
                    let (Some(s), Some(e)) = (u.start_ms, u.end_ms) else {
                        continue;
                    };
                    if let Some(prev) = last_ended {
                        if s > reach && s - reach >= *min_ms {
                            let gap = s - reach;
                            let first_before = (prev + 1).saturating_sub(*lookback);
                            let announcement = announcements
                                .iter()
                                .find(|h| h.utterance >= first_before && h.utterance <= prev);
                            match announcement {
                                Some(a) => {
                                    allowed.push(format!(
                                        "{} silence from {} announced by 「{}」",
                                        ms(gap),
                                        ms(reach),
                                        a.matched
                                    ));
                                }
                                None => {
                                    found.push(format!(
                                        "{} silence from {} to {} not announced (last words: 「{}」)",
                                        ms(gap),
                                        ms(reach),
                                        ms(s),
                                        short(&self.call.transcript_text(prev))
                                    ));
                                    evidence.push(whole(self.call, prev));
                                    evidence.push(whole(self.call, i));
                                }
                            }
                        }
                    }
                    if e >= reach {
                        reach = e;
                        last_ended = Some(i);
                    }
                }
                if found.is_empty() {
                    let mut missing =
                        vec![format!("no unannounced silence of {} or more", ms(*min_ms))];
                    missing.extend(allowed);
                    Evaluated::new(
                        Tri::False,
                        Outcome {
                            evidence: vec![],
                            found: vec![],
                            missing,
                        },
                    )
                } else {
                    Evaluated::new(
                        Tri::True,
                        Outcome {
                            evidence,
                            found,
                            missing: vec![],
                        },
                    )
                }
            }
            Cond::SpeechRate { role, above, below } => {
                if !self.call.timed {
                    return unknown("speech rate needs timestamps");
                }
                let (chars, millis) = self
                    .call
                    .utterances
                    .iter()
                    .filter(|u| role_matches(*role, u.role))
                    .fold((0usize, 0u64), |(c, t), u| {
                        (
                            c + u.text.content_chars,
                            t + u
                                .end_ms
                                .unwrap_or(0)
                                .saturating_sub(u.start_ms.unwrap_or(0)),
                        )
                    });
                if millis == 0 {
                    return Evaluated::new(
                        Tri::False,
                        Outcome {
                            missing: vec![format!("{} did not speak", role_word(*role))],
                            ..Default::default()
                        },
                    );
                }
                let rate = chars as f64 / (millis as f64 / 60_000.0);
                bound_outcome(
                    rate,
                    *above,
                    *below,
                    &format!(
                        "{} spoke {:.0} characters per minute",
                        role_word(*role),
                        rate
                    ),
                )
            }
            Cond::TalkRatio {
                role,
                other,
                above,
                below,
            } => {
                let count = |r: RoleScope| -> usize {
                    self.call
                        .utterances
                        .iter()
                        .filter(|u| role_matches(r, u.role))
                        .map(|u| u.text.content_chars)
                        .sum()
                };
                let (mine, theirs) = (count(*role), count(*other));
                let ratio = if theirs == 0 {
                    if mine == 0 {
                        0.0
                    } else {
                        f64::INFINITY
                    }
                } else {
                    mine as f64 / theirs as f64
                };
                let ratio_text = if ratio.is_finite() {
                    format!("{ratio:.1}×")
                } else {
                    "∞×".to_string()
                };
                bound_outcome(
                    ratio,
                    *above,
                    *below,
                    &format!(
                        "{} {mine} vs {} {theirs} characters ({ratio_text})",
                        role_word(*role),
                        role_word(*other)
                    ),
                )
            }
        }
    }

    fn same_scope(&self, hit: &Located, support: &Located, scope: Scope, lookback: usize) -> bool {
        if support.utterance == hit.utterance {
            let t = &self.call.utterances[hit.utterance].text;
            return match scope {
                Scope::Utterance => true,
                Scope::Sentence => {
                    t.sentence_of.get(hit.start)
                        == t.sentence_of
                            .get(support.start.min(t.len().saturating_sub(1)))
                }
                Scope::Clause => {
                    t.clause_of.get(hit.start)
                        == t.clause_of
                            .get(support.start.min(t.len().saturating_sub(1)))
                }
            };
        }
        if lookback == 0 || support.utterance > hit.utterance {
            return false;
        }
        let role = self.call.utterances[hit.utterance].role;
        let earlier: Vec<usize> = (0..hit.utterance)
            .rev()
            .filter(|&i| self.call.utterances[i].role == role)
            .take(lookback)
            .collect();
        earlier.contains(&support.utterance)
    }
}

fn bound_outcome(value: f64, above: Option<f64>, below: Option<f64>, words: &str) -> Evaluated {
    let over = above.is_some_and(|a| value > a);
    let under = below.is_some_and(|b| value < b);
    if over || under {
        let bound = if over {
            format!("above {}", above.unwrap_or_default())
        } else {
            format!("below {}", below.unwrap_or_default())
        };
        Evaluated::new(
            Tri::True,
            Outcome {
                evidence: vec![],
                found: vec![format!("{words}, {bound}")],
                missing: vec![],
            },
        )
    } else {
        Evaluated::new(
            Tri::False,
            Outcome {
                evidence: vec![],
                found: vec![],
                missing: vec![format!("{words}, within bounds")],
            },
        )
    }
}

fn unknown(why: &str) -> Evaluated {
    Evaluated::new(
        Tri::Unknown,
        Outcome {
            missing: vec![why.to_string()],
            ..Default::default()
        },
    )
}

fn whole(call: &CallView, i: usize) -> Located {
    Located {
        utterance: i,
        start: 0,
        end: call.utterances[i].text.len(),
        matched: String::new(),
        phrase: u32::MAX,
    }
}

fn short(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 24 {
        s.to_string()
    } else {
        format!("{}…", chars[..24].iter().collect::<String>())
    }
}

fn dedup_join(parts: &[String]) -> String {
    let mut seen: Vec<&String> = Vec::new();
    for p in parts {
        if !seen.contains(&p) {
            seen.push(p);
        }
    }
    seen.iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Character range of sentence `sentence` in match-text.
fn sentence_range(t: &text::AnalyzedText, sentence: u16) -> (usize, usize) {
    let start = t
        .sentence_of
        .iter()
        .position(|&s| s == sentence)
        .unwrap_or(0);
    let end = t
        .sentence_of
        .iter()
        .rposition(|&s| s == sentence)
        .map(|p| p + 1)
        .unwrap_or(t.len());
    (start, end.max(start + usize::from(t.len() > start)))
}

/// Maps a byte range of the normalised text to a match-text char range.
fn normalized_to_match_range(t: &text::AnalyzedText, start: usize, end: usize) -> (usize, usize) {
    let norm_char_start = t.normalized_char_at_byte(start) as u32;
    let norm_char_end = t.normalized_char_at_byte(end) as u32;
    let a = t
        .match_to_normalized
        .partition_point(|&c| c < norm_char_start);
    let b = t
        .match_to_normalized
        .partition_point(|&c| c < norm_char_end);
    (a, b)
}

impl CallView<'_> {
    /// The original text of utterance `i` (in call order).
    pub fn transcript_text(&self, i: usize) -> String {
        self.original(i).text.clone()
    }

    fn original(&self, i: usize) -> &crate::transcript::Utterance {
        &self.transcript.utterances[self.utterances[i].source_index]
    }
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

/// One hit of a named speech act in a call (see [`CompiledRubric::find_act`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActHit {
    /// Index of the utterance in the transcript.
    pub utterance: usize,
    /// Character range in the utterance's normalised text.
    pub start: usize,
    pub end: usize,
    /// The words as said (normalised text).
    pub matched: String,
}

impl CompiledRubric {
    /// Every hit of the named match `[matches.NAME]` in an analysed call, in
    /// call order, with the match's role, window, negation and exclusions
    /// applied exactly as when an item uses it; `None` when the rubric has
    /// no such match. This is how other stages share the rubric's meaning
    /// instead of keeping word lists of their own.
    pub fn find_act(&self, call: &CallView, name: &str) -> Option<Vec<ActHit>> {
        let matcher = self.named.get(name)?;
        let ev = Evaluator { rubric: self, call };
        let (hits, _) = ev.hits(matcher).unwrap_or_default();
        Some(
            hits.into_iter()
                .filter(|h| h.end > h.start)
                .map(|h| {
                    let t = &call.utterances[h.utterance].text;
                    let (a, b) = t.normalized_byte_range(h.start, h.end);
                    ActHit {
                        utterance: call.utterances[h.utterance].source_index,
                        start: t.normalized_char_at_byte(a),
                        end: t.normalized_char_at_byte(b),
                        matched: h.matched,
                    }
                })
                .collect(),
        )
    }

    /// Scores one transcript.
    pub fn score(&self, transcript: &Transcript) -> Scorecard {
        let call = self.analyze(transcript);
        self.score_view(&call)
    }

    /// Scores an already analysed call.
    pub fn score_view(&self, call: &CallView) -> Scorecard {
        let ev = Evaluator { rubric: self, call };
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
