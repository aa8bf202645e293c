//! The ASR stage with the real Whisper base model on the four synthetic dev
//! calls (8 kHz stereo μ-law, agent left): decode → transcribe_recording →
//! transcript, checked against the ground-truth JSON and the expected rubric
//! verdicts.
//!
//! Whisper runs one call at a time with one thread (tests run in parallel
//! threads; a global lock serialises every whisper call, and each call is
//! transcribed once and shared by all tests). Needs a release build:
//! `cargo test --release --test asr_whisper`. Skips (passes with a message)
//! when the model or the dev audio is not installed.
//!
//! The real-time-factor benchmark is ignored by default; run it alone:
//! `cargo test --release --test asr_whisper -- --ignored --nocapture`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use callqa::asr::{
    transcribe_recording_timed, AsrStats, CallContext, RecordingOptions, WhisperSettings,
    WhisperTranscriber, METHOD_MONO, METHOD_STEREO,
};
use callqa::audio::{decode_file, DecodedAudio};
use callqa::score::Verdict;
use callqa::text::{is_punctuation, match_form, normalize};
use callqa::transcript::{Transcript, Utterance};
use serde_json::Value;

const DEV: &str = "/work/shared/audio/dev";
const CALLS: [&str; 4] = ["dev-01", "dev-02", "dev-03", "dev-04"];

/// Serialises all whisper work in this binary: two whisper jobs on these
/// 2-core machines slow each other down by an order of magnitude.
static WHISPER_LOCK: Mutex<()> = Mutex::new(());

fn one_thread_transcriber() -> Option<&'static WhisperTranscriber> {
    static TRANSCRIBER: OnceLock<Option<WhisperTranscriber>> = OnceLock::new();
    TRANSCRIBER
        .get_or_init(|| {
            if !Path::new(DEV).join("dev-01.wav").exists() {
                eprintln!("skipped: {DEV} is not available");
                return None;
            }
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

fn options_for(call: &str) -> RecordingOptions {
    RecordingOptions {
        call: CallContext {
            call_id: call.to_string(),
            audio_path: Path::new(DEV).join(format!("{call}.wav")),
        },
        ..RecordingOptions::default()
    }
}

/// The ASR transcript of a dev call (transcribed once per test binary).
fn asr(call: &str) -> Option<(Transcript, AsrStats)> {
    static CACHE: Mutex<Option<HashMap<String, (Transcript, AsrStats)>>> = Mutex::new(None);
    let transcriber = one_thread_transcriber()?;
    let _whisper = WHISPER_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    if let Some(hit) = cache.get(call) {
        return Some(hit.clone());
    }
    let audio = decode_file(Path::new(DEV).join(format!("{call}.wav"))).unwrap();
    let timed = transcribe_recording_timed(transcriber, &audio, &options_for(call)).unwrap();
    if let Some(dir) = out_dir() {
        let json = serde_json::to_string_pretty(&timed.transcript).unwrap();
        std::fs::write(dir.join(format!("{call}.asr.json")), json).unwrap();
    }
    cache.insert(
        call.to_string(),
        (timed.transcript.clone(), timed.stats.clone()),
    );
    Some((timed.transcript, timed.stats))
}

/// Where transcripts are written for inspection: target/asr-tests.
fn out_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("asr-tests");
    std::fs::create_dir_all(&dir).ok().map(|_| dir)
}

fn truth(call: &str) -> Transcript {
    Transcript::from_path(&Path::new(DEV).join(format!("{call}.json"))).unwrap()
}

/// Content characters after the text stage's normalisation (Simplified,
/// numerals before units as digits), punctuation and spaces removed.
fn content(text: &str) -> Vec<char> {
    normalize(text)
        .chars()
        .filter(|c| !is_punctuation(*c))
        .collect()
}

fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

fn speaker_text(utterances: &[Utterance], speaker: &str) -> Vec<char> {
    let mut ordered: Vec<&Utterance> = utterances.iter().filter(|u| u.speaker == speaker).collect();
    ordered.sort_by_key(|u| u.start_ms);
    ordered.iter().flat_map(|u| content(&u.text)).collect()
}

/// Character errors and reference characters, per speaker summed.
fn character_errors(hypothesis: &Transcript, reference: &Transcript) -> (usize, usize) {
    ["agent", "customer"]
        .iter()
        .fold((0, 0), |(errors, total), speaker| {
            let h = speaker_text(&hypothesis.utterances, speaker);
            let r = speaker_text(&reference.utterances, speaker);
            (errors + edit_distance(&h, &r), total + r.len())
        })
}

fn overlap(a: &Utterance, b: &Utterance) -> i64 {
    let start = a.start_ms.unwrap().max(b.start_ms.unwrap()) as i64;
    let end = a.end_ms.unwrap().min(b.end_ms.unwrap()) as i64;
    end - start
}

/// The reference utterance each hypothesis utterance overlaps most.
fn best_match<'a>(u: &Utterance, candidates: &'a [Utterance]) -> Option<&'a Utterance> {
    candidates
        .iter()
        .filter(|c| overlap(u, c) > 0)
        .max_by_key(|c| overlap(u, c))
}

