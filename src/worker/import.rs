//! Importing a CSV file into a record type, streaming: the app's "Import CSV…" job and the
//! command line's `import-records` both run [`import_csv`]. The file is read twice, never
//! held in memory: a first pass converts every row and collects the problems (a capped
//! list and their number); only when there are none (or "only the valid rows" was chosen)
//! a second pass converts the rows again and writes them in ONE transaction. Progress is
//! by bytes of the file; a cancel in either pass leaves the workspace as it was.
//!
//! What segment evaluation needs afterwards is kept as record ids only (8 bytes a record):
//! the records added, and the updated ones whose change touches a field an active segment
//! uses. The evaluation then reads the records from the workspace.

use std::collections::BTreeSet;
use std::io::BufReader;
use std::path::Path;

use jiff::tz::TimeZone;

use crate::domain::format::DecimalMark;
use crate::domain::membership::update_matters;
use crate::domain::{FieldName, RecordId, RecordTypeDef};
use crate::interchange::csv_records::{ColumnMapping, CsvRow, Problems, RowReader};
use crate::store::{ImportSummary, OnExisting, PendingMarks, StoreError, Workspace, WrittenRecord};

/// What to import.
pub struct ImportRequest<'a> {
    pub workspace: &'a Path,
    pub file: &'a Path,
    pub def: &'a RecordTypeDef,
    pub mapping: &'a [ColumnMapping],
    pub on_existing: OnExisting,
    /// Import the valid rows and leave out the others, instead of nothing on any problem.
    pub only_valid: bool,
    /// The workspace's time zone (for dates and times without an offset).
    pub time_zone: &'a TimeZone,
    /// How the file writes numbers: `1,234.5` (point) or `1.234,5` (comma).
    pub decimal_mark: DecimalMark,
    /// The fields of the type the active segments use: an update that changes none of
    /// them needs no evaluation.
    pub used_fields: &'a BTreeSet<FieldName>,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Imported {
    pub summary: ImportSummary,
    /// The records added, in file order.
    pub created: Vec<RecordId>,
    /// Every record updated, in file order.
    pub updated: Vec<RecordId>,
    /// Of those, the ones whose change touches a field an active segment uses.
    pub to_evaluate: Vec<RecordId>,
    /// Rows left out with "only the valid rows": how many problems they had.
    pub left_out_problems: u64,
    /// The marks "still to evaluate" of `created` and `to_evaluate`, written in the
    /// import's transaction; the evaluation clears them (see `store::pending`).
    pub pending: Option<PendingMarks>,
}

/// Why nothing was imported: the lines to show (each problem with its line and column, or
/// one message).
pub type ImportFailure = Vec<String>;

