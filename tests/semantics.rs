//! The semantics of BRIEF.md, one line per case. `check` evaluates one condition on one
//! `thing` record (see `common::schema`) at the table clock: Tuesday 2026-03-31, 12:00 in
//! Europe/Berlin. Every negative operator is also checked to be the complement of its twin.
//! Every line is checked three times: by the reference evaluator, by the fast engine over a
//! snapshot of the same records, and through the SQL compiler against a real workspace
//! holding them.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

mod common;

use std::cell::RefCell;

use common::workspace::{sql_matching, workspace_of};
use common::*;
use segment_builder::domain::eval::matches;
use segment_builder::domain::{
    Dataset,
    DateUnit::{Days, Months, Weeks, Years},
    EvalContext, Number, Operand, Operator,
    Operator::*,
    RecordId, SellerId, TeamId, Value,
};
use segment_builder::engine::{Snapshot, compile};
use segment_builder::store::Workspace;

fn check(field: &str, value: Value, operator: Operator, operand: Operand, expected: bool) {
    check_with(&ctx(), field, value, operator, operand, expected);
}

fn check_in(now: &str, zone: &str, field: &str, value: Value, operator: Operator, operand: Operand, expected: bool) {
    check_with(&ctx_at(now, zone), field, value, operator, operand, expected);
}

fn check_with(ctx: &EvalContext, field: &str, value: Value, operator: Operator, operand: Operand, expected: bool) {
    let eval = |operator| eval_one(ctx, field, &value, operator, &operand);
    let sql = |operator| sql_one(ctx, field, &value, operator, &operand);
    let fast = |operator| fast_one(ctx, field, &value, operator, &operand);
    assert_eq!(eval(operator), expected, "{field} = {value:?}: {operator:?} {operand:?}");
    assert_eq!(fast(operator), expected, "fast: {field} = {value:?}: {operator:?} {operand:?}");
    assert_eq!(sql(operator), expected, "through SQL: {field} = {value:?}: {operator:?} {operand:?}");
    if let Some(twin) = operator.positive_twin() {
        assert_eq!(eval(twin), !expected, "{field} = {value:?}: {twin:?} {operand:?} (the twin)");
        assert_eq!(fast(twin), !expected, "fast: {field} = {value:?}: {twin:?} {operand:?} (the twin)");
        assert_eq!(sql(twin), !expected, "through SQL: {field} = {value:?}: {twin:?} {operand:?} (the twin)");
    }
}

/// Like `eval_one`, through a snapshot of the world and the subject, and the fast engine.
fn fast_one(ctx: &EvalContext, field: &str, value: &Value, operator: Operator, operand: &Operand) -> bool {
    let mut ds = world();
    let schema = schema();
    let thing = type_def(&schema, "thing");
    ds.insert(&thing.name, record(thing, 1000, &[(field, value.clone())]));
    let by_type = schema.types.iter().map(|t| (&t.name, ds.records(&t.name)));
    let teams = (0..9).map(|t| (TeamId(t), ds.team_members(TeamId(t)).to_vec()));
    let snapshot = Snapshot::build(&schema, ctx.time_zone.clone(), by_type, teams);
    let root = tree(all(vec![cond(field, operator, operand.clone())]));
    let compiled = compile(&snapshot, &thing.name, &root, ctx).expect("the snapshot is in the context's zone");
    compiled.matching_ids(&snapshot).contains(&RecordId(1000))
}

/// A condition that does not fit the schema is false, whatever the operator.
fn check_unfit(field: &str, value: Value, operator: Operator, operand: Operand) {
    assert!(!eval_one(&ctx(), field, &value, operator, &operand), "{field} = {value:?}: {operator:?} {operand:?}");
    assert!(!sql_one(&ctx(), field, &value, operator, &operand), "through SQL: {field} = {value:?}: {operator:?}");
}

fn eval_one(ctx: &EvalContext, field: &str, value: &Value, operator: Operator, operand: &Operand) -> bool {
    let ds = world();
    let schema = schema();
    let thing = type_def(&schema, "thing");
    let subject = record(thing, 1000, &[(field, value.clone())]);
    matches(&ds, ctx, thing, &subject, &tree(all(vec![cond(field, operator, operand.clone())])))
}

thread_local! {
    /// `world()` in a workspace, made once per test thread; `sql_one` adds its subject and
    /// removes it again.
    static STORE: RefCell<Option<Workspace>> = const { RefCell::new(None) };
}

/// Like `eval_one`, through `compile_sql` and `Workspace::matching_ids`.
fn sql_one(ctx: &EvalContext, field: &str, value: &Value, operator: Operator, operand: &Operand) -> bool {
    STORE.with_borrow_mut(|slot| {
        let ws = slot.get_or_insert_with(|| workspace_of(&world()).0);
        let schema = schema();
        let thing = type_def(&schema, "thing");
        let subject = record(thing, 0, &[(field, value.clone())]);
        let id = ws.insert_record(&thing.name, subject.values).expect("the subject fits the store");
        let found = sql_matching(ws, ctx, &thing.name, &tree(all(vec![cond(field, operator, operand.clone())])));
        ws.delete_record(&thing.name, id).expect("the subject is removed");
        found.contains(&id)
    })
}

fn txt(s: &str) -> Value {
    Value::Text(s.to_owned())
}
fn int(n: i64) -> Value {
    Value::WholeNumber(n)
}
fn dec(x: f64) -> Value {
    Value::Decimal(x)
}
fn money(x: f64) -> Value {
    Value::Money(x)
}
fn day(s: &str) -> Value {
    Value::Date(date(s))
}
fn ts(s: &str) -> Value {
    Value::DateTime(instant(s))
}
fn opt(s: &str) -> Value {
    Value::Choice(s.to_owned())
}
const E: Value = Value::Empty;

