//! The command line: clap definitions and their translation into
//! [`Options`]. No checking logic lives here.

use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use regex::Regex;

use crate::aws::is_kms_arn;
use crate::configuration::VarArg;
use crate::finding::Severity;
use crate::outcome::FailOn;
use crate::report::Format;
use crate::rules::RuleOptions;
use crate::settings::{self, is_region_name};
use crate::tier::{tag_regex, TagPair, TagValue, Tier};
use crate::Options;

const EXIT_CODES: &str = "\
Example:
  terraform show -json plan.tfplan > plan.json
  tierkey check --tag tier=database plan.json

Exit status:
  0  every input was read and no finding is an error
  1  at least one finding is an error (e.g. missing-tier-key)
  2  usage error, or an input could not be read or parsed";

/// Checks that every AWS region holding a tier's resources also holds a
/// customer-managed KMS key carrying the tier tag (Conformity KMS-009/010/011),
/// offline, in Terraform and OpenTofu configurations (.tf, .tofu, .tf.json),
/// plans and state.
#[derive(Debug, Parser)]
#[command(name = "tierkey", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check configurations, plans and states (files, or directories to walk).
    #[command(after_help = EXIT_CODES)]
    Check(Box<CheckArgs>),
    /// Write a commented starter tierkey.toml in the current directory.
    Init {
        /// Replace an existing tierkey.toml.
        #[arg(long)]
        force: bool,
    },
    /// Explain a finding or input error code: what it means, why, how to fix it.
    /// With no code, list every code with its summary.
    Explain {
        /// A code such as missing-tier-key, an input error code, `config`,
        /// or a Conformity rule (KMS-009, KMS-010, KMS-011).
        code: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MinSeverityArg {
    /// Errors only.
    Error,
    /// Errors and warnings.
    Warning,
    /// Every finding.
    Info,
}

impl MinSeverityArg {
    pub fn severity(self) -> Severity {
        match self {
            MinSeverityArg::Error => Severity::Error,
            MinSeverityArg::Warning => Severity::Warning,
            MinSeverityArg::Info => Severity::Info,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    /// Error findings set exit status 1.
    Error,
    /// Error and warning findings set exit status 1.
    Warning,
    /// No finding sets exit status 1 (unreadable inputs still exit 2).
    Never,
}

/// Where one report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub format: Format,
    /// `None`: standard output.
    pub file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "one field per command-line switch"
)]
pub struct CheckArgs {
    /// Configuration files (.tf, .tofu, .tf.json, cdk.tf.json, hcl2json
    /// output; a .tfvars file checks the root of its directory), plan or
    /// state JSON (`terraform show -json`), raw .tfstate files, or
    /// directories to search for them; `-` reads a plan, state or JSON
    /// configuration from standard input.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// A tier tag pair, KEY=VALUE; repeat for alternatives (any pair matches).
    #[arg(long = "tag", value_name = "KEY=VALUE", help_heading = "Tier")]
    pub tags: Vec<String>,

    /// A tier tag whose value must fully match a regular expression.
    #[arg(long = "tag-regex", value_name = "KEY=REGEX", help_heading = "Tier")]
    pub tag_regexes: Vec<String>,

    /// The tier's name in messages (default: the value of the first --tag,
    /// e.g. `app` for `--tag tier=app`).
    #[arg(long, value_name = "NAME", help_heading = "Tier")]
    pub tier: Option<String>,

    /// Compare tag keys and values ignoring case.
    #[arg(long, help_heading = "Tier")]
    pub ignore_case: bool,

    /// The region of resources whose provider sets none (stands in for
    /// `AWS_REGION` or a profile, which no plan records).
    #[arg(long, value_name = "REGION", help_heading = "Rule")]
    pub default_region: Option<String>,

    /// A region that must hold a tier key even without tier resources; repeatable.
    #[arg(long = "required-region", value_name = "REGION", help_heading = "Rule")]
    pub required_regions: Vec<String>,

    /// The ARN of a tier key created outside this configuration; it counts
    /// as a tier key in its ARN's region. Repeatable.
    #[arg(long = "external-key", value_name = "ARN", help_heading = "Rule")]
    pub external_keys: Vec<String>,

    /// A root variable of configurations, NAME=VALUE (a string, or HCL for a
    /// variable of a collection type); repeatable. Later --var / --var-file
    /// win, as in Terraform.
    #[arg(
        long = "var",
        value_name = "NAME=VALUE",
        help_heading = "Configuration"
    )]
    pub vars: Vec<String>,

    /// A file of root variable values for configurations (.tfvars HCL, or
    /// JSON when its name ends in .json); repeatable.
    #[arg(long = "var-file", value_name = "FILE", help_heading = "Configuration")]
    pub var_files: Vec<PathBuf>,

    /// `--var` and `--var-file` in command-line order (filled by [`parse`]).
    #[arg(skip)]
    pub var_order: Vec<VarArg>,

    /// Treat every warning (unknown tags, regions or keys) as an error.
    #[arg(long, help_heading = "Rule")]
    pub strict: bool,

    /// Do not check that tier storage encrypts with its region's tier key
    /// (tier-key-not-used), for this run.
    #[arg(long, help_heading = "Rule")]
    pub no_in_use: bool,

    /// Judge all inputs together, as one account: a tier key in any of them
    /// counts for all of them (e.g. a separate KMS stack).
    #[arg(long, help_heading = "Rule")]
    pub together: bool,

    /// How many threads to use (default: the number of cores): inputs
    /// checked at once, modules of a walked directory parsed at once, a
    /// second thread to read a plan of 4 MiB or more, and the findings of
    /// several inputs written as JSON, SARIF or GitLab on all of them.
    /// Documents of 256 MiB or more are checked one at a time, to bound
    /// memory. The output is the same whatever the number.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// Output format, optionally with its own file: human, compact, json,
    /// sarif, junit, github, gitlab or markdown; repeatable (e.g. `--format human --format
    /// sarif=tierkey.sarif`).
    #[arg(long = "format", value_name = "FORMAT[=FILE]", help_heading = "Output")]
    pub formats: Vec<String>,

    /// The configuration file (default: tierkey.toml in the current
    /// directory or its nearest parent that has one).
    #[arg(long, value_name = "FILE", help_heading = "Configuration")]
    pub config: Option<PathBuf>,

    /// The root module directory the plans and states given were made
    /// from, so their findings point at the .tf line (default: a
    /// `[[source]]` of tierkey.toml, else the plan's own directory when it
    /// holds configuration files).
    #[arg(long, value_name = "DIR", help_heading = "Configuration")]
    pub source: Option<PathBuf>,

    /// Report paths relative to DIR, the repository root (default: the
    /// current directory), as code scanning and annotations expect.
    #[arg(long, value_name = "DIR", help_heading = "Output")]
    pub base_dir: Option<PathBuf>,

    /// Which findings set exit status 1.
    #[arg(long, value_enum, default_value_t = FailOnArg::Error, help_heading = "Output")]
    pub fail_on: FailOnArg,

    /// The least severe findings the human, compact and markdown reports
    /// show (their summaries still count every finding).
    #[arg(long, value_enum, default_value_t = MinSeverityArg::Info, help_heading = "Output")]
    pub min_severity: MinSeverityArg,

    /// Write the report(s) given without their own FILE to FILE instead of
    /// standard output.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub output: Option<PathBuf>,
}

