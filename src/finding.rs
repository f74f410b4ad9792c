//! Findings: the plain data every report format renders.
//!
//! A [`Finding`] is what the rule concluded about one region (or one
//! resource, or one input) of one tier, with a primary [`Label`] and related
//! labels pointing at exact byte spans. Each [`Code`] is stable, kebab-case,
//! documented in the README, and carries its own explanation and the
//! statements of the rule reference (`docs/rule.md`) behind it.

use std::fmt;
use std::sync::Arc;

use crate::source::Span;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal, $severity:ident, [$($statement:literal),*];)*) => {
        /// The stable identifier of a finding.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The kebab-case name used in every output format.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// The severity a finding of this code has before `--strict`.
            pub fn default_severity(self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$severity,)*
                }
            }

            /// What the code means, one paragraph.
            pub fn description(self) -> &'static str {
                match self {
                    $(Code::$variant => concat!($($doc),*).trim_ascii(),)*
                }
            }

            /// The statements of the rule reference (`docs/rule.md`) behind it.
            pub fn statements(self) -> &'static [&'static str] {
                match self {
                    $(Code::$variant => &[$($statement),*],)*
                }
            }
        }
    };
}

codes! {
    /// A region holds tier resources but no usable customer-managed KMS key
    /// carrying the tier tag. Also raised for tier resources in an unknown
    /// region when the input has no tier key anywhere.
    MissingTierKey = "missing-tier-key", Error, ["S11", "S10"];
    /// A region holds tier resources and no confirmed tier key, but a key that
    /// might be one cannot be verified offline: its tags, usability or region
    /// are unknown until apply, or a tier resource uses a key read through
    /// `data.aws_kms_key` / `data.aws_kms_alias`.
    TierKeyUnverified = "tier-key-unverified", Warning, ["S10", "S12", "S14"];
    /// A tier resource of a storage type does not encrypt its data with a
    /// tier key of its region: encryption is off, the service's own key
    /// encrypts it, or the key named is not a tier key or lies in another
    /// region.
    TierKeyNotUsed = "tier-key-not-used", Error, ["S14"];
    /// A tier resource's region cannot be determined offline, so whether a
    /// tier key shares its region cannot be verified.
    RegionUnknown = "region-unknown", Warning, ["S8", "S10"];
    /// An AWS resource's tags are unknown until apply, so its tier membership
    /// cannot be decided.
    TagsUnknown = "tags-unknown", Warning, ["S3", "S10"];
    /// A provider configuration's `ignore_tags` hides the tier tag key, so no
    /// resource under it can show the tier tag.
    TierTagIgnored = "tier-tag-ignored", Warning, ["S3"];
    /// The plan stopped on errors (`errored: true`); the result covers only
    /// what the plan shows.
    PlanErrored = "plan-errored", Warning, ["S10"];
    /// The plan is partial (`complete: false`, for example after `-target`);
    /// the result covers only what the plan shows.
    PlanIncomplete = "plan-incomplete", Warning, ["S10"];
    /// A module of a configuration was not read (a remote source, or a local
    /// directory without configuration files), so its resources are not
    /// checked.
    ModuleNotChecked = "module-not-checked", Warning, ["S10", "S15"];
    /// A waiver in the settings file has expired: it no longer suppresses the
    /// findings it matches.
    WaiverExpired = "waiver-expired", Warning, [];
    /// A waiver in the settings file matches no finding: remove it.
    WaiverUnused = "waiver-unused", Warning, [];
    /// A global (region-less) resource carries the tier tag; it adds no region
    /// that needs a tier key.
    GlobalTierResource = "global-tier-resource", Info, ["S5"];
    /// A resource has a tag that differs from a tier tag pair only in case;
    /// AWS tags are case-sensitive, so it is not in the tier.
    TierTagCaseMismatch = "tier-tag-case-mismatch", Info, ["S2"];
    /// A tier resource or tier key is no longer managed by the configuration
    /// (a `removed` block with `destroy = false`): it stays in AWS, so it
    /// still counts.
    ForgottenResource = "forgotten-resource", Info, ["S4"];
    /// The findings of a plan or state point into it, not at the `.tf`
    /// line code review shows: the configuration it was made from is not
    /// known, or does not declare some of the resources.
    SourceNotFound = "source-not-found", Info, ["S16"];
    /// A tier matches no resource and no key of an input, but tags there come
    /// close to its tag pairs (the same key with other values, or a key or
    /// value that differs only slightly): a typo may be giving a silent pass.
    /// A warning when the tier matches nothing in the whole run.
    TierMatchesNothing = "tier-matches-nothing", Info, ["S18"];
}

