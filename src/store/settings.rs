//! The workspace settings kept in the `setting` table besides the time zone: how often the
//! window evaluates date-based segments again and how deeply conditions may nest. A missing
//! row means the default; a row that does not read is a corrupt workspace, named.

use rusqlite::OptionalExtension as _;

use super::{Result, SqlContext, StoreError, Workspace};
use crate::domain::DEFAULT_MAX_DEPTH;
use crate::domain::timing::{DEFAULT_INTERVAL_MINUTES, WorkspaceSettings};

const INTERVAL_KEY: &str = "evaluation_interval_minutes";
const NESTING_KEY: &str = "nesting_limit";
const LAST_EVALUATION_KEY: &str = "last_time_evaluation";
const LAST_EVALUATION_ZONE_KEY: &str = "last_time_evaluation_zone";

impl Workspace {
    /// The workspace settings, with the defaults where none is stored.
    pub fn settings(&self) -> Result<WorkspaceSettings> {
        let interval = match self.setting(INTERVAL_KEY)? {
            None => DEFAULT_INTERVAL_MINUTES,
            Some(text) => text.parse().map_err(|_| {
                self.corrupt(format!("the setting {INTERVAL_KEY} is \"{text}\", not a number of minutes"))
            })?,
        };
        let nesting_limit = match self.setting(NESTING_KEY)? {
            None => DEFAULT_MAX_DEPTH,
            Some(text) => text.parse().map_err(|_| {
                self.corrupt(format!("the setting {NESTING_KEY} is \"{text}\", not a number of levels"))
            })?,
        };
        // Written by another program out of range: said, not used.
        if !crate::domain::timing::NESTING_LIMIT_RANGE.contains(&nesting_limit) {
            return Err(self.corrupt(format!(
                "the setting {NESTING_KEY} is {nesting_limit}, outside {} to {} levels",
                crate::domain::timing::NESTING_LIMIT_RANGE.start(),
                crate::domain::timing::NESTING_LIMIT_RANGE.end()
            )));
        }
        if !crate::domain::timing::INTERVAL_MINUTES_RANGE.contains(&interval) {
            return Err(self.corrupt(format!(
                "the setting {INTERVAL_KEY} is {interval}, outside {} to {} minutes",
                crate::domain::timing::INTERVAL_MINUTES_RANGE.start(),
                crate::domain::timing::INTERVAL_MINUTES_RANGE.end()
            )));
        }
        Ok(WorkspaceSettings { time_zone: self.time_zone().to_owned(), interval_minutes: interval, nesting_limit })
    }

    /// Stores all the settings at once after checking them; a setting that is wrong
    /// changes nothing.
    pub fn set_settings(&mut self, settings: &WorkspaceSettings) -> Result<()> {
        self.check_writable()?;
        settings.check().map_err(|e| StoreError::Invalid(e.to_string()))?;
        let context = "saving the workspace settings";
        let tx = self.write_scope().context(context)?;
        for (key, value) in [
            ("time_zone", settings.time_zone.clone()),
            (INTERVAL_KEY, settings.interval_minutes.to_string()),
            (NESTING_KEY, settings.nesting_limit.to_string()),
        ] {
            tx.execute(
                "INSERT INTO setting (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value.as_str()],
            )
            .context(context)?;
        }
        tx.commit().context(context)?;
        settings.time_zone.clone_into(&mut self.time_zone);
        Ok(())
    }

    /// When date-based segments were last evaluated as time passed (by any window), if ever,
    /// and the time zone they were evaluated in.
    pub fn last_time_evaluation(&self) -> Result<Option<(jiff::Timestamp, String)>> {
        let Some(text) = self.setting(LAST_EVALUATION_KEY)? else { return Ok(None) };
        let at = text
            .parse()
            .map_err(|e| self.corrupt(format!("the setting {LAST_EVALUATION_KEY} is \"{text}\", not a time ({e})")))?;
        let zone = self.setting(LAST_EVALUATION_ZONE_KEY)?.unwrap_or_default();
        Ok(Some((at, zone)))
    }

    /// Notes when date-based segments were evaluated as time passed, in the current zone.
    pub fn set_last_time_evaluation(&mut self, at: jiff::Timestamp) -> Result<()> {
        self.check_writable()?;
        let context = "noting the time of the evaluation of date-based segments";
        let tx = self.write_scope().context(context)?;
        for (key, value) in [(LAST_EVALUATION_KEY, at.to_string()), (LAST_EVALUATION_ZONE_KEY, self.time_zone.clone())]
        {
            tx.execute(
                "INSERT INTO setting (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value.as_str()],
            )
            .context(context)?;
        }
        tx.commit().context(context)
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM setting WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .with_context(|| format!("reading the setting {key}"))
    }
}
