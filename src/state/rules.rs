//! The Assignment rules tab's state: the rule form (everything but the conditions), its
//! problems placed next to the part of the form they concern, and the editor around a
//! [`Builder`] for the rule's conditions; the commands' pure handling ([`apply`]) and the
//! [`RulesEffect`]s it asks the app to carry out.

use std::path::PathBuf;

use jiff::Timestamp;

use super::AppState;
use super::builder::{Builder, BuilderEdit, EditContext};
use super::effect::{Context, Effect};
use crate::domain::assignment::{
    AssignmentRule, AttributeCondition, AttributeValue, Distribution, Routing, RuleId, RuleProblem, Target,
    validate_rule,
};
use crate::domain::{
    AttributeDefinition, FieldName, Group, NodeId, RecordTypeName, Schema, SegmentId, Seller, SellerId, Team, TeamId,
};

/// What the rules panels show beyond the workspace view.
#[derive(Debug, Default)]
pub struct RulesState {
    /// The workspace and segment the list was read for.
    pub loaded: Option<(PathBuf, SegmentId)>,
    /// The segment's rules in order, as stored.
    pub rules: Vec<AssignmentRule>,
    /// The segment's fallback chain after its rules, as stored.
    pub routing: Routing,
    /// Why the rules could not be read.
    pub error: Option<String>,
    /// The seller attributes rules can test.
    pub attribute_definitions: Vec<AttributeDefinition>,
    pub editor: Option<RuleEditor>,
    /// "Delete rule?" asked for this rule (id and name).
    pub confirm_delete: Option<(RuleId, String)>,
    /// The distribution simulator of the tab.
    pub simulate: super::simulate::SimulateState,
}

/// Who a rule assigns to, as the editor's radio buttons offer it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    AnySeller,
    SellersMatching,
    Sellers,
    Team,
}

impl TargetKind {
    pub const ALL: [TargetKind; 4] =
        [TargetKind::AnySeller, TargetKind::SellersMatching, TargetKind::Sellers, TargetKind::Team];

    pub fn label(self) -> &'static str {
        match self {
            TargetKind::AnySeller => "Any seller",
            TargetKind::SellersMatching => "Sellers matching attributes",
            TargetKind::Sellers => "Specific sellers",
            TargetKind::Team => "A team",
        }
    }
}

/// One "seller <attribute> …" line of the editor.
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeForm {
    /// The attribute's name; empty until chosen.
    pub attribute: String,
    /// Compare with a field of the record (seller language = lead language) instead of
    /// fixed values.
    pub from_record: bool,
    pub values: Vec<String>,
    pub field: Option<FieldName>,
}

/// The rule editor's fields other than the conditions. The panel edits a copy and sends it
/// back whole ([`RulesCommand::UpdateForm`]).
#[derive(Clone, Debug, PartialEq)]
pub struct RuleForm {
    pub name: String,
    pub active: bool,
    pub created_within: bool,
    pub created_within_hours: u32,
    pub target: TargetKind,
    /// Kept while another target is chosen, so switching back loses nothing.
    pub attributes: Vec<AttributeForm>,
    pub sellers: Vec<SellerId>,
    pub team: Option<TeamId>,
    pub distribution: Distribution,
    pub honour_capacity: bool,
    pub available_within: bool,
    pub available_within_hours: u32,
}

impl RuleForm {
    pub fn new(name: String) -> Self {
        Self {
            name,
            active: true,
            created_within: false,
            created_within_hours: 24,
            target: TargetKind::AnySeller,
            attributes: Vec::new(),
            sellers: Vec::new(),
            team: None,
            distribution: Distribution::RoundRobin,
            honour_capacity: false,
            available_within: false,
            available_within_hours: 24,
        }
    }

