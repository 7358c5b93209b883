//! The fast engine against the reference evaluator: the same records for every tree.
//!
//! - `differential`: random worlds (dates clustered around clocks near midnight and month
//!   ends in non-UTC zones, tricky Unicode texts) and random trees, valid and not.
//! - `every_operator`: each operator with fitting and misfitting operands on each field of
//!   a world holding every tricky value at once.
//! - data-driven checks of incremental updates, lookups, related blocks and priority.

mod common;

use std::collections::BTreeMap;

use common::r#gen::{RECORDS, arb_any_tree, arb_segment_tree, arb_segments, arb_tree, arb_value};
use common::*;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::FileFailurePersistence;
use segment_builder::domain::{
    Dataset, DateUnit, EvalContext, FieldDef, FieldKind, FieldName, Group, MemoryDataset, Operand, Operator, Record,
    RecordId, RecordTypeName, Schema, SellerId, TeamId, Value, operators_for,
};
use segment_builder::engine::priority::{first_matching, keep_order, ordered_rows};
use segment_builder::engine::radix::order_by_keys;
use segment_builder::engine::{Compiled, NO_SEGMENT, Snapshot, SortKey, compile, preview_against, winners};

/// Teams of the generated worlds and of `common::world`; 9 does not exist.
fn teams_of(ds: &MemoryDataset) -> Vec<(TeamId, Vec<SellerId>)> {
    (0..9).map(|t| (TeamId(t), ds.team_members(TeamId(t)).to_vec())).collect()
}

fn snapshot_of(ds: &MemoryDataset, zone: &TimeZone) -> Snapshot {
    let schema = ds.schema().clone();
    let by_type = schema.types.iter().map(|t| (&t.name, ds.records(&t.name)));
    Snapshot::build(&schema, zone.clone(), by_type, teams_of(ds))
}

fn fast_ids(snapshot: &Snapshot, ctx: &EvalContext, ty: &str, root: &Group) -> Vec<RecordId> {
    let compiled = compile(snapshot, &name(ty), root, ctx).unwrap_or_else(|e| panic!("{e}"));
    let mut ids = compiled.matching_ids(snapshot);
    ids.sort();
    ids
}

// ---------------------------------------------------------------------------------------
// Generators (self-contained; the shared ones in tests/common/gen.rs give trees and values)

/// Clocks where "today" is a month end, a year end or just past midnight, in zones east and
/// west of UTC (one with a DST change that week).
fn arb_clock() -> BoxedStrategy<EvalContext> {
    select(vec![
        ("2026-03-31T10:00:00Z", "Europe/Berlin"),
        ("2026-03-31T22:30:00Z", "Europe/Berlin"), // 00:30 on April 1st there
        ("2026-02-28T23:59:59Z", "America/New_York"),
        ("2026-03-01T04:59:59Z", "America/New_York"), // 23:59:59 on Feb 28th there
        ("2025-12-31T15:00:00Z", "Asia/Tokyo"),       // midnight, January 1st there
        ("2026-11-01T06:30:00Z", "America/Los_Angeles"),
    ])
    .prop_map(|(now, zone)| ctx_at(now, zone))
    .boxed()
}

/// Instants near the clock: local midnights and the instants just around them, and
/// seconds within a few days, so "today", "yesterday" and month ends are hit often.
fn arb_instant_near(ctx: &EvalContext) -> BoxedStrategy<Timestamp> {
    let today = ctx.today();
    let zone = ctx.time_zone.clone();
    let now = ctx.now;
    prop_oneof![
        (-45i32..45, select(vec![-1_000_000_000i64, -1, 0, 1, 3_600_000_000_000])).prop_map(move |(days, ns)| {
            let day = today.checked_add(jiff::Span::new().days(days)).unwrap_or(today);
            let midnight = zone.to_ambiguous_timestamp(day.at(0, 0, 0, 0)).compatible().unwrap_or(now);
            midnight.checked_add(SignedDuration::from_nanos(ns)).unwrap_or(midnight)
        }),
        (-4 * 86_400i64..4 * 86_400).prop_map(move |s| now.checked_add(SignedDuration::from_secs(s)).unwrap_or(now)),
    ]
    .boxed()
}

fn arb_date_near(ctx: &EvalContext) -> BoxedStrategy<jiff::civil::Date> {
    let today = ctx.today();
    (-70i32..70).prop_map(move |days| today.checked_add(jiff::Span::new().days(days)).unwrap_or(today)).boxed()
}

