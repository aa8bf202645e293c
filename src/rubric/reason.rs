//! Reasons in words, in Chinese and in English.
//!
//! This module owns every sentence a scorecard's reason is made of. The
//! operators do not write text: they report what they found or missed as
//! [`Part`]s (someone said something the rubric names, something was not
//! there, a measured value), and [`compose`] writes the item's reason from
//! its `reasons` prefix and those parts, once per language. Each template is
//! written whole for its language (a Chinese QA analyst's wording, not a
//! translation glued word by word), so that grammar holds for every label:
//! English labels are noun phrases with their article ("a greeting"), and
//! the templates strip it where English needs no article ("no greeting",
//! "every follow-up promise").
//!
//! What [`compose`] guarantees, whatever the rubric: a speaker is named
//! once (a label that already names the customer is not followed by "by
//! the customer"), the same thing said twice is quoted once (quotes that
//! differ only in trailing punctuation, or that lie inside a longer quote,
//! are one), and an absence that the item's prefix already states ("no
//! transfer") is not stated again. Parts are plain data and the strings are
//! built with `push_str`: this runs for every item of every call.

use std::sync::Arc;

use crate::i18n::{Lang, Text};
use crate::rubric::compile::{CallView, Matcher};
use crate::rubric::eval::{Context, Evaluated, Located, Outcome, Tri};
use crate::rubric::schema::{RoleScope, Window};
use crate::transcript::Role;

/// What a matcher looks for, as reasons name it.
#[derive(Debug)]
pub struct Label {
    pub text: Text,
    /// False for a matcher that looks for nothing in particular (any
    /// utterance in its scope): its hits are quoted without a name.
    pub specific: bool,
}

impl Label {
    pub fn new(text: Text, specific: bool) -> Arc<Label> {
        Arc::new(Label { text, specific })
    }
}

/// One thing a condition found or missed, kept as data until the item's
/// reason is written in the language asked for.
#[derive(Debug, Clone)]
pub enum Part {
    /// Someone said something the rubric names.
    Said(Said),
    /// What the rubric looked for was not there. `whole_call` when it
    /// looked in the whole call (no window): the item's prefix may then
    /// say all there is to say.
    Absent {
        text: Text,
        label: Text,
        whole_call: bool,
    },
    /// Anything else, written whole in both languages (a measurement, an
    /// order of events, a silence).
    Note(Text),
    /// A statement and the words that bear it out. Under a prefix (which
    /// says the same: "every promise has a deadline") only the words follow.
    Quoted { text: Text, quotes: Vec<String> },
    /// What matchers looked for in one place (`who` in `place`) and did not
    /// find; parts of one place are written as one ("没有问候语或自报家门").
    Missing {
        who: Option<Role>,
        place: Text,
        labels: Vec<Text>,
        whole_call: bool,
    },
    /// Nothing of what `missing` names came before (after) `anchor`. Parts
    /// with the same anchor are written as one ("此前客户没有发言、客服没有致歉").
    NotBefore {
        anchor: Said,
        before: bool,
        missing: Vec<(Option<Role>, Text)>,
    },
}

/// Hits of one matcher: who said it, when (the first hit), what it is
/// called and the words.
#[derive(Debug, Clone)]
pub struct Said {
    pub role: Role,
    pub at: Option<u64>,
    pub label: Arc<Label>,
    pub quotes: Vec<String>,
}

/// Most quotes one part cites; the evidence lists them all.
const MAX_QUOTES: usize = 3;
/// Most parts one reason lists.
const MAX_PARTS: usize = 5;

// ------------------------------------------------------------ small words

pub fn role_zh(role: Role) -> &'static str {
    match role {
        Role::Agent => "客服",
        Role::Customer => "客户",
        Role::Other => "其他说话人",
    }
}

pub fn role_en(role: Role) -> &'static str {
    match role {
        Role::Agent => "the agent",
        Role::Customer => "the customer",
        Role::Other => "another speaker",
    }
}

fn scope_role(scope: RoleScope) -> Option<Role> {
    match scope {
        RoleScope::Agent => Some(Role::Agent),
        RoleScope::Customer => Some(Role::Customer),
        RoleScope::Any => None,
    }
}

/// Who, for a scope: 客服 / 客户 / 任何一方.
pub fn scope_zh(scope: RoleScope) -> &'static str {
    scope_role(scope).map_or("任何一方", role_zh)
}

pub fn scope_en(scope: RoleScope) -> &'static str {
    scope_role(scope).map_or("anyone", role_en)
}

