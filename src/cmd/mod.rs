//! One module per subcommand: each turns its clap arguments into work and reports to stderr.

pub mod collect;
pub mod output;
pub mod render;

use crate::cli::{Cli, Command};

/// How a command ended, when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything was done.
    Done,
    /// Done, but some sources failed.
    SourcesFailed,
    /// Done, but some records were skipped.
    RecordsSkipped,
}

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Collect(args) => collect::run(&args),
        Command::Render(args) => render::run(&args),
    }
}
