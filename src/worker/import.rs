//! Importing a CSV file into a record type, streaming: the app's "Import CSV…" job and the
//! command line's `import-records` both run [`import_csv`]. The file is read once, never
//! held in memory: each row is converted on a thread of its own while this one writes the
//! rows before it, in ONE transaction. A problem in a row rolls that transaction back
//! (unless "only the valid rows" was chosen, which leaves the row out), and the rest of the
//! file is still converted, only to list its problems (a capped list and their number).
//! Progress is by bytes of the file; a cancel leaves the workspace as it was.
//!
//! What segment evaluation needs afterwards is kept as record ids only (8 bytes a record):
//! the records added, and the updated ones whose change touches a field an active segment
//! uses. The evaluation then reads the records from the workspace.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::io::BufReader;
use std::path::Path;

use jiff::tz::TimeZone;

use crate::domain::format::DecimalMark;
use crate::domain::membership::update_matters;
use crate::domain::{FieldName, RecordId, RecordTypeDef};
use crate::interchange::csv_records::{ColumnMapping, CsvProblem, CsvRow, Problems, RowReader};
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

/// The workspace to import into, checked whole, unless its pages are still those a passed
/// check or an apply left a receipt of (`quick_check` was 3 s of importing into a million
/// records, the digest a tenth of that). It leaves no receipt: the import changes the pages,
/// and one refused (a problem in the file) must leave no file behind.
fn open_checked(path: &Path) -> Result<Workspace, StoreError> {
    let workspace = Workspace::open_checked_later(path)?;
    Workspace::check_before_writing(path)?;
    Ok(workspace)
}

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
    let lines = |problems: Vec<CsvProblem>| problems.iter().map(ToString::to_string).collect::<Vec<_>>();
    let cancelled =
        || Imported { summary: ImportSummary { cancelled: true, ..ImportSummary::default() }, ..Imported::default() };

    let input = open().map_err(|e| in_file(e.to_string()))?;
    let mut reader = RowReader::new(request.def, input, request.mapping, request.time_zone)
        .map_err(lines)?
        .with_decimal_mark(request.decimal_mark);
    let only_valid = request.only_valid;
    let progress = RefCell::new(progress);
    // Progress and a cancel, told from the writing and from the rows it skips (never both
    // at once: the store asks for a row, then reports).
    let tell = |fraction: f32, message: String| (*progress.borrow_mut())(Some(fraction.min(1.0)), message);
    // How far into the file the rows taken are, and how many were taken, good or bad.
    let (bytes_read, taken) = (Cell::new(0_u64), Cell::new(0_u64));
    let mut problems = Problems::default();
    // Set when a problem stopped the writing (with "only the valid rows", none does), or a
    // cancel came while rows with problems were being left out.
    let (stopped, cancelled_skipping) = (Cell::new(false), Cell::new(false));
    // ONE pass: each row is converted once, on a thread of its own, while this one writes
    // the rows before it, all in ONE transaction. The first problem rolls the writing back;
    // the rest of the file is then still converted, only to list its problems. (Checking
    // the whole file first, then converting it again to write, read it twice: 3 s of a
    // million-row import.)
    std::thread::scope(|scope| {
        let mut rows = made_beside(scope, move || {
            let row = reader.next_row()?;
            Some((row, reader.bytes_read()))
        })
        .peekable();
        // A file whose first row has problems is listed without opening the workspace (a
        // wrong file, a wrong decimal mark): no check of it, no wait for its lock.
        let starts_badly = !only_valid && matches!(rows.peek(), Some(Ok((Err(_), _))));
        // What the store refused, when it refused a row before any problem of the file.
        let refused = if starts_badly {
            None
        } else {
            // Checked while the first rows are converted.
            let mut workspace = open_checked(request.workspace).map_err(|e| vec![e.to_string()])?;
            let mut report = |_: u64| tell(bytes_read.get() as f32 / size, format!("Importing row {}", taken.get()));
            let mut next_row = || -> Option<Result<CsvRow, String>> {
                loop {
                    let Ok((row, bytes)) = rows.next()? else {
                        // Stops the import, which writes nothing.
                        return Some(Err("the file's rows stopped coming before its end".to_owned()));
                    };
                    bytes_read.set(bytes);
                    taken.set(taken.get() + 1);
                    match row {
                        Ok(row) => return Some(Ok(row)),
                        Err(found) => problems.extend(found),
                    }
                    if !only_valid {
                        stopped.set(true);
                        return Some(Err("the file has problems".to_owned()));
                    }
                    if taken.get().is_multiple_of(CHECK_PROGRESS_EVERY_ROWS)
                        && !tell(bytes as f32 / size, format!("Importing row {}", taken.get()))
                    {
                        cancelled_skipping.set(true);
                        return Some(Err("cancelled".to_owned()));
                    }
                }
            };
            let written = write_rows(&mut workspace, request, &mut next_row, &mut report);
            match written {
                Ok(imported) => return Ok(Imported { left_out_problems: problems.total(), ..imported }),
                Err(StoreError::Cancelled) => return Ok(cancelled()),
                Err(_) if cancelled_skipping.get() => return Ok(cancelled()),
                // A problem of the file, or a row the store refused while all rows before it
                // were fine: the file's own problems, if it has any, come first.
                Err(refusal @ StoreError::Invalid(_)) if stopped.get() || !only_valid => Some(refusal),
                Err(e) => return Err(vec![workspace_failure(request.workspace, request.file, &e)]),
            }
        };
        // Nothing was written: the rest of the rows only add their problems to the list.
        for read in rows {
            let Ok((row, bytes)) = read else { break };
            taken.set(taken.get() + 1);
            if let Err(found) = row {
                problems.extend(found);
            }
            if taken.get().is_multiple_of(CHECK_PROGRESS_EVERY_ROWS)
                && !tell(bytes as f32 / size, format!("Checking row {}", taken.get()))
            {
                return Ok(cancelled());
            }
        }
        match refused {
            Some(refusal) if problems.is_empty() => {
                Err(vec![workspace_failure(request.workspace, request.file, &refusal)])
            }
            _ => Err(lines(problems.into_list())),
        }
    })
}

