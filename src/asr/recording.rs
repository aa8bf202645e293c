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
use super::vad::{detect_speech, VadConfig};
use super::voice::median_pitches;
use super::{AsrError, AsrInfo, CallContext, Transcriber};
use crate::audio::DecodedAudio;
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
    let path = options.call.audio_path.clone();
    let input_error = |message: String| AsrError::Input {
        path: path.clone(),
        message,
    };
    if audio.channels.is_empty() || audio.is_empty() {
        return Err(input_error("the recording has no samples".into()));
    }
    if audio.sample_rate != crate::audio::OUTPUT_SAMPLE_RATE {
        return Err(input_error(format!(
            "audio is at {} Hz; the transcriber takes {} Hz (decode with audio::decode_file)",
            audio.sample_rate,
            crate::audio::OUTPUT_SAMPLE_RATE
        )));
    }
    let stereo = audio.channels.len() >= 2;
    if stereo && options.agent_channel >= audio.channels.len() {
        return Err(input_error(format!(
            "agent channel {} does not exist (the recording has {} channels)",
            options.agent_channel,
            audio.channels.len()
        )));
    }

    let plan = plan_speakers(audio, options);
    let mut stats = AsrStats {
        audio_ms: audio.duration_ms(),
        ..AsrStats::default()
    };
    let timed = |samples: &[f32], channel: usize| {
        let started = Instant::now();
        let result = transcriber.transcribe_channel(samples, channel, &options.call);
        (result, started.elapsed().as_secs_f64())
    };
    let asr_started = Instant::now();

    let mut extra = Map::new();
    let segments = match &plan {
        SpeakerPlan::Stereo => {
            // Channels are independent: with idle workers in the pool (and
            // free whisper slots) they are transcribed at the same time.
            let heard: Vec<_> = audio
                .channels
                .par_iter()
                .enumerate()
                .map(|(channel, samples)| timed(samples, channel))
                .collect();
            let mut segments = Vec::new();
            for (channel, (result, seconds)) in heard.into_iter().enumerate() {
                stats.channel_seconds.push(seconds);
                stats.channels_transcribed += 1;
                let role = if channel == options.agent_channel {
                    Role::Agent
                } else {
                    Role::Customer
                };
                for segment in result? {
                    segments.push(SpeakerSegment {
                        role,
                        channel,
                        role_confidence: 1.0,
                        segment,
                    });
                }
            }
            extra.insert("speaker_method".into(), json!(METHOD_STEREO));
            extra.insert("agent_channel".into(), json!(options.agent_channel));
            if let Some(note) = check_channel_mapping(&mut segments) {
                extra.insert("speaker_note".into(), json!(note));
            }
            segments
        }
        SpeakerPlan::Mono { channel, note } => {
            let mixed;
            let samples: &[f32] = match channel {
                Some(c) => &audio.channels[*c],
                None => {
                    mixed = mix_down(&audio.channels);
                    &mixed
                }
            };
            let (result, seconds) = timed(samples, channel.unwrap_or(0));
            stats.channel_seconds.push(seconds);
            stats.channels_transcribed += 1;
            let heard = result?;
            let spans: Vec<(u64, u64)> = heard.iter().map(|s| (s.start_ms, s.end_ms)).collect();
            let pitches = median_pitches(samples, audio.sample_rate, &spans);
            let evidence: Vec<TurnEvidence> = heard
                .iter()
                .zip(pitches)
                .map(|(s, pitch_hz)| TurnEvidence {
                    start_ms: s.start_ms,
                    end_ms: s.end_ms,
                    text: s.text.clone(),
                    pitch_hz,
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

    stats.asr_seconds = asr_started.elapsed().as_secs_f64();

    let merge = match plan {
        SpeakerPlan::Stereo => options.merge,
        SpeakerPlan::Mono { .. } => options.merge.for_mono(),
    };
    let turns = merge_turns(segments, &merge);
    let info = transcriber.info();
    extra.insert("asr".into(), asr_json(&info));
    extra.insert("audio_duration_ms".into(), json!(audio.duration_ms()));
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
    Ok(TimedTranscript { transcript, stats })
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

fn plan_speakers(audio: &DecodedAudio, options: &RecordingOptions) -> SpeakerPlan {
    let channels = audio.channels.len();
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
    if channels_are_copies(&audio.channels[0], &audio.channels[1]) {
        return SpeakerPlan::Mono {
            channel: Some(options.agent_channel),
            note: Some(
                "both channels carry the same signal (a mono recording stored as stereo)".into(),
            ),
        };
    }
    let speech: Vec<u64> = audio
        .channels
        .iter()
        .map(|c| detect_speech(c, audio.sample_rate, &options.vad).speech_ms())
        .collect();
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

/// True when two channels are (nearly) the same signal: correlation above
/// 0.98 and levels within 1 dB.
fn channels_are_copies(a: &[f32], b: &[f32]) -> bool {
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        ab += f64::from(x) * f64::from(y);
        aa += f64::from(x) * f64::from(x);
        bb += f64::from(y) * f64::from(y);
    }
    if aa <= 0.0 || bb <= 0.0 {
        return aa == bb;
    }
    let correlation = ab / (aa.sqrt() * bb.sqrt());
    let level_db = 10.0 * (aa / bb).log10();
    correlation > 0.98 && level_db.abs() < 1.0
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
