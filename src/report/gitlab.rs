//! GitLab Code Quality JSON: an array of issues with a description, check
//! name, fingerprint, severity and location (path and line range).

use std::io;

use serde_json::{json, Value};

use super::Loc;
use crate::finding::{fnv64, Severity};
use crate::outcome::Outcome;

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Info => "info",
    }
}

pub(super) fn write(outcome: &Outcome, out: &mut dyn io::Write) -> io::Result<()> {
    let mut issues: Vec<Value> = Vec::new();
    for input in &outcome.inputs {
        let Some(error) = &input.error else { continue };
        let (path, line) = match (input.file, &error.span) {
            (Some(file), Some(span)) => {
                let file = outcome.sources.get(file);
                (file.path.as_str(), file.line_col(span.start).line)
            }
            _ => (input.path.as_str(), 1),
        };
        issues.push(json!({
            "description": format!("{}: {}", input.error_path(&outcome.sources), error.message),
            "check_name": error.code.as_str(),
            "fingerprint": format!("{:016x}", fnv64(&[error.code.as_str(), &input.path])),
            "severity": "blocker",
            "location": { "path": path.trim_start_matches("./"), "lines": { "begin": line, "end": line } },
        }));
    }
    for f in outcome.findings.iter().filter(|f| f.waiver.is_none()) {
        let at = Loc::of(&outcome.sources, &f.review_primary().span);
        issues.push(json!({
            "description": format!("{} ({} tier) {}", f.message, f.tier, f.help),
            "check_name": f.code.as_str(),
            "fingerprint": f.fingerprint(),
            "severity": severity(f.severity),
            "location": {
                "path": at.path.trim_start_matches("./"),
                "lines": { "begin": at.start.line, "end": at.end.line },
            },
        }));
    }
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    out.write_all(b"\n")
}
