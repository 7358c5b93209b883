//! The definitions bundle's side of the store: every definition read at once (for the
//! export and to plan an import), and a planned import written as ONE change
//! ([`Workspace::atomically`]): a failure anywhere leaves the workspace as it was.
//!
//! Replacing a seller, team, sequence or attribute definition updates it in place, so it
//! keeps its id and everything that refers to it (rules, memberships, assignments).

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::people::{write_definition_values, write_seller, write_team_members};
use super::{Result, SqlContext, StoreError, Workspace};
use crate::domain::assignment::{AssignmentRule, Target};
use crate::domain::segment_test::{named, visit_segments_mut};
use crate::domain::{
    AttributeDefinition, Schema, Segment, SegmentId, Seller, SellerId, Sequence, SequenceId, Team, TeamId,
};
use crate::interchange::definitions::Definitions;
use crate::interchange::definitions_plan::{Plan, placeholder_index};

/// Every definition of a workspace, owned; [`AllDefinitions::view`] lends them to the
/// bundle functions.
#[derive(Clone, Debug, Default)]
pub struct AllDefinitions {
    pub schema: Schema,
    pub attributes: Vec<AttributeDefinition>,
    pub sellers: Vec<Seller>,
    pub teams: Vec<Team>,
    pub sequences: Vec<Sequence>,
    pub segments: Vec<Segment>,
    pub rules: BTreeMap<SegmentId, Vec<AssignmentRule>>,
    pub settings: Option<crate::domain::timing::WorkspaceSettings>,
}

impl AllDefinitions {
    pub fn view(&self) -> Definitions<'_> {
        Definitions {
            schema: &self.schema,
            attributes: &self.attributes,
            sellers: &self.sellers,
            teams: &self.teams,
            sequences: &self.sequences,
            segments: &self.segments,
            rules: &self.rules,
            settings: self.settings.as_ref(),
        }
    }
}

impl Workspace {
    /// Every definition: the schema, attributes, sellers, teams, and per record type its
    /// sequences and its segments in priority order with their rules.
    pub fn all_definitions(&self) -> Result<AllDefinitions> {
        let schema = self.schema.clone();
        let mut sequences = Vec::new();
        let mut segments = Vec::new();
        for def in &schema.types {
            sequences.extend(self.sequences(&def.name)?);
            segments.extend(self.segments(&def.name)?);
        }
        let mut rules = BTreeMap::new();
        for segment in &segments {
            let list = self.rules(segment.id)?;
            if !list.is_empty() {
                rules.insert(segment.id, list);
            }
        }
        Ok(AllDefinitions {
            settings: Some(self.settings()?),
            attributes: self.attribute_definitions()?,
            sellers: self.sellers()?,
            teams: self.teams()?,
            schema,
            sequences,
            segments,
            rules,
        })
    }

    /// Writes a planned import (`interchange::definitions_plan::plan`) in one change at
    /// `now`: all of it, or on any error nothing (and the schema held here is read again).
    pub fn import_definitions(&mut self, plan: &Plan, now: Timestamp) -> Result<()> {
        self.atomically(|workspace| workspace.write_plan(plan, now))
    }

    fn write_plan(&mut self, plan: &Plan, now: Timestamp) -> Result<()> {
        for def in &plan.types {
            self.add_record_type(def.clone())?;
        }
        for (ty, field) in &plan.fields {
            self.add_field(ty, field.clone())?;
        }
        for (definition, replaces) in &plan.attributes {
            match replaces {
                None => self.insert_attribute_definition(definition)?,
                Some(name) => self.replace_attribute_values(name, &definition.values)?,
            }
        }
        let mut sellers = Vec::with_capacity(plan.sellers.len());
        for seller in &plan.sellers {
            sellers.push(if placeholder_index(seller.id.0).is_some() {
                self.insert_seller(seller)?.0
            } else {
                self.replace_seller(seller)?;
                seller.id.0
            });
        }
        let seller_id = |id: SellerId| resolve(id.0, &sellers, "seller").map(SellerId);
        let mut teams = Vec::with_capacity(plan.teams.len());
        for team in &plan.teams {
            let members = team.members.iter().map(|m| seller_id(*m)).collect::<Result<Vec<_>>>()?;
            let team = Team { members, ..team.clone() };
            teams.push(if placeholder_index(team.id.0).is_some() {
                self.insert_team(&team)?.0
            } else {
                self.replace_team(&team)?;
                team.id.0
            });
        }
        let team_id = |id: TeamId| resolve(id.0, &teams, "team").map(TeamId);
        let mut sequences = Vec::with_capacity(plan.sequences.len());
        for sequence in &plan.sequences {
            sequences.push(if placeholder_index(sequence.id.0).is_some() {
                self.insert_sequence(sequence)?.0
            } else {
                self.replace_sequence(sequence)?;
                sequence.id.0
            });
        }
        // A segment naming one the import creates is written as a draft without conditions
        // first, and with them once every segment has its id.
        let mut segment_ids = Vec::with_capacity(plan.segments.len());
        let mut later = Vec::new();
        for planned in &plan.segments {
            let mut segment = planned.segment.clone();
            segment.sequence =
                segment.sequence.map(|s| resolve(s.0, &sequences, "sequence").map(SequenceId)).transpose()?;
            let names_new = named(&segment.conditions).iter().any(|s| placeholder_index(s.0).is_some());
            let mut first = segment.clone();
            if names_new {
                first.conditions = crate::domain::Group::all(crate::domain::NodeId(0));
                if placeholder_index(segment.id.0).is_some() && first.status == crate::domain::Status::Active {
                    first.status = crate::domain::Status::Draft;
                }
            }
            let id = if placeholder_index(segment.id.0).is_some() {
                self.insert_segment(&first)?
            } else {
                first.modified_on = now;
                self.update_segment(&first)?;
                segment.id
            };
            segment_ids.push(id.0);
            if names_new {
                later.push(Segment { id, modified_on: now, ..segment });
            }
            let mut existing = self.rules(id)?.into_iter();
            for rule in &planned.rules {
                let mut rule = rule.clone();
                rule.target = match rule.target {
                    Target::Sellers(ids) => {
                        Target::Sellers(ids.into_iter().map(seller_id).collect::<Result<Vec<_>>>()?)
                    }
                    Target::Team(team) => Target::Team(team_id(team)?),
                    other => other,
                };
                match existing.next() {
                    Some(old) => self.update_rule(&AssignmentRule { id: old.id, ..rule }, now)?,
                    None => {
                        self.insert_rule(id, &rule, now)?;
                    }
                }
            }
            for surplus in existing {
                self.delete_rule(surplus.id, now)?;
            }
        }
        for mut segment in later {
            let ty = segment.record_type.clone();
            let mut failed = None;
            let schema = self.schema.clone();
            if let Some(def) = schema.get(&ty) {
                visit_segments_mut(&schema, def, &mut segment.conditions, &mut |_, node, _| match resolve(
                    node.segment.0,
                    &segment_ids,
                    "segment",
                ) {
                    Ok(id) => node.segment = SegmentId(id),
                    Err(error) => failed = Some(error),
                });
            }
            if let Some(error) = failed {
                return Err(error);
            }
            self.update_segment(&segment)?;
        }
        if let Some(settings) = &plan.settings {
            self.set_settings(settings)?;
        }
        Ok(())
    }

