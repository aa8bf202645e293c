//! The report's pages as HTML text: the overview, one page per agent, one
//! per call, the promises and the complaint hotspots. Pure functions of a
//! [`Report`]: the same data always gives the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::html::{agent_href, call_href, escape, number, percent, verdict_badge, Depth, Frame};
use super::stats::{agent_of, AgentStats, ItemRate, Stats, Tally};
use super::svg::{self, Series, TimelineBlock};
use super::Report;
use crate::hotspots::Hotspot;
use crate::promises::{Promise, PromiseStatus};
use crate::score::Evidence;
use crate::store::StoredCall;
use crate::text::normalize;
use crate::transcript::Role;

fn frame<'a>(report: &'a Report<'_>, title: &'a str, depth: Depth) -> Frame<'a> {
    Frame {
        title,
        depth,
        subtitle: &report.subtitle,
        footer: &report.footer,
    }
}

fn status_cell(status: PromiseStatus) -> String {
    let (class, label) = match status {
        PromiseStatus::Kept => ("kept", "已兑现 kept"),
        PromiseStatus::Broken => ("broken", "未兑现 broken"),
        PromiseStatus::Pending => ("pending", "待定 pending"),
        PromiseStatus::Unverifiable => ("unverifiable", "无法核实 unverifiable"),
    };
    format!(r#"<span class="status-{class}" data-status="{class}">{label}</span>"#)
}

fn cards(cards: &[(&str, String, &str)]) -> String {
    let mut html = String::from(r#"<div class="cards">"#);
    for (label, value, key) in cards {
        let _ = write!(
            html,
            r#"<div class="card" data-stat="{key}"><div class="value">{}</div><div class="label">{}</div></div>"#,
            escape(value),
            escape(label)
        );
    }
    html.push_str("</div>");
    html
}

fn item_table(items: &[ItemRate], limit: Option<usize>) -> String {
    let mut html = String::from(
        r#"<table class="items"><thead><tr><th>项目 Item</th><th class="num">未通过 Fail</th><th class="num">复核 Review</th><th class="num">通过 Pass</th><th class="num">不适用 N/A</th><th class="num">失败率 Failure rate</th></tr></thead><tbody>"#,
    );
    for item in items.iter().take(limit.unwrap_or(usize::MAX)) {
        let rate = item.failure_rate();
        let _ = write!(
            html,
            r#"<tr data-item="{id}"><td><b>{id}</b> {title}{critical}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num"><span class="failbar" style="width:{:.0}px"></span>{}</td></tr>"#,
            item.fail,
            item.review,
            item.pass,
            item.na,
            rate.unwrap_or(0.0),
            percent(rate),
            id = escape(&item.id),
            title = escape(&item.title),
            critical = if item.critical {
                " <small>(critical)</small>"
            } else {
                ""
            },
        );
    }
    html.push_str("</tbody></table>");
    html
}

fn week_table(weeks: &[super::stats::WeekStats]) -> String {
    let mut html = String::from(
        r#"<table class="weeks"><thead><tr><th>周 Week</th><th>起 From</th><th class="num">通话 Calls</th><th class="num">通过率 Pass rate</th><th class="num">平均分 Mean score</th></tr></thead><tbody>"#,
    );
    for week in weeks {
        let _ = write!(
            html,
            r#"<tr data-week="{}"><td>{}</td><td>{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td></tr>"#,
            escape(&week.week),
            escape(&week.week),
            escape(&week.week_start),
            week.tally.calls,
            percent(week.tally.pass_rate()),
            number(week.tally.mean_score())
        );
    }
    html.push_str("</tbody></table>");
    html
}

fn calls_table(report: &Report<'_>, indexes: &[usize], depth: Depth, show_agent: bool) -> String {
    let mut html =
        String::from(r#"<table class="calls"><thead><tr><th>通话 Call</th><th>时间 Started</th>"#);
    if show_agent {
        html.push_str("<th>坐席 Agent</th>");
    }
    html.push_str(r#"<th>客户 Customer</th><th class="num">得分 Score</th><th>结果 Result</th><th>未通过项 Failed items</th></tr></thead><tbody>"#);
    for &index in indexes {
        let call = &report.dataset.calls[index];
        let card = &call.scorecard;
        let failed: Vec<&str> = card
            .items
            .iter()
            .filter(|i| i.verdict.as_str() == "fail")
            .map(|i| i.id.as_str())
            .collect();
        let _ = write!(
            html,
            r#"<tr data-call="{id}"><td><a href="{href}">{id}</a></td><td>{}</td>"#,
            escape(
                &report.stats.dates[index]
                    .as_ref()
                    .map(|d| d.local.clone())
                    .unwrap_or_default()
            ),
            id = escape(&card.call_id),
            href = escape(&call_href(depth, &card.call_id)),
        );
        if show_agent {
            let agent = agent_of(call);
            let _ = write!(
                html,
                r#"<td><a href="{}">{}</a></td>"#,
                escape(&agent_href(depth, agent)),
                escape(agent)
            );
        }
        let _ = write!(
            html,
            r#"<td>{}</td><td class="num" data-score="{score:.1}">{score:.1}</td><td>{}</td><td>{}</td></tr>"#,
            escape(call.transcript.customer_id.as_deref().unwrap_or("")),
            verdict_badge(if card.passed { "pass" } else { "fail" }),
            escape(&failed.join(", ")),
            score = card.score,
        );
    }
    html.push_str("</tbody></table>");
    html
}

fn histogram(stats: &Stats, title: &str) -> String {
    let labels: Vec<String> = (0..10)
        .map(|i| {
            if i == 9 {
                "90–100".to_string()
            } else {
                format!("{}–{}", i * 10, i * 10 + 9)
            }
        })
        .collect();
    svg::bar_chart(title, &labels, &stats.histogram, "histogram")
}

fn promise_rows(
    report: &Report<'_>,
    promises: &[&Promise],
    depth: Depth,
    show_call: bool,
) -> String {
    let mut html = String::from("<table class=\"promises\"><thead><tr>");
    if show_call {
        html.push_str("<th>通话 Call</th><th>坐席 Agent</th><th>客户 Customer</th>");
    }
    html.push_str("<th>承诺 Promise</th><th>期限 Deadline</th><th>状态 Status</th><th>后续通话 Follow-up</th><th>说明 Reason</th></tr></thead><tbody>");
    for promise in promises {
        let _ = write!(
            html,
            r#"<tr data-promise-call="{}">"#,
            escape(&promise.call_id)
        );
        if show_call {
            let agent = promise
                .agent_id
                .as_deref()
                .unwrap_or(super::stats::UNKNOWN_AGENT);
            let _ = write!(
                html,
                r#"<td>{}</td><td><a href="{}">{}</a></td><td>{}</td>"#,
                call_link(report, depth, &promise.call_id),
                escape(&agent_href(depth, agent)),
                escape(agent),
                escape(promise.customer_id.as_deref().unwrap_or("")),
            );
        }
        let seek = promise
            .start_ms
            .map(|ms| format!(r#" <small>({})</small>"#, svg::clock(ms)))
            .unwrap_or_default();
        let _ = write!(
            html,
            r#"<td>{}{seek}</td><td>{}<br><small>{}</small></td><td>{}</td><td class="follow-up">{}</td><td>{}</td></tr>"#,
            escape(&promise.text),
            escape(promise.deadline.as_deref().unwrap_or("无期限 none (vague)")),
            escape(&promise.time_expression),
            status_cell(promise.status),
            promise
                .follow_up_call_id
                .as_deref()
                .map(|id| call_link(report, depth, id))
                .unwrap_or_default(),
            escape(&promise.reason),
        );
    }
    html.push_str("</tbody></table>");
    html
}

/// A link to a call's page when the report has it, else the bare id.
fn call_link(report: &Report<'_>, depth: Depth, call_id: &str) -> String {
    if report.call_index.contains_key(call_id) {
        format!(
            r#"<a href="{}">{}</a>"#,
            escape(&call_href(depth, call_id)),
            escape(call_id)
        )
    } else {
        escape(call_id)
    }
}

pub fn overview(report: &Report<'_>) -> String {
    let stats = &report.stats;
    let depth = Depth::Top;
    let mut body = String::new();
    body.push_str(&cards(&[
        ("通话 Calls", stats.overall.calls.to_string(), "calls"),
        (
            "通过率 Pass rate",
            percent(stats.overall.pass_rate()),
            "pass-rate",
        ),
        (
            "平均分 Mean score",
            number(stats.overall.mean_score()),
            "mean-score",
        ),
        ("坐席 Agents", stats.agents.len().to_string(), "agents"),
        (
            "关键项失败 Critical failures",
            stats.overall.critical_failed.to_string(),
            "critical",
        ),
    ]));
    if !report.dataset.unscored.is_empty() {
        let _ = write!(
            body,
            r#"<p class="note">{} call(s) of these runs have no scorecard of this rubric version and are not counted: {}. Run <code>callqa rescore</code> with this rubric to include them.</p>"#,
            report.dataset.unscored.len(),
            escape(&report.dataset.unscored.join(", "))
        );
    }
    body.push_str("<h2>得分分布 Score distribution</h2>");
    body.push_str(&histogram(
        stats,
        "Score distribution (calls per 10 points)",
    ));
    body.push_str("<h2 id=\"weeks\">按周 By week</h2>");
    if stats.weeks.is_empty() {
        body.push_str(r#"<p class="note">No call has a start time (started_at), so there is no weekly view.</p>"#);
    } else {
        let labels: Vec<String> = stats.weeks.iter().map(|w| w.week.clone()).collect();
        body.push_str(&svg::line_chart(
            "Mean score and pass rate per week",
            &labels,
            &[
                Series {
                    name: "平均分 mean score",
                    values: stats.weeks.iter().map(|w| w.tally.mean_score()).collect(),
                    css_class: "agent",
                },
                Series {
                    name: "通过率 pass rate %",
                    values: stats.weeks.iter().map(|w| w.tally.pass_rate()).collect(),
                    css_class: "pass",
                },
            ],
            "trend",
        ));
        body.push_str(&week_table(&stats.weeks));
        if stats.undated > 0 {
            let _ = write!(
                body,
                r#"<p class="note">{} call(s) without a start time are counted overall but in no week.</p>"#,
                stats.undated
            );
        }
    }
    body.push_str("<h2 id=\"items\">项目失败率 Item failure rates</h2>");
    body.push_str(r#"<p class="note">Failure rate = fail ÷ calls where the item applied (pass + fail + review).</p>"#);
    body.push_str(&item_table(&stats.items, None));
    body.push_str("<h2 id=\"agents\">坐席 Agents</h2>");
    body.push_str(r#"<table class="agents"><thead><tr><th>坐席 Agent</th><th class="num">通话 Calls</th><th class="num">通过率 Pass rate</th><th class="num">平均分 Mean score</th><th class="num">承诺兑现 Promises kept</th><th>最常未通过 Most failed</th></tr></thead><tbody>"#);
    for agent in &stats.agents {
        let most_failed: Vec<&str> = agent
            .items
            .iter()
            .filter(|i| i.fail > 0)
            .take(3)
            .map(|i| i.id.as_str())
            .collect();
        let _ = write!(
            body,
            r#"<tr data-agent="{id}"><td><a href="{}">{id}</a></td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td>{}</td></tr>"#,
            escape(&agent_href(depth, &agent.agent_id)),
            agent.tally.calls,
            percent(agent.tally.pass_rate()),
            number(agent.tally.mean_score()),
            promise_rate_text(report, &agent.agent_id),
            escape(&most_failed.join(", ")),
            id = escape(&agent.agent_id),
        );
    }
    body.push_str("</tbody></table>");
    body.push_str("<h2 id=\"calls\">通话 Calls</h2>");
    let all: Vec<usize> = (0..report.dataset.calls.len()).collect();
    body.push_str(&calls_table(report, &all, depth, true));
    body.push_str("<h2>导出 Exports</h2><p class=\"downloads\">");
    for (file, label) in super::exports::FILES {
        let _ = write!(
            body,
            r#"<a href="csv/{file}" download>{label} ({file})</a>"#
        );
    }
    body.push_str("</p><p class=\"note\">CSV files are UTF-8 with a byte-order mark, so Excel shows the Chinese text correctly.</p>");
    frame(report, &report.title, depth).render(&body)
}

fn promise_rate_text(report: &Report<'_>, agent_id: &str) -> String {
    match report.promise_rates.get(agent_id) {
        Some(rate) if rate.kept + rate.broken + rate.pending > 0 => format!(
            "{}/{} ({})",
            rate.kept,
            rate.kept + rate.broken,
            percent(rate.kept_rate.map(|r| r * 100.0).map(super::stats::round1))
        ),
        _ => "–".to_string(),
    }
}

pub fn agent_page(report: &Report<'_>, agent: &AgentStats) -> String {
    let depth = Depth::Sub;
    let team = &report.stats.overall;
    let mut body = String::new();
    let rate = report.promise_rates.get(agent.agent_id.as_str());
    body.push_str(&cards(&[
        ("通话 Calls", agent.tally.calls.to_string(), "calls"),
        (
            "平均分 Mean score",
            number(agent.tally.mean_score()),
            "mean-score",
        ),
        (
            "团队平均分 Team mean",
            number(team.mean_score()),
            "team-mean-score",
        ),
        (
            "通过率 Pass rate",
            percent(agent.tally.pass_rate()),
            "pass-rate",
        ),
        (
            "团队通过率 Team pass rate",
            percent(team.pass_rate()),
            "team-pass-rate",
        ),
        (
            "承诺兑现 Promises kept",
            promise_rate_text(report, &agent.agent_id),
            "promises-kept",
        ),
    ]));
    if let Some(rate) = rate {
        let _ = write!(
            body,
            r#"<p class="note" data-promise-counts="{} {} {}">Promises: {} kept, {} broken, {} pending, {} unverifiable (visits, deliveries, refunds, text messages: a later call cannot show them). Kept rate = kept ÷ (kept + broken).</p>"#,
            rate.kept,
            rate.broken,
            rate.pending,
            rate.kept,
            rate.broken,
            rate.pending,
            rate.unverifiable
        );
    }
    body.push_str("<h2>趋势 Trend</h2>");
    let weeks: Vec<String> = report.stats.weeks.iter().map(|w| w.week.clone()).collect();
    if weeks.is_empty() {
        body.push_str(r#"<p class="note">No dated calls.</p>"#);
    } else {
        let mine: BTreeMap<&str, &Tally> = agent
            .weeks
            .iter()
            .map(|w| (w.week.as_str(), &w.tally))
            .collect();
        body.push_str(&svg::line_chart(
            "Mean score per week: agent and team",
            &weeks,
            &[
                Series {
                    name: &format!("{} 平均分", agent.agent_id),
                    values: weeks
                        .iter()
                        .map(|w| mine.get(w.as_str()).and_then(|t| t.mean_score()))
                        .collect(),
                    css_class: "agent",
                },
                Series {
                    name: "团队 team",
                    values: report
                        .stats
                        .weeks
                        .iter()
                        .map(|w| w.tally.mean_score())
                        .collect(),
                    css_class: "team",
                },
            ],
            "trend",
        ));
        body.push_str(&week_table(&agent.weeks));
    }
    body.push_str("<h2>最常未通过的项目 Items failed most</h2>");
    let failing: Vec<ItemRate> = agent
        .items
        .iter()
        .filter(|i| i.fail > 0 || i.review > 0)
        .cloned()
        .collect();
    if failing.is_empty() {
        body.push_str(r#"<p class="note">No failed or review items.</p>"#);
    } else {
        body.push_str(&item_table(&failing, Some(8)));
    }
    body.push_str("<h2>得分最低的通话 Worst calls</h2>");
    body.push_str(&calls_table(report, &agent.worst_calls, depth, false));
    let promises: Vec<&Promise> = report
        .promises
        .promises
        .iter()
        .filter(|p| p.agent_id.as_deref().unwrap_or(super::stats::UNKNOWN_AGENT) == agent.agent_id)
        .collect();
    if !promises.is_empty() {
        body.push_str("<h2>承诺 Promises</h2>");
        body.push_str(&promise_rows(report, &promises, depth, true));
    }
    let all: Vec<usize> = report
        .dataset
        .calls
        .iter()
        .enumerate()
        .filter(|(_, c)| agent_of(c) == agent.agent_id)
        .map(|(i, _)| i)
        .collect();
    body.push_str("<h2>全部通话 All calls</h2>");
    body.push_str(&calls_table(report, &all, depth, false));
    let title = format!("坐席 Agent {}", agent.agent_id);
    frame(report, &title, depth).render(&body)
}

/// Which utterance an evidence line points at: same role and start time,
/// else same text.
fn evidence_utterance(call: &StoredCall, evidence: &Evidence) -> Option<usize> {
    let utterances = &call.transcript.utterances;
    let role = Role::from_speaker(&evidence.speaker);
    utterances
        .iter()
        .position(|u| {
            evidence.start_ms.is_some()
                && u.start_ms == evidence.start_ms
                && Role::from_speaker(&u.speaker) == role
        })
        .or_else(|| utterances.iter().position(|u| u.text == evidence.text))
        .or_else(|| {
            let wanted = normalize(&evidence.text);
            utterances.iter().position(|u| normalize(&u.text) == wanted)
        })
}

/// The utterance's text with every matched phrase marked. Matches are in
/// normalised form; a phrase not found verbatim (Traditional script,
/// 您/你) is looked up in the normalised text, which has the same length
/// per character for those foldings.
fn highlighted(text: &str, phrases: &BTreeSet<String>) -> String {
    let chars: Vec<char> = text.chars().collect();
    let folded: Vec<char> = chars
        .iter()
        .map(|&c| {
            let one: String = normalize(&c.to_string()).chars().collect();
            let mut it = one.chars();
            match (it.next(), it.next()) {
                (Some('您'), None) => '你',
                (Some(f), None) => f,
                _ => c,
            }
        })
        .collect();
    let mut marked = vec![false; chars.len()];
    for phrase in phrases {
        let wanted: Vec<char> = phrase
            .chars()
            .map(|c| if c == '您' { '你' } else { c })
            .collect();
        if wanted.is_empty() || wanted.len() > chars.len() {
            continue;
        }
        for start in 0..=chars.len() - wanted.len() {
            if folded[start..start + wanted.len()] == wanted[..] {
                marked[start..start + wanted.len()]
                    .iter_mut()
                    .for_each(|m| *m = true);
            }
        }
    }
    let mut html = String::new();
    let mut open = false;
    for (c, &m) in chars.iter().zip(&marked) {
        if m && !open {
            html.push_str("<mark>");
            open = true;
        } else if !m && open {
            html.push_str("</mark>");
            open = false;
        }
        html.push_str(&escape(&c.to_string()));
    }
    if open {
        html.push_str("</mark>");
    }
    html
}

fn role_label(speaker: &str) -> (&'static str, &'static str, usize) {
    match Role::from_speaker(speaker) {
        Role::Agent => ("agent", "坐席", 0),
        Role::Customer => ("customer", "客户", 1),
        _ => ("other", "其他", 2),
    }
}

pub fn call_page(report: &Report<'_>, index: usize) -> String {
    let depth = Depth::Sub;
    let call = &report.dataset.calls[index];
    let card = &call.scorecard;
    let transcript = &call.transcript;
    let agent = agent_of(call);
    let mut body = String::new();

    // Evidence → utterances, and the phrases to mark in each.
    let mut marks: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for item in &card.items {
        for evidence in &item.evidence {
            if let Some(u) = evidence_utterance(call, evidence) {
                marks
                    .entry(u)
                    .or_default()
                    .extend(evidence.matched.iter().cloned());
            }
        }
    }

    let date = report.stats.dates[index]
        .as_ref()
        .map(|d| d.local.clone())
        .unwrap_or_else(|| "–".into());
    body.push_str(&cards(&[
        ("得分 Score", format!("{:.1}", card.score), "score"),
        (
            "结果 Result",
            if card.passed {
                "通过 passed".into()
            } else {
                "未通过 failed".into()
            },
            "passed",
        ),
        ("时长 Duration", svg::clock(call.audio_ms), "duration"),
        ("开始 Started", date, "started"),
    ]));
    let _ = write!(
        body,
        r#"<p>坐席 Agent: <a href="{}">{}</a> · 客户 Customer: {} · 方向 Direction: {}{}</p>"#,
        escape(&agent_href(depth, agent)),
        escape(agent),
        escape(transcript.customer_id.as_deref().unwrap_or("–")),
        escape(transcript.direction.as_deref().unwrap_or("–")),
        if card.critical_failed {
            " · <b>critical item failed</b>"
        } else {
            ""
        }
    );
    if let Some(method) = transcript
        .extra
        .get("speakers")
        .and_then(|s| s.get("method"))
        .and_then(|m| m.as_str())
    {
        let _ = write!(body, r#"<p class="note">Speakers: {}</p>"#, escape(method));
    }

    body.push_str(r#"<div class="player">"#);
    match report.audio.get(&card.call_id) {
        Some(src) => {
            let _ = write!(
                body,
                r#"<audio id="recording" controls preload="auto" src="{}"></audio>"#,
                escape(src)
            );
        }
        None => {
            let _ = write!(
                body,
                r#"<p class="note">Recording not available beside the report ({}).</p>"#,
                escape(&call.audio_path.display().to_string())
            );
        }
    }
    body.push_str("</div>");

    // Timeline.
    let blocks: Vec<TimelineBlock> = transcript
        .utterances
        .iter()
        .enumerate()
        .filter_map(|(i, u)| {
            let (_, label, lane) = role_label(&u.speaker);
            Some(TimelineBlock {
                lane,
                start_ms: u.start_ms?,
                end_ms: u.end_ms.unwrap_or(u.start_ms?),
                utterance_id: format!("u{i}"),
                label: format!("{} {}: {}", svg::clock(u.start_ms?), label, u.text),
                evidence: marks.contains_key(&i),
            })
        })
        .collect();
    if !blocks.is_empty() {
        let total = call.audio_ms.max(
            transcript
                .utterances
                .iter()
                .filter_map(|u| u.end_ms)
                .max()
                .unwrap_or(0),
        );
        let lanes: Vec<&str> = if blocks.iter().any(|b| b.lane == 2) {
            vec!["坐席 agent", "客户 customer", "其他 other"]
        } else {
            vec!["坐席 agent", "客户 customer"]
        };
        body.push_str("<h2>时间线 Timeline</h2>");
        body.push_str(&svg::timeline(
            "Who spoke when (click to play)",
            &lanes,
            &blocks,
            total,
        ));
    }

    // Items.
    body.push_str("<h2>评分项 Items</h2>");
    body.push_str(r#"<table class="item-results"><thead><tr><th>项目 Item</th><th>结果 Verdict</th><th class="num">得分 Points</th><th>原因与证据 Reason and evidence</th></tr></thead><tbody>"#);
    let titles: BTreeMap<&str, &str> = report
        .dataset
        .rubric
        .items
        .iter()
        .map(|i| (i.id.as_str(), i.title.get(crate::i18n::Lang::Zh)))
        .collect();
    for item in &card.items {
        let _ = write!(
            body,
            r#"<tr data-item="{id}"><td><b>{id}</b> {}</td><td>{}</td><td class="num">{:.1} / {:.1}</td><td>{}"#,
            escape(titles.get(item.id.as_str()).copied().unwrap_or("")),
            verdict_badge(item.verdict.as_str()),
            item.points,
            item.max_points,
            escape(&item.reason),
            id = escape(&item.id),
        );
        for evidence in &item.evidence {
            let target = evidence_utterance(call, evidence)
                .map(|u| format!("u{u}"))
                .unwrap_or_default();
            let (_, label, _) = role_label(&evidence.speaker);
            match evidence.start_ms {
                Some(ms) => {
                    let _ = write!(
                        body,
                        r#"<button type="button" class="evidence" data-seek="{:.2}" data-target="{}" title="play from here">▶ {} {}：{}</button>"#,
                        ms as f64 / 1000.0,
                        escape(&target),
                        svg::clock(ms),
                        label,
                        escape(&evidence.text)
                    );
                }
                None => {
                    let _ = write!(
                        body,
                        r#"<div class="note">{}：{}</div>"#,
                        label,
                        escape(&evidence.text)
                    );
                }
            }
        }
        body.push_str("</td></tr>");
    }
    body.push_str("</tbody></table>");

    // Promises made here, and promises this call followed up.
    let made: Vec<&Promise> = report
        .promises
        .promises
        .iter()
        .filter(|p| p.call_id == card.call_id)
        .collect();
    let followed: Vec<&Promise> = report
        .promises
        .promises
        .iter()
        .filter(|p| p.follow_up_call_id.as_deref() == Some(card.call_id.as_str()))
        .collect();
    if !made.is_empty() {
        body.push_str("<h2>本通话的承诺 Promises made in this call</h2>");
        body.push_str(&promise_rows(report, &made, depth, false));
    }
    if !followed.is_empty() {
        body.push_str("<h2>跟进的承诺 Promises this call followed up</h2>");
        let mut html = String::from("<ul class=\"followed\">");
        for p in followed {
            let _ = write!(
                html,
                "<li>{} — {} ({}) {}</li>",
                call_link(report, depth, &p.call_id),
                escape(&p.text),
                escape(p.deadline.as_deref().unwrap_or("无期限 none (vague)")),
                status_cell(p.status)
            );
        }
        html.push_str("</ul>");
        body.push_str(&html);
    }

    // Transcript.
    body.push_str("<h2>转写 Transcript</h2><div class=\"transcript\">");
    for (i, u) in transcript.utterances.iter().enumerate() {
        let (class, label, _) = role_label(&u.speaker);
        let evidence = marks.get(&i);
        let text = match evidence {
            Some(phrases) => highlighted(&u.text, phrases),
            None => escape(&u.text),
        };
        let timing = match (u.start_ms, u.end_ms) {
            (Some(start), end) => format!(
                r#" data-seek="{:.2}" data-target="u{i}" data-start="{start}" data-end="{}""#,
                start as f64 / 1000.0,
                end.unwrap_or(start)
            ),
            _ => String::new(),
        };
        let _ = write!(
            body,
            r#"<div class="utt {class}{}" id="u{i}"{timing}><span class="time">{}</span><span class="speaker">{label}</span><span class="text">{text}</span></div>"#,
            if evidence.is_some() { " evidence" } else { "" },
            u.start_ms.map(svg::clock).unwrap_or_default(),
        );
    }
    body.push_str("</div>");
    let title = format!("通话 Call {}", card.call_id);
    frame(report, &title, depth).render(&body)
}

pub fn promises_page(report: &Report<'_>) -> String {
    let depth = Depth::Top;
    let all: Vec<&Promise> = report.promises.promises.iter().collect();
    let count = |s: PromiseStatus| all.iter().filter(|p| p.status == s).count();
    let mut body = cards(&[
        ("承诺 Promises", all.len().to_string(), "promises"),
        (
            "已兑现 Kept",
            count(PromiseStatus::Kept).to_string(),
            "kept",
        ),
        (
            "未兑现 Broken",
            count(PromiseStatus::Broken).to_string(),
            "broken",
        ),
        (
            "待定 Pending",
            count(PromiseStatus::Pending).to_string(),
            "pending",
        ),
        (
            "无法核实 Unverifiable",
            count(PromiseStatus::Unverifiable).to_string(),
            "unverifiable",
        ),
    ]);
    let _ = write!(
        body,
        r#"<p class="note">A promise is kept when the same customer has a later call before the deadline (and does not complain that nobody called); broken when the deadline passed without one, the customer called back complaining, or the call came late; pending while its deadline is after {}. Only promises of contact (a call or a reply) can be checked this way: visits, deliveries, refunds and text messages are unverifiable. A vague promise (稍后, 尽快) has no deadline.</p>"#,
        escape(&report.promises.as_of)
    );
    if all.is_empty() {
        body.push_str(r#"<p class="note">No promise was found in the agents' speech.</p>"#);
    } else {
        body.push_str(&promise_rows(report, &all, depth, true));
    }
    if !report.promises.skipped.is_empty() {
        body.push_str("<h2>未检查 Not checked</h2><ul>");
        for skipped in &report.promises.skipped {
            let _ = write!(
                body,
                "<li>{}</li>",
                escape(&serde_json::to_string(skipped).unwrap_or_default())
            );
        }
        body.push_str("</ul>");
    }
    frame(report, "承诺跟进 Promise follow-through", depth).render(&body)
}

fn hotspot_table(report: &Report<'_>, hotspots: &[Hotspot]) -> String {
    let mut html = String::from(
        r#"<table class="hotspots"><thead><tr><th class="num">#</th><th>热点 Hotspot</th><th class="num">通话 Calls</th><th class="num">提及 Mentions</th><th>例子 Examples</th></tr></thead><tbody>"#,
    );
    for (rank, h) in hotspots.iter().enumerate() {
        let examples: Vec<String> = h
            .example_call_ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let snippet = h
                    .example_snippets
                    .get(i)
                    .map(|s| format!(" “{}”", escape(s)))
                    .unwrap_or_default();
                format!("{}{snippet}", call_link(report, Depth::Top, id))
            })
            .collect();
        let _ = write!(
            html,
            r#"<tr data-hotspot="{phrase}"><td class="num">{}</td><td><b>{phrase}</b></td><td class="num">{}</td><td class="num">{}</td><td>{}</td></tr>"#,
            rank + 1,
            h.calls,
            h.mentions,
            examples.join("<br>"),
            phrase = escape(&h.phrase),
        );
    }
    html.push_str("</tbody></table>");
    html
}

pub fn hotspots_page(report: &Report<'_>) -> String {
    let hotspots = &report.hotspots;
    let mut body = String::new();
    let _ = write!(
        body,
        r#"<p class="note">What customers complain about: keywords and phrases of the customers' side of {} call(s), ranked by the number of calls that mention them (TF-IDF weight breaks ties); call-centre chatter is filtered out.</p>"#,
        hotspots.calls
    );
    body.push_str("<h2>总体 Overall</h2>");
    if hotspots.overall.is_empty() {
        body.push_str(r#"<p class="note">No phrase occurs in enough calls to be a hotspot.</p>"#);
    } else {
        let labels: Vec<String> = hotspots.overall.iter().map(|h| h.phrase.clone()).collect();
        let counts: Vec<usize> = hotspots.overall.iter().map(|h| h.calls).collect();
        body.push_str(&svg::bar_chart(
            "Calls per hotspot",
            &labels,
            &counts,
            "hotspot-bars",
        ));
        body.push_str(&hotspot_table(report, &hotspots.overall));
    }
    for week in &hotspots.weeks {
        let _ = write!(
            body,
            r#"<h2 id="{}">{} <small>(from {}, {} calls)</small></h2>"#,
            escape(&week.period),
            escape(&week.period),
            escape(&week.week_start),
            week.calls
        );
        if week.hotspots.is_empty() {
            body.push_str(r#"<p class="note">No hotspot this week.</p>"#);
        } else {
            body.push_str(&hotspot_table(report, &week.hotspots));
        }
    }
    frame(report, "投诉热点 Complaint hotspots", Depth::Top).render(&body)
}
