//! From a plan's or state's instances to the model: which instances survive
//! (rule S4), their addresses and places in the input, and their
//! attributes as [`Value`]s (`change.after` with its `after_unknown` marks,
//! or stored values).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::configuration::{kms_data_references, module_path, Configuration};
use super::views::{
    Attrs, Fate, RawStateInstance, RawStateResource, ResourceChange, Unknowns, ValuesModule,
    ValuesResource,
};
use crate::aws::is_aws_provider;
use crate::json::lenient::{LenientMap, LenientStr, UnknownMark};
use crate::json::{object_start, parse_in, string_in, Located};
use crate::model::{Held, Instance, KmsRefs, ProviderLink, Resource, Site, TagKeys, Values};
use crate::source::{range_in, FileId};
use crate::value::{Attributes, Unknown, Value};

pub(super) struct Reader<'t, 'c> {
    pub text: &'t str,
    pub file: FileId,
    pub config: Option<&'c Configuration<'t>>,
    /// Tags under other keys are dropped as each instance is read.
    pub keys: &'c dyn TagKeys,
}

/// What the reader knows about one surviving managed instance.
struct Found<'a> {
    /// Where the instance's object starts in the input.
    start: usize,
    /// Where it ends, when the reader knows.
    end: Option<usize>,
    address: Cow<'a, str>,
    /// The address token, for the human report.
    focus: Range<usize>,
    module: Vec<String>,
    rtype: Cow<'a, str>,
    name: Cow<'a, str>,
    provider_name: Cow<'a, str>,
    /// Raw state: the provider configuration address.
    provider_address: Option<Cow<'a, str>>,
    values: Attrs<'a>,
    unknown: Unknowns<'a>,
    /// The ARN of an object that exists already, from `before`.
    before_arn: Option<Cow<'a, str>>,
    /// No longer managed by the configuration, but still in AWS (S4).
    forgotten: bool,
    /// Where its values are inside its object (for selectors).
    values_at: &'static [&'static str],
}

type Failed = (String, Range<usize>);