    /// Gives an attribute definition these values, in order.
    fn replace_attribute_values(&self, name: &str, values: &[String]) -> Result<()> {
        let context = format!("replacing the values of seller attribute {name}");
        let tx = self.write_scope().with_context(|| context.clone())?;
        tx.execute("DELETE FROM attribute_value WHERE attribute = ?1", [name]).with_context(|| context.clone())?;
        let definition = AttributeDefinition { name: name.to_owned(), values: values.to_vec() };
        write_definition_values(&tx, &definition, &context)?;
        tx.commit().with_context(|| context.clone())
    }

    /// Overwrites a seller in place (its id stays): name, email, zone, capacity, switch,
    /// attributes, work hours and time off.
    fn replace_seller(&self, seller: &Seller) -> Result<()> {
        let context = format!("replacing seller {}", seller.name);
        let tx = self.write_scope().with_context(|| context.clone())?;
        write_seller(&tx, seller, &context)?;
        tx.commit().with_context(|| context.clone())
    }

    /// Overwrites a team's name and members in place.
    fn replace_team(&self, team: &Team) -> Result<()> {
        let context = format!("replacing team {}", team.name);
        let tx = self.write_scope().with_context(|| context.clone())?;
        let changed = tx
            .execute("UPDATE team SET name = ?2 WHERE id = ?1", rusqlite::params![team.id.0, team.name])
            .with_context(|| context.clone())?;
        if changed == 0 {
            return Err(StoreError::Invalid(format!("there is no team with id {}", team.id.0)));
        }
        tx.execute("DELETE FROM team_member WHERE team_id = ?1", [team.id.0]).with_context(|| context.clone())?;
        write_team_members(&tx, team.id.0, team, &context)?;
        tx.commit().with_context(|| context.clone())
    }

    /// Overwrites a sequence's name, description, status and steps in place.
    fn replace_sequence(&self, sequence: &Sequence) -> Result<()> {
        let context = format!("replacing sequence {}", sequence.name);
        let tx = self.write_scope().with_context(|| context.clone())?;
        let changed = tx
            .execute(
                "UPDATE sequence SET name = ?2, description = ?3, status = ?4, modified_on = ?5 WHERE id = ?1",
                rusqlite::params![
                    sequence.id.0,
                    sequence.name,
                    sequence.description,
                    sequence.status.key(),
                    sequence.modified_on.to_string()
                ],
            )
            .with_context(|| context.clone())?;
        if changed == 0 {
            return Err(StoreError::Invalid(format!("there is no sequence with id {}", sequence.id.0)));
        }
        tx.execute("DELETE FROM sequence_step WHERE sequence_id = ?1", [sequence.id.0])
            .with_context(|| context.clone())?;
        self.write_steps(sequence.id, &sequence.steps, &context)?;
        tx.commit().with_context(|| context.clone())
    }
}

/// A plan's id: itself when real, else the id written for its placeholder.
fn resolve(id: i64, written: &[i64], what: &str) -> Result<i64> {
    match placeholder_index(id) {
        None => Ok(id),
        Some(index) => written
            .get(index)
            .copied()
            .ok_or_else(|| StoreError::Invalid(format!("the import refers to a {what} it does not create"))),
    }
}
