//! What `callqa diff` reads: the corpus (transcript files, folders of them,
//! and `callqa run` output folders, whose scored calls' transcripts are
//! taken) and an old rubric version out of git history (`--old-ref`).

use std::io::BufRead;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use crate::pipeline::output::{transcript_path, SCORECARDS_JSONL, TRANSCRIPTS_DIR};
use crate::rubric::{self, RubricError, RubricSource};

/// An input that could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("{}: no such file or folder: give transcript files (*.json), folders of them or `callqa run` output folders", path.display())]
    Missing { path: PathBuf },
    #[error(transparent)]
    Walk(#[from] crate::walk::WalkError),
    #[error("{}: cannot read the run's {SCORECARDS_JSONL}: {message}; run `callqa run` (or `callqa rescore`) on the folder again", path.display())]
    RunFolder { path: PathBuf, message: String },
}

/// True for the output folder of `callqa run`: its `transcripts/` beside
/// the scorecards (or the run database).
pub fn is_run_folder(dir: &Path) -> bool {
    dir.join(TRANSCRIPTS_DIR).is_dir()
        && (dir.join(SCORECARDS_JSONL).is_file()
            || dir.join(crate::pipeline::DB_FILE_NAME).is_file())
}

/// The transcript files of `inputs`, in input order (a folder's files
/// sorted, each file once; see [`crate::walk`]). A run folder contributes
/// the transcripts of the calls its last run scored (the `call_id`s of its
/// `scorecards.jsonl`, error rows left out), in the run's order; without
/// that file, every transcript in its `transcripts/`. A file that is
/// listed but cannot be read is still listed: reading it fails later and
/// is counted as that file's error.
pub fn collect(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, CorpusError> {
    let mut walker = crate::walk::Walker::new();
    let mut files = Vec::new();
    let json = |p: &Path| crate::walk::has_extension(p, "json");
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|_| CorpusError::Missing {
            path: input.clone(),
        })?;
        if !meta.is_dir() {
            files.push(input.clone());
        } else if is_run_folder(input) {
            match run_calls(input)? {
                Some(listed) => files.extend(listed),
                None => files.extend(walker.files(&input.join(TRANSCRIPTS_DIR), &json)?),
            }
        } else {
            files.extend(walker.files(input, &json)?);
        }
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(f.clone()));
    Ok(files)
}

/// The transcripts of the calls a run folder's `scorecards.jsonl` lists;
/// `None` when the folder has no such file.
fn run_calls(dir: &Path) -> Result<Option<Vec<PathBuf>>, CorpusError> {
    let path = dir.join(SCORECARDS_JSONL);
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(CorpusError::RunFolder {
                path: dir.to_path_buf(),
                message: e.to_string(),
            })
        }
    };
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| CorpusError::RunFolder {
            path: dir.to_path_buf(),
            message: e.to_string(),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let row: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| CorpusError::RunFolder {
                path: dir.to_path_buf(),
                message: format!("line {}: {e}", n + 1),
            })?;
        if row.get("error").is_some() {
            continue;
        }
        if let Some(id) = row.get("call_id").and_then(|v| v.as_str()) {
            out.push(transcript_path(dir, id));
        }
    }
    Ok(Some(out))
}

/// A rubric version that could not be taken from git history.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error(
        "--old-ref: cannot run git ({0}); install git, or give the old rubric file with --old"
    )]
    NoGit(String),
    #[error("--old-ref: {} is not inside a git repository; run callqa diff from a clone, or give the old rubric file with --old", dir.display())]
    NotARepo { dir: PathBuf },
    #[error("--old-ref {reference}: no such commit, branch or tag in {}; fetch it first (e.g. `git fetch origin main`) or check the name", repo.display())]
    UnknownRef { reference: String, repo: PathBuf },
    #[error("--old-ref {reference}: `{path}` does not exist at that commit (a new rubric?); give the old rubric with --old instead, or a ref that has the file")]
    NotInRef { reference: String, path: String },
    #[error("--old-ref: {} is outside the git repository {}; give the old rubric with --old", path.display(), repo.display())]
    OutsideRepo { path: PathBuf, repo: PathBuf },
    #[error("{0}")]
    Rubric(#[from] RubricError),
}

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, GitError> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| GitError::NoGit(e.to_string()))
}

/// `a/b/../c` → `a/c`, with `/` separators (git's path syntax).
fn git_path(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                parts.pop();
            }
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

/// The rubric at `new_path` as it was at `reference` (`git show
/// REF:path`), its dictionaries taken from the same commit. The origin in
/// messages reads `REF:path`.
pub fn rubric_at_ref(reference: &str, new_path: &Path) -> Result<RubricSource, GitError> {
    let dir = match new_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let top = git(&dir, &["rev-parse", "--show-toplevel"])?;
    if !top.status.success() {
        return Err(GitError::NotARepo { dir });
    }
    let top = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
    let commit = git(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{reference}^{{commit}}"),
        ],
    )?;
    if !commit.status.success() {
        return Err(GitError::UnknownRef {
            reference: reference.into(),
            repo: top,
        });
    }
    let absolute = std::fs::canonicalize(new_path)
        .or_else(|_| {
            std::fs::canonicalize(&dir).map(|d| d.join(new_path.file_name().unwrap_or_default()))
        })
        .unwrap_or_else(|_| new_path.to_path_buf());
    let top_real = std::fs::canonicalize(&top).unwrap_or(top.clone());
    let relative = absolute
        .strip_prefix(&top_real)
        .map_err(|_| GitError::OutsideRepo {
            path: new_path.to_path_buf(),
            repo: top.clone(),
        })?
        .to_path_buf();
    let show = |path: &str| -> Result<String, GitError> {
        let out = git(&top, &["show", &format!("{reference}:{path}")])?;
        if !out.status.success() {
            return Err(GitError::NotInRef {
                reference: reference.into(),
                path: path.into(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let rubric_path = git_path(&relative);
    let text = show(&rubric_path)?;
    let rubric_dir = relative.parent().map(Path::to_path_buf).unwrap_or_default();
    let origin = format!("{reference}:{rubric_path}");
    Ok(rubric::parse(&origin, &text, |name| {
        let path = git_path(&rubric_dir.join(name));
        let shown = format!("{reference}:{path}");
        show(&path)
            .map(|text| (shown.clone(), text))
            .map_err(|e| RubricError::Invalid {
                origin: shown.clone(),
                message: e.to_string(),
            })
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_paths_are_normalised() {
        assert_eq!(git_path(Path::new("rubrics/../dicts/a.txt")), "dicts/a.txt");
        assert_eq!(git_path(Path::new("./rubrics/cs.toml")), "rubrics/cs.toml");
    }
}
