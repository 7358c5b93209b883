//! The SQL compiler against the reference evaluator: on random worlds (empty values, mixed
//! case, `% _ \ '` in texts, edge numbers, dates around month ends) and random trees (every
//! operator, empty and negated groups, lookups, related blocks, and trees that do not fit
//! the schema), `Workspace::matching_ids` of the compiled SQL equals
//! `MemoryDataset::matching`. And user text never becomes SQL text.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

mod common;

use common::r#gen::{
    Segments, arb_any_tree, arb_instant, arb_operand, arb_segment_tree, arb_segments, arb_tree, arb_world,
};
use common::workspace::{add_segments, sql_matching, workspace_of};
use common::*;
use jiff::civil::{Date, Time};
use jiff::{SignedDuration, Span, Timestamp};
use proptest::prelude::*;
use proptest::sample::select;
use segment_builder::domain::Operator::*;
use segment_builder::domain::{
    Dataset, DateValue, EvalContext, FieldDef, Group, MemoryDataset, Node, Operand, Record, RecordId, Value,
    operators_for,
};
use segment_builder::engine::sql::{SqlParam, compile_sql};
use segment_builder::engine::{Snapshot, compile};

/// Zones with and without DST, on both sides of UTC, one with a half-hour offset.
const ZONES: &[&str] = &["Europe/Berlin", "UTC", "America/New_York", "Pacific/Auckland", "Asia/Kolkata"];

fn arb_ctx() -> impl Strategy<Value = EvalContext> {
    prop_oneof![
        1 => Just(ctx()),
        3 => (arb_instant(), select(ZONES)).prop_map(|(now, zone)| ctx_at(&now.to_string(), zone)),
    ]
}

/// A world, a record type, a clock and up to eight trees to run on one workspace. In most
/// cases the dates of the world and the trees are moved close to the clock's today, and
/// date-times onto the edges of their days, where a wrong range or zone would show (see
/// `focus_tree`).
fn arb_case(valid: bool) -> impl Strategy<Value = (MemoryDataset, &'static str, EvalContext, Vec<Group>)> {
    let schema = schema();
    (arb_world(&schema), select(&["thing", "company", "deal"][..]), arb_ctx(), prop::bool::weighted(0.75))
        .prop_flat_map(move |(world, ty, ctx, focused)| {
            let tree = if valid { arb_tree(&schema, ty) } else { arb_any_tree(&schema) };
            let trees = prop::collection::vec(tree, 1..=8);
            (Just(world), Just(ty), Just(ctx), trees, Just(focused))
        })
        .prop_map(|(world, ty, ctx, mut trees, focused)| {
            if !focused {
                return (world, ty, ctx, trees);
            }
            for root in &mut trees {
                focus_tree(&ctx, root);
            }
            (focus_world(&ctx, &world), ty, ctx, trees)
        })
}

/// A day within 20 days of today (the generators spread days over 2025–2027).
fn focus_day(ctx: &EvalContext, day: Date) -> Date {
    let offset = Date::constant(2025, 1, 1).until(day).map_or(0, |span| span.get_days());
    ctx.today().checked_add(Span::new().days(offset.rem_euclid(41) - 20)).unwrap_or(day)
}

fn start_of(ctx: &EvalContext, day: Date) -> Option<Timestamp> {
    ctx.time_zone.to_ambiguous_timestamp(day.to_datetime(Time::midnight())).compatible().ok()
}

/// An instant on a day near today, at or next to one of its ends.
fn focus_instant(ctx: &EvalContext, at: Timestamp) -> Timestamp {
    let day = focus_day(ctx, ctx.day_of(at));
    let (Some(start), Some(next)) = (start_of(ctx, day), day.tomorrow().ok().and_then(|d| start_of(ctx, d))) else {
        return at;
    };
    let second = SignedDuration::from_secs(1);
    let moved = match at.as_second().rem_euclid(6) {
        0 => start.checked_sub(second),
        1 => Ok(start),
        2 => start.checked_add(second),
        3 => next.checked_sub(second),
        4 => Ok(next),
        _ => start.checked_add(SignedDuration::from_hours(12)),
    };
    moved.unwrap_or(at)
}

fn focus_world(ctx: &EvalContext, world: &MemoryDataset) -> MemoryDataset {
    let mut focused = world.clone();
    for def in &world.schema().types {
        for record in world.records(&def.name) {
            let values = record
                .values
                .iter()
                .map(|value| match value {
                    Value::Date(day) => Value::Date(focus_day(ctx, *day)),
                    Value::DateTime(at) => Value::DateTime(focus_instant(ctx, *at)),
                    other => other.clone(),
                })
                .collect();
            focused.insert(&def.name, Record { id: record.id, values });
        }
    }
    focused
}

