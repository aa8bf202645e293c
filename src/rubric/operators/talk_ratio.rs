//! `talk_ratio`: how much one role says compared with another.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Operator;
use crate::rubric::compile::Builder;
use crate::rubric::eval::{role_matches, Context, Evaluated};
use crate::rubric::reason::{self, scope_en, scope_zh};
use crate::rubric::schema::RoleScope;
use crate::rubric::RubricError;

/// Characters of `role` over characters of `other` above / below a bound.
///
/// ```toml
/// fail = { talk_ratio = { role = "agent", other = "customer", above = 3.0 } }
/// ```
///
/// Counts content characters (punctuation excluded), so it needs no
/// timestamps. When `other` said nothing the ratio is infinite (0 when
/// neither spoke). Holds when the ratio is above `above` or below `below`.
/// The reason gives both counts ("the agent 120 vs the customer 30
/// characters (4.0×), above 3").
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TalkRatio {
    /// The role whose characters are the numerator.
    pub role: RoleScope,
    /// The role whose characters are the denominator.
    pub other: RoleScope,
    /// Holds when the ratio is above this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<f64>,
    /// Holds when the ratio is below this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<f64>,
}

impl Operator for TalkRatio {
    type Compiled = TalkRatio;

    fn compile(&self, _: &mut Builder) -> Result<TalkRatio, RubricError> {
        Ok(self.clone())
    }

    fn eval(c: &TalkRatio, cx: &Context) -> Evaluated {
        let TalkRatio {
            role,
            other,
            above,
            below,
        } = c;
        let count = |r: RoleScope| -> usize {
            cx.call
                .utterances
                .iter()
                .filter(|u| role_matches(r, u.role))
                .map(|u| u.text.content_chars)
                .sum()
        };
        let (mine, theirs) = (count(*role), count(*other));
        let ratio = if theirs == 0 {
            if mine == 0 {
                0.0
            } else {
                f64::INFINITY
            }
        } else {
            mine as f64 / theirs as f64
        };
        let (ratio_zh, ratio_en) = if ratio.is_finite() {
            (format!("{ratio:.1} 倍"), format!("{ratio:.1}×"))
        } else {
            ("无穷大".to_string(), "∞×".to_string())
        };
        reason::bounded(
            ratio,
            *above,
            *below,
            format!(
                "{}说了 {mine} 字，{} {theirs} 字（{ratio_zh}）",
                scope_zh(*role),
                scope_zh(*other)
            ),
            format!(
                "{} said {mine} characters, {} {theirs} ({ratio_en})",
                scope_en(*role),
                scope_en(*other)
            ),
            " 倍",
            "×",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, one_item, x};
    use crate::score::Verdict;

    #[test]
    fn characters_of_one_role_over_the_other() {
        let ratio = one_item(
            "",
            "fail = { talk_ratio = { role = \"agent\", other = \"customer\", above = 3.0 } }",
        );
        let long = call(&[
            ("agent", -1, -1, "一二三四五六七八九十"),
            ("customer", -1, -1, "好的好"),
        ]);
        let fair = call(&[
            ("agent", -1, -1, "一二三四五六七八九"),
            ("customer", -1, -1, "好的好"),
        ]);
        assert_eq!(x(&ratio, &long), Verdict::Fail);
        assert_eq!(x(&ratio, &fair), Verdict::Pass);
    }
}
