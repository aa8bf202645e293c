//! Spoken and written digit strings: where a customer reads out a number
//! (13812345678, 一三八 一二三四 五六七八, 幺三八、幺二三四…, 洞 for 0), as
//! groups of digits separated by pauses, punctuation, dashes or fillers, and
//! the numbers the number detectors look for in them.
//!
//! Digits are ASCII or full-width figures and the Chinese numerals of
//! [`crate::text::numeral_value`] (the project's one numeral table), plus
//! 洞 (0 as read out on the phone). Whisper writes some spoken digits as
//! homophones (要 for 幺, 酒 for 九); those count only between real digits,
//! where they cannot be a word. A group next to a unit (十, 元, 号, 点…) is a
//! quantity, date or time and never part of a number.

use std::collections::BTreeSet;

use super::{bankcard, idcard, phone, Found, Kind};

/// A run of digits in the stream: chars `start..end`; a digit 10 is the
/// X (叉) that ends some 身份证 numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub start: usize,
    pub end: usize,
    pub digits: Vec<u8>,
}

/// A real digit: a figure, a Chinese numeral digit, or 洞.
pub fn digit(c: char) -> Option<u8> {
    if let Some(d) = c.to_digit(10) {
        return Some(d as u8);
    }
    if ('０'..='９').contains(&c) {
        return Some((c as u32 - '０' as u32) as u8);
    }
    if c == '洞' {
        return Some(0);
    }
    crate::text::numeral_value(c).map(|v| v as u8)
}

/// Whisper's homophones of spoken digits, trusted only inside a group.
fn homophone(c: char) -> Option<u8> {
    Some(match c {
        '要' | '腰' | '妖' | '邀' => 1,
        '儿' | '而' => 2,
        '山' => 3,
        '死' => 4,
        '舞' | '午' => 5,
        '溜' | '留' => 6,
        '期' | '妻' => 7,
        '把' | '爸' => 8,
        '久' | '酒' => 9,
        '玲' | '灵' => 0,
        _ => return None,
    })
}

fn is_check_x(c: char) -> bool {
    matches!(c, 'X' | 'x' | 'Ｘ' | '×' | '叉')
}

/// Characters after a digit group that make it a quantity, date, time,
/// amount or address part rather than a number read out.
const QUANTITY_AFTER: &str =
    "十百千万亿点元块角毛个号月年日天岁件次楼层栋幢室台分秒周位斤克米倍折成单%％：:";
/// Characters before a digit group that make it part of a quantity.
const QUANTITY_BEFORE: &str = "十百千万亿第周星";
/// Words said between the groups of a number read out.
const FILLERS: &str = "嗯呃啊额哦噢杠然后对";
/// At most this many separator characters between two groups of one number.
const MAX_GAP: usize = 6;

fn is_gap_char(c: char) -> bool {
    crate::text::is_punctuation(c) || FILLERS.contains(c)
}

/// Digit groups of `chars`, each with whether it is a quantity.
fn groups(chars: &[char]) -> Vec<(Group, bool)> {
    let strong = |k: usize| chars.get(k).is_some_and(|&c| digit(c).is_some());
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts =
            strong(i) || (homophone(chars[i]) == Some(1) && strong(i + 1) && strong(i + 2));
        if !starts {
            i += 1;
            continue;
        }
        let mut digits = Vec::new();
        let mut j = i;
        while j < chars.len() {
            let c = chars[j];
            if let Some(d) = digit(c) {
                digits.push(d);
            } else if let Some(d) = homophone(c).filter(|_| strong(j + 1) || digits.is_empty()) {
                digits.push(d);
            } else if is_check_x(c) && !digits.is_empty() {
                digits.push(10);
                j += 1;
                break;
            } else {
                break;
            }
            j += 1;
        }
        let before = i.checked_sub(1).map(|k| chars[k]);
        let after = chars.get(j).copied();
        let quantity = before
            .is_some_and(|c| QUANTITY_BEFORE.contains(c) || c.is_ascii_alphanumeric())
            || after.is_some_and(|c| QUANTITY_AFTER.contains(c) || c.is_ascii_alphabetic());
        out.push((
            Group {
                start: i,
                end: j,
                digits,
            },
            quantity,
        ));
        i = j;
    }
    out
}

/// Groups that may be read out as one number: consecutive groups with only
/// pauses, punctuation or fillers between them.
pub fn chains(chars: &[char]) -> Vec<Vec<Group>> {
    let mut chains: Vec<Vec<Group>> = Vec::new();
    let mut current: Vec<Group> = Vec::new();
    for (group, quantity) in groups(chars) {
        if quantity {
            chains.extend((!current.is_empty()).then(|| std::mem::take(&mut current)));
            continue;
        }
        let joins = current.last().is_some_and(|last| {
            group.start - last.end <= MAX_GAP
                && chars[last.end..group.start].iter().all(|&c| is_gap_char(c))
        });
        if !joins && !current.is_empty() {
            chains.push(std::mem::take(&mut current));
        }
        current.push(group);
    }
    chains.extend((!current.is_empty()).then_some(current));
    chains
}

/// What was said just before a number: whose number it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cue {
    /// An order, tracking, staff or invoice number (订单号, 快递单号, 工号…),
    /// named more recently than any personal number.
    pub other: bool,
    /// A phone number was named (手机, 电话…).
    pub phone: bool,
    /// A bank card was named (卡号, 银行卡…).
    pub card: bool,
    /// A 身份证 was named.
    pub id: bool,
}

