//! A decoded recording → a transcript: which channels to transcribe, who is
//! speaking on them, and one timeline of utterances stamped with what
//! produced it.
//!
//! * **Stereo** (one speaker per channel, the normal call-centre recording):
//!   each channel is transcribed on its own and its channel decides the role
//!   (agent on channel 0 unless told otherwise). `speaker_method` is
//!   `stereo-channels`. The texts are checked against the mapping: when the
//!   customer channel sounds far more like an agent than the agent channel
//!   does, every `role_confidence` drops to 0.5 (the scorer then sends
//!   role-dependent items to review) and `speaker_note` says why.
//! * **Mono** (both sides on one channel), and stereo files whose channels
//!   are copies of each other or where only one channel carries speech: the
//!   channel is transcribed once and [`super::roles`] attributes each
//!   segment. `speaker_method` is `mono-heuristic`.
//!
//! Either way [`super::merge`] joins each speaker's segments into turns and
//! orders them by start time, so overlapping speech stays overlapping.

use std::time::Instant;

use rayon::prelude::*;
use serde_json::{json, Map, Value};

use super::merge::{merge_turns, round3, to_utterance, MergeConfig, SpeakerSegment};
use super::roles::{attribute_roles, channel_agent_score, RoleModel, TurnEvidence};
use super::vad::{detect_speech_in_levels, frame_len, SpeechRegion, VadConfig};
use super::voice::median_pitches;
use super::{AsrError, AsrInfo, AsrSegment, CallContext, Transcriber};
use crate::audio::{AudioError, AudioStream, DecodeOptions, DecodedAudio, FrameLevels};
use crate::transcript::{Role, Transcript};

/// `speaker_method` values.
pub const METHOD_STEREO: &str = "stereo-channels";
pub const METHOD_MONO: &str = "mono-heuristic";

/// How to find out who speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpeakerMode {
    /// Stereo when two channels carry different speech, else mono.
    #[default]
    Auto,
    /// Trust the channels even if one is silent or they look alike.
    Stereo,
    /// Treat the recording as one mixed channel (stereo is mixed down).
    Mono,
}

/// What [`transcribe_recording`] needs besides the audio.
#[derive(Debug, Clone)]
pub struct RecordingOptions {
    /// Call id and audio path (for the transcript and error messages). An
    /// empty `call_id` is taken from the audio file's stem.
    pub call: CallContext,
    /// The agent's channel in a stereo recording (0 = left).
    pub agent_channel: usize,
    pub speaker_mode: SpeakerMode,
    /// When a speaker's segments become one utterance. The longest gap
    /// joined (1.5 s) is far below the hold-silence rule's 15 s, so holds
    /// stay visible.
    pub merge: MergeConfig,
    /// VAD used to decide which channels carry speech (Auto mode).
    pub vad: VadConfig,
    /// The mono attribution model.
    pub role_model: RoleModel,
}

impl Default for RecordingOptions {
    fn default() -> Self {
        RecordingOptions {
            call: CallContext::default(),
            agent_channel: 0,
            speaker_mode: SpeakerMode::Auto,
            merge: MergeConfig::default(),
            vad: VadConfig::default(),
            role_model: RoleModel::default(),
        }
    }
}

/// Time spent, for benchmarks and progress reports. Not part of the
/// transcript, which must not change from run to run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AsrStats {
    /// Length of the recording, ms.
    pub audio_ms: u64,
    /// Channels sent to the transcriber.
    pub channels_transcribed: usize,
    /// Wall-clock seconds in the transcriber per transcribed channel, and
    /// for the whole recording (less than their sum when the channels were
    /// transcribed at the same time).
    pub channel_seconds: Vec<f64>,
    pub asr_seconds: f64,
}

impl AsrStats {
    /// ASR seconds per second of recording.
    pub fn real_time_factor(&self) -> f64 {
        if self.audio_ms == 0 {
            return 0.0;
        }
        self.asr_seconds / (self.audio_ms as f64 / 1000.0)
    }
}

/// A transcript with the time it took.
#[derive(Debug, Clone)]
pub struct TimedTranscript {
    pub transcript: Transcript,
    pub stats: AsrStats,
}

/// Why a recording file could not be transcribed: its audio (decode stage)
/// or the recogniser.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error(transparent)]
    Asr(#[from] AsrError),
}

/// Longest stretch of a recording held in memory and handed to the
/// transcriber at once. A call up to this long is one stretch (transcribed
/// exactly as a whole); a longer one is cut in its quietest moments, so a
/// 4-hour recording needs no more memory than a 5-minute one (5 min of
/// stereo at 16 kHz is 38 MB).
pub const MAX_STRETCH_MS: u64 = 5 * 60 * 1000;

/// Transcribes a decoded recording into a transcript (see the module
/// comment for how speakers are found).
pub fn transcribe_recording<T: Transcriber + ?Sized>(
    transcriber: &T,
    audio: &DecodedAudio,
    options: &RecordingOptions,
) -> Result<Transcript, AsrError> {
    transcribe_recording_timed(transcriber, audio, options).map(|t| t.transcript)
}

