//! GitHub Actions workflow commands: one `::error` / `::warning` /
//! `::notice` annotation per finding and input error, escaped as the
//! runner expects (`%`, CR and LF in messages; also `:` and `,` in
//! properties).

use std::io;

use super::Loc;
use crate::finding::Severity;
use crate::outcome::Outcome;

/// Escapes a message (the text after `::`).
pub(crate) fn data(text: &str) -> String {
    // Other control characters (ESC, BEL) become visible escapes first;
    // line breaks stay, escaped as the runner reads them.
    let visible: String = text
        .split('\n')
        .map(|line| {
            line.split('\r')
                .map(|part| super::printable(part).into_owned())
                .collect::<Vec<_>>()
                .join("\r")
        })
        .collect::<Vec<_>>()
        .join("\n");
    visible
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=`, `title=`).
pub(crate) fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

pub(super) fn write(outcome: &Outcome, out: &mut dyn io::Write) -> io::Result<()> {
    for input in &outcome.inputs {
        let Some(error) = &input.error else { continue };
        let mut props = format!("file={}", property(input.path.trim_start_matches("./")));
        if let (Some(file), Some(span)) = (input.file, &error.span) {
            let file = outcome.sources.get(file);
            let at = file.line_col(span.start);
            props = format!(
                "file={},line={},col={}",
                property(file.path.trim_start_matches("./")),
                at.line,
                at.column
            );
        }
        writeln!(
            out,
            "::error {props},title={}::{}",
            property(&format!("tierkey {}", error.code)),
            data(&format!(
                "{}{}",
                error.message,
                error
                    .help
                    .as_ref()
                    .map(|h| format!("\n{h}"))
                    .unwrap_or_default()
            ))
        )?;
    }
    for f in &outcome.findings {
        let at = Loc::of(&outcome.sources, &f.review_primary().span);
        let severity = if f.waiver.is_some() {
            Severity::Info
        } else {
            f.severity
        };
        let waived = f
            .waiver
            .as_ref()
            .map(|w| format!("\n(waived: {})", w.reason))
            .unwrap_or_default();
        writeln!(
            out,
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            command(severity),
            property(at.path.trim_start_matches("./")),
            at.start.line,
            at.start.column,
            at.end.line,
            at.end.column,
            property(&format!("tierkey {} ({} tier)", f.code, f.tier)),
            data(&format!("{}\n{}{waived}", f.message, f.help)),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(data("50% done\r\nnext: a,b"), "50%25 done%0D%0Anext: a,b");
        assert_eq!(property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
