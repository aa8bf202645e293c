//! HTML building blocks shared by every page: the page frame (header,
//! navigation, footer) in the report's language, file names for ids, links,
//! verdict badges, sortable and filterable tables, and the one style sheet
//! and script the pages link (written once into `assets/`).
//!
//! Every page is a maud template: text is escaped by default and the markup
//! is checked when the crate compiles. Pages open from the file system
//! (`file://`), so nothing is fetched: no CDN, no web fonts, no `fetch()`.

use maud::{html, Markup, DOCTYPE};
use sha2::{Digest, Sha256};

use crate::i18n::Lang;

/// A file name for an id (call id, agent id): kept as is when it is plain
/// ASCII, otherwise a readable prefix plus a hash, so two ids never share
/// a page and every file system accepts the name.
pub fn file_stem(id: &str) -> String {
    let plain = !id.is_empty()
        && id.len() <= 80
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !id.starts_with('.');
    if plain {
        return id.to_string();
    }
    let prefix: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .take(40)
        .collect();
    let digest = Sha256::digest(id.as_bytes());
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    if prefix.is_empty() {
        format!("id-{hash}")
    } else {
        format!("{prefix}-{hash}")
    }
}

/// Where a page sits, for relative links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// `index.html`, `review.html`, `critical.html`, `promises.html`, `hotspots.html`
    Top,
    /// `agents/…`, `calls/…`, `items/…`
    Sub,
}

impl Depth {
    pub fn root(self) -> &'static str {
        match self {
            Depth::Top => "",
            Depth::Sub => "../",
        }
    }
}

pub fn call_href(depth: Depth, call_id: &str) -> String {
    format!("{}calls/{}.html", depth.root(), file_stem(call_id))
}

pub fn agent_href(depth: Depth, agent_id: &str) -> String {
    format!("{}agents/{}.html", depth.root(), file_stem(agent_id))
}

pub fn item_href(depth: Depth, item_id: &str) -> String {
    format!("{}items/{}.html", depth.root(), file_stem(item_id))
}

/// The common frame of a page.
pub struct Frame<'a> {
    pub lang: Lang,
    pub title: &'a str,
    pub depth: Depth,
    /// "rubric cs-standard 1.0 (sha256 …)" and the data's as-of time.
    pub subtitle: &'a str,
    pub footer: &'a str,
}

impl Frame<'_> {
    pub fn render(&self, body: Markup) -> String {
        let root = self.depth.root();
        let t = |zh, en| self.lang.pick(zh, en);
        let page = html! {
            (DOCTYPE)
            html lang=(self.lang.html_tag()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (self.title) }
                    link rel="stylesheet" href={ (root) "assets/report.css" };
                }
                body {
                    header {
                        nav {
                            a href={ (root) "index.html" } { (t("总览", "Overview")) }
                            a href={ (root) "index.html#agents" } { (t("坐席", "Agents")) }
                            a href={ (root) "index.html#calls" } { (t("通话", "Calls")) }
                            a href={ (root) "review.html" } { (t("待复核", "Review queue")) }
                            a href={ (root) "critical.html" } { (t("严重违规", "Critical failures")) }
                            a href={ (root) "promises.html" } { (t("承诺跟进", "Promises")) }
                            a href={ (root) "hotspots.html" } { (t("投诉热点", "Hotspots")) }
                        }
                        h1 { (self.title) }
                        p.subtitle { (self.subtitle) }
                    }
                    main { (body) }
                    footer { (self.footer) }
                    script src={ (root) "assets/report.js" } {}
                }
            }
        };
        let mut text = page.into_string();
        text.push('\n');
        text
    }
}

/// `87.5` / `–` for a missing number.
pub fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |v| format!("{v:.1}"))
}

/// `66.7%` / `–`.
pub fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |v| format!("{v:.1}%"))
}

/// A number for a `data-sort` attribute (blank sorts last).
pub fn sort_key(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| format!("{v}"))
}

/// The word for a verdict (`pass`, `fail`, `review`, `na`).
pub fn verdict_word(lang: Lang, verdict: &str) -> &'static str {
    match verdict {
        "pass" => lang.pick("通过", "Pass"),
        "fail" => lang.pick("未通过", "Fail"),
        "review" => lang.pick("待复核", "Review"),
        "na" => lang.pick("不适用", "N/A"),
        _ => lang.pick("未知", "Unknown"),
    }
}

pub fn verdict_badge(lang: Lang, verdict: &str) -> Markup {
    html! {
        span class={ "verdict " (verdict) } data-verdict=(verdict) { (verdict_word(lang, verdict)) }
    }
}

/// "1 call" / "2 calls" / "3 通".
pub fn calls_count(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Zh => format!("{n} 通"),
        Lang::En if n == 1 => "1 call".to_string(),
        Lang::En => format!("{n} calls"),
    }
}

/// One choice of a filter select: (value, label).
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// A select box that keeps the rows whose `attr` (space-separated values)
/// holds the chosen value.
pub struct SelectFilter {
    pub attr: &'static str,
    pub label: String,
    pub choices: Vec<Choice>,
}

/// The filter box (and select boxes) above a table with id `table_id`,
/// and the "shown of total" count the script keeps up to date.
pub fn table_tools(lang: Lang, table_id: &str, selects: &[SelectFilter]) -> Markup {
    let all = lang.pick("全部", "All");
    html! {
        div.table-tools data-table=(table_id) {
            label {
                (lang.pick("筛选", "Filter")) " "
                input.filter type="search" placeholder=(lang.pick("输入关键词", "Type to filter")) aria-label=(lang.pick("筛选表格", "Filter the table"));
            }
            @for select in selects {
                label {
                    (select.label) " "
                    select data-attr=(select.attr) {
                        option value="" { (all) }
                        @for choice in &select.choices {
                            option value=(choice.value) { (choice.label) }
                        }
                    }
                }
            }
            span.shown data-format=(lang.pick("显示 {shown} / {total} 行", "{shown} of {total} rows shown")) {}
        }
    }
}

/// The verdict filter: fail / review / pass / n/a.
pub fn verdict_filter(lang: Lang) -> SelectFilter {
    SelectFilter {
        attr: "data-verdicts",
        label: lang.pick("结果", "Verdict").to_string(),
        choices: ["fail", "review", "pass", "na"]
            .iter()
            .map(|v| Choice {
                value: v.to_string(),
                label: verdict_word(lang, v).to_string(),
            })
            .collect(),
    }
}

/// The style sheet. The font list names the CJK faces of each platform
/// (Noto/Source Han on Linux, PingFang on macOS, YaHei on Windows): the
/// report never downloads a font, and falls back to the system's own.
pub const CSS: &str = include_str!("assets/report.css");

/// The script: audio seeking, sortable tables, filters (see the file).
pub const JS: &str = include_str!("assets/report.js");
