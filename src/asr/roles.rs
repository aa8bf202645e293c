//! Who said it, when the recording does not tell: speaker attribution for
//! mono recordings (both sides on one channel), and a plausibility check of
//! the channel → role mapping of stereo ones.
//!
//! Each segment gets a score from what it says — agents greet with the
//! company name (欢迎致电), give their job number (工号), offer help
//! (请问有什么可以帮您), say 您 and 先生/女士, apologise for the company, close
//! (感谢您的来电); customers explain their problem (我订了…, 我想问…), say 你们
//! about the company, ask 为什么, thank and end (谢谢, 没有了) — and the
//! sequence is decoded with a two-state hidden Markov model whose switch
//! probability depends on the pause before the segment (a speaker rarely
//! changes without a pause). Content alone is sparse — most sentences carry
//! no cue — so when [`super::voice`] finds two distinct voices (pitch), each
//! segment's voice is evidence too; which voice is the agent is decided by
//! what each voice says, and the doubt about that decision is carried into
//! the result (both mappings are decoded and mixed by their probability).
//! Forward–backward gives each segment the posterior probability of its
//! role, which becomes `role_confidence`: segments nobody can attribute come
//! out near 0.5, so the scorer sends role-dependent items to review instead
//! of guessing.

use super::voice::{hz, TwoVoices};
use crate::transcript::Role;

/// A phrase that hints at a role: positive weights for the agent, negative
/// for the customer, in log-odds.
pub type Cue = (&'static str, f64);

/// Matched on Simplified text without punctuation (see [`cue_form`]).
pub const ROLE_CUES: &[Cue] = &[
    // Opening: company, greeting, identity, offer to help.
    ("欢迎致电", 4.0),
    ("欢迎来电", 4.0),
    ("欢迎您致电", 4.0),
    ("致电", 1.5),
    ("很高兴为您服务", 4.0),
    ("高兴为你服务", 3.0),
    ("为您服务", 2.5),
    ("有什么可以帮您", 3.0),
    ("有什么可以帮你", 2.5),
    ("有什么能帮", 2.5),
    ("可以帮您", 1.5),
    ("我是客服", 3.5),
    ("客服代表", 3.0),
    ("客服中心", 2.0),
    ("工号", 3.0),
    // Service language.
    ("请问您", 1.5),
    ("请您", 1.2),
    ("您", 0.5),
    ("先生", 1.2),
    ("女士", 1.2),
    ("我帮您", 1.5),
    ("帮您查", 1.5),
    ("为您", 1.0),
    ("给您", 0.8),
    ("请稍等", 1.5),
    ("请您稍候", 2.0),
    ("稍候", 1.0),
    ("给您带来", 2.0),
    ("给您添麻烦", 2.0),
    ("非常抱歉", 1.2),
    ("很抱歉", 1.0),
    ("我们这边", 1.2),
    ("我们平台", 1.5),
    ("我们公司", 0.8),
    ("核实", 0.8),
    ("为您登记", 1.5),
    ("您的订单", 1.0),
    ("您的账户", 1.0),
    ("还有其他", 2.0),
    ("还有别的", 1.5),
    ("感谢您的来电", 4.0),
    ("感谢来电", 3.5),
    ("感谢您的耐心", 2.5),
    ("祝您", 2.0),
    ("转接", 1.0),
    // Customer: stating the problem, the company as 你们, complaints.
    ("我想问", -2.0),
    ("我想咨询", -2.0),
    ("我想了解", -1.5),
    ("我要投诉", -3.0),
    ("我想投诉", -3.0),
    ("投诉你们", -3.0),
    ("你们", -1.0),
    ("你们公司", -1.0),
    ("我订了", -1.5),
    ("我订的", -1.5),
    ("我买的", -1.5),
    ("我买了", -1.5),
    ("我上周", -1.0),
    ("我家", -1.0),
    ("我的订单", -1.2),
    ("我的账户", -1.2),
    ("为什么", -1.2),
    ("怎么回事", -1.5),
    ("到底", -1.0),
    ("能不能", -0.8),
    ("可不可以", -0.8),
    ("谢谢你", -1.0),
    ("好的谢谢", -1.0),
    ("没有了", -1.5),
    ("没有其他", -1.0),
    ("没别的", -1.0),
    ("算了", -1.0),
    ("你会不会", -1.5),
    ("说话客气", -2.0),
    ("喂", -0.3),
];

/// The form cues are matched in: normalised (Simplified, numerals) with
/// punctuation and spaces removed; 您 is kept apart from 你 on purpose.
pub fn cue_form(text: &str) -> String {
    crate::text::normalize(text)
        .chars()
        .filter(|c| !crate::text::is_punctuation(*c))
        .collect()
}

/// Sum of the cue weights found in `text` (agent > 0 > customer). Every
/// occurrence counts, but one phrase contributes at most twice its weight,
/// so a long turn full of 您 does not drown everything else.
pub fn role_score(text: &str) -> f64 {
    let form = cue_form(text);
    ROLE_CUES
        .iter()
        .map(|&(phrase, weight)| form.matches(phrase).count().min(2) as f64 * weight)
        .sum()
}

/// What the attribution model needs to know about one segment.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnEvidence {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    /// Median voice pitch, when the segment is voiced enough to tell.
    pub pitch_hz: Option<f32>,
}

