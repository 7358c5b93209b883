//! The Monitor's side of assignment: the unassigned members and the processed records of a
//! record type, "Run now" over unassigned members (the same path as the apply's join hook,
//! [`Workspace::assign_in_segments`], in one transaction that a cancel rolls back), and the
//! explanation of one record's assignment ("Why this seller?").
//!
//! An *unassigned member* is a record in a segment whose `assignment` row is missing (it
//! joined while the segment had no active rules) or says unassigned.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use jiff::Timestamp;
use rusqlite::OptionalExtension;

use super::assign::{Keep, Unplaced, created_on};
use super::{AssignmentRow, Result, SqlContext, Workspace};
use crate::domain::assignment::{Assigner, Placeable, RuleId, SellerLedger, SellerState, UnassignedReason};
use crate::domain::{Dataset, FieldKind, Record, RecordId, RecordTypeName, SegmentId, SellerId, Value};

pub use crate::domain::monitor::{
    CandidateLine, Explanation, MonitorLists, ProcessedRecord, RuleLine, UnassignedMember,
};

/// The segments where assignment may place a record, with which records it may place.
type MayPlace = Vec<(SegmentId, Placeable)>;

/// At most how many members, in all, narrowed segments have for them to be looked up one
/// by one rather than read by scans ([`Workspace::unassigned_members_of`]): a lookup costs
/// about ten rows of a scan.
const LOOKED_UP: usize = 50_000;

/// What narrows a retry of stranded members ([`Workspace::retry_stranded_when`]).
#[derive(Clone, Copy)]
pub struct Narrowing<'a> {
    /// Given a segment and the records assignment may place in it, the members of that
    /// segment among which are all it may place, by ascending id; `None`: not known.
    pub members: &'a dyn Fn(SegmentId, &Placeable) -> Option<Vec<RecordId>>,
    /// The retrying connection's [`Workspace::commits_seen`] before the records and
    /// memberships `members` answers from were read: once another connection committed,
    /// the answer may miss a member, and is not asked.
    pub seen: i64,
}

/// What "Run now" did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunOutcome {
    /// Cancelled: nothing was written.
    pub cancelled: bool,
    /// Unassigned members the run looked at.
    pub considered: usize,
    pub assigned: usize,
    /// Tried and still unassigned (with a reason written).
    pub unassigned: usize,
    /// In a segment without active rules: nothing to try.
    pub without_rules: usize,
    /// Records whose owner field was set, as (before, after), for the engine's snapshot.
    pub owner_changes: Vec<(Record, Record)>,
}

