//! The definitions dialog (File → "Export definitions…" / "Import definitions…"): its
//! mode, its step and its commands.

use std::path::PathBuf;

use crate::interchange::definitions_plan::OnClash;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefinitionsMode {
    Export,
    Import,
}

/// Where the definitions dialog is.
#[derive(Clone, Debug, PartialEq)]
pub enum DefinitionsStep {
    /// Asking for the file.
    Path,
    /// The bundle has names the workspace has already: skip, replace or rename?
    Clashes(Vec<String>),
    /// What is wrong with the bundle; nothing was imported.
    Problems(Vec<String>),
    /// The export's file exists (an ordinary file): replace it?
    ConfirmReplace(PathBuf),
}

#[derive(Clone, Debug, PartialEq)]
pub struct DefinitionsDialog {
    pub mode: DefinitionsMode,
    pub text: String,
    pub error: Option<String>,
    pub step: DefinitionsStep,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DefinitionsCommand {
    Show(DefinitionsMode),
    SetPath(String),
    /// Export to, or import from, the path typed.
    Submit,
    /// Import, resolving every clash this way.
    Import(OnClash),
    /// From the problems, clashes or "Replace …?" back to the path.
    Back,
    /// Export over the existing file the dialog asked about.
    Replace,
}
