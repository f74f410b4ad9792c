//! The input-independent model the rule reads: resources with their
//! effective region and effective tags, whatever file they came from.
//!
//! Parsers (`plan` today, JSON configuration later) build an [`Inventory`];
//! the rule (`check`) never sees a parser's types. This module also owns the
//! facts about AWS that do not depend on the input format: which resource
//! types are KMS keys or global, how a tier's tag pairs match a tag map
//! ([`Tier::membership`]), and how instances that share a provider
//! configuration share a region ([`Inventory::settle_regions`]).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use regex::Regex;

use crate::finding::{Code, Severity};
use crate::source::{FileId, Span};
use serde_json::value::RawValue;

/// One tier tag pair: `KEY=VALUE` or `KEY` matched against a regex.
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

/// A tier: a name for messages, the tag pairs that mark its resources and
/// keys, and its own options.
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
    pub selectors: crate::config::Selectors,
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
            selectors: crate::config::Selectors::default(),
        }
    }
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
    /// `tags.tier = "database"`: how the help text names the first pair.
    pub(crate) fn wanted(&self) -> String {
        let pair = &self.pairs[0];
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
    pub(crate) fn describe(&self) -> String {
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
            TagValue::Regex(r) => Regex::new(&format!("(?i){}", r.as_str()))
                .map(|r| r.is_match(actual))
                .unwrap_or(false),
        }
    }

    /// S2: exact comparison (or case-insensitive with `ignore_case`); any
    /// pair is enough. Unknown tags make membership unknown unless a known
    /// tag already decides it.
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
    pub(crate) fn selects(&self, inventory: &Inventory<'_>, r: &Resource<'_>) -> Option<bool> {
        let selectors = &self.selectors;
        if selectors.include.is_empty() && selectors.exclude.is_empty() {
            return None;
        }
        let doc = serde_json::Value::Array(vec![serde_json::json!({
            "type": r.rtype,
            "address": r.address,
            "values": inventory.values(r),
        })]);
        let matches = |list: &[(String, jsonpath_rust::parser::model::JpQuery)]| {
            list.iter().any(|(_, query)| {
                jsonpath_rust::query::js_path_process(query, &doc)
                    .is_ok_and(|found| !found.is_empty())
            })
        };
        if matches(&selectors.exclude) {
            Some(false)
        } else if matches(&selectors.include) {
            Some(true)
        } else {
            None
        }
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

/// Effective tags of one instance (S3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Tags<'a> {
    pub known: BTreeMap<Cow<'a, str>, Cow<'a, str>>,
    pub unknown: TagsUnknown,
}

/// Which part of a tag map is unknown until apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum TagsUnknown {
    #[default]
    None,
    /// These keys' values are unknown.
    Keys(Vec<String>),
    /// Any key may appear; the text says why.
    All(String),
}

impl Tags<'static> {
    /// Tags from an evaluated map expression; `what` names it in the reason
    /// when it cannot be known ("its tags", "the default_tags of ...").
    pub(crate) fn from_json(value: Result<serde_json::Value, String>, what: &str) -> Self {
        match value {
            Ok(serde_json::Value::Object(map)) => Tags {
                known: map
                    .into_iter()
                    .filter_map(|(k, v)| {
                        v.as_str()
                            .map(|v| (Cow::Owned(k), Cow::Owned(v.to_string())))
                    })
                    .collect(),
                unknown: TagsUnknown::None,
            },
            Ok(serde_json::Value::Null) => Tags::default(),
            Ok(other) => Tags {
                known: BTreeMap::new(),
                unknown: TagsUnknown::All(format!("{what} are not a map: {other}")),
            },
            Err(why) => Tags {
                known: BTreeMap::new(),
                unknown: TagsUnknown::All(format!("{what} are unknown: {why}")),
            },
        }
    }
}

impl<'a> Tags<'a> {
    /// S3 merge: provider default tags under the resource's own tags, minus
    /// ignored keys.
    pub(crate) fn merged(defaults: Tags<'a>, own: Tags<'a>, ignore: &IgnoreTags) -> Tags<'a> {
        let mut known = defaults.known;
        known.extend(own.known);
        known.retain(|k, _| !ignore.hides(k));
        let unknown = match (defaults.unknown, own.unknown) {
            (TagsUnknown::All(why), _) | (_, TagsUnknown::All(why)) => TagsUnknown::All(why),
            (TagsUnknown::Keys(mut a), TagsUnknown::Keys(b)) => {
                a.extend(b);
                TagsUnknown::Keys(a)
            }
            (TagsUnknown::Keys(a), TagsUnknown::None)
            | (TagsUnknown::None, TagsUnknown::Keys(a)) => TagsUnknown::Keys(a),
            (TagsUnknown::None, TagsUnknown::None) => TagsUnknown::None,
        };
        Tags { known, unknown }
    }
}

