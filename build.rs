//! Tells the tests what this checkout has beside it, so that a test whose
//! data is missing is reported as ignored, with the reason, instead of
//! passing silently. Under CI (`CI` set) nothing is ignored for that
//! reason: a test whose data is missing there fails. Terraform is another
//! matter: the tests that run it are ignored, saying so, wherever it or
//! the AWS provider mirror is missing.

use std::env;
use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=TIERKEY_TEST_PRE_COMMIT");
    println!(
        "cargo::rustc-check-cfg=cfg(tierkey_no_corpus, tierkey_no_schemas, tierkey_no_pre_commit, tierkey_no_terraform)"
    );
    let ci = env::var_os("CI").is_some_and(|v| !v.is_empty());
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    for (dir, cfg) in [
        ("corpus", "tierkey_no_corpus"),
        ("schemas", "tierkey_no_schemas"),
    ] {
        let path = shared.join(dir);
        println!("cargo::rerun-if-changed={}", path.display());
        if !ci && !path.is_dir() {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
    println!("cargo::rerun-if-env-changed=TF_PLUGIN_MIRROR");
    println!("cargo::rerun-if-env-changed=PATH");
    let mirror = env::var_os("TF_PLUGIN_MIRROR").unwrap_or_else(|| "/opt/tf-plugins".into());
    let terraform = Command::new("terraform")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !terraform || !Path::new(&mirror).is_dir() {
        println!("cargo::rustc-cfg=tierkey_no_terraform");
    }
    // The pre-commit test installs pre-commit into target/ and builds
    // tierkey again (minutes): opt-in, and always on in CI.
    let pre_commit = env::var_os("TIERKEY_TEST_PRE_COMMIT").is_some_and(|v| !v.is_empty());
    if !ci && !pre_commit {
        println!("cargo::rustc-cfg=tierkey_no_pre_commit");
    }
}
