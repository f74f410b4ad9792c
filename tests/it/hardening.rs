//! Every class of input that once gave a false pass, a hang, a leak or an
//! overwrite: the binary run on each, asserting the exit status and that
//! nothing was overwritten or leaked.

use std::fs;

use crate::{check_json, findings_with, root, tierkey, Scratch};

fn scratch(name: &str) -> Scratch {
    Scratch::new("hard", name)
}

fn plan() -> serde_json::Value {
    let text = fs::read_to_string(root().join("fixtures/examples/multi-region/plan.json"))
        .expect("fixture");
    serde_json::from_str(&text).expect("json")
}

fn codes(report: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = report["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .filter_map(|i| i["error_code"].as_str().map(str::to_string))
        .chain(
            report["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .map(|f| f["code"].as_str().expect("code").to_string()),
        )
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Nothing read is never a pass: a directory of JSON files none of which is
/// ours, a walked `*plan*.json` that is no plan, a walked configuration
/// with a number no reader holds.
#[test]
fn nothing_read_is_never_a_pass() {
    let dir = scratch("unread");
    fs::create_dir_all(dir.join("only-package")).expect("dir");
    fs::write(dir.join("only-package/package.json"), r#"{"name": "x"}"#).expect("write");
    let (status, report) = check_json(&dir, &["only-package"]);
    assert_eq!(status, 2);
    assert_eq!(codes(&report), ["no-inputs"]);

    fs::create_dir_all(dir.join("plans")).expect("dir");
    fs::write(dir.join("plans/plan.json"), r#"{"resource_changes": []}"#).expect("write");
    let (status, report) = check_json(&dir, &["plans"]);
    assert_eq!(status, 2);
    assert_eq!(codes(&report), ["not-a-plan"]);

    // Binary plans are known by their bytes, whatever their name says.
    fs::create_dir_all(dir.join("binary")).expect("dir");
    for name in ["plan.tfplan", "tfplan", "prod-plan.out"] {
        fs::write(dir.join("binary").join(name), b"PK\x03\x04 zip").expect("write");
    }
    let (status, report) = check_json(&dir, &["binary"]);
    assert_eq!(status, 2);
    assert_eq!(codes(&report), ["binary-plan"]);
    assert_eq!(report["inputs"].as_array().map(Vec::len), Some(3));

    fs::create_dir_all(dir.join("config")).expect("dir");
    fs::write(
        dir.join("config/main.tf.json"),
        r#"{"resource": {"aws_sqs_queue": {"q": {"delay_seconds": 1e400}}}}"#,
    )
    .expect("write");
    let (status, report) = check_json(&dir, &["config"]);
    assert_eq!(status, 2);
    assert_eq!(codes(&report), ["invalid-json"]);
}

/// Files a walk cannot read are reported, never dropped: a dangling
/// symlink, a FIFO, a symlink out of the tree (which is not followed, so
/// nothing of its target is printed), a file name that is not UTF-8.
#[cfg(unix)]
#[test]
fn unreadable_walked_files_are_reported_and_nothing_leaks() {
    use std::os::unix::ffi::OsStrExt;
    let dir = scratch("walk");
    std::os::unix::fs::symlink("nowhere.json", dir.join("dangling-plan.json")).expect("symlink");
    std::os::unix::fs::symlink("/proc/self/environ", dir.join("environ-plan.json"))
        .expect("symlink");
    let fifo = dir.join("fifo-plan.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let odd = std::ffi::OsStr::from_bytes(b"pl\xffan.json");
    fs::write(dir.join(odd), serde_json::to_vec(&plan()).expect("json")).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tierkey"))
        .args(["check", "--tag", "tier=database", "--format", "json", "."])
        .current_dir(&dir)
        .env("TIERKEY_TEST_SECRET", "s3cr3t-value")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("s3cr3t-value"), "the environment leaked");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let failed: Vec<&str> = report["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .filter(|i| i["error_code"] == "unreadable")
        .map(|i| i["path"].as_str().expect("path"))
        .collect();
    assert_eq!(
        failed,
        [
            "./dangling-plan.json",
            "./environ-plan.json",
            "./fifo-plan.json"
        ]
    );
    // The file with a name that is not UTF-8 is read.
    assert!(report["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .any(|i| i["kind"] == "plan"));
    // Named, the symlink into /proc is refused too.
    let (status, report) = check_json(&dir, &["environ-plan.json"]);
    assert_eq!(status, 2);
    assert!(!report.to_string().contains("s3cr3t-value"));
}

/// A FIFO named on the command line is refused without being opened:
/// opening it waited for a writer, for ever.
#[cfg(unix)]
#[test]
fn a_named_fifo_is_refused_at_once() {
    let dir = scratch("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(dir.join("plan.json"))
        .status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tierkey"))
        .args([
            "check",
            "--tag",
            "tier=database",
            "--format",
            "json",
            "plan.json",
        ])
        .current_dir(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run");
    let start = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            panic!("tierkey waited on the FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["inputs"][0]["error_code"], "unreadable");
    assert_eq!(
        report["inputs"][0]["error"],
        "cannot read plan.json: it is not a regular file (a FIFO, socket or device)"
    );
}

/// A `terraform.tfvars` that is a FIFO, or a dangling symlink, is an
/// unreadable input, never a file that is not there (its values would be
/// left out silently).
#[cfg(unix)]
#[test]
fn a_variables_file_that_cannot_be_read_is_reported() {
    for (name, make) in [("fifo", true), ("dangling", false)] {
        let dir = scratch(name);
        fs::write(
            dir.join("main.tf"),
            "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n",
        )
        .expect("write");
        let vars = dir.join("terraform.tfvars");
        if make {
            let made = std::process::Command::new("mkfifo").arg(&vars).status();
            assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        } else {
            std::os::unix::fs::symlink("nowhere.tfvars", &vars).expect("symlink");
        }
        let (status, report) = check_json(&dir, &["."]);
        assert_eq!(status, 2, "{name}: {report}");
        assert_eq!(codes(&report), ["unreadable"], "{name}");
    }
}

/// The same directory named twice, or a directory and one inside it, is
/// checked once, and the second is no error of its own.
#[test]
fn a_directory_named_twice_is_checked_once() {
    let dir = scratch("twice");
    fs::create_dir_all(dir.join("envs/prod")).expect("dir");
    fs::write(
        dir.join("envs/prod/main.tf"),
        "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n",
    )
    .expect("write");
    for args in [
        &["envs", "envs"][..],
        &["envs", "envs/prod"],
        &["envs/prod", "envs"],
    ] {
        let (status, report) = check_json(&dir, args);
        assert_eq!(status, 0, "{args:?}: {report}");
        let inputs = report["inputs"].as_array().expect("inputs");
        assert_eq!(inputs.len(), 1, "{args:?}: {report}");
        assert!(inputs[0]["error"].is_null(), "{args:?}: {report}");
    }
}

/// A variables file that is a symlink to `/dev/zero` (or a FIFO) is refused
/// at once instead of read without end.
#[cfg(unix)]
#[test]
fn special_files_are_never_read() {
    let dir = scratch("special");
    fs::write(
        dir.join("main.tf"),
        "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n",
    )
    .expect("write");
    std::os::unix::fs::symlink("/dev/zero", dir.join("x.auto.tfvars.json")).expect("symlink");
    let (status, report) = check_json(&dir, &["."]);
    assert_eq!(status, 2);
    assert_eq!(codes(&report), ["unreadable"]);
}

/// Roots and stacks that are not there, and a root calling itself.
#[test]
fn missing_stacks_and_self_calls() {
    let dir = scratch("stacks");
    fs::create_dir_all(dir.join("cdktf.out")).expect("dir");
    fs::write(
        dir.join("cdktf.out/manifest.json"),
        r#"{"stacks": {"a": {"synthesizedStackPath": "./stacks/a/cdk.tf.json"}}}"#,
    )
    .expect("write");
    let (status, report) = check_json(&dir, &["cdktf.out/manifest.json"]);
    assert_eq!(status, 2);
    assert_eq!(codes(&report), ["unreadable"]);

    fs::create_dir_all(dir.join("self")).expect("dir");
    fs::write(
        dir.join("self/main.tf"),
        "resource \"aws_sqs_queue\" \"q\" {\n  tags = { tier = \"database\" }\n}\nmodule \"again\" {\n  source = \"./\"\n}\n",
    )
    .expect("write");
    let (status, report) = check_json(&dir, &["--no-in-use", "self"]);
    assert_eq!(status, 1, "{report}");
    assert_eq!(report["inputs"][0]["path"], "self");
    assert!(codes(&report).contains(&"module-not-checked".to_string()));
}

/// A way to break a plan.
type Break = Box<dyn Fn(&mut serde_json::Value)>;

/// Plan structures Terraform never writes are rejected with their place,
/// and a tag value that is not a string is not known to be one.
#[test]
fn malformed_plans_are_rejected() {
    let dir = scratch("malformed");
    let cases: Vec<(&str, Break)> = vec![
        (
            "configuration",
            Box::new(|p| p["configuration"] = true.into()),
        ),
        (
            "change",
            Box::new(|p| p["resource_changes"][0]["change"] = serde_json::Value::Null),
        ),
        (
            "mode",
            Box::new(|p| p["resource_changes"][0]["mode"] = 5.into()),
        ),
        (
            "type",
            Box::new(|p| p["resource_changes"][0]["type"] = serde_json::json!(["x"])),
        ),
    ];
    for (name, break_it) in cases {
        let mut p = plan();
        break_it(&mut p);
        let file = format!("{name}.json");
        fs::write(dir.join(&file), serde_json::to_vec(&p).expect("json")).expect("write");
        let (status, report) = check_json(&dir, &[&file]);
        assert_eq!(status, 2, "{name}");
        assert_eq!(codes(&report), ["invalid-json"], "{name}");
        assert!(report["inputs"][0]["line"].is_u64(), "{name}: located");
    }
    let mut p = plan();
    for change in p["resource_changes"].as_array_mut().expect("changes") {
        if change["change"]["after"]["tags"].is_object() {
            change["change"]["after"]["tags"]["tier"] = serde_json::json!(["database"]);
            change["change"]["after"]["tags_all"]["tier"] = serde_json::json!(["database"]);
        }
    }
    fs::write(
        dir.join("list-tags.json"),
        serde_json::to_vec(&p).expect("json"),
    )
    .expect("write");
    let (_, report) = check_json(&dir, &["--no-in-use", "list-tags.json"]);
    assert!(codes(&report).contains(&"tags-unknown".to_string()));
}

/// Control characters from an input never reach the terminal or start a
/// workflow command: a region holding a line break and an escape.
#[test]
fn control_characters_are_escaped() {
    let dir = scratch("control");
    let mut p = plan();
    let evil = "us-east-1\n::warning::pwned\u{1b}[31m";
    p["configuration"]["provider_config"]["aws.us"]["expressions"]["region"]["constant_value"] =
        evil.into();
    fs::write(dir.join("plan.json"), serde_json::to_vec(&p).expect("json")).expect("write");
    for format in ["human", "github"] {
        let out = tierkey(
            &dir,
            &[
                "check",
                "--tag",
                "tier=database",
                "--format",
                format,
                "plan.json",
            ],
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("pwned"), "{format}: the region is shown");
        assert!(
            !text.lines().any(|l| l.starts_with("::warning::pwned")),
            "{format}: a workflow command was injected:\n{text}"
        );
        assert!(!text.contains('\u{1b}'), "{format}: a raw escape");
    }
}

/// A report never overwrites an input, two formats never share a file,
/// and a report is written whole or not at all.
#[test]
fn reports_never_overwrite_inputs() {
    let dir = scratch("overwrite");
    let original = serde_json::to_vec(&plan()).expect("json");
    fs::write(dir.join("plan.json"), &original).expect("write");
    for args in [
        vec!["--format", "sarif=./plan.json", "plan.json"],
        vec!["--output", "plan.json", "plan.json"],
        vec![
            "--format",
            "sarif=r.out",
            "--format",
            "json=./r.out",
            "plan.json",
        ],
    ] {
        let mut argv = vec!["check", "--tag", "tier=database"];
        argv.extend(args);
        let out = tierkey(&dir, &argv);
        assert_eq!(out.status.code(), Some(2), "{argv:?}");
        assert_eq!(fs::read(dir.join("plan.json")).expect("read"), original);
        assert!(!dir.join("r.out").exists());
    }
    let out = tierkey(
        &dir,
        &[
            "check",
            "--tag",
            "tier=database",
            "--format",
            "sarif=r.out",
            "plan.json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let written: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("r.out")).expect("report")).expect("whole");
    assert_eq!(written["version"], "2.1.0");
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".tierkey-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
}

/// A `tierkey.toml` above the current directory counts only inside one
/// git working tree, up to its top: one in a shared parent never applies.
#[test]
fn settings_above_the_repository_never_apply() {
    let dir = scratch("settings");
    let waive_all =
        "[[waiver]]\ntier = \"database\"\nregion = \"us-east-1\"\nreason = \"planted\"\n";
    fs::write(dir.join("tierkey.toml"), waive_all).expect("write");
    let work = dir.join("work");
    fs::create_dir_all(&work).expect("dir");
    fs::write(
        work.join("plan.json"),
        serde_json::to_vec(&plan()).expect("json"),
    )
    .expect("write");
    let out = tierkey(
        &work,
        &[
            "check",
            "--tag",
            "tier=database",
            "--no-in-use",
            "plan.json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "the planted waiver applied");
    // Inside a repository the file at its top applies, and is named.
    fs::create_dir_all(dir.join(".git")).expect("dir");
    let out = tierkey(
        &work,
        &[
            "check",
            "--tag",
            "tier=database",
            "--no-in-use",
            "plan.json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("settings: ../tierkey.toml"));
}

/// Carriage returns of CRLF files never reach the terminal, and a byte
/// order mark is no column.
#[test]
fn crlf_and_bom_inputs_are_shown_cleanly() {
    let dir = scratch("crlf");
    let text = serde_json::to_string_pretty(&plan())
        .expect("json")
        .replace('\n', "\r\n");
    fs::write(dir.join("plan.json"), format!("\u{feff}{text}")).expect("write");
    let out = tierkey(&dir, &["check", "--tag", "tier=database", "plan.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\r'));
    let (_, report) = check_json(&dir, &["--no-in-use", "plan.json"]);
    // The document starts after the mark: byte 3, column 1.
    let first = &report["findings"][0];
    assert_eq!(
        (first["offset"].as_u64(), first["column"].as_u64()),
        (Some(3), Some(1))
    );
}

/// Found by fuzzing (hcl): a finding about the whole document of a file
/// that starts with a byte order mark underlined its first byte, inside the
/// three-byte mark. Every location of every finding lies on character
/// boundaries.
#[test]
fn locations_never_split_a_character() {
    let tier = tierkey::TagPair {
        key: "tier".into(),
        value: tierkey::TagValue::Exact("database".into()),
    };
    let options = tierkey::Options {
        jobs: 1,
        ..tierkey::Options::new(Vec::new(), vec![tierkey::Tier::new("database", vec![tier])])
    };
    let tf = "\u{feff}resource \"aws_sqs_queue\" \"q\" {\n  tags = { tiar = \"database\" }\n}\n";
    let json = "\u{feff}{\"variable\": {\"x\": {}}, \"resource\": {\"aws_sqs_queue\": {\"q\": {\"tags\": {\"tiar\": \"database\"}}}}}";
    for (name, text) in [("main.tf", tf), ("main.tf.json", json)] {
        let outcome = tierkey::check_bytes(name, text.as_bytes().to_vec(), &options);
        assert!(!outcome.findings.is_empty(), "{name}: a finding to check");
        for f in &outcome.findings {
            let labels = std::iter::once(&f.primary)
                .chain(&f.related)
                .chain(f.source.as_deref());
            for label in labels {
                for span in [&label.span, &label.focus] {
                    let text = outcome.sources.get(span.file).text();
                    let (start, end) = (span.range.start, span.range.end);
                    assert!(
                        text.is_char_boundary(start) && text.is_char_boundary(end),
                        "{name}: {:?} {start}..{end} splits a character",
                        f.code
                    );
                }
            }
        }
    }
}

/// Checks the `.tf` file `data` (in tests/it/data) as a root module's
/// `main.tf`: it is rejected (exit 2) with `message`, located at `at`,
/// before the parser could take long.
fn rejected_before_parsing(data: &str, message: &str, at: &str) {
    let dir = scratch(data);
    fs::copy(root().join("tests/it/data").join(data), dir.join("main.tf")).expect("copy");
    let started = std::time::Instant::now();
    let out = tierkey(&dir, &["check", "--tag", "tier=database", "main.tf"]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).into_owned();
    assert!(text.contains(message), "{text}");
    assert!(text.contains(&format!("main.tf:{at}")), "{text}");
    // Not a timing test: a generous bound that only a hang exceeds.
    assert!(started.elapsed().as_secs() < 20);
}

/// Found by fuzzing (hcl): 39 brackets never closed made the HCL parser
/// backtrack for seconds on a 1 KB file (more brackets, more time).
/// Unclosed brackets are found before parsing, and located.
#[test]
fn unclosed_brackets_are_found_before_parsing() {
    rejected_before_parsing("unclosed-brackets.tf", "this `[` is never closed", "1:37");
}

/// Found by fuzzing (hcl): unclosed template interpolations (`%{` in
/// strings) made the parser backtrack for 36 s on a 724-byte file. They
/// are found by the same scan before parsing, and located.
#[test]
fn unclosed_interpolations_are_found_before_parsing() {
    rejected_before_parsing(
        "unclosed-interpolations.tf",
        "this `%{` starts an interpolation that is never closed",
        "2:692",
    );
}

/// Found in review: one object constructor of n items cost the parser n²
/// (it checks each new key against all before it): a `tags` map of 40 000
/// entries took 11 s, two of 100 000 three minutes. Large objects are
/// parsed in chunks (in interpolations too); their items, repeated keys
/// (the last wins) and spans are as Terraform reads them.
#[test]
fn huge_object_literals_parse_in_linear_time() {
    let dir = scratch("huge-object");
    let n = 40_000;
    let mut text = String::from(
        "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n\
         resource \"aws_sqs_queue\" \"q\" {\n  tags = {\n    tier = \"web\"\n",
    );
    for i in 0..n {
        text.push_str(&format!("    k{i} = \"v{i}\"\n"));
    }
    // Repeated, after the object has been cut many times: this one wins.
    text.push_str("    tier = \"database\"\n  }\n}\nlocals {\n  m = {");
    let items: Vec<String> = (0..n).map(|i| format!("a{i} = {i}")).collect();
    text.push_str(&items.join(", "));
    // And one inside an interpolation.
    text.push_str(&format!(
        "}}\n  s = \"${{ {{ {} }}.a1 }}\"\n}}\n",
        items.join(", ")
    ));
    fs::write(dir.join("main.tf"), &text).expect("write");
    let started = std::time::Instant::now();
    let (code, report) = check_json(&dir, &["main.tf"]);
    // Not a timing test: a generous bound that only a hang exceeds.
    assert!(started.elapsed().as_secs() < 20);
    assert_eq!(code, 1, "{}", codes(&report).join(","));
    let missing: Vec<&serde_json::Value> = findings_with(&report, "missing-tier-key").collect();
    assert_eq!(missing.len(), 1, "{}", codes(&report).join(","));
    assert_eq!(missing[0]["region"], "eu-west-1");
    assert_eq!(missing[0]["resources"][0], "aws_sqs_queue.q");
}

/// Found in review: the instances of one block that fail alike make one
/// finding, and finding the alike one compared each new finding with every
/// earlier one of the block: 20 000 instances each naming another key took
/// 56 s. They are found by a hash now; here every instance's key is shared
/// with exactly one other, so that half of them merge.
#[test]
fn many_instances_of_one_block_are_judged_in_linear_time() {
    let dir = scratch("one-block");
    let n = 20_000;
    let entries: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"address":"aws_db_instance.x[{i}]","mode":"managed","type":"aws_db_instance","name":"x","index":{i},"provider_name":"registry.terraform.io/hashicorp/aws","change":{{"actions":["create"],"before":null,"after":{{"tags":{{"tier":"database"}},"tags_all":{{"tier":"database"}},"storage_encrypted":true,"kms_key_id":"arn:aws:kms:eu-west-1:111122223333:key/k-{}"}},"after_unknown":{{}}}}}}"#,
                i % (n / 2)
            )
        })
        .collect();
    let plan = format!(
        r#"{{"format_version":"1.2","terraform_version":"1.11.0","resource_changes":[{}],"configuration":{{"provider_config":{{"aws":{{"name":"aws","full_name":"registry.terraform.io/hashicorp/aws","expressions":{{"region":{{"constant_value":"eu-west-1"}}}}}}}},"root_module":{{"resources":[{{"address":"aws_db_instance.x","mode":"managed","type":"aws_db_instance","name":"x","provider_config_key":"aws","expressions":{{}}}}]}}}}}}"#,
        entries.join(",")
    );
    fs::write(dir.join("plan.json"), plan).expect("write");
    let started = std::time::Instant::now();
    let (code, report) = check_json(&dir, &["plan.json"]);
    // Not a timing test: a generous bound that only a hang exceeds.
    assert!(started.elapsed().as_secs() < 30);
    assert_eq!(code, 1, "{}", codes(&report).join(","));
    let unverified: Vec<&serde_json::Value> =
        findings_with(&report, "tier-key-unverified").collect();
    assert_eq!(unverified.len(), n / 2);
    for f in &unverified {
        let resources = f["resources"].as_array().expect("resources");
        assert_eq!(resources.len(), 2, "{f}");
        let first = resources[0].as_str().expect("address");
        let index: usize = first["aws_db_instance.x[".len()..first.len() - 1]
            .parse()
            .expect("an index");
        assert_eq!(
            resources[1],
            format!("aws_db_instance.x[{}]", index + n / 2)
        );
    }
}

/// A large file is mapped rather than read: it is checked exactly like a
/// small one (the same findings at the same places), and invalid UTF-8 in
/// it is located.
#[test]
fn large_mapped_files_read_as_small_ones() {
    let dir = scratch("mapped");
    let small = serde_json::to_string_pretty(&plan()).expect("json");
    assert!(small.len() < 64 << 10, "the small plan is read, not mapped");
    // The same plan with 2 MiB of padding in front: mapped (from 64 KiB;
    // the plan alone is smaller, and read).
    let pad = format!("{{\"padding\": \"{}\",", "p".repeat(2 << 20));
    let large = small.replacen('{', &pad, 1);
    fs::write(dir.join("small.json"), &small).expect("write");
    fs::write(dir.join("large.json"), &large).expect("write");
    let (small_code, small_report) = check_json(&dir, &["small.json"]);
    let (large_code, large_report) = check_json(&dir, &["large.json"]);
    assert_eq!((small_code, large_code), (1, 1));
    let lines = |report: &serde_json::Value| -> Vec<(String, u64)> {
        let findings = report["findings"].as_array().expect("findings");
        assert!(!findings.is_empty());
        findings
            .iter()
            .map(|f| {
                (
                    f["code"].as_str().unwrap_or("").to_string(),
                    f["line"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    };
    assert_eq!(lines(&small_report), lines(&large_report));
    let mut broken = large.into_bytes();
    let at = (2 << 20) + 100;
    broken[at] = 0xFF;
    fs::write(dir.join("broken.json"), &broken).expect("write");
    let out = tierkey(&dir, &["check", "--tag", "tier=database", "broken.json"]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).into_owned();
    assert!(
        text.contains(&format!("invalid UTF-8 at byte {at}")),
        "{text}"
    );
}

/// Control bytes deep in a file (past the head that tells text from a
/// binary file) are never printed: JSON rejects them where they are, an
/// excerpt of HCL shows them as spaces.
#[test]
fn control_bytes_past_the_head_are_never_shown() {
    let dir = scratch("deep-control");
    let padding = format!("# {}\n", "x".repeat(80)).repeat(1000);
    let tf = format!("{padding}resource \"aws_s3_bucket\" \"b\" {{\n  bucket = \"a\u{1b}[31mred\"\n  = broken\n}}\n");
    fs::write(dir.join("main.tf"), tf).expect("write");
    let json = format!(
        "{{\"format_version\": \"1.2\", \"pad\": \"{}\", \"x\": \"\u{1b}[31m\"}}",
        "y".repeat(70_000)
    );
    fs::write(dir.join("plan.json"), json).expect("write");
    for input in ["main.tf", "plan.json"] {
        let out = tierkey(&dir, &["check", "--tag", "tier=database", input]);
        assert_eq!(out.status.code(), Some(2), "{input} is unreadable");
        let text = String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).into_owned();
        assert!(
            !text.contains('\u{1b}'),
            "{input}: an escape reached the terminal:\n{text}"
        );
        assert!(
            text.contains(input),
            "{input}: the error names the file:\n{text}"
        );
    }
}

/// Usage mistakes are found before anything is read.
#[test]
fn usage_mistakes_are_found_first() {
    let dir = scratch("usage");
    fs::write(
        dir.join("plan.json"),
        serde_json::to_vec(&plan()).expect("json"),
    )
    .expect("write");
    let out = tierkey(
        &dir,
        &[
            "check",
            "--tag",
            "tier=database",
            "--var-file",
            "missing.tfvars",
            "plan.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--var-file missing.tfvars: no such file")
    );
}

/// Module fan-out stops at a documented bound, saying where.
#[test]
fn module_fan_out_is_bounded() {
    let dir = scratch("fan-out");
    for (path, text) in [
        ("main.tf", "provider \"aws\" {\n  region = \"eu-west-1\"\n}\nmodule \"a\" {\n  count  = 1000\n  source = \"./m1\"\n}\n"),
        ("m1/main.tf", "module \"b\" {\n  count  = 1000\n  source = \"../m2\"\n}\n"),
        ("m2/main.tf", "resource \"aws_sqs_queue\" \"q\" {\n  count = 1000\n  tags  = { tier = \"database\" }\n}\n"),
    ] {
        let file = dir.join(path);
        fs::create_dir_all(file.parent().expect("dir")).expect("dirs");
        fs::write(file, text).expect("write");
    }
    let (_, report) = check_json(&dir, &["."]);
    let stopped = findings_with(&report, "module-not-checked").count();
    assert!(stopped >= 1, "{}", codes(&report).join(","));
    let not_used: Vec<&serde_json::Value> = findings_with(&report, "tier-key-not-used").collect();
    // One finding for the block, not one per instance.
    assert_eq!(not_used.len(), 1);
    assert!(
        not_used[0]["resources"]
            .as_array()
            .expect("resources")
            .len()
            > 1000
    );
}
