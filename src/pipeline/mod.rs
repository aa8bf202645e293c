//! The batch run behind `callqa run`: recordings in, transcripts,
//! scorecards and a summary out, in parallel, resumable, never transcribing
//! the same audio twice with the same model and settings.
//!
//! It owns the order of work for each call and the run as a whole; each
//! step lives in a submodule:
//!
//! - [`manifest`]: inputs (files, folders, manifest CSVs) → ordered calls;
//! - [`crate::store`] (not a submodule): the SQLite run database (transcripts,
//!   scorecards, runs), which this module reaches only through its API;
//! - [`lock`]: one `run` or `rescore` at a time per output folder;
//! - [`recording`]: decoded audio → transcript (the seam to the ASR stage),
//!   or a vendor's transcript file instead;
//! - [`output`]: the files in the output folder, written atomically;
//! - [`summary`]: [`RunSummary`] and [`ErrorRow`];
//! - [`progress`]: the progress bar or lines on stderr.
//!
//! # One call
//!
//! ```text
//! sha256(audio) ─▶ transcript cached? ─no─▶ decode ─▶ transcribe ─▶ store transcript
//!                         │ yes                                          │
//!                         ▼                                              ▼
//!               + call metadata ─▶ transcripts/<id>.json ─▶ result stored? ─no─▶ score ─▶ store result
//! ```
//!
//! A call is finished when its record (scorecard, stored once, and this
//! run's link to it: [`RunDb::record_call`]) is committed. A run killed at any
//! moment (even `kill -9`) loses at most the calls in flight; the next run
//! finds the others' results and redoes nothing for them. Changing the
//! rubric changes the result key but not the transcript key, so the next run
//! re-scores from cached transcripts in milliseconds. Errors are not
//! recorded as finished: a failed call is tried again by the next run.
//!
//! At the end the report files are rebuilt from the results of every input,
//! in input order, whatever order the workers finished in.
//!
//! # Where the database lives
//!
//! `DIR/callqa.sqlite` by default ([`DB_FILE_NAME`]), so an output
//! folder is self-contained: the database records its runs relative to
//! itself ([`store::folder_key`]), so the folder can be moved, copied or
//! archived and still be reported and re-scored. [`RunOptions::db_path`]
//! points several output folders at one database (e.g. in a user cache
//! folder) to share transcripts between them; those folders are then known
//! by their absolute paths.
//!
//! Nothing is written outside the output folder (and that database): the
//! recordings and transcripts given are only read.

/// The hashing helpers [`recording`] names by this path (now in [`crate::store`]).
pub mod lock;
pub mod manifest;
pub mod output;
pub mod progress;
pub mod recording;
pub mod summary;

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::asr::{AsrError, AsrInfo, CallContext, Transcriber};
use crate::audio::DecodeOptions;
use crate::batch::Row;
use crate::rubric::CompiledRubric;
use crate::score::Scorecard;
use crate::store;
use crate::transcript::Transcript;

pub use crate::store::{DbError, RunDb, DB_FILE_NAME};
pub use lock::{FolderLock, LockError, LOCK_FILE_NAME};
pub use manifest::{
    collect_inputs, read_manifest, AgentChannel, CallInput, CallMetadata, InputError,
    ManifestError, PlannedCall, RejectedInput,
};
pub use output::OutputError;
pub use progress::ProgressMode;
pub use recording::{transcribe_recording, ChannelLayout, VendorTranscripts};
pub use summary::{ErrorRow, ItemVerdicts, RubricStamp, RunCounts, RunSummary, RunTiming, Stage};

use crate::store::{ResultKey, TranscriptKey};

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Recordings, folders of recordings, manifest CSVs.
    pub inputs: Vec<PathBuf>,
    /// Where the outputs go (created if missing).
    pub out_dir: PathBuf,
    /// The run database; `None` means `out_dir/callqa.sqlite`.
    pub db_path: Option<PathBuf>,
    /// Worker threads; 0 chooses with [`default_parallelism`].
    pub jobs: usize,
    /// The agent's channel for calls whose manifest row does not say.
    pub agent_channel_default: AgentChannel,
    pub progress: ProgressMode,
    /// How to decode, and which recordings are bad (silent, truncated…).
    pub decode: DecodeOptions,
    /// When another callqa holds the output folder: wait for it (`true`)
    /// or stop with [`LockError::Busy`].
    pub wait: bool,
    /// Personal data replaced before anything is cached or written.
    pub redact: crate::redact::Policy,
    /// The language of the summary line ([`RunSummary::one_line`]).
    pub lang: crate::i18n::Lang,
}

