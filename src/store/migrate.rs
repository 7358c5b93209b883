//! Schema migrations with `PRAGMA user_version`, and the table definitions they use.
//!
//! `MIGRATIONS[i]` brings a workspace from version `i` to `i + 1`; the caller runs them all
//! inside one transaction, so a failing step leaves the file as it was. To add a version:
//! append a step and bump [`SCHEMA_VERSION`].

use rusqlite::{Connection, Transaction};

use super::cache_log::v7_identity;
use super::changes::v6_change_log;
use super::routing::v9_routing;
use super::{Result, SCHEMA_VERSION, SqlContext, StoreError, quote};
use crate::domain::{FieldDef, FieldKind, RecordTypeDef, Schema};

type Migration = fn(&Transaction<'_>) -> Result<()>;

/// One step per version; its length is [`SCHEMA_VERSION`].
const MIGRATIONS: &[Migration] = &[
    v1_initial,
    v2_lifecycle,
    v3_assignment,
    v4_enrolment,
    v5_pending,
    v6_change_log,
    v7_identity,
    v8_cadence,
    v9_routing,
    v10_seller_load,
    v11_fewer_seller_indexes,
];

/// The time zone of a new workspace.
pub(super) const DEFAULT_TIME_ZONE: &str = "UTC";

/// Runs every step after `from` inside `tx`, then records the new version. Does nothing for
/// a current workspace.
pub(super) fn migrate(tx: &Transaction<'_>, from: i32) -> Result<()> {
    let from = usize::try_from(from).map_err(|_| StoreError::Invalid(format!("workspace version {from}")))?;
    if from >= MIGRATIONS.len() {
        return Ok(());
    }
    for (version, step) in MIGRATIONS.iter().enumerate().skip(from) {
        step(tx).map_err(|e| match e {
            StoreError::Sqlite { context, source } => StoreError::Sqlite {
                context: format!("upgrading the workspace to version {}: {context}", version + 1),
                source,
            },
            other => other,
        })?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION).context("recording the workspace version")
}

/// Version 1: the metadata and internal tables, the four built-in record types and the
/// default settings. Internal table names are `domain::schema::RESERVED_TYPE_NAMES`.
fn v1_initial(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(V1_TABLES).context("creating the workspace tables")?;
    let schema = Schema::built_in();
    // Lookup targets first: `field.lookup_target` references `record_type`.
    for def in schema.creation_order() {
        let position = schema.types.iter().position(|t| t.name == def.name).unwrap_or_default();
        insert_type_metadata(tx, def, position)?;
        create_type_table(tx, def)?;
    }
    tx.execute("INSERT INTO setting (key, value) VALUES ('time_zone', ?1)", [DEFAULT_TIME_ZONE])
        .context("storing the default time zone")?;
    Ok(())
}

const V1_TABLES: &str = r#"
CREATE TABLE record_type (
    name TEXT PRIMARY KEY NOT NULL,
    label TEXT NOT NULL,
    plural_label TEXT NOT NULL,
    primary_field TEXT NOT NULL,
    built_in INTEGER NOT NULL CHECK (built_in IN (0, 1)),
    position INTEGER NOT NULL
);
CREATE TABLE field (
    record_type TEXT NOT NULL REFERENCES record_type (name) ON DELETE CASCADE,
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    kind TEXT NOT NULL,
    lookup_target TEXT REFERENCES record_type (name),
    built_in INTEGER NOT NULL CHECK (built_in IN (0, 1)),
    position INTEGER NOT NULL,
    PRIMARY KEY (record_type, name)
);
CREATE TABLE field_choice (
    record_type TEXT NOT NULL,
    field TEXT NOT NULL,
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (record_type, field, position),
    UNIQUE (record_type, field, label),
    FOREIGN KEY (record_type, field) REFERENCES field (record_type, name) ON DELETE CASCADE
);
CREATE TABLE setting (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
CREATE TABLE seller (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    capacity INTEGER CHECK (capacity IS NULL OR capacity >= 0),
    assign_records INTEGER NOT NULL CHECK (assign_records IN (0, 1))
);
CREATE TABLE seller_attribute (
    seller_id INTEGER NOT NULL REFERENCES seller (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (seller_id, name, position)
);
CREATE TABLE attribute_definition (
    name TEXT PRIMARY KEY NOT NULL,
    position INTEGER NOT NULL
);
CREATE TABLE attribute_value (
    attribute TEXT NOT NULL REFERENCES attribute_definition (name) ON DELETE CASCADE ON UPDATE CASCADE,
    position INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (attribute, position),
    UNIQUE (attribute, value)
);
CREATE TABLE work_hours (
    seller_id INTEGER NOT NULL REFERENCES seller (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_minute INTEGER NOT NULL CHECK (start_minute >= 0),
    end_minute INTEGER NOT NULL CHECK (end_minute > start_minute AND end_minute <= 1440),
    PRIMARY KEY (seller_id, position)
);
CREATE TABLE time_off (
    seller_id INTEGER NOT NULL REFERENCES seller (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    start_at TEXT NOT NULL,
    end_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (seller_id, position)
);
CREATE TABLE team (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE team_member (
    team_id INTEGER NOT NULL REFERENCES team (id) ON DELETE CASCADE,
    seller_id INTEGER NOT NULL REFERENCES seller (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (team_id, seller_id)
);
CREATE INDEX "ix:team_member:seller_id" ON team_member (seller_id);
CREATE TABLE sequence (
    id INTEGER PRIMARY KEY,
    record_type TEXT NOT NULL REFERENCES record_type (name),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'active', 'inactive')),
    created_on TEXT NOT NULL,
    modified_on TEXT NOT NULL
);
CREATE TABLE sequence_step (
    sequence_id INTEGER NOT NULL REFERENCES sequence (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    wait_minutes INTEGER CHECK (wait_minutes IS NULL OR wait_minutes >= 0),
    PRIMARY KEY (sequence_id, position)
);
CREATE TABLE segment (
    id INTEGER PRIMARY KEY,
    record_type TEXT NOT NULL REFERENCES record_type (name),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'active', 'inactive')),
    priority INTEGER NOT NULL,
    conditions TEXT NOT NULL,
    accept_from_other_segments INTEGER NOT NULL CHECK (accept_from_other_segments IN (0, 1)),
    rerun_assignment_on_move INTEGER NOT NULL CHECK (rerun_assignment_on_move IN (0, 1)),
    sequence_id INTEGER REFERENCES sequence (id) ON DELETE SET NULL,
    created_on TEXT NOT NULL,
    modified_on TEXT NOT NULL,
    UNIQUE (record_type, name),
    UNIQUE (record_type, priority)
);
CREATE INDEX "ix:segment:sequence_id" ON segment (sequence_id);
CREATE TABLE membership (
    record_type TEXT NOT NULL REFERENCES record_type (name),
    record_id INTEGER NOT NULL,
    segment_id INTEGER NOT NULL REFERENCES segment (id) ON DELETE CASCADE,
    since TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (record_type, record_id)
);
CREATE INDEX "ix:membership:segment_id" ON membership (segment_id);
"#;

/// The rows of `record_type`, `field` and `field_choice` describing `def`.
pub(super) fn insert_type_metadata(tx: &Connection, def: &RecordTypeDef, position: usize) -> Result<()> {
    tx.execute(
        "INSERT INTO record_type (name, label, plural_label, primary_field, built_in, position)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![
            def.name.as_str(),
            def.label,
            def.plural_label,
            def.primary_field.as_str(),
            def.built_in,
            position as i64
        ],
    )
    .with_context(|| format!("describing record type {}", def.name))?;
    for (position, field) in def.fields.iter().enumerate() {
        insert_field_metadata(tx, def, field, position)?;
    }
    Ok(())
}

pub(super) fn insert_field_metadata(
    tx: &Connection,
    def: &RecordTypeDef,
    field: &FieldDef,
    position: usize,
) -> Result<()> {
    tx.execute(
        "INSERT INTO field (record_type, name, label, kind, lookup_target, built_in, position)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![
            def.name.as_str(),
            field.name.as_str(),
            field.label,
            field.kind.key(),
            field.lookup_target.as_ref().map(|t| t.as_str()),
            field.built_in,
            position as i64
        ],
    )
    .with_context(|| format!("describing field {}.{}", def.name, field.name))?;
    let mut stmt = tx
        .prepare_cached("INSERT INTO field_choice (record_type, field, position, label) VALUES (?1, ?2, ?3, ?4)")
        .context("storing choices")?;
    for (position, option) in field.choices.iter().enumerate() {
        stmt.execute(rusqlite::params![def.name.as_str(), field.name.as_str(), position as i64, option])
            .with_context(|| format!("storing the options of {}.{}", def.name, field.name))?;
    }
    Ok(())
}

/// Version 2: segment lifecycle. `membership` is rebuilt without `ON DELETE CASCADE` (a
/// deleted segment's members leave it with a history entry, they do not vanish) and with
/// `moved_from`; `membership_history` records every join, leave and move; `segment_history`
/// every change of a segment. History rows name segments by id without a foreign key, so
/// they outlive the segment; `segment_history.segment_name` keeps its name.
fn v2_lifecycle(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(V2_TABLES).context("creating the membership and history tables")
}

const V2_TABLES: &str = r#"
CREATE TABLE membership_v2 (
    record_type TEXT NOT NULL REFERENCES record_type (name),
    record_id INTEGER NOT NULL,
    segment_id INTEGER NOT NULL REFERENCES segment (id),
    since TEXT NOT NULL,
    reason TEXT NOT NULL,
    moved_from INTEGER,
    PRIMARY KEY (record_id, record_type)
) WITHOUT ROWID;
INSERT INTO membership_v2 (record_type, record_id, segment_id, since, reason, moved_from)
    SELECT record_type, record_id, segment_id, since, reason, NULL FROM membership;
DROP TABLE membership;
ALTER TABLE membership_v2 RENAME TO membership;
CREATE INDEX "ix:membership:segment_id" ON membership (segment_id);
CREATE TABLE membership_history (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    record_type TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('join', 'leave', 'move')),
    from_segment INTEGER,
    to_segment INTEGER,
    reason TEXT NOT NULL
);
CREATE INDEX "ix:membership_history:record_id" ON membership_history (record_id);
CREATE TABLE segment_history (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    segment_id INTEGER NOT NULL,
    record_type TEXT NOT NULL,
    segment_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    before TEXT NOT NULL,
    after TEXT NOT NULL
);
CREATE INDEX "ix:segment_history:segment_id" ON segment_history (segment_id);
"#;

/// Version 3: assignment. `assignment_rule` holds a segment's ordered rules (`position`
/// within the segment), the conditions as `domain::condition_format` RON and the rest of the
/// rule as versioned RON (`definition`); rules reference their segment without a cascade and
/// are deleted with it explicitly. `assignment` is the current state of every record
/// assignment has seen (one row per record: assigned with rule and seller, or unassigned
/// with a reason) and `assignment_history` every decision; neither has a foreign key to
/// segments, rules or sellers, so they outlive them.
fn v3_assignment(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(V3_TABLES).context("creating the assignment tables")
}

const V3_TABLES: &str = r#"
CREATE TABLE assignment_rule (
    id INTEGER PRIMARY KEY,
    segment_id INTEGER NOT NULL REFERENCES segment (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    active INTEGER NOT NULL CHECK (active IN (0, 1)),
    conditions TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_on TEXT NOT NULL,
    modified_on TEXT NOT NULL
);
CREATE INDEX "ix:assignment_rule:segment_id" ON assignment_rule (segment_id, position);
CREATE TABLE assignment (
    record_type TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    segment_id INTEGER,
    rule_id INTEGER,
    seller_id INTEGER,
    status TEXT NOT NULL CHECK (status IN ('assigned', 'unassigned')),
    reason TEXT,
    at TEXT NOT NULL,
    PRIMARY KEY (record_type, record_id),
    CHECK ((status = 'assigned') = (seller_id IS NOT NULL AND reason IS NULL))
);
CREATE INDEX "ix:assignment:seller_id" ON assignment (seller_id);
CREATE TABLE assignment_history (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    record_type TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    segment_id INTEGER,
    rule_id INTEGER,
    seller_id INTEGER,
    status TEXT NOT NULL CHECK (status IN ('assigned', 'unassigned')),
    reason TEXT
);
CREATE INDEX "ix:assignment_history:record_id" ON assignment_history (record_id);
CREATE INDEX "ix:assignment_history:seller_id" ON assignment_history (seller_id);
"#;

/// Version 4: enrolments. One row per record's run of a sequence: the record, the sequence
/// and the segment it joined, the current step (0 is the first), `running` or `ended` with
/// the end reason ("moved", "re-enrolled") and time. No foreign keys, so enrolments outlive
/// their segment and sequence. At most one enrolment of a record runs: the apply ends the
/// running one before it enrols again (an index less keeps a million enrolments fast to
/// write). `IF NOT EXISTS`: tests rebuild older versions by lowering `user_version` of a
/// current file, which keeps this table.
fn v4_enrolment(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(V4_TABLES).context("creating the enrolment table")
}

const V4_TABLES: &str = r#"
CREATE TABLE IF NOT EXISTS enrolment (
    id INTEGER PRIMARY KEY,
    record_type TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    sequence_id INTEGER NOT NULL,
    segment_id INTEGER NOT NULL,
    step INTEGER NOT NULL CHECK (step >= 0),
    status TEXT NOT NULL CHECK (status IN ('running', 'ended')),
    end_reason TEXT,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    CHECK ((status = 'ended') = (end_reason IS NOT NULL AND ended_at IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS "ix:enrolment:record" ON enrolment (record_type, record_id, id);
CREATE INDEX IF NOT EXISTS "ix:enrolment:sequence_id" ON enrolment (sequence_id, id);
"#;

/// Version 5: the records an import wrote that are still to be evaluated against the
/// segments (see `store::pending`): written in the import's transaction, cleared in the
/// evaluation's. `kind` says which reason a join gets. No foreign keys: a mark of a record
/// deleted since is simply cleared.
fn v5_pending(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(V5_TABLES).context("creating the table of records to evaluate")
}

const V5_TABLES: &str = r"
CREATE TABLE IF NOT EXISTS pending_evaluation (
    id INTEGER PRIMARY KEY,
    record_type TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('created', 'updated'))
);
";

/// Version 8: sequences that run. A sequence says whether waits count the owner's working
/// hours and whether leaving the segment ends an enrolment; an enrolment knows when its
/// current step is due (`due_at`, whole seconds, so the text sorts as the time; indexed for
/// the running ones, which the Work list reads in due order); `enrolment_step` keeps what
/// became of each finished step (done or skipped), with the step's kind and name then.
/// Running enrolments of older versions sat on their first step: one on a wait moves past
/// the waits (counted in UTC from its start), the others are due since they started.
fn v8_cadence(tx: &Transaction<'_>) -> Result<()> {
    add_column(tx, "sequence", "working_hours", "INTEGER NOT NULL DEFAULT 0 CHECK (working_hours IN (0, 1))")?;
    add_column(tx, "sequence", "stop_when_leaving", "INTEGER NOT NULL DEFAULT 0 CHECK (stop_when_leaving IN (0, 1))")?;
    add_column(tx, "enrolment", "due_at", "TEXT")?;
    tx.execute_batch(V8_DUE).context("making running enrolments due")?;
    tx.execute_batch(V8_TABLES).context("creating the table of finished steps")
}

/// Version 10: the sellers' load read from indexes of the assigned rows. Round robin and
/// "Why this seller?" need each seller's open records and latest assignment: a count over
/// every assignment and two scans of the whole history (0.5 s at half a million rows,
/// for every batch of decisions), now an index-only count and one seek per seller.
fn v10_seller_load(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(V10_INDEXES).context("indexing the sellers' assignments")
}

const V10_INDEXES: &str = r#"
CREATE INDEX IF NOT EXISTS "ix:assignment:assigned" ON assignment (seller_id) WHERE status = 'assigned';
CREATE INDEX IF NOT EXISTS "ix:assignment_history:assigned"
    ON assignment_history (seller_id, at) WHERE status = 'assigned';
"#;

/// Version 11: the two indexes of every assignment row by seller go. No query reads them
/// (the sellers' load reads the version-10 indexes of the assigned rows), and each
/// decision wrote both: 1.7 s of a million-lead import.
fn v11_fewer_seller_indexes(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(
        r#"DROP INDEX IF EXISTS "ix:assignment:seller_id";
           DROP INDEX IF EXISTS "ix:assignment_history:seller_id";"#,
    )
    .context("dropping the indexes of assignments by seller")
}

/// Adds a column unless it is there (tests rebuild older versions by lowering
/// `user_version` of a current file).
fn add_column(tx: &Transaction<'_>, table: &str, column: &str, definition: &str) -> Result<()> {
    let context = format!("adding {table}.{column}");
    let exists: bool = tx
        .query_row(
            &format!("SELECT EXISTS (SELECT 1 FROM pragma_table_info({}) WHERE name = ?1)", sql_text(table)),
            [column],
            |r| r.get(0),
        )
        .with_context(|| context.clone())?;
    if exists {
        return Ok(());
    }
    tx.execute_batch(&format!("ALTER TABLE {} ADD COLUMN {} {definition}", quote(table), quote(column)))
        .with_context(|| context.clone())
}

/// A string literal of SQL (for table-valued pragmas, which take no parameters).
fn sql_text(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

const V8_DUE: &str = r#"
UPDATE enrolment SET
    step = coalesce((SELECT min(s.position) FROM sequence_step s
        WHERE s.sequence_id = enrolment.sequence_id AND s.position >= enrolment.step AND s.kind <> 'wait'), step),
    due_at = strftime('%Y-%m-%dT%H:%M:%SZ', started_at, '+' || (SELECT total(s.wait_minutes) FROM sequence_step s
        WHERE s.sequence_id = enrolment.sequence_id AND s.position >= enrolment.step
        AND s.position < coalesce((SELECT min(t.position) FROM sequence_step t
            WHERE t.sequence_id = enrolment.sequence_id AND t.position >= enrolment.step AND t.kind <> 'wait'), enrolment.step)) || ' minutes')
    WHERE status = 'running' AND due_at IS NULL;
CREATE INDEX IF NOT EXISTS "ix:enrolment:due_at" ON enrolment (due_at) WHERE status = 'running';
"#;

const V8_TABLES: &str = r#"
CREATE TABLE IF NOT EXISTS enrolment_step (
    id INTEGER PRIMARY KEY,
    enrolment_id INTEGER NOT NULL,
    position INTEGER NOT NULL CHECK (position >= 0),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('done', 'skipped')),
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS "ix:enrolment_step:enrolment_id" ON enrolment_step (enrolment_id, id);
"#;

/// The column definition of a field: a real typed column named by the field name.
pub(super) fn column_sql(field: &FieldDef) -> String {
    let name = quote(field.name.as_str());
    match field.kind {
        FieldKind::Text | FieldKind::Choice | FieldKind::Date | FieldKind::DateTime => format!("{name} TEXT"),
        FieldKind::WholeNumber => format!("{name} INTEGER"),
        FieldKind::Decimal | FieldKind::Money => format!("{name} REAL"),
        FieldKind::YesNo => format!("{name} INTEGER CHECK ({name} IN (0, 1))"),
        FieldKind::Lookup => {
            let target = field.lookup_target.as_ref().map(|t| t.as_str()).unwrap_or_default();
            format!("{name} INTEGER REFERENCES {} (\"id\") ON DELETE SET NULL", quote(target))
        }
        FieldKind::Owner => format!("{name} INTEGER REFERENCES \"seller\" (\"id\") ON DELETE SET NULL"),
    }
}

/// An index on a lookup or owner column, so deleting the target (ON DELETE SET NULL) and
/// "records of this account" do not scan the table. Index names hold a `:`, which logical
/// names cannot, so they never clash with a record type's table.
pub(super) fn create_reference_index(tx: &Connection, def: &RecordTypeDef, field: &FieldDef) -> Result<()> {
    if !matches!(field.kind, FieldKind::Lookup | FieldKind::Owner) {
        return Ok(());
    }
    let index = format!("ix:{}:{}", def.name, field.name);
    tx.execute_batch(&format!(
        "CREATE INDEX {} ON {} ({})",
        quote(&index),
        quote(def.name.as_str()),
        quote(field.name.as_str())
    ))
    .with_context(|| format!("indexing {}.{}", def.name, field.name))
}

/// The table of a record type: `id INTEGER PRIMARY KEY` and one column per field.
pub(super) fn create_type_table(tx: &Connection, def: &RecordTypeDef) -> Result<()> {
    let mut columns = vec!["\"id\" INTEGER PRIMARY KEY".to_owned()];
    columns.extend(def.fields.iter().map(column_sql));
    tx.execute_batch(&format!("CREATE TABLE {} (\n    {}\n)", quote(def.name.as_str()), columns.join(",\n    ")))
        .with_context(|| format!("creating the table of {}", def.name))?;
    for field in &def.fields {
        create_reference_index(tx, def, field)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_migration_per_version() {
        assert_eq!(MIGRATIONS.len(), SCHEMA_VERSION as usize);
    }

    #[test]
    fn every_internal_table_is_reserved() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(V1_TABLES).unwrap();
        conn.execute_batch(V2_TABLES).unwrap();
        conn.execute_batch(V3_TABLES).unwrap();
        conn.execute_batch(V4_TABLES).unwrap();
        conn.execute_batch(V5_TABLES).unwrap();
        conn.execute_batch(super::super::changes::V6_TABLES).unwrap();
        conn.execute_batch(V8_TABLES).unwrap();
        // `sqlite_sequence` (of AUTOINCREMENT) is SQLite's: no record type can take an
        // `sqlite_` name.
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
            .unwrap();
        let names: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
        for name in names {
            assert!(crate::domain::schema::RESERVED_TYPE_NAMES.contains(&name.as_str()), "{name} is not reserved");
        }
    }
}
