//! Unit tests of the promise module: the time-expression table, call-level
//! extraction (roles, offsets, bad `started_at`) and the follow-through rules.

use std::path::Path;

use jiff::Timestamp;

use super::extract::fold;
use super::timexpr;
use super::*;

fn zoned(s: &str) -> Zoned {
    let ts: Timestamp = s.parse().expect("test time");
    let offset = jiff::fmt::temporal::Pieces::parse(s)
        .expect("test time")
        .to_numeric_offset()
        .expect("test time has an offset");
    ts.to_zoned(TimeZone::fixed(offset))
}

/// The deadline of the single time expression in `expr`, said at `said_at`.
fn deadline(expr: &str, said_at: &str) -> String {
    let folded = fold(expr);
    let found = timexpr::find(&folded);
    assert_eq!(found.len(), 1, "{expr}: {found:?}");
    let resolved = timexpr::resolve(&found[0].spec, &zoned(said_at))
        .unwrap_or_else(|| panic!("{expr}: unresolved"));
    resolved.strftime("%Y-%m-%d %H:%M:%S%:z").to_string()
}

const FRI: &str = "2026-11-20T09:30:00+08:00";
const SAT: &str = "2026-11-21T10:00:00+08:00";
const MON_MONTH_END: &str = "2026-11-30T14:00:00+08:00";
const THU_YEAR_END: &str = "2026-12-31T15:00:00+08:00";
const FRI_EVENING: &str = "2026-11-20T19:00:00+08:00";

