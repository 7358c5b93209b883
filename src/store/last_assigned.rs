//! Each seller's latest assignment, read once per connection and then only as far as the
//! history has grown ([`LastAssigned`]).
//!
//! Round robin needs every seller's latest assignment, and finding it scanned the whole
//! assignment history: 0.3–0.4 s at half a million rows, for every decision batch — four
//! times in one `apply` (the joins of each type, then the stranded members of each). The
//! history only ever grows through this connection (rows are appended, never changed or
//! removed), so what was read stays true until another connection commits, which
//! `PRAGMA data_version` tells. What this connection's open transaction wrote is read
//! anew each time and never kept: a rollback takes it away.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use rusqlite::Connection;

/// A seller's latest assignment: its time as stored (RFC 3339 text, ordered as text) and
/// its history row.
pub(super) type Latest = (String, i64);

/// What this connection has read of the committed history.
#[derive(Default)]
pub(super) struct LastAssigned {
    /// The newest history row committed when this connection's last transaction began
    /// (rows above it may be its own, uncommitted; 0 when unknown), and `PRAGMA
    /// data_version` then: a floor noted before another connection's commit (which may
    /// have removed rows) is not this transaction's.
    floor: Cell<(i64, i64)>,
    read: RefCell<Option<Read>>,
}

struct Read {
    /// `PRAGMA data_version` when read: another connection's commit changes it.
    data_version: i64,
    /// History rows up to this one are folded in.
    upto: i64,
    latest: HashMap<i64, Latest>,
}

impl LastAssigned {
    /// Notes where the committed history ends, as a transaction begins on `conn` (0 when
    /// it cannot be read, say before a migration made the table: then nothing is kept).
    pub(super) fn transaction_begins(&self, conn: &Connection) {
        let floor = newest_row(conn).and_then(|newest| Ok((newest, data_version(conn)?)));
        self.floor.set(floor.unwrap_or((0, 0)));
    }

    /// Every seller's latest assignment (the latest `at`, then the newest row), this
    /// transaction's own included.
    pub(super) fn latest(&self, conn: &Connection) -> rusqlite::Result<HashMap<i64, Latest>> {
        let data_version = data_version(conn)?;
        // Outside a transaction everything is committed; inside, only what was before it
        // (nothing, when the floor is not this transaction's).
        let committed = match self.floor.get() {
            _ if conn.is_autocommit() => newest_row(conn)?,
            (floor, noted) if noted == data_version => floor,
            _ => 0,
        };
        let kept = self.read.borrow_mut().take();
        let mut read = kept.filter(|r| r.data_version == data_version && r.upto <= committed).unwrap_or(Read {
            data_version,
            upto: 0,
            latest: HashMap::new(),
        });
        fold(conn, read.upto, Some(committed), &mut read.latest)?;
        read.upto = committed;
        let mut latest = read.latest.clone();
        fold(conn, committed, None, &mut latest)?;
        *self.read.borrow_mut() = Some(read);
        Ok(latest)
    }
}

fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
}

fn newest_row(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT coalesce(max(id), 0) FROM assignment_history", [], |r| r.get(0))
}

/// Folds the assigned rows after `after` (up to `upto`, when given) into `latest`.
fn fold(conn: &Connection, after: i64, upto: Option<i64>, latest: &mut HashMap<i64, Latest>) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, seller_id, at FROM assignment_history
         WHERE id > ?1 AND id <= ?2 AND status = 'assigned' AND seller_id IS NOT NULL",
    )?;
    let mut rows = stmt.query([after, upto.unwrap_or(i64::MAX)])?;
    while let Some(row) = rows.next()? {
        let (id, seller): (i64, i64) = (row.get(0)?, row.get(1)?);
        let at = row
            .get_ref(2)?
            .as_str()
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e)))?;
        match latest.get_mut(&seller) {
            Some((latest_at, latest_id)) if (at, id) > (latest_at.as_str(), *latest_id) => {
                latest_at.clear();
                latest_at.push_str(at);
                *latest_id = id;
            }
            Some(_) => {}
            None => {
                latest.insert(seller, (at.to_owned(), id));
            }
        }
    }
    Ok(())
}
