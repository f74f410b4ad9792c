//! Markdown for pull-request comments and GitHub's job summary
//! (`$GITHUB_STEP_SUMMARY`): per tier, a table of the regions checked —
//! tier resources, tier keys, covered / missing / unverified — that a
//! reviewer takes in at a glance, then the findings with their locations.

use std::io;

use super::{printable, Loc, Style};
use crate::finding::{Code, Severity};
use crate::outcome::Outcome;
use crate::tier::Tier;

/// Markdown-safe text: no table cell break, no HTML, no line break.
fn cell(text: &str) -> String {
    printable(text)
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub(super) fn write(
    outcome: &Outcome,
    tiers: &[Tier],
    style: Style,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let count = |s| outcome.count(Some(s));
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let failed = outcome.inputs.iter().filter(|i| i.error.is_some()).count();
    let verdict = if failed > 0 {
        "✗ some inputs could not be checked"
    } else if errors > 0 {
        "✗ failed"
    } else if warnings > 0 {
        "? passed with warnings"
    } else {
        "✓ passed"
    };
    writeln!(out, "## tierkey: {verdict}\n")?;
    writeln!(
        out,
        "{} of {} inputs read; {errors} errors, {warnings} warnings, {} infos.\n",
        outcome.inputs.len() - failed,
        outcome.inputs.len(),
        count(Severity::Info)
    )?;
    for tier in tiers {
        let checks: Vec<_> = outcome
            .checks
            .iter()
            .filter(|c| c.tier == tier.name)
            .collect();
        writeln!(
            out,
            "### {} tier (`{}`)\n",
            cell(&tier.name),
            cell(&tier.describe())
        )?;
        if checks.is_empty() {
            writeln!(out, "No tier resources.\n")?;
            continue;
        }
        writeln!(out, "| input | region | tier resources | tier keys | |")?;
        writeln!(out, "|---|---|---:|---:|---|")?;
        for c in checks {
            let status = if c.passed {
                "✓ covered"
            } else {
                let missing = outcome.findings.iter().any(|f| {
                    f.code == Code::MissingTierKey
                        && *f.input == c.input
                        && *f.tier == c.tier
                        && f.subject == c.subject
                });
                if missing {
                    "✗ missing"
                } else {
                    "? unverified"
                }
            };
            writeln!(
                out,
                "| {} | {} | {} | {} | {status} |",
                cell(&c.input),
                cell(c.region.as_deref().unwrap_or("unknown")),
                c.resources,
                c.keys
            )?;
        }
        writeln!(out)?;
    }
    let shown: Vec<_> = outcome.findings.iter().filter(|f| style.shows(f)).collect();
    if !shown.is_empty() || failed > 0 {
        writeln!(out, "### Findings\n")?;
    }
    for input in &outcome.inputs {
        if let Some(error) = &input.error {
            writeln!(
                out,
                "- **error** `{}` `{}`: {}",
                error.code,
                cell(input.error_path(&outcome.sources)).replace('`', "'"),
                cell(&error.message)
            )?;
        }
    }
    for f in shown {
        let at = Loc::of(&outcome.sources, &f.review_primary().span);
        let path = at.path.trim_start_matches("./");
        let waived = if f.waiver.is_some() { " (waived)" } else { "" };
        // A plain location, not a link: a relative link resolves against
        // the page showing it (the job summary, a comment), not the file.
        writeln!(
            out,
            "- **{}** `{}` `{}:{}`: {}{waived}  \n  {}",
            f.severity,
            f.code,
            cell(path).replace('`', "'"),
            at.start.line,
            cell(&f.message),
            cell(&f.help)
        )?;
    }
    Ok(())
}
