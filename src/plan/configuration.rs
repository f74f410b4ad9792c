//! A plan's `configuration` section: provider configurations, module
//! scopes and their variables, and the configuration block of each
//! resource.
//!
//! The plan records expressions as `{"constant_value": ...}` or
//! `{"references": [...]}`. This module evaluates the ones the rule needs —
//! a constant, or a variable followed up through module calls to the plan's
//! root `variables` — and hands each provider configuration to the model as
//! [`ProviderSettings`]. It also finds which configuration serves an
//! instance (S8.2): Terraform 1.2 and later record it, older plans record a
//! module's last call name only.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use serde_json::value::RawValue;
use serde_json::Value as Json;

use super::views::{ConfigModule, ConfigurationDoc, PlanVariable, ProviderEntry};
use crate::aws::{is_aws_provider, kms_data_source};
use crate::json::lenient::LenientObject;
use crate::json::{key_token, parse_in};
use crate::model::{ProviderArguments, ProviderLink, ProviderSettings, Site};
use crate::source::{range_in, FileId};
use crate::value::{Unknown, Value};

/// One provider configuration of `configuration.provider_config`, as far as
/// lookups need it.
struct Provider {
    key: String,
    /// Local name with alias, e.g. `aws.west`.
    local: String,
    name: String,
    module: Vec<String>,
    /// Whether the entry has expressions (a real `provider` block).
    configured: bool,
}

/// What a module scope knows about its input variables.
#[derive(Default)]
struct Scope {
    /// Variable defaults declared in the module.
    defaults: BTreeMap<String, Json>,
    /// For each call in this module: the call's argument expressions.
    calls: BTreeMap<String, BTreeMap<String, Json>>,
    /// The module's outputs: their expressions.
    outputs: BTreeMap<String, Json>,
}

/// A configuration block's `provider_config_key` and `expressions`.
pub(super) type Block<'a> = (Option<Cow<'a, str>>, Option<&'a RawValue>);

/// A resolved value or why it cannot be known offline.
type Eval = Result<Json, String>;

pub(super) struct Configuration<'a> {
    providers: Vec<Provider>,
    /// The same providers, evaluated, in the same order.
    pub settings: Vec<ProviderSettings>,
    /// Module path -> scope.
    scopes: BTreeMap<Vec<String>, Scope>,
    /// Module path -> `type.name` -> the resource's configuration block.
    resources: BTreeMap<Vec<String>, BTreeMap<String, Block<'a>>>,
    /// The plan's root variable values.
    pub variables: BTreeMap<String, Json>,
}

