//! What a run reports at the end: [`RunSummary`] (written as
//! `summary.json` and returned to the caller, who maps it to an exit code)
//! and the [`ErrorRow`]s of the inputs that could not be scored.
//!
//! Everything outside [`RunTiming`] depends only on the inputs, the rubric
//! and the transcripts, so it is identical between re-runs.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::asr::AsrInfo;
use crate::rubric::CompiledRubric;
use crate::score::{Scorecard, Verdict};

/// The step at which a call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// The input itself: a bad manifest row, a missing file, a duplicate call id.
    Input,
    /// Reading the recording's bytes (to hash them).
    Read,
    /// Decoding the audio: corrupt, truncated, empty, silent, unsupported.
    Decode,
    /// Speech recognition.
    Transcribe,
    /// The run database.
    Cache,
    /// Writing the call's transcript file.
    Output,
    /// A bug: a panic while processing the call.
    Internal,
}

/// One input that could not be scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRow {
    /// The call id, when it was known.
    pub call_id: Option<String>,
    /// The recording (or the input as given when there is none).
    pub file: String,
    /// Where the call came from: the path as given, or `manifest.csv:LINE`.
    pub origin: String,
    pub stage: Stage,
    /// A complete message naming the file and the problem.
    pub message: String,
}

/// Calls by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCounts {
    /// Inputs planned (scored + errors).
    pub calls: usize,
    pub scored: usize,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
}

/// How one rubric item came out across the scored calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemVerdicts {
    pub id: String,
    pub pass: usize,
    pub fail: usize,
    pub na: usize,
    pub review: usize,
}

/// The rubric the scorecards come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RubricStamp {
    pub id: String,
    pub origin: String,
    pub sha256: String,
}

/// The only part of the summary that changes between identical re-runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunTiming {
    /// Audio length of the scored calls.
    pub audio_seconds: f64,
    /// Wall-clock time of the whole run.
    pub wall_seconds: f64,
    /// `wall_seconds / audio_seconds` (below 1 is faster than real time).
    pub real_time_factor: Option<f64>,
    /// Calls transcribed by this run, and their audio length.
    pub transcribed: usize,
    pub transcribed_audio_seconds: f64,
    /// Calls whose transcript came from the cache (re-scored only).
    pub transcript_cache_hits: usize,
    /// Calls already finished with this rubric (nothing redone).
    pub result_cache_hits: usize,
    /// Worker threads used.
    pub jobs: usize,
}

/// The outcome of a run (or a re-score), as written to `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub counts: RunCounts,
    /// passed / scored, to 4 decimals; `null` when nothing was scored.
    pub pass_rate: Option<f64>,
    /// Mean score of the scored calls, to 2 decimals.
    pub mean_score: Option<f64>,
    pub rubric: RubricStamp,
    /// What transcribed the calls (`null` for a re-score of a run that recorded none).
    pub asr: Option<AsrInfo>,
    /// Verdict counts per rubric item, in rubric order.
    pub items: Vec<ItemVerdicts>,
    pub errors: Vec<ErrorRow>,
    pub timing: RunTiming,
    /// The output folder (not written to the file).
    #[serde(skip)]
    pub out_dir: PathBuf,
}

impl RunSummary {
    /// Tallies scorecards (in input order) and error rows.
    pub fn tally(
        rubric: &CompiledRubric,
        asr: Option<AsrInfo>,
        scorecards: &[&Scorecard],
        errors: Vec<ErrorRow>,
        timing: RunTiming,
        out_dir: PathBuf,
    ) -> RunSummary {
        let passed = scorecards.iter().filter(|c| c.passed).count();
        let scored = scorecards.len();
        let mut items: Vec<ItemVerdicts> = rubric
            .items
            .iter()
            .map(|item| ItemVerdicts {
                id: item.def.id.clone(),
                pass: 0,
                fail: 0,
                na: 0,
                review: 0,
            })
            .collect();
        for card in scorecards {
            for result in &card.items {
                let position = match items.iter().position(|i| i.id == result.id) {
                    Some(position) => position,
                    None => {
                        items.push(ItemVerdicts {
                            id: result.id.clone(),
                            pass: 0,
                            fail: 0,
                            na: 0,
                            review: 0,
                        });
                        items.len() - 1
                    }
                };
                let counts = &mut items[position];
                match result.verdict {
                    Verdict::Pass => counts.pass += 1,
                    Verdict::Fail => counts.fail += 1,
                    Verdict::Na => counts.na += 1,
                    Verdict::Review => counts.review += 1,
                }
            }
        }
        let round = |value: f64, places: i32| {
            let scale = 10f64.powi(places);
            (value * scale).round() / scale
        };
        RunSummary {
            counts: RunCounts {
                calls: scored + errors.len(),
                scored,
                passed,
                failed: scored - passed,
                errors: errors.len(),
            },
            pass_rate: (scored > 0).then(|| round(passed as f64 / scored as f64, 4)),
            mean_score: (scored > 0).then(|| {
                round(
                    scorecards.iter().map(|c| c.score).sum::<f64>() / scored as f64,
                    2,
                )
            }),
            rubric: RubricStamp {
                id: rubric.id().to_string(),
                origin: rubric.source.origin.clone(),
                sha256: rubric.source.sha256.clone(),
            },
            asr,
            items,
            errors,
            timing,
            out_dir,
        }
    }

    /// The process exit code of PRODUCT.md: 2 if any input hit an error,
    /// else 1 if any call failed its rubric, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.counts.errors > 0 {
            2
        } else if self.counts.failed > 0 {
            1
        } else {
            0
        }
    }

    /// One line for the end of a run, e.g.
    /// `4 calls: 2 passed, 1 failed, 1 error; 1 transcribed, 2 from cache; 3.2 s`.
    pub fn one_line(&self) -> String {
        let c = &self.counts;
        let t = &self.timing;
        format!(
            "{} calls: {} passed, {} failed, {} error{}; {} transcribed, {} re-scored from cached transcripts, \
             {} already finished; {:.1} s",
            c.calls,
            c.passed,
            c.failed,
            c.errors,
            if c.errors == 1 { "" } else { "s" },
            t.transcribed,
            t.transcript_cache_hits,
            t.result_cache_hits,
            t.wall_seconds
        )
    }
}
