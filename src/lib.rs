//! tierkey: an offline check that every AWS region holding a tier's
//! resources also holds a customer-managed KMS key of that tier (Trend Micro
//! Cloud Conformity KMS-009/010/011), for Terraform and OpenTofu plans,
//! state and JSON configurations.
//!
//! Data flow, one function per step:
//! ```text
//! input::discover(paths)              -> documents and configuration roots (walkdir)
//! input::read / input::decode         -> text + where the JSON is
//! plan::read(file, text, ...)         -> (InputKind, model::Inventory)   plans and states
//! tfjson::load + tfjson::read         -> model::Inventory                JSON configurations
//! check::tier_key_per_region(...)     -> Vec<Finding>, Vec<RegionCheck>   the rule
//! report::write(format, &outcome, ..) -> human (miette) or JSON
//! Outcome::exit_status()              -> 0 clean, 1 error findings, 2 unreadable input
//! ```
//! Both input families become the same `Inventory` of resources with an
//! effective region and effective tags, so there is one rule. Each input is
//! parsed, checked and dropped before the next is read; only the text of
//! inputs that findings point into is kept for the report.

pub mod check;
pub mod cli;
pub mod config;
pub mod error;
pub mod finding;
mod input;
mod json;
pub mod model;
pub mod plan;
pub mod report;
pub mod source;
mod syntax;
pub mod tfjson;

use std::path::{Path, PathBuf};

pub use check::{RegionCheck, RuleOptions};
pub use error::{ErrorCode, InputError};
pub use finding::{Code, Finding, Label, Severity, Suppression};
pub use model::{TagPair, TagValue, Tier};
pub use source::{FileId, Sources, Span};
pub use tfjson::VarArg;

/// What kind of input an input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum InputKind {
    /// `terraform show -json PLANFILE`.
    Plan,
    /// `terraform show -json` of a state.
    State,
    /// A raw `terraform.tfstate` (version 4).
    RawState,
    /// A root module of native `.tf.json` / `.tofu.json` files.
    TfJson,
    /// CDKTF synth output (`cdk.tf.json`).
    Cdktf,
    /// hcl2json output (tmccombs/@cdktf hcl2json, python-hcl2).
    Hcl2Json,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Plan => "plan",
            InputKind::State => "state",
            InputKind::RawState => "tfstate",
            InputKind::TfJson => "tf-json",
            InputKind::Cdktf => "cdktf",
            InputKind::Hcl2Json => "hcl2json",
        }
    }
}

/// Everything a run needs, already validated.
#[derive(Debug, Clone)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    /// At least one; each is checked on every input.
    pub tiers: Vec<Tier>,
    /// S8.4: stands in for AWS_REGION and profiles, which no plan records.
    pub default_region: Option<String>,
    /// `--var` / `--var-file`, in command-line order (root configurations).
    pub vars: Vec<VarArg>,
    pub rule: RuleOptions,
    /// The configuration file, when one was read (waivers, excludes).
    pub config: Option<config::Config>,
}

/// One input as the report lists it.
#[derive(Debug, Clone)]
pub struct InputReport {
    pub path: String,
    pub kind: Option<InputKind>,
    pub error: Option<InputError>,
    /// The file, when its text was read (errors may point into it).
    pub file: Option<FileId>,
}

/// The result of a run: inputs, findings and the text they point into.
#[derive(Debug, Default)]
pub struct Outcome {
    pub sources: Sources,
    pub inputs: Vec<InputReport>,
    /// Sorted by file, position, code.
    pub findings: Vec<Finding>,
    pub checks: Vec<RegionCheck>,
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
}

/// Reads every input, checks each on its own, and collects the findings.
pub fn run(options: &Options) -> Outcome {
    let mut outcome = Outcome::default();
    let exclude = options.config.as_ref().and_then(|c| c.exclude.as_ref());
    for candidate in input::discover(&options.paths, exclude) {
        let candidate = match candidate {
            Ok(c) => c,
            Err((path, error)) => {
                outcome.inputs.push(InputReport {
                    path,
                    kind: None,
                    error: Some(error),
                    file: None,
                });
                continue;
            }
        };
        let report = match candidate.target {
            input::Target::Document => check_file(&candidate, options, &mut outcome),
            input::Target::ConfigDir => Some(check_config(
                tfjson::Root::Dir(candidate.path.clone()),
                &candidate.display,
                options,
                &mut outcome,
            )),
        };
        if let Some(report) = report {
            outcome.inputs.push(report);
        }
    }
    if let Some(config) = &options.config {
        apply_waivers(config, &config::today(), &mut outcome);
    }
    outcome
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    outcome
}

