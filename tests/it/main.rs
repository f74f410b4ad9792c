//! One integration-test binary (a link step per file is slow on 2 cores).
//!
//! - `fixtures`: every `fixtures/<case>/` run through the CLI, every output
//!   format snapshotted with the exit status (SARIF checked against its
//!   schema, JUnit parsed back);
//! - `cli`: exit codes, `--help`, options, and every class of bad input;
//! - `corpus`: every input of `../shared/corpus`, when present, and inputs
//!   mutated byte by byte (no panics);
//! - `precommit`: the pre-commit hooks under the real pre-commit framework.

mod cli;
mod corpus;
mod fixtures;
mod precommit;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary in `dir` with a fixed terminal width and no colour.
pub fn tierkey(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tierkey"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .expect("run tierkey")
}

/// `tierkey check --tag tier=database --format json ARGS...` in `dir`:
/// the exit code and the parsed report.
pub fn check_json(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let mut argv = vec!["check", "--tag", "tier=database", "--format", "json"];
    argv.extend(args);
    let out = tierkey(dir, &argv);
    let report = serde_json::from_slice(&out.stdout).expect("the JSON report parses");
    (out.status.code().expect("exit code"), report)
}

/// `(path, FIELD)` of every input of a JSON report (FIELD null → "").
pub fn inputs_with<'r>(report: &'r serde_json::Value, field: &str) -> Vec<(&'r str, &'r str)> {
    report["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| {
            (
                i["path"].as_str().expect("path"),
                i[field].as_str().unwrap_or(""),
            )
        })
        .collect()
}

/// Exit status, stdout and stderr as one text for snapshots.
pub fn transcript(out: &Output) -> String {
    let mut s = format!("exit: {}\n", out.status.code().unwrap_or(-1));
    s.push_str("--- stdout\n");
    s.push_str(&String::from_utf8_lossy(&out.stdout));
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stderr.is_empty() {
        s.push_str("--- stderr\n");
        s.push_str(&stderr);
    }
    s
}
