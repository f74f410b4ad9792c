//! The shared corpus of real inputs (`../shared/corpus`): every plan,
//! state, `.tf.json`, CDKTF and hcl2json file is read as what it is,
//! without an error, and checked without a panic, in both formats; the
//! deliberately malformed one is reported. When the corpus is not beside
//! the checkout the test is ignored and says so (under CI it fails).

use std::fs;
use std::path::Path;

use tierkey::report::{self, Format, Style};
use tierkey::{Options, TagPair, TagValue, Tier};

use crate::root;

fn options(path: std::path::PathBuf) -> Options {
    let pair = |key: &str, value: &str| TagPair {
        key: key.into(),
        value: TagValue::Exact(value.into()),
    };
    let tiers = vec![Tier::new(
        "database",
        vec![pair("Environment", "dev"), pair("managed_by", "terraform")],
    )];
    Options {
        jobs: 1,
        ..Options::new(vec![path], tiers)
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
        // The corpus is a bag of unrelated files: a configuration is checked
        // alone in a directory of its own (its siblings would be part of its
        // module).
        let path = if config {
            let alone = root()
                .join("target/corpus-configs")
                .join(file.replace('/', "__"));
            fs::create_dir_all(&alone).expect("dir");
            let name = Path::new(file).file_name().expect("name");
            fs::copy(corpus.join(file), alone.join(name)).expect("copy");
            alone.join(name)
        } else {
            corpus.join(file)
        };
        let outcome = tierkey::run(&options(path.clone()));
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
                &options(path.clone()).tiers,
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

/// A tier of one tag pair, for the HCL corpus.
fn tagged(key: &str, value: &str, path: std::path::PathBuf) -> Options {
    let mut options = options(path);
    options.tiers = vec![Tier::new(
        "database",
        vec![TagPair {
            key: key.into(),
            value: TagValue::Exact(value.into()),
        }],
    )];
    options
}

/// The four module repositories of `../shared/corpus/hcl`, as published:
/// every `examples/*` folder is a root calling its repository's module by a
/// relative source. Each is read without an error and checked without a
/// panic, and the walk of the whole folder finds exactly those roots and the
/// wrappers. The cross-region replica example puts its master in eu-west-1
/// (the default provider) and its replica in eu-central-1 (through the
/// module's `providers` map), tagged by a local.
#[test]
#[cfg_attr(
    tierkey_no_corpus,
    ignore = "../shared/corpus is not beside this checkout"
)]
fn every_hcl_corpus_root_is_read() {
    let hcl = root().join("../shared/corpus/hcl");
    let mut roots = Vec::new();
    for repo in fs::read_dir(&hcl).expect("corpus/hcl") {
        let examples = repo.expect("entry").path().join("examples");
        for example in fs::read_dir(&examples).expect("examples") {
            roots.push(example.expect("entry").path());
        }
    }
    roots.sort();
    assert!(roots.len() >= 25, "only {} example roots", roots.len());
    for dir in &roots {
        let options = tagged("Example", "x", dir.clone());
        let outcome = tierkey::run(&options);
        assert_eq!(outcome.inputs.len(), 1, "{}", dir.display());
        let input = &outcome.inputs[0];
        assert!(
            input.error.is_none(),
            "{}: {:?}",
            dir.display(),
            input.error
        );
        assert_eq!(input.kind.map(tierkey::InputKind::as_str), Some("tf"));
        for format in [Format::Human, Format::Json] {
            let mut out = Vec::new();
            report::write(format, &outcome, &options.tiers, Style::default(), &mut out)
                .expect("render");
        }
    }

    let walk = tierkey::run(&tagged("Example", "x", hcl.clone()));
    let found: Vec<&str> = walk.inputs.iter().map(|i| i.path.as_str()).collect();
    assert!(walk.inputs.iter().all(|i| i.error.is_none()), "{found:?}");
    for dir in &roots {
        let rel = dir
            .strip_prefix(&hcl)
            .expect("under hcl")
            .display()
            .to_string();
        assert!(
            found.iter().any(|p| p.ends_with(&rel)),
            "the walk finds {rel}: {found:?}"
        );
    }
    // A module called by an example is not a root of its own.
    assert!(
        !found.iter().any(|p| p.ends_with("terraform-aws-rds")),
        "{found:?}"
    );

    let replica =
        hcl.join("terraform-aws-modules_terraform-aws-rds/examples/cross-region-replica-postgres");
    let outcome = tierkey::run(&tagged("Example", "replica-postgresql", replica));
    let instances = |region: &str| -> Vec<String> {
        outcome
            .findings
            .iter()
            .filter(|f| {
                f.code.as_str() == "missing-tier-key" && f.region.as_deref() == Some(region)
            })
            .flat_map(|f| f.resources.clone())
            .collect()
    };
    assert_eq!(
        instances("eu-central-1"),
        ["module.replica.module.db_instance.aws_db_instance.this[0]"]
    );
    assert!(
        instances("eu-west-1")
            .contains(&"module.master.module.db_instance.aws_db_instance.this[0]".to_string()),
        "{:?}",
        instances("eu-west-1")
    );
    // Its remote modules (the replica's KMS key among them) are named.
    let unread: Vec<&str> = outcome
        .findings
        .iter()
        .filter(|f| f.code.as_str() == "module-not-checked")
        .map(|f| f.subject.as_str())
        .collect();
    assert!(unread.iter().any(|s| s.contains("kms")), "{unread:?}");
}

