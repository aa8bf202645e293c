//! Follow-through: deciding for each promise whether the customer's next call
//! shows it kept or broken, and the per-agent rates built on that.
//!
//! The rules (a QA lead's reading of "did we do what we said"):
//! - Only a promise of contact (a call or a reply) can be seen kept in a
//!   later call. A visit, delivery, refund or text message is `unverifiable`
//!   — never `broken` for lack of a call.
//! - Only the customer's *first* call after the promising call decides
//!   (same `customer_id`, started strictly later, started no later than
//!   `as_of`). Later calls are not searched: once the customer has been in
//!   touch, the promise has had its test.
//! - That call is a complaint when it is inbound (or of unknown direction) and
//!   the customer says nobody called or replied, or that what was promised
//!   still has not happened (一直没人联系我, 说好的回电呢, 等了两天也没消息,
//!   退款还没到账), or when the agent admits the missed call-back. A
//!   complaint breaks the promise whatever the time. In an outbound call the
//!   agent *is* the contact, so a customer's impatience there does not.
//!   A call without `direction` whose agent opens with a call-back (给您回个
//!   电话, 回访) is taken as outbound.
//! - Otherwise a call that starts at or before the deadline keeps the
//!   promise. An inbound call without complaint counts as contact too: the
//!   customer was reached and did not find anything missing.
//! - A first later call after the deadline breaks it (late).
//! - No later call: broken once the deadline is before `as_of`, else pending.
//! - A vague promise (no deadline) is due by the end of the day for 稍后;
//!   with no time at all only the next call decides (a complaint breaks it,
//!   a call without one keeps it), and without one it stays pending.
//! - A promise from a call without `customer_id` cannot be followed: it is
//!   listed as pending with that reason, so it is neither lost nor held
//!   against the agent.

use std::collections::HashSet;
use std::sync::OnceLock;

use jiff::{Timestamp, Zoned};
use regex::Regex;
use serde::Serialize;

use super::{
    builtin_rubric, call_start, extract, extract_promises_with, rfc3339, FollowThrough, Promise,
    PromiseKind, PromiseStatus, SkippedCall,
};
use crate::i18n::Text;
use crate::rubric::CompiledRubric;
use crate::text::is_punctuation;
use crate::transcript::{Role, Transcript};

/// One agent's promise outcomes, for the agent pages.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentPromiseRate {
    /// [`UNKNOWN_AGENT`] for promises from calls without `agent_id`.
    pub agent_id: String,
    pub kept: usize,
    pub broken: usize,
    pub pending: usize,
    /// Promises other than of contact (visits, deliveries, refunds, SMS).
    pub unverifiable: usize,
    /// kept / (kept + broken); `None` while nothing is decided.
    pub kept_rate: Option<f64>,
}

struct Call<'a> {
    transcript: &'a Transcript,
    start: Zoned,
}

/// [`follow_through_with`] the built-in rubric.
pub fn follow_through(calls: &[Transcript], as_of: Timestamp) -> FollowThrough {
    follow_through_with(&builtin_rubric(), calls, as_of)
}