/// [`transcribe_recording`], also returning the time spent.
pub fn transcribe_recording_timed<T: Transcriber + ?Sized>(
    transcriber: &T,
    audio: &DecodedAudio,
    options: &RecordingOptions,
) -> Result<TimedTranscript, AsrError> {
    let input_error = |message: String| AsrError::Input {
        path: options.call.audio_path.clone(),
        message,
    };
    if audio.sample_rate != crate::audio::OUTPUT_SAMPLE_RATE {
        return Err(input_error(format!(
            "audio is at {} Hz; the transcriber takes {} Hz (decode with audio::decode_file)",
            audio.sample_rate,
            crate::audio::OUTPUT_SAMPLE_RATE
        )));
    }
    let mut survey = Survey::new(audio.channels.len(), &options.vad);
    survey.add(&audio.channels);
    let survey = survey.finish(&options.vad);
    let mut session = Session::start(transcriber, &survey, options)?;
    let mixed;
    let streams: Vec<&[f32]> = match session.plan {
        SpeakerPlan::Stereo => audio.channels.iter().map(Vec::as_slice).collect(),
        SpeakerPlan::Mono {
            channel: Some(c), ..
        } => vec![audio.channels[c].as_slice()],
        SpeakerPlan::Mono { channel: None, .. } => {
            mixed = mix_down(&audio.channels);
            vec![mixed.as_slice()]
        }
    };
    let stretches = survey.stretches(&session.plan, &options.vad);
    for (index, &(start, end)) in stretches.iter().enumerate() {
        let parts: Vec<&[f32]> = streams
            .iter()
            .map(|s| &s[(start as usize).min(s.len())..(end as usize).min(s.len())])
            .collect();
        session.stretch(start, &parts, index + 1 == stretches.len())?;
    }
    session.finish()
}

/// Transcribes a recording file in bounded memory: the file is decoded
/// twice as a stream, once to measure it (frame levels for the speech
/// detector, which channels carry speech, whether they are copies) and once
/// to hand it to the transcriber a stretch of at most [`MAX_STRETCH_MS`] at a
/// time. Nothing holds the whole recording; the stats give its length.
pub fn transcribe_file<T: Transcriber + ?Sized>(
    transcriber: &T,
    decode: &DecodeOptions,
    options: &RecordingOptions,
) -> Result<TimedTranscript, RecordingError> {
    let path = &options.call.audio_path;
    let mut stream = AudioStream::open_with(path, decode)?;
    let mut survey = Survey::new(usize::from(stream.source().channels), &options.vad);
    while let Some(block) = stream.next_block()? {
        survey.add(&block.channels);
    }
    let survey = survey.finish(&options.vad);
    let mut session = Session::start(transcriber, &survey, options)?;
    let stretches = survey.stretches(&session.plan, &options.vad);
    if transcriber.replays_whole_call() && session.plan == SpeakerPlan::Stereo {
        // Nothing to hear: a replayed transcript needs no samples, and
        // stereo needs no pitches either.
        return Ok(session.finish()?);
    }

    let mut stream = AudioStream::open_with(path, decode)?;
    let mut buffers: Vec<Vec<f32>> = Vec::new();
    let mut buffered_from = 0u64;
    let mut next = 0;
    while let Some(block) = stream.next_block()? {
        let incoming: Vec<Vec<f32>> = match session.plan {
            SpeakerPlan::Stereo => block.channels,
            SpeakerPlan::Mono {
                channel: Some(c), ..
            } => block.channels.into_iter().nth(c).into_iter().collect(),
            SpeakerPlan::Mono { channel: None, .. } => vec![mix_down(&block.channels)],
        };
        if buffers.is_empty() {
            // Room for the longest stretch and one block: a buffer left to
            // grow by doubling would reserve up to twice that.
            let per_ms = u64::from(crate::audio::OUTPUT_SAMPLE_RATE / 1000);
            let room = ((MAX_STRETCH_MS + u64::from(decode.block_ms)) * per_ms).min(survey.len);
            buffers = incoming
                .iter()
                .map(|_| Vec::with_capacity(room as usize))
                .collect();
        }
        for (buffer, samples) in buffers.iter_mut().zip(incoming) {
            buffer.extend_from_slice(&samples);
        }
        session.take_stretches(
            &stretches,
            &mut buffers,
            &mut buffered_from,
            &mut next,
            false,
        )?;
    }
    // A file that changed between the passes may end early: what is there
    // is still transcribed.
    session.take_stretches(
        &stretches,
        &mut buffers,
        &mut buffered_from,
        &mut next,
        true,
    )?;
    Ok(session.finish()?)
}

/// What the first pass learns about a recording, in memory proportional to
/// its length only through the 10 ms frame levels (4 bytes per frame and
/// channel: 6 MB per channel for 4 hours).
struct Survey {
    /// Samples per channel at 16 kHz.
    len: u64,
    /// Speech regions per channel.
    regions: Vec<Vec<SpeechRegion>>,
    copies: bool,
}

/// A [`Survey`] being measured, block by block.
struct SurveyMeter {
    len: u64,
    levels: Vec<FrameLevels>,
    copies: CopyMeter,
}

