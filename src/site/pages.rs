//! The report's pages as maud templates: the overview, one page per agent
//! (printable on one A4 page), per rubric item and per call, the review
//! queue, the critical failures, the promises and the complaint hotspots.
//! Pure functions of a [`Report`]: the same data always gives the same
//! bytes. Every word a person reads comes from here in the report's
//! language; ids appear only where an id is what a person looks for (call
//! and agent ids), never as a label for a rubric item.

use std::collections::{BTreeMap, BTreeSet};

use maud::{html, Markup};

use super::html::{
    agent_href, call_href, calls_count, item_href, number, percent, sort_key, table_tools,
    verdict_badge, verdict_filter, verdict_word, Choice, Depth, Frame, SelectFilter,
};
use super::stats::{agent_of, AgentStats, ItemRate, Tally};
use super::svg::{self, Series, TimelineBlock};
use super::Report;
use crate::evidence::Evidence;
use crate::hotspots::Hotspot;
use crate::i18n::Lang;
use crate::promises::{Promise, PromiseStatus};
use crate::score::{ItemResult, Verdict};
use crate::store::StoredCall;
use crate::text::normalize;
use crate::transcript::Role;

impl Report<'_> {
    fn t(&self, zh: &'static str, en: &'static str) -> &'static str {
        self.lang.pick(zh, en)
    }

    fn frame<'a>(&'a self, title: &'a str, depth: Depth) -> Frame<'a> {
        Frame {
            lang: self.lang,
            title,
            depth,
            subtitle: &self.subtitle,
            footer: &self.footer,
        }
    }

    /// An item's title in the report's language (the id only for an item
    /// the rubric version does not list, which a current run never writes).
    pub fn item_title<'s>(&'s self, id: &'s str) -> &'s str {
        self.dataset
            .rubric
            .items
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.title.get(self.lang))
            .filter(|t| !t.is_empty())
            .unwrap_or(id)
    }

    /// "2026-11-20 09:30 (+08:00)", or "–" for a call without a start time.
    fn when(&self, index: usize) -> String {
        self.stats.dates[index]
            .as_ref()
            .map_or_else(|| "–".to_string(), |d| d.shown())
    }

    fn when_key(&self, index: usize) -> String {
        self.stats.dates[index]
            .as_ref()
            .map_or_else(String::new, |d| d.unix.to_string())
    }

    fn agent_select(&self, agents: &[&str]) -> SelectFilter {
        SelectFilter {
            attr: "data-agent",
            label: self.t("坐席", "Agent").to_string(),
            choices: agents
                .iter()
                .map(|a| Choice {
                    value: a.to_string(),
                    label: a.to_string(),
                })
                .collect(),
        }
    }

    fn all_agent_ids(&self) -> Vec<&str> {
        self.stats
            .agents
            .iter()
            .map(|a| a.agent_id.as_str())
            .collect()
    }

    fn run_label(&self, source: usize) -> String {
        match self.dataset.sources.get(source) {
            Some(run) => format!(
                "{} #{} · {}",
                self.t("运行", "run"),
                run.run_id,
                self.unix_time(run.finished_unix.unwrap_or(run.started_unix))
            ),
            None => "–".to_string(),
        }
    }

    /// A moment (Unix seconds) in the calls' own offset.
    pub fn unix_time(&self, seconds: i64) -> String {
        match jiff::Timestamp::from_second(seconds) {
            Ok(stamp) => super::local_time(stamp, self.offset),
            Err(_) => "–".to_string(),
        }
    }
}

fn status_cell(lang: Lang, status: PromiseStatus) -> Markup {
    let (class, label) = match status {
        PromiseStatus::Kept => ("kept", lang.pick("已兑现", "Kept")),
        PromiseStatus::Broken => ("broken", lang.pick("未兑现", "Broken")),
        PromiseStatus::Pending => ("pending", lang.pick("待定", "Pending")),
        PromiseStatus::Unverifiable => ("unverifiable", lang.pick("无法核实", "Unverifiable")),
    };
    html! { span class={ "status-" (class) } data-status=(class) { (label) } }
}

/// A headline number; with `href`, the card links to the list behind it.
struct Card {
    key: &'static str,
    label: String,
    value: String,
    href: Option<String>,
}

fn stat(key: &'static str, label: &str, value: String) -> Card {
    Card {
        key,
        label: label.to_string(),
        value,
        href: None,
    }
}

fn cards(cards: &[Card]) -> Markup {
    html! {
        div.cards {
            @for c in cards {
                @if let Some(href) = &c.href {
                    a.card.linked data-stat=(c.key) href=(href) {
                        div.value { (c.value) }
                        div.label { (c.label) " →" }
                    }
                } @else {
                    div.card data-stat=(c.key) {
                        div.value { (c.value) }
                        div.label { (c.label) }
                    }
                }
            }
        }
    }
}

/// Team-wide item failure rates, each linking to the item's page.
fn item_table(report: &Report<'_>, items: &[ItemRate], depth: Depth) -> Markup {
    let t = |zh, en| report.t(zh, en);
    html! {
        (table_tools(report.lang, "items-table", &[]))
        table.items.sortable #items-table {
            thead { tr {
                th data-type="text" { (t("质检项", "Item")) }
                th.num data-type="num" { (t("未通过", "Fail")) }
                th.num data-type="num" { (t("待复核", "Review")) }
                th.num data-type="num" { (t("通过", "Pass")) }
                th.num data-type="num" { (t("不适用", "N/A")) }
                th.num data-type="num" aria-sort="none" { (t("未通过率", "Failure rate")) }
            } }
            tbody {
                @for item in items {
                    @let rate = item.failure_rate();
                    @let href = item_href(depth, &item.id);
                    tr data-item=(item.id) {
                        td {
                            a href=(href) { (item.title.get(report.lang)) }
                            @if item.critical { " " small.critical { (t("（关键项）", "(critical)")) } }
                        }
                        td.num data-sort=(item.fail) { (item.fail) }
                        td.num data-sort=(item.review) { (item.review) }
                        td.num data-sort=(item.pass) { (item.pass) }
                        td.num data-sort=(item.na) { (item.na) }
                        td.num data-sort=(sort_key(rate)) {
                            a.rate href=(href) {
                                span.failbar style={ "width:" (format!("{:.0}", rate.unwrap_or(0.0))) "px" } {}
                                (percent(rate))
                            }
                        }
                    }
                }
            }
        }
    }
}

fn week_table(report: &Report<'_>, weeks: &[super::stats::WeekStats], id: &str) -> Markup {
    let t = |zh, en| report.t(zh, en);
    html! {
        table.weeks.sortable id=(id) {
            thead { tr {
                th data-type="text" { (t("周", "Week")) }
                th data-type="text" { (t("起始日", "From")) }
                th.num data-type="num" { (t("通话数", "Calls")) }
                th.num data-type="num" { (t("通过率", "Pass rate")) }
                th.num data-type="num" { (t("平均分", "Mean score")) }
            } }
            tbody {
                @for week in weeks {
                    tr data-week=(week.week) {
                        td { (week.week) }
                        td { (week.week_start) }
                        td.num data-sort=(week.tally.calls) { (week.tally.calls) }
                        td.num data-sort=(sort_key(week.tally.pass_rate())) { (percent(week.tally.pass_rate())) }
                        td.num data-sort=(sort_key(week.tally.mean_score())) { (number(week.tally.mean_score())) }
                    }
                }
            }
        }
    }
}

