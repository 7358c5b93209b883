//! Which records a transaction of Segment Builder changed, seen by SQLite's update hook.
//!
//! Segment Builder's connections switch the change triggers off (see `changes`) and log a
//! commit marker per transaction. A marker alone does not say which records changed, so a
//! column cache (`engine::cache`) that meets one must be rebuilt — after every segment
//! saved or applied in the window. The update hook closes that gap without the triggers'
//! cost: SQLite calls it for every row a statement inserts, updates or deletes in a rowid
//! table, including rows changed by foreign-key actions, and the scope that commits logs
//! the changed records of the record tables beside its marker, which then says "records
//! logged" ([`RECORDS_LOGGED`]). A transaction that changed more records than
//! [`LOGGED_PER_TRANSACTION`] (an import, an apply that sets a million owners) keeps the
//! plain marker: reading them all again would cost more than a rebuild.
//!
//! What the hook cannot see only ever leaves the plain marker: a connection without the
//! hook logs none, and a table the hook saw but the transaction rolled back to a savepoint
//! only makes a record be read again for nothing.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use super::{Result, SqlContext};

/// The `record_id` of a commit marker whose transaction's changed records are logged as
/// rows of their own before it (a plain marker has none: "reload what you hold").
pub const RECORDS_LOGGED: i64 = 0;

/// More changed records than this in one transaction are not logged one by one.
pub const LOGGED_PER_TRANSACTION: usize = 10_000;

/// The rows a connection's transaction changed so far, by table.
#[derive(Default)]
struct Rows {
    tables: Vec<(String, Table)>,
}

enum Table {
    Ids(Vec<i64>),
    /// More than [`LOGGED_PER_TRANSACTION`] rows.
    TooMany,
}

impl Rows {
    fn touch(&mut self, table: &str, rowid: i64) {
        // A statement touches one table many times: the last one first.
        let index = if let Some(index) = self.tables.iter().rposition(|(name, _)| name == table) {
            index
        } else {
            self.tables.push((table.to_owned(), Table::Ids(Vec::new())));
            self.tables.len() - 1
        };
        let entry = &mut self.tables[index].1;
        if let Table::Ids(ids) = entry {
            if ids.len() < LOGGED_PER_TRANSACTION {
                ids.push(rowid);
            } else {
                *entry = Table::TooMany;
            }
        }
    }
}

/// A connection's record of changed rows (see the module documentation); the default
/// tracks nothing (a connection without the hook).
#[derive(Clone, Default)]
pub(super) struct Touched {
    rows: Option<Arc<Mutex<Rows>>>,
}

impl std::fmt::Debug for Touched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Touched").field("tracking", &self.rows.is_some()).finish()
    }
}

impl Touched {
    /// Installs the update hook on `conn` and returns what it records.
    pub(super) fn install(conn: &mut Connection) -> Result<Self> {
        let rows = Arc::new(Mutex::new(Rows::default()));
        let shared = rows.clone();
        conn.update_hook(Some(move |_action, db: &str, table: &str, rowid: i64| {
            if db == "main"
                && let Ok(mut rows) = shared.lock()
            {
                rows.touch(table, rowid);
            }
        }))
        .context("watching the rows this connection changes")?;
        Ok(Self { rows: Some(rows) })
    }

    /// Forgets what was recorded: a transaction begins.
    pub(super) fn clear(&self) {
        if let Some(rows) = &self.rows
            && let Ok(mut rows) = rows.lock()
        {
            rows.tables.clear();
        }
    }

    /// The records of each record type changed since [`Touched::clear`], each once; `None`
    /// when they are not known (no hook, too many). Reads the record types through `conn`
    /// (those a transaction adds count too).
    pub(super) fn records(&self, conn: &Connection) -> rusqlite::Result<Option<BTreeMap<String, BTreeSet<i64>>>> {
        let Some(rows) = &self.rows else { return Ok(None) };
        let Ok(mut rows) = rows.lock() else { return Ok(None) };
        let tables = std::mem::take(&mut rows.tables);
        drop(rows);
        let mut found = BTreeMap::new();
        if tables.is_empty() {
            return Ok(Some(found));
        }
        let record_types: HashSet<String> = {
            let mut stmt = conn.prepare_cached("SELECT name FROM record_type")?;
            let names = stmt.query_map([], |r| r.get(0))?;
            names.collect::<rusqlite::Result<_>>()?
        };
        let mut count = 0;
        for (table, changed) in tables {
            if !record_types.contains(&table) {
                continue;
            }
            let Table::Ids(ids) = changed else { return Ok(None) };
            let ids: BTreeSet<i64> = ids.into_iter().collect();
            count += ids.len();
            if count > LOGGED_PER_TRANSACTION {
                return Ok(None);
            }
            found.insert(table, ids);
        }
        Ok(Some(found))
    }
}
