//! Evaluates a loaded root configuration into the [`Inventory`] the rules
//! read, the way Terraform would, as far as it can offline.
//!
//! Module instances are created on demand, as Terraform's graph would
//! reach them: a reference to `module.db.x` creates `module.db`'s instances
//! (`count` / `for_each` when their value is known) and evaluates its
//! output `x`. Input variables (root values, defaults, module call
//! arguments), locals and outputs are evaluated once each, when first
//! referenced; a cycle gives an unknown, not a loop. Provider
//! configurations (aliases, OpenTofu `for_each`), the `provider`
//! meta-argument, module `providers` maps and the inheritance of the
//! default provider decide each resource's provider, handed to the model as
//! [`ProviderSettings`]; each resource instance is handed over as an
//! [`Instance`] whose attributes are evaluated when the model asks
//! (including `dynamic` blocks). Anything that cannot be evaluated stays
//! unknown with the reason; nothing is guessed. Expansion is bounded: past
//! [`MAX_MODULE_INSTANCES`] module instances or [`MAX_RESOURCE_INSTANCES`]
//! resource instances, evaluation stops with a `module-not-checked`
//! warning where it stopped.

mod expr;
mod functions;
mod values;

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use expr::Ctx;
use values::{first_unknown, number_text, to_text, V};

use super::tree::{Attribute, Block, Body, Expr, ExprKind, Step};
use super::workspace::{Loaded, Module, RootValue, Workspace};
use crate::aws::{kms_data_source, region_attribute_is_own};
use crate::finding::Code;
use crate::model::{
    Instance, Inventory, KmsRefs, Link, Note, ProviderArguments, ProviderLink, ProviderSettings,
    Resource, Site, Values,
};
use crate::source::{Sources, Span};
use crate::value::{Attributes, Unknown, Value};

/// How far a configuration is read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadOptions {
    /// Keep each resource's evaluated values (for JSONPath selectors).
    pub keep_values: bool,
}

/// How deep modules may nest.
const MAX_MODULE_DEPTH: usize = 32;
/// The most instances one `count` / `for_each` expands to.
const MAX_BLOCK_INSTANCES: usize = 1000;
/// The most module instances one root expands to.
pub(crate) const MAX_MODULE_INSTANCES: usize = 10_000;
/// The most resource instances one root expands to.
pub(crate) const MAX_RESOURCE_INSTANCES: usize = 100_000;

pub(super) type InstanceId = usize;

/// Where a variable's value comes from.
enum VarSource<'w> {
    /// A module call's argument, evaluated where the call is.
    Argument { expr: &'w Expr, caller: Caller },
    /// A root value (variable files, `--var`, `TF_VAR_name`).
    Given(V),
    /// The variable's default.
    Default(&'w Expr),
    /// No value: why.
    Missing(String),
}

/// The place a module call is evaluated.
#[derive(Clone)]
struct Caller {
    inst: InstanceId,
    each: Option<Rc<(V, V)>>,
    count: Option<V>,
}

/// A value being computed, or computed.
#[derive(Clone)]
enum Memo {
    Busy,
    Done(V),
}

/// The instances of a module call.
#[derive(Clone)]
enum Instances {
    /// Being created (a reference back to it is a cycle).
    Busy,
    One(InstanceId),
    Counted(Vec<InstanceId>),
    Keyed(BTreeMap<String, InstanceId>),
    /// Not read or not expanded: why its outputs are unknown.
    None(Unknown),
}

/// How a module instance refers to a provider local name.
#[derive(Debug, Clone)]
enum ProviderRef {
    /// A configuration (an index into the evaluator's providers).
    Settings(usize),
    /// OpenTofu `for_each` instances, by key; `Err`: the keys are unknown.
    Iterated(Result<BTreeMap<String, usize>, String>),
    /// No block anywhere: an implicit, empty default configuration.
    Implicit(String),
    /// Nothing reaches the module; why.
    Missing(String),
}

/// One module instance.
pub(super) struct ModuleInstance<'w> {
    module: &'w Module,
    /// The modules of this instance and of its callers (a module calling
    /// one of them calls itself).
    lineage: Vec<&'w Module>,
    /// `module.a["x"].module.b` (empty for the root).
    pub prefix: String,
    /// Call names from the root (`["a", "b"]`), for `modules.json`.
    path: Vec<String>,
    /// The module calls that reach it, outermost first.
    chain: Vec<Link>,
    /// `path.module`.
    pub path_module: String,
    vars: BTreeMap<String, VarSource<'w>>,
    locals: BTreeMap<String, &'w Expr>,
    outputs: BTreeMap<String, &'w Expr>,
    resources: BTreeSet<(String, String)>,
    calls: BTreeMap<String, &'w Block>,
    providers: RefCell<BTreeMap<String, ProviderRef>>,
    memo: RefCell<Memos>,
}

#[derive(Default)]
struct Memos {
    vars: BTreeMap<String, Memo>,
    locals: BTreeMap<String, Memo>,
    outputs: BTreeMap<String, Memo>,
    calls: BTreeMap<String, Instances>,
}

impl ModuleInstance<'_> {
    /// Whether the module declares resource `rtype.name`.
    pub(super) fn declares(&self, rtype: &str, name: &str) -> bool {
        self.resources
            .contains(&(rtype.to_string(), name.to_string()))
    }
}

/// Where a module instance stands: the modules above it (to refuse a
/// module that calls itself), the calls that reach it, its address prefix
/// (`module.a["x"].module.b`) and call path (`["a", "b"]`). The root's is
/// empty.
#[derive(Default)]
struct Placement<'w> {
    lineage: Vec<&'w Module>,
    chain: Vec<Link>,
    prefix: String,
    path: Vec<String>,
}

pub(super) struct Evaluator<'w> {
    workspace: &'w Workspace,
    loaded: &'w Loaded,
    options: ReadOptions,
    /// `path.root`.
    pub root_path: String,
    instances: RefCell<Vec<Rc<ModuleInstance<'w>>>>,
    providers: RefCell<Vec<ProviderSettings>>,
    notes: RefCell<Vec<Note>>,
    /// Module instances that may still be created.
    module_budget: Cell<usize>,
    /// How much more value (see [`expr::weight`]) evaluation may build.
    value_budget: Cell<usize>,
}

