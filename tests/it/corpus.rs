//! The shared corpus of real inputs (`../shared/corpus`): every plan,
//! state, `.tf.json`, CDKTF and hcl2json file is read as what it is,
//! without an error, and checked without a panic, in both formats; the
//! deliberately malformed one is reported. When the corpus is not beside
//! the checkout the test is ignored and says so (under CI it fails).

use std::fs;

use tierkey::report::{self, Format, Style};
use tierkey::{Options, RuleOptions, TagPair, TagValue, Tier};

use crate::root;

fn options(path: std::path::PathBuf) -> Options {
    Options {
        paths: vec![path],
        tiers: vec![Tier::new(
            "database",
            vec![
                TagPair {
                    key: "Environment".into(),
                    value: TagValue::Exact("dev".into()),
                },
                TagPair {
                    key: "managed_by".into(),
                    value: TagValue::Exact("terraform".into()),
                },
            ],
        )],
        default_region: None,
        vars: Vec::new(),
        rule: RuleOptions::default(),
        settings: None,
    }
}

#[test]
#[cfg_attr(
    tierkey_no_corpus,
    ignore = "../shared/corpus is not beside this checkout"
)]
fn every_corpus_plan_and_state_is_read() {
    let corpus = root().join("../shared/corpus");
    let catalog = fs::read_to_string(corpus.join("CATALOG.md"))
        .unwrap_or_else(|e| panic!("{}: {e}", corpus.join("CATALOG.md").display()));
    let mut checked = 0;
    for row in catalog
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| #"))
    {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (Some(file), Some(kind)) = (cells.get(2), cells.get(5)) else {
            continue;
        };
        let config = matches!(*kind, "tf.json" | "cdktf" | "hcl2json");
        let expect_ok = kind.starts_with("plan") || kind.starts_with("state") || config;
        let malformed = *kind == "other" && file.contains("invalid");
        let wrapped = *kind == "other" && file.contains("wrapper");
        if !(expect_ok || malformed || wrapped) {
            continue;
        }
        let outcome = tierkey::run(&options(corpus.join(file)));
        assert_eq!(outcome.inputs.len(), 1, "{file}");
        let input = &outcome.inputs[0];
        if malformed {
            assert_eq!(
                input.error.as_ref().map(|e| e.code.as_str()),
                Some("invalid-json"),
                "{file} is malformed"
            );
        } else {
            assert!(input.error.is_none(), "{file}: {:?}", input.error);
            let read_as = input.kind.map(tierkey::InputKind::as_str);
            if config {
                let expected: &[&str] = match *kind {
                    "hcl2json" => &["hcl2json"],
                    _ => &["tf-json", "cdktf"],
                };
                assert!(
                    read_as.is_some_and(|k| expected.contains(&k)),
                    "{file} read as {read_as:?}"
                );
            } else {
                assert!(
                    matches!(read_as, Some("plan" | "state" | "tfstate")),
                    "{file} read as {read_as:?}"
                );
            }
        }
        for format in [Format::Human, Format::Json] {
            let mut out = Vec::new();
            report::write(
                format,
                &outcome,
                &options(corpus.join(file)).tiers,
                Style::default(),
                &mut out,
            )
            .expect("render");
            assert!(!out.is_empty());
        }
        checked += 1;
    }
    assert!(checked >= 125, "only {checked} corpus files checked");
}

/// No panic on any input: every prefix of a single-line plan, and byte
/// mutations of a plan and of two JSON configurations, are either checked or
/// reported.
#[test]
fn mutated_inputs_never_panic() {
    let minified = fs::read(root().join("fixtures/s13-minified/plan.json")).expect("fixture");
    let pretty = fs::read(root().join("fixtures/s07-key-usability/plan.json")).expect("fixture");
    let options = options(root());
    let render = |outcome: &tierkey::Outcome| {
        for format in [Format::Human, Format::Json] {
            let mut out = Vec::new();
            report::write(format, outcome, &options.tiers, Style::default(), &mut out)
                .expect("render");
        }
    };
    for end in 0..minified.len() {
        let outcome = tierkey::check_bytes("cut.json", minified[..end].to_vec(), &options);
        assert_eq!(outcome.inputs.len(), 1);
        if end + 1 < minified.len() {
            assert!(
                outcome.inputs[0].error.is_some(),
                "a cut at {end} must be an error"
            );
        }
        render(&outcome);
    }
    // Deterministic pseudo-random byte substitutions.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"{}[]\":,0a \\\n\xc3\xff$";
    let config = fs::read(root().join("fixtures/c06-hcl2json/hcl2json.json")).expect("fixture");
    let quoted = fs::read(root().join("fixtures/c07-python-hcl2/v8.json")).expect("fixture");
    for round in 0..4500 {
        let mut bytes = match round % 3 {
            0 => pretty.clone(),
            1 => config.clone(),
            _ => quoted.clone(),
        };
        let mut pick =
            |len: usize| usize::try_from(next() % u64::try_from(len).expect("len")).expect("index");
        for _ in 0..=pick(3) {
            let at = pick(bytes.len());
            bytes[at] = alphabet[pick(alphabet.len())];
        }
        let outcome = tierkey::check_bytes("mutated.json", bytes, &options);
        assert_eq!(outcome.inputs.len(), 1);
        render(&outcome);
    }
}
