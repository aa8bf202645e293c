//! `not`: the sub-condition does not hold.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Cond, Condition, Operator};
use crate::rubric::compile::Builder;
use crate::rubric::eval::{Context, Evaluated, Outcome, Tri};
use crate::rubric::RubricError;

/// The sub-condition does not hold.
///
/// ```toml
/// pass = { not = { say = { role = "agent", any = ["taboo"] } } }
/// ```
///
/// `unknown` stays `unknown`. What the sub-condition found becomes what
/// `not` missed, and the other way round, so a reason says what was said
/// that should not have been.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
#[schemars(inline)]
pub struct Not(pub Box<Condition>);

impl Operator for Not {
    type Compiled = Box<Cond>;

    fn compile(&self, b: &mut Builder) -> Result<Box<Cond>, RubricError> {
        Ok(Box::new(self.0.compile(b)?))
    }

    fn eval(inner: &Box<Cond>, cx: &Context) -> Evaluated {
        let r = cx.eval(inner);
        let value = match r.value {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        };
        // What the inner condition found is why `not` fails, and the
        // other way round.
        Evaluated::new(
            value,
            Outcome {
                evidence: r.out.evidence,
                found: r.out.missing,
                missing: r.out.found,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, one_item, x};
    use crate::score::Verdict;

    #[test]
    fn negates_and_keeps_unknown() {
        let sets = "[phrases.b]\nphrases = [\"再见\"]";
        let r = one_item(
            sets,
            "pass = { not = { say = { role = \"agent\", any = [\"b\"] } } }",
        );
        assert_eq!(x(&r, &call(&[("agent", -1, -1, "谢谢")])), Verdict::Pass);
        assert_eq!(
            x(&r, &call(&[("agent", -1, -1, "谢谢，再见")])),
            Verdict::Fail
        );
        let timed = one_item(
            sets,
            "pass = { not = { say = { any = [\"b\"], within = { first_ms = 1000 } } } }",
        );
        assert_eq!(x(&timed, &call(&[("agent", -1, -1, "再见")])), Verdict::Na);
    }
}
