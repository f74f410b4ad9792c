//! Configuration files on disk: which files make a module, each file read
//! and parsed once per run, override files applied, which modules a module
//! calls, and what a root configuration loads (its modules, its variable
//! values, the remote modules `terraform init` downloaded).
//!
//! A module is all `.tf`, `.tf.json`, `.tofu` and `.tofu.json` files of a
//! directory (a `.tofu*` file replaces the `.tf*` file of the same name);
//! override files (`override.tf`, `*_override.tf` and their other forms)
//! are applied after the others, as Terraform documents: argument by
//! argument, nested blocks replaced by type. Discovery asks which
//! directories a module calls (to find roots), loading asks for the modules
//! of a root; both are answered from the same parsed files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::tree::{Block, Body, Expr, File};
use super::{hcl, json, VarArg};
use crate::canonical::Canonical;
use crate::error::{ErrorCode, InputError};
use crate::input::{self, InputKind};
use crate::source::{FileId, Sources};
use crate::value::Value;

/// Which module a key names: a directory, or one JSON file checked on its
/// own (CDKTF or hcl2json output named on the command line).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ModuleKey {
    Dir(PathBuf),
    File(FileId),
}

impl Default for ModuleKey {
    fn default() -> Self {
        ModuleKey::Dir(PathBuf::new())
    }
}

/// A root configuration to load.
#[derive(Debug, Clone)]
pub(crate) enum Root {
    /// A directory of configuration files.
    Dir(PathBuf),
    /// One file already read into the sources, and its directory (where its
    /// local modules are found).
    File(FileId, PathBuf),
}

/// A file that could not be read or parsed, or a configuration Terraform
/// rejects: the error and the file's text when it was read.
pub(crate) type FileError = (InputError, Option<FileId>);

/// One module: its files, parsed, and the modules it calls.
#[derive(Debug, Default)]
pub(crate) struct Module {
    /// The directory its local module sources are relative to (canonical).
    pub dir: PathBuf,
    /// The same directory as the user named it (for paths in reports).
    pub shown: PathBuf,
    /// Its files with override files applied (these come last, unapplied
    /// blocks dropped).
    pub files: Vec<File>,
    /// The kind its files say they are.
    pub kind: InputKind,
    /// Its local module calls: each directory, canonical and as shown.
    pub calls: Vec<(PathBuf, PathBuf)>,
    /// Files that could not be read or parsed, and what Terraform would
    /// reject in the module.
    pub errors: Vec<FileError>,
}

/// A value given for a root variable.
#[derive(Debug, Clone)]
pub(crate) enum RootValue {
    /// From a JSON variables file.
    Value(Value<'static>),
    /// From `--var` or `TF_VAR_name`: a string, or HCL when the variable's
    /// type is a collection or object.
    Raw(String),
    /// From an HCL variables file.
    Expr(Expr),
}

/// A root configuration, loaded.
#[derive(Debug, Default, Clone)]
pub(crate) struct Loaded {
    pub root: ModuleKey,
    /// Every module the root reaches, itself first.
    pub modules: Vec<ModuleKey>,
    pub kind: InputKind,
    /// Root variable values, in precedence order applied.
    pub variables: BTreeMap<String, RootValue>,
    /// Remote modules that `terraform init` downloaded, by call path
    /// (`a.b`), from `.terraform/modules/modules.json`.
    pub remote: BTreeMap<String, ModuleKey>,
    /// Files of the root and its modules that could not be read or parsed:
    /// the rest is still checked.
    pub errors: Vec<FileError>,
    /// The run's canonical paths (for local module sources).
    paths: Arc<Canonical>,
}

impl Loaded {
    /// A loaded root of nothing (for evaluating literal values).
    pub(crate) fn empty() -> Self {
        Loaded::default()
    }

