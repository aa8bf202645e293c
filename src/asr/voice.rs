//! Voice pitch, the acoustic half of mono speaker attribution.
//!
//! What somebody says rarely tells who they are sentence by sentence (我马上联系酒店
//! could be either side); how they sound does. This module measures the
//! median fundamental frequency of each segment (normalised autocorrelation
//! on 8 kHz audio, 60–400 Hz, which survives the 300–3400 Hz telephone band
//! through the harmonics), splits the segments into two voices by 1-D
//! two-means on log pitch, and turns the distance of a segment from each
//! voice into log-odds. When the two voices are not clearly apart (two
//! similar voices, too little voiced speech) it reports nothing and
//! attribution falls back on content alone.

/// Pitch search range, Hz.
const MIN_PITCH_HZ: f32 = 60.0;
const MAX_PITCH_HZ: f32 = 400.0;
/// Analysis frames at 8 kHz: 40 ms long every 10 ms.
const RATE: usize = 8000;
const FRAME: usize = 320;
const HOP: usize = 80;
/// A frame is voiced when its normalised autocorrelation peak reaches this.
const VOICED_CORRELATION: f32 = 0.6;
/// Frames quieter than this (dBFS) are not analysed: line noise is not a voice.
const MIN_FRAME_DBFS: f32 = -45.0;
/// Segments with fewer voiced frames give no pitch.
const MIN_VOICED_FRAMES: usize = 5;

/// Pitch of one frame (8 kHz samples), if voiced.
fn frame_pitch(frame: &[f32]) -> Option<f32> {
    let energy: f32 = frame.iter().map(|s| s * s).sum();
    let rms = (energy / frame.len() as f32).sqrt();
    if crate::audio::amplitude_to_dbfs(rms) < MIN_FRAME_DBFS {
        return None;
    }
    let min_lag = (RATE as f32 / MAX_PITCH_HZ) as usize;
    let max_lag = ((RATE as f32 / MIN_PITCH_HZ) as usize).min(frame.len() / 2);
    let mut best = (0.0f32, 0usize);
    let mut correlations = vec![0.0f32; max_lag + 2];
    for lag in min_lag..=max_lag + 1 {
        let n = frame.len() - lag;
        let (mut xy, mut xx, mut yy) = (0.0f32, 0.0f32, 0.0f32);
        for i in 0..n {
            let (x, y) = (frame[i], frame[i + lag]);
            xy += x * y;
            xx += x * x;
            yy += y * y;
        }
        let r = if xx > 0.0 && yy > 0.0 {
            xy / (xx * yy).sqrt()
        } else {
            0.0
        };
        correlations[lag] = r;
    }
    for (lag, &r) in correlations
        .iter()
        .enumerate()
        .take(max_lag + 1)
        .skip(min_lag)
    {
        if r > best.0 {
            best = (r, lag);
        }
    }
    if best.0 < VOICED_CORRELATION {
        return None;
    }
    // Prefer the shortest lag whose peak is nearly as good: a period's
    // multiples correlate too (octave errors downwards).
    let lag = (min_lag..=best.1)
        .find(|&l| {
            correlations[l] >= 0.9 * best.0
                && correlations[l] >= correlations[l - 1]
                && correlations[l] >= correlations[l + 1]
        })
        .unwrap_or(best.1);
    Some(RATE as f32 / lag as f32)
}

/// 16 kHz → 8 kHz by averaging pairs (the telephone band is below 4 kHz).
fn to_8k(samples: &[f32], sample_rate: u32) -> Vec<f32> {
    match sample_rate {
        8000 => samples.to_vec(),
        16_000 => samples
            .chunks(2)
            .map(|p| p.iter().sum::<f32>() / p.len() as f32)
            .collect(),
        rate => {
            let step = rate as f32 / RATE as f32;
            (0..(samples.len() as f32 / step) as usize)
                .map(|i| samples[(i as f32 * step) as usize])
                .collect()
        }
    }
}

/// Median pitch (Hz) of each `(start_ms, end_ms)` stretch of `samples`, or
/// `None` where too little of it is voiced.
pub fn median_pitches(samples: &[f32], sample_rate: u32, spans: &[(u64, u64)]) -> Vec<Option<f32>> {
    let audio = to_8k(samples, sample_rate);
    spans
        .iter()
        .map(|&(start_ms, end_ms)| {
            let first = (start_ms as usize * RATE / 1000).min(audio.len());
            let last = (end_ms as usize * RATE / 1000).min(audio.len());
            let mut pitches: Vec<f32> = (first..last.saturating_sub(FRAME))
                .step_by(HOP)
                .filter_map(|i| frame_pitch(&audio[i..i + FRAME]))
                .collect();
            if pitches.len() < MIN_VOICED_FRAMES {
                return None;
            }
            pitches.sort_by(f32::total_cmp);
            Some(pitches[pitches.len() / 2])
        })
        .collect()
}

/// Two voices found among the segments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwoVoices {
    /// Centres of the two clusters, in semitones above 100 Hz, low first.
    pub low: f64,
    pub high: f64,
    /// Pooled standard deviation within the clusters, semitones.
    pub spread: f64,
}

