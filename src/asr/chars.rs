//! Whisper tokens → whole characters with times and probabilities.
//!
//! Whisper's vocabulary is byte-level BPE: a CJK character (3 UTF-8 bytes)
//! is often spread over two or three tokens, and one token can also hold
//! several characters (`您好`) or the tail of one character and the head of
//! the next. This module owns reassembling the byte stream into characters —
//! never emitting half of one — and giving each character a time span and a
//! probability from the tokens its bytes came from. It also owns the
//! Traditional→Simplified conversion of recognised characters (Whisper base
//! writes Traditional Mandarin).

use super::CharTiming;

/// One text token as Whisper produced it. Times are in ms on any timeline
/// (the caller's window).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenPiece {
    pub bytes: Vec<u8>,
    pub start_ms: u64,
    pub end_ms: u64,
    /// Probability of the token, 0..=1.
    pub p: f32,
}

/// Byte `index` of a token spanning `start..end` ms with `len` bytes gets an
/// equal share of the token's time.
fn byte_span(token: &TokenPiece, index: usize) -> (u64, u64) {
    let len = token.bytes.len().max(1) as u64;
    let span = token.end_ms.saturating_sub(token.start_ms);
    let at = |k: u64| token.start_ms + span * k / len;
    (at(index as u64), at(index as u64 + 1))
}

/// Expected length of a UTF-8 sequence from its lead byte; `None` for bytes
/// that cannot start one (continuation bytes, 0xC0/0xC1, 0xF5..).
fn utf8_len(lead: u8) -> Option<usize> {
    match lead {
        0x00..=0x7F => Some(1),
        0xC2..=0xDF => Some(2),
        0xE0..=0xEF => Some(3),
        0xF0..=0xF4 => Some(4),
        _ => None,
    }
}

/// Reassembles the bytes of `tokens` into characters. A character starts
/// when its first byte's share of its token starts and ends when its last
/// byte's share ends; its probability is the product of the probabilities of
/// the distinct tokens it touches (the chance the model gave the whole
/// character). Bytes that cannot form a character — a stray continuation
/// byte, an unfinished sequence at the end — are dropped.
pub fn merge_token_bytes(tokens: &[TokenPiece]) -> Vec<CharTiming> {
    // Every byte with the token it came from and its index in that token.
    let bytes: Vec<(u8, usize, usize)> = tokens
        .iter()
        .enumerate()
        .flat_map(|(t, token)| token.bytes.iter().enumerate().map(move |(i, &b)| (b, t, i)))
        .collect();
    let mut chars = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let Some(len) = utf8_len(bytes[at].0) else {
            at += 1;
            continue;
        };
        if at + len > bytes.len() {
            break; // unfinished character at the end: never emit half of it
        }
        let raw: Vec<u8> = bytes[at..at + len].iter().map(|b| b.0).collect();
        let Ok(text) = std::str::from_utf8(&raw) else {
            at += 1; // broken sequence: skip its lead byte and resynchronise
            continue;
        };
        let (_, first_token, first_index) = bytes[at];
        let (_, last_token, last_index) = bytes[at + len - 1];
        let start_ms = byte_span(&tokens[first_token], first_index).0;
        let end_ms = byte_span(&tokens[last_token], last_index).1.max(start_ms);
        let p = tokens[first_token..=last_token]
            .iter()
            .map(|t| t.p.clamp(0.0, 1.0))
            .product();
        chars.push(CharTiming {
            text: text.to_string(),
            start_ms,
            end_ms,
            p,
        });
        at += len;
    }
    chars
}

/// Converts Traditional characters to Simplified in place. fast2s maps one
/// character to one character (looking at its neighbours for a few special
/// cases), so the conversion runs over the whole sequence and the times stay
/// with their characters.
pub fn simplify(chars: &mut [CharTiming]) {
    let joined: String = chars.iter().map(|c| c.text.as_str()).collect();
    let converted: Vec<char> = fast2s::convert(&joined).chars().collect();
    if converted.len() == chars.len() {
        for (timing, c) in chars.iter_mut().zip(converted) {
            timing.text = c.to_string();
        }
    } else {
        // Not expected from fast2s; convert one by one rather than misalign.
        for timing in chars.iter_mut() {
            timing.text = fast2s::convert(&timing.text);
        }
    }
}