#[test]
fn dev_calls_have_low_character_error_rates() {
    let mut report = Vec::new();
    for call in CALLS {
        let Some((transcript, _)) = asr(call) else {
            return;
        };
        let (errors, total) = character_errors(&transcript, &truth(call));
        let cer = errors as f64 / total as f64;
        report.push(format!(
            "{call}: CER {:.1} % ({errors}/{total})",
            cer * 100.0
        ));
        assert!(cer < 0.15, "{call}: CER {:.1} % ≥ 15 %", cer * 100.0);
    }
    eprintln!("{}", report.join("\n"));
}

/// Phrases each call must contain (after normalisation; 您 and 你 folded),
/// each with the spellings Whisper base is known to use for it.
fn key_phrases(call: &str) -> &'static [&'static [&'static str]] {
    match call {
        "dev-01" => &[
            &["欢迎致电", "欢迎这店", "欢迎至电", "欢迎去电", "欢迎制电"],
            &["很高兴为你服务"],
            &["责任在我们"],
            &["全额退款"],
            &["住宿券", "100元的住宿"],
            &["9点前"],
        ],
        "dev-02" => &[
            &["二七零五", "2705"],
            &["请你稍候", "请你稍后"],
            &["公众号"],
            &["感谢你的来电"],
        ],
        "dev-03" => &[
            &["售后服务中心"],
            &["我理解你的心情"],
            &["不可能"],
            &["过几天"],
            &["再见"],
        ],
        "dev-04" => &[
            &["非常抱歉"],
            &["100%"],
            &["你听不懂吗"],
            &["转接"],
            &["调度"],
        ],
        _ => &[],
    }
}

#[test]
fn dev_calls_contain_their_key_phrases() {
    for call in CALLS {
        let Some((transcript, _)) = asr(call) else {
            return;
        };
        let all: String = transcript
            .utterances
            .iter()
            .map(|u| match_form(&normalize(&u.text)))
            .collect();
        for alternatives in key_phrases(call) {
            assert!(
                alternatives
                    .iter()
                    .any(|p| all.contains(&match_form(&normalize(p)))),
                "{call}: none of {alternatives:?} in {all}"
            );
        }
    }
}

#[test]
fn dev_calls_keep_speakers_and_times() {
    for call in CALLS {
        let Some((transcript, _)) = asr(call) else {
            return;
        };
        let reference = truth(call);
        assert_eq!(
            transcript.extra["speaker_method"],
            Value::from(METHOD_STEREO),
            "{call}"
        );
        assert_eq!(transcript.call_id, call);
        assert!(transcript.extra["asr"]["model_sha256"]
            .as_str()
            .is_some_and(|s| s.len() == 64));

        // Every utterance is its channel's speaker, sure of it, and sorted.
        for u in &transcript.utterances {
            let channel = u.extra["channel"].as_u64().unwrap();
            assert_eq!(
                u.speaker,
                if channel == 0 { "agent" } else { "customer" },
                "{call}"
            );
            assert_eq!(u.extra["role_confidence"].as_f64(), Some(1.0), "{call}");
            let confidence = u.confidence.unwrap();
            assert!((0.0..=1.0).contains(&confidence));
            let words = u.extra["words"].as_array().unwrap();
            assert!(!words.is_empty());
            for w in words {
                let (s, e) = (
                    w["start_ms"].as_u64().unwrap(),
                    w["end_ms"].as_u64().unwrap(),
                );
                assert!(
                    u.start_ms.unwrap() <= s && s <= e && e <= u.end_ms.unwrap(),
                    "{call}: {w} outside {u:?}"
                );
                assert_eq!(
                    w["text"].as_str().unwrap().chars().count(),
                    1,
                    "{call}: {w}"
                );
            }
        }
        assert!(transcript
            .utterances
            .windows(2)
            .all(|p| p[0].start_ms <= p[1].start_ms));

        // Each utterance matches a reference utterance of the same speaker.
        let mut right_speaker = 0;
        for u in &transcript.utterances {
            if best_match(u, &reference.utterances).is_some_and(|r| r.speaker == u.speaker) {
                right_speaker += 1;
            }
        }
        assert_eq!(
            right_speaker,
            transcript.utterances.len(),
            "{call}: speakers"
        );

        // Reference utterances are found with their times (within 1 s).
        let mut timed_right = 0;
        let mut worst = 0u64;
        for r in &reference.utterances {
            let same_speaker: Vec<Utterance> = transcript
                .utterances
                .iter()
                .filter(|u| u.speaker == r.speaker)
                .cloned()
                .collect();
            if let Some(u) = best_match(r, &same_speaker) {
                let deviation = u
                    .start_ms
                    .unwrap()
                    .abs_diff(r.start_ms.unwrap())
                    .max(u.end_ms.unwrap().abs_diff(r.end_ms.unwrap()));
                worst = worst.max(deviation);
                if deviation <= 1000 {
                    timed_right += 1;
                }
            }
        }
        eprintln!(
            "{call}: {} utterances (reference {}), {timed_right} within 1 s, worst edge {worst} ms",
            transcript.utterances.len(),
            reference.utterances.len()
        );
        assert!(
            timed_right * 10 >= reference.utterances.len() * 9,
            "{call}: only {timed_right} utterances timed within 1 s"
        );
    }
}

