//! The persisted form: round trips, old files keep loading, errors name the place.

mod common;

use common::r#gen::{arb_segment_tree, arb_tree};
use common::*;
use proptest::prelude::{ProptestConfig, prop_assert_eq, proptest};
use segment_builder::domain::condition_format::{FORMAT_VERSION, FormatError, from_ron, to_ron};
use segment_builder::domain::validate::validate;
use segment_builder::domain::{DateUnit, Group, Operand, Operator::*, RecordId, Schema, SellerId, TeamId};

/// The tree of `tests/data/conditions_v1.ron`.
fn sample_tree() -> Group {
    tree(all(vec![
        cond("industry", AnyOf, choices(&["Software", "consulting"])),
        cond("country", NoneOf, tl(&["US", "Canada"])),
        cond("name", NotContains, t(r"100% O'Brien_\test")),
        cond("website", MatchesPattern, t(r"\.(de|fr)$")),
        cond("parent_account.country", Equals, t("ÉMILE")),
        cond("employee_count", Between, nr(50.0, 5000.0)),
        cond("employee_count", AnyOf, nl(&[10.0, -20.0])),
        cond("annual_revenue", GreaterOrEqual, n(1_000_000.5)),
        cond("created_on", OnOrAfter, d("2025-01-01")),
        cond("created_on", Before, d("2026-03-31T09:30:00")),
        cond("created_on", InLast, rel(3, DateUnit::Months)),
        cond("created_on", ThisQuarter, NONE),
        cond("email", IsEmpty, NONE),
        cond("phone", IsNotEmpty, NONE),
        group(not(any(vec![
            cond("parent_account", Is, Operand::Record(RecordId(42))),
            cond("parent_account", AnyOf, Operand::Records(vec![RecordId(1), RecordId(2)])),
            cond("owner", Is, Operand::Seller(SellerId(7))),
            cond("owner", AnyOf, Operand::Sellers(vec![SellerId(7), SellerId(8)])),
            cond("owner", MemberOfTeam, Operand::Team(TeamId(3))),
        ]))),
        group(any(vec![])),
        has(
            "opportunity",
            "account",
            all(vec![
                cond("stage", AnyOf, choices(&["Propose", "Close"])),
                cond("estimated_close_date", Between, dr("2026-01-01", "2026-03-31")),
                cond("discount", LessThan, n(12.5)),
            ]),
        ),
        has_no("contact", "account", all(vec![cond("do_not_email", IsYes, NONE)])),
    ]))
}

#[test]
fn the_version_1_sample_keeps_loading() {
    let text = include_str!("data/conditions_v1.ron");
    let loaded = from_ron(text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded, sample_tree());
    let schema = Schema::built_in();
    let account = schema.get_by_str("account").unwrap_or_else(|| panic!("no account type"));
    assert_eq!(validate(&schema, account, &loaded), vec![]);
}

#[test]
fn every_operand_round_trips() {
    let root = sample_tree();
    let text = to_ron(&root);
    assert!(text.contains("version: 1"), "{text}");
    assert!(text.contains("\"parent_account.country\""), "{text}");
    assert!(text.contains("ÉMILE"), "strings stay readable: {text}");
    assert!(text.contains("\"2026-03-31T09:30:00\""), "{text}");
    assert!(!text.contains("id:"), "node ids are not persisted: {text}");
    assert_eq!(from_ron(&text), Ok(root));
}

#[test]
fn loaded_trees_get_fresh_ids() {
    let mut root = sample_tree();
    root.id = segment_builder::domain::NodeId(500);
    let loaded = from_ron(&to_ron(&root)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.id, segment_builder::domain::NodeId(0));
}

#[test]
fn numbers_that_are_not_numbers_still_load() {
    let root = tree(all(vec![cond("count", Equals, n(f64::NAN)), cond("count", LessThan, n(f64::INFINITY))]));
    let loaded = from_ron(&to_ron(&root)).unwrap_or_else(|e| panic!("{e}"));
    let text = format!("{loaded:?}");
    assert!(text.contains("NaN") && text.contains("inf"), "{text}");
}

/// Loads `text` and compares the error's Display.
fn check_error(text: &str, expected: &str) {
    match from_ron(text) {
        Ok(tree) => panic!("loaded {tree:?}"),
        Err(error) => {
            let message = error.to_string();
            assert!(message.starts_with(expected), "{message:?} should start with {expected:?}");
        }
    }
}

