//! Sellers, teams and attribute definitions in the store (issue 6, "Sellers and teams"):
//! edits, bulk changes and deletes, each checked, each one savepoint.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use std::collections::BTreeMap;

use jiff::Timestamp;
use segment_builder::domain::assignment::{AssignmentRule, AttributeCondition, AttributeValue, Target};
use segment_builder::domain::condition::{Group, NodeId};
use segment_builder::domain::{
    AttributeDefinition, Record, RecordId, RecordTypeName, Segment, SegmentId, Seller, SellerBulkChange, SellerId,
    Status, Team, TeamId, TimeOff, Value, WorkPeriod,
};
use segment_builder::store::{AssignmentFilter, StoreError, Workspace};

mod common;
use common::routing::any_seller_rule;

fn now() -> Timestamp {
    "2026-03-10T12:00:00Z".parse().unwrap()
}

fn lead() -> RecordTypeName {
    RecordTypeName::new("lead")
}

fn seller(name: &str) -> Seller {
    Seller {
        id: SellerId(0),
        name: name.to_owned(),
        email: format!("{}@example.com", name.to_lowercase()),
        time_zone: "Europe/Berlin".into(),
        attributes: BTreeMap::new(),
        capacity: None,
        work_hours: Vec::new(),
        time_off: Vec::new(),
        assign_records: true,
    }
}

fn definition(name: &str, values: &[&str]) -> AttributeDefinition {
    AttributeDefinition { name: name.into(), values: values.iter().map(|v| (*v).to_owned()).collect() }
}

fn values(list: &[&str]) -> Vec<String> {
    list.iter().map(|v| (*v).to_owned()).collect()
}

