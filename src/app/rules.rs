//! The segment's Assignment rules tab and the rule editor.
//!
//! The tab lists the selected segment's rules as stored (read when the tab asks, and again
//! after every change); the editor holds a [`RuleForm`] (everything but the conditions, edited
//! as a whole by the panel) and a [`Builder`] for the rule's conditions, the same builder the
//! segment uses. Problems are those of `domain::assignment::validate_rule`, each placed next to
//! the part of the form it concerns; nothing is stored while there are any.

pub use crate::state::rules::*;

use super::App;
use crate::domain::assignment::RuleId;
use crate::domain::{Group, NodeId, SegmentId};
use crate::state::NoticeLevel;
use crate::state::builder::{Builder, EditContext};

impl App {
    pub(super) fn apply_rules(&mut self, command: RulesCommand) {
        match command {
            RulesCommand::Load(segment) => self.load_rules(segment),
            RulesCommand::NewRule => {
                let name = format!("Rule {}", self.state.rules.rules.len() + 1);
                self.open_rule_editor(None, RuleForm::new(name), None);
            }
            RulesCommand::EditRule(id) => {
                if let Some(rule) = self.state.rules.rules.iter().find(|r| r.id == id).cloned() {
                    self.open_rule_editor(Some(id), RuleForm::from_rule(&rule), Some(rule.conditions));
                }
            }
            RulesCommand::CopyRule(id) => {
                if let Some(rule) = self.state.rules.rules.iter().find(|r| r.id == id).cloned() {
                    let mut form = RuleForm::from_rule(&rule);
                    form.name = format!("Copy of {}", rule.name);
                    self.open_rule_editor(None, form, Some(rule.conditions));
                }
            }
            RulesCommand::SetActive { rule, active } => self.set_rule_active(rule, active),
            RulesCommand::MoveRule { rule, to_index } => self.move_rule(rule, to_index),
            RulesCommand::AskDeleteRule(id) => {
                if let Some(rule) = self.state.rules.rules.iter().find(|r| r.id == id) {
                    self.state.rules.confirm_delete = Some((id, rule.name.clone()));
                }
            }
            RulesCommand::DeleteRule(id) => self.delete_rule(id),
            RulesCommand::CancelDeleteRule => self.state.rules.confirm_delete = None,
            RulesCommand::UpdateForm(form) => {
                if let Some(editor) = &mut self.state.rules.editor {
                    editor.form = form;
                    editor.save_error = None;
                }
                self.check_rule_editor();
            }
            RulesCommand::EditConditions(edit) => {
                let (Some(editor), Some(view)) = (&mut self.state.rules.editor, &self.state.view) else { return };
                let today = crate::domain::EvalContext::new(self.clock.now(), view.time_zone.clone()).today();
                editor.builder.apply(edit, &EditContext { schema: &view.schema, today });
                editor.save_error = None;
            }
            RulesCommand::UndoConditions => {
                if let (Some(editor), Some(view)) = (&mut self.state.rules.editor, &self.state.view) {
                    editor.builder.undo(&view.schema);
                }
            }
            RulesCommand::RedoConditions => {
                if let (Some(editor), Some(view)) = (&mut self.state.rules.editor, &self.state.view) {
                    editor.builder.redo(&view.schema);
                }
            }
            RulesCommand::Save => self.save_rule(),
            RulesCommand::Close => {
                self.state.rules.editor = None;
                self.state.record_picker = None;
            }
        }
    }

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
        match workspace.rules(segment).and_then(|list| Ok((list, workspace.attribute_definitions()?))) {
            Ok((list, definitions)) => {
                rules.rules = list;
                rules.attribute_definitions = definitions;
                rules.error = None;
            }
            Err(error) => {
                rules.rules.clear();
                rules.error = Some(format!("Could not read the assignment rules: {error}"));
            }
        }
    }

    pub(super) fn reload_rules(&mut self) {
        if let Some((_, segment)) = self.state.rules.loaded.clone() {
            self.load_rules(segment);
        }
    }

    fn open_rule_editor(&mut self, rule: Option<RuleId>, form: RuleForm, conditions: Option<Group>) {
        let Some(segment) = self.state.selected_segment().cloned() else { return };
        let Some(view) = &self.state.view else { return };
        let conditions = conditions.unwrap_or_else(|| Group::all(NodeId(0)));
        let builder = Builder::new(segment.id, segment.record_type.clone(), conditions, &view.schema);
        self.state.rules.editor = Some(RuleEditor {
            segment: segment.id,
            record_type: segment.record_type.clone(),
            rule,
            opened: if rule.is_some() { form.clone() } else { RuleForm::new(String::new()) },
            form,
            builder,
            problems: Vec::new(),
            save_error: None,
        });
        self.state.record_picker = None;
        self.check_rule_editor();
    }

    fn check_rule_editor(&mut self) {
        let (Some(editor), Some(view)) = (&mut self.state.rules.editor, &self.state.view) else { return };
        let ctx = RuleContext {
            schema: &view.schema,
            record_type: &editor.record_type,
            definitions: &self.state.rules.attribute_definitions,
            sellers: &view.sellers,
            teams: &view.teams,
        };
        editor.problems = rule_problems(&editor.form, &editor.builder.draft, &ctx);
    }

    fn save_rule(&mut self) {
        self.check_rule_editor();
        let Some(editor) = &mut self.state.rules.editor else { return };
        let count = editor.problem_count();
        if count > 0 {
            let what = if count == 1 { "the problem".to_owned() } else { format!("the {count} problems") };
            editor.save_error = Some(format!("Fix {what} marked below, then save again"));
            return;
        }
        let Some(workspace) = &mut self.workspace else { return };
        let rule = editor.form.to_rule(editor.rule.unwrap_or(RuleId(0)), editor.builder.draft.clone());
        let result = match editor.rule {
            Some(_) => workspace.update_rule(&rule, self.clock.now()),
            None => workspace.insert_rule(editor.segment, &rule, self.clock.now()).map(|_| ()),
        };
        match result {
            Ok(()) => {
                self.state.rules.editor = None;
                self.state.record_picker = None;
                self.reload_rules();
                self.notify(NoticeLevel::Info, format!("Rule \"{}\" saved", rule.name));
            }
            Err(error) => editor.save_error = Some(format!("The rule was not saved: {error}")),
        }
    }

    fn set_rule_active(&mut self, id: RuleId, active: bool) {
        let Some(mut rule) = self.state.rules.rules.iter().find(|r| r.id == id).cloned() else { return };
        let Some(workspace) = &mut self.workspace else { return };
        rule.active = active;
        if let Err(error) = workspace.update_rule(&rule, self.clock.now()) {
            let verb = if active { "activated" } else { "deactivated" };
            self.notify(NoticeLevel::Error, format!("Rule \"{}\" was not {verb}: {error}", rule.name));
        }
        self.reload_rules();
    }

    fn move_rule(&mut self, id: RuleId, to_index: usize) {
        let Some((_, segment)) = self.state.rules.loaded.clone() else { return };
        let mut order: Vec<RuleId> = self.state.rules.rules.iter().map(|r| r.id).collect();
        let Some(from) = order.iter().position(|r| *r == id) else { return };
        let moved = order.remove(from);
        order.insert(to_index.min(order.len()), moved);
        let Some(workspace) = &mut self.workspace else { return };
        if let Err(error) = workspace.reorder_rules(segment, &order) {
            self.notify(NoticeLevel::Error, format!("The rules were not reordered: {error}"));
        }
        self.reload_rules();
    }

    fn delete_rule(&mut self, id: RuleId) {
        self.state.rules.confirm_delete = None;
        let name = self.state.rules.rules.iter().find(|r| r.id == id).map(|r| r.name.clone()).unwrap_or_default();
        let Some(workspace) = &mut self.workspace else { return };
        match workspace.delete_rule(id) {
            Ok(()) => self.notify(NoticeLevel::Info, format!("Rule \"{name}\" deleted; past assignments are kept")),
            Err(error) => self.notify(NoticeLevel::Error, format!("Rule \"{name}\" was not deleted: {error}")),
        }
        self.reload_rules();
    }
}
