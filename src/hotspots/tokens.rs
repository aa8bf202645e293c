//! Turning one customer sentence into complaint candidates: the hotspot
//! segmenter (jieba with the rubric's domain dictionary plus complaint words),
//! the stop-word and content-word filter, negation units (没送到, 没人联系) and
//! phrase joining of adjacent content words (重复 + 扣费 → 重复扣费).

use std::collections::{BTreeSet, HashSet};

use jieba_rs::Jieba;

use crate::text::{fold_for_matching, is_cjk, is_punctuation, normalize};

/// Stop words for call-centre chatter and general function words.
const STOP_WORDS: &str = include_str!("stopwords.txt");

/// Complaint vocabulary that jieba's general dictionary splits into single
/// characters (扣/费, 断/网), which the single-character filter would then
/// drop, losing the complaint.
const COMPLAINT_WORDS: &[(&str, usize, &str)] = &[
    ("扣费", 3000, "v"),
    ("扣款", 3000, "v"),
    ("断网", 3000, "v"),
    ("掉线", 3000, "v"),
    ("到账", 3000, "v"),
    ("退货", 3000, "v"),
    ("换货", 3000, "v"),
    ("补发", 2000, "v"),
    ("没人", 3000, "r"),
    ("没有人", 3000, "r"),
    ("送错", 2000, "v"),
    ("发错", 2000, "v"),
    ("少发", 2000, "v"),
    ("漏发", 2000, "v"),
    ("催单", 2000, "v"),
];

/// Negation prefixes that are merged with the following word, because the
/// complaint is the negated event (没送到, 没人联系), not the event itself.
/// Each maps to the form used in the phrase, so 还没送到 and 没有送到 count
/// as the same complaint.
const NEGATIONS: &[(&str, &str)] = &[
    ("没", "没"),
    ("没有", "没"),
    ("还没", "没"),
    ("还没有", "没"),
    ("都没", "没"),
    ("也没", "没"),
    ("一直没", "没"),
    ("从没", "没"),
    ("从来没", "没"),
    ("不", "不"),
    ("未", "未"),
    ("没人", "没人"),
    ("没有人", "没人"),
];

/// Words that may sit between two content words of one phrase: aspect
/// particles and frequency adverbs (洗衣机又漏水 → 洗衣机漏水).
const JOINERS: &[&str] = &[
    "了", "的", "又", "都", "也", "就", "还", "在", "被", "给", "是", "老", "总", "一直", "总是",
    "老是", "经常", "已经", "又是",
];

/// jieba part-of-speech tags that are never complaint content: numerals,
/// classifiers, pronouns, prepositions, conjunctions, particles,
/// interjections, onomatopoeia, punctuation.
const FUNCTION_TAGS: &[&str] = &[
    "m", "mq", "q", "r", "rr", "rz", "p", "c", "u", "uj", "ul", "uz", "uv", "ud", "ug", "e", "y",
    "o", "x", "zg", "w",
];

/// A candidate found in one sentence.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Candidate {
    /// The hotspot text (words concatenated, negations canonical).
    pub text: String,
    /// The jieba words it is made of, for looking up keyword weights.
    pub parts: Vec<String>,
    /// Character range in the sentence, for snippets.
    pub start: usize,
    pub end: usize,
}

/// Segmenter and filters, built once and shared read-only.
pub(crate) struct Tokenizer {
    pub jieba: Jieba,
    stop_words: HashSet<String>,
}

