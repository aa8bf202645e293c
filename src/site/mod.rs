//! `callqa report`: the supervisors' static HTML report, built from the
//! results store of one or more run folders.
//!
//! ```text
//! OUT/index.html            overview: calls, pass rate, mean score, distribution, weeks, items,
//!                           agents ranked for coaching, calls, the runs the calls come from
//! OUT/agents/<agent>.html   one agent against the team (items worst first), worst calls, trend,
//!                           promises, all calls; prints on one A4 page as the agent's scorecard
//! OUT/items/<item>.html     the calls that failed one rubric item or need its review
//! OUT/calls/<call>.html     transcript timeline, verdicts with evidence, audio that seeks to the evidence
//! OUT/review.html           the review queue: every item marked for review, and why
//! OUT/critical.html         the calls that failed a critical item
//! OUT/promises.html         promise follow-through (kept / broken / pending)
//! OUT/hotspots.html         complaint hotspots, overall and per ISO week
//! OUT/csv/*.csv             the same numbers for Excel (UTF-8 with BOM)
//! OUT/audio/<sha>.wav       browser-playable copies of the recordings
//! OUT/assets/               one style sheet, one small script
//! ```
//!
//! Every page is in one language ([`SiteOptions::lang`], Chinese by
//! default). Every table sorts by its headers and filters by a text box.
//! Nothing is fetched when a page opens: plots are inline SVG, fonts are
//! the system's CJK fonts, links are relative, so the folder can be zipped,
//! mailed and opened from the file system. Every number is computed once in
//! [`stats`] and printed from there, on pages and in CSVs alike.

pub mod exports;
pub mod html;
pub mod pages;
pub mod stats;
pub mod svg;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::hotspots::{HotspotExtractor, HotspotOptions, HotspotReport};
use crate::i18n::Lang;
use crate::pipeline::output::{write_atomically, write_atomically_with, OutputError};
use crate::promises::{self, AgentPromiseRate, FollowThrough};
use crate::store::Dataset;

pub use stats::Stats;

/// How recordings reach the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AudioMode {
    /// Decode each recording and write a 16-bit PCM WAV copy into
    /// `OUT/audio/` (every browser plays PCM; few play G.711 μ-law).
    #[default]
    Copy,
    /// Link the original files by relative path (smaller; plays only where
    /// the browser supports the recording's encoding and the path is reachable).
    Link,
    /// No audio player.
    None,
}

impl std::str::FromStr for AudioMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "copy" => Ok(AudioMode::Copy),
            "link" => Ok(AudioMode::Link),
            "none" => Ok(AudioMode::None),
            other => Err(format!(
                "`{other}` is not an audio mode; use copy, link or none"
            )),
        }
    }
}

/// What to build. `Default` so callers can write `..Default::default()`
/// and keep compiling when an option is added.
#[derive(Debug, Clone, Default)]
pub struct SiteOptions {
    pub out_dir: PathBuf,
    pub audio: AudioMode,
    /// "Now" for promise deadlines (RFC 3339); shown on every page.
    pub as_of: jiff::Timestamp,
    /// The page title; empty for the language's own ("通话质检报告").
    pub title: String,
    /// The language of every word on the pages (Chinese by default).
    pub lang: Lang,
}

/// A problem building the report.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("{}: cannot create the report folder: {source}", path.display())]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What the report shows, computed once and shared by the page renderers.
pub struct Report<'a> {
    pub dataset: &'a Dataset,
    pub stats: Stats,
    pub promises: FollowThrough,
    pub promise_rates: BTreeMap<String, AgentPromiseRate>,
    pub hotspots: HotspotReport,
    /// call id → audio `src` relative to a call page.
    pub audio: BTreeMap<String, String>,
    pub call_index: BTreeMap<String, usize>,
    pub lang: Lang,
    /// The offset times are shown in when a time belongs to no call (the
    /// as-of moment, run times): the one most of the calls carry, so a
    /// call centre in +08:00 reads its own clock.
    pub offset: jiff::tz::Offset,
    pub as_of_text: String,
    pub hotspot_options: HotspotOptions,
    pub title: String,
    pub subtitle: String,
    pub footer: String,
}