/// Seconds, one decimal unless whole: `16`, `2.2`.
fn seconds(ms: u64) -> String {
    if ms % 1000 == 0 {
        (ms / 1000).to_string()
    } else {
        format!("{:.1}", ms as f64 / 1000.0)
    }
}

/// A moment or a length of time: `0.8 秒`, `1 分 05 秒`.
pub fn time_zh(ms: u64) -> String {
    if ms < 60_000 {
        format!("{:.1} 秒", ms as f64 / 1000.0)
    } else {
        let s = (ms + 500) / 1000;
        format!("{} 分 {:02} 秒", s / 60, s % 60)
    }
}

/// A moment or a length of time: `0.8 s`, `1 min 05 s`.
pub fn time_en(ms: u64) -> String {
    if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        let s = (ms + 500) / 1000;
        format!("{} min {:02} s", s / 60, s % 60)
    }
}

fn span_zh(ms: u64) -> String {
    if ms < 60_000 {
        format!("{} 秒", seconds(ms))
    } else {
        time_zh(ms)
    }
}

fn span_en(ms: u64) -> String {
    if ms < 60_000 {
        format!("{} s", seconds(ms))
    } else {
        time_en(ms)
    }
}

/// `once`, `twice`, `3 times`.
pub fn times_en(n: usize) -> String {
    match n {
        1 => "once".into(),
        2 => "twice".into(),
        n => format!("{n} times"),
    }
}

/// An English label without its leading article, for "no …" and
/// "every …": "a greeting" → "greeting".
pub fn bare_en(label: &str) -> &str {
    for article in ["a ", "an ", "the ", "A ", "An ", "The "] {
        if let Some(rest) = label.strip_prefix(article) {
            return rest;
        }
    }
    label
}

/// A label in a Chinese sentence. A rubric written before labels had two
/// languages gives one English string for both: its article goes, as in
/// English after "no" (客服全程没有 greeting, not 没有 a greeting).
fn zh_label(label: &Text) -> &str {
    let zh = label.get(Lang::Zh);
    if zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
        zh
    } else {
        bare_en(zh)
    }
}

/// The label already says whose words these are ("a problem raised by
/// the customer", 客户提出的问题): the template must not say it again.
fn names_speaker(label: &Text) -> bool {
    let en = label.get(Lang::En);
    en.contains("the customer")
        || en.contains("the agent")
        || label.get(Lang::Zh).contains("客户")
        || label.get(Lang::Zh).contains("客服")
}

fn window_zh(w: &Window) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(k) = w.first_turns {
        parts.push(if k == 1 {
            "首轮发言中".into()
        } else {
            format!("前 {k} 轮发言中")
        });
    }
    if let Some(k) = w.last_turns {
        parts.push(if k == 1 {
            "最后一轮发言中".into()
        } else {
            format!("最后 {k} 轮发言中")
        });
    }
    if let Some(ms) = w.first_ms {
        parts.push(format!("前 {} 内", span_zh(ms)));
    }
    if let Some(ms) = w.last_ms {
        parts.push(format!("最后 {} 内", span_zh(ms)));
    }
    if let Some(p) = w.first_percent {
        parts.push(format!("通话前 {p}% 内"));
    }
    if let Some(p) = w.last_percent {
        parts.push(format!("通话最后 {p}% 内"));
    }
    parts.join("且")
}

fn window_en(w: &Window) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(k) = w.first_turns {
        parts.push(if k == 1 {
            "the first turn".into()
        } else {
            format!("the first {k} turns")
        });
    }
    if let Some(k) = w.last_turns {
        parts.push(if k == 1 {
            "the last turn".into()
        } else {
            format!("the last {k} turns")
        });
    }
    if let Some(ms) = w.first_ms {
        parts.push(format!("the first {}", span_en(ms)));
    }
    if let Some(ms) = w.last_ms {
        parts.push(format!("the last {}", span_en(ms)));
    }
    if let Some(p) = w.first_percent {
        parts.push(format!("the first {p}% of the call"));
    }
    if let Some(p) = w.last_percent {
        parts.push(format!("the last {p}% of the call"));
    }
    parts.join(" and ")
}

// ------------------------------------------------------------ quotes

/// Trailing punctuation and spaces do not make a quote different.
fn quote_key(q: &str) -> &str {
    q.trim_end_matches(|c: char| {
        c.is_whitespace()
            || crate::text::is_punctuation(c)
            || "，。？！、；：,.?!;:…~～".contains(c)
    })
    .trim()
}

