//! Finding inputs and turning their bytes into checkable text.
//!
//! Directories are walked (skipping `.git/` and `.terraform/`, never
//! following symlinked directories) for plan and state documents and for
//! configuration roots (directories of `.tf.json` files that no other one
//! calls as a local module); files named on the command line are always
//! read and every problem with them is reported. In a walk, a JSON file that
//! is neither a plan, a state nor a configuration is skipped silently. Before any JSON is
//! parsed, the bytes are checked for what users actually feed a plan checker
//! by mistake: empty files, binary plan files, UTF-16 from PowerShell
//! redirection, and output captured through the setup-terraform wrapper.

use std::ops::Range;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::error::{ErrorCode, InputError};

/// What to read for one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// One JSON document: a plan, a state, or a configuration file of its own.
    Document,
    /// A directory of `.tf.json` / `.tofu.json` files: a root module.
    ConfigDir,
}

/// A file or root module to read: its path and how it was named.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub path: PathBuf,
    /// As given on the command line, joined with the walked directory.
    pub display: String,
    /// Named on the command line (not found by a walk).
    pub explicit: bool,
    pub target: Target,
}

/// Whether a file name is a JSON configuration file.
pub(crate) fn is_config_name(name: &str) -> bool {
    name.ends_with(".tf.json") || name.ends_with(".tofu.json")
}

/// Expands the command-line paths into inputs, in a stable order. Paths
/// that cannot be read, and directories with nothing to check, come back
/// as errors. In a directory, every directory of `.tf.json` files that no
/// other one calls as a local module is a root; plans and states are
/// inputs of their own.
pub(crate) fn discover(
    paths: &[PathBuf],
    exclude: Option<&globset::GlobSet>,
) -> Vec<Result<Candidate, (String, InputError)>> {
    let excluded = |path: &Path| {
        exclude.is_some_and(|set| {
            let rel = path.strip_prefix(".").unwrap_or(path);
            set.is_match(rel) || set.is_match(path)
        })
    };
    let mut out = Vec::new();
    let mut roots_here: Option<Vec<(PathBuf, Vec<PathBuf>)>> = None;
    let mut config_dirs_seen: Vec<PathBuf> = Vec::new();
    let mut add_dir =
        |out: &mut Vec<Result<Candidate, (String, InputError)>>, dir: PathBuf, explicit: bool| {
            let key = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
            if !config_dirs_seen.contains(&key) {
                config_dirs_seen.push(key);
                out.push(Ok(Candidate {
                    display: dir.display().to_string(),
                    path: dir,
                    explicit,
                    target: Target::ConfigDir,
                }));
            }
        };
    for path in paths {
        let display = path.display().to_string();
        match std::fs::metadata(path) {
            Err(e) => out.push(Err((
                display,
                InputError::new(
                    ErrorCode::Unreadable,
                    format!("cannot read {}: {}", path.display(), io_reason(&e)),
                ),
            ))),
            Ok(meta) if meta.is_dir() => {
                let mut found: Vec<Result<Candidate, (String, InputError)>> = Vec::new();
                let mut config_dirs: Vec<PathBuf> = Vec::new();
                for entry in walk(path, excluded) {
                    match entry {
                        Ok(e) if e.path().is_file() => {
                            let name = e.file_name().to_str().unwrap_or("");
                            if is_config_name(name) {
                                let dir =
                                    e.path().parent().map(Path::to_path_buf).unwrap_or_default();
                                if !config_dirs.contains(&dir) {
                                    config_dirs.push(dir);
                                }
                            } else if is_candidate_name(e.path()) {
                                found.push(Ok(Candidate {
                                    display: e.path().display().to_string(),
                                    path: e.into_path(),
                                    explicit: false,
                                    target: Target::Document,
                                }));
                            }
                        }
                        Ok(_) => {}
                        Err(e) => {
                            let at = e
                                .path()
                                .map_or_else(|| display.clone(), |p| p.display().to_string());
                            found.push(Err((
                                at.clone(),
                                InputError::new(
                                    ErrorCode::Unreadable,
                                    format!("cannot read {at}: {e}"),
                                ),
                            )));
                        }
                    }
                }
                let called: Vec<PathBuf> = config_dirs
                    .iter()
                    .flat_map(|d| crate::tfjson::called_dirs(d))
                    .collect();
                for dir in config_dirs {
                    let key = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
                    if !called.contains(&key) {
                        add_dir(&mut found, dir, false);
                    }
                }
                // Roots sort among the documents by path.
                found.sort_by_key(sort_key);
                if found.is_empty() {
                    found.push(Err((
                        display.clone(),
                        InputError::new(
                            ErrorCode::NoInputs,
                            format!("no plan, state or JSON configuration files under {display}"),
                        )
                        .help("write a plan with `terraform show -json PLANFILE > plan.json`, or name the files to check"),
                    )));
                }
                out.extend(found);
            }
            Ok(_) => {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if is_config_name(name) {
                    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                    let dir = if dir.as_os_str().is_empty() {
                        PathBuf::from(".")
                    } else {
                        dir
                    };
                    // The whole configurations the file belongs to: the
                    // roots under the current directory that call its
                    // module, else its own directory.
                    let roots =
                        roots_here.get_or_insert_with(|| local_roots(Path::new("."), excluded));
                    let key = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
                    let owners: Vec<PathBuf> = roots
                        .iter()
                        .filter(|(_, closure)| closure.contains(&key))
                        .map(|(root, _)| root.clone())
                        .collect();
                    if owners.is_empty() {
                        add_dir(&mut out, dir, true);
                    }
                    for root in owners {
                        add_dir(&mut out, root, true);
                    }
                } else if let Some(stacks) = cdktf_stacks(path) {
                    // cdktf.out/manifest.json: each stack is a root.
                    for stack in stacks {
                        add_dir(&mut out, tidy_join(stack), true);
                    }
                } else {
                    out.push(Ok(Candidate {
                        path: path.clone(),
                        display,
                        explicit: true,
                        target: Target::Document,
                    }));
                }
            }
        }
    }
    out
}

