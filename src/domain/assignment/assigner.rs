//! Choosing a seller for a record: each seller's ledger of assignments, availability from
//! work hours and time off, and the [`Assigner`] that walks a segment's rules in order.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;

use super::{
    AssignmentRule, AttributeCondition, AttributeValue, Distribution, MAX_AVAILABILITY_HOURS, NANOS_PER_HOUR,
    Placeable, Routing, RuleId, Target, Way, fmt, merged, places_any,
};
use crate::domain::eval::{Dataset, EvalContext, fold, matches};
use crate::domain::people::{Seller, Team};
use crate::domain::schema::{FieldName, RecordTypeDef};
use crate::domain::value::{Record, SellerId, TeamId, Value};

/// When a seller was last assigned a record: the instant, then an order number that breaks
/// ties between assignments made in the same instant (later = larger).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    pub at: Timestamp,
    pub order: u64,
}

/// What assignment needs to know of a seller's past: open records and the last assignment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SellerState {
    pub open: u32,
    pub last_assigned: Option<Stamp>,
}

/// The state of every seller (absent = no open records, never assigned), updated as records
/// are assigned.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SellerLedger {
    pub sellers: HashMap<SellerId, SellerState>,
    /// The order number the next recorded assignment gets.
    pub next_order: u64,
}

impl SellerLedger {
    pub fn state(&self, seller: SellerId) -> SellerState {
        self.sellers.get(&seller).copied().unwrap_or_default()
    }

    /// Counts one more open record for `seller`, assigned at `at`.
    pub fn record(&mut self, seller: SellerId, at: Timestamp) {
        let order = self.next_order;
        self.next_order = self.next_order.saturating_add(1);
        let state = self.sellers.entry(seller).or_default();
        state.open = state.open.saturating_add(1);
        state.last_assigned = Some(Stamp { at, order });
    }
}

/// Why a record stays unassigned (BRIEF.md's reasons).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnassignedReason {
    NoRulesOnSegment,
    NoRuleMatched,
    TooOld,
    NoSellerMatched,
    NoCapacity,
    NoAvailability,
}

impl fmt::Display for UnassignedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnassignedReason::NoRulesOnSegment => "No assignment rules on the segment",
            UnassignedReason::NoRuleMatched => "No rule matched",
            UnassignedReason::TooOld => "Older than the rule's time frame",
            UnassignedReason::NoSellerMatched => "No seller matched",
            UnassignedReason::NoCapacity => "Eligible sellers have no capacity",
            UnassignedReason::NoAvailability => "Eligible sellers are not available",
        })
    }
}

/// What happened to one rule while a record was assigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleOutcome {
    Inactive,
    ConditionsNotMet,
    /// Conditions met, but the record is older than "created in the last N hours".
    TooOld,
    Fired,
    /// Conditions met, but it found no seller, so the chain went on to the next matching
    /// rule ([`Routing::try_next_rule`]).
    NoSeller(UnassignedReason),
    /// A rule above it fired.
    NotTried,
}

/// What the default route did (`Why::default`): tried only when no rule placed the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultOutcome {
    Placed,
    Failed(UnassignedReason),
}

/// The figures that picked the winner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick {
    /// The method that ran (round robin inside a later availability bucket).
    pub method: Distribution,
    /// The availability bucket the seller was in, when availability was asked for.
    pub bucket: Option<u32>,
    /// Free capacity before this record; `None` is unlimited.
    pub free: Option<u32>,
    pub last_assigned: Option<Stamp>,
    /// How many sellers were left to choose from.
    pub eligible: usize,
}

/// Why a record went where it went: every rule's outcome, in order, and the winner's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Why {
    pub rules: Vec<(RuleId, RuleOutcome)>,
    pub pick: Option<Pick>,
    /// The segment's default route, when it was tried.
    pub default: Option<DefaultOutcome>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// `rule` is the rule that placed the record; `None` when the segment's default route did.
    Assigned {
        rule: Option<RuleId>,
        seller: SellerId,
        why: Why,
    },
    Unassigned {
        reason: UnassignedReason,
        why: Why,
    },
}