/// Knobs of the attribution model.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleModel {
    /// Probability that the first segment is the agent's (inbound and
    /// outbound calls alike start with the agent).
    pub agent_first: f64,
    /// Probability of a speaker change after a pause shorter than
    /// `short_pause_ms` (usually the same speaker going on).
    pub switch_without_pause: f64,
    pub short_pause_ms: u64,
    /// …after a pause between `short_pause_ms` and `long_pause_ms`.
    pub switch_after_pause: f64,
    pub long_pause_ms: u64,
    /// …after a longer silence (hold, thinking): anybody may speak next.
    pub switch_after_silence: f64,
    /// Cue scores are clamped to ±this, so one phrase cannot make a segment
    /// certain against its context.
    pub max_evidence: f64,
    /// Voice evidence is clamped to ±this: pitch overlaps at the edges
    /// (a raised male voice, a low female one).
    pub max_voice_evidence: f64,
}

impl Default for RoleModel {
    fn default() -> Self {
        RoleModel {
            agent_first: 0.75,
            switch_without_pause: 0.1,
            short_pause_ms: 250,
            // A pause says little: sentences within a turn are separated by
            // pauses as long as the gaps between turns.
            switch_after_pause: 0.5,
            long_pause_ms: 2000,
            switch_after_silence: 0.5,
            max_evidence: 8.0,
            max_voice_evidence: 6.0,
        }
    }
}

impl RoleModel {
    fn switch_probability(&self, gap_ms: i64) -> f64 {
        if gap_ms < self.short_pause_ms as i64 {
            self.switch_without_pause
        } else if gap_ms < self.long_pause_ms as i64 {
            self.switch_after_pause
        } else {
            self.switch_after_silence
        }
    }
}

/// A role with the probability that it is right.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attribution {
    pub role: Role,
    /// 0.5..=1.
    pub confidence: f64,
}

/// The two voices of a mono recording, as attributed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VoiceSummary {
    pub agent_pitch_hz: f64,
    pub customer_pitch_hz: f64,
    /// Probability that the voices are the right way round.
    pub mapping_confidence: f64,
}

/// Roles for every segment, and the voices they were told apart by.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleAssignment {
    pub roles: Vec<Attribution>,
    pub voices: Option<VoiceSummary>,
}

/// Attributes each segment of a mono recording (in time order) to the agent
/// or the customer.
pub fn attribute_roles(turns: &[TurnEvidence], model: &RoleModel) -> RoleAssignment {
    let text_scores: Vec<f64> = turns
        .iter()
        .map(|t| role_score(&t.text).clamp(-model.max_evidence, model.max_evidence))
        .collect();
    let pitched: Vec<(f32, f64)> = turns
        .iter()
        .filter_map(|t| {
            t.pitch_hz
                .map(|p| (p, (t.end_ms.saturating_sub(t.start_ms)) as f64 / 1000.0))
        })
        .collect();
    let Some(voices) = TwoVoices::find(&pitched) else {
        let p_agent = posteriors(turns, &text_scores, model);
        return RoleAssignment {
            roles: p_agent.into_iter().map(attribution).collect(),
            voices: None,
        };
    };

    // Which voice is the agent: the one whose segments sound like one.
    let high_odds: Vec<Option<f64>> = turns
        .iter()
        .map(|t| {
            t.pitch_hz
                .map(|p| voices.high_log_odds(p, model.max_voice_evidence))
        })
        .collect();
    // Each segment's cues count for each voice by how likely it is that voice,
    // so a segment between the two voices does not decide the question.
    let (mut high_score, mut low_score) = (0.0, 0.0);
    for (odds, score) in high_odds.iter().zip(&text_scores) {
        if let Some(o) = odds {
            let p_high = 1.0 / (1.0 + (-o).exp());
            high_score += score * p_high;
            low_score += score * (1.0 - p_high);
        }
    }
    let difference = high_score - low_score;
    let (agent_is_high, mapping_confidence) = if difference.abs() >= 1.0 {
        (difference > 0.0, 1.0 / (1.0 + (-difference.abs()).exp()))
    } else {
        // Content does not tell: the agent usually speaks first.
        let first_high = high_odds.iter().flatten().next().is_some_and(|o| *o > 0.0);
        (first_high, model.agent_first)
    };
    let decode = |agent_is_high: bool| {
        let scores: Vec<f64> = text_scores
            .iter()
            .zip(&high_odds)
            .map(|(text, odds)| {
                let voice = odds.map_or(0.0, |o| if agent_is_high { o } else { -o });
                text + voice
            })
            .collect();
        posteriors(turns, &scores, model)
    };
    let likely = decode(agent_is_high);
    let swapped = decode(!agent_is_high);
    let roles = likely
        .iter()
        .zip(&swapped)
        .map(|(p, q)| attribution(mapping_confidence * p + (1.0 - mapping_confidence) * q))
        .collect();
    let (agent, customer) = if agent_is_high {
        (voices.high, voices.low)
    } else {
        (voices.low, voices.high)
    };
    RoleAssignment {
        roles,
        voices: Some(VoiceSummary {
            agent_pitch_hz: hz(agent),
            customer_pitch_hz: hz(customer),
            mapping_confidence,
        }),
    }
}