/// Evaluates a loaded root configuration into the rules' model.
pub(crate) fn read<'w>(
    workspace: &'w Workspace,
    sources: &'w Sources,
    loaded: &'w Loaded,
    options: ReadOptions,
) -> Inventory<'w> {
    let Some(root) = workspace.module(&loaded.root) else {
        return Inventory::default();
    };
    let ev = Evaluator::new(workspace, loaded, options, root.shown.display().to_string());
    let vars = root_variables(root, &loaded.variables);
    let root_id = ev.create(root, Placement::default(), vars, BTreeMap::new());
    let mut resources = Vec::new();
    let mut budget = MAX_RESOURCE_INSTANCES;
    ev.walk(root_id, &mut resources, &mut budget);
    let names: Vec<String> = ev.instance(root_id).outputs.keys().cloned().collect();
    let outputs = names
        .into_iter()
        .filter_map(|name| match ev.output(root_id, &name, 0) {
            Value::Unknown(Unknown::Attribute { address, .. }) => Some((name, address)),
            _ => None,
        })
        .collect();
    let document = root
        .files
        .first()
        .map(|f| Span::new(f.id, 0..sources.get(f.id).text().len()));
    let texts = loaded
        .modules
        .iter()
        .filter_map(|key| workspace.module(key))
        .flat_map(|m| &m.files)
        .map(|f| (f.id, sources.get(f.id).text()))
        .collect();
    Inventory {
        texts,
        resources,
        // A configuration's resources carry every tag: none is inert.
        inert: Vec::new(),
        providers: ev.providers.into_inner(),
        notes: ev.notes.into_inner(),
        document,
        outputs,
    }
}

/// The root module's variables: given values, else defaults.
fn root_variables<'w>(
    root: &'w Module,
    given: &BTreeMap<String, RootValue>,
) -> BTreeMap<String, VarSource<'w>> {
    let mut vars = BTreeMap::new();
    for block in root.blocks("variable") {
        let Some(name) = block.labels.first() else {
            continue;
        };
        let source = match given.get(name) {
            Some(value) => VarSource::Given(root_value(value, Some(block))),
            None => match block.body.attribute("default") {
                Some(default) => VarSource::Default(&default.expr),
                None => VarSource::Missing(format!(
                    "variable `{name}` has no value (give one with --var, --var-file, a .tfvars file or TF_VAR_{name})"
                )),
            },
        };
        vars.insert(name.clone(), source);
    }
    // Values given for undeclared variables still resolve `var.x`.
    for (name, value) in given {
        vars.entry(name.clone())
            .or_insert_with(|| VarSource::Given(root_value(value, None)));
    }
    vars
}

/// A root value as its variable's type asks: a `--var` / `TF_VAR_` string
/// is HCL when the type is a collection or object, else a string.
fn root_value(value: &RootValue, variable: Option<&Block>) -> V {
    match value {
        RootValue::Value(v) => v.clone(),
        RootValue::Raw(text) => {
            let declared_type = variable.and_then(|v| v.body.attribute("type"));
            let complex = declared_type.is_some_and(|t| {
                let shown = match &t.expr.kind {
                    ExprKind::String(s) => s.clone(),
                    _ => t.expr.to_string(),
                };
                ["list", "map", "set", "object", "tuple"]
                    .iter()
                    .any(|c| shown.trim_start_matches("${").starts_with(c))
                    || matches!(t.expr.kind, ExprKind::Call { .. })
            });
            if complex {
                match super::hcl::expression(text) {
                    Some(expr) => literal(&expr),
                    None => Value::unknown(format!(
                        "the value {:?} is not an HCL expression tierkey reads",
                        crate::source::clip(text, 80)
                    )),
                }
            } else {
                Value::String(Cow::Owned(text.clone()))
            }
        }
        RootValue::Expr(expr) => literal(expr),
    }
}

/// A value written without references (a `.tfvars` file, a `-var`
/// value): evaluated in an empty module, where any reference fails.
fn literal(expr: &Expr) -> V {
    let workspace = Workspace::default();
    let loaded = Loaded::empty();
    let module = Module::empty();
    let options = ReadOptions { keep_values: false };
    let ev = Evaluator::new(&workspace, &loaded, options, ".".into());
    let id = ev.create(
        &module,
        Placement::default(),
        BTreeMap::new(),
        BTreeMap::new(),
    );
    Ctx::new(&ev, id).eval(expr)
}

impl<'w> Evaluator<'w> {
    fn new(
        workspace: &'w Workspace,
        loaded: &'w Loaded,
        options: ReadOptions,
        root_path: String,
    ) -> Self {
        Evaluator {
            workspace,
            loaded,
            options,
            root_path,
            instances: RefCell::new(Vec::new()),
            providers: RefCell::new(Vec::new()),
            notes: RefCell::new(Vec::new()),
            module_budget: Cell::new(MAX_MODULE_INSTANCES),
            value_budget: Cell::new(expr::MAX_VALUE_WEIGHT),
        }
    }

