//! Typed, borrowed views of the parts of a plan or state the rule reads.
//!
//! Only the fields tierkey needs are named; everything else is skipped by
//! serde without being built. Lenient types ([`crate::json::lenient`]) take
//! what they understand, so one odd attribute shape never makes a plan
//! unreadable.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value as Json;

use crate::json::lenient::{LenientBool, LenientObject, LenientStr, UnknownMark};

/// The top level, each member kept as a raw slice until it is needed.
#[derive(Deserialize)]
pub(super) struct Top<'a> {
    #[serde(borrow)]
    pub format_version: Option<&'a RawValue>,
    #[serde(borrow)]
    pub variables: Option<&'a RawValue>,
    #[serde(borrow)]
    pub planned_values: Option<&'a RawValue>,
    /// The bulk of a plan: each entry a raw slice (two words), parsed one
    /// at a time once the configuration is read, so memory stays
    /// proportional to the file whatever the entries hold.
    #[serde(borrow)]
    pub resource_changes: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    pub configuration: Option<&'a RawValue>,
    pub prior_state: Option<IgnoredAny>,
    #[serde(borrow)]
    pub values: Option<LenientObject<ValuesRoot<'a>>>,
    #[serde(borrow)]
    pub errored: Option<&'a RawValue>,
    #[serde(borrow)]
    pub complete: Option<&'a RawValue>,
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

#[derive(Deserialize)]
pub(super) struct Change<'a> {
    #[serde(borrow, default)]
    pub actions: Vec<Cow<'a, str>>,
    /// The object before the change: its ARN places an existing object
    /// (S8.3), and a forgotten object is read from it (S4).
    #[serde(borrow, default)]
    pub before: LenientObject<Attrs<'a>>,
    #[serde(borrow, default)]
    pub after: LenientObject<Attrs<'a>>,
    #[serde(borrow, default)]
    pub after_unknown: LenientObject<Unknowns<'a>>,
}

/// The attributes of an instance the rule reads (from `change.after`,
/// `change.before`, `values`, or raw state `attributes`). Tag maps stay raw
/// slices until they are read: most `before` objects never are.
#[derive(Deserialize, Default)]
pub(super) struct Attrs<'a> {
    #[serde(borrow, default)]
    pub tags: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub tags_all: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub region: LenientStr<'a>,
    #[serde(borrow, default)]
    pub arn: LenientStr<'a>,
    #[serde(default)]
    pub is_enabled: LenientBool,
    #[serde(default)]
    pub enabled: LenientBool,
    #[serde(borrow, default)]
    pub key_usage: LenientStr<'a>,
    #[serde(borrow, default)]
    pub customer_master_key_spec: LenientStr<'a>,
    #[serde(borrow, default)]
    pub key_spec: LenientStr<'a>,
    #[serde(borrow, default)]
    pub destination_region: LenientStr<'a>,
    // S14: the attributes of storage types, keys, aliases and S3 encryption
    // configurations, kept raw until the rule reads them ([`Attrs::raw`]).
    #[serde(borrow, default)]
    pub kms_key_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub kms_key_arn: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub kms_master_key_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub kms_key: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub kms_encryption_key: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub storage_encrypted: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub encrypted: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub at_rest_encryption_enabled: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub encryption_type: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub server_side_encryption: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub encrypt_at_rest: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub encryption_specification: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub encryption_configuration: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub server_side_encryption_configuration: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub rule: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub bucket: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub key_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub target_key_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub target_key_arn: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub replica: Option<&'a RawValue>,
}

impl<'a> Unknowns<'a> {
    /// The `after_unknown` mark of a raw attribute.
    pub(super) fn raw(&self, name: &str) -> Option<&'a RawValue> {
        match name {
            "kms_key_id" => self.kms_key_id,
            "kms_key_arn" => self.kms_key_arn,
            "kms_master_key_id" => self.kms_master_key_id,
            "kms_key" => self.kms_key,
            "kms_encryption_key" => self.kms_encryption_key,
            "storage_encrypted" => self.storage_encrypted,
            "encrypted" => self.encrypted,
            "at_rest_encryption_enabled" => self.at_rest_encryption_enabled,
            "encryption_type" => self.encryption_type,
            "server_side_encryption" => self.server_side_encryption,
            "encrypt_at_rest" => self.encrypt_at_rest,
            "encryption_specification" => self.encryption_specification,
            "encryption_configuration" => self.encryption_configuration,
            "server_side_encryption_configuration" => self.server_side_encryption_configuration,
            "rule" => self.rule,
            "bucket" => self.bucket,
            "key_id" => self.key_id,
            "target_key_id" => self.target_key_id,
            "target_key_arn" => self.target_key_arn,
            "name" => self.name,
            "replica" => self.replica,
            _ => None,
        }
    }
}

impl<'a> Attrs<'a> {
    /// A raw attribute by name.
    pub(super) fn raw(&self, name: &str) -> Option<&'a RawValue> {
        match name {
            "kms_key_id" => self.kms_key_id,
            "kms_key_arn" => self.kms_key_arn,
            "kms_master_key_id" => self.kms_master_key_id,
            "kms_key" => self.kms_key,
            "kms_encryption_key" => self.kms_encryption_key,
            "storage_encrypted" => self.storage_encrypted,
            "encrypted" => self.encrypted,
            "at_rest_encryption_enabled" => self.at_rest_encryption_enabled,
            "encryption_type" => self.encryption_type,
            "server_side_encryption" => self.server_side_encryption,
            "encrypt_at_rest" => self.encrypt_at_rest,
            "encryption_specification" => self.encryption_specification,
            "encryption_configuration" => self.encryption_configuration,
            "server_side_encryption_configuration" => self.server_side_encryption_configuration,
            "rule" => self.rule,
            "bucket" => self.bucket,
            "key_id" => self.key_id,
            "target_key_id" => self.target_key_id,
            "target_key_arn" => self.target_key_arn,
            "name" => self.name,
            "replica" => self.replica,
            _ => None,
        }
    }
}

/// `after_unknown` for the same attributes.
#[derive(Deserialize, Default)]
pub(super) struct Unknowns<'a> {
    #[serde(default)]
    pub tags: UnknownMark,
    #[serde(default)]
    pub tags_all: UnknownMark,
    #[serde(default)]
    pub region: UnknownMark,
    #[serde(default)]
    pub is_enabled: UnknownMark,
    #[serde(default)]
    pub enabled: UnknownMark,
    #[serde(default)]
    pub key_usage: UnknownMark,
    #[serde(default)]
    pub customer_master_key_spec: UnknownMark,
    #[serde(default)]
    pub destination_region: UnknownMark,
    #[serde(borrow, default)]
    pub kms_key_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub kms_key_arn: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub kms_master_key_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub kms_key: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub kms_encryption_key: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub storage_encrypted: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub encrypted: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub at_rest_encryption_enabled: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub encryption_type: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub server_side_encryption: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub encrypt_at_rest: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub encryption_specification: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub encryption_configuration: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub server_side_encryption_configuration: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub rule: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub bucket: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub key_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub target_key_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub target_key_arn: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub replica: Option<&'a RawValue>,
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