impl Decision {
    pub fn seller(&self) -> Option<SellerId> {
        match self {
            Decision::Assigned { seller, .. } => Some(*seller),
            Decision::Unassigned { .. } => None,
        }
    }

    pub fn reason(&self) -> Option<UnassignedReason> {
        match self {
            Decision::Assigned { .. } => None,
            Decision::Unassigned { reason, .. } => Some(*reason),
        }
    }
}

/// What became of one seller under the fired rule ("Why this seller?").
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Not among the rule's specific sellers or team.
    NotInTarget,
    /// The first attribute condition the seller does not meet.
    AttributeMismatch {
        attribute: String,
    },
    SwitchedOff,
    NoCapacity {
        open: u32,
        capacity: u32,
    },
    /// Not working within the rule's N hours.
    NotAvailable,
    /// Available, but in a later bucket than the winner's.
    LaterBucket {
        bucket: u32,
    },
    /// Passed every filter; the distribution preferred another seller.
    Eligible {
        free: Option<u32>,
        last_assigned: Option<Stamp>,
    },
    Chosen,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub seller: SellerId,
    pub verdict: Verdict,
}

/// When a seller can first take a record, from now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Availability {
    /// No schedule: always available.
    Always,
    /// Working from this instant, within [`MAX_AVAILABILITY_HOURS`] of now.
    From(Timestamp),
    /// Not working within [`MAX_AVAILABILITY_HOURS`].
    Beyond,
}

/// The first moment in `[now, now + horizon_hours]` at which `seller` works and is not on
/// time off, read in the seller's time zone (`fallback` when its name is unknown).
pub fn first_available(seller: &Seller, now: Timestamp, fallback: &TimeZone, horizon_hours: u32) -> Availability {
    if seller.work_hours.is_empty() {
        return Availability::Always;
    }
    let zone = TimeZone::get(&seller.time_zone).unwrap_or_else(|_| fallback.clone());
    let deadline_ns = now.as_nanosecond() + i128::from(horizon_hours) * NANOS_PER_HOUR;
    let instant = |wall: DateTime| zone.to_ambiguous_timestamp(wall).compatible().ok();
    let off: Vec<(Timestamp, Timestamp)> = seller
        .time_off
        .iter()
        .filter_map(|t| Some((instant(t.start)?, instant(t.end)?)))
        .filter(|(start, end)| start < end)
        .collect();
    let today = zone.to_datetime(now).date();
    let days = i64::from(horizon_hours / 24) + 2;
    let mut best: Option<Timestamp> = None;
    for offset in -1..=days {
        let Ok(day) = today.checked_add(jiff::Span::new().days(offset)) else { continue };
        let weekday = day.weekday().to_monday_one_offset();
        for period in seller.work_hours.iter().filter(|p| i8::try_from(p.weekday).ok() == Some(weekday)) {
            if period.start_minute >= period.end_minute || period.end_minute > 1440 {
                continue;
            }
            let (Some(start), Some(end)) =
                (wall_instant(&instant, day, period.start_minute), wall_instant(&instant, day, period.end_minute))
            else {
                continue;
            };
            let mut t = start.max(now);
            // Step over time off until the moment is free (each step moves forward).
            let mut moved = true;
            while moved && t < end {
                moved = false;
                for &(off_start, off_end) in &off {
                    if off_start <= t && t < off_end {
                        t = off_end;
                        moved = true;
                    }
                }
            }
            if t < end && t.as_nanosecond() <= deadline_ns && best.is_none_or(|b| t < b) {
                best = Some(t);
            }
        }
    }
    best.map_or(Availability::Beyond, Availability::From)
}

fn wall_instant(instant: &impl Fn(DateTime) -> Option<Timestamp>, day: Date, minute: u16) -> Option<Timestamp> {
    if minute >= 1440 {
        let next = day.tomorrow().ok()?;
        return instant(next.to_datetime(Time::midnight()));
    }
    let time = Time::new(i8::try_from(minute / 60).ok()?, i8::try_from(minute % 60).ok()?, 0, 0).ok()?;
    instant(day.to_datetime(time))
}