    fn instance(&self, id: InstanceId) -> Rc<ModuleInstance<'w>> {
        Rc::clone(&self.instances.borrow()[id])
    }

    /// Creates a module instance where `place` says: its variables, locals,
    /// outputs, and the provider configurations it declares or receives.
    fn create(
        &self,
        module: &'w Module,
        place: Placement<'w>,
        vars: BTreeMap<String, VarSource<'w>>,
        passed: BTreeMap<String, ProviderRef>,
    ) -> InstanceId {
        let Placement {
            mut lineage,
            chain,
            prefix,
            path,
        } = place;
        lineage.push(module);
        let mut inst = ModuleInstance {
            module,
            lineage,
            chain,
            path_module: module.shown.display().to_string(),
            prefix,
            path,
            vars,
            locals: BTreeMap::new(),
            outputs: BTreeMap::new(),
            resources: BTreeSet::new(),
            calls: BTreeMap::new(),
            providers: RefCell::new(passed),
            memo: RefCell::new(Memos::default()),
        };
        for block in module.files.iter().flat_map(|f| &f.body.blocks) {
            match block.kind.as_str() {
                "locals" => {
                    for attr in &block.body.attributes {
                        inst.locals.insert(attr.name.clone(), &attr.expr);
                    }
                }
                "output" => {
                    if let (Some(name), Some(value)) =
                        (block.labels.first(), block.body.attribute("value"))
                    {
                        inst.outputs.insert(name.clone(), &value.expr);
                    }
                }
                "resource" => {
                    if let [rtype, name] = block.labels.as_slice() {
                        inst.resources.insert((rtype.clone(), name.clone()));
                    }
                }
                "module" => {
                    if let Some(name) = block.labels.first() {
                        inst.calls.insert(name.clone(), block);
                    }
                }
                _ => {}
            }
        }
        let id = {
            let mut instances = self.instances.borrow_mut();
            instances.push(Rc::new(inst));
            instances.len() - 1
        };
        // A module declaring one configuration twice is an input error
        // (the workspace reports it); the first block is the one used.
        let mut declared = BTreeSet::new();
        for block in module.blocks("provider") {
            self.provider(id, block, &mut declared);
        }
        id
    }

    /// Evaluates a `provider "aws"` block of an instance into settings.
    fn provider(&self, id: InstanceId, block: &'w Block, declared: &mut BTreeSet<String>) {
        if block.labels.first().map(String::as_str) != Some("aws") {
            return;
        }
        let inst = self.instance(id);
        let body = &block.body;
        let local = match body.attribute("alias").and_then(|a| a.expr.as_str()) {
            Some(alias) => format!("aws.{alias}"),
            None => "aws".to_string(),
        };
        if !declared.insert(local.clone()) {
            return;
        }
        let key = if inst.prefix.is_empty() {
            local.clone()
        } else {
            format!("{}:{local}", inst.prefix)
        };
        let site = Site::exact(block.file, block.span.clone(), block.focus.clone());
        let settings = |ctx: &Ctx<'_, 'w>, key: String, iterated: bool| {
            let nested = |name: &str, attr: &str| {
                let nested = body.nested(name, block.file);
                let first = nested.first()?;
                first.attribute(attr).map(|a| ctx.eval(&a.expr))
            };
            let arguments = ProviderArguments {
                region: body.attribute("region").map(|a| ctx.eval(&a.expr)),
                iterated,
                default_tags: nested("default_tags", "tags"),
                ignore_keys: nested("ignore_tags", "keys"),
                ignore_key_prefixes: nested("ignore_tags", "key_prefixes"),
            };
            let mut settings = ProviderSettings::new(key, true, arguments, Some(site.clone()));
            settings.region_site = body.attribute("region").map(attribute_site);
            let mut providers = self.providers.borrow_mut();
            providers.push(settings);
            providers.len() - 1
        };
        let ctx = Ctx::new(self, id);
        let reference = match body.attribute("for_each") {
            None => ProviderRef::Settings(settings(&ctx, key, false)),
            Some(each) => {
                ProviderRef::Iterated(match instance_keys_for_each(&ctx.eval(&each.expr)) {
                    Ok(keys) => Ok(keys
                        .into_iter()
                        .map(|(k, v)| {
                            let mut ctx = ctx.clone();
                            ctx.each = Some(Rc::new((Value::String(Cow::Owned(k.clone())), v)));
                            let index = settings(&ctx, format!("{key}[{k:?}]"), true);
                            (k, index)
                        })
                        .collect()),
                    Err(u) => {
                        let index = settings(&ctx, key, true);
                        let _ = index;
                        Err(u.reason())
                    }
                })
            }
        };
        inst.providers.borrow_mut().insert(local, reference);
    }

    /// A memoised value of an instance (a variable, local or output):
    /// computed once; asked for again while it is being computed, it is
    /// unknown (`busy` says why).
    fn memoised(
        &self,
        id: InstanceId,
        table: fn(&mut Memos) -> &mut BTreeMap<String, Memo>,
        name: &str,
        busy: impl FnOnce() -> String,
        compute: impl FnOnce(&ModuleInstance<'w>) -> V,
    ) -> V {
        let inst = self.instance(id);
        let seen = table(&mut inst.memo.borrow_mut())
            .get(name)
            .map(|memo| match memo {
                Memo::Done(v) => v.clone(),
                Memo::Busy => Value::unknown(busy()),
            });
        if let Some(value) = seen {
            return value;
        }
        table(&mut inst.memo.borrow_mut()).insert(name.to_string(), Memo::Busy);
        let value = compute(&inst);
        table(&mut inst.memo.borrow_mut()).insert(name.to_string(), Memo::Done(value.clone()));
        value
    }

    /// `var.name` in an instance.
    fn variable(&self, id: InstanceId, name: &str, depth: usize) -> V {
        let busy = || format!("`var.{name}` depends on itself");
        self.memoised(
            id,
            |m| &mut m.vars,
            name,
            busy,
            |inst| match inst.vars.get(name) {
                Some(VarSource::Given(v)) => v.clone(),
                Some(VarSource::Default(expr)) => {
                    let mut ctx = Ctx::new(self, id);
                    ctx.depth = depth;
                    ctx.eval(expr)
                }
                Some(VarSource::Argument { expr, caller }) => {
                    let mut ctx = Ctx::new(self, caller.inst);
                    ctx.each.clone_from(&caller.each);
                    ctx.count.clone_from(&caller.count);
                    ctx.depth = depth;
                    ctx.eval(expr)
                }
                Some(VarSource::Missing(why)) => Value::unknown(why.clone()),
                None => values::error(format!("variable `{name}` is not declared")),
            },
        )
    }

    /// `local.name` in an instance.
    fn local(&self, id: InstanceId, name: &str, depth: usize) -> V {
        let busy = || format!("`local.{name}` refers to itself");
        self.memoised(
            id,
            |m| &mut m.locals,
            name,
            busy,
            |inst| {
                let Some(expr) = inst.locals.get(name) else {
                    return values::error(format!("`local.{name}` is not defined"));
                };
                let mut ctx = Ctx::new(self, id);
                ctx.depth = depth;
                ctx.eval(expr)
            },
        )
    }

    /// Output `name` of an instance.
    fn output(&self, id: InstanceId, name: &str, depth: usize) -> V {
        let busy = || format!("output `{name}` depends on itself");
        self.memoised(
            id,
            |m| &mut m.outputs,
            name,
            busy,
            |inst| {
                let Some(expr) = inst.outputs.get(name) else {
                    return values::error(format!("the module has no output `{name}`"));
                };
                let mut ctx = Ctx::new(self, id);
                ctx.depth = depth;
                ctx.eval(expr)
            },
        )
    }

    /// Every output of an instance, as an object.
    fn outputs(&self, id: InstanceId, depth: usize) -> V {
        let names: Vec<String> = self.instance(id).outputs.keys().cloned().collect();
        Value::Map(
            names
                .into_iter()
                .map(|n| {
                    let v = self.output(id, &n, depth);
                    (Cow::Owned(n), v)
                })
                .collect(),
        )
    }

    /// `module.call...` in an instance.
    fn module_reference(&self, ctx: &Ctx<'_, 'w>, call: &str, steps: &[Step]) -> V {
        let of_instance = |id: InstanceId, steps: &[Step]| match steps.split_first() {
            Some((Step::Attr(name), rest)) => ctx.apply(self.output(id, name, ctx.depth), rest),
            Some(_) => values::error(format!("`module.{call}` is one instance: name an output")),
            None => self.outputs(id, ctx.depth),
        };
        match self.call_instances(ctx.inst, call) {
            Instances::One(id) => of_instance(id, steps),
            Instances::Busy => Value::unknown(format!("`module.{call}` depends on itself")),
            Instances::None(u) => Value::Unknown(u),
            Instances::Counted(ids) => match steps.split_first() {
                Some((Step::Index(i), rest)) => match values::number(&ctx.eval(i)) {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    Ok(n) if n >= 0.0 && (n as usize) < ids.len() => {
                        of_instance(ids[n as usize], rest)
                    }
                    Ok(_) => values::error(format!("`module.{call}` has no such instance")),
                    Err(e) => e,
                },
                Some((Step::Splat, rest)) => {
                    Value::List(ids.iter().map(|id| of_instance(*id, rest)).collect())
                }
                Some(_) => values::error(format!("`module.{call}` has `count`: index it")),
                None => Value::List(ids.iter().map(|id| self.outputs(*id, ctx.depth)).collect()),
            },
            Instances::Keyed(ids) => match steps.split_first() {
                Some((Step::Index(i), rest)) => match to_text(&ctx.eval(i)) {
                    Ok(k) => ids.get(&k).map_or_else(
                        || values::error(format!("`module.{call}` has no instance {k:?}")),
                        |id| of_instance(*id, rest),
                    ),
                    Err(e) => e,
                },
                Some(_) => values::error(format!("`module.{call}` has `for_each`: index it")),
                None => Value::Map(
                    ids.iter()
                        .map(|(k, id)| (Cow::Owned(k.clone()), self.outputs(*id, ctx.depth)))
                        .collect(),
                ),
            },
        }
    }

    /// The instances of module call `call` in instance `id`, created once.
    fn call_instances(&self, id: InstanceId, call: &str) -> Instances {
        let inst = self.instance(id);
        if let Some(known) = inst.memo.borrow().calls.get(call) {
            return known.clone();
        }
        let Some(block) = inst.calls.get(call).copied() else {
            return Instances::None(Unknown::Error(format!("no module `{call}` is called here")));
        };
        inst.memo
            .borrow_mut()
            .calls
            .insert(call.to_string(), Instances::Busy);
        let instances = self.expand_call(id, &inst, call, block);
        inst.memo
            .borrow_mut()
            .calls
            .insert(call.to_string(), instances.clone());
        instances
    }

    fn expand_call(
        &self,
        id: InstanceId,
        inst: &ModuleInstance<'w>,
        call: &str,
        block: &'w Block,
    ) -> Instances {
        let body = &block.body;
        let source = body
            .attribute("source")
            .and_then(|a| a.expr.as_str())
            .unwrap_or_default();
        let mut path = inst.path.clone();
        path.push(call.to_string());
        let child = self.loaded.module_for(inst.module, &path, source);
        let why = match child.and_then(|k| self.workspace.module(&k)) {
            _ if inst.path.len() >= MAX_MODULE_DEPTH => {
                Err(format!("modules nest more than {MAX_MODULE_DEPTH} levels deep here"))
            }
            Some(module) if inst.lineage.iter().any(|m| std::ptr::eq(*m, module)) => {
                Err("it calls itself".to_string())
            }
            Some(module) if module.files.is_empty() => {
                Err("its directory holds no configuration files".to_string())
            }
            Some(module) => Ok(module),
            None if super::workspace::is_local_source(source) => {
                Err("its directory holds no configuration files".to_string())
            }
            None => Err(
                "a remote module is read once `terraform init` has downloaded it, and .terraform/modules/modules.json names none for this call"
                    .to_string(),
            ),
        };
        let module = match why {
            Ok(module) => module,
            Err(why) => {
                let shown = if source.is_empty() { "(none)" } else { source };
                self.note_module(
                    block,
                    format!("module `{call}` (source {shown}) is not checked: {why}"),
                );
                return Instances::None(Unknown::Because(format!(
                    "module `{call}` is not read: {why}"
                )));
            }
        };
        let ctx = Ctx::new(self, id);
        let keys = match instance_keys(&ctx, body) {
            Ok(keys) => keys,
            Err(u) => return Instances::None(u),
        };
        let prefix_of = |suffix: &str| {
            if inst.prefix.is_empty() {
                format!("module.{call}{suffix}")
            } else {
                format!("{}.module.{call}{suffix}", inst.prefix)
            }
        };
        let mut made = Vec::new();
        for key in keys {
            if self.module_budget.get() == 0 {
                self.note_module(
                    block,
                    format!(
                        "module `{call}` is not fully checked: the configuration expands to more than {MAX_MODULE_INSTANCES} module instances, and evaluation stopped here"
                    ),
                );
                break;
            }
            self.module_budget.set(self.module_budget.get() - 1);
            let caller = Caller {
                inst: id,
                each: key.each.clone(),
                count: key.count.clone(),
            };
            let vars = module_variables(module, body, &caller, call);
            let passed = self.passed_providers(&caller, body);
            let prefix = prefix_of(&key.suffix);
            let mut chain = inst.chain.clone();
            chain.push(Link {
                site: Site::exact(block.file, block.span.clone(), block.focus.clone()),
                instance: prefix.clone(),
            });
            let place = Placement {
                lineage: inst.lineage.clone(),
                chain,
                prefix,
                path: path.clone(),
            };
            let child = self.create(module, place, vars, passed);
            made.push((key, child));
        }
        match body.attribute("count").is_some() {
            true => Instances::Counted(made.into_iter().map(|(_, id)| id).collect()),
            false if body.attribute("for_each").is_some() => Instances::Keyed(
                made.into_iter()
                    .map(|(k, id)| (k.key.unwrap_or_default(), id))
                    .collect(),
            ),
            false => made.first().map_or(
                Instances::None(Unknown::Because(format!("module `{call}` has no instance"))),
                |(_, id)| Instances::One(*id),
            ),
        }
    }

    fn note_module(&self, block: &Block, message: String) {
        let mut notes = self.notes.borrow_mut();
        if notes.iter().any(|n| n.message == message) {
            return;
        }
        notes.push(Note {
            code: Code::ModuleNotChecked,
            message,
            help: "tierkey reads local modules, and remote ones after `terraform init`; check the plan of this configuration to cover the module".into(),
            span: Span::new(block.file, block.span.clone()),
            focus: Span::new(block.file, block.focus.clone()),
        });
    }

    /// The providers a module call passes: its `providers` map, then the
    /// caller's default `aws` (aliases are never inherited).
    fn passed_providers(&self, caller: &Caller, body: &'w Body) -> BTreeMap<String, ProviderRef> {
        let mut ctx = Ctx::new(self, caller.inst);
        ctx.each.clone_from(&caller.each);
        ctx.count.clone_from(&caller.count);
        let mut passed = BTreeMap::new();
        if let Some(map) = body.attribute("providers") {
            if let ExprKind::Object(items) = &map.expr.kind {
                for (child, parent) in items {
                    if let Some(child) = child.reference_text() {
                        passed.insert(child, self.provider_ref(&ctx, parent));
                    }
                }
            }
        }
        if !passed.contains_key("aws") {
            passed.insert("aws".into(), lookup(&self.instance(caller.inst), "aws"));
        }
        passed
    }

    /// The configuration a provider reference names: `aws`, `aws.west`,
    /// `aws.by_region[each.key]` (OpenTofu), or the string `"aws.west"`.
    fn provider_ref(&self, ctx: &Ctx<'_, 'w>, expr: &Expr) -> ProviderRef {
        let inst = self.instance(ctx.inst);
        let (local, index) = match &expr.kind {
            ExprKind::String(s) => (s.clone(), None),
            ExprKind::Traversal { root, steps } => match steps.as_slice() {
                [] => (root.clone(), None),
                [Step::Attr(alias)] => (format!("{root}.{alias}"), None),
                [Step::Attr(alias), Step::Index(i)] => (format!("{root}.{alias}"), Some(i)),
                _ => {
                    return ProviderRef::Missing(format!(
                        "`{expr}` is not a provider configuration reference"
                    ))
                }
            },
            _ => {
                return ProviderRef::Missing(format!(
                    "`{expr}` is not a provider configuration reference"
                ))
            }
        };
        match (lookup(&inst, &local), index) {
            (ProviderRef::Iterated(Ok(keys)), Some(i)) => match to_text(&ctx.eval(i)) {
                Ok(k) => keys.get(&k).map_or_else(
                    || ProviderRef::Missing(format!("`{local}` has no instance {k:?}")),
                    |i| ProviderRef::Settings(*i),
                ),
                Err(v) => ProviderRef::Missing(format!(
                    "the instance of `{local}` is unknown: {}",
                    v.as_unknown_reason()
                )),
            },
            (ProviderRef::Iterated(Err(why)), _) => ProviderRef::Missing(format!(
                "the instances of `{local}` (OpenTofu `for_each`) are unknown: {why}"
            )),
            (found, _) => found,
        }
    }

    /// Walks the instance tree in declaration order, turning resource
    /// instances into model resources.
    fn walk(&self, id: InstanceId, out: &mut Vec<Resource<'w>>, budget: &mut usize) {
        let inst = self.instance(id);
        for block in inst.module.files.iter().flat_map(|f| &f.body.blocks) {
            match block.kind.as_str() {
                "resource" => {
                    let ctx = Ctx::new(self, id);
                    let keys = instance_keys(&ctx, &block.body).unwrap_or_else(|u| {
                        vec![InstanceKey {
                            suffix: "[?]".into(),
                            key: None,
                            each: Some(Rc::new((
                                Value::Unknown(u.clone()),
                                Value::Unknown(u.clone()),
                            ))),
                            count: Some(Value::Unknown(u)),
                        }]
                    });
                    for key in keys {
                        if *budget == 0 {
                            self.note_module(
                                block,
                                format!(
                                    "resources from here on are not checked: the configuration expands to more than {MAX_RESOURCE_INSTANCES} resource instances"
                                ),
                            );
                            return;
                        }
                        *budget -= 1;
                        let mut ctx = ctx.clone();
                        ctx.each = key.each;
                        ctx.count = key.count;
                        out.push(self.resource(&ctx, &inst, block, &key.suffix));
                    }
                }
                "module" => {
                    let Some(call) = block.labels.first() else {
                        continue;
                    };
                    let children: Vec<InstanceId> = match self.call_instances(id, call) {
                        Instances::One(child) => vec![child],
                        Instances::Counted(ids) => ids,
                        Instances::Keyed(ids) => ids.into_values().collect(),
                        Instances::None(_) | Instances::Busy => Vec::new(),
                    };
                    for child in children {
                        self.walk(child, out, budget);
                    }
                }
                _ => {}
            }
        }
    }

    fn resource(
        &self,
        ctx: &Ctx<'_, 'w>,
        inst: &ModuleInstance<'w>,
        block: &'w Block,
        suffix: &str,
    ) -> Resource<'w> {
        let rtype = block.labels.first().cloned().unwrap_or_default();
        let name = block.labels.get(1).map_or("", String::as_str);
        let body = &block.body;
        let address = if inst.prefix.is_empty() {
            format!("{rtype}.{name}{suffix}")
        } else {
            format!("{}.{rtype}.{name}{suffix}", inst.prefix)
        };
        let (local, reference) = if let Some(p) = body.attribute("provider") {
            let local = p.expr.reference_text().unwrap_or_default();
            let local = local.split('[').next().unwrap_or_default().to_string();
            (local, self.provider_ref(ctx, &p.expr))
        } else {
            let local = rtype.split('_').next().unwrap_or("").to_string();
            let reference = lookup(inst, &local);
            (local, reference)
        };
        let is_aws = local == "aws" || local.starts_with("aws.");
        let provider = match reference {
            ProviderRef::Settings(i) => ProviderLink::One(i),
            ProviderRef::Implicit(key) => ProviderLink::Implicit(key),
            ProviderRef::Missing(why) => ProviderLink::Unrecorded { group: None, why },
            ProviderRef::Iterated(_) => ProviderLink::Unrecorded {
                group: None,
                why: format!("`{local}` is an OpenTofu `for_each` provider: name its instance"),
            },
        };
        let own_region = body
            .attribute("region")
            .filter(|_| region_attribute_is_own(&rtype))
            .map(|r| ctx.eval(&r.expr));
        let attributes = BodyAttributes {
            ctx,
            body,
            file: block.file,
        };
        let values = if self.options.keep_values {
            Values::Evaluated(attributes.whole().to_json())
        } else {
            Values::Evaluated(serde_json::Value::Null)
        };
        let mut kms = Vec::new();
        kms_refs_in_body(body, &mut kms);
        let providers = self.providers.borrow();
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
                region_site: body.attribute("region").map(attribute_site),
                tags_site: body.attribute("tags").map(attribute_site),
                key_site: crate::aws::key_attribute(&rtype).and_then(|name| {
                    body.attribute(name).map(attribute_site).or_else(|| {
                        body.blocks_of(name)
                            .next()
                            .map(|b| Site::exact(b.file, b.span.clone(), b.focus.clone()))
                    })
                }),
                chain: inst.chain.clone(),
            },
            &providers,
        )
    }
}

