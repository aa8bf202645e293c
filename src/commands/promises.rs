//! `callqa promises`: promises in the agents' speech, as the rubric's promise
//! act finds them, with their deadlines and whether they were kept.

use anyhow::Context as _;
use clap::Args;

use callqa::report::{render_promises, DatasetFormat};

use super::args::{DataArgs, RubricArg};
use super::{write_stdout, Context, Outcome};

#[derive(Args, Debug)]
pub struct PromisesArgs {
    #[command(flatten)]
    pub rubric: RubricArg,
    #[command(flatten)]
    pub data: DataArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: DatasetFormat,
}

pub fn run(args: PromisesArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    // What a promise is comes from the rubric's promise act, the same one
    // `promise_specific` scores.
    let rubric = args.rubric.load()?;
    callqa::promises::check_rubric(&rubric)
        .with_context(|| format!("rubric `{}` cannot find promises", rubric.id()))?;
    let follow = callqa::promises::follow_through_with(
        &rubric,
        &args.data.transcripts()?,
        args.data.as_of()?,
    );
    let text = render_promises(&follow, args.format, ctx.lang);
    write_stdout(&text)?;
    Ok(Outcome::Clean)
}
