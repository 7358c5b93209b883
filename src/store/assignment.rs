//! Assignment rules of segments, and the assignment of records to sellers.
//!
//! Rules are stored per segment in order (`position`), the conditions as
//! `domain::condition_format` RON and the rest of the rule as versioned RON
//! ([`RULE_FORMAT_VERSION`]). When records join a segment, [`Workspace::assign_joined`]
//! (`assign`) runs inside the apply's transaction: the segment's active rules through
//! `domain::assignment::Assigner::assign_many` against the [`SellerLedger`] read from the
//! `assignment` table (for an apply's first joins, possibly by its reader beside, in a read
//! that sees the same), then one `assignment` row (current state) and one
//! `assignment_history` row per record, and the record's owner field when assigned.

use jiff::Timestamp;
use rusqlite::OptionalExtension;
use serde::Deserialize;

use super::assignment_write::{Decided, Placement};
use super::{Result, SqlContext, StoreError, Workspace};
use crate::domain::assignment::{
    AssignmentRule, AttributeCondition, AttributeValue, Distribution, RuleId, SellerLedger, Stamp, Target,
    UnassignedReason, validate_rule,
};
use crate::domain::condition::{Group, Node};
use crate::domain::describe::PeopleNames;
use crate::domain::history::rules_text;
use crate::domain::{
    FieldName, RecordId, RecordTypeDef, RecordTypeName, Segment, SegmentChange, SegmentHistoryKind, SegmentId,
    SellerId, TeamId, condition_format,
};

/// The version of the rule definition text this build writes (and the newest it reads).
pub const RULE_FORMAT_VERSION: u32 = 1;

pub use crate::domain::monitor::AssignmentRow;

/// Which rows [`Workspace::assignments`] lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignmentFilter {
    All,
    Assigned,
    Unassigned,
}

/// The stored key of a reason.
pub fn reason_key(reason: UnassignedReason) -> &'static str {
    match reason {
        UnassignedReason::NoRulesOnSegment => "no_rules_on_segment",
        UnassignedReason::NoRuleMatched => "no_rule_matched",
        UnassignedReason::TooOld => "too_old",
        UnassignedReason::NoSellerMatched => "no_seller_matched",
        UnassignedReason::NoCapacity => "no_capacity",
        UnassignedReason::NoAvailability => "no_availability",
    }
}

pub(super) fn reason_from_key(key: &str) -> Option<UnassignedReason> {
    [
        UnassignedReason::NoRulesOnSegment,
        UnassignedReason::NoRuleMatched,
        UnassignedReason::TooOld,
        UnassignedReason::NoSellerMatched,
        UnassignedReason::NoCapacity,
        UnassignedReason::NoAvailability,
    ]
    .into_iter()
    .find(|r| reason_key(*r) == key)
}

/// The persisted form of everything of a rule but its id, name, active flag and conditions.
mod v1 {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize)]
    pub struct Definition {
        pub version: u32,
        pub created_within_hours: Option<u32>,
        pub target: Target,
        pub distribution: Distribution,
        pub honour_capacity: bool,
        pub available_within_hours: Option<u32>,
    }

    #[derive(Serialize, Deserialize)]
    pub enum Target {
        AnySeller,
        SellersMatching(Vec<AttributeCondition>),
        Sellers(Vec<i64>),
        Team(i64),
    }

    #[derive(Serialize, Deserialize)]
    pub struct AttributeCondition {
        pub attribute: String,
        pub values: AttributeValue,
    }

    #[derive(Serialize, Deserialize)]
    pub enum AttributeValue {
        Fixed(Vec<String>),
        FromRecord(String),
    }

    #[derive(Serialize, Deserialize)]
    pub enum Distribution {
        RoundRobin,
        LoadBalancing,
    }
}

fn definition_to_ron(rule: &AssignmentRule) -> Result<String> {
    let target = match &rule.target {
        Target::AnySeller => v1::Target::AnySeller,
        Target::SellersMatching(conditions) => v1::Target::SellersMatching(
            conditions
                .iter()
                .map(|c| v1::AttributeCondition {
                    attribute: c.attribute.clone(),
                    values: match &c.values {
                        AttributeValue::Fixed(values) => v1::AttributeValue::Fixed(values.clone()),
                        AttributeValue::FromRecord(field) => v1::AttributeValue::FromRecord(field.as_str().to_owned()),
                    },
                })
                .collect(),
        ),
        Target::Sellers(ids) => v1::Target::Sellers(ids.iter().map(|s| s.0).collect()),
        Target::Team(team) => v1::Target::Team(team.0),
    };
    let file = v1::Definition {
        version: RULE_FORMAT_VERSION,
        created_within_hours: rule.created_within_hours,
        target,
        distribution: match rule.distribution {
            Distribution::RoundRobin => v1::Distribution::RoundRobin,
            Distribution::LoadBalancing => v1::Distribution::LoadBalancing,
        },
        honour_capacity: rule.honour_capacity,
        available_within_hours: rule.available_within_hours,
    };
    ron::ser::to_string_pretty(&file, ron::ser::PrettyConfig::default().escape_strings(false))
        .map_err(|e| StoreError::Invalid(format!("writing assignment rule {}: {e}", rule.name)))
}