/// Adds `q` to `quotes` unless it is already there, up to trailing
/// punctuation or inside a longer quote; a longer quote replaces the
/// shorter ones it holds.
fn push_quote(quotes: &mut Vec<String>, q: String) {
    let key = quote_key(&q);
    if key.is_empty() {
        return;
    }
    if quotes.iter().any(|old| quote_key(old).contains(key)) {
        return;
    }
    quotes.retain(|old| !key.contains(quote_key(old)));
    quotes.push(q.trim().to_string());
}

/// The first characters of an utterance, for a whole-utterance quote.
pub fn short(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(24) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}…", &s[..cut]),
    }
}

/// The words of a hit as said; a hit that is a whole utterance (nothing
/// particular matched) is quoted by its beginning.
pub fn quote(call: &CallView, hit: &Located) -> String {
    let q = crate::evidence::spoken_quote(call, hit);
    if q.trim().is_empty() {
        short(&call.original(hit.utterance).text)
    } else {
        q
    }
}

fn push_quotes(out: &mut String, quotes: &[String], between: &str) {
    for (i, q) in quotes.iter().enumerate() {
        if i > 0 {
            out.push_str(between);
        }
        out.push('「');
        out.push_str(q);
        out.push('」');
    }
}

// ------------------------------------------------------------ parts

impl Said {
    /// What matcher `m` found in `hits` (in call order).
    pub fn of(cx: &Context, m: &Matcher, hits: &[Located]) -> Said {
        let first = hits.first();
        let role = first
            .map(|h| cx.call.utterances[h.utterance].role)
            .or(scope_role(m.role))
            .unwrap_or(Role::Other);
        let at = first.and_then(|h| cx.call.utterances[h.utterance].start_ms);
        let mut quotes = Vec::new();
        // Hits overlap (a phrase inside a longer pattern match); a few more
        // than shown are read so that the longest survive.
        for h in hits.iter().take(MAX_QUOTES * 3) {
            push_quote(&mut quotes, quote(cx.call, h));
        }
        quotes.truncate(MAX_QUOTES);
        Said {
            role,
            at,
            label: m.label.clone(),
            quotes,
        }
    }

    /// `客服在 0.8 秒说「您好」（问候语）`; `short` leaves out who and
    /// when (said by the same speaker at the same time as the part before).
    pub fn zh(&self, short: bool) -> String {
        self.zh_named(short, self.label.specific)
    }

    /// As [`Said::zh`]; `named: false` leaves out the label (the reason's
    /// prefix already says it: 生硬否定：客服在 50.7 秒说「不行」).
    fn zh_named(&self, short: bool, named: bool) -> String {
        let mut s = String::with_capacity(64);
        if !short {
            s.push_str(role_zh(self.role));
            if let Some(at) = self.at {
                s.push_str("在 ");
                s.push_str(&time_zh(at));
            }
        }
        if self.quotes.is_empty() {
            s.push_str("说了");
            s.push_str(zh_label(&self.label.text));
            return s;
        }
        if !short {
            s.push('说');
        }
        push_quotes(&mut s, &self.quotes, "");
        if named {
            s.push('（');
            s.push_str(zh_label(&self.label.text));
            s.push('）');
        }
        s
    }

    /// `a greeting by the agent at 0.8 s: 「您好」`; `short`: `a greeting: 「您好」`.
    pub fn en(&self, short: bool) -> String {
        self.en_named(short, self.label.specific)
    }

    /// As [`Said::en`]; `named: false` leaves out the label (`flat
    /// negation: the agent said 「不行」 at 50.7 s`).
    fn en_named(&self, short: bool, named: bool) -> String {
        let mut s = String::with_capacity(64);
        let label = self.label.text.get(Lang::En);
        if !named && !self.quotes.is_empty() {
            s.push_str(role_en(self.role));
            s.push_str(" said ");
            push_quotes(&mut s, &self.quotes, " ");
            if let Some(at) = self.at {
                s.push_str(" at ");
                s.push_str(&time_en(at));
            }
            return s;
        }
        s.push_str(label);
        if !short {
            if !names_speaker(&self.label.text) {
                s.push_str(" by ");
                s.push_str(role_en(self.role));
            }
            if let Some(at) = self.at {
                s.push_str(" at ");
                s.push_str(&time_en(at));
            }
        }
        if !self.quotes.is_empty() {
            s.push_str(": ");
            push_quotes(&mut s, &self.quotes, " ");
        }
        s
    }

    pub fn text(&self) -> Text {
        Text::new(self.zh(false), self.en(false))
    }
}