/// A provider configuration's `ignore_tags` block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IgnoreTags {
    pub keys: Vec<String>,
    pub key_prefixes: Vec<String>,
}

impl IgnoreTags {
    fn hides(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key) || self.key_prefixes.iter().any(|p| key.starts_with(p))
    }
}

/// Where an instance's region came from (S8), for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Region {
    Known {
        name: String,
        how: String,
    },
    /// `group` names the provider configuration when every instance it
    /// serves shares this unknown region (S8's last sentence).
    Unknown {
        group: Option<String>,
        why: String,
    },
}

impl Region {
    pub(crate) fn known(name: impl Into<String>, how: impl Into<String>) -> Self {
        Region::Known {
            name: name.into(),
            how: how.into(),
        }
    }

    pub(crate) fn unknown(group: Option<String>, why: impl Into<String>) -> Self {
        Region::Unknown {
            group,
            why: why.into(),
        }
    }
}

/// How a region was settled before [`Inventory::settle_regions`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RegionSource {
    /// Final: the instance's own `region` attribute or its provider
    /// configuration decided it (known or not).
    Settled,
    /// The region field of the instance's ARN (an existing object).
    Arn,
    /// Not known yet.
    Pending,
}

/// Whether a candidate key can encrypt data at rest (S7b, S7c).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Usability {
    Usable,
    Unusable(String),
    Unknown(String),
}

/// One surviving managed instance (S4).
#[derive(Debug, Clone)]
pub(crate) struct Resource<'a> {
    pub address: Cow<'a, str>,
    pub rtype: Cow<'a, str>,
    /// From the AWS provider (any registry host).
    pub is_aws: bool,
    /// The file holding it.
    pub file: FileId,
    /// Where the instance's JSON object starts; its text keeps every value
    /// reachable.
    pub start: usize,
    /// Where it ends, when known; otherwise [`Inventory::span`] finds it.
    pub end: Option<usize>,
    /// Where its attribute object starts, when that is not inside the
    /// object at `start` (a JSON configuration block's body).
    pub body: Option<usize>,
    /// The address token inside it.
    pub focus: Range<usize>,
    pub region: Region,
    pub region_source: RegionSource,
    /// The provider configuration serving it, when known: instances with the
    /// same one share a region.
    pub provider_group: Option<String>,
    /// The provider configuration's object and key token in the input,
    /// when there is one.
    pub provider_span: Option<(FileId, Range<usize>, Range<usize>)>,
    /// S9: other regions that hold this resource's data.
    pub extra_regions: Vec<Region>,
    pub tags: Tags<'a>,
    /// Only for key types (S7).
    pub usability: Usability,
    /// Where its configuration names KMS data sources (S12).
    pub kms_refs: KmsRefs<'a>,
}

/// A provider configuration whose `ignore_tags` the rule must look at.
#[derive(Debug, Clone)]
pub(crate) struct ProviderNote {
    pub key: String,
    pub file: FileId,
    pub span: Range<usize>,
    pub focus: Range<usize>,
    pub ignore: IgnoreTags,
}

/// Something about the input itself worth a finding (an errored or
/// partial plan, a module that was not checked), whatever the tier.
#[derive(Debug, Clone)]
pub(crate) struct Note {
    pub code: Code,
    pub message: String,
    pub help: String,
    pub span: Span,
    pub focus: Span,
}

/// Everything one input says, in the form the rule reads.
#[derive(Debug, Default)]
pub(crate) struct Inventory<'a> {
    /// The text of every file the input spans point into.
    pub texts: Vec<(FileId, &'a str)>,
    pub resources: Vec<Resource<'a>>,
    pub providers: Vec<ProviderNote>,
    pub notes: Vec<Note>,
    /// The whole document (a plan, or a root module's first file), for
    /// findings with no better place.
    pub document: Option<Span>,
}

