//! The supervisors' report in a real browser (Debian's headless Chromium
//! through chromedriver): the numbers on the pages against the scorecards,
//! Chinese text rendered with a real CJK font, clicking evidence seeking the
//! recording, promises and their follow-up links; sorting (numbers as
//! numbers, agent ids in natural order), filtering, keyboard use of the
//! headers, the drill-down from an item's failure rate to its calls, the
//! review queue, the critical failures, times in the calls' own offset,
//! the language switch, no rubric pattern or item id on any page, and the
//! agent scorecard printing on one A4 page. Screenshots of every run are
//! kept in `target/report-screenshots/`; with `CALLQA_SCREENSHOTS=docs`
//! they refresh the committed ones in `docs/screenshots/` instead (so a
//! plain test run leaves the working tree clean).

mod report_support;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::{json, Value};

use report_support::webdriver::Browser;
use report_support::{build_batch, callqa, crate_dir, default_sources, round1, scorecards, AS_OF};

fn file_url(path: &Path) -> String {
    format!("file://{}", fs::canonicalize(path).unwrap().display())
}

fn save_screenshot(name: &str, png: &[u8]) {
    let dir = if std::env::var("CALLQA_SCREENSHOTS").is_ok_and(|v| v == "docs") {
        crate_dir().join("docs/screenshots")
    } else {
        crate_dir().join("target/report-screenshots")
    };
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(name), png).unwrap();
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

/// Counts of a verdict and of applicable verdicts per item, from scorecards.
fn item_counts(cards: &[Value]) -> BTreeMap<String, (usize, usize)> {
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for card in cards {
        for item in card["items"].as_array().unwrap() {
            let entry = counts
                .entry(item["id"].as_str().unwrap().to_string())
                .or_default();
            let verdict = item["verdict"].as_str().unwrap();
            if verdict != "na" {
                entry.1 += 1;
            }
            if verdict == "fail" {
                entry.0 += 1;
            }
        }
    }
    counts
}

