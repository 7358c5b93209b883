//! What a column cache of the records (`engine::cache`) needs from the workspace to prove it
//! still matches the file: the workspace's identity, how far its change log goes, and the
//! records changed since a given point of the log.
//!
//! Version 7 gives every workspace a random identity (`workspace_identity`), so a cache
//! made for another file at the same path (a new demo, a file copied over it) is never
//! taken for this one's. The change log (version 6, see `changes`) says what changed after
//! the point a cache was made at:
//! - a record row (SQLite's triggers for any other program, or Segment Builder's
//!   single-record writes): that record is read again;
//! - a definition row of the triggers (no writer, no record): nothing of the records (the
//!   schema and time zone a cache was made for are compared separately);
//! - a commit marker of Segment Builder that says its transaction's records are logged
//!   (`touched::RECORDS_LOGGED`: a segment saved, an apply, a small import): nothing more
//!   than the record rows logged before it;
//! - any other commit marker of Segment Builder (a writer, no record: a large import, an
//!   apply that set many owners), or a log trimmed past the point: which records changed
//!   is not known, so the cache is rebuilt.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasher, RandomState};

use rusqlite::{OptionalExtension, Transaction};

use super::touched::RECORDS_LOGGED;
use super::{Result, SqlContext, Workspace};
use crate::domain::{RecordId, RecordTypeName};

/// Version 7: the workspace's identity, made once.
pub(super) fn v7_identity(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS workspace_identity (
             id INTEGER PRIMARY KEY CHECK (id = 1),
             token TEXT NOT NULL
         );",
    )
    .context("creating the workspace identity")?;
    tx.execute("INSERT OR IGNORE INTO workspace_identity (id, token) VALUES (1, ?1)", [new_token()])
        .context("creating the workspace identity")
        .map(drop)
}

/// 128 random bits (std's per-process random keys, the clock and the process id), in hex.
fn new_token() -> String {
    let now = crate::clock::now();
    let a = RandomState::new().hash_one((now, std::process::id()));
    let b = RandomState::new().hash_one((a, now));
    format!("{a:016x}{b:016x}")
}

/// Where a workspace's change log stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogPosition {
    /// The workspace's identity (`workspace_identity`).
    pub workspace: String,
    /// The newest sequence number of the change log (0 for an empty log).
    pub seq: i64,
}

/// The records changed after a point of the change log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoggedChanges {
    /// Records added, changed or deleted, by type.
    pub records: BTreeMap<RecordTypeName, BTreeSet<RecordId>>,
    /// Why the changed records cannot be known (then everything must be read again).
    pub unknown: Option<String>,
    /// The newest sequence number read.
    pub seq: i64,
}

impl Workspace {
    /// The workspace's identity and the newest number of its change log.
    pub fn log_position(&self) -> Result<LogPosition> {
        let context = "reading the change log";
        let workspace: Option<String> = self
            .conn
            .query_row("SELECT token FROM workspace_identity WHERE id = 1", [], |r| r.get(0))
            .optional()
            .context(context)?;
        let seq = self.log_high_water().context(context)?;
        Ok(LogPosition { workspace: workspace.unwrap_or_default(), seq })
    }

    /// The records changed after sequence number `since` (see the module documentation).
    /// A `since` beyond the log's numbers (the file is older than the point: restored from
    /// a copy) or before its trim horizon gives `unknown`.
    pub fn changes_after(&self, since: i64) -> Result<LoggedChanges> {
        let context = "reading the change log";
        let mut changes = LoggedChanges { seq: since, ..LoggedChanges::default() };
        if since > self.log_high_water().context(context)? {
            changes.unknown = Some("the workspace is older than the cache".to_owned());
            return Ok(changes);
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, writer, record_type, record_id FROM change_log WHERE seq > ?1 ORDER BY seq")
            .context(context)?;
        let mut rows = stmt.query([since]).context(context)?;
        while let Some(row) = rows.next().context(context)? {
            let seq: i64 = row.get(0).context(context)?;
            changes.seq = changes.seq.max(seq);
            let writer: Option<String> = row.get(1).context(context)?;
            let record_type: Option<String> = row.get(2).context(context)?;
            let record_id: Option<i64> = row.get(3).context(context)?;
            match (writer, record_type, record_id) {
                (_, Some(ty), Some(id)) => {
                    changes.records.entry(RecordTypeName::new(ty)).or_default().insert(RecordId(id));
                }
                (None, None, _) => {}
                // The records of that transaction are logged before it.
                (Some(_), None, Some(RECORDS_LOGGED)) => {}
                (Some(_), None, _) => {
                    changes.unknown.get_or_insert_with(|| "Segment Builder changed the workspace".to_owned());
                }
                (_, Some(ty), None) => {
                    changes.unknown.get_or_insert_with(|| format!("{ty} changed as a whole"));
                }
            }
        }
        drop(rows);
        let horizon: i64 = self
            .conn
            .query_row("SELECT seq FROM change_log_horizon WHERE id = 1", [], |r| r.get(0))
            .context(context)?;
        if since < horizon {
            changes.unknown.get_or_insert_with(|| "the change log was trimmed".to_owned());
        }
        Ok(changes)
    }

    /// The highest sequence number the change log ever gave (`AUTOINCREMENT` keeps it in
    /// `sqlite_sequence`, also once the newest rows are deleted).
    fn log_high_water(&self) -> rusqlite::Result<i64> {
        let kept: Option<i64> = self
            .conn
            .query_row("SELECT seq FROM sqlite_sequence WHERE name = 'change_log'", [], |r| r.get(0))
            .optional()?;
        let newest: i64 = self.conn.query_row("SELECT coalesce(max(seq), 0) FROM change_log", [], |r| r.get(0))?;
        Ok(kept.unwrap_or(0).max(newest))
    }
}
