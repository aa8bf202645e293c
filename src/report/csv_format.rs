//! `--format csv`: one row per call and item (a long table that pivots well
//! in a spreadsheet); an input that could not be scored is one row with
//! `error` filled in.

use std::io::{self, Write};

use super::Exporter;
use crate::batch::Row;
use crate::score::Evidence;

pub struct CsvExporter {
    /// Prefix a UTF-8 byte-order mark so spreadsheet programs read Chinese correctly.
    pub bom: bool,
}

const HEADER: [&str; 16] = [
    "call_id",
    "agent_id",
    "file",
    "rubric",
    "rubric_sha256",
    "score",
    "passed",
    "critical_failed",
    "item",
    "verdict",
    "points",
    "max_points",
    "reason",
    "evidence",
    "matched",
    "error",
];

pub fn evidence_cell(evidence: &[Evidence]) -> String {
    evidence
        .iter()
        .map(|e| match (e.start_ms, e.end_ms) {
            (Some(s), Some(t)) => format!(
                "{} {:.1}-{:.1}s: {}",
                e.speaker,
                s as f64 / 1000.0,
                t as f64 / 1000.0,
                e.text
            ),
            _ => format!("{}: {}", e.speaker, e.text),
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

impl Exporter for CsvExporter {
    fn write(&self, rows: &[Row], out: &mut dyn Write) -> io::Result<()> {
        if self.bom {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let mut w = csv::Writer::from_writer(out);
        w.write_record(HEADER)?;
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
                        w.write_record([
                            card.call_id.as_str(),
                            card.agent_id.as_deref().unwrap_or(""),
                            &file,
                            &card.rubric,
                            &card.rubric_sha256,
                            &format!("{:.1}", card.score),
                            if card.passed { "true" } else { "false" },
                            if card.critical_failed {
                                "true"
                            } else {
                                "false"
                            },
                            &item.id,
                            item.verdict.as_str(),
                            &format!("{}", item.points),
                            &format!("{}", item.max_points),
                            &item.reason,
                            &evidence_cell(&item.evidence),
                            &matched.join("、"),
                            "",
                        ])?;
                    }
                }
                Err(message) => {
                    let mut record = vec![""; HEADER.len()];
                    record[2] = &file;
                    record[15] = message;
                    w.write_record(record)?;
                }
            }
        }
        w.flush()?;
        Ok(())
    }
}
