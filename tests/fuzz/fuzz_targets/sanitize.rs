//! See `tagstory_fuzz::sanitize`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tagstory_fuzz::sanitize(data));
