//! The report's CSV exports: the numbers of the pages, for Excel. The
//! call, agent and item tables are the report's own; promises and hotspots
//! are exactly what `callqa promises -f csv` and `callqa hotspots -f csv`
//! write (one row shape per dataset). All of them go through the one CSV
//! writer, [`crate::report::write_table`] (BOM, CRLF, formula guard).

use super::stats::agent_of;
use super::Report;
use crate::report::Table;

/// (file name, Chinese label, English label) of every export, in page order.
pub const FILES: [(&str, &str, &str); 5] = [
    ("calls.csv", "通话", "Calls"),
    ("agents.csv", "坐席", "Agents"),
    ("items.csv", "质检项", "Items"),
    ("promises.csv", "承诺", "Promises"),
    ("hotspots.csv", "投诉热点", "Hotspots"),
];

/// One export's text.
pub fn render(report: &Report<'_>, file: &str) -> String {
    match file {
        "calls.csv" => calls(report).to_csv_string(),
        "agents.csv" => agents(report).to_csv_string(),
        "items.csv" => items(report).to_csv_string(),
        "promises.csv" => {
            crate::report::promise_table(&report.promises, report.lang).to_csv_string()
        }
        _ => crate::report::hotspot_table(&report.hotspots).to_csv_string(),
    }
}

fn opt(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| format!("{v:.1}"))
}

fn calls(report: &Report<'_>) -> Table {
    let item_ids: Vec<String> = report.stats.items.iter().map(|i| i.id.clone()).collect();
    let mut table = Table::new(&[
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
    ]);
    table.header.extend(item_ids.iter().cloned());
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
        table.rows.push(row);
    }
    table
}

fn agents(report: &Report<'_>) -> Table {
    let mut table = Table::new(&[
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
    ]);
    let team = &report.stats.overall;
    for agent in &report.stats.agents {
        let rate = report.promise_rates.get(&agent.agent_id);
        table.rows.push(vec![
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
    table
}

fn items(report: &Report<'_>) -> Table {
    let mut table = Table::new(&[
        "item_id",
        "title",
        "critical",
        "pass",
        "fail",
        "review",
        "na",
        "failure_rate_percent",
    ]);
    for item in &report.stats.items {
        table.rows.push(vec![
            item.id.clone(),
            item.title.get(report.lang).to_string(),
            item.critical.to_string(),
            item.pass.to_string(),
            item.fail.to_string(),
            item.review.to_string(),
            item.na.to_string(),
            opt(item.failure_rate()),
        ]);
    }
    table
}
