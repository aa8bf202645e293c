//! The sentences holding the matched words removed.

use super::{is_sentence_end, mutation, Apply, Cited, Settings, Variant};
use crate::i18n::Text;
use crate::text;
use crate::transcript::Transcript;

mutation! {
    /// Matched sentence removed: every sentence (up to 。？！；…, or the whole
    /// utterance when it is unpunctuated) that holds words the item's
    /// verdict cites is deleted; an utterance left with no words is deleted
    /// with it.
    ///
    /// Must change the verdict: it rested on those words.
    pub static SENTENCE_REMOVED = ("sentence_removed", ["删除命中句", "matched sentence removed"], Apply::Change(apply));
}

fn apply(call: &Transcript, cited: &[Cited], _: &Settings) -> Option<Variant> {
    let mut t = call.clone();
    let mut any = false;
    let mut emptied = Vec::new();
    for c in cited {
        if c.spans.is_empty() {
            continue;
        }
        let u = &mut t.utterances[c.utterance];
        u.text = remove_sentences(&u.text, &c.spans);
        any = true;
        if text::content_chars(&u.text) == 0 {
            emptied.push(c.utterance);
        }
    }
    if !any {
        return None;
    }
    let mut sources = Vec::new();
    let mut kept = Vec::new();
    for (i, u) in t.utterances.into_iter().enumerate() {
        if !emptied.contains(&i) {
            kept.push(u);
            sources.push(i..i + 1);
        }
    }
    t.utterances = kept;
    Some(Variant {
        label: Text::default(),
        transcript: t,
        sources,
    })
}

/// `text` without the sentences that overlap any of `spans` (character ranges).
pub fn remove_sentences(text: &str, spans: &[[usize; 2]]) -> String {
    let chars: Vec<char> = text.chars().collect();
    // Sentence k covers [bounds[k], bounds[k + 1]).
    let mut bounds = vec![0];
    for (i, &c) in chars.iter().enumerate() {
        if is_sentence_end(c) && chars.get(i + 1).is_none_or(|n| !is_sentence_end(*n)) {
            bounds.push(i + 1);
        }
    }
    if *bounds.last().unwrap_or(&0) != chars.len() {
        bounds.push(chars.len());
    }
    let mut out = String::new();
    for w in bounds.windows(2) {
        let (a, b) = (w[0], w[1]);
        let hit = spans.iter().any(|s| s[0] < b && s[1] > a);
        if !hit {
            out.extend(&chars[a..b]);
        }
    }
    out.trim().to_string()
}
