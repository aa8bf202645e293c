//! `interruption`: one side starts speaking while the other still speaks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::Operator;
use crate::rubric::compile::Builder;
use crate::rubric::eval::{role_matches, whole, Context, Evaluated, Outcome, Tri};
use crate::rubric::reason;
use crate::rubric::schema::RoleScope;
use crate::rubric::RubricError;

/// `by` starts speaking while `of` is still speaking, more than `grace_ms`
/// before `of` ends (backchannels excepted). Needs timestamps.
///
/// ```toml
/// fail = { interruption = { by = "agent", of = "customer", grace_ms = 500, backchannel = ["backchannel"] } }
/// ```
///
/// An utterance of `by` of at most `backchannel_max_chars` content
/// characters made only of `backchannel` phrases (嗯, 好的, 对) is not an
/// interruption; a short contradiction (不对不对) still is. Without
/// timestamps the item answers its `without_timestamps` verdict. The reason
/// quotes the interrupting words ("the agent started 「我帮您查一下」 at
/// 3.5 s, 1.5 s before the customer finished").
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Interruption {
    /// Who interrupts.
    pub by: RoleScope,
    /// Who is interrupted.
    pub of: RoleScope,
    /// Overlaps that end within this many ms of the other's end are not interruptions.
    #[serde(default = "default_grace")]
    pub grace_ms: u64,
    /// Utterances this short that hit one of these sets are backchannels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<String>")]
    pub backchannel: Vec<Spanned<String>>,
    /// The longest backchannel, in content characters.
    #[serde(default = "default_backchannel_chars")]
    pub backchannel_max_chars: usize,
}

fn default_grace() -> u64 {
    500
}

fn default_backchannel_chars() -> usize {
    4
}

/// A compiled [`Interruption`].
pub struct CompiledInterruption {
    pub by: RoleScope,
    pub of: RoleScope,
    pub grace_ms: u64,
    /// Backchannel sets.
    pub backchannel: Vec<u16>,
    pub max_chars: usize,
}

impl Operator for Interruption {
    type Compiled = CompiledInterruption;

    fn compile(&self, b: &mut Builder) -> Result<CompiledInterruption, RubricError> {
        Ok(CompiledInterruption {
            by: self.by,
            of: self.of,
            grace_ms: self.grace_ms,
            backchannel: b.condition_sets(&self.backchannel)?,
            max_chars: self.backchannel_max_chars,
        })
    }

    fn eval(c: &CompiledInterruption, cx: &Context) -> Evaluated {
        let CompiledInterruption {
            by,
            of,
            grace_ms,
            backchannel,
            max_chars,
        } = c;
        if !cx.call.timed {
            return reason::unknown("是否打断", "interruptions");
        }
        let us = &cx.call.utterances;
        let mut found = Vec::new();
        let mut evidence = Vec::new();
        for (i, u) in us.iter().enumerate() {
            if !role_matches(*by, u.role) {
                continue;
            }
            // A backchannel is short and made only of backchannel words:
            // 不对不对 is short but contradicts.
            let is_backchannel = u.text.content_chars <= *max_chars
                && (backchannel.is_empty() || {
                    let mut covered = vec![false; u.text.len()];
                    for h in u.hits.iter().filter(|h| backchannel.contains(&h.set)) {
                        covered[h.start as usize..h.end as usize]
                            .iter_mut()
                            .for_each(|c| *c = true);
                    }
                    !covered.is_empty() && covered.iter().all(|c| *c)
                });
            if is_backchannel {
                continue;
            }
            let (Some(s), Some(_)) = (u.start_ms, u.end_ms) else {
                continue;
            };
            for (j, o) in us.iter().enumerate() {
                if j == i || !role_matches(*of, o.role) || o.role == u.role {
                    continue;
                }
                let (Some(os), Some(oe)) = (o.start_ms, o.end_ms) else {
                    continue;
                };
                if os < s && s < oe && oe - s > *grace_ms {
                    found.push(reason::interrupted(
                        u.role,
                        o.role,
                        &reason::short(&cx.call.original(i).text),
                        s,
                        oe - s,
                    ));
                    evidence.push(whole(cx.call, j));
                    evidence.push(whole(cx.call, i));
                    break;
                }
            }
        }
        if found.is_empty() {
            Evaluated::new(
                Tri::False,
                Outcome {
                    missing: vec![reason::no_interruption(*by, *of, *grace_ms)],
                    ..Default::default()
                },
            )
        } else {
            Evaluated::new(
                Tri::True,
                Outcome {
                    evidence,
                    found,
                    missing: vec![],
                },
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, one_item, x};
    use crate::score::Verdict;

    #[test]
    fn grace_and_backchannels() {
        let r = one_item(
            "[phrases.bc]\nphrases = [\"嗯\", \"好的\", \"对\"]",
            "fail = { interruption = { by = \"agent\", of = \"customer\", grace_ms = 500, backchannel = [\"bc\"], backchannel_max_chars = 4 } }",
        );
        let inside_grace = call(&[
            ("customer", 0, 5000, "我的宽带又断了"),
            ("agent", 4700, 6000, "我帮您查一下线路"),
        ]);
        let early = call(&[
            ("customer", 0, 5000, "我的宽带又断了"),
            ("agent", 3500, 6000, "我帮您查一下线路"),
        ]);
        let backchannel = call(&[
            ("customer", 0, 5000, "我的宽带又断了"),
            ("agent", 2000, 2300, "嗯"),
        ]);
        let contradiction = call(&[
            ("customer", 0, 5000, "你们多扣了我的钱"),
            ("agent", 2000, 2600, "不对不对"),
        ]);
        assert_eq!(x(&r, &inside_grace), Verdict::Pass);
        assert_eq!(x(&r, &early), Verdict::Fail);
        assert_eq!(x(&r, &backchannel), Verdict::Pass);
        assert_eq!(x(&r, &contradiction), Verdict::Fail);
        assert_eq!(x(&r, &call(&[("agent", -1, -1, "您好")])), Verdict::Na);
    }
}
