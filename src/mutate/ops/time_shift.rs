//! Every utterance later by one offset.

use super::{mutation, Apply, Settings, Variant};
use crate::i18n::Text;
use crate::transcript::Transcript;

mutation! {
    /// Time shift: every utterance's start and end later by the same offset
    /// (1 to 30 s, seeded per call), as when a recording starts with a ring
    /// tone or an IVR prompt that was cut from the transcript. Calls without
    /// timestamps are left out.
    ///
    /// Must keep every verdict: rules about timing read gaps and overlaps,
    /// not the clock.
    pub static TIME_SHIFT = ("time_shift", ["整体时间平移", "time shift"], Apply::Keep(apply));
}

fn apply(call: &Transcript, settings: &Settings) -> Vec<Variant> {
    if !call
        .utterances
        .iter()
        .any(|u| u.start_ms.is_some() || u.end_ms.is_some())
    {
        return Vec::new();
    }
    let offset = 1_000 + settings.rng("time_shift", &call.call_id, 0).below(29_001);
    vec![shift(call, offset)]
}

/// `call` with every time `offset_ms` later.
pub fn shift(call: &Transcript, offset_ms: u64) -> Variant {
    let mut t = call.clone();
    for u in &mut t.utterances {
        u.start_ms = u.start_ms.map(|s| s + offset_ms);
        u.end_ms = u.end_ms.map(|e| e + offset_ms);
    }
    let s = offset_ms as f64 / 1000.0;
    Variant::one_for_one(Text::new(format!("+{s:.1} 秒"), format!("+{s:.1} s")), t)
}