impl<'t> Reader<'t, '_> {
    /// Where a located object starts, and its address token.
    fn locate(&self, first_key: Option<usize>, address: &'t RawValue) -> (usize, Range<usize>) {
        let focus = range_in(self.text, address.get());
        (object_start(self.text, first_key, focus.start), focus)
    }

    /// A `resource_changes` entry; `None` when it does not survive (S4).
    pub(super) fn change(
        &self,
        located: Located<Box<ResourceChange<'t>>>,
        providers: &[crate::model::ProviderSettings],
    ) -> Result<Option<Resource<'t>>, Failed> {
        let rc = *located.value;
        // Terraform always writes these: an entry without them is not a
        // plan's, and nothing is guessed for it.
        let at = range_in(self.text, rc.address.get());
        let Some(mode) = rc.mode.0.as_deref() else {
            return Err(("a resource change without a string `mode`".into(), at));
        };
        if rc.rtype.0.is_none() {
            return Err(("a resource change without a string `type`".into(), at));
        }
        if mode != "managed" || rc.deposed.is_some() {
            return Ok(None);
        }
        let Some(change) = rc.change.0 else {
            return Err(("a resource change without a `change` object".into(), at));
        };
        // S4: a forgotten object (a `removed` block with `destroy = false`)
        // stays in AWS, as it was before.
        let forgotten = match change.fate() {
            Fate::Survives => false,
            Fate::Forgotten => true,
            Fate::Gone => return Ok(None),
        };
        let created = change.actions.has("create");
        let (start, focus) = self.locate(located.first_key, rc.address);
        let end = located
            .end
            .and_then(|end| end.checked_sub(self.text.as_ptr() as usize))
            .filter(|&end| end > start && end <= self.text.len());
        let address = string_in(self.text, rc.address.get())?;
        let module = match rc.module_address.0.as_deref() {
            Some(m) => module_path(m),
            None => module_path(&address),
        };
        let before = change.before.0.map(|b| *b).unwrap_or_default();
        let (values, unknown, before_arn) = if forgotten {
            (before, Unknowns::default(), None)
        } else {
            let arn = if created { None } else { before.arn.0 };
            (
                change.after.0.unwrap_or_default(),
                change.after_unknown.0.unwrap_or_default(),
                arn,
            )
        };
        Ok(Some(self.resource(
            Found {
                start,
                end,
                address,
                focus,
                module,
                rtype: rc.rtype.0.unwrap_or_default(),
                name: rc.name.0.unwrap_or_default(),
                provider_name: rc.provider_name.0.unwrap_or_default(),
                provider_address: None,
                values,
                unknown,
                before_arn,
                forgotten,
                values_at: if forgotten {
                    &["change", "before"]
                } else {
                    &["change", "after"]
                },
            },
            providers,
        )))
    }

    /// The managed instances of a value tree (`planned_values`, a state's
    /// `values`), parent modules first, each in file order.
    pub(super) fn values_tree(
        &self,
        module: Option<ValuesModule<'t>>,
        providers: &[crate::model::ProviderSettings],
        out: &mut Held<'t>,
    ) -> Result<(), Failed> {
        let mut stack: Vec<ValuesModule<'t>> = module.into_iter().collect();
        while let Some(module) = stack.pop() {
            for raw in module.resources {
                let located: Located<ValuesResource<'t>> = parse_in(self.text, raw.get())?;
                let vr = located.value;
                let Some(mode) = vr.mode.0.as_deref() else {
                    let at = range_in(self.text, vr.address.get());
                    return Err(("a resource without a string `mode`".into(), at));
                };
                if mode != "managed" || vr.deposed_key.is_some() {
                    continue;
                }
                let (start, focus) = self.locate(located.first_key, vr.address);
                let address = string_in(self.text, vr.address.get())?;
                let resource = self.resource(
                    Found {
                        start,
                        end: None,
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
                        forgotten: false,
                        values_at: &["values"],
                    },
                    providers,
                );
                out.hold(resource, self.keys);
            }
            stack.extend(module.child_modules.into_iter().rev());
        }
        out.resources.sort_by_key(|r| r.site.start);
        Ok(())
    }

    /// The instances of a raw `terraform.tfstate` (version 4).
    pub(super) fn raw_state(
        &self,
        r: RawStateResource<'t>,
        out: &mut Held<'t>,
    ) -> Result<(), Failed> {
        {
            if r.mode.0.as_deref() != Some("managed") {
                return Ok(());
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
            for raw in r.instances {
                let located: Located<RawStateInstance<'t>> = parse_in(self.text, raw.get())?;
                let inst = located.value;
                if inst.deposed.is_some() {
                    continue;
                }
                let start = object_start(
                    self.text,
                    located.first_key,
                    range_in(self.text, raw.get()).start,
                );
                let index = inst
                    .index_key
                    .map(|k| format!("[{}]", k.get()))
                    .unwrap_or_default();
                let resource = self.resource(
                    Found {
                        start,
                        end: None,
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
                        forgotten: false,
                        values_at: &["attributes"],
                    },
                    &[],
                );
                out.hold(resource, self.keys);
            }
        }
        Ok(())
    }

    fn resource(
        &self,
        found: Found<'t>,
        providers: &[crate::model::ProviderSettings],
    ) -> Resource<'t> {
        let block = self
            .config
            .and_then(|c| c.block(&found.module, &found.rtype, &found.name));
        let (provider_key, expressions) = block.map_or((None, None), |(k, e)| (k.as_deref(), *e));
        let provider = match (self.config, &found.provider_address) {
            (Some(config), _) => config.lookup(&found.module, provider_key, &found.provider_name),
            (None, Some(address)) => ProviderLink::Unrecorded {
                group: Some(address.to_string()),
                why: format!("the state does not record the region of `{address}`"),
            },
            (None, None) => ProviderLink::Unrecorded {
                group: None,
                why: "the input records no provider configuration for it".into(),
            },
        };
        // v6 fills `region` at plan time; unknown, it decides only when the
        // configuration writes it (else the provider's region is used).
        // (The configuration is parsed only when the plan leaves the
        // region unknown.)
        let set_in_config = || {
            expressions.is_some_and(|c| {
                serde_json::from_str::<RegionExpression>(c.get()).is_ok_and(|e| e.region.is_some())
            })
        };
        let own_region = match found.values.region.0.clone() {
            Some(r) => Some(Value::String(r)),
            None if found.unknown.mark("region").all && set_in_config() => {
                Some(Value::Unknown(Unknown::UntilApply))
            }
            None => None,
        };
        let is_aws = is_aws_provider(&found.provider_name)
            || (found.provider_name.is_empty() && found.rtype.starts_with("aws_"));
        let arn = found.values.arn.0.clone().or(found.before_arn.clone());
        let prefix = instance_prefix(&found.address, &found.rtype, &found.name);
        let attributes = PlanAttributes {
            values: &found.values,
            unknown: &found.unknown,
            written: self.config.map(|config| Written {
                config,
                expressions,
                parsed: std::cell::OnceCell::new(),
                module: &found.module,
                prefix,
            }),
            keys: self.keys,
        };
        let mut resource = Resource::new(
            Instance {
                address: found.address,
                rtype: found.rtype,
                is_aws,
                site: Site {
                    file: self.file,
                    start: found.start,
                    end: found.end,
                    focus: found.focus,
                },
                attributes: &attributes,
                own_region,
                provider,
                arn,
                has_tags_all: true,
                forgotten: found.forgotten,
                values: Values::InObject(found.values_at),
                kms_refs: expressions
                    .map_or(KmsRefs::None, |e| KmsRefs::Deferred(e, kms_data_references)),
                region_site: None,
                tags_site: None,
                key_site: None,
                chain: Vec::new(),
            },
            providers,
        );
        resource.tags.known.keep_read(self.keys);
        resource
    }
}