#[test]
fn overlapping_speech_stays_overlapping() {
    // dev-01: the customer starts 换酒店可以 at 50.49 s, 1.5 s before the agent ends.
    // dev-03: the agent starts at 18.56 s, 2.0 s before the customer ends.
    for (call, talker, over, at_ms) in [
        ("dev-01", "customer", "agent", 50_490u64),
        ("dev-03", "agent", "customer", 18_559),
    ] {
        let Some((transcript, _)) = asr(call) else {
            return;
        };
        let starter = transcript
            .utterances
            .iter()
            .position(|u| u.speaker == talker && u.start_ms.unwrap().abs_diff(at_ms) < 500)
            .unwrap_or_else(|| panic!("{call}: no {talker} utterance starting near {at_ms} ms"));
        let start = transcript.utterances[starter].start_ms.unwrap();
        let talked_over = transcript.utterances[..starter]
            .iter()
            .rev()
            .find(|u| u.speaker == over)
            .unwrap_or_else(|| panic!("{call}: no {over} utterance before {start} ms"));
        assert!(
            talked_over.end_ms.unwrap() > start + 1000,
            "{call}: the {over} utterance ends at {:?}, the {talker} started at {start}",
            talked_over.end_ms
        );
    }
}

fn labels() -> HashMap<String, HashMap<String, Verdict>> {
    let text = std::fs::read_to_string(Path::new(DEV).join("labels.jsonl")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            let verdicts = v["verdicts"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(item, verdict)| {
                    (
                        item.clone(),
                        Verdict::parse(verdict.as_str().unwrap()).unwrap(),
                    )
                })
                .collect();
            (v["call_id"].as_str().unwrap().to_string(), verdicts)
        })
        .collect()
}

#[test]
fn asr_transcripts_score_like_the_labels() {
    let rubric = callqa::rubric::load_and_compile(None).unwrap();
    let labels = labels();
    let mut report = Vec::new();
    let mut agreeing_total = 0;
    for call in CALLS {
        let Some((transcript, _)) = asr(call) else {
            return;
        };
        let card = rubric.score(&transcript);
        let expected = &labels[call];
        let mut agreeing = 0;
        for item in &card.items {
            match expected.get(&item.id) {
                Some(&verdict) if verdict == item.verdict => agreeing += 1,
                Some(&verdict) => report.push(format!(
                    "  {call} {}: expected {}, got {} ({})",
                    item.id,
                    verdict.as_str(),
                    item.verdict.as_str(),
                    item.reason
                )),
                None => report.push(format!("  {call} {}: not in the labels", item.id)),
            }
        }
        report.push(format!(
            "{call}: {agreeing}/{} verdicts agree, score {:.1}",
            expected.len(),
            card.score
        ));
        agreeing_total += agreeing;
        assert!(
            agreeing >= 11,
            "{call}: only {agreeing}/14 verdicts agree:\n{}",
            report.join("\n")
        );
    }
    eprintln!("{}\nall: {agreeing_total}/56", report.join("\n"));
}

