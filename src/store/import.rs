//! Storing the rows of an imported file in one transaction ([`Workspace::import_records`]).

use rusqlite::OptionalExtension;

use super::records::PROGRESS_EVERY_ROWS;
use super::records::{
    execute_with, insert_sql, insert_with_id_sql, prepare_values, reference_error, select_sql, update_sql,
};
use super::{Result, SqlContext, StoreError, Workspace};
use crate::domain::{Record, RecordId, RecordTypeName};
use crate::interchange::csv_records::CsvRow;

pub use crate::domain::query::OnExisting;

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportSummary {
    pub inserted: u64,
    pub updated: u64,
    pub skipped: u64,
    /// Cancelled midway: nothing was written.
    pub cancelled: bool,
}

/// One record an import wrote, as it was and as it is: what segment evaluation needs
/// ("only when a field an active segment uses changed").
#[derive(Clone, Debug, PartialEq)]
pub struct WrittenRecord {
    pub before: Option<Record>,
    pub after: Record,
}

impl Workspace {
    /// Stores imported rows in ONE transaction, taking them one at a time from `next_row`
    /// (`None` at the end, `Err` to stop with that message), so a file of any size streams
    /// through: rows without an id are added; a row whose id exists updates the fields the
    /// file gave (`OnExisting::Update`) or is left alone (`Skip`); a row with a new id is
    /// added with that id. The first row the store refuses (a lookup to a record that does
    /// not exist, say) rolls everything back and is named by its line. `written` sees each
    /// record added or updated, as it was and as it is, and keeps what it needs.
    /// `progress(rows_done)` runs every [`PROGRESS_EVERY_ROWS`] rows and at the end and may
    /// cancel (false): nothing is written then.
    pub fn import_records(
        &mut self,
        ty: &RecordTypeName,
        next_row: &mut dyn FnMut() -> Option<std::result::Result<CsvRow, String>>,
        on_existing: OnExisting,
        progress: &mut dyn FnMut(u64) -> bool,
        written: &mut dyn FnMut(WrittenRecord),
    ) -> Result<ImportSummary> {
        self.check_writable()?;
        let def = self.type_def(ty)?.clone();
        let context = format!("importing {}", def.plural_label);
        let tx = self.write_scope().with_context(|| context.clone())?;
        let mut summary = ImportSummary::default();
        let mut done = 0_u64;
        {
            let mut insert = tx.prepare(&insert_sql(&def)).with_context(|| context.clone())?;
            let mut insert_with_id = tx.prepare(&insert_with_id_sql(&def)).with_context(|| context.clone())?;
            let mut read =
                tx.prepare(&format!("{} WHERE \"id\" = ?1", select_sql(&def))).with_context(|| context.clone())?;
            let mut update = tx.prepare(&update_sql(&def)).with_context(|| context.clone())?;
            while let Some(row) = next_row() {
                done += 1;
                if done.is_multiple_of(PROGRESS_EVERY_ROWS) && !progress(done) {
                    return Ok(ImportSummary { cancelled: true, ..ImportSummary::default() });
                }
                let row = row.map_err(StoreError::Invalid)?;
                let at = |message: String| StoreError::Invalid(format!("line {}: {message}", row.line));
                let existing = match row.id {
                    Some(id) => read
                        .query_row([id.0], |r| Ok(self.read_record(&def, r)))
                        .optional()
                        .with_context(|| context.clone())?
                        .transpose()?,
                    None => None,
                };
                let mut before = None;
                let (values, statement, id) = match (existing, on_existing) {
                    (Some(_), OnExisting::Skip) => {
                        summary.skipped += 1;
                        continue;
                    }
                    (Some(record), OnExisting::Update) => {
                        let merged = record
                            .values
                            .iter()
                            .zip(row.values)
                            .zip(&row.given)
                            .map(|((old, new), given)| if *given { new } else { old.clone() })
                            .collect();
                        summary.updated += 1;
                        let id = record.id;
                        before = Some(record);
                        (merged, &mut update, Some(id))
                    }
                    (None, _) => {
                        summary.inserted += 1;
                        match row.id {
                            Some(id) => (row.values, &mut insert_with_id, Some(id)),
                            None => (row.values, &mut insert, None),
                        }
                    }
                };
                let values = prepare_values(&def, values).map_err(at)?;
                execute_with(statement, &values, id).map_err(|e| {
                    match reference_error(&tx, &def, &values, e, &context) {
                        StoreError::Invalid(message) => at(message),
                        other => other,
                    }
                })?;
                let id = id.unwrap_or_else(|| RecordId(tx.last_insert_rowid()));
                written(WrittenRecord { before, after: Record { id, values } });
            }
        }
        if !progress(done) {
            return Ok(ImportSummary { cancelled: true, ..ImportSummary::default() });
        }
        tx.commit().with_context(|| context.clone())?;
        Ok(summary)
    }
}
