//! SARIF 2.1.0, as GitHub code scanning accepts it: rule metadata for every
//! finding code, relative `artifactLocation.uri` with `uriBaseId`, regions
//! with start/end line and column (columns in Unicode code points),
//! related locations, stable `partialFingerprints`, suppressions for waived
//! findings, and input errors as tool execution notifications.

use std::io;

use serde_json::{json, Value};

use super::{pretty, Loc};
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

pub(super) fn write(outcome: &Outcome, jobs: usize, out: &mut dyn io::Write) -> io::Result<()> {
    write_chunked(outcome, (jobs, pretty::CHUNK), out)
}

/// Where the results stand in the document written with none.
const NO_RESULTS: &str = "\n      \"results\": []";

/// The document, its results turned into text in chunks on threads
/// (`(jobs, chunk)`): the document is written without them, as
/// `serde_json` writes it, and the results in their place.
fn write_chunked(
    outcome: &Outcome,
    threads: (usize, usize),
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let text = serde_json::to_string_pretty(&whole(outcome, &[]))?;
    // No string holds a line break: the member is found only where it is.
    let Some((head, tail)) = text.split_once(NO_RESULTS) else {
        return Err(io::Error::other("the SARIF document has no results"));
    };
    out.write_all(head.as_bytes())?;
    out.write_all(b"\n      \"results\": ")?;
    let (sources, findings) = (&outcome.sources, &outcome.findings);
    let item = |i: usize| result(sources, &findings[i]);
    pretty::array(out, 3, threads, findings.len(), &item)?;
    out.write_all(tail.as_bytes())?;
    out.write_all(b"\n")
}

/// The SARIF document of a run, with `results`.
fn whole(outcome: &Outcome, results: &[Value]) -> Value {
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
    let mut sarif = document(&notifications, results);
    // What relative URIs are relative to: the repository root.
    let base = outcome.base.display().to_string().replace('\\', "/");
    if base.starts_with('/') {
        let base = base.trim_end_matches('/');
        sarif["runs"][0]["originalUriBaseIds"] =
            json!({ "%SRCROOT%": { "uri": format!("file://{}/", percent(base)) } });
    }
    sarif
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

    /// The document written with its results in chunks on several
    /// threads is what `serde_json` writes of the whole document.
    #[test]
    fn the_document_is_written_as_serde_json_writes_it_whole() {
        let options = crate::Options::new(vec!["fixtures".into()], crate::tier::database_tier());
        let mut outcome = crate::run(&options);
        let whole = |outcome: &Outcome| {
            let results: Vec<Value> = outcome
                .findings
                .iter()
                .map(|f| result(&outcome.sources, f))
                .collect();
            serde_json::to_string_pretty(&whole(outcome, &results)).expect("serialized") + "\n"
        };
        let written = |outcome: &Outcome, threads: (usize, usize)| {
            let mut out = Vec::new();
            write_chunked(outcome, threads, &mut out).expect("written to memory");
            String::from_utf8(out).expect("UTF-8")
        };
        let want = whole(&outcome);
        assert!(outcome.findings.len() > 300, "every fixture's findings");
        assert!(
            want.contains("toolExecutionNotifications"),
            "inputs that failed"
        );
        for threads in [
            (1, pretty::CHUNK),
            (2, pretty::CHUNK),
            (2, 7),
            (5, 1),
            (3, 1000),
        ] {
            assert!(written(&outcome, threads) == want, "{threads:?}");
        }
        outcome.findings.clear();
        let want = whole(&outcome);
        assert!(want.contains("\"results\": []"));
        assert!(written(&outcome, (2, 7)) == want);
    }
}
