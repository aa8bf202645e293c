//! Unit tests of the report: counting per call, absorption of words into
//! phrases, customer side only, weeks, determinism and empty input.

use serde_json::json;

use super::*;
use crate::i18n::Lang;
use crate::report::{render_hotspots, DatasetFormat};

fn render_text(report: &HotspotReport) -> String {
    render_hotspots(report, DatasetFormat::Text, Lang::En)
}

fn render_json(report: &HotspotReport) -> String {
    render_hotspots(report, DatasetFormat::Json, Lang::Zh)
}

fn render_csv(report: &HotspotReport) -> String {
    render_hotspots(report, DatasetFormat::Csv, Lang::Zh)
}

fn call(id: &str, started_at: Option<&str>, lines: &[(&str, &str)]) -> Transcript {
    let utterances: Vec<_> = lines
        .iter()
        .map(|(s, t)| json!({"speaker": s, "text": t}))
        .collect();
    let mut value = json!({"call_id": id, "utterances": utterances});
    if let Some(at) = started_at {
        value["started_at"] = json!(at);
    }
    match serde_json::from_value(value) {
        Ok(t) => t,
        Err(e) => panic!("test transcript {id}: {e}"),
    }
}

fn phrases(hotspots: &[Hotspot]) -> Vec<&str> {
    hotspots.iter().map(|h| h.phrase.as_str()).collect()
}

fn find<'a>(hotspots: &'a [Hotspot], phrase: &str) -> &'a Hotspot {
    match hotspots.iter().find(|h| h.phrase == phrase) {
        Some(h) => h,
        None => panic!("{phrase} not in {:?}", phrases(hotspots)),
    }
}

const MON: &str = "2026-11-16T10:00:00+08:00";

#[test]
fn empty_input_gives_an_empty_report() {
    let extractor = HotspotExtractor::new();
    let report = extractor.report(&[], &HotspotOptions::default());
    assert_eq!(report.calls, 0);
    assert!(
        report.overall.is_empty() && report.weeks.is_empty() && report.undated_calls.is_empty()
    );
    assert!(render_text(&report).contains("0 calls"));
    assert!(render_hotspots(&report, DatasetFormat::Text, Lang::Zh).contains("0 通通话"));
    assert!(render_json(&report).contains("\"overall\": []"));
    assert_eq!(render_csv(&report).lines().count(), 1);

    // calls without customer speech: counted, nothing found
    let silent = [
        call("a", Some(MON), &[("agent", "您好，请问有什么可以帮您")]),
        call("b", None, &[]),
    ];
    let report = extractor.report(&silent, &HotspotOptions::default());
    assert_eq!((report.calls, report.customer_utterances), (2, 0));
    assert!(report.overall.is_empty());
    assert_eq!(report.undated_calls, vec!["b"]);
}

#[test]
fn counting_is_per_call() {
    let extractor = HotspotExtractor::new();
    let calls = [
        call(
            "c1",
            Some(MON),
            &[
                ("customer", "洗衣机漏水，漏水很严重"),
                ("customer", "漏水漏水，地上全是水，还在漏水"),
                ("customer", "又漏水了"),
            ],
        ),
        call("c2", Some(MON), &[("customer", "热水器漏水")]),
    ];
    let report = extractor.report(&calls, &HotspotOptions::default());
    let leak = find(&report.overall, "漏水");
    assert_eq!((leak.calls, leak.mentions), (2, 7));
    // the call with the most mentions is the first example
    assert_eq!(leak.example_call_ids, vec!["c1", "c2"]);
    assert_eq!(leak.example_snippets[1], "热水器漏水");
    // 洗衣机 is in one call only
    assert!(!phrases(&report.overall).contains(&"洗衣机"));
}

