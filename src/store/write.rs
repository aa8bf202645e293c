//! Everything `callqa run` and `callqa rescore` write into the run
//! database: the audio hash memo, transcripts, the run log, each finished
//! call (its scorecard, stored once, and the run's link to it) in one
//! transaction, and the plan of the folder's last run.
//!
//! A call is finished when its [`RunDb::record_call`] transaction commits;
//! a run killed at any moment leaves every finished call recorded and
//! nothing half-written, and the next run finds the scorecard by its key and
//! does nothing again for it.

use std::fs;
use std::path::Path;

use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};

use super::keys::{stat_fingerprint, ResultKey, TranscriptKey};
use super::read::ItemInfo;
use super::{sha256_file, unix_now, DbError, RunDb};
use crate::asr::AsrInfo;
use crate::rubric::CompiledRubric;
use crate::score::Scorecard;
use crate::transcript::Transcript;

/// One finished call of a run: how the run read it, and what scored it.
pub struct CallRecord<'a> {
    /// What made the scorecard (and where its transcript is).
    pub key: &'a ResultKey,
    /// The transcript as scored; its call metadata (agent, customer, start,
    /// direction, audio as given) is recorded, its utterances are not (they
    /// are in `transcripts` under `key.transcript`).
    pub transcript: &'a Transcript,
    /// The recording (absolute when it could be resolved).
    pub audio_path: &'a Path,
    pub audio_ms: u64,
}

