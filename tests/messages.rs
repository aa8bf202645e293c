//! Messages a user reads, through the `callqa` binary: a truncated WAV
//! names a flag that exists (`--accept-truncated`, which then scores the
//! part that is there), an RF64 header declaring 2^62 bytes is called a
//! corrupt header with both sizes (not "0 ms of audio"), and terminal
//! escape codes in ids, file names and transcript text never reach the
//! terminal raw.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const CALLQA: &str = env!("CARGO_BIN_EXE_callqa");

fn dev_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/audio/dev");
    assert!(
        dir.join("dev-01.wav").is_file(),
        "the dev recordings are missing from {}; these tests need them",
        dir.display()
    );
    dir
}

fn callqa(args: &[&str]) -> Output {
    Command::new(CALLQA).args(args).output().unwrap()
}

/// `run --transcripts` over `calls` with the dev ground truth as vendor
/// transcripts (dev-01's also under the names `huge` and `bad`, so those
/// recordings get as far as decoding); returns the output.
fn run(tmp: &Path, calls: &Path, extra: &[&str]) -> (Output, PathBuf) {
    let out = tmp.join("out");
    let vendor = tmp.join("vendor");
    fs::create_dir_all(&vendor).unwrap();
    for (from, to) in [("dev-01", "dev-01"), ("dev-01", "huge"), ("dev-01", "bad")] {
        fs::copy(
            dev_dir().join(format!("{from}.json")),
            vendor.join(format!("{to}.json")),
        )
        .unwrap();
    }
    let mut args = vec![
        "run",
        "--transcripts",
        vendor.to_str().unwrap().to_owned().leak(),
        "-o",
        out.to_str().unwrap().to_owned().leak(),
    ];
    args.extend_from_slice(extra);
    args.push(calls.to_str().unwrap().to_owned().leak());
    (callqa(&args), out)
}

