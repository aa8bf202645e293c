//! One timeline from per-speaker segments: joining a speaker's consecutive
//! segments into turns, ordering everything by start time (overlaps stay
//! overlaps), and writing transcript utterances with their ASR extras.
//!
//! A speaker's segments are joined when the pause between them is short and
//! nobody else spoke in it. A longer pause stays a boundary, so silences
//! (holds) remain visible to the timing rules; another speaker talking in the
//! pause makes a new turn, so interruptions stay visible; and talk *over* a
//! segment (a customer's 嗯 during the agent's sentence) splits nothing.

use serde_json::{json, Map, Value};

use super::{AsrSegment, CharTiming};
use crate::transcript::{Role, Utterance};

/// A recognised segment with its speaker.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeakerSegment {
    pub role: Role,
    /// The channel it was heard on.
    pub channel: usize,
    /// Probability that `role` is right (1 for a stereo channel mapping).
    pub role_confidence: f64,
    pub segment: AsrSegment,
}

impl SpeakerSegment {
    fn speaker(&self) -> (usize, Role) {
        (self.channel, self.role)
    }
}

/// Characters that end a clause; no separator is added after them.
fn ends_clause(text: &str) -> bool {
    text.chars()
        .last()
        .is_some_and(|c| "，。？！、；：…,.?!;:".contains(c))
}

/// Joins two pieces of one speaker's speech. Whisper ends most segments
/// with punctuation; when it did not, the segment boundary was still a
/// pause, so a comma keeps the clause break the rubric's clause scopes use.
pub fn join_text(first: &str, second: &str) -> String {
    if first.is_empty() {
        return second.to_string();
    }
    if second.is_empty() {
        return first.to_string();
    }
    let starts_with_mark = second
        .chars()
        .next()
        .is_some_and(|c| "，。？！、；：…,.?!;:".contains(c));
    if ends_clause(first) || starts_with_mark {
        format!("{first}{second}")
    } else {
        format!("{first}，{second}")
    }
}

/// When a speaker's segments are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergeConfig {
    /// Segments further apart than this stay separate utterances.
    pub max_gap_ms: u64,
    /// The same for mono recordings, shorter: there the other side's words
    /// can be missing (talk-over mixed into one channel is often not
    /// transcribed), so a pause is all that separates two turns.
    pub mono_max_gap_ms: u64,
    /// On stereo, a pause shorter than this is inside a turn (the VAD did
    /// not even end the region there), so the turn goes on even when the
    /// other side starts talking in it: that is talking over, not a new turn.
    pub pause_within_turn_ms: u64,
}

impl Default for MergeConfig {
    fn default() -> Self {
        MergeConfig {
            max_gap_ms: 1500,
            mono_max_gap_ms: 1000,
            pause_within_turn_ms: 600,
        }
    }
}

impl MergeConfig {
    /// The settings for a mono recording (`max_gap_ms` := `mono_max_gap_ms`).
    pub fn for_mono(&self) -> MergeConfig {
        MergeConfig {
            max_gap_ms: self.mono_max_gap_ms,
            ..*self
        }
    }
}

/// Joins each speaker's consecutive segments into turns (see the module
/// comment) and returns everything ordered by start time, then end time,
/// then channel.
pub fn merge_turns(mut segments: Vec<SpeakerSegment>, config: &MergeConfig) -> Vec<SpeakerSegment> {
    sort_timeline(&mut segments);
    let all = segments.clone();
    let mut merged: Vec<SpeakerSegment> = Vec::with_capacity(segments.len());
    // Index in `merged` of each speaker's open turn.
    let mut open: Vec<((usize, Role), usize)> = Vec::new();
    for segment in segments {
        let speaker = segment.speaker();
        let open_index = open.iter().find(|(s, _)| *s == speaker).map(|&(_, i)| i);
        if let Some(index) = open_index {
            let turn = &merged[index];
            let gap_start = turn.segment.end_ms;
            let gap_end = segment.segment.start_ms;
            let gap = gap_end.saturating_sub(gap_start);
            let someone_else_spoke = all.iter().any(|other| {
                other.speaker() != speaker
                    && other.segment.start_ms < gap_end
                    && other.segment.end_ms > gap_start
                    // Another channel talking over a short pause does not end the turn.
                    && (other.channel == segment.channel || gap >= config.pause_within_turn_ms)
            });
            if gap <= config.max_gap_ms && !someone_else_spoke {
                let turn = &mut merged[index];
                append(turn, segment);
                continue;
            }
        }
        open.retain(|(s, _)| *s != speaker);
        open.push((speaker, merged.len()));
        merged.push(segment);
    }
    sort_timeline(&mut merged);
    merged
}