impl Tokenizer {
    pub fn new() -> Tokenizer {
        let mut jieba = Jieba::new();
        // Same domain dictionary as the scoring segmenter (text::Segmenter),
        // so 工号/订单号/不好意思 segment the same way in both places.
        for line in crate::rubric::BUILTIN_DICTIONARY.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_whitespace();
            let Some(word) = fields.next() else { continue };
            let freq = fields.next().and_then(|f| f.parse::<usize>().ok());
            jieba.add_word(&normalize(word), freq, fields.next());
        }
        for &(word, freq, tag) in COMPLAINT_WORDS {
            jieba.add_word(word, Some(freq), Some(tag));
        }
        Tokenizer {
            jieba,
            stop_words: stop_words().into_iter().collect(),
        }
    }

    pub fn is_stop_word(&self, word: &str) -> bool {
        self.stop_words.contains(word)
    }

    /// True for a jieba token that can be (part of) a complaint.
    fn is_content(&self, word: &str, tag: &str) -> bool {
        word.chars().count() >= 2
            && !self.is_stop_word(word)
            && !FUNCTION_TAGS.contains(&tag)
            && !is_number_like(word)
            && !is_question(word)
            && word.chars().any(|c| is_cjk(c) || c.is_ascii_alphabetic())
    }

    /// Candidates of one sentence, already normalised and folded: single
    /// content words (and negation units), then two-word phrases.
    pub fn candidates(&self, sentence: &str) -> Vec<Candidate> {
        enum Slot {
            Content(Candidate),
            Joiner,
            Break,
        }
        let tags = self.jieba.tag(sentence, false);
        let mut slots: Vec<Slot> = Vec::with_capacity(tags.len());
        let mut pos = 0usize;
        let mut i = 0;
        while i < tags.len() {
            let word = tags[i].word;
            let len = word.chars().count();
            let start = pos;
            pos += len;
            i += 1;
            if word.chars().all(is_punctuation) {
                slots.push(Slot::Break);
                continue;
            }
            if let Some(&(_, canonical)) = NEGATIONS.iter().find(|(n, _)| *n == word) {
                if let Some(next) = tags.get(i) {
                    if let Some(unit) = self.negated(canonical, next.word, next.tag) {
                        let next_len = next.word.chars().count();
                        pos += next_len;
                        i += 1;
                        slots.push(Slot::Content(Candidate {
                            text: unit,
                            parts: vec![next.word.to_string()],
                            start,
                            end: pos,
                        }));
                        continue;
                    }
                }
            }
            if self.is_content(word, tags[i - 1].tag) {
                slots.push(Slot::Content(Candidate {
                    text: word.to_string(),
                    parts: vec![word.to_string()],
                    start,
                    end: pos,
                }));
            } else if JOINERS.contains(&word) {
                slots.push(Slot::Joiner);
            } else {
                slots.push(Slot::Break);
            }
        }

        let mut words = Vec::new();
        let mut phrases = Vec::new();
        for (index, slot) in slots.iter().enumerate() {
            let Slot::Content(first) = slot else { continue };
            words.push(first.clone());
            // The next content word, across at most one joiner.
            let second = match (slots.get(index + 1), slots.get(index + 2)) {
                (Some(Slot::Content(second)), _) => Some(second),
                (Some(Slot::Joiner), Some(Slot::Content(second))) => Some(second),
                _ => None,
            };
            if let Some(second) = second {
                // 洗衣机洗衣机 (a stutter) is not a phrase.
                if second.text != first.text {
                    let mut parts = first.parts.clone();
                    parts.extend(second.parts.iter().cloned());
                    phrases.push(Candidate {
                        text: format!("{}{}", first.text, second.text),
                        parts,
                        start: first.start,
                        end: second.end,
                    });
                }
            }
        }
        words.extend(phrases);
        words
    }

    /// The negation unit for `negation` + `word`, when the word is content
    /// (single-character verbs included: 没开, 不转) and the unit is not
    /// chatter itself (没问题, 不知道).
    fn negated(&self, canonical: &str, word: &str, tag: &str) -> Option<String> {
        if word.chars().all(is_punctuation)
            || NEGATIONS.iter().any(|(n, _)| *n == word)
            || self.is_stop_word(word)
            || FUNCTION_TAGS.contains(&tag)
            || is_number_like(word)
            || !word.chars().all(is_cjk)
        {
            return None;
        }
        let unit = format!("{canonical}{word}");
        if self.is_stop_word(&unit) {
            return None;
        }
        Some(unit)
    }
}

/// The stop-word list, folded the way transcript text is (您 → 你), plus
/// jieba's own (English) stop words.
pub(crate) fn stop_words() -> BTreeSet<String> {
    let mut words: BTreeSet<String> = jieba_rs::DEFAULT_STOP_WORDS.iter().cloned().collect();
    for line in STOP_WORDS.lines() {
        let word = line.split('#').next().unwrap_or_default().trim();
        if !word.is_empty() {
            words.insert(fold(&normalize(word)));
        }
    }
    words
}

