//! Promise follow-through across calls: every promise an agent makes
//! (明天下午五点前给您回电, 稍后给您回复, 安排师傅明天上门 …) is found through
//! the rubric's promise act (`[matches.follow_up_promise]`, the same act
//! `promise_specific` scores), its deadline resolved against the call's
//! `started_at`, and for a promise of contact the customer's later calls
//! decide whether it was kept, broken or is pending. A visit, delivery,
//! refund or text message does not show in a later call, so those are
//! `unverifiable`.
//!
//! - [`extract_promises_with`]: one call → its promises (no status yet);
//! - [`follow_through_with`]: many calls → every promise with a status, the
//!   call that decided it, and a one-line reason ([`follow_through`] and
//!   [`extract_promises`] use the built-in rubric);
//! - [`agent_rates`]: per-agent kept/broken counts for the agent pages.
//!
//! Reasons are written in both languages (`reason` in Chinese, `reason_en`);
//! [`FollowThrough::in_lang`] keeps one. The exporters behind `callqa
//! promises` (text, JSON, CSV) live in `crate::report::promises`.
//!
//! What counts as a promise and how each time expression becomes a deadline
//! is documented in `extract` and `timexpr`; the follow-through rules in
//! `follow`.

mod extract;
mod follow;
pub(crate) mod timexpr;

use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp, Zoned};
use serde::Serialize;

use crate::i18n::{Lang, Text};
use crate::rubric::CompiledRubric;
use crate::transcript::Transcript;

pub use follow::{
    agent_rates, follow_through, follow_through_with, AgentPromiseRate, UNKNOWN_AGENT,
};

/// What became of a promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PromiseStatus {
    Kept,
    Broken,
    Pending,
    /// Not a promise of contact: a later call cannot show it kept or broken.
    Unverifiable,
}

impl PromiseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PromiseStatus::Kept => "kept",
            PromiseStatus::Broken => "broken",
            PromiseStatus::Pending => "pending",
            PromiseStatus::Unverifiable => "unverifiable",
        }
    }

    /// The status as a QA lead says it (已兑现 / kept …).
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            PromiseStatus::Kept => lang.pick("已兑现", "kept"),
            PromiseStatus::Broken => lang.pick("已违约", "broken"),
            PromiseStatus::Pending => lang.pick("待兑现", "pending"),
            PromiseStatus::Unverifiable => lang.pick("无法核实", "unverifiable"),
        }
    }

    /// Every status, in the order summaries list them.
    pub const ALL: [PromiseStatus; 4] = [
        PromiseStatus::Kept,
        PromiseStatus::Broken,
        PromiseStatus::Pending,
        PromiseStatus::Unverifiable,
    ];
}

/// What was promised, from the rubric's named matches `promise_contact`,
/// `promise_visit`, `promise_delivery`, `promise_refund`, `promise_sms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PromiseKind {
    /// A call or a reply (回电, 回复, 联系, 通知, 答复 by phone or message):
    /// the only kind a later call can show kept.
    Contact,
    /// 上门, a technician (师傅).
    Visit,
    /// 发货, 寄, 送到.
    Delivery,
    /// 退款, 到账.
    Refund,
    /// 短信.
    Sms,
}

impl PromiseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PromiseKind::Contact => "contact",
            PromiseKind::Visit => "visit",
            PromiseKind::Delivery => "delivery",
            PromiseKind::Refund => "refund",
            PromiseKind::Sms => "sms",
        }
    }

    /// What was promised, as a noun a person reads (回电/回复 · contact).
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            PromiseKind::Contact => lang.pick("回电/回复", "contact"),
            PromiseKind::Visit => lang.pick("上门", "visit"),
            PromiseKind::Delivery => lang.pick("寄送", "delivery"),
            PromiseKind::Refund => lang.pick("退款", "refund"),
            PromiseKind::Sms => lang.pick("短信", "text message"),
        }
    }
}

