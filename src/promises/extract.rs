//! Finding promises in one agent utterance: clauses that commit to an action
//! (回电, 联系, 寄出, 退款到账 …) by a resolvable time, minus the look-alikes
//! a QA lead would not hold an agent to — questions, negations, hedges,
//! general information, things already done, instructions to the customer,
//! opening hours.
//!
//! Work is done per clause (split at the original punctuation and at ASR
//! pauses) so that the `text` and `time_expression` reported are the words
//! as spoken; matching runs on the normalised, folded form of each clause.

use std::sync::OnceLock;

use jiff::Zoned;
use regex::Regex;

use super::timexpr::{self, TimeMatch};
use crate::text::{fold_for_matching, normalize};

/// A promise found in one utterance, before follow-through.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    /// Original text of the clauses from the time expression to the action.
    pub text: String,
    pub time_expression: String,
    /// The promised action as matched (normalised), e.g. `回电`.
    pub action: String,
    pub deadline: Zoned,
    /// Clause index in the utterance: orders several promises of one turn.
    pub position: usize,
}

struct Clause {
    /// Byte range in the original utterance text.
    start: usize,
    end: usize,
    sentence: usize,
    /// The sentence this clause belongs to ends with a question mark.
    question_sentence: bool,
    last_in_sentence: bool,
    /// Normalised and folded (您 → 你) text.
    folded: Vec<char>,
    times: Vec<TimeMatch>,
}

/// The promises of one agent utterance, said at `said_at`.
pub(crate) fn promises_in(text: &str, said_at: &Zoned) -> Vec<Found> {
    let clauses = split_clauses(text);
    let mut found: Vec<Found> = Vec::new();
    let mut used: Vec<(usize, usize)> = Vec::new();
    for (k, clause) in clauses.iter().enumerate() {
        let folded: String = clause.folded.iter().collect();
        let actions = action_spans(&clause.folded);
        if actions.is_empty() || excluded(&folded, clause) {
            continue;
        }
        let Some((time_clause, time_index)) = pick_time(&clauses, k, actions[0].0) else {
            continue;
        };
        let time = &clauses[time_clause].times[time_index];
        let time_here = (time_clause == k).then_some(time);
        // The action the time expression governs: the first after it in the
        // clause (退款已经在今天上午退回了 is about 退回, not 退款), else the
        // last before it (给您回电话，明天上午之前).
        let action = match time_here {
            Some(t) => actions
                .iter()
                .find(|(start, _)| *start >= t.end)
                .or_else(|| actions.iter().rev().find(|(_, end)| *end <= t.start))
                .or(actions.first()),
            None => actions.first(),
        };
        let Some(action) = action else { continue };
        if done_already(&clause.folded, *action, time_here) {
            continue;
        }
        let Some(deadline) = timexpr::resolve(&time.spec, said_at) else {
            continue;
        };
        // A deadline that is already over when said is a past reference
        // (昨天下午寄出的) or a mishearing, not a commitment.
        if deadline.timestamp() <= said_at.timestamp() {
            continue;
        }
        if used.contains(&(time_clause, time_index)) {
            continue;
        }
        used.push((time_clause, time_index));
        let first = time_clause.min(k);
        let last = time_clause.max(k);
        let span = text
            .get(clauses[first].start..clauses[last].end)
            .unwrap_or_default();
        let original_clause = text
            .get(clauses[time_clause].start..clauses[time_clause].end)
            .unwrap_or_default();
        found.push(Found {
            text: span.trim_matches(is_separator).to_string(),
            time_expression: original_span(
                original_clause,
                &clauses[time_clause].folded,
                time.start,
                time.end,
            ),
            action: clause.folded[action.0..action.1].iter().collect(),
            deadline,
            position: k,
        });
    }
    found
}

/// The time expression a promise clause is bound by: its own (the closest
/// before the action, else the first after), else the nearest one earlier in
/// the sentence (明天上午，我给您回电话), else one in the next clause when that
/// clause has no action of its own (我给您回电话，明天上午之前).
fn pick_time(clauses: &[Clause], k: usize, action_start: usize) -> Option<(usize, usize)> {
    let own = &clauses[k].times;
    if let Some(i) = own.iter().rposition(|t| t.end <= action_start) {
        return Some((k, i));
    }
    if !own.is_empty() {
        return Some((k, 0));
    }
    let sentence = clauses[k].sentence;
    for j in (0..k).rev() {
        if clauses[j].sentence != sentence {
            break;
        }
        if !clauses[j].times.is_empty() {
            // A time next to its own action belongs to that action
            // (包裹今天下午已经送到了，取件码发给您了).
            if !action_spans(&clauses[j].folded).is_empty() {
                break;
            }
            return Some((j, clauses[j].times.len() - 1));
        }
    }
    let next = clauses.get(k + 1)?;
    if next.sentence == sentence && !next.times.is_empty() && action_spans(&next.folded).is_empty()
    {
        return Some((k + 1, 0));
    }
    None
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("built-in promise pattern compiles"))
}

