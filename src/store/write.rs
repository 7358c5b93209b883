//! Write scopes that nest: every store write runs in a [`WriteScope`]. At the top level the
//! scope begins an IMMEDIATE transaction (the write lock is taken at once, waiting for
//! another writer under the busy timeout; a deferred one that read first would fail with
//! `SQLITE_BUSY` when another process wrote meanwhile, which no busy timeout retries);
//! inside another scope it is a savepoint, so [`Workspace::atomically`] can run many store
//! writes as one all-or-nothing change.
//!
//! Store functions that write call `self.write_scope()` (never `unchecked_transaction`,
//! which cannot nest), and `commit` it when done; dropping it uncommitted rolls back.
//!
//! Inside [`Workspace::atomically`] a scope opens no savepoint: SQLite copies every page a
//! savepoint's writes change into a sub-journal, to undo them on their own (gigabytes for
//! an import's evaluation at a million records), while an atomic change is undone whole.
//! A scope there dropped uncommitted after it wrote marks the change failed, and the change
//! then keeps nothing even if its closure went on; so does a write after SQLite rolled the
//! change back itself (a full disk does), which is refused instead of committing alone.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use rusqlite::Connection;

use super::touched::Touched;
use super::{Result, SqlContext, StoreError, Workspace};

const SCOPE: &str = "sb_write";
const ATOMIC: &str = "sb_atomic";

/// Whether the connection is inside [`Workspace::atomically`], and whether a write scope
/// there failed.
/// Shared with the [`Inside`] guard of the change.
#[derive(Debug, Default)]
pub(super) struct Atomic {
    inside: AtomicBool,
    failed: AtomicBool,
}

/// The time a change is atomic: [`Atomic`] says so until [`Inside::leave`], or until it
/// is dropped (a panic in the change), which leaves it as it was before.
struct Inside(Arc<Atomic>);

impl Inside {
    fn enter(atomic: &Arc<Atomic>) -> Self {
        atomic.inside.store(true, Relaxed);
        atomic.failed.store(false, Relaxed);
        Self(Arc::clone(atomic))
    }

    /// Whether a write of the change failed.
    fn leave(self) -> bool {
        self.0.failed.load(Relaxed)
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        self.0.inside.store(false, Relaxed);
        self.0.failed.store(false, Relaxed);
    }
}

/// An open write scope on the workspace connection; derefs to the connection.
pub(super) struct WriteScope<'c> {
    conn: &'c Connection,
    /// The rows its transaction changed, for the marker.
    touched: &'c Touched,
    /// Whether it began the transaction (no other scope was open).
    outermost: bool,
    /// `Some((change, total changes at the start))` inside an atomic change: it has no
    /// savepoint of its own and marks the change failed when dropped uncommitted after it
    /// wrote.
    atomic: Option<(&'c Atomic, u64)>,
    /// `Some(total changes at the start)` when its commit logs a marker for other writers.
    marker: Option<u64>,
    done: bool,
}

impl WriteScope<'_> {
    /// Releases the savepoint, or at the top level commits; inside an atomic change the
    /// change's end commits.
    pub(super) fn commit(mut self) -> rusqlite::Result<()> {
        if self.atomic.is_some() {
            self.done = true;
            return Ok(());
        }
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
        if self.done {
            return;
        }
        if let Some((atomic, changes_at_start)) = self.atomic {
            // Nothing written (a write that found nothing to do, or stopped before it
            // wrote) is nothing to undo.
            if self.conn.total_changes() != changes_at_start {
                atomic.failed.store(true, Relaxed);
            }
        } else {
            // Nothing to report to: the caller already returns the error that made it drop.
            self.conn.execute_batch(&rollback_sql(SCOPE, self.outermost)).ok();
        }
    }
}

