//! The Whisper implementation of [`Transcriber`] (whisper.cpp through
//! whisper-rs).
//!
//! It owns the model (loaded once into a [`WhisperContext`] shared by all
//! workers), the decoder states (a pool bounded by `parallel_windows`,
//! created on first need), the decoding settings, and turning one channel
//! into timed segments:
//!
//! ```text
//! channel ─▶ vad::detect_speech ─▶ split long regions ─▶ pack::pack_windows
//!        ─▶ whisper_full per window (encoder sized to the window; windows in
//!           parallel when workers are idle) ─▶ tokens → characters (chars)
//!        ─▶ window times → recording times ─▶ drop hallucinations
//!        ─▶ split at regions and pauses ─▶ AsrSegment
//! ```
//!
//! Speed comes from three places (measured in docs/benchmarks.md): the encoder —
//! most of the cost — runs on each window's own length plus a margin instead
//! of 30 s; single-thread workers take windows of any call or channel, so
//! both cores stay busy even on one call; and ggml's tinyBLAS kernels
//! (`.cargo/config.toml`) do the encoder's matrix products.
//!
//! Segments come back split at every VAD pause (≥ 300 ms) and snapped to the
//! speech on/offsets the VAD measured, which are far more accurate than
//! Whisper's own timestamps; joining them into turns is the job of
//! [`super::merge`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use rayon::prelude::*;

use whisper_rs::{
    FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState,
};

use super::chars::{merge_token_bytes, simplify, text_of, TokenPiece};
use super::hallucination;
use super::pack::{pack_windows, PackConfig, Window};
use super::vad::{detect_speech, split_long_regions, VadConfig};
use super::{AsrError, AsrInfo, AsrSegment, CallContext, CharTiming, Transcriber};
use crate::models::{self, ModelInfo};

/// Encoder contexts are whole multiples of this many frames (1.28 s).
/// ggml's tinyBLAS kernels only take matrix products whose inner dimension
/// is a multiple of 16; the attention-times-values product of the encoder
/// has the context as its inner dimension, and with any other length it
/// falls back to one dot product per output (14 % more CPU time on the dev
/// calls, same error rate over the dev and fixture calls).
const AUDIO_CTX_ALIGN: u64 = 64;

/// Whisper's input rate, and samples per ms at it.
const SAMPLE_RATE: u32 = crate::audio::OUTPUT_SAMPLE_RATE;
const SAMPLES_PER_MS: usize = (SAMPLE_RATE / 1000) as usize;

/// Everything that decides what the whisper transcriber outputs (and how
/// fast). All but `threads` go into [`AsrInfo::settings`].
#[derive(Debug, Clone, PartialEq)]
pub struct WhisperSettings {
    /// Model name for [`models::resolve`] ("base", "base-q5_1") or a path.
    pub model: String,
    /// Threads per whisper call. Keep `parallel_windows × threads` ≤ free
    /// cores: the default build busy-waits, and oversubscription was 23×
    /// slower.
    pub threads: usize,
    /// Whisper calls (windows) that may run at once, each with its own
    /// decoder state and `threads` threads; callers asking for more wait.
    /// This bounds the CPU whisper uses however many workers transcribe.
    /// Like `threads` it changes speed, never text (windows are decoded
    /// independently).
    pub parallel_windows: usize,
    /// `Some(n)`: beam search of width n; `None`: greedy.
    pub beam_size: Option<u32>,
    /// Greedy candidates when the temperature fallback samples.
    pub best_of: u32,
    /// Language code; Mandarin calls are "zh".
    pub language: String,
    /// Re-decode at higher temperatures when a window fails the entropy or
    /// log-probability checks. Off by default: sampling draws on a random
    /// generator that lives in the reused decoder state, so with it on the
    /// same audio could come out differently depending on what the worker
    /// transcribed before, and transcripts must be reproducible.
    pub temperature_fallback: bool,
    /// Segments of a window whose no-speech probability (Whisper's
    /// `<|nospeech|>` after `<|startoftranscript|>`, see `window_no_speech`)
    /// is above this are dropped as noise. Measured with base-q8_0 on every
    /// window of the 14 real clips, the 4 dev calls and the 5 bundled calls
    /// (115 segments, none dropped): at most 0.404 (the real 8 kHz
    /// insurance call), most under 0.12; white noise 0.63, sine tones 0.80
    /// (tests/no_speech.rs). Also whisper.cpp's own threshold, which with its
    /// no-speech figure (always ≈ 0) never fires.
    pub no_speech_threshold: f32,
    pub logprob_threshold: f32,
    /// Compression-like check on long outputs (whisper.cpp's default).
    pub entropy_threshold: f32,
    /// Text the decoder is conditioned on. None by default: MODELS.md
    /// measured `以下是普通话的句子。` dropping sentences.
    pub initial_prompt: Option<String>,
    /// Write Simplified characters (Whisper base writes Traditional).
    pub simplified: bool,
    /// Segments whose mean character probability is below this are dropped.
    pub min_confidence: f64,
    /// `Some(margin)`: run the encoder on the window plus `margin` ms
    /// instead of always on 30 s (whisper.cpp's `audio_ctx`). The encoder is
    /// most of the cost and packed windows are rarely full, so this is the
    /// largest speed-up there is; without a margin of silence after the
    /// speech Whisper loses the last words (CER 12 % instead of 9 % on the
    /// dev calls with no margin). `None`: always 30 s.
    pub audio_ctx_margin_ms: Option<u64>,
    pub vad: VadConfig,
    pub pack: PackConfig,
}

