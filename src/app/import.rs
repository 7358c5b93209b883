//! "Import CSV…" on the Records screen: read the file's start to map columns, then parse and
//! write the whole file in the background (one transaction, progress, Cancel), then let the
//! engine evaluate what was written like any saved record.

use std::path::PathBuf;

use super::state::{Dialog, ImportForm};
use super::{App, Command, NoticeLevel};
use crate::interchange::csv_records::{self, CsvRow};
use crate::store::{ImportSummary, OnExisting, Workspace};
use crate::worker::engine::SavedRecord;
use crate::worker::jobs::{Job, Poll, Reporter};

/// How many of the file's first rows the dialog shows.
const SAMPLE_ROWS: usize = 5;
/// How much of the file is read to show its start.
const SAMPLE_BYTES: u64 = 64 * 1024;

pub(super) type ImportJob = Job<Result<ImportSummary, Vec<String>>>;

impl App {
    pub(super) fn apply_import(&mut self, command: Command) {
        match command {
            Command::ShowImportRecords => {
                let Some(record_type) = self.state.record_type.clone() else { return };
                self.state.dialog = Some(Dialog::ImportRecords(ImportForm {
                    record_type,
                    path: String::new(),
                    headers: Vec::new(),
                    sample: Vec::new(),
                    mapping: Vec::new(),
                    on_existing: OnExisting::Update,
                    only_valid: false,
                    problems: Vec::new(),
                    error: None,
                    progress: None,
                }));
            }
            Command::BrowseImportFile => {
                let picked = rfd::FileDialog::new().add_filter("CSV", &["csv", "txt"]).pick_file();
                // No file dialog on this desktop (or cancelled): the typed path stays.
                if let (Some(path), Some(Dialog::ImportRecords(form))) = (picked, &mut self.state.dialog) {
                    form.path = path.display().to_string();
                    self.read_import_file();
                }
            }
            Command::ReadImportFile => self.read_import_file(),
            Command::SubmitImport => self.submit_import(),
            Command::CancelImport => {
                if let Some(job) = &self.import_job {
                    job.cancel();
                }
            }
            _ => {}
        }
    }

    /// Reads the header and first rows of the chosen file and matches columns to fields.
    fn read_import_file(&mut self) {
        let Some(view) = &self.state.view else { return };
        let Some(Dialog::ImportRecords(form)) = &mut self.state.dialog else { return };
        let Some(def) = view.schema.get(&form.record_type) else { return };
        form.problems.clear();
        form.error = None;
        let path = PathBuf::from(form.path.trim());
        let bytes = match read_start(&path) {
            Ok(bytes) => bytes,
            Err(error) => {
                form.error = Some(format!("{}: {error}", path.display()));
                return;
            }
        };
        match csv_records::sample(&bytes, SAMPLE_ROWS) {
            Ok((headers, sample)) if headers.iter().any(|h| !h.is_empty()) => {
                form.mapping = csv_records::auto_map(def, &headers);
                form.headers = headers;
                form.sample = sample;
            }
            Ok(_) => form.error = Some(format!("{}: line 1 has no header naming the fields", path.display())),
            Err(problem) => form.error = Some(format!("{}: {problem}", path.display())),
        }
    }

    fn submit_import(&mut self) {
        if self.import_job.is_some() {
            return;
        }
        let (Some(view), Some(Dialog::ImportRecords(form))) = (&self.state.view, &mut self.state.dialog) else {
            return;
        };
        let Some(def) = view.schema.get(&form.record_type).cloned() else { return };
        if form.headers.is_empty() {
            form.error = Some("Choose a file and read it first".to_owned());
            return;
        }
        let path = PathBuf::from(form.path.trim());
        let workspace_path = view.path.clone();
        let mapping = form.mapping.clone();
        let (on_existing, only_valid) = (form.on_existing, form.only_valid);
        let tz = view.time_zone.clone();
        form.problems.clear();
        form.error = None;
        form.progress = Some((None, "Reading the file".to_owned()));
        let title = format!("Importing {}", def.plural_label.to_lowercase());
        self.import_job = Some(Job::spawn(title, self.waker(), move |reporter| {
            import_in_background(&workspace_path, &path, &def, &mapping, on_existing, only_valid, &tz, reporter)
        }));
    }

