//! `every`: each hit of `of` has a hit of `has` in the same clause,
//! sentence or utterance.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Operator;
use crate::rubric::compile::{Builder, Matcher};
use crate::rubric::eval::{Context, Evaluated, Located, Outcome, Tri};
use crate::rubric::reason::{self, Said};
use crate::rubric::schema::MatchSpec;
use crate::rubric::RubricError;

/// Every hit of `of` has a hit of `has` in the same `scope`.
///
/// ```toml
/// pass = { every = { of = { role = "agent", any = ["callback_promise"] }, has = { role = "agent", any = ["time_expression"] }, scope = "sentence" } }
/// ```
///
/// `scope` is `clause`, `sentence` (default) or `utterance`; `lookback = K`
/// also accepts a supporting hit in the K earlier utterances of the same
/// speaker; `first_only` checks only the first hit of `of`. True when `of`
/// is not hit at all ("no callback promise by the agent"); otherwise false
/// with the hits that lack support ("「稍后给您回电」 without a time").
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Every {
    /// The match each of whose hits needs support.
    pub of: MatchSpec,
    /// The supporting match.
    pub has: MatchSpec,
    /// Where the support must be: the same clause, sentence or utterance.
    #[serde(default)]
    pub scope: Scope,
    /// Also look in this many earlier utterances of the same speaker.
    #[serde(default)]
    pub lookback: usize,
    /// Check only the first hit of `of` (later hits repeat what the first announced).
    #[serde(default)]
    pub first_only: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Clause,
    #[default]
    Sentence,
    Utterance,
}

/// A compiled [`Every`].
pub struct CompiledEvery {
    pub of: Matcher,
    pub has: Matcher,
    pub scope: Scope,
    pub lookback: usize,
    pub first_only: bool,
}

impl Operator for Every {
    type Compiled = CompiledEvery;

    fn compile(&self, b: &mut Builder) -> Result<CompiledEvery, RubricError> {
        Ok(CompiledEvery {
            of: b.matcher(&self.of)?,
            has: b.matcher(&self.has)?,
            scope: self.scope,
            lookback: self.lookback,
            first_only: self.first_only,
        })
    }

    fn eval(c: &CompiledEvery, cx: &Context) -> Evaluated {
        let CompiledEvery {
            of,
            has,
            scope,
            lookback,
            first_only,
        } = c;
        let (Some((mut hits, ok)), Some((supports, _))) = (cx.hits(of), cx.hits(has)) else {
            return reason::unknown(
                "是否都带有所需内容",
                "whether each one comes with what it needs",
            );
        };
        if !ok || hits.is_empty() {
            return Evaluated::new(
                Tri::True,
                Outcome {
                    found: vec![reason::absent(of)],
                    ..Default::default()
                },
            );
        }
        if *first_only {
            hits.truncate(1);
        }
        let mut unsupported = Vec::new();
        let mut supported = Vec::new();
        for h in &hits {
            let support = supports
                .iter()
                .find(|s| same_scope(cx, h, s, *scope, *lookback));
            match support {
                Some(s) => {
                    supported.push(h.clone());
                    supported.push(s.clone());
                }
                None => unsupported.push(h.clone()),
            }
        }
        if unsupported.is_empty() {
            supported.sort_by_key(|h| (h.utterance, h.start));
            let found = reason::every_found(cx, of, has, &supported);
            Evaluated::new(
                Tri::True,
                Outcome {
                    evidence: supported,
                    found: vec![found],
                    missing: vec![],
                },
            )
        } else {
            let missing = reason::every_missing(&Said::of(cx, of, &unsupported), has);
            Evaluated::new(
                Tri::False,
                Outcome {
                    evidence: unsupported,
                    found: vec![],
                    missing: vec![missing],
                },
            )
        }
    }
}

/// True when `support` is in the same `scope` as `hit` (or, with
/// `lookback`, in one of the earlier utterances of the same speaker).
fn same_scope(
    cx: &Context,
    hit: &Located,
    support: &Located,
    scope: Scope,
    lookback: usize,
) -> bool {
    if support.utterance == hit.utterance {
        let t = &cx.call.utterances[hit.utterance].text;
        return match scope {
            Scope::Utterance => true,
            Scope::Sentence => {
                t.sentence_of.get(hit.start)
                    == t.sentence_of
                        .get(support.start.min(t.len().saturating_sub(1)))
            }
            Scope::Clause => {
                t.clause_of.get(hit.start)
                    == t.clause_of
                        .get(support.start.min(t.len().saturating_sub(1)))
            }
        };
    }
    if lookback == 0 || support.utterance > hit.utterance {
        return false;
    }
    let role = cx.call.utterances[hit.utterance].role;
    let earlier: Vec<usize> = (0..hit.utterance)
        .rev()
        .filter(|&i| cx.call.utterances[i].role == role)
        .take(lookback)
        .collect();
    earlier.contains(&support.utterance)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, one_item, x};
    use crate::score::Verdict;

    #[test]
    fn each_hit_needs_support_in_its_sentence() {
        let r = one_item(
            "[phrases.promise]\nphrases = [\"给您回电\"]",
            "applies = { say = { role = \"agent\", any = [\"promise\"] } }\npass = { every = { of = { role = \"agent\", any = [\"promise\"] }, has = { role = \"agent\", words = [\"明天\"] }, scope = \"sentence\" } }",
        );
        assert_eq!(
            x(&r, &call(&[("agent", -1, -1, "明天上午给您回电。")])),
            Verdict::Pass
        );
        assert_eq!(
            x(
                &r,
                &call(&[("agent", -1, -1, "明天上午给您回电。稍后再给您回电。")])
            ),
            Verdict::Fail
        );
        assert_eq!(
            x(&r, &call(&[("agent", -1, -1, "好的，再见。")])),
            Verdict::Na
        );
    }
}
