//! The cited utterances said by the other side.

use super::{mutation, other_side, Apply, Cited, Settings, Variant};
use crate::i18n::Text;
use crate::transcript::Transcript;

mutation! {
    /// Speaker swap: every utterance the item's verdict cites is given to
    /// the other side (agent ↔ customer; its words and times unchanged), as
    /// when diarisation labels a channel wrongly.
    ///
    /// Must change the verdict: an item about what the agent said (or the
    /// customer) must not be satisfied by the other side's words. Items
    /// whose cited utterances are by neither side are skipped.
    pub static SPEAKER_SWAP = ("speaker_swap", ["说话人互换", "speaker swap"], Apply::Change(apply));
}

fn apply(call: &Transcript, cited: &[Cited], _: &Settings) -> Option<Variant> {
    let mut t = call.clone();
    let mut any = false;
    for c in cited {
        let u = &mut t.utterances[c.utterance];
        if let Some(other) = other_side(&u.speaker) {
            u.speaker = other;
            any = true;
        }
    }
    any.then(|| Variant::one_for_one(Text::default(), t))
}
