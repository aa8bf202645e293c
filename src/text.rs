//! The text stage: turns raw utterance text (ASR output, vendor transcripts,
//! chat logs) into the normalised, segmented form that rubric matchers run on.
//!
//! Normalisation is the same function for transcript text and for rubric
//! phrases, so whatever it does (Traditional→Simplified, full-width→half-width,
//! canonical punctuation, Chinese numerals before units → Arabic digits) can
//! never make a phrase miss its own text.
//!
//! An [`AnalyzedText`] keeps three aligned views of one utterance:
//! the normalised text (with punctuation, for regexes and clause scopes), the
//! *match text* (punctuation and spaces removed, so `喂，说话呀` and `喂说话呀`
//! are the same phrase), and per match-text character its jieba token
//! boundaries and pinyin codes.
//!
//! [`normalize_traced`] is the same normalisation keeping, per normalised
//! character, the raw characters it came from; it runs only for utterances
//! cited as evidence (`crate::evidence`), never on the scoring path.

use std::sync::OnceLock;

use jieba_rs::Jieba;
use pinyin::ToPinyin;

/// Normalises text: Traditional→Simplified, width, punctuation, case, emoji,
/// and Chinese numerals in front of units.
pub fn normalize(raw: &str) -> String {
    normalize_with(raw, &mut NoTrace).0
}

/// A normalised text and, for each of its characters, the characters of the
/// raw text it came from: what turns a hit in the normalised text back into
/// the words as said (see `crate::evidence`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Traced {
    /// Exactly [`normalize`]`(raw)`.
    pub normalized: String,
    /// Per character of `normalized`: the raw character range `[start, end)`
    /// it stands for. One raw character for most; a whole numeral run for
    /// each digit written for it (`二十四` → `2`, `4` both map to all three);
    /// the space a `，` was put in for.
    pub source: Vec<[u32; 2]>,
    /// The raw text with only the one-for-one steps applied (width folding,
    /// Traditional→Simplified): character `i` here is raw character `i`, so
    /// a segmenter run on it gives word boundaries in raw characters, with
    /// numerals still as written (`一个`, `两个`).
    pub simplified: String,
}

/// [`normalize`] that also records where each character came from. Costs a
/// vector per call, so the scoring hot path uses [`normalize`] and this runs
/// only for utterances cited as evidence. Both are the same code
/// ([`normalize_with`]); only the bookkeeping differs.
pub fn normalize_traced(raw: &str) -> Traced {
    let mut source: Vec<[u32; 2]> = Vec::new();
    let (normalized, simplified) = normalize_with(raw, &mut source);
    Traced {
        normalized,
        source,
        simplified,
    }
}

/// Bookkeeping of where the characters of a normalisation step's output came
/// from. `NoTrace` compiles to nothing, so [`normalize`] pays nothing for it.
trait Trace {
    /// Raw range of character `i` of the step's input.
    fn get(&self, i: usize) -> [u32; 2];
    /// The step wrote one character standing for raw range `r`.
    fn push(&mut self, r: [u32; 2]);
    /// The step took back its last character.
    fn pop(&mut self);
    /// A fresh, empty trace for the next step's output.
    fn fresh(&self) -> Self;
}

struct NoTrace;

impl Trace for NoTrace {
    #[inline(always)]
    fn get(&self, _: usize) -> [u32; 2] {
        [0, 0]
    }
    #[inline(always)]
    fn push(&mut self, _: [u32; 2]) {}
    #[inline(always)]
    fn pop(&mut self) {}
    #[inline(always)]
    fn fresh(&self) -> Self {
        NoTrace
    }
}

impl Trace for Vec<[u32; 2]> {
    fn get(&self, i: usize) -> [u32; 2] {
        self[i]
    }
    fn push(&mut self, r: [u32; 2]) {
        Vec::push(self, r)
    }
    fn pop(&mut self) {
        Vec::pop(self);
    }
    fn fresh(&self) -> Self {
        Vec::with_capacity(self.capacity().max(16))
    }
}