/// Reads, checks and imports the file as [`ImportRequest`] says. `progress(fraction,
/// message)` may cancel (false): nothing is written then and the summary says cancelled.
pub fn import_csv(
    request: &ImportRequest<'_>,
    progress: &mut dyn FnMut(Option<f32>, String) -> bool,
) -> Result<Imported, ImportFailure> {
    let file = request.file;
    let in_file = |message: String| vec![format!("{}: {message}", file.display())];
    // Before any descriptor is opened on it: closing one would drop the locks of this
    // process's connections to the workspace.
    if crate::store::is_same_file(request.workspace, file) || crate::store::is_held_workspace(file) {
        return Err(in_file("this is the workspace itself, not a CSV file; choose the file to import".to_owned()));
    }
    let open = || std::fs::File::open(file).map(|f| BufReader::with_capacity(1 << 16, f));
    let size = std::fs::metadata(file).map_err(|e| in_file(e.to_string()))?.len().max(1) as f32;
    let lines = |problems: Vec<crate::interchange::csv_records::CsvProblem>| {
        problems.iter().map(ToString::to_string).collect::<Vec<_>>()
    };
    let cancelled =
        || Imported { summary: ImportSummary { cancelled: true, ..ImportSummary::default() }, ..Imported::default() };

    // First pass: every row converted, problems collected, nothing kept.
    let input = open().map_err(|e| in_file(e.to_string()))?;
    let mut reader = RowReader::new(request.def, input, request.mapping, request.time_zone)
        .map_err(lines)?
        .with_decimal_mark(request.decimal_mark);
    let mut problems = Problems::default();
    let mut rows = 0_u64;
    let mut valid = 0_u64;
    while let Some(row) = reader.next_row() {
        rows += 1;
        match row {
            Ok(_) => valid += 1,
            Err(found) => problems.extend(found),
        }
        if rows.is_multiple_of(CHECK_PROGRESS_EVERY_ROWS) {
            let fraction = 0.5 * reader.bytes_read() as f32 / size;
            if !progress(Some(fraction), format!("Checking row {rows}")) {
                return Ok(cancelled());
            }
        }
    }
    drop(reader);
    let left_out_problems = problems.total();
    if !problems.is_empty() && !request.only_valid {
        return Err(lines(problems.into_list()));
    }
    if !progress(Some(0.5), format!("Checked {rows} rows")) {
        return Ok(cancelled());
    }

    // Second pass: the valid rows again, written as they come.
    let mut workspace = Workspace::open(request.workspace).map_err(|e| vec![e.to_string()])?;
    let input = open().map_err(|e| in_file(e.to_string()))?;
    let mut reader = RowReader::new(request.def, input, request.mapping, request.time_zone)
        .map_err(lines)?
        .with_decimal_mark(request.decimal_mark);
    let bytes_read = std::cell::Cell::new(0_u64);
    let mut next_row = || -> Option<Result<CsvRow, String>> {
        loop {
            let row = reader.next_row();
            bytes_read.set(reader.bytes_read());
            match row {
                None => return None,
                Some(Ok(row)) => return Some(Ok(row)),
                // Left out: the first pass counted its problems.
                Some(Err(_)) => {}
            }
        }
    };
    let mut report = |done: u64| {
        let fraction = 0.5 + 0.5 * bytes_read.get() as f32 / size;
        progress(Some(fraction.min(1.0)), format!("Writing row {done} of {valid}"))
    };
    // The records and their marks "still to evaluate" in ONE transaction: killed after it,
    // the next open or apply evaluates them (see `store::pending`).
    let ty = &request.def.name;
    let written = workspace.atomically(|workspace| {
        let mut imported = Imported { left_out_problems, ..Imported::default() };
        let (created, updated, to_evaluate) = (&mut imported.created, &mut imported.updated, &mut imported.to_evaluate);
        let mut written = |record: WrittenRecord| match &record.before {
            None => created.push(record.after.id),
            Some(before) => {
                updated.push(record.after.id);
                if update_matters(request.def, Some(before), &record.after, request.used_fields) {
                    to_evaluate.push(record.after.id);
                }
            }
        };
        let summary = workspace.import_records(ty, &mut next_row, request.on_existing, &mut report, &mut written)?;
        if summary.cancelled {
            return Err(StoreError::Cancelled);
        }
        imported.pending = workspace.mark_pending(ty, &imported.created, &imported.to_evaluate)?;
        imported.summary = summary;
        Ok(imported)
    });
    match written {
        Ok(imported) => Ok(imported),
        Err(StoreError::Cancelled) => Ok(cancelled()),
        Err(e) => Err(vec![workspace_failure(request.workspace, request.file, &e)]),
    }
}

/// Why writing failed, naming the workspace (the file that could not be written), not the
/// CSV: "nothing was imported" and the store's reason (disk full, read-only…).
fn workspace_failure(workspace: &Path, file: &Path, error: &StoreError) -> String {
    if let StoreError::Invalid(problem) = error {
        // A value of the file the store refused (a lookup to a missing record): the file's.
        return format!("{}: nothing was imported: {problem}", file.display());
    }
    let message = error.to_string();
    let shown = workspace.display().to_string();
    if message.starts_with(&shown) {
        format!("nothing was imported: {message}")
    } else {
        format!("nothing was imported: {shown}: {message}")
    }
}

/// The first pass reports progress (and checks for a cancel) after every this many rows.
const CHECK_PROGRESS_EVERY_ROWS: u64 = 10_000;
