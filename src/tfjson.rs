//! JSON configurations — native `.tf.json` / `.tofu.json` modules, CDKTF
//! synth output and hcl2json output — read into the same [`Inventory`] as
//! plans, so the rule is the same rule.
//!
//! Loading ([`load`]) reads a root module's files and, recursively, the local
//! modules it calls (`source` starting `./` or `../`), into [`Sources`].
//! Reading ([`read`]) then evaluates the configuration the way Terraform
//! would, as far as it can offline: module instances (`count` / `for_each`
//! when literal), input variables (defaults, `terraform.tfvars.json`,
//! `*.auto.tfvars.json`, `--var-file`, `--var`), literal locals, provider
//! configurations and aliases, the `provider` meta-argument, module
//! `providers` maps and the inheritance of the default provider, provider
//! `default_tags` / `ignore_tags`, and the S7/S9/S12 attributes. Anything it
//! cannot evaluate stays unknown with the expression named; nothing is guessed.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use crate::error::{ErrorCode, InputError};
use crate::finding::Code;
use crate::json::{error_offset, strip_position};
use crate::model::{
    extra_regions, is_key_type, key_usability, kms_data_source, provider_region,
    region_attribute_is_own, DataRegions, Fact, IgnoreTags, Inventory, KeyFacts, KmsRefs, Note,
    ProviderNote, Region, RegionSource, Resource, Tags, TagsUnknown, Usability,
};
use crate::source::{FileId, Sources, Span};
use crate::syntax::{attributes, blocks, member_span, Dialect, Expr, Literal, Member, Node};
use crate::InputKind;

/// A variable value given on the command line, in command-line order
/// (later ones win, as in Terraform).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarArg {
    /// `--var NAME=VALUE` (the value is a string).
    Pair(String, String),
    /// `--var-file FILE.json`.
    File(PathBuf),
}

/// What a configuration root is: a directory of `.tf.json` files, or one
/// JSON file (CDKTF or hcl2json output named on its own).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Root {
    Dir(PathBuf),
    /// One file already read into the sources, and its directory (where
    /// its local modules are found).
    Text(FileId, PathBuf),
}

/// The files of one module.
#[derive(Debug, Clone)]
struct ModuleFiles {
    /// Canonical directory: how module calls find it.
    key: PathBuf,
    files: Vec<FileId>,
}

/// A root configuration, read.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    modules: Vec<ModuleFiles>,
    /// Root variable files, lowest precedence first.
    var_files: Vec<FileId>,
    /// `--var` pairs, with their position among the variable files.
    var_pairs: Vec<(usize, String, String)>,
    pub kind: InputKind,
}

/// Lexically normalized path (`a/./b/../c` → `a/c`), for display.
fn tidy(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for (i, c) in path.components().enumerate() {
        match c {
            // A leading `./` stays: paths read as the user gave them.
            Component::CurDir if i == 0 => out.push("."),
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            c => out.push(c),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| tidy(path))
}

/// The configuration files of a directory, in name order; a `.tofu.json`
/// file replaces the `.tf.json` file of the same name (OpenTofu).
pub(crate) fn config_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".tf.json") || n.ends_with(".tofu.json"))
        .collect();
    names.sort();
    let tofu: BTreeSet<String> = names
        .iter()
        .filter_map(|n| n.strip_suffix(".tofu.json").map(str::to_string))
        .collect();
    names
        .into_iter()
        .filter(|n| {
            n.strip_suffix(".tf.json")
                .is_none_or(|base| !tofu.contains(base))
        })
        .map(|n| dir.join(n))
        .collect()
}

/// Parses a configuration file's text.
fn parse(text: &str) -> Result<Node<'_>, InputError> {
    let mut start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    start += text[start..].len() - text[start..].trim_start().len();
    serde_json::from_str(&text[start..]).map_err(|e| {
        let at = start + error_offset(&text[start..], &e);
        InputError::new(
            ErrorCode::InvalidJson,
            format!("invalid JSON: {}", strip_position(&e)),
        )
        .help("a JSON configuration must be valid JSON (RFC 8259)")
        .at(at..at + 1)
    })
}

/// Local module sources called by a module's files: (call member, dir).
fn local_calls(dir: &Path, root: &Node<'_>, dialect: Dialect) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for member in root
        .members()
        .iter()
        .filter(|m| dialect.label(&m.key) == "module")
    {
        for block in blocks(member, 1, dialect) {
            if let Some(source) = literal_str(block.body.get("source"), dialect) {
                if source.starts_with("./") || source.starts_with("../") {
                    out.push(dir.join(source));
                }
            }
        }
    }
    out
}

