//! `--format text`: a scorecard a person reads in a terminal; and
//! [`visible`], the one way text that came from input (call and agent ids,
//! file names, transcript text, error messages quoting them) is made safe
//! to print to a terminal.

use std::borrow::Cow;
use std::io::{self, Write};

use super::Exporter;
use crate::batch::Row;
use crate::score::Verdict;

/// `text` with every character that would act on a terminal instead of
/// showing up written out as a Rust escape (`\u{1b}`), so a call id such as
/// `"A1\x1b]0;pwned\x07"` cannot retitle the window, clear the screen,
/// fake a PASSED line or reverse what follows it. Escaped: C0 controls
/// (newline and tab included: one field stays on one line), DEL, C1
/// controls (U+0080–U+009F, which some terminals read as ESC sequences),
/// the bidirectional overrides, embeddings, isolates and marks, and the
/// Unicode line and paragraph separators. Everything else, Chinese
/// included, is kept.
pub fn visible(text: &str) -> Cow<'_, str> {
    escape_controls(text, false)
}

/// [`visible`] for a whole message that may span lines: newlines and tabs
/// are kept, everything else is escaped the same way.
pub fn visible_lines(text: &str) -> Cow<'_, str> {
    escape_controls(text, true)
}

fn escape_controls(text: &str, keep_lines: bool) -> Cow<'_, str> {
    let acts = |c: char| {
        let kept = keep_lines && matches!(c, '\n' | '\t');
        !kept
            && (c.is_control() // C0, DEL and C1
                || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}'
                    | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'))
    };
    if !text.chars().any(acts) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if acts(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

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
                    writeln!(out, "error: {}", visible_lines(message))?;
                    continue;
                }
            };
            writeln!(
                out,
                "{}  agent {}  score {:.1}  {}{}",
                visible(&card.call_id),
                visible(card.agent_id.as_deref().unwrap_or("-")),
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
                visible(&card.rubric),
                visible(card.rubric_sha256.get(..12).unwrap_or(&card.rubric_sha256)),
                visible(&row.file.display().to_string())
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
                    visible(&item.id),
                    points,
                    visible(&item.reason)
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
                            format!("  [{}]", visible(&e.matched.join("、")))
                        };
                        writeln!(
                            out,
                            "         {when}{}: {}{matched}",
                            visible(&e.speaker),
                            visible(&e.text)
                        )?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_are_written_out() {
        assert_eq!(visible("A017 客服"), "A017 客服");
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
        assert_eq!(visible("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(visible("x\u{9b}31m"), "x\\u{9b}31m");
        assert_eq!(visible("\u{202e}cba"), "\\u{202e}cba");
        assert_eq!(visible("a\nb\tc\r"), "a\\u{a}b\\u{9}c\\u{d}");
        assert_eq!(visible_lines("a\nb\tc\r\x07"), "a\nb\tc\\u{d}\\u{7}");
    }
}