#[test]
fn time_expressions_resolve_to_exact_deadlines() {
    let table: &[(&str, &str, &str)] = &[
        // same day
        ("今天下午五点前", FRI, "2026-11-20 17:00:00+08:00"),
        ("下午五点之前", FRI, "2026-11-20 17:00:00+08:00"),
        ("下午三点十分", FRI, "2026-11-20 15:10:00+08:00"),
        ("下午三点一刻", FRI, "2026-11-20 15:15:00+08:00"),
        ("今天", FRI, "2026-11-20 23:59:59+08:00"),
        ("今天之内", FRI, "2026-11-20 23:59:59+08:00"),
        ("今晚", FRI, "2026-11-20 23:59:59+08:00"),
        ("晚上八点", FRI, "2026-11-20 20:00:00+08:00"),
        ("今天下班前", FRI, "2026-11-20 18:00:00+08:00"),
        ("中午12点", FRI, "2026-11-20 12:00:00+08:00"),
        ("17:00前", FRI, "2026-11-20 17:00:00+08:00"),
        // a bare hour: 1–6 is afternoon; a morning hour already past is too
        ("五点前", FRI, "2026-11-20 17:00:00+08:00"),
        ("10点前", FRI, "2026-11-20 10:00:00+08:00"),
        ("8点前", FRI_EVENING, "2026-11-20 20:00:00+08:00"),
        // later days
        ("明天", FRI, "2026-11-21 23:59:59+08:00"),
        ("明早", FRI, "2026-11-21 12:00:00+08:00"),
        ("明天上午", FRI, "2026-11-21 12:00:00+08:00"),
        ("明天中午", FRI, "2026-11-21 13:00:00+08:00"),
        ("明天下午", FRI, "2026-11-21 18:00:00+08:00"),
        ("明天晚上", FRI, "2026-11-21 23:59:59+08:00"),
        ("明天上午十点半", FRI, "2026-11-21 10:30:00+08:00"),
        ("明天下午两点", FRI, "2026-11-21 14:00:00+08:00"),
        ("明天下午五點前", FRI, "2026-11-21 17:00:00+08:00"),
        ("明天，下午五点前", FRI, "2026-11-21 17:00:00+08:00"),
        ("明天上午10点到12点之间", FRI, "2026-11-21 12:00:00+08:00"),
        ("今天或者明天", FRI, "2026-11-21 23:59:59+08:00"),
        ("后天", FRI, "2026-11-22 23:59:59+08:00"),
        ("大后天", FRI, "2026-11-23 23:59:59+08:00"),
        ("明天之前", FRI, "2026-11-21 23:59:59+08:00"),
        // durations from the moment said
        ("二十四小时内", FRI, "2026-11-21 09:30:00+08:00"),
        ("两个小时之内", FRI, "2026-11-20 11:30:00+08:00"),
        ("半小时内", FRI, "2026-11-20 10:00:00+08:00"),
        ("半个小时以内", FRI, "2026-11-20 10:00:00+08:00"),
        ("一个半小时内", FRI, "2026-11-20 11:00:00+08:00"),
        ("三十分钟内", FRI, "2026-11-20 10:00:00+08:00"),
        ("两小时后", FRI, "2026-11-20 11:30:00+08:00"),
        ("一个小时左右", FRI, "2026-11-20 10:30:00+08:00"),
        ("下午三点左右", FRI, "2026-11-20 15:30:00+08:00"),
        ("稍后", FRI, "2026-11-20 23:59:59+08:00"),
        ("三天内", FRI, "2026-11-23 23:59:59+08:00"),
        ("一两天内", FRI, "2026-11-22 23:59:59+08:00"),
        // working days skip the weekend
        ("3个工作日内", FRI, "2026-11-25 23:59:59+08:00"),
        ("三个工作日内", FRI, "2026-11-25 23:59:59+08:00"),
        ("叁个工作日内", FRI, "2026-11-25 23:59:59+08:00"),
        ("三個工作日內", FRI, "2026-11-25 23:59:59+08:00"),
        ("３个工作日内", FRI, "2026-11-25 23:59:59+08:00"),
        ("五个工作日", FRI, "2026-11-27 23:59:59+08:00"),
        ("3到5个工作日", FRI, "2026-11-27 23:59:59+08:00"),
        ("3个工作日内", SAT, "2026-11-25 23:59:59+08:00"),
        ("3个工作日内", MON_MONTH_END, "2026-12-03 23:59:59+08:00"),
        // public holidays are not known: 1 January counts as a working day
        ("两个工作日内", THU_YEAR_END, "2027-01-04 23:59:59+08:00"),
        // weeks
        ("本周五", FRI, "2026-11-20 23:59:59+08:00"),
        ("周五前", FRI, "2026-11-20 23:59:59+08:00"),
        ("下周一", FRI, "2026-11-23 23:59:59+08:00"),
        ("下星期一", FRI, "2026-11-23 23:59:59+08:00"),
        ("下礼拜三下午", FRI, "2026-11-25 18:00:00+08:00"),
        ("礼拜一", FRI, "2026-11-23 23:59:59+08:00"),
        ("周末前", FRI, "2026-11-22 23:59:59+08:00"),
        ("下周", FRI, "2026-11-29 23:59:59+08:00"),
        ("下周一", MON_MONTH_END, "2026-12-07 23:59:59+08:00"),
        ("下周一上午", THU_YEAR_END, "2027-01-04 12:00:00+08:00"),
        ("週一", THU_YEAR_END, "2027-01-04 23:59:59+08:00"),
        // months
        ("月底前", FRI, "2026-11-30 23:59:59+08:00"),
        ("本月底", MON_MONTH_END, "2026-11-30 23:59:59+08:00"),
        ("下个月底", FRI, "2026-12-31 23:59:59+08:00"),
        ("12月5号之前", FRI, "2026-12-05 23:59:59+08:00"),
        ("二十五号前", FRI, "2026-11-25 23:59:59+08:00"),
        ("五号前", FRI, "2026-12-05 23:59:59+08:00"),
        // another offset stays in its own offset
        (
            "明天上午",
            "2026-11-20T09:30:00-05:00",
            "2026-11-21 12:00:00-05:00",
        ),
    ];
    let mut failures = Vec::new();
    for (expr, said_at, expected) in table {
        let got = deadline(expr, said_at);
        if got != *expected {
            failures.push(format!(
                "{expr} said {said_at}: got {got}, expected {expected}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn words_that_look_like_times_are_not() {
    for text in [
        "这周一定给您处理",
        "快一点",
        "工号2705",
        "订单号",
        "等了3天",
        "下周一起",
        "一点五匹的挂机",
        "1点5倍",
    ] {
        let found = timexpr::find(&fold(text));
        let weekday = found.iter().any(|m| {
            matches!(
                m.spec,
                timexpr::Spec::Point {
                    anchor: Some(timexpr::Anchor::Weekday(..)),
                    ..
                }
            )
        });
        let clock = found
            .iter()
            .any(|m| matches!(m.spec, timexpr::Spec::Point { clock: Some(_), .. }));
        let days = found
            .iter()
            .any(|m| matches!(m.spec, timexpr::Spec::Within { .. }));
        assert!(!weekday && !clock && !days, "{text}: {found:?}");
    }
    // 明天以后 has no upper bound
    assert!(timexpr::find(&fold("明天以后")).is_empty());
}

fn call(json: &str) -> Transcript {
    Transcript::from_json(json, Path::new("test.json")).expect("test transcript")
}

#[test]
fn only_agent_speech_makes_promises_and_hours_count_from_the_utterance() {
    let t = call(
        r#"{"call_id":"X1","agent_id":"A1","customer_id":"C1","started_at":"2026-11-20T09:30:00+08:00",
            "utterances":[
              {"speaker":"customer","start_ms":1000,"end_ms":4000,"text":"你们明天下午五点前一定要给我回电话"},
              {"speaker":"agent","start_ms":35400,"end_ms":40000,"text":"好的，我们会在24小时内联系您。"}]}"#,
    );
    let found = extract_promises(&t).expect("valid call");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].utterance_index, 1);
    assert_eq!(found[0].text, "我们会在24小时内联系您");
    assert_eq!(found[0].time_expression, "24小时内");
    assert_eq!(
        found[0].deadline.as_deref(),
        Some("2026-11-21T09:30:35+08:00")
    );
    assert_eq!(found[0].kind, PromiseKind::Contact);
}

#[test]
fn bad_or_missing_started_at_is_an_error_naming_the_call() {
    let missing =
        call(r#"{"call_id":"X2","utterances":[{"speaker":"agent","text":"明天给您回电"}]}"#);
    let err = extract_promises(&missing).expect_err("no started_at");
    assert!(
        err.to_string().contains("X2") && err.to_string().contains("started_at"),
        "{err}"
    );
    let bad = call(r#"{"call_id":"X3","started_at":"20/11/2026 9:30","utterances":[]}"#);
    let err = extract_promises(&bad).expect_err("bad started_at");
    assert!(
        err.to_string().contains("X3") && err.to_string().contains("20/11/2026 9:30"),
        "{err}"
    );
    let result = follow_through(&[missing, bad], Timestamp::UNIX_EPOCH);
    assert_eq!(result.skipped.len(), 2);
    assert!(result.promises.is_empty());
}

fn history(later: &str) -> Vec<Transcript> {
    let first = call(
        r#"{"call_id":"P1","agent_id":"A1","customer_id":"C1","started_at":"2026-11-20T09:30:00+08:00","direction":"inbound",
            "utterances":[{"speaker":"agent","start_ms":0,"end_ms":5000,"text":"我明天下午五点前给您回电话。"}]}"#,
    );
    let mut calls = vec![first];
    if !later.is_empty() {
        calls.push(call(later));
    }
    calls
}

fn as_of(s: &str) -> Timestamp {
    s.parse().expect("test time")
}

#[test]
fn follow_through_rules() {
    let late_check = as_of("2026-11-30T00:00:00Z");
    // kept by an outbound call before the deadline
    let kept = follow_through(
        &history(
            r#"{"call_id":"P2","customer_id":"C1","started_at":"2026-11-21T10:00:00+08:00","direction":"outbound",
                "utterances":[{"speaker":"agent","text":"您好，给您回个电话"},{"speaker":"customer","text":"好的谢谢"}]}"#,
        ),
        late_check,
    );
    assert_eq!(
        kept.promises[0].status,
        PromiseStatus::Kept,
        "{:?}",
        kept.promises[0]
    );
    assert_eq!(kept.promises[0].follow_up_call_id.as_deref(), Some("P2"));
    // an inbound complaint before the deadline still breaks it
    let complaint = follow_through(
        &history(
            r#"{"call_id":"P3","customer_id":"C1","started_at":"2026-11-21T16:00:00+08:00","direction":"inbound",
                "utterances":[{"speaker":"customer","text":"我等了一天 到现在也没人给我回电话"}]}"#,
        ),
        late_check,
    );
    assert_eq!(complaint.promises[0].status, PromiseStatus::Broken);
    assert_eq!(
        complaint.promises[0].follow_up_call_id.as_deref(),
        Some("P3")
    );
    let p = &complaint.promises[0];
    assert!(
        p.reason_en.contains("the customer complained"),
        "{}",
        p.reason_en
    );
    assert!(
        p.reason.contains("客户投诉") && p.reason.contains("没人给我回电话"),
        "{}",
        p.reason
    );
    // late
    let late = follow_through(
        &history(
            r#"{"call_id":"P4","customer_id":"C1","started_at":"2026-11-22T10:00:00+08:00","direction":"outbound",
                "utterances":[{"speaker":"agent","text":"您好"}]}"#,
        ),
        late_check,
    );
    assert_eq!(late.promises[0].status, PromiseStatus::Broken);
    let p = &late.promises[0];
    assert!(p.reason_en.contains("came 17 h"), "{}", p.reason_en);
    assert!(p.reason.contains("比时限晚了 17 小时"), "{}", p.reason);
    // another customer's call does not count
    let other = follow_through(
        &history(
            r#"{"call_id":"P5","customer_id":"C2","started_at":"2026-11-21T10:00:00+08:00","direction":"outbound",
                "utterances":[{"speaker":"agent","text":"您好"}]}"#,
        ),
        late_check,
    );
    assert_eq!(other.promises[0].status, PromiseStatus::Broken);
    assert_eq!(other.promises[0].follow_up_call_id, None);
    // before the deadline with no call: pending
    let pending = follow_through(&history(""), as_of("2026-11-21T08:00:00Z"));
    assert_eq!(pending.promises[0].status, PromiseStatus::Pending);
    // calls after as_of do not exist yet
    let future = follow_through(
        &history(
            r#"{"call_id":"P6","customer_id":"C1","started_at":"2026-11-21T10:00:00+08:00","direction":"outbound",
                "utterances":[{"speaker":"agent","text":"您好"}]}"#,
        ),
        as_of("2026-11-21T01:00:00Z"),
    );
    assert_eq!(future.promises[0].status, PromiseStatus::Pending);
    assert_eq!(future.skipped[0].call_id, "P6");
}