impl RunOptions {
    /// Defaults: database in the output folder, automatic jobs, agent on
    /// the left channel, automatic progress, default decoding.
    pub fn new(inputs: Vec<PathBuf>, out_dir: impl Into<PathBuf>) -> RunOptions {
        RunOptions {
            inputs,
            out_dir: out_dir.into(),
            db_path: None,
            jobs: 0,
            agent_channel_default: AgentChannel::Left,
            progress: ProgressMode::Auto,
            decode: DecodeOptions::default(),
            wait: false,
            redact: Default::default(),
            lang: Default::default(),
        }
    }

    /// The database this run uses.
    pub fn db_path(&self) -> PathBuf {
        self.db_path
            .clone()
            .unwrap_or_else(|| self.out_dir.join(DB_FILE_NAME))
    }
}

/// What to re-score: the last finished run of an output folder.
#[derive(Debug, Clone)]
pub struct RescoreOptions {
    pub out_dir: PathBuf,
    /// `None` means `out_dir/callqa.sqlite`.
    pub db_path: Option<PathBuf>,
    /// Worker threads; 0 = one per core.
    pub jobs: usize,
    pub progress: ProgressMode,
    /// Wait for another callqa holding the folder instead of stopping.
    pub wait: bool,
    pub redact: crate::redact::Policy,
    /// The language of the summary line ([`RunSummary::one_line`]).
    pub lang: crate::i18n::Lang,
}

impl RescoreOptions {
    pub fn new(out_dir: impl Into<PathBuf>) -> RescoreOptions {
        RescoreOptions {
            out_dir: out_dir.into(),
            db_path: None,
            jobs: 0,
            progress: ProgressMode::Auto,
            wait: false,
            redact: Default::default(),
            lang: Default::default(),
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.db_path
            .clone()
            .unwrap_or_else(|| self.out_dir.join(DB_FILE_NAME))
    }
}

/// What stops a run as a whole (a problem with one call never does: it
/// becomes an [`ErrorRow`]).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Inputs(#[from] InputError),
    #[error("no recordings found in {inputs}; give .wav files, folders containing them, or a manifest .csv")]
    NoInputs { inputs: String },
    #[error("{}: cannot create the output folder: {source}", path.display())]
    OutDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("cannot start {jobs} worker threads: {message}; try a smaller --jobs")]
    Workers { jobs: usize, message: String },
    #[error("{}: no finished run of this folder is recorded in {}; run `callqa run --out {} RECORDINGS…` \
             first (or pass the database that run used with --db)", out_dir.display(), db.display(), out_dir.display())]
    NoRecordedRun { out_dir: PathBuf, db: PathBuf },
}

/// Workers chosen by default at most (see [`plan_parallelism`]).
pub const MAX_DEFAULT_JOBS: usize = 8;

/// Worker threads × threads per worker (whisper threads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parallelism {
    pub jobs: usize,
    pub threads_per_job: usize,
}

/// Chooses workers and threads per worker for `cores` cores so that
/// `jobs × threads_per_job ≤ cores` unless the caller asked for both.
/// A value given is kept; the other one fills the remaining cores. With
/// neither, every core gets a single-threaded worker, up to
/// [`MAX_DEFAULT_JOBS`]: whisper.cpp gains only 1.5× from a second thread
/// (MODELS.md), so two 1-thread workers beat one 2-thread worker (measured
/// in the README), and the transcriber hands them windows of one call when
/// there are fewer calls than workers. Each worker costs a decoder state
/// and its buffers (~190 MB with base: 522 MB peak for 2 × 1 against 335 MB
/// for 1 × 2), so beyond that many workers the rest of the cores become
/// threads instead.
pub fn plan_parallelism(
    cores: usize,
    jobs: Option<usize>,
    threads_per_job: Option<usize>,
) -> Parallelism {
    let cores = cores.max(1);
    let jobs = jobs.filter(|&j| j > 0);
    let threads = threads_per_job.filter(|&t| t > 0);
    match (jobs, threads) {
        (Some(jobs), Some(threads_per_job)) => Parallelism {
            jobs,
            threads_per_job,
        },
        (Some(jobs), None) => Parallelism {
            jobs,
            threads_per_job: (cores / jobs).max(1),
        },
        (None, Some(threads_per_job)) => Parallelism {
            jobs: (cores / threads_per_job).max(1),
            threads_per_job,
        },
        (None, None) => {
            let jobs = cores.min(MAX_DEFAULT_JOBS);
            Parallelism {
                jobs,
                threads_per_job: cores / jobs,
            }
        }
    }
}

