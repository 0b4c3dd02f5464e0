#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| licensedesk::fuzzing::apple_answers(data));