/// The text of a run of characters: their concatenation with whitespace
/// runs collapsed to one space and trimmed.
pub fn text_of(chars: &[CharTiming]) -> String {
    let mut text = String::new();
    let mut pending_space = false;
    for c in chars {
        if c.text.chars().all(char::is_whitespace) {
            pending_space = !text.is_empty();
            continue;
        }
        if pending_space {
            text.push(' ');
            pending_space = false;
        }
        text.push_str(&c.text);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(bytes: &[u8], start_ms: u64, end_ms: u64, p: f32) -> TokenPiece {
        TokenPiece {
            bytes: bytes.to_vec(),
            start_ms,
            end_ms,
            p,
        }
    }

    #[test]
    fn a_character_split_over_tokens_is_one_character() {
        // 您 = E6 82 A8, split 2 + 1 bytes; then 好 (E5 A5 BD) whole.
        let tokens = [
            token(&[0xE6, 0x82], 0, 100, 0.5),
            token(&[0xA8], 100, 200, 0.8),
            token("好".as_bytes(), 200, 300, 0.9),
        ];
        let chars = merge_token_bytes(&tokens);
        assert_eq!(chars.len(), 2);
        assert_eq!(chars[0].text, "您");
        assert_eq!((chars[0].start_ms, chars[0].end_ms), (0, 200));
        assert!((chars[0].p - 0.4).abs() < 1e-6);
        assert_eq!(chars[1].text, "好");
        assert_eq!((chars[1].start_ms, chars[1].end_ms), (200, 300));
    }

    #[test]
    fn a_token_with_several_characters_shares_its_time() {
        let tokens = [token(" 您好".as_bytes(), 0, 700, 0.9)];
        let chars = merge_token_bytes(&tokens);
        let texts: Vec<&str> = chars.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, [" ", "您", "好"]);
        assert_eq!((chars[1].start_ms, chars[1].end_ms), (100, 400));
        assert_eq!((chars[2].start_ms, chars[2].end_ms), (400, 700));
        assert!(chars.iter().all(|c| (c.p - 0.9).abs() < 1e-6));
    }

    #[test]
    fn a_token_with_a_tail_and_a_head() {
        // 欢 = E6 AC A2, 迎 = E8 BF 8E: tokens [E6] [AC A2 E8] [BF 8E].
        let tokens = [
            token(&[0xE6], 0, 100, 1.0),
            token(&[0xAC, 0xA2, 0xE8], 100, 400, 0.5),
            token(&[0xBF, 0x8E], 400, 600, 1.0),
        ];
        let chars = merge_token_bytes(&tokens);
        assert_eq!(chars.len(), 2);
        assert_eq!(
            (chars[0].text.as_str(), chars[0].start_ms, chars[0].end_ms),
            ("欢", 0, 300)
        );
        assert_eq!(
            (chars[1].text.as_str(), chars[1].start_ms, chars[1].end_ms),
            ("迎", 300, 600)
        );
        assert!((chars[0].p - 0.5).abs() < 1e-6 && (chars[1].p - 0.5).abs() < 1e-6);
    }

    #[test]
    fn never_half_a_character() {
        // A sequence cut off at the end, a stray continuation byte, a broken lead.
        let tokens = [
            token(&[0xA8], 0, 100, 1.0),
            token("好".as_bytes(), 100, 200, 1.0),
            token(&[0xE6, 0x41], 200, 300, 1.0),
            token(&[0xE6, 0x82], 300, 400, 1.0),
        ];
        let chars = merge_token_bytes(&tokens);
        let texts: Vec<&str> = chars.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["好", "A"]);
        for c in &chars {
            assert_eq!(c.text.chars().count(), 1);
        }
    }

    #[test]
    fn every_split_of_a_sentence_gives_the_same_characters() {
        let sentence = "您好，欢迎致电悦途旅行。OK";
        let bytes = sentence.as_bytes();
        for cut in 1..bytes.len() {
            let tokens = [
                token(&bytes[..cut], 0, 1000, 1.0),
                token(&bytes[cut..], 1000, 2000, 1.0),
            ];
            let text: String = merge_token_bytes(&tokens)
                .iter()
                .map(|c| c.text.as_str())
                .collect();
            assert_eq!(text, sentence, "cut at byte {cut}");
        }
    }

    #[test]
    fn traditional_becomes_simplified_with_times_kept() {
        let mut chars = merge_token_bytes(&[token("歡迎致電".as_bytes(), 0, 400, 1.0)]);
        simplify(&mut chars);
        assert_eq!(text_of(&chars), "欢迎致电");
        assert_eq!((chars[3].start_ms, chars[3].end_ms), (300, 400));
    }

    #[test]
    fn text_collapses_whitespace() {
        let chars = merge_token_bytes(&[token(" 您好  请问 ".as_bytes(), 0, 100, 1.0)]);
        assert_eq!(text_of(&chars), "您好 请问");
    }
}
