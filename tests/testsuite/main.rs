//! Integration tests: the real `tagstory` binary on real files, a real SQLite archive in a
//! temporary directory, and the real samples in `../shared/corpus` when they are present.

// A test crate has no public API: `pub` here only shares helpers between modules.
#![allow(unreachable_pub)]
mod anonymity;
mod collect;
mod concurrency;
mod consent;
mod corpus;
mod crash;
mod curation;
mod edge_cases;
mod formats;
mod fuzz_regressions;
mod hostile;
mod hostile_outputs;
mod hostile_shapes;
mod live;
mod media;
mod offline;
mod output;
mod passed;
mod proxy;
mod read_only;
mod records;
mod render;
mod reply_counts;
mod rich;
mod storify;
mod streaming;
mod support;
