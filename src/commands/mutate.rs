//! `callqa mutate`: how brittle each rubric item is, by mutating golden calls
//! (see `callqa::mutate`); exit 1 when an item falls below `--min-keep` /
//! `--min-change`, 2 when an input could not be used.

use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, ValueEnum};

use callqa::mutate::{self, Kind, Settings, REGISTRY};
use callqa::report::visible_lines;
use callqa::transcript::collect_inputs;

use super::args::RubricArg;
use super::{display_paths, write_stdout, Context, Outcome};

#[derive(Args, Debug)]
pub struct MutateArgs {
    #[command(flatten)]
    pub rubric: RubricArg,
    /// Seed of every random choice (same seed, same output).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output: text (a person reads it) or json.
    #[arg(long, value_enum, default_value_t = MutateFormat::Text)]
    pub format: MutateFormat,
    /// Character error rates of the same-pinyin mutation, in 0..1.
    #[arg(long, value_delimiter = ',', default_values_t = [0.05, 0.10, 0.20])]
    pub rates: Vec<f64>,
    /// Only these mutations (ids from --list), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    pub only: Vec<String>,
    /// Exit 1 when an item keeps its verdict under less than this share of
    /// the must-keep mutations (0..1).
    #[arg(long, value_name = "SHARE")]
    pub min_keep: Option<f64>,
    /// Exit 1 when an item's verdict changes under less than this share of
    /// the must-change mutations that apply to it (0..1).
    #[arg(long, value_name = "SHARE")]
    pub min_change: Option<f64>,
    /// Brittle cases listed in the text output (0: all).
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub cases: usize,
    /// Print every mutation with its documentation and exit.
    #[arg(long)]
    pub list: bool,
    /// Golden fixture files or folders (transcripts; `expect` is not needed,
    /// the baseline is the rubric's own verdicts). Default: fixtures/golden.
    #[arg(value_name = "FIXTURES")]
    pub paths: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MutateFormat {
    Text,
    Json,
}

pub fn run(args: MutateArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    if args.list {
        write_stdout(&mutate::render_list(ctx.lang))?;
        return Ok(Outcome::Clean);
    }
    for (flag, v) in [
        ("--min-keep", args.min_keep),
        ("--min-change", args.min_change),
    ] {
        if let Some(v) = v {
            if !(0.0..=1.0).contains(&v) {
                bail!("{flag} {v}: give a share between 0 and 1, e.g. 0.9 for 90 %");
            }
        }
    }
    for &rate in &args.rates {
        if !(0.0..=1.0).contains(&rate) {
            bail!("--rates {rate}: a character error rate is between 0 and 1, e.g. 0.1 for 10 %");
        }
    }
    let mut mutations = Vec::new();
    for id in &args.only {
        match mutate::ops::lookup(id) {
            Some(m) => mutations.push(m),
            None => bail!(
                "--only {id}: no such mutation; the mutations are {} (`callqa mutate --list` documents them)",
                REGISTRY.iter().map(|m| m.id).collect::<Vec<_>>().join(", ")
            ),
        }
    }
    if mutations.is_empty() {
        mutations = REGISTRY.to_vec();
    }
    let rubric = args.rubric.load()?;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("fixtures/golden")]
    } else {
        args.paths
    };
    let files = collect_inputs(&paths, "json")?;
    if files.is_empty() {
        bail!("no fixtures (*.json) found in {}", display_paths(&paths));
    }
    let settings = Settings {
        seed: args.seed,
        rates: args.rates,
    };
    let report = mutate::run(&rubric, &files, &settings, &mutations);
    match args.format {
        MutateFormat::Text => {
            let max = (args.cases > 0).then_some(args.cases);
            write_stdout(&visible_lines(&mutate::render_text(&report, ctx.lang, max)))?;
        }
        MutateFormat::Json => {
            let json = serde_json::to_string_pretty(&mutate::to_json(&report))?;
            write_stdout(&format!("{json}\n"))?;
        }
    }
    let below = report.below(args.min_keep, args.min_change);
    for (item, kind, share) in &below {
        let title = report.titles.label(item, ctx.lang);
        let line = match (kind, ctx.lang) {
            (Kind::Keep, callqa::i18n::Lang::Zh) => format!(
                "callqa: {title} 的保持率 {:.1}% 低于 --min-keep {:.1}%",
                share * 100.0,
                args.min_keep.unwrap_or(0.0) * 100.0
            ),
            (Kind::Change, callqa::i18n::Lang::Zh) => format!(
                "callqa: {title} 的改变率 {:.1}% 低于 --min-change {:.1}%",
                share * 100.0,
                args.min_change.unwrap_or(0.0) * 100.0
            ),
            (Kind::Keep, callqa::i18n::Lang::En) => format!(
                "callqa: {title} kept its verdict under {:.1}% of the must-keep mutations, below --min-keep {:.1}%",
                share * 100.0,
                args.min_keep.unwrap_or(0.0) * 100.0
            ),
            (Kind::Change, callqa::i18n::Lang::En) => format!(
                "callqa: {title} changed its verdict under {:.1}% of the must-change mutations, below --min-change {:.1}%",
                share * 100.0,
                args.min_change.unwrap_or(0.0) * 100.0
            ),
        };
        eprintln!("{}", visible_lines(&line));
    }
    for c in report.calls.iter().filter_map(|c| c.error.as_ref()) {
        eprintln!("callqa: error: {}", visible_lines(c));
    }
    Ok(Outcome::of(report.errors() > 0, !below.is_empty()))
}
