//! The first stage: what to read, and what each document is.
//!
//! [`discover`] expands the command-line paths into documents and
//! configuration roots; [`decode`] turns a document's bytes into text (or a
//! clear error); [`classify`] tells from a document's first top-level keys
//! whether it is a plan or state, a raw state, an encrypted file or a JSON
//! configuration — before any reader parses it.

mod classify;
mod decode;
mod discover;

use std::path::PathBuf;

pub(crate) use classify::{classify, Document};
pub(crate) use decode::{decode, read, read_stdin, Bytes};
pub(crate) use discover::{discover, Found};

/// What kind of input an input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum InputKind {
    /// `terraform show -json PLANFILE`.
    Plan,
    /// `terraform show -json` of a state.
    State,
    /// A raw `terraform.tfstate` (version 4).
    RawState,
    /// A root module of native `.tf.json` / `.tofu.json` files.
    #[default]
    TfJson,
    /// CDKTF synth output (`cdk.tf.json`).
    Cdktf,
    /// hcl2json output (tmccombs/@cdktf hcl2json, python-hcl2).
    Hcl2Json,
    /// A root module with `.tf` / `.tofu` files (HCL).
    Tf,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Plan => "plan",
            InputKind::State => "state",
            InputKind::RawState => "tfstate",
            InputKind::TfJson => "tf-json",
            InputKind::Cdktf => "cdktf",
            InputKind::Hcl2Json => "hcl2json",
            InputKind::Tf => "tf",
        }
    }
}

/// What to read for one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// One document: a plan, a state, or a configuration file of its own.
    Document,
    /// A directory of configuration files: a root module.
    ConfigDir,
    /// Standard input (`-`): one document.
    Stdin,
}

/// How reports name standard input.
pub(crate) const STDIN: &str = "<stdin>";

/// A file or root module to read: its path and how it was named.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub path: PathBuf,
    /// As given on the command line, joined with the walked directory.
    pub display: String,
    /// Named on the command line (not found by a walk).
    pub explicit: bool,
    pub target: Target,
    /// The command-line path (its index) whose walk found it.
    pub origin: Option<usize>,
}

/// Whether a file name is a configuration file of a module directory:
/// `.tf`, `.tofu`, `.tf.json`, `.tofu.json`.
pub(crate) fn is_config_name(name: &str) -> bool {
    [".tf", ".tofu", ".tf.json", ".tofu.json"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// A variables file (`.tfvars`, `.tfvars.json`), which applies to the root
/// module of its directory.
pub(crate) fn is_variables_name(name: &str) -> bool {
    name.ends_with(".tfvars") || name.ends_with(".tfvars.json")
}

/// Why a path that is neither a file nor a directory is not read.
const NOT_REGULAR: &str = "it is not a regular file (a FIFO, socket or device)";

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