    /// The module a call with `source` at `path` (call names from the root)
    /// reads: a local directory, or a remote module `terraform init`
    /// downloaded.
    pub(crate) fn module_for(
        &self,
        caller: &Module,
        path: &[String],
        source: &str,
    ) -> Option<ModuleKey> {
        if is_local_source(source) {
            return Some(ModuleKey::Dir(canonical(
                &self.paths,
                &caller.dir.join(source),
            )));
        }
        self.remote.get(&path.join(".")).cloned()
    }
}

/// Every module read in a run.
#[derive(Debug, Default)]
pub(crate) struct Workspace {
    modules: BTreeMap<ModuleKey, Module>,
    /// The canonical paths asked for in the run, by this workspace and the
    /// rest of the run ([`Workspace::paths`]).
    paths: Arc<Canonical>,
}

impl Module {
    /// A module of no files (for evaluating literal values).
    pub(crate) fn empty() -> Self {
        Module::default()
    }

    fn new(dir: &Path, paths: &Canonical) -> Self {
        Module {
            dir: canonical(paths, dir),
            shown: tidy(dir),
            ..Module::default()
        }
    }

    /// The top-level blocks of one kind, in file order.
    pub(crate) fn blocks<'m>(&'m self, kind: &'m str) -> impl Iterator<Item = &'m Block> + 'm {
        self.files.iter().flat_map(move |f| f.body.blocks_of(kind))
    }
}

impl Workspace {
    pub(crate) fn module(&self, key: &ModuleKey) -> Option<&Module> {
        self.modules.get(key)
    }

    /// The canonical paths of the run, for the rest of it to ask too.
    pub(crate) fn paths(&self) -> Arc<Canonical> {
        self.paths.clone()
    }

    /// A path made canonical, as the run's other questions are.
    pub(crate) fn canonical(&self, path: &Path) -> Option<PathBuf> {
        self.paths.of(path)
    }

    /// For each of `dirs`, the directories (canonical) its module calls.
    /// Modules not read yet are read and parsed on up to `jobs` threads;
    /// their files are numbered in the order of `dirs`, whatever the
    /// threads, so every id is the same as when read one by one.
    pub(crate) fn called_dirs(
        &mut self,
        dirs: &[PathBuf],
        sources: &mut Sources,
        jobs: usize,
    ) -> Vec<Vec<PathBuf>> {
        self.read_dirs(dirs, sources, jobs);
        dirs.iter()
            .map(|dir| {
                let key = self.read_dir(dir, sources);
                self.modules
                    .get(&key)
                    .map(|m| m.calls.iter().map(|(dir, _)| dir.clone()).collect())
                    .unwrap_or_default()
            })
            .collect()
    }

    /// Reads the modules `terraform init` downloaded for each root of
    /// `roots` on up to `jobs` threads, ahead of loading the roots.
    pub(crate) fn read_downloaded(
        &mut self,
        roots: &[PathBuf],
        sources: &mut Sources,
        jobs: usize,
    ) {
        let dirs: Vec<PathBuf> = roots
            .iter()
            .flat_map(|root| downloaded_modules(root))
            .map(|(_, dir)| dir)
            .collect();
        self.read_dirs(&dirs, sources, jobs);
    }

    /// Reads and parses the configuration files of a directory, once.
    fn read_dir(&mut self, dir: &Path, sources: &mut Sources) -> ModuleKey {
        let key = ModuleKey::Dir(canonical(&self.paths, dir));
        if !self.modules.contains_key(&key) {
            let module = Module::read(dir, &config_files(dir), &self.paths, sources);
            self.modules.insert(key.clone(), module);
        }
        key
    }