#[test]
fn reasons_of_a_call_of_unknown_direction_say_later_once() {
    let late_check = as_of("2026-11-30T00:00:00Z");
    // No direction and no call-back opening: just "a later call".
    let later = |started_at: &str| {
        format!(
            r#"{{"call_id":"L1","customer_id":"C1","started_at":"{started_at}",
                "utterances":[{{"speaker":"customer","text":"你好，我想问一下发票的事"}}]}}"#
        )
    };
    let kept = follow_through(&history(&later("2026-11-21T10:00:00+08:00")), late_check);
    let p = &kept.promises[0];
    assert_eq!(p.status, PromiseStatus::Kept);
    assert_eq!(
        p.reason,
        "时限前有后续通话 L1（2026-11-21 10:00），未见投诉"
    );
    assert_eq!(
        p.reason_en,
        "later call L1 on 2026-11-21 10:00 (no complaint), before the deadline"
    );
    let late = follow_through(&history(&later("2026-11-22T09:00:00+08:00")), late_check);
    let p = &late.promises[0];
    assert_eq!(p.status, PromiseStatus::Broken);
    assert_eq!(
        p.reason,
        "客户的第一通后续通话 L1（2026-11-22 09:00），比时限晚了 16 小时"
    );
    assert_eq!(
        p.reason_en,
        "the first later call, call L1 on 2026-11-22 09:00, came 16 h after the deadline"
    );
}

