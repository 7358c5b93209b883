//! Records: one table per record type, one typed column per field.
//!
//! Column forms: Text and Choice (the option label) are TEXT; `WholeNumber` INTEGER; Decimal
//! and Money REAL; Date TEXT `YYYY-MM-DD`; `DateTime` TEXT UTC `YYYY-MM-DDTHH:MM:SSZ` (whole
//! seconds, fixed width so text order is time order); `YesNo` INTEGER 0/1; Lookup and Owner
//! INTEGER ids. Empty is NULL.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::Offset;
use rusqlite::types::{ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, Row, Statement};

use super::changes::log_record;
use super::{RecordQuery, Result, SortDirection, SqlContext, StoreError, Workspace, is_foreign_key_error, quote};
use crate::domain::eval::fold;
use crate::domain::value::{ValueError, check_record};
use crate::domain::{
    FieldKind, MembershipReason, Record, RecordBatch, RecordId, RecordTypeDef, RecordTypeName, Value, ValueView,
};

/// [`Workspace::insert_records`] calls its `progress` after every this many rows.
pub const PROGRESS_EVERY_ROWS: u64 = 10_000;

impl Workspace {
    /// Inserts one record; `values` holds one value per field of the type, in field order
    /// (text is normalised: blank text is empty). Bad values, or a lookup / owner to a
    /// missing record, are `Invalid` naming the field.
    pub fn insert_record(&mut self, ty: &RecordTypeName, values: Vec<Value>) -> Result<RecordId> {
        self.check_writable()?;
        let def = self.type_def(ty)?;
        let values = prepare_values(def, values).map_err(StoreError::Invalid)?;
        self.writing_records(|ws| {
            let def = ws.type_def(ty)?;
            let tx = ws.write_scope().with_context(|| format!("adding a {ty}"))?;
            let mut stmt = tx.prepare_cached(&insert_sql(def)).with_context(|| format!("adding a {ty}"))?;
            execute_with(&mut stmt, &values, None)
                .map_err(|e| reference_error(&tx, def, &values, e, &format!("adding a {ty}")))?;
            drop(stmt);
            let id = RecordId(tx.last_insert_rowid());
            log_record(&tx, ty, id).with_context(|| format!("adding a {ty}"))?;
            tx.commit().with_context(|| format!("adding a {ty}"))?;
            Ok(id)
        })
    }

    /// Inserts many records in one transaction (an import). Every row is checked as in
    /// [`Workspace::insert_record`]; an error names the row (1-based) and rolls everything
    /// back. `progress(rows_so_far)` is called every [`PROGRESS_EVERY_ROWS`] rows and once
    /// at the end; when it returns false the import is cancelled: everything is rolled back
    /// and the result is `Ok(0)`. Otherwise returns the number of rows inserted.
    pub fn insert_records(
        &mut self,
        ty: &RecordTypeName,
        rows: &mut dyn Iterator<Item = Vec<Value>>,
        progress: &mut dyn FnMut(u64) -> bool,
    ) -> Result<u64> {
        self.check_writable()?;
        let def = self.type_def(ty)?;
        let context = format!("importing {}", def.plural_label);
        let tx = self.write_scope().with_context(|| context.clone())?;
        let mut count: u64 = 0;
        {
            let mut stmt = tx.prepare(&insert_sql(def)).with_context(|| context.clone())?;
            for row in rows {
                let row_number = count + 1;
                let values =
                    prepare_values(def, row).map_err(|e| StoreError::Invalid(format!("row {row_number}: {e}")))?;
                execute_with(&mut stmt, &values, None).map_err(|e| {
                    match reference_error(&tx, def, &values, e, &format!("{context}, row {row_number}")) {
                        StoreError::Invalid(message) => StoreError::Invalid(format!("row {row_number}: {message}")),
                        other => other,
                    }
                })?;
                count = row_number;
                if count.is_multiple_of(PROGRESS_EVERY_ROWS) && !progress(count) {
                    return Ok(0);
                }
            }
        }
        if !count.is_multiple_of(PROGRESS_EVERY_ROWS) && !progress(count) {
            return Ok(0);
        }
        tx.commit().with_context(|| context.clone())?;
        Ok(count)
    }

