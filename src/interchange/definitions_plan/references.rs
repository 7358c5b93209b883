//! Segment conditions in a bundle name their segment by name, a segment of the record type
//! the condition tests (the record's, or the one its lookups reach): the bundle's own
//! segments (before or after it in the bundle) and the workspace's. In the plan they are
//! ids: an existing segment's, or the placeholder of the one the import creates; a name
//! neither has is a problem at its place ("condition 2.1").

use std::collections::HashMap;

use super::super::definitions::{Bundle, SegmentEntry};
use super::{OnClash, Planner, placeholder, tree_place};
use crate::domain::condition_format::v1::SegmentKeyDto;
use crate::domain::eval::fold;
use crate::domain::segment_test::{reached_type, visit_segments_mut};
use crate::domain::{Definition, Definitions, Group, RecordTypeDef, RecordTypeName, SegmentId};

/// A name in a tree being read is the id `NAMED + k` for the `k`-th name until resolved.
const NAMED: i64 = i64::MIN;

impl Planner<'_> {
    /// Every segment a condition may name once the bundle is imported, with the id it will
    /// have (as [`Planner::segments`] hands them out; skipped ones keep the workspace's).
    /// Also the id of each bundle entry, in the bundle's order.
    pub(super) fn segment_ids(&self, bundle: &Bundle) -> (Definitions, Vec<SegmentId>) {
        let mut definitions = Definitions::of(self.current.segments);
        let mut ids = Vec::with_capacity(bundle.segments.len());
        // The position in the plan's segments, which a created segment's placeholder is.
        let mut planned = 0;
        for entry in &bundle.segments {
            let ty = RecordTypeName::new(entry.record_type.clone());
            let existing =
                self.current.segments.iter().find(|s| s.record_type == ty && fold(&s.name) == fold(&entry.name));
            let id = match existing {
                Some(existing) if self.policy == OnClash::Skip => existing.id,
                Some(existing) if self.policy == OnClash::Replace => {
                    planned += 1;
                    existing.id
                }
                _ => {
                    planned += 1;
                    SegmentId(placeholder(planned - 1))
                }
            };
            // Conditions as the workspace has them (a bundle segment's own are not read yet).
            let conditions = existing.map_or_else(|| Group::all(crate::domain::NodeId(0)), |s| s.conditions.clone());
            definitions.insert(id, Definition { name: entry.name.clone(), record_type: ty, conditions });
            ids.push(id);
        }
        (definitions, ids)
    }

    /// The entry's conditions with every segment named by its id; a name no segment of the
    /// tested type has is a problem at its place (those places are returned too: the node
    /// names no segment, which validation need not say again).
    pub(super) fn named_segments(
        &mut self,
        entry: &SegmentEntry,
        def: &RecordTypeDef,
        at: &str,
    ) -> (Group, Vec<Vec<usize>>) {
        let mut dto = entry.conditions.clone();
        let mut names = Vec::new();
        dto.rename_segments(&mut |key, _| match key {
            SegmentKeyDto::Name(name) => {
                names.push(name.clone());
                Some(SegmentKeyDto::Id(NAMED + names.len() as i64 - 1))
            }
            SegmentKeyDto::Id(_) => None,
        });
        let mut conditions = Group::from(dto);
        let by_name: HashMap<(RecordTypeName, String), SegmentId> =
            self.segment_ids.iter().map(|(id, d)| ((d.record_type.clone(), fold(&d.name)), id)).collect();
        let mut missing = Vec::new();
        let schema = self.schema.clone();
        visit_segments_mut(&schema, def, &mut conditions, &mut |tested, node, path| {
            let Some(name) = usize::try_from(node.segment.0 - NAMED).ok().and_then(|k| names.get(k)) else { return };
            let reached = reached_type(&schema, tested, &node.via);
            let found = reached.and_then(|t| by_name.get(&(t.name.clone(), fold(name))));
            if let Some(id) = found {
                node.segment = *id;
            } else {
                let of = reached.map_or_else(String::new, |t| format!(" of the {} segments", t.label.to_lowercase()));
                missing.push((
                    path.to_vec(),
                    format!(
                        "condition {}: there is no segment \"{name}\"{of} in the bundle or the workspace",
                        tree_place(path)
                    ),
                ));
                node.segment = SegmentId(0);
            }
        });
        let mut places = Vec::new();
        for (place, message) in missing {
            self.problem(at, message);
            places.push(place);
        }
        (conditions, places)
    }
}