    /// Takes a finished import: shows its problems or its result, and lets the engine
    /// evaluate the written records against the active segments.
    pub(super) fn poll_import(&mut self) {
        let Some(job) = &self.import_job else { return };
        let outcome = match job.poll() {
            Poll::Running(progress) => {
                if let Some(Dialog::ImportRecords(form)) = &mut self.state.dialog {
                    form.progress = Some((progress.fraction, progress.message));
                }
                return;
            }
            Poll::Done(outcome) => outcome,
            Poll::Lost => Err(vec!["The import stopped unexpectedly; nothing was written".to_owned()]),
        };
        self.import_job = None;
        let record_type = match &mut self.state.dialog {
            Some(Dialog::ImportRecords(form)) => {
                form.progress = None;
                form.record_type.clone()
            }
            _ => match self.state.record_type.clone() {
                Some(ty) => ty,
                None => return,
            },
        };
        match outcome {
            Err(problems) => {
                if let Some(Dialog::ImportRecords(form)) = &mut self.state.dialog {
                    form.error = Some("Nothing was imported".to_owned());
                    form.problems = problems;
                }
            }
            Ok(summary) if summary.cancelled => {
                if let Some(Dialog::ImportRecords(form)) = &mut self.state.dialog {
                    form.error = Some("Import cancelled; nothing was written".to_owned());
                }
            }
            Ok(summary) => {
                self.state.dialog = None;
                let text = format!(
                    "Imported: {} added, {} updated, {} skipped",
                    summary.inserted, summary.updated, summary.skipped
                );
                self.notify(NoticeLevel::Info, text);
                let saved: Vec<SavedRecord> =
                    summary.written.into_iter().map(|w| SavedRecord { before: w.before, after: w.after }).collect();
                self.records_imported(&record_type, saved);
            }
        }
    }
}

/// The first bytes of a file (the sample needs only its start).
fn read_start(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(SAMPLE_BYTES).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[allow(clippy::too_many_arguments)]
fn import_in_background(
    workspace_path: &std::path::Path,
    path: &std::path::Path,
    def: &crate::domain::RecordTypeDef,
    mapping: &[csv_records::ColumnMapping],
    on_existing: OnExisting,
    only_valid: bool,
    tz: &jiff::tz::TimeZone,
    reporter: &Reporter,
) -> Result<ImportSummary, Vec<String>> {
    let one = |message: String| vec![message];
    let bytes = std::fs::read(path).map_err(|e| one(format!("{}: {e}", path.display())))?;
    reporter.report(None, "Checking every row");
    let lines = |problems: Vec<csv_records::CsvProblem>| problems.iter().map(|p| p.to_string()).collect::<Vec<_>>();
    let (rows, problems): (Vec<CsvRow>, _) =
        csv_records::parse_rows_lenient(def, &bytes, mapping, tz).map_err(lines)?;
    if !problems.is_empty() && !only_valid {
        return Err(lines(problems));
    }
    if reporter.is_cancelled() {
        return Ok(ImportSummary { cancelled: true, ..ImportSummary::default() });
    }
    let mut workspace = Workspace::open(workspace_path).map_err(|e| one(e.to_string()))?;
    let total = rows.len().max(1) as f32;
    workspace
        .import_records(&def.name, &rows, on_existing, &mut |done| {
            reporter.report(Some(done as f32 / total), format!("Writing row {done} of {}", rows.len()))
        })
        .map_err(|e| one(format!("{}: nothing was imported: {e}", path.display())))
}