#[test]
fn no_customer_id_is_pending_with_a_reason_and_rates_count_decided_promises() {
    let mut calls = history("");
    calls.push(call(
        r#"{"call_id":"Q1","agent_id":"A2","started_at":"2026-11-20T11:00:00+08:00",
            "utterances":[{"speaker":"坐席","text":"三个工作日内给您回复"}]}"#,
    ));
    calls.push(calls[0].clone()); // a duplicate is skipped, not counted twice
    let result = follow_through(&calls, as_of("2026-12-31T00:00:00Z"));
    assert_eq!(result.promises.len(), 2);
    let q1 = &result.promises[1];
    assert_eq!(q1.call_id, "Q1");
    assert_eq!(q1.status, PromiseStatus::Pending);
    assert!(q1.reason_en.contains("customer_id"), "{}", q1.reason_en);
    assert!(q1.reason.contains("没有客户编号"), "{}", q1.reason);
    assert_eq!(result.skipped.len(), 1);
    let rates = agent_rates(&result);
    assert_eq!(rates.len(), 2);
    assert_eq!(
        (
            rates[0].agent_id.as_str(),
            rates[0].broken,
            rates[0].kept_rate
        ),
        ("A1", 1, Some(0.0))
    );
    assert_eq!(
        (
            rates[1].agent_id.as_str(),
            rates[1].pending,
            rates[1].kept_rate
        ),
        ("A2", 1, None)
    );
}