/// Whether a resource's configuration writes `region`.
#[derive(serde::Deserialize)]
struct RegionExpression {
    region: Option<IgnoredAny>,
}

/// An instance's planned or stored attributes with their unknown marks,
/// and (in a plan) what its configuration block writes.
struct PlanAttributes<'v, 'a> {
    values: &'v Attrs<'a>,
    unknown: &'v Unknowns<'a>,
    written: Option<Written<'v, 'a>>,
    /// The tag keys the rules read.
    keys: &'v dyn TagKeys,
}

/// What a plan's configuration block writes for an instance: the
/// expressions an unknown value comes from (S14).
struct Written<'v, 'a> {
    config: &'v Configuration<'a>,
    expressions: Option<&'a RawValue>,
    parsed: std::cell::OnceCell<serde_json::Value>,
    module: &'v [String],
    /// The instance's module address prefix (`module.a[0].`).
    prefix: String,
}

impl Written<'_, '_> {
    fn expressions(&self) -> &serde_json::Value {
        self.parsed.get_or_init(|| {
            self.expressions
                .and_then(|raw| serde_json::from_str(raw.get()).ok())
                .unwrap_or(serde_json::Value::Null)
        })
    }
}

/// `module.a[0].aws_s3_bucket.b["x"]` → `module.a[0].`.
fn instance_prefix(address: &str, rtype: &str, name: &str) -> String {
    let local = format!("{rtype}.{name}");
    let mut at = address.len();
    while let Some(found) = address[..at].rfind(&local) {
        if found == 0 || address[..found].ends_with('.') {
            return address[..found].to_string();
        }
        at = found;
    }
    String::new()
}

/// Nested blocks among the raw attributes: a plan does not record
/// `dynamic` blocks in its configuration, so one it marks unknown may be
/// written after all.
const BLOCKS: &[&str] = &[
    "replica",
    "server_side_encryption",
    "encrypt_at_rest",
    "encryption_specification",
    "encryption_configuration",
    "server_side_encryption_configuration",
    "rule",
    "apply_server_side_encryption_by_default",
];

/// A raw attribute (`name`) as a value, with the plan's unknown marks laid
/// over it: an unknown part whose configuration names a resource is that
/// reference ([`Unknown::Attribute`]); an argument the configuration does
/// not write is absent (its default), not unknown (S14b).
fn overlay(
    name: &str,
    value: Option<&serde_json::Value>,
    unknown: Option<&serde_json::Value>,
    expression: Option<&serde_json::Value>,
    written: Option<&Written<'_, '_>>,
) -> Option<Value<'static>> {
    use serde_json::Value as Json;
    if unknown == Some(&Json::Bool(true)) {
        let Some(written) = written else {
            return Some(Value::Unknown(Unknown::UntilApply));
        };
        return match expression {
            None | Some(Json::Null) if BLOCKS.contains(&name) => {
                Some(Value::Unknown(Unknown::UntilApply))
            }
            None | Some(Json::Null) => None,
            Some(e) if e.get("references").is_some() || e.get("constant_value").is_some() => {
                Some(written.config.referent(e, written.module, &written.prefix))
            }
            Some(_) => Some(Value::Unknown(Unknown::UntilApply)),
        };
    }
    match value {
        None | Some(Json::Null) if unknown.is_none_or(|u| !u.is_object() && !u.is_array()) => {
            value.map(Value::from_json)
        }
        Some(Json::Array(items)) => Some(Value::List(
            items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    overlay(
                        name,
                        Some(item),
                        unknown.and_then(|u| u.get(i)),
                        expression.and_then(|e| e.get(i)),
                        written,
                    )
                })
                .collect(),
        )),
        Some(Json::Object(map)) => {
            let mut out = BTreeMap::new();
            let marked = unknown.and_then(Json::as_object);
            let keys = map.keys().chain(marked.into_iter().flat_map(|m| m.keys()));
            for key in keys {
                if out.contains_key(key.as_str()) {
                    continue;
                }
                if let Some(v) = overlay(
                    key,
                    map.get(key),
                    unknown.and_then(|u| u.get(key)),
                    expression.and_then(|e| e.get(key)),
                    written,
                ) {
                    out.insert(Cow::Owned(key.clone()), v);
                }
            }
            Some(Value::Map(out))
        }
        Some(other) => Some(Value::from_json(other)),
        None => None,
    }
}

