//! Writes a generated demo into a new workspace file.

use std::path::{Path, PathBuf};

use super::DemoSpec;
use crate::domain::{RecordTypeName, SegmentId, SellerId, Status};
use crate::store::{StoreError, Workspace};

/// Creates a demo workspace at `path`. The workspace is built under a temporary name next
/// to it and renamed into place when complete, so a failure or a cancel leaves nothing
/// behind. `progress(fraction, message)` returns false to cancel.
pub fn create_demo_workspace(
    path: &Path,
    spec: &DemoSpec,
    progress: &mut dyn FnMut(f32, &str) -> bool,
) -> Result<(), StoreError> {
    create_demo_workspace_living(path, spec, progress, None)
}

/// What brings a freshly written demo to life: called on the complete file (still under its
/// temporary name) with the segments stored as drafts and the statuses they are meant to
/// reach; a failure leaves nothing behind, like any other. `life` opens the file with
/// [`Workspace::open_scratch`].
pub type Life<'a> = &'a mut dyn FnMut(&Path, &[(SegmentId, Status)]) -> Result<(), StoreError>;

/// Like [`create_demo_workspace`], but with `life` every segment is stored as a draft and
/// `life` then makes its history (see `cli::demo`).
pub fn create_demo_workspace_living(
    path: &Path,
    spec: &DemoSpec,
    progress: &mut dyn FnMut(f32, &str) -> bool,
    life: Option<Life<'_>>,
) -> Result<(), StoreError> {
    if path.exists() {
        return Err(StoreError::AlreadyExists(path.to_path_buf()));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The app's data folder, or the user's: private, like the workspace in it.
        crate::store::create_private_dir(dir)?;
    }
    let temp = temp_path(path);
    remove_workspace_files(&temp);
    let as_drafts = life.is_some();
    // Made as scratch (no WAL, no syncs: nobody else sees the file until it is renamed),
    // then made a workspace like any other.
    let result = fill(&temp, spec, progress, as_drafts)
        .and_then(|planned| match life {
            Some(life) => life(&temp, &planned),
            None => Ok(()),
        })
        .and_then(|()| Workspace::finish_scratch(&temp));
    match result {
        Ok(()) => std::fs::rename(&temp, path).map(|()| remove_workspace_files(&temp)).map_err(|source| {
            remove_workspace_files(&temp);
            StoreError::Io { path: path.to_path_buf(), source }
        }),
        Err(error) => {
            remove_workspace_files(&temp);
            Err(error)
        }
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    path.with_file_name(name)
}

/// Removes a workspace file and its WAL companions; missing files are fine.
fn remove_workspace_files(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal", ".columns"] {
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        // Nothing to clean when the file was never made.
        std::fs::remove_file(PathBuf::from(name)).ok();
    }
}

fn cancelled() -> StoreError {
    StoreError::Invalid("demo generation cancelled".to_owned())
}

/// Writes the demo; returns each segment with the status it is meant to have (stored as a
/// draft when `as_drafts`).
fn fill(
    path: &Path,
    spec: &DemoSpec,
    progress: &mut dyn FnMut(f32, &str) -> bool,
    as_drafts: bool,
) -> Result<Vec<(SegmentId, Status)>, StoreError> {
    let mut ws = Workspace::create_scratch(path)?;
    let now = spec.now;
    if !progress(0.0, "Sellers and teams") {
        return Err(cancelled());
    }
    for definition in super::attribute_definitions() {
        ws.insert_attribute_definition(&definition)?;
    }
    let mut seller_ids: Vec<SellerId> = Vec::new();
    for seller in super::sellers(spec) {
        seller_ids.push(ws.insert_seller(&seller)?);
    }
    for team in super::teams(&seller_ids) {
        ws.insert_team(&team)?;
    }

    let total = (spec.accounts + spec.contacts + spec.leads + spec.opportunities).max(1) as f32;
    let mut done = 0u64;
    let schema = ws.schema().clone();
    let plan: [(&str, &str, u64); 4] = [
        ("account", "Accounts", spec.accounts),
        ("contact", "Contacts", spec.contacts),
        ("lead", "Leads", spec.leads),
        ("opportunity", "Opportunities", spec.opportunities),
    ];
    for (name, label, _count) in plan {
        let ty = RecordTypeName::new(name);
        let Some(def) = schema.get(&ty) else {
            return Err(StoreError::Invalid(format!("the built-in record type {name} is missing")));
        };
        let mut rows: Box<dyn Iterator<Item = Vec<crate::domain::Value>>> = match name {
            "account" => Box::new(super::accounts(spec, def, &seller_ids)),
            "contact" => Box::new(super::contacts(spec, def, &seller_ids)),
            "lead" => Box::new(super::leads(spec, def, &seller_ids)),
            _ => Box::new(super::opportunities(spec, def, &seller_ids)),
        };
        let base = done;
        let message = label.to_owned();
        let written =
            ws.insert_records(&ty, &mut rows, &mut |so_far| progress((base + so_far) as f32 / total, &message))?;
        if !progress((base + written) as f32 / total, &message) {
            return Err(cancelled());
        }
        done += written;
    }

    let mut sequence_ids = Vec::new();
    for sequence in super::sequences(now) {
        let id = ws.insert_sequence(&sequence)?;
        sequence_ids.push((sequence.name.clone(), id));
    }
    let mut planned = Vec::new();
    for mut segment in super::segments(now) {
        segment.sequence = super::sequence_for_segment(&segment.name)
            .and_then(|wanted| sequence_ids.iter().find(|(name, _)| name == wanted))
            .map(|(_, id)| *id);
        let status = segment.status;
        if as_drafts {
            segment.status = Status::Draft;
        }
        planned.push((ws.insert_segment(&segment)?, status));
    }
    progress(1.0, "Done");
    Ok(planned)
}
