//! Loading the snapshot from a workspace file (the engine worker's `load_snapshot`: reader
//! threads, batches, direct decoding) must give exactly the snapshot built record by record
//! from the records the store reads, and must refuse a damaged value by name.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

mod common;

use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;
use segment_builder::domain::{
    FieldDef, FieldKind, Record, RecordId, RecordTypeDef, RecordTypeName, Seller, SellerId, Team, TeamId, Value,
};
use segment_builder::engine::Snapshot;
use segment_builder::store::Workspace;
use segment_builder::worker::engine::load_snapshot;

use common::{date, instant, name, schema};

/// Texts that fold, compare or encode in unusual ways.
const TEXTS: &[&str] = &[
    "Acme",
    "ACME",
    "acme",
    "ÉMILE",
    "émile",
    "İstanbul",
    "STRASSE",
    "straße",
    "ΣΊΣΥΦΟΣ",
    "日本語のテキスト",
    "a%_\\'\"",
    "  padded  ",
    "🙂 emoji",
    "tab\tinside",
    "nul\0inside",
    "x",
];

/// The value of field `f` of record `i` (1-based) of a type: every kind, empty about one
/// time in seven, lookups to earlier records, more than 256 distinct texts in the first
/// text field so its codes widen.
fn value(field: &FieldDef, f: usize, i: usize, targets: Option<usize>) -> Value {
    if (i * 7 + f * 3).is_multiple_of(11) {
        return Value::Empty;
    }
    let pick = |n: usize| (i * 31 + f * 17) % n;
    match field.kind {
        FieldKind::Text if f == 0 => Value::Text(format!("{} {}", TEXTS[pick(TEXTS.len())], i % 400)),
        FieldKind::Text => Value::Text(TEXTS[pick(TEXTS.len())].to_owned()),
        FieldKind::WholeNumber => Value::WholeNumber([0, -1, 42, i64::MAX, i64::MIN, i as i64][pick(6)]),
        FieldKind::Decimal => Value::Decimal([0.0, -0.0, 0.1, -2.5, 1e300, i as f64 / 3.0][pick(6)]),
        FieldKind::Money => Value::Money([0.0, 19.99, -5.0, 1e12, i as f64][pick(5)]),
        FieldKind::Date => {
            Value::Date(date(["2024-02-29", "0001-01-01", "9999-12-31", "1969-12-31", "2026-03-29"][pick(5)]))
        }
        FieldKind::DateTime => Value::DateTime(instant(
            [
                // Around midnight in New York (the workspace zone) and its DST switch.
                "2026-03-08T06:59:59Z",
                "2026-03-08T07:00:00Z",
                "2026-03-01T04:59:59Z",
                "2026-03-01T05:00:00Z",
                "1970-01-01T00:00:00Z",
                "0001-01-01T00:00:00Z",
                "9999-12-30T21:59:59Z",
            ][pick(7)],
        )),
        FieldKind::YesNo => Value::YesNo(i.is_multiple_of(3)),
        FieldKind::Choice => Value::Choice(field.choices[pick(field.choices.len())].clone()),
        FieldKind::Lookup => match targets {
            Some(n) if n > 0 => Value::Lookup(RecordId((pick(n) + 1) as i64)),
            _ => Value::Empty,
        },
        FieldKind::Owner => Value::Owner(SellerId((pick(3) + 1) as i64)),
    }
}

/// How many records of each type the fixture has: things span several load batches.
const COUNTS: &[(&str, usize)] = &[("company", 300), ("thing", 2600), ("deal", 400)];

