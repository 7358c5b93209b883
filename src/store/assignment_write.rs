//! Writing assignment decisions: the `assignment` row (current state), one
//! `assignment_history` row per decision, and the record's owner field when assigned.
//!
//! Decisions are written in chunks: the rows as one insert of many bound rows each, the
//! owners as one update per seller over a JSON array of records (`json_each`), instead
//! of three statements per record. What made a million-record
//! activation slow was less the statements than their order: owners set in decision order
//! (segment by segment) rewrote every page of the record table once per chunk. The owners
//! and the current state are therefore written in record order, while the history rows keep
//! the decision order, so their ids (which "Why this seller?" replays by, and the next
//! round-robin stamp continues from) follow the order the decisions were made in, as one
//! insert per decision did. A call decides each record once; the sorts are stable anyway.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jiff::Timestamp;

use super::assignment::reason_key;
use super::{Result, SqlContext, Workspace};
use crate::domain::assignment::{RuleId, UnassignedReason};
use crate::domain::{FieldKind, RecordId, RecordTypeDef, SegmentId, SellerId};

/// How many decisions one set of statements writes.
const WRITE_CHUNK: usize = 20_000;

/// What placed a record: the rule that fired, or the segment's default route (neither: by
/// hand, or unassigned).
#[derive(Clone, Copy, Debug)]
pub(super) struct Placement {
    pub rule: Option<RuleId>,
    pub by_default: bool,
}

impl Placement {
    pub fn by(rule: Option<RuleId>, by_default: bool) -> Self {
        Self { rule, by_default }
    }
}

/// One decision to write: the record, the segment it was decided in, what placed it, and
/// the seller or the reason it has none.
#[derive(Clone, Copy, Debug)]
pub(super) struct Decided {
    pub record: RecordId,
    pub segment: Option<SegmentId>,
    pub placement: Placement,
    pub outcome: std::result::Result<SellerId, UnassignedReason>,
}

impl Workspace {
    /// Writes `decisions` of records of `def`, in their order, at `now`, inside the caller's
    /// transaction.
    pub(super) fn write_assignments(&self, def: &RecordTypeDef, decisions: &[Decided], now: Timestamp) -> Result<()> {
        let context = || format!("writing the assignments of {}", def.plural_label);
        let at = now.to_string();
        // The history in decision order; the current state by record, which keeps its
        // index writes together instead of all over the index in every chunk.
        let mut by_record: Vec<&Decided> = decisions.iter().collect();
        by_record.sort_by_key(|d| d.record);
        let history: Vec<&Decided> = decisions.iter().collect();
        for (table, rows) in
            [("INSERT OR REPLACE INTO assignment", by_record), ("INSERT INTO assignment_history", history)]
        {
            // Rows go in as they are listed: the history's ids follow the decisions.
            let (whole, last) = (insert_sql(table, ROWS_PER_INSERT), insert_sql(table, rows.len() % ROWS_PER_INSERT));
            for chunk in rows.chunks(ROWS_PER_INSERT) {
                let sql = if chunk.len() == ROWS_PER_INSERT { &whole } else { &last };
                self.conn
                    .prepare_cached(sql)
                    .and_then(|mut stmt| {
                        stmt.raw_bind_parameter(1, def.name.as_str())?;
                        stmt.raw_bind_parameter(2, &at)?;
                        for (i, d) in chunk.iter().enumerate() {
                            bind_row(&mut stmt, 3 + i * ROW_VALUES, d)?;
                        }
                        stmt.raw_execute()
                    })
                    .with_context(context)?;
            }
        }
        let Some(owner) = def.fields.iter().find(|f| f.kind == FieldKind::Owner) else { return Ok(()) };
        let update_owner = format!(
            "UPDATE {} SET {} = ?2 WHERE \"id\" IN (SELECT value FROM json_each(?1))",
            super::quote(def.name.as_str()),
            super::quote(owner.name.as_str())
        );
        // By record: each page of the record table is then changed once, instead of once per
        // chunk that has a record on it (which wrote it to the log again and again).
        let mut owners: Vec<(RecordId, SellerId)> =
            decisions.iter().filter_map(|d| d.outcome.ok().map(|seller| (d.record, seller))).collect();
        owners.sort_by_key(|(record, _)| *record);
        for chunk in owners.chunks(WRITE_CHUNK) {
            let mut by_seller: BTreeMap<SellerId, Vec<RecordId>> = BTreeMap::new();
            for (record, seller) in chunk {
                by_seller.entry(*seller).or_default().push(*record);
            }
            for (seller, records) in by_seller {
                self.conn
                    .prepare_cached(&update_owner)
                    .and_then(|mut stmt| {
                        stmt.execute(rusqlite::params![super::membership::json_ids(&records), seller.0])
                    })
                    .with_context(context)?;
            }
        }
        Ok(())
    }
}

/// Decisions one insert statement carries.
const ROWS_PER_INSERT: usize = 128;
/// Values bound per decision: record, segment, rule, seller, status, reason, via.
const ROW_VALUES: usize = 7;

/// `insert` (`INSERT … INTO table`) of `rows` decisions as bound values: `?1` the record
/// type and `?2` the time for all, then [`ROW_VALUES`] for each (see [`bind_row`]).
fn insert_sql(insert: &str, rows: usize) -> String {
    let mut sql =
        format!("{insert} (record_type, record_id, segment_id, rule_id, seller_id, status, reason, at, via) VALUES ");
    for row in 0..rows {
        let p = 3 + row * ROW_VALUES;
        let separator = if row == 0 { "" } else { ", " };
        // Writing to a String cannot fail.
        let _ = write!(
            sql,
            "{separator}(?1, ?{p}, ?{}, ?{}, ?{}, ?{}, ?{}, ?2, ?{})",
            p + 1,
            p + 2,
            p + 3,
            p + 4,
            p + 5,
            p + 6
        );
    }
    sql
}

/// Binds decision `d` from parameter `first` on: record, segment, rule, seller, status,
/// reason and via, `NULL` where there is none. Every text is a fixed key, never user text.
fn bind_row(stmt: &mut rusqlite::Statement<'_>, first: usize, d: &Decided) -> rusqlite::Result<()> {
    let (seller, status, reason) = match d.outcome {
        Ok(seller) => (Some(seller.0), "assigned", None),
        Err(reason) => (None, "unassigned", Some(reason_key(reason))),
    };
    let via = (d.placement.by_default && d.outcome.is_ok()).then_some(super::routing::VIA_DEFAULT);
    stmt.raw_bind_parameter(first, d.record.0)?;
    stmt.raw_bind_parameter(first + 1, d.segment.map(|s| s.0))?;
    stmt.raw_bind_parameter(first + 2, d.placement.rule.map(|r| r.0))?;
    stmt.raw_bind_parameter(first + 3, seller)?;
    stmt.raw_bind_parameter(first + 4, status)?;
    stmt.raw_bind_parameter(first + 5, reason)?;
    stmt.raw_bind_parameter(first + 6, via)
}