impl Inventory<'_> {
    /// The byte range of a resource's object (found on demand: only the
    /// resources a finding names need it).
    /// A resource's attributes as JSON: `change.after` of a plan entry,
    /// `values` of a state entry, `attributes` of a raw state instance, or
    /// the body of a configuration block (for selectors; parsed on demand).
    pub(crate) fn values(&self, r: &Resource<'_>) -> serde_json::Value {
        let Some((_, text)) = self.texts.iter().find(|(id, _)| *id == r.file) else {
            return serde_json::Value::Null;
        };
        let at = r.body.unwrap_or(r.start);
        let range = crate::json::object_span(text, at);
        let mut value: serde_json::Value = serde_json::from_str(&text[range]).unwrap_or_default();
        if r.body.is_some() {
            return value;
        }
        for path in [&["change", "after"][..], &["values"], &["attributes"]] {
            if let Some(found) = path.iter().try_fold(&mut value, |v, k| v.get_mut(*k)) {
                return found.take();
            }
        }
        value
    }

    pub(crate) fn span(&self, r: &Resource<'_>) -> Range<usize> {
        if let Some(end) = r.end {
            return r.start..end;
        }
        match self.texts.iter().find(|(id, _)| *id == r.file) {
            Some((_, text)) => crate::json::object_span(text, r.start),
            None => r.focus.clone(),
        }
    }

    /// S8 steps 3-5 across instances: an instance whose region is still
    /// unknown takes the region that the ARNs of other instances under the
    /// same provider configuration show, then `--default-region`, else it
    /// stays unknown.
    pub(crate) fn settle_regions(&mut self, default_region: Option<&str>) {
        let mut by_group: BTreeMap<String, Option<(String, String)>> = BTreeMap::new();
        for r in &self.resources {
            if let (RegionSource::Arn, Some(group), Region::Known { name, .. }) =
                (&r.region_source, &r.provider_group, &r.region)
            {
                let seen = by_group
                    .entry(group.clone())
                    .or_insert_with(|| Some((name.clone(), r.address.to_string())));
                if seen.as_ref().is_some_and(|(n, _)| n != name) {
                    *seen = None;
                }
            }
        }
        for r in &mut self.resources {
            if r.region_source != RegionSource::Pending {
                continue;
            }
            let shared = r
                .provider_group
                .as_ref()
                .and_then(|g| by_group.get(g))
                .and_then(Option::as_ref);
            if let Some((name, from)) = shared {
                r.region = Region::known(
                    name.clone(),
                    format!(
                        "shares its provider configuration with {from}, whose ARN is in {name}"
                    ),
                );
            } else if let Some(name) = default_region {
                r.region = Region::known(name, "--default-region");
            }
        }
    }
}

/// What an input says about one attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fact<T> {
    Absent,
    Known(T),
    /// Unknown offline; the text completes "its `attr` ..." (e.g. "is
    /// unknown until apply").
    Unknown(String),
}

/// The attributes S7 reads on a candidate key.
#[derive(Debug, Clone)]
pub(crate) struct KeyFacts {
    /// `is_enabled` (aws_kms_key) or `enabled` (the other key types).
    pub enabled: Fact<bool>,
    pub key_usage: Fact<String>,
    /// `customer_master_key_spec` (or `key_spec`).
    pub spec: Fact<String>,
}

/// S7b and S7c: whether a candidate key can protect data at rest.
pub(crate) fn key_usability(rtype: &str, facts: &KeyFacts) -> Usability {
    let field = if rtype == "aws_kms_key" {
        "is_enabled"
    } else {
        "enabled"
    };
    if facts.enabled == Fact::Known(false) {
        return Usability::Unusable(format!("is disabled ({field} = false)"));
    }
    if let Fact::Known(usage) = &facts.key_usage {
        if usage != "ENCRYPT_DECRYPT" {
            return Usability::Unusable(format!("has key_usage = {usage} (not ENCRYPT_DECRYPT)"));
        }
    }
    if let Fact::Known(spec) = &facts.spec {
        if spec != "SYMMETRIC_DEFAULT" {
            return Usability::Unusable(format!("has key spec {spec} (not SYMMETRIC_DEFAULT)"));
        }
    }
    if let Fact::Unknown(why) = &facts.enabled {
        return Usability::Unknown(format!("its `{field}` {why}"));
    }
    // Computed on replicas and external keys; an argument only on aws_kms_key.
    if rtype == "aws_kms_key" {
        for (attr, fact) in [
            ("key_usage", &facts.key_usage),
            ("customer_master_key_spec", &facts.spec),
        ] {
            if let Fact::Unknown(why) = fact {
                return Usability::Unknown(format!("its `{attr}` {why}"));
            }
        }
    }
    Usability::Usable
}

