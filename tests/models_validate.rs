//! The model gate (`callqa::models::validate`): damaged copies of the real cached base model,
//! made the ways issue 10 reproduced the whisper.cpp aborts, are refused with the file, the
//! byte offset, the problem and the fix, through the library and through `callqa run` (exit 2,
//! no abort). The real cached models still pass.

use std::fs::{self, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use callqa::models::validate::{validate_bytes, validate_file};
use callqa::models::{ModelError, ModelStore};
use tempfile::TempDir;

/// The cached f16 base model every test starts from.
fn base_model() -> PathBuf {
    let store = ModelStore::open_default().expect("model cache directory");
    let path = store.path_of("base");
    assert!(
        path.is_file(),
        "{} is missing; run `callqa models fetch base` first",
        path.display()
    );
    path
}

/// A copy of the base model in a fresh folder, with `patch` written at `offset`.
fn patched(offset: u64, patch: &[u8]) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("damaged.bin");
    fs::copy(base_model(), &path).unwrap();
    let mut f = OpenOptions::new().write(true).open(&path).unwrap();
    f.seek(SeekFrom::Start(offset)).unwrap();
    f.write_all(patch).unwrap();
    (dir, path)
}

/// The first `len` bytes of the base model.
fn truncated(len: u64) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("truncated.bin");
    let bytes = fs::read(base_model()).unwrap();
    fs::write(&path, &bytes[..len as usize]).unwrap();
    (dir, path)
}

/// The error for `path`, which must be `Damaged` at `offset`, with the message checked for the
/// file name, the offset and a runnable fix.
fn damaged(path: &Path, offset: u64) -> String {
    let err = validate_file(path).expect_err("a damaged model must be refused");
    let message = err.to_string();
    match &err {
        ModelError::Damaged { offset: at, .. } => {
            assert_eq!(*at, offset, "wrong offset in: {message}")
        }
        other => panic!("expected Damaged, got {other:?}"),
    }
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains(&format!("byte offset {offset}")),
        "{message}"
    );
    assert!(message.contains("callqa models fetch base"), "{message}");
    message
}

#[test]
fn the_cached_models_validate() {
    let store = ModelStore::open_default().unwrap();
    let mut checked = 0;
    for name in ["base", "base-q8_0", "base-q5_1"] {
        let path = store.path_of(name);
        if !path.is_file() {
            continue;
        }
        let layout = validate_file(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        // base: 7 + 15 × 6 encoder tensors, 4 + 24 × 6 decoder tensors.
        assert_eq!(layout.tensors.len(), 7 + 15 * 6 + 4 + 24 * 6, "{name}");
        assert_eq!(
            layout.tensors.last().unwrap().data.end as u64,
            fs::metadata(&path).unwrap().len()
        );
        checked += 1;
    }
    assert!(checked >= 1, "no cached model to check");
}

#[test]
fn validating_in_memory_agrees_with_the_file() {
    let path = base_model();
    let from_file = validate_file(&path).unwrap();
    let from_bytes = validate_bytes(&fs::read(&path).unwrap(), &path).unwrap();
    assert_eq!(from_file.tensors.len(), from_bytes.tensors.len());
    assert_eq!(from_file.vocab_count, from_bytes.vocab_count);
    assert_eq!(from_file.tensors_start, from_bytes.tensors_start);
}

#[test]
fn ftype_99_is_refused_at_offset_44() {
    let (_dir, path) = patched(44, &99i32.to_le_bytes());
    let message = damaged(&path, 44);
    assert!(message.contains("ftype is 99"), "{message}");
}

#[test]
fn a_huge_vocabulary_is_refused_at_offset_4() {
    let (_dir, path) = patched(4, &i32::MAX.to_le_bytes());
    let message = damaged(&path, 4);
    assert!(message.contains("n_vocab is 2147483647"), "{message}");
}

#[test]
fn a_hundred_thousand_audio_layers_are_refused_at_offset_20() {
    let (_dir, path) = patched(20, &100_000i32.to_le_bytes());
    let message = damaged(&path, 20);
    assert!(message.contains("n_audio_layer is 100000"), "{message}");
}

#[test]
fn a_model_truncated_at_1_mb_names_the_tensor_cut_short() {
    let (_dir, path) = truncated(1 << 20);
    let err = validate_file(&path).unwrap_err();
    let message = err.to_string();
    let ModelError::Damaged { offset, .. } = err else {
        panic!("{message}")
    };
    assert!(offset < 1 << 20, "{message}");
    assert!(message.contains("truncated"), "{message}");
    assert!(
        message.contains("encoder.positional_embedding"),
        "{message}"
    );
    assert!(message.contains("1048576 bytes long"), "{message}");
}

#[test]
fn a_model_truncated_at_40_mb_names_the_tensor_cut_short() {
    let (_dir, path) = truncated(40 << 20);
    let err = validate_file(&path).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, ModelError::Damaged { .. }), "{message}");
    assert!(message.contains("truncated"), "{message}");
    assert!(message.contains("the data of tensor `"), "{message}");
    assert!(message.contains("callqa models fetch base"), "{message}");
}

