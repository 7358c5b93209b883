//! The workspace settings (File → "Workspace settings…": the time zone, how often
//! date-based segments are evaluated again, the condition nesting limit) and the status of
//! that evaluation, which the status bar shows. [`apply`] is the dialog's pure handling; the
//! app reads and writes the settings and runs the evaluation ([`EvaluationStatus`] says
//! when the next one is due).

use std::path::PathBuf;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::effect::{Context, Effect};
use super::{AppState, Loadable};
use crate::domain::timing::{WorkspaceSettings, next_evaluation};
use crate::domain::{Impact, RecordTypeName, Status};

/// The settings as stored, the dialog's form, and the evaluation's status.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SettingsState {
    /// The open workspace's settings, once read (with the path they were read from).
    pub current: Option<(PathBuf, WorkspaceSettings)>,
    /// The open "Workspace settings" dialog.
    pub form: Option<SettingsForm>,
    /// A new time zone waiting for the user to see what it moves before it is stored.
    pub zone_change: Option<ZoneChange>,
    pub evaluation: EvaluationStatus,
}

/// Settings with a new time zone, and what the next evaluation would write in it: per
/// record type, joins, leaves and moves of date-based segments.
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneChange {
    pub settings: WorkspaceSettings,
    pub impact: Loadable<Vec<(RecordTypeName, Impact)>>,
}

impl SettingsState {
    /// The settings of the workspace at `path`, when they were read from it.
    pub fn of(&self, path: &std::path::Path) -> Option<&WorkspaceSettings> {
        self.current.as_ref().filter(|(p, _)| p == path).map(|(_, s)| s)
    }
}

/// The dialog's fields as typed.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingsForm {
    pub time_zone: String,
    /// What the time zone picker's search box holds.
    pub time_zone_search: String,
    pub interval_minutes: String,
    pub nesting_limit: String,
    /// Why the last Save was refused (inline, under the fields).
    pub error: Option<String>,
}

impl SettingsForm {
    pub fn of(settings: &WorkspaceSettings) -> Self {
        Self {
            time_zone: settings.time_zone.clone(),
            time_zone_search: String::new(),
            interval_minutes: settings.interval_minutes.to_string(),
            nesting_limit: settings.nesting_limit.to_string(),
            error: None,
        }
    }

    /// The settings the form describes, checked; or what is wrong, in words.
    pub fn settings(&self) -> Result<WorkspaceSettings, String> {
        let interval_minutes = self.interval_minutes.trim().parse().map_err(|_| {
            format!("The evaluation interval \"{}\" is not a whole number of minutes", self.interval_minutes)
        })?;
        let nesting_limit = self
            .nesting_limit
            .trim()
            .parse()
            .map_err(|_| format!("The nesting limit \"{}\" is not a whole number of levels", self.nesting_limit))?;
        let settings =
            WorkspaceSettings { time_zone: self.time_zone.trim().to_owned(), interval_minutes, nesting_limit };
        settings.check().map_err(|e| capitalised(&e.to_string()))?;
        Ok(settings)
    }
}

/// When date-based segments were last evaluated again, and when next.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EvaluationStatus {
    /// The workspace the times below belong to: another one opened starts over.
    pub path: Option<PathBuf>,
    /// When the last evaluation ran (its "now"), and how many records it moved.
    pub last: Option<(Timestamp, u64)>,
    /// When the next one is due; `None` means at once.
    pub next: Option<Timestamp>,
    /// An evaluation is running.
    pub running: bool,
    /// Why the last one failed.
    pub error: Option<String>,
    /// The time zone changed since the last one: the next looks at every record again.
    pub zone_changed: bool,
}

impl EvaluationStatus {
    /// Whether an evaluation of the workspace at `path` is due at `now`.
    pub fn is_due(&self, path: &std::path::Path, now: Timestamp) -> bool {
        !self.running && (self.path.as_deref() != Some(path) || self.next.is_none_or(|next| now >= next))
    }

    /// An evaluation at `now` of the workspace at `path` started.
    pub fn started(&mut self, path: PathBuf, now: Timestamp) {
        if self.path.as_ref() != Some(&path) {
            *self = Self::default();
        }
        self.path = Some(path);
        self.running = true;
        self.next = Some(now);
        self.zone_changed = false;
    }

