//! Finding inputs: the command-line paths expanded into documents and
//! configuration roots, in a stable order.
//!
//! Directories are walked (skipping `.git/`, `.terraform/`, `node_modules/`
//! and what the repository's `.gitignore` files ignore, never following
//! symlinked directories) for plan and state documents and for
//! configuration roots (directories of configuration files that no other one
//! calls as a local module); files named on the command line are always
//! read and every problem with them is reported. Which directories a module
//! calls is the configuration reader's knowledge: the caller passes it in
//! ([`Calls`]), so discovery only walks the file system.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;
use walkdir::WalkDir;

use super::{io_reason, is_config_name, is_variables_name, Candidate, Target};
use crate::canonical::Canonical;
use crate::error::{ErrorCode, InputError};

/// Whether a walked path is excluded (the `exclude` globs of the settings
/// file, which the caller knows how to match).
pub(crate) type Excluded<'e> = dyn Fn(&Path) -> bool + 'e;

/// For each of some directories, the directories (canonical) that its
/// module calls as local modules (asked for many at once, so the reader
/// can read them on every core).
pub(crate) type Calls<'c> = dyn FnMut(&[PathBuf]) -> Vec<Vec<PathBuf>> + 'c;

/// One input found, or a path that could not be read (as shown, why).
pub(crate) type Found = Result<Candidate, (String, InputError)>;

/// Expands the command-line paths into inputs, in a stable order. Paths
/// that cannot be read, and directories with nothing to check, come back
/// as errors. In a directory, every directory of configuration files that
/// no other one calls as a local module is a root; plans and states are
/// inputs of their own.
pub(crate) fn discover(
    paths: &[PathBuf],
    exclude: &Excluded<'_>,
    calls: &mut Calls<'_>,
    canonical: &Canonical,
) -> Vec<Found> {
    let mut discovery = Discovery {
        exclude,
        calls,
        canonical,
        roots_seen: HashSet::new(),
        roots_here: None,
        origin: None,
    };
    let mut out = Vec::new();
    for (index, path) in paths.iter().enumerate() {
        let display = path.display().to_string();
        if path.as_os_str() == "-" {
            out.push(Ok(Candidate {
                path: path.clone(),
                display: super::STDIN.into(),
                explicit: true,
                target: Target::Stdin,
                origin: None,
            }));
            continue;
        }
        match std::fs::metadata(path) {
            Err(e) => out.push(Err((
                display,
                InputError::new(
                    ErrorCode::Unreadable,
                    format!("cannot read {}: {}", path.display(), io_reason(&e)),
                ),
            ))),
            Ok(meta) if meta.is_dir() => {
                discovery.origin = Some(index);
                out.extend(discovery.directory(path, &display));
            }
            Ok(_) => {
                discovery.origin = None;
                discovery.named_file(path, display, &mut out);
            }
        }
    }
    out
}

/// The state of one discovery: roots already listed, and the roots under
/// the current directory (found once, when a configuration file is named).
struct Discovery<'a, 'c> {
    exclude: &'a Excluded<'a>,
    calls: &'a mut Calls<'c>,
    canonical: &'a Canonical,
    /// Canonical directories of the roots listed so far.
    roots_seen: HashSet<PathBuf>,
    /// The roots under `.`, by the module directories they load.
    roots_here: Option<Owners>,
    /// The command-line path being walked (its index).
    origin: Option<usize>,
}

impl Discovery<'_, '_> {
    /// Lists a root configuration directory once.
    fn add_root(&mut self, out: &mut Vec<Found>, dir: PathBuf, explicit: bool) {
        let key = self.canonical.of(&dir).unwrap_or_else(|| dir.clone());
        if self.roots_seen.insert(key) {
            out.push(Ok(Candidate {
                display: dir.display().to_string(),
                path: dir,
                explicit,
                target: Target::ConfigDir,
                origin: self.origin,
            }));
        }
    }