impl Workspace {
    /// The Monitor's lists of `ty`: unassigned members with reason and since when, and
    /// assigned records newest first; at most `limit` of each, with the totals.
    pub fn monitor_lists(&self, ty: &RecordTypeName, limit: usize) -> Result<MonitorLists> {
        self.type_def(ty)?;
        let context = format!("reading the Monitor lists of {ty}");
        let limit_sql = i64::try_from(limit).unwrap_or(i64::MAX);
        let unassigned_total: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM membership m LEFT JOIN assignment a
                 ON a.record_type = m.record_type AND a.record_id = m.record_id
                 WHERE m.record_type = ?1 AND (a.status IS NULL OR a.status = 'unassigned')",
                [ty.as_str()],
                |r| r.get(0),
            )
            .with_context(|| context.clone())?;
        let rows = {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT m.record_id, m.segment_id, coalesce(a.at, m.since), a.reason FROM membership m
                     LEFT JOIN assignment a ON a.record_type = m.record_type AND a.record_id = m.record_id
                     WHERE m.record_type = ?1 AND (a.status IS NULL OR a.status = 'unassigned')
                     ORDER BY m.record_id LIMIT ?2",
                )
                .with_context(|| context.clone())?;
            stmt.query_map(rusqlite::params![ty.as_str(), limit_sql], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<String>>(3)?))
            })
            .with_context(|| context.clone())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .with_context(|| context.clone())?
        };
        let ids: Vec<RecordId> = rows.iter().map(|(id, ..)| RecordId(*id)).collect();
        let mut titles = self.record_titles(ty, &ids)?;
        let mut unassigned = Vec::with_capacity(rows.len());
        for (record, segment, since, reason) in rows {
            let what = format!("the assignment of {ty} {record}");
            let reason = match reason {
                None => UnassignedReason::NoRulesOnSegment,
                Some(key) => super::assignment::reason_from_key(&key)
                    .ok_or_else(|| self.corrupt(format!("{what}: unknown reason \"{key}\"")))?,
            };
            unassigned.push(UnassignedMember {
                record: RecordId(record),
                title: titles.remove(&RecordId(record)).unwrap_or_default(),
                segment: SegmentId(segment),
                reason,
                since: self.time_of(&since, &what)?,
            });
        }

        let processed_total: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM assignment WHERE record_type = ?1 AND status = 'assigned'",
                [ty.as_str()],
                |r| r.get(0),
            )
            .with_context(|| context.clone())?;
        let rows = {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT a.record_id, a.segment_id, a.rule_id, r.name, a.seller_id, a.at, a.via IS NOT NULL
                     FROM assignment a
                     LEFT JOIN assignment_rule r ON r.id = a.rule_id
                     WHERE a.record_type = ?1 AND a.status = 'assigned'
                     ORDER BY a.at DESC, a.record_id LIMIT ?2",
                )
                .with_context(|| context.clone())?;
            stmt.query_map(rusqlite::params![ty.as_str(), limit_sql], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, bool>(6)?,
                ))
            })
            .with_context(|| context.clone())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .with_context(|| context.clone())?
        };
        let ids: Vec<RecordId> = rows.iter().map(|(id, ..)| RecordId(*id)).collect();
        let mut titles = self.record_titles(ty, &ids)?;
        let mut processed = Vec::with_capacity(rows.len());
        for (record, segment, rule, rule_name, seller, at, by_default) in rows {
            let what = format!("the assignment of {ty} {record}");
            processed.push(ProcessedRecord {
                record: RecordId(record),
                title: titles.remove(&RecordId(record)).unwrap_or_default(),
                segment: segment.map(SegmentId),
                rule: rule.map(|id| (RuleId(id), rule_name.unwrap_or_else(|| format!("deleted rule #{id}")))),
                by_default,
                seller: SellerId(seller),
                at: self.time_of(&at, &what)?,
            });
        }
        Ok(MonitorLists {
            unassigned,
            unassigned_total: unassigned_total.max(0) as u64,
            processed,
            processed_total: processed_total.max(0) as u64,
        })
    }

    /// The unassigned members of `ty` by segment (ascending record id within each); only
    /// those among `records` when given. All of them are read by scans
    /// ([`Workspace::unassigned_members_of`] every segment of the type): at a million leads
    /// a lookup of the assignment per member took 0.75 s of every "Run now".
    fn unassigned_members_by_segment(
        &self,
        ty: &RecordTypeName,
        records: Option<&[RecordId]>,
    ) -> Result<BTreeMap<SegmentId, Vec<RecordId>>> {
        let Some(records) = records else {
            let segments: Vec<(SegmentId, Option<Vec<RecordId>>)> =
                self.segments(ty)?.iter().map(|segment| (segment.id, None)).collect();
            return self.unassigned_members_of(ty, &segments);
        };
        let context = format!("reading the unassigned members of {ty}");
        let wanted = super::membership::json_ids(records);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT m.record_id, m.segment_id FROM membership m
                 LEFT JOIN assignment a ON a.record_type = m.record_type AND a.record_id = m.record_id
                 WHERE m.record_type = ?1 AND (a.status IS NULL OR a.status = 'unassigned')
                 AND m.record_id IN (SELECT value FROM json_each(?2))
                 ORDER BY m.record_id",
            )
            .with_context(|| context.clone())?;
        let rows = stmt
            .query_map(rusqlite::params![ty.as_str(), wanted], |r| Ok((RecordId(r.get(0)?), SegmentId(r.get(1)?))))
            .with_context(|| context.clone())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .with_context(|| context.clone())?;
        let mut by_segment: BTreeMap<SegmentId, Vec<RecordId>> = BTreeMap::new();
        for (record, segment) in rows {
            by_segment.entry(segment).or_default().push(record);
        }
        Ok(by_segment)
    }

    /// [`Workspace::unassigned_members_by_segment`] of these segments only, each with
    /// the members it is narrowed to, if any. Read as sequential scans instead of a lookup
    /// of the assignment per member (8 s of a retry at ten million records): the assigned
    /// records of `ty` from the assignment table as it lies, then each segment's members
    /// through the memberships' index by segment (in ascending record id already), the
    /// assigned ones left out. Only when every segment is narrowed, to few members in all,
    /// are those looked up one by one instead.
    fn unassigned_members_of(
        &self,
        ty: &RecordTypeName,
        segments: &[(SegmentId, Option<Vec<RecordId>>)],
    ) -> Result<BTreeMap<SegmentId, Vec<RecordId>>> {
        let mut by_segment = BTreeMap::new();
        let narrowed: Option<usize> = segments.iter().map(|(_, among)| among.as_ref().map(Vec::len)).sum();
        if narrowed.is_some_and(|members| members <= LOOKED_UP) {
            for (segment, among) in segments {
                let among = among.as_deref().unwrap_or_default();
                if among.is_empty() {
                    continue;
                }
                if let Some(members) = self.unassigned_members_by_segment(ty, Some(among))?.remove(segment) {
                    by_segment.insert(*segment, members);
                }
            }
            return Ok(by_segment);
        }
        let context = format!("reading the unassigned members of {ty}");
        // NOT INDEXED: through an index each row would be fetched from the table apart.
        let mut assigned: Vec<i64> = self
            .conn
            .prepare_cached(
                "SELECT record_id FROM assignment NOT INDEXED WHERE record_type = ?1 AND status = 'assigned'",
            )
            .and_then(|mut stmt| stmt.query_map([ty.as_str()], |r| r.get(0))?.collect())
            .with_context(|| context.clone())?;
        assigned.sort_unstable();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT record_id FROM membership WHERE segment_id = ?2 AND record_type = ?1 ORDER BY record_id",
            )
            .with_context(|| context.clone())?;
        for (segment, among) in segments {
            if among.as_ref().is_some_and(Vec::is_empty) {
                continue;
            }
            let mut members = Vec::new();
            let mut rows = stmt.query(rusqlite::params![ty.as_str(), segment.0]).with_context(|| context.clone())?;
            while let Some(row) = rows.next().with_context(|| context.clone())? {
                let record: i64 = row.get(0).with_context(|| context.clone())?;
                let kept = among.as_ref().is_none_or(|among| among.binary_search(&RecordId(record)).is_ok());
                if kept && assigned.binary_search(&record).is_err() {
                    members.push(RecordId(record));
                }
            }
            if !members.is_empty() {
                by_segment.insert(*segment, members);
            }
        }
        Ok(by_segment)
    }

    /// "Run now": the unassigned members of `ty` (only those among `records` when given;
    /// assigned records and records in no segment are left alone) go through their
    /// segment's active rules exactly as on join, at `now`, in ONE transaction with an
    /// `assignment` row and history per record and the owner field when assigned.
    /// `progress(done, total)` returning false cancels: nothing is written.
    pub fn run_assignment(
        &mut self,
        ty: &RecordTypeName,
        records: Option<&[RecordId]>,
        now: Timestamp,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> Result<RunOutcome> {
        self.check_writable()?;
        let def = self.type_def(ty)?.clone();
        let context = format!("running assignment for {}", def.plural_label.to_lowercase());
        let tx = self.write_scope().with_context(|| context.clone())?;
        let by_segment = self.unassigned_members_by_segment(ty, records)?;
        let considered = by_segment.values().map(Vec::len).sum();
        let Some(placed) =
            self.assign_in_segments(ty, by_segment, now, Unplaced::Write, Keep::Records, None, progress)?
        else {
            // Dropping `tx` rolls back every row written so far.
            return Ok(RunOutcome { cancelled: true, considered, ..RunOutcome::default() });
        };
        tx.commit().with_context(|| context.clone())?;
        let owner = def.fields.iter().position(|f| f.kind == FieldKind::Owner);
        let mut outcome = RunOutcome { considered, ..RunOutcome::default() };
        for placed in placed {
            match placed.outcome {
                Ok(seller) => {
                    outcome.assigned += 1;
                    if let (Some(index), Some(before)) = (owner, placed.before) {
                        let mut after = before.clone();
                        if let Some(value) = after.values.get_mut(index) {
                            *value = Value::Owner(seller);
                        }
                        outcome.owner_changes.push((before, after));
                    }
                }
                Err(_) => outcome.unassigned += 1,
            }
        }
        outcome.without_rules = considered - outcome.assigned - outcome.unassigned;
        Ok(outcome)
    }

    /// The scheduled retry of stranded records: the unassigned members of `ty` go through
    /// their segment's rules and fallback chain again at `now` (capacity may have freed up, a
    /// seller may be back from time off), in one transaction; only the records now placed are
    /// written. Returns the records placed.
    pub fn retry_stranded(&mut self, ty: &RecordTypeName, now: Timestamp) -> Result<Vec<RecordId>> {
        // No decision comes after the last possible one: every stranded record is retried.
        self.retry_stranded_before(ty, now, i64::MAX)
    }

    /// [`Workspace::retry_stranded`] of the records stranded by earlier runs: those decided
    /// after the assignment decision `mark` ([`Workspace::assignment_mark`]) were just
    /// decided at this `now` and wait for the next run, so a record is decided at most once
    /// per run (and a million-record activation, which strands many, does not decide them
    /// all twice).
    pub fn retry_stranded_before(&mut self, ty: &RecordTypeName, now: Timestamp, mark: i64) -> Result<Vec<RecordId>> {
        Ok(self.retry_stranded_when(ty, now, mark, &mut || true, None)?.unwrap_or_default())
    }

    /// [`Workspace::retry_stranded_before`] that asks `may_write` once it has read and
    /// decided, before its first write: `false` leaves everything as it was (`None`). An
    /// apply that changes no membership retries while the file's check still runs, and
    /// waits for the check only here.
    ///
    /// `narrow`, given a segment and the records it may place ([`Assigner::placeable`]),
    /// may name the members of that segment among which every member it may place is
    /// found (ascending ids): only those are read and decided. An apply, which holds the
    /// records and memberships in its engine, finds them there without reading a record;
    /// it is not asked once another program committed since they were read.
    pub fn retry_stranded_when(
        &mut self,
        ty: &RecordTypeName,
        now: Timestamp,
        mark: i64,
        may_write: &mut dyn FnMut() -> bool,
        narrow: Option<Narrowing<'_>>,
    ) -> Result<Option<Vec<RecordId>>> {
        self.check_writable()?;
        let context = format!("retrying the stranded {ty} records");
        let tx = self.write_scope().with_context(|| context.clone())?;
        // Only placements are written: the members of segments where no seller could take
        // a record now are not read (at a million records most are stranded for want of
        // capacity, and reading them took a second).
        let (may_place, ledger) = self.segments_that_may_place(ty, now)?;
        let narrow = match narrow {
            Some(narrow) if self.commits_seen()? == narrow.seen => Some(narrow.members),
            _ => None,
        };
        let may_place: Vec<(SegmentId, Option<Vec<RecordId>>)> = may_place
            .into_iter()
            .map(|(segment, placeable)| (segment, narrow.and_then(|narrow| narrow(segment, &placeable))))
            .collect();
        let mut by_segment = self.unassigned_members_of(ty, &may_place)?;
        let decided: HashSet<i64> = self
            .conn
            .prepare_cached("SELECT record_id FROM assignment_history WHERE id > ?1 AND record_type = ?2")
            .and_then(|mut stmt| stmt.query_map(rusqlite::params![mark, ty.as_str()], |r| r.get(0))?.collect())
            .with_context(|| context.clone())?;
        for records in by_segment.values_mut() {
            records.retain(|r| !decided.contains(&r.0));
        }
        // Deciding reports its progress last with everything decided, right before writing.
        let mut before_writing = |done: u64, total: u64| done < total || may_write();
        let Some(placed) =
            self.assign_in_segments(ty, by_segment, now, Unplaced::Skip, Keep::Ids, ledger, &mut before_writing)?
        else {
            return Ok(None);
        };
        let ids = placed.iter().filter(|p| p.outcome.is_ok()).map(|p| p.record).collect();
        tx.commit().with_context(|| context.clone())?;
        Ok(Some(ids))
    }

    /// The segments of `ty` where assignment at `now` may place a record at all against the
    /// current load, with which records it may place ([`Assigner::placeable`]), and that
    /// load, for the deciding: read only when a segment has a rule or a default route (most
    /// record types have none).
    fn segments_that_may_place(&self, ty: &RecordTypeName, now: Timestamp) -> Result<(MayPlace, Option<SellerLedger>)> {
        let def = self.type_def(ty)?.clone();
        let (sellers, teams) = (self.sellers()?, self.teams()?);
        let ctx = self.assignment_context(now)?;
        let mut ledger = None;
        // No rule condition is evaluated: the question is about the sellers alone.
        let nothing = crate::domain::eval::MemoryDataset::new(self.schema.clone());
        let mut may_place = Vec::new();
        for segment in self.segments(ty)? {
            let rules: Vec<_> = self.rules(segment.id)?.into_iter().filter(|r| r.active).collect();
            let assigner =
                Assigner::new(&nothing, &ctx, &def, &rules, &sellers, &teams).with_routing(self.routing(segment.id)?);
            if !assigner.places_by_any_rule() {
                continue;
            }
            let ledger = match &mut ledger {
                Some(ledger) => ledger,
                None => ledger.insert(self.ledger()?),
            };
            match assigner.placeable(ledger) {
                Placeable::Nobody => {}
                placeable => may_place.push((segment.id, placeable)),
            }
        }
        Ok((may_place, ledger))
    }

    /// "Why this seller?": the record's segment and its rules, what they decide and each
    /// seller's verdict under the fired rule, with the stored assignment. A record a rule
    /// assigned is replayed at the time of that assignment against the sellers' load as it
    /// was just before; any other record is decided at `now` against the current load (what
    /// "Run now" would do).
    pub fn explain_assignment(&self, ty: &RecordTypeName, record: RecordId, now: Timestamp) -> Result<Explanation> {
        let def = self.type_def(ty)?.clone();
        let Some(subject) = self.record(ty, record)? else {
            return Err(super::StoreError::Invalid(format!("there is no {} #{}", def.label.to_lowercase(), record.0)));
        };
        let title = self.record_titles(ty, &[record])?.remove(&record).unwrap_or_default();
        let stored = self.assignment_of(ty, record)?;
        let segment = self.membership_of(ty, record)?;
        let mut explanation = Explanation {
            record_type: ty.clone(),
            record,
            title,
            segment,
            rules: Vec::new(),
            routing: crate::domain::assignment::Routing::default(),
            decision: None,
            candidates: Vec::new(),
            stored: stored.clone(),
            at: now,
            replayed: false,
        };
        let Some(segment) = segment else { return Ok(explanation) };
        explanation.rules = self.rules(segment)?;
        explanation.routing = self.routing(segment)?;
        // Replay an assignment a rule or the default route made in this segment.
        let replay = match &stored {
            Some(row) if (row.rule.is_some() || row.by_default) && row.segment == Some(segment) => {
                self.assignment_history_id(ty, record)?
            }
            _ => None,
        };
        let (at, ledger) = match (replay, &stored) {
            (Some(id), Some(row)) => (row.at, self.ledger_before(id)?),
            _ => (now, self.ledger()?),
        };
        explanation.at = at;
        explanation.replayed = replay.is_some();
        let sellers = self.sellers()?;
        let teams = self.teams()?;
        let ctx = self.assignment_context(at)?;
        let mut ds = self.assignment_dataset(ty, &explanation.rules, &teams, &[record], None)?;
        if ds.record(ty, record).is_none() {
            ds.insert(ty, subject.clone());
        }
        let subject = ds.record(ty, record).cloned().unwrap_or(subject);
        let assigner =
            Assigner::new(&ds, &ctx, &def, &explanation.rules, &sellers, &teams).with_routing(explanation.routing);
        let (decision, candidates) = assigner.explain(&subject, created_on(&def, &subject), &ledger);
        explanation.decision = Some(decision);
        explanation.candidates = candidates;
        Ok(explanation)
    }

    /// The stored assignment of one record.
    pub fn assignment_of(&self, ty: &RecordTypeName, record: RecordId) -> Result<Option<AssignmentRow>> {
        let row = self
            .conn
            .query_row(
                "SELECT segment_id, rule_id, seller_id, reason, at, via IS NOT NULL FROM assignment
                 WHERE record_type = ?1 AND record_id = ?2",
                rusqlite::params![ty.as_str(), record.0],
                |r| {
                    Ok((
                        r.get::<_, Option<i64>>(0)?,
                        r.get::<_, Option<i64>>(1)?,
                        r.get::<_, Option<i64>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, bool>(5)?,
                    ))
                },
            )
            .optional()
            .context("reading an assignment")?;
        let Some((segment, rule, seller, reason, at, by_default)) = row else { return Ok(None) };
        let what = format!("the assignment of {ty} {}", record.0);
        let reason = reason
            .map(|key| {
                super::assignment::reason_from_key(&key)
                    .ok_or_else(|| self.corrupt(format!("{what}: unknown reason \"{key}\"")))
            })
            .transpose()?;
        Ok(Some(AssignmentRow {
            record,
            segment: segment.map(SegmentId),
            rule: rule.map(RuleId),
            by_default,
            seller: seller.map(SellerId),
            reason,
            at: self.time_of(&at, &what)?,
        }))
    }

    /// The id of the newest history row of a record's assignment.
    fn assignment_history_id(&self, ty: &RecordTypeName, record: RecordId) -> Result<Option<i64>> {
        self.conn
            .query_row(
                "SELECT max(id) FROM assignment_history WHERE record_type = ?1 AND record_id = ?2",
                rusqlite::params![ty.as_str(), record.0],
                |r| r.get(0),
            )
            .context("reading assignment history")
    }

    /// The sellers' ledger as it was just before the assignment history row `before`:
    /// open records from each record's latest row before it, last assignments from the
    /// rows before it. Replayed forward from the first row, or undone back from the current
    /// load when the rows after it are few: replaying the record assigned last of a million
    /// leads read the 556k rows before it (0.3-0.5 s), undoing reads the few after it. A row
    /// undone costs about 2.2 replayed (a lookup each: 1.5 µs against 0.68 µs at 1M), hence
    /// the split.
    pub fn ledger_before(&self, before: i64) -> Result<SellerLedger> {
        let newest: Option<i64> = self
            .conn
            .query_row("SELECT max(id) FROM assignment_history", [], |r| r.get(0))
            .context("reading the sellers' past assignments")?;
        let after = newest.unwrap_or(0).saturating_sub(before).saturating_add(1);
        if after.saturating_mul(11) < before.saturating_mul(5) {
            self.ledger_undone_to(before)
        } else {
            self.ledger_replayed_to(before)
        }
    }

    /// [`Self::ledger_before`] from the open records now, with the rows from `before` on
    /// taken back (the last assignments are read below `before`): each record those rows changed no longer counts for the
    /// seller of its newest row, and counts instead for the seller of its latest row before
    /// `before`. The store writes a record's `assignment` row (what the current load
    /// counts) with each of its history rows, so its newest row says what that row holds.
    fn ledger_undone_to(&self, before: i64) -> Result<SellerLedger> {
        let context = "reading the sellers' past assignments";
        let mut ledger = self.open_load_with_last_before(before)?;
        // Each record the rows from `before` on changed: its seller by its newest row and by
        // its latest row before them. One pass over those rows with a lookup each; a DISTINCT
        // over them and a lookup of the `assignment` row took four times as long.
        let mut changed: ByRecord<(Option<i64>, Option<i64>)> = HashMap::default();
        let mut types = RecordTypes::default();
        let mut scan = || -> rusqlite::Result<()> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT t.record_type, t.record_id, CASE WHEN t.status = 'assigned' THEN t.seller_id END,
                     (SELECT CASE WHEN h.status = 'assigned' THEN h.seller_id END
                      FROM assignment_history h INDEXED BY \"ix:assignment_history:record_id\"
                      WHERE h.record_id = t.record_id AND h.record_type = t.record_type AND h.id < ?1
                      ORDER BY h.id DESC LIMIT 1)
                 FROM assignment_history t WHERE t.id >= ?1 ORDER BY t.id",
            )?;
            let mut rows = stmt.query([before])?;
            while let Some(row) = rows.next()? {
                let ty = types.of(row, 0)?;
                let now: Option<i64> = row.get(2)?;
                changed.entry((ty, row.get(1)?)).or_insert((None, row.get(3)?)).0 = now;
            }
            Ok(())
        };
        scan().context(context)?;
        for (now, then) in changed.into_values() {
            if let Some(seller) = now {
                let state = ledger.sellers.entry(SellerId(seller)).or_default();
                state.open = state.open.saturating_sub(1);
            }
            if let Some(seller) = then {
                let state = ledger.sellers.entry(SellerId(seller)).or_default();
                state.open = state.open.saturating_add(1);
            }
        }
        // Absent means no open records and never assigned, as in a replayed ledger.
        ledger.sellers.retain(|_, state| *state != SellerState::default());
        ledger.next_order = u64::try_from(before).unwrap_or_default();
        Ok(ledger)
    }

    /// [`Self::ledger_before`] replayed from the first history row.
    fn ledger_replayed_to(&self, before: i64) -> Result<SellerLedger> {
        let context = "reading the sellers' past assignments";
        // One pass over the history before `before` in order, instead of two windows that
        // sorted it (1.2 s for a record assigned last of half a million): each record's
        // latest row says whether it was open with a seller. The last assignments come
        // from the index of assigned rows.
        // Half a million records hashed with SipHash was a third of the replay: ids need
        // no protection from chosen collisions, only speed. Room for the rows up front.
        let rows = usize::try_from(before).unwrap_or_default().min(1 << 20);
        let mut latest: ByRecord<Option<i64>> = HashMap::with_capacity_and_hasher(rows, BuildHasherDefault::default());
        let mut types = RecordTypes::default();
        let mut scan = || -> rusqlite::Result<()> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT record_type, record_id, CASE WHEN status = 'assigned' THEN seller_id END
                 FROM assignment_history WHERE id < ?1 ORDER BY id",
            )?;
            let mut rows = stmt.query([before])?;
            while let Some(row) = rows.next()? {
                latest.insert((types.of(row, 0)?, row.get(1)?), row.get(2)?);
            }
            Ok(())
        };
        scan().context(context)?;
        let mut ledger = SellerLedger::default();
        for seller in latest.into_values().flatten() {
            let state = ledger.sellers.entry(SellerId(seller)).or_default();
            state.open = state.open.saturating_add(1);
        }
        for (seller, stamp) in self.last_assignments_before(before)? {
            ledger.sellers.entry(seller).or_default().last_assigned = Some(stamp);
        }
        ledger.next_order = u64::try_from(before).unwrap_or_default();
        Ok(ledger)
    }

    /// The names of every stored rule, by id (for lists naming the rule that fired).
    pub fn rule_names(&self) -> Result<HashMap<RuleId, String>> {
        let context = "reading assignment rule names";
        let mut stmt = self.conn.prepare_cached("SELECT id, name FROM assignment_rule").context(context)?;
        let rows = stmt
            .query_map([], |r| Ok((RuleId(r.get(0)?), r.get::<_, String>(1)?)))
            .context(context)?
            .collect::<rusqlite::Result<_>>()
            .context(context)?;
        Ok(rows)
    }

    fn time_of(&self, text: &str, what: &str) -> Result<Timestamp> {
        text.parse().map_err(|e| self.corrupt(format!("{what}: \"{text}\" is not an RFC 3339 time ({e})")))
    }
}

