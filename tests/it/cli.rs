//! The command-line contract: exit codes, help, options, and bad input.

use std::fs;
use std::path::PathBuf;

use crate::{check_json, findings_with, inputs_with, root, tierkey, transcript, Scratch};

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> Scratch {
    Scratch::new("it", name)
}

/// The first finding of a code in a JSON report.
fn finding<'r>(report: &'r serde_json::Value, code: &str) -> &'r serde_json::Value {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} finding in {report}"))
}

fn fixture(case: &str) -> PathBuf {
    root().join("fixtures").join(case)
}

fn code(out: &std::process::Output) -> i32 {
    out.status.code().expect("exit code")
}

#[test]
fn help_documents_exit_codes_and_options() {
    let out = tierkey(&root(), &["check", "--help"]);
    assert_eq!(code(&out), 0);
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--tag <KEY=VALUE>",
        "--tag-regex",
        "--tier <NAME>",
        "--default-region",
        "--required-region",
        "--strict",
        "--external-key <ARN>",
        "--ignore-case",
        "--format",
        "--output <FILE>",
        "Exit status:",
        "2  usage error",
    ] {
        assert!(
            help.contains(needle),
            "check --help lacks {needle:?}:\n{help}"
        );
    }
    let top = tierkey(&root(), &["--help"]);
    assert!(String::from_utf8_lossy(&top.stdout).contains("Exit status:"));
}

#[test]
fn s01_no_tier_tag_is_a_usage_error() {
    let out = tierkey(&fixture("examples/multi-region"), &["check", "plan.json"]);
    assert_eq!(code(&out), 2);
    assert!(out.stdout.is_empty(), "never a report, never a pass");
    insta::assert_snapshot!("s01_no_tier_tag", transcript(&out));
}