impl Default for WhisperSettings {
    fn default() -> Self {
        WhisperSettings {
            model: models::DEFAULT_MODEL.to_string(),
            threads: 2,
            parallel_windows: 1,
            beam_size: None,
            best_of: 1,
            language: "zh".to_string(),
            temperature_fallback: false,
            no_speech_threshold: 0.5,
            logprob_threshold: -1.0,
            entropy_threshold: 2.4,
            initial_prompt: None,
            simplified: true,
            min_confidence: 0.2,
            audio_ctx_margin_ms: Some(1000),
            vad: VadConfig::default(),
            pack: PackConfig::default(),
        }
    }
}

impl WhisperSettings {
    /// Stable `key=value` text of every setting that changes the output.
    /// `threads` and `parallel_windows` are left out on purpose: they only
    /// change speed, and leaving them in would re-transcribe every cached
    /// call when a machine has more cores.
    pub fn describe(&self) -> String {
        let strategy = match self.beam_size {
            Some(width) => format!("beam{width}"),
            None => format!("greedy,best_of={}", self.best_of),
        };
        let audio_ctx = match self.audio_ctx_margin_ms {
            Some(margin) => format!("window+{margin}ms/{AUDIO_CTX_ALIGN}"),
            None => "30s".to_string(),
        };
        format!(
            "lang={},strategy={},temperature_fallback={},no_speech_thold={},logprob_thold={},entropy_thold={},prompt={:?},simplified={},min_confidence={},audio_ctx={audio_ctx},no_context=true,suppress_blank=true,suppress_nst=true,token_timestamps=true,{},{}",
            self.language,
            strategy,
            self.temperature_fallback,
            self.no_speech_threshold,
            self.logprob_threshold,
            self.entropy_threshold,
            self.initial_prompt.as_deref().unwrap_or(""),
            self.simplified,
            self.min_confidence,
            self.vad.describe(),
            self.pack.describe()
        )
    }
}

/// Work done so far by one transcriber (all workers together), for
/// benchmarks and progress reports.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WhisperCounters {
    /// Channels transcribed.
    pub channels: u64,
    /// Their total length, ms.
    pub channel_ms: u64,
    /// Speech found by the VAD, ms.
    pub speech_ms: u64,
    /// Whisper calls (windows) and the audio fed to them, ms.
    pub windows: u64,
    pub window_ms: u64,
    /// Wall-clock time inside whisper calls, ms.
    pub whisper_ms: u64,
    /// Segments dropped as hallucinations (boilerplate, outside speech,
    /// repeats, low confidence).
    pub dropped_segments: u64,
}

#[derive(Default)]
struct AtomicCounters {
    channels: AtomicU64,
    channel_ms: AtomicU64,
    speech_ms: AtomicU64,
    windows: AtomicU64,
    window_ms: AtomicU64,
    whisper_ms: AtomicU64,
    dropped_segments: AtomicU64,
}

/// Decoder states: the idle ones and how many are lent out.
#[derive(Default)]
struct StatePool {
    idle: Vec<WhisperState>,
    lent: usize,
}

/// The Whisper transcriber: one model, a bounded pool of decoder states.
pub struct WhisperTranscriber {
    context: WhisperContext,
    model: ModelInfo,
    settings: WhisperSettings,
    /// A window takes a state (creating one when none is idle and fewer than
    /// `parallel_windows` are lent) and gives it back, so there are never
    /// more states than windows that ran at the same time, none is shared by
    /// two at once, and no more than `parallel_windows` whisper calls run.
    states: Mutex<StatePool>,
    state_returned: Condvar,
    counters: AtomicCounters,
}

/// A decoder state lent to one window; back to the pool when dropped.
struct StateLease<'a> {
    owner: &'a WhisperTranscriber,
    state: Option<WhisperState>,
}

impl StateLease<'_> {
    fn state(&mut self) -> &mut WhisperState {
        self.state
            .as_mut()
            .expect("a lease holds its state until dropped")
    }

    /// After a failed call the state may be half-way through a window: it
    /// is dropped instead of reused (the slot is freed all the same).
    fn discard(mut self) {
        self.state = None;
    }
}

impl Drop for StateLease<'_> {
    fn drop(&mut self) {
        let mut pool = self.owner.lock_states();
        pool.lent -= 1;
        if let Some(state) = self.state.take() {
            pool.idle.push(state);
        }
        drop(pool);
        self.owner.state_returned.notify_one();
    }
}

