//! Rubrics: the TOML file format ([`schema`]), loading with precise errors,
//! and compilation into matchers ([`compile`]) built once and shared
//! read-only by every worker. The condition operators, each with its
//! schema, compile step, evaluation and documentation, are in
//! [`operators`]; [`eval`] is the context they evaluate in.

pub mod compile;
pub mod eval;
pub mod operators;
pub mod pattern;
pub mod schema;

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use compile::CompiledRubric;
pub use schema::RubricFile;

/// The default rubric and its dictionary, built into the binary so that
/// `callqa explain` and `callqa score` work without a checkout.
pub const BUILTIN_RUBRIC: &str = include_str!("../../rubrics/cs-standard.toml");
pub const BUILTIN_DICTIONARY: &str = include_str!("../../rubrics/cs-dict.txt");
pub const BUILTIN_NAME: &str = "rubrics/cs-standard.toml";

/// Why a rubric could not be loaded or compiled.
#[derive(Debug, thiserror::Error)]
pub enum RubricError {
    #[error("{}: cannot read rubric: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}:{line}:{column}: {message}")]
    Syntax {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error("{0}")]
    Dictionary(#[from] crate::text::DictionaryError),
}

/// A parsed rubric file together with where it came from.
#[derive(Debug, Clone)]
pub struct RubricSource {
    pub origin: String,
    pub text: String,
    pub file: RubricFile,
    /// sha256 of the rubric file's bytes.
    pub sha256: String,
    /// (origin, text) of each dictionary.
    pub dictionaries: Vec<(String, String)>,
}

/// Converts a byte offset into 1-based line and column (in characters).
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses rubric TOML text. `dictionary_loader` resolves dictionary names.
pub fn parse(
    origin: &str,
    text: &str,
    dictionary_loader: impl Fn(&str) -> Result<(String, String), RubricError>,
) -> Result<RubricSource, RubricError> {
    let file: RubricFile = toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|s| line_column(text, s.start))
            .unwrap_or((1, 1));
        RubricError::Syntax {
            origin: origin.to_string(),
            line,
            column,
            message: e.message().trim().replace('\n', " "),
        }
    })?;
    let mut dictionaries = Vec::new();
    for name in &file.rubric.dictionaries {
        dictionaries.push(dictionary_loader(name)?);
    }
    Ok(RubricSource {
        origin: origin.to_string(),
        text: text.to_string(),
        sha256: sha256_hex(text.as_bytes()),
        file,
        dictionaries,
    })
}

/// Loads a rubric file from disk; dictionaries are resolved next to it.
pub fn load_path(path: &Path) -> Result<RubricSource, RubricError> {
    let text = fs::read_to_string(path).map_err(|source| RubricError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse(&path.display().to_string(), &text, |name| {
        let dict_path = dir.join(name);
        let text = fs::read_to_string(&dict_path).map_err(|source| RubricError::Io {
            path: dict_path.clone(),
            source,
        })?;
        Ok((dict_path.display().to_string(), text))
    })
}

/// The built-in `cs-standard` rubric.
pub fn load_builtin() -> RubricSource {
    parse(BUILTIN_NAME, BUILTIN_RUBRIC, |name| {
        builtin_dictionary(name).ok_or_else(|| RubricError::Invalid {
            origin: BUILTIN_NAME.into(),
            message: format!("unknown built-in dictionary `{name}`"),
        })
    })
    .expect("the built-in rubric parses (checked by tests)")
}

/// The dictionary built into the binary under `name`, as (origin, text).
pub fn builtin_dictionary(name: &str) -> Option<(String, String)> {
    (name == "cs-dict.txt").then(|| {
        (
            "rubrics/cs-dict.txt".to_string(),
            BUILTIN_DICTIONARY.to_string(),
        )
    })
}

/// Loads `path`, or the built-in rubric when `path` is `None`, and compiles it.
pub fn load_and_compile(path: Option<&Path>) -> Result<CompiledRubric, RubricError> {
    let source = match path {
        Some(p) => load_path(p)?,
        None => load_builtin(),
    };
    CompiledRubric::compile(source)
}

/// The JSON schema of the rubric file format.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(RubricFile);
    serde_json::to_string_pretty(&schema).expect("schema serialises")
}
