//! The rubric file format: plain data deserialised from TOML with
//! `deny_unknown_fields`, so a typo is an error with the accepted names, not a
//! silently ignored rule. [`super::compile`] turns it into matchers.
//!
//! A rubric has a `[rubric]` header, optional `[negation]` settings, named
//! `[phrases.NAME]` sets and `[[item]]`s. Each item has a `pass` or a `fail`
//! condition, optionally an `applies` condition (absent → `na`), and its own
//! documentation (`what`, `why`, `example`, `source`) that `callqa explain`
//! prints. The condition operators' own structs live with their operators
//! in [`super::operators`] and are re-exported here.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;

pub use super::operators::after::After;
pub use super::operators::all::All;
pub use super::operators::any::Any;
pub use super::operators::at_least::AtLeast;
pub use super::operators::before::{Before, Order};
pub use super::operators::between::Between;
pub use super::operators::every::{Every, Scope};
pub use super::operators::interruption::Interruption;
pub use super::operators::not::Not;
pub use super::operators::repeated::Repeated;
pub use super::operators::say::Say;
pub use super::operators::silence::Silence;
pub use super::operators::speech_rate::SpeechRate;
pub use super::operators::talk_ratio::TalkRatio;
pub use super::operators::Condition;

/// A whole rubric file.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RubricFile {
    pub rubric: RubricMeta,
    #[serde(default)]
    pub negation: NegationSettings,
    /// Named phrase sets, referenced by name from conditions.
    #[serde(default)]
    pub phrases: BTreeMap<String, PhraseSet>,
    /// Named token patterns (see [`super::pattern`]), referenced by name
    /// wherever a phrase set can be (`any`, `all`, `none`, `of`).
    #[serde(default)]
    pub patterns: BTreeMap<String, PatternDef>,
    /// Named match specs, reused with `use = "NAME"` inside any match.
    #[serde(default)]
    pub matches: BTreeMap<String, MatchSpec>,
    /// Personal data replaced in every output (see `callqa run --redact`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redact: Option<crate::redact::RedactSection>,
    /// Scored items, in scorecard order.
    #[serde(rename = "item")]
    pub items: Vec<ItemDef>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RubricMeta {
    /// Stable id stamped into every scorecard.
    pub id: String,
    #[serde(default)]
    pub title: crate::i18n::Text,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub description: String,
    /// A call passes when its score reaches this and no critical item failed.
    #[serde(default = "default_pass_score")]
    pub pass_score: f64,
    /// A `fail` whose evidence comes from an utterance with ASR confidence
    /// below this becomes `review`.
    #[serde(default)]
    pub min_confidence: f64,
    /// Items whose evidence comes from an utterance whose speaker role was
    /// guessed (mono recordings) with confidence below this answer `review`.
    #[serde(default = "default_min_role_confidence")]
    pub min_role_confidence: f64,
    /// jieba user dictionaries (`word [freq] [tag]` per line), relative to the rubric file.
    #[serde(default)]
    pub dictionaries: Vec<String>,
}

fn default_pass_score() -> f64 {
    80.0
}

fn default_min_role_confidence() -> f64 {
    0.7
}

/// What counts as a negation in front of a phrase.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NegationSettings {
    /// Negation words; a cue must be a whole jieba token.
    #[serde(default = "default_negation_cues")]
    pub cues: Vec<String>,
    /// How many tokens before a phrase (within its clause) a cue reaches.
    #[serde(default = "default_negation_scope")]
    pub scope_tokens: usize,
}

impl Default for NegationSettings {
    fn default() -> Self {
        NegationSettings {
            cues: default_negation_cues(),
            scope_tokens: default_negation_scope(),
        }
    }
}

fn default_negation_cues() -> Vec<String> {
    [
        "不",
        "没",
        "没有",
        "别",
        "不是",
        "未",
        "无法",
        "不能",
        "不会",
        "不用",
        "不要",
        "并非",
        "从没",
        "从来不",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn default_negation_scope() -> usize {
    2
}

/// A named list of phrases with matching options.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PhraseSet {
    /// Human name used in reasons, in both languages: a noun phrase
    /// (`{ zh = "主动提供帮助", en = "an offer to help" }`, the English with
    /// its article: reasons write "no offer to help" and "an offer to help").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<crate::i18n::Text>,
    pub phrases: Vec<String>,
    /// Tolerance for ASR errors: `exact` also matches characters with the
    /// same toneless pinyin (制电 for 致电), `fuzzy` also merges zh/z, ch/c,
    /// sh/s, n/l, hu/fu and -n/-ng (客户 for 客服).
    #[serde(default)]
    pub homophones: Homophones,
    /// What a negation cue right before a phrase does.
    #[serde(default)]
    pub negation: NegationMode,
    /// `token`: a phrase must start and end on jieba token boundaries
    /// (好 does not match inside 不好); `char`: any substring.
    #[serde(default)]
    pub boundary: Boundary,
}

/// A named token pattern: one or more alternative sequences of tokens, each
/// written in the pattern language of [`super::pattern`] (phrase-set names,
/// `(literal|alternatives)`, `<verb>`-style word classes, `<deadline>`, `_`
/// for any word, and the quantifiers `?`, `*`, `+`, `{m,n}`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PatternDef {
    /// Human name used in reasons, in both languages
    /// (`{ zh = "担当表态", en = "a commitment to act" }`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<crate::i18n::Text>,
    /// Alternative token sequences; a hit of any one is a hit of the pattern.
    #[serde(rename = "match")]
    #[schemars(with = "Vec<String>")]
    pub alternatives: Vec<Spanned<String>>,
    /// ASR tolerance for the whole pattern: its literals, and the phrase sets
    /// it names when they are less tolerant than this.
    #[serde(default)]
    pub homophones: Homophones,
    /// What a negation cue right before the match, or inside one of its
    /// gaps, does.
    #[serde(default)]
    pub negation: NegationMode,
}