    /// Puts back a record with its own id (undoing its deletion). `Invalid` if a record
    /// with that id exists, or as [`Workspace::insert_record`] for its values. Records that
    /// pointed at it before it was deleted had those links cleared and keep them cleared.
    pub fn restore_record(&mut self, ty: &RecordTypeName, record: &Record) -> Result<()> {
        self.check_writable()?;
        let def = self.type_def(ty)?;
        if self.record(ty, record.id)?.is_some() {
            return Err(StoreError::Invalid(format!("{} #{} already exists", def.label, record.id)));
        }
        let values = prepare_values(def, record.values.clone()).map_err(StoreError::Invalid)?;
        let sql = insert_with_id_sql(def);
        let context = format!("restoring {ty} #{}", record.id);
        self.writing_records(|ws| {
            let def = ws.type_def(ty)?;
            let tx = ws.write_scope().with_context(|| context.clone())?;
            let mut stmt = tx.prepare_cached(&sql).with_context(|| context.clone())?;
            execute_with(&mut stmt, &values, Some(record.id))
                .map_err(|e| reference_error(&tx, def, &values, e, &context))?;
            drop(stmt);
            log_record(&tx, ty, record.id).with_context(|| context.clone())?;
            tx.commit().with_context(|| context.clone())
        })
    }

    /// Replaces every value of an existing record. `Invalid` if there is no such record or
    /// a value does not fit its field.
    pub fn update_record(&mut self, ty: &RecordTypeName, record: &Record) -> Result<()> {
        self.check_writable()?;
        let def = self.type_def(ty)?;
        let values = prepare_values(def, record.values.clone()).map_err(StoreError::Invalid)?;
        let assignments: Vec<String> =
            def.fields.iter().enumerate().map(|(i, f)| format!("{} = ?{}", quote(f.name.as_str()), i + 1)).collect();
        let sql = format!(
            "UPDATE {} SET {} WHERE \"id\" = ?{}",
            quote(ty.as_str()),
            assignments.join(", "),
            def.fields.len() + 1
        );
        let context = format!("saving {ty} {}", record.id);
        self.writing_records(|ws| {
            let def = ws.type_def(ty)?;
            let tx = ws.write_scope().with_context(|| context.clone())?;
            let mut stmt = tx.prepare_cached(&sql).with_context(|| context.clone())?;
            let changed = execute_with(&mut stmt, &values, Some(record.id))
                .map_err(|e| reference_error(&tx, def, &values, e, &context))?;
            drop(stmt);
            if changed == 0 {
                return Err(StoreError::Invalid(format!("there is no {ty} with id {}", record.id)));
            }
            log_record(&tx, ty, record.id).with_context(|| context.clone())?;
            tx.commit().with_context(|| context.clone())
        })
    }

    /// Deletes a record and its segment membership (a "left, record deleted" entry in the
    /// membership history records when). Lookups pointing at it become empty.
    /// `Invalid` if there is no such record.
    pub fn delete_record(&mut self, ty: &RecordTypeName, id: RecordId) -> Result<()> {
        self.check_writable()?;
        self.type_def(ty)?;
        let context = format!("deleting {ty} {id}");
        self.writing_records(|ws| ws.delete_record_logged(ty, id, &context))
    }

    /// [`Workspace::delete_record`], logging the record instead of a commit marker.
    fn delete_record_logged(&mut self, ty: &RecordTypeName, id: RecordId, context: &str) -> Result<()> {
        let context = context.to_owned();
        let tx = self.write_scope().with_context(|| context.clone())?;
        let deleted = tx
            .execute(&format!("DELETE FROM {} WHERE \"id\" = ?1", quote(ty.as_str())), [id.0])
            .with_context(|| context.clone())?;
        if deleted == 0 {
            return Err(StoreError::Invalid(format!("there is no {ty} with id {id}")));
        }
        tx.execute(
            "INSERT INTO membership_history (at, record_type, record_id, kind, from_segment, to_segment, reason)
             SELECT ?3, record_type, record_id, 'leave', segment_id, NULL, ?4 FROM membership
             WHERE record_type = ?1 AND record_id = ?2",
            rusqlite::params![
                ty.as_str(),
                id.0,
                crate::clock::now().to_string(),
                MembershipReason::RecordDeleted.key()
            ],
        )
        .with_context(|| context.clone())?;
        tx.execute(
            "DELETE FROM membership WHERE record_type = ?1 AND record_id = ?2",
            rusqlite::params![ty.as_str(), id.0],
        )
        .with_context(|| context.clone())?;
        log_record(&tx, ty, id).with_context(|| context.clone())?;
        tx.commit().with_context(|| context.clone())
    }