impl Survey {
    #[allow(clippy::new_ret_no_self)]
    fn new(channels: usize, vad: &VadConfig) -> SurveyMeter {
        let frame_len = frame_len(crate::audio::OUTPUT_SAMPLE_RATE, vad);
        SurveyMeter {
            len: 0,
            levels: (0..channels).map(|_| FrameLevels::new(frame_len)).collect(),
            copies: CopyMeter::default(),
        }
    }

    fn duration_ms(&self) -> u64 {
        self.len * 1000 / u64::from(crate::audio::OUTPUT_SAMPLE_RATE)
    }

    fn speech_ms(&self, channel: usize) -> u64 {
        self.regions[channel]
            .iter()
            .map(SpeechRegion::duration_ms)
            .sum()
    }

    /// Where to cut the recording into stretches of at most
    /// [`MAX_STRETCH_MS`], as `[start, end)` sample ranges: in the middle of
    /// the longest silence (on every transcribed channel) in the second half
    /// of each stretch, kept clear of speech by the gap the speech detector
    /// merges across plus its padding, so no utterance is cut and the
    /// transcriber's own detector finds the same speech on either side.
    fn stretches(&self, plan: &SpeakerPlan, vad: &VadConfig) -> Vec<(u64, u64)> {
        let total_ms = self.duration_ms();
        let per_ms = u64::from(crate::audio::OUTPUT_SAMPLE_RATE / 1000);
        let channels: Vec<usize> = match plan {
            SpeakerPlan::Mono {
                channel: Some(c), ..
            } => vec![*c],
            _ => (0..self.regions.len()).collect(),
        };
        let margin = vad.merge_gap_ms + vad.pad_ms;
        let mut busy: Vec<(u64, u64)> = channels
            .iter()
            .flat_map(|&c| &self.regions[c])
            .map(|r| (r.start_ms.saturating_sub(margin), r.end_ms + margin))
            .collect();
        busy.sort_unstable();
        let mut out = Vec::new();
        let mut start = 0u64;
        let mut first_busy = 0;
        while total_ms - start > MAX_STRETCH_MS {
            let (lo, hi) = (start + MAX_STRETCH_MS / 2, start + MAX_STRETCH_MS);
            // Longest quiet gap in lo..hi; none means a cut at `hi`.
            let mut best = (0u64, hi);
            let mut quiet_from = lo;
            while first_busy < busy.len() && busy[first_busy].1 <= lo {
                first_busy += 1;
            }
            for &(s, e) in &busy[first_busy..] {
                if s >= hi {
                    break;
                }
                if s > quiet_from && s - quiet_from > best.0 {
                    best = (s - quiet_from, quiet_from + (s - quiet_from) / 2);
                }
                quiet_from = quiet_from.max(e);
            }
            if hi > quiet_from && hi - quiet_from > best.0 {
                best = (hi - quiet_from, quiet_from + (hi - quiet_from) / 2);
            }
            let cut = best.1.clamp(lo, hi);
            out.push((start * per_ms, cut * per_ms));
            start = cut;
        }
        out.push((start * per_ms, self.len.max(start * per_ms)));
        out
    }
}

impl SurveyMeter {
    fn add(&mut self, channels: &[Vec<f32>]) {
        for (meter, samples) in self.levels.iter_mut().zip(channels) {
            meter.add(samples);
        }
        if let [a, b, ..] = channels {
            self.copies.add(a, b);
        }
        self.len += channels.first().map_or(0, Vec::len) as u64;
    }

    fn finish(self, vad: &VadConfig) -> Survey {
        let total_ms = self.len * 1000 / u64::from(crate::audio::OUTPUT_SAMPLE_RATE);
        let copies = self.levels.len() >= 2 && self.copies.verdict();
        Survey {
            len: self.len,
            regions: self
                .levels
                .into_iter()
                .map(|meter| detect_speech_in_levels(meter.finish(), total_ms, vad).regions)
                .collect(),
            copies,
        }
    }
}

/// Whether two channels are (nearly) the same signal: correlation above
/// 0.98 and levels within 1 dB, accumulated block by block.
#[derive(Debug, Default)]
struct CopyMeter {
    ab: f64,
    aa: f64,
    bb: f64,
}

impl CopyMeter {
    fn add(&mut self, a: &[f32], b: &[f32]) {
        for (&x, &y) in a.iter().zip(b) {
            self.ab += f64::from(x) * f64::from(y);
            self.aa += f64::from(x) * f64::from(x);
            self.bb += f64::from(y) * f64::from(y);
        }
    }

    fn verdict(&self) -> bool {
        let (ab, aa, bb) = (self.ab, self.aa, self.bb);
        if aa <= 0.0 || bb <= 0.0 {
            return aa == bb;
        }
        let correlation = ab / (aa.sqrt() * bb.sqrt());
        let level_db = 10.0 * (aa / bb).log10();
        correlation > 0.98 && level_db.abs() < 1.0
    }
}

/// One recording being transcribed a stretch at a time.
struct Session<'a, T: ?Sized> {
    transcriber: &'a T,
    options: &'a RecordingOptions,
    plan: SpeakerPlan,
    stats: AsrStats,
    /// Segments per transcribed stream (stereo: per channel; mono: one), on
    /// the recording's timeline.
    heard: Vec<Vec<AsrSegment>>,
    /// Mono: the pitch of each heard segment, once its stretch has passed.
    pitches: Vec<Option<Option<f32>>>,
    /// The transcriber replays a whole call: asked once, at the start.
    replayed: bool,
}

