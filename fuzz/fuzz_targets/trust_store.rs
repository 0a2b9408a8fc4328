#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| permitkit_fuzzing::trust_store(data));
