#![doc = include_str!("pattern.md")]

use crate::rubric::schema::NegationMode;

/// The reference of the pattern language (this module's documentation),
/// printed by `callqa explain --patterns`.
pub const REFERENCE: &str = include_str!("pattern.md");

/// Quantifiers never repeat a position more than this: it keeps the search
/// bounded and a pattern readable.
pub const MAX_REPEAT: u8 = 10;

/// Word classes by readable name → jieba tag prefixes.
pub const WORD_CLASSES: &[(&str, &[&str])] = &[
    ("verb", &["v"]),
    ("noun", &["n"]),
    ("name", &["nr"]),
    ("place", &["ns"]),
    ("organization", &["nt"]),
    ("time_word", &["t"]),
    ("numeral", &["m"]),
    ("measure", &["q"]),
    ("pronoun", &["r"]),
    ("adverb", &["d"]),
    ("adjective", &["a"]),
    ("preposition", &["p"]),
    ("conjunction", &["c"]),
    ("particle", &["u", "y", "e"]),
];

/// One position of a parsed pattern, as written (names not yet resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AtomSpec {
    Set(String),
    Literals(Vec<String>),
    /// jieba tag prefixes.
    Class(Vec<String>),
    Time {
        specific: bool,
    },
    AnyWord,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementSpec {
    pub atom: AtomSpec,
    pub min: u8,
    pub max: u8,
    /// Byte offset of the position in the pattern text (for error messages).
    pub offset: usize,
}

/// A pattern that does not parse: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternSyntaxError {
    pub offset: usize,
    pub message: String,
}

fn err(offset: usize, message: impl Into<String>) -> PatternSyntaxError {
    PatternSyntaxError {
        offset,
        message: message.into(),
    }
}

/// Parses one pattern sequence into plain data.
pub fn parse(src: &str) -> Result<Vec<ElementSpec>, PatternSyntaxError> {
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|(_, c)| *c);
    let offset = |i: usize| chars.get(i).map(|(o, _)| *o).unwrap_or(src.len());
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        if c.is_whitespace() || c == '·' {
            i += 1;
            continue;
        }
        let start = i;
        let atom = match c {
            '(' => {
                let close = (i + 1..chars.len())
                    .find(|&j| chars[j].1 == ')')
                    .ok_or_else(|| err(offset(i), "`(` without a closing `)`"))?;
                let inner: String = chars[i + 1..close].iter().map(|(_, c)| c).collect();
                let words: Vec<String> = inner
                    .split('|')
                    .map(|w| w.trim().to_string())
                    .collect();
                if words.iter().any(|w| w.is_empty()) {
                    return Err(err(
                        offset(i),
                        "empty word in `( | )`: write the words between the bars, e.g. `(给您|为您)`",
                    ));
                }
                if let Some(w) = words.iter().find(|w| w.chars().any(char::is_whitespace)) {
                    return Err(err(
                        offset(i),
                        format!("`{w}`: a word in `( | )` cannot contain spaces"),
                    ));
                }
                i = close + 1;
                AtomSpec::Literals(words)
            }
            '<' => {
                let close = (i + 1..chars.len())
                    .find(|&j| chars[j].1 == '>')
                    .ok_or_else(|| err(offset(i), "`<` without a closing `>`"))?;
                let name: String = chars[i + 1..close].iter().map(|(_, c)| c).collect();
                let name = name.trim();
                i = close + 1;
                match name {
                    "time" => AtomSpec::Time { specific: false },
                    "deadline" => AtomSpec::Time { specific: true },
                    _ => {
                        if let Some((_, tags)) = WORD_CLASSES.iter().find(|(n, _)| *n == name) {
                            AtomSpec::Class(tags.iter().map(|t| t.to_string()).collect())
                        } else if (1..=3).contains(&name.len())
                            && name.bytes().all(|b| b.is_ascii_lowercase())
                        {
                            AtomSpec::Class(vec![name.to_string()])
                        } else {
                            let known: Vec<&str> = WORD_CLASSES.iter().map(|(n, _)| *n).collect();
                            return Err(err(
                                offset(start),
                                format!(
                                    "unknown word class `<{name}>`; use <time>, <deadline>, one of <{}>, or a jieba tag such as <v>",
                                    known.join(">, <")
                                ),
                            ));
                        }
                    }
                }
            }
            '_' if !at(i + 1).is_some_and(is_name_char) => {
                i += 1;
                AtomSpec::AnyWord
            }
            c if is_name_char(c) => {
                let mut j = i;
                while j < chars.len() && is_name_char(chars[j].1) {
                    j += 1;
                }
                let name: String = chars[i..j].iter().map(|(_, c)| c).collect();
                i = j;
                if name.chars().any(|c| !c.is_ascii()) {
                    return Err(err(
                        offset(start),
                        format!(
                            "`{name}`: write words in parentheses — `({name})` — and phrase-set names in ASCII"
                        ),
                    ));
                }
                AtomSpec::Set(name)
            }
            other => {
                return Err(err(
                    offset(i),
                    format!("unexpected `{other}`: a position is a phrase-set name, `(words|…)`, `<class>` or `_`"),
                ))
            }
        };
        let (min, max) = match at(i) {
            Some('?') => {
                i += 1;
                (0, 1)
            }
            Some('*') => {
                i += 1;
                (0, MAX_REPEAT)
            }
            Some('+') => {
                i += 1;
                (1, MAX_REPEAT)
            }
            Some('{') => {
                let close = (i + 1..chars.len())
                    .find(|&j| chars[j].1 == '}')
                    .ok_or_else(|| err(offset(i), "`{` without a closing `}`"))?;
                let inner: String = chars[i + 1..close].iter().map(|(_, c)| c).collect();
                let bad = || {
                    err(
                        offset(i),
                        format!(
                            "`{{{inner}}}`: write `{{n}}` or `{{m,n}}` with n at most {MAX_REPEAT}"
                        ),
                    )
                };
                let mut parts = inner.split(',').map(str::trim);
                let lo: u8 = parts.next().unwrap_or("").parse().map_err(|_| bad())?;
                let hi: u8 = match parts.next() {
                    Some(h) => h.parse().map_err(|_| bad())?,
                    None => lo,
                };
                if parts.next().is_some() || hi < lo || hi == 0 || hi > MAX_REPEAT {
                    return Err(bad());
                }
                i = close + 1;
                (lo, hi)
            }
            _ => (1, 1),
        };
        out.push(ElementSpec {
            atom,
            min,
            max,
            offset: offset(start),
        });
    }
    if out.is_empty() {
        return Err(err(0, "empty pattern"));
    }
    if out.iter().all(|e| e.min == 0) {
        return Err(err(
            0,
            "every position is optional, so the pattern would match nothing at all",
        ));
    }
    if matches!(out.first().map(|e| &e.atom), Some(AtomSpec::AnyWord))
        || matches!(out.last().map(|e| &e.atom), Some(AtomSpec::AnyWord))
    {
        return Err(err(
            0,
            "a pattern cannot start or end with `_`: a gap only makes sense between two positions",
        ));
    }
    Ok(out)
}

