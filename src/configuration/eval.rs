//! Evaluates a loaded root configuration into the [`Inventory`] the rules
//! read, the way Terraform would, as far as it can offline.
//!
//! It walks module instances from the root (`count` / `for_each` when their
//! value is known), binds input variables (root values, defaults, module
//! call arguments), locals, provider configurations and aliases, the
//! `provider` meta-argument, module `providers` maps and the inheritance of
//! the default provider. It hands each provider configuration to the model
//! as [`ProviderSettings`] and each resource instance as an [`Instance`]
//! whose attributes are evaluated on demand. Anything it cannot evaluate
//! stays unknown with the expression named; nothing is guessed.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use super::tree::{Block, Body, Expr, ExprKind, Step, TemplatePart};
use super::workspace::{canonical, is_local_source, Loaded, Module, ModuleKey, Workspace};
use crate::aws::{kms_data_source, region_attribute_is_own};
use crate::finding::Code;
use crate::model::{
    Instance, Inventory, KmsRefs, Note, ProviderArguments, ProviderLink, ProviderSettings,
    Resource, Site, Values,
};
use crate::source::{Sources, Span};
use crate::value::{Attributes, Value};

/// How far a configuration is read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadOptions<'o> {
    pub default_region: Option<&'o str>,
    /// Keep each resource's evaluated values (for JSONPath selectors).
    pub keep_values: bool,
}

/// How deep modules may nest before evaluation stops.
const MAX_MODULE_DEPTH: usize = 32;
/// How deep locals may refer to locals.
const MAX_LOCAL_DEPTH: usize = 16;
/// The most instances one `count` / `for_each` expands to.
const MAX_INSTANCES: u32 = 1000;

/// The meta-arguments of a `module` block (not input variables).
const MODULE_META: &[&str] = &[
    "source",
    "version",
    "providers",
    "count",
    "for_each",
    "depends_on",
];

/// How a module instance refers to a provider local name.
#[derive(Debug, Clone)]
enum ProviderRef {
    /// A configuration (an index into the evaluator's providers).
    Settings(usize),
    /// No block anywhere: an implicit, empty default configuration.
    Implicit(String),
    /// Nothing reaches the module; why.
    Missing(String),
}

/// A module instance being evaluated.
struct Scope<'w> {
    /// `module.a["x"].module.b` (empty for the root).
    prefix: String,
    vars: BTreeMap<String, Value<'static>>,
    locals: BTreeMap<String, &'w Expr>,
    providers: BTreeMap<String, ProviderRef>,
}

struct Evaluator<'w> {
    workspace: &'w Workspace,
    options: ReadOptions<'w>,
    providers: Vec<ProviderSettings>,
    resources: Vec<Resource<'w>>,
    notes: Vec<Note>,
    /// The modules being evaluated, outermost first.
    stack: Vec<ModuleKey>,
}

/// Evaluates a loaded root configuration into the rules' model.
pub(crate) fn read<'w>(
    workspace: &'w Workspace,
    sources: &'w Sources,
    loaded: &Loaded,
    options: ReadOptions<'w>,
) -> Inventory<'w> {
    let mut evaluator = Evaluator {
        workspace,
        options,
        providers: Vec::new(),
        resources: Vec::new(),
        notes: Vec::new(),
        stack: Vec::new(),
    };
    evaluator.module(
        &loaded.root,
        String::new(),
        loaded.variables.clone(),
        BTreeMap::new(),
    );
    let document = workspace
        .module(&loaded.root)
        .and_then(|m| m.files.first())
        .map(|f| Span::new(f.id, 0..sources.get(f.id).text().len()));
    let texts = loaded
        .modules
        .iter()
        .filter_map(|key| workspace.module(key))
        .flat_map(|m| &m.files)
        .map(|f| (f.id, sources.get(f.id).text()))
        .collect();
    let mut inventory = Inventory {
        texts,
        resources: evaluator.resources,
        providers: evaluator.providers,
        notes: evaluator.notes,
        document,
    };
    inventory.settle_regions(options.default_region);
    inventory
}

