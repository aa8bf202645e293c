//! No score from nothing (issue 10, defect 3). A call without usable speech
//! from the agent or the customer — an empty transcript, only unknown
//! speakers, only fillers, one side missing, or a recording of noise, a
//! tone or 10 ms of audio — gets an error row saying so, never a scorecard:
//! in `score`, `check` and `run`. The recordings go through the real Whisper
//! model (skipped with a message when it is not cached, like
//! tests/asr_whisper.rs); needs a release build:
//! `cargo test --release --test no_speech`.

use std::f64::consts::PI;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

use callqa::asr::{
    transcribe_recording, CallContext, RecordingOptions, WhisperSettings, WhisperTranscriber,
};
use callqa::audio::decode_file;
use callqa::score::{check_usable_speech, is_usable_speech};
use callqa::transcript::Transcript;

fn callqa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callqa"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn transcript(utterances: &[(&str, &str)]) -> String {
    let list: Vec<String> = utterances
        .iter()
        .map(|(speaker, text)| format!(r#"{{"speaker":"{speaker}","text":"{text}"}}"#))
        .collect();
    format!(
        r#"{{"call_id":"c","expect":{{"greeting":"pass"}},"utterances":[{}]}}"#,
        list.join(",")
    )
}

/// Transcripts that must not be scored, with the side the message names.
fn unscorable() -> Vec<(&'static str, String, &'static str)> {
    vec![
        ("empty", transcript(&[]), "either the agent or the customer"),
        (
            "unknown-speakers",
            transcript(&[("spk1", "您好，请问有什么可以帮您"), ("spk2", "我要退款")]),
            "either the agent or the customer",
        ),
        (
            "agent-only",
            transcript(&[
                ("agent", "您好，请问有什么可以帮您"),
                ("agent", "喂？您还在吗"),
            ]),
            "the customer",
        ),
        (
            "customer-fillers",
            transcript(&[
                ("客服", "您好，请问有什么可以帮您"),
                ("客户", "嗯……啊"),
                ("customer", "[noise]（咳嗽）"),
            ]),
            "the customer",
        ),
        (
            "customer-only",
            transcript(&[("customer", "喂喂，有人吗")]),
            "the agent",
        ),
    ]
}

#[test]
fn usable_speech_is_words_not_fillers_or_annotations() {
    // An opener that never closes is not an annotation: the words after a
    // stray bracket or a terminal escape's `[` still count.
    for text in [
        "好",
        "对",
        "喂？",
        "3",
        "嗯，好的",
        "[noise] 退款",
        "\u{1b}[8m您好",
        "我那个（就是想退款",
    ] {
        assert!(is_usable_speech(text), "{text}");
    }
    for text in [
        "",
        "嗯",
        "嗯嗯，啊。",
        "…",
        "[noise]",
        "<unk>",
        "【笑声】",
        "(咳嗽) 呃",
    ] {
        assert!(!is_usable_speech(text), "{text}");
    }
}

#[test]
fn unscorable_transcripts_are_error_rows_in_score_and_check() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("calls");
    fs::create_dir_all(&dir).unwrap();
    for (name, json, _) in unscorable() {
        fs::write(dir.join(format!("{name}.json")), json).unwrap();
    }
    // A call where each side says little but something is still scored.
    fs::write(
        dir.join("short-but-real.json"),
        transcript(&[("agent", "您好"), ("customer", "好")]),
    )
    .unwrap();

    let rubric = callqa::rubric::load_and_compile(None).unwrap();
    for (name, _, side) in unscorable() {
        let file = dir.join(format!("{name}.json"));
        let error = callqa::batch::score_file(&rubric, &file).unwrap_err();
        assert!(
            error.contains(&file.display().to_string())
                && error.contains(&format!("no usable speech from {side} ("))
                && error.contains("not scored"),
            "{name}: {error}"
        );
    }
    assert!(callqa::batch::score_file(&rubric, &dir.join("short-but-real.json")).is_ok());

    let out = callqa(&["score", "-f", "jsonl", dir.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let scored: Vec<serde_json::Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v.get("score").is_some())
        .collect();
    assert_eq!(scored.len(), 1, "only the real call is scored: {stdout}");
    assert!(
        stderr.contains("共 6 通电话：通过 0 通，未通过 1 通，出错 5 通"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("no usable speech from").count(),
        5,
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(2));

    let out = callqa(&["check", dir.join("agent-only.json").to_str().unwrap()]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("no usable speech from the customer"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(2), "{text}");
}

#[test]
fn a_run_with_a_silent_side_is_an_error_row_naming_the_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let calls = tmp.path().join("calls");
    let vendor = tmp.path().join("vendor");
    fs::create_dir_all(&calls).unwrap();
    fs::create_dir_all(&vendor).unwrap();
    // Any decodable recording will do: the transcript comes from --transcripts.
    write_wav(&calls.join("one-sided.wav"), 8000, 1.0, |t| {
        0.2 * (2.0 * PI * 300.0 * t).sin()
    });
    fs::write(
        vendor.join("one-sided.json"),
        transcript(&[
            ("agent", "您好，请问有什么可以帮您"),
            ("agent", "喂？您还在吗"),
        ]),
    )
    .unwrap();
    let out_dir = tmp.path().join("out");
    let out = callqa(&[
        "run",
        "--quiet",
        "--out",
        out_dir.to_str().unwrap(),
        "--transcripts",
        vendor.to_str().unwrap(),
        calls.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let errors = fs::read_to_string(out_dir.join("errors.jsonl")).unwrap();
    assert!(
        errors.contains("no usable speech from the customer in")
            && errors.contains("one-sided.wav")
            && errors.contains("--agent-channel"),
        "{errors}"
    );
    let scorecards = fs::read_to_string(out_dir.join("scorecards.jsonl")).unwrap();
    assert!(!scorecards.contains("\"score\""), "{scorecards}");
}

// ---- recordings through the real Whisper model ----

static WHISPER_LOCK: Mutex<()> = Mutex::new(());

fn transcriber() -> Option<&'static WhisperTranscriber> {
    static T: OnceLock<Option<WhisperTranscriber>> = OnceLock::new();
    T.get_or_init(|| {
        match WhisperTranscriber::new(WhisperSettings {
            threads: 1,
            ..WhisperSettings::default()
        }) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("skipped: {e}");
                None
            }
        }
    })
    .as_ref()
}

fn write_wav(path: &Path, rate: u32, seconds: f64, signal: impl Fn(f64) -> f64) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..(seconds * f64::from(rate)).round() as usize {
        let v = signal(i as f64 / f64::from(rate)).clamp(-1.0, 1.0);
        w.write_sample((v * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

/// Uniform white noise in -amplitude..amplitude from a fixed seed.
fn noise(amplitude: f64) -> impl Fn(f64) -> f64 {
    let state = std::cell::Cell::new(0x9E37_79B9_7F4A_7C15u64);
    move |_| {
        let mut x = state.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state.set(x);
        amplitude * ((x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0)
    }
}

/// Transcribes `path`; `None` when the model is not cached. A decode error
/// is returned as `Err` (a clear error row in `run`, also no score).
fn transcribe(path: &Path) -> Option<Result<Transcript, String>> {
    let t = transcriber()?;
    let _lock = WHISPER_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let audio = match decode_file(path) {
        Ok(a) => a,
        Err(e) => return Some(Err(e.to_string())),
    };
    let options = RecordingOptions {
        call: CallContext {
            call_id: "noise".into(),
            audio_path: path.to_path_buf(),
        },
        ..RecordingOptions::default()
    };
    Some(transcribe_recording(t, &audio, &options).map_err(|e| e.to_string()))
}

/// Whisper keeps no segment of `signal` (its confidence says noise), and
/// the call is not scorable.
fn assert_heard_nothing(name: &str, rate: u32, seconds: f64, signal: impl Fn(f64) -> f64) {
    let tmp = tempfile::tempdir().unwrap();
    let path: PathBuf = tmp.path().join(format!("{name}.wav"));
    write_wav(&path, rate, seconds, signal);
    let Some(result) = transcribe(&path) else {
        return;
    };
    match result {
        Ok(t) => {
            let texts: Vec<&str> = t.utterances.iter().map(|u| u.text.as_str()).collect();
            assert!(texts.is_empty(), "{name}: Whisper output kept: {texts:?}");
            assert!(check_usable_speech(&t).is_err(), "{name}");
        }
        Err(message) => assert!(
            message.contains(&path.display().to_string()),
            "{name}: {message}"
        ),
    }
}

#[test]
fn white_noise_is_not_speech() {
    assert_heard_nothing("white-5s", 16000, 5.0, noise(0.5));
}

#[test]
fn loud_telephone_noise_is_not_speech() {
    assert_heard_nothing("white-8k", 8000, 5.0, noise(0.9));
}

#[test]
fn a_sine_tone_is_not_speech() {
    assert_heard_nothing("sine-440", 16000, 5.0, |t| {
        0.5 * (2.0 * PI * 440.0 * t).sin()
    });
}

#[test]
fn ten_milliseconds_is_not_speech() {
    assert_heard_nothing("ten-ms", 16000, 0.01, noise(0.5));
}

#[test]
fn long_low_noise_is_not_speech() {
    assert_heard_nothing("low-noise-2min", 8000, 120.0, noise(0.01));
}
