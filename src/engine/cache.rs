//! The column cache: a snapshot's columns kept in a file beside the workspace, so opening a
//! workspace reads them back (≈ 0.1 s at a million leads) instead of building them from
//! SQL rows (≈ 5 s).
//!
//! **A sidecar file, not chunks inside the workspace.** The cache is derived data that can
//! be thrown away at any time; inside the workspace it would grow the file and its WAL by
//! the size of the columns on every refresh, make a read-only command (`preview`) a writer,
//! and be copied into every backup. Beside it (`WORKSPACE.columns`, owner-only like the
//! workspace) it is written without touching the workspace or its locks — never through a
//! descriptor on the workspace file itself.
//!
//! **Mapped, checked whole, decoded column by column when first read.** The file is
//! memory-mapped (pages prefaulted from the page cache) instead of read into a buffer: at
//! a million records that buffer was 200 MB of fresh pages to fault and fill. Every column
//! is checked when the file is read (lengths, codes, rows), but copied out of the map only
//! when something reads it (`snapshot::Columns`): a one-shot preview decodes the few its
//! conditions name. The map lives until no column waits for it; the window decodes them
//! all at once. The one `unsafe` block of the crate says why the mapped bytes cannot
//! change under the reader.
//!
//! **The rule that keeps it true.** SQLite stays the one source of truth. The file carries
//! what it was made from — the workspace's identity (`workspace_identity`, version 7), the
//! change log's sequence number read *before* the records were, the schema and the time
//! zone — and a checksum of every byte. It is used only when all of them match the
//! workspace; the changes logged after its number (by SQLite triggers for every other
//! program, by the store for Segment Builder's own writes: single records, and the
//! records each transaction changed, `store::touched`) are then replayed
//! by reading those records again (`worker::column_cache`). A change whose records are not
//! known (a bulk write by Segment Builder, a trimmed log, a workspace older than the
//! cache) or any mismatch means a rebuild from SQL. It is written under a temporary name
//! and renamed into place, so a crash leaves the old file or none; a torn or damaged file
//! fails its length or checksum and is ignored.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;

use super::snapshot::{DecodeError, SharedBytes, Snapshot};
use crate::checksum::checksum;
use crate::domain::{Schema, SellerId, TeamId};

/// The first bytes of a cache file: the format (its last byte the version). Version 5:
/// whole-number and money columns keep only their exact integers, each as narrow as the
/// column's values allow (version 4 kept eight bytes each, version 3 an `f64` beside
/// each, and before it dictionaries held texts lowercased), so an older file is refused
/// and rebuilt.
const MAGIC: &[u8; 8] = b"SBCOLS\0\x05";

/// What a cache was made from; it is used only for a workspace that matches all of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheKey {
    /// The workspace's identity (`store::LogPosition::workspace`).
    pub workspace: String,
    /// The change log's sequence number read before the records were.
    pub seq: i64,
    /// The schema, serialized (JSON): any change of a type, field, choice or lookup.
    pub schema: String,
    /// The workspace's time zone (calendar days of date-times depend on it).
    pub time_zone: String,
}

impl CacheKey {
    pub fn new(workspace: String, seq: i64, schema: &Schema, time_zone: &str) -> Result<Self, CacheError> {
        let schema = serde_json::to_string(schema).map_err(|e| CacheError::Invalid(e.to_string()))?;
        Ok(Self { workspace, seq, schema, time_zone: time_zone.to_owned() })
    }

    /// Whether a cache made with this key was made for the same workspace, schema and
    /// time zone as `now` (the sequence numbers are compared by replaying the log).
    pub fn same_origin(&self, now: &CacheKey) -> bool {
        self.workspace == now.workspace && self.schema == now.schema && self.time_zone == now.time_zone
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the column cache is damaged or incomplete ({0})")]
    Invalid(String),
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// A cache file read and checked (magic, length, checksum), its columns not decoded yet.
pub struct CacheFile {
    pub key: CacheKey,
    bytes: std::sync::Arc<Bytes>,
    columns_at: usize,
}

/// A cache file's bytes: mapped, or read where the file cannot be mapped.
enum Bytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(map) => map,
            Bytes::Read(bytes) => bytes,
        }
    }
}

/// The bytes of the file at `path` (`None`: there is none).
fn file_bytes(path: &Path) -> std::io::Result<Option<Bytes>> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    // An empty file cannot be mapped everywhere; it is no cache either way.
    if file.metadata()?.len() == 0 {
        return Ok(Some(Bytes::Read(Vec::new())));
    }
    // SAFETY: the map is only read, and its bytes are checked (length, checksum, then every
    // length, code and row while decoding) before anything is built from them. The file is
    // the workspace's own cache, private to its owner, and `write` only ever replaces it by
    // renaming a new file over it — the mapped file is never written in place, so its
    // bytes stay as they were while mapped. (Another program of the same user that cut the
    // file short under the map could make a read fault; nothing in Segment Builder does.)
    match unsafe { memmap2::MmapOptions::new().populate().map(&file) } {
        Ok(map) => Ok(Some(Bytes::Mapped(map))),
        // A file system that cannot map: read it.
        Err(_) => std::fs::read(path).map(|bytes| Some(Bytes::Read(bytes))),
    }
}

