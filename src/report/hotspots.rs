//! Exporters of complaint hotspots (`callqa hotspots`, and the report's
//! `csv/hotspots.csv`): a text report for a terminal or a mail, pretty JSON
//! for scripts, and CSV for Excel.
//!
//! [`hotspot_table`] is the one row shape of a hotspot: `hotspots -f csv`
//! and the report's export both write it through the one CSV writer
//! ([`super::write_table`]: BOM, CRLF, formula guard). A hotspot has no
//! human text of callqa's own (the phrase and snippets are the customers'
//! words), so its CSV and JSON are the same in both languages; the text
//! report's frame follows `lang` and states the threshold.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::dataset::{pad_left, pad_right, plural, DatasetExporter, DatasetFormat};
use super::{visible, write_table, Table};
use crate::hotspots::{Hotspot, HotspotReport};
use crate::i18n::Lang;

/// `callqa hotspots` (the default format): overall, then week by week.
pub struct HotspotsText;

/// `callqa hotspots -f json`: the [`HotspotReport`] fields, pretty.
pub struct HotspotsJson;

/// `callqa hotspots -f csv`: [`hotspot_table`] through the one CSV writer.
pub struct HotspotsCsv;

/// The exporter of hotspots in `format`.
pub fn hotspots_exporter(format: DatasetFormat) -> Box<dyn DatasetExporter<HotspotReport>> {
    match format {
        DatasetFormat::Text => Box::new(HotspotsText),
        DatasetFormat::Json => Box::new(HotspotsJson),
        DatasetFormat::Csv => Box::new(HotspotsCsv),
    }
}

/// `report` in `format` for a reader of `lang`, as one string.
pub fn render_hotspots(report: &HotspotReport, format: DatasetFormat, lang: Lang) -> String {
    hotspots_exporter(format).render(report, lang)
}

/// The one row shape of a hotspot: `period` (`overall` or the ISO week),
/// `rank`, `phrase`, `score` (3 decimals, as the text report shows it),
/// `calls`, `mentions`, `example_call_ids` (space separated). No column is
/// callqa's own prose, so the table is the same in every language.
pub fn hotspot_table(report: &HotspotReport) -> Table {
    let mut table = Table::new(&[
        "period",
        "rank",
        "phrase",
        "score",
        "calls",
        "mentions",
        "example_call_ids",
    ]);
    let periods = std::iter::once(("overall", &report.overall)).chain(
        report
            .weeks
            .iter()
            .map(|w| (w.period.as_str(), &w.hotspots)),
    );
    for (period, hotspots) in periods {
        for (index, hotspot) in hotspots.iter().enumerate() {
            table.rows.push(vec![
                period.to_string(),
                (index + 1).to_string(),
                hotspot.phrase.clone(),
                format!("{:.3}", hotspot.score),
                hotspot.calls.to_string(),
                hotspot.mentions.to_string(),
                hotspot.example_call_ids.join(" "),
            ]);
        }
    }
    table
}

impl DatasetExporter<HotspotReport> for HotspotsCsv {
    fn write(&self, report: &HotspotReport, _lang: Lang, out: &mut dyn Write) -> io::Result<()> {
        write_table(&hotspot_table(report), out)
    }
}

impl DatasetExporter<HotspotReport> for HotspotsJson {
    fn write(&self, report: &HotspotReport, _lang: Lang, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, report)?;
        out.write_all(b"\n")
    }
}

impl DatasetExporter<HotspotReport> for HotspotsText {
    fn write(&self, report: &HotspotReport, lang: Lang, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(text(report, lang).as_bytes())
    }
}

