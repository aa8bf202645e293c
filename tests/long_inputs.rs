//! Long inputs through the real binary (issue 10):
//!
//! - defect 9: `callqa run` on a 70-minute stereo recording keeps its peak
//!   memory under [`RSS_LIMIT_KB`] (the whole-recording decoder needed
//!   ≈ 0.7 GB for it: 16 kHz f32 of both channels alone is 540 MB), and the
//!   speech spliced in at the start, the middle and the end is still
//!   transcribed. Mostly low noise, so the speech detector skips most of it
//!   and Whisper runs on ~1.5 min of speech. `callqa report` on the run
//!   copies the recording as a stream, under the same bound.
//! - defect 10: scoring one utterance of 您好 × 250,000 or 50,000 short
//!   phrases finishes within a generous [`SCORE_TIMEOUT`] (the quadratic
//!   version took 120 s and 54 s of CPU; the linear one takes well under 1 s),
//!   and so does an agent repeating one promise 120,000 times in one sentence.
//!   Speed itself is measured by `benches/long_text.rs`.
//!
//! The memory test needs the cached Whisper model (`callqa models` fetches
//! it) and the real speech clips in ../shared/audio; without them it says it
//! is skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_callqa");

/// Peak resident memory allowed for one `callqa run` of a long recording.
const RSS_LIMIT_KB: i64 = 400 * 1024;

/// How long scoring a quarter-million-character utterance may take.
const SCORE_TIMEOUT: Duration = Duration::from_secs(30);

fn clip() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/audio/real/tencent_16k_30s_zhu_ziqing_chun.wav")
}

fn model_cached() -> bool {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let models = home.join(".cache/callqa/models");
    models.join("ggml-base-q8_0.bin").exists() || models.join("ggml-base.bin").exists()
}

/// Runs `command` to the end and returns its exit code, its stderr and its
/// own peak RSS (KB). The child is reaped with wait4, which reports that one
/// process: getrusage(RUSAGE_CHILDREN) would also count the children of the
/// other tests running beside this one in the same binary.
fn run_measured(command: &mut Command, dir: &Path) -> (Option<i32>, String, i64) {
    let stderr_path = dir.join("stderr.txt");
    let child = command
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 only writes into the two values we pass; the child is
    // ours and not waited for anywhere else (`child` is never waited on).
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4 failed");
    drop(child);
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    (code, stderr, usage.ru_maxrss)
}

/// Writes `minutes` of 16 kHz stereo: noise at about −66 dBFS on both
/// channels, the 30 s read-prose clip on the left at 1 min, in the middle
/// and 2 min before the end.
fn long_recording(path: &Path, minutes: u64) -> Vec<u64> {
    let speech: Vec<i16> = hound::WavReader::open(clip())
        .unwrap()
        .samples::<i16>()
        .map(Result::unwrap)
        .collect();
    let total = minutes * 60 * 16_000;
    let splices: Vec<u64> = vec![60, minutes * 30, minutes * 60 - 120];
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = hound::WavWriter::create(path, spec).unwrap();
    let mut seed = 12_345u32;
    let mut noise = || {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        ((seed >> 16) % 31) as i16 - 15
    };
    let mut next = 0;
    let mut i = 0u64;
    while i < total {
        let at = splices.get(next).map(|s| s * 16_000);
        if at == Some(i) {
            // The agent's side (left) speaks, then the customer's (right)
            // answers: a call needs usable speech from both to be scored
            // and to reach the report.
            for &s in &speech {
                out.write_sample(s).unwrap();
                out.write_sample(noise()).unwrap();
            }
            for &s in &speech {
                out.write_sample(noise()).unwrap();
                out.write_sample(s).unwrap();
            }
            i += 2 * speech.len() as u64;
            next += 1;
            continue;
        }
        out.write_sample(noise()).unwrap();
        out.write_sample(noise()).unwrap();
        i += 1;
    }
    out.finalize().unwrap();
    splices.iter().map(|s| s * 1000).collect()
}