/// Cores this process may use (`std::thread::available_parallelism`, 1 if unknown).
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// [`plan_parallelism`] for this machine.
pub fn default_parallelism(jobs: Option<usize>, threads_per_job: Option<usize>) -> Parallelism {
    plan_parallelism(available_cores(), jobs, threads_per_job)
}

/// Runs a batch: every input decoded, transcribed (or taken from the
/// cache), scored with `rubric`, recorded, and written to `opts.out_dir`.
/// Returns the summary (also written as `summary.json`); map it to an exit
/// code with [`RunSummary::exit_code`].
pub fn run(
    opts: &RunOptions,
    transcriber: &dyn Transcriber,
    rubric: &CompiledRubric,
) -> Result<RunSummary, PipelineError> {
    let info = transcriber.info();
    run_with(opts, &Source::Asr { transcriber, info }, rubric)
}

/// [`run`] with each call's transcript read from `transcripts` instead of
/// transcribed (`callqa run --transcripts DIR`).
pub fn run_vendor(
    opts: &RunOptions,
    transcripts: &VendorTranscripts,
    rubric: &CompiledRubric,
) -> Result<RunSummary, PipelineError> {
    run_with(opts, &Source::Vendor(transcripts), rubric)
}

/// Where a run's transcripts come from.
enum Source<'a> {
    Asr {
        transcriber: &'a dyn Transcriber,
        info: AsrInfo,
    },
    Vendor(&'a VendorTranscripts),
}

impl Source<'_> {
    /// The run's stamp.
    fn info(&self) -> AsrInfo {
        match self {
            Source::Asr { info, .. } => info.clone(),
            Source::Vendor(transcripts) => transcripts.info(),
        }
    }
}

