//! The user's tiers: a name, the tag pairs that mark the tier's resources
//! and keys, per-tier options, and how a tag map matches (rule S2).
//!
//! A [`Tier`] comes from `--tag` / `--tag-regex` or from `tierkey.toml`; the
//! rules ask it whether a resource's effective tags make the resource a
//! member ([`Tier::membership`]), whether JSONPath selectors add or remove
//! it ([`Tier::selects`]), and whether a provider's `ignore_tags` hides the
//! tier tag ([`Tier::hidden_by`]).

use jsonpath_rust::parser::model::JpQuery;
use regex::Regex;

use crate::finding::Severity;
use crate::model::{IgnoreTags, TagKeys, Tags, TagsUnknown};

/// One tier tag pair: `KEY=VALUE`, or `KEY` with a value pattern.
#[derive(Debug, Clone)]
pub struct TagPair {
    pub key: String,
    pub value: TagValue,
}

/// How a tier tag value is compared.
#[derive(Debug, Clone)]
pub enum TagValue {
    Exact(String),
    /// Anchored: the whole value must match.
    Regex(Regex),
}

impl TagValue {
    fn display(&self) -> String {
        match self {
            TagValue::Exact(v) => format!("{v:?}"),
            TagValue::Regex(r) => format!("/{}/", pattern(r)),
        }
    }
}

/// The pattern as the user wrote it, without the anchors and flags tierkey
/// adds (`(?i)^(?:...)$`).
fn pattern(r: &Regex) -> &str {
    let s = r.as_str();
    let s = s.strip_prefix("(?i)").unwrap_or(s);
    s.strip_prefix("^(?:")
        .and_then(|s| s.strip_suffix(")$"))
        .unwrap_or(s)
}

/// A tag value regular expression, anchored to the whole value.
pub fn tag_regex(pattern: &str, ignore_case: bool) -> Result<Regex, regex::Error> {
    let anchored = format!("^(?:{pattern})$");
    Regex::new(&if ignore_case {
        format!("(?i){anchored}")
    } else {
        anchored
    })
}

/// JSONPath selectors of a tier (`include` / `exclude` in `tierkey.toml`),
/// each with the query as written.
#[derive(Debug, Clone, Default)]
pub struct Selectors {
    pub include: Vec<(String, JpQuery)>,
    pub exclude: Vec<(String, JpQuery)>,
}

/// A tier: a name for messages, the tag pairs that mark its resources and
/// keys (at least one), and its own options.
#[derive(Debug, Clone)]
pub struct Tier {
    pub name: String,
    pub pairs: Vec<TagPair>,
    pub ignore_case: bool,
    /// The severity of its `missing-tier-key` findings.
    pub severity: Severity,
    /// S11 option: regions that must hold a tier key whatever the resources.
    pub required_regions: Vec<String>,
    /// S12 option: ARNs of tier keys created outside the configuration; each
    /// counts in its ARN's region.
    pub external_keys: Vec<String>,
    /// JSONPath selectors that add resources to the tier or remove them.
    pub selectors: Selectors,
    /// S14, "in use": the severity of its `tier-key-not-used` findings, or
    /// `None` when the rule is off for the tier.
    pub in_use: Option<Severity>,
}

/// Whether a tag map marks a member of the tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Membership {
    Member,
    /// Some tag that could decide it is unknown until apply.
    Unknown,
    /// Not a member, but a tag differs from a tier pair only in case.
    CaseMismatch(String),
    NotMember,
}

impl Tier {
    /// A tier with default options.
    pub fn new(name: impl Into<String>, pairs: Vec<TagPair>) -> Self {
        Tier {
            name: name.into(),
            pairs,
            ignore_case: false,
            severity: Severity::Error,
            required_regions: Vec::new(),
            external_keys: Vec::new(),
            selectors: Selectors::default(),
            in_use: Some(Severity::Error),
        }
    }

