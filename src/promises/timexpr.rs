//! Chinese time expressions in an agent's speech (明天下午五点前, 24小时内,
//! 3个工作日内, 下周一, 月底前 …): finding them in a normalised clause and
//! resolving them to a deadline against the moment they were said.
//!
//! The input is text after [`crate::text::normalize`] (Simplified, half-width,
//! most Chinese numerals before units already digits) and
//! [`crate::text::fold_for_matching`]; the leftovers that normalisation keeps
//! as words on purpose (一点, 十分, 周一, 五点三十) are parsed here.
//!
//! Deadline conventions, one rule each so a QA lead can predict every result:
//! - a day without a time of day ends at 23:59:59 of that day (明天, 周五前,
//!   今天之内, 3天内 = end of the third calendar day after the call day);
//! - 早上/上午 → 12:00, 中午 → 13:00, 下午/白天/下班前 → 18:00, 傍晚 → 19:00,
//!   晚上/今晚/明晚 → 23:59:59 (a call at 22:30 is still "tonight"),
//!   凌晨 → 06:00;
//! - a clock time is the deadline whether or not 前 follows (三点给您回电 is due
//!   at 15:00); 下午/晚上 add 12 hours; a bare 1–6点 is afternoon (nobody
//!   promises a call-back at 5 a.m.), and a bare morning hour already past on
//!   the same day is read as the afternoon one;
//! - N小时/N分钟/半小时 count from the moment the words were said;
//! - N个工作日 skip Saturdays and Sundays only (public holidays and 调休 are not
//!   known) and end at 23:59:59 of the Nth working day after the call day;
//! - ranges (3到5个工作日, 10点到12点, 今天或者明天) take the later end;
//! - 下周一 is Monday of the next Monday-based week; a bare 周五 is this week's
//!   Friday, or next week's when this week's has passed; 周末 / 下周 (no day)
//!   end on that week's Sunday; 15号 is the next 15th (this month or next);
//! - 三点左右 allows half an hour (15:30); 24小时左右 is read as 24小时内;
//! - 稍后 / 待会儿 / 晚点 (a call-back after hanging up) end with the day;
//!   尽快 / 马上 name no checkable time and are not deadlines;
//! - "after" expressions (明天以后, 三点之后) have no deadline and are dropped.

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::{Span, Timestamp, Zoned};

/// Which week a weekday expression refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WeekRef {
    /// 周五 with no 本/这/下: this week's if still ahead, else next week's.
    Bare,
    /// Weeks after the current one: 本周 0, 下周 1, 下下周 2, 上周 -1.
    Offset(i32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// 今天 0, 明天 1, 后天 2, 大后天 3, 昨天 -1, 前天 -2.
    Day(i32),
    Weekday(WeekRef, Weekday),
    /// The Sunday that ends a week: 周末, 本周内, 下周.
    WeekEnd(WeekRef),
    MonthDay {
        month: Option<i8>,
        day: i8,
    },
    /// Last day of the month, `months` after the current one.
    MonthEnd(i32),
    YearEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    EarlyMorning,
    Morning,
    Noon,
    Afternoon,
    Dusk,
    Evening,
    /// 下班前: the end of the working day.
    EndOfWork,
    /// 明天这个时候: the time of day it was said.
    SameTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Minutes,
    Hours,
    Days,
    WorkDays,
    Weeks,
    Months,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spec {
    Point {
        anchor: Option<Anchor>,
        part: Option<Part>,
        clock: Option<(i8, i8)>,
    },
    /// `halves` is twice the amount, so 半小时 and 1个半小时 stay exact.
    Within { halves: u32, unit: Unit },
    /// 稍后 / 待会儿 / 晚点: later the same day.
    LaterToday,
}

/// One time expression: its character range in the clause and its meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TimeMatch {
    pub start: usize,
    pub end: usize,
    pub spec: Spec,
}

