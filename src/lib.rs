//! tagstory keeps public hashtag conversations: it collects posts from exports and feeds into one
//! SQLite archive and renders them as threaded, readable story pages.
//!
//! The pipeline is `sources` (parse) → `collect` (decide story membership, write through
//! `store`) and `store` (read) → `thread` (build reply trees) → `story` (view model) → `render`.

pub mod model;
pub mod sanitize;
pub mod sources;
pub mod tag;
pub mod store;
pub mod thread;
pub mod collect;
pub mod story;
pub mod render;
pub mod cli;
pub mod cmd;
