//! GitLab Code Quality JSON: an array of issues with a description, check
//! name, fingerprint, severity and location (path and line range).

use std::io;

use serde_json::{json, Value};

use super::{pretty, Loc};
use crate::error::InputError;
use crate::finding::{fnv64, Finding, Severity};
use crate::outcome::{InputReport, Outcome};

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Info => "info",
    }
}

pub(super) fn write(outcome: &Outcome, jobs: usize, out: &mut dyn io::Write) -> io::Result<()> {
    // Inputs that failed, then the findings no waiver suppresses: each an
    // issue, turned into text on `jobs` threads.
    let failed: Vec<(&InputReport, &InputError)> = outcome
        .inputs
        .iter()
        .filter_map(|i| Some((i, i.error.as_ref()?)))
        .collect();
    let findings: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| f.waiver.is_none())
        .collect();
    let issue = |i: usize| match failed.get(i) {
        Some(&(input, error)) => failure(outcome, input, error),
        None => finding(outcome, findings[i - failed.len()]),
    };
    let count = failed.len() + findings.len();
    pretty::array(out, 0, (jobs, pretty::CHUNK), count, &issue)?;
    out.write_all(b"\n")
}

/// The issue of an input that could not be checked.
fn failure(outcome: &Outcome, input: &InputReport, error: &InputError) -> Value {
    let (path, line) = match (input.file, &error.span) {
        (Some(file), Some(span)) => {
            let file = outcome.sources.get(file);
            (file.path.as_str(), file.line_col(span.start).line)
        }
        _ => (input.path.as_str(), 1),
    };
    json!({
        "description": format!("{}: {}", input.error_path(&outcome.sources), error.message),
        "check_name": error.code.as_str(),
        "fingerprint": format!("{:016x}", fnv64(&[error.code.as_str(), &input.path])),
        "severity": "blocker",
        "location": { "path": path.trim_start_matches("./"), "lines": { "begin": line, "end": line } },
    })
}

/// The issue of a finding.
fn finding(outcome: &Outcome, f: &Finding) -> Value {
    let at = Loc::of(&outcome.sources, &f.review_primary().span);
    json!({
        "description": format!("{} ({} tier) {}", f.message, f.tier, f.help),
        "check_name": f.code.as_str(),
        "fingerprint": f.fingerprint(),
        "severity": severity(f.severity),
        "location": {
            "path": at.path.trim_start_matches("./"),
            "lines": { "begin": at.start.line, "end": at.end.line },
        },
    })
}
