//! Where an export may write. Every export (definitions bundle, members CSV, records CSV;
//! window and command line) goes through [`write_export`], which refuses to write over
//! the workspace it reads (or one of its `-wal`, `-shm`, `-journal` files), over any
//! SQLite database, or over anything that is not a regular file; an ordinary file that is
//! there already is replaced only when the user said so ([`Overwrite::Replace`]: the
//! window asks, the command line needs `--force`).
//!
//! The workspace is recognised by its (device, inode) from `std::fs::metadata`, never by
//! opening it: on POSIX, closing any descriptor of a file drops all of the process's
//! SQLite locks on it. Only a target already known NOT to be the workspace or one of its
//! side files is opened, to read its first 16 bytes (the SQLite header magic).
//!
//! The file is written under a temporary name beside the target, created 0600 on Unix,
//! and moved into place only when complete, after checking the target once more: a new
//! file by a hard link, which fails instead of replacing something that appeared in the
//! meantime; a replaced file by a rename, after giving the new file the old one's mode.
//! On any failure or a cancel the temporary file is removed.

use std::fs::{File, Metadata, Permissions};
use std::io::{ErrorKind, Read as _};
use std::path::{Path, PathBuf};

/// What every SQLite 3 database file starts with.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The side files SQLite keeps beside a database.
const SIDE_FILES: [&str; 3] = ["-wal", "-shm", "-journal"];

/// May an export replace an ordinary file that is there already?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overwrite {
    /// No: an existing file is refused ([`TargetError::Exists`]).
    Refuse,
    /// Yes, the user confirmed (or gave `--force`). The workspace, its side files and
    /// SQLite databases are refused all the same.
    Replace,
}

/// Why an export failed; nothing was written then.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The target may not be written (or stopped being writable while the export ran).
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error("could not write {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: disk full — nothing was written; free some space and try again", .0.display())]
    DiskFull(PathBuf),
    /// Reading what to export failed.
    #[error(transparent)]
    Read(#[from] super::WorkerError),
}

impl ExportError {
    /// A failed write to `path`; one that failed because the disk is full (`ENOSPC`) says so.
    pub fn write(path: &Path, source: std::io::Error) -> Self {
        if source.kind() == ErrorKind::StorageFull || (cfg!(unix) && source.raw_os_error() == Some(28)) {
            ExportError::DiskFull(path.to_owned())
        } else {
            ExportError::Write { path: path.to_owned(), source }
        }
    }

    /// A failed CSV write to `path`: its I/O error as [`ExportError::write`] says it.
    pub fn csv(path: &Path, error: csv::Error) -> Self {
        match error.into_kind() {
            csv::ErrorKind::Io(source) => Self::write(path, source),
            other => Self::write(path, std::io::Error::other(format!("{other:?}"))),
        }
    }
}

impl From<crate::store::StoreError> for ExportError {
    fn from(error: crate::store::StoreError) -> Self {
        ExportError::Read(error.into())
    }
}

/// Why an export does not write to a path.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("type the path of the file to write")]
    NoPath,
    #[error("{}: no such folder", .0.display())]
    NoFolder(PathBuf),
    #[error("{}: is a folder; add a file name", .0.display())]
    Folder(PathBuf),
    #[error("{}: is the workspace this export reads; an export never writes over it", .0.display())]
    Workspace(PathBuf),
    #[error("{}: is the {side} file of the workspace this export reads; an export never writes over it", .path.display())]
    WorkspaceFile { path: PathBuf, side: &'static str },
    #[error("{}: is a SQLite database; an export never writes over one", .0.display())]
    Database(PathBuf),
    #[error("{}: is not a regular file; an export writes only regular files", .0.display())]
    NotAFile(PathBuf),
    /// An ordinary file: the window asks before replacing it, the command line needs `--force`.
    #[error("{}: exists already", .0.display())]
    Exists(PathBuf),
    #[error("{}: {message}", .path.display())]
    Io { path: PathBuf, message: String },
}

impl TargetError {
    fn io(path: &Path, error: &std::io::Error) -> Self {
        TargetError::Io { path: path.to_owned(), message: error.to_string() }
    }
}

/// What is at an export's target now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetState {
    /// Nothing: the export creates a new file (0600 on Unix).
    Absent,
    /// An ordinary file the user agreed to replace; the new file gets its permissions.
    Replaceable(Permissions),
}

