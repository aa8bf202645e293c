//! Promise follow-through across calls: every promise with a deadline that an
//! agent makes (明天下午五点前给您回电, 3个工作日内到账, 下周一联系您 …) is
//! found, its deadline resolved against the call's `started_at`, and the
//! customer's later calls decide whether it was kept, broken or is pending.
//!
//! - [`extract_promises`]: one call → its promises (no status yet);
//! - [`follow_through`]: many calls → every promise with a status, the call
//!   that decided it, and a one-line reason;
//! - [`agent_rates`]: per-agent kept/broken counts for the agent pages;
//! - [`render_text`], [`render_json`], [`render_csv`]: the exporters behind
//!   `callqa promises`.
//!
//! What counts as a promise and how each time expression becomes a deadline
//! is documented in `extract` and `timexpr`; the follow-through rules in
//! `follow`.

mod extract;
mod follow;
mod render;
pub(crate) mod timexpr;

use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp, Zoned};
use serde::Serialize;

use crate::transcript::{Role, Transcript};

pub use follow::{agent_rates, follow_through, AgentPromiseRate, UNKNOWN_AGENT};
pub use render::{render_csv, render_json, render_text};

/// What became of a promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PromiseStatus {
    Kept,
    Broken,
    Pending,
}

impl PromiseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PromiseStatus::Kept => "kept",
            PromiseStatus::Broken => "broken",
            PromiseStatus::Pending => "pending",
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
    /// The time words as spoken, e.g. `明天下午五点前`.
    pub time_expression: String,
    /// The promised action as matched (normalised), e.g. `回电话`, `到账`.
    pub action: String,
    /// RFC 3339 in the call's own UTC offset.
    pub deadline: String,
    #[serde(skip)]
    pub deadline_at: Timestamp,
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
    pub deadline: String,
    pub status: PromiseStatus,
    pub follow_up_call_id: Option<String>,
    /// When the deciding call started (RFC 3339, its own offset).
    pub follow_up_started_at: Option<String>,
    /// The customer's (or agent's) words that made it a complaint.
    pub complaint: Option<String>,
    pub reason: String,
}

/// A call that could not take part, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedCall {
    pub call_id: String,
    pub reason: String,
}

/// Every promise of a set of calls with its outcome as of a moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowThrough {
    /// RFC 3339 (UTC) of the moment statuses are computed for.
    pub as_of: String,
    pub promises: Vec<Promise>,
    pub skipped: Vec<SkippedCall>,
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

/// The promises the agent makes in one call, in utterance order. Customer
/// and other speakers' words are never promises.
pub fn extract_promises(call: &Transcript) -> Result<Vec<ExtractedPromise>, PromiseError> {
    let start = call_start(call)?;
    // In a call-back, "今天给您回个电话" in the agent's opening is the call
    // itself being made, not a new promise.
    let call_back = call
        .direction
        .as_deref()
        .is_some_and(|d| d.trim().eq_ignore_ascii_case("outbound"))
        || follow::opens_as_call_back(call);
    let mut agent_turn = 0;
    let mut out = Vec::new();
    for (index, utterance) in call.utterances.iter().enumerate() {
        if Role::from_speaker(&utterance.speaker) != Role::Agent {
            continue;
        }
        agent_turn += 1;
        let opening = call_back && agent_turn <= 2;
        // N小时内 counts from when it was said, not from when the call began.
        let offset_ms = utterance
            .start_ms
            .and_then(|ms| i64::try_from(ms).ok())
            .unwrap_or(0);
        let said_at = start
            .checked_add(SignedDuration::from_millis(offset_ms))
            .unwrap_or_else(|_| start.clone());
        for found in extract::promises_in(&utterance.text, &said_at) {
            let whole_day_today = found.deadline.date() == said_at.date()
                && found.deadline.time() == jiff::civil::Time::constant(23, 59, 59, 0);
            if opening
                && whole_day_today
                && extract::is_contact(&found.action)
                && !found.text.contains('再')
            {
                continue;
            }
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
                deadline: rfc3339(&found.deadline),
                deadline_at: found.deadline.timestamp(),
                started_at_ts: start.timestamp(),
                position: found.position,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
