//! The shared recordings decode as their READMEs describe: the four synthetic
//! dev calls (8 kHz stereo G.711 μ-law, agent left, customer right) and the
//! real Mandarin clips (mono 16-bit PCM at 8 or 16 kHz). The dev calls'
//! transcripts give speech on/offsets measured on the source audio, so they
//! also check that each channel carries its speaker, and that decoding and
//! resampling shifted nothing in time.

mod audio_support;

use std::path::Path;
use std::sync::OnceLock;

use audio_support::*;
use callqa::audio::{
    decode_file, frame_levels_dbfs, AudioStream, DecodeOptions, DecodedAudio, Encoding,
};
use serde_json::Value;

/// (call, duration in s from the dev README).
const DEV_CALLS: [(&str, f64); 4] = [
    ("dev-01", 84.5),
    ("dev-02", 108.1),
    ("dev-03", 61.8),
    ("dev-04", 85.8),
];

/// 10 ms frames at 16 kHz.
const FRAME: usize = 160;

struct Utterance {
    channel: usize,
    start_ms: u64,
    end_ms: u64,
}

fn utterances(transcript: &Path) -> Vec<Utterance> {
    let json: Value = serde_json::from_str(&std::fs::read_to_string(transcript).unwrap()).unwrap();
    json["utterances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| Utterance {
            channel: match u["speaker"].as_str().unwrap() {
                "agent" => 0,
                "customer" => 1,
                other => panic!("unexpected speaker {other} in {}", transcript.display()),
            },
            start_ms: u["start_ms"].as_u64().unwrap(),
            end_ms: u["end_ms"].as_u64().unwrap(),
        })
        .collect()
}

/// Frames in the fact chunk, read straight from the file bytes (an
/// independent count of what the file holds).
fn fact_frames(wav: &Path) -> u64 {
    let bytes = std::fs::read(wav).unwrap();
    let at = bytes
        .windows(4)
        .position(|w| w == b"fact")
        .expect("dev WAVs have a fact chunk");
    u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as u64
}

/// The dev calls decoded once for all tests in this binary (decoding is the slow part).
fn decode_dev(call: &str) -> &'static DecodedAudio {
    static DECODED: OnceLock<Vec<DecodedAudio>> = OnceLock::new();
    let decoded = DECODED.get_or_init(|| {
        DEV_CALLS
            .iter()
            .map(|(call, _)| {
                let path = shared_audio_dir().join("dev").join(format!("{call}.wav"));
                decode_file(&path).unwrap_or_else(|e| panic!("{e}"))
            })
            .collect()
    });
    &decoded[DEV_CALLS
        .iter()
        .position(|(name, _)| *name == call)
        .unwrap()]
}

#[test]
fn dev_calls_decode_as_8k_stereo_mulaw_at_their_documented_length() {
    for (call, seconds) in DEV_CALLS {
        let decoded = decode_dev(call);
        let source = &decoded.source;
        assert_eq!(source.format, Encoding::MuLaw, "{call}");
        assert_eq!(
            (source.format_tag, source.bits, source.rate, source.channels),
            (7, 8, 8000, 2),
            "{call}"
        );
        let wav = shared_audio_dir().join("dev").join(format!("{call}.wav"));
        assert_eq!(
            source.frames,
            fact_frames(&wav),
            "{call}: frames vs the fact chunk"
        );
        assert!(
            (source.duration_ms as f64 - seconds * 1000.0).abs() <= 60.0,
            "{call}: {} ms, README says {seconds} s",
            source.duration_ms
        );
        assert_eq!(decoded.channels.len(), 2, "{call}");
        assert_eq!(
            decoded.len() as u64,
            2 * source.frames,
            "{call}: 16 kHz is twice the 8 kHz frames"
        );
        assert!(
            decoded.silent_channels(-60.0).is_empty(),
            "{call}: no dead leg"
        );
    }
}