    /// A walked directory: its plans and states, and its roots, sorted by
    /// path; `no-inputs` when there is nothing.
    fn directory(&mut self, path: &Path, display: &str) -> Vec<Found> {
        let mut found: Vec<Found> = Vec::new();
        let mut config_dirs: Vec<PathBuf> = Vec::new();
        let mut config_seen: HashSet<PathBuf> = HashSet::new();
        let exclude = self.exclude;
        let top = self
            .canonical
            .of(path)
            .unwrap_or_else(|| path.to_path_buf());
        for entry in walk(path, exclude) {
            match entry {
                Ok(e) if !e.file_type().is_dir() => {
                    // Names that are not UTF-8 are paths all the same.
                    let name = e.file_name().to_string_lossy();
                    if let Err(why) = walkable(&e, &top) {
                        if says_ours(&name) {
                            let at = e.path().display().to_string();
                            found.push(Err((
                                at.clone(),
                                InputError::new(
                                    ErrorCode::Unreadable,
                                    format!("cannot read {at}: {why}"),
                                ),
                            )));
                        }
                        continue;
                    }
                    if is_config_name(&name) {
                        let dir = e.path().parent().map(Path::to_path_buf).unwrap_or_default();
                        if config_seen.insert(dir.clone()) {
                            config_dirs.push(dir);
                        }
                    } else if is_candidate_name(e.path()) || is_binary_plan(e.path()) {
                        found.push(Ok(Candidate {
                            display: e.path().display().to_string(),
                            path: e.into_path(),
                            explicit: false,
                            target: Target::Document,
                            origin: self.origin,
                        }));
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    let at = e
                        .path()
                        .map_or_else(|| display.to_string(), |p| p.display().to_string());
                    found.push(Err((
                        at.clone(),
                        InputError::new(ErrorCode::Unreadable, format!("cannot read {at}: {e}")),
                    )));
                }
            }
        }
        let called: HashSet<PathBuf> = (self.calls)(&config_dirs).into_iter().flatten().collect();
        // Configuration files were found, even if each root they make was
        // listed already (the same directory named twice, or a parent).
        let configured = !config_dirs.is_empty();
        for dir in config_dirs {
            let key = self.canonical.of(&dir).unwrap_or_else(|| dir.clone());
            if !called.contains(&key) {
                self.add_root(&mut found, dir, false);
            }
        }
        // Roots sort among the documents by path.
        found.sort_by_key(sort_key);
        if found.is_empty() && !configured {
            found.push(Err((
                display.to_string(),
                InputError::new(
                    ErrorCode::NoInputs,
                    format!("no Terraform configuration, plan or state files under {display}"),
                )
                .help("write a plan with `terraform show -json PLANFILE > plan.json`, or name the files to check"),
            )));
        }
        found
    }

    /// A file named on the command line: a document, a CDKTF manifest (each
    /// stack is a root), or a configuration file (each whole configuration
    /// it belongs to: the roots under the current directory that call its
    /// module, else its own directory).
    fn named_file(&mut self, path: &Path, display: String, out: &mut Vec<Found>) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if is_variables_name(name) {
            // Variables apply to the root module of their directory.
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let dir = if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir
            };
            self.add_root(out, dir, true);
        } else if is_config_name(name) {
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let dir = if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir
            };
            if self.roots_here.is_none() {
                let here = local_roots(Path::new("."), self.exclude, self.calls, self.canonical);
                self.roots_here = Some(here);
            }
            let key = self.canonical.of(&dir).unwrap_or_else(|| dir.clone());
            let owners = self.roots_here.as_ref().and_then(|o| o.get(&key));
            let owners = owners.cloned().unwrap_or_default();
            if owners.is_empty() {
                self.add_root(out, dir, true);
            }
            for root in owners {
                self.add_root(out, root, true);
            }
        } else if let Some(stacks) = cdktf_stacks(path) {
            for stack in stacks {
                let dir = tidy_join(&stack);
                if dir.is_dir() {
                    self.add_root(out, dir, true);
                } else {
                    let at = dir.display().to_string();
                    out.push(Err((
                        at.clone(),
                        InputError::new(
                            ErrorCode::Unreadable,
                            format!("cannot read {at}: the stack directory {display} lists does not exist"),
                        )
                        .help("run `cdktf synth` again: the manifest and the stacks it lists must be written together"),
                    )));
                }
            }
        } else {
            out.push(Ok(Candidate {
                path: path.to_path_buf(),
                display,
                explicit: true,
                target: Target::Document,
                origin: None,
            }));
        }
    }
}

