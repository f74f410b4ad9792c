//! Canonical paths, each looked up in the file system once per run.
//!
//! A run asks for the canonical form of the same directories again and
//! again: to list a root once, to key each module, to join a plan to the
//! root it was made from. The system answers each question by looking at
//! every component of the path (a `readlink` each: 14 µs for a path of
//! nine components on the benchmark's machine, where 500 roots asked
//! 10 500 times). Here a path's answer is its parent's, remembered, and
//! one look at its own last component: a symlink there is resolved by the
//! system, as before.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The canonical paths a run has asked for (shared by its threads).
#[derive(Debug, Default)]
pub(crate) struct Canonical {
    /// Each path asked that exists, exactly as asked (paths compare by
    /// component: `a/` would be `a`), and its answer. A path that does not
    /// exist is not remembered: what a run keeps grows with the paths on
    /// disk, never with the names an input makes up.
    known: Mutex<HashMap<OsString, PathBuf>>,
}

/// Paths of more components than this are asked of the system directly
/// (it answers none longer than 4096 bytes), never through their parents.
const DEEPEST: usize = 256;

impl Canonical {
    /// What `std::fs::canonicalize(path)` answers, asked of the system
    /// once per path (and per parent).
    pub(crate) fn of(&self, path: &Path) -> Option<PathBuf> {
        if let Some(known) = self.lock().get(path.as_os_str()) {
            return Some(known.clone());
        }
        // `a/` and `a/.` must be directories: the system says whether.
        let text = path.as_os_str().as_encoded_bytes();
        let dir_only = text.ends_with(b"/.") || text.last().is_some_and(|&b| b == b'/');
        let deep = path.components().nth(DEEPEST).is_some();
        let answer = match (path.parent(), path.file_name()) {
            // `a/b`: `a`'s answer joined with `b`, when `b` is there and is
            // no symlink. A path that is not there is looked at once.
            (Some(parent), Some(name)) if !dir_only && !deep => {
                match std::fs::symlink_metadata(path) {
                    Ok(meta) if !meta.file_type().is_symlink() => {
                        let parent = if parent.as_os_str().is_empty() {
                            Path::new(".")
                        } else {
                            parent
                        };
                        self.of(parent).map(|real| real.join(name))
                    }
                    Ok(_) => std::fs::canonicalize(path).ok(),
                    Err(_) => None,
                }
            }
            // `/`, `.`, `a/`, paths ending in `..`, and the deepest: the
            // system's answer.
            _ => std::fs::canonicalize(path).ok(),
        };
        if let Some(answer) = &answer {
            self.lock()
                .insert(path.as_os_str().to_owned(), answer.clone());
        }
        answer
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<OsString, PathBuf>> {
        // A thread that panicked holding the lock left a whole map behind.
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of path gets the system's own answer: relative and
    /// absolute, `.` and `..` anywhere, symlinks to directories and to
    /// files, inside and outside the tree, dangling, in a loop, and paths
    /// that do not exist or go through a file.
    #[test]
    fn answers_as_the_system_does() {
        let top = std::env::temp_dir().join(format!("tierkey-canonical-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&top);
        std::fs::create_dir_all(top.join("a/b/c")).expect("dirs");
        std::fs::create_dir_all(top.join("d")).expect("dirs");
        std::fs::write(top.join("a/b/file.tf"), "").expect("file");
        #[cfg(unix)]
        {
            use std::os::unix::fs::symlink;
            symlink(top.join("a/b"), top.join("d/to-b")).expect("link");
            symlink("../a/b/c", top.join("d/rel-c")).expect("link");
            symlink("file.tf", top.join("a/b/link.tf")).expect("link");
            symlink("nowhere", top.join("d/dangling")).expect("link");
            symlink("loop", top.join("d/loop")).expect("link");
            symlink("/", top.join("d/root")).expect("link");
        }
        let asked = [
            "a",
            "a/b",
            "a/b/c",
            "a/./b",
            "a/b/..",
            "a/b/../b/c",
            "a/b/c/../..",
            "d/to-b",
            "d/to-b/c",
            "d/to-b/..",
            "d/rel-c",
            "d/rel-c/..",
            "a/b/link.tf",
            "a/b/file.tf",
            "a/b/file.tf/x",
            "a/b/file.tf/",
            "a/b/file.tf/.",
            "a/b/c/",
            "a/b/c/.",
            "d/dangling",
            "d/loop",
            "d/root",
            "d/root/tmp",
            "missing",
            "missing/x",
            "a//b/",
            ".",
            "..",
            "",
        ];
        let canonical = Canonical::default();
        for base in [top.clone(), top.join("a/../d/..")] {
            for path in asked {
                let path = base.join(path);
                for _ in 0..2 {
                    assert_eq!(
                        canonical.of(&path),
                        std::fs::canonicalize(&path).ok(),
                        "{}",
                        path.display()
                    );
                }
            }
        }
        let cwd = std::env::current_dir().expect("cwd");
        for path in [
            "src",
            "src/../src/canonical.rs",
            ".",
            "./src/.",
            "no-such-dir",
        ] {
            assert_eq!(
                canonical.of(Path::new(path)),
                std::fs::canonicalize(path).ok(),
                "{path} from {}",
                cwd.display()
            );
        }
        let _ = std::fs::remove_dir_all(&top);
    }

    /// Made-up paths cost nothing to keep, and a very deep one is asked of
    /// the system, not through each of its parents.
    #[test]
    fn paths_that_are_not_there_are_not_kept() {
        let canonical = Canonical::default();
        assert!(canonical.of(Path::new("src")).is_some());
        let kept = canonical.lock().len();
        for i in 0..1000 {
            let missing = format!("src/no-such-{i}/a/b/c/d/e/f/g");
            assert_eq!(canonical.of(Path::new(&missing)), None);
        }
        assert_eq!(canonical.lock().len(), kept);
        // Half a million components, on a thread of a small stack.
        let deep = "a/".repeat(500_000) + "a";
        let asked = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || canonical.of(Path::new(&deep)))
            .expect("thread")
            .join()
            .expect("no overflow");
        assert_eq!(asked, None);
    }
}