/// Names are ASCII; Chinese characters are read as a name too, so that a
/// bare word (`处理` instead of `(处理)`) gets an error that says how to write it.
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A resolved position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Atom {
    /// Hits of this (compiled) phrase set.
    Set(u16),
    Class(Vec<[u8; 4]>),
    Time {
        specific: bool,
    },
    AnyWord,
}

#[derive(Debug, Clone)]
pub struct Element {
    pub atom: Atom,
    pub min: u8,
    pub max: u8,
}

/// One compiled pattern: alternative sequences over compiled sets.
#[derive(Debug, Clone)]
pub struct CompiledPattern {
    /// The pseudo phrase set its hits are reported under.
    pub set: u16,
    pub alternatives: Vec<Vec<Element>>,
    /// Per alternative: sets that must be hit for it to match at all (a
    /// cheap test before the search).
    pub required: Vec<Vec<u16>>,
    pub negation: NegationMode,
    /// Some position is a time expression (they are only looked for then).
    pub uses_time: bool,
}

/// A time expression in an utterance (match-text characters).
#[derive(Debug, Clone, Copy)]
pub struct TimeSpan {
    pub start: usize,
    pub end: usize,
    pub specific: bool,
}

/// What one utterance offers the patterns: its text, the raw phrase hits
/// (sorted by start), its time expressions, and negation tests.
pub struct Subject<'a> {
    pub text: &'a crate::text::AnalyzedText,
    pub hits: &'a [crate::rubric::compile::PhraseHit],
    /// Sorted by start.
    pub times: &'a [TimeSpan],
    /// Sets with at least one hit.
    pub sets_present: &'a [bool],
    /// A negation cue stands right before match-text position `start`.
    pub negated_before: &'a dyn Fn(usize) -> bool,
    /// The word `[start, end)` is a negation cue.
    pub is_cue: &'a dyn Fn(usize, usize) -> bool,
}

/// A match: range and whether a homophone (not the written word) was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatternMatch {
    pub start: usize,
    pub end: usize,
    pub homophone: bool,
}

/// Search steps allowed per start position; patterns with many gaps on
/// hostile input give up there instead of exploding.
const STEP_LIMIT: usize = 4096;

