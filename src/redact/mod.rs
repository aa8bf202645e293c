//! Redaction of customers' personal data in transcripts and everything made
//! from them (`--redact`, or `[redact]` in a rubric).
//!
//! It owns finding mobile and landline numbers, 身份证 and bank card numbers,
//! addresses and names in a transcript — spoken as digits or Chinese
//! numerals, split over pauses and over a speaker's consecutive utterances —
//! and replacing each with a typed placeholder ([手机号], [身份证号]…) that
//! keeps the time span of the characters it replaces. One detector per file:
//! [`digits`] reads numbers out of speech and hands them to [`phone`],
//! [`idcard`] and [`bankcard`] to validate (check digit, Luhn), [`address`]
//! and [`name`] work on the text; [`audio`] silences the same spans in the
//! report's copy of the recording.
//!
//! The pipeline redacts a transcript the moment it exists, before it is
//! cached, scored or written, so nothing downstream ever sees the original.

mod address;
mod audio;
mod bankcard;
mod digits;
mod idcard;
mod name;
mod phone;

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub use audio::{muted_frames, PAD_MS};

use crate::text::is_punctuation;
use crate::transcript::{Transcript, Utterance};

/// What a placeholder stands for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Mainland mobile numbers (11 digits, 1[3-9]…).
    Mobile,
    /// Landlines with their area code.
    Landline,
    /// 身份证 numbers with a valid check digit and birth date.
    IdCard,
    /// Luhn-valid bank card numbers.
    BankCard,
    /// Addresses down to a door (XX路XX号, X栋X单元X室).
    Address,
    /// Customers' names after 我叫 / 我姓 / X先生 / X女士.
    Name,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Mobile,
        Kind::Landline,
        Kind::IdCard,
        Kind::BankCard,
        Kind::Address,
        Kind::Name,
    ];

    pub fn placeholder(self) -> &'static str {
        match self {
            Kind::Mobile => "[手机号]",
            Kind::Landline => "[电话号码]",
            Kind::IdCard => "[身份证号]",
            Kind::BankCard => "[银行卡号]",
            Kind::Address => "[地址]",
            Kind::Name => "[姓名]",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Mobile => "mobile",
            Kind::Landline => "landline",
            Kind::IdCard => "id_card",
            Kind::BankCard => "bank_card",
            Kind::Address => "address",
            Kind::Name => "name",
        }
    }
}

fn yes() -> bool {
    true
}

fn all_kinds() -> Vec<Kind> {
    Kind::ALL.to_vec()
}

/// `[redact]`: redact every output of runs scored with this rubric, as
/// `--redact` does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedactSection {
    /// Redaction on (default true when the section is present).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Which kinds of personal data to replace (default: all of them):
    /// mobile, landline, id_card, bank_card, address, name.
    #[serde(default = "all_kinds")]
    pub kinds: Vec<Kind>,
}

/// Which kinds are redacted; none means redaction is off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    kinds: BTreeSet<Kind>,
}

