//! Promise follow-through on a small customer history (`fixtures/promises`):
//! a promise kept by a call-back, one broken by a complaint call, one broken
//! by a late call-back, a refund and a visit that no later call can show
//! (unverifiable), and a call whose start time cannot be read. Broken by
//! silence and pending are in the unit tests of `src/promises`.

use std::path::{Path, PathBuf};

use callqa::i18n::Lang;
use callqa::promises::{self, FollowThrough, PromiseKind, PromiseStatus};
use callqa::report::{render_promises, DatasetFormat};
use callqa::transcript::{collect_inputs, Transcript};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/promises")
}

fn load() -> Vec<Transcript> {
    let files = collect_inputs(&[fixtures()], "json").expect("fixtures folder");
    assert!(files.len() >= 10, "fixtures missing: {files:?}");
    // Reverse the file order: the result must not depend on it.
    files
        .iter()
        .rev()
        .map(|f| Transcript::from_path(f).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn run() -> FollowThrough {
    let as_of: jiff::Timestamp = "2026-11-28T12:00:00+08:00".parse().expect("as_of");
    promises::follow_through(&load(), as_of)
}

#[test]
fn each_story_gets_its_status_deadline_and_follow_up_call() {
    let result = run();
    type Row<'a> = (
        &'a str,
        &'a str,
        Option<&'a str>,
        PromiseStatus,
        Option<&'a str>,
    );
    let got: Vec<Row> = result
        .promises
        .iter()
        .map(|p| {
            (
                p.call_id.as_str(),
                p.time_expression.as_str(),
                p.deadline.as_deref(),
                p.status,
                p.follow_up_call_id.as_deref(),
            )
        })
        .collect();
    use PromiseStatus::*;
    let expected = vec![
        // (a) kept: outbound call-back the next morning
        (
            "P-0101",
            "明天下午五点前",
            Some("2026-11-21T17:00:00+08:00"),
            Kept,
            Some("P-0102"),
        ),
        // the call-back's own words: its opening (昨天答应给您回电话的) is
        // the call itself, and the technician's call (维修师傅会…跟您约时间)
        // is part of a visit, which no later call of ours can show
        ("P-0102", "", None, Unverifiable, None),
        // (b) a refund in three working days: a later call cannot show it
        // kept, and no call is not a broken refund
        (
            "P-0201",
            "三个工作日内",
            Some("2026-11-25T23:59:59+08:00"),
            Unverifiable,
            None,
        ),
        // (c) broken: the customer called back complaining; 24 hours from
        // the moment the agent said it (15.05 s into the call)
        (
            "P-0301",
            "二十四小时之内",
            Some("2026-11-24T11:00:15+08:00"),
            Broken,
            Some("P-0302"),
        ),
        // the complaint call's own promise, kept by the afternoon call-back
        (
            "P-0302",
            "今天下午六点之前",
            Some("2026-11-24T18:00:00+08:00"),
            Kept,
            Some("P-0303"),
        ),
        // (e) broken: the call-back came the day after the deadline (ASR text,
        // Traditional characters, no punctuation)
        (
            "P-0501",
            "明天上午",
            Some("2026-11-25T12:00:00+08:00"),
            Broken,
            Some("P-0502"),
        ),
        // (d) an engineer's visit by 下周一 (said on Friday 27 November: 30
        // November), with the engineer's call before it: one visit promise
        (
            "P-0401",
            "下周一之前",
            Some("2026-11-30T23:59:59+08:00"),
            Unverifiable,
            None,
        ),
    ];
    assert_eq!(got, expected);

    let by_call = |id: &str| {
        result
            .promises
            .iter()
            .find(|p| p.call_id == id)
            .expect("promise")
    };
    assert_eq!(by_call("P-0101").text, "明天下午五点前我一定给您回电话");
    assert_eq!(
        by_call("P-0201").text,
        "三个工作日内退款会原路退回到您的支付宝账户"
    );
    assert_eq!(by_call("P-0501").text, "明天上午給您回電話");
    assert_eq!(by_call("P-0401").kind, PromiseKind::Visit);
    assert_eq!(by_call("P-0201").kind, PromiseKind::Refund);
    assert_eq!(by_call("P-0501").agent_id.as_deref(), Some("A033"));
    assert_eq!(by_call("P-0301").utterance_index, 2);
    assert_eq!(by_call("P-0301").start_ms, Some(15050));

    // Every reason is written in both languages: Chinese (the default) and
    // English, each saying the same facts.
    let reason = |id: &str, lang: Lang| by_call(id).reason_in(lang).to_string();
    for (id, zh, en) in [
        (
            "P-0101",
            "时限前有呼出通话 P-0102（2026-11-21 10:05）",
            "outbound call P-0102 on 2026-11-21 10:05, before the deadline",
        ),
        (
            "P-0201",
            "后续来电无法证明退款承诺是否兑现",
            "a promise of a refund: a later call cannot show whether it was kept",
        ),
        (
            "P-0301",
            "中客户投诉：“",
            "the customer complained in inbound call P-0302",
        ),
        (
            "P-0501",
            "比时限晚了 22 小时 20 分钟",
            "came 22 h 20 min after the deadline",
        ),
    ] {
        assert!(
            reason(id, Lang::Zh).contains(zh),
            "{id}: {}",
            reason(id, Lang::Zh)
        );
        assert!(
            reason(id, Lang::En).contains(en),
            "{id}: {}",
            reason(id, Lang::En)
        );
        assert!(
            !reason(id, Lang::Zh).contains("call ") && !reason(id, Lang::Zh).contains(" the "),
            "English glue in {id}: {}",
            reason(id, Lang::Zh)
        );
    }
    assert!(reason("P-0301", Lang::Zh).contains("没人联系我"));
    assert!(reason("P-0301", Lang::En).contains("没人联系我"));

    // The unreadable call is reported, not dropped silently, and not guessed.
    assert_eq!(result.skipped.len(), 1);
    let skipped = &result.skipped[0];
    assert_eq!(skipped.call_id, "P-0601");
    for lang in [Lang::Zh, Lang::En] {
        assert!(
            skipped.reason_in(lang).contains("2026/11/25 10:00"),
            "{}",
            skipped.reason_in(lang)
        );
    }
    assert!(skipped.reason.contains("开始时间"), "{}", skipped.reason);
}

#[test]
fn json_is_a_list_of_promise_objects_with_the_issue_keys() {
    let result = run();
    let json = render_promises(&result, DatasetFormat::Json, Lang::Zh);
    assert!(json.ends_with("]\n"));
    let value: Value = serde_json::from_str(&json).expect("valid JSON");
    let list = value.as_array().expect("a JSON list");
    assert_eq!(list.len(), 7);
    for object in list {
        let object = object.as_object().expect("objects");
        for key in [
            "call_id",
            "agent_id",
            "customer_id",
            "text",
            "deadline",
            "status",
            "follow_up_call_id",
            "kind",
        ] {
            assert!(object.contains_key(key), "missing {key}: {object:?}");
        }
        let status = object["status"].as_str().expect("status string");
        assert!(
            ["kept", "broken", "pending", "unverifiable"].contains(&status),
            "{status}"
        );
        // Only promises of contact are followed through.
        assert_eq!(
            object["kind"] == "contact",
            status != "unverifiable",
            "{object:?}"
        );
    }
    assert_eq!(list[0]["status"], "kept");
    assert_eq!(list[0]["follow_up_call_id"], "P-0102");
    assert_eq!(list[1]["follow_up_call_id"], Value::Null);
    assert_eq!(list[1]["deadline"], Value::Null, "a vague promise");
    assert_eq!(list[6]["status"], "unverifiable");
}

#[test]
fn agent_rates_and_exports() {
    let result = run();
    let rates = promises::agent_rates(&result);
    let summary: Vec<(&str, usize, usize, usize)> = rates
        .iter()
        .map(|r| (r.agent_id.as_str(), r.kept, r.broken, r.pending))
        .collect();
    assert_eq!(
        summary,
        vec![("A017", 1, 1, 0), ("A021", 0, 0, 0), ("A033", 1, 1, 0)]
    );
    assert_eq!(rates[0].kept_rate, Some(0.5));
    assert_eq!((rates[1].unverifiable, rates[1].kept_rate), (2, None));

    let csv = render_promises(&result, DatasetFormat::Csv, Lang::Zh);
    assert!(csv.starts_with('\u{feff}'));
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().expect("header row").clone();
    assert!(headers.iter().any(|h| h == "follow_up_call_id"));
    assert!(headers.iter().any(|h| h == "kind"));
    assert_eq!(reader.records().count(), 7);

    let text = render_promises(&result, DatasetFormat::Text, Lang::En);
    assert!(
        text.starts_with(
            "7 promises as of 2026-11-28 12:00 +08:00: 2 kept, 2 broken, 0 pending, 3 unverifiable\n"
        ),
        "{text}"
    );
    assert!(text.contains("P-0601: call P-0601: started_at"), "{text}");
    let zh = render_promises(&result, DatasetFormat::Text, Lang::Zh);
    assert!(
        zh.starts_with(
            "截至 2026-11-28 12:00 +08:00，共 7 条承诺：已兑现 2 条，已违约 2 条，待兑现 0 条，无法核实 3 条\n"
        ),
        "{zh}"
    );
    assert!(
        zh.contains("\n跳过 1 通通话：\n  P-0601：通话 P-0601 的开始时间"),
        "{zh}"
    );
}
