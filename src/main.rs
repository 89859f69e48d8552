//! The `tagstory` command: parse arguments, run, and map the outcome to an exit status.

use std::process::ExitCode;

use clap::Parser;
use tagstory::cli::Cli;
use tagstory::cmd::{self, Outcome};

// glibc's allocator was 15% of a collect's CPU (small, short-lived JSON values freed on
// another thread than the one that made them); mimalloc's thread-local free lists are not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