/// What was built, for the command's summary line.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteSummary {
    pub pages: usize,
    pub calls: usize,
    pub agents: usize,
    pub audio_files: usize,
    /// Recordings that could not be copied, with the reason (the call page
    /// says the recording is unavailable).
    pub audio_problems: Vec<String>,
    pub index: PathBuf,
}

/// Builds the report for `dataset` into `options.out_dir`.
pub fn build(dataset: &Dataset, options: &SiteOptions) -> Result<SiteSummary, SiteError> {
    let out = &options.out_dir;
    for sub in ["", "agents", "calls", "items", "csv", "assets", "audio"] {
        let dir = out.join(sub);
        fs::create_dir_all(&dir).map_err(|source| SiteError::Folder { path: dir, source })?;
    }
    let transcripts = dataset.transcripts();
    let promises = promises::follow_through_with(&run_rubric(dataset), &transcripts, options.as_of);
    let promise_rates = promises::agent_rates(&promises)
        .into_iter()
        .map(|rate| (rate.agent_id.clone(), rate))
        .collect();
    let hotspot_options = HotspotOptions::default();
    let hotspots = HotspotExtractor::new().report(&transcripts, &hotspot_options);
    let (audio, audio_files, audio_problems) = place_audio(dataset, out, options.audio);
    let call_index = dataset
        .calls
        .iter()
        .enumerate()
        .map(|(i, c)| (c.transcript.call_id.clone(), i))
        .collect();
    let lang = options.lang;
    let stats = Stats::compute(dataset);
    let offset = common_offset(&stats);
    let as_of_text = local_time(options.as_of, offset);
    let title = if options.title.trim().is_empty() {
        lang.pick("通话质检报告", "Call quality report").to_string()
    } else {
        options.title.clone()
    };
    let subtitle = match lang {
        Lang::Zh => format!(
            "评分标准 {} · 共 {} 通通话 · 数据截至 {}",
            dataset.rubric.label(),
            dataset.calls.len(),
            as_of_text
        ),
        Lang::En => format!(
            "Rubric {} · {} · as of {}",
            dataset.rubric.label(),
            html::calls_count(lang, dataset.calls.len()),
            as_of_text
        ),
    };
    let mut folders: Vec<String> = Vec::new();
    for source in &dataset.sources {
        let folder = source.out_dir.display().to_string();
        if !folders.contains(&folder) {
            folders.push(folder);
        }
    }
    let footer = format!(
        "callqa {} · {} {} · {} sha256 {}",
        env!("CARGO_PKG_VERSION"),
        lang.pick("结果文件夹", "run folders"),
        folders.join(", "),
        lang.pick("评分标准", "rubric"),
        dataset.rubric.sha256
    );
    let report = Report {
        dataset,
        stats,
        promises,
        promise_rates,
        hotspots,
        audio,
        call_index,
        lang,
        offset,
        as_of_text,
        hotspot_options,
        title,
        subtitle,
        footer,
    };

    let mut pages = 0;
    let mut write = |path: PathBuf, text: String| -> Result<(), SiteError> {
        write_atomically(&path, text.as_bytes())?;
        pages += 1;
        Ok(())
    };
    write(out.join("assets/report.css"), html::CSS.to_string())?;
    write(out.join("assets/report.js"), html::JS.to_string())?;
    write(out.join("index.html"), pages::overview(&report))?;
    write(out.join("promises.html"), pages::promises_page(&report))?;
    write(out.join("hotspots.html"), pages::hotspots_page(&report))?;
    write(out.join("review.html"), pages::review_page(&report))?;
    write(out.join("critical.html"), pages::critical_page(&report))?;
    for item in &report.stats.items {
        let path = out
            .join("items")
            .join(format!("{}.html", html::file_stem(&item.id)));
        write(path, pages::item_page(&report, item))?;
    }
    for agent in &report.stats.agents {
        let path = out
            .join("agents")
            .join(format!("{}.html", html::file_stem(&agent.agent_id)));
        write(path, pages::agent_page(&report, agent))?;
    }
    for (index, call) in dataset.calls.iter().enumerate() {
        let path = out.join("calls").join(format!(
            "{}.html",
            html::file_stem(&call.transcript.call_id)
        ));
        write(path, pages::call_page(&report, index))?;
    }
    for (file, _, _) in exports::FILES {
        write(out.join("csv").join(file), exports::render(&report, file))?;
    }
    Ok(SiteSummary {
        pages: pages - 2,
        calls: dataset.calls.len(),
        agents: report.stats.agents.len(),
        audio_files,
        audio_problems,
        index: out.join("index.html"),
    })
}