/// Whether a walked entry may be read: a regular file, or a symlink to one
/// inside the walked tree (`top`, canonical). Else why not.
fn walkable(entry: &walkdir::DirEntry, top: &Path) -> Result<(), &'static str> {
    let kind = entry.file_type();
    if kind.is_file() {
        return Ok(());
    }
    if !kind.is_symlink() {
        return Err(super::NOT_REGULAR);
    }
    let Ok(target) = std::fs::canonicalize(entry.path()) else {
        return Err("it is a symlink to nothing (dangling)");
    };
    if !target.starts_with(top) {
        return Err(
            "it is a symlink that leaves the walked directory, which tierkey does not follow",
        );
    }
    match std::fs::metadata(&target) {
        Ok(meta) if meta.is_file() => Ok(()),
        // A symlink to a directory is not walked into.
        Ok(meta) if meta.is_dir() => Err("it is a symlink to a directory"),
        _ => Err("it is a symlink to something that is not a regular file"),
    }
}

/// Whether a file's name says it is a configuration, a plan or a state: in
/// a walk, such a file that cannot be read is an error, never a skip.
/// (Variables files are read, and reported, by their root.) The name is
/// lowered first, so the suffixes compare without case.
#[allow(clippy::case_sensitive_file_extension_comparisons)]
fn says_ours(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    is_config_name(name)
        || ((lower.contains("plan") || lower.contains("tfstate"))
            && (lower.ends_with(".json") || lower.ends_with(".tfstate")))
}

/// A walk of `top` in name order that skips `.git/`, `.terraform/`,
/// `node_modules/`, what `.gitignore` files ignore, and excluded paths, and
/// never follows symlinked directories.
fn walk<'e>(
    top: &Path,
    excluded: &'e Excluded<'e>,
) -> impl Iterator<Item = walkdir::Result<walkdir::DirEntry>> + 'e {
    let ignores = GitIgnores::new(top);
    WalkDir::new(top)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(move |e| {
            e.depth() == 0
                || !(matches!(
                    e.file_name().to_str(),
                    Some(".git" | ".terraform" | "node_modules")
                ) || excluded(e.path())
                    || ignores.ignores(e.path(), e.file_type().is_dir()))
        })
}

/// The `.gitignore` files of a git working tree, read as a walk reaches
/// them: a path is ignored as git ignores it, by the nearest `.gitignore`
/// (of its directory or a parent, up to the top of the working tree) that
/// says anything about it. Outside a working tree nothing is ignored.
struct GitIgnores {
    /// The top of the working tree (the directory holding `.git`).
    top: Option<PathBuf>,
    /// Each directory's rules, once read (`None`: no `.gitignore`).
    rules: RefCell<HashMap<PathBuf, Option<Gitignore>>>,
    /// The current directory, asked once (walked paths are relative to it).
    cwd: Option<PathBuf>,
}

impl GitIgnores {
    fn new(start: &Path) -> Self {
        let start = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
        let top = start
            .ancestors()
            .find(|dir| dir.join(".git").exists())
            .map(Path::to_path_buf);
        GitIgnores {
            top,
            rules: RefCell::new(HashMap::new()),
            cwd: std::env::current_dir().ok(),
        }
    }

