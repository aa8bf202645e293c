//! Finding the promises of one call through the rubric's own promise act.
//!
//! What is a promise is the rubric's business, not this module's: the hits
//! of the named match `follow_up_promise` (`[matches.follow_up_promise]` of
//! the rubric, in agent speech, with its homophone tolerance — 回店 for 回电 —
//! its exclusions and its `unless` patterns for questions, advice to the
//! customer, things already done, the call-back call itself and restated
//! promises). The kind of each promise is the rubric's too: the named
//! matches `promise_sms`, `promise_visit`, `promise_delivery`,
//! `promise_refund` and `promise_contact` (first that overlaps the hit wins;
//! contact when none does). `promise_specific` judges a promise specific
//! when its sentence has a hit of `deadline_expression`; the named match
//! `promise_deadline` is that same act, so the ledger has a deadline exactly
//! when the scorecard says the promise has one.
//!
//! What this module adds is time: each promise gets the time expression of
//! its clause or sentence, found and resolved by [`super::timexpr`] against
//! the moment the words were said:
//! - its own clause's time (the closest one before the promised words, else
//!   the first after), else the nearest earlier clause of the sentence with a
//!   time and no promise of its own (明天上午，我给您回电话), else a later one
//!   (我给您回电话，明天上午之前), else any time of the sentence;
//! - a time already over when said (昨天) binds nothing;
//! - when the rubric sees a deadline the resolver cannot place (马上, 立刻,
//!   当天), the promise is due by the end of the day it was said, like 稍后;
//! - a vague promise (稍后, 尽快, no time at all) has no deadline; 稍后 still
//!   makes it due by the end of that day for follow-through.
//!
//! Hits of one kind in one sentence bound by the same time are one promise
//! (我明天给您回电，告知您结果).

use jiff::Zoned;

use super::timexpr::{self, Spec, TimeMatch};
use super::PromiseKind;
use crate::rubric::CompiledRubric;
use crate::score::ActHit;
use crate::text::{fold_for_matching, is_punctuation, normalize};

/// The rubric's named match whose hits are promises.
pub(crate) const PROMISE_ACT: &str = "follow_up_promise";
/// The rubric's named match for a deadline, as `promise_specific` reads it.
pub(crate) const DEADLINE_ACT: &str = "promise_deadline";
/// Named matches that give a promise its kind, in order of precedence.
pub(crate) const KIND_ACTS: [(&str, PromiseKind); 5] = [
    ("promise_sms", PromiseKind::Sms),
    ("promise_visit", PromiseKind::Visit),
    ("promise_delivery", PromiseKind::Delivery),
    ("promise_refund", PromiseKind::Refund),
    ("promise_contact", PromiseKind::Contact),
];

/// A promise found in one utterance, before follow-through.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    /// Original text of the clauses from the time expression to the promise.
    pub text: String,
    /// The time words as spoken; empty when none was given.
    pub time_expression: String,
    /// The promised words as the rubric matched them (normalised).
    pub action: String,
    pub kind: PromiseKind,
    /// The checkable deadline; `None` for a vague promise.
    pub deadline: Option<Zoned>,
    /// When the promise is due for follow-through: the deadline, or the end
    /// of the day for 稍后.
    pub due: Option<Zoned>,
    /// Clause index in the utterance: orders several promises of one turn.
    pub position: usize,
}

/// The hits of the rubric's acts in one call, per utterance.
pub(crate) struct Acts {
    pub promises: Vec<ActHit>,
    pub kinds: Vec<(PromiseKind, Vec<ActHit>)>,
    pub deadlines: Vec<ActHit>,
}

impl Acts {
    /// `None` when the rubric has no `follow_up_promise`.
    pub(crate) fn find(
        rubric: &CompiledRubric,
        view: &crate::rubric::compile::CallView,
    ) -> Option<Acts> {
        let promises = rubric.find_act(view, PROMISE_ACT)?;
        let kinds = KIND_ACTS
            .iter()
            .map(|(name, kind)| (*kind, rubric.find_act(view, name).unwrap_or_default()))
            .collect();
        let deadlines = rubric.find_act(view, DEADLINE_ACT).unwrap_or_default();
        Some(Acts {
            promises,
            kinds,
            deadlines,
        })
    }

    fn kind_of(&self, hit: &ActHit) -> PromiseKind {
        self.kinds
            .iter()
            .find(|(_, hits)| {
                hits.iter()
                    .any(|h| h.utterance == hit.utterance && h.start < hit.end && hit.start < h.end)
            })
            .map_or(PromiseKind::Contact, |(kind, _)| *kind)
    }
}

