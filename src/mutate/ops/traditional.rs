//! Traditional characters: the inverse of the one Traditional→Simplified
//! table, the one `crate::text` normalises with.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::i18n::Text;
use super::{mutation, Apply, Settings, Variant};
use crate::text;
use crate::transcript::Transcript;

mutation! {
    /// Traditional characters (麻煩, 幫您, 電話), as Whisper often writes
    /// Mandarin: every character that has a Traditional form is written in
    /// it. The forms come from inverting `crate::text`'s own
    /// Traditional→Simplified table (the first Traditional character in code
    /// order that simplifies to it), so normalisation turns the text back
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
            if t != s {
                // Code order: the first Traditional form of a character wins.
                table.entry(s).or_insert(t);
            }
        }
        table
    })
}
