//! Typed, borrowed views of the parts of a plan or state the rule reads.
//!
//! Only the fields tierkey needs are named; everything else is skipped by
//! serde without being built. Lenient types ([`crate::json::lenient`]) take
//! what they understand, so one odd attribute shape never makes a plan
//! unreadable.

use std::borrow::Cow;
use std::collections::BTreeMap;

use std::fmt;
use std::marker::PhantomData;

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::Value as Json;

use crate::json::lenient::{LenientBool, LenientObject, LenientStr, UnknownMark};
use crate::json::Located;

/// The top level, each member kept as a raw slice until it is needed
/// (walked member by member: [`super::top`]).
pub(super) struct Top<'a, C = Changes<'a>> {
    pub format_version: Option<&'a RawValue>,
    pub variables: Option<&'a RawValue>,
    pub planned_values: Option<&'a RawValue>,
    /// The bulk of a plan, parsed in the same pass as the rest: each entry
    /// a small borrowed view, handed to `C` as it is parsed ([`Sink`]).
    pub resource_changes: Option<C>,
    pub configuration: Option<&'a RawValue>,
    pub prior_state: Option<IgnoredAny>,
    pub values: Option<LenientObject<ValuesRoot<'a>>>,
    pub errored: Option<&'a RawValue>,
    pub complete: Option<&'a RawValue>,
}

impl<C> Default for Top<'_, C> {
    fn default() -> Self {
        Top {
            format_version: None,
            variables: None,
            planned_values: None,
            resource_changes: None,
            configuration: None,
            prior_state: None,
            values: None,
            errored: None,
            complete: None,
        }
    }
}

impl<'a, C> Top<'a, C> {
    /// The same members, with what became of `resource_changes` replaced.
    pub(super) fn map_changes<D>(self, f: impl FnOnce(C) -> D) -> Top<'a, D> {
        Top {
            format_version: self.format_version,
            variables: self.variables,
            planned_values: self.planned_values,
            resource_changes: self.resource_changes.map(f),
            configuration: self.configuration,
            prior_state: self.prior_state,
            values: self.values,
            errored: self.errored,
            complete: self.complete,
        }
    }
}

/// What becomes of the entries of `resource_changes` as they are parsed:
/// kept ([`Changes`]), or turned into resources at once when the
/// configuration is known before them. On two threads each has its own,
/// and the second's is appended to the first's.
pub(super) trait Sink<'a>: Send {
    fn push(&mut self, entry: Located<Box<ResourceChange<'a>>>);
    /// Appends what the rest of the same array became.
    fn append(&mut self, later: Self);
}

/// The top level of a raw `terraform.tfstate`.
#[derive(Deserialize)]
pub(super) struct RawStateTop<'a> {
    #[serde(borrow)]
    pub version: Option<&'a RawValue>,
    #[serde(borrow)]
    pub resources: Option<&'a RawValue>,
}

#[derive(Deserialize)]
pub(super) struct ResourceChange<'a> {
    #[serde(borrow)]
    pub address: &'a RawValue,
    #[serde(borrow, default)]
    pub module_address: LenientStr<'a>,
    #[serde(borrow, default)]
    pub mode: LenientStr<'a>,
    #[serde(borrow, default, rename = "type")]
    pub rtype: LenientStr<'a>,
    #[serde(borrow, default)]
    pub name: LenientStr<'a>,
    #[serde(borrow, default)]
    pub provider_name: LenientStr<'a>,
    pub deposed: Option<IgnoredAny>,
    #[serde(borrow, default)]
    pub change: LenientObject<Change<'a>>,
}

/// The entries of `resource_changes` that can matter: those that become
/// resources, and the first one Terraform could not have written (which
/// is reported). The rest are parsed and dropped at once, so memory
/// follows what is kept, not the number of entries.
#[derive(Default)]
pub(super) struct Changes<'a> {
    pub kept: Vec<Located<Box<ResourceChange<'a>>>>,
    /// A malformed entry is among them.
    malformed: bool,
}

impl<'de: 'a, 'a> Deserialize<'de> for Changes<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Changes<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of resource changes")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Changes<'a>, A::Error> {
                let mut changes = Changes::default();
                while let Some(entry) = seq.next_element::<Located<Box<ResourceChange<'a>>>>()? {
                    changes.push(entry);
                }
                Ok(changes)
            }
        }
        d.deserialize_seq(V(PhantomData))
    }
}