#[test]
fn a_mono_mix_is_attributed_by_content() {
    // dev-01 with both channels mixed into one: the heuristic must find the
    // agent's lines without the channel.
    let Some(transcriber) = one_thread_transcriber() else {
        return;
    };
    let audio = decode_file(Path::new(DEV).join("dev-01.wav")).unwrap();
    let mono = DecodedAudio {
        channels: vec![audio.channels[0]
            .iter()
            .zip(&audio.channels[1])
            .map(|(a, b)| (a + b) / 2.0)
            .collect()],
        levels: vec![audio.levels[0]],
        ..audio.clone()
    };
    let transcript = {
        let _whisper = WHISPER_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        transcribe_recording_timed(transcriber, &mono, &options_for("dev-01"))
            .unwrap()
            .transcript
    };
    assert_eq!(transcript.extra["speaker_method"], Value::from(METHOD_MONO));
    eprintln!(
        "voices: {}",
        transcript
            .extra
            .get("speaker_voices")
            .cloned()
            .unwrap_or_default()
    );
    let reference = truth("dev-01");
    // Share of characters attributed to the right speaker.
    let (mut right, mut total) = (0usize, 0usize);
    let mut confident_wrong = 0;
    for u in &transcript.utterances {
        let n = content(&u.text).len();
        total += n;
        let correct = best_match(u, &reference.utterances).is_some_and(|r| r.speaker == u.speaker);
        if correct {
            right += n;
        } else if u.extra["role_confidence"].as_f64().unwrap() >= 0.9 {
            confident_wrong += 1;
        }
        eprintln!(
            "  {} {:>6}-{:>6} p={} {} {}",
            if correct { "ok " } else { "BAD" },
            u.start_ms.unwrap(),
            u.end_ms.unwrap(),
            u.extra["role_confidence"],
            u.speaker,
            u.text
        );
    }
    let share = right as f64 / total as f64;
    eprintln!(
        "mono dev-01: {:.0} % of characters attributed right",
        share * 100.0
    );
    assert!(share >= 0.8, "only {:.0} % right", share * 100.0);
    assert!(
        confident_wrong <= 1,
        "{confident_wrong} utterances wrong with role_confidence ≥ 0.9"
    );
    let first = &transcript.utterances[0];
    assert_eq!(first.speaker, "agent");
    assert!(first.extra["role_confidence"].as_f64().unwrap() > 0.9);
}

#[test]
fn a_real_mono_telephone_call_is_transcribed_and_attributed() {
    // A real 8 kHz mono outbound insurance call (see ../real/README.md): the
    // agent reads a compliance script to 张先生; from about 12 s the customer
    // argues back.
    let path = Path::new(DEV)
        .parent()
        .unwrap()
        .join("real")
        .join("tencent_8k_19s_insurance_call.wav");
    let Some(transcriber) = one_thread_transcriber() else {
        return;
    };
    if !path.exists() {
        eprintln!("skipped: {} is not available", path.display());
        return;
    }
    let audio = decode_file(&path).unwrap();
    let options = RecordingOptions {
        call: CallContext {
            call_id: String::new(),
            audio_path: path.clone(),
        },
        ..RecordingOptions::default()
    };
    let transcript = {
        let _whisper = WHISPER_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        transcribe_recording_timed(transcriber, &audio, &options)
            .unwrap()
            .transcript
    };
    eprintln!(
        "voices: {}",
        transcript
            .extra
            .get("speaker_voices")
            .cloned()
            .unwrap_or_default()
    );
    for u in &transcript.utterances {
        eprintln!(
            "  {:>6}-{:>6} {} p={} {}",
            u.start_ms.unwrap(),
            u.end_ms.unwrap(),
            u.speaker,
            u.extra["role_confidence"],
            u.text
        );
    }
    assert_eq!(transcript.call_id, "tencent_8k_19s_insurance_call");
    assert_eq!(transcript.extra["speaker_method"], Value::from(METHOD_MONO));
    let first = &transcript.utterances[0];
    assert_eq!(first.speaker, "agent");
    assert!(
        match_form(&normalize(&first.text)).contains("先生"),
        "{}",
        first.text
    );
    let all: String = transcript
        .utterances
        .iter()
        .map(|u| match_form(&normalize(&u.text)))
        .collect();
    assert!(all.contains("保险"), "{all}");
}