/// A moment on the clock of `offset`: "2026-11-23 12:00 (+08:00)".
pub fn local_time(stamp: jiff::Timestamp, offset: jiff::tz::Offset) -> String {
    let local = stamp.to_zoned(jiff::tz::TimeZone::fixed(offset));
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!(
        "{} ({sign}{:02}:{:02})",
        local.strftime("%Y-%m-%d %H:%M"),
        minutes / 60,
        minutes % 60
    )
}

/// The offset most calls carry (the earliest-written on a tie; UTC
/// when no call has a start time).
fn common_offset(stats: &Stats) -> jiff::tz::Offset {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for date in stats.dates.iter().flatten() {
        *counts.entry(date.offset.as_str()).or_default() += 1;
    }
    let best = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(offset, _)| *offset);
    best.and_then(parse_offset).unwrap_or(jiff::tz::Offset::UTC)
}

/// "+08:00" → an offset.
fn parse_offset(text: &str) -> Option<jiff::tz::Offset> {
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours: i32 = text.get(1..3)?.parse().ok()?;
    let minutes: i32 = text.get(4..6)?.parse().ok()?;
    jiff::tz::Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}

/// The exact character ranges an evidence line matched (`[start, end)` in
/// its `text`, in characters), when the scorer recorded them; empty for
/// evidence stored before spans existed or whose way back could not be
/// traced (the page then looks the matched phrases up). A span that does
/// not fit the text is dropped rather than drawn wrong.
pub fn evidence_spans(evidence: &crate::evidence::Evidence) -> Vec<[usize; 2]> {
    let chars = evidence.text.chars().count();
    evidence
        .spans
        .iter()
        .copied()
        .filter(|&[start, end]| start < end && end <= chars)
        .collect()
}
/// Puts each call's recording where its page can play it; returns the
/// `src` per call, the number of files written and the problems met.
fn place_audio(
    dataset: &Dataset,
    out: &Path,
    mode: AudioMode,
) -> (BTreeMap<String, String>, usize, Vec<String>) {
    let mut sources = BTreeMap::new();
    let mut written = 0;
    let mut problems = Vec::new();
    if mode == AudioMode::None {
        return (sources, 0, problems);
    }
    for call in &dataset.calls {
        let id = &call.transcript.call_id;
        if !call.audio_path.is_file() {
            problems.push(format!(
                "{}: recording of call {id} not found; the call page will have no player",
                call.audio_path.display()
            ));
            continue;
        }
        match mode {
            AudioMode::Link => {
                let absolute =
                    fs::canonicalize(&call.audio_path).unwrap_or_else(|_| call.audio_path.clone());
                let calls_dir =
                    fs::canonicalize(out.join("calls")).unwrap_or_else(|_| out.join("calls"));
                sources.insert(id.clone(), relative_url(&calls_dir, &absolute));
            }
            AudioMode::Copy => {
                // Named by content, so a re-run or two calls sharing a
                // recording write it once.
                // Redacted speech is silenced in the copy (another name).
                let muted = crate::redact::redacted_spans(&call.transcript);
                let name = format!(
                    "{}{}.wav",
                    &call.audio_sha256[..16.min(call.audio_sha256.len())],
                    crate::redact::copy_suffix(&muted)
                );
                let target = out.join("audio").join(&name);
                if !target.is_file() {
                    let mut decode_error = None;
                    let copied = write_atomically_with(&target, |file| {
                        write_playable_wav(&call.audio_path, &muted, file).map_err(|error| {
                            let message = error.to_string();
                            decode_error = Some(error);
                            std::io::Error::other(message)
                        })
                    });
                    match (copied, decode_error) {
                        (Ok(()), _) => written += 1,
                        (Err(_), Some(error)) => {
                            problems.push(format!("{}: {error}", call.audio_path.display()));
                            continue;
                        }
                        (Err(error), None) => {
                            problems.push(error.to_string());
                            continue;
                        }
                    }
                }
                sources.insert(id.clone(), format!("../audio/{name}"));
            }
            AudioMode::None => {}
        }
    }
    (sources, written, problems)
}

