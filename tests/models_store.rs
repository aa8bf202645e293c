//! The model cache on synthetic models: importing a CTranslate2 directory, locating and listing
//! models with sha256 checks, the errors (and the fix commands they name), quantization
//! layout, and the cache-directory rules. No network.

mod models_common;

use std::io::Write;
use std::path::Path;

use callqa::models::cache::{sha256_file, Manifest, PendingFile};
use callqa::models::ct2::Ct2Model;
use callqa::models::ggml::{self, parse_ggml};
use callqa::models::quantize::quantize_ggml;
use callqa::models::vocab::bpe_token_bytes;
use callqa::models::{FetchOptions, ModelError, ModelStore, Quantization, Verification};
use models_common::*;

fn synthetic_ggml() -> Vec<u8> {
    let model = Ct2Model::parse(
        whisper_ct2(&SMALL, WeightStorage::F16, 6).to_bytes(),
        Path::new("synthetic/model.bin"),
    )
    .unwrap();
    let tokens: Vec<String> = TOKENS.iter().map(|s| s.to_string()).collect();
    let mut out = Vec::new();
    ggml::write_ggml_from_ct2(
        &model,
        &bpe_token_bytes(&tokens).unwrap(),
        &mut out,
        Path::new("x"),
    )
    .unwrap();
    out
}

fn temp_store() -> (tempfile::TempDir, ModelStore) {
    let root = tempfile::tempdir().unwrap();
    let store = ModelStore::at(root.path().join("cache"));
    (root, store)
}

#[test]
fn imported_model_is_recorded_located_and_listed() {
    let (root, store) = temp_store();
    let dir = write_ct2_dir(
        root.path(),
        &whisper_ct2(&SMALL, WeightStorage::F16, 6),
        false,
    );
    let info = store.import_ct2(&dir, None).unwrap();
    // The synthetic dimensions match no released Whisper size.
    assert_eq!(info.name, "custom");
    assert_eq!(info.path, store.dir().join("ggml-custom.bin"));
    assert_eq!(info.sha256, sha256_file(&info.path).unwrap());
    assert_eq!(std::fs::read(&info.path).unwrap(), synthetic_ggml());
    assert!(
        info.source.contains("faster-whisper-synthetic"),
        "{}",
        info.source
    );

    let manifest = Manifest::load(store.dir()).unwrap();
    assert_eq!(manifest.models["ggml-custom.bin"].sha256, info.sha256);
    assert_eq!(manifest.models["ggml-custom.bin"].size, info.size);

    for spelling in ["custom", "ggml-custom", "ggml-custom.bin"] {
        assert_eq!(store.locate(spelling).unwrap(), info.path, "{spelling}");
    }
    assert_eq!(
        store.locate(info.path.to_str().unwrap()).unwrap(),
        info.path
    );
    assert_eq!(store.resolve("custom").unwrap(), info);

    // A vocabulary.json directory gives the same file under the chosen name.
    let json_dir = write_ct2_dir(
        &root.path().join("json"),
        &whisper_ct2(&SMALL, WeightStorage::F16, 6),
        true,
    );
    let named = store.import_ct2(&json_dir, Some("synthetic-json")).unwrap();
    assert_eq!(named.sha256, info.sha256);
    assert_eq!(named.path, store.dir().join("ggml-synthetic-json.bin"));

    let listed = store.list().unwrap();
    let names: Vec<&str> = listed.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["custom", "synthetic-json"]);
    assert!(listed
        .iter()
        .all(|m| m.verification == Verification::Verified));
    assert!(listed[0]
        .source
        .as_deref()
        .unwrap()
        .starts_with("imported from"));
    // No temp files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(store.dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn import_errors_name_the_file() {
    let (root, store) = temp_store();
    let err = store.import_ct2(root.path(), None).unwrap_err();
    assert!(err.to_string().contains("model.bin"), "{err}");

    let dir = write_ct2_dir(
        root.path(),
        &whisper_ct2(&SMALL, WeightStorage::F16, 6),
        false,
    );
    std::fs::remove_file(dir.join("vocabulary.txt")).unwrap();
    let err = store.import_ct2(&dir, None).unwrap_err();
    assert!(matches!(err, ModelError::Vocabulary { .. }), "{err:?}");
    assert!(err.to_string().contains("vocabulary.json"), "{err}");

    let dir = write_ct2_dir(
        root.path(),
        &whisper_ct2(&SMALL, WeightStorage::F16, 6),
        false,
    );
    let err = store.import_ct2(&dir, Some("../escape")).unwrap_err();
    assert!(matches!(err, ModelError::UnknownModel { .. }), "{err:?}");
}