/// A workspace file (zone `America/New_York`) with the common schema's types, three sellers,
/// two teams and the records of [`COUNTS`], some deleted, some edited behind the store's
/// back into forms it does not write (offsets, fractions, blank text, dangling lookups).
fn fixture(dir: &Path) -> PathBuf {
    let path = dir.join("load.sqlite");
    let mut ws = Workspace::create(&path).expect("create");
    ws.set_time_zone("America/New_York").expect("zone");
    let schema = schema();
    for def in schema.creation_order() {
        ws.add_record_type(def.clone()).unwrap_or_else(|e| panic!("adding {}: {e}", def.name));
    }
    for n in 1..=3 {
        let seller = Seller {
            id: SellerId(0),
            name: format!("Seller {n}"),
            email: format!("seller{n}@example.com"),
            time_zone: "Europe/Berlin".into(),
            attributes: std::collections::BTreeMap::default(),
            capacity: None,
            work_hours: Vec::new(),
            time_off: Vec::new(),
            assign_records: true,
        };
        ws.insert_seller(&seller).expect("seller");
    }
    ws.insert_team(&Team { id: TeamId(0), name: "A".into(), members: vec![SellerId(1), SellerId(3)] }).expect("team");
    ws.insert_team(&Team { id: TeamId(0), name: "B".into(), members: Vec::new() }).expect("team");
    let count_of = |ty: &str| COUNTS.iter().find(|(t, _)| *t == ty).map(|(_, n)| *n);
    for &(ty, count) in COUNTS {
        let def: RecordTypeDef = schema.get_by_str(ty).expect("type").clone();
        let mut rows = (1..=count).map(|i| {
            def.fields
                .iter()
                .enumerate()
                .map(|(f, field)| {
                    // Lookups point at records inserted before (a company's parent: an
                    // earlier company).
                    let targets = field
                        .lookup_target
                        .as_ref()
                        .and_then(|t| if *t == def.name { Some(i - 1) } else { count_of(t.as_str()) });
                    value(field, f, i, targets)
                })
                .collect::<Vec<Value>>()
        });
        ws.insert_records(&def.name, &mut rows, &mut |_| true).expect("records");
    }
    for id in [1, 5, 1024, 1025, 2600] {
        ws.delete_record(&name("thing"), RecordId(id)).expect("delete");
    }
    drop(ws);
    edit(
        &path,
        "UPDATE thing SET at = '2026-03-01T14:05:09.5+01:00' WHERE id = 3;
         UPDATE thing SET at = '2026-03-08T01:30:00-05:00' WHERE id = 4;
         UPDATE thing SET due = '+002026-03-01' WHERE id = 6;
         UPDATE thing SET due = '20260302' WHERE id = 10;
         UPDATE thing SET at = '2016-12-31T23:59:60Z' WHERE id = 11;
         UPDATE thing SET at = '2026-03-01t14:05:09z' WHERE id = 12;
         UPDATE thing SET name = '   ' WHERE id = 7;
         UPDATE thing SET ratio = 7 WHERE id = 8;
         UPDATE thing SET company = 99999 WHERE id = 9;
         UPDATE deal SET thing = 1 WHERE id = 10;",
    );
    path
}

/// Runs SQL on the file directly, foreign keys and checks off: what another tool might do.
fn edit(path: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(path).expect("open");
    conn.execute_batch("PRAGMA ignore_check_constraints = ON; PRAGMA foreign_keys = OFF;").expect("pragma");
    conn.execute_batch(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[test]
fn the_loaded_snapshot_equals_the_one_built_record_by_record() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = fixture(dir.path());
    let ws = Workspace::open_reader(&path).expect("reader");
    let schema = ws.schema().clone();
    let zone = TimeZone::get(ws.time_zone()).expect("zone");
    let teams: Vec<_> = ws.teams().expect("teams").into_iter().map(|t| (t.id, t.members)).collect();
    let no_records = std::iter::empty::<(&RecordTypeName, Vec<&Record>)>();
    // Record by record as edits arrive (rows appended, then every value set), lookup targets
    // first so dangling lookups get their placeholder rows where the load puts them.
    let mut incremental = Snapshot::build(&schema, zone.clone(), no_records, teams.clone());
    let mut records = Vec::new();
    for def in schema.creation_order() {
        for record in ws.all_records(&def.name).expect("records") {
            incremental.upsert(&def.name, &record).expect("upsert");
            records.push((def.name.clone(), record));
        }
    }
    assert_eq!(records.iter().filter(|(t, _)| *t == name("thing")).count(), 2595);
    // All at once from the records.
    let built = Snapshot::build(&schema, zone, records.iter().map(|(t, r)| (t, [r])), teams);

    let fractions = std::sync::Mutex::new(Vec::new());
    let (_reader, loaded) =
        load_snapshot(&path, &|fraction| fractions.lock().expect("fractions").push(fraction)).expect("load");
    for def in &schema.types {
        let loaded = loaded.type_snapshot(&def.name);
        assert!(loaded.is_some() && loaded == incremental.type_snapshot(&def.name), "{} differs", def.name);
        assert!(loaded == built.type_snapshot(&def.name), "{} differs from Snapshot::build", def.name);
    }
    assert!(loaded == incremental && loaded == built, "schema, zone or teams differ");
    assert_eq!(fractions.lock().expect("fractions").last(), Some(&1.0));
}

#[test]
fn a_damaged_value_is_refused_naming_type_record_and_field() {
    let cases = [
        ("UPDATE thing SET due = 'soon' WHERE id = 2", "thing 2, field due"),
        ("UPDATE thing SET at = '2026-02-30T10:00:00Z' WHERE id = 2000", "thing 2000, field at"),
        ("UPDATE thing SET name = CAST(x'ff' AS TEXT) WHERE id = 3", "thing 3, field name"),
        ("UPDATE thing SET count = 'twelve' WHERE id = 4", "thing 4, field count"),
        ("UPDATE thing SET done = 2 WHERE id = 6", "thing 6, field done"),
        ("UPDATE deal SET closes = 3.5 WHERE id = 7", "deal 7, field closes"),
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    let original = fixture(dir.path());
    for (sql, expected) in cases {
        let path = dir.path().join("damaged.sqlite");
        std::fs::copy(&original, &path).expect("copy");
        edit(&path, sql);
        match load_snapshot(&path, &|_| {}) {
            Ok(_) => panic!("{sql}: loaded"),
            Err(error) => assert!(error.to_string().contains(expected), "{sql}: {error}"),
        }
        std::fs::remove_file(&path).expect("remove");
    }
}
