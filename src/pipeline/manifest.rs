//! The inputs of a run: turns what the user named on the command line (audio
//! files, folders searched recursively for `*.wav`, manifest CSVs) into the
//! ordered list of calls to process, each with its call id, metadata and
//! channel layout.
//!
//! A problem with one call (a bad manifest row, a missing recording, a
//! duplicate call id) makes that call a [`RejectedInput`], which the run
//! reports as an error row while the rest goes on. Only a manifest that
//! cannot be read at all, or whose header is wrong, stops the run
//! ([`ManifestError`]): every row of it would be misread.
//!
//! # Manifest format
//!
//! A CSV file (UTF-8, an Excel byte-order mark is fine, `#` starts a comment
//! line) whose header names some of these columns, in any order:
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `audio` | yes | the recording, relative to the manifest's folder (or absolute) |
//! | `call_id` | no | defaults to the recording's file stem |
//! | `agent_id`, `customer_id` | no | copied into the transcript and scorecard |
//! | `started_at` | no | RFC 3339, e.g. `2026-11-20T09:30:00+08:00` |
//! | `direction` | no | `inbound` or `outbound` |
//! | `agent_channel` | no | `left`/`0` or `right`/`1`: the channel the agent speaks on |
//!
//! Empty cells mean "not given". Unknown columns are an error (a misspelt
//! `agent_channel` would otherwise silently put the wrong speaker on the
//! agent side).

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Every column a manifest may have.
pub const MANIFEST_COLUMNS: [&str; 7] = [
    "call_id",
    "audio",
    "agent_id",
    "customer_id",
    "started_at",
    "direction",
    "agent_channel",
];

/// Accepted values of the `direction` column.
pub const DIRECTIONS: [&str; 2] = ["inbound", "outbound"];

/// Longest call id accepted (it becomes a file name).
pub const MAX_CALL_ID_CHARS: usize = 200;

/// Which channel of a stereo recording carries the agent; the other one is
/// the customer. Mono recordings ignore it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentChannel {
    /// Channel 0 (the usual recorder layout).
    #[default]
    Left,
    /// Channel 1.
    Right,
}

impl AgentChannel {
    /// Channel index in the file (0 = left).
    pub fn index(self) -> usize {
        match self {
            AgentChannel::Left => 0,
            AgentChannel::Right => 1,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AgentChannel::Left => "left",
            AgentChannel::Right => "right",
        }
    }
}

impl fmt::Display for AgentChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AgentChannel {
    type Err = String;

    /// `left`, `right`, `0` or `1` (case-insensitive).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "left" | "0" => Ok(AgentChannel::Left),
            "right" | "1" => Ok(AgentChannel::Right),
            other => Err(format!(
                "agent_channel `{other}` is not one of left, right, 0, 1"
            )),
        }
    }
}

/// Call metadata that does not come from the audio: copied into the
/// transcript (and so into the scorecard) as given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
}

/// One call to process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallInput {
    pub call_id: String,
    /// The recording, as a path to open (manifest paths already resolved
    /// against the manifest's folder).
    pub audio: PathBuf,
    pub metadata: CallMetadata,
    /// From the manifest; `None` means the run's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_channel: Option<AgentChannel>,
    /// Where the call came from, for messages: the audio path, or
    /// `manifest.csv:LINE`.
    pub origin: String,
}

/// An input that cannot be processed; the run turns it into an error row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{origin}: {message}")]
pub struct RejectedInput {
    /// `manifest.csv:LINE` or the path as given.
    pub origin: String,
    /// The call id, when it was known.
    pub call_id: Option<String>,
    /// The recording, when it was known.
    pub audio: Option<PathBuf>,
    pub message: String,
}

/// One entry of the run plan, in input order.
pub type PlannedCall = Result<CallInput, RejectedInput>;

/// A manifest that cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{}: cannot read the manifest: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: the manifest is empty; its first line must be a header naming the columns \
             (`audio` required; optional: call_id, agent_id, customer_id, started_at, direction, agent_channel)",
             path.display())]
    Empty { path: PathBuf },
    #[error("{}:{line}: {message}; manifest columns are `audio` (required), call_id, agent_id, \
             customer_id, started_at, direction, agent_channel", path.display())]
    Header {
        path: PathBuf,
        line: u64,
        message: String,
    },
}

/// Why the inputs could not be planned at all.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A folder of recordings that could not be listed.
    #[error(transparent)]
    Folder(#[from] crate::walk::WalkError),
}