    /// Reads the modules of `dirs` not read yet, on up to `jobs` threads.
    /// Each directory's files are listed here and given their ids before
    /// any is read: a thread reads them into sources numbered from there,
    /// appended here in order.
    fn read_dirs(&mut self, dirs: &[PathBuf], sources: &mut Sources, jobs: usize) {
        let mut planned: Vec<(ModuleKey, &Path, Vec<PathBuf>, usize)> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut next = sources.len();
        for dir in dirs {
            let key = ModuleKey::Dir(canonical(&self.paths, dir));
            if self.modules.contains_key(&key) || !seen.insert(key.clone()) {
                continue;
            }
            let files = config_files(dir);
            let first = next;
            next += files.len();
            planned.push((key, dir, files, first));
        }
        let read_one = |i: usize| {
            let (_, dir, files, first) = &planned[i];
            let mut own = Sources::starting_at(*first);
            (Module::read(dir, files, &self.paths, &mut own), own)
        };
        let mut read: Vec<Option<(Module, Sources)>> = Vec::new();
        read.resize_with(planned.len(), || None);
        crate::pool::each(jobs, planned.len(), &read_one, &mut |i, done| {
            if done.is_some() {
                read[i] = done;
            }
        });
        for ((key, ..), done) in planned.into_iter().zip(read) {
            if let Some((module, own)) = done {
                sources.append_numbered(own);
                self.modules.insert(key, module);
            }
        }
    }

    /// Loads a root configuration and every module it calls.
    pub(crate) fn load(
        &mut self,
        root: &Root,
        var_args: &[VarArg],
        environment: &[(String, String)],
        sources: &mut Sources,
    ) -> Loaded {
        let (key, root_dir) = match root {
            Root::Dir(dir) => (self.read_dir(dir, sources), dir.clone()),
            Root::File(id, dir) => {
                let key = ModuleKey::File(*id);
                if !self.modules.contains_key(&key) {
                    let mut module = Module::new(dir, &self.paths);
                    let shown = PathBuf::from(&sources.get(*id).path);
                    if let Some(file) = module.parse(*id, &shown, &self.paths, sources) {
                        module.files.push(file);
                    }
                    module.finish(Vec::new(), sources);
                    self.modules.insert(key.clone(), module);
                }
                (key, dir.clone())
            }
        };
        let mut loaded = Loaded {
            root: key.clone(),
            paths: self.paths.clone(),
            ..Loaded::default()
        };
        // Remote modules downloaded by `terraform init`.
        for (call_path, dir) in downloaded_modules(&root_dir) {
            loaded
                .remote
                .insert(call_path, self.read_dir(&dir, sources));
        }
        // Every module the root reaches, each read once.
        let mut queue: Vec<ModuleKey> = vec![key.clone()];
        queue.extend(loaded.remote.values().cloned());
        let mut seen = BTreeSet::new();
        while let Some(next) = queue.pop() {
            if !seen.insert(next.clone()) {
                continue;
            }
            let Some(module) = self.modules.get(&next) else {
                continue;
            };
            loaded.errors.extend(module.errors.iter().cloned());
            loaded.modules.push(next.clone());
            for (dir, shown) in module.calls.clone() {
                if dir.is_dir() {
                    queue.push(self.read_dir(&shown, sources));
                }
            }
        }
        // The root first.
        loaded.modules.sort_by_key(|k| *k != key);
        loaded.kind = self.modules.get(&key).map_or(InputKind::TfJson, |m| m.kind);
        loaded.variables = variable_values(
            &root_dir,
            var_args,
            environment,
            sources,
            &mut loaded.errors,
        );
        loaded
    }
}

impl Module {
    /// Reads and parses `files`, the configuration files of `dir`: one
    /// source each, in order, whether it could be read or not.
    fn read(dir: &Path, files: &[PathBuf], paths: &Canonical, sources: &mut Sources) -> Module {
        let mut module = Module::new(dir, paths);
        let mut overrides = Vec::new();
        for path in files {
            let shown = tidy(path);
            match read_file(path, &shown, sources) {
                Ok(id) => {
                    if let Some(file) = module.parse(id, &shown, paths, sources) {
                        if is_override(path) {
                            overrides.push(file);
                        } else {
                            module.files.push(file);
                        }
                    }
                }
                Err(error) => module.errors.push(error),
            }
        }
        module.finish(overrides, sources);
        module
    }