impl Workspace {
    /// How many records each seller owns by assignment now (what capacity counts); sellers
    /// with none are absent.
    pub fn open_records_by_seller(&self) -> Result<HashMap<SellerId, u64>> {
        let context = "counting the sellers' open records";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seller_id, count(*) FROM assignment WHERE status = 'assigned' AND seller_id IS NOT NULL
                 GROUP BY seller_id",
            )
            .context(context)?;
        let rows = stmt
            .query_map([], |r| Ok((SellerId(r.get(0)?), u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0))))
            .context(context)?
            .collect::<rusqlite::Result<HashMap<_, _>>>()
            .context(context)?;
        Ok(rows)
    }
}

/// A text column that holds something else, as rusqlite reports it.
fn text_error(column: usize, error: rusqlite::types::FromSqlError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(error))
}

/// The record types of the history rows a pass reads, told apart by their bytes: a type is
/// only ever compared, and checking each as UTF-8 row by row was a tenth of the replay.
#[derive(Default)]
struct RecordTypes(Vec<Vec<u8>>);

impl RecordTypes {
    /// The place in the list of the type in `column` of `row`.
    fn of(&mut self, row: &rusqlite::Row<'_>, column: usize) -> rusqlite::Result<usize> {
        let ty = row.get_ref(column)?.as_bytes().map_err(|e| text_error(column, e))?;
        Ok(self.0.iter().position(|t| t == ty).unwrap_or_else(|| {
            self.0.push(ty.to_owned());
            self.0.len() - 1
        }))
    }
}

/// Something for each record of the history, by its type's place in a list and its id.
type ByRecord<V> = HashMap<(usize, i64), V, BuildHasherDefault<IdHasher>>;

/// A hasher for keys made of ids (the replay's records): one multiply and rotate per word,
/// as `FxHash` does.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }

    fn write_i64(&mut self, word: i64) {
        self.write_u64(word as u64);
    }
}
