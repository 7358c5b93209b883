//! Which records assignment may place, from the sellers' side ([`Placeable`]): it admits
//! every record a decision places, exactly the records some seller could take under a
//! single rule, and the engine finds exactly the members it admits
//! ([`placeable_members`]), which is what lets the retry of stranded members after an
//! apply skip the rest without reading them.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use jiff::tz::TimeZone;
use proptest::prelude::*;
use segment_builder::domain::assignment::{
    Assigner, AssignmentRule, AttributeCondition, AttributeValue, DefaultRoute, Distribution, Placeable, Routing,
    RuleId, SellerLedger, SellerState, Target,
};
use segment_builder::domain::{
    EvalContext, FieldName, Group, MemoryDataset, NodeId, Record, RecordId, RecordTypeName, Schema, SegmentId, Seller,
    SellerId, Team, TeamId, Value,
};
use segment_builder::engine::placeable::placeable_members;
use segment_builder::engine::{MemberColumn, Snapshot};
use segment_builder::store::{Narrowing, Workspace};

mod common;
use common::routing::{active_segment, any_seller_rule, join, text_equals};

fn ctx() -> EvalContext {
    let now: Timestamp = "2026-03-31T10:00:00Z".parse().unwrap();
    EvalContext::new(now, TimeZone::get("Europe/Berlin").unwrap())
}

fn lead_type() -> RecordTypeName {
    RecordTypeName::new("lead")
}

/// The languages and product lines of sellers and records, in several cases: deciding
/// compares them caseless.
const LANGUAGES: &[&str] = &["German", "french", "ENGLISH", "Dutch", ""];
const PRODUCTS: &[&str] = &["Analytics", "Security", "Hardware", ""];

fn seller(id: i64, capacity: Option<u32>, on: bool, languages: Vec<&str>, products: Vec<&str>) -> Seller {
    let mut attributes = BTreeMap::new();
    for (name, values) in [("Language", languages), ("Product line", products)] {
        let values: Vec<String> = values.iter().filter(|v| !v.is_empty()).map(|v| (*v).to_uppercase()).collect();
        if !values.is_empty() {
            attributes.insert(name.to_owned(), values);
        }
    }
    Seller {
        id: SellerId(id),
        name: format!("Seller {id}"),
        email: format!("s{id}@example.com"),
        time_zone: "Europe/Berlin".into(),
        attributes,
        capacity,
        work_hours: Vec::new(),
        time_off: Vec::new(),
        assign_records: on,
    }
}

fn arb_seller(id: i64) -> impl Strategy<Value = Seller> {
    (
        proptest::option::of(0u32..3),
        prop::bool::weighted(0.8),
        prop::sample::subsequence(LANGUAGES.to_vec(), 0..=2),
        prop::sample::subsequence(PRODUCTS.to_vec(), 0..=2),
    )
        .prop_map(move |(capacity, on, languages, products)| seller(id, capacity, on, languages, products))
}

fn from_record(attribute: &str, field: &str) -> AttributeCondition {
    AttributeCondition { attribute: attribute.into(), values: AttributeValue::FromRecord(FieldName::new(field)) }
}

fn arb_target() -> impl Strategy<Value = Target> {
    prop_oneof![
        Just(Target::AnySeller),
        Just(Target::SellersMatching(vec![from_record("Language", "language")])),
        // A choice field.
        Just(Target::SellersMatching(vec![from_record("Product line", "product_interest")])),
        Just(Target::SellersMatching(vec![
            from_record("Language", "language"),
            from_record("Product line", "product_interest"),
        ])),
        Just(Target::SellersMatching(vec![
            AttributeCondition {
                attribute: "Language".into(),
                values: AttributeValue::Fixed(vec!["english".into(), "Dutch".into()]),
            },
            from_record("Product line", "product_interest"),
        ])),
        // No record holds a number as an attribute value.
        Just(Target::SellersMatching(vec![from_record("Language", "employee_count")])),
        Just(Target::Team(TeamId(1))),
    ]
}

fn arb_rule(id: i64) -> impl Strategy<Value = AssignmentRule> {
    (arb_target(), prop::bool::weighted(0.8), any::<bool>()).prop_map(move |(target, active, honour_capacity)| {
        AssignmentRule {
            id: RuleId(id),
            name: format!("Rule {id}"),
            active,
            conditions: Group::all(NodeId(0)),
            created_within_hours: None,
            target,
            distribution: Distribution::RoundRobin,
            honour_capacity,
            available_within_hours: None,
        }
    })
}