/// What matcher `m` found in `hits`.
pub fn said(cx: &Context, m: &Matcher, hits: &[Located]) -> Part {
    Part::Said(Said::of(cx, m, hits))
}

/// Matcher `m` found nothing in its scope: `客服首轮发言中没有问候语`,
/// `no greeting by the agent in the first turn`.
pub fn absent(m: &Matcher) -> Part {
    let label = &m.label.text;
    let who = if names_speaker(label) {
        None
    } else {
        scope_role(m.role)
    };
    let place = match &m.window {
        Some(w) => Text::new(window_zh(w), format!("in {}", window_en(w))),
        None => Text::new(if who.is_some() { "全程" } else { "通话中" }, "in the call"),
    };
    Part::Missing {
        who,
        place,
        labels: vec![label.clone()],
        whole_call: m.window.is_none(),
    }
}

/// `客服首轮发言中没有问候语或自报家门`, `no greeting or
/// self-identification by the agent in the first turn`.
fn missing_text(who: Option<Role>, place: &Text, labels: &[Text], lang: Lang) -> String {
    let mut s = String::with_capacity(64);
    let last = labels.len().saturating_sub(1);
    match lang {
        Lang::Zh => {
            if let Some(r) = who {
                s.push_str(role_zh(r));
            }
            s.push_str(place.get(Lang::Zh));
            s.push_str("没有");
            for (i, l) in labels.iter().enumerate() {
                if i > 0 {
                    s.push(if i == last { '或' } else { '、' });
                }
                s.push_str(zh_label(l));
            }
        }
        Lang::En => {
            s.push_str("no ");
            for (i, l) in labels.iter().enumerate() {
                if i > 0 {
                    s.push_str(if i == last { " or " } else { ", " });
                }
                s.push_str(bare_en(l.get(Lang::En)));
            }
            if let Some(r) = who {
                s.push_str(" by ");
                s.push_str(role_en(r));
            }
            s.push(' ');
            s.push_str(place.get(Lang::En));
        }
    }
    s
}

/// A condition that cannot be judged without timestamps; `what` names what
/// could not be judged (`打断` / `interruptions`).
pub fn unknown(zh_what: &str, en_what: &str) -> Evaluated {
    Evaluated::new(
        Tri::Unknown,
        Outcome {
            missing: vec![Part::Note(Text::new(
                format!("通话没有时间戳，无法判断{zh_what}"),
                format!("{en_what} cannot be judged without timestamps"),
            ))],
            ..Default::default()
        },
    )
}

/// A measured value against the condition's bounds: holds when the value
/// is above `above` or below `below`. `zh` and `en` say what was measured
/// ("客服语速每分钟 250 字"); `unit_zh` / `unit_en` follow the bounds (`倍`, `×`).
pub fn bounded(
    value: f64,
    above: Option<f64>,
    below: Option<f64>,
    zh: String,
    en: String,
    unit_zh: &str,
    unit_en: &str,
) -> Evaluated {
    let over = above.filter(|a| value > *a);
    let under = below.filter(|b| value < *b);
    let (zh_tail, en_tail) = match (over, under) {
        (Some(a), _) => (
            format!("，超过 {a}{unit_zh}"),
            format!(", more than {a}{unit_en}"),
        ),
        (_, Some(b)) => (
            format!("，低于 {b}{unit_zh}"),
            format!(", less than {b}{unit_en}"),
        ),
        _ => match (above, below) {
            (Some(a), Some(b)) => (
                format!("，在 {b}{unit_zh}到 {a}{unit_zh}之间"),
                format!(", between {b}{unit_en} and {a}{unit_en}"),
            ),
            (Some(a), None) => (
                format!("，未超过 {a}{unit_zh}"),
                format!(", not more than {a}{unit_en}"),
            ),
            (None, Some(b)) => (
                format!("，不低于 {b}{unit_zh}"),
                format!(", not less than {b}{unit_en}"),
            ),
            (None, None) => (String::new(), String::new()),
        },
    };
    let part = Part::Note(Text::new(zh + &zh_tail, en + &en_tail));
    if over.is_some() || under.is_some() {
        Evaluated::new(
            Tri::True,
            Outcome {
                found: vec![part],
                ..Default::default()
            },
        )
    } else {
        Evaluated::new(
            Tri::False,
            Outcome {
                missing: vec![part],
                ..Default::default()
            },
        )
    }
}

// ------------------------------------------------------------ templates per operator

