//! From decoded audio to one call transcript: the pipeline's single seam to
//! the ASR stage.
//!
//! [`transcribe_recording`] hands the recording to
//! [`asr::transcribe_recording`], which
//! transcribes each channel, maps channels to roles (or attributes speakers
//! on mono recordings) and merges everything onto one timeline. This module
//! owns only what the pipeline adds: the call's [`ChannelLayout`] from the
//! manifest or the run's default, and [`ChannelLayout::cache_text`], the
//! part of the transcript cache key that covers every recording option that
//! changes the transcript.

use crate::asr::{self, AsrError, CallContext, RecordingOptions, Transcriber};
use crate::audio::DecodedAudio;
use crate::transcript::Transcript;

use super::manifest::AgentChannel;

/// How a call's channels map to speakers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelLayout {
    /// The channel the agent speaks on (stereo only).
    pub agent_channel: AgentChannel,
}

impl ChannelLayout {
    /// The ASR stage's options for this call.
    pub fn recording_options(&self, call: &CallContext) -> RecordingOptions {
        RecordingOptions {
            call: call.clone(),
            agent_channel: self.agent_channel.index(),
            ..RecordingOptions::default()
        }
    }

    /// Every recording option that changes the transcript, as stable text:
    /// part of the transcript cache key, so a different agent channel, or a
    /// callqa whose speaker attribution or merging works differently,
    /// transcribes again.
    pub fn cache_text(&self) -> String {
        let options = self.recording_options(&CallContext::default());
        format!(
            "agent={} speakers={:?} merge={:?} vad={:?} roles={:?}",
            self.agent_channel,
            options.speaker_mode,
            options.merge,
            options.vad,
            options.role_model
        )
    }
}

/// Transcribes every channel of `audio` into one transcript (call id from
/// `call`, `asr` stamp in the extra fields); the caller adds the call metadata.
pub fn transcribe_recording(
    transcriber: &dyn Transcriber,
    audio: &DecodedAudio,
    call: &CallContext,
    layout: &ChannelLayout,
) -> Result<Transcript, AsrError> {
    asr::transcribe_recording(transcriber, audio, &layout.recording_options(call))
}
