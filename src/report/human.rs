//! The human report: one miette diagnostic per input error and finding, then
//! a short summary.
//!
//! Labels underline each object's address token (the `focus` of a label),
//! and very long lines (minified plans) are clipped to a window around it by
//! [`Excerpt`]. Labels in another file than the primary one are rendered as
//! related diagnostics of their own file.

use std::fmt;
use std::io;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};

use super::printable;
use crate::finding::{Finding, Severity};
use crate::outcome::{InputReport, Outcome};
use crate::source::{Excerpt, FileId, Sources};
use crate::tier::Tier;

struct Shown<'a> {
    message: String,
    code: Option<&'static str>,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<Excerpt<'a>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Shown<'a>>,
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Shown<'_> {}

impl Diagnostic for Shown<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.code.map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty())
            .then(|| Box::new(self.labels.iter().cloned()) as Box<dyn Iterator<Item = LabeledSpan>>)
    }
    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        (!self.related.is_empty()).then(|| {
            Box::new(self.related.iter().map(|d| d as &dyn Diagnostic))
                as Box<dyn Iterator<Item = &dyn Diagnostic>>
        })
    }
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

fn excerpt(sources: &Sources, file: FileId, width: usize) -> Option<Excerpt<'_>> {
    let f = sources.get(file);
    (!f.text().is_empty()).then(|| Excerpt::fitting(f, width))
}

fn input_error<'a>(sources: &'a Sources, input: &InputReport, width: usize) -> Option<Shown<'a>> {
    let error = input.error.as_ref()?;
    let source = input
        .file
        .and_then(|f| excerpt(sources, f, width))
        .filter(|_| error.span.is_some());
    let labels = match (&source, &error.span) {
        (Some(_), Some(span)) => vec![LabeledSpan::new_primary_with_span(
            Some("here".into()),
            span.clone(),
        )],
        _ => Vec::new(),
    };
    Some(Shown {
        message: printable(&format!("{}: {}", input.error_path(sources), error.message))
            .into_owned(),
        code: Some(error.code.as_str()),
        severity: miette::Severity::Error,
        help: error.help.as_deref().map(|h| printable(h).into_owned()),
        source,
        labels,
        related: Vec::new(),
    })
}

/// How many alike labels (further tier resources of a region) a finding
/// shows; the JSON report lists them all.
const SHOWN_ALIKE: usize = 8;