/// The verdicts a call has, for the verdict filter: its result (pass or
/// fail) and `review` when an item needs review.
fn call_verdicts(call: &StoredCall) -> String {
    let card = &call.scorecard;
    let mut v = vec![if card.passed { "pass" } else { "fail" }];
    if card.items.iter().any(|i| i.verdict == Verdict::Review) {
        v.push("review");
    }
    v.join(" ")
}

fn call_result_filter(lang: Lang) -> SelectFilter {
    SelectFilter {
        attr: "data-verdicts",
        label: lang.pick("结果", "Result").to_string(),
        choices: ["pass", "fail", "review"]
            .iter()
            .map(|v| Choice {
                value: v.to_string(),
                label: verdict_word(lang, v).to_string(),
            })
            .collect(),
    }
}

fn calls_table(
    report: &Report<'_>,
    indexes: &[usize],
    depth: Depth,
    show_agent: bool,
    id: &str,
) -> Markup {
    let t = |zh, en| report.t(zh, en);
    let mut selects = vec![call_result_filter(report.lang)];
    if show_agent {
        selects.push(report.agent_select(&report.all_agent_ids()));
    }
    html! {
        (table_tools(report.lang, id, &selects))
        table.calls.sortable id=(id) {
            thead { tr {
                th data-type="natural" { (t("通话", "Call")) }
                th data-type="date" { (t("开始时间", "Started")) }
                @if show_agent { th data-type="natural" { (t("坐席", "Agent")) } }
                th data-type="natural" { (t("客户", "Customer")) }
                th.num data-type="num" { (t("得分", "Score")) }
                th data-type="text" { (t("结果", "Result")) }
                th data-type="text" { (t("未通过项", "Failed items")) }
            } }
            tbody {
                @for &index in indexes {
                    @let call = &report.dataset.calls[index];
                    @let card = &call.scorecard;
                    @let agent = agent_of(call);
                    @let failed: Vec<&str> = card.items.iter()
                        .filter(|i| i.verdict == Verdict::Fail)
                        .map(|i| report.item_title(&i.id))
                        .collect();
                    tr data-call=(card.call_id) data-agent=(agent) data-verdicts=(call_verdicts(call)) {
                        td { a href=(call_href(depth, &card.call_id)) { (card.call_id) } }
                        td.when data-sort=(report.when_key(index)) { (report.when(index)) }
                        @if show_agent { td.who { a href=(agent_href(depth, agent)) { (agent) } } }
                        td { (call.transcript.customer_id.as_deref().unwrap_or("")) }
                        td.num data-score=(format!("{:.1}", card.score)) data-sort=(card.score) { (format!("{:.1}", card.score)) }
                        td { (verdict_badge(report.lang, if card.passed { "pass" } else { "fail" })) }
                        td { (failed.join(report.t("、", ", "))) }
                    }
                }
            }
        }
    }
}

fn histogram(report: &Report<'_>) -> Markup {
    let labels: Vec<String> = (0..10)
        .map(|i| {
            if i == 9 {
                "90–100".to_string()
            } else {
                format!("{}–{}", i * 10, i * 10 + 9)
            }
        })
        .collect();
    svg::bar_chart(
        report.t(
            "得分分布（每 10 分一档的通话数）",
            "Score distribution (calls per 10 points)",
        ),
        &labels,
        &report.stats.histogram,
        "histogram",
    )
}

fn promise_rows(
    report: &Report<'_>,
    promises: &[&Promise],
    depth: Depth,
    show_call: bool,
    id: &str,
) -> Markup {
    let t = |zh, en| report.t(zh, en);
    let lang = report.lang;
    html! {
        (table_tools(lang, id, &[]))
        table.promises.sortable id=(id) {
            thead { tr {
                @if show_call {
                    th data-type="natural" { (t("通话", "Call")) }
                    th data-type="natural" { (t("坐席", "Agent")) }
                    th data-type="natural" { (t("客户", "Customer")) }
                }
                th data-type="text" { (t("承诺内容", "Promise")) }
                th data-type="text" { (t("期限", "Deadline")) }
                th data-type="text" { (t("状态", "Status")) }
                th data-type="natural" { (t("后续通话", "Follow-up")) }
                th data-type="text" { (t("说明", "Reason")) }
            } }
            tbody {
                @for promise in promises {
                    @let agent = promise.agent_id.as_deref().unwrap_or(super::stats::UNKNOWN_AGENT);
                    tr data-promise-call=(promise.call_id) data-agent=(agent) {
                        @if show_call {
                            td { (call_link(report, depth, &promise.call_id)) }
                            td.who { a href=(agent_href(depth, agent)) { (agent) } }
                            td { (promise.customer_id.as_deref().unwrap_or("")) }
                        }
                        td {
                            (promise.text)
                            @if let Some(ms) = promise.start_ms { " " small { "(" (svg::clock(ms)) ")" } }
                        }
                        td {
                            (promise.deadline.as_deref().map(|d| deadline_text(report, d)).unwrap_or_else(|| t("无明确期限", "no deadline (vague)").to_string()))
                            br; small { (promise.time_expression) }
                        }
                        td { (status_cell(lang, promise.status)) }
                        td.follow-up {
                            @if let Some(id) = promise.follow_up_call_id.as_deref() { (call_link(report, depth, id)) }
                        }
                        td { (promise.reason_in(lang)) }
                    }
                }
            }
        }
    }
}

/// A promise deadline (RFC 3339 in the call's offset) as "2026-11-20 18:00 (+08:00)".
fn deadline_text(_report: &Report<'_>, deadline: &str) -> String {
    super::stats::call_date(Some(deadline)).map_or_else(|| deadline.to_string(), |d| d.shown())
}

/// A link to a call's page when the report has it, else the bare id.
fn call_link(report: &Report<'_>, depth: Depth, call_id: &str) -> Markup {
    html! {
        @if report.call_index.contains_key(call_id) {
            a href=(call_href(depth, call_id)) { (call_id) }
        } @else {
            (call_id)
        }
    }
}

/// How an agent compares with the team on one item.
struct Coaching<'a> {
    item: &'a ItemRate,
    agent_rate: Option<f64>,
    team_rate: Option<f64>,
}

impl Coaching<'_> {
    /// Percentage points above the team (positive: worse than the team).
    fn gap(&self) -> Option<f64> {
        Some(super::stats::round1(self.agent_rate? - self.team_rate?))
    }
}

/// The agent's items with a failure or a review, worst first: failure
/// rate, then the gap to the team, then rubric order.
fn coaching<'a>(report: &'a Report<'_>, agent: &'a AgentStats) -> Vec<Coaching<'a>> {
    let team: BTreeMap<&str, &ItemRate> = report
        .stats
        .items
        .iter()
        .map(|i| (i.id.as_str(), i))
        .collect();
    let order: BTreeMap<&str, usize> = report
        .stats
        .items
        .iter()
        .enumerate()
        .map(|(n, i)| (i.id.as_str(), n))
        .collect();
    let mut rows: Vec<Coaching> = agent
        .items
        .iter()
        .filter(|i| i.fail > 0 || i.review > 0)
        .map(|item| Coaching {
            item,
            agent_rate: item.failure_rate(),
            team_rate: team.get(item.id.as_str()).and_then(|t| t.failure_rate()),
        })
        .collect();
    rows.sort_by(|a, b| {
        b.agent_rate
            .unwrap_or(0.0)
            .total_cmp(&a.agent_rate.unwrap_or(0.0))
            .then_with(|| b.gap().unwrap_or(0.0).total_cmp(&a.gap().unwrap_or(0.0)))
            .then_with(|| {
                order
                    .get(a.item.id.as_str())
                    .cmp(&order.get(b.item.id.as_str()))
            })
    });
    rows
}

