//! `tagstory list`: the stories an archive holds.

use anyhow::Result;

use super::{Outcome, plural};
use crate::cli::ListArgs;
use crate::store::Store;

/// Runs `list`.
pub fn run(args: &ListArgs) -> Result<Outcome> {
    let (_, stories) = super::read_archive(&args.db.db, "TAG", Store::list_stories)?;
    if stories.is_empty() {
        eprintln!("`{}` holds no story yet", args.db.db.display());
    }
    for s in &stories {
        let dates = match (s.first, s.last) {
            (Some(a), Some(b)) if a.date_naive() == b.date_naive() => {
                a.format("%Y-%m-%d").to_string()
            }
            (Some(a), Some(b)) => format!("{} – {}", a.format("%Y-%m-%d"), b.format("%Y-%m-%d")),
            _ => String::new(),
        };
        let title = s
            .title
            .as_deref()
            .map(|t| format!("  “{}”", super::one_line(t)))
            .unwrap_or_default();
        println!(
            "#{}{title}\n    {}, {}, {dates}",
            s.tag,
            plural(s.posts, "post"),
            plural(s.participants, "participant"),
        );
    }
    Ok(Outcome::Done)
}
