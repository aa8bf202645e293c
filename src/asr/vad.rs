//! Energy voice-activity detection for one channel: where somebody speaks,
//! so that silence is never sent to Whisper (it invents text on silence, and
//! after a long silence it tends to skip the next turn).
//!
//! The detector works on 10 ms RMS frames (see [`frame_levels_dbfs`]): a
//! frame is speech when it is louder than a threshold, speech frames closer
//! than [`VadConfig::merge_gap_ms`] form one region, and regions with too
//! little speech (clicks, line pops) are dropped. The threshold is the fixed
//! [`VadConfig::threshold_dbfs`] (−45 dBFS, what worked on the dev calls,
//! whose line noise sits at −64 dBFS), raised when the channel's own noise
//! floor is louder so a noisy line does not become one endless region.
//!
//! It also reports the pauses inside each region ([`SpeechRegion::spans`]),
//! because turn changes on a mono recording happen at pauses far shorter than
//! the gap that separates Whisper windows.

use crate::audio::frame_levels_dbfs;

/// Settings of the energy detector. The defaults are those of the dev-set
/// ASR check (10 ms frames > −45 dBFS, gaps < 0.6 s merged, 0.15 s pad).
#[derive(Debug, Clone, PartialEq)]
pub struct VadConfig {
    /// Frame length for the energy measure.
    pub frame_ms: u64,
    /// A frame louder than this is speech (unless the noise floor says
    /// otherwise, see `adaptive`).
    pub threshold_dbfs: f32,
    /// Raise the threshold to `noise floor + noise_margin_db` on noisy lines.
    pub adaptive: bool,
    /// How far above the measured noise floor speech must be.
    pub noise_margin_db: f32,
    /// The adaptive threshold never goes above this: a channel that is
    /// almost all speech has no usable floor, and real speech peaks above it.
    pub max_threshold_dbfs: f32,
    /// Speech separated by less silence than this is one region.
    pub merge_gap_ms: u64,
    /// Silence inside a region at least this long is a pause (a possible
    /// turn change on a mono recording).
    pub pause_ms: u64,
    /// Regions with fewer speech frames than this are noise, not speech.
    pub min_speech_ms: u64,
    /// Audio kept around each region when it is cut out for recognition, so
    /// soft onsets and trailing consonants are not clipped.
    pub pad_ms: u64,
}

impl Default for VadConfig {
    fn default() -> Self {
        VadConfig {
            frame_ms: 10,
            threshold_dbfs: -45.0,
            adaptive: true,
            noise_margin_db: 15.0,
            max_threshold_dbfs: -30.0,
            merge_gap_ms: 600,
            pause_ms: 300,
            min_speech_ms: 80,
            pad_ms: 150,
        }
    }
}

impl VadConfig {
    /// Stable `key=value` text of every setting (part of the ASR settings stamp).
    pub fn describe(&self) -> String {
        format!(
            "vad_frame_ms={},vad_threshold_dbfs={},vad_adaptive={},vad_noise_margin_db={},vad_max_threshold_dbfs={},vad_merge_gap_ms={},vad_pause_ms={},vad_min_speech_ms={},vad_pad_ms={}",
            self.frame_ms,
            self.threshold_dbfs,
            self.adaptive,
            self.noise_margin_db,
            self.max_threshold_dbfs,
            self.merge_gap_ms,
            self.pause_ms,
            self.min_speech_ms,
            self.pad_ms
        )
    }
}

/// A stretch of speech on one channel, in ms from the start of the
/// recording, without padding: from the first to the last speech frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeechRegion {
    pub start_ms: u64,
    pub end_ms: u64,
    /// The speech inside the region split at pauses of at least
    /// [`VadConfig::pause_ms`]: `(start_ms, end_ms)`, in order, covering
    /// `start_ms..end_ms` with the pauses left out.
    pub spans: Vec<(u64, u64)>,
}

impl SpeechRegion {
    /// A region without inner pauses.
    pub fn new(start_ms: u64, end_ms: u64) -> SpeechRegion {
        SpeechRegion {
            start_ms,
            end_ms,
            spans: vec![(start_ms, end_ms)],
        }
    }

    pub fn duration_ms(&self) -> u64 {
        self.end_ms - self.start_ms
    }
}

/// What the detector found on one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct VadResult {
    pub regions: Vec<SpeechRegion>,
    /// The threshold actually used, dBFS.
    pub threshold_dbfs: f32,
    /// The measured noise floor (5th percentile of frame levels), dBFS.
    pub noise_floor_dbfs: f32,
    /// 10 ms (`frame_ms`) frame levels, for callers that need to cut regions
    /// at quiet points.
    pub frame_levels_dbfs: Vec<f32>,
}

