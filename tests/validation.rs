//! Validation: every problem reported with its place; arbitrary trees never panic.

mod common;

use common::r#gen::{arb_any_tree, arb_tree, arb_world};
use common::*;
use proptest::prelude::{ProptestConfig, prop_assert, prop_assert_eq, prop_assert_ne, proptest};
use segment_builder::domain::validate::{matches_everything, validate, validate_with_limit};
use segment_builder::domain::{
    DEFAULT_MAX_DEPTH, Group, Node, NodeId, Operand, Operator::*, RecordId, SellerId, matches,
};

/// The ids a problem at `path` may name: the node there (and a related block's group).
fn ids_at(root: &Group, path: &[usize]) -> Vec<NodeId> {
    let mut group = root;
    let mut ids = vec![root.id];
    for index in path {
        match &group.children[*index] {
            Node::Group(inner) => {
                group = inner;
                ids = vec![inner.id];
            }
            Node::Related(block) => {
                group = &block.group;
                ids = vec![block.id, block.group.id];
            }
            Node::Condition(c) => ids = vec![c.id],
            Node::Segment(node) => ids = vec![node.id],
        }
    }
    ids
}

/// Validates `root` for `thing` records and compares the problems, as `(path, message)`; a
/// message ending in `…` is a prefix.
fn check(root: Group, expected: &[(&[usize], &str)]) {
    check_limit(root, DEFAULT_MAX_DEPTH, expected);
}

fn check_limit(root: Group, limit: usize, expected: &[(&[usize], &str)]) {
    let schema = schema();
    let root = tree(root);
    let problems = validate_with_limit(&schema, type_def(&schema, "thing"), &root, limit);
    let found: Vec<(Vec<usize>, String)> = problems.iter().map(|p| (p.path.clone(), p.to_string())).collect();
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for ((path, message), (want_path, want)) in found.iter().zip(expected) {
        assert_eq!(path.as_slice(), *want_path, "{message}");
        match want.strip_suffix('…') {
            Some(prefix) => assert!(message.starts_with(prefix), "{message:?} should start with {prefix:?}"),
            None => assert_eq!(message, want),
        }
    }
    for problem in &problems {
        assert!(ids_at(&root, &problem.path).contains(&problem.node), "{problem:?} names the wrong node");
    }
}