#[test]
fn corrupt_models_are_refused_with_the_command_that_fixes_them() {
    let (root, store) = temp_store();
    let dir = write_ct2_dir(
        root.path(),
        &whisper_ct2(&SMALL, WeightStorage::F16, 6),
        false,
    );
    let info = store.import_ct2(&dir, Some("tiny-test")).unwrap();
    let mut bytes = std::fs::read(&info.path).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    std::fs::write(&info.path, &bytes).unwrap();
    let err = store.locate("tiny-test").unwrap_err();
    assert!(matches!(err, ModelError::Corrupt { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("ggml-tiny-test.bin") && message.contains(&info.sha256),
        "{message}"
    );
    assert!(message.contains("callqa models import-ct2"), "{message}");
    // The same check applies when the cached file is given by path.
    assert!(matches!(
        store.locate(info.path.to_str().unwrap()),
        Err(ModelError::Corrupt { .. })
    ));
    let listed = store.list().unwrap();
    assert!(matches!(
        listed[0].verification,
        Verification::Mismatch { .. }
    ));

    // "base" must be one of the two published conversions.
    std::fs::write(store.path_of("base"), synthetic_ggml()).unwrap();
    let err = store.locate("base").unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, ModelError::Corrupt { .. }), "{err:?}");
    assert!(
        message.contains(callqa::models::BASE_CONVERTED_SHA256),
        "{message}"
    );
    assert!(message.contains("`callqa models fetch base`"), "{message}");
}

#[test]
fn missing_models_name_the_fetch_command() {
    let (_root, store) = temp_store();
    let err = store.locate("base").unwrap_err();
    assert!(matches!(err, ModelError::Missing { .. }), "{err:?}");
    assert!(
        err.to_string().contains("run `callqa models fetch base`"),
        "{err}"
    );
    let err = store.locate("base-q5_1").unwrap_err();
    assert!(
        err.to_string()
            .contains("`callqa models fetch base --quantize q5_1`"),
        "{err}"
    );
    let err = store.locate("ggml-base-q8_0.bin").unwrap_err();
    assert!(
        err.to_string()
            .contains("`callqa models fetch base --quantize q8_0`"),
        "{err}"
    );
    let err = store.locate("small").unwrap_err();
    assert!(
        err.to_string().contains("callqa models import-ct2"),
        "{err}"
    );
    assert!(store.list().unwrap().is_empty());
}

