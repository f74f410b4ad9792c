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

/// A fresh directory for one test under the system's temporary directory,
/// removed again when the test ends (passed or failed).
pub(crate) struct Scratch(PathBuf);

impl Scratch {
    /// `tierkey-{kind}-{pid}-{name}`, emptied if a run before left it.
    pub(crate) fn new(kind: &str, name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("tierkey-{kind}-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for Scratch {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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

/// The findings of one code in a JSON report, in the report's order.
pub(crate) fn findings_with<'r>(
    report: &'r serde_json::Value,
    code: &'r str,
) -> impl Iterator<Item = &'r serde_json::Value> + 'r {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(move |f| f["code"] == code)
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