    /// One record, or `None` if there is no record with that id.
    pub fn record(&self, ty: &RecordTypeName, id: RecordId) -> Result<Option<Record>> {
        let def = self.type_def(ty)?;
        let sql = format!("{} WHERE \"id\" = ?1", select_sql(def));
        let mut stmt = self.conn.prepare_cached(&sql).with_context(|| format!("reading {ty} {id}"))?;
        let row = stmt.query_row([id.0], |row| Ok(self.read_record(def, row))).optional();
        row.with_context(|| format!("reading {ty} {id}"))?.transpose()
    }

    /// The records with these ids, in the order of `ids`; ids with no record are skipped.
    pub fn records_by_id(&self, ty: &RecordTypeName, ids: &[RecordId]) -> Result<Vec<Record>> {
        self.records_by_id_of(ty, ids, &|_| true)
    }

    /// Like [`Workspace::records_by_id`], but only the fields in `fields` are read: every
    /// other field of the records is `Empty`. For work that provably reads no other field
    /// (an assignment at a million records reads two of twenty).
    pub fn records_by_id_reading(
        &self,
        ty: &RecordTypeName,
        ids: &[RecordId],
        fields: &std::collections::BTreeSet<crate::domain::FieldName>,
    ) -> Result<Vec<Record>> {
        self.records_by_id_of(ty, ids, &|field| fields.contains(&field.name))
    }

