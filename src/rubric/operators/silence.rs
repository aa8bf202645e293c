//! `silence`: a gap in the conversation, unless announced right before.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Operator;
use crate::rubric::compile::{Builder, Matcher};
use crate::rubric::eval::{whole, Context, Evaluated, Outcome, Tri};
use crate::rubric::reason;
use crate::rubric::schema::MatchSpec;
use crate::rubric::RubricError;

/// Nobody speaks for `min_ms` or more, without an announcement right
/// before. Needs timestamps.
///
/// ```toml
/// fail = { silence = { min_ms = 15000, announced = { role = "agent", any = ["hold_request"] }, lookback = 2 } }
/// ```
///
/// A gap starts when everything said so far has ended (overlapping speech
/// included). A hit of `announced` in one of the `lookback` utterances
/// before the gap (请稍等, 我帮您查一下) allows it. Without timestamps the
/// item answers its `without_timestamps` verdict. The reason gives the gap
/// and the last words before it ("18.0 s silence from 3.0 s to 21.0 s not
/// announced (last words: 「一二三」)").
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Silence {
    /// The shortest gap that counts, in ms.
    pub min_ms: u64,
    /// An utterance matching this among the `lookback` utterances before the
    /// silence announces it (请稍等…), and the silence is then allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announced: Option<MatchSpec>,
    /// How many utterances before the gap an announcement may be.
    #[serde(default = "default_lookback")]
    pub lookback: usize,
}

fn default_lookback() -> usize {
    2
}

/// A compiled [`Silence`].
pub struct CompiledSilence {
    pub min_ms: u64,
    pub announced: Option<Matcher>,
    pub lookback: usize,
}

impl Operator for Silence {
    type Compiled = CompiledSilence;

    fn compile(&self, b: &mut Builder) -> Result<CompiledSilence, RubricError> {
        Ok(CompiledSilence {
            min_ms: self.min_ms,
            announced: self.announced.as_ref().map(|m| b.matcher(m)).transpose()?,
            lookback: self.lookback,
        })
    }

    fn eval(c: &CompiledSilence, cx: &Context) -> Evaluated {
        let CompiledSilence {
            min_ms,
            announced,
            lookback,
        } = c;
        if !cx.call.timed {
            return reason::unknown("静音", "silences");
        }
        let announcements = match announced {
            Some(m) => match cx.hits(m) {
                Some((h, _)) => h,
                None => {
                    return reason::unknown("静音是否已提示", "whether silences were announced")
                }
            },
            None => Vec::new(),
        };
        let us = &cx.call.utterances;
        let mut found = Vec::new();
        let mut evidence = Vec::new();
        let mut allowed = Vec::new();
        // Speech so far ends at `reach`; a gap opens when the next
        // utterance starts later than that.
        let mut reach = 0u64;
        let mut last_ended: Option<usize> = None;
        for (i, u) in us.iter().enumerate() {
            let (Some(s), Some(e)) = (u.start_ms, u.end_ms) else {
                continue;
            };
            if let Some(prev) = last_ended {
                if s > reach && s - reach >= *min_ms {
                    let gap = s - reach;
                    let first_before = (prev + 1).saturating_sub(*lookback);
                    let announcement = announcements
                        .iter()
                        .find(|h| h.utterance >= first_before && h.utterance <= prev);
                    match announcement {
                        Some(a) => {
                            allowed.push(reason::silence_announced(
                                gap,
                                reach,
                                &reason::quote(cx.call, a),
                            ));
                        }
                        None => {
                            found.push(reason::silence(
                                gap,
                                reach,
                                s,
                                &reason::short(&cx.call.original(prev).text),
                            ));
                            evidence.push(whole(cx.call, prev));
                            evidence.push(whole(cx.call, i));
                        }
                    }
                }
            }
            if e >= reach {
                reach = e;
                last_ended = Some(i);
            }
        }
        if found.is_empty() {
            let mut missing = vec![reason::no_silence(*min_ms)];
            missing.extend(allowed);
            Evaluated::new(
                Tri::False,
                Outcome {
                    evidence: vec![],
                    found: vec![],
                    missing,
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
    fn needs_an_announcement_right_before() {
        let r = one_item(
            "[phrases.hold]\nphrases = [\"请稍等\"]",
            "fail = { silence = { min_ms = 15000, announced = { role = \"agent\", any = [\"hold\"] }, lookback = 2 } }",
        );
        let announced = call(&[
            ("agent", 0, 2000, "好的，请稍等"),
            ("customer", 2500, 3000, "好"),
            ("agent", 20000, 22000, "让您久等了"),
        ]);
        let unannounced = call(&[
            ("agent", 0, 2000, "请报一下单号"),
            ("customer", 2500, 3000, "一二三"),
            ("agent", 20000, 22000, "查到了"),
        ]);
        let short = call(&[
            ("agent", 0, 2000, "请报一下单号"),
            ("customer", 2500, 3000, "一二三"),
            ("agent", 17000, 18000, "查到了"),
        ]);
        assert_eq!(x(&r, &announced), Verdict::Pass);
        assert_eq!(x(&r, &unannounced), Verdict::Fail);
        assert_eq!(x(&r, &short), Verdict::Pass, "14 s is under the bound");
        assert_eq!(x(&r, &call(&[("agent", -1, -1, "您好")])), Verdict::Na);
    }
}