#[test]
fn csv_has_bom_and_header() {
    use crate::i18n::Lang;
    use crate::report::{render_promises, DatasetFormat};
    let result = follow_through(&history(""), as_of("2026-12-31T00:00:00Z"));
    let csv = render_promises(&result, DatasetFormat::Csv, Lang::Zh);
    assert!(csv.starts_with("\u{feff}call_id,agent_id,customer_id,started_at,"));
    assert_eq!(csv.lines().count(), 2);
    assert!(csv.contains("我明天下午五点前给您回电话"));
    let text = render_promises(&result, DatasetFormat::Text, Lang::En);
    assert!(
        text.contains("BROKEN")
            && text.contains("deadline: 明天下午五点前 → 2026-11-21 17:00 +08:00"),
        "{text}"
    );
    let text = render_promises(&result, DatasetFormat::Text, Lang::Zh);
    assert!(
        text.contains("【已违约】")
            && text.contains("时限：明天下午五点前 → 2026-11-21 17:00 +08:00"),
        "{text}"
    );
}

/// Phrasings heard in real calls: the first promise's words and deadline, or
/// `None` when nothing in it is a promise. Said on Friday 2026-11-20 09:30.
#[test]
fn everyday_phrasings() {
    let said = zoned(FRI);
    let table: &[(&str, Option<(&str, &str)>)] = &[
        ("我这边24小时内给您回电", Some(("24小时内", "11-21 09:30"))),
        ("最晚明天下午给您答复", Some(("明天下午", "11-21 18:00"))),
        (
            "明天上午十点前会有专员联系您",
            Some(("明天上午十点前", "11-21 10:00")),
        ),
        ("两个小时后给您回电", Some(("两个小时后", "11-20 11:30"))),
        ("我明天给您打过来", Some(("明天", "11-21 23:59"))),
        (
            "好的那我明天上午再跟您确认一下",
            Some(("明天上午", "11-21 12:00")),
        ),
        (
            "您放心 我们明天中午之前肯定给您寄出",
            Some(("明天中午之前", "11-21 13:00")),
        ),
        ("我今天之内给您回个话", Some(("今天之内", "11-20 23:59"))),
        (
            "这个我帮您记录下来了 明天会有同事给您回电",
            Some(("明天", "11-21 23:59")),
        ),
        (
            "那我明天这个时候再给您打电话",
            Some(("明天这个时候", "11-21 09:30")),
        ),
        ("我下午四点给您回过去", Some(("下午四点", "11-20 16:00"))),
        (
            "好的 我让师傅今天晚上八点之前联系您",
            Some(("今天晚上八点之前", "11-20 20:00")),
        ),
        // Not in the rubric's promise act: 处理好 / 安排 alone name no
        // follow-up (promise_specific does not count them either).
        ("我们争取周三之前给您处理好", None),
        // 稍后 is vague: no deadline (follow-through still takes it as due
        // by the end of the day).
        ("稍后会有短信发送到您的手机上", Some(("稍后", "vague"))),
        (
            "好的，我这边已经给您登记了，明天下午会有工作人员联系您的。",
            Some(("明天下午", "11-21 18:00")),
        ),
        (
            "退款将在1-3个工作日内退回到您的原支付账户",
            Some(("1-3个工作日内", "11-25 23:59")),
        ),
        ("我们明天一早就给您安排", None),
        (
            "我二十分钟以后给您回电话",
            Some(("二十分钟以后", "11-20 09:50")),
        ),
        ("明天我一定给你个说法", Some(("明天", "11-21 23:59"))),
        (
            "那我这边先帮您申请 明后天给您回复",
            Some(("明后天", "11-22 23:59")),
        ),
        (
            "我今天下午联系不到您 明天上午再给您打",
            Some(("明天上午", "11-21 12:00")),
        ),
        (
            "已为您申请退款三个工作日内到账",
            Some(("三个工作日内", "11-25 23:59")),
        ),
        (
            "您的问题我已经反馈了，请您耐心等待，一般三个工作日内会有结果。",
            None,
        ),
        ("您这个订单是昨天下午发货的", None),
        ("我们的快递一般是下午五点统一发货", None),
        ("师傅说明天上午到不了，改到下午了", None),
        ("这个问题我现在马上给您处理", None),
        ("如果明天下午还没有收到的话，您再联系我们", None),
        ("退款已经在今天上午退回到您的账户了", None),
        ("取件码今天下午已经用短信发给您了", None),
        ("那我等您明天上午的电话", None),
        ("您明天下午三点以后再打过来就可以了", None),
        ("您方便的话明天上午给我们回个电话", None),
        ("这个要等厂家回复 大概需要三到五天", None),
        ("麻烦您明天上午十点前把照片发给我们", None),
        ("我在五分钟内帮您转接到技术部门", None),
    ];
    let mut failures = Vec::new();
    for (text, expected) in table {
        let found = said_by_agent(text, &said);
        let got = found.first().map(|f| {
            (
                f.time_expression.clone(),
                f.deadline
                    .as_deref()
                    .map(|d| zoned(d).strftime("%m-%d %H:%M").to_string())
                    .unwrap_or_else(|| "vague".into()),
            )
        });
        let expected = expected.map(|(e, d)| (e.to_string(), d.to_string()));
        if got != expected {
            failures.push(format!("{text}: got {got:?}, expected {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_call_back_opening_is_the_call_not_a_new_promise() {
    let t = call(
        r#"{"call_id":"CB1","agent_id":"A1","customer_id":"C1","started_at":"2026-11-21T10:00:00+08:00",
            "utterances":[
              {"speaker":"agent","text":"您好，您昨天反映的问题，我们今天给您回个电话。"},
              {"speaker":"customer","text":"好的，你说。"},
              {"speaker":"agent","text":"师傅今天下午五点前上门，今天晚上我再给您回个电话。"}]}"#,
    );
    let found = extract_promises(&t).expect("valid call");
    let shown: Vec<(&str, PromiseKind)> = found
        .iter()
        .map(|p| (p.time_expression.as_str(), p.kind))
        .collect();
    assert_eq!(
        shown,
        vec![
            ("今天下午五点前", PromiseKind::Visit),
            ("今天晚上", PromiseKind::Contact)
        ]
    );
}

/// The promises of one agent utterance said at `said` (a call of its own
/// that starts then), through the built-in rubric.
fn said_by_agent(text: &str, said: &Zoned) -> Vec<ExtractedPromise> {
    let json = serde_json::json!({
        "call_id": "T",
        "customer_id": "C",
        "started_at": rfc3339(said),
        "direction": "inbound",
        "utterances": [{"speaker": "agent", "text": text}],
    });
    extract_promises(&call(&json.to_string())).expect("valid call")
}

#[test]
fn promises_keep_the_original_words_and_their_kind() {
    let said = zoned(FRI);
    let shown = |text: &str| -> Vec<(String, String, Option<String>, PromiseKind)> {
        said_by_agent(text, &said)
            .into_iter()
            .map(|p| (p.text, p.time_expression, p.deadline, p.kind))
            .collect()
    };
    use PromiseKind::*;
    assert_eq!(
        shown("好的，明天下午五点前，我一定给您回电话。"),
        vec![(
            "明天下午五点前，我一定给您回电话".into(),
            "明天下午五点前".into(),
            Some("2026-11-21T17:00:00+08:00".into()),
            Contact
        )]
    );
    // ASR: no punctuation, spaces for pauses, Traditional characters, and
    // a homophone (回店 for 回电) the rubric tolerates.
    assert_eq!(
        shown("好的 我這邊 後天上午 給您回覆"),
        vec![(
            "後天上午 給您回覆".into(),
            "後天上午".into(),
            Some("2026-11-22T12:00:00+08:00".into()),
            Contact
        )]
    );
    assert_eq!(
        shown("好的 今天下午三点前给您回店"),
        vec![(
            "今天下午三点前给您回店".into(),
            "今天下午三点前".into(),
            Some("2026-11-20T15:00:00+08:00".into()),
            Contact
        )]
    );
    // 稍后 is vague: no deadline (promise_specific fails it), due tonight.
    let later = said_by_agent("我稍后给您回电", &said);
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].deadline, None);
    assert_eq!(later[0].time_expression, "稍后");
    assert_eq!(
        later[0].due_at,
        Some(zoned("2026-11-20T23:59:59+08:00").timestamp())
    );
    // No time at all.
    let vague = said_by_agent("有结果了我们会尽快联系您", &said);
    assert_eq!(vague.len(), 1);
    assert_eq!(
        (vague[0].deadline.as_deref(), vague[0].due_at),
        (None, None)
    );
    // Kinds.
    let kinds = |text: &str| -> Vec<PromiseKind> {
        said_by_agent(text, &said).iter().map(|p| p.kind).collect()
    };
    assert_eq!(kinds("明天上午给您安排上门"), vec![Visit]);
    assert_eq!(kinds("明天中午12点前给您寄出"), vec![Delivery]);
    assert_eq!(kinds("三个工作日内给您退款到账"), vec![Refund]);
    assert_eq!(kinds("办好后明天给您发短信确认"), vec![Sms]);
    assert_eq!(
        kinds("我今天下午先给您回个电话，明天上午师傅上门给您修。"),
        vec![Contact, Visit]
    );
}

#[test]
fn look_alikes_are_not_promises() {
    let said = zoned(FRI);
    for text in [
        // the past
        "已经给您回电了",
        "取件码刚才已经给您发短信了",
        "教务那边调课的时候漏通知您了",
        // advice to the customer
        "您可以明天上午联系我们",
        "您可以拨打我们的热线联系售后",
        // questions
        "要不要明天给您回个电话？",
        "需不需要我们给您回个电话",
        // negation
        "明天之前我们没法给您回复",
        // the call-back call itself
        "关于您昨天反映的问题，给您回个电话，跟您说一下处理结果。",
        // an action done right now
        "您稍等，我帮您查一下",
    ] {
        let found = said_by_agent(text, &said);
        assert!(found.is_empty(), "{text}: {found:?}");
    }
}

#[test]
fn a_restated_promise_is_not_a_second_vague_one() {
    let said = zoned(FRI);
    let found = said_by_agent("我明天上午给您回电。您放心，我一定会按时给您回电。", &said);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].time_expression, "明天上午");
}