/// Verbs of the promised action. Longest first, so 回电话 wins over 回电;
/// 回覆 because Traditional→Simplified conversion keeps it.
const ACTIONS: &str = "回个电话|回电话|回电|回拨|回过去|打过去|打回去|回给你|回复|回覆|答复|回访|回个话|回话|联系|打个电话|打电话|打给你|给你打|致电|\
通知|告知|告诉你|反馈|处理|解决|安排|上门|寄出|寄给你|寄过去|寄回|补寄|邮寄|寄|发货|发出|发给你|补发|发送|\
退款|退还|退回|退给你|到账|打款|返还|赔付|赔偿|补偿|核实|确认|跟进|同步|办好|办理|送到|送达|送货|送过去|送过来|送上门|到货|派送|配送|维修|修好|\
更换|换货|审核|开票|开具|给你(?:一个|个)?(?:消息|准信|结果|说法|交代|答案)";

/// True for actions that are themselves a call or a reply to the customer.
pub(crate) fn is_contact(action: &str) -> bool {
    [
        "回个电话",
        "回电话",
        "回电",
        "回拨",
        "回过去",
        "打过去",
        "打回去",
        "回复",
        "回覆",
        "答复",
        "回访",
        "联系",
        "打个电话",
        "打电话",
        "打给你",
        "给你打",
        "致电",
    ]
    .contains(&action)
}

/// Character ranges of the action verbs of a folded clause.
fn action_spans(folded: &[char]) -> Vec<(usize, usize)> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let text: String = folded.iter().collect();
    regex(&RE, ACTIONS)
        .find_iter(&text)
        .map(|m| (char_index(&text, m.start()), char_index(&text, m.end())))
        .collect()
}

fn char_index(text: &str, byte: usize) -> usize {
    text.get(..byte).map_or(0, |s| s.chars().count())
}

/// Why a clause with an action verb is still not a promise; each family is
/// tested in the unit tests.
fn excluded(folded: &str, clause: &Clause) -> bool {
    is_question(folded, clause)
        || is_negated(folded)
        || is_hedged(folded)
        || is_customers_job(folded)
        || is_availability(folded)
}

/// Consent tags turn an offer into a proposal the customer agrees to
/// (我明天上午给您回电话，可以吗？) — that still binds the agent. A real
/// question (需要我明天给您回电吗？, 请问明天上午方便吗) does not.
fn is_question(folded: &str, clause: &Clause) -> bool {
    static TAG: OnceLock<Regex> = OnceLock::new();
    static ASK: OnceLock<Regex> = OnceLock::new();
    let tag = regex(
        &TAG,
        r"(?:你看呢|(?:你看)?(?:可以吗|可以不|好吗|行吗|好不好|行不行|可不可以|好吧|可以吧|行吧|怎么样))[？。！]?$",
    );
    let stripped = tag.replace(folded, "");
    let had_tag = stripped.len() != folded.len();
    let body = stripped.trim_end_matches(['？', '。', '！', '啊', '呀']);
    let ask = regex(
        &ASK,
        r"请问|是否|要不要|需不需要|需要我|能不能|可不可以|方不方便|有没有|是不是|对吧|是吧|对吗|是吗|吗$|么$|呢$",
    );
    ask.is_match(body) || (clause.question_sentence && clause.last_in_sentence && !had_tag)
}

fn is_negated(folded: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Reassurances that contain a negative word but negate nothing promised.
    let mut text = folded.to_string();
    for harmless in [
        "不会忘",
        "不会让你",
        "不会再让",
        "不好意思",
        "没问题",
        "没有问题",
        "不客气",
        "不用担心",
        "不用着急",
        "不要担心",
        "不要着急",
        "别担心",
        "别着急",
        "不麻烦",
        "没关系",
        "别的",
    ] {
        text = text.replace(harmless, "＿");
    }
    regex(
        &RE,
        "不会|不能|不可能|没法|没办法|没有办法|无法|不一定|不保证|保证不了|做不到|来不及|办不到|不用|不需要|无需|不必|不了|不到|不上|没有|没|别",
    )
    .is_match(&text)
}

