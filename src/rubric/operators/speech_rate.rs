//! `speech_rate`: a role's characters per minute above or below a bound.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Operator;
use crate::rubric::compile::Builder;
use crate::rubric::eval::{role_matches, Context, Evaluated, Outcome, Tri};
use crate::rubric::reason::{self, scope_en, scope_zh, Part};
use crate::rubric::schema::RoleScope;
use crate::rubric::RubricError;

/// A role's speech rate in characters per minute is above / below a bound.
/// Needs timestamps.
///
/// ```toml
/// fail = { speech_rate = { role = "agent", above = 300.0 } }
/// ```
///
/// The rate is the role's content characters (punctuation excluded) over
/// the summed durations of its utterances. Holds when the rate is above
/// `above` or below `below` (give one or both). False when the role did not
/// speak; without timestamps the item answers its `without_timestamps`
/// verdict. The reason gives the rate ("the agent spoke 420 characters per
/// minute, above 300").
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpeechRate {
    /// Whose speech is measured.
    pub role: RoleScope,
    /// Holds when the rate is above this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<f64>,
    /// Holds when the rate is below this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<f64>,
}

impl Operator for SpeechRate {
    type Compiled = SpeechRate;

    fn compile(&self, _: &mut Builder) -> Result<SpeechRate, RubricError> {
        Ok(self.clone())
    }

    fn eval(c: &SpeechRate, cx: &Context) -> Evaluated {
        let SpeechRate { role, above, below } = c;
        if !cx.call.timed {
            return reason::unknown("语速", "the speech rate");
        }
        let (chars, millis) = cx
            .call
            .utterances
            .iter()
            .filter(|u| role_matches(*role, u.role))
            .fold((0usize, 0u64), |(c, t), u| {
                (
                    c + u.text.content_chars,
                    t + u
                        .end_ms
                        .unwrap_or(0)
                        .saturating_sub(u.start_ms.unwrap_or(0)),
                )
            });
        if millis == 0 {
            return Evaluated::new(
                Tri::False,
                Outcome {
                    missing: vec![Part::Note(crate::i18n::Text::new(
                        format!("{}没有说话", scope_zh(*role)),
                        format!("{} did not speak", scope_en(*role)),
                    ))],
                    ..Default::default()
                },
            );
        }
        let rate = chars as f64 / (millis as f64 / 60_000.0);
        reason::bounded(
            rate,
            *above,
            *below,
            format!("{}语速每分钟 {:.0} 字", scope_zh(*role), rate),
            format!(
                "{} spoke {:.0} characters per minute",
                scope_en(*role),
                rate
            ),
            " 字",
            "",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, one_item, x};
    use crate::score::Verdict;

    #[test]
    fn characters_per_minute() {
        let rate = one_item(
            "",
            "fail = { speech_rate = { role = \"agent\", above = 300.0 } }",
        );
        // 10 characters in 1 s = 600 per minute
        assert_eq!(
            x(&rate, &call(&[("agent", 0, 1000, "一二三四五六七八九十")])),
            Verdict::Fail
        );
        assert_eq!(
            x(&rate, &call(&[("agent", 0, 4000, "一二三四五六七八九十")])),
            Verdict::Pass
        );
        assert_eq!(
            x(&rate, &call(&[("agent", -1, -1, "一二三四五六七八九十")])),
            Verdict::Na
        );
    }
}
