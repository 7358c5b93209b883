//! Write scopes that nest: every store write runs in a [`WriteScope`], an SQLite savepoint.
//! At the top level the scope first begins an IMMEDIATE transaction (the write lock is
//! taken at once, waiting for another writer under the busy timeout; a deferred one that
//! read first would fail with `SQLITE_BUSY` when another process wrote meanwhile, which no
//! busy timeout retries); inside another scope it nests, so [`Workspace::atomically`] can
//! run many store writes as one all-or-nothing change.
//!
//! Store functions that write call `self.write_scope()` (never `unchecked_transaction`,
//! which cannot nest), and `commit` it when done; dropping it uncommitted rolls back.

use std::ops::Deref;

use rusqlite::Connection;

use super::touched::Touched;
use super::{Result, SqlContext, Workspace};

const SCOPE: &str = "sb_write";
const ATOMIC: &str = "sb_atomic";

/// An open savepoint on the workspace connection; derefs to the connection.
pub(super) struct WriteScope<'c> {
    conn: &'c Connection,
    /// The rows its transaction changed, for the marker.
    touched: &'c Touched,
    /// Whether it began the transaction (no other scope was open).
    outermost: bool,
    /// `Some(total changes at the start)` when its commit logs a marker for other writers.
    marker: Option<u64>,
    done: bool,
}

impl WriteScope<'_> {
    /// Releases the savepoint: at the top level this commits.
    pub(super) fn commit(mut self) -> rusqlite::Result<()> {
        let committed = log_marker(self.conn, self.touched, self.marker)
            .and_then(|()| self.conn.execute_batch(&release_sql(SCOPE, self.outermost)));
        // A failed commit is rolled back when `self` drops.
        self.done = committed.is_ok();
        committed
    }
}

impl Deref for WriteScope<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for WriteScope<'_> {
    fn drop(&mut self) {
        if !self.done {
            // Nothing to report to: the caller already returns the error that made it drop.
            self.conn.execute_batch(&rollback_sql(SCOPE, self.outermost)).ok();
        }
    }
}

impl Workspace {
    /// Opens a write scope (a savepoint) on the workspace connection.
    pub(super) fn write_scope(&self) -> rusqlite::Result<WriteScope<'_>> {
        let outermost = self.conn.is_autocommit();
        self.conn.execute_batch(&begin_sql(SCOPE, outermost)).inspect_err(|_| abandon(&self.conn, outermost))?;
        let marker = self.marker_from(outermost);
        Ok(WriteScope { conn: &self.conn, touched: &self.watch.touched, outermost, marker, done: false })
    }

    /// Runs `change` as one all-or-nothing change: every store write it makes is kept when
    /// it returns `Ok`, and none is when it returns `Err` — the database is rolled back and
    /// the schema this `Workspace` holds is read again from it, so a failed change leaves
    /// both as they were.
    pub fn atomically<T>(&mut self, change: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.check_writable()?;
        let outermost = self.conn.is_autocommit();
        self.conn
            .execute_batch(&begin_sql(ATOMIC, outermost))
            .inspect_err(|_| abandon(&self.conn, outermost))
            .context("starting a change")?;
        let marker = self.marker_from(outermost);
        let result = change(self).and_then(|value| {
            log_marker(&self.conn, &self.watch.touched, marker).context("committing a change")?;
            self.conn.execute_batch(&release_sql(ATOMIC, outermost)).context("committing a change")?;
            Ok(value)
        });
        if result.is_err() {
            // SQLite may have rolled the whole transaction back itself (a full disk does).
            let rolled_back = if self.conn.is_autocommit() {
                Ok(())
            } else {
                self.conn.execute_batch(&rollback_sql(ATOMIC, outermost)).context("rolling back a change")
            };
            let reloaded = self.reload_schema();
            rolled_back?;
            reloaded?;
        }
        result.map_err(|e| e.in_workspace(&self.shown_path()))
    }
}

/// Before committing a transaction that changed something, a marker for other writers
/// ([`Workspace::log_transaction`]); a transaction that changed nothing leaves the file as it
/// was (an `apply` with nothing to do writes no byte).
fn log_marker(conn: &Connection, touched: &Touched, marker: Option<u64>) -> rusqlite::Result<()> {
    match marker {
        Some(changes_at_start) if conn.total_changes() != changes_at_start => Workspace::log_transaction(conn, touched),
        _ => Ok(()),
    }
}

/// Opens a savepoint, at the top level inside a new IMMEDIATE transaction.
fn begin_sql(name: &str, outermost: bool) -> String {
    if outermost { format!("BEGIN IMMEDIATE; SAVEPOINT {name}") } else { format!("SAVEPOINT {name}") }
}

/// After a failed [`begin_sql`]: ends the transaction it may have begun before failing.
fn abandon(conn: &Connection, outermost: bool) {
    if outermost && !conn.is_autocommit() {
        // The error that got here is the one to report.
        conn.execute_batch("ROLLBACK").ok();
    }
}

/// Releases a savepoint, at the top level also committing the transaction it began.
fn release_sql(name: &str, outermost: bool) -> String {
    if outermost { format!("RELEASE {name}; COMMIT") } else { format!("RELEASE {name}") }
}

/// Undoes a savepoint: the whole transaction when it began it (releasing a rolled-back
/// outermost savepoint would still commit an empty write, touching the file header).
fn rollback_sql(name: &str, outermost: bool) -> String {
    if outermost { "ROLLBACK".to_owned() } else { format!("ROLLBACK TO {name}; RELEASE {name}") }
}

impl Workspace {
    /// Lets the file grow by at most `pages` more pages on this connection (`PRAGMA
    /// max_page_count`), so that tests can run out of "disk" where a real disk never
    /// fills. Not for the app.
    #[doc(hidden)]
    pub fn limit_growth_for_tests(&self, pages: i64) -> Result<()> {
        let now: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0)).context("reading the page count")?;
        self.conn
            .query_row(&format!("PRAGMA max_page_count = {}", now + pages), [], |_| Ok(()))
            .context("limiting the size")
    }
}