    /// The evaluation at `at` ended, having moved `changed` records (or failed with
    /// `error`); the next is due after `interval_minutes` or at midnight in `time_zone`.
    pub fn finished(
        &mut self,
        at: Timestamp,
        changed: Result<u64, String>,
        interval_minutes: u32,
        time_zone: &TimeZone,
    ) {
        self.running = false;
        match changed {
            Ok(changed) => {
                self.last = Some((at, changed));
                self.error = None;
            }
            Err(error) => self.error = Some(error),
        }
        self.next = Some(next_evaluation(at, interval_minutes, time_zone));
    }

    /// The next evaluation is due at once (the settings changed).
    pub fn due_now(&mut self) {
        self.next = None;
    }

    /// The time zone changed: the next evaluation is due at once and looks at every record.
    pub fn zone_changed(&mut self) {
        self.next = None;
        self.zone_changed = true;
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum SettingsCommand {
    /// Open the dialog with the stored settings.
    Open,
    /// Replace the form with an edited copy (the panel edits a clone).
    Edit(SettingsForm),
    Save,
    Close,
    /// Store the settings whose new time zone's impact was shown.
    ConfirmZoneChange,
    /// Back to the form from the impact of a new time zone.
    CancelZoneChange,
    /// What the new time zone would move, computed (or why not).
    ZoneImpactReady(Result<Vec<(RecordTypeName, Impact)>, String>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum SettingsEffect {
    /// Read the settings of the open workspace, then open the dialog with them.
    ReadThenOpen,
    /// Store these settings; `time_zone_changed` asks for date-based segments to be
    /// evaluated again in the new zone.
    Write { settings: WorkspaceSettings, time_zone_changed: bool },
    /// Compute what resolving relative dates in `settings.time_zone` would move at `now`.
    ComputeZoneImpact { settings: WorkspaceSettings, now: Timestamp },
}

/// The dialog's handling: Save checks the form and asks to store it (the dialog closes
/// when it is stored); a form with a problem says so inline and stores nothing.
pub fn apply(state: &mut AppState, command: SettingsCommand, ctx: &Context) -> Vec<Effect> {
    match command {
        SettingsCommand::Open => {
            let path = state.view.as_ref().map(|v| v.path.clone());
            match path.as_deref().and_then(|p| state.settings.of(p)) {
                Some(settings) => {
                    state.settings.form = Some(SettingsForm::of(settings));
                    Vec::new()
                }
                None if path.is_some() => vec![Effect::Settings(SettingsEffect::ReadThenOpen)],
                None => Vec::new(),
            }
        }
        SettingsCommand::Edit(form) => {
            if state.settings.form.is_some() {
                state.settings.form = Some(form);
            }
            Vec::new()
        }
        SettingsCommand::Save => {
            let Some(form) = &mut state.settings.form else { return Vec::new() };
            match form.settings() {
                Ok(settings) => {
                    form.error = None;
                    let stored = state.view.as_ref().and_then(|v| state.settings.of(&v.path));
                    let time_zone_changed = stored.is_none_or(|s| s.time_zone != settings.time_zone);
                    // A new zone moves records of date-based segments: shown before it is stored.
                    let dated = state.view.as_ref().is_some_and(|view| {
                        view.segments.values().flatten().any(|s| {
                            s.status == Status::Active && crate::domain::timing::depends_on_clock(&s.conditions)
                        })
                    });
                    if time_zone_changed && dated {
                        state.settings.zone_change =
                            Some(ZoneChange { settings: settings.clone(), impact: Loadable::default() });
                        return vec![Effect::Settings(SettingsEffect::ComputeZoneImpact { settings, now: ctx.now })];
                    }
                    vec![Effect::Settings(SettingsEffect::Write { settings, time_zone_changed })]
                }
                Err(error) => {
                    form.error = Some(error);
                    Vec::new()
                }
            }
        }
        SettingsCommand::Close => {
            state.settings.form = None;
            state.settings.zone_change = None;
            Vec::new()
        }
        SettingsCommand::ConfirmZoneChange => match state.settings.zone_change.take() {
            // Once the impact is known (or could not be computed, which the dialog says).
            Some(change) if !matches!(change.impact, Loadable::Pending { .. }) => {
                vec![Effect::Settings(SettingsEffect::Write { settings: change.settings, time_zone_changed: true })]
            }
            // Not before the impact was seen.
            other => {
                state.settings.zone_change = other;
                Vec::new()
            }
        },
        SettingsCommand::CancelZoneChange => {
            state.settings.zone_change = None;
            Vec::new()
        }
        SettingsCommand::ZoneImpactReady(result) => {
            if let Some(change) = &mut state.settings.zone_change {
                change.impact = match result {
                    Ok(impact) => Loadable::Ready(impact),
                    Err(error) => Loadable::Failed { error, previous: None },
                };
            }
            Vec::new()
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
