//! `terraform show -json` / `tofu show -json` plans and states, and raw
//! `terraform.tfstate` files, read into the [`Inventory`] the rule checks.
//!
//! The document is parsed once, typed and borrowed: the top level into raw
//! slices, then only the parts the rule needs (`resource_changes`, or the
//! value trees when there are no changes; `configuration`; `variables`)
//! into small structs that keep `&str` slices of the input. Nothing is copied
//! into a DOM. This module owns the plan-specific half of SPEC S3 (tags from
//! `tags_all`, `after_unknown`, provider `default_tags`), S4 (which
//! instances survive), and S8 (`provider_config_key`, aliases, module
//! scopes, variables, the pre-1.2 key shapes, ARNs).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::error::{ErrorCode, InputError};
use crate::finding::Code;
use crate::json::{
    error_offset, object_start, parse_in, strip_position, LBool, LList, LMap, LObj, LStr, Located,
    Mark,
};
use crate::model::{
    arn_region, extra_regions, is_aws_provider, is_key_type, key_usability, provider_region,
    region_attribute_is_own, DataRegions, Fact, IgnoreTags, Inventory, KeyFacts, KmsRefs, Note,
    ProviderNote, Region, RegionSource, Resource, Tags, TagsUnknown, Usability,
};
use crate::source::{range_in, FileId, Span};
use crate::InputKind;

/// The top level, each member kept as a raw slice until we know the kind.
#[derive(Deserialize)]
struct Top<'a> {
    #[serde(borrow)]
    format_version: Option<&'a RawValue>,
    #[serde(borrow)]
    variables: Option<&'a RawValue>,
    #[serde(borrow)]
    planned_values: Option<&'a RawValue>,
    /// Parsed in the same pass as the top level: the bulk of a plan.
    #[serde(borrow)]
    /// Boxed: the vector's spare capacity then costs a pointer, not an
    /// entry, per element.
    resource_changes: Option<Vec<Located<Box<ResourceChange<'a>>>>>,
    #[serde(borrow)]
    configuration: Option<&'a RawValue>,
    prior_state: Option<IgnoredAny>,
    #[serde(borrow)]
    values: Option<LObj<ValuesRoot<'a>>>,
    #[serde(borrow)]
    errored: Option<&'a RawValue>,
    #[serde(borrow)]
    complete: Option<&'a RawValue>,
    #[serde(borrow)]
    version: Option<&'a RawValue>,
    lineage: Option<IgnoredAny>,
    #[serde(borrow)]
    resources: Option<&'a RawValue>,
    encrypted_data: Option<IgnoredAny>,
    root_module: Option<IgnoredAny>,
    provider_config: Option<IgnoredAny>,
}

