//! Segment conditions in the fast engine: "is (not) in segment X" as the rows of X's
//! stored members (kept in the snapshot, [`Snapshot::member_rows`]), "matches the
//! conditions of X" as X's tree compiled in place (over the type its lookups reach, where
//! only live records can match), both followed through lookups like a condition's path.

use super::{Compiler, Expr, not};
use crate::domain::{FieldKind, SegmentCondition, SegmentTest};
use crate::engine::snapshot::Snapshot;

impl Compiler<'_> {
    /// The meaning is `domain::eval`'s (`domain::segment_test` has the rules).
    pub(super) fn segment(&self, t: usize, node: &SegmentCondition, depth: usize) -> Expr {
        let snapshot: &Snapshot = self.snapshot;
        let schema = snapshot.schema();
        let Some(definition) = snapshot.definitions().get(node.segment) else { return Expr::Const(false) };
        let mut hops = Vec::new();
        let mut current = t;
        for hop in &node.via {
            let def = &schema.types[current];
            let Some(index) = def.field_index(hop) else { return Expr::Const(false) };
            let field = &def.fields[index];
            let target =
                field.lookup_target.as_ref().and_then(|name| schema.types.iter().position(|d| &d.name == name));
            let (Some(target), FieldKind::Lookup) = (target, field.kind) else { return Expr::Const(false) };
            hops.push((index, target));
            current = target;
        }
        if schema.types[current].name != definition.record_type {
            return Expr::Const(false);
        }
        let rows = snapshot.types()[current].rows();
        let (leaf, on_empty) = match node.test {
            SegmentTest::InSegment => (Expr::Rows(snapshot.member_rows(current, node.segment, rows)), false),
            SegmentTest::NotInSegment => (not(Expr::Rows(snapshot.member_rows(current, node.segment, rows))), true),
            SegmentTest::MatchesConditions => {
                if self.expanding.borrow().contains(&node.segment) {
                    return Expr::Const(false);
                }
                self.expanding.borrow_mut().push(node.segment);
                let tree = self.group(current, &definition.conditions, depth + node.via.len() + 1);
                self.expanding.borrow_mut().pop();
                let live = Expr::Rows(snapshot.types()[current].live().clone());
                (Expr::All(vec![live, tree]), false)
            }
        };
        hops.into_iter().rev().fold(leaf, |inner, (column, target)| Expr::Through {
            column,
            target,
            inner: Box::new(inner),
            on_empty,
        })
    }
}