/// "A seller speaking the lead's language", capacity honoured.
fn speaks_the_leads_language() -> AssignmentRule {
    AssignmentRule {
        id: RuleId(1),
        name: "Speaks the lead's language".into(),
        active: true,
        conditions: Group::all(NodeId(0)),
        created_within_hours: None,
        target: Target::SellersMatching(vec![from_record("Language", "language")]),
        distribution: Distribution::RoundRobin,
        honour_capacity: true,
        available_within_hours: None,
    }
}

/// A lead in `country` with `topic` and, if given, `language`, stored in `ws`.
fn stored_lead(ws: &mut Workspace, country: &str, topic: &str, language: Option<&str>) -> RecordId {
    let def = ws.schema().get(&lead_type()).unwrap().clone();
    let mut record = Record::empty(RecordId(0), &def);
    assert!(record.set(&def, "country", Value::Text(country.into())));
    assert!(record.set(&def, "topic", Value::Text(topic.into())));
    if let Some(language) = language {
        assert!(record.set(&def, "language", Value::Text(language.into())));
    }
    ws.insert_record(&lead_type(), record.values).unwrap()
}

fn lead(id: i64, language: &str, product: &str, employees: Option<i64>) -> Record {
    let schema = Schema::built_in();
    let def = schema.get(&lead_type()).unwrap();
    let mut record = Record::empty(RecordId(id), def);
    if !language.is_empty() {
        assert!(record.set(def, "language", Value::Text(language.to_owned())));
    }
    if !product.is_empty() {
        assert!(record.set(def, "product_interest", Value::Choice(product.to_owned())));
    }
    if let Some(n) = employees {
        assert!(record.set(def, "employee_count", Value::WholeNumber(n)));
    }
    record
}

/// Sellers, rules, the load, routing, and leads with the segment each is in (if any).
#[derive(Debug)]
struct World {
    sellers: Vec<Seller>,
    rules: Vec<AssignmentRule>,
    open: Vec<u32>,
    routing: Routing,
    leads: Vec<(Record, Option<SegmentId>)>,
}

fn arb_world() -> impl Strategy<Value = World> {
    (1i64..6).prop_flat_map(|n| {
        (
            (1..=n).map(arb_seller).collect::<Vec<_>>(),
            prop::collection::vec(arb_rule(1), 1..=1).prop_flat_map(|first| {
                (Just(first), proptest::option::of(arb_rule(2))).prop_map(|(mut rules, second)| {
                    rules.extend(second);
                    rules
                })
            }),
            prop::collection::vec(0u32..3, n as usize),
            (
                any::<bool>(),
                prop_oneof![
                    Just(DefaultRoute::LeaveUnassigned),
                    Just(DefaultRoute::Seller(SellerId(2))),
                    Just(DefaultRoute::Team(TeamId(1))),
                ],
            )
                .prop_map(|(try_next_rule, default)| Routing { try_next_rule, default }),
            prop::collection::vec(
                (
                    prop::sample::select(LANGUAGES.to_vec()),
                    prop::sample::select(PRODUCTS.to_vec()),
                    proptest::option::of(0i64..3),
                    prop_oneof![Just(None), Just(Some(SegmentId(1))), Just(Some(SegmentId(2)))],
                ),
                0..30,
            ),
        )
            .prop_map(|(sellers, rules, open, routing, leads)| World {
                sellers,
                rules,
                open,
                routing,
                leads: leads
                    .into_iter()
                    .enumerate()
                    .map(|(i, (language, product, employees, segment))| {
                        (lead(i as i64 + 1, language, product, employees), segment)
                    })
                    .collect(),
            })
    })
}

impl World {
    fn ledger(&self) -> SellerLedger {
        let sellers: HashMap<SellerId, SellerState> = self
            .open
            .iter()
            .enumerate()
            .map(|(i, open)| (SellerId(i as i64 + 1), SellerState { open: *open, last_assigned: None }))
            .collect();
        SellerLedger { sellers, next_order: 0 }
    }
}

/// The one team: sellers 1 and 3.
fn teams() -> Vec<Team> {
    vec![Team { id: TeamId(1), name: "Team".into(), members: vec![SellerId(1), SellerId(3)] }]
}

/// Whether `s` holds one of `values` (caseless) of `attribute`.
fn holds(s: &Seller, attribute: &str, value: &str) -> bool {
    s.attributes.get(attribute).is_some_and(|held| held.iter().any(|h| h.to_lowercase() == value.to_lowercase()))
}