    pub fn from_rule(rule: &AssignmentRule) -> Self {
        let mut form = Self::new(rule.name.clone());
        form.active = rule.active;
        form.created_within = rule.created_within_hours.is_some();
        form.created_within_hours = rule.created_within_hours.unwrap_or(24);
        form.distribution = rule.distribution;
        form.honour_capacity = rule.honour_capacity;
        form.available_within = rule.available_within_hours.is_some();
        form.available_within_hours = rule.available_within_hours.unwrap_or(24);
        match &rule.target {
            Target::AnySeller => form.target = TargetKind::AnySeller,
            Target::SellersMatching(conditions) => {
                form.target = TargetKind::SellersMatching;
                form.attributes = conditions
                    .iter()
                    .map(|c| match &c.values {
                        AttributeValue::Fixed(values) => AttributeForm {
                            attribute: c.attribute.clone(),
                            from_record: false,
                            values: values.clone(),
                            field: None,
                        },
                        AttributeValue::FromRecord(field) => AttributeForm {
                            attribute: c.attribute.clone(),
                            from_record: true,
                            values: Vec::new(),
                            field: Some(field.clone()),
                        },
                    })
                    .collect();
            }
            Target::Sellers(ids) => {
                form.target = TargetKind::Sellers;
                form.sellers.clone_from(ids);
            }
            Target::Team(team) => {
                form.target = TargetKind::Team;
                form.team = Some(*team);
            }
        }
        form
    }

    /// The rule this form describes, with `id` and `conditions`. Parts not chosen yet (a
    /// team, an attribute, a record field) are left empty; [`rule_problems`] names them.
    pub fn to_rule(&self, id: RuleId, conditions: Group) -> AssignmentRule {
        let target = match self.target {
            TargetKind::AnySeller => Target::AnySeller,
            TargetKind::SellersMatching => Target::SellersMatching(
                self.attributes
                    .iter()
                    .map(|a| AttributeCondition {
                        attribute: a.attribute.clone(),
                        values: if a.from_record {
                            AttributeValue::FromRecord(a.field.clone().unwrap_or_else(|| FieldName::new("")))
                        } else {
                            AttributeValue::Fixed(a.values.clone())
                        },
                    })
                    .collect(),
            ),
            TargetKind::Sellers => Target::Sellers(self.sellers.clone()),
            TargetKind::Team => Target::Team(self.team.unwrap_or(TeamId(0))),
        };
        AssignmentRule {
            id,
            name: self.name.trim().to_owned(),
            active: self.active,
            conditions,
            created_within_hours: self.created_within.then_some(self.created_within_hours),
            target,
            distribution: self.distribution,
            honour_capacity: self.honour_capacity,
            available_within_hours: self.available_within.then_some(self.available_within_hours),
        }
    }
}

/// The part of the rule editor a problem is shown next to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RulePart {
    Name,
    CreatedWithin,
    Target,
    Availability,
}

/// What the rule checks need from the workspace.
pub struct RuleContext<'a> {
    pub schema: &'a Schema,
    pub record_type: &'a RecordTypeName,
    pub definitions: &'a [AttributeDefinition],
    pub sellers: &'a [Seller],
    pub teams: &'a [Team],
}

/// Every problem of the form (the conditions' own problems are the builder's), placed by
/// part: `validate_rule`'s, with clearer words for what is simply not chosen yet.
pub fn rule_problems(form: &RuleForm, conditions: &Group, ctx: &RuleContext<'_>) -> Vec<(RulePart, String)> {
    let Some(ty) = ctx.schema.get(ctx.record_type) else {
        return vec![(RulePart::Target, format!("The record type \"{}\" no longer exists", ctx.record_type))];
    };
    let mut problems = Vec::new();
    if form.target == TargetKind::Team && form.team.is_none() {
        problems.push((RulePart::Target, "Choose a team".to_owned()));
    }
    if form.target == TargetKind::SellersMatching {
        for (index, attribute) in form.attributes.iter().enumerate() {
            let line = index + 1;
            if attribute.attribute.trim().is_empty() {
                problems.push((RulePart::Target, format!("Condition {line}: choose a seller attribute")));
            } else if attribute.from_record && attribute.field.is_none() {
                problems.push((RulePart::Target, format!("{}: choose a field of the record", attribute.attribute)));
            }
        }
    }
    let rule = form.to_rule(RuleId(0), conditions.clone());
    for problem in validate_rule(ctx.schema, ty, ctx.definitions, ctx.sellers, ctx.teams, &rule) {
        let part = match &problem {
            RuleProblem::Condition(_) => continue,
            // Said above in plainer words.
            RuleProblem::UnknownTeam { team } if team.0 == 0 => continue,
            RuleProblem::UnknownAttribute { attribute } if attribute.trim().is_empty() => continue,
            RuleProblem::UnknownRecordField { field } if field.is_empty() => continue,
            RuleProblem::EmptyName => RulePart::Name,
            RuleProblem::ZeroCreatedWithin => RulePart::CreatedWithin,
            RuleProblem::AvailabilityTooLong { .. } => RulePart::Availability,
            _ => RulePart::Target,
        };
        problems.push((part, problem.to_string()));
    }
    if form.available_within && form.available_within_hours == 0 {
        problems.push((RulePart::Availability, "\"Available within\" needs at least 1 hour".to_owned()));
    }
    problems
}

