//! Exporters of promise follow-through (`callqa promises`, and the report's
//! `csv/promises.csv`): a text listing for a terminal, a JSON list of promise
//! objects for scripts, and CSV for Excel.
//!
//! [`promise_table`] is the one row shape of a promise: `promises -f csv`
//! and the report's export both write it through the one CSV writer
//! ([`super::write_table`]: BOM, CRLF, formula guard). Statuses, kinds, ids
//! and times are machine values in every language; only `reason` (and, in
//! the text listing, every label) follows `lang`.

use std::io::{self, Write};

use super::dataset::{plural, DatasetExporter, DatasetFormat};
use super::{visible, write_table, Table};
use crate::i18n::Lang;
use crate::promises::{FollowThrough, Promise, PromiseStatus};

/// `callqa promises` (the default format): a summary line, one block per
/// promise, and the calls that were skipped. Ids and quoted speech go
/// through [`visible`] (terminal-safe).
pub struct PromisesText;

/// `callqa promises -f json`: a pretty JSON list of promise objects (every
/// key always present), `reason` in the chosen language.
pub struct PromisesJson;

/// `callqa promises -f csv`: [`promise_table`] through the one CSV writer.
pub struct PromisesCsv;

/// The exporter of promises in `format`.
pub fn promises_exporter(format: DatasetFormat) -> Box<dyn DatasetExporter<FollowThrough>> {
    match format {
        DatasetFormat::Text => Box::new(PromisesText),
        DatasetFormat::Json => Box::new(PromisesJson),
        DatasetFormat::Csv => Box::new(PromisesCsv),
    }
}

/// `result` in `format` for a reader of `lang`, as one string.
pub fn render_promises(result: &FollowThrough, format: DatasetFormat, lang: Lang) -> String {
    promises_exporter(format).render(result, lang)
}

const HEADER: [&str; 17] = [
    "call_id",
    "agent_id",
    "customer_id",
    "started_at",
    "utterance_index",
    "start_ms",
    "end_ms",
    "text",
    "time_expression",
    "action",
    "kind",
    "deadline",
    "status",
    "follow_up_call_id",
    "follow_up_started_at",
    "complaint",
    "reason",
];

/// The one row shape of a promise: a header of machine names and one row
/// per promise; `kind` and `status` are machine values (`contact`, `kept`),
/// `reason` is in `lang`, so the two languages differ in that column only.
pub fn promise_table(result: &FollowThrough, lang: Lang) -> Table {
    let mut table = Table::new(&HEADER);
    table
        .rows
        .extend(result.promises.iter().map(|p| row(p, lang)));
    table
}

fn row(p: &Promise, lang: Lang) -> Vec<String> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let num = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    vec![
        p.call_id.clone(),
        opt(&p.agent_id),
        opt(&p.customer_id),
        p.started_at.clone(),
        p.utterance_index.to_string(),
        num(p.start_ms),
        num(p.end_ms),
        p.text.clone(),
        p.time_expression.clone(),
        p.action.clone(),
        p.kind.as_str().to_string(),
        opt(&p.deadline),
        p.status.as_str().to_string(),
        opt(&p.follow_up_call_id),
        opt(&p.follow_up_started_at),
        opt(&p.complaint),
        p.reason_in(lang).to_string(),
    ]
}

impl DatasetExporter<FollowThrough> for PromisesCsv {
    fn write(&self, result: &FollowThrough, lang: Lang, out: &mut dyn Write) -> io::Result<()> {
        write_table(&promise_table(result, lang), out)
    }
}

impl DatasetExporter<FollowThrough> for PromisesJson {
    fn write(&self, result: &FollowThrough, lang: Lang, out: &mut dyn Write) -> io::Result<()> {
        let chosen = result.in_lang(lang);
        serde_json::to_writer_pretty(&mut *out, &chosen.promises)?;
        out.write_all(b"\n")
    }
}

impl DatasetExporter<FollowThrough> for PromisesText {
    fn write(&self, result: &FollowThrough, lang: Lang, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(text(result, lang).as_bytes())
    }
}

