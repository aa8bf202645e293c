//! The one CSV writer of callqa, and the scorecard table.
//!
//! Every CSV callqa produces goes through [`write_table`]: `run`'s
//! `scorecards.csv`, `score -f csv`, `promises -f csv`, `hotspots -f csv`
//! and the report's exports. Each dataset has one row shape, defined once
//! beside its data ([`scorecard_table`] here, the promise and hotspot tables
//! in their modules, the report's call/agent/item tables in
//! `site::exports`); this module decides how any table becomes bytes:
//!
//! - UTF-8 with a byte-order mark: without it Excel reads the Chinese text
//!   as the ANSI code page (mojibake);
//! - CRLF line ends, as RFC 4180 and Excel write them;
//! - quoting by the `csv` crate (fields with `,`, `"`, CR or LF);
//! - the formula guard of [`guard_cell`].
//!
//! `--format csv` on `score` is one row per call and item (a long table that
//! pivots well in a spreadsheet); an input that could not be scored is one
//! row with `error` filled in. Its header is English and the same in every
//! language (scripts select columns by name), as are the machine cells
//! (ids, `pass`/`fail`/`na`/`review`, `true`/`false`, numbers); the cells a
//! person reads (`item_title`, `reason`, `evidence`) are in the chosen
//! language.

use std::borrow::Cow;
use std::io::{self, Write};

use super::text::{seconds_span, speaker_word};
use super::{Exporter, ItemTitles};
use crate::batch::Row;
use crate::i18n::Lang;
use crate::score::Evidence;

/// The UTF-8 byte-order mark every CSV starts with.
pub const BOM: &str = "\u{feff}";

/// A header and rows of cells: what a dataset hands to [`write_table`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// The whole file as text (BOM, CRLF, guarded cells).
    pub fn to_csv_string(&self) -> String {
        let mut bytes = Vec::new();
        // Writing to memory fails only on allocation failure, which aborts.
        let _ = write_table(self, &mut bytes);
        // Every cell is a &str, so the output is UTF-8.
        String::from_utf8(bytes).unwrap_or_default()
    }
}

/// Writes `table` as Excel-ready CSV (see the module documentation).
pub fn write_table(table: &Table, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(BOM.as_bytes())?;
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(
        table
            .header
            .iter()
            .map(|cell| guard_cell(cell).into_owned()),
    )?;
    for row in &table.rows {
        writer.write_record(row.iter().map(|cell| guard_cell(cell).into_owned()))?;
    }
    writer.flush()?;
    Ok(())
}

/// A cell as it goes into the file: prefixed with `'` when a spreadsheet
/// would read it as a formula.
///
/// Why: Excel, LibreOffice and Google Sheets evaluate a cell that starts
/// with `=`, `+`, `-` or `@` as a formula, and a tab or carriage return in
/// front does not stop them. Call ids, agent ids and transcript text come
/// from outside (a manifest, a vendor, what a caller said), so a cell like
/// `=HYPERLINK("http://…","点这里")` or `@SUM(…)` would run in the
/// supervisor's spreadsheet (CSV injection). OWASP's advice is to prefix
/// such cells with a single quote, which the spreadsheet shows as text.
///
/// Plain numbers are left alone: `-3.5` or `+12` is a number literal to a
/// spreadsheet, not a formula, and callqa's own numeric columns (a negative
/// delta, for one) must stay numbers that sum and sort. "Plain" means an
/// optional sign, ASCII digits and at most one decimal point with digits on
/// both sides; anything else (`-1+2`, `+86 138…`, `-inf`, `1e5`) is guarded.
pub fn guard_cell(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && parts.next().is_none_or(all_digits)
}

/// `score -f csv` and `run`'s `scorecards.csv` (the same table).
#[derive(Debug, Clone, Default)]
pub struct CsvExporter {
    /// The language of `item_title`, `reason` and `evidence`.
    pub lang: Lang,
    /// Item titles for `item_title` (empty without them).
    pub titles: ItemTitles,
}

