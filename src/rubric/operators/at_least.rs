//! `at_least`: at least `n` of the sub-conditions hold.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Cond, Condition, Operator};
use crate::rubric::compile::Builder;
use crate::rubric::eval::{Context, Evaluated, Outcome, Tri};
use crate::rubric::RubricError;

/// At least `n` of the sub-conditions hold.
///
/// ```toml
/// pass = { at_least = { n = 2, of = [ { say = { any = ["name"] } }, { say = { any = ["order_no"] } }, { say = { any = ["phone"] } } ] } }
/// ```
///
/// `unknown` when the true ones plus those that need missing timestamps
/// could reach `n`. A reason starts with "only K of N needed".
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AtLeast {
    /// How many sub-conditions must hold.
    #[schemars(with = "usize")]
    pub n: toml::Spanned<usize>,
    /// The sub-conditions.
    pub of: Vec<Condition>,
}

/// A compiled [`AtLeast`].
pub struct CompiledAtLeast {
    pub n: usize,
    pub of: Vec<Cond>,
}

impl Operator for AtLeast {
    type Compiled = CompiledAtLeast;

    fn compile(&self, b: &mut Builder) -> Result<CompiledAtLeast, RubricError> {
        let n = *self.n.get_ref();
        if n == 0 || n > self.of.len() {
            return Err(b.error_at(
                self.n.span(),
                format!(
                    "`n = {n}` with {} conditions in `of`: `at_least` would {}: write a number from 1 to {}",
                    self.of.len(),
                    if n == 0 { "always hold" } else { "never hold" },
                    self.of.len().max(1)
                ),
            ));
        }
        Ok(CompiledAtLeast {
            n,
            of: self
                .of
                .iter()
                .map(|c| c.compile(b))
                .collect::<Result<_, _>>()?,
        })
    }

    fn eval(c: &CompiledAtLeast, cx: &Context) -> Evaluated {
        let CompiledAtLeast { n, of: children } = c;
        let results: Vec<Evaluated> = children.iter().map(|c| cx.eval(c)).collect();
        let yes = results.iter().filter(|r| r.value == Tri::True).count();
        let maybe = results.iter().filter(|r| r.value == Tri::Unknown).count();
        let value = if yes >= *n {
            Tri::True
        } else if yes + maybe >= *n {
            Tri::Unknown
        } else {
            Tri::False
        };
        let mut out = Outcome::default();
        for r in results {
            out.evidence.extend(r.out.evidence);
            out.found.extend(r.out.found);
            out.missing.extend(r.out.missing);
        }
        if value == Tri::False {
            out.missing.insert(
                0,
                crate::rubric::reason::Part::Note(crate::i18n::Text::new(
                    format!("{} 项条件中只满足了 {yes} 项，需要 {n} 项", children.len()),
                    format!(
                        "only {yes} of the {} conditions held, {n} needed",
                        children.len()
                    ),
                )),
            );
        }
        Evaluated::new(value, out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, one_item, x};
    use crate::score::Verdict;

    #[test]
    fn counts_the_parts_that_hold() {
        let sets = "[phrases.a]\nphrases = [\"谢谢\"]\n[phrases.b]\nphrases = [\"再见\"]";
        let one = one_item(sets, "pass = { at_least = { n = 1, of = [ { say = { any = [\"a\"] } }, { say = { any = [\"b\"] } } ] } }");
        let two = one_item(sets, "pass = { at_least = { n = 2, of = [ { say = { any = [\"a\"] } }, { say = { any = [\"b\"] } } ] } }");
        let bye = call(&[("customer", -1, -1, "再见")]);
        assert_eq!(x(&one, &bye), Verdict::Pass);
        assert_eq!(x(&two, &bye), Verdict::Fail);
        let card = two.score(&bye);
        assert!(card.items[0]
            .reason_en
            .starts_with("only 1 of the 2 conditions held, 2 needed"));
        assert!(card.items[0].reason.starts_with("2 项条件中只满足了 1 项"));
    }
}
