//! How `tagstory media` shows its progress: a bar on a terminal, a line per file otherwise,
//! nothing with `--quiet`. Failures are always said, each on its own line.

use std::io::IsTerminal;

/// A bar when stderr is a terminal, plain lines when not, nothing when quiet.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    lines: bool,
    quiet: bool,
    bytes: u64,
}

impl Progress {
    /// Progress for a run; `quiet` shows only failures.
    pub fn new(quiet: bool) -> Progress {
        Progress {
            bar: None,
            lines: !quiet && !std::io::stderr().is_terminal(),
            quiet,
            bytes: 0,
        }
    }

    /// `files` are about to be fetched.
    pub(super) fn start(&mut self, files: u64) {
        if self.quiet || self.lines || files == 0 {
            return;
        }
        let bar = indicatif::ProgressBar::new(files);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {elapsed} media: {bar:30} {pos}/{len} files, {msg}",
            )
            .expect("valid template"),
        );
        bar.set_message("0 bytes");
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        self.bar = Some(bar);
    }

    pub(super) fn archived(&mut self, url: &str, mime: &str, size: u64) {
        self.bytes += size;
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(format!("{} bytes", self.bytes));
        } else if self.lines {
            eprintln!("archived {url}: {mime}, {size} bytes");
        }
    }

    pub(super) fn failed(&mut self, url: &str, detail: &str) {
        let message = format!("error: media `{url}`: {detail}");
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                bar.println(message);
            }
            None => eprintln!("{message}"),
        }
    }

    pub(super) fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
