//! The column cache beside a workspace (`engine::cache`, `worker::column_cache`): used only
//! when it matches the file, brought up to date from the change log, rebuilt when it cannot
//! be trusted — and every answer the same as from columns built fresh from SQL.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, like the tests")]

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::routing::text_equals;

use segment_builder::domain::query::{RecordQuery, SortDirection};
use segment_builder::domain::{EvalContext, FieldDef, FieldKind, FieldName, RecordId, RecordTypeName, Status, Value};
use segment_builder::engine::cache::cache_path;
use segment_builder::engine::records::query_ids;
use segment_builder::engine::{PreviewResult, Snapshot, SortKey, compile, preview_against};
use segment_builder::store::{LOGGED_PER_TRANSACTION, SCHEMA_VERSION, Workspace};
use segment_builder::worker::column_cache::{CacheUse, load_with_cache};
use segment_builder::worker::engine::load_types;

const NOW: &str = "2026-11-24T12:00:00Z";

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segment-builder"))
}

fn lead() -> RecordTypeName {
    RecordTypeName::new("lead")
}

/// A demo workspace of `records` leads written by the binary.
fn demo(dir: &Path, name: &str, records: u32, seed: u32) -> PathBuf {
    let path = dir.join(name);
    let output = binary()
        .args(["demo"])
        .arg(&path)
        .args(["--records", &records.to_string(), "--seed", &seed.to_string()])
        .output()
        .expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    path
}

/// A demo workspace in `dir` with its column cache written: its path, the cache's path and
/// the cache's bytes.
fn cached_demo(dir: &Path, records: u32, seed: u32) -> (PathBuf, PathBuf, Vec<u8>) {
    let path = demo(dir, "work.sqlite", records, seed);
    cached(&path);
    let file = cache_path(&path);
    let good = std::fs::read(&file).expect("read");
    (path, file, good)
}

/// The snapshot through the cache, and how it was obtained.
fn cached(path: &Path) -> (Snapshot, CacheUse) {
    let (_, snapshot, report) = load_with_cache(path, &|_| {}, &|| Ok(())).expect("load");
    (snapshot, report.used)
}

/// The snapshot built from SQL, cache or not.
fn fresh(path: &Path) -> Snapshot {
    load_types(path, None, &|_| {}).expect("build").1
}

fn is_hit(used: &CacheUse) -> bool {
    matches!(used, CacheUse::Hit { .. })
}

/// The preview of every lead segment (as the command line computes it: active segments
/// above it claim) on `snapshot`.
fn answers(path: &Path, snapshot: &Snapshot) -> Vec<PreviewResult> {
    let segments = Workspace::open(path).expect("open").segments(&lead()).expect("segments");
    let ctx = EvalContext::new(NOW.parse().expect("now"), snapshot.time_zone().clone());
    let mut found = Vec::new();
    for segment in &segments {
        let edited = compile(snapshot, &lead(), &segment.conditions, &ctx).expect("compile");
        let higher: Vec<_> = segments
            .iter()
            .filter(|s| s.status == Status::Active && s.priority < segment.priority)
            .map(|s| compile(snapshot, &lead(), &s.conditions, &ctx).expect("compile"))
            .collect();
        let refs: Vec<_> = higher.iter().collect();
        found.push(preview_against(snapshot, &edited, &refs, &SortKey::newest_first(), 20));
    }
    found
}

/// The cache's answers equal a fresh build's.
fn check_same_answers(path: &Path) -> CacheUse {
    let (snapshot, used) = cached(path);
    assert_eq!(answers(path, &snapshot), answers(path, &fresh(path)), "{used:?}");
    used
}

/// `preview --segment NAME --json` by the binary.
fn cli_preview(path: &Path, segment: &str) -> serde_json::Value {
    let output = binary()
        .args(["preview"])
        .arg(path)
        .args(["--segment", segment, "--json", "--limit", "20", "--now", NOW])
        .output()
        .expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON")
}

/// Every segment's binary preview equals the fresh build's answer.
fn check_cli_previews(path: &Path) {
    let segments = Workspace::open(path).expect("open").segments(&lead()).expect("segments");
    let expected = answers(path, &fresh(path));
    for (segment, expected) in segments.iter().zip(expected) {
        let json = cli_preview(path, &segment.name);
        assert_eq!(json["matches"], expected.matches, "{}", segment.name);
        assert_eq!(json["claimed_by_higher"], expected.claimed_by_higher, "{}", segment.name);
        let ids: Vec<i64> = expected.first.iter().map(|id| id.0).collect();
        assert_eq!(json["ids"], serde_json::json!(ids), "{}", segment.name);
    }
}