fn run_with(
    opts: &RunOptions,
    source: &Source<'_>,
    rubric: &CompiledRubric,
) -> Result<RunSummary, PipelineError> {
    let started = Instant::now();
    let planned = collect_inputs(&opts.inputs)?;
    if planned.is_empty() {
        return Err(PipelineError::NoInputs {
            inputs: opts
                .inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    prepare_out_dir(&opts.out_dir)?;
    let _lock = lock_out_dir(&opts.out_dir, "run", opts.wait)?;
    let db = RunDb::open(&opts.db_path())?;
    let out_dir_key = folder_key(&opts.out_dir, &db)?;
    let asr_info = source.info();
    let asr_json = serde_json::to_string(&asr_info).expect("ASR info serialises");
    let run_id = db.begin_run(&out_dir_key, "run", rubric, Some(&asr_json))?;
    let worker = Worker {
        db: &db,
        rubric,
        rubric_key: opts.redact.keyed(store::rubric_key(rubric)),
        redact: &opts.redact,
        out_dir: &opts.out_dir,
        run_id,
    };
    let jobs = if opts.jobs == 0 {
        default_parallelism(None, None).jobs
    } else {
        opts.jobs
    };
    let progress = progress::Progress::new(opts.progress, planned.len());
    let outcomes = in_pool(jobs, || {
        planned
            .par_iter()
            .map(|entry| {
                let outcome = guarded(entry.as_ref().ok(), || match entry {
                    Err(rejected) => Outcome::failed(rejected_row(rejected)),
                    Ok(call) => worker.process_recording(call, source, opts),
                });
                progress.call_finished(&outcome.label(), &outcome.describe());
                outcome
            })
            .collect::<Vec<_>>()
    })?;
    progress.finish();
    finish(
        &db,
        run_id,
        &out_dir_key,
        &opts.out_dir,
        rubric,
        Some(asr_info),
        outcomes,
        started,
        jobs,
        opts.lang,
    )
    .map(|summary| summary.in_lang(opts.lang))
}

/// Re-scores the last finished run of `opts.out_dir` with `rubric` from the
/// cached transcripts, without reading any recording, and rewrites the
/// reports. Inputs that were errors stay errors (run again to retry them).
pub fn rescore(
    opts: &RescoreOptions,
    rubric: &CompiledRubric,
) -> Result<RunSummary, PipelineError> {
    let started = Instant::now();
    let db_path = opts.db_path();
    let no_run = || PipelineError::NoRecordedRun {
        out_dir: opts.out_dir.clone(),
        db: db_path.clone(),
    };
    if !db_path.is_file() || !opts.out_dir.is_dir() {
        return Err(no_run());
    }
    prepare_out_dir(&opts.out_dir)?;
    let _lock = lock_out_dir(&opts.out_dir, "rescore", opts.wait)?;
    let db = RunDb::open(&db_path)?;
    let out_dir_key = folder_key(&opts.out_dir, &db)?;
    let store::RecordedRun {
        asr_json,
        calls: recorded,
    } = db.load_run(&out_dir_key)?.ok_or_else(no_run)?;
    let run_id = db.begin_run(&out_dir_key, "rescore", rubric, asr_json.as_deref())?;
    let asr_info: Option<AsrInfo> = asr_json.and_then(|json| serde_json::from_str(&json).ok());
    let worker = Worker {
        db: &db,
        rubric,
        rubric_key: opts.redact.keyed(store::rubric_key(rubric)),
        redact: &opts.redact,
        out_dir: &opts.out_dir,
        run_id,
    };
    let jobs = if opts.jobs == 0 {
        available_cores()
    } else {
        opts.jobs
    };
    let progress = progress::Progress::new(opts.progress, recorded.len());
    let outcomes = in_pool(jobs, || {
        recorded
            .par_iter()
            .enumerate()
            .map(|(position, json)| {
                let recorded = serde_json::from_str::<RecordedCall>(json).ok();
                let call = recorded.as_ref().and_then(|r| r.call.clone());
                let outcome = guarded(call.as_ref(), || match recorded {
                    None => Outcome::failed(ErrorRow {
                        call_id: None,
                        file: String::new(),
                        origin: format!("{} (run plan entry {position})", db.path().display()),
                        stage: Stage::Cache,
                        message: format!(
                            "{}: entry {position} of the recorded run plan is unreadable; run `callqa run` again",
                            db.path().display()
                        ),
                    }),
                    Some(recorded) => worker.rescore_recorded(recorded),
                });
                progress.call_finished(&outcome.label(), &outcome.describe());
                outcome
            })
            .collect::<Vec<_>>()
    })?;
    progress.finish();
    finish(
        &db,
        run_id,
        &out_dir_key,
        &opts.out_dir,
        rubric,
        asr_info,
        outcomes,
        started,
        jobs,
        opts.lang,
    )
    .map(|summary| summary.in_lang(opts.lang))
}

/// Fills in the call's metadata (from the manifest) on a transcript from ASR
/// or the cache.
pub fn with_call_metadata(mut transcript: Transcript, call: &CallInput) -> Transcript {
    transcript.call_id = call.call_id.clone();
    transcript.agent_id = call.metadata.agent_id.clone();
    transcript.customer_id = call.metadata.customer_id.clone();
    transcript.started_at = call.metadata.started_at.clone();
    transcript.direction = call.metadata.direction.clone();
    transcript.audio = Some(call.audio.display().to_string());
    transcript
}

/// One call as recorded in the run plan (`run_calls`), enough to re-score
/// it without its recording.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RecordedCall {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    call: Option<CallInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audio_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    asr_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audio_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<ErrorRow>,
}

/// How much work a call took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    Failed,
    Transcribed,
    /// Transcript from the cache, scored now.
    TranscriptCached,
    /// Already finished with this rubric: nothing done.
    ResultCached,
}

/// What happened to one input.
struct Outcome {
    recorded: RecordedCall,
    scorecard: Option<Scorecard>,
    work: Work,
}

impl Outcome {
    fn failed(error: ErrorRow) -> Outcome {
        Outcome {
            recorded: RecordedCall {
                call: None,
                audio_sha256: None,
                asr_key: None,
                audio_ms: None,
                error: Some(error),
            },
            scorecard: None,
            work: Work::Failed,
        }
    }

    fn label(&self) -> String {
        match (&self.recorded.call, &self.recorded.error) {
            (Some(call), _) => call.call_id.clone(),
            (None, Some(error)) => error
                .call_id
                .clone()
                .unwrap_or_else(|| error.origin.clone()),
            (None, None) => "?".into(),
        }
    }

    fn describe(&self) -> String {
        match (&self.scorecard, &self.recorded.error) {
            (Some(card), _) => format!(
                "score {:.1} {}{}",
                card.score,
                if card.passed { "passed" } else { "failed" },
                match self.work {
                    Work::Transcribed => "",
                    Work::TranscriptCached => " (cached transcript)",
                    Work::ResultCached => " (already finished)",
                    Work::Failed => "",
                }
            ),
            (None, Some(error)) => format!("error: {}", error.message),
            (None, None) => "error".into(),
        }
    }

    /// The row for the JSONL/CSV exporters.
    fn row(&self) -> Row {
        match (&self.scorecard, &self.recorded.call, &self.recorded.error) {
            (Some(card), Some(call), _) => Row {
                file: call.audio.clone(),
                result: Ok(card.clone()),
            },
            (_, _, Some(error)) => Row {
                file: PathBuf::from(if error.file.is_empty() {
                    &error.origin
                } else {
                    &error.file
                }),
                result: Err(error.message.clone()),
            },
            _ => Row {
                file: PathBuf::new(),
                result: Err("internal error: call outcome without scorecard or error".into()),
            },
        }
    }
}

/// What makes one call's transcript on a cache miss.
enum Maker<'a> {
    Asr(&'a dyn Transcriber),
    Vendor(recording::VendorFile),
}

/// What every worker shares.
struct Worker<'a> {
    db: &'a RunDb,
    rubric: &'a CompiledRubric,
    rubric_key: String,
    redact: &'a crate::redact::Policy,
    out_dir: &'a Path,
    /// This run's id in the run database.
    run_id: i64,
}