fn append(turn: &mut SpeakerSegment, next: SpeakerSegment) {
    let a = content_len(&turn.segment);
    let b = content_len(&next.segment);
    let total = (a + b).max(1) as f64;
    turn.segment.confidence =
        (turn.segment.confidence * a as f64 + next.segment.confidence * b as f64) / total;
    turn.segment.text = join_text(&turn.segment.text, &next.segment.text);
    turn.segment.end_ms = turn.segment.end_ms.max(next.segment.end_ms);
    turn.segment.words.extend(next.segment.words);
    turn.role_confidence = turn.role_confidence.min(next.role_confidence);
}

fn content_len(segment: &AsrSegment) -> usize {
    if segment.words.is_empty() {
        segment
            .text
            .chars()
            .filter(|c| !crate::text::is_punctuation(*c))
            .count()
    } else {
        segment.words.len()
    }
}

/// Orders by start, end, then channel: deterministic, and overlapping
/// speech keeps its real order.
pub fn sort_timeline(segments: &mut [SpeakerSegment]) {
    segments.sort_by(|a, b| {
        (a.segment.start_ms, a.segment.end_ms, a.channel, a.role).cmp(&(
            b.segment.start_ms,
            b.segment.end_ms,
            b.channel,
            b.role,
        ))
    });
}

/// Rounds to 3 decimals: enough for a probability, and keeps transcripts
/// short and stable.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The `words` array of an utterance: `{text, start_ms, end_ms, p}` per character.
pub fn words_json(words: &[CharTiming]) -> Value {
    Value::Array(
        words
            .iter()
            .map(|w| {
                json!({
                    "text": w.text,
                    "start_ms": w.start_ms,
                    "end_ms": w.end_ms,
                    "p": round3(f64::from(w.p)),
                })
            })
            .collect(),
    )
}

