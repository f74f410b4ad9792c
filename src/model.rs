//! The input-independent model the rules read: resources with their
//! effective region and effective tags, whatever file they came from.
//!
//! Readers (the plan reader, the configuration evaluator) evaluate values
//! and hand them over: each provider configuration as [`ProviderSettings`],
//! each surviving managed instance as an [`Instance`] whose attributes are
//! read through [`Attributes`]. This module alone decides, once for every
//! input, an instance's region (rule S8: own `region` → provider
//! configuration → ARN → shared provider → `--default-region`, see
//! [`Inventory::settle_regions`]), its effective tags (S3) and, through
//! [`crate::aws`], its key usability (S7) and extra regions (S9). The rules
//! never see a reader's types.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use serde_json::value::RawValue;

use crate::aws::{self, Usability};
use crate::finding::Code;
use crate::source::{FileId, Span};
use crate::value::{Attributes, Value};

/// Where something is written in an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Site {
    pub file: FileId,
    /// Where the object or block starts.
    pub start: usize,
    /// Where it ends, when known; the end of a JSON object in a large plan
    /// is found only when a report needs it ([`Inventory::span`]).
    pub end: Option<usize>,
    /// What a human report underlines: the address token, the block name.
    pub focus: Range<usize>,
}

impl Site {
    /// A site whose whole span is known.
    pub(crate) fn exact(file: FileId, span: Range<usize>, focus: Range<usize>) -> Self {
        Site {
            file,
            start: span.start,
            end: Some(span.end),
            focus,
        }
    }
}

/// A module call on the way from the root to a resource's module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    pub site: Site,
    /// `module.db["a"]`: the module instance the call makes.
    pub instance: String,
}

/// How an instance's region was decided (S8), for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Basis {
    /// Its own `region` argument (AWS provider v6).
    OwnArgument,
    /// The provider configuration serving it.
    Provider { key: Arc<str> },
    /// Every provider configuration its module could use (plans before
    /// Terraform 1.2) is in the same region.
    Candidates { keys: Vec<String> },
    /// The region field of its ARN (an existing object).
    Arn,
    /// Another instance under the same provider configuration shows the
    /// region in its ARN.
    SharedProvider { with: String },
    /// `--default-region`.
    Default,
    /// S9: another resource puts its data here ("a replica of X").
    Extra { what: &'static str, of: String },
    /// S16: the plan does not record it, and the configuration the plan was
    /// made from, evaluated, gives it this way.
    Source(Box<Basis>),
}

impl Basis {
    /// The basis itself, whether or not the configuration supplied it.
    fn own(&self) -> &Basis {
        match self {
            Basis::Source(inner) => inner.own(),
            other => other,
        }
    }

    fn explain(&self, name: &str) -> String {
        match self {
            Basis::OwnArgument => "its `region` argument".into(),
            Basis::Provider { key } => format!("provider configuration `{key}`"),
            Basis::Candidates { keys } => format!(
                "the provider configurations its module could use ({}), all in {name}",
                keys.iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Basis::Arn => "its ARN".into(),
            Basis::SharedProvider { with } => {
                format!("shares its provider configuration with {with}, whose ARN is in {name}")
            }
            Basis::Default => "--default-region".into(),
            Basis::Extra { what, of } => format!("{what} of {of}"),
            Basis::Source(inner) => {
                format!("{} (evaluated in the configuration)", inner.explain(name))
            }
        }
    }
}

/// An instance's region (S8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Region {
    /// `name` is shared by the instances of a provider configuration, as
    /// is `group` (a plan may hold a million instances).
    Known { name: Arc<str>, basis: Basis },
    /// `group` names the provider configuration when every instance it
    /// serves shares this unknown region (S8's last sentence).
    Unknown {
        group: Option<Arc<str>>,
        why: String,
    },
}

impl Region {
    /// How a known region was decided, as a phrase ("provider configuration
    /// `aws.west`"); why an unknown one is unknown.
    pub(crate) fn explain(&self) -> String {
        match self {
            Region::Known { name, basis } => basis.explain(name),
            Region::Unknown { why, .. } => why.clone(),
        }
    }

    /// Whether the instance's own `region` argument decided it.
    pub(crate) fn is_own_argument(&self) -> bool {
        matches!(self, Region::Known { basis, .. } if *basis.own() == Basis::OwnArgument)
    }

    /// Whether its provider configuration decided it (and so is worth
    /// pointing at).
    pub(crate) fn is_from_provider(&self) -> bool {
        matches!(self, Region::Known { basis, .. } if matches!(basis.own(), Basis::Provider { .. }))
    }
}

/// Whether an instance's region is final before [`Inventory::settle_regions`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settled {
    /// Its own `region` or its provider configuration decided it.
    Yes,
    /// Its ARN decided it (other instances of its provider may share it).
    ByArn,
    /// Not known yet.
    No,
}

/// Effective tags of one instance (S3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Tags<'a> {
    pub known: TagMap<'a>,
    pub unknown: TagsUnknown,
}

/// Known tags, sorted by key: a small vector rather than a tree, since most
/// resources carry a handful of tags and a plan may hold a million of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TagMap<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

/// Which tag keys the rules read; implemented by the run's tiers.
pub(crate) trait TagKeys: Sync {
    fn reads(&self, key: &str) -> bool;

    /// Whether the rules may read any resource whatever its tags (the
    /// JSONPath selectors of `tierkey.toml` do): then no resource is inert
    /// ([`Resource::is_inert`]).
    fn reads_every_resource(&self) -> bool {
        false
    }
}

type TagRef<'b, 'a> = (&'b Cow<'a, str>, &'b Cow<'a, str>);

