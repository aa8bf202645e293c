//! `callqa mutate` (being built; see issue 12).

use clap::Args;

use super::{Context, Outcome};

#[derive(Args, Debug)]
pub struct MutateArgs {}

pub fn run(_args: MutateArgs, _ctx: &Context) -> anyhow::Result<Outcome> {
    anyhow::bail!("callqa mutate is not built yet")
}