    /// The records with these ids, in the order of `ids`, with the fields `read` accepts
    /// (the others `Empty`).
    fn records_by_id_of(
        &self,
        ty: &RecordTypeName,
        ids: &[RecordId],
        read: &dyn Fn(&crate::domain::FieldDef) -> bool,
    ) -> Result<Vec<Record>> {
        let def = self.type_def(ty)?;
        let read: Vec<(usize, &crate::domain::FieldDef)> =
            def.fields.iter().enumerate().filter(|(_, f)| read(f)).collect();
        let mut columns = vec!["\"id\"".to_owned()];
        columns.extend(read.iter().map(|(_, f)| quote(f.name.as_str())));
        let context = || format!("reading {}", def.plural_label);
        let decode_row = |row: &Row<'_>| -> Result<Record> {
            let id = RecordId(row.get(0).with_context(context)?);
            let mut values = vec![Value::Empty; def.fields.len()];
            for (column, &(i, field)) in read.iter().enumerate() {
                let raw = row.get_ref(column + 1).with_context(context)?;
                values[i] = decode(field.kind, raw)
                    .map_err(|p| self.corrupt(format!("{} {id}, field {}: {p}", def.name, field.name)))?;
            }
            Ok(Record { id, values })
        };
        let select = format!("SELECT {} FROM {}", columns.join(", "), quote(def.name.as_str()));
        if let Some(dense) = Dense::of(ids) {
            // Many ids close together (the records an import added): one walk over their
            // range, instead of a lookup each (2.7 µs a record).
            let sql = format!("{select} WHERE \"id\" BETWEEN ?1 AND ?2 ORDER BY \"id\"");
            let mut stmt = self.conn.prepare_cached(&sql).with_context(context)?;
            let mut rows = stmt.query(dense.range()).with_context(context)?;
            let mut found: Vec<Option<Record>> = vec![None; dense.sorted.len()];
            let mut at = 0;
            while let Some(row) = rows.next().with_context(context)? {
                let id: i64 = row.get(0).with_context(context)?;
                while dense.sorted.get(at).is_some_and(|wanted| *wanted < id) {
                    at += 1;
                }
                if dense.sorted.get(at) == Some(&id) {
                    found[at] = Some(decode_row(row)?);
                }
            }
            return Ok(dense.in_order_of(ids, found));
        }
        let sql = format!("{select} WHERE \"id\" = ?1");
        let mut stmt = self.conn.prepare_cached(&sql).with_context(context)?;
        let mut records = Vec::with_capacity(ids.len());
        for id in ids {
            let row = stmt.query_row([id.0], |row| Ok(decode_row(row))).optional().with_context(context)?;
            if let Some(record) = row.transpose()? {
                records.push(record);
            }
        }
        Ok(records)
    }

    /// Every record of the type, by id.
    pub fn all_records(&self, ty: &RecordTypeName) -> Result<Vec<Record>> {
        let def = self.type_def(ty)?;
        let sql = format!("{} ORDER BY \"id\"", select_sql(def));
        let context = || format!("reading {}", def.plural_label);
        let mut stmt = self.conn.prepare(&sql).with_context(context)?;
        let mut rows = stmt.query([]).with_context(context)?;
        let mut records = Vec::new();
        while let Some(row) = rows.next().with_context(context)? {
            records.push(self.read_record(def, row)?);
        }
        Ok(records)
    }

    /// Reads every record of the type, by id, into batches of at most `records_per_batch`
    /// records (at least one), and hands each full batch, then the last one, to `each`. `each`
    /// may keep the batch (swapping another one in: the store clears whatever it gets back)
    /// and returns false to stop reading. Returns how many records were read. A value the
    /// field cannot hold is `Corrupt`, naming the type, the record id and the field.
    pub fn for_each_batch(
        &self,
        ty: &RecordTypeName,
        records_per_batch: usize,
        each: &mut dyn FnMut(&mut RecordBatch) -> bool,
    ) -> Result<u64> {
        let def = self.type_def(ty)?;
        let sql = format!("{} ORDER BY \"id\"", select_sql(def));
        let context = || format!("reading {}", def.plural_label);
        let mut stmt = self.conn.prepare(&sql).with_context(context)?;
        let mut rows = stmt.query([]).with_context(context)?;
        let records_per_batch = records_per_batch.max(1);
        let mut batch = RecordBatch::with_capacity(def.fields.len(), records_per_batch);
        let mut count = 0;
        while let Some(row) = rows.next().with_context(context)? {
            let id = RecordId(row.get(0).with_context(|| format!("reading a {}", def.name))?);
            batch.start_record(id);
            for (i, field) in def.fields.iter().enumerate() {
                let raw = row.get_ref(i + 1).with_context(|| format!("reading {} {id}", def.name))?;
                let value = decode_view(field.kind, raw)
                    .map_err(|p| self.corrupt(format!("{} {id}, field {}: {p}", def.name, field.name)))?;
                batch.push_value(value);
            }
            count += 1;
            if batch.len() == records_per_batch {
                if !each(&mut batch) {
                    return Ok(count);
                }
                batch.clear();
            }
        }
        if !batch.is_empty() {
            each(&mut batch);
        }
        Ok(count)
    }

    pub fn count_records(&self, ty: &RecordTypeName) -> Result<u64> {
        self.type_def(ty)?;
        let count: i64 = self
            .conn
            .query_row(&format!("SELECT count(*) FROM {}", quote(ty.as_str())), [], |r| r.get(0))
            .with_context(|| format!("counting {ty}"))?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// The ids of the records whose Text or Choice fields contain `query.filter` ignoring
    /// case (Unicode; `% _ \` are plain characters; an empty filter keeps every record),
    /// sorted by `query.sort` with empty values last (text and choices ignoring case), then
    /// by id.
    pub fn query_record_ids(&self, ty: &RecordTypeName, query: &RecordQuery) -> Result<Vec<RecordId>> {
        let def = self.type_def(ty)?;
        let mut sql = format!("SELECT \"id\" FROM {}", quote(ty.as_str()));
        let mut params: Vec<String> = Vec::new();
        if !query.filter.is_empty() {
            let tests: Vec<String> = def
                .fields
                .iter()
                .filter(|f| matches!(f.kind, FieldKind::Text | FieldKind::Choice))
                .map(|f| format!("instr(sb_fold({}), ?1) > 0", quote(f.name.as_str())))
                .collect();
            if tests.is_empty() {
                return Ok(Vec::new());
            }
            sql.push_str(" WHERE ");
            sql.push_str(&tests.join(" OR "));
            params.push(fold(&query.filter));
        }
        match &query.sort {
            None => sql.push_str(" ORDER BY \"id\""),
            Some((name, direction)) => {
                let field = def.field(name).ok_or_else(|| {
                    StoreError::Invalid(format!(
                        "cannot sort {} by \"{name}\": there is no such field",
                        def.plural_label
                    ))
                })?;
                let column = quote(field.name.as_str());
                let key = match field.kind {
                    FieldKind::Text | FieldKind::Choice => format!("sb_fold({column})"),
                    _ => column.clone(),
                };
                let direction = match direction {
                    SortDirection::Ascending => "ASC",
                    SortDirection::Descending => "DESC",
                };
                sql.push_str(&format!(" ORDER BY {column} IS NULL, {key} {direction}, \"id\""));
            }
        }
        let context = || format!("searching {}", def.plural_label);
        let mut stmt = self.conn.prepare(&sql).with_context(context)?;
        let ids = stmt
            .query_map(rusqlite::params_from_iter(params.iter()), |r| r.get(0).map(RecordId))
            .with_context(context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .with_context(context)?;
        Ok(ids)
    }

    /// Up to `limit` records whose title contains `text` (ignoring case), in id order, with
    /// their titles; "#12" or "12" also finds record 12. For record pickers.
    pub fn search_titles(&self, ty: &RecordTypeName, text: &str, limit: usize) -> Result<Vec<(RecordId, String)>> {
        let def = self.type_def(ty)?;
        let index = def.primary_index().ok_or_else(|| self.corrupt(format!("{ty} has no primary field")))?;
        let field = &def.fields[index];
        let column = quote(field.name.as_str());
        let id_wanted: i64 = text.trim().trim_start_matches('#').parse().unwrap_or(-1);
        let sql = format!(
            "SELECT \"id\", {column} FROM {} WHERE \"id\" = ?1 OR instr(sb_fold({column}), ?2) > 0
             ORDER BY \"id\" <> ?1, \"id\" LIMIT ?3",
            quote(ty.as_str())
        );
        let context = || format!("searching {} by {}", def.plural_label, field.label);
        let mut stmt = self.conn.prepare_cached(&sql).with_context(context)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(rusqlite::params![id_wanted, fold(text.trim()), limit], |row| {
                Ok((RecordId(row.get(0)?), decode(field.kind, row.get_ref(1)?)))
            })
            .with_context(context)?;
        let mut found = Vec::new();
        for row in rows {
            let (id, value) = row.with_context(context)?;
            let value =
                value.map_err(|problem| self.corrupt(format!("{ty} {id}, field {}: {problem}", field.label)))?;
            found.push((id, title_of(&value)));
        }
        Ok(found)
    }

    /// The title of each record: its primary field as text; "(no name)" when that is empty;
    /// "#id" when there is no record with that id.
    pub fn record_titles(&self, ty: &RecordTypeName, ids: &[RecordId]) -> Result<HashMap<RecordId, String>> {
        let def = self.type_def(ty)?;
        let index = def.primary_index().ok_or_else(|| self.corrupt(format!("{ty} has no primary field")))?;
        let field = &def.fields[index];
        let sql = format!("SELECT {} FROM {} WHERE \"id\" = ?1", quote(field.name.as_str()), quote(ty.as_str()));
        let context = || format!("reading {} titles", def.label);
        let mut stmt = self.conn.prepare_cached(&sql).with_context(context)?;
        let mut titles = HashMap::with_capacity(ids.len());
        for &id in ids {
            let value = stmt
                .query_row([id.0], |row| Ok(decode(field.kind, row.get_ref(0)?)))
                .optional()
                .with_context(context)?;
            let title = match value {
                None => format!("#{id}"),
                Some(Ok(value)) => title_of(&value),
                Some(Err(problem)) => {
                    return Err(self.corrupt(format!("{ty} {id}, field {}: {problem}", field.label)));
                }
            };
            titles.insert(id, title);
        }
        Ok(titles)
    }

    /// Reads a row of `select_sql(def)`.
    pub(super) fn read_record(&self, def: &RecordTypeDef, row: &Row<'_>) -> Result<Record> {
        let id = RecordId(row.get(0).with_context(|| format!("reading a {}", def.name))?);
        let mut values = Vec::with_capacity(def.fields.len());
        for (i, field) in def.fields.iter().enumerate() {
            let raw = row.get_ref(i + 1).with_context(|| format!("reading {} {id}", def.name))?;
            let value = decode(field.kind, raw)
                .map_err(|p| self.corrupt(format!("{} {id}, field {}: {p}", def.name, field.name)))?;
            values.push(value);
        }
        Ok(Record { id, values })
    }
}

/// Record ids to read by one walk over their range rather than one lookup each: at least
/// [`Dense::AT_LEAST`] distinct ids, spread over at most twice as many.
struct Dense {
    /// The distinct ids, ascending.
    sorted: Vec<i64>,
}

impl Dense {
    const AT_LEAST: usize = 10_000;

    fn of(ids: &[RecordId]) -> Option<Self> {
        if ids.len() < Self::AT_LEAST {
            return None;
        }
        let mut sorted: Vec<i64> = ids.iter().map(|id| id.0).collect();
        sorted.sort_unstable();
        sorted.dedup();
        let (first, last) = (*sorted.first()?, *sorted.last()?);
        let span = u64::try_from(i128::from(last) - i128::from(first)).unwrap_or(u64::MAX);
        (sorted.len() >= Self::AT_LEAST && span < 2 * sorted.len() as u64).then_some(Self { sorted })
    }

    fn range(&self) -> [i64; 2] {
        [self.sorted.first().copied().unwrap_or(0), self.sorted.last().copied().unwrap_or(-1)]
    }

    /// The records `found` (by place in `sorted`) in the order of `ids`, repeats included;
    /// ids without a record are left out.
    fn in_order_of(&self, ids: &[RecordId], mut found: Vec<Option<Record>>) -> Vec<Record> {
        let unique = self.sorted.len() == ids.len();
        let mut records = Vec::with_capacity(ids.len());
        for id in ids {
            let Ok(at) = self.sorted.binary_search(&id.0) else { continue };
            let record = if unique { found[at].take() } else { found[at].clone() };
            records.extend(record);
        }
        records
    }
}

pub(super) fn insert_sql(def: &RecordTypeDef) -> String {
    let columns: Vec<String> = def.fields.iter().map(|f| quote(f.name.as_str())).collect();
    let placeholders: Vec<String> = (1..=def.fields.len()).map(|i| format!("?{i}")).collect();
    format!("INSERT INTO {} ({}) VALUES ({})", quote(def.name.as_str()), columns.join(", "), placeholders.join(", "))
}

/// `insert_sql` with the id as the last parameter.
/// `UPDATE` of every field by id: the fields as ?1…?n, the id as ?n+1 (as `execute_with`
/// binds them).
pub(super) fn update_sql(def: &RecordTypeDef) -> String {
    let assignments: Vec<String> =
        def.fields.iter().enumerate().map(|(i, f)| format!("{} = ?{}", quote(f.name.as_str()), i + 1)).collect();
    format!(
        "UPDATE {} SET {} WHERE \"id\" = ?{}",
        quote(def.name.as_str()),
        assignments.join(", "),
        def.fields.len() + 1
    )
}

pub(super) fn insert_with_id_sql(def: &RecordTypeDef) -> String {
    let mut columns: Vec<String> = def.fields.iter().map(|f| quote(f.name.as_str())).collect();
    columns.push("\"id\"".to_owned());
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
    format!("INSERT INTO {} ({}) VALUES ({})", quote(def.name.as_str()), columns.join(", "), placeholders.join(", "))
}

pub(super) fn select_sql(def: &RecordTypeDef) -> String {
    let mut columns = vec!["\"id\"".to_owned()];
    columns.extend(def.fields.iter().map(|f| quote(f.name.as_str())));
    format!("SELECT {} FROM {}", columns.join(", "), quote(def.name.as_str()))
}

/// Normalises and checks the values of one record; the error names every bad field.
pub(super) fn prepare_values(def: &RecordTypeDef, values: Vec<Value>) -> std::result::Result<Vec<Value>, String> {
    let record = Record { id: RecordId(0), values: values.into_iter().map(Value::normalized).collect() };
    let mut problems = check_record(def, &record);
    if problems.is_empty() {
        for (field, value) in def.fields.iter().zip(&record.values) {
            if let Some(message) = out_of_range(value) {
                problems.push(ValueError { field: field.label.clone(), message });
            }
        }
    }
    if problems.is_empty() {
        Ok(record.values)
    } else {
        let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
        Err(format!("{}: {}", def.label, messages.join("; ")))
    }
}

/// Dates must have four-digit years so their text stays fixed width.
fn out_of_range(value: &Value) -> Option<String> {
    let year = match value {
        Value::Date(date) => date.year(),
        Value::DateTime(at) => Offset::UTC.to_datetime(*at).year(),
        _ => return None,
    };
    (!(1..=9999).contains(&year)).then(|| format!("the year {year} is outside 1–9999"))
}

/// Binds the values (and a trailing id for updates) and runs the statement.
pub(super) fn execute_with(
    stmt: &mut Statement<'_>,
    values: &[Value],
    id: Option<RecordId>,
) -> rusqlite::Result<usize> {
    for (i, value) in values.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, SqlValue(value))?;
    }
    if let Some(id) = id {
        stmt.raw_bind_parameter(values.len() + 1, id.0)?;
    }
    stmt.raw_execute()
}