#[test]
fn a_model_cut_between_tensors_says_which_are_missing() {
    let layout = validate_file(&base_model()).unwrap();
    let cut = layout.tensors[10].data.end as u64;
    let (_dir, path) = truncated(cut);
    let message = damaged(&path, cut);
    assert!(message.contains("after 11 of the 245 tensors"), "{message}");
}

#[test]
fn tensor_header_damage_is_found_with_its_offset() {
    let layout = validate_file(&base_model()).unwrap();
    let t = &layout.tensors[3];
    let at = t.header_offset as u64;

    // Unknown ggml type (the third header word).
    let (_dir, path) = patched(at + 8, &77i32.to_le_bytes());
    let message = damaged(&path, at + 8);
    assert!(message.contains("unknown ggml type 77"), "{message}");

    // Five dimensions.
    let (_dir, path) = patched(at, &5i32.to_le_bytes());
    let message = damaged(&path, at);
    assert!(message.contains("5 dimensions"), "{message}");

    // A negative name length.
    let (_dir, path) = patched(at + 4, &(-1i32).to_le_bytes());
    let message = damaged(&path, at + 4);
    assert!(message.contains("name is -1 bytes"), "{message}");

    // A different but self-consistent shape: the sizes no longer add up, or the shape is wrong.
    let (_dir, path) = patched(at + 12, &2i32.to_le_bytes());
    let err = validate_file(&path).unwrap_err();
    assert!(matches!(err, ModelError::Damaged { .. }), "{err}");
}

#[test]
fn a_renamed_tensor_is_unknown() {
    let layout = validate_file(&base_model()).unwrap();
    let t = &layout.tensors[0];
    assert_eq!(t.name, "encoder.positional_embedding");
    // The name follows the 3 header words and 2 dimensions.
    let name_at = t.header_offset as u64 + 12 + 8;
    let (_dir, path) = patched(name_at, b"E");
    let message = damaged(&path, t.header_offset as u64);
    assert!(
        message.contains("unknown tensor `Encoder.positional_embedding`"),
        "{message}"
    );
}

#[test]
fn a_lying_token_length_is_refused_without_allocating_it() {
    let layout = validate_file(&base_model()).unwrap();
    let (n_mel, n_bins) = layout.mel_shape;
    // First token length: after the header, the mel filters and the vocabulary count.
    let first_token = 48 + 8 + (n_mel * n_bins * 4) as u64 + 4;
    let (_dir, path) = patched(first_token, &u32::MAX.to_le_bytes());
    let message = damaged(&path, first_token);
    assert!(message.contains("claims 4294967295 bytes"), "{message}");
}

