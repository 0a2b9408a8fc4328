#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| permitkit_fuzzing::create_file_fcp(data));
