#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| permitkit_fuzzing::chip_image_package(data));