/// Writes the rows `next_row` gives and their marks "still to evaluate" in ONE transaction:
/// killed after it, the next open or apply evaluates them (see `store::pending`). A cancel
/// (`report` false) is `Cancelled`, and writes nothing.
fn write_rows(
    workspace: &mut Workspace,
    request: &ImportRequest<'_>,
    next_row: &mut dyn FnMut() -> Option<Result<CsvRow, String>>,
    report: &mut dyn FnMut(u64) -> bool,
) -> Result<Imported, StoreError> {
    let ty = &request.def.name;
    workspace.atomically(|workspace| {
        let mut imported = Imported::default();
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
        let summary = workspace.import_records(ty, next_row, request.on_existing, report, &mut written)?;
        if summary.cancelled {
            return Err(StoreError::Cancelled);
        }
        imported.pending = workspace.mark_pending(ty, &imported.created, &imported.to_evaluate)?;
        imported.summary = summary;
        Ok(imported)
    })
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

/// Rows with problems left out, and the rows listed once a problem stopped the writing,
/// report progress (and check for a cancel) after every this many rows.
const CHECK_PROGRESS_EVERY_ROWS: u64 = 10_000;

/// What `next` yields (with how far into the file it was), made on a thread of `scope`
/// and taken here in order. The thread works ahead by at most a few batches, and stops
/// once what this returns is dropped. `Err` (then nothing more) when the thread ended
/// before `next` did, which only a panic there does: the taker must not take that for
/// the end of the file.
fn made_beside<'scope, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    mut next: impl FnMut() -> Option<(T, u64)> + Send + 'scope,
) -> impl Iterator<Item = Result<(T, u64), CutShort>> + 'scope {
    // Each batch says whether it is the last.
    let (sender, batches) = std::sync::mpsc::sync_channel::<(Vec<(T, u64)>, bool)>(BATCHES_AHEAD);
    scope.spawn(move || {
        let mut batch = Vec::with_capacity(BATCH);
        while let Some(made) = next() {
            batch.push(made);
            if batch.len() == BATCH
                && sender.send((std::mem::replace(&mut batch, Vec::with_capacity(BATCH)), false)).is_err()
            {
                // The taker stopped (a cancel, a problem, a row the store refused).
                return;
            }
        }
        sender.send((batch, true)).ok();
    });
    let mut batch = Vec::new().into_iter();
    let mut ended = false;
    std::iter::from_fn(move || {
        loop {
            if let Some(made) = batch.next() {
                return Some(Ok(made));
            }
            if ended {
                return None;
            }
            let Ok((next, last)) = batches.recv() else {
                ended = true;
                return Some(Err(CutShort));
            };
            (batch, ended) = (next.into_iter(), last);
        }
    })
}

/// The thread making what [`made_beside`] yields ended before its work did.
#[derive(Debug)]
struct CutShort;

/// Rows handed from one thread to the other in batches of this many…
const BATCH: usize = 1024;
/// …with at most this many batches waiting (a few MB).
const BATCHES_AHEAD: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything made, in order, then `Err` when the making thread died before its end.
    fn taken(items: u64, dies_after: Option<u64>) -> (Vec<Result<u64, ()>>, bool) {
        let mut seen = Vec::new();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            std::thread::scope(|scope| {
                let mut n = 0;
                let made = made_beside(scope, move || {
                    n += 1;
                    assert!(dies_after.is_none_or(|last| n <= last), "broken on purpose");
                    (n <= items).then_some((n, n))
                });
                seen.extend(made.map(|item| item.map(|(n, _)| n).map_err(|CutShort| ())));
            });
        }))
        .is_err();
        (seen, panicked)
    }

    #[test]
    fn a_making_thread_that_dies_is_not_taken_for_the_end_of_the_file() {
        let whole: Vec<Result<u64, ()>> = (1..=3000).map(Ok).collect();
        assert_eq!(taken(3000, None), (whole, false));
        // Dies making item 3001 of 5000: the two full batches sent, then the cut.
        let (seen, panicked) = taken(5000, Some(3000));
        assert!(panicked, "the panic still reaches the caller");
        let sent = 3000 - 3000 % BATCH as u64;
        assert_eq!(seen.len() as u64, sent + 1);
        assert!(seen[..seen.len() - 1].iter().zip(1..).all(|(item, n)| *item == Ok(n)));
        assert_eq!(seen.last(), Some(&Err(())));
    }
}