/// Every promise in `calls` (as `rubric`'s promise act finds them) with its
/// status as of `as_of`. Calls may come in any order; the result is ordered
/// by the promising call's start, call id, utterance and position in the
/// utterance.
pub fn follow_through_with(
    rubric: &CompiledRubric,
    calls: &[Transcript],
    as_of: Timestamp,
) -> FollowThrough {
    let mut skipped = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut usable: Vec<Call> = Vec::new();
    for transcript in calls {
        if !seen.insert(transcript.call_id.as_str()) {
            skipped.push(SkippedCall::new(
                &transcript.call_id,
                Text::new(
                    "通话编号重复：只采用该编号的第一份转写",
                    "duplicate call id: the first transcript with this id is used",
                ),
            ));
            continue;
        }
        match call_start(transcript) {
            Ok(start) if start.timestamp() > as_of => skipped.push(SkippedCall::new(
                &transcript.call_id,
                Text::new(
                    format!(
                        "通话开始于 {}，晚于统计截止时间 {}",
                        show_time(&start),
                        show_in_offset_of(as_of, &start)
                    ),
                    format!(
                        "starts at {}, after the as-of time {}",
                        show_time(&start),
                        show_in_offset_of(as_of, &start)
                    ),
                ),
            )),
            Ok(start) => usable.push(Call { transcript, start }),
            Err(e) => skipped.push(SkippedCall::new(&transcript.call_id, e.text())),
        }
    }
    usable.sort_by(|a, b| {
        a.start
            .timestamp()
            .cmp(&b.start.timestamp())
            .then_with(|| a.transcript.call_id.cmp(&b.transcript.call_id))
    });

    let mut promises = Vec::new();
    for (index, call) in usable.iter().enumerate() {
        let extracted = match extract_promises_with(rubric, call.transcript) {
            Ok(found) => found,
            Err(e) => {
                skipped.push(SkippedCall::new(&call.transcript.call_id, e.text()));
                continue;
            }
        };
        let customer = customer_of(call.transcript);
        // Sorted by start, so the first later call of the customer is the
        // first match after this one with a strictly later start.
        let next = customer.and_then(|customer| {
            usable[index + 1..].iter().find(|later| {
                customer_of(later.transcript) == Some(customer)
                    && later.start.timestamp() > call.start.timestamp()
            })
        });
        for p in extracted {
            let outcome = if p.kind == PromiseKind::Contact {
                decide(p.due_at, customer, next, as_of, &call.start)
            } else {
                Outcome {
                    status: PromiseStatus::Unverifiable,
                    follow_up: None,
                    complaint: None,
                    reason: Text::new(
                        format!(
                            "后续来电无法证明{}承诺是否兑现",
                            p.kind.label(crate::i18n::Lang::Zh)
                        ),
                        format!(
                            "a promise of {}: a later call cannot show whether it was kept",
                            match p.kind {
                                PromiseKind::Visit => "a visit",
                                PromiseKind::Delivery => "a delivery",
                                PromiseKind::Refund => "a refund",
                                PromiseKind::Sms => "a text message",
                                PromiseKind::Contact => "contact",
                            }
                        ),
                    ),
                }
            };
            promises.push(Promise {
                call_id: p.call_id,
                agent_id: p.agent_id,
                customer_id: p.customer_id,
                started_at: p.started_at,
                utterance_index: p.utterance_index,
                start_ms: p.start_ms,
                end_ms: p.end_ms,
                text: p.text,
                time_expression: p.time_expression,
                action: p.action,
                kind: p.kind,
                deadline: p.deadline,
                status: outcome.status,
                follow_up_call_id: outcome.follow_up.map(|c| c.transcript.call_id.clone()),
                follow_up_started_at: outcome.follow_up.map(|c| rfc3339(&c.start)),
                complaint: outcome.complaint,
                reason: outcome.reason.zh,
                reason_en: outcome.reason.en,
            });
        }
    }
    skipped.sort_by(|a, b| {
        a.call_id
            .cmp(&b.call_id)
            .then_with(|| a.reason_en.cmp(&b.reason_en))
    });
    FollowThrough {
        as_of: as_of.to_string(),
        promises,
        skipped,
    }
}

struct Outcome<'c, 'a> {
    status: PromiseStatus,
    follow_up: Option<&'c Call<'a>>,
    complaint: Option<String>,
    reason: Text,
}

