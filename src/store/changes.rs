//! Other writers: every change to the workspace leaves a trace in `change_log`, and a
//! workspace that watches ([`Workspace::watch_other_writers`]) learns what other programs
//! changed since it last looked, and refuses to write over a change it has not seen.
//!
//! `change_log` rows say who wrote (`writer`) and, for a record, which one:
//! - SQLite triggers on every record table log each inserted, updated and deleted record
//!   with no writer, and triggers on the definition tables (segments, sellers, memberships,
//!   the schema, …) log one row with neither writer nor record per run of changes: so
//!   `sqlite3`, pandas and any other program are logged whether they know about it or not.
//! - Segment Builder's own connections switch triggers off (a bulk import pays nothing for
//!   them) and log for themselves with the process's [`writer_token`]: one row without a
//!   record per transaction (a commit marker: "reload what you hold"), and single-record
//!   writes (save, delete, undo) log the record instead of the marker, so another window
//!   can reload just that record. Before a marker, the records the transaction changed
//!   are logged too when the update hook saw them and they are few, and the marker then
//!   says so (see `touched`): a column cache catches up instead of being rebuilt.
//!
//! A watcher reads the log only when `PRAGMA data_version` says another connection
//! committed (microseconds otherwise). Rows of its own process are its own (the app's
//! workers write through their own connections and tell the app themselves). The log is
//! trimmed from the oldest end ([`Workspace::trim_change_log`]); a watcher that fell behind
//! the trim (`change_log_horizon`) reloads everything.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OptionalExtension, Transaction};

use super::touched::{RECORDS_LOGGED, Touched};
use super::{Result, SqlContext, StoreError, Workspace, quote};
use crate::domain::{MembershipReason, RecordId, RecordTypeName};

/// Tables whose changes by another program mean "reload what is loaded": everything the
/// app holds that is not a record.
const DEFINITION_TABLES: &[&str] = &[
    "record_type",
    "field",
    "field_choice",
    "setting",
    "seller",
    "seller_attribute",
    "attribute_definition",
    "attribute_value",
    "work_hours",
    "time_off",
    "team",
    "team_member",
    "sequence",
    "sequence_step",
    "segment",
    "membership",
    "assignment_rule",
    "assignment",
];

/// The message of a write refused because another program changed the workspace since it
/// was last read ([`StoreError::Stale`]).
pub const STALE_MESSAGE: &str =
    "the workspace was changed by another program; it has been reloaded — check and try again";

/// Identifies this process's writes in `change_log`: the process id and a random number
/// (process ids are reused).
pub fn writer_token() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| format!("{}-{:016x}", std::process::id(), RandomState::new().hash_one(crate::clock::now())))
}

/// Version 6: the change log, its trim horizon and the triggers that fill it.
pub(super) fn v6_change_log(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(V6_TABLES).context("creating the change log")?;
    for table in DEFINITION_TABLES {
        create_definition_triggers(tx, table)?;
    }
    let types: Vec<String> = (|| {
        let mut stmt = tx.prepare("SELECT name FROM record_type")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()
    })()
    .context("reading the record types")?;
    for ty in types {
        create_record_triggers(tx, &ty)?;
    }
    Ok(())
}