fn attribution(p_agent: f64) -> Attribution {
    if p_agent >= 0.5 {
        Attribution {
            role: Role::Agent,
            confidence: p_agent,
        }
    } else {
        Attribution {
            role: Role::Customer,
            confidence: 1.0 - p_agent,
        }
    }
}

/// Posterior probability of the agent for every segment, given each
/// segment's evidence in log-odds (agent > 0): forward–backward over the
/// two-state chain.
fn posteriors(turns: &[TurnEvidence], scores: &[f64], model: &RoleModel) -> Vec<f64> {
    let n = turns.len();
    if n == 0 {
        return Vec::new();
    }
    let emissions: Vec<(f64, f64)> = scores
        .iter()
        .map(|s| ((s / 2.0).exp(), (-s / 2.0).exp()))
        .collect();
    let switches: Vec<f64> = (0..n)
        .map(|i| match i {
            0 => 0.5,
            _ => model.switch_probability(turns[i].start_ms as i64 - turns[i - 1].end_ms as i64),
        })
        .collect();

    // Forward pass, normalised at each step.
    let mut forward = vec![(0.0, 0.0); n];
    let mut previous = (model.agent_first, 1.0 - model.agent_first);
    for i in 0..n {
        let predicted = if i == 0 {
            previous
        } else {
            let s = switches[i];
            (
                previous.0 * (1.0 - s) + previous.1 * s,
                previous.0 * s + previous.1 * (1.0 - s),
            )
        };
        let joint = (predicted.0 * emissions[i].0, predicted.1 * emissions[i].1);
        let total = joint.0 + joint.1;
        forward[i] = (joint.0 / total, joint.1 / total);
        previous = forward[i];
    }
    // Backward pass.
    let mut backward = vec![(1.0, 1.0); n];
    for i in (0..n - 1).rev() {
        let s = switches[i + 1];
        let next = (
            backward[i + 1].0 * emissions[i + 1].0,
            backward[i + 1].1 * emissions[i + 1].1,
        );
        let from_agent = (1.0 - s) * next.0 + s * next.1;
        let from_customer = s * next.0 + (1.0 - s) * next.1;
        let total = from_agent + from_customer;
        backward[i] = (from_agent / total, from_customer / total);
    }
    (0..n)
        .map(|i| {
            let agent = forward[i].0 * backward[i].0;
            let customer = forward[i].1 * backward[i].1;
            agent / (agent + customer)
        })
        .collect()
}

