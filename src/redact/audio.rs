//! Silence over redacted speech in the report's copy of a recording: what
//! was replaced in the transcript must not be heard either. The spans come
//! from the placeholders' character times, widened by [`PAD_MS`] on each side
//! because Whisper's character times drift by a character or two.

/// Added before and after each span.
pub const PAD_MS: u64 = 250;

/// The frames (at `rate` frames per second) to silence for `spans`:
/// `[first, last)` ranges, padded by [`PAD_MS`], sorted and merged, so a
/// writer streaming frames in order can walk them with one cursor.
pub fn muted_frames(spans: &[(u64, u64)], rate: u32) -> Vec<(u64, u64)> {
    let to_frame =
        |ms: u64| (u128::from(ms) * u128::from(rate) / 1000).min(u128::from(u64::MAX)) as u64;
    let mut ranges: Vec<(u64, u64)> = spans
        .iter()
        .map(|&(start, end)| {
            (
                to_frame(start.saturating_sub(PAD_MS)),
                to_frame(end.saturating_add(PAD_MS)),
            )
        })
        .filter(|(first, last)| first < last)
        .collect();
    ranges.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (first, last) in ranges {
        match merged.last_mut() {
            Some(previous) if first <= previous.1 => previous.1 = previous.1.max(last),
            _ => merged.push((first, last)),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutes_the_padded_span_only() {
        // 1 kHz: one frame a millisecond; 3-4 s padded by 250 ms each side.
        assert_eq!(muted_frames(&[(3000, 4000)], 1000), vec![(2750, 4250)]);
        // At 8 kHz, and a span at the start does not go below frame 0.
        assert_eq!(muted_frames(&[(100, 200)], 8000), vec![(0, 3600)]);
    }

    #[test]
    fn overlapping_spans_merge_in_order() {
        assert_eq!(
            muted_frames(&[(5000, 6000), (1000, 2000), (2300, 2400)], 1000),
            vec![(750, 2650), (4750, 6250)]
        );
        assert!(muted_frames(&[], 1000).is_empty());
    }
}