/// Hedges and general information: an agent saying what usually happens
/// (一般3个工作日到账) or might happen (可能明天到) commits to nothing.
fn is_hedged(folded: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    regex(
        &RE,
        "可能|也许|或许|说不定|不确定|一般|通常|正常情况|正常来说|原则上|理论上|看情况|大概率|最快",
    )
    .is_match(folded)
}

/// Instructions to the customer (您明天再打过来, 您可以随时联系我们) and the
/// customer's wishes read back (您希望明天给您回电).
fn is_customers_job(folded: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    static TO_US: OnceLock<Regex> = OnceLock::new();
    // …给我们回个电话 / 联系我们 / 发给我们: the customer acts, towards us.
    let to_us = regex(
        &TO_US,
        "(?:给|跟|和|与|向)我们?(?:回|打|发|寄|联系|反馈|提供|上传)|(?:联系|打给|致电|告诉|通知|发给|寄给|回复|回电给)我们?",
    );
    if to_us.is_match(folded) {
        return true;
    }
    regex(
        &RE,
        "(?:^|[^给跟和与帮为替向])你(?:们)?(?:这边|那边)?(?:可以|能|就|也|再|随时|直接|到时候|到时|先|需要|得|要|记得|自己|明天|今天|下午|上午)*\
(?:打|联系|拨打|致电|来电|回电|回拨|拨|咨询|反馈|登录|查看|留意|关注|提交|申请|寄|确认|是说|是希望|是想|说|希望|要求|想要|想)",
    )
    .is_match(folded)
}

/// Opening hours and standing availability (我们工作时间是早上九点到下午六点,
/// 周一到周五都可以办理).
fn is_availability(folded: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    regex(
        &RE,
        "工作时间|营业时间|服务时间|上班时间|办公时间|在线时间|每天|每周|每个月|周一到周五|周一至周五|都可以|均可|随时|全天",
    )
    .is_match(folded)
}

/// True when the action `[action_start, action_end)` is reported as done: a
/// past marker (已经, 刚才 …) before it, unless a future time is named after
/// the marker (已经安排师傅明天上门, 已为您申请 3个工作日内到账: the arranging
/// is done, the visit is not); or a perfective 了 right after it (短信发给您了).
fn done_already(
    folded: &[char],
    (action_start, action_end): (usize, usize),
    time_in_clause: Option<&TimeMatch>,
) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let later_day = time_in_clause.is_some_and(|t| timexpr::is_future_by_itself(&t.spec));
    let after = &folded[action_end.min(folded.len())..folded.len().min(action_end + 6)];
    if after.contains(&'了') && !later_day {
        return true;
    }
    let before: String = folded[..action_start.min(folded.len())].iter().collect();
    let Some(m) = regex(&RE, "已经|已|刚才|刚刚|刚|上次")
        .find_iter(&before)
        .last()
    else {
        return false;
    };
    let cue_end = char_index(&before, m.end());
    !time_in_clause.is_some_and(|t| t.start >= cue_end && timexpr::is_future_by_itself(&t.spec))
}

fn is_separator(c: char) -> bool {
    matches!(
        c,
        '，' | ','
            | '、'
            | '。'
            | '！'
            | '？'
            | '!'
            | '?'
            | '；'
            | ';'
            | '：'
            | ':'
            | '…'
            | '—'
            | '\n'
            | '\r'
    ) || c.is_whitespace()
}

fn ends_sentence(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?' | '；' | ';' | '…' | '\n')
}

