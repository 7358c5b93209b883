//! The bundle's workspace settings: checked like every other definition, and then they
//! replace the workspace's (they have no name to clash on).

use super::super::definitions::Bundle;
use super::{Outcome, Planner};

impl Planner<'_> {
    pub(super) fn settings(&mut self, bundle: &Bundle) {
        let Some(settings) = &bundle.settings else { return };
        match settings.check() {
            Ok(()) => {
                self.plan.settings = Some(settings.clone());
                self.line("settings", "of the workspace", Outcome::Replaced);
            }
            Err(error) => self.problem("settings", error.to_string()),
        }
    }
}
