//! Assigning records in segments: deciding (reading the records, rules, sellers and their
//! load, then `domain::assignment::Assigner`) and writing the decisions
//! (`assignment_write`). The apply's joins, the retry of stranded members and "Run now"
//! are decided by [`Workspace::decide_in_segments`] and written by
//! [`Workspace::write_decisions`], in the writer's transaction, except that an apply may
//! decide its first joins on its reader beside the writer
//! ([`Workspace::decide_first_joins`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::assignment::reads_other_records;
use super::assignment_write::{Decided, Placement};
use super::membership::APPLY_PROGRESS_EVERY;
use super::{Result, SqlContext, Workspace};
use crate::domain::assignment::{AssignmentRule, Decision, Routing, SellerLedger, UnassignedReason, places_any};
use crate::domain::{
    Dataset, EvalContext, FieldName, MembershipChanges, MemoryDataset, Record, RecordId, RecordTypeDef, RecordTypeName,
    SegmentId, SellerId, Value,
};

/// Whether [`Workspace::assign_in_segments`] writes a decision that placed no seller: yes
/// on join and for "Run now"; not for the scheduled retry of stranded records, which would
/// otherwise write a row per stranded record on every run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Unplaced {
    Write,
    Skip,
}

/// Whether [`Workspace::assign_in_segments`] hands back each record it assigned as it was,
/// whole ("Run now" reports the owners it changed), or only ids (a copy of every record an
/// activation assigns costs most of a second at a million).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Keep {
    Records,
    Ids,
}

impl Workspace {
    /// Assigns the records `changes` brings into segments (plain joins, and moves whose
    /// segment asks to rerun assignment), at `now`, inside the caller's transaction, through
    /// [`Workspace::assign_in_segments`]. Deterministic for the same workspace and `now`.
    /// With `ahead`, what [`Workspace::decide_first_joins`] decided for them is written.
    pub(super) fn assign_joined(
        &self,
        changes: &MembershipChanges,
        now: Timestamp,
        ahead: Option<Decisions>,
    ) -> Result<()> {
        if let Some(decisions) = ahead {
            return self.write_decisions(decisions, Keep::Ids, now).map(drop);
        }
        let by_segment = joins_to_assign(changes);
        self.assign_in_segments(
            &changes.record_type,
            by_segment,
            now,
            Unplaced::Write,
            Keep::Ids,
            None,
            &mut |_, _| true,
        )?;
        Ok(())
    }

    /// What [`Workspace::assign_joined`] decides for the first of `all` (in order) with
    /// joins in segments that have a rule or a default route, and that one's place in
    /// `all`, read in a read transaction of this workspace's own while the apply's writer
    /// writes the memberships. The same as deciding in the writer's transaction when that
    /// transaction began before this read did: no other connection can commit meanwhile;
    /// the writer's writes before are memberships and their history, enrolments and segment
    /// history, none of which deciding reads; and no record type before this one had
    /// anyone to decide on (so the sellers' load and every owner are as they were).
    pub(super) fn decide_first_joins(
        &self,
        all: &[MembershipChanges],
        now: Timestamp,
    ) -> Result<Option<(usize, Decisions)>> {
        let context = "deciding the assignments of the joining records";
        super::begin_read(&self.conn).context(context)?;
        let decided = (|| {
            for (place, changes) in all.iter().enumerate() {
                let by_segment = joins_to_assign(changes);
                let decisions = self.decide_in_segments(
                    &changes.record_type,
                    by_segment,
                    now,
                    Unplaced::Write,
                    None,
                    &mut |_, _| true,
                )?;
                if let Some(decisions) = decisions.filter(Decisions::any) {
                    return Ok(Some((place, decisions)));
                }
            }
            Ok(None)
        })();
        // Ending a transaction that only read loses nothing.
        self.conn.execute_batch("COMMIT").context(context)?;
        decided
    }

