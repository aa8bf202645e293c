//! A negation put before the matched words.

use super::{mutation, Apply, Cited, Settings, Variant};
use crate::i18n::Text;
use crate::transcript::Transcript;

mutation! {
    /// Inserted negation: the matched words the item's verdict cites are
    /// negated the way a speaker would: 不 or 没 goes after a leading
    /// subject (我们 / 我 / 这边 / 您 / 你: 我来帮您处理 → 我不来帮您处理, 我保证 →
    /// 我不保证), 没 before 有 and for what is done (已经给您提交了 → 没有给您提交了,
    /// 给您退了 → 没给您退了), 不 otherwise (是我们的责任 → 不是我们的责任,
    /// 给您补偿 → 不给您补偿). Words that already hold a negation (不行, 听不懂,
    /// 爱买不买) or follow one are not negated again: a double negation is
    /// not how anyone takes a statement back. Nor are questions (还有其他可以
    /// 帮您的吗) and courtesy formulas (您好、谢谢、感谢您的来电、再见、欢迎致电、
    /// 很高兴为您服务、祝您…愉快、请…), exclamations (喂，说话呀！) and times or
    /// amounts (5点前, 三天内): they state
    /// nothing that 不 could take back, and nobody says 不感谢您的来电. Of
    /// overlapping matches the innermost (latest) is negated once; after
    /// 没 a perfective 了 goes (已经帮您约好了 → 没有帮您约好). An item whose
    /// cited words are all of these kinds is skipped.
    ///
    /// Must change the verdict: the item found the statement, and the
    /// speaker said the opposite.
    pub static NEGATION = ("negation", ["插入否定", "inserted negation"], Apply::Change(apply));
}

const SUBJECTS: [&str; 13] = [
    "我们这边",
    "我这边",
    "我们",
    "咱们",
    "这边",
    "这个",
    "那个",
    "我",
    "您",
    "你",
    "妳",
    "这",
    "那",
];
const NEGATIVE: [char; 7] = ['不', '没', '别', '无', '未', '非', '莫'];
/// Beginnings of courtesy formulas (after a subject), in Simplified characters.
const COURTESY: [&str; 22] = [
    "谢",
    "感谢",
    "多谢",
    "再见",
    "拜拜",
    "你好",
    "您好",
    "好",
    "欢迎",
    "祝",
    "很高兴",
    "高兴",
    "请",
    "早",
    "上午好",
    "下午好",
    "晚上好",
    "辛苦",
    "不客气",
    "麻烦",
    "抱歉",
    "对不起",
];
/// What makes a sentence a question.
const QUESTION: [char; 6] = ['吗', '么', '呢', '？', '?', '嘛'];

fn apply(call: &Transcript, cited: &[Cited], _: &Settings) -> Option<Variant> {
    let mut t = call.clone();
    let mut any = false;
    for c in cited {
        let u = &mut t.utterances[c.utterance];
        if let Some(text) = negate(&u.text, &c.spans) {
            u.text = text;
            any = true;
        }
    }
    any.then(|| Variant::one_for_one(Text::default(), t))
}