fn invalid_message<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
    match result {
        Err(StoreError::Invalid(message)) => message,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// A workspace with Language (German, English, French) and Region (DACH, Nordics), and
/// sellers Ana, Bo and Cy.
fn world() -> (Workspace, [SellerId; 3]) {
    let mut ws = Workspace::in_memory().unwrap();
    ws.insert_attribute_definition(&definition("Language", &["German", "English", "French"])).unwrap();
    ws.insert_attribute_definition(&definition("Region", &["DACH", "Nordics"])).unwrap();
    let ids = ["Ana", "Bo", "Cy"].map(|name| ws.add_seller(&seller(name)).unwrap());
    (ws, ids)
}

fn stored(ws: &Workspace, id: SellerId) -> Seller {
    ws.sellers().unwrap().into_iter().find(|s| s.id == id).expect("seller stored")
}

fn segment(ws: &mut Workspace, name: &str) -> SegmentId {
    let segment = Segment {
        id: SegmentId(0),
        record_type: lead(),
        name: name.to_owned(),
        description: String::new(),
        status: Status::Draft,
        priority: 0,
        conditions: Group::all(NodeId(0)),
        accept_from_other_segments: false,
        rerun_assignment_on_move: false,
        sequence: None,
        created_on: now(),
        modified_on: now(),
    };
    ws.insert_segment(&segment).unwrap()
}

fn rule(name: &str, target: Target) -> AssignmentRule {
    AssignmentRule { target, ..any_seller_rule(name) }
}

#[test]
fn a_seller_is_updated_in_every_part() {
    let (mut ws, [ana, bo, _]) = world();
    let mut edited = stored(&ws, ana);
    edited.name = "Ana Lima".into();
    edited.email = "ana.lima@example.org".into();
    edited.time_zone = "America/Sao_Paulo".into();
    edited.capacity = Some(0);
    edited.assign_records = false;
    edited.attributes.insert("Language".into(), values(&["English", "German"]));
    edited.work_hours = vec![
        WorkPeriod { weekday: 1, start_minute: 9 * 60, end_minute: 12 * 60 },
        WorkPeriod { weekday: 1, start_minute: 12 * 60, end_minute: 17 * 60 },
        WorkPeriod { weekday: 7, start_minute: 0, end_minute: 1440 },
    ];
    edited.time_off = vec![TimeOff {
        start: "2026-08-01T00:00:00".parse().unwrap(),
        end: "2026-08-15T12:30:00".parse().unwrap(),
        reason: "Holiday".into(),
    }];
    ws.update_seller(&edited).unwrap();
    assert_eq!(stored(&ws, ana), edited);
    assert_eq!(stored(&ws, bo), Seller { id: bo, ..seller("Bo") }, "others are untouched");

    // Less of everything: the old attributes, hours and time off go.
    let mut fewer = edited.clone();
    fewer.attributes.clear();
    fewer.work_hours.truncate(1);
    fewer.time_off.clear();
    fewer.capacity = None;
    ws.update_seller(&fewer).unwrap();
    assert_eq!(stored(&ws, ana), fewer);

    assert!(invalid_message(ws.update_seller(&Seller { id: SellerId(99), ..seller("Nobody") })).contains("99"));
}

#[test]
fn bad_sellers_are_refused_with_what_and_where_and_nothing_changes() {
    let (mut ws, [ana, ..]) = world();
    let before = ws.sellers().unwrap();
    let period = |weekday, start_minute, end_minute| WorkPeriod { weekday, start_minute, end_minute };
    let check = |change: &dyn Fn(&mut Seller), expected: &[&str]| {
        let mut s = Seller { id: ana, ..seller("Ana") };
        change(&mut s);
        (s, expected.iter().map(|e| (*e).to_owned()).collect::<Vec<_>>())
    };
    let cases = vec![
        check(&|s| s.name = "  ".into(), &["name is required"]),
        check(&|s| s.email = String::new(), &["Ana", "email is required"]),
        check(&|s| s.email = "ana@".into(), &["Ana", "\"ana@\"", "name@example.com"]),
        check(&|s| s.email = "ana example.com".into(), &["\"ana example.com\""]),
        check(&|s| s.email = "ana@example".into(), &["\"ana@example\""]),
        check(&|s| s.email = "a@b@example.com".into(), &["a@b@example.com"]),
        check(&|s| s.time_zone = "Mars/Olympus".into(), &["Mars/Olympus", "IANA"]),
        check(&|s| s.work_hours = vec![period(8, 0, 60)], &["weekday 8"]),
        check(&|s| s.work_hours = vec![period(2, 600, 540)], &["Tuesday", "10:00–09:00", "start before end"]),
        check(&|s| s.work_hours = vec![period(2, 600, 1441)], &["Tuesday", "end at most 24:00"]),
        check(
            &|s| s.work_hours = vec![period(3, 13 * 60, 17 * 60), period(3, 9 * 60, 14 * 60)],
            &["Wednesday", "09:00–14:00", "13:00–17:00", "overlap"],
        ),
        check(
            &|s| {
                s.time_off = vec![TimeOff {
                    start: "2026-08-02T00:00:00".parse().unwrap(),
                    end: "2026-08-02T00:00:00".parse().unwrap(),
                    reason: "Dentist".into(),
                }];
            },
            &["Dentist", "not before the end"],
        ),
        check(
            &|s| {
                s.attributes.insert("Skill".into(), values(&["Rust"]));
            },
            &["Ana", "no seller attribute \"Skill\""],
        ),
        check(
            &|s| {
                s.attributes.insert("Language".into(), values(&["Klingon"]));
            },
            &["\"Klingon\" is not a value of Language", "German, English, French"],
        ),
        check(
            &|s| {
                s.attributes.insert("Language".into(), values(&["German", "German"]));
            },
            &["German", "twice"],
        ),
    ];
    for (bad, expected) in cases {
        let update = invalid_message(ws.update_seller(&bad));
        let add = invalid_message(ws.add_seller(&bad));
        for message in [update, add] {
            for part in &expected {
                assert!(message.contains(part.as_str()), "{message:?} should say {part:?}");
            }
        }
    }
    assert_eq!(ws.sellers().unwrap(), before, "nothing was stored");

    // Touching periods and a zero capacity are fine.
    let mut fine = Seller { id: ana, ..seller("Ana") };
    fine.work_hours = vec![period(3, 9 * 60, 12 * 60), period(3, 12 * 60, 17 * 60)];
    fine.capacity = Some(0);
    ws.update_seller(&fine).unwrap();
}

#[test]
fn several_sellers_change_at_once_or_not_at_all() {
    let (mut ws, [ana, bo, cy]) = world();
    let mut with_french = stored(&ws, bo);
    with_french.attributes.insert("Language".into(), values(&["French"]));
    ws.update_seller(&with_french).unwrap();

    let change = SellerBulkChange {
        add_values: BTreeMap::from([("Language".into(), values(&["German", "English"]))]),
        remove_values: BTreeMap::from([("Language".into(), values(&["French"]))]),
        capacity: Some(Some(12)),
        assign_records: Some(false),
    };
    assert_eq!(ws.update_sellers(&[ana, bo], &change).unwrap(), 2);
    for id in [ana, bo] {
        let s = stored(&ws, id);
        assert_eq!(s.attributes.get("Language"), Some(&values(&["German", "English"])), "definition order");
        assert_eq!(s.capacity, Some(12));
        assert!(!s.assign_records);
    }
    assert_eq!(stored(&ws, cy), Seller { id: cy, ..seller("Cy") });

    // Unlimited, and removing the last value drops the attribute.
    let change = SellerBulkChange {
        remove_values: BTreeMap::from([("Language".into(), values(&["German", "English"]))]),
        capacity: Some(None),
        ..SellerBulkChange::default()
    };
    ws.update_sellers(&[ana], &change).unwrap();
    let s = stored(&ws, ana);
    assert!(s.attributes.is_empty());
    assert_eq!(s.capacity, None);
    assert!(!s.assign_records, "left as it was");

    let before = ws.sellers().unwrap();
    let undefined = SellerBulkChange {
        add_values: BTreeMap::from([("Region".into(), values(&["Mars"]))]),
        ..SellerBulkChange::default()
    };
    assert!(invalid_message(ws.update_sellers(&[ana, bo], &undefined)).contains("\"Mars\" is not a value of Region"));
    let fine = SellerBulkChange { capacity: Some(Some(3)), ..SellerBulkChange::default() };
    assert!(invalid_message(ws.update_sellers(&[ana, SellerId(77)], &fine)).contains("77"));
    assert_eq!(ws.sellers().unwrap(), before, "all or nothing");
}

#[test]
fn deleting_a_seller_says_what_it_touches_and_keeps_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = Workspace::create(&dir.path().join("ws.sqlite")).unwrap();
    let ana = ws.add_seller(&seller("Ana")).unwrap();
    let bo = ws.add_seller(&seller("Bo")).unwrap();
    let team = ws.insert_team(&Team { id: TeamId(0), name: "Inside".into(), members: vec![ana, bo] }).unwrap();
    let def = ws.schema().get(&lead()).unwrap().clone();
    let mut records = Vec::new();
    for _ in 0..3 {
        let mut record = Record::empty(RecordId(0), &def);
        assert!(record.set(&def, "owner", Value::Owner(ana)));
        records.push(ws.insert_record(&lead(), record.values).unwrap());
    }
    let segment_id = segment(&mut ws, "Germany");
    ws.assign_manually(&lead(), records[0], ana, now()).unwrap();

    let usage = ws.seller_usage(ana).unwrap();
    assert_eq!(usage.owned_records, 3);
    assert_eq!(usage.teams, vec!["Inside".to_owned()]);
    assert!(usage.rules.is_empty());

    // A rule naming the seller blocks the delete, and says which.
    let named = ws.insert_rule(segment_id, &rule("To Ana", Target::Sellers(vec![ana, bo])), now()).unwrap();
    assert_eq!(ws.seller_usage(ana).unwrap().rules, vec!["Germany › To Ana".to_owned()]);
    let message = invalid_message(ws.delete_seller(ana));
    assert!(message.contains("Germany › To Ana") && message.contains("Ana"), "{message}");
    assert_eq!(ws.sellers().unwrap().len(), 2);
    ws.delete_rule(named, now()).unwrap();

    ws.delete_seller(ana).unwrap();
    assert_eq!(ws.sellers().unwrap().iter().map(|s| s.id).collect::<Vec<_>>(), vec![bo]);
    assert_eq!(ws.teams().unwrap()[0], Team { id: team, name: "Inside".into(), members: vec![bo] });
    for id in &records {
        let record = ws.record(&lead(), *id).unwrap().unwrap();
        assert_eq!(record.get(&def, "owner"), &Value::Empty, "the owner field refers to sellers");
    }
    let history = ws.assignments(&lead(), AssignmentFilter::All).unwrap();
    assert!(history.iter().any(|row| row.seller == Some(ana)), "assignment rows keep the id: {history:?}");
    assert!(invalid_message(ws.delete_seller(ana)).contains(&ana.0.to_string()));
}