/// The rule's fields from its definition text; `Err` names what is wrong.
fn definition_from_ron(text: &str, rule: &mut AssignmentRule) -> Result<(), String> {
    #[derive(Deserialize)]
    struct Probe {
        version: u32,
    }
    let probe: Probe = ron::from_str(text).map_err(|e| e.to_string())?;
    if probe.version != 1 {
        return Err(format!("definition version {} is newer than this build reads", probe.version));
    }
    let file: v1::Definition = ron::from_str(text).map_err(|e| e.to_string())?;
    rule.created_within_hours = file.created_within_hours;
    rule.target = match file.target {
        v1::Target::AnySeller => Target::AnySeller,
        v1::Target::SellersMatching(conditions) => Target::SellersMatching(
            conditions
                .into_iter()
                .map(|c| AttributeCondition {
                    attribute: c.attribute,
                    values: match c.values {
                        v1::AttributeValue::Fixed(values) => AttributeValue::Fixed(values),
                        v1::AttributeValue::FromRecord(field) => AttributeValue::FromRecord(FieldName::new(field)),
                    },
                })
                .collect(),
        ),
        v1::Target::Sellers(ids) => Target::Sellers(ids.into_iter().map(SellerId).collect()),
        v1::Target::Team(team) => Target::Team(TeamId(team)),
    };
    rule.distribution = match file.distribution {
        v1::Distribution::RoundRobin => Distribution::RoundRobin,
        v1::Distribution::LoadBalancing => Distribution::LoadBalancing,
    };
    rule.honour_capacity = file.honour_capacity;
    rule.available_within_hours = file.available_within_hours;
    Ok(())
}

/// Whether a tree reads other records than the one evaluated (a path through a lookup or a
/// related-records block), so evaluating it needs the whole workspace.
pub(super) fn reads_other_records(group: &Group) -> bool {
    group.children.iter().any(|node| match node {
        Node::Condition(condition) => !condition.path.via.is_empty(),
        Node::Group(group) => reads_other_records(group),
        Node::Related(_) | Node::Segment(_) => true,
    })
}

impl Workspace {
    /// The record type of a segment, and its name, for rules and errors.
    fn rule_segment(&self, segment: SegmentId) -> Result<(RecordTypeDef, String)> {
        let stored = self.segment(segment)?;
        Ok((self.type_def(&stored.record_type)?.clone(), stored.name))
    }

    /// Refuses a rule that `domain::assignment::validate_rule` finds problems with, naming
    /// the rule, the segment and every problem.
    fn check_rule(&self, ty: &RecordTypeDef, segment_name: &str, rule: &AssignmentRule) -> Result<()> {
        let problems =
            validate_rule(&self.schema, ty, &self.attribute_definitions()?, &self.sellers()?, &self.teams()?, rule);
        if problems.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        Err(StoreError::Invalid(format!(
            "assignment rule \"{}\" of segment {segment_name}: {}",
            rule.name,
            list.join("; ")
        )))
    }

    /// Adds a rule at the bottom of a segment's rules (the incoming `id` is ignored), at
    /// `now`, and returns its id. The rule is checked with `validate_rule`.
    pub fn insert_rule(&mut self, segment: SegmentId, rule: &AssignmentRule, now: Timestamp) -> Result<RuleId> {
        self.check_writable()?;
        let (ty, segment_name) = self.rule_segment(segment)?;
        self.check_rule(&ty, &segment_name, rule)?;
        let definition = definition_to_ron(rule)?;
        let at = now.to_string();
        self.with_rules_history(segment, now, |ws| {
            ws.conn
                .execute(
                    "INSERT INTO assignment_rule
                 (segment_id, position, name, active, conditions, definition, created_on, modified_on)
                 VALUES (?1, (SELECT coalesce(max(position) + 1, 0) FROM assignment_rule WHERE segment_id = ?1),
                         ?2, ?3, ?4, ?5, ?6, ?6)",
                    rusqlite::params![
                        segment.0,
                        rule.name,
                        rule.active,
                        condition_format::to_ron(&rule.conditions),
                        definition,
                        at
                    ],
                )
                .with_context(|| format!("adding assignment rule \"{}\" to segment {segment_name}", rule.name))?;
            Ok(RuleId(ws.conn.last_insert_rowid()))
        })
    }