fn literal_str(node: Option<&Node<'_>>, dialect: Dialect) -> Option<String> {
    match Expr::of(node?, dialect) {
        Expr::Literal(Literal::Str(s)) => Some(s),
        _ => None,
    }
}

type LoadError = (InputError, Option<FileId>);

fn read_file(path: &Path, display: &Path, sources: &mut Sources) -> Result<FileId, LoadError> {
    let bytes = crate::input::read(path).map_err(|e| (e, None))?;
    match crate::input::decode(bytes) {
        Ok(decoded) => Ok(sources.add(display.display().to_string(), decoded.text)),
        Err((error, text)) => {
            let file = text.map(|t| sources.add(display.display().to_string(), t));
            Err((error.with_path(display), file))
        }
    }
}

/// Reads a root configuration and every local module it calls.
pub(crate) fn load(
    root: &Root,
    var_args: &[VarArg],
    sources: &mut Sources,
) -> Result<Loaded, LoadError> {
    let (root_dir, root_files, root_ids) = match root {
        Root::Dir(dir) => (dir.clone(), config_files(dir), Vec::new()),
        Root::Text(id, dir) => (dir.clone(), Vec::new(), vec![*id]),
    };
    let mut modules: Vec<ModuleFiles> = Vec::new();
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    let mut queue: Vec<(PathBuf, Vec<PathBuf>, Vec<FileId>)> =
        vec![(root_dir.clone(), root_files, root_ids)];
    let mut kind = InputKind::TfJson;
    while let Some((dir, paths, mut ids)) = queue.pop() {
        let key = canonical(&dir);
        if !seen.insert(key.clone()) {
            continue;
        }
        for path in &paths {
            let shown = tidy(path);
            ids.push(read_file(path, &shown, sources)?);
        }
        let mut files = Vec::new();
        for id in ids {
            let shown = PathBuf::from(&sources.get(id).path);
            let path = &shown;
            let node =
                parse(sources.get(id).text()).map_err(|e| (e.with_path(&shown), Some(id)))?;
            let dialect = Dialect::of(&node);
            if modules.is_empty() {
                kind = kind.max(kind_of(path, &node, dialect));
            }
            for child in local_calls(&dir, &node, dialect) {
                if child.is_dir() {
                    let files = config_files(&child);
                    queue.push((tidy(&child), files, Vec::new()));
                }
            }
            files.push(id);
        }
        modules.push(ModuleFiles { key, files });
    }
    // Root variable files: terraform.tfvars.json, then *.auto.tfvars.json
    // in name order, then --var-file / --var in command-line order.
    let mut var_files = Vec::new();
    {
        let mut autos: Vec<PathBuf> = std::fs::read_dir(&root_dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(".auto.tfvars.json"))
            })
            .collect();
        autos.sort();
        let main = root_dir.join("terraform.tfvars.json");
        for path in std::iter::once(main).filter(|p| p.is_file()).chain(autos) {
            let shown = tidy(&path);
            var_files.push(read_file(&path, &shown, sources)?);
        }
    }
    let mut var_pairs = Vec::new();
    for arg in var_args {
        match arg {
            VarArg::File(path) => {
                let id = read_file(path, path, sources)?;
                parse(sources.get(id).text()).map_err(|e| (e.with_path(path), Some(id)))?;
                var_files.push(id);
            }
            VarArg::Pair(name, value) => {
                var_pairs.push((var_files.len(), name.clone(), value.clone()))
            }
        }
    }
    Ok(Loaded {
        modules,
        var_files,
        var_pairs,
        kind,
    })
}

/// CDKTF output carries `"//": {"metadata": ...}` at the root; hcl2json
/// output wraps bodies in arrays, types in `${...}`, or (python-hcl2) whole
/// block types in arrays, or marks blocks with `__is_block__`.
fn kind_of(path: &Path, root: &Node<'_>, dialect: Dialect) -> InputKind {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name == "cdk.tf.json" || root.get("//").and_then(|c| c.get("metadata")).is_some() {
        return InputKind::Cdktf;
    }
    if crate::input::is_config_name(name) {
        // Arrays of bodies are native syntax too.
        return InputKind::TfJson;
    }
    if dialect == Dialect::QuotedLiterals {
        return InputKind::Hcl2Json;
    }
    let wrapped = root
        .members()
        .iter()
        .any(|m| match (m.key.as_ref(), &m.value) {
            (_, Node::Arr(_)) => true,
            ("resource" | "data", v) => v.members().iter().any(|t| {
                t.value
                    .members()
                    .iter()
                    .any(|b| matches!(b.value, Node::Arr(_)))
            }),
            ("variable", v) => v.members().iter().any(|b| {
                matches!(b.value, Node::Arr(_))
                    || b.value
                        .get("type")
                        .and_then(Node::as_str)
                        .is_some_and(|t| t.starts_with("${"))
            }),
            _ => false,
        });
    if wrapped {
        InputKind::Hcl2Json
    } else {
        InputKind::TfJson
    }
}