/// The scorecard table's columns, in order (one row shape, whatever the
/// language).
pub const SCORECARD_HEADER: [&str; 17] = [
    "call_id",
    "agent_id",
    "file",
    "rubric",
    "rubric_sha256",
    "score",
    "passed",
    "critical_failed",
    "item",
    "item_title",
    "verdict",
    "points",
    "max_points",
    "reason",
    "evidence",
    "matched",
    "error",
];

/// The `evidence` cell: each utterance as `客服 12.3–15.0 秒：words` (or
/// `agent 12.3–15.0 s: words`), joined with ` | `.
pub fn evidence_cell(evidence: &[Evidence], lang: Lang) -> String {
    evidence
        .iter()
        .map(|e| {
            let speaker = speaker_word(&e.speaker, lang);
            let when = seconds_span(e, lang);
            let who = if when.is_empty() {
                speaker.into_owned()
            } else {
                format!("{speaker} {when}")
            };
            match lang {
                Lang::Zh => format!("{who}：{}", e.text),
                Lang::En => format!("{who}: {}", e.text),
            }
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// One row per call and item; one row with `file` and `error` per input
/// that could not be scored.
pub fn scorecard_table(rows: &[Row], lang: Lang, titles: &ItemTitles) -> Table {
    let mut table = Table::new(&SCORECARD_HEADER);
    let column = |name: &str| {
        SCORECARD_HEADER
            .iter()
            .position(|h| *h == name)
            .expect("a scorecard column")
    };
    for row in rows {
        let file = row.file.display().to_string();
        match &row.result {
            Ok(card) => {
                for item in &card.items {
                    let matched: Vec<String> = item
                        .evidence
                        .iter()
                        .flat_map(|e| e.matched.clone())
                        .collect();
                    let matched = super::text::distinct(&matched).join("、");
                    table.rows.push(vec![
                        card.call_id.clone(),
                        card.agent_id.clone().unwrap_or_default(),
                        file.clone(),
                        card.rubric.clone(),
                        card.rubric_sha256.clone(),
                        format!("{:.1}", card.score),
                        card.passed.to_string(),
                        card.critical_failed.to_string(),
                        item.id.clone(),
                        titles.get(&item.id, lang).unwrap_or_default().to_string(),
                        item.verdict.as_str().to_string(),
                        item.points.to_string(),
                        item.max_points.to_string(),
                        item.reason_in(lang).to_string(),
                        evidence_cell(&item.evidence, lang),
                        matched,
                        String::new(),
                    ]);
                }
            }
            Err(message) => {
                let mut record = vec![String::new(); SCORECARD_HEADER.len()];
                record[column("file")] = file;
                record[column("error")] = message.clone();
                table.rows.push(record);
            }
        }
    }
    table
}

impl Exporter for CsvExporter {
    fn write(&self, rows: &[Row], out: &mut dyn Write) -> io::Result<()> {
        write_table(&scorecard_table(rows, self.lang, &self.titles), out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_guarded_and_plain_numbers_kept() {
        for (cell, want) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+86 138", "'+86 138"),
            ("-1+2", "'-1+2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-inf", "'-inf"),
            ("-", "'-"),
            ("-.5", "'-.5"),
            ("1.", "1."),
            ("-3.5", "-3.5"),
            ("+12", "+12"),
            ("-0", "-0"),
            ("客服", "客服"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(guard_cell(cell), want, "{cell:?}");
        }
    }

    #[test]
    fn tables_have_a_bom_crlf_and_quoting() {
        let mut table = Table::new(&["a", "b"]);
        table.rows.push(vec!["x,y".into(), "say \"hi\"".into()]);
        table.rows.push(vec!["=1+1".into(), "-2.5".into()]);
        assert_eq!(
            table.to_csv_string(),
            "\u{feff}a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n'=1+1,-2.5\r\n"
        );
    }
}
