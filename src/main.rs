//! The `tagstory` command: parse arguments, run, and map the outcome to an exit status.

use std::process::ExitCode;

use clap::Parser;
use tagstory::cli::Cli;
use tagstory::cmd::{self, Outcome};

// glibc's allocator was 15% of a collect's CPU (small, short-lived JSON values freed on
// another thread than the one that made them); mimalloc's thread-local free lists are not.
// Its v2 line (Cargo feature `v2`) gives freed memory back to the OS after 10 ms; v3 waits
// a second, and a second collect, which frees much at once, peaked 68 MB against a 64 MB
// bound. The delay is set only by the environment or an unsafe call, which this crate forbids.
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