/// The directories a module directory calls as local modules (canonical).
pub(crate) fn called_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in config_files(dir) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if let Ok(node) = parse(&text) {
            let dialect = Dialect::of(&node);
            out.extend(
                local_calls(dir, &node, dialect)
                    .iter()
                    .map(|d| canonical(d)),
            );
        }
    }
    out
}

/// Whether a JSON document looks like a configuration (for files that are
/// not named `*.tf.json`): block types at the top, or hcl2json markers.
pub(crate) fn looks_like_config(root: &Node<'_>) -> bool {
    const TYPES: &[&str] = &[
        "resource",
        "data",
        "provider",
        "module",
        "variable",
        "output",
        "locals",
        "terraform",
    ];
    let dialect = Dialect::of(root);
    dialect == Dialect::QuotedLiterals
        || root
            .members()
            .iter()
            .any(|m| TYPES.contains(&dialect.label(&m.key).as_str()))
}

/// Parses a document to decide whether it is a configuration.
pub(crate) fn is_config_text(text: &str) -> bool {
    parse(text).is_ok_and(|n| matches!(n, Node::Obj(_)) && looks_like_config(&n))
}

// ---------------------------------------------------------------------------
// Evaluation.

/// A value known offline, or why it is not.
type Val = Result<Value, String>;

/// Literal JSON of a node, or `None` when a template hides inside.
fn node_value(node: &Node<'_>, dialect: Dialect) -> Option<Value> {
    Some(match node {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(*b),
        Node::Num(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
        Node::Str(_) => match Expr::of(node, dialect) {
            Expr::Literal(Literal::Str(s)) => Value::String(s),
            _ => return None,
        },
        Node::Arr(items) => Value::Array(
            items
                .iter()
                .map(|i| node_value(i, dialect))
                .collect::<Option<_>>()?,
        ),
        Node::Obj(members) => Value::Object(
            members
                .iter()
                .map(|m| Some((dialect.label(&m.key), node_value(&m.value, dialect)?)))
                .collect::<Option<_>>()?,
        ),
    })
}

/// A provider configuration (instance).
struct ProviderCfg {
    id: String,
    region: Result<String, (String, bool)>,
    defaults: Tags<'static>,
    ignore: IgnoreTags,
    file: FileId,
    span: Range<usize>,
    focus: Range<usize>,
}

/// How a module instance refers to a provider local name.
#[derive(Debug, Clone)]
enum PRef {
    Cfg(usize),
    /// No block anywhere: an empty default configuration.
    Implicit(String),
    Missing(String),
}

/// One file of a module, parsed.
struct ConfFile<'a> {
    id: FileId,
    text: &'a str,
    root: Node<'a>,
    dialect: Dialect,
}

/// A module instance being evaluated.
struct Scope<'s, 'a> {
    /// `module.a["x"].module.b` (empty for the root).
    prefix: String,
    vars: BTreeMap<String, Val>,
    locals: BTreeMap<String, (&'s Node<'a>, Dialect)>,
    providers: BTreeMap<String, PRef>,
}

struct Evaluator<'a> {
    modules: BTreeMap<PathBuf, Vec<ConfFile<'a>>>,
    providers: Vec<ProviderCfg>,
    resources: Vec<Resource<'a>>,
    notes: Vec<Note>,
}