/// The recording decoded and written as 16-bit PCM WAV with its own
/// channels, which every browser plays, with the `muted` spans (redacted
/// speech, ms) silenced. Telephone recordings (8 kHz) go back to 8 kHz,
/// halving the copy: the decoder's 16 kHz holds nothing above their 4 kHz
/// band. Streamed block by block, so a recording of hours costs the memory
/// of one block; the sizes in the header are written once the length is
/// known.
fn write_playable_wav(
    path: &Path,
    muted: &[(u64, u64)],
    out: &mut fs::File,
) -> Result<(), CopyError> {
    use std::io::{BufWriter, Seek, SeekFrom};
    // Only scored calls reach the report, so a truncated recording here was
    // accepted by `run --accept-truncated`: play the part that was scored.
    let options = crate::audio::DecodeOptions {
        accept_truncated: true,
        ..Default::default()
    };
    let mut stream = crate::audio::AudioStream::open_with(path, &options)?;
    let decoded_rate = crate::audio::OUTPUT_SAMPLE_RATE;
    let source_rate = stream.source().rate;
    let factor = if source_rate > 0
        && source_rate < decoded_rate
        && decoded_rate.is_multiple_of(source_rate)
    {
        (decoded_rate / source_rate) as usize
    } else {
        1
    };
    let rate = decoded_rate / factor as u32;
    let muted = crate::redact::muted_frames(muted, rate);
    let mut writer = BufWriter::new(out);
    // Header first with the sizes left at zero; patched at the end.
    let header = |channels: usize, data_len: u32| {
        let mut bytes = Vec::with_capacity(44);
        bytes.extend_from_slice(b"RIFF");
        bytes.extend_from_slice(&36u32.saturating_add(data_len).to_le_bytes());
        bytes.extend_from_slice(b"WAVEfmt ");
        bytes.extend_from_slice(&16u32.to_le_bytes());
        bytes.extend_from_slice(&1u16.to_le_bytes());
        bytes.extend_from_slice(&(channels as u16).to_le_bytes());
        bytes.extend_from_slice(&rate.to_le_bytes());
        bytes.extend_from_slice(&(rate * channels as u32 * 2).to_le_bytes());
        bytes.extend_from_slice(&((channels * 2) as u16).to_le_bytes());
        bytes.extend_from_slice(&16u16.to_le_bytes());
        bytes.extend_from_slice(b"data");
        bytes.extend_from_slice(&data_len.to_le_bytes());
        bytes
    };
    let mut channels = 0usize;
    // Decoded samples not yet averaged into an output frame (a block's
    // length need not be a multiple of `factor`).
    let mut carry: Vec<Vec<f32>> = Vec::new();
    let mut frame: u64 = 0;
    let mut next_muted = 0usize;
    let mut data_len: u64 = 0;
    while let Some(block) = stream.next_block()? {
        if channels == 0 {
            channels = block.channels.len().max(1);
            carry = vec![Vec::new(); block.channels.len()];
            writer.write_all(&header(channels, 0))?;
        }
        for (pending, samples) in carry.iter_mut().zip(&block.channels) {
            pending.extend_from_slice(samples);
        }
        let frames = carry.first().map_or(0, Vec::len) / factor;
        for i in 0..frames {
            while next_muted < muted.len() && muted[next_muted].1 <= frame {
                next_muted += 1;
            }
            let silent = muted
                .get(next_muted)
                .is_some_and(|&(first, _)| first <= frame);
            for pending in &carry {
                let window = &pending[i * factor..(i + 1) * factor];
                let sample = if silent {
                    0.0
                } else {
                    (window.iter().sum::<f32>() / factor as f32).clamp(-1.0, 1.0)
                };
                writer.write_all(&((sample * 32767.0).round() as i16).to_le_bytes())?;
            }
            frame += 1;
        }
        for pending in &mut carry {
            pending.drain(..frames * factor);
        }
        data_len += (frames * channels * 2) as u64;
    }
    if channels == 0 {
        channels = 1;
        writer.write_all(&header(channels, 0))?;
    }
    let data_len = u32::try_from(data_len).map_err(|_| CopyError::TooLong)?;
    let out = writer.into_inner().map_err(|e| e.into_error())?;
    out.seek(SeekFrom::Start(0))?;
    out.write_all(&header(channels, data_len))?;
    Ok(())
}