/// Texts beyond the shared ones: case pairs that change length or depend on context when
/// lowercased, and the SQL specials.
fn arb_tricky_text() -> BoxedStrategy<String> {
    select(vec![
        "ÉMILE",
        "émile",
        "İstanbul",
        "istanbul",
        "STRASSE",
        "Straße",
        "ΣΑΣ",
        "σας",
        "a%b",
        "a_b",
        r"a\b",
        "'",
        "",
    ])
    .prop_map(str::to_owned)
    .boxed()
}

/// A value for `field`: the shared generator's, or one near the clock, or a tricky text.
fn arb_value_near(field: &FieldDef, ctx: &EvalContext) -> BoxedStrategy<Value> {
    match field.kind {
        FieldKind::DateTime => prop_oneof![
            1 => arb_value(field),
            2 => arb_instant_near(ctx).prop_map(Value::DateTime),
        ]
        .boxed(),
        FieldKind::Date => prop_oneof![
            1 => arb_value(field),
            2 => arb_date_near(ctx).prop_map(Value::Date),
        ]
        .boxed(),
        FieldKind::Text => prop_oneof![
            2 => arb_value(field),
            1 => arb_tricky_text().prop_map(Value::Text),
        ]
        .boxed(),
        _ => arb_value(field),
    }
}

/// A world of `RECORDS` records per type (values possibly un-normalised, as a store bug or
/// an import might leave them), and the teams of `common::r#gen::arb_world`.
fn arb_world_near(schema: &Schema, ctx: &EvalContext) -> BoxedStrategy<MemoryDataset> {
    let per_type: Vec<_> = schema
        .types
        .iter()
        .map(|def| {
            let fields: Vec<_> = def.fields.iter().map(|f| arb_value_near(f, ctx)).collect();
            (Just(def.name.clone()), prop::collection::vec(fields, RECORDS as usize))
        })
        .collect();
    let schema = schema.clone();
    (per_type, proptest::bool::ANY)
        .prop_map(move |(types, normalise)| {
            let mut ds = MemoryDataset::new(schema.clone());
            for (name, records) in types {
                for (index, values) in records.into_iter().enumerate() {
                    let values = if normalise { values.into_iter().map(Value::normalized).collect() } else { values };
                    ds.insert(&name, Record { id: RecordId(index as i64 + 1), values });
                }
            }
            ds.set_team(TeamId(6), vec![SellerId(1), SellerId(2)]);
            ds.set_team(TeamId(7), vec![SellerId(3)]);
            ds.set_team(TeamId(8), Vec::new());
            ds
        })
        .boxed()
}

/// A clock, a world near it, and a tree over `ty` (valid, or anything at all).
fn arb_case(schema: Schema, ty: &'static str) -> BoxedStrategy<(EvalContext, MemoryDataset, Group)> {
    arb_clock()
        .prop_flat_map(move |ctx| {
            let trees = prop_oneof![3 => arb_tree(&schema, ty), 1 => arb_any_tree(&schema)];
            (Just(ctx.clone()), arb_world_near(&schema, &ctx), trees)
        })
        .boxed()
}

/// `cases` cases; failures are kept in tests/fast_engine.proptest-regressions.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn differential(case in arb_case(schema(), "thing")) {
        let (ctx, ds, root) = case;
        let snapshot = snapshot_of(&ds, &ctx.time_zone);
        let expected = ds.matching(&ctx, &name("thing"), &root);
        prop_assert_eq!(fast_ids(&snapshot, &ctx, "thing", &root), expected, "{:#?}", root);
    }

    #[test]
    fn differential_on_the_built_in_leads(case in arb_case(Schema::built_in(), "lead")) {
        let (ctx, ds, root) = case;
        let snapshot = snapshot_of(&ds, &ctx.time_zone);
        let expected = ds.matching(&ctx, &name("lead"), &root);
        prop_assert_eq!(fast_ids(&snapshot, &ctx, "lead", &root), expected, "{:#?}", root);
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// Segment conditions ("is in / is not in / matches the conditions of segment k", of
    /// the record or through lookups): the snapshot holds the stored memberships and the
    /// segments' definitions, the reference dataset the same.
    #[test]
    fn differential_with_segment_conditions(
        case in arb_clock().prop_flat_map(|ctx| {
            let schema = schema();
            let trees = prop::collection::vec(arb_segment_tree(&schema, "thing"), 1..=4);
            (Just(ctx.clone()), arb_world_near(&schema, &ctx), arb_segments(&schema), trees)
        })
    ) {
        let (ctx, mut ds, (definitions, pairs), trees) = case;
        for (ty, record, segment) in &pairs {
            ds.set_membership(ty, *record, Some(*segment));
        }
        ds.set_definitions(definitions.clone());
        let mut snapshot = snapshot_of(&ds, &ctx.time_zone);
        snapshot.set_definitions(definitions);
        for def in &ds.schema().types {
            let of_type = pairs.iter().filter(|(ty, ..)| *ty == def.name).map(|(_, record, segment)| (*record, *segment));
            snapshot.set_memberships(&def.name, of_type).unwrap_or_else(|e| panic!("{e}"));
        }
        for root in &trees {
            let expected = ds.matching(&ctx, &name("thing"), root);
            prop_assert_eq!(fast_ids(&snapshot, &ctx, "thing", root), expected, "{:#?}", root);
        }
    }
}