#[test]
fn only_contact_promises_are_followed_and_others_are_unverifiable() {
    let calls = [call(
        r#"{"call_id":"K1","agent_id":"A1","customer_id":"C1","started_at":"2026-11-20T09:30:00+08:00",
                "utterances":[{"speaker":"agent","text":"明天上午给您安排师傅上门。退款三个工作日内给您退回到账。"}]}"#,
    )];
    let result = follow_through(&calls, as_of("2026-12-31T00:00:00Z"));
    assert!(!result.promises.is_empty());
    for p in &result.promises {
        assert_ne!(p.kind, PromiseKind::Contact, "{p:?}");
        assert_eq!(p.status, PromiseStatus::Unverifiable, "{p:?}");
        assert_eq!(p.follow_up_call_id, None);
    }
    let rates = agent_rates(&result);
    assert_eq!(
        (rates[0].unverifiable, rates[0].broken, rates[0].kept_rate),
        (result.promises.len(), 0, None)
    );
    // A vague contact promise: the customer's complaint breaks it, with no
    // deadline needed.
    let calls = [
        call(
            r#"{"call_id":"V1","customer_id":"C2","started_at":"2026-11-20T09:30:00+08:00",
                "utterances":[{"speaker":"agent","text":"这个我来帮您处理，稍后给您回复。"}]}"#,
        ),
        call(
            r#"{"call_id":"V2","customer_id":"C2","started_at":"2026-11-22T09:30:00+08:00","direction":"inbound",
                "utterances":[{"speaker":"customer","text":"说好的给我回复，到现在也没人联系我。"}]}"#,
        ),
    ];
    let result = follow_through(&calls, as_of("2026-12-31T00:00:00Z"));
    assert_eq!(result.promises.len(), 1);
    assert_eq!(result.promises[0].deadline, None);
    assert_eq!(result.promises[0].status, PromiseStatus::Broken);
    assert_eq!(result.promises[0].follow_up_call_id.as_deref(), Some("V2"));
}
