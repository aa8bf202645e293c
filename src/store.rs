//! The results store: what every `callqa run` and `callqa rescore` leaves
//! for supervisors' reports, in the run database (`DIR/callqa.sqlite`).
//!
//! Writing ([`begin_run`], [`record_call`], [`finish_run`]) happens inside
//! the pipeline, one transaction per finished call, so a run killed at any
//! moment leaves every finished call recorded and nothing half-written.
//! Every row is keyed (output folder, call id, rubric sha256), the folder
//! by [`folder_key`] (`.` for the folder holding the database, so a moved or
//! copied run folder keeps its results), so running
//! again replaces rows instead of adding them twice, and scorecards of
//! different rubric versions live side by side.
//!
//! Reading ([`load`]) gathers the calls of one or more output folders with
//! the scorecards of one rubric version (the latest by default) into a
//! [`Dataset`], plain data for the report, promise and hotspot stages.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::pipeline::cache::{folder_key, unix_now, CacheDb, CacheError, DB_FILE_NAME};
use crate::rubric::CompiledRubric;
use crate::score::Scorecard;
use crate::transcript::Transcript;

/// A problem reading the results of a run folder, naming it and the fix.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: not a callqa run folder (no {DB_FILE_NAME} in it); give the --out folder of `callqa run`", path.display())]
    NotARunFolder { path: PathBuf },
    #[error("{}: no finished run recorded for this folder in {}; run `callqa run --out {} RECORDINGS…` \
             with this callqa first", path.display(), db.display(), path.display())]
    NoRuns { path: PathBuf, db: PathBuf },
    #[error("no rubric version starting with `{wanted}` in the given run folders; available: {available}")]
    NoSuchRubric { wanted: String, available: String },
    #[error("{}: stored {what} of call {call_id} is unreadable ({message}); run `callqa rescore` on the folder to rewrite it",
            db.display())]
    Corrupt {
        db: PathBuf,
        call_id: String,
        what: &'static str,
        message: String,
    },
    #[error(transparent)]
    Database(#[from] CacheError),
}

/// One rubric item's labels, as stored with the rubric version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemInfo {
    pub id: String,
    pub section: String,
    pub title: crate::i18n::Text,
    pub points: f64,
    pub critical: bool,
    pub what: String,
}

/// A rubric version as the store knows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RubricVersion {
    pub sha256: String,
    pub id: String,
    pub title: crate::i18n::Text,
    pub version: String,
    pub pass_score: f64,
    pub items: Vec<ItemInfo>,
    /// When a run first used it (Unix seconds).
    pub first_seen_unix: i64,
    /// The rubric file's text, so a report can compile the very rubric
    /// that scored the calls (its promise act names the promises shown).
    pub source_text: String,
}

impl RubricVersion {
    /// `cs-standard 1.0 (sha256 1a2b3c4d…)`, for page headers.
    pub fn label(&self) -> String {
        let version = if self.version.is_empty() {
            String::new()
        } else {
            format!(" {}", self.version)
        };
        format!(
            "{}{} (sha256 {})",
            self.id,
            version,
            &self.sha256[..12.min(self.sha256.len())]
        )
    }
}

/// A run that the shown calls come from: a [`Dataset`] shows, for every
/// call, its latest scorecard of the shown rubric version in any run of the
/// folder, so one report can mix runs (a folder run twice over different
/// calls shows both runs' calls) and says which.
#[derive(Debug, Clone, Serialize)]
pub struct SourceRun {
    /// The run folder as given to [`load`].
    pub out_dir: PathBuf,
    pub db: PathBuf,
    /// The run's id in that database (`run_log.run_id`).
    pub run_id: i64,
    /// `run` or `rescore`.
    pub command: String,
    pub callqa_version: String,
    pub started_unix: i64,
    /// `None` when the run was interrupted: the calls it finished are kept.
    pub finished_unix: Option<i64>,
    pub rubric_sha256: String,
    /// The ASR stamp of the run, when it transcribed (JSON text).
    pub asr_json: Option<String>,
    /// How many of the dataset's calls come from this run.
    pub calls: usize,
}

