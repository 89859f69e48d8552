//! The `tagstory` command: parse arguments, run, and map the outcome to an exit status.

use std::process::ExitCode;

use clap::Parser;
use tagstory::cli::Cli;
use tagstory::cmd::{self, Outcome};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cmd::run(cli) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::SourcesFailed) => ExitCode::from(1),
        Ok(Outcome::RecordsSkipped) => ExitCode::from(3),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}