/// Where the rule reference lives, for links in machine formats.
pub const RULE_REFERENCE: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/rule.md");

/// The statements of the rule reference (`docs/rule.md`), each with the
/// title of its section.
pub const STATEMENTS: &[(&str, &str)] = &[
    ("S1", "A tier must be configured"),
    ("S2", "Tag matching"),
    ("S3", "Effective tags"),
    ("S4", "What survives the plan"),
    ("S5", "Tier resources"),
    ("S6", "Candidate keys"),
    ("S7", "Tier keys"),
    ("S8", "The region of an instance"),
    ("S9", "Extra tier regions"),
    ("S10", "Unknowns never pass silently"),
    ("S11", "One verdict per region"),
    ("S12", "Keys from outside the configuration"),
    ("S13", "Findings"),
    ("S14", "Tier storage uses its region's tier key"),
    ("S15", "Terraform configurations as committed"),
    ("S16", "Plan findings point at the source"),
    ("S17", "Inputs judged together"),
    ("S18", "A tier that matches nothing is suspicious"),
];

/// The link to a statement's section of the rule reference.
pub fn statement_url(id: &str) -> String {
    let title = STATEMENTS
        .iter()
        .find(|(s, _)| *s == id)
        .map_or("", |(_, t)| *t);
    let slug: String = format!("{id} {title}")
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' | '-' => Some(c),
            ' ' => Some('-'),
            _ => None,
        })
        .collect();
    format!("{RULE_REFERENCE}#{slug}")
}

