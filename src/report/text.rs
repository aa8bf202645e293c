//! `--format text`: a scorecard a person reads in a terminal, in Chinese
//! by default or in English; the words every human output of a scorecard
//! shares (verdicts, speakers, times: [`verdict_word`], [`speaker_word`],
//! [`seconds_span`]) and column padding by display width ([`pad`]: a
//! Chinese character takes two terminal columns); and [`visible`], the one
//! way text that came from input (call and agent ids, file names,
//! transcript text, error messages quoting them) is made safe to print to
//! a terminal.

use std::borrow::Cow;
use std::io::{self, Write};

use super::{Exporter, ItemTitles};
use crate::batch::Row;
use crate::evidence::Evidence;
use crate::i18n::Lang;
use crate::score::Verdict;
use crate::transcript::Role;

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

/// How many terminal columns `text` takes: two for East Asian wide and
/// fullwidth characters (汉字, fullwidth punctuation such as ，。「」, kana,
/// hangul, most emoji), none for combining marks and zero-width
/// characters, one for everything else. A small table instead of a
/// dependency: these ranges are the ones Chinese call text uses.
pub fn display_width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    match c as u32 {
        0x0300..=0x036F | 0x200B..=0x200F | 0xFE00..=0xFE0F => 0,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x2FFFD
        | 0x30000..=0x3FFFD => 2,
        _ => 1,
    }
}

/// `text` followed by spaces up to `width` terminal columns (text already
/// wider is left as it is).
pub fn pad(text: &str, width: usize) -> String {
    let fill = width.saturating_sub(display_width(text));
    format!("{text}{}", " ".repeat(fill))
}

/// A verdict as a person reads it: 通过 / 未通过 / 不适用 / 待复核, or
/// PASS / FAIL / N/A / REVIEW.
pub fn verdict_word(verdict: Verdict, lang: Lang) -> &'static str {
    match verdict {
        Verdict::Pass => lang.pick("通过", "PASS"),
        Verdict::Fail => lang.pick("未通过", "FAIL"),
        Verdict::Na => lang.pick("不适用", "N/A"),
        Verdict::Review => lang.pick("待复核", "REVIEW"),
    }
}

/// The speaker of an utterance: 客服 / 客户 (agent / customer) for the
/// two sides however the transcript labelled them; any other label (an
/// IVR, a third party) as written.
pub fn speaker_word(speaker: &str, lang: Lang) -> Cow<'_, str> {
    match Role::from_speaker(speaker) {
        Role::Agent => Cow::Borrowed(lang.pick("客服", "agent")),
        Role::Customer => Cow::Borrowed(lang.pick("客户", "customer")),
        Role::Other => visible(speaker),
    }
}

/// An utterance's time span: `12.3–15.0 秒` or `12.3–15.0 s`; empty
/// when the transcript has no times.
pub fn seconds_span(evidence: &Evidence, lang: Lang) -> String {
    match (evidence.start_ms, evidence.end_ms) {
        (Some(s), Some(t)) => format!(
            "{:.1}–{:.1} {}",
            s as f64 / 1000.0,
            t as f64 / 1000.0,
            lang.pick("秒", "s")
        ),
        _ => String::new(),
    }
}

/// One evidence utterance for a terminal: time, speaker, the words as
/// said, and the phrases that matched, e.g.
/// `12.3–15.0 秒  客服：您好，请问有什么可以帮您？（命中：您好）`.
pub fn evidence_line(evidence: &Evidence, lang: Lang) -> String {
    let when = seconds_span(evidence, lang);
    let when = if when.is_empty() {
        when
    } else {
        format!("{when}  ")
    };
    let speaker = speaker_word(&evidence.speaker, lang);
    let text = visible(&evidence.text);
    let matched = if evidence.matched.is_empty() {
        String::new()
    } else {
        // The same words matched twice are one phrase to a reader.
        let phrases = distinct(&evidence.matched).join(lang.pick("、", ", "));
        let phrases = visible(&phrases).into_owned();
        match lang {
            Lang::Zh => format!("（命中：{phrases}）"),
            Lang::En => format!("  (matched: {phrases})"),
        }
    };
    match lang {
        Lang::Zh => format!("{when}{speaker}：{text}{matched}"),
        Lang::En => format!("{when}{speaker}: {text}{matched}"),
    }
}

/// `phrases` without repeats, in first-seen order.
pub fn distinct(phrases: &[String]) -> Vec<&str> {
    let mut seen: Vec<&str> = Vec::new();
    for p in phrases {
        if !seen.contains(&p.as_str()) {
            seen.push(p);
        }
    }
    seen
}

/// Columns of a verdict word: the widest of both languages (未通过 and
/// REVIEW are six), so the item titles line up.
const VERDICT_COLUMNS: usize = 6;

pub struct TextExporter {
    pub color: bool,
    pub lang: Lang,
    /// Item titles shown beside the ids; ids alone without them.
    pub titles: ItemTitles,
}

impl TextExporter {
    fn paint(&self, verdict: Verdict) -> String {
        let word = pad(verdict_word(verdict, self.lang), VERDICT_COLUMNS);
        if !self.color {
            return word;
        }
        let code = match verdict {
            Verdict::Pass => "32",
            Verdict::Fail => "31",
            Verdict::Na => "90",
            Verdict::Review => "33",
        };
        format!("\x1b[{code}m{word}\x1b[0m")
    }

