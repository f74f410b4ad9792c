//! Snapshot tests: each `fixtures/<case>/` (and `fixtures/examples/<case>/`)
//! holds its inputs, an `args` file with the options and paths given to
//! `tierkey check` (run in the case's directory), and a README naming the
//! SPEC statement it proves. Both the human and the JSON report are pinned.

use std::fs;
use std::path::PathBuf;

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
        let name = case
            .strip_prefix(root().join("fixtures"))
            .expect("under fixtures")
            .to_string_lossy()
            .replace('/', "__");
        let readme =
            fs::read_to_string(case.join("README.md")).expect("every fixture has a README");
        assert!(readme.starts_with("# "), "{name}: README names the case");
        let args = fs::read_to_string(case.join("args")).expect("args");
        let mut argv: Vec<&str> = vec!["check"];
        argv.extend(args.split_whitespace());
        let human = tierkey(&case, &argv);
        insta::assert_snapshot!(format!("{name}__human"), transcript(&human));
        argv.extend(["--format", "json"]);
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
                let offset = loc["offset"].as_u64().expect("offset") as usize;
                let length = loc["length"].as_u64().expect("length") as usize;
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
