//! libFuzzer target `transcript`: see `fuzz/entry.rs` for what it exercises.
#![no_main]

#[path = "../entry.rs"]
mod entry;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entry::transcript(data));
