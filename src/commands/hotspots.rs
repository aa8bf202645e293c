//! `callqa hotspots`: what customers complain about, overall and per ISO week.

use clap::Args;

use callqa::hotspots::{HotspotExtractor, HotspotOptions};
use callqa::report::{render_hotspots, DatasetFormat};

use super::args::DataArgs;
use super::{write_stdout, Context, Outcome};

#[derive(Args, Debug)]
pub struct HotspotsArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: DatasetFormat,
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
    let text = render_hotspots(&report, args.format, ctx.lang);
    write_stdout(&text)?;
    Ok(Outcome::Clean)
}