#[test]
fn model_paths_are_checked() {
    let (root, store) = temp_store();
    let missing = root.path().join("nowhere/ggml-base.bin");
    let err = store.locate(missing.to_str().unwrap()).unwrap_err();
    assert!(matches!(err, ModelError::PathNotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("nowhere/ggml-base.bin"), "{err}");

    let not_a_model = root.path().join("notes.bin");
    std::fs::write(
        &not_a_model,
        b"these are not the weights you are looking for",
    )
    .unwrap();
    let err = store.locate(not_a_model.to_str().unwrap()).unwrap_err();
    assert!(matches!(err, ModelError::NotGgml { .. }), "{err:?}");
    assert!(
        err.to_string().contains("callqa models fetch base"),
        "{err}"
    );

    // A user's own ggml file outside the cache is accepted (nothing to compare it with).
    let own = root.path().join("my-model.bin");
    std::fs::write(&own, synthetic_ggml()).unwrap();
    let info = store.resolve(own.to_str().unwrap()).unwrap();
    assert_eq!(info.source, "user-supplied file");
    assert_eq!(info.sha256, sha256_file(&own).unwrap());

    // A file copied into the cache by hand has no record: listed as such, still usable.
    std::fs::create_dir_all(store.dir()).unwrap();
    std::fs::copy(&own, store.path_of("hand-copied")).unwrap();
    assert_eq!(
        store.list().unwrap()[0].verification,
        Verification::Unrecorded
    );
    assert!(store.locate("hand-copied").is_ok());
}

#[test]
fn fetch_refuses_what_it_cannot_provide() {
    let (_root, store) = temp_store();
    let opts = FetchOptions {
        try_official: false,
        ..FetchOptions::default()
    };
    let err = store.fetch("small", None, &opts).unwrap_err();
    assert!(matches!(err, ModelError::UnknownModel { .. }), "{err:?}");
    assert!(
        err.to_string().contains("only `base` can be fetched"),
        "{err}"
    );
    let err = store
        .fetch("base-q5_1", Some(Quantization::Q8_0), &opts)
        .unwrap_err();
    assert!(
        err.to_string().contains("q5_1") && err.to_string().contains("q8_0"),
        "{err}"
    );
}

#[test]
fn quantization_follows_whisper_cpp_quantize_tool() {
    let input = synthetic_ggml();
    for (q, ttype, ftype, block_bytes) in [
        (Quantization::Q8_0, 8u32, 2007, 34usize),
        (Quantization::Q5_1, 7, 2009, 24),
    ] {
        let mut out = Vec::new();
        let summary = quantize_ggml(
            &input,
            Path::new("in.bin"),
            q,
            &mut out,
            Path::new("out.bin"),
        )
        .unwrap();
        let before = parse_ggml(&input, Path::new("in.bin")).unwrap();
        let after = parse_ggml(&out, Path::new("out.bin")).unwrap();
        assert_eq!(after.hparams.ftype, ftype);
        assert_eq!(after.vocab, before.vocab);
        // Everything up to the tensors but the ftype word is copied.
        assert_eq!(out[..44], input[..44]);
        assert_eq!(
            out[48..after.tensors_start],
            input[48..before.tensors_start]
        );
        let mut quantized = 0;
        for (b, a) in before.tensors.iter().zip(&after.tensors) {
            assert_eq!((&a.name, &a.ne), (&b.name, &b.ne));
            let keep = b.ne.len() != 2
                || [
                    "encoder.conv1.bias",
                    "encoder.conv2.bias",
                    "encoder.positional_embedding",
                    "decoder.positional_embedding",
                ]
                .contains(&b.name.as_str());
            if keep {
                assert_eq!(a.ttype, b.ttype, "{}", a.name);
                assert_eq!(out[a.data.clone()], input[b.data.clone()], "{}", a.name);
            } else {
                quantized += 1;
                assert_eq!(a.ttype, ttype, "{}", a.name);
                assert_eq!(
                    a.data.len(),
                    b.ne[0] / 32 * block_bytes * b.ne[1],
                    "{}",
                    a.name
                );
            }
        }
        assert_eq!(quantized, summary.quantized_tensors);
        // 2-D weights: q, k, v, out and two mlp per encoder layer; the decoder adds cross
        // attention's four; plus the token embedding.
        assert_eq!(quantized, 6 + 10 + 1);
        assert_eq!(out.len(), after.tensors.last().unwrap().data.end);

        let err = quantize_ggml(
            &out,
            Path::new("out.bin"),
            q,
            &mut Vec::new(),
            Path::new("again.bin"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("already quantized"), "{err}");
    }

    // q8_0 stores each block of 32 as an f16 scale (amax / 127) and 32 int8s.
    let mut out = Vec::new();
    quantize_ggml(
        &input,
        Path::new("in.bin"),
        Quantization::Q8_0,
        &mut out,
        Path::new("out.bin"),
    )
    .unwrap();
    let after = parse_ggml(&out, Path::new("out.bin")).unwrap();
    let t = after
        .tensors
        .iter()
        .find(|t| t.name == "encoder.blocks.0.mlp.0.weight")
        .unwrap();
    let block = &out[t.data.start..t.data.start + 34];
    let scale = callqa::models::ggml::f16_bits_to_f32(u16::from_le_bytes([block[0], block[1]]));
    let source: Vec<f32> = (0..32)
        .map(|i| value("encoder/layer_0/ffn/linear_0/weight", i))
        .collect();
    let amax = source.iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!(
        (scale - amax / 127.0).abs() < 1e-4,
        "scale {scale}, amax {amax}"
    );
    for (q, v) in block[2..].iter().zip(&source) {
        assert!(
            ((*q as i8) as f32 * scale - v).abs() <= scale,
            "{q} * {scale} vs {v}"
        );
    }
}

#[test]
fn quantization_names_parse() {
    assert_eq!("q5_1".parse::<Quantization>().unwrap(), Quantization::Q5_1);
    assert_eq!("Q8_0".parse::<Quantization>().unwrap(), Quantization::Q8_0);
    assert_eq!("q5.1".parse::<Quantization>().unwrap(), Quantization::Q5_1);
    let err = "q4_0".parse::<Quantization>().unwrap_err();
    assert!(err.contains("q5_1 or q8_0"), "{err}");
    assert_eq!(Quantization::Q8_0.to_string(), "q8_0");
}

#[test]
fn unfinished_files_never_appear_under_their_name() {
    let root = tempfile::tempdir().unwrap();
    let target = root.path().join("ggml-x.bin");
    {
        let mut pending = PendingFile::create(&target).unwrap();
        pending.write_all(b"half a model").unwrap();
        // dropped without commit: a failed conversion
    }
    assert!(!target.exists());
    assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);

    let mut pending = PendingFile::create(&target).unwrap();
    pending.write_all(b"abc").unwrap();
    assert_eq!(
        pending.sha256(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    pending.commit().unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"abc");
}

#[test]
fn cache_directory_follows_the_environment() {
    // The only test in this binary that reads these variables, so changing them is safe here.
    let saved: Vec<_> = ["CALLQA_MODEL_DIR", "XDG_CACHE_HOME", "HOME"]
        .iter()
        .map(|k| (*k, std::env::var_os(k)))
        .collect();
    std::env::set_var("CALLQA_MODEL_DIR", "/models/here");
    std::env::set_var("XDG_CACHE_HOME", "/xdg");
    std::env::set_var("HOME", "/home/analyst");
    assert_eq!(
        callqa::models::default_model_dir().unwrap(),
        Path::new("/models/here")
    );
    std::env::remove_var("CALLQA_MODEL_DIR");
    assert_eq!(
        callqa::models::default_model_dir().unwrap(),
        Path::new("/xdg/callqa/models")
    );
    std::env::set_var("XDG_CACHE_HOME", "");
    assert_eq!(
        callqa::models::default_model_dir().unwrap(),
        Path::new("/home/analyst/.cache/callqa/models")
    );
    for (k, v) in saved {
        match v {
            Some(v) => std::env::set_var(k, v),
            None => std::env::remove_var(k),
        }
    }
}
