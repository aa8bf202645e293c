//! `--redact` end to end: a call whose customer reads out a mobile number
//! goes through `run`, `report`, `rescore` and `score`; no output keeps any
//! digit sequence of the number (the SQLite bytes included), the placeholder
//! keeps the characters' times, and the report's copy of the recording is
//! silent over the number while the rest is untouched.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use callqa::redact::Policy;
use callqa::transcript::Transcript;
use serde_json::{json, Value};

const RATE: u32 = 16_000;
/// The customer says the number from 4.0 s to 7.0 s.
const NUMBER_MS: (u64, u64) = (4_000, 7_000);

fn callqa() -> Command {
    Command::new(env!("CARGO_BIN_EXE_callqa"))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("callqa-redact-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// 10 s of a loud two-tone signal (speech-like level everywhere).
fn write_wav(path: &Path) {
    let samples: Vec<i16> = (0..RATE * 10)
        .map(|n| {
            let t = n as f64 / f64::from(RATE);
            let x = 0.3 * (2.0 * std::f64::consts::PI * 220.0 * t).sin()
                + 0.2 * (2.0 * std::f64::consts::PI * 1330.0 * t).sin();
            (x * 32767.0) as i16
        })
        .collect();
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + 2 * samples.len() as u32).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&RATE.to_le_bytes());
    b.extend_from_slice(&(RATE * 2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(2 * samples.len() as u32).to_le_bytes());
    samples
        .iter()
        .for_each(|s| b.extend_from_slice(&s.to_le_bytes()));
    fs::write(path, b).unwrap();
}

/// An utterance with one `words` entry per character, spread evenly.
fn utterance(speaker: &str, text: &str, start_ms: u64, end_ms: u64) -> Value {
    let chars: Vec<char> = text.chars().collect();
    let content: Vec<char> = chars
        .iter()
        .copied()
        .filter(|c| !"，。、 ".contains(*c))
        .collect();
    let step = (end_ms - start_ms) / content.len() as u64;
    let words: Vec<Value> = content
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({"text": c.to_string(), "start_ms": start_ms + step * i as u64,
                   "end_ms": start_ms + step * (i as u64 + 1), "p": 0.9})
        })
        .collect();
    json!({"speaker": speaker, "start_ms": start_ms, "end_ms": end_ms, "text": text, "words": words})
}

/// The number is all the customer says from 4 s to 7 s.
fn transcript() -> Value {
    json!({
        "call_id": "call-1",
        "utterances": [
            utterance("agent", "您好，工号一零二三为您服务，请问有什么可以帮您？", 0, 2_500),
            utterance("customer", "我的热水器坏了，师傅什么时候能来？", 2_600, 3_900),
            utterance("customer", "幺五八六七三四九洞二幺", NUMBER_MS.0, NUMBER_MS.1),
            utterance("agent", "好的，明天下午三点前师傅联系您，请您保持电话畅通，感谢您的耐心等待。", 7_200, 9_800),
        ]
    })
}

/// Pieces of 158 6734 9021 in any form they could leak in (seven ASCII
/// digits, so that no hash in the database matches by chance).
const LEAKS: &[&str] = &[
    "15867349021",
    "1586734",
    "8673490",
    "7349021",
    "幺五八六",
    "五八六七",
    "六七三四",
    "三四九洞",
    "九洞二幺",
    "九零二一",
];