/// The one definition of normalisation. Returns the normalised text and the
/// one-for-one simplified form of the raw text (see [`Traced::simplified`]);
/// `trace` ends up holding the raw range of every normalised character.
fn normalize_with<T: Trace>(raw: &str, trace: &mut T) -> (String, String) {
    let mut halfwidth = String::with_capacity(raw.len());
    for c in raw.chars() {
        halfwidth.push(match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => {
                let ascii = char::from_u32(c as u32 - 0xFEE0).unwrap_or(c);
                // Keep full-width clause punctuation as the Chinese forms below.
                match ascii {
                    ',' => '，',
                    '?' => '？',
                    '!' => '！',
                    ';' => '；',
                    ':' => '：',
                    '(' => '（',
                    ')' => '）',
                    _ => ascii,
                }
            }
            _ => c,
        });
    }
    // fast2s writes exactly one character per input character, so up to here
    // character i is still raw character i.
    let simplified = fast2s::convert(&halfwidth);

    let chars: Vec<char> = simplified.chars().collect();
    let mut out = String::with_capacity(simplified.len());
    let mut marks = trace.fresh();
    let mut last_was_space = false;
    let mut space_at = 0u32;
    for (i, &c) in chars.iter().enumerate() {
        let at = [i as u32, i as u32 + 1];
        let prev = if i > 0 { chars[i - 1] } else { ' ' };
        let next = chars.get(i + 1).copied().unwrap_or(' ');
        let mapped = match c {
            ',' => Some('，'),
            '.' if prev.is_ascii_digit() && next.is_ascii_digit() => Some('.'),
            '.' | '｡' => Some('。'),
            '?' => Some('？'),
            '!' => Some('！'),
            ';' => Some('；'),
            ':' if prev.is_ascii_digit() && next.is_ascii_digit() => Some(':'),
            ':' => Some('：'),
            '…' | '⋯' => Some('…'),
            '～' => Some('~'),
            '“' | '”' | '「' | '」' | '『' | '』' | '"' => Some('"'),
            '‘' | '’' | '\'' => Some('\''),
            '\t' | '\n' | '\r' | '\u{a0}' => Some(' '),
            c if is_emoji(c) => None,
            c if c.is_ascii_uppercase() => Some(c.to_ascii_lowercase()),
            c => Some(c),
        };
        let Some(mapped) = mapped else { continue };
        if mapped == ' ' {
            // Whisper and chat exports put spaces between CJK runs; they carry
            // no meaning there, but keep one between Latin words.
            if last_was_space || out.is_empty() {
                continue;
            }
            last_was_space = true;
            space_at = i as u32;
            out.push(' ');
            marks.push(at);
            continue;
        }
        if last_was_space && (is_cjk(mapped) || is_cjk(out.chars().rev().nth(1).unwrap_or(' '))) {
            out.pop();
            marks.pop();
            // In ASR output a space between Chinese words is a pause: keep it
            // as a clause break so clause scopes still work without punctuation.
            let before = out.chars().last().unwrap_or(' ');
            if is_cjk(mapped) && is_cjk(before) {
                out.push('，');
                marks.push([space_at, space_at + 1]);
            }
        }
        last_was_space = false;
        out.push(mapped);
        marks.push(at);
    }
    if out.ends_with(' ') {
        out.pop();
        marks.pop();
    }
    // Collapse runs of the same ellipsis / clause mark.
    let mut collapsed = marks.fresh();
    let out = collapse_repeats(&out, &['。', '…', '，', '！', '？'], &marks, &mut collapsed);
    let normalized = numerals_with(&out, &collapsed, trace);
    (normalized, simplified)
}

fn collapse_repeats<T: Trace>(s: &str, marks: &[char], from: &T, to: &mut T) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev = '\0';
    for (i, c) in s.chars().enumerate() {
        if c == prev && marks.contains(&c) {
            continue;
        }
        out.push(c);
        to.push(from.get(i));
        prev = c;
    }
    out
}

pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0xF900..=0xFAFF)
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0xFE00..=0xFE0F | 0x200D | 0x2B00..=0x2BFF | 0xE0020..=0xE007F)
}