/// One call with its transcript and its scorecard for the chosen rubric.
#[derive(Debug, Clone)]
pub struct StoredCall {
    /// Index into [`Dataset::sources`]: the run that wrote this scorecard.
    pub source: usize,
    /// That run's id (`Dataset.sources[source].run_id`).
    pub run_id: i64,
    pub transcript: Transcript,
    /// The recording (absolute when it could be resolved at run time).
    pub audio_path: PathBuf,
    pub audio_sha256: String,
    pub audio_ms: u64,
    pub scorecard: Scorecard,
}

/// What the report stages read: calls of one or more run folders, scored
/// with one rubric version.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Every run the shown calls come from, by folder (in the order given)
    /// then run id; [`StoredCall::source`] indexes it.
    pub sources: Vec<SourceRun>,
    pub rubric: RubricVersion,
    /// Other rubric versions with scorecards in these folders (not shown).
    pub other_rubrics: Vec<RubricVersion>,
    /// Sorted by start time (undated last), then call id.
    pub calls: Vec<StoredCall>,
    /// Calls recorded in these folders without a scorecard of the shown
    /// rubric version (run `callqa rescore` with it to include them).
    pub unscored: Vec<String>,
    /// Call ids met in more than one folder (the first folder's is kept).
    pub duplicates: Vec<String>,
}

impl Dataset {
    pub fn transcripts(&self) -> Vec<Transcript> {
        self.calls.iter().map(|c| c.transcript.clone()).collect()
    }
}

/// What is known about one call when it is recorded.
pub struct CallRecord<'a> {
    pub transcript: &'a Transcript,
    pub audio_path: &'a Path,
    pub audio_sha256: &'a str,
    pub asr_key: &'a str,
    pub audio_ms: u64,
}

/// Records the start of a run (and its rubric version); returns its id.
pub fn begin_run(
    db: &CacheDb,
    out_dir_key: &str,
    command: &str,
    rubric: &CompiledRubric,
    asr_json: Option<&str>,
) -> Result<i64, CacheError> {
    let meta = &rubric.source.file.rubric;
    let items: Vec<ItemInfo> = rubric
        .items
        .iter()
        .map(|item| ItemInfo {
            id: item.def.id.clone(),
            section: item.def.section.clone(),
            title: item.def.title.clone(),
            points: item.def.points,
            critical: item.def.critical,
            what: item.def.what.clone(),
        })
        .collect();
    let items_json = serde_json::to_string(&items).expect("item labels serialise");
    let mut conn = db.lock();
    let action = "recording the start of the run";
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| db.sql(action, e))?;
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
    )
    .map_err(|e| db.sql(action, e))?;
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
    )
    .map_err(|e| db.sql(action, e))?;
    let run_id = tx.last_insert_rowid();
    tx.commit().map_err(|e| db.sql(action, e))?;
    Ok(run_id)
}