impl Code {
    /// How to fix a finding of this code.
    pub fn fix(self) -> &'static str {
        match self {
            Code::MissingTierKey => "Add an `aws_kms_key` carrying the tier tag in the region (or an `aws_kms_replica_key` of a multi-region key, with its own tags); it must be enabled and a symmetric ENCRYPT_DECRYPT key. If the key is created outside this configuration, list its ARN with --external-key or `external_keys` in tierkey.toml.",
            Code::TierKeyUnverified => "Make the possible key's tags, `is_enabled`/`enabled`, key usage and region known at plan time (literals, variables, default_tags), or add a tier key in the region. For a key read through a data source, list its ARN with --external-key or `external_keys`.",
            Code::RegionUnknown => "Set the provider's `region` in the configuration (a literal or a variable), give --default-region (or `default_region`) for what AWS_REGION supplies at run time, or set the AWS provider v6 per-resource `region`.",
            Code::TagsUnknown => "Give the tier tag a value known at plan time: a literal, a variable, or the provider's `default_tags`.",
            Code::TierTagIgnored => "Remove the tier tag key (or its prefix) from the provider's `ignore_tags`.",
            Code::PlanErrored => "Fix the errors of the plan and check the complete plan.",
            Code::PlanIncomplete => "Check a plan made without -target (and with no deferred changes).",
            Code::ModuleNotChecked => "For a remote module, run `terraform init` (or `tofu init`) so that .terraform/modules holds it, or check the plan of this configuration (plans include remote modules). For a module not expanded, give its `count` / `for_each` a value known offline.",
            Code::WaiverExpired => "Fix the finding and remove the waiver, or renew it with a new `expires` date and reason.",
            Code::WaiverUnused => "Remove the waiver from tierkey.toml: nothing it names is reported any more.",
            Code::GlobalTierResource => "Nothing to do: global services keep no regional data that a tier key could protect.",
            Code::TierTagCaseMismatch => "Write the tag exactly as the tier tag (AWS tags are case-sensitive), or compare ignoring case with --ignore-case / `ignore_case = true`.",
            Code::TierKeyNotUsed => "Point the resource's key attribute (`kms_key_id`, `kms_key_arn`, `server_side_encryption { kms_key_arn }`, ...) at the tier's customer-managed key of the same region, e.g. `kms_key_id = aws_kms_key.db.arn`, with encryption turned on. A multi-region key counts only in its own region: in another region use its `aws_kms_replica_key` there. To tolerate it for a tier, set `in_use` of the tier in tierkey.toml (or --no-in-use).",
            Code::TierMatchesNothing => "Check the tier's tag pairs (--tag, or `tags` in tierkey.toml) against the tags the finding names: keys and values are compared exactly, in case too.",
            Code::SourceNotFound => "Name the root module directory the plan was made from with --source DIR (or a `[[source]]` in tierkey.toml for plans written elsewhere), or keep the plan in that directory; check a plan made from the configuration as it is now, and run `terraform init` so that remote modules are in .terraform/modules.",
            Code::ForgottenResource => "Nothing to do if the object is meant to outlive this configuration. It still needs a tier key in its region (or, being a key, still serves as one); destroy it or manage it again if that is not intended.",
        }
    }

    /// Where the rule reference explains it ("S11 and S10 in docs/rule.md").
    pub fn reference(self) -> Option<String> {
        let statements = self.statements();
        (!statements.is_empty()).then(|| format!("{} in docs/rule.md", statements.join(", ")))
    }

    /// `tierkey explain CODE`.
    pub fn explain(self) -> String {
        let reference = self
            .reference()
            .map(|r| format!("\n\nRule reference: {r}"))
            .unwrap_or_default();
        format!(
            "{} ({} by default)\n\n{}\n\nHow to fix it: {}{reference}\n",
            self.as_str(),
            self.default_severity(),
            self.description().replace('\n', " "),
            self.fix()
        )
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// FNV-1a (64 bit) over parts separated by NUL: a stable, dependency-free
/// fingerprint (not a security hash).
pub(crate) fn fnv64(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// A located message: the span of an object in an input, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The whole object (a resource's JSON object, a provider entry, ...).
    pub span: Span,
    /// The token a human report underlines, inside `span` (the address).
    pub focus: Span,
    pub message: String,
    /// One of possibly many alike (another tier resource of the region): a
    /// human report may show a few and count the rest.
    pub elidable: bool,
}

/// One conclusion of the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: Code,
    /// The input's path, as the report lists it (shared by the input's
    /// findings, as are the tier and most help texts: an input may have
    /// thousands of findings).
    pub input: Arc<str>,
    /// What the finding is about, stable across edits of the input (a
    /// region, a resource address, a provider configuration): with the code,
    /// tier and input it identifies the finding across runs.
    pub subject: String,
    /// The addresses of the resources it is about (for waivers).
    pub resources: Vec<String>,
    /// The resource it is about (its full instance address), when it is
    /// about one resource rather than a region.
    pub address: Option<String>,
    pub severity: Severity,
    pub tier: Arc<str>,
    pub region: Option<String>,
    pub message: String,
    pub help: Arc<str>,
    /// Where it is in the input (for a plan, the resource's object in the
    /// plan).
    pub primary: Label,
    /// For a plan or state whose configuration is known, where the same
    /// thing is declared in the `.tf` files: what code review shows.
    pub source: Option<Box<Label>>,
    /// The `module` calls that reach the resource, outermost first.
    pub module_chain: Vec<Label>,
    pub related: Vec<Label>,
    /// The waiver that suppresses it, if any: a suppressed finding is kept
    /// and reported as such, but never fails the run.
    pub waiver: Option<Box<Suppression>>,
}

/// One region (or unknown-region group) a rule decided, for summaries and
/// test-case reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionCheck {
    /// The input's path, as the report lists it.
    pub input: String,
    pub tier: String,
    /// The `subject` of the finding this check gives when it fails.
    pub subject: String,
    /// How many tier resources are in the region, and how many tier keys
    /// (a key from outside the input counts as one).
    pub resources: usize,
    pub keys: usize,
    pub region: Option<String>,
    pub passed: bool,
}