/// The labels of a finding, grouped by file: those in the primary file,
/// then those of each other file. Instances of one configuration block
/// share its location: it is underlined once and the others are counted;
/// at most [`SHOWN_ALIKE`] alike labels are shown.
fn labels(
    sources: &Sources,
    f: &Finding,
    width: usize,
) -> (Vec<LabeledSpan>, Vec<(FileId, Vec<LabeledSpan>)>) {
    // A label starts under its span: wrapped to the room left there, so it
    // stays within the terminal.
    let fit_text = |file: FileId, range: &std::ops::Range<usize>, text: &str| -> String {
        let file = sources.get(file);
        let at = file.line_col(range.start);
        // On a clipped long line the span sits near the start.
        let column = at.column.saturating_sub(1);
        let column = if column > width / 2 { 12 } else { column };
        let gutter = 8 + at.line.to_string().len();
        let start = gutter + column + (range.len() / 2).min(24) + 2;
        let room = width.saturating_sub(start).max(24);
        textwrap::fill(
            &printable(text),
            textwrap::Options::new(room).word_splitter(textwrap::WordSplitter::NoHyphenation),
        )
    };
    let fit = |label: &crate::finding::Label| {
        fit_text(label.focus.file, &label.focus.range, &label.message)
    };
    let first = f.review_primary();
    let primary_file = first.span.file;
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        Some(fit(first)),
        first.focus.range.clone(),
    )];
    let mut others: Vec<(FileId, Vec<LabeledSpan>)> = Vec::new();
    let mut same_place: Vec<(FileId, std::ops::Range<usize>, usize)> =
        vec![(primary_file, first.focus.range.clone(), 0)];
    let mut shown_alike = 0;
    for l in f.review_related() {
        if let Some(seen) = same_place
            .iter_mut()
            .find(|(file, range, _)| *file == l.focus.file && *range == l.focus.range)
        {
            seen.2 += 1;
            continue;
        }
        if l.elidable {
            shown_alike += 1;
            if shown_alike > SHOWN_ALIKE {
                continue;
            }
        }
        same_place.push((l.focus.file, l.focus.range.clone(), 0));
        let span = LabeledSpan::new_with_span(Some(fit(l)), l.focus.range.clone());
        if l.span.file == primary_file {
            labels.push(span);
        } else if let Some((_, v)) = others.iter_mut().find(|(id, _)| *id == l.span.file) {
            v.push(span);
        } else {
            others.push((l.span.file, vec![span]));
        }
    }
    // Say how many more instances stand at each shown place.
    for (file, range, more) in same_place.iter().filter(|(_, _, more)| *more > 0) {
        let note = format!(" (+{more} more at this block)");
        let target = if *file == primary_file {
            labels
                .iter_mut()
                .find(|l| l.offset() == range.start && l.len() == range.len())
        } else {
            others
                .iter_mut()
                .filter(|(id, _)| id == file)
                .flat_map(|(_, v)| v.iter_mut())
                .find(|l| l.offset() == range.start && l.len() == range.len())
        };
        if let Some(label) = target {
            // Unwrapped, the note added, wrapped again.
            let text = label.label().unwrap_or_default().replace('\n', " ");
            let text = fit_text(*file, range, &format!("{text}{note}"));
            *label = if label.primary() {
                LabeledSpan::new_primary_with_span(Some(text), range.clone())
            } else {
                LabeledSpan::new_with_span(Some(text), range.clone())
            };
        }
    }
    (labels, others)
}

fn finding<'a>(sources: &'a Sources, f: &Finding, width: usize) -> Shown<'a> {
    let primary_file = f.review_primary().span.file;
    let (labels, others) = labels(sources, f, width);
    let alike = f.review_related().filter(|l| l.elidable).count();
    let related = others
        .into_iter()
        .map(|(file, labels)| Shown {
            message: format!("related: {}", printable(&sources.get(file).path)),
            code: None,
            severity: miette::Severity::Advice,
            help: None,
            source: excerpt(sources, file, width),
            labels,
            related: Vec::new(),
        })
        .collect();
    let mut help = f.help.to_string();
    if alike > SHOWN_ALIKE {
        help.push_str(&format!(
            " ({} more {}-tier resources here are not shown; --format json lists them all)",
            alike - SHOWN_ALIKE,
            f.tier
        ));
    }
    let (message, severity) = match &f.waiver {
        Some(w) => {
            let until = w
                .expires
                .as_ref()
                .map(|e| format!(" until {e}"))
                .unwrap_or_default();
            (
                printable(&format!("[waived{until}: {}] {}", w.reason, f.message)).into_owned(),
                miette::Severity::Advice,
            )
        }
        None => (
            printable(&f.message).into_owned(),
            self::severity(f.severity),
        ),
    };
    Shown {
        message,
        code: Some(f.code.as_str()),
        severity,
        help: Some(printable(&help).into_owned()),
        source: excerpt(sources, primary_file, width),
        labels,
        related,
    }
}

fn handler(style: super::Style) -> GraphicalReportHandler {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // A hyphenated word (`case-sensitive`, `us-east-1`) is never split.
    GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
}

/// A `tierkey.toml` error, pointing into the file.
pub(super) fn config_error(
    error: &crate::settings::SettingsError,
    style: super::Style,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let source = miette::NamedSource::new(error.path.display().to_string(), error.text.clone());
    let labels = match &error.span {
        Some(span) if !error.text.is_empty() => {
            vec![LabeledSpan::new_primary_with_span(
                Some("here".into()),
                span.clone(),
            )]
        }
        _ => Vec::new(),
    };
    let diagnostic =
        miette::MietteDiagnostic::new(format!("invalid configuration: {}", error.message))
            .with_code("config")
            .with_labels(labels);
    let report = miette::Report::new(diagnostic).with_source_code(source);
    let mut text = String::new();
    handler(style)
        .render_report(&mut text, report.as_ref())
        .map_err(|_| io::Error::other("failed to render a diagnostic"))?;
    out.write_all(text.as_bytes())
}