/// A foreign key failure becomes `Invalid` naming the field that points nowhere.
pub(super) fn reference_error(
    conn: &Connection,
    def: &RecordTypeDef,
    values: &[Value],
    error: rusqlite::Error,
    context: &str,
) -> StoreError {
    if !is_foreign_key_error(&error) {
        return super::sqlite_error(context.to_owned(), error);
    }
    for (field, value) in def.fields.iter().zip(values) {
        let (table, id, what) = match (value, &field.lookup_target) {
            (Value::Lookup(id), Some(target)) => (target.as_str(), id.0, target.as_str()),
            (Value::Owner(id), _) => ("seller", id.0, "seller"),
            _ => continue,
        };
        let exists =
            conn.query_row(&format!("SELECT 1 FROM {} WHERE \"id\" = ?1", quote(table)), [id], |_| Ok(())).optional();
        if let Ok(None) = exists {
            return StoreError::Invalid(format!("{}: {}: there is no {what} with id {id}", def.label, field.label));
        }
    }
    StoreError::Invalid(format!("{}: a lookup or owner points at a record that does not exist", def.label))
}

/// A value as an SQL parameter, in its column form.
struct SqlValue<'a>(&'a Value);

impl ToSql for SqlValue<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Empty => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Text(text) | Value::Choice(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            Value::WholeNumber(n) => ToSqlOutput::from(*n),
            Value::Decimal(x) | Value::Money(x) => ToSqlOutput::from(*x),
            Value::Date(date) => ToSqlOutput::from(format_date(*date)),
            Value::DateTime(at) => ToSqlOutput::from(format_date_time(*at)),
            Value::YesNo(yes) => ToSqlOutput::from(i64::from(*yes)),
            Value::Lookup(id) => ToSqlOutput::from(id.0),
            Value::Owner(id) => ToSqlOutput::from(id.0),
        })
    }
}

