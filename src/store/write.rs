//! Write scopes that nest: every store write runs in a [`WriteScope`], an SQLite savepoint.
//! At the top level a savepoint is a (deferred) transaction; inside another scope it nests,
//! so [`Workspace::atomically`] can run many store writes as one all-or-nothing change.
//!
//! Store functions that write call `self.write_scope()` (never `unchecked_transaction`,
//! which cannot nest), and `commit` it when done; dropping it uncommitted rolls back.

use std::ops::Deref;

use rusqlite::Connection;

use super::{Result, SqlContext, Workspace};

const SCOPE: &str = "sb_write";
const ATOMIC: &str = "sb_atomic";

/// An open savepoint on the workspace connection; derefs to the connection.
pub(super) struct WriteScope<'c> {
    conn: &'c Connection,
    /// Whether it began the transaction (no other scope was open).
    outermost: bool,
    done: bool,
}

impl WriteScope<'_> {
    /// Releases the savepoint: at the top level this commits.
    pub(super) fn commit(mut self) -> rusqlite::Result<()> {
        self.done = true;
        self.conn.execute_batch(&format!("RELEASE {SCOPE}"))
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
        self.conn.execute_batch(&format!("SAVEPOINT {SCOPE}"))?;
        let scope = WriteScope { conn: &self.conn, outermost, done: false };
        if outermost {
            self.log_transaction()?;
        }
        Ok(scope)
    }

    /// Runs `change` as one all-or-nothing change: every store write it makes is kept when
    /// it returns `Ok`, and none is when it returns `Err` — the database is rolled back and
    /// the schema this `Workspace` holds is read again from it, so a failed change leaves
    /// both as they were.
    pub fn atomically<T>(&mut self, change: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.check_writable()?;
        let outermost = self.conn.is_autocommit();
        self.conn.execute_batch(&format!("SAVEPOINT {ATOMIC}")).context("starting a change")?;
        let logged = if outermost { self.log_transaction().context("starting a change") } else { Ok(()) };
        let result = logged.and_then(|()| change(self)).and_then(|value| {
            self.conn.execute_batch(&format!("RELEASE {ATOMIC}")).context("committing a change")?;
            Ok(value)
        });
        if result.is_err() {
            let rolled_back =
                self.conn.execute_batch(&rollback_sql(ATOMIC, outermost)).context("rolling back a change");
            let reloaded = self.reload_schema();
            rolled_back?;
            reloaded?;
        }
        result
    }
}

/// Undoes a savepoint: the whole transaction when it began it (releasing a rolled-back
/// outermost savepoint would still commit an empty write, touching the file header).
fn rollback_sql(name: &str, outermost: bool) -> String {
    if outermost { "ROLLBACK".to_owned() } else { format!("ROLLBACK TO {name}; RELEASE {name}") }
}
