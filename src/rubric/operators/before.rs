//! `before`: some hit of `first` comes before the `nth` hit of `then`.
//! Also the shared order evaluation of [`super::after`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Operator;
use crate::rubric::compile::{Builder, Matcher};
use crate::rubric::eval::{Context, Evaluated, Located, Outcome, Tri};
use crate::rubric::reason::{self, Said};
use crate::rubric::schema::MatchSpec;
use crate::rubric::RubricError;

/// Some hit of `first` comes before the `nth` hit of `then`.
///
/// ```toml
/// pass = { before = { first = { role = "agent", any = ["apology"] }, then = { role = "agent", any = ["compensation"] } } }
/// ```
///
/// `first` and `then` are matches as in `say` (role, window, sets,
/// `use = "NAME"` …). Hits are ordered by utterance, then by position in
/// the utterance, so an apology earlier in the same utterance counts. False
/// when `then` has fewer than `nth` hits ("no compensation by the agent in
/// the call"), or when no hit of `first` precedes the anchor.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
#[schemars(inline)]
pub struct Before(pub Order);

/// The two matches of `before` / `after`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Order {
    /// The match that must come before (`before`) or after (`after`) the anchor.
    pub first: MatchSpec,
    /// The match whose `nth` hit is the anchor.
    pub then: MatchSpec,
    /// Which hit of `then` anchors the order (1 = the first).
    #[serde(default = "one")]
    pub nth: usize,
}

fn one() -> usize {
    1
}

/// A compiled [`Order`].
pub struct CompiledOrder {
    pub first: Matcher,
    pub then: Matcher,
    pub nth: usize,
}

impl Order {
    pub(super) fn compile(&self, b: &mut Builder) -> Result<CompiledOrder, RubricError> {
        Ok(CompiledOrder {
            first: b.matcher(&self.first)?,
            then: b.matcher(&self.then)?,
            nth: self.nth.max(1),
        })
    }
}

impl Operator for Before {
    type Compiled = CompiledOrder;

    fn compile(&self, b: &mut Builder) -> Result<CompiledOrder, RubricError> {
        self.0.compile(b)
    }

    fn eval(c: &CompiledOrder, cx: &Context) -> Evaluated {
        order(c, true, cx)
    }
}

/// `before` (`before = true`) or `after`.
pub(super) fn order(c: &CompiledOrder, before: bool, cx: &Context) -> Evaluated {
    let CompiledOrder { first, then, nth } = c;
    let (Some((firsts, _)), Some((thens, then_ok))) = (cx.hits(first), cx.hits(then)) else {
        return reason::unknown("先后顺序", "the order");
    };
    let Some(anchor) = (if then_ok { thens.get(nth - 1) } else { None }) else {
        return Evaluated::new(
            Tri::False,
            Outcome {
                missing: vec![reason::absent(then)],
                ..Default::default()
            },
        );
    };
    let key = |h: &Located| (h.utterance, h.start);
    let candidates: Vec<Located> = firsts
        .iter()
        .filter(|h| {
            if before {
                key(h) < key(anchor)
            } else {
                key(h) > key(anchor)
            }
        })
        .cloned()
        .collect();
    let anchor_said = Said::of(cx, then, std::slice::from_ref(anchor));
    if candidates.is_empty() {
        Evaluated::new(
            Tri::False,
            Outcome {
                evidence: vec![anchor.clone()],
                found: vec![],
                missing: vec![reason::order_missing(first, &anchor_said, before)],
            },
        )
    } else {
        let mut evidence = vec![candidates[0].clone(), anchor.clone()];
        evidence.sort_by_key(key);
        Evaluated::new(
            Tri::True,
            Outcome {
                evidence,
                found: vec![reason::order_found(
                    &Said::of(cx, first, &candidates[..1]),
                    &anchor_said,
                    before,
                )],
                missing: vec![],
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, one_item, x};
    use crate::score::Verdict;

    #[test]
    fn first_hit_before_the_anchor() {
        let sets = "[phrases.sorry]\nphrases = [\"抱歉\"]\n[phrases.offer]\nphrases = [\"代金券\"]";
        let r = one_item(sets, "pass = { before = { first = { role = \"agent\", any = [\"sorry\"] }, then = { role = \"agent\", any = [\"offer\"] } } }");
        let one_breath = call(&[
            ("customer", -1, -1, "我的快递丢了"),
            ("agent", -1, -1, "真的很抱歉，送您一张代金券"),
        ]);
        let late = call(&[
            ("agent", -1, -1, "送您一张代金券"),
            ("agent", -1, -1, "抱歉"),
        ]);
        assert_eq!(
            x(&r, &one_breath),
            Verdict::Pass,
            "earlier in the same utterance counts"
        );
        assert_eq!(x(&r, &late), Verdict::Fail);
        assert_eq!(
            x(&r, &call(&[("agent", -1, -1, "抱歉")])),
            Verdict::Fail,
            "no anchor"
        );
    }
}
