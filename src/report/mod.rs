//! Output formats: each is one function over the same [`Outcome`].
//!
//! Findings and input errors are plain data; a format only decides how they
//! look. `human` renders miette diagnostics and a summary; `json` is the
//! stable machine report (version 1).

mod human;
mod json;

use std::io;

use crate::{Outcome, Tier};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

/// How the human report looks.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    /// Terminal width for wrapping.
    pub width: usize,
}

impl Default for Style {
    fn default() -> Self {
        Self {
            color: false,
            width: 100,
        }
    }
}

/// Writes the outcome in one format.
pub fn write(
    format: Format,
    outcome: &Outcome,
    tiers: &[Tier],
    style: Style,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::write(outcome, tiers, style, out),
        Format::Json => json::write(outcome, out),
    }
}