impl<'a> Sink<'a> for Changes<'a> {
    /// Keeps an entry that becomes a resource, and the first malformed one.
    fn push(&mut self, entry: Located<Box<ResourceChange<'a>>>) {
        match entry.value.status() {
            Status::Kept => self.kept.push(entry),
            Status::Malformed if !self.malformed => {
                self.malformed = true;
                self.kept.push(entry);
            }
            Status::Malformed | Status::Dropped => {}
        }
    }

    /// These entries, then those of `later` (the rest of the same array).
    fn append(&mut self, later: Changes<'a>) {
        let malformed = self.malformed;
        self.kept.extend(
            later
                .kept
                .into_iter()
                .filter(|e| !(malformed && e.value.status() == Status::Malformed)),
        );
        self.malformed |= later.malformed;
    }
}

/// What becomes of a `resource_changes` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    /// A managed object that is in AWS after the change (S4).
    Kept,
    /// Not managed, deposed, or gone after the change.
    Dropped,
    /// Without the `mode`, `type` or `change` Terraform always writes.
    Malformed,
}

/// S4: what of an object is in AWS after its change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fate {
    /// Created, updated or unchanged.
    Survives,
    /// No longer managed (a `removed` block with `destroy = false`), but
    /// still in AWS, as it was before.
    Forgotten,
    Gone,
}

impl ResourceChange<'_> {
    pub(super) fn status(&self) -> Status {
        let Some(mode) = self.mode.0.as_deref() else {
            return Status::Malformed;
        };
        if self.rtype.0.is_none() {
            return Status::Malformed;
        }
        if mode != "managed" || self.deposed.is_some() {
            return Status::Dropped;
        }
        match &self.change.0 {
            None => Status::Malformed,
            Some(change) if change.fate() == Fate::Gone => Status::Dropped,
            Some(_) => Status::Kept,
        }
    }
}

impl Change<'_> {
    /// S4: membership of the actions, not whole arrays.
    pub(super) fn fate(&self) -> Fate {
        let has = |action: &str| self.actions.has(action);
        if has("create") || has("update") || has("no-op") {
            Fate::Survives
        } else if has("forget") {
            Fate::Forgotten
        } else {
            Fate::Gone
        }
    }
}

#[derive(Deserialize)]
pub(super) struct Change<'a> {
    #[serde(default)]
    pub actions: Actions,
    /// The object before the change: its ARN places an existing object
    /// (S8.3), and a forgotten object is read from it (S4).
    /// Boxed: absent (`null`) for every object being created.
    #[serde(borrow, default)]
    pub before: LenientObject<Box<Attrs<'a>>>,
    #[serde(borrow, default)]
    pub after: LenientObject<Attrs<'a>>,
    #[serde(borrow, default)]
    pub after_unknown: LenientObject<Unknowns<'a>>,
}

/// The actions of a change, as a set: S4 reads membership, not whole
/// arrays, and a set takes no allocation.
#[derive(Default, Clone, Copy)]
pub(super) struct Actions(u8);

impl Actions {
    /// The actions Terraform and OpenTofu write; others are not kept.
    const NAMES: [&'static str; 6] = ["create", "update", "no-op", "forget", "delete", "read"];

    pub(super) fn has(self, action: &str) -> bool {
        Self::NAMES
            .iter()
            .position(|n| *n == action)
            .is_some_and(|i| self.0 & (1 << i) != 0)
    }
}

impl<'de> Deserialize<'de> for Actions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Actions;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of actions")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Actions, A::Error> {
                let mut set = 0u8;
                while let Some(action) = seq.next_element::<Cow<'de, str>>()? {
                    if let Some(i) = Actions::NAMES.iter().position(|n| *n == action) {
                        set |= 1 << i;
                    }
                }
                Ok(Actions(set))
            }
        }
        d.deserialize_seq(V)
    }
}

/// The attributes of an instance the rule reads (from `change.after`,
/// `change.before`, `values`, or raw state `attributes`). Tag maps stay raw
/// slices until they are read: most `before` objects never are.
#[derive(Default)]
pub(super) struct Attrs<'a> {
    pub tags: Option<&'a RawValue>,
    pub tags_all: Option<&'a RawValue>,
    pub region: LenientStr<'a>,
    pub arn: LenientStr<'a>,
    pub is_enabled: LenientBool,
    pub enabled: LenientBool,
    pub key_usage: LenientStr<'a>,
    pub customer_master_key_spec: LenientStr<'a>,
    pub key_spec: LenientStr<'a>,
    pub destination_region: LenientStr<'a>,
    /// S14: the attributes of storage types, keys, aliases and S3
    /// encryption configurations, raw until the rule reads them.
    pub raw: RawFields<'a>,
}

/// `after_unknown` for the same attributes. Only marks that say
/// something are kept: most attributes of most instances are known.
#[derive(Default)]
pub(super) struct Unknowns<'a> {
    marks: Vec<(&'static str, UnknownMark)>,
    pub raw: RawFields<'a>,
}

