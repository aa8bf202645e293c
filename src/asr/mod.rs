//! Speech recognition behind the [`Transcriber`] seam.
//!
//! A transcriber turns one channel of 16 kHz mono f32 audio into timed
//! segments. Everything around it — decoding, channel → role mapping, merging
//! two channels onto one timeline, mono speaker attribution, caching,
//! scoring — is independent of the engine, so it is tested with
//! [`FixtureTranscriber`] (which replays a known transcript) and runs in
//! production with the whisper implementation.
//!
//! Modules:
//! - [`whisper`]: [`WhisperTranscriber`], the whisper.cpp implementation
//! - [`vad`]: energy voice-activity detection per channel
//! - [`pack`]: speech regions packed into Whisper windows, times mapped back
//! - [`chars`]: tokens → whole UTF-8 characters with times, Traditional → Simplified
//! - [`hallucination`]: subtitle boilerplate, repeats and loops Whisper invents
//! - [`roles`]: who speaks on a mono recording; stereo mapping check
//! - [`voice`]: voice pitch per segment, two-voice clustering (mono attribution)
//! - [`merge`]: segments → turns on one timeline → transcript utterances
//! - [`recording`]: [`transcribe_recording`], a decoded recording → a transcript
//! - [`choose`]: [`choose::choose_transcriber`], the recogniser a run asks for

pub mod chars;
pub mod choose;
pub mod hallucination;
pub mod merge;
pub mod pack;
pub mod recording;
pub mod roles;
pub mod vad;
pub mod voice;
pub mod whisper;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::transcript::{Role, Transcript};

pub use recording::{
    transcribe_file, transcribe_recording, transcribe_recording_timed, AsrStats, RecordingError,
    RecordingOptions, SpeakerMode, TimedTranscript, METHOD_MONO, METHOD_STEREO,
};
pub use whisper::{WhisperCounters, WhisperSettings, WhisperTranscriber};

/// One character (a whole UTF-8 character, never half of one) with its time
/// and probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CharTiming {
    pub text: String,
    pub start_ms: u64,
    pub end_ms: u64,
    pub p: f32,
}

/// A stretch of speech recognised on one channel; times are milliseconds
/// from the start of the recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AsrSegment {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    /// 0..=1, from token probabilities.
    pub confidence: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<CharTiming>,
}

/// What produced a transcript: stamped into it (`asr`) and part of the
/// transcript cache key, so changing any of it re-transcribes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AsrInfo {
    /// e.g. "whisper.cpp 1.8.3 (whisper-rs 0.16)" or "fixture".
    pub engine: String,
    /// Model file name.
    pub model: String,
    pub model_sha256: String,
    /// Every setting that changes the output, as stable `key=value` text.
    pub settings: String,
}

/// Why transcription failed.
#[derive(Debug, thiserror::Error)]
pub enum AsrError {
    #[error("{}: {message}", path.display())]
    Input { path: PathBuf, message: String },
    #[error("speech recognition failed: {0}")]
    Engine(String),
}

/// A speech recogniser for one channel at a time. Implementations are
/// shared by all workers (`Sync`); per-worker state (a whisper state) is
/// theirs to manage.
pub trait Transcriber: Send + Sync {
    /// Transcribes one channel: 16 kHz mono samples. `channel` is the channel
    /// index in the recording (fixture implementations use it to pick the
    /// speaker). Returns segments in time order.
    fn transcribe_channel(
        &self,
        samples: &[f32],
        channel: usize,
        call: &CallContext,
    ) -> Result<Vec<AsrSegment>, AsrError>;

    /// Engine, model and settings, for stamping and caching.
    fn info(&self) -> AsrInfo;

    /// True when the segments come from somewhere else than the samples
    /// (a replayed transcript): the whole call is then asked for once, with
    /// no samples, instead of one stretch of a long recording at a time.
    fn replays_whole_call(&self) -> bool {
        false
    }
}

/// What a transcriber may know about the call being transcribed.
#[derive(Debug, Clone, Default)]
pub struct CallContext {
    pub call_id: String,
    pub audio_path: PathBuf,
}

/// A transcriber that replays a ground-truth transcript: for testing
/// everything after ASR without model weights. Utterances of the role mapped
/// to `channel` come back as that channel's segments.
pub struct FixtureTranscriber {
    /// Where to find `<call_id>.json` (or the transcript named by the audio
    /// file's stem).
    pub transcripts_dir: PathBuf,
    /// Role spoken on each channel (stereo: [agent, customer]).
    pub channel_roles: Vec<Role>,
}

impl FixtureTranscriber {
    fn load(&self, call: &CallContext) -> Result<Transcript, AsrError> {
        let stem = call
            .audio_path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(&call.call_id)
            .to_string();
        for name in [format!("{}.json", call.call_id), format!("{stem}.json")] {
            let path = self.transcripts_dir.join(name);
            if path.exists() {
                return Transcript::from_path(&path).map_err(|e| AsrError::Engine(e.to_string()));
            }
        }
        Err(AsrError::Input {
            path: call.audio_path.clone(),
            message: format!(
                "no fixture transcript for this call in {}",
                self.transcripts_dir.display()
            ),
        })
    }
}

impl Transcriber for FixtureTranscriber {
    fn transcribe_channel(
        &self,
        _samples: &[f32],
        channel: usize,
        call: &CallContext,
    ) -> Result<Vec<AsrSegment>, AsrError> {
        let transcript = self.load(call)?;
        let role = self
            .channel_roles
            .get(channel)
            .copied()
            .unwrap_or(Role::Other);
        Ok(transcript
            .utterances
            .iter()
            .filter(|u| self.channel_roles.len() <= 1 || Role::from_speaker(&u.speaker) == role)
            .map(|u| AsrSegment {
                start_ms: u.start_ms.unwrap_or(0),
                end_ms: u.end_ms.unwrap_or(0),
                text: u.text.clone(),
                confidence: u.confidence.unwrap_or(1.0),
                words: Vec::new(),
            })
            .collect())
    }

    fn replays_whole_call(&self) -> bool {
        true
    }

    fn info(&self) -> AsrInfo {
        AsrInfo {
            engine: "fixture".into(),
            model: "ground-truth transcripts".into(),
            model_sha256: String::new(),
            settings: format!("dir={}", self.transcripts_dir.display()),
        }
    }
}
