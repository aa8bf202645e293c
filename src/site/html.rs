//! HTML building blocks shared by every page: escaping, the page frame
//! (header, navigation, footer), file names for ids, and the one style
//! sheet and script the pages link (written once into `assets/`).
//!
//! Pages open from the file system (`file://`), so nothing is fetched: no
//! CDN, no web fonts, no `fetch()`; the script only moves the audio player.

use std::fmt::Write;

use sha2::{Digest, Sha256};

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

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
    /// `index.html`, `promises.html`, `hotspots.html`
    Top,
    /// `agents/…`, `calls/…`
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

/// The common frame of a page.
pub struct Frame<'a> {
    pub title: &'a str,
    pub depth: Depth,
    /// "rubric cs-standard 1.0 (sha256 …)" and the data's as-of time.
    pub subtitle: &'a str,
    pub footer: &'a str,
}

impl Frame<'_> {
    pub fn render(&self, body: &str) -> String {
        let root = self.depth.root();
        let mut page = String::with_capacity(body.len() + 2048);
        let _ = write!(
            page,
            r#"<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{root}assets/report.css">
</head>
<body>
<header>
<nav><a href="{root}index.html">总览 Overview</a> <a href="{root}index.html#agents">坐席 Agents</a> <a href="{root}index.html#calls">通话 Calls</a> <a href="{root}promises.html">承诺 Promises</a> <a href="{root}hotspots.html">投诉热点 Hotspots</a></nav>
<h1>{title}</h1>
<p class="subtitle">{subtitle}</p>
</header>
<main>
{body}
</main>
<footer>{footer}</footer>
<script src="{root}assets/report.js"></script>
</body>
</html>
"#,
            title = escape(self.title),
            subtitle = escape(self.subtitle),
            footer = escape(self.footer),
        );
        page
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

pub fn verdict_badge(verdict: &str) -> String {
    let label = match verdict {
        "pass" => "通过 pass",
        "fail" => "未通过 fail",
        "review" => "复核 review",
        "na" => "不适用 n/a",
        other => other,
    };
    format!(
        r#"<span class="verdict {0}" data-verdict="{0}">{1}</span>"#,
        escape(verdict),
        label
    )
}

/// The style sheet. The font list names the CJK faces of each platform
/// (Noto/Source Han on Linux, PingFang on macOS, YaHei on Windows): the
/// report never downloads a font, and falls back to the system's own.
pub const CSS: &str = r#":root {
  --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --panel: #f6f8fa;
  --pass: #1a7f37; --fail: #cf222e; --review: #9a6700; --na: #6e7781;
  --agent: #0969da; --customer: #8250df; --evidence: #fff1a8;
}
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg);
  font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Droid Sans Fallback",
    system-ui, sans-serif;
  font-size: 15px; line-height: 1.55; }
