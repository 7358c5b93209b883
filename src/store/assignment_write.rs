//! Writing assignment decisions: the `assignment` row (current state), one
//! `assignment_history` row per decision, and the record's owner field when assigned.
//!
//! Decisions are written in chunks, each as a few statements over a JSON array of rows
//! (`json_each`) instead of three statements per record. What made a million-record
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
            // `value ->> n` is the n-th item of a row; `ORDER BY key` keeps the array's order.
            let sql = format!(
                "{table} (record_type, record_id, segment_id, rule_id, seller_id, status, reason, at, via)
                 SELECT ?1, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, ?2, value ->> 6
                 FROM json_each(?3) ORDER BY key"
            );
            for chunk in rows.chunks(WRITE_CHUNK) {
                self.conn
                    .prepare_cached(&sql)
                    .and_then(|mut stmt| stmt.execute(rusqlite::params![def.name.as_str(), at, rows_json(chunk)]))
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

/// The decisions as a JSON array of rows `[record, segment, rule, seller, status, reason,
/// via]`, `null` where there is none. Every text is a fixed key, never user text.
fn rows_json(decisions: &[&Decided]) -> String {
    let number = |n: Option<i64>| n.map_or_else(|| "null".to_owned(), |n| n.to_string());
    let text = |t: Option<&str>| t.map_or_else(|| "null".to_owned(), |t| format!("\"{t}\""));
    let mut json = String::with_capacity(decisions.len() * 48 + 2);
    json.push('[');
    for (i, d) in decisions.iter().enumerate() {
        let (seller, status, reason) = match d.outcome {
            Ok(seller) => (Some(seller.0), "assigned", None),
            Err(reason) => (None, "unassigned", Some(reason_key(reason))),
        };
        let via = (d.placement.by_default && d.outcome.is_ok()).then_some(super::routing::VIA_DEFAULT);
        let separator = if i == 0 { "" } else { "," };
        // Writing to a String cannot fail.
        let _ = write!(
            json,
            "{separator}[{},{},{},{},\"{status}\",{},{}]",
            d.record.0,
            number(d.segment.map(|s| s.0)),
            number(d.placement.rule.map(|r| r.0)),
            number(seller),
            text(reason),
            text(via)
        );
    }
    json.push(']');
    json
}
