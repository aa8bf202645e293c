//! The mutations, one file each, like a linter's rule registry: a file
//! declares one [`Mutation`] with [`mutation!`], whose doc comment *is* its
//! documentation (`callqa mutate --list` prints it), and [`REGISTRY`] lists
//! it with one line. A mutation is either
//!
//! - **must-keep** ([`Apply::Keep`]): rewrites a whole call the way speech,
//!   ASR or diarisation vary without changing what was said; every verdict
//!   of the call must stay as it was; or
//! - **must-change** ([`Apply::Change`]): rewrites the evidence one item's
//!   verdict rests on (the utterances and matched words the scorecard
//!   cites) so that what the item looked for is no longer there; that
//!   item's verdict must change.

use crate::i18n::Text;
use crate::perturb::SplitMix64;
use crate::text;
use crate::transcript::{Role, Transcript, Utterance};

pub mod fillers;
pub mod homophones;
pub mod merge;
pub mod negation;
pub mod numerals;
pub mod punctuation;
pub mod sentence_removed;
pub mod speaker_swap;
pub mod split;
pub mod time_shift;
pub mod traditional;

pub use homophones::percent as percent_label;
pub use numerals::{chinese_positional, digits_to_chinese};
pub use traditional::to_traditional;

/// Every mutation, in the order reports list them. One line each.
pub static REGISTRY: &[&Mutation] = &[
    &homophones::HOMOPHONES,
    &punctuation::PUNCTUATION,
    &fillers::FILLERS,
    &traditional::TRADITIONAL,
    &numerals::NUMERALS,
    &time_shift::TIME_SHIFT,
    &split::SPLIT,
    &merge::MERGE,
    &speaker_swap::SPEAKER_SWAP,
    &negation::NEGATION,
    &sentence_removed::SENTENCE_REMOVED,
];

/// The mutation registered under `id`.
pub fn lookup(id: &str) -> Option<&'static Mutation> {
    REGISTRY.iter().copied().find(|m| m.id == id)
}

/// Declares a mutation: its doc comment becomes [`Mutation::doc`].
macro_rules! mutation {
    ($(#[doc = $doc:literal])* pub static $name:ident = ($id:literal, [$zh:literal, $en:literal], $apply:expr);) => {
        $(#[doc = $doc])*
        pub static $name: $crate::mutate::ops::Mutation = $crate::mutate::ops::Mutation {
            id: $id,
            name: [$zh, $en],
            doc: concat!($($doc, "\n"),*),
            apply: $apply,
        };
    };
}
pub(crate) use mutation;

/// One mutation: its id (stable: JSON output and `--only` use it), its
/// documentation and what it does.
pub struct Mutation {
    pub id: &'static str,
    /// What a person reads for it: Chinese, English.
    pub name: [&'static str; 2],
    /// The doc comment of its declaration, one line per doc line (each
    /// with the leading space rustdoc keeps).
    pub doc: &'static str,
    pub apply: Apply,
}

impl std::fmt::Debug for Mutation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

/// Mutations are registered statics: the same id is the same mutation.
impl PartialEq for Mutation {
    fn eq(&self, other: &Mutation) -> bool {
        self.id == other.id
    }
}

impl Mutation {
    pub fn name(&self, lang: crate::i18n::Lang) -> &'static str {
        lang.pick(self.name[0], self.name[1])
    }

    pub fn kind(&self) -> Kind {
        match self.apply {
            Apply::Keep(_) => Kind::Keep,
            Apply::Change(_) => Kind::Change,
        }
    }

    /// The documentation as plain text: the doc lines without their
    /// leading space, trimmed.
    pub fn documentation(&self) -> String {
        let lines: Vec<&str> = self
            .doc
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect();
        lines.join("\n").trim().to_string()
    }

    /// The first paragraph of the documentation, on one line.
    pub fn summary(&self) -> String {
        let doc = self.documentation();
        let first = doc.split("\n\n").next().unwrap_or("");
        first.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// What a mutation's verdicts are expected to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Every verdict of the call must stay as it was.
    Keep,
    /// The verdict of the item whose evidence was mutated must change.
    Change,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Keep => "must_keep",
            Kind::Change => "must_change",
        }
    }
}

/// How a mutation rewrites a call.
pub enum Apply {
    /// Whole-call rewrites: zero or more variants (none when the call
    /// offers nothing to rewrite, e.g. no two utterances of one speaker in
    /// a row to merge).
    Keep(fn(&Transcript, &Settings) -> Vec<Variant>),
    /// A rewrite of the cited evidence of one item; `None` when the
    /// evidence offers nothing this mutation can act on.
    Change(fn(&Transcript, &[Cited], &Settings) -> Option<Variant>),
}

/// What every mutation may read: the seed and the noise rates.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub seed: u64,
    /// Character error rates of the same-pinyin mutation.
    pub rates: Vec<f64>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            seed: 0,
            rates: vec![0.05, 0.10, 0.20],
        }
    }
}