#[test]
fn malformed_options_are_usage_errors() {
    let dir = fixture("examples/multi-region");
    for (args, needle) in [
        (
            &["check", "--tag", "tier", "plan.json"][..],
            "expected KEY=VALUE",
        ),
        (&["check", "--tag", "=db", "plan.json"][..], "non-empty key"),
        (
            &["check", "--tag-regex", "tier=(db", "plan.json"][..],
            "invalid regular expression",
        ),
        (
            &[
                "check",
                "--tag",
                "tier=db",
                "--default-region",
                "EU-WEST-1",
                "plan.json",
            ][..],
            "not an AWS region",
        ),
        (
            &["check", "--tag", "tier=db", "--var", "region", "plan.json"][..],
            "expected NAME=VALUE",
        ),
        (
            &["check", "--tag", "tier=db", "--format", "xml", "plan.json"][..],
            "unknown format \"xml\"",
        ),
    ] {
        let out = tierkey(&dir, args);
        assert_eq!(code(&out), 2, "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

#[test]
fn exit_codes_follow_findings() {
    // The rule of regions alone: these fixtures do not prove S14.
    let tag = ["--no-in-use", "--tag", "tier=database"];
    let run = |case: &str, extra: &[&str]| {
        let dir = fixture(case);
        let input = fs::read_dir(&dir)
            .expect("case")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .find(|n| n != "args" && n != "README.md")
            .expect("input");
        let mut args = vec!["check"];
        args.extend(tag);
        args.extend(extra);
        args.push(&input);
        code(&tierkey(&dir, &args))
    };
    assert_eq!(run("s11-compliant", &[]), 0);
    assert_eq!(run("examples/multi-region", &[]), 1);
    // warnings only: 0, but 1 with --strict (S10)
    assert_eq!(run("s10-key-unknown", &[]), 0);
    assert_eq!(run("s10-key-unknown", &["--strict"]), 1);
    assert_eq!(run("s10-partial-plan", &["--strict"]), 1);
    // S2: --ignore-case accepts `Tier=database`
    assert_eq!(run("s02-tag-matching", &[]), 1);
    assert_eq!(run("s02-tag-matching", &["--ignore-case"]), 0);
    // S2: a regular expression for the value
    assert_eq!(run("s02-tag-matching", &["--tag-regex", "Tier=data.*"]), 0);
    // S8.4: without --default-region the provider's region is unknown
    assert_eq!(
        run("s08-default-region", &["--default-region", "eu-west-1"]),
        1
    );
}

#[test]
fn s08_without_default_region_the_region_is_unknown() {
    let dir = fixture("s08-default-region");
    let (_, report) = check_json(&dir, &["--no-in-use", "plan.json"]);
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code"))
        .collect();
    // eu-west-3 (from an ARN) cannot be failed: the key of `aws.b` might be there.
    // (and the plan's findings stay in the plan: no configuration beside it)
    assert_eq!(
        codes,
        ["source-not-found", "region-unknown", "tier-key-unverified"]
    );
}

#[test]
fn output_file_receives_the_report() {
    let dir = scratch("output");
    let report = dir.join("report.json");
    let out = tierkey(
        &fixture("examples/multi-region"),
        &[
            "check",
            "--tag",
            "tier=database",
            "--format",
            "json",
            "--output",
            report.to_str().expect("utf8"),
            "plan.json",
        ],
    );
    assert_eq!(code(&out), 1);
    assert!(out.stdout.is_empty());
    let written: serde_json::Value =
        serde_json::from_slice(&fs::read(&report).expect("report written")).expect("json");
    let missing = finding(&written, "missing-tier-key");
    assert_eq!(missing["region"], "us-east-1");
}

/// Every class of bad input: a clear error naming the file (and place), the
/// other inputs still checked, exit 2, and a JSON report all the same.
#[test]
fn bad_inputs_are_reported_and_others_still_checked() {
    let dir = scratch("bad");
    let good = fs::read(fixture("examples/multi-region/plan.json")).expect("plan");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("invalid.json", b"{\n  \"format_version\": \"1.2\",\n  \"resource_changes\": [\n    {\"address\": }\n  ]\n}\n".to_vec()),
        ("truncated.json", good[..good.len() / 2].to_vec()),
        ("empty.json", Vec::new()),
        ("plan.tfplan", b"PK\x03\x04\x14\x00\x00\x00binary".to_vec()),
        (
            "encrypted.json",
            br#"{"meta":{"key_provider.pbkdf2.mykey":"eyJ"},"encrypted_data":"AAAA","encryption_version":"v0"}"#.to_vec(),
        ),
        ("wrapper-empty.json", b"[command]/tmp/terraform-bin show -json plan.tfplan\n::set-output name=stdout::\n::set-output name=exitcode::1\n".to_vec()),
        ("future.json", br#"{"format_version": "2.0", "planned_values": {}}"#.to_vec()),
        ("latin1.json", b"{\"format_version\": \"1.2\", \"variables\": {\"owner\": {\"value\": \"J\xf6rg\"}}}".to_vec()),
        ("utf16.json", b"\xff\xfe{\x00}\x00".to_vec()),
        ("package.json", br#"{"name": "not-a-plan", "version": "1.0.0"}"#.to_vec()),
        ("list.json", b"[1, 2, 3]\n".to_vec()),
        ("trailing.json", br#"{"format_version": "1.2", "planned_values": {}} {"#.to_vec()),
    ];
    let mut names = Vec::new();
    for (name, bytes) in &cases {
        fs::write(dir.join(name), bytes).expect("write case");
        names.push(*name);
    }
    fs::write(dir.join("good.json"), &good).expect("good");
    let mut args = vec!["check", "--tag", "tier=database"];
    args.extend(&names);
    args.extend(["missing.json", "good.json"]);

    let human = tierkey(&dir, &args);
    assert_eq!(code(&human), 2);
    insta::assert_snapshot!("bad_inputs_human", transcript(&human));

    args.extend(["--format", "json"]);
    let json = tierkey(&dir, &args);
    assert_eq!(code(&json), 2);
    let report: serde_json::Value =
        serde_json::from_slice(&json.stdout).expect("json even with bad inputs");
    let inputs = report["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), names.len() + 2);
    let errors: Vec<(&str, &str)> = inputs_with(&report, "error_code")
        .into_iter()
        .filter(|(_, code)| !code.is_empty())
        .collect();
    assert_eq!(
        errors,
        [
            ("invalid.json", "invalid-json"),
            ("truncated.json", "invalid-json"),
            ("empty.json", "empty-input"),
            ("plan.tfplan", "binary-plan"),
            ("encrypted.json", "encrypted-input"),
            ("wrapper-empty.json", "invalid-json"),
            ("future.json", "unsupported-format-version"),
            ("latin1.json", "not-utf8"),
            ("utf16.json", "not-utf8"),
            ("package.json", "not-a-plan"),
            ("list.json", "not-a-plan"),
            ("trailing.json", "invalid-json"),
            ("missing.json", "unreadable"),
        ]
    );
    // The good input was still checked.
    assert_eq!(finding(&report, "missing-tier-key")["path"], "good.json");
    // Errors with a place carry line and column.
    let invalid = &inputs[0];
    assert_eq!(invalid["error"], "invalid JSON: expected value");
    assert_eq!(
        (invalid["line"].as_u64(), invalid["column"].as_u64()),
        (Some(4), Some(17))
    );
    assert_eq!(
        (invalid["offset"].as_u64(), invalid["length"].as_u64()),
        (Some(69), Some(1))
    );
}

#[test]
fn setup_terraform_wrapper_output_is_read() {
    let dir = scratch("wrapper");
    let plan = fs::read_to_string(fixture("examples/multi-region/plan.json")).expect("plan");
    let minified: serde_json::Value = serde_json::from_str(&plan).expect("json");
    let wrapped = format!(
        "[command]/tmp/x/terraform-bin show -json plan.tfplan\n{}%0A\n::set-output name=stderr::\n::set-output name=exitcode::0\n",
        serde_json::to_string(&minified).expect("json")
    );
    fs::write(dir.join("plan.json"), wrapped).expect("write");
    let (status, report) = check_json(&dir, &["plan.json"]);
    assert_eq!(status, 1);
    assert_eq!(report["inputs"][0]["kind"], "plan");
    assert_eq!(
        report["findings"][0]["line"], 2,
        "located in the wrapped file"
    );
}

#[test]
fn directory_walks_skip_what_is_not_ours() {
    let dir = scratch("walk");
    let good = fs::read(fixture("examples/multi-region/plan.json")).expect("plan");
    fs::create_dir_all(dir.join("envs/prod/.terraform")).expect("dirs");
    fs::create_dir_all(dir.join(".git")).expect("dirs");
    fs::write(dir.join("envs/prod/plan.json"), &good).expect("write");
    fs::write(dir.join("envs/prod/.terraform/plan.json"), b"{ broken").expect("write");
    fs::write(dir.join(".git/plan.json"), b"{ broken").expect("write");
    fs::write(dir.join("envs/package.json"), br#"{"name": "x"}"#).expect("write");
    fs::write(
        dir.join("envs/tsconfig.json"),
        b"{ // comments are not JSON\n}",
    )
    .expect("write");
    fs::write(dir.join("envs/prod/notes.txt"), b"plan").expect("write");
    // node_modules/ and what .gitignore files ignore are not walked (a
    // .gitignore deeper down can take a path back); a file named on the
    // command line is read all the same.
    for ignored in ["node_modules/pkg", "envs/generated", "envs/prod/sub"] {
        fs::create_dir_all(dir.join(ignored)).expect("dirs");
        fs::write(dir.join(ignored).join("plan.json"), b"{ broken").expect("write");
    }
    fs::write(dir.join(".gitignore"), "generated/\n*.tmp.json\n").expect("write");
    fs::write(dir.join("envs/prod/.gitignore"), "sub/\n!keep.tmp.json\n").expect("write");
    fs::write(dir.join("envs/x.tmp.json"), b"{ broken").expect("write");
    fs::write(dir.join("envs/prod/keep.tmp.json"), &good).expect("write");
    let (status, report) = check_json(&dir, &[]);
    assert_eq!(status, 1);
    let paths: Vec<&str> = inputs_with(&report, "path")
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(
        paths,
        ["./envs/prod/keep.tmp.json", "./envs/prod/plan.json"]
    );
    let (status, _) = check_json(&dir, &["envs/x.tmp.json"]);
    assert_eq!(status, 2, "a named file is always read");
    fs::remove_file(dir.join("envs/prod/keep.tmp.json")).expect("remove");
    let (status, report) = check_json(&dir, &[]);
    assert_eq!(status, 1);
    let paths: Vec<&str> = inputs_with(&report, "path")
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(paths, ["./envs/prod/plan.json"]);

    // A broken file whose name says it is a plan is reported even in a walk.
    fs::write(dir.join("envs/broken-plan.json"), b"{ \"format_version\": ").expect("write");
    let (status, report) = check_json(&dir, &["envs"]);
    assert_eq!(status, 2);
    assert_eq!(report["inputs"][0]["path"], "envs/broken-plan.json");
    assert_eq!(report["inputs"][0]["error_code"], "invalid-json");

    // An empty directory is an error, never a pass.
    let empty = scratch("walk-empty");
    let out = tierkey(&empty, &["check", "--tag", "tier=database"]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("no Terraform configuration, plan or state files"));
}

/// A broken file of a JSON configuration fails that root (exit 2) with the
/// file and place named; other inputs are still checked.
#[test]
fn broken_configuration_files_are_located() {
    let dir = scratch("config-bad");
    fs::create_dir_all(dir.join("bad")).expect("dir");
    fs::create_dir_all(dir.join("good")).expect("dir");
    fs::write(
        dir.join("bad/main.tf.json"),
        b"{\n  \"resource\": {\n    \"aws_kms_key\": {,}\n  }\n}\n",
    )
    .expect("write");
    fs::write(
        dir.join("good/main.tf.json"),
        br#"{"provider": {"aws": {"region": "eu-west-1"}}, "resource": {"aws_db_instance": {"d": {"tags": {"tier": "database"}}}}}"#,
    )
    .expect("write");
    let (status, report) = check_json(&dir, &[]);
    assert_eq!(status, 2);
    let bad = &report["inputs"][0];
    assert_eq!(bad["path"], "./bad");
    assert_eq!(bad["error_code"], "invalid-json");
    assert_eq!(
        (bad["line"].as_u64(), bad["column"].as_u64()),
        (Some(3), Some(21))
    );
    assert_eq!(bad["error_file"], "./bad/main.tf.json");
    assert!(bad["error"]
        .as_str()
        .expect("message")
        .starts_with("invalid JSON"));
    assert_eq!(report["inputs"][1]["kind"], "tf-json");
    assert_eq!(report["findings"][0]["code"], "missing-tier-key");
    assert_eq!(report["findings"][0]["path"], "./good/main.tf.json");
}

/// Given a CDKTF manifest, every stack it lists is a root of kind `cdktf`.
#[test]
fn cdktf_manifest_is_followed() {
    let (status, report) = check_json(
        &fixture("c05-cdktf"),
        &["--no-in-use", "cdktf.out/manifest.json"],
    );
    assert_eq!(status, 0, "warnings only");
    let inputs = inputs_with(&report, "kind");
    assert_eq!(
        inputs,
        [
            ("cdktf.out/stacks/api", "cdktf"),
            ("cdktf.out/stacks/data", "cdktf")
        ]
    );
}

/// Several formats in one run, each to its own destination; `--fail-on`.
#[test]
fn several_formats_at_once_and_fail_on() {
    let dir = scratch("formats");
    let case = fixture("s10-key-unknown");
    let sarif = dir.join("out.sarif");
    let junit = dir.join("out.xml");
    let args = [
        "check",
        "--no-in-use",
        "--tag",
        "tier=database",
        "--format",
        "human",
        "--format",
        &format!("sarif={}", sarif.display()),
        "--format",
        &format!("junit={}", junit.display()),
        "plan.json",
    ];
    let out = tierkey(&case, &args);
    assert_eq!(code(&out), 0, "warnings only");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Summary:"));
    let sarif: serde_json::Value =
        serde_json::from_slice(&fs::read(&sarif).expect("sarif")).expect("json");
    // Two warnings, and the info that the plan's source is not known.
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(3)
    );
    assert!(fs::read_to_string(&junit)
        .expect("junit")
        .contains("<testsuites"));

    let mut warning = args.to_vec();
    warning.splice(1..1, ["--fail-on", "warning"]);
    assert_eq!(code(&tierkey(&case, &warning)), 1);
    let never = [
        "check",
        "--tag",
        "tier=database",
        "--fail-on",
        "never",
        "plan.json",
    ];
    assert_eq!(code(&tierkey(&fixture("examples/multi-region"), &never)), 0);

    let twice = [
        "check",
        "--tag",
        "tier=database",
        "--format",
        "json",
        "--format",
        "sarif",
        "plan.json",
    ];
    let out = tierkey(&case, &twice);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("more than one --format writes to standard output"));
}

/// GitHub annotations escape `%`, `:`, `,` and newlines in file names and
/// messages, so the runner reads them back intact.
#[test]
fn github_annotations_are_escaped() {
    let dir = scratch("github");
    let name = "odd, name: 100%.json";
    fs::copy(fixture("examples/multi-region/plan.json"), dir.join(name)).expect("copy");
    let out = tierkey(
        &dir,
        &[
            "check",
            "--no-in-use",
            "--tag",
            "tier=database",
            "--format",
            "github",
            name,
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("::error"))
        .expect("one error annotation");
    assert!(
        line.starts_with("::error file=odd%2C name%3A 100%25.json,line=54,col=5,"),
        "{line}"
    );
    assert!(
        line.contains("tier=\"database\"%0Aadd an aws_kms_key"),
        "{line}"
    );
    // The error and the info that the plan's source is not known, each on
    // one line.
    assert_eq!(
        text.lines().count(),
        2,
        "newlines inside messages are escaped"
    );
}

/// Errors in tierkey.toml point into the file (exit 2): unknown keys, wrong
/// types, bad regions, bad regular expressions, bad JSONPath.
#[test]
fn configuration_errors_point_into_the_file() {
    let dir = scratch("config-errors");
    let plan = fixture("examples/multi-region/plan.json");
    let cases = [
        ("unknown-key", "[[tier]]\nname = \"database\"\ntags = { tier = \"database\" }\ncolour = \"blue\"\n"),
        ("wrong-type", "strict = \"yes\"\n"),
        ("bad-region", "default_region = \"Europe\"\n[[tier]]\nname = \"database\"\ntags = { tier = \"database\" }\n"),
        ("bad-regex", "[[tier]]\nname = \"database\"\ntag_patterns = { tier = \"data(base\" }\n"),
        ("bad-jsonpath", "[[tier]]\nname = \"database\"\ntags = { tier = \"database\" }\ninclude = [\"$[?@.type ==\"]\n"),
        ("no-tags", "[[tier]]\nname = \"database\"\ninclude = [\"$[?@.type == 'aws_db_instance']\"]\n"),
        ("bad-waiver", "[[tier]]\nname = \"database\"\ntags = { tier = \"database\" }\n[[waiver]]\ntier = \"database\"\nreason = \"x\"\n"),
    ];
    let mut transcript_all = String::new();
    for (name, text) in cases {
        let file = dir.join(format!("{name}.toml"));
        fs::write(&file, text).expect("write");
        let out = tierkey(
            &dir,
            &[
                "check",
                "--config",
                &format!("{name}.toml"),
                plan.to_str().expect("utf8"),
            ],
        );
        assert_eq!(code(&out), 2, "{name}");
        assert!(
            out.stdout.is_empty(),
            "{name}: no report on a bad configuration"
        );
        transcript_all.push_str(&format!(
            "== {name}\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    insta::assert_snapshot!("configuration_errors", transcript_all);
}

/// `tierkey init` writes a starter file that `tierkey check` then uses;
/// `tierkey explain` documents every code.
#[test]
fn init_and_explain() {
    let dir = scratch("init");
    let out = tierkey(&dir, &["init"]);
    assert_eq!(code(&out), 0);
    assert!(dir.join("tierkey.toml").is_file());
    assert_eq!(
        code(&tierkey(&dir, &["init"])),
        2,
        "an existing file is kept"
    );
    assert_eq!(code(&tierkey(&dir, &["init", "--force"])), 0);
    fs::copy(
        fixture("examples/multi-region/plan.json"),
        dir.join("plan.json"),
    )
    .expect("copy");
    let (status, report) = check_json(&dir, &["plan.json"]);
    assert_eq!(
        status, 1,
        "the starter's database tier finds the missing key"
    );
    assert_eq!(finding(&report, "missing-tier-key")["region"], "us-east-1");

    let out = tierkey(&dir, &["explain", "missing-tier-key"]);
    assert_eq!(code(&out), 0);
    insta::assert_snapshot!(
        "explain_missing_tier_key",
        String::from_utf8_lossy(&out.stdout)
    );
    for code_name in [
        "tier-key-unverified",
        "waiver-expired",
        "invalid-json",
        "binary-plan",
    ] {
        let out = tierkey(&dir, &["explain", code_name]);
        assert_eq!(code(&out), 0, "{code_name}");
        assert!(String::from_utf8_lossy(&out.stdout).starts_with(code_name));
    }
    for (code_name, starts) in [
        ("config", "config"),
        ("KMS-011", "KMS-011"),
        ("kms-009", "KMS-009"),
    ] {
        let out = tierkey(&dir, &["explain", code_name]);
        assert_eq!(code(&out), 0, "{code_name}");
        assert!(String::from_utf8_lossy(&out.stdout).starts_with(starts));
    }
    // Without a code: every code with its summary, wrapped to COLUMNS.
    let out = tierkey(&dir, &["explain"]);
    assert_eq!(code(&out), 0);
    let text = String::from_utf8_lossy(&out.stdout);
    for c in tierkey::Code::ALL {
        assert!(text.contains(&format!("  {} (", c.as_str())), "{c}");
    }
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    let out = tierkey(&dir, &["explain", "no-such-code"]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("known codes: missing-tier-key"));
}

/// A changed module file (as a pre-commit hook passes it) checks every
/// whole configuration that uses the module, once each.
#[test]
fn a_module_file_checks_the_configurations_that_use_it() {
    let case = fixture("c08-monorepo-walk");
    let (status, report) = check_json(
        &case,
        &[
            "modules/db/main.tf.json",
            "envs/prod/main.tf.json",
            "envs/stage/main.tf.json",
        ],
    );
    assert_eq!(status, 1);
    let paths: Vec<&str> = inputs_with(&report, "path")
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(paths, ["./envs/prod", "./envs/stage"]);
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    fs::create_dir_all(to).expect("dir");
    for entry in fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// S16: a plan written away from its configuration finds it through
/// `--source` (and, in the fixture, a `[[source]]` of tierkey.toml); without
/// either, its findings stay in the plan and one info says why. Paths can be
/// made relative to the repository root with `--base-dir`.
#[test]
fn plans_find_their_source_by_option_and_settings() {
    let dir = scratch("source");
    copy_tree(&fixture("s16-source-option"), &dir.join("repo"));
    let repo = dir.join("repo");
    fs::remove_file(repo.join("tierkey.toml")).expect("remove");
    let source_of = |report: &serde_json::Value| {
        findings_with(report, "missing-tier-key")
            .map(|f| {
                (
                    f["region"].as_str().unwrap_or("").to_string(),
                    f["source"]["path"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect::<Vec<_>>()
    };

    let (status, report) = check_json(&repo, &["--source", "stack", "plans/stack.json"]);
    assert_eq!(status, 1);
    assert_eq!(
        source_of(&report),
        [("ap-northeast-1".to_string(), "stack/main.tf".to_string())]
    );

    // Without its source the replica's region is only `local.replica`:
    // unknown, a warning.
    let (status, report) = check_json(&repo, &["--no-in-use", "plans/stack.json"]);
    assert_eq!(status, 0);
    assert!(source_of(&report).is_empty());
    assert!(report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["code"] == "region-unknown" && f["source"].is_null()));
    let notes: Vec<&str> = findings_with(&report, "source-not-found")
        .map(|f| f["message"].as_str().expect("message"))
        .collect();
    assert_eq!(
        notes,
        ["the findings point into this file: the configuration it was made from is not known"]
    );

    // From above the repository, paths relative to it.
    let (status, report) = check_json(
        &dir,
        &[
            "--base-dir",
            "repo",
            "--source",
            "repo/stack",
            "repo/plans/stack.json",
        ],
    );
    assert_eq!(status, 1);
    assert_eq!(report["inputs"][0]["path"], "plans/stack.json");
    assert_eq!(
        source_of(&report),
        [("ap-northeast-1".to_string(), "stack/main.tf".to_string())]
    );

    // A source directory without configuration files declares nothing.
    let (_, report) = check_json(&repo, &["--source", "plans", "plans/stack.json"]);
    assert!(report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["code"] == "source-not-found"
            && f["message"]
                .as_str()
                .is_some_and(|m| m.contains("`plans` declares no resources"))));

    // A bad glob in [[source]] points into the settings file.
    fs::write(
        repo.join("tierkey.toml"),
        "[[source]]\nplans = \"plans/[\"\ndir = \"stack\"\n",
    )
    .expect("write");
    let out = tierkey(
        &repo,
        &["check", "--tag", "tier=database", "plans/stack.json"],
    );
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid glob"));
}

/// S17 through `[[group]]`s of tierkey.toml: the inputs a group's paths
/// match are judged as one account; without the group each is judged
/// alone.
#[test]
fn groups_of_the_settings_judge_inputs_together() {
    let dir = scratch("groups");
    copy_tree(&fixture("s17-together"), &dir);
    let codes = |report: &serde_json::Value| -> Vec<String> {
        let mut codes: Vec<String> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["code"].as_str().expect("code").to_string())
            .collect();
        codes.sort();
        codes
    };
    let (status, report) = check_json(&dir, &["cdktf.out", "kms-state.json"]);
    assert_eq!(status, 1);
    assert_eq!(
        codes(&report),
        [
            "missing-tier-key",
            "missing-tier-key",
            "tier-key-unverified",
            "tier-key-unverified"
        ]
    );
    fs::write(
        dir.join("tierkey.toml"),
        "[[group]]\nname = \"app\"\npaths = [\"cdktf.out/stacks/*\", \"kms-state.json\"]\n",
    )
    .expect("write");
    let (status, report) = check_json(&dir, &["cdktf.out", "kms-state.json"]);
    assert_eq!(status, 0, "{report}");
    assert!(codes(&report).is_empty(), "{report}");
    let out = tierkey(
        &dir,
        &[
            "check",
            "--tag",
            "tier=database",
            "cdktf.out",
            "kms-state.json",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(
        "judged together (app): cdktf.out/stacks/app, cdktf.out/stacks/kms, kms-state.json"
    ));
}

/// S14 can be switched off per tier (`in_use = "off"`), made a warning, or
/// switched off for one run (`--no-in-use`).
#[test]
fn in_use_is_configurable_per_tier() {
    let dir = scratch("in-use");
    copy_tree(&fixture("s14-in-use"), &dir);
    let not_used = |report: &serde_json::Value| -> Vec<String> {
        findings_with(report, "tier-key-not-used")
            .map(|f| f["severity"].as_str().expect("severity").to_string())
            .collect()
    };
    let (status, report) = check_json(&dir, &["plan.json"]);
    assert_eq!(status, 1);
    assert_eq!(not_used(&report), vec!["error"; 9]);
    let (status, report) = check_json(&dir, &["--no-in-use", "plan.json"]);
    assert_eq!(status, 0);
    assert!(not_used(&report).is_empty());
    let tier = |in_use: &str| {
        fs::write(
            dir.join("tierkey.toml"),
            format!("[[tier]]\nname = \"database\"\ntags = {{ tier = \"database\" }}\nin_use = \"{in_use}\"\n"),
        )
        .expect("write");
        let out = tierkey(&dir, &["check", "--format", "json", "plan.json"]);
        (
            code(&out),
            serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json"),
        )
    };
    let (status, report) = tier("warning");
    assert_eq!(status, 0);
    assert_eq!(not_used(&report), vec!["warning"; 9]);
    let (status, report) = tier("off");
    assert_eq!(status, 0);
    assert!(not_used(&report).is_empty());
    let out = {
        fs::write(
            dir.join("tierkey.toml"),
            "[[tier]]\nname = \"database\"\ntags = { tier = \"database\" }\nin_use = \"loud\"\n",
        )
        .expect("write");
        tierkey(&dir, &["check", "plan.json"])
    };
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected error, warning, info or off"));
}

/// S18: tier tag pairs with a typo are named, with what was seen.
#[test]
fn suspicious_tiers_are_named() {
    let dir = fixture("s11-compliant");
    for (tag, expected) in [
        ("tier=", "tag `tier` has the values \"database\""),
        ("tier = database", "(did you mean tier=database?)"),
        ("Tier=database", "(did you mean tier=database?)"),
    ] {
        let run = |extra: &[&str]| {
            let mut args = vec!["check", "--no-in-use", "--tag", tag];
            args.extend_from_slice(extra);
            args.push("plan.json");
            tierkey(&dir, &args)
        };
        let out = run(&["--format", "json"]);
        assert_eq!(code(&out), 0, "{tag}: warnings only");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let found = finding(&report, "tier-matches-nothing");
        assert_eq!(found["severity"], "warning", "{tag}");
        assert!(
            found["message"]
                .as_str()
                .expect("message")
                .contains(expected),
            "{tag}: {}",
            found["message"]
        );
        let out = run(&["--fail-on", "warning"]);
        assert_eq!(code(&out), 1, "{tag}: --fail-on warning fails");
    }
    // A tier that matches, beside one that does not: no finding.
    let (_, report) = check_json(&dir, &["--no-in-use", "plan.json"]);
    assert!(!report.to_string().contains("tier-matches-nothing"));
}

/// `-` reads standard input, named `<stdin>` in reports.
#[test]
fn standard_input_is_an_input() {
    let plan = fs::read(fixture("examples/multi-region/plan.json")).expect("fixture");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tierkey"))
        .args(["check", "--tag", "tier=database", "--format", "json", "-"])
        .current_dir(fixture("s11-compliant"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), &plan).expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(code(&out), 1);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["inputs"][0]["path"], "<stdin>");
    assert_eq!(report["inputs"][0]["kind"], "plan");
    // The current directory's configuration is no source of standard input.
    assert!(report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .all(|f| f["source"].is_null()));
}

/// A run stopped by a usage error still writes the SARIF file it was asked
/// for, saying it did not succeed and why.
#[test]
fn sarif_is_written_when_the_run_cannot_start() {
    let dir = scratch("sarif-failure");
    let out = tierkey(
        &dir,
        &[
            "check",
            "--tag",
            "tier",
            "--format",
            "sarif=out.sarif",
            "plan.json",
        ],
    );
    assert_eq!(code(&out), 2);
    let sarif: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("out.sarif")).expect("written")).expect("json");
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert!(
        invocation["toolExecutionNotifications"][0]["message"]["text"]
            .as_str()
            .expect("text")
            .contains("--tag")
    );
}

/// `COLUMNS` bounds every line of the human report, also the excerpts and
/// labels of a single-line plan.
#[test]
fn columns_bound_the_human_report() {
    for width in [60, 100, 140] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tierkey"))
            .args(["check", "--tag", "tier=database", "plan.json"])
            .current_dir(fixture("s13-minified"))
            .env("NO_COLOR", "1")
            .env("COLUMNS", width.to_string())
            .output()
            .expect("run");
        let text = String::from_utf8_lossy(&out.stdout);
        let widest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        assert!(widest <= width, "{width}: a line of {widest}\n{text}");
    }
}

/// `tierkey check --jobs JOBS --tag tier=database --format FORMAT INPUT`,
/// from the project's root.
fn with_jobs(jobs: &str, format: &str, input: &str) -> std::process::Output {
    tierkey(
        &root(),
        &[
            "check",
            "--jobs",
            jobs,
            "--tag",
            "tier=database",
            "--format",
            format,
            input,
        ],
    )
}

/// A plan large enough to be read on two threads gives the same report,
/// and the same error, as on one: a compact plan (as Terraform writes it)
/// of 10 000 changes over two regions, half of them database tier, with
/// planned values as large as the changes before them.
#[test]
fn a_large_plan_reads_the_same_on_one_thread_and_two() {
    let dir = scratch("large-plan");
    let entry = |i: usize| {
        let (tier, region) = if i % 2 == 0 {
            ("database", "eu-west-1")
        } else {
            ("web", "us-east-1")
        };
        format!(
            r#"{{"address":"aws_db_instance.r{i}","mode":"managed","type":"aws_db_instance","name":"r{i}","provider_name":"registry.terraform.io/hashicorp/aws","change":{{"actions":["create"],"before":null,"after":{{"region":"{region}","tags":{{"tier":"{tier}","Name":"r{i}"}},"tags_all":{{"tier":"{tier}","Name":"r{i}"}},"storage_encrypted":true}},"after_unknown":{{"kms_key_id":true}}}}}}"#
        )
    };
    let changes: Vec<String> = (0..10_000).map(entry).collect();
    let values: Vec<String> = (0..10_000)
        .map(|i| format!(r#"{{"address":"aws_db_instance.r{i}","mode":"managed","type":"aws_db_instance","name":"r{i}","values":{{"tags":{{"tier":"x","Name":"r{i}"}},"identifier":"a-database-instance-with-a-long-name-{i}"}}}}"#))
        .collect();
    let plan = format!(
        r#"{{"format_version":"1.2","terraform_version":"1.11.0","planned_values":{{"root_module":{{"resources":[{}]}}}},"resource_changes":[{}],"configuration":{{"provider_config":{{"aws":{{"name":"aws","full_name":"registry.terraform.io/hashicorp/aws"}}}},"root_module":{{}}}}}}"#,
        values.join(","),
        changes.join(",")
    );
    assert!(plan.len() > 5 << 20, "large enough for two threads");
    let broken = plan.replace(
        r#""address":"aws_db_instance.r9000""#,
        r#""address":aws_db_instance"#,
    );
    // An entry without its `mode`, in the half the second thread converts.
    let malformed = plan.replace(
        r#""mode":"managed","type":"aws_db_instance","name":"r9000","provider_name""#,
        r#""mode":1,"type":"aws_db_instance","name":"r9000","provider_name""#,
    );
    assert_ne!(malformed, plan);
    fs::write(dir.join("plan.json"), &plan).expect("write");
    fs::write(dir.join("broken.json"), &broken).expect("write");
    fs::write(dir.join("malformed.json"), &malformed).expect("write");
    for (file, status) in [("plan.json", 1), ("broken.json", 2), ("malformed.json", 2)] {
        let run = |jobs: &str| {
            let path = dir.join(file);
            let out = with_jobs(jobs, "json", path.to_str().expect("utf-8 path"));
            assert_eq!(
                code(&out),
                status,
                "{file}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        };
        let one = run("1");
        assert!(run("2") == one, "--jobs 2 changed the report of {file}");
    }
    let path = |file: &str| dir.join(file).to_str().expect("utf-8 path").to_string();
    let report: serde_json::Value =
        serde_json::from_slice(&with_jobs("2", "json", &path("plan.json")).stdout)
            .expect("a JSON report");
    let text = report.to_string();
    assert!(
        text.contains("aws_db_instance.r9998"),
        "the last database instance is read"
    );
    let broken = with_jobs("2", "human", &path("broken.json"));
    assert!(
        String::from_utf8_lossy(&broken.stdout).contains("invalid JSON"),
        "the error in the second half is reported"
    );
    let malformed = with_jobs("2", "human", &path("malformed.json"));
    assert!(
        String::from_utf8_lossy(&malformed.stdout).contains("without a string `mode`"),
        "the malformed entry in the second half is reported"
    );
    let _ = fs::remove_dir_all(&dir);
}

/// `--jobs` far above the work starts no more threads than there is work
/// for: 65 535 jobs on a few inputs once started 65 534 threads, 23 s for
/// a check that takes a hundredth of one. The bound is a hang guard.
#[test]
fn jobs_beyond_the_work_start_no_idle_threads() {
    let start = std::time::Instant::now();
    let many = with_jobs("65535", "json", "fixtures");
    let took = start.elapsed();
    assert_eq!(code(&many), 2, "the fixtures hold unreadable inputs");
    assert!(
        many.stdout == with_jobs("1", "json", "fixtures").stdout,
        "--jobs 65535 changed the output"
    );
    assert!(took.as_secs() < 10, "--jobs 65535 took {took:?}");
}

/// `--jobs` changes how many inputs are checked at once, never the output:
/// every fixture in one run, in each machine format and the human one.
#[test]
fn output_is_the_same_whatever_the_number_of_jobs() {
    let run = |jobs: &str, format: &str| {
        let out = with_jobs(jobs, format, "fixtures");
        assert_eq!(code(&out), 2, "the fixtures hold unreadable inputs");
        out.stdout
    };
    for format in ["json", "sarif", "human"] {
        let one = run("1", format);
        assert!(one.len() > 10_000, "a report of every fixture");
        assert!(
            run("2", format) == one,
            "--jobs 2 changed the {format} output"
        );
        assert!(
            run("5", format) == one,
            "--jobs 5 changed the {format} output"
        );
    }
    let zero = tierkey(
        &root(),
        &["check", "--jobs", "0", "--tag", "tier=database", "fixtures"],
    );
    assert_eq!(code(&zero), 2);
    assert!(String::from_utf8_lossy(&zero.stderr).contains("--jobs"));
}
