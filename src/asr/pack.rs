//! Packing speech regions into Whisper windows, and mapping window times
//! back to the recording.
//!
//! Whisper always encodes a full 30 s window, so a 2 s region costs as much
//! as 30 s of speech (MODELS.md: a 4.6 s clip took ~1.2 s). Transcribing
//! region by region would make a call cost one encoder pass per turn; instead
//! the padded regions of a channel are laid end to end with a short digital
//! silence between them, up to [`PackConfig::max_window_ms`] per window.
//! Long silences disappear (Whisper skips turns after them), short context
//! survives (it helps recognition), and a [`Window`] remembers where each
//! piece came from so every time Whisper reports can be put back on the
//! recording's timeline.

use super::vad::SpeechRegion;

/// How windows are filled.
#[derive(Debug, Clone, PartialEq)]
pub struct PackConfig {
    /// Upper bound of a window's length, everything included. Below Whisper's
    /// 30 s so the decoder's last timestamp still fits.
    pub max_window_ms: u64,
    /// Digital silence between two pieces (and after the last one): enough
    /// for Whisper to end a segment, short enough not to waste the window.
    pub gap_ms: u64,
}

impl Default for PackConfig {
    fn default() -> Self {
        PackConfig {
            max_window_ms: 28_000,
            gap_ms: 200,
        }
    }
}

impl PackConfig {
    /// Stable `key=value` text (part of the ASR settings stamp).
    pub fn describe(&self) -> String {
        format!(
            "window_max_ms={},window_gap_ms={}",
            self.max_window_ms, self.gap_ms
        )
    }

    /// The longest region (unpadded) that still fits a window on its own.
    pub fn max_region_ms(&self, pad_ms: u64) -> u64 {
        self.max_window_ms
            .saturating_sub(2 * pad_ms + self.gap_ms)
            .max(1000)
    }
}

/// One padded region placed in a window.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    /// The speech region (source times, unpadded).
    pub region: SpeechRegion,
    /// The padded stretch of the recording copied into the window.
    pub source_start_ms: u64,
    pub source_end_ms: u64,
    /// Where `source_start_ms` lands in the window.
    pub window_start_ms: u64,
}

impl Piece {
    pub fn len_ms(&self) -> u64 {
        self.source_end_ms - self.source_start_ms
    }

    pub fn window_end_ms(&self) -> u64 {
        self.window_start_ms + self.len_ms()
    }
}

/// Where a window time falls in the recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Index of the piece the time belongs to (the nearest one when the time
    /// falls in a gap).
    pub piece: usize,
    /// The recording time, clamped into that piece's padded stretch.
    pub source_ms: u64,
    /// How far outside the piece the time was (0 when inside).
    pub outside_ms: u64,
}

/// Audio for one Whisper call: pieces separated by silence.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub pieces: Vec<Piece>,
    /// Total length including gaps and the trailing silence.
    pub duration_ms: u64,
}

impl Window {
    /// Builds the window's samples from the channel (`samples_per_ms`
    /// samples per ms: 16 at Whisper's 16 kHz).
    pub fn samples(&self, channel: &[f32], samples_per_ms: usize) -> Vec<f32> {
        let mut out = vec![0.0f32; self.duration_ms as usize * samples_per_ms];
        for piece in &self.pieces {
            let src_start = (piece.source_start_ms as usize * samples_per_ms).min(channel.len());
            let src_end = (piece.source_end_ms as usize * samples_per_ms).min(channel.len());
            let dst_start = piece.window_start_ms as usize * samples_per_ms;
            let len = (src_end - src_start).min(out.len().saturating_sub(dst_start));
            out[dst_start..dst_start + len].copy_from_slice(&channel[src_start..src_start + len]);
        }
        out
    }

    /// Maps a time in the window to the recording.
    pub fn locate(&self, window_ms: u64) -> Location {
        let mut best = Location {
            piece: 0,
            source_ms: 0,
            outside_ms: u64::MAX,
        };
        for (index, piece) in self.pieces.iter().enumerate() {
            let (outside, offset) = if window_ms < piece.window_start_ms {
                (piece.window_start_ms - window_ms, 0)
            } else if window_ms > piece.window_end_ms() {
                (window_ms - piece.window_end_ms(), piece.len_ms())
            } else {
                (0, window_ms - piece.window_start_ms)
            };
            if outside < best.outside_ms {
                best = Location {
                    piece: index,
                    source_ms: piece.source_start_ms + offset,
                    outside_ms: outside,
                };
            }
        }
        best
    }

    /// Total speech (unpadded region length) in the window.
    pub fn speech_ms(&self) -> u64 {
        self.pieces.iter().map(|p| p.region.duration_ms()).sum()
    }
}