fn text(report: &HotspotReport, lang: Lang) -> String {
    let mut out = String::new();
    let undated = report.undated_calls.len();
    let undated_ids = visible(&report.undated_calls.join(" ")).into_owned();
    match lang {
        Lang::Zh => {
            let _ = write!(
                out,
                "投诉热点：{} 通通话，客户发言 {} 句",
                report.calls, report.customer_utterances
            );
            if undated > 0 {
                let _ = write!(
                    out,
                    "；其中 {undated} 通没有日期（{undated_ids}），只计入总体"
                );
            }
            let _ = writeln!(
                out,
                "\n入选标准：某时段内至少 {} 通通话中有客户提到；每个时段最多列出 {} 个",
                report.min_calls, report.top
            );
        }
        Lang::En => {
            let _ = write!(
                out,
                "complaint hotspots: {}, {}",
                plural(report.calls, "call", "calls"),
                plural(
                    report.customer_utterances,
                    "customer utterance",
                    "customer utterances"
                )
            );
            if undated > 0 {
                let _ = write!(
                    out,
                    ", {undated} without a date ({undated_ids}), counted overall only"
                );
            }
            let _ = writeln!(
                out,
                "\nthreshold: customers mention it in at least {} of a period; at most {} listed per period",
                plural(report.min_calls, "call", "calls"),
                report.top
            );
        }
    }
    out.push('\n');
    out.push_str(lang.pick("总体\n", "Overall\n"));
    table(&mut out, &report.overall, report.min_calls, lang);
    for week in &report.weeks {
        let _ = match lang {
            Lang::Zh => writeln!(
                out,
                "\n{}（{} 起），{} 通通话",
                week_zh(&week.period),
                week.week_start,
                week.calls
            ),
            Lang::En => writeln!(
                out,
                "\nWeek {} (from {}), {}",
                week.period,
                week.week_start,
                plural(week.calls, "call", "calls")
            ),
        };
        table(&mut out, &week.hotspots, report.min_calls, lang);
    }
    out
}

/// `2026-W48` as `2026 年第 48 周`.
fn week_zh(period: &str) -> String {
    match period.split_once("-W") {
        Some((year, week)) if week.parse::<u32>().is_ok() => {
            format!("{year} 年第 {} 周", week.trim_start_matches('0'))
        }
        _ => period.to_string(),
    }
}

fn table(out: &mut String, hotspots: &[Hotspot], min_calls: usize, lang: Lang) {
    if hotspots.is_empty() {
        let _ = match lang {
            Lang::Zh => writeln!(out, "  （没有投诉在至少 {min_calls} 通通话中被提到）"),
            Lang::En => writeln!(
                out,
                "  (no complaint mentioned in at least {})",
                plural(min_calls, "call", "calls")
            ),
        };
        return;
    }
    let [rank, phrase, calls, mentions, score, examples] = match lang {
        Lang::Zh => ["排名", "热点", "通话数", "提及次数", "热度", "示例通话"],
        Lang::En => ["rank", "phrase", "calls", "mentions", "score", "examples"],
    };
    let rows: Vec<[String; 6]> = hotspots
        .iter()
        .enumerate()
        .map(|(index, h)| {
            [
                (index + 1).to_string(),
                visible(&h.phrase).into_owned(),
                h.calls.to_string(),
                h.mentions.to_string(),
                format!("{:.3}", h.score),
                visible(&h.example_call_ids.join(" ")).into_owned(),
            ]
        })
        .collect();
    let headers = [rank, phrase, calls, mentions, score, examples];
    let width = |column: usize| {
        rows.iter()
            .map(|r| super::dataset::display_width(&r[column]))
            .chain([super::dataset::display_width(headers[column])])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..5).map(width).collect();
    let line = |cells: [&str; 6]| {
        format!(
            "  {}  {}  {}  {}  {}  {}",
            pad_left(cells[0], widths[0]),
            pad_right(cells[1], widths[1]),
            pad_left(cells[2], widths[2]),
            pad_left(cells[3], widths[3]),
            pad_left(cells[4], widths[4]),
            cells[5]
        )
    };
    let _ = writeln!(out, "{}", line(headers));
    let colon = lang.pick("：", ": ");
    let indent = " ".repeat(widths[0] + 4);
    for (row, hotspot) in rows.iter().zip(hotspots) {
        let cells = [row[0].as_str(), &row[1], &row[2], &row[3], &row[4], &row[5]];
        let _ = writeln!(out, "{}", line(cells));
        for (call_id, snippet) in hotspot
            .example_call_ids
            .iter()
            .zip(&hotspot.example_snippets)
        {
            let _ = writeln!(
                out,
                "{indent}{}{colon}「{}」",
                visible(call_id),
                visible(snippet)
            );
        }
    }
}