impl Worker<'_> {
    /// Hash → transcript (cache or decode + ASR) → score (cache or now).
    fn process_recording(
        &self,
        call: &CallInput,
        source: &Source<'_>,
        opts: &RunOptions,
    ) -> Outcome {
        let fail = |stage, message| Outcome::failed(call_error(call, stage, message));
        let audio_sha256 = match self.db.audio_sha256(&call.audio) {
            Ok(sha) => sha,
            Err(error @ DbError::Audio { .. }) => return fail(Stage::Read, error.to_string()),
            Err(error) => return fail(Stage::Cache, error.to_string()),
        };
        let layout = ChannelLayout {
            agent_channel: call.agent_channel.unwrap_or(opts.agent_channel_default),
        };
        let (maker, asr_key, asr_info) = match source {
            Source::Asr { transcriber, info } => (
                Maker::Asr(*transcriber),
                store::asr_key(info, &layout.cache_text()),
                info.clone(),
            ),
            Source::Vendor(transcripts) => match transcripts.find(call) {
                Ok(file) => {
                    let (key, info) = (file.asr_key(&layout), file.info());
                    (Maker::Vendor(file), key, info)
                }
                Err(message) => return fail(Stage::Input, message),
            },
        };
        let key = TranscriptKey {
            audio_sha256,
            asr_key: opts.redact.keyed(asr_key),
        };
        let cached = match self.db.transcript(&key) {
            Ok(cached) => cached,
            Err(error) => return fail(Stage::Cache, error.to_string()),
        };
        let (transcript, audio_ms, work) = match cached {
            Some(cached) => (cached.transcript, cached.audio_ms, Work::TranscriptCached),
            None => {
                let context = CallContext {
                    call_id: call.call_id.clone(),
                    audio_path: call.audio.clone(),
                };
                let made = match &maker {
                    // Streamed: memory stays bounded whatever the length.
                    Maker::Asr(transcriber) => crate::asr::transcribe_file(
                        *transcriber,
                        &opts.decode,
                        &layout.recording_options(&context),
                    )
                    .map(|timed| (timed.transcript, timed.stats.audio_ms))
                    .map_err(|error| match error {
                        crate::asr::RecordingError::Audio(error) => {
                            (Stage::Decode, error.to_string())
                        }
                        crate::asr::RecordingError::Asr(error) => {
                            (Stage::Transcribe, asr_message(&call.audio, &error))
                        }
                    }),
                    // The recording is still decoded (streamed): a bad one is
                    // an error row, and its length goes into the summary.
                    Maker::Vendor(file) => recording::recording_ms(&call.audio, &opts.decode)
                        .map_err(|error| (Stage::Decode, error.to_string()))
                        .and_then(|audio_ms| {
                            file.read(&layout, audio_ms)
                                .map(|transcript| (transcript, audio_ms))
                                .map_err(|message| (Stage::Input, message))
                        }),
                };
                let (transcript, audio_ms) = match made {
                    Ok(made) => made,
                    Err((stage, message)) => return fail(stage, message),
                };
                let transcript = self.redact.transcript(transcript);
                if let Err(error) = self.db.put_transcript(
                    &key,
                    &asr_info,
                    &layout.cache_text(),
                    &transcript,
                    audio_ms,
                ) {
                    return fail(Stage::Cache, error.to_string());
                }
                (transcript, audio_ms, Work::Transcribed)
            }
        };
        self.score(call, key, transcript, audio_ms, work)
    }

    /// A call of a recorded run: its transcript from the cache, scored.
    fn rescore_recorded(&self, recorded: RecordedCall) -> Outcome {
        let (Some(call), Some(audio_sha256), Some(asr_key)) =
            (&recorded.call, &recorded.audio_sha256, &recorded.asr_key)
        else {
            return Outcome {
                scorecard: None,
                work: Work::Failed,
                recorded: RecordedCall {
                    error: recorded.error.clone().or_else(|| {
                        Some(ErrorRow {
                            call_id: recorded.call.as_ref().map(|c| c.call_id.clone()),
                            file: String::new(),
                            origin: self.db.path().display().to_string(),
                            stage: Stage::Cache,
                            message: format!(
                                "{}: a recorded call has no transcript key; run `callqa run` again",
                                self.db.path().display()
                            ),
                        })
                    }),
                    ..recorded
                },
            };
        };
        let key = TranscriptKey {
            audio_sha256: audio_sha256.clone(),
            asr_key: asr_key.clone(),
        };
        match self.db.transcript(&key) {
            Ok(Some(cached)) => self.score(call, key, cached.transcript, cached.audio_ms, Work::TranscriptCached),
            Ok(None) => Outcome::failed(call_error(
                call,
                Stage::Cache,
                format!(
                    "{}: the transcript of {} is no longer in {}; run `callqa run` again to transcribe it",
                    call.origin,
                    call.audio.display(),
                    self.db.path().display()
                ),
            )),
            Err(error) => Outcome::failed(call_error(call, Stage::Cache, error.to_string())),
        }
    }

    /// Metadata → transcript file → result (cache or score + record).
    fn score(
        &self,
        call: &CallInput,
        key: TranscriptKey,
        transcript: Transcript,
        audio_ms: u64,
        work: Work,
    ) -> Outcome {
        let fail = |stage, message| Outcome::failed(call_error(call, stage, message));
        let transcript = with_call_metadata(self.redact.transcript(transcript), call);
        if let Err(error) = output::write_transcript(self.out_dir, &transcript) {
            return fail(Stage::Output, error.to_string());
        }
        // The transcript is kept (it shows what was heard); the call gets no score.
        if let Err(no_speech) = crate::score::check_usable_speech(&transcript) {
            return fail(Stage::Transcribe, no_speech.in_recording(&call.audio));
        }
        let result_key = ResultKey {
            call_id: call.call_id.clone(),
            metadata_sha256: metadata_sha256(call),
            rubric_key: self.rubric_key.clone(),
            transcript: key,
        };
        let stored = match self.db.result(&result_key) {
            Ok(stored) => {
                stored.and_then(|row| serde_json::from_str::<Scorecard>(&row.scorecard_json).ok())
            }
            Err(error) => return fail(Stage::Cache, error.to_string()),
        };
        let (scorecard, work) = match stored {
            Some(card) => (
                card,
                if work == Work::TranscriptCached {
                    Work::ResultCached
                } else {
                    work
                },
            ),
            None => {
                let fresh = self.rubric.score(&transcript);
                // The report is built from the stored form, so a fresh and a
                // cached result print the same bytes.
                let json = serde_json::to_string(&fresh).expect("scorecards serialise");
                (
                    serde_json::from_str(&json).expect("a scorecard reads back"),
                    work,
                )
            }
        };
        // One transaction: the scorecard (written only if its key is new),
        // its derived item rows and this run's record of the call. A call is
        // finished once it commits.
        let audio_path = fs::canonicalize(&call.audio).unwrap_or_else(|_| call.audio.clone());
        let record = store::CallRecord {
            key: &result_key,
            transcript: &transcript,
            audio_path: &audio_path,
            audio_ms,
        };
        if let Err(error) = self.db.record_call(self.run_id, &record, &scorecard) {
            return fail(Stage::Cache, error.to_string());
        }
        Outcome {
            recorded: RecordedCall {
                call: Some(call.clone()),
                audio_sha256: Some(result_key.transcript.audio_sha256),
                asr_key: Some(result_key.transcript.asr_key),
                audio_ms: Some(audio_ms),
                error: None,
            },
            scorecard: Some(scorecard),
            work,
        }
    }
}