#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Homophones {
    #[default]
    Off,
    Exact,
    Fuzzy,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NegationMode {
    /// Negated or not, a hit is a hit.
    #[default]
    Ignore,
    /// A negated hit does not count (不能保证 is not 保证).
    Exclude,
    /// Only negated hits count.
    Only,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Boundary {
    #[default]
    Token,
    /// A phrase of two or more characters needs a word boundary at one of
    /// its ends only: it may cut into a longer jieba word at the other (咨询
    /// in 咨询点, 退款 in 全额退款). The words of a pattern's `( | )` lists
    /// match this way.
    Edge,
    Char,
}

/// One scored item.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemDef {
    /// Stable id used by scorecards and fixtures.
    pub id: String,
    /// The part of the rubric the item belongs to (开场, 倾听 …), in both languages.
    #[serde(default)]
    pub section: crate::i18n::Text,
    #[serde(default)]
    pub title: crate::i18n::Text,
    #[serde(default)]
    pub points: f64,
    /// A critical failure fails the call and sets its score to 0.
    #[serde(default)]
    pub critical: bool,
    /// A coaching flag: no points; a failing condition answers `review`.
    #[serde(default)]
    pub flag: bool,
    /// What the item checks, in both languages (`{ zh = "…", en = "…" }`, or
    /// one string for both); `callqa explain` and the report's item page show it.
    #[serde(default)]
    pub what: crate::i18n::Text,
    /// Why it matters, in both languages.
    #[serde(default)]
    pub why: crate::i18n::Text,
    /// An example that passes or fails, in both languages.
    #[serde(default)]
    pub example: crate::i18n::Text,
    /// The source quote behind the rule (quotes from Chinese sources, so one
    /// text for both languages).
    #[serde(default)]
    pub source: String,
    /// When false the item is `na`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies: Option<Condition>,
    /// The item passes when this holds (exactly one of `pass` / `fail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass: Option<Condition>,
    /// The item fails when this holds (exactly one of `pass` / `fail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail: Option<Condition>,
    /// Verdict when a timing condition cannot be evaluated for lack of timestamps.
    #[serde(default)]
    pub without_timestamps: UntimedVerdict,
    /// One-line reason prefixes per verdict.
    #[serde(default)]
    pub reasons: Reasons,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UntimedVerdict {
    #[default]
    Na,
    Review,
}

/// What the reason of each verdict opens with, in both languages
/// (`pass = { zh = "开场完整", en = "full opening" }`); what was found or
/// missed follows it, unless it only says the same again.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reasons {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass: Option<crate::i18n::Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail: Option<crate::i18n::Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub na: Option<crate::i18n::Text>,
}

/// Which utterances to look in and what to look for.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    /// Start from the named spec in `[matches.NAME]`; fields given here override it.
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub use_: Option<Spanned<String>>,
    /// Human name used in reasons, in both languages (a noun phrase; the
    /// English with its article). Without one, the labels of its sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<crate::i18n::Text>,
    /// Whose utterances: `agent`, `customer` or `any` (default).
    #[serde(default)]
    pub role: RoleScope,
    /// Any of these phrase sets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<String>")]
    pub any: Vec<Spanned<String>>,
    /// Every one of these phrase sets (somewhere in the scope).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<String>")]
    pub all: Vec<Spanned<String>>,
    /// None of these phrase sets may be hit in the scope.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<String>")]
    pub none: Vec<Spanned<String>>,
    /// At least this many distinct sets of `of`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<usize>")]
    pub at_least: Option<Spanned<usize>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// The sets or patterns `at_least` counts.
    #[schemars(with = "Vec<String>")]
    pub of: Vec<Spanned<String>>,
    /// Inline phrases (token boundaries, no homophones).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<String>")]
    pub words: Vec<Spanned<String>>,
    /// A regular expression over the normalised text (punctuation kept,
    /// numerals before units as digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub regex: Option<Spanned<String>>,
    /// Drops any hit whose sentence also has a hit of one of these phrase
    /// sets or patterns (a question, a conditional, a quotation …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<String>")]
    pub unless: Vec<Spanned<String>>,
    /// Drops any hit whose sentence matches this regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub exclude: Option<Spanned<String>>,
    /// Only utterances in this window of the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Window>")]
    pub within: Option<Spanned<Window>>,
    /// Only utterances with at least / at most this many content characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_chars: Option<usize>,
    /// Only utterances with at most this many content characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<usize>")]
    pub max_chars: Option<Spanned<usize>>,
    /// Only utterances that the other side did not interrupt (needs timestamps
    /// to tell; without them every utterance counts as complete).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub complete: bool,
    /// How many hits are needed for `say` to hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<usize>")]
    pub min_hits: Option<Spanned<usize>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleScope {
    #[default]
    Any,
    Agent,
    Customer,
}

/// A window of the call. Turns are runs of consecutive utterances of one
/// speaker, so an opening split in two ASR segments is still one turn.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// The first K turns of the matched role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_turns: Option<usize>,
    /// The last K turns of the matched role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_turns: Option<usize>,
    /// Utterances starting in the first N ms of the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_ms: Option<u64>,
    /// Utterances ending in the last N ms of the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ms: Option<u64>,
    /// Utterances starting in the first P % of the call (by time, or by
    /// utterance position without timestamps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_percent: Option<f64>,
    /// Utterances ending in the last P % of the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_percent: Option<f64>,
}
