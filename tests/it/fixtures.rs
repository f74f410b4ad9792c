//! Snapshot tests: each `fixtures/<case>/` (and `fixtures/examples/<case>/`)
//! holds its inputs, an `args` file with the options and paths given to
//! `tierkey check` (run in the case's directory), and a README naming the
//! SPEC statement it proves. Both the human and the JSON report are pinned.

use std::fs;
use std::path::{Path, PathBuf};

use crate::{root, tierkey, transcript};

fn cases() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [root().join("fixtures"), root().join("fixtures/examples")] {
        for entry in fs::read_dir(dir).expect("fixtures") {
            let path = entry.expect("entry").path();
            if path.join("args").is_file() {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn input_of(case: &std::path::Path) -> String {
    let mut files: Vec<String> = fs::read_dir(case)
        .expect("case")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "args" && n != "README.md")
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        1,
        "{} must hold exactly one input",
        case.display()
    );
    files.remove(0)
}

#[test]
fn every_fixture_matches_its_snapshots() {
    let cases = cases();
    assert!(cases.len() >= 20, "fixtures went missing");
    for case in cases {
        let name = case_name(&case);
        let readme =
            fs::read_to_string(case.join("README.md")).expect("every fixture has a README");
        assert!(readme.starts_with("# "), "{name}: README names the case");
        let mut argv = check_args(&case);
        let human = tierkey(&case, &argv);
        insta::assert_snapshot!(format!("{name}__human"), transcript(&human));
        argv.extend(["--format".into(), "json".into()]);
        let json = tierkey(&case, &argv);
        assert_eq!(
            human.status.code(),
            json.status.code(),
            "{name}: formats agree on the exit status"
        );
        let parsed: serde_json::Value =
            serde_json::from_slice(&json.stdout).expect("JSON report parses");
        assert_eq!(parsed["version"], 1);
        insta::assert_snapshot!(format!("{name}__json"), transcript(&json));
    }
}

/// Each machine format, once, over one set of findings that exercises
/// everything they render (`fixtures/m01-machine-formats`): every document
/// parses back (SARIF against the official schema), and agrees with the
/// human report on the exit status.
#[test]
fn machine_formats_render_a_shared_set_of_findings() {
    let case = root().join("fixtures/m01-machine-formats");
    let mut argv = check_args(&case);
    let human = tierkey(&case, &argv);
    for format in ["sarif", "junit", "github", "gitlab", "compact", "markdown"] {
        argv.extend(["--format".into(), format.into()]);
        let out = tierkey(&case, &argv);
        argv.truncate(argv.len() - 2);
        assert_eq!(
            human.status.code(),
            out.status.code(),
            "{format} agrees on the exit status"
        );
        check_document(format, &out.stdout);
        insta::assert_snapshot!(
            format!("machine_formats__{format}"),
            redact_base(&case, &transcript(&out))
        );
    }
}

/// S16 in the formats made for code review: a plan's findings are located
/// at the `.tf` lines first, with the plan's place related (SARIF checked
/// against the official schema).
#[test]
fn review_formats_point_at_the_source() {
    let case = root().join("fixtures/s16-source-mapping");
    for format in ["sarif", "github"] {
        let argv = [
            "check",
            "--tag",
            "tier=database",
            "plan.json",
            "--format",
            format,
        ];
        let out = tierkey(&case, &argv);
        assert_eq!(out.status.code(), Some(1), "{format}");
        check_document(format, &out.stdout);
        insta::assert_snapshot!(
            format!("review_formats__{format}"),
            redact_base(&case, &transcript(&out))
        );
    }
}

/// The run's directory, absolute in SARIF's `originalUriBaseIds`, made the
/// same on every machine.
fn redact_base(case: &Path, text: &str) -> String {
    text.replace(&format!("file://{}/", case.display()), "file://[CASE]/")
}

fn case_name(case: &Path) -> String {
    case.strip_prefix(root().join("fixtures"))
        .expect("under fixtures")
        .to_string_lossy()
        .replace('/', "__")
}

/// `check` and the case's `args`.
pub(crate) fn check_args(case: &Path) -> Vec<String> {
    let args = fs::read_to_string(case.join("args")).expect("args");
    std::iter::once("check".to_string())
        .chain(args.split_whitespace().map(str::to_string))
        .collect()
}

/// Machine formats parse back: SARIF against the official schema, JUnit as
/// XML with consistent counts, GitLab as a JSON array.
fn check_document(format: &str, stdout: &[u8]) {
    let name = "m01-machine-formats";
    match format {
        "sarif" => {
            let sarif: serde_json::Value = serde_json::from_slice(stdout).expect("SARIF is JSON");
            // Checked against the schema in its own test, which says so when
            // the schema is missing.
            if let Some(validator) = sarif_validator() {
                let errors: Vec<String> = validator
                    .iter_errors(&sarif)
                    .map(|e| format!("{e} at {}", e.instance_path()))
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{name}: SARIF fails the schema: {errors:#?}"
                );
            }
        }
        "junit" => {
            let text = std::str::from_utf8(stdout).expect("utf8");
            let doc = roxmltree::Document::parse(text).expect("JUnit is XML");
            let root = doc.root_element();
            assert_eq!(root.tag_name().name(), "testsuites");
            let cases = root
                .descendants()
                .filter(|n| n.has_tag_name("testcase"))
                .count();
            let failures = root
                .descendants()
                .filter(|n| n.has_tag_name("failure"))
                .count();
            assert_eq!(
                root.attribute("tests"),
                Some(cases.to_string().as_str()),
                "{name}"
            );
            assert_eq!(
                root.attribute("failures"),
                Some(failures.to_string().as_str()),
                "{name}"
            );
            assert!(cases > 0, "{name}: every input has at least one case");
        }
        "gitlab" => {
            let issues: serde_json::Value = serde_json::from_slice(stdout).expect("GitLab JSON");
            assert!(issues.is_array(), "{name}");
        }
        "compact" => {
            // `path:line:col: severity[code] message`, then the count.
            let text = String::from_utf8_lossy(stdout);
            let lines: Vec<&str> = text.lines().collect();
            let (last, findings) = lines.split_last().expect("lines");
            assert!(
                last.contains(" inputs (") || last.contains(" input ("),
                "{name}"
            );
            for line in findings {
                let (place, rest) = line.split_once(": ").expect("place");
                assert_eq!(place.split(':').count(), 3, "{line}");
                assert!(rest.contains('[') && rest.contains(']'), "{line}");
            }
        }
        "markdown" => {
            let text = String::from_utf8_lossy(stdout);
            assert!(text.starts_with("## tierkey: "), "{name}");
            assert!(text.contains("| input | region | tier resources | tier keys | |"));
        }
        // GitHub annotations are checked for escaping in their own test.
        _ => {}
    }
}

/// The official SARIF 2.1.0 schema (`../shared/schemas`), compiled once.
fn sarif_validator() -> Option<&'static jsonschema::Validator> {
    static VALIDATOR: std::sync::OnceLock<Option<jsonschema::Validator>> =
        std::sync::OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            let text = fs::read_to_string(schema_path()).ok()?;
            let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
            Some(jsonschema::validator_for(&schema).expect("schema compiles"))
        })
        .as_ref()
}

