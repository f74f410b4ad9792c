//! The oracles every fuzz target checks, whatever the input: no panic
//! (libFuzzer reports one), an input that failed never gives a clean exit
//! status, every location lies inside its file on character boundaries,
//! every output format renders, and no control byte of the input reaches
//! the human, compact or GitHub output.

use tierkey::report::{self, Format, Style};
use tierkey::{ExitStatus, FailOn, Label, Options, TagPair, TagValue, Tier};

fn options() -> Options {
    let tier = TagPair {
        key: "tier".into(),
        value: TagValue::Exact("database".into()),
    };
    Options {
        jobs: 1,
        ..Options::new(Vec::new(), vec![Tier::new("database", vec![tier])])
    }
}

/// Checks `data` as the file `name` and applies the oracles.
pub fn check(name: &str, data: &[u8]) {
    let options = options();
    let outcome = tierkey::check_bytes(name, data.to_vec(), &options);
    assert_eq!(outcome.inputs.len(), 1, "one input");
    if outcome.inputs.iter().any(|i| i.error.is_some()) {
        assert_eq!(
            outcome.exit_status(FailOn::Never),
            ExitStatus::Error,
            "an input that failed never exits clean"
        );
    }
    let inside = |label: &Label| {
        for span in [&label.span, &label.focus] {
            let text = outcome.sources.get(span.file).text();
            let range = &span.range;
            assert!(
                range.start <= range.end && range.end <= text.len(),
                "{range:?} outside a file of {} bytes",
                text.len()
            );
            assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
        }
    };
    for f in &outcome.findings {
        inside(&f.primary);
        f.review_related().for_each(inside);
        if let Some(source) = &f.source {
            inside(source);
        }
    }
    for input in &outcome.inputs {
        if let (Some(file), Some(span)) = (
            input.file,
            input.error.as_ref().and_then(|e| e.span.as_ref()),
        ) {
            let text = outcome.sources.get(file).text();
            assert!(
                span.start <= text.len(),
                "error at {span:?} outside {} bytes",
                text.len()
            );
        }
    }
    // Every format renders, for one input in sixteen (chosen by the input,
    // so runs stay reproducible): rendering is most of the time of a run,
    // and the formats read the outcome, not the input.
    if data.iter().fold(0u8, |a, b| a.wrapping_add(*b)) % 16 != 0 {
        return;
    }
    for format in Format::ALL {
        let mut out = Vec::new();
        report::write(
            *format,
            &outcome,
            &options.tiers,
            Style::default(),
            &mut out,
        )
        .expect("render");
        // Without colour, no control character of the input reaches the
        // terminal or a log.
        if matches!(format, Format::Human | Format::Compact | Format::Github) {
            assert!(
                !out.iter().any(|&b| b < 0x20 && b != b'\n' && b != b'\t'),
                "{format:?} output holds a control byte"
            );
        }
    }
}
