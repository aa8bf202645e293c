//! The numbers on the report's pages, computed once from the scorecards so
//! every page (and every CSV export) shows the same figures: counts, pass
//! rates, mean scores, score distributions, item failure rates, per ISO week
//! and per agent.
//!
//! Rounding happens here and only here: a pass rate is a percentage with
//! one decimal, a mean score has one decimal, as in the scorecards.

use std::collections::BTreeMap;

use crate::hotspots::week::week_of;
pub use crate::promises::UNKNOWN_AGENT;
use crate::score::{Scorecard, Verdict};
use crate::store::{Dataset, RubricVersion, StoredCall};

/// The call's local date and ISO week, from `started_at` in its own offset.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CallDate {
    /// "2026-W47"
    pub week: String,
    /// Monday of that week, "2026-11-16".
    pub week_start: String,
    /// "2026-11-20 09:30"
    pub local: String,
    /// The call's own UTC offset, "+08:00" (never converted to UTC).
    pub offset: String,
    /// Seconds since the Unix epoch, for sorting calls of different offsets.
    pub unix: i64,
}

impl CallDate {
    /// "2026-11-20 09:30 (+08:00)": the wall-clock time where the call took place.
    pub fn shown(&self) -> String {
        format!("{} ({})", self.local, self.offset)
    }
}

/// Parses an RFC 3339 `started_at` ("2026-11-20T09:30:00+08:00"); the
/// local date is the one printed (the call centre's), not UTC's.
pub fn call_date(started_at: Option<&str>) -> Option<CallDate> {
    let text = started_at?.trim();
    // Validates the whole stamp, offset included.
    let stamp: jiff::Timestamp = text.parse().ok()?;
    let local: jiff::civil::DateTime = text.get(..19)?.replace(' ', "T").parse().ok()?;
    let date = local.date();
    // The same weeks as the hotspots page.
    let week = week_of(date);
    Some(CallDate {
        week: week.label(),
        week_start: week.start(),
        local: format!(
            "{} {:02}:{:02}",
            date,
            local.time().hour(),
            local.time().minute()
        ),
        offset: offset_of(text)?,
        unix: stamp.as_second(),
    })
}

/// The offset written at the end of an RFC 3339 stamp, as "+08:00"
/// ("Z" is "+00:00").
fn offset_of(text: &str) -> Option<String> {
    if text.ends_with('Z') || text.ends_with('z') {
        return Some("+00:00".into());
    }
    let tail = text.get(text.len().checked_sub(6)?..)?;
    let ok = matches!(tail.as_bytes()[0], b'+' | b'-') && tail.as_bytes()[3] == b':';
    ok.then(|| tail.to_string())
}

/// Ids compared as a person reads them: digits as numbers, punctuation
/// ignored (A017 before A-2148, call-2 before call-10).
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = Vec::new();
        for c in s.chars().filter(|c| c.is_alphanumeric()) {
            let digit = c.is_ascii_digit();
            match out.last_mut() {
                Some((d, text)) if *d == digit => text.push(c),
                _ => out.push((digit, c.to_string())),
            }
        }
        out
    }
    let (x, y) = (chunks(a), chunks(b));
    for (p, q) in x.iter().zip(&y) {
        let order = match (p.0, q.0) {
            (true, true) => {
                let (p, q) = (p.1.trim_start_matches('0'), q.1.trim_start_matches('0'));
                p.len().cmp(&q.len()).then_with(|| p.cmp(q))
            }
            _ => p.1.to_lowercase().cmp(&q.1.to_lowercase()),
        };
        if order.is_ne() {
            return order;
        }
    }
    x.len().cmp(&y.len()).then_with(|| a.cmp(b))
}

/// Calls, passes and scores of some set of calls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub calls: usize,
    pub passed: usize,
    pub critical_failed: usize,
    score_sum: f64,
}

impl Tally {
    pub fn add(&mut self, card: &Scorecard) {
        self.calls += 1;
        self.passed += usize::from(card.passed);
        self.critical_failed += usize::from(card.critical_failed);
        self.score_sum += card.score;
    }

    /// Percentage with one decimal; `None` without calls.
    pub fn pass_rate(&self) -> Option<f64> {
        (self.calls > 0).then(|| round1(100.0 * self.passed as f64 / self.calls as f64))
    }

    /// Mean score with one decimal; `None` without calls.
    pub fn mean_score(&self) -> Option<f64> {
        (self.calls > 0).then(|| round1(self.score_sum / self.calls as f64))
    }
}

/// One rubric item over a set of calls.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRate {
    pub id: String,
    pub title: crate::i18n::Text,
    /// What the item checks (empty for an item the rubric version does not list).
    pub what: crate::i18n::Text,
    pub critical: bool,
    pub pass: usize,
    pub fail: usize,
    pub review: usize,
    pub na: usize,
}

