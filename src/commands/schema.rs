//! `callqa schema`: the JSON schema of the rubric file format.

use clap::Args;

use super::{Context, Outcome};

#[derive(Args, Debug)]
pub struct SchemaArgs {}

pub fn run(_args: SchemaArgs, _ctx: &Context) -> anyhow::Result<Outcome> {
    // The schema is a machine contract: the same in every language.
    super::write_stdout(&format!("{}\n", callqa::rubric::json_schema()))?;
    Ok(Outcome::Clean)
}
