//! Everything read from the run database: the lookups a run makes (a
//! transcript, a scorecard by its key), the plan `rescore` replays, and
//! [`load`], which gathers the calls of one or more output folders with the
//! scorecards of one rubric version (the latest by default) into a
//! [`Dataset`], plain data for the report, promise and hotspot stages.
//!
//! A report shows, for every call finished in any run of a folder, its
//! latest scorecard of the shown rubric version, and says which run each
//! comes from ([`Dataset::sources`], [`StoredCall::source`]): a folder run
//! twice over different calls shows both runs' calls. A call's transcript
//! is the stored one (`transcripts`) with the call metadata its run read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::keys::{folder_key, ResultKey, TranscriptKey};
use super::{DbError, RunDb, DB_FILE_NAME};
use crate::score::Scorecard;
use crate::transcript::Transcript;

/// A transcript from the database.
#[derive(Debug, Clone)]
pub struct CachedTranscript {
    pub transcript: Transcript,
    pub audio_ms: u64,
}

/// A scorecard found by its key: its row id and JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResult {
    pub scorecard_id: i64,
    pub scorecard_json: String,
}

/// What [`RunDb::load_run`] returns: the plan of a finished run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRun {
    /// The ASR stamp ([`crate::asr::AsrInfo`] as JSON), if the run had one.
    pub asr_json: Option<String>,
    /// One JSON document per call, in input order.
    pub calls: Vec<String>,
}

