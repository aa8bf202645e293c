//! `callqa run`, the main job: recordings (files, folders or a manifest CSV) →
//! transcripts, scorecards (JSONL, CSV) and a summary in the output folder.

use std::path::PathBuf;

use anyhow::{anyhow, bail};
use clap::Args;

use callqa::asr::choose::{choose_transcriber, TranscriberChoice};
use callqa::batch::count_en;
use callqa::i18n::Lang;
use callqa::pipeline::{self, ProgressMode, RunOptions, VendorTranscripts};

use super::args::{redact_policy, RubricArg};
use super::{Context, Outcome};

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub rubric: RubricArg,
    /// Output folder (created if needed).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    /// Whisper model: a cached name (base-q8_0, base, base-q5_1) or a ggml file.
    #[arg(long, short = 'm', default_value = callqa::models::DEFAULT_MODEL)]
    pub model: String,
    /// Workers: calls, channels and windows transcribed at once (default:
    /// one per core, at most 8, or cores / threads).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Whisper threads per worker (default: 1, or cores / jobs). jobs ×
    /// threads above the core count makes whisper.cpp many times slower.
    #[arg(long, short = 't')]
    pub threads: Option<usize>,
    /// Channel of stereo recordings that carries the agent (left|right); a
    /// manifest's agent_channel column overrides it per call.
    #[arg(long, default_value = "left")]
    pub agent_channel: String,
    /// Results database (default: DIR/callqa.sqlite).
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// No progress bar or progress lines.
    #[arg(long)]
    pub quiet: bool,
    /// Take each call's transcript from DIR/<call_id>.json (or the recording's
    /// name) instead of running Whisper: vendor transcripts, or ground truth.
    #[arg(long, value_name = "DIR")]
    pub transcripts: Option<PathBuf>,
    /// When another callqa is writing DIR, wait for it instead of stopping.
    #[arg(long)]
    pub wait: bool,
    /// Score the part that is there of a recording whose data was cut short
    /// (by default a truncated WAV is an error row: a call cut short looks
    /// like a call without its closing).
    #[arg(long)]
    pub accept_truncated: bool,
    /// Replace customers' phone, 身份证 and card numbers, addresses and names
    /// with placeholders ([手机号]…) in every output (also `[redact]` in a rubric).
    #[arg(long)]
    pub redact: bool,
    /// Recordings: WAV files, folders, or manifest CSV files.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
}

pub fn run(args: RunArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let rubric = args.rubric.load()?;
    let mut options = RunOptions::new(args.inputs, args.out);
    options.db_path = args.db;
    // The run summary line (and only it, so far) is in this language.
    options.lang = ctx.lang;
    options.redact = redact_policy(args.redact, &rubric);
    options.wait = args.wait;
    options.decode.accept_truncated = args.accept_truncated;
    options.agent_channel_default = args
        .agent_channel
        .parse()
        .map_err(|e| anyhow!("--agent-channel: {e}"))?;
    options.progress = if args.quiet {
        ProgressMode::Off
    } else {
        ProgressMode::Auto
    };
    let summary = match args.transcripts {
        Some(dir) => {
            if !dir.is_dir() {
                bail!(
                    "--transcripts {}: not a folder of transcript files",
                    dir.display()
                );
            }
            options.jobs = args.jobs.unwrap_or(0);
            let dir_shown = dir.display();
            eprintln!(
                "{}",
                match ctx.lang {
                    Lang::Zh => format!("callqa：转写取自 {dir_shown}（不做语音识别）"),
                    Lang::En => {
                        format!("callqa: transcripts from {dir_shown} (no speech recognition)")
                    }
                }
            );
            pipeline::run_vendor(&options, &VendorTranscripts { dir }, &rubric)?
        }
        None => {
            let plan = pipeline::default_parallelism(args.jobs, args.threads);
            let chosen = choose_transcriber(&TranscriberChoice::Whisper {
                model: args.model,
                threads: plan.threads_per_job,
                parallel_windows: plan.jobs,
            })?;
            options.jobs = plan.jobs;
            let model = chosen.source.display();
            eprintln!(
                "{}",
                match ctx.lang {
                    Lang::Zh => format!(
                        "callqa：{} 路并行，每路 {} 个 whisper 线程，模型 {model}",
                        plan.jobs, plan.threads_per_job
                    ),
                    Lang::En => format!(
                        "callqa: {} × {}, model {model}",
                        count_en(plan.jobs, "worker", "workers"),
                        count_en(plan.threads_per_job, "whisper thread", "whisper threads")
                    ),
                }
            );
            pipeline::run(&options, chosen.transcriber.as_ref(), &rubric)?
        }
    };
    eprintln!("{}", summary.one_line());
    Ok(Outcome::from_exit_code(summary.exit_code()))
}
