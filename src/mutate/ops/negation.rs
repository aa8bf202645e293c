//! A negation put before the matched words.

use crate::i18n::Text;
use super::{mutation, Apply, Cited, Settings, Variant};
use crate::transcript::Transcript;

mutation! {
    /// Inserted negation: the matched words the item's verdict cites are
    /// negated the way a speaker would: 不 or 没 goes after a leading
    /// subject (我们 / 我 / 这边 / 您 / 你: 我来帮您处理 → 我不来帮您处理, 我保证 →
    /// 我不保证), 没 before 有 and for what is done (已经给您提交了 → 没有给您提交了,
    /// 给您退了 → 没给您退了), 不 otherwise (是我们的责任 → 不是我们的责任,
    /// 给您补偿 → 不给您补偿). Words that already hold a negation (不行, 听不懂,
    /// 爱买不买) or follow one are not negated again: a double negation is
    /// not how anyone takes a statement back.
    ///
    /// Must change the verdict: the item found the statement, and the
    /// speaker said the opposite.
    pub static NEGATION = ("negation", ["插入否定", "inserted negation"], Apply::Change(apply));
}

const SUBJECTS: [&str; 9] = ["我们这边", "我这边", "我们", "咱们", "这边", "我", "您", "你", "妳"];
const NEGATIVE: [char; 7] = ['不', '没', '别', '无', '未', '非', '莫'];

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
    // (position, characters replaced there, inserted text)
    let mut edits: Vec<(usize, usize, &str)> = Vec::new();
    for s in spans {
        let (a, b) = (s[0].min(chars.len()), s[1].min(chars.len()));
        if a >= b {
            continue;
        }
        let phrase: String = chars[a..b].iter().collect();
        let lead: String = chars[a.saturating_sub(3)..a].iter().collect();
        if phrase.contains(NEGATIVE) || lead.contains(NEGATIVE) {
            continue;
        }
        let subject = SUBJECTS
            .iter()
            .find(|s| phrase.starts_with(**s) && phrase.chars().count() > s.chars().count())
            .map_or(0, |s| s.chars().count());
        let at = a + subject;
        let rest: String = chars[at..b].iter().collect();
        let edit = if rest.starts_with("已经") {
            (at, 2, "没有")
        } else if rest.starts_with('已') {
            (at, 1, "没")
        } else if rest.starts_with('有') || phrase.ends_with(['了', '过']) {
            (at, 0, "没")
        } else {
            (at, 0, "不")
        };
        if !edits.iter().any(|e| e.0 == edit.0) {
            edits.push(edit);
        }
    }
    if edits.is_empty() {
        return None;
    }
    edits.sort_by(|x, y| y.0.cmp(&x.0));
    let mut out = chars;
    for (at, replaced, insert) in edits {
        out.splice(at..at + replaced, insert.chars());
    }
    Some(out.into_iter().collect())
}
