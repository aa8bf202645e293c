//! Complaint hotspots (投诉热点): what customers complain about, overall and per
//! ISO week, from the customer side of the transcripts, with call counts and
//! example calls — the report a QA lead sends to management.
//!
//! Candidates are jieba content words, negation units (没送到) and two-word
//! phrases (重复扣费, 洗衣机漏水) from customer sentences, after stop words for
//! call-centre chatter ([`tokens`]). They are counted per call, weighted by
//! jieba's TF-IDF and TextRank keyword weights within each call, and ranked by
//! how many calls mention them. A word mentioned only in calls that also
//! mention a longer hotspot containing it (漏水 in 洗衣机漏水) is absorbed.

mod tokens;
pub(crate) mod week;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use jieba_rs::{KeywordExtract, KeywordExtractConfig, TextRank, TfIdf};
use rayon::prelude::*;
use serde::Serialize;

use crate::text::normalize;
use crate::transcript::{Role, Transcript};

use tokens::{fold, Tokenizer};
use week::IsoWeek;

/// What to report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HotspotOptions {
    /// Hotspots per period.
    pub top: usize,
    /// Example calls (and snippets) per hotspot.
    pub examples: usize,
    /// A candidate must occur in at least this many calls (of the period).
    pub min_calls: usize,
}

impl Default for HotspotOptions {
    fn default() -> Self {
        HotspotOptions {
            top: 10,
            examples: 3,
            min_calls: 2,
        }
    }
}

/// One complaint topic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hotspot {
    pub phrase: String,
    /// `calls × (0.5 + 0.5 × keyword weight)`, rounded to 3 decimals.
    pub score: f64,
    /// Calls in which a customer mentions it.
    pub calls: usize,
    /// Mentions in total (a call repeating it counts each time).
    pub mentions: usize,
    /// The calls that mention it most, then by call id.
    pub example_call_ids: Vec<String>,
    /// For each example call, the customer sentence of its first mention.
    pub example_snippets: Vec<String>,
}

/// The hotspots of one ISO week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodHotspots {
    /// ISO week, "2026-W47".
    pub period: String,
    /// Its Monday, "2026-11-16".
    pub week_start: String,
    /// Calls that week.
    pub calls: usize,
    pub hotspots: Vec<Hotspot>,
}

/// Hotspots overall and per week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HotspotReport {
    /// The threshold: a phrase is a hotspot of a period only when customers
    /// mention it in at least this many of its calls.
    pub min_calls: usize,
    /// At most this many hotspots are listed per period.
    pub top: usize,
    pub calls: usize,
    /// Customer utterances with text, over all calls.
    pub customer_utterances: usize,
    /// Calls without a readable `started_at`: counted overall, in no week.
    pub undated_calls: Vec<String>,
    pub overall: Vec<Hotspot>,
    /// Chronological.
    pub weeks: Vec<PeriodHotspots>,
}

/// Segmenter, stop words and keyword extractors (with jieba's IDF table),
/// built once and shared read-only; `report` may be called many times.
pub struct HotspotExtractor {
    tokenizer: Tokenizer,
    tfidf: TfIdf,
    textrank: TextRank,
}

impl Default for HotspotExtractor {
    fn default() -> Self {
        Self::new()
    }
}

/// One candidate within one call.
#[derive(Debug, Clone)]
struct Occurrence {
    mentions: usize,
    /// Customer sentence of the first mention, shortened around it.
    snippet: String,
    /// Keyword weight of the candidate in this call, 0..=1.
    weight: f64,
}

/// What one call contributes.
#[derive(Debug, Default)]
struct CallCandidates {
    customer_utterances: usize,
    found: HashMap<String, Occurrence>,
}

impl HotspotExtractor {
    pub fn new() -> HotspotExtractor {
        let tokenizer = Tokenizer::new();
        let config = KeywordExtractConfig::builder()
            .set_stop_words(tokens::stop_words())
            .min_keyword_length(2)
            .use_hmm(false)
            .build();
        let mut tfidf = TfIdf::default();
        *tfidf.config_mut() = config.clone();
        HotspotExtractor {
            tokenizer,
            tfidf,
            textrank: TextRank::new(5, config),
        }
    }