impl std::fmt::Debug for WhisperTranscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhisperTranscriber")
            .field("model", &self.model)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl WhisperTranscriber {
    /// Finds and verifies `settings.model` in the model cache (or at its
    /// path) and loads it.
    pub fn new(settings: WhisperSettings) -> Result<WhisperTranscriber, AsrError> {
        let model =
            models::resolve(&settings.model).map_err(|e| AsrError::Engine(e.to_string()))?;
        WhisperTranscriber::with_model(model, settings)
    }

    /// Loads an already resolved model.
    pub fn with_model(
        model: ModelInfo,
        settings: WhisperSettings,
    ) -> Result<WhisperTranscriber, AsrError> {
        // whisper.cpp logs every model load and window to stderr; route it
        // into whisper-rs's hooks, which drop it (no log backend enabled).
        whisper_rs::install_logging_hooks();
        // whisper.cpp aborts the process on some damaged files: they stop here with a cause.
        models::validate::validate_file(&model.path)
            .map_err(|e| AsrError::Engine(e.to_string()))?;
        let mut params = WhisperContextParameters::default();
        params.use_gpu(false);
        let context =
            WhisperContext::new_with_params(&model.path, params).map_err(|e| AsrError::Input {
                path: model.path.clone(),
                message: format!("cannot load the whisper model: {e}"),
            })?;
        Ok(WhisperTranscriber {
            context,
            model,
            settings,
            states: Mutex::new(StatePool::default()),
            state_returned: Condvar::new(),
            counters: AtomicCounters::default(),
        })
    }

    pub fn settings(&self) -> &WhisperSettings {
        &self.settings
    }

    pub fn model(&self) -> &ModelInfo {
        &self.model
    }

    /// Work done so far.
    pub fn counters(&self) -> WhisperCounters {
        let c = &self.counters;
        WhisperCounters {
            channels: c.channels.load(Ordering::Relaxed),
            channel_ms: c.channel_ms.load(Ordering::Relaxed),
            speech_ms: c.speech_ms.load(Ordering::Relaxed),
            windows: c.windows.load(Ordering::Relaxed),
            window_ms: c.window_ms.load(Ordering::Relaxed),
            whisper_ms: c.whisper_ms.load(Ordering::Relaxed),
            dropped_segments: c.dropped_segments.load(Ordering::Relaxed),
        }
    }

    fn lock_states(&self) -> std::sync::MutexGuard<'_, StatePool> {
        self.states.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a free slot and lends a state (an idle one, or a new one).
    fn lease_state(&self) -> Result<StateLease<'_>, AsrError> {
        let limit = self.settings.parallel_windows.max(1);
        let mut pool = self.lock_states();
        while pool.lent >= limit {
            pool = self
                .state_returned
                .wait(pool)
                .unwrap_or_else(|e| e.into_inner());
        }
        pool.lent += 1;
        let idle = pool.idle.pop();
        drop(pool);
        // From here the lease gives the slot back whatever happens.
        let mut lease = StateLease {
            owner: self,
            state: idle,
        };
        if lease.state.is_none() {
            let state = self.context.create_state().map_err(|e| {
                AsrError::Engine(format!(
                    "{}: cannot create a decoder state: {e}",
                    self.model.path.display()
                ))
            })?;
            lease.state = Some(state);
        }
        Ok(lease)
    }

    /// The encoder context for a window: the window plus the margin, in
    /// 20 ms encoder frames rounded up to [`AUDIO_CTX_ALIGN`], never more
    /// than the model's 30 s.
    fn audio_ctx_for(&self, window: &Window) -> Option<i32> {
        let margin = self.settings.audio_ctx_margin_ms?;
        Some(encoder_frames(
            window.duration_ms,
            margin,
            self.context.n_audio_ctx(),
        ))
    }

    fn full_params(&self) -> FullParams<'_, '_> {
        let s = &self.settings;
        let strategy = match s.beam_size {
            Some(width) => SamplingStrategy::BeamSearch {
                beam_size: width.max(1) as i32,
                patience: -1.0,
            },
            None => SamplingStrategy::Greedy {
                best_of: s.best_of.max(1) as i32,
            },
        };
        let mut params = FullParams::new(strategy);
        params.set_n_threads(s.threads.max(1) as i32);
        params.set_language(Some(&s.language));
        params.set_translate(false);
        // Each window is independent: conditioning on the previous window's
        // text is how one hallucination becomes a loop.
        params.set_no_context(true);
        params.set_token_timestamps(true);
        params.set_suppress_blank(true);
        params.set_suppress_nst(true);
        params.set_temperature(0.0);
        params.set_temperature_inc(if s.temperature_fallback { 0.2 } else { 0.0 });
        params.set_no_speech_thold(s.no_speech_threshold);
        params.set_logprob_thold(s.logprob_threshold);
        params.set_entropy_thold(s.entropy_threshold);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_special(false);
        params.set_print_timestamps(false);
        if let Some(prompt) = &s.initial_prompt {
            params.set_initial_prompt(prompt);
        }
        params
    }

    /// Runs Whisper on every window; up to `parallel_windows` at once when
    /// the caller runs inside a rayon pool with idle workers. Results come
    /// back in window order whatever order they finished in.
    fn run_windows(
        &self,
        windows: &[Window],
        samples: &[f32],
        call: &CallContext,
    ) -> Result<Vec<Vec<RawSegment>>, AsrError> {
        let decode =
            |(index, window): (usize, &Window)| self.run_window(index, window, samples, call);
        if self.settings.parallel_windows > 1 && windows.len() > 1 {
            windows.par_iter().enumerate().map(decode).collect()
        } else {
            windows.iter().enumerate().map(decode).collect()
        }
    }

    fn run_window(
        &self,
        index: usize,
        window: &Window,
        samples: &[f32],
        call: &CallContext,
    ) -> Result<Vec<RawSegment>, AsrError> {
        let audio = window.samples(samples, SAMPLES_PER_MS);
        let mut params = self.full_params();
        if let Some(audio_ctx) = self.audio_ctx_for(window) {
            params.set_audio_ctx(audio_ctx);
        }
        let mut lease = self.lease_state()?;
        let started = Instant::now();
        let outcome = lease.state().full(params, &audio);
        self.counters
            .whisper_ms
            .fetch_add(started.elapsed().as_millis() as u64, Ordering::Relaxed);
        self.counters.windows.fetch_add(1, Ordering::Relaxed);
        self.counters
            .window_ms
            .fetch_add(window.duration_ms, Ordering::Relaxed);
        if let Err(e) = outcome {
            lease.discard();
            return Err(AsrError::Engine(format!(
                "{}: whisper failed on window {} ({} ms of audio from {} ms): {e}",
                call.audio_path.display(),
                index + 1,
                window.duration_ms,
                window.pieces.first().map_or(0, |p| p.source_start_ms)
            )));
        }
        let mut segments = read_segments(lease.state(), self.context.token_eot());
        let no_speech = self.window_no_speech(lease.state());
        // A state that decoded by hand is not reused: the next window's
        // whisper_full on it came out different (5 s of loud noise after
        // another recording: no segment, instead of 21 on a fresh state), and
        // a window's text must not depend on what its state did before.
        lease.discard();
        let no_speech = no_speech.map_err(|message| {
            AsrError::Engine(format!(
                "{}: whisper failed on window {}: {message}",
                call.audio_path.display(),
                index + 1
            ))
        })?;
        for segment in &mut segments {
            segment.no_speech_prob = no_speech;
        }
        Ok(segments)
    }

    /// The probability Whisper gives `<|nospeech|>` for the window just
    /// decoded. whisper.cpp's own figure (`no_speech_probability` of a
    /// segment) is read after the language and task tokens, where the model
    /// never predicts `<|nospeech|>`: it was 0.000 on every segment of the
    /// real clips, the dev calls, white noise and tones alike. Whisper was
    /// trained to predict it right after `<|startoftranscript|>`, so decode
    /// that one token on the window's encoding (still in the state) and read
    /// it there: one decoder step, next to nothing beside the encoder.
    fn window_no_speech(&self, state: &mut WhisperState) -> Result<f32, String> {
        state
            .decode(&[self.context.token_sot()], 0, self.settings.threads.max(1))
            .map_err(|e| format!("no-speech probability: {e}"))?;
        let logits = state
            .get_logits()
            .map_err(|e| format!("no-speech probability: {e}"))?;
        let nosp = usize::try_from(self.context.token_nosp())
            .ok()
            .filter(|&i| i < logits.len())
            .ok_or("no-speech probability: the model has no <|nospeech|> token")?;
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let total: f64 = logits.iter().map(|&l| f64::from(l - max).exp()).sum();
        Ok((f64::from(logits[nosp] - max).exp() / total) as f32)
    }
}