/// Expands the run's inputs into calls, in order: arguments as given; a
/// folder's `*.wav` files (any case, recursively) sorted by path; a `.csv`
/// file's rows in file order. Call ids are checked for duplicates across all
/// inputs: the first use wins and later ones are rejected.
pub fn collect_inputs(inputs: &[PathBuf]) -> Result<Vec<PlannedCall>, InputError> {
    let mut planned = Vec::new();
    let mut walker = crate::walk::Walker::new();
    for input in inputs {
        let origin = input.display().to_string();
        match fs::metadata(input) {
            Err(error) => planned.push(Err(RejectedInput {
                call_id: None,
                audio: Some(input.clone()),
                message: missing_file_message(input, &error),
                origin,
            })),
            Ok(meta) if meta.is_dir() => {
                let found = walker.files(input, &|path| has_extension(path, "wav"))?;
                planned.extend(
                    found
                        .iter()
                        .map(|path| match crate::walk::read_problem(path) {
                            Some(message) => Err(RejectedInput {
                                origin: path.display().to_string(),
                                call_id: file_stem(path),
                                audio: Some(path.clone()),
                                message,
                            }),
                            None => recording_input(path),
                        }),
                );
            }
            Ok(_) if has_extension(input, "csv") => planned.extend(read_manifest(input)?),
            Ok(_) => planned.push(recording_input(input)),
        }
    }
    reject_duplicate_call_ids(&mut planned);
    Ok(planned)
}

/// Reads a manifest CSV (see the module docs for the format). Rows with a
/// problem come back as [`RejectedInput`]s naming `file:line`; duplicate call
/// ids within the manifest are rejected too.
pub fn read_manifest(path: &Path) -> Result<Vec<PlannedCall>, ManifestError> {
    let bytes = fs::read(path).map_err(|source| ManifestError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_manifest(path, &bytes)
}

/// [`read_manifest`] on bytes already read; `path` names the file in messages and is the base
/// of relative audio paths. The fuzz target enters here.
pub fn parse_manifest(path: &Path, bytes: &[u8]) -> Result<Vec<PlannedCall>, ManifestError> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let base = path.parent().unwrap_or(Path::new(""));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .from_reader(bytes);
    let mut records = reader.records();
    // The csv reader takes a quote that is never closed as a field running
    // to the end of the file; say so instead of misreading that one field.
    let unclosed = unclosed_quote_line(bytes);
    let unclosed_message = |line: u64| {
        format!(
            "unterminated quote: the `\"` opened on line {line} is never closed, so everything \
             after it to the end of the file was read as one field and no row below it was read; \
             add the closing `\"` (a quote inside a quoted field is written `\"\"`)"
        )
    };

    let header = loop {
        match records.next() {
            None => {
                return Err(ManifestError::Empty {
                    path: path.to_path_buf(),
                })
            }
            Some(Err(error)) => {
                return Err(ManifestError::Header {
                    path: path.to_path_buf(),
                    line: error.position().map_or(1, |p| line_of(bytes, p)),
                    message: format!("unreadable header: {error}"),
                })
            }
            Some(Ok(record)) if record.iter().all(|f| f.trim().is_empty()) => continue,
            Some(Ok(record)) => break record,
        }
    };
    let records: Vec<_> = records.collect();
    if let (Some(line), true) = (unclosed, records.is_empty()) {
        return Err(ManifestError::Header {
            path: path.to_path_buf(),
            line,
            message: unclosed_message(line),
        });
    }
    let header_line = header.position().map_or(1, |p| line_of(bytes, p));
    let columns = Columns::from_header(&header).map_err(|message| ManifestError::Header {
        path: path.to_path_buf(),
        line: header_line,
        message,
    })?;

    let mut planned = Vec::new();
    let last = records.len().saturating_sub(1);
    for (index, record) in records.into_iter().enumerate() {
        let row = match (unclosed, record) {
            // Only the last record can hold a quote that runs to the end.
            (Some(line), _) if index == last => Err(RejectedInput {
                origin: format!("{}:{line}", path.display()),
                call_id: None,
                audio: None,
                message: unclosed_message(line),
            }),
            (_, Ok(record)) => {
                if record.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                let line = record.position().map_or(0, |p| line_of(bytes, p));
                parse_row(path, base, line, &columns, &record)
            }
            (_, Err(error)) => {
                let line = error.position().map_or(0, |p| line_of(bytes, p));
                Err(RejectedInput {
                    origin: format!("{}:{line}", path.display()),
                    call_id: None,
                    audio: None,
                    message: format!("unreadable row: {}", csv_problem(&error)),
                })
            }
        };
        planned.push(row);
    }
    reject_duplicate_call_ids(&mut planned);
    Ok(planned)
}

