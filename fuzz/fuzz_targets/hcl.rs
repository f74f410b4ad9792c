//! `.tf` files: the HCL front end and the evaluator.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tierkey_fuzz::check("fuzz-root/main.tf", data));