#[test]
fn text() {
    check("name", txt("ÉMILE"), Equals, t("émile"), true);
    check("name", txt("émile"), Equals, t("ÉMILE"), true);
    check("name", txt("Émile"), Equals, t("EMILE"), false); // no accent folding
    check("name", txt("Straße"), EndsWith, t("SSE"), true); // full case folding: ß is ss
    check("name", txt(" UK"), Equals, t("UK"), false); // nothing is trimmed
    check("name", txt("UK"), Equals, t("uk"), true);
    check("name", E, Equals, t("UK"), false);
    check("name", E, NotEquals, t("UK"), true);
    check("name", txt("UK"), NotEquals, t("uk"), false);
    check("name", txt("FR"), NotEquals, t("UK"), true);
    check("name", txt("100% sure"), Contains, t("0%"), true);
    check("name", txt("100 sure"), Contains, t("%"), false);
    check("name", txt("100 sure"), Equals, t("100%"), false); // % is no wildcard
    check("name", txt("a_b"), Contains, t("_"), true);
    check("name", txt("axb"), Equals, t("a_b"), false); // _ is no wildcard
    check("name", txt(r"C:\dir"), Contains, t(r"\d"), true);
    check("name", txt("C:dir"), Contains, t(r"\d"), false); // \ is no escape
    check("name", txt(r"\"), Equals, t(r"\"), true);
    check("name", txt("%"), Equals, t("%"), true);
    check("name", txt("O'Brien"), BeginsWith, t("o'"), true);
    check("name", txt("O'Brien"), NotBeginsWith, t("o'"), false);
    check("name", txt("O'Brien"), NotBeginsWith, t("Brien"), true);
    check("name", E, BeginsWith, t("a"), false);
    check("name", E, NotBeginsWith, t("a"), true);
    check("name", txt("ÉMILE"), EndsWith, t("ile"), true);
    check("name", txt("ÉMILE"), NotEndsWith, t("ile"), false);
    check("name", E, NotEndsWith, t("ile"), true);
    check("name", txt("Émile"), Contains, t("MIL"), true);
    check("name", E, Contains, t("x"), false);
    check("name", E, NotContains, t("x"), true);
    check("name", txt("abc"), NotContains, t("B"), false);
    check("name", txt("UK"), AnyOf, tl(&["uk", "fr"]), true);
    check("name", txt("DE"), AnyOf, tl(&["uk", "fr"]), false);
    check("name", E, AnyOf, tl(&["uk"]), false);
    check("name", E, NoneOf, tl(&["uk"]), true);
    check("name", txt("UK"), NoneOf, tl(&["uk"]), false);
    check("name", txt("a%"), AnyOf, tl(&["a_", "a%"]), true);
    check("name", txt("Bob@EXAMPLE.com"), MatchesPattern, t(r"^[a-z]+@example\.com$"), true);
    check("name", txt("bob@example.org"), MatchesPattern, t(r"^[a-z]+@example\.com$"), false);
    check("name", txt("ÉMILE"), MatchesPattern, t("^émile$"), true);
    check("name", E, MatchesPattern, t(".*"), false);
    check("name", txt("("), MatchesPattern, t("("), false); // an invalid pattern matches nothing
    check("name", E, IsEmpty, NONE, true);
    check("name", txt("   "), IsEmpty, NONE, true); // blank text is stored as empty
    check("name", txt("x"), IsEmpty, NONE, false);
    check("name", txt("x"), IsNotEmpty, NONE, true);
}

/// What "ignores case" means: Unicode full case folding (CaseFolding.txt C and F), the same
/// in every evaluator; see docs/conditions.md.
#[test]
fn text_ignores_case_by_full_case_folding() {
    check("name", txt("Straße"), Contains, t("strasse"), true);
    check("name", txt("Straße"), Equals, t("STRASSE"), true);
    check("name", txt("STRASSE"), Equals, t("straße"), true);
    check("name", txt("Straße"), BeginsWith, t("STRAS"), true);
    check("name", txt("Straße"), EndsWith, t("e"), true);
    check("name", txt("Maß"), EndsWith, t("ss"), true); // the folded value is longer
    check("name", txt("Maß"), EndsWith, t("aß"), true);
    check("name", txt("ss"), EndsWith, t("ß"), true);
    check("name", txt("s"), EndsWith, t("ß"), false); // the folded part is longer than the value
    check("name", txt("Straße"), AnyOf, tl(&["STRASSE"]), true);
    check("name", txt("ΟΔΟΣ"), Equals, t("οδοσ"), true); // Σ and final ς both fold to σ
    check("name", txt("ΟΔΟΣ"), Equals, t("οδος"), true);
    check("name", txt("οδος"), EndsWith, t("Σ"), true);
    check("name", txt("İstanbul"), Equals, t("istanbul"), false); // İ folds to i + U+0307
    check("name", txt("İstanbul"), Equals, t("i\u{307}stanbul"), true);
    check("name", txt("İstanbul"), BeginsWith, t("i"), true);
    check("name", txt("İstanbul"), Contains, t("STANBUL"), true);
    check("name", txt("ǅemal"), Equals, t("ǄEMAL"), true); // the title case digraph
    check("name", txt("ǅemal"), Equals, t("ǆemal"), true);
    check("name", txt("ﬁle"), Equals, t("FILE"), true); // the ligature folds to "fi"
    check("name", txt("proﬁt"), Contains, t("fit"), true);
    check("name", txt("ırmak"), Equals, t("IRMAK"), false); // no Turkic folding: ı stays ı
    check("name", txt("ırmak"), Equals, t("ırmak"), true);
    check("name", txt("Irmak"), Equals, t("irmak"), true);
    check("name", txt("Émile"), Equals, t("E\u{301}mile"), false); // no normalization
    check("size", opt("Large"), AnyOf, choices(&["LARGE"]), true);
    // A pattern folds one character to one (the regex engine's simple folding).
    check("name", txt("ΟΔΟΣ"), MatchesPattern, t("^οδος$"), true);
    check("name", txt("Straße"), MatchesPattern, t("^STRASSE$"), false);
    check("name", txt("Straße"), MatchesPattern, t("^STRAẞE$"), true);
}

#[test]
fn numbers() {
    check("count", int(0), Equals, n(0.0), true);
    check("count", int(0), Equals, n(-0.0), true);
    check("ratio", dec(-0.0), Equals, n(0.0), true);
    check("count", E, Equals, n(0.0), false);
    check("count", E, NotEquals, n(0.0), true);
    check("count", int(0), NotEquals, n(0.0), false);
    check("count", int(-5), NotEquals, n(5.0), true);
    check("count", int(-5), LessThan, n(0.0), true);
    check("count", int(0), LessThan, n(0.0), false);
    check("count", int(0), LessOrEqual, n(0.0), true);
    check("count", int(-1), GreaterThan, n(-2.0), true);
    check("count", int(-2), GreaterThan, n(-2.0), false);
    check("count", int(-2), GreaterOrEqual, n(-2.0), true);
    check("count", E, LessThan, n(5.0), false);
    check("count", E, GreaterOrEqual, n(-5.0), false);
    check("count", int(3), LessThan, n(3.5), true);
    check("price", money(10.0), Between, nr(10.0, 20.0), true);
    check("price", money(20.0), Between, nr(10.0, 20.0), true);
    check("price", money(20.01), Between, nr(10.0, 20.0), false);
    check("price", money(9.99), Between, nr(10.0, 20.0), false);
    check("price", money(-1.0), Between, nr(-5.0, -1.0), true);
    check("price", money(0.0), Between, nr(0.0, 0.0), true);
    check("price", E, Between, nr(-5.0, 5.0), false);
    check("ratio", dec(0.5), Between, nr(0.25, 0.75), true);
    check("count", int(2), AnyOf, nl(&[1.0, 2.0, 3.0]), true);
    check("count", int(4), AnyOf, nl(&[1.0, 2.0, 3.0]), false);
    check("count", E, AnyOf, nl(&[0.0]), false);
    check("count", int(9_007_199_254_740_992), Equals, n(9_007_199_254_740_992.0), true);
    check("price", money(1.5), GreaterThan, n(1.0), true);
    check("price", money(f64::NAN), IsEmpty, NONE, true); // a non-finite number is stored as empty
    check("count", E, IsEmpty, NONE, true);
    check("count", int(0), IsEmpty, NONE, false);
    check("count", int(0), IsNotEmpty, NONE, true);
}

/// Whole numbers compare as `i64`, money as whole cents, both exactly against the typed
/// number; decimals compare their `f64` exactly.
#[test]
fn exact_numbers() {
    const TWO_53: i64 = 9_007_199_254_740_992;
    check("count", int(TWO_53 + 1), Equals, w(TWO_53), false);
    check("count", int(TWO_53 + 1), Equals, w(TWO_53 + 1), true);
    check("count", int(TWO_53), LessThan, w(TWO_53 + 1), true);
    check("count", int(TWO_53 + 1), GreaterThan, w(TWO_53), true);
    check("count", int(TWO_53 + 1), AnyOf, Operand::NumberList(vec![Number::Whole(TWO_53)]), false);
    check(
        "count",
        int(TWO_53 + 1),
        Between,
        Operand::NumberRange { low: Number::Whole(TWO_53 + 1), high: Number::Whole(TWO_53 + 1) },
        true,
    );
    check("count", int(i64::MAX), GreaterOrEqual, n(9_223_372_036_854_775_808.0), false); // 2^63
    check("count", int(i64::MAX), LessThan, n(9_223_372_036_854_775_808.0), true);
    check("count", int(i64::MAX), Equals, w(i64::MAX), true);
    check("count", int(i64::MAX - 1), Equals, w(i64::MAX), false);
    check("count", int(i64::MIN), LessOrEqual, w(i64::MIN), true);
    check("count", int(i64::MIN), GreaterThan, n(-9_223_372_036_854_777_856.0), true); // below -2^63
    check("count", int(i64::MIN), LessThan, w(i64::MIN), false);
    // A number with a fraction against whole numbers, exactly.
    check("count", int(2), Equals, n(2.5), false);
    check("count", int(3), Equals, n(2.5), false);
    check("count", int(2), GreaterThan, n(2.5), false);
    check("count", int(3), GreaterThan, n(2.5), true);
    check("count", int(2), LessThan, n(2.5), true);
    check("count", int(3), LessOrEqual, n(2.5), false);
    check("count", int(-3), LessThan, n(-2.5), true);
    check("count", int(-2), LessThan, n(-2.5), false);
    check("count", int(2), Between, nr(1.5, 2.5), true);
    check("count", int(2), Between, nr(2.1, 2.9), false);
    check("count", int(2), AnyOf, nl(&[2.5, 2.0]), true);
    check("count", int(TWO_53 + 1), LessThan, n(9_007_199_254_740_994.0), true);
    check("count", int(TWO_53 + 2), LessThan, n(9_007_199_254_740_994.0), false);
    // Money in whole cents.
    check("price", money(19.99), Equals, n(19.99), true);
    check("price", money(0.1 + 0.2), Equals, n(0.3), true); // 0.30000000000000004 is 30 cents
    check("price", money(0.1 + 0.2), GreaterThan, n(0.3), false);
    check("price", money(19.99), Equals, n(19.985), false); // a fraction of a cent matches no amount
    check("price", money(19.99), GreaterThan, n(19.985), true);
    check("price", money(19.98), GreaterThan, n(19.985), false);
    check("price", money(-0.01), LessThan, w(0), true);
    check("price", money(12_345_678_901.23), Equals, n(12_345_678_901.23), true);
    // Decimals compare exactly, also against whole numbers beyond 2^53.
    check("ratio", dec(9_007_199_254_740_992.0), Equals, w(TWO_53 + 1), false);
    check("ratio", dec(9_007_199_254_740_992.0), LessThan, w(TWO_53 + 1), true);
    check("ratio", dec(0.1 + 0.2), Equals, n(0.3), false); // an f64 as it is
    check("ratio", dec(2.5), GreaterThan, w(2), true);
    check("count", E, Equals, n(2.5), false);
    check("count", E, NotEquals, n(2.5), true);
}

#[test]
fn dates_by_calendar_day() {
    check("due", day("2026-03-31"), Today, NONE, true);
    check("due", day("2026-03-30"), Yesterday, NONE, true);
    check("due", day("2026-04-01"), Tomorrow, NONE, true);
    check("due", day("2026-04-01"), Today, NONE, false);
    check("due", E, Today, NONE, false);
    check("due", day("2026-03-01"), On, d("2026-03-01"), true);
    check("due", day("2026-03-01"), NotOn, d("2026-03-01"), false);
    check("due", day("2026-03-02"), NotOn, d("2026-03-01"), true);
    check("due", E, On, d("2026-03-01"), false);
    check("due", E, NotOn, d("2026-03-01"), true);
    check("due", day("2026-02-28"), Before, d("2026-03-01"), true);
    check("due", day("2026-03-01"), Before, d("2026-03-01"), false);
    check("due", day("2026-03-01"), OnOrBefore, d("2026-03-01"), true);
    check("due", day("2026-03-02"), OnOrBefore, d("2026-03-01"), false);
    check("due", day("2026-03-02"), After, d("2026-03-01"), true);
    check("due", day("2026-03-01"), After, d("2026-03-01"), false);
    check("due", day("2026-03-01"), OnOrAfter, d("2026-03-01"), true);
    check("due", E, Before, d("2026-03-01"), false);
    check("due", E, After, d("2026-03-01"), false);
    check("due", day("2026-03-31"), Before, d("2026-03-31T09:30"), false); // a date field ignores the typed time
    check("due", day("2026-03-30"), Before, d("2026-03-31T09:30"), true);
    check("due", day("2026-03-01"), Between, dr("2026-03-01", "2026-03-31"), true);
    check("due", day("2026-03-31"), Between, dr("2026-03-01", "2026-03-31"), true);
    check("due", day("2026-02-28"), Between, dr("2026-03-01", "2026-03-31"), false);
    check("due", day("2026-04-01"), Between, dr("2026-03-01", "2026-03-31"), false);
    check("due", E, Between, dr("2026-03-01", "2026-03-31"), false);
    check("due", E, IsEmpty, NONE, true);
    check("due", day("2026-03-01"), IsNotEmpty, NONE, true);
}

#[test]
fn date_times_by_day_in_the_workspace_zone() {
    // 2026-03-30T22:30Z is 00:30 on the 31st in Berlin (CEST since the 29th).
    check("at", ts("2026-03-30T22:30:00Z"), Today, NONE, true);
    check("at", ts("2026-03-30T21:30:00Z"), Yesterday, NONE, true);
    check("at", ts("2026-03-31T22:30:00Z"), Tomorrow, NONE, true);
    check("at", ts("2026-03-31T22:30:00Z"), Today, NONE, false);
    check("at", ts("2026-03-31T10:00:00Z"), On, d("2026-03-31"), true);
    check("at", ts("2026-03-31T21:59:59Z"), On, d("2026-03-31"), true);
    check("at", ts("2026-03-31T22:00:00Z"), On, d("2026-03-31"), false);
    check("at", ts("2026-03-31T07:00:00Z"), Before, d("2026-03-31"), false); // by day
    check("at", ts("2026-03-31T07:00:00Z"), OnOrBefore, d("2026-03-31"), true);
    check("at", ts("2026-03-31T07:00:00Z"), On, d("2026-03-31T09:30"), true); // on is by day
    check("at", ts("2026-02-28T23:30:00Z"), Between, dr("2026-03-01", "2026-03-31"), true);
    check("at", ts("2026-03-31T22:30:00Z"), Between, dr("2026-03-01", "2026-03-31"), false);
    // The UTC "today" differs from Berlin's late in the evening.
    check_in("2026-03-01T12:00:00Z", "UTC", "at", ts("2026-03-01T23:30:00Z"), Today, NONE, true);
    check_in("2026-03-01T12:00:00Z", "Europe/Berlin", "at", ts("2026-03-01T23:30:00Z"), Today, NONE, false);
    check_in("2026-03-01T12:00:00Z", "Europe/Berlin", "at", ts("2026-03-01T23:30:00Z"), Tomorrow, NONE, true);
    check_in("2026-03-01T23:30:00Z", "Europe/Berlin", "due", day("2026-03-02"), Today, NONE, true);
    check_in("2026-03-01T23:30:00Z", "UTC", "due", day("2026-03-02"), Today, NONE, false);
    check_in("2026-03-01T12:00:00Z", "Europe/Berlin", "at", ts("2026-03-01T23:30:00Z"), On, d("2026-03-02"), true);
    check_in("2026-03-01T12:00:00Z", "UTC", "at", ts("2026-03-01T23:30:00Z"), On, d("2026-03-02"), false);
}

#[test]
fn date_times_before_and_after_a_typed_time_compare_instants() {
    // 07:00Z is 09:00 in Berlin; the typed 09:30 is read in Berlin (07:30Z).
    check("at", ts("2026-03-31T07:00:00Z"), Before, d("2026-03-31T09:30"), true);
    check("at", ts("2026-03-31T07:30:00Z"), Before, d("2026-03-31T09:30"), false);
    check("at", ts("2026-03-31T07:30:00Z"), OnOrBefore, d("2026-03-31T09:30"), true);
    check("at", ts("2026-03-31T07:30:01Z"), OnOrBefore, d("2026-03-31T09:30"), false);
    check("at", ts("2026-03-31T07:30:01Z"), After, d("2026-03-31T09:30"), true);
    check("at", ts("2026-03-31T07:30:00Z"), After, d("2026-03-31T09:30"), false);
    check("at", ts("2026-03-31T07:30:00Z"), OnOrAfter, d("2026-03-31T09:30"), true);
    check("at", ts("2026-03-31T07:00:00Z"), OnOrAfter, d("2026-03-31T09:30"), false);
    check("at", E, Before, d("2026-03-31T09:30"), false);
    check_in("2026-03-31T10:00:00Z", "UTC", "at", ts("2026-03-31T09:00:00Z"), Before, d("2026-03-31T09:30"), true);
}

#[test]
fn relative_ranges_are_inclusive_calendar_days() {
    // today − N ≤ d ≤ today; one month before the 31st of March is the 28th of February.
    check("due", day("2026-02-28"), InLast, rel(1, Months), true);
    check("due", day("2026-02-27"), InLast, rel(1, Months), false);
    check("due", day("2026-03-31"), InLast, rel(1, Months), true);
    check("due", day("2026-04-01"), InLast, rel(1, Months), false);
    check("due", day("2026-03-24"), InLast, rel(7, Days), true);
    check("due", day("2026-03-23"), InLast, rel(7, Days), false);
    check("due", day("2026-03-24"), InLast, rel(1, Weeks), true);
    check("due", day("2026-03-23"), InLast, rel(1, Weeks), false);
    check("due", day("2026-03-31"), InLast, rel(0, Days), true);
    check("due", day("2025-03-31"), InLast, rel(1, Years), true);
    check("due", day("2025-03-30"), InLast, rel(1, Years), false);
    check("due", E, InLast, rel(1, Years), false);
    check("at", ts("2026-02-27T23:30:00Z"), InLast, rel(1, Months), true); // the 28th in Berlin
    check("due", day("0001-01-01"), InLast, rel(u32::MAX, Years), true); // saturates
    check_in("2028-03-31T10:00:00Z", "UTC", "due", day("2028-02-29"), InLast, rel(1, Months), true);
    check_in("2028-03-31T10:00:00Z", "UTC", "due", day("2028-02-28"), InLast, rel(1, Months), false);
    check_in("2028-02-29T10:00:00Z", "UTC", "due", day("2027-02-28"), InLast, rel(1, Years), true);
    check_in("2028-02-29T10:00:00Z", "UTC", "due", day("2027-02-27"), InLast, rel(1, Years), false);
    // today ≤ d ≤ today + N
    check("due", day("2026-04-30"), InNext, rel(1, Months), true);
    check("due", day("2026-05-01"), InNext, rel(1, Months), false);
    check("due", day("2026-03-30"), InNext, rel(1, Months), false);
    check("due", day("2026-03-31"), InNext, rel(1, Days), true);
    check("due", day("2026-04-01"), InNext, rel(1, Days), true);
    check("due", day("2026-04-02"), InNext, rel(1, Days), false);
    check("due", day("2026-04-14"), InNext, rel(2, Weeks), true);
    check("due", day("2027-03-31"), InNext, rel(1, Years), true);
    check("due", day("2027-04-01"), InNext, rel(1, Years), false);
    check("due", day("9999-12-31"), InNext, rel(u32::MAX, Days), true);
    // d < today − N
    check("due", day("2026-02-27"), OlderThan, rel(1, Months), true);
    check("due", day("2026-02-28"), OlderThan, rel(1, Months), false);
    check("due", day("2026-03-23"), OlderThan, rel(7, Days), true);
    check("due", day("2026-03-24"), OlderThan, rel(1, Weeks), false);
    check("due", day("2025-03-30"), OlderThan, rel(1, Years), true);
    check("due", day("2025-03-31"), OlderThan, rel(1, Years), false);
    check("due", E, OlderThan, rel(1, Days), false);
    check("due", day("0001-01-01"), OlderThan, rel(u32::MAX, Years), false); // nothing is that old
}

#[test]
fn calendar_weeks_months_quarters_years() {
    // The week of Tuesday 2026-03-31 runs Monday 03-30 to Sunday 04-05.
    check("due", day("2026-03-30"), ThisWeek, NONE, true);
    check("due", day("2026-04-05"), ThisWeek, NONE, true);
    check("due", day("2026-03-29"), ThisWeek, NONE, false);
    check("due", day("2026-04-06"), ThisWeek, NONE, false);
    check("due", day("2026-03-23"), LastWeek, NONE, true);
    check("due", day("2026-03-29"), LastWeek, NONE, true);
    check("due", day("2026-03-30"), LastWeek, NONE, false);
    check("due", day("2026-03-22"), LastWeek, NONE, false);
    check("due", day("2026-04-06"), NextWeek, NONE, true);
    check("due", day("2026-04-12"), NextWeek, NONE, true);
    check("due", day("2026-04-13"), NextWeek, NONE, false);
    check("at", ts("2026-03-29T22:30:00Z"), ThisWeek, NONE, true); // Monday 00:30 in Berlin
    check("at", ts("2026-03-29T21:30:00Z"), ThisWeek, NONE, false); // Sunday 23:30 in Berlin
    check("at", ts("2026-03-29T21:30:00Z"), LastWeek, NONE, true);
    check_in("2026-04-05T12:00:00Z", "UTC", "due", day("2026-03-30"), ThisWeek, NONE, true); // on a Sunday
    check_in("2026-03-30T12:00:00Z", "UTC", "due", day("2026-04-05"), ThisWeek, NONE, true); // on a Monday
    check("due", day("2026-03-01"), ThisMonth, NONE, true);
    check("due", day("2026-03-31"), ThisMonth, NONE, true);
    check("due", day("2026-04-01"), ThisMonth, NONE, false);
    check("due", day("2026-02-01"), LastMonth, NONE, true);
    check("due", day("2026-02-28"), LastMonth, NONE, true);
    check("due", day("2026-03-01"), LastMonth, NONE, false);
    check("due", day("2026-04-30"), NextMonth, NONE, true);
    check("due", day("2026-05-01"), NextMonth, NONE, false);
    check_in("2026-01-15T12:00:00Z", "UTC", "due", day("2025-12-31"), LastMonth, NONE, true);
    check("due", day("2026-01-01"), ThisQuarter, NONE, true);
    check("due", day("2026-03-31"), ThisQuarter, NONE, true);
    check("due", day("2026-04-01"), ThisQuarter, NONE, false);
    check("due", day("2025-10-01"), LastQuarter, NONE, true);
    check("due", day("2025-12-31"), LastQuarter, NONE, true);
    check("due", day("2025-09-30"), LastQuarter, NONE, false);
    check("due", day("2026-01-01"), LastQuarter, NONE, false);
    check("due", day("2026-04-01"), NextQuarter, NONE, true);
    check("due", day("2026-06-30"), NextQuarter, NONE, true);
    check("due", day("2026-07-01"), NextQuarter, NONE, false);
    check_in("2026-11-15T12:00:00Z", "UTC", "due", day("2027-01-01"), NextQuarter, NONE, true);
    check_in("2026-11-15T12:00:00Z", "UTC", "due", day("2026-09-30"), LastQuarter, NONE, true);
    check("due", day("2026-01-01"), ThisYear, NONE, true);
    check("due", day("2026-12-31"), ThisYear, NONE, true);
    check("due", day("2025-12-31"), ThisYear, NONE, false);
    check("due", day("2025-01-01"), LastYear, NONE, true);
    check("due", day("2026-01-01"), LastYear, NONE, false);
    check("due", day("2027-12-31"), NextYear, NONE, true);
    check("due", day("2028-01-01"), NextYear, NONE, false);
    check("due", E, ThisYear, NONE, false);
    check("at", ts("2026-12-31T23:30:00Z"), NextYear, NONE, true); // 2027 in Berlin
}

#[test]
fn choices_yes_no_lookups_and_owners() {
    check("size", opt("Small"), AnyOf, choices(&["Small", "Large"]), true);
    check("size", opt("Medium"), AnyOf, choices(&["Small", "Large"]), false);
    check("size", opt("Small"), AnyOf, choices(&["SMALL"]), true); // labels ignore case
    check("size", E, AnyOf, choices(&["Small"]), false);
    check("size", E, NoneOf, choices(&["Small"]), true);
    check("size", opt("Medium"), NoneOf, choices(&["Small"]), true);
    check("size", opt("Small"), NoneOf, choices(&["Small"]), false);
    check("size", E, IsEmpty, NONE, true);
    check("size", opt("Small"), IsNotEmpty, NONE, true);
    check("done", Value::YesNo(true), IsYes, NONE, true);
    check("done", Value::YesNo(false), IsYes, NONE, false);
    check("done", Value::YesNo(false), IsNo, NONE, true);
    check("done", Value::YesNo(true), IsNo, NONE, false);
    check("done", E, IsYes, NONE, false);
    check("done", E, IsNo, NONE, false);
    check("done", E, IsEmpty, NONE, true);
    check("done", Value::YesNo(false), IsEmpty, NONE, false);
    check("company", Value::Lookup(RecordId(1)), Is, Operand::Record(RecordId(1)), true);
    check("company", Value::Lookup(RecordId(1)), Is, Operand::Record(RecordId(2)), false);
    check("company", E, Is, Operand::Record(RecordId(1)), false);
    check("company", Value::Lookup(RecordId(2)), AnyOf, Operand::Records(vec![RecordId(1), RecordId(2)]), true);
    check("company", Value::Lookup(RecordId(3)), AnyOf, Operand::Records(vec![RecordId(1), RecordId(2)]), false);
    check("company", E, AnyOf, Operand::Records(vec![RecordId(1)]), false);
    check("company", E, IsEmpty, NONE, true);
    check("company", Value::Lookup(RecordId(1)), IsNotEmpty, NONE, true);
    check("owner", Value::Owner(SellerId(1)), Is, Operand::Seller(SellerId(1)), true);
    check("owner", Value::Owner(SellerId(2)), Is, Operand::Seller(SellerId(1)), false);
    check("owner", E, Is, Operand::Seller(SellerId(1)), false);
    check("owner", Value::Owner(SellerId(3)), AnyOf, Operand::Sellers(vec![SellerId(1), SellerId(3)]), true);
    check("owner", Value::Owner(SellerId(2)), AnyOf, Operand::Sellers(vec![SellerId(1)]), false);
    check("owner", Value::Owner(SellerId(1)), MemberOfTeam, Operand::Team(TeamId(7)), true);
    check("owner", Value::Owner(SellerId(3)), MemberOfTeam, Operand::Team(TeamId(7)), true);
    check("owner", Value::Owner(SellerId(2)), MemberOfTeam, Operand::Team(TeamId(7)), false);
    check("owner", E, MemberOfTeam, Operand::Team(TeamId(7)), false);
    check("owner", Value::Owner(SellerId(1)), MemberOfTeam, Operand::Team(TeamId(8)), false); // no members
    check("owner", Value::Owner(SellerId(1)), MemberOfTeam, Operand::Team(TeamId(9)), false); // no such team
    check("owner", E, IsEmpty, NONE, true);
    check("owner", Value::Owner(SellerId(1)), IsNotEmpty, NONE, true);
}

#[test]
fn pieces_that_do_not_fit_the_schema_are_false() {
    check_unfit("name", txt("x"), Equals, n(1.0)); // wrong operand
    check_unfit("name", txt("x"), NotEquals, n(1.0)); // also for a negative operator
    check_unfit("name", E, NotEquals, n(1.0));
    check_unfit("name", txt("x"), IsYes, NONE); // an operator the field does not offer
    check_unfit("count", int(1), Contains, t("1"));
    check_unfit("done", E, IsNotEmpty, NONE); // yes/no offers only is empty
}

/// The ids of the records of `ty` in `world()` that `root` matches. Through SQL, on the
/// world as a workspace holds it (thing 13's dangling company is empty there), the answer
/// is the evaluator's on that world.
fn check_tree(ty: &str, root: segment_builder::domain::Group, expected: &[i64]) {
    let ds = world();
    let root = tree(root);
    let found: Vec<i64> = ds.matching(&ctx(), &name(ty), &root).into_iter().map(|id| id.0).collect();
    assert_eq!(found, expected, "{root:#?}");
    let (ws, stored) = workspace_of(&ds);
    assert_eq!(
        sql_matching(&ws, &ctx(), &name(ty), &root),
        stored.matching(&ctx(), &name(ty), &root),
        "through SQL: {root:#?}"
    );
}

/// Deals 100 (thing 10, Won, 500), 101 (thing 10, Open, 50), 102 (thing 11, Lost, 5);
/// thing 12 has none. Also through the fast engine.
#[test]
fn counts_and_aggregates_of_related_records() {
    use segment_builder::domain::Aggregate::{Average, Maximum, Minimum, Sum};
    use segment_builder::domain::Quantifier::{AtLeast, AtMost, Exactly};
    let every = || all(vec![]);
    let counted = |q, group| all(vec![related_by(q, "deal", "thing", group)]);
    check_block(counted(AtLeast(2), every()), &[10]);
    check_block(counted(AtLeast(1), every()), &[10, 11]);
    check_block(counted(AtLeast(0), every()), &[10, 11, 12, 13]);
    check_block(counted(AtMost(1), every()), &[11, 12, 13]);
    check_block(counted(AtMost(0), every()), &[12, 13]);
    check_block(counted(Exactly(1), every()), &[11]);
    check_block(counted(Exactly(0), every()), &[12, 13]);
    check_block(counted(Exactly(1), all(vec![cond("stage", AnyOf, choices(&["Open"]))])), &[10]);
    check_block(not(counted(AtLeast(2), every())), &[11, 12, 13]);
    let sum = |operator, value: f64| counted(aggregate(Sum, "amount", operator, Number::from(value)), every());
    check_block(sum(GreaterOrEqual, 550.0), &[10]);
    check_block(sum(Equals, 550.0), &[10]);
    check_block(sum(Equals, 0.0), &[12, 13]); // no deals: the sum is 0
    check_block(sum(LessThan, 10.0), &[11, 12, 13]);
    check_block(sum(NotEquals, 5.0), &[10, 12, 13]);
    check_block(sum(GreaterThan, 549.995), &[10]); // money in cents: 550.00 > 549.995
    check_block(sum(Equals, 549.995), &[]);
    let of =
        |function, operator, value: f64| counted(aggregate(function, "amount", operator, Number::from(value)), every());
    check_block(of(Average, GreaterOrEqual, 0.0), &[10, 11]); // no deals: no average
    check_block(of(Average, LessThan, 1e9), &[10, 11]);
    check_block(of(Average, NotEquals, 275.0), &[11, 12, 13]); // the complement includes no deals
    check_block(of(Average, Equals, 275.0), &[10]);
    check_block(of(Minimum, Equals, 50.0), &[10]);
    check_block(of(Maximum, GreaterThan, 400.0), &[10]);
    check_block(of(Minimum, LessOrEqual, 1e12), &[10, 11]);
    check_block(of(Maximum, NotEquals, 5.0), &[10, 12, 13]);
    let won = all(vec![cond("stage", AnyOf, choices(&["Won", "Open"]))]);
    check_block(counted(aggregate(Average, "amount", GreaterThan, Number::Real(274.99)), won), &[10]);
    // A field that is not a whole number or money, or an unfit operator: holds nowhere.
    check_block(counted(aggregate(Sum, "title", Equals, Number::Whole(0)), every()), &[]);
    check_block(counted(aggregate(Sum, "amount", Between, Number::Whole(0)), every()), &[]);
}

/// Like `check_tree`, and through the fast engine as well.
fn check_block(root: segment_builder::domain::Group, expected: &[i64]) {
    check_tree("thing", root.clone(), expected);
    let ds = world();
    let schema = schema();
    let by_type = schema.types.iter().map(|t| (&t.name, ds.records(&t.name)));
    let teams = (0..9).map(|t| (TeamId(t), ds.team_members(TeamId(t)).to_vec()));
    let snapshot = Snapshot::build(&schema, ctx().time_zone.clone(), by_type, teams);
    let root = tree(root);
    let compiled = compile(&snapshot, &name("thing"), &root, &ctx()).expect("the snapshot is in the context's zone");
    let found: Vec<i64> = compiled.matching_ids(&snapshot).into_iter().map(|id| id.0).collect();
    assert_eq!(found, expected, "fast: {root:#?}");
}

#[test]
fn groups_lookups_and_related_records() {
    check_tree("thing", all(vec![]), &[10, 11, 12, 13]);
    check_tree("thing", any(vec![]), &[]);
    check_tree("thing", not(all(vec![])), &[]);
    check_tree("thing", not(any(vec![])), &[10, 11, 12, 13]);
    check_tree("thing", all(vec![group(any(vec![])), cond("company", IsEmpty, NONE)]), &[]);
    check_tree("thing", any(vec![group(all(vec![])), cond("company", IsEmpty, NONE)]), &[10, 11, 12, 13]);
    // Lookups: a missing or dangling link makes the looked-up value empty.
    check_tree("thing", all(vec![cond("company.industry", AnyOf, choices(&["software"]))]), &[10]);
    check_tree("thing", all(vec![cond("company.industry", NoneOf, choices(&["Software"]))]), &[11, 12, 13]);
    check_tree("thing", all(vec![cond("company.country", Equals, t("fr"))]), &[11]);
    check_tree("thing", all(vec![cond("company.country", NotEquals, t("fr"))]), &[10, 12, 13]);
    check_tree("thing", all(vec![cond("company.name", Equals, t("ÉMILE sarl"))]), &[11]);
    check_tree("thing", all(vec![cond("company.parent.name", Equals, t("acme"))]), &[11]);
    check_tree("thing", all(vec![cond("company.parent.name", IsEmpty, NONE)]), &[10, 12, 13]);
    check_tree("thing", all(vec![cond("company", IsEmpty, NONE)]), &[12]);
    check_tree("thing", all(vec![cond("company.name", IsEmpty, NONE)]), &[12, 13]);
    // Related records: deals whose `thing` is this one.
    check_tree("thing", all(vec![has("deal", "thing", all(vec![]))]), &[10, 11]);
    check_tree("thing", all(vec![has_no("deal", "thing", all(vec![]))]), &[12, 13]);
    check_tree("thing", all(vec![has("deal", "thing", all(vec![cond("stage", AnyOf, choices(&["Won"]))]))]), &[10]);
    check_tree("thing", all(vec![has("deal", "thing", all(vec![cond("amount", LessThan, n(10.0))]))]), &[11]);
    check_tree(
        "thing",
        all(vec![has_no("deal", "thing", all(vec![cond("amount", GreaterThan, n(100.0))]))]),
        &[11, 12, 13],
    );
    check_tree(
        "thing",
        all(vec![has("deal", "thing", not(any(vec![cond("stage", AnyOf, choices(&["Lost"]))])))]),
        &[10],
    );
    check_tree("company", all(vec![has("company", "parent", all(vec![]))]), &[1]);
    check_tree(
        "company",
        all(vec![has("thing", "company", all(vec![cond("owner", Is, Operand::Seller(SellerId(1)))]))]),
        &[1],
    );
    check_tree(
        "company",
        all(vec![has(
            "thing",
            "company",
            all(vec![has("deal", "thing", all(vec![cond("stage", AnyOf, choices(&["Lost"]))]))]),
        )]),
        &[2],
    );
    // Owners and teams, negated groups.
    check_tree("thing", all(vec![cond("owner", MemberOfTeam, Operand::Team(TeamId(7)))]), &[10]);
    check_tree(
        "thing",
        not(any(vec![cond("owner", MemberOfTeam, Operand::Team(TeamId(7))), cond("company.country", Equals, t("FR"))])),
        &[12, 13],
    );
    check_tree(
        "thing",
        any(vec![
            cond("owner", Is, Operand::Seller(SellerId(2))),
            has("deal", "thing", all(vec![cond("stage", AnyOf, choices(&["Won"]))])),
        ]),
        &[10, 11],
    );
    // Pieces that do not fit the schema are false, and a negated group around them true.
    check_tree("thing", all(vec![has("deal", "company", all(vec![]))]), &[]);
    check_tree("thing", all(vec![has_no("deal", "company", all(vec![]))]), &[]);
    check_tree("thing", all(vec![has("nothing", "thing", all(vec![]))]), &[]);
    check_tree("thing", all(vec![cond("nope", IsEmpty, NONE)]), &[]);
    check_tree("thing", all(vec![cond("name.nope", IsEmpty, NONE)]), &[]);
    check_tree("thing", not(all(vec![cond("nope", IsEmpty, NONE)])), &[10, 11, 12, 13]);
}

/// Segments in the world's workspace: 1 "Tens" (thing, active; thing 10 a member), 2 "UK
/// companies" (company, active; company 1 a member), 3 "French companies" (company, a
/// draft: country is FR, no members), 4 "Things of French companies" (thing, a draft:
/// its company matches the conditions of 3). The reference dataset holds the same.
fn membership_world() -> (Workspace, segment_builder::domain::MemoryDataset) {
    use common::routing::{active_segment, join};
    use segment_builder::domain::{Segment, SegmentId, SegmentTest::MatchesConditions, Status};
    let (mut ws, mut stored) = workspace_of(&world());
    let now = ctx().now;
    let draft = |name: &str, ty: &str, conditions| Segment {
        id: SegmentId(0),
        record_type: name_of(ty),
        name: name.to_owned(),
        description: String::new(),
        status: Status::Draft,
        priority: 0,
        conditions,
        accept_from_other_segments: false,
        rerun_assignment_on_move: false,
        sequence: None,
        created_on: now,
        modified_on: now,
    };
    let tens = active_segment(&mut ws, &name_of("thing"), "Tens", tree(all(vec![])), now);
    let uk = active_segment(&mut ws, &name_of("company"), "UK companies", tree(all(vec![])), now);
    let french =
        ws.insert_segment(&draft("French companies", "company", tree(all(vec![cond("country", Equals, t("fr"))]))));
    let french = french.expect("segment");
    let things =
        draft("Things of French companies", "thing", tree(all(vec![seg("company", MatchesConditions, french.0)])));
    let things = ws.insert_segment(&things).expect("segment");
    assert_eq!([tens.0, uk.0, french.0, things.0], [1, 2, 3, 4]);
    join(&mut ws, &name_of("thing"), tens, &[RecordId(10)], now);
    join(&mut ws, &name_of("company"), uk, &[RecordId(1)], now);
    stored.set_definitions(ws.segment_definitions().expect("segments"));
    stored.set_membership(&name_of("thing"), RecordId(10), Some(tens));
    stored.set_membership(&name_of("company"), RecordId(1), Some(uk));
    (ws, stored)
}

fn name_of(ty: &str) -> segment_builder::domain::RecordTypeName {
    segment_builder::domain::RecordTypeName::new(ty)
}

/// `root` over things (or `ty`) in the membership world, by the reference evaluator, the
/// fast engine (the snapshot given the memberships and definitions) and SQL.
fn check_membership(ty: &str, root: segment_builder::domain::Group, expected: &[i64]) {
    let (ws, stored) = membership_world();
    let root = tree(root);
    let found: Vec<i64> = stored.matching(&ctx(), &name_of(ty), &root).into_iter().map(|id| id.0).collect();
    assert_eq!(found, expected, "{root:#?}");
    let through_sql: Vec<i64> = sql_matching(&ws, &ctx(), &name_of(ty), &root).into_iter().map(|id| id.0).collect();
    assert_eq!(through_sql, expected, "through SQL: {root:#?}");
    let schema = schema();
    let by_type = schema.types.iter().map(|t| (&t.name, stored.records(&t.name)));
    let teams = (0..9).map(|t| (TeamId(t), stored.team_members(TeamId(t)).to_vec()));
    let mut snapshot = Snapshot::build(&schema, ctx().time_zone.clone(), by_type, teams);
    snapshot.set_definitions(ws.segment_definitions().expect("segments"));
    for def in &schema.types {
        snapshot.set_memberships(&def.name, ws.memberships(&def.name).expect("memberships")).expect("type");
    }
    let compiled = compile(&snapshot, &name_of(ty), &root, &ctx()).expect("the snapshot is in the context's zone");
    let found: Vec<i64> = compiled.matching_ids(&snapshot).into_iter().map(|id| id.0).collect();
    assert_eq!(found, expected, "fast: {root:#?}");
}

/// Things 10 (company 1: Acme, UK), 11 (company 2: Émile SARL, FR, parent 1), 12 (no
/// company), 13 (a company that does not exist: empty in the workspace).
#[test]
fn segment_membership() {
    use segment_builder::domain::SegmentTest::{InSegment, MatchesConditions, NotInSegment};
    // The record's own stored membership; "is not in" is its exact complement.
    check_membership("thing", all(vec![seg("", InSegment, 1)]), &[10]);
    check_membership("thing", all(vec![seg("", NotInSegment, 1)]), &[11, 12, 13]);
    // Through a lookup: an empty or dangling link is in no segment.
    check_membership("thing", all(vec![seg("company", InSegment, 2)]), &[10]);
    check_membership("thing", all(vec![seg("company", NotInSegment, 2)]), &[11, 12, 13]);
    check_membership("thing", all(vec![seg("company.parent", InSegment, 2)]), &[11]);
    check_membership("company", all(vec![seg("parent", InSegment, 2)]), &[2]);
    check_membership("company", all(vec![seg("", InSegment, 2)]), &[1]);
    // A draft with no members: nobody is in it.
    check_membership("company", all(vec![seg("", InSegment, 3)]), &[]);
    check_membership("company", all(vec![seg("", NotInSegment, 3)]), &[1, 2, 3]);
    // "matches the conditions of": the draft's tree, live; through a lookup false where
    // the link is empty or dangling.
    check_membership("company", all(vec![seg("", MatchesConditions, 3)]), &[2]);
    check_membership("thing", all(vec![seg("company", MatchesConditions, 3)]), &[11]);
    check_membership("thing", not(all(vec![seg("company", MatchesConditions, 3)])), &[10, 12, 13]);
    check_membership("thing", all(vec![seg("", MatchesConditions, 4)]), &[11]); // 4 matches 3 through company
    check_membership("company", all(vec![has("thing", "company", all(vec![seg("", InSegment, 1)]))]), &[1]);
    // Misfits are false, also "is not in": an unknown segment, one of another type.
    check_membership("thing", all(vec![seg("", NotInSegment, 99)]), &[]);
    check_membership("thing", all(vec![seg("", NotInSegment, 2)]), &[]);
    check_membership("thing", all(vec![seg("company", MatchesConditions, 1)]), &[]);
    check_membership("thing", all(vec![seg("name", InSegment, 2)]), &[]);
    check_membership("thing", not(all(vec![seg("", InSegment, 99)])), &[10, 11, 12, 13]);
}
