use super::*;
use crate::domain::{Condition, OperandKind};

fn lead_builder() -> (Builder, Schema) {
    let schema = Schema::built_in();
    let builder = Builder::new(SegmentId(1), RecordTypeName::new("lead"), Group::all(NodeId(0)), &schema);
    (builder, schema)
}

fn ctx(schema: &Schema) -> EditContext<'_> {
    EditContext { schema, today: jiff::civil::date(2026, 11, 24) }
}

fn only_condition(builder: &Builder) -> &Condition {
    match builder.draft.children.first() {
        Some(Node::Condition(c)) => c,
        other => panic!("expected a condition, found {other:?}"),
    }
}

#[test]
fn a_new_condition_needs_a_value_before_it_can_be_saved() {
    let (mut b, schema) = lead_builder();
    assert!(b.matches_everything);
    assert!(b.apply(BuilderEdit::AddCondition { parent: NodeId(0) }, &ctx(&schema)));
    assert!(b.is_dirty());
    assert!(!b.matches_everything);
    let id = only_condition(&b).id;
    assert!(b.problems.contains_key(&id), "an empty text is a problem: {:?}", b.problems);
    b.apply(BuilderEdit::SetOperand { id, operand: Operand::Text("Acme".into()) }, &ctx(&schema));
    assert!(!b.has_problems(), "{:?}", b.problems);
}

#[test]
fn changing_field_keeps_what_fits_and_resets_the_rest() {
    let (mut b, schema) = lead_builder();
    b.apply(BuilderEdit::AddCondition { parent: NodeId(0) }, &ctx(&schema));
    let id = only_condition(&b).id;
    b.apply(BuilderEdit::SetOperand { id, operand: Operand::Text("x".into()) }, &ctx(&schema));
    b.apply(BuilderEdit::SetField { id, path: FieldPath::own("company") }, &ctx(&schema));
    assert_eq!(only_condition(&b).value, Operand::Text("x".into()));
    b.apply(BuilderEdit::SetField { id, path: FieldPath::own("score") }, &ctx(&schema));
    assert_eq!(only_condition(&b).operator, Operator::Equals);
    assert_eq!(only_condition(&b).value.kind(), OperandKind::Number);
    b.apply(BuilderEdit::SetOperator { id, operator: Operator::Between }, &ctx(&schema));
    assert_eq!(only_condition(&b).value.kind(), OperandKind::NumberRange);
}

#[test]
fn typing_keeps_the_text_and_reports_what_does_not_parse() {
    let (mut b, schema) = lead_builder();
    b.apply(BuilderEdit::AddCondition { parent: NodeId(0) }, &ctx(&schema));
    let id = only_condition(&b).id;
    b.apply(BuilderEdit::SetField { id, path: FieldPath::own("score") }, &ctx(&schema));
    let undo_depth = b.undo.len();
    for text in ["6", "60", "60x"] {
        b.apply(BuilderEdit::SetInput { id, slot: InputSlot::Number, text: text.into() }, &ctx(&schema));
    }
    assert_eq!(b.undo.len(), undo_depth + 1, "typing in one box is one undo step");
    assert_eq!(
        only_condition(&b).value,
        Operand::Number(crate::domain::Number::Whole(60)),
        "the last good number stays"
    );
    assert_eq!(b.input_text(id, InputSlot::Number, &only_condition(&b).value), "60x");
    assert_eq!(b.problems.get(&id).map(Vec::as_slice), Some(&["\"60x\" is not a number".to_owned()][..]));
    b.undo(&schema);
    assert_eq!(only_condition(&b).value, Operand::Number(crate::domain::Number::Whole(0)));
    assert!(!b.has_problems());
    b.redo(&schema);
    assert!(b.has_problems());
}

#[test]
fn lists_accept_lines_or_commas() {
    assert_eq!(split_list("France, Belgium,\n"), vec!["France", "Belgium"]);
    assert_eq!(split_list("Acme, Inc.\nGlobex\n\n"), vec!["Acme, Inc.", "Globex"]);
    assert_eq!(parse_number("10,000"), Ok(crate::domain::Number::Whole(10_000)));
    assert_eq!(parse_number("9,007,199,254,740,993"), Ok(crate::domain::Number::Whole(9_007_199_254_740_993)));
    assert_eq!(parse_number("2.5"), Ok(crate::domain::Number::Real(2.5)));
    assert!(parse_number("1e999").is_err());
    assert!(parse_number("1,5").is_err(), "a comma only separates thousands");
}

#[test]
fn undo_and_redo_walk_every_edit_and_discard_returns_to_saved() {
    let (mut b, schema) = lead_builder();
    let c = ctx(&schema);
    b.apply(BuilderEdit::AddGroup { parent: NodeId(0) }, &c);
    b.apply(BuilderEdit::SetMode { group: NodeId(0), mode: GroupMode::Any }, &c);
    let after_two = b.draft.clone();
    assert!(b.undo(&schema));
    assert_eq!(b.draft.mode, GroupMode::All);
    assert!(b.undo(&schema));
    assert!(!b.is_dirty());
    assert!(!b.undo(&schema));
    assert!(b.redo(&schema) && b.redo(&schema));
    assert_eq!(b.draft, after_two);
    b.discard(&schema);
    assert!(!b.is_dirty());
    b.undo(&schema);
    assert_eq!(b.draft, after_two, "discard can be undone");
}

#[test]
fn related_blocks_test_the_related_type() {
    let (mut b, schema) = lead_builder();
    let c = ctx(&schema);
    // Accounts are pointed at by contacts, leads and opportunities.
    let mut account = Builder::new(SegmentId(2), RecordTypeName::new("account"), Group::all(NodeId(0)), &schema);
    assert!(account.apply(BuilderEdit::AddRelated { parent: NodeId(0) }, &c));
    let Some(Node::Related(block)) = account.draft.children.first() else { panic!("no block") };
    let group = block.group.id;
    let related = block.record_type.clone();
    assert!(account.apply(BuilderEdit::AddCondition { parent: group }, &c));
    assert_eq!(account.group_type(&schema, group).map(|d| d.name.clone()), Some(related));
    // A lead segment can still add groups; moving a condition into a block of another
    // type is refused.
    assert!(b.apply(BuilderEdit::AddCondition { parent: NodeId(0) }, &c));
    let id = only_condition(&b).id;
    assert!(!b.apply(BuilderEdit::MoveTo { id, parent: NodeId(99), index: 0 }, &c));
}

#[test]
fn nesting_is_checked_against_the_workspace_limit() {
    let schema = Schema::built_in();
    // Three groups inside the root, each in the one before, around one condition.
    let condition = Node::Condition(Condition {
        id: NodeId(9),
        path: FieldPath::own("topic"),
        operator: Operator::Equals,
        value: Operand::Text("x".into()),
    });
    let mut tree = condition;
    for id in (1..=3).rev() {
        tree = Node::Group(Group { children: vec![tree], ..Group::all(NodeId(id)) });
    }
    let root = Group { children: vec![tree], ..Group::all(NodeId(0)) };
    let too_deep = |b: &Builder| b.problems.values().flatten().any(|p| p.contains("levels are allowed"));
    let default = Builder::new(SegmentId(1), RecordTypeName::new("lead"), root.clone(), &schema);
    assert!(!too_deep(&default), "within the default limit: {:?}", default.problems);
    let mut strict = default.with_nesting_limit(2, &schema);
    assert!(too_deep(&strict), "deeper than the workspace's 2 levels: {:?}", strict.problems);
    strict.set_nesting_limit(5, &schema);
    assert!(!too_deep(&strict), "the setting raised");
}
