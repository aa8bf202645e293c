//! Utterances split in two at a clause boundary.

use super::{inside_number, is_clause_mark, mutation, part_of, Apply, Settings, Variant};
use crate::i18n::Text;
use crate::text;
use crate::transcript::Transcript;

mutation! {
    /// Split utterances: every utterance of two or more clauses is cut at
    /// one clause boundary (after a clause mark, chosen by the seed) into two
    /// utterances of the same speaker, the time divided in proportion to the
    /// characters on each side, as a voice-activity detector cuts at a pause.
    /// Unpunctuated utterances are not cut: their clause boundaries are not
    /// visible.
    ///
    /// Must keep every verdict: rules count turns (runs of one speaker), so
    /// a pause inside a turn changes nothing.
    pub static SPLIT = ("split", ["拆分语句", "split utterances"], Apply::Keep(apply));
}

fn apply(call: &Transcript, settings: &Settings) -> Vec<Variant> {
    let mut t = call.clone();
    t.utterances.clear();
    let mut sources = Vec::new();
    for (i, u) in call.utterances.iter().enumerate() {
        let cuts = cut_points(&u.text);
        if cuts.is_empty() {
            t.utterances.push(u.clone());
            sources.push(i..i + 1);
            continue;
        }
        let mut rng = settings.rng("split", &call.call_id, i);
        let at = cuts[rng.below(cuts.len() as u64) as usize];
        let chars: Vec<char> = u.text.chars().collect();
        let first: String = chars[..at].iter().collect();
        let second: String = chars[at..]
            .iter()
            .collect::<String>()
            .trim_start()
            .to_string();
        let (a, total) = (text::content_chars(&first), text::content_chars(&u.text));
        t.utterances.push(part_of(u, first, 0, a, total));
        t.utterances.push(part_of(u, second, a, total, total));
        sources.push(i..i + 1);
        sources.push(i..i + 1);
    }
    if t.utterances.len() == call.utterances.len() {
        return Vec::new();
    }
    vec![Variant {
        label: Text::default(),
        transcript: t,
        sources,
    }]
}

/// Character positions just after a clause mark where both sides hold at
/// least two characters of speech.
pub fn cut_points(text: &str) -> Vec<usize> {
    let chars: Vec<char> = text.chars().collect();
    let mut cuts = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        if !is_clause_mark(c) || inside_number(&chars, i) {
            continue;
        }
        let mut at = i + 1;
        while at < chars.len() && (is_clause_mark(chars[at]) || chars[at].is_whitespace()) {
            at += 1;
        }
        let before: String = chars[..at].iter().collect();
        let after: String = chars[at..].iter().collect();
        if text::content_chars(&before) >= 2
            && text::content_chars(&after) >= 2
            && !cuts.contains(&at)
        {
            cuts.push(at);
        }
    }
    cuts
}
