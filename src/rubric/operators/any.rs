//! `any`: at least one sub-condition holds.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Cond, Condition, Operator};
use crate::rubric::compile::Builder;
use crate::rubric::eval::{Context, Evaluated, Outcome, Tri};
use crate::rubric::RubricError;

/// At least one sub-condition holds.
///
/// ```toml
/// pass = { any = [ { say = { any = ["apology"] } }, { say = { any = ["empathy"] } } ] }
/// ```
///
/// True as soon as one sub-condition is true (only the true ones give
/// evidence and findings then); otherwise `unknown` when one of them needs
/// timestamps the call lacks, else false with what each one missed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
#[schemars(inline)]
pub struct Any(pub Vec<Condition>);

impl Operator for Any {
    type Compiled = Vec<Cond>;

    fn compile(&self, b: &mut Builder) -> Result<Vec<Cond>, RubricError> {
        self.0.iter().map(|c| c.compile(b)).collect()
    }

    fn eval(children: &Vec<Cond>, cx: &Context) -> Evaluated {
        let results: Vec<Evaluated> = children.iter().map(|c| cx.eval(c)).collect();
        let value = if results.iter().any(|r| r.value == Tri::True) {
            Tri::True
        } else if results.iter().any(|r| r.value == Tri::Unknown) {
            Tri::Unknown
        } else {
            Tri::False
        };
        let mut out = Outcome::default();
        for r in results {
            if value == Tri::True && r.value != Tri::True {
                continue;
            }
            out.evidence.extend(r.out.evidence);
            out.found.extend(r.out.found);
            out.missing.extend(r.out.missing);
        }
        Evaluated::new(value, out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, one_item, x};
    use crate::score::Verdict;

    #[test]
    fn one_part_is_enough() {
        let sets = "[phrases.a]\nphrases = [\"谢谢\"]\n[phrases.b]\nphrases = [\"再见\"]";
        let r = one_item(sets, "pass = { any = [ { say = { role = \"agent\", any = [\"a\"] } }, { say = { role = \"agent\", any = [\"b\"] } } ] }");
        assert_eq!(x(&r, &call(&[("agent", -1, -1, "再见")])), Verdict::Pass);
        assert_eq!(x(&r, &call(&[("agent", -1, -1, "好的")])), Verdict::Fail);
    }
}
