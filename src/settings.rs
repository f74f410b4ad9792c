//! `tierkey.toml`, the settings file: tiers, rule options, path excludes
//! and waivers, read strictly. Unknown keys, wrong types, bad regions, bad regular expressions
//! and bad JSONPath selectors are errors that point into the file
//! ([`SettingsError`]); command-line options override the file.
//!
//! A file is found in the current directory or its parents, or named with
//! `--config FILE`. `tierkey init` writes [`STARTER`].

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::aws::is_kms_arn;
use crate::finding::Severity;
use crate::tier::{tag_regex, Selectors, TagPair, TagValue, Tier};

/// The configuration file's name.
pub const FILE_NAME: &str = "tierkey.toml";

/// A commented starter configuration (`tierkey init`).
pub const STARTER: &str = r#"# tierkey.toml — the tiers to check and how.
# Command-line options override what is set here.

# The region of resources whose provider sets none (AWS_REGION, profiles).
# default_region = "eu-west-1"

# Treat every warning (unknown tags, regions, keys) as an error.
strict = false

# Compare tag keys and values ignoring case (AWS tags are case-sensitive).
ignore_case = false

# Paths (globs) never checked, relative to this file.
# exclude = ["legacy/**", "**/*.bak.json"]

# The configuration that plans written elsewhere were made from, so their
# findings point at the .tf line (paths relative to this file). A plan in
# its root module's directory needs none.
# [[source]]
# plans = "plans/prod-*.json"
# dir = "envs/prod"

# Inputs judged together as one account: a tier key in any of them counts
# for all of them (a separate KMS stack, CDKTF stacks of one app).
# [[group]]
# name = "prod"
# paths = ["envs/prod", "stacks/kms", "plans/prod-*.json"]

# One table per tier (Conformity KMS-009 web, KMS-010 app, KMS-011 database).
[[tier]]
name = "database"
# Tag pairs that mark the tier's resources and keys; any pair matches.
tags = { tier = "database" }
# Values matched by regular expressions (the whole value must match).
# tag_patterns = { tier = "db|database" }
# The severity of its missing-tier-key findings: error, warning or info.
severity = "error"
# Whether its storage must encrypt with the region's tier key, and how
# loudly (tier-key-not-used): error, warning, info or off.
in_use = "error"
# Regions that must hold a tier key whatever the resources.
# required_regions = ["eu-west-1"]
# Keys created outside this configuration; each counts in its ARN's region.
# external_keys = ["arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
# JSONPath selectors over [RESOURCE] ({"type", "address", "values"}): a
# resource a selector matches joins (include) or leaves (exclude) the tier.
# include = ["$[?@.type == 'aws_db_instance' || @.type == 'aws_rds_cluster']"]
# exclude = ["$[?@.address == 'aws_db_instance.scratch']"]

# [[tier]]
# name = "app"
# tags = { tier = "app" }

# Waivers keep a finding but mark it suppressed; an expired waiver no longer
# suppresses, and a waiver that matches nothing is reported.
# [[waiver]]
# tier = "database"
# region = "us-east-1"
# resource = "aws_db_instance.legacy"
# reason = "migrated to eu-west-1 in Q1"
# expires = "2027-03-31"
"#;

/// An error in the configuration file, with the byte range it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    pub path: PathBuf,
    pub text: String,
    pub message: String,
    pub span: Option<Range<usize>>,
}

/// One waiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    pub tier: String,
    pub region: Option<String>,
    pub resource: Option<String>,
    pub reason: String,
    pub expires: Option<String>,
    /// Where it is written in the configuration file.
    pub span: Range<usize>,
}

/// A validated configuration file.
#[derive(Debug, Clone)]
pub struct Settings {
    pub path: PathBuf,
    pub text: String,
    pub tiers: Vec<Tier>,
    pub default_region: Option<String>,
    pub strict: bool,
    pub ignore_case: bool,
    pub exclude: Option<GlobSet>,
    pub waivers: Vec<Waiver>,
    /// `[[source]]`: which configuration directory plans were made from.
    pub sources: Vec<SourceRule>,
    /// `[[group]]`: inputs judged together as one account (S17).
    pub groups: Vec<Group>,
}

/// Inputs whose path matches `paths` (relative to the settings file's
/// directory, `base`) are judged together.
#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub paths: GlobSet,
    pub base: PathBuf,
}