fn assert_no_leak(dir: &Path) {
    for entry in walk(dir) {
        let bytes = fs::read(&entry).unwrap();
        for leak in LEAKS {
            let needle = leak.as_bytes();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{} contains {leak}",
                entry.display()
            );
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn rms(samples: &[i16]) -> f64 {
    (samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len().max(1) as f64)
        .sqrt()
}

fn pcm(wav: &[u8]) -> Vec<i16> {
    let at = wav.windows(4).position(|w| w == b"data").unwrap() + 8;
    wav[at..]
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect()
}

#[test]
fn run_report_rescore_and_score_leave_no_number_anywhere() {
    let dir = temp_dir("e2e");
    let inputs = dir.join("in");
    let vendor = dir.join("vendor");
    fs::create_dir_all(&inputs).unwrap();
    fs::create_dir_all(&vendor).unwrap();
    write_wav(&inputs.join("call-1.wav"));
    fs::write(vendor.join("call-1.json"), transcript().to_string()).unwrap();
    let out = dir.join("out");
    let status = callqa()
        .args(["run", "--quiet", "--redact", "-j", "1", "--transcripts"])
        .arg(&vendor)
        .arg("--out")
        .arg(&out)
        .arg(&inputs)
        .status()
        .unwrap();
    assert!(
        status.code().is_some_and(|c| c <= 1),
        "run failed: {status}"
    );

    // The transcript keeps the placeholder's time span.
    let written: Value =
        serde_json::from_str(&fs::read_to_string(out.join("transcripts/call-1.json")).unwrap())
            .unwrap();
    let number = &written["utterances"][2];
    assert_eq!(number["text"], "[手机号]");
    assert_eq!(number["words"][0]["text"], "[手机号]");
    assert_eq!(number["words"][0]["start_ms"], NUMBER_MS.0);
    // The last digit's end (the test spreads 3 s evenly over 11 digits).
    assert_eq!(
        number["words"][0]["end_ms"],
        NUMBER_MS.0 + (NUMBER_MS.1 - NUMBER_MS.0) / 11 * 11
    );
    // Times and 工号 survive: the agent's promise keeps 三点.
    assert!(written["utterances"][3]["text"]
        .as_str()
        .unwrap()
        .contains("下午三点前"));
    assert!(written["utterances"][0]["text"]
        .as_str()
        .unwrap()
        .contains("工号一零二三"));

    let report = dir.join("report");
    let status = callqa()
        .arg("report")
        .arg("--out")
        .arg(&report)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "report failed: {status}");
    let status = callqa()
        .args(["rescore", "--redact"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(
        status.code().is_some_and(|c| c <= 1),
        "rescore failed: {status}"
    );
    assert_no_leak(&out);
    assert_no_leak(&report);

    // The copied recording is silent over the number, untouched elsewhere.
    let copies: Vec<PathBuf> = walk(&report.join("audio"));
    assert_eq!(copies.len(), 1, "{copies:?}");
    let samples = pcm(&fs::read(&copies[0]).unwrap());
    let rate = samples.len() as u64 / 10;
    let span = |a: u64, b: u64| &samples[(a * rate / 1000) as usize..(b * rate / 1000) as usize];
    assert!(
        rms(span(NUMBER_MS.0, NUMBER_MS.1)) < 1.0,
        "number still audible"
    );
    assert!(rms(span(1_000, 2_000)) > 3_000.0, "the rest was muted too");
    assert!(rms(span(8_000, 9_000)) > 3_000.0, "the rest was muted too");

    // `score --redact` on the original transcript quotes no number either.
    let scored = callqa()
        .args(["score", "--redact", "-f", "json"])
        .arg(vendor.join("call-1.json"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&scored.stdout);
    assert!(!text.is_empty());
    for leak in LEAKS {
        assert!(!text.contains(leak), "score output contains {leak}");
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn report_redact_silences_a_run_made_without_it_and_refuses_links() {
    let dir = temp_dir("late");
    let inputs = dir.join("in");
    let vendor = dir.join("vendor");
    fs::create_dir_all(&inputs).unwrap();
    fs::create_dir_all(&vendor).unwrap();
    write_wav(&inputs.join("call-1.wav"));
    fs::write(vendor.join("call-1.json"), transcript().to_string()).unwrap();
    let out = dir.join("out");
    let status = callqa()
        .args(["run", "--quiet", "-j", "1", "--transcripts"])
        .arg(&vendor)
        .arg("--out")
        .arg(&out)
        .arg(&inputs)
        .status()
        .unwrap();
    assert!(status.code().is_some_and(|c| c <= 1));
    let report = dir.join("report");
    let refused = callqa()
        .args(["report", "--redact", "--audio", "link", "--out"])
        .arg(&report)
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--audio copy"));
    let status = callqa()
        .args(["report", "--redact", "--out"])
        .arg(&report)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    assert_no_leak(&report);
    let copies = walk(&report.join("audio"));
    let samples = pcm(&fs::read(&copies[0]).unwrap());
    let rate = samples.len() as u64 / 10;
    assert!(rms(&samples[(4_000 * rate / 1000) as usize..(7_000 * rate / 1000) as usize]) < 1.0);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn rubric_redact_section_turns_it_on_with_its_kinds() {
    let dir = temp_dir("rubric");
    let builtin =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rubrics/cs-standard.toml"))
            .unwrap();
    let rubric = dir.join("r.toml");
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rubrics/cs-dict.txt"),
        dir.join("cs-dict.txt"),
    )
    .unwrap();
    // Only names: the number stays, the name goes.
    fs::write(
        &rubric,
        builtin.replacen("[[item]]", "[redact]\nkinds = [\"name\"]\n\n[[item]]", 1),
    )
    .unwrap();
    let compiled = callqa::rubric::load_and_compile(Some(&rubric)).unwrap();
    let policy = Policy::resolve(false, compiled.source.file.redact.as_ref());
    let redacted = policy.transcript(parse(json!({"call_id": "c", "utterances": [
        {"speaker": "customer", "text": "我叫张伟，电话13812345678。"}]})));
    assert_eq!(redacted.utterances[0].text, "我叫[姓名]，电话13812345678。");
    // Without the section nothing changes unless --redact is given.
    assert!(!Policy::resolve(false, None).is_on());
    assert!(Policy::resolve(true, None).is_on());
    let _ = fs::remove_dir_all(&dir);
}

fn parse(value: Value) -> Transcript {
    Transcript::from_json(&value.to_string(), Path::new("test.json")).unwrap()
}

#[test]
fn a_number_split_over_a_speakers_turns_goes_in_both_with_its_times() {
    let t = parse(json!({"call_id": "c", "utterances": [
        utterance("customer", "电话是幺三八，幺二三四，", 1_000, 3_000),
        utterance("agent", "嗯", 3_000, 3_200),
        utterance("customer", "五六七八。", 3_300, 4_100),
    ]}));
    let r = Policy::all().transcript(t);
    assert_eq!(r.utterances[0].text, "电话是[手机号]，");
    assert_eq!(r.utterances[1].text, "嗯");
    assert_eq!(r.utterances[2].text, "[手机号]。");
    let words = r.utterances[0].extra["words"].as_array().unwrap();
    // 电 话 是 [手机号]: the placeholder spans its 7 characters' times.
    assert_eq!(words.len(), 4);
    assert_eq!(words[3]["start_ms"], 1_000 + 3 * 200);
    assert_eq!(words[3]["end_ms"], 3_000);
    // Redacting again changes nothing.
    assert_eq!(Policy::all().transcript(r.clone()), r);
}

#[test]
fn order_numbers_times_amounts_and_hotlines_survive() {
    let texts = [
        "订单号是13562347891，昨天下的单。",
        "快递单号是幺三八，四六二七，九九零一。",
        "明天下午三点到五点之间上门，金额是1380元。",
        "有问题请拨打400-820-8820，工号8023为您服务。",
        "我银行卡尾号5678的那张扣了两次。",
    ];
    for text in texts {
        assert_eq!(Policy::all().text(text), text);
    }
}

#[test]
fn words_that_do_not_line_up_with_the_text_are_dropped_not_leaked() {
    let t = parse(json!({"call_id": "c", "utterances": [
        {"speaker": "customer", "text": "手机13812345678",
         "words": [{"text": "手机13812345678", "start_ms": 0, "end_ms": 900}]}]}));
    let r = Policy::all().transcript(t);
    assert_eq!(r.utterances[0].text, "手机[手机号]");
    assert!(!r.utterances[0].extra.contains_key("words"));
}