/// A promise found in one call, before any later call is looked at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtractedPromise {
    pub call_id: String,
    pub agent_id: Option<String>,
    pub customer_id: Option<String>,
    /// The promising call's start, as written in the transcript.
    pub started_at: String,
    pub utterance_index: usize,
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
    /// The clause(s) of the promise as spoken.
    pub text: String,
    /// The time words as spoken, e.g. `明天下午五点前`; empty when none.
    pub time_expression: String,
    /// The promised words as the rubric matched them (normalised), e.g.
    /// `给你回电`.
    pub action: String,
    pub kind: PromiseKind,
    /// RFC 3339 in the call's own UTC offset; `None` for a vague promise.
    pub deadline: Option<String>,
    #[serde(skip)]
    pub deadline_at: Option<Timestamp>,
    /// When follow-through counts the promise as due: the deadline, or the
    /// end of the day for 稍后.
    #[serde(skip)]
    pub due_at: Option<Timestamp>,
    #[serde(skip)]
    pub started_at_ts: Timestamp,
    /// Order of several promises within one utterance.
    #[serde(skip)]
    pub position: usize,
}

/// A promise with its outcome. Serialised as one object of
/// `callqa promises --format json`; every key is always present (`null`
/// when unknown) so spreadsheets and scripts see a fixed shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Promise {
    pub call_id: String,
    pub agent_id: Option<String>,
    pub customer_id: Option<String>,
    pub started_at: String,
    pub utterance_index: usize,
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
    pub text: String,
    pub time_expression: String,
    pub action: String,
    pub kind: PromiseKind,
    /// `null` for a vague promise (稍后, 尽快, no time at all).
    pub deadline: Option<String>,
    pub status: PromiseStatus,
    pub follow_up_call_id: Option<String>,
    /// When the deciding call started (RFC 3339, its own offset).
    pub follow_up_started_at: Option<String>,
    /// The customer's (or agent's) words that made it a complaint.
    pub complaint: Option<String>,
    /// Why it has its status, in Chinese; [`Promise::reason_in`] chooses.
    pub reason: String,
    /// Why, in English (empty once [`FollowThrough::in_lang`] has chosen).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason_en: String,
}

impl Promise {
    /// The reason in `lang`.
    pub fn reason_in(&self, lang: Lang) -> &str {
        match lang {
            Lang::En if !self.reason_en.is_empty() => &self.reason_en,
            _ => &self.reason,
        }
    }
}

/// A call that could not take part, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedCall {
    pub call_id: String,
    /// In Chinese; [`SkippedCall::reason_in`] chooses.
    pub reason: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason_en: String,
}

impl SkippedCall {
    pub(crate) fn new(call_id: &str, reason: Text) -> SkippedCall {
        SkippedCall {
            call_id: call_id.to_string(),
            reason: reason.zh,
            reason_en: reason.en,
        }
    }

    /// The reason in `lang`.
    pub fn reason_in(&self, lang: Lang) -> &str {
        match lang {
            Lang::En if !self.reason_en.is_empty() => &self.reason_en,
            _ => &self.reason,
        }
    }
}

/// Every promise of a set of calls with its outcome as of a moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowThrough {
    /// RFC 3339 (UTC) of the moment statuses are computed for.
    pub as_of: String,
    pub promises: Vec<Promise>,
    pub skipped: Vec<SkippedCall>,
}

impl FollowThrough {
    /// The result as written for a person reading `lang`: every `reason` in
    /// that language and no second language beside it (what the JSON and
    /// CSV exporters write).
    pub fn in_lang(&self, lang: Lang) -> FollowThrough {
        let mut out = self.clone();
        for p in &mut out.promises {
            p.reason = p.reason_in(lang).to_string();
            p.reason_en.clear();
        }
        for s in &mut out.skipped {
            s.reason = s.reason_in(lang).to_string();
            s.reason_en.clear();
        }
        out
    }
}

/// Why a call's promises cannot be extracted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromiseError {
    #[error("call {call_id}: no started_at, so promise deadlines cannot be resolved")]
    MissingStartedAt { call_id: String },
    #[error("call {call_id}: started_at `{value}` is not an RFC 3339 time with a UTC offset ({message})")]
    BadStartedAt {
        call_id: String,
        value: String,
        message: String,
    },
    #[error("the rubric has no [matches.follow_up_promise], so it names no promises")]
    NoPromiseAct,
}

impl PromiseError {
    /// The message in both languages (the `Display` text is the English one).
    pub fn text(&self) -> Text {
        let zh = match self {
            PromiseError::MissingStartedAt { call_id } => {
                format!("通话 {call_id} 没有开始时间（started_at），无法推算承诺的时限")
            }
            PromiseError::BadStartedAt { call_id, value, .. } => format!(
                "通话 {call_id} 的开始时间（started_at）“{value}”不是带时区偏移的 RFC 3339 时间，例如 2026-11-20T09:30:00+08:00"
            ),
            PromiseError::NoPromiseAct => {
                "评分标准没有定义承诺用语（[matches.follow_up_promise]），无法识别承诺".to_string()
            }
        };
        Text::new(zh, self.to_string())
    }
}