    /// Parses one file of the module (recording its error).
    fn parse(
        &mut self,
        id: FileId,
        shown: &Path,
        paths: &Canonical,
        sources: &Sources,
    ) -> Option<File> {
        let text = sources.get(id).text();
        let name = shown.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let (file, kind) = if is_hcl_name(name) {
            (hcl::parse(id, text), InputKind::Tf)
        } else {
            match json::parse(text) {
                Ok(node) => (Ok(json::file(id, text, &node)), json::kind_of(shown, &node)),
                Err(e) => (Err(e), InputKind::TfJson),
            }
        };
        self.kind = self.kind.max(kind);
        match file {
            Ok(file) => {
                for call in file.body.blocks_of("module") {
                    let source = call.body.attribute("source").and_then(|a| a.expr.as_str());
                    if let Some(source) = source.filter(|s| is_local_source(s)) {
                        let dir = canonical(paths, &self.dir.join(source));
                        if dir != self.dir && !self.calls.iter().any(|(d, _)| *d == dir) {
                            self.calls.push((dir, tidy(&self.shown.join(source))));
                        }
                    }
                }
                Some(file)
            }
            Err(e) => {
                self.errors.push((e, Some(id)));
                None
            }
        }
    }

    /// Applies override files and reports what Terraform would reject.
    fn finish(&mut self, overrides: Vec<File>, sources: &Sources) {
        self.check_duplicates(sources);
        for file in overrides {
            for block in file.body.blocks {
                if !self.apply_override(&block) {
                    self.errors.push((
                        InputError::new(
                            ErrorCode::InvalidConfiguration,
                            format!(
                                "the override of {} matches no block of the module",
                                describe(&block)
                            ),
                        )
                        .help("an override file changes blocks declared in the module's other files; declare the block there first")
                        .at(block.focus.clone()),
                        Some(file.id),
                    ));
                }
            }
        }
    }

    /// Two `provider` blocks with the same name and alias, or two
    /// declarations of one resource, module, variable or output.
    fn check_duplicates(&mut self, sources: &Sources) {
        let mut seen: BTreeMap<(String, Vec<String>), &Block> = BTreeMap::new();
        let mut errors = Vec::new();
        for block in self.files.iter().flat_map(|f| &f.body.blocks) {
            let Some(identity) = identity(block) else {
                continue;
            };
            if let Some(first) = seen.get(&identity) {
                let first_at = sources.get(first.file);
                let line = first_at.line_col(first.focus.start).line;
                errors.push((
                    InputError::new(
                        ErrorCode::InvalidConfiguration,
                        format!(
                            "{} is declared twice (first at {}:{line})",
                            describe(block),
                            first_at.path
                        ),
                    )
                    .help("Terraform rejects a module that declares the same block twice; remove or rename one")
                    .at(block.focus.clone()),
                    Some(block.file),
                ));
            } else {
                seen.insert(identity, block);
            }
        }
        self.errors.extend(errors);
    }

    /// Merges an override block into the block it overrides; `false` when
    /// there is none.
    fn apply_override(&mut self, over: &Block) -> bool {
        if over.kind == "locals" {
            let mut all = true;
            for attr in &over.body.attributes {
                let target = self
                    .files
                    .iter_mut()
                    .flat_map(|f| f.body.blocks.iter_mut())
                    .filter(|b| b.kind == "locals")
                    .find_map(|b| b.body.attributes.iter_mut().find(|a| a.name == attr.name));
                match target {
                    Some(target) => *target = attr.clone(),
                    None => all = false,
                }
            }
            return all;
        }
        let Some(wanted) = identity(over)
            .or_else(|| (over.kind == "terraform").then(|| ("terraform".to_string(), Vec::new())))
        else {
            return false;
        };
        let target = self
            .files
            .iter_mut()
            .flat_map(|f| f.body.blocks.iter_mut())
            .find(|b| {
                identity(b).or_else(|| {
                    (b.kind == "terraform").then(|| ("terraform".to_string(), Vec::new()))
                }) == Some(wanted.clone())
            });
        match target {
            Some(target) => {
                merge_body(&mut target.body, &over.body);
                true
            }
            None => false,
        }
    }
}