/// One thing found: chars `start..end` of the searched text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Policy {
    /// No redaction.
    pub fn off() -> Policy {
        Policy::default()
    }

    /// Every kind.
    pub fn all() -> Policy {
        Policy::only(Kind::ALL)
    }

    pub fn only(kinds: impl IntoIterator<Item = Kind>) -> Policy {
        Policy {
            kinds: kinds.into_iter().collect(),
        }
    }

    /// The policy of a command: `--redact` turns it on; a rubric's
    /// `[redact]` turns it on by itself and chooses the kinds either way.
    pub fn resolve(flag: bool, section: Option<&RedactSection>) -> Policy {
        match section {
            Some(s) if s.enabled || flag => Policy::only(s.kinds.iter().copied()),
            _ if flag => Policy::all(),
            _ => Policy::off(),
        }
    }

    pub fn is_on(&self) -> bool {
        !self.kinds.is_empty()
    }

    pub fn kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        self.kinds.iter().copied()
    }

    /// A cache key for outputs made under this policy: `key` itself when
    /// off, so existing caches stay valid; another key when on, so a
    /// redacted run never reuses an unredacted result and the reverse.
    pub fn keyed(&self, key: String) -> String {
        if !self.is_on() {
            return key;
        }
        let kinds: Vec<&str> = self.kinds().map(Kind::as_str).collect();
        let text = format!("{key}\nredact v1 {}", kinds.join(","));
        crate::rubric::sha256_hex(text.as_bytes())
    }

    /// Personal data in `chars`, in order, not overlapping.
    pub fn detect(&self, chars: &[char]) -> Vec<Found> {
        let mut found = Vec::new();
        digits::find_numbers(chars, &self.kinds, &mut found);
        if self.kinds.contains(&Kind::Address) {
            address::find_addresses(chars, &mut found);
        }
        if self.kinds.contains(&Kind::Name) {
            name::find_names(chars, &mut found);
        }
        // Numbers first, then addresses, then names: the first found wins
        // where two overlap.
        let mut kept: Vec<Found> = Vec::new();
        for f in found {
            if !kept.iter().any(|k| f.start < k.end && k.start < f.end) {
                kept.push(f);
            }
        }
        kept.sort_by_key(|f| f.start);
        kept
    }

    /// `text` with its personal data replaced.
    pub fn text(&self, text: &str) -> String {
        if !self.is_on() {
            return text.to_string();
        }
        let chars: Vec<char> = text.chars().collect();
        let found = self.detect(&chars);
        replace_chars(
            &chars,
            &found
                .iter()
                .map(|f| (f.start, f.end, f.kind))
                .collect::<Vec<_>>(),
        )
    }

    /// A transcript with its personal data replaced in every utterance.
    /// Numbers are searched over a speaker's consecutive utterances (a
    /// customer's backchannel from the other side does not interrupt
    /// them), so a number split over two turns goes in both. The `words`
    /// (character times) follow: each placeholder is one word from the
    /// start of the first character it replaces to the end of the last.
    pub fn transcript(&self, mut transcript: Transcript) -> Transcript {
        if !self.is_on() {
            return transcript;
        }
        for run in speaker_runs(&transcript.utterances) {
            let mut chars: Vec<char> = Vec::new();
            let mut origin: Vec<Option<(usize, usize)>> = Vec::new();
            for (k, &u) in run.iter().enumerate() {
                if k > 0 {
                    chars.push('\n');
                    origin.push(None);
                }
                for (i, c) in transcript.utterances[u].text.chars().enumerate() {
                    chars.push(c);
                    origin.push(Some((u, i)));
                }
            }
            let mut per_utterance: BTreeMap<usize, Vec<(usize, usize, Kind)>> = BTreeMap::new();
            for f in self.detect(&chars) {
                let mut parts: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
                // Each utterance's part runs from its first to its last
                // character that is not a pause or punctuation.
                let inside = f.start..f.end;
                for &(u, i) in origin[inside.clone()]
                    .iter()
                    .zip(&chars[inside])
                    .filter(|(_, c)| !is_punctuation(**c))
                    .filter_map(|(o, _)| o.as_ref())
                {
                    let span = parts.entry(u).or_insert((i, i + 1));
                    span.1 = i + 1;
                }
                for (u, (start, end)) in parts {
                    per_utterance
                        .entry(u)
                        .or_default()
                        .push((start, end, f.kind));
                }
            }
            for (u, spans) in per_utterance {
                redact_utterance(&mut transcript.utterances[u], &spans);
            }
        }
        transcript
    }

    /// A report's data redacted in memory (`callqa report --redact` on runs
    /// made without it): transcripts as [`Policy::transcript`], and every
    /// string of the scorecards (evidence quotes) as [`Policy::text`].
    pub fn dataset(&self, dataset: &mut crate::store::Dataset) {
        for call in &mut dataset.calls {
            call.transcript = self.transcript(call.transcript.clone());
            call.scorecard = self.scrub(&call.scorecard);
        }
    }

    /// Every string inside `value` (a scorecard, a summary) with its
    /// personal data replaced: for records made before redaction was on.
    pub fn scrub<T: Serialize + DeserializeOwned + Clone>(&self, value: &T) -> T {
        if !self.is_on() {
            return value.clone();
        }
        let Ok(mut json) = serde_json::to_value(value) else {
            return value.clone();
        };
        self.scrub_value(&mut json);
        serde_json::from_value(json).unwrap_or_else(|_| value.clone())
    }

    fn scrub_value(&self, value: &mut Value) {
        match value {
            Value::String(s) => *s = self.text(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.scrub_value(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.scrub_value(v)),
            _ => {}
        }
    }
}

/// Backchannels (嗯, 好的, 对) from the other side do not end a speaker's run.
fn is_backchannel(text: &str) -> bool {
    let content: Vec<char> = text.chars().filter(|c| !is_punctuation(*c)).collect();
    content.len() <= 2 && content.iter().all(|c| "嗯好的对是哦啊噢呃行".contains(*c))
}

/// Utterance indices grouped into each speaker's runs of consecutive turns.
fn speaker_runs(utterances: &[Utterance]) -> Vec<Vec<usize>> {
    let mut runs: Vec<Vec<usize>> = Vec::new();
    let mut open: Option<usize> = None;
    for (i, u) in utterances.iter().enumerate() {
        match open {
            Some(r) if utterances[runs[r][0]].speaker == u.speaker => runs[r].push(i),
            Some(_) if is_backchannel(&u.text) => runs.push(vec![i]),
            _ => {
                open = Some(runs.len());
                runs.push(vec![i]);
            }
        }
    }
    runs
}

