//! Consecutive utterances of one speaker merged.

use super::{is_clause_mark, mutation, Apply, Settings, Variant};
use crate::i18n::Text;
use crate::transcript::{Transcript, Utterance};

mutation! {
    /// Merged utterances: every run of consecutive utterances of the same
    /// speaker becomes one utterance from the first start to the last end
    /// — when it is one stretch of speech: each pause in it under 3 s and
    /// nobody else speaking during it (merging 请您稍等 across a 20 s hold,
    /// or a backchannel said while the customer talked with the answer
    /// after, would change the timing, not just the segmentation) —
    /// the texts joined with a comma (a space in unpunctuated transcripts),
    /// the ASR confidence their character-weighted mean. Calls with no such
    /// run are left out.
    ///
    /// Must keep every verdict: the same words by the same speaker in the
    /// same turn.
    pub static MERGE = ("merge", ["合并语句", "merged utterances"], Apply::Keep(apply));
}

fn apply(call: &Transcript, _: &Settings) -> Vec<Variant> {
    let punctuated = call
        .utterances
        .iter()
        .any(|u| u.text.chars().any(is_clause_mark));
    let mut t = call.clone();
    t.utterances.clear();
    let mut sources: Vec<std::ops::Range<usize>> = Vec::new();
    let us = &call.utterances;
    let mut i = 0;
    while i < us.len() {
        let mut j = i + 1;
        while j < us.len() && us[j].speaker == us[i].speaker && joinable(us, i, j) {
            j += 1;
        }
        t.utterances.push(merged(&us[i..j], punctuated));
        sources.push(i..j);
        i = j;
    }
    if t.utterances.len() == us.len() {
        return Vec::new();
    }
    vec![Variant {
        label: Text::default(),
        transcript: t,
        sources,
    }]
}

/// The longest pause inside one stretch of speech.
const MAX_PAUSE_MS: u64 = 3_000;

/// Whether utterance `j` can join the run `i..j`: a short pause, and no
/// other speaker's utterance overlapping the run's time.
fn joinable(us: &[Utterance], i: usize, j: usize) -> bool {
    let (Some(end), Some(next), Some(start)) = (us[j - 1].end_ms, us[j].start_ms, us[i].start_ms)
    else {
        // Untimed: the order is all there is.
        return true;
    };
    let until = us[j].end_ms.unwrap_or(next);
    next.saturating_sub(end) < MAX_PAUSE_MS
        && !us.iter().any(|o| {
            o.speaker != us[i].speaker
                && o.start_ms.is_some_and(|s| s < until)
                && o.end_ms.is_some_and(|e| e > start)
        })
}

fn merged(run: &[Utterance], punctuated: bool) -> Utterance {
    let mut u = run[0].clone();
    if run.len() == 1 {
        return u;
    }
    let mut text = String::new();
    for part in run {
        let piece = part.text.trim();
        if !text.is_empty() && !text.ends_with(is_clause_mark) {
            text.push_str(if punctuated { "，" } else { " " });
        }
        text.push_str(piece);
    }
    u.text = text;
    u.end_ms = run.iter().rev().find_map(|p| p.end_ms).or(u.end_ms);
    let weighted: Vec<(f64, f64)> = run
        .iter()
        .filter_map(|p| {
            p.confidence
                .map(|c| (c, p.text.chars().count().max(1) as f64))
        })
        .collect();
    let weight: f64 = weighted.iter().map(|(_, w)| w).sum();
    u.confidence =
        (weight > 0.0).then(|| weighted.iter().map(|(c, w)| c * w).sum::<f64>() / weight);
    u
}