/// `text` with every span in `spans` negated; `None` when none can be.
pub fn negate(text: &str, spans: &[[usize; 2]]) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    // Character i of `simple` is character i of `text`, in Simplified form.
    let simple: Vec<char> = crate::text::normalize_traced(text)
        .simplified
        .chars()
        .collect();
    if simple.len() != chars.len() {
        return None;
    }
    // Of overlapping spans only the one that starts last (closest to the
    // verb: 是我们的责任 inside 这是我们的责任) is negated.
    let mut spans: Vec<[usize; 2]> = spans
        .iter()
        .map(|s| [s[0].min(chars.len()), s[1].min(chars.len())])
        .filter(|s| s[0] < s[1])
        .collect();
    spans.sort();
    let mut chosen: Vec<[usize; 2]> = Vec::new();
    for s in spans {
        match chosen.last_mut() {
            Some(last) if s[0] < last[1] => *last = s,
            _ => chosen.push(s),
        }
    }
    // (position, characters replaced there, inserted text, a 了 to drop)
    let mut edits: Vec<(usize, usize, &str, Option<usize>)> = Vec::new();
    for [a, b] in chosen {
        let phrase: String = simple[a..b].iter().collect();
        let lead: String = simple[a.saturating_sub(3)..a].iter().collect();
        if phrase.contains(NEGATIVE)
            || lead.contains(NEGATIVE)
            || in_question(&simple, a, b)
            || exclamation(&simple, a, b)
            || numeric(simple[a])
        {
            continue;
        }
        let subject = SUBJECTS
            .iter()
            .find(|s| phrase.starts_with(**s) && phrase.chars().count() > s.chars().count())
            .map_or(0, |s| s.chars().count());
        let at = a + subject;
        let rest: String = simple[at..b].iter().collect();
        let clause: String = simple[clause_start(&simple, a)..a].iter().collect();
        let clause = SUBJECTS
            .iter()
            .find_map(|s| clause.strip_prefix(s))
            .unwrap_or(&clause);
        if COURTESY
            .iter()
            .any(|c| rest.starts_with(c) || clause.starts_with(c))
        {
            continue;
        }
        let le = || {
            [b.checked_sub(1), Some(b)]
                .into_iter()
                .flatten()
                .find(|&i| i > at && simple.get(i) == Some(&'了'))
        };
        let edit = if rest.starts_with("已经") {
            (at, 2, "没有", le())
        } else if rest.starts_with('已') {
            (at, 1, "没", le())
        } else if rest.starts_with('有') || phrase.ends_with(['了', '过']) {
            (at, 0, "没", le())
        } else {
            (at, 0, "不", None)
        };
        if !edits.iter().any(|e| e.0 == edit.0) {
            edits.push(edit);
        }
    }
    if edits.is_empty() {
        return None;
    }
    // Right to left, so earlier positions stay valid.
    let mut cuts: Vec<(usize, usize, &str)> = Vec::new();
    for (at, replaced, insert, le) in edits {
        cuts.push((at, replaced, insert));
        if let Some(i) = le {
            cuts.push((i, 1, ""));
        }
    }
    cuts.sort_by_key(|c| std::cmp::Reverse(c.0));
    cuts.dedup_by_key(|c| c.0);
    let mut out = chars;
    for (at, replaced, insert) in cuts {
        out.splice(at..at + replaced, insert.chars());
    }
    Some(out.into_iter().collect())
}

/// Whether the sentence holding `[a, b)` is a question: a question mark or
/// particle after the span before the sentence ends, or 请问 before it.
fn in_question(simple: &[char], a: usize, b: usize) -> bool {
    let end = (b..simple.len())
        .find(|&i| super::is_sentence_end(simple[i]) && !QUESTION.contains(&simple[i]))
        .unwrap_or(simple.len());
    let start = (0..a)
        .rev()
        .find(|&i| super::is_sentence_end(simple[i]))
        .map_or(0, |i| i + 1);
    let before: String = simple[start..a].iter().collect();
    // Unpunctuated: the particle must close a clause, not start a word (么 in 什么 still counts).
    simple[a..end].iter().any(|c| QUESTION.contains(c)) || before.contains("请问")
}

/// A time or an amount (5点, 三天) is not a statement to negate.
fn numeric(c: char) -> bool {
    c.is_ascii_digit() || crate::text::numeral_value(c).is_some()
}

/// Where the clause holding position `a` starts.
fn clause_start(simple: &[char], a: usize) -> usize {
    (0..a)
        .rev()
        .find(|&i| super::is_clause_mark(simple[i]) || simple[i] == ' ')
        .map_or(0, |i| i + 1)
}

/// An exclamation or a call for attention: 喂… or a sentence that ends in
/// ！/呀/啊.
fn exclamation(simple: &[char], a: usize, b: usize) -> bool {
    let start = clause_start(simple, a);
    let end = (b..simple.len())
        .find(|&i| super::is_clause_mark(simple[i]))
        .unwrap_or(simple.len());
    simple.get(start) == Some(&'喂')
        || simple.get(end).is_some_and(|c| matches!(c, '！' | '!'))
        || end > 0 && matches!(simple[end - 1], '呀' | '啊')
}
