//! The run database's schema: every change to it since the first release,
//! as numbered migrations ([`MIGRATIONS`], append-only, recorded in
//! `schema_version`), and [`migrate`], which brings any older database up to
//! date in one transaction.
//!
//! The tables of the current version (5) and what each holds, once:
//!
//! * `transcripts`: ASR output (or a vendor transcript) keyed by the audio's
//!   sha256 and the ASR key. The only copy of a transcript; a call's
//!   metadata (call id, agent, customer, start, direction) is applied to it
//!   when it is read.
//! * `scorecards`: every scorecard ever made, once, keyed by what made it
//!   (call id, transcript key, rubric key, call metadata's sha256); its JSON
//!   keeps reasons in both languages. A run finding its key here does not
//!   score again.
//! * `item_results`: per scorecard and item, the verdict and points, for SQL
//!   queries; derived from the scorecard's JSON in the transaction that
//!   writes the scorecard, and nothing else (the reasons and evidence stay
//!   in the JSON only).
//! * `run_log`: every `run` and `rescore` (folder, command, rubric, ASR
//!   stamp, callqa version, start, finish, summary).
//! * `finished_calls`: which calls each run finished, with which scorecard,
//!   the call's metadata as that run read it, and its recording. A report of
//!   a folder shows each call's latest scorecard of a rubric version over
//!   all of the folder's runs.
//! * `rubric_versions`: each rubric version's labels and text, by sha256.
//! * `audio_hashes`: the audio hash memo (path and file status → sha256).
//! * `runs` / `run_calls`: the plan of each folder's last finished run (its
//!   inputs in order, errors included), which `rescore` replays.

use std::path::Path;

use rusqlite::{params, Connection, TransactionBehavior};

use super::{unix_now, DbError};

/// The schema version this code writes (the highest in [`MIGRATIONS`]).
pub const SCHEMA_VERSION: u32 = 5;