#[test]
fn report_pages_match_the_scorecards_and_evidence_plays_the_recording() {
    let batch = build_batch(&default_sources());
    let report_dir = batch.path("report");
    let output = callqa(&[
        "report",
        "--out",
        report_dir.to_str().unwrap(),
        "--as-of",
        AS_OF,
        batch.run_dir.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let cards: Vec<Value> = scorecards(&batch.run_dir)
        .into_iter()
        .filter(|c| c.get("score").is_some())
        .collect();
    assert_eq!(cards.len(), batch.call_ids.len(), "every call scored");

    let browser = Browser::start();

    // Overview: the headline numbers.
    browser.open(&file_url(&report_dir.join("index.html")));
    let passed = cards.iter().filter(|c| c["passed"] == json!(true)).count();
    let mean = round1(
        cards
            .iter()
            .map(|c| c["score"].as_f64().unwrap())
            .sum::<f64>()
            / cards.len() as f64,
    );
    assert_eq!(
        browser.text("[data-stat=calls] .value"),
        cards.len().to_string()
    );
    assert_eq!(
        browser.text("[data-stat=pass-rate] .value"),
        format!("{:.1}%", round1(100.0 * passed as f64 / cards.len() as f64))
    );
    assert_eq!(
        browser.text("[data-stat=mean-score] .value"),
        format!("{mean:.1}")
    );

    // Every call's score in the calls table, and every item's failure rate.
    let shown: Value = browser.run(
        "var out = {}; document.querySelectorAll('table.calls tr[data-call]').forEach(function (r) { \
           out[r.getAttribute('data-call')] = r.querySelector('[data-score]').textContent; }); return out;",
        json!([]),
    );
    for card in &cards {
        let id = card["call_id"].as_str().unwrap();
        assert_eq!(
            shown[id].as_str(),
            Some(format!("{:.1}", card["score"].as_f64().unwrap()).as_str()),
            "score of {id} on the overview"
        );
    }
    let rates: Value = browser.run(
        "var out = {}; document.querySelectorAll('table.items tr[data-item]').forEach(function (r) { \
           var cells = r.querySelectorAll('td'); out[r.getAttribute('data-item')] = \
           [cells[1].textContent, cells[5].textContent]; }); return out;",
        json!([]),
    );
    for (id, (fail, applicable)) in item_counts(&cards) {
        assert_eq!(
            rates[&id][0].as_str(),
            Some(fail.to_string().as_str()),
            "fail count of {id}"
        );
        let rate = if applicable == 0 {
            "–".to_string()
        } else {
            format!("{:.1}%", round1(100.0 * fail as f64 / applicable as f64))
        };
        assert_eq!(
            rates[&id][1].as_str(),
            Some(rate.as_str()),
            "failure rate of {id}"
        );
    }
    // The histogram's bars add up to the calls.
    let bars: Value = browser.run(
        "return Array.prototype.map.call(document.querySelectorAll('svg.histogram rect.bar'), \
           function (b) { return +b.getAttribute('data-count'); });",
        json!([]),
    );
    assert_eq!(
        bars.as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_u64().unwrap())
            .sum::<u64>(),
        cards.len() as u64
    );

    // Chinese renders with a real font: with no CJK font every character is
    // the same "tofu" box, so two different strings would draw the same pixels.
    let distinct: Value = browser.run(
        "var font = getComputedStyle(document.querySelector('h1')).font; \
         function draw(text) { var c = document.createElement('canvas'); c.width = 200; c.height = 40; \
           var g = c.getContext('2d'); g.font = font; g.fillText(text, 4, 30); return c.toDataURL(); } \
         return draw('投诉热点') !== draw('坐席通话') && draw('客服') !== draw('退款');",
        json!([]),
    );
    assert_eq!(
        distinct,
        json!(true),
        "Chinese characters render as tofu: no CJK font (install fonts-noto-cjk)"
    );
    let png = browser.screenshot();
    let (width, height) = png_size(&png);
    assert!(
        width >= 1000 && height >= 600,
        "screenshot {width}×{height}"
    );
    assert!(
        png.len() > 20_000,
        "the overview screenshot is nearly blank ({} bytes)",
        png.len()
    );
    save_screenshot("overview.png", &png);

    // An agent page: its numbers against the agent's scorecards.
    let agent = "A017";
    let mine: Vec<&Value> = cards
        .iter()
        .filter(|c| c["agent_id"] == json!(agent))
        .collect();
    assert!(mine.len() >= 3);
    browser.click(&format!("table.agents tr[data-agent={agent}] a"));
    browser.wait_for(
        "return document.title.indexOf('A017') >= 0;",
        "the agent page",
    );
    assert_eq!(
        browser.text("[data-stat=calls] .value"),
        mine.len().to_string()
    );
    let agent_mean = round1(
        mine.iter()
            .map(|c| c["score"].as_f64().unwrap())
            .sum::<f64>()
            / mine.len() as f64,
    );
    assert_eq!(
        browser.text("[data-stat=mean-score] .value"),
        format!("{agent_mean:.1}")
    );
    assert_eq!(
        browser.text("[data-stat=team-mean-score] .value"),
        format!("{mean:.1}")
    );

    // A call page: click evidence, the recording seeks there and plays.
    let (call_id, seek) = cards
        .iter()
        .find_map(|card| {
            card["items"].as_array().unwrap().iter().find_map(|item| {
                let ms = item["evidence"]
                    .as_array()?
                    .iter()
                    .find_map(|e| e["start_ms"].as_u64())?;
                (item["verdict"] == json!("fail") && ms > 10_000).then(|| {
                    (
                        card["call_id"].as_str().unwrap().to_string(),
                        ms as f64 / 1000.0,
                    )
                })
            })
        })
        .expect("a failed item with evidence after 10 s");
    browser.open(&file_url(&report_dir.join(format!("calls/{call_id}.html"))));
    browser.wait_for(
        "var a = document.getElementById('recording'); return !!a && a.readyState >= 1 && a.duration > 0;",
        "the recording to load",
    );
    let button = format!("button.evidence[data-seek=\"{seek:.2}\"]");
    browser.click(&button);
    browser.wait_for(
        "var a = document.getElementById('recording'); return !a.paused || a.ended;",
        "the recording to play",
    );
    let position = browser.run(
        "return document.getElementById('recording').currentTime;",
        json!([]),
    );
    let position = position.as_f64().unwrap();
    assert!(
        position >= seek - 0.05 && position < seek + 2.0,
        "clicking evidence at {seek} s left the player at {position} s"
    );
    let flashed = browser.run(
        "var b = document.querySelector(arguments[0]); \
         return document.getElementById(b.getAttribute('data-target')).classList.contains('flash');",
        json!([button]),
    );
    assert_eq!(flashed, json!(true), "the evidence's utterance is shown");
    let marks = browser.run(
        "return document.querySelectorAll('.transcript mark').length;",
        json!([]),
    );
    assert!(
        marks.as_u64().unwrap() > 0,
        "evidence highlighted in the transcript"
    );
    let png = browser.screenshot();
    assert!(png.len() > 20_000);
    save_screenshot("call.png", &png);

    // Promises: the page agrees with `callqa promises`, and a kept promise's
    // call page links to the follow-up call.
    let output = callqa(&[
        "promises",
        "--format",
        "json",
        "--as-of",
        AS_OF,
        batch.run_dir.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let promises: Value = serde_json::from_slice(&output.stdout).unwrap();
    let promises = promises.as_array().unwrap();
    let statuses: Vec<&str> = promises
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains(&"kept") && statuses.contains(&"broken"),
        "{statuses:?}"
    );
    browser.open(&file_url(&report_dir.join("promises.html")));
    let rows: Value = browser.run(
        "return Array.prototype.map.call(document.querySelectorAll('table.promises tr[data-promise-call]'), \
           function (r) { return [r.getAttribute('data-promise-call'), r.querySelector('[data-status]').getAttribute('data-status')]; });",
        json!([]),
    );
    let rows: Vec<(String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_str().unwrap().into(), r[1].as_str().unwrap().into()))
        .collect();
    let expected: Vec<(String, String)> = promises
        .iter()
        .map(|p| {
            (
                p["call_id"].as_str().unwrap().into(),
                p["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(rows, expected);
    let kept = promises
        .iter()
        .find(|p| p["status"] == json!("kept"))
        .unwrap();
    let follow_up = kept["follow_up_call_id"].as_str().unwrap();
    browser.open(&file_url(
        &report_dir.join(format!("calls/{}.html", kept["call_id"].as_str().unwrap())),
    ));
    browser.click("td.follow-up a");
    browser.wait_for(
        &format!("return document.title.indexOf({}) >= 0;", json!(follow_up)),
        "the follow-up call's page",
    );

    // Hotspots page lists the overall hotspots with example calls that link.
    browser.open(&file_url(&report_dir.join("hotspots.html")));
    let hotspots = browser.run(
        "return document.querySelectorAll('table.hotspots tr[data-hotspot]').length;",
        json!([]),
    );
    assert!(hotspots.as_u64().unwrap() > 0, "no hotspots on the page");
}

/// Builds the report of `batch` in `lang` through the library (the same
/// call `callqa report --lang` makes).
fn build_report(
    batch: &report_support::Batch,
    lang: callqa::i18n::Lang,
    name: &str,
) -> std::path::PathBuf {
    let out = batch.path(name);
    let dataset = callqa::store::load(
        std::slice::from_ref(&batch.run_dir),
        &callqa::store::RubricChoice::default(),
    )
    .expect("the run folder loads");
    let options = callqa::site::SiteOptions {
        out_dir: out.clone(),
        audio: callqa::site::AudioMode::None,
        as_of: AS_OF.parse().unwrap(),
        lang,
        ..Default::default()
    };
    callqa::site::build(&dataset, &options).expect("the report builds");
    // To look at the pages after the test: REPORT_KEEP_DIR=/some/folder.
    if let Some(keep) = std::env::var_os("REPORT_KEEP_DIR") {
        let target = Path::new(&keep).join(name);
        let _ = fs::remove_dir_all(&target);
        let status = std::process::Command::new("cp")
            .arg("-r")
            .arg(&out)
            .arg(&target)
            .status()
            .unwrap();
        assert!(status.success());
    }
    out
}

/// Every HTML page of a report folder.
fn html_pages(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut pages = Vec::new();
    for sub in ["", "agents", "calls", "items"] {
        for entry in fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "html") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    pages
}

/// The visible text of the open page.
fn page_text(browser: &Browser) -> String {
    browser
        .run("return document.body.innerText;", json!([]))
        .as_str()
        .unwrap()
        .to_string()
}

/// The values of `attr` of the visible rows of a table, in page order.
fn visible_rows(browser: &Browser, table: &str, attr: &str) -> Vec<String> {
    let rows = browser.run(
        "return Array.prototype.filter.call(document.querySelectorAll(arguments[0] + ' tbody tr'), \
           function (r) { return !r.hidden; }).map(function (r) { return r.getAttribute(arguments[1]); });"
            .replace("arguments[1]", &format!("{attr:?}"))
            .as_str(),
        json!([table]),
    );
    rows.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap_or("").to_string())
        .collect()
}

/// The texts of one column of the visible rows of a table.
fn column(browser: &Browser, table: &str, index: usize) -> Vec<String> {
    let cells = browser.run(
        "var i = arguments[1]; return Array.prototype.filter.call(document.querySelectorAll(arguments[0] + ' tbody tr'), \
           function (r) { return !r.hidden; }).map(function (r) { return r.cells[i].textContent.trim(); });",
        json!([table, index]),
    );
    cells
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn header(table: &str, index: usize) -> String {
    format!("{table} thead th:nth-child({})", index + 1)
}

fn natural_key(id: &str) -> (Vec<(bool, String)>, String) {
    let mut chunks: Vec<(bool, String)> = Vec::new();
    for c in id.chars().filter(|c| c.is_alphanumeric()) {
        let digit = c.is_ascii_digit();
        match chunks.last_mut() {
            Some((d, text)) if *d == digit => text.push(c),
            _ => chunks.push((digit, c.to_string())),
        }
    }
    let chunks = chunks
        .into_iter()
        .map(|(d, t)| {
            if d {
                let t = t.trim_start_matches('0').to_string();
                (true, format!("{:0>20}", t))
            } else {
                (false, t.to_lowercase())
            }
        })
        .collect();
    (chunks, id.to_string())
}

/// A batch whose agents include ids that sort differently as text and as
/// numbers (A-2148 after A017 for a person; before it as text).
fn coaching_batch() -> report_support::Batch {
    report_support::build_batch_with_agents(&default_sources(), &["A017", "A-2148", "A023", "A9"])
}

#[test]
fn report_tables_sort_filter_drill_down_and_print() {
    let batch = coaching_batch();
    let report_dir = build_report(&batch, callqa::i18n::Lang::Zh, "report-zh");
    let cards: Vec<Value> = scorecards(&batch.run_dir)
        .into_iter()
        .filter(|c| c.get("score").is_some())
        .collect();
    let transcripts: BTreeMap<String, Value> = fs::read_dir(&batch.transcripts)
        .unwrap()
        .map(|e| {
            let v: Value =
                serde_json::from_str(&fs::read_to_string(e.unwrap().path()).unwrap()).unwrap();
            (v["call_id"].as_str().unwrap().to_string(), v)
        })
        .collect();
    let agent_of = |card: &Value| {
        card["agent_id"]
            .as_str()
            .map(str::to_string)
            .or_else(|| {
                transcripts[card["call_id"].as_str().unwrap()]["agent_id"]
                    .as_str()
                    .map(str::to_string)
            })
            .unwrap_or_default()
    };
    let browser = Browser::start();
    browser.open(&file_url(&report_dir.join("index.html")));
    assert_eq!(
        browser.run("return document.documentElement.lang;", json!([])),
        json!("zh-CN")
    );

    // The histogram's y axis: whole numbers, each once, up to the tallest bar.
    let ticks = browser.run(
        "return Array.prototype.map.call(document.querySelectorAll('svg.histogram text.tick'), \
           function (t) { return t.textContent; });",
        json!([]),
    );
    let ticks: Vec<u64> = ticks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().parse().expect("a whole-number tick"))
        .collect();
    assert!(
        ticks.len() >= 2 && ticks.windows(2).all(|w| w[0] < w[1]),
        "{ticks:?}"
    );
    let tallest = browser.run(
        "return Math.max.apply(null, Array.prototype.map.call(document.querySelectorAll('svg.histogram rect.bar'), \
           function (b) { return +b.getAttribute('data-count'); }));",
        json!([]),
    );
    assert!(*ticks.last().unwrap() >= tallest.as_u64().unwrap());

    // Agents: ranked for coaching (lowest mean score first), with the
    // numbers of their scorecards.
    let mut by_agent: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for card in &cards {
        by_agent.entry(agent_of(card)).or_default().push(card);
    }
    let means: BTreeMap<String, f64> = by_agent
        .iter()
        .map(|(a, cs)| {
            (
                a.clone(),
                round1(
                    cs.iter().map(|c| c["score"].as_f64().unwrap()).sum::<f64>() / cs.len() as f64,
                ),
            )
        })
        .collect();
    let shown = column(&browser, "#agents-table", 3);
    let ids = visible_rows(&browser, "#agents-table", "data-agent");
    assert_eq!(ids.len(), by_agent.len());
    for (id, mean) in ids.iter().zip(&shown) {
        assert_eq!(mean, &format!("{:.1}", means[id]), "mean score of {id}");
        let cs = &by_agent[id];
        let passed = cs.iter().filter(|c| c["passed"] == json!(true)).count();
        let rate = format!("{:.1}%", round1(100.0 * passed as f64 / cs.len() as f64));
        let row = format!("#agents-table tr[data-agent=\"{id}\"] td:nth-child(5)");
        assert_eq!(browser.text(&row), rate, "pass rate of {id}");
    }
    let ranked: Vec<f64> = shown.iter().map(|m| m.parse().unwrap()).collect();
    assert!(
        ranked.windows(2).all(|w| w[0] <= w[1]),
        "ranked lowest first: {ranked:?}"
    );

    // Sorting agents by id: natural order (A9 < A017 < A023 < A-2148).
    browser.click(&header("#agents-table", 1));
    let ids = visible_rows(&browser, "#agents-table", "data-agent");
    let mut expected = ids.clone();
    expected.sort_by_key(|id| natural_key(id));
    assert_eq!(ids, expected);
    let pos = |id: &str| ids.iter().position(|a| a == id).unwrap();
    assert!(
        pos("A9") < pos("A017") && pos("A017") < pos("A023") && pos("A023") < pos("A-2148"),
        "{ids:?}"
    );
    // Keyboard: Enter on the focused header sorts too (descending now).
    browser.press_enter(&header("#agents-table", 1));
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!(
        visible_rows(&browser, "#agents-table", "data-agent"),
        reversed
    );

    // Sorting calls by score: as numbers (9.5 before 60.0), both ways.
    browser.click(&header("#calls-table", 4));
    let scores: Vec<f64> = column(&browser, "#calls-table", 4)
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(scores.len(), cards.len());
    assert!(
        scores.windows(2).all(|w| w[0] <= w[1]),
        "ascending: {scores:?}"
    );
    browser.click(&header("#calls-table", 4));
    let scores: Vec<f64> = column(&browser, "#calls-table", 4)
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "descending: {scores:?}"
    );
    // By start time: chronological, whatever the text.
    browser.click(&header("#calls-table", 1));
    let keys = browser.run(
        "return Array.prototype.map.call(document.querySelectorAll('#calls-table tbody tr'), \
           function (r) { return r.cells[1].getAttribute('data-sort'); });",
        json!([]),
    );
    let keys: Vec<i64> = keys
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k.as_str()?.parse().ok())
        .collect();
    assert!(
        keys.len() > 10 && keys.windows(2).all(|w| w[0] <= w[1]),
        "{keys:?}"
    );

    // Filtering: the agent select keeps that agent's calls; the text box
    // keeps the rows holding the words; the count says so.
    let a017 = by_agent["A017"].len();
    browser.run(
        "var s = document.querySelector('.table-tools[data-table=calls-table] select[data-attr=data-agent]'); \
         s.value = 'A017'; s.dispatchEvent(new Event('change'));",
        json!([]),
    );
    let rows = visible_rows(&browser, "#calls-table", "data-agent");
    assert_eq!(rows.len(), a017);
    assert!(rows.iter().all(|a| a == "A017"));
    assert_eq!(
        browser.text(".table-tools[data-table=calls-table] .shown"),
        format!("显示 {a017} / {} 行", cards.len())
    );
    let one_call = cards.iter().find(|c| agent_of(c) == "A017").unwrap()["call_id"]
        .as_str()
        .unwrap()
        .to_string();
    browser.type_into(
        ".table-tools[data-table=calls-table] input.filter",
        &one_call,
    );
    assert_eq!(
        visible_rows(&browser, "#calls-table", "data-call"),
        [one_call.clone()]
    );

    // Drill-down: the item failed most, from its failure rate to its page
    // (the calls that failed it or need review) to a call.
    let counts = item_counts(&cards);
    let (item_id, _) = counts
        .iter()
        .max_by_key(|(id, (fail, _))| (*fail, std::cmp::Reverse((*id).clone())))
        .unwrap();
    let listed: Vec<String> = cards
        .iter()
        .filter(|c| {
            c["items"].as_array().unwrap().iter().any(|i| {
                i["id"] == json!(item_id)
                    && (i["verdict"] == json!("fail") || i["verdict"] == json!("review"))
            })
        })
        .map(|c| c["call_id"].as_str().unwrap().to_string())
        .collect();
    browser.click(&format!("#items-table tr[data-item=\"{item_id}\"] a.rate"));
    browser.wait_for(
        "return location.pathname.indexOf('/items/') >= 0;",
        "the item page",
    );
    let mut rows = visible_rows(&browser, "#entries-table", "data-call");
    let first = rows[0].clone();
    rows.sort();
    let mut want = listed.clone();
    want.sort();
    assert_eq!(rows, want, "calls listed on the page of {item_id}");
    let verdicts_of = |verdict: &str| {
        cards
            .iter()
            .filter(|c| {
                c["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|i| i["id"] == json!(item_id) && i["verdict"] == json!(verdict))
            })
            .count()
    };
    assert_eq!(
        browser.text("[data-stat=fail] .value"),
        verdicts_of("fail").to_string()
    );
    assert_eq!(
        browser.text("[data-stat=review] .value"),
        verdicts_of("review").to_string()
    );
    assert_eq!(
        browser.text("[data-stat=applicable] .value"),
        counts[item_id].1.to_string()
    );
    let reasons = column(&browser, "#entries-table", 4);
    assert!(reasons.iter().all(|r| !r.is_empty()), "every row says why");
    // The verdict select keeps the rows of one verdict.
    browser.run(
        "var s = document.querySelector('.table-tools[data-table=entries-table] select[data-attr=data-verdicts]'); \
         s.value = 'fail'; s.dispatchEvent(new Event('change'));",
        json!([]),
    );
    let failing = visible_rows(&browser, "#entries-table", "data-verdicts");
    assert_eq!(failing.len(), verdicts_of("fail"));
    assert!(failing.iter().all(|v| v == "fail"));
    browser.run(
        "var s = document.querySelector('.table-tools[data-table=entries-table] select[data-attr=data-verdicts]'); \
         s.value = ''; s.dispatchEvent(new Event('change'));",
        json!([]),
    );
    let png = browser.screenshot();
    save_screenshot("item.png", &png);
    browser.click("#entries-table tbody tr:first-child td:first-child a");
    browser.wait_for(
        "return location.pathname.indexOf('/calls/') >= 0;",
        "a call page from the item page",
    );
    let title = browser.run("return document.title;", json!([]));
    assert!(title.as_str().unwrap().contains(&first), "{title}");

    // Times: the call's own offset, never UTC.
    let call = &transcripts[&first];
    let started = call["started_at"].as_str().unwrap();
    let expected_time = format!(
        "{} {} ({})",
        &started[..10],
        &started[11..16],
        &started[19..]
    );
    assert_eq!(browser.text("[data-stat=started] .value"), expected_time);
    assert!(expected_time.ends_with("(+08:00)"));
    let png = browser.screenshot();
    save_screenshot("call-time.png", &png);

    // Evidence highlighting: where the scorecard gives the exact characters
    // matched (spans), exactly those characters are marked.
    let spanned = cards
        .iter()
        .find(|c| {
            let evidence: Vec<&Value> = c["items"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|i| i["evidence"].as_array().unwrap().iter())
                .collect();
            !evidence.is_empty()
                && evidence.iter().all(|e| {
                    e["spans"].as_array().is_some_and(|s| !s.is_empty()) && e["start_ms"].is_u64()
                })
        })
        .expect("a scorecard whose evidence all has spans");
    let mut expected: BTreeMap<(u64, String), std::collections::BTreeSet<u64>> = BTreeMap::new();
    for item in spanned["items"].as_array().unwrap() {
        for e in item["evidence"].as_array().unwrap() {
            let key = (
                e["start_ms"].as_u64().unwrap(),
                e["text"].as_str().unwrap().to_string(),
            );
            let set = expected.entry(key).or_default();
            for span in e["spans"].as_array().unwrap() {
                set.extend(span[0].as_u64().unwrap()..span[1].as_u64().unwrap());
            }
        }
    }
    browser.open(&file_url(&report_dir.join(format!(
        "calls/{}.html",
        spanned["call_id"].as_str().unwrap()
    ))));
    let shown = browser.run(
        "return Array.prototype.map.call(document.querySelectorAll('.transcript .utt.evidence'), function (u) { \
           var at = 0, marked = []; u.querySelector('.text').childNodes.forEach(function (n) { \
             var len = Array.from(n.textContent).length; \
             if (n.nodeName === 'MARK') { for (var k = 0; k < len; k++) marked.push(at + k); } at += len; }); \
           return [+u.getAttribute('data-start'), u.querySelector('.text').textContent, marked]; });",
        json!([]),
    );
    let shown: BTreeMap<(u64, String), std::collections::BTreeSet<u64>> = shown
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                (r[0].as_u64().unwrap(), r[1].as_str().unwrap().to_string()),
                r[2].as_array()
                    .unwrap()
                    .iter()
                    .map(|k| k.as_u64().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        shown, expected,
        "marked characters of {}",
        spanned["call_id"]
    );

    // Review queue: every review verdict, with its reason, linked to its call.
    let reviews: Vec<(String, String)> = cards
        .iter()
        .flat_map(|c| {
            c["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|i| i["verdict"] == json!("review"))
                .map(move |i| {
                    (
                        c["call_id"].as_str().unwrap().to_string(),
                        i["id"].as_str().unwrap().to_string(),
                    )
                })
        })
        .collect();
    assert!(!reviews.is_empty(), "the fixtures have review verdicts");
    browser.open(&file_url(&report_dir.join("index.html")));
    assert_eq!(
        browser.text("[data-stat=review] .value"),
        reviews.len().to_string()
    );
    browser.click("a[data-stat=review]");
    browser.wait_for(
        "return location.pathname.indexOf('review.html') >= 0;",
        "the review queue",
    );
    let shown: Vec<(String, String)> = visible_rows(&browser, "#review-table", "data-call")
        .into_iter()
        .zip(visible_rows(&browser, "#review-table", "data-item"))
        .collect();
    let (mut a, mut b) = (shown.clone(), reviews.clone());
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert!(
        column(&browser, "#review-table", 5)
            .iter()
            .all(|r| !r.is_empty()),
        "every entry says why"
    );
    save_screenshot("review.png", &browser.screenshot());
    browser.click("#review-table tbody tr:first-child td:first-child a");
    browser.wait_for(
        &format!("return document.title.indexOf({}) >= 0;", json!(shown[0].0)),
        "the reviewed call's page",
    );

    // Critical failures: the card links to the list, each entry to its call.
    let critical: Vec<String> = cards
        .iter()
        .filter(|c| c["critical_failed"] == json!(true))
        .map(|c| c["call_id"].as_str().unwrap().to_string())
        .collect();
    assert!(!critical.is_empty(), "the fixtures have a critical failure");
    browser.open(&file_url(&report_dir.join("index.html")));
    assert_eq!(
        browser.text("[data-stat=critical] .value"),
        critical.len().to_string()
    );
    browser.click("a[data-stat=critical]");
    browser.wait_for(
        "return location.pathname.indexOf('critical.html') >= 0;",
        "the critical list",
    );
    let mut listed = visible_rows(&browser, "#critical-table", "data-call");
    listed.sort();
    let mut want = critical.clone();
    want.sort();
    assert_eq!(listed, want);
    browser.click("#critical-table tbody tr:first-child td:first-child a");
    browser.wait_for(
        "return location.pathname.indexOf('/calls/') >= 0;",
        "a critical call's page",
    );

    // Agent pages: worst calls are the failed ones, lowest first, and differ
    // from all calls; the page prints on one A4 page.
    browser.open(&file_url(&report_dir.join("agents/A017.html")));
    let worst = visible_rows(&browser, "#worst-calls-table", "data-call");
    let all = visible_rows(&browser, "#calls-table", "data-call");
    assert_eq!(all.len(), a017);
    assert!(
        !worst.is_empty() && worst.len() <= 5 && worst.len() < all.len(),
        "{worst:?} vs {all:?}"
    );
    let score_of = |id: &str| {
        cards.iter().find(|c| c["call_id"] == json!(id)).unwrap()["score"]
            .as_f64()
            .unwrap()
    };
    let worst_scores: Vec<f64> = worst.iter().map(|id| score_of(id)).collect();
    assert!(
        worst_scores.windows(2).all(|w| w[0] <= w[1]),
        "{worst_scores:?}"
    );
    let lowest = by_agent["A017"]
        .iter()
        .map(|c| c["score"].as_f64().unwrap())
        .fold(f64::MAX, f64::min);
    assert_eq!(worst_scores[0], lowest);
    // The coaching table: worst first, agent's rate against the team's.
    let rates: Vec<f64> = column(&browser, "#coaching-table", 3)
        .iter()
        .map(|r| r.trim_end_matches('%').parse().unwrap())
        .collect();
    assert!(rates.windows(2).all(|w| w[0] >= w[1]), "{rates:?}");
    save_screenshot("agent.png", &browser.screenshot());
    let pdf = browser.print_pdf();
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    let pages = count_pdf_pages(&pdf);
    assert_eq!(pages, 1, "the agent scorecard prints on {pages} pages");
    save_print_preview(&browser);

    // The hotspots page says what a hotspot is, with the numbers used.
    browser.open(&file_url(&report_dir.join("hotspots.html")));
    let min_calls = callqa::hotspots::HotspotOptions::default().min_calls;
    assert_eq!(
        browser.run(
            "return document.getElementById('threshold').getAttribute('data-min-calls');",
            json!([])
        ),
        json!(min_calls.to_string())
    );
    assert!(browser
        .text("#threshold")
        .contains(&format!("至少 {min_calls} 通通话")));

    // No rubric pattern, regex or item id anywhere a person reads.
    let rubric_ids: Vec<String> = counts.keys().cloned().collect();
    for page in html_pages(&report_dir) {
        let raw = fs::read_to_string(&page).unwrap();
        for needle in ["(?", "\\d", "\\s", "\\b", ".*", "[^", "{{"] {
            assert!(
                !raw.contains(needle),
                "{}: `{needle}` on the page",
                page.display()
            );
        }
    }
    for page in [
        "index.html",
        "review.html",
        "critical.html",
        "agents/A017.html",
        &format!("items/{item_id}.html"),
        &format!("calls/{first}.html"),
    ] {
        browser.open(&file_url(&report_dir.join(page)));
        // Call ids are ids a person looks for (and some name an item:
        // asr-forbidden-…); the check is on the rest of the text.
        let mut text = page_text(&browser);
        for card in &cards {
            text = text.replace(card["call_id"].as_str().unwrap(), "");
        }
        for id in &rubric_ids {
            assert!(
                !text.contains(id.as_str()),
                "{page}: item id `{id}` shown as text"
            );
        }
        assert!(!text.contains(" | "), "{page}: pattern alternation shown");
    }
}

/// Pages of a PDF: `/Type /Page` objects (not `/Pages`).
fn count_pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.matches("/Type /Page").count() - text.matches("/Type /Pages").count()
        + text.matches("/Type/Page").count()
        - text.matches("/Type/Pages").count()
}

/// A screenshot of the agent page as printed (print media emulated).
fn save_print_preview(browser: &Browser) {
    browser.emulate_print(true);
    browser.run("window.scrollTo(0, 0);", json!([]));
    save_screenshot("print.png", &browser.screenshot());
    browser.emulate_print(false);
}

#[test]
fn report_language_switch() {
    let batch = coaching_batch();
    let zh = build_report(&batch, callqa::i18n::Lang::Zh, "report-zh");
    let en = build_report(&batch, callqa::i18n::Lang::En, "report-en");
    // The same data gives the same bytes.
    let again = build_report(&batch, callqa::i18n::Lang::Zh, "report-zh-again");
    for page in html_pages(&zh) {
        let twin = again.join(page.strip_prefix(&zh).unwrap());
        assert_eq!(
            fs::read(&page).unwrap(),
            fs::read(&twin).unwrap(),
            "{} differs between two builds",
            page.display()
        );
    }

    // The command line: `callqa --lang en report` writes the English report.
    let by_cli = batch.path("report-cli-en");
    let output = callqa(&[
        "--lang",
        "en",
        "report",
        "--out",
        by_cli.to_str().unwrap(),
        "--audio",
        "none",
        "--as-of",
        AS_OF,
        batch.run_dir.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        fs::read_to_string(by_cli.join("index.html")).unwrap(),
        fs::read_to_string(en.join("index.html"))
            .unwrap()
            .replace(en.to_str().unwrap(), by_cli.to_str().unwrap()),
        "the CLI and the library write the same English overview"
    );
    let browser = Browser::start();
    let cards = scorecards(&batch.run_dir);
    for (dir, tag, words, absent) in [
        (
            &zh,
            "zh-CN",
            ["通过率", "平均分", "坐席", "质检项", "待复核", "严重违规"],
            ["Pass rate", "Mean score"],
        ),
        (
            &en,
            "en",
            [
                "Pass rate",
                "Mean score",
                "Agents",
                "Item failure rates",
                "Review queue",
                "Critical failures",
            ],
            ["通过率", "平均分"],
        ),
    ] {
        browser.open(&file_url(&dir.join("index.html")));
        assert_eq!(
            browser.run("return document.documentElement.lang;", json!([])),
            json!(tag)
        );
        let text = page_text(&browser);
        for word in words {
            assert!(text.contains(word), "{tag}: `{word}` missing");
        }
        for word in absent {
            assert!(
                !text.contains(word),
                "{tag}: `{word}` from the other language"
            );
        }
        // Numbers are the same in both languages.
        assert_eq!(
            browser.text("[data-stat=calls] .value"),
            cards.len().to_string()
        );
        if tag == "en" {
            save_screenshot("overview-en.png", &browser.screenshot());
            assert!(
                text.contains(&format!("{} calls", cards.len())),
                "plural in the subtitle"
            );
            assert!(!text.contains("1 calls"), "1 calls");
            // Verdict words and item titles in English on a call page.
            let failed = cards.iter().find(|c| c["passed"] == json!(false)).unwrap();
            browser.open(&file_url(&dir.join(format!(
                "calls/{}.html",
                failed["call_id"].as_str().unwrap()
            ))));
            let text = page_text(&browser);
            assert!(
                text.contains("Fail") && text.contains("Transcript"),
                "{text}"
            );
            assert!(
                !text.contains("未通过"),
                "a Chinese verdict word on an English page"
            );
        } else {
            save_screenshot("overview.png", &browser.screenshot());
        }
    }
}

#[test]
fn report_covers_every_run_and_says_which() {
    // A folder run twice: all calls, then three of them again. The report
    // shows every call once, each from the run of its latest scorecard,
    // and lists both runs with their number of calls.
    let batch = report_support::build_batch(&default_sources());
    let manifest = fs::read_to_string(&batch.manifest).unwrap();
    let again: Vec<&str> = manifest.lines().take(4).collect();
    let second = batch.path("again.csv");
    fs::write(&second, again.join("\n") + "\n").unwrap();
    let output = callqa(&[
        "run",
        "--quiet",
        "--transcripts",
        batch.transcripts.to_str().unwrap(),
        "--out",
        batch.run_dir.to_str().unwrap(),
        second.to_str().unwrap(),
    ]);
    assert!(
        matches!(output.status.code(), Some(0) | Some(1)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dataset = callqa::store::load(
        std::slice::from_ref(&batch.run_dir),
        &callqa::store::RubricChoice::default(),
    )
    .unwrap();
    assert_eq!(
        dataset.calls.len(),
        batch.call_ids.len(),
        "every call, once"
    );
    let report_dir = build_report(&batch, callqa::i18n::Lang::Zh, "report-runs");
    let index = fs::read_to_string(report_dir.join("index.html")).unwrap();
    let mut listed = 0;
    for source in &dataset.sources {
        let row = format!(
            "data-run=\"{}\" data-calls=\"{}\"",
            source.run_id, source.calls
        );
        assert!(index.contains(&row), "runs table lacks {row}");
        listed += source.calls;
    }
    assert_eq!(listed, batch.call_ids.len(), "the runs' calls add up");
    assert!(
        dataset.sources.len() >= 2,
        "both runs shown: {:?}",
        dataset.sources.len()
    );
    for call in &dataset.calls {
        let page =
            fs::read_to_string(report_dir.join(format!("calls/{}.html", call.transcript.call_id)))
                .unwrap();
        let run_id = dataset.sources[call.source].run_id;
        assert!(
            page.contains(&format!("data-run=\"{run_id}\""))
                && page.contains(&format!("运行 #{run_id}")),
            "call {} names its run #{run_id}",
            call.transcript.call_id
        );
    }
}