/// Marks the findings that active waivers match as suppressed, and reports
/// expired waivers and waivers that match nothing, at their place in the
/// configuration file.
fn apply_waivers(config: &config::Config, today: &str, outcome: &mut Outcome) {
    if config.waivers.is_empty() {
        return;
    }
    let file = outcome
        .sources
        .add(config.path.display().to_string(), config.text.clone());
    let mut matched = vec![0usize; config.waivers.len()];
    for finding in &mut outcome.findings {
        for (i, waiver) in config.waivers.iter().enumerate() {
            let applies = waiver.tier == finding.tier
                && waiver
                    .region
                    .as_ref()
                    .is_none_or(|r| finding.region.as_ref() == Some(r))
                && waiver
                    .resource
                    .as_ref()
                    .is_none_or(|r| finding.resources.contains(r));
            if !applies {
                continue;
            }
            matched[i] += 1;
            let expired = waiver.expires.as_deref().is_some_and(|e| e < today);
            if !expired && finding.waiver.is_none() {
                finding.waiver = Some(Suppression {
                    reason: waiver.reason.clone(),
                    expires: waiver.expires.clone(),
                });
            }
        }
    }
    for (waiver, &count) in config.waivers.iter().zip(&matched) {
        let expired = waiver.expires.as_deref().filter(|e| *e < today);
        let (code, message, help) = match (expired, count) {
            (Some(date), n) => (
                Code::WaiverExpired,
                format!(
                    "the waiver for {} expired on {date}; it no longer suppresses {}",
                    describe_waiver(waiver),
                    if n == 1 { "1 finding".to_string() } else { format!("{n} findings") }
                ),
                "fix what it waived and remove it, or renew it with a new `expires` date and reason",
            ),
            (None, 0) => (
                Code::WaiverUnused,
                format!("the waiver for {} matches no finding", describe_waiver(waiver)),
                "remove it from the configuration file",
            ),
            (None, _) => continue,
        };
        let span = Span::new(file, waiver.span.clone());
        outcome.findings.push(Finding {
            code,
            input: config.path.display().to_string(),
            subject: describe_waiver(waiver),
            resources: Vec::new(),
            severity: code.default_severity(),
            tier: waiver.tier.clone(),
            region: waiver.region.clone(),
            message,
            help: help.into(),
            primary: Label {
                focus: span.clone(),
                span,
                message: "this waiver".into(),
                elidable: false,
            },
            related: Vec::new(),
            waiver: None,
        });
    }
}

fn describe_waiver(waiver: &config::Waiver) -> String {
    let mut what = format!("the {} tier", waiver.tier);
    if let Some(region) = &waiver.region {
        what.push_str(&format!(" in {region}"));
    }
    if let Some(resource) = &waiver.resource {
        what.push_str(&format!(" ({resource})"));
    }
    what
}

/// Reads and checks one file; `None` when a walk skips it as not ours.
fn check_file(
    candidate: &input::Candidate,
    options: &Options,
    outcome: &mut Outcome,
) -> Option<InputReport> {
    match input::read(&candidate.path) {
        Ok(bytes) => check_input(
            &candidate.display,
            candidate.explicit,
            bytes,
            options,
            outcome,
        ),
        Err(error) => Some(InputReport {
            path: candidate.display.clone(),
            kind: None,
            error: Some(error),
            file: None,
        }),
    }
}

/// Checks one input given as bytes, as if its file had been named on the
/// command line (for callers that already hold the document, and for tests).
pub fn check_bytes(path: &str, bytes: Vec<u8>, options: &Options) -> Outcome {
    let mut outcome = Outcome::default();
    let report = check_input(path, true, bytes, options, &mut outcome);
    outcome.inputs.extend(report);
    outcome
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    outcome
}

