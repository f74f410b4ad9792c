//! Plans, states and raw `terraform.tfstate` files.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tierkey_fuzz::check("plan.json", data));