/// Where an attribute is written; a report underlines its name (and what
/// quotes it in JSON), not a value that may be long.
fn attribute_site(attr: &Attribute) -> Site {
    let name_end = (attr.span.start + attr.name.len() + 2).min(attr.span.end);
    Site::exact(attr.file, attr.span.clone(), attr.span.start..name_end)
}

/// The provider configuration a local name (`aws`, `aws.west`) refers to
/// in an instance.
fn lookup(inst: &ModuleInstance<'_>, local: &str) -> ProviderRef {
    if let Some(found) = inst.providers.borrow().get(local) {
        return found.clone();
    }
    if local == "aws" && inst.prefix.is_empty() {
        return ProviderRef::Implicit("aws".into());
    }
    ProviderRef::Missing(if local == "aws" {
        "no provider configuration reaches this module (its region comes from AWS_REGION or a profile at run time)".into()
    } else {
        format!("provider configuration `{local}` is neither declared here nor passed in by the module call's `providers`")
    })
}

/// The variables of a module instance: each from the call's argument of
/// that name, else the variable's default.
fn module_variables<'w>(
    module: &'w Module,
    call: &'w Body,
    caller: &Caller,
    call_name: &str,
) -> BTreeMap<String, VarSource<'w>> {
    let mut vars = BTreeMap::new();
    for block in module.blocks("variable") {
        let Some(name) = block.labels.first() else {
            continue;
        };
        let source = match call.attribute(name) {
            Some(arg) => VarSource::Argument {
                expr: &arg.expr,
                caller: caller.clone(),
            },
            None => match block.body.attribute("default") {
                Some(default) => VarSource::Default(&default.expr),
                None => VarSource::Missing(format!(
                    "module `{call_name}` gives no value for its required variable `{name}`"
                )),
            },
        };
        vars.insert(name.clone(), source);
    }
    vars
}