/// True for characters that are not content: punctuation, symbols, spaces.
pub fn is_punctuation(c: char) -> bool {
    if c.is_whitespace() {
        return true;
    }
    // `%` carries meaning (百分之百 → 100%), unlike other symbols.
    if c.is_alphanumeric() || c == '%' {
        return false;
    }
    !is_cjk(c)
}

/// Counts content characters (punctuation and spaces excluded): the unit of
/// talk ratio and speech rate.
pub fn content_chars(text: &str) -> usize {
    text.chars().filter(|c| !is_punctuation(*c)).count()
}

/// The digit a Chinese numeral character stands for (零〇一幺二两…九); the one
/// digit table, shared with spoken-number redaction.
pub fn numeral_value(c: char) -> Option<u64> {
    Some(match c {
        '零' | '〇' => 0,
        '一' | '幺' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

fn numeral_unit(c: char) -> Option<u64> {
    Some(match c {
        '十' => 10,
        '百' => 100,
        '千' => 1000,
        '万' => 10_000,
        _ => return None,
    })
}

fn is_numeral_char(c: char) -> bool {
    numeral_value(c).is_some() || numeral_unit(c).is_some()
}

/// Units after which a Chinese numeral is a quantity, time or amount.
/// Longest first so `点钟` wins over `点`.
const QUANTITY_UNITS: &[&str] = &[
    "个工作日",
    "个小时",
    "个月",
    "个星期",
    "个礼拜",
    "工作日",
    "小时",
    "分钟",
    "点钟",
    "星期",
    "礼拜",
    "钟头",
    "公里",
    "点",
    "个",
    "天",
    "日",
    "号",
    "秒",
    "元",
    "块",
    "毛",
    "角",
    "月",
    "年",
    "周",
    "次",
    "折",
    "倍",
    "遍",
    "岁",
    "台",
    "张",
    "件",
    "单",
    "期",
    "位",
    "层",
    "楼",
    "晚",
    "份",
    "趟",
    "米",
    "斤",
    "克",
    "户",
    "度",
    "分",
];

/// Parses a run of Chinese numeral characters: positional (二十四, 一百零五,
/// 一万二) or digit by digit (二七零五).
fn parse_chinese_number(run: &[char]) -> Option<u64> {
    if run.is_empty() {
        return None;
    }
    if run.iter().all(|c| numeral_value(*c).is_some()) {
        if run.len() == 1 {
            return numeral_value(run[0]);
        }
        let mut value: u64 = 0;
        for c in run {
            value = value.checked_mul(10)?.checked_add(numeral_value(*c)?)?;
        }
        return Some(value);
    }
    let mut total: u64 = 0;
    let mut section: u64 = 0;
    let mut digit: Option<u64> = None;
    for &c in run {
        if let Some(v) = numeral_value(c) {
            if digit.is_some() && v != 0 {
                return None; // two digits in a row in a positional number
            }
            digit = if v == 0 { None } else { Some(v) };
        } else if let Some(unit) = numeral_unit(c) {
            if unit == 10_000 {
                section += digit.take().unwrap_or(0);
                total += section.max(if section == 0 { 1 } else { 0 }) * unit;
                section = 0;
            } else {
                section += digit.take().unwrap_or(1) * unit;
            }
        }
    }
    Some(total + section + digit.unwrap_or(0))
}

/// Rewrites Chinese numerals that quantify something (`三个工作日`,
/// `下午五点`, `一百元`, `百分之五十`) as Arabic digits, leaving idioms such as
/// `一定`, `一下`, `十分` alone.
pub fn numerals_to_digits(text: &str) -> String {
    numerals_with(text, &NoTrace, &mut NoTrace)
}

/// [`numerals_to_digits`] with bookkeeping: every character written for a
/// numeral run (digits, and `%` for 百分之…) stands for the whole run.
fn numerals_with<T: Trace>(text: &str, from: &T, to: &mut T) -> String {
    let chars: Vec<char> = text.chars().collect();
    // Raw range of input characters [a, b).
    let span = |a: usize, b: usize| [from.get(a)[0], from.get(b - 1)[1]];
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '百' && chars.get(i + 1) == Some(&'分') && chars.get(i + 2) == Some(&'之')
        {
            let start = i + 3;
            let mut end = start;
            while end < chars.len() && is_numeral_char(chars[end]) {
                end += 1;
            }
            if let Some(v) = parse_chinese_number(&chars[start..end]) {
                let digits = v.to_string();
                let r = span(i, end);
                for _ in 0..digits.len() + 1 {
                    to.push(r);
                }
                out.push_str(&digits);
                out.push('%');
                i = end;
                continue;
            }
        }
        if is_numeral_char(chars[i]) {
            let start = i;
            let mut end = i;
            while end < chars.len() && is_numeral_char(chars[end]) {
                end += 1;
            }
            let run = &chars[start..end];
            let rest: String = chars[end..chars.len().min(end + 4)].iter().collect();
            let unit_follows = QUANTITY_UNITS.iter().any(|u| rest.starts_with(u));
            // 十分 (very), 万一 (in case), 一点 (a little) stay words.
            let idiom = (run == ['十'] && rest.starts_with('分') && !rest.starts_with("分钟"))
                || (run.len() == 1 && run[0] == '万')
                || (run == ['一']
                    && (rest.starts_with("点")
                        && !chars
                            .get(end + 1)
                            .is_some_and(|c| *c == '钟' || *c == '半' || is_numeral_char(*c))))
                || (run == ['一'] && rest.starts_with('次') && chars.get(end + 1) == Some(&'性'));
            if unit_follows && !idiom {
                if let Some(v) = parse_chinese_number(run) {
                    let digits = v.to_string();
                    let r = span(start, end);
                    for _ in 0..digits.len() {
                        to.push(r);
                    }
                    out.push_str(&digits);
                    i = end;
                    continue;
                }
            }
            out.extend(run.iter());
            for k in start..end {
                to.push(from.get(k));
            }
            i = end;
            continue;
        }
        out.push(chars[i]);
        to.push(from.get(i));
        i += 1;
    }
    out
}

/// Strips punctuation and spaces: the form phrases are matched in.
pub fn match_form(normalized: &str) -> String {
    normalized
        .chars()
        .filter(|c| !is_punctuation(*c))
        .map(fold_for_matching)
        .collect()
}

/// Characters that ASR and writers use interchangeably, folded for phrase
/// matching only: whisper writes 你 for 您 about half the time.
pub fn fold_for_matching(c: char) -> char {
    match c {
        '您' | '妳' => '你',
        // 著 survives Traditional→Simplified (著名), but in speech it is 着.
        '著' => '着',
        _ => c,
    }
}

/// One utterance's text in the forms the matchers need.
#[derive(Debug, Clone)]
pub struct AnalyzedText {
    /// Normalised text with punctuation (regexes, clause scopes).
    pub normalized: String,
    /// Byte offset in `normalized` of each character, plus the end.
    pub normalized_char_bytes: Vec<u32>,
    /// Normalised text without punctuation (phrase matching).
    pub match_text: String,
    /// Byte offset in `match_text` of each character, plus the end.
    pub match_char_bytes: Vec<u32>,
    /// For each match-text character index: its character index in `normalized`.
    pub match_to_normalized: Vec<u32>,
    /// `boundary[i]`: a jieba token starts (or ends) right before match-text char `i`.
    pub boundary: Vec<bool>,
    /// Pinyin codes per match-text char, two bytes each (see [`pinyin_code`]).
    pub pinyin_exact: Vec<u8>,
    pub pinyin_fuzzy: Vec<u8>,
    /// Sentence index (split at 。！？；) of each match-text char.
    pub sentence_of: Vec<u16>,
    /// Clause index (split at any punctuation) of each match-text char.
    pub clause_of: Vec<u16>,
    /// Number of content characters.
    pub content_chars: usize,
    /// jieba's words with their part-of-speech tags, in match-text
    /// characters; empty unless the segmenter was asked to tag (a rubric
    /// whose token patterns name word classes).
    pub words: Vec<TaggedWord>,
}

/// One jieba word of the match text and its part-of-speech tag (jieba's
/// ICTCLAS-style tags: `v` verb, `n` noun, `t` time word, `m` numeral, `r`
/// pronoun, `d` adverb …), ASCII, padded with zero bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaggedWord {
    pub start: u32,
    pub end: u32,
    pub tag: [u8; 4],
}

impl TaggedWord {
    pub fn tag(&self) -> &str {
        let n = self.tag.iter().position(|b| *b == 0).unwrap_or(4);
        std::str::from_utf8(&self.tag[..n]).unwrap_or("x")
    }
}

fn tag_code(tag: &str) -> [u8; 4] {
    let mut code = [0u8; 4];
    for (slot, b) in code.iter_mut().zip(tag.bytes().filter(u8::is_ascii)) {
        *slot = b;
    }
    code
}

/// The segmenter, built once from jieba's dictionary plus the rubric's
/// domain dictionaries, and shared read-only by all workers.
pub struct Segmenter {
    jieba: Jieba,
    hmm: bool,
    /// Also tag words with their part of speech (costs a dictionary lookup
    /// per word, so only rubrics that use word classes turn it on).
    tagging: bool,
}

impl Segmenter {
    /// `dictionaries`: jieba user-dictionary texts (`word [freq] [tag]` per line).
    pub fn new(dictionaries: &[(String, String)]) -> Result<Segmenter, DictionaryError> {
        let mut jieba = Jieba::new();
        for (origin, text) in dictionaries {
            for (line_no, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let mut parts = line.split_whitespace();
                let word = parts.next().unwrap_or_default();
                let freq = match parts.next() {
                    Some(f) => Some(f.parse::<usize>().map_err(|_| DictionaryError {
                        origin: origin.clone(),
                        line: line_no + 1,
                        message: format!(
                            "frequency `{f}` is not a whole number (format: `word [freq] [tag]`)"
                        ),
                    })?),
                    None => None,
                };
                let tag = parts.next();
                jieba.add_word(&normalize(word), freq, tag);
            }
        }
        Ok(Segmenter {
            jieba,
            hmm: false,
            tagging: false,
        })
    }

    /// Turns part-of-speech tagging on or off for [`Segmenter::analyze`].
    pub fn set_tagging(&mut self, on: bool) {
        self.tagging = on;
    }

    /// True when `word` is in jieba's dictionary (or a domain dictionary).
    pub fn is_known_word(&self, word: &str) -> bool {
        self.jieba.has_word(word) || self.jieba.has_word(&word.replace('你', "您"))
    }

    /// Character ranges `[start, end)` of the tokens of `normalized`.
    pub fn token_ranges(&self, normalized: &str) -> Vec<(usize, usize)> {
        self.jieba
            .cut(normalized, self.hmm)
            .into_iter()
            .map(|t| (t.start, t.end))
            .collect()
    }

    /// Segments a normalised text into words (punctuation dropped).
    pub fn words<'a>(&self, normalized: &'a str) -> Vec<&'a str> {
        self.jieba
            .cut(normalized, self.hmm)
            .into_iter()
            .map(|t| t.word)
            .filter(|w| !w.chars().all(is_punctuation))
            .collect()
    }

    /// Word boundaries of `text` (any text, not only normalised): entry `i`
    /// of the result (`0..=` character count) is true when no word runs
    /// across the point before character `i`. Words are cut the way
    /// [`Segmenter::analyze`] cuts them (a pronoun jieba glues onto a verb
    /// is a word of its own).
    pub fn word_boundaries(&self, text: &str) -> Vec<bool> {
        let chars: Vec<char> = text.chars().collect();
        let mut at = vec![false; chars.len() + 1];
        at[0] = true;
        at[chars.len()] = true;
        for (start, end) in self.token_ranges(text) {
            at[start] = true;
            at[end] = true;
            if pronoun_glued(&chars[start..end]) {
                at[end - 1] = true;
            }
        }
        at
    }

    /// Normalises, segments and encodes one utterance.
    pub fn analyze(&self, raw: &str) -> AnalyzedText {
        let normalized = normalize(raw);
        self.analyze_normalized(normalized)
    }

    pub fn analyze_normalized(&self, normalized: String) -> AnalyzedText {
        let norm_chars: Vec<char> = normalized.chars().collect();
        let mut normalized_char_bytes: Vec<u32> =
            normalized.char_indices().map(|(b, _)| b as u32).collect();
        normalized_char_bytes.push(normalized.len() as u32);
        let mut token_start = vec![false; norm_chars.len() + 1];
        // (start, end, tag) in normalised characters, when tagging.
        let mut tagged: Vec<(usize, usize, [u8; 4])> = Vec::new();
        let mut mark = |start: usize, end: usize, tag: Option<&str>| {
            token_start[start] = true;
            token_start[end] = true;
            let split = pronoun_glued(&norm_chars[start..end]);
            if split {
                token_start[end - 1] = true;
            }
            if let Some(tag) = tag {
                if split {
                    tagged.push((start, end - 1, tag_code(tag)));
                    tagged.push((end - 1, end, tag_code("r")));
                } else {
                    tagged.push((start, end, tag_code(tag)));
                }
            }
        };
        if self.tagging {
            for t in self.jieba.tag(&normalized, self.hmm) {
                mark(t.start, t.end, Some(t.tag));
            }
        } else {
            for (start, end) in self.token_ranges(&normalized) {
                mark(start, end, None);
            }
        }
        let n_guess = norm_chars.len();
        let mut match_text = String::with_capacity(normalized.len());
        let mut match_char_bytes = Vec::with_capacity(n_guess + 1);
        let mut match_to_normalized = Vec::with_capacity(n_guess);
        let mut boundary = Vec::with_capacity(n_guess + 1);
        let mut pinyin_exact = Vec::with_capacity(n_guess * 2);
        let mut pinyin_fuzzy = Vec::with_capacity(n_guess * 2);
        let mut sentence_of = Vec::with_capacity(n_guess);
        let mut clause_of = Vec::with_capacity(n_guess);
        let (mut sentence, mut clause) = (0u16, 0u16);
        let mut pending_boundary = true;
        for (i, &c) in norm_chars.iter().enumerate() {
            if token_start[i] {
                pending_boundary = true;
            }
            if is_punctuation(c) {
                pending_boundary = true;
                clause = clause.saturating_add(1);
                if matches!(c, '。' | '！' | '？' | '；' | '…') {
                    sentence = sentence.saturating_add(1);
                }
                continue;
            }
            let c = fold_for_matching(c);
            match_char_bytes.push(match_text.len() as u32);
            match_text.push(c);
            match_to_normalized.push(i as u32);
            boundary.push(pending_boundary);
            pending_boundary = false;
            let (exact, fuzzy) = pinyin_code(c);
            pinyin_exact.extend_from_slice(&exact);
            pinyin_fuzzy.extend_from_slice(&fuzzy);
            sentence_of.push(sentence);
            clause_of.push(clause);
        }
        match_char_bytes.push(match_text.len() as u32);
        boundary.push(true);
        let content_chars = match_to_normalized.len();
        let words = if tagged.is_empty() {
            Vec::new()
        } else {
            // Normalised character index → match-text index of the next content character.
            let mut to_match = vec![content_chars as u32; norm_chars.len() + 1];
            for (m, &n) in match_to_normalized.iter().enumerate().rev() {
                to_match[n as usize] = m as u32;
            }
            for n in (0..norm_chars.len()).rev() {
                if !is_punctuation(norm_chars[n]) {
                    continue;
                }
                to_match[n] = to_match[n + 1];
            }
            tagged
                .iter()
                .map(|&(s, e, tag)| TaggedWord {
                    start: to_match[s],
                    end: to_match[e],
                    tag,
                })
                .filter(|w| w.end > w.start)
                .collect()
        };
        AnalyzedText {
            normalized,
            normalized_char_bytes,
            match_text,
            match_char_bytes,
            match_to_normalized,
            boundary,
            pinyin_exact,
            pinyin_fuzzy,
            sentence_of,
            clause_of,
            content_chars,
            words,
        }
    }
}

