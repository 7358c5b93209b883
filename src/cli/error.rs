//! Why a subcommand failed: typed like the layers below, turned into text once, by `main`,
//! as the one line on stderr.

use std::path::{Path, PathBuf};

use crate::engine::EngineError;
use crate::store::StoreError;
use crate::worker::WorkerError;
use crate::worker::export::ExportError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The workspace at `path` refused or failed (its message names the file when it can).
    #[error("{}", in_workspace(path, source))]
    Workspace {
        path: PathBuf,
        #[source]
        source: StoreError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Worker(#[from] WorkerError),
    #[error(transparent)]
    Export(#[from] ExportError),
    /// What the user asked for cannot be done, said with its place (a file, a line, a name).
    #[error("{0}")]
    Refused(String),
}

impl CliError {
    pub fn workspace(path: &Path, source: StoreError) -> Self {
        CliError::Workspace { path: path.to_owned(), source }
    }
}

/// What the user asked for cannot be done, said with its place.
pub fn refused(message: impl Into<String>) -> CliError {
    CliError::Refused(message.into())
}

/// A store error's message, prefixed with the workspace's path unless it names it already.
pub(crate) fn in_workspace(path: &Path, error: &StoreError) -> String {
    let message = error.to_string();
    let shown = path.display().to_string();
    if message.contains(&shown) { message } else { format!("{shown}: {message}") }
}
