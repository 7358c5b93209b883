//! The definitions dialog (File → "Export definitions…" / "Import definitions…"): its
//! mode, its step, its commands and their pure handling ([`apply`]), which returns the
//! [`DefinitionsEffect`]s the app carries out.

use std::path::PathBuf;

use jiff::Timestamp;

use super::effect::{Context, Effect};
use super::{AppState, Dialog};
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

/// What the definitions dialog asks the runner to do with files and the workspace.
#[derive(Clone, Debug, PartialEq)]
pub enum DefinitionsEffect {
    /// Write the bundle to `file`; over an existing ordinary file only when `replace`.
    Export { file: PathBuf, replace: bool },
    /// Read the bundle from `file` and import it, clashes resolved by `on_clash` (when
    /// `None` and there are clashes, the dialog asks).
    Import { file: PathBuf, on_clash: Option<OnClash>, now: Timestamp },
}

/// Handles a definitions command: changes the dialog and says what the runner must do.
pub fn apply(state: &mut AppState, command: DefinitionsCommand, ctx: &Context) -> Vec<Effect> {
    let export = |file, replace| vec![Effect::Definitions(DefinitionsEffect::Export { file, replace })];
    let import = |file, on_clash| vec![Effect::Definitions(DefinitionsEffect::Import { file, on_clash, now: ctx.now })];
    if let DefinitionsCommand::Show(mode) = command {
        let Some(view) = &state.view else { return Vec::new() };
        let dir = view.path.parent().map(PathBuf::from).unwrap_or_default();
        let text = dir.join("definitions.ron").display().to_string();
        let dialog = DefinitionsDialog { mode, text, error: None, step: DefinitionsStep::Path };
        state.dialog = Some(Dialog::Definitions(Box::new(dialog)));
        return Vec::new();
    }
    let Some(Dialog::Definitions(dialog)) = &mut state.dialog else { return Vec::new() };
    match command {
        DefinitionsCommand::Show(_) => Vec::new(),
        DefinitionsCommand::SetPath(text) => {
            dialog.text = text;
            dialog.error = None;
            Vec::new()
        }
        DefinitionsCommand::Back => {
            dialog.step = DefinitionsStep::Path;
            Vec::new()
        }
        DefinitionsCommand::Submit => match (dialog.path(), dialog.mode) {
            (Some(file), DefinitionsMode::Export) => export(file, false),
            (Some(file), DefinitionsMode::Import) => import(file, None),
            (None, _) => Vec::new(),
        },
        DefinitionsCommand::Import(on_clash) => {
            dialog.path().map_or_else(Vec::new, |file| import(file, Some(on_clash)))
        }
        DefinitionsCommand::Replace => dialog.path().map_or_else(Vec::new, |file| export(file, true)),
    }
}

impl DefinitionsDialog {
    /// The file typed, or `None` with the dialog saying what to type.
    fn path(&mut self) -> Option<PathBuf> {
        let text = self.text.trim();
        if text.is_empty() {
            self.error = Some("Enter the path of a .ron file".to_owned());
            return None;
        }
        Some(PathBuf::from(text))
    }
}