/// `explain` by the binary says, for each segment, whether the record matches as a fresh
/// build of the columns does.
fn check_cli_explain(path: &Path, id: RecordId) {
    let output = binary()
        .arg("explain")
        .arg(path)
        .args(["--type", "lead", "--record", &id.0.to_string(), "--json", "--now", NOW])
        .output()
        .expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let snapshot = fresh(path);
    let ctx = EvalContext::new(NOW.parse().expect("now"), snapshot.time_zone().clone());
    let segments = Workspace::open(path).expect("open").segments(&lead()).expect("segments");
    let listed = json["segments"].as_array().expect("segments");
    assert_eq!(listed.len(), segments.len());
    let leads = snapshot.type_snapshot(&lead()).expect("leads");
    let row = leads.row_of(id).expect("row");
    for (shown, segment) in listed.iter().zip(&segments) {
        let rows = compile(&snapshot, &lead(), &segment.conditions, &ctx).expect("compile").evaluate(&snapshot);
        assert_eq!(shown["matches"], rows.contains(row), "{} for {id}", segment.name);
    }
}

#[test]
fn a_cache_hit_gives_the_columns_a_fresh_build_gives() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo(dir.path(), "work.sqlite", 1500, 3);
    // Money the cents do not give back is kept as it is typed (its order needs it).
    let mut ws = Workspace::open(&path).expect("open");
    let def = ws.schema().get(&lead()).expect("lead").clone();
    for amount in [0.1 + 0.2, 1.004, 12.5] {
        let values =
            def.fields.iter().map(|f| if f.kind == FieldKind::Money { Value::Money(amount) } else { Value::Empty });
        ws.insert_record(&lead(), values.collect()).expect("insert");
    }
    drop(ws);
    let (_, used) = cached(&path);
    assert!(matches!(&used, CacheUse::Built { reason } if reason.contains("no column cache")), "{used:?}");
    assert!(cache_path(&path).exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cache_path(&path)).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the cache holds names and emails: owner only");
    }
    let (snapshot, used) = cached(&path);
    assert_eq!(used, CacheUse::Hit { replayed: 0 });
    assert!(snapshot == fresh(&path), "the same columns, row for row");
    check_cli_previews(&path);
    let listing: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".tmp"))
        .collect();
    assert!(listing.is_empty(), "no temporary file is left: {listing:?}");
}

#[test]
fn a_cache_hit_decodes_only_the_columns_its_answers_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo(dir.path(), "work.sqlite", 1500, 4);
    cached(&path);
    let (snapshot, used) = cached(&path);
    assert_eq!(used, CacheUse::Hit { replayed: 0 });
    assert_eq!(snapshot.decoded_fields(&lead()), Vec::<usize>::new(), "nothing is decoded before it is read");
    // A tree naming the country, previewed newest first: those two columns, no other.
    let def = Workspace::open(&path).expect("open").schema().get(&lead()).expect("lead").clone();
    let field = |name: &str| def.fields.iter().position(|f| f.name.as_str() == name).expect(name);
    let tree = text_equals("country", "Germany");
    let ctx = EvalContext::new(NOW.parse().expect("now"), snapshot.time_zone().clone());
    let compiled = compile(&snapshot, &lead(), &tree, &ctx).expect("compile");
    let result = preview_against(&snapshot, &compiled, &[], &SortKey::newest_first(), 20);
    let mut read = vec![field("country"), field("created_on")];
    read.sort_unstable();
    assert_eq!(snapshot.decoded_fields(&lead()), read);
    // The same answer as columns built from SQL, and every column the same once decoded.
    let built = fresh(&path);
    let expected = compile(&built, &lead(), &tree, &ctx).expect("compile");
    assert_eq!(result, preview_against(&built, &expected, &[], &SortKey::newest_first(), 20));
    assert!(result.matches > 0, "the demo has leads in Germany");
    snapshot.settle();
    assert_eq!(snapshot.decoded_fields(&lead()), (0..def.fields.len()).collect::<Vec<_>>());
    assert!(snapshot == built, "the same columns, row for row");
}