/// Writes the reports and records the run plan; returns the summary.
#[allow(clippy::too_many_arguments)]
fn finish(
    db: &RunDb,
    run_id: i64,
    out_dir_key: &str,
    out_dir: &Path,
    rubric: &CompiledRubric,
    asr_info: Option<AsrInfo>,
    outcomes: Vec<Outcome>,
    started: Instant,
    jobs: usize,
    lang: crate::i18n::Lang,
) -> Result<RunSummary, PipelineError> {
    let rows: Vec<Row> = outcomes.iter().map(Outcome::row).collect();
    let errors: Vec<ErrorRow> = outcomes
        .iter()
        .filter_map(|o| o.recorded.error.clone())
        .collect();
    let scorecards: Vec<&Scorecard> = outcomes
        .iter()
        .filter_map(|o| o.scorecard.as_ref())
        .collect();

    let seconds = |work: Option<Work>| {
        outcomes
            .iter()
            .filter(|o| o.scorecard.is_some() && work.is_none_or(|w| o.work == w))
            .map(|o| o.recorded.audio_ms.unwrap_or(0))
            .sum::<u64>() as f64
            / 1000.0
    };
    let count = |work: Work| outcomes.iter().filter(|o| o.work == work).count();
    let audio_seconds = seconds(None);
    let wall_seconds = started.elapsed().as_secs_f64();
    let timing = RunTiming {
        audio_seconds,
        wall_seconds,
        real_time_factor: (audio_seconds > 0.0).then(|| wall_seconds / audio_seconds),
        transcribed: count(Work::Transcribed),
        transcribed_audio_seconds: seconds(Some(Work::Transcribed)),
        transcript_cache_hits: count(Work::TranscriptCached),
        result_cache_hits: count(Work::ResultCached),
        jobs,
    };
    let recorded: Vec<String> = outcomes
        .iter()
        .map(|o| serde_json::to_string(&o.recorded).expect("run plan entries serialise"))
        .collect();
    let asr_json = asr_info
        .as_ref()
        .map(|info| serde_json::to_string(info).expect("ASR info serialises"));
    db.save_run(out_dir_key, asr_json.as_deref(), &recorded)?;

    let summary = RunSummary::tally(
        rubric,
        asr_info,
        &scorecards,
        errors,
        timing,
        out_dir.to_path_buf(),
    );
    output::write_reports(
        out_dir,
        &rows,
        &summary.errors,
        &summary,
        &crate::report::ExportOptions::new(lang, rubric),
    )?;
    let summary_json = serde_json::to_string(&summary).expect("summaries serialise");
    db.finish_run(run_id, &summary_json)?;
    Ok(summary)
}