impl<'w> Evaluator<'w> {
    fn module(
        &mut self,
        key: &ModuleKey,
        prefix: String,
        given: BTreeMap<String, Value<'static>>,
        passed: BTreeMap<String, ProviderRef>,
    ) {
        let workspace = self.workspace;
        let Some(module) = workspace.module(key) else {
            return;
        };
        self.stack.push(key.clone());
        let mut scope = Scope {
            prefix,
            vars: BTreeMap::new(),
            locals: BTreeMap::new(),
            providers: passed,
        };
        // Variables and locals first: everything else may refer to them.
        for block in module.files.iter().flat_map(|f| &f.body.blocks) {
            match block.kind.as_str() {
                "variable" => {
                    let Some(name) = block.labels.first() else {
                        continue;
                    };
                    let value = match given.get(name) {
                        Some(v) => v.clone(),
                        None => match block.body.attribute("default") {
                            Some(default) => self.eval(&default.expr, &scope),
                            None => Value::unknown(format!(
                                "variable `{name}` has no value (give one with --var, --var-file or a .tfvars.json file)"
                            )),
                        },
                    };
                    scope.vars.entry(name.clone()).or_insert(value);
                }
                "locals" => {
                    for attr in &block.body.attributes {
                        scope.locals.insert(attr.name.clone(), &attr.expr);
                    }
                }
                _ => {}
            }
        }
        // Values given for undeclared variables still resolve `var.x`.
        for (name, value) in given {
            scope.vars.entry(name).or_insert(value);
        }
        for block in module
            .files
            .iter()
            .flat_map(|f| f.body.blocks_of("provider"))
        {
            self.provider(block, &mut scope);
        }
        for block in module.files.iter().flat_map(|f| &f.body.blocks) {
            match block.kind.as_str() {
                "resource" => {
                    for instance in self.instance_keys(&block.body, &scope) {
                        let r = self.resource(block, &instance, &scope);
                        self.resources.push(r);
                    }
                }
                "module" => self.call(module, block, &scope),
                _ => {}
            }
        }
        self.stack.pop();
    }