/// Reads one document. `text` is the whole file; `body` the range holding
/// the JSON (all of it, or the part inside setup-terraform wrapper output,
/// where trailing text is expected and ignored).
pub(crate) fn read<'a>(
    file: FileId,
    text: &'a str,
    body: Range<usize>,
    trailing_allowed: bool,
    default_region: Option<&str>,
) -> Result<(InputKind, Inventory<'a>), InputError> {
    let json = &text[body.clone()];
    if !json.starts_with('{') {
        // Plans and states are objects; anything else valid is not ours.
        let mut de = serde_json::Deserializer::from_str(json);
        let valid = IgnoredAny::deserialize(&mut de).and_then(|_| {
            if trailing_allowed {
                Ok(())
            } else {
                de.end()
            }
        });
        if valid.is_ok() {
            return Err(InputError::new(
                ErrorCode::NotAPlan,
                "this JSON document is not an object, so it is neither a plan nor a state",
            )
            .help("tierkey reads the output of `terraform show -json PLANFILE` (plans) or `terraform show -json` (state), and raw terraform.tfstate files")
            .at(body.start..body.start + 1));
        }
    }
    let mut de = serde_json::Deserializer::from_str(json);
    let top = Top::deserialize(&mut de).and_then(|top| {
        if !trailing_allowed {
            de.end()?;
        }
        Ok(top)
    });
    let top = top.map_err(|e| {
        let at = body.start + error_offset(json, &e);
        let (message, help) = if e.is_eof() {
            (
                format!("the JSON ends early: {}", strip_position(&e)),
                "the file looks truncated; write it again with `terraform show -json PLANFILE > plan.json`",
            )
        } else {
            (
                format!("invalid JSON: {}", strip_position(&e)),
                "tierkey reads the output of `terraform show -json` / `tofu show -json`",
            )
        };
        InputError::new(ErrorCode::InvalidJson, message).help(help).at(at..at + 1)
    })?;

    if top.encrypted_data.is_some() {
        return Err(InputError::new(
            ErrorCode::EncryptedInput,
            "this is an OpenTofu encrypted plan or state (it has `encrypted_data`)",
        )
        .help("decrypt it with `tofu show -json PLANFILE > plan.json` (OpenTofu needs the encryption key) and check that file")
        .at(body.start..body.start + 1));
    }
    let mut inventory = Inventory {
        texts: vec![(file, text)],
        document: Some(Span::new(file, body.clone())),
        ..Inventory::default()
    };
    let kind = if let Some(fv) = top.format_version {
        check_format_version(text, fv)?;
        if top.planned_values.is_some()
            || top.resource_changes.is_some()
            || top.configuration.is_some()
            || top.prior_state.is_some()
        {
            InputKind::Plan
        } else {
            InputKind::State
        }
    } else if top.version.is_some() && (top.lineage.is_some() || top.resources.is_some()) {
        InputKind::RawState
    } else {
        let help = if top.root_module.is_some() || top.provider_config.is_some() {
            "this looks like a configuration representation (`tofu show -json -config`); check a plan: `terraform show -json PLANFILE > plan.json`"
        } else {
            "tierkey reads the output of `terraform show -json PLANFILE` (plans) or `terraform show -json` (state), and raw terraform.tfstate files"
        };
        return Err(InputError::new(
            ErrorCode::NotAPlan,
            "this JSON is neither a Terraform/OpenTofu plan nor a state (it has no `format_version`)",
        )
        .help(help)
        .at(body.start..body.start + 1));
    };

    let err = |(message, range): (String, Range<usize>)| {
        InputError::new(
            ErrorCode::InvalidJson,
            format!("unexpected plan structure: {message}"),
        )
        .help("is this file the unmodified output of `terraform show -json`?")
        .at(range.start..range.end + 1)
    };
    match kind {
        InputKind::Plan => {
            let config = match top.configuration {
                Some(raw) => Some(Config::new(text, raw, top.variables).map_err(err)?),
                None => None,
            };
            let reader = Reader {
                text,
                file,
                config: config.as_ref(),
            };
            if let Some(changes) = top.resource_changes {
                inventory.resources.reserve_exact(changes.len());
                for change in changes {
                    if let Some(r) = reader.read_change(change).map_err(err)? {
                        inventory.resources.push(r);
                    }
                }
            } else if let Some(raw) = top.planned_values {
                let values: LObj<ValuesRoot<'_>> = parse_in(text, raw.get()).map_err(err)?;
                reader
                    .read_values_tree(values.0.map(|v| v.root_module), &mut inventory.resources)
                    .map_err(err)?;
            }
            if let Some(config) = &config {
                inventory.providers = config.provider_notes(file);
            }
            let notes = [
                (
                    top.errored,
                    "true",
                    Code::PlanErrored,
                    "the plan stopped on errors (`errored: true`); the result covers only the resources it shows",
                ),
                (
                    top.complete,
                    "false",
                    Code::PlanIncomplete,
                    "the plan is partial (`complete: false`, e.g. -target); the result covers only the resources it shows",
                ),
            ];
            for (raw, value, code, message) in notes {
                if let Some(raw) = raw.filter(|r| r.get() == value) {
                    let span = Span::new(file, range_in(text, raw.get()));
                    inventory.notes.push(Note {
                        code,
                        message: message.into(),
                        help: "check a complete plan: fix the errors and run `terraform plan` without -target"
                            .into(),
                        focus: span.clone(),
                        span,
                    });
                }
            }
        }
        InputKind::State => {
            let reader = Reader {
                text,
                file,
                config: None,
            };
            if let Some(values) = top.values {
                reader
                    .read_values_tree(values.0.map(|v| v.root_module), &mut inventory.resources)
                    .map_err(err)?;
            }
        }
        // InputKind::RawState (the other kinds are not documents of ours).
        _ => {
            let version = top.version.map(RawValue::get).unwrap_or_default();
            if version != "4" {
                let range = top
                    .version
                    .map_or(body.start..body.start + 1, |v| range_in(text, v.get()));
                return Err(InputError::new(
                    ErrorCode::UnsupportedFormatVersion,
                    format!(
                        "raw state version {version} is not supported (tierkey reads version 4)"
                    ),
                )
                .help("run `terraform show -json > state.json` and check that file instead")
                .at(range));
            }
            if let Some(raw) = top.resources {
                let resources: Vec<RawStateResource<'_>> =
                    parse_in(text, raw.get()).map_err(err)?;
                Reader {
                    text,
                    file,
                    config: None,
                }
                .read_raw_state(resources, &mut inventory.resources);
            }
        }
    }
    inventory.settle_regions(default_region);
    Ok((kind, inventory))
}

fn check_format_version(text: &str, raw: &RawValue) -> Result<(), InputError> {
    let span = range_in(text, raw.get());
    let version: Option<String> = serde_json::from_str(raw.get()).ok();
    let major = version
        .as_deref()
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    match major {
        Some(0 | 1) => Ok(()),
        _ => Err(InputError::new(
            ErrorCode::UnsupportedFormatVersion,
            format!("format_version {} is not supported", raw.get()),
        )
        .help("tierkey reads format versions 0.x and 1.x (Terraform 0.12 and later, every OpenTofu); a new major version changes the format incompatibly, so upgrade tierkey")
        .at(span)),
    }
}

// ---------------------------------------------------------------------------
// Typed views of the parts we read.

#[derive(Deserialize)]
struct ResourceChange<'a> {
    #[serde(borrow)]
    address: &'a RawValue,
    #[serde(borrow, default)]
    module_address: LStr<'a>,
    #[serde(borrow, default)]
    mode: LStr<'a>,
    #[serde(borrow, default, rename = "type")]
    rtype: LStr<'a>,
    #[serde(borrow, default)]
    name: LStr<'a>,
    #[serde(borrow, default)]
    provider_name: LStr<'a>,
    deposed: Option<IgnoredAny>,
    #[serde(borrow, default)]
    change: LObj<Change<'a>>,
}

#[derive(Deserialize)]
struct Change<'a> {
    #[serde(borrow, default)]
    actions: Vec<Cow<'a, str>>,
    #[serde(borrow, default)]
    before: LObj<Before<'a>>,
    #[serde(borrow, default)]
    after: LObj<Values<'a>>,
    #[serde(default)]
    after_unknown: LObj<Unknowns>,
}

