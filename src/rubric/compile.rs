//! Compiles a parsed rubric into runtime matchers: one Aho-Corasick
//! automaton over every phrase of every set (plus two over pinyin codes for
//! the sets that tolerate homophones), one `RegexSet` over every regex, and
//! conditions that refer to sets and regexes by index. Built once, shared
//! read-only by all workers; [`CompiledRubric::analyze`] then finds every
//! phrase hit of a call in one pass per utterance.

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;
use toml::Spanned;

pub use super::operators::Cond;
use super::pattern::{self, Atom, AtomSpec, CompiledPattern, Element, Subject, TimeSpan};
use super::schema::*;
use super::{
    dictionary_error, error_at, locate, Located, Locator, RubricError, RubricSource, Step,
};
use crate::text::{self, AnalyzedText, Segmenter};
use crate::transcript::{Role, Transcript};

/// Matching options of one compiled phrase set.
#[derive(Debug, Clone)]
pub struct SetInfo {
    pub name: String,
    /// What reasons call its hits (its name when the rubric gave no label).
    pub label: crate::i18n::Text,
    pub homophones: Homophones,
    pub negation: NegationMode,
    pub boundary: Boundary,
    pub kind: SetKind,
    /// The rubric gave it a `label` (otherwise `label` is its name).
    pub labelled: bool,
}

/// Where a compiled set's hits come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// Phrases (a `[phrases.NAME]` set, or a matcher's inline `words`).
    Phrases,
    /// A `[patterns.NAME]` token pattern: its hits are the pattern's matches.
    Pattern,
    /// Words a pattern needs (its `(literals)`, or a named set at the
    /// pattern's homophone tolerance): only patterns see these hits.
    PatternPart,
}

/// A rubric ready to score calls.
pub struct CompiledRubric {
    pub source: RubricSource,
    pub segmenter: Segmenter,
    pub sets: Vec<SetInfo>,
    /// Distinct normalised phrases; hits refer to them by index.
    pub phrases: Vec<String>,
    text_matcher: PatternMatcher,
    exact_matcher: Option<PatternMatcher>,
    fuzzy_matcher: Option<PatternMatcher>,
    pub(crate) regexes: Vec<Regex>,
    negation_cues: HashSet<String>,
    negation_scope: usize,
    pub patterns: Vec<CompiledPattern>,
    /// Every `[matches.NAME]`, compiled on its own: the speech acts other
    /// stages ask for by name (`callqa promises` reads `follow_up_promise`).
    pub named: std::collections::BTreeMap<String, Matcher>,
    /// Per set: the roles (bit 1 agent, bit 2 customer) of the conditions
    /// that name it. A set's hits are kept only on utterances of those
    /// roles, and a pattern is only searched there: the others (a pattern's
    /// vocabulary, a customer-side set on agent speech) would never be read.
    set_roles: Vec<u8>,
    /// `file:line:column: problem` lines that `callqa lint` rejects but
    /// that do not stop scoring (rubrics in version control keep working).
    pub lint: Vec<String>,
    pub items: Vec<CompiledItem>,
    /// What decides how [`Self::segmenter`] cuts and encodes text: the
    /// dictionaries' contents in order (not where they were read from) and
    /// whether words are tagged. Two rubrics with the same key analyse every
    /// utterance identically ([`CompiledRubric::shares_analysis`]).
    analysis_key: (Vec<String>, bool),
}

struct PatternMatcher {
    automaton: AhoCorasick,
    /// Per pattern: (set, phrase) pairs that own it.
    owners: Vec<Vec<(u16, u32)>>,
}

/// One item, its documentation and its compiled conditions.
pub struct CompiledItem {
    pub def: ItemDef,
    pub applies: Option<Cond>,
    pub rule: Rule,
}

pub enum Rule {
    PassWhen(Cond),
    FailWhen(Cond),
}

/// A compiled [`MatchSpec`].
pub struct Matcher {
    /// What reasons call its hits, shared by every part that names them.
    pub label: std::sync::Arc<super::reason::Label>,
    pub role: RoleScope,
    pub any: Vec<u16>,
    pub all: Vec<u16>,
    pub none: Vec<u16>,
    pub at_least: Option<(usize, Vec<u16>)>,
    pub regex: Option<usize>,
    pub exclude: Option<usize>,
    /// Sets / patterns whose hit in the same sentence drops a hit.
    pub unless: Vec<u16>,
    pub window: Option<Window>,
    pub min_chars: Option<usize>,
    pub max_chars: Option<usize>,
    pub complete: bool,
    pub min_hits: usize,
}

impl Matcher {
    /// True when the matcher looks for something rather than taking every
    /// utterance in scope.
    pub fn has_criteria(&self) -> bool {
        !self.any.is_empty()
            || !self.all.is_empty()
            || self.at_least.is_some()
            || self.regex.is_some()
    }
}

/// A phrase found in an utterance (match-text character range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhraseHit {
    pub set: u16,
    pub phrase: u32,
    pub start: u32,
    pub end: u32,
    pub homophone: bool,
}

/// One utterance prepared for evaluation.
pub struct UtteranceView {
    /// Index of this utterance in the transcript (views are in start order).
    pub source_index: usize,
    pub role: Role,
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
    pub text: AnalyzedText,
    pub hits: Vec<PhraseHit>,
    /// Per rubric regex: whether it matches somewhere in this utterance
    /// (computed on first use).
    pub regex_matched: Vec<std::cell::OnceCell<bool>>,
    /// The way back from `text` to the words as said, for quoting evidence
    /// (worked out on first use; see [`crate::evidence`]).
    pub spoken: crate::evidence::SpokenCache,
    pub turn: usize,
    pub confidence: Option<f64>,
    pub role_confidence: Option<f64>,
}

/// A run of consecutive utterances of one role.
#[derive(Debug, Clone, Copy)]
pub struct Turn {
    pub role: Role,
    pub first: usize,
    pub last: usize,
}

/// A call prepared for evaluation: every utterance analysed once.
pub struct CallView<'t> {
    pub transcript: &'t Transcript,
    pub utterances: Vec<UtteranceView>,
    pub turns: Vec<Turn>,
    pub timed: bool,
    pub duration_ms: u64,
}

/// `base` with every field that `local` sets replaced.
fn overlay(base: &MatchSpec, local: &MatchSpec) -> MatchSpec {
    let mut m = base.clone();
    m.use_ = None;
    if local.label.is_some() {
        m.label = local.label.clone();
    }
    if local.role != RoleScope::Any {
        m.role = local.role;
    }
    if !local.any.is_empty() {
        m.any = local.any.clone();
    }
    if !local.all.is_empty() {
        m.all = local.all.clone();
    }
    if !local.none.is_empty() {
        m.none = local.none.clone();
    }
    if local.at_least.is_some() {
        m.at_least = local.at_least.clone();
        m.of = local.of.clone();
    }
    if !local.words.is_empty() {
        m.words = local.words.clone();
    }
    if local.regex.is_some() {
        m.regex = local.regex.clone();
    }
    if local.exclude.is_some() {
        m.exclude = local.exclude.clone();
    }
    if !local.unless.is_empty() {
        m.unless = local.unless.clone();
    }
    if local.within.is_some() {
        m.within = local.within.clone();
    }
    if local.min_chars.is_some() {
        m.min_chars = local.min_chars;
    }
    if local.max_chars.is_some() {
        m.max_chars = local.max_chars.clone();
    }
    m.complete |= local.complete;
    if local.min_hits.is_some() {
        m.min_hits = local.min_hits.clone();
    }
    m
}

