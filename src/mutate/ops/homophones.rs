//! Same-pinyin misspellings, the ASR noise model of `crate::perturb`.

use super::{mutation, Apply, Settings, Variant};
use crate::i18n::Text;
use crate::perturb::{corrupt_transcript, AsrNoise};
use crate::transcript::Transcript;

mutation! {
    /// Same-pinyin misspellings at several character error rates (5 %, 10 %,
    /// 20 % by default; `--rates`): each Han character is replaced, at that
    /// rate, by a common character with the same toneless pinyin (致电 → 制电,
    /// 赔付 → 陪付), a tenth of the corruptions dropping the character, as
    /// Whisper mishears telephone audio. Uses the noise model of
    /// `crate::perturb`, nested across rates (the 10 % edits are the first
    /// 10 % of the 20 % ones).
    ///
    /// Must keep every verdict: a rubric that relies on exact characters
    /// fails on real ASR output.
    pub static HOMOPHONES = ("homophones", ["同音字", "homophones"], Apply::Keep(apply));
}

fn apply(call: &Transcript, settings: &Settings) -> Vec<Variant> {
    settings
        .rates
        .iter()
        .map(|&rate| {
            let noise = AsrNoise::new(rate, settings.seed);
            Variant::one_for_one(Text::same(percent(rate)), corrupt_transcript(call, &noise))
        })
        .filter(|v| v.differs_from(call))
        .collect()
}

/// `0.05` → `5%`, `0.125` → `12.5%`.
pub fn percent(rate: f64) -> String {
    let p = (rate * 1000.0).round() / 10.0;
    if p.fract() == 0.0 {
        format!("{}%", p as i64)
    } else {
        format!("{p}%")
    }
}