fn text(result: &FollowThrough, lang: Lang) -> String {
    let count = |s: PromiseStatus| result.promises.iter().filter(|p| p.status == s).count();
    let as_of = show_as_of(result);
    let mut out = match lang {
        Lang::Zh => {
            let counts: Vec<String> = PromiseStatus::ALL
                .iter()
                .map(|&s| format!("{} {} 条", s.label(lang), count(s)))
                .collect();
            format!(
                "截至 {as_of}，共 {} 条承诺：{}\n",
                result.promises.len(),
                counts.join("，")
            )
        }
        Lang::En => {
            let counts: Vec<String> = PromiseStatus::ALL
                .iter()
                .map(|&s| format!("{} {}", count(s), s.label(lang)))
                .collect();
            format!(
                "{} as of {as_of}: {}\n",
                plural(result.promises.len(), "promise", "promises"),
                counts.join(", ")
            )
        }
    };
    for p in &result.promises {
        out.push('\n');
        out.push_str(&heading(p, lang));
        out.push('\n');
        let indent = "        ";
        out.push_str(&format!("{indent}“{}”\n", visible(&p.text)));
        out.push_str(&format!("{indent}{}\n", visible(&deadline_line(p, lang))));
        let why = lang.pick("依据：", "why: ");
        out.push_str(&format!("{indent}{why}{}\n", visible(p.reason_in(lang))));
    }
    if !result.skipped.is_empty() {
        let n = result.skipped.len();
        out.push_str(&match lang {
            Lang::Zh => format!("\n跳过 {n} 通通话：\n"),
            Lang::En => format!("\nskipped {}:\n", plural(n, "call", "calls")),
        });
        let colon = lang.pick("：", ": ");
        for s in &result.skipped {
            out.push_str(&format!(
                "  {}{colon}{}\n",
                visible(&s.call_id),
                visible(s.reason_in(lang))
            ));
        }
    }
    out
}

/// `【已兑现】回电/回复 · P-0101 0:12 · 坐席 A017 · 客户 C001` /
/// `KEPT  contact · P-0101 at 0:12 · agent A017 · customer C001`.
fn heading(p: &Promise, lang: Lang) -> String {
    let unknown = lang.pick("未知", "unknown");
    let agent = visible(p.agent_id.as_deref().unwrap_or(unknown)).into_owned();
    let customer = visible(p.customer_id.as_deref().unwrap_or(unknown)).into_owned();
    let call = visible(&p.call_id).into_owned();
    match lang {
        Lang::Zh => {
            let at = p
                .start_ms
                .map(|ms| format!(" {}", clock(ms)))
                .unwrap_or_default();
            format!(
                "【{}】{} · {call}{at} · 坐席 {agent} · 客户 {customer}",
                p.status.label(lang),
                p.kind.label(lang),
            )
        }
        Lang::En => {
            let at = p
                .start_ms
                .map(|ms| format!(" at {}", clock(ms)))
                .unwrap_or_default();
            format!(
                "{:<12} {} · {call}{at} · agent {agent} · customer {customer}",
                p.status.label(lang).to_uppercase(),
                p.kind.label(lang),
            )
        }
    }
}

/// The promised time: the words as said and the deadline they resolve to,
/// or that none was given.
fn deadline_line(p: &Promise, lang: Lang) -> String {
    let words = p.time_expression.as_str();
    let deadline = p.deadline.as_deref().map(show_rfc3339);
    match lang {
        Lang::Zh => match (deadline, words) {
            (Some(d), "") => format!("时限：{d}"),
            (Some(d), w) => format!("时限：{w} → {d}"),
            (None, "") => "时限：未给出（承诺含糊）".to_string(),
            (None, w) => format!("时限：{w} → 无明确时间（承诺含糊）"),
        },
        Lang::En => match (deadline, words) {
            (Some(d), "") => format!("deadline: {d}"),
            (Some(d), w) => format!("deadline: {w} → {d}"),
            (None, "") => "deadline: no time given (vague)".to_string(),
            (None, w) => format!("deadline: {w} → no definite time (vague)"),
        },
    }
}

/// The as-of moment in the UTC offset of the calls (the first promise's
/// call, as deadlines are shown in theirs): the people reading the list
/// work in it. UTC when there is no promise.
fn show_as_of(result: &FollowThrough) -> String {
    let offset = result.promises.first().and_then(|p| {
        jiff::fmt::temporal::Pieces::parse(p.started_at.as_str())
            .ok()?
            .to_numeric_offset()
    });
    match (result.as_of.parse::<jiff::Timestamp>(), offset) {
        (Ok(ts), Some(offset)) => ts
            .to_zoned(jiff::tz::TimeZone::fixed(offset))
            .strftime("%Y-%m-%d %H:%M %:z")
            .to_string(),
        _ => show_rfc3339(&result.as_of),
    }
}

/// `2026-11-21T17:00:00+08:00` as `2026-11-21 17:00 +08:00` (and a `Z`
/// time as `… UTC`); anything unreadable as written.
fn show_rfc3339(value: &str) -> String {
    if let Ok(ts) = value.parse::<jiff::Timestamp>() {
        if value.ends_with('Z') || value.ends_with('z') {
            return ts.strftime("%Y-%m-%d %H:%M UTC").to_string();
        }
        if let Ok(pieces) = jiff::fmt::temporal::Pieces::parse(value) {
            if let Some(offset) = pieces.to_numeric_offset() {
                let zoned = ts.to_zoned(jiff::tz::TimeZone::fixed(offset));
                return zoned.strftime("%Y-%m-%d %H:%M %:z").to_string();
            }
        }
    }
    value.to_string()
}

fn clock(ms: u64) -> String {
    let s = ms / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}