    fn ignores(&self, path: &Path, is_dir: bool) -> bool {
        let Some(top) = &self.top else {
            return false;
        };
        let path = match &self.cwd {
            Some(cwd) if path.is_relative() => std::path::absolute(cwd.join(path)),
            _ => std::path::absolute(path),
        };
        let Ok(path) = path else {
            return false;
        };
        for dir in path.ancestors().skip(1) {
            let mut rules = self.rules.borrow_mut();
            let gitignore = rules.entry(dir.to_path_buf()).or_insert_with(|| {
                let file = dir.join(".gitignore");
                file.is_file().then(|| {
                    let mut builder = GitignoreBuilder::new(dir);
                    // A line git would not read is skipped, as git skips it.
                    let _ = builder.add(&file);
                    builder.build().unwrap_or_else(|_| Gitignore::empty())
                })
            });
            if let Some(gitignore) = gitignore {
                match gitignore.matched(&path, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
            if dir == top.as_path() {
                break;
            }
        }
        false
    }
}

/// For each directory (canonical) some root loads as a module, itself
/// included, the roots that load it, in the order they were walked.
type Owners = HashMap<PathBuf, Vec<PathBuf>>;

/// The configuration roots under `top` (directories of configuration files
/// no other one calls), by the modules they load: the owners of each
/// module directory.
fn local_roots(
    top: &Path,
    excluded: &Excluded<'_>,
    calls: &mut Calls<'_>,
    canonical: &Canonical,
) -> Owners {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    for entry in walk(top, excluded).filter_map(Result::ok) {
        if entry.file_type().is_file() && entry.file_name().to_str().is_some_and(is_config_name) {
            if let Some(dir) = entry.path().parent() {
                if seen.insert(dir.to_path_buf()) {
                    dirs.push(dir.to_path_buf());
                }
            }
        }
    }
    let keys: Vec<PathBuf> = dirs
        .iter()
        .map(|d| canonical.of(d).unwrap_or_else(|| d.clone()))
        .collect();
    let called_by_each = calls(&dirs);
    let known: HashMap<&PathBuf, &Vec<PathBuf>> = keys.iter().zip(&called_by_each).collect();
    let called: HashSet<&PathBuf> = called_by_each.iter().flatten().collect();
    let mut owners = Owners::new();
    for (dir, key) in dirs.iter().zip(&keys) {
        if called.contains(key) {
            continue;
        }
        let mut closure = vec![key.clone()];
        let mut in_closure: HashSet<PathBuf> = HashSet::from([key.clone()]);
        let mut i = 0;
        while i < closure.len() {
            let next: Vec<PathBuf> = match known.get(&closure[i]) {
                Some(called) => (*called).clone(),
                None => calls(std::slice::from_ref(&closure[i])).concat(),
            };
            for n in next {
                if in_closure.insert(n.clone()) {
                    closure.push(n);
                }
            }
            i += 1;
        }
        for module in closure {
            owners.entry(module).or_default().push(dir.clone());
        }
    }
    owners
}

/// The stack directories a CDKTF `manifest.json` lists
/// (`stacks.*.synthesizedStackPath`), when `path` is one.
fn cdktf_stacks(path: &Path) -> Option<Vec<PathBuf>> {
    if path.file_name()? != "manifest.json" {
        return None;
    }
    let text = String::from_utf8(super::read(path).ok()?.into_vec()).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    let base = path.parent()?;
    let stacks: Vec<PathBuf> = manifest
        .get("stacks")?
        .as_object()?
        .values()
        .filter_map(|s| s.get("synthesizedStackPath")?.as_str())
        .filter_map(|p| base.join(p).parent().map(Path::to_path_buf))
        .collect();
    (!stacks.is_empty()).then_some(stacks)
}

/// `a/./b` → `a/b` (manifest paths start with `./`).
fn tidy_join(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

fn sort_key(c: &Found) -> String {
    match c {
        Ok(c) => c.display.clone(),
        Err((path, _)) => path.clone(),
    }
}

/// A binary plan file (`terraform plan -out`, a zip archive) under a name
/// that says plan (`plan.tfplan`, `tfplan`, `plan.out`): by its first bytes.
fn is_binary_plan(path: &Path) -> bool {
    use std::io::Read;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if !(name.contains("plan") || extension.as_deref() == Some("out")) {
        return false;
    }
    let mut head = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head == *b"PK\x03\x04")
}

/// A plan, a state or a JSON document of its own (not a variables file).
fn is_candidate_name(path: &Path) -> bool {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("json") => !path
            .file_stem()
            .and_then(|s| s.to_str())
            .is_some_and(|s| s.to_ascii_lowercase().ends_with(".tfvars")),
        Some("tfstate") => true,
        _ => false,
    }
}