impl ItemRate {
    /// review / applicable, as a percentage with one decimal.
    pub fn review_rate(&self) -> Option<f64> {
        let applicable = self.applicable();
        (applicable > 0).then(|| round1(100.0 * self.review as f64 / applicable as f64))
    }

    /// Calls where the item applied (not `na`).
    pub fn applicable(&self) -> usize {
        self.pass + self.fail + self.review
    }

    /// fail / applicable, as a percentage with one decimal.
    pub fn failure_rate(&self) -> Option<f64> {
        let applicable = self.applicable();
        (applicable > 0).then(|| round1(100.0 * self.fail as f64 / applicable as f64))
    }
}

/// One ISO week.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekStats {
    pub week: String,
    pub week_start: String,
    pub tally: Tally,
}

/// Calls shown under "worst calls" on an agent page.
pub const WORST_CALLS: usize = 5;

/// One agent.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentStats {
    pub agent_id: String,
    pub tally: Tally,
    pub weeks: Vec<WeekStats>,
    /// Most failed first (fail count, then failure rate, then rubric order).
    pub items: Vec<ItemRate>,
    /// Indexes into [`Dataset::calls`] of the agent's calls that failed or
    /// failed an item, lowest score first, at most [`WORST_CALLS`].
    pub worst_calls: Vec<usize>,
    /// Indexes into [`Dataset::calls`] of all the agent's calls, in the
    /// dataset's order (by start time).
    pub calls: Vec<usize>,
}

/// Everything the pages show, computed once.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub overall: Tally,
    /// Ten bins of width 10 (the last holds 90–100 inclusive).
    pub histogram: [usize; 10],
    pub items: Vec<ItemRate>,
    pub weeks: Vec<WeekStats>,
    /// Calls without a readable `started_at` (not in any week).
    pub undated: usize,
    pub agents: Vec<AgentStats>,
    /// Per call (same order as [`Dataset::calls`]).
    pub dates: Vec<Option<CallDate>>,
}

pub fn agent_of(call: &StoredCall) -> &str {
    call.scorecard
        .agent_id
        .as_deref()
        .or(call.transcript.agent_id.as_deref())
        .filter(|a| !a.trim().is_empty())
        .unwrap_or(UNKNOWN_AGENT)
}

impl Stats {
    pub fn compute(dataset: &Dataset) -> Stats {
        let dates: Vec<Option<CallDate>> = dataset
            .calls
            .iter()
            .map(|c| call_date(c.transcript.started_at.as_deref()))
            .collect();
        let all: Vec<usize> = (0..dataset.calls.len()).collect();
        let mut histogram = [0usize; 10];
        for call in &dataset.calls {
            let bin = ((call.scorecard.score / 10.0).floor().max(0.0) as usize).min(9);
            histogram[bin] += 1;
        }
        let mut by_agent: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (index, call) in dataset.calls.iter().enumerate() {
            by_agent.entry(agent_of(call)).or_default().push(index);
        }
        let mut by_agent: Vec<(&str, Vec<usize>)> = by_agent.into_iter().collect();
        by_agent.sort_by(|a, b| natural_cmp(a.0, b.0));
        let agents = by_agent
            .into_iter()
            .map(|(agent_id, calls)| {
                let mut items = item_rates(&dataset.rubric, dataset, &calls);
                let order: BTreeMap<&str, usize> = dataset
                    .rubric
                    .items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| (item.id.as_str(), i))
                    .collect();
                items.sort_by(|a, b| {
                    b.fail
                        .cmp(&a.fail)
                        .then_with(|| {
                            b.failure_rate()
                                .unwrap_or(0.0)
                                .total_cmp(&a.failure_rate().unwrap_or(0.0))
                        })
                        .then_with(|| order.get(a.id.as_str()).cmp(&order.get(b.id.as_str())))
                });
                let mut worst_calls: Vec<usize> = calls
                    .iter()
                    .copied()
                    .filter(|&i| {
                        let card = &dataset.calls[i].scorecard;
                        !card.passed || card.items.iter().any(|r| r.verdict == Verdict::Fail)
                    })
                    .collect();
                worst_calls.sort_by(|&a, &b| {
                    let (ca, cb) = (&dataset.calls[a], &dataset.calls[b]);
                    ca.scorecard
                        .score
                        .total_cmp(&cb.scorecard.score)
                        .then_with(|| ca.transcript.call_id.cmp(&cb.transcript.call_id))
                });
                worst_calls.truncate(WORST_CALLS);
                AgentStats {
                    agent_id: agent_id.to_string(),
                    tally: tally(dataset, &calls),
                    weeks: weeks(dataset, &dates, &calls),
                    items,
                    worst_calls,
                    calls,
                }
            })
            .collect();
        Stats {
            overall: tally(dataset, &all),
            histogram,
            items: item_rates(&dataset.rubric, dataset, &all),
            weeks: weeks(dataset, &dates, &all),
            undated: dates.iter().filter(|d| d.is_none()).count(),
            agents,
            dates,
        }
    }

    pub fn agent(&self, agent_id: &str) -> Option<&AgentStats> {
        self.agents.iter().find(|a| a.agent_id == agent_id)
    }
}