/// Whose words `m` looks for, unless its label says so already.
fn who(m: &Matcher) -> Option<Role> {
    if names_speaker(&m.label.text) {
        None
    } else {
        scope_role(m.role)
    }
}

fn note(zh: String, en: String) -> Part {
    Part::Note(Text::new(zh, en))
}

/// `before` / `after` held: the hit of `first`, then (or after) the anchor.
pub fn order_found(first: &Said, then: &Said, before: bool) -> Part {
    if before {
        note(
            format!("{}，之后{}", first.zh(false), then.zh(false)),
            format!("{}, before {}", first.en(false), then.en(false)),
        )
    } else {
        note(
            format!("{}，之后{}", then.zh(false), first.zh(false)),
            format!("{}, after {}", first.en(false), then.en(false)),
        )
    }
}

/// `before` / `after` failed: nothing of `first` before (after) the anchor.
pub fn order_missing(first: &Matcher, then: &Said, before: bool) -> Part {
    Part::NotBefore {
        anchor: then.clone(),
        before,
        missing: vec![(who(first), first.label.text.clone())],
    }
}

fn not_before_zh(anchor: &Said, before: bool, missing: &[(Option<Role>, Text)]) -> String {
    let mut s = anchor.zh(false);
    s.push_str(if before { "，此前" } else { "，此后" });
    for (i, (who, label)) in missing.iter().enumerate() {
        if i > 0 {
            s.push('、');
        }
        if let Some(r) = who {
            s.push_str(role_zh(*r));
        }
        s.push_str("没有");
        s.push_str(zh_label(label));
    }
    s
}

fn not_before_en(anchor: &Said, before: bool, missing: &[(Option<Role>, Text)]) -> String {
    let mut s = String::with_capacity(96);
    for (i, (who, label)) in missing.iter().enumerate() {
        if i > 0 {
            s.push_str(if i + 1 == missing.len() {
                " and "
            } else {
                ", "
            });
        }
        s.push_str("no ");
        s.push_str(bare_en(label.get(Lang::En)));
        if let Some(r) = who {
            s.push_str(" by ");
            s.push_str(role_en(*r));
        }
    }
    s.push_str(if before { " before " } else { " after " });
    s.push_str(&anchor.en(false));
    s
}

/// `between` held: `from`, a reply of `speaker` at `reply_at`, then `to`.
pub fn between_found(from: &Said, speaker: Role, reply_at: Option<u64>, to: &Said) -> Part {
    let at_zh = reply_at
        .map(|t| format!("在 {}", time_zh(t)))
        .unwrap_or_default();
    let at_en = reply_at
        .map(|t| format!(" at {}", time_en(t)))
        .unwrap_or_default();
    note(
        format!(
            "{}，{}{at_zh}回应后，{}",
            from.zh(false),
            role_zh(speaker),
            to.zh(false)
        ),
        format!(
            "{}, then {} replied{at_en}, then {}",
            from.en(false),
            role_en(speaker),
            to.en(false)
        ),
    )
}

/// `between` failed: `from` came only in the same utterance as `to`.
pub fn same_breath(to: &Said, from: &Matcher, speaker: RoleScope) -> Part {
    let label = &from.label.text;
    note(
        format!(
            "{}，与{}在同一段话里，中间{}没有回应",
            to.zh(false),
            zh_label(label),
            scope_zh(speaker)
        ),
        format!(
            "{} in the same breath as {} (no reply from {} in between)",
            to.en(false),
            label.get(Lang::En),
            scope_en(speaker)
        ),
    )
}

/// `between` failed: `speaker` said nothing between `from` and `to`.
pub fn no_reply_between(to: &Said, from: &Matcher, speaker: RoleScope, complete: bool) -> Part {
    let label = &from.label.text;
    note(
        format!(
            "{}，但从{}到这里，{}没有说过{}话",
            to.zh(false),
            zh_label(label),
            scope_zh(speaker),
            if complete { "完整的" } else { "" }
        ),
        format!(
            "{} said no{} utterance between {} and {}",
            scope_en(speaker),
            if complete { " complete" } else { "" },
            label.get(Lang::En),
            to.en(false)
        ),
    )
}