    /// Hotspots of `calls`: overall, and per ISO week of `started_at`.
    /// The result does not depend on the order of `calls`.
    pub fn report(&self, calls: &[Transcript], options: &HotspotOptions) -> HotspotReport {
        // Call id order makes ties, examples and output independent of the
        // order files were listed in.
        let mut order: Vec<usize> = (0..calls.len()).collect();
        order.sort_by(|&a, &b| calls[a].call_id.cmp(&calls[b].call_id).then(a.cmp(&b)));
        let sorted: Vec<&Transcript> = order.iter().map(|&i| &calls[i]).collect();

        let analyzed: Vec<CallCandidates> = sorted
            .par_iter()
            .map(|call| self.analyze_call(call))
            .collect();

        let mut undated_calls = Vec::new();
        let mut weeks: BTreeMap<IsoWeek, Vec<usize>> = BTreeMap::new();
        for (index, call) in sorted.iter().enumerate() {
            match call.started_at.as_deref().and_then(week::iso_week) {
                Some(w) => weeks.entry(w).or_default().push(index),
                None => undated_calls.push(call.call_id.clone()),
            }
        }

        let all: Vec<usize> = (0..sorted.len()).collect();
        let overall = rank(&sorted, &analyzed, &all, options);
        let weeks = weeks
            .into_iter()
            .map(|(week, members)| PeriodHotspots {
                period: week.label(),
                week_start: week.start(),
                calls: members.len(),
                hotspots: rank(&sorted, &analyzed, &members, options),
            })
            .collect();
        HotspotReport {
            min_calls: options.min_calls.max(1),
            top: options.top,
            calls: sorted.len(),
            customer_utterances: analyzed.iter().map(|a| a.customer_utterances).sum(),
            undated_calls,
            overall,
            weeks,
        }
    }

    /// Candidates of one call's customer side, with counts, snippets and
    /// keyword weights.
    fn analyze_call(&self, call: &Transcript) -> CallCandidates {
        let mut result = CallCandidates::default();
        let mut sentences: Vec<String> = Vec::new();
        for utterance in &call.utterances {
            if Role::from_speaker(&utterance.speaker) != Role::Customer {
                continue;
            }
            let normalized = normalize(&utterance.text);
            if normalized.trim().is_empty() {
                continue;
            }
            result.customer_utterances += 1;
            sentences.extend(split_sentences(&normalized));
        }
        if sentences.is_empty() {
            return result;
        }

        let mut parts_of: HashMap<String, Vec<String>> = HashMap::new();
        for sentence in &sentences {
            let folded = fold(sentence);
            for candidate in self.tokenizer.candidates(&folded) {
                let entry = result
                    .found
                    .entry(candidate.text.clone())
                    .or_insert_with(|| {
                        parts_of.insert(candidate.text.clone(), candidate.parts.clone());
                        Occurrence {
                            mentions: 0,
                            snippet: snippet(sentence, candidate.start, candidate.end),
                            weight: 0.0,
                        }
                    });
                entry.mentions += 1;
            }
        }

        let weights = self.keyword_weights(&sentences);
        for (text, occurrence) in result.found.iter_mut() {
            let parts = parts_of.get(text).map(Vec::as_slice).unwrap_or_default();
            let known: Vec<f64> = parts
                .iter()
                .filter_map(|p| weights.get(p).copied())
                .collect();
            // Parts jieba does not weigh (a single-character verb in 没开) get
            // a neutral weight rather than zero, so negations are not buried.
            occurrence.weight = if known.is_empty() {
                0.5
            } else {
                known.iter().sum::<f64>() / known.len() as f64
            };
        }
        result
    }

    /// Per word: the mean of its TF-IDF and TextRank weights in this call,
    /// each scaled so the call's top keyword has 1.
    fn keyword_weights(&self, sentences: &[String]) -> HashMap<String, f64> {
        let text = fold(&sentences.join("。"));
        let jieba = &self.tokenizer.jieba;
        let mut weights: HashMap<String, f64> = HashMap::new();
        for keywords in [
            self.tfidf
                .extract_keywords(jieba, &text, usize::MAX, Vec::new()),
            self.textrank
                .extract_keywords(jieba, &text, usize::MAX, Vec::new()),
        ] {
            let max = keywords.iter().map(|k| k.weight).fold(0.0f64, f64::max);
            if max <= 0.0 || !max.is_finite() {
                continue;
            }
            for keyword in keywords {
                *weights.entry(keyword.keyword).or_insert(0.0) += 0.5 * keyword.weight / max;
            }
        }
        weights
    }
}

/// Aggregate of one candidate over the calls of a period.
struct Tally {
    calls: Vec<usize>,
    mentions: usize,
    weight_sum: f64,
}

