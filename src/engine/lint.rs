//! The lint of a record type's segments: the verdicts decided on the tree
//! (`domain::lint`: can never match, same definition as a higher segment) and those that
//! need every record's answer now, from the match sets the overlap computed:
//! - matches no record today (when the tree does not already say it never can);
//! - shadowed: every record it matches is claimed by higher-priority active segments,
//!   named (those whose claims hold some of its records);
//! - the same records as a higher segment (whose definition differs);
//! - a condition that changes nothing: the tree without it matches the same records.

use super::EngineError;
use super::bitset::Bitset;
use super::fast::compile;
use super::snapshot::Snapshot;
use crate::domain::describe::{NoNames, condition_text};
use crate::domain::lint::{SegmentLint, Verdict, contradiction, normal_form};
use crate::domain::{EvalContext, Group, Node, NodeId, RecordTypeName, Segment, Status};

/// The lint of `segments` (of `ty`, highest priority first) whose match sets are `sets`.
pub fn lint(
    snapshot: &Snapshot,
    ty: &RecordTypeName,
    segments: &[&Segment],
    sets: &[Bitset],
    ctx: &EvalContext,
) -> Result<Vec<SegmentLint>, EngineError> {
    let schema = snapshot.schema();
    let def = schema.get(ty).ok_or_else(|| EngineError::UnknownType(ty.clone()))?;
    let Some(records) = snapshot.type_snapshot(ty) else { return Err(EngineError::UnknownType(ty.clone())) };
    let forms: Vec<String> = segments.iter().map(|s| normal_form(&s.conditions)).collect();
    // Before each segment, the rows no higher active segment claims; and what each claims.
    let mut unclaimed = records.live().clone();
    let mut won: Vec<Option<Bitset>> = Vec::with_capacity(segments.len());
    let mut lints = Vec::with_capacity(segments.len());
    for (i, segment) in segments.iter().enumerate() {
        let set = &sets[i];
        let matches = set.count();
        let mut verdicts = Vec::new();
        let never = contradiction(schema, def, &segment.conditions);
        if let Some(found) = &never {
            verdicts.push(Verdict::CanNeverMatch { reason: found.reason.clone(), nodes: found.nodes.clone() });
        }
        let same_definition = forms[..i].iter().position(|f| *f == forms[i]);
        if let Some(j) = same_definition {
            verdicts.push(Verdict::SameDefinition { segment: segments[j].name.clone() });
        }
        if matches == 0 {
            if never.is_none() {
                verdicts.push(Verdict::MatchesNoRecord);
            }
        } else {
            if set.count_and(&unclaimed) == 0 {
                let by = segments[..i]
                    .iter()
                    .zip(&won)
                    .filter(|(_, claimed)| claimed.as_ref().is_some_and(|c| c.count_and(set) > 0))
                    .map(|(s, _)| s.name.clone())
                    .collect();
                verdicts.push(Verdict::Shadowed { by });
            }
            let same_records = (0..i).find(|&j| Some(j) != same_definition && same_rows(&sets[j], set));
            if let Some(j) = same_records
                && same_definition.is_none()
            {
                verdicts.push(Verdict::SameRecords { segment: segments[j].name.clone() });
            }
            for (node, condition) in idle_conditions(snapshot, ty, &segment.conditions, set, ctx)? {
                verdicts.push(Verdict::ChangesNothing { node, condition });
            }
        }
        if segment.status == Status::Active {
            let mut claimed = set.clone();
            claimed.and_with(&unclaimed);
            unclaimed.and_not_with(&claimed);
            won.push(Some(claimed));
        } else {
            won.push(None);
        }
        lints.push(SegmentLint { segment: segment.id, name: segment.name.clone(), verdicts });
    }
    Ok(lints)
}

fn same_rows(a: &Bitset, b: &Bitset) -> bool {
    let count = a.count();
    count == b.count() && a.count_and(b) == count
}

/// The conditions of `root` (on the record itself, in groups at any depth) without which
/// it matches exactly `matching`, with their text.
fn idle_conditions(
    snapshot: &Snapshot,
    ty: &RecordTypeName,
    root: &Group,
    matching: &Bitset,
    ctx: &EvalContext,
) -> Result<Vec<(NodeId, String)>, EngineError> {
    let schema = snapshot.schema();
    let Some(def) = schema.get(ty) else { return Err(EngineError::UnknownType(ty.clone())) };
    let mut conditions = Vec::new();
    record_conditions(root, &mut conditions);
    let mut idle = Vec::new();
    for (id, text) in conditions.into_iter().map(|c| (c.id, condition_text(c, def, schema, &NoNames))) {
        let mut without = root.clone();
        if crate::domain::edit::remove(&mut without, id).is_none() {
            continue;
        }
        let rows = compile(snapshot, ty, &without, ctx)?.evaluate(snapshot);
        if same_rows(&rows, matching) {
            idle.push((id, text));
        }
    }
    Ok(idle)
}

/// The conditions on the record itself: in the root and its groups, not in related blocks.
fn record_conditions<'g>(group: &'g Group, out: &mut Vec<&'g crate::domain::Condition>) {
    for child in &group.children {
        if let Node::Condition(condition) = child {
            out.push(condition);
        } else if let Node::Group(inner) = child {
            record_conditions(inner, out);
        }
    }
}