/// The promises of utterance `utterance` (transcript index) with text
/// `text`, said at `said_at`.
pub(crate) fn promises_in(
    acts: &Acts,
    utterance: usize,
    text: &str,
    said_at: &Zoned,
) -> Vec<Found> {
    let hits: Vec<&ActHit> = acts
        .promises
        .iter()
        .filter(|h| h.utterance == utterance)
        .collect();
    if hits.is_empty() {
        return Vec::new();
    }
    let clauses = split_clauses(text);
    if clauses.is_empty() {
        return Vec::new();
    }
    let locate = Locator::new(text, &clauses);
    // Sentences (by their first clause's sentence index) where the rubric
    // sees a deadline, with the words it matched.
    let deadline_words: Vec<(usize, String)> = acts
        .deadlines
        .iter()
        .filter(|h| h.utterance == utterance)
        .map(|h| (clauses[locate.clause(h.start)].sentence, h.matched.clone()))
        .collect();
    let promise_clauses: Vec<usize> = hits.iter().map(|h| locate.clause(h.start)).collect();

    // Each promise with its sentence and the (clause, time) that binds it.
    let mut found: Vec<(Found, usize, TimeAt)> = Vec::new();
    for hit in &hits {
        let k = locate.clause(hit.start);
        let k_end = locate
            .clause(hit.end.saturating_sub(1).max(hit.start))
            .max(k);
        let sentence = clauses[k].sentence;
        let offset = locate.offset_in(hit.start, k);
        let time = pick_time(&clauses, k, k_end, offset, &promise_clauses, said_at);
        let checkable = deadline_words.iter().find(|(s, _)| *s == sentence);
        let mut time_expression = String::new();
        let mut deadline = None;
        let mut due = None;
        if let Some((j, i)) = time {
            let t = &clauses[j].times[i];
            let resolved = timexpr::resolve(&t.spec, said_at);
            let words = original_span(
                text.get(clauses[j].start..clauses[j].end)
                    .unwrap_or_default(),
                &clauses[j].folded,
                t.start,
                t.end,
            );
            let specific = !matches!(t.spec, Spec::LaterToday);
            if checkable.is_some() && specific {
                deadline = resolved.clone();
                time_expression = words;
            } else if !specific {
                due = resolved;
                time_expression = words;
            }
        }
        if let (Some((_, words)), None) = (checkable, &deadline) {
            // The rubric sees a deadline the resolver cannot place: due by
            // the end of the day it was said.
            deadline = timexpr::resolve(&Spec::LaterToday, said_at);
            time_expression = words.clone();
        }
        if deadline.is_some() {
            due = deadline.clone();
        }
        let first = time.map_or(k, |(j, _)| j.min(k));
        let last = time.map_or(k_end, |(j, _)| j.max(k_end));
        let kind = acts.kind_of(hit);
        // One promise per kind, sentence and time.
        if found.iter().any(|(f, s, t)| {
            f.kind == kind && *s == sentence && *t == time && f.time_expression == time_expression
        }) {
            continue;
        }
        let span = text
            .get(clauses[first].start..clauses[last].end)
            .unwrap_or_default();
        found.push((
            Found {
                text: span.trim_matches(is_separator).to_string(),
                time_expression,
                action: hit.matched.clone(),
                kind,
                deadline,
                due,
                position: k,
            },
            sentence,
            time,
        ));
    }
    found.into_iter().map(|(f, _, _)| f).collect()
}

/// A time expression by clause and its index there.
type TimeAt = Option<(usize, usize)>;

/// Maps characters of the normalised utterance text (the rubric's
/// coordinates) to the clauses of the original text: both are counted in
/// content characters (punctuation and spaces left out), which
/// normalisation keeps in step clause by clause.
struct Locator {
    /// Content characters of the normalised text before each of its chars.
    content_before: Vec<usize>,
    /// Cumulative content characters at the start of each clause.
    clause_start: Vec<usize>,
}

impl Locator {
    fn new(text: &str, clauses: &[Clause]) -> Locator {
        let normalized: Vec<char> = normalize(text).chars().collect();
        let mut content_before = Vec::with_capacity(normalized.len() + 1);
        let mut n = 0;
        for c in &normalized {
            content_before.push(n);
            if !is_punctuation(*c) {
                n += 1;
            }
        }
        content_before.push(n);
        let mut clause_start = Vec::with_capacity(clauses.len());
        let mut total = 0;
        for clause in clauses {
            clause_start.push(total);
            let original = text.get(clause.start..clause.end).unwrap_or_default();
            total += normalize(original)
                .chars()
                .filter(|c| !is_punctuation(*c))
                .count();
        }
        Locator {
            content_before,
            clause_start,
        }
    }

