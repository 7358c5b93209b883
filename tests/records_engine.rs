//! The Records screen's list from the snapshot (`engine::records::query_ids`) is the list
//! SQL gives (`Workspace::query_record_ids`): the same records in the same order for every
//! filter and every sortable field, both directions, on demo data with crafted awkward rows
//! (case and folding variants, ties, empty values, a record inserted with a lower id later).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use segment_builder::demo::{DemoSpec, create_demo_workspace};
use segment_builder::domain::query::{RecordQuery, SortDirection};
use segment_builder::domain::{EvalContext, FieldKind, FieldName, RecordId, RecordTypeName, Value};
use segment_builder::engine::records::{RecordsError, query_ids};
use segment_builder::store::Workspace;
use segment_builder::worker::engine::load_snapshot;

fn lead() -> RecordTypeName {
    RecordTypeName::new("lead")
}

/// A demo workspace of 1,500 leads, plus leads whose texts differ only by case or folding,
/// share a sort key, or are empty, and leads with money amounts off the cent.
fn workspace(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("records.sqlite");
    let now: jiff::Timestamp = "2026-11-24T12:00:00Z".parse().expect("a time");
    create_demo_workspace(&path, &DemoSpec::with_leads(1_500, 7, now), &mut |_, _| true).expect("demo");
    let mut ws = Workspace::open(&path).expect("open");
    let def = ws.schema().get(&lead()).expect("lead").clone();
    let template = ws.record(&lead(), RecordId(1)).expect("read").expect("lead 1");
    let text_fields: Vec<usize> =
        def.fields.iter().enumerate().filter(|(_, f)| f.kind == FieldKind::Text).map(|(i, _)| i).collect();
    for (n, text) in ["STRASSE", "Straße", "straße", "", "Berlin", "BERLIN", "berlin"].into_iter().enumerate() {
        let mut values = template.values.clone();
        for &field in &text_fields {
            values[field] = if text.is_empty() { Value::Empty } else { Value::Text(text.to_owned()) };
        }
        if n % 2 == 0 {
            // Every other one: all else empty too, so ties and empty values meet.
            for (i, value) in values.iter_mut().enumerate() {
                if !text_fields.contains(&i) {
                    *value = Value::Empty;
                }
            }
        }
        ws.insert_record(&lead(), values).expect("insert");
    }
    // Money amounts whose cents do not give them back, in an order their ids do not
    // share: the same cents (1.004 and 1.001) must still sort by amount.
    let money: Vec<usize> =
        def.fields.iter().enumerate().filter(|(_, f)| f.kind == FieldKind::Money).map(|(i, _)| i).collect();
    assert!(!money.is_empty(), "the demo's leads hold money");
    for amount in [1.004, 0.1 + 0.2, 1.001, 0.3, 2.675] {
        let mut values = template.values.clone();
        for &field in &money {
            values[field] = Value::Money(amount);
        }
        ws.insert_record(&lead(), values).expect("insert");
    }
    path
}

/// The snapshot of the workspace at `path` after another program inserted a lead under id
/// 0, taken into the snapshot as the engine takes such a change: its row is the last one
/// while its id sorts first.
fn snapshot_after_reinsert(path: &std::path::Path) -> (Workspace, segment_builder::engine::Snapshot) {
    let (reader, mut snapshot) = load_snapshot(path, &|_| {}).expect("snapshot");
    let sql = rusqlite::Connection::open(path).expect("plain SQLite");
    sql.execute(
        "INSERT INTO lead (id, topic, last_name, city) SELECT 0, topic, last_name, 'Berlin' FROM lead WHERE id = 7",
        [],
    )
    .expect("insert");
    let zero = reader.record(&lead(), RecordId(0)).expect("read").expect("lead 0");
    snapshot.upsert(&lead(), &zero).expect("upsert");
    let rows = snapshot.type_snapshot(&lead()).expect("leads").rows();
    assert_eq!(snapshot.type_snapshot(&lead()).expect("leads").row_of(RecordId(0)), Some(rows - 1), "the last row");
    (reader, snapshot)
}

#[test]
fn the_snapshot_lists_what_sql_lists_for_every_filter_and_sort() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = workspace(dir.path());
    let (reader, snapshot) = snapshot_after_reinsert(&path);
    let ctx = EvalContext::new(jiff::Timestamp::UNIX_EPOCH, snapshot.time_zone().clone());
    let def = reader.schema().get(&lead()).expect("lead").clone();
    let filters = ["", "berlin", "strasse", "STRAßE", "gmbh", "a", "@", "hot", "Warm", "no such text anywhere"];
    let mut sorts: Vec<Option<(FieldName, SortDirection)>> = vec![None];
    for field in &def.fields {
        for direction in [SortDirection::Ascending, SortDirection::Descending] {
            sorts.push(Some((field.name.clone(), direction)));
        }
    }
    let mut compared = 0;
    for filter in filters {
        for sort in &sorts {
            let query = RecordQuery { filter: filter.to_owned(), sort: sort.clone() };
            let by_sql = reader.query_record_ids(&lead(), &query).expect("sql");
            let by_engine = query_ids(&snapshot, &lead(), &query, &ctx).expect("engine");
            assert_eq!(by_engine, by_sql, "filter {filter:?}, sort {sort:?}");
            compared += usize::from(!by_sql.is_empty());
        }
    }
    assert!(compared > sorts.len() * 5, "most queries find records: {compared}");
    let all = query_ids(&snapshot, &lead(), &RecordQuery::default(), &ctx).expect("all");
    assert_eq!(all.len() as u64, reader.count_records(&lead()).expect("count"), "every lead, once");
    assert!(all.first() == Some(&RecordId(0)) && all.windows(2).all(|w| w[0] < w[1]), "in id order");
}

#[test]
fn an_unknown_sort_field_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = workspace(dir.path());
    let (_reader, snapshot) = load_snapshot(&path, &|_| {}).expect("snapshot");
    let ctx = EvalContext::new(jiff::Timestamp::UNIX_EPOCH, snapshot.time_zone().clone());
    let query =
        RecordQuery { filter: String::new(), sort: Some((FieldName::new("shoe_size"), SortDirection::Ascending)) };
    let error = query_ids(&snapshot, &lead(), &query, &ctx).expect_err("no such field");
    assert!(matches!(error, RecordsError::NoSuchField { .. }));
    assert!(error.to_string().contains("shoe_size"), "{error}");
}