/// Decodes, parses and checks one input; `None` when a walk skips it as
/// not ours.
fn check_input(
    path: &str,
    explicit: bool,
    bytes: Vec<u8>,
    options: &Options,
    outcome: &mut Outcome,
) -> Option<InputReport> {
    let mut report = InputReport {
        path: path.to_string(),
        kind: None,
        error: None,
        file: None,
    };
    let decoded = match input::decode(bytes) {
        Ok(d) => d,
        Err((error, text)) => {
            if !explicit && !looks_like_ours(path, text.as_deref()) {
                return None;
            }
            report.file = text.map(|t| outcome.sources.add(path.to_string(), t));
            report.error = Some(error);
            return Some(report);
        }
    };
    let file = outcome.sources.add(path.to_string(), decoded.text);
    report.file = Some(file);
    let text = outcome.sources.get(file).text();
    let result = plan::read(
        file,
        text,
        decoded.body,
        decoded.wrapped,
        options.default_region.as_deref(),
    );
    let keep_text = match result {
        Ok((kind, inventory)) => {
            report.kind = Some(kind);
            check_inventory(
                &inventory,
                path,
                options,
                &mut outcome.findings,
                &mut outcome.checks,
            )
        }
        Err(error) if error.code == ErrorCode::NotAPlan && tfjson::is_config_text(text) => {
            // A JSON configuration named on its own (CDKTF or hcl2json
            // output): a root module of one file.
            let dir = Path::new(path)
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            return Some(check_config(
                tfjson::Root::Text(file, dir),
                path,
                options,
                outcome,
            ));
        }
        Err(error) => {
            let ours = explicit
                || (error.code != ErrorCode::NotAPlan && looks_like_ours(path, Some(text)));
            if !ours {
                outcome.sources.release_text(file);
                return None;
            }
            report.error = Some(error);
            true
        }
    };
    if !keep_text {
        outcome.sources.release_text(file);
    }
    Some(report)
}

/// Applies the rule for every tier; whether any finding points into it.
fn check_inventory(
    inventory: &model::Inventory<'_>,
    input: &str,
    options: &Options,
    findings: &mut Vec<Finding>,
    checks: &mut Vec<RegionCheck>,
) -> bool {
    let before = findings.len();
    for (i, tier) in options.tiers.iter().enumerate() {
        let (found, mut checked) = check::tier_key_per_region(inventory, tier, &options.rule);
        // Input-level notes do not depend on the tier: report them once.
        let per_input = |f: &Finding| {
            matches!(
                f.code,
                Code::PlanErrored | Code::PlanIncomplete | Code::ModuleNotChecked
            )
        };
        findings.extend(
            found
                .into_iter()
                .filter(|f| i == 0 || !per_input(f))
                .map(|mut f| {
                    f.input = input.to_string();
                    f
                }),
        );
        for c in &mut checked {
            c.input = input.to_string();
        }
        checks.extend(checked);
    }
    findings.len() > before
}

/// Loads, evaluates and checks one root JSON configuration.
fn check_config(
    root: tfjson::Root,
    display: &str,
    options: &Options,
    outcome: &mut Outcome,
) -> InputReport {
    let mut report = InputReport {
        path: display.to_string(),
        kind: None,
        error: None,
        file: None,
    };
    match tfjson::load(&root, &options.vars, &mut outcome.sources) {
        Err((error, file)) => {
            report.error = Some(error);
            report.file = file;
        }
        Ok(loaded) => {
            report.kind = Some(loaded.kind);
            let inventory =
                tfjson::read(&outcome.sources, &loaded, options.default_region.as_deref());
            report.file = inventory.texts.first().map(|(id, _)| *id);
            check_inventory(
                &inventory,
                display,
                options,
                &mut outcome.findings,
                &mut outcome.checks,
            );
        }
    }
    report
}

/// In a walk, whether a file that failed to parse was meant as a plan or
/// state (and so deserves an error rather than a silent skip).
fn looks_like_ours(path: &str, text: Option<&str>) -> bool {
    let name = path
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    if name.contains("plan") || name.contains("tfstate") {
        return true;
    }
    let head = text.map_or("", |t| {
        let mut end = t.len().min(64 * 1024);
        while !t.is_char_boundary(end) {
            end -= 1;
        }
        &t[..end]
    });
    head.contains("\"format_version\"") || head.contains("\"terraform_version\"")
}
