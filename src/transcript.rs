//! The transcript contract (PRODUCT.md): one JSON file per call, the input to
//! scoring and the output of ASR. Only `call_id` and each utterance's
//! `speaker`/`text` are required; unknown fields are kept so that vendor
//! transcripts round-trip unchanged.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One call's transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    #[serde(deserialize_with = "string_or_number")]
    pub call_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// RFC 3339 start time of the call, used to resolve promise deadlines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<String>,
    pub utterances: Vec<Utterance>,
    /// Fields this version does not know, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One speaker's continuous speech segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Utterance {
    pub speaker: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ms: Option<u64>,
    pub text: String,
    /// ASR confidence in 0..=1, when the transcript comes from ASR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Who is speaking, as far as rubrics care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Agent,
    Customer,
    /// IVR prompts, system messages, a third party: never scored as either side.
    Other,
}

impl Role {
    /// Maps the speaker labels seen in vendor transcripts and chat logs to a role.
    pub fn from_speaker(speaker: &str) -> Role {
        let s = speaker.trim().to_ascii_lowercase();
        match s.as_str() {
            "agent" | "a" | "staff" | "csr" | "service" | "seat" | "客服" | "坐席" | "座席"
            | "客服代表" | "服务人员" | "operator" => Role::Agent,
            "customer" | "c" | "client" | "user" | "caller" | "客户" | "用户" | "顾客"
            | "来电人" => Role::Customer,
            _ => Role::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Customer => "customer",
            Role::Other => "other",
        }
    }
}

impl Transcript {
    /// Parses a transcript from JSON text; `origin` names the file in errors.
    pub fn from_json(text: &str, origin: &Path) -> Result<Transcript, TranscriptError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let transcript: Transcript =
            serde_json::from_str(text).map_err(|source| TranscriptError::Json {
                path: origin.to_path_buf(),
                line: source.line(),
                column: source.column(),
                message: source.to_string(),
            })?;
        transcript.validate(origin)?;
        Ok(transcript)
    }

    /// Reads and parses one transcript file.
    pub fn from_path(path: &Path) -> Result<Transcript, TranscriptError> {
        let bytes = fs::read(path).map_err(|source| TranscriptError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| TranscriptError::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        })?;
        Transcript::from_json(&text, path)
    }

    fn validate(&self, origin: &Path) -> Result<(), TranscriptError> {
        let invalid = |message: String| TranscriptError::Invalid {
            path: origin.to_path_buf(),
            message,
        };
        if self.call_id.trim().is_empty() {
            return Err(invalid("`call_id` is empty".into()));
        }
        for (index, utterance) in self.utterances.iter().enumerate() {
            if let (Some(start), Some(end)) = (utterance.start_ms, utterance.end_ms) {
                if end < start {
                    return Err(invalid(format!(
                        "utterances[{index}]: end_ms {end} is before start_ms {start}"
                    )));
                }
            }
            if let Some(confidence) = utterance.confidence {
                if !(0.0..=1.0).contains(&confidence) || confidence.is_nan() {
                    return Err(invalid(format!(
                        "utterances[{index}]: confidence {confidence} is outside 0..1"
                    )));
                }
            }
        }
        Ok(())
    }

    /// True when every utterance carries both times, so timing rules can run.
    pub fn has_timestamps(&self) -> bool {
        !self.utterances.is_empty()
            && self
                .utterances
                .iter()
                .all(|u| u.start_ms.is_some() && u.end_ms.is_some())
    }
}

/// Why a transcript file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TranscriptError {
    #[error("{}: cannot read: {source}; check that the path is right and the file is readable", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: invalid transcript JSON: {message}", path.display())]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: invalid transcript: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    /// A folder of transcripts that could not be listed.
    #[error(transparent)]
    Folder(#[from] crate::walk::WalkError),
}

impl TranscriptError {
    pub fn path(&self) -> &Path {
        match self {
            TranscriptError::Io { path, .. }
            | TranscriptError::Json { path, .. }
            | TranscriptError::Invalid { path, .. } => path,
            TranscriptError::Folder(error) => &error.path,
        }
    }
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "`call_id` must be a string, found {other}"
        ))),
    }
}

/// Expands files and folders into the transcript files to read, in a stable
/// order: arguments in the order given, each folder's `*.<extension>` files
/// sorted by path (recursively, through [`crate::walk`]: loops end, a file
/// reached twice is listed once).
pub fn collect_inputs(
    inputs: &[PathBuf],
    extension: &str,
) -> Result<Vec<PathBuf>, TranscriptError> {
    let mut files = Vec::new();
    let mut walker = crate::walk::Walker::new();
    for input in inputs {
        let meta = fs::metadata(input).map_err(|source| TranscriptError::Io {
            path: input.clone(),
            source,
        })?;
        if meta.is_dir() {
            files.extend(walker.files(input, &|path| crate::walk::has_extension(path, extension))?);
        } else {
            files.push(input.clone());
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_round_trip() {
        let json = r#"{"call_id":"x","vendor":{"k":1},"utterances":[{"speaker":"agent","text":"您好","emotion":"calm"}]}"#;
        let t = Transcript::from_json(json, Path::new("x.json")).unwrap();
        assert_eq!(t.extra["vendor"]["k"], 1);
        assert_eq!(t.utterances[0].extra["emotion"], "calm");
        let back = serde_json::to_string(&t).unwrap();
        assert!(back.contains("\"vendor\"") && back.contains("\"emotion\""));
        assert!(!t.has_timestamps());
    }

    #[test]
    fn missing_text_names_file_and_field() {
        let json = r#"{"call_id":"x","utterances":[{"speaker":"agent"}]}"#;
        let err = Transcript::from_json(json, Path::new("calls/x.json")).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("calls/x.json") && msg.contains("missing field `text`"),
            "{msg}"
        );
    }

    #[test]
    fn inverted_times_are_rejected() {
        let json = r#"{"call_id":"x","utterances":[{"speaker":"agent","text":"a","start_ms":5,"end_ms":1}]}"#;
        let err = Transcript::from_json(json, Path::new("x.json")).unwrap_err();
        assert!(err.to_string().contains("end_ms 1 is before start_ms 5"));
    }

    #[test]
    fn speaker_labels_map_to_roles() {
        assert_eq!(Role::from_speaker("客服"), Role::Agent);
        assert_eq!(Role::from_speaker("Customer"), Role::Customer);
        assert_eq!(Role::from_speaker("IVR"), Role::Other);
    }
}
