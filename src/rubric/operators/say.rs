//! `say`: phrases, patterns or a regex said by a role in a window.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Operator;
use crate::i18n::{Lang, Text};
use crate::rubric::compile::{Builder, Matcher};
use crate::rubric::eval::{Context, Evaluated, Outcome, Tri};
use crate::rubric::reason::{self, bare_en, scope_en, scope_zh, times_en, Part};
use crate::rubric::schema::MatchSpec;
use crate::rubric::RubricError;

/// A role says one of the phrase sets or patterns in a window of the call.
///
/// ```toml
/// pass = { say = { role = "agent", any = ["greeting"], within = { first_turns = 1 } } }
/// ```
///
/// What to look for: `any` (one of these sets or patterns), `all` (each of
/// them somewhere in scope), `at_least = N` with `of = [...]` (N distinct
/// ones), `none` (none of them may be hit; on its own, `say` then holds when
/// nothing is hit), inline `words`, or a `regex` over the normalised text
/// (at most 150 characters, always with a `label`). Where to look: `role`
/// (`agent`, `customer`; default anyone), `within` (`first_turns`,
/// `last_turns`, `first_ms`, `last_ms`, `first_percent`, `last_percent`),
/// `min_chars` / `max_chars` per utterance, `complete` (the other side did
/// not cut the utterance off). Filters: `unless` drops a hit whose sentence
/// also has a hit of one of these sets or patterns, `exclude` one whose
/// sentence matches a regex. `min_hits` hits are needed (default 1).
/// `use = "NAME"` starts from `[matches.NAME]`; fields given here override
/// it. With no criteria at all, every utterance in scope is a hit.
///
/// A time window (`first_ms`, `last_ms`) on a call without timestamps cannot
/// be judged: the item answers its `without_timestamps` verdict. Reasons
/// quote the match's `label` (or its sets' labels) and the words said, e.g.
/// "an offer to help by the agent at 3.2 s: 「还有什么可以帮您」", or "no
/// greeting by the agent in the first turn".
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
#[schemars(inline)]
pub struct Say(pub MatchSpec);

impl Operator for Say {
    type Compiled = Matcher;

    fn compile(&self, b: &mut Builder) -> Result<Matcher, RubricError> {
        b.matcher(&self.0)
    }

    fn eval(m: &Matcher, cx: &Context) -> Evaluated {
        let Some((hits, ok)) = cx.hits(m) else {
            let label = &m.label.text;
            return reason::unknown(label.get(Lang::Zh), bare_en(label.get(Lang::En)));
        };
        let enough = ok && (hits.len() >= m.min_hits || (!m.has_criteria() && !m.none.is_empty()));
        if enough {
            // Without hits only a `none` held: nothing forbidden was said.
            let found = if hits.is_empty() {
                vec![reason::absent(m)]
            } else {
                vec![reason::said(cx, m, &hits)]
            };
            Evaluated::new(
                Tri::True,
                Outcome {
                    evidence: hits,
                    found,
                    missing: vec![],
                },
            )
        } else {
            let missing = if hits.is_empty() || m.min_hits <= 1 {
                vec![reason::absent(m)]
            } else {
                let label = &m.label.text;
                vec![Part::Note(Text::new(
                    format!(
                        "{}只说了 {} 次{}，需要 {} 次",
                        scope_zh(m.role),
                        hits.len(),
                        label.get(Lang::Zh),
                        m.min_hits
                    ),
                    format!(
                        "{} by {} only {}, {} needed",
                        label.get(Lang::En),
                        scope_en(m.role),
                        times_en(hits.len()),
                        m.min_hits
                    ),
                ))]
            };
            let evidence = if hits.is_empty() {
                cx.looked_at(m)
            } else {
                hits
            };
            Evaluated::new(
                Tri::False,
                Outcome {
                    evidence,
                    found: vec![],
                    missing,
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
    fn any_all_at_least_and_none() {
        let sets = "[phrases.a]\nphrases = [\"您好\"]\n[phrases.b]\nphrases = [\"欢迎致电\"]\n[phrases.c]\nphrases = [\"请讲\"]";
        let all = one_item(
            sets,
            "pass = { say = { role = \"agent\", all = [\"a\", \"b\", \"c\"] } }",
        );
        let two = one_item(
            sets,
            "pass = { say = { role = \"agent\", at_least = 2, of = [\"a\", \"b\", \"c\"] } }",
        );
        let none = one_item(
            sets,
            "pass = { say = { role = \"agent\", none = [\"c\"] } }",
        );
        let full = call(&[("agent", -1, -1, "您好，欢迎致电，请讲")]);
        let partial = call(&[("agent", -1, -1, "您好，请讲")]);
        let bare = call(&[("agent", -1, -1, "喂")]);
        assert_eq!(x(&all, &full), Verdict::Pass);
        assert_eq!(x(&all, &partial), Verdict::Fail);
        assert_eq!(x(&two, &partial), Verdict::Pass);
        assert_eq!(x(&two, &bare), Verdict::Fail);
        assert_eq!(x(&none, &bare), Verdict::Pass);
        assert_eq!(x(&none, &partial), Verdict::Fail);
    }

    #[test]
    fn role_window_and_min_hits() {
        let sets = "[phrases.g]\nphrases = [\"您好\"]";
        let first_turn = one_item(
            sets,
            "pass = { say = { role = \"agent\", any = [\"g\"], within = { first_turns = 1 } } }",
        );
        let first_ms = one_item(
            sets,
            "pass = { say = { role = \"agent\", any = [\"g\"], within = { first_ms = 5000 } } }",
        );
        let twice = one_item(
            sets,
            "pass = { say = { role = \"agent\", any = [\"g\"], min_hits = 2 } }",
        );
        let late = call(&[
            ("agent", 0, 1000, "喂"),
            ("customer", 1500, 3000, "您好"),
            ("agent", 8000, 9000, "您好"),
        ]);
        assert_eq!(x(&first_turn, &late), Verdict::Fail);
        assert_eq!(x(&first_ms, &late), Verdict::Fail);
        assert_eq!(
            x(&twice, &late),
            Verdict::Fail,
            "the customer's 您好 is not the agent's"
        );
        assert_eq!(
            x(&first_ms, &call(&[("agent", -1, -1, "您好")])),
            Verdict::Na
        );
        let card = first_turn.score(&late);
        assert!(
            card.items[0].reason_en.contains("in the first turn"),
            "{}",
            card.items[0].reason_en
        );
        assert!(
            card.items[0].reason.contains("首轮发言中没有"),
            "{}",
            card.items[0].reason
        );
    }
}
