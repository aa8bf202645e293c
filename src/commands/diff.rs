//! `callqa diff` (being built; see issue 12).

use clap::Args;

use super::{Context, Outcome};

#[derive(Args, Debug)]
pub struct DiffArgs {}

pub fn run(_args: DiffArgs, _ctx: &Context) -> anyhow::Result<Outcome> {
    anyhow::bail!("callqa diff is not built yet")
}