fn decide<'c, 'a>(
    deadline: Option<Timestamp>,
    customer: Option<&str>,
    next: Option<&'c Call<'a>>,
    as_of: Timestamp,
    promised_in: &Zoned,
) -> Outcome<'c, 'a> {
    let Some(customer) = customer else {
        return Outcome {
            status: PromiseStatus::Pending,
            follow_up: None,
            complaint: None,
            reason: Text::new(
                "该通话没有客户编号（customer_id），无法匹配后续通话",
                "the call has no customer_id, so a follow-up call cannot be matched",
            ),
        };
    };
    // In the promising call's own offset, like its deadline.
    let as_of_shown = show_in_offset_of(as_of, promised_in);
    let Some(call) = next else {
        let Some(deadline) = deadline else {
            return Outcome {
                status: PromiseStatus::Pending,
                follow_up: None,
                complaint: None,
                reason: Text::new(
                    format!("承诺未给出时限，客户 {customer} 尚无后续通话"),
                    format!(
                        "no deadline was given, and no later call with customer {customer} yet"
                    ),
                ),
            };
        };
        let (status, reason) = if deadline < as_of {
            (
                PromiseStatus::Broken,
                Text::new(
                    format!("时限已过，截至 {as_of_shown} 客户 {customer} 没有后续通话"),
                    format!("no later call with customer {customer}, and the deadline passed before {as_of_shown}"),
                ),
            )
        } else {
            (
                PromiseStatus::Pending,
                Text::new(
                    format!("客户 {customer} 尚无后续通话；截至 {as_of_shown} 还未到时限"),
                    format!("no later call with customer {customer} yet; the deadline is not reached as of {as_of_shown}"),
                ),
            )
        };
        return Outcome {
            status,
            follow_up: None,
            complaint: None,
            reason,
        };
    };
    let direction = direction(call.transcript);
    let when = call.start.strftime("%Y-%m-%d %H:%M").to_string();
    let id = &call.transcript.call_id;
    // 呼出通话 P-0102（2026-11-21 10:05） / outbound call P-0102 on 2026-11-21 10:05
    let call_zh = format!("{}通话 {id}（{when}）", direction.zh());
    let call_en = format!("{} call {id} on {when}", direction.en());
    if direction != Direction::Outbound {
        if let Some(complaint) = complaint_in(call.transcript) {
            let reason = match complaint.role {
                Role::Agent => Text::new(
                    format!("{call_zh}中坐席承认没有按时跟进：“{}”", complaint.words),
                    format!(
                        "the agent admitted the missed follow-up in {call_en}: “{}”",
                        complaint.words
                    ),
                ),
                _ => Text::new(
                    format!("{call_zh}中客户投诉：“{}”", complaint.words),
                    format!(
                        "the customer complained in {call_en}: “{}”",
                        complaint.words
                    ),
                ),
            };
            return Outcome {
                status: PromiseStatus::Broken,
                follow_up: Some(call),
                reason,
                complaint: Some(complaint.words),
            };
        }
    }
    let start = call.start.timestamp();
    let Some(deadline) = deadline else {
        return Outcome {
            status: PromiseStatus::Kept,
            follow_up: Some(call),
            complaint: None,
            reason: Text::new(
                format!("{call_zh}中未见投诉（承诺未给出时限）"),
                format!("{call_en} without complaint (no deadline was given)"),
            ),
        };
    };
    if start <= deadline {
        let (detail_zh, detail_en) = match direction {
            Direction::Outbound => ("", ""),
            Direction::Inbound => (
                "，客户来电且未投诉",
                " (the customer called in; no complaint)",
            ),
            Direction::Later => ("，未见投诉", " (no complaint)"),
        };
        Outcome {
            status: PromiseStatus::Kept,
            follow_up: Some(call),
            complaint: None,
            reason: Text::new(
                format!("时限前有{call_zh}{detail_zh}"),
                format!("{call_en}{detail_en}, before the deadline"),
            ),
        }
    } else {
        let late = start.as_second().saturating_sub(deadline.as_second());
        // "the first later call, later call X" says "later" twice.
        let (first_zh, first_en) = match direction {
            Direction::Later => (
                format!("客户的第一通后续通话 {id}（{when}）"),
                format!("call {id} on {when}"),
            ),
            _ => (format!("客户的第一通后续通话是{call_zh}"), call_en),
        };
        Outcome {
            status: PromiseStatus::Broken,
            follow_up: Some(call),
            complaint: None,
            reason: Text::new(
                format!(
                    "{first_zh}，比时限晚了 {}",
                    human_duration(late, crate::i18n::Lang::Zh)
                ),
                format!(
                    "the first later call, {first_en}, came {} after the deadline",
                    human_duration(late, crate::i18n::Lang::En)
                ),
            ),
        }
    }
}