    /// Assigns records of `ty` in the segments they are in, at `now`, inside the caller's
    /// transaction: per segment (ascending id) its active rules over its records (ascending
    /// id, as given) with one `Assigner` per segment and one ledger for the whole call; an
    /// `assignment` row plus history per record, and the owner field when assigned. A
    /// segment without active rules writes nothing: its members stay unassigned with "no
    /// rules on the segment", read from membership and the empty owner
    /// (`unassigned_reason`). `read_ledger`: the sellers' load as the caller read it in this
    /// transaction, not read again. `progress(done, total)` returning false stops (`None`; the
    /// caller rolls back); `progress(total, total)` comes after every read and decision and
    /// before the first write. Used by the apply's join hook, the retry and "Run now".
    #[allow(clippy::too_many_arguments)]
    pub(super) fn assign_in_segments(
        &self,
        ty: &RecordTypeName,
        by_segment: BTreeMap<SegmentId, Vec<RecordId>>,
        now: Timestamp,
        unplaced: Unplaced,
        keep: Keep,
        read_ledger: Option<SellerLedger>,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> Result<Option<Vec<Placed>>> {
        match self.decide_in_segments(ty, by_segment, now, unplaced, read_ledger, progress)? {
            Some(decisions) => self.write_decisions(decisions, keep, now).map(Some),
            None => Ok(None),
        }
    }

    /// The reading and deciding of [`Workspace::assign_in_segments`], which writes nothing:
    /// `None` when `progress` stopped it.
    pub(super) fn decide_in_segments(
        &self,
        ty: &RecordTypeName,
        mut by_segment: BTreeMap<SegmentId, Vec<RecordId>>,
        now: Timestamp,
        unplaced: Unplaced,
        read_ledger: Option<SellerLedger>,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> Result<Option<Decisions>> {
        by_segment.retain(|_, ids| !ids.is_empty());
        if by_segment.is_empty() {
            return Ok(Some(Decisions::default()));
        }
        let def = self.type_def(ty)?.clone();
        let sellers = self.sellers()?;
        let teams = self.teams()?;
        let ctx = self.assignment_context(now)?;
        let mut rules_of: HashMap<SegmentId, (Vec<AssignmentRule>, Routing)> = HashMap::new();
        for &segment in by_segment.keys() {
            let rules: Vec<AssignmentRule> = self.rules(segment)?.into_iter().filter(|r| r.active).collect();
            rules_of.insert(segment, (rules, self.routing(segment)?));
        }
        // Writing a row per member of a segment without rules would cost seconds on a
        // million-record activation; a default route places records without rules.
        by_segment
            .retain(|segment, _| rules_of.get(segment).is_some_and(|(rules, routing)| places_any(rules, *routing)));
        if by_segment.is_empty() {
            return Ok(Some(Decisions::default()));
        }
        // Read only now: a type whose segments have no rules (most of them) needs no ledger.
        let mut ledger = match read_ledger {
            Some(ledger) => ledger,
            None => self.ledger()?,
        };
        let ids: Vec<RecordId> = by_segment.values().flatten().copied().collect();
        // Deciding reads only what the rules read; "Run now" reads the records it assigned
        // whole once decided (reading all 157k unassigned members of a million leads whole
        // was a third of a run that assigned none).
        let mut reading: BTreeSet<FieldName> =
            rules_of.values().flat_map(|(rules, _)| rules).flat_map(AssignmentRule::fields_read).collect();
        reading.insert(FieldName::new(CREATED_ON));
        let ds =
            self.assignment_dataset(ty, rules_of.values().flat_map(|(rules, _)| rules), &teams, &ids, Some(&reading))?;
        let total = ids.len() as u64;
        let mut done = 0u64;
        let mut placed = Vec::with_capacity(ids.len());
        let mut decided = Vec::with_capacity(ids.len());
        for (segment, ids) in &by_segment {
            let (rules, routing) =
                rules_of.get(segment).map_or((&[][..], Routing::default()), |(r, c)| (r.as_slice(), *c));
            let assigner = crate::domain::assignment::Assigner::new(&ds, &ctx, &def, rules, &sellers, &teams)
                .with_routing(routing);
            let records: Vec<&Record> = ids.iter().filter_map(|id| ds.record(ty, *id)).collect();
            let decisions = assigner.assign_many(records.iter().map(|r| (*r, created_on(&def, r))), &mut ledger);
            for (record, decision) in records.iter().zip(decisions) {
                let (placement, outcome) = match decision {
                    Decision::Assigned { rule, seller, .. } => (Placement::by(rule, rule.is_none()), Ok(seller)),
                    Decision::Unassigned { reason, .. } => (Placement::by(None, false), Err(reason)),
                };
                if outcome.is_ok() || unplaced == Unplaced::Write {
                    decided.push(Decided { record: record.id, segment: Some(*segment), placement, outcome });
                }
                placed.push(Placed { record: record.id, before: None, outcome });
                done += 1;
                if done.is_multiple_of(APPLY_PROGRESS_EVERY) && !progress(done, total) {
                    return Ok(None);
                }
            }
        }
        if !progress(total, total) {
            return Ok(None);
        }
        Ok(Some(Decisions { def: Some(def), decided, placed }))
    }

    /// The writing of [`Workspace::assign_in_segments`], once `decisions` are made.
    pub(super) fn write_decisions(&self, decisions: Decisions, keep: Keep, now: Timestamp) -> Result<Vec<Placed>> {
        let Decisions { def: Some(def), decided, mut placed } = decisions else {
            return Ok(Vec::new());
        };
        if keep == Keep::Records {
            let assigned: Vec<RecordId> = placed.iter().filter(|p| p.outcome.is_ok()).map(|p| p.record).collect();
            let mut whole: HashMap<RecordId, Record> =
                self.records_by_id(&def.name, &assigned)?.into_iter().map(|record| (record.id, record)).collect();
            for placed in placed.iter_mut().filter(|p| p.outcome.is_ok()) {
                placed.before = whole.remove(&placed.record);
            }
        }
        self.write_assignments(&def, &decided, now)?;
        Ok(placed)
    }

    /// The clock and zone rule conditions are evaluated with.
    pub(super) fn assignment_context(&self, now: Timestamp) -> Result<EvalContext> {
        let time_zone = TimeZone::get(&self.time_zone)
            .map_err(|e| self.corrupt(format!("the workspace time zone \"{}\" is unknown ({e})", self.time_zone)))?;
        Ok(EvalContext::new(now, time_zone))
    }

    /// What rule conditions are evaluated over: the records `ids` of `ty`, or every record
    /// when a rule's conditions read other records; teams for "owner is a member of team".
    /// With `reading`, the records `ids` hold only those fields (see
    /// [`Workspace::records_by_id_reading`]); every record is read whole regardless.
    pub(super) fn assignment_dataset<'r>(
        &self,
        ty: &RecordTypeName,
        rules: impl IntoIterator<Item = &'r AssignmentRule>,
        teams: &[crate::domain::Team],
        ids: &[RecordId],
        reading: Option<&BTreeSet<FieldName>>,
    ) -> Result<MemoryDataset> {
        let whole = rules.into_iter().any(|r| reads_other_records(&r.conditions));
        let mut ds = MemoryDataset::new(self.schema.clone());
        for team in teams {
            ds.set_team(team.id, team.members.clone());
        }
        if whole {
            for def in &self.schema.types {
                for record in self.all_records(&def.name)? {
                    ds.insert(&def.name, record);
                }
            }
        } else {
            let records = match reading {
                Some(fields) => self.records_by_id_reading(ty, ids, fields)?,
                None => self.records_by_id(ty, ids)?,
            };
            for record in records {
                ds.insert(ty, record);
            }
        }
        Ok(ds)
    }
}

/// The records `changes` brings into segments whose assignment runs (plain joins, and moves
/// into segments that rerun it), by segment.
pub(super) fn joins_to_assign(changes: &MembershipChanges) -> BTreeMap<SegmentId, Vec<RecordId>> {
    let mut by_segment: BTreeMap<SegmentId, Vec<RecordId>> = BTreeMap::new();
    for joined in changes.joined().filter(|j| j.runs_assignment()) {
        by_segment.entry(joined.segment).or_default().push(joined.record);
    }
    by_segment
}

/// What [`Workspace::decide_in_segments`] decided, for [`Workspace::write_decisions`]: no
/// type when there was nothing to decide (nothing is written).
#[derive(Debug, Default)]
pub(super) struct Decisions {
    def: Option<RecordTypeDef>,
    decided: Vec<Decided>,
    placed: Vec<Placed>,
}

impl Decisions {
    /// Whether deciding found records to decide on.
    pub(super) fn any(&self) -> bool {
        self.def.is_some()
    }
}

/// One record [`Workspace::assign_in_segments`] decided on: its id, the record as it was
/// before (its owner not yet set) when it was assigned and that was asked for
/// ([`Keep::Records`]), and the seller or the reason.
#[derive(Clone, Debug)]
pub(super) struct Placed {
    pub record: RecordId,
    pub before: Option<Record>,
    pub outcome: std::result::Result<SellerId, UnassignedReason>,
}

/// The field of a record's creation time.
const CREATED_ON: &str = "created_on";

/// The record's creation time, for "created in the last N hours".
pub(super) fn created_on(def: &RecordTypeDef, record: &Record) -> Option<Timestamp> {
    match def.field_index(&FieldName::new(CREATED_ON)).and_then(|i| record.values.get(i)) {
        Some(Value::DateTime(at)) => Some(*at),
        _ => None,
    }
}