/// The call's start as an instant in its own UTC offset.
pub(crate) fn call_start(call: &Transcript) -> Result<Zoned, PromiseError> {
    let value = call
        .started_at
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| PromiseError::MissingStartedAt {
            call_id: call.call_id.clone(),
        })?;
    let bad = |message: String| PromiseError::BadStartedAt {
        call_id: call.call_id.clone(),
        value: value.to_string(),
        message,
    };
    let ts: Timestamp = value.parse().map_err(|e: jiff::Error| bad(e.to_string()))?;
    // The deadline is reported in the offset the call was made in, which the
    // timestamp alone has lost.
    let offset = jiff::fmt::temporal::Pieces::parse(value)
        .map_err(|e| bad(e.to_string()))?
        .to_numeric_offset()
        .unwrap_or(Offset::UTC);
    Ok(ts.to_zoned(TimeZone::fixed(offset)))
}

pub(crate) fn rfc3339(z: &Zoned) -> String {
    z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// The built-in rubric, compiled for promise extraction.
pub(crate) fn builtin_rubric() -> CompiledRubric {
    crate::rubric::load_and_compile(None).expect("the built-in rubric compiles (checked by tests)")
}

/// Whether `rubric` can name promises (has `[matches.follow_up_promise]`).
pub fn check_rubric(rubric: &CompiledRubric) -> Result<(), PromiseError> {
    let empty = Transcript::from_json(
        r#"{"call_id":"-","utterances":[]}"#,
        std::path::Path::new("-"),
    )
    .expect("an empty transcript parses");
    let view = rubric.analyze(&empty);
    rubric
        .find_act(&view, extract::PROMISE_ACT)
        .map(|_| ())
        .ok_or(PromiseError::NoPromiseAct)
}

/// [`extract_promises_with`] and the built-in rubric.
pub fn extract_promises(call: &Transcript) -> Result<Vec<ExtractedPromise>, PromiseError> {
    extract_promises_with(&builtin_rubric(), call)
}

/// The promises the agent makes in one call, in call order: the hits of the
/// rubric's `follow_up_promise` (agent speech only), each with its kind and
/// the time expression of its clause or sentence.
pub fn extract_promises_with(
    rubric: &CompiledRubric,
    call: &Transcript,
) -> Result<Vec<ExtractedPromise>, PromiseError> {
    let start = call_start(call)?;
    let view = rubric.analyze(call);
    let acts = extract::Acts::find(rubric, &view).ok_or(PromiseError::NoPromiseAct)?;
    // Utterances in the order the rubric saw them (start time).
    let mut order: Vec<usize> = Vec::new();
    for hit in &acts.promises {
        if !order.contains(&hit.utterance) {
            order.push(hit.utterance);
        }
    }
    let mut out = Vec::new();
    for index in order {
        let Some(utterance) = call.utterances.get(index) else {
            continue;
        };
        // N小时内 counts from when it was said, not from when the call began.
        let offset_ms = utterance
            .start_ms
            .and_then(|ms| i64::try_from(ms).ok())
            .unwrap_or(0);
        let said_at = start
            .checked_add(SignedDuration::from_millis(offset_ms))
            .unwrap_or_else(|_| start.clone());
        for found in extract::promises_in(&acts, index, &utterance.text, &said_at) {
            out.push(ExtractedPromise {
                call_id: call.call_id.clone(),
                agent_id: call.agent_id.clone(),
                customer_id: call.customer_id.clone(),
                started_at: call.started_at.clone().unwrap_or_default(),
                utterance_index: index,
                start_ms: utterance.start_ms,
                end_ms: utterance.end_ms,
                text: found.text,
                time_expression: found.time_expression,
                action: found.action,
                kind: found.kind,
                deadline: found.deadline.as_ref().map(rfc3339),
                deadline_at: found.deadline.as_ref().map(Zoned::timestamp),
                due_at: found.due.as_ref().map(Zoned::timestamp),
                started_at_ts: start.timestamp(),
                position: found.position,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