/// Encoder frames (20 ms each) for `duration_ms` of audio plus `margin_ms`,
/// rounded up to [`AUDIO_CTX_ALIGN`] and capped at the model's `full`.
fn encoder_frames(duration_ms: u64, margin_ms: u64, full: i32) -> i32 {
    let frames = (duration_ms + margin_ms)
        .div_ceil(20)
        .next_multiple_of(AUDIO_CTX_ALIGN);
    (frames.min(full.max(1) as u64) as i32).max(1)
}

/// One Whisper segment as decoded, in window time.
#[derive(Debug, Clone)]
struct RawSegment {
    tokens: Vec<TokenPiece>,
    no_speech_prob: f32,
}

fn read_segments(state: &WhisperState, eot: i32) -> Vec<RawSegment> {
    let mut segments = Vec::new();
    for segment in state.as_iter() {
        let mut tokens = Vec::new();
        for i in 0..segment.n_tokens() {
            let Some(token) = segment.get_token(i) else {
                continue;
            };
            let data = token.token_data();
            // Special tokens (timestamps, <|zh|>, end of text) carry no text.
            if data.id >= eot {
                continue;
            }
            let Ok(bytes) = token.to_bytes() else {
                continue;
            };
            tokens.push(TokenPiece {
                bytes: bytes.to_vec(),
                start_ms: data.t0.max(0) as u64 * 10,
                end_ms: data.t1.max(data.t0).max(0) as u64 * 10,
                p: data.p,
            });
        }
        segments.push(RawSegment {
            tokens,
            no_speech_prob: segment.no_speech_probability(),
        });
    }
    segments
}

impl Transcriber for WhisperTranscriber {
    fn transcribe_channel(
        &self,
        samples: &[f32],
        _channel: usize,
        call: &CallContext,
    ) -> Result<Vec<AsrSegment>, AsrError> {
        let settings = &self.settings;
        let total_ms = samples.len() as u64 / SAMPLES_PER_MS as u64;
        let vad = detect_speech(samples, SAMPLE_RATE, &settings.vad);
        let regions = split_long_regions(
            vad.regions.clone(),
            &vad.frame_levels_dbfs,
            settings.vad.frame_ms,
            settings.pack.max_region_ms(settings.vad.pad_ms),
        );
        let windows = pack_windows(&regions, total_ms, settings.vad.pad_ms, &settings.pack);
        self.counters.channels.fetch_add(1, Ordering::Relaxed);
        self.counters
            .channel_ms
            .fetch_add(total_ms, Ordering::Relaxed);
        self.counters
            .speech_ms
            .fetch_add(vad.speech_ms(), Ordering::Relaxed);

        let decoded = self.run_windows(&windows, samples, call)?;
        let mut placed = Vec::new();
        let mut dropped = 0;
        for (window, raw_segments) in windows.iter().zip(decoded) {
            let (kept, n_dropped) = place_window_segments(window, raw_segments, settings);
            placed.extend(kept);
            dropped += n_dropped;
        }
        self.counters
            .dropped_segments
            .fetch_add(dropped, Ordering::Relaxed);
        Ok(finish_segments(placed))
    }