/// The availability bucket of a seller for a rule asking for `within_hours`: 0 = now,
/// k = first available in `((k−1)·24 h, k·24 h]`; `None` when not available in time.
pub fn bucket(availability: Availability, now: Timestamp, within_hours: u32) -> Option<u32> {
    match availability {
        Availability::Always => Some(0),
        Availability::Beyond => None,
        Availability::From(t) => {
            let wait = t.as_nanosecond() - now.as_nanosecond();
            if wait <= 0 {
                return Some(0);
            }
            if wait > i128::from(within_hours) * NANOS_PER_HOUR {
                return None;
            }
            let day = 24 * NANOS_PER_HOUR;
            u32::try_from((wait + day - 1) / day).ok()
        }
    }
}

/// A seller prepared once per run: attribute values interned, availability computed.
#[derive(Clone, Debug)]
struct Prepared<'a> {
    seller: &'a Seller,
    /// Ids of the seller's (attribute, value) pairs, folded, ascending.
    values: Vec<u32>,
    availability: Availability,
}

/// Where [`Assigner::choose`] reads a seller's state: the ledger itself, or a dense copy
/// indexed like the prepared sellers while a batch runs.
trait States {
    fn get(&self, index: usize, id: SellerId) -> SellerState;
}

impl States for SellerLedger {
    fn get(&self, _index: usize, id: SellerId) -> SellerState {
        self.state(id)
    }
}

struct Dense(Vec<SellerState>);

impl States for Dense {
    fn get(&self, index: usize, _id: SellerId) -> SellerState {
        self.0.get(index).copied().unwrap_or_default()
    }
}

/// Everything a run of assignment reads besides the records and the ledger: the dataset
/// and clock rule conditions are evaluated with, the record type, the segment's rules in
/// order, the sellers and teams. Sellers are prepared once (attributes folded, first
/// available moment computed), so build one per run, not per record.
pub struct Assigner<'a> {
    ds: &'a dyn Dataset,
    ctx: &'a EvalContext,
    ty: &'a RecordTypeDef,
    rules: &'a [AssignmentRule],
    /// The fallback chain after the rules, and its default as a rule.
    routing: Routing,
    default_rule: Option<AssignmentRule>,
    /// By ascending id.
    sellers: Vec<Prepared<'a>>,
    index: HashMap<SellerId, usize>,
    teams: HashMap<TeamId, Vec<usize>>,
    /// Folded attribute name → folded value → id.
    value_ids: HashMap<String, HashMap<String, u32>>,
}

/// A candidate that passed the target, switch and capacity filters.
#[derive(Clone, Copy)]
struct Eligible {
    index: usize,
    bucket: u32,
    /// Free capacity; `u64::MAX` is unlimited.
    free: u64,
    last: Option<Stamp>,
    id: SellerId,
}

impl<'a> Assigner<'a> {
    pub fn new(
        ds: &'a dyn Dataset,
        ctx: &'a EvalContext,
        ty: &'a RecordTypeDef,
        rules: &'a [AssignmentRule],
        sellers: &'a [Seller],
        teams: &'a [Team],
    ) -> Self {
        let mut value_ids: HashMap<String, HashMap<String, u32>> = HashMap::new();
        let mut next_id = 0u32;
        let mut prepared: Vec<Prepared<'a>> = sellers
            .iter()
            .map(|seller| {
                let mut values = Vec::new();
                for (name, list) in &seller.attributes {
                    let ids = value_ids.entry(fold(name)).or_default();
                    for value in list {
                        let id = *ids.entry(fold(value)).or_insert_with(|| {
                            next_id += 1;
                            next_id
                        });
                        values.push(id);
                    }
                }
                values.sort_unstable();
                values.dedup();
                Prepared {
                    seller,
                    values,
                    availability: first_available(seller, ctx.now, &ctx.time_zone, MAX_AVAILABILITY_HOURS),
                }
            })
            .collect();
        prepared.sort_by_key(|p| p.seller.id);
        prepared.dedup_by_key(|p| p.seller.id);
        let index: HashMap<SellerId, usize> = prepared.iter().enumerate().map(|(i, p)| (p.seller.id, i)).collect();
        let teams = teams
            .iter()
            .map(|team| {
                let mut members: Vec<usize> = team.members.iter().filter_map(|id| index.get(id).copied()).collect();
                members.sort_unstable();
                members.dedup();
                (team.id, members)
            })
            .collect();
        let routing = Routing::default();
        Self { ds, ctx, ty, rules, routing, default_rule: None, sellers: prepared, index, teams, value_ids }
    }

