//! Configuration files on disk: which files make a module, each file read
//! and parsed once per run, which local modules a module calls, and what a
//! root configuration loads (its modules and its variable values).
//!
//! Discovery asks which directories a module calls (to find roots), loading
//! asks for the modules of a root; both are answered from the same parsed
//! files, so no file is read or parsed twice.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use super::json;
use super::tree::File;
use super::VarArg;
use crate::error::InputError;
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

/// A root configuration to load.
#[derive(Debug, Clone)]
pub(crate) enum Root {
    /// A directory of configuration files.
    Dir(PathBuf),
    /// One file already read into the sources, and its directory (where its
    /// local modules are found).
    File(FileId, PathBuf),
}

/// One module: its files, parsed, and the local modules it calls.
#[derive(Debug)]
pub(crate) struct Module {
    /// The directory its local module sources are relative to (canonical).
    pub dir: PathBuf,
    /// The same directory as the user named it (for paths in reports).
    pub shown: PathBuf,
    pub files: Vec<File>,
    /// The kind its files say they are.
    pub kind: InputKind,
    /// Its local module calls: each directory, canonical and as shown.
    pub calls: Vec<(PathBuf, PathBuf)>,
    /// The first file that could not be read or parsed.
    pub error: Option<(InputError, Option<FileId>)>,
}

/// A root configuration, loaded.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub root: ModuleKey,
    /// Every module the root reaches, itself first.
    pub modules: Vec<ModuleKey>,
    pub kind: InputKind,
    /// Root variable values from files and `--var`, in precedence order.
    pub variables: BTreeMap<String, Value<'static>>,
}

/// Every module read in a run.
#[derive(Debug, Default)]
pub(crate) struct Workspace {
    modules: BTreeMap<ModuleKey, Module>,
}

type LoadError = (InputError, Option<FileId>);

impl Workspace {
    pub(crate) fn module(&self, key: &ModuleKey) -> Option<&Module> {
        self.modules.get(key)
    }

    /// The directories (canonical) the module in `dir` calls.
    pub(crate) fn called_dirs(&mut self, dir: &Path, sources: &mut Sources) -> Vec<PathBuf> {
        let key = self.read_dir(dir, sources);
        self.modules
            .get(&key)
            .map(|m| m.calls.iter().map(|(dir, _)| dir.clone()).collect())
            .unwrap_or_default()
    }

    /// Reads and parses the configuration files of a directory, once.
    fn read_dir(&mut self, dir: &Path, sources: &mut Sources) -> ModuleKey {
        let key = ModuleKey::Dir(canonical(dir));
        if self.modules.contains_key(&key) {
            return key;
        }
        let mut module = Module::new(dir);
        for path in config_files(dir) {
            let shown = tidy(&path);
            match read_file(&path, &shown, sources) {
                Ok(id) => module.add(id, &shown, sources),
                Err(error) => {
                    module.error.get_or_insert(error);
                }
            }
        }
        self.modules.insert(key.clone(), module);
        key
    }

    /// Loads a root configuration and every local module it calls.
    pub(crate) fn load(
        &mut self,
        root: &Root,
        var_args: &[VarArg],
        sources: &mut Sources,
    ) -> Result<Loaded, LoadError> {
        let (key, root_dir) = match root {
            Root::Dir(dir) => (self.read_dir(dir, sources), dir.clone()),
            Root::File(id, dir) => {
                let key = ModuleKey::File(*id);
                if !self.modules.contains_key(&key) {
                    let mut module = Module::new(dir);
                    let shown = PathBuf::from(&sources.get(*id).path);
                    module.add(*id, &shown, sources);
                    self.modules.insert(key.clone(), module);
                }
                (key, dir.clone())
            }
        };
        // Every module the root reaches, each read once.
        let mut queue = vec![key.clone()];
        let mut seen = BTreeSet::new();
        let mut modules = Vec::new();
        while let Some(next) = queue.pop() {
            if !seen.insert(next.clone()) {
                continue;
            }
            modules.push(next.clone());
            let Some(module) = self.modules.get(&next) else {
                continue;
            };
            if let Some(error) = &module.error {
                return Err(error.clone());
            }
            for (dir, shown) in module.calls.clone() {
                if dir.is_dir() {
                    queue.push(self.read_dir(&shown, sources));
                }
            }
        }
        let kind = self.modules.get(&key).map_or(InputKind::TfJson, |m| m.kind);
        let variables = variable_values(&root_dir, var_args, sources)?;
        Ok(Loaded {
            root: key,
            modules,
            kind,
            variables,
        })
    }
}

