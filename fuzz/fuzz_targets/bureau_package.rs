#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| permitkit_fuzzing::bureau_package(data));