/// Why a finding is suppressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub reason: String,
    /// `YYYY-MM-DD`, when the waiver has one.
    pub expires: Option<String>,
}

impl Finding {
    /// A finding at one place, about nothing more yet (see [`Finding::about`],
    /// [`Finding::with_resources`]).
    pub(crate) fn new(
        code: Code,
        severity: Severity,
        tier: impl Into<Arc<str>>,
        region: Option<String>,
        message: String,
        help: impl Into<Arc<str>>,
        primary: Label,
    ) -> Self {
        Finding {
            code,
            input: "".into(),
            subject: String::new(),
            resources: Vec::new(),
            address: None,
            severity,
            tier: tier.into(),
            region,
            message,
            help: help.into(),
            primary,
            source: None,
            module_chain: Vec::new(),
            related: Vec::new(),
            waiver: None,
        }
    }

    pub(crate) fn about(mut self, subject: &str) -> Self {
        self.subject = subject.to_string();
        self
    }

    pub(crate) fn with_resources(mut self, resources: Vec<String>) -> Self {
        self.resources = resources;
        self
    }

    /// The location code review shows: the declaring source, when a plan
    /// finding has one, else the primary location.
    pub fn review_primary(&self) -> &Label {
        self.source.as_deref().unwrap_or(&self.primary)
    }

    /// The other locations, as code review lists them: the plan location
    /// (when the source is shown first), the `module` calls, then the
    /// related locations.
    pub fn review_related(&self) -> impl Iterator<Item = &Label> {
        self.source
            .as_ref()
            .map(|_| &self.primary)
            .into_iter()
            .chain(&self.module_chain)
            .chain(&self.related)
    }

    /// Every location, in code review's order.
    pub(crate) fn labels(&self) -> impl Iterator<Item = &Label> {
        std::iter::once(self.review_primary()).chain(self.review_related())
    }

    /// Every location: the primary one, the declaring source, the `module`
    /// calls and the related locations.
    pub(crate) fn labels_mut(&mut self) -> impl Iterator<Item = &mut Label> {
        std::iter::once(&mut self.primary)
            .chain(self.source.as_deref_mut())
            .chain(&mut self.module_chain)
            .chain(&mut self.related)
    }

    /// A fingerprint that stays the same across runs and edits that do not
    /// change what the finding is about (FNV-1a over code, tier, input and
    /// subject).
    pub fn fingerprint(&self) -> String {
        format!(
            "{:016x}",
            fnv64(&[self.code.as_str(), &self.tier, &self.input, &self.subject])
        )
    }

    /// Sort key after the file's path: position, code, region, message
    /// (deterministic output, whatever order files were read in).
    pub(crate) fn sort_key(&self) -> impl Ord + '_ {
        (
            self.primary.span.range.start,
            self.code,
            &self.region,
            &self.message,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_statement_has_its_section_in_the_rule_reference() {
        let reference = include_str!("../docs/rule.md");
        for (id, title) in STATEMENTS {
            assert!(
                reference.contains(&format!("\n## {id} {title}\n")),
                "docs/rule.md lacks the section `## {id} {title}`"
            );
        }
        for code in Code::ALL {
            for statement in code.statements() {
                assert!(
                    STATEMENTS.iter().any(|(id, _)| id == statement),
                    "{statement}"
                );
            }
        }
        assert!(statement_url("S11").ends_with("docs/rule.md#s11-one-verdict-per-region"));
    }

    /// A plan of many tier resources may have a finding for each: what
    /// few findings have stays out of line.
    #[test]
    fn a_finding_stays_small() {
        assert!(
            std::mem::size_of::<Finding>() <= 320,
            "{}",
            std::mem::size_of::<Finding>()
        );
    }

    #[test]
    fn codes_are_unique_kebab_case_and_documented() {
        let names: BTreeSet<_> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), Code::ALL.len());
        for code in Code::ALL {
            let name = code.as_str();
            assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
            assert!(code.description().len() > 40, "{name} needs a description");
            assert!(code.fix().len() > 20, "{name} needs a fix");
        }
    }
}