    fn info(&self) -> AsrInfo {
        let file_name = self
            .model
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.model.name.clone());
        AsrInfo {
            engine: format!(
                "whisper.cpp {} (whisper-rs 0.16)",
                whisper_rs::WHISPER_CPP_VERSION
            ),
            model: file_name,
            model_sha256: self.model.sha256.clone(),
            settings: self.settings.describe(),
        }
    }
}

/// Characters of one speech span (a VAD region stretch between pauses) that
/// came from one Whisper segment, on the recording's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedPart {
    /// Index of the speech span on the channel, for ordering and snapping:
    /// `(region start ms, span index within the region)`.
    pub span_key: (u64, usize),
    /// The span's speech on/offset (VAD), ms.
    pub span_start_ms: u64,
    pub span_end_ms: u64,
    /// The whole region's speech on/offset, ms.
    pub region_start_ms: u64,
    pub region_end_ms: u64,
    pub chars: Vec<CharTiming>,
}

/// Maps one window's segments onto the recording, drops the hallucinated
/// ones, and splits the rest at speech spans. Returns the parts and how many
/// segments were dropped.
pub fn place_window_segments_from_tokens(
    window: &Window,
    segments: Vec<(Vec<TokenPiece>, f32)>,
    settings: &WhisperSettings,
) -> (Vec<PlacedPart>, u64) {
    let raw = segments
        .into_iter()
        .map(|(tokens, no_speech_prob)| RawSegment {
            tokens,
            no_speech_prob,
        })
        .collect();
    place_window_segments(window, raw, settings)
}

/// How far outside every piece (in window time) a character may be and still
/// count as heard: Whisper's token times are only that precise.
const OUTSIDE_TOLERANCE_MS: u64 = 300;

fn place_window_segments(
    window: &Window,
    segments: Vec<RawSegment>,
    settings: &WhisperSettings,
) -> (Vec<PlacedPart>, u64) {
    let mut parts = Vec::new();
    let mut dropped = 0;
    let mut previous_text = String::new();
    for segment in segments {
        let mut chars = merge_token_bytes(&segment.tokens);
        if settings.simplified {
            simplify(&mut chars);
        }
        // Collapse loops (好的，好的，好的，…) to their first occurrence.
        let as_chars: Vec<char> = chars
            .iter()
            .map(|c| c.text.chars().next().unwrap_or(' '))
            .collect();
        let keep = hallucination::collapse_loops(&as_chars, 10, 4);
        if keep.len() < chars.len() {
            chars = keep.into_iter().map(|i| chars[i].clone()).collect();
        }
        let text = text_of(&chars);
        let content: Vec<&CharTiming> = chars.iter().filter(|c| !is_separator(c)).collect();
        let confidence = mean_p(&content);

        let outside = content
            .iter()
            .filter(|c| {
                window.locate((c.start_ms + c.end_ms) / 2).outside_ms > OUTSIDE_TOLERANCE_MS
            })
            .count();
        let hallucinated = content.is_empty()
            || hallucination::is_empty_text(&text)
            || hallucination::is_boilerplate(&text)
            || hallucination::is_repeat(&previous_text, &text, 4)
            // Mostly in the silence between pieces: nothing was said there.
            || outside * 2 > content.len()
            || confidence < settings.min_confidence
            // Whisper's own verdict that the window holds no speech
            // (`window_no_speech`), whatever the text's confidence: on noise
            // Whisper writes credits such as 作曲 李宗智 with p = 0.87.
            || segment.no_speech_prob > settings.no_speech_threshold;
        if hallucinated {
            dropped += 1;
            continue;
        }
        previous_text = text;

        // Which piece and speech span each character was heard in, by its
        // token time; separators (spaces, punctuation) have no say.
        let observed: Vec<Option<(usize, usize)>> = chars
            .iter()
            .map(|c| {
                if is_separator(c) {
                    return None;
                }
                let location = window.locate((c.start_ms + c.end_ms) / 2);
                let region = &window.pieces[location.piece].region;
                let mid = location.source_ms.clamp(region.start_ms, region.end_ms);
                Some((location.piece, nearest_span(&region.spans, mid)))
            })
            .collect();
        let separators: Vec<bool> = chars.iter().map(is_separator).collect();
        let labels = monotone_labels(&observed, &separators);

        let mut current: Option<PlacedPart> = None;
        for (c, (piece_index, span_index)) in chars.into_iter().zip(labels) {
            let piece = &window.pieces[piece_index];
            let region = &piece.region;
            let (span_start, span_end) = region.spans[span_index];
            let to_source = |t: u64| {
                let offset = t.saturating_sub(piece.window_start_ms).min(piece.len_ms());
                (piece.source_start_ms + offset).clamp(region.start_ms, region.end_ms)
            };
            let start_ms = to_source(c.start_ms);
            let placed = CharTiming {
                start_ms,
                end_ms: to_source(c.end_ms).max(start_ms),
                ..c
            };
            let key = (region.start_ms, span_index);
            match current.as_mut() {
                Some(part) if part.span_key == key => part.chars.push(placed),
                _ => {
                    if let Some(done) = current.take() {
                        parts.push(done);
                    }
                    current = Some(PlacedPart {
                        span_key: key,
                        span_start_ms: span_start,
                        span_end_ms: span_end,
                        region_start_ms: region.start_ms,
                        region_end_ms: region.end_ms,
                        chars: vec![placed],
                    });
                }
            }
        }
        if let Some(done) = current.take() {
            parts.push(done);
        }
    }
    (parts, dropped)
}