/// What makes a top-level block unique in a module: its kind and labels
/// (a provider: its name and alias). `None` for blocks that may repeat.
fn identity(block: &Block) -> Option<(String, Vec<String>)> {
    match block.kind.as_str() {
        "provider" => {
            let alias = block
                .body
                .attribute("alias")
                .and_then(|a| a.expr.as_str())
                .unwrap_or_default();
            Some((
                "provider".into(),
                vec![
                    block.labels.first().cloned().unwrap_or_default(),
                    alias.to_string(),
                ],
            ))
        }
        "resource" | "data" | "module" | "variable" | "output" => {
            Some((block.kind.clone(), block.labels.clone()))
        }
        _ => None,
    }
}

fn describe(block: &Block) -> String {
    let mut text = block.kind.clone();
    for label in &block.labels {
        text.push_str(&format!(" {label:?}"));
    }
    if block.kind == "provider" {
        if let Some(alias) = block.body.attribute("alias").and_then(|a| a.expr.as_str()) {
            text.push_str(&format!(" (alias {alias:?})"));
        }
    }
    text
}

/// Terraform's override merge: each argument replaces the one of the same
/// name; nested blocks of a type replace every nested block of that type
/// (`dynamic` ones included). In JSON, nested blocks are arguments.
fn merge_body(target: &mut Body, over: &Body) {
    let kinds: BTreeSet<&str> = over
        .blocks
        .iter()
        .map(nested_kind)
        .chain(over.attributes.iter().map(|a| a.name.as_str()))
        .collect();
    target.blocks.retain(|b| !kinds.contains(nested_kind(b)));
    for attr in &over.attributes {
        target.attributes.retain(|a| a.name != attr.name);
        target.attributes.push(attr.clone());
    }
    for block in &over.blocks {
        target.attributes.retain(|a| a.name != nested_kind(block));
        target.blocks.push(block.clone());
    }
}

/// The type of nested block a block makes (`dynamic "x"` makes `x`).
fn nested_kind(block: &Block) -> &str {
    if block.kind == "dynamic" {
        block.labels.first().map_or("", String::as_str)
    } else {
        &block.kind
    }
}

/// Whether a module source is a local path (read) rather than a registry,
/// VCS or archive address (read only once `terraform init` downloaded it).
pub(crate) fn is_local_source(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../")
}

/// The remote modules `terraform init` recorded in
/// `.terraform/modules/modules.json`: call path → directory.
fn downloaded_modules(root: &Path) -> Vec<(String, PathBuf)> {
    #[derive(serde::Deserialize)]
    struct Manifest {
        #[serde(rename = "Modules", default)]
        modules: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(rename = "Key", default)]
        key: String,
        #[serde(rename = "Dir", default)]
        dir: String,
    }
    let path = root.join(".terraform/modules/modules.json");
    let Some(text) = input::read(&path)
        .ok()
        .and_then(|b| String::from_utf8(b.into_vec()).ok())
    else {
        return Vec::new();
    };
    let Ok(manifest) = serde_json::from_str::<Manifest>(&text) else {
        return Vec::new();
    };
    manifest
        .modules
        .into_iter()
        .filter(|e| !e.key.is_empty() && !e.dir.is_empty())
        .map(|e| (e.key, root.join(e.dir)))
        .filter(|(_, dir)| dir.is_dir())
        .collect()
}

