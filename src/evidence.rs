//! Evidence: what was said, quoted as it was said.
//!
//! Matching runs on normalised text (Simplified characters, 您 folded into
//! 你, Chinese numerals written as digits, punctuation dropped); a person
//! reading a scorecard must see the words of the utterance as spoken (or as
//! the ASR wrote them). This module owns the way from a hit in the
//! normalised text back to the original words: [`collect_evidence`] for a
//! scorecard's evidence and [`spoken_quote`] for the quotes inside reasons.
//!
//! The way back is computed only for utterances that are cited, by running
//! the normalisation again with bookkeeping ([`text::normalize_traced`]), so
//! analysing a call costs nothing extra.
//!
//! Two things come out of a hit:
//! - its *span*: exactly the original characters that matched, from the
//!   first to the last matched character (punctuation, spaces and emoji
//!   between them included), for highlighting;
//! - its *quote*: the span widened to whole words, so a match that ends in
//!   the middle of 退款 is quoted as far as 款, and 免费换1 (matched after
//!   一个 became 1个) is quoted as 免费换一个. A point is a word boundary
//!   when neither jieba's cut of the original text (Traditional characters
//!   read as Simplified, numerals as written) nor the rubric's cut of the
//!   normalised text runs a word across it.

use std::cell::OnceCell;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::rubric::compile::CallView;
use crate::rubric::eval::Located;
use crate::text::{self, AnalyzedText};

/// One utterance cited as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub speaker: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ms: Option<u64>,
    /// The utterance as in the transcript.
    pub text: String,
    /// What matched, quoted from `text` as said and widened to whole words;
    /// one entry per distinct matched stretch of `text`, in the order they
    /// occur in it. Not deduplicated by wording: the same words matched
    /// twice are two entries, each with its own span.
    pub matched: Vec<String>,
    /// `spans[k]` is the character range `[start, end)` of `text` (counted
    /// in Unicode scalar values, not bytes) that `matched[k]` was matched
    /// on: exactly the matched characters, not widened, with whatever
    /// punctuation or spaces lie between them. Spans may overlap or nest
    /// (two phrases sharing words). Empty when the way back could not be
    /// traced (and in scorecards stored before spans existed); otherwise
    /// as long as `matched`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spans: Vec<[usize; 2]>,
}

pub(crate) fn collect_evidence(call: &CallView, hits: &[Located]) -> Vec<Evidence> {
    let mut by_utterance: BTreeMap<usize, Vec<&Located>> = BTreeMap::new();
    for h in hits {
        by_utterance.entry(h.utterance).or_default().push(h);
    }
    by_utterance
        .into_iter()
        .map(|(i, hits)| {
            let u = &call.utterances[i];
            let original = call.original(i);
            let quoted: Vec<&Located> = hits.into_iter().filter(|h| quotable(call, h)).collect();
            let spoken = if quoted.is_empty() {
                None
            } else {
                spoken(call, i)
            };
            let (matched, spans) = match &spoken {
                Some(spoken) => {
                    let mut entries: Vec<([usize; 2], String)> = quoted
                        .iter()
                        .map(|h| {
                            let span = spoken.span(&u.text, h.start, h.end);
                            (span, spoken.quote(span))
                        })
                        .collect();
                    entries.sort();
                    entries.dedup_by(|a, b| a.0 == b.0);
                    entries.into_iter().map(|(s, q)| (q, s)).unzip()
                }
                None => {
                    // Not traceable (cannot happen while scoring analyses
                    // the transcript text itself): the normalised words,
                    // without spans rather than with wrong ones.
                    let mut matched: Vec<String> = Vec::new();
                    for h in quoted {
                        if !matched.contains(&h.matched) {
                            matched.push(h.matched.clone());
                        }
                    }
                    (matched, Vec::new())
                }
            };
            Evidence {
                speaker: original.speaker.clone(),
                start_ms: u.start_ms,
                end_ms: u.end_ms,
                text: original.text.clone(),
                matched,
                spans,
            }
        })
        .collect()
}

/// A hit that quotes words (not a whole-utterance or timing hit).
fn quotable(call: &CallView, h: &Located) -> bool {
    !h.matched.is_empty() && h.start < h.end && h.end <= call.utterances[h.utterance].text.len()
}