fn nearest_span(spans: &[(u64, u64)], ms: u64) -> usize {
    let distance = |&(s, e): &(u64, u64)| s.saturating_sub(ms) + ms.saturating_sub(e);
    (0..spans.len())
        .min_by_key(|&i| distance(&spans[i]))
        .unwrap_or(0)
}

/// Whitespace and punctuation: they mark pauses but are not heard anywhere.
fn is_separator(c: &CharTiming) -> bool {
    c.text
        .chars()
        .all(|ch| ch.is_whitespace() || crate::text::is_punctuation(ch))
}

/// Cost of changing speech span between two characters. Whisper's token
/// times drift by a character or two near pauses (measured on the dev
/// calls), so one or two characters' word is not enough to split there
/// (mismatching a character costs 1)…
const SPLIT_COST: f64 = 2.5;
/// …and a split right after a space or punctuation, where Whisper itself
/// heard the pause, is preferred when it is at most two characters away.
const SPLIT_AFTER_SEPARATOR_COST: f64 = 0.3;
/// A part never starts with punctuation: it belongs to the previous one.
const SPLIT_BEFORE_SEPARATOR_COST: f64 = 3.0;

/// Labels every character with a speech span so that labels never go back
/// in time, as few characters as possible disagree with their own token
/// time, and splits land after separators (`separators[i]`). `observed[i]`
/// is `None` for separators. Dynamic programming over (character, label).
#[allow(clippy::needless_range_loop)] // index form mirrors the recurrence
pub fn monotone_labels<L: Ord + Copy>(observed: &[Option<L>], separators: &[bool]) -> Vec<L> {
    let mut domain: Vec<L> = observed.iter().flatten().copied().collect();
    domain.sort();
    domain.dedup();
    if domain.is_empty() {
        return Vec::new();
    }
    let n = observed.len();
    let k = domain.len();
    let mismatch = |i: usize, label: usize| match observed[i] {
        Some(o) if o != domain[label] => 1.0,
        _ => 0.0,
    };
    let change_cost = |i: usize| {
        if separators[i] {
            SPLIT_BEFORE_SEPARATOR_COST
        } else if i > 0 && separators[i - 1] {
            SPLIT_AFTER_SEPARATOR_COST
        } else {
            SPLIT_COST
        }
    };
    let mut cost = vec![vec![f64::INFINITY; k]; n];
    let mut from = vec![vec![0usize; k]; n];
    for label in 0..k {
        cost[0][label] = mismatch(0, label);
    }
    for i in 1..n {
        for label in 0..k {
            let mut best = (f64::INFINITY, 0);
            for previous in 0..=label {
                let step = if previous == label {
                    0.0
                } else {
                    change_cost(i)
                };
                let total = cost[i - 1][previous] + step;
                if total < best.0 {
                    best = (total, previous);
                }
            }
            cost[i][label] = best.0 + mismatch(i, label);
            from[i][label] = best.1;
        }
    }
    let mut label = (0..k).fold(0, |best, l| {
        if cost[n - 1][l] < cost[n - 1][best] {
            l
        } else {
            best
        }
    });
    let mut labels = vec![domain[0]; n];
    for i in (0..n).rev() {
        labels[i] = domain[label];
        label = from[i][label];
    }
    labels
}

fn mean_p(chars: &[&CharTiming]) -> f64 {
    if chars.is_empty() {
        return 0.0;
    }
    chars.iter().map(|c| f64::from(c.p)).sum::<f64>() / chars.len() as f64
}