impl<'a> TagMap<'a> {
    /// Sets a tag, replacing the value of a key already present.
    pub(crate) fn insert(&mut self, key: Cow<'a, str>, value: Cow<'a, str>) {
        match self.0.binary_search_by(|(k, _)| k.as_ref().cmp(&key)) {
            Ok(at) => self.0[at].1 = value,
            Err(at) => self.0.insert(at, (key, value)),
        }
    }

    #[cfg(test)]
    pub(crate) fn get(&self, key: &str) -> Option<&Cow<'a, str>> {
        let at = self.0.binary_search_by(|(k, _)| k.as_ref().cmp(key)).ok()?;
        Some(&self.0[at].1)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Drops the tags under keys the rules do not read, and the room they
    /// took.
    pub(crate) fn keep_read(&mut self, keys: &dyn TagKeys) {
        self.0.retain(|(k, _)| keys.reads(k));
        self.0.shrink_to_fit();
    }

    /// The tags of `other` over these, in one sort of both (inserting one
    /// by one would move the vector's tail for each tag).
    pub(crate) fn extend(&mut self, other: TagMap<'a>) {
        if self.0.is_empty() {
            *self = other;
            return;
        }
        let mut both = other.0;
        both.append(&mut self.0);
        // A stable sort keeps `other`'s tag first among equal keys, and
        // `dedup_by` keeps the first.
        both.sort_by(|(a, _), (b, _)| a.cmp(b));
        both.dedup_by(|(later, _), (first, _)| later == first);
        self.0 = both;
    }
}

/// In key order.
impl<'b, 'a> IntoIterator for &'b TagMap<'a> {
    type Item = TagRef<'b, 'a>;
    type IntoIter = std::iter::Map<
        std::slice::Iter<'b, (Cow<'a, str>, Cow<'a, str>)>,
        fn(&'b (Cow<'a, str>, Cow<'a, str>)) -> TagRef<'b, 'a>,
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<'a> FromIterator<(Cow<'a, str>, Cow<'a, str>)> for TagMap<'a> {
    /// A later pair replaces an earlier one of the same key, as
    /// [`TagMap::insert`] does; one sort, however the pairs are ordered.
    fn from_iter<I: IntoIterator<Item = (Cow<'a, str>, Cow<'a, str>)>>(pairs: I) -> Self {
        let mut pairs: Vec<_> = pairs.into_iter().collect();
        // Latest first; a stable sort keeps it first among equal keys, and
        // `dedup_by` keeps the first.
        pairs.reverse();
        pairs.sort_by(|(a, _), (b, _)| a.cmp(b));
        pairs.dedup_by(|(later, _), (first, _)| later == first);
        TagMap(pairs)
    }
}

/// Which part of a tag map is unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum TagsUnknown {
    #[default]
    None,
    /// These keys' values are unknown.
    Keys(Vec<String>),
    /// Any key may appear; the text says why.
    All(String),
}

impl<'a> Tags<'a> {
    /// Tags from a value; `what` names the map in the reason when it cannot
    /// be known ("its tags", "the `default_tags` of ..."). Entries whose value
    /// is not a string are not tags.
    pub(crate) fn from_value(value: Option<Value<'a>>, what: &str) -> Self {
        match value {
            None | Some(Value::Null) => Tags::default(),
            Some(Value::Map(map)) => Tags::of_entries(map),
            Some(Value::Partial(map, u)) => {
                let mut tags = Tags::of_entries(map);
                tags.unknown = TagsUnknown::All(format!("{what} are partly unknown{}", u.suffix()));
                tags
            }
            Some(Value::Unknown(u)) => Tags {
                known: TagMap::default(),
                unknown: TagsUnknown::All(format!("{what} are unknown{}", u.suffix())),
            },
            Some(other) => Tags {
                known: TagMap::default(),
                unknown: TagsUnknown::All(format!("{what} are not a map: {other}")),
            },
        }
    }

    /// The string entries of a map as known tags, its unknown entries as
    /// unknown keys.
    fn of_entries(map: BTreeMap<Cow<'a, str>, Value<'a>>) -> Self {
        let mut tags = Tags::default();
        let mut unknown = Vec::new();
        tags.known.0.reserve_exact(map.len());
        for (k, v) in map {
            match v {
                Value::String(v) => {
                    tags.known.insert(k, v);
                }
                Value::Unknown(_) => unknown.push(k.into_owned()),
                _ => {}
            }
        }
        if !unknown.is_empty() {
            tags.unknown = TagsUnknown::Keys(unknown);
        }
        tags
    }

    /// S3 merge: provider default tags under the resource's own tags, minus
    /// ignored keys.
    pub(crate) fn merged(defaults: Tags<'a>, own: Tags<'a>, ignore: &IgnoreTags) -> Tags<'a> {
        let mut known = defaults.known;
        known.extend(own.known);
        known.0.retain(|(k, _)| !ignore.hides(k));
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

    /// Known tags from pairs (tests).
    #[cfg(test)]
    pub(crate) fn of(pairs: &[(&'a str, &'a str)]) -> Self {
        Tags {
            known: pairs
                .iter()
                .map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v)))
                .collect(),
            unknown: TagsUnknown::None,
        }
    }

    /// Why the tags are (partly) unknown, for messages.
    pub(crate) fn unknown_why(&self) -> String {
        match &self.unknown {
            TagsUnknown::All(why) => why.clone(),
            TagsUnknown::Keys(keys) => format!("tag {} is unknown until apply", keys.join(", ")),
            TagsUnknown::None => "its tags are unknown".into(),
        }
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

/// One provider configuration, as evaluated by a reader (S3, S8.2).
#[derive(Debug, Clone)]
pub(crate) struct ProviderSettings {
    /// How messages name it: `aws.west`, `module.db:aws`.
    pub key: Arc<str>,
    pub is_aws: bool,
    /// The region, or why it is unknown and whether every instance it
    /// serves still shares that unknown region.
    pub region: Result<Arc<str>, (String, bool)>,
    pub default_tags: Tags<'static>,
    pub ignore_tags: IgnoreTags,
    /// Its block or object in the input, when it has one.
    pub site: Option<Site>,
    /// Where its `region` argument is written (configurations): in another
    /// file than the block when an override file sets it.
    pub region_site: Option<Site>,
}

/// The evaluated arguments of a provider configuration, as a reader hands
/// them over.
pub(crate) struct ProviderArguments<'v> {
    pub region: Option<Value<'v>>,
    /// OpenTofu provider `for_each`: each instance has its own region.
    pub iterated: bool,
    /// `default_tags { tags = ... }`.
    pub default_tags: Option<Value<'v>>,
    /// `ignore_tags { keys = [...] }`.
    pub ignore_keys: Option<Value<'v>>,
    /// `ignore_tags { key_prefixes = [...] }`.
    pub ignore_key_prefixes: Option<Value<'v>>,
}

