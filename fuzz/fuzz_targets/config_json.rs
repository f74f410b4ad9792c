//! JSON configurations: native `.tf.json`, CDKTF `cdk.tf.json`, and
//! hcl2json output (a `.json` the classifier recognises), chosen by the
//! first byte so one corpus covers the three dialects.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let name = match first % 3 {
        0 => "main.tf.json",
        1 => "cdktf.out/stacks/app/cdk.tf.json",
        _ => "hcl2json.json",
    };
    tierkey_fuzz::check(name, rest);
});
