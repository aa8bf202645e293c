//! `callqa hotspots`: what customers complain about, overall and per ISO week.

use clap::Args;

use callqa::hotspots::{HotspotExtractor, HotspotOptions};

use super::args::{DataArgs, TableFormat};
use super::{write_stdout, Context, Outcome};

#[derive(Args, Debug)]
pub struct HotspotsArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: TableFormat,
    /// Hotspots per period.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

pub fn run(args: HotspotsArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let options = HotspotOptions {
        top: args.top,
        ..Default::default()
    };
    let report = HotspotExtractor::new().report(&args.data.transcripts()?, &options);
    // lang: wired when hotspots' renderers take it (H7).
    let _ = ctx.lang;
    let text = match args.format {
        TableFormat::Text => callqa::hotspots::render_text(&report),
        TableFormat::Json => callqa::hotspots::render_json(&report),
        TableFormat::Csv => callqa::hotspots::render_csv(&report),
    };
    write_stdout(&text)?;
    Ok(Outcome::Clean)
}