/// The attributes S9 reads: where else a resource's data lands.
#[derive(Debug, Clone, Default)]
pub(crate) struct DataRegions {
    /// `replica[*].region_name` of an `aws_dynamodb_table`.
    pub replicas: Vec<Fact<String>>,
    /// The replica list itself is unknown (the text says why).
    pub replicas_unknown: Option<String>,
    /// `destination_region` of a snapshot copy.
    pub destination: Option<Fact<String>>,
}

/// S9: regions other than its own that hold a resource's data.
pub(crate) fn extra_regions(rtype: &str, address: &str, facts: &DataRegions) -> Vec<Region> {
    let region = |fact: &Fact<String>, what: &str| match fact {
        Fact::Known(name) => Some(Region::known(name.clone(), format!("{what} of {address}"))),
        Fact::Unknown(why) => Some(Region::unknown(None, format!("{what} of {address} {why}"))),
        Fact::Absent => None,
    };
    match rtype {
        "aws_dynamodb_table" => {
            let mut out: Vec<Region> = facts
                .replicas
                .iter()
                .filter_map(|f| region(f, "a replica"))
                .collect();
            if let (Some(why), true) = (&facts.replicas_unknown, out.is_empty()) {
                out.push(Region::unknown(
                    None,
                    format!("the replicas of {address} {why}"),
                ));
            }
            out
        }
        "aws_db_snapshot_copy" | "aws_rds_cluster_snapshot_copy" => facts
            .destination
            .as_ref()
            .and_then(|f| region(f, "the destination_region"))
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// S8.2: a provider configuration's region from its evaluated `region`
/// argument (`None` when it has none). On failure: why, and whether every
/// instance it serves still shares the unknown region (not so for OpenTofu
/// provider `for_each` instances).
pub(crate) fn provider_region(
    id: &str,
    region: Option<Result<serde_json::Value, String>>,
    per_instance: bool,
) -> Result<String, (String, bool)> {
    let from_environment = "(it comes from AWS_REGION or a profile at run time)";
    match region {
        None => Err((
            format!("provider configuration `{id}` sets no region {from_environment}"),
            true,
        )),
        Some(Ok(serde_json::Value::String(r))) if !r.is_empty() => Ok(r),
        Some(Ok(serde_json::Value::Null)) => Err((
            format!("provider configuration `{id}` sets region = null {from_environment}"),
            true,
        )),
        Some(Ok(other)) => Err((
            format!("the region of provider configuration `{id}` is not a region name: {other}"),
            true,
        )),
        Some(Err(why)) => Err((
            format!("the region of provider configuration `{id}` is unknown: {why}"),
            !per_instance,
        )),
    }
}

/// S6: the key types.
pub(crate) fn is_key_type(rtype: &str) -> bool {
    matches!(
        rtype,
        "aws_kms_key"
            | "aws_kms_external_key"
            | "aws_kms_replica_key"
            | "aws_kms_replica_external_key"
    )
}

/// S5: global (region-less) services and resources.
pub(crate) fn is_global_type(rtype: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "aws_iam_",
        "aws_organizations_",
        "aws_cloudfront_",
        "aws_shield_",
        "aws_globalaccelerator_",
        "aws_waf_",
        "aws_route53_",
        "aws_route53domains_",
        "aws_route53recoverycontrolconfig_",
        "aws_route53recoveryreadiness_",
        "aws_budgets_",
        "aws_ce_",
        "aws_cur_",
        "aws_account_",
        "aws_networkmanager_",
    ];
    if rtype.starts_with("aws_route53_resolver_") {
        return false;
    }
    PREFIXES.iter().any(|p| rtype.starts_with(p))
        || matches!(rtype, "aws_s3_account_public_access_block")
}

/// S8.1: types whose top-level `region` attribute means something other
/// than the resource's own region (AWS provider v6 guide).
pub(crate) fn region_attribute_is_own(rtype: &str) -> bool {
    !matches!(
        rtype,
        "aws_cloudformation_stack_set_instance"
            | "aws_config_aggregate_authorization"
            | "aws_dx_hosted_connection"
            | "aws_servicequotas_template"
            | "aws_ssmincidents_replication_set"
    ) && !is_global_type(rtype)
}

/// S8.3: the region field of an ARN (`arn:PARTITION:SERVICE:REGION:...`),
/// when it has one.
pub(crate) fn arn_region(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(5, ':');
    if parts.next() != Some("arn") {
        return None;
    }
    let (_partition, _service, region) = (parts.next()?, parts.next()?, parts.next()?);
    parts.next()?;
    (!region.is_empty()).then_some(region)
}

/// S5 and §9 of the format notes: `hashicorp/aws` from any registry host, or
/// Terraform 0.12's bare `aws` / `aws.alias` provider names.
pub(crate) fn is_aws_provider(provider_name: &str) -> bool {
    provider_name == "aws"
        || provider_name.starts_with("aws.")
        || provider_name == "hashicorp/aws"
        || provider_name.ends_with("/hashicorp/aws")
}

/// S12: where a resource's configuration may name KMS data sources.
#[derive(Debug, Clone, Default)]
pub(crate) enum KmsRefs<'a> {
    #[default]
    None,
    /// A plan's configuration expressions, searched only when needed.
    PlanExpressions(&'a RawValue),
    /// Already found (JSON configuration).
    Found(Vec<String>),
}

impl KmsRefs<'_> {
    /// `data.aws_kms_key.NAME` / `data.aws_kms_alias.NAME` references.
    pub(crate) fn list(&self) -> Vec<String> {
        match self {
            KmsRefs::None => Vec::new(),
            KmsRefs::PlanExpressions(raw) => kms_data_references(raw),
            KmsRefs::Found(refs) => refs.clone(),
        }
    }
}

