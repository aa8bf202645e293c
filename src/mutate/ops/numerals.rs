//! Numbers written in digits or in Chinese.

use super::{mutation, Apply, Settings, Variant};
use crate::i18n::Text;
use crate::text;
use crate::transcript::Transcript;

mutation! {
    /// Numbers written the other way, two variants: `chinese` writes digit
    /// runs as spoken Chinese (120元 → 一百二十元, 3天 → 三天, 2个 → 两个,
    /// 100% → 百分之一百; ids and other numbers not before a unit digit by
    /// digit: 工号1024 → 工号一零二四), `digits` writes Chinese numerals
    /// before units as digits (三个工作日 → 3个工作日) with
    /// `crate::text::numerals_to_digits`, the normalisation's own rule.
    /// Whether a number stands before a unit is decided by that same rule:
    /// a positional Chinese form is written only where normalisation reads
    /// it back as the digits. Digits touching Latin letters (order numbers
    /// such as FH2026…) and decimals or clock times (3.5, 6:30) are left alone.
    ///
    /// Must keep every verdict: ASR writes numbers either way.
    pub static NUMERALS = ("numerals", ["数字写法", "numerals"], Apply::Keep(apply));
}

fn apply(call: &Transcript, _: &Settings) -> Vec<Variant> {
    [
        Variant::map_texts(
            Text::new("阿拉伯数字写成汉字", "chinese"),
            call,
            |_, t| digits_to_chinese(t),
        ),
        Variant::map_texts(
            Text::new("汉字数字写成阿拉伯数字", "digits"),
            call,
            |_, t| text::numerals_to_digits(t),
        ),
    ]
    .into_iter()
    .filter(|v| v.differs_from(call))
    .collect()
}

const DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/// Digit runs of `text` written in Chinese (see [`NUMERALS`]).
pub fn digits_to_chinese(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() * 2);
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        let before = start.checked_sub(1).map(|k| chars[k]);
        let after = chars.get(i).copied();
        let touches = |c: Option<char>| {
            c.is_some_and(|c| {
                c.is_ascii_alphabetic() || matches!(c, '.' | ':' | ',' | '-' | '/' | '_')
            })
        };
        if touches(before) || touches(after) || run.len() > 12 {
            out.push_str(&run);
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 6)].iter().collect();
        if after == Some('%') {
            if let Some(p) = run.parse().ok().and_then(chinese_positional) {
                let spoken = format!("百分之{p}");
                if text::numerals_to_digits(&spoken) == format!("{run}%") {
                    out.push_str(&spoken);
                    i += 1;
                    continue;
                }
            }
        }
        let positional = (!run.starts_with('0') || run.len() == 1)
            .then(|| run.parse().ok().and_then(chinese_positional))
            .flatten()
            .map(|p| {
                // 两 before measure words, as people say 两个, 两天, 两点.
                if p == "二"
                    && after.is_some_and(|c| "个天点倍次周年张件位块台份趟遍斤小分".contains(c))
                {
                    "两".to_string()
                } else {
                    p
                }
            });
        match positional {
            // Written positionally only where normalisation reads it back.
            Some(p) if text::numerals_to_digits(&format!("{p}{rest}")).starts_with(&run) => {
                out.push_str(&p)
            }
            _ => out.extend(
                run.chars()
                    .map(|d| DIGITS[d.to_digit(10).unwrap_or(0) as usize]),
            ),
        }
    }
    out
}

/// `n` as a positional Chinese numeral (120 → 一百二十, 15 → 十五,
/// 105 → 一百零五, 20000 → 两万 is written 二万); up to 99,999,999.
pub fn chinese_positional(n: u64) -> Option<String> {
    if n >= 100_000_000 {
        return None;
    }
    if n == 0 {
        return Some("零".into());
    }
    fn below_10000(n: u64, out: &mut String, leading: bool) {
        let units = [(1000, '千'), (100, '百'), (10, '十')];
        let mut zero = false;
        let mut started = !leading;
        let mut rest = n;
        for (value, unit) in units {
            let d = rest / value;
            rest %= value;
            if d == 0 {
                zero = started;
                continue;
            }
            if zero {
                out.push('零');
                zero = false;
            }
            // 十五, not 一十五, at the start of a number.
            if !(value == 10 && d == 1 && !started) {
                out.push(DIGITS[d as usize]);
            }
            out.push(unit);
            started = true;
        }
        if rest > 0 {
            if zero || (!started && !leading) {
                out.push('零');
            }
            out.push(DIGITS[rest as usize]);
        }
    }
    let mut out = String::new();
    let (high, low) = (n / 10_000, n % 10_000);
    if high > 0 {
        below_10000(high, &mut out, true);
        out.push('万');
        if low > 0 {
            if low < 1000 {
                out.push('零');
            }
            below_10000(low, &mut out, true);
        }
    } else {
        below_10000(low, &mut out, true);
    }
    Some(out)
}