/// The top hotspots among `members` (indices into `calls`, ascending).
fn rank(
    calls: &[&Transcript],
    analyzed: &[CallCandidates],
    members: &[usize],
    options: &HotspotOptions,
) -> Vec<Hotspot> {
    let min_calls = options.min_calls.max(1);
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    for &index in members {
        let Some(call) = analyzed.get(index) else {
            continue;
        };
        for (text, occurrence) in &call.found {
            let tally = tallies.entry(text.as_str()).or_insert(Tally {
                calls: Vec::new(),
                mentions: 0,
                weight_sum: 0.0,
            });
            tally.calls.push(index);
            tally.mentions += occurrence.mentions;
            tally.weight_sum += occurrence.weight;
        }
    }
    tallies.retain(|_, t| t.calls.len() >= min_calls);
    for tally in tallies.values_mut() {
        tally.calls.sort_unstable();
    }

    // A word is absorbed by a longer hotspot containing it (漏水 in 洗衣机漏水)
    // when every call mentioning it also mentions the longer one: then it is
    // the same complaint. One call elsewhere keeps it, because then the word
    // is the wider complaint (快递 over 快递延迟 and 快递没送到).
    let mut absorbed: BTreeSet<&str> = BTreeSet::new();
    for (longer, longer_tally) in &tallies {
        let chars: Vec<char> = longer.chars().collect();
        // Every shorter candidate inside it: hotspots are a few characters
        // long, so enumerating substrings beats comparing all pairs.
        for from in 0..chars.len() {
            for to in from + 1..=chars.len() {
                if to - from == chars.len() {
                    continue;
                }
                let inner: String = chars[from..to].iter().collect();
                if let Some((text, tally)) = tallies.get_key_value(inner.as_str()) {
                    if is_subset(&tally.calls, &longer_tally.calls) {
                        absorbed.insert(*text);
                    }
                }
            }
        }
    }

    let mut hotspots: Vec<Hotspot> = tallies
        .iter()
        .filter(|(text, _)| !absorbed.contains(*text))
        .map(|(text, tally)| {
            let n = tally.calls.len();
            let weight = (tally.weight_sum / n as f64).clamp(0.0, 1.0);
            let score = round3(n as f64 * (0.5 + 0.5 * weight));
            let mut examples: Vec<(usize, usize)> = tally
                .calls
                .iter()
                .map(|&i| (i, analyzed[i].found.get(*text).map_or(0, |o| o.mentions)))
                .collect();
            // Most mentions first: the calls where it is the main complaint.
            examples.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            examples.truncate(options.examples);
            Hotspot {
                phrase: text.to_string(),
                score,
                calls: n,
                mentions: tally.mentions,
                example_call_ids: examples
                    .iter()
                    .map(|&(i, _)| calls[i].call_id.clone())
                    .collect(),
                example_snippets: examples
                    .iter()
                    .map(|&(i, _)| {
                        analyzed[i]
                            .found
                            .get(*text)
                            .map(|o| o.snippet.clone())
                            .unwrap_or_default()
                    })
                    .collect(),
            }
        })
        .collect();
    hotspots.sort_by(compare_hotspots);
    hotspots.truncate(options.top);
    hotspots
}

/// Score, then calls, then mentions (all descending), then the phrase, so
/// equal scores always come out in the same order.
fn compare_hotspots(a: &Hotspot, b: &Hotspot) -> Ordering {
    b.score
        .total_cmp(&a.score)
        .then(b.calls.cmp(&a.calls))
        .then(b.mentions.cmp(&a.mentions))
        .then_with(|| a.phrase.cmp(&b.phrase))
}

/// True when every element of sorted `a` is in sorted `b`.
fn is_subset(a: &[usize], b: &[usize]) -> bool {
    a.iter().all(|x| b.binary_search(x).is_ok())
}

/// Rounded so that JSON and CSV output do not change with the last bits of
/// floating-point sums.
fn round3(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1000.0).round() / 1000.0
    } else {
        0.0
    }
}

/// Splits normalised text into sentences at sentence-final punctuation;
/// clause commas (and ASR pauses, which `normalize` turns into commas) stay.
fn split_sentences(normalized: &str) -> Vec<String> {
    normalized
        .split(['。', '！', '？', '；', '…'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Sentences up to this many characters are shown whole.
const SNIPPET_MAX: usize = 40;
/// Characters shown either side of a hotspot in a longer sentence.
const SNIPPET_CONTEXT: usize = 16;

/// The sentence, or the part of it around characters `[start, end)`.
fn snippet(sentence: &str, start: usize, end: usize) -> String {
    let chars: Vec<char> = sentence.chars().collect();
    if chars.len() <= SNIPPET_MAX {
        return sentence.to_string();
    }
    let from = start.saturating_sub(SNIPPET_CONTEXT);
    let to = end.saturating_add(SNIPPET_CONTEXT).min(chars.len());
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    out.extend(&chars[from.min(to)..to]);
    if to < chars.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests;
