//! The evaluation context shared by every operator: a compiled rubric and
//! one analysed call, with the helpers operators use to find the hits of a
//! match in its scope and to put what they found, or missed, into words.
//!
//! Conditions are three-valued: a timing condition on a call without
//! timestamps is `Unknown`, which the item turns into its
//! `without_timestamps` verdict instead of guessing.

use crate::rubric::compile::{CallView, Matcher, PhraseHit};
use crate::rubric::operators::Cond;
use crate::rubric::reason::Part;
use crate::rubric::schema::RoleScope;
use crate::rubric::CompiledRubric;
use crate::text;
use crate::transcript::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    True,
    False,
    Unknown,
}

/// A hit located in the call: utterance index and match-text char range.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub utterance: usize,
    pub start: usize,
    pub end: usize,
    pub matched: String,
    /// Phrase id (for repetition), or u32::MAX for regex / whole-utterance hits.
    pub phrase: u32,
}

#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub evidence: Vec<Located>,
    /// What was found ([`reason`](crate::rubric::reason) writes it in words).
    pub found: Vec<Part>,
    /// What was looked for and not found.
    pub missing: Vec<Part>,
}

/// A condition's value and what it found or missed.
pub struct Evaluated {
    pub value: Tri,
    pub out: Outcome,
}

impl Evaluated {
    pub fn new(value: Tri, out: Outcome) -> Self {
        Evaluated { value, out }
    }
}

pub fn role_matches(scope: RoleScope, role: Role) -> bool {
    match scope {
        RoleScope::Any => role != Role::Other,
        RoleScope::Agent => role == Role::Agent,
        RoleScope::Customer => role == Role::Customer,
    }
}

/// One call under evaluation: what every operator's `eval` receives.
pub struct Context<'r, 't> {
    pub rubric: &'r CompiledRubric,
    pub call: &'r CallView<'t>,
}

impl<'r, 't> Context<'r, 't> {
    /// Evaluates a (sub-)condition: dispatches to its operator.
    pub fn eval(&self, c: &Cond) -> Evaluated {
        c.eval(self)
    }

    /// Utterance indices in a matcher's role and window, or `None` when the
    /// window needs timestamps the call does not have.
    pub fn scope(&self, m: &Matcher) -> Option<Vec<usize>> {
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
    pub fn interrupted(&self, i: usize) -> bool {
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

    /// All hits of a matcher in its scope, in call order, and whether the
    /// matcher's set-level requirements (`all`, `at_least`, `none`) hold.
    pub fn hits(&self, m: &Matcher) -> Option<(Vec<Located>, bool)> {
        let scope = self.scope(m)?;
        let mut hits: Vec<Located> = Vec::new();
        let mut sets_hit: Vec<u16> = Vec::new();
        let mut none_hit = false;
        for &i in &scope {
            let u = &self.call.utterances[i];
            let veto = SentenceVeto::new(self, i, m);
            let push_phrase = |h: &PhraseHit, hits: &mut Vec<Located>| {
                if veto.rules_out(h.start as usize) {
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
                if m.none.contains(&h.set) && !veto.rules_out(h.start as usize) {
                    none_hit = true;
                }
            }
            if let Some(rx) = m.regex {
                if self.rubric.regex_matches(u, rx) {
                    for found in self.rubric.regex(rx).find_iter(&u.text.normalized) {
                        let (a, b) = normalized_to_match_range(&u.text, found.start(), found.end());
                        if a >= b || veto.rules_out(a) {
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

    /// Where a windowed matcher looked, as evidence for a missing part
    /// (the agent's first turn for an incomplete greeting).
    pub fn looked_at(&self, m: &Matcher) -> Vec<Located> {
        if m.window.is_none() {
            return Vec::new();
        }
        self.scope(m)
            .unwrap_or_default()
            .into_iter()
            .map(|i| whole(self.call, i))
            .collect()
    }
}

pub fn whole(call: &CallView, i: usize) -> Located {
    Located {
        utterance: i,
        start: 0,
        end: call.utterances[i].text.len(),
        matched: String::new(),
        phrase: u32::MAX,
    }
}

/// Which sentences of one utterance rule out a matcher's hits (its `unless`
/// sets and patterns, its `exclude` regex), each sentence worked out once:
/// asked hit by hit, a long unpunctuated utterance with thousands of hits in
/// one sentence took time quadratic in its length.
pub struct SentenceVeto<'a> {
    text: &'a text::AnalyzedText,
    /// Sentences holding a hit of an `unless` set, sorted.
    unless: Vec<u16>,
    /// The `exclude` regex, when it matches somewhere in the utterance.
    exclude: Option<&'a regex::Regex>,
    normalized: &'a str,
    /// `exclude`'s answer per sentence asked so far.
    excluded: std::cell::RefCell<std::collections::HashMap<u16, bool>>,
}

impl<'a> SentenceVeto<'a> {
    pub fn new(ctx: &'a Context<'_, '_>, utterance: usize, m: &Matcher) -> Self {
        let u = &ctx.call.utterances[utterance];
        let mut unless: Vec<u16> = if m.unless.is_empty() {
            Vec::new()
        } else {
            u.hits
                .iter()
                .filter(|h| m.unless.contains(&h.set))
                .filter_map(|h| u.text.sentence_of.get(h.start as usize).copied())
                .collect()
        };
        unless.sort_unstable();
        unless.dedup();
        let exclude = m
            .exclude
            .filter(|&rx| ctx.rubric.regex_matches(u, rx))
            .map(|rx| ctx.rubric.regex(rx));
        SentenceVeto {
            text: &u.text,
            unless,
            exclude,
            normalized: &u.text.normalized,
            excluded: Default::default(),
        }
    }

    /// Whether the sentence around match-text position `start` rules a hit out.
    pub fn rules_out(&self, start: usize) -> bool {
        let sentence = self.text.sentence_of.get(start).copied();
        if let Some(sentence) = sentence {
            if self.unless.binary_search(&sentence).is_ok() {
                return true;
            }
        }
        let Some(rx) = self.exclude else { return false };
        let sentence = sentence.unwrap_or(0);
        if let Some(&known) = self.excluded.borrow().get(&sentence) {
            return known;
        }
        let (a, b) = sentence_range(self.text, sentence);
        let (na, nb) = self.text.normalized_byte_range(a, b);
        let answer = rx.is_match(&self.normalized[na..nb]);
        self.excluded.borrow_mut().insert(sentence, answer);
        answer
    }
}

/// Character range of sentence `sentence` in match-text.
pub fn sentence_range(t: &text::AnalyzedText, sentence: u16) -> (usize, usize) {
    // `sentence_of` never decreases along the text: two binary searches.
    let found = t.sentence_of.partition_point(|&s| s < sentence);
    let start = if t.sentence_of.get(found) == Some(&sentence) {
        found
    } else {
        0
    };
    let end = if t.sentence_of.get(found) == Some(&sentence) {
        t.sentence_of.partition_point(|&s| s <= sentence)
    } else {
        t.len()
    };
    (start, end.max(start + usize::from(t.len() > start)))
}

/// Maps a byte range of the normalised text to a match-text char range.
pub fn normalized_to_match_range(
    t: &text::AnalyzedText,
    start: usize,
    end: usize,
) -> (usize, usize) {
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

    pub(crate) fn original(&self, i: usize) -> &crate::transcript::Utterance {
        &self.transcript.utterances[self.utterances[i].source_index]
    }
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
        let ev = Context { rubric: self, call };
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
}