/// A rule being created or edited.
#[derive(Clone, Debug)]
pub struct RuleEditor {
    pub segment: SegmentId,
    pub record_type: RecordTypeName,
    /// `None` for a new rule (or a copy).
    pub rule: Option<RuleId>,
    pub form: RuleForm,
    /// The form as it was opened, to tell unsaved edits.
    pub opened: RuleForm,
    pub builder: Builder,
    pub problems: Vec<(RulePart, String)>,
    /// Why the last Save did not store the rule.
    pub save_error: Option<String>,
}

impl RuleEditor {
    pub fn is_dirty(&self) -> bool {
        self.form != self.opened || self.builder.is_dirty()
    }

    pub fn problems_of(&self, part: RulePart) -> impl Iterator<Item = &str> {
        self.problems.iter().filter(move |(p, _)| *p == part).map(|(_, text)| text.as_str())
    }

    /// All problems, the conditions' included.
    pub fn problem_count(&self) -> usize {
        self.problems.len() + self.builder.problem_count()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum RulesCommand {
    /// Read the segment's rules (the tab asks when it shows another segment's).
    Load(SegmentId),
    NewRule,
    EditRule(RuleId),
    /// A new rule with the settings of this one.
    CopyRule(RuleId),
    SetActive {
        rule: RuleId,
        active: bool,
    },
    /// Give a rule a new place among its segment's rules (0 is tried first).
    MoveRule {
        rule: RuleId,
        to_index: usize,
    },
    AskDeleteRule(RuleId),
    DeleteRule(RuleId),
    CancelDeleteRule,
    /// The editor's form, edited.
    UpdateForm(RuleForm),
    EditConditions(BuilderEdit),
    UndoConditions,
    RedoConditions,
    /// Store the editor's rule when it has no problems.
    Save,
    /// Close the editor without storing anything.
    Close,
    /// Store the segment's fallback chain (stored at once, like the active switch).
    SetRouting(Routing),
}

/// What the rules tab asks the runner to read or store. Times come from the command's
/// [`Context`].
#[derive(Clone, Debug, PartialEq)]
pub enum RulesEffect {
    /// Read the segment's rules and the seller attributes (an editor of another segment
    /// closes).
    Load(SegmentId),
    /// Store the editor's rule: a new one (`new`) at the end of `segment`'s rules, or an
    /// update; then close the editor.
    Save {
        segment: SegmentId,
        rule: AssignmentRule,
        new: bool,
        now: Timestamp,
    },
    /// Store the rule with its new active flag.
    SetActive {
        rule: AssignmentRule,
        now: Timestamp,
    },
    /// Store the segment's fallback chain.
    SetRouting {
        segment: SegmentId,
        routing: Routing,
        now: Timestamp,
    },
    /// Store the segment's rules in this order.
    Reorder {
        segment: SegmentId,
        order: Vec<RuleId>,
        now: Timestamp,
    },
    Delete {
        id: RuleId,
        name: String,
        now: Timestamp,
    },
}

/// Handles a rules command: changes the state and says what the runner must do.
pub fn apply(state: &mut AppState, command: RulesCommand, ctx: &Context) -> Vec<Effect> {
    let effect = |effect: RulesEffect| vec![Effect::Rules(effect)];
    let rule_of = |state: &AppState, id: RuleId| state.rules.rules.iter().find(|r| r.id == id).cloned();
    match command {
        RulesCommand::Load(segment) => effect(RulesEffect::Load(segment)),
        RulesCommand::NewRule => {
            let name = format!("Rule {}", state.rules.rules.len() + 1);
            open_editor(state, None, RuleForm::new(name), None);
            Vec::new()
        }
        RulesCommand::EditRule(id) => {
            if let Some(rule) = rule_of(state, id) {
                open_editor(state, Some(id), RuleForm::from_rule(&rule), Some(rule.conditions));
            }
            Vec::new()
        }
        RulesCommand::CopyRule(id) => {
            if let Some(rule) = rule_of(state, id) {
                let mut form = RuleForm::from_rule(&rule);
                form.name = format!("Copy of {}", rule.name);
                open_editor(state, None, form, Some(rule.conditions));
            }
            Vec::new()
        }
        RulesCommand::SetActive { rule, active } => match rule_of(state, rule) {
            Some(mut rule) => {
                rule.active = active;
                effect(RulesEffect::SetActive { rule, now: ctx.now })
            }
            None => Vec::new(),
        },
        RulesCommand::MoveRule { rule, to_index } => {
            let Some((_, segment)) = state.rules.loaded.clone() else { return Vec::new() };
            let mut order: Vec<RuleId> = state.rules.rules.iter().map(|r| r.id).collect();
            let Some(from) = order.iter().position(|r| *r == rule) else { return Vec::new() };
            let moved = order.remove(from);
            order.insert(to_index.min(order.len()), moved);
            effect(RulesEffect::Reorder { segment, order, now: ctx.now })
        }
        RulesCommand::SetRouting(routing) => {
            let Some((_, segment)) = state.rules.loaded.clone() else { return Vec::new() };
            if routing == state.rules.routing {
                return Vec::new();
            }
            // Shown at once; the runner reads it back after storing.
            state.rules.routing = routing;
            effect(RulesEffect::SetRouting { segment, routing, now: ctx.now })
        }
        RulesCommand::AskDeleteRule(id) => {
            if let Some(rule) = rule_of(state, id) {
                state.rules.confirm_delete = Some((id, rule.name));
            }
            Vec::new()
        }
        RulesCommand::DeleteRule(id) => {
            state.rules.confirm_delete = None;
            let name = rule_of(state, id).map(|r| r.name).unwrap_or_default();
            effect(RulesEffect::Delete { id, name, now: ctx.now })
        }
        RulesCommand::CancelDeleteRule => {
            state.rules.confirm_delete = None;
            Vec::new()
        }
        RulesCommand::UpdateForm(form) => {
            if let Some(editor) = &mut state.rules.editor {
                editor.form = form;
                editor.save_error = None;
            }
            check_editor(state);
            Vec::new()
        }
        RulesCommand::EditConditions(edit) => {
            let (Some(editor), Some(view)) = (&mut state.rules.editor, &state.view) else { return Vec::new() };
            let today = crate::domain::EvalContext::new(ctx.now, view.time_zone.clone()).today();
            editor.builder.apply(edit, &EditContext { schema: &view.schema, today });
            editor.save_error = None;
            Vec::new()
        }
        RulesCommand::UndoConditions => {
            if let (Some(editor), Some(view)) = (&mut state.rules.editor, &state.view) {
                editor.builder.undo(&view.schema);
            }
            Vec::new()
        }
        RulesCommand::RedoConditions => {
            if let (Some(editor), Some(view)) = (&mut state.rules.editor, &state.view) {
                editor.builder.redo(&view.schema);
            }
            Vec::new()
        }
        RulesCommand::Save => {
            if let Some(editor) = &mut state.rules.editor {
                editor.builder.reveal_problems();
            }
            save(state, ctx)
        }
        RulesCommand::Close => {
            state.rules.editor = None;
            state.record_picker = None;
            Vec::new()
        }
    }
}

/// Opens the editor on the selected segment: a stored rule (`rule`) or a new one.
fn open_editor(state: &mut AppState, rule: Option<RuleId>, form: RuleForm, conditions: Option<Group>) {
    let Some(segment) = state.selected_segment().cloned() else { return };
    let Some(view) = &state.view else { return };
    let conditions = conditions.unwrap_or_else(|| Group::all(NodeId(0)));
    let builder = Builder::new(segment.id, segment.record_type.clone(), conditions, &view.schema);
    state.rules.editor = Some(RuleEditor {
        segment: segment.id,
        record_type: segment.record_type.clone(),
        rule,
        opened: if rule.is_some() { form.clone() } else { RuleForm::new(String::new()) },
        form,
        builder,
        problems: Vec::new(),
        save_error: None,
    });
    state.record_picker = None;
    check_editor(state);
}

/// Places the editor's problems next to the parts of the form they concern.
fn check_editor(state: &mut AppState) {
    let (Some(editor), Some(view)) = (&mut state.rules.editor, &state.view) else { return };
    let ctx = RuleContext {
        schema: &view.schema,
        record_type: &editor.record_type,
        definitions: &state.rules.attribute_definitions,
        sellers: &view.sellers,
        teams: &view.teams,
    };
    editor.problems = rule_problems(&editor.form, &editor.builder.draft, &ctx);
}

/// Asks to store the editor's rule, or says what to fix first: nothing is stored while the
/// rule has problems.
fn save(state: &mut AppState, ctx: &Context) -> Vec<Effect> {
    check_editor(state);
    let Some(editor) = &mut state.rules.editor else { return Vec::new() };
    let count = editor.problem_count();
    if count > 0 {
        let what = if count == 1 { "the problem".to_owned() } else { format!("the {count} problems") };
        editor.save_error = Some(format!("Fix {what} marked below, then save again"));
        return Vec::new();
    }
    let rule = editor.form.to_rule(editor.rule.unwrap_or(RuleId(0)), editor.builder.draft.clone());
    vec![Effect::Rules(RulesEffect::Save { segment: editor.segment, rule, new: editor.rule.is_none(), now: ctx.now })]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::NodeId;
    use std::collections::BTreeMap;

    fn seller(id: i64) -> Seller {
        Seller {
            id: SellerId(id),
            name: format!("Seller {id}"),
            email: String::new(),
            time_zone: "UTC".into(),
            attributes: BTreeMap::new(),
            capacity: None,
            work_hours: Vec::new(),
            time_off: Vec::new(),
            assign_records: true,
        }
    }

    fn check(form: &RuleForm) -> Vec<(RulePart, String)> {
        let schema = Schema::built_in();
        let definitions = [AttributeDefinition { name: "Language".into(), values: vec!["German".into()] }];
        let sellers = [seller(1)];
        let ctx = RuleContext {
            schema: &schema,
            record_type: &RecordTypeName::new("lead"),
            definitions: &definitions,
            sellers: &sellers,
            teams: &[],
        };
        rule_problems(form, &Group::all(NodeId(0)), &ctx)
    }

    #[test]
    fn problems_are_placed_next_to_their_part() {
        let mut form = RuleForm::new("Rule 1".into());
        assert!(check(&form).is_empty(), "any seller, round robin is a valid rule");
        form.name = "  ".into();
        form.target = TargetKind::Sellers;
        assert_eq!(
            check(&form),
            [(RulePart::Name, "The rule needs a name".into()), (RulePart::Target, "Choose at least one seller".into())]
        );
        form.name = "Rule".into();
        form.target = TargetKind::Team;
        assert_eq!(check(&form), [(RulePart::Target, "Choose a team".into())]);
        form.target = TargetKind::SellersMatching;
        form.attributes.push(AttributeForm {
            attribute: String::new(),
            from_record: false,
            values: vec![],
            field: None,
        });
        assert_eq!(check(&form), [(RulePart::Target, "Condition 1: choose a seller attribute".into())]);
        form.attributes[0] =
            AttributeForm { attribute: "Language".into(), from_record: true, values: vec![], field: None };
        assert_eq!(check(&form), [(RulePart::Target, "Language: choose a field of the record".into())]);
        form.attributes[0].field = Some(FieldName::new("score"));
        assert_eq!(check(&form).len(), 1, "a number field cannot give a language: {:?}", check(&form));
    }

    #[test]
    fn a_form_round_trips_through_a_rule() {
        let mut form = RuleForm::new("Germans".into());
        form.target = TargetKind::SellersMatching;
        form.attributes.push(AttributeForm {
            attribute: "Language".into(),
            from_record: false,
            values: vec!["German".into()],
            field: None,
        });
        form.distribution = Distribution::LoadBalancing;
        form.available_within = true;
        form.available_within_hours = 48;
        let rule = form.to_rule(RuleId(3), Group::all(NodeId(0)));
        assert_eq!(rule.available_within_hours, Some(48));
        assert_eq!(rule.created_within_hours, None);
        assert_eq!(RuleForm::from_rule(&rule), form);
    }
}
