//! callqa: offline quality-assurance scoring of Mandarin customer-service calls.
//!
//! The library is a chain of stages, one module each; `src/main.rs` is a thin
//! command-line front end over it.
//!
//! - [`transcript`]: the transcript contract (input of scoring, output of ASR)
//! - [`walk`]: folders of inputs → files, each once, loops ended
//! - [`text`]: normalisation, segmentation, pinyin
//! - [`rubric`]: the rubric file format and its compilation into matchers
//! - [`score`]: evaluation of a compiled rubric on one call → scorecard
//! - [`evidence`]: what was said, quoted from the original words of an utterance
//! - [`hash`]: sha256 in hex, every fingerprint and key
//! - [`i18n`]: the language of what a person reads (zh by default, en)
//! - [`batch`]: parallel scoring of many files with per-file errors
//! - [`report`]: exporters (text, json, jsonl, csv)
//! - [`check`]: golden fixtures with expected verdicts
//! - [`diff`]: what a rubric change does to a corpus (verdict flips)
//! - [`mutate`]: how brittle each item is under perturbed golden calls
//! - [`explain`]: item documentation from the rubric itself
//! - [`site`]: the supervisors' static HTML report
//! - [`store`]: the run database (schema, migrations, every read and write): transcripts, scorecards, runs
//! - [`promises`]: promises with deadlines and whether they were kept
//! - [`hotspots`]: what customers complain about, per week
//! - [`redact`]: personal data (phone, 身份证, card numbers, addresses, names) out of every output
//! - [`audio`], [`asr`], [`models`]: recordings → transcripts

pub mod asr;
pub mod audio;
pub mod batch;
pub mod check;
pub mod diff;
pub mod evidence;
pub mod explain;
pub mod hash;
pub mod hotspots;
pub mod i18n;
pub mod models;
pub mod mutate;
pub mod perturb;
pub mod pipeline;
pub mod promises;
pub mod redact;
pub mod report;
pub mod rubric;
pub mod score;
pub mod site;
pub mod store;
pub mod text;
pub mod transcript;
pub mod walk;