impl Module {
    /// A module of no files yet, in `dir`.
    fn new(dir: &Path) -> Self {
        Module {
            dir: canonical(dir),
            shown: tidy(dir),
            files: Vec::new(),
            kind: InputKind::TfJson,
            calls: Vec::new(),
            error: None,
        }
    }

    /// Parses one file of the module.
    fn add(&mut self, id: FileId, shown: &Path, sources: &Sources) {
        let text = sources.get(id).text();
        let node = match json::parse(text) {
            Ok(node) => node,
            Err(e) => {
                self.error.get_or_insert((e.with_path(shown), Some(id)));
                return;
            }
        };
        if self.files.is_empty() {
            self.kind = json::kind_of(shown, &node);
        } else {
            self.kind = self.kind.max(json::kind_of(shown, &node));
        }
        let file = json::file(id, text, &node);
        for call in file.body.blocks_of("module") {
            let source = call.body.attribute("source").and_then(|a| a.expr.as_str());
            if let Some(source) = source.filter(|s| is_local_source(s)) {
                let dir = canonical(&self.dir.join(source));
                if !self.calls.iter().any(|(d, _)| *d == dir) {
                    self.calls.push((dir, tidy(&self.shown.join(source))));
                }
            }
        }
        self.files.push(file);
    }
}

/// Whether a module source is a local path (read) rather than a registry,
/// VCS or archive address (not fetched).
pub(crate) fn is_local_source(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../")
}

/// Root variable values: `terraform.tfvars.json`, then `*.auto.tfvars.json`
/// in name order, then `--var-file` / `--var` in command-line order; later
/// sources win, as in Terraform.
fn variable_values(
    root_dir: &Path,
    var_args: &[VarArg],
    sources: &mut Sources,
) -> Result<BTreeMap<String, Value<'static>>, LoadError> {
    let mut autos: Vec<PathBuf> = std::fs::read_dir(root_dir)
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
    let mut files: Vec<PathBuf> = std::iter::once(main).filter(|p| p.is_file()).collect();
    files.extend(autos);
    let mut values = BTreeMap::new();
    let mut read = |path: &Path, shown: &Path, values: &mut BTreeMap<String, Value<'static>>| {
        let id = read_file(path, shown, sources)?;
        let node =
            json::parse(sources.get(id).text()).map_err(|e| (e.with_path(shown), Some(id)))?;
        values.extend(json::variable_values(&node));
        Ok::<(), LoadError>(())
    };
    for path in &files {
        read(path, &tidy(path), &mut values)?;
    }
    for arg in var_args {
        match arg {
            VarArg::File(path) => read(path, path, &mut values)?,
            VarArg::Pair(name, value) => {
                values.insert(name.clone(), Value::String(Cow::Owned(value.clone())));
            }
        }
    }
    Ok(values)
}

fn read_file(path: &Path, shown: &Path, sources: &mut Sources) -> Result<FileId, LoadError> {
    let bytes = input::read(path).map_err(|e| (e, None))?;
    match input::decode(bytes) {
        Ok(decoded) => Ok(sources.add(shown.display().to_string(), decoded.text)),
        Err((error, text)) => {
            let file = text.map(|t| sources.add(shown.display().to_string(), t));
            Err((error.with_path(shown), file))
        }
    }
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
        .filter(|n| input::is_config_name(n))
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
            c => out.push(c),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// A directory's canonical path (its tidy path when it does not exist).
pub(crate) fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| tidy(path))
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