impl CheckArgs {
    pub fn fail_on(&self) -> FailOn {
        match self.fail_on {
            FailOnArg::Error => FailOn::Error,
            FailOnArg::Warning => FailOn::Warning,
            FailOnArg::Never => FailOn::Never,
        }
    }

    /// The tier tag pairs of `--tag` and `--tag-regex`.
    fn pairs(&self, ignore_case: bool) -> Result<Vec<TagPair>, String> {
        let mut pairs = Vec::new();
        for tag in &self.tags {
            let (key, value) = split_pair(tag, "--tag", "KEY=VALUE")?;
            pairs.push(TagPair {
                key,
                value: TagValue::Exact(value),
            });
        }
        for tag in &self.tag_regexes {
            let (key, pattern) = split_pair(tag, "--tag-regex", "KEY=REGEX")?;
            let regex = tag_regex(&pattern, ignore_case)
                .map_err(|e| format!("--tag-regex {tag}: invalid regular expression: {e}"))?;
            pairs.push(TagPair {
                key,
                value: TagValue::Regex(regex),
            });
        }
        Ok(pairs)
    }

    /// The reports to write (default: human on standard output). At most
    /// one goes to standard output, and no two to the same file.
    pub fn outputs(&self) -> Result<Vec<Output>, String> {
        let mut outputs = Vec::new();
        for spec in &self.formats {
            let (name, file) = match spec.split_once('=') {
                Some((name, file)) if !file.is_empty() => (name, Some(PathBuf::from(file))),
                Some((name, _)) => {
                    return Err(format!("--format {name}=: the file name is missing"))
                }
                None => (spec.as_str(), None),
            };
            let format = Format::parse(name).ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
                format!(
                    "--format {spec}: unknown format {name:?} (expected one of {})",
                    names.join(", ")
                )
            })?;
            outputs.push(Output {
                format,
                file: file.or_else(|| self.output.clone()),
            });
        }
        if outputs.is_empty() {
            outputs.push(Output {
                format: Format::Human,
                file: self.output.clone(),
            });
        }
        for (i, a) in outputs.iter().enumerate() {
            if outputs[..i].iter().any(|b| b.file == a.file) {
                return Err(match &a.file {
                    None => "more than one --format writes to standard output; give the others a file (--format sarif=FILE)".into(),
                    Some(f) => format!("more than one --format writes to {}", f.display()),
                });
            }
        }
        Ok(outputs)
    }

    /// Validates the arguments and merges the configuration file (rule S1: a
    /// tier tag is required); command-line options win.
    pub fn options(&self) -> Result<Options, OptionsError> {
        let settings = match &self.config {
            Some(path) => Some(settings::load(path).map_err(OptionsError::Settings)?),
            None => match std::env::current_dir()
                .ok()
                .and_then(|d| settings::find(&d))
            {
                Some(path) => Some(settings::load(&path).map_err(OptionsError::Settings)?),
                None => None,
            },
        };
        let ignore_case = self.ignore_case || settings.as_ref().is_some_and(|c| c.ignore_case);
        let pairs = self.pairs(ignore_case)?;
        for region in self.default_region.iter().chain(&self.required_regions) {
            if !is_region_name(region) {
                return Err(format!(
                    "{region:?} is not an AWS region name (expected something like eu-west-1)"
                )
                .into());
            }
        }
        for arn in &self.external_keys {
            if !is_kms_arn(arn) {
                return Err(format!(
                    "--external-key {arn:?}: expected a KMS key ARN with a region, like arn:aws:kms:eu-west-1:111122223333:key/1234abcd-..."
                )
                .into());
            }
        }
        // Tiers: the one of --tag / --tag-regex, or those of the file.
        let mut tiers = if pairs.is_empty() {
            settings
                .as_ref()
                .map(|c| c.tiers.clone())
                .unwrap_or_default()
        } else {
            let name = self
                .tier
                .clone()
                .unwrap_or_else(|| default_tier_name(&pairs));
            vec![Tier::new(name, pairs)]
        };
        if tiers.is_empty() {
            return Err("no tier tag configured, so the rule cannot run\n\
                 hint: name the tag that marks the tier's resources and keys, e.g. `tierkey check --tag tier=database plan.json`, \
                 or describe the tiers in a tierkey.toml (`tierkey init` writes a starter file)"
                .to_string()
                .into());
        }
        for tier in &mut tiers {
            if self.no_in_use {
                tier.in_use = None;
            }
            tier.required_regions
                .extend(self.required_regions.iter().cloned());
            tier.external_keys
                .extend(self.external_keys.iter().cloned());
            if ignore_case && !tier.ignore_case {
                tier.ignore_case = true;
                for pair in &mut tier.pairs {
                    if let TagValue::Regex(r) = &pair.value {
                        if let Ok(folded) = Regex::new(&format!("(?i){}", r.as_str())) {
                            pair.value = TagValue::Regex(folded);
                        }
                    }
                }
            }
        }
        Ok(Options {
            paths: self.paths.clone(),
            tiers,
            default_region: self
                .default_region
                .clone()
                .or_else(|| settings.as_ref().and_then(|c| c.default_region.clone())),
            vars: self.var_args()?,
            // Terraform reads root variable values from `TF_VAR_name`.
            environment: std::env::vars()
                .filter(|(name, _)| name.starts_with("TF_VAR_"))
                .collect(),
            rule: RuleOptions {
                strict: self.strict || settings.as_ref().is_some_and(|c| c.strict),
            },
            settings,
            source: self.source.clone(),
            base_dir: self.base_dir.clone(),
            together: self.together,
            jobs: self.jobs.map_or(0, usize::from),
            // The command line exits once it has written its reports.
            exits_after: true,
        })
    }
}