#[test]
fn problems_with_their_place() {
    check(all(vec![cond("name", Equals, t("x"))]), &[]);
    check(all(vec![cond("nope", Equals, t("x"))]), &[(&[0], "thing has no field \"nope\" (was it deleted?)")]);
    check(
        all(vec![cond("company.nope", IsEmpty, NONE)]),
        &[(&[0], "company has no field \"company.nope\" (was it deleted?)")],
    );
    check(all(vec![cond("nope.name", IsEmpty, NONE)]), &[(&[0], "thing has no field \"nope.name\" (was it deleted?)")]);
    check(
        all(vec![cond("name.x", IsEmpty, NONE)]),
        &[(&[0], "\"name.x\": Name is not a lookup, so no field can be reached through it")],
    );
    check(all(vec![cond("done", Contains, t("x"))]), &[(&[0], "Done: a Yes/No field has no operator \"contains\"")]);
    check(
        all(vec![cond("done", IsNotEmpty, NONE)]),
        &[(&[0], "Done: a Yes/No field has no operator \"is not empty\"")],
    );
    check(all(vec![cond("name", Equals, n(1.0))]), &[(&[0], "Name equals: expected a text, found a number")]);
    check(all(vec![cond("count", Equals, t("1"))]), &[(&[0], "Count =: expected a number, found a text")]);
    check(
        all(vec![cond("due", Between, nr(1.0, 2.0))]),
        &[(&[0], "Due between: expected a range of dates, found a range of numbers")],
    );
    check(all(vec![cond("name", IsEmpty, t("x"))]), &[(&[0], "Name is empty: expected no value, found a text")]);
    check(all(vec![cond("name", AnyOf, tl(&[]))]), &[(&[0], "Name is any of: choose at least one value")]);
    check(all(vec![cond("count", AnyOf, nl(&[]))]), &[(&[0], "Count is any of: choose at least one value")]);
    check(all(vec![cond("size", NoneOf, choices(&[]))]), &[(&[0], "Size is none of: choose at least one value")]);
    check(
        all(vec![cond("company", AnyOf, Operand::Records(vec![]))]),
        &[(&[0], "Company is any of: choose at least one value")],
    );
    check(
        all(vec![cond("owner", AnyOf, Operand::Sellers(vec![]))]),
        &[(&[0], "Owner is any of: choose at least one value")],
    );
    check(all(vec![cond("name", Contains, t(" "))]), &[(&[0], "Name contains: enter a value")]);
    check(
        all(vec![cond("size", AnyOf, choices(&["Huge", "small"]))]),
        &[(&[0], "Size: \"Huge\" is not one of its options")],
    );
    check(all(vec![cond("name", MatchesPattern, t("("))]), &[(&[0], "Name: not a valid pattern: regex parse error…")]);
    check(all(vec![cond("name", MatchesPattern, t("a{99999}{99999}"))]), &[(&[0], "Name: not a valid pattern: …")]);
    check(
        all(vec![cond("price", Between, nr(5.0, 1.0))]),
        &[(&[0], "Price between: the first value (5) is after the second (1)")],
    );
    check(all(vec![cond("price", Between, nr(1.0, 1.0))]), &[]);
    check(
        all(vec![cond("due", Between, dr("2026-03-02", "2026-03-01"))]),
        &[(&[0], "Due between: the first value (2026-03-02) is after the second (2026-03-01)")],
    );
    check(all(vec![cond("count", Equals, n(f64::NAN))]), &[(&[0], "Count: not a number")]);
    check(all(vec![cond("count", AnyOf, nl(&[1.0, f64::NAN, f64::INFINITY]))]), &[(&[0], "Count: not a number")]);
    check(all(vec![cond("count", Between, nr(f64::NAN, 1.0))]), &[(&[0], "Count: not a number")]);
    // Related blocks.
    check(all(vec![has("deal", "thing", all(vec![]))]), &[]);
    check(all(vec![has("nothing", "thing", all(vec![]))]), &[(&[0], "there is no record type \"nothing\"")]);
    check(
        all(vec![has_no("deal", "company", all(vec![]))]),
        &[(&[0], "deal has no lookup \"company\" pointing at thing")],
    );
    check(all(vec![has("deal", "title", all(vec![]))]), &[(&[0], "deal has no lookup \"title\" pointing at thing")]);
    check(all(vec![has("deal", "nope", all(vec![]))]), &[(&[0], "deal has no lookup \"nope\" pointing at thing")]);
    check(
        all(vec![has(
            "deal",
            "thing",
            all(vec![cond("stage", AnyOf, choices(&["Won"])), cond("name", IsEmpty, NONE)]),
        )]),
        &[(&[0, 1], "deal has no field \"name\" (was it deleted?)")],
    );
    // Every problem, in tree order.
    check(
        any(vec![
            cond("nope", IsEmpty, NONE),
            group(not(all(vec![cond("count", Equals, n(0.0)), cond("size", AnyOf, choices(&["Huge", "Tiny"]))]))),
            cond("owner", Is, Operand::Seller(SellerId(1))),
            cond("company", Is, Operand::Record(RecordId(1))),
            cond("company.industry", AnyOf, choices(&["Mining"])),
        ]),
        &[
            (&[0], "thing has no field \"nope\" (was it deleted?)"),
            (&[1, 1], "Size: \"Huge\" is not one of its options"),
            (&[1, 1], "Size: \"Tiny\" is not one of its options"),
            (&[4], "Industry: \"Mining\" is not one of its options"),
        ],
    );
}

