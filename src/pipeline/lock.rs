//! One writer per output folder: `run` and `rescore` hold an advisory lock
//! on `DIR/callqa.lock` while they work, so a second callqa started on the
//! same folder does not transcribe everything a second time beside the
//! first; it says who holds the folder and stops (or, asked to, waits).
//!
//! The lock is the operating system's (`flock` on Unix, `LockFileEx` on
//! Windows): it belongs to the open file, so the OS drops it when the
//! process ends in any way, `kill -9` included, and a crash never leaves a
//! stale lock behind. The file's text (pid, host, command, start time) is
//! only there for the message; the lock decides.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// File name of the lock inside the output folder.
pub const LOCK_FILE_NAME: &str = "callqa.lock";

/// Why the folder could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{}: another callqa is writing this folder ({holder}); wait for it to finish, \
             or add --wait to start as soon as it does", folder.display())]
    Busy { folder: PathBuf, holder: String },
    #[error("{}: cannot lock the output folder: {source}; check that the folder is writable \
             and on a file system with file locks", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The held lock; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct FolderLock {
    file: File,
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // Emptied first so that a process that finds the folder locked a
        // moment later never names this finished one as the holder.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// Locks `folder` (which must exist) for `command`. When another process
/// holds it: with `wait`, calls `on_wait` with a description of the holder
/// and blocks until it is released; without, returns [`LockError::Busy`].
pub fn lock_folder(
    folder: &Path,
    command: &str,
    wait: bool,
    on_wait: impl FnOnce(&str),
) -> Result<FolderLock, LockError> {
    let path = folder.join(LOCK_FILE_NAME);
    let io = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    // Not truncated on open: until we hold the lock the text is the holder's.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = describe_holder(&mut file);
            if !wait {
                return Err(LockError::Busy {
                    folder: folder.to_path_buf(),
                    holder,
                });
            }
            on_wait(&holder);
            file.lock().map_err(io)?;
        }
        Err(std::fs::TryLockError::Error(source)) => return Err(io(source)),
    }
    let text = format!(
        "pid={}\nhost={}\ncommand=callqa {command}\nsince={}\n",
        std::process::id(),
        host_name(),
        jiff::Timestamp::now()
            .round(jiff::Unit::Second)
            .unwrap_or_else(|_| jiff::Timestamp::now()),
    );
    file.set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| file.write_all(text.as_bytes()))
        .and_then(|()| file.sync_data())
        .map_err(io)?;
    Ok(FolderLock { file })
}

/// "pid 1234 on host a1, `callqa run` since 2026-12-06T19:30:00Z", from
/// the lock file's text.
fn describe_holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file
        .seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_string(&mut text));
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    match field("pid") {
        None => "a process that has not written its pid yet".into(),
        Some(pid) => format!(
            "pid {pid} on host {}, `{}` since {}",
            field("host").unwrap_or("?"),
            field("command").unwrap_or("callqa"),
            field("since").unwrap_or("?")
        ),
    }
}

fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .or_else(|| std::env::var("COMPUTERNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_names_the_first_and_the_lock_frees_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_folder(dir.path(), "run", false, |_| {}).unwrap();
        let busy = lock_folder(dir.path(), "rescore", false, |_| {}).unwrap_err();
        let message = busy.to_string();
        assert!(
            message.contains(&format!("pid {}", std::process::id()))
                && message.contains("`callqa run` since")
                && message.contains("--wait"),
            "{message}"
        );
        drop(first);
        lock_folder(dir.path(), "rescore", false, |_| {}).unwrap();
    }
}