/// `every` held: each hit of `of` has a hit of `has`; `quotes` of both.
pub fn every_found(cx: &Context, of: &Matcher, has: &Matcher, hits: &[Located]) -> Part {
    let mut quotes = Vec::new();
    for h in hits {
        push_quote(&mut quotes, quote(cx.call, h));
    }
    quotes.truncate(MAX_QUOTES);
    let (of_label, has_label) = (&of.label.text, &has.label.text);
    let mut zh = String::with_capacity(64);
    if let Some(r) = who(of) {
        zh.push_str(role_zh(r));
        zh.push('的');
    }
    zh.push_str("每次");
    zh.push_str(zh_label(of_label));
    zh.push_str("都带有");
    zh.push_str(zh_label(has_label));
    let mut en = String::with_capacity(80);
    en.push_str("every ");
    en.push_str(bare_en(of_label.get(Lang::En)));
    if let Some(r) = who(of) {
        en.push_str(" by ");
        en.push_str(role_en(r));
    }
    en.push_str(" comes with ");
    en.push_str(has_label.get(Lang::En));
    Part::Quoted {
        text: Text::new(zh, en),
        quotes,
    }
}

/// `every` failed: these hits of `of` have no `has`.
pub fn every_missing(of: &Said, has: &Matcher) -> Part {
    let label = &has.label.text;
    note(
        format!("{}，没有{}", of.zh(false), zh_label(label)),
        format!("{}, without {}", of.en(false), label.get(Lang::En)),
    )
}

/// `repeated` held: `quote` said `times` times, at `at`.
pub fn repeated_found(role: Role, quote: &str, at: &[Option<u64>]) -> Part {
    let mut times: Vec<u64> = at.iter().flatten().copied().collect();
    // Two hits in one utterance share its time.
    times.dedup();
    let (mut zh, mut en) = (
        format!("{}说了 {} 次「{quote}」", role_zh(role), at.len()),
        format!("{} said 「{quote}」 {}", role_en(role), times_en(at.len())),
    );
    if !times.is_empty() {
        let list_zh: Vec<String> = times.iter().map(|t| time_zh(*t)).collect();
        let list_en: Vec<String> = times.iter().map(|t| time_en(*t)).collect();
        zh.push_str(&format!("（{}）", list_zh.join("、")));
        en.push_str(&format!(" ({})", list_en.join(", ")));
    }
    note(zh, en)
}

/// `repeated` failed: the most repeated phrase of `of` was said `most`
/// times, fewer than `times`.
pub fn repeated_missing(of: &Matcher, quote: &str, most: usize, times: usize) -> Part {
    let label = &of.label.text;
    note(
        format!(
            "没有{}重复 {times} 次（「{quote}」最多说了 {most} 次）",
            zh_label(label)
        ),
        format!(
            "no {} said {} (「{quote}」 at most {})",
            bare_en(label.get(Lang::En)),
            times_en(times),
            times_en(most)
        ),
    )
}

/// `interruption` held: `by` started `quote` at `at`, `overlap` ms before
/// `of` finished.
pub fn interrupted(by: Role, of: Role, quote: &str, at: u64, overlap: u64) -> Part {
    note(
        format!(
            "{}在 {}抢话「{quote}」，当时{}还有 {}才说完",
            role_zh(by),
            time_zh(at),
            role_zh(of),
            span_zh(overlap)
        ),
        format!(
            "{} started 「{quote}」 at {}, {} before {} finished",
            role_en(by),
            time_en(at),
            span_en(overlap),
            role_en(of)
        ),
    )
}

/// `interruption` did not happen.
pub fn no_interruption(by: RoleScope, of: RoleScope, grace_ms: u64) -> Part {
    Part::Absent {
        text: Text::new(
            format!(
                "{}从未在{}说完前超过 {} 开口",
                scope_zh(by),
                scope_zh(of),
                span_zh(grace_ms)
            ),
            format!(
                "{} never started speaking more than {} before {} finished",
                scope_en(by),
                span_en(grace_ms),
                scope_en(of)
            ),
        ),
        label: Text::new("打断", "an interruption"),
        whole_call: true,
    }
}

/// `silence` found a silence of `gap` from `from` to `to` nobody announced.
pub fn silence(gap: u64, from: u64, to: u64, last_words: &str) -> Part {
    note(
        format!(
            "{}至 {}静音 {}，之前没有提示（静音前最后一句：「{last_words}」）",
            time_zh(from),
            time_zh(to),
            span_zh(gap)
        ),
        format!(
            "{} of silence from {} to {}, not announced (last words: 「{last_words}」)",
            span_en(gap),
            time_en(from),
            time_en(to)
        ),
    )
}

/// A silence announced with `quote`.
pub fn silence_announced(gap: u64, from: u64, quote: &str) -> Part {
    note(
        format!(
            "{}起静音 {}，之前已提示「{quote}」",
            time_zh(from),
            span_zh(gap)
        ),
        format!(
            "{} of silence from {}, announced with 「{quote}」",
            span_en(gap),
            time_en(from)
        ),
    )
}