const OTHER_CUES: &[&str] = &[
    "订单",
    "单号",
    "运单",
    "快递单",
    "物流单",
    "工号",
    "编号",
    "流水",
    "工单",
    "批次",
    "型号",
    "序列号",
    "发票",
    "验证码",
    "取件码",
    "金额",
    "尾号",
    "合同",
    "保单",
    "账单",
    "条码",
    "条形码",
    "客服电话",
    "热线",
    "服务电话",
    "报修单",
    "退货单",
    "商品",
    "券码",
    "优惠码",
];
const PHONE_CUES: &[&str] = &[
    "手机",
    "电话",
    "号码",
    "联系方式",
    "打这个",
    "拨",
    "座机",
    "联系我",
];
const ID_CUES: &[&str] = &["身份证", "证件号", "身份号"];
const CARD_CUES: &[&str] = &[
    "卡号",
    "银行卡",
    "储蓄卡",
    "信用卡",
    "借记卡",
    "卡的号",
    "账号",
    "账户",
];
/// How far back (characters) a cue is looked for.
const CUE_WINDOW: usize = 14;

/// The cues in the `CUE_WINDOW` characters before `start`.
pub fn cue_before(chars: &[char], start: usize) -> Cue {
    let from = start.saturating_sub(CUE_WINDOW);
    let window: String = chars[from..start].iter().collect();
    let last = |cues: &[&str]| {
        cues.iter()
            .filter_map(|cue| window.rfind(cue).map(|at| at + cue.len()))
            .max()
    };
    let other = last(OTHER_CUES);
    let phone = last(PHONE_CUES);
    let card = last(CARD_CUES);
    let id = last(ID_CUES);
    let personal = phone.max(card).max(id);
    Cue {
        other: other.is_some() && other > personal,
        phone: phone.is_some(),
        card: card.is_some(),
        id: id.is_some(),
    }
}

/// Personal numbers in the digit chains of `chars`, of the wanted kinds. A
/// number is made of whole groups; at each group the longest number that
/// validates wins (身份证 check digit and birth date, Luhn for cards).
pub fn find_numbers(chars: &[char], kinds: &BTreeSet<Kind>, found: &mut Vec<Found>) {
    for chain in chains(chars) {
        let mut i = 0;
        while i < chain.len() {
            let mut matched = None;
            for j in (i..chain.len()).rev() {
                let digits: Vec<u8> = chain[i..=j]
                    .iter()
                    .flat_map(|g| g.digits.iter().copied())
                    .collect();
                if digits.len() > 19 {
                    continue;
                }
                if digits.len() < 10 {
                    break;
                }
                // X only ends a 身份证 number.
                if digits[..digits.len() - 1].contains(&10) {
                    continue;
                }
                let cue = cue_before(chars, chain[i].start);
                if cue.other {
                    continue;
                }
                // After 身份证 a misheard check digit does not make it
                // something else: the layout and birth date are enough.
                let kind = if idcard::is_id_number(&digits)
                    || cue.id
                        && (idcard::has_id_layout(&digits)
                            || bankcard::is_card_number(&digits, false))
                {
                    Some(Kind::IdCard)
                } else if bankcard::is_card_number(&digits, cue.card) {
                    Some(Kind::BankCard)
                } else if phone::is_mobile(&digits)
                    || i == j && phone::is_mobile_with_country_code(&digits)
                {
                    Some(Kind::Mobile)
                } else if phone::is_landline(&digits, chain[i].digits.len(), cue.phone) {
                    Some(Kind::Landline)
                } else {
                    None
                };
                if let Some(kind) = kind.filter(|k| kinds.contains(k)) {
                    matched = Some((j, kind));
                    break;
                }
            }
            match matched {
                Some((j, kind)) => {
                    found.push(Found {
                        kind,
                        start: chain[i].start,
                        end: chain[j].end,
                    });
                    i = j + 1;
                }
                None => i += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits_of(text: &str) -> Vec<Vec<u8>> {
        let chars: Vec<char> = text.chars().collect();
        chains(&chars)
            .into_iter()
            .map(|chain| chain.iter().flat_map(|g| g.digits.clone()).collect())
            .collect()
    }

    #[test]
    fn spoken_groups_join_across_pauses_and_fillers() {
        assert_eq!(
            digits_of("幺三八、幺二三四，嗯，五六七八"),
            vec![vec![1, 3, 8, 1, 2, 3, 4, 5, 6, 7, 8]]
        );
        assert_eq!(digits_of("零幺零-洞洞"), vec![vec![0, 1, 0, 0, 0]]);
    }

    #[test]
    fn homophones_count_only_between_digits() {
        assert_eq!(digits_of("幺三八要二三"), vec![vec![1, 3, 8, 1, 2, 3]]);
        assert!(digits_of("我要买").is_empty());
    }

    #[test]
    fn quantities_dates_and_codes_are_not_numbers() {
        assert!(digits_of("三点四十五分").is_empty());
        assert!(digits_of("15号").is_empty());
        assert!(digits_of("SF1234567890").is_empty());
        assert!(digits_of("一千三百八十元").is_empty());
    }

    #[test]
    fn a_recent_order_cue_outweighs_an_older_phone_cue() {
        let chars: Vec<char> = "电话不方便，订单号是".chars().collect();
        assert!(cue_before(&chars, chars.len()).other);
        let chars: Vec<char> = "订单的事，我手机是".chars().collect();
        let cue = cue_before(&chars, chars.len());
        assert!(!cue.other && cue.phone);
    }
}
