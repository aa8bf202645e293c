//! Scoring: evaluates a compiled rubric on one analysed call and builds its
//! scorecard: per item a verdict, points, a one-line reason and the evidence
//! (speaker, times, text, matched phrases). The conditions themselves are
//! evaluated by their operators ([`crate::rubric::operators`]) in the shared
//! context of [`crate::rubric::eval`].

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::evidence::collect_evidence;
pub use crate::evidence::Evidence;
use crate::i18n::Lang;
use crate::rubric::compile::{CallView, Rule};
use crate::rubric::eval::{Context, Located, Tri};
use crate::rubric::reason::compose;
use crate::rubric::CompiledRubric;
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
    /// Why, in Chinese (the default language); [`ItemResult::reason_in`]
    /// chooses. A scorecard printed for a person carries one language
    /// only ([`Scorecard::in_lang`]); the run database keeps both, so a
    /// report can be written in either language from one run.
    pub reason: String,
    /// Why, in English.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason_en: String,
}

impl ItemResult {
    /// The reason in `lang` (a scorecard stored before reasons had two
    /// languages has only `reason`).
    pub fn reason_in(&self, lang: crate::i18n::Lang) -> &str {
        match lang {
            crate::i18n::Lang::En if !self.reason_en.is_empty() => &self.reason_en,
            _ => &self.reason,
        }
    }
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

impl Scorecard {
    /// The scorecard as printed for a person reading `lang`: `reason` in
    /// that language and no second language beside it.
    pub fn in_lang(&self, lang: crate::i18n::Lang) -> Scorecard {
        let mut card = self.clone();
        for item in &mut card.items {
            item.reason = item.reason_in(lang).to_string();
            item.reason_en.clear();
        }
        card
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

pub use crate::rubric::eval::ActHit;

/// Interjections and hesitation sounds: an utterance made only of these says
/// nothing a rubric can judge (a line of 嗯 or 啊 is also what a transcriber
/// writes for breathing and line noise).
const FILLERS: &[char] = &[
    '嗯', '啊', '呃', '额', '哦', '噢', '喔', '唔', '哎', '诶', '欸', '唉', '呀', '哈', '嘿', '呵',
    '哼', '咦', '嗷', '哇', '呐', '嘛', '呢', '吧', '啦', '哟', '唷', '噫', '嗨',
];

/// True when `text` has usable speech: after dropping bracketed annotations
/// (`[noise]`, `【笑声】`, `<unk>`, `（咳嗽）`, which transcribers write for
/// sounds) and punctuation, at least one character is neither a filler
/// ([`FILLERS`]) nor noise. One such character is enough: 好, 对, 喂 and a
/// digit are answers. This is deliberately the weakest test that rejects
/// noise, so that no real call loses its score; on the 237 labelled fixture
/// calls every one has usable speech from both sides.
pub fn is_usable_speech(text: &str) -> bool {
    const OPEN: &[char] = &['[', '【', '<', '(', '（'];
    const CLOSE: &[char] = &[']', '】', '>', ')', '）'];
    let chars: Vec<char> = crate::text::normalize(text).chars().collect();
    // Only a bracket that closes is an annotation: an opener left open (a
    // stray `(` or the `[` of a terminal escape) must not hide the words
    // after it. The last closer is found once, so the scan stays linear
    // however many openers there are.
    let last_close = chars.iter().rposition(|c| CLOSE.contains(c));
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if OPEN.contains(&c) && last_close.is_some_and(|close| close > i) {
            let close = chars[i + 1..]
                .iter()
                .position(|c| CLOSE.contains(c))
                .map_or(chars.len(), |at| i + 1 + at);
            i = close + 1;
            continue;
        }
        if !(OPEN.contains(&c)
            || CLOSE.contains(&c)
            || crate::text::is_punctuation(c)
            || FILLERS.contains(&c))
        {
            return true;
        }
        i += 1;
    }
    false
}

/// A call that must not be scored: the agent or the customer (or both) said
/// nothing usable ([`is_usable_speech`]) — noise transcribed as words, a
/// silent channel, the wrong channel mapping, or a transcript whose speakers
/// are not labelled agent/customer. A scorecard of such a call measures the
/// recording, not the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoUsableSpeech {
    pub agent_missing: bool,
    pub customer_missing: bool,
    /// What the transcript does hold, for the message.
    pub found: String,
}

impl NoUsableSpeech {
    fn sides(&self) -> &'static str {
        match (self.agent_missing, self.customer_missing) {
            (true, true) => "either the agent or the customer",
            (true, false) => "the agent",
            _ => "the customer",
        }
    }