/// Separation (in pooled standard deviations) below which two clusters are
/// not trusted as two voices.
const MIN_SEPARATION: f64 = 2.5;
/// …and in semitones.
const MIN_SEMITONES: f64 = 2.0;
/// Spread never assumed below this (semitones): a handful of segments can
/// agree by chance.
const MIN_SPREAD: f64 = 0.8;

pub fn semitones(hz: f32) -> f64 {
    12.0 * (f64::from(hz) / 100.0).log2()
}

pub fn hz(semitones: f64) -> f64 {
    100.0 * 2f64.powf(semitones / 12.0)
}

impl TwoVoices {
    /// Splits segment pitches (with weights, e.g. duration) into two voices;
    /// `None` when they do not form two clearly separate groups.
    pub fn find(pitches: &[(f32, f64)]) -> Option<TwoVoices> {
        let mut points: Vec<(f64, f64)> = pitches
            .iter()
            .map(|&(p, w)| (semitones(p), w.max(0.0)))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        if points.len() < 2 {
            return None;
        }
        let mean = |s: &[(f64, f64)]| {
            let w: f64 = s.iter().map(|p| p.1).sum();
            s.iter().map(|p| p.0 * p.1).sum::<f64>() / w.max(1e-9)
        };
        let sse = |s: &[(f64, f64)], m: f64| s.iter().map(|p| p.1 * (p.0 - m).powi(2)).sum::<f64>();
        let total_weight: f64 = points.iter().map(|p| p.1).sum();
        let mut best: Option<(f64, usize)> = None;
        for split in 1..points.len() {
            let (a, b) = points.split_at(split);
            let cost = sse(a, mean(a)) + sse(b, mean(b));
            if best.is_none_or(|(c, _)| cost < c) {
                best = Some((cost, split));
            }
        }
        let (cost, split) = best?;
        let (a, b) = points.split_at(split);
        // Each voice must carry a real share of the speech.
        let share = |s: &[(f64, f64)]| s.iter().map(|p| p.1).sum::<f64>() / total_weight;
        if share(a) < 0.1 || share(b) < 0.1 {
            return None;
        }
        let voices = TwoVoices {
            low: mean(a),
            high: mean(b),
            spread: (cost / total_weight).sqrt().max(MIN_SPREAD),
        };
        let gap = voices.high - voices.low;
        (gap >= MIN_SEMITONES && gap / voices.spread >= MIN_SEPARATION).then_some(voices)
    }

    /// Log-odds that a segment of this pitch is the high voice rather than
    /// the low one (Gaussian clusters of equal spread), clamped to ±`limit`.
    pub fn high_log_odds(&self, pitch_hz: f32, limit: f64) -> f64 {
        let x = semitones(pitch_hz);
        let llr = ((x - self.low).powi(2) - (x - self.high).powi(2)) / (2.0 * self.spread.powi(2));
        llr.clamp(-limit, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A voiced signal: a pitch with a few harmonics, band-limited like a phone.
    fn voice(hz: f32, ms: u64) -> Vec<f32> {
        (0..ms * 16)
            .map(|i| {
                let t = i as f32 / 16_000.0;
                (2..8)
                    .map(|k| {
                        let f = hz * k as f32;
                        if (300.0..3400.0).contains(&f) {
                            0.05 * (2.0 * std::f32::consts::PI * f * t).sin() / k as f32
                        } else {
                            0.0
                        }
                    })
                    .sum()
            })
            .collect()
    }

    #[test]
    fn pitch_is_found_through_the_telephone_band() {
        for hz in [110.0f32, 130.0, 207.0, 250.0] {
            let samples = voice(hz, 1000);
            let p = median_pitches(&samples, 16_000, &[(0, 1000)])[0].unwrap();
            assert!((p - hz).abs() / hz < 0.05, "{hz} Hz measured as {p}");
        }
    }

    #[test]
    fn silence_has_no_pitch() {
        assert_eq!(
            median_pitches(&vec![0.0; 16_000], 16_000, &[(0, 1000)]),
            vec![None]
        );
    }

    #[test]
    fn two_voices_are_found_and_told_apart() {
        let pitches = [
            (210.0, 3.0),
            (200.0, 2.0),
            (215.0, 4.0),
            (128.0, 2.0),
            (135.0, 1.0),
            (130.0, 3.0),
        ];
        let voices = TwoVoices::find(&pitches).unwrap();
        assert!((hz(voices.low) - 130.0).abs() < 5.0);
        assert!((hz(voices.high) - 208.0).abs() < 8.0);
        assert!(voices.high_log_odds(205.0, 8.0) > 4.0);
        assert!(voices.high_log_odds(132.0, 8.0) < -4.0);
    }

    #[test]
    fn one_voice_is_not_two() {
        let pitches = [
            (200.0, 1.0),
            (205.0, 1.0),
            (195.0, 1.0),
            (210.0, 1.0),
            (190.0, 1.0),
        ];
        assert_eq!(TwoVoices::find(&pitches), None);
    }
}