/// Evaluates a loaded root configuration into the rule's model.
pub(crate) fn read<'a>(
    sources: &'a Sources,
    loaded: &Loaded,
    default_region: Option<&str>,
) -> Inventory<'a> {
    let mut modules = BTreeMap::new();
    let mut texts = Vec::new();
    for module in &loaded.modules {
        let mut files = Vec::new();
        for &id in &module.files {
            let text = sources.get(id).text();
            texts.push((id, text));
            if let Ok(root) = parse(text) {
                let dialect = Dialect::of(&root);
                files.push(ConfFile {
                    id,
                    text,
                    root,
                    dialect,
                });
            }
        }
        modules.insert(module.key.clone(), files);
    }
    let root_key = loaded.modules[0].key.clone();
    let document = loaded.modules[0]
        .files
        .first()
        .map(|&id| Span::new(id, 0..sources.get(id).text().len()));

    // Root variable values from files and --var, in precedence order.
    let mut given: BTreeMap<String, Val> = BTreeMap::new();
    let mut pairs = loaded.var_pairs.iter().peekable();
    for (i, &id) in loaded.var_files.iter().enumerate() {
        while let Some((_, name, value)) = pairs.next_if(|(at, _, _)| *at <= i) {
            given.insert(name.clone(), Ok(Value::String(value.clone())));
        }
        if let Ok(node) = parse(sources.get(id).text()) {
            let dialect = Dialect::of(&node);
            for m in node.members() {
                let value = node_value(&m.value, dialect).ok_or_else(|| {
                    format!(
                        "`{}` in {} is not a literal value",
                        m.key,
                        sources.get(id).path
                    )
                });
                given.insert(m.key.to_string(), value);
            }
        }
    }
    for (_, name, value) in pairs {
        given.insert(name.clone(), Ok(Value::String(value.clone())));
    }

    let mut evaluator = Evaluator {
        modules,
        providers: Vec::new(),
        resources: Vec::new(),
        notes: Vec::new(),
    };
    let mut stack = vec![root_key.clone()];
    evaluator.module(&root_key, String::new(), given, BTreeMap::new(), &mut stack);
    let Evaluator {
        providers,
        resources,
        notes,
        ..
    } = evaluator;
    let mut inventory = Inventory {
        resources,
        providers: providers
            .into_iter()
            .filter(|p| !p.ignore.keys.is_empty() || !p.ignore.key_prefixes.is_empty())
            .map(|p| ProviderNote {
                key: p.id,
                file: p.file,
                span: p.span,
                focus: p.focus,
                ignore: p.ignore,
            })
            .collect(),
        notes,
        texts,
        document,
    };
    inventory.settle_regions(default_region);
    inventory
}

/// Instance keys of a block with `count` / `for_each`: `[""]` for one
/// unkeyed instance; an unresolvable one counts as one possible instance.
fn instance_keys(
    body: &Node<'_>,
    dialect: Dialect,
    scope: &Scope<'_, '_>,
    ev: &Evaluator<'_>,
) -> Vec<String> {
    const MAX: usize = 1000;
    if let Some(count) = body.get("count") {
        return match ev.eval(count, dialect, scope) {
            Ok(Value::Number(n)) => (0..n.as_f64().unwrap_or(1.0).clamp(0.0, MAX as f64) as usize)
                .map(|i| format!("[{i}]"))
                .collect(),
            Ok(Value::String(s)) if s.parse::<usize>().is_ok() => {
                (0..s.parse::<usize>().unwrap_or(1).min(MAX))
                    .map(|i| format!("[{i}]"))
                    .collect()
            }
            Ok(Value::Bool(b)) => {
                if b {
                    vec!["[0]".into()]
                } else {
                    Vec::new()
                }
            }
            _ => vec!["[?]".into()],
        };
    }
    if let Some(each) = body.get("for_each") {
        return match ev.eval(each, dialect, scope) {
            Ok(Value::Object(map)) => map.keys().take(MAX).map(|k| format!("[{k:?}]")).collect(),
            Ok(Value::Array(items)) => {
                let keys: BTreeSet<String> = items
                    .iter()
                    .filter_map(|v| v.as_str().map(|s| format!("[{s:?}]")))
                    .collect();
                keys.into_iter().take(MAX).collect()
            }
            _ => vec!["[?]".into()],
        };
    }
    vec![String::new()]
}

impl<'a> Evaluator<'a> {
    /// Evaluates an expression in a module instance.
    fn eval(&self, node: &Node<'_>, dialect: Dialect, scope: &Scope<'_, '_>) -> Val {
        self.eval_depth(node, dialect, scope, 0)
    }

