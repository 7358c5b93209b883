//! Receipts of whole-file checks. `PRAGMA quick_check` reads and takes apart every page of
//! a workspace: 3.3 s of a lived-in million-record one, which every `apply` waited for
//! before it committed. Once a check passes, the digest of the pages it checked is kept
//! beside the file (`WORKSPACE.checked`). A later check that finds the same digest (about a
//! tenth of the check) knows the file holds byte for byte what was checked, and skips
//! `quick_check`; anything else — no receipt, a damaged or foreign one, one page changed by
//! any program — means the whole check.
//!
//! The digest is taken over the pages as SQLite reads them in one read transaction
//! (`sqlite_dbpage`, through the write-ahead log and under SQLite's locks), so it is the
//! content a check in the same transaction checks. An apply, which checks, then writes,
//! leaves the receipt of what it wrote when no other connection committed since before its
//! check began (`PRAGMA data_version`): its own writes go through SQLite.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::{Result, SqlContext, StoreError, Workspace, begin_read};
use crate::checksum::{checksum, part_checksum};

/// What the pages of a workspace hold, in 64 bits (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Digest {
    pages: u64,
    sum: u64,
}

/// The digest of every page of `conn`'s main database, inside the caller's transaction.
pub(super) fn digest(conn: &Connection) -> rusqlite::Result<Digest> {
    // The table gives the pages in order (asked to sort, SQLite would hold them all).
    let mut stmt = conn.prepare("SELECT pgno, data FROM sqlite_dbpage")?;
    let mut rows = stmt.query([])?;
    let mut sums = Vec::new();
    while let Some(row) = rows.next()? {
        let pgno: i64 = row.get(0)?;
        if pgno != (sums.len() / 8) as i64 + 1 {
            return Err(rusqlite::Error::IntegralValueOutOfRange(0, pgno));
        }
        let page = row.get_ref(1)?.as_blob()?;
        sums.extend_from_slice(&part_checksum(page).to_le_bytes());
    }
    let pages = (sums.len() / 8) as u64;
    Ok(Digest { pages, sum: checksum(&sums) })
}

/// [`digest`] in the read transaction open on `conn`, which it then ends.
fn digest_and_end(conn: &Connection) -> rusqlite::Result<Digest> {
    let taken = digest(conn);
    conn.execute_batch("COMMIT")?;
    taken
}

/// Where the receipt of the workspace at `path` is kept: beside it, `WORKSPACE.checked`.
pub fn receipt_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".checked");
    PathBuf::from(name)
}

/// The first line of every receipt.
const HEADER: &str = "Segment Builder check receipt 1";

/// The receipt beside `path`, if there is one that reads as a receipt.
pub(super) fn read(path: &Path) -> Option<Digest> {
    let text = std::fs::read_to_string(receipt_path(path)).ok()?;
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let pages = lines.next()?.strip_prefix("pages ")?.parse().ok()?;
    let sum = u64::from_str_radix(lines.next()?.strip_prefix("digest ")?, 16).ok()?;
    lines.next().is_none().then_some(Digest { pages, sum })
}

/// Keeps `digest` as the receipt beside `path`, whole or not at all: written under another
/// name, synced and renamed into place.
pub(super) fn write(path: &Path, digest: Digest) -> std::io::Result<()> {
    let target = receipt_path(path);
    let mut partial = target.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let written = (|| {
        let mut file = std::fs::File::create(&partial)?;
        write!(file, "{HEADER}\npages {}\ndigest {:016x}\n", digest.pages, digest.sum)?;
        file.sync_all()?;
        std::fs::rename(&partial, &target)
    })();
    if written.is_err() {
        // Nothing half-written stays beside the workspace.
        std::fs::remove_file(&partial).ok();
    }
    written
}

/// What a whole-file check did ([`Workspace::check_unless_unchanged`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checked {
    /// `PRAGMA quick_check` over every page.
    Whole,
    /// The pages were the ones a receipt was left of: no `quick_check`.
    Unchanged,
}

