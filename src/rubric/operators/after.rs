//! `after`: some hit of `first` comes after the `nth` hit of `then`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::before::{order, CompiledOrder, Order};
use super::Operator;
use crate::rubric::compile::Builder;
use crate::rubric::eval::{Context, Evaluated};
use crate::rubric::RubricError;

/// Some hit of `first` comes after the `nth` hit of `then`.
///
/// ```toml
/// pass = { after = { first = { role = "agent", any = ["apology"] }, then = { role = "agent", any = ["compensation"] }, nth = 2 } }
/// ```
///
/// The mirror of `before`, with the same fields (`first`, `then`, `nth`):
/// hits are ordered by utterance, then by position in the utterance. False
/// when `then` has fewer than `nth` hits, or when no hit of `first` follows
/// the anchor.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
#[schemars(inline)]
pub struct After(pub Order);

impl Operator for After {
    type Compiled = CompiledOrder;

    fn compile(&self, b: &mut Builder) -> Result<CompiledOrder, RubricError> {
        self.0.compile(b)
    }

    fn eval(c: &CompiledOrder, cx: &Context) -> Evaluated {
        order(c, false, cx)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, one_item, x};
    use crate::score::Verdict;

    #[test]
    fn after_the_nth_hit() {
        let sets = "[phrases.sorry]\nphrases = [\"抱歉\"]\n[phrases.offer]\nphrases = [\"代金券\"]";
        let r = one_item(sets, "pass = { after = { first = { role = \"agent\", any = [\"sorry\"] }, then = { role = \"agent\", any = [\"offer\"] }, nth = 2 } }");
        let good = call(&[
            ("agent", -1, -1, "真的很抱歉"),
            ("agent", -1, -1, "送您一张代金券"),
            ("agent", -1, -1, "再送一张代金券，再次抱歉"),
        ]);
        let one_offer = call(&[("agent", -1, -1, "送您一张代金券，抱歉")]);
        assert_eq!(x(&r, &good), Verdict::Pass);
        assert_eq!(x(&r, &one_offer), Verdict::Fail, "there is no second offer");
    }
}