    /// The segment's fallback chain after its rules (none by default).
    #[must_use]
    pub fn with_routing(mut self, routing: Routing) -> Self {
        self.routing = routing;
        self.default_rule = routing.default_rule();
        self
    }

    /// The decision for one record created at `created_on`, given the sellers' state.
    pub fn assign(&self, record: &Record, created_on: Option<Timestamp>, ledger: &SellerLedger) -> Decision {
        self.decide(record, created_on, ledger, None).0
    }

    /// [`Assigner::assign`] plus the verdict on every seller under the fired rule (empty when
    /// no rule fired), by ascending seller id: "Why this seller?".
    pub fn explain(
        &self,
        record: &Record,
        created_on: Option<Timestamp>,
        ledger: &SellerLedger,
    ) -> (Decision, Vec<Candidate>) {
        let mut candidates = Vec::new();
        let (decision, _) = self.decide(record, created_on, ledger, Some(&mut candidates));
        (decision, candidates)
    }

    /// Assigns records in the order they joined, recording each assignment in `ledger` at the
    /// clock's now (so round robin rotates and capacity fills as it goes).
    pub fn assign_many<'r>(
        &self,
        records: impl IntoIterator<Item = (&'r Record, Option<Timestamp>)>,
        ledger: &mut SellerLedger,
    ) -> Vec<Decision> {
        // The sellers' state as a dense copy while the batch runs, written back at the end.
        let mut dense = Dense(self.sellers.iter().map(|p| ledger.state(p.seller.id)).collect());
        let mut touched = vec![false; self.sellers.len()];
        let decisions = records
            .into_iter()
            .map(|(record, created_on)| {
                let (decision, winner) = self.decide(record, created_on, &dense, None);
                if let Some(state) = winner.and_then(|index| dense.0.get_mut(index)) {
                    state.open = state.open.saturating_add(1);
                    state.last_assigned = Some(Stamp { at: self.ctx.now, order: ledger.next_order });
                    ledger.next_order = ledger.next_order.saturating_add(1);
                }
                if let Some(flag) = winner.and_then(|index| touched.get_mut(index)) {
                    *flag = true;
                }
                decision
            })
            .collect();
        for ((prepared, state), _) in self.sellers.iter().zip(dense.0).zip(touched).filter(|(_, touched)| *touched) {
            ledger.sellers.insert(prepared.seller.id, state);
        }
        decisions
    }