    fn points(&self, item: &crate::score::ItemResult) -> String {
        if item.critical {
            self.lang.pick("关键项", "critical").to_string()
        } else if item.max_points <= 0.0 {
            // No points: a coaching flag.
            self.lang.pick("提示项", "flag").to_string()
        } else if matches!(item.verdict, Verdict::Na | Verdict::Review) {
            // Left out of the score (not applicable, or waiting for a
            // person): `0/15` would read as 15 points lost.
            "-".to_string()
        } else {
            format!("{}/{}", item.points, item.max_points)
        }
    }
}

impl Exporter for TextExporter {
    fn write(&self, rows: &[Row], out: &mut dyn Write) -> io::Result<()> {
        let lang = self.lang;
        for (n, row) in rows.iter().enumerate() {
            if n > 0 {
                writeln!(out)?;
            }
            let card = match &row.result {
                Ok(card) => card,
                Err(message) => {
                    let label = lang.pick("出错：", "error: ");
                    writeln!(out, "{label}{}", visible_lines(message))?;
                    continue;
                }
            };
            let call = visible(&card.call_id);
            let agent = visible(card.agent_id.as_deref().unwrap_or("-"));
            let outcome = match (card.passed, lang) {
                (true, Lang::Zh) => "通过",
                (false, Lang::Zh) => "未通过",
                (true, Lang::En) => "PASSED",
                (false, Lang::En) => "FAILED",
            };
            let critical = match (card.critical_failed, lang) {
                (false, _) => "",
                (true, Lang::Zh) => "（关键项未通过）",
                (true, Lang::En) => " (a critical item failed)",
            };
            let rubric = visible(&card.rubric);
            let sha = visible(card.rubric_sha256.get(..12).unwrap_or(&card.rubric_sha256));
            let file = row.file.display().to_string();
            let file = visible(&file);
            match lang {
                Lang::Zh => {
                    writeln!(
                        out,
                        "通话 {call}  坐席 {agent}  得分 {:.1}  {outcome}{critical}",
                        card.score
                    )?;
                    writeln!(out, "  评分表 {rubric}  sha256 {sha}  文件 {file}")?;
                }
                Lang::En => {
                    writeln!(
                        out,
                        "call {call}  agent {agent}  score {:.1}  {outcome}{critical}",
                        card.score
                    )?;
                    writeln!(out, "  rubric {rubric}  sha256 {sha}  file {file}")?;
                }
            }
            let labels: Vec<String> = card
                .items
                .iter()
                .map(|item| visible(&self.titles.label(&item.id, lang)).into_owned())
                .collect();
            let label_columns = labels.iter().map(|l| display_width(l)).max().unwrap_or(0);
            let points: Vec<String> = card.items.iter().map(|i| self.points(i)).collect();
            let points_columns = points.iter().map(|p| display_width(p)).max().unwrap_or(0);
            for ((item, label), points) in card.items.iter().zip(&labels).zip(&points) {
                writeln!(
                    out,
                    "  {} {}  {}  {}",
                    self.paint(item.verdict),
                    pad(label, label_columns),
                    pad(points, points_columns),
                    visible(item.reason_in(lang))
                )?;
                if matches!(item.verdict, Verdict::Fail | Verdict::Review) {
                    for e in &item.evidence {
                        // Under the item's title: 2 + verdict + 1.
                        writeln!(
                            out,
                            "{}{}",
                            " ".repeat(3 + VERDICT_COLUMNS),
                            evidence_line(e, lang)
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

    #[test]
    fn chinese_takes_two_columns() {
        assert_eq!(display_width("A017"), 4);
        assert_eq!(display_width("未通过"), 6);
        assert_eq!(display_width("「您好，」"), 10);
        assert_eq!(pad("通过", 6), "通过  ");
        assert_eq!(pad("REVIEW", 6), "REVIEW");
        assert_eq!(display_width(&pad("开场问候", 12)), 12);
        for verdict in [Verdict::Pass, Verdict::Fail, Verdict::Na, Verdict::Review] {
            for lang in [Lang::Zh, Lang::En] {
                assert!(display_width(verdict_word(verdict, lang)) <= VERDICT_COLUMNS);
            }
        }
    }

    #[test]
    fn speakers_and_times_read_in_each_language() {
        // Built from JSON so fields added later (with defaults) need no edit.
        let e: Evidence = serde_json::from_value(serde_json::json!({
            "speaker": "agent",
            "start_ms": 800,
            "end_ms": 2300,
            "text": "您好，您好",
            "matched": ["您好", "您好"],
        }))
        .unwrap();
        assert_eq!(
            evidence_line(&e, Lang::Zh),
            "0.8–2.3 秒  客服：您好，您好（命中：您好）"
        );
        assert_eq!(
            evidence_line(&e, Lang::En),
            "0.8–2.3 s  agent: 您好，您好  (matched: 您好)"
        );
        assert_eq!(speaker_word("客户", Lang::En), "customer");
        assert_eq!(speaker_word("IVR", Lang::Zh), "IVR");
    }
}
