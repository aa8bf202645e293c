//! Phone numbers: mainland mobiles (11 digits, 1[3-9]…) and landlines with
//! their area code (010/02X + 8 digits, 0XXX + 7 or 8 digits). Service
//! hotlines (400/800, 95XXX) are the company's, not the customer's, and are
//! left alone by construction (they never start with 0 or 1[3-9] at 11 digits).

/// An 11-digit mainland mobile number.
pub fn is_mobile(digits: &[u8]) -> bool {
    digits.len() == 11 && digits[0] == 1 && (3..=9).contains(&digits[1])
}

/// A mobile number with the country code glued on (8613812345678); said
/// apart (86 138…), the number alone is the mobile.
pub fn is_mobile_with_country_code(digits: &[u8]) -> bool {
    digits.strip_prefix(&[8, 6][..]).is_some_and(is_mobile)
}

/// A landline with area code. Without a phone cue before it, the area code
/// must have been read as a group of its own (0571-8888 6666), so that an
/// order number that happens to start with 0 is not taken.
pub fn is_landline(digits: &[u8], first_group_len: usize, phone_cue: bool) -> bool {
    if digits.first() != Some(&0) || digits.get(1).is_none_or(|&d| d == 0) || digits.contains(&10) {
        return false;
    }
    let area = if matches!(digits[1], 1 | 2) { 3 } else { 4 };
    let local = digits.len() - area;
    let shaped = (area == 3 && local == 8) || (area == 4 && (local == 7 || local == 8));
    shaped && (phone_cue || first_group_len == area)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Vec<u8> {
        s.bytes().map(|b| b - b'0').collect()
    }

    #[test]
    fn mobiles() {
        assert!(is_mobile(&d("13812345678")));
        assert!(is_mobile(&d("19912345678")));
        assert!(is_mobile_with_country_code(&d("8613812345678")));
        assert!(!is_mobile(&d("8613812345678")));
        assert!(!is_mobile(&d("12812345678")));
        assert!(!is_mobile(&d("1381234567")));
    }

    #[test]
    fn landlines_need_an_area_code_group_or_a_cue() {
        assert!(is_landline(&d("01012345678"), 3, false));
        assert!(is_landline(&d("057188886666"), 4, false));
        assert!(!is_landline(&d("057188886666"), 12, false));
        assert!(is_landline(&d("057188886666"), 12, true));
        assert!(!is_landline(&d("4008208820"), 3, true));
    }
}
