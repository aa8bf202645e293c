//! `between`: an utterance of `speaker` between a hit of `from` and the
//! `nth` hit of `to`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Operator;
use crate::rubric::compile::{Builder, Matcher};
use crate::rubric::eval::{role_matches, Context, Evaluated, Located, Outcome, Tri};
use crate::rubric::reason::{self, Said};
use crate::rubric::schema::{MatchSpec, RoleScope};
use crate::rubric::RubricError;

/// An utterance of `speaker` lies strictly between a hit of `from` and the
/// `nth` hit of `to`.
///
/// ```toml
/// pass = { between = { from = { role = "agent", any = ["apology"] }, to = { role = "agent", any = ["compensation"] }, speaker = "customer" } }
/// ```
///
/// The utterance in between must have content and belong to a different
/// utterance than both hits: an apology and an offer in one breath have no
/// reply in between ("… in the same breath as an apology (no reply from the
/// customer in between)"). With `complete = true` the utterance in between
/// must not have been cut off. False when `to` has fewer than `nth` hits.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Between {
    /// The match before the reply.
    pub from: MatchSpec,
    /// The match after the reply; its `nth` hit is the anchor.
    pub to: MatchSpec,
    /// Whose utterance must lie in between.
    pub speaker: RoleScope,
    /// The utterance in between must not have been interrupted.
    #[serde(default)]
    pub complete: bool,
    /// Which hit of `to` anchors the order (1 = the first).
    #[serde(default = "one")]
    pub nth: usize,
}

fn one() -> usize {
    1
}

/// A compiled [`Between`].
pub struct CompiledBetween {
    pub from: Matcher,
    pub to: Matcher,
    pub speaker: RoleScope,
    pub complete: bool,
    pub nth: usize,
}

impl Operator for Between {
    type Compiled = CompiledBetween;

    fn compile(&self, b: &mut Builder) -> Result<CompiledBetween, RubricError> {
        Ok(CompiledBetween {
            from: b.matcher(&self.from)?,
            to: b.matcher(&self.to)?,
            speaker: self.speaker,
            complete: self.complete,
            nth: self.nth.max(1),
        })
    }

    fn eval(c: &CompiledBetween, cx: &Context) -> Evaluated {
        let CompiledBetween {
            from,
            to,
            speaker,
            complete,
            nth,
        } = c;
        let (Some((froms, _)), Some((tos, to_ok))) = (cx.hits(from), cx.hits(to)) else {
            return reason::unknown("先后顺序", "the order");
        };
        let Some(anchor) = (if to_ok { tos.get(nth - 1) } else { None }) else {
            return Evaluated::new(
                Tri::False,
                Outcome {
                    missing: vec![reason::absent(to)],
                    ..Default::default()
                },
            );
        };
        let earlier: Vec<&Located> = froms
            .iter()
            .filter(|h| h.utterance < anchor.utterance)
            .collect();
        let same_breath: Vec<&Located> = froms
            .iter()
            .filter(|h| h.utterance == anchor.utterance && h.start <= anchor.start)
            .collect();
        for f in &earlier {
            let between = (f.utterance + 1..anchor.utterance).find(|&i| {
                role_matches(*speaker, cx.call.utterances[i].role)
                    && (!complete || !cx.interrupted(i))
                    && cx.call.utterances[i].text.content_chars > 0
            });
            if let Some(b) = between {
                let reply = Located {
                    utterance: b,
                    start: 0,
                    end: cx.call.utterances[b].text.len(),
                    matched: String::new(),
                    phrase: u32::MAX,
                };
                return Evaluated::new(
                    Tri::True,
                    Outcome {
                        evidence: vec![(*f).clone(), reply, anchor.clone()],
                        found: vec![reason::between_found(
                            &Said::of(cx, from, std::slice::from_ref(*f)),
                            cx.call.utterances[b].role,
                            cx.call.utterances[b].start_ms,
                            &Said::of(cx, to, std::slice::from_ref(anchor)),
                        )],
                        missing: vec![],
                    },
                );
            }
        }
        let mut evidence: Vec<Located> = earlier
            .iter()
            .chain(same_breath.iter())
            .map(|h| (*h).clone())
            .collect();
        evidence.push(anchor.clone());
        let to_said = Said::of(cx, to, std::slice::from_ref(anchor));
        let missing = if earlier.is_empty() && !same_breath.is_empty() {
            reason::same_breath(&to_said, from, *speaker)
        } else if earlier.is_empty() {
            reason::order_missing(from, &to_said, true)
        } else {
            reason::no_reply_between(&to_said, from, *speaker, *complete)
        };
        Evaluated::new(
            Tri::False,
            Outcome {
                evidence,
                found: vec![],
                missing: vec![missing],
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, one_item, x};
    use crate::score::Verdict;

    #[test]
    fn needs_a_reply_in_between() {
        let sets = "[phrases.sorry]\nphrases = [\"抱歉\"]\n[phrases.offer]\nphrases = [\"代金券\"]";
        let r = one_item(sets, "pass = { between = { from = { role = \"agent\", any = [\"sorry\"] }, to = { role = \"agent\", any = [\"offer\"] }, speaker = \"customer\" } }");
        let good = call(&[
            ("agent", -1, -1, "真的很抱歉"),
            ("customer", -1, -1, "那怎么办"),
            ("agent", -1, -1, "送您一张代金券"),
        ]);
        let one_breath = call(&[("agent", -1, -1, "真的很抱歉，送您一张代金券")]);
        assert_eq!(x(&r, &good), Verdict::Pass);
        assert_eq!(x(&r, &one_breath), Verdict::Fail);
        let item = &r.score(&one_breath).items[0];
        assert!(item.reason_en.contains("same breath"), "{}", item.reason_en);
        assert!(item.reason.contains("同一段话"), "{}", item.reason);
    }
}
