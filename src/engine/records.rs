//! The Records screen's list from the snapshot: the ids of the records whose text or
//! choice fields contain the filter (ignoring case, as [`crate::domain::eval::fold`]
//! folds), in the order asked for. The same answer as
//! `store::Workspace::query_record_ids` gives by scanning SQL, in milliseconds at a
//! million records: the filter is one dictionary search per field (the fast engine's
//! `contains`), the order the snapshot's kept order of the column.

use rayon::prelude::*;

use crate::domain::query::{RecordQuery, SortDirection};
use crate::domain::{
    Condition, EvalContext, FieldKind, FieldPath, Group, GroupMode, Node, NodeId, Operand, Operator, RecordId,
    RecordTypeName,
};
use crate::engine::EngineError;
use crate::engine::bitset::Bitset;
use crate::engine::fast::compile;
use crate::engine::snapshot::{Column, Snapshot, TypeSnapshot};

/// Why a list cannot be given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordsError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("cannot sort {plural} by \"{field}\": there is no such field")]
    NoSuchField { plural: String, field: String },
}

/// The ids of the live records of `ty` that pass `query`'s filter, ordered by its sort
/// (empty values last either way; ties and no sort by id).
pub fn query_ids(
    snapshot: &Snapshot,
    ty: &RecordTypeName,
    query: &RecordQuery,
    ctx: &EvalContext,
) -> Result<Vec<RecordId>, RecordsError> {
    let Some(table) = snapshot.type_snapshot(ty) else {
        return Err(EngineError::UnknownType(ty.clone()).into());
    };
    let def = snapshot.schema().get(ty).ok_or_else(|| EngineError::UnknownType(ty.clone()))?;
    let sort = match &query.sort {
        None => None,
        Some((name, direction)) => {
            let field = def.field_index(name).ok_or_else(|| RecordsError::NoSuchField {
                plural: def.plural_label.clone(),
                field: name.to_string(),
            })?;
            Some((field, *direction == SortDirection::Descending))
        }
    };
    let rows = if query.filter.is_empty() {
        table.live().clone()
    } else {
        let filter = filter_tree(table, def.fields.iter().map(|f| (f.name.clone(), f.kind)), &query.filter);
        compile(snapshot, ty, &filter, ctx)?.evaluate(snapshot)
    };
    Ok(match sort {
        None => {
            let mut ids = table.ids_of(&rows);
            ids.sort_unstable();
            ids
        }
        Some((field, descending)) => ordered_ids(table, &rows, field, descending),
    })
}

/// `rows` in the order of column `field`; ties in id order (the order breaks them by row,
/// which is the id's order unless records were added out of it).
fn ordered_ids(table: &TypeSnapshot, rows: &Bitset, field: usize, descending: bool) -> Vec<RecordId> {
    let order = table.ordered_rows(rows, Some(field), descending);
    let mut ids: Vec<RecordId> = order.par_iter().filter_map(|&row| table.id_of(row as usize)).collect();
    if table.rows_in_id_order() {
        return ids;
    }
    // Runs of equal keys are next to each other in the order: sort each run by id.
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && table.same_key(field, order[start] as usize, order[end] as usize) {
            end += 1;
        }
        if end - start > 1 {
            ids[start..end].sort_unstable();
        }
        start = end;
    }
    ids
}

/// "Any text field contains the filter, or any choice field holds an option that does":
/// the filter in the fast engine's terms. A choice field offers no `contains`, so its
/// options containing the filter are looked up in its dictionary (a handful of entries).
fn filter_tree(
    table: &TypeSnapshot,
    fields: impl Iterator<Item = (crate::domain::FieldName, FieldKind)>,
    filter: &str,
) -> Group {
    let needle = crate::domain::eval::fold(filter);
    let mut children = Vec::new();
    for (index, (name, kind)) in fields.enumerate() {
        let (operator, value) = match kind {
            FieldKind::Text => (Operator::Contains, Operand::Text(filter.to_owned())),
            FieldKind::Choice => {
                let Some(Column::Text(column)) = table.columns.get(index) else { continue };
                let options: Vec<String> = (0..column.dictionary.len())
                    .filter(|&entry| column.dictionary.folded(entry).contains(needle.as_str()))
                    .map(|entry| column.dictionary.typed(entry).to_owned())
                    .collect();
                if options.is_empty() {
                    continue;
                }
                (Operator::AnyOf, Operand::Choices(options))
            }
            _ => continue,
        };
        let id = NodeId(u32::try_from(children.len() + 1).unwrap_or(u32::MAX));
        children.push(Node::Condition(Condition {
            id,
            path: FieldPath { via: Vec::new(), field: name },
            operator,
            value,
        }));
    }
    Group { id: NodeId(0), mode: GroupMode::Any, negated: false, children }
}
