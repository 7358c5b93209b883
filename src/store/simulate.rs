//! The distribution simulator: a segment's rules (stored, or an unsaved edit) run over a
//! set of its members exactly as [`Workspace::assign_in_segments`] runs them — the same
//! `Assigner`, fallback chain, dataset and ledger, records in ascending id — against a
//! *copy* of the sellers' ledger, inside a read transaction that is rolled back: nothing is
//! written. What-ifs change copies of the sellers only. `docs/simulator.md` says what the
//! sets and figures mean.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::assign::created_on;
use super::{Result, SqlContext, StoreError, Workspace};
use crate::domain::assignment::simulate::{
    SimulatedRecord, Simulation, SimulationInput, SimulationRequest, SimulationSet, summarize,
};
use crate::domain::assignment::{Assigner, AssignmentRule, Decision, SellerLedger, Stamp};
use crate::domain::{Dataset, FieldKind, Record, RecordId, RecordTypeName, SegmentId, SellerId, Value};

/// Records decided between two progress reports (and cancel checks).
const SIMULATE_CHUNK: usize = 2_000;

/// Ends the read transaction [`Workspace::simulate_assignment`] began, whatever happens.
struct ReadScope<'a> {
    conn: &'a rusqlite::Connection,
    began: bool,
}

impl Drop for ReadScope<'_> {
    fn drop(&mut self) {
        if self.began {
            // A read-only transaction: rolling it back cannot lose anything.
            self.conn.execute_batch("ROLLBACK").ok();
        }
    }
}