/// No unannounced silence of `min` or more.
pub fn no_silence(min: u64) -> Part {
    Part::Absent {
        text: Text::new(
            format!("没有 {} 以上未提示的静音", span_zh(min)),
            format!("no unannounced silence of {} or more", span_en(min)),
        ),
        label: Text::new("未提示的静音", "an unannounced silence"),
        whole_call: true,
    }
}

// ------------------------------------------------------------ the reason

/// The prefix already says what the part says ("no transfer" and "no
/// transfer by the agent in the call"; 未致谢 and 客服全程没有致谢).
fn restates(prefix: &Text, label: &Text) -> bool {
    let zh_prefix = prefix.get(Lang::Zh);
    let zh_label = label.get(Lang::Zh);
    let zh_core = ["没有", "未", "无", "没", "不"]
        .iter()
        .find_map(|n| zh_prefix.strip_prefix(n))
        .unwrap_or(zh_prefix);
    let zh = zh_label.chars().count() >= 2
        && (zh_prefix.contains(zh_label)
            || (zh_core.chars().count() >= 2 && zh_label.contains(zh_core)));
    let en_prefix = prefix.get(Lang::En).to_lowercase();
    let en_label = bare_en(label.get(Lang::En)).to_lowercase();
    let en_core = ["no ", "not ", "never ", "nothing "]
        .iter()
        .find_map(|n| en_prefix.strip_prefix(n))
        .unwrap_or(&en_prefix);
    let en = en_label.len() >= 3
        && (en_prefix.contains(&en_label) || (en_core.len() >= 3 && en_label.contains(en_core)));
    zh || en
}

/// The prefix, in `lang`, already names what `label` names ("flat
/// negation" and "a flat negation"; 出现服务禁语 and 服务禁语).
fn names(prefix: &Text, label: &Text, lang: Lang) -> bool {
    match lang {
        Lang::Zh => {
            let l = label.get(Lang::Zh);
            l.chars().count() >= 2 && prefix.get(Lang::Zh).contains(l)
        }
        Lang::En => {
            let l = bare_en(label.get(Lang::En)).to_lowercase();
            l.len() >= 3 && prefix.get(Lang::En).to_lowercase().contains(&l)
        }
    }
}