#[test]
fn attribute_definitions_are_renamed_changed_and_deleted_with_the_sellers_values() {
    let (mut ws, [ana, bo, _]) = world();
    let mut a = stored(&ws, ana);
    a.attributes.insert("Language".into(), values(&["German", "French"]));
    a.attributes.insert("Region".into(), values(&["DACH"]));
    ws.update_seller(&a).unwrap();

    // Rename and take out French: Ana's values follow the name and lose French.
    ws.update_attribute_definition("Language", &definition("Languages", &["German", "English", "Dutch"])).unwrap();
    assert_eq!(
        ws.attribute_definitions().unwrap(),
        vec![definition("Languages", &["German", "English", "Dutch"]), definition("Region", &["DACH", "Nordics"])]
    );
    let a = stored(&ws, ana);
    assert_eq!(a.attributes.get("Languages"), Some(&values(&["German"])));
    assert_eq!(a.attributes.get("Language"), None);

    let before = (ws.attribute_definitions().unwrap(), ws.sellers().unwrap());
    assert!(
        invalid_message(ws.update_attribute_definition("Languages", &definition("region", &[]))).contains("already")
    );
    assert!(invalid_message(ws.update_attribute_definition("Languages", &definition(" ", &[]))).contains("name"));
    assert!(
        invalid_message(ws.update_attribute_definition("Languages", &definition("L", &["A", "A"]))).contains("twice")
    );
    assert!(invalid_message(ws.update_attribute_definition("Skill", &definition("Skill", &[]))).contains("Skill"));
    assert!(invalid_message(ws.insert_attribute_definition(&definition("REGION", &[]))).contains("already"));

    // A rule matching on Region: no rename, no taking out DACH; other edits are fine.
    let segment_id = segment(&mut ws, "Germany");
    let dach = Target::SellersMatching(vec![AttributeCondition {
        attribute: "region".into(),
        values: AttributeValue::Fixed(values(&["DACH"])),
    }]);
    ws.insert_rule(segment_id, &rule("DACH team", dach), now()).unwrap();
    let message = invalid_message(ws.update_attribute_definition("Region", &definition("Area", &["DACH", "Nordics"])));
    assert!(message.contains("Germany › DACH team") && message.contains("renaming"), "{message}");
    let message = invalid_message(ws.update_attribute_definition("Region", &definition("Region", &["Nordics"])));
    assert!(message.contains("DACH team"), "{message}");
    assert!(invalid_message(ws.delete_attribute_definition("Region")).contains("DACH team"));
    assert_eq!((ws.attribute_definitions().unwrap(), ws.sellers().unwrap()), before, "nothing changed");
    ws.update_attribute_definition("Region", &definition("Region", &["DACH", "Nordics", "Benelux"])).unwrap();

    // Deleting takes the values from every seller.
    let mut b = stored(&ws, bo);
    b.attributes.insert("Languages".into(), values(&["Dutch"]));
    ws.update_seller(&b).unwrap();
    ws.delete_attribute_definition("Languages").unwrap();
    assert_eq!(ws.attribute_definitions().unwrap().len(), 1);
    assert!(ws.sellers().unwrap().iter().all(|s| !s.attributes.contains_key("Languages")));
    assert_eq!(stored(&ws, ana).attributes.get("Region"), Some(&values(&["DACH"])));
    assert!(invalid_message(ws.delete_attribute_definition("Languages")).contains("Languages"));
}