impl VadResult {
    /// Total speech in ms (sum of the regions).
    pub fn speech_ms(&self) -> u64 {
        self.regions.iter().map(SpeechRegion::duration_ms).sum()
    }
}

/// The `fraction` quantile (0..=1) of `levels`; the digital-silence floor for none.
pub fn level_quantile(levels: &[f32], fraction: f32) -> f32 {
    if levels.is_empty() {
        return crate::audio::DIGITAL_SILENCE_DBFS;
    }
    let mut sorted = levels.to_vec();
    sorted.sort_by(f32::total_cmp);
    let index = ((sorted.len() - 1) as f32 * fraction.clamp(0.0, 1.0)).round() as usize;
    sorted[index]
}

/// Finds the speech regions of one channel of `sample_rate` audio.
pub fn detect_speech(samples: &[f32], sample_rate: u32, config: &VadConfig) -> VadResult {
    let levels = frame_levels_dbfs(samples, frame_len(sample_rate, config));
    let total_ms = samples.len() as u64 * 1000 / u64::from(sample_rate.max(1));
    detect_speech_in_levels(levels, total_ms, config)
}

/// Samples per VAD frame at `sample_rate`.
pub fn frame_len(sample_rate: u32, config: &VadConfig) -> usize {
    ((u64::from(sample_rate) * config.frame_ms.max(1)) / 1000).max(1) as usize
}

/// [`detect_speech`] on frame levels already measured (a recording streamed
/// block by block keeps its levels, not its samples); `total_ms` is the
/// channel's length.
pub fn detect_speech_in_levels(levels: Vec<f32>, total_ms: u64, config: &VadConfig) -> VadResult {
    let frame_ms = config.frame_ms.max(1);
    let noise_floor = level_quantile(&levels, 0.05);
    let threshold = if config.adaptive {
        config
            .threshold_dbfs
            .max((noise_floor + config.noise_margin_db).min(config.max_threshold_dbfs))
    } else {
        config.threshold_dbfs
    };
    let regions = regions_from_levels(&levels, threshold, frame_ms, total_ms, config);
    VadResult {
        regions,
        threshold_dbfs: threshold,
        noise_floor_dbfs: noise_floor,
        frame_levels_dbfs: levels,
    }
}

/// Groups frames above `threshold` into regions (the core of
/// [`detect_speech`], separate so it can be tested on made-up levels).
pub fn regions_from_levels(
    levels: &[f32],
    threshold: f32,
    frame_ms: u64,
    total_ms: u64,
    config: &VadConfig,
) -> Vec<SpeechRegion> {
    // Runs of consecutive speech frames, as frame index ranges.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut run_start = None;
    for (i, &level) in levels.iter().enumerate() {
        match (level > threshold, run_start) {
            (true, None) => run_start = Some(i),
            (false, Some(start)) => {
                runs.push((start, i));
                run_start = None;
            }
            _ => {}
        }
    }
    if let Some(start) = run_start {
        runs.push((start, levels.len()));
    }

    let merge_gap_frames = config.merge_gap_ms.div_ceil(frame_ms) as usize;
    let pause_frames = config.pause_ms.div_ceil(frame_ms) as usize;
    let min_speech_frames = config.min_speech_ms.div_ceil(frame_ms) as usize;
    let to_ms = |frame: usize| (frame as u64 * frame_ms).min(total_ms);

    let mut regions = Vec::new();
    let mut group: Vec<(usize, usize)> = Vec::new();
    let flush = |group: &mut Vec<(usize, usize)>, regions: &mut Vec<SpeechRegion>| {
        let speech_frames: usize = group.iter().map(|(s, e)| e - s).sum();
        if !group.is_empty() && speech_frames >= min_speech_frames {
            let mut spans: Vec<(u64, u64)> = Vec::new();
            let mut span = group[0];
            for &(s, e) in &group[1..] {
                if s - span.1 >= pause_frames {
                    spans.push((to_ms(span.0), to_ms(span.1)));
                    span = (s, e);
                } else {
                    span.1 = e;
                }
            }
            spans.push((to_ms(span.0), to_ms(span.1)));
            regions.push(SpeechRegion {
                start_ms: spans[0].0,
                end_ms: spans[spans.len() - 1].1,
                spans,
            });
        }
        group.clear();
    };
    for run in runs {
        if let Some(&(_, last_end)) = group.last() {
            if run.0 - last_end >= merge_gap_frames {
                flush(&mut group, &mut regions);
            }
        }
        group.push(run);
    }
    flush(&mut group, &mut regions);
    regions
}