fn gap_cell(gap: Option<f64>) -> Markup {
    html! {
        td.num.worse[gap.is_some_and(|g| g > 0.0)].better[gap.is_some_and(|g| g < 0.0)] data-sort=(sort_key(gap)) {
            @match gap {
                Some(g) if g > 0.0 => { "+" (format!("{g:.1}")) }
                Some(g) => { (format!("{g:.1}")) }
                None => { "–" }
            }
        }
    }
}

fn coaching_table(report: &Report<'_>, agent: &AgentStats, depth: Depth) -> Markup {
    let t = |zh, en| report.t(zh, en);
    let rows = coaching(report, agent);
    html! {
        @if rows.is_empty() {
            p.note { (t("该坐席没有未通过或待复核的质检项。", "This agent has no failed or review items.")) }
        } @else {
            table.coaching.sortable #coaching-table {
                thead { tr {
                    th data-type="text" { (t("质检项", "Item")) }
                    th.num data-type="num" { (t("未通过 / 适用", "Failed / applied")) }
                    th.num data-type="num" { (t("待复核", "Review")) }
                    th.num data-type="num" aria-sort="descending" { (t("坐席未通过率", "Agent failure rate")) }
                    th.num data-type="num" { (t("团队未通过率", "Team failure rate")) }
                    th.num data-type="num" { (t("差距（百分点）", "Gap (points)")) }
                } }
                tbody {
                    @for row in &rows {
                        tr data-item=(row.item.id) {
                            td {
                                a href=(item_href(depth, &row.item.id)) { (row.item.title.get(report.lang)) }
                                @if row.item.critical { " " small.critical { (t("（关键项）", "(critical)")) } }
                            }
                            td.num data-sort=(row.item.fail) { (row.item.fail) " / " (row.item.applicable()) }
                            td.num data-sort=(row.item.review) { (row.item.review) }
                            td.num data-sort=(sort_key(row.agent_rate)) { (percent(row.agent_rate)) }
                            td.num data-sort=(sort_key(row.team_rate)) { (percent(row.team_rate)) }
                            (gap_cell(row.gap()))
                        }
                    }
                }
            }
        }
    }
}

fn runs_section(report: &Report<'_>) -> Markup {
    let t = |zh, en| report.t(zh, en);
    html! {
        h2 #runs { (t("数据来源（运行）", "Runs")) }
        p.note {
            (t("本报告包含以下运行中按此评分标准版本评分的全部通话；同一通话被多次评分时以最新的评分为准。",
               "This report covers every call scored with this rubric version in the runs below; a call scored more than once is shown with its latest scorecard."))
        }
        table.runs.sortable #runs-table {
            thead { tr {
                th.num data-type="num" { (t("运行编号", "Run")) }
                th data-type="text" { (t("类型", "Kind")) }
                th data-type="date" { (t("开始时间", "Started")) }
                th data-type="date" { (t("完成时间", "Finished")) }
                th.num data-type="num" { (t("通话数", "Calls")) }
                th data-type="text" { (t("结果文件夹", "Folder")) }
            } }
            tbody {
                @for run in &report.dataset.sources {
                    tr data-run=(run.run_id) data-calls=(run.calls) {
                        td.num data-sort=(run.run_id) { "#" (run.run_id) }
                        td { (command_word(report.lang, &run.command)) }
                        td data-sort=(run.started_unix) { (report.unix_time(run.started_unix)) }
                        td data-sort=[run.finished_unix] {
                            @match run.finished_unix {
                                Some(f) => { (report.unix_time(f)) }
                                None => { (t("中断（已完成的通话保留）", "interrupted (its finished calls are kept)")) }
                            }
                        }
                        td.num data-sort=(run.calls) { (run.calls) }
                        td { (run.out_dir.display().to_string()) }
                    }
                }
            }
        }
    }
}

fn command_word(lang: Lang, command: &str) -> String {
    match command {
        "run" => lang
            .pick("转写并评分", "run (transcribe and score)")
            .to_string(),
        "rescore" => lang.pick("重新评分", "rescore").to_string(),
        other => other.to_string(),
    }
}

pub fn overview(report: &Report<'_>) -> String {
    let stats = &report.stats;
    let depth = Depth::Top;
    let t = |zh, en| report.t(zh, en);
    let lang = report.lang;
    let review_calls = report.review_entries().len();
    let body = html! {
        (cards(&[
            stat("calls", t("通话数", "Calls"), stats.overall.calls.to_string()),
            stat("pass-rate", t("通过率", "Pass rate"), percent(stats.overall.pass_rate())),
            stat("mean-score", t("平均分", "Mean score"), number(stats.overall.mean_score())),
            stat("agents", t("坐席数", "Agents"), stats.agents.len().to_string()),
            Card { href: Some("review.html".into()), ..stat("review", t("待复核", "To review"), review_calls.to_string()) },
            Card { href: Some("critical.html".into()), ..stat("critical", t("严重违规", "Critical failures"), stats.overall.critical_failed.to_string()) },
        ]))
        @if !report.dataset.unscored.is_empty() {
            p.note {
                @match lang {
                    Lang::Zh => {
                        "这些运行中有 " (report.dataset.unscored.len()) " 通通话没有此评分标准版本的评分，未计入："
                        (report.dataset.unscored.join("、")) "。用此评分标准运行 " code { "callqa rescore" } " 即可纳入。"
                    }
                    Lang::En => {
                        (calls_count(lang, report.dataset.unscored.len())) " of these runs "
                        (if report.dataset.unscored.len() == 1 { "has" } else { "have" })
                        " no scorecard of this rubric version and "
                        (if report.dataset.unscored.len() == 1 { "is" } else { "are" })
                        " not counted: " (report.dataset.unscored.join(", "))
                        ". Run " code { "callqa rescore" } " with this rubric to include them."
                    }
                }
            }
        }
        h2 { (t("得分分布", "Score distribution")) }
        (histogram(report))
        h2 #weeks { (t("按周趋势", "By week")) }
        @if stats.weeks.is_empty() {
            p.note { (t("没有通话带开始时间（started_at），无法按周统计。", "No call has a start time (started_at), so there is no weekly view.")) }
        } @else {
            (svg::line_chart(
                t("每周平均分与通过率", "Mean score and pass rate per week"),
                &stats.weeks.iter().map(|w| w.week.clone()).collect::<Vec<_>>(),
                &[
                    Series { name: t("平均分", "mean score"), values: stats.weeks.iter().map(|w| w.tally.mean_score()).collect(), css_class: "agent" },
                    Series { name: t("通过率 %", "pass rate %"), values: stats.weeks.iter().map(|w| w.tally.pass_rate()).collect(), css_class: "pass" },
                ],
                "trend",
            ))
            (week_table(report, &stats.weeks, "weeks-table"))
            @if stats.undated > 0 {
                p.note {
                    @match lang {
                        Lang::Zh => { (stats.undated) " 通通话没有开始时间，计入总数但不计入任何一周。" }
                        Lang::En => { (calls_count(lang, stats.undated)) " without a start time "
                            (if stats.undated == 1 { "is" } else { "are" }) " counted overall but in no week." }
                    }
                }
            }
        }
        h2 #items { (t("质检项未通过率", "Item failure rates")) }
        p.note { (t("未通过率 = 未通过数 ÷ 适用的通话数（通过 + 未通过 + 待复核）。点击质检项查看未通过和待复核的通话。",
                    "Failure rate = failed ÷ calls where the item applied (pass + fail + review). Click an item for the calls that failed it or need review.")) }
        (item_table(report, &stats.items, depth))
        h2 #agents { (t("坐席辅导排名", "Agents, ranked for coaching")) }
        p.note { (t("按平均分从低到高排列：排在前面的坐席最需要辅导。“最弱项”是该坐席未通过率最高的质检项，与团队对比。",
                    "Lowest mean score first: the agents at the top need coaching most. “Weakest item” is the item the agent fails most often, against the team.")) }
        (agents_table(report, depth))
        h2 #calls { (t("全部通话", "All calls")) }
        (calls_table(report, &(0..report.dataset.calls.len()).collect::<Vec<_>>(), depth, true, "calls-table"))
        (runs_section(report))
        h2 { (t("导出", "Exports")) }
        p.downloads {
            @for (file, zh, en) in super::exports::FILES {
                a href={ "csv/" (file) } download { (lang.pick(zh, en)) " (" (file) ")" }
            }
        }
        p.note { (t("CSV 文件为带 BOM 的 UTF-8 编码，Excel 可直接正确显示中文。",
                    "CSV files are UTF-8 with a byte-order mark, so Excel shows the Chinese text correctly.")) }
    };
    report.frame(&report.title, depth).render(body)
}

