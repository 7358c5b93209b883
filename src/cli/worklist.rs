//! `work-list` and `complete-step`: the Work list for scripts, and finishing a step of an
//! enrolment (done or skipped) from one.

use std::path::Path;

use jiff::Timestamp;
use serde::Serialize;

use crate::domain::sequence::{StepOutcome, WorkFilter};
use crate::store::Workspace;

use super::CliError;
use super::error::refused;

/// The answer of `work-list` (`--json` prints exactly these keys).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WorkListReport {
    /// How many steps match in all (`items` holds the first of them).
    pub total: u64,
    pub items: Vec<WorkRow>,
}

/// One due step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WorkRow {
    pub enrolment: i64,
    pub record_type: String,
    pub record: i64,
    pub title: String,
    /// The owner's email, when the record has an owner.
    pub owner: Option<String>,
    pub sequence: String,
    /// The step's number (1 is the first) and how many the sequence has.
    pub step: u32,
    pub steps: u32,
    pub kind: String,
    pub step_name: String,
    pub due_at: String,
    pub overdue: bool,
}

impl WorkListReport {
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for row in &self.items {
            text.push_str(&format!(
                "{:>8}  {}{}  {} #{} {}  step {}/{} {}: {}\n",
                row.enrolment,
                row.due_at,
                if row.overdue { " (overdue)" } else { "" },
                row.record_type,
                row.record,
                row.title,
                row.step,
                row.steps,
                row.kind,
                row.step_name
            ));
        }
        let shown = self.items.len() as u64;
        if shown < self.total {
            text.push_str(&format!("{shown} of {} due steps shown\n", self.total));
        } else {
            text.push_str(&format!("{} due steps\n", self.total));
        }
        text
    }
}

/// `work-list`: the steps of running enrolments due at or before `due_before` (now when not
/// given), overdue first; only those of records the seller with `seller_email` owns when
/// given. At most `limit` rows; `total` counts them all.
pub fn work_list_command(
    path: &Path,
    seller_email: Option<&str>,
    due_before: Option<Timestamp>,
    now: Timestamp,
    limit: usize,
) -> Result<WorkListReport, CliError> {
    if !path.exists() {
        return Err(refused(format!("{}: no such workspace", path.display())));
    }
    drop(Workspace::open(path).map_err(|e| CliError::workspace(path, e))?);
    let workspace = Workspace::open_reader(path).map_err(|e| CliError::workspace(path, e))?;
    let sellers = workspace.sellers().map_err(|e| CliError::workspace(path, e))?;
    let seller = match seller_email {
        Some(email) => Some(
            sellers
                .iter()
                .find(|s| s.email.eq_ignore_ascii_case(email.trim()))
                .map(|s| s.id)
                .ok_or_else(|| refused(format!("{}: there is no seller with email {email}", path.display())))?,
        ),
        None => None,
    };
    let filter = WorkFilter { seller, due_before: Some(due_before.unwrap_or(now)), ..WorkFilter::default() };
    let list = workspace.work_list(&filter, now, limit).map_err(|e| CliError::workspace(path, e))?;
    let email = |id| sellers.iter().find(|s| s.id == id).map(|s| s.email.clone());
    Ok(WorkListReport {
        total: list.total,
        items: list
            .items
            .into_iter()
            .map(|item| WorkRow {
                enrolment: item.enrolment,
                record_type: item.record_type.to_string(),
                record: item.record.0,
                title: item.title,
                owner: item.owner.and_then(email),
                sequence: item.sequence_name,
                step: item.position + 1,
                steps: item.steps,
                kind: item.kind.key().to_owned(),
                step_name: item.step_name,
                due_at: item.due_at.to_string(),
                overdue: item.overdue,
            })
            .collect(),
    })
}

/// The answer of `complete-step`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CompleteStepReport {
    pub enrolment: i64,
    /// "done" or "skipped".
    pub outcome: String,
    /// The step finished (1 is the first).
    pub finished_step: u32,
    /// The step now current (1 is the first); `None` once the enrolment completed.
    pub next_step: Option<u32>,
    pub due_at: Option<String>,
    pub completed: bool,
}

impl CompleteStepReport {
    pub fn to_text(&self) -> String {
        match (&self.next_step, &self.due_at) {
            (Some(step), Some(due)) => format!(
                "enrolment {}: step {} {}; step {step} is due at {due}\n",
                self.enrolment, self.finished_step, self.outcome
            ),
            _ => format!(
                "enrolment {}: step {} {}; the enrolment is completed\n",
                self.enrolment, self.finished_step, self.outcome
            ),
        }
    }
}

/// `complete-step`: finishes the current step of enrolment `enrolment` at `now`, as done
/// or (`skip`) skipped, and moves it on.
pub fn complete_step_command(
    path: &Path,
    enrolment: i64,
    skip: bool,
    now: Timestamp,
) -> Result<CompleteStepReport, CliError> {
    if !path.exists() {
        return Err(refused(format!("{}: no such workspace", path.display())));
    }
    let mut workspace = Workspace::open(path).map_err(|e| CliError::workspace(path, e))?;
    if let Some(reason) = workspace.read_only_reason() {
        return Err(refused(reason));
    }
    let before = workspace.enrolment_by_id(enrolment).map_err(|e| CliError::workspace(path, e))?;
    let outcome = if skip { StepOutcome::Skipped } else { StepOutcome::Done };
    let after = workspace.complete_step(enrolment, outcome, now).map_err(|e| CliError::workspace(path, e))?;
    let completed = after.end_reason.is_some();
    Ok(CompleteStepReport {
        enrolment,
        outcome: outcome.key().to_owned(),
        finished_step: before.step + 1,
        next_step: (!completed).then_some(after.step + 1),
        due_at: after.due_at.map(|t| t.to_string()),
        completed,
    })
}
