#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| licensedesk::fuzzing::licensing_replies(data));
