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
}

/// Parses an RFC 3339 `started_at` ("2026-11-20T09:30:00+08:00"); the
/// local date is the one printed (the call centre's), not UTC's.
pub fn call_date(started_at: Option<&str>) -> Option<CallDate> {
    let text = started_at?.trim();
    // Validates the whole stamp, offset included.
    let _: jiff::Timestamp = text.parse().ok()?;
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
    })
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
    pub title: String,
    pub critical: bool,
    pub pass: usize,
    pub fail: usize,
    pub review: usize,
    pub na: usize,
}

impl ItemRate {
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

/// One agent.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentStats {
    pub agent_id: String,
    pub tally: Tally,
    pub weeks: Vec<WeekStats>,
    /// Most failed first (fail count, then failure rate, then rubric order).
    pub items: Vec<ItemRate>,
    /// Indexes into [`Dataset::calls`], lowest score first.
    pub worst_calls: Vec<usize>,
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
                let mut worst_calls = calls.clone();
                worst_calls.sort_by(|&a, &b| {
                    let (ca, cb) = (&dataset.calls[a], &dataset.calls[b]);
                    ca.scorecard
                        .score
                        .total_cmp(&cb.scorecard.score)
                        .then_with(|| ca.transcript.call_id.cmp(&cb.transcript.call_id))
                });
                worst_calls.truncate(5);
                AgentStats {
                    agent_id: agent_id.to_string(),
                    tally: tally(dataset, &calls),
                    weeks: weeks(dataset, &dates, &calls),
                    items,
                    worst_calls,
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
            title: item.title.to_string(),
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
                        title: result.id.clone(),
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