/// Agents, lowest mean score first (the order coaching starts from).
pub fn ranked_agents<'a>(report: &'a Report<'_>) -> Vec<&'a AgentStats> {
    let mut agents: Vec<&AgentStats> = report.stats.agents.iter().collect();
    agents.sort_by(|a, b| {
        a.tally
            .mean_score()
            .unwrap_or(0.0)
            .total_cmp(&b.tally.mean_score().unwrap_or(0.0))
            .then_with(|| {
                a.tally
                    .pass_rate()
                    .unwrap_or(0.0)
                    .total_cmp(&b.tally.pass_rate().unwrap_or(0.0))
            })
            .then_with(|| super::stats::natural_cmp(&a.agent_id, &b.agent_id))
    });
    agents
}

fn agents_table(report: &Report<'_>, depth: Depth) -> Markup {
    let t = |zh, en| report.t(zh, en);
    html! {
        (table_tools(report.lang, "agents-table", &[]))
        table.agents.sortable #agents-table {
            thead { tr {
                th.num data-type="num" aria-sort="ascending" { (t("排名", "Rank")) }
                th data-type="natural" { (t("坐席", "Agent")) }
                th.num data-type="num" { (t("通话数", "Calls")) }
                th.num data-type="num" { (t("平均分", "Mean score")) }
                th.num data-type="num" { (t("通过率", "Pass rate")) }
                th.num data-type="num" { (t("严重违规", "Critical failures")) }
                th data-type="text" { (t("最弱项", "Weakest item")) }
                th.num data-type="num" { (t("坐席 / 团队未通过率", "Agent / team failure rate")) }
                th.num data-type="num" { (t("承诺兑现", "Promises kept")) }
            } }
            tbody {
                @for (rank, agent) in ranked_agents(report).into_iter().enumerate() {
                    @let weakest = coaching(report, agent).into_iter().find(|c| c.item.fail > 0);
                    tr data-agent=(agent.agent_id) {
                        td.num data-sort=(rank + 1) { (rank + 1) }
                        td.who { a href=(agent_href(depth, &agent.agent_id)) { (agent.agent_id) } }
                        td.num data-sort=(agent.tally.calls) { (agent.tally.calls) }
                        td.num data-sort=(sort_key(agent.tally.mean_score())) { (number(agent.tally.mean_score())) }
                        td.num data-sort=(sort_key(agent.tally.pass_rate())) { (percent(agent.tally.pass_rate())) }
                        td.num data-sort=(agent.tally.critical_failed) { (agent.tally.critical_failed) }
                        @if let Some(w) = &weakest {
                            td { a href=(item_href(depth, &w.item.id)) { (w.item.title.get(report.lang)) } }
                            td.num data-sort=(sort_key(w.agent_rate)) { (percent(w.agent_rate)) " / " (percent(w.team_rate)) }
                        } @else {
                            td { "–" }
                            td.num data-sort="" { "–" }
                        }
                        td.num data-sort=(sort_key(report.promise_rates.get(agent.agent_id.as_str()).and_then(|r| r.kept_rate))) {
                            (promise_rate_text(report, &agent.agent_id))
                        }
                    }
                }
            }
        }
    }
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
    let t = |zh, en| report.t(zh, en);
    let lang = report.lang;
    let rate = report.promise_rates.get(agent.agent_id.as_str());
    let ranked = ranked_agents(report);
    let rank = ranked
        .iter()
        .position(|a| a.agent_id == agent.agent_id)
        .unwrap_or(0)
        + 1;
    let weeks: Vec<String> = report.stats.weeks.iter().map(|w| w.week.clone()).collect();
    let mine: BTreeMap<&str, &Tally> = agent
        .weeks
        .iter()
        .map(|w| (w.week.as_str(), &w.tally))
        .collect();
    let promises: Vec<&Promise> = report
        .promises
        .promises
        .iter()
        .filter(|p| p.agent_id.as_deref().unwrap_or(super::stats::UNKNOWN_AGENT) == agent.agent_id)
        .collect();
    let agent_line = format!("{} {}", agent.agent_id, t("平均分", "mean score"));
    let body = html! {
        (cards(&[
            stat("calls", t("通话数", "Calls"), agent.tally.calls.to_string()),
            stat("mean-score", t("平均分", "Mean score"), number(agent.tally.mean_score())),
            stat("team-mean-score", t("团队平均分", "Team mean"), number(team.mean_score())),
            stat("pass-rate", t("通过率", "Pass rate"), percent(agent.tally.pass_rate())),
            stat("team-pass-rate", t("团队通过率", "Team pass rate"), percent(team.pass_rate())),
            stat("critical", t("严重违规", "Critical failures"), agent.tally.critical_failed.to_string()),
            stat("rank", t("辅导排名（低分在前）", "Coaching rank (lowest first)"), format!("{rank} / {}", ranked.len())),
            stat("promises-kept", t("承诺兑现", "Promises kept"), promise_rate_text(report, &agent.agent_id)),
        ]))
        p.no-print {
            button.print type="button" data-print {
                (t("打印评分卡（一页 A4）", "Print the scorecard (one A4 page)"))
            }
        }
        @if let Some(rate) = rate {
            p.note.no-print data-promise-counts={ (rate.kept) " " (rate.broken) " " (rate.pending) } {
                @match lang {
                    Lang::Zh => { "承诺：已兑现 " (rate.kept) " 个，未兑现 " (rate.broken) " 个，待定 " (rate.pending) " 个，无法核实 " (rate.unverifiable)
                        " 个（上门、发货、退款、短信等无法由后续通话核实）。兑现率 = 已兑现 ÷（已兑现 + 未兑现）。" }
                    Lang::En => { "Promises: " (rate.kept) " kept, " (rate.broken) " broken, " (rate.pending) " pending, " (rate.unverifiable)
                        " unverifiable (visits, deliveries, refunds, text messages: a later call cannot show them). Kept rate = kept ÷ (kept + broken)." }
                }
            }
        }
        h2 { (t("需要辅导的质检项（与团队对比，最差在前）", "Items to coach (against the team, worst first)")) }
        (coaching_table(report, agent, depth))
        h2 { (t("得分最低的通话", "Worst calls")) }
        @if agent.worst_calls.is_empty() {
            p.note { (t("该坐席没有未通过的通话。", "This agent has no failed call.")) }
        } @else {
            p.note { @match lang {
                Lang::Zh => { "未通过或有未通过项的通话中得分最低的 " (agent.worst_calls.len()) " 通。" }
                Lang::En => { "The lowest-scoring " (calls_count(lang, agent.worst_calls.len())) " among those that failed or failed an item." }
            } }
            (worst_calls_table(report, &agent.worst_calls, depth))
        }
        h2 { (t("趋势", "Trend")) }
        @if weeks.is_empty() {
            p.note { (t("没有带时间的通话。", "No dated calls.")) }
        } @else {
            (svg::line_chart(
                t("每周平均分：坐席与团队", "Mean score per week: agent and team"),
                &weeks,
                &[
                    Series { name: &agent_line, values: weeks.iter().map(|w| mine.get(w.as_str()).and_then(|t| t.mean_score())).collect(), css_class: "agent" },
                    Series { name: t("团队平均分", "team mean score"), values: report.stats.weeks.iter().map(|w| w.tally.mean_score()).collect(), css_class: "team" },
                ],
                "trend",
            ))
            div.no-print { (week_table(report, &agent.weeks, "agent-weeks-table")) }
        }
        @if !promises.is_empty() {
            div.no-print {
                h2 { (t("承诺", "Promises")) }
                (promise_rows(report, &promises, depth, true, "promises-table"))
            }
        }
        div.no-print {
            h2 { (t("全部通话", "All calls")) }
            p.note { @match lang {
                Lang::Zh => { "该坐席的全部 " (agent.calls.len()) " 通通话，按时间排列。" }
                Lang::En => { "All " (calls_count(lang, agent.calls.len())) " of this agent, by time." }
            } }
            (calls_table(report, &agent.calls, depth, false, "calls-table"))
        }
        p.print-only.note { (report.footer) }
    };
    let title = format!("{} {}", t("坐席", "Agent"), agent.agent_id);
    report.frame(&title, depth).render(body)
}