impl<'a> Configuration<'a> {
    pub(super) fn new(
        text: &'a str,
        file: FileId,
        raw: &'a RawValue,
        variables: Option<&'a RawValue>,
    ) -> Result<Self, (String, Range<usize>)> {
        // Terraform always writes an object here: anything else is not a
        // plan's configuration, and no region is guessed from it.
        if !raw.get().starts_with('{') {
            return Err((
                "`configuration` is not an object".into(),
                range_in(text, raw.get()),
            ));
        }
        let doc: LenientObject<ConfigurationDoc<'a>> = parse_in(text, raw.get())?;
        let doc = doc.0.unwrap_or_default();
        let variables = match variables {
            Some(raw) => {
                let vars: LenientObject<BTreeMap<String, PlanVariable>> =
                    parse_in(text, raw.get())?;
                vars.0
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.value))
                    .collect()
            }
            None => BTreeMap::new(),
        };
        let mut config = Configuration {
            providers: Vec::new(),
            settings: Vec::new(),
            scopes: BTreeMap::new(),
            resources: BTreeMap::new(),
            variables,
        };
        config.index(Vec::new(), doc.root_module);
        for (key, raw) in doc.provider_config {
            let entry: LenientObject<ProviderEntry> = parse_in(text, raw.get())?;
            let Some(entry) = entry.0 else { continue };
            let span = range_in(text, raw.get());
            config.add_provider(
                &key,
                entry,
                Site::exact(file, span.clone(), key_token(text, span.start)),
            );
        }
        Ok(config)
    }

    fn add_provider(&mut self, key: &str, entry: ProviderEntry, site: Site) {
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
        let module = entry
            .module_address
            .as_deref()
            .map(module_scope)
            .unwrap_or_default();
        let expressions = entry.expressions;
        let eval = |expr: Option<&Json>| {
            expr.map(|e| match self.eval(e, &module) {
                Ok(v) => Value::from_json(&v),
                Err(why) => Value::unknown(why),
            })
        };
        let block = |name: &str, attr: &str| -> Option<&Json> {
            let b = expressions.get(name)?;
            let b = b.as_array().and_then(|a| a.first()).unwrap_or(b);
            b.get(attr)
        };
        let region = expressions.get("region");
        // OpenTofu provider `for_each`: the plan records `region = each.key`.
        let iterated = region
            .and_then(first_reference)
            .is_some_and(|r| r.starts_with("each."));
        let arguments = ProviderArguments {
            region: eval(region),
            iterated,
            default_tags: eval(block("default_tags", "tags")),
            ignore_keys: eval(block("ignore_tags", "keys")),
            ignore_key_prefixes: eval(block("ignore_tags", "key_prefixes")),
        };
        self.settings.push(ProviderSettings::new(
            key.to_string(),
            is_aws,
            arguments,
            Some(site),
        ));
        self.providers.push(Provider {
            key: key.to_string(),
            local,
            name,
            module,
            configured: !expressions.is_empty(),
        });
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
            outputs: module
                .outputs
                .into_iter()
                .map(|(k, o)| (k, o.expression))
                .collect(),
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
    fn eval(&self, expr: &Json, scope: &[String]) -> Eval {
        if let Some(v) = expr.get("constant_value") {
            return Ok(v.clone());
        }
        let Some(reference) = first_reference(expr) else {
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

    /// S14: what an attribute's expression names, in the module instance
    /// whose address prefix is `prefix` (`module.a[0].`) and module path
    /// `module`: a constant, or a reference kept as
    /// [`Unknown::Attribute`] with the full address of the resource or
    /// data source, followed up through `var.*` to the calling module's
    /// argument and down through `module.m.out` to the output's
    /// expression. A plan records no `locals`: a reference to one is
    /// unknown, saying so.
    pub(super) fn referent(&self, expr: &Json, module: &[String], prefix: &str) -> Value<'static> {
        self.referent_at(expr, module, prefix, 0)
    }

    fn referent_at(
        &self,
        expr: &Json,
        module: &[String],
        prefix: &str,
        depth: usize,
    ) -> Value<'static> {
        if let Some(v) = expr.get("constant_value") {
            return Value::from_json(v);
        }
        if depth > 32 {
            return Value::unknown("its references nest too deeply to follow");
        }
        let references = expr
            .get("references")
            .and_then(Json::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let Some(reference) = references.first().and_then(Json::as_str) else {
            return Value::Unknown(Unknown::UntilApply);
        };
        let mut parts = reference.splitn(3, '.');
        let (root, second, rest) = (parts.next().unwrap_or(""), parts.next(), parts.next());
        match (root, second) {
            ("var", Some(name)) => {
                let name = name.split('[').next().unwrap_or(name);
                let Some((call, parent)) = module.split_last() else {
                    return self.variables.get(name).map_or_else(
                        || {
                            Value::unknown(format!(
                                "root variable `{name}` has no value in the plan"
                            ))
                        },
                        Value::from_json,
                    );
                };
                let passed = self
                    .scopes
                    .get(parent)
                    .and_then(|s| s.calls.get(call))
                    .and_then(|args| args.get(name));
                match passed {
                    Some(arg) => self.referent_at(arg, parent, &parent_prefix(prefix), depth + 1),
                    None => self
                        .scopes
                        .get(module)
                        .and_then(|s| s.defaults.get(name))
                        .map_or_else(
                            || {
                                Value::unknown(format!(
                                    "variable `{name}` has no value in the plan"
                                ))
                            },
                            Value::from_json,
                        ),
                }
            }
            ("module", Some(call)) => {
                let call = call.split('[').next().unwrap_or(call);
                let Some(output) = rest.map(|r| r.split(['.', '[']).next().unwrap_or(r)) else {
                    return Value::unknown(format!("`{reference}` is a whole module"));
                };
                let mut child = module.to_vec();
                child.push(call.to_string());
                match self.scopes.get(&child).and_then(|s| s.outputs.get(output)) {
                    Some(expr) => self.referent_at(
                        expr,
                        &child,
                        &format!("{prefix}module.{call}."),
                        depth + 1,
                    ),
                    None => Value::unknown(format!("`{reference}` names no output in the plan")),
                }
            }
            ("data", Some(rtype)) => {
                let (name, attribute) = split_instance(rest.unwrap_or(""));
                Value::Unknown(Unknown::Attribute {
                    address: format!("{prefix}data.{rtype}.{name}"),
                    attribute,
                })
            }
            ("local", Some(name)) => Value::unknown(format!(
                "it comes from `local.{name}`, which a plan does not record"
            )),
            (rtype, Some(name_and_rest)) if rtype.starts_with("aws_") => {
                let joined = match rest {
                    Some(r) => format!("{name_and_rest}.{r}"),
                    None => name_and_rest.to_string(),
                };
                let (name, attribute) = split_instance(&joined);
                Value::Unknown(Unknown::Attribute {
                    address: format!("{prefix}{rtype}.{name}"),
                    attribute,
                })
            }
            _ => Value::unknown(format!(
                "it comes from `{reference}`, which tierkey cannot follow offline"
            )),
        }
    }

    /// S17: the root module's outputs that name a resource.
    pub(super) fn root_outputs(&self) -> Vec<(String, String)> {
        let Some(scope) = self.scopes.get(&Vec::new()) else {
            return Vec::new();
        };
        scope
            .outputs
            .iter()
            .filter_map(|(name, expr)| match self.referent(expr, &[], "") {
                Value::Unknown(Unknown::Attribute { address, .. }) => Some((name.clone(), address)),
                _ => None,
            })
            .collect()
    }

    /// The configuration block of instance `rtype.name[...]` in a module.
    pub(super) fn block(&self, module: &[String], rtype: &str, name: &str) -> Option<&Block<'a>> {
        self.resources
            .get(module)?
            .get(format!("{rtype}.{name}").as_str())
    }

    fn by_key(&self, key: &str) -> Option<usize> {
        self.providers.iter().position(|p| p.key == key)
    }

    /// The configuration a module at `module_address` inherits for `local`:
    /// the nearest caller's with a `provider` block, else the root's.
    fn inherited(&self, module_address: &str, local: &str) -> ProviderLink {
        let mut path = module_path(module_address);
        while path.pop().is_some() {
            let key = if path.is_empty() {
                local.to_string()
            } else {
                format!("module.{}:{local}", path.join(".module."))
            };
            if let Some(i) = self.by_key(&key) {
                if path.is_empty() || self.providers[i].configured {
                    return ProviderLink::One(i);
                }
            }
        }
        ProviderLink::Implicit(local.to_string())
    }

    /// S8.2: the provider configuration serving an instance in module
    /// `path` whose configuration says `key`.
    pub(super) fn lookup(
        &self,
        path: &[String],
        key: Option<&str>,
        provider_name: &str,
    ) -> ProviderLink {
        let exact = |key: &str| {
            self.by_key(key)
                .map_or_else(|| ProviderLink::Implicit(key.into()), ProviderLink::One)
        };
        let legacy_local = match key {
            Some(key) => match key.split_once(':') {
                // Terraform >= 1.2 and OpenTofu: the key of the configuration
                // that really serves the instance.
                None => return exact(key),
                Some((prefix, local)) if prefix.starts_with("module.") => {
                    return match self.by_key(key) {
                        Some(i) if self.providers[i].configured => ProviderLink::One(i),
                        // An entry without a `provider` block: the module
                        // inherits its caller's default configuration (Terraform
                        // 1.11 writes such keys inside `count` / `for_each`
                        // modules instead of the caller's key).
                        _ => self.inherited(prefix, local),
                    };
                }
                // Terraform < 1.2: "<last call name>:<local name>".
                Some((_, local)) => local.to_string(),
            },
            // No configuration block for the instance (it was removed from
            // the configuration): a full provider name says nothing about
            // the configuration; Terraform 0.12's short one carries the alias.
            None if provider_name.contains('/') => {
                return ProviderLink::Unrecorded {
                    group: None,
                    why: "the configuration no longer declares it, so the plan does not record its provider configuration".into(),
                }
            }
            None => provider_name.to_string(),
        };
        if let Some(own) = self
            .providers
            .iter()
            .position(|p| p.module == path && p.local == legacy_local && p.configured)
        {
            return ProviderLink::One(own);
        }
        if path.is_empty() {
            return exact(&legacy_local);
        }
        let name = legacy_local.split('.').next().unwrap_or("aws");
        let candidates: Vec<usize> = self
            .providers
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                p.name == name
                    && p.module.len() < path.len()
                    && path.starts_with(&p.module)
                    && (p.module.is_empty() || p.configured)
            })
            .map(|(i, _)| i)
            .collect();
        match candidates[..] {
            [] => ProviderLink::Implicit(name.to_string()),
            [one] => ProviderLink::One(one),
            _ => ProviderLink::AnyOf(
                candidates,
                format!(
                    "plans from Terraform before 1.2 do not record which provider configuration module.{} uses",
                    path.join(".module.")
                ),
            ),
        }
    }
}

