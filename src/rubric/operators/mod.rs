//! The condition operators of the rubric language, one module each.
//!
//! A module holds everything about its operator: the schema struct (its
//! `///` doc comment is the operator's reference documentation, printed by
//! `callqa explain --operator NAME` and written into the JSON schema), the
//! compile step (schema → runtime form, through the shared
//! [`Builder`](crate::rubric::compile::Builder)), the evaluation (on the
//! shared [`Context`](crate::rubric::eval::Context)) and its unit tests.
//!
//! [`operators!`] below is the registry: one line per operator, in the
//! order of the rubric file format. Adding an operator is one new module
//! plus one line there.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::rubric::compile::Builder;
use crate::rubric::eval::{Context, Evaluated};
use crate::rubric::RubricError;

/// What every operator provides; the registry dispatches to it.
pub trait Operator {
    /// The runtime form of the operator, built once per rubric.
    type Compiled;
    /// Resolves names (sets, patterns, `[matches]`) and checks the operator.
    fn compile(&self, b: &mut Builder) -> Result<Self::Compiled, RubricError>;
    /// Evaluates the compiled operator on one call.
    fn eval(compiled: &Self::Compiled, cx: &Context) -> Evaluated;
}

/// One registered operator: its rubric key and its schema (whose
/// `description` is the doc comment of its schema struct).
#[derive(Clone, Copy)]
pub struct OperatorInfo {
    pub name: &'static str,
    schema: fn() -> schemars::Schema,
}

impl OperatorInfo {
    /// The JSON schema of the operator's value.
    pub fn schema(&self) -> schemars::Schema {
        (self.schema)()
    }

    /// The operator's reference documentation (its doc comment).
    pub fn doc(&self) -> String {
        self.schema()
            .get("description")
            .and_then(|d| d.as_str())
            .unwrap_or_default()
            .to_string()
    }

    /// The first line of the documentation.
    pub fn summary(&self) -> String {
        let doc = self.doc();
        let first = doc.split("\n\n").next().unwrap_or_default();
        first.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

macro_rules! operators {
    ($($key:literal => $module:ident :: $ty:ident,)*) => {
        $(pub mod $module;)*

        /// A condition over one call. Written as a one-key table naming the
        /// operator, e.g. `{ say = { role = "agent", any = ["thanks"] } }`;
        /// `callqa explain --operators` lists them.
        #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
        pub enum Condition {
            $(
                #[serde(rename = $key)]
                $ty($module::$ty),
            )*
        }

        /// A compiled condition: each operator's runtime form.
        pub enum Cond {
            $($ty(<$module::$ty as Operator>::Compiled),)*
        }

        impl Condition {
            /// Compiles the condition with its operator's compile step.
            pub(crate) fn compile(&self, b: &mut Builder) -> Result<Cond, RubricError> {
                Ok(match self {
                    $(Condition::$ty(op) => Cond::$ty(op.compile(b)?),)*
                })
            }

            /// The operator's rubric key (`say`, `before` …).
            pub fn operator(&self) -> &'static str {
                match self {
                    $(Condition::$ty(_) => $key,)*
                }
            }
        }

        impl Cond {
            /// Evaluates the condition with its operator.
            pub(crate) fn eval(&self, cx: &Context) -> Evaluated {
                match self {
                    $(Cond::$ty(c) => <$module::$ty as Operator>::eval(c, cx),)*
                }
            }
        }

        /// Every operator, in registry order.
        pub const OPERATORS: &[OperatorInfo] = &[
            $(OperatorInfo {
                name: $key,
                schema: || schemars::schema_for!($module::$ty),
            },)*
        ];
    };
}

operators! {
    "say" => say::Say,
    "all" => all::All,
    "any" => any::Any,
    "not" => not::Not,
    "at_least" => at_least::AtLeast,
    "before" => before::Before,
    "after" => after::After,
    "between" => between::Between,
    "every" => every::Every,
    "repeated" => repeated::Repeated,
    "interruption" => interruption::Interruption,
    "silence" => silence::Silence,
    "speech_rate" => speech_rate::SpeechRate,
    "talk_ratio" => talk_ratio::TalkRatio,
}

/// The operator registered under `name`.
pub fn find(name: &str) -> Option<&'static OperatorInfo> {
    OPERATORS.iter().find(|o| o.name == name)
}

/// Tiny inline rubrics and calls for the operators' unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;

    use crate::rubric::{self, CompiledRubric, RubricError};
    use crate::score::Verdict;
    use crate::transcript::Transcript;

    /// A rubric with one item `x` worth 10 points: `body` holds the sets
    /// and patterns, `rule` the item's `pass` / `fail` / `applies`.
    pub fn one_item(body: &str, rule: &str) -> CompiledRubric {
        let text =
            format!("[rubric]\nid = \"t\"\n\n{body}\n[[item]]\nid = \"x\"\npoints = 10\n{rule}\n");
        let source = rubric::parse("t.toml", &text, |name| {
            Err(RubricError::Invalid {
                origin: "t.toml".into(),
                message: format!("no dictionary {name}"),
            })
        })
        .unwrap_or_else(|e| panic!("rubric does not parse: {e}"));
        CompiledRubric::compile(source).unwrap_or_else(|e| panic!("rubric does not compile: {e}"))
    }

    /// `(speaker, start_ms, end_ms, text)`; negative times mean "no timestamps".
    pub fn call(utterances: &[(&str, i64, i64, &str)]) -> Transcript {
        let us: Vec<serde_json::Value> = utterances
            .iter()
            .map(|(s, a, b, t)| {
                if *a < 0 {
                    serde_json::json!({"speaker": s, "text": t})
                } else {
                    serde_json::json!({"speaker": s, "start_ms": a, "end_ms": b, "text": t})
                }
            })
            .collect();
        let json = serde_json::json!({"call_id": "c1", "utterances": us});
        Transcript::from_json(&json.to_string(), Path::new("c1.json")).unwrap()
    }

    /// Item `x`'s verdict.
    pub fn x(r: &CompiledRubric, t: &Transcript) -> Verdict {
        r.score(t).items[0].verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operator_is_documented_and_named_like_its_key() {
        for op in OPERATORS {
            assert!(!op.doc().is_empty(), "{} has no doc comment", op.name);
            assert!(!op.summary().is_empty(), "{}", op.name);
        }
        let keys: Vec<&str> = OPERATORS.iter().map(|o| o.name).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), keys.len(), "an operator is registered twice");
        assert!(find("before").is_some() && find("nope").is_none());
    }
}
