//! The exporters of `callqa promises`: a text listing for a terminal, a JSON
//! list of promise objects for scripts, and CSV for Excel (the one row shape
//! of a promise, also the report's `promises.csv`).

use super::{FollowThrough, Promise, PromiseStatus};
use crate::report::{visible, Table};

/// One block per promise and a summary line; skipped calls at the end.
/// Ids and quoted speech go through [`visible`] (terminal-safe).
pub fn render_text(result: &FollowThrough) -> String {
    let count = |s: PromiseStatus| result.promises.iter().filter(|p| p.status == s).count();
    let mut out = format!(
        "{} promise(s) as of {}: {} kept, {} broken, {} pending, {} unverifiable\n",
        result.promises.len(),
        result.as_of,
        count(PromiseStatus::Kept),
        count(PromiseStatus::Broken),
        count(PromiseStatus::Pending),
        count(PromiseStatus::Unverifiable),
    );
    for p in &result.promises {
        out.push('\n');
        let at = p
            .start_ms
            .map(|ms| format!(" at {}", clock(ms)))
            .unwrap_or_default();
        out.push_str(&format!(
            "{:<7} {} {} (agent {}, customer {}){at}\n",
            p.status.as_str().to_uppercase(),
            p.kind.as_str(),
            visible(&p.call_id),
            visible(p.agent_id.as_deref().unwrap_or("?")),
            visible(p.customer_id.as_deref().unwrap_or("?")),
        ));
        out.push_str(&format!("        “{}”\n", visible(&p.text)));
        let time = match (&p.deadline, p.time_expression.as_str()) {
            (Some(deadline), words) => format!("{words} → deadline {deadline}"),
            (None, "") => "no time given (vague)".to_string(),
            (None, words) => format!("{words} → no deadline (vague)"),
        };
        out.push_str(&format!("        {}\n", visible(&time)));
        out.push_str(&format!("        {}\n", visible(&p.reason)));
    }
    if !result.skipped.is_empty() {
        out.push_str(&format!("\nskipped {} call(s):\n", result.skipped.len()));
        for s in &result.skipped {
            out.push_str(&format!(
                "  {}: {}\n",
                visible(&s.call_id),
                visible(&s.reason)
            ));
        }
    }
    out
}

/// A pretty JSON list of promise objects, with a trailing newline.
pub fn render_json(result: &FollowThrough) -> String {
    let mut out = serde_json::to_string_pretty(&result.promises).unwrap_or_else(|_| "[]".into());
    out.push('\n');
    out
}

const CSV_HEADER: [&str; 17] = [
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

/// One header row and one row per promise, through the one CSV writer
/// ([`crate::report::write_table`]: BOM, CRLF, formula guard). The report's
/// `csv/promises.csv` is this same table.
pub fn render_csv(result: &FollowThrough) -> String {
    let mut table = Table::new(&CSV_HEADER);
    table
        .rows
        .extend(result.promises.iter().map(|p| row(p).to_vec()));
    table.to_csv_string()
}

fn row(p: &Promise) -> [String; 17] {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let num = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    [
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
        p.reason.clone(),
    ]
}

fn clock(ms: u64) -> String {
    let s = ms / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}
