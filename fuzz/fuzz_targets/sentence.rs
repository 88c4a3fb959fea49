#![no_main]
//! Fuzz target: see `aiswatch_fuzz::sentence`.

#[global_allocator]
static ALLOC: aiswatch_fuzz::alloc::Counting = aiswatch_fuzz::alloc::Counting;

libfuzzer_sys::fuzz_target!(|data: &[u8]| aiswatch_fuzz::sentence(data));
