//! Which ISO week a call belongs to, from its `started_at`, on the calendar of
//! the call's own UTC offset: a call at 23:30 on Sunday in Beijing is in that
//! week, even though it is Sunday afternoon in UTC.

use jiff::civil::{Date, ISOWeekDate, Weekday};
use jiff::fmt::temporal::DateTimeParser;

/// An ISO week: year and week number, ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct IsoWeek {
    pub year: i16,
    pub week: i8,
}

impl IsoWeek {
    /// "2026-W47".
    pub fn label(self) -> String {
        format!("{:04}-W{:02}", self.year, self.week)
    }

    /// The Monday the week starts on, "2026-11-16".
    pub fn start(self) -> String {
        ISOWeekDate::new(self.year, self.week, Weekday::Monday)
            .map(|d| d.date().to_string())
            .unwrap_or_default()
    }
}

/// The ISO week of an RFC 3339 (or Temporal) timestamp such as
/// `2026-11-20T09:30:00+08:00`; a bare date `2026-11-20` is accepted too.
/// `None` when it cannot be read.
pub(crate) fn iso_week(started_at: &str) -> Option<IsoWeek> {
    let text = started_at.trim();
    if text.is_empty() {
        return None;
    }
    // The parsed pieces keep the date as written, i.e. in the call's own
    // offset; converting to a Timestamp first would move late-evening calls
    // into the next day.
    static PARSER: DateTimeParser = DateTimeParser::new();
    let pieces = PARSER.parse_pieces(text).ok()?;
    Some(week_of(pieces.date()))
}

/// The ISO week a calendar date is in.
pub(crate) fn week_of(date: Date) -> IsoWeek {
    let iso = date.iso_week_date();
    IsoWeek {
        year: iso.year(),
        week: iso.week(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(s: &str) -> Option<String> {
        iso_week(s).map(|w| w.label())
    }

    #[test]
    fn weeks_and_their_mondays() {
        let week = iso_week("2026-11-20T09:30:00+08:00");
        assert_eq!(week.map(|w| w.label()), Some("2026-W47".to_string()));
        assert_eq!(week.map(|w| w.start()), Some("2026-11-16".to_string()));
        assert_eq!(
            label("2026-11-16T00:00:00+08:00").as_deref(),
            Some("2026-W47")
        );
        assert_eq!(
            label("2026-11-15T23:59:59+08:00").as_deref(),
            Some("2026-W46")
        );
        assert_eq!(label("2026-11-20").as_deref(), Some("2026-W47"));
        assert_eq!(label("2026-11-20T01:30:00Z").as_deref(), Some("2026-W47"));
    }

    #[test]
    fn year_boundary() {
        // 2026 starts on a Thursday, so it has 53 ISO weeks.
        let w53 = iso_week("2026-12-31T10:00:00+08:00");
        assert_eq!(w53.map(|w| w.label()), Some("2026-W53".to_string()));
        assert_eq!(w53.map(|w| w.start()), Some("2026-12-28".to_string()));
        assert_eq!(
            label("2027-01-03T10:00:00+08:00").as_deref(),
            Some("2026-W53")
        );
        assert_eq!(
            label("2027-01-04T10:00:00+08:00").as_deref(),
            Some("2027-W01")
        );
        // and ISO week-years can start in the previous calendar year
        assert_eq!(
            label("2024-12-30T10:00:00+08:00").as_deref(),
            Some("2025-W01")
        );
        assert!(iso_week("2026-12-31T10:00:00+08:00") < iso_week("2027-01-04T10:00:00+08:00"));
    }

    #[test]
    fn the_calls_own_offset_decides() {
        // Sunday 23:30 in New York is Monday in UTC: still the Sunday's week.
        assert_eq!(
            label("2026-12-27T23:30:00-05:00").as_deref(),
            Some("2026-W52")
        );
        assert_eq!(label("2026-12-28T04:30:00Z").as_deref(), Some("2026-W53"));
    }

    #[test]
    fn unreadable_dates_are_none() {
        for bad in [
            "",
            "  ",
            "yesterday",
            "2026-13-01T00:00:00+08:00",
            "20/11/2026",
            "2026-11-20T09:30:00+08:00 junk",
        ] {
            assert_eq!(iso_week(bad), None, "{bad}");
        }
    }
}