#[test]
fn depth_counts_groups_hops_and_related_blocks() {
    let nested = |levels: usize| {
        let mut g = all(vec![cond("name", IsEmpty, NONE)]);
        for _ in 1..levels {
            g = all(vec![group(g)]);
        }
        g
    };
    check(nested(DEFAULT_MAX_DEPTH), &[]);
    let too_deep: &[usize] = &[0; 10];
    check(nested(DEFAULT_MAX_DEPTH + 1), &[(too_deep, "nested 11 levels deep; at most 10 levels are allowed")]);
    check(nested(DEFAULT_MAX_DEPTH + 3), &[(too_deep, "nested 11 levels deep; at most 10 levels are allowed")]);
    check_limit(all(vec![group(all(vec![]))]), 2, &[]);
    check_limit(
        all(vec![group(all(vec![group(all(vec![]))]))]),
        2,
        &[(&[0, 0], "nested 3 levels deep; at most 2 levels are allowed")],
    );
    check_limit(all(vec![cond("company.name", IsEmpty, NONE)]), 2, &[]);
    check_limit(
        all(vec![cond("company.parent.name", IsEmpty, NONE)]),
        2,
        &[(&[0], "nested 3 levels deep; at most 2 levels are allowed")],
    );
    check_limit(all(vec![has("deal", "thing", all(vec![cond("title", IsEmpty, NONE)]))]), 2, &[]);
    check_limit(
        all(vec![has("deal", "thing", all(vec![cond("company.name", IsEmpty, NONE)]))]),
        2,
        &[(&[0, 0], "nested 3 levels deep; at most 2 levels are allowed")],
    );
    // Problems below the limit are still reported, the depth only once per branch.
    check_limit(
        all(vec![group(all(vec![cond("nope", IsEmpty, NONE), cond("company.name", IsEmpty, NONE)]))]),
        1,
        &[
            (&[0], "nested 2 levels deep; at most 1 levels are allowed"),
            (&[0, 0], "thing has no field \"nope\" (was it deleted?)"),
        ],
    );
}

#[test]
fn a_very_deep_tree_is_reported_and_evaluated_without_overflow() {
    let mut g = all(vec![]);
    for _ in 0..300 {
        g = not(all(vec![group(g)]));
    }
    let root = tree(g);
    let schema = schema();
    let problems = validate(&schema, type_def(&schema, "thing"), &root);
    assert_eq!(problems.len(), 1);
    let ds = world();
    let thing = type_def(&schema, "thing");
    let record = record(thing, 1, &[]);
    // Past `eval::HARD_DEPTH_LIMIT` the innermost piece counts as false; the point is that
    // evaluation returns at all.
    let matched: bool = matches(&ds, &ctx(), thing, &record, &root);
    assert_eq!(matched, matches(&ds, &ctx(), thing, &record, &root));
}