/// `at` as people read it, in the UTC offset of `call` (where the people
/// reading it work): `2026-11-28 12:00 +08:00`.
fn show_in_offset_of(at: Timestamp, call: &Zoned) -> String {
    show_time(&at.to_zoned(call.time_zone().clone()))
}

/// A call's start in its own offset: `2026-11-21 10:05 +08:00`.
fn show_time(at: &Zoned) -> String {
    at.strftime("%Y-%m-%d %H:%M %:z").to_string()
}

fn customer_of(call: &Transcript) -> Option<&str> {
    call.customer_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Which way a later call went, as far as the transcript tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Outbound,
    Inbound,
    /// Not written and not recognisable: just "a later call".
    Later,
}

impl Direction {
    fn zh(self) -> &'static str {
        match self {
            Direction::Outbound => "呼出",
            Direction::Inbound => "呼入",
            Direction::Later => "后续",
        }
    }

    fn en(self) -> &'static str {
        match self {
            Direction::Outbound => "outbound",
            Direction::Inbound => "inbound",
            Direction::Later => "later",
        }
    }
}

fn direction(call: &Transcript) -> Direction {
    match call
        .direction
        .as_deref()
        .map(|d| d.trim().to_ascii_lowercase())
    {
        Some(d) if d == "outbound" || d == "out" || d == "呼出" || d == "外呼" => {
            Direction::Outbound
        }
        Some(d) if d == "inbound" || d == "in" || d == "呼入" => Direction::Inbound,
        _ if opens_as_call_back(call) => Direction::Outbound,
        _ => Direction::Later,
    }
}

/// Vendor transcripts often lack `direction`; an agent who opens with "给您回个
/// 电话" is making the call-back, and the customer's reaction in it is not a
/// complaint about a missing one.
pub(crate) fn opens_as_call_back(call: &Transcript) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new("给你回(?:个)?电话|给你回电|回访|回复你|答应给你|之前跟你|昨天跟你|跟进一下")
            .expect("built-in call-back pattern compiles")
    });
    call.utterances
        .iter()
        .filter(|u| Role::from_speaker(&u.speaker) == Role::Agent)
        .take(2)
        .any(|u| {
            let folded: String = extract::fold(&u.text)
                .into_iter()
                .filter(|c| !is_punctuation(*c))
                .collect();
            re.is_match(&folded)
        })
}

struct Complaint {
    role: Role,
    words: String,
}