/// Whether seller `s` could take `record` under `rule` at `ledger`: the rule's filters,
/// its conditions (every record) aside.
fn takes(rule: &AssignmentRule, s: &Seller, record: &Record, ledger: &SellerLedger) -> bool {
    let schema = Schema::built_in();
    let def = schema.get(&lead_type()).unwrap();
    let text_of = |field: &FieldName| match def.field_index(field).and_then(|i| record.values.get(i)) {
        Some(Value::Text(t) | Value::Choice(t)) => Some(t.clone()),
        _ => None,
    };
    let in_target = match &rule.target {
        Target::AnySeller => true,
        Target::SellersMatching(conditions) => conditions.iter().all(|c| match &c.values {
            AttributeValue::Fixed(values) => values.iter().any(|v| holds(s, &c.attribute, v)),
            AttributeValue::FromRecord(field) => text_of(field).is_some_and(|t| holds(s, &c.attribute, &t)),
        }),
        Target::Sellers(ids) => ids.contains(&s.id),
        Target::Team(team) => teams().iter().any(|t| t.id == *team && t.members.contains(&s.id)),
    };
    in_target && s.assign_records && (!rule.honour_capacity || s.capacity.is_none_or(|c| ledger.state(s.id).open < c))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Every record a decision places is admitted; under one rule without a default
    /// route, a record is admitted exactly when some seller could take it.
    #[test]
    fn placeable_admits_every_record_placed(w in arb_world()) {
        let schema = Schema::built_in();
        let def = schema.get(&lead_type()).unwrap();
        let ds = MemoryDataset::new(schema.clone());
        let ctx = ctx();
        let (ledger, teams) = (w.ledger(), teams());
        let assigner = Assigner::new(&ds, &ctx, def, &w.rules, &w.sellers, &teams).with_routing(w.routing);
        let placeable = assigner.placeable(&ledger);
        for (record, _) in &w.leads {
            if assigner.assign(record, None, &ledger).seller().is_some() {
                prop_assert!(placeable.admits(def, record), "{placeable:?} leaves out {record:?}, which is placed");
            }
        }
        let first = &w.rules[..1];
        let alone = Assigner::new(&ds, &ctx, def, first, &w.sellers, &teams).placeable(&ledger);
        for (record, _) in &w.leads {
            let could = first[0].active && w.sellers.iter().any(|s| takes(&first[0], s, record, &ledger));
            prop_assert_eq!(alone.admits(def, record), could, "{:?} for {:?}", alone, record);
        }
        prop_assert_eq!(assigner.may_place_any(&ledger), placeable != Placeable::Nobody);
    }

    /// The engine finds, among a segment's members, exactly those the placeable admits
    /// (or says it cannot, and then the placeable admits any record or asks for an empty
    /// value).
    #[test]
    fn the_engine_finds_the_members_admitted(w in arb_world()) {
        let schema = Schema::built_in();
        let def = schema.get(&lead_type()).unwrap();
        let ds = MemoryDataset::new(schema.clone());
        let ctx = ctx();
        let (ledger, teams) = (w.ledger(), teams());
        let placeable = Assigner::new(&ds, &ctx, def, &w.rules, &w.sellers, &teams)
            .with_routing(w.routing)
            .placeable(&ledger);
        let records: Vec<Record> = w.leads.iter().map(|(r, _)| r.clone()).collect();
        let ty = lead_type();
        let no_teams: Vec<(TeamId, Vec<SellerId>)> = Vec::new();
        let snapshot = Snapshot::build(&schema, ctx.time_zone.clone(), [(&ty, records.iter())], no_teams);
        let pairs: Vec<(RecordId, SegmentId)> =
            w.leads.iter().filter_map(|(r, segment)| Some((r.id, (*segment)?))).collect();
        let members = MemberColumn::load(&snapshot, &lead_type(), &pairs);
        for segment in [SegmentId(1), SegmentId(2), SegmentId(3)] {
            let found = placeable_members(&snapshot, &lead_type(), &members, segment, &placeable, &ctx);
            let admitted: Vec<RecordId> = w
                .leads
                .iter()
                .filter(|(r, s)| *s == Some(segment) && placeable.admits(def, r))
                .map(|(r, _)| r.id)
                .collect();
            match found {
                Some(found) => prop_assert_eq!(found, admitted),
                None => prop_assert!(match &placeable {
                    Placeable::Anyone => true,
                    Placeable::Only(ways) => ways.iter().flatten().any(|(_, values)| values.iter().any(String::is_empty)),
                    Placeable::Nobody => false,
                }, "{:?}", placeable),
            }
        }
    }
}

