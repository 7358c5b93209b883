//! Everything a user can ask for. Panels push commands while drawing; `App::apply` carries
//! them out after the frame, in order.

use std::path::PathBuf;

use crate::domain::RecordTypeName;

use super::builder::BuilderEdit;
use super::conditions::ConditionsCommand;
use super::rules::RulesCommand;

use super::{Dialog, PathPurpose, Screen};

/// Declares [`Command`]: the window's, the segments' and the condition builder's commands,
/// and one variant per feature of the registry (`super::features`), each with `From`.
macro_rules! define_command {
    ($($variant:ident($module:ident, $command:ident, $effect:ident $(, screen $label:literal)?)),* $(,)?) => {
        /// Everything a user can ask for; panels push these while drawing.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Command {
            // Workspace files.
            ShowPathDialog(PathPurpose),
            SetDialogText(String),
            /// Pick a path with the platform file dialog (falls back to the typed path).
            BrowseForPath,
            SubmitPathDialog,
            CloseDialog,
            OpenWorkspace(PathBuf),
            CreateWorkspace(PathBuf),
            CancelJob,
            /// Replace the open dialog's form with an edited copy (panels edit a clone).
            UpdateDialog(Dialog),
            DismissNotice(u64),
            /// Show this folder in the desktop's file manager.
            OpenFolder(PathBuf),
            /// Check the whole workspace file in the background (File → Check workspace).
            CheckWorkspace,
            Quit,

            // Navigation.
            ShowScreen(Screen),
            SelectRecordType(RecordTypeName),
            // The features of `super::features`, one variant each.
            $($variant(super::$module::$command),)*
        }

        $(impl From<super::$module::$command> for Command {
            fn from(command: super::$module::$command) -> Self {
                Command::$variant(command)
            }
        })*
    };
}

super::features::for_each_feature!(define_command);

/// Which builder a panel's edits are for: the selected segment's conditions, or the
/// conditions of the assignment rule being edited. The same panel draws both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BuilderTarget {
    Segment,
    Rule,
}

impl BuilderTarget {
    /// The command carrying `edit` to this builder.
    pub fn edit(self, edit: BuilderEdit) -> Command {
        match self {
            BuilderTarget::Segment => Command::Conditions(ConditionsCommand::Edit(edit)),
            BuilderTarget::Rule => Command::Rules(RulesCommand::EditConditions(edit)),
        }
    }

    pub fn undo(self) -> Command {
        match self {
            BuilderTarget::Segment => Command::Conditions(ConditionsCommand::Undo),
            BuilderTarget::Rule => Command::Rules(RulesCommand::UndoConditions),
        }
    }

    pub fn redo(self) -> Command {
        match self {
            BuilderTarget::Segment => Command::Conditions(ConditionsCommand::Redo),
            BuilderTarget::Rule => Command::Rules(RulesCommand::RedoConditions),
        }
    }

    /// Ctrl+S: the segment's conditions, or the whole rule.
    pub fn save(self) -> Command {
        match self {
            BuilderTarget::Segment => Command::Conditions(ConditionsCommand::Save),
            BuilderTarget::Rule => Command::Rules(RulesCommand::Save),
        }
    }
}
