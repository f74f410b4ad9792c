//! One line per finding and per input error, for logs:
//! `path:line:col: severity[code] message` (as ruff's `concise` or
//! tflint's `compact`), located where code review shows it, and a closing
//! count.

use std::io;

use super::{printable, Loc, Style};
use crate::outcome::Outcome;

pub(super) fn write(outcome: &Outcome, style: Style, out: &mut dyn io::Write) -> io::Result<()> {
    for input in &outcome.inputs {
        let Some(error) = &input.error else { continue };
        let at = match (input.file, &error.span) {
            (Some(file), Some(span)) => {
                let file = outcome.sources.get(file);
                let lc = file.line_col(span.start);
                format!("{}:{}:{}", file.path, lc.line, lc.column)
            }
            _ => input.error_path(&outcome.sources).to_string(),
        };
        writeln!(
            out,
            "{}: error[{}] {}",
            printable(&at),
            error.code,
            printable(&error.message)
        )?;
    }
    for f in outcome.findings.iter().filter(|f| style.shows(f)) {
        let at = Loc::of(&outcome.sources, &f.review_primary().span);
        let waived = if f.waiver.is_some() { " (waived)" } else { "" };
        writeln!(
            out,
            "{}:{}:{}: {}[{}] {}{waived}",
            printable(at.path),
            at.start.line,
            at.start.column,
            f.severity,
            f.code,
            printable(&f.message)
        )?;
    }
    let count = |s| outcome.count(Some(s));
    let n = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    writeln!(
        out,
        "{} ({} could not be checked), {}, {}, {}",
        n(outcome.inputs.len(), "input", "inputs"),
        outcome.inputs.iter().filter(|i| i.error.is_some()).count(),
        n(count(crate::finding::Severity::Error), "error", "errors"),
        n(
            count(crate::finding::Severity::Warning),
            "warning",
            "warnings"
        ),
        n(count(crate::finding::Severity::Info), "info", "infos")
    )
}