/// `chars` with each `(start, end, kind)` span (sorted, disjoint) replaced.
fn replace_chars(chars: &[char], spans: &[(usize, usize, Kind)]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for &(start, end, kind) in spans {
        out.extend(&chars[at..start]);
        out.push_str(kind.placeholder());
        at = end;
    }
    out.extend(&chars[at..]);
    out
}

/// Replaces spans of one utterance's text and their characters in `words`.
/// Words that do not line up with the text's characters are dropped rather
/// than left to leak what the text no longer says.
fn redact_utterance(utterance: &mut Utterance, spans: &[(usize, usize, Kind)]) {
    let mut spans = spans.to_vec();
    spans.sort();
    let mut merged: Vec<(usize, usize, Kind)> = Vec::new();
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.0 < last.1 => last.1 = last.1.max(span.1),
            _ => merged.push(span),
        }
    }
    let chars: Vec<char> = utterance.text.chars().collect();
    // Index in `words` of each character of the text (separators have none).
    // A placeholder from an earlier redaction is one word.
    let mut word_of: Vec<Option<usize>> = Vec::with_capacity(chars.len());
    let mut word_text: Vec<String> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let rest: String = chars[i..chars.len().min(i + 8)].iter().collect();
        if let Some(kind) = Kind::ALL.iter().find(|k| rest.starts_with(k.placeholder())) {
            let n = kind.placeholder().chars().count();
            word_of.extend(std::iter::repeat_n(Some(word_text.len()), n));
            word_text.push(kind.placeholder().to_string());
            i += n;
        } else if is_punctuation(chars[i]) {
            word_of.push(None);
            i += 1;
        } else {
            word_of.push(Some(word_text.len()));
            word_text.push(chars[i].to_string());
            i += 1;
        }
    }
    if let Some(Value::Array(words)) = utterance.extra.get("words") {
        let aligned = words.len() == word_text.len()
            && words
                .iter()
                .zip(&word_text)
                .all(|(w, t)| w.get("text").and_then(Value::as_str) == Some(t.as_str()));
        let new_words = aligned.then(|| {
            let mut out = Vec::with_capacity(words.len());
            let mut w = 0;
            for &(start, end, kind) in &merged {
                let mut covered: Vec<usize> =
                    word_of[start..end].iter().flatten().copied().collect();
                covered.dedup();
                let (Some(&first), Some(&last)) = (covered.first(), covered.last()) else {
                    continue;
                };
                out.extend(words[w..first].iter().cloned());
                let time =
                    |i: usize, field: &str| words[i].get(field).cloned().unwrap_or(Value::Null);
                let p = covered
                    .iter()
                    .filter_map(|&i| words[i].get("p").and_then(Value::as_f64))
                    .fold(1.0f64, f64::min);
                out.push(json!({
                    "text": kind.placeholder(),
                    "start_ms": time(first, "start_ms"),
                    "end_ms": time(last, "end_ms"),
                    "p": p,
                }));
                w = last + 1;
            }
            out.extend(words[w..].iter().cloned());
            out
        });
        match new_words {
            Some(words) => {
                utterance.extra.insert("words".into(), Value::Array(words));
            }
            None => {
                utterance.extra.remove("words");
            }
        }
    }
    utterance.text = replace_chars(&chars, &merged);
}

/// Whether `text` is one of the placeholders.
pub fn is_placeholder(text: &str) -> bool {
    Kind::ALL.iter().any(|k| k.placeholder() == text)
}

/// The time spans (ms) of a redacted transcript's placeholders, for muting
/// the recording: from the placeholder words' times, else the whole
/// utterance, else (no times at all) the whole recording.
pub fn redacted_spans(transcript: &Transcript) -> Vec<(u64, u64)> {
    let mut spans = Vec::new();
    for u in &transcript.utterances {
        if !Kind::ALL.iter().any(|k| u.text.contains(k.placeholder())) {
            continue;
        }
        let from_words: Vec<(u64, u64)> = u
            .extra
            .get("words")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|w| {
                w.get("text")
                    .and_then(Value::as_str)
                    .is_some_and(is_placeholder)
            })
            .filter_map(|w| Some((w.get("start_ms")?.as_u64()?, w.get("end_ms")?.as_u64()?)))
            .collect();
        if !from_words.is_empty() {
            spans.extend(from_words);
        } else if let (Some(start), Some(end)) = (u.start_ms, u.end_ms) {
            spans.push((start, end));
        } else {
            spans.push((0, u64::MAX));
        }
    }
    spans
}

/// Name suffix of a recording's copy with `spans` silenced: none for an
/// untouched copy, else one that differs with the spans, so a copy made
/// before redaction (or with other spans) is never taken for this one.
pub fn copy_suffix(spans: &[(u64, u64)]) -> String {
    if spans.is_empty() {
        return String::new();
    }
    let text: Vec<String> = spans.iter().map(|(a, b)| format!("{a}-{b}")).collect();
    let hash = crate::rubric::sha256_hex(text.join(",").as_bytes());
    format!("-redacted-{}", &hash[..12])
}