/// Records one finished call (replacing what an earlier run recorded for
/// the same folder, call and rubric version), in one transaction.
pub fn record_call(
    db: &CacheDb,
    out_dir_key: &str,
    run_id: i64,
    call: &CallRecord<'_>,
    scorecard: &Scorecard,
) -> Result<(), CacheError> {
    let transcript = call.transcript;
    let transcript_json = serde_json::to_string(transcript).expect("transcripts serialise");
    let scorecard_json = serde_json::to_string(scorecard).expect("scorecards serialise");
    let mut conn = db.lock();
    let action = "recording a call in the results store";
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| db.sql(action, e))?;
    tx.execute(
        "INSERT OR REPLACE INTO calls (out_dir, call_id, agent_id, customer_id, started_at, direction, \
         audio_path, audio_sha256, asr_key, audio_ms, transcript_json, run_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            out_dir_key,
            transcript.call_id,
            transcript.agent_id,
            transcript.customer_id,
            transcript.started_at,
            transcript.direction,
            call.audio_path.to_string_lossy(),
            call.audio_sha256,
            call.asr_key,
            call.audio_ms as i64,
            transcript_json,
            run_id
        ],
    )
    .map_err(|e| db.sql(action, e))?;
    tx.execute(
        "INSERT OR REPLACE INTO scorecards (out_dir, call_id, rubric_sha256, score, passed, \
         critical_failed, scorecard_json, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            out_dir_key,
            scorecard.call_id,
            scorecard.rubric_sha256,
            scorecard.score,
            scorecard.passed,
            scorecard.critical_failed,
            scorecard_json,
            run_id
        ],
    )
    .map_err(|e| db.sql(action, e))?;
    tx.execute(
        "DELETE FROM item_results WHERE out_dir = ?1 AND call_id = ?2 AND rubric_sha256 = ?3",
        params![out_dir_key, scorecard.call_id, scorecard.rubric_sha256],
    )
    .map_err(|e| db.sql(action, e))?;
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO item_results (out_dir, call_id, rubric_sha256, item_id, verdict, points, \
                 max_points, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(|e| db.sql(action, e))?;
        for item in &scorecard.items {
            insert
                .execute(params![
                    out_dir_key,
                    scorecard.call_id,
                    scorecard.rubric_sha256,
                    item.id,
                    item.verdict.as_str(),
                    item.points,
                    item.max_points,
                    item.reason
                ])
                .map_err(|e| db.sql(action, e))?;
        }
    }
    tx.commit().map_err(|e| db.sql(action, e))
}

/// Marks a run finished, with its summary (JSON text).
pub fn finish_run(db: &CacheDb, run_id: i64, summary_json: &str) -> Result<(), CacheError> {
    db.lock()
        .execute(
            "UPDATE run_log SET finished_unix = ?1, summary_json = ?2 WHERE run_id = ?3",
            params![unix_now(), summary_json, run_id],
        )
        .map_err(|e| db.sql("recording the end of the run", e))?;
    Ok(())
}

/// Which rubric version a report shows.
#[derive(Debug, Clone, Default)]
pub enum RubricChoice {
    /// The rubric of the most recently finished run among the folders.
    #[default]
    Latest,
    /// The version whose sha256 starts with this (hex, any length ≥ 4).
    Sha256Prefix(String),
}