/// The typed attributes an `after_unknown` mark is kept for.
const MARKED: [&str; 8] = [
    "tags",
    "tags_all",
    "region",
    "is_enabled",
    "enabled",
    "key_usage",
    "customer_master_key_spec",
    "destination_region",
];

/// The mark of an attribute that has none.
static UNMARKED: UnknownMark = UnknownMark {
    all: false,
    keys: Vec::new(),
    partial: false,
};

impl Unknowns<'_> {
    /// The mark of one of the typed attributes.
    pub(super) fn mark(&self, name: &str) -> &UnknownMark {
        self.marks
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map_or(&UNMARKED, |(_, mark)| mark)
    }
}

/// The attributes kept raw ([`Attrs::raw`]), by name.
const RAW_NAMES: [&str; 21] = [
    "kms_key_id",
    "kms_key_arn",
    "kms_master_key_id",
    "kms_key",
    "kms_encryption_key",
    "storage_encrypted",
    "encrypted",
    "at_rest_encryption_enabled",
    "encryption_type",
    "server_side_encryption",
    "encrypt_at_rest",
    "encryption_specification",
    "encryption_configuration",
    "server_side_encryption_configuration",
    "rule",
    "bucket",
    "key_id",
    "target_key_id",
    "target_key_arn",
    "name",
    "replica",
];

/// The raw attributes an object has, of [`RAW_NAMES`]: only those present
/// take memory (a plan holds one of these per instance and change).
#[derive(Default)]
pub(super) struct RawFields<'a>(Vec<(u8, &'a RawValue)>);

impl<'a> RawFields<'a> {
    /// A raw attribute by name (the last, as JSON parsers keep).
    pub(super) fn get(&self, name: &str) -> Option<&'a RawValue> {
        let index = RAW_NAMES.iter().position(|n| *n == name)?;
        let found = self.0.iter().rev().find(|(i, _)| usize::from(*i) == index);
        found.map(|(_, raw)| *raw)
    }
}

/// Reads an object's members: `typed` takes those it knows (returning
/// whether it did), raw attributes are kept, everything else is skipped
/// unbuilt.
fn visit_members<'de: 'a, 'a, A: MapAccess<'de>>(
    mut map: A,
    raw: &mut RawFields<'a>,
    mut typed: impl FnMut(&str, &mut A) -> Result<bool, A::Error>,
) -> Result<(), A::Error> {
    while let Some(key) = map.next_key::<LenientStr<'de>>()? {
        let Some(key) = key.0 else {
            map.next_value::<IgnoredAny>()?;
            continue;
        };
        if typed(&key, &mut map)? {
            continue;
        }
        match RAW_NAMES.iter().position(|n| *n == key) {
            Some(i) => {
                let value: Option<&'de RawValue> = map.next_value()?;
                if let (Some(value), Ok(i)) = (value, u8::try_from(i)) {
                    raw.0.push((i, value));
                }
            }
            None => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(())
}

impl<'de: 'a, 'a> Deserialize<'de> for Attrs<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Attrs<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of attributes")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Attrs<'a>, A::Error> {
                let mut a = Attrs::default();
                let mut raw = RawFields::default();
                visit_members(map, &mut raw, |key, map| {
                    match key {
                        "tags" => a.tags = map.next_value()?,
                        "tags_all" => a.tags_all = map.next_value()?,
                        "region" => a.region = map.next_value()?,
                        "arn" => a.arn = map.next_value()?,
                        "is_enabled" => a.is_enabled = map.next_value()?,
                        "enabled" => a.enabled = map.next_value()?,
                        "key_usage" => a.key_usage = map.next_value()?,
                        "customer_master_key_spec" => {
                            a.customer_master_key_spec = map.next_value()?;
                        }
                        "key_spec" => a.key_spec = map.next_value()?,
                        "destination_region" => a.destination_region = map.next_value()?,
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
                a.raw = raw;
                Ok(a)
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Unknowns<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Unknowns<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of unknown marks")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Unknowns<'a>, A::Error> {
                let mut u = Unknowns::default();
                let mut raw = RawFields::default();
                visit_members(map, &mut raw, |key, map| {
                    let Some(name) = MARKED.iter().find(|n| **n == key) else {
                        return Ok(false);
                    };
                    let mark: UnknownMark = map.next_value()?;
                    // The last of repeated keys counts, as JSON parsers keep.
                    u.marks.retain(|(n, _)| n != name);
                    if mark.any() || !mark.keys.is_empty() {
                        u.marks.push((name, mark));
                    }
                    Ok(true)
                })?;
                u.raw = raw;
                Ok(u)
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

#[derive(Deserialize)]
pub(super) struct ValuesRoot<'a> {
    #[serde(borrow, default)]
    pub root_module: ValuesModule<'a>,
}

#[derive(Deserialize, Default)]
pub(super) struct ValuesModule<'a> {
    /// Raw slices, parsed one at a time (see [`Top::resource_changes`]).
    #[serde(borrow, default)]
    pub resources: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    pub child_modules: Vec<ValuesModule<'a>>,
}

#[derive(Deserialize)]
pub(super) struct ValuesResource<'a> {
    #[serde(borrow)]
    pub address: &'a RawValue,
    #[serde(borrow, default)]
    pub mode: LenientStr<'a>,
    #[serde(borrow, default, rename = "type")]
    pub rtype: LenientStr<'a>,
    #[serde(borrow, default)]
    pub name: LenientStr<'a>,
    #[serde(borrow, default)]
    pub provider_name: LenientStr<'a>,
    #[serde(borrow, default)]
    pub values: LenientObject<Attrs<'a>>,
    pub deposed_key: Option<IgnoredAny>,
}

#[derive(Deserialize)]
pub(super) struct RawStateResource<'a> {
    #[serde(borrow, default)]
    pub module: LenientStr<'a>,
    #[serde(borrow, default)]
    pub mode: LenientStr<'a>,
    #[serde(borrow, default, rename = "type")]
    pub rtype: LenientStr<'a>,
    #[serde(borrow, default)]
    pub name: LenientStr<'a>,
    #[serde(borrow, default)]
    pub provider: LenientStr<'a>,
    /// Raw slices, parsed one at a time.
    #[serde(borrow, default)]
    pub instances: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
pub(super) struct RawStateInstance<'a> {
    #[serde(borrow, default)]
    pub index_key: Option<&'a RawValue>,
    pub deposed: Option<IgnoredAny>,
    #[serde(borrow, default)]
    pub attributes: LenientObject<Attrs<'a>>,
}

