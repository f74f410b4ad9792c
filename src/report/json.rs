//! The JSON report, version 1: `{"version", "inputs", "findings", "checks",
//! "summary"}`.
//!
//! Written also when some inputs fail, so CI always gets a document it can
//! parse. Lines and columns are 1-based (columns count characters); offsets
//! and lengths are bytes.

use std::io;

use serde::Serialize;

use super::{pretty, Loc};
use crate::finding::{Label, Severity};
use crate::input::InputKind;
use crate::outcome::Outcome;
use crate::source::Sources;

/// `error` is the message (null when the input was checked); the other
/// `error_*` members and the location say more when there is an error.
#[derive(Serialize)]
struct Input<'a> {
    path: &'a str,
    kind: Option<&'static str>,
    error: Option<&'a str>,
    error_code: Option<&'static str>,
    error_help: Option<&'a str>,
    /// The file the error is in (for a configuration directory, the broken
    /// file); the location points into it.
    error_file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    offset: Option<usize>,
    length: Option<usize>,
}

/// One (input, tier, region) judged: whether the region has its tier key.
#[derive(Serialize)]
struct Check<'a> {
    input: &'a str,
    tier: &'a str,
    region: Option<&'a str>,
    passed: bool,
}

#[derive(Serialize)]
struct Finding<'a> {
    code: &'static str,
    /// The input it belongs to (a plan, state or configuration root).
    input: &'a str,
    severity: &'static str,
    tier: &'a str,
    region: Option<&'a str>,
    /// The resource instances it is about (full addresses): the one
    /// resource, or the tier resources of a region.
    resources: &'a [String],
    /// The one resource it is about (null for a finding about a region).
    address: Option<&'a str>,
    message: &'a str,
    help: &'a str,
    #[serde(flatten)]
    location: Location<'a>,
    related: Vec<Location<'a>>,
    /// For a plan or state whose configuration is known: where the `.tf`
    /// files declare what the finding is about.
    source: Option<Location<'a>>,
    /// The `module` calls that reach the resource, outermost first.
    module_chain: Vec<Location<'a>>,
    /// Set when a waiver suppresses the finding.
    waiver: Option<Waiver<'a>>,
}

#[derive(Serialize)]
struct Waiver<'a> {
    reason: &'a str,
    expires: Option<&'a str>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    offset: usize,
    length: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

#[derive(Serialize)]
struct Summary {
    inputs: usize,
    inputs_failed: usize,
    regions_checked: usize,
    regions_failed: usize,
    /// Unsuppressed findings by severity.
    errors: usize,
    warnings: usize,
    infos: usize,
    /// Findings a waiver suppresses.
    waived: usize,
}

fn location<'a>(sources: &'a Sources, label: &'a Label, with_message: bool) -> Location<'a> {
    let at = Loc::of(sources, &label.span);
    Location {
        path: at.path,
        line: at.start.line,
        column: at.start.column,
        offset: at.offset,
        length: at.length,
        message: with_message.then_some(label.message.as_str()),
    }
}

pub(super) fn write(outcome: &Outcome, jobs: usize, out: &mut dyn io::Write) -> io::Result<()> {
    write_chunked(outcome, (jobs, pretty::CHUNK), out)
}

/// The report, its findings turned into text in chunks on threads
/// (`(jobs, chunk)`).
fn write_chunked(
    outcome: &Outcome,
    threads: (usize, usize),
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let (inputs, checks, summary) = members(outcome);
    let (sources, findings) = (&outcome.sources, &outcome.findings);
    // The document's members, in this order.
    out.write_all(b"{\n  \"version\": 1,\n  \"inputs\": ")?;
    pretty::in_place(out, 1, &inputs)?;
    out.write_all(b",\n  \"findings\": ")?;
    let item = |i: usize| finding(sources, &findings[i]);
    pretty::array(out, 1, threads, findings.len(), &item)?;
    out.write_all(b",\n  \"checks\": ")?;
    pretty::in_place(out, 1, &checks)?;
    out.write_all(b",\n  \"summary\": ")?;
    pretty::in_place(out, 1, &summary)?;
    out.write_all(b"\n}\n")
}