#[test]
fn phrases_absorb_their_words_only_when_they_are_the_same_complaint() {
    let extractor = HotspotExtractor::new();
    let washer = |id: &str| {
        call(
            id,
            Some(MON),
            &[("customer", "我家洗衣机又漏水了，地板都湿了")],
        )
    };
    let report = extractor.report(&[washer("w1"), washer("w2")], &HotspotOptions::default());
    let top = phrases(&report.overall);
    assert_eq!(top.first(), Some(&"洗衣机漏水"), "{top:?}");
    assert!(
        !top.contains(&"漏水") && !top.contains(&"洗衣机"),
        "{top:?}"
    );

    // 漏水 also in two other calls (a water heater): it stays, with all four calls
    let heater = |id: &str| call(id, Some(MON), &[("customer", "热水器漏水")]);
    let report = extractor.report(
        &[washer("w1"), washer("w2"), heater("h1"), heater("h2")],
        &HotspotOptions::default(),
    );
    let top = phrases(&report.overall);
    assert_eq!(find(&report.overall, "漏水").calls, 4);
    assert_eq!(find(&report.overall, "洗衣机漏水").calls, 2);
    assert_eq!(find(&report.overall, "热水器漏水").calls, 2);
    assert_eq!(top[0], "漏水", "{top:?}");

    // one call about the courier without the delay keeps 快递 as the wider complaint
    let late = |id: &str| call(id, Some(MON), &[("customer", "快递延迟了")]);
    let lost = call("k3", Some(MON), &[("customer", "快递丢了")]);
    let report = extractor.report(&[late("k1"), late("k2"), lost], &HotspotOptions::default());
    assert_eq!(find(&report.overall, "快递").calls, 3);
    assert_eq!(find(&report.overall, "快递延迟").calls, 2);
    assert!(!phrases(&report.overall).contains(&"延迟"));
}

#[test]
fn repeated_charges_join_into_one_phrase() {
    let extractor = HotspotExtractor::new();
    let calls = [
        call("r1", Some(MON), &[("customer", "你们怎么重复扣费啊")]),
        call("r2", Some(MON), &[("客户", "我的卡被重复扣费了两次")]),
        call("r3", Some(MON), &[("customer", "會員被重複扣費了")]), // ASR, Traditional
    ];
    let report = extractor.report(&calls, &HotspotOptions::default());
    let top = &report.overall[0];
    assert_eq!((top.phrase.as_str(), top.calls), ("重复扣费", 3));
    assert!(!phrases(&report.overall).contains(&"扣费"));
    assert!(!phrases(&report.overall).contains(&"重复"));
}

#[test]
fn only_the_customer_side_counts() {
    let extractor = HotspotExtractor::new();
    let calls: Vec<Transcript> = (1..=3)
        .map(|i| {
            call(
                &format!("a{i}"),
                Some(MON),
                &[
                    (
                        "agent",
                        "非常抱歉给您带来不便，退款申请已经提交，工单会加急处理",
                    ),
                    ("customer", "宽带断网了"),
                    ("ivr", "本次通话可能会被录音，满意度评价请按1"),
                ],
            )
        })
        .collect();
    let report = extractor.report(&calls, &HotspotOptions::default());
    assert_eq!(report.customer_utterances, 3);
    assert_eq!(phrases(&report.overall), vec!["宽带断网"]);
}

#[test]
fn chatter_never_becomes_a_hotspot() {
    let extractor = HotspotExtractor::new();
    let chatter = "喂，你好，请问一下，那个就是，然后我想问一下，好的好的，可以，谢谢，麻烦你们了，没有问题，我知道了，现在怎么弄，帮我查一下这个订单号1234567，客服你好";
    let calls: Vec<Transcript> = (1..=4)
        .map(|i| {
            call(
                &format!("x{i}"),
                Some(MON),
                &[("customer", chatter), ("customer", "嗯 对 好的 谢谢 再见")],
            )
        })
        .collect();
    let report = extractor.report(&calls, &HotspotOptions::default());
    assert!(report.overall.is_empty(), "{:?}", phrases(&report.overall));
}

