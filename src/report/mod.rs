//! Output formats: each is one function over the same [`Outcome`].
//!
//! Findings and input errors are plain data; a format only decides how they
//! look. `human` renders miette diagnostics and a summary; `json` is the
//! stable machine report (version 1); `sarif`, `junit`, `github` and
//! `gitlab` are the CI formats. Every format locates findings through
//! [`Loc`], so they all agree on lines, columns and offsets.

mod compact;
mod github;
mod gitlab;
mod human;
mod json;
mod junit;
mod markdown;
mod pretty;
mod sarif;

use std::io;

use crate::finding::Severity;
use crate::outcome::Outcome;
use crate::source::{LineCol, Sources, Span};
use crate::tier::Tier;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Diagnostics with source excerpts, and a summary.
    Human,
    /// The JSON report, version 1.
    Json,
    /// SARIF 2.1.0 (GitHub code scanning and other SARIF consumers).
    Sarif,
    /// JUnit XML: one test case per (input, tier, region) checked.
    Junit,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// GitLab Code Quality JSON.
    Gitlab,
    /// One line per finding, `path:line:col: severity[code] message`.
    Compact,
    /// Markdown for pull-request comments and GitHub's job summary: a table
    /// of regions per tier, then the findings.
    Markdown,
}

impl Format {
    pub const ALL: &'static [Format] = &[
        Format::Human,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Github,
        Format::Gitlab,
        Format::Compact,
        Format::Markdown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Github => "github",
            Format::Gitlab => "gitlab",
            Format::Compact => "compact",
            Format::Markdown => "markdown",
        }
    }

    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.iter().copied().find(|f| f.as_str() == name)
    }
}

/// A location as every machine format reports it.
#[derive(Debug, Clone)]
pub(crate) struct Loc<'a> {
    pub path: &'a str,
    pub start: LineCol,
    /// The position just after the span (exclusive end).
    pub end: LineCol,
    pub offset: usize,
    pub length: usize,
}

impl<'a> Loc<'a> {
    pub(crate) fn of(sources: &'a Sources, span: &Span) -> Self {
        let file = sources.get(span.file);
        Loc {
            path: &file.path,
            start: file.line_col(span.range.start),
            end: file.line_col(span.range.end),
            offset: span.range.start,
            length: span.range.len(),
        }
    }
}

/// Text from an input made safe to print: control characters (an escape
/// sequence, a bell, a line break inside a region name) become visible
/// escapes, so they can neither drive a terminal nor start a CI workflow
/// command on a line of their own. Tabs stay.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\t') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// How the reports for people (human, compact, markdown) look.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    /// Terminal width for wrapping.
    pub width: usize,
    /// The least severe findings shown (`--min-severity`); summaries still
    /// count every finding. Machine formats show them all.
    pub min_severity: Severity,
    /// Threads the JSON, SARIF and GitLab formats may turn findings into
    /// text on (the output is the same for any number).
    pub jobs: usize,
}

impl Default for Style {
    fn default() -> Self {
        Self {
            color: false,
            width: 100,
            min_severity: Severity::Info,
            jobs: 1,
        }
    }
}

impl Style {
    /// Whether a finding is shown.
    pub(crate) fn shows(&self, finding: &crate::finding::Finding) -> bool {
        finding.severity <= self.min_severity
    }
}

/// A SARIF document for a run that checked nothing: not successful, the
/// error as a tool execution notification.
pub fn sarif_failure(message: &str) -> String {
    sarif::failure(message)
}

/// Renders a configuration file error with the place it points at.
pub fn config_error(
    error: &crate::settings::SettingsError,
    style: Style,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    human::config_error(error, style, out)
}

/// Writes the outcome in one format.
pub fn write(
    format: Format,
    outcome: &Outcome,
    tiers: &[Tier],
    style: Style,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    // A report is turned into text on several threads only for a run of
    // several inputs: that of one plan is small next to the plan, and a
    // thread's own allocator pages (about 1 MB) would count against the
    // plan's peak memory.
    let jobs = if outcome.inputs.len() > 1 {
        style.jobs
    } else {
        1
    };
    match format {
        Format::Human => human::write(outcome, tiers, style, out),
        Format::Json => json::write(outcome, jobs, out),
        Format::Sarif => sarif::write(outcome, jobs, out),
        Format::Junit => junit::write(outcome, tiers, out),
        Format::Github => github::write(outcome, out),
        Format::Gitlab => gitlab::write(outcome, jobs, out),
        Format::Compact => compact::write(outcome, style, out),
        Format::Markdown => markdown::write(outcome, tiers, style, out),
    }
}