/// `AUTOINCREMENT`: a sequence number is never used twice, even after the newest rows are
/// replaced (definition rows keep one row per run of changes) or the log is trimmed.
/// `IF NOT EXISTS`: tests rebuild older versions by lowering `user_version`.
pub(super) const V6_TABLES: &str = r"
CREATE TABLE IF NOT EXISTS change_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    writer TEXT,
    record_type TEXT,
    record_id INTEGER
);
CREATE TABLE IF NOT EXISTS change_log_horizon (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
INSERT OR IGNORE INTO change_log_horizon (id, seq) VALUES (1, 0);
";

/// Triggers that log every inserted, updated and deleted record of the table `ty` (also
/// for record types added later).
pub(super) fn create_record_triggers(conn: &Connection, ty: &str) -> Result<()> {
    let literal = format!("'{}'", ty.replace('\'', "''"));
    let table = quote(ty);
    let name = |event: &str| quote(&format!("sb_change:{ty}:{event}"));
    let log = |id: &str| format!("INSERT INTO change_log (record_type, record_id) VALUES ({literal}, {id});");
    let sql = format!(
        "CREATE TRIGGER IF NOT EXISTS {insert} AFTER INSERT ON {table} BEGIN {new} END;
         CREATE TRIGGER IF NOT EXISTS {update} AFTER UPDATE ON {table} BEGIN {new}
             INSERT INTO change_log (record_type, record_id)
             SELECT {literal}, OLD.\"id\" WHERE OLD.\"id\" IS NOT NEW.\"id\"; END;
         CREATE TRIGGER IF NOT EXISTS {delete} AFTER DELETE ON {table} BEGIN {old} END;",
        insert = name("insert"),
        update = name("update"),
        delete = name("delete"),
        new = log("NEW.\"id\""),
        old = log("OLD.\"id\""),
    );
    conn.execute_batch(&sql).with_context(|| format!("creating the change triggers of {ty}"))
}

/// Triggers that log a change of a definition table: one row without a record, replacing
/// such a row at the end of the log (a statement that changes a million memberships logs
/// one row), under a new sequence number so a watcher that has read the old one sees it.
fn create_definition_triggers(conn: &Connection, table: &str) -> Result<()> {
    let body = "DELETE FROM change_log WHERE seq = (SELECT max(seq) FROM change_log)
                    AND writer IS NULL AND record_type IS NULL;
                INSERT INTO change_log (writer, record_type, record_id) VALUES (NULL, NULL, NULL);";
    let mut sql = String::new();
    for event in ["insert", "update", "delete"] {
        sql += &format!(
            "CREATE TRIGGER IF NOT EXISTS {} AFTER {} ON {} BEGIN {body} END;\n",
            quote(&format!("sb_change:{table}:{event}")),
            event.to_uppercase(),
            quote(table)
        );
    }
    conn.execute_batch(&sql).with_context(|| format!("creating the change triggers of {table}"))
}

/// Settings of Segment Builder's read-write connections: triggers off (the store logs its
/// own changes, see the module documentation).
pub(super) fn configure_own_writer(conn: &Connection) -> Result<()> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)
        .context("switching off the change triggers")
        .map(drop)
}

/// What a watching workspace has seen: the connection's `data_version` and the newest
/// change of the log it has taken into account.
#[derive(Clone, Copy, Debug, Default)]
struct Seen {
    data_version: i64,
    seq: i64,
}

/// A workspace's part in watching other writers (see [`Workspace::watch_other_writers`]).
#[derive(Debug, Default)]
pub(super) struct Watch {
    /// `None` until the workspace watches.
    seen: Cell<Option<Seen>>,
    /// Set while a single-record write runs: it logs its record, not a commit marker.
    logs_records: Cell<bool>,
    /// The rows the current transaction changed (read-write connections; see `touched`).
    pub(super) touched: Touched,
}

impl Watch {
    /// The watch of a read-write connection: the rows its transactions change are recorded,
    /// so their commit markers can name the records.
    pub(super) fn tracking(conn: &mut Connection) -> Result<Self> {
        Ok(Self { touched: Touched::install(conn)?, ..Self::default() })
    }
}

/// What other programs changed since a watching workspace last looked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OtherChanges {
    /// Records added, changed or deleted, by type (types the workspace does not know are
    /// left out: a new type comes with `reload_all`).
    pub records: BTreeMap<RecordTypeName, BTreeSet<RecordId>>,
    /// Something else changed (segments, sellers, the schema, memberships, an import, an
    /// apply, or more than the log still holds): reload everything.
    pub reload_all: bool,
}

impl OtherChanges {
    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && !self.reload_all
    }
}

impl Workspace {
    /// Starts watching for other writers: from now on [`Workspace::other_changes`] says
    /// what they changed, and a write is refused (`StoreError::Stale`) while another
    /// program's change has not been taken by it. `busy_timeout` is how long a write waits
    /// for another program's lock before it is refused (`StoreError::Busy`): the UI keeps
    /// it short.
    pub fn watch_other_writers(&mut self, busy_timeout: Duration) -> Result<()> {
        self.conn.busy_timeout(busy_timeout).context("setting the busy timeout")?;
        let seen = self.read_seen().context("reading the change log")?;
        self.watch.seen.set(Some(seen));
        Ok(())
    }

