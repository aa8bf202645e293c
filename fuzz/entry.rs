//! The fuzz targets' entry points, one function per target. Shared by the libFuzzer binaries
//! (`fuzz/fuzz_targets/*.rs`) and the corpus smoke test (`tests/fuzz_smoke.rs`, which includes
//! this file by path), so the corpora are replayed through exactly the code that was fuzzed.
//!
//! Each function takes arbitrary bytes and must return without panicking; errors are the
//! expected outcome for most inputs and are dropped.

#![allow(dead_code)]

use std::io::Cursor;
use std::path::Path;
use std::sync::OnceLock;

use callqa::audio::{AudioStream, DecodeOptions};
use callqa::rubric::{self, CompiledRubric, RubricError};
use callqa::transcript::Transcript;

/// One target: arbitrary bytes in, no panic out.
pub type Entry = fn(&[u8]);

/// The targets by name, as `fuzz/run.sh` and the corpus folders name them.
pub const TARGETS: &[(&str, Entry)] = &[
    ("wav", wav),
    ("transcript", transcript),
    ("rubric", rubric),
    ("manifest", manifest),
    ("model", model),
];

/// WAV decoding through the streaming decoder: the header checks with the default options,
/// then the whole decoding loop with truncated and silent recordings accepted (so it runs on
/// damaged data too). Decoding once keeps odd sample rates, whose resampler tables take a
/// quarter of a second to build per channel in the instrumented build, under the 1 s limit.
pub fn wav(data: &[u8]) {
    let _ = AudioStream::from_reader(Cursor::new(data), "fuzz.wav", &DecodeOptions::default());
    let lenient = DecodeOptions {
        accept_truncated: true,
        reject_silence: false,
        ..DecodeOptions::default()
    };
    if let Ok(mut stream) = AudioStream::from_reader(Cursor::new(data), "fuzz.wav", &lenient) {
        while let Ok(Some(_block)) = stream.next_block() {}
        let _ = stream.levels();
    }
}

/// A transcript read from JSON, then scored with the built-in rubric (what `score` does to it).
pub fn transcript(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(t) = Transcript::from_json(text, Path::new("fuzz.json")) {
        let _ = builtin_rubric().score(&t);
    }
}

/// A rubric parsed and compiled (phrases, named matches, `[patterns]`), then used to score a
/// real transcript so the compiled matchers run too.
pub fn rubric(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = rubric::parse("fuzz.toml", text, |name| {
        rubric::builtin_dictionary(name).ok_or_else(|| RubricError::Invalid {
            origin: "fuzz.toml".into(),
            message: format!("unknown dictionary `{name}`"),
        })
    });
    if let Ok(compiled) = source.and_then(CompiledRubric::compile) {
        let _ = compiled.score(sample_transcript());
    }
}

/// A manifest CSV (header, rows, call ids, relative audio paths).
pub fn manifest(data: &[u8]) {
    let _ = callqa::pipeline::manifest::parse_manifest(Path::new("fuzz/calls.csv"), data);
}

/// A ggml model file's header and tensor table: the bytes as a whole file (validator, and the
/// shared reader the quantizer uses), then as the tensor table of a tiny model. A real model is
/// at least 150 KB (mel filters and token embedding alone), more than a fuzz input, so the
/// validator's tensor checks are reached through a fixed valid header instead.
pub fn model(data: &[u8]) {
    use callqa::models::{ggml, validate};
    let path = Path::new("fuzz.bin");
    let _ = validate::validate_bytes(data, path);
    let _ = ggml::parse_ggml(data, path);
    let mut spliced = tiny_model_header();
    spliced.extend_from_slice(data);
    let _ = validate::validate_bytes(&spliced, path);
}

/// Header, mel filters and a one-token vocabulary of the smallest model the validator accepts
/// (n_vocab 51864, every width, context and layer count 1, 80 mels, f32); `fuzz/make_seeds.py`
/// writes a matching tensor table as a seed.
pub fn tiny_model_header() -> Vec<u8> {
    let mut out = Vec::with_capacity(70_000);
    let mut put = |v: i32| out.extend_from_slice(&v.to_le_bytes());
    put(0x6767_6d6c);
    for v in [51_864, 1, 1, 1, 1, 1, 1, 1, 1, 80, 0] {
        put(v);
    }
    put(80);
    put(201);
    for _ in 0..80 * 201 {
        put(0);
    }
    put(1);
    put(1);
    out.push(b'a');
    out
}

fn builtin_rubric() -> &'static CompiledRubric {
    static RUBRIC: OnceLock<CompiledRubric> = OnceLock::new();
    RUBRIC.get_or_init(|| CompiledRubric::compile(rubric::load_builtin()).expect("built-in"))
}

fn sample_transcript() -> &'static Transcript {
    static T: OnceLock<Transcript> = OnceLock::new();
    T.get_or_init(|| {
        let text = include_str!("../fixtures/audio/call-01.json");
        Transcript::from_json(text, Path::new("call-01.json")).expect("fixture transcript")
    })
}
