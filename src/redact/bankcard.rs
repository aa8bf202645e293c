//! Bank card numbers: 16–19 digits passing the Luhn check. One random number
//! in ten passes Luhn, so without a card cue (卡号, 银行卡…) the number must
//! also start like a card sold in China: 62 (UnionPay), 4 (Visa), 5
//! (Mastercard), 35 (JCB) or 37 (American Express).

/// True for a Luhn-valid card number; `card_cue` when a card was named.
pub fn is_card_number(digits: &[u8], card_cue: bool) -> bool {
    if !(16..=19).contains(&digits.len()) || digits.iter().any(|&d| d > 9) {
        return false;
    }
    let issuer = match digits[0] {
        4 | 5 => true,
        6 => digits[1] == 2,
        3 => matches!(digits[1], 5 | 7),
        _ => false,
    };
    (card_cue || issuer) && luhn(digits)
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let twice = d * 2;
                if twice > 9 {
                    twice - 9
                } else {
                    twice
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Vec<u8> {
        s.bytes().map(|b| b - b'0').collect()
    }

    #[test]
    fn luhn_and_issuer() {
        assert!(is_card_number(&d("6222021234567890128"), false));
        assert!(!is_card_number(&d("6222021234567890126"), false));
        assert!(is_card_number(&d("4111111111111111"), false));
        assert!(!is_card_number(&d("4111111111111112"), true));
        // Luhn-valid but no card prefix: only with a cue.
        assert!(!is_card_number(&d("1234567812345670"), false));
        assert!(is_card_number(&d("1234567812345670"), true));
    }
}
