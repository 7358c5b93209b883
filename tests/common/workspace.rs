//! The same world in a real workspace: for the tests that check the SQL compiler against the
//! reference evaluator. [`workspace_of`] copies a [`MemoryDataset`] over `super::schema`
//! (its custom types, records with their ids, sellers and teams) into an in-memory workspace.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use std::collections::BTreeMap;

use segment_builder::domain::{
    Dataset, EvalContext, FieldKind, Group, MemoryDataset, Record, RecordId, RecordTypeName, Seller, SellerId, Team,
    TeamId, Value,
};
use segment_builder::engine::sql::compile_sql_in;
use segment_builder::store::Workspace;

/// Sellers 1..=SELLERS exist in every workspace made here.
pub const SELLERS: i64 = 5;
/// Teams 1..=TEAMS exist, with the members the dataset gives them (an empty team behaves as
/// a missing one).
pub const TEAMS: i64 = 9;

/// An in-memory workspace with `ds`'s record types, records (same ids), sellers and teams,
/// and the dataset as the store holds it: a lookup to a record that does not exist (which
/// the store's foreign keys refuse) is empty in both.
pub fn workspace_of(ds: &MemoryDataset) -> (Workspace, MemoryDataset) {
    let schema = ds.schema().clone();
    let mut ws = Workspace::in_memory().expect("in-memory workspace");
    for def in schema.creation_order() {
        ws.add_record_type(def.clone()).unwrap_or_else(|e| panic!("adding {}: {e}", def.name));
    }
    for n in 1..=SELLERS {
        let id = ws.insert_seller(&seller(n)).expect("seller");
        assert_eq!(id, SellerId(n));
    }
    let mut stored = MemoryDataset::new(schema.clone());
    for n in 1..=TEAMS {
        let members = ds.team_members(TeamId(n)).to_vec();
        let id =
            ws.insert_team(&Team { id: TeamId(0), name: format!("team {n}"), members: members.clone() }).expect("team");
        assert_eq!(id, TeamId(n));
        stored.set_team(TeamId(n), members);
    }
    // Without the dangling lookups.
    for def in &schema.types {
        for record in ds.records(&def.name) {
            let values = def
                .fields
                .iter()
                .zip(&record.values)
                .map(|(field, value)| match (value, &field.lookup_target) {
                    (Value::Lookup(id), Some(target)) if ds.record(target, *id).is_none() => Value::Empty,
                    _ => value.clone(),
                })
                .collect();
            stored.insert(&def.name, Record { id: record.id, values });
        }
    }
    // First every record with its lookups empty (they may point at records not yet there,
    // even in a cycle), then the lookups. A new table gives the next record the largest
    // id + 1: empty fillers, removed after, bring it to each wanted id.
    for def in schema.creation_order() {
        let mut fillers = Vec::new();
        let mut next = 1;
        for record in stored.records(&def.name) {
            while next < record.id.0 {
                fillers.push(ws.insert_record(&def.name, vec![Value::Empty; def.fields.len()]).expect("filler"));
                next += 1;
            }
            let without_lookups = def
                .fields
                .iter()
                .zip(&record.values)
                .map(|(field, value)| if field.kind == FieldKind::Lookup { Value::Empty } else { value.clone() })
                .collect();
            let id = ws.insert_record(&def.name, without_lookups).expect("record");
            assert_eq!(id, record.id, "{} {} did not get its id", def.name, record.id);
            next = id.0 + 1;
        }
        for id in fillers {
            ws.delete_record(&def.name, id).expect("filler");
        }
    }
    for def in &schema.types {
        for record in stored.records(&def.name) {
            if record.values.iter().any(|v| matches!(v, Value::Lookup(_))) {
                ws.update_record(&def.name, record).unwrap_or_else(|e| panic!("{} {}: {e}", def.name, record.id));
            }
        }
    }
    (ws, stored)
}

/// The ids of the records of `ty` that `root` selects through SQL.
pub fn sql_matching(ws: &Workspace, ctx: &EvalContext, ty: &RecordTypeName, root: &Group) -> Vec<RecordId> {
    let schema = ws.schema();
    let def = schema.get(ty).unwrap_or_else(|| panic!("no type {ty}"));
    // The segments the workspace holds, for segment conditions.
    let definitions = ws.segment_definitions().expect("segments");
    let sql = compile_sql_in(schema, &definitions, def, root, ctx);
    let ids = ws.matching_ids(ty, &sql).unwrap_or_else(|e| panic!("{e}\n{}\n{:?}", sql.where_sql, sql.params));
    let count = ws.count_matching(ty, &sql).unwrap_or_else(|e| panic!("{e}\n{}", sql.where_sql));
    assert_eq!(count, ids.len() as u64, "count_matching disagrees with matching_ids");
    ids
}

pub fn seller(n: i64) -> Seller {
    Seller {
        id: SellerId(0),
        name: format!("Seller {n}"),
        email: format!("seller{n}@example.com"),
        time_zone: "Europe/Berlin".into(),
        attributes: BTreeMap::new(),
        capacity: None,
        work_hours: Vec::new(),
        time_off: Vec::new(),
        assign_records: true,
    }
}

/// Puts the segments of `definitions` (ids 1.. in order, as `common::r#gen::arb_segments`
/// makes them) into a workspace that has none, active, with the members `pairs`; and the
/// same into the reference dataset `stored`.
pub fn add_segments(
    ws: &mut Workspace,
    stored: &mut MemoryDataset,
    definitions: &segment_builder::domain::Definitions,
    pairs: &[(RecordTypeName, RecordId, segment_builder::domain::SegmentId)],
) {
    let now = super::ctx().now;
    for (id, definition) in definitions.iter() {
        let made = super::routing::active_segment(
            ws,
            &definition.record_type,
            &definition.name,
            definition.conditions.clone(),
            now,
        );
        assert_eq!(made, id, "segments get the ids of the definitions");
    }
    let mut joins: BTreeMap<(RecordTypeName, segment_builder::domain::SegmentId), Vec<RecordId>> = BTreeMap::new();
    for (ty, record, segment) in pairs {
        joins.entry((ty.clone(), *segment)).or_default().push(*record);
        stored.set_membership(ty, *record, Some(*segment));
    }
    for ((ty, segment), records) in joins {
        super::routing::join(ws, &ty, segment, &records, now);
    }
    stored.set_definitions(ws.segment_definitions().expect("segments"));
}