    /// `tags.tier = "database"`: how a help text names the first pair.
    pub(crate) fn wanted(&self) -> String {
        let Some(pair) = self.pairs.first() else {
            return "the tier tag".into();
        };
        let key = if is_identifier(&pair.key) {
            format!("tags.{}", pair.key)
        } else {
            format!("tags[{:?}]", pair.key)
        };
        match &pair.value {
            TagValue::Exact(v) => format!("{key} = {v:?}"),
            TagValue::Regex(r) => format!("{key} matching /{}/", pattern(r)),
        }
    }

    /// Every pair as `key=value`, for messages.
    pub fn describe(&self) -> String {
        self.pairs
            .iter()
            .map(|p| format!("{}={}", p.key, p.value.display()))
            .collect::<Vec<_>>()
            .join(" or ")
    }

    fn key_eq(&self, a: &str, b: &str) -> bool {
        if self.ignore_case {
            a.eq_ignore_ascii_case(b) || a.to_lowercase() == b.to_lowercase()
        } else {
            a == b
        }
    }

    fn value_eq(&self, value: &TagValue, actual: &str) -> bool {
        match value {
            TagValue::Exact(v) if self.ignore_case => v.to_lowercase() == actual.to_lowercase(),
            TagValue::Exact(v) => v == actual,
            TagValue::Regex(r) => r.is_match(actual),
        }
    }

    fn value_eq_ignoring_case(value: &TagValue, actual: &str) -> bool {
        match value {
            TagValue::Exact(v) => v.to_lowercase() == actual.to_lowercase(),
            TagValue::Regex(r) => {
                Regex::new(&format!("(?i){}", r.as_str())).is_ok_and(|r| r.is_match(actual))
            }
        }
    }

    /// S2: exact comparison (or case-insensitive with `ignore_case`); any
    /// pair is enough. S3: unknown tags make membership unknown unless a
    /// known tag already decides it.
    pub(crate) fn membership(&self, tags: &Tags<'_>) -> Membership {
        let mut near_miss = None;
        for pair in &self.pairs {
            for (k, v) in &tags.known {
                if self.key_eq(&pair.key, k) {
                    if self.value_eq(&pair.value, v) {
                        return Membership::Member;
                    }
                } else if !pair.key.eq_ignore_ascii_case(k) {
                    continue;
                }
                if near_miss.is_none() && Self::value_eq_ignoring_case(&pair.value, v) {
                    near_miss = Some(format!("{k}={v}"));
                }
            }
        }
        let unknown = match &tags.unknown {
            TagsUnknown::None => false,
            TagsUnknown::All(_) => true,
            TagsUnknown::Keys(keys) => self
                .pairs
                .iter()
                .any(|p| keys.iter().any(|k| self.key_eq(&p.key, k))),
        };
        if unknown {
            Membership::Unknown
        } else if let Some(tag) = near_miss {
            Membership::CaseMismatch(tag)
        } else {
            Membership::NotMember
        }
    }

    /// What the tier's selectors say about a resource: `Some(false)` when an
    /// exclude selector matches, `Some(true)` when an include one does.
    /// `values` gives the resource's attributes as JSON (asked only when
    /// the tier has selectors).
    pub(crate) fn selects(
        &self,
        rtype: &str,
        address: &str,
        values: impl FnOnce() -> Result<serde_json::Value, String>,
    ) -> Result<Option<bool>, String> {
        let selectors = &self.selectors;
        if selectors.include.is_empty() && selectors.exclude.is_empty() {
            return Ok(None);
        }
        let doc = serde_json::Value::Array(vec![serde_json::json!({
            "type": rtype,
            "address": address,
            "values": values()?,
        })]);
        let matches = |list: &[(String, JpQuery)]| {
            list.iter().any(|(_, query)| {
                jsonpath_rust::query::js_path_process(query, &doc)
                    .is_ok_and(|found| !found.is_empty())
            })
        };
        Ok(if matches(&selectors.exclude) {
            Some(false)
        } else if matches(&selectors.include) {
            Some(true)
        } else {
            None
        })
    }

