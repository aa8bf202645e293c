//! Rubrics: the TOML file format ([`schema`]), loading with precise errors,
//! and compilation into matchers ([`compile`]) built once and shared
//! read-only by every worker. The condition operators, each with its
//! schema, compile step, evaluation and documentation, are in
//! [`operators`]; [`eval`] is the context they evaluate in.

pub mod compile;
pub mod eval;
pub mod operators;
pub mod pattern;
pub mod reason;
pub mod schema;

use std::fs;
use std::path::{Path, PathBuf};

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
    /// A problem at a position of the rubric text: a syntax error, or a
    /// rule that parses but would lie (its message says the fix).
    #[error("{origin}:{line}:{column}: {message}")]
    Syntax {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
    /// A dictionary the rubric names cannot be used; `problem` says why
    /// (it names the dictionary file), the position is the rubric's
    /// `dictionaries` entry that names it.
    #[error("{origin}:{line}:{column}: dictionary `{name}`: {problem}")]
    Dictionary {
        origin: String,
        line: usize,
        column: usize,
        name: String,
        problem: String,
    },
    /// Several problems, in the order of the rubric text, one per line.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Many(Vec<RubricError>),
}

impl RubricError {
    /// The one error for `problems` (at least one).
    pub fn from_problems(mut problems: Vec<RubricError>) -> RubricError {
        if problems.len() == 1 {
            problems.remove(0)
        } else {
            RubricError::Many(problems)
        }
    }
}

/// One step of a path into the rubric's TOML document: a table key or an
/// array index (`item` is an array, one entry per `[[item]]`).
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Where an entry of the rubric is written: the byte span of its key (of
/// the element itself for an array index) and of its value.
#[derive(Debug, Clone)]
pub struct Located {
    pub key: std::ops::Range<usize>,
    pub value: std::ops::Range<usize>,
}

/// Finds entries in rubric text that already parsed. This is how a problem
/// found in the deserialised rubric (which keeps no positions, except in
/// its `Spanned` fields) gets a file:line:column. The text is parsed once,
/// on the first lookup, so a rubric without problems costs nothing.
pub struct Locator<'t> {
    text: &'t str,
    root: std::cell::OnceCell<Option<toml::Spanned<toml::de::DeTable<'t>>>>,
}

impl<'t> Locator<'t> {
    pub fn new(text: &'t str) -> Locator<'t> {
        Locator {
            text,
            root: std::cell::OnceCell::new(),
        }
    }

    /// Where `path` is written; `None` when it is not (a default value).
    pub fn find(&self, path: &[Step]) -> Option<Located> {
        use toml::de::{DeTable, DeValue};
        let root = self
            .root
            .get_or_init(|| DeTable::parse(self.text).ok())
            .as_ref()?;
        let mut here = Located {
            key: root.span(),
            value: root.span(),
        };
        let mut table: Option<&DeTable> = Some(root.get_ref());
        let mut array: Option<&toml::de::DeArray> = None;
        for step in path {
            let (key, value) = match (*step, table, array) {
                (Step::Key(k), Some(t), _) => {
                    let (key, value) = t.iter().find(|(key, _)| key.get_ref() == k)?;
                    (key.span(), value)
                }
                (Step::Index(i), _, Some(a)) => {
                    let value = a.get(i)?;
                    (value.span(), value)
                }
                _ => return None,
            };
            here = Located {
                key,
                value: value.span(),
            };
            (table, array) = match value.get_ref() {
                DeValue::Table(t) => (Some(t), None),
                DeValue::Array(a) => (None, Some(a)),
                _ => (None, None),
            };
        }
        Some(here)
    }
}

/// One lookup with [`Locator`] (for a single error).
pub fn locate(text: &str, path: &[Step]) -> Option<Located> {
    Locator::new(text).find(path)
}

/// A [`RubricError::Dictionary`] for entry `index` of the rubric's
/// `dictionaries` (named `name`).
pub(crate) fn dictionary_error(
    origin: &str,
    text: &str,
    index: usize,
    name: &str,
    problem: String,
) -> RubricError {
    let at = locate(
        text,
        &[
            Step::Key("rubric"),
            Step::Key("dictionaries"),
            Step::Index(index),
        ],
    );
    let (line, column) = line_column(text, at.map_or(0, |a| a.value.start));
    RubricError::Dictionary {
        origin: origin.to_string(),
        line,
        column,
        name: name.to_string(),
        problem,
    }
}

/// A [`RubricError::Syntax`] at byte `offset` of the rubric text.
pub fn error_at(origin: &str, text: &str, offset: usize, message: String) -> RubricError {
    let (line, column) = line_column(text, offset);
    RubricError::Syntax {
        origin: origin.to_string(),
        line,
        column,
        message,
    }
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

pub use crate::hash::sha256_hex;

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
    for (i, name) in file.rubric.dictionaries.iter().enumerate() {
        let loaded = dictionary_loader(name)
            .map_err(|e| dictionary_error(origin, text, i, name, e.to_string()))?;
        dictionaries.push(loaded);
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
        let shown = dict_path.display().to_string();
        let problem = |message: String| RubricError::Invalid {
            origin: shown.clone(),
            message,
        };
        let bytes = fs::read(&dict_path).map_err(|e| {
            problem(if e.kind() == std::io::ErrorKind::NotFound {
                "no such file (dictionaries are found next to the rubric file): create it, or fix the name in `dictionaries`".to_string()
            } else {
                format!("cannot read it: {e}")
            })
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            problem(format!(
                "not UTF-8 (invalid byte sequence at byte offset {offset}): save it as UTF-8, e.g. from GBK: `iconv -f GB18030 -t UTF-8 {shown} > {shown}.utf8 && mv {shown}.utf8 {shown}`"
            ))
        })?;
        Ok((shown.clone(), text))
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
