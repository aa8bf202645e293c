//! The report's CSV exports: the numbers of the pages, for Excel. UTF-8
//! with a byte-order mark (without it Excel reads Chinese as mojibake),
//! CRLF line ends, and cells that could be read as formulas prefixed with
//! an apostrophe, so a transcript starting with `=` or `+` stays text.

use super::stats::agent_of;
use super::Report;

/// (file name, link label) of every export, in page order.
pub const FILES: [(&str, &str); 5] = [
    ("calls.csv", "通话 Calls"),
    ("agents.csv", "坐席 Agents"),
    ("items.csv", "项目 Items"),
    ("promises.csv", "承诺 Promises"),
    ("hotspots.csv", "投诉热点 Hotspots"),
];

/// One export's text.
pub fn render(report: &Report<'_>, file: &str) -> String {
    let rows = match file {
        "calls.csv" => calls(report),
        "agents.csv" => agents(report),
        "items.csv" => items(report),
        "promises.csv" => promises(report),
        _ => hotspots(report),
    };
    let mut text = String::from("\u{feff}");
    for row in rows {
        let cells: Vec<String> = row.iter().map(|cell| cell_text(cell)).collect();
        text.push_str(&cells.join(","));
        text.push_str("\r\n");
    }
    text
}

/// Quotes when needed; neutralises formula starts.
pub fn cell_text(cell: &str) -> String {
    let guarded =
        if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.parse::<f64>().is_err() {
            format!("'{cell}")
        } else {
            cell.to_string()
        };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

fn opt(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| format!("{v:.1}"))
}

fn calls(report: &Report<'_>) -> Vec<Vec<String>> {
    let item_ids: Vec<String> = report.stats.items.iter().map(|i| i.id.clone()).collect();
    let mut header: Vec<String> = [
        "call_id",
        "agent_id",
        "customer_id",
        "started_at",
        "week",
        "direction",
        "duration_s",
        "score",
        "passed",
        "critical_failed",
        "rubric",
        "rubric_sha256",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(item_ids.iter().cloned());
    let mut rows = vec![header];
    for (index, call) in report.dataset.calls.iter().enumerate() {
        let card = &call.scorecard;
        let mut row = vec![
            card.call_id.clone(),
            agent_of(call).to_string(),
            call.transcript.customer_id.clone().unwrap_or_default(),
            call.transcript.started_at.clone().unwrap_or_default(),
            report.stats.dates[index]
                .as_ref()
                .map(|d| d.week.clone())
                .unwrap_or_default(),
            call.transcript.direction.clone().unwrap_or_default(),
            format!("{:.1}", call.audio_ms as f64 / 1000.0),
            format!("{:.1}", card.score),
            card.passed.to_string(),
            card.critical_failed.to_string(),
            card.rubric.clone(),
            card.rubric_sha256.clone(),
        ];
        for id in &item_ids {
            row.push(
                card.items
                    .iter()
                    .find(|i| &i.id == id)
                    .map(|i| i.verdict.as_str().to_string())
                    .unwrap_or_default(),
            );
        }
        rows.push(row);
    }
    rows
}

fn agents(report: &Report<'_>) -> Vec<Vec<String>> {
    let mut rows = vec![[
        "agent_id",
        "calls",
        "passed",
        "pass_rate_percent",
        "mean_score",
        "team_pass_rate_percent",
        "team_mean_score",
        "promises_kept",
        "promises_broken",
        "promises_pending",
        "most_failed_items",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()];
    let team = &report.stats.overall;
    for agent in &report.stats.agents {
        let rate = report.promise_rates.get(&agent.agent_id);
        rows.push(vec![
            agent.agent_id.clone(),
            agent.tally.calls.to_string(),
            agent.tally.passed.to_string(),
            opt(agent.tally.pass_rate()),
            opt(agent.tally.mean_score()),
            opt(team.pass_rate()),
            opt(team.mean_score()),
            rate.map_or(0, |r| r.kept).to_string(),
            rate.map_or(0, |r| r.broken).to_string(),
            rate.map_or(0, |r| r.pending).to_string(),
            agent
                .items
                .iter()
                .filter(|i| i.fail > 0)
                .take(3)
                .map(|i| i.id.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ]);
    }
    rows
}

fn items(report: &Report<'_>) -> Vec<Vec<String>> {
    let mut rows = vec![[
        "item_id",
        "title",
        "critical",
        "pass",
        "fail",
        "review",
        "na",
        "failure_rate_percent",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()];
    for item in &report.stats.items {
        rows.push(vec![
            item.id.clone(),
            item.title.clone(),
            item.critical.to_string(),
            item.pass.to_string(),
            item.fail.to_string(),
            item.review.to_string(),
            item.na.to_string(),
            opt(item.failure_rate()),
        ]);
    }
    rows
}

fn promises(report: &Report<'_>) -> Vec<Vec<String>> {
    let mut rows = vec![[
        "call_id",
        "agent_id",
        "customer_id",
        "started_at",
        "text",
        "time_expression",
        "kind",
        "deadline",
        "status",
        "follow_up_call_id",
        "reason",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()];
    for p in &report.promises.promises {
        rows.push(vec![
            p.call_id.clone(),
            p.agent_id.clone().unwrap_or_default(),
            p.customer_id.clone().unwrap_or_default(),
            p.started_at.clone(),
            p.text.clone(),
            p.time_expression.clone(),
            p.kind.as_str().to_string(),
            p.deadline.clone().unwrap_or_default(),
            serde_json::to_value(p.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            p.follow_up_call_id.clone().unwrap_or_default(),
            p.reason.clone(),
        ]);
    }
    rows
}

fn hotspots(report: &Report<'_>) -> Vec<Vec<String>> {
    let mut rows = vec![[
        "period",
        "rank",
        "phrase",
        "calls",
        "mentions",
        "score",
        "example_call_ids",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()];
    let mut push = |period: &str, list: &[crate::hotspots::Hotspot]| {
        for (rank, h) in list.iter().enumerate() {
            rows.push(vec![
                period.to_string(),
                (rank + 1).to_string(),
                h.phrase.clone(),
                h.calls.to_string(),
                h.mentions.to_string(),
                format!("{:.3}", h.score),
                h.example_call_ids.join(" "),
            ]);
        }
    };
    push("overall", &report.hotspots.overall);
    for week in &report.hotspots.weeks {
        push(&week.period, &week.hotspots);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(cell_text("客服"), "客服");
        assert_eq!(cell_text("a,b"), "\"a,b\"");
        assert_eq!(cell_text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell_text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell_text("-12.5"), "-12.5");
        assert_eq!(cell_text("+86 138"), "'+86 138");
    }
}