/// Root variable values, lowest precedence first, as Terraform applies
/// them: `TF_VAR_name` from the environment, `terraform.tfvars`,
/// `terraform.tfvars.json`, `*.auto.tfvars` / `*.auto.tfvars.json` in name
/// order, then `--var-file` / `--var` in command-line order.
fn variable_values(
    root_dir: &Path,
    var_args: &[VarArg],
    environment: &[(String, String)],
    sources: &mut Sources,
    errors: &mut Vec<FileError>,
) -> BTreeMap<String, RootValue> {
    let mut values = BTreeMap::new();
    for (name, value) in environment {
        if let Some(var) = name.strip_prefix("TF_VAR_") {
            values.insert(var.to_string(), RootValue::Raw(value.clone()));
        }
    }
    let mut autos: Vec<PathBuf> = std::fs::read_dir(root_dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json"))
        })
        .collect();
    autos.sort();
    // Whatever is there under these names is read: a FIFO or a dangling
    // symlink is an error, never a file that is not there.
    let mut files: Vec<PathBuf> = ["terraform.tfvars", "terraform.tfvars.json"]
        .iter()
        .map(|n| root_dir.join(n))
        .filter(|p| p.symlink_metadata().is_ok())
        .collect();
    files.extend(autos);
    let mut read =
        |path: &Path, shown: &Path, values: &mut BTreeMap<String, RootValue>| match read_variables(
            path, shown, sources,
        ) {
            Ok(found) => values.extend(found),
            Err(e) => errors.push(e),
        };
    for path in &files {
        read(path, &tidy(path), &mut values);
    }
    for arg in var_args {
        match arg {
            VarArg::File(path) => read(path, path, &mut values),
            VarArg::Pair(name, value) => {
                values.insert(name.clone(), RootValue::Raw(value.clone()));
            }
        }
    }
    values
}

/// The values of one variables file (HCL, or JSON by its name).
fn read_variables(
    path: &Path,
    shown: &Path,
    sources: &mut Sources,
) -> Result<Vec<(String, RootValue)>, FileError> {
    let id = read_file(path, shown, sources)?;
    let text = sources.get(id).text();
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        let node = json::parse(text).map_err(|e| (e, Some(id)))?;
        return Ok(json::variable_values(&node)
            .into_iter()
            .map(|(k, v)| (k, RootValue::Value(v)))
            .collect());
    }
    let file = hcl::parse(id, text).map_err(|e| (e, Some(id)))?;
    Ok(file
        .body
        .attributes
        .into_iter()
        .map(|a| (a.name, RootValue::Expr(a.expr)))
        .collect())
}

fn read_file(path: &Path, shown: &Path, sources: &mut Sources) -> Result<FileId, FileError> {
    // A file that cannot be read still gets an (empty) source, so its error
    // names it.
    let bytes = input::read(path).map_err(|e| {
        (
            e,
            Some(sources.add(shown.display().to_string(), String::new())),
        )
    })?;
    match input::decode(bytes) {
        Ok(decoded) => Ok(sources.add(shown.display().to_string(), decoded.text)),
        // An empty configuration file is valid (and common: variables.tf).
        Err((error, _)) if error.code == ErrorCode::EmptyInput => {
            Ok(sources.add(shown.display().to_string(), String::new()))
        }
        Err((error, text)) => {
            let file = sources.add(shown.display().to_string(), text.unwrap_or_default());
            Err((error, Some(file)))
        }
    }
}

/// Whether a configuration file is HCL (rather than JSON). Terraform
/// matches these suffixes case-sensitively, and so does tierkey.
#[allow(clippy::case_sensitive_file_extension_comparisons)]
fn is_hcl_name(name: &str) -> bool {
    name.ends_with(".tf") || name.ends_with(".tofu")
}

/// `override.tf`, `a_override.tf`, and the `.tf.json` / `.tofu` forms.
fn is_override(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let stem = ["tf.json", "tofu.json", "tf", "tofu"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext).and_then(|s| s.strip_suffix('.')))
        .unwrap_or("");
    stem == "override" || stem.ends_with("_override")
}

