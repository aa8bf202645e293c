//! `callqa report`: the supervisors' static HTML report and its CSVs, from the
//! results database of one or more `callqa run` output folders.

use std::path::PathBuf;

use anyhow::{anyhow, bail};
use clap::Args;

use callqa::batch::count_en;
use callqa::i18n::Lang;
use callqa::report::{visible, visible_lines};
use callqa::site::{self, AudioMode, SiteOptions};

use super::args::DataArgs;
use super::{Context, Outcome};

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Folder to write the report into (created if needed).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Recordings: `copy` (browser-playable WAV beside the report), `link`
    /// (relative links to the originals) or `none`.
    #[arg(long, default_value = "copy", value_name = "copy|link|none")]
    pub audio: String,
    /// Page title (default: 通话质检报告, with --lang en: Call quality report).
    #[arg(long)]
    pub title: Option<String>,
    /// Replace customers' phone, 身份证 and card numbers, addresses and names
    /// with placeholders ([手机号]…) in every output and silence them in the copied recordings.
    #[arg(long)]
    pub redact: bool,
}

pub fn run(args: ReportArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let audio: AudioMode = args.audio.parse().map_err(|e| anyhow!("--audio: {e}"))?;
    if args.redact && audio == AudioMode::Link {
        bail!(
            "--redact with --audio link: the links would play the unredacted recordings; \
             use --audio copy (silenced copies) or --audio none"
        );
    }
    let mut dataset = args.data.load()?;
    if args.redact {
        callqa::redact::Policy::all().dataset(&mut dataset);
    }
    let options = SiteOptions {
        out_dir: args.out,
        audio,
        as_of: args.data.as_of()?,
        // Empty: the report's own title in its language.
        title: args.title.unwrap_or_default(),
        lang: ctx.lang,
        ..Default::default()
    };
    let summary = site::build(&dataset, &options)?;
    for problem in &summary.audio_problems {
        eprintln!("callqa: warning: {}", visible_lines(problem));
    }
    for id in &dataset.duplicates {
        let id = visible(id);
        eprintln!(
            "callqa: warning: {}",
            match ctx.lang {
                Lang::Zh =>
                    format!("通话 {id} 出现在多个结果文件夹中，报告采用第一个文件夹中的结果"),
                Lang::En =>
                    format!("call {id} is in more than one run folder; the first folder's is shown"),
            }
        );
    }
    let (rubric, index) = (dataset.rubric.label(), summary.index.display());
    eprintln!(
        "{}",
        match ctx.lang {
            Lang::Zh => format!(
                "callqa：报告含 {} 通电话、{} 名坐席，评分标准 {rubric}；共 {} 个页面，已复制录音 {} 个 → {index}",
                summary.calls, summary.agents, summary.pages, summary.audio_files
            ),
            Lang::En => format!(
                "callqa: report of {}, {}, rubric {rubric}: {}, {} copied → {index}",
                count_en(summary.calls, "call", "calls"),
                count_en(summary.agents, "agent", "agents"),
                count_en(summary.pages, "page", "pages"),
                count_en(summary.audio_files, "recording", "recordings")
            ),
        }
    );
    Ok(Outcome::Clean)
}
