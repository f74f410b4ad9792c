//! Real Terraform as the oracle. Fixtures that hold both `.tf` files and
//! `plan.json` (Terraform's own plan of them, made by
//! `fixtures/make-plan.sh`) are checked as both inputs — the plan with the
//! `.tf` files beside it as its source — and the two verdicts must agree:
//! the same findings (code, severity, tier, region, resources) and the same
//! regions checked. When `terraform` and the AWS
//! provider mirror are on this machine, each such plan is made again and
//! must give the verdict of the committed one, so a committed plan is
//! Terraform's, not edited by hand; where they are missing that test is
//! ignored and says so.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::fixtures::check_args;
use crate::{root, tierkey};

/// Fixtures whose `.tf` files and plan must give the same verdict.
const AGREEING: &[&str] = &[
    "h01-hcl-basics",
    "h02-override-files",
    "h03-variables",
    "h06-modules",
    "h07-dynamic-blocks",
    "h08-modules-json",
    "h09-syntax",
    "h04-expressions",
    "s16-source-mapping",
    "s14-in-use",
];

/// Fixtures with a plan Terraform made where there is no `.tf` verdict to
/// compare (s04: the plan of a state that `removed` blocks forget).
const PLANNED_ONLY: &[&str] = &["s04-forget"];

/// One verdict: the findings and the regions checked of one input.
#[derive(Debug, PartialEq, Eq)]
struct Verdict {
    findings: BTreeSet<(String, String, String, String, Vec<String>)>,
    checks: BTreeSet<(String, String, bool)>,
}

fn verdict(report: &Value, input: impl Fn(&str) -> bool) -> Verdict {
    let text = |v: &Value| v.as_str().unwrap_or("-").to_string();
    let findings = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| input(f["input"].as_str().expect("input")))
        .map(|f| {
            let mut resources: Vec<String> = f["resources"]
                .as_array()
                .expect("resources")
                .iter()
                .map(text)
                .collect();
            resources.sort();
            (
                text(&f["code"]),
                text(&f["severity"]),
                text(&f["tier"]),
                text(&f["region"]),
                resources,
            )
        })
        .collect();
    let checks = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| input(c["input"].as_str().expect("input")))
        .map(|c| {
            (
                text(&c["tier"]),
                text(&c["region"]),
                c["passed"].as_bool().expect("passed"),
            )
        })
        .collect();
    Verdict { findings, checks }
}

fn report(dir: &Path, check: &[String]) -> Value {
    let mut argv = check.to_vec();
    argv.extend(["--format".into(), "json".into()]);
    let out = tierkey(dir, &argv);
    serde_json::from_slice(&out.stdout).expect("the JSON report parses")
}

fn is_plan(input: &str) -> bool {
    input.ends_with("plan.json")
}

#[test]
fn tf_files_and_terraforms_plan_of_them_agree() {
    for name in AGREEING {
        let case = root().join("fixtures").join(name);
        assert!(case.join("plan.json").is_file(), "{name} has its plan");
        let report = report(&case, &check_args(&case));
        let inputs = report["inputs"].as_array().expect("inputs");
        assert_eq!(inputs.len(), 2, "{name}: the .tf root and the plan");
        for i in inputs {
            assert!(i["error"].is_null(), "{name}: {}", i["error"]);
        }
        let from_plan = verdict(&report, is_plan);
        let from_tf = verdict(&report, |i| !is_plan(i));
        assert!(
            !from_plan.checks.is_empty(),
            "{name}: some region is checked"
        );
        assert_eq!(from_tf, from_plan, "{name}: .tf and plan disagree");
    }
}

/// `terraform` and the provider mirror, when this machine has them.
fn terraform_at_hand() -> bool {
    Command::new("terraform")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
#[cfg_attr(
    tierkey_no_terraform,
    ignore = "terraform or the AWS provider mirror is not on this machine"
)]
fn committed_plans_are_terraforms_own() {
    assert!(terraform_at_hand(), "terraform runs");
    let out_dir = root().join("target/terraform-plans");
    std::fs::create_dir_all(&out_dir).expect("dir");
    for name in AGREEING.iter().chain(PLANNED_ONLY) {
        let case = root().join("fixtures").join(name);
        let fresh = out_dir.join(format!("{name}.json"));
        let made = Command::new(root().join("fixtures/make-plan.sh"))
            .arg(&case)
            .arg(&fresh)
            .output()
            .expect("run make-plan.sh");
        assert!(
            made.status.success(),
            "{name}: make-plan.sh failed: {}",
            String::from_utf8_lossy(&made.stderr)
        );
        // Both with the fixture's `.tf` files as their source.
        let tags = [
            "check".to_string(),
            "--tag".to_string(),
            "tier=database".to_string(),
            "--source".to_string(),
            case.display().to_string(),
        ];
        let committed = report(&case, &[&tags[..], &["plan.json".into()]].concat());
        let remade = report(&case, &[&tags[..], &[fresh.display().to_string()]].concat());
        assert_eq!(
            verdict(&remade, |_| true),
            verdict(&committed, |_| true),
            "{name}: the committed plan is not what Terraform makes now"
        );
    }
}