/// The KMS data source a reference names: `data.aws_kms_key.db.arn` →
/// `data.aws_kms_key.db`.
pub(crate) fn kms_data_source(reference: &str) -> Option<String> {
    let parts: Vec<&str> = reference.splitn(4, '.').collect();
    match parts[..] {
        ["data", rtype @ ("aws_kms_key" | "aws_kms_alias"), name, ..] => {
            let name = name.split(['[', ')', ',', ' ', '}']).next().unwrap_or(name);
            Some(format!("data.{rtype}.{name}"))
        }
        _ => None,
    }
}

/// S12: references to KMS data sources anywhere in a plan resource's
/// configuration expressions (e.g. `kms_key_id = data.aws_kms_key.db.arn`).
fn kms_data_references(config: &RawValue) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    if k == "references" {
                        for r in v
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|r| r.as_str())
                        {
                            if let Some(short) = kms_data_source(r) {
                                if !out.contains(&short) {
                                    out.push(short);
                                }
                            }
                        }
                    } else {
                        walk(v, out);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(config.get()) {
        walk(&value, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
        Tags {
            known: pairs
                .iter()
                .map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v)))
                .collect(),
            unknown: TagsUnknown::None,
        }
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
                value: TagValue::Regex(Regex::new("^(?:db|database)$").unwrap()),
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
    fn merge_lets_resource_tags_win_and_drops_ignored() {
        let ignore = IgnoreTags {
            keys: vec!["drop".into()],
            key_prefixes: vec!["kubernetes.io/".into()],
        };
        let merged = Tags::merged(
            tags(&[
                ("tier", "web"),
                ("drop", "x"),
                ("kubernetes.io/a", "b"),
                ("env", "p"),
            ]),
            tags(&[("tier", "database")]),
            &ignore,
        );
        assert_eq!(merged, tags(&[("env", "p"), ("tier", "database")]));
    }

    #[test]
    fn arn_regions() {
        assert_eq!(
            arn_region("arn:aws:rds:eu-west-1:123:db:x"),
            Some("eu-west-1")
        );
        assert_eq!(arn_region("arn:aws:iam::123:role/x"), None);
        assert_eq!(
            arn_region("arn:aws-cn:kms:cn-north-1:1:key/k"),
            Some("cn-north-1")
        );
        assert_eq!(arn_region("not-an-arn"), None);
        assert_eq!(arn_region("arn:aws:s3"), None);
    }

    #[test]
    fn aws_provider_names() {
        assert!(is_aws_provider("registry.terraform.io/hashicorp/aws"));
        assert!(is_aws_provider("registry.opentofu.org/hashicorp/aws"));
        assert!(is_aws_provider("aws"));
        assert!(is_aws_provider("aws.west"));
        assert!(!is_aws_provider("registry.terraform.io/hashicorp/awscc"));
        assert!(!is_aws_provider("registry.terraform.io/someone/aws-fork"));
    }

    #[test]
    fn global_types() {
        assert!(is_global_type("aws_iam_role"));
        assert!(is_global_type("aws_route53_zone"));
        assert!(!is_global_type("aws_route53_resolver_endpoint"));
        assert!(!is_global_type("aws_db_instance"));
    }
}