/// The words of `hit` as they were said, widened to whole words, for a quote
/// inside a reason. Empty for a hit that quotes nothing (a whole utterance,
/// a silence).
pub fn spoken_quote(call: &CallView, hit: &Located) -> String {
    if !quotable(call, hit) {
        return hit.matched.clone();
    }
    let u = &call.utterances[hit.utterance];
    match spoken(call, hit.utterance) {
        Some(spoken) => spoken.quote(spoken.span(&u.text, hit.start, hit.end)),
        None => hit.matched.clone(),
    }
}

/// The character range `[start, end)` of the original text of utterance
/// `hit.utterance` that `hit` matched (see [`Evidence::spans`]); `None` for
/// a hit that quotes nothing.
pub fn spoken_span(call: &CallView, hit: &Located) -> Option<[usize; 2]> {
    if !quotable(call, hit) {
        return None;
    }
    let u = &call.utterances[hit.utterance];
    spoken(call, hit.utterance).map(|spoken| spoken.span(&u.text, hit.start, hit.end))
}

/// The way back from an utterance's analysis to its original words, worked
/// out once per utterance view on first use: the items of one call cite the
/// same few utterances over and over (the opening, the apology), and the way
/// back costs a normalisation and a jieba cut. Kept on the view rather than
/// in a cache keyed by text, whose every lookup compared whole utterances:
/// an agent repeating one promise 40,000 times in one utterance took 16 s
/// instead of 1.
#[derive(Default)]
pub struct SpokenCache(OnceCell<Option<Spoken>>);

fn spoken<'v>(call: &'v CallView, utterance: usize) -> Option<&'v Spoken> {
    let u = &call.utterances[utterance];
    u.spoken
        .0
        .get_or_init(|| Spoken::new(&call.original(utterance).text, &u.text))
        .as_ref()
}

/// One cited utterance's way back from its analysis to its original text.
pub struct Spoken {
    /// The original text's characters.
    chars: Vec<char>,
    /// Per normalised character: the original characters it came from.
    source: Vec<[u32; 2]>,
    /// Per original position `0..=chars.len()`: a quote may begin or end
    /// here (no word runs across it).
    boundary: Vec<bool>,
}

impl Spoken {
    /// `None` when `analyzed` is not the analysis of `raw` (then positions
    /// in it say nothing about `raw`).
    fn new(raw: &str, analyzed: &AnalyzedText) -> Option<Spoken> {
        let traced = text::normalize_traced(raw);
        let chars: Vec<char> = raw.chars().collect();
        if traced.normalized != analyzed.normalized
            || traced.source.len() != analyzed.normalized_char_bytes.len() - 1
            || traced.simplified.chars().count() != chars.len()
        {
            return None;
        }
        // jieba on the original text read as Simplified: 一个, 两个, 退款 are
        // words there whatever the normalised text made of them.
        let mut boundary = text::plain_segmenter().word_boundaries(&traced.simplified);
        // The rubric's own cut of the normalised text (its domain
        // dictionary), one word per run between match-text boundaries.
        let n = analyzed.len();
        let mut first = 0;
        for m in 1..=n {
            if !analyzed.boundary[m] {
                continue;
            }
            let a = traced.source[analyzed.match_to_normalized[first] as usize][0] as usize;
            let b = traced.source[analyzed.match_to_normalized[m - 1] as usize][1] as usize;
            for inside in boundary.iter_mut().take(b).skip(a + 1) {
                *inside = false;
            }
            first = m;
        }
        Some(Spoken {
            chars,
            source: traced.source,
            boundary,
        })
    }

    /// Original characters of match-text characters `[start, end)`.
    fn span(&self, analyzed: &AnalyzedText, start: usize, end: usize) -> [usize; 2] {
        let first = analyzed.match_to_normalized[start] as usize;
        let last = analyzed.match_to_normalized[end - 1] as usize;
        [
            self.source[first][0] as usize,
            self.source[last][1] as usize,
        ]
    }

    /// The original words around `span`, widened to word boundaries.
    fn quote(&self, span: [usize; 2]) -> String {
        let [mut a, mut b] = span;
        while a > 0 && !self.boundary[a] {
            a -= 1;
        }
        while b < self.chars.len() && !self.boundary[b] {
            b += 1;
        }
        self.chars[a..b].iter().collect()
    }
}