/// Why the command line could not be turned into [`Options`].
#[derive(Debug)]
pub enum OptionsError {
    Usage(String),
    Settings(settings::SettingsError),
}

impl From<String> for OptionsError {
    fn from(message: String) -> Self {
        OptionsError::Usage(message)
    }
}

impl CheckArgs {
    fn var_args(&self) -> Result<Vec<VarArg>, String> {
        // A variables file that is not there is a mistake on the command
        // line, whatever the inputs turn out to be.
        for file in &self.var_files {
            if !file.is_file() {
                return Err(format!("--var-file {}: no such file", file.display()));
            }
        }
        if !self.var_order.is_empty() || (self.vars.is_empty() && self.var_files.is_empty()) {
            return Ok(self.var_order.clone());
        }
        // Built without `parse` (tests): files first, then pairs.
        let mut out: Vec<VarArg> = self.var_files.iter().cloned().map(VarArg::File).collect();
        for pair in &self.vars {
            let (name, value) = split_pair(pair, "--var", "NAME=VALUE")?;
            out.push(VarArg::Pair(name, value));
        }
        Ok(out)
    }
}

/// Parses the command line, keeping the order of `--var` and `--var-file`.
pub fn parse() -> Result<Cli, String> {
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).map_err(|e| e.to_string())?;
    if let (Command::Check(args), Some(("check", sub))) = (&mut cli.command, matches.subcommand()) {
        let mut order: Vec<(usize, VarArg)> = Vec::new();
        for (i, pair) in sub.indices_of("vars").into_iter().flatten().zip(&args.vars) {
            let (name, value) = split_pair(pair, "--var", "NAME=VALUE")?;
            order.push((i, VarArg::Pair(name, value)));
        }
        for (i, file) in sub
            .indices_of("var_files")
            .into_iter()
            .flatten()
            .zip(&args.var_files)
        {
            order.push((i, VarArg::File(file.clone())));
        }
        order.sort_by_key(|(i, _)| *i);
        args.var_order = order.into_iter().map(|(_, v)| v).collect();
    }
    Ok(cli)
}

/// A tier's name from its first exact tag value when that is a plain word
/// (`--tag tier=app` → `app`), else `database` (KMS-011's tier).
fn default_tier_name(pairs: &[TagPair]) -> String {
    pairs
        .iter()
        .find_map(|p| match &p.value {
            TagValue::Exact(v)
                if !v.is_empty()
                    && v.len() <= 32
                    && v.chars()
                        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_')) =>
            {
                Some(v.clone())
            }
            _ => None,
        })
        .unwrap_or_else(|| "database".to_string())
}

fn split_pair(arg: &str, flag: &str, shape: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!(
            "{flag} {arg:?}: expected {shape}, with a non-empty key"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names() {
        for ok in [
            "eu-west-1",
            "us-gov-west-1",
            "ap-southeast-3",
            "cn-north-1",
            "eusc-de-east-1",
        ] {
            assert!(is_region_name(ok), "{ok}");
        }
        for bad in ["EU-west-1", "eu-west", "euwest1", "eu--1", ""] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }
}