/// Rejects every call whose id an earlier call already uses. Idempotent.
pub fn reject_duplicate_call_ids(planned: &mut [PlannedCall]) {
    let mut first_use: HashMap<String, String> = HashMap::new();
    for entry in planned.iter_mut() {
        let Ok(call) = entry else { continue };
        match first_use.get(&call.call_id) {
            Some(first) => {
                *entry = Err(RejectedInput {
                    message: format!(
                        "duplicate call id `{}`: {first} already uses it; give each call a unique \
                         `call_id` in the manifest (or rename the recording)",
                        call.call_id
                    ),
                    origin: call.origin.clone(),
                    call_id: Some(call.call_id.clone()),
                    audio: Some(call.audio.clone()),
                });
            }
            None => {
                first_use.insert(call.call_id.clone(), call.origin.clone());
            }
        }
    }
}

/// Checks that a call id can name a file (`transcripts/<call_id>.json`).
pub fn validate_call_id(call_id: &str) -> Result<(), String> {
    if call_id.trim().is_empty() {
        return Err("call id is empty".into());
    }
    if call_id != call_id.trim() {
        return Err(format!("call id `{call_id}` starts or ends with spaces"));
    }
    if call_id.chars().count() > MAX_CALL_ID_CHARS {
        return Err(format!(
            "call id is longer than {MAX_CALL_ID_CHARS} characters"
        ));
    }
    if call_id.starts_with('.') {
        return Err(format!(
            "call id `{call_id}` starts with `.`, which would make a hidden or relative file name"
        ));
    }
    if let Some(bad) = call_id.chars().find(|c| {
        matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control()
    }) {
        return Err(format!(
            "call id `{}` contains `{}`, which cannot be part of a file name",
            call_id.escape_debug(),
            bad.escape_debug()
        ));
    }
    Ok(())
}

/// True for `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` with fields in range
/// (a space may stand for the `T`, as RFC 3339 allows).
pub fn is_rfc3339(text: &str) -> bool {
    let b = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        if part.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(part).ok()?.parse().ok()
        } else {
            None
        }
    };
    let at = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    let fields = (|| {
        let (month, day) = (number(5..7)?, number(8..10)?);
        let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
        number(0..4)?;
        Some(
            (1..=12).contains(&month)
                && (1..=31).contains(&day)
                && hour <= 23
                && minute <= 59
                && second <= 60,
        )
    })();
    if fields != Some(true)
        || !at(4, b"-")
        || !at(7, b"-")
        || !at(10, b"Tt ")
        || !at(13, b":")
        || !at(16, b":")
    {
        return false;
    }
    let mut i = 19;
    if at(i, b".") {
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        i += 1 + digits;
    }
    match &b[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', ..] if b.len() - i == 6 => {
            at(i + 3, b":")
                && number(i + 1..i + 3).is_some_and(|h| h <= 23)
                && number(i + 4..i + 6).is_some_and(|m| m <= 59)
        }
        _ => false,
    }
}

/// Column positions found in a manifest header.
struct Columns {
    index: HashMap<&'static str, usize>,
}

impl Columns {
    fn from_header(header: &csv::StringRecord) -> Result<Columns, String> {
        let mut index = HashMap::new();
        for (position, raw) in header.iter().enumerate() {
            let name = raw.trim().to_ascii_lowercase();
            let Some(known) = MANIFEST_COLUMNS.iter().copied().find(|c| *c == name) else {
                return Err(format!("unknown column `{}`", raw.trim()));
            };
            if index.insert(known, position).is_some() {
                return Err(format!("column `{known}` appears twice"));
            }
        }
        if !index.contains_key("audio") {
            return Err("no `audio` column (the path of each recording)".into());
        }
        Ok(Columns { index })
    }

    fn get<'r>(&self, record: &'r csv::StringRecord, column: &str) -> Option<&'r str> {
        let position = *self.index.get(column)?;
        record
            .get(position)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