/// How strongly the texts of each channel say "agent": the sum of the cue
/// scores of its segments. Used to check a stereo channel mapping.
pub fn channel_agent_score<'a>(texts: impl IntoIterator<Item = &'a str>) -> f64 {
    texts.into_iter().map(role_score).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(start_ms: u64, end_ms: u64, text: &str) -> TurnEvidence {
        TurnEvidence {
            start_ms,
            end_ms,
            text: text.to_string(),
            pitch_hz: None,
        }
    }

    fn voiced(start_ms: u64, end_ms: u64, text: &str, pitch_hz: f32) -> TurnEvidence {
        TurnEvidence {
            pitch_hz: Some(pitch_hz),
            ..turn(start_ms, end_ms, text)
        }
    }

    #[test]
    fn greetings_score_as_agent_and_complaints_as_customer() {
        assert!(
            role_score("您好，欢迎致电悦途旅行客服中心，我是客服代表小陈，很高兴为您服务。") > 8.0
        );
        assert!(
            role_score("歡迎致電，工號1234為您服務") > 5.0,
            "Traditional works too"
        );
        assert!(role_score("你好，我订了今晚杭州西湖边的一家酒店，你们说房间满了") < -2.0);
        assert!(role_score("没有了，谢谢你") < -2.0);
        assert_eq!(role_score("嗯"), 0.0);
    }

    #[test]
    fn content_decides_where_it_speaks_and_leaves_the_rest_to_review() {
        let turns = [
            turn(
                600,
                8900,
                "您好，欢迎致电星辰电器客户服务热线，很高兴为您服务。请问有什么可以帮您？",
            ),
            turn(
                9500,
                16800,
                "你好，我上周在你们商城买的洗衣机，送来第二天就漏水了。",
            ),
            turn(17400, 24000, "先生，给您带来不便非常抱歉，我帮您登记一下。"),
            turn(24600, 26000, "好。"),
            turn(26700, 30000, "请问您的地址是哪里？"),
            turn(30600, 33000, "杭州市西湖区。"),
            turn(33500, 37000, "感谢您的来电，再见。"),
        ];
        let roles = attribute_roles(&turns, &RoleModel::default()).roles;
        use Role::{Agent as A, Customer as C};
        for (i, want) in [(0, A), (1, C), (2, A), (4, A), (6, A)] {
            assert_eq!(roles[i].role, want, "segment {i}");
            assert!(roles[i].confidence > 0.8, "segment {i}: {:?}", roles[i]);
        }
        // 好。 and 杭州市西湖区。 say nothing about who speaks: without voices,
        // a pause is no evidence either, so they go to review.
        assert!(
            roles[3].confidence < 0.7 && roles[5].confidence < 0.7,
            "{roles:?}"
        );
    }

    #[test]
    fn contiguous_segments_keep_their_speaker() {
        // Whisper splits one agent turn in three without a pause.
        let turns = [
            turn(0, 3000, "您好，欢迎致电悦途旅行。"),
            turn(3000, 5000, "今天天气不错。"),
            turn(5000, 7000, "我们说到哪里了。"),
            turn(7800, 9000, "我订了一家酒店，你们说满了。"),
        ];
        let roles = attribute_roles(&turns, &RoleModel::default()).roles;
        assert_eq!(roles[1].role, Role::Agent);
        assert_eq!(roles[2].role, Role::Agent);
        assert_eq!(roles[3].role, Role::Customer);
    }

    #[test]
    fn without_evidence_confidence_stays_low() {
        let turns = [
            turn(0, 1000, "嗯。"),
            turn(1600, 2600, "对。"),
            turn(3200, 4200, "是的。"),
        ];
        let roles = attribute_roles(&turns, &RoleModel::default()).roles;
        assert!(
            roles.iter().skip(1).all(|a| a.confidence < 0.7),
            "{roles:?}"
        );
    }

    #[test]
    fn voices_carry_sentences_without_cues() {
        // The female agent (≈210 Hz) and the male customer (≈130 Hz) take
        // turns; only the first two segments say anything role-specific, and
        // one agent turn spans several sentences separated by pauses.
        let turns = [
            voiced(0, 3000, "您好，欢迎致电悦途旅行，很高兴为您服务。", 212.0),
            voiced(3600, 6000, "我订了一家酒店，你们说满了。", 128.0),
            voiced(6500, 8000, "这么晚遇到这种事。", 205.0),
            voiced(8400, 9500, "真的不好办。", 215.0),
            voiced(10_000, 11_000, "入住人叫刘洋。", 133.0),
            voiced(11_600, 13_000, "我马上联系酒店。", 208.0),
            voiced(13_500, 14_000, "好。", 125.0),
        ];
        let assignment = attribute_roles(&turns, &RoleModel::default());
        let got: Vec<Role> = assignment.roles.iter().map(|a| a.role).collect();
        use Role::{Agent as A, Customer as C};
        assert_eq!(got, vec![A, C, A, A, C, A, C]);
        assert!(
            assignment.roles.iter().all(|a| a.confidence > 0.9),
            "{:?}",
            assignment.roles
        );
        let voices = assignment.voices.unwrap();
        assert!(
            (voices.agent_pitch_hz - 210.0).abs() < 10.0
                && (voices.customer_pitch_hz - 129.0).abs() < 8.0
        );
        assert!(voices.mapping_confidence > 0.99);
    }

    #[test]
    fn voices_without_cues_cannot_be_sure_who_is_who() {
        let turns = [
            voiced(0, 2000, "今天天气不错。", 210.0),
            voiced(2600, 4000, "是啊。", 130.0),
            voiced(4600, 6000, "我们出去走走。", 205.0),
            voiced(6600, 8000, "好的。", 128.0),
        ];
        let assignment = attribute_roles(&turns, &RoleModel::default());
        assert_eq!(
            assignment.roles[0].role,
            Role::Agent,
            "the first speaker is taken for the agent"
        );
        assert!(
            assignment.roles.iter().all(|a| a.confidence < 0.8),
            "{:?}",
            assignment.roles
        );
    }

    #[test]
    fn no_turns_no_roles() {
        assert!(attribute_roles(&[], &RoleModel::default()).roles.is_empty());
    }
}
