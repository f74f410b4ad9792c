//! The pre-commit hooks, run by the real pre-commit framework
//! (`pre-commit try-repo`). Skipped, with a notice, only when pre-commit is
//! not installed and cannot be installed with pip.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::root;

fn pre_commit_available() -> bool {
    let works = || {
        Command::new("pre-commit")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if works() {
        return true;
    }
    let _ = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "pre-commit"])
        .status();
    works()
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .status()
        .expect("git");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn hooks_run_under_pre_commit() {
    if !pre_commit_available() {
        eprintln!("pre-commit cannot be installed here: hook test skipped");
        return;
    }
    let repo = std::env::temp_dir().join(format!("tierkey-precommit-{}", std::process::id()));
    let _ = fs::remove_dir_all(&repo);
    let case = root().join("fixtures/c08-monorepo-walk");
    for dir in ["envs/prod", "envs/stage", "modules/db", "plans"] {
        fs::create_dir_all(repo.join(dir)).expect("dirs");
    }
    for file in [
        "envs/prod/main.tf.json",
        "envs/stage/main.tf.json",
        "modules/db/main.tf.json",
    ] {
        fs::copy(case.join(file), repo.join(file)).expect("copy");
    }
    fs::copy(
        root().join("fixtures/examples/multi-region/plan.json"),
        repo.join("plans/prod-plan.json"),
    )
    .expect("copy");
    fs::write(
        repo.join("tierkey.toml"),
        "[[tier]]\nname = \"database\"\ntags = { tier = \"database\" }\n",
    )
    .expect("config");
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "fixture"]);

    let run = |hook: &str, files: &[&str]| {
        let mut cmd = Command::new("pre-commit");
        cmd.args([
            "try-repo",
            root().to_str().expect("utf8"),
            hook,
            "--verbose",
            "--files",
        ])
        .args(files)
        .current_dir(&repo)
        // Reuse one build across runs of this test.
        .env("CARGO_TARGET_DIR", root().join("target/pre-commit"));
        let out = cmd.output().expect("pre-commit runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };

    // The plan hook: us-east-1 lacks a key.
    let (status, text) = run("tierkey-plan", &["plans/prod-plan.json"]);
    assert_eq!(status, Some(1), "{text}");
    assert!(text.contains("missing-tier-key"), "{text}");
    assert!(text.contains("us-east-1"), "{text}");

    // The configuration hook, given a module file: both configurations that
    // use it are checked, and stage (us-east-1) fails.
    let (status, text) = run("tierkey-config", &["modules/db/main.tf.json"]);
    assert_eq!(status, Some(1), "{text}");
    assert!(text.contains("read 2 of 2 inputs (2 tf-json)"), "{text}");

    // A change to the compliant configuration alone passes.
    let (status, text) = run("tierkey-config", &["envs/prod/main.tf.json"]);
    assert_eq!(status, Some(0), "{text}");
    let _ = fs::remove_dir_all(&repo);
}
