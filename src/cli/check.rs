//! `check`: the whole workspace file checked on demand (`PRAGMA quick_check`, as opening it
//! for writing does), since the window and the read-only commands answer first and check
//! later or not at all.

use std::path::Path;

use crate::store::Workspace;

use super::CliError;
use super::error::refused;

/// Checks the workspace at `path` without changing a byte of it: `Ok` with a line to print
/// when it has no problems, else what is damaged (or why it is not a workspace). Always the
/// whole file; a passed check leaves its receipt beside it (see `store::receipt`).
pub fn check_command(path: &Path) -> Result<String, CliError> {
    if !path.exists() {
        return Err(refused(format!("{}: no such workspace", path.display())));
    }
    Workspace::check(path).map_err(|e| CliError::workspace(path, e))?;
    Ok(format!("{}: no problems found\n", path.display()))
}
