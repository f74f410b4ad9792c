//! JUnit XML: one test suite per input, one test case per (tier, region)
//! checked — passed cases too, so CI dashboards show what was checked. A
//! case fails when an unsuppressed error finding is about it; warnings and
//! waived findings go to its output. Findings about no region (unknown
//! tags, ignored tier tags, partial plans) form one more case; an input that
//! could not be read is one case with an error.

use std::io;

use crate::finding::{Finding, Severity};
use crate::outcome::Outcome;
use crate::tier::Tier;

/// Escapes text for XML attributes and content, dropping characters XML
/// 1.0 cannot carry.
pub(crate) fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[derive(Default)]
struct Case {
    name: String,
    failure: Option<String>,
    error: Option<String>,
    output: Vec<String>,
}

impl Case {
    fn from_findings(name: String, findings: &[&Finding]) -> Case {
        let fails = |f: &&&Finding| f.severity == Severity::Error && f.waiver.is_none();
        let failures: Vec<String> = findings
            .iter()
            .filter(fails)
            .map(|f| format!("[{}] {}\n{}", f.code, f.message, f.help))
            .collect();
        let output = findings
            .iter()
            .filter(|f| !fails(f))
            .map(|f| {
                let waived = f
                    .waiver
                    .as_ref()
                    .map(|w| format!(" (waived: {})", w.reason))
                    .unwrap_or_default();
                format!("{} [{}] {}{waived}", f.severity, f.code, f.message)
            })
            .collect();
        Case {
            name,
            failure: (!failures.is_empty()).then(|| failures.join("\n\n")),
            error: None,
            output,
        }
    }
}

pub(super) fn write(outcome: &Outcome, tiers: &[Tier], out: &mut dyn io::Write) -> io::Result<()> {
    out.write_all(render(&suites(outcome, tiers)).as_bytes())
}

/// One suite per input: its read error, a case per (tier, region) checked,
/// and one for the findings about no region.
fn suites<'o>(outcome: &'o Outcome, tiers: &[Tier]) -> Vec<(&'o str, Vec<Case>)> {
    let mut suites = Vec::new();
    for input in &outcome.inputs {
        let mut cases = Vec::new();
        if let Some(error) = &input.error {
            cases.push(Case {
                name: format!("read {}", input.path),
                error: Some(format!(
                    "[{}] {}: {}",
                    error.code,
                    input.error_path(&outcome.sources),
                    error.message
                )),
                ..Case::default()
            });
        }
        let findings: Vec<&Finding> = outcome
            .findings
            .iter()
            .filter(|f| *f.input == input.path)
            .collect();
        let mut claimed = vec![false; findings.len()];
        for tier in tiers {
            for check in outcome
                .checks
                .iter()
                .filter(|c| c.input == input.path && c.tier == tier.name)
            {
                let mut about = Vec::new();
                for (i, f) in findings.iter().enumerate() {
                    if *f.tier == check.tier
                        && f.subject == check.subject
                        && f.region == check.region
                    {
                        claimed[i] = true;
                        about.push(*f);
                    }
                }
                let name = format!(
                    "{} tier key in {}",
                    tier.name,
                    check.region.as_deref().unwrap_or(&check.subject)
                );
                cases.push(Case::from_findings(name, &about));
            }
        }
        let rest: Vec<&Finding> = findings
            .iter()
            .zip(&claimed)
            .filter(|(_, claimed)| !**claimed)
            .map(|(f, _)| *f)
            .collect();
        if !rest.is_empty() {
            cases.push(Case::from_findings(
                "findings about no region".into(),
                &rest,
            ));
        }
        if cases.is_empty() {
            cases.push(Case {
                name: "no tier resources".into(),
                ..Case::default()
            });
        }
        suites.push((input.path.as_str(), cases));
    }
    suites
}

/// The XML document.
fn render(suites: &[(&str, Vec<Case>)]) -> String {
    let all = || suites.iter().flat_map(|(_, cases)| cases);
    let mut doc = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    doc.push_str(&format!(
        "<testsuites name=\"tierkey\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
        all().count(),
        all().filter(|c| c.failure.is_some()).count(),
        all().filter(|c| c.error.is_some()).count(),
    ));
    for (name, cases) in suites {
        doc.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
            xml(name),
            cases.len(),
            cases.iter().filter(|c| c.failure.is_some()).count(),
            cases.iter().filter(|c| c.error.is_some()).count(),
        ));
        for case in cases {
            case.render(name, &mut doc);
        }
        doc.push_str("  </testsuite>\n");
    }
    doc.push_str("</testsuites>\n");
    doc
}

impl Case {
    fn render(&self, suite: &str, doc: &mut String) {
        doc.push_str(&format!(
            "    <testcase name=\"{}\" classname=\"{}\"",
            xml(&self.name),
            xml(suite)
        ));
        if self.failure.is_none() && self.error.is_none() && self.output.is_empty() {
            doc.push_str("/>\n");
            return;
        }
        doc.push_str(">\n");
        if let Some(failure) = &self.failure {
            let first = failure.lines().next().unwrap_or("");
            doc.push_str(&format!(
                "      <failure message=\"{}\">{}</failure>\n",
                xml(first),
                xml(failure)
            ));
        }
        if let Some(error) = &self.error {
            doc.push_str(&format!(
                "      <error message=\"{}\">{}</error>\n",
                xml(error),
                xml(error)
            ));
        }
        if !self.output.is_empty() {
            doc.push_str(&format!(
                "      <system-out>{}</system-out>\n",
                xml(&self.output.join("\n"))
            ));
        }
        doc.push_str("    </testcase>\n");
    }
}
