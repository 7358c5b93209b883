//! The store side of assignment (issue 6): rules stored per segment in order, and the
//! assignment the apply of memberships runs for joining records, in its transaction.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use segment_builder::domain::assignment::{
    AssignmentRule, AttributeCondition, AttributeValue, DefaultRoute, Distribution, Routing, Target, UnassignedReason,
};
use segment_builder::domain::condition::Group;
use segment_builder::domain::{
    AttributeDefinition, FieldName, MembershipChanges, MembershipReason, Record, RecordId, RecordTypeName,
    SegmentHistoryKind, SegmentId, Seller, SellerId, Status, TeamId, Value,
};
mod common;
use common::routing::{active_segment, any_seller_rule, join, joins, text_equals};

use segment_builder::store::{APPLICATION_ID, ApplyOutcome, AssignmentFilter, SCHEMA_VERSION, StoreError, Workspace};

fn lead_type() -> RecordTypeName {
    RecordTypeName::new("lead")
}

fn now() -> Timestamp {
    "2026-03-10T12:00:00Z".parse().unwrap()
}

/// `name`, routing the records `conditions` match to any seller by round robin.
fn rule_with(name: &str, conditions: Group) -> AssignmentRule {
    AssignmentRule { conditions, ..any_seller_rule(name) }
}

struct World {
    _dir: tempfile::TempDir,
    path: PathBuf,
    ws: Workspace,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ws.sqlite");
        let ws = Workspace::create(&path).unwrap();
        Self { _dir: dir, path, ws }
    }

    fn seller(&mut self, name: &str) -> SellerId {
        let seller = Seller {
            id: SellerId(0),
            name: name.to_owned(),
            email: format!("{}@example.com", name.to_lowercase()),
            time_zone: "UTC".to_owned(),
            attributes: BTreeMap::new(),
            capacity: None,
            work_hours: Vec::new(),
            time_off: Vec::new(),
            assign_records: true,
        };
        self.ws.insert_seller(&seller).unwrap()
    }

    fn lead(&mut self, country: &str, topic: &str) -> RecordId {
        let def = self.ws.schema().get(&lead_type()).unwrap();
        let mut record = Record::empty(RecordId(0), def);
        assert!(record.set(def, "country", Value::Text(country.to_owned())));
        assert!(record.set(def, "topic", Value::Text(topic.to_owned())));
        self.ws.insert_record(&lead_type(), record.values).unwrap()
    }

    /// An active segment "country equals …" (activated from now on: nobody joins yet).
    fn segment(&mut self, name: &str, country: &str) -> SegmentId {
        active_segment(&mut self.ws, &lead_type(), name, text_equals("country", country), now())
    }

    fn joins(segment: SegmentId, records: &[RecordId]) -> MembershipChanges {
        joins(&lead_type(), segment, records)
    }

    fn join(&mut self, segment: SegmentId, records: &[RecordId]) {
        join(&mut self.ws, &lead_type(), segment, records, now());
    }

    fn owner(&self, record: RecordId) -> Value {
        let def = self.ws.schema().get(&lead_type()).unwrap();
        self.ws.record(&lead_type(), record).unwrap().unwrap().get(def, "owner").clone()
    }

    fn reason(&self, record: RecordId) -> Option<UnassignedReason> {
        let rows = self.ws.assignments(&lead_type(), AssignmentFilter::All).unwrap();
        rows.into_iter().find(|r| r.record == record).and_then(|r| r.reason)
    }
}

#[test]
fn rules_round_trip_in_order_and_reorder() {
    let mut world = World::new();
    let segment = world.segment("Germany", "Germany");
    let ana = world.seller("Ana");
    let first = rule_with("Berlin", text_equals("city", "Berlin"));
    let mut second = any_seller_rule("Others");
    second.target = Target::Sellers(vec![ana]);
    second.distribution = Distribution::LoadBalancing;
    second.honour_capacity = true;
    second.available_within_hours = Some(48);
    second.created_within_hours = Some(24);
    second.active = false;
    let a = world.ws.insert_rule(segment, &first, now()).unwrap();
    let b = world.ws.insert_rule(segment, &second, now()).unwrap();
    let stored = world.ws.rules(segment).unwrap();
    assert_eq!(stored.iter().map(|r| r.id).collect::<Vec<_>>(), [a, b]);
    assert_eq!(stored[1], AssignmentRule { id: b, ..second.clone() });
    assert_eq!(stored[0].name, "Berlin");
    world.ws.reorder_rules(segment, &[b, a], now()).unwrap();
    assert_eq!(world.ws.rules(segment).unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), [b, a]);
    let error = world.ws.reorder_rules(segment, &[b], now()).unwrap_err();
    assert!(error.to_string().contains("each of its 2 rules once"), "{error}");
    let mut renamed = AssignmentRule { id: a, ..first.clone() };
    renamed.name = "Berlin and Bonn".to_owned();
    world.ws.update_rule(&renamed, now()).unwrap();
    assert_eq!(world.ws.rules(segment).unwrap()[1].name, "Berlin and Bonn");
    world.ws.delete_rule(b, now()).unwrap();
    assert_eq!(world.ws.rules(segment).unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), [a]);
    // An invalid rule is refused with its segment and problem named.
    let error = world.ws.insert_rule(segment, &any_seller_rule(" "), now()).unwrap_err();
    assert!(error.to_string().contains("segment Germany") && error.to_string().contains("needs a name"), "{error}");
}