    fn content(&self, char_index: usize) -> usize {
        self.content_before
            .get(char_index)
            .or(self.content_before.last())
            .copied()
            .unwrap_or(0)
    }

    /// The clause holding normalised character `char_index`.
    fn clause(&self, char_index: usize) -> usize {
        let c = self.content(char_index);
        self.clause_start
            .partition_point(|&start| start <= c)
            .saturating_sub(1)
    }

    /// Content offset of normalised character `char_index` within clause `k`.
    fn offset_in(&self, char_index: usize, k: usize) -> usize {
        self.content(char_index)
            .saturating_sub(self.clause_start.get(k).copied().unwrap_or(0))
    }
}

/// The time expression that binds a promise in clauses `k..=k_end` (whose
/// words start at content offset `offset` of clause `k`): see the module
/// doc. Times already over when said are passed over.
fn pick_time(
    clauses: &[Clause],
    k: usize,
    k_end: usize,
    offset: usize,
    promise_clauses: &[usize],
    said_at: &Zoned,
) -> TimeAt {
    let usable = |j: usize, i: usize| {
        let t: &TimeMatch = &clauses[j].times[i];
        matches!(t.spec, Spec::LaterToday)
            || timexpr::resolve(&t.spec, said_at)
                .is_some_and(|d| d.timestamp() > said_at.timestamp())
    };
    let in_clause = |j: usize| -> Vec<usize> {
        (0..clauses[j].times.len())
            .filter(|&i| usable(j, i))
            .collect()
    };
    let own = in_clause(k);
    if let Some(&i) = own
        .iter()
        .rev()
        .find(|&&i| clauses[k].times[i].end <= offset)
    {
        return Some((k, i));
    }
    if let Some(&i) = own.first() {
        return Some((k, i));
    }
    for j in k + 1..=k_end.min(clauses.len() - 1) {
        if let Some(&i) = in_clause(j).first() {
            return Some((j, i));
        }
    }
    let sentence = clauses[k].sentence;
    let same = |j: usize| clauses[j].sentence == sentence;
    let free = |j: usize| !promise_clauses.contains(&j);
    for j in (0..k).rev().take_while(|&j| same(j)) {
        if let Some(&i) = in_clause(j).last() {
            if free(j) {
                return Some((j, i));
            }
            break;
        }
    }
    for j in (k_end + 1..clauses.len()).take_while(|&j| same(j)) {
        if let Some(&i) = in_clause(j).first() {
            if free(j) {
                return Some((j, i));
            }
            break;
        }
    }
    // Any time of the sentence, nearest first: the rubric reads a whole
    // sentence, and so does the ledger.
    let mut others: Vec<usize> = (0..clauses.len()).filter(|&j| same(j)).collect();
    others.sort_by_key(|&j| j.abs_diff(k));
    others
        .into_iter()
        .find_map(|j| in_clause(j).first().map(|&i| (j, i)))
}

struct Clause {
    /// Byte range in the original utterance text.
    start: usize,
    end: usize,
    sentence: usize,
    /// Normalised and folded (您 → 你) text.
    folded: Vec<char>,
    times: Vec<TimeMatch>,
}

fn is_separator(c: char) -> bool {
    matches!(
        c,
        '，' | ','
            | '、'
            | '。'
            | '！'
            | '？'
            | '!'
            | '?'
            | '；'
            | ';'
            | '：'
            | ':'
            | '…'
            | '—'
            | '\n'
            | '\r'
    ) || c.is_whitespace()
}

/// Sentence ends as the rubric's `scope = "sentence"` reads them (a line
/// break is a pause, not a sentence end).
fn ends_sentence(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?' | '；' | ';' | '…')
}