/// jieba glues the object pronoun onto verbs (谢谢您, 帮您, 给您): such a
/// token is split before the pronoun so 谢谢 and 帮 still end on a boundary.
fn pronoun_glued(token: &[char]) -> bool {
    token.len() >= 2 && matches!(token[token.len() - 1], '您' | '你')
}

/// A segmenter with jieba's own dictionary only, built on first use and
/// shared: for word boundaries where no rubric's segmenter is at hand (the
/// quotes of evidence).
pub fn plain_segmenter() -> &'static Segmenter {
    static PLAIN: OnceLock<Segmenter> = OnceLock::new();
    PLAIN.get_or_init(|| Segmenter {
        jieba: Jieba::new(),
        hmm: false,
        tagging: false,
    })
}

/// A user dictionary line that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{origin}:{line}: {message}")]
pub struct DictionaryError {
    pub origin: String,
    pub line: usize,
    pub message: String,
}

impl AnalyzedText {
    /// Number of match-text characters.
    pub fn len(&self) -> usize {
        self.match_to_normalized.len()
    }

    pub fn is_empty(&self) -> bool {
        self.match_to_normalized.is_empty()
    }

    /// Match-text character index of a byte offset in `match_text`.
    pub fn char_at_byte(&self, byte: usize) -> usize {
        self.match_char_bytes
            .binary_search(&(byte as u32))
            .unwrap_or_else(|insert| insert.saturating_sub(1))
    }