/// The configuration files of a directory, ordinary files first, each in
/// name order; a `.tofu` / `.tofu.json` file replaces the `.tf` /
/// `.tf.json` file of the same name (OpenTofu).
pub(crate) fn config_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| input::is_config_name(n))
        .collect();
    names.sort();
    let tofu: BTreeSet<String> = names
        .iter()
        .filter_map(|n| {
            n.strip_suffix(".tofu.json")
                .map(|b| format!("{b}.json"))
                .or_else(|| n.strip_suffix(".tofu").map(str::to_string))
        })
        .collect();
    let mut files: Vec<PathBuf> = names
        .into_iter()
        .filter(|n| {
            let replaced = n
                .strip_suffix(".tf.json")
                .map(|b| format!("{b}.json"))
                .or_else(|| n.strip_suffix(".tf").map(str::to_string));
            replaced.is_none_or(|base| !tofu.contains(&base))
        })
        .map(|n| dir.join(n))
        .collect();
    files.sort_by_key(|p| is_override(p));
    files
}

/// Lexically normalized path (`a/./b/../c` → `a/c`), for display.
pub(crate) fn tidy(path: &Path) -> PathBuf {
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
            // `./..` is `..`.
            Component::ParentDir if out.as_os_str() == "." => out = PathBuf::from(".."),
            c => out.push(c),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// A directory's canonical path (its tidy path when it does not exist).
fn canonical(paths: &Canonical, path: &Path) -> PathBuf {
    paths.of(path).unwrap_or_else(|| tidy(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_paths() {
        assert_eq!(tidy(Path::new("a/./b/../c")), PathBuf::from("a/c"));
        assert_eq!(tidy(Path::new("./a/./b")), PathBuf::from("./a/b"));
        assert_eq!(tidy(Path::new("../a/./b")), PathBuf::from("../a/b"));
        assert_eq!(tidy(Path::new("./../../m")), PathBuf::from("../../m"));
    }

    /// Every directory of configuration files under `fixtures/`, a parse
    /// error, override files and OpenTofu files among them.
    fn fixture_dirs() -> Vec<PathBuf> {
        let top = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut dirs: Vec<PathBuf> = walkdir::WalkDir::new(top)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_str().is_some_and(input::is_config_name))
            .filter_map(|e| e.path().parent().map(Path::to_path_buf))
            .collect();
        dirs.dedup();
        dirs
    }

    #[test]
    fn modules_read_on_several_threads_are_numbered_as_when_read_in_turn() {
        let dirs = fixture_dirs();
        assert!(dirs.len() > 40, "{} fixture directories", dirs.len());
        let read = |jobs: usize| {
            let mut sources = Sources::default();
            sources.add("before".into(), String::from("{}"));
            let mut workspace = Workspace::default();
            // Some read first, one by one, and asked for again.
            let calls = workspace.called_dirs(&dirs[..3], &mut sources, 1);
            let more = workspace.called_dirs(&dirs, &mut sources, jobs);
            assert_eq!(calls, more[..3]);
            let files: Vec<(String, String)> = (0..sources.len())
                .map(|i| {
                    let file = sources.get(FileId(i));
                    (file.path.clone(), file.text().to_string())
                })
                .collect();
            (format!("{:?}", workspace.modules), files, more)
        };
        let one = read(1);
        assert!(
            one.0.contains("h10-parse-error"),
            "a module that does not parse"
        );
        assert!(
            one.2.iter().any(|c| !c.is_empty()),
            "no module calls another"
        );
        for jobs in [2, 3, 64] {
            let many = read(jobs);
            assert_eq!(one.1, many.1, "files with {jobs} jobs");
            assert!(one.0 == many.0, "modules differ with {jobs} jobs");
            assert_eq!(one.2, many.2, "calls with {jobs} jobs");
        }
    }

    #[test]
    fn override_file_names() {
        for name in [
            "override.tf",
            "a_override.tf",
            "override.tf.json",
            "x_override.tofu.json",
        ] {
            assert!(is_override(Path::new(name)), "{name}");
        }
        for name in ["main.tf", "overrides.tf", "override_a.tf", "main.tf.json"] {
            assert!(!is_override(Path::new(name)), "{name}");
        }
    }
}