/// One instance of a block with `count` / `for_each`.
struct InstanceKey {
    /// `""`, `[0]`, `["a"]`.
    suffix: String,
    /// The `for_each` key.
    key: Option<String>,
    each: Option<Rc<(V, V)>>,
    count: Option<V>,
}

/// The instances of a block: one unkeyed instance, or one per `count` /
/// `for_each` element (at most [`MAX_BLOCK_INSTANCES`]). `Err` when the
/// expansion is unknown.
fn instance_keys(ctx: &Ctx<'_, '_>, body: &Body) -> Result<Vec<InstanceKey>, Unknown> {
    if let Some(count) = body.attribute("count") {
        let n = match ctx.eval(&count.expr) {
            Value::Number(n) if n.is_finite() => n,
            Value::String(s) => s
                .parse::<f64>()
                .map_err(|_| Unknown::Error(format!("count {s:?} is not a number")))?,
            Value::Bool(b) => f64::from(u8::from(b)),
            Value::Unknown(u) | Value::Partial(_, u) => return Err(u),
            other => return Err(Unknown::Error(format!("count {other} is not a number"))),
        };
        #[allow(clippy::cast_precision_loss)]
        if n > MAX_BLOCK_INSTANCES as f64 {
            return Err(too_many(&number_text(n)));
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = n.max(0.0) as usize;
        #[allow(clippy::cast_precision_loss)]
        return Ok((0..n)
            .map(|i| InstanceKey {
                suffix: format!("[{i}]"),
                key: None,
                each: None,
                count: Some(Value::Number(i as f64)),
            })
            .collect());
    }
    if let Some(each) = body.attribute("for_each") {
        return Ok(instance_keys_for_each(&ctx.eval(&each.expr))?
            .into_iter()
            .map(|(k, v)| InstanceKey {
                suffix: format!("[{k:?}]"),
                each: Some(Rc::new((Value::String(Cow::Owned(k.clone())), v))),
                key: Some(k),
                count: None,
            })
            .collect());
    }
    Ok(vec![InstanceKey {
        suffix: String::new(),
        key: None,
        each: None,
        count: None,
    }])
}

/// An expansion beyond [`MAX_BLOCK_INSTANCES`]: its instances are not
/// enumerated (a resource stands as one instance of unknown key).
fn too_many(what: &str) -> Unknown {
    Unknown::because(format!(
        "`count` / `for_each` is {what}, and tierkey expands at most {MAX_BLOCK_INSTANCES} instances of one block"
    ))
}

/// The `(each.key, each.value)` pairs of a `for_each` value: a map's
/// entries, or a set of strings (each element both key and value).
fn instance_keys_for_each(value: &V) -> Result<Vec<(String, V)>, Unknown> {
    match value {
        Value::Map(map) if map.len() > MAX_BLOCK_INSTANCES => {
            Err(too_many(&format!("a map of {} elements", map.len())))
        }
        Value::Map(map) => Ok(map
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()),
        Value::List(items) => {
            if let Some(u) = first_unknown(items) {
                return Err(u);
            }
            let keys: BTreeSet<String> = items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            if keys.len() > MAX_BLOCK_INSTANCES {
                return Err(too_many(&format!("a set of {} elements", keys.len())));
            }
            Ok(keys
                .into_iter()
                .map(|k| (k.clone(), Value::String(Cow::Owned(k))))
                .collect())
        }
        Value::Null => Err(Unknown::Error("`for_each` is null".into())),
        Value::Unknown(u) | Value::Partial(_, u) => Err(u.clone()),
        other => Err(Unknown::Error(format!(
            "`for_each` {other} is not a map or a set"
        ))),
    }
}

/// A resource body's attributes, evaluated when the model asks.
struct BodyAttributes<'c, 'e, 'w> {
    ctx: &'c Ctx<'e, 'w>,
    body: &'w Body,
    file: crate::source::FileId,
}