fn parse_row(
    manifest: &Path,
    base: &Path,
    line: u64,
    columns: &Columns,
    record: &csv::StringRecord,
) -> PlannedCall {
    let origin = format!("{}:{line}", manifest.display());
    let mut problems = Vec::new();
    if record.len() != columns.index.len() {
        problems.push(format!(
            "{} fields, but the header has {} columns",
            record.len(),
            columns.index.len()
        ));
    }

    let audio = columns.get(record, "audio").map(|a| base.join(a));
    match &audio {
        None => problems.push("no `audio` path".into()),
        Some(path) => match fs::metadata(path) {
            Err(error) => problems.push(format!(
                "{} (paths in a manifest are relative to the manifest's folder, {})",
                missing_file_message(path, &error),
                if base.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    base
                }
                .display()
            )),
            Ok(meta) if meta.is_dir() => problems.push(format!(
                "audio {} is a folder, not a recording",
                path.display()
            )),
            Ok(_) => {}
        },
    }

    let call_id = columns
        .get(record, "call_id")
        .map(str::to_string)
        .or_else(|| audio.as_deref().and_then(file_stem));
    match &call_id {
        Some(id) => {
            if let Err(problem) = validate_call_id(id) {
                problems.push(problem);
            }
        }
        None => problems.push("no `call_id` and no audio file name to take it from".into()),
    }

    let direction = columns
        .get(record, "direction")
        .map(str::to_ascii_lowercase);
    if let Some(value) = &direction {
        if !DIRECTIONS.contains(&value.as_str()) {
            problems.push(format!(
                "direction `{value}` is not one of {}",
                DIRECTIONS.join(", ")
            ));
        }
    }
    let started_at = columns.get(record, "started_at").map(str::to_string);
    if let Some(value) = &started_at {
        if !is_rfc3339(value) {
            problems.push(format!(
                "started_at `{value}` is not an RFC 3339 time such as 2026-11-20T09:30:00+08:00"
            ));
        }
    }
    let agent_channel = match columns
        .get(record, "agent_channel")
        .map(str::parse::<AgentChannel>)
    {
        None => None,
        Some(Ok(channel)) => Some(channel),
        Some(Err(problem)) => {
            problems.push(problem);
            None
        }
    };

    match (problems.is_empty(), call_id, audio) {
        (true, Some(call_id), Some(audio)) => Ok(CallInput {
            call_id,
            audio,
            metadata: CallMetadata {
                agent_id: columns.get(record, "agent_id").map(str::to_string),
                customer_id: columns.get(record, "customer_id").map(str::to_string),
                started_at,
                direction,
            },
            agent_channel,
            origin,
        }),
        (_, call_id, audio) => Err(RejectedInput {
            origin,
            call_id,
            audio,
            message: problems.join("; "),
        }),
    }
}

/// A recording named directly or found in a folder: call id = file stem.
fn recording_input(path: &Path) -> PlannedCall {
    let origin = path.display().to_string();
    let call_id = file_stem(path);
    match call_id.as_deref().map(validate_call_id) {
        Some(Ok(())) => Ok(CallInput {
            call_id: call_id.unwrap_or_default(),
            audio: path.to_path_buf(),
            metadata: CallMetadata::default(),
            agent_channel: None,
            origin,
        }),
        Some(Err(problem)) => Err(RejectedInput {
            message: format!("{problem} (the call id comes from the file name; rename the file or use a manifest)"),
            origin,
            call_id,
            audio: Some(path.to_path_buf()),
        }),
        None => Err(RejectedInput {
            message: "the file name has no stem to use as call id; rename the file or use a manifest".into(),
            origin,
            call_id: None,
            audio: Some(path.to_path_buf()),
        }),
    }
}