impl Settings {
    /// A random stream for `purpose` in call `call_id`, utterance `index`:
    /// the same seed gives the same draws whatever else runs.
    pub fn rng(&self, purpose: &str, call_id: &str, index: usize) -> SplitMix64 {
        SplitMix64::stream(self.seed, &format!("mutate/{purpose}/{call_id}"), index)
    }
}

/// A mutated call.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// Which variant of the mutation (`10%`, `spaces`, `+12.3 s`), in both
    /// languages (JSON gives the English one); empty when the mutation has
    /// only one.
    pub label: Text,
    pub transcript: Transcript,
    /// Per utterance of `transcript`: the range of original utterances it
    /// was made from (a split half: its one source; a merged utterance:
    /// all of them). Original utterances in no range were removed.
    pub sources: Vec<std::ops::Range<usize>>,
}

impl Variant {
    /// A variant that rewrote utterances one for one.
    pub fn one_for_one(label: Text, transcript: Transcript) -> Variant {
        let sources = (0..transcript.utterances.len()).map(|i| i..i + 1).collect();
        Variant {
            label,
            transcript,
            sources,
        }
    }

    /// The same call with only the texts changed, by `f(index, text)`.
    pub fn map_texts(
        label: Text,
        call: &Transcript,
        mut f: impl FnMut(usize, &str) -> String,
    ) -> Variant {
        let mut t = call.clone();
        for (i, u) in t.utterances.iter_mut().enumerate() {
            u.text = f(i, &u.text);
        }
        Variant::one_for_one(label, t)
    }

    /// True when the mutation changed anything at all.
    pub fn differs_from(&self, call: &Transcript) -> bool {
        self.transcript != *call
    }
}

/// One utterance an item's verdict cites, with the character ranges
/// (`[start, end)` in Unicode scalar values of its text) of the matched words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cited {
    pub utterance: usize,
    pub spans: Vec<[usize; 2]>,
}

// ---------------------------------------------------------------- shared helpers

/// Clause and sentence marks, as transcripts write them (full- and
/// half-width); what the punctuation mutation drops and clause starts follow.
pub(crate) fn is_clause_mark(c: char) -> bool {
    matches!(
        c,
        '，' | '。' | '？' | '！' | '；' | '：' | '、' | '…' | '⋯' | ',' | '?' | '!' | ';'
    )
}

/// Sentence ends: what the matched-sentence removal cuts at.
pub(crate) fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '？' | '！' | '；' | '?' | '!' | ';' | '…' | '⋯')
}

/// `c` at `i` is a mark between two digits (3.5, 6:30, 1,000): part of a number.
pub(crate) fn inside_number(chars: &[char], i: usize) -> bool {
    i > 0 && chars[i - 1].is_ascii_digit() && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit())
}

/// The role label for the other side, in the style of `speaker` (客服 ↔ 客户,
/// agent ↔ customer); `None` for a speaker that is neither.
pub(crate) fn other_side(speaker: &str) -> Option<String> {
    let chinese = speaker.chars().any(text::is_cjk);
    Some(
        match (Role::from_speaker(speaker), chinese) {
            (Role::Agent, true) => "客户",
            (Role::Agent, false) => "customer",
            (Role::Customer, true) => "客服",
            (Role::Customer, false) => "agent",
            (Role::Other, _) => return None,
        }
        .to_string(),
    )
}

/// An utterance with `text` and the times of the `[from, to)` share of
/// `u`'s content characters (times split in proportion to what was said).
pub(crate) fn part_of(
    u: &Utterance,
    text: String,
    from: usize,
    to: usize,
    total: usize,
) -> Utterance {
    let mut part = u.clone();
    part.text = text;
    if let (Some(s), Some(e)) = (u.start_ms, u.end_ms) {
        let at = |k: usize| s + ((e - s) as u128 * k as u128 / total.max(1) as u128) as u64;
        part.start_ms = Some(at(from));
        part.end_ms = Some(at(to));
    }
    part
}
