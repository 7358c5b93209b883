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

    /// When date-based segments were last evaluated as time passed (by any window), if ever.
    pub fn last_time_evaluation(&self) -> Result<Option<jiff::Timestamp>> {
        let Some(text) = self.setting(LAST_EVALUATION_KEY)? else { return Ok(None) };
        let at = text
            .parse()
            .map_err(|e| self.corrupt(format!("the setting {LAST_EVALUATION_KEY} is \"{text}\", not a time ({e})")))?;
        Ok(Some(at))
    }

    /// Notes when date-based segments were evaluated as time passed.
    pub fn set_last_time_evaluation(&mut self, at: jiff::Timestamp) -> Result<()> {
        self.check_writable()?;
        let context = "noting the time of the evaluation of date-based segments";
        let tx = self.write_scope().context(context)?;
        tx.execute(
            "INSERT INTO setting (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [LAST_EVALUATION_KEY, at.to_string().as_str()],
        )
        .context(context)?;
        tx.commit().context(context)
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM setting WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .with_context(|| format!("reading the setting {key}"))
    }
}