    fn eval_depth(
        &self,
        node: &Node<'_>,
        dialect: Dialect,
        scope: &Scope<'_, '_>,
        depth: usize,
    ) -> Val {
        match Expr::of(node, dialect) {
            Expr::Literal(Literal::Str(s)) => Ok(Value::String(s)),
            Expr::Literal(Literal::Node(n)) => {
                node_value(n, dialect).ok_or_else(|| "a value built from expressions".to_string())
            }
            Expr::Interpolation(text) => {
                let reference = text.as_str();
                if let Some(name) = reference.strip_prefix("var.").filter(|n| is_name(n)) {
                    return scope
                        .vars
                        .get(name)
                        .cloned()
                        .unwrap_or_else(|| Err(format!("variable `{name}` is not declared")));
                }
                if let Some(name) = reference.strip_prefix("local.").filter(|n| is_name(n)) {
                    if depth > 16 {
                        return Err(format!("`local.{name}` refers to itself"));
                    }
                    let Some((local, local_dialect)) = scope.locals.get(name) else {
                        return Err(format!("`local.{name}` is not defined"));
                    };
                    return self
                        .eval_depth(local, *local_dialect, scope, depth + 1)
                        .map_err(|why| format!("`local.{name}` is not a literal ({why})"));
                }
                Err(format!("`${{{reference}}}` cannot be evaluated offline"))
            }
            Expr::Template(text) => Err(format!("`{text}` cannot be evaluated offline")),
        }
    }