    /// Whether `ignore_tags` keys or prefixes hide any tier key.
    pub(crate) fn hidden_by(&self, ignore: &IgnoreTags) -> Option<String> {
        self.pairs.iter().find_map(|p| {
            if ignore.keys.iter().any(|k| self.key_eq(k, &p.key)) {
                Some(format!("ignore_tags.keys contains {:?}", p.key))
            } else {
                ignore
                    .key_prefixes
                    .iter()
                    .find(|pre| p.key.starts_with(pre.as_str()))
                    .map(|pre| format!("ignore_tags.key_prefixes contains {pre:?}"))
            }
        })
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// How many letters a seen key or value may differ by to be close.
const MAX_DISTANCE: usize = 2;

/// The tag keys the rules read for these tiers: each pair's key, in any
/// case, and keys close to it (rule S18). Tags under other keys cannot
/// change a result, so a plan's reader drops them.
impl TagKeys for Vec<Tier> {
    fn reads(&self, key: &str) -> bool {
        // `near` already covers every case-insensitive comparison the rules
        // make (it trims, and lowercases beyond ASCII), without allocating
        // for ASCII keys: this runs for every tag of every instance.
        self.iter()
            .flat_map(|t| &t.pairs)
            .any(|pair| key == pair.key || near(key, &pair.key))
    }

    fn reads_every_resource(&self) -> bool {
        self.iter()
            .any(|t| !t.selectors.include.is_empty() || !t.selectors.exclude.is_empty())
    }
}

/// Whether two strings differ only in case, surrounding spaces, or by at
/// most [`MAX_DISTANCE`] letters (and are not both very short).
pub(crate) fn near(a: &str, b: &str) -> bool {
    if a == b {
        return false;
    }
    let (ta, tb) = (a.trim(), b.trim());
    if ta.is_ascii() && tb.is_ascii() {
        // The same test without allocating: tag keys are compared with the
        // tier key for every tag of every resource.
        return ta.eq_ignore_ascii_case(tb)
            || (ta.len().min(tb.len()) > MAX_DISTANCE
                && ascii_distance(ta.as_bytes(), tb.as_bytes()) <= MAX_DISTANCE);
    }
    if ta.eq_ignore_ascii_case(tb) || ta.to_lowercase() == tb.to_lowercase() {
        return true;
    }
    let shorter = ta.chars().count().min(tb.chars().count());
    shorter > MAX_DISTANCE && distance(&ta.to_lowercase(), &tb.to_lowercase()) <= MAX_DISTANCE
}

/// The longest string compared letter by letter: longer ones are never
/// typos of a tag.
const LONGEST: usize = 128;

/// Levenshtein distance, in characters; gives up (a large number) on long
/// strings.
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    levenshtein(&a, &b, |x, y| x == y)
}

/// [`distance`] of ASCII strings, ignoring case.
fn ascii_distance(a: &[u8], b: &[u8]) -> usize {
    levenshtein(a, b, |x: &u8, y: &u8| x.eq_ignore_ascii_case(y))
}

fn levenshtein<T>(a: &[T], b: &[T], same: impl Fn(&T, &T) -> bool) -> usize {
    if a.len() > LONGEST || b.len() > LONGEST || a.len().abs_diff(b.len()) > MAX_DISTANCE {
        return usize::MAX;
    }
    let mut row = [0usize; LONGEST + 1];
    for (j, cell) in row.iter_mut().enumerate().take(b.len() + 1) {
        *cell = j;
    }
    for (i, ca) in a.iter().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let old = row[j + 1];
            row[j + 1] = (old + 1)
                .min(row[j] + 1)
                .min(previous + usize::from(!same(ca, cb)));
            previous = old;
        }
    }
    row[b.len()]
}

