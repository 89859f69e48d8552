//! See `tagstory_fuzz::read`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tagstory_fuzz::read(data));
