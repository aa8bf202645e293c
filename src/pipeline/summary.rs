//! What a run reports at the end: [`RunSummary`] (written as
//! `summary.json` and returned to the caller, who maps it to an exit code)
//! and the [`ErrorRow`]s of the inputs that could not be scored.
//!
//! Everything outside [`RunTiming`] depends only on the inputs, the rubric
//! and the transcripts, so it is identical between re-runs. `summary.json`
//! is for machines: its field names and values never change with the
//! language; the line a person reads at the end of a run
//! ([`RunSummary::one_line`]) is in the run's language.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::asr::AsrInfo;
use crate::batch::outcome_line;
use crate::i18n::Lang;
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
    /// The language of [`RunSummary::one_line`] (not written to the file,
    /// whose fields are the same in every language).
    #[serde(skip)]
    pub lang: Lang,
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
            lang: Lang::default(),
        }
    }

    /// The summary with its line for a person in `lang`.
    pub fn in_lang(mut self, lang: Lang) -> RunSummary {
        self.lang = lang;
        self
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

    /// One line for the end of a run, in the summary's language
    /// ([`RunSummary::line`]).
    pub fn one_line(&self) -> String {
        self.line(self.lang)
    }

    /// One line for the end of a run, e.g.
    /// 「共 4 通电话：通过 2 通，未通过 1 通，出错 1 通；本次转写 1 通，用已缓存的转写重新评分 2 通，此前已完成 0 通；用时 3.2 秒」
    /// or `4 calls: 2 passed, 1 failed, 1 error; 1 transcribed, 2 re-scored
    /// from cached transcripts, none already finished; 3.2 s`.
    pub fn line(&self, lang: Lang) -> String {
        let c = &self.counts;
        let t = &self.timing;
        let outcome = outcome_line(c.calls, c.passed, c.failed, c.errors, lang);
        match lang {
            Lang::Zh => format!(
                "{outcome}；本次转写 {} 通，用已缓存的转写重新评分 {} 通，此前已完成 {} 通；用时 {:.1} 秒",
                t.transcribed, t.transcript_cache_hits, t.result_cache_hits, t.wall_seconds
            ),
            Lang::En => format!(
                "{outcome}; {} transcribed, {} re-scored from cached transcripts, {} already finished; {:.1} s",
                t.transcribed,
                t.transcript_cache_hits,
                none_for_zero(t.result_cache_hits),
                t.wall_seconds
            ),
        }
    }
}

/// `none` for 0 (`none already finished` reads; `0 already finished` is
/// what a counter prints).
fn none_for_zero(n: usize) -> String {
    if n == 0 {
        "none".into()
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(calls: usize, passed: usize, failed: usize, errors: usize) -> RunSummary {
        RunSummary {
            counts: RunCounts {
                calls,
                scored: passed + failed,
                passed,
                failed,
                errors,
            },
            pass_rate: None,
            mean_score: None,
            rubric: RubricStamp {
                id: "r".into(),
                origin: "r.toml".into(),
                sha256: "0".into(),
            },
            asr: None,
            items: Vec::new(),
            errors: Vec::new(),
            timing: RunTiming {
                wall_seconds: 3.24,
                transcribed: 1,
                transcript_cache_hits: 2,
                ..RunTiming::default()
            },
            out_dir: PathBuf::new(),
            lang: Lang::default(),
        }
    }

    #[test]
    fn the_line_is_chinese_by_default_and_english_on_request() {
        let s = summary(4, 2, 1, 1);
        assert_eq!(
            s.one_line(),
            "共 4 通电话：通过 2 通，未通过 1 通，出错 1 通；本次转写 1 通，用已缓存的转写重新评分 2 通，此前已完成 0 通；用时 3.2 秒"
        );
        assert_eq!(
            s.clone().in_lang(Lang::En).one_line(),
            "4 calls: 2 passed, 1 failed, 1 error; 1 transcribed, 2 re-scored from cached transcripts, none already finished; 3.2 s"
        );
        assert!(summary(1, 1, 0, 0)
            .line(Lang::En)
            .starts_with("1 call: 1 passed, 0 failed, no errors;"));
        // The file is the same in both languages.
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            serde_json::to_string(&s.clone().in_lang(Lang::En)).unwrap()
        );
    }
}