    fn module(
        &mut self,
        key: &PathBuf,
        prefix: String,
        given: BTreeMap<String, Val>,
        passed: BTreeMap<String, PRef>,
        stack: &mut Vec<PathBuf>,
    ) {
        let Some(files) = self.modules.remove(key) else {
            return;
        };
        // Variables and locals first: everything else may refer to them.
        let mut scope = Scope {
            prefix: prefix.clone(),
            vars: BTreeMap::new(),
            locals: BTreeMap::new(),
            providers: passed,
        };
        for file in &files {
            for member in file.root.members() {
                match file.dialect.label(&member.key).as_str() {
                    "variable" => {
                        for block in blocks(member, 1, file.dialect) {
                            let name = block.labels[0].clone();
                            let value = match given.get(&name) {
                                Some(v) => v.clone(),
                                None => match block.body.get("default") {
                                    Some(d) => node_value(d, file.dialect)
                                        .ok_or_else(|| format!("the default of `var.{name}` is not a literal")),
                                    None => Err(format!(
                                        "variable `{name}` has no value (give one with --var, --var-file or a .tfvars.json file)"
                                    )),
                                },
                            };
                            scope.vars.entry(name).or_insert(value);
                        }
                    }
                    "locals" => {
                        for block in blocks(member, 0, file.dialect) {
                            for attr in attributes(block.body) {
                                scope.locals.insert(
                                    file.dialect.label(&attr.key),
                                    (&attr.value, file.dialect),
                                );
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        // Values given for undeclared variables still resolve `var.x`.
        for (name, value) in given {
            scope.vars.entry(name).or_insert(value);
        }
        for file in &files {
            for member in file.root.members() {
                if file.dialect.label(&member.key) == "provider" {
                    self.providers_of(file, member, &mut scope);
                }
            }
        }
        for file in &files {
            for member in file.root.members() {
                match file.dialect.label(&member.key).as_str() {
                    "resource" => {
                        for block in blocks(member, 2, file.dialect) {
                            for instance in instance_keys(block.body, file.dialect, &scope, self) {
                                let r = self.resource(file, &block, &instance, &scope);
                                self.resources.push(r);
                            }
                        }
                    }
                    "module" => {
                        for block in blocks(member, 1, file.dialect) {
                            self.call(key, file, &block, &scope, stack);
                        }
                    }
                    _ => {}
                }
            }
        }
        drop(scope);
        self.modules.insert(key.clone(), files);
    }

    fn providers_of(
        &mut self,
        file: &ConfFile<'a>,
        member: &Member<'_>,
        scope: &mut Scope<'_, '_>,
    ) {
        for block in blocks(member, 1, file.dialect) {
            if block.labels[0] != "aws" {
                continue;
            }
            let body = block.body;
            let local = match literal_str(body.get("alias"), file.dialect) {
                Some(alias) => format!("aws.{alias}"),
                None => "aws".to_string(),
            };
            let id = if scope.prefix.is_empty() {
                local.clone()
            } else {
                format!("{}:{local}", scope.prefix)
            };
            let region = provider_region(
                &id,
                body.get("region")
                    .map(|e| self.eval(e, file.dialect, scope)),
                body.get("for_each").is_some(),
            );
            let block_of = |name: &str, attr: &str| -> Option<&Node<'_>> {
                let b = body.get(name)?;
                let b = match b {
                    Node::Arr(items) => items.first()?,
                    b => b,
                };
                b.get(attr)
            };
            let defaults = match block_of("default_tags", "tags") {
                None => Tags::default(),
                Some(expr) => Tags::from_json(
                    self.eval(expr, file.dialect, scope),
                    &format!("the default_tags of provider configuration `{id}`"),
                ),
            };
            let list = |attr: &str| -> Vec<String> {
                block_of("ignore_tags", attr)
                    .and_then(|e| self.eval(e, file.dialect, scope).ok())
                    .and_then(|v| v.as_array().cloned())
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            };
            let ignore = IgnoreTags {
                keys: list("keys"),
                key_prefixes: list("key_prefixes"),
            };
            let (span, focus) = spans(file, block.member, block.body);
            self.providers.push(ProviderCfg {
                id,
                region,
                defaults,
                ignore,
                file: file.id,
                span,
                focus,
            });
            scope
                .providers
                .insert(local, PRef::Cfg(self.providers.len() - 1));
        }
    }

    fn call(
        &mut self,
        here: &Path,
        file: &ConfFile<'a>,
        block: &crate::syntax::Block<'_, 'a>,
        scope: &Scope<'_, '_>,
        stack: &mut Vec<PathBuf>,
    ) {
        let name = &block.labels[0];
        let body = block.body;
        let source = literal_str(body.get("source"), file.dialect).unwrap_or_default();
        let (span, focus) = spans(file, block.member, block.body);
        let note = |message: String| {
            Note {
            code: Code::ModuleNotChecked,
            message,
            help: "tierkey reads local modules (`./` or `../` sources) only; check the plan of this configuration to cover the module".into(),
            span: Span::new(file.id, span.clone()),
            focus: Span::new(file.id, focus.clone()),
        }
        };
        if !(source.starts_with("./") || source.starts_with("../")) {
            let shown = if source.is_empty() {
                "(none)".to_string()
            } else {
                source.clone()
            };
            self.notes.push(note(format!(
                "module `{name}` (source {shown}) is not checked: remote module sources are not fetched"
            )));
            return;
        }
        let dir = here.join(&source);
        let key = canonical(&dir);
        if !self.modules.contains_key(&key) {
            let why = if stack.contains(&key) {
                "it calls itself"
            } else {
                "its directory holds no .tf.json files"
            };
            self.notes.push(note(format!(
                "module `{name}` (source {source}) is not checked: {why}"
            )));
            return;
        }
        if stack.len() > 32 {
            return;
        }
        // The child's provider map: explicit `providers`, then the default
        // `aws` inherited from the caller.
        let mut passed: BTreeMap<String, PRef> = BTreeMap::new();
        if let Some(map) = body.get("providers") {
            for m in map.members() {
                let child = file.dialect.label(&m.key);
                let parent_ref = match Expr::of(&m.value, file.dialect) {
                    Expr::Literal(Literal::Str(s)) => s,
                    Expr::Interpolation(s) => s,
                    _ => continue,
                };
                passed.insert(child, lookup(scope, &parent_ref));
            }
        }
        if !passed.contains_key("aws") {
            passed.insert("aws".into(), lookup(scope, "aws"));
        }
        const META: &[&str] = &[
            "source",
            "version",
            "providers",
            "count",
            "for_each",
            "depends_on",
        ];
        for instance in instance_keys(body, file.dialect, scope, self) {
            let given: BTreeMap<String, Val> = attributes(body)
                .filter(|m| !META.contains(&file.dialect.label(&m.key).as_str()))
                .map(|m| {
                    (
                        file.dialect.label(&m.key),
                        self.eval(&m.value, file.dialect, scope),
                    )
                })
                .collect();
            let prefix = if scope.prefix.is_empty() {
                format!("module.{name}{instance}")
            } else {
                format!("{}.module.{name}{instance}", scope.prefix)
            };
            stack.push(key.clone());
            self.module(&key, prefix, given, passed.clone(), stack);
            stack.pop();
        }
    }

    fn resource(
        &self,
        file: &ConfFile<'a>,
        block: &crate::syntax::Block<'_, 'a>,
        instance: &str,
        scope: &Scope<'_, '_>,
    ) -> Resource<'a> {
        let rtype = block.labels[0].clone();
        let name = &block.labels[1];
        let body = block.body;
        let dialect = file.dialect;
        let address = if scope.prefix.is_empty() {
            format!("{rtype}.{name}{instance}")
        } else {
            format!("{}.{rtype}.{name}{instance}", scope.prefix)
        };
        let local = match body.get("provider").map(|p| Expr::of(p, dialect)) {
            Some(Expr::Literal(Literal::Str(s)) | Expr::Interpolation(s)) => s,
            _ => rtype.split('_').next().unwrap_or("").to_string(),
        };
        let is_aws = local == "aws" || local.starts_with("aws.");
        let pref = lookup(scope, &local);
        let cfg = match &pref {
            PRef::Cfg(i) => self.providers.get(*i),
            _ => None,
        };

        // S8: the resource's own `region` (AWS provider v6), then its provider.
        let own_region = body
            .get("region")
            .filter(|_| region_attribute_is_own(&rtype))
            .map(|r| self.eval(r, dialect, scope));
        let (region, region_source, provider_group) = match (own_region, &pref, cfg) {
            (Some(Ok(Value::String(r))), _, _) => (Region::known(r, "its `region` argument"), RegionSource::Settled, None),
            (Some(Err(why)), _, _) => (
                Region::unknown(None, format!("its `region` argument is unknown: {why}")),
                RegionSource::Settled,
                None,
            ),
            (_, _, Some(cfg)) => match &cfg.region {
                Ok(r) => (
                    Region::known(r.clone(), format!("provider configuration `{}`", cfg.id)),
                    RegionSource::Settled,
                    Some(cfg.id.clone()),
                ),
                Err((why, shared)) => {
                    let group = shared.then(|| cfg.id.clone());
                    (Region::unknown(group.clone(), why.clone()), RegionSource::Pending, group)
                }
            },
            (_, PRef::Implicit(id), _) => (
                Region::unknown(
                    Some(id.clone()),
                    format!("no provider block configures `{id}` (its region comes from AWS_REGION or a profile at run time)"),
                ),
                RegionSource::Pending,
                Some(id.clone()),
            ),
            (_, PRef::Missing(why), _) => (Region::unknown(None, why.clone()), RegionSource::Pending, None),
            (_, PRef::Cfg(_), None) => (Region::unknown(None, "unknown provider"), RegionSource::Pending, None),
        };

        // S3: provider default tags under the resource's own tags.
        let own = match body.get("tags") {
            None => Tags::default(),
            Some(Node::Obj(members)) => {
                let mut tags = Tags::default();
                let mut unknown = Vec::new();
                for m in members {
                    let key = dialect.label(&m.key);
                    match self.eval(&m.value, dialect, scope) {
                        Ok(Value::String(v)) => {
                            tags.known.insert(Cow::Owned(key), Cow::Owned(v));
                        }
                        Ok(_) => {}
                        Err(_) => unknown.push(key),
                    }
                }
                if !unknown.is_empty() {
                    tags.unknown = TagsUnknown::Keys(unknown);
                }
                tags
            }
            Some(expr) => Tags::from_json(self.eval(expr, dialect, scope), "its tags"),
        };
        let tags = match cfg {
            Some(cfg) => Tags::merged(cfg.defaults.clone(), own, &cfg.ignore),
            None => own,
        };

        let fact_str = |attr: &str| -> Fact<String> {
            match body.get(attr).map(|n| self.eval(n, dialect, scope)) {
                None => Fact::Absent,
                Some(Ok(Value::String(s))) => Fact::Known(s),
                Some(Ok(_)) => Fact::Absent,
                Some(Err(why)) => Fact::Unknown(format!("is unknown: {why}")),
            }
        };
        let usability = if is_key_type(&rtype) {
            let field = if rtype == "aws_kms_key" {
                "is_enabled"
            } else {
                "enabled"
            };
            let enabled = match body.get(field).map(|n| self.eval(n, dialect, scope)) {
                None => Fact::Absent,
                Some(Ok(Value::Bool(b))) => Fact::Known(b),
                Some(Ok(Value::String(s))) if s == "true" || s == "false" => {
                    Fact::Known(s == "true")
                }
                Some(Ok(_)) => Fact::Absent,
                Some(Err(why)) => Fact::Unknown(format!("is unknown: {why}")),
            };
            let spec = match fact_str("customer_master_key_spec") {
                Fact::Absent => fact_str("key_spec"),
                fact => fact,
            };
            key_usability(
                &rtype,
                &KeyFacts {
                    enabled,
                    key_usage: fact_str("key_usage"),
                    spec,
                },
            )
        } else {
            Usability::Usable
        };

        // S9: DynamoDB replica blocks, snapshot-copy destinations.
        let mut data = DataRegions::default();
        for replicas in body.get_all("replica") {
            let items: Vec<&Node<'_>> = match replicas {
                Node::Arr(items) => items.iter().collect(),
                other => vec![other],
            };
            for replica in items {
                data.replicas.push(
                    match replica
                        .get("region_name")
                        .map(|n| self.eval(n, dialect, scope))
                    {
                        Some(Ok(Value::String(r))) => Fact::Known(r),
                        Some(Err(why)) => Fact::Unknown(format!("is unknown: {why}")),
                        _ => Fact::Absent,
                    },
                );
            }
        }
        if body.get("destination_region").is_some() {
            data.destination = Some(fact_str("destination_region"));
        }

        let mut kms = Vec::new();
        kms_refs_in(body, &mut kms);
        let (span, focus) = spans(file, block.member, block.body);
        let provider_span = cfg.map(|c| (c.file, c.span.clone(), c.focus.clone()));
        Resource {
            extra_regions: extra_regions(&rtype, &address, &data),
            address: Cow::Owned(address),
            rtype: Cow::Owned(rtype),
            is_aws,
            file: file.id,
            start: span.start,
            end: Some(span.end),
            body: body_start(file, body),
            focus,
            region,
            region_source,
            provider_group,
            provider_span,
            tags,
            usability,
            kms_refs: KmsRefs::Found(kms),
        }
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The provider configuration a local name (`aws`, `aws.west`) refers to.
fn lookup(scope: &Scope<'_, '_>, local: &str) -> PRef {
    if let Some(found) = scope.providers.get(local) {
        return found.clone();
    }
    if local == "aws" && scope.prefix.is_empty() {
        return PRef::Implicit("aws".into());
    }
    PRef::Missing(if local == "aws" {
        "no provider configuration reaches this module (its region comes from AWS_REGION or a profile at run time)".into()
    } else {
        format!("provider configuration `{local}` is neither declared here nor passed in by the module call's `providers`")
    })
}

/// Span of a block and the token a human report underlines: the name key
/// and its body, or — when the body is one element of an array (provider
/// aliases, hcl2json) — that element, underlined at its first key. A key with
/// escapes (python-hcl2 v8 quotes every label) cannot be located either, so
/// the body object stands in.
fn spans(
    file: &ConfFile<'_>,
    block_member: &Member<'_>,
    body: &Node<'_>,
) -> (Range<usize>, Range<usize>) {
    let own_body = std::ptr::eq(&block_member.value, body);
    let labelled = member_span(file.text, block_member);
    if let (true, Some(found)) = (own_body, &labelled) {
        return found.clone();
    }
    let first = body.members().iter().find(|m| m.key_addr.is_some());
    let start = crate::json::object_start(file.text, first.and_then(|m| m.key_addr), 0);
    let span = crate::json::object_span(file.text, start);
    // Underline the block's name when it names this body alone, else the
    // body's first key.
    let single = matches!(&block_member.value, Node::Arr(items) if items.len() == 1);
    let focus = match (&labelled, first) {
        (Some((_, name)), _) if single => name.clone(),
        (_, Some(m)) => {
            member_span(file.text, m).map_or(span.start..span.start + 1, |(_, key)| key)
        }
        _ => span.start..span.start + 1,
    };
    (span, focus)
}

/// Where a block body object starts (found through its first key).
fn body_start(file: &ConfFile<'_>, body: &Node<'_>) -> Option<usize> {
    let first = body.members().iter().find_map(|m| m.key_addr)?;
    Some(crate::json::object_start(file.text, Some(first), 0))
}

/// S12: `data.aws_kms_key.X` / `data.aws_kms_alias.X` inside interpolations
/// anywhere in a body.
fn kms_refs_in(node: &Node<'_>, out: &mut Vec<String>) {
    match node {
        Node::Str(s) => {
            for (at, _) in s.match_indices("data.aws_kms_") {
                if let Some(found) = kms_data_source(&s[at..]) {
                    if !out.contains(&found) {
                        out.push(found);
                    }
                }
            }
        }
        Node::Arr(items) => items.iter().for_each(|i| kms_refs_in(i, out)),
        Node::Obj(members) => members.iter().for_each(|m| kms_refs_in(&m.value, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_paths() {
        assert_eq!(tidy(Path::new("a/./b/../c")), PathBuf::from("a/c"));
        assert_eq!(tidy(Path::new("./a/./b")), PathBuf::from("./a/b"));
        assert_eq!(tidy(Path::new("../a/./b")), PathBuf::from("../a/b"));
    }
}