impl RunDb {
    /// sha256 of a recording's bytes, read again only when the file's
    /// status ([`stat_fingerprint`]) changed since it was last hashed.
    pub fn audio_sha256(&self, audio: &Path) -> Result<String, DbError> {
        let audio_error = |source| DbError::Audio {
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

    /// Stores a transcript (replacing any with the same key: only a row this
    /// code could not read is ever replaced); committed on return.
    pub fn put_transcript(
        &self,
        key: &TranscriptKey,
        info: &AsrInfo,
        channel_layout: &str,
        transcript: &Transcript,
        audio_ms: u64,
    ) -> Result<(), DbError> {
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

    /// Records the start of a run (and its rubric version); returns its id.
    pub fn begin_run(
        &self,
        out_dir_key: &str,
        command: &str,
        rubric: &CompiledRubric,
        asr_json: Option<&str>,
    ) -> Result<i64, DbError> {
        let meta = &rubric.source.file.rubric;
        let items: Vec<ItemInfo> = rubric
            .items
            .iter()
            .map(|item| ItemInfo::of(&item.def))
            .collect();
        let items_json = serde_json::to_string(&items).expect("item labels serialise");
        let action = "recording the start of the run";
        self.in_transaction(action, |tx| {
            tx.execute(
                "INSERT OR IGNORE INTO rubric_versions (rubric_sha256, rubric_id, title, version, pass_score, \
                 items_json, source_text, first_seen_unix) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    rubric.source.sha256,
                    meta.id,
                    serde_json::to_string(&meta.title).expect("a title serialises"),
                    meta.version,
                    meta.pass_score,
                    items_json,
                    rubric.source.text,
                    unix_now()
                ],
            )?;
            tx.execute(
                "INSERT INTO run_log (out_dir, command, rubric_sha256, asr_json, callqa_version, started_unix) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    out_dir_key,
                    command,
                    rubric.source.sha256,
                    asr_json,
                    env!("CARGO_PKG_VERSION"),
                    unix_now()
                ],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// Records that run `run_id` finished a call, in one transaction: the
    /// scorecard under its key (unless a scorecard with that key is already
    /// stored: it is then only referred to, never written again) with its
    /// derived `item_results`, and the run's `finished_calls` row pointing
    /// at it. Returns the scorecard's id.
    pub fn record_call(
        &self,
        run_id: i64,
        call: &CallRecord<'_>,
        scorecard: &Scorecard,
    ) -> Result<i64, DbError> {
        let key = call.key;
        let transcript = call.transcript;
        let scorecard_json = serde_json::to_string(scorecard).expect("scorecards serialise");
        self.in_transaction("recording a finished call", |tx| {
            let inserted = tx.execute(
                "INSERT INTO scorecards (call_id, audio_sha256, asr_key, rubric_key, metadata_sha256, \
                 rubric_sha256, score, passed, critical_failed, scorecard_json, created_unix) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
                 ON CONFLICT (call_id, audio_sha256, asr_key, rubric_key, metadata_sha256) DO NOTHING",
                params![
                    key.call_id,
                    key.transcript.audio_sha256,
                    key.transcript.asr_key,
                    key.rubric_key,
                    key.metadata_sha256,
                    scorecard.rubric_sha256,
                    scorecard.score,
                    scorecard.passed,
                    scorecard.critical_failed,
                    scorecard_json,
                    unix_now()
                ],
            )?;
            let scorecard_id: i64 = tx.query_row(
                "SELECT scorecard_id FROM scorecards WHERE call_id = ?1 AND audio_sha256 = ?2 \
                 AND asr_key = ?3 AND rubric_key = ?4 AND metadata_sha256 = ?5",
                params![
                    key.call_id,
                    key.transcript.audio_sha256,
                    key.transcript.asr_key,
                    key.rubric_key,
                    key.metadata_sha256
                ],
                |row| row.get(0),
            )?;
            if inserted > 0 {
                // Derived from the scorecard just written, in its transaction.
                let mut insert = tx.prepare(
                    "INSERT OR REPLACE INTO item_results (scorecard_id, item_id, verdict, points, max_points) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for item in &scorecard.items {
                    insert.execute(params![
                        scorecard_id,
                        item.id,
                        item.verdict.as_str(),
                        item.points,
                        item.max_points
                    ])?;
                }
            }
            tx.execute(
                "INSERT OR REPLACE INTO finished_calls (run_id, call_id, scorecard_id, agent_id, customer_id, \
                 started_at, direction, audio, audio_path, audio_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    run_id,
                    key.call_id,
                    scorecard_id,
                    transcript.agent_id,
                    transcript.customer_id,
                    transcript.started_at,
                    transcript.direction,
                    transcript.audio,
                    call.audio_path.to_string_lossy(),
                    call.audio_ms as i64
                ],
            )?;
            Ok(scorecard_id)
        })
    }

    /// Replaces the recorded plan of `out_dir`'s last run, in one transaction.
    pub fn save_run(
        &self,
        out_dir: &str,
        asr_json: Option<&str>,
        calls: &[String],
    ) -> Result<(), DbError> {
        self.in_transaction("recording the run plan", |tx| {
            tx.execute("DELETE FROM run_calls WHERE out_dir = ?1", [out_dir])?;
            {
                let mut insert = tx.prepare(
                    "INSERT INTO run_calls (out_dir, position, recorded_json) VALUES (?1, ?2, ?3)",
                )?;
                for (position, json) in calls.iter().enumerate() {
                    insert.execute(params![out_dir, position as i64, json])?;
                }
            }
            tx.execute(
                "INSERT OR REPLACE INTO runs (out_dir, asr_json, finished_unix) VALUES (?1, ?2, ?3)",
                params![out_dir, asr_json, unix_now()],
            )?;
            Ok(())
        })
    }

    /// Marks a run finished, with its summary (JSON text).
    pub fn finish_run(&self, run_id: i64, summary_json: &str) -> Result<(), DbError> {
        self.lock()
            .execute(
                "UPDATE run_log SET finished_unix = ?1, summary_json = ?2 WHERE run_id = ?3",
                params![unix_now(), summary_json, run_id],
            )
            .map_err(|e| self.sql("recording the end of the run", e))?;
        Ok(())
    }

    /// Runs `work` in an immediate transaction, committed if it succeeds.
    fn in_transaction<T>(
        &self,
        action: &'static str,
        work: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, DbError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.sql(action, e))?;
        let value = work(&tx).map_err(|e| self.sql(action, e))?;
        tx.commit().map_err(|e| self.sql(action, e))?;
        Ok(value)
    }
}