impl CacheFile {
    /// The snapshot the file holds, for `schema` and `time_zone` (those of [`CacheFile::key`]),
    /// every column checked; each is decoded from the file's bytes when first read
    /// ([`Snapshot::settle`] decodes them all).
    pub fn snapshot(
        &self,
        schema: &Schema,
        time_zone: TimeZone,
        teams: impl IntoIterator<Item = (TeamId, Vec<SellerId>)>,
    ) -> Result<Snapshot, CacheError> {
        let end = self.bytes.len() - 8;
        let bytes: SharedBytes = self.bytes.clone();
        Ok(Snapshot::decode_columns(schema, time_zone, bytes, self.columns_at..end, teams)?)
    }
}

/// The cache file of the workspace at `workspace`: `NAME.columns` beside it.
pub fn cache_path(workspace: &Path) -> PathBuf {
    let mut name = workspace.as_os_str().to_owned();
    name.push(".columns");
    PathBuf::from(name)
}

/// Reads and checks the cache file at `path`; `None` when there is none.
pub fn read(path: &Path) -> Result<Option<CacheFile>, CacheError> {
    let bytes = match file_bytes(path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Ok(None),
        Err(source) => return Err(CacheError::Io { path: path.to_owned(), source }),
    };
    let invalid = |what: &str| CacheError::Invalid(what.to_owned());
    if bytes.len() < MAGIC.len() + 8 || &bytes[..MAGIC.len()] != MAGIC {
        return Err(invalid("not a column cache of this version"));
    }
    let (content, sum) = bytes.split_at(bytes.len() - 8);
    if checksum(content).to_le_bytes() != sum {
        return Err(invalid("checksum"));
    }
    let mut at = MAGIC.len();
    let mut text = || -> Result<String, CacheError> {
        let len = content.get(at..at + 8).ok_or_else(|| invalid("header"))?;
        let len = usize::try_from(u64::from_le_bytes(len.try_into().unwrap_or([0xff; 8]))).unwrap_or(usize::MAX);
        let end = at.checked_add(8 + len).filter(|&end| end <= content.len()).ok_or_else(|| invalid("header"))?;
        let text = String::from_utf8(content[at + 8..end].to_vec()).map_err(|_| invalid("header"))?;
        at = end;
        Ok(text)
    };
    let workspace = text()?;
    let seq = text()?.parse::<i64>().map_err(|_| invalid("header"))?;
    let schema = text()?;
    let time_zone = text()?;
    let key = CacheKey { workspace, seq, schema, time_zone };
    Ok(Some(CacheFile { key, bytes: std::sync::Arc::new(bytes), columns_at: at }))
}

/// Writes `snapshot`'s columns with `key` to `path`: under a temporary name beside it,
/// readable by the owner only, renamed into place when complete.
pub fn write(path: &Path, key: &CacheKey, snapshot: &Snapshot) -> Result<(), CacheError> {
    let mut bytes = Vec::with_capacity(snapshot.heap_bytes() + 4096);
    bytes.extend_from_slice(MAGIC);
    let seq = key.seq.to_string();
    for text in [key.workspace.as_str(), seq.as_str(), key.schema.as_str(), key.time_zone.as_str()] {
        bytes.extend_from_slice(&(text.len() as u64).to_le_bytes());
        bytes.extend_from_slice(text.as_bytes());
    }
    snapshot.encode_columns(&mut bytes);
    let sum = checksum(&bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());

    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}-{:x}.tmp", std::process::id(), crate::clock::now().as_nanosecond() as u64));
    let temporary = PathBuf::from(temporary);
    let io = |source| CacheError::Io { path: path.to_owned(), source };
    let written = private_new_file(&temporary)
        .and_then(|mut file| file.write_all(&bytes))
        .and_then(|()| std::fs::rename(&temporary, path));
    if let Err(e) = written {
        // The temporary file is useless; the write error is the one to report.
        std::fs::remove_file(&temporary).ok();
        return Err(io(e));
    }
    Ok(())
}

/// Removes the cache file of a workspace (nothing there is fine).
pub fn remove(path: &Path) -> Result<(), CacheError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(CacheError::Io { path: path.to_owned(), source: e }),
        _ => Ok(()),
    }
}

fn private_new_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}
