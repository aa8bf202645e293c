//! Filters for text Whisper invents rather than hears.
//!
//! Whisper was trained on subtitled video, so on silence, noise or music it
//! writes the credits and sign-offs of Chinese video subtitles: 谢谢观看,
//! 字幕由Amara.org社区提供, 字幕by索兰娅, 请不吝点赞 订阅 转发 打赏支持明镜与点点栏目,
//! 中文字幕——Yo Studio, 优优独播剧场——YoYo Television Series Exclusive, and so on.
//! It also loops: the same segment again and again, or one phrase repeated
//! inside a segment. This module owns recognising those; the caller decides
//! what to drop (segments outside speech are dropped by the whisper module,
//! which knows the windows).
//!
//! The phrases are matched on Simplified, lower-cased text without
//! punctuation or spaces. Only phrases that no customer-service call says
//! are listed: 谢谢 and 再见 are real speech, 谢谢观看 is not.

/// Phrases that mark a whole segment as a subtitle credit or video sign-off.
pub const BOILERPLATE_PHRASES: &[&str] = &[
    // Subtitle credits.
    "字幕",
    "amara",
    "索兰娅",
    "yostudio",
    // The 明镜 / 点点 sign-off and its fragments.
    "明镜",
    "点点栏目",
    "不吝点赞",
    "点赞订阅",
    "订阅转发",
    "打赏支持",
    "欢迎订阅",
    "订阅我的频道",
    "订阅频道",
    // Video endings.
    "谢谢观看",
    "感谢观看",
    "谢谢收看",
    "感谢收看",
    "谢谢大家观看",
    "感谢您的观看",
    "谢谢您的观看",
    "谢谢大家的观看",
    "感谢收听",
    "谢谢收听",
    "本期视频",
    "下期再见",
    "下期视频",
    "我们下期见",
    "视频就到这里",
    "节目就到这里",
    // Broadcast boilerplate.
    "独播剧场",
    "yoyotelevision",
    "以上言论不代表",
    "本台立场",
];

/// The form phrases are matched in: Simplified, lower case, letters, digits
/// and CJK only.
pub fn match_form(text: &str) -> String {
    fast2s::convert(text)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// True when `text` is (or contains) a subtitle credit or video sign-off.
pub fn is_boilerplate(text: &str) -> bool {
    let form = match_form(text);
    !form.is_empty() && BOILERPLATE_PHRASES.iter().any(|p| form.contains(p))
}

/// True when `text` has no speech content at all: only punctuation, symbols
/// or music notes (Whisper writes ♪ or "..." on noise).
pub fn is_empty_text(text: &str) -> bool {
    match_form(text).is_empty()
}

/// True when `current` repeats `previous` (same content, at least
/// `min_chars` characters of it): Whisper looping over a window. Short
/// repeats (喂？ 喂？) are real speech and pass.
pub fn is_repeat(previous: &str, current: &str, min_chars: usize) -> bool {
    let a = match_form(previous);
    let b = match_form(current);
    b.chars().count() >= min_chars && a == b
}

/// Finds a loop inside a segment: a unit of 1..=`max_unit` characters
/// repeated back to back at least `min_repeats` times (a unit of one
/// character needs `min_repeats + 2`, since 对对对 and 好好好 are speech).
/// Returns `(start, unit_len, repeats)` in character indices of `chars`.
pub fn find_loop(
    chars: &[char],
    max_unit: usize,
    min_repeats: usize,
) -> Option<(usize, usize, usize)> {
    for start in 0..chars.len() {
        for unit in 1..=max_unit {
            let needed = if unit == 1 {
                min_repeats + 2
            } else {
                min_repeats
            };
            if start + unit * needed > chars.len() {
                break;
            }
            let pattern = &chars[start..start + unit];
            if pattern.iter().all(|c| !c.is_alphanumeric()) {
                continue;
            }
            let mut repeats = 1;
            while start + unit * (repeats + 1) <= chars.len()
                && &chars[start + unit * repeats..start + unit * (repeats + 1)] == pattern
            {
                repeats += 1;
            }
            if repeats >= needed {
                return Some((start, unit, repeats));
            }
        }
    }
    None
}

/// Indices (into `chars`) to keep after collapsing every loop to its first
/// occurrence. Non-content characters (spaces, punctuation) count as part of
/// the units, which is how Whisper loops ("好的，好的，好的，好的，").
pub fn collapse_loops(chars: &[char], max_unit: usize, min_repeats: usize) -> Vec<usize> {
    let mut keep: Vec<usize> = (0..chars.len()).collect();
    loop {
        let current: Vec<char> = keep.iter().map(|&i| chars[i]).collect();
        let Some((start, unit, repeats)) = find_loop(&current, max_unit, min_repeats) else {
            return keep;
        };
        keep.drain(start + unit..start + unit * repeats);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_hallucinations_are_boilerplate() {
        for text in [
            "谢谢观看",
            "謝謝觀看!",
            "字幕由Amara.org社区提供",
            "字幕by索兰娅",
            "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
            "請不吝點贊 訂閱 轉發 打賞支持明鏡與點點欄目",
            "中文字幕——Yo Studio",
            "优优独播剧场——YoYo Television Series Exclusive",
            "感謝您的觀看",
            "本期视频就到这里,我们下期再见",
        ] {
            assert!(is_boilerplate(text), "{text}");
        }
    }

    #[test]
    fn call_phrases_are_not_boilerplate() {
        for text in [
            "谢谢",
            "好的，谢谢你。",
            "感谢您的来电，祝您入住愉快，再见。",
            "请问还有其他可以帮您的吗？",
            "我帮您查询一下账户",
            "您好，欢迎致电悦途旅行客服中心",
        ] {
            assert!(!is_boilerplate(text), "{text}");
        }
    }

    #[test]
    fn empty_text_is_only_symbols() {
        assert!(is_empty_text("♪ ♪"));
        assert!(is_empty_text("..."));
        assert!(is_empty_text("，。"));
        assert!(!is_empty_text("嗯"));
    }

    #[test]
    fn repeats_need_substance() {
        assert!(is_repeat("我现在拖着行李。", "我现在拖着行李", 4));
        assert!(!is_repeat("喂？", "喂？", 4));
        assert!(!is_repeat("好的", "行", 1));
    }

    #[test]
    fn loops_collapse_to_one_occurrence() {
        let text: Vec<char> = "好的，好的，好的，好的，好的，我知道了".chars().collect();
        let keep = collapse_loops(&text, 10, 4);
        let kept: String = keep.iter().map(|&i| text[i]).collect();
        assert_eq!(kept, "好的，我知道了");

        let text: Vec<char> = "对对对对对对对对对对".chars().collect();
        let kept: String = collapse_loops(&text, 10, 4)
            .iter()
            .map(|&i| text[i])
            .collect();
        assert_eq!(kept, "对");
    }

    #[test]
    fn ordinary_repetition_is_speech() {
        for text in [
            "对对对，是的",
            "好好好",
            "谢谢谢谢",
            "一二三四五六七八九十",
            "八八六六五二",
        ] {
            let chars: Vec<char> = text.chars().collect();
            assert_eq!(collapse_loops(&chars, 10, 4).len(), chars.len(), "{text}");
        }
    }
}
