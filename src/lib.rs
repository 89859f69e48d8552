//! tagstory keeps public hashtag conversations: it collects posts from exports and feeds into one
//! SQLite archive and renders them as threaded, readable story pages.
//!
//! The pipeline is `sources` (parse) → `collect` (decide story membership, write through
//! `store`) and `store` (read) → `thread` (build reply trees) → `story` (view model) → `render`;
//! `media` fetches the pictures, video and sound a story shows into the archive.

pub mod cli;
pub mod cmd;
pub mod collect;
pub mod fetch;
pub mod forget;
pub mod media;
pub mod model;
pub mod render;
pub mod sanitize;
pub mod sources;
pub mod store;
pub mod story;
pub mod tag;
pub mod thread;
pub mod urls;
pub mod words;