impl<'a, T: Transcriber + ?Sized> Session<'a, T> {
    fn start(
        transcriber: &'a T,
        survey: &Survey,
        options: &'a RecordingOptions,
    ) -> Result<Self, AsrError> {
        let input_error = |message: String| AsrError::Input {
            path: options.call.audio_path.clone(),
            message,
        };
        let channels = survey.regions.len();
        if channels == 0 || survey.len == 0 {
            return Err(input_error("the recording has no samples".into()));
        }
        if channels >= 2 && options.agent_channel >= channels {
            return Err(input_error(format!(
                "agent channel {} does not exist (the recording has {} channels)",
                options.agent_channel, channels
            )));
        }
        let plan = plan_speakers(survey, options);
        let streams = match plan {
            SpeakerPlan::Stereo => channels,
            SpeakerPlan::Mono { .. } => 1,
        };
        let mut session = Session {
            transcriber,
            options,
            stats: AsrStats {
                audio_ms: survey.duration_ms(),
                channels_transcribed: streams,
                channel_seconds: vec![0.0; streams],
                asr_seconds: 0.0,
            },
            heard: vec![Vec::new(); streams],
            pitches: Vec::new(),
            replayed: transcriber.replays_whole_call(),
            plan,
        };
        if session.replayed {
            let channel_of = |stream: usize| session.channel_of(stream);
            let heard: Vec<Result<Vec<AsrSegment>, AsrError>> = (0..streams)
                .map(|s| transcriber.transcribe_channel(&[], channel_of(s), &options.call))
                .collect();
            for (stream, result) in heard.into_iter().enumerate() {
                session.heard[stream] = result?;
            }
        }
        Ok(session)
    }

    /// The recording channel a transcribed stream is (the mix counts as 0).
    fn channel_of(&self, stream: usize) -> usize {
        match self.plan {
            SpeakerPlan::Stereo => stream,
            SpeakerPlan::Mono { channel, .. } => channel.unwrap_or(0),
        }
    }

    /// Transcribes one stretch starting at sample `start` of the recording:
    /// `streams` are the stretch's samples of every transcribed stream;
    /// `last` for the recording's last stretch.
    fn stretch(&mut self, start: u64, streams: &[&[f32]], last: bool) -> Result<(), AsrError> {
        let per_ms = u64::from(crate::audio::OUTPUT_SAMPLE_RATE / 1000);
        let offset_ms = start / per_ms;
        let len = streams.first().map_or(0, |s| s.len());
        let end_ms = offset_ms + len as u64 / per_ms;
        if !self.replayed {
            let started = Instant::now();
            // Channels are independent: with idle workers in the pool (and
            // free whisper slots) they are transcribed at the same time.
            let heard: Vec<_> = streams
                .par_iter()
                .enumerate()
                .map(|(stream, samples)| {
                    let started = Instant::now();
                    let result = self.transcriber.transcribe_channel(
                        samples,
                        self.channel_of(stream),
                        &self.options.call,
                    );
                    (result, started.elapsed().as_secs_f64())
                })
                .collect();
            self.stats.asr_seconds += started.elapsed().as_secs_f64();
            for (stream, (result, seconds)) in heard.into_iter().enumerate() {
                self.stats.channel_seconds[stream] += seconds;
                self.heard[stream].extend(result?.into_iter().map(|s| shifted(s, offset_ms)));
            }
        }
        if let SpeakerPlan::Mono { .. } = self.plan {
            // Pitches of the segments that start in this stretch (the last
            // stretch takes whatever is left).
            let heard = &self.heard[0];
            self.pitches.resize(heard.len(), None);
            let due: Vec<usize> = (0..heard.len())
                .filter(|&i| self.pitches[i].is_none() && (last || heard[i].start_ms < end_ms))
                .collect();
            let spans: Vec<(u64, u64)> = due
                .iter()
                .map(|&i| {
                    let s = &heard[i];
                    (
                        s.start_ms.saturating_sub(offset_ms),
                        s.end_ms.saturating_sub(offset_ms),
                    )
                })
                .collect();
            let pitches = median_pitches(streams[0], crate::audio::OUTPUT_SAMPLE_RATE, &spans);
            for (i, pitch) in due.into_iter().zip(pitches) {
                self.pitches[i] = Some(pitch);
            }
        }
        Ok(())
    }

    /// Hands over every stretch the buffered samples (starting at sample
    /// `buffered_from`) cover in full, or, with `all`, whatever is left.
    fn take_stretches(
        &mut self,
        stretches: &[(u64, u64)],
        buffers: &mut [Vec<f32>],
        buffered_from: &mut u64,
        next: &mut usize,
        all: bool,
    ) -> Result<(), AsrError> {
        while let Some(&(start, end)) = stretches.get(*next) {
            let have = buffers.first().map_or(0, Vec::len);
            if !all && *buffered_from + (have as u64) < end {
                break;
            }
            let n = ((end - start) as usize).min(have);
            let parts: Vec<&[f32]> = buffers.iter().map(|b| &b[..n]).collect();
            self.stretch(start, &parts, *next + 1 == stretches.len())?;
            for buffer in buffers.iter_mut() {
                buffer.drain(..n);
            }
            *buffered_from = end;
            *next += 1;
        }
        Ok(())
    }