/// A transcript utterance: speaker, times, text, ASR confidence, and in
/// `extra` the characters (`words`), `role_confidence` and `channel`.
pub fn to_utterance(segment: &SpeakerSegment) -> Utterance {
    let mut extra = Map::new();
    if !segment.segment.words.is_empty() {
        extra.insert("words".into(), words_json(&segment.segment.words));
    }
    extra.insert(
        "role_confidence".into(),
        json!(round3(segment.role_confidence)),
    );
    extra.insert("channel".into(), json!(segment.channel));
    Utterance {
        speaker: segment.role.as_str().to_string(),
        start_ms: Some(segment.segment.start_ms),
        end_ms: Some(segment.segment.end_ms.max(segment.segment.start_ms)),
        text: segment.segment.text.clone(),
        confidence: Some(round3(segment.segment.confidence.clamp(0.0, 1.0))),
        extra,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(role: Role, channel: usize, start_ms: u64, end_ms: u64, text: &str) -> SpeakerSegment {
        SpeakerSegment {
            role,
            channel,
            role_confidence: 1.0,
            segment: AsrSegment {
                start_ms,
                end_ms,
                text: text.to_string(),
                confidence: 0.9,
                words: Vec::new(),
            },
        }
    }

    fn summary(segments: &[SpeakerSegment]) -> Vec<(Role, u64, u64, String)> {
        segments
            .iter()
            .map(|s| {
                (
                    s.role,
                    s.segment.start_ms,
                    s.segment.end_ms,
                    s.segment.text.clone(),
                )
            })
            .collect()
    }

    use Role::{Agent as A, Customer as C};

    #[test]
    fn a_speakers_pieces_join_into_a_turn() {
        let merged = merge_turns(
            vec![
                seg(A, 0, 600, 4000, "您好，欢迎致电悦途旅行"),
                seg(A, 0, 4000, 6000, "很高兴为您服务。"),
                seg(A, 0, 6400, 9000, "请问有什么可以帮您？"),
                seg(C, 1, 9900, 12_000, "你好"),
            ],
            &MergeConfig::default(),
        );
        assert_eq!(
            summary(&merged),
            vec![
                (
                    A,
                    600,
                    9000,
                    "您好，欢迎致电悦途旅行，很高兴为您服务。请问有什么可以帮您？".to_string()
                ),
                (C, 9900, 12_000, "你好".to_string()),
            ]
        );
    }

    #[test]
    fn overlaps_are_kept_and_ordered_by_start() {
        // The customer talks over the end of the agent's turn (dev-01 at 50.5 s).
        let merged = merge_turns(
            vec![
                seg(C, 1, 50_490, 52_650, "换酒店可以，离这儿远吗？"),
                seg(A, 0, 34_800, 45_000, "我给您两个方案，"),
                seg(A, 0, 45_000, 51_990, "一是免费换酒店，二是全额退款。"),
                seg(A, 0, 53_347, 63_087, "不远，开车五分钟就到。"),
            ],
            &MergeConfig::default(),
        );
        assert_eq!(
            summary(&merged),
            vec![
                (
                    A,
                    34_800,
                    51_990,
                    "我给您两个方案，一是免费换酒店，二是全额退款。".to_string()
                ),
                (C, 50_490, 52_650, "换酒店可以，离这儿远吗？".to_string()),
                (A, 53_347, 63_087, "不远，开车五分钟就到。".to_string()),
            ]
        );
    }

    #[test]
    fn talking_over_a_short_pause_does_not_split_the_turn() {
        // dev-01: the agent pauses 400 ms at 50.36 s, the customer starts at 50.5 s.
        let merged = merge_turns(
            vec![
                seg(A, 0, 34_800, 50_360, "我们安排车送您过去，"),
                seg(C, 1, 50_500, 51_360, "换酒店可以"),
                seg(A, 0, 50_760, 51_960, "二是全额退款。"),
                seg(C, 1, 51_860, 52_630, "离这儿远吗"),
            ],
            &MergeConfig::default(),
        );
        assert_eq!(
            summary(&merged),
            vec![
                (
                    A,
                    34_800,
                    51_960,
                    "我们安排车送您过去，二是全额退款。".to_string()
                ),
                (C, 50_500, 52_630, "换酒店可以，离这儿远吗".to_string()),
            ]
        );
    }

    #[test]
    fn someone_speaking_in_the_pause_starts_a_new_turn() {
        let merged = merge_turns(
            vec![
                seg(A, 0, 0, 3000, "请问您的订单号"),
                seg(C, 1, 3300, 3700, "嗯"),
                seg(A, 0, 4000, 6000, "是多少"),
            ],
            &MergeConfig::default(),
        );
        assert_eq!(merged.len(), 3);
    }

    #[test]
    fn long_silences_stay_visible() {
        let merged = merge_turns(
            vec![
                seg(A, 0, 0, 3000, "请您稍候，我帮您查询一下。"),
                seg(A, 0, 20_000, 25_000, "让您久等了"),
            ],
            &MergeConfig::default(),
        );
        assert_eq!(merged.len(), 2);
    }

    #[test]
    fn mono_roles_alternate_without_merging_across_the_other_speaker() {
        let merged = merge_turns(
            vec![
                seg(A, 0, 0, 2000, "您好"),
                seg(C, 0, 2400, 3000, "你好"),
                seg(A, 0, 3400, 5000, "请问有什么可以帮您"),
                seg(A, 0, 5000, 6000, "请讲"),
            ],
            &MergeConfig::default(),
        );
        assert_eq!(
            summary(&merged),
            vec![
                (A, 0, 2000, "您好".to_string()),
                (C, 2400, 3000, "你好".to_string()),
                (A, 3400, 6000, "请问有什么可以帮您，请讲".to_string()),
            ]
        );
    }

    #[test]
    fn joined_turns_weight_confidence_and_keep_the_lowest_role_confidence() {
        let mut a = seg(A, 0, 0, 1000, "您好");
        a.segment.confidence = 1.0;
        a.role_confidence = 0.9;
        let mut b = seg(A, 0, 1000, 2000, "请问有什么");
        b.segment.confidence = 0.5;
        b.role_confidence = 0.6;
        let merged = merge_turns(vec![a, b], &MergeConfig::default());
        assert_eq!(merged.len(), 1);
        assert!((merged[0].segment.confidence - (2.0 + 2.5) / 7.0).abs() < 1e-9);
        assert_eq!(merged[0].role_confidence, 0.6);
    }

    #[test]
    fn utterances_carry_words_and_role_confidence() {
        let mut s = seg(C, 1, 100, 900, "好的");
        s.role_confidence = 0.8123;
        s.segment.words = vec![
            CharTiming {
                text: "好".into(),
                start_ms: 100,
                end_ms: 400,
                p: 0.91234,
            },
            CharTiming {
                text: "的".into(),
                start_ms: 400,
                end_ms: 900,
                p: 0.5,
            },
        ];
        let u = to_utterance(&s);
        assert_eq!(u.speaker, "customer");
        assert_eq!((u.start_ms, u.end_ms), (Some(100), Some(900)));
        assert_eq!(u.extra["role_confidence"], json!(0.812));
        assert_eq!(
            u.extra["words"][0],
            json!({"text": "好", "start_ms": 100, "end_ms": 400, "p": 0.912})
        );
        assert_eq!(u.extra["channel"], json!(1));
    }

    #[test]
    fn text_joins_add_a_comma_only_where_needed() {
        assert_eq!(join_text("您好", "请问"), "您好，请问");
        assert_eq!(join_text("您好。", "请问"), "您好。请问");
        assert_eq!(join_text("", "请问"), "请问");
    }
}
