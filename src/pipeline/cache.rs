//! The run database: one SQLite file (by default `DIR/callqa.sqlite`) that
//! makes runs cheap to repeat and safe to kill.
//!
//! It owns these tables, created and upgraded by versioned migrations
//! ([`MIGRATIONS`], recorded in `schema_version`):
//!
//! * `transcripts`: ASR output keyed by the audio's sha256 and the
//!   [`asr_key`] (engine, model sha256, settings, channel layout). A
//!   recording is transcribed once per model and settings, whatever its call
//!   id or path.
//! * `results`: one scorecard per call, keyed by call id, audio sha256, ASR
//!   key, [`rubric_key`] and the call metadata's sha256. A call is finished
//!   once its row is committed; a run killed at any moment loses nothing
//!   committed, and the next run skips it.
//! * `audio_hashes`: sha256 of each recording by path and file status
//!   ([`stat_fingerprint`]), so a re-run does not read every recording again.
//! * `runs` / `run_calls`: what the last run of each output folder covered,
//!   in order, so [`rescore`](super::rescore) can re-score without the audio.
//!   Folders are keyed by [`folder_key`]: `.` for the folder holding the
//!   database, so moving or copying the folder keeps its runs.
//! * the results store read by reports (`run_log`, `rubric_versions`,
//!   `calls`, `scorecards`, `item_results`), written and read by
//!   [`crate::store`].
//!
//! The database runs in WAL mode with `synchronous=FULL` (a commit survives
//! power loss as well as `kill -9`), a 30 s busy timeout so two processes
//! can share it, and one connection behind a mutex shared by the workers:
//! statements are short next to decoding and transcription.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use sha2::{Digest, Sha256};

use crate::asr::AsrInfo;
use crate::rubric::CompiledRubric;
use crate::transcript::Transcript;

/// File name of the run database inside the output folder.
pub const DB_FILE_NAME: &str = "callqa.sqlite";

/// The schema version this code writes (the highest in [`MIGRATIONS`]).
pub const SCHEMA_VERSION: u32 = 4;

/// The key of the output folder that holds the database itself: runs are
/// recorded relative to the database, so a folder with its database inside
/// can be moved, copied or archived and still be found ([`folder_key`]).
pub const THIS_FOLDER_KEY: &str = ".";

/// One schema change. Applied in order, each once, in a transaction with
/// its `schema_version` row; the SQL is written to be harmless if repeated.
pub struct Migration {
    pub version: u32,
    pub description: &'static str,
    pub sql: &'static str,
}