#[test]
fn a_long_recording_is_transcribed_in_bounded_memory() {
    assert!(
        model_cached() && clip().exists(),
        "the Whisper model or {} is not available: run `bash scripts/setup.sh` with ../shared beside the checkout",
        clip().display()
    );
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("long-call.wav");
    let splices = long_recording(&wav, 70);
    let out = dir.path().join("out");
    let (_, stderr, peak_kb) = run_measured(
        Command::new(BIN)
            .args(["run", "-j", "1", "-t", "1", "--quiet", "--out"])
            .arg(&out)
            .arg(&wav),
        dir.path(),
    );
    assert!(
        peak_kb < RSS_LIMIT_KB,
        "callqa run on 70 min of audio peaked at {} MB (limit {} MB)\n{stderr}",
        peak_kb / 1024,
        RSS_LIMIT_KB / 1024
    );

    let transcript: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("transcripts/long-call.json"))
            .unwrap_or_else(|e| panic!("no transcript ({e}); run said:\n{stderr}")),
    )
    .unwrap();
    let utterances = transcript["utterances"].as_array().unwrap();
    for at in splices {
        // The clip's opening words, 雨是最寻常的 (Whisper hears 寻常 in it).
        let heard = utterances.iter().any(|u| {
            let start = u["start_ms"].as_u64().unwrap_or(0);
            start + 1000 >= at
                && start < at + 30_000
                && u["text"].as_str().unwrap_or("").contains("寻常")
        });
        assert!(
            heard,
            "the speech spliced in at {} s is missing: {utterances:#?}",
            at / 1000
        );
    }
    assert_eq!(
        transcript["audio_duration_ms"].as_u64(),
        Some(70 * 60 * 1000),
        "the transcript states the whole length"
    );

    // The report's playable copy of the recording is streamed too (a whole
    // decode of 70 min of stereo would hold about 540 MB of samples).
    let report = dir.path().join("report");
    let (code, stderr, peak_kb) = run_measured(
        Command::new(BIN)
            .args(["report", "--out"])
            .arg(&report)
            .arg(&out),
        dir.path(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        peak_kb < RSS_LIMIT_KB,
        "callqa report on 70 min of audio peaked at {} MB (limit {} MB)\n{stderr}",
        peak_kb / 1024,
        RSS_LIMIT_KB / 1024
    );
    let copies: Vec<_> = std::fs::read_dir(report.join("audio"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");
    // 16 kHz stereo 16-bit: 64,000 bytes a second, plus the 44-byte header.
    assert_eq!(
        std::fs::metadata(&copies[0]).unwrap().len(),
        44 + 70 * 60 * 64_000,
        "the copy holds the whole recording"
    );
}

/// Scores `text` as one customer utterance with a subprocess time limit.
fn score_one_utterance(text: &str) -> serde_json::Value {
    score_call("您好，欢迎致电，很高兴为您服务。", text)
}

/// Scores a call of one agent and one customer utterance with a subprocess
/// time limit.
fn score_call(agent: &str, customer: &str) -> serde_json::Value {
    let text = if agent.len() > customer.len() {
        agent
    } else {
        customer
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long-utterance.json");
    let transcript = serde_json::json!({
        "call_id": "long-utterance",
        "utterances": [
            {"speaker": "agent", "text": agent, "start_ms": 0, "end_ms": 3000},
            {"speaker": "customer", "text": customer, "start_ms": 3000, "end_ms": 600_000}
        ]
    });
    std::fs::write(&path, transcript.to_string()).unwrap();
    let mut child = Command::new(BIN)
        .args(["score", "-j", "1", "-f", "jsonl"])
        .arg(&path)
        // A file, not a pipe: a scorecard quoting thousands of hits is larger
        // than a pipe's buffer, and nobody reads the pipe until the end.
        .stdout(std::fs::File::create(dir.path().join("scorecard.jsonl")).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > SCORE_TIMEOUT {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!(
                "scoring {} characters took over {} s: not linear",
                text.chars().count(),
                SCORE_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let stdout = std::fs::read_to_string(dir.path().join("scorecard.jsonl")).unwrap();
    serde_json::from_str(stdout.lines().next().expect("a scorecard line")).unwrap()
}

#[test]
fn a_quarter_million_characters_of_one_greeting_score_in_linear_time() {
    let card = score_one_utterance(&"您好".repeat(250_000));
    assert_eq!(card["call_id"], "long-utterance");
}

#[test]
fn fifty_thousand_short_phrases_score_in_linear_time() {
    let phrases = [
        "好的",
        "嗯",
        "明白",
        "我帮您查一下",
        "请稍等",
        "退款",
        "不行",
        "谢谢",
    ];
    let text: Vec<&str> = (0..50_000usize)
        .map(|i| phrases[i * 7 % phrases.len()])
        .collect();
    let card = score_one_utterance(&text.join("，"));
    assert_eq!(card["call_id"], "long-utterance");
}

#[test]
fn an_agent_repeating_one_promise_without_punctuation_scores_in_linear_time() {
    // 120,000 promises in one sentence. Two scans made this quadratic: each
    // hit re-checked every hit of its sentence for an `unless` act (10k
    // repeats took 4.6 s), and each position scanned every time expression
    // (40k took 4.9 s with the first fixed, so 120k about 45 s). Linear, 120k
    // take about 3 s.
    let card = score_call(&"明天下午五点前给您回电".repeat(120_000), "好的");
    assert_eq!(card["call_id"], "long-utterance");
}