#[test]
fn teams_are_renamed_given_members_and_deleted() {
    let (mut ws, [ana, bo, cy]) = world();
    let inside = ws.insert_team(&Team { id: TeamId(0), name: "Inside".into(), members: vec![ana] }).unwrap();
    let field = ws.insert_team(&Team { id: TeamId(0), name: "Field".into(), members: vec![] }).unwrap();

    let edited = Team { id: inside, name: "Inside sales".into(), members: vec![cy, bo] };
    ws.update_team(&edited).unwrap();
    assert_eq!(ws.teams().unwrap()[0], edited);

    let before = ws.teams().unwrap();
    let bad = |name: &str, members: Vec<SellerId>| Team { id: inside, name: name.into(), members };
    assert!(invalid_message(ws.update_team(&bad("field", vec![]))).contains("already"));
    assert!(invalid_message(ws.update_team(&bad("", vec![]))).contains("name is required"));
    assert!(invalid_message(ws.update_team(&bad("X", vec![ana, ana]))).contains("twice"));
    assert!(invalid_message(ws.update_team(&bad("X", vec![SellerId(55)]))).contains("55"));
    assert!(invalid_message(ws.update_team(&Team { id: TeamId(9), ..bad("X", vec![]) })).contains('9'));
    assert!(
        invalid_message(ws.insert_team(&Team { id: TeamId(0), name: "INSIDE SALES".into(), members: vec![] }))
            .contains("already")
    );
    assert_eq!(ws.teams().unwrap(), before);
    // Keeping its own name is fine.
    ws.update_team(&Team { id: inside, name: "Inside sales".into(), members: vec![] }).unwrap();

    let segment_id = segment(&mut ws, "Germany");
    let to_field = ws.insert_rule(segment_id, &rule("Field work", Target::Team(field)), now()).unwrap();
    assert!(invalid_message(ws.delete_team(field)).contains("Germany › Field work"));
    ws.delete_rule(to_field, now()).unwrap();
    ws.delete_team(field).unwrap();
    ws.delete_team(inside).unwrap();
    assert!(ws.teams().unwrap().is_empty());
    assert_eq!(ws.sellers().unwrap().len(), 3, "sellers stay");
    assert!(invalid_message(ws.delete_team(inside)).contains(&inside.0.to_string()));
}