    /// Roles, turns and the transcript, once every stretch is through.
    fn finish(mut self) -> Result<TimedTranscript, AsrError> {
        let options = self.options;
        let mut extra = Map::new();
        let segments = match &self.plan {
            SpeakerPlan::Stereo => {
                let mut segments = Vec::new();
                for (channel, heard) in std::mem::take(&mut self.heard).into_iter().enumerate() {
                    let role = if channel == options.agent_channel {
                        Role::Agent
                    } else {
                        Role::Customer
                    };
                    segments.extend(heard.into_iter().map(|segment| SpeakerSegment {
                        role,
                        channel,
                        role_confidence: 1.0,
                        segment,
                    }));
                }
                extra.insert("speaker_method".into(), json!(METHOD_STEREO));
                extra.insert("agent_channel".into(), json!(options.agent_channel));
                if let Some(note) = check_channel_mapping(&mut segments) {
                    extra.insert("speaker_note".into(), json!(note));
                }
                segments
            }
            SpeakerPlan::Mono { channel, note } => {
                let heard = std::mem::take(&mut self.heard).remove(0);
                let evidence: Vec<TurnEvidence> = heard
                    .iter()
                    .enumerate()
                    .map(|(i, s)| TurnEvidence {
                        start_ms: s.start_ms,
                        end_ms: s.end_ms,
                        text: s.text.clone(),
                        pitch_hz: self.pitches.get(i).copied().flatten().flatten(),
                    })
                    .collect();
                let assignment = attribute_roles(&evidence, &options.role_model);
                extra.insert("speaker_method".into(), json!(METHOD_MONO));
                if let Some(note) = note {
                    extra.insert("speaker_note".into(), json!(note));
                }
                if let Some(voices) = assignment.voices {
                    extra.insert(
                        "speaker_voices".into(),
                        json!({
                            "agent_pitch_hz": voices.agent_pitch_hz.round(),
                            "customer_pitch_hz": voices.customer_pitch_hz.round(),
                            "mapping_confidence": round3(voices.mapping_confidence),
                        }),
                    );
                }
                heard
                    .into_iter()
                    .zip(assignment.roles)
                    .map(|(segment, attribution)| SpeakerSegment {
                        role: attribution.role,
                        channel: channel.unwrap_or(0),
                        role_confidence: attribution.confidence,
                        segment,
                    })
                    .collect()
            }
        };

        let merge = match self.plan {
            SpeakerPlan::Stereo => options.merge,
            SpeakerPlan::Mono { .. } => options.merge.for_mono(),
        };
        let turns = merge_turns(segments, &merge);
        let info = self.transcriber.info();
        extra.insert("asr".into(), asr_json(&info));
        extra.insert("audio_duration_ms".into(), json!(self.stats.audio_ms));
        let transcript = Transcript {
            call_id: call_id(&options.call),
            agent_id: None,
            customer_id: None,
            started_at: None,
            direction: None,
            audio: (!options.call.audio_path.as_os_str().is_empty())
                .then(|| options.call.audio_path.display().to_string()),
            utterances: turns.iter().map(to_utterance).collect(),
            extra,
        };
        Ok(TimedTranscript {
            transcript,
            stats: self.stats,
        })
    }
}

/// A segment of a stretch starting `offset_ms` into the recording, on the
/// recording's timeline.
fn shifted(mut segment: AsrSegment, offset_ms: u64) -> AsrSegment {
    segment.start_ms += offset_ms;
    segment.end_ms += offset_ms;
    for c in &mut segment.words {
        c.start_ms += offset_ms;
        c.end_ms += offset_ms;
    }
    segment
}

/// The `asr` stamp of a transcript.
pub fn asr_json(info: &AsrInfo) -> Value {
    json!({
        "engine": info.engine,
        "model": info.model,
        "model_sha256": info.model_sha256,
        "settings": info.settings,
    })
}

fn call_id(call: &CallContext) -> String {
    if !call.call_id.trim().is_empty() {
        return call.call_id.clone();
    }
    call.audio_path
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .unwrap_or("call")
        .to_string()
}

#[derive(Debug, Clone, PartialEq)]
enum SpeakerPlan {
    Stereo,
    /// Transcribe one channel (or, for `None`, the mix of all) and attribute.
    Mono {
        channel: Option<usize>,
        note: Option<String>,
    },
}

/// Channels whose speech is shorter than this count as silent.
const MIN_CHANNEL_SPEECH_MS: u64 = 500;

