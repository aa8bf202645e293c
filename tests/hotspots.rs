//! Complaint hotspots on `fixtures/hotspots`: 13 calls over ISO weeks
//! 2026-W47..W49 plus one undated call, written so the true complaints are
//! known by construction — 快递 (6 calls: delayed in 3, not delivered in 5),
//! 重复扣费 (4), 洗衣机漏水 (2), and two calls of pure chatter. Agents in
//! other calls mention 洗衣机漏水, 退款 and 补偿, which must not count.

use std::path::Path;

use callqa::hotspots::{Hotspot, HotspotExtractor, HotspotOptions, HotspotReport};
use callqa::i18n::Lang;
use callqa::report::{render_hotspots, DatasetFormat};
use callqa::transcript::Transcript;

fn fixtures() -> Vec<Transcript> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hotspots");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/hotspots")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| Transcript::from_path(p).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn report() -> HotspotReport {
    HotspotExtractor::new().report(&fixtures(), &HotspotOptions::default())
}

fn phrases(hotspots: &[Hotspot]) -> Vec<&str> {
    hotspots.iter().map(|h| h.phrase.as_str()).collect()
}

fn find<'a>(hotspots: &'a [Hotspot], phrase: &str) -> &'a Hotspot {
    hotspots
        .iter()
        .find(|h| h.phrase == phrase)
        .unwrap_or_else(|| panic!("{phrase} not in {:?}", phrases(hotspots)))
}

fn all_hotspots(report: &HotspotReport) -> impl Iterator<Item = &Hotspot> {
    report
        .overall
        .iter()
        .chain(report.weeks.iter().flat_map(|w| w.hotspots.iter()))
}

#[test]
fn calls_weeks_and_undated_calls() {
    let report = report();
    assert_eq!(report.calls, 13);
    assert_eq!(report.customer_utterances, 36);
    assert_eq!(report.undated_calls, vec!["hs-undated-01"]);
    let weeks: Vec<(&str, &str, usize)> = report
        .weeks
        .iter()
        .map(|w| (w.period.as_str(), w.week_start.as_str(), w.calls))
        .collect();
    assert_eq!(
        weeks,
        vec![
            ("2026-W47", "2026-11-16", 5),
            ("2026-W48", "2026-11-23", 5),
            ("2026-W49", "2026-11-30", 2)
        ]
    );
}