/// Bytes that pass the checksum yet were not written by Segment Builder (made by hand, or
/// by a bug) are refused when the cache is read, or read back without a panic however
/// they are then read: every length, code and row is checked up front, not when a column
/// is decoded.
#[test]
fn cache_bytes_that_pass_the_checksum_but_do_not_fit_never_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, file, good) = cached_demo(dir.path(), 300, 5);
    let body = good.len() - 8;
    let (mut refused, mut read) = (0, 0);
    for step in 0..120 {
        let mut bytes = good.clone();
        // Spread over the whole file, the header included, each byte changed two ways.
        let at = step * body / 120 + step % 7;
        bytes[at.min(body - 1)] ^= if step % 2 == 0 { 0x01 } else { 0xff };
        let sum = segment_builder::checksum::checksum(&bytes[..body]);
        bytes[body..].copy_from_slice(&sum.to_le_bytes());
        std::fs::write(&file, &bytes).expect("write");
        let (snapshot, used) = cached(&path);
        if is_hit(&used) {
            read += 1;
            read_every_column(&snapshot);
            answers(&path, &snapshot);
        } else {
            refused += 1;
        }
    }
    assert!(refused > 0 && read > 0, "both kinds tried: {refused} refused, {read} read");
}

/// Reads every value of every lead column: the Records list filtered by a text and
/// ordered by each field both ways.
fn read_every_column(snapshot: &Snapshot) {
    let ctx = EvalContext::new(NOW.parse().expect("now"), snapshot.time_zone().clone());
    let def = snapshot.schema().get(&lead()).expect("lead").clone();
    for field in &def.fields {
        for direction in [SortDirection::Ascending, SortDirection::Descending] {
            for filter in ["", "a"] {
                let query = RecordQuery { filter: filter.to_owned(), sort: Some((field.name.clone(), direction)) };
                query_ids(snapshot, &lead(), &query, &ctx).expect("list");
            }
        }
    }
}

#[test]
fn writes_through_the_store_are_caught_up_or_rebuilt() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo(dir.path(), "work.sqlite", 1500, 4);
    cached(&path);
    let mut ws = Workspace::open(&path).expect("open");
    let def = ws.schema().get(&lead()).expect("lead").clone();
    let country = def.field_index(&FieldName::new("country")).expect("country");
    let rating = def.field_index(&FieldName::new("rating")).expect("rating");
    let mut changed = ws.record(&lead(), RecordId(10)).expect("read").expect("lead 10");
    changed.values[country] = Value::Text("Germany".to_owned());
    changed.values[rating] = Value::Choice("Hot".to_owned());
    ws.update_record(&lead(), &changed).expect("update");
    let mut values = vec![Value::Empty; def.fields.len()];
    values[0] = Value::Text("Added".to_owned());
    values[country] = Value::Text("France".to_owned());
    ws.insert_record(&lead(), values).expect("insert");
    ws.delete_record(&lead(), RecordId(11)).expect("delete");
    drop(ws);
    assert_eq!(check_same_answers(&path), CacheUse::Hit { replayed: 3 });

    // An account the store deletes logs only itself; the leads that pointed at it lost
    // their account (ON DELETE SET NULL) and are read again too.
    let account = RecordTypeName::new("account");
    let target: i64 = rusqlite::Connection::open(&path)
        .expect("open")
        .query_row("SELECT account FROM lead WHERE account IS NOT NULL LIMIT 1", [], |r| r.get(0))
        .expect("a lead with an account");
    let target = RecordId(target);
    Workspace::open(&path).expect("open").delete_record(&account, target).expect("delete the account");
    let used = check_same_answers(&path);
    let CacheUse::Hit { replayed: before } = used else { panic!("{used:?}") };
    assert!(before > 1, "{used:?}");

    // A write of many records in one transaction logs them beside its marker.
    let mut ws = Workspace::open(&path).expect("open");
    ws.atomically(|ws| {
        let mut values = vec![Value::Empty; def.fields.len()];
        values[0] = Value::Text("In bulk".to_owned());
        ws.insert_record(&lead(), values.clone())?;
        ws.insert_record(&lead(), values)
    })
    .expect("bulk");
    drop(ws);
    // (The cache is not rewritten for a few changes: they are read again each time.)
    assert_eq!(check_same_answers(&path), CacheUse::Hit { replayed: before + 2 });

    // Beyond what a transaction logs one by one, the cache is rebuilt.
    let mut ws = Workspace::open(&path).expect("open");
    ws.atomically(|ws| {
        let mut values = vec![Value::Empty; def.fields.len()];
        values[0] = Value::Text("Very many".to_owned());
        for _ in 0..=LOGGED_PER_TRANSACTION {
            ws.insert_record(&lead(), values.clone())?;
        }
        Ok(())
    })
    .expect("bulk");
    drop(ws);
    let used = check_same_answers(&path);
    assert!(matches!(&used, CacheUse::Built { reason } if reason.contains("Segment Builder")), "{used:?}");
    assert_eq!(check_same_answers(&path), CacheUse::Hit { replayed: 0 });
}