fn schema_path() -> PathBuf {
    root().join("../shared/schemas/sarif-schema-2.1.0.json")
}

/// SARIF output validates against the official schema, and the check is
/// real: a document that is not SARIF is rejected.
#[test]
#[cfg_attr(
    tierkey_no_schemas,
    ignore = "../shared/schemas (the official SARIF schema) is not beside this checkout"
)]
fn sarif_validates_against_the_official_schema() {
    let validator = sarif_validator().unwrap_or_else(|| {
        panic!("{} is missing", schema_path().display());
    });
    let bad = serde_json::json!({"version": "2.1.0", "runs": [{"results": []}]});
    assert!(
        !validator.is_valid(&bad),
        "a run without a tool is not valid SARIF"
    );
    let case = root().join("fixtures/m01-machine-formats");
    let mut argv = check_args(&case);
    argv.extend(["--format".into(), "sarif".into()]);
    let out = tierkey(&case, &argv);
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF fails the schema: {errors:#?}");
}

/// Every finding's offset/length must cover an object whose "address" is the
/// one the human report underlines, also in the single-line plan.
#[test]
fn json_locations_are_exact_byte_spans() {
    for case in ["s13-minified", "s07-key-usability", "state-show-json"] {
        let dir = root().join("fixtures").join(case);
        let input = input_of(&dir);
        let text = fs::read_to_string(dir.join(&input)).expect("input");
        let out = tierkey(
            &dir,
            &[
                "check",
                "--tag",
                "tier=database",
                "--format",
                "json",
                &input,
            ],
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let findings = report["findings"].as_array().expect("findings");
        assert!(!findings.is_empty(), "{case} has findings");
        for f in findings {
            for loc in std::iter::once(f).chain(f["related"].as_array().expect("related")) {
                let number =
                    |key: &str| usize::try_from(loc[key].as_u64().expect(key)).expect("fits");
                let (offset, length) = (number("offset"), number("length"));
                let object: serde_json::Value =
                    serde_json::from_str(&text[offset..offset + length])
                        .expect("span is one JSON value");
                assert!(object.is_object(), "{case}: span is an object");
                // line/column agree with the offset (column counts characters)
                let before = &text[..offset];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().expect("line").chars().count() + 1;
                assert_eq!(loc["line"].as_u64(), Some(line as u64), "{case}");
                assert_eq!(loc["column"].as_u64(), Some(column as u64), "{case}");
            }
        }
    }
}

/// The rule reference says which fixtures prove each statement: every
/// fixture it names exists, and every fixture is named under some
/// statement, so neither the reference nor the fixtures drift.
#[test]
fn the_rule_reference_names_every_fixture() {
    let reference = fs::read_to_string(root().join("docs/rule.md")).expect("docs/rule.md");
    let mut named = std::collections::BTreeSet::new();
    for paragraph in reference
        .split("\n\n")
        .filter(|p| p.starts_with("Proved by:"))
    {
        for (i, piece) in paragraph.split('`').enumerate() {
            // Odd pieces are inside backticks: fixtures (`s04-forget`,
            // `examples/multi-region`), tests and code.
            let fixture = piece.starts_with("examples/")
                || piece.starts_with("state-")
                || piece.as_bytes().get(1..4).is_some_and(|b| {
                    b[0].is_ascii_digit() && b[1].is_ascii_digit() && b[2] == b'-'
                });
            if i % 2 == 1 && fixture {
                named.insert(piece.to_string());
            }
        }
    }
    for name in &named {
        assert!(
            root()
                .join("fixtures")
                .join(name)
                .join("README.md")
                .is_file(),
            "docs/rule.md names fixture `{name}`, which does not exist"
        );
    }
    for case in cases() {
        let name = case_name(&case);
        if name.starts_with('m') || name.starts_with('k') {
            // Machine formats and the configuration file are documented in
            // the README, not as statements of the rule.
            continue;
        }
        assert!(
            named.contains(&name.replace("__", "/")),
            "fixture `{name}` proves no statement of docs/rule.md"
        );
    }
}