/// Reads the calls of `run_dirs` (each the `--out` folder of `callqa run`,
/// with its database inside) with the scorecards of the chosen rubric: every
/// call that has one in any run of the folder, the latest of them, and the
/// runs they come from in [`Dataset::sources`].
pub fn load(run_dirs: &[PathBuf], choice: &RubricChoice) -> Result<Dataset, StoreError> {
    let mut opened = Vec::new();
    for dir in run_dirs {
        let db_path = dir.join(DB_FILE_NAME);
        if !db_path.is_file() {
            return Err(StoreError::NotARunFolder { path: dir.clone() });
        }
        let db = CacheDb::open(&db_path)?;
        let key = folder_key(dir, &db_path)
            .map_err(|_| StoreError::NotARunFolder { path: dir.clone() })?;
        let runs = runs_of(&db, &key)?;
        if !runs.iter().any(|run| run.finished_unix.is_some()) {
            return Err(StoreError::NoRuns {
                path: dir.clone(),
                db: db_path.clone(),
            });
        }
        opened.push((dir.clone(), db_path, key, db, runs));
    }

    let mut versions: BTreeMap<String, RubricVersion> = BTreeMap::new();
    for (_, _, key, db, _) in &opened {
        for version in rubric_versions_of(db, key)? {
            versions.entry(version.sha256.clone()).or_insert(version);
        }
    }
    let available = || {
        versions
            .values()
            .map(|v| v.label())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let shown_sha = match choice {
        RubricChoice::Latest => opened
            .iter()
            .flat_map(|(_, _, _, _, runs)| runs.iter())
            .filter_map(|run| run.finished_unix.map(|finished| (finished, run)))
            .max_by_key(|(finished, run)| (*finished, run.run_id))
            .map(|(_, run)| run.rubric_sha256.clone())
            .unwrap_or_default(),
        RubricChoice::Sha256Prefix(prefix) => {
            let prefix = prefix.to_ascii_lowercase();
            let found: Vec<&String> = versions.keys().filter(|s| s.starts_with(&prefix)).collect();
            match found.as_slice() {
                [one] => (*one).clone(),
                _ => {
                    return Err(StoreError::NoSuchRubric {
                        wanted: prefix,
                        available: available(),
                    })
                }
            }
        }
    };
    let rubric = versions
        .get(&shown_sha)
        .cloned()
        .ok_or_else(|| StoreError::NoSuchRubric {
            wanted: shown_sha.clone(),
            available: available(),
        })?;
    let other_rubrics = versions
        .values()
        .filter(|v| v.sha256 != shown_sha)
        .cloned()
        .collect();

    let mut calls = Vec::new();
    let mut unscored = Vec::new();
    let mut duplicates = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut sources: Vec<SourceRun> = Vec::new();
    for (dir, db_path, key, db, runs) in opened {
        // Index in `sources` of each run of this folder that contributes.
        let mut index_of: BTreeMap<i64, usize> = BTreeMap::new();
        let mut folder_calls = Vec::new();
        for row in calls_of(&db, &db_path, &key, &shown_sha)? {
            if !seen.insert(row.transcript.call_id.clone()) {
                duplicates.push(row.transcript.call_id.clone());
                continue;
            }
            match (row.scorecard, row.run_id) {
                (Some(scorecard), Some(run_id)) => folder_calls.push((
                    run_id,
                    StoredCall {
                        source: 0,
                        run_id,
                        transcript: row.transcript,
                        audio_path: row.audio_path,
                        audio_sha256: row.audio_sha256,
                        audio_ms: row.audio_ms,
                        scorecard,
                    },
                )),
                _ => unscored.push(row.transcript.call_id),
            }
        }
        let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
        for (run_id, _) in &folder_calls {
            *counts.entry(*run_id).or_default() += 1;
        }
        for run in runs {
            if let Some(&n) = counts.get(&run.run_id) {
                index_of.insert(run.run_id, sources.len());
                sources.push(SourceRun {
                    out_dir: dir.clone(),
                    db: db_path.clone(),
                    calls: n,
                    ..run
                });
            }
        }
        for (run_id, mut call) in folder_calls {
            // A scorecard always names a logged run (written in the run's
            // lifetime); a database edited by hand could break that.
            let Some(&index) = index_of.get(&run_id) else {
                return Err(StoreError::Corrupt {
                    db: db_path.clone(),
                    call_id: call.transcript.call_id.clone(),
                    what: "run",
                    message: format!("run {run_id} is not in the run log"),
                });
            };
            call.source = index;
            calls.push(call);
        }
    }
    calls.sort_by(|a, b| {
        let key = |c: &StoredCall| {
            (
                c.transcript.started_at.is_none(),
                c.transcript.started_at.clone(),
            )
        };
        key(a)
            .cmp(&key(b))
            .then_with(|| a.transcript.call_id.cmp(&b.transcript.call_id))
    });
    unscored.sort();
    duplicates.sort();
    duplicates.dedup();
    Ok(Dataset {
        sources,
        rubric,
        other_rubrics,
        calls,
        unscored,
        duplicates,
    })
}

/// Every run logged for a folder (finished or not), oldest first.
fn runs_of(db: &CacheDb, out_dir_key: &str) -> Result<Vec<SourceRun>, CacheError> {
    let conn = db.lock();
    let action = "reading the run log";
    let mut statement = conn
        .prepare(
            "SELECT run_id, command, callqa_version, started_unix, finished_unix, rubric_sha256, asr_json \
             FROM run_log WHERE out_dir = ?1 ORDER BY run_id",
        )
        .map_err(|e| db.sql(action, e))?;
    let rows = statement
        .query_map([out_dir_key], |row| {
            Ok(SourceRun {
                out_dir: PathBuf::from(out_dir_key),
                db: db.path().to_path_buf(),
                run_id: row.get(0)?,
                command: row.get(1)?,
                callqa_version: row.get(2)?,
                started_unix: row.get(3)?,
                finished_unix: row.get(4)?,
                rubric_sha256: row.get(5)?,
                asr_json: row.get(6)?,
                calls: 0,
            })
        })
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| db.sql(action, e))?;
    Ok(rows)
}
/// Rubric versions with scorecards (or runs) in this folder.
fn rubric_versions_of(db: &CacheDb, out_dir_key: &str) -> Result<Vec<RubricVersion>, CacheError> {
    let conn = db.lock();
    let action = "reading rubric versions";
    let mut statement = conn
        .prepare(
            "SELECT rubric_sha256, rubric_id, title, version, pass_score, items_json, first_seen_unix, source_text \
             FROM rubric_versions WHERE rubric_sha256 IN \
             (SELECT rubric_sha256 FROM run_log WHERE out_dir = ?1) ORDER BY first_seen_unix, rubric_sha256",
        )
        .map_err(|e| db.sql(action, e))?;
    let rows = statement
        .query_map([out_dir_key], |row| {
            let items_json: String = row.get(5)?;
            Ok(RubricVersion {
                sha256: row.get(0)?,
                id: row.get(1)?,
                title: {
                    // A JSON {zh, en} since issue 11; a plain string before.
                    let title: String = row.get(2)?;
                    serde_json::from_str(&title).unwrap_or_else(|_| crate::i18n::Text::same(title))
                },
                version: row.get(3)?,
                pass_score: row.get(4)?,
                items: serde_json::from_str(&items_json).unwrap_or_default(),
                first_seen_unix: row.get(6)?,
                source_text: row.get(7)?,
            })
        })
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| db.sql(action, e))?;
    Ok(rows)
}

