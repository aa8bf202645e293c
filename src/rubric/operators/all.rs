//! `all`: every sub-condition holds.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Cond, Condition, Operator};
use crate::rubric::compile::Builder;
use crate::rubric::eval::{Context, Evaluated, Outcome, Tri};
use crate::rubric::RubricError;

/// Every sub-condition holds.
///
/// ```toml
/// pass = { all = [ { say = { role = "agent", any = ["thanks"] } }, { not = { say = { any = ["taboo"] } } } ] }
/// ```
///
/// False as soon as one sub-condition is false; otherwise `unknown` when one
/// of them needs timestamps the call lacks. The evidence and the findings of
/// every sub-condition are kept; the reason lists what the sub-conditions
/// that did not hold missed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
#[schemars(inline)]
pub struct All(pub Vec<Condition>);

impl Operator for All {
    type Compiled = Vec<Cond>;

    fn compile(&self, b: &mut Builder) -> Result<Vec<Cond>, RubricError> {
        self.0.iter().map(|c| c.compile(b)).collect()
    }

    fn eval(children: &Vec<Cond>, cx: &Context) -> Evaluated {
        let results: Vec<Evaluated> = children.iter().map(|c| cx.eval(c)).collect();
        let value = if results.iter().any(|r| r.value == Tri::False) {
            Tri::False
        } else if results.iter().any(|r| r.value == Tri::Unknown) {
            Tri::Unknown
        } else {
            Tri::True
        };
        let mut out = Outcome::default();
        for r in results {
            out.evidence.extend(r.out.evidence);
            out.found.extend(r.out.found);
            if r.value != Tri::True {
                out.missing.extend(r.out.missing);
            }
        }
        Evaluated::new(value, out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, one_item, x};
    use crate::score::Verdict;

    #[test]
    fn every_part_must_hold() {
        let sets = "[phrases.a]\nphrases = [\"谢谢\"]\n[phrases.b]\nphrases = [\"再见\"]";
        let r = one_item(sets, "pass = { all = [ { say = { role = \"agent\", any = [\"a\"] } }, { say = { role = \"agent\", any = [\"b\"] } } ] }");
        assert_eq!(
            x(&r, &call(&[("agent", -1, -1, "谢谢，再见")])),
            Verdict::Pass
        );
        assert_eq!(x(&r, &call(&[("agent", -1, -1, "谢谢")])), Verdict::Fail);
    }
}
