//! See `tagstory_fuzz::story`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tagstory_fuzz::story(data));
