//! The segment's Assignment rules tab and the rule editor.
//!
//! The tab lists the selected segment's rules as stored (read when the tab asks, and again
//! after every change); the editor holds a [`RuleForm`] (everything but the conditions, edited
//! as a whole by the panel) and a [`Builder`] for the rule's conditions, the same builder the
//! segment uses. Problems are those of `domain::assignment::validate_rule`, each placed next to
//! the part of the form it concerns; nothing is stored while there are any.
//!
//! Commands are handled by the pure [`apply`] in `state::rules`; this file carries out the
//! [`RulesEffect`]s it returns.

pub use crate::state::rules::*;

use jiff::Timestamp;

use super::App;
use super::features::Runner;
use crate::domain::SegmentId;
use crate::domain::assignment::AssignmentRule;
use crate::state::NoticeLevel;

impl Runner<RulesEffect> for App {
    /// Carries out what the rules tab asked for, then reads the rules again.
    fn run(&mut self, effect: RulesEffect) {
        match effect {
            RulesEffect::Load(segment) => self.load_rules(segment),
            RulesEffect::Save { segment, rule, new, now } => self.save_rule(segment, &rule, new, now),
            RulesEffect::SetActive { rule, now } => {
                let Some(workspace) = &mut self.workspace else { return };
                if let Err(error) = workspace.update_rule(&rule, now) {
                    let verb = if rule.active { "activated" } else { "deactivated" };
                    self.notify(NoticeLevel::Error, format!("Rule \"{}\" was not {verb}: {error}", rule.name));
                }
                self.reload_rules();
            }
            RulesEffect::SetRouting { segment, routing, now } => {
                let Some(workspace) = &mut self.workspace else { return };
                if let Err(error) = workspace.set_routing(segment, routing, now) {
                    self.notify(NoticeLevel::Error, format!("The fallback chain was not saved: {error}"));
                }
                self.reload_rules();
            }
            RulesEffect::Reorder { segment, order, now } => {
                let Some(workspace) = &mut self.workspace else { return };
                if let Err(error) = workspace.reorder_rules(segment, &order, now) {
                    self.notify(NoticeLevel::Error, format!("The rules were not reordered: {error}"));
                }
                self.reload_rules();
            }
            RulesEffect::Delete { id, name, now } => {
                let Some(workspace) = &mut self.workspace else { return };
                match workspace.delete_rule(id, now) {
                    Ok(()) => {
                        self.notify(NoticeLevel::Info, format!("Rule \"{name}\" deleted; past assignments are kept"));
                    }
                    Err(error) => self.notify(NoticeLevel::Error, format!("Rule \"{name}\" was not deleted: {error}")),
                }
                self.reload_rules();
            }
        }
    }
}

impl App {
    /// Reads the segment's rules and the seller attributes; an editor of another segment
    /// closes.
    fn load_rules(&mut self, segment: SegmentId) {
        let Some(workspace) = &self.workspace else { return };
        let path = self.state.view.as_ref().map(|v| v.path.clone()).unwrap_or_default();
        let rules = &mut self.state.rules;
        rules.loaded = Some((path, segment));
        rules.confirm_delete = None;
        if rules.editor.as_ref().is_some_and(|e| e.segment != segment) {
            rules.editor = None;
        }
        let read = workspace
            .rules(segment)
            .and_then(|list| Ok((list, workspace.routing(segment)?, workspace.attribute_definitions()?)));
        match read {
            Ok((list, routing, definitions)) => {
                rules.rules = list;
                rules.routing = routing;
                rules.attribute_definitions = definitions;
                rules.error = None;
            }
            Err(error) => {
                rules.rules.clear();
                rules.routing = crate::domain::assignment::Routing::default();
                rules.error = Some(format!("Could not read the assignment rules: {error}"));
            }
        }
    }

    pub(super) fn reload_rules(&mut self) {
        if let Some((_, segment)) = self.state.rules.loaded.clone() {
            self.load_rules(segment);
        }
    }

    fn save_rule(&mut self, segment: SegmentId, rule: &AssignmentRule, new: bool, now: Timestamp) {
        let Some(workspace) = &mut self.workspace else { return };
        let result =
            if new { workspace.insert_rule(segment, rule, now).map(|_| ()) } else { workspace.update_rule(rule, now) };
        match result {
            Ok(()) => {
                self.state.rules.editor = None;
                self.state.record_picker = None;
                self.reload_rules();
                self.notify(NoticeLevel::Info, format!("Rule \"{}\" saved", rule.name));
            }
            Err(error) => {
                if let Some(editor) = &mut self.state.rules.editor {
                    editor.save_error = Some(format!("The rule was not saved: {error}"));
                }
            }
        }
    }
}
