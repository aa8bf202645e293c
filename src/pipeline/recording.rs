//! From decoded audio to one call transcript: the pipeline's single seam to
//! the ASR stage, and its one alternative, a transcript file someone else
//! made ([`VendorTranscripts`]).
//!
//! [`transcribe_recording`] hands the recording to
//! [`asr::transcribe_recording`], which
//! transcribes each channel, maps channels to roles (or attributes speakers
//! on mono recordings) and merges everything onto one timeline. This module
//! owns only what the pipeline adds: the call's [`ChannelLayout`] from the
//! manifest or the run's default, and [`ChannelLayout::cache_text`], the
//! part of the transcript cache key that covers every recording option that
//! changes the transcript.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::asr::{self, AsrError, AsrInfo, CallContext, RecordingOptions, Transcriber};
use crate::audio::{AudioError, AudioStream, DecodeOptions, DecodedAudio};
use crate::transcript::{Role, Transcript, Utterance};

use super::manifest::{AgentChannel, CallInput};

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

/// The length of a recording, decoded block by block (memory stays bounded
/// whatever the length); decoding errors are the recording's.
pub fn recording_ms(path: &Path, decode: &DecodeOptions) -> Result<u64, AudioError> {
    let mut stream = AudioStream::open_with(path, decode)?;
    while stream.next_block()?.is_some() {}
    Ok(stream.source().duration_ms)
}

/// Transcripts a vendor (or a person) already made, one file per call:
/// `run --transcripts DIR` reads `DIR/<call_id>.json`, or the one named
/// like the recording, instead of running speech recognition.
#[derive(Debug, Clone)]
pub struct VendorTranscripts {
    pub dir: PathBuf,
}

/// A vendor transcript file, read and hashed.
pub struct VendorFile {
    pub path: PathBuf,
    pub sha256: String,
}

impl VendorTranscripts {
    /// The run's ASR stamp: no engine, the transcripts' folder.
    pub fn info(&self) -> AsrInfo {
        AsrInfo {
            engine: VENDOR_ENGINE.into(),
            model: self.dir.display().to_string(),
            model_sha256: String::new(),
            settings: VENDOR_ROLES.into(),
        }
    }

    /// The transcript file of `call` and its sha256.
    pub fn find(&self, call: &CallInput) -> Result<VendorFile, String> {
        let stem = call.audio.file_stem().and_then(|s| s.to_str());
        let names = std::iter::once(call.call_id.as_str())
            .chain(stem.filter(|s| *s != call.call_id))
            .map(|name| format!("{name}.json"))
            .collect::<Vec<_>>();
        let path = names
            .iter()
            .map(|name| self.dir.join(name))
            .find(|path| path.is_file())
            .ok_or_else(|| {
                format!(
                    "{}: no transcript for call {} in {} (looked for {}); add it, or run without \
                     --transcripts to transcribe the recording",
                    call.origin,
                    call.call_id,
                    self.dir.display(),
                    names.join(" and ")
                )
            })?;
        let sha256 = crate::store::sha256_file(&path)
            .map_err(|e| format!("{}: cannot read the transcript: {e}", path.display()))?;
        Ok(VendorFile { path, sha256 })
    }
}

impl VendorFile {
    /// The transcript cache key's `asr_key` for this file read with this
    /// layout.
    ///
    /// The transcript cache exists so that the same audio is never run
    /// through speech recognition twice; a vendor transcript is not derived
    /// from the audio but is an input of its own, so it is keyed by its own
    /// bytes: two calls with byte-identical recordings but different
    /// transcript files each get theirs, and an edited file is read again.
    /// It is still stored, so `rescore` works without the folder.
    pub fn asr_key(&self, layout: &ChannelLayout) -> String {
        crate::store::sha256_lines(&[
            "vendor-transcript v1",
            &self.sha256,
            VENDOR_ROLES,
            layout.agent_channel.as_str(),
        ])
    }

    /// The stamp stored with the transcript (and in it, as `asr`).
    pub fn info(&self) -> AsrInfo {
        AsrInfo {
            engine: VENDOR_ENGINE.into(),
            model: self.path.display().to_string(),
            model_sha256: self.sha256.clone(),
            settings: VENDOR_ROLES.into(),
        }
    }