impl RunDb {
    /// The stored transcript for this audio and ASR key, if any.
    pub fn transcript(&self, key: &TranscriptKey) -> Result<Option<CachedTranscript>, DbError> {
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

    /// The stored scorecard with this key, if any.
    pub fn result(&self, key: &ResultKey) -> Result<Option<StoredResult>, DbError> {
        self.lock()
            .query_row(
                "SELECT scorecard_id, scorecard_json FROM scorecards WHERE call_id = ?1 AND audio_sha256 = ?2 \
                 AND asr_key = ?3 AND rubric_key = ?4 AND metadata_sha256 = ?5",
                params![
                    key.call_id,
                    key.transcript.audio_sha256,
                    key.transcript.asr_key,
                    key.rubric_key,
                    key.metadata_sha256
                ],
                |row| {
                    Ok(StoredResult {
                        scorecard_id: row.get(0)?,
                        scorecard_json: row.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.sql("reading a finished result", e))
    }

    /// The recorded plan of `out_dir`'s last finished run; `None` when no
    /// run of that folder finished.
    pub fn load_run(&self, out_dir: &str) -> Result<Option<RecordedRun>, DbError> {
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
}

/// A problem reading the results of a run folder, naming it and the fix.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: not a callqa run folder (no {DB_FILE_NAME} in it); give the --out folder of `callqa run`", path.display())]
    NotARunFolder { path: PathBuf },
    #[error("{}: no finished run or finished call recorded for this folder in {}; run `callqa run --out {} \
             RECORDINGS…` with this callqa first", path.display(), db.display(), path.display())]
    NoRuns { path: PathBuf, db: PathBuf },
    #[error("no rubric version starting with `{wanted}` in the given run folders; available: {available}")]
    NoSuchRubric { wanted: String, available: String },
    #[error("{}: stored {what} of call {call_id} is unreadable ({message}); run `callqa run` again on its \
             recording to rewrite it (or `callqa rescore` on the folder, for a scorecard)", db.display())]
    Corrupt {
        db: PathBuf,
        call_id: String,
        what: &'static str,
        message: String,
    },
    #[error(transparent)]
    Database(#[from] DbError),
}

/// One rubric item's labels, as stored with the rubric version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemInfo {
    pub id: String,
    pub section: crate::i18n::Text,
    pub title: crate::i18n::Text,
    pub points: f64,
    pub critical: bool,
    /// What the item checks, in both languages. Rows written before rubrics
    /// had bilingual docs hold one string, which reads as both languages.
    pub what: crate::i18n::Text,
}

impl ItemInfo {
    /// The labels of one rubric item, as a run stores them.
    pub fn of(def: &crate::rubric::schema::ItemDef) -> ItemInfo {
        ItemInfo {
            id: def.id.clone(),
            section: def.section.clone(),
            title: def.title.clone(),
            points: def.points,
            critical: def.critical,
            what: def.what.clone(),
        }
    }
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
    /// Index into [`Dataset::sources`]: the latest run that finished the
    /// call with this scorecard (scoring it, or finding it already stored).
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
    /// Calls finished in these folders without a scorecard of the shown
    /// rubric version (`callqa rescore` with it scores the last run's calls;
    /// `callqa run` with it over their recordings scores any).
    pub unscored: Vec<String>,
    /// Call ids met in more than one folder (the first folder's is kept).
    pub duplicates: Vec<String>,
}

impl Dataset {
    pub fn transcripts(&self) -> Vec<Transcript> {
        self.calls.iter().map(|c| c.transcript.clone()).collect()
    }
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
        let db = RunDb::open(&db_path)?;
        let key = folder_key(dir, &db_path)
            .map_err(|_| StoreError::NotARunFolder { path: dir.clone() })?;
        let runs = runs_of(&db, &key)?;
        // A run killed before it finished still leaves its finished calls,
        // which a report shows (the run is marked as interrupted).
        if !runs
            .iter()
            .any(|run| run.finished_unix.is_some() || run.calls > 0)
        {
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
        // The most recently finished run's rubric; with none finished, that
        // of the latest interrupted run that finished a call.
        RubricChoice::Latest => opened
            .iter()
            .flat_map(|(_, _, _, _, runs)| runs.iter())
            .filter(|run| run.finished_unix.is_some() || run.calls > 0)
            .max_by_key(|run| (run.finished_unix.is_some(), run.finished_unix, run.run_id))
            .map(|run| run.rubric_sha256.clone())
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
            if !seen.insert(row.call_id.clone()) {
                duplicates.push(row.call_id);
                continue;
            }
            match row.shown {
                Some(shown) => folder_calls.push((
                    shown.run_id,
                    StoredCall {
                        source: 0,
                        run_id: shown.run_id,
                        transcript: shown.transcript,
                        audio_path: shown.audio_path,
                        audio_sha256: shown.audio_sha256,
                        audio_ms: shown.audio_ms,
                        scorecard: shown.scorecard,
                    },
                )),
                None => unscored.push(row.call_id),
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
            // `calls_of` joins the run log, so every run is listed; kept as
            // an error rather than a panic for a database edited by hand.
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

/// Every run logged for a folder (finished or not), oldest first, with
/// `calls` the number of calls it finished (in the [`Dataset`], replaced by
/// the number of shown calls that come from it).
fn runs_of(db: &RunDb, out_dir_key: &str) -> Result<Vec<SourceRun>, DbError> {
    let conn = db.lock();
    let action = "reading the run log";
    let mut statement = conn
        .prepare(
            "SELECT run_id, command, callqa_version, started_unix, finished_unix, rubric_sha256, asr_json, \
                    (SELECT COUNT(*) FROM finished_calls f WHERE f.run_id = r.run_id) \
             FROM run_log r WHERE out_dir = ?1 ORDER BY run_id",
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
                calls: row.get::<_, i64>(7)?.max(0) as usize,
            })
        })
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| db.sql(action, e))?;
    Ok(rows)
}
/// Rubric versions with scorecards (or runs) in this folder.
fn rubric_versions_of(db: &RunDb, out_dir_key: &str) -> Result<Vec<RubricVersion>, DbError> {
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
    call_id: String,
    /// `None`: the call has no scorecard of the shown rubric version.
    shown: Option<ShownCall>,
}

struct ShownCall {
    transcript: Transcript,
    audio_path: PathBuf,
    audio_sha256: String,
    audio_ms: u64,
    scorecard: Scorecard,
    /// The run that finished the call with that scorecard.
    run_id: i64,
}

/// Every call finished in any run of the folder, each with its latest
/// scorecard of `rubric_sha256` and the run that recorded it, or (for a call
/// without one) its latest record of any rubric, to list it as unscored.
fn calls_of(
    db: &RunDb,
    db_path: &Path,
    out_dir_key: &str,
    rubric_sha256: &str,
) -> Result<Vec<CallRow>, StoreError> {
    struct Raw {
        call_id: String,
        run_id: i64,
        shown: bool,
        metadata: [Option<String>; 5],
        audio_path: String,
        audio_ms: i64,
        audio_sha256: String,
        transcript_json: Option<String>,
        scorecard_json: String,
    }
    let raw: Vec<Raw> = {
        let conn = db.lock();
        let action = "reading calls";
        // Latest first: a call's scorecard of the shown rubric wins over any
        // other, a later run over an earlier one.
        let mut statement = conn
            .prepare(
                "SELECT call_id, run_id, shown, agent_id, customer_id, started_at, direction, audio, \
                        audio_path, audio_ms, audio_sha256, transcript_json, scorecard_json \
                 FROM (SELECT f.call_id, f.run_id, s.rubric_sha256 = ?2 AS shown, f.agent_id, f.customer_id, \
                              f.started_at, f.direction, f.audio, f.audio_path, f.audio_ms, s.audio_sha256, \
                              t.transcript_json, s.scorecard_json, \
                              ROW_NUMBER() OVER (PARTITION BY f.call_id \
                                                 ORDER BY s.rubric_sha256 = ?2 DESC, f.run_id DESC) AS latest \
                       FROM finished_calls f \
                       JOIN run_log r ON r.run_id = f.run_id \
                       JOIN scorecards s ON s.scorecard_id = f.scorecard_id \
                       LEFT JOIN transcripts t ON t.audio_sha256 = s.audio_sha256 AND t.asr_key = s.asr_key \
                       WHERE r.out_dir = ?1) \
                 WHERE latest = 1 ORDER BY call_id",
            )
            .map_err(|e| db.sql(action, e))?;
        let rows = statement
            .query_map(params![out_dir_key, rubric_sha256], |row| {
                Ok(Raw {
                    call_id: row.get(0)?,
                    run_id: row.get(1)?,
                    shown: row.get(2)?,
                    metadata: [
                        row.get(3)?,
                        row.get(4)?,
                        row.get(5)?,
                        row.get(6)?,
                        row.get(7)?,
                    ],
                    audio_path: row.get(8)?,
                    audio_ms: row.get(9)?,
                    audio_sha256: row.get(10)?,
                    transcript_json: row.get(11)?,
                    scorecard_json: row.get(12)?,
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| db.sql(action, e))?;
        rows
    };
    raw.into_iter()
        .map(|raw| {
            let corrupt = |what, message: String| StoreError::Corrupt {
                db: db_path.to_path_buf(),
                call_id: raw.call_id.clone(),
                what,
                message,
            };
            if !raw.shown {
                return Ok(CallRow {
                    call_id: raw.call_id.clone(),
                    shown: None,
                });
            }
            let json = raw.transcript_json.as_deref().ok_or_else(|| {
                corrupt(
                    "transcript",
                    "it is missing from the transcripts table".to_string(),
                )
            })?;
            let mut transcript: Transcript =
                serde_json::from_str(json).map_err(|e| corrupt("transcript", e.to_string()))?;
            // The stored transcript is the recording's; the call's metadata
            // is the run's (as `pipeline::with_call_metadata` applied it).
            let [agent_id, customer_id, started_at, direction, audio] = raw.metadata;
            transcript.call_id = raw.call_id.clone();
            transcript.agent_id = agent_id;
            transcript.customer_id = customer_id;
            transcript.started_at = started_at;
            transcript.direction = direction;
            transcript.audio = audio;
            let scorecard = serde_json::from_str::<Scorecard>(&raw.scorecard_json)
                .map_err(|e| corrupt("scorecard", e.to_string()))?;
            Ok(CallRow {
                call_id: raw.call_id.clone(),
                shown: Some(ShownCall {
                    transcript,
                    audio_path: PathBuf::from(raw.audio_path),
                    audio_sha256: raw.audio_sha256,
                    audio_ms: raw.audio_ms.max(0) as u64,
                    scorecard,
                    run_id: raw.run_id,
                }),
            })
        })
        .collect()
}