#[test]
fn the_apps_own_writes_keep_the_cache_a_hit_and_exact() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo(dir.path(), "work.sqlite", 1500, 8);
    cached(&path);

    // Definitions only (a segment saved, its status changed): no record is read again.
    let mut ws = Workspace::open(&path).expect("open");
    let mut segments = ws.segments(&lead()).expect("segments");
    let inactive = segments.iter_mut().find(|s| s.status != Status::Active).expect("an inactive segment");
    inactive.description = "Saved by the window".to_owned();
    ws.update_segment(inactive).expect("save");
    ws.set_segment_status(inactive.id, Status::Active, NOW.parse().expect("now")).expect("activate");
    drop(ws);
    assert_eq!(check_same_answers(&path), CacheUse::Hit { replayed: 0 });

    // `apply` writes memberships and owners (records) in one transaction of the store.
    let output = binary().arg("apply").arg(&path).args(["--now", NOW]).output().expect("run");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let (_, used) = cached(&path);
    assert!(is_hit(&used), "{used:?}");
    check_same_answers(&path);

    // A seller deleted: the records they owned lose their owner through a foreign-key
    // action, which the store's statement never names.
    let mut ws = Workspace::open(&path).expect("open");
    let owner: i64 = rusqlite::Connection::open(&path)
        .expect("open")
        .query_row(
            "SELECT owner FROM lead WHERE owner IS NOT NULL GROUP BY owner ORDER BY count(*) DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("an owner");
    ws.delete_seller(segment_builder::domain::SellerId(owner)).expect("delete the seller");
    drop(ws);
    let (_, used) = cached(&path);
    assert!(matches!(used, CacheUse::Hit { replayed } if replayed > 0), "{used:?}");
    check_same_answers(&path);
    // The next cold preview by the binary reads the cache and answers exactly.
    check_cli_previews(&path);
}

#[test]
fn another_programs_inserts_updates_and_deletes_are_seen_by_preview_and_explain() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo(dir.path(), "work.sqlite", 1500, 5);
    check_cli_previews(&path);
    assert!(cache_path(&path).exists(), "the first preview left a cache");
    let (updated, deleted) = (RecordId(20), RecordId(21));
    let inserted = {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute("UPDATE lead SET country = 'Germany', rating = 'Hot', status = 'New' WHERE id = ?1", [updated.0])
            .expect("update");
        conn.execute("INSERT INTO lead (topic, country, rating) VALUES ('From sqlite3', 'Germany', 'Hot')", [])
            .expect("insert");
        let inserted = RecordId(conn.last_insert_rowid());
        conn.execute("DELETE FROM lead WHERE id = ?1", [deleted.0]).expect("delete");
        inserted
    };
    let (_, used) = cached(&path);
    assert!(is_hit(&used), "caught up, not rebuilt: {used:?}");
    check_same_answers(&path);
    check_cli_previews(&path);
    check_cli_explain(&path, updated);
    check_cli_explain(&path, inserted);

    // An account deleted with foreign keys on: its leads' lookups become empty without a
    // word of them in the statement, only through the triggers.
    let account = {
        let conn = rusqlite::Connection::open(&path).expect("open");
        let account: i64 = conn
            .query_row("SELECT account FROM lead WHERE account IS NOT NULL LIMIT 1", [], |r| r.get(0))
            .expect("one");
        conn.execute_batch("PRAGMA foreign_keys = ON").expect("foreign keys");
        conn.execute("DELETE FROM account WHERE id = ?1", [account]).expect("delete");
        account
    };
    let (snapshot, used) = cached(&path);
    assert!(is_hit(&used), "{used:?}");
    let account_field =
        snapshot.schema().get(&lead()).and_then(|d| d.field_index(&FieldName::new("account"))).expect("field");
    let is_empty = segment_builder::domain::Group {
        children: vec![segment_builder::domain::Node::Condition(segment_builder::domain::Condition {
            id: segment_builder::domain::NodeId(1),
            path: segment_builder::domain::FieldPath {
                via: Vec::new(),
                field: snapshot.schema().get(&lead()).expect("lead").fields[account_field].name.clone(),
            },
            operator: segment_builder::domain::Operator::IsEmpty,
            value: segment_builder::domain::Operand::None,
        })],
        ..segment_builder::domain::Group::all(segment_builder::domain::NodeId(0))
    };
    let ctx = EvalContext::new(NOW.parse().expect("now"), snapshot.time_zone().clone());
    let count = |s: &Snapshot| compile(s, &lead(), &is_empty, &ctx).expect("compile").evaluate(s).count();
    assert_eq!(count(&snapshot), count(&fresh(&path)), "leads of deleted account {account} have no account");
    check_same_answers(&path);
}