    /// The decision, and the index of the chosen seller among the prepared ones. The rules
    /// top-down (the first that matches fires; with "try the next matching rule" a rule
    /// that finds no seller passes the record on), then the default route.
    fn decide(
        &self,
        record: &Record,
        created_on: Option<Timestamp>,
        states: &impl States,
        mut explain: Option<&mut Vec<Candidate>>,
    ) -> (Decision, Option<usize>) {
        let mut trace = Vec::with_capacity(self.rules.len());
        let mut any_active = false;
        let mut too_old = false;
        let mut failed: Option<UnassignedReason> = None;
        let mut placed: Option<(RuleId, usize, SellerId, Pick)> = None;
        for rule in self.rules {
            let outcome = if placed.is_some() || (failed.is_some() && !self.routing.try_next_rule) {
                RuleOutcome::NotTried
            } else if !rule.active {
                RuleOutcome::Inactive
            } else {
                any_active = true;
                if !matches(self.ds, self.ctx, self.ty, record, &rule.conditions) {
                    RuleOutcome::ConditionsNotMet
                } else if is_too_old(rule.created_within_hours, created_on, self.ctx.now) {
                    too_old = true;
                    RuleOutcome::TooOld
                } else {
                    // The candidates shown are those of the last rule that tried.
                    if let Some(list) = explain.as_deref_mut() {
                        list.clear();
                    }
                    match self.choose(rule, record, states, explain.as_deref_mut()) {
                        Ok((index, seller, pick)) => {
                            placed = Some((rule.id, index, seller, pick));
                            RuleOutcome::Fired
                        }
                        Err(reason) => {
                            failed = Some(reason);
                            if self.routing.try_next_rule { RuleOutcome::NoSeller(reason) } else { RuleOutcome::Fired }
                        }
                    }
                }
            };
            trace.push((rule.id, outcome));
        }
        if let Some((rule, index, seller, pick)) = placed {
            let why = Why { rules: trace, pick: Some(pick), default: None };
            return (Decision::Assigned { rule: Some(rule), seller, why }, Some(index));
        }
        let reason = failed.unwrap_or(if !any_active {
            UnassignedReason::NoRulesOnSegment
        } else if too_old {
            UnassignedReason::TooOld
        } else {
            UnassignedReason::NoRuleMatched
        });
        let Some(default) = &self.default_rule else {
            return (Decision::Unassigned { reason, why: Why { rules: trace, pick: None, default: None } }, None);
        };
        if let Some(list) = explain.as_deref_mut() {
            list.clear();
        }
        match self.choose(default, record, states, explain) {
            Ok((index, seller, pick)) => {
                let why = Why { rules: trace, pick: Some(pick), default: Some(DefaultOutcome::Placed) };
                (Decision::Assigned { rule: None, seller, why }, Some(index))
            }
            Err(reason) => {
                let why = Why { rules: trace, pick: None, default: Some(DefaultOutcome::Failed(reason)) };
                (Decision::Unassigned { reason, why }, None)
            }
        }
    }

