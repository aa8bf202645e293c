//! Folder walking for every command that takes folders of inputs: the
//! transcripts of `score`, `check`, `promises` and `hotspots`, and the
//! recordings of `run`. It owns the rules that keep a walk finite and each
//! file listed once:
//!
//! - directory symlinks are followed (a folder of links to the real calls is
//!   a common way to pick a sample), but each directory is entered once, by
//!   its (device, inode): `ln -s . calls/a`, `ln -s .. calls/b` and a link to
//!   a sibling folder end the walk instead of recursing forever;
//! - a file reached by two paths (a symlink and its target, a hard link, a
//!   folder given twice) is listed once, under the first path in sorted
//!   order, so a call is never scored twice;
//! - the order is sorted by path, whatever order the file system lists;
//! - a dangling symlink whose name is wanted stays in the list, exactly like
//!   an unreadable file does: reading it fails, and the caller turns that
//!   into the file's error row ([`read_problem`] says what is wrong and how
//!   to fix it). A folder that cannot be listed stops the walk with an error
//!   naming it, as before.
//!
//! The walk keeps its own stack instead of recursing, so a very deep tree
//! cannot overflow the thread's stack.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// What identifies a file or folder regardless of the path it is reached by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Canonical(PathBuf),
}

fn identity(path: &Path, meta: &fs::Metadata) -> Identity {
    #[cfg(unix)]
    {
        let _ = path;
        use std::os::unix::fs::MetadataExt;
        Identity::Inode(meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Identity::Canonical(fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
    }
}

/// A folder that could not be listed.
#[derive(Debug, thiserror::Error)]
#[error(
    "{}: cannot list the folder: {source}; make it readable (e.g. `chmod u+rx`) or leave it out of the inputs",
    path.display()
)]
pub struct WalkError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// One walk over any number of folders. Folders and files already seen by
/// this walker are skipped in later calls too, so the same folder given
/// twice (or once directly and once through a link) is listed once.
#[derive(Debug, Default)]
pub struct Walker {
    dirs: HashSet<Identity>,
    files: HashSet<Identity>,
}

impl Walker {
    pub fn new() -> Walker {
        Walker::default()
    }

    /// The files under `root` (recursively) whose path `wanted` accepts,
    /// sorted by path, each file once.
    pub fn files(
        &mut self,
        root: &Path,
        wanted: &dyn Fn(&Path) -> bool,
    ) -> Result<Vec<PathBuf>, WalkError> {
        let mut found: Vec<(PathBuf, Option<Identity>)> = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let listing_error = |source| WalkError {
                path: dir.clone(),
                source,
            };
            let meta = fs::metadata(&dir).map_err(listing_error)?;
            if !self.dirs.insert(identity(&dir, &meta)) {
                continue;
            }
            let mut subdirs = Vec::new();
            for entry in fs::read_dir(&dir).map_err(listing_error)? {
                let path = entry.map_err(listing_error)?.path();
                // Follows symlinks; a dangling one has no metadata.
                match fs::metadata(&path) {
                    Ok(meta) if meta.is_dir() => subdirs.push(path),
                    Ok(meta) if wanted(&path) => {
                        let id = identity(&path, &meta);
                        found.push((path, Some(id)));
                    }
                    Ok(_) => {}
                    Err(_) if wanted(&path) => found.push((path, None)),
                    Err(_) => {}
                }
            }
            // Entered in sorted order, so which of two paths to one folder
            // is walked does not depend on the file system's listing order.
            subdirs.sort();
            stack.extend(subdirs.into_iter().rev());
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        let mut files = Vec::with_capacity(found.len());
        for (path, id) in found {
            // A dangling link has no identity: each is its own entry.
            if id.is_none_or(|id| self.files.insert(id)) {
                files.push(path);
            }
        }
        Ok(files)
    }
}

/// True when `path`'s extension is `extension`, in any case.
pub fn has_extension(path: &Path, extension: &str) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(extension))
}

/// The message for a listed file that cannot be opened when the cause is
/// the walk's business: a symlink whose target is gone. `None` for any other
/// cause (the reader's own message says it better).
pub fn read_problem(path: &Path) -> Option<String> {
    let link = fs::symlink_metadata(path).ok()?;
    if !link.file_type().is_symlink() || fs::metadata(path).is_ok() {
        return None;
    }
    let target = fs::read_link(path)
        .map(|t| t.display().to_string())
        .unwrap_or_else(|_| "an unreadable target".to_string());
    Some(format!(
        "{}: is a symbolic link to {target}, which does not exist; fix the link (`ln -sf TARGET {}`) or remove it",
        path.display(),
        path.display()
    ))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn touch(path: &Path) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, b"{}").unwrap();
    }

    fn json(path: &Path) -> bool {
        has_extension(path, "json")
    }

    #[test]
    fn loops_end_and_linked_files_count_once() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("calls");
        touch(&root.join("a.json"));
        touch(&root.join("sub/b.json"));
        touch(&tmp.path().join("other/c.json"));
        symlink(".", root.join("self")).unwrap();
        symlink("..", root.join("sub/up")).unwrap();
        symlink("../other", root.join("sibling")).unwrap();
        symlink("a.json", root.join("z-link.json")).unwrap();
        let files = Walker::new().files(&root, &json).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["a.json", "sibling/c.json", "sub/b.json"]);
    }

    #[test]
    fn dangling_links_are_listed_and_explained() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("calls");
        touch(&root.join("a.json"));
        symlink("gone.json", root.join("b.json")).unwrap();
        symlink("gone-folder", root.join("c")).unwrap();
        let files = Walker::new().files(&root, &json).unwrap();
        assert_eq!(files, [root.join("a.json"), root.join("b.json")]);
        let message = read_problem(&root.join("b.json")).unwrap();
        assert!(
            message.contains("b.json") && message.contains("to gone.json, which does not exist"),
            "{message}"
        );
        assert_eq!(read_problem(&root.join("a.json")), None);
    }

    #[test]
    fn a_folder_given_twice_is_listed_once() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("calls");
        touch(&root.join("a.json"));
        symlink(&root, tmp.path().join("again")).unwrap();
        let mut walker = Walker::new();
        assert_eq!(walker.files(&root, &json).unwrap().len(), 1);
        assert!(walker
            .files(&tmp.path().join("again"), &json)
            .unwrap()
            .is_empty());
    }
}
