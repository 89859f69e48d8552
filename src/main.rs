//! The `tagstory` command.
fn main() {}