/// The first invalid regular expression given to `match()` or `search()`
/// in a JSONPath query (as a string literal), and why.
fn selector_regex_error(query: &str) -> Option<String> {
    for function in ["match(", "search("] {
        let mut rest = query;
        while let Some(at) = rest.find(function) {
            let args = &rest[at + function.len()..];
            rest = args;
            // The second argument: after the first top-level comma.
            let mut depth = 0usize;
            let mut quote: Option<char> = None;
            let mut comma = None;
            for (i, c) in args.char_indices() {
                match (quote, c) {
                    (Some(q), c) if c == q => quote = None,
                    (None, '\'' | '"') => quote = Some(c),
                    (None, '(' | '[') => depth += 1,
                    (None, ')' | ']') if depth == 0 => break,
                    (None, ')' | ']') => depth -= 1,
                    (None, ',') if depth == 0 => {
                        comma = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let Some(comma) = comma else { continue };
            let second = args[comma + 1..].trim_start();
            let Some(q) = second.chars().next().filter(|c| matches!(c, '\'' | '"')) else {
                continue;
            };
            let Some(end) = second[1..].find(q) else {
                continue;
            };
            if let Err(e) = regex::Regex::new(&second[1..=end]) {
                return Some(e.to_string().lines().last().unwrap_or_default().to_string());
            }
        }
    }
    None
}

/// `path` relative to `base`, when it lies under it.
fn relative_to(path: &Path, base: &Path) -> Option<PathBuf> {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let path = absolute(path);
    path.strip_prefix(absolute(base)).ok().map(|rel| {
        // `a/./b` as `a/b`, for globs.
        rel.components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect()
    })
}

/// Plans matching `plans` were made from the root module in `dir` (both
/// relative to the settings file's directory, `base`).
#[derive(Debug, Clone)]
pub struct SourceRule {
    pub plans: globset::GlobMatcher,
    pub dir: PathBuf,
    pub base: PathBuf,
}

impl Settings {
    /// Whether a walked path matches an `exclude` glob, relative to the
    /// settings file's directory.
    pub fn excludes(&self, path: &Path) -> bool {
        let Some(set) = &self.exclude else {
            return false;
        };
        let base = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        relative_to(path, base).is_some_and(|rel| set.is_match(rel))
    }

    /// The first `[[group]]` an input at `path` belongs to.
    pub fn group_of(&self, path: &Path) -> Option<String> {
        self.groups.iter().find_map(|group| {
            let rel = relative_to(path, &group.base)?;
            group.paths.is_match(&rel).then(|| group.name.clone())
        })
    }

    /// The configuration directory a plan at `path` was made from, when a
    /// `[[source]]` names it.
    pub fn source_of(&self, path: &Path) -> Option<PathBuf> {
        self.sources.iter().find_map(|rule| {
            let rel = relative_to(path, &rule.base)?;
            rule.plans.is_match(&rel).then(|| rule.base.join(&rule.dir))
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    default_region: Option<Spanned<String>>,
    #[serde(default)]
    strict: bool,
    #[serde(default)]
    ignore_case: bool,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default, rename = "tier")]
    tiers: Vec<Spanned<RawTier>>,
    #[serde(default, rename = "waiver")]
    waivers: Vec<Spanned<RawWaiver>>,
    #[serde(default, rename = "source")]
    sources: Vec<RawSource>,
    #[serde(default, rename = "group")]
    groups: Vec<RawGroup>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    name: String,
    paths: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    plans: Spanned<String>,
    dir: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    name: Spanned<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default)]
    tag_patterns: BTreeMap<String, Spanned<String>>,
    severity: Option<Spanned<String>>,
    in_use: Option<Spanned<String>>,
    ignore_case: Option<bool>,
    #[serde(default)]
    required_regions: Vec<Spanned<String>>,
    #[serde(default)]
    external_keys: Vec<Spanned<String>>,
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    tier: Spanned<String>,
    region: Option<Spanned<String>>,
    resource: Option<String>,
    reason: String,
    expires: Option<Spanned<toml::Value>>,
}

/// `tierkey.toml` in `start` or its nearest parent that has one, as a path
/// relative to `start` (`tierkey.toml`, `../tierkey.toml`, ...).
/// The search stops at the top of a git working tree (the directory
/// holding `.git`), and outside one looks only in `start`: a `tierkey.toml`
/// above the repository (in a shared `/tmp`, a home directory) is no part
/// of it and never applies.
pub fn find(start: &Path) -> Option<PathBuf> {
    let in_repository = start.ancestors().any(|dir| dir.join(".git").exists());
    for (up, dir) in start.ancestors().enumerate() {
        if dir.join(FILE_NAME).is_file() {
            let mut rel = PathBuf::new();
            for _ in 0..up {
                rel.push("..");
            }
            return Some(rel.join(FILE_NAME));
        }
        if !in_repository || dir.join(".git").exists() {
            return None;
        }
    }
    None
}

/// Whether a string is an AWS region name (`eu-west-1`, `us-gov-west-1`).
pub fn is_region_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

/// Reads and validates a configuration file.
pub fn load(path: &Path) -> Result<Settings, SettingsError> {
    let text = crate::input::read(path)
        .and_then(|bytes| {
            String::from_utf8(bytes.into_vec()).map_err(|_| {
                crate::error::InputError::new(
                    crate::error::ErrorCode::NotUtf8,
                    format!("cannot read {}: it is not UTF-8", path.display()),
                )
            })
        })
        .map_err(|e| SettingsError {
            path: path.to_path_buf(),
            text: String::new(),
            message: e.message,
            span: None,
        })?;
    parse(path, &text)
}

/// Validates settings text.
pub fn parse(path: &Path, text: &str) -> Result<Settings, SettingsError> {
    let check = Validator { path, text };
    let raw: RawConfig =
        toml::from_str(text).map_err(|e| check.fail(e.message().to_string(), e.span()))?;
    let default_region = raw
        .default_region
        .as_ref()
        .map(|r| check.region(r))
        .transpose()?;
    let mut tiers: Vec<Tier> = Vec::new();
    for spanned in &raw.tiers {
        let tier = check.tier(spanned, raw.ignore_case)?;
        if tiers.iter().any(|other| other.name == tier.name) {
            return Err(check.fail(
                format!("tier {:?} is defined twice", tier.name),
                Some(spanned.get_ref().name.span()),
            ));
        }
        tiers.push(tier);
    }
    let exclude = check.excludes(&raw.exclude)?;
    let waivers = raw
        .waivers
        .iter()
        .map(|w| check.waiver(w, &tiers, raw.tiers.is_empty()))
        .collect::<Result<_, _>>()?;
    let base = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let sources = raw
        .sources
        .iter()
        .map(|rule| {
            let glob = Glob::new(rule.plans.get_ref())
                .map_err(|e| check.fail(format!("invalid glob: {e}"), Some(rule.plans.span())))?;
            Ok(SourceRule {
                plans: glob.compile_matcher(),
                dir: PathBuf::from(&rule.dir),
                base: base.clone(),
            })
        })
        .collect::<Result<_, _>>()?;
    let groups = raw
        .groups
        .iter()
        .map(|g| {
            Ok(Group {
                name: g.name.clone(),
                paths: check.excludes(&g.paths)?.unwrap_or_else(GlobSet::empty),
                base: base.clone(),
            })
        })
        .collect::<Result<_, SettingsError>>()?;
    Ok(Settings {
        path: path.to_path_buf(),
        text: text.to_string(),
        tiers,
        default_region,
        strict: raw.strict,
        ignore_case: raw.ignore_case,
        exclude,
        waivers,
        sources,
        groups,
    })
}

/// Validates the parts of one settings file; every error points into it.
struct Validator<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Validator<'_> {
    fn fail(&self, message: String, span: Option<Range<usize>>) -> SettingsError {
        SettingsError {
            path: self.path.to_path_buf(),
            text: self.text.to_string(),
            message,
            span,
        }
    }

    fn region(&self, r: &Spanned<String>) -> Result<String, SettingsError> {
        if is_region_name(r.get_ref()) {
            Ok(r.get_ref().clone())
        } else {
            Err(self.fail(
                format!(
                    "{:?} is not an AWS region name (expected something like eu-west-1)",
                    r.get_ref()
                ),
                Some(r.span()),
            ))
        }
    }

    fn tier(&self, spanned: &Spanned<RawTier>, ignore_case: bool) -> Result<Tier, SettingsError> {
        let t = spanned.get_ref();
        let name = t.name.get_ref().trim();
        if name.is_empty() {
            return Err(self.fail("a tier needs a name".into(), Some(t.name.span())));
        }
        let ignore_case = t.ignore_case.unwrap_or(ignore_case);
        let mut pairs: Vec<TagPair> = t
            .tags
            .iter()
            .map(|(k, v)| TagPair {
                key: k.clone(),
                value: TagValue::Exact(v.clone()),
            })
            .collect();
        for (key, pattern) in &t.tag_patterns {
            let regex = tag_regex(pattern.get_ref(), ignore_case).map_err(|e| {
                self.fail(
                    format!("invalid regular expression: {e}"),
                    Some(pattern.span()),
                )
            })?;
            pairs.push(TagPair {
                key: key.clone(),
                value: TagValue::Regex(regex),
            });
        }
        if pairs.is_empty() {
            // Selectors choose resources, but a KMS key is a tier key only by
            // its tags: without a tag pair the tier could never be satisfied.
            return Err(self.fail(
                format!(
                    "tier {name:?} has no `tags` or `tag_patterns`: a KMS key is a tier key only by its tier tag, so this tier could never be satisfied (selectors choose resources, not keys)"
                ),
                Some(spanned.span()),
            ));
        }
        let mut selectors = Selectors::default();
        for (list, out) in [
            (&t.include, &mut selectors.include),
            (&t.exclude, &mut selectors.exclude),
        ] {
            for query in list {
                let parsed = jsonpath_rust::parser::parse_json_path(query.get_ref())
                    .map_err(|e| self.fail(format!("invalid JSONPath: {e}"), Some(query.span())))?;
                // jsonpath-rust treats an invalid regular expression as "no
                // match": a selector that silently never matches.
                if let Some(error) = selector_regex_error(query.get_ref()) {
                    return Err(self.fail(
                        format!("invalid regular expression in a JSONPath selector: {error}"),
                        Some(query.span()),
                    ));
                }
                out.push((query.get_ref().clone(), parsed));
            }
        }
        let severity = match t.severity.as_ref() {
            None => Severity::Error,
            Some(s) => self.severity(s, false)?.unwrap_or(Severity::Error),
        };
        let in_use = match t.in_use.as_ref() {
            None => Some(Severity::Error),
            Some(s) => self.severity(s, true)?,
        };
        let mut external_keys = Vec::new();
        for arn in &t.external_keys {
            if !is_kms_arn(arn.get_ref()) {
                return Err(self.fail(
                    "expected a KMS key ARN with a region, like arn:aws:kms:eu-west-1:111122223333:key/1234abcd-...".into(),
                    Some(arn.span()),
                ));
            }
            external_keys.push(arn.get_ref().clone());
        }
        Ok(Tier {
            name: name.to_string(),
            pairs,
            ignore_case,
            severity,
            required_regions: t
                .required_regions
                .iter()
                .map(|r| self.region(r))
                .collect::<Result<_, _>>()?,
            external_keys,
            selectors,
            in_use,
        })
    }

    /// A severity name; `off` too when `can_be_off` (then `None`).
    fn severity(
        &self,
        s: &Spanned<String>,
        can_be_off: bool,
    ) -> Result<Option<Severity>, SettingsError> {
        match s.get_ref().as_str() {
            "error" => Ok(Some(Severity::Error)),
            "warning" => Ok(Some(Severity::Warning)),
            "info" => Ok(Some(Severity::Info)),
            "off" if can_be_off => Ok(None),
            other => Err(self.fail(
                format!(
                    "unknown severity {other:?} (expected error, warning{})",
                    if can_be_off {
                        ", info or off"
                    } else {
                        " or info"
                    }
                ),
                Some(s.span()),
            )),
        }
    }

    fn excludes(&self, globs: &[Spanned<String>]) -> Result<Option<GlobSet>, SettingsError> {
        if globs.is_empty() {
            return Ok(None);
        }
        let mut set = GlobSetBuilder::new();
        for glob in globs {
            set.add(
                Glob::new(glob.get_ref())
                    .map_err(|e| self.fail(format!("invalid glob: {e}"), Some(glob.span())))?,
            );
        }
        set.build()
            .map(Some)
            .map_err(|e| self.fail(format!("invalid globs: {e}"), None))
    }

    /// A waiver; `any_tier`: the file defines no tiers (they come from the
    /// command line), so any tier name is accepted.
    fn waiver(
        &self,
        spanned: &Spanned<RawWaiver>,
        tiers: &[Tier],
        any_tier: bool,
    ) -> Result<Waiver, SettingsError> {
        let w = spanned.get_ref();
        if !any_tier && !tiers.iter().any(|t| t.name == *w.tier.get_ref()) {
            return Err(self.fail(
                format!("waiver for unknown tier {:?}", w.tier.get_ref()),
                Some(w.tier.span()),
            ));
        }
        if w.region.is_none() && w.resource.is_none() {
            return Err(self.fail(
                "a waiver needs a `region`, a `resource`, or both".into(),
                Some(spanned.span()),
            ));
        }
        if w.reason.trim().is_empty() {
            return Err(self.fail("a waiver needs a `reason`".into(), Some(spanned.span())));
        }
        let expires = match &w.expires {
            None => None,
            Some(d) => Some(waiver_date(d.get_ref()).ok_or_else(|| {
                self.fail(
                    "`expires` must be a date, YYYY-MM-DD".into(),
                    Some(d.span()),
                )
            })?),
        };
        Ok(Waiver {
            tier: w.tier.get_ref().clone(),
            region: w.region.as_ref().map(|r| self.region(r)).transpose()?,
            resource: w.resource.clone(),
            reason: w.reason.clone(),
            expires,
            span: spanned.span(),
        })
    }
}

/// A waiver's `expires`: a TOML date (`2027-03-31`) or a string in that
/// form, and a real calendar date.
fn waiver_date(value: &toml::Value) -> Option<String> {
    let (year, month, day) = match value {
        toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => {
            let date = d.date?;
            (
                i64::from(date.year),
                u32::from(date.month),
                u32::from(date.day),
            )
        }
        toml::Value::String(s) => {
            let shaped = s.len() == 10
                && s.char_indices().all(|(i, c)| {
                    if i == 4 || i == 7 {
                        c == '-'
                    } else {
                        c.is_ascii_digit()
                    }
                });
            if !shaped {
                return None;
            }
            (
                s[..4].parse().ok()?,
                s[5..7].parse().ok()?,
                s[8..].parse().ok()?,
            )
        }
        _ => return None,
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days)
        .contains(&day)
        .then(|| format!("{year:04}-{month:02}-{day:02}"))
}

/// Today's date (UTC) as `YYYY-MM-DD`, for waiver expiry.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date(i64::try_from(secs / 86_400).unwrap_or(0))
}