impl Workspace {
    /// Simulates the assignment of `request.set` in `request.segment` at `now`, writing
    /// nothing: the decisions the real assignment would make at the same clock, per seller
    /// the records given and the load before and after, the unassigned by reason, and the
    /// fairness among eligible sellers. `progress(done, total)` returning false cancels
    /// (`Ok(None)`).
    pub fn simulate_assignment(
        &self,
        request: &SimulationRequest,
        now: Timestamp,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> Result<Option<Simulation>> {
        let context = "simulating assignment";
        let began = self.conn.is_autocommit();
        if began {
            self.conn.execute_batch("BEGIN").context(context)?;
        }
        let _scope = ReadScope { conn: &self.conn, began };
        let stored = self.segment(request.segment)?;
        let ty = stored.record_type.clone();
        let def = self.type_def(&ty)?.clone();
        let edited_rules = request.rules.is_some();
        let rules: Vec<AssignmentRule> = match &request.rules {
            Some(rules) => rules.clone(),
            None => self.rules(request.segment)?,
        }
        .into_iter()
        .filter(|r| r.active)
        .collect();
        let routing = self.routing(request.segment)?;
        let sellers = request.what_if.apply(&self.sellers()?);
        let teams = self.teams()?;
        let ctx = self.assignment_context(now)?;

        let members = self.simulated_members(&ty, request.segment, request.set)?;
        let ds_ids: Vec<RecordId> = members.iter().map(|(id, _)| *id).collect();
        let mut ds = self.assignment_dataset(&ty, &rules, &teams, &ds_ids, None)?;
        let cutoff = match request.set {
            SimulationSet::CreatedWithin { days } => Some(
                now.checked_sub(jiff::SignedDuration::from_hours(i64::from(days) * 24))
                    .map_err(|e| StoreError::Invalid(format!("{days} days before {now}: {e}")))?,
            ),
            _ => None,
        };
        let owner = def.fields.iter().position(|f| f.kind == FieldKind::Owner);
        let mut chosen: Vec<(RecordId, Option<SellerId>)> = Vec::with_capacity(members.len());
        for (id, seller) in members {
            let Some(record) = ds.record(&ty, id) else { continue };
            if let Some(cutoff) = cutoff
                && created_on(&def, record).is_none_or(|at| at < cutoff)
            {
                continue;
            }
            chosen.push((id, seller));
        }
        let mut ledger = self.ledger()?;
        if request.set.from_scratch() {
            // Decided again as if never assigned: the records' owner is empty, as when they
            // joined, and their assignments leave the sellers' ledger.
            if let Some(index) = owner {
                for (id, seller) in &chosen {
                    if seller.is_some()
                        && let Some(record) = ds.record(&ty, *id)
                    {
                        let mut cleared: Record = record.clone();
                        if let Some(value) = cleared.values.get_mut(index) {
                            *value = Value::Empty;
                        }
                        ds.insert(&ty, cleared);
                    }
                }
            }
            self.take_back(&ty, &chosen, &mut ledger)?;
        }
        let open_before: BTreeMap<SellerId, u32> = ledger.sellers.iter().map(|(id, s)| (*id, s.open)).collect();

        let assigner = Assigner::new(&ds, &ctx, &def, &rules, &sellers, &teams).with_routing(routing);
        let records: Vec<&Record> = chosen.iter().filter_map(|(id, _)| ds.record(&ty, *id)).collect();
        let total = records.len() as u64;
        let mut decided = Vec::with_capacity(records.len());
        for chunk in records.chunks(SIMULATE_CHUNK) {
            let decisions = assigner.assign_many(chunk.iter().map(|r| (*r, created_on(&def, r))), &mut ledger);
            for (record, decision) in chunk.iter().zip(decisions) {
                decided.push(match decision {
                    Decision::Assigned { rule, seller, .. } => {
                        SimulatedRecord { record: record.id, rule, outcome: Ok(seller) }
                    }
                    Decision::Unassigned { reason, .. } => {
                        SimulatedRecord { record: record.id, rule: None, outcome: Err(reason) }
                    }
                });
            }
            if !progress(decided.len() as u64, total) {
                return Ok(None);
            }
        }
        progress(total, total);
        let input = SimulationInput {
            segment: request.segment,
            set: request.set,
            at: now,
            edited_rules,
            what_if: &request.what_if,
            rules: &rules,
            routing,
            sellers: &sellers,
            teams: &teams,
            open_before: &open_before,
        };
        Ok(Some(summarize(&input, decided)))
    }

    /// The segment's members the set starts from, by ascending id, with their current
    /// seller: every member, or those without one (created-within is filtered later, on
    /// the records' `created_on`).
    fn simulated_members(
        &self,
        ty: &RecordTypeName,
        segment: SegmentId,
        set: SimulationSet,
    ) -> Result<Vec<(RecordId, Option<SellerId>)>> {
        let context = "reading the members to simulate";
        let unassigned_only = set == SimulationSet::Unassigned;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT m.record_id, CASE WHEN a.status = 'assigned' THEN a.seller_id END FROM membership m
                 LEFT JOIN assignment a ON a.record_type = m.record_type AND a.record_id = m.record_id
                 WHERE m.record_type = ?1 AND m.segment_id = ?2
                 AND (NOT ?3 OR a.status IS NULL OR a.status = 'unassigned')
                 ORDER BY m.record_id",
            )
            .context(context)?;
        let rows = stmt
            .query_map(rusqlite::params![ty.as_str(), segment.0, unassigned_only], |r| {
                Ok((RecordId(r.get(0)?), r.get::<_, Option<i64>>(1)?.map(SellerId)))
            })
            .context(context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .context(context)?;
        Ok(rows)
    }

    /// Takes the current assignments of `records` off `ledger`: one open record less for
    /// their sellers, and each seller's last assignment the latest one that is not among
    /// those records' current assignments (their latest history rows).
    fn take_back(
        &self,
        ty: &RecordTypeName,
        records: &[(RecordId, Option<SellerId>)],
        ledger: &mut SellerLedger,
    ) -> Result<()> {
        let context = "taking back assignments for a simulation";
        if records.iter().all(|(_, seller)| seller.is_none()) {
            return Ok(());
        }
        for (_, seller) in records {
            if let Some(seller) = seller {
                let state = ledger.sellers.entry(*seller).or_default();
                state.open = state.open.saturating_sub(1);
            }
        }
        let ids: Vec<RecordId> = records.iter().filter(|(_, s)| s.is_some()).map(|(id, _)| *id).collect();
        let mut stmt = self
            .conn
            .prepare_cached(
                "WITH current AS (
                     SELECT max(h.id) AS id FROM assignment_history h
                     WHERE h.record_type = ?1 AND h.record_id IN (SELECT value FROM json_each(?2))
                     GROUP BY h.record_id)
                 SELECT seller_id, at, id FROM (
                     SELECT seller_id, at, id,
                            row_number() OVER (PARTITION BY seller_id ORDER BY at DESC, id DESC) AS latest
                     FROM assignment_history
                     WHERE status = 'assigned' AND seller_id IS NOT NULL AND id NOT IN (SELECT id FROM current))
                 WHERE latest = 1",
            )
            .context(context)?;
        let last = stmt
            .query_map(rusqlite::params![ty.as_str(), super::membership::json_ids(&ids)], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
            })
            .context(context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .context(context)?;
        for state in ledger.sellers.values_mut() {
            state.last_assigned = None;
        }
        for (seller, at, id) in last {
            let at: Timestamp = at.parse().map_err(|e| {
                self.corrupt(format!(
                    "the assignment history of seller {seller}: \"{at}\" is not an RFC 3339 time ({e})"
                ))
            })?;
            let state = ledger.sellers.entry(SellerId(seller)).or_default();
            state.last_assigned = Some(Stamp { at, order: u64::try_from(id).unwrap_or_default() });
        }
        Ok(())
    }
}