/// The sellers' values are folded, sorted and deduplicated; a switched-off seller, a
/// seller without room and one outside a fixed condition give none.
#[test]
fn placeable_names_the_values_of_the_sellers_who_could_take_a_record() {
    let schema = Schema::built_in();
    let def = schema.get(&lead_type()).unwrap();
    let ds = MemoryDataset::new(schema.clone());
    let ctx = ctx();
    let sellers = vec![
        seller(1, None, true, vec!["German", "english"], vec![]),
        seller(2, None, true, vec!["ENGLISH", "Dutch"], vec![]),
        seller(3, None, false, vec!["French"], vec![]),
        seller(4, Some(1), true, vec!["Polish"], vec![]),
    ];
    let rule = speaks_the_leads_language();
    let full = SellerLedger {
        sellers: HashMap::from([(SellerId(4), SellerState { open: 1, last_assigned: None })]),
        next_order: 0,
    };
    let rules = [rule];
    let assigner = Assigner::new(&ds, &ctx, def, &rules, &sellers, &[]);
    let wanted = vec![vec![(FieldName::new("language"), vec!["dutch".to_owned(), "english".into(), "german".into()])]];
    assert_eq!(assigner.placeable(&full), Placeable::Only(wanted));
    assert!(assigner.placeable(&full).admits(def, &lead(1, "GERMAN", "", None)));
    assert!(!assigner.placeable(&full).admits(def, &lead(2, "Polish", "", None)));
    assert!(assigner.placeable(&SellerLedger::default()).admits(def, &lead(2, "Polish", "", None)));
}

/// An apply retries the stranded members of a segment whose rule asks for a seller
/// speaking the lead's language, narrowed in its engine to the leads a seller with room
/// speaks the language of: it places exactly those (their language in any case), both
/// when no membership changes and after changes were written.
#[test]
fn an_apply_places_the_stranded_members_a_seller_with_room_speaks_the_language_of() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("languages.sqlite");
    let mut ws = Workspace::create(&path).unwrap();
    let t0: Timestamp = "2026-03-10T12:00:00Z".parse().unwrap();
    // As `seller` gives them: in capitals.
    let languages = ["GERMAN", "FRENCH", "DUTCH", "POLISH"];
    let definition = segment_builder::domain::AttributeDefinition {
        name: "Language".into(),
        values: languages.iter().map(|l| (*l).to_owned()).collect(),
    };
    ws.insert_attribute_definition(&definition).unwrap();
    let ana = ws.insert_seller(&seller(1, Some(1), true, vec!["German"], vec![])).unwrap();
    let ben = ws.insert_seller(&seller(2, Some(0), true, vec!["French"], vec![])).unwrap();
    let germany = active_segment(&mut ws, &lead_type(), "Germany", text_equals("country", "Germany"), t0);
    let rule = speaks_the_leads_language();
    ws.insert_rule(germany, &rule, t0).unwrap();
    let def = ws.schema().get(&lead_type()).unwrap().clone();
    let new_lead = |ws: &mut Workspace, language: &str| stored_lead(ws, "Germany", "lead", Some(language));
    let leads: Vec<RecordId> = ["German", "gERMAN", "FRENCH", "Dutch"].iter().map(|l| new_lead(&mut ws, l)).collect();
    join(&mut ws, &lead_type(), germany, &leads, t0);
    let owner = |ws: &Workspace, id: RecordId| ws.record(&lead_type(), id).unwrap().unwrap().get(&def, "owner").clone();
    assert_eq!(owner(&ws, leads[0]), Value::Owner(ana));
    assert!(leads[1..].iter().all(|l| owner(&ws, *l) == Value::Empty), "Ana and Ben are full");
    let set_capacity = |ws: &mut Workspace, id: SellerId, capacity: u32| {
        let mut stored = ws.sellers().unwrap().into_iter().find(|s| s.id == id).unwrap();
        stored.capacity = Some(capacity);
        ws.update_seller(&stored).unwrap();
    };

    // Ben gets room: nothing changes membership, and the retry places the French lead.
    set_capacity(&mut ws, ben, 1);
    drop(ws);
    let t1 = t0 + jiff::SignedDuration::from_hours(1);
    let report = segment_builder::cli::apply_command(&path, t1, false).unwrap();
    assert_eq!(report.record_types[0].joined, 0);
    assert_eq!(report.record_types[0].retried, 1);
    let mut ws = Workspace::open(&path).unwrap();
    assert_eq!(owner(&ws, leads[2]), Value::Owner(ben));

    // Ana gets room, and a Polish lead nobody speaks joins in the apply: the retry after
    // the changes places the second German lead, and neither the Dutch nor the Polish one.
    set_capacity(&mut ws, ana, 2);
    let polish = new_lead(&mut ws, "Polish");
    drop(ws);
    let report = segment_builder::cli::apply_command(&path, t1, false).unwrap();
    assert_eq!(report.record_types[0].joined, 1);
    assert_eq!(report.record_types[0].retried, 1);
    let ws = Workspace::open(&path).unwrap();
    assert_eq!(owner(&ws, leads[1]), Value::Owner(ana));
    assert_eq!((owner(&ws, leads[3]), owner(&ws, polish)), (Value::Empty, Value::Empty));
}