/// Folds characters that ASR and writers use interchangeably (您/你), one
/// character for one, so character positions stay aligned with the text.
pub(crate) fn fold(text: &str) -> String {
    text.chars().map(fold_for_matching).collect()
}

/// 怎么弄, 怎么说, 什么时候: jieba keeps many question words whole, and
/// they are the customer asking, not the complaint.
fn is_question(word: &str) -> bool {
    ["怎么", "什么", "为什么", "为啥", "咋"]
        .iter()
        .any(|q| word.starts_with(q))
}

/// Digits anywhere (order, phone and tracking numbers, amounts, dates), or
/// only Chinese numerals (ASR spells numbers out: 幺三八…).
fn is_number_like(word: &str) -> bool {
    word.chars().any(|c| c.is_ascii_digit())
        || word
            .chars()
            .all(|c| "零〇一二三四五六七八九十百千万亿两幺几第".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(tokenizer: &Tokenizer, sentence: &str) -> Vec<String> {
        tokenizer
            .candidates(&fold(&normalize(sentence)))
            .into_iter()
            .map(|c| c.text)
            .collect()
    }

    #[test]
    fn chatter_single_characters_and_numbers_are_dropped() {
        let t = Tokenizer::new();
        assert!(texts(&t, "喂 您好 我想问一下 那个 就是 然后 谢谢 好的 可以 没有 知道 现在 怎么 什么 问题 麻烦 帮我 一个 我们 你们")
            .is_empty());
        assert!(texts(&t, "我的订单号是12345678 电话是13812345678 嗯 对").is_empty());
        assert!(texts(&t, "幺三八幺二三四五六七八").is_empty());
        assert!(texts(&t, "好 对 嗯 啊 是").is_empty());
    }

    #[test]
    fn complaint_words_survive() {
        let t = Tokenizer::new();
        let found = texts(
            &t,
            "洗衣机漏水了，宽带老断网，还被扣费，发票和快递都有问题，退款也延迟",
        );
        for word in [
            "洗衣机",
            "漏水",
            "宽带",
            "断网",
            "扣费",
            "发票",
            "快递",
            "退款",
            "延迟",
        ] {
            assert!(
                found.iter().any(|f| f == word),
                "{word} missing from {found:?}"
            );
        }
    }

    #[test]
    fn adjacent_content_words_join_into_phrases() {
        let t = Tokenizer::new();
        assert!(texts(&t, "我被重复扣费了").contains(&"重复扣费".to_string()));
        // across one joiner (又), not across a clause break
        assert!(texts(&t, "我家洗衣机又漏水了").contains(&"洗衣机漏水".to_string()));
        assert!(!texts(&t, "洗衣机，漏水").contains(&"洗衣机漏水".to_string()));
        // across a dropped word (三天), no phrase either
        assert!(!texts(&t, "快递三天延迟").contains(&"快递延迟".to_string()));
    }

    #[test]
    fn negations_make_units() {
        let t = Tokenizer::new();
        let found = texts(&t, "快递还没送到，也没有人联系我");
        assert!(found.contains(&"没送到".to_string()), "{found:?}");
        assert!(found.contains(&"快递没送到".to_string()), "{found:?}");
        assert!(found.contains(&"没人联系".to_string()), "{found:?}");
        assert!(!texts(&t, "没问题 不知道 不好意思")
            .iter()
            .any(|w| w.starts_with('没') || w.starts_with('不')));
    }

    #[test]
    fn candidate_ranges_point_into_the_sentence() {
        let t = Tokenizer::new();
        let sentence = fold(&normalize("你好我家洗衣机又漏水了"));
        let chars: Vec<char> = sentence.chars().collect();
        for c in t.candidates(&sentence) {
            let span: String = chars[c.start..c.end].iter().collect();
            assert!(span.starts_with(&c.parts[0]), "{span} vs {c:?}");
        }
    }
}