struct Search<'s, 'a> {
    subject: &'s Subject<'a>,
    elements: &'s [Element],
    start: usize,
    sentence: u16,
    negation: NegationMode,
    cue_before: bool,
    gaps: Vec<(usize, usize)>,
    homophone_depth: usize,
    steps: usize,
    best: Option<(usize, bool)>,
}

impl CompiledPattern {
    /// Every non-overlapping longest match in the utterance, left to right.
    pub fn find(&self, subject: &Subject) -> Vec<PatternMatch> {
        let text = subject.text;
        let n = text.len();
        let mut out: Vec<PatternMatch> = Vec::new();
        let live: Vec<usize> = (0..self.alternatives.len())
            .filter(|&a| {
                self.required[a]
                    .iter()
                    .all(|s| subject.sets_present[*s as usize])
            })
            .collect();
        if live.is_empty() || n == 0 {
            return out;
        }
        let mut pos = 0;
        while pos < n {
            let mut best: Option<(usize, bool)> = None;
            for &a in &live {
                if !can_start(subject, &self.alternatives[a], pos) {
                    continue;
                }
                let mut search = Search {
                    subject,
                    elements: &self.alternatives[a],
                    start: pos,
                    sentence: text.sentence_of[pos],
                    negation: self.negation,
                    cue_before: self.negation != NegationMode::Ignore
                        && (subject.negated_before)(pos),
                    gaps: Vec::new(),
                    homophone_depth: 0,
                    steps: 0,
                    best: None,
                };
                search.walk(0, 0, pos);
                if let Some((end, h)) = search.best {
                    if best.is_none_or(|(e, _)| end > e) {
                        best = Some((end, h));
                    }
                }
            }
            match best {
                Some((end, homophone)) => {
                    out.push(PatternMatch {
                        start: pos,
                        end,
                        homophone,
                    });
                    pos = end;
                }
                None => pos += 1,
            }
        }
        out
    }
}

/// The time expressions starting at `pos` (`times` sorted by start): a
/// binary search, as a scan per position made long utterances quadratic.
fn times_at(times: &[TimeSpan], pos: usize) -> &[TimeSpan] {
    let from = times.partition_point(|t| t.start < pos);
    let to = from + times[from..].partition_point(|t| t.start == pos);
    &times[from..to]
}

/// Whether some leading position of `elements` has a span starting at
/// `pos`: a cheap test that spares the search at most positions.
fn can_start(subject: &Subject, elements: &[Element], pos: usize) -> bool {
    for element in elements {
        let starts = match &element.atom {
            Atom::Set(set) => {
                let hits = subject.hits;
                let from = hits.partition_point(|h| (h.start as usize) < pos);
                hits[from..]
                    .iter()
                    .take_while(|h| h.start as usize == pos)
                    .any(|h| h.set == *set)
            }
            Atom::Class(_) => {
                let words = &subject.text.words;
                let from = words.partition_point(|w| (w.start as usize) < pos);
                words.get(from).is_some_and(|w| w.start as usize == pos)
            }
            Atom::Time { .. } => !times_at(subject.times, pos).is_empty(),
            Atom::AnyWord => true,
        };
        if starts {
            return true;
        }
        if element.min > 0 {
            return false;
        }
    }
    false
}

impl Search<'_, '_> {
    fn walk(&mut self, k: usize, reps: u8, pos: usize) {
        self.steps += 1;
        if self.steps > STEP_LIMIT {
            return;
        }
        if k == self.elements.len() {
            if pos > self.start && self.accept() && self.best.is_none_or(|(e, _)| pos > e) {
                self.best = Some((pos, self.homophone_depth > 0));
            }
            return;
        }
        let element = &self.elements[k];
        if reps < element.max {
            let spans = self.spans(&element.atom, pos);
            for (end, homophone) in spans {
                let gap = element.atom == Atom::AnyWord;
                if gap {
                    self.gaps.push((pos, end));
                }
                if homophone {
                    self.homophone_depth += 1;
                }
                self.walk(k, reps + 1, end);
                if homophone {
                    self.homophone_depth -= 1;
                }
                if gap {
                    self.gaps.pop();
                }
            }
        }
        if reps >= element.min {
            self.walk(k + 1, 0, pos);
        }
    }

    fn accept(&self) -> bool {
        let negated =
            || self.cue_before || self.gaps.iter().any(|&(s, e)| (self.subject.is_cue)(s, e));
        match self.negation {
            NegationMode::Ignore => true,
            NegationMode::Exclude => !negated(),
            NegationMode::Only => negated(),
        }
    }

