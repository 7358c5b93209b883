//! "Import CSV…" on the Records screen: its commands and their pure handling ([`apply`]),
//! which returns the [`ImportEffect`]s the app carries out (the file dialog, reading the
//! file's start, the import job).

use std::path::PathBuf;

use super::effect::{Context, Effect};
use super::{AppState, Dialog, ImportForm};
use crate::domain::query::OnExisting;
use crate::interchange::csv_records;

/// How many of the file's first rows the dialog shows.
pub const SAMPLE_ROWS: usize = 5;

#[derive(Clone, Debug, PartialEq)]
pub enum ImportCommand {
    /// Open the dialog for the current record type.
    Show,
    /// Pick the file in the desktop's file dialog, then read it.
    BrowseFile,
    /// Read the start of the typed file: its header and first rows.
    ReadFile,
    /// Import the whole file with the mapping and options shown.
    Submit,
    Cancel,
}

/// What the import dialog asks the runner to do.
#[derive(Clone, Debug, PartialEq)]
pub enum ImportEffect {
    /// Ask the desktop for a CSV file; the typed path stays when there is none.
    PickFile,
    /// Read the file's start, then [`take_start`] it.
    ReadStart(PathBuf),
    /// Import `file` into `form.record_type` in the background.
    Import {
        file: PathBuf,
        form: Box<ImportForm>,
    },
    Cancel,
}

/// Handles an import command: changes the dialog and says what the runner must do.
pub fn apply(state: &mut AppState, command: ImportCommand, _ctx: &Context) -> Vec<Effect> {
    let effect = |effect: ImportEffect| vec![Effect::Import(effect)];
    if command == ImportCommand::Show {
        let Some(record_type) = state.record_type.clone() else { return Vec::new() };
        state.dialog = Some(Dialog::ImportRecords(ImportForm {
            record_type,
            path: String::new(),
            headers: Vec::new(),
            sample: Vec::new(),
            mapping: Vec::new(),
            on_existing: OnExisting::Update,
            only_valid: false,
            decimal_comma: false,
            problems: Vec::new(),
            error: None,
            progress: None,
        }));
        return Vec::new();
    }
    let Some(Dialog::ImportRecords(form)) = &mut state.dialog else { return Vec::new() };
    match command {
        ImportCommand::Show => Vec::new(),
        ImportCommand::BrowseFile => effect(ImportEffect::PickFile),
        ImportCommand::ReadFile => {
            form.problems.clear();
            form.error = None;
            effect(ImportEffect::ReadStart(PathBuf::from(form.path.trim())))
        }
        ImportCommand::Submit => {
            // One import at a time: the dialog shows its progress until it ends.
            if form.progress.is_some() {
                return Vec::new();
            }
            if form.headers.is_empty() {
                form.error = Some("Choose a file and read it first".to_owned());
                return Vec::new();
            }
            form.problems.clear();
            form.error = None;
            form.progress = Some((None, "Reading the file".to_owned()));
            effect(ImportEffect::Import { file: PathBuf::from(form.path.trim()), form: Box::new(form.clone()) })
        }
        ImportCommand::Cancel => effect(ImportEffect::Cancel),
    }
}

/// Shows the header and first rows the runner read from the file's start (or why it could
/// not), each column matched to a field.
pub fn take_start(state: &mut AppState, path: &std::path::Path, start: Result<Vec<u8>, String>) {
    let Some(view) = &state.view else { return };
    let Some(Dialog::ImportRecords(form)) = &mut state.dialog else { return };
    let Some(def) = view.schema.get(&form.record_type) else { return };
    let bytes = match start {
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