/// Splits the original text into clauses at punctuation and whitespace (ASR
/// pauses), keeping `.`/`:` between digits (1.5小时, 17:00) inside a clause.
fn split_clauses(text: &str) -> Vec<Clause> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut raw: Vec<(usize, usize, usize, bool)> = Vec::new(); // start, end, sentence, question
    let mut sentence = 0;
    let mut start = 0;
    for (n, &(byte, c)) in chars.iter().enumerate() {
        let between_digits = |_: ()| {
            n > 0
                && chars[n - 1].1.is_ascii_digit()
                && chars.get(n + 1).is_some_and(|(_, d)| d.is_ascii_digit())
        };
        let (split, ends) = match c {
            '.' if between_digits(()) => (false, false),
            ':' if between_digits(()) => (false, false),
            '.' => (true, true),
            c if ends_sentence(c) => (true, true),
            c if is_separator(c) => (true, false),
            _ => (false, false),
        };
        if !split {
            continue;
        }
        if byte > start {
            raw.push((start, byte, sentence, false));
        }
        start = byte + c.len_utf8();
        if ends {
            if matches!(c, '？' | '?') {
                for clause in raw.iter_mut().rev().take_while(|r| r.2 == sentence) {
                    clause.3 = true;
                }
            }
            sentence += 1;
        }
    }
    if start < text.len() {
        raw.push((start, text.len(), sentence, false));
    }
    let mut clauses: Vec<Clause> = Vec::with_capacity(raw.len());
    for (i, &(start, end, sentence, question)) in raw.iter().enumerate() {
        let original = text.get(start..end).unwrap_or_default();
        let folded = fold(original);
        let times = timexpr::find(&folded);
        let last_in_sentence = raw.get(i + 1).is_none_or(|next| next.2 != sentence);
        clauses.push(Clause {
            start,
            end,
            sentence,
            question_sentence: question,
            last_in_sentence,
            folded,
            times,
        });
    }
    clauses
}

/// The matching form of a clause: financial numerals and spoken ranges made
/// plain, then the crate's normalisation, then 您 → 你.
pub(crate) fn fold(original: &str) -> Vec<char> {
    normalize(&plain_numerals(original))
        .chars()
        .map(fold_for_matching)
        .collect()
}

