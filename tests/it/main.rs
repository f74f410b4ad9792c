//! One integration-test binary (a link step per file is slow on 2 cores).
//!
//! - `fixtures`: every `fixtures/<case>/` run through the CLI, its human
//!   and JSON reports snapshotted with the exit status; each machine format
//!   snapshotted once over a shared set of findings (SARIF checked against
//!   its schema, JUnit parsed back);
//! - `cli`: exit codes, `--help`, options, and every class of bad input;
//! - `hardening`: every class of input that once gave a false pass, a
//!   hang, a leak or an overwrite;
//! - `corpus`: every input of `../shared/corpus` (ignored, saying why, when
//!   it is not beside the checkout; an error under CI), and inputs mutated
//!   byte by byte (no panics);
//! - `precommit`: the pre-commit hooks under the real pre-commit framework
//!   (opt-in with `TIERKEY_TEST_PRE_COMMIT=1`; always under CI);
//! - `terraform`: `.tf` files and Terraform's own plan of them agree, and
//!   the committed plans are what Terraform makes (ignored, saying so,
//!   where `terraform` or the provider mirror is missing).

mod cli;
mod corpus;
mod fixtures;
mod hardening;
mod precommit;
mod terraform;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary in `dir` with a fixed terminal width, no colour, and no
/// `TF_VAR_` variables but those of `dir/env` (`NAME=VALUE` lines), if any.
pub(crate) fn tierkey<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tierkey"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100");
    for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("TF_VAR_")) {
        command.env_remove(name);
    }
    if let Ok(env) = std::fs::read_to_string(dir.join("env")) {
        for (name, value) in env.lines().filter_map(|l| l.split_once('=')) {
            command.env(name, value);
        }
    }
    command.output().expect("run tierkey")
}

/// `tierkey check --tag tier=database --format json ARGS...` in `dir`:
/// the exit code and the parsed report.
pub(crate) fn check_json(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let mut command = vec!["check", "--tag", "tier=database", "--format", "json"];
    command.extend(args);
    let out = tierkey(dir, &command);
    let report = serde_json::from_slice(&out.stdout).expect("the JSON report parses");
    (out.status.code().expect("exit code"), report)
}

/// `(path, FIELD)` of every input of a JSON report (FIELD null → "").
pub(crate) fn inputs_with<'r>(
    report: &'r serde_json::Value,
    field: &str,
) -> Vec<(&'r str, &'r str)> {
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
pub(crate) fn transcript(out: &Output) -> String {
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