#[test]
fn a_damaged_or_cut_cache_is_ignored_and_rebuilt() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, file, good) = cached_demo(dir.path(), 1500, 6);
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x10;
    let damages: [(&str, Vec<u8>); 4] = [
        ("cut in half", good[..good.len() / 2].to_vec()),
        ("cut by a byte", good[..good.len() - 1].to_vec()),
        ("a flipped bit", flipped),
        ("not a cache", b"hello".to_vec()),
    ];
    for (damage, bytes) in damages {
        std::fs::write(&file, bytes).expect("damage");
        let used = check_same_answers(&path);
        assert!(matches!(&used, CacheUse::Built { reason } if reason.contains("damaged")), "{damage}: {used:?}");
        assert_eq!(std::fs::read(&file).expect("read"), good, "{damage}: written again whole");
        check_cli_previews(&path);
    }
}

#[test]
fn schema_changes_and_another_workspace_invalidate_the_cache() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo(dir.path(), "work.sqlite", 1500, 7);
    let rebuilt = |path: &Path, why: &str| {
        let used = check_same_answers(path);
        assert!(matches!(&used, CacheUse::Built { .. }), "{why}: {used:?}");
        assert!(is_hit(&check_same_answers(path)), "{why}: cached again");
    };
    cached(&path);
    Workspace::open(&path)
        .expect("open")
        .add_field(&lead(), FieldDef::new("budget", "Budget", FieldKind::Money))
        .expect("field");
    rebuilt(&path, "a new field");
    let mut def = Workspace::open(&path).expect("open").schema().get(&lead()).expect("lead").clone();
    def.name = RecordTypeName::new("prospect");
    def.label = "Prospect".to_owned();
    def.plural_label = "Prospects".to_owned();
    def.fields.retain(|f| f.kind != FieldKind::Lookup && f.kind != FieldKind::Owner);
    Workspace::open(&path).expect("open").add_record_type(def).expect("type");
    rebuilt(&path, "a new record type");
    Workspace::open(&path).expect("open").set_time_zone("Europe/Berlin").expect("zone");
    rebuilt(&path, "another time zone");

    // Another workspace at the same path, with the cache of the first beside it.
    let other = demo(dir.path(), "other.sqlite", 1500, 7);
    let stale = std::fs::read(cache_path(&path)).expect("read");
    std::fs::rename(&other, &path).expect("replace");
    std::fs::write(cache_path(&path), stale).expect("keep the old cache");
    let used = check_same_answers(&path);
    assert!(matches!(&used, CacheUse::Built { reason } if reason.contains("another workspace")), "{used:?}");
}

#[test]
fn version_6_workspaces_get_an_identity() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.sqlite");
    drop(Workspace::create(&path).expect("create"));
    let identity = |path: &Path| -> String {
        let conn = rusqlite::Connection::open(path).expect("open");
        conn.query_row("SELECT token FROM workspace_identity WHERE id = 1", [], |r| r.get(0)).expect("identity")
    };
    let first = identity(&path);
    assert_eq!(first.len(), 32, "{first}");
    {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute_batch("DROP TABLE workspace_identity; PRAGMA user_version = 6;").expect("make version 6");
    }
    // A reader refuses it until the app upgraded it; the upgrade gives a new identity.
    assert!(Workspace::open_reader(&path).is_err());
    drop(Workspace::open(&path).expect("upgraded"));
    let conn = rusqlite::Connection::open(&path).expect("open");
    let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
    assert_eq!(version, SCHEMA_VERSION);
    drop(conn);
    let upgraded = identity(&path);
    assert_eq!(upgraded.len(), 32);
    assert_ne!(upgraded, first, "identities are random");
    // Opening again keeps it.
    drop(Workspace::open(&path).expect("open"));
    assert_eq!(identity(&path), upgraded);
}