/// The worst calls of an agent: score and what failed, with reasons.
fn worst_calls_table(report: &Report<'_>, indexes: &[usize], depth: Depth) -> Markup {
    let t = |zh, en| report.t(zh, en);
    html! {
        table.worst-calls.sortable #worst-calls-table {
            thead { tr {
                th data-type="natural" { (t("通话", "Call")) }
                th data-type="date" { (t("开始时间", "Started")) }
                th.num data-type="num" aria-sort="ascending" { (t("得分", "Score")) }
                th data-type="text" { (t("未通过项", "Failed items")) }
            } }
            tbody {
                @for &index in indexes {
                    @let call = &report.dataset.calls[index];
                    @let card = &call.scorecard;
                    tr data-call=(card.call_id) {
                        td { a href=(call_href(depth, &card.call_id)) { (card.call_id) } }
                        td.when data-sort=(report.when_key(index)) { (report.when(index)) }
                        td.num data-score=(format!("{:.1}", card.score)) data-sort=(card.score) { (format!("{:.1}", card.score)) }
                        td {
                            @for item in card.items.iter().filter(|i| i.verdict == Verdict::Fail) {
                                div {
                                    b { (report.item_title(&item.id)) }
                                    @if item.critical { " " small.critical { (t("（关键项）", "(critical)")) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
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

/// What to mark in an utterance: exact character ranges where the
/// evidence gives them, else phrases to look for.
#[derive(Default)]
struct Marks {
    spans: Vec<[usize; 2]>,
    phrases: BTreeSet<String>,
}

impl Marks {
    /// Marks what `evidence` matched in `text` (the utterance it cites):
    /// its spans when it has them and they are about this very text, else
    /// its matched phrases wherever they occur.
    fn add(&mut self, evidence: &Evidence, text: &str) {
        let spans = if evidence.text == text {
            super::evidence_spans(evidence)
        } else {
            Vec::new()
        };
        if spans.is_empty() {
            self.phrases.extend(evidence.matched.iter().cloned());
        } else {
            self.spans.extend(spans);
        }
    }
}

/// The text cut into (piece, marked) runs.
fn marked_runs(text: &str, marks: &Marks) -> Vec<(String, bool)> {
    let chars: Vec<char> = text.chars().collect();
    let mut marked = vec![false; chars.len()];
    for &[start, end] in &marks.spans {
        for m in marked.iter_mut().take(end.min(chars.len())).skip(start) {
            *m = true;
        }
    }
    if !marks.phrases.is_empty() {
        // Phrases are in normalised form; a phrase not found verbatim
        // (Traditional script, 您/你) is looked up in the normalised text,
        // which has the same length per character for those foldings.
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
        for phrase in &marks.phrases {
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
    }
    let mut runs: Vec<(String, bool)> = Vec::new();
    for (c, &m) in chars.iter().zip(&marked) {
        match runs.last_mut() {
            Some((text, on)) if *on == m => text.push(*c),
            _ => runs.push((c.to_string(), m)),
        }
    }
    runs
}

fn highlighted(text: &str, marks: &Marks) -> Markup {
    html! {
        @for (piece, on) in marked_runs(text, marks) {
            @if on { mark { (piece) } } @else { (piece) }
        }
    }
}

/// An evidence quote with what matched marked.
fn quote(evidence: &Evidence) -> Markup {
    let mut marks = Marks::default();
    marks.add(evidence, &evidence.text);
    html! { "「" (highlighted(&evidence.text, &marks)) "」" }
}

fn role_label(lang: Lang, speaker: &str) -> (&'static str, &'static str, usize) {
    match Role::from_speaker(speaker) {
        Role::Agent => ("agent", lang.pick("坐席", "Agent"), 0),
        Role::Customer => ("customer", lang.pick("客户", "Customer"), 1),
        _ => ("other", lang.pick("其他", "Other"), 2),
    }
}

pub fn call_page(report: &Report<'_>, index: usize) -> String {
    let depth = Depth::Sub;
    let lang = report.lang;
    let t = |zh, en| report.t(zh, en);
    let call = &report.dataset.calls[index];
    let card = &call.scorecard;
    let transcript = &call.transcript;
    let agent = agent_of(call);

    // Evidence → utterances, and what to mark in each.
    let mut marks: BTreeMap<usize, Marks> = BTreeMap::new();
    for item in &card.items {
        for evidence in &item.evidence {
            if let Some(u) = evidence_utterance(call, evidence) {
                marks
                    .entry(u)
                    .or_default()
                    .add(evidence, &transcript.utterances[u].text);
            }
        }
    }
    let blocks: Vec<TimelineBlock> = transcript
        .utterances
        .iter()
        .enumerate()
        .filter_map(|(i, u)| {
            let (_, label, lane) = role_label(lang, &u.speaker);
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
    let total = call.audio_ms.max(
        transcript
            .utterances
            .iter()
            .filter_map(|u| u.end_ms)
            .max()
            .unwrap_or(0),
    );
    let lanes: Vec<&str> = if blocks.iter().any(|b| b.lane == 2) {
        vec![
            t("坐席", "Agent"),
            t("客户", "Customer"),
            t("其他", "Other"),
        ]
    } else {
        vec![t("坐席", "Agent"), t("客户", "Customer")]
    };
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
    let speakers_method = transcript
        .extra
        .get("speakers")
        .and_then(|s| s.get("method"))
        .and_then(|m| m.as_str());
    let body = html! {
        (cards(&[
            stat("score", t("得分", "Score"), format!("{:.1}", card.score)),
            stat("passed", t("结果", "Result"), verdict_word(lang, if card.passed { "pass" } else { "fail" }).to_string()),
            stat("duration", t("时长", "Duration"), svg::clock(call.audio_ms)),
            stat("started", t("开始时间", "Started"), report.when(index)),
        ]))
        p.meta {
            (t("坐席", "Agent")) (t("：", ": ")) a href=(agent_href(depth, agent)) { (agent) }
            " · " (t("客户", "Customer")) (t("：", ": ")) (transcript.customer_id.as_deref().unwrap_or("–"))
            " · " (t("呼叫方向", "Direction")) (t("：", ": ")) (direction_word(lang, transcript.direction.as_deref()))
            " · " span data-run=(report.dataset.sources.get(call.source).map(|r| r.run_id).unwrap_or(0)) {
                (t("来自", "From")) " " (report.run_label(call.source))
            }
            @if card.critical_failed { " · " b.critical { (t("关键项未通过（严重违规）", "Critical item failed")) } }
        }
        @if let Some(method) = speakers_method {
            p.note { (t("说话人区分方式：", "Speakers told apart by: ")) (method) }
        }
        div.player {
            @match report.audio.get(&card.call_id) {
                Some(src) => { audio #recording controls preload="auto" src=(src) {} }
                None => { p.note { (t("报告旁没有这通录音", "Recording not available beside the report")) " (" (call.audio_path.display().to_string()) ")" } }
            }
        }
        @if !blocks.is_empty() {
            h2 { (t("时间线", "Timeline")) }
            (svg::timeline(t("谁在何时说话（点击播放）", "Who spoke when (click to play)"), &lanes, &blocks, total))
        }
        h2 { (t("质检项", "Items")) }
        table.item-results.sortable #item-results {
            thead { tr {
                th data-type="text" { (t("质检项", "Item")) }
                th data-type="text" { (t("结果", "Verdict")) }
                th.num data-type="num" { (t("得分", "Points")) }
                th data-type="text" { (t("原因与证据", "Reason and evidence")) }
            } }
            tbody {
                @for item in &card.items {
                    tr data-item=(item.id) data-verdicts=(item.verdict.as_str()) {
                        td {
                            a href=(item_href(depth, &item.id)) { (report.item_title(&item.id)) }
                            @if item.critical { " " small.critical { (t("（关键项）", "(critical)")) } }
                        }
                        td { (verdict_badge(lang, item.verdict.as_str())) }
                        td.num data-sort=(item.points) { (format!("{:.1} / {:.1}", item.points, item.max_points)) }
                        td {
                            span.reason { (item.reason_in(lang)) }
                            (evidence_buttons(report, call, item))
                        }
                    }
                }
            }
        }
        @if !made.is_empty() {
            h2 { (t("本通话中的承诺", "Promises made in this call")) }
            (promise_rows(report, &made, depth, false, "promises-table"))
        }
        @if !followed.is_empty() {
            h2 { (t("本通话跟进的承诺", "Promises this call followed up")) }
            ul.followed {
                @for p in &followed {
                    li {
                        (call_link(report, depth, &p.call_id)) " — " (p.text) " ("
                        (p.deadline.as_deref().map(|d| deadline_text(report, d)).unwrap_or_else(|| t("无明确期限", "no deadline (vague)").to_string()))
                        ") " (status_cell(lang, p.status))
                    }
                }
            }
        }
        h2 { (t("转写文本", "Transcript")) }
        div.transcript {
            @for (i, u) in transcript.utterances.iter().enumerate() {
                @let (class, label, _) = role_label(lang, &u.speaker);
                @let evidence = marks.get(&i);
                @let id = format!("u{i}");
                div class={ "utt " (class) @if evidence.is_some() { " evidence" } } id=(id)
                    data-seek=[u.start_ms.map(|s| format!("{:.2}", s as f64 / 1000.0))]
                    data-target=[u.start_ms.map(|_| id.clone())]
                    data-start=[u.start_ms]
                    data-end=[u.start_ms.map(|s| u.end_ms.unwrap_or(s))] {
                    span.time { (u.start_ms.map(svg::clock).unwrap_or_default()) }
                    span.speaker { (label) }
                    span.text {
                        @match evidence {
                            Some(m) => { (highlighted(&u.text, m)) }
                            None => { (u.text) }
                        }
                    }
                }
            }
        }
    };
    let title = format!("{} {}", t("通话", "Call"), card.call_id);
    report.frame(&title, depth).render(body)
}

fn direction_word(lang: Lang, direction: Option<&str>) -> String {
    match direction.map(|d| d.trim().to_ascii_lowercase()) {
        None => "–".to_string(),
        Some(d) if d == "inbound" || d == "in" => lang.pick("呼入", "inbound").to_string(),
        Some(d) if d == "outbound" || d == "out" => lang.pick("呼出", "outbound").to_string(),
        Some(_) => direction.unwrap_or("–").to_string(),
    }
}

fn evidence_buttons(report: &Report<'_>, call: &StoredCall, item: &ItemResult) -> Markup {
    let lang = report.lang;
    html! {
        @for evidence in &item.evidence {
            @let target = evidence_utterance(call, evidence).map(|u| format!("u{u}")).unwrap_or_default();
            @let (_, label, _) = role_label(lang, &evidence.speaker);
            @match evidence.start_ms {
                Some(ms) => {
                    button.evidence type="button" data-seek=(format!("{:.2}", ms as f64 / 1000.0)) data-target=(target)
                        title=(report.t("从这里播放", "Play from here")) {
                        "▶ " (svg::clock(ms)) " " (label) (report.t("：", ": ")) (quote(evidence))
                    }
                }
                None => { div.note { (label) (report.t("：", ": ")) (quote(evidence)) } }
            }
        }
    }
}

/// One (call, item) the drill-down pages list.
pub struct Entry<'a> {
    pub index: usize,
    pub item: &'a ItemResult,
}

impl Report<'_> {
    /// Every (call, item) with a `review` verdict, by time then call.
    pub fn review_entries(&self) -> Vec<Entry<'_>> {
        self.entries(|item| item.verdict == Verdict::Review)
    }

    /// Every (call, item) of `item_id` that failed or needs review.
    pub fn item_entries(&self, item_id: &str) -> Vec<Entry<'_>> {
        self.entries(|item| {
            item.id == item_id && matches!(item.verdict, Verdict::Fail | Verdict::Review)
        })
    }

    fn entries(&self, keep: impl Fn(&ItemResult) -> bool) -> Vec<Entry<'_>> {
        self.dataset
            .calls
            .iter()
            .enumerate()
            .flat_map(|(index, call)| {
                call.scorecard
                    .items
                    .iter()
                    .filter(|i| keep(i))
                    .map(move |item| Entry { index, item })
            })
            .collect()
    }
}

/// The table of the drill-down pages: call, time, agent, (item), verdict,
/// reason, evidence.
fn entries_table(
    report: &Report<'_>,
    entries: &[Entry<'_>],
    depth: Depth,
    show_item: bool,
    id: &str,
    verdicts: bool,
) -> Markup {
    let t = |zh, en| report.t(zh, en);
    let lang = report.lang;
    let mut selects = Vec::new();
    if verdicts {
        selects.push(verdict_filter(lang));
        selects[0]
            .choices
            .retain(|c| c.value == "fail" || c.value == "review");
    }
    let agents: BTreeSet<&str> = entries
        .iter()
        .map(|e| agent_of(&report.dataset.calls[e.index]))
        .collect();
    let mut agents: Vec<&str> = agents.into_iter().collect();
    agents.sort_by(|a, b| super::stats::natural_cmp(a, b));
    selects.push(report.agent_select(&agents));
    // Items judged on counts (talk balance) cite no utterance.
    let any_evidence = entries.iter().any(|e| !e.item.evidence.is_empty());
    html! {
        (table_tools(lang, id, &selects))
        table.entries.sortable id=(id) {
            thead { tr {
                th data-type="natural" { (t("通话", "Call")) }
                th data-type="date" { (t("开始时间", "Started")) }
                th data-type="natural" { (t("坐席", "Agent")) }
                @if show_item { th data-type="text" { (t("质检项", "Item")) } }
                th data-type="text" { (t("结果", "Verdict")) }
                th data-type="text" { (t("原因", "Reason")) }
                @if any_evidence { th data-type="text" { (t("证据", "Evidence")) } }
            } }
            tbody {
                @for e in entries {
                    @let call = &report.dataset.calls[e.index];
                    @let agent = agent_of(call);
                    tr data-call=(call.scorecard.call_id) data-agent=(agent) data-verdicts=(e.item.verdict.as_str()) data-item=(e.item.id) {
                        td { a href=(call_href(depth, &call.scorecard.call_id)) { (call.scorecard.call_id) } }
                        td.when data-sort=(report.when_key(e.index)) { (report.when(e.index)) }
                        td.who { a href=(agent_href(depth, agent)) { (agent) } }
                        @if show_item { td { a href=(item_href(depth, &e.item.id)) { (report.item_title(&e.item.id)) } } }
                        td { (verdict_badge(lang, e.item.verdict.as_str())) }
                        td.reason { (e.item.reason_in(lang)) }
                        @if any_evidence { td {
                            @for evidence in &e.item.evidence {
                                blockquote.quote {
                                    @if let Some(ms) = evidence.start_ms { small { (svg::clock(ms)) " " } }
                                    (role_label(lang, &evidence.speaker).1) (t("：", ": ")) (quote(evidence))
                                }
                            }
                        } }
                    }
                }
            }
        }
    }
}

/// A rubric text wrapped for a terminal (`callqa explain` prints its lines)
/// as one paragraph: a line break between two Chinese characters is no
/// space (a browser would show one), elsewhere it is one.
fn prose(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let joins_wide = out.chars().last().is_some_and(|c| !c.is_ascii())
            && line.chars().next().is_some_and(|c| !c.is_ascii());
        if !out.is_empty() && !joins_wide {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

/// `items/<id>.html`: what the item checks, and the calls that failed it
/// or need its review.
pub fn item_page(report: &Report<'_>, item: &ItemRate) -> String {
    let t = |zh, en| report.t(zh, en);
    let lang = report.lang;
    let entries = report.item_entries(&item.id);
    let title_text = item.title.get(lang);
    let what = prose(item.what.get(lang));
    let body = html! {
        @if !what.is_empty() {
            p.item-what data-item-what {
                strong { (t("检查什么：", "What it checks: ")) }
                (what)
            }
        }
        (cards(&[
            stat("applicable", t("适用通话", "Calls where it applied"), item.applicable().to_string()),
            stat("fail", t("未通过", "Failed"), item.fail.to_string()),
            stat("review", t("待复核", "To review"), item.review.to_string()),
            stat("failure-rate", t("未通过率", "Failure rate"), percent(item.failure_rate())),
        ]))
        @if item.critical {
            p.note { (t("这是关键项：未通过即判整通通话不合格（严重违规）。", "A critical item: failing it fails the whole call.")) }
        }
        h2 { (t("未通过与待复核的通话", "Calls that failed it or need review")) }
        @if entries.is_empty() {
            p.note { (t("没有通话未通过此项或需要复核。", "No call failed this item or needs its review.")) }
        } @else {
            (entries_table(report, &entries, Depth::Sub, false, "entries-table", true))
        }
    };
    let title = format!("{}{}", t("质检项：", "Item: "), title_text);
    report.frame(&title, Depth::Sub).render(body)
}

/// `review.html`: every call with an item to review, and why.
pub fn review_page(report: &Report<'_>) -> String {
    let t = |zh, en| report.t(zh, en);
    let entries = report.review_entries();
    let calls: BTreeSet<usize> = entries.iter().map(|e| e.index).collect();
    let body = html! {
        (cards(&[
            stat("review-items", t("待复核项", "Items to review"), entries.len().to_string()),
            stat("review-calls", t("涉及通话", "Calls"), calls.len().to_string()),
        ]))
        p.note { (t("规则无法确定结果的质检项会标为“待复核”，需要质检员听录音后判断。下表按通话时间排列，点击通话进入详情。",
                    "Items the rules could not decide are marked for review: a QA analyst listens and decides. By call time; click a call to open it.")) }
        @if entries.is_empty() {
            p.note { (t("没有待复核的质检项。", "Nothing to review.")) }
        } @else {
            (entries_table(report, &entries, Depth::Top, true, "review-table", false))
        }
    };
    report
        .frame(t("待复核队列", "Review queue"), Depth::Top)
        .render(body)
}

/// `critical.html`: every call that failed a critical item.
pub fn critical_page(report: &Report<'_>) -> String {
    let t = |zh, en| report.t(zh, en);
    let lang = report.lang;
    let depth = Depth::Top;
    let indexes: Vec<usize> = report
        .dataset
        .calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.scorecard.critical_failed)
        .map(|(i, _)| i)
        .collect();
    let agents: BTreeSet<&str> = indexes
        .iter()
        .map(|&i| agent_of(&report.dataset.calls[i]))
        .collect();
    let mut agents: Vec<&str> = agents.into_iter().collect();
    agents.sort_by(|a, b| super::stats::natural_cmp(a, b));
    let body = html! {
        (cards(&[stat("critical", t("严重违规通话", "Calls with a critical failure"), indexes.len().to_string())]))
        p.note { (t("关键项未通过的通话，无论总分多少都判为不合格。", "Calls that failed a critical item fail whatever their score.")) }
        @if indexes.is_empty() {
            p.note { (t("没有严重违规的通话。", "No call failed a critical item.")) }
        } @else {
            (table_tools(lang, "critical-table", &[report.agent_select(&agents)]))
            table.critical.sortable #critical-table {
                thead { tr {
                    th data-type="natural" { (t("通话", "Call")) }
                    th data-type="date" { (t("开始时间", "Started")) }
                    th data-type="natural" { (t("坐席", "Agent")) }
                    th.num data-type="num" { (t("得分", "Score")) }
                    th data-type="text" { (t("未通过的关键项与原因", "Critical items failed, and why")) }
                } }
                tbody {
                    @for &index in &indexes {
                        @let call = &report.dataset.calls[index];
                        @let agent = agent_of(call);
                        tr data-call=(call.scorecard.call_id) data-agent=(agent) {
                            td { a href=(call_href(depth, &call.scorecard.call_id)) { (call.scorecard.call_id) } }
                            td.when data-sort=(report.when_key(index)) { (report.when(index)) }
                            td.who { a href=(agent_href(depth, agent)) { (agent) } }
                            td.num data-sort=(call.scorecard.score) { (format!("{:.1}", call.scorecard.score)) }
                            td {
                                @for item in call.scorecard.items.iter().filter(|i| i.critical && i.verdict == Verdict::Fail) {
                                    div {
                                        a href=(item_href(depth, &item.id)) { b { (report.item_title(&item.id)) } }
                                        (t("：", ": ")) (item.reason_in(lang))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    report
        .frame(t("严重违规", "Critical failures"), depth)
        .render(body)
}

pub fn promises_page(report: &Report<'_>) -> String {
    let depth = Depth::Top;
    let t = |zh, en| report.t(zh, en);
    let lang = report.lang;
    let all: Vec<&Promise> = report.promises.promises.iter().collect();
    let count = |s: PromiseStatus| all.iter().filter(|p| p.status == s).count();
    let as_of = report.as_of_text.clone();
    let body = html! {
        (cards(&[
            stat("promises", t("承诺总数", "Promises"), all.len().to_string()),
            stat("kept", t("已兑现", "Kept"), count(PromiseStatus::Kept).to_string()),
            stat("broken", t("未兑现", "Broken"), count(PromiseStatus::Broken).to_string()),
            stat("pending", t("待定", "Pending"), count(PromiseStatus::Pending).to_string()),
            stat("unverifiable", t("无法核实", "Unverifiable"), count(PromiseStatus::Unverifiable).to_string()),
        ]))
        p.note { @match lang {
            Lang::Zh => { "同一客户在期限前有后续通话（且未投诉无人回电）即为已兑现；期限已过仍无后续通话、客户回电投诉或回电晚于期限即为未兑现；期限在 "
                (as_of) " 之后的为待定。只有联系类承诺（回电、答复）能这样核实：上门、发货、退款、短信无法核实。含糊的承诺（稍后、尽快）没有期限。" }
            Lang::En => { "A promise is kept when the same customer has a later call before the deadline (and does not complain that nobody called); broken when the deadline passed without one, the customer called back complaining, or the call came late; pending while its deadline is after "
                (as_of) ". Only promises of contact (a call or a reply) can be checked this way: visits, deliveries, refunds and text messages are unverifiable. A vague promise (稍后, 尽快) has no deadline." }
        } }
        @if all.is_empty() {
            p.note { (t("坐席的话语中没有发现承诺。", "No promise was found in the agents' speech.")) }
        } @else {
            (promise_rows(report, &all, depth, true, "promises-table"))
        }
        @if !report.promises.skipped.is_empty() {
            h2 { (t("未检查的通话", "Not checked")) }
            ul {
                @for skipped in &report.promises.skipped {
                    li { (call_link(report, depth, &skipped.call_id)) (t("：", ": ")) (skipped.reason_in(lang)) }
                }
            }
        }
    };
    report
        .frame(t("承诺跟进", "Promise follow-through"), depth)
        .render(body)
}

fn hotspot_table(report: &Report<'_>, hotspots: &[Hotspot], id: &str) -> Markup {
    let t = |zh, en| report.t(zh, en);
    html! {
        table.hotspots.sortable id=(id) {
            thead { tr {
                th.num data-type="num" { (t("排名", "Rank")) }
                th data-type="text" { (t("热点", "Hotspot")) }
                th.num data-type="num" { (t("通话数", "Calls")) }
                th.num data-type="num" { (t("提及次数", "Mentions")) }
                th data-type="text" { (t("示例", "Examples")) }
            } }
            tbody {
                @for (rank, h) in hotspots.iter().enumerate() {
                    tr data-hotspot=(h.phrase) {
                        td.num data-sort=(rank + 1) { (rank + 1) }
                        td { b { (h.phrase) } }
                        td.num data-sort=(h.calls) { (h.calls) }
                        td.num data-sort=(h.mentions) { (h.mentions) }
                        td {
                            @for (i, call_id) in h.example_call_ids.iter().enumerate() {
                                @if i > 0 { br; }
                                (call_link(report, Depth::Top, call_id))
                                @if let Some(s) = h.example_snippets.get(i) { " “" (s) "”" }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn hotspots_page(report: &Report<'_>) -> String {
    let t = |zh, en| report.t(zh, en);
    let lang = report.lang;
    let hotspots = &report.hotspots;
    let o = &report.hotspot_options;
    let body = html! {
        p.note #threshold data-min-calls=(o.min_calls) data-top=(o.top) {
            @match lang {
                Lang::Zh => {
                    "客户在抱怨什么：从 " (hotspots.calls) " 通通话的客户话语中提取关键词和短语。"
                    "热点的标准：在同一时期内至少 " (o.min_calls) " 通通话中被客户提及；按提及它的通话数排序（通话数相同时按关键词权重），"
                    "每个时期最多列 " (o.top) " 个，每个热点列 " (o.examples) " 个示例通话；客服常用语已排除。"
                }
                Lang::En => {
                    "What customers complain about: keywords and phrases of the customers' side of " (calls_count(lang, hotspots.calls)) ". "
                    "A hotspot is a phrase customers mention in at least " (calls_count(lang, o.min_calls)) " of the period; hotspots are ranked by the number of calls that mention them "
                    "(keyword weight breaks ties), at most " (o.top) " per period with " (o.examples) " example calls each; call-centre chatter is filtered out."
                }
            }
        }
        h2 { (t("总体", "Overall")) }
        @if hotspots.overall.is_empty() {
            p.note { (t("没有短语达到热点标准。", "No phrase reaches the hotspot threshold.")) }
        } @else {
            (svg::bar_chart(
                t("各热点的通话数", "Calls per hotspot"),
                &hotspots.overall.iter().map(|h| h.phrase.clone()).collect::<Vec<_>>(),
                &hotspots.overall.iter().map(|h| h.calls).collect::<Vec<_>>(),
                "hotspot-bars",
            ))
            (hotspot_table(report, &hotspots.overall, "hotspots-overall"))
        }
        @for week in &hotspots.weeks {
            h2 id=(week.period) {
                (week.period) " "
                small { "(" (t("自 ", "from ")) (week.week_start) (t("起，", ", ")) (calls_count(lang, week.calls)) ")" }
            }
            @if week.hotspots.is_empty() {
                p.note { (t("本周没有热点。", "No hotspot this week.")) }
            } @else {
                (hotspot_table(report, &week.hotspots, &format!("hotspots-{}", week.period)))
            }
        }
    };
    report
        .frame(t("投诉热点", "Complaint hotspots"), Depth::Top)
        .render(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_mark_exactly_what_matched_and_phrases_are_the_fallback() {
        let mut marks = Marks::default();
        marks.spans.push([2, 4]);
        marks.spans.push([3, 6]);
        let runs = marked_runs("您好，請問有什麼", &marks);
        assert_eq!(
            runs,
            [
                ("您好".to_string(), false),
                ("，請問有".to_string(), true),
                ("什麼".to_string(), false)
            ]
        );
        // Phrases in normalised form find the Traditional, 您 text.
        let mut marks = Marks::default();
        marks.phrases.insert("你好".to_string());
        marks.phrases.insert("请问".to_string());
        let runs = marked_runs("您好，請問", &marks);
        assert_eq!(
            runs,
            [
                ("您好".to_string(), true),
                ("，".to_string(), false),
                ("請問".to_string(), true)
            ]
        );
        assert_eq!(
            highlighted("<b>", &Marks::default()).into_string(),
            "&lt;b&gt;"
        );
    }
}
