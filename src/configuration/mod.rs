//! Terraform configurations read before there is any plan: `.tf` / `.tofu`
//! modules (HCL), native `.tf.json` / `.tofu.json` ones, CDKTF synth output
//! and hcl2json output.
//!
//! Front ends turn each syntax into one configuration [`tree`] (blocks,
//! attributes, expressions, each with its span): [`hcl`] and [`json`]. The
//! [`workspace`] finds which files make a module and which local modules a
//! module calls, reading and parsing each file once per run. The evaluator
//! ([`eval`]) walks a root's module instances over the tree and hands the
//! model what the configuration says, so the rules are the same rules as
//! for plans.

mod eval;
mod hcl;
mod json;
mod tree;
mod workspace;

use std::path::PathBuf;

pub(crate) use eval::{read, ReadOptions};
pub(crate) use workspace::{Loaded, Root, RootValue, Workspace};

/// Whether a directory holds configuration files (a module).
pub(crate) fn has_files(dir: &std::path::Path) -> bool {
    !workspace::config_files(dir).is_empty()
}

/// A variable value given on the command line, in command-line order
/// (later ones win, as in Terraform).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarArg {
    /// `--var NAME=VALUE` (the value is a string).
    Pair(String, String),
    /// `--var-file FILE` (HCL, or JSON when it ends in `.json`).
    File(PathBuf),
}