/// Compile-time state shared by the operators' compile steps: the sets,
/// regexes and named matches conditions refer to, and lint problems.
pub struct Builder<'a> {
    named: &'a std::collections::BTreeMap<String, MatchSpec>,
    origin: &'a str,
    text: &'a str,
    set_index: HashMap<String, u16>,
    sets: Vec<SetInfo>,
    set_phrases: Vec<Vec<String>>,
    regex_sources: Vec<String>,
    regex_index: HashMap<String, usize>,
    inline_count: usize,
    /// Problems that do not stop scoring but that `callqa lint` rejects.
    lint: Vec<String>,
    /// The title of the item being compiled: what reasons call a set or
    /// pattern the rubric gave no label (never its internal name).
    item_title: Option<crate::i18n::Text>,
    /// Per set: the roles (bits of [`role_mask`]) of the conditions that
    /// name it; a set no condition names only feeds patterns.
    roles_of_set: HashMap<u16, u8>,
}

/// The longest regex `callqa lint` accepts: anything longer is a rule no
/// analyst can read, and belongs in a token pattern.
pub const MAX_REGEX_CHARS: usize = 150;

impl<'a> Builder<'a> {
    /// An error at `span` of the rubric text (from a `Spanned` field, or
    /// from [`locate`]).
    pub(crate) fn error_at(&self, span: std::ops::Range<usize>, message: String) -> RubricError {
        error_at(self.origin, self.text, span.start, message)
    }

