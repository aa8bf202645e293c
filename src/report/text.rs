//! `--format text`: a scorecard a person reads in a terminal.

use std::io::{self, Write};

use super::Exporter;
use crate::batch::Row;
use crate::score::Verdict;

pub struct TextExporter {
    pub color: bool,
}

impl TextExporter {
    fn paint(&self, verdict: Verdict) -> String {
        let word = verdict.as_str().to_uppercase();
        if !self.color {
            return format!("{word:<6}");
        }
        let code = match verdict {
            Verdict::Pass => "32",
            Verdict::Fail => "31",
            Verdict::Na => "90",
            Verdict::Review => "33",
        };
        format!("\x1b[{code}m{word:<6}\x1b[0m")
    }
}

impl Exporter for TextExporter {
    fn write(&self, rows: &[Row], out: &mut dyn Write) -> io::Result<()> {
        for (n, row) in rows.iter().enumerate() {
            if n > 0 {
                writeln!(out)?;
            }
            let card = match &row.result {
                Ok(card) => card,
                Err(message) => {
                    writeln!(out, "error: {message}")?;
                    continue;
                }
            };
            writeln!(
                out,
                "{}  agent {}  score {:.1}  {}{}",
                card.call_id,
                card.agent_id.as_deref().unwrap_or("-"),
                card.score,
                if card.passed { "PASSED" } else { "FAILED" },
                if card.critical_failed {
                    " (critical item failed)"
                } else {
                    ""
                }
            )?;
            writeln!(
                out,
                "  rubric {} sha256 {}  file {}",
                card.rubric,
                &card.rubric_sha256[..12.min(card.rubric_sha256.len())],
                row.file.display()
            )?;
            for item in &card.items {
                let points = if item.max_points > 0.0 || item.critical {
                    if item.critical {
                        "critical".to_string()
                    } else {
                        format!("{:>4}/{:<3}", item.points, item.max_points)
                    }
                } else {
                    "flag".to_string()
                };
                writeln!(
                    out,
                    "  {} {:<20} {:<9} {}",
                    self.paint(item.verdict),
                    item.id,
                    points,
                    item.reason
                )?;
                if matches!(item.verdict, Verdict::Fail | Verdict::Review) {
                    for e in &item.evidence {
                        let when = match (e.start_ms, e.end_ms) {
                            (Some(s), Some(t)) => {
                                format!("{:>6.1}-{:<6.1}s ", s as f64 / 1000.0, t as f64 / 1000.0)
                            }
                            _ => String::new(),
                        };
                        let matched = if e.matched.is_empty() {
                            String::new()
                        } else {
                            format!("  [{}]", e.matched.join("、"))
                        };
                        writeln!(out, "         {when}{}: {}{matched}", e.speaker, e.text)?;
                    }
                }
            }
        }
        Ok(())
    }
}