/// No panic on any `.tf` text: every prefix of a configuration, and byte
/// mutations of two, are either checked or reported as an input error.
#[test]
fn mutated_hcl_never_panics() {
    let dir = root().join("target/hcl-mutations");
    fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("main.tf");
    let options = options(dir.clone());
    let check = |bytes: &[u8]| {
        fs::write(&file, bytes).expect("write");
        let outcome = tierkey::run(&options);
        assert_eq!(outcome.inputs.len(), 1);
        for format in [Format::Human, Format::Json] {
            let mut out = Vec::new();
            report::write(format, &outcome, &options.tiers, Style::default(), &mut out)
                .expect("render");
        }
    };
    let expressions = fs::read(root().join("fixtures/h04-expressions/main.tf")).expect("fixture");
    let dynamic = fs::read(root().join("fixtures/h07-dynamic-blocks/main.tf")).expect("fixture");
    for end in (0..expressions.len()).step_by(3) {
        check(&expressions[..end]);
    }
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"{}[]()\"=:,.?!*$%~<>\\\n\t #/0a\xc3\xff";
    for round in 0..1500 {
        let mut bytes = if round % 2 == 0 {
            expressions.clone()
        } else {
            dynamic.clone()
        };
        let mut pick =
            |len: usize| usize::try_from(next() % u64::try_from(len).expect("len")).expect("index");
        for _ in 0..=pick(3) {
            let at = pick(bytes.len());
            bytes[at] = alphabet[pick(alphabet.len())];
        }
        check(&bytes);
    }
}

/// What a run finds, with every resource kept: tiers with a selector (one
/// that matches nothing) read any resource, so no plan reader drops the
/// inert ones.
fn keeping_every_resource(mut options: Options) -> Options {
    for tier in &mut options.tiers {
        let query = "$[?@.type == 'no_such_type']";
        let parsed = jsonpath_rust::parser::parse_json_path(query).expect("a JSONPath");
        tier.selectors.include.push((query.to_string(), parsed));
    }
    options
}

/// The findings of a run, and of the same run keeping every resource,
/// must be the same, and about something.
fn inert_resources_change_nothing(options: Options, at_least: usize) {
    let dropped = tierkey::run(&options);
    let kept = tierkey::run(&keeping_every_resource(options));
    assert!(
        dropped.findings.len() >= at_least,
        "{} findings",
        dropped.findings.len()
    );
    assert_eq!(dropped.inputs.len(), kept.inputs.len());
    for (a, b) in dropped.findings.iter().zip(&kept.findings) {
        assert_eq!(a, b);
    }
    assert_eq!(dropped.findings.len(), kept.findings.len());
    assert_eq!(dropped.checks, kept.checks);
}

/// Readers keep only the addresses of resources no rule can read: every
/// fixture (plans, states, configurations) gives the same findings as when
/// every resource is kept.
#[test]
fn inert_resources_change_no_finding_of_the_fixtures() {
    inert_resources_change_nothing(tagged("tier", "database", root().join("fixtures")), 100);
}

/// The same over the corpus of real inputs, for its two tag conventions.
#[test]
#[cfg_attr(
    tierkey_no_corpus,
    ignore = "../shared/corpus is not beside this checkout"
)]
fn inert_resources_change_no_finding_of_the_corpus() {
    let corpus = root().join("../shared/corpus");
    assert!(corpus.is_dir(), "{}", corpus.display());
    inert_resources_change_nothing(options(corpus.clone()), 10);
    inert_resources_change_nothing(tagged("tier", "database", corpus), 10);
}