/// The first utterance in which the customer complains that the promise was
/// not kept, or the agent admits it.
fn complaint_in(call: &Transcript) -> Option<Complaint> {
    static CUSTOMER: OnceLock<Regex> = OnceLock::new();
    static AGENT: OnceLock<Regex> = OnceLock::new();
    let customer = CUSTOMER.get_or_init(|| {
        Regex::new(
            "没有?人(?:给我|跟我|和我|联系|回|打|理|管|通知|找)\
|一直(?:都)?没有?(?:人)?(?:给我)?(?:打|回|联系|消息|动静|回音|回复|电话|答复|处理|到账|收到|上门|通知)\
|(?:到现在|至今|到今天|这么久|这么多天|好几天)了?(?:都|也|还)(?:是)?(?:没|未)\
|说好(?:的|了)?.{0,15}(?:呢|吗|没|怎么)\
|不是说好?.{0,15}(?:吗|嘛|呢)\
|答应(?:过|了|好)?(?:我|的).{0,15}(?:呢|没|吗)\
|没有?(?:接到|收到)(?:你们的|任何|过)?(?:电话|回电|回复|短信|通知|消息)\
|等了.{0,8}(?:也|都|还)?没\
|(?:也|都)没有?(?:消息|回复|回音|动静|回电|人联系|人打)\
|还没有?(?:到账|收到|联系|回复|回电|打电话|上门|发货|寄出|退|处理好|给我)\
|怎么(?:还|都|一直)?没有?(?:人)?(?:给我)?(?:回|打|联系|到账|处理|上门|发货)\
|迟迟(?:没|不|未)",
        )
        .expect("built-in complaint pattern compiles")
    });
    let agent = AGENT.get_or_init(|| {
        Regex::new("(?:抱歉|不好意思|对不起).{0,15}没有?(?:及时)?(?:给你)?(?:回电|回复|联系|打电话|回个电话|处理)")
            .expect("built-in admission pattern compiles")
    });
    for utterance in &call.utterances {
        let role = Role::from_speaker(&utterance.speaker);
        let pattern = match role {
            Role::Customer => customer,
            Role::Agent => agent,
            Role::Other => continue,
        };
        // Punctuation is dropped: ASR commas fall anywhere in a complaint.
        let folded: String = extract::fold(&utterance.text)
            .into_iter()
            .filter(|c| !is_punctuation(*c))
            .collect();
        if pattern.is_match(&folded) {
            return Some(Complaint {
                role,
                words: utterance.text.trim().to_string(),
            });
        }
    }
    None
}

fn human_duration(seconds: i64, lang: crate::i18n::Lang) -> String {
    let minutes = seconds.max(0) / 60;
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    if lang == crate::i18n::Lang::Zh {
        return match (days, hours) {
            (0, 0) => format!("{} 分钟", mins.max(1)),
            (0, h) if mins == 0 => format!("{h} 小时"),
            (0, h) => format!("{h} 小时 {mins} 分钟"),
            (d, 0) => format!("{d} 天"),
            (d, h) => format!("{d} 天 {h} 小时"),
        };
    }
    match (days, hours) {
        (0, 0) => format!("{} min", mins.max(1)),
        (0, h) if mins == 0 => format!("{h} h"),
        (0, h) => format!("{h} h {mins} min"),
        (1, 0) => "1 day".into(),
        (d, 0) => format!("{d} days"),
        (1, h) => format!("1 day {h} h"),
        (d, h) => format!("{d} days {h} h"),
    }
}

/// The agent id under which promises from calls without one are counted (the
/// same label the report pages use).
pub const UNKNOWN_AGENT: &str = "(unknown)";

/// Kept/broken/pending per agent, sorted by agent id.
pub fn agent_rates(result: &FollowThrough) -> Vec<AgentPromiseRate> {
    let mut rates: Vec<AgentPromiseRate> = Vec::new();
    for promise in &result.promises {
        let agent = promise
            .agent_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(UNKNOWN_AGENT);
        let index = match rates.iter().position(|r| r.agent_id == agent) {
            Some(i) => i,
            None => {
                rates.push(AgentPromiseRate {
                    agent_id: agent.to_string(),
                    kept: 0,
                    broken: 0,
                    pending: 0,
                    unverifiable: 0,
                    kept_rate: None,
                });
                rates.len() - 1
            }
        };
        let rate = &mut rates[index];
        match promise.status {
            PromiseStatus::Kept => rate.kept += 1,
            PromiseStatus::Broken => rate.broken += 1,
            PromiseStatus::Pending => rate.pending += 1,
            PromiseStatus::Unverifiable => rate.unverifiable += 1,
        }
    }
    for rate in &mut rates {
        let decided = rate.kept + rate.broken;
        rate.kept_rate = (decided > 0).then(|| rate.kept as f64 / decided as f64);
    }
    rates.sort_by(|a, b| a.agent_id.cmp(&b.agent_id));
    rates
}
