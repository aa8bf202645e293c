//! `repeated`: the same phrase is hit at least `times` times.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Operator;
use crate::rubric::compile::{Builder, Matcher};
use crate::rubric::eval::{Context, Evaluated, Located, Outcome, Tri};
use crate::rubric::reason;
use crate::rubric::schema::MatchSpec;
use crate::rubric::RubricError;
use crate::text;

/// The same phrase of `of` is hit at least `times` times.
///
/// ```toml
/// fail = { repeated = { of = { role = "agent", any = ["empathy_formula"] }, times = 3 } }
/// ```
///
/// Hits count per phrase (after normalisation, so 您 and 你 are one
/// phrase), not per set: 理解您的心情 three times is a repetition, three
/// different phrases of the same set are not. The reason quotes the phrase
/// and when it was said ("the agent repeats 「理解您的心情」 3 times (2.0 s,
/// 9.5 s, 20.1 s)").
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Repeated {
    /// The match whose phrases are counted.
    pub of: MatchSpec,
    /// How many hits of one phrase make a repetition (at least 1).
    pub times: usize,
}

/// A compiled [`Repeated`].
pub struct CompiledRepeated {
    pub of: Matcher,
    pub times: usize,
}

impl Operator for Repeated {
    type Compiled = CompiledRepeated;

    fn compile(&self, b: &mut Builder) -> Result<CompiledRepeated, RubricError> {
        Ok(CompiledRepeated {
            of: b.matcher(&self.of)?,
            times: self.times.max(1),
        })
    }

    fn eval(c: &CompiledRepeated, cx: &Context) -> Evaluated {
        let CompiledRepeated { of, times } = c;
        let Some((hits, _)) = cx.hits(of) else {
            return reason::unknown("是否重复", "repetition");
        };
        let mut by_phrase: BTreeMap<String, Vec<Located>> = BTreeMap::new();
        for h in hits {
            let key = if h.phrase == u32::MAX {
                text::match_form(&h.matched)
            } else {
                cx.rubric.phrases[h.phrase as usize].clone()
            };
            by_phrase.entry(key).or_default().push(h);
        }
        let worst = by_phrase.iter().max_by_key(|(_, v)| v.len());
        match worst {
            Some((_, v)) if v.len() >= *times => {
                let at: Vec<Option<u64>> = v
                    .iter()
                    .map(|h| cx.call.utterances[h.utterance].start_ms)
                    .collect();
                let found = reason::repeated_found(
                    cx.call.utterances[v[0].utterance].role,
                    &reason::quote(cx.call, &v[0]),
                    &at,
                );
                Evaluated::new(
                    Tri::True,
                    Outcome {
                        evidence: v.clone(),
                        found: vec![found],
                        missing: vec![],
                    },
                )
            }
            Some((_, v)) => Evaluated::new(
                Tri::False,
                Outcome {
                    evidence: vec![],
                    found: vec![],
                    missing: vec![reason::repeated_missing(
                        of,
                        &reason::quote(cx.call, &v[0]),
                        v.len(),
                        *times,
                    )],
                },
            ),
            None => Evaluated::new(
                Tri::False,
                Outcome {
                    missing: vec![reason::absent(of)],
                    ..Default::default()
                },
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, one_item, x};
    use crate::score::Verdict;

    #[test]
    fn counts_the_same_formula() {
        let r = one_item(
            "[phrases.f]\nphrases = [\"理解您的心情\", \"非常理解\"]",
            "fail = { repeated = { of = { role = \"agent\", any = [\"f\"] }, times = 3 } }",
        );
        let thrice = call(&[
            ("agent", -1, -1, "我理解您的心情"),
            ("agent", -1, -1, "我理解你的心情"),
            ("agent", -1, -1, "我非常理解您的心情"),
        ]);
        let varied = call(&[
            ("agent", -1, -1, "我理解您的心情"),
            ("agent", -1, -1, "非常理解"),
            ("agent", -1, -1, "我理解您的心情"),
        ]);
        assert_eq!(x(&r, &thrice), Verdict::Fail);
        assert_eq!(x(&r, &varied), Verdict::Pass);
    }
}