header { padding: 12px 24px 4px; border-bottom: 1px solid var(--line); background: var(--panel); }
header nav a { margin-right: 16px; }
h1 { font-size: 22px; margin: 8px 0 2px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.subtitle { color: var(--muted); margin: 0 0 8px; font-size: 13px; }
main { padding: 8px 24px 40px; max-width: 1180px; }
footer { padding: 12px 24px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); }
a { color: var(--agent); text-decoration: none; } a:hover { text-decoration: underline; }
table { border-collapse: collapse; margin: 8px 0; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 16px; min-width: 150px; background: var(--panel); }
.card .value { font-size: 24px; font-weight: 600; }
.card .label { color: var(--muted); font-size: 13px; }
.verdict { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 13px; color: #fff; white-space: nowrap; }
.verdict.pass { background: var(--pass); } .verdict.fail { background: var(--fail); }
.verdict.review { background: var(--review); } .verdict.na { background: var(--na); }
.status-kept { color: var(--pass); font-weight: 600; } .status-broken { color: var(--fail); font-weight: 600; }
.status-pending { color: var(--review); font-weight: 600; } .status-unverifiable { color: var(--muted); }
svg { max-width: 100%; height: auto; display: block; margin: 6px 0; font-size: 11px; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .label, svg .legend { fill: var(--muted); }
svg .value { fill: var(--fg); }
svg .bar { fill: var(--agent); }
svg .line { stroke-width: 2.5; fill: none; }
svg .line.agent { stroke: var(--agent); } svg .point.agent { fill: var(--agent); }
svg .line.team { stroke: var(--muted); } svg .point.team { fill: var(--muted); }
svg .line.pass { stroke: var(--pass); } svg .point.pass { fill: var(--pass); }
svg .utt-block { cursor: pointer; }
svg .utt-block.lane0 { fill: var(--agent); opacity: .55; } svg .utt-block.lane1 { fill: var(--customer); opacity: .55; }
svg .utt-block.lane2 { fill: var(--na); opacity: .55; }
svg .utt-block.evidence { opacity: 1; stroke: #bf8700; stroke-width: 2; }
.failbar { display: inline-block; height: 10px; background: var(--fail); vertical-align: middle; margin-right: 6px; }
.player { position: sticky; top: 0; background: var(--bg); padding: 8px 0; z-index: 2; border-bottom: 1px solid var(--line); }
.player audio { width: 100%; }
.transcript { margin: 8px 0; }
.utt { display: grid; grid-template-columns: 64px 64px 1fr; gap: 8px; padding: 4px 6px; border-radius: 4px; cursor: pointer; }
.utt:hover { background: var(--panel); }
.utt .time { color: var(--muted); font-variant-numeric: tabular-nums; }
.utt.agent .speaker { color: var(--agent); font-weight: 600; }
.utt.customer .speaker { color: var(--customer); font-weight: 600; }
.utt.evidence { background: #fffbe5; }
.utt.playing { outline: 2px solid var(--agent); }
.utt.flash { animation: flash 1.2s ease-out; }
@keyframes flash { from { background: var(--evidence); } to { background: transparent; } }
mark { background: var(--evidence); padding: 0 1px; }
button.evidence { font: inherit; font-size: 13px; text-align: left; border: 1px solid var(--line); background: var(--panel);
  border-radius: 4px; padding: 2px 6px; margin: 2px 0; cursor: pointer; display: block; }
button.evidence:hover { border-color: var(--agent); }
.note { color: var(--muted); font-size: 13px; }
.downloads a { margin-right: 14px; }
"#;

/// The script: clicking anything with `data-seek` (seconds) plays the call's
/// recording from there and scrolls its utterance into view; the utterance
/// being played is outlined.
pub const JS: &str = r#"(function () {
  "use strict";
  var audio = document.getElementById("recording");
  function utteranceFor(target) {
    var id = target.getAttribute("data-target");
    return id ? document.getElementById(id) : null;
  }
  function seek(seconds, target) {
    if (audio) {
      audio.currentTime = seconds;
      var playing = audio.play();
      if (playing && playing.catch) { playing.catch(function () {}); }
    }
    var utt = target ? utteranceFor(target) : null;
    if (utt) {
      utt.scrollIntoView({ block: "center" });
      utt.classList.remove("flash");
      void utt.offsetWidth;
      utt.classList.add("flash");
    }
    document.body.setAttribute("data-last-seek", String(seconds));
  }
  document.addEventListener("click", function (event) {
    var el = event.target.closest ? event.target.closest("[data-seek]") : null;
    if (!el) { return; }
    event.preventDefault();
    seek(parseFloat(el.getAttribute("data-seek")), el);
  });
  if (audio) {
    var utts = Array.prototype.slice.call(document.querySelectorAll(".utt[data-start]"));
    audio.addEventListener("timeupdate", function () {
      var t = audio.currentTime * 1000;
      utts.forEach(function (u) {
        var on = t >= +u.getAttribute("data-start") && t < +u.getAttribute("data-end");
        u.classList.toggle("playing", on);
      });
    });
  }
})();
"#;
