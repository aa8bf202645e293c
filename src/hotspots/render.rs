//! Exporters of a [`HotspotReport`]: a text report for reading in a terminal
//! or pasting into mail, pretty JSON, and CSV for Excel (the one row shape of
//! a hotspot, also the report's `hotspots.csv`).

use std::fmt::Write as _;

use super::{Hotspot, HotspotReport};
use crate::report::{visible, Table};

/// The report as aligned text: overall, then week by week; ids and quoted
/// speech through [`visible`] (terminal-safe).
pub fn render_text(report: &HotspotReport) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "投诉热点 / complaint hotspots: {} calls, {} customer utterances",
        report.calls, report.customer_utterances
    );
    if !report.undated_calls.is_empty() {
        let _ = write!(
            out,
            ", {} without a date ({})",
            report.undated_calls.len(),
            visible(&report.undated_calls.join(" "))
        );
    }
    out.push_str("\n\n");
    out.push_str("Overall\n");
    table(&mut out, &report.overall);
    for week in &report.weeks {
        let _ = writeln!(
            out,
            "\nWeek {} (from {}), {} calls",
            week.period, week.week_start, week.calls
        );
        table(&mut out, &week.hotspots);
    }
    out
}

fn table(out: &mut String, hotspots: &[Hotspot]) {
    if hotspots.is_empty() {
        out.push_str("  (no complaint mentioned in enough calls)\n");
        return;
    }
    let phrase_width = hotspots
        .iter()
        .map(|h| display_width(&visible(&h.phrase)))
        .max()
        .unwrap_or(0)
        .max(display_width("phrase"));
    let _ = writeln!(
        out,
        "  {:>4}  {}  {:>5}  {:>8}  {:>7}  examples",
        "rank",
        pad("phrase", phrase_width),
        "calls",
        "mentions",
        "score"
    );
    for (index, hotspot) in hotspots.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {:>4}  {}  {:>5}  {:>8}  {:>7.3}  {}",
            index + 1,
            pad(&visible(&hotspot.phrase), phrase_width),
            hotspot.calls,
            hotspot.mentions,
            hotspot.score,
            visible(&hotspot.example_call_ids.join(" "))
        );
        for (call_id, snippet) in hotspot
            .example_call_ids
            .iter()
            .zip(&hotspot.example_snippets)
        {
            let _ = writeln!(
                out,
                "        {}: 「{}」",
                visible(call_id),
                visible(snippet)
            );
        }
    }
}

/// Terminal columns: CJK and full-width characters take two.
fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| {
            let wide = crate::text::is_cjk(c)
                || matches!(c as u32, 0x3000..=0x303F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6);
            if wide {
                2
            } else {
                1
            }
        })
        .sum()
}

fn pad(text: &str, width: usize) -> String {
    let mut out = text.to_string();
    out.extend(std::iter::repeat_n(
        ' ',
        width.saturating_sub(display_width(text)),
    ));
    out
}

/// The report as pretty JSON (the [`HotspotReport`] fields), newline-terminated.
pub fn render_json(report: &HotspotReport) -> String {
    // Serialising plain structs of strings and numbers cannot fail.
    let mut out = serde_json::to_string_pretty(report).unwrap_or_default();
    out.push('\n');
    out
}

/// One row per hotspot: `period` ("overall" or the ISO week), `rank`,
/// `phrase`, `score` (3 decimals, as the text report shows it), `calls`,
/// `mentions`, `example_call_ids` (space separated); through the one CSV
/// writer ([`crate::report::write_table`]: BOM, CRLF, formula guard). The
/// report's `csv/hotspots.csv` is this same table.
pub fn render_csv(report: &HotspotReport) -> String {
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
    table.to_csv_string()
}
