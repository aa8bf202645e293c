//! 身份证 numbers (GB 11643-1999): 6-digit region, 8-digit birth date,
//! 3-digit sequence and a check digit (X for 10) over ISO 7064 MOD 11-2.
//! Both the check digit and a plausible birth date must hold, so an 18-digit
//! order number is taken only by a 1-in-several-thousand accident.

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check digit for each remainder of the weighted sum mod 11 (10 is X).
const CHECK: [u8; 11] = [1, 0, 10, 9, 8, 7, 6, 5, 4, 3, 2];
/// Birth years taken as plausible.
const YEARS: std::ops::RangeInclusive<u32> = 1900..=2030;

/// True for a valid 18-character 身份证 number (digits, 10 = X).
pub fn is_id_number(digits: &[u8]) -> bool {
    if !has_id_layout(digits) {
        return false;
    }
    let sum: u32 = digits[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(&d, w)| u32::from(d) * w)
        .sum();
    CHECK[(sum % 11) as usize] == digits[17]
}

/// 18 characters, a region code starting 1–8 (8: Hong Kong, Macau and
/// Taiwan residents) and a valid birth date, whatever the check digit.
pub fn has_id_layout(digits: &[u8]) -> bool {
    if digits.len() != 18 || digits[..17].iter().any(|&d| d > 9) || !(1..=8).contains(&digits[0]) {
        return false;
    }
    let number = |range: std::ops::Range<usize>| {
        digits[range]
            .iter()
            .fold(0u32, |n, &d| n * 10 + u32::from(d))
    };
    valid_date(number(6..10), number(10..12), number(12..14))
}

fn valid_date(year: u32, month: u32, day: u32) -> bool {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    YEARS.contains(&year) && (1..=days).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Vec<u8> {
        s.chars()
            .map(|c| {
                if c == 'X' {
                    10
                } else {
                    c.to_digit(10).unwrap() as u8
                }
            })
            .collect()
    }

    #[test]
    fn check_digit_and_birth_date() {
        assert!(is_id_number(&d("11010519491231002X")));
        assert!(is_id_number(&d("440524198001010013")));
        assert!(
            !is_id_number(&d("440524188001010014")),
            "born 1880 and a wrong check digit"
        );
        assert!(!is_id_number(&d("110105194912310021")), "wrong check digit");
        assert!(!is_id_number(&d("110105194913310029")), "month 13");
    }
}
