//! Traditional characters: the inverse of the one Traditional→Simplified
//! table, the one `crate::text` normalises with.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::{mutation, Apply, Settings, Variant};
use crate::i18n::Text;
use crate::text;
use crate::transcript::Transcript;

mutation! {
    /// Traditional characters (麻煩, 幫您, 電話), as Whisper often writes
    /// Mandarin: every character that has a Traditional form is written in
    /// it. The forms come from inverting `crate::text`'s own
    /// Traditional→Simplified table (the first Traditional character in code
    /// order that simplifies to it; not for the few characters whose only
    /// such form is a variant or a different word, 了 → 瞭, 麻 → 蔴, 面 → 麵,
    /// 干 → 乾, which stay as they are), so normalisation turns the text back
    /// into the original exactly; an utterance where a context rule of the
    /// table would not is left as it was.
    ///
    /// Must keep every verdict.
    pub static TRADITIONAL = ("traditional", ["繁体字", "Traditional characters"], Apply::Keep(apply));
}

fn apply(call: &Transcript, _: &Settings) -> Vec<Variant> {
    let v = Variant::map_texts(Text::default(), call, |_, t| to_traditional(t));
    if v.differs_from(call) {
        vec![v]
    } else {
        Vec::new()
    }
}

/// `text` in Traditional characters, such that `crate::text`'s
/// simplification gives back exactly what it gives for `text`.
pub fn to_traditional(text: &str) -> String {
    let table = inverse();
    let converted: String = text
        .chars()
        .map(|c| table.get(&c).copied().unwrap_or(c))
        .collect();
    if converted == text || simplified(&converted) == simplified(text) {
        return converted;
    }
    // A context rule of the table reads some character differently next to
    // its new neighbours: convert one character at a time, keeping only
    // the changes that round-trip.
    let mut chars: Vec<char> = text.chars().collect();
    let target = simplified(text);
    for i in 0..chars.len() {
        if let Some(&t) = table.get(&chars[i]) {
            let old = chars[i];
            chars[i] = t;
            if simplified(&chars.iter().collect::<String>()) != target {
                chars[i] = old;
            }
        }
    }
    chars.into_iter().collect()
}

fn simplified(text: &str) -> String {
    text::normalize_traced(text).simplified
}

/// Simplified characters a context-free Traditional form gets wrong in
/// everyday speech (了 is 了 in Traditional, 瞭 only in 瞭解; 面 is 麵 only
/// for noodles; 只 is 隻 only as a measure word): left as they are.
const SKIP: [char; 40] = [
    '了', '麻', '面', '干', '只', '里', '才', '台', '系', '周', '冲', '准', '合', '向', '松', '范',
    '游', '注', '出', '表', '谷', '丑', '征', '致', '制', '划', '卷', '困', '斗', '采', '借', '舍',
    '占', '签', '历', '托', '家', '扎', '别', '当',
];

/// Simplified → Traditional, built once from `crate::text`'s simplification
/// of every CJK unified ideograph.
fn inverse() -> &'static HashMap<char, char> {
    static TABLE: OnceLock<HashMap<char, char>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = HashMap::new();
        for t in (0x4E00u32..=0x9FFF).filter_map(char::from_u32) {
            // One character at a time: no neighbour to bring in a context rule.
            let one = simplified(t.encode_utf8(&mut [0; 4]));
            let mut one = one.chars();
            let (Some(s), None) = (one.next(), one.next()) else {
                continue;
            };
            if t != s && !SKIP.contains(&s) {
                // Code order: the first Traditional form of a character wins.
                table.entry(s).or_insert(t);
            }
        }
        table
    })
}