/// Days since 1970-01-01 → `YYYY-MM-DD` (proleptic Gregorian).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (String, String) {
        let e = parse(Path::new("tierkey.toml"), text).unwrap_err();
        let at = e
            .span
            .clone()
            .map(|s| text[s].to_string())
            .unwrap_or_default();
        (e.message, at)
    }

    #[test]
    fn the_starter_file_is_valid() {
        let config = parse(Path::new("tierkey.toml"), STARTER).unwrap();
        assert_eq!(config.tiers.len(), 1);
        assert_eq!(config.tiers[0].name, "database");
    }

    #[test]
    fn errors_point_into_the_file() {
        let (message, at) = err("[[tier]]\nname = \"db\"\ntags = { tier = \"db\" }\ncolour = 1\n");
        assert!(message.contains("unknown field `colour`"), "{message}");
        assert_eq!(at, "colour");
        let (message, at) = err("default_region = \"EU\"\n");
        assert!(message.contains("not an AWS region"), "{message}");
        assert_eq!(at, "\"EU\"");
        let (message, at) = err("[[tier]]\nname = \"db\"\ntag_patterns = { tier = \"(db\" }\n");
        assert!(message.contains("invalid regular expression"), "{message}");
        assert_eq!(at, "\"(db\"");
        let (message, at) = err(
            "[[tier]]\nname = \"db\"\ntags = { tier = \"db\" }\ninclude = [\"$[?@.type ==\"]\n",
        );
        assert!(message.contains("invalid JSONPath"), "{message}");
        assert_eq!(at, "\"$[?@.type ==\"");
        let (message, _) = err("strict = \"yes\"\n");
        assert!(message.contains("invalid type"), "{message}");
    }

    #[test]
    fn a_tier_without_tags_is_rejected_not_a_panic() {
        let text = "[[tier]]\nname = \"db\"\ninclude = [\"$[?@.type == 'aws_db_instance']\"]\n";
        let (message, at) = err(text);
        assert!(
            message.contains("has no `tags` or `tag_patterns`"),
            "{message}"
        );
        assert!(at.starts_with("[[tier]]"), "{at}");
    }

    #[test]
    fn waiver_dates_must_exist() {
        let date = |s: &str| waiver_date(&toml::Value::String(s.into()));
        assert_eq!(date("2027-03-31").as_deref(), Some("2027-03-31"));
        assert_eq!(date("2028-02-29").as_deref(), Some("2028-02-29"));
        assert_eq!(date("2027-02-29"), None);
        assert_eq!(date("2099-13-45"), None);
        assert_eq!(date("2099-00-10"), None);
        assert_eq!(date("27-03-31"), None);
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_454), "2026-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
    }
}