    /// The error for a transcript file given to `score` / `check`.
    pub fn in_transcript(&self, file: &Path) -> String {
        format!(
            "{}: no usable speech from {} ({}); not scored. Label each utterance's speaker \
             agent or customer (客服 / 客户), or leave the call out",
            file.display(),
            self.sides(),
            self.found
        )
    }

    /// The error for a recording transcribed by `run`.
    pub fn in_recording(&self, audio: &Path) -> String {
        format!(
            "no usable speech from {} in {} ({}); not scored. Check the recording, and for \
             stereo calls the channel mapping: --agent-channel left|right (or the manifest's \
             agent_channel column)",
            self.sides(),
            audio.display(),
            self.found
        )
    }
}

/// Whether both sides of the call said something usable; the one test every
/// command applies before it scores (see [`NoUsableSpeech`]).
pub fn check_usable_speech(transcript: &Transcript) -> Result<(), NoUsableSpeech> {
    let (mut agent, mut customer) = (0usize, 0usize);
    let mut counts: BTreeMap<Role, (usize, usize)> = BTreeMap::new();
    let mut unknown: Vec<&str> = Vec::new();
    for u in &transcript.utterances {
        let role = Role::from_speaker(&u.speaker);
        let usable = is_usable_speech(&u.text);
        let entry = counts.entry(role).or_default();
        entry.0 += 1;
        entry.1 += usize::from(usable);
        match role {
            Role::Agent => agent += usize::from(usable),
            Role::Customer => customer += usize::from(usable),
            Role::Other => {
                if !unknown.contains(&u.speaker.as_str()) {
                    unknown.push(&u.speaker);
                }
            }
        }
    }
    if agent > 0 && customer > 0 {
        return Ok(());
    }
    let found = if transcript.utterances.is_empty() {
        "no utterances".to_string()
    } else {
        let mut parts: Vec<String> = counts
            .iter()
            .map(|(role, (all, usable))| match role {
                Role::Other => {
                    // Debug form: a label is the file's text, and may hold
                    // control characters that must not reach a terminal.
                    let mut names: Vec<String> = unknown
                        .iter()
                        .take(3)
                        .map(|s| format!("{:?}", s.chars().take(20).collect::<String>()))
                        .collect();
                    if unknown.len() > 3 {
                        names.push("…".into());
                    }
                    format!(
                        "{all} by speakers that are neither agent nor customer: {}",
                        names.join(", ")
                    )
                }
                _ => format!("{all} by the {}, {usable} with words", role.as_str()),
            })
            .collect();
        parts.insert(0, format!("{} utterances", transcript.utterances.len()));
        parts.join("; ")
    };
    Err(NoUsableSpeech {
        agent_missing: agent == 0,
        customer_missing: customer == 0,
        found,
    })
}

impl CompiledRubric {
    /// Scores one transcript.
    pub fn score(&self, transcript: &Transcript) -> Scorecard {
        let call = self.analyze(transcript);
        self.score_view(&call)
    }

    /// Scores an already analysed call.
    pub fn score_view(&self, call: &CallView) -> Scorecard {
        self.score_view_with(call, true)
    }

