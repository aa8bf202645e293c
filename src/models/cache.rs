//! The model cache directory: where it is, the manifest of recorded sha256 sums, hashing, and
//! atomic installation (temp file in the same directory, fsync, rename) so a crash or a
//! concurrent run never leaves a half-written model under a real name.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::{IoContext, ModelError, Result};

pub const MANIFEST_FILE: &str = "manifest.json";

/// `$CALLQA_MODEL_DIR`, else `$XDG_CACHE_HOME/callqa/models`, else `~/.cache/callqa/models`.
pub fn default_model_dir() -> Result<PathBuf> {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = non_empty("CALLQA_MODEL_DIR") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(cache) = non_empty("XDG_CACHE_HOME") {
        return Ok(PathBuf::from(cache).join("callqa").join("models"));
    }
    if let Some(home) = non_empty("HOME") {
        return Ok(PathBuf::from(home)
            .join(".cache")
            .join("callqa")
            .join("models"));
    }
    Err(ModelError::NoCacheDir)
}

/// One recorded model file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub sha256: String,
    pub size: u64,
    /// How the file was made ("converted from PyPI wheels …", "quantized from ggml-base.bin").
    pub source: String,
    /// sha256 of the file this one was computed from (quantized models), so a re-fetched base
    /// makes its old quantizations stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<String>,
}

/// `manifest.json`: file name -> what we know it must contain.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub models: BTreeMap<String, ManifestEntry>,
}

impl Manifest {
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(MANIFEST_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| ModelError::Manifest {
                path,
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(ModelError::Io { path, source }),
        }
    }

    /// Re-reads, updates one entry and writes atomically, so concurrent fetches of different
    /// variants lose nothing but a race on the very same entry.
    pub fn record(dir: &Path, file_name: &str, entry: ManifestEntry) -> Result<()> {
        let mut manifest = Self::load(dir)?;
        manifest.models.insert(file_name.to_owned(), entry);
        let mut json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
        json.push(b'\n');
        let mut pending = PendingFile::create(&dir.join(MANIFEST_FILE))?;
        pending.write_all(&json).at(dir.join(MANIFEST_FILE))?;
        pending.commit()?;
        Ok(())
    }
}

pub use crate::hash::{hex, sha256_hex};

pub fn sha256_file(path: &Path) -> Result<String> {
    crate::hash::sha256_file(path).at(path)
}

/// Temp files are created 0600; a model cache may be shared (`CALLQA_MODEL_DIR`), and the
/// files are public weights, so installed files get the usual 0644.
pub(crate) fn make_world_readable(file: &File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// A file being written next to its final name; hashed while written. Dropping it without
/// [`PendingFile::commit`] deletes it.
pub struct PendingFile {
    target: PathBuf,
    writer: BufWriter<tempfile::NamedTempFile>,
    hasher: Sha256,
    size: u64,
}

impl PendingFile {
    pub fn create(target: &Path) -> Result<Self> {
        let dir = target.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).at(dir)?;
        let temp = tempfile::Builder::new()
            .prefix(".partial-")
            .tempfile_in(dir)
            .at(dir)?;
        Ok(Self {
            target: target.to_path_buf(),
            writer: BufWriter::with_capacity(1 << 20, temp),
            hasher: Sha256::new(),
            size: 0,
        })
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The sha256 of everything written so far.
    pub fn sha256(&self) -> String {
        hex(&self.hasher.clone().finalize())
    }

    /// Flushes, syncs and renames over the target.
    pub fn commit(self) -> Result<()> {
        let target = self.target;
        let temp = self
            .writer
            .into_inner()
            .map_err(|e| e.into_error())
            .at(&target)?;
        temp.as_file().sync_all().at(&target)?;
        make_world_readable(temp.as_file()).at(&target)?;
        temp.persist(&target).map_err(|e| e.error).at(&target)?;
        Ok(())
    }
}

impl Write for PendingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.writer.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}