impl BodyAttributes<'_, '_, '_> {
    /// The whole body as an object.
    fn whole(&self) -> V {
        eval_body(self.ctx, self.body, self.file)
    }
}

impl<'a> Attributes<'a> for BodyAttributes<'_, '_, '_> {
    fn get(&self, name: &str) -> Option<Value<'a>> {
        if let Some(attr) = self.body.attribute(name) {
            return Some(self.ctx.eval(&attr.expr));
        }
        nested_blocks(self.ctx, self.body, name, self.file)
    }
}

/// The nested blocks `name` of a body as a list of objects, `dynamic`
/// blocks expanded; `None` when there are none.
fn nested_blocks(
    ctx: &Ctx<'_, '_>,
    body: &Body,
    name: &str,
    file: crate::source::FileId,
) -> Option<V> {
    let mut items: Vec<V> = body
        .blocks_of(name)
        .map(|b| eval_body(ctx, &b.body, file))
        .collect();
    let mut found = !items.is_empty();
    for dynamic in body.dynamic_blocks(name, file) {
        found = true;
        let pairs = match values::pairs(ctx.eval(&dynamic.for_each)) {
            Ok(p) => p,
            Err(e) => return Some(e),
        };
        let iterator = dynamic.iterator.unwrap_or_else(|| name.to_string());
        for (k, v) in pairs {
            let element = Value::Map(
                [(Cow::Borrowed("key"), k), (Cow::Borrowed("value"), v)]
                    .into_iter()
                    .collect(),
            );
            let inner = ctx.bind([(iterator.clone(), element)]);
            items.push(eval_body(&inner, &dynamic.content, file));
        }
    }
    found.then_some(Value::List(items))
}

