//! "Import CSV…" on the Records screen: read the file's start to map columns, then parse and
//! write the whole file in the background (one transaction, progress, Cancel), then let the
//! engine evaluate what was written like any saved record.
//!
//! The dialog's commands are handled by the pure `state::import::apply`; this file carries
//! out the [`ImportEffect`]s it returns and takes the job's answer.

use std::path::PathBuf;

use super::features::Runner;
use super::{App, NoticeLevel};
use crate::domain::RecordTypeName;
use crate::domain::format::DecimalMark;
use crate::state::import::{ImportCommand, ImportEffect, take_start};
use crate::state::{Dialog, ImportForm};
use crate::worker::import::{ImportRequest, Imported, import_csv};
use crate::worker::jobs::{Job, Poll, Reporter};

/// How much of the file is read to show its start.
const SAMPLE_BYTES: u64 = 64 * 1024;

pub(super) type ImportJob = Job<Result<Imported, Vec<String>>>;

impl Runner<ImportEffect> for App {
    /// Opens the file dialog, reads the file's start, or starts or cancels the import job.
    fn run(&mut self, effect: ImportEffect) {
        match effect {
            ImportEffect::PickFile => {
                let picked = rfd::FileDialog::new().add_filter("CSV", &["csv", "txt"]).pick_file();
                // No file dialog on this desktop (or cancelled): the typed path stays.
                if let (Some(path), Some(Dialog::ImportRecords(form))) = (picked, &mut self.state.dialog) {
                    form.path = path.display().to_string();
                    self.apply_now(super::Command::Import(ImportCommand::ReadFile));
                }
            }
            ImportEffect::ReadStart(path) => {
                let start = read_start(&path).map_err(|e| e.to_string());
                take_start(&mut self.state, &path, start);
            }
            ImportEffect::Import { file, form } => self.start_import(file, &form),
            ImportEffect::Cancel => {
                if let Some(job) = &self.jobs.import {
                    job.cancel();
                }
            }
        }
    }

    /// Takes a finished import: shows its problems or its result, and lets the engine
    /// evaluate the written records against the active segments.
    fn poll(&mut self) {
        let Some(job) = &self.jobs.import else { return };
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
        self.jobs.import = None;
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
            Ok(imported) if imported.summary.cancelled => {
                if let Some(Dialog::ImportRecords(form)) = &mut self.state.dialog {
                    form.error = Some("Import cancelled; nothing was written".to_owned());
                }
            }
            Ok(imported) => {
                self.state.dialog = None;
                let summary = &imported.summary;
                let text = format!(
                    "Imported: {} added, {} updated, {} skipped",
                    summary.inserted, summary.updated, summary.skipped
                );
                self.notify(NoticeLevel::Info, text);
                self.records_imported(&record_type, &imported);
            }
        }
    }
}

impl App {
    fn start_import(&mut self, path: PathBuf, form: &ImportForm) {
        let Some(view) = &self.state.view else { return };
        let Some(def) = view.schema.get(&form.record_type).cloned() else { return };
        let workspace_path = view.path.clone();
        let mapping = form.mapping.clone();
        let (on_existing, only_valid) = (form.on_existing, form.only_valid);
        let decimal_mark = if form.decimal_comma { DecimalMark::Comma } else { DecimalMark::Point };
        let tz = view.time_zone.clone();
        let used_fields = crate::domain::membership::fields_used_by_active(view.segments_of(&def.name));
        let title = format!("Importing {}", def.plural_label.to_lowercase());
        self.jobs.import = Some(Job::spawn(title, self.waker(), move |reporter| {
            let request = ImportRequest {
                workspace: &workspace_path,
                file: &path,
                def: &def,
                mapping: &mapping,
                on_existing,
                only_valid,
                time_zone: &tz,
                decimal_mark,
                used_fields: &used_fields,
            };
            import_in_background(&request, reporter)
        }));
    }
}

impl App {
    /// After an import: the engine reads the written records (and evaluates the ones that
    /// matter against the active segments), and the Records screen reloads.
    fn records_imported(&mut self, record_type: &RecordTypeName, imported: &Imported) {
        if let Some(view) = &mut self.state.view {
            *view.record_counts.entry(record_type.clone()).or_default() += imported.created.len() as u64;
        }
        if let Some(worker) = &self.engine_worker
            && !(imported.created.is_empty() && imported.updated.is_empty())
        {
            let segments = self.state.view.as_ref().map(|v| v.segments_of(record_type).to_vec()).unwrap_or_default();
            let job = worker.records_imported(record_type.clone(), imported, segments, self.clock.now());
            self.jobs.saved.push((record_type.clone(), job));
        }
        self.forget_record_rows();
        self.refresh_records();
        self.request_preview();
    }
}

/// The first bytes of a file (the sample needs only its start).
fn read_start(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    // Opening and closing the open workspace would drop the locks of its connections.
    if crate::store::is_held_workspace(path) {
        return Err(std::io::Error::other("this is the open workspace itself, not a CSV file"));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(SAMPLE_BYTES).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn import_in_background(request: &ImportRequest<'_>, reporter: &Reporter) -> Result<Imported, Vec<String>> {
    import_csv(request, &mut |fraction, message| reporter.report(fraction, message))
}
