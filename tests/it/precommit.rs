//! The pre-commit hooks, run by the real pre-commit framework
//! (`pre-commit try-repo`). Opt-in (`TIERKEY_TEST_PRE_COMMIT=1`, always on
//! under CI): it installs pre-commit into a virtual environment under
//! `target/` (never the user's Python) with pre-commit's own cache there
//! too, and pre-commit builds tierkey again, which takes minutes.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{root, Scratch};

/// pre-commit, installed once into `target/pre-commit/venv`.
fn pre_commit() -> PathBuf {
    let venv = root().join("target/pre-commit/venv");
    let bin = venv.join("bin/pre-commit");
    if bin.is_file() {
        return bin;
    }
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .expect("python3 runs");
    assert!(
        status.success(),
        "python3 -m venv {} failed",
        venv.display()
    );
    let status = Command::new(venv.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "pre-commit",
        ])
        .status()
        .expect("pip runs");
    assert!(
        status.success(),
        "pip install pre-commit into {} failed",
        venv.display()
    );
    bin
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
#[cfg_attr(
    tierkey_no_pre_commit,
    ignore = "opt-in: set TIERKEY_TEST_PRE_COMMIT=1 (installs pre-commit into target/, then builds tierkey again: minutes)"
)]
fn hooks_run_under_pre_commit() {
    let pre_commit = pre_commit();
    let repo = Scratch::new("precommit", "repo");
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
        // The hooks, not the in-use rule (which the fixtures' databases fail).
        "[[tier]]\nname = \"database\"\ntags = { tier = \"database\" }\nin_use = \"off\"\n",
    )
    .expect("config");
    let hcl = root().join("fixtures/h06-modules");
    for file in [
        "main.tf",
        "versions.tf",
        "modules/db/main.tf",
        "modules/db/inner/main.tf",
        "modules/settings/main.tf",
    ] {
        let to = repo.join("hcl").join(file);
        fs::create_dir_all(to.parent().expect("dir")).expect("dirs");
        fs::copy(hcl.join(file), to).expect("copy");
    }
    fs::write(repo.join("hcl/terraform.tfvars"), "# no values\n").expect("tfvars");
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "fixture"]);

    let run = |hook: &str, files: &[&str]| {
        let mut cmd = Command::new(&pre_commit);
        cmd.args([
            "try-repo",
            root().to_str().expect("utf8"),
            hook,
            "--verbose",
            "--files",
        ])
        .args(files)
        .current_dir(&repo)
        // Reuse one build across runs of this test; pre-commit's cache too.
        .env("CARGO_TARGET_DIR", root().join("target/pre-commit/build"))
        .env("PRE_COMMIT_HOME", root().join("target/pre-commit/home"));
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

    // The HCL hook: a changed module file, the root's own file and its
    // variables file check that one root, once; its queue in us-west-2
    // lacks a key.
    let (status, text) = run(
        "tierkey-hcl",
        &[
            "hcl/modules/db/inner/main.tf",
            "hcl/main.tf",
            "hcl/terraform.tfvars",
        ],
    );
    assert_eq!(status, Some(1), "{text}");
    assert!(text.contains("read 1 of 1 input (1 tf)"), "{text}");
    assert!(text.contains("us-west-2"), "{text}");
}