/// Why a recording could not be copied into the report.
#[derive(Debug, thiserror::Error)]
enum CopyError {
    #[error(transparent)]
    Decode(#[from] crate::audio::AudioError),
    #[error("cannot write the copy: {0}")]
    Write(#[from] std::io::Error),
    #[error(
        "the copy would exceed the 4 GiB a WAV file can hold; make the report with --audio link"
    )]
    TooLong,
}

/// A relative URL from folder `from` to file `to` (both absolute).
fn relative_url(from: &Path, to: &Path) -> String {
    let from: Vec<_> = from.components().collect();
    let to_parts: Vec<_> = to.components().collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(
        to_parts[common..]
            .iter()
            .map(|c| percent_encode(&c.as_os_str().to_string_lossy())),
    );
    parts.join("/")
}

fn percent_encode(segment: &str) -> String {
    let mut out = String::new();
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_keep_the_calls_offset() {
        let stamp: jiff::Timestamp = "2026-11-20T09:30:00+08:00".parse().unwrap();
        let offset = parse_offset("+08:00").unwrap();
        assert_eq!(local_time(stamp, offset), "2026-11-20 09:30 (+08:00)");
        let offset = parse_offset("-05:30").unwrap();
        assert_eq!(local_time(stamp, offset), "2026-11-19 20:00 (-05:30)");
        assert_eq!(parse_offset("08:00"), None);
    }

    /// A report over the built-in rubric with no calls, as a folder whose
    /// run stored that rubric (its item labels through the store's JSON).
    fn empty_dataset() -> Dataset {
        let rubric = crate::rubric::load_and_compile(None).expect("the built-in rubric compiles");
        let items: Vec<crate::store::ItemInfo> = rubric
            .items
            .iter()
            .map(|item| crate::store::ItemInfo::of(&item.def))
            .collect();
        let stored = serde_json::to_string(&items).unwrap();
        Dataset {
            sources: Vec::new(),
            rubric: crate::store::RubricVersion {
                sha256: rubric.source.sha256.clone(),
                id: rubric.id().to_string(),
                title: rubric.source.file.rubric.title.clone(),
                version: rubric.source.file.rubric.version.clone(),
                pass_score: rubric.source.file.rubric.pass_score,
                items: serde_json::from_str(&stored).unwrap(),
                first_seen_unix: 0,
                source_text: rubric.source.text.clone(),
            },
            other_rubrics: Vec::new(),
            calls: Vec::new(),
            unscored: Vec::new(),
            duplicates: Vec::new(),
        }
    }

    #[test]
    fn an_item_page_says_what_the_item_checks_in_the_reports_language() {
        let dataset = empty_dataset();
        let dir = tempfile::tempdir().unwrap();
        let page = |lang: Lang| {
            let out_dir = dir.path().join(lang.code());
            let options = SiteOptions {
                out_dir: out_dir.clone(),
                audio: AudioMode::None,
                as_of: "2026-11-28T12:00:00+08:00".parse().unwrap(),
                title: String::new(),
                lang,
            };
            build(&dataset, &options).unwrap();
            fs::read_to_string(out_dir.join("items/compensation_timing.html")).unwrap()
        };
        let zh = page(Lang::Zh);
        // The rubric wraps its lines for a terminal; the page reads as one
        // paragraph, with no space where a Chinese line was broken.
        assert!(
            zh.contains("<strong>检查什么：</strong>客服提出补偿（赔付、赔偿、补偿、退款"),
            "{zh}"
        );
        assert!(zh.contains("时适用。首次提出补偿之前"), "{zh}");
        assert!(zh.contains("不能和解释一气呵成、一口气说完。"), "{zh}");
        assert!(
            !zh.contains("Applies when") && !zh.contains("What it checks"),
            "{zh}"
        );
        let en = page(Lang::En);
        assert!(
            en.contains(
                "<strong>What it checks: </strong>Applies when the agent offers compensation"
            ),
            "{en}"
        );
        assert!(
            en.contains("积分…). Passes only if, before the first offer,"),
            "{en}"
        );
        assert!(
            !en.contains("首次提出补偿之前") && !en.contains("检查什么"),
            "{en}"
        );

        // A run stored before rubrics had bilingual docs kept one string:
        // both languages show it.
        let old: crate::store::ItemInfo = serde_json::from_str(
            r#"{"id":"thanks","section":"规范","title":{"zh":"致谢","en":"Thanks"},"points":5.0,
                "critical":false,"what":"The agent thanks the customer at least once."}"#,
        )
        .unwrap();
        assert_eq!(
            old.what.get(Lang::Zh),
            "The agent thanks the customer at least once."
        );
    }

    #[test]
    fn relative_urls_climb_and_encode() {
        assert_eq!(
            relative_url(Path::new("/r/report/calls"), Path::new("/r/rec/通话 1.wav")),
            "../../rec/%E9%80%9A%E8%AF%9D%201.wav"
        );
        assert_eq!(
            relative_url(Path::new("/a"), Path::new("/a/b.wav")),
            "b.wav"
        );
    }
}

/// The rubric that scored the shown calls, compiled from the text the run
/// recorded, so promises on the pages come from the same promise act as the
/// scorecards. Dictionaries are not recorded with a rubric: the built-in one
/// stands in for `cs-dict.txt` and any other is left out (segmentation may
/// then differ slightly). A rubric without a promise act, or one that no
/// longer compiles, falls back to the built-in rubric.
fn run_rubric(dataset: &Dataset) -> crate::rubric::CompiledRubric {
    let text = &dataset.rubric.source_text;
    let compiled = crate::rubric::parse(&dataset.rubric.label(), text, |name| {
        Ok(crate::rubric::builtin_dictionary(name)
            .unwrap_or_else(|| (name.to_string(), String::new())))
    })
    .and_then(crate::rubric::CompiledRubric::compile);
    match compiled {
        Ok(rubric) if promises::check_rubric(&rubric).is_ok() => rubric,
        _ => crate::rubric::load_and_compile(None).expect("the built-in rubric compiles"),
    }
}