    /// Reads the transcript and gives every utterance a role (see
    /// [`assign_vendor_roles`]).
    pub fn read(&self, layout: &ChannelLayout, audio_ms: u64) -> Result<Transcript, String> {
        let mut transcript = Transcript::from_path(&self.path).map_err(|e| e.to_string())?;
        assign_vendor_roles(&mut transcript, layout.agent_channel);
        let stamp = serde_json::to_value(self.info()).expect("ASR info serialises");
        transcript.extra.insert("asr".into(), stamp);
        transcript
            .extra
            .insert("audio_duration_ms".into(), audio_ms.into());
        Ok(transcript)
    }
}

/// `engine` of vendor transcripts' stamp.
pub const VENDOR_ENGINE: &str = "vendor transcript";
/// How vendor speakers become roles; part of the cache key, so a change
/// here reads every file again.
const VENDOR_ROLES: &str = "roles: named speakers kept, channels mapped (v1)";

/// A transcript that names its speakers (`agent`, `客服`, `customer` …)
/// keeps them whatever the channel layout; only utterances whose speaker
/// is a channel (`left`, `ch1`, `右声道`, or an unknown label with a
/// `channel` field) take their role from the call's agent channel. Other
/// unknown speakers stay as written (role `other`, never scored).
pub fn assign_vendor_roles(transcript: &mut Transcript, agent_channel: AgentChannel) {
    for utterance in &mut transcript.utterances {
        if Role::from_speaker(&utterance.speaker) != Role::Other {
            continue;
        }
        if let Some(channel) = vendor_channel(utterance) {
            let role = if channel == agent_channel.index() {
                Role::Agent
            } else {
                Role::Customer
            };
            utterance.speaker = role.as_str().to_string();
        }
    }
}

/// The stereo channel (0 or 1) an utterance says it was heard on.
fn vendor_channel(utterance: &Utterance) -> Option<usize> {
    let from_label = |label: &str| {
        let label = label.trim().to_lowercase();
        let bare = label
            .trim_start_matches("channel")
            .trim_start_matches("ch")
            .trim_start_matches(['_', '-', ' ']);
        let named = match bare {
            "l" | "左" | "左声道" => "left",
            "r" | "右" | "右声道" => "right",
            other => other,
        };
        named.parse::<AgentChannel>().ok().map(AgentChannel::index)
    };
    from_label(&utterance.speaker).or_else(|| match utterance.extra.get("channel")? {
        Value::Number(n) => n.as_u64().filter(|&c| c < 2).map(|c| c as usize),
        Value::String(s) => from_label(s),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utterance(speaker: &str, channel: Option<Value>) -> Utterance {
        let mut extra = serde_json::Map::new();
        if let Some(channel) = channel {
            extra.insert("channel".into(), channel);
        }
        Utterance {
            speaker: speaker.into(),
            start_ms: None,
            end_ms: None,
            text: "您好".into(),
            confidence: None,
            extra,
        }
    }

    #[test]
    fn named_speakers_keep_their_roles_and_channels_follow_the_layout() {
        let mut transcript = Transcript {
            call_id: "x".into(),
            agent_id: None,
            customer_id: None,
            started_at: None,
            direction: None,
            audio: None,
            utterances: vec![
                utterance("客服", None),
                utterance("customer", None),
                utterance("left", None),
                utterance("CH1", None),
                utterance("右声道", None),
                utterance("SPEAKER_00", Some(0.into())),
                utterance("spk", Some("right".into())),
                utterance("IVR", None),
            ],
            extra: serde_json::Map::new(),
        };
        assign_vendor_roles(&mut transcript, AgentChannel::Right);
        let speakers: Vec<&str> = transcript
            .utterances
            .iter()
            .map(|u| u.speaker.as_str())
            .collect();
        assert_eq!(
            speakers,
            ["客服", "customer", "customer", "agent", "agent", "customer", "agent", "IVR"]
        );
    }
}