#[test]
fn weeks_follow_iso_weeks_across_the_year_boundary() {
    let extractor = HotspotExtractor::new();
    let complaint = [("customer", "快递一直没送到")];
    let calls = [
        call("y1", Some("2026-12-29T10:00:00+08:00"), &complaint),
        call("y2", Some("2027-01-02T21:00:00+08:00"), &complaint),
        call("y3", Some("2027-01-05T09:00:00+08:00"), &complaint),
        call("y4", Some("2027-01-06T09:00:00+08:00"), &complaint),
        call("y5", Some("not a date"), &complaint),
        call("y6", None, &complaint),
    ];
    let report = extractor.report(&calls, &HotspotOptions::default());
    let weeks: Vec<(&str, &str, usize)> = report
        .weeks
        .iter()
        .map(|w| (w.period.as_str(), w.week_start.as_str(), w.calls))
        .collect();
    assert_eq!(
        weeks,
        vec![("2026-W53", "2026-12-28", 2), ("2027-W01", "2027-01-04", 2)]
    );
    assert_eq!(report.undated_calls, vec!["y5", "y6"]);
    assert_eq!(find(&report.overall, "快递没送到").calls, 6);
    assert_eq!(
        find(&report.weeks[0].hotspots, "快递没送到").example_call_ids,
        vec!["y1", "y2"]
    );
    assert_eq!(
        find(&report.weeks[1].hotspots, "快递没送到").example_call_ids,
        vec!["y3", "y4"]
    );
}

#[test]
fn options_limit_the_lists() {
    let extractor = HotspotExtractor::new();
    let calls: Vec<Transcript> = (1..=4)
        .map(|i| {
            call(
                &format!("o{i}"),
                Some(MON),
                &[("customer", "发票没开，快递延迟，宽带断网，洗衣机漏水")],
            )
        })
        .collect();
    let options = HotspotOptions {
        top: 2,
        examples: 1,
        min_calls: 2,
    };
    let report = extractor.report(&calls, &options);
    assert_eq!(report.overall.len(), 2);
    assert!(report
        .overall
        .iter()
        .all(|h| h.example_call_ids == vec!["o1"] && h.example_snippets.len() == 1));
    let strict = HotspotOptions {
        min_calls: 5,
        ..HotspotOptions::default()
    };
    assert!(extractor.report(&calls, &strict).overall.is_empty());
    let none = HotspotOptions {
        top: 0,
        ..HotspotOptions::default()
    };
    assert!(extractor.report(&calls, &none).overall.is_empty());
}

#[test]
fn output_is_deterministic_and_independent_of_input_order() {
    let extractor = HotspotExtractor::new();
    let mut calls = vec![
        call("d1", Some(MON), &[("customer", "快递延迟了三天，还没送到")]),
        call("d2", Some(MON), &[("customer", "退款一直没到账")]),
        call(
            "d3",
            Some("2026-11-24T10:00:00+08:00"),
            &[("customer", "快递延迟，退款没到账")],
        ),
        call("d4", None, &[("customer", "快递员态度很差，退款也没到账")]),
        call("d5", Some(MON), &[("customer", "宽带断网，快递延迟")]),
    ];
    let options = HotspotOptions::default();
    let first = render_json(&extractor.report(&calls, &options));
    let again = render_json(&HotspotExtractor::new().report(&calls, &options));
    assert_eq!(first, again);
    calls.reverse();
    assert_eq!(first, render_json(&extractor.report(&calls, &options)));
    let report = extractor.report(&calls, &options);
    assert_eq!(
        render_csv(&report),
        render_csv(&extractor.report(&calls, &options))
    );
    assert!(render_csv(&report)
        .starts_with("\u{feff}period,rank,phrase,score,calls,mentions,example_call_ids"));
}

#[test]
fn long_sentences_are_shortened_around_the_hotspot() {
    let long = "我跟你说啊我这个事情已经打了好多次电话了每次都说会处理结果到现在洗衣机还是漏水而且你们的人一次都没有来看过真的太过分了";
    let chars: Vec<char> = long.chars().collect();
    let at = long
        .find("洗衣机")
        .map(|b| long[..b].chars().count())
        .unwrap_or(0);
    let s = snippet(long, at, at + 3);
    assert!(
        s.starts_with('…') && s.ends_with('…') && s.contains("洗衣机还是漏水"),
        "{s}"
    );
    assert!(s.chars().count() < chars.len());
    assert_eq!(snippet("洗衣机漏水", 0, 3), "洗衣机漏水");
}