/// A walk of `top` in name order that skips `.git/`, `.terraform/` and
/// excluded paths, and never follows symlinked directories.
fn walk(
    top: &Path,
    excluded: impl Fn(&Path) -> bool,
) -> impl Iterator<Item = walkdir::Result<walkdir::DirEntry>> {
    WalkDir::new(top)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(move |e| {
            e.depth() == 0
                || !(matches!(e.file_name().to_str(), Some(".git" | ".terraform"))
                    || excluded(e.path()))
        })
}

/// The configuration roots under `top` (directories of `.tf.json` files no
/// other one calls), each with the canonical directories of every module it
/// loads, itself included.
fn local_roots(top: &Path, excluded: impl Fn(&Path) -> bool) -> Vec<(PathBuf, Vec<PathBuf>)> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for entry in walk(top, excluded).filter_map(Result::ok) {
        if entry.file_type().is_file() && entry.file_name().to_str().is_some_and(is_config_name) {
            if let Some(dir) = entry.path().parent() {
                if !dirs.iter().any(|d| d == dir) {
                    dirs.push(dir.to_path_buf());
                }
            }
        }
    }
    let calls: Vec<(PathBuf, Vec<PathBuf>)> = dirs
        .iter()
        .map(|d| {
            (
                std::fs::canonicalize(d).unwrap_or_else(|_| d.clone()),
                crate::tfjson::called_dirs(d),
            )
        })
        .collect();
    let called: Vec<&PathBuf> = calls.iter().flat_map(|(_, c)| c).collect();
    let mut roots = Vec::new();
    for (dir, (key, _)) in dirs.iter().zip(&calls) {
        if called.contains(&key) {
            continue;
        }
        let mut closure = vec![key.clone()];
        let mut i = 0;
        while i < closure.len() {
            let next: Vec<PathBuf> = calls
                .iter()
                .find(|(k, _)| *k == closure[i])
                .map(|(_, c)| c.clone())
                .unwrap_or_else(|| crate::tfjson::called_dirs(&closure[i]));
            for n in next {
                if !closure.contains(&n) {
                    closure.push(n);
                }
            }
            i += 1;
        }
        roots.push((dir.clone(), closure));
    }
    roots
}