/// Whether an export reading `workspace` may write `target`, and what is there.
pub fn check_target(target: &Path, workspace: &Path, overwrite: Overwrite) -> Result<TargetState, TargetError> {
    if target.as_os_str().is_empty() {
        return Err(TargetError::NoPath);
    }
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.is_dir()
    {
        return Err(TargetError::NoFolder(parent.to_owned()));
    }
    let found = match std::fs::metadata(target) {
        Ok(found) => found,
        Err(error) if error.kind() == ErrorKind::NotFound => {
            // A symbolic link to nothing: writing through it would create a file elsewhere.
            return match std::fs::symlink_metadata(target) {
                Ok(_) => Err(TargetError::NotAFile(target.to_owned())),
                Err(_) => Ok(TargetState::Absent),
            };
        }
        Err(error) => return Err(TargetError::io(target, &error)),
    };
    if found.is_dir() {
        return Err(TargetError::Folder(target.to_owned()));
    }
    if is_same_file(&found, target, workspace) {
        return Err(TargetError::Workspace(target.to_owned()));
    }
    for side in SIDE_FILES {
        let mut side_path = workspace.as_os_str().to_owned();
        side_path.push(side);
        if is_same_file(&found, target, Path::new(&side_path)) {
            return Err(TargetError::WorkspaceFile { path: target.to_owned(), side });
        }
    }
    if !found.is_file() {
        return Err(TargetError::NotAFile(target.to_owned()));
    }
    // Known not to be the workspace or its side files: safe to open and close.
    let mut start = Vec::with_capacity(SQLITE_MAGIC.len());
    File::open(target)
        .and_then(|file| file.take(SQLITE_MAGIC.len() as u64).read_to_end(&mut start))
        .map_err(|e| TargetError::io(target, &e))?;
    if start == SQLITE_MAGIC {
        return Err(TargetError::Database(target.to_owned()));
    }
    match overwrite {
        Overwrite::Refuse => Err(TargetError::Exists(target.to_owned())),
        Overwrite::Replace => Ok(TargetState::Replaceable(found.permissions())),
    }
}

/// Whether `found` (the metadata of `target`) is the file at `other`, by device and inode.
#[cfg(unix)]
fn is_same_file(found: &Metadata, _target: &Path, other: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata(other).is_ok_and(|o| o.dev() == found.dev() && o.ino() == found.ino())
}

/// Whether the file at `target` is the file at `other`, by canonical path.
#[cfg(not(unix))]
fn is_same_file(_found: &Metadata, target: &Path, other: &Path) -> bool {
    match (std::fs::canonicalize(target), std::fs::canonicalize(other)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The temporary name an export is written under before it is moved to `target`.
fn partial_path(target: &Path) -> PathBuf {
    let name = target.file_name().map_or_else(|| "export".into(), |n| n.to_string_lossy().into_owned());
    target.with_file_name(format!(".{name}.partial"))
}

/// Writes an export of `workspace` to `target`, checked by [`check_target`] before and
/// again just before it is moved into place. `write` fills the (temporary) file and
/// returns `Some` when done or `None` when cancelled; nothing is kept then, nor on an
/// error. The messages name the file.
pub fn write_export<T>(
    target: &Path,
    workspace: &Path,
    overwrite: Overwrite,
    write: impl FnOnce(&mut File) -> Result<Option<T>, ExportError>,
) -> Result<Option<T>, ExportError> {
    check_target(target, workspace, overwrite)?;
    let partial = partial_path(target);
    let mut file = create_partial(&partial, workspace)?;
    let written = write(&mut file).and_then(|done| match done {
        Some(done) => {
            file.sync_all().map_err(|e| ExportError::write(target, e))?;
            Ok(Some(done))
        }
        None => Ok(None),
    });
    drop(file);
    let done = match written {
        Ok(Some(done)) => done,
        other => {
            remove_partial(&partial);
            return other;
        }
    };
    match move_into_place(&partial, target, workspace, overwrite) {
        Ok(()) => Ok(Some(done)),
        Err(error) => {
            remove_partial(&partial);
            Err(error.into())
        }
    }
}

/// A new, empty temporary file, readable by its owner only. A stale one (an export that
/// was killed) is replaced, unless it is something no export may write over.
fn create_partial(partial: &Path, workspace: &Path) -> Result<File, TargetError> {
    if std::fs::symlink_metadata(partial).is_ok() {
        check_target(partial, workspace, Overwrite::Replace)?;
        std::fs::remove_file(partial).map_err(|e| TargetError::io(partial, &e))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(partial).map_err(|e| TargetError::io(partial, &e))
}

/// Moves the finished `partial` to `target` if the target is (still) one the export may
/// write: a new file without ever replacing one that appeared meanwhile, or a replaced
/// file keeping the old one's permissions.
fn move_into_place(partial: &Path, target: &Path, workspace: &Path, overwrite: Overwrite) -> Result<(), TargetError> {
    match check_target(target, workspace, overwrite)? {
        TargetState::Absent => match std::fs::hard_link(partial, target) {
            Ok(()) => {
                remove_partial(partial);
                Ok(())
            }
            Err(error) if error.kind() == ErrorKind::AlreadyExists => Err(TargetError::Exists(target.to_owned())),
            // A file system without hard links: a rename, right after the check.
            Err(_) => std::fs::rename(partial, target).map_err(|e| TargetError::io(target, &e)),
        },
        TargetState::Replaceable(permissions) => {
            std::fs::set_permissions(partial, permissions).map_err(|e| TargetError::io(target, &e))?;
            std::fs::rename(partial, target).map_err(|e| TargetError::io(target, &e))
        }
    }
}

fn remove_partial(partial: &Path) {
    // It may be gone already (moved into place); nothing else to do then.
    if let Err(error) = std::fs::remove_file(partial)
        && error.kind() != ErrorKind::NotFound
    {
        eprintln!("could not remove {}: {error}", partial.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partial_file_sits_beside_the_target() {
        assert_eq!(partial_path(Path::new("/tmp/out.csv")), PathBuf::from("/tmp/.out.csv.partial"));
    }
}
