//! `tierkey.toml`: every error points into the file.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(error) = tierkey::settings::parse(std::path::Path::new("tierkey.toml"), text) {
        if let Some(span) = error.span {
            assert!(
                span.start <= span.end && span.end <= text.len() + 1,
                "{span:?}"
            );
        }
    }
});