#[derive(Deserialize, Default)]
pub(super) struct ConfigurationDoc<'a> {
    #[serde(borrow, default)]
    pub provider_config: BTreeMap<Cow<'a, str>, &'a RawValue>,
    #[serde(borrow, default)]
    pub root_module: ConfigModule<'a>,
}

#[derive(Deserialize, Default)]
pub(super) struct ConfigModule<'a> {
    #[serde(borrow, default)]
    pub resources: Vec<ConfigResource<'a>>,
    #[serde(borrow, default)]
    pub module_calls: BTreeMap<String, ModuleCall<'a>>,
    #[serde(default)]
    pub variables: BTreeMap<String, Json>,
    #[serde(default)]
    pub outputs: BTreeMap<String, ConfigOutput>,
}

#[derive(Deserialize, Default)]
pub(super) struct ConfigOutput {
    #[serde(default)]
    pub expression: Json,
}

#[derive(Deserialize)]
pub(super) struct ConfigResource<'a> {
    #[serde(borrow)]
    pub address: Cow<'a, str>,
    #[serde(borrow, default)]
    pub provider_config_key: LenientStr<'a>,
    #[serde(borrow, default)]
    pub expressions: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
pub(super) struct ModuleCall<'a> {
    #[serde(default)]
    pub expressions: BTreeMap<String, Json>,
    #[serde(borrow, default)]
    pub module: ConfigModule<'a>,
}

#[derive(Deserialize)]
pub(super) struct ProviderEntry {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub alias: Option<String>,
    #[serde(default)]
    pub module_address: Option<String>,
    #[serde(default)]
    pub expressions: serde_json::Map<String, Json>,
}

#[derive(Deserialize)]
pub(super) struct PlanVariable {
    #[serde(default)]
    pub value: Json,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only marks that say something are kept; the last of repeated keys
    /// counts, as for every other member.
    #[test]
    fn unknown_marks() {
        let u: Unknowns<'_> = serde_json::from_str(
            r#"{"tags": {"tier": true}, "region": true, "arn": true, "tags_all": {}, "region": false}"#,
        )
        .expect("parses");
        assert_eq!(u.mark("tags").keys, ["tier"]);
        assert!(u.mark("tags").partial);
        assert!(!u.mark("region").any());
        assert!(!u.mark("tags_all").any());
        assert_eq!(u.marks.len(), 1);
        let actions: Actions =
            serde_json::from_str(r#"["delete", "create", "other"]"#).expect("parses");
        assert!(actions.has("create") && actions.has("delete") && !actions.has("update"));
        assert!(serde_json::from_str::<Actions>(r#"["create", 1]"#).is_err());
    }
}