fn plan_speakers(survey: &Survey, options: &RecordingOptions) -> SpeakerPlan {
    let channels = survey.regions.len();
    match options.speaker_mode {
        SpeakerMode::Mono if channels == 1 => {
            return SpeakerPlan::Mono {
                channel: Some(0),
                note: None,
            }
        }
        SpeakerMode::Mono => {
            return SpeakerPlan::Mono {
                channel: None,
                note: Some("channels mixed down on request".into()),
            }
        }
        SpeakerMode::Stereo if channels >= 2 => return SpeakerPlan::Stereo,
        _ if channels == 1 => {
            return SpeakerPlan::Mono {
                channel: Some(0),
                note: None,
            }
        }
        _ => {}
    }
    if survey.copies {
        return SpeakerPlan::Mono {
            channel: Some(options.agent_channel),
            note: Some(
                "both channels carry the same signal (a mono recording stored as stereo)".into(),
            ),
        };
    }
    let speech: Vec<u64> = (0..channels).map(|c| survey.speech_ms(c)).collect();
    let live: Vec<usize> = (0..channels)
        .filter(|&c| speech[c] >= MIN_CHANNEL_SPEECH_MS)
        .collect();
    if live.len() == 1 {
        let dead: Vec<String> = (0..channels)
            .filter(|c| !live.contains(c))
            .map(|c| c.to_string())
            .collect();
        return SpeakerPlan::Mono {
            channel: Some(live[0]),
            note: Some(format!(
                "channel {} has no speech; speakers on channel {} attributed by content",
                dead.join(", "),
                live[0]
            )),
        };
    }
    SpeakerPlan::Stereo
}

fn mix_down(channels: &[Vec<f32>]) -> Vec<f32> {
    let n = channels.len().max(1) as f32;
    let len = channels.iter().map(Vec::len).min().unwrap_or(0);
    (0..len)
        .map(|i| channels.iter().map(|c| c[i]).sum::<f32>() / n)
        .collect()
}

/// How much more agent-like (in summed cue log-odds) the customer channel
/// must sound than the agent channel before the mapping is doubted.
const SWAPPED_MARGIN: f64 = 6.0;