/// One schema change. Applied in order, each once, in one transaction with
/// its `schema_version` row, so it is applied completely or not at all
/// (versions 1–4 are also harmless if repeated; 5 renames tables, which
/// that transaction makes safe).
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
    Migration {
        version: 5,
        description: "each scorecard and transcript stored once: scorecards keyed by what made them, \
                      finished_calls linking runs to them, item_results derived",
        // Up to version 4 a scorecard was stored twice (`results`, the cache,
        // and `scorecards`, the reports' copy, plus its reasons a third time
        // in `item_results`) and a transcript twice (`transcripts` and
        // `calls`), and `calls`/`scorecards` kept only the latest run of each
        // call. Nothing is dropped before it is copied:
        //
        // 1. every `results` row becomes a `scorecards` row (same key);
        // 2. every scorecard of the version-4 store becomes a `finished_calls`
        //    row of the run that wrote it, pointing at the `scorecards` row
        //    with the same key and JSON; one with no such row (written by a
        //    store that did not share the cache) is added with a key that no
        //    lookup ever makes (`rubric_key` 'v4-store …'), so it is shown in
        //    reports but never served as a cached result;
        // 3. a `calls` transcript whose cache row is missing is put into
        //    `transcripts` (ASR stamp unknown);
        // 4. `item_results` is rebuilt from the scorecards' JSON.
        //
        // Only then are the version-4 tables dropped. On a new database the
        // version-4 tables are empty and the same statements create the new
        // shape. JSON that does not parse is kept as it is (`json_valid`
        // guards every JSON function, which would otherwise stop the upgrade).
        sql: "
            ALTER TABLE results      RENAME TO v4_results;
            ALTER TABLE scorecards   RENAME TO v4_scorecards;
            ALTER TABLE item_results RENAME TO v4_item_results;
            ALTER TABLE calls        RENAME TO v4_calls;

            CREATE TABLE scorecards (
                scorecard_id    INTEGER PRIMARY KEY,
                call_id         TEXT    NOT NULL,
                audio_sha256    TEXT    NOT NULL,
                asr_key         TEXT    NOT NULL,
                rubric_key      TEXT    NOT NULL,
                metadata_sha256 TEXT    NOT NULL,
                rubric_sha256   TEXT    NOT NULL,
                score           REAL    NOT NULL,
                passed          INTEGER NOT NULL,
                critical_failed INTEGER NOT NULL,
                scorecard_json  TEXT    NOT NULL,
                created_unix    INTEGER NOT NULL,
                UNIQUE (call_id, audio_sha256, asr_key, rubric_key, metadata_sha256)
            );
            CREATE TABLE finished_calls (
                run_id       INTEGER NOT NULL REFERENCES run_log (run_id),
                call_id      TEXT    NOT NULL,
                scorecard_id INTEGER NOT NULL REFERENCES scorecards (scorecard_id),
                agent_id     TEXT,
                customer_id  TEXT,
                started_at   TEXT,
                direction    TEXT,
                audio        TEXT,
                audio_path   TEXT    NOT NULL,
                audio_ms     INTEGER NOT NULL,
                PRIMARY KEY (run_id, call_id)
            ) WITHOUT ROWID;
            CREATE INDEX finished_calls_by_scorecard ON finished_calls (scorecard_id);
            CREATE TABLE item_results (
                scorecard_id INTEGER NOT NULL REFERENCES scorecards (scorecard_id),
                item_id      TEXT    NOT NULL,
                verdict      TEXT    NOT NULL,
                points       REAL    NOT NULL,
                max_points   REAL    NOT NULL,
                PRIMARY KEY (scorecard_id, item_id)
            ) WITHOUT ROWID;

            INSERT INTO scorecards (call_id, audio_sha256, asr_key, rubric_key, metadata_sha256,
                                    rubric_sha256, score, passed, critical_failed, scorecard_json, created_unix)
                SELECT call_id, audio_sha256, asr_key, rubric_key, metadata_sha256, rubric_sha256, score, passed,
                       CASE WHEN json_valid(scorecard_json)
                            THEN COALESCE(json_extract(scorecard_json, '$.critical_failed'), 0) ELSE 0 END,
                       scorecard_json, created_unix
                FROM v4_results ORDER BY created_unix, call_id, audio_sha256, asr_key, rubric_key, metadata_sha256;

            INSERT INTO scorecards (call_id, audio_sha256, asr_key, rubric_key, metadata_sha256,
                                    rubric_sha256, score, passed, critical_failed, scorecard_json, created_unix)
                SELECT s.call_id, COALESCE(c.audio_sha256, ''), COALESCE(c.asr_key, ''),
                       'v4-store ' || s.out_dir || ' ' || s.rubric_sha256, 'v4-store',
                       s.rubric_sha256, s.score, s.passed, s.critical_failed, s.scorecard_json,
                       COALESCE((SELECT started_unix FROM run_log WHERE run_id = s.run_id), 0)
                FROM v4_scorecards s LEFT JOIN v4_calls c ON c.out_dir = s.out_dir AND c.call_id = s.call_id
                WHERE NOT EXISTS (SELECT 1 FROM scorecards n
                                  WHERE n.call_id = s.call_id AND n.audio_sha256 = COALESCE(c.audio_sha256, '')
                                    AND n.asr_key = COALESCE(c.asr_key, '')
                                    AND n.rubric_sha256 = s.rubric_sha256 AND n.scorecard_json = s.scorecard_json)
                ORDER BY s.run_id, s.out_dir, s.call_id, s.rubric_sha256;

            INSERT INTO finished_calls (run_id, call_id, scorecard_id, agent_id, customer_id, started_at,
                                        direction, audio, audio_path, audio_ms)
                SELECT s.run_id, s.call_id,
                       (SELECT MIN(n.scorecard_id) FROM scorecards n
                        WHERE n.call_id = s.call_id AND n.audio_sha256 = COALESCE(c.audio_sha256, '')
                          AND n.asr_key = COALESCE(c.asr_key, '')
                          AND n.rubric_sha256 = s.rubric_sha256 AND n.scorecard_json = s.scorecard_json),
                       c.agent_id, c.customer_id, c.started_at, c.direction,
                       CASE WHEN json_valid(c.transcript_json) THEN json_extract(c.transcript_json, '$.audio') END,
                       COALESCE(c.audio_path, ''), COALESCE(c.audio_ms, 0)
                FROM v4_scorecards s LEFT JOIN v4_calls c ON c.out_dir = s.out_dir AND c.call_id = s.call_id;

            INSERT INTO transcripts (audio_sha256, asr_key, asr_engine, asr_model, model_sha256, asr_settings,
                                     channel_layout, audio_ms, transcript_json, created_unix)
                SELECT c.audio_sha256, c.asr_key, 'unknown (from the version-4 results store)', '', '', '', '',
                       c.audio_ms, c.transcript_json, COALESCE((SELECT started_unix FROM run_log WHERE run_id = c.run_id), 0)
                FROM v4_calls c
                WHERE NOT EXISTS (SELECT 1 FROM transcripts t
                                  WHERE t.audio_sha256 = c.audio_sha256 AND t.asr_key = c.asr_key)
                GROUP BY c.audio_sha256, c.asr_key;

            INSERT OR IGNORE INTO item_results (scorecard_id, item_id, verdict, points, max_points)
                SELECT s.scorecard_id, json_extract(i.value, '$.id'), json_extract(i.value, '$.verdict'),
                       json_extract(i.value, '$.points'), json_extract(i.value, '$.max_points')
                FROM scorecards s,
                     json_each(CASE WHEN json_valid(s.scorecard_json) THEN s.scorecard_json ELSE '{}' END, '$.items') i
                WHERE json_extract(i.value, '$.id') IS NOT NULL AND json_extract(i.value, '$.verdict') IS NOT NULL
                  AND json_extract(i.value, '$.points') IS NOT NULL AND json_extract(i.value, '$.max_points') IS NOT NULL;

            DROP TABLE v4_item_results;
            DROP TABLE v4_scorecards;
            DROP TABLE v4_calls;
            DROP TABLE v4_results;
        ",
    },
];

/// Applies the migrations above the database's version, up to `target`, in
/// one immediate transaction (so two processes opening a new database do not
/// both migrate). Returns the version reached. Running it again is a no-op.
pub fn migrate(conn: &mut Connection, path: &Path, target: u32) -> Result<u32, DbError> {
    let sql_error = |action, source| DbError::Sql {
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
        return Err(DbError::TooNew {
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

pub(super) fn current_version(conn: &Connection, path: &Path) -> Result<u32, DbError> {
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |row| row.get::<_, u32>(0),
    )
    .map_err(|source| DbError::Sql {
        path: path.to_path_buf(),
        action: "reading the schema version",
        source,
    })
}
