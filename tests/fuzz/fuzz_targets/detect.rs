//! See `tagstory_fuzz::detect`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tagstory_fuzz::detect(data));
