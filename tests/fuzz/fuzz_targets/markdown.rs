//! See `tagstory_fuzz::markdown`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tagstory_fuzz::markdown(data));
