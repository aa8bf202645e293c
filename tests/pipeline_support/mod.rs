//! Helpers shared by the `pipeline_*` integration tests: the dev recordings
//! (copied to temporary folders, never into the repository), a transcriber
//! that replays their ground truth and counts its calls, bad WAV files, and
//! output readers.
#![allow(dead_code)] // each test binary uses a different subset

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use callqa::asr::{AsrError, AsrInfo, AsrSegment, CallContext, Transcriber};
use callqa::pipeline::{ProgressMode, RunOptions};
use callqa::rubric::{self, CompiledRubric};
use callqa::transcript::{Role, Transcript};

pub const DEV_CALLS: [&str; 4] = ["dev-01", "dev-02", "dev-03", "dev-04"];

/// `../shared/audio/dev` beside the crate; fails loudly rather than skipping.
pub fn dev_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/audio/dev");
    assert!(
        dir.join("dev-01.wav").is_file() && dir.join("dev-01.json").is_file(),
        "the dev recordings are missing: expected {}/dev-0N.wav and .json; these tests need them and do not skip",
        dir.display()
    );
    dir
}

/// Copies the four dev WAVs into `dest` (created); returns their new paths.
pub fn copy_dev_wavs(dest: &Path) -> Vec<PathBuf> {
    fs::create_dir_all(dest).unwrap();
    DEV_CALLS
        .iter()
        .map(|call| {
            let to = dest.join(format!("{call}.wav"));
            fs::copy(dev_dir().join(format!("{call}.wav")), &to).unwrap();
            to
        })
        .collect()
}

pub fn ground_truth(call: &str) -> Transcript {
    Transcript::from_path(&dev_dir().join(format!("{call}.json"))).unwrap()
}

pub fn builtin_rubric() -> CompiledRubric {
    rubric::load_and_compile(None).unwrap()
}

/// The built-in rubric with a line replaced, written (with its dictionary)
/// into `dir`; returns the compiled rubric.
pub fn edited_rubric(dir: &Path, from: &str, to: &str) -> CompiledRubric {
    assert!(
        rubric::BUILTIN_RUBRIC.contains(from),
        "the built-in rubric has no `{from}`"
    );
    fs::create_dir_all(dir).unwrap();
    let path = dir.join("edited.toml");
    fs::write(&path, rubric::BUILTIN_RUBRIC.replacen(from, to, 1)).unwrap();
    fs::write(dir.join("cs-dict.txt"), rubric::BUILTIN_DICTIONARY).unwrap();
    rubric::load_and_compile(Some(&path)).unwrap()
}

/// Quiet options with two workers.
pub fn options(inputs: Vec<PathBuf>, out: &Path) -> RunOptions {
    let mut opts = RunOptions::new(inputs, out);
    opts.progress = ProgressMode::Off;
    opts.jobs = 2;
    opts
}

/// Replays the dev ground truth like a perfect recogniser, deciding which
/// speaker a channel carries from the audio itself: the channel's energy
/// during the agent's utterances against during the customer's. A pipeline
/// that hands it the wrong channel, or labels channels wrongly, produces a
/// transcript with the wrong speakers. Counts every call per call id.
pub struct GroundTruthTranscriber {
    calls: Mutex<BTreeMap<String, usize>>,
    /// Panic when asked for this call id (simulates an engine crash).
    pub panic_on: Option<String>,
    /// Sleep this long per channel (to kill runs mid-call).
    pub delay_ms: u64,
}

impl Default for GroundTruthTranscriber {
    fn default() -> Self {
        Self::new()
    }
}

impl GroundTruthTranscriber {
    pub fn new() -> Self {
        GroundTruthTranscriber {
            calls: Mutex::new(BTreeMap::new()),
            panic_on: None,
            delay_ms: 0,
        }
    }

    /// Channel transcriptions per call id.
    pub fn calls(&self) -> BTreeMap<String, usize> {
        self.calls.lock().unwrap().clone()
    }

    /// Call ids transcribed at least once.
    pub fn transcribed_calls(&self) -> Vec<String> {
        self.calls().into_keys().collect()
    }

    pub fn total(&self) -> usize {
        self.calls().values().sum()
    }
}

/// Mean square of `samples` (16 kHz) over the given utterances' spans.
fn energy_over(samples: &[f32], spans: &[(u64, u64)]) -> f64 {
    let mut sum = 0.0;
    let mut n = 0usize;
    for &(start, end) in spans {
        let (a, b) = (
            (start * 16) as usize,
            ((end * 16) as usize).min(samples.len()),
        );
        for &s in samples.get(a..b).unwrap_or(&[]) {
            sum += f64::from(s) * f64::from(s);
            n += 1;
        }
    }
    if n == 0 {
        0.0
    } else {
        sum / n as f64
    }
}

/// The dev call a recording is a copy of: its file stem when that is a dev
/// call id, else the dev recording with the same bytes.
pub fn dev_call_of(audio: &Path) -> String {
    let stem = audio.file_stem().unwrap().to_str().unwrap().to_string();
    if DEV_CALLS.contains(&stem.as_str()) {
        return stem;
    }
    let bytes = fs::read(audio).unwrap_or_default();
    DEV_CALLS
        .iter()
        .find(|call| fs::read(dev_dir().join(format!("{call}.wav"))).unwrap() == bytes)
        .map_or(stem, |call| call.to_string())
}