    /// What other programs changed since the last call (`None`: nothing; cheap). The
    /// caller reloads what it holds accordingly; writes are accepted again afterwards.
    pub fn other_changes(&mut self) -> Result<Option<OtherChanges>> {
        let Some(seen) = self.watch.seen.get() else { return Ok(None) };
        let data_version = self.data_version().context("checking for other writers")?;
        if data_version == seen.data_version {
            return Ok(None);
        }
        let (changes, seq) = self.changes_since(seen.seq).context("reading the change log")?;
        self.watch.seen.set(Some(Seen { data_version, seq }));
        Ok(Some(changes).filter(|c| !c.is_empty()))
    }

    /// Refuses a write when another program changed the workspace since this (watching)
    /// workspace last looked; changes of this process alone are simply taken as seen.
    pub(super) fn check_fresh(&self) -> Result<()> {
        let Some(seen) = self.watch.seen.get() else { return Ok(()) };
        let data_version = self.data_version().context("checking for other writers")?;
        if data_version == seen.data_version {
            return Ok(());
        }
        let (changes, seq) = self.changes_since(seen.seq).context("reading the change log")?;
        if !changes.is_empty() {
            return Err(StoreError::Stale);
        }
        self.watch.seen.set(Some(Seen { data_version, seq }));
        Ok(())
    }

    /// Deletes all but the newest `keep` rows of the change log; a watcher that had not
    /// read the deleted ones reloads everything. Returns how many were deleted.
    pub fn trim_change_log(&mut self, keep: u64) -> Result<usize> {
        self.check_writable()?;
        // Nothing another program needs to reload: no commit marker.
        self.writing_records(|ws| ws.trim_change_log_unmarked(keep))
    }

    fn trim_change_log_unmarked(&mut self, keep: u64) -> Result<usize> {
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        let tx = self.write_scope().context("trimming the change log")?;
        let horizon: Option<i64> = tx
            .query_row("SELECT seq FROM change_log ORDER BY seq DESC LIMIT 1 OFFSET ?1", [keep], |r| r.get(0))
            .optional()
            .context("trimming the change log")?;
        let Some(horizon) = horizon else { return Ok(0) };
        let deleted =
            tx.execute("DELETE FROM change_log WHERE seq <= ?1", [horizon]).context("trimming the change log")?;
        tx.execute("UPDATE change_log_horizon SET seq = max(seq, ?1) WHERE id = 1", [horizon])
            .context("trimming the change log")?;
        tx.commit().context("trimming the change log")?;
        Ok(deleted)
    }

    /// Ends the memberships of records that are gone (deleted by another program, which
    /// left their membership rows behind) with a "record deleted" leave in the history, as
    /// [`Workspace::delete_record`] does. Ids that still have a record are left alone.
    /// Returns how many memberships ended.
    pub fn forget_deleted_records(&mut self, ty: &RecordTypeName, ids: &[RecordId]) -> Result<usize> {
        self.check_writable()?;
        self.type_def(ty)?;
        let context = format!("ending the memberships of deleted {ty} records");
        let tx = self.write_scope().with_context(|| context.clone())?;
        let now = crate::clock::now().to_string();
        let mut ended = 0;
        {
            let mut exists = tx
                .prepare(&format!("SELECT 1 FROM {} WHERE \"id\" = ?1", quote(ty.as_str())))
                .with_context(|| context.clone())?;
            let mut history = tx
                .prepare(
                    "INSERT INTO membership_history (at, record_type, record_id, kind, from_segment, to_segment, reason)
                     SELECT ?3, record_type, record_id, 'leave', segment_id, NULL, ?4 FROM membership
                     WHERE record_type = ?1 AND record_id = ?2",
                )
                .with_context(|| context.clone())?;
            let mut delete = tx
                .prepare("DELETE FROM membership WHERE record_type = ?1 AND record_id = ?2")
                .with_context(|| context.clone())?;
            for id in ids {
                if exists.exists([id.0]).with_context(|| context.clone())? {
                    continue;
                }
                let reason = MembershipReason::RecordDeleted.key();
                history.execute(rusqlite::params![ty.as_str(), id.0, now, reason]).with_context(|| context.clone())?;
                ended += delete.execute(rusqlite::params![ty.as_str(), id.0]).with_context(|| context.clone())?;
            }
        }
        tx.commit().with_context(|| context.clone())?;
        Ok(ended)
    }