/// Every schema change, oldest first. Append; never edit a released one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "transcript cache and finished results",
        sql: "
            CREATE TABLE IF NOT EXISTS transcripts (
                audio_sha256    TEXT    NOT NULL,
                asr_key         TEXT    NOT NULL,
                asr_engine      TEXT    NOT NULL,
                asr_model       TEXT    NOT NULL,
                model_sha256    TEXT    NOT NULL,
                asr_settings    TEXT    NOT NULL,
                channel_layout  TEXT    NOT NULL,
                audio_ms        INTEGER NOT NULL,
                transcript_json TEXT    NOT NULL,
                created_unix    INTEGER NOT NULL,
                PRIMARY KEY (audio_sha256, asr_key)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS results (
                call_id         TEXT    NOT NULL,
                audio_sha256    TEXT    NOT NULL,
                asr_key         TEXT    NOT NULL,
                rubric_key      TEXT    NOT NULL,
                metadata_sha256 TEXT    NOT NULL,
                rubric_sha256   TEXT    NOT NULL,
                score           REAL    NOT NULL,
                passed          INTEGER NOT NULL,
                scorecard_json  TEXT    NOT NULL,
                created_unix    INTEGER NOT NULL,
                PRIMARY KEY (call_id, audio_sha256, asr_key, rubric_key, metadata_sha256)
            ) WITHOUT ROWID;
        ",
    },
    Migration {
        version: 2,
        description: "audio hash memo and per-folder run plans",
        sql: "
            CREATE TABLE IF NOT EXISTS audio_hashes (
                path   TEXT NOT NULL PRIMARY KEY,
                stat   TEXT NOT NULL,
                sha256 TEXT NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS runs (
                out_dir       TEXT    NOT NULL PRIMARY KEY,
                asr_json      TEXT,
                finished_unix INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS run_calls (
                out_dir       TEXT    NOT NULL,
                position      INTEGER NOT NULL,
                recorded_json TEXT    NOT NULL,
                PRIMARY KEY (out_dir, position)
            ) WITHOUT ROWID;
        ",
    },
    Migration {
        version: 3,
        description: "results store: run log, rubric versions, calls, scorecards, item results",
        sql: "
            CREATE TABLE IF NOT EXISTS rubric_versions (
                rubric_sha256   TEXT    NOT NULL PRIMARY KEY,
                rubric_id       TEXT    NOT NULL,
                title           TEXT    NOT NULL,
                version         TEXT    NOT NULL,
                pass_score      REAL    NOT NULL,
                items_json      TEXT    NOT NULL,
                source_text     TEXT    NOT NULL,
                first_seen_unix INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS run_log (
                run_id          INTEGER PRIMARY KEY AUTOINCREMENT,
                out_dir         TEXT    NOT NULL,
                command         TEXT    NOT NULL,
                rubric_sha256   TEXT    NOT NULL,
                asr_json        TEXT,
                callqa_version  TEXT    NOT NULL,
                started_unix    INTEGER NOT NULL,
                finished_unix   INTEGER,
                summary_json    TEXT
            );
            CREATE INDEX IF NOT EXISTS run_log_by_folder ON run_log (out_dir, run_id);
            CREATE TABLE IF NOT EXISTS calls (
                out_dir         TEXT    NOT NULL,
                call_id         TEXT    NOT NULL,
                agent_id        TEXT,
                customer_id     TEXT,
                started_at      TEXT,
                direction       TEXT,
                audio_path      TEXT    NOT NULL,
                audio_sha256    TEXT    NOT NULL,
                asr_key         TEXT    NOT NULL,
                audio_ms        INTEGER NOT NULL,
                transcript_json TEXT    NOT NULL,
                run_id          INTEGER NOT NULL,
                PRIMARY KEY (out_dir, call_id)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS scorecards (
                out_dir         TEXT    NOT NULL,
                call_id         TEXT    NOT NULL,
                rubric_sha256   TEXT    NOT NULL,
                score           REAL    NOT NULL,
                passed          INTEGER NOT NULL,
                critical_failed INTEGER NOT NULL,
                scorecard_json  TEXT    NOT NULL,
                run_id          INTEGER NOT NULL,
                PRIMARY KEY (out_dir, call_id, rubric_sha256)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS item_results (
                out_dir         TEXT    NOT NULL,
                call_id         TEXT    NOT NULL,
                rubric_sha256   TEXT    NOT NULL,
                item_id         TEXT    NOT NULL,
                verdict         TEXT    NOT NULL,
                points          REAL    NOT NULL,
                max_points      REAL    NOT NULL,
                reason          TEXT    NOT NULL,
                PRIMARY KEY (out_dir, call_id, rubric_sha256, item_id)
            ) WITHOUT ROWID;
        ",
    },
    Migration {
        version: 4,
        description: "run folders keyed relative to the database ('.' for its own folder)",
        // Versions 2–3 keyed a folder by its absolute path, so a moved folder
        // lost its runs. The folder holding the database becomes '.': the
        // one whose path is the database's folder now, or, when the database
        // has the default name and records a single folder, that folder
        // (the usual layout, recognised even after the folder was moved). A
        // database elsewhere (`--db`) keeps absolute keys. Repeating it finds
        // nothing left to change.
        sql: "
            CREATE TEMP TABLE IF NOT EXISTS migration_4_home (out_dir TEXT NOT NULL PRIMARY KEY);
            DELETE FROM migration_4_home;
            INSERT OR IGNORE INTO migration_4_home
                SELECT out_dir FROM (SELECT out_dir FROM runs UNION SELECT out_dir FROM run_log)
                WHERE out_dir <> '.' AND (
                    out_dir = (SELECT rtrim(rtrim(file, replace(replace(file, '/', ''), '\\', '')), '/\\')
                               FROM pragma_database_list WHERE name = 'main')
                    OR ((SELECT COUNT(*) FROM (SELECT out_dir FROM runs UNION SELECT out_dir FROM run_log)) = 1
                        AND (SELECT file FROM pragma_database_list WHERE name = 'main') LIKE '%callqa.sqlite'));
            UPDATE runs         SET out_dir = '.' WHERE out_dir IN (SELECT out_dir FROM migration_4_home);
            UPDATE run_calls    SET out_dir = '.' WHERE out_dir IN (SELECT out_dir FROM migration_4_home);
            UPDATE run_log      SET out_dir = '.' WHERE out_dir IN (SELECT out_dir FROM migration_4_home);
            UPDATE calls        SET out_dir = '.' WHERE out_dir IN (SELECT out_dir FROM migration_4_home);
            UPDATE scorecards   SET out_dir = '.' WHERE out_dir IN (SELECT out_dir FROM migration_4_home);
            UPDATE item_results SET out_dir = '.' WHERE out_dir IN (SELECT out_dir FROM migration_4_home);
            DROP TABLE migration_4_home;
        ",
    },
];

/// A database problem, naming the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
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

/// Where a transcript lives in the cache.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TranscriptKey {
    pub audio_sha256: String,
    pub asr_key: String,
}

/// Where a finished call's scorecard lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResultKey {
    pub call_id: String,
    pub transcript: TranscriptKey,
    pub rubric_key: String,
    pub metadata_sha256: String,
}

/// A transcript from the cache.
#[derive(Debug, Clone)]
pub struct CachedTranscript {
    pub transcript: Transcript,
    pub audio_ms: u64,
}

/// What [`CacheDb::load_run`] returns: the plan of a finished run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRun {
    /// The ASR stamp ([`AsrInfo`] as JSON), if the run had one.
    pub asr_json: Option<String>,
    /// One JSON document per call, in input order.
    pub calls: Vec<String>,
}

/// The run database.
pub struct CacheDb {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl CacheDb {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<CacheDb, CacheError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(|source| CacheError::Folder {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let open_error = |source| CacheError::Open {
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
        migrate(&mut conn, path, SCHEMA_VERSION)?;
        Ok(CacheDb {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The highest migration applied.
    pub fn schema_version(&self) -> Result<u32, CacheError> {
        current_version(&self.lock(), &self.path)
    }

    /// `(version, description)` of every applied migration, oldest first.
    pub fn applied_migrations(&self) -> Result<Vec<(u32, String)>, CacheError> {
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

    /// sha256 of a recording's bytes, read again only when the file's
    /// status ([`stat_fingerprint`]) changed since it was last hashed.
    pub fn audio_sha256(&self, audio: &Path) -> Result<String, CacheError> {
        let audio_error = |source| CacheError::Audio {
            path: audio.to_path_buf(),
            source,
        };
        let meta = fs::metadata(audio).map_err(audio_error)?;
        let absolute = fs::canonicalize(audio).map_err(audio_error)?;
        let key = absolute.to_string_lossy().into_owned();
        let stat = stat_fingerprint(&meta);
        let known: Option<String> = self
            .lock()
            .query_row(
                "SELECT sha256 FROM audio_hashes WHERE path = ?1 AND stat = ?2",
                params![key, stat],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.sql("looking up an audio hash", e))?;
        if let Some(sha256) = known {
            return Ok(sha256);
        }
        let sha256 = sha256_file(audio).map_err(audio_error)?;
        self.lock()
            .execute(
                "INSERT OR REPLACE INTO audio_hashes (path, stat, sha256) VALUES (?1, ?2, ?3)",
                params![key, stat, sha256],
            )
            .map_err(|e| self.sql("recording an audio hash", e))?;
        Ok(sha256)
    }

    /// The cached transcript for this audio and ASR key, if any.
    pub fn transcript(&self, key: &TranscriptKey) -> Result<Option<CachedTranscript>, CacheError> {
        let row: Option<(String, i64)> = self
            .lock()
            .query_row(
                "SELECT transcript_json, audio_ms FROM transcripts WHERE audio_sha256 = ?1 AND asr_key = ?2",
                params![key.audio_sha256, key.asr_key],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(|e| self.sql("reading a cached transcript", e))?;
        let Some((json, audio_ms)) = row else {
            return Ok(None);
        };
        // A row this code cannot read (written by a different version) is a
        // cache miss: the call is transcribed again and the row replaced.
        Ok(serde_json::from_str(&json)
            .ok()
            .map(|transcript| CachedTranscript {
                transcript,
                audio_ms: audio_ms.max(0) as u64,
            }))
    }

    /// Stores a transcript (replacing any with the same key); committed on return.
    pub fn put_transcript(
        &self,
        key: &TranscriptKey,
        info: &AsrInfo,
        channel_layout: &str,
        transcript: &Transcript,
        audio_ms: u64,
    ) -> Result<(), CacheError> {
        let json = serde_json::to_string(transcript).expect("transcripts serialise");
        self.lock()
            .execute(
                "INSERT OR REPLACE INTO transcripts (audio_sha256, asr_key, asr_engine, asr_model, model_sha256, \
                 asr_settings, channel_layout, audio_ms, transcript_json, created_unix) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    key.audio_sha256,
                    key.asr_key,
                    info.engine,
                    info.model,
                    info.model_sha256,
                    info.settings,
                    channel_layout,
                    audio_ms as i64,
                    json,
                    unix_now()
                ],
            )
            .map_err(|e| self.sql("storing a transcript", e))?;
        Ok(())
    }

    /// The finished scorecard (as stored JSON) for this key, if any.
    pub fn result(&self, key: &ResultKey) -> Result<Option<String>, CacheError> {
        self.lock()
            .query_row(
                "SELECT scorecard_json FROM results WHERE call_id = ?1 AND audio_sha256 = ?2 AND asr_key = ?3 \
                 AND rubric_key = ?4 AND metadata_sha256 = ?5",
                params![
                    key.call_id,
                    key.transcript.audio_sha256,
                    key.transcript.asr_key,
                    key.rubric_key,
                    key.metadata_sha256
                ],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.sql("reading a finished result", e))
    }

    /// Records a finished call; committed (durable) on return.
    pub fn put_result(
        &self,
        key: &ResultKey,
        rubric_sha256: &str,
        score: f64,
        passed: bool,
        scorecard_json: &str,
    ) -> Result<(), CacheError> {
        self.lock()
            .execute(
                "INSERT OR REPLACE INTO results (call_id, audio_sha256, asr_key, rubric_key, metadata_sha256, \
                 rubric_sha256, score, passed, scorecard_json, created_unix) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    key.call_id,
                    key.transcript.audio_sha256,
                    key.transcript.asr_key,
                    key.rubric_key,
                    key.metadata_sha256,
                    rubric_sha256,
                    score,
                    passed,
                    scorecard_json,
                    unix_now()
                ],
            )
            .map_err(|e| self.sql("recording a finished result", e))?;
        Ok(())
    }

    /// Number of finished results stored (all runs, all rubrics).
    pub fn result_count(&self) -> Result<u64, CacheError> {
        self.count("results")
    }

    /// Number of cached transcripts.
    pub fn transcript_count(&self) -> Result<u64, CacheError> {
        self.count("transcripts")
    }

    /// Replaces the recorded plan of `out_dir`'s last run, in one transaction.
    pub fn save_run(
        &self,
        out_dir: &str,
        asr_json: Option<&str>,
        calls: &[String],
    ) -> Result<(), CacheError> {
        let mut conn = self.lock();
        let action = "recording the run plan";
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.sql(action, e))?;
        tx.execute("DELETE FROM run_calls WHERE out_dir = ?1", [out_dir])
            .map_err(|e| self.sql(action, e))?;
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO run_calls (out_dir, position, recorded_json) VALUES (?1, ?2, ?3)",
                )
                .map_err(|e| self.sql(action, e))?;
            for (position, json) in calls.iter().enumerate() {
                insert
                    .execute(params![out_dir, position as i64, json])
                    .map_err(|e| self.sql(action, e))?;
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO runs (out_dir, asr_json, finished_unix) VALUES (?1, ?2, ?3)",
            params![out_dir, asr_json, unix_now()],
        )
        .map_err(|e| self.sql(action, e))?;
        tx.commit().map_err(|e| self.sql(action, e))
    }

    /// The recorded plan of `out_dir`'s last finished run; `None` when no
    /// run of that folder finished.
    pub fn load_run(&self, out_dir: &str) -> Result<Option<RecordedRun>, CacheError> {
        let conn = self.lock();
        let action = "reading the run plan";
        let asr_json: Option<Option<String>> = conn
            .query_row(
                "SELECT asr_json FROM runs WHERE out_dir = ?1",
                [out_dir],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.sql(action, e))?;
        let Some(asr_json) = asr_json else {
            return Ok(None);
        };
        let mut statement = conn
            .prepare("SELECT recorded_json FROM run_calls WHERE out_dir = ?1 ORDER BY position")
            .map_err(|e| self.sql(action, e))?;
        let calls = statement
            .query_map([out_dir], |row| row.get(0))
            .and_then(|rows| rows.collect::<Result<Vec<String>, _>>())
            .map_err(|e| self.sql(action, e))?;
        Ok(Some(RecordedRun { asr_json, calls }))
    }

    fn count(&self, table: &'static str) -> Result<u64, CacheError> {
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

    pub(crate) fn sql(&self, action: &'static str, source: rusqlite::Error) -> CacheError {
        CacheError::Sql {
            path: self.path.clone(),
            action,
            source,
        }
    }
}

/// Applies the migrations above the database's version, up to `target`, in
/// one immediate transaction (so two processes opening a new database do not
/// both migrate). Returns the version reached. Running it again is a no-op.
pub fn migrate(conn: &mut Connection, path: &Path, target: u32) -> Result<u32, CacheError> {
    let sql_error = |action, source| CacheError::Sql {
        path: path.to_path_buf(),
        action,
        source,
    };
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| sql_error("starting the schema migration", e))?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version      INTEGER NOT NULL PRIMARY KEY,
             description  TEXT    NOT NULL,
             applied_unix INTEGER NOT NULL
         );",
    )
    .map_err(|e| sql_error("creating the schema_version table", e))?;
    let current = current_version(&tx, path)?;
    if current > SCHEMA_VERSION {
        return Err(CacheError::TooNew {
            path: path.to_path_buf(),
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    for migration in MIGRATIONS
        .iter()
        .filter(|m| m.version > current && m.version <= target)
    {
        tx.execute_batch(migration.sql)
            .map_err(|e| sql_error("applying a schema migration", e))?;
        tx.execute(
            "INSERT INTO schema_version (version, description, applied_unix) VALUES (?1, ?2, ?3)",
            params![migration.version, migration.description, unix_now()],
        )
        .map_err(|e| sql_error("recording a schema migration", e))?;
    }
    let reached = current_version(&tx, path)?;
    tx.commit()
        .map_err(|e| sql_error("committing the schema migration", e))?;
    Ok(reached)
}

fn current_version(conn: &Connection, path: &Path) -> Result<u32, CacheError> {
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |row| row.get::<_, u32>(0),
    )
    .map_err(|source| CacheError::Sql {
        path: path.to_path_buf(),
        action: "reading the schema version",
        source,
    })
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
        lines.push(crate::rubric::sha256_hex(text.as_bytes()));
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

/// sha256 (hex) of a file's bytes, read in 1 MiB pieces.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