#[test]
#[ignore = "benchmark: run alone with --ignored --nocapture (uses 2 whisper threads)"]
fn benchmark_real_time_factor_with_two_threads() {
    if !Path::new(DEV).join("dev-01.wav").exists() {
        return;
    }
    let transcriber = WhisperTranscriber::new(WhisperSettings::default()).unwrap();
    assert_eq!(transcriber.settings().threads, 2);
    let _whisper = WHISPER_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let (mut audio_s, mut asr_s) = (0.0, 0.0);
    for call in CALLS {
        let audio = decode_file(Path::new(DEV).join(format!("{call}.wav"))).unwrap();
        let timed = transcribe_recording_timed(&transcriber, &audio, &options_for(call)).unwrap();
        let (errors, total) = character_errors(&timed.transcript, &truth(call));
        eprintln!(
            "{call}: {:.1} s audio, ASR {:.1} s (channels {:?}), RTF {:.3}, CER {:.1} %",
            timed.stats.audio_ms as f64 / 1000.0,
            timed.stats.asr_seconds,
            timed
                .stats
                .channel_seconds
                .iter()
                .map(|s| (s * 10.0).round() / 10.0)
                .collect::<Vec<_>>(),
            timed.stats.real_time_factor(),
            errors as f64 * 100.0 / total as f64
        );
        // Threads change speed, not text (which is why the settings stamp
        // leaves them out): compare with the 1-thread transcript of the
        // other tests when they ran before.
        if let Some(one_thread) = out_dir()
            .map(|d| d.join(format!("{call}.asr.json")))
            .filter(|p| p.exists())
            .and_then(|p| Transcript::from_path(&p).ok())
        {
            let texts = |t: &Transcript| {
                t.utterances
                    .iter()
                    .map(|u| u.text.clone())
                    .collect::<Vec<_>>()
            };
            let same = texts(&one_thread) == texts(&timed.transcript);
            eprintln!("{call}: same text as with 1 thread: {same}");
            assert!(same, "{call}: 2 threads changed the transcript");
        }
        audio_s += timed.stats.audio_ms as f64 / 1000.0;
        asr_s += timed.stats.asr_seconds;
    }
    let c = transcriber.counters();
    eprintln!(
        "all: {audio_s:.1} s audio in {asr_s:.1} s, RTF {:.3}; {} channels ({:.1} s), {:.1} s speech, {} windows ({:.1} s fed to whisper), {} segments dropped",
        asr_s / audio_s,
        c.channels,
        c.channel_ms as f64 / 1000.0,
        c.speech_ms as f64 / 1000.0,
        c.windows,
        c.window_ms as f64 / 1000.0,
        c.dropped_segments
    );
}

#[test]
fn settings_are_stamped_into_the_transcript() {
    let Some((transcript, _)) = asr("dev-01") else {
        return;
    };
    let stamp = &transcript.extra["asr"];
    assert!(stamp["engine"]
        .as_str()
        .unwrap()
        .starts_with("whisper.cpp "));
    assert_eq!(stamp["model"], Value::from("ggml-base-q8_0.bin"));
    assert!(stamp["settings"]
        .as_str()
        .unwrap()
        .starts_with("lang=zh,strategy=greedy"));
    assert_eq!(transcript.extra["audio_duration_ms"].as_u64(), Some(84_531));
    // The transcript is valid under the contract (round trip through JSON).
    let json = serde_json::to_string(&transcript).unwrap();
    let back = Transcript::from_json(&json, Path::new("dev-01.asr.json")).unwrap();
    assert_eq!(back, transcript);
}

/// Windows of both channels decoded two at a time on two single-thread
/// workers (the default on 2 cores) must give exactly the transcript of one
/// window at a time: speed settings never change text, which is why they are
/// not part of the transcript cache key.
#[test]
fn parallel_windows_give_the_same_transcript_as_one_at_a_time() {
    let call = "dev-02";
    let Some((sequential, _)) = asr(call) else {
        return;
    };
    let parallel = WhisperTranscriber::new(WhisperSettings {
        threads: 1,
        parallel_windows: 2,
        ..WhisperSettings::default()
    })
    .expect("the model loads");
    let audio = decode_file(Path::new(DEV).join(format!("{call}.wav"))).unwrap();
    let _whisper = WHISPER_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let workers = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let timed = workers
        .install(|| transcribe_recording_timed(&parallel, &audio, &options_for(call)))
        .unwrap();
    let counters = parallel.counters();
    assert!(counters.windows >= 4, "{counters:?}");
    assert_eq!(timed.transcript, sequential);
    // Both channels were in flight at once: the recording took less than
    // the two channels one after the other.
    let channels: f64 = timed.stats.channel_seconds.iter().sum();
    assert!(
        timed.stats.asr_seconds < channels,
        "{} s for channels of {:?} s",
        timed.stats.asr_seconds,
        timed.stats.channel_seconds
    );
}