/// Turns placed parts into segments. Parts are ordered by speech span; the
/// first part of a region starts at the region's speech onset and the last
/// ends at its offset, a part that opens or closes a span takes the span's
/// edge, and parts sharing a span are made contiguous. The VAD edges are
/// accurate to 10 ms; Whisper's token times are not.
pub fn finish_segments(mut parts: Vec<PlacedPart>) -> Vec<AsrSegment> {
    parts.retain(|p| p.chars.iter().any(|c| !is_separator(c)));
    parts.sort_by_key(|p| {
        (
            p.span_key,
            p.chars
                .iter()
                .find(|c| !is_separator(c))
                .map_or(0, |c| c.start_ms),
        )
    });
    let mut segments: Vec<AsrSegment> = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        let previous = i.checked_sub(1).map(|j| &parts[j]);
        let next = parts.get(i + 1);
        let content: Vec<&CharTiming> = part.chars.iter().filter(|c| !is_separator(c)).collect();
        let first = content[0];
        let last = content[content.len() - 1];
        let start_ms = match previous {
            Some(p) if p.region_start_ms == part.region_start_ms && p.span_key == part.span_key => {
                segments.last().map_or(first.start_ms, |s| s.end_ms)
            }
            Some(p) if p.region_start_ms == part.region_start_ms => part.span_start_ms,
            _ => part.region_start_ms,
        };
        let end_ms = match next {
            Some(n) if n.span_key == part.span_key => {
                let next_start = n
                    .chars
                    .iter()
                    .find(|c| !is_separator(c))
                    .map_or(last.end_ms, |c| c.start_ms);
                ((last.end_ms + next_start.max(last.end_ms)) / 2)
                    .clamp(start_ms, part.span_end_ms.max(start_ms))
            }
            Some(n) if n.region_start_ms == part.region_start_ms => part.span_end_ms.max(start_ms),
            _ => part.region_end_ms.max(start_ms),
        };
        let words: Vec<CharTiming> = content
            .iter()
            .map(|c| CharTiming {
                start_ms: c.start_ms.clamp(start_ms, end_ms),
                end_ms: c.end_ms.clamp(start_ms, end_ms),
                ..(*c).clone()
            })
            .collect();
        segments.push(AsrSegment {
            start_ms,
            end_ms,
            text: text_of(&part.chars),
            confidence: mean_p(&content),
            words,
        });
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asr::vad::SpeechRegion;

    fn window() -> Window {
        // Speech 1000–3000 (pause 2000–2400 inside) and 10000–12000.
        let first = SpeechRegion {
            start_ms: 1000,
            end_ms: 3000,
            spans: vec![(1000, 2000), (2400, 3000)],
        };
        let second = SpeechRegion::new(10_000, 12_000);
        pack_windows(&[first, second], 20_000, 150, &PackConfig::default()).remove(0)
    }

    /// One token per character, `ms` per character from `start`.
    fn tokens(text: &str, start: u64, ms: u64, p: f32) -> Vec<TokenPiece> {
        text.chars()
            .enumerate()
            .map(|(i, c)| TokenPiece {
                bytes: c.to_string().into_bytes(),
                start_ms: start + i as u64 * ms,
                end_ms: start + (i as u64 + 1) * ms,
                p,
            })
            .collect()
    }

    #[test]
    fn segments_split_at_pauses_and_snap_to_speech_edges() {
        let w = window();
        // Window: piece 0 = source 850–3150 at 0; piece 1 = source 9850–12150 at 2700.
        // "您好请问" over window 200–1000 (source 1050–1850, first span),
        // "有什么" over 1600–2200 (source 2450–3050, second span).
        let mut toks = tokens("您好请问", 200, 200, 0.9);
        toks.extend(tokens("有什么", 1600, 200, 0.9));
        let (parts, dropped) =
            place_window_segments_from_tokens(&w, vec![(toks, 0.0)], &WhisperSettings::default());
        assert_eq!(dropped, 0);
        let segments = finish_segments(parts);
        let summary: Vec<(&str, u64, u64)> = segments
            .iter()
            .map(|s| (s.text.as_str(), s.start_ms, s.end_ms))
            .collect();
        assert_eq!(
            summary,
            vec![("您好请问", 1000, 2000), ("有什么", 2400, 3000)]
        );
        assert_eq!(segments[0].words.len(), 4);
        assert!(segments[0]
            .words
            .iter()
            .all(|c| c.start_ms >= 1000 && c.end_ms <= 2000));
        assert!((segments[0].confidence - 0.9).abs() < 1e-6);
    }

    #[test]
    fn traditional_output_becomes_simplified() {
        let w = window();
        let toks = tokens("歡迎致電", 2800, 300, 0.8);
        let (parts, _) =
            place_window_segments_from_tokens(&w, vec![(toks, 0.0)], &WhisperSettings::default());
        let segments = finish_segments(parts);
        assert_eq!(segments.len(), 1);
        assert_eq!(segments[0].text, "欢迎致电");
        assert_eq!((segments[0].start_ms, segments[0].end_ms), (10_000, 12_000));
    }

    #[test]
    fn hallucinations_are_dropped() {
        let w = window();
        let settings = WhisperSettings::default();
        let cases = vec![
            // Boilerplate inside speech.
            (tokens("谢谢观看", 200, 100, 0.9), 0.0),
            // Text in the silence after the last piece (window 5000–5400 and beyond).
            (tokens("我们下次再见吧", 5300, 100, 0.9), 0.0),
            // Low confidence.
            (tokens("什么东西", 200, 100, 0.05), 0.0),
            // Whisper thinks it was silence and is unsure.
            (tokens("嗯嗯", 200, 100, 0.4), 0.9),
            // Whisper thinks it was no speech, however sure of the words (its
            // credit line on 5 s of loud white noise).
            (tokens("作曲李宗智", 200, 100, 0.87), 0.63),
            // Only symbols.
            (tokens("♪♪", 200, 100, 0.9), 0.0),
        ];
        let (parts, dropped) = place_window_segments_from_tokens(&w, cases, &settings);
        assert!(parts.is_empty(), "{parts:?}");
        assert_eq!(dropped, 6);
    }

    #[test]
    fn a_repeated_segment_is_dropped_once_seen() {
        let w = window();
        let cases = vec![
            (tokens("我现在拖着行李", 200, 100, 0.9), 0.0),
            (tokens("我现在拖着行李", 2800, 100, 0.9), 0.0),
        ];
        let (parts, dropped) =
            place_window_segments_from_tokens(&w, cases, &WhisperSettings::default());
        assert_eq!(dropped, 1);
        assert_eq!(parts.len(), 1);
    }

    #[test]
    fn loops_inside_a_segment_collapse() {
        let w = window();
        let toks = tokens("好的，好的，好的，好的，好的，", 200, 50, 0.9);
        let (parts, _) =
            place_window_segments_from_tokens(&w, vec![(toks, 0.0)], &WhisperSettings::default());
        let segments = finish_segments(parts);
        assert_eq!(segments[0].text, "好的，");
    }

    #[test]
    fn two_segments_in_one_span_are_contiguous() {
        let w = window();
        let cases = vec![
            (tokens("您好", 200, 100, 0.9), 0.0),
            (tokens("请问", 700, 100, 0.9), 0.0),
        ];
        let (parts, _) = place_window_segments_from_tokens(&w, cases, &WhisperSettings::default());
        let segments = finish_segments(parts);
        assert_eq!(segments.len(), 2);
        assert_eq!(segments[0].start_ms, 1000);
        assert_eq!(segments[0].end_ms, segments[1].start_ms);
        // The last text of a region ends where its speech ends, even in a
        // span Whisper wrote nothing for.
        assert_eq!(segments[1].end_ms, 3000);
    }

    #[test]
    fn a_stray_character_does_not_split() {
        let observed = [Some(0), Some(0), Some(0), Some(0), Some(1)];
        assert_eq!(monotone_labels(&observed, &[false; 5]), vec![0; 5]);
    }

    #[test]
    fn splits_move_to_the_nearest_punctuation() {
        // 不客气,给您天马饭了,请问还有: token times put 给您 in the first span
        // and 请 in the second, Whisper's commas mark the real pauses.
        let text: Vec<char> = "不客气,给您天马饭了,请问还有".chars().collect();
        let observed: Vec<Option<u32>> = text
            .iter()
            .enumerate()
            .map(|(i, &c)| match c {
                ',' => None,
                _ if i <= 5 => Some(0),
                _ if i <= 11 => Some(1),
                _ => Some(2),
            })
            .collect();
        let separators: Vec<bool> = text.iter().map(|&c| c == ',').collect();
        let labels = monotone_labels(&observed, &separators);
        let parts: Vec<String> = (0..3)
            .map(|l| {
                text.iter()
                    .zip(&labels)
                    .filter(|(_, &x)| x == l)
                    .map(|(c, _)| c)
                    .collect()
            })
            .collect();
        assert_eq!(parts, ["不客气,", "给您天马饭了,", "请问还有"]);
    }

    #[test]
    fn labels_never_go_back_in_time() {
        let observed = [
            Some(2),
            Some(2),
            Some(0),
            Some(0),
            Some(1),
            Some(1),
            Some(1),
        ];
        let labels = monotone_labels(&observed, &[false; 7]);
        assert!(labels.windows(2).all(|w| w[0] <= w[1]), "{labels:?}");
    }

    #[test]
    fn a_late_last_character_stays_in_its_region() {
        // 站在大堂里: the last token's time runs into the gap and nearer the
        // next piece (window 2700), but one character does not make a split.
        let w = window();
        let mut toks = tokens("站在大堂", 1500, 150, 0.9);
        toks.extend(tokens("里", 2600, 100, 0.9));
        let (parts, _) =
            place_window_segments_from_tokens(&w, vec![(toks, 0.0)], &WhisperSettings::default());
        let segments = finish_segments(parts);
        assert_eq!(segments.len(), 1, "{segments:?}");
        assert_eq!(segments[0].text, "站在大堂里");
        assert_eq!((segments[0].start_ms, segments[0].end_ms), (1000, 3000));
    }

    #[test]
    fn encoder_context_covers_the_window_and_margin_in_aligned_frames() {
        // 10 s + 1 s = 550 frames → 576 (9 × 64).
        assert_eq!(encoder_frames(10_000, 1000, 1500), 576);
        // Exactly aligned stays.
        assert_eq!(encoder_frames(11_800, 1000, 1500), 640);
        assert_eq!(encoder_frames(11_801, 1000, 1500), 704);
        assert_eq!(encoder_frames(28_000, 1000, 1500), 1472);
        // A full window never asks for more than the model has.
        assert_eq!(encoder_frames(29_000, 1000, 1500), 1500);
        assert_eq!(encoder_frames(0, 0, 1500), 1);
    }

    #[test]
    fn settings_description_is_stable_and_ignores_threads() {
        let a = WhisperSettings::default();
        let b = WhisperSettings {
            threads: 1,
            parallel_windows: 4,
            ..WhisperSettings::default()
        };
        assert_eq!(a.describe(), b.describe());
        assert!(a.describe().contains(",audio_ctx=window+1000ms/64,"));
        let full = WhisperSettings {
            audio_ctx_margin_ms: None,
            ..WhisperSettings::default()
        };
        assert!(full.describe().contains(",audio_ctx=30s,"));
        assert!(a
            .describe()
            .starts_with("lang=zh,strategy=greedy,best_of=1,"));
        let c = WhisperSettings {
            beam_size: Some(5),
            ..WhisperSettings::default()
        };
        assert_ne!(a.describe(), c.describe());
    }
}