impl ProviderSettings {
    pub(crate) fn new(
        key: String,
        is_aws: bool,
        arguments: ProviderArguments<'_>,
        site: Option<Site>,
    ) -> Self {
        let default_tags = Tags::from_value(
            arguments.default_tags,
            &format!("the default_tags of provider configuration `{key}`"),
        )
        .into_owned();
        let strings = |v: Option<Value<'_>>| -> Vec<String> {
            match v {
                Some(Value::List(items)) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            }
        };
        ProviderSettings {
            region: provider_region(&key, arguments.region, arguments.iterated),
            default_tags,
            ignore_tags: IgnoreTags {
                keys: strings(arguments.ignore_keys),
                key_prefixes: strings(arguments.ignore_key_prefixes),
            },
            key: key.into(),
            is_aws,
            site,
            region_site: None,
        }
    }
}

impl Tags<'_> {
    fn into_owned(self) -> Tags<'static> {
        Tags {
            known: self
                .known
                .0
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                .collect(),
            unknown: self.unknown,
        }
    }
}

/// S8.2: a provider configuration's region from its evaluated `region`
/// argument. On failure: why, and whether every instance it serves still
/// shares the unknown region (not so for OpenTofu provider `for_each`
/// instances).
fn provider_region(
    key: &str,
    region: Option<Value<'_>>,
    iterated: bool,
) -> Result<Arc<str>, (String, bool)> {
    let from_environment = "(it comes from AWS_REGION or a profile at run time)";
    match region {
        None => Err((
            format!("provider configuration `{key}` sets no region {from_environment}"),
            true,
        )),
        Some(Value::String(r)) if !r.is_empty() => Ok(r.as_ref().into()),
        Some(Value::Null) => Err((
            format!("provider configuration `{key}` sets region = null {from_environment}"),
            true,
        )),
        Some(Value::Unknown(u)) => Err((
            format!(
                "the region of provider configuration `{key}` is unknown{}",
                u.suffix()
            ),
            !iterated,
        )),
        Some(other) => Err((
            format!("the region of provider configuration `{key}` is not a region name: {other}"),
            true,
        )),
    }
}

/// S16: where the configuration a plan or state was made from declares one
/// of its resources.
#[derive(Debug, Clone)]
pub(crate) struct Declared {
    /// The `resource` block.
    pub site: Site,
    /// Its `region`, `tags` and KMS key arguments, when written.
    pub region_site: Option<Site>,
    pub tags_site: Option<Site>,
    pub key_site: Option<Site>,
    /// The `provider` block that serves it there, and where that block's
    /// `region` is written.
    pub provider_site: Option<Site>,
    pub provider_region_site: Option<Site>,
}

/// S16: which resources of a plan or state the configuration it was made
/// from does not declare.
#[derive(Debug, Clone)]
pub(crate) enum Unmapped {
    /// No configuration is known for it.
    NoSource,
    /// The directory given declares nothing.
    Empty(std::path::PathBuf),
    /// These addresses are not declared there; `unread` files of it could
    /// not be read.
    Missing {
        dir: std::path::PathBuf,
        addresses: Vec<String>,
        unread: usize,
    },
}

/// Which provider configuration serves an instance.
#[derive(Debug, Clone)]
pub(crate) enum ProviderLink {
    /// This one (an index into [`Inventory::providers`]).
    One(usize),
    /// One of these; plans from Terraform before 1.2 do not say which (why).
    AnyOf(Vec<usize>, String),
    /// No block configures it: an implicit default configuration whose
    /// region comes from the environment; its instances share that region.
    Implicit(String),
    /// The input does not say (why); `group` when instances with the same
    /// provider address still share one region (raw state).
    Unrecorded { group: Option<String>, why: String },
}

/// Where a resource's values are, for JSONPath selectors.
#[derive(Debug, Clone)]
pub(crate) enum Values {
    /// At this path inside the JSON object at the resource's site:
    /// `change.after` (or `change.before`) of a plan entry, `values` of a
    /// state entry, `attributes` of a raw state instance (parsed on demand).
    InObject(&'static [&'static str]),
    /// Evaluated from a configuration block.
    Evaluated(serde_json::Value),
}

/// S12: where a resource's configuration names KMS data sources.
#[derive(Debug, Clone, Default)]
pub(crate) enum KmsRefs<'a> {
    #[default]
    None,
    /// Found only when needed, by the reader's function, in this slice of
    /// the input (a plan's configuration expressions).
    Deferred(&'a RawValue, fn(&RawValue) -> Vec<String>),
    /// Already found.
    Found(Vec<String>),
}

impl KmsRefs<'_> {
    /// `data.aws_kms_key.NAME` / `data.aws_kms_alias.NAME` references.
    pub(crate) fn list(&self) -> Vec<String> {
        match self {
            KmsRefs::None => Vec::new(),
            KmsRefs::Deferred(raw, find) => find(raw),
            KmsRefs::Found(refs) => refs.clone(),
        }
    }
}

