//! Which workspace files this process holds open, so that no second descriptor is ever
//! opened and closed on one of them.
//!
//! On POSIX, closing ANY descriptor of a file drops ALL the process's `fcntl` locks on it,
//! including the ones SQLite's connections hold. Without them another process's SQLite
//! believes nobody has the file open: on close it checkpoints and deletes the `-wal` and
//! `-shm`, and what this process writes afterwards is lost ("How To Corrupt An SQLite
//! Database File", 2.2). So: every `Workspace` with a path registers its file here (counted,
//! by device and inode, read through `std::fs::metadata`, which opens no descriptor) for as
//! long as its connection lives, and code that would read a file with `std::fs` asks
//! [`is_held_workspace`] or [`is_same_file`] first.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// What identifies a file whatever path names it: (device, inode) on Unix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct FileKey {
    device: u64,
    inode: u64,
}

impl FileKey {
    /// The file at `path` (following symbolic links); `None` when it cannot be seen.
    pub(super) fn of(path: &Path) -> Option<Self> {
        let metadata = std::fs::metadata(path).ok()?;
        Some(Self::from_metadata(&metadata))
    }

    #[cfg(unix)]
    fn from_metadata(metadata: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt as _;
        Self { device: metadata.dev(), inode: metadata.ino() }
    }

    /// Elsewhere closing a handle drops only that handle's locks: a file is never "held"
    /// (every key differs), and [`is_same_file`] falls back to comparing canonical paths.
    #[cfg(not(unix))]
    fn from_metadata(_metadata: &std::fs::Metadata) -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Self { device: u64::MAX, inode: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) }
    }
}

/// How many open `Workspace`s of this process hold each file.
static HELD: Mutex<Option<HashMap<FileKey, usize>>> = Mutex::new(None);

fn held() -> MutexGuard<'static, Option<HashMap<FileKey, usize>>> {
    // The map stays consistent whatever panicked while holding the lock (one insert or
    // decrement at a time), so a poisoned lock is still good.
    HELD.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A registration of an open workspace file; dropping it (after the connection: it is the
/// last field of `Workspace`) releases it.
#[derive(Debug)]
pub(super) struct Held {
    key: FileKey,
}

impl Held {
    /// Registers the file at `path` as held, running `first` (the raw header check) only
    /// when no other `Workspace` of this process holds it, under the registry's lock so no
    /// connection of this process can open meanwhile. `first`'s error leaves nothing held.
    /// A file that cannot be seen is not registered (`None`): opening it fails anyway.
    pub(super) fn register<E>(path: &Path, first: impl FnOnce() -> Result<(), E>) -> Result<Option<Self>, E> {
        let mut map = held();
        let Some(key) = FileKey::of(path) else {
            // Not there (or not visible): `first` says why, with the file's own error.
            first()?;
            return Ok(None);
        };
        let map = map.get_or_insert_with(HashMap::new);
        let count = map.entry(key).or_insert(0);
        if *count == 0
            && let Err(e) = first()
        {
            map.remove(&key);
            return Err(e);
        }
        *count += 1;
        Ok(Some(Self { key }))
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut map = held();
        if let Some(map) = map.as_mut()
            && let Some(count) = map.get_mut(&self.key)
        {
            *count -= 1;
            if *count == 0 {
                map.remove(&self.key);
            }
        }
    }
}

/// Whether a `Workspace` of this process has the file at `path` open (under any name). Such
/// a file must not be opened with `std::fs` at all: closing that descriptor would drop the
/// workspace's locks. Opens no descriptor.
pub fn is_held_workspace(path: &Path) -> bool {
    let Some(key) = FileKey::of(path) else { return false };
    held().as_ref().is_some_and(|map| map.contains_key(&key))
}

/// Whether `a` and `b` name the same existing file (hard links and symbolic links
/// included): "is this input or output the workspace itself?". Opens no descriptor.
pub fn is_same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        matches!((FileKey::of(a), FileKey::of(b)), (Some(x), Some(y)) if x == y)
    }
    #[cfg(not(unix))]
    {
        matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
    }
}
