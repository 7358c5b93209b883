//! `settings`: reads the workspace settings, and writes the ones given (all checked first;
//! a wrong one changes nothing).

use std::path::Path;

use crate::domain::timing::WorkspaceSettings;
use crate::store::Workspace;

use super::CliError;
use super::error::{in_workspace, refused};

/// The settings `settings` changes; `None` keeps what is stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsChange {
    pub time_zone: Option<String>,
    pub interval_minutes: Option<u32>,
    pub nesting_limit: Option<usize>,
}

impl SettingsChange {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// `settings`: the workspace's settings after making `change` (none: only reads them). An
/// older workspace is upgraded first, as opening it does.
pub fn settings_command(path: &Path, change: &SettingsChange) -> Result<WorkspaceSettings, CliError> {
    if !path.exists() {
        return Err(refused(format!("{}: no such workspace", path.display())));
    }
    let mut workspace = Workspace::open(path).map_err(|e| CliError::workspace(path, e))?;
    let stored = workspace.settings().map_err(|e| CliError::workspace(path, e))?;
    if change.is_empty() {
        return Ok(stored);
    }
    if let Some(reason) = workspace.read_only_reason() {
        return Err(refused(reason));
    }
    let wanted = WorkspaceSettings {
        time_zone: change.time_zone.clone().unwrap_or(stored.time_zone),
        interval_minutes: change.interval_minutes.unwrap_or(stored.interval_minutes),
        nesting_limit: change.nesting_limit.unwrap_or(stored.nesting_limit),
    };
    workspace
        .set_settings(&wanted)
        .map_err(|e| refused(format!("{}: nothing was changed: {}", path.display(), in_workspace(path, &e))))?;
    Ok(wanted)
}

/// The settings as `settings` prints them without `--json`.
pub fn settings_text(settings: &WorkspaceSettings) -> String {
    format!(
        "time zone            {}\nevaluation interval  {} minutes\nnesting limit        {} levels\n",
        settings.time_zone, settings.interval_minutes, settings.nesting_limit
    )
}