impl Transcriber for GroundTruthTranscriber {
    fn transcribe_channel(
        &self,
        samples: &[f32],
        _channel: usize,
        call: &CallContext,
    ) -> Result<Vec<AsrSegment>, AsrError> {
        *self
            .calls
            .lock()
            .unwrap()
            .entry(call.call_id.clone())
            .or_default() += 1;
        if self.panic_on.as_deref() == Some(call.call_id.as_str()) {
            panic!("simulated engine crash on {}", call.call_id);
        }
        if self.delay_ms > 0 {
            std::thread::sleep(std::time::Duration::from_millis(self.delay_ms));
        }
        let truth_path = dev_dir().join(format!("{}.json", dev_call_of(&call.audio_path)));
        let truth = Transcript::from_path(&truth_path).map_err(|e| AsrError::Input {
            path: call.audio_path.clone(),
            message: format!("no ground truth: {e}"),
        })?;
        let spans = |role: Role| -> Vec<(u64, u64)> {
            truth
                .utterances
                .iter()
                .filter(|u| Role::from_speaker(&u.speaker) == role)
                .map(|u| (u.start_ms.unwrap(), u.end_ms.unwrap()))
                .collect()
        };
        let role = if energy_over(samples, &spans(Role::Agent))
            > energy_over(samples, &spans(Role::Customer))
        {
            Role::Agent
        } else {
            Role::Customer
        };
        Ok(truth
            .utterances
            .iter()
            .filter(|u| Role::from_speaker(&u.speaker) == role)
            .map(|u| AsrSegment {
                start_ms: u.start_ms.unwrap(),
                end_ms: u.end_ms.unwrap(),
                text: u.text.clone(),
                confidence: 1.0,
                words: Vec::new(),
            })
            .collect())
    }

    fn info(&self) -> AsrInfo {
        AsrInfo {
            engine: "ground-truth replay (tests)".into(),
            model: "none".into(),
            model_sha256: "0".repeat(64),
            settings: "energy-picked speaker".into(),
        }
    }
}

/// A WAV file's chunks: (id, offset of the payload, payload length).
pub fn wav_chunks(bytes: &[u8]) -> Vec<([u8; 4], usize, usize)> {
    assert_eq!(&bytes[0..4], b"RIFF");
    let mut chunks = Vec::new();
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id: [u8; 4] = bytes[at..at + 4].try_into().unwrap();
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        chunks.push((id, at + 8, len));
        at += 8 + len + (len & 1);
    }
    chunks
}

/// Writes a copy of an 8-bit stereo dev recording with left and right swapped.
pub fn write_swapped_channels(from: &Path, to: &Path) {
    let mut bytes = fs::read(from).unwrap();
    let (_, offset, len) = wav_chunks(&bytes)
        .into_iter()
        .find(|(id, ..)| id == b"data")
        .unwrap();
    for frame in bytes[offset..offset + len].chunks_exact_mut(2) {
        frame.swap(0, 1);
    }
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::write(to, bytes).unwrap();
}

/// A mono 16-bit 16 kHz WAV of digital silence.
pub fn write_silent_wav(path: &Path, seconds: u32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for _ in 0..16_000 * seconds {
        writer.write_sample(0i16).unwrap();
    }
    writer.finalize().unwrap();
}

/// The lines of a JSON Lines file, parsed.
pub fn read_jsonl(path: &Path) -> Vec<serde_json::Value> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// A manifest with the dev calls' ground-truth metadata; `audio_dir` is
/// where their WAVs are, relative to the manifest.
pub fn dev_manifest_rows(audio_dir: &str) -> String {
    let mut csv = String::from("call_id,audio,agent_id,customer_id,started_at,direction\n");
    for call in DEV_CALLS {
        let truth = ground_truth(call);
        csv.push_str(&format!(
            "{},{audio_dir}/{call}.wav,{},{},{},{}\n",
            truth.call_id,
            truth.agent_id.unwrap(),
            truth.customer_id.unwrap(),
            truth.started_at.unwrap(),
            truth.direction.unwrap()
        ));
    }
    csv
}

/// Files in a folder (names), sorted; for checking nothing stray is left.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The rubric versions in `fixtures/db/v4-two-runs` (see its README): the
/// built-in rubric of then (dev-01, dev-02 by run 1; dev-03 by runs 2 and 3)
/// and a copy with pass_score 60 (dev-03 by run 4, the latest).
pub const OLD_FIXTURE_RUBRIC_A: &str =
    "6cfc6aafc55e1164a6f938bf7b0fe55a149f44993f07a39a41272e4ad4024c99";
pub const OLD_FIXTURE_RUBRIC_B: &str =
    "3891b5b960796607b98ef5e6388a07d0e99b98bc6c8c81c1bdfde4e49e05cf01";

/// Copies the schema-4 database made by callqa before schema 5
/// (`fixtures/db/v4-two-runs/callqa.sqlite`) into `dir` (created) as its run
/// database; returns its path. The fixture itself is never opened, so it
/// stays at schema 4.
pub fn old_database_fixture(dir: &Path) -> PathBuf {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/db/v4-two-runs/callqa.sqlite");
    fs::create_dir_all(dir).unwrap();
    let path = dir.join("callqa.sqlite");
    fs::copy(&fixture, &path).unwrap();
    path
}