/// What a reader knows of one surviving managed instance (S4).
pub(crate) struct Instance<'a, 'r> {
    pub address: Cow<'a, str>,
    pub rtype: Cow<'a, str>,
    /// From the AWS provider (any registry host).
    pub is_aws: bool,
    pub site: Site,
    pub attributes: &'r dyn Attributes<'a>,
    /// Its own `region`, when the input sets it (evaluated; a plan passes
    /// an unknown one only when the configuration writes it).
    pub own_region: Option<Value<'a>>,
    pub provider: ProviderLink,
    /// The ARN of the object when it exists already (S8.3).
    pub arn: Option<Cow<'a, str>>,
    /// Whether `tags_all` (computed by the provider) may be read (plans).
    pub has_tags_all: bool,
    /// No longer managed by the configuration (a `removed` block with
    /// `destroy = false`), but still in AWS (S4).
    pub forgotten: bool,
    pub values: Values,
    pub kms_refs: KmsRefs<'a>,
    /// Where its `region` and `tags` arguments are written (configurations).
    pub region_site: Option<Site>,
    pub tags_site: Option<Site>,
    /// Where the attribute (or block) naming its KMS key is written (S14).
    pub key_site: Option<Site>,
    /// The module calls that reach it, outermost first (configurations).
    pub chain: Vec<Link>,
}

/// One surviving managed instance, as the rules read it.
#[derive(Debug, Clone)]
pub(crate) struct Resource<'a> {
    pub address: Cow<'a, str>,
    pub rtype: Cow<'a, str>,
    pub is_aws: bool,
    pub site: Site,
    pub region: Region,
    pub settled: Settled,
    /// The provider configuration serving it, when instances under it
    /// share a region.
    pub group: Option<Arc<str>>,
    /// Its provider configuration (an index into [`Inventory::providers`]).
    pub provider: Option<usize>,
    pub tags: Tags<'a>,
    /// Still in AWS, no longer managed (S4).
    pub forgotten: bool,
    pub values: Values,
    pub kms_refs: KmsRefs<'a>,
    /// S14: what encrypts each part of its data (storage types).
    pub encryption: Vec<aws::Encryption>,
    /// What only some resources have: boxed, and only when there is any,
    /// since a plan may hold a million resources ([`Resource::extra_regions`]
    /// and the other accessors).
    more: Option<Box<More>>,
}

/// The parts of a resource most resources do not have.
#[derive(Debug, Clone, Default)]
struct More {
    /// S9: other regions that hold this resource's data.
    extra_regions: Vec<Region>,
    /// Only for key types (S7).
    usability: Usability,
    /// Where its arguments are written (configurations only).
    sites: Option<Box<ArgumentSites>>,
    /// The module calls that reach it, outermost first (configurations, and
    /// plans whose configuration is known).
    chain: Vec<Link>,
    /// Where the configuration of a plan or state declares it (S16).
    declared: Option<Box<Declared>>,
    /// S14: what names it or what it names (keys, aliases, buckets, S3
    /// encryption configurations).
    names: Names,
}

impl More {
    fn is_empty(&self) -> bool {
        self.extra_regions.is_empty()
            && self.usability == Usability::Usable
            && self.sites.is_none()
            && self.chain.is_empty()
            && self.declared.is_none()
            && self.names.is_empty()
    }
}

/// Where a configuration writes an instance's arguments.
#[derive(Debug, Clone, Default)]
pub(crate) struct ArgumentSites {
    pub region: Option<Site>,
    pub tags: Option<Site>,
    /// The attribute (or block) naming its KMS key (S14).
    pub key: Option<Site>,
}

/// S14: how other resources name a key, an alias, a bucket, or what an
/// alias or an S3 encryption configuration points at.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    /// A key's `arn` and `key_id`, known once it exists.
    pub arn: Option<String>,
    pub key_id: Option<String>,
    /// An alias's `name` (`alias/db`), a bucket's `bucket`.
    pub name: Option<String>,
    /// The key an alias targets; the bucket an S3 encryption configuration
    /// is for.
    pub target: Option<aws::KeyUse>,
}

impl Names {
    fn is_empty(&self) -> bool {
        self.arn.is_none() && self.key_id.is_none() && self.name.is_none() && self.target.is_none()
    }

    fn of(rtype: &str, attrs: &dyn Attributes<'_>, arn: Option<&str>) -> Names {
        let string = |name: &str| match attrs.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.into_owned()),
            _ => None,
        };
        let pointer = |value: Option<Value<'_>>| match value {
            Some(Value::String(s)) if !s.is_empty() => Some(aws::KeyUse::Named(s.into_owned())),
            Some(Value::Unknown(crate::value::Unknown::Attribute { address, attribute })) => {
                Some(aws::KeyUse::Reference { address, attribute })
            }
            Some(Value::Unknown(u)) => {
                Some(aws::KeyUse::Unknown(format!("is unknown{}", u.suffix())))
            }
            _ => None,
        };
        match rtype {
            t if aws::is_key_type(t) => Names {
                arn: arn.map(str::to_string).or_else(|| string("arn")),
                key_id: string("key_id"),
                ..Names::default()
            },
            "aws_kms_alias" => Names {
                name: string("name"),
                target: pointer(attrs.get("target_key_arn"))
                    .or_else(|| pointer(attrs.get("target_key_id"))),
                ..Names::default()
            },
            "aws_s3_bucket" => Names {
                name: string("bucket"),
                ..Names::default()
            },
            "aws_s3_bucket_server_side_encryption_configuration" => Names {
                target: pointer(attrs.get("bucket")),
                ..Names::default()
            },
            _ => Names::default(),
        }
    }
}