#[derive(Deserialize)]
struct Before<'a> {
    #[serde(borrow, default)]
    arn: LStr<'a>,
}

/// The attributes of an instance the rule reads (from `change.after`,
/// `values`, or raw state `attributes`).
#[derive(Deserialize, Default)]
struct Values<'a> {
    #[serde(borrow, default)]
    tags: LMap<'a>,
    #[serde(borrow, default)]
    tags_all: LMap<'a>,
    #[serde(borrow, default)]
    region: LStr<'a>,
    #[serde(borrow, default)]
    arn: LStr<'a>,
    #[serde(default)]
    is_enabled: LBool,
    #[serde(default)]
    enabled: LBool,
    #[serde(borrow, default)]
    key_usage: LStr<'a>,
    #[serde(borrow, default)]
    customer_master_key_spec: LStr<'a>,
    #[serde(borrow, default)]
    key_spec: LStr<'a>,
    #[serde(borrow, default)]
    replica: LList<Replica<'a>>,
    #[serde(borrow, default)]
    destination_region: LStr<'a>,
}

#[derive(Deserialize)]
struct Replica<'a> {
    #[serde(borrow, default)]
    region_name: LStr<'a>,
}

/// `after_unknown` for the same attributes.
#[derive(Deserialize, Default)]
struct Unknowns {
    #[serde(default)]
    tags: Mark,
    #[serde(default)]
    tags_all: Mark,
    #[serde(default)]
    region: Mark,
    #[serde(default)]
    is_enabled: Mark,
    #[serde(default)]
    enabled: Mark,
    #[serde(default)]
    key_usage: Mark,
    #[serde(default)]
    customer_master_key_spec: Mark,
    #[serde(default)]
    replica: Mark,
    #[serde(default)]
    destination_region: Mark,
}

#[derive(Deserialize)]
struct ValuesRoot<'a> {
    #[serde(borrow, default)]
    root_module: ValuesModule<'a>,
}

#[derive(Deserialize, Default)]
struct ValuesModule<'a> {
    #[serde(borrow, default)]
    resources: Vec<Located<ValuesResource<'a>>>,
    #[serde(borrow, default)]
    child_modules: Vec<ValuesModule<'a>>,
}

#[derive(Deserialize)]
struct ValuesResource<'a> {
    #[serde(borrow)]
    address: &'a RawValue,
    #[serde(borrow, default)]
    mode: LStr<'a>,
    #[serde(borrow, default, rename = "type")]
    rtype: LStr<'a>,
    #[serde(borrow, default)]
    name: LStr<'a>,
    #[serde(borrow, default)]
    provider_name: LStr<'a>,
    #[serde(borrow, default)]
    values: LObj<Values<'a>>,
    deposed_key: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct RawStateResource<'a> {
    #[serde(borrow, default)]
    module: LStr<'a>,
    #[serde(borrow, default)]
    mode: LStr<'a>,
    #[serde(borrow, default, rename = "type")]
    rtype: LStr<'a>,
    #[serde(borrow, default)]
    name: LStr<'a>,
    #[serde(borrow, default)]
    provider: LStr<'a>,
    #[serde(borrow, default)]
    instances: Vec<Located<RawStateInstance<'a>>>,
}

#[derive(Deserialize)]
struct RawStateInstance<'a> {
    #[serde(borrow, default)]
    index_key: Option<&'a RawValue>,
    deposed: Option<IgnoredAny>,
    #[serde(borrow, default)]
    attributes: LObj<Values<'a>>,
}

#[derive(Deserialize, Default)]
struct ConfigurationDoc<'a> {
    #[serde(borrow, default)]
    provider_config: BTreeMap<Cow<'a, str>, &'a RawValue>,
    #[serde(borrow, default)]
    root_module: ConfigModule<'a>,
}

#[derive(Deserialize, Default)]
struct ConfigModule<'a> {
    #[serde(borrow, default)]
    resources: Vec<ConfigResource<'a>>,
    #[serde(borrow, default)]
    module_calls: BTreeMap<String, ModuleCall<'a>>,
    #[serde(default)]
    variables: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
struct ConfigResource<'a> {
    #[serde(borrow)]
    address: Cow<'a, str>,
    #[serde(borrow, default)]
    provider_config_key: LStr<'a>,
    #[serde(borrow, default)]
    expressions: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct ModuleCall<'a> {
    #[serde(default)]
    expressions: BTreeMap<String, Value>,
    #[serde(borrow, default)]
    module: ConfigModule<'a>,
}

#[derive(Deserialize)]
struct ProviderEntry {
    #[serde(default)]
    name: String,
    #[serde(default)]
    full_name: Option<String>,
    #[serde(default)]
    alias: Option<String>,
    #[serde(default)]
    module_address: Option<String>,
    #[serde(default)]
    expressions: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
struct PlanVariable {
    #[serde(default)]
    value: Value,
}

// ---------------------------------------------------------------------------
// The configuration: providers, module scopes, variables.

/// One provider configuration of `configuration.provider_config`.
struct Provider {
    key: String,
    /// Local name with alias, e.g. `aws.west`.
    local: String,
    name: String,
    module: Vec<String>,
    is_aws: bool,
    expressions: serde_json::Map<String, Value>,
    span: Range<usize>,
    /// The entry's key token (`"aws.west"`).
    focus: Range<usize>,
}

/// What a module scope knows about its input variables.
#[derive(Default)]
struct Scope {
    /// Variable defaults declared in the module.
    defaults: BTreeMap<String, Value>,
    /// For each call in this module: the call's argument expressions.
    calls: BTreeMap<String, BTreeMap<String, Value>>,
}

struct Config<'a> {
    providers: Vec<Provider>,
    /// Module path -> scope.
    scopes: BTreeMap<Vec<String>, Scope>,
    /// Module path -> `type.name` -> (provider_config_key, expressions).
    resources: BTreeMap<Vec<String>, BTreeMap<String, ConfigEntry<'a>>>,
    variables: BTreeMap<String, Value>,
}

