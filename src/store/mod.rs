//! The run database: one SQLite file (by default `DIR/callqa.sqlite`) that
//! makes runs cheap to repeat and safe to kill, and from which supervisors'
//! reports are built. This module is the only code that touches it:
//!
//! - [`migrations`]: the schema (every table and what it holds) and its
//!   numbered, append-only migrations;
//! - [`write`]: everything `run` and `rescore` record (audio hashes,
//!   transcripts, runs, each finished call with its scorecard in one
//!   transaction, the run plan);
//! - [`read`]: the cache lookups of a run, the run plan `rescore` replays,
//!   and [`load`], the [`Dataset`] of one or more run folders for reports;
//! - [`keys`]: what identifies a transcript, a scorecard and a folder.
//!
//! The database runs in WAL mode with `synchronous=FULL` (a commit survives
//! power loss as well as `kill -9`), foreign keys enforced, a 30 s busy
//! timeout so two processes can share it, and one connection behind a mutex
//! shared by the workers: statements are short next to decoding and
//! transcription.

pub mod keys;
pub mod migrations;
pub mod read;
pub mod write;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

pub use keys::{
    asr_key, folder_key, rubric_key, sha256_file, sha256_lines, stat_fingerprint, ResultKey,
    TranscriptKey, THIS_FOLDER_KEY,
};
pub use migrations::{migrate, Migration, MIGRATIONS, SCHEMA_VERSION};
pub use read::{
    load, CachedTranscript, Dataset, ItemInfo, RecordedRun, RubricChoice, RubricVersion, SourceRun,
    StoreError, StoredCall, StoredResult,
};
pub use write::CallRecord;

/// File name of the run database inside the output folder.
pub const DB_FILE_NAME: &str = "callqa.sqlite";

/// A database problem, naming the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{}: cannot open the run database: {source}; check the folder is writable, \
             or delete the file to start afresh (recordings will be transcribed again)", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{}: cannot create the folder for the run database: {source}", path.display())]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: the run database has schema version {found}, newer than the {supported} this \
             callqa knows; use a newer callqa, or another database file", path.display())]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("{}: run database error while {action}: {source}", path.display())]
    Sql {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{}: cannot read the recording to hash it: {source}", path.display())]
    Audio {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The run database: one connection, migrated to [`SCHEMA_VERSION`].
pub struct RunDb {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl RunDb {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<RunDb, DbError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(|source| DbError::Folder {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let open_error = |source| DbError::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_error)?;
        conn.busy_timeout(Duration::from_secs(30))
            .map_err(open_error)?;
        // WAL is what lets readers and the writer overlap; on a file system
        // without shared memory SQLite keeps its journal mode, which is still correct.
        let _mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))
            .map_err(open_error)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_error)?;
        // A finished call names its run and its scorecard; SQLite checks
        // that they exist only when asked, per connection.
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_error)?;
        migrate(&mut conn, path, SCHEMA_VERSION)?;
        Ok(RunDb {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The highest migration applied.
    pub fn schema_version(&self) -> Result<u32, DbError> {
        migrations::current_version(&self.lock(), &self.path)
    }

    /// `(version, description)` of every applied migration, oldest first.
    pub fn applied_migrations(&self) -> Result<Vec<(u32, String)>, DbError> {
        let conn = self.lock();
        let mut statement = conn
            .prepare("SELECT version, description FROM schema_version ORDER BY version")
            .map_err(|e| self.sql("listing migrations", e))?;
        let rows = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.sql("listing migrations", e))?;
        Ok(rows)
    }

    /// SQLite's own checks: `PRAGMA integrity_check` and
    /// `foreign_key_check`. Returns the problems found (none: empty).
    pub fn check_integrity(&self) -> Result<Vec<String>, DbError> {
        let conn = self.lock();
        let action = "checking the database's integrity";
        let mut problems: Vec<String> = conn
            .prepare("PRAGMA integrity_check")
            .and_then(|mut s| {
                s.query_map([], |row| row.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.sql(action, e))?
            .into_iter()
            .filter(|line| line != "ok")
            .collect();
        let dangling = conn
            .prepare("PRAGMA foreign_key_check")
            .and_then(|mut s| {
                s.query_map([], |row| {
                    Ok(format!(
                        "{} row {} refers to a missing {} row",
                        row.get::<_, String>(0)?,
                        row.get::<_, Option<i64>>(1)?
                            .map_or_else(|| "?".to_string(), |id| id.to_string()),
                        row.get::<_, String>(2)?
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.sql(action, e))?;
        problems.extend(dangling);
        Ok(problems)
    }

    /// Number of stored scorecards (all runs, all rubrics).
    pub fn result_count(&self) -> Result<u64, DbError> {
        self.count("scorecards")
    }

    /// Number of stored transcripts.
    pub fn transcript_count(&self) -> Result<u64, DbError> {
        self.count("transcripts")
    }

    fn count(&self, table: &'static str) -> Result<u64, DbError> {
        self.lock()
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |row| {
                row.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(|e| self.sql("counting rows", e))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        // A worker that panicked while holding the lock left no statement
        // half-done (each is atomic in SQLite), so the connection is usable.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn sql(&self, action: &'static str, source: rusqlite::Error) -> DbError {
        DbError::Sql {
            path: self.path.clone(),
            action,
            source,
        }
    }
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