impl Workspace {
    /// Opens a write scope on the workspace connection: a transaction, a savepoint inside
    /// another scope, or inside an atomic change nothing of its own.
    pub(super) fn write_scope(&self) -> rusqlite::Result<WriteScope<'_>> {
        let outermost = self.conn.is_autocommit();
        if self.atomic.inside.load(Relaxed) {
            if outermost {
                // SQLite rolled the change back itself: a write now would commit alone.
                self.atomic.failed.store(true, Relaxed);
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT_ROLLBACK),
                    Some("the change was rolled back".to_owned()),
                ));
            }
            let atomic = Some((&*self.atomic, self.conn.total_changes()));
            return Ok(WriteScope {
                conn: &self.conn,
                touched: &self.watch.touched,
                outermost,
                atomic,
                marker: None,
                done: false,
            });
        }
        self.conn.execute_batch(&begin_sql(SCOPE, outermost)).inspect_err(|_| abandon(&self.conn, outermost))?;
        let marker = self.marker_from(outermost);
        Ok(WriteScope { conn: &self.conn, touched: &self.watch.touched, outermost, atomic: None, marker, done: false })
    }

    /// Runs `change` as one all-or-nothing change: every store write it makes is kept when
    /// it returns `Ok`, and none is when it returns `Err` — the database is rolled back and
    /// the schema this `Workspace` holds is read again from it, so a failed change leaves
    /// both as they were.
    pub fn atomically<T>(&mut self, change: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.check_writable()?;
        if self.atomic.inside.load(Relaxed) {
            // Part of the change already running, undone with it.
            return change(self).inspect_err(|_| self.atomic.failed.store(true, Relaxed));
        }
        let outermost = self.conn.is_autocommit();
        self.conn
            .execute_batch(&begin_sql(ATOMIC, outermost))
            .inspect_err(|_| abandon(&self.conn, outermost))
            .context("starting a change")?;
        let marker = self.marker_from(outermost);
        let inside = Inside::enter(&self.atomic);
        let result = change(self);
        let failed = inside.leave();
        let result = result.and_then(|value| {
            if failed {
                return Err(StoreError::Invalid("a write of the change failed, so none of it was kept".to_owned()));
            }
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

/// Opens a savepoint, or at the top level a new IMMEDIATE transaction: a savepoint there
/// would only copy every page the transaction changes into a sub-journal (415 MB of them
/// for an `apply` at a million records) so as to undo what `ROLLBACK` undoes anyway.
fn begin_sql(name: &str, outermost: bool) -> String {
    if outermost { "BEGIN IMMEDIATE".to_owned() } else { format!("SAVEPOINT {name}") }
}

/// After a failed [`begin_sql`]: ends the transaction it may have begun before failing.
fn abandon(conn: &Connection, outermost: bool) {
    if outermost && !conn.is_autocommit() {
        // The error that got here is the one to report.
        conn.execute_batch("ROLLBACK").ok();
    }
}

/// Releases a savepoint, or at the top level commits the transaction it began.
fn release_sql(name: &str, outermost: bool) -> String {
    if outermost { "COMMIT".to_owned() } else { format!("RELEASE {name}") }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::{Seller, SellerId};

    fn seller(name: &str) -> Seller {
        Seller {
            id: SellerId(0),
            name: name.to_owned(),
            email: format!("{}@example.com", name.to_lowercase()),
            time_zone: "UTC".into(),
            attributes: BTreeMap::new(),
            capacity: None,
            work_hours: Vec::new(),
            time_off: Vec::new(),
            assign_records: true,
        }
    }

    /// Inside an atomic change a store write has no savepoint of its own: one that fails
    /// after writing fails the whole change, even when the change drops its error and goes
    /// on, and so does an atomic change nested in it that fails, or a write after SQLite
    /// rolled the change back. One that wrote nothing is no failure. The next change is
    /// whole.
    #[test]
    fn a_write_that_fails_inside_an_atomic_change_fails_all_of_it_even_when_its_error_is_dropped() {
        let mut ws = Workspace::in_memory().unwrap();
        let ana = ws.add_seller(&seller("Ana")).unwrap();
        let dropped: Result<()> = ws.atomically(|ws| {
            ws.add_seller(&seller("Bo"))?;
            // A store write that fails after it wrote: its scope goes uncommitted.
            let scope = ws.write_scope().context("a write")?;
            scope.execute("DELETE FROM seller", []).context("a write")?;
            drop(scope);
            assert!(!ws.conn.is_autocommit(), "no savepoint of its own was rolled back");
            Ok(())
        });
        assert!(dropped.is_err(), "a change one of whose writes failed is not kept");
        // A scope dropped before it wrote anything (a write that found nothing to do) is
        // no failure.
        ws.atomically(|ws| {
            drop(ws.write_scope().context("a write")?);
            ws.add_seller(&seller("Ed")).map(drop)
        })
        .unwrap();
        // After SQLite rolled the change back itself, a write is refused, not committed alone.
        let rolled_back: Result<()> = ws.atomically(|ws| {
            ws.add_seller(&seller("Fay"))?;
            ws.conn.execute_batch("ROLLBACK").context("rolling back as SQLite may")?;
            assert!(ws.add_seller(&seller("Gus")).is_err(), "a write after the rollback is refused");
            Ok(())
        });
        assert!(rolled_back.is_err());
        let nested: Result<()> = ws.atomically(|ws| {
            ws.add_seller(&seller("Cy"))?;
            ws.atomically(|_| Err::<(), _>(StoreError::Invalid("no".to_owned()))).ok();
            Ok(())
        });
        assert!(nested.is_err(), "nor one whose nested change failed");
        let names = |ws: &Workspace| ws.sellers().unwrap().into_iter().map(|s| s.name).collect::<Vec<_>>();
        assert_eq!(names(&ws), ["Ana", "Ed"], "nothing of the failed changes was kept");
        ws.atomically(|ws| ws.update_seller(&Seller { id: ana, capacity: Some(3), ..seller("Ana") })).unwrap();
        ws.atomically(|ws| ws.add_seller(&seller("Di"))).unwrap();
        assert_eq!(names(&ws), ["Ana", "Ed", "Di"], "later changes are kept");
        assert_eq!(ws.sellers().unwrap()[0].capacity, Some(3));
    }
}