/// What a resource without any of it has.
static NO_MORE: More = More {
    extra_regions: Vec::new(),
    usability: Usability::Usable,
    sites: None,
    chain: Vec::new(),
    declared: None,
    names: Names {
        arn: None,
        key_id: None,
        name: None,
        target: None,
    },
};

impl Resource<'_> {
    fn more(&self) -> &More {
        self.more.as_deref().unwrap_or(&NO_MORE)
    }

    fn more_mut(&mut self) -> &mut More {
        self.more.get_or_insert_with(Box::default)
    }

    /// S9: other regions that hold this resource's data.
    pub(crate) fn extra_regions(&self) -> &[Region] {
        &self.more().extra_regions
    }

    /// Whether a key can protect data (S7); `Usable` for other types.
    pub(crate) fn usability(&self) -> &Usability {
        &self.more().usability
    }

    /// The module calls that reach it, outermost first (configurations, and
    /// plans whose configuration is known).
    pub(crate) fn chain(&self) -> &[Link] {
        &self.more().chain
    }

    /// Where the configuration of a plan or state declares it (S16).
    pub(crate) fn declared(&self) -> Option<&Declared> {
        self.more().declared.as_deref()
    }

    /// Where a configuration writes its `region` argument.
    pub(crate) fn region_site(&self) -> Option<&Site> {
        self.more().sites.as_ref()?.region.as_ref()
    }

    /// Where a configuration writes its `tags` argument.
    pub(crate) fn tags_site(&self) -> Option<&Site> {
        self.more().sites.as_ref()?.tags.as_ref()
    }

    /// Where a configuration writes the argument naming its KMS key.
    pub(crate) fn key_site(&self) -> Option<&Site> {
        self.more().sites.as_ref()?.key.as_ref()
    }

    /// S14: what names it or what it names.
    pub(crate) fn names(&self) -> &Names {
        &self.more().names
    }
}

impl<'a> Resource<'a> {
    /// Whether no rule can read this resource, nor another resource through
    /// it, once its tags are only those the rules read
    /// ([`TagMap::keep_read`]): it is no key or alias, and points at nothing
    /// (an S3 encryption configuration points at its bucket); no tag the
    /// rules read is known or may be unknown, so it is in no tier, near
    /// none, and says nothing of a tier's tags (a bucket's name is read only
    /// for a tier bucket); and no ARN settles its region, which could settle
    /// others' (S8). Most resources of a plan are inert: a reader keeps only
    /// their addresses ([`Held`]), unless the tiers have selectors
    /// ([`TagKeys::reads_every_resource`]).
    pub(crate) fn is_inert(&self) -> bool {
        !aws::is_key_type(&self.rtype)
            && self.rtype != "aws_kms_alias"
            && self.names().target.is_none()
            && self.tags.known.is_empty()
            && self.tags.unknown == TagsUnknown::None
            && self.settled != Settled::ByArn
    }

    /// Decides region, tags, usability and extra regions of an instance.
    pub(crate) fn new(instance: Instance<'a, '_>, providers: &[ProviderSettings]) -> Self {
        let attrs = instance.attributes;
        let rtype = instance.rtype.as_ref();
        let placement = place(
            rtype,
            instance.own_region,
            &instance.provider,
            instance.arn.as_deref(),
            providers,
        );
        let tags = effective_tags(attrs, instance.has_tags_all, &instance.provider, providers);
        let encryption = aws::encryption(rtype, attrs);
        let names = Names::of(rtype, attrs, instance.arn.as_deref());
        let usability = if aws::is_key_type(rtype) {
            aws::key_usability(rtype, attrs)
        } else {
            Usability::Usable
        };
        let extra_regions = aws::extra_regions(rtype, attrs)
            .into_iter()
            .map(|extra| match extra.region {
                Ok(name) => Region::Known {
                    name: name.into(),
                    basis: Basis::Extra {
                        what: extra.what,
                        of: instance.address.to_string(),
                    },
                },
                Err(why) => Region::Unknown {
                    group: None,
                    why: format!("{} of {} {why}", extra.what, instance.address),
                },
            })
            .collect();
        Resource {
            region: placement.region,
            settled: placement.settled,
            group: placement.group,
            provider: placement.provider,
            address: instance.address,
            rtype: instance.rtype,
            is_aws: instance.is_aws,
            site: instance.site,
            tags,
            forgotten: instance.forgotten,
            values: instance.values,
            kms_refs: instance.kms_refs,
            encryption,
            more: Some(Box::new(More {
                extra_regions,
                usability,
                sites: (instance.region_site.is_some()
                    || instance.tags_site.is_some()
                    || instance.key_site.is_some())
                .then(|| {
                    Box::new(ArgumentSites {
                        region: instance.region_site,
                        tags: instance.tags_site,
                        key: instance.key_site,
                    })
                }),
                chain: instance.chain,
                declared: None,
                names,
            }))
            .filter(|more| !more.is_empty()),
        }
    }
}

/// Where an instance is, before instances are considered together.
struct Placement {
    region: Region,
    settled: Settled,
    group: Option<Arc<str>>,
    provider: Option<usize>,
}

/// S8 steps 1-3 for one instance (steps 4-5 run across instances in
/// [`Inventory::settle_regions`]).
fn place(
    rtype: &str,
    own_region: Option<Value<'_>>,
    link: &ProviderLink,
    arn: Option<&str>,
    providers: &[ProviderSettings],
) -> Placement {
    if aws::region_attribute_is_own(rtype) {
        if let Some(placement) = own_placement(own_region) {
            return placement;
        }
    }
    let unsettled = match provider_placement(link, providers) {
        Ok(placement) => return placement,
        Err(unsettled) => unsettled,
    };
    if let Some(r) = arn.and_then(aws::arn_region) {
        return Placement {
            region: Region::Known {
                name: r.into(),
                basis: Basis::Arn,
            },
            settled: Settled::ByArn,
            group: unsettled.group,
            provider: unsettled.provider,
        };
    }
    Placement {
        region: Region::Unknown {
            group: unsettled.group.clone(),
            why: unsettled.why,
        },
        settled: Settled::No,
        group: unsettled.group,
        provider: unsettled.provider,
    }
}