#[test]
fn every_change_of_the_rules_is_in_the_segments_history() {
    let mut world = World::new();
    let segment = world.segment("Germany", "Germany");
    let ana = world.seller("Ana");
    let mut to_ana = any_seller_rule("To Ana");
    to_ana.target = Target::Sellers(vec![ana]);
    let a = world.ws.insert_rule(segment, &rule_with("Berlin", text_equals("city", "Berlin")), now()).unwrap();
    let b = world.ws.insert_rule(segment, &to_ana, now()).unwrap();
    world.ws.reorder_rules(segment, &[b, a], now()).unwrap();
    world.ws.delete_rule(a, now()).unwrap();
    let rules: Vec<_> = world
        .ws
        .segment_history(segment)
        .unwrap()
        .into_iter()
        .filter(|e| e.change.kind == SegmentHistoryKind::Rules)
        .map(|e| (e.change.before, e.change.after))
        .collect();
    assert_eq!(rules.len(), 4, "added, added, reordered, deleted: {rules:#?}");
    // Newest first: the deletion leaves only Ana's rule, named by the seller's name.
    let (before, after) = &rules[0];
    assert!(before.starts_with("1. To Ana: sellers Ana, round robin\n2. Berlin: any seller"), "{before}");
    assert!(before.contains("City equals \"Berlin\""), "the rule's conditions are shown: {before}");
    assert_eq!(after, "1. To Ana: sellers Ana, round robin");
    // The first rule's entry starts from none.
    assert_eq!(rules[3].0, "No rules");
    // Saving a rule unchanged records nothing.
    let stored = world.ws.rules(segment).unwrap().remove(0);
    world.ws.update_rule(&stored, now()).unwrap();
    let count = world
        .ws
        .segment_history(segment)
        .unwrap()
        .iter()
        .filter(|e| e.change.kind == SegmentHistoryKind::Rules)
        .count();
    assert_eq!(count, 4);
}

#[test]
fn a_joining_record_gets_a_seller_by_round_robin_and_its_owner_is_set() {
    let mut world = World::new();
    let segment = world.segment("Germany", "Germany");
    let ana = world.seller("Ana");
    let ben = world.seller("Ben");
    world.ws.insert_rule(segment, &any_seller_rule("Everyone"), now()).unwrap();
    let leads: Vec<RecordId> = (0..3).map(|_| world.lead("Germany", "x")).collect();
    assert_eq!(world.ws.unassigned_counts(&lead_type()).unwrap().get(&segment), None);
    world.join(segment, &leads);
    assert_eq!(world.owner(leads[0]), Value::Owner(ana));
    assert_eq!(world.owner(leads[1]), Value::Owner(ben));
    assert_eq!(world.owner(leads[2]), Value::Owner(ana));
    let assigned = world.ws.assignments(&lead_type(), AssignmentFilter::Assigned).unwrap();
    assert_eq!(assigned.len(), 3);
    assert!(assigned.iter().all(|r| r.segment == Some(segment) && r.rule.is_some() && r.at == now()));
    assert!(!world.ws.unassigned_counts(&lead_type()).unwrap().contains_key(&segment), "no unassigned members");
    let ledger = world.ws.ledger().unwrap();
    assert_eq!((ledger.state(ana).open, ledger.state(ben).open), (2, 1));
    // The next joining record continues the rotation from the stored ledger.
    let next = world.lead("Germany", "y");
    world.join(segment, &[next]);
    assert_eq!(world.owner(next), Value::Owner(ben));
    // By hand: reassign one and see the ledger follow.
    world.ws.assign_manually(&lead_type(), next, ana, now()).unwrap();
    assert_eq!(world.owner(next), Value::Owner(ana));
    assert_eq!(world.ws.ledger().unwrap().state(ana).open, 3);
}