/// `YYYY-MM-DD`.
pub(super) fn format_date(date: Date) -> String {
    let mut text = String::with_capacity(10);
    push_date(&mut text, date.year(), date.month(), date.day());
    text
}

/// `YYYY-MM-DD`, written digit by digit: every stored date and time goes through here (two
/// per record of a million-record import), and `format!` cost more than the insert's bind.
fn push_date(text: &mut String, year: i16, month: i8, day: i8) {
    if (0..=9999).contains(&year) {
        push_digits(text, year.unsigned_abs(), 4);
    } else {
        text.push_str(&format!("{year:04}"));
    }
    text.push('-');
    push_digits(text, u16::from(month.unsigned_abs()), 2);
    text.push('-');
    push_digits(text, u16::from(day.unsigned_abs()), 2);
}

/// The last `width` decimal digits of `n`, zero-padded.
fn push_digits(text: &mut String, n: u16, width: u32) {
    for place in (0..width).rev() {
        let digit = (n / 10u16.pow(place)) % 10;
        text.push(char::from(b'0' + u8::try_from(digit).unwrap_or(0)));
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC, whole seconds (a fraction is dropped).
pub(super) fn format_date_time(at: Timestamp) -> String {
    let t = Offset::UTC.to_datetime(at);
    let mut text = String::with_capacity(20);
    push_date(&mut text, t.year(), t.month(), t.day());
    for (separator, part) in [('T', t.hour()), (':', t.minute()), (':', t.second())] {
        text.push(separator);
        push_digits(&mut text, u16::from(part.unsigned_abs()), 2);
    }
    text.push('Z');
    text
}

/// A column value back into a field value; the error says what is wrong with it.
fn decode(kind: FieldKind, raw: ValueRef<'_>) -> std::result::Result<Value, String> {
    decode_view(kind, raw).map(ValueView::to_value)
}

/// [`decode`] without copying texts: the value borrows from the row.
fn decode_view(kind: FieldKind, raw: ValueRef<'_>) -> std::result::Result<ValueView<'_>, String> {
    let text = |bytes| std::str::from_utf8(bytes).map_err(|_| "the text is not valid UTF-8".to_owned());
    let value = match (kind, raw) {
        (_, ValueRef::Null) => ValueView::Empty,
        (FieldKind::Text, ValueRef::Text(bytes)) => ValueView::Text(text(bytes)?),
        (FieldKind::Choice, ValueRef::Text(bytes)) => ValueView::Choice(text(bytes)?),
        (FieldKind::WholeNumber, ValueRef::Integer(n)) => ValueView::WholeNumber(n),
        (FieldKind::Decimal, ValueRef::Integer(n)) => ValueView::Decimal(n as f64),
        (FieldKind::Decimal, ValueRef::Real(x)) => ValueView::Decimal(x),
        (FieldKind::Money, ValueRef::Integer(n)) => ValueView::Money(n as f64),
        (FieldKind::Money, ValueRef::Real(x)) => ValueView::Money(x),
        (FieldKind::Date, ValueRef::Text(bytes)) => ValueView::Date(parse_stored_date(text(bytes)?)?),
        (FieldKind::DateTime, ValueRef::Text(bytes)) => ValueView::DateTime(parse_stored_date_time(text(bytes)?)?),
        (FieldKind::YesNo, ValueRef::Integer(0)) => ValueView::YesNo(false),
        (FieldKind::YesNo, ValueRef::Integer(1)) => ValueView::YesNo(true),
        (FieldKind::Lookup, ValueRef::Integer(n)) => ValueView::Lookup(RecordId(n)),
        (FieldKind::Owner, ValueRef::Integer(n)) => ValueView::Owner(crate::domain::SellerId(n)),
        (kind, other) => {
            return Err(format!("a {kind} field cannot hold the {:?} value {}", other.data_type(), shown(other)));
        }
    };
    Ok(value.normalized())
}

/// The digits of `bytes` (ASCII digits only) as a number.
fn digits(bytes: &[u8]) -> Option<i16> {
    bytes.iter().try_fold(0i16, |n, &b| b.is_ascii_digit().then(|| n * 10 + i16::from(b - b'0')))
}

/// A date column: `YYYY-MM-DD` read directly (most values), anything else by jiff, whose
/// error is the message.
fn parse_stored_date(s: &str) -> std::result::Result<Date, String> {
    let b = s.as_bytes();
    if let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *b
        && let (Some(year), Some(month), Some(day)) = (digits(&[y0, y1, y2, y3]), digits(&[m0, m1]), digits(&[d0, d1]))
        && let Ok(date) = Date::new(year, month as i8, day as i8)
    {
        return Ok(date);
    }
    s.parse().map_err(|e| format!("\"{s}\" is not a date YYYY-MM-DD ({e})"))
}

/// A date-time column: `YYYY-MM-DDTHH:MM:SSZ` read directly (what the store writes),
/// anything else (offsets, fractions, leap seconds…) by jiff, whose error is the message.
fn parse_stored_date_time(s: &str) -> std::result::Result<Timestamp, String> {
    let b = s.as_bytes();
    if let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1, b'T', h0, h1, b':', i0, i1, b':', s0, s1, b'Z'] = *b
        && let (Some(year), Some(month), Some(day)) = (digits(&[y0, y1, y2, y3]), digits(&[m0, m1]), digits(&[d0, d1]))
        && let (Some(hour), Some(minute), Some(second)) = (digits(&[h0, h1]), digits(&[i0, i1]), digits(&[s0, s1]))
        && let Ok(date) = Date::new(year, month as i8, day as i8)
        && let Ok(time) = Time::new(hour as i8, minute as i8, second as i8, 0)
        && let Ok(at) = Offset::UTC.to_timestamp(date.to_datetime(time))
    {
        return Ok(at);
    }
    s.parse().map_err(|e| format!("\"{s}\" is not a date-time like 2026-03-01T14:05:00Z ({e})"))
}

fn shown(raw: ValueRef<'_>) -> String {
    match raw {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(n) => n.to_string(),
        ValueRef::Real(x) => x.to_string(),
        ValueRef::Text(bytes) => format!("\"{}\"", String::from_utf8_lossy(bytes)),
        ValueRef::Blob(bytes) => format!("of {} bytes", bytes.len()),
    }
}

fn title_of(value: &Value) -> String {
    match value {
        Value::Empty => "(no name)".to_owned(),
        Value::Text(s) | Value::Choice(s) => s.clone(),
        Value::WholeNumber(n) => n.to_string(),
        Value::Decimal(x) | Value::Money(x) => x.to_string(),
        Value::Date(d) => format_date(*d),
        Value::DateTime(t) => format_date_time(*t),
        Value::YesNo(true) => "Yes".to_owned(),
        Value::YesNo(false) => "No".to_owned(),
        Value::Lookup(id) => format!("#{id}"),
        Value::Owner(id) => format!("seller #{}", id.0),
    }
}

#[cfg(test)]
mod tests;