impl Workspace {
    /// How many commits of other connections this one has seen (`PRAGMA data_version`):
    /// read before writing, for [`Workspace::leave_receipt`].
    pub fn commits_seen(&self) -> Result<i64> {
        self.conn.query_row("PRAGMA data_version", [], |r| r.get(0)).context("reading the file's version")
    }

    /// Starts taking the digest of the file's pages as they are now, on a connection and
    /// thread of its own, while this connection goes on reading (an apply's retry of its
    /// stranded members): [`Workspace::leave_receipt`] uses it unless this connection
    /// wrote since. `None` where no receipt is left anyway.
    pub fn digest_beside(&self) -> Option<DigestBeside> {
        let path = self.receipt_target()?;
        let changes = self.conn.total_changes();
        // The read transaction starts here, so the pages are the ones of now.
        let reading = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|conn| begin_read(&conn).map(|()| conn));
        let taking = std::thread::spawn(move || digest_and_end(&reading?));
        Some(DigestBeside { taking, changes })
    }

    /// [`Workspace::digest_beside`] that first runs `first` on its thread (the copy of a
    /// long write-ahead log back into the file, after which a reader reads the file alone
    /// instead of looking every page up in the log), then reads the pages as they are
    /// then. Should this connection write meanwhile, the digest is not used, as there.
    pub fn digest_after(&self, first: impl FnOnce() + Send + 'static) -> Option<DigestBeside> {
        let path = self.receipt_target()?.to_owned();
        let changes = self.conn.total_changes();
        let taking = std::thread::spawn(move || {
            first();
            let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
            begin_read(&conn)?;
            digest_and_end(&conn)
        });
        Some(DigestBeside { taking, changes })
    }

    /// After this connection's writes: the receipt of the file as it is now, unless another
    /// connection committed since `seen` ([`Workspace::commits_seen`]). Whether one was
    /// left. The caller read `seen` before a check (whole, or vouched for by a receipt)
    /// began, so the pages are the checked ones plus what SQLite wrote for this connection
    /// and for no other; a byte changed behind SQLite's back meanwhile is found by the next
    /// whole check, not by this one. The digest `beside` is taken when this connection
    /// changed no row since it began (every commit of a write scope logs one); otherwise
    /// the pages are read here.
    pub fn leave_receipt(&self, seen: i64, beside: Option<DigestBeside>) -> Result<bool> {
        let Some(path) = self.receipt_target() else { return Ok(false) };
        let context = "taking the receipt of the workspace";
        // Always waited for, so no thread outlives the caller; a digest it could not take,
        // or took before this connection wrote, is taken here.
        let taken_beside = beside.and_then(|b| {
            let taken = b.taking.join().ok().and_then(std::result::Result::ok);
            taken.filter(|_| b.changes == self.conn.total_changes())
        });
        // One read transaction: the version and the digest are of the same pages.
        begin_read(&self.conn).context(context)?;
        let taken = (|| {
            if self.commits_seen()? != seen {
                return Ok(None);
            }
            match taken_beside {
                Some(digest) => Ok(Some(digest)),
                None => digest(&self.conn).map(Some).context(context),
            }
        })();
        let ended = self.conn.execute_batch("COMMIT").context(context);
        let Some(digest) = taken? else { return ended.map(|()| false) };
        ended?;
        write(path, digest).map_err(|source| StoreError::Io { path: receipt_path(path), source })?;
        Ok(true)
    }
}

impl Workspace {
    /// The file a receipt is left beside: none in memory, nor beside a workspace that
    /// cannot be written.
    fn receipt_target(&self) -> Option<&Path> {
        self.path.as_deref().filter(|_| self.read_only_reason().is_none())
    }
}

/// The digest of a workspace's pages being taken beside ([`Workspace::digest_beside`]), and
/// how many rows the connection that asked had changed then.
pub struct DigestBeside {
    taking: std::thread::JoinHandle<rusqlite::Result<Digest>>,
    changes: u64,
}