fn tally(dataset: &Dataset, calls: &[usize]) -> Tally {
    let mut tally = Tally::default();
    for &index in calls {
        tally.add(&dataset.calls[index].scorecard);
    }
    tally
}

fn weeks(dataset: &Dataset, dates: &[Option<CallDate>], calls: &[usize]) -> Vec<WeekStats> {
    let mut by_week: BTreeMap<(String, String), Tally> = BTreeMap::new();
    for &index in calls {
        if let Some(date) = &dates[index] {
            by_week
                .entry((date.week.clone(), date.week_start.clone()))
                .or_default()
                .add(&dataset.calls[index].scorecard);
        }
    }
    by_week
        .into_iter()
        .map(|((week, week_start), tally)| WeekStats {
            week,
            week_start,
            tally,
        })
        .collect()
}

/// Verdict counts per item of the rubric, in rubric order; items a
/// scorecard has that the rubric version does not list are appended.
fn item_rates(rubric: &RubricVersion, dataset: &Dataset, calls: &[usize]) -> Vec<ItemRate> {
    let mut rates: Vec<ItemRate> = rubric
        .items
        .iter()
        .map(|item| ItemRate {
            id: item.id.clone(),
            title: item.title.clone(),
            what: item.what.clone(),
            critical: item.critical,
            pass: 0,
            fail: 0,
            review: 0,
            na: 0,
        })
        .collect();
    for &index in calls {
        for result in &dataset.calls[index].scorecard.items {
            let position = match rates.iter().position(|r| r.id == result.id) {
                Some(position) => position,
                None => {
                    rates.push(ItemRate {
                        id: result.id.clone(),
                        title: crate::i18n::Text::same(result.id.clone()),
                        what: crate::i18n::Text::default(),
                        critical: result.critical,
                        pass: 0,
                        fail: 0,
                        review: 0,
                        na: 0,
                    });
                    rates.len() - 1
                }
            };
            let rate = &mut rates[position];
            match result.verdict {
                Verdict::Pass => rate.pass += 1,
                Verdict::Fail => rate.fail += 1,
                Verdict::Review => rate.review += 1,
                Verdict::Na => rate.na += 1,
            }
        }
    }
    rates
}

pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_local_to_the_call_and_weeks_are_iso() {
        let date = call_date(Some("2026-11-22T23:30:00+08:00")).unwrap();
        assert_eq!(date.week, "2026-W47");
        assert_eq!(date.week_start, "2026-11-16");
        assert_eq!(date.local, "2026-11-22 23:30");
        assert_eq!(date.shown(), "2026-11-22 23:30 (+08:00)");
        assert_eq!(
            call_date(Some("2026-11-22T23:30:00Z")).unwrap().offset,
            "+00:00"
        );
        // Monday in Beijing although still Sunday in UTC.
        let date = call_date(Some("2026-11-23T01:00:00+08:00")).unwrap();
        assert_eq!(date.week, "2026-W48");
        // 2027-01-01 is a Friday of ISO week 2026-W53.
        let date = call_date(Some("2027-01-01T10:00:00+08:00")).unwrap();
        assert_eq!(date.week, "2026-W53");
        assert_eq!(date.week_start, "2026-12-28");
        assert_eq!(call_date(Some("yesterday")), None);
        assert_eq!(
            call_date(Some("2026-11-20T09:30:00")),
            None,
            "an offset is required"
        );
        assert_eq!(call_date(None), None);
    }

    #[test]
    fn agent_ids_sort_as_people_read_them() {
        let mut ids = vec!["A-2148", "A017", "a3", "A023", "B1", "A0170"];
        ids.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(ids, ["a3", "A017", "A023", "A0170", "A-2148", "B1"]);
    }

    #[test]
    fn rates_round_to_one_decimal() {
        let mut tally = Tally::default();
        let card = |score: f64, passed: bool| Scorecard {
            call_id: "c".into(),
            agent_id: None,
            rubric: "r".into(),
            rubric_sha256: "s".into(),
            score,
            passed,
            critical_failed: false,
            items: Vec::new(),
        };
        tally.add(&card(90.0, true));
        tally.add(&card(70.0, false));
        tally.add(&card(85.5, true));
        assert_eq!(tally.pass_rate(), Some(66.7));
        assert_eq!(tally.mean_score(), Some(81.8));
        assert_eq!(Tally::default().pass_rate(), None);
    }
}