    /// The seller `rule` picks for `record`, or why none.
    fn choose(
        &self,
        rule: &AssignmentRule,
        record: &Record,
        states: &impl States,
        mut explain: Option<&mut Vec<Candidate>>,
    ) -> Result<(usize, SellerId, Pick), UnassignedReason> {
        // The record's side of the attribute conditions: the ids of the values each accepts.
        let (conditions, wanted): (&[AttributeCondition], Vec<Vec<u32>>) = match &rule.target {
            Target::SellersMatching(conditions) => {
                (conditions, conditions.iter().map(|c| self.wanted_ids(c, record)).collect())
            }
            _ => (&[], Vec::new()),
        };
        let in_target = self.in_target(&rule.target);
        let within = rule.available_within_hours.map(|h| h.min(MAX_AVAILABILITY_HOURS));
        let mut matched = 0usize;
        let mut with_capacity = 0usize;
        let mut eligible: Vec<Eligible> = Vec::new();
        for (index, prepared) in self.sellers.iter().enumerate() {
            let seller = prepared.seller;
            let verdict = 'filter: {
                if in_target.as_ref().is_some_and(|flags| !flags[index]) {
                    break 'filter Some(Verdict::NotInTarget);
                }
                if let Some(position) = wanted.iter().position(|ids| !ids.iter().any(|id| prepared.values.contains(id)))
                {
                    let attribute = conditions.get(position).map(|c| c.attribute.clone()).unwrap_or_default();
                    break 'filter Some(Verdict::AttributeMismatch { attribute });
                }
                if !seller.assign_records {
                    break 'filter Some(Verdict::SwitchedOff);
                }
                matched += 1;
                let state = states.get(index, seller.id);
                let bucket = match self.room(rule, prepared, state, within) {
                    Ok(bucket) => bucket,
                    Err(verdict @ Verdict::NoCapacity { .. }) => break 'filter Some(verdict),
                    Err(verdict) => {
                        with_capacity += 1;
                        break 'filter Some(verdict);
                    }
                };
                with_capacity += 1;
                let free = seller.capacity.map_or(u64::MAX, |c| u64::from(c.saturating_sub(state.open)));
                eligible.push(Eligible { index, bucket, free, last: state.last_assigned, id: seller.id });
                None
            };
            if let (Some(list), Some(verdict)) = (explain.as_deref_mut(), verdict) {
                list.push(Candidate { seller: seller.id, verdict });
            }
        }
        if matched == 0 {
            return Err(UnassignedReason::NoSellerMatched);
        }
        if with_capacity == 0 {
            return Err(UnassignedReason::NoCapacity);
        }
        let Some(first_bucket) = eligible.iter().map(|e| e.bucket).min() else {
            return Err(UnassignedReason::NoAvailability);
        };
        let method = match rule.distribution {
            Distribution::LoadBalancing if first_bucket == 0 => Distribution::LoadBalancing,
            _ => Distribution::RoundRobin,
        };
        let in_bucket = eligible.iter().filter(|e| e.bucket == first_bucket);
        let count = in_bucket.clone().count();
        let winner = match method {
            // Least recently assigned (never = oldest), then id.
            Distribution::RoundRobin => in_bucket.min_by_key(|e| (e.last, e.id)),
            // Most free capacity, then least recently assigned, then id.
            Distribution::LoadBalancing => in_bucket.min_by_key(|e| (std::cmp::Reverse(e.free), e.last, e.id)),
        };
        let Some(winner) = winner.copied() else { return Err(UnassignedReason::NoAvailability) };
        if let Some(list) = explain {
            for e in &eligible {
                let verdict = if e.index == winner.index {
                    Verdict::Chosen
                } else if e.bucket != first_bucket {
                    Verdict::LaterBucket { bucket: e.bucket }
                } else {
                    Verdict::Eligible { free: free_of(e.free), last_assigned: e.last }
                };
                list.push(Candidate { seller: e.id, verdict });
            }
            list.sort_by_key(|c| c.seller);
        }
        let pick = Pick {
            method,
            bucket: within.map(|_| winner.bucket),
            free: free_of(winner.free),
            last_assigned: winner.last,
            eligible: count,
        };
        Ok((winner.index, winner.id, pick))
    }

    /// Whether any record could be placed now ([`Assigner::placeable`] is not
    /// [`Placeable::Nobody`]): `false` means every decision leaves its record unassigned
    /// (the retry of stranded records, which writes only placements, then reads none).
    pub fn may_place_any(&self, ledger: &SellerLedger) -> bool {
        self.placeable(ledger) != Placeable::Nobody
    }

    /// Whether any active rule or the default route could place a record at all, whoever
    /// the sellers are: without, [`Assigner::may_place_any`] is false whatever the load.
    pub fn places_by_any_rule(&self) -> bool {
        places_any(self.rules, self.routing)
    }

    /// Which records a decision could place against `ledger`, from the sellers' side:
    /// every active rule and the default route, with the sellers in its target who take
    /// records, have room where it honours capacity, are available within its hours and
    /// hold one of the values of each of its fixed attribute conditions. A rule whose
    /// attribute conditions take values from the record admits only the records one of
    /// those sellers matches. Rule conditions and the record's age are not looked at, so
    /// this admits every record a decision places and maybe more.
    pub fn placeable(&self, ledger: &SellerLedger) -> Placeable {
        let mut ways = Vec::new();
        for rule in self.rules.iter().filter(|rule| rule.active).chain(self.default_rule.as_ref()) {
            let conditions = match &rule.target {
                Target::SellersMatching(conditions) => conditions.as_slice(),
                _ => &[],
            };
            let from_record: Vec<(&FieldName, &str)> = conditions
                .iter()
                .filter_map(|c| match &c.values {
                    AttributeValue::FromRecord(field) => Some((field, c.attribute.as_str())),
                    AttributeValue::Fixed(_) => None,
                })
                .collect();
            let fixed: Vec<Vec<u32>> = conditions
                .iter()
                .filter_map(|c| match &c.values {
                    AttributeValue::Fixed(values) => Some(self.fixed_ids(&c.attribute, values)),
                    AttributeValue::FromRecord(_) => None,
                })
                .collect();
            let in_target = self.in_target(&rule.target);
            let within = rule.available_within_hours.map(|h| h.min(MAX_AVAILABILITY_HOURS));
            for (index, prepared) in self.sellers.iter().enumerate() {
                let takes = in_target.as_ref().is_none_or(|flags| flags[index])
                    && prepared.seller.assign_records
                    && fixed.iter().all(|ids| ids.iter().any(|id| prepared.values.contains(id)))
                    && self.room(rule, prepared, ledger.state(prepared.seller.id), within).is_ok();
                if !takes {
                    continue;
                }
                if from_record.is_empty() {
                    return Placeable::Anyone;
                }
                // The records this seller could take: one of its values for each attribute
                // the record names (a seller without one matches no record).
                let way: Way = from_record
                    .iter()
                    .map(|(field, attribute)| ((*field).clone(), self.values_held(prepared, attribute)))
                    .collect();
                if way.iter().all(|(_, values)| !values.is_empty()) {
                    ways.push(way);
                }
            }
        }
        if ways.is_empty() { Placeable::Nobody } else { Placeable::Only(merged(ways)) }
    }

    /// The ids of the (attribute, value) pairs among `values` some seller holds.
    fn fixed_ids(&self, attribute: &str, values: &[String]) -> Vec<u32> {
        let Some(ids) = self.value_ids.get(&fold(attribute)) else { return Vec::new() };
        values.iter().filter_map(|v| ids.get(&fold(v)).copied()).collect()
    }

    /// The values (folded) `prepared` holds of `attribute`, ascending.
    fn values_held(&self, prepared: &Prepared<'_>, attribute: &str) -> Vec<String> {
        let Some(ids) = self.value_ids.get(&fold(attribute)) else { return Vec::new() };
        let mut held: Vec<String> =
            ids.iter().filter(|(_, id)| prepared.values.contains(id)).map(|(value, _)| value.clone()).collect();
        held.sort_unstable();
        held
    }

    /// Which prepared sellers a target names (`None`: every seller, attribute conditions
    /// aside).
    fn in_target(&self, target: &Target) -> Option<Vec<bool>> {
        let named: &mut dyn Iterator<Item = usize> = match target {
            Target::AnySeller | Target::SellersMatching(_) => return None,
            Target::Sellers(ids) => &mut ids.iter().filter_map(|id| self.index.get(id).copied()),
            Target::Team(team) => &mut self.teams.get(team).map_or(&[][..], Vec::as_slice).iter().copied(),
        };
        let mut flags = vec![false; self.sellers.len()];
        for i in named {
            flags[i] = true;
        }
        Some(flags)
    }

    /// A seller in the target who takes records: its availability bucket under `rule`
    /// (`within` its hours), or why it cannot take one now (no capacity, not available).
    fn room(
        &self,
        rule: &AssignmentRule,
        prepared: &Prepared<'_>,
        state: SellerState,
        within: Option<u32>,
    ) -> Result<u32, Verdict> {
        if rule.honour_capacity
            && let Some(capacity) = prepared.seller.capacity
            && state.open >= capacity
        {
            return Err(Verdict::NoCapacity { open: state.open, capacity });
        }
        match within {
            None => Ok(0),
            Some(hours) => bucket(prepared.availability, self.ctx.now, hours).ok_or(Verdict::NotAvailable),
        }
    }

    /// The ids of the (attribute, value) pairs an attribute condition accepts for `record`;
    /// values no seller has are left out.
    fn wanted_ids(&self, condition: &AttributeCondition, record: &Record) -> Vec<u32> {
        let Some(ids) = self.value_ids.get(&fold(&condition.attribute)) else { return Vec::new() };
        match &condition.values {
            AttributeValue::Fixed(values) => self.fixed_ids(&condition.attribute, values),
            AttributeValue::FromRecord(field) => {
                let value = self.ty.field_index(field).and_then(|i| record.values.get(i));
                match value {
                    Some(Value::Text(text) | Value::Choice(text)) => {
                        ids.get(&fold(text)).copied().into_iter().collect()
                    }
                    _ => Vec::new(),
                }
            }
        }
    }
}

fn free_of(free: u64) -> Option<u32> {
    u32::try_from(free).ok()
}

/// Whether a record created at `created_on` is older than `limit_hours` at `now`.
fn is_too_old(limit_hours: Option<u32>, created_on: Option<Timestamp>, now: Timestamp) -> bool {
    match (limit_hours, created_on) {
        (Some(hours), Some(created)) => {
            now.as_nanosecond() - created.as_nanosecond() > i128::from(hours) * NANOS_PER_HOUR
        }
        _ => false,
    }
}