    fn provider(&mut self, block: &Block, scope: &mut Scope<'w>) {
        if block.labels.first().map(String::as_str) != Some("aws") {
            return;
        }
        let body = &block.body;
        let local = match body.attribute("alias").and_then(|a| a.expr.as_str()) {
            Some(alias) => format!("aws.{alias}"),
            None => "aws".to_string(),
        };
        let key = if scope.prefix.is_empty() {
            local.clone()
        } else {
            format!("{}:{local}", scope.prefix)
        };
        let nested_attr = |block: &str, attr: &str| -> Option<Value<'static>> {
            let nested = body.nested(block);
            let first = nested.first()?;
            first.attribute(attr).map(|a| self.eval(&a.expr, scope))
        };
        let arguments = ProviderArguments {
            region: body.attribute("region").map(|a| self.eval(&a.expr, scope)),
            iterated: body.attribute("for_each").is_some(),
            default_tags: nested_attr("default_tags", "tags"),
            ignore_keys: nested_attr("ignore_tags", "keys"),
            ignore_key_prefixes: nested_attr("ignore_tags", "key_prefixes"),
        };
        let site = Site::exact(block.file, block.span.clone(), block.focus.clone());
        self.providers
            .push(ProviderSettings::new(key, true, arguments, Some(site)));
        scope
            .providers
            .insert(local, ProviderRef::Settings(self.providers.len() - 1));
    }

    fn call(&mut self, module: &'w Module, block: &'w Block, scope: &Scope<'w>) {
        let Some(name) = block.labels.first() else {
            return;
        };
        let body = &block.body;
        let source = body
            .attribute("source")
            .and_then(|a| a.expr.as_str())
            .unwrap_or_default();
        let note = |message: String| {
            Note {
            code: Code::ModuleNotChecked,
            message,
            help: "tierkey reads local modules (`./` or `../` sources) only; check the plan of this configuration to cover the module".into(),
            span: Span::new(block.file, block.span.clone()),
            focus: Span::new(block.file, block.focus.clone()),
        }
        };
        if !is_local_source(source) {
            let shown = if source.is_empty() { "(none)" } else { source };
            self.notes.push(note(format!(
                "module `{name}` (source {shown}) is not checked: remote module sources are not fetched"
            )));
            return;
        }
        let key = ModuleKey::Dir(canonical(&module.dir.join(source)));
        let child = self.workspace.module(&key);
        let why = if self.stack.contains(&key) {
            Some("it calls itself")
        } else if child.is_none_or(|m| m.files.is_empty()) {
            Some("its directory holds no .tf.json files")
        } else if self.stack.len() > MAX_MODULE_DEPTH {
            Some("modules nest more than 32 levels deep here")
        } else {
            None
        };
        if let Some(why) = why {
            self.notes.push(note(format!(
                "module `{name}` (source {source}) is not checked: {why}"
            )));
            return;
        }
        // The child's provider map: explicit `providers`, then the default
        // `aws` inherited from the caller.
        let mut passed: BTreeMap<String, ProviderRef> = BTreeMap::new();
        if let Some(map) = body.attribute("providers") {
            if let ExprKind::Object(items) = &map.expr.kind {
                for (child, parent) in items {
                    if let (Some(child), Some(parent)) = (child.as_str(), parent.reference_text()) {
                        passed.insert(child.to_string(), lookup(scope, &parent));
                    }
                }
            }
        }
        if !passed.contains_key("aws") {
            passed.insert("aws".into(), lookup(scope, "aws"));
        }
        for instance in self.instance_keys(body, scope) {
            let given: BTreeMap<String, Value<'static>> = body
                .attributes
                .iter()
                .filter(|a| !MODULE_META.contains(&a.name.as_str()))
                .map(|a| (a.name.clone(), self.eval(&a.expr, scope)))
                .collect();
            let prefix = if scope.prefix.is_empty() {
                format!("module.{name}{instance}")
            } else {
                format!("{}.module.{name}{instance}", scope.prefix)
            };
            self.module(&key, prefix, given, passed.clone());
        }
    }

    /// Instance keys of a block with `count` / `for_each`: `[""]` for one
    /// unkeyed instance; an unresolvable one counts as one possible
    /// instance, `[?]`.
    fn instance_keys(&self, body: &Body, scope: &Scope<'w>) -> Vec<String> {
        if let Some(count) = body.attribute("count") {
            let n = match self.eval(&count.expr, scope) {
                Value::Number(n) if n.is_finite() => Some(n),
                Value::String(s) => s.parse::<f64>().ok(),
                Value::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
                _ => None,
            };
            return match n {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Some(n) => (0..n.clamp(0.0, f64::from(MAX_INSTANCES)) as u32)
                    .map(|i| format!("[{i}]"))
                    .collect(),
                None => vec!["[?]".into()],
            };
        }
        if let Some(each) = body.attribute("for_each") {
            return match self.eval(&each.expr, scope) {
                Value::Map(map) => map
                    .keys()
                    .take(MAX_INSTANCES as usize)
                    .map(|k| format!("[{k:?}]"))
                    .collect(),
                Value::List(items) => {
                    let keys: BTreeSet<String> = items
                        .iter()
                        .filter_map(|v| v.as_str().map(|s| format!("[{s:?}]")))
                        .collect();
                    keys.into_iter().take(MAX_INSTANCES as usize).collect()
                }
                _ => vec!["[?]".into()],
            };
        }
        vec![String::new()]
    }

    fn resource(&self, block: &'w Block, instance: &str, scope: &Scope<'w>) -> Resource<'w> {
        let rtype = block.labels.first().cloned().unwrap_or_default();
        let name = block.labels.get(1).map_or("", String::as_str);
        let body = &block.body;
        let address = if scope.prefix.is_empty() {
            format!("{rtype}.{name}{instance}")
        } else {
            format!("{}.{rtype}.{name}{instance}", scope.prefix)
        };
        let local = body
            .attribute("provider")
            .and_then(|p| p.expr.reference_text())
            .unwrap_or_else(|| rtype.split('_').next().unwrap_or("").to_string());
        let is_aws = local == "aws" || local.starts_with("aws.");
        let provider = match lookup(scope, &local) {
            ProviderRef::Settings(i) => ProviderLink::One(i),
            ProviderRef::Implicit(key) => ProviderLink::Implicit(key),
            ProviderRef::Missing(why) => ProviderLink::Unrecorded { group: None, why },
        };
        let own_region = body
            .attribute("region")
            .filter(|_| region_attribute_is_own(&rtype))
            .map(|r| self.eval(&r.expr, scope));
        let attributes = BodyAttributes {
            evaluator: self,
            body,
            scope,
        };
        let values = if self.options.keep_values {
            Values::Evaluated(self.eval_body(body, scope).to_json())
        } else {
            Values::Evaluated(serde_json::Value::Null)
        };
        let mut kms = Vec::new();
        kms_refs_in_body(body, &mut kms);
        Resource::new(
            Instance {
                address: Cow::Owned(address),
                rtype: Cow::Owned(rtype.clone()),
                is_aws,
                site: Site::exact(block.file, block.span.clone(), block.focus.clone()),
                attributes: &attributes,
                own_region,
                provider,
                arn: None,
                has_tags_all: false,
                forgotten: false,
                values,
                kms_refs: KmsRefs::Found(kms),
            },
            &self.providers,
        )
    }

    /// A body as a map: attributes, and nested blocks as lists of maps.
    fn eval_body(&self, body: &Body, scope: &Scope<'w>) -> Value<'static> {
        let mut map: BTreeMap<Cow<'static, str>, Value<'static>> = body
            .attributes
            .iter()
            .map(|a| (Cow::Owned(a.name.clone()), self.eval(&a.expr, scope)))
            .collect();
        for block in &body.blocks {
            let entry = map
                .entry(Cow::Owned(block.kind.clone()))
                .or_insert_with(|| Value::List(Vec::new()));
            if let Value::List(items) = entry {
                items.push(self.eval_body(&block.body, scope));
            }
        }
        Value::Map(map)
    }

    /// Evaluates an expression in a module instance.
    fn eval(&self, expr: &Expr, scope: &Scope<'w>) -> Value<'static> {
        self.eval_at(expr, scope, 0)
    }

    fn eval_at(&self, expr: &Expr, scope: &Scope<'w>, depth: usize) -> Value<'static> {
        match &expr.kind {
            ExprKind::Null => Value::Null,
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Number(n) => Value::Number(*n),
            ExprKind::String(s) => Value::String(Cow::Owned(s.clone())),
            ExprKind::Tuple(items) => Value::List(
                items
                    .iter()
                    .map(|i| self.eval_at(i, scope, depth))
                    .collect(),
            ),
            ExprKind::Object(items) => Value::Map(
                items
                    .iter()
                    .filter_map(|(k, v)| {
                        let Value::String(key) = self.eval_at(k, scope, depth) else {
                            return None;
                        };
                        Some((key, self.eval_at(v, scope, depth)))
                    })
                    .collect(),
            ),
            ExprKind::Template(parts) => {
                let mut out = String::new();
                for part in parts {
                    match part {
                        TemplatePart::Literal(s) => out.push_str(s),
                        TemplatePart::Interpolation(e) => match self.eval_at(e, scope, depth) {
                            Value::String(s) => out.push_str(&s),
                            Value::Unknown(u) => return Value::Unknown(u),
                            other => return Value::unknown(format!("{other} is not a string")),
                        },
                    }
                }
                Value::String(Cow::Owned(out))
            }
            ExprKind::Traversal { root, steps } => self.reference(expr, root, steps, scope, depth),
            ExprKind::Opaque(text) => {
                Value::unknown(format!("`{text}` cannot be evaluated offline"))
            }
        }
    }

    fn reference(
        &self,
        expr: &Expr,
        root: &str,
        steps: &[Step],
        scope: &Scope<'w>,
        depth: usize,
    ) -> Value<'static> {
        match (root, steps) {
            ("var", [Step::Attr(name)]) => scope
                .vars
                .get(name)
                .cloned()
                .unwrap_or_else(|| Value::unknown(format!("variable `{name}` is not declared"))),
            ("local", [Step::Attr(name)]) => {
                if depth > MAX_LOCAL_DEPTH {
                    return Value::unknown(format!("`local.{name}` refers to itself"));
                }
                let Some(local) = scope.locals.get(name) else {
                    return Value::unknown(format!("`local.{name}` is not defined"));
                };
                match self.eval_at(local, scope, depth + 1) {
                    Value::Unknown(u) => {
                        Value::unknown(format!("`local.{name}` is not a literal ({})", u.reason()))
                    }
                    value => value,
                }
            }
            _ => Value::unknown(format!("`${{{expr}}}` cannot be evaluated offline")),
        }
    }
}

/// A resource body's attributes, evaluated when the model asks.
struct BodyAttributes<'e, 'w> {
    evaluator: &'e Evaluator<'w>,
    body: &'w Body,
    scope: &'e Scope<'w>,
}

impl<'a> Attributes<'a> for BodyAttributes<'_, '_> {
    fn get(&self, name: &str) -> Option<Value<'a>> {
        if let Some(attr) = self.body.attribute(name) {
            return Some(self.evaluator.eval(&attr.expr, self.scope));
        }
        let blocks: Vec<Value<'static>> = self
            .body
            .blocks_of(name)
            .map(|b| self.evaluator.eval_body(&b.body, self.scope))
            .collect();
        (!blocks.is_empty()).then_some(Value::List(blocks))
    }
}