#[test]
fn matches_everything_hints() {
    let cases = [
        (all(vec![]), true),
        (any(vec![]), false),
        (not(all(vec![])), false),
        (not(any(vec![])), true),
        (all(vec![group(all(vec![])), group(not(any(vec![])))]), true),
        (any(vec![group(all(vec![])), cond("name", IsEmpty, NONE)]), true),
        (all(vec![cond("name", IsEmpty, NONE)]), false),
        (not(all(vec![group(any(vec![]))])), true),
        (all(vec![has("deal", "thing", all(vec![]))]), false),
    ];
    for (root, expected) in cases {
        assert_eq!(matches_everything(&root), expected, "{root:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any tree, however wrong, is validated and evaluated without a panic; a tree without
    /// problems really has none of the pieces the evaluator treats as false.
    #[test]
    fn arbitrary_trees_never_panic(root in arb_any_tree(&schema()), ds in arb_world(&schema())) {
        let schema = schema();
        for ty in &schema.types {
            let problems = validate(&schema, ty, &root);
            for problem in &problems {
                prop_assert!(!problem.to_string().is_empty());
                prop_assert!(ids_at(&root, &problem.path).contains(&problem.node));
            }
            for record in ds.records(&ty.name) {
                let _matched: bool = matches(&ds, &ctx(), ty, record, &root);
            }
        }
    }

    /// Generated valid trees validate cleanly, and a negated tree is the exact complement.
    #[test]
    fn valid_trees_have_no_problems(root in arb_tree(&schema(), "thing"), ds in arb_world(&schema())) {
        let schema = schema();
        let thing = type_def(&schema, "thing");
        prop_assert_eq!(validate(&schema, thing, &root), vec![]);
        let negated = not(root.clone());
        for record in ds.records(&thing.name) {
            prop_assert_ne!(matches(&ds, &ctx(), thing, record, &root), matches(&ds, &ctx(), thing, record, &negated));
        }
    }
}

/// Segments for the segment-condition checks: 1 "A" (thing) matches the conditions of 2;
/// 2 "B" (thing) has no conditions; 3 "Deep" (thing) nests three levels; 4 "Companies" is
/// of the company type; 5 "C" and 6 "D" (things) name each other (stored so by an older
/// build or another program).
fn segment_definitions() -> segment_builder::domain::Definitions {
    use segment_builder::domain::SegmentTest::{InSegment, MatchesConditions, NotInSegment};
    use segment_builder::domain::{Definition, Definitions, RecordTypeName, SegmentId};
    let mut definitions = Definitions::default();
    let mut add = |id: i64, name: &str, ty: &str, root: Group| {
        let definition =
            Definition { name: name.to_owned(), record_type: RecordTypeName::new(ty), conditions: tree(root) };
        definitions.insert(SegmentId(id), definition);
    };
    add(1, "A", "thing", all(vec![seg("", MatchesConditions, 2)]));
    add(2, "B", "thing", all(vec![]));
    add(5, "C", "thing", all(vec![seg("", InSegment, 6)]));
    add(6, "D", "thing", all(vec![seg("", NotInSegment, 5)]));
    add(3, "Deep", "thing", all(vec![group(all(vec![group(all(vec![cond("name", IsEmpty, Operand::None)]))]))]));
    add(4, "Companies", "company", all(vec![]));
    definitions
}

/// Validates `root` as the conditions of segment `this` (of `thing`), as `(path, message)`.
fn check_segment(this: Option<i64>, root: Group, limit: usize) -> Vec<(Vec<usize>, String)> {
    let schema = schema();
    let root = tree(root);
    let this = this.map(segment_builder::domain::SegmentId);
    let problems = segment_builder::domain::validate::validate_segment(
        &schema,
        type_def(&schema, "thing"),
        &root,
        limit,
        &segment_definitions(),
        this,
    );
    for problem in &problems {
        assert!(ids_at(&root, &problem.path).contains(&problem.node), "{problem:?} names the wrong node");
    }
    problems.iter().map(|p| (p.path.clone(), p.to_string())).collect()
}

#[test]
fn segment_conditions_name_known_segments_of_the_type_without_a_cycle() {
    use segment_builder::domain::SegmentTest::{InSegment, MatchesConditions, NotInSegment};
    let ok: Vec<(Vec<usize>, String)> = Vec::new();
    assert_eq!(check_segment(None, all(vec![seg("", InSegment, 2)]), 10), ok.clone());
    assert_eq!(check_segment(None, all(vec![seg("company", NotInSegment, 4)]), 10), ok.clone());
    // A missing segment, one of another type, a path that is no lookup.
    assert_eq!(
        check_segment(None, all(vec![cond("name", IsEmpty, Operand::None), seg("", InSegment, 99)]), 10),
        vec![(vec![1], "there is no segment #99 (was it deleted?)".to_owned())]
    );
    assert_eq!(
        check_segment(None, all(vec![seg("", MatchesConditions, 4)]), 10),
        vec![(vec![0], "segment \"Companies\" groups companys, not things".to_owned())]
    );
    assert_eq!(check_segment(None, all(vec![seg("company", InSegment, 2)]), 10).len(), 1);
    assert_eq!(check_segment(None, all(vec![seg("name", InSegment, 2)]), 10).len(), 1);
    // A cycle, named round: the draft of B naming A, which matches B's conditions; also
    // through "matches the conditions of", inside a group.
    assert_eq!(
        check_segment(Some(2), all(vec![group(any(vec![seg("", InSegment, 1)]))]), 10),
        vec![(vec![0, 0], "segments use each other in a cycle: B → A → B".to_owned())]
    );
    assert_eq!(check_segment(Some(1), all(vec![seg("", MatchesConditions, 2)]), 10), ok.clone());
    // A segment naming itself.
    assert_eq!(
        check_segment(Some(3), all(vec![seg("", NotInSegment, 3)]), 10),
        vec![(vec![0], "segments use each other in a cycle: Deep → Deep".to_owned())]
    );
    // A cycle among others, reached from a new segment's draft.
    assert_eq!(
        check_segment(None, all(vec![seg("", MatchesConditions, 5)]), 10),
        vec![(vec![0], "segments use each other in a cycle: C → D → C".to_owned())]
    );
    // "matches the conditions of" counts the referenced tree's nesting from its place:
    // Deep is 3 levels, so at the root's level (1) it reaches 4.
    assert_eq!(check_segment(None, all(vec![seg("", MatchesConditions, 3)]), 4), ok);
    assert_eq!(
        check_segment(None, all(vec![seg("", MatchesConditions, 3)]), 3),
        vec![(vec![0], "nested 4 levels deep; at most 3 levels are allowed".to_owned())]
    );
}