/// The members of the report besides its version and findings.
fn members(outcome: &Outcome) -> (Vec<Input<'_>>, Vec<Check<'_>>, Summary) {
    let sources = &outcome.sources;
    let inputs: Vec<Input> = outcome
        .inputs
        .iter()
        .map(|i| {
            let error = i.error.as_ref();
            let at = error
                .and_then(|e| e.span.as_ref())
                .zip(i.file)
                .map(|(span, file)| (sources.get(file).line_col(span.start), span));
            Input {
                path: &i.path,
                kind: i.kind.map(InputKind::as_str),
                error: error.map(|e| e.message.as_str()),
                error_code: error.map(|e| e.code.as_str()),
                error_help: error.and_then(|e| e.help.as_deref()),
                error_file: error.map(|_| i.error_path(sources)),
                line: at.as_ref().map(|(lc, _)| lc.line),
                column: at.as_ref().map(|(lc, _)| lc.column),
                offset: at.as_ref().map(|(_, s)| s.start),
                length: at.as_ref().map(|(_, s)| s.len()),
            }
        })
        .collect();
    let checks: Vec<Check> = outcome
        .checks
        .iter()
        .map(|c| Check {
            input: &c.input,
            tier: &c.tier,
            region: c.region.as_deref(),
            passed: c.passed,
        })
        .collect();
    let count = |s: Severity| outcome.count(Some(s));
    let summary = Summary {
        inputs: outcome.inputs.len(),
        inputs_failed: outcome.inputs.iter().filter(|i| i.error.is_some()).count(),
        regions_checked: outcome.checks.len(),
        regions_failed: outcome.checks.iter().filter(|c| !c.passed).count(),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        infos: count(Severity::Info),
        waived: outcome.count(None),
    };
    (inputs, checks, summary)
}

/// One finding in its JSON form.
fn finding<'a>(sources: &'a Sources, f: &'a crate::finding::Finding) -> Finding<'a> {
    Finding {
        code: f.code.as_str(),
        input: &f.input,
        severity: f.severity.as_str(),
        tier: &f.tier,
        region: f.region.as_deref(),
        resources: &f.resources,
        address: f.address.as_deref(),
        message: &f.message,
        help: &f.help,
        location: location(sources, &f.primary, false),
        related: f
            .related
            .iter()
            .map(|l| location(sources, l, true))
            .collect(),
        source: f.source.as_ref().map(|l| location(sources, l, false)),
        module_chain: f
            .module_chain
            .iter()
            .map(|l| location(sources, l, true))
            .collect(),
        waiver: f.waiver.as_ref().map(|w| Waiver {
            reason: &w.reason,
            expires: w.expires.as_deref(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The report as `serde_json` writes it in one piece.
    #[derive(Serialize)]
    struct Whole<'a> {
        version: u32,
        inputs: Vec<Input<'a>>,
        findings: Vec<Finding<'a>>,
        checks: Vec<Check<'a>>,
        summary: Summary,
    }

    /// The report, its findings turned into text `chunk` at a time on
    /// `jobs` threads.
    fn written(outcome: &Outcome, jobs: usize, chunk: usize) -> String {
        let mut out = Vec::new();
        write_chunked(outcome, (jobs, chunk), &mut out).expect("written to memory");
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    /// The report written member by member, its findings in chunks on
    /// several threads, is what `serde_json` writes of the whole document.
    #[test]
    fn the_report_is_written_as_serde_json_writes_it_whole() {
        let options = crate::Options::new(vec!["fixtures".into()], crate::tier::database_tier());
        let mut outcome = crate::run(&options);
        let whole = |outcome: &Outcome| {
            let (inputs, checks, summary) = members(outcome);
            let findings = outcome
                .findings
                .iter()
                .map(|f| finding(&outcome.sources, f))
                .collect();
            let whole = Whole {
                version: 1,
                inputs,
                findings,
                checks,
                summary,
            };
            serde_json::to_string_pretty(&whole).expect("serialized") + "\n"
        };
        let want = whole(&outcome);
        assert!(outcome.findings.len() > 300, "every fixture's findings");
        for (jobs, chunk) in [
            (1, pretty::CHUNK),
            (2, pretty::CHUNK),
            (1, 1),
            (2, 7),
            (5, 1),
            (3, 1000),
        ] {
            assert!(
                written(&outcome, jobs, chunk) == want,
                "{jobs} jobs, {chunk} a chunk"
            );
        }
        // No findings, and no checks: empty arrays.
        outcome.findings.clear();
        outcome.checks.clear();
        let want = whole(&outcome);
        assert!(want.contains("\"findings\": [],") && want.contains("\"checks\": [],"));
        assert!(written(&outcome, 2, 7) == want);
    }
}