/// S8.1: the instance's own `region` argument, when it decides.
fn own_placement(own_region: Option<Value<'_>>) -> Option<Placement> {
    let region = match own_region? {
        Value::String(r) if !r.is_empty() => Region::Known {
            name: r.as_ref().into(),
            basis: Basis::OwnArgument,
        },
        Value::Unknown(u) => Region::Unknown {
            group: None,
            why: format!("its `region` argument is unknown{}", u.suffix()),
        },
        _ => return None,
    };
    Some(Placement {
        region,
        settled: Settled::Yes,
        group: None,
        provider: None,
    })
}

/// What the provider configuration leaves open: whether its instances
/// share a region, which configuration it is, and why its region is
/// unknown.
struct Unsettled {
    group: Option<Arc<str>>,
    provider: Option<usize>,
    why: String,
}

/// S8.2: the region of the provider configuration serving the instance.
fn provider_placement(
    link: &ProviderLink,
    providers: &[ProviderSettings],
) -> Result<Placement, Unsettled> {
    match link {
        ProviderLink::One(i) => {
            let Some(p) = providers.get(*i) else {
                return Err(Unsettled {
                    group: None,
                    provider: None,
                    why: "the input records no provider configuration for it".into(),
                });
            };
            match &p.region {
                Ok(r) => Ok(Placement {
                    region: Region::Known {
                        name: r.clone(),
                        basis: Basis::Provider { key: p.key.clone() },
                    },
                    settled: Settled::Yes,
                    group: Some(p.key.clone()),
                    provider: Some(*i),
                }),
                Err((why, shared)) => Err(Unsettled {
                    group: shared.then(|| p.key.clone()),
                    provider: Some(*i),
                    why: why.clone(),
                }),
            }
        }
        ProviderLink::AnyOf(candidates, why) => {
            let found: Vec<&ProviderSettings> =
                candidates.iter().filter_map(|i| providers.get(*i)).collect();
            if let Some(Ok(first)) = found.first().map(|p| &p.region) {
                if found.iter().all(|p| p.region.as_ref().is_ok_and(|r| r == first)) {
                    return Ok(Placement {
                        region: Region::Known {
                            name: first.clone(),
                            basis: Basis::Candidates {
                                keys: found.iter().map(|p| p.key.to_string()).collect(),
                            },
                        },
                        settled: Settled::Yes,
                        group: None,
                        provider: None,
                    });
                }
            }
            let listed = found
                .iter()
                .map(|p| {
                    format!(
                        "`{}` ({})",
                        p.key,
                        p.region.as_deref().unwrap_or("unknown")
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            Err(Unsettled {
                group: None,
                provider: None,
                why: format!("{why}; it could be any of {listed}"),
            })
        }
        ProviderLink::Implicit(key) => Err(Unsettled {
            group: Some(key.as_str().into()),
            provider: None,
            why: format!(
                "provider configuration `{key}` has no block in the configuration (its region comes from AWS_REGION or a profile at run time)"
            ),
        }),
        ProviderLink::Unrecorded { group, why } => Err(Unsettled {
            group: group.as_deref().map(Arc::from),
            provider: None,
            why: why.clone(),
        }),
    }
}

/// S3: `tags_all` when the input has it and it is not wholly unknown, else
/// the provider's default tags merged with the resource's own tags, minus
/// ignored keys.
fn effective_tags<'a>(
    attrs: &dyn Attributes<'a>,
    has_tags_all: bool,
    link: &ProviderLink,
    providers: &[ProviderSettings],
) -> Tags<'a> {
    if has_tags_all {
        match attrs.get("tags_all") {
            None | Some(Value::Null | Value::Unknown(_)) => {}
            Some(all) => return Tags::from_value(Some(all), "its tags"),
        }
    }
    let own = Tags::from_value(attrs.get("tags"), "its tags");
    let (defaults, ignore) = match link {
        ProviderLink::One(i) => providers
            .get(*i)
            .map(|p| (p.default_tags.clone(), p.ignore_tags.clone()))
            .unwrap_or_default(),
        ProviderLink::AnyOf(candidates, why) => {
            let rules: Vec<(&Tags<'static>, &IgnoreTags)> = candidates
                .iter()
                .filter_map(|i| providers.get(*i))
                .map(|p| (&p.default_tags, &p.ignore_tags))
                .collect();
            if rules.windows(2).all(|w| w[0] == w[1]) {
                rules
                    .first()
                    .map(|(t, i)| ((*t).clone(), (*i).clone()))
                    .unwrap_or_default()
            } else {
                (
                    Tags {
                        known: TagMap::default(),
                        unknown: TagsUnknown::All(format!("its default_tags are unknown: {why}")),
                    },
                    IgnoreTags::default(),
                )
            }
        }
        ProviderLink::Implicit(_) | ProviderLink::Unrecorded { .. } => Default::default(),
    };
    Tags::merged(defaults, own, &ignore)
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

/// The resources a reader hands over: those the rules read, and only the
/// addresses of the inert ones ([`Resource::is_inert`]).
#[derive(Debug, Default)]
pub(crate) struct Held<'a> {
    pub resources: Vec<Resource<'a>>,
    pub inert: Vec<Cow<'a, str>>,
}

impl<'a> Held<'a> {
    /// Keeps a resource, or only its address when it is inert and `keys`
    /// read resources by their tags alone.
    pub(crate) fn hold(&mut self, resource: Resource<'a>, keys: &dyn TagKeys) {
        if resource.is_inert() && !keys.reads_every_resource() {
            self.inert.push(resource.address);
        } else {
            self.resources.push(resource);
        }
    }

    /// The resources of a later part of the input after these.
    pub(crate) fn append(&mut self, later: Held<'a>) {
        self.resources.extend(later.resources);
        self.inert.extend(later.inert);
    }
}

/// Everything one input says, in the form the rules read.
#[derive(Debug, Default)]
pub(crate) struct Inventory<'a> {
    /// The text of every file the input's sites point into.
    pub texts: Vec<(FileId, &'a str)>,
    pub resources: Vec<Resource<'a>>,
    /// The addresses of resources no rule reads ([`Resource::is_inert`]):
    /// what a reference to one of them comes to is told by its address.
    pub inert: Vec<Cow<'a, str>>,
    pub providers: Vec<ProviderSettings>,
    pub notes: Vec<Note>,
    /// The whole document (a plan, or a root module's first file), for
    /// findings with no better place.
    pub document: Option<Span>,
    /// S17: root module outputs that name a resource (output name, the
    /// resource's full address), so that another input reading this one's
    /// state (`terraform_remote_state`) can be followed to it.
    pub outputs: Vec<(String, String)>,
}

impl<'a> Inventory<'a> {
    /// Takes the resources a reader read.
    pub(crate) fn hold(&mut self, held: Held<'a>) {
        self.resources = held.resources;
        self.inert = held.inert;
    }
}

impl Inventory<'_> {
    /// The whole document and its first character (the token a human
    /// report underlines: a byte order mark or any other character whole),
    /// for findings with no better place.
    pub(crate) fn document_focus(&self) -> Option<(Span, Span)> {
        let span = self.document.clone()?;
        let text = self.texts.iter().find(|(f, _)| *f == span.file)?.1;
        let first = text
            .get(span.range.clone())
            .and_then(|t| t.chars().next())
            .map_or(0, char::len_utf8);
        let focus = Span::new(span.file, span.range.start..span.range.start + first);
        Some((span, focus))
    }

    fn text(&self, file: FileId) -> Option<&str> {
        self.texts
            .iter()
            .find(|(id, _)| *id == file)
            .map(|(_, t)| *t)
    }

    /// A resource's attributes as JSON, for JSONPath selectors.
    /// `Err` says why they cannot be read (a number no JSON reader holds,
    /// like `1e400`, which the plan reader itself skips over).
    pub(crate) fn values(&self, r: &Resource<'_>) -> Result<serde_json::Value, String> {
        match &r.values {
            Values::Evaluated(v) => Ok(v.clone()),
            Values::InObject(path) => {
                let Some(text) = self.text(r.site.file) else {
                    return Ok(serde_json::Value::Null);
                };
                let range = crate::json::value_span(text, r.site.start);
                let mut value: serde_json::Value =
                    serde_json::from_str(&text[range]).map_err(|e| e.to_string())?;
                Ok(path
                    .iter()
                    .try_fold(&mut value, |v, k| v.get_mut(*k))
                    .map(serde_json::Value::take)
                    .unwrap_or_default())
            }
        }
    }

    /// The byte range of a site (found on demand: only the sites a finding
    /// names need it).
    pub(crate) fn span(&self, site: &Site) -> Range<usize> {
        if let Some(end) = site.end {
            return site.start..end;
        }
        match self.text(site.file) {
            Some(text) => crate::json::value_span(text, site.start),
            None => site.focus.clone(),
        }
    }

    /// S16: attaches to each resource where the configuration the input was
    /// made from (`source`, evaluated) declares it — the same instance
    /// address, else the same block (an instance key the configuration
    /// could not evaluate) — with the `module` calls that reach it, and
    /// fills a region the input leaves unknown from the configuration.
    /// Returns the addresses the configuration does not declare.
    pub(crate) fn join_source(&mut self, source: &Inventory<'_>) -> Vec<String> {
        let mut exact: BTreeMap<&str, &Resource<'_>> = BTreeMap::new();
        let mut by_block: BTreeMap<Cow<'_, str>, &Resource<'_>> = BTreeMap::new();
        for r in &source.resources {
            exact.entry(r.address.as_ref()).or_insert(r);
            by_block.entry(block_address(&r.address)).or_insert(r);
        }
        let mut missing = Vec::new();
        for r in &mut self.resources {
            let found = exact
                .get(r.address.as_ref())
                .copied()
                .or_else(|| by_block.get(&block_address(&r.address)).copied());
            let Some(s) = found else {
                missing.push(r.address.to_string());
                continue;
            };
            let provider = s.provider.and_then(|p| source.providers.get(p));
            let more = r.more_mut();
            more.declared = Some(Box::new(Declared {
                site: s.site.clone(),
                region_site: s.region_site().cloned(),
                tags_site: s.tags_site().cloned(),
                key_site: s.key_site().cloned(),
                provider_site: provider.and_then(|p| p.site.clone()),
                provider_region_site: provider.and_then(|p| p.region_site.clone()),
            }));
            more.chain = s.chain().to_vec();
            // S14: what a plan cannot tell (a key behind a `local`, a
            // `dynamic` block it does not record), the configuration does.
            for part in &mut r.encryption {
                if let aws::KeyUse::Unknown(_) = part.key {
                    let known = s.encryption.iter().find(|e| {
                        e.data == part.data
                            && e.attribute == part.attribute
                            && !matches!(e.key, aws::KeyUse::Unknown(_))
                    });
                    if let Some(e) = known {
                        part.key = e.key.clone();
                    }
                }
            }
            if matches!(r.names().target, Some(aws::KeyUse::Unknown(_)) | None)
                && s.names().target.is_some()
            {
                let target = s.names().target.clone();
                r.more_mut().names.target = target;
            }
            if let (Settled::No, Region::Known { name, basis }) = (r.settled, &s.region) {
                r.region = Region::Known {
                    name: name.clone(),
                    basis: Basis::Source(Box::new(basis.clone())),
                };
                r.settled = Settled::Yes;
            }
        }
        missing
    }

    /// S8 steps 3-5 across instances: an instance whose region is still
    /// unknown takes the region that the ARNs of other instances under the
    /// same provider configuration show, then `--default-region`, else it
    /// stays unknown.
    pub(crate) fn settle_regions(&mut self, default_region: Option<&str>) {
        let mut by_group: BTreeMap<Arc<str>, Option<(Arc<str>, String)>> = BTreeMap::new();
        for r in &self.resources {
            if let (Settled::ByArn, Some(group), Region::Known { name, .. }) =
                (r.settled, &r.group, &r.region)
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
            if r.settled != Settled::No {
                continue;
            }
            let shared = r
                .group
                .as_ref()
                .and_then(|g| by_group.get(g))
                .and_then(Option::as_ref);
            if let Some((name, with)) = shared {
                r.region = Region::Known {
                    name: name.clone(),
                    basis: Basis::SharedProvider { with: with.clone() },
                };
            } else if let Some(name) = default_region {
                r.region = Region::Known {
                    name: name.into(),
                    basis: Basis::Default,
                };
            }
        }
    }
}

/// An instance address without its instance keys: the block that declares
/// it (`module.a["x"].aws_s3_bucket.b[0]` → `module.a.aws_s3_bucket.b`).
pub(crate) fn block_address(address: &str) -> Cow<'_, str> {
    if !address.contains('[') {
        return Cow::Borrowed(address);
    }
    let mut out = String::with_capacity(address.len());
    let mut depth = 0usize;
    let mut quoted = false;
    let mut escaped = false;
    for c in address.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' if depth > 0 => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plan may hold a million resources: what most do not have stays
    /// out of line ([`More`]).
    #[test]
    fn a_resource_record_stays_small() {
        assert!(std::mem::size_of::<Resource<'_>>() <= 344);
        assert!(std::mem::size_of::<More>() <= 216);
    }

    #[test]
    fn block_addresses_drop_instance_keys() {
        assert_eq!(
            block_address(r#"module.a["x]\"y"].aws_s3_bucket.b[0]"#),
            "module.a.aws_s3_bucket.b"
        );
        assert_eq!(block_address("aws_kms_key.k"), "aws_kms_key.k");
    }

    fn tags(pairs: &[(&'static str, &'static str)]) -> Tags<'static> {
        Tags::of(pairs)
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

    /// A resource's own tags over its provider's default tags, in key order.
    #[test]
    fn extended_tag_maps_take_the_later_value_and_stay_sorted() {
        let mut defaults = Tags::of(&[("a", "1"), ("tier", "web"), ("z", "2")]).known;
        defaults.extend(Tags::of(&[("b", "3"), ("tier", "db")]).known);
        let pairs: Vec<(&str, &str)> = (&defaults)
            .into_iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .collect();
        assert_eq!(pairs, [("a", "1"), ("b", "3"), ("tier", "db"), ("z", "2")]);
        let collected: TagMap = [("z", "1"), ("a", "2"), ("z", "3"), ("m", "4"), ("a", "5")]
            .into_iter()
            .map(|(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v)))
            .collect();
        let pairs: Vec<(&str, &str)> = (&collected)
            .into_iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .collect();
        assert_eq!(pairs, [("a", "5"), ("m", "4"), ("z", "3")]);
    }

    #[test]
    fn partly_known_tag_maps_stay_partly_known() {
        let value = Value::Map(
            [
                (Cow::Borrowed("tier"), Value::String("db".into())),
                (Cow::Borrowed("Name"), Value::unknown("from a resource")),
            ]
            .into_iter()
            .collect(),
        );
        let t = Tags::from_value(Some(value), "its tags");
        assert_eq!(t.known.get("tier").map(AsRef::as_ref), Some("db"));
        assert_eq!(t.unknown, TagsUnknown::Keys(vec!["Name".into()]));
    }

    fn provider(key: &str, region: Option<Value<'static>>, iterated: bool) -> ProviderSettings {
        ProviderSettings::new(
            key.into(),
            true,
            ProviderArguments {
                region,
                iterated,
                default_tags: None,
                ignore_keys: None,
                ignore_key_prefixes: None,
            },
            None,
        )
    }

    #[test]
    fn provider_regions_and_sharing() {
        let known = provider("aws", Some(Value::String("eu-west-1".into())), false);
        assert_eq!(known.region, Ok("eu-west-1".into()));
        let unset = provider("aws.b", None, false);
        assert!(matches!(unset.region, Err((_, true))));
        let iterated = provider("aws.each", Some(Value::unknown("each.key")), true);
        assert!(matches!(iterated.region, Err((_, false))));
    }

    #[test]
    fn own_region_wins_then_provider_then_arn() {
        let providers = vec![provider("aws", None, false)];
        let own = place(
            "aws_db_instance",
            Some(Value::String("us-east-2".into())),
            &ProviderLink::One(0),
            None,
            &providers,
        );
        assert_eq!(
            own.region,
            Region::Known {
                name: "us-east-2".into(),
                basis: Basis::OwnArgument
            }
        );
        let by_arn = place(
            "aws_db_instance",
            None,
            &ProviderLink::One(0),
            Some("arn:aws:rds:eu-west-3:1:db:x"),
            &providers,
        );
        assert_eq!(by_arn.settled, Settled::ByArn);
        assert_eq!(by_arn.group.as_deref(), Some("aws"));
        let pending = place(
            "aws_db_instance",
            None,
            &ProviderLink::One(0),
            None,
            &providers,
        );
        assert_eq!(pending.settled, Settled::No);
    }
}
