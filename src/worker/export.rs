//! Writing a segment's members or the Records table to a CSV file, as a
//! [`Job`](super::jobs::Job): read page by page through a reader connection of its own,
//! written through [`write_export`] (under a temporary name beside the target, created
//! 0600, moved into place only when complete and only onto a target an export may
//! write), so a failed or cancelled export leaves no partial file.

use std::fs::File;
use std::path::PathBuf;

use jiff::tz::TimeZone;

use crate::domain::format::format_timestamp;
use crate::domain::{RecordTypeName, SegmentId};
use crate::interchange::csv_records::neutralise;
use crate::store::Workspace;

use super::jobs::Reporter;
use super::records::member_rows;

pub use super::export_target::{ExportError, Overwrite, TargetError, TargetState, check_target, write_export};

/// Members read per page while exporting.
const EXPORT_PAGE: u64 = 10_000;

/// What an export asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct MembersExport {
    pub workspace: PathBuf,
    pub segment: SegmentId,
    pub record_type: RecordTypeName,
    /// How many members there are (for the progress bar).
    pub expected: u64,
    pub target: PathBuf,
    /// Whether an ordinary file at `target` may be replaced (the user confirmed).
    pub overwrite: Overwrite,
    pub time_zone: TimeZone,
}

/// How an export ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportOutcome {
    /// `rows` rows were written to `file`.
    Written {
        rows: u64,
        file: PathBuf,
    },
    Cancelled,
}

/// Writes the members of `export.segment` to `export.target` (id, title, member since,
/// reason, moved from). On an error or a cancel the temporary file is removed and the
/// target is untouched.
pub fn export_members(export: &MembersExport, reporter: &Reporter) -> Result<ExportOutcome, ExportError> {
    let written = write_export(&export.target, &export.workspace, export.overwrite, |file| {
        write_members(export, file, reporter).map(ExportOutcome::written)
    })?;
    Ok(written.unwrap_or(ExportOutcome::Cancelled))
}

impl ExportOutcome {
    /// `Some` when written, `None` when cancelled (the file is then not kept).
    fn written(self) -> Option<Self> {
        matches!(self, ExportOutcome::Written { .. }).then_some(self)
    }
}

/// The Records table as filtered: these ids of this type, in this order.
#[derive(Clone, Debug)]
pub struct RecordsExport {
    pub workspace: PathBuf,
    pub def: crate::domain::RecordTypeDef,
    pub ids: Vec<crate::domain::RecordId>,
    pub target: PathBuf,
    /// Whether an ordinary file at `target` may be replaced (the user confirmed).
    pub overwrite: Overwrite,
    pub time_zone: TimeZone,
}

/// Writes the records as CSV the importer reads back (see `interchange::csv_records`).
pub fn export_records(export: &RecordsExport, reporter: &Reporter) -> Result<ExportOutcome, ExportError> {
    let written = write_export(&export.target, &export.workspace, export.overwrite, |file| {
        let workspace = Workspace::open_reader(&export.workspace)?;
        let total = export.ids.len().max(1) as f32;
        let stop = std::cell::Cell::new(None::<Result<ExportOutcome, ExportError>>);
        let pages = export.ids.chunks(EXPORT_PAGE as usize).enumerate().map_while(|(page, ids)| {
            let done = page * EXPORT_PAGE as usize;
            if !reporter.report(Some(done as f32 / total), format!("{done} rows written")) {
                stop.set(Some(Ok(ExportOutcome::Cancelled)));
                return None;
            }
            match workspace.records_by_id(&export.def.name, ids) {
                Ok(records) => Some(records),
                Err(error) => {
                    stop.set(Some(Err(error.into())));
                    None
                }
            }
        });
        // Streamed page by page: the table as filtered can hold a million records.
        let rows = std::cell::Cell::new(0_u64);
        let records = pages.flatten().inspect(|_| rows.set(rows.get() + 1));
        crate::interchange::csv_records::write_records(
            std::io::BufWriter::new(file),
            &export.def,
            records,
            &export.time_zone,
        )
        .map_err(|e| ExportError::csv(&export.target, e))?;
        match stop.take() {
            Some(outcome) => outcome.map(ExportOutcome::written),
            None => Ok(Some(ExportOutcome::Written { rows: rows.get(), file: export.target.clone() })),
        }
    })?;
    Ok(written.unwrap_or(ExportOutcome::Cancelled))
}

fn write_members(export: &MembersExport, file: &mut File, reporter: &Reporter) -> Result<ExportOutcome, ExportError> {
    let workspace = Workspace::open_reader(&export.workspace)?;
    let failed = |error: csv::Error| ExportError::csv(&export.target, error);
    let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(file));
    writer.write_record(["Record", "Title", "Member since", "Reason", "Moved from"]).map_err(failed)?;
    let mut written = 0_u64;
    loop {
        let fraction = written as f32 / export.expected.max(1) as f32;
        if !reporter.report(Some(fraction.min(1.0)), format!("{written} rows written")) {
            return Ok(ExportOutcome::Cancelled);
        }
        let page = member_rows(&workspace, export.segment, &export.record_type, written, EXPORT_PAGE)?;
        if page.is_empty() {
            break;
        }
        for row in &page {
            let member = &row.member;
            let moved_from = member.moved_from.as_ref().map(|s| s.name.as_str()).unwrap_or_default();
            writer
                .write_record([
                    member.record.to_string(),
                    neutralise(&row.title).into_owned(),
                    format_timestamp(member.since, &export.time_zone),
                    member.reason.to_string(),
                    neutralise(moved_from).into_owned(),
                ])
                .map_err(failed)?;
        }
        written += page.len() as u64;
    }
    writer.flush().map_err(|e| ExportError::write(&export.target, e))?;
    Ok(ExportOutcome::Written { rows: written, file: export.target.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for (cell, expected) in [
            ("=SUM(A1)", "'=SUM(A1)"),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@cmd", "'@cmd"),
            ("Anna", "Anna"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(neutralise(cell), expected, "{cell:?}");
        }
    }
}