/// Creates `out_dir/transcripts`.
fn prepare_out_dir(out_dir: &Path) -> Result<(), PipelineError> {
    let transcripts = out_dir.join(output::TRANSCRIPTS_DIR);
    fs::create_dir_all(&transcripts).map_err(|source| PipelineError::OutDir {
        path: out_dir.to_path_buf(),
        source,
    })
}

/// The folder's lock, taken before the database is opened so that a second
/// run neither transcribes beside the first nor waits on its database.
fn lock_out_dir(out_dir: &Path, command: &str, wait: bool) -> Result<FolderLock, PipelineError> {
    Ok(lock::lock_folder(out_dir, command, wait, |holder| {
        eprintln!(
            "callqa: {} is in use ({holder}); waiting for it to finish…",
            out_dir.display()
        )
    })?)
}

/// The key of the folder's runs in `db` ([`store::folder_key`]).
fn folder_key(out_dir: &Path, db: &RunDb) -> Result<String, PipelineError> {
    store::folder_key(out_dir, db.path()).map_err(|source| PipelineError::OutDir {
        path: out_dir.to_path_buf(),
        source,
    })
}

/// Runs `work` in a pool of `jobs` threads.
fn in_pool<T: Send>(jobs: usize, work: impl FnOnce() -> T + Send) -> Result<T, PipelineError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .thread_name(|i| format!("callqa-worker-{i}"))
        .build()
        .map_err(|e| PipelineError::Workers {
            jobs,
            message: e.to_string(),
        })?;
    Ok(pool.install(work))
}