/// Cuts regions longer than `max_ms` at their quietest moment, so every
/// piece fits one Whisper window. The cut is searched in the second half of
/// the allowed length (never a sliver) on levels smoothed over 200 ms, so it
/// lands in a breath pause rather than between two loud frames of a word.
pub fn split_long_regions(
    regions: Vec<SpeechRegion>,
    levels: &[f32],
    frame_ms: u64,
    max_ms: u64,
) -> Vec<SpeechRegion> {
    let frame_ms = frame_ms.max(1);
    let mut out = Vec::with_capacity(regions.len());
    for region in regions {
        let mut rest = region;
        while rest.duration_ms() > max_ms {
            let search_from = rest.start_ms + max_ms / 2;
            let search_to = rest.start_ms + max_ms;
            let cut = quietest_point(levels, frame_ms, search_from, search_to);
            let (head, tail) = split_region_at(&rest, cut);
            out.push(head);
            rest = tail;
        }
        out.push(rest);
    }
    out
}

/// The ms (a frame boundary) in `from_ms..to_ms` with the lowest 200 ms
/// average level; a pause span boundary when the region has one.
fn quietest_point(levels: &[f32], frame_ms: u64, from_ms: u64, to_ms: u64) -> u64 {
    let smooth = (200 / frame_ms).max(1) as usize;
    let first = (from_ms / frame_ms) as usize;
    let last = ((to_ms / frame_ms) as usize).min(levels.len());
    let mut best = (f32::INFINITY, to_ms);
    for center in first..last {
        let lo = center.saturating_sub(smooth / 2);
        let hi = (center + smooth / 2 + 1).min(levels.len());
        if hi <= lo {
            continue;
        }
        let mean = levels[lo..hi].iter().sum::<f32>() / (hi - lo) as f32;
        // Ties go to the later point: fewer, fuller windows.
        if mean <= best.0 {
            best = (mean, center as u64 * frame_ms);
        }
    }
    best.1.clamp(from_ms, to_ms)
}