fn string<'a>(value: &LenientStr<'a>, mark: Option<&UnknownMark>) -> Option<Value<'a>> {
    match (&value.0, mark) {
        (Some(s), _) => Some(Value::String(s.clone())),
        (None, Some(mark)) if mark.all => Some(Value::Unknown(Unknown::UntilApply)),
        (None, _) => None,
    }
}

/// A tag map: the known entries under keys the rules read, and every
/// unknown key as an unknown value (the model drops the other known tags
/// anyway; dropping them here saves building them).
fn tag_map<'a>(
    raw: Option<&'a RawValue>,
    mark: &UnknownMark,
    keys: &dyn TagKeys,
) -> Option<Value<'a>> {
    if mark.all {
        return Some(Value::Unknown(Unknown::UntilApply));
    }
    let mut out: BTreeMap<Cow<'a, str>, Value<'a>> = BTreeMap::new();
    let mut entry = |k: Cow<'a, str>, v: Option<Cow<'a, str>>| match v {
        Some(v) if keys.reads(&k) => {
            out.insert(k, Value::String(v));
        }
        // A later entry replaces an earlier one of the same key.
        Some(_) => {
            out.remove(&k);
        }
        // Terraform writes tag values as strings: anything else is not
        // known to be a tag value, so not decided on.
        None => {
            out.insert(
                k,
                Value::unknown("the plan records a tag value that is not a string"),
            );
        }
    };
    let plain = raw.is_some_and(|r| plain_entries(r.get(), |k, v| entry(k.into(), Some(v.into()))));
    if !plain {
        // A raw slice of an already validated document: it parses again.
        // Entries the plain reading handed over are handed over again, and
        // each key's last entry decides, as before.
        let map: LenientMap<'a> = raw
            .and_then(|r| serde_json::from_str(r.get()).ok())
            .unwrap_or_default();
        if map.0.is_none() && mark.keys.is_empty() {
            return None;
        }
        for (k, v) in map.0.into_iter().flatten() {
            entry(k, v);
        }
    }
    for key in &mark.keys {
        out.insert(Cow::Owned(key.clone()), Value::Unknown(Unknown::UntilApply));
    }
    Some(Value::Map(out))
}

/// Reads a tag map written plainly — an object of strings without escapes,
/// as most are — without a parser, handing each entry to `entry`; false
/// (maybe after some entries) for anything else.
fn plain_entries<'a>(raw: &'a str, mut entry: impl FnMut(&'a str, &'a str)) -> bool {
    let bytes = raw.as_bytes();
    if memchr::memchr(b'\\', bytes).is_some() {
        return false;
    }
    let mut at = 0;
    let next = |at: &mut usize| {
        while bytes.get(*at).is_some_and(u8::is_ascii_whitespace) {
            *at += 1;
        }
        let b = bytes.get(*at).copied();
        *at += 1;
        b
    };
    // A string's text, after its opening quote (no escapes: the next quote
    // closes it).
    let string = |at: &mut usize| -> Option<&'a str> {
        let end = *at + memchr::memchr(b'"', &bytes[*at..])?;
        let text = raw.get(*at..end)?;
        *at = end + 1;
        Some(text)
    };
    if next(&mut at) != Some(b'{') {
        return false;
    }
    let mut first = true;
    loop {
        match next(&mut at) {
            Some(b'}') if first => return true,
            Some(b'"') => {}
            _ => return false,
        }
        first = false;
        let Some(key) = string(&mut at) else {
            return false;
        };
        if next(&mut at) != Some(b':') || next(&mut at) != Some(b'"') {
            return false;
        }
        let Some(value) = string(&mut at) else {
            return false;
        };
        entry(key, value);
        match next(&mut at) {
            Some(b',') => {}
            Some(b'}') => return true,
            _ => return false,
        }
    }
}