/// The stack directories a CDKTF `manifest.json` lists
/// (`stacks.*.synthesizedStackPath`), when `path` is one.
fn cdktf_stacks(path: &Path) -> Option<Vec<PathBuf>> {
    if path.file_name()? != "manifest.json" {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
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
fn tidy_join(path: PathBuf) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

fn sort_key(c: &Result<Candidate, (String, InputError)>) -> String {
    match c {
        Ok(c) => c.display.clone(),
        Err((path, _)) => path.clone(),
    }
}

fn is_candidate_name(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    (name.ends_with(".json") && !name.ends_with(".tfvars.json")) || name.ends_with(".tfstate")
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Text ready for the JSON parser.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub text: String,
    /// Where the JSON document is inside `text`.
    pub body: Range<usize>,
    /// The JSON sits inside setup-terraform wrapper output; text after it is
    /// wrapper noise.
    pub wrapped: bool,
}

/// Reads a file's bytes.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, InputError> {
    std::fs::read(path).map_err(|e| {
        InputError::new(
            ErrorCode::Unreadable,
            format!("cannot read {}: {}", path.display(), io_reason(&e)),
        )
    })
}

/// Checks the bytes of an input and finds the JSON in them. On failure,
/// returns the error and, when there is text to point into, that text.
pub(crate) fn decode(bytes: Vec<u8>) -> Result<Decoded, (InputError, Option<String>)> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err((
            InputError::new(ErrorCode::EmptyInput, "the file is empty")
                .help("did `terraform show -json PLANFILE > plan.json` fail? Run it again and check its exit status"),
            None,
        ));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err((
            InputError::new(ErrorCode::BinaryPlan, "this is a binary plan file (the output of `terraform plan -out`)")
                .help("convert it to JSON first: `terraform show -json PLANFILE > plan.json` (or `tofu show -json`)"),
            None,
        ));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err((
            InputError::new(ErrorCode::NotUtf8, "the file is UTF-16 text, not UTF-8")
                .help("Windows PowerShell's `>` writes UTF-16; use `terraform show -json PLANFILE | Out-File -Encoding utf8 plan.json`"),
            None,
        ));
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            return Err((
                InputError::new(ErrorCode::NotUtf8, format!("invalid UTF-8 at byte {at}"))
                    .help("plans and states are UTF-8 JSON; was the file written by `terraform show -json`?")
                    .at(at..at + 1),
                Some(text),
            ));
        }
    };
    let mut start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    start += text[start..].len() - text[start..].trim_start().len();
    let rest = &text[start..];
    if rest.starts_with("[command]") || rest.starts_with("::") {
        // hashicorp/setup-terraform's wrapper echoes the command, then
        // stdout, then `::set-output` / `::debug::` lines.
        let json_at = rest
            .match_indices('\n')
            .map(|(i, _)| i + 1)
            .find(|&i| rest[i..].starts_with('{'));
        return match json_at {
            Some(i) => Ok(Decoded {
                body: start + i..text.len(),
                text,
                wrapped: true,
            }),
            None => {
                let line_end = rest.find('\n').unwrap_or(rest.len());
                Err((
                    InputError::new(
                        ErrorCode::InvalidJson,
                        "this is setup-terraform wrapper output with no JSON document in it",
                    )
                    .help("set `terraform_wrapper: false` on hashicorp/setup-terraform, or write the plan with `terraform show -json PLANFILE > plan.json`")
                    .at(start..start + line_end),
                    Some(text),
                ))
            }
        };
    }
    Ok(Decoded {
        body: start..text.len(),
        text,
        wrapped: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(bytes: &[u8]) -> ErrorCode {
        decode(bytes.to_vec()).unwrap_err().0.code
    }

    #[test]
    fn byte_level_errors() {
        assert_eq!(code(b""), ErrorCode::EmptyInput);
        assert_eq!(code(b" \n\t"), ErrorCode::EmptyInput);
        assert_eq!(code(b"PK\x03\x04rest"), ErrorCode::BinaryPlan);
        assert_eq!(code(b"\xFF\xFE{\x00"), ErrorCode::NotUtf8);
        assert_eq!(code(b"{\"a\": \"\xC3\x28\"}"), ErrorCode::NotUtf8);
        assert_eq!(
            code(b"[command]terraform show -json\n::set-output name=stdout::\n"),
            ErrorCode::InvalidJson
        );
    }

    #[test]
    fn bom_and_wrapper_are_skipped() {
        let d = decode(b"\xEF\xBB\xBF {\"a\":1}".to_vec()).unwrap();
        assert_eq!(&d.text[d.body.clone()], "{\"a\":1}");
        let d = decode(b"[command]/x/terraform-bin show -json p\n{\"a\":1}%0A\n::set-output name=exitcode::0\n".to_vec()).unwrap();
        assert!(d.wrapped);
        assert!(d.text[d.body.clone()].starts_with("{\"a\":1}"));
    }
}
