//! Signal levels in dBFS: per-channel peak/RMS meters for the silence check,
//! and frame energies that a voice-activity detector can build on.

use serde::{Deserialize, Serialize};

/// What we report for digital silence (an exact zero), instead of −∞, so the
/// number survives JSON.
pub const DIGITAL_SILENCE_DBFS: f32 = -150.0;

/// The default silence threshold: a recording whose every sample is quieter
/// than this (−60 dBFS ≈ ±33 on a 16-bit scale) has nothing to transcribe.
pub const DEFAULT_SILENCE_THRESHOLD_DBFS: f32 = -60.0;

/// Loudness of one channel over a whole recording, measured on the decoded
/// samples at the source rate (before resampling).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChannelLevel {
    /// The loudest sample, dBFS (0 = full scale).
    pub peak_dbfs: f32,
    /// Root-mean-square level, dBFS.
    pub rms_dbfs: f32,
}

impl ChannelLevel {
    /// True when every sample is below `threshold_dbfs`.
    pub fn is_silent(&self, threshold_dbfs: f32) -> bool {
        self.peak_dbfs < threshold_dbfs
    }
}

/// Accumulates a channel's peak and mean square as blocks go by.
#[derive(Debug, Clone, Default)]
pub(crate) struct LevelMeter {
    peak: f32,
    sum_of_squares: f64,
    count: u64,
}

impl LevelMeter {
    pub(crate) fn add(&mut self, samples: &[f32]) {
        for &s in samples {
            self.peak = self.peak.max(s.abs());
            self.sum_of_squares += f64::from(s) * f64::from(s);
        }
        self.count += samples.len() as u64;
    }

    pub(crate) fn level(&self) -> ChannelLevel {
        let mean_square = if self.count == 0 {
            0.0
        } else {
            self.sum_of_squares / self.count as f64
        };
        ChannelLevel {
            peak_dbfs: amplitude_to_dbfs(self.peak),
            rms_dbfs: amplitude_to_dbfs(mean_square.sqrt() as f32),
        }
    }
}

/// 20·log10(|amplitude|), floored at [`DIGITAL_SILENCE_DBFS`].
pub fn amplitude_to_dbfs(amplitude: f32) -> f32 {
    let amplitude = amplitude.abs();
    if amplitude <= 0.0 {
        return DIGITAL_SILENCE_DBFS;
    }
    (20.0 * amplitude.log10()).max(DIGITAL_SILENCE_DBFS)
}

/// RMS level of `samples` in dBFS ([`DIGITAL_SILENCE_DBFS`] for none).
pub fn rms_dbfs(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return DIGITAL_SILENCE_DBFS;
    }
    let mean_square = samples
        .iter()
        .map(|&s| f64::from(s) * f64::from(s))
        .sum::<f64>()
        / samples.len() as f64;
    amplitude_to_dbfs(mean_square.sqrt() as f32)
}

/// RMS level of consecutive frames of `frame_len` samples (the last frame may
/// be shorter), in dBFS: at 16 kHz, `frame_len` 160 gives the 10 ms frames an
/// energy VAD works on.
pub fn frame_levels_dbfs(samples: &[f32], frame_len: usize) -> Vec<f32> {
    let mut meter = FrameLevels::new(frame_len);
    meter.add(samples);
    meter.finish()
}

/// [`frame_levels_dbfs`] fed block by block: a recording streamed in blocks
/// of any length gets the same levels as the whole channel at once, without
/// the channel ever being held (a frame may straddle two blocks).
#[derive(Debug, Clone)]
pub struct FrameLevels {
    frame_len: usize,
    sum_of_squares: f64,
    count: usize,
    levels: Vec<f32>,
}

impl FrameLevels {
    pub fn new(frame_len: usize) -> FrameLevels {
        assert!(frame_len > 0, "frame_len must be positive");
        FrameLevels {
            frame_len,
            sum_of_squares: 0.0,
            count: 0,
            levels: Vec::new(),
        }
    }

    pub fn add(&mut self, samples: &[f32]) {
        for &s in samples {
            // Same sum, in the same order, as `rms_dbfs` over the frame.
            self.sum_of_squares += f64::from(s) * f64::from(s);
            self.count += 1;
            if self.count == self.frame_len {
                self.push_frame();
            }
        }
    }

    /// The levels of every frame, the last one possibly shorter.
    pub fn finish(mut self) -> Vec<f32> {
        if self.count > 0 {
            self.push_frame();
        }
        self.levels
    }

    fn push_frame(&mut self) {
        let mean_square = self.sum_of_squares / self.count as f64;
        self.levels
            .push(amplitude_to_dbfs(mean_square.sqrt() as f32));
        self.sum_of_squares = 0.0;
        self.count = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_scale_sine_is_minus_three_dbfs_rms_and_zero_peak() {
        let sine: Vec<f32> = (0..16000).map(|i| (i as f32 * 0.1).sin()).collect();
        let mut meter = LevelMeter::default();
        meter.add(&sine);
        let level = meter.level();
        assert!(level.peak_dbfs > -0.01 && level.peak_dbfs <= 0.0);
        assert!((level.rms_dbfs + 3.01).abs() < 0.05, "{}", level.rms_dbfs);
    }

    #[test]
    fn zeros_are_digital_silence() {
        let mut meter = LevelMeter::default();
        meter.add(&[0.0; 100]);
        assert_eq!(meter.level().peak_dbfs, DIGITAL_SILENCE_DBFS);
        assert!(meter.level().is_silent(DEFAULT_SILENCE_THRESHOLD_DBFS));
        assert_eq!(
            frame_levels_dbfs(&[0.0; 25], 10),
            vec![DIGITAL_SILENCE_DBFS; 3]
        );
    }

    #[test]
    fn frame_levels_fed_in_blocks_are_the_levels_of_the_whole() {
        let samples: Vec<f32> = (0..1000)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 200.0)
            .collect();
        let whole: Vec<f32> = samples.chunks(160).map(rms_dbfs).collect();
        for block in [1, 7, 160, 333, 1000] {
            let mut meter = FrameLevels::new(160);
            for part in samples.chunks(block) {
                meter.add(part);
            }
            assert_eq!(meter.finish(), whole, "blocks of {block}");
        }
    }

    #[test]
    fn frame_levels_follow_the_signal() {
        let mut samples = vec![0.001f32; 160];
        samples.extend(vec![0.5f32; 160]);
        let levels = frame_levels_dbfs(&samples, 160);
        assert!((levels[0] + 60.0).abs() < 0.01);
        assert!((levels[1] + 6.02).abs() < 0.01);
    }
}