/// The reason of one item in `lang`: its prefix for the verdict, then what
/// was found or missed, each thing once; `fallback` when there is neither.
/// `not_applicable`: the item's `applies` did not hold, and its `na` prefix
/// says so; what was not found in the whole call is then not listed again.
pub fn compose(
    prefix: Option<&Text>,
    parts: &[Part],
    not_applicable: bool,
    lang: Lang,
    fallback: &str,
) -> String {
    // Parts of one speaker's one act found by two conditions (a phrase set
    // and a pattern with the same label) become one part with all quotes.
    let mut kept: Vec<Part> = Vec::with_capacity(parts.len());
    for part in parts {
        match part {
            Part::Absent {
                label, whole_call, ..
            } if *whole_call && prefix.is_some_and(|p| not_applicable || restates(p, label)) => {
                continue
            }
            Part::Said(s) => {
                let same = kept.iter_mut().find_map(|k| match k {
                    Part::Said(o) if o.role == s.role && o.label.text == s.label.text => Some(o),
                    _ => None,
                });
                if let Some(o) = same {
                    for q in &s.quotes {
                        push_quote(&mut o.quotes, q.clone());
                    }
                    o.quotes.truncate(MAX_QUOTES);
                    o.at = match (o.at, s.at) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    continue;
                }
            }
            _ => {}
        }
        if let Part::Missing {
            who,
            place,
            labels,
            whole_call,
        } = part
        {
            let labels: Vec<&Text> = labels
                .iter()
                .filter(|l| {
                    !(*whole_call && prefix.is_some_and(|p| not_applicable || restates(p, l)))
                })
                .collect();
            if labels.is_empty() {
                continue;
            }
            let same = kept.iter_mut().find_map(|k| match k {
                Part::Missing {
                    who: w,
                    place: p,
                    labels: l,
                    ..
                } if w == who && p == place => Some(l),
                _ => None,
            });
            match same {
                Some(l) => {
                    for x in labels {
                        if !l.contains(x) {
                            l.push(x.clone());
                        }
                    }
                }
                None => kept.push(Part::Missing {
                    who: *who,
                    place: place.clone(),
                    labels: labels.into_iter().cloned().collect(),
                    whole_call: *whole_call,
                }),
            }
            continue;
        }
        if let Part::NotBefore {
            anchor,
            before,
            missing,
        } = part
        {
            let same = kept.iter_mut().find_map(|k| match k {
                Part::NotBefore {
                    anchor: a,
                    before: b,
                    missing: m,
                } if b == before
                    && a.role == anchor.role
                    && a.at == anchor.at
                    && a.label.text == anchor.label.text
                    && a.quotes == anchor.quotes =>
                {
                    Some(m)
                }
                _ => None,
            });
            if let Some(m) = same {
                for x in missing {
                    if !m.contains(x) {
                        m.push(x.clone());
                    }
                }
                continue;
            }
        }
        kept.push(part.clone());
    }
    let mut rendered: Vec<String> = Vec::with_capacity(kept.len());
    let mut previous: Option<(Role, Option<u64>)> = None;
    for part in &kept {
        let text = match part {
            Part::Said(s) => {
                let subject = Some((s.role, s.at));
                let named =
                    s.label.specific && !prefix.is_some_and(|p| names(p, &s.label.text, lang));
                let short = previous == subject && named;
                previous = subject;
                match lang {
                    Lang::Zh => s.zh_named(short, named),
                    Lang::En => s.en_named(short, named),
                }
            }
            Part::Absent { text, .. } | Part::Note(text) => {
                previous = None;
                text.get(lang).to_string()
            }
            Part::Quoted { text, quotes } => {
                previous = None;
                let mut s = String::with_capacity(64);
                if prefix.is_none() || quotes.is_empty() {
                    s.push_str(text.get(lang));
                    if !quotes.is_empty() {
                        s.push_str(lang.pick("：", ": "));
                    }
                }
                push_quotes(&mut s, quotes, lang.pick("", " "));
                s
            }
            Part::Missing {
                who, place, labels, ..
            } => {
                previous = None;
                missing_text(*who, place, labels, lang)
            }
            Part::NotBefore {
                anchor,
                before,
                missing,
            } => {
                previous = None;
                match lang {
                    Lang::Zh => not_before_zh(anchor, *before, missing),
                    Lang::En => not_before_en(anchor, *before, missing),
                }
            }
        };
        let text = text.replace('\n', " ");
        if text.is_empty() || rendered.iter().any(|r| quote_key(r) == quote_key(&text)) {
            continue;
        }
        rendered.push(text);
        if rendered.len() == MAX_PARTS {
            break;
        }
    }
    let details = rendered.join(lang.pick("；", "; "));
    let prefix = prefix.map(|p| p.get(lang)).filter(|p| !p.is_empty());
    match (prefix, details.is_empty()) {
        (Some(p), false) => {
            let mut s = String::with_capacity(p.len() + 2 + details.len());
            s.push_str(p);
            s.push_str(lang.pick("：", ": "));
            s.push_str(&details);
            s
        }
        (Some(p), true) => p.to_string(),
        (None, false) => details,
        (None, true) => fallback.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_kept_once() {
        let mut q = Vec::new();
        push_quote(&mut q, "还有其他可以帮您的吗".into());
        push_quote(&mut q, "还有其他可以帮您的吗？".into());
        push_quote(&mut q, "给您回电".into());
        push_quote(&mut q, "明天中午12点前给您回电".into());
        assert_eq!(q, ["还有其他可以帮您的吗", "明天中午12点前给您回电"]);
    }

    #[test]
    fn articles_and_times() {
        assert_eq!(bare_en("a soothing formula"), "soothing formula");
        assert_eq!(bare_en("an offer to help"), "offer to help");
        assert_eq!(bare_en("thanks"), "thanks");
        assert_eq!(time_zh(825), "0.8 秒");
        assert_eq!(time_zh(65_200), "1 分 05 秒");
        assert_eq!(time_en(65_200), "1 min 05 s");
        assert_eq!(span_zh(16_000), "16 秒");
        assert_eq!(times_en(1), "once");
    }

    #[test]
    fn a_prefix_that_says_it_all_is_not_repeated() {
        let prefix = Text::new("无转接", "no transfer");
        assert!(restates(&prefix, &Text::new("转接", "a transfer")));
        let prefix = Text::new("未致谢", "never thanked the customer");
        assert!(restates(&prefix, &Text::new("致谢", "thanks")));
        let prefix = Text::new("开场不完整", "incomplete opening");
        assert!(!restates(&prefix, &Text::new("问候语", "a greeting")));
    }
}