#[test]
fn each_dev_channel_carries_its_speaker_at_the_transcript_times() {
    for (call, _) in DEV_CALLS {
        let decoded = decode_dev(call);
        let turns = utterances(&shared_audio_dir().join("dev").join(format!("{call}.json")));
        let frames: Vec<Vec<f32>> = decoded
            .channels
            .iter()
            .map(|c| frame_levels_dbfs(c, FRAME))
            .collect();
        let samples = |channel: usize, from_ms: u64, to_ms: u64| {
            let channel = &decoded.channels[channel];
            &channel[(from_ms as usize * 16).min(channel.len())
                ..(to_ms as usize * 16).min(channel.len())]
        };

        for turn in &turns {
            let own = turn.channel;
            // Speech on the speaker's channel.
            let speech = dbfs(samples(own, turn.start_ms, turn.end_ms));
            assert!(
                speech > -35.0,
                "{call}: turn at {} ms is only {speech:.1} dBFS on channel {own}",
                turn.start_ms
            );

            // Onset and offset where the transcript says (it was measured on the
            // source with the same −50 dBFS / 10 ms rule, within 44 ms).
            let window_start = (turn.start_ms.saturating_sub(300) / 10) as usize;
            let onset = (window_start..frames[own].len())
                .find(|&f| frames[own][f] > -50.0)
                .unwrap() as i64
                * 10;
            assert!(
                (onset - turn.start_ms as i64).abs() <= 50,
                "{call}: onset at {onset} ms, transcript {}",
                turn.start_ms
            );
            let window_end = ((turn.end_ms + 300) / 10) as usize;
            let offset = (0..window_end.min(frames[own].len()))
                .rev()
                .find(|&f| frames[own][f] > -50.0)
                .unwrap() as i64
                * 10;
            assert!(
                (offset - turn.end_ms as i64).abs() <= 60,
                "{call}: offset at {offset} ms, transcript {}",
                turn.end_ms
            );
        }

        // Away from a channel's own turns (by 100 ms), it holds only line noise,
        // even while the other side is talking: no crosstalk, no swapped channels.
        for (channel, channel_frames) in frames.iter().enumerate() {
            let own_turns: Vec<&Utterance> =
                turns.iter().filter(|t| t.channel == channel).collect();
            let mut quiet_frames = 0;
            for (index, &level) in channel_frames.iter().enumerate() {
                let ms = index as u64 * 10;
                let near_own_turn = own_turns
                    .iter()
                    .any(|t| ms + 110 >= t.start_ms && ms <= t.end_ms + 100);
                if !near_own_turn {
                    quiet_frames += 1;
                    assert!(
                        level < -50.0,
                        "{call}: channel {channel} at {ms} ms is {level:.1} dBFS outside its turns"
                    );
                }
            }
            assert!(
                quiet_frames > 500,
                "{call}: channel {channel} has only {quiet_frames} frames outside its turns"
            );
            // The other side's turns (where this channel is quiet) really are quiet.
            for turn in turns.iter().filter(|t| t.channel != channel) {
                let overlaps = own_turns
                    .iter()
                    .any(|o| o.start_ms < turn.end_ms + 100 && turn.start_ms < o.end_ms + 100);
                if !overlaps {
                    let level = dbfs(samples(channel, turn.start_ms, turn.end_ms));
                    assert!(level < -55.0, "{call}: channel {channel} is {level:.1} dBFS while only the other side talks");
                }
            }
        }
    }
}

#[test]
fn streaming_a_dev_call_in_small_blocks_gives_the_same_samples() {
    let path = shared_audio_dir().join("dev/dev-01.wav");
    let whole = decode_dev("dev-01");
    let options = DecodeOptions {
        block_ms: 1000,
        ..DecodeOptions::default()
    };
    let mut stream = AudioStream::open_with(&path, &options).unwrap();
    let mut channels = vec![Vec::new(), Vec::new()];
    let mut next_start = 0;
    while let Some(block) = stream.next_block().unwrap() {
        assert_eq!(block.start_sample, next_start);
        assert!(block.len() <= 16_000);
        next_start += block.len() as u64;
        for (all, part) in channels.iter_mut().zip(&block.channels) {
            all.extend_from_slice(part);
        }
    }
    assert_eq!(channels, whole.channels);
}

/// (file, rate, duration in s) from the real clips' README.
const REAL_CLIPS: [(&str, u32, f64); 15] = [
    ("tencent_8k_19s_insurance_call.wav", 8000, 19.57),
    ("tencent_8k_chifanlema.wav", 8000, 3.09),
    ("tencent_16k_beijing_kejiguan.wav", 16_000, 4.06),
    ("tencent_16k_30s_zhu_ziqing_chun.wav", 16_000, 30.12),
    ("aishell1_BAC009S0724W0121.wav", 16_000, 4.28),
    ("wenet_gpu_client_long.wav", 16_000, 8.00),
    ("wenet_gpu_client_mid.wav", 16_000, 4.99),
    ("funasr_asr_example.wav", 16_000, 5.55),
    ("funasr_llamacpp_sample.wav", 16_000, 6.00),
    ("paddlespeech_features_test.wav", 16_000, 9.43),
    ("ppasr_test.wav", 16_000, 8.39),
    ("voiceprint_spkA_1.wav", 16_000, 3.67),
    ("voiceprint_spkA_2.wav", 16_000, 2.20),
    ("voiceprint_spkB_1.wav", 16_000, 5.04),
    ("voiceprint_spkB_2.wav", 16_000, 5.18),
];

#[test]
fn real_clips_decode_as_documented_and_agree_with_hound() {
    for (file, rate, seconds) in REAL_CLIPS {
        let path = shared_audio_dir().join("real").join(file);
        let decoded = decode_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let source = &decoded.source;
        assert_eq!(
            (source.format, source.bits, source.rate, source.channels),
            (Encoding::Pcm, 16, rate, 1),
            "{file}"
        );
        assert!(
            (source.duration_ms as f64 - seconds * 1000.0).abs() <= 6.0,
            "{file}: {} ms, README {seconds} s",
            source.duration_ms
        );
        assert_eq!(
            decoded.len() as u64,
            source.frames * 16_000 / rate as u64,
            "{file}"
        );

        // hound reads these plain files too: the same samples at 16 kHz, the
        // same level after resampling at 8 kHz (speech there is all in band).
        let reference: Vec<f32> = hound::WavReader::open(&path)
            .unwrap()
            .samples::<i16>()
            .map(|s| s.unwrap() as f32 / 32768.0)
            .collect();
        assert_eq!(reference.len() as u64, source.frames, "{file}");
        if rate == 16_000 {
            assert_eq!(decoded.channels[0], reference, "{file}");
        } else {
            let difference = dbfs(&decoded.channels[0]) - dbfs(&reference);
            assert!(
                difference.abs() < 0.3,
                "{file}: level changed by {difference:.2} dB in resampling"
            );
        }
        assert!(
            dbfs(&decoded.channels[0]) > -45.0,
            "{file}: speech expected"
        );
    }
}