/// Lays the regions of one channel (in time order, each at most
/// [`PackConfig::max_region_ms`] long) into windows. Padding is clamped so
/// neighbouring pieces never copy the same audio twice and nothing reaches
/// outside `0..total_ms`.
pub fn pack_windows(
    regions: &[SpeechRegion],
    total_ms: u64,
    pad_ms: u64,
    config: &PackConfig,
) -> Vec<Window> {
    let mut windows = Vec::new();
    let mut current: Vec<Piece> = Vec::new();
    let mut used_ms = 0u64;
    for (i, region) in regions.iter().enumerate() {
        let earliest = match i {
            0 => 0,
            _ => (regions[i - 1].end_ms + region.start_ms).div_ceil(2),
        };
        let latest = match regions.get(i + 1) {
            Some(next) => (region.end_ms + next.start_ms) / 2,
            None => total_ms,
        };
        let source_start_ms = region
            .start_ms
            .saturating_sub(pad_ms)
            .max(earliest)
            .min(region.start_ms);
        let source_end_ms = (region.end_ms + pad_ms)
            .min(latest)
            .max(region.end_ms)
            .min(total_ms.max(region.end_ms));
        let len = source_end_ms - source_start_ms;
        let lead = if current.is_empty() { 0 } else { config.gap_ms };
        if !current.is_empty() && used_ms + lead + len + config.gap_ms > config.max_window_ms {
            windows.push(Window {
                duration_ms: used_ms + config.gap_ms,
                pieces: std::mem::take(&mut current),
            });
            used_ms = 0;
        }
        let lead = if current.is_empty() { 0 } else { config.gap_ms };
        current.push(Piece {
            region: region.clone(),
            source_start_ms,
            source_end_ms,
            window_start_ms: used_ms + lead,
        });
        used_ms += lead + len;
    }
    if !current.is_empty() {
        windows.push(Window {
            duration_ms: used_ms + config.gap_ms,
            pieces: current,
        });
    }
    windows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions(spans: &[(u64, u64)]) -> Vec<SpeechRegion> {
        spans
            .iter()
            .map(|&(s, e)| SpeechRegion::new(s, e))
            .collect()
    }

    /// The numbers below are worked out for 400 ms gaps.
    fn gap_400() -> PackConfig {
        PackConfig {
            gap_ms: 400,
            ..PackConfig::default()
        }
    }

    #[test]
    fn short_regions_share_one_window() {
        let regs = regions(&[(1000, 3000), (10_000, 12_000), (40_000, 45_000)]);
        let windows = pack_windows(&regs, 60_000, 150, &gap_400());
        assert_eq!(windows.len(), 1);
        let w = &windows[0];
        assert_eq!(w.pieces.len(), 3);
        assert_eq!(
            (w.pieces[0].source_start_ms, w.pieces[0].source_end_ms),
            (850, 3150)
        );
        assert_eq!(w.pieces[0].window_start_ms, 0);
        assert_eq!(w.pieces[1].window_start_ms, 2300 + 400);
        assert_eq!(w.pieces[2].window_start_ms, 2300 + 400 + 2300 + 400);
        assert_eq!(w.duration_ms, 2300 + 400 + 2300 + 400 + 5300 + 400);
        assert_eq!(w.speech_ms(), 9000);
    }

    #[test]
    fn windows_never_exceed_the_limit() {
        let spans: Vec<(u64, u64)> = (0..20)
            .map(|i| (i * 10_000 + 500, i * 10_000 + 6_500))
            .collect();
        let regs = regions(&spans);
        let config = PackConfig::default();
        let windows = pack_windows(&regs, 200_000, 150, &config);
        assert!(windows.len() >= 5, "{}", windows.len());
        assert!(windows
            .iter()
            .all(|w| w.duration_ms <= config.max_window_ms));
        let packed: usize = windows.iter().map(|w| w.pieces.len()).sum();
        assert_eq!(packed, 20, "every region is in exactly one window");
    }

    #[test]
    fn padding_stays_inside_the_recording_and_between_neighbours() {
        let regs = regions(&[(50, 1000), (1200, 2000), (2100, 2990)]);
        let windows = pack_windows(&regs, 3000, 150, &PackConfig::default());
        let pieces: Vec<&Piece> = windows.iter().flat_map(|w| &w.pieces).collect();
        assert_eq!(pieces[0].source_start_ms, 0);
        assert_eq!(pieces[0].source_end_ms, 1100);
        assert_eq!(pieces[1].source_start_ms, 1100);
        assert_eq!(pieces[1].source_end_ms, 2050);
        assert_eq!(pieces[2].source_start_ms, 2050);
        assert_eq!(pieces[2].source_end_ms, 3000);
    }

    #[test]
    fn window_times_map_back_to_the_recording() {
        let regs = regions(&[(1000, 3000), (10_000, 12_000)]);
        let w = &pack_windows(&regs, 20_000, 150, &gap_400())[0];
        // Inside the first piece.
        assert_eq!(
            w.locate(150),
            Location {
                piece: 0,
                source_ms: 1000,
                outside_ms: 0
            }
        );
        // Inside the second piece: it starts at window 2700 = source 9850.
        assert_eq!(
            w.locate(2700 + 1150),
            Location {
                piece: 1,
                source_ms: 11_000,
                outside_ms: 0
            }
        );
        // In the gap, nearer the first piece: clamped to its end.
        assert_eq!(
            w.locate(2400),
            Location {
                piece: 0,
                source_ms: 3150,
                outside_ms: 100
            }
        );
        // After everything.
        let end = w.locate(w.duration_ms);
        assert_eq!((end.piece, end.source_ms, end.outside_ms), (1, 12_150, 400));
    }

    #[test]
    fn window_samples_copy_the_pieces_and_silence_the_gaps() {
        let channel: Vec<f32> = (0..20_000 * 16).map(|i| 1.0 + i as f32).collect();
        let regs = regions(&[(1000, 3000), (10_000, 12_000)]);
        let w = &pack_windows(&regs, 20_000, 150, &gap_400())[0];
        let samples = w.samples(&channel, 16);
        assert_eq!(samples.len(), w.duration_ms as usize * 16);
        assert_eq!(samples[0], channel[850 * 16]);
        assert_eq!(samples[2300 * 16 - 1], channel[3150 * 16 - 1]);
        assert!(samples[2300 * 16..2700 * 16].iter().all(|&s| s == 0.0));
        assert_eq!(samples[2700 * 16], channel[9850 * 16]);
        assert!(samples[samples.len() - 400 * 16..]
            .iter()
            .all(|&s| s == 0.0));
    }
}