impl<'a> Attributes<'a> for PlanAttributes<'_, 'a> {
    fn get(&self, name: &str) -> Option<Value<'a>> {
        let (v, u) = (self.values, self.unknown);
        match name {
            "tags" => tag_map(v.tags, u.mark("tags"), self.keys),
            "tags_all" => tag_map(v.tags_all, u.mark("tags_all"), self.keys),
            "region" => string(&v.region, Some(u.mark("region"))),
            "arn" => string(&v.arn, None),
            "is_enabled" | "enabled" => {
                let (value, mark) = if name == "is_enabled" {
                    (v.is_enabled.0, u.mark("is_enabled"))
                } else {
                    (v.enabled.0, u.mark("enabled"))
                };
                match value {
                    Some(b) => Some(Value::Bool(b)),
                    None if mark.all => Some(Value::Unknown(Unknown::UntilApply)),
                    None => None,
                }
            }
            "key_usage" => string(&v.key_usage, Some(u.mark("key_usage"))),
            "customer_master_key_spec" => string(
                &v.customer_master_key_spec,
                Some(u.mark("customer_master_key_spec")),
            ),
            "key_spec" => string(&v.key_spec, None),
            "destination_region" => {
                string(&v.destination_region, Some(u.mark("destination_region")))
            }
            name => {
                let raw = v.raw.get(name);
                let mark = u.raw.get(name);
                if raw.is_none() && mark.is_none() {
                    return None;
                }
                let parse = |r: Option<&RawValue>| -> Option<serde_json::Value> {
                    r.and_then(|r| serde_json::from_str(r.get()).ok())
                };
                let (value, unknown) = (parse(raw), parse(mark));
                let written = self.written.as_ref();
                // The configuration is read (parsed) only where the plan
                // marks something unknown: only there does it matter.
                let expression = written
                    .filter(|_| mark.is_some())
                    .and_then(|w| w.expressions().get(name));
                overlay(name, value.as_ref(), unknown.as_ref(), expression, written)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Reads(&'static [&'static str]);
    impl TagKeys for Reads {
        fn reads(&self, key: &str) -> bool {
            self.0.contains(&key)
        }
    }

    /// The plain reading and the parser agree: the same entries, the last
    /// of a repeated key deciding, unread keys dropped, a value that is not
    /// a string unknown.
    #[test]
    fn tag_maps_read_plainly_or_parsed_alike() {
        let keys = Reads(&["tier", "b"]);
        let none = UnknownMark::default();
        let read = |raw: &str| {
            let raw: &RawValue = serde_json::from_str(raw).unwrap();
            format!("{:?}", tag_map(Some(raw), &none, &keys))
        };
        for (raw, same_as) in [
            (
                r#"{"tier":"db","a":"x"}"#,
                r#"{ "a" : "x" , "tier" : "\u0064b" }"#,
            ),
            (r#"{"tier":"db","tier":"web"}"#, r#"{"tier":"web"}"#),
            (r#"{"tier":"db","tier":1}"#, r#"{"tier":[1]}"#),
            (r#"{"b":1,"b":"x"}"#, r#"{"b":"x"}"#),
            (r#"{"b":"x","a":"y","tier":null}"#, r#"{"b":"x"}"#),
            ("{}", "{ }"),
        ] {
            assert_eq!(read(raw), read(same_as), "{raw}");
        }
        let mut seen = Vec::new();
        assert!(plain_entries(r#" { "k" : "v" ,"k2":"" } "#, |k, v| seen.push((k, v))));
        assert_eq!(seen, [("k", "v"), ("k2", "")]);
        for not_plain in [
            r#"{"k":"\n"}"#,
            r#"{"k":1}"#,
            r#"{"k":null}"#,
            "[]",
            r#"{"k""#,
            r#"{"k":"v""#,
        ] {
            assert!(!plain_entries(not_plain, |_, _| {}), "{not_plain}");
        }
        assert_eq!(
            read(r#"{"a":"1","tier":"x"}"#),
            r#"Some(Map({"tier": String("x")}))"#
        );
    }
}