/// `tier=database`, the tier most tests check.
#[cfg(test)]
pub(crate) fn database_tier() -> Vec<Tier> {
    let tier = TagPair {
        key: "tier".into(),
        value: TagValue::Exact("database".into()),
    };
    vec![Tier::new("database", vec![tier])]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_strings() {
        assert!(near("databse", "database"));
        assert!(near("Database", "database"));
        assert!(near("tier ", "tier"));
        assert!(!near("db", "database"));
        assert!(!near("web", "app"));
        assert!(!near("database", "database"));
        assert!(near("Ünïcode", "ünïcode"));
        assert!(near("tïer", "tier"));
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("a", "abcd"), usize::MAX);
        assert_eq!(distance("tier", "tire"), 2);
        assert_eq!(ascii_distance(b"Tier", b"tire"), 2);
        assert_eq!(ascii_distance(b"kitten", b"sitting"), 3);
    }

    /// A plan's reader keeps the tags the rules read: the tier keys in
    /// any case and keys close to them (S18), and nothing else.
    #[test]
    fn the_tag_keys_read_are_the_tier_keys_and_keys_close_to_them() {
        let tiers = vec![
            tier(&[("tier", "database")], false),
            tier(&[("Layer", "data")], false),
        ];
        for key in [
            "tier", "Tier", "TIER", "teir", "tier ", "tiers", "layer", "Layer",
        ] {
            assert!(tiers.reads(key), "{key}");
        }
        for key in ["Name", "Owner", "CostCenter", "environment", "ti", "t"] {
            assert!(!tiers.reads(key), "{key}");
        }
    }

    fn tier(pairs: &[(&str, &str)], ignore_case: bool) -> Tier {
        let mut tier = Tier::new(
            "database",
            pairs
                .iter()
                .map(|(k, v)| TagPair {
                    key: (*k).into(),
                    value: TagValue::Exact((*v).into()),
                })
                .collect(),
        );
        tier.ignore_case = ignore_case;
        tier
    }

    fn tags(pairs: &[(&'static str, &'static str)]) -> Tags<'static> {
        Tags::of(pairs)
    }

    #[test]
    fn exact_match_is_case_sensitive_and_any_pair_counts() {
        let t = tier(&[("tier", "database"), ("layer", "db")], false);
        assert_eq!(t.membership(&tags(&[("layer", "db")])), Membership::Member);
        assert_eq!(
            t.membership(&tags(&[("Tier", "database")])),
            Membership::CaseMismatch("Tier=database".into())
        );
        assert_eq!(
            t.membership(&tags(&[("tier", "Database")])),
            Membership::CaseMismatch("tier=Database".into())
        );
        assert_eq!(
            t.membership(&tags(&[("tier", "web")])),
            Membership::NotMember
        );
        assert_eq!(
            t.membership(&tags(&[("tier", " database")])),
            Membership::NotMember
        );
    }

    #[test]
    fn empty_value_matches_only_empty() {
        let t = tier(&[("tier", "")], false);
        assert_eq!(t.membership(&tags(&[("tier", "")])), Membership::Member);
        assert_eq!(t.membership(&tags(&[("tier", "x")])), Membership::NotMember);
    }

    #[test]
    fn ignore_case_matches_both() {
        let t = tier(&[("tier", "database")], true);
        assert_eq!(
            t.membership(&tags(&[("TIER", "DataBase")])),
            Membership::Member
        );
    }

    #[test]
    fn regex_values_are_anchored() {
        let t = Tier::new(
            "database",
            vec![TagPair {
                key: "tier".into(),
                value: TagValue::Regex(tag_regex("db|database", false).unwrap()),
            }],
        );
        assert_eq!(t.membership(&tags(&[("tier", "db")])), Membership::Member);
        assert_eq!(
            t.membership(&tags(&[("tier", "dbx")])),
            Membership::NotMember
        );
    }

    #[test]
    fn unknown_keys_decide_only_when_known_tags_do_not() {
        let t = tier(&[("tier", "database")], false);
        let mut partly = tags(&[("tier", "database")]);
        partly.unknown = TagsUnknown::All("x".into());
        assert_eq!(t.membership(&partly), Membership::Member);
        let mut other = tags(&[("Name", "x")]);
        other.unknown = TagsUnknown::Keys(vec!["Owner".into()]);
        assert_eq!(t.membership(&other), Membership::NotMember);
        other.unknown = TagsUnknown::Keys(vec!["tier".into()]);
        assert_eq!(t.membership(&other), Membership::Unknown);
    }

    #[test]
    fn a_tier_without_pairs_never_panics() {
        let t = Tier::new("database", Vec::new());
        assert_eq!(t.wanted(), "the tier tag");
        assert_eq!(t.membership(&tags(&[("tier", "x")])), Membership::NotMember);
    }
}