#[test]
fn overall_top_hotspots() {
    let report = report();
    let top: Vec<(&str, usize)> = report
        .overall
        .iter()
        .take(5)
        .map(|h| (h.phrase.as_str(), h.calls))
        .collect();
    // ranked by calls first; the two 3-call phrases in either order
    assert_eq!(
        &top[..3],
        &[("快递", 6), ("没送到", 5), ("重复扣费", 4)],
        "{top:?}"
    );
    let mut rest = top[3..].to_vec();
    rest.sort();
    assert_eq!(rest, vec![("快递延迟", 3), ("快递没送到", 3)], "{top:?}");

    let charges = find(&report.overall, "重复扣费");
    assert_eq!(charges.mentions, 5);
    // hs-w49-02 says it twice; then by call id
    assert_eq!(
        charges.example_call_ids,
        vec!["hs-w49-02", "hs-w47-01", "hs-w47-02"]
    );
    // the Traditional ASR text of hs-w47-01 comes back normalised
    assert_eq!(
        charges.example_snippets[1],
        "喂，你好，我的会员这个月被重复扣费了，扣了2次，每次都是25块"
    );

    let washer = find(&report.overall, "洗衣机漏水");
    assert_eq!((washer.calls, washer.mentions), (2, 2));
    assert_eq!(washer.example_call_ids, vec!["hs-w47-03", "hs-w47-04"]);

    // the undated call counts overall
    assert!(find(&report.overall, "快递延迟")
        .example_call_ids
        .contains(&"hs-undated-01".to_string()));

    // words with no calls outside their phrase are absorbed into it
    for absorbed in ["漏水", "洗衣机", "重复", "扣费", "延迟"] {
        assert!(
            all_hotspots(&report).all(|h| h.phrase != absorbed),
            "{absorbed} listed alone"
        );
    }
    // scores follow the ranking
    assert!(report.overall.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn weekly_top_hotspots() {
    let report = report();
    let w47 = &report.weeks[0].hotspots;
    let mut top: Vec<(&str, usize)> = w47.iter().map(|h| (h.phrase.as_str(), h.calls)).collect();
    top.sort();
    assert_eq!(top, vec![("洗衣机漏水", 2), ("重复扣费", 2)]);
    assert_eq!(
        find(w47, "重复扣费").example_call_ids,
        vec!["hs-w47-01", "hs-w47-02"]
    );

    // W48: three courier calls, two of them about the delay; one charge call is below min_calls
    let w48 = &report.weeks[1].hotspots;
    assert_eq!((w48[0].phrase.as_str(), w48[0].calls), ("快递", 3));
    let mut ids = w48[0].example_call_ids.clone();
    ids.sort();
    assert_eq!(ids, vec!["hs-w48-01", "hs-w48-02", "hs-w48-03"]);
    assert_eq!(find(w48, "快递延迟").calls, 2);
    assert!(!phrases(w48).contains(&"重复扣费"));

    // W49: both calls say the parcel never came, and nothing else twice
    let w49 = &report.weeks[2].hotspots;
    assert_eq!(phrases(w49), vec!["快递没送到"]);
    assert_eq!(w49[0].example_call_ids, vec!["hs-w49-01", "hs-w49-02"]);
}

#[test]
fn chatter_and_agent_speech_never_appear() {
    let report = report();
    let chatter = [
        "你好",
        "谢谢",
        "请问",
        "那个",
        "就是",
        "然后",
        "一下",
        "这个",
        "客服",
        "好的",
        "可以",
        "没有",
        "知道",
        "现在",
        "怎么",
        "什么",
        "问题",
        "麻烦",
        "帮我",
        "一个",
        "我们",
        "你们",
        "订单",
        "手机",
        "不好意思",
        "礼拜",
        "工作日",
    ];
    for hotspot in all_hotspots(&report) {
        for word in chatter {
            assert!(
                !hotspot.phrase.contains(word),
                "chatter {word} in hotspot {}",
                hotspot.phrase
            );
        }
        assert!(hotspot.phrase.chars().count() >= 2, "{}", hotspot.phrase);
        assert!(
            !hotspot.phrase.chars().any(|c| c.is_ascii_digit()),
            "{}",
            hotspot.phrase
        );
        // the chatter-only calls are nobody's example
        for id in &hotspot.example_call_ids {
            assert!(
                id != "hs-w47-05" && id != "hs-w48-05",
                "{id} is an example of {}",
                hotspot.phrase
            );
        }
    }
    // only agents said these
    for agent_only in ["补偿", "检修", "催件", "无门槛券", "自动续费关"] {
        assert!(
            all_hotspots(&report).all(|h| !h.phrase.contains(agent_only)),
            "{agent_only}"
        );
    }
}

fn render(report: &HotspotReport, format: DatasetFormat, lang: Lang) -> String {
    render_hotspots(report, format, lang)
}

#[test]
fn renderings_are_byte_identical_for_the_same_input() {
    use DatasetFormat::{Csv, Json, Text};
    let calls = fixtures();
    let options = HotspotOptions::default();
    let first = HotspotExtractor::new().report(&calls, &options);
    let mut reversed = calls.clone();
    reversed.reverse();
    let second = HotspotExtractor::new().report(&reversed, &options);
    for format in [Json, Text, Csv] {
        for lang in [Lang::Zh, Lang::En] {
            assert_eq!(render(&first, format, lang), render(&second, format, lang));
        }
    }

    let csv = render(&first, Csv, Lang::Zh);
    // no column is callqa's prose, so the CSV is the same in both languages
    assert_eq!(csv, render(&first, Csv, Lang::En));
    assert!(csv.starts_with("\u{feff}period,rank,phrase,score,calls,mentions,example_call_ids\r\n"));
    let rows = first.overall.len() + first.weeks.iter().map(|w| w.hotspots.len()).sum::<usize>();
    assert_eq!(csv.lines().count(), 1 + rows);
    assert!(csv.contains("\noverall,3,重复扣费,"));
    assert!(csv.contains(",4,5,hs-w49-02 hs-w47-01 hs-w47-02\r\n"));
    assert!(csv.contains("\n2026-W49,1,快递没送到,"));

    let text = render(&first, Text, Lang::En);
    assert!(text.starts_with(
        "complaint hotspots: 13 calls, 36 customer utterances, 1 without a date (hs-undated-01), counted overall only\n\
         threshold: customers mention it in at least 2 calls of a period; at most 10 listed per period\n"
    ), "{text}");
    assert!(
        text.contains("\nWeek 2026-W48 (from 2026-11-23), 5 calls\n"),
        "{text}"
    );
    assert!(
        text.contains("\nWeek 2026-W49 (from 2026-11-30), 2 calls\n"),
        "{text}"
    );

    let zh = render(&first, Text, Lang::Zh);
    assert!(
        zh.starts_with(
            "投诉热点：13 通通话，客户发言 36 句；其中 1 通没有日期（hs-undated-01），只计入总体\n\
         入选标准：某时段内至少 2 通通话中有客户提到；每个时段最多列出 10 个\n\n总体\n"
        ),
        "{zh}"
    );
    assert!(
        zh.contains("\n2026 年第 48 周（2026-11-23 起），5 通通话\n"),
        "{zh}"
    );
    assert!(zh.contains("排名  热点"), "{zh}");
    assert!(zh.contains("hs-w49-02：「"), "{zh}");
    // no English glue in the Chinese report (ids and phrases aside)
    for word in [
        "calls", "Week", "rank", "phrase", "mentions", "Overall", "without",
    ] {
        assert!(!zh.contains(word), "{word} in:\n{zh}");
    }

    let json: serde_json::Value =
        serde_json::from_str(&render(&first, Json, Lang::Zh)).expect("valid JSON");
    assert_eq!(
        render(&first, Json, Lang::Zh),
        render(&first, Json, Lang::En)
    );
    assert_eq!(json["weeks"][2]["period"], "2026-W49");
    assert_eq!(json["overall"][0]["phrase"], "快递");
    assert_eq!(json["min_calls"], 2, "the threshold is stated");
}

#[test]
fn english_counts_are_singular_for_one_and_the_threshold_follows_the_options() {
    let calls = fixtures();
    let one: Vec<Transcript> = calls
        .iter()
        .filter(|c| c.call_id == "hs-w47-01")
        .cloned()
        .collect();
    let options = HotspotOptions {
        min_calls: 1,
        top: 3,
        ..Default::default()
    };
    let report = HotspotExtractor::new().report(&one, &options);
    let text = render(&report, DatasetFormat::Text, Lang::En);
    assert!(text.starts_with("complaint hotspots: 1 call, "), "{text}");
    assert!(
        text.contains("in at least 1 call of a period; at most 3 listed per period"),
        "{text}"
    );
    assert!(text.contains("), 1 call\n"), "{text}");
    assert!(!text.contains("1 calls"), "{text}");
    let zh = render(&report, DatasetFormat::Text, Lang::Zh);
    assert!(
        zh.contains("至少 1 通通话中有客户提到；每个时段最多列出 3 个"),
        "{zh}"
    );

    // a threshold nothing reaches says so, with the number
    let strict = HotspotOptions {
        min_calls: 99,
        ..Default::default()
    };
    let none = HotspotExtractor::new().report(&calls, &strict);
    assert!(render(&none, DatasetFormat::Text, Lang::En)
        .contains("(no complaint mentioned in at least 99 calls)"));
    assert!(render(&none, DatasetFormat::Text, Lang::Zh)
        .contains("（没有投诉在至少 99 通通话中被提到）"));
}
