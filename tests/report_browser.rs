//! The supervisors' report in a real browser (Debian's headless Chromium
//! through chromedriver): the numbers on the pages against the scorecards,
//! Chinese text rendered with a real CJK font, clicking evidence seeking the
//! recording, promises and their follow-up links, and screenshots kept in
//! `target/report-screenshots/`.

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
    let dir = crate_dir().join("target/report-screenshots");
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