/// The first reference of an expression representation.
fn first_reference(expr: &Json) -> Option<&str> {
    expr.get("references")?.as_array()?.first()?.as_str()
}

/// S12: references to KMS data sources anywhere in a resource's
/// configuration expressions (e.g. `kms_key_id = data.aws_kms_key.db.arn`).
pub(super) fn kms_data_references(config: &RawValue) -> Vec<String> {
    fn walk(v: &Json, out: &mut Vec<String>) {
        match v {
            Json::Object(map) => {
                for (k, v) in map {
                    if k == "references" {
                        for r in v.as_array().into_iter().flatten().filter_map(Json::as_str) {
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
            Json::Array(items) => {
                for item in items {
                    walk(item, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = serde_json::from_str::<Json>(config.get()) {
        walk(&value, &mut out);
    }
    out
}

/// Module call names of an absolute address or module address, without
/// instance keys: `module.a["x"].module.b[0].aws_db_instance.d[0]` →
/// `["a", "b"]`.
pub(super) fn module_path(address: &str) -> Vec<String> {
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

/// `module.a[0].module.b.` → `module.a[0].`: the prefix of the calling
/// module instance.
fn parent_prefix(prefix: &str) -> String {
    let trimmed = prefix.strip_suffix('.').unwrap_or(prefix);
    match trimmed.rfind("module.") {
        Some(0) | None => String::new(),
        Some(at) => trimmed[..at].to_string(),
    }
}

/// `db[0].arn` → (`db[0]`, `arn`); `db` → (`db`, an empty attribute).
fn split_instance(name_and_rest: &str) -> (String, String) {
    let name_end = name_and_rest
        .find(['.', '['])
        .unwrap_or(name_and_rest.len());
    let mut end = name_end;
    let bytes = name_and_rest.as_bytes();
    while end < bytes.len() && bytes[end] == b'[' {
        match name_and_rest[end..].find(']') {
            Some(close) => end += close + 1,
            None => break,
        }
    }
    let attribute = name_and_rest[end..].trim_start_matches('.').to_string();
    (name_and_rest[..end].to_string(), attribute)
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