    /// Where `atom` can end when it starts at `pos` (within the sentence).
    fn spans(&self, atom: &Atom, pos: usize) -> Vec<(usize, bool)> {
        let text = self.subject.text;
        let n = text.len();
        if pos >= n || text.sentence_of[pos] != self.sentence {
            return Vec::new();
        }
        let same_sentence = |end: usize| end <= n && text.sentence_of[end - 1] == self.sentence;
        let mut out = Vec::new();
        match atom {
            Atom::Set(set) => {
                let hits = self.subject.hits;
                let from = hits.partition_point(|h| (h.start as usize) < pos);
                for h in hits[from..].iter().take_while(|h| h.start as usize == pos) {
                    if h.set == *set && same_sentence(h.end as usize) {
                        out.push((h.end as usize, h.homophone));
                    }
                }
            }
            Atom::Class(tags) => {
                let words = &text.words;
                let from = words.partition_point(|w| (w.start as usize) < pos);
                for w in words[from..].iter().take_while(|w| w.start as usize == pos) {
                    let tag = w.tag();
                    let fits = tags.iter().any(|t| {
                        let n = t.iter().position(|b| *b == 0).unwrap_or(4);
                        tag.as_bytes().starts_with(&t[..n])
                    });
                    if fits && same_sentence(w.end as usize) {
                        out.push((w.end as usize, false));
                    }
                }
            }
            Atom::Time { specific } => {
                for t in times_at(self.subject.times, pos) {
                    if (t.specific || !specific) && same_sentence(t.end) {
                        out.push((t.end, false));
                    }
                }
            }
            Atom::AnyWord => {
                let end = (pos + 1..=n).find(|&j| text.boundary[j]).unwrap_or(n);
                if same_sentence(end) {
                    out.push((end, false));
                }
                // A gap may also stop where a hit starts inside a word, so a
                // character-boundary set (科 in 信息科) or a homophone that cuts
                // an ASR-garbled word can follow it.
                let hits = self.subject.hits;
                let from = hits.partition_point(|h| (h.start as usize) <= pos);
                for h in hits[from..].iter().take_while(|h| (h.start as usize) < end) {
                    if !out.iter().any(|(e, _)| *e == h.start as usize) {
                        out.push((h.start as usize, false));
                    }
                }
            }
        }
        // Longer first: the search keeps the longest match it sees first.
        out.sort_by(|a, b| b.0.cmp(&a.0));
        out.dedup_by_key(|s| s.0);
        out
    }
}

/// The readable name of a raw tag list (for `callqa explain` and errors).
pub fn class_name(tags: &[String]) -> String {
    WORD_CLASSES
        .iter()
        .find(|(_, t)| t.len() == tags.len() && t.iter().zip(tags).all(|(a, b)| a == b))
        .map(|(n, _)| n.to_string())
        .unwrap_or_else(|| tags.join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_positions_and_quantifiers() {
        let p = parse("self_reference (马上|已经)? beneficiary{0,1} <verb>+ _{0,3} <deadline>")
            .unwrap();
        assert_eq!(p.len(), 6);
        assert_eq!(p[0].atom, AtomSpec::Set("self_reference".into()));
        assert_eq!(
            p[1].atom,
            AtomSpec::Literals(vec!["马上".into(), "已经".into()])
        );
        assert_eq!((p[1].min, p[1].max), (0, 1));
        assert_eq!((p[2].min, p[2].max), (0, 1));
        assert_eq!(p[3].atom, AtomSpec::Class(vec!["v".into()]));
        assert_eq!((p[3].min, p[3].max), (1, MAX_REPEAT));
        assert_eq!(p[4].atom, AtomSpec::AnyWord);
        assert_eq!((p[4].min, p[4].max), (0, 3));
        assert_eq!(p[5].atom, AtomSpec::Time { specific: true });
        assert_eq!(parse("a · b").unwrap().len(), 2);
        assert_eq!(
            parse("<nr> (小)").unwrap()[0].atom,
            AtomSpec::Class(vec!["nr".into()])
        );
    }

    #[test]
    fn rejects_unreadable_patterns_with_a_position() {
        for (src, needle) in [
            ("(给您|为您", "closing `)`"),
            ("a (给您||为您)", "empty word"),
            ("<frobnicate>", "unknown word class"),
            ("a{11}", "at most 10"),
            ("a{3,1}", "at most 10"),
            ("a? b?", "optional"),
            ("_ a", "cannot start or end"),
            ("a 处理", "write words in parentheses"),
            ("a / b", "unexpected `/`"),
            ("", "empty pattern"),
        ] {
            let e = parse(src).unwrap_err();
            assert!(e.message.contains(needle), "{src}: {}", e.message);
        }
        assert_eq!(parse("a (给您||为您)").unwrap_err().offset, 2);
    }
}
