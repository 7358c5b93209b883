//! File → "Export definitions…" / "Import definitions…": the definitions bundle
//! (`interchange::definitions`) written from or read into the open workspace. An import is
//! planned first; its problems, or the name clashes and the choice skip / replace / rename,
//! are shown before anything is written. After an import the workspace is opened again, so
//! every screen and the engine see the new definitions.
//!
//! The dialog's commands are handled by the pure [`apply`] in `state::definitions`; this
//! file carries out the [`DefinitionsEffect`]s it returns.

pub use crate::state::definitions::*;

use std::io::Write as _;
use std::path::Path;

use jiff::Timestamp;

use super::App;
use super::features::Runner;
use crate::interchange::definitions::{bundle, from_ron, to_ron};
use crate::interchange::definitions_plan::Outcome;
use crate::interchange::definitions_plan::{OnClash, PlanError, plan};
use crate::state::NoticeLevel;
use crate::state::{Command, Dialog};
use crate::worker::export::{ExportError, Overwrite, TargetError, check_target, write_export};

impl Runner<DefinitionsEffect> for App {
    fn run(&mut self, effect: DefinitionsEffect) {
        match effect {
            DefinitionsEffect::Export { file, replace } => {
                let overwrite = if replace { Overwrite::Replace } else { Overwrite::Refuse };
                self.export_definitions(&file, overwrite);
            }
            DefinitionsEffect::Import { file, on_clash, now } => self.import_definitions(&file, on_clash, now),
        }
    }
}

impl App {
    fn definitions_dialog(&mut self) -> Option<&mut DefinitionsDialog> {
        match &mut self.state.dialog {
            Some(Dialog::Definitions(dialog)) => Some(dialog),
            _ => None,
        }
    }

    /// Writes the bundle to the dialog's file; an existing ordinary file only with
    /// `Overwrite::Replace` (asked first), never the workspace or another SQLite database.
    fn export_definitions(&mut self, file: &Path, overwrite: Overwrite) {
        let Some(workspace_path) = self.state.view.as_ref().map(|v| v.path.clone()) else { return };
        let result = match check_target(file, &workspace_path, overwrite) {
            Err(TargetError::Exists(path)) => {
                if let Some(dialog) = self.definitions_dialog() {
                    dialog.step = DefinitionsStep::ConfirmReplace(path);
                }
                return;
            }
            Err(problem) => Err(problem.to_string()),
            Ok(_) => match &self.workspace {
                Some(workspace) => workspace
                    .all_definitions()
                    .map_err(|e| e.to_string())
                    .and_then(|all| to_ron(&bundle(&all.view())))
                    .and_then(|text| {
                        write_export(file, &workspace_path, overwrite, |out| {
                            out.write_all(text.as_bytes()).map(Some).map_err(|e| ExportError::write(file, e))
                        })
                        .map_err(|e| e.to_string())
                    }),
                None => Err("No workspace is open".to_owned()),
            },
        };
        match result {
            Ok(_) => {
                self.state.dialog = None;
                self.notify_about(NoticeLevel::Info, format!("Definitions exported to {}", file.display()), Some(file));
            }
            Err(error) => {
                if let Some(dialog) = self.definitions_dialog() {
                    dialog.step = DefinitionsStep::Path;
                    dialog.error = Some(error);
                }
            }
        }
    }

    fn import_definitions(&mut self, file: &Path, on_clash: Option<OnClash>, now: Timestamp) {
        let outcome = std::fs::read_to_string(file)
            .map_err(|e| format!("{}: {e}", file.display()))
            .and_then(|text| from_ron(&text).map_err(|e| format!("{}: {e}", file.display())));
        let bundle = match outcome {
            Ok(bundle) => bundle,
            Err(error) => {
                if let Some(dialog) = self.definitions_dialog() {
                    dialog.error = Some(error);
                }
                return;
            }
        };
        let Some(workspace) = &mut self.workspace else { return };
        let current = match workspace.all_definitions() {
            Ok(current) => current,
            Err(error) => {
                self.notify(NoticeLevel::Error, error.to_string());
                return;
            }
        };
        let planned = match plan(&bundle, &current.view(), on_clash, now) {
            Ok(planned) => planned,
            Err(PlanError::Clashes(clashes)) => {
                if let Some(dialog) = self.definitions_dialog() {
                    dialog.step = DefinitionsStep::Clashes(clashes.iter().map(ToString::to_string).collect());
                }
                return;
            }
            Err(PlanError::Problems(problems)) => {
                if let Some(dialog) = self.definitions_dialog() {
                    dialog.step = DefinitionsStep::Problems(problems.iter().map(ToString::to_string).collect());
                }
                return;
            }
        };
        if let Err(error) = workspace.import_definitions(&planned, now) {
            if let Some(dialog) = self.definitions_dialog() {
                dialog.step = DefinitionsStep::Problems(vec![format!("Nothing was imported: {error}")]);
            }
            return;
        }
        let count = |f: fn(&Outcome) -> bool| planned.count(f);
        let summary = format!(
            "Definitions imported: {} created, {} replaced, {} renamed, {} skipped",
            count(|o| matches!(o, Outcome::Created)),
            count(|o| matches!(o, Outcome::Replaced)),
            count(|o| matches!(o, Outcome::Renamed { .. })),
            count(|o| matches!(o, Outcome::Skipped)),
        );
        let path = self.state.view.as_ref().map(|v| v.path.clone());
        self.state.dialog = None;
        if let Some(path) = path {
            self.apply_now(Command::OpenWorkspace(path));
        }
        self.notify(NoticeLevel::Info, summary);
    }
}
