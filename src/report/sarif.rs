//! SARIF 2.1.0, as GitHub code scanning accepts it: rule metadata for every
//! finding code, relative `artifactLocation.uri` with `uriBaseId`, regions
//! with start/end line and column (columns in Unicode code points),
//! related locations, stable `partialFingerprints`, suppressions for waived
//! findings, and input errors as tool execution notifications.

use std::io;

use serde_json::{json, Value};

use super::Loc;
use crate::finding::{statement_url, Code, Finding, Label, Severity};
use crate::outcome::Outcome;
use crate::source::Sources;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `missing-tier-key` → `MissingTierKey`.
fn rule_name(code: Code) -> String {
    code.as_str()
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// A path as a relative URI (forward slashes, no leading `./`), or a
/// `file://` URI for an absolute path.
pub(crate) fn uri(path: &str) -> (String, bool) {
    let path = path.replace('\\', "/");
    if path.starts_with('/') {
        return (format!("file://{}", percent(&path)), false);
    }
    let mut rel = path.as_str();
    while let Some(rest) = rel.strip_prefix("./") {
        rel = rest;
    }
    (percent(rel), true)
}

fn percent(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn physical(sources: &Sources, label: &Label) -> Value {
    let at = Loc::of(sources, &label.span);
    let (uri, relative) = uri(at.path);
    let mut artifact = json!({ "uri": uri });
    if relative {
        artifact["uriBaseId"] = json!("%SRCROOT%");
    }
    json!({
        "artifactLocation": artifact,
        "region": {
            "startLine": at.start.line,
            "startColumn": at.start.column,
            "endLine": at.end.line,
            "endColumn": at.end.column,
            "byteOffset": at.offset,
            "byteLength": at.length,
        }
    })
}

fn result(sources: &Sources, f: &Finding) -> Value {
    let mut message = f.message.clone();
    message.push('\n');
    message.push_str(&f.help);
    let mut result = json!({
        "ruleId": f.code.as_str(),
        "ruleIndex": Code::ALL.iter().position(|c| *c == f.code).unwrap_or(0),
        "level": level(f.severity),
        "message": { "text": message },
        "locations": [{
            "physicalLocation": physical(sources, f.review_primary()),
            "message": { "text": f.review_primary().message },
        }],
        "partialFingerprints": { "tierkey/v1": f.fingerprint() },
        "properties": { "tier": &*f.tier, "region": f.region },
    });
    let related: Vec<&Label> = f.review_related().collect();
    if !related.is_empty() {
        result["relatedLocations"] = related
            .iter()
            .enumerate()
            .map(|(id, l)| {
                json!({
                    "id": id + 1,
                    "physicalLocation": physical(sources, l),
                    "message": { "text": l.message },
                })
            })
            .collect();
    }
    if let Some(waiver) = &f.waiver {
        result["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": waiver.reason,
        }]);
    }
    result
}

fn rules() -> Vec<Value> {
    Code::ALL
        .iter()
        .map(|&code| {
            let full = code.description().replace('\n', " ");
            let short = full.split(". ").next().unwrap_or(&full).trim_end_matches('.').to_string() + ".";
            json!({
                "id": code.as_str(),
                "name": rule_name(code),
                "shortDescription": { "text": short },
                "fullDescription": { "text": full },
                "help": { "text": format!("{full} Run `tierkey explain {}` for how to fix it.", code.as_str()) },
                "helpUri": code.statements().first().map_or_else(|| format!("{}#finding-codes", env!("CARGO_PKG_REPOSITORY")), |s| statement_url(s)),
                "defaultConfiguration": { "level": level(code.default_severity()) },
            })
        })
        .collect()
}

/// A SARIF document of one run: tierkey and its rules, whether it
/// succeeded (no notification), and its results.
fn document(notifications: &[Value], results: &[Value]) -> Value {
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "tierkey",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "rules": rules(),
                }
            },
            "invocations": [{
                "executionSuccessful": notifications.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

/// A run that checked nothing: `executionSuccessful: false`, the message
/// as a notification, no results.
pub(super) fn failure(message: &str) -> String {
    let notification = json!({
        "level": "error",
        "message": { "text": message },
    });
    serde_json::to_string_pretty(&document(&[notification], &[])).unwrap_or_default() + "\n"
}

pub(super) fn write(outcome: &Outcome, out: &mut dyn io::Write) -> io::Result<()> {
    let sources = &outcome.sources;
    let notifications: Vec<Value> = outcome
        .inputs
        .iter()
        .filter_map(|input| {
            let error = input.error.as_ref()?;
            let mut n = json!({
                "level": "error",
                "message": { "text": format!("{}: {}", input.error_path(sources), error.message) },
                "descriptor": { "id": error.code.as_str() },
            });
            let (uri, relative) = uri(&input.path);
            let mut artifact = json!({ "uri": uri });
            if relative {
                artifact["uriBaseId"] = json!("%SRCROOT%");
            }
            let mut physical = json!({ "artifactLocation": artifact });
            if let (Some(file), Some(span)) = (input.file, &error.span) {
                let label = Label {
                    span: crate::source::Span::new(file, span.clone()),
                    focus: crate::source::Span::new(file, span.clone()),
                    message: String::new(),
                    elidable: false,
                };
                physical = self::physical(sources, &label);
            }
            n["locations"] = json!([{ "physicalLocation": physical }]);
            Some(n)
        })
        .collect();
    let results: Vec<Value> = outcome
        .findings
        .iter()
        .map(|f| result(sources, f))
        .collect();
    let sarif = document(&notifications, &results);
    let mut sarif = sarif;
    // What relative URIs are relative to: the repository root.
    let base = outcome.base.display().to_string().replace('\\', "/");
    if base.starts_with('/') {
        let base = base.trim_end_matches('/');
        sarif["runs"][0]["originalUriBaseIds"] =
            json!({ "%SRCROOT%": { "uri": format!("file://{}/", percent(base)) } });
    }
    serde_json::to_writer_pretty(&mut *out, &sarif)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_escaped() {
        assert_eq!(
            uri("./envs/prod/plan.json"),
            ("envs/prod/plan.json".into(), true)
        );
        assert_eq!(uri("a b/p#1.json"), ("a%20b/p%231.json".into(), true));
        assert_eq!(
            uri("/abs/plan.json"),
            ("file:///abs/plan.json".into(), false)
        );
        assert_eq!(rule_name(Code::MissingTierKey), "MissingTierKey");
    }
}