struct CallRow {
    transcript: Transcript,
    audio_path: PathBuf,
    audio_sha256: String,
    audio_ms: u64,
    scorecard: Option<Scorecard>,
    /// The run that wrote the scorecard.
    run_id: Option<i64>,
}

/// Every call recorded for the folder, with its latest scorecard of
/// `rubric_sha256` and the run that wrote it.
fn calls_of(
    db: &CacheDb,
    db_path: &Path,
    out_dir_key: &str,
    rubric_sha256: &str,
) -> Result<Vec<CallRow>, StoreError> {
    type Raw = (
        String,
        String,
        String,
        String,
        i64,
        Option<String>,
        Option<i64>,
    );
    let raw: Vec<Raw> = {
        let conn = db.lock();
        let action = "reading calls";
        let mut statement = conn
            .prepare(
                "SELECT c.call_id, c.transcript_json, c.audio_path, c.audio_sha256, c.audio_ms, s.scorecard_json, s.run_id \
                 FROM calls c LEFT JOIN scorecards s \
                   ON s.out_dir = c.out_dir AND s.call_id = c.call_id AND s.rubric_sha256 = ?2 \
                 WHERE c.out_dir = ?1 ORDER BY c.call_id",
            )
            .map_err(|e| db.sql(action, e))?;
        let rows = statement
            .query_map(params![out_dir_key, rubric_sha256], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                    row.get(6)?,
                ))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| db.sql(action, e))?;
        rows
    };
    raw.into_iter()
        .map(
            |(
                call_id,
                transcript_json,
                audio_path,
                audio_sha256,
                audio_ms,
                scorecard_json,
                run_id,
            )| {
                let corrupt = |what, message: String| StoreError::Corrupt {
                    db: db_path.to_path_buf(),
                    call_id: call_id.clone(),
                    what,
                    message,
                };
                let transcript: Transcript = serde_json::from_str(&transcript_json)
                    .map_err(|e| corrupt("transcript", e.to_string()))?;
                let scorecard = scorecard_json
                    .map(|json| serde_json::from_str::<Scorecard>(&json))
                    .transpose()
                    .map_err(|e| corrupt("scorecard", e.to_string()))?;
                Ok(CallRow {
                    transcript,
                    audio_path: PathBuf::from(audio_path),
                    audio_sha256,
                    audio_ms: audio_ms.max(0) as u64,
                    scorecard,
                    run_id,
                })
            },
        )
        .collect()
}
