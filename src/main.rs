//! The `callqa` command line: parses arguments, hands each subcommand to its
//! module in `commands/`, and maps the outcome to an exit code (0 all good,
//! 1 some call failed its rubric or a golden check regressed, 2 the tool
//! itself hit errors). Errors are printed with their causes.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use callqa::i18n::Lang;
// Text from input (ids, file names, messages quoting them) reaches the
// terminal only through `visible_lines`: no escape codes from a manifest.
use callqa::report::visible_lines;

use commands::{Context, Outcome};

#[derive(Parser)]
#[command(
    name = "callqa",
    version,
    about = "Offline QA scoring of Mandarin customer-service calls"
)]
struct Cli {
    /// Language of what a person reads: zh (简体中文, default) or en; also CALLQA_LANG
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "zh|en",
        hide_possible_values = true
    )]
    lang: Option<Lang>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Score transcripts (JSON files or folders of them); scorecards on stdout.
    Score(commands::score::ScoreArgs),
    /// The main job: recordings (files, folders or a manifest CSV) → transcripts,
    /// scorecards (JSONL, CSV) and a summary in DIR. Resumable; cached transcripts
    /// are never transcribed again with the same model and settings.
    Run(commands::run::RunArgs),
    /// Re-score the transcripts of a finished `callqa run` with a (changed) rubric,
    /// without touching the audio.
    Rescore(commands::rescore::RescoreArgs),
    /// Run golden fixtures (transcripts with expected verdicts) against a rubric.
    Check(commands::check::CheckArgs),
    /// Explain what a rubric item checks, why, with an example and its rule;
    /// or document a condition operator of the rubric language.
    Explain(commands::explain::ExplainArgs),
    /// Show the tokens and every phrase / regex hit of each utterance of a transcript.
    Trace(commands::trace::TraceArgs),
    /// Whisper models: fetch, list, import from faster-whisper.
    Models {
        #[command(subcommand)]
        command: commands::models::ModelsCommand,
    },
    /// Supervisors' report: static HTML (overview, agent pages, call pages with
    /// audio that jumps to the evidence, promises, complaint hotspots) and CSVs,
    /// from the results database of one or more `callqa run` output folders.
    Report(commands::report::ReportArgs),
    /// Promises in the agents' speech, as the rubric's promise act
    /// (`[matches.follow_up_promise]`) finds them, with their deadlines; a
    /// promise of contact is kept | broken | pending by the same customer's
    /// later calls, any other kind is unverifiable.
    Promises(commands::promises::PromisesArgs),
    /// What customers complain about, overall and per ISO week (投诉热点).
    Hotspots(commands::hotspots::HotspotsArgs),
    /// Print the JSON schema of the rubric file format.
    Schema(commands::schema::SchemaArgs),
    /// Parse and compile a rubric, reporting any error with file:line:column.
    Lint(commands::lint::LintArgs),
    /// What a rubric change does to a corpus: every verdict that flips between
    /// the old and the new rubric, per item, per call and per agent.
    Diff(commands::diff::DiffArgs),
    /// How brittle each rubric item is: golden calls perturbed in ways that must
    /// not change a verdict (ASR misspellings, fillers, …) and ways that must.
    Mutate(commands::mutate::MutateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = language(cli.lang).and_then(|lang| dispatch(cli.command, &Context { lang }));
    match outcome {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(error) => {
            eprintln!(
                "callqa: error: {}",
                visible_lines(&commands::error_chain(&error))
            );
            ExitCode::from(Outcome::Errors.exit_code())
        }
    }
}

/// `--lang`, else `CALLQA_LANG` (if set and not empty), else Chinese.
fn language(flag: Option<Lang>) -> anyhow::Result<Lang> {
    if let Some(lang) = flag {
        return Ok(lang);
    }
    match std::env::var("CALLQA_LANG") {
        Ok(value) if !value.trim().is_empty() => value
            .parse()
            .map_err(|e| anyhow::anyhow!("CALLQA_LANG={value}: {e} (or unset CALLQA_LANG)")),
        _ => Ok(Lang::default()),
    }
}

fn dispatch(command: Command, ctx: &Context) -> anyhow::Result<Outcome> {
    match command {
        Command::Score(args) => commands::score::run(args, ctx),
        Command::Run(args) => commands::run::run(args, ctx),
        Command::Rescore(args) => commands::rescore::run(args, ctx),
        Command::Check(args) => commands::check::run(args, ctx),
        Command::Explain(args) => commands::explain::run(args, ctx),
        Command::Trace(args) => commands::trace::run(args, ctx),
        Command::Models { command } => commands::models::run(command, ctx),
        Command::Report(args) => commands::report::run(args, ctx),
        Command::Promises(args) => commands::promises::run(args, ctx),
        Command::Hotspots(args) => commands::hotspots::run(args, ctx),
        Command::Schema(args) => commands::schema::run(args, ctx),
        Command::Lint(args) => commands::lint::run(args, ctx),
        Command::Diff(args) => commands::diff::run(args, ctx),
        Command::Mutate(args) => commands::mutate::run(args, ctx),
    }
}