    fn set_ref(&self, name: &Spanned<String>) -> Result<u16, RubricError> {
        if let Some(id) = self.set_index.get(name.get_ref()) {
            return Ok(*id);
        }
        let mut known: Vec<&str> = self
            .set_index
            .keys()
            .filter(|k| !k.starts_with('@'))
            .map(String::as_str)
            .collect();
        known.sort_by_key(|k| strsim(k, name.get_ref()));
        known.truncate(5);
        Err(self.error_at(
            name.span(),
            format!(
                "unknown phrase set `{}`; closest defined sets: {}",
                name.get_ref(),
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ))
    }

    fn lint_at(&mut self, span: std::ops::Range<usize>, message: String) {
        let problem = self.error_at(span, message).to_string();
        if !self.lint.contains(&problem) {
            self.lint.push(problem);
        }
    }

    /// `role` says what the regex does (`regex` finds, `exclude` drops).
    fn regex_ref(&mut self, pattern: &Spanned<String>, role: &str) -> Result<usize, RubricError> {
        let source = pattern.get_ref().clone();
        let length = source.chars().count();
        if length > MAX_REGEX_CHARS {
            self.lint_at(
                pattern.span(),
                format!(
                    "this regex is {length} characters long (at most {MAX_REGEX_CHARS}): write the meaning as token patterns in [patterns] and refer to them by name"
                ),
            );
        }
        if let Some(id) = self.regex_index.get(&source) {
            return Ok(*id);
        }
        let compiled = Regex::new(&source)
            .map_err(|e| self.error_at(pattern.span(), format!("invalid regex: {e}")))?;
        // A regex that can match nothing at all matches in every utterance.
        if ["", "您好", "。"].iter().all(|t| compiled.is_match(t)) {
            return Err(self.error_at(
                pattern.span(),
                format!(
                    "this regex matches an empty text, so it {role}: make it need at least one character (`+` rather than `*`, no empty alternative `a|`)"
                ),
            ));
        }
        let id = self.regex_sources.len();
        self.regex_sources.push(source.clone());
        self.regex_index.insert(source, id);
        Ok(id)
    }

    /// Compiles a [`MatchSpec`] (resolving `use = "NAME"`).
    pub(crate) fn matcher(&mut self, spec: &MatchSpec) -> Result<Matcher, RubricError> {
        let merged;
        let spec = match &spec.use_ {
            Some(name) => {
                let Some(base) = self.named.get(name.get_ref()) else {
                    let mut known: Vec<&String> = self.named.keys().collect();
                    known.sort_by_key(|k| strsim(k, name.get_ref()));
                    known.truncate(5);
                    return Err(self.error_at(
                        name.span(),
                        format!(
                            "unknown match `{}`: `use` names a `[matches.NAME]` table; {}add `[matches.{}]`",
                            name.get_ref(),
                            if known.is_empty() {
                                String::new()
                            } else {
                                format!(
                                    "name one of those defined ({}), or ",
                                    known
                                        .iter()
                                        .map(|k| format!("`{k}`"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )
                            },
                            name.get_ref()
                        ),
                    ));
                };
                if base.use_.is_some() {
                    return Err(self.error_at(
                        name.span(),
                        format!(
                            "match `{}` itself uses another match, and a `use` chain is one step long: copy the fields of the match it uses into `[matches.{}]` and remove its `use`",
                            name.get_ref(),
                            name.get_ref()
                        ),
                    ));
                }
                merged = overlay(base, spec);
                &merged
            }
            None => spec,
        };
        let refs = |b: &Builder, v: &[Spanned<String>]| -> Result<Vec<u16>, RubricError> {
            v.iter().map(|n| b.set_ref(n)).collect()
        };
        let mut any = refs(self, &spec.any)?;
        if let Some(blank) = spec.words.iter().find(|w| is_blank_phrase(w.get_ref())) {
            return Err(self.error_at(
                blank.span(),
                format!(
                    "the word {:?} is blank once punctuation and spaces are dropped, and would match nothing: delete it from `words`",
                    blank.get_ref()
                ),
            ));
        }
        if !spec.words.is_empty() {
            let name = format!("@inline{}", self.inline_count);
            self.inline_count += 1;
            let id = self.sets.len() as u16;
            self.set_index.insert(name.clone(), id);
            self.sets.push(SetInfo {
                name,
                label: crate::i18n::Text::same(
                    spec.words
                        .iter()
                        .map(|w| format!("「{}」", w.get_ref()))
                        .collect::<Vec<_>>()
                        .join("/"),
                ),
                homophones: Homophones::Off,
                negation: NegationMode::Ignore,
                boundary: Boundary::Token,
                kind: SetKind::Phrases,
                labelled: true,
            });
            self.set_phrases
                .push(spec.words.iter().map(|w| w.get_ref().clone()).collect());
            any.push(id);
        }
        let all = refs(self, &spec.all)?;
        let none = refs(self, &spec.none)?;
        let at_least = match &spec.at_least {
            Some(n) => {
                let of = refs(self, &spec.of)?;
                let distinct: HashSet<&u16> = of.iter().collect();
                if *n.get_ref() == 0 || *n.get_ref() > distinct.len() {
                    return Err(self.error_at(
                        n.span(),
                        format!(
                            "`at_least = {}` with {} distinct sets in `of`: it would {}: write a number from 1 to {}",
                            n.get_ref(),
                            distinct.len(),
                            if *n.get_ref() == 0 { "always hold" } else { "never hold" },
                            distinct.len().max(1)
                        ),
                    ));
                }
                Some((*n.get_ref(), of))
            }
            None => {
                if let Some(first) = spec.of.first() {
                    return Err(self.error_at(
                        first.span(),
                        "`of` lists sets for `at_least`, which is missing, so they would be ignored: add `at_least = N`, or use `any`".into(),
                    ));
                }
                None
            }
        };
        if let Some(within) = &spec.within {
            if let Some(problem) = window_problem(within.get_ref()) {
                return Err(self.error_at(within.span(), problem));
            }
        }
        if let (Some(min), Some(max)) = (spec.min_chars, &spec.max_chars) {
            if min > *max.get_ref() {
                return Err(self.error_at(
                    max.span(),
                    format!(
                        "`max_chars = {}` is below `min_chars = {min}`, so no utterance fits: make `max_chars` at least `min_chars`",
                        max.get_ref()
                    ),
                ));
            }
        }
        if let Some(n) = spec.min_hits.as_ref().filter(|n| *n.get_ref() == 0) {
            return Err(self.error_at(
                n.span(),
                "`min_hits = 0` holds without a single hit: write 1 or more, or leave it out (1)"
                    .into(),
            ));
        }
        let regex = spec
            .regex
            .as_ref()
            .map(|r| self.regex_ref(r, "would match every utterance"))
            .transpose()?;
        let exclude = spec
            .exclude
            .as_ref()
            .map(|r| self.regex_ref(r, "would drop every hit"))
            .transpose()?;
        let unless = refs(self, &spec.unless)?;
        let at_least_sets = at_least
            .as_ref()
            .map(|(_, of)| of.clone())
            .unwrap_or_default();
        let mask = role_mask(spec.role);
        for set in any
            .iter()
            .chain(&all)
            .chain(&none)
            .chain(&unless)
            .chain(&at_least_sets)
        {
            *self.roles_of_set.entry(*set).or_default() |= mask;
        }
        if spec.label.is_none() {
            if let Some(r) = &spec.regex {
                self.lint_at(
                    r.span(),
                    "a match with a regex needs a `label`: reasons show the label, never the regex"
                        .into(),
                );
            }
            for name in spec.any.iter().chain(&spec.all).chain(&spec.of) {
                let info = &self.sets[self.set_ref(name)? as usize];
                if !info.labelled {
                    let what = if info.kind == SetKind::Pattern {
                        "pattern"
                    } else {
                        "phrase set"
                    };
                    self.lint_at(
                        name.span(),
                        format!(
                            "{what} `{}` has no `label`, so reasons would show its internal name; give it a label (or give this match one)",
                            info.name
                        ),
                    );
                }
            }
        }
        let label = match &spec.label {
            Some(text) => super::reason::Label::new(text.clone(), true),
            None => {
                let mut zh: Vec<&str> = Vec::new();
                let mut en: Vec<&str> = Vec::new();
                // An unlabelled set is named by the item's title, or not at
                // all; lint asks for a label.
                let generic =
                    crate::i18n::Text::new("评分标准所列的说法", "a phrase the rubric lists");
                for s in any.iter().chain(all.iter()) {
                    let info = &self.sets[*s as usize];
                    let label = if info.labelled {
                        &info.label
                    } else {
                        self.item_title.as_ref().unwrap_or(&generic)
                    };
                    for (list, lang) in [
                        (&mut zh, crate::i18n::Lang::Zh),
                        (&mut en, crate::i18n::Lang::En),
                    ] {
                        let text = label.get(lang);
                        if !list.contains(&text) {
                            list.push(text);
                        }
                    }
                }
                if spec.regex.is_some() {
                    // Never the regex itself: a person reads this (lint rejects it).
                    let t = self.item_title.as_ref().unwrap_or(&generic);
                    for (list, lang) in [
                        (&mut zh, crate::i18n::Lang::Zh),
                        (&mut en, crate::i18n::Lang::En),
                    ] {
                        if !list.contains(&t.get(lang)) {
                            list.push(t.get(lang));
                        }
                    }
                }
                if zh.is_empty() {
                    super::reason::Label::new(crate::i18n::Text::new("发言", "an utterance"), false)
                } else {
                    super::reason::Label::new(
                        crate::i18n::Text::new(zh.join("或"), en.join(" or ")),
                        true,
                    )
                }
            }
        };
        Ok(Matcher {
            label,
            role: spec.role,
            any,
            all,
            none,
            at_least,
            regex,
            exclude,
            unless,
            window: spec.within.as_ref().map(|w| w.get_ref().clone()),
            min_chars: spec.min_chars,
            max_chars: spec.max_chars.as_ref().map(|n| *n.get_ref()),
            complete: spec.complete,
            min_hits: spec.min_hits.as_ref().map_or(1, |n| *n.get_ref()),
        })
    }

    /// Set / pattern ids that a condition names directly (as
    /// `interruption`'s backchannels do): their hits stay on the utterance.
    pub(crate) fn condition_sets(
        &mut self,
        names: &[Spanned<String>],
    ) -> Result<Vec<u16>, RubricError> {
        let sets: Vec<u16> = names
            .iter()
            .map(|n| self.set_ref(n))
            .collect::<Result<_, _>>()?;
        for set in &sets {
            *self.roles_of_set.entry(*set).or_default() |= role_mask(RoleScope::Any);
        }
        Ok(sets)
    }
}

/// What a rubric's patterns need from the text stage.
#[derive(Default)]
struct PatternNeeds {
    word_classes: bool,
}

impl Builder<'_> {
    /// Registers every named pattern as a set (so conditions name it like a
    /// phrase set), then resolves its positions.
    fn patterns(
        &mut self,
        defs: &std::collections::BTreeMap<String, PatternDef>,
    ) -> Result<(Vec<CompiledPattern>, PatternNeeds), RubricError> {
        let mut pending = Vec::new();
        for (name, def) in defs {
            if self.set_index.contains_key(name) {
                return Err(self.error_at(
                    self.key_span("patterns", name),
                    format!("`{name}` is both a phrase set and a pattern; give one of them another name"),
                ));
            }
            if def.alternatives.is_empty() {
                let at = locate(
                    self.text,
                    &[Step::Key("patterns"), Step::Key(name), Step::Key("match")],
                )
                .map_or_else(|| self.key_span("patterns", name), |at| at.value);
                return Err(self.error_at(
                    at,
                    format!(
                        "pattern `{name}` has no `match` sequences, so it would never match: write at least one, e.g. `match = [\"<verb> (您|你)\"]`, or delete the pattern"
                    ),
                ));
            }
            let id = self.sets.len() as u16;
            self.set_index.insert(name.clone(), id);
            self.sets.push(SetInfo {
                name: name.clone(),
                label: def
                    .label
                    .clone()
                    .unwrap_or_else(|| crate::i18n::Text::same(name.clone())),
                homophones: Homophones::Off,
                negation: NegationMode::Ignore,
                boundary: Boundary::Token,
                kind: SetKind::Pattern,
                labelled: def.label.is_some(),
            });
            self.set_phrases.push(Vec::new());
            pending.push((name, def, id));
        }
        let mut needs = PatternNeeds::default();
        let mut derived: HashMap<(u16, Homophones), u16> = HashMap::new();
        let mut compiled = Vec::new();
        for (name, def, id) in pending {
            let mut alternatives = Vec::new();
            let mut required = Vec::new();
            for (k, alt) in def.alternatives.iter().enumerate() {
                // The span includes the opening quote.
                let base = alt.span().start + 1;
                let specs = pattern::parse(alt.get_ref())
                    .map_err(|e| self.error_at(base + e.offset..base + e.offset, e.message))?;
                let mut elements = Vec::new();
                let mut must = Vec::new();
                for (j, spec) in specs.into_iter().enumerate() {
                    let at = base + spec.offset..base + spec.offset;
                    let atom = match spec.atom {
                        AtomSpec::Set(set_name) => {
                            let set = self.set_ref(&Spanned::new(at.clone(), set_name.clone()))?;
                            let info = &self.sets[set as usize];
                            if info.kind == SetKind::Pattern {
                                return Err(self.error_at(
                                    at,
                                    format!(
                                        "`{set_name}` is a pattern; a pattern's positions name phrase sets, not other patterns{}",
                                        if set_name == *name { " (nor itself)" } else { "" }
                                    ),
                                ));
                            }
                            let set = if def.homophones > info.homophones {
                                match derived.get(&(set, def.homophones)) {
                                    Some(d) => *d,
                                    None => {
                                        let d = self.part_set(
                                            format!("@{set_name}~{:?}", def.homophones),
                                            info.label.clone(),
                                            def.homophones,
                                            info.boundary,
                                            self.set_phrases[set as usize].clone(),
                                        );
                                        derived.insert((set, def.homophones), d);
                                        d
                                    }
                                }
                            } else {
                                set
                            };
                            Atom::Set(set)
                        }
                        AtomSpec::Literals(words) if words.iter().any(|w| is_blank_phrase(w)) => {
                            return Err(self.error_at(
                                at,
                                "a word in `( | )` is only punctuation or spaces, and would match nothing: delete it".into(),
                            ));
                        }
                        AtomSpec::Literals(words) => Atom::Set(self.part_set(
                            format!("@{name}#{k}.{j}"),
                            crate::i18n::Text::same(words.join("/")),
                            def.homophones,
                            Boundary::Edge,
                            words,
                        )),
                        AtomSpec::Class(tags) => {
                            needs.word_classes = true;
                            Atom::Class(
                                tags.iter()
                                    .map(|t| {
                                        let mut code = [0u8; 4];
                                        for (slot, b) in code.iter_mut().zip(t.bytes()) {
                                            *slot = b;
                                        }
                                        code
                                    })
                                    .collect(),
                            )
                        }
                        AtomSpec::Time { specific } => Atom::Time { specific },
                        AtomSpec::AnyWord => Atom::AnyWord,
                    };
                    if let (Atom::Set(s), true) = (&atom, spec.min >= 1) {
                        must.push(*s);
                    }
                    elements.push(Element {
                        atom,
                        min: spec.min,
                        max: spec.max,
                    });
                }
                alternatives.push(elements);
                required.push(must);
            }
            let uses_time = alternatives
                .iter()
                .flatten()
                .any(|e| matches!(e.atom, Atom::Time { .. }));
            compiled.push(CompiledPattern {
                set: id,
                alternatives,
                required,
                negation: def.negation,
                uses_time,
            });
        }
        Ok((compiled, needs))
    }

    fn part_set(
        &mut self,
        name: String,
        label: crate::i18n::Text,
        homophones: Homophones,
        boundary: Boundary,
        words: Vec<String>,
    ) -> u16 {
        let id = self.sets.len() as u16;
        self.set_index.insert(name.clone(), id);
        self.sets.push(SetInfo {
            name,
            label,
            homophones,
            negation: NegationMode::Ignore,
            boundary,
            kind: SetKind::PatternPart,
            labelled: true,
        });
        self.set_phrases.push(words);
        id
    }

    /// The position of entry `table.key` in the rubric text (its `[table.key]`
    /// header, or its value), for errors about a whole named entry.
    fn key_span(&self, table: &str, key: &str) -> std::ops::Range<usize> {
        locate(self.text, &[Step::Key(table), Step::Key(key)]).map_or(0..0, |at| at.value)
    }
}

/// A phrase that normalises to nothing (empty, blanks, punctuation): it
/// would match at every position, or nowhere.
fn is_blank_phrase(raw: &str) -> bool {
    text::match_form(&text::normalize(raw)).is_empty()
}

/// Why a `within` window would hold no utterance, if it would.
fn window_problem(w: &Window) -> Option<String> {
    let counts = [
        ("first_turns", w.first_turns.map(|n| n as u64)),
        ("last_turns", w.last_turns.map(|n| n as u64)),
        ("first_ms", w.first_ms),
        ("last_ms", w.last_ms),
    ];
    if let Some((key, _)) = counts.iter().find(|(_, n)| *n == Some(0)) {
        return Some(format!(
            "`{key} = 0` is an empty window, so no utterance is in it: write 1 or more, or leave `{key}` out"
        ));
    }
    for (key, percent) in [
        ("first_percent", w.first_percent),
        ("last_percent", w.last_percent),
    ] {
        if let Some(p) = percent.filter(|p| !(*p > 0.0 && *p <= 100.0)) {
            return Some(format!(
                "`{key} = {p}` is not a share of the call above 0 and up to 100: write e.g. `{key} = 20`"
            ));
        }
    }
    None
}

/// Rules that parse but would make scores lie (negative or non-finite
/// points, a `pass_score` no score can reach, two items with one id, an
/// item with two rules, a phrase set that matches nothing, named matches
/// that use each other in a cycle …). Every problem, each at its position
/// in the rubric text, in text order; empty when the rubric means what it
/// says. References and regexes are checked by the compile steps.
pub fn check_meaning(source: &RubricSource) -> Vec<RubricError> {
    let (origin, text, file) = (source.origin.as_str(), source.text.as_str(), &source.file);
    let mut problems: Vec<(usize, RubricError)> = Vec::new();
    let locator = Locator::new(text);
    // The value at `path` (or, when it is not written, the nearest written
    // ancestor: a default is still wrong where its table is).
    let at = |path: &[Step], key: bool| -> usize {
        (0..=path.len())
            .rev()
            .find_map(|n| locator.find(&path[..n]))
            .map_or(
                0,
                |Located { key: k, value: v }| if key { k.start } else { v.start },
            )
    };
    let mut report = |offset: usize, message: String| {
        problems.push((offset, error_at(origin, text, offset, message)));
    };

    let meta = &file.rubric;
    let in_rubric = |key| [Step::Key("rubric"), Step::Key(key)];
    if !(0.0..=100.0).contains(&meta.pass_score) {
        report(
            at(&in_rubric("pass_score"), false),
            format!(
                "`pass_score = {}` is not a score between 0 and 100, so {}: write a number from 0 to 100, e.g. `pass_score = 80`",
                meta.pass_score,
                if meta.pass_score < 0.0 { "every call would pass" } else { "no call could ever pass" }
            ),
        );
    }
    for (key, value) in [
        ("min_confidence", meta.min_confidence),
        ("min_role_confidence", meta.min_role_confidence),
    ] {
        if !(0.0..=1.0).contains(&value) {
            report(
                at(&in_rubric(key), false),
                format!(
                    "`{key} = {value}` is not a confidence between 0 and 1: write a number from 0 to 1, e.g. `{key} = 0.5`"
                ),
            );
        }
    }

    // Negation settings that silently switch off the sets that rely on them.
    let negating = file
        .phrases
        .iter()
        .map(|(n, s)| (n, s.negation))
        .chain(file.patterns.iter().map(|(n, p)| (n, p.negation)))
        .find(|(_, mode)| *mode != NegationMode::Ignore);
    if let Some((user, _)) = negating {
        let negation = &file.negation;
        if negation.scope_tokens == 0 {
            report(
                at(&[Step::Key("negation"), Step::Key("scope_tokens")], false),
                format!("`scope_tokens = 0` lets no negation cue reach a phrase, so `{user}` (and every set with `negation = …`) never sees a negation: write 1 or more, e.g. `scope_tokens = 2`"),
            );
        }
        if negation.cues.iter().all(|c| is_blank_phrase(c)) {
            report(
                at(&[Step::Key("negation"), Step::Key("cues")], false),
                format!("`cues` lists no negation word, so `{user}` (and every set with `negation = …`) never sees a negation: list them, e.g. `cues = [\"不\", \"没有\"]`"),
            );
        }
    }

    for (name, set) in &file.phrases {
        let path = [Step::Key("phrases"), Step::Key(name), Step::Key("phrases")];
        let blank: Vec<usize> = (0..set.phrases.len())
            .filter(|&j| is_blank_phrase(&set.phrases[j]))
            .collect();
        if set.phrases.is_empty() || blank.len() == set.phrases.len() {
            report(
                at(&path, false),
                format!(
                    "phrase set `{name}` has {}, so the conditions naming it never hold: list what is said, e.g. `phrases = [\"您好\"]`, or delete the set",
                    if set.phrases.is_empty() { "no phrases" } else { "only blank phrases" }
                ),
            );
            continue;
        }
        for j in blank {
            let mut element = path.to_vec();
            element.push(Step::Index(j));
            report(
                at(&element, false),
                format!(
                    "phrase {} of set `{name}` ({:?}) is blank once punctuation and spaces are dropped, and would match nothing: delete it",
                    j + 1,
                    set.phrases[j]
                ),
            );
        }
    }

    for (name, spec) in &file.matches {
        let Some(first) = &spec.use_ else { continue };
        let mut chain = vec![name.as_str()];
        let mut next = first.get_ref().as_str();
        while !chain.contains(&next) {
            chain.push(next);
            match file.matches.get(next).and_then(|m| m.use_.as_ref()) {
                Some(u) => next = u.get_ref(),
                None => break,
            }
        }
        // A cycle is reported once, at the `use` of its first member by name.
        let Some(start) = chain.iter().position(|n| *n == next) else {
            continue;
        };
        let cycle = &chain[start..];
        if start != 0 || cycle.iter().min() != Some(&name.as_str()) {
            continue;
        }
        let spelled: Vec<String> = cycle
            .iter()
            .chain([&next])
            .map(|n| format!("`{n}`"))
            .collect();
        report(
            first.span().start,
            if cycle.len() == 1 {
                format!(
                    "match `{name}` uses itself ({}), so it has no definition to start from: remove `use = \"{name}\"` or name another match",
                    spelled.join(" → ")
                )
            } else {
                format!(
                    "named matches use each other in a cycle: {}, so none of them has a definition to start from: remove the `use` of one of them",
                    spelled.join(" → ")
                )
            },
        );
    }

    // Item id → index of the first item with it.
    let mut first_of_id: HashMap<&str, usize> = HashMap::new();
    for (i, def) in file.items.iter().enumerate() {
        let item = |key| [Step::Key("item"), Step::Index(i), Step::Key(key)];
        let id = &def.id;
        if !def.points.is_finite() || def.points < 0.0 {
            report(
                at(&item("points"), false),
                format!(
                    "item `{id}` has `points = {}`: points are a finite number, 0 or more (for a failure that costs the whole call, use `critical = true`): write e.g. `points = 10`",
                    def.points
                ),
            );
        } else if def.flag && def.points != 0.0 {
            report(
                at(&item("points"), false),
                format!(
                    "item `{id}` is a flag (review only) and cannot carry points: remove `points`, or remove `flag = true` to score it"
                ),
            );
        }
        if def.flag && def.critical {
            report(
                at(&item("critical"), true),
                format!(
                    "item `{id}` is a flag, which answers `review` and never fails, so `critical = true` would never fail a call: remove `critical`, or remove `flag = true`"
                ),
            );
        }
        if id.trim().is_empty() {
            report(
                at(&item("id"), false),
                "an item id is blank: scorecards and fixtures name items by id; write one, e.g. `id = \"greeting\"`".into(),
            );
        } else if let Some(&first) = first_of_id.get(id.as_str()) {
            let first = at(
                &[Step::Key("item"), Step::Index(first), Step::Key("id")],
                false,
            );
            let (line, column) = super::line_column(text, first);
            report(
                at(&item("id"), false),
                format!(
                    "item id `{id}` is already used by the item at {origin}:{line}:{column}; scorecards would mix the two: give one of them another id"
                ),
            );
        } else {
            first_of_id.insert(id, i);
        }
        match (&def.pass, &def.fail) {
            (Some(_), Some(_)) => report(
                at(&item("fail"), true),
                format!(
                    "item `{id}` has both `pass` and `fail`, but it needs exactly one of `pass` or `fail` to decide it: keep `pass` (the item passes when it holds) or `fail` (it fails when it holds), and delete the other"
                ),
            ),
            (None, None) => report(
                at(&[Step::Key("item"), Step::Index(i)], true),
                format!(
                    "item `{id}` has neither `pass` nor `fail`, but it needs exactly one of `pass` or `fail` to decide it: add one, e.g. `pass = {{ say = {{ role = \"agent\", any = [\"greeting_word\"] }} }}`"
                ),
            ),
            _ => {}
        }
    }
    problems.sort_by_key(|(offset, _)| *offset);
    problems.into_iter().map(|(_, e)| e).collect()
}

/// Whether a hit of match-text characters `[start, end)` sits on the word
/// boundaries its set asks for. `aligned` is the pass's own notion of a
/// whole-word hit (strict for written words, relaxed for homophones); an
/// `edge` phrase of two or more characters also passes with a boundary at
/// one end only (咨询 in 咨询点, 退款 in 全额退款).
fn fits_boundary(
    boundary: Boundary,
    aligned: bool,
    text: &AnalyzedText,
    start: usize,
    end: usize,
) -> bool {
    match boundary {
        Boundary::Token => aligned,
        Boundary::Edge => {
            aligned || (end - start >= 2 && (text.boundary[start] || text.boundary[end]))
        }
        Boundary::Char => true,
    }
}

/// The roles a matcher's role scope reads, as bits (1 agent, 2 customer).
fn role_mask(scope: RoleScope) -> u8 {
    match scope {
        RoleScope::Agent => 1,
        RoleScope::Customer => 2,
        RoleScope::Any => 3,
    }
}

/// A small edit distance for "did you mean" lists.
fn strsim(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

impl CompiledRubric {
    /// Checks references and regexes and builds the matchers.
    pub fn compile(source: RubricSource) -> Result<CompiledRubric, RubricError> {
        let problems = check_meaning(&source);
        if !problems.is_empty() {
            return Err(RubricError::from_problems(problems));
        }
        let file = &source.file;
        let mut builder = Builder {
            named: &file.matches,
            origin: &source.origin,
            text: &source.text,
            set_index: HashMap::new(),
            sets: Vec::new(),
            set_phrases: Vec::new(),
            regex_sources: Vec::new(),
            regex_index: HashMap::new(),
            inline_count: 0,
            lint: Vec::new(),
            roles_of_set: HashMap::new(),
            item_title: None,
        };
        for (name, set) in &file.phrases {
            let id = builder.sets.len() as u16;
            builder.set_index.insert(name.clone(), id);
            builder.sets.push(SetInfo {
                name: name.clone(),
                label: set
                    .label
                    .clone()
                    .unwrap_or_else(|| crate::i18n::Text::same(name.clone())),
                homophones: set.homophones,
                negation: set.negation,
                boundary: set.boundary,
                kind: SetKind::Phrases,
                labelled: set.label.is_some(),
            });
            builder.set_phrases.push(set.phrases.clone());
        }
        let (patterns, needs) = builder.patterns(&file.patterns)?;
        // Not a load error: a rubric of coaching flags, or a draft, still
        // scores; but a rubric in use with no points is a lie lint rejects.
        if file.items.iter().all(|d| d.points == 0.0) {
            let first = file.items.iter().position(|d| !d.flag).unwrap_or(0);
            let item = [Step::Key("item"), Step::Index(first)];
            let at = locate(&source.text, &[item[0], item[1], Step::Key("points")])
                .or_else(|| locate(&source.text, &item))
                .map_or(0..0, |at| at.value);
            builder.lint_at(
                at,
                "no item carries points (they add up to 0), so every call would score 100: give the scored items points, e.g. `points = 10`".into(),
            );
        }

        let mut named = std::collections::BTreeMap::new();
        for (name, spec) in &file.matches {
            named.insert(name.clone(), builder.matcher(spec)?);
        }

        let mut items = Vec::new();
        for def in &file.items {
            // Inside a sentence: "no opening greeting", not "no Opening greeting".
            builder.item_title = Some(def.title.clone())
                .filter(|t| !t.is_empty())
                .map(|mut t| {
                    let mut chars = t.en.chars();
                    if let Some(first) = chars.next() {
                        t.en = first.to_lowercase().chain(chars).collect();
                    }
                    t
                });
            let rule = match (&def.pass, &def.fail) {
                (Some(c), _) => Rule::PassWhen(c.compile(&mut builder)?),
                (None, Some(c)) => Rule::FailWhen(c.compile(&mut builder)?),
                // check_meaning has rejected items without exactly one rule.
                (None, None) => continue,
            };
            let applies = def
                .applies
                .as_ref()
                .map(|c| c.compile(&mut builder))
                .transpose()?;
            items.push(CompiledItem {
                def: def.clone(),
                applies,
                rule,
            });
        }

        let mut segmenter = Segmenter::new(&source.dictionaries).map_err(|e| {
            // The dictionary's own line is in the message.
            let i = source
                .dictionaries
                .iter()
                .position(|(origin, _)| *origin == e.origin)
                .unwrap_or(0);
            let name = file.rubric.dictionaries.get(i).map_or("", String::as_str);
            dictionary_error(&source.origin, &source.text, i, name, e.to_string())
        })?;
        segmenter.set_tagging(needs.word_classes);

        // Distinct phrases (normalised, punctuation-free) → owners per matcher kind.
        let mut phrase_ids: HashMap<String, u32> = HashMap::new();
        let mut phrases: Vec<String> = Vec::new();
        let mut text_patterns: Vec<(String, Vec<(u16, u32)>)> = Vec::new();
        let mut text_pattern_index: HashMap<String, usize> = HashMap::new();
        let mut exact_patterns: Vec<(Vec<u8>, Vec<(u16, u32)>)> = Vec::new();
        let mut exact_index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut fuzzy_patterns: Vec<(Vec<u8>, Vec<(u16, u32)>)> = Vec::new();
        let mut fuzzy_index: HashMap<Vec<u8>, usize> = HashMap::new();
        for (set_id, list) in builder.set_phrases.iter().enumerate() {
            let info = &builder.sets[set_id];
            for raw in list {
                let form = text::match_form(&text::normalize(raw));
                if form.is_empty() {
                    // Blank phrases are rejected where they are written
                    // (check_meaning, Builder::matcher, Builder::patterns).
                    continue;
                }
                let pid = *phrase_ids.entry(form.clone()).or_insert_with(|| {
                    phrases.push(form.clone());
                    (phrases.len() - 1) as u32
                });
                let owner = (set_id as u16, pid);
                let slot = *text_pattern_index.entry(form.clone()).or_insert_with(|| {
                    text_patterns.push((form.clone(), Vec::new()));
                    text_patterns.len() - 1
                });
                text_patterns[slot].1.push(owner);
                // Homophones only for phrases of two or more syllables that
                // carry meaning: a single syllable has too many homophones to
                // mean anything, and a particle adds none (谢了 would be
                // heard in 写了 "wrote", 谢啦 in 些啦).
                if meaningful_syllables(&form) >= 2 {
                    match info.homophones {
                        Homophones::Off => {}
                        Homophones::Exact => {
                            let codes = text::pinyin_codes(&form, false);
                            let slot = *exact_index.entry(codes.clone()).or_insert_with(|| {
                                exact_patterns.push((codes, Vec::new()));
                                exact_patterns.len() - 1
                            });
                            exact_patterns[slot].1.push(owner);
                        }
                        Homophones::Fuzzy => {
                            let codes = text::pinyin_codes(&form, true);
                            let slot = *fuzzy_index.entry(codes.clone()).or_insert_with(|| {
                                fuzzy_patterns.push((codes, Vec::new()));
                                fuzzy_patterns.len() - 1
                            });
                            fuzzy_patterns[slot].1.push(owner);
                        }
                    }
                }
            }
        }
        let build = |patterns: Vec<Vec<u8>>| -> AhoCorasick {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .build(patterns)
                .expect("phrase automaton builds")
        };
        let text_matcher = PatternMatcher {
            automaton: build(
                text_patterns
                    .iter()
                    .map(|(p, _)| p.as_bytes().to_vec())
                    .collect(),
            ),
            owners: text_patterns.into_iter().map(|(_, o)| o).collect(),
        };
        let exact_matcher = (!exact_patterns.is_empty()).then(|| PatternMatcher {
            automaton: build(exact_patterns.iter().map(|(p, _)| p.clone()).collect()),
            owners: exact_patterns.into_iter().map(|(_, o)| o).collect(),
        });
        let fuzzy_matcher = (!fuzzy_patterns.is_empty()).then(|| PatternMatcher {
            automaton: build(fuzzy_patterns.iter().map(|(p, _)| p.clone()).collect()),
            owners: fuzzy_patterns.into_iter().map(|(_, o)| o).collect(),
        });

        let regexes: Vec<Regex> = builder
            .regex_sources
            .iter()
            .map(|s| Regex::new(s).expect("validated above"))
            .collect();
        let negation_cues = file
            .negation
            .cues
            .iter()
            .map(|c| text::normalize(c))
            .collect();
        let negation_scope = file.negation.scope_tokens;
        let sets = builder.sets;
        let set_roles: Vec<u8> = (0..sets.len() as u16)
            .map(|id| builder.roles_of_set.get(&id).copied().unwrap_or(0))
            .collect();
        Ok(CompiledRubric {
            segmenter,
            sets,
            phrases,
            text_matcher,
            exact_matcher,
            fuzzy_matcher,
            regexes,
            negation_cues,
            negation_scope,
            patterns,
            named,
            lint: builder.lint,
            set_roles,
            items,
            analysis_key: (
                source.dictionaries.iter().map(|(_, t)| t.clone()).collect(),
                needs.word_classes,
            ),
            source,
        })
    }

    /// True when `other` normalises, segments and encodes every utterance
    /// exactly as this rubric does (same dictionary texts in the same
    /// order, same tagging), so a call analysed for one can be scored by the
    /// other after [`CompiledRubric::reuse_analysis`]. `callqa diff` scores
    /// two versions of a rubric on one analysis this way.
    pub fn shares_analysis(&self, other: &CompiledRubric) -> bool {
        self.analysis_key == other.analysis_key
    }

    /// `view`, made by [`CompiledRubric::analyze`] of a rubric that
    /// [`shares_analysis`](CompiledRubric::shares_analysis) with this one,
    /// turned into this rubric's view of the call: the analysed texts,
    /// turns and timing are kept, the phrase hits are found again with this
    /// rubric's phrases and the regex cache is reset to its regexes. The
    /// result is the view `self.analyze(view.transcript)` would build.
    pub fn reuse_analysis<'t>(&self, mut view: CallView<'t>) -> CallView<'t> {
        for u in &mut view.utterances {
            u.hits = self.find_hits(&u.text, u.role);
            u.regex_matched = vec![std::cell::OnceCell::new(); self.regexes.len()];
        }
        view
    }

    /// True when `other` also finds exactly the same phrase hits on every
    /// analysed text: it [shares the analysis](CompiledRubric::shares_analysis)
    /// and everything [`CompiledRubric::analyze`] matches with is equal
    /// (sets and their options, phrases and their owners, the roles that
    /// keep hits, patterns, negation). A rubric change that only moves
    /// windows, points, thresholds or `pass_score` keeps the hits; then
    /// [`CompiledRubric::reuse_hits`] skips the phrase search too. Costs a
    /// comparison of the two rubrics: ask once, not per call.
    pub fn shares_hits(&self, other: &CompiledRubric) -> bool {
        let owners = |m: &Option<PatternMatcher>| m.as_ref().map(|m| m.owners.clone());
        self.shares_analysis(other)
            && self.phrases == other.phrases
            && self.set_roles == other.set_roles
            && self.negation_cues == other.negation_cues
            && self.negation_scope == other.negation_scope
            && self.text_matcher.owners == other.text_matcher.owners
            && owners(&self.exact_matcher) == owners(&other.exact_matcher)
            && owners(&self.fuzzy_matcher) == owners(&other.fuzzy_matcher)
            && format!("{:?}", self.sets) == format!("{:?}", other.sets)
            && format!("{:?}", self.patterns) == format!("{:?}", other.patterns)
    }

    /// `view`, made by a rubric that [`shares_hits`](CompiledRubric::shares_hits)
    /// with this one, as this rubric's view: everything is kept but the
    /// per-utterance regex cache, reset to this rubric's regexes.
    pub fn reuse_hits<'t>(&self, mut view: CallView<'t>) -> CallView<'t> {
        for u in &mut view.utterances {
            u.regex_matched = vec![std::cell::OnceCell::new(); self.regexes.len()];
        }
        view
    }

    pub fn id(&self) -> &str {
        &self.source.file.rubric.id
    }

    pub fn item(&self, id: &str) -> Option<&CompiledItem> {
        self.items.iter().find(|i| i.def.id == id)
    }

    /// Normalises, segments and matches every utterance of a call.
    pub fn analyze<'t>(&self, transcript: &'t Transcript) -> CallView<'t> {
        let mut utterances = Vec::with_capacity(transcript.utterances.len());
        let mut order: Vec<usize> = (0..transcript.utterances.len()).collect();
        // Utterances in start order when times exist (stable for ties / untimed).
        if transcript.has_timestamps() {
            order.sort_by_key(|&i| transcript.utterances[i].start_ms.unwrap_or(0));
        }
        let mut turns: Vec<Turn> = Vec::new();
        for (pos, &i) in order.iter().enumerate() {
            let u = &transcript.utterances[i];
            let role = Role::from_speaker(&u.speaker);
            let text = self.segmenter.analyze(&u.text);
            let hits = self.find_hits(&text, role);
            // Regexes run lazily, only on the utterances a matcher looks at.
            let regex_matched = vec![std::cell::OnceCell::new(); self.regexes.len()];
            match turns.last_mut() {
                Some(t) if t.role == role => t.last = pos,
                _ => turns.push(Turn {
                    role,
                    first: pos,
                    last: pos,
                }),
            }
            let role_confidence = u.extra.get("role_confidence").and_then(|v| v.as_f64());
            utterances.push(UtteranceView {
                source_index: i,
                role,
                start_ms: u.start_ms,
                end_ms: u.end_ms,
                text,
                hits,
                regex_matched,
                spoken: Default::default(),
                turn: turns.len() - 1,
                confidence: u.confidence,
                role_confidence,
            });
        }
        let timed = transcript.has_timestamps();
        let duration_ms = if timed {
            utterances
                .iter()
                .filter_map(|u| u.end_ms)
                .max()
                .unwrap_or(0)
        } else {
            0
        };
        CallView {
            transcript,
            utterances,
            turns,
            timed,
            duration_ms,
        }
    }

    fn find_hits(&self, text: &AnalyzedText, role: Role) -> Vec<PhraseHit> {
        let mut hits: Vec<PhraseHit> = Vec::new();
        let role_bit = match role {
            Role::Agent => role_mask(RoleScope::Agent),
            Role::Customer => role_mask(RoleScope::Customer),
            // No condition reads another party's words.
            Role::Other => return hits,
        };
        for m in self
            .text_matcher
            .automaton
            .find_overlapping_iter(text.match_text.as_bytes())
        {
            let start = text.char_at_byte(m.start());
            let end = text.char_at_byte(m.end());
            if text.match_char_bytes[start] as usize != m.start()
                || text.match_char_bytes[end] as usize != m.end()
            {
                continue;
            }
            let aligned = text.boundary[start] && text.boundary[end];
            for &(set, phrase) in &self.text_matcher.owners[m.pattern().as_usize()] {
                let info = &self.sets[set as usize];
                if !fits_boundary(info.boundary, aligned, text, start, end) {
                    continue;
                }
                hits.push(PhraseHit {
                    set,
                    phrase,
                    start: start as u32,
                    end: end as u32,
                    homophone: false,
                });
            }
        }
        // Hits listed by start position (`first_at` → `next_at` chain): a
        // homophone hit the written-word pass already has is found among the
        // few hits that start where it does. Scanning every hit was
        // quadratic on long utterances, and hashing them all cost more than
        // the rest of the pass.
        let mut first_at: Vec<u32> = vec![u32::MAX; text.len() + 1];
        let mut next_at: Vec<u32> = Vec::with_capacity(hits.len());
        for (i, h) in hits.iter().enumerate() {
            next_at.push(first_at[h.start as usize]);
            first_at[h.start as usize] = i as u32;
        }
        for (matcher, codes) in [
            (&self.exact_matcher, &text.pinyin_exact),
            (&self.fuzzy_matcher, &text.pinyin_fuzzy),
        ] {
            let Some(matcher) = matcher else { continue };
            for m in matcher.automaton.find_overlapping_iter(codes.as_slice()) {
                if m.start() % 2 != 0 {
                    continue;
                }
                let (start, end) = (m.start() / 2, m.end() / 2);
                let aligned = (text.boundary[start] && text.boundary[end])
                    || (text.boundary[start] && !self.inside_known_word(text, end))
                    || (text.boundary[end] && !self.inside_known_word(text, start));
                for &(set, phrase) in &matcher.owners[m.pattern().as_usize()] {
                    let info = &self.sets[set as usize];
                    if !fits_boundary(info.boundary, aligned, text, start, end) {
                        continue;
                    }
                    let mut same = first_at[start];
                    while same != u32::MAX {
                        let h = &hits[same as usize];
                        if h.set == set && h.end == end as u32 {
                            break;
                        }
                        same = next_at[same as usize];
                    }
                    if same == u32::MAX {
                        next_at.push(first_at[start]);
                        first_at[start] = hits.len() as u32;
                        hits.push(PhraseHit {
                            set,
                            phrase,
                            start: start as u32,
                            end: end as u32,
                            homophone: text.slice(start, end) != self.phrases[phrase as usize],
                        });
                    }
                }
            }
        }
        let pattern_hits = if self.patterns.is_empty() {
            Vec::new()
        } else {
            self.pattern_hits(text, &hits, role_bit)
        };
        hits.retain(|h| {
            let info = &self.sets[h.set as usize];
            info.kind == SetKind::Phrases
                && self.set_roles[h.set as usize] & role_bit != 0
                && match info.negation {
                    NegationMode::Ignore => true,
                    NegationMode::Exclude => !self.is_negated(text, h),
                    NegationMode::Only => self.is_negated(text, h),
                }
        });
        hits.extend(pattern_hits);
        // Within a set, a hit inside a longer overlapping hit is the same mention.
        hits.sort_by_key(|h| (h.set, h.start, std::cmp::Reverse(h.end)));
        let mut kept: Vec<PhraseHit> = Vec::with_capacity(hits.len());
        // The longest kept hit of the current set: a kept hit that starts
        // further back than that cannot reach `h`, so the look-back stops
        // there (scanning the whole set was quadratic on repetitive text).
        let mut longest = 0u32;
        for h in hits {
            if kept.last().is_none_or(|k: &PhraseHit| k.set != h.set) {
                longest = 0;
            }
            let covered = kept
                .iter()
                .rev()
                .take_while(|k| k.set == h.set && k.start + longest > h.start)
                .any(|k| {
                    k.start < h.end && h.start < k.end && (k.end - k.start) >= (h.end - h.start)
                });
            if !covered {
                longest = longest.max(h.end - h.start);
                kept.push(h);
            }
        }
        kept.sort_by_key(|h| (h.start, h.end, h.set));
        kept
    }

    /// True when match-text position `pos` cuts through a multi-character
    /// dictionary word: a homophone hit ending there would split a real word
    /// (投保前 is not 抱歉), while ASR garble (制电联讯) segments into unknown
    /// pieces that a homophone may cut.
    fn inside_known_word(&self, text: &AnalyzedText, pos: usize) -> bool {
        if pos == 0 || pos >= text.len() || text.boundary[pos] {
            return false;
        }
        let start = (0..pos).rev().find(|&i| text.boundary[i]).unwrap_or(0);
        let end = (pos + 1..=text.len())
            .find(|&i| text.boundary[i])
            .unwrap_or(text.len());
        let token = text.slice(start, end);
        token.chars().count() > 1 && self.segmenter.is_known_word(token)
    }

    /// Every pattern's matches, found over the raw phrase hits (before
    /// negation and overlap filtering: patterns apply their own).
    fn pattern_hits(&self, text: &AnalyzedText, raw: &[PhraseHit], role_bit: u8) -> Vec<PhraseHit> {
        let wanted: Vec<&CompiledPattern> = self
            .patterns
            .iter()
            .filter(|p| self.set_roles[p.set as usize] & role_bit != 0)
            .collect();
        if wanted.is_empty() {
            return Vec::new();
        }
        let mut sorted = raw.to_vec();
        sorted.sort_by_key(|h| (h.start, h.end, h.set));
        let mut sets_present = vec![false; self.sets.len()];
        for h in &sorted {
            sets_present[h.set as usize] = true;
        }
        let mut times: Vec<TimeSpan> = if wanted.iter().any(|p| p.uses_time) {
            let chars: Vec<char> = text.match_text.chars().collect();
            crate::promises::timexpr::find(&chars)
                .into_iter()
                .map(|t| TimeSpan {
                    start: t.start,
                    end: t.end,
                    specific: !matches!(t.spec, crate::promises::timexpr::Spec::LaterToday),
                })
                .collect()
        } else {
            Vec::new()
        };
        times.sort_by_key(|t| (t.start, t.end));
        let negated_before = |start: usize| self.cue_before(text, start);
        let is_cue = |start: usize, end: usize| self.is_cue(text.slice(start, end));
        let subject = Subject {
            text,
            hits: &sorted,
            times: &times,
            sets_present: &sets_present,
            negated_before: &negated_before,
            is_cue: &is_cue,
        };
        let mut out = Vec::new();
        for p in wanted {
            for m in p.find(&subject) {
                out.push(PhraseHit {
                    set: p.set,
                    phrase: u32::MAX,
                    start: m.start as u32,
                    end: m.end as u32,
                    homophone: m.homophone,
                });
            }
        }
        out
    }

    /// A negation cue: one of the rubric's cues, or a short word made of
    /// one (不太, 没法子).
    fn is_cue(&self, token: &str) -> bool {
        self.negation_cues.contains(token)
            || self.negation_cues.iter().any(|c| {
                token.ends_with(c.as_str())
                    && token.chars().count() <= c.chars().count() + 1
                    && token.starts_with(['不', '没', '别', '未'])
            })
    }

    /// A negation cue token within `negation_scope` tokens before the hit, in
    /// the same clause.
    fn is_negated(&self, text: &AnalyzedText, hit: &PhraseHit) -> bool {
        self.cue_before(text, hit.start as usize)
    }

    /// A negation cue token within `negation_scope` tokens before
    /// match-text position `start`, in the same clause.
    fn cue_before(&self, text: &AnalyzedText, start: usize) -> bool {
        if start == 0 {
            return false;
        }
        let clause = text.clause_of[start];
        // Token starts before the hit, nearest first.
        let mut token_end = start;
        let mut tokens_seen = 0;
        let mut i = start;
        while i > 0 && tokens_seen < self.negation_scope {
            i -= 1;
            if text.clause_of[i] != clause {
                break;
            }
            if text.boundary[i] {
                if self.is_cue(text.slice(i, token_end)) {
                    return true;
                }
                tokens_seen += 1;
                token_end = i;
            }
        }
        false
    }

    pub fn regex(&self, index: usize) -> &Regex {
        &self.regexes[index]
    }

    /// Whether regex `index` matches utterance `u` (cached per utterance).
    pub fn regex_matches(&self, u: &UtteranceView, index: usize) -> bool {
        *u.regex_matched[index].get_or_init(|| self.regexes[index].is_match(&u.text.normalized))
    }
}

impl std::fmt::Debug for CompiledRubric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledRubric")
            .field("id", &self.id())
            .field("origin", &self.source.origin)
            .field("items", &self.items.len())
            .field("sets", &self.sets.len())
            .finish()
    }
}

/// Characters of `form` that are not sentence or aspect particles (了, 啦,
/// 吧, 呢, 吗 …): what a homophone match of the phrase would rest on.
fn meaningful_syllables(form: &str) -> usize {
    const PARTICLES: &[char] = &['了', '啦', '吧', '呢', '吗', '嘛', '啊', '呀', '哦', '的', '哈'];
    form.chars().filter(|c| !PARTICLES.contains(c)).count()
}
