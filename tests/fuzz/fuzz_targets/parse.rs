//! See `tagstory_fuzz::parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tagstory_fuzz::parse(data));
