//! What identifies things in the run database: a transcript (audio bytes ×
//! ASR key), a scorecard (call × transcript × rubric key × call metadata), a
//! run folder ([`folder_key`]), and the hashes they are made of.

use std::fs;
use std::path::Path;
use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};

pub use crate::hash::{hex, sha256_file, sha256_hex};

use crate::asr::AsrInfo;
use crate::rubric::CompiledRubric;

/// The key of the output folder that holds the database itself: runs are
/// recorded relative to the database, so a folder with its database inside
/// can be moved, copied or archived and still be found ([`folder_key`]).
pub const THIS_FOLDER_KEY: &str = ".";

/// Where a transcript lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TranscriptKey {
    pub audio_sha256: String,
    pub asr_key: String,
}

/// What made a scorecard: the key under which it is stored once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResultKey {
    pub call_id: String,
    pub transcript: TranscriptKey,
    pub rubric_key: String,
    pub metadata_sha256: String,
}

/// The key under which the runs of `out_dir` are recorded in the database
/// at `db_path` (both must exist): [`THIS_FOLDER_KEY`] when the database
/// lies in the folder (the default), so the pair travels together;
/// otherwise the folder's canonical path, since a folder whose database
/// lives elsewhere is only found again where it was.
pub fn folder_key(out_dir: &Path, db_path: &Path) -> std::io::Result<String> {
    let folder = fs::canonicalize(out_dir)?;
    let db_folder = match db_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => fs::canonicalize(parent)?,
        None => fs::canonicalize(".")?,
    };
    Ok(if folder == db_folder {
        THIS_FOLDER_KEY.to_string()
    } else {
        folder.to_string_lossy().into_owned()
    })
}

/// Identifies everything about ASR that changes a transcript: engine, model
/// bytes, settings, and which channel is the agent (`channel_layout`).
pub fn asr_key(info: &AsrInfo, channel_layout: &str) -> String {
    sha256_lines(&[
        "asr-key v1",
        &info.engine,
        &info.model_sha256,
        &info.settings,
        channel_layout,
    ])
}

/// Identifies everything that changes a scorecard given a transcript: the
/// rubric file's bytes, its dictionaries' bytes, and the scoring code (crate
/// version). Paths are left out: scorecards name the rubric by its id.
pub fn rubric_key(rubric: &CompiledRubric) -> String {
    let mut lines = vec![
        "rubric-key v1".to_string(),
        env!("CARGO_PKG_VERSION").to_string(),
        rubric.source.sha256.clone(),
    ];
    // Contents only: the same rubric at another path scores the same.
    for (_origin, text) in &rubric.source.dictionaries {
        lines.push(sha256_hex(text.as_bytes()));
    }
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    sha256_lines(&refs)
}

/// sha256 (hex) of the parts joined by newlines, each length-prefixed so
/// that no two different lists collide.
pub fn sha256_lines(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.len().to_string().as_bytes());
        hasher.update(b":");
        hasher.update(part.as_bytes());
        hasher.update(b"\n");
    }
    hex(&hasher.finalize())
}

/// What must be unchanged for a memorised audio hash to hold: size and
/// modification time, and on Unix the change time, inode and device, which
/// no user can set back (`cp -p` or `touch -r` keep the mtime, not those).
pub fn stat_fingerprint(meta: &fs::Metadata) -> String {
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        format!(
            "size={} mtime_ns={mtime_ns} ctime={}.{:09} ino={} dev={}",
            meta.len(),
            meta.ctime(),
            meta.ctime_nsec(),
            meta.ino(),
            meta.dev()
        )
    }
    #[cfg(not(unix))]
    {
        format!("size={} mtime_ns={mtime_ns}", meta.len())
    }
}