    /// The match text of characters `[start, end)`.
    pub fn slice(&self, start: usize, end: usize) -> &str {
        let a = self.match_char_bytes[start] as usize;
        let b = self.match_char_bytes[end] as usize;
        &self.match_text[a..b]
    }

    /// Byte range in `normalized` covering match-text chars `[start, end)`.
    pub fn normalized_byte_range(&self, start: usize, end: usize) -> (usize, usize) {
        let first = self.match_to_normalized[start] as usize;
        let last = self.match_to_normalized[end - 1] as usize;
        (
            self.normalized_char_bytes[first] as usize,
            self.normalized_char_bytes[last + 1] as usize,
        )
    }

    /// Character index in `normalized` of a byte offset there.
    pub fn normalized_char_at_byte(&self, byte: usize) -> usize {
        self.normalized_char_bytes
            .partition_point(|&b| (b as usize) < byte)
    }
}

/// Toneless pinyin of a character as a two-byte code, exact and fuzzy.
///
/// Fuzzy codes merge the confusions typical of southern accents and of ASR on
/// telephone audio: zh/z, ch/c, sh/s, n/l, h(u)/f, and the -n/-ng finals.
/// Non-Chinese characters get a code of their own (first byte 0xFF), so they
/// only ever match themselves modulo a small hash.
pub fn pinyin_code(c: char) -> ([u8; 2], [u8; 2]) {
    let table = syllable_table();
    match c.to_pinyin() {
        Some(p) => {
            let plain = p.plain();
            let exact = table.id(plain);
            let fuzzy = table.id(&fuzzy_syllable(plain));
            (exact.to_be_bytes(), fuzzy.to_be_bytes())
        }
        None => {
            let code = [0xFF, (c as u32 % 251) as u8];
            (code, code)
        }
    }
}