/// Splits the original text into clauses at punctuation and whitespace (ASR
/// pauses), keeping `.`/`:` between digits (1.5小时, 17:00) inside a clause.
fn split_clauses(text: &str) -> Vec<Clause> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut raw: Vec<(usize, usize, usize)> = Vec::new(); // start, end, sentence
    let mut sentence = 0;
    let mut start = 0;
    for (n, &(byte, c)) in chars.iter().enumerate() {
        let between_digits = |_: ()| {
            n > 0
                && chars[n - 1].1.is_ascii_digit()
                && chars.get(n + 1).is_some_and(|(_, d)| d.is_ascii_digit())
        };
        let (split, ends) = match c {
            '.' if between_digits(()) => (false, false),
            ':' if between_digits(()) => (false, false),
            '.' => (true, true),
            c if ends_sentence(c) => (true, true),
            c if is_separator(c) => (true, false),
            _ => (false, false),
        };
        if !split {
            continue;
        }
        if byte > start {
            raw.push((start, byte, sentence));
        }
        start = byte + c.len_utf8();
        if ends {
            sentence += 1;
        }
    }
    if start < text.len() {
        raw.push((start, text.len(), sentence));
    }
    let mut clauses: Vec<Clause> = Vec::with_capacity(raw.len());
    for &(start, end, sentence) in &raw {
        let original = text.get(start..end).unwrap_or_default();
        let folded = fold(original);
        let times = timexpr::find(&folded);
        clauses.push(Clause {
            start,
            end,
            sentence,
            folded,
            times,
        });
    }
    clauses
}

/// The matching form of a clause: financial numerals and spoken ranges made
/// plain, then the crate's normalisation, then 您 → 你.
pub(crate) fn fold(original: &str) -> Vec<char> {
    normalize(&plain_numerals(original))
        .chars()
        .map(fold_for_matching)
        .collect()
}

/// Rewrites what `text::normalize` does not know about numbers: financial
/// numerals (叁个工作日), 廿, and approximate ranges (一两天, 两三个小时 →
/// 1到2天, 2到3个小时), which it would otherwise read as 12天 / 23个小时.
fn plain_numerals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let unit_follows = |i: usize| {
        chars.get(i).is_some_and(|c| {
            "个小天日点工分周星礼月号半钟刻".contains(*c) || financial(*c).is_some()
        })
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if let Some(plain) = financial(c) {
            let numeric_context = unit_follows(i + 1)
                || (i > 0
                    && (financial(chars[i - 1]).is_some() || "周期拜".contains(chars[i - 1])));
            if numeric_context {
                out.push_str(plain);
                i += 1;
                continue;
            }
        }
        if let Some(&next) = chars.get(i + 1) {
            let pair: String = [c, next].iter().collect();
            let range = match pair.as_str() {
                "一两" => Some("1到2"),
                "两三" => Some("2到3"),
                "三四" => Some("3到4"),
                "三五" => Some("3到5"),
                "四五" => Some("4到5"),
                "五六" => Some("5到6"),
                "六七" => Some("6到7"),
                "七八" => Some("7到8"),
                "八九" => Some("8到9"),
                _ => None,
            };
            let before_is_numeral = i > 0 && "一二两三四五六七八九十".contains(chars[i - 1]);
            if let Some(range) = range.filter(|_| unit_follows(i + 2) && !before_is_numeral) {
                out.push_str(range);
                i += 2;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

fn financial(c: char) -> Option<&'static str> {
    Some(match c {
        '壹' => "一",
        '贰' | '貳' => "二",
        '叁' => "三",
        '肆' => "四",
        '伍' => "五",
        '陆' | '陸' => "六",
        '柒' => "七",
        '捌' => "八",
        '玖' => "九",
        '拾' => "十",
        '廿' => "二十",
        _ => return None,
    })
}

/// The original words behind folded characters `[a, b)` of `original`.
/// Normalisation changes lengths (二十四 → 24), so the boundaries are found
/// by normalising growing prefixes; when that fails the folded text is used.
fn original_span(original: &str, folded: &[char], a: usize, b: usize) -> String {
    let fallback = || {
        folded[a.min(folded.len())..b.min(folded.len())]
            .iter()
            .collect::<String>()
    };
    let boundaries: Vec<usize> = original
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(original.len()))
        .collect();
    let mut start = None;
    let mut end = None;
    for &k in &boundaries {
        let Some(prefix) = original.get(..k) else {
            continue;
        };
        let p = fold(prefix);
        if p.len() <= a && folded.starts_with(&p) {
            start = Some(k);
        }
        if end.is_none() && p.len() >= b && p.get(..b) == folded.get(..b) {
            end = Some(k);
        }
    }
    match (start, end) {
        (Some(s), Some(e)) if s < e => original.get(s..e).map_or_else(fallback, str::to_string),
        _ => fallback(),
    }
}