/// An update: a record of `ty` with `id` replaced (Some) or removed (None).
type Edit = (usize, i64, Option<Vec<Value>>);

fn arb_edits(schema: &Schema, ctx: &EvalContext) -> BoxedStrategy<Vec<Edit>> {
    let per_type: Vec<_> = schema
        .types
        .iter()
        .enumerate()
        .map(|(t, def)| {
            let values: Vec<_> = def.fields.iter().map(|f| arb_value_near(f, ctx)).collect();
            (Just(t), 1..=RECORDS + 3, prop::option::weighted(0.7, values)).boxed()
        })
        .collect();
    prop::collection::vec(proptest::strategy::Union::new(per_type), 0..12).boxed()
}

proptest! {
    #![proptest_config(config(100))]

    /// Upserts and removals on a built snapshot give the records a fresh world would.
    #[test]
    fn incremental_updates(
        case in arb_case(schema(), "thing").prop_flat_map(|(ctx, ds, root)| {
            let edits = arb_edits(&schema(), &ctx);
            (Just((ctx, ds, root)), edits)
        })
    ) {
        let ((ctx, ds, root), edits) = case;
        let schema = schema();
        let mut snapshot = snapshot_of(&ds, &ctx.time_zone);
        let compiled = compile(&snapshot, &name("thing"), &root, &ctx).unwrap_or_else(|e| panic!("{e}"));
        let mut model: BTreeMap<(usize, i64), Record> = BTreeMap::new();
        for (t, def) in schema.types.iter().enumerate() {
            for record in ds.records(&def.name) {
                model.insert((t, record.id.0), record.clone());
            }
        }
        for (t, id, values) in edits {
            let ty = &schema.types[t].name;
            if let Some(values) = values {
                let record = Record { id: RecordId(id), values };
                prop_assert!(snapshot.upsert(ty, &record).is_ok());
                model.insert((t, id), record);
            } else {
                let was = snapshot.remove(ty, RecordId(id));
                prop_assert_eq!(was, Ok(model.remove(&(t, id)).is_some()));
            }
        }
        let mut fresh = MemoryDataset::new(schema.clone());
        for ((t, _), record) in model {
            fresh.insert(&schema.types[t].name, record);
        }
        for (team, members) in teams_of(&ds) {
            fresh.set_team(team, members);
        }
        let expected = fresh.matching(&ctx, &name("thing"), &root);
        // A tree compiled before the updates is compiled again when evaluated.
        let mut stale = compiled.matching_ids(&snapshot);
        stale.sort();
        prop_assert_eq!(&stale, &expected);
        prop_assert_eq!(fast_ids(&snapshot, &ctx, "thing", &root), expected);
    }

    /// The winner of every record is the first segment the reference evaluator matches.
    #[test]
    fn winners_follow_priority(
        case in arb_clock().prop_flat_map(|ctx| {
            let schema = schema();
            (Just(ctx.clone()), arb_world_near(&schema, &ctx), prop::collection::vec(arb_tree(&schema, "thing"), 0..4))
        })
    ) {
        let (ctx, ds, segments) = case;
        let snapshot = snapshot_of(&ds, &ctx.time_zone);
        let compiled: Vec<Compiled> = segments
            .iter()
            .map(|root| compile(&snapshot, &name("thing"), root, &ctx).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        let refs: Vec<&Compiled> = compiled.iter().collect();
        let won = winners(&snapshot, &name("thing"), &refs);
        let records = snapshot.type_snapshot(&name("thing")).unwrap_or_else(|| panic!("no things"));
        let schema = schema();
        let def = type_def(&schema, "thing");
        for record in ds.records(&name("thing")) {
            let expected = segments
                .iter()
                .position(|root| segment_builder::domain::matches(&ds, &ctx, def, record, root))
                .map_or(NO_SEGMENT, |i| i as u32);
            let row = records.row_of(record.id).unwrap_or_else(|| panic!("no row for {}", record.id));
            prop_assert_eq!(won[row], expected, "record {}", record.id);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Every operator on every field of `thing`, with fitting and misfitting operands.

/// Values of every kind (also in the wrong field), tricky texts and boundary numbers.
fn every_value() -> Vec<Value> {
    let text = |s: &str| Value::Text(s.to_owned());
    vec![
        Value::Empty,
        text("ÉMILE"),
        text("émile"),
        text("Émile SARL"),
        text("İstanbul"),
        text("Straße"),
        text("ΣΑΣ"),
        text("100% sure"),
        text("a_b"),
        text(r"C:\dir"),
        text("O'Brien"),
        text(" UK"),
        text("UK"),
        text(""),
        text("a\0b"),
        Value::WholeNumber(0),
        Value::WholeNumber(-5),
        Value::WholeNumber(9_007_199_254_740_993),
        Value::Decimal(-0.0),
        Value::Decimal(0.5),
        Value::Decimal(f64::NAN),
        Value::Money(10.0),
        Value::Money(20.01),
        Value::Date(date("2026-03-31")),
        Value::Date(date("2026-02-28")),
        Value::Date(date("2026-04-01")),
        Value::Date(date("2025-03-31")),
        Value::DateTime(instant("2026-03-30T22:30:00Z")),
        Value::DateTime(instant("2026-03-31T21:59:59Z")),
        Value::DateTime(instant("2026-03-31T22:00:00Z")),
        Value::DateTime(instant("2026-03-31T07:29:59.999999999Z")),
        Value::DateTime(instant("2026-03-31T07:30:00Z")),
        Value::DateTime(instant("2026-02-28T23:30:00Z")),
        Value::YesNo(true),
        Value::YesNo(false),
        Value::Choice("Small".to_owned()),
        Value::Choice("LARGE".to_owned()),
        Value::Lookup(RecordId(1)),
        Value::Lookup(RecordId(2)),
        Value::Lookup(RecordId(99)),
        Value::Owner(SellerId(1)),
        Value::Owner(SellerId(2)),
    ]
}

fn every_operand() -> Vec<Operand> {
    let days = DateUnit::ALL.iter().flat_map(|unit| [0, 1, 2, 12, 400_000, u32::MAX].map(|n| rel(n, *unit)));
    let mut operands = vec![
        NONE,
        t("émile"),
        t("ÉMILE"),
        t("ile"),
        t("É"),
        t("%"),
        t("_"),
        t(r"\d"),
        t("o'"),
        t("uk"),
        t(""),
        t("i̇"),
        t("σ"),
        t("a\0"),
        t("^[a-z]+$"),
        t("^émile$"),
        t("("),
        tl(&["uk", "émile"]),
        tl(&[]),
        n(0.0),
        n(-0.0),
        n(-5.0),
        n(10.0),
        n(f64::NAN),
        n(9_007_199_254_740_992.0),
        nl(&[0.0, 20.01]),
        nr(10.0, 20.01),
        nr(1.0, -1.0),
        d("2026-03-31"),
        d("2026-03-31T09:30"),
        d("2026-03-31T09:29:59.999999999"),
        d("2026-03-29T02:30"), // skipped by the DST change in Berlin
        dr("2026-03-01", "2026-03-31"),
        dr("2026-04-01", "2026-03-01"),
        choices(&["small", "Large"]),
        choices(&["Huge"]),
        Operand::Record(RecordId(1)),
        Operand::Record(RecordId(99)),
        Operand::Record(RecordId(5)),
        Operand::Records(vec![RecordId(2), RecordId(99)]),
        Operand::Seller(SellerId(1)),
        Operand::Sellers(vec![SellerId(2), SellerId(3)]),
        Operand::Team(TeamId(7)),
        Operand::Team(TeamId(8)),
        Operand::Team(TeamId(9)),
    ];
    operands.extend(days);
    operands
}

/// `common::world` plus one `thing` per (field, value) pair, ids from 1000.
fn world_of_every_value() -> MemoryDataset {
    let mut ds = world();
    let schema = schema();
    let thing = type_def(&schema, "thing");
    let mut id = 1000;
    for index in 0..thing.fields.len() {
        for value in every_value() {
            let mut record = Record::empty(RecordId(id), thing);
            record.values[index] = value; // un-normalised on purpose
            ds.insert(&thing.name, record);
            id += 1;
        }
    }
    ds
}

#[test]
fn every_operator() {
    let ds = world_of_every_value();
    let schema = schema();
    let ctx = ctx();
    let snapshot = snapshot_of(&ds, &ctx.time_zone);
    let thing = type_def(&schema, "thing");
    let mut checked = 0;
    let paths: Vec<String> = thing
        .fields
        .iter()
        .map(|f| f.name.to_string())
        .chain(["company.name", "company.parent.country", "company.founded", "company.industry"].map(str::to_owned))
        .collect();
    for path in &paths {
        for operator in Operator::ALL {
            for operand in every_operand() {
                let root = tree(all(vec![cond(path, operator, operand.clone())]));
                let expected = ds.matching(&ctx, &name("thing"), &root);
                let negated = tree(not(all(vec![cond(path, operator, operand.clone())])));
                let expected_negated = ds.matching(&ctx, &name("thing"), &negated);
                assert_eq!(fast_ids(&snapshot, &ctx, "thing", &root), expected, "{path} {operator:?} {operand:?}");
                assert_eq!(fast_ids(&snapshot, &ctx, "thing", &negated), expected_negated, "not {path} {operator:?}");
                checked += 1;
            }
        }
        let kind = thing.field_by_str(path).map(|f| f.kind);
        if let Some(kind) = kind {
            assert!(!operators_for(kind).is_empty());
        }
    }
    assert!(checked > 10_000);
}

// ---------------------------------------------------------------------------------------
// Data-driven checks on `common::world` (things 10–13, companies 1–3, deals 100–102).

/// Evaluates `root` over things with both evaluators; both must give `expected`.
fn check(snapshot: &Snapshot, ds: &MemoryDataset, root: Group, expected: &[i64]) {
    let ctx = ctx();
    let expected: Vec<RecordId> = expected.iter().map(|&id| RecordId(id)).collect();
    assert_eq!(ds.matching(&ctx, &name("thing"), &root), expected, "reference: {root:?}");
    assert_eq!(fast_ids(snapshot, &ctx, "thing", &root), expected, "fast: {root:?}");
}

#[test]
fn lookups_related_blocks_and_teams() {
    use Operator::*;
    let ds = world();
    let snapshot = snapshot_of(&ds, &ctx().time_zone);
    let c = |path: &str, operator, operand| tree(all(vec![cond(path, operator, operand)]));
    check(&snapshot, &ds, c("company.name", Equals, t("ACME")), &[10]);
    check(&snapshot, &ds, c("company.name", NotEquals, t("ACME")), &[11, 12, 13]);
    check(&snapshot, &ds, c("company.parent.name", Contains, t("acme")), &[11]);
    check(&snapshot, &ds, c("company.name", IsEmpty, NONE), &[12, 13]); // 13 points at a missing company
    check(&snapshot, &ds, c("company", IsNotEmpty, NONE), &[10, 11, 13]);
    check(&snapshot, &ds, c("company", Is, Operand::Record(RecordId(99))), &[13]);
    check(&snapshot, &ds, c("company.industry", AnyOf, choices(&["software"])), &[10]);
    check(&snapshot, &ds, c("owner", MemberOfTeam, Operand::Team(TeamId(7))), &[10]);
    check(&snapshot, &ds, c("owner", MemberOfTeam, Operand::Team(TeamId(8))), &[]);
    check(&snapshot, &ds, tree(all(vec![has("deal", "thing", all(vec![]))])), &[10, 11]);
    check(&snapshot, &ds, tree(all(vec![has_no("deal", "thing", all(vec![]))])), &[12, 13]);
    let won = all(vec![cond("stage", AnyOf, choices(&["won"]))]);
    check(&snapshot, &ds, tree(all(vec![has("deal", "thing", won.clone())])), &[10]);
    check(&snapshot, &ds, tree(all(vec![has_no("deal", "thing", won)])), &[11, 12, 13]);
    check(&snapshot, &ds, tree(all(vec![has("deal", "company", all(vec![]))])), &[]); // via points elsewhere
    check(&snapshot, &ds, tree(all(vec![])), &[10, 11, 12, 13]);
    check(&snapshot, &ds, tree(common::any(vec![])), &[]);
    check(&snapshot, &ds, tree(not(common::any(vec![]))), &[10, 11, 12, 13]);
}

#[test]
fn updates_apply_in_place() {
    let mut ds = world();
    let schema = schema();
    let ctx = ctx();
    let mut snapshot = snapshot_of(&ds, &ctx.time_zone);
    let thing = type_def(&schema, "thing");
    let company = type_def(&schema, "company");
    let root = tree(all(vec![cond("company.name", Operator::Equals, t("Nova"))]));
    check(&snapshot, &ds, root.clone(), &[]);

    // Company 99 appears: thing 13, which pointed at nothing, now reads its name.
    let nova = record(company, 99, &[("name", Value::Text("NOVA".into()))]);
    snapshot.upsert(&company.name, &nova).unwrap_or_else(|e| panic!("{e}"));
    ds.insert(&company.name, nova);
    check(&snapshot, &ds, root.clone(), &[13]);

    // A new thing, and an update that moves thing 10 to company 99.
    let new = record(thing, 14, &[("company", Value::Lookup(RecordId(99)))]);
    let moved = record(thing, 10, &[("company", Value::Lookup(RecordId(99))), ("name", Value::Text("x".into()))]);
    for r in [new, moved] {
        snapshot.upsert(&thing.name, &r).unwrap_or_else(|e| panic!("{e}"));
        ds.insert(&thing.name, r);
    }
    check(&snapshot, &ds, root.clone(), &[10, 13, 14]);

    // Removing company 99 empties the name seen through it; "does not equal" then holds.
    assert_eq!(snapshot.remove(&company.name, RecordId(99)), Ok(true));
    assert_eq!(snapshot.remove(&company.name, RecordId(99)), Ok(false));
    let mut fresh = MemoryDataset::new(schema.clone());
    for def in &schema.types {
        for r in ds.records(&def.name).filter(|r| !(def.name == company.name && r.id == RecordId(99))) {
            fresh.insert(&def.name, r.clone());
        }
    }
    for (team, members) in teams_of(&ds) {
        fresh.set_team(team, members);
    }
    check(&snapshot, &fresh, root, &[]);
    let not_nova = tree(all(vec![cond("company.name", Operator::NotEquals, t("Nova"))]));
    check(&snapshot, &fresh, not_nova, &[10, 11, 12, 13, 14]);
    assert!(snapshot.upsert(&name("nothing"), &nova_like()).is_err());
}

fn nova_like() -> Record {
    Record { id: RecordId(1), values: Vec::new() }
}

#[test]
fn many_distinct_texts_widen_the_codes() {
    let schema = schema();
    let thing = type_def(&schema, "thing");
    let mut ds = MemoryDataset::new(schema.clone());
    for id in 0..70_000 {
        ds.insert(&thing.name, record(thing, id, &[("name", Value::Text(format!("Name {id} é")))]));
    }
    let ctx = ctx();
    let snapshot = snapshot_of(&ds, &ctx.time_zone);
    let c = |operator, operand| tree(all(vec![cond("name", operator, operand)]));
    for root in [
        c(Operator::Equals, t("NAME 69999 É")),
        c(Operator::EndsWith, t("99 é")),
        c(Operator::BeginsWith, t("name 1234")),
        c(Operator::Contains, t("5 É")),
        c(Operator::NotContains, t("1")),
        c(Operator::MatchesPattern, t("^name 4+ é$")),
    ] {
        assert_eq!(fast_ids(&snapshot, &ctx, "thing", &root), ds.matching(&ctx, &name("thing"), &root), "{root:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Priority and preview.

/// Things 1..=6 created a day apart (6 newest), with sizes.
fn sized_things() -> MemoryDataset {
    let schema = schema();
    let thing = type_def(&schema, "thing");
    let mut ds = MemoryDataset::new(schema.clone());
    for (id, size) in [(1, "Small"), (2, "Large"), (3, "Small"), (4, "Medium"), (5, "Small"), (6, "Large")] {
        let at = instant("2026-03-01T12:00:00Z").checked_add(SignedDuration::from_hours(24 * id)).unwrap_or(ctx().now);
        let r = record(thing, id, &[("size", Value::Choice(size.into())), ("at", Value::DateTime(at))]);
        ds.insert(&thing.name, r);
    }
    ds
}

#[test]
fn priority_and_preview() {
    let ds = sized_things();
    let ctx = ctx();
    let snapshot = snapshot_of(&ds, &ctx.time_zone);
    let seg = |sizes: &[&str]| {
        let root = tree(all(vec![cond("size", Operator::AnyOf, choices(sizes))]));
        compile(&snapshot, &name("thing"), &root, &ctx).unwrap_or_else(|e| panic!("{e}"))
    };
    let small = seg(&["Small"]);
    let small_or_large = seg(&["Small", "Large"]);
    let everything = compile(&snapshot, &name("thing"), &tree(all(vec![])), &ctx).unwrap_or_else(|e| panic!("{e}"));

    // Rows are in load order (ids 1..=6): small wins 1, 3, 5; the next one 2 and 6; the last 4.
    let won = winners(&snapshot, &name("thing"), &[&small, &small_or_large, &everything]);
    assert_eq!(won, [0, 1, 0, 2, 0, 1]);

    let newest = SortKey { field: FieldName::new("at"), descending: true };
    let check = |edited: &Compiled, higher: &[&Compiled], matches: usize, claimed: usize, first: &[i64]| {
        let result = preview_against(&snapshot, edited, higher, &newest, 3);
        assert_eq!(result.matches, matches);
        assert_eq!(result.claimed_by_higher, claimed);
        assert_eq!(result.would_join, matches - claimed);
        assert_eq!(result.first, first.iter().map(|&id| RecordId(id)).collect::<Vec<_>>());
    };
    check(&small_or_large, &[], 5, 0, &[6, 5, 3]);
    check(&small_or_large, &[&small], 5, 3, &[6, 5, 3]);
    check(&everything, &[&small, &small_or_large], 6, 5, &[6, 5, 4]);
    check(&small, &[&everything], 3, 3, &[5, 3, 1]);
    let oldest = SortKey { field: FieldName::new("at"), descending: false };
    assert_eq!(preview_against(&snapshot, &small, &[], &oldest, 2).first, [RecordId(1), RecordId(3)]);
    let by_row = SortKey { field: FieldName::new("nope"), descending: false };
    assert_eq!(preview_against(&snapshot, &small, &[], &by_row, 10).first, [RecordId(1), RecordId(3), RecordId(5)]);
}

#[test]
fn matches_are_ordered_alike_sorted_alone_or_from_the_whole_order() {
    let schema = schema();
    let thing = type_def(&schema, "thing");
    let mut ds = MemoryDataset::new(schema.clone());
    let start = instant("2026-03-01T12:00:00Z");
    // What each record holds, by id (row = id - 1): count, done, minutes after `start`.
    let count = |id: i64| (id % 7 != 0).then_some(id * 37 % 50);
    let done = |id: i64| (id % 7 != 0).then_some(i64::from(id % 3 == 0));
    let minutes = |id: i64| (id % 5 != 0).then_some(id * 7919 % 1000);
    for id in 1..=400i64 {
        let mut values = Vec::new();
        if let (Some(count), Some(done)) = (count(id), done(id)) {
            values.push(("count", Value::WholeNumber(count)));
            values.push(("done", Value::YesNo(done == 1)));
        }
        if let Some(minutes) = minutes(id) {
            let at = start.checked_add(SignedDuration::from_mins(minutes)).unwrap_or(start);
            values.push(("at", Value::DateTime(at)));
        }
        ds.insert(&thing.name, record(thing, id, &values));
    }
    let ctx = ctx();
    let value_of: [(&str, &ValueOf); 4] = [("count", &count), ("at", &minutes), ("done", &done), ("nope", &Some)];
    for (field, value) in value_of {
        for descending in [false, true] {
            let sort = SortKey { field: FieldName::new(field), descending };
            // Fresh snapshots: nothing ordered and kept yet.
            let (alone, kept) = (snapshot_of(&ds, &ctx.time_zone), snapshot_of(&ds, &ctx.time_zone));
            assert!(keep_order(&kept, &name("thing"), &sort), "{field}: the whole order is made once");
            assert!(!keep_order(&kept, &name("thing"), &sort), "{field}: and then kept");
            // Few rows (sorted alone in a fresh snapshot) and every row (the whole order).
            for rows in [segment_builder::engine::Bitset::from_fn(400, |row| row % 13 == 4), every_row(&kept)] {
                let mut expected: Vec<u32> = rows.ones().map(|row| row as u32).collect();
                expected.sort_by_key(|&row| {
                    let value = value(i64::from(row) + 1);
                    (value.is_none(), value.map(|v| if descending { -v } else { v }), row)
                });
                let label = format!("{field} descending {descending}, {} rows", rows.count());
                assert_eq!(ordered_rows(&alone, &name("thing"), &rows, &sort), expected, "{label}, alone");
                assert_eq!(ordered_rows(&kept, &name("thing"), &rows, &sort), expected, "{label}, kept");
                let first = |snapshot: &Snapshot| first_matching(snapshot, &name("thing"), &rows, &sort, 10);
                let ids: Vec<RecordId> = expected.iter().take(10).map(|&row| RecordId(i64::from(row) + 1)).collect();
                assert_eq!(first(&alone), ids, "{label}, first ten alone");
                assert_eq!(first(&kept), ids, "{label}, first ten kept");
            }
        }
    }
}

/// A record's sort value by its id (`None`: empty).
type ValueOf = dyn Fn(i64) -> Option<i64>;

fn every_row(snapshot: &Snapshot) -> segment_builder::engine::Bitset {
    segment_builder::engine::Bitset::from_fn(snapshot.type_snapshot(&name("thing")).map_or(0, |t| t.rows()), |_| true)
}

proptest! {
    #![proptest_config(config(200))]

    /// The radix order is a stable sort by key, whatever bytes the keys share or differ in.
    #[test]
    fn the_radix_order_is_a_stable_sort_by_key(
        keys in prop::collection::vec(
            (prop::num::u64::ANY, select(vec![0u64, 0xff, 0xff00, 0xffff, 0xff_0000_00ff, u64::MAX]), 0u64..4)
                .prop_map(|(key, mask, bucket)| (key & mask) | (bucket << 62)),
            0..2000,
        )
    ) {
        let rows: Vec<u32> = (0..keys.len() as u32).rev().collect();
        let mut expected: Vec<(u64, u32)> = keys.iter().copied().zip(rows.iter().copied()).collect();
        expected.sort_by_key(|&(key, _)| key);
        let expected: Vec<u32> = expected.into_iter().map(|(_, row)| row).collect();
        prop_assert_eq!(order_by_keys(keys, rows), expected);
    }
}

#[test]
fn a_snapshot_in_another_zone_is_refused() {
    let ds = world();
    let snapshot = snapshot_of(&ds, &TimeZone::UTC);
    assert!(compile(&snapshot, &name("thing"), &tree(all(vec![])), &ctx()).is_err());
    assert!(
        compile(&snapshot, &RecordTypeName::new("nothing"), &tree(all(vec![])), &ctx_at("2026-01-01T00:00:00Z", "UTC"))
            .is_err()
    );
}

/// Column bytes that do not fit (changed by hand or by a bug, past the cache file's
/// checksum) are refused when read, or read without a panic by every operator on every
/// field, through lookups, and by every order of the Records list: every length, code and
/// row a read indexes with is checked when the columns are read, before any is decoded.
#[test]
fn column_bytes_that_do_not_fit_are_refused_or_read_without_a_panic() {
    let ds = world();
    let schema = schema();
    let ctx = ctx();
    let mut good = Vec::new();
    snapshot_of(&ds, &ctx.time_zone).encode_columns(&mut good);
    let (mut refused, mut read) = (0, 0);
    for at in 0..good.len() {
        // Off by one, and far off.
        let mut bytes = good.clone();
        bytes[at] ^= if at % 2 == 0 { 0x01 } else { 0xf0 };
        let len = bytes.len();
        let shared: segment_builder::engine::snapshot::SharedBytes = std::sync::Arc::new(bytes);
        match Snapshot::decode_columns(&schema, ctx.time_zone.clone(), shared, 0..len, teams_of(&ds)) {
            Err(_) => refused += 1,
            Ok(snapshot) => {
                read += 1;
                read_every_value(&snapshot, &schema, &ctx);
            }
        }
    }
    assert!(refused > 0 && read > 0, "both kinds tried: {refused} refused, {read} read");
}

/// Evaluates every operator of every field of every type (with an operand of each kind)
/// and lists the records ordered by each field.
fn read_every_value(snapshot: &Snapshot, schema: &Schema, ctx: &EvalContext) {
    use segment_builder::domain::query::{RecordQuery, SortDirection};
    use segment_builder::engine::records::query_ids;
    let operands = [
        NONE,
        t("a"),
        n(1.0),
        d("2026-03-31"),
        choices(&["Small", "Retail", "Won"]),
        Operand::Record(RecordId(1)),
        Operand::Seller(SellerId(1)),
        Operand::Team(TeamId(7)),
    ];
    for def in &schema.types {
        let through = ["company.name", "company.parent.country", "thing.company.name"];
        let paths = def.fields.iter().map(|f| (f.name.to_string(), f.kind)).chain(
            through.iter().filter(|p| def.field_by_str(p.split('.').next().unwrap_or("")).is_some()).map(|p| {
                let kind =
                    if p.ends_with("country") || p.ends_with("name") { FieldKind::Text } else { FieldKind::Date };
                ((*p).to_owned(), kind)
            }),
        );
        for (path, kind) in paths {
            for &operator in operators_for(kind) {
                for operand in &operands {
                    let root = tree(all(vec![cond(&path, operator, operand.clone())]));
                    if let Ok(compiled) = compile(snapshot, &def.name, &root, ctx) {
                        compiled.evaluate(snapshot);
                    }
                }
            }
        }
        for field in &def.fields {
            for direction in [SortDirection::Ascending, SortDirection::Descending] {
                for filter in ["", "a"] {
                    let query = RecordQuery { filter: filter.to_owned(), sort: Some((field.name.clone(), direction)) };
                    query_ids(snapshot, &def.name, &query, ctx).unwrap_or_else(|e| panic!("{e}"));
                }
            }
        }
    }
}
