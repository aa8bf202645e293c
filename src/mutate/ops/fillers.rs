//! Filler words at clause starts.

use super::{is_clause_mark, mutation, Apply, Settings, Variant};
use crate::i18n::Text;
use crate::text;
use crate::transcript::Transcript;

mutation! {
    /// Filler words inserted the way people speak: 嗯、那个、就是、然后 at the
    /// start of clauses (the start of an utterance or after a clause mark),
    /// never inside a word; each clause start gets one with probability
    /// 0.4 (seeded). 嗯 and 那个 are followed by a comma when the utterance
    /// is punctuated. Utterances of at most 4 characters (好的, 嗯嗯, 对对)
    /// are left alone: nobody says 那个好的, and such answers are what
    /// backchannel rules count.
    ///
    /// Must keep every verdict: a filler adds no meaning.
    pub static FILLERS = ("fillers", ["语气填充词", "fillers"], Apply::Keep(apply));
}

pub const FILLER_WORDS: [&str; 4] = ["嗯", "那个", "就是", "然后"];

const SHARE: f64 = 0.4;

fn apply(call: &Transcript, settings: &Settings) -> Vec<Variant> {
    let v = Variant::map_texts(Text::default(), call, |i, t| {
        let mut rng = settings.rng("fillers", &call.call_id, i);
        insert(t, || {
            let hit = rng.unit() < SHARE;
            let which = rng.below(FILLER_WORDS.len() as u64) as usize;
            hit.then_some(FILLER_WORDS[which])
        })
    });
    if v.differs_from(call) {
        vec![v]
    } else {
        Vec::new()
    }
}

/// `text` with `pick()` asked at each clause start for a filler to put there.
pub fn insert(text: &str, mut pick: impl FnMut() -> Option<&'static str>) -> String {
    if text::content_chars(text) <= 4 {
        return text.to_string();
    }
    let punctuated = text.chars().any(is_clause_mark);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 16);
    let mut at_start = true;
    for (i, &c) in chars.iter().enumerate() {
        // A clause starts at its first character that is speech.
        if at_start && text::is_cjk(c) {
            if let Some(filler) = pick() {
                out.push_str(filler);
                if punctuated && matches!(filler, "嗯" | "那个") {
                    out.push('，');
                }
            }
            at_start = false;
        }
        out.push(c);
        if is_clause_mark(c) && !super::inside_number(&chars, i) {
            at_start = true;
        } else if !c.is_whitespace() && !text::is_cjk(c) {
            // A clause that opens with digits or Latin gets no filler.
            at_start = false;
        }
    }
    out
}