/// Runs one call's work; a panic (a bug, or a crash in the ASR engine on
/// odd audio) becomes that call's error row instead of ending the batch.
fn guarded(call: Option<&CallInput>, work: impl FnOnce() -> Outcome) -> Outcome {
    panic::catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let message =
            format!("internal error while processing this call (please report it): {what}");
        match call {
            Some(call) => Outcome::failed(call_error(
                call,
                Stage::Internal,
                format!("{}: {message}", call.origin),
            )),
            None => Outcome::failed(ErrorRow {
                call_id: None,
                file: String::new(),
                origin: String::new(),
                stage: Stage::Internal,
                message,
            }),
        }
    })
}

fn call_error(call: &CallInput, stage: Stage, message: String) -> ErrorRow {
    ErrorRow {
        call_id: Some(call.call_id.clone()),
        file: call.audio.display().to_string(),
        origin: call.origin.clone(),
        stage,
        message,
    }
}

fn rejected_row(rejected: &RejectedInput) -> ErrorRow {
    ErrorRow {
        call_id: rejected.call_id.clone(),
        file: rejected
            .audio
            .as_ref()
            .map_or_else(String::new, |a| a.display().to_string()),
        origin: rejected.origin.clone(),
        stage: Stage::Input,
        message: rejected.to_string(),
    }
}

/// An ASR error as a message that names the recording.
fn asr_message(audio: &Path, error: &AsrError) -> String {
    match error {
        AsrError::Input { .. } => error.to_string(),
        AsrError::Engine(_) => format!("{}: {error}", audio.display()),
    }
}

/// Identifies the call metadata that ends up in the transcript and scorecard.
fn metadata_sha256(call: &CallInput) -> String {
    let metadata = serde_json::to_string(&call.metadata).expect("metadata serialises");
    store::sha256_lines(&[
        "call-metadata v1",
        &call.call_id,
        &call.audio.display().to_string(),
        &metadata,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallelism_never_oversubscribes_by_default() {
        for cores in 1..=64 {
            for threads in [None, Some(1), Some(2), Some(4), Some(8)] {
                let plan = plan_parallelism(cores, None, threads);
                assert!(plan.jobs >= 1 && plan.threads_per_job >= 1);
                if threads.is_none_or(|t| t <= cores) {
                    assert!(
                        plan.jobs * plan.threads_per_job <= cores,
                        "{cores} cores: {plan:?}"
                    );
                }
            }
            let plan = plan_parallelism(cores, Some(3), None);
            assert_eq!(plan.jobs, 3);
            assert!(plan.threads_per_job == 1 || plan.jobs * plan.threads_per_job <= cores);
        }
        assert_eq!(
            plan_parallelism(2, None, None),
            Parallelism {
                jobs: 2,
                threads_per_job: 1
            }
        );
        assert_eq!(
            plan_parallelism(32, None, None),
            Parallelism {
                jobs: MAX_DEFAULT_JOBS,
                threads_per_job: 4
            }
        );
        assert_eq!(
            plan_parallelism(8, None, Some(4)),
            Parallelism {
                jobs: 2,
                threads_per_job: 4
            }
        );
        assert_eq!(
            plan_parallelism(8, Some(0), Some(0)),
            Parallelism {
                jobs: 8,
                threads_per_job: 1
            }
        );
    }
}
