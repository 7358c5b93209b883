//! The members of a segment that assignment may place ([`Placeable`]), found in the
//! engine's columns: the retry of stranded members after an apply then reads and decides
//! only those, instead of every stranded member of the segment.

use crate::domain::assignment::Placeable;
use crate::domain::{
    Condition, EvalContext, FieldKind, FieldPath, Group, GroupMode, Node, NodeIds, Operand, Operator, RecordId,
    RecordTypeName, SegmentId,
};
use crate::engine::Snapshot;
use crate::engine::fast::compile;
use crate::engine::membership::MemberColumn;

/// The records of `ty` whose segment in `members` is `segment` and that `placeable`
/// admits ([`Placeable::admits`]), by ascending id. `None` when it admits any record,
/// asks what the engine does not answer as deciding does (an empty value), or names a
/// record type or field the snapshot does not have.
pub fn placeable_members(
    snapshot: &Snapshot,
    ty: &RecordTypeName,
    members: &MemberColumn,
    segment: SegmentId,
    placeable: &Placeable,
    ctx: &EvalContext,
) -> Option<Vec<RecordId>> {
    let ways = match placeable {
        Placeable::Nobody => return Some(Vec::new()),
        Placeable::Anyone => return None,
        Placeable::Only(ways) => ways,
    };
    let records = snapshot.type_snapshot(ty)?;
    let def = snapshot.schema().get(ty)?;
    let mut ids = NodeIds::default();
    let mut root = Group { id: ids.next_id(), mode: GroupMode::Any, negated: false, children: Vec::new() };
    for way in ways {
        let mut all = Group { id: ids.next_id(), mode: GroupMode::All, negated: false, children: Vec::new() };
        for (field, values) in way {
            // Deciding matches no seller on an empty value, whatever the engine says of one.
            if values.iter().any(String::is_empty) {
                return None;
            }
            let value = match def.field(field)?.kind {
                FieldKind::Text => Operand::TextList(values.clone()),
                FieldKind::Choice => Operand::Choices(values.clone()),
                // Deciding reads text and choice values only: no record holds one of these.
                _ => {
                    all.children.clear();
                    all.negated = true;
                    break;
                }
            };
            let path = FieldPath { via: Vec::new(), field: field.clone() };
            all.children.push(Node::Condition(Condition { id: ids.next_id(), path, operator: Operator::AnyOf, value }));
        }
        root.children.push(Node::Group(all));
    }
    let in_segment = members.rows_of(segment, records.rows());
    let rows = compile(snapshot, ty, &root, ctx).ok()?.evaluate_within(snapshot, &in_segment);
    let mut found = records.ids_of(&rows);
    found.sort_unstable();
    Some(found)
}