/// Finds the time expressions of one normalised, folded clause, left to right.
pub(crate) fn find(chars: &[char]) -> Vec<TimeMatch> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        // A parse never starts inside a number: 12号 is not 2号.
        let inside_number = i > 0 && is_number_char(chars[i - 1]) && is_number_char(chars[i]);
        if !inside_number && may_start(chars[i]) {
            if let Some((end, spec)) = parse_expression(chars, i) {
                if let Some(spec) = spec {
                    out.push(TimeMatch {
                        start: i,
                        end,
                        spec,
                    });
                }
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Resolves an expression against the moment it was said (in the call's own
/// UTC offset). `None` when the date does not exist (2月30号) or overflows.
pub(crate) fn resolve(spec: &Spec, said_at: &Zoned) -> Option<Zoned> {
    let today = said_at.date();
    let tz = said_at.time_zone().clone();
    let deadline = match *spec {
        Spec::Within { halves, unit } => match unit {
            Unit::Minutes | Unit::Hours => {
                let minutes_per = if unit == Unit::Hours { 60 } else { 1 };
                let seconds = i64::from(halves) * minutes_per * 60 / 2;
                said_at
                    .checked_add(Span::new().try_seconds(seconds).ok()?)
                    .ok()?
            }
            Unit::Days => end_of(
                today
                    .checked_add(Span::new().try_days(i64::from(halves / 2)).ok()?)
                    .ok()?,
                &tz,
            )?,
            Unit::Weeks => end_of(
                today
                    .checked_add(Span::new().try_days(i64::from(halves / 2) * 7).ok()?)
                    .ok()?,
                &tz,
            )?,
            Unit::Months => end_of(
                today
                    .checked_add(Span::new().try_months(i64::from(halves / 2)).ok()?)
                    .ok()?,
                &tz,
            )?,
            Unit::WorkDays => end_of(add_working_days(today, halves.div_ceil(2))?, &tz)?,
        },
        Spec::LaterToday => end_of(today, &tz)?,
        Spec::Point {
            anchor,
            part,
            clock,
        } => {
            let date = match anchor {
                None => today,
                Some(anchor) => anchor_date(anchor, today)?,
            };
            let same_day = date == today;
            let time = match (clock, part) {
                (Some((hour, minute)), part) => {
                    match clock_time(hour, minute, part, same_day, said_at.time()) {
                        Some(time) => time,
                        None => Time::new(23, 59, 59, 0).ok()?,
                    }
                }
                (None, Some(Part::SameTime)) => said_at.time(),
                (None, Some(part)) => part_end(part)?,
                (None, None) => Time::new(23, 59, 59, 0).ok()?,
            };
            DateTime::from_parts(date, time).to_zoned(tz).ok()?
        }
    };
    // Whole seconds: a deadline is read and compared by people.
    let ts = Timestamp::from_second(deadline.timestamp().as_second()).ok()?;
    Some(ts.to_zoned(deadline.time_zone().clone()))
}

fn end_of(date: Date, tz: &jiff::tz::TimeZone) -> Option<Zoned> {
    DateTime::from_parts(date, Time::new(23, 59, 59, 0).ok()?)
        .to_zoned(tz.clone())
        .ok()
}

/// The Nth working day after `from` (which itself does not count, whatever
/// time of day the call was).
fn add_working_days(from: Date, n: u32) -> Option<Date> {
    let mut date = from;
    let mut left = n;
    while left > 0 {
        date = date.tomorrow().ok()?;
        if !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    Some(date)
}

fn anchor_date(anchor: Anchor, today: Date) -> Option<Date> {
    let monday = today
        .checked_sub(Span::new().days(i64::from(today.weekday().to_monday_zero_offset())))
        .ok()?;
    let week_start = |week: WeekRef, target: Option<Weekday>| -> Option<Date> {
        let weeks = match week {
            WeekRef::Offset(n) => n,
            WeekRef::Bare => {
                let this_week = monday
                    .checked_add(
                        Span::new()
                            .days(i64::from(target.map_or(6, |d| d.to_monday_zero_offset()))),
                    )
                    .ok()?;
                if this_week >= today {
                    0
                } else {
                    1
                }
            }
        };
        monday
            .checked_add(Span::new().try_days(i64::from(weeks) * 7).ok()?)
            .ok()
    };
    match anchor {
        Anchor::Day(n) => today
            .checked_add(Span::new().try_days(i64::from(n)).ok()?)
            .ok(),
        Anchor::Weekday(week, day) => week_start(week, Some(day))?
            .checked_add(Span::new().days(i64::from(day.to_monday_zero_offset())))
            .ok(),
        Anchor::WeekEnd(week) => week_start(week, None)?
            .checked_add(Span::new().days(6))
            .ok(),
        Anchor::MonthDay { month: None, day } => {
            let this_month = Date::new(today.year(), today.month(), day).ok();
            match this_month {
                Some(date) if date >= today => Some(date),
                _ => {
                    let next = today
                        .first_of_month()
                        .checked_add(Span::new().months(1))
                        .ok()?;
                    Date::new(next.year(), next.month(), day).ok()
                }
            }
        }
        Anchor::MonthDay {
            month: Some(month),
            day,
        } => {
            let date = Date::new(today.year(), month, day).ok()?;
            if date >= today {
                Some(date)
            } else {
                Date::new(today.year().checked_add(1)?, month, day).ok()
            }
        }
        Anchor::MonthEnd(months) => today
            .first_of_month()
            .checked_add(Span::new().try_months(i64::from(months)).ok()?)
            .ok()
            .map(|d| d.last_of_month()),
        Anchor::YearEnd => Date::new(today.year(), 12, 31).ok(),
    }
}

fn part_end(part: Part) -> Option<Time> {
    let (h, m, s) = match part {
        Part::EarlyMorning => (6, 0, 0),
        Part::Morning => (12, 0, 0),
        Part::Noon => (13, 0, 0),
        Part::Afternoon | Part::EndOfWork => (18, 0, 0),
        Part::Dusk => (19, 0, 0),
        Part::Evening | Part::SameTime => (23, 59, 59),
    };
    Time::new(h, m, s, 0).ok()
}

/// The 24-hour time of a spoken clock time; `None` means "end of day"
/// (晚上十二点, 24点).
fn clock_time(hour: i8, minute: i8, part: Option<Part>, same_day: bool, now: Time) -> Option<Time> {
    let hour = match part {
        Some(Part::Afternoon | Part::Dusk | Part::Evening | Part::EndOfWork) if hour < 12 => {
            hour + 12
        }
        Some(Part::Evening) if hour == 12 => 24,
        Some(Part::Noon) if (1..=2).contains(&hour) => hour + 12,
        Some(_) => hour,
        None => {
            let small_hours = (1..=6).contains(&hour);
            let morning_passed =
                same_day && hour < 12 && Time::new(hour, minute, 0, 0).is_ok_and(|t| t <= now);
            if small_hours || morning_passed {
                hour + 12
            } else {
                hour
            }
        }
    };
    if hour >= 24 {
        return None;
    }
    Time::new(hour, minute, 0, 0).ok()
}

// ---------------------------------------------------------------- parsing

/// `Some((end, None))` consumes an expression that has no deadline
/// (明天以后), so its pieces are not read again as a deadline.
fn parse_expression(c: &[char], i: usize) -> Option<(usize, Option<Spec>)> {
    if let Some((end, spec)) = parse_duration(c, i) {
        return Some((end, Some(spec)));
    }
    // 您稍等会儿 / 请等会儿 ask the customer to hold: not a later call.
    let hold = i > 0 && "稍你请".contains(c[i - 1]);
    for word in LATER_TODAY {
        if starts(c, i, word) && !hold {
            return Some((i + word.chars().count(), Some(Spec::LaterToday)));
        }
    }
    let (mut end, mut spec) = parse_point(c, i)?;
    // Ranges and alternatives: the later end is the deadline.
    while let Some((end2, spec2)) = joiner(c, end).and_then(|after| parse_point(c, after)) {
        spec = inherit(spec, spec2);
        end = end2;
    }
    match suffix(c, end) {
        Some((after, Suffix::By)) => Some((after, Some(spec))),
        Some((after, Suffix::After)) => Some((after, None)),
        Some((after, Suffix::About)) => Some((after, Some(about(spec)))),
        None => Some((end, Some(spec))),
    }
}

/// Words for "later today" that agents use for a call-back after hanging up.
/// 尽快 and 马上 are not here: they name no time a QA lead could check.
const LATER_TODAY: &[&str] = &[
    "稍后",
    "待会儿",
    "待会",
    "等会儿",
    "过一会儿",
    "晚点",
    "晚些时候",
];

/// 三点左右: half an hour of grace after a clock time.
fn about(spec: Spec) -> Spec {
    match spec {
        Spec::Point {
            anchor,
            part,
            clock: Some((hour, minute)),
        } => {
            let total = i16::from(hour) * 60 + i16::from(minute) + 30;
            Spec::Point {
                anchor,
                part,
                clock: Some(((total / 60) as i8, (total % 60) as i8)),
            }
        }
        other => other,
    }
}

fn inherit(first: Spec, second: Spec) -> Spec {
    match (first, second) {
        (
            Spec::Point {
                anchor: a1,
                part: p1,
                ..
            },
            Spec::Point {
                anchor: a2,
                part: p2,
                clock: c2,
            },
        ) => Spec::Point {
            anchor: a2.or(a1),
            // 上午10点到12点: the second end keeps the first's part of day,
            // unless it names its own (上午10点到下午2点).
            part: p2.or(if a2.is_none() { p1 } else { None }),
            clock: c2,
        },
        (_, second) => second,
    }
}

fn joiner(c: &[char], i: usize) -> Option<usize> {
    for j in ["或者", "到", "至", "-", "~", "或"] {
        if starts(c, i, j) {
            return Some(i + j.chars().count());
        }
    }
    None
}

enum Suffix {
    By,
    After,
    About,
}

fn suffix(c: &[char], i: usize) -> Option<(usize, Suffix)> {
    for s in ["之前", "以前", "为止", "之内", "以内", "前", "内", "里"] {
        if starts(c, i, s) {
            return Some((i + s.chars().count(), Suffix::By));
        }
    }
    for s in ["之后", "以后", "后"] {
        if starts(c, i, s) {
            return Some((i + s.chars().count(), Suffix::After));
        }
    }
    if starts(c, i, "左右") {
        return Some((i + 2, Suffix::About));
    }
    None
}

fn parse_point(c: &[char], i: usize) -> Option<(usize, Spec)> {
    let mut j = i;
    let mut anchor = None;
    let mut part = None;
    if let Some((end, a, p)) = parse_anchor(c, j) {
        anchor = Some(a);
        part = p;
        j = end;
    }
    // ASR writes a pause as a comma: 明天，下午5点前.
    let skip_pause = |j: usize| {
        if anchor.is_some() && c.get(j) == Some(&'，') {
            j + 1
        } else {
            j
        }
    };
    if part.is_none() {
        let k = skip_pause(j);
        if let Some((end, p)) = parse_part(c, k, anchor.is_some()) {
            part = Some(p);
            j = end;
        }
    }
    let mut clock = None;
    if part != Some(Part::EndOfWork) {
        let k = if part.is_some() { j } else { skip_pause(j) };
        if let Some((end, h, m)) = parse_clock(c, k, anchor.is_some() || part.is_some()) {
            clock = Some((h, m));
            j = end;
        }
    }
    if anchor.is_none() && part.is_none() && clock.is_none() {
        return None;
    }
    Some((
        j,
        Spec::Point {
            anchor,
            part,
            clock,
        },
    ))
}

const DAY_WORDS: &[(&str, i32, Option<Part>)] = &[
    ("大后天", 3, None),
    // 明后天 / 今明两天: the later of the two days.
    ("明后天", 2, None),
    ("今明两天", 1, None),
    ("后天", 2, None),
    ("明天", 1, None),
    ("明日", 1, None),
    ("明儿", 1, None),
    ("明早", 1, Some(Part::Morning)),
    ("明晚", 1, Some(Part::Evening)),
    ("今天", 0, None),
    ("今日", 0, None),
    ("今儿", 0, None),
    ("当天", 0, None),
    ("今早", 0, Some(Part::Morning)),
    ("今晚", 0, Some(Part::Evening)),
    ("今夜", 0, Some(Part::Evening)),
    ("昨天", -1, None),
    ("昨日", -1, None),
    ("昨晚", -1, Some(Part::Evening)),
    ("前天", -2, None),
];

const WEEK_PREFIXES: &[(&str, WeekRef)] = &[
    ("下下个星期", WeekRef::Offset(2)),
    ("下下个礼拜", WeekRef::Offset(2)),
    ("下下星期", WeekRef::Offset(2)),
    ("下下礼拜", WeekRef::Offset(2)),
    ("下下周", WeekRef::Offset(2)),
    ("下个星期", WeekRef::Offset(1)),
    ("下个礼拜", WeekRef::Offset(1)),
    ("下星期", WeekRef::Offset(1)),
    ("下礼拜", WeekRef::Offset(1)),
    ("下个周", WeekRef::Offset(1)),
    ("下周", WeekRef::Offset(1)),
    ("这个星期", WeekRef::Offset(0)),
    ("这个礼拜", WeekRef::Offset(0)),
    ("这星期", WeekRef::Offset(0)),
    ("本星期", WeekRef::Offset(0)),
    ("这礼拜", WeekRef::Offset(0)),
    ("本礼拜", WeekRef::Offset(0)),
    ("这个周", WeekRef::Offset(0)),
    ("本周", WeekRef::Offset(0)),
    ("这周", WeekRef::Offset(0)),
    ("上个星期", WeekRef::Offset(-1)),
    ("上个礼拜", WeekRef::Offset(-1)),
    ("上星期", WeekRef::Offset(-1)),
    ("上礼拜", WeekRef::Offset(-1)),
    ("上周", WeekRef::Offset(-1)),
    ("星期", WeekRef::Bare),
    ("礼拜", WeekRef::Bare),
    ("周", WeekRef::Bare),
];

const MONTH_WORDS: &[(&str, Anchor)] = &[
    ("下个月底", Anchor::MonthEnd(1)),
    ("下个月末", Anchor::MonthEnd(1)),
    ("下月底", Anchor::MonthEnd(1)),
    ("下月末", Anchor::MonthEnd(1)),
    ("下个月", Anchor::MonthEnd(1)),
    ("这个月底", Anchor::MonthEnd(0)),
    ("这个月末", Anchor::MonthEnd(0)),
    ("这月底", Anchor::MonthEnd(0)),
    ("本月底", Anchor::MonthEnd(0)),
    ("本月末", Anchor::MonthEnd(0)),
    ("这个月", Anchor::MonthEnd(0)),
    ("本月", Anchor::MonthEnd(0)),
    ("月底", Anchor::MonthEnd(0)),
    ("月末", Anchor::MonthEnd(0)),
    ("今年年底", Anchor::YearEnd),
    ("今年底", Anchor::YearEnd),
    ("年底", Anchor::YearEnd),
    ("年末", Anchor::YearEnd),
];

fn parse_anchor(c: &[char], i: usize) -> Option<(usize, Anchor, Option<Part>)> {
    for (word, days, part) in DAY_WORDS {
        if starts(c, i, word) {
            return Some((i + word.chars().count(), Anchor::Day(*days), *part));
        }
    }
    for (word, anchor) in MONTH_WORDS {
        if starts(c, i, word) {
            return Some((i + word.chars().count(), *anchor, None));
        }
    }
    for (word, week) in WEEK_PREFIXES {
        if !starts(c, i, word) {
            continue;
        }
        let j = i + word.chars().count();
        if let Some(day) = c.get(j).and_then(|d| weekday_char(*d)) {
            // 这周一定 / 下周一起: 一 belongs to the next word.
            let idiom = c.get(j) == Some(&'一')
                && c.get(j + 1)
                    .is_some_and(|n| "定下直起样些般切共律致旦".contains(*n));
            if !idiom {
                return Some((j + 1, Anchor::Weekday(*week, day), None));
            }
        }
        if c.get(j) == Some(&'末') {
            return Some((j + 1, Anchor::WeekEnd(*week), None));
        }
        if *week != WeekRef::Bare {
            return Some((j, Anchor::WeekEnd(*week), None));
        }
        return None;
    }
    // 11月20号, 20号, 20日
    let (after_first, first) = parse_number(c, i)?;
    if c.get(after_first) == Some(&'月') {
        let (after_day, day) = parse_number(c, after_first + 1)?;
        if (1..=12).contains(&first)
            && (1..=31).contains(&day)
            && matches!(c.get(after_day), Some('号' | '日'))
        {
            return Some((
                after_day + 1,
                Anchor::MonthDay {
                    month: Some(first as i8),
                    day: day as i8,
                },
                None,
            ));
        }
        return None;
    }
    if (1..=31).contains(&first) && matches!(c.get(after_first), Some('号' | '日')) {
        return Some((
            after_first + 1,
            Anchor::MonthDay {
                month: None,
                day: first as i8,
            },
            None,
        ));
    }
    None
}

fn weekday_char(c: char) -> Option<Weekday> {
    Some(match c {
        '一' | '1' => Weekday::Monday,
        '二' | '2' => Weekday::Tuesday,
        '三' | '3' => Weekday::Wednesday,
        '四' | '4' => Weekday::Thursday,
        '五' | '5' => Weekday::Friday,
        '六' | '6' => Weekday::Saturday,
        '日' | '天' | '7' => Weekday::Sunday,
        _ => return None,
    })
}

fn parse_part(c: &[char], i: usize, after_anchor: bool) -> Option<(usize, Part)> {
    const PARTS: &[(&str, Part)] = &[
        ("下班之前", Part::EndOfWork),
        ("下班以前", Part::EndOfWork),
        ("下班前", Part::EndOfWork),
        ("凌晨", Part::EarlyMorning),
        ("一早", Part::Morning),
        ("这个时候", Part::SameTime),
        ("这个时间", Part::SameTime),
        ("这个点", Part::SameTime),
        ("早上", Part::Morning),
        ("早晨", Part::Morning),
        ("清早", Part::Morning),
        ("上午", Part::Morning),
        ("中午", Part::Noon),
        ("下午", Part::Afternoon),
        ("白天", Part::Afternoon),
        ("傍晚", Part::Dusk),
        ("晚上", Part::Evening),
        ("夜里", Part::Evening),
        ("晚间", Part::Evening),
    ];
    for (word, part) in PARTS {
        // 这个时候 alone is "now"; only 明天这个时候 names a deadline.
        if starts(c, i, word) && (after_anchor || *part != Part::SameTime) {
            return Some((i + word.chars().count(), *part));
        }
    }
    // A lone 早/晚 is a part of day only right after a day (明天早, 今天晚):
    // elsewhere it is 早点 / 晚一点.
    if after_anchor {
        match c.get(i) {
            Some('早') if c.get(i + 1) != Some(&'点') => return Some((i + 1, Part::Morning)),
            Some('晚') if c.get(i + 1) != Some(&'点') => return Some((i + 1, Part::Evening)),
            _ => {}
        }
    }
    None
}

/// `5点`, `5点半`, `5点30`, `5点30分`, `3点一刻`, `17:00`, `十二点`.
fn parse_clock(c: &[char], i: usize, has_context: bool) -> Option<(usize, i8, i8)> {
    let (j, hour) = parse_number(c, i)?;
    if hour > 24 {
        return None;
    }
    let digits = c.get(i).is_some_and(|d| d.is_ascii_digit());
    if c.get(j) == Some(&':') {
        let (k, minute) = parse_digits(c, j + 1)?;
        if k - (j + 1) != 2 || minute > 59 {
            return None;
        }
        return Some((k, hour as i8, minute as i8));
    }
    let mut k = j;
    if starts(c, k, "点钟") {
        k += 2;
    } else if c.get(k) == Some(&'点') {
        k += 1;
    } else {
        return None;
    }
    // normalize keeps 一点 (a little) in words; it is 1 o'clock only with a
    // time context or a clock word after it.
    if !digits && hour == 1 && !has_context {
        let clocky = c
            .get(k)
            .is_some_and(|n| "半前钟之以整".contains(*n) || is_number_char(*n));
        if !clocky {
            return None;
        }
    }
    let mut minute = 0;
    if c.get(k) == Some(&'半') {
        minute = 30;
        k += 1;
    } else if starts(c, k, "一刻") {
        minute = 15;
        k += 2;
    } else if starts(c, k, "三刻") {
        minute = 45;
        k += 2;
    } else if c.get(k) == Some(&'整') {
        k += 1;
    } else if let Some((m_end, m)) = parse_number(c, k) {
        // 一点五匹, 1点5倍: a decimal quantity, not a time of day.
        if c.get(m_end)
            .is_some_and(|n| "匹米倍斤寸升级折元块万吨克度".contains(*n))
        {
            return None;
        }
        // 5点1刻 / 5点30 / 5点30分; but not 5点 3个工作日 — a unit after it
        // means the number belongs to something else.
        if m <= 59 && !c.get(m_end).is_some_and(|n| "个天小号日月周".contains(*n)) {
            minute = m as i8;
            k = m_end;
            if c.get(k) == Some(&'分') && c.get(k + 1) != Some(&'钟') {
                k += 1;
            }
        }
    }
    Some((k, hour as i8, minute))
}

/// `24小时内`, `3个工作日`, `3到5个工作日内`, `半小时内`, `1个半小时内`.
fn parse_duration(c: &[char], i: usize) -> Option<(usize, Spec)> {
    let mut j;
    let mut halves;
    if c.get(i) == Some(&'半') {
        halves = 1;
        j = i + 1;
    } else {
        let (end, n) = parse_number(c, i)?;
        halves = n.checked_mul(2)?;
        j = end;
        // 3到5个工作日: the later end.
        if let Some(k) = joiner(c, j).filter(|_| !starts(c, j, "或")) {
            if let Some((end2, n2)) = parse_number(c, k) {
                if n2 >= n {
                    halves = n2.checked_mul(2)?;
                    j = end2;
                }
            }
        }
    }
    let mut counted = false;
    if c.get(j) == Some(&'个') {
        counted = true;
        j += 1;
        if c.get(j) == Some(&'半') && halves >= 2 {
            halves += 1;
            j += 1;
        }
    }
    let (unit, unit_len) = if starts(c, j, "工作日") {
        (Unit::WorkDays, 3)
    } else if starts(c, j, "小时") || starts(c, j, "钟头") {
        (Unit::Hours, 2)
    } else if starts(c, j, "分钟") {
        (Unit::Minutes, 2)
    } else if c.get(j) == Some(&'天')
        || (c.get(j) == Some(&'日') && matches!(suffix(c, j + 1), Some((_, Suffix::By))))
    {
        (Unit::Days, 1)
    } else if starts(c, j, "星期") || starts(c, j, "礼拜") {
        (Unit::Weeks, 2)
    } else if c.get(j) == Some(&'周') && c.get(j + 1).is_none_or(|d| weekday_char(*d).is_none()) {
        (Unit::Weeks, 1)
    } else if counted && c.get(j) == Some(&'月') {
        (Unit::Months, 1)
    } else {
        return None;
    };
    j += unit_len;
    // 半天 is half a day: twelve hours from now.
    let (halves, unit) = if unit == Unit::Days && halves == 1 {
        (24, Unit::Hours)
    } else {
        (halves, unit)
    };
    if halves == 0 {
        return None;
    }
    match suffix(c, j) {
        Some((end, _)) => Some((end, Spec::Within { halves, unit })),
        // 3个工作日到账 is as binding as 3个工作日内到账; 3天 alone is
        // too often "等了3天" to count without 内.
        None if unit == Unit::WorkDays => Some((j, Spec::Within { halves, unit })),
        None => None,
    }
}

/// ASCII digits or Chinese numerals (up to 99, plus 百 for completeness).
fn parse_number(c: &[char], i: usize) -> Option<(usize, u32)> {
    if let Some(found) = parse_digits(c, i) {
        return Some(found);
    }
    let mut j = i;
    while j < c.len() && chinese_numeral(c[j]).is_some() {
        j += 1;
    }
    if j == i {
        return None;
    }
    chinese_value(&c[i..j]).map(|v| (j, v))
}

fn parse_digits(c: &[char], i: usize) -> Option<(usize, u32)> {
    let mut j = i;
    let mut value: u32 = 0;
    while j < c.len() {
        let Some(d) = c[j].to_digit(10).filter(|_| c[j].is_ascii_digit()) else {
            break;
        };
        value = value.checked_mul(10)?.checked_add(d)?;
        j += 1;
    }
    (j > i).then_some((j, value))
}

fn chinese_numeral(c: char) -> Option<u32> {
    Some(match c {
        '零' | '〇' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        '十' => 10,
        '廿' => 20,
        '百' => 100,
        _ => return None,
    })
}

fn chinese_value(run: &[char]) -> Option<u32> {
    let mut total = 0u32;
    let mut digit: Option<u32> = None;
    for &ch in run {
        match chinese_numeral(ch)? {
            10 | 100 if ch != '廿' => {
                let unit = if ch == '十' { 10 } else { 100 };
                total = total.checked_add(digit.take().unwrap_or(1).checked_mul(unit)?)?;
            }
            20 => total = total.checked_add(20)?,
            d => {
                if let Some(prev) = digit {
                    // 二零 (digit by digit) or 零五 after a unit
                    digit = Some(prev.checked_mul(10)?.checked_add(d)?);
                } else {
                    digit = Some(d);
                }
            }
        }
    }
    total.checked_add(digit.unwrap_or(0))
}

fn is_number_char(c: char) -> bool {
    c.is_ascii_digit() || chinese_numeral(c).is_some()
}

/// Every Chinese character this file's parsers look for (a test keeps the
/// list complete): an expression can only start on one of them or on a
/// digit, so `find` skips every other position without parsing. Scoring
/// looks for time expressions in agent utterances; this keeps that cheap.
const TIME_CHARS: &str = "〇一七万三上下两个中为之九二五些今以会作你倍候傍儿元克八六共内凌分切到刻前匹十升午半右号后吨周四块夜大天头定寸小工左年底度廿当待律或折拜整斤日旦早时明星昨晚晨月期末本样止清点班白百直礼稍等米级者至致般请起过这里钟间零";

fn may_start(c: char) -> bool {
    c.is_ascii_digit() || TIME_CHARS.contains(c)
}

fn starts(c: &[char], i: usize, word: &str) -> bool {
    (i..).zip(word.chars()).all(|(j, w)| c.get(j) == Some(&w))
}

#[cfg(test)]
mod time_chars {
    #[test]
    fn cover_every_character_the_parsers_look_for() {
        for line in include_str!("timexpr.rs").lines() {
            let code = line.split("//").next().unwrap();
            for c in code
                .chars()
                .filter(|c| crate::text::is_cjk(*c) || *c == '〇')
            {
                assert!(super::TIME_CHARS.contains(c), "TIME_CHARS lacks {c}");
            }
        }
    }
}