#[test]
fn errors_name_the_place() {
    check_error("(version: 1, root: (mode: All, children: [)", "conditions, line 1, column 43: ");
    check_error("(\n  version: 1,\n  root: (mode: Al),\n)", "conditions, line 3, column ");
    check_error(
        "(version: 1, root: (mode: All, children: [\n Condition(field: \"x\", operator: Equalz),\n]))",
        "conditions, line 2, column ",
    );
    check_error(
        "(version: 1, root: (mode: All, children: [Condition(field: \"a..b\", operator: IsEmpty)]))",
        "conditions, line 1, column 61: \"a..b\" is not a field path",
    );
    check_error(
        "(version: 1, root: (mode: All, children: [Condition(field: \"d\", operator: On, value: Date(\"2026-02-30\"))]))",
        "conditions, line 1, column ",
    );
    check_error("(version: 1, root: (mode: All, negate: true))", "conditions, line 1, column ");
    check_error("(root: (mode: All))", "conditions, line 1, column ");
    check_error("", "conditions, line 1, column 1: ");
    assert_eq!(
        from_ron("(version: 2, root: (mode: All, something_new: [1, 2]))"),
        Err(FormatError::Newer { found: 2, supported: FORMAT_VERSION })
    );
    assert_eq!(from_ron("(version: 0, root: (mode: All))"), Err(FormatError::UnknownVersion { found: 0 }));
    let bad_date = from_ron(
        "(version: 1, root: (mode: All, children: [Condition(field: \"d\", operator: On, value: Date(\"2026-02-30\"))]))",
    );
    assert!(
        matches!(&bad_date, Err(FormatError::Syntax { message, .. }) if message.contains("\"2026-02-30\" is not a date")),
        "{bad_date:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any valid tree comes back unchanged (the generator numbers ids in pre-order, as
    /// loading does).
    #[test]
    fn random_trees_round_trip(root in arb_tree(&schema(), "thing")) {
        prop_assert_eq!(from_ron(&to_ron(&root)), Ok(root));
    }

    #[test]
    fn random_trees_of_other_types_round_trip(root in arb_tree(&schema(), "company")) {
        prop_assert_eq!(from_ron(&to_ron(&root)), Ok(root));
    }

    /// Segment conditions (by id, through lookups) come back unchanged.
    #[test]
    fn trees_with_segment_conditions_round_trip(root in arb_segment_tree(&schema(), "thing")) {
        prop_assert_eq!(from_ron(&to_ron(&root)), Ok(root));
    }
}

/// Counts and aggregates of related records are written by name and read back.
#[test]
fn counts_and_aggregates_are_written_by_name() {
    use segment_builder::domain::{Aggregate, Number, Quantifier};
    let root = tree(all(vec![
        related_by(Quantifier::AtLeast(2), "deal", "thing", all(vec![cond("stage", AnyOf, choices(&["Open"]))])),
        related_by(Quantifier::Exactly(0), "deal", "thing", all(vec![])),
        related_by(
            aggregate(Aggregate::Sum, "amount", GreaterOrEqual, Number::Whole(100_000)),
            "deal",
            "thing",
            all(vec![]),
        ),
        related_by(aggregate(Aggregate::Average, "amount", NotEquals, Number::Real(2.5)), "deal", "thing", all(vec![])),
    ]));
    let text = to_ron(&root);
    assert!(text.contains("HasAtLeast(2)"), "{text}");
    assert!(text.contains("field: \"amount\""), "{text}");
    assert!(text.contains("value: 100000"), "{text}");
    assert_eq!(from_ron(&text), Ok(root));
    let written = "(version: 1, root: (mode: All, children: [Related(quantifier: Maximum((field: \"amount\", operator: LessThan, value: 9007199254740993)), record_type: \"deal\", via: \"thing\", where: (mode: All))]))";
    let loaded = from_ron(written).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        loaded,
        tree(all(vec![related_by(
            aggregate(Aggregate::Maximum, "amount", LessThan, Number::Whole(9_007_199_254_740_993)),
            "deal",
            "thing",
            all(vec![])
        )]))
    );
}