/// A configuration block's `provider_config_key` and `expressions`.
type ConfigEntry<'a> = (Option<Cow<'a, str>>, Option<&'a RawValue>);

/// A provider configuration's object and key token.
type ProviderAt = (FileId, Range<usize>, Range<usize>);

/// A resolved value or why it cannot be known offline.
type Eval = Result<Value, String>;

/// How one instance's provider configuration was found.
enum Lookup<'c> {
    One(&'c Provider),
    /// Pre-1.2 plans: any of these may serve the module.
    Several(Vec<&'c Provider>, String),
    /// No `provider_config` entry: an implicit, empty configuration.
    Implicit(String),
}

impl<'a> Config<'a> {
    fn new(
        text: &'a str,
        raw: &'a RawValue,
        variables: Option<&'a RawValue>,
    ) -> Result<Self, (String, Range<usize>)> {
        let doc: LObj<ConfigurationDoc<'a>> = parse_in(text, raw.get())?;
        let doc = doc.0.unwrap_or_default();
        let mut providers = Vec::new();
        for (key, raw) in doc.provider_config {
            let entry: LObj<ProviderEntry> = parse_in(text, raw.get())?;
            let Some(entry) = entry.0 else { continue };
            let name = if entry.name.is_empty() {
                key.rsplit(':')
                    .next()
                    .unwrap_or("")
                    .split('.')
                    .next()
                    .unwrap_or("")
                    .to_string()
            } else {
                entry.name
            };
            let local = match &entry.alias {
                Some(alias) => format!("{name}.{alias}"),
                None => key.rsplit(':').next().unwrap_or(&name).to_string(),
            };
            let is_aws = entry
                .full_name
                .as_deref()
                .map_or(name == "aws", is_aws_provider);
            providers.push(Provider {
                key: key.into_owned(),
                local,
                name,
                module: entry
                    .module_address
                    .as_deref()
                    .map(module_scope)
                    .unwrap_or_default(),
                is_aws,
                expressions: entry.expressions,
                span: range_in(text, raw.get()),
                focus: key_token(text, range_in(text, raw.get()).start),
            });
        }
        let variables = match variables {
            Some(raw) => {
                let vars: LObj<BTreeMap<String, PlanVariable>> = parse_in(text, raw.get())?;
                vars.0
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.value))
                    .collect()
            }
            None => BTreeMap::new(),
        };
        let mut config = Config {
            providers,
            scopes: BTreeMap::new(),
            resources: BTreeMap::new(),
            variables,
        };
        config.index(Vec::new(), doc.root_module);
        Ok(config)
    }

    fn index(&mut self, path: Vec<String>, module: ConfigModule<'a>) {
        let blocks = self.resources.entry(path.clone()).or_default();
        for r in module.resources {
            blocks.insert(
                r.address.into_owned(),
                (r.provider_config_key.0, r.expressions),
            );
        }
        let mut scope = Scope {
            defaults: module
                .variables
                .into_iter()
                .filter_map(|(k, mut v)| v.get_mut("default").map(|d| (k, d.take())))
                .collect(),
            calls: BTreeMap::new(),
        };
        for (name, call) in module.module_calls {
            scope.calls.insert(name.clone(), call.expressions);
            let mut child = path.clone();
            child.push(name);
            self.index(child, call.module);
        }
        self.scopes.insert(path, scope);
    }

    /// Evaluates an expression representation in a module scope: a
    /// constant, or a reference to an input variable (followed up through
    /// module calls to the plan's root `variables`).
    fn eval(&self, expr: &Value, scope: &[String]) -> Eval {
        if let Some(v) = expr.get("constant_value") {
            return Ok(v.clone());
        }
        let first = expr
            .get("references")
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .and_then(Value::as_str);
        let Some(reference) = first else {
            return Err(
                "it is computed by an expression that tierkey cannot evaluate offline".into(),
            );
        };
        let Some(var) = reference.strip_prefix("var.") else {
            return Err(if reference.starts_with("each.") {
                format!("it comes from `{reference}` of an OpenTofu provider `for_each`, which the plan does not record per instance")
            } else {
                format!("it comes from `{reference}`, which tierkey cannot evaluate offline")
            });
        };
        if var.contains(['.', '[']) {
            return Err(format!("it comes from `{reference}`, a part of a variable"));
        }
        self.variable(var, scope)
    }

    fn variable(&self, name: &str, scope: &[String]) -> Eval {
        let Some((call, parent)) = scope.split_last() else {
            return self
                .variables
                .get(name)
                .filter(|v| !v.is_null())
                .cloned()
                .ok_or_else(|| format!("root variable `{name}` has no value in the plan"));
        };
        let passed = self
            .scopes
            .get(parent)
            .and_then(|s| s.calls.get(call))
            .and_then(|args| args.get(name));
        if let Some(expr) = passed {
            return self.eval(expr, parent);
        }
        self.scopes
            .get(scope)
            .and_then(|s| s.defaults.get(name))
            .filter(|v| !v.is_null())
            .cloned()
            .ok_or_else(|| {
                format!(
                    "variable `{name}` of module.{} has no value in the plan",
                    scope.join(".module.")
                )
            })
    }

    /// The configuration block of instance `rtype.name[...]` in a module.
    fn resource(&self, module: &[String], rtype: &str, name: &str) -> Option<&ConfigEntry<'a>> {
        self.resources
            .get(module)?
            .get(format!("{rtype}.{name}").as_str())
    }

    fn by_key(&self, key: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.key == key)
    }

    /// S8.2: the provider configuration serving an instance in module
    /// `path` whose configuration says `key`.
    fn lookup(&self, path: &[String], key: Option<&str>, provider_name: &str) -> Lookup<'_> {
        let legacy_local = match key {
            Some(key) => match key.split_once(':') {
                // Terraform >= 1.2 and OpenTofu: the key of the configuration
                // that really serves the instance.
                None => {
                    return self
                        .by_key(key)
                        .map_or_else(|| Lookup::Implicit(key.into()), Lookup::One)
                }
                Some((prefix, _)) if prefix.starts_with("module.") => {
                    return self
                        .by_key(key)
                        .map_or_else(|| Lookup::Implicit(key.into()), Lookup::One)
                }
                // Terraform < 1.2: "<last call name>:<local name>".
                Some((_, local)) => local.to_string(),
            },
            // No configuration block for the instance; Terraform 0.12's
            // provider_name carries the alias.
            None if provider_name.contains('/') => "aws".to_string(),
            None => provider_name.to_string(),
        };
        if let Some(own) = self
            .providers
            .iter()
            .find(|p| p.module == path && p.local == legacy_local && !p.expressions.is_empty())
        {
            return Lookup::One(own);
        }
        if path.is_empty() {
            return self
                .by_key(&legacy_local)
                .map_or_else(|| Lookup::Implicit(legacy_local.clone()), Lookup::One);
        }
        let name = legacy_local.split('.').next().unwrap_or("aws");
        let candidates: Vec<&Provider> = self
            .providers
            .iter()
            .filter(|p| {
                p.name == name
                    && p.module.len() < path.len()
                    && path.starts_with(&p.module)
                    && (p.module.is_empty() || !p.expressions.is_empty())
            })
            .collect();
        match candidates.len() {
            0 => Lookup::Implicit(name.to_string()),
            1 => Lookup::One(candidates[0]),
            _ => Lookup::Several(
                candidates,
                format!(
                    "plans from Terraform before 1.2 do not record which provider configuration module.{} uses",
                    path.join(".module.")
                ),
            ),
        }
    }

    fn region_of(&self, p: &Provider) -> Result<String, (String, bool)> {
        let value = p.expressions.get("region").map(|e| self.eval(e, &p.module));
        // OpenTofu provider `for_each`: `region = each.key`.
        let per_instance = matches!(&value, Some(Err(why)) if why.contains("for_each"));
        provider_region(&p.key, value, per_instance)
    }

    /// The effective `default_tags` and `ignore_tags` of a provider.
    fn tag_rules(&self, p: &Provider) -> (Tags<'static>, IgnoreTags) {
        let block = |name: &str, attr: &str| -> Option<&Value> {
            let b = p.expressions.get(name)?;
            let b = b.as_array().and_then(|a| a.first()).unwrap_or(b);
            b.get(attr)
        };
        let defaults = match block("default_tags", "tags") {
            None => Tags::default(),
            Some(expr) => Tags::from_json(
                self.eval(expr, &p.module),
                &format!("the default_tags of provider configuration `{}`", p.key),
            ),
        };
        let list = |attr: &str| -> Vec<String> {
            block("ignore_tags", attr)
                .and_then(|e| self.eval(e, &p.module).ok())
                .and_then(|v| v.as_array().cloned())
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        (
            defaults,
            IgnoreTags {
                keys: list("keys"),
                key_prefixes: list("key_prefixes"),
            },
        )
    }

    fn provider_notes(&self, file: FileId) -> Vec<ProviderNote> {
        self.providers
            .iter()
            .filter(|p| p.is_aws)
            .filter_map(|p| {
                let (_, ignore) = self.tag_rules(p);
                (!ignore.keys.is_empty() || !ignore.key_prefixes.is_empty()).then(|| ProviderNote {
                    key: p.key.clone(),
                    file,
                    span: p.span.clone(),
                    focus: p.focus.clone(),
                    ignore,
                })
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------
// From parsed instances to model resources.

struct Reader<'t, 'c> {
    text: &'t str,
    file: FileId,
    config: Option<&'c Config<'t>>,
}

/// What a parser knows about one surviving managed instance.
struct Instance<'a> {
    /// Where the instance's object starts in the input.
    start: usize,
    address: Cow<'a, str>,
    /// The address token, for the human report.
    focus: Range<usize>,
    module: Vec<String>,
    rtype: Cow<'a, str>,
    name: Cow<'a, str>,
    provider_name: Cow<'a, str>,
    /// Raw state: the provider configuration address.
    provider_address: Option<Cow<'a, str>>,
    values: Values<'a>,
    unknown: Unknowns,
    /// The region of an object that already exists, from `before`.
    before_arn: Option<Cow<'a, str>>,
}

type Failed = (String, Range<usize>);

impl<'t> Reader<'t, '_> {
    /// Where a located object starts, and its address token.
    fn locate(&self, first_key: Option<usize>, address: &'t RawValue) -> (usize, Range<usize>) {
        let focus = range_in(self.text, address.get());
        (object_start(self.text, first_key, focus.start), focus)
    }

    fn read_change(
        &self,
        located: Located<Box<ResourceChange<'t>>>,
    ) -> Result<Option<Resource<'t>>, Failed> {
        let rc = *located.value;
        if rc.mode.0.as_deref() != Some("managed") || rc.deposed.is_some() {
            return Ok(None);
        }
        let Some(change) = rc.change.0 else {
            return Ok(None);
        };
        // S4: membership, not whole arrays.
        let survives = change
            .actions
            .iter()
            .any(|a| matches!(a.as_ref(), "create" | "update" | "no-op"));
        if !survives {
            return Ok(None);
        }
        let (start, focus) = self.locate(located.first_key, rc.address);
        let address: Cow<'t, str> = parse_in(self.text, rc.address.get())?;
        let module = match rc.module_address.0.as_deref() {
            Some(m) => module_path(m),
            None => module_path(&address),
        };
        let creates = change.actions.iter().any(|a| a == "create");
        let before_arn = if creates {
            None
        } else {
            change.before.0.and_then(|b| b.arn.0)
        };
        Ok(Some(self.resource(Instance {
            start,
            address,
            focus,
            module,
            rtype: rc.rtype.0.unwrap_or_default(),
            name: rc.name.0.unwrap_or_default(),
            provider_name: rc.provider_name.0.unwrap_or_default(),
            provider_address: None,
            values: change.after.0.unwrap_or_default(),
            unknown: change.after_unknown.0.unwrap_or_default(),
            before_arn,
        })))
    }

    fn read_values_tree(
        &self,
        module: Option<ValuesModule<'t>>,
        out: &mut Vec<Resource<'t>>,
    ) -> Result<(), Failed> {
        let mut stack: Vec<ValuesModule<'t>> = module.into_iter().collect();
        while let Some(module) = stack.pop() {
            for located in module.resources {
                let vr = located.value;
                if vr.mode.0.as_deref() != Some("managed") || vr.deposed_key.is_some() {
                    continue;
                }
                let (start, focus) = self.locate(located.first_key, vr.address);
                let address: Cow<'t, str> = parse_in(self.text, vr.address.get())?;
                out.push(self.resource(Instance {
                    start,
                    module: module_path(&address),
                    address,
                    focus,
                    rtype: vr.rtype.0.unwrap_or_default(),
                    name: vr.name.0.unwrap_or_default(),
                    provider_name: vr.provider_name.0.unwrap_or_default(),
                    provider_address: None,
                    values: vr.values.0.unwrap_or_default(),
                    unknown: Unknowns::default(),
                    before_arn: None,
                }));
            }
            stack.extend(module.child_modules.into_iter().rev());
        }
        // Parent modules first, each in file order.
        out.sort_by_key(|r| r.start);
        Ok(())
    }

    fn read_raw_state(&self, resources: Vec<RawStateResource<'t>>, out: &mut Vec<Resource<'t>>) {
        for r in resources {
            if r.mode.0.as_deref() != Some("managed") {
                continue;
            }
            let rtype = r.rtype.0.unwrap_or_default();
            let name = r.name.0.unwrap_or_default();
            let module_prefix = r.module.0.map(|m| format!("{m}.")).unwrap_or_default();
            let provider = r.provider.0.unwrap_or_default();
            // provider["registry.terraform.io/hashicorp/aws"].west
            let provider_name = provider.split('"').nth(1).map_or_else(
                || provider.trim_start_matches("provider.").to_string(),
                str::to_string,
            );
            for located in r.instances {
                let inst = located.value;
                if inst.deposed.is_some() {
                    continue;
                }
                let start = object_start(self.text, located.first_key, 0);
                let index = inst
                    .index_key
                    .map(|k| format!("[{}]", k.get()))
                    .unwrap_or_default();
                out.push(self.resource(Instance {
                    start,
                    address: Cow::Owned(format!("{module_prefix}{rtype}.{name}{index}")),
                    // A raw state has no address token: underline the `{`.
                    focus: start..start + 1,
                    module: Vec::new(),
                    rtype: rtype.clone(),
                    name: name.clone(),
                    provider_name: Cow::Owned(provider_name.clone()),
                    provider_address: Some(provider.clone()),
                    values: inst.attributes.0.unwrap_or_default(),
                    unknown: Unknowns::default(),
                    before_arn: None,
                }));
            }
        }
    }

    fn resource(&self, inst: Instance<'t>) -> Resource<'t> {
        let entry = self
            .config
            .and_then(|c| c.resource(&inst.module, &inst.rtype, &inst.name));
        let (provider_key, config) = entry.map_or((None, None), |(k, e)| (k.as_deref(), *e));
        let lookup = self
            .config
            .map(|c| c.lookup(&inst.module, provider_key, &inst.provider_name));

        let (region, region_source, provider_group, provider_span) =
            self.region(&inst, lookup.as_ref(), config);
        let tags = self.tags(&inst, lookup.as_ref());
        let usability = if is_key_type(&inst.rtype) {
            key_usability(
                &inst.rtype,
                &key_facts(&inst.rtype, &inst.values, &inst.unknown),
            )
        } else {
            Usability::Usable
        };
        let extra_regions = extra_regions(
            &inst.rtype,
            &inst.address,
            &data_regions(&inst.values, &inst.unknown),
        );
        let is_aws = is_aws_provider(&inst.provider_name)
            || (inst.provider_name.is_empty() && inst.rtype.starts_with("aws_"));
        Resource {
            file: self.file,
            address: inst.address,
            rtype: inst.rtype,
            is_aws,
            start: inst.start,
            end: None,
            body: None,
            focus: inst.focus,
            region,
            region_source,
            provider_group,
            provider_span,
            extra_regions,
            tags,
            usability,
            kms_refs: config.map_or(KmsRefs::None, KmsRefs::PlanExpressions),
        }
    }

    /// S8 steps 1-3 (steps 4-5 run across instances in `settle_regions`).
    fn region(
        &self,
        inst: &Instance<'t>,
        lookup: Option<&Lookup<'_>>,
        config: Option<&RawValue>,
    ) -> (Region, RegionSource, Option<String>, Option<ProviderAt>) {
        if region_attribute_is_own(&inst.rtype) {
            if let Some(r) = inst.values.region.0.as_deref().filter(|r| !r.is_empty()) {
                return (
                    Region::known(r, "its `region` argument"),
                    RegionSource::Settled,
                    None,
                    None,
                );
            }
            let set_in_config = config.is_some_and(|c| {
                serde_json::from_str::<BTreeMap<String, IgnoredAny>>(c.get())
                    .is_ok_and(|m| m.contains_key("region"))
            });
            if inst.unknown.region.all && set_in_config {
                return (
                    Region::unknown(None, "its `region` argument is unknown until apply"),
                    RegionSource::Settled,
                    None,
                    None,
                );
            }
        }
        let mut group = None;
        let mut span = None;
        let mut why = "the input records no provider configuration for it".to_string();
        if let Some(provider) = &inst.provider_address {
            group = Some(provider.to_string());
            why = format!("the state does not record the region of `{provider}`");
        }
        if let (Some(config), Some(lookup)) = (self.config, lookup) {
            match lookup {
                Lookup::One(p) => {
                    span = Some((self.file, p.span.clone(), p.focus.clone()));
                    match config.region_of(p) {
                        Ok(r) => {
                            let how = format!("provider configuration `{}`", p.key);
                            return (
                                Region::known(r, how),
                                RegionSource::Settled,
                                Some(p.key.clone()),
                                span,
                            );
                        }
                        Err((w, shared)) => {
                            why = w;
                            group = shared.then(|| p.key.clone());
                        }
                    }
                }
                Lookup::Several(candidates, w) => {
                    let regions: Vec<_> = candidates.iter().map(|p| config.region_of(p)).collect();
                    if let Some(Ok(first)) = regions.first() {
                        if regions.iter().all(|r| r.as_ref().is_ok_and(|r| r == first)) {
                            let how = format!(
                                "the provider configurations its module could use ({}), all in {first}",
                                candidates.iter().map(|p| format!("`{}`", p.key)).collect::<Vec<_>>().join(", ")
                            );
                            return (
                                Region::known(first.clone(), how),
                                RegionSource::Settled,
                                None,
                                None,
                            );
                        }
                    }
                    let listed = candidates
                        .iter()
                        .zip(&regions)
                        .map(|(p, r)| {
                            format!(
                                "`{}` ({})",
                                p.key,
                                r.as_ref().map_or("unknown", String::as_str)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    why = format!("{w}; it could be any of {listed}");
                }
                Lookup::Implicit(key) => {
                    why = format!(
                        "provider configuration `{key}` has no block in the configuration (its region comes from AWS_REGION or a profile at run time)"
                    );
                    group = Some(key.clone());
                }
            }
        }
        let arn = inst.values.arn.0.as_deref().or(inst.before_arn.as_deref());
        if let Some(r) = arn.and_then(arn_region) {
            return (Region::known(r, "its ARN"), RegionSource::Arn, group, span);
        }
        (
            Region::unknown(group.clone(), why),
            RegionSource::Pending,
            group,
            span,
        )
    }

    /// S3: `tags_all` when known, else provider default tags merged with
    /// the resource's own tags.
    fn tags(&self, inst: &Instance<'t>, lookup: Option<&Lookup<'_>>) -> Tags<'t> {
        let to_tags = |map: &LMap<'t>| -> BTreeMap<Cow<'t, str>, Cow<'t, str>> {
            map.0.iter().flatten().cloned().collect()
        };
        if inst.values.tags_all.0.is_some() && !inst.unknown.tags_all.all {
            return Tags {
                known: to_tags(&inst.values.tags_all),
                unknown: keys_unknown(&inst.unknown.tags_all),
            };
        }
        let own = if inst.unknown.tags.all {
            Tags {
                known: BTreeMap::new(),
                unknown: TagsUnknown::All("its tags are unknown until apply".into()),
            }
        } else {
            Tags {
                known: to_tags(&inst.values.tags),
                unknown: keys_unknown(&inst.unknown.tags),
            }
        };
        let (defaults, ignore) = match (self.config, lookup) {
            (Some(config), Some(Lookup::One(p))) => config.tag_rules(p),
            (Some(config), Some(Lookup::Several(candidates, why))) => {
                let rules: Vec<_> = candidates.iter().map(|p| config.tag_rules(p)).collect();
                if rules.windows(2).all(|w| w[0] == w[1]) {
                    rules.into_iter().next().unwrap_or_default()
                } else {
                    (
                        Tags {
                            known: BTreeMap::new(),
                            unknown: TagsUnknown::All(format!(
                                "its default_tags are unknown: {why}"
                            )),
                        },
                        IgnoreTags::default(),
                    )
                }
            }
            _ => Default::default(),
        };
        Tags::merged(defaults, own, &ignore)
    }
}

fn keys_unknown(mark: &Mark) -> TagsUnknown {
    if mark.all {
        TagsUnknown::All("its tags are unknown until apply".into())
    } else if mark.keys.is_empty() {
        TagsUnknown::None
    } else {
        TagsUnknown::Keys(mark.keys.clone())
    }
}

/// S7: the key attributes of a planned or stored value.
fn key_facts(rtype: &str, values: &Values<'_>, unknown: &Unknowns) -> KeyFacts {
    let until_apply = || "is unknown until apply".to_string();
    let (enabled, enabled_unknown) = if rtype == "aws_kms_key" {
        (values.is_enabled.0, unknown.is_enabled.all)
    } else {
        (values.enabled.0, unknown.enabled.all)
    };
    let text = |v: &LStr<'_>, unknown: bool| match v.0.as_deref() {
        Some(s) => Fact::Known(s.to_string()),
        None if unknown => Fact::Unknown(until_apply()),
        None => Fact::Absent,
    };
    KeyFacts {
        enabled: match enabled {
            Some(b) => Fact::Known(b),
            None if enabled_unknown => Fact::Unknown(until_apply()),
            None => Fact::Absent,
        },
        key_usage: text(&values.key_usage, unknown.key_usage.all),
        spec: match text(
            &values.customer_master_key_spec,
            unknown.customer_master_key_spec.all,
        ) {
            Fact::Absent => text(&values.key_spec, false),
            fact => fact,
        },
    }
}

/// S9: the attributes of a planned or stored value that place data elsewhere.
fn data_regions(values: &Values<'_>, unknown: &Unknowns) -> DataRegions {
    let until_apply = || "is unknown until apply".to_string();
    DataRegions {
        replicas: values
            .replica
            .0
            .iter()
            .map(|r| match r.region_name.0.as_deref() {
                Some(name) => Fact::Known(name.to_string()),
                None => Fact::Unknown(until_apply()),
            })
            .collect(),
        replicas_unknown: unknown
            .replica
            .all
            .then(|| "are unknown until apply".to_string()),
        destination: match values.destination_region.0.as_deref() {
            Some(r) => Some(Fact::Known(r.to_string())),
            None if unknown.destination_region.all => Some(Fact::Unknown(until_apply())),
            None => None,
        },
    }
}

/// Module call names of an absolute address or module address, without
/// instance keys: `module.a["x"].module.b[0].aws_db_instance.d[0]` →
/// `["a", "b"]`.
pub(crate) fn module_path(address: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = address;
    while let Some(after) = rest.strip_prefix("module.") {
        let end = after.find(['.', '[']).unwrap_or(after.len());
        out.push(after[..end].to_string());
        rest = &after[end..];
        if rest.starts_with('[') {
            rest = skip_index(rest);
        }
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    out
}

/// The module of a provider entry's `module_address`: `module.a.module.b`,
/// or Terraform 0.12's `a.b`.
fn module_scope(module_address: &str) -> Vec<String> {
    if module_address.starts_with("module.") {
        module_path(module_address)
    } else {
        module_address
            .split('.')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// The `"key"` token of the object member whose value starts at `value`:
/// back over `:` and white space to the closing quote, then to the opening
/// one. Falls back to the value's first byte.
fn key_token(text: &str, value: usize) -> Range<usize> {
    let bytes = text.as_bytes();
    let skip_ws = |mut i: usize| {
        while i > 0 && bytes[i - 1].is_ascii_whitespace() {
            i -= 1;
        }
        i
    };
    let colon = skip_ws(value);
    if colon == 0 || bytes[colon - 1] != b':' {
        return value..value + 1;
    }
    let close = skip_ws(colon - 1);
    if close == 0 || bytes[close - 1] != b'"' {
        return value..value + 1;
    }
    let mut open = close - 1;
    while open > 0 {
        open -= 1;
        let escaped = bytes[..open]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count()
            % 2
            == 1;
        if bytes[open] == b'"' && !escaped {
            return open..close;
        }
    }
    value..value + 1
}

/// Skips `[0]` or `["key"]` (with escapes) at the start of `s`.
fn skip_index(s: &str) -> &str {
    let bytes = s.as_bytes();
    let mut i = 1;
    if bytes.get(1) == Some(&b'"') {
        i = 2;
        while i < bytes.len() && bytes[i] != b'"' {
            i += if bytes[i] == b'\\' { 2 } else { 1 };
        }
        i += 1;
    }
    while i < bytes.len() && bytes[i] != b']' {
        i += 1;
    }
    &s[(i + 1).min(s.len())..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths() {
        assert_eq!(module_path("aws_db_instance.d"), Vec::<String>::new());
        assert_eq!(module_path("module.a.aws_db_instance.d"), vec!["a"]);
        assert_eq!(
            module_path(r#"module.a["x.y]"].module.b[0].aws_db_instance.d[0]"#),
            vec!["a", "b"]
        );
        assert_eq!(module_path("module.a.module.b"), vec!["a", "b"]);
        assert_eq!(module_path("null_resource.x"), Vec::<String>::new());
        assert_eq!(module_scope("db"), vec!["db"]);
        assert_eq!(module_scope("a.b"), vec!["a", "b"]);
        assert_eq!(module_scope("module.a.module.b"), vec!["a", "b"]);
    }
}