fn error_rows(out: &Path) -> Vec<Value> {
    fs::read_to_string(out.join("errors.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_truncated_wav_names_the_flag_and_the_flag_scores_it() {
    let tmp = tempfile::tempdir().unwrap();
    let calls = tmp.path().join("calls");
    fs::create_dir_all(&calls).unwrap();
    let bytes = fs::read(dev_dir().join("dev-01.wav")).unwrap();
    fs::write(calls.join("dev-01.wav"), &bytes[..bytes.len() / 2]).unwrap();

    let (output, out) = run(tmp.path(), &calls, &[]);
    assert_eq!(output.status.code(), Some(2), "an error row: exit 2");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors = error_rows(&out);
    assert_eq!(errors.len(), 1);
    let message = errors[0]["message"].as_str().unwrap();
    assert!(message.contains("dev-01.wav"), "{message}");
    assert!(message.contains("truncated data"), "{message}");
    assert!(
        message.contains("callqa run --accept-truncated"),
        "{message}"
    );
    assert!(!message.contains("DecodeOptions"), "{message}");
    assert!(stderr.contains("--accept-truncated"), "{stderr}");

    // The flag exists and does what the message says.
    let (output, out) = run(tmp.path(), &calls, &["--accept-truncated"]);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(error_rows(&out).is_empty());
    let card: Value = serde_json::from_str(
        fs::read_to_string(out.join("scorecards.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(card["call_id"], "dev-01");
    assert!(card["score"].is_number());
}

/// An 8 kHz mono 16-bit RF64 file whose ds64 chunk declares 2^62 bytes of
/// audio, with `samples` samples actually there.
fn rf64_declaring_2_pow_62(samples: usize) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"RF64");
    b.extend_from_slice(&u32::MAX.to_le_bytes());
    b.extend_from_slice(b"WAVE");
    b.extend_from_slice(b"ds64");
    b.extend_from_slice(&28u32.to_le_bytes());
    b.extend_from_slice(&((1u64 << 62) + 72).to_le_bytes()); // RIFF size
    b.extend_from_slice(&(1u64 << 62).to_le_bytes()); // data size
    b.extend_from_slice(&(1u64 << 61).to_le_bytes()); // sample count
    b.extend_from_slice(&0u32.to_le_bytes()); // table length
    b.extend_from_slice(b"fmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&8000u32.to_le_bytes());
    b.extend_from_slice(&16000u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&u32::MAX.to_le_bytes());
    for n in 0..samples {
        let v = ((n as f64 * 0.07).sin() * 8000.0) as i16;
        b.extend_from_slice(&v.to_le_bytes());
    }
    b
}

#[test]
fn an_rf64_header_declaring_2_pow_62_bytes_is_called_corrupt() {
    let tmp = tempfile::tempdir().unwrap();
    let calls = tmp.path().join("calls");
    fs::create_dir_all(&calls).unwrap();
    fs::write(calls.join("huge.wav"), rf64_declaring_2_pow_62(8000)).unwrap();
    let (output, out) = run(tmp.path(), &calls, &[]);
    assert_eq!(output.status.code(), Some(2));
    let errors = error_rows(&out);
    let message = errors[0]["message"].as_str().unwrap();
    assert!(message.contains("huge.wav"), "{message}");
    assert!(message.contains("corrupt WAV header"), "{message}");
    assert!(
        message.contains("4611686018427387904 bytes of audio (4.0 EiB)"),
        "declared size: {message}"
    );
    assert!(
        message.contains("16000 bytes of audio (1.0 s)"),
        "size there: {message}"
    );
    assert!(message.contains("re-export"), "{message}");
    assert!(message.contains("--accept-truncated"), "{message}");
    assert!(!message.contains("0 ms"), "{message}");
}

/// Nothing that acts on a terminal: ESC, BEL, CSI (C1), bidi overrides.
fn assert_terminal_safe(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for bad in ['\x1b', '\x07', '\u{9b}', '\u{202e}', '\u{2066}', '\r'] {
        assert!(
            !text.contains(bad),
            "{what}: raw {:?} reached the terminal:\n{text}",
            bad
        );
    }
}

const HOSTILE_ID: &str = "c1\x1b]0;pwned\x07\x1b[2J";
const HOSTILE_AGENT: &str = "A\u{202e}9102\x1b[31m";

#[test]
fn escape_codes_in_a_transcript_do_not_reach_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let mut truth: Value =
        serde_json::from_str(&fs::read_to_string(dev_dir().join("dev-03.json")).unwrap()).unwrap();
    truth["call_id"] = HOSTILE_ID.into();
    truth["agent_id"] = HOSTILE_AGENT.into();
    // dev-03 fails items, so the text scorecard quotes this as evidence.
    for u in truth["utterances"].as_array_mut().unwrap() {
        // No `[` in these: an unclosed bracket reads as an annotation.
        let text = format!(
            "\u{202e}{}\x1b]0;t\x07\u{9b}2K",
            u["text"].as_str().unwrap()
        );
        u["text"] = text.into();
    }
    let path = tmp.path().join("hostile\x1b[1m.json");
    fs::write(&path, truth.to_string()).unwrap();

    let output = callqa(&["score", "-f", "text", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "dev-03 fails its rubric");
    assert_terminal_safe("score -f text stdout", &output.stdout);
    assert_terminal_safe("score -f text stderr", &output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("c1\\u{1b}]0;pwned\\u{7}\\u{1b}[2J"),
        "the id is shown, escaped: {stdout}"
    );
    assert!(stdout.contains("A\\u{202e}9102\\u{1b}[31m"), "{stdout}");
    assert!(stdout.contains("hostile\\u{1b}[1m.json"), "{stdout}");
    assert!(
        stdout.contains("\\u{1b}]0;t\\u{7}"),
        "evidence escaped: {stdout}"
    );
    assert!(stdout.contains("\\u{9b}2K"), "{stdout}");

    // trace and check print the same ids and quotes.
    for args in [vec!["trace"], vec!["check", "--verbose"]] {
        let mut args = args.clone();
        args.push(path.to_str().unwrap());
        let output = callqa(&args);
        assert_terminal_safe(&format!("{} stdout", args[0]), &output.stdout);
        assert_terminal_safe(&format!("{} stderr", args[0]), &output.stderr);
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("\\u{1b}"),
            "{}: {}",
            args[0],
            String::from_utf8_lossy(&output.stdout)
        );
    }

    // The JSON keeps the data as it was.
    let json = callqa(&["score", "-f", "json", path.to_str().unwrap()]);
    let cards: Value = serde_json::from_slice(&json.stdout).unwrap();
    let card = if cards.is_array() { &cards[0] } else { &cards };
    assert_eq!(card["call_id"], HOSTILE_ID);

    // An error message naming a hostile file name.
    let missing = tmp.path().join("gone\x1b[2J.json");
    let output = callqa(&["score", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert_terminal_safe("score error", &output.stderr);
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("gone\\u{1b}[2J.json"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn escape_codes_in_a_run_do_not_reach_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let calls = tmp.path().join("calls");
    fs::create_dir_all(&calls).unwrap();
    fs::copy(dev_dir().join("dev-01.wav"), calls.join("dev-01.wav")).unwrap();
    // A bad recording whose name carries escape codes: an error row, named
    // in the progress line and in errors.
    fs::write(calls.join("bad\x1b[2J\u{202e}.wav"), b"not a wav at all").unwrap();
    let manifest = tmp.path().join("calls.csv");
    fs::write(
        &manifest,
        format!(
            "call_id,audio,agent_id\ndev-01,calls/dev-01.wav,{HOSTILE_AGENT}\nbad,calls/bad\x1b[2J\u{202e}.wav,A1\n"
        ),
    )
    .unwrap();
    let (output, out) = run(tmp.path(), &manifest, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert_terminal_safe("run stderr (progress lines, summary)", &output.stderr);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad\\u{1b}[2J\\u{202e}.wav"), "{stderr}");
    // Files keep the data as it was (JSON escapes it its own way).
    let errors = error_rows(&out);
    assert!(errors[0]["file"].as_str().unwrap().contains("bad\x1b[2J"));

    // The text scorecard of the run's transcript: the agent id escaped.
    let output = callqa(&[
        "score",
        out.join("transcripts/dev-01.json").to_str().unwrap(),
    ]);
    assert_terminal_safe("score of a run transcript", &output.stdout);
    assert!(String::from_utf8_lossy(&output.stdout).contains("A\\u{202e}9102\\u{1b}[31m"));
}

/// A rubric that cannot be used because a dictionary it names is missing:
/// the message names the flag and the rubric and says the fix, and the
/// cause below it names the dictionary file and why.
#[test]
fn an_unusable_rubric_shows_its_cause() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rubric = tmp.path().join("mine.toml");
    // The dictionary cs-standard names (cs-dict.txt) is not copied beside it.
    fs::copy(root.join("rubrics/cs-standard.toml"), &rubric).unwrap();
    let fixture = root.join("fixtures/golden/asr-empathy-3x-garbled-food.json");
    let output = callqa(&[
        "score",
        "--rubric",
        rubric.to_str().unwrap(),
        fixture.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines[0].starts_with("callqa: error: --rubric ")
            && lines[0].contains("mine.toml")
            && lines[0].contains("callqa lint"),
        "the message names the flag, the file and the fix: {stderr}"
    );
    let cause = lines
        .iter()
        .find(|l| l.trim_start().starts_with("caused by: "))
        .unwrap_or_else(|| panic!("no cause line: {stderr}"));
    assert!(
        cause.contains("mine.toml:")
            && cause.contains("cs-dict.txt")
            && cause.contains("no such file"),
        "the cause names the rubric's line, the dictionary and why: {stderr}"
    );
}

/// `--model` naming a folder: the run stops (exit 2) with a message naming
/// the flag, and the model cache's own message (a folder, not a model file,
/// and the fix) as its cause.
#[test]
fn a_model_that_is_a_folder_shows_its_cause() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("some-model");
    fs::create_dir_all(&folder).unwrap();
    let audio = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/audio/call-01.wav");
    let output = Command::new(CALLQA)
        .env("CALLQA_MODEL_DIR", tmp.path().join("cache"))
        .args(["run", "--quiet", "-j", "1", "--model"])
        .arg(&folder)
        .arg("-o")
        .arg(tmp.path().join("out"))
        .arg(&audio)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines[0].starts_with("callqa: error: --model ") && lines[0].contains("some-model"),
        "{stderr}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.trim_start().starts_with("caused by: ")
                && l.contains("some-model is a folder, not a model file")
                && l.contains("fix:")),
        "{stderr}"
    );
    // Said once: the cause is not repeated in the message above it.
    assert_eq!(stderr.matches("is a folder").count(), 1, "{stderr}");
}