/// Encodes a whole (match-form) string as pinyin codes.
pub fn pinyin_codes(text: &str, fuzzy: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let (e, f) = pinyin_code(c);
        out.extend_from_slice(if fuzzy { &f } else { &e });
    }
    out
}

fn fuzzy_syllable(plain: &str) -> String {
    let mut s = plain.to_string();
    for (from, to) in [("zh", "z"), ("ch", "c"), ("sh", "s")] {
        if s.starts_with(from) {
            s.replace_range(..from.len(), to);
        }
    }
    if s.starts_with('n') && s.len() > 1 {
        s.replace_range(..1, "l");
    }
    if s.starts_with("hu") {
        s.replace_range(..1, "f");
    }
    if s.ends_with("ng") && !s.ends_with("ong") {
        s.truncate(s.len() - 1);
    }
    s
}

struct SyllableTable {
    ids: std::collections::HashMap<String, u16>,
}

impl SyllableTable {
    fn id(&self, syllable: &str) -> u16 {
        // Ids start at 0x0100 so no byte of a code is 0xFF in first position.
        self.ids.get(syllable).copied().unwrap_or(0x0100)
    }
}

fn syllable_table() -> &'static SyllableTable {
    static TABLE: OnceLock<SyllableTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut all: Vec<String> = Vec::new();
        // Every syllable the pinyin table knows, in a fixed order.
        for cp in 0x3400u32..=0x9FFF {
            if let Some(c) = char::from_u32(cp) {
                if let Some(p) = c.to_pinyin() {
                    all.push(p.plain().to_string());
                    all.push(fuzzy_syllable(p.plain()));
                }
            }
        }
        all.sort();
        all.dedup();
        let ids = all
            .into_iter()
            .enumerate()
            .map(|(i, s)| (s, 0x0101 + i as u16))
            .collect();
        SyllableTable { ids }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_width_and_punctuation() {
        assert_eq!(
            normalize("歡迎致電，謝謝您的來電!"),
            "欢迎致电，谢谢您的来电！"
        );
        assert_eq!(normalize("ＡＢＣ１２３，好的?"), "abc123，好的？");
        assert_eq!(normalize("您好 欢迎 致电"), "您好，欢迎，致电");
        assert_eq!(normalize("订单 ORDER 123"), "订单order 123");
        assert_eq!(normalize("好的😊🙏"), "好的");
        assert_eq!(normalize("订单 ORDER 123"), "订单order 123");
    }

    #[test]
    fn numerals_before_units_become_digits() {
        assert_eq!(normalize("三个工作日内"), "3个工作日内");
        assert_eq!(normalize("今天下午五点前"), "今天下午5点前");
        assert_eq!(normalize("二十四小时内"), "24小时内");
        assert_eq!(normalize("一百元的住宿券"), "100元的住宿券");
        assert_eq!(normalize("一万二千块"), "12000块");
        assert_eq!(normalize("百分之百"), "100%");
        assert_eq!(normalize("二零二六年"), "2026年");
        assert_eq!(normalize("一百零五元"), "105元");
        // idioms stay words
        assert_eq!(normalize("我一定会给您回电"), "我一定会给您回电");
        assert_eq!(normalize("十分抱歉，请稍等一下"), "十分抱歉，请稍等一下");
        assert_eq!(normalize("工号二七零五"), "工号二七零五");
        assert_eq!(normalize("有一点问题"), "有一点问题");
        assert_eq!(normalize("一点半"), "1点半");
    }

    #[test]
    fn traced_normalisation_points_back_to_the_raw_characters() {
        let t = normalize_traced("三个工作日 好的");
        assert_eq!(t.normalized, "3个工作日，好的");
        // the digit stands for the numeral, the clause mark for the space
        assert_eq!(t.source[0], [0, 1]);
        assert_eq!(t.source[5], [5, 6]);
        assert_eq!(t.source[6], [6, 7]);
        let t = normalize_traced("二十四小時");
        assert_eq!(t.normalized, "24小时");
        assert_eq!(&t.source[..3], &[[0, 3], [0, 3], [3, 4]]);
        assert_eq!(t.simplified, "二十四小时");
        let t = normalize_traced("百分之百");
        assert_eq!(t.normalized, "100%");
        assert!(t.source.iter().all(|r| *r == [0, 4]));
        let t = normalize_traced("  歡迎😊致電。。。");
        assert_eq!(t.normalized, "欢迎致电。");
        assert_eq!(t.source, vec![[2, 3], [3, 4], [5, 6], [6, 7], [7, 8]]);
    }

    #[test]
    fn match_text_drops_punctuation_and_keeps_boundaries() {
        let seg = Segmenter::new(&[]).unwrap();
        let a = seg.analyze("喂，说话呀！");
        assert_eq!(a.match_text, "喂说话呀");
        assert!(a.boundary[0] && a.boundary[1] && a.boundary[4]);
        assert_eq!(a.sentence_of.len(), 4);
    }

    #[test]
    fn homophones_share_codes() {
        assert_eq!(pinyin_codes("致电", false), pinyin_codes("制电", false));
        assert_eq!(pinyin_codes("赔付", false), pinyin_codes("陪付", false));
        assert_ne!(pinyin_codes("客服", false), pinyin_codes("客户", false));
        assert_eq!(pinyin_codes("客服", true), pinyin_codes("客户", true));
        assert_ne!(pinyin_codes("致电", false), pinyin_codes("这店", false));
    }
}