fn split_region_at(region: &SpeechRegion, cut_ms: u64) -> (SpeechRegion, SpeechRegion) {
    let mut head_spans = Vec::new();
    let mut tail_spans = Vec::new();
    for &(s, e) in &region.spans {
        if e <= cut_ms {
            head_spans.push((s, e));
        } else if s >= cut_ms {
            tail_spans.push((s, e));
        } else {
            head_spans.push((s, cut_ms));
            tail_spans.push((cut_ms, e));
        }
    }
    if head_spans.is_empty() {
        head_spans.push((region.start_ms, cut_ms));
    }
    if tail_spans.is_empty() {
        tail_spans.push((cut_ms, region.end_ms));
    }
    let head = SpeechRegion {
        start_ms: region.start_ms,
        end_ms: head_spans[head_spans.len() - 1].1,
        spans: head_spans,
    };
    let tail = SpeechRegion {
        start_ms: tail_spans[0].0,
        end_ms: region.end_ms,
        spans: tail_spans,
    };
    (head, tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 16_000;

    /// Deterministic white-ish noise at roughly `dbfs` RMS.
    fn noise(ms: u64, dbfs: f32, seed: &mut u32) -> Vec<f32> {
        let amplitude = 10f32.powf(dbfs / 20.0) * 3f32.sqrt();
        (0..ms * 16)
            .map(|_| {
                *seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                ((*seed >> 8) as f32 / (1 << 24) as f32 * 2.0 - 1.0) * amplitude
            })
            .collect()
    }

    fn tone(ms: u64, dbfs: f32) -> Vec<f32> {
        let amplitude = 10f32.powf(dbfs / 20.0) * 2f32.sqrt();
        (0..ms * 16)
            .map(|i| {
                amplitude * (i as f32 * 2.0 * std::f32::consts::PI * 300.0 / RATE as f32).sin()
            })
            .collect()
    }

    /// Line noise at −64 dBFS with tones added at the given (start, end, dBFS).
    fn signal(total_ms: u64, bursts: &[(u64, u64, f32)]) -> Vec<f32> {
        let mut seed = 7;
        let mut samples = noise(total_ms, -64.0, &mut seed);
        for &(start, end, level) in bursts {
            let burst = tone(end - start, level);
            for (i, s) in burst.iter().enumerate() {
                samples[(start * 16) as usize + i] += s;
            }
        }
        samples
    }

    #[test]
    fn line_noise_alone_is_not_speech() {
        let result = detect_speech(&signal(5000, &[]), RATE, &VadConfig::default());
        assert!(result.regions.is_empty(), "{:?}", result.regions);
        assert!(
            (result.noise_floor_dbfs + 64.0).abs() < 3.0,
            "{}",
            result.noise_floor_dbfs
        );
        assert_eq!(result.threshold_dbfs, -45.0);
    }

    #[test]
    fn bursts_become_regions_with_exact_edges() {
        let samples = signal(10_000, &[(1000, 2500, -20.0), (5000, 7000, -25.0)]);
        let result = detect_speech(&samples, RATE, &VadConfig::default());
        let edges: Vec<(u64, u64)> = result
            .regions
            .iter()
            .map(|r| (r.start_ms, r.end_ms))
            .collect();
        assert_eq!(edges, vec![(1000, 2500), (5000, 7000)]);
        assert_eq!(result.speech_ms(), 3500);
    }

    #[test]
    fn short_gaps_merge_and_become_pauses() {
        // 400 ms gap: under the 600 ms merge gap but over the 300 ms pause.
        // 100 ms gap: neither.
        let samples = signal(
            8000,
            &[
                (1000, 2000, -20.0),
                (2400, 3000, -20.0),
                (3100, 4000, -20.0),
            ],
        );
        let result = detect_speech(&samples, RATE, &VadConfig::default());
        assert_eq!(result.regions.len(), 1);
        assert_eq!(result.regions[0].start_ms, 1000);
        assert_eq!(result.regions[0].end_ms, 4000);
        assert_eq!(result.regions[0].spans, vec![(1000, 2000), (2400, 4000)]);
    }

    #[test]
    fn clicks_are_dropped() {
        let samples = signal(4000, &[(1000, 1030, -10.0)]);
        assert!(detect_speech(&samples, RATE, &VadConfig::default())
            .regions
            .is_empty());
    }

    #[test]
    fn a_noisy_line_raises_the_threshold() {
        let mut seed = 3;
        let mut samples = noise(6000, -40.0, &mut seed);
        let speech = tone(1000, -15.0);
        for (i, s) in speech.iter().enumerate() {
            samples[32_000 + i] += s;
        }
        let fixed = detect_speech(
            &samples,
            RATE,
            &VadConfig {
                adaptive: false,
                ..VadConfig::default()
            },
        );
        assert_eq!(fixed.regions.len(), 1);
        assert!(
            fixed.regions[0].duration_ms() > 5000,
            "the fixed threshold takes the noise for speech"
        );
        let adaptive = detect_speech(&samples, RATE, &VadConfig::default());
        assert_eq!(adaptive.regions.len(), 1, "{:?}", adaptive.regions);
        assert_eq!(
            (adaptive.regions[0].start_ms, adaptive.regions[0].end_ms),
            (2000, 3000)
        );
    }

    #[test]
    fn digital_silence_has_no_regions() {
        let result = detect_speech(&vec![0.0; 16_000], RATE, &VadConfig::default());
        assert!(result.regions.is_empty());
    }

    #[test]
    fn long_regions_are_cut_in_their_quietest_pause() {
        // 40 s of speech with a quieter stretch at 25.0–25.3 s (above the
        // threshold, so still one region).
        let mut levels = vec![-20.0f32; 4000];
        for level in &mut levels[2500..2530] {
            *level = -42.0;
        }
        let region = SpeechRegion::new(0, 40_000);
        let pieces = split_long_regions(vec![region], &levels, 10, 28_000);
        assert_eq!(pieces.len(), 2);
        assert!(
            (25_000..=25_300).contains(&pieces[0].end_ms),
            "{:?}",
            pieces
        );
        assert_eq!(pieces[0].end_ms, pieces[1].start_ms);
        assert_eq!(pieces[1].end_ms, 40_000);
        assert!(pieces.iter().all(|p| p.duration_ms() <= 28_000));
    }

    #[test]
    fn very_long_regions_are_cut_repeatedly() {
        let levels = vec![-20.0f32; 10_000];
        let pieces = split_long_regions(vec![SpeechRegion::new(0, 100_000)], &levels, 10, 28_000);
        assert_eq!(pieces.len(), 4, "{pieces:?}");
        assert!(pieces.iter().all(|p| p.duration_ms() <= 28_000));
        assert_eq!(pieces.last().unwrap().end_ms, 100_000);
    }
}