/// The store's retry reads and decides only the members a narrowing names: through the
/// scans when some segment is not narrowed, one by one when every one is; and it asks no
/// narrowing once another program committed since what answers it was read.
#[test]
fn a_narrowed_retry_decides_only_the_members_named_unless_another_program_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("narrowed.sqlite");
    let mut ws = Workspace::create(&path).unwrap();
    let t0: Timestamp = "2026-03-10T12:00:00Z".parse().unwrap();
    let ana = ws.insert_seller(&seller(1, None, true, vec![], vec![])).unwrap();
    let def = ws.schema().get(&lead_type()).unwrap().clone();
    let mut members = BTreeMap::new();
    for country in ["Germany", "France"] {
        let segment = active_segment(&mut ws, &lead_type(), country, text_equals("country", country), t0);
        let leads: Vec<RecordId> = (0..3).map(|i| stored_lead(&mut ws, country, &format!("{i}"), None)).collect();
        // Joined before any rule: stranded, without an assignment row.
        join(&mut ws, &lead_type(), segment, &leads, t0);
        members.insert(country, (segment, leads));
    }
    for (segment, _) in members.values() {
        ws.insert_rule(*segment, &any_seller_rule("Anyone"), t0).unwrap();
    }
    let (germany, de) = members["Germany"].clone();
    let (france, fr) = members["France"].clone();
    let retry = |ws: &mut Workspace, named: &dyn Fn(SegmentId) -> Option<Vec<RecordId>>, seen: i64| {
        let members = |segment, placeable: &Placeable| {
            assert_eq!(*placeable, Placeable::Anyone);
            named(segment)
        };
        let narrowing = Narrowing { members: &members, seen };
        ws.retry_stranded_when(&lead_type(), t0, i64::MAX, &mut || true, Some(narrowing)).unwrap().unwrap()
    };

    // France is not narrowed: both are read by the scans, Germany's members kept to one.
    let seen = ws.commits_seen().unwrap();
    let named = |segment| (segment == germany).then(|| vec![de[1]]);
    assert_eq!(retry(&mut ws, &named, seen), [de[1], fr[0], fr[1], fr[2]]);
    // Both narrowed, France to nobody: Germany's one member is looked up.
    let named = |segment| Some(if segment == germany { vec![de[2], fr[0]] } else { Vec::new() });
    assert_eq!(retry(&mut ws, &named, seen), [de[2]], "a member of another segment is not taken for Germany's");
    assert_eq!(ws.retry_stranded_when(&lead_type(), t0, i64::MAX, &mut || true, None).unwrap(), Some(vec![de[0]]));
    assert!(
        de.iter()
            .chain(&fr)
            .all(|l| { ws.record(&lead_type(), *l).unwrap().unwrap().get(&def, "owner") == &Value::Owner(ana) })
    );

    // A member stranded while Ana took no record: a narrowing to nobody leaves it there…
    let switch = |ws: &mut Workspace, on: bool| {
        let mut stored = ws.sellers().unwrap().remove(0);
        stored.assign_records = on;
        ws.update_seller(&stored).unwrap();
    };
    switch(&mut ws, false);
    let late = stored_lead(&mut ws, "France", "late", None);
    join(&mut ws, &lead_type(), france, &[late], t0);
    assert_eq!(ws.assignment_of(&lead_type(), late).unwrap().and_then(|row| row.seller), None);
    switch(&mut ws, true);
    let seen = ws.commits_seen().unwrap();
    let nobody = |_| Some(Vec::new());
    assert!(retry(&mut ws, &nobody, seen).is_empty());
    // …until another program commits: a narrowing read before is not asked.
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute("UPDATE lead SET city = 'Lyon' WHERE id = ?1", [late.0]).unwrap();
    drop(other);
    assert_eq!(retry(&mut ws, &nobody, seen), [late]);
}