/// The 1-based line a record starts on. The csv reader's own line count
/// (and byte offset) points where the previous record ended, before the line
/// breaks, blank lines and comment lines it skipped; step over those.
fn line_of(bytes: &[u8], position: &csv::Position) -> u64 {
    let mut at = (position.byte() as usize).min(bytes.len());
    loop {
        match bytes.get(at) {
            Some(b'\r' | b'\n') => at += 1,
            Some(b'#') if at == 0 || bytes[at - 1] == b'\n' => {
                at += bytes[at..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .unwrap_or(bytes.len() - at);
            }
            _ => break,
        }
    }
    1 + bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64
}

use crate::walk::has_extension;

fn file_stem(path: &Path) -> Option<String> {
    path.file_stem()
        .and_then(|s| s.to_str())
        .map(str::to_string)
}

fn missing_file_message(path: &Path, error: &std::io::Error) -> String {
    if error.kind() == std::io::ErrorKind::NotFound {
        format!("audio file {} does not exist", path.display())
    } else {
        format!("audio file {} cannot be read: {error}", path.display())
    }
}

/// The line of a quote that opens a quoted field and is never closed, read
/// the way the csv reader reads (a quote opens a field only at its start,
/// `""` inside one is a quote, `#` at the start of a record is a comment).
fn unclosed_quote_line(bytes: &[u8]) -> Option<u64> {
    #[derive(Clone, Copy)]
    enum State {
        RecordStart,
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
        Comment,
    }
    use State::*;
    let (mut state, mut line, mut opened) = (RecordStart, 1u64, 0u64);
    for &b in bytes {
        state = match (state, b) {
            (RecordStart, b'#') => Comment,
            (Comment, b'\n') => RecordStart,
            (Comment, _) => Comment,
            (RecordStart | FieldStart, b'"') => {
                opened = line;
                Quoted
            }
            (Quoted, b'"') => QuoteInQuoted,
            (Quoted, _) => Quoted,
            (QuoteInQuoted, b'"') => Quoted,
            (_, b'\n' | b'\r') => RecordStart,
            (_, b',') => FieldStart,
            (_, _) => Unquoted,
        };
        if b == b'\n' {
            line += 1;
        }
    }
    matches!(state, Quoted).then_some(opened)
}

fn csv_problem(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Utf8 { err, .. } => {
            format!("not UTF-8 text ({err}); save the manifest as UTF-8")
        }
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times() {
        assert!(is_rfc3339("2026-11-20T09:30:00+08:00"));
        assert!(is_rfc3339("2026-11-20T01:30:00.125Z"));
        assert!(is_rfc3339("2026-11-20 09:30:00-05:30"));
        assert!(!is_rfc3339("2026-11-20"));
        assert!(!is_rfc3339("2026-13-20T09:30:00Z"));
        assert!(!is_rfc3339("2026-11-20T09:30:00"));
        assert!(!is_rfc3339("2026-11-20T09:30:00+0800"));
        assert!(!is_rfc3339("2026-11-20T09:30:00.Z"));
        assert!(!is_rfc3339("昨天下午"));
    }

    #[test]
    fn record_lines_count_blank_comment_and_quoted_lines() {
        let text =
            "audio,call_id\r\n# note\r\na.wav,1\r\n\r\n\"b\nc.wav\",2\nd.wav,3\n\n\n# x\ne.wav,4";
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .comment(Some(b'#'))
            .from_reader(text.as_bytes());
        let lines: Vec<u64> = reader
            .records()
            .map(|r| line_of(text.as_bytes(), r.unwrap().position().unwrap()))
            .collect();
        assert_eq!(lines, [1, 3, 5, 7, 11]);
    }

    #[test]
    fn unclosed_quotes_are_found_where_they_open() {
        assert_eq!(
            unclosed_quote_line(b"audio,call_id\n\"a.wav,1\nb.wav,2\n"),
            Some(2)
        );
        assert_eq!(unclosed_quote_line(b"audio\n\"a \"\"b\"\" c.wav\"\n"), None);
        assert_eq!(unclosed_quote_line(b"audio\n# don't \"\na.wav\n"), None);
        assert_eq!(unclosed_quote_line(b"audio\na\"b.wav\n"), None);
        assert_eq!(unclosed_quote_line(b"audio\n\"x\"y\"\n"), None);
        assert_eq!(
            unclosed_quote_line(b"audio\r\n\r\n\"a.wav\r\nb.wav"),
            Some(3)
        );
    }

    #[test]
    fn agent_channel_values() {
        assert_eq!("LEFT".parse::<AgentChannel>(), Ok(AgentChannel::Left));
        assert_eq!(" 1 ".parse::<AgentChannel>(), Ok(AgentChannel::Right));
        assert!("middle"
            .parse::<AgentChannel>()
            .unwrap_err()
            .contains("left, right, 0, 1"));
    }

    #[test]
    fn call_ids_must_be_file_names() {
        assert!(validate_call_id("20261120-0001").is_ok());
        assert!(validate_call_id("通话-1").is_ok());
        assert!(validate_call_id("../x").is_err());
        assert!(validate_call_id("a/b").is_err());
        assert!(validate_call_id("").is_err());
        assert!(validate_call_id(" x").is_err());
    }
}
