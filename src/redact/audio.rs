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
    let to_frame = |ms: u64| (u128::from(ms) * u128::from(rate) / 1000).min(u128::from(u64::MAX)) as u64;
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

/// Zeroes every channel of a 16-bit PCM WAV (as the report writes its
/// copies) over each `(start_ms, end_ms)` span, padded. Returns an error for
/// any other layout, so the caller never publishes an unmuted copy.
pub fn mute_wav_spans(bytes: &mut [u8], spans: &[(u64, u64)]) -> Result<(), String> {
    if spans.is_empty() {
        return Ok(());
    }
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err("not a RIFF/WAVE file".into());
    }
    let mut at = 12;
    let mut format: Option<(u16, u32, u16)> = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]])
            as usize;
        let body = at + 8;
        if id == b"fmt " && size >= 16 && body + 16 <= bytes.len() {
            let channels = u16::from_le_bytes([bytes[body + 2], bytes[body + 3]]);
            let rate = u32::from_le_bytes([
                bytes[body + 4],
                bytes[body + 5],
                bytes[body + 6],
                bytes[body + 7],
            ]);
            let bits = u16::from_le_bytes([bytes[body + 14], bytes[body + 15]]);
            format = Some((channels, rate, bits));
        } else if id == b"data" {
            let Some((channels, rate, 16)) = format else {
                return Err("not 16-bit PCM".into());
            };
            let end = body.saturating_add(size).min(bytes.len());
            let frame = 2 * usize::from(channels.max(1));
            let frames = ((end - body) / frame) as u64;
            for (first, last) in muted_frames(spans, rate) {
                let (first, last) = (first.min(frames) as usize, last.min(frames) as usize);
                if first < last {
                    bytes[body + first * frame..body + last * frame].fill(0);
                }
            }
            return Ok(());
        }
        at = body.saturating_add(size + size % 2);
    }
    Err("no data chunk".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(samples: &[i16], rate: u32) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(b"RIFF");
        b.extend_from_slice(&(36 + 2 * samples.len() as u32).to_le_bytes());
        b.extend_from_slice(b"WAVEfmt ");
        b.extend_from_slice(&16u32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&rate.to_le_bytes());
        b.extend_from_slice(&(rate * 2).to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&16u16.to_le_bytes());
        b.extend_from_slice(b"data");
        b.extend_from_slice(&(2 * samples.len() as u32).to_le_bytes());
        samples
            .iter()
            .for_each(|s| b.extend_from_slice(&s.to_le_bytes()));
        b
    }

    #[test]
    fn mutes_the_padded_span_only() {
        let mut bytes = wav(&[1000; 8000], 1000); // 8 s at 1 kHz
        mute_wav_spans(&mut bytes, &[(3000, 4000)]).unwrap();
        let sample = |ms: usize| i16::from_le_bytes([bytes[44 + 2 * ms], bytes[45 + 2 * ms]]);
        assert_eq!(sample(2749), 1000);
        assert_eq!(sample(2750), 0);
        assert_eq!(sample(4249), 0);
        assert_eq!(sample(4250), 1000);
    }

    #[test]
    fn refuses_what_it_cannot_mute() {
        assert!(mute_wav_spans(&mut b"RIFF0000WAVE".to_vec(), &[(0, 1)]).is_err());
        assert!(mute_wav_spans(&mut b"junk".to_vec(), &[(0, 1)]).is_err());
    }
}
