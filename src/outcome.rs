//! The result of a run: every input with its kind or its error, the
//! findings, the regions checked, and the text findings point into — the
//! one value every report format renders — and the exit contract.

use crate::error::InputError;
use crate::finding::{Finding, RegionCheck, Severity};
use crate::input::InputKind;
use std::path::Path;

use crate::source::{FileId, Sources};

/// One input as the report lists it.
#[derive(Debug, Clone)]
pub struct InputReport {
    pub path: String,
    pub kind: Option<InputKind>,
    pub error: Option<InputError>,
    /// The file, when its text was read (errors may point into it).
    pub file: Option<FileId>,
}

impl InputReport {
    pub(crate) fn new(path: &str) -> Self {
        InputReport {
            path: path.to_string(),
            kind: None,
            error: None,
            file: None,
        }
    }

    pub(crate) fn failed(path: String, error: InputError) -> Self {
        InputReport {
            path,
            kind: None,
            error: Some(error),
            file: None,
        }
    }

    /// The file an input error is in: the broken file of a configuration
    /// directory, else the input itself.
    pub fn error_path<'a>(&'a self, sources: &'a Sources) -> &'a str {
        self.file.map_or(&self.path, |f| &sources.get(f).path)
    }
}

/// The result of a run: inputs, findings and the text they point into.
#[derive(Debug, Default)]
pub struct Outcome {
    pub sources: Sources,
    pub inputs: Vec<InputReport>,
    /// Sorted by file, position, code.
    pub findings: Vec<Finding>,
    pub checks: Vec<RegionCheck>,
    /// The directory relative paths are relative to (absolute): the
    /// current directory, or `--base-dir`.
    pub base: std::path::PathBuf,
    /// S17: the inputs judged together, by group name.
    pub groups: std::collections::BTreeMap<String, Vec<String>>,
    /// The settings file in use, as named or found.
    pub settings: Option<String>,
}

impl Outcome {
    /// Makes every path relative to `base` (`--base-dir`), where it lies
    /// under it; records the base either way.
    pub(crate) fn rebase(&mut self, base: Option<&Path>) {
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        self.base = absolute(base.unwrap_or_else(|| Path::new(".")));
        let Some(base) = base else {
            return;
        };
        let base = absolute(base);
        let rebased = |path: &str| -> Option<String> {
            let rel = absolute(Path::new(path));
            let rel = rel.strip_prefix(&base).ok()?;
            Some(if rel.as_os_str().is_empty() {
                ".".to_string()
            } else {
                rel.display().to_string()
            })
        };
        for file in self.sources.files_mut() {
            if let Some(p) = rebased(&file.path) {
                file.path = p;
            }
        }
        for input in &mut self.inputs {
            if let Some(p) = rebased(&input.path) {
                input.path = p;
            }
        }
        for f in &mut self.findings {
            if let Some(p) = rebased(&f.input) {
                f.input = p.into();
            }
        }
        for c in &mut self.checks {
            if let Some(p) = rebased(&c.input) {
                c.input = p;
            }
        }
        for inputs in self.groups.values_mut() {
            for input in inputs {
                if let Some(p) = rebased(input) {
                    *input = p;
                }
            }
        }
    }
}

/// The process exit contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: every input read, no error finding.
    Clean,
    /// 1: at least one error finding.
    Findings,
    /// 2: a usage error, or an input that could not be read or parsed.
    Error,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Clean => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Error => 2,
        }
    }
}

/// Which findings set exit status 1 (`--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    /// Errors (the default).
    #[default]
    Error,
    /// Errors and warnings.
    Warning,
    /// No finding; unreadable inputs still exit 2.
    Never,
}

impl Outcome {
    /// Unsuppressed findings of a severity (`None`: the waived ones).
    pub fn count(&self, severity: Option<Severity>) -> usize {
        self.findings
            .iter()
            .filter(|f| match severity {
                Some(s) => f.severity == s && f.waiver.is_none(),
                None => f.waiver.is_some(),
            })
            .count()
    }

    /// Exit status under `--fail-on`; suppressed (waived) findings never
    /// count.
    pub fn exit_status(&self, fail_on: FailOn) -> ExitStatus {
        let failing = |f: &&Finding| {
            f.waiver.is_none()
                && match fail_on {
                    FailOn::Error => f.severity == Severity::Error,
                    FailOn::Warning => f.severity <= Severity::Warning,
                    FailOn::Never => false,
                }
        };
        if self.inputs.iter().any(|i| i.error.is_some()) {
            ExitStatus::Error
        } else if self.findings.iter().any(|f| failing(&f)) {
            ExitStatus::Findings
        } else {
            ExitStatus::Clean
        }
    }

    /// Sorts findings by file path, position and code (deterministic
    /// output).
    /// Takes in what one input gave when it was checked on its own (in a
    /// thread, with its own sources): its files follow ours, and every
    /// reference to them is moved along. Ids before its first file are
    /// ours already (a root checked over the run's files) and stay.
    pub(crate) fn absorb(&mut self, part: Outcome) {
        let (first, offset) = (part.sources.first(), self.sources.len());
        let shift = |id: &mut FileId| {
            if id.0 >= first {
                id.0 = id.0 - first + offset;
            }
        };
        let shift_label = |label: &mut crate::finding::Label| {
            shift(&mut label.span.file);
            shift(&mut label.focus.file);
        };
        self.sources.append(part.sources);
        for mut input in part.inputs {
            if let Some(file) = &mut input.file {
                shift(file);
            }
            self.inputs.push(input);
        }
        let mut findings = part.findings;
        for finding in &mut findings {
            finding.labels_mut().for_each(shift_label);
        }
        // A large input may have thousands: its vector is taken as it is
        // when the run has none yet (one input checked on another thread),
        // never pushed into a second one that doubles as it fills.
        if self.findings.is_empty() {
            self.findings = findings;
        } else {
            self.findings.append(&mut findings);
        }
        self.checks.extend(part.checks);
        for (group, inputs) in part.groups {
            self.groups.entry(group).or_default().extend(inputs);
        }
    }

    pub(crate) fn sort(&mut self) {
        let sources = &self.sources;
        self.findings.sort_by(|a, b| {
            let path = |f: &Finding| sources.get(f.primary.span.file).path.as_str();
            path(a)
                .cmp(path(b))
                .then_with(|| a.sort_key().cmp(&b.sort_key()))
        });
    }
}