/// Compares what each channel says with its role. Returns a note (and lowers
/// every `role_confidence` to 0.5) when the roles look swapped.
fn check_channel_mapping(segments: &mut [SpeakerSegment]) -> Option<String> {
    let score_of = |role: Role| {
        channel_agent_score(
            segments
                .iter()
                .filter(|s| s.role == role)
                .map(|s| s.segment.text.as_str()),
        )
    };
    let agent = score_of(Role::Agent);
    let customer = score_of(Role::Customer);
    if customer - agent < SWAPPED_MARGIN {
        return None;
    }
    for segment in segments.iter_mut() {
        segment.role_confidence = 0.5;
    }
    Some(format!(
        "the customer channel sounds like the agent (agent-phrase score {customer:.1} against {agent:.1}); check the agent channel setting"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asr::{AsrSegment, FixtureTranscriber};
    use crate::audio::{ChannelLevel, Encoding, SourceInfo};
    use std::path::PathBuf;
    use std::sync::Mutex;

    /// Returns fixed segments per channel.
    struct Scripted {
        per_channel: Vec<Vec<AsrSegment>>,
        calls: Mutex<Vec<usize>>,
    }

    impl Transcriber for Scripted {
        fn transcribe_channel(
            &self,
            _samples: &[f32],
            channel: usize,
            _call: &CallContext,
        ) -> Result<Vec<AsrSegment>, AsrError> {
            self.calls.lock().unwrap().push(channel);
            Ok(self.per_channel.get(channel).cloned().unwrap_or_default())
        }

        fn info(&self) -> AsrInfo {
            AsrInfo {
                engine: "scripted".into(),
                model: "none".into(),
                model_sha256: "0".into(),
                settings: "x=1".into(),
            }
        }
    }

    fn seg(start_ms: u64, end_ms: u64, text: &str) -> AsrSegment {
        AsrSegment {
            start_ms,
            end_ms,
            text: text.into(),
            confidence: 0.9,
            words: Vec::new(),
        }
    }

    /// Speech-like bursts (a 300 Hz tone at −20 dBFS) at the given ms.
    fn channel(total_ms: u64, bursts: &[(u64, u64)]) -> Vec<f32> {
        let mut samples = vec![0.0f32; (total_ms * 16) as usize];
        for &(s, e) in bursts {
            let (first, last) = ((s * 16) as usize, (e * 16) as usize);
            for (i, sample) in samples.iter_mut().enumerate().take(last).skip(first) {
                *sample = 0.14 * (i as f32 * 2.0 * std::f32::consts::PI * 300.0 / 16_000.0).sin();
            }
        }
        samples
    }

    fn audio(channels: Vec<Vec<f32>>) -> DecodedAudio {
        let n = channels.len();
        let frames = channels[0].len() as u64 / 2;
        DecodedAudio {
            source: SourceInfo {
                format: Encoding::MuLaw,
                bits: 8,
                rate: 8000,
                channels: n as u16,
                frames,
                duration_ms: frames / 8,
                format_tag: 7,
                truncated: None,
            },
            channels,
            sample_rate: 16_000,
            levels: vec![
                ChannelLevel {
                    peak_dbfs: -17.0,
                    rms_dbfs: -25.0
                };
                n
            ],
        }
    }

    fn options(call_id: &str) -> RecordingOptions {
        RecordingOptions {
            call: CallContext {
                call_id: call_id.into(),
                audio_path: PathBuf::from(format!("calls/{call_id}.wav")),
            },
            ..RecordingOptions::default()
        }
    }

    #[test]
    fn stereo_channels_map_to_roles_on_one_timeline() {
        let transcriber = Scripted {
            per_channel: vec![
                vec![
                    seg(600, 9000, "您好，欢迎致电悦途旅行，很高兴为您服务。"),
                    seg(20_500, 30_000, "真的很抱歉。"),
                ],
                vec![
                    seg(9900, 20_100, "你好，我订了一家酒店。"),
                    seg(29_500, 31_000, "嗯。"),
                ],
            ],
            calls: Mutex::new(Vec::new()),
        };
        let a = audio(vec![
            channel(32_000, &[(600, 9000), (20_500, 30_000)]),
            channel(32_000, &[(9900, 20_100), (29_500, 31_000)]),
        ]);
        let t = transcribe_recording(&transcriber, &a, &options("c1")).unwrap();
        let got: Vec<(&str, u64)> = t
            .utterances
            .iter()
            .map(|u| (u.speaker.as_str(), u.start_ms.unwrap()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("agent", 600),
                ("customer", 9900),
                ("agent", 20_500),
                ("customer", 29_500)
            ]
        );
        assert_eq!(t.extra["speaker_method"], json!(METHOD_STEREO));
        assert_eq!(t.extra["asr"]["engine"], json!("scripted"));
        assert_eq!(t.extra["asr"]["model_sha256"], json!("0"));
        assert!(t
            .utterances
            .iter()
            .all(|u| u.extra["role_confidence"] == json!(1.0)));
        assert_eq!(t.call_id, "c1");
        assert_eq!(t.audio.as_deref(), Some("calls/c1.wav"));
        assert_eq!(*transcriber.calls.lock().unwrap(), vec![0, 1]);
    }

    #[test]
    fn the_agent_channel_can_be_the_right_one() {
        let transcriber = Scripted {
            per_channel: vec![
                vec![seg(9900, 12_000, "你好，我订了一家酒店。")],
                vec![seg(600, 9000, "您好，欢迎致电悦途旅行。")],
            ],
            calls: Mutex::new(Vec::new()),
        };
        let a = audio(vec![
            channel(13_000, &[(9900, 12_000)]),
            channel(13_000, &[(600, 9000)]),
        ]);
        let mut opts = options("c2");
        opts.agent_channel = 1;
        let t = transcribe_recording(&transcriber, &a, &opts).unwrap();
        assert_eq!(t.utterances[0].speaker, "agent");
        assert_eq!(t.utterances[0].start_ms, Some(600));
        assert_eq!(t.extra["agent_channel"], json!(1));
        assert!(t.extra.get("speaker_note").is_none());
    }

    #[test]
    fn swapped_channels_lower_role_confidence() {
        let transcriber = Scripted {
            per_channel: vec![
                vec![seg(9900, 12_000, "你好，我订了一家酒店，你们为什么说满了？")],
                vec![seg(600, 9000, "您好，欢迎致电悦途旅行客服中心，我是客服代表小陈，很高兴为您服务。请问有什么可以帮您？")],
            ],
            calls: Mutex::new(Vec::new()),
        };
        let a = audio(vec![
            channel(13_000, &[(9900, 12_000)]),
            channel(13_000, &[(600, 9000)]),
        ]);
        let t = transcribe_recording(&transcriber, &a, &options("c3")).unwrap();
        assert!(t.extra["speaker_note"]
            .as_str()
            .unwrap()
            .contains("customer channel sounds like the agent"));
        assert!(t
            .utterances
            .iter()
            .all(|u| u.extra["role_confidence"] == json!(0.5)));
    }

    #[test]
    fn mono_is_attributed_by_content() {
        let transcriber = Scripted {
            per_channel: vec![vec![
                seg(
                    600,
                    8900,
                    "您好，欢迎致电星辰电器，很高兴为您服务。请问有什么可以帮您？",
                ),
                seg(9500, 16_800, "你好，我上周在你们商城买的洗衣机漏水了。"),
                seg(17_400, 24_000, "先生，给您带来不便非常抱歉。"),
            ]],
            calls: Mutex::new(Vec::new()),
        };
        let a = audio(vec![channel(
            25_000,
            &[(600, 8900), (9500, 16_800), (17_400, 24_000)],
        )]);
        let t = transcribe_recording(&transcriber, &a, &options("m1")).unwrap();
        let roles: Vec<&str> = t.utterances.iter().map(|u| u.speaker.as_str()).collect();
        assert_eq!(roles, ["agent", "customer", "agent"]);
        assert_eq!(t.extra["speaker_method"], json!(METHOD_MONO));
        assert!(t.utterances[0].extra["role_confidence"].as_f64().unwrap() > 0.9);
    }

    #[test]
    fn a_silent_leg_falls_back_to_mono_on_the_live_channel() {
        let transcriber = Scripted {
            per_channel: vec![
                vec![],
                vec![
                    seg(600, 9000, "您好，欢迎致电。"),
                    seg(9600, 12_000, "我订了一家酒店。"),
                ],
            ],
            calls: Mutex::new(Vec::new()),
        };
        let a = audio(vec![
            channel(13_000, &[]),
            channel(13_000, &[(600, 9000), (9600, 12_000)]),
        ]);
        let t = transcribe_recording(&transcriber, &a, &options("m2")).unwrap();
        assert_eq!(*transcriber.calls.lock().unwrap(), vec![1]);
        assert_eq!(t.extra["speaker_method"], json!(METHOD_MONO));
        assert!(t.extra["speaker_note"]
            .as_str()
            .unwrap()
            .contains("channel 0 has no speech"));
        assert_eq!(t.utterances.len(), 2);
    }

    /// Hears a burst: one segment from the first loud sample it is handed
    /// to the last, in the time of the samples it got; remembers how many
    /// samples each call had.
    struct Bursts {
        lengths: Mutex<Vec<usize>>,
    }

    impl Transcriber for Bursts {
        fn transcribe_channel(
            &self,
            samples: &[f32],
            _channel: usize,
            _call: &CallContext,
        ) -> Result<Vec<AsrSegment>, AsrError> {
            self.lengths.lock().unwrap().push(samples.len());
            let loud = |x: &&f32| x.abs() > 0.05;
            let (Some(first), Some(last)) = (
                samples.iter().position(|x| loud(&x)),
                samples.iter().rposition(|x| loud(&x)),
            ) else {
                return Ok(Vec::new());
            };
            Ok(vec![seg(
                first as u64 / 16,
                last as u64 / 16 + 1,
                "您好，欢迎致电。",
            )])
        }

        fn info(&self) -> AsrInfo {
            AsrInfo {
                engine: "bursts".into(),
                model: "none".into(),
                model_sha256: "0".into(),
                settings: String::new(),
            }
        }
    }

    #[test]
    fn a_long_recording_goes_over_in_stretches_cut_in_silence() {
        // 12 minutes, speech at 1 min and around the 5-minute mark: the
        // first cut lands in the silence after it, never through it.
        let total = 12 * 60_000;
        let bursts = [(60_000, 62_000), (299_000, 302_500), (700_000, 701_000)];
        let a = audio(vec![channel(total, &bursts)]);
        let transcriber = Bursts {
            lengths: Mutex::new(Vec::new()),
        };
        let t = transcribe_recording(&transcriber, &a, &options("long")).unwrap();
        let lengths = transcriber.lengths.lock().unwrap().clone();
        assert!(lengths.len() >= 3, "{lengths:?}");
        assert!(
            lengths.iter().all(|&n| n as u64 <= MAX_STRETCH_MS * 16),
            "{lengths:?}"
        );
        assert_eq!(lengths.iter().sum::<usize>(), total as usize * 16);
        let heard: Vec<(u64, u64)> = t
            .utterances
            .iter()
            .map(|u| (u.start_ms.unwrap(), u.end_ms.unwrap()))
            .collect();
        assert_eq!(heard, bursts, "times on the recording's timeline");
        assert_eq!(t.extra["audio_duration_ms"], json!(total));
    }

    #[test]
    fn copied_channels_are_mono() {
        let c = channel(13_000, &[(600, 9000)]);
        let transcriber = Scripted {
            per_channel: vec![vec![seg(600, 9000, "您好，欢迎致电。")]],
            calls: Mutex::new(Vec::new()),
        };
        let t =
            transcribe_recording(&transcriber, &audio(vec![c.clone(), c]), &options("m3")).unwrap();
        assert_eq!(*transcriber.calls.lock().unwrap(), vec![0]);
        assert_eq!(t.extra["speaker_method"], json!(METHOD_MONO));
    }

    #[test]
    fn a_missing_agent_channel_is_an_error_naming_the_file() {
        let transcriber = Scripted {
            per_channel: vec![],
            calls: Mutex::new(Vec::new()),
        };
        let a = audio(vec![channel(1000, &[]), channel(1000, &[])]);
        let mut opts = options("e1");
        opts.agent_channel = 2;
        let err = transcribe_recording(&transcriber, &a, &opts)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("calls/e1.wav") && err.contains("agent channel 2"),
            "{err}"
        );
    }

    #[test]
    fn the_fixture_transcriber_round_trips_a_dev_call() {
        let dir = PathBuf::from("/work/shared/audio/dev");
        if !dir.join("dev-01.json").exists() {
            return;
        }
        let fixture = FixtureTranscriber {
            transcripts_dir: dir.clone(),
            channel_roles: vec![Role::Agent, Role::Customer],
        };
        let truth = Transcript::from_path(&dir.join("dev-01.json")).unwrap();
        let bursts = |role: &str| -> Vec<(u64, u64)> {
            truth
                .utterances
                .iter()
                .filter(|u| u.speaker == role)
                .map(|u| (u.start_ms.unwrap(), u.end_ms.unwrap()))
                .collect()
        };
        let a = audio(vec![
            channel(85_000, &bursts("agent")),
            channel(85_000, &bursts("customer")),
        ]);
        let mut opts = options("dev-01");
        opts.call.audio_path = dir.join("dev-01.wav");
        let t = transcribe_recording(&fixture, &a, &opts).unwrap();
        assert_eq!(t.utterances.len(), truth.utterances.len());
        for (got, want) in t.utterances.iter().zip(&truth.utterances) {
            assert_eq!(
                (&got.speaker, got.start_ms, &got.text),
                (&want.speaker, want.start_ms, &want.text)
            );
        }
    }
}