fn focus_tree(ctx: &EvalContext, group: &mut Group) {
    for child in &mut group.children {
        match child {
            Node::Condition(condition) => match &mut condition.value {
                Operand::Date(DateValue::Day(day)) => *day = focus_day(ctx, *day),
                // Often at a time a focused date-time has: midnight or noon.
                Operand::Date(DateValue::At(wall)) => {
                    let time = match wall.minute() % 3 {
                        0 => Time::midnight(),
                        1 => Time::constant(12, 0, 0, 0),
                        _ => wall.time(),
                    };
                    *wall = focus_day(ctx, wall.date()).to_datetime(time);
                }
                // Small amounts, so the ends of "in the last / next", "older than" fall among
                // the focused days.
                Operand::Relative { amount, .. } => *amount %= 4,
                Operand::DateRange { low, high } => {
                    let (a, b) = (focus_day(ctx, *low), focus_day(ctx, *high));
                    (*low, *high) = if a <= b { (a, b) } else { (b, a) };
                }
                _ => {}
            },
            Node::Group(inner) => focus_tree(ctx, inner),
            Node::Related(block) => focus_tree(ctx, &mut block.group),
            Node::Segment(_) => {}
        }
    }
}

fn check_case(world: &MemoryDataset, ty: &str, ctx: &EvalContext, trees: &[Group]) -> Result<(), TestCaseError> {
    let (ws, stored) = workspace_of(world);
    let ty = name(ty);
    for root in trees {
        let sql = compile_sql(ws.schema(), type_def(ws.schema(), ty.as_str()), root, ctx);
        prop_assert!(!sql.where_sql.contains(['\'', '%', '\\', ';']), "user text in the SQL: {}", sql.where_sql);
        let expected = stored.matching(ctx, &ty, root);
        let found = sql_matching(&ws, ctx, &ty, root);
        prop_assert_eq!(found, expected, "{}\n{:?}\n{:#?}", sql.where_sql, sql.params, root);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn sql_agrees_with_the_evaluator((world, ty, ctx, trees) in arb_case(true)) {
        check_case(&world, ty, &ctx, &trees)?;
    }
}

/// A world with segments and stored memberships (`arb_segments`), a record type, a clock
/// and up to four trees with segment conditions among their leaves.
fn arb_segment_case() -> impl Strategy<Value = (MemoryDataset, Segments, &'static str, EvalContext, Vec<Group>)> {
    let schema = schema();
    (arb_world(&schema), arb_segments(&schema), select(&["thing", "company", "deal"][..]), arb_ctx()).prop_flat_map(
        move |(world, segments, ty, ctx)| {
            let trees = prop::collection::vec(arb_segment_tree(&schema, ty), 1..=4);
            (Just(world), Just(segments), Just(ty), Just(ctx), trees)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Segment conditions: the reference evaluator, the fast engine (the snapshot given the
    /// stored memberships and the definitions) and SQL (the `membership` table) agree.
    #[test]
    fn segment_conditions_agree_in_all_three((world, segments, ty, ctx, trees) in arb_segment_case()) {
        let (mut ws, mut stored) = workspace_of(&world);
        add_segments(&mut ws, &mut stored, &segments.0, &segments.1);
        let schema = stored.schema().clone();
        let by_type = schema.types.iter().map(|t| (&t.name, stored.records(&t.name)));
        let teams = (0..9).map(|t| (segment_builder::domain::TeamId(t), stored.team_members(segment_builder::domain::TeamId(t)).to_vec()));
        let mut snapshot = Snapshot::build(&schema, ctx.time_zone.clone(), by_type, teams);
        snapshot.set_definitions(stored.definitions().clone());
        for def in &schema.types {
            snapshot.set_memberships(&def.name, ws.memberships(&def.name).expect("memberships")).expect("type");
        }
        let ty = name(ty);
        for root in &trees {
            let expected = stored.matching(&ctx, &ty, root);
            prop_assert_eq!(&sql_matching(&ws, &ctx, &ty, root), &expected, "through SQL: {:#?}", root);
            let compiled = compile(&snapshot, &ty, root, &ctx).expect("the snapshot is in the context's zone");
            let mut fast = compiled.matching_ids(&snapshot);
            fast.sort();
            prop_assert_eq!(&fast, &expected, "fast: {:#?}", root);
        }
    }
}

/// Single conditions on the date and date-time fields of `thing`, every date operator.
fn arb_date_trees() -> impl Strategy<Value = Vec<Group>> {
    let schema = schema();
    let fields: Vec<FieldDef> =
        type_def(&schema, "thing").fields.iter().filter(|f| f.kind.is_temporal()).cloned().collect();
    let condition = select(fields).prop_flat_map(|field| {
        select(operators_for(field.kind).to_vec()).prop_flat_map(move |operator| {
            let path = field.name.to_string();
            arb_operand(&field, operator).prop_map(move |operand| cond(&path, operator, operand))
        })
    });
    prop::collection::vec((condition, prop::bool::ANY), 16).prop_map(|conditions| {
        conditions
            .into_iter()
            .map(|(condition, negated)| {
                let root = tree(all(vec![condition]));
                if negated { not(root) } else { root }
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Dates near today and date-times on the edges of their days, where a wrong range, a
    /// wrong zone or a DST slip would show.
    #[test]
    fn sql_agrees_on_dates_at_the_edges(world in arb_world(&schema()), ctx in arb_ctx(), trees in arb_date_trees()) {
        let mut trees = trees;
        for root in &mut trees {
            focus_tree(&ctx, root);
        }
        check_case(&focus_world(&ctx, &world), "thing", &ctx, &trees)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Unknown fields and types, wrong operands, NaN, the ends of the calendar, invalid
    /// patterns: still what the evaluator says (mostly false, also under negation).
    #[test]
    fn sql_agrees_on_trees_that_do_not_fit((world, ty, ctx, trees) in arb_case(false)) {
        check_case(&world, ty, &ctx, &trees)?;
    }
}

const HOSTILE: &[&str] = &["'; DROP TABLE thing; --", "%_\\", "\" OR 1=1 --", "$x OR 1", "x' OR 'a'='a"];

/// Every text operator, the choices and the pattern, with hostile operands: none of them is
/// in the SQL, the tables survive, and the answer is still the evaluator's.
#[test]
fn user_text_never_becomes_sql_text() {
    let mut ds = world();
    let schema = schema();
    let thing = type_def(&schema, "thing");
    for (id, text) in HOSTILE.iter().enumerate() {
        ds.insert(&thing.name, record(thing, 20 + id as i64, &[("name", Value::Text((*text).to_owned()))]));
    }
    let (ws, stored) = workspace_of(&ds);
    let before = ws.count_records(&name("thing")).expect("count");
    for text in HOSTILE {
        let mut conditions = Vec::new();
        for operator in [Equals, NotEquals, Contains, NotContains, BeginsWith, NotBeginsWith, EndsWith, NotEndsWith] {
            conditions.push(cond("name", operator, t(text)));
            conditions.push(cond("company.name", operator, t(text)));
        }
        conditions.push(cond("name", AnyOf, tl(&[text, "x"])));
        conditions.push(cond("name", NoneOf, tl(&[text])));
        conditions.push(cond("name", MatchesPattern, t(&regex_escape(text))));
        conditions.push(cond("size", AnyOf, choices(&[text])));
        conditions.push(has("deal", "thing", all(vec![cond("title", Contains, t(text))])));
        for condition in conditions {
            for root in [tree(all(vec![condition.clone()])), tree(not(all(vec![condition])))] {
                let sql = compile_sql(&schema, thing, &root, &ctx());
                assert!(!sql.where_sql.contains(text), "{text:?} in {}", sql.where_sql);
                assert!(!sql.where_sql.contains(['\'', '%', '\\', ';']), "{}", sql.where_sql);
                assert!(
                    sql.params.iter().any(|p| matches!(p, SqlParam::Text(bound) if bound.contains(&text.to_lowercase()) || bound.contains(&regex_escape(text)))),
                    "{text:?} is not bound: {:?}",
                    sql.params
                );
                let found = sql_matching(&ws, &ctx(), &name("thing"), &root);
                assert_eq!(found, stored.matching(&ctx(), &name("thing"), &root), "{}", sql.where_sql);
            }
        }
    }
    // `%_\` is plain text: only the record holding it contains it.
    let exact = tree(all(vec![cond("name", Contains, t("%_\\"))]));
    assert_eq!(sql_matching(&ws, &ctx(), &name("thing"), &exact), vec![RecordId(21)]);
    assert_eq!(ws.count_records(&name("thing")).expect("the table survives"), before);
}

/// A number operand is bound too, never written into the text.
#[test]
fn numbers_dates_and_ids_are_bound() {
    let schema = schema();
    let thing = type_def(&schema, "thing");
    let root = tree(all(vec![
        cond("count", Between, nr(12345.0, 67890.0)),
        cond("due", On, d("2031-07-04")),
        cond("company", Is, Operand::Record(RecordId(424_242))),
    ]));
    let sql = compile_sql(&schema, thing, &root, &ctx());
    for needle in ["12345", "67890", "2031", "424242"] {
        assert!(!sql.where_sql.contains(needle), "{needle} in {}", sql.where_sql);
    }
    assert_eq!(sql.params.len(), 5, "{:?}", sql.params);
}

/// What "matches pattern" reads literally.
fn regex_escape(text: &str) -> String {
    regex::escape(text)
}