    /// Saves an existing rule (by `rule.id`) in place, at `now`; checked like
    /// [`Workspace::insert_rule`].
    pub fn update_rule(&mut self, rule: &AssignmentRule, now: Timestamp) -> Result<()> {
        self.check_writable()?;
        let segment = self.rule_owner(rule.id)?;
        let (ty, segment_name) = self.rule_segment(segment)?;
        self.check_rule(&ty, &segment_name, rule)?;
        let definition = definition_to_ron(rule)?;
        self.with_rules_history(segment, now, |ws| {
            ws.conn.execute(
                "UPDATE assignment_rule SET name = ?2, active = ?3, conditions = ?4, definition = ?5, modified_on = ?6
                 WHERE id = ?1",
                rusqlite::params![
                    rule.id.0,
                    rule.name,
                    rule.active,
                    condition_format::to_ron(&rule.conditions),
                    definition,
                    now.to_string()
                ],
            )
            .with_context(|| format!("saving assignment rule \"{}\" of segment {segment_name}", rule.name))?;
            Ok(())
        })
    }

    /// Deletes a rule; past assignments naming it are kept.
    pub fn delete_rule(&mut self, rule: RuleId, now: Timestamp) -> Result<()> {
        self.check_writable()?;
        let segment = self.rule_owner(rule)?;
        let context = format!("deleting assignment rule {rule}");
        self.with_rules_history(segment, now, |ws| {
            ws.conn.execute("DELETE FROM assignment_rule WHERE id = ?1", [rule.0]).with_context(|| context.clone())?;
            // Close the gap, so positions stay 0..n.
            ws.conn
                .execute(
                    "UPDATE assignment_rule SET position = (SELECT count(*) FROM assignment_rule o
                 WHERE o.segment_id = assignment_rule.segment_id AND o.position < assignment_rule.position)
             WHERE segment_id = ?1",
                    [segment.0],
                )
                .with_context(|| context.clone())?;
            Ok(())
        })
    }

    /// Puts a segment's rules in the order of `order`, which must name each of them once;
    /// one transaction.
    pub fn reorder_rules(&mut self, segment: SegmentId, order: &[RuleId], now: Timestamp) -> Result<()> {
        self.check_writable()?;
        let (_, segment_name) = self.rule_segment(segment)?;
        let mut stored: Vec<RuleId> = self.rule_ids(segment)?;
        let mut given = order.to_vec();
        stored.sort_unstable();
        given.sort_unstable();
        if stored != given {
            return Err(StoreError::Invalid(format!(
                "reordering the assignment rules of segment {segment_name}: the new order must name each of its {} rules once",
                stored.len()
            )));
        }
        let context = format!("reordering the assignment rules of segment {segment_name}");
        self.with_rules_history(segment, now, |ws| {
            let mut stmt = ws
                .conn
                .prepare_cached("UPDATE assignment_rule SET position = ?2 WHERE id = ?1")
                .with_context(|| context.clone())?;
            for (position, rule) in order.iter().enumerate() {
                stmt.execute(rusqlite::params![rule.0, position as i64]).with_context(|| context.clone())?;
            }
            Ok(())
        })
    }

    /// Runs `write` (a change of `segment`'s rules) in one transaction with the segment's
    /// history entry: the rules as text before and after, when they differ.
    fn with_rules_history<T>(
        &self,
        segment: SegmentId,
        now: Timestamp,
        write: impl FnOnce(&Self) -> Result<T>,
    ) -> Result<T> {
        let context = "recording a change of assignment rules";
        let tx = self.write_scope().context(context)?;
        let stored = self.segment(segment)?;
        let before = self.rules_text(&stored)?;
        let out = write(self)?;
        let after = self.rules_text(&stored)?;
        if before != after {
            self.write_history(&stored, &SegmentChange::new(SegmentHistoryKind::Rules, before, after), now)?;
        }
        tx.commit().context(context)?;
        Ok(out)
    }

    /// `segment`'s rules as history text, sellers and teams by name.
    fn rules_text(&self, segment: &Segment) -> Result<String> {
        let def = self.type_def(&segment.record_type)?;
        let (sellers, teams) = (self.sellers()?, self.teams()?);
        let names = PeopleNames { sellers: &sellers, teams: &teams };
        Ok(rules_text(&self.rules(segment.id)?, def, &self.schema, &names))
    }

    /// A segment's rules in order (active or not).
    pub fn rules(&self, segment: SegmentId) -> Result<Vec<AssignmentRule>> {
        let context = "reading assignment rules";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, name, active, conditions, definition FROM assignment_rule
                 WHERE segment_id = ?1 ORDER BY position, id",
            )
            .context(context)?;
        let rows = stmt
            .query_map([segment.0], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .context(context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .context(context)?;
        rows.into_iter()
            .map(|(id, name, active, conditions, definition)| {
                let what = format!("assignment rule {id} (\"{name}\") of segment {}", segment.0);
                let conditions = condition_format::from_ron(&conditions)
                    .map_err(|e| self.corrupt(format!("{what}: its conditions: {e}")))?;
                let mut rule = AssignmentRule {
                    id: RuleId(id),
                    name,
                    active,
                    conditions,
                    created_within_hours: None,
                    target: Target::AnySeller,
                    distribution: Distribution::RoundRobin,
                    honour_capacity: false,
                    available_within_hours: None,
                };
                definition_from_ron(&definition, &mut rule)
                    .map_err(|e| self.corrupt(format!("{what}: its definition: {e}")))?;
                Ok(rule)
            })
            .collect()
    }

    fn rule_ids(&self, segment: SegmentId) -> Result<Vec<RuleId>> {
        let context = "reading assignment rule ids";
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM assignment_rule WHERE segment_id = ?1 ORDER BY position, id")
            .context(context)?;
        let ids = stmt
            .query_map([segment.0], |r| r.get(0).map(RuleId))
            .context(context)?
            .collect::<rusqlite::Result<_>>()
            .context(context)?;
        Ok(ids)
    }

    /// The segment a rule belongs to.
    fn rule_owner(&self, rule: RuleId) -> Result<SegmentId> {
        self.conn
            .query_row("SELECT segment_id FROM assignment_rule WHERE id = ?1", [rule.0], |r| r.get(0).map(SegmentId))
            .optional()
            .context("reading an assignment rule")?
            .ok_or_else(|| StoreError::Invalid(format!("there is no assignment rule with id {rule}")))
    }

    /// Every seller's open records (records assigned to it) and last assignment, from the
    /// `assignment` table; order numbers are `assignment_history` ids, so the ledger's next
    /// order follows every stored one.
    pub fn ledger(&self) -> Result<SellerLedger> {
        let context = "reading the sellers' assignments";
        let mut ledger = self.open_load_with_last_before(i64::MAX)?;
        let max_id: Option<i64> =
            self.conn.query_row("SELECT max(id) FROM assignment_history", [], |r| r.get(0)).context(context)?;
        ledger.next_order = u64::try_from(max_id.unwrap_or(0)).unwrap_or_default() + 1;
        Ok(ledger)
    }

    /// Each seller's open records now, with its last assignment among the history rows
    /// before `before` ([`Workspace::last_assignments_before`]); the next order is left to
    /// the caller.
    pub(super) fn open_load_with_last_before(&self, before: i64) -> Result<SellerLedger> {
        let mut ledger = SellerLedger::default();
        for (seller, count) in self.open_records_by_seller()? {
            ledger.sellers.entry(seller).or_default().open = u32::try_from(count).unwrap_or(u32::MAX);
        }
        for (seller, stamp) in self.last_assignments_before(before)? {
            ledger.sellers.entry(seller).or_default().last_assigned = Some(stamp);
        }
        Ok(ledger)
    }

    /// Each seller's last assignment among the history rows before `before`: its latest
    /// `at`, then the newest row. From the index of assigned rows (version 10), seller by
    /// seller: the next seller is the smallest above the last, its latest row the index's
    /// last for it below `before`. A scan of the whole history took 0.3-0.4 s at half a
    /// million rows, for every batch of decisions.
    pub(super) fn last_assignments_before(&self, before: i64) -> Result<Vec<(SellerId, Stamp)>> {
        let context = "reading the sellers' assignments";
        let mut stmt = self
            .conn
            .prepare_cached(
                "WITH RECURSIVE seller(id) AS (
                     SELECT (SELECT min(seller_id) FROM assignment_history
                             WHERE status = 'assigned' AND seller_id IS NOT NULL)
                     UNION ALL
                     SELECT (SELECT min(seller_id) FROM assignment_history
                             WHERE status = 'assigned' AND seller_id > seller.id)
                     FROM seller WHERE seller.id IS NOT NULL)
                 SELECT seller.id, h.at, h.id FROM seller JOIN assignment_history h ON h.id = (
                     SELECT id FROM assignment_history INDEXED BY \"ix:assignment_history:assigned\"
                     WHERE status = 'assigned' AND seller_id = seller.id AND id < ?1
                     ORDER BY at DESC, id DESC LIMIT 1)",
            )
            .context(context)?;
        let last = stmt
            .query_map([before], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))
            .context(context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .context(context)?;
        last.into_iter()
            .map(|(seller, at, id)| {
                let at: Timestamp = at.parse().map_err(|e| {
                    self.corrupt(format!(
                        "the assignment history of seller {seller}: \"{at}\" is not an RFC 3339 time ({e})"
                    ))
                })?;
                Ok((SellerId(seller), Stamp { at, order: u64::try_from(id).unwrap_or_default() }))
            })
            .collect()
    }

    /// Why a record has no seller: its assignment's reason, or — for a member of a segment
    /// without active rules, which writes no assignment — "no rules on the segment". `None`
    /// when it has a seller or is in no segment and was never assigned.
    pub fn unassigned_reason(&self, ty: &RecordTypeName, record: RecordId) -> Result<Option<UnassignedReason>> {
        if let Some(row) = self.assignment_of(ty, record)? {
            return Ok(row.reason);
        }
        let Some(segment) = self.membership_of(ty, record)? else { return Ok(None) };
        let has_rules = self.rules(segment)?.iter().any(|r| r.active);
        Ok((!has_rules).then_some(UnassignedReason::NoRulesOnSegment))
    }

    /// The assignment state of the records of `ty` that assignment has seen, by record id;
    /// the Monitor lists [`AssignmentFilter::Unassigned`] with reason and age.
    pub fn assignments(&self, ty: &RecordTypeName, filter: AssignmentFilter) -> Result<Vec<AssignmentRow>> {
        self.type_def(ty)?;
        let context = format!("reading the assignments of {ty}");
        let status = match filter {
            AssignmentFilter::All => None,
            AssignmentFilter::Assigned => Some("assigned"),
            AssignmentFilter::Unassigned => Some("unassigned"),
        };
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT record_id, segment_id, rule_id, seller_id, reason, at, via IS NOT NULL FROM assignment
                 WHERE record_type = ?1 AND (?2 IS NULL OR status = ?2) ORDER BY record_id",
            )
            .with_context(|| context.clone())?;
        let rows = stmt
            .query_map(rusqlite::params![ty.as_str(), status], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, bool>(6)?,
                ))
            })
            .with_context(|| context.clone())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .with_context(|| context.clone())?;
        rows.into_iter()
            .map(|(record, segment, rule, seller, reason, at, by_default)| {
                let what = format!("the assignment of {ty} {record}");
                let reason = reason
                    .map(|key| {
                        reason_from_key(&key).ok_or_else(|| self.corrupt(format!("{what}: unknown reason \"{key}\"")))
                    })
                    .transpose()?;
                Ok(AssignmentRow {
                    record: RecordId(record),
                    segment: segment.map(SegmentId),
                    rule: rule.map(RuleId),
                    by_default,
                    seller: seller.map(SellerId),
                    reason,
                    at: at
                        .parse()
                        .map_err(|e| self.corrupt(format!("{what}: \"{at}\" is not an RFC 3339 time ({e})")))?,
                })
            })
            .collect()
    }

    /// Assigns a record to a seller by hand, at `now` (no rule): the `assignment` row and
    /// its history, and the record's owner field when its type has one. The record and the
    /// seller must exist.
    pub fn assign_manually(
        &mut self,
        ty: &RecordTypeName,
        record: RecordId,
        seller: SellerId,
        now: Timestamp,
    ) -> Result<()> {
        self.check_writable()?;
        let def = self.type_def(ty)?.clone();
        if self.record(ty, record)?.is_none() {
            return Err(StoreError::Invalid(format!("there is no {ty} with id {}", record.0)));
        }
        let known: Option<i64> = self
            .conn
            .query_row("SELECT id FROM seller WHERE id = ?1", [seller.0], |r| r.get(0))
            .optional()
            .context("checking the seller of a manual assignment")?;
        if known.is_none() {
            return Err(StoreError::Invalid(format!("there is no seller with id {}", seller.0)));
        }
        let segment = self.membership_of(ty, record)?;
        let context = format!("assigning {ty} {} to seller {} by hand", record.0, seller.0);
        let tx = self.write_scope().with_context(|| context.clone())?;
        let decided = Decided { record, segment, placement: Placement::by(None, false), outcome: Ok(seller) };
        self.write_assignments(&def, &[decided], now)?;
        tx.commit().with_context(|| context.clone())
    }
}