    /// Whether the outermost scope opening now logs a commit marker, and the count of
    /// changes it starts from: not inside another scope, nor in a single-record write that
    /// logs its records itself.
    /// A transaction begins there, so what was recorded of changed rows is forgotten.
    pub(super) fn marker_from(&self, outermost: bool) -> Option<u64> {
        if outermost {
            self.watch.touched.clear();
        }
        (outermost && !self.watch.logs_records.get()).then(|| self.conn.total_changes())
    }

    /// Logs a transaction of this process that changed something (called just before the
    /// outermost scope commits): the records it changed, when `touched` knows them and
    /// they are few (see `touched`), then a commit marker that says whether they are
    /// logged. Consecutive markers of this process replace each other under a new number
    /// (one whose records were not logged only by another such).
    pub(super) fn log_transaction(conn: &Connection, touched: &Touched) -> rusqlite::Result<()> {
        let records = touched.records(conn)?;
        let marker = records.as_ref().map(|_| RECORDS_LOGGED);
        conn.execute(
            "DELETE FROM change_log WHERE seq = (SELECT max(seq) FROM change_log)
                 AND writer = ?1 AND record_type IS NULL AND (record_id IS ?2 OR record_id = ?3)",
            rusqlite::params![writer_token(), marker, RECORDS_LOGGED],
        )?;
        if let Some(records) = records {
            let mut log =
                conn.prepare_cached("INSERT INTO change_log (writer, record_type, record_id) VALUES (?1, ?2, ?3)")?;
            for (ty, ids) in &records {
                for id in ids {
                    log.execute(rusqlite::params![writer_token(), ty, id])?;
                }
            }
        }
        conn.execute(
            "INSERT INTO change_log (writer, record_id) VALUES (?1, ?2)",
            rusqlite::params![writer_token(), marker],
        )?;
        Ok(())
    }

    /// Runs a write of single records that logs them itself ([`log_record`]) instead of a
    /// commit marker, so another window reloads just these records (or a write nobody
    /// needs to reload for).
    pub(super) fn writing_records<T>(&mut self, write: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let before = self.watch.logs_records.replace(true);
        let result = write(self);
        self.watch.logs_records.set(before);
        result
    }

    fn data_version(&self) -> rusqlite::Result<i64> {
        self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))
    }

    fn read_seen(&self) -> rusqlite::Result<Seen> {
        let data_version = self.data_version()?;
        let seq = self.conn.query_row("SELECT coalesce(max(seq), 0) FROM change_log", [], |r| r.get(0))?;
        Ok(Seen { data_version, seq })
    }

    /// The changes other programs logged after `seq`, and the newest number read. No
    /// transaction of its own (it may run inside a write): the rows first, then the
    /// horizon, so a trim in between is seen as one (a reload too many, never one missed).
    fn changes_since(&self, seq: i64) -> rusqlite::Result<(OtherChanges, i64)> {
        let mut changes = OtherChanges::default();
        let mut newest = seq;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, writer, record_type, record_id FROM change_log WHERE seq > ?1 ORDER BY seq")?;
        let mut rows = stmt.query([seq])?;
        let own = writer_token();
        while let Some(row) = rows.next()? {
            newest = newest.max(row.get(0)?);
            let writer: Option<String> = row.get(1)?;
            if writer.as_deref() == Some(own) {
                continue;
            }
            let record_type: Option<String> = row.get(2)?;
            let record_id: Option<i64> = row.get(3)?;
            match (record_type, record_id) {
                (Some(ty), Some(id)) => {
                    let ty = RecordTypeName::new(ty);
                    if self.schema.get(&ty).is_some() {
                        changes.records.entry(ty).or_default().insert(RecordId(id));
                    }
                }
                _ => changes.reload_all = true,
            }
        }
        let horizon: i64 = self.conn.query_row("SELECT seq FROM change_log_horizon WHERE id = 1", [], |r| r.get(0))?;
        if seq < horizon {
            changes.reload_all = true;
            newest = newest.max(horizon);
        }
        Ok((changes, newest))
    }
}

/// Logs a record a single-record write of this process changed (inside its transaction).
pub(super) fn log_record(conn: &Connection, ty: &RecordTypeName, id: RecordId) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO change_log (writer, record_type, record_id) VALUES (?1, ?2, ?3)",
        rusqlite::params![writer_token(), ty.as_str(), id.0],
    )
    .map(drop)
}