#[test]
fn trailing_bytes_after_the_last_tensor_are_refused() {
    let (_dir, path) = patched(fs::metadata(base_model()).unwrap().len(), &[0u8; 7]);
    let err = validate_file(&path).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[test]
fn a_truncated_cached_model_points_to_its_fetch_command() {
    let dir = TempDir::new().unwrap();
    let (_src, cut) = truncated(40 << 20);
    fs::copy(&cut, dir.path().join("ggml-base.bin")).unwrap();
    // The store checks the file's structure when it locates a model.
    let err = ModelStore::at(dir.path()).resolve("base").unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, ModelError::Damaged { .. }), "{message}");
    assert!(
        message.contains("fix: run `callqa models fetch base` to replace it"),
        "{message}"
    );
}

#[test]
fn a_missing_bin_path_says_the_file_does_not_exist() {
    let dir = TempDir::new().unwrap();
    let err = ModelStore::at(dir.path())
        .resolve("missing.bin")
        .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, ModelError::PathNotFound { .. }), "{message}");
    assert!(message.contains("missing.bin does not exist"), "{message}");
    assert!(!message.contains("import-ct2"), "{message}");
}

#[test]
fn a_folder_given_as_the_model_is_named_a_folder() {
    let dir = TempDir::new().unwrap();
    let store = ModelStore::at(dir.path());
    let plain = dir.path().join("models");
    std::fs::create_dir(&plain).unwrap();
    let message = store
        .resolve(plain.to_str().unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("is a folder, not a model file"),
        "{message}"
    );
    assert!(!message.contains("does not exist"), "{message}");
    assert!(!message.contains("import-ct2"), "{message}");
    // A faster-whisper folder: the conversion command, with its path.
    std::fs::write(plain.join("model.bin"), b"ct2").unwrap();
    let message = store
        .resolve(plain.to_str().unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        message.contains(&format!("callqa models import-ct2 {}", plain.display())),
        "{message}"
    );
}

// ---------------------------------------------------------------------------------------------
// Through the binary: exit 2, the cause on stderr, no abort.

fn run_with_model(model: &Path) -> (i32, String) {
    let out = TempDir::new().unwrap();
    let audio = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/audio/call-01.wav");
    let output = Command::new(env!("CARGO_BIN_EXE_callqa"))
        .arg("run")
        .arg("--quiet")
        .arg("-j")
        .arg("1")
        .arg("--model")
        .arg(model)
        .arg("-o")
        .arg(out.path().join("out"))
        .arg(&audio)
        .output()
        .unwrap();
    let code = output.status.code().unwrap_or_else(|| {
        panic!(
            "killed by a signal: {:?}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (code, String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn the_cli_refuses_each_reproduction_with_exit_2() {
    let cases: Vec<(TempDir, PathBuf, &str)> = vec![
        {
            let (d, p) = patched(44, &99i32.to_le_bytes());
            (d, p, "byte offset 44: hyperparameter ftype is 99")
        },
        {
            let (d, p) = patched(4, &i32::MAX.to_le_bytes());
            (d, p, "byte offset 4: hyperparameter n_vocab is 2147483647")
        },
        {
            let (d, p) = patched(20, &100_000i32.to_le_bytes());
            (
                d,
                p,
                "byte offset 20: hyperparameter n_audio_layer is 100000",
            )
        },
        {
            let (d, p) = truncated(1 << 20);
            (d, p, "the file is truncated")
        },
        {
            let (d, p) = truncated(40 << 20);
            (d, p, "the file is truncated")
        },
    ];
    for (_dir, path, expected) in &cases {
        let (code, stderr) = run_with_model(path);
        assert_eq!(code, 2, "{}: {stderr}", path.display());
        assert!(stderr.contains(expected), "{}: {stderr}", path.display());
        assert!(stderr.contains(&path.display().to_string()), "{stderr}");
        assert!(stderr.contains("callqa models fetch base"), "{stderr}");
    }
}

#[test]
fn the_cli_says_a_missing_model_file_does_not_exist() {
    let dir = TempDir::new().unwrap();
    let out = TempDir::new().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_callqa"))
        .current_dir(dir.path())
        .args(["run", "--quiet", "--model", "missing.bin", "-o"])
        .arg(out.path().join("out"))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/audio/call-01.wav"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("missing.bin does not exist"), "{stderr}");
    assert!(!stderr.contains("import-ct2"), "{stderr}");
}