/// Hundreds of decisions are written in several statements of many rows each: every row,
/// owner and reason lands with its record, and the history keeps the decision order.
#[test]
fn many_decisions_are_written_whole_and_in_decision_order() {
    let mut world = World::new();
    let segment = world.segment("Germany", "Germany");
    let sellers = [world.seller("Ana"), world.seller("Ben"), world.seller("Cy")];
    world.ws.insert_rule(segment, &rule_with("Topic x", text_equals("topic", "x")), now()).unwrap();
    // 301 leads: more than two full statements and a short one; every fourth matches no rule.
    let leads: Vec<RecordId> =
        (0..301).map(|n| world.lead("Germany", if n % 4 == 3 { "other" } else { "x" })).collect();
    world.join(segment, &leads);
    let mut assigned = 0;
    for (n, &lead) in leads.iter().enumerate() {
        if n % 4 == 3 {
            assert_eq!(world.owner(lead), Value::Empty, "lead {n}");
            assert_eq!(world.reason(lead), Some(UnassignedReason::NoRuleMatched), "lead {n}");
        } else {
            assert_eq!(world.owner(lead), Value::Owner(sellers[assigned % 3]), "lead {n}: round robin");
            assigned += 1;
        }
    }
    assert_eq!(world.ws.assignments(&lead_type(), AssignmentFilter::All).unwrap().len(), leads.len());
    let history: Vec<(i64, Option<i64>)> = raw(&world.path)
        .prepare("SELECT record_id, seller_id FROM assignment_history ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let decided: Vec<i64> = history.iter().map(|(record, _)| *record).collect();
    assert_eq!(decided, leads.iter().map(|l| l.0).collect::<Vec<_>>(), "the history in decision order");
    let owners: Vec<Option<i64>> = leads
        .iter()
        .map(|&l| match world.owner(l) {
            Value::Owner(seller) => Some(seller.0),
            _ => None,
        })
        .collect();
    assert_eq!(history.into_iter().map(|(_, seller)| seller).collect::<Vec<_>>(), owners);
}

#[test]
fn a_record_no_rule_matches_stays_unassigned_with_no_rule_matched() {
    let mut world = World::new();
    let segment = world.segment("Germany", "Germany");
    world.seller("Ana");
    world.ws.insert_rule(segment, &rule_with("Only sales", text_equals("topic", "sales")), now()).unwrap();
    let lead = world.lead("Germany", "support");
    world.join(segment, &[lead]);
    assert_eq!(world.reason(lead), Some(UnassignedReason::NoRuleMatched));
    assert_eq!(world.owner(lead), Value::Empty);
    let unassigned = world.ws.assignments(&lead_type(), AssignmentFilter::Unassigned).unwrap();
    assert_eq!(unassigned.len(), 1);
    assert_eq!((unassigned[0].record, unassigned[0].seller, unassigned[0].at), (lead, None, now()));
}

/// The apply decides on records read only partly (the fields its rules read): a condition
/// on the topic, the seller's language taken from the record's, and "created in the last
/// 24 hours" each still see their field.
#[test]
fn a_joining_record_is_decided_on_every_field_its_rules_read() {
    let mut world = World::new();
    let segment = world.segment("Germany", "Germany");
    let language = AttributeDefinition { name: "Language".into(), values: vec!["German".into(), "French".into()] };
    world.ws.insert_attribute_definition(&language).unwrap();
    let mut speakers = BTreeMap::new();
    for (name, speaks) in [("Ana", "German"), ("Ben", "French")] {
        let id = world.seller(name);
        let mut seller = world.ws.sellers().unwrap().into_iter().find(|s| s.id == id).unwrap();
        seller.attributes.insert("Language".into(), vec![speaks.into()]);
        world.ws.update_seller(&seller).unwrap();
        speakers.insert(speaks, id);
    }
    let rule = AssignmentRule {
        created_within_hours: Some(24),
        target: Target::SellersMatching(vec![AttributeCondition {
            attribute: "Language".into(),
            values: AttributeValue::FromRecord(FieldName::new("language")),
        }]),
        ..rule_with("Recent sales by language", text_equals("topic", "sales"))
    };
    world.ws.insert_rule(segment, &rule, now()).unwrap();
    let def = world.ws.schema().get(&lead_type()).unwrap().clone();
    let mut lead = |topic: &str, language: &str, hours_ago: i64| {
        let mut record = Record::empty(RecordId(0), &def);
        let created = now().checked_sub(jiff::SignedDuration::from_hours(hours_ago)).unwrap();
        for (field, value) in [
            ("country", Value::Text("Germany".into())),
            ("topic", Value::Text(topic.into())),
            ("language", Value::Text(language.into())),
            ("created_on", Value::DateTime(created)),
        ] {
            assert!(record.set(&def, field, value));
        }
        world.ws.insert_record(&lead_type(), record.values).unwrap()
    };
    let french = lead("sales", "French", 1);
    let german = lead("sales", "German", 2);
    let old = lead("sales", "French", 48);
    let support = lead("support", "French", 1);
    world.join(segment, &[french, german, old, support]);
    assert_eq!(world.owner(french), Value::Owner(speakers["French"]));
    assert_eq!(world.owner(german), Value::Owner(speakers["German"]));
    assert_eq!(world.reason(old), Some(UnassignedReason::TooOld));
    assert_eq!(world.reason(support), Some(UnassignedReason::NoRuleMatched));
    // The records themselves are whole as before: only the owner changed.
    let stored = world.ws.record(&lead_type(), french).unwrap().unwrap();
    assert_eq!(stored.get(&def, "language"), &Value::Text("French".into()));
}

#[test]
fn a_segment_without_active_rules_gives_no_rules_on_the_segment() {
    let mut world = World::new();
    let segment = world.segment("Germany", "Germany");
    world.seller("Ana");
    let mut inactive = any_seller_rule("Off");
    inactive.active = false;
    world.ws.insert_rule(segment, &inactive, now()).unwrap();
    let lead = world.lead("Germany", "x");
    world.join(segment, &[lead]);
    assert!(world.ws.assignments(&lead_type(), AssignmentFilter::All).unwrap().is_empty(), "no row is written");
    assert_eq!(world.ws.unassigned_reason(&lead_type(), lead).unwrap(), Some(UnassignedReason::NoRulesOnSegment));
}

#[test]
fn a_cancelled_apply_writes_no_assignment() {
    let mut world = World::new();
    let segment = world.segment("Germany", "Germany");
    world.seller("Ana");
    world.ws.insert_rule(segment, &any_seller_rule("Everyone"), now()).unwrap();
    let lead = world.lead("Germany", "x");
    let changes = World::joins(segment, &[lead]);
    let outcome =
        world.ws.apply_membership_changes(&changes, MembershipReason::RecordCreated, now(), &mut |_, _| false).unwrap();
    assert_eq!(outcome, ApplyOutcome::Cancelled);
    assert!(world.ws.assignments(&lead_type(), AssignmentFilter::All).unwrap().is_empty());
    assert_eq!(world.owner(lead), Value::Empty);
    assert_eq!(world.ws.ledger().unwrap().sellers.len(), 0);
}

#[test]
fn deleting_a_segment_deletes_its_rules_and_keeps_its_assignments() {
    let mut world = World::new();
    let segment = world.segment("Germany", "Germany");
    world.seller("Ana");
    world.ws.insert_rule(segment, &any_seller_rule("Everyone"), now()).unwrap();
    let lead = world.lead("Germany", "x");
    world.join(segment, &[lead]);
    world.ws.set_segment_status(segment, Status::Inactive, now()).unwrap();
    world.ws.delete_segment(segment, now()).unwrap();
    let count: i64 = raw(&world.path).query_row("SELECT count(*) FROM assignment_rule", [], |r| r.get(0)).unwrap();
    assert_eq!(count, 0);
    assert_eq!(world.ws.assignments(&lead_type(), AssignmentFilter::Assigned).unwrap().len(), 1);
}

fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[test]
fn a_version_2_workspace_upgrades_and_a_newer_one_is_refused() {
    let mut world = World::new();
    let path = world.path.clone();
    let segment = world.segment("Germany", "Germany");
    let lead = world.lead("Germany", "x");
    world.join(segment, &[lead]);
    drop(world.ws);
    // Version 2 as it was: no assignment tables.
    raw(&path)
        .execute_batch(
            "DROP TABLE assignment_history; DROP TABLE assignment; DROP TABLE assignment_rule;
             PRAGMA user_version = 2;",
        )
        .unwrap();
    assert!(matches!(Workspace::open_reader(&path), Err(StoreError::Invalid(_))), "a reader needs the upgrade");
    let mut ws = Workspace::open(&path).unwrap();
    assert_eq!(ws.memberships(&lead_type()).unwrap(), [(lead, segment)]);
    assert!(ws.rules(segment).unwrap().is_empty());
    assert!(ws.assignments(&lead_type(), AssignmentFilter::All).unwrap().is_empty());
    ws.insert_rule(segment, &any_seller_rule("Everyone"), now()).unwrap();
    drop(ws);
    let conn = raw(&path);
    let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    // A newer workspace is refused untouched.
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    let application_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).unwrap();
    assert_eq!(application_id, APPLICATION_ID);
    drop(conn);
    let bytes = std::fs::read(&path).unwrap();
    assert!(matches!(Workspace::open(&path), Err(StoreError::Newer { .. })));
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn a_fallback_chain_is_stored_used_on_join_and_its_default_is_marked() {
    let mut world = World::new();
    let segment = world.segment("Germany", "Germany");
    let full = world.seller("Full");
    let spare = world.seller("Spare");
    let mut seller = world.ws.sellers().unwrap().into_iter().find(|s| s.id == full).unwrap();
    seller.capacity = Some(0);
    world.ws.update_seller(&seller).unwrap();
    let mut to_full = any_seller_rule("To Full");
    to_full.target = Target::Sellers(vec![full]);
    to_full.honour_capacity = true;
    world.ws.insert_rule(segment, &to_full, now()).unwrap();
    assert_eq!(world.ws.routing(segment).unwrap(), Routing::default(), "no chain until one is set");
    // Without a chain the lead is stranded.
    let first = world.lead("Germany", "first");
    world.join(segment, &[first]);
    assert_eq!(world.reason(first), Some(UnassignedReason::NoCapacity));
    // A default route to Spare: stored, in the segment's history, and used on the next join.
    let chain = Routing { try_next_rule: true, default: DefaultRoute::Seller(spare) };
    world.ws.set_routing(segment, chain, now()).unwrap();
    assert_eq!(world.ws.routing(segment).unwrap(), chain);
    let entry = world.ws.segment_history(segment).unwrap().remove(0);
    assert_eq!(entry.change.kind, SegmentHistoryKind::Rules);
    assert_eq!(
        entry.change.after,
        "When a rule finds no seller: try the next matching rule; when none places the record: seller Spare"
    );
    let second = world.lead("Germany", "second");
    world.join(segment, &[second]);
    assert_eq!(world.owner(second), Value::Owner(spare));
    let row = world.ws.assignment_of(&lead_type(), second).unwrap().unwrap();
    assert_eq!((row.rule, row.by_default, row.seller), (None, true, Some(spare)), "placed by the default, not by hand");
    let explained = world.ws.explain_assignment(&lead_type(), second, now()).unwrap();
    let line = explained.default_line(&|_| "seller Spare".to_owned()).unwrap();
    assert_eq!(line, "Default route (seller Spare): placed the record");
    // The seller the chain routes to cannot be deleted silently: it is named as used.
    assert!(world.ws.seller_usage(spare).unwrap().rules.contains(&"Germany › default route".to_owned()));
    assert!(world.ws.delete_seller(spare).is_err());
    // An unknown default is refused and changes nothing.
    let unknown = Routing { try_next_rule: false, default: DefaultRoute::Team(TeamId(99)) };
    assert!(world.ws.set_routing(segment, unknown, now()).is_err());
    assert_eq!(world.ws.routing(segment).unwrap(), chain);
}

/// A segment whose only rule gives a record to anyone with room, and its one seller Ana
/// (with the seller, to change her capacity) taking at most one record.
fn one_seller_with_room_for_one() -> (World, SegmentId, SellerId, Seller) {
    let mut world = World::new();
    let segment = world.segment("Germany", "Germany");
    let ana = world.seller("Ana");
    let mut seller = world.ws.sellers().unwrap().remove(0);
    seller.capacity = Some(1);
    world.ws.update_seller(&seller).unwrap();
    let mut rule = any_seller_rule("Everyone");
    rule.honour_capacity = true;
    world.ws.insert_rule(segment, &rule, now()).unwrap();
    (world, segment, ana, seller)
}

#[test]
fn stranded_records_are_placed_by_the_retry_once_capacity_frees_up() {
    let (mut world, segment, ana, mut seller) = one_seller_with_room_for_one();
    let leads: Vec<RecordId> = (0..3).map(|i| world.lead("Germany", &format!("lead {i}"))).collect();
    world.join(segment, &leads);
    assert_eq!(world.owner(leads[0]), Value::Owner(ana));
    assert_eq!(world.reason(leads[1]), Some(UnassignedReason::NoCapacity));
    // Nothing frees up: the retry places nothing and writes no row.
    let history = |world: &World| world.ws.segment_history(segment).unwrap().len();
    let before = (world.ws.assignment_mark().unwrap(), history(&world));
    assert!(world.ws.retry_stranded(&lead_type(), now()).unwrap().is_empty());
    assert_eq!((world.ws.assignment_mark().unwrap(), history(&world)), before, "nothing written");
    // Ana's capacity grows to 2: the next retry places exactly one more.
    seller.capacity = Some(2);
    world.ws.update_seller(&seller).unwrap();
    assert_eq!(world.ws.retry_stranded(&lead_type(), now()).unwrap(), [leads[1]]);
    assert_eq!(world.owner(leads[1]), Value::Owner(ana));
    assert_eq!(world.reason(leads[2]), Some(UnassignedReason::NoCapacity));
}

#[test]
fn a_run_retries_only_what_earlier_runs_stranded() {
    let (mut world, segment, ana, mut seller) = one_seller_with_room_for_one();
    let earlier: Vec<RecordId> = (0..2).map(|i| world.lead("Germany", &format!("earlier {i}"))).collect();
    world.join(segment, &earlier);
    assert_eq!(world.reason(earlier[1]), Some(UnassignedReason::NoCapacity));
    // A run begins (`mark`); a record joins while Ana is still full and is stranded at once.
    let mark = world.ws.assignment_mark().unwrap();
    let late = world.lead("Germany", "this run");
    world.join(segment, &[late]);
    assert_eq!(world.reason(late), Some(UnassignedReason::NoCapacity));
    // Then Ana has room for two more. The run's retry places the record stranded earlier
    // and leaves the one it just decided for the next run, though there is room for it.
    seller.capacity = Some(3);
    world.ws.update_seller(&seller).unwrap();
    assert_eq!(world.ws.retry_stranded_before(&lead_type(), now(), mark).unwrap(), [earlier[1]]);
    assert_eq!(world.owner(earlier[1]), Value::Owner(ana));
    assert_eq!(world.reason(late), Some(UnassignedReason::NoCapacity));
    // The next run retries it like any other.
    assert_eq!(world.ws.retry_stranded(&lead_type(), now()).unwrap(), [late]);
    assert_eq!(world.owner(late), Value::Owner(ana));
}

/// Members that joined while their segment had no rule have no assignment row at all:
/// the retry places them too once a rule can, and leaves the assigned alone.
#[test]
fn members_that_joined_before_any_rule_are_placed_by_the_retry() {
    let mut world = World::new();
    let segment = world.segment("Germany", "Germany");
    let ana = world.seller("Ana");
    let leads: Vec<RecordId> = (0..3).map(|i| world.lead("Germany", &format!("lead {i}"))).collect();
    world.join(segment, &leads[..2]);
    let rows = |world: &World| world.ws.assignments(&lead_type(), AssignmentFilter::All).unwrap().len();
    assert_eq!(rows(&world), 0, "no rule, no decision");
    world.ws.insert_rule(segment, &any_seller_rule("Everyone"), now()).unwrap();
    world.join(segment, &leads[2..]);
    assert_eq!(world.owner(leads[2]), Value::Owner(ana));
    assert_eq!(world.ws.retry_stranded(&lead_type(), now()).unwrap(), leads[..2]);
    assert!(leads.iter().all(|l| world.owner(*l) == Value::Owner(ana)));
    assert_eq!(rows(&world), 3);
}

/// The ledger one connection reads stays what a fresh connection reads after this
/// connection's own commits, another program's insert, update and delete of history
/// rows, and a change rolled back whose history row id is then used again.
#[test]
fn the_ledger_is_what_a_fresh_read_gives_after_every_kind_of_write() {
    let mut world = World::new();
    let segment = world.segment("Germany", "Germany");
    let ana = world.seller("Ana");
    let ben = world.seller("Ben");
    world.ws.insert_rule(segment, &any_seller_rule("Everyone"), now()).unwrap();
    let fresh = |path: &Path| Workspace::open(path).unwrap().ledger().unwrap();
    let leads: Vec<RecordId> = (0..4).map(|_| world.lead("Germany", "x")).collect();
    world.join(segment, &leads[..2]);
    assert_eq!(world.ws.ledger().unwrap(), fresh(&world.path));
    // This connection's own commit.
    world.join(segment, &leads[2..3]);
    let ledger = world.ws.ledger().unwrap();
    assert_eq!(ledger, fresh(&world.path));
    assert_eq!((ledger.state(ana).open, ledger.state(ben).open), (2, 1));

    // Another program assigns to Ben later, then takes that row away again.
    let later = "2030-01-01T00:00:00Z";
    raw(&world.path)
        .execute(
            "INSERT INTO assignment_history (at, record_type, record_id, seller_id, status)
             VALUES (?1, 'lead', ?2, ?3, 'assigned')",
            rusqlite::params![later, leads[3].0, ben.0],
        )
        .unwrap();
    let ledger = world.ws.ledger().unwrap();
    assert_eq!(ledger.state(ben).last_assigned.map(|s| s.at), Some(later.parse().unwrap()));
    assert_eq!(ledger, fresh(&world.path));
    // … and moves an earlier row of Ana's later still: no new row, only a change.
    let latest_of_ana = ledger.state(ana).last_assigned.unwrap().order as i64;
    raw(&world.path)
        .execute("UPDATE assignment_history SET at = '2031-01-01T00:00:00Z' WHERE id = ?1", [latest_of_ana - 2])
        .unwrap();
    let ledger = world.ws.ledger().unwrap();
    assert_eq!(ledger.state(ana).last_assigned.map(|s| s.order as i64), Some(latest_of_ana - 2));
    assert_eq!(ledger, fresh(&world.path));
    raw(&world.path).execute("DELETE FROM assignment_history WHERE at = ?1", [later]).unwrap();
    let ledger = world.ws.ledger().unwrap();
    assert_eq!(ledger.state(ben).last_assigned.map(|s| s.at), Some(now()));
    assert_eq!(ledger, fresh(&world.path));
    raw(&world.path)
        .execute(
            "UPDATE assignment_history SET at = ?1 WHERE id = ?2",
            rusqlite::params![now().to_string(), latest_of_ana - 2],
        )
        .unwrap();
    assert_eq!(world.ws.ledger().unwrap(), fresh(&world.path));

    // A change that assigns (seen inside it), then rolls back.
    let before = world.ws.ledger().unwrap();
    let mut inside = None;
    let undone = world.ws.atomically(|ws| {
        common::routing::join(ws, &lead_type(), segment, &leads[3..], now());
        inside = Some(ws.ledger()?);
        Err::<(), _>(StoreError::Invalid("undone".to_owned()))
    });
    assert!(undone.is_err());
    let inside = inside.unwrap();
    assert_ne!(inside, before, "the change's own assignment is seen inside it");
    assert_eq!(inside.state(ben).open, 2);
    assert_eq!(fresh(&world.path), before, "and gone with it");
    // The next commit writes its history row where the undone one was.
    world.ws.assign_manually(&lead_type(), leads[3], ana, now()).unwrap();
    let ledger = world.ws.ledger().unwrap();
    assert_eq!(ledger.state(ana).open, 3);
    assert_eq!(ledger, fresh(&world.path));
}

/// Each seller's latest assignment in the ledger is the assigned history row with the
/// latest `at` (as text), the newest row among equal ones: checked against every row read
/// by hand, over histories with ties, unassigned rows, rows without a seller and sellers
/// that no longer exist; and a version 9 workspace gets the indexes it is read through,
/// a version 10 one loses those by seller that nothing reads.
#[test]
fn the_ledger_has_each_sellers_latest_assignment_and_older_versions_get_the_indexes_it_reads() {
    let world = World::new();
    let path = world.path.clone();
    drop(world.ws);
    let times = ["2026-03-01T09:00:00Z", "2026-03-01T10:00:00Z", "2026-02-28T23:00:00Z", "2026-03-01T10:00:00Z"];
    let conn = raw(&path);
    // A fixed pseudo-random history: 600 rows over 7 sellers (and none), both statuses.
    let mut state: u64 = 12_345;
    let mut next = |n: u64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    for record in 0..600 {
        let seller = match next(8) {
            0 => None,
            s => Some(s as i64),
        };
        let status = if next(4) == 0 { "unassigned" } else { "assigned" };
        conn.execute(
            "INSERT INTO assignment_history (at, record_type, record_id, seller_id, status) VALUES (?1, 'lead', ?2, ?3, ?4)",
            rusqlite::params![times[next(4) as usize], record, seller, status],
        )
        .unwrap();
    }
    let mut expected: BTreeMap<i64, (String, i64)> = BTreeMap::new();
    let mut stmt =
        conn.prepare("SELECT id, seller_id, at FROM assignment_history WHERE status = 'assigned' ORDER BY id").unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?, r.get::<_, String>(2)?)));
    for (id, seller, at) in rows.unwrap().map(Result::unwrap) {
        let Some(seller) = seller else { continue };
        let latest = expected.entry(seller).or_insert_with(|| (at.clone(), id));
        if (at.as_str(), id) > (latest.0.as_str(), latest.1) {
            *latest = (at, id);
        }
    }
    drop(stmt);
    drop(conn);
    let read = |ws: &Workspace| -> BTreeMap<i64, (String, i64)> {
        let ledger = ws.ledger().unwrap();
        ledger
            .sellers
            .iter()
            .filter_map(|(seller, state)| {
                let stamp = state.last_assigned?;
                Some((seller.0, (stamp.at.to_string(), stamp.order as i64)))
            })
            .collect()
    };
    let ws = Workspace::open(&path).unwrap();
    assert_eq!(read(&ws), expected);
    assert_eq!(expected.len(), 7, "every seller was assigned at least once");
    let ledger = ws.ledger().unwrap();
    drop(ws);

    // Version 9: no indexes of the assigned rows. The upgrade makes them; the same ledger.
    let indexes_like = |path: &Path, like: &str| -> Vec<String> {
        raw(path)
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE ?1 ORDER BY name")
            .unwrap()
            .query_map([like], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(indexes_like(&path, "%:assigned"), ["ix:assignment:assigned", "ix:assignment_history:assigned"]);
    raw(&path)
        .execute_batch(
            r#"DROP INDEX "ix:assignment:assigned"; DROP INDEX "ix:assignment_history:assigned";
             PRAGMA user_version = 9;"#,
        )
        .unwrap();
    let ws = Workspace::open(&path).unwrap();
    assert_eq!(indexes_like(&path, "%:assigned"), ["ix:assignment:assigned", "ix:assignment_history:assigned"]);
    assert_eq!(ws.ledger().unwrap(), ledger);
    drop(ws);

    // Version 10 also indexed every row by seller, which nothing reads: the upgrade to 11
    // drops those two, and the load read is the same.
    let by_seller = |path: &Path| indexes_like(path, "ix:assignment%:seller_id");
    assert!(by_seller(&path).is_empty(), "a current workspace has none");
    raw(&path)
        .execute_batch(
            r#"CREATE INDEX "ix:assignment:seller_id" ON assignment (seller_id);
             CREATE INDEX "ix:assignment_history:seller_id" ON assignment_history (seller_id);
             PRAGMA user_version = 10;"#,
        )
        .unwrap();
    assert_eq!(by_seller(&path).len(), 2);
    let ws = Workspace::open(&path).unwrap();
    assert!(by_seller(&path).is_empty(), "the upgrade dropped them");
    assert_eq!(ws.ledger().unwrap(), ledger);
    assert_eq!(read(&ws), expected);
}

/// What an apply of several record types writes (memberships, assignments with their
/// history, owners), as rows to compare.
fn written(path: &Path) -> Vec<String> {
    let conn = raw(path);
    let queries = [
        "SELECT record_type, record_id, segment_id FROM membership ORDER BY 1, 2",
        "SELECT record_type, record_id, segment_id, rule_id, seller_id, status, reason, at, via FROM assignment
         ORDER BY 1, 2",
        "SELECT id, record_type, record_id, segment_id, rule_id, seller_id, status, reason, at, via
         FROM assignment_history ORDER BY id",
        "SELECT 'lead', id, owner FROM lead UNION ALL SELECT 'contact', id, owner FROM contact ORDER BY 1, 2",
    ];
    let mut rows = Vec::new();
    for sql in queries {
        let mut stmt = conn.prepare(sql).unwrap();
        let columns = stmt.column_count();
        let found = stmt
            .query_map([], |r| {
                (0..columns).map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}"))).collect()
            })
            .unwrap()
            .collect::<Result<Vec<Vec<String>>, _>>()
            .unwrap();
        rows.extend(found.into_iter().map(|row| row.join("|")));
    }
    rows
}