pub(super) fn write(
    outcome: &Outcome,
    tiers: &[Tier],
    style: super::Style,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let handler = handler(style);
    let mut text = String::new();
    let shown = outcome
        .inputs
        .iter()
        .filter_map(|i| input_error(&outcome.sources, i, style.width))
        .chain(
            outcome
                .findings
                .iter()
                .filter(|f| style.shows(f))
                .map(|f| finding(&outcome.sources, f, style.width)),
        );
    for diagnostic in shown {
        text.clear();
        handler
            .render_report(&mut text, &diagnostic)
            .map_err(|_| io::Error::other("failed to render a diagnostic"))?;
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
    }
    // Wrapped to the terminal, continuation lines under the text.
    let wrapped: Vec<String> = summary(outcome, tiers)
        .lines()
        .map(|line| {
            textwrap::fill(
                line,
                textwrap::Options::new(style.width.max(40))
                    .subsequent_indent("           ")
                    .word_splitter(textwrap::WordSplitter::NoHyphenation),
            )
        })
        .collect();
    out.write_all((wrapped.join("\n") + "\n").as_bytes())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Inputs read, regions checked, findings by severity, or "no tier resources".
fn summary(outcome: &Outcome, tiers: &[Tier]) -> String {
    let read = outcome.inputs.iter().filter(|i| i.error.is_none()).count();
    let failed = outcome.inputs.len() - read;
    let mut kinds: Vec<(&str, usize)> = Vec::new();
    for kind in outcome.inputs.iter().filter_map(|i| i.kind) {
        match kinds.iter_mut().find(|(k, _)| *k == kind.as_str()) {
            Some((_, n)) => *n += 1,
            None => kinds.push((kind.as_str(), 1)),
        }
    }
    kinds.sort_unstable();
    let kinds = kinds
        .iter()
        .map(|(k, n)| match (*k, *n) {
            ("plan" | "state" | "tfstate", n) if n > 1 => format!("{n} {k}s"),
            (k, n) => format!("{n} {k}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut s = format!(
        "Summary: read {read} of {}",
        plural(outcome.inputs.len(), "input", "inputs")
    );
    if !kinds.is_empty() {
        s.push_str(&format!(" ({kinds})"));
    }
    if failed > 0 {
        s.push_str(&format!(", {failed} could not be checked"));
    }
    s.push('\n');
    if let Some(settings) = &outcome.settings {
        s.push_str(&format!("         settings: {}\n", printable(settings)));
    }
    for (group, inputs) in &outcome.groups {
        s.push_str(&format!(
            "         judged together ({group}): {}\n",
            inputs.join(", ")
        ));
    }
    for tier in tiers {
        let checks = outcome.checks.iter().filter(|c| c.tier == tier.name);
        let checked = checks.clone().count();
        let without = checks.filter(|c| !c.passed).count();
        if read == 0 {
            s.push_str(&format!(
                "         {} tier ({}): nothing checked\n",
                tier.name,
                tier.describe()
            ));
        } else if checked == 0 {
            s.push_str(&format!(
                "         {} tier ({}): no tier resources\n",
                tier.name,
                tier.describe()
            ));
        } else {
            s.push_str(&format!(
                "         {} tier ({}): {} checked, {without} without a confirmed tier key\n",
                tier.name,
                tier.describe(),
                plural(checked, "region", "regions"),
            ));
        }
    }
    let count = |s: Severity| outcome.count(Some(s));
    let waived = outcome.count(None);
    s.push_str(&format!(
        "         {}, {}, {}{}\n",
        plural(count(Severity::Error), "error", "errors"),
        plural(count(Severity::Warning), "warning", "warnings"),
        plural(count(Severity::Info), "info", "infos"),
        if waived > 0 {
            format!(", {waived} waived")
        } else {
            String::new()
        },
    ));
    s
}