/// Rewrites what `text::normalize` does not know about numbers: financial
/// numerals (叁个工作日), 廿, and approximate ranges (一两天, 两三个小时 →
/// 1到2天, 2到3个小时), which it would otherwise read as 12天 / 23个小时.
fn plain_numerals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let unit_follows = |i: usize| {
        chars.get(i).is_some_and(|c| {
            "个小天日点工分周星礼月号半钟刻".contains(*c) || financial(*c).is_some()
        })
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if let Some(plain) = financial(c) {
            let numeric_context = unit_follows(i + 1)
                || (i > 0
                    && (financial(chars[i - 1]).is_some() || "周期拜".contains(chars[i - 1])));
            if numeric_context {
                out.push_str(plain);
                i += 1;
                continue;
            }
        }
        if let Some(&next) = chars.get(i + 1) {
            let pair: String = [c, next].iter().collect();
            let range = match pair.as_str() {
                "一两" => Some("1到2"),
                "两三" => Some("2到3"),
                "三四" => Some("3到4"),
                "三五" => Some("3到5"),
                "四五" => Some("4到5"),
                "五六" => Some("5到6"),
                "六七" => Some("6到7"),
                "七八" => Some("7到8"),
                "八九" => Some("8到9"),
                _ => None,
            };
            let before_is_numeral = i > 0 && "一二两三四五六七八九十".contains(chars[i - 1]);
            if let Some(range) = range.filter(|_| unit_follows(i + 2) && !before_is_numeral) {
                out.push_str(range);
                i += 2;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

fn financial(c: char) -> Option<&'static str> {
    Some(match c {
        '壹' => "一",
        '贰' | '貳' => "二",
        '叁' => "三",
        '肆' => "四",
        '伍' => "五",
        '陆' | '陸' => "六",
        '柒' => "七",
        '捌' => "八",
        '玖' => "九",
        '拾' => "十",
        '廿' => "二十",
        _ => return None,
    })
}

/// The original words behind folded characters `[a, b)` of `original`.
/// Normalisation changes lengths (二十四 → 24), so the boundaries are found
/// by normalising growing prefixes; when that fails the folded text is used.
fn original_span(original: &str, folded: &[char], a: usize, b: usize) -> String {
    let fallback = || {
        folded[a.min(folded.len())..b.min(folded.len())]
            .iter()
            .collect::<String>()
    };
    let boundaries: Vec<usize> = original
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(original.len()))
        .collect();
    let mut start = None;
    let mut end = None;
    for &k in &boundaries {
        let Some(prefix) = original.get(..k) else {
            continue;
        };
        let p = fold(prefix);
        if p.len() <= a && folded.starts_with(&p) {
            start = Some(k);
        }
        if end.is_none() && p.len() >= b && p.get(..b) == folded.get(..b) {
            end = Some(k);
        }
    }
    match (start, end) {
        (Some(s), Some(e)) if s < e => original.get(s..e).map_or_else(fallback, str::to_string),
        _ => fallback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::{Offset, TimeZone};

    fn at(s: &str) -> Zoned {
        let ts: jiff::Timestamp = s.parse().expect("test time");
        ts.to_zoned(TimeZone::fixed(Offset::constant(8)))
    }

    fn deadlines(text: &str) -> Vec<(String, String, String)> {
        // Friday 2026-11-20 09:30 +08:00
        promises_in(text, &at("2026-11-20T09:30:00+08:00"))
            .into_iter()
            .map(|f| {
                (
                    f.text,
                    f.time_expression,
                    f.deadline.strftime("%Y-%m-%d %H:%M:%S").to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn promises_are_found_with_original_words() {
        assert_eq!(
            deadlines("好的，明天下午五点前，我一定给您回电话。"),
            vec![(
                "明天下午五点前，我一定给您回电话".into(),
                "明天下午五点前".into(),
                "2026-11-21 17:00:00".into()
            )]
        );
        assert_eq!(
            deadlines("我们会在二十四小时内联系您"),
            vec![(
                "我们会在二十四小时内联系您".into(),
                "二十四小时内".into(),
                "2026-11-21 09:30:00".into()
            )]
        );
        assert_eq!(
            deadlines("退款叁个工作日内到账"),
            vec![(
                "退款叁个工作日内到账".into(),
                "叁个工作日内".into(),
                "2026-11-25 23:59:59".into()
            )]
        );
        // ASR: no punctuation, spaces for pauses, Traditional characters.
        assert_eq!(
            deadlines("好的 我這邊 後天上午 給您回覆"),
            vec![(
                "後天上午 給您回覆".into(),
                "後天上午".into(),
                "2026-11-22 12:00:00".into()
            )]
        );
        // A call-back "later" is due by the end of the day.
        assert_eq!(
            deadlines("我稍后给您回电"),
            vec![(
                "我稍后给您回电".into(),
                "稍后".into(),
                "2026-11-20 23:59:59".into()
            )]
        );
        // A consent tag still binds the agent.
        assert_eq!(deadlines("我明天上午给您回个电话，可以吗？").len(), 1);
        assert_eq!(deadlines("我明天上午给您回个电话可以吗").len(), 1);
        // Already arranged, but the visit is tomorrow.
        assert_eq!(deadlines("已经安排师傅明天上午上门了").len(), 1);
        assert_eq!(
            deadlines("我今天下午先给您回个电话，三到五个工作日内退款到账。"),
            vec![
                (
                    "我今天下午先给您回个电话".into(),
                    "今天下午".into(),
                    "2026-11-20 18:00:00".into()
                ),
                (
                    "三到五个工作日内退款到账".into(),
                    "三到五个工作日内".into(),
                    "2026-11-27 23:59:59".into()
                ),
            ]
        );
    }

    #[test]
    fn look_alikes_are_not_promises() {
        for text in [
            // questions
            "您明天上午方便吗？",
            "请问明天上午给您回电话方便吗",
            "需要我明天给您回电话吗？",
            "您是希望明天下午给您回电对吧",
            // the past
            "昨天已经给您寄出了",
            "昨天下午已经给您寄出了。",
            "刚才已经给您处理好了",
            // negation and hedges
            "明天之前我们没法保证给您回复",
            "这个明天不一定能处理好",
            "我们不能保证三个工作日内到账",
            "退款一般三个工作日到账",
            "可能明天下午能给您发货",
            // instructions to the customer, opening hours
            "如果明天还没到账，您再打过来",
            "您可以明天上午联系我们",
            "我们工作时间是早上九点到下午六点",
            "周一到周五都可以给您办理",
            // no deadline at all
            "我会尽快给您处理",
            "您稍等会儿，我帮您处理",
            // an expression with no upper bound
            "明天以后给您回电",
        ] {
            assert_eq!(deadlines(text), vec![], "{text}");
        }
    }

    #[test]
    fn folding_handles_numerals_and_ranges() {
        assert_eq!(fold("叁个工作日").iter().collect::<String>(), "3个工作日");
        assert_eq!(fold("一两天内").iter().collect::<String>(), "1到2天内");
        assert_eq!(
            fold("三個工作日內").iter().collect::<String>(),
            "3个工作日内"
        );
        assert_eq!(fold("队伍").iter().collect::<String>(), "队伍");
    }
}
