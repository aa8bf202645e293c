//! `callqa explain`: what a rubric item checks and why, with an example and
//! its rule; or the documentation of the rubric language's operators and
//! token patterns.

use anyhow::bail;
use clap::Args;

use callqa::explain;
use callqa::report::visible_lines;

use super::args::RubricArg;
use super::{Context, Outcome};

#[derive(Args, Debug)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub rubric: RubricArg,
    /// Explain every item.
    #[arg(long, conflicts_with_all = ["item", "operator", "operators"])]
    pub all: bool,
    /// Document one condition operator (say, before, every …).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["item", "operators"])]
    pub operator: Option<String>,
    /// List every condition operator, one line each.
    #[arg(long, conflicts_with = "item")]
    pub operators: bool,
    /// The token-pattern language: what a `[patterns.NAME]` sequence can say.
    #[arg(long, conflicts_with_all = ["item", "operator", "operators", "all"])]
    pub patterns: bool,
    /// Item id, e.g. greeting.
    #[arg(required_unless_present_any = ["all", "operator", "operators", "patterns"])]
    pub item: Option<String>,
}

pub fn run(args: ExplainArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    if args.patterns {
        super::write_stdout(&callqa::rubric::pattern::REFERENCE)?;
        return Ok(Outcome::Clean);
    }
    if args.operators {
        super::write_stdout(&explain::list_operators())?;
        return Ok(Outcome::Clean);
    }
    if let Some(name) = args.operator {
        let Some(doc) = explain::explain_operator_in(&name, ctx.lang) else {
            bail!(
                "no condition operator `{name}`; operators: {}",
                callqa::rubric::operators::OPERATORS
                    .iter()
                    .map(|o| o.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        };
        super::write_stdout(&doc)?;
        return Ok(Outcome::Clean);
    }
    let rubric = args.rubric.load()?;
    if args.all {
        super::write_stdout(&visible_lines(&explain::explain_all_in(&rubric, ctx.lang)))?;
        return Ok(Outcome::Clean);
    }
    let id = args.item.unwrap_or_default();
    let Some(item) = rubric.item(&id) else {
        bail!(
            "rubric `{}` has no item `{id}`; items: {}",
            rubric.id(),
            rubric
                .items
                .iter()
                .map(|i| i.def.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    super::write_stdout(&visible_lines(&explain::explain_item_in(
        &rubric, &item.def, ctx.lang,
    )))?;
    Ok(Outcome::Clean)
}