/// An apply of several record types has the first joins' assignments decided on a reader
/// beside its writer: it writes exactly what deciding in the writer writes, for that type
/// (against the load earlier runs left) and for the next, which sees its assignments. A
/// type before them whose segment has no rule decides nothing either way.
#[test]
fn assignments_decided_beside_the_writer_are_those_the_writer_decides() {
    let mut world = World::new();
    let contact_type = RecordTypeName::new("contact");
    let account_type = RecordTypeName::new("account");
    let germany = world.segment("Germany", "Germany");
    let sellers = [world.seller("Ana"), world.seller("Ben"), world.seller("Cy")];
    world.ws.insert_rule(germany, &rule_with("Topic x", text_equals("topic", "x")), now()).unwrap();
    // Earlier runs: Ana and Ben have open records, Ben the latest.
    let earlier: Vec<RecordId> = (0..5).map(|_| world.lead("Germany", "x")).collect();
    world.join(germany, &earlier);
    let mut record_of = |ty: &RecordTypeName, text: &str| {
        let def = world.ws.schema().get(ty).unwrap().clone();
        let mut record = Record::empty(RecordId(0), &def);
        let primary = def.primary_field.as_str().to_owned();
        assert!(record.set(&def, &primary, Value::Text(text.to_owned())));
        world.ws.insert_record(ty, record.values).unwrap()
    };
    let contacts: Vec<RecordId> = (0..7).map(|n| record_of(&contact_type, &format!("Contact {n}"))).collect();
    let accounts: Vec<RecordId> = (0..3).map(|n| record_of(&account_type, &format!("Account {n}"))).collect();
    let leads: Vec<RecordId> = (0..40).map(|n| world.lead("Germany", if n % 3 == 0 { "other" } else { "x" })).collect();
    let everyone = Group::all(segment_builder::domain::condition::NodeId(0));
    let people = active_segment(&mut world.ws, &contact_type, "People", everyone.clone(), now());
    world.ws.insert_rule(people, &any_seller_rule("Everyone"), now()).unwrap();
    let firms = active_segment(&mut world.ws, &account_type, "Firms", everyone, now());
    let all = [
        joins(&account_type, firms, &accounts),
        World::joins(germany, &leads),
        joins(&contact_type, people, &contacts),
    ];
    let dir = world.path.parent().unwrap().to_owned();
    drop(world.ws);
    let (beside, within) = (dir.join("beside.sqlite"), dir.join("within.sqlite"));
    let (elsewhere, lived) = (dir.join("elsewhere.sqlite"), dir.join("lived.sqlite"));
    for copy in [&beside, &within, &elsewhere, &lived] {
        std::fs::copy(&world.path, copy).unwrap();
    }
    let apply = |path: &Path, reader: Option<Workspace>| {
        let mut ws = Workspace::open(path).unwrap();
        let reason = MembershipReason::Reevaluation;
        let done = ws.apply_membership_changes_of_types(&all, reason, now(), &mut |_, _| true, &mut || true, reader);
        assert!(done.unwrap().is_some(), "applied");
    };
    apply(&beside, Some(Workspace::open_reader(&beside).unwrap()));
    apply(&within, None);
    let rows = written(&beside);
    assert_eq!(rows, written(&within));
    // Not vacuous: leads and contacts were decided, and the contacts' rotation goes on from
    // the leads' last seller.
    let ws = Workspace::open_reader(&beside).unwrap();
    let assigned = |ty: &RecordTypeName| ws.assignments(ty, AssignmentFilter::Assigned).unwrap();
    assert_eq!(assigned(&lead_type()).len(), earlier.len() + (0..40).filter(|n| n % 3 != 0).count());
    let first_contact = assigned(&contact_type).into_iter().find(|r| r.record == contacts[0]).unwrap();
    assert_ne!(first_contact.seller, Some(sellers[0]), "the rotation does not start over");
    assert!(ws.assignments(&account_type, AssignmentFilter::All).unwrap().is_empty());
    assert!(assigned(&lead_type()).iter().any(|r| r.seller == Some(sellers[0]) && leads.contains(&r.record)));
    // The decisions written are the reader's: shown by a reader of a copy where Ana takes
    // no records (never done outside this test: the reader reads the writer's file).
    let mut other = Workspace::open(&elsewhere).unwrap();
    let ana = other.sellers().unwrap().into_iter().find(|s| s.id == sellers[0]).unwrap();
    other.update_seller(&segment_builder::domain::Seller { assign_records: false, ..ana }).unwrap();
    drop(other);
    apply(&lived, Some(Workspace::open_reader(&elsewhere).unwrap()));
    let ws = Workspace::open_reader(&lived).unwrap();
    let leads_assigned = ws.assignments(&lead_type(), AssignmentFilter::Assigned).unwrap();
    let new_leads: Vec<_> = leads_assigned.iter().filter(|r| leads.contains(&r.record)).collect();
    assert_eq!(new_leads.len(), (0..40).filter(|n| n % 3 != 0).count());
    assert!(new_leads.iter().all(|r| r.seller != Some(sellers[0])), "decided by the reader, without Ana");
}