    /// Verdicts, points and the score of an already analysed call, with
    /// neither reasons nor evidence: exactly the verdicts [`Self::score_view`]
    /// gives, for `callqa diff`, which needs the words only where a verdict
    /// flips (writing reasons in two languages and quoting evidence is a
    /// fifth of scoring).
    pub fn verdicts_view(&self, call: &CallView) -> Scorecard {
        self.score_view_with(call, false)
    }

    fn score_view_with(&self, call: &CallView, words: bool) -> Scorecard {
        let ev = Context { rubric: self, call };
        let meta = &self.source.file.rubric;
        let mut items = Vec::with_capacity(self.items.len());
        for item in &self.items {
            let def = &item.def;
            let mut evidence_hits: Vec<Located> = Vec::new();
            // The verdict, the item's prefix for it, and what was found or
            // missed; the reason is written from these once per language.
            let (mut verdict, prefix, parts) = 'verdict: {
                if let Some(applies) = &item.applies {
                    let r = ev.eval(applies);
                    match r.value {
                        Tri::True => {}
                        Tri::False => {
                            break 'verdict (Verdict::Na, def.reasons.na.as_ref(), r.out.missing);
                        }
                        Tri::Unknown => {
                            let v = untimed(def.without_timestamps);
                            break 'verdict (v, def.reasons.na.as_ref(), r.out.missing);
                        }
                    }
                }
                let (cond, pass_when_true) = match &item.rule {
                    Rule::PassWhen(c) => (c, true),
                    Rule::FailWhen(c) => (c, false),
                };
                let r = ev.eval(cond);
                if r.value != Tri::Unknown {
                    evidence_hits = r.out.evidence;
                }
                match (r.value, pass_when_true) {
                    // Says why it could not be judged; no verdict prefix fits.
                    (Tri::Unknown, _) => (untimed(def.without_timestamps), None, r.out.missing),
                    (Tri::True, true) => (Verdict::Pass, def.reasons.pass.as_ref(), r.out.found),
                    (Tri::False, true) => (Verdict::Fail, def.reasons.fail.as_ref(), r.out.missing),
                    (Tri::True, false) => (Verdict::Fail, def.reasons.fail.as_ref(), r.out.found),
                    (Tri::False, false) => {
                        (Verdict::Pass, def.reasons.pass.as_ref(), r.out.missing)
                    }
                }
            };
            let fallback = match verdict {
                Verdict::Pass => ["通过", "passed"],
                Verdict::Fail => ["未通过", "failed"],
                Verdict::Na => ["不适用", "not applicable"],
                Verdict::Review => ["需人工复核", "needs review"],
            };
            let na = verdict == Verdict::Na;
            let (mut reason, mut reason_en) = if words {
                (
                    compose(prefix, &parts, na, Lang::Zh, fallback[0]),
                    compose(prefix, &parts, na, Lang::En, fallback[1]),
                )
            } else {
                (String::new(), String::new())
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
                    let c = call.utterances[h.utterance].confidence.unwrap_or_default();
                    reason =
                        format!("证据所在语句的语音识别置信度低（{c:.2}），需人工复核。{reason}");
                    reason_en = format!(
                        "low ASR confidence ({c:.2}) on the evidence, to review — {reason_en}"
                    );
                } else if let Some(h) = low_role {
                    verdict = Verdict::Review;
                    let c = call.utterances[h.utterance]
                        .role_confidence
                        .unwrap_or_default();
                    reason =
                        format!("说话人角色是推测的，置信度低（{c:.2}），需人工复核。{reason}");
                    reason_en =
                        format!("speaker role guessed with low confidence ({c:.2}), to review — {reason_en}");
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
            if !words {
                reason.clear();
                reason_en.clear();
            }
            items.push(ItemResult {
                id: def.id.clone(),
                verdict,
                points,
                max_points: def.points,
                critical: def.critical,
                evidence: if words {
                    collect_evidence(call, &evidence_hits)
                } else {
                    Vec::new()
                },
                reason,
                reason_en,
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