/// A body as an object: attributes, and nested blocks as lists of objects.
fn eval_body(ctx: &Ctx<'_, '_>, body: &Body, file: crate::source::FileId) -> V {
    let mut map: BTreeMap<Cow<'static, str>, V> = body
        .attributes
        .iter()
        .filter(|a| !(body.json && a.name == "dynamic"))
        .map(|a| (Cow::Owned(a.name.clone()), ctx.eval(&a.expr)))
        .collect();
    let kinds: BTreeSet<&str> = body
        .blocks
        .iter()
        .map(|b| {
            if b.kind == "dynamic" {
                b.labels.first().map_or("", String::as_str)
            } else {
                b.kind.as_str()
            }
        })
        .collect();
    for kind in kinds {
        if let Some(v) = nested_blocks(ctx, body, kind, file) {
            map.insert(Cow::Owned(kind.to_string()), v);
        }
    }
    Value::Map(map)
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
        _ => expr.children().for_each(|child| kms_refs_in(child, out)),
    }
}

impl Value<'_> {
    /// Why a value is unknown (for messages), or its text.
    fn as_unknown_reason(&self) -> String {
        match self {
            Value::Unknown(u) | Value::Partial(_, u) => u.reason(),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::configuration::workspace::Root;
    use crate::source::Sources;

    /// Every local of a one-file root module `main.tf`, evaluated: its
    /// value as text, and for an unknown value the reason.
    fn locals(text: &str) -> BTreeMap<String, String> {
        let mut sources = Sources::default();
        let id = sources.add("main.tf".into(), text.to_string());
        let mut workspace = Workspace::default();
        let dir = PathBuf::from("/nonexistent/tierkey-eval-test");
        let loaded = workspace.load(&Root::File(id, dir), &[], &[], &mut sources);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let root = workspace.module(&loaded.root).expect("root");
        let options = ReadOptions { keep_values: false };
        let ev = Evaluator::new(&workspace, &loaded, options, String::new());
        let vars = root_variables(root, &loaded.variables);
        let inst = ev.create(root, Placement::default(), vars, BTreeMap::new());
        let names: Vec<String> = ev.instance(inst).locals.keys().cloned().collect();
        names
            .into_iter()
            .map(|name| {
                let value = ev.local(inst, &name, 0);
                let shown = match &value {
                    Value::Unknown(u) => format!("unknown: {}", u.reason()),
                    Value::Partial(_, u) => format!("{value} and unknown: {}", u.reason()),
                    known => known.to_string(),
                };
                (name, shown)
            })
            .collect()
    }

    fn check(text: &str, expected: &[(&str, &str)]) {
        let got = locals(text);
        for (name, want) in expected {
            assert_eq!(
                got.get(*name).map(String::as_str),
                Some(*want),
                "local.{name}"
            );
        }
    }

    #[test]
    fn locals_resolve_in_any_order_and_cycles_are_unknown() {
        check(
            r#"locals {
                 b = "${local.a}-b"
                 a = "a"
                 x = local.y
                 y = local.x
                 self = local.self
               }"#,
            &[
                ("b", r#""a-b""#),
                ("x", "unknown: `local.x` refers to itself"),
                ("self", "unknown: `local.self` refers to itself"),
            ],
        );
    }

    #[test]
    fn expressions() {
        check(
            r#"locals {
                 cond   = 1 + 2 * 3 == 7 ? "yes" : "no"
                 neg    = !true || -(4 - 6) > 1
                 tpl    = "%{ for i, v in ["a", "b"] }${i}${v}%{ endfor }%{ if false }x%{ else }y%{ endif }"
                 heredoc = <<-EOT
                   one ${upper("two")}
                   EOT
                 for_map = { for k, v in { A = 1, B = 2 } : lower(k) => v * 10 if v > 1 }
                 grouped = { for s in ["ab", "ac", "b"] : substr(s, 0, 1) => s... }
                 splat   = [{ n = 1 }, { n = 2 }][*].n
                 index   = { a = ["x", "y"] }.a[1]
                 missing = { a = 1 }.b
               }"#,
            &[
                ("cond", r#""yes""#),
                ("neg", "true"),
                ("tpl", r#""0a1by""#),
                ("heredoc", "\"one TWO\\n\""),
                ("for_map", r#"{"b":20}"#),
                ("grouped", r#"{"a":["ab","ac"],"b":["b"]}"#),
                ("splat", "[1,2]"),
                ("index", r#""y""#),
                ("missing", "unknown: the object has no attribute `b`"),
            ],
        );
    }

    #[test]
    fn functions() {
        check(
            r#"locals {
                 merged   = merge({ a = 1, b = 1 }, { b = 2 })
                 lookup   = lookup({ a = "x" }, "b", "default")
                 coalesce = coalesce("", null, "first")
                 format   = format("%s-%03d-%.1f-%v-%+05d-%-3s|%x", "k", 7, 2.25, true, -4, "a", 255)
                 wide     = format("%99999999999999999999d", 1)
                 join     = join(",", concat(["a"], ["b", "c"]))
                 try      = try({ a = 1 }.b, "fallback")
                 can      = can({ a = 1 }.b)
                 element  = element(["a", "b"], 3)
                 keys     = keys({ b = 1, a = 2 })
                 zipmap   = zipmap(["a", "b"], [1, 2])
                 flatten  = flatten([["a"], [["b"]], []])
                 distinct = distinct(["a", "b", "a"])
                 replace  = replace("a-b-c", "-", "_")
                 regex    = replace("abc", "/[ab]/", "x")
                 range    = range(3)
                 json     = jsondecode("{\"a\":[1,true]}")
                 spread   = max([1, 5, 3]...)
                 file     = file("x.txt")
               }"#,
            &[
                ("merged", r#"{"a":1,"b":2}"#),
                ("lookup", r#""default""#),
                ("coalesce", r#""first""#),
                ("format", r#""k-007-2.2-true--0004-a  |ff""#),
                ("wide", "unknown: format: a width or precision above 1024"),
                ("join", r#""a,b,c""#),
                ("try", r#""fallback""#),
                ("can", "false"),
                ("element", r#""b""#),
                ("keys", r#"["a","b"]"#),
                ("zipmap", r#"{"a":1,"b":2}"#),
                ("flatten", r#"["a","b"]"#),
                ("distinct", r#"["a","b"]"#),
                ("replace", r#""a_b_c""#),
                ("regex", r#""xxc""#),
                ("range", "[0,1,2]"),
                ("json", r#"{"a":[1,true]}"#),
                ("spread", "5"),
                (
                    "file",
                    "unknown: `file(...)` reads files, which tierkey does not evaluate",
                ),
            ],
        );
    }

    #[test]
    fn unknowns_keep_what_is_known() {
        check(
            r#"variable "v" {}
               locals {
                 later   = merge({ tier = "database" }, var.v)
                 earlier = merge(var.v, { tier = "database" })
                 both    = coalesce("known", var.v)
                 cond    = var.v ? "a" : "b"
               }"#,
            &[
                (
                    "earlier",
                    r#"{"tier":"database"} and unknown: variable `v` has no value (give one with --var, --var-file, a .tfvars file or TF_VAR_v)"#,
                ),
                ("both", r#""known""#),
            ],
        );
        let got = locals(
            r#"variable "v" {}
                            locals { later = merge({ tier = "database" }, var.v) }"#,
        );
        // The unknown map may replace the tier tag.
        assert!(
            got["later"].starts_with(r#"{"tier":(unknown)} and unknown"#),
            "{}",
            got["later"]
        );
    }

    /// A configuration that doubles a list 64 times (or a string) would
    /// take all memory: past the budget its values are unknown, quickly.
    #[test]
    fn runaway_values_become_unknown() {
        let mut text = String::from("locals {\n  l0 = [1]\n  s0 = \"ab\"\n");
        for i in 1..=64 {
            let p = i - 1;
            text.push_str(&format!("  l{i} = concat(local.l{p}, local.l{p})\n"));
            text.push_str(&format!("  s{i} = \"${{local.s{p}}}${{local.s{p}}}\"\n"));
        }
        text.push_str("  grid = [for a in range(1024) : [for b in range(1024) : [for c in range(1024) : c]]]\n}\n");
        let got = locals(&text);
        for name in ["l64", "s64", "grid"] {
            assert_eq!(
                got[name], "unknown: the configuration computes more values than tierkey evaluates",
                "{name}"
            );
        }
        let small = locals("locals {\n a = [1]\n b = concat(local.a, local.a)\n}");
        assert_eq!(small["b"], "[1,1]");
    }

    #[test]
    fn every_supported_function_is_evaluated() {
        for name in functions::supported() {
            let got = locals(&format!("locals {{ x = {name}() }}"));
            assert!(
                !got["x"].contains("is not evaluated offline"),
                "{name}: {}",
                got["x"]
            );
        }
    }
}