/// The provider configuration a local name (`aws`, `aws.west`) refers to.
fn lookup(scope: &Scope<'_>, local: &str) -> ProviderRef {
    if let Some(found) = scope.providers.get(local) {
        return found.clone();
    }
    if local == "aws" && scope.prefix.is_empty() {
        return ProviderRef::Implicit("aws".into());
    }
    ProviderRef::Missing(if local == "aws" {
        "no provider configuration reaches this module (its region comes from AWS_REGION or a profile at run time)".into()
    } else {
        format!("provider configuration `{local}` is neither declared here nor passed in by the module call's `providers`")
    })
}

/// S12: `data.aws_kms_key.X` / `data.aws_kms_alias.X` anywhere in a body.
fn kms_refs_in_body(body: &Body, out: &mut Vec<String>) {
    for attr in &body.attributes {
        kms_refs_in(&attr.expr, out);
    }
    for block in &body.blocks {
        kms_refs_in_body(&block.body, out);
    }
}

fn kms_refs_in(expr: &Expr, out: &mut Vec<String>) {
    let mut add = |found: Option<String>| {
        if let Some(found) = found {
            if !out.contains(&found) {
                out.push(found);
            }
        }
    };
    match &expr.kind {
        ExprKind::Traversal { root, .. } if root == "data" => {
            add(kms_data_source(&expr.to_string()));
        }
        ExprKind::Opaque(text) => {
            for (at, _) in text.match_indices("data.aws_kms_") {
                add(kms_data_source(&text[at..]));
            }
        }
        ExprKind::Tuple(items) => {
            for i in items {
                kms_refs_in(i, out);
            }
        }
        ExprKind::Object(items) => {
            for (_, v) in items {
                kms_refs_in(v, out);
            }
        }
        ExprKind::Template(parts) => {
            for part in parts {
                if let TemplatePart::Interpolation(e) = part {
                    kms_refs_in(e, out);
                }
            }
        }
        _ => {}
    }
}
