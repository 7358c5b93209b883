//! Sellers, teams and the attributes they are matched on, as a bundle brings them: planned
//! against what the workspace has.

use std::collections::HashSet;

use super::{OnClash, Outcome, Planner, entry_seller_key, free_name, minutes, place, placeholder};
use jiff::civil::DateTime;

use super::super::definitions::{Bundle, SellerEntry, seller_key};
use crate::domain::eval::fold;
use crate::domain::{AttributeDefinition, Seller, SellerId, Team, TeamId, TimeOff, WorkPeriod};

impl Planner<'_> {
    // ----- attributes -----

    pub(super) fn attributes(&mut self, bundle: &Bundle) {
        let mut seen = HashSet::new();
        let mut taken: HashSet<String> = self.current.attributes.iter().map(|a| fold(&a.name)).collect();
        taken.extend(bundle.attributes.iter().map(|a| fold(&a.name)));
        for (i, entry) in bundle.attributes.iter().enumerate() {
            let at = place("attributes", i, &entry.name);
            if !seen.insert(fold(&entry.name)) {
                self.problem(&at, "the bundle lists this attribute twice");
                continue;
            }
            if entry.name.trim().is_empty() {
                self.problem(&at, "the name is required");
                continue;
            }
            let mut values = HashSet::new();
            let mut bad = false;
            for value in &entry.values {
                if value.trim().is_empty() {
                    self.problem(&at, "a value is blank");
                    bad = true;
                } else if !values.insert(fold(value)) {
                    self.problem(&at, format!("the value \"{value}\" appears twice"));
                    bad = true;
                }
            }
            if bad {
                continue;
            }
            let definition = AttributeDefinition { name: entry.name.clone(), values: entry.values.clone() };
            let existing = self.current.attributes.iter().find(|a| fold(&a.name) == fold(&entry.name)).cloned();
            let final_name = match (existing, self.policy) {
                (None, _) => {
                    self.line("attribute", &entry.name, Outcome::Created);
                    self.attributes.push(definition.clone());
                    self.plan.attributes.push((definition, None));
                    entry.name.clone()
                }
                (Some(existing), OnClash::Skip) => {
                    self.line("attribute", &entry.name, Outcome::Skipped);
                    existing.name
                }
                (Some(existing), OnClash::Replace) => {
                    self.line("attribute", &entry.name, Outcome::Replaced);
                    let replaced = AttributeDefinition { name: existing.name.clone(), values: entry.values.clone() };
                    if let Some(slot) = self.attributes.iter_mut().find(|a| a.name == existing.name) {
                        *slot = replaced.clone();
                    }
                    self.plan.attributes.push((replaced, Some(existing.name.clone())));
                    existing.name
                }
                (Some(_), OnClash::Rename) => {
                    let to = free_name(&entry.name, &taken);
                    taken.insert(fold(&to));
                    self.line("attribute", &entry.name, Outcome::Renamed { to: to.clone() });
                    let renamed = AttributeDefinition { name: to.clone(), values: entry.values.clone() };
                    self.attributes.push(renamed.clone());
                    self.plan.attributes.push((renamed, None));
                    to
                }
            };
            self.attribute_names.insert(fold(&entry.name), final_name);
        }
    }

    /// The workspace name of an attribute a bundle entry names: the bundle's own (as
    /// imported), else the workspace's; `None` when neither has it.
    pub(super) fn attribute(&self, name: &str) -> Option<&AttributeDefinition> {
        let wanted = self.attribute_names.get(&fold(name)).map_or_else(|| fold(name), |n| fold(n));
        self.attributes.iter().find(|a| fold(&a.name) == wanted)
    }

    // ----- sellers -----

    pub(super) fn sellers(&mut self, bundle: &Bundle) {
        let mut seen = HashSet::new();
        let mut taken: HashSet<String> = self.current.sellers.iter().map(|s| fold(&s.name)).collect();
        taken.extend(bundle.sellers.iter().map(|s| fold(&s.name)));
        for (i, entry) in bundle.sellers.iter().enumerate() {
            let at = place("sellers", i, &entry.name);
            let key = fold(&entry_seller_key(&entry.name, &entry.email));
            if !seen.insert(key.clone()) {
                self.problem(&at, "the bundle lists a seller with this email (or name) twice");
                continue;
            }
            let before = self.problems.len();
            let seller = self.seller(entry, &at);
            if self.problems.len() > before {
                continue;
            }
            let existing = self.current.sellers.iter().find(|s| fold(&seller_key(s)) == key).cloned();
            let id = match (existing, self.policy) {
                (None, _) => {
                    self.line("seller", &entry.name, Outcome::Created);
                    self.new_seller(seller)
                }
                (Some(existing), OnClash::Skip) => {
                    self.line("seller", &entry.name, Outcome::Skipped);
                    existing.id
                }
                (Some(existing), OnClash::Replace) => {
                    self.line("seller", &entry.name, Outcome::Replaced);
                    let replaced = Seller { id: existing.id, ..seller };
                    if let Some(slot) = self.sellers.iter_mut().find(|s| s.id == existing.id) {
                        *slot = replaced.clone();
                    }
                    self.plan.sellers.push(replaced);
                    existing.id
                }
                (Some(_), OnClash::Rename) => {
                    let to = free_name(&entry.name, &taken);
                    taken.insert(fold(&to));
                    self.line("seller", &entry.name, Outcome::Renamed { to: to.clone() });
                    self.new_seller(Seller { name: to, ..seller })
                }
            };
            self.seller_ids.insert(key, id);
        }
    }

    pub(super) fn new_seller(&mut self, seller: Seller) -> SellerId {
        let id = SellerId(placeholder(self.plan.sellers.len()));
        let seller = Seller { id, ..seller };
        self.sellers.push(seller.clone());
        self.plan.sellers.push(seller);
        id
    }

    pub(super) fn seller(&mut self, entry: &SellerEntry, at: &str) -> Seller {
        if entry.name.trim().is_empty() {
            self.problem(at, "the name is required");
        }
        if let Err(e) = jiff::tz::TimeZone::get(&entry.time_zone) {
            self.problem(at, format!("time zone \"{}\" is not a known IANA time zone ({e})", entry.time_zone));
        }
        let mut attributes = std::collections::BTreeMap::new();
        for (name, values) in &entry.attributes {
            let Some(definition) = self.attribute(name).cloned() else {
                self.problem(at, format!("attribute \"{name}\" is neither in the bundle nor in the workspace"));
                continue;
            };
            for value in values {
                if !definition.values.iter().any(|v| fold(v) == fold(value)) {
                    self.problem(at, format!("attribute {}: \"{value}\" is not one of its values", definition.name));
                }
            }
            attributes.insert(definition.name.clone(), values.clone());
        }
        let mut work_hours = Vec::new();
        for (k, (weekday, start, end)) in entry.work_hours.iter().enumerate() {
            let hours_at = format!("{at} work_hours[{k}]");
            let (Some(start_minute), Some(end_minute)) = (minutes(start), minutes(end)) else {
                self.problem(&hours_at, format!("\"{start}\"–\"{end}\": times are \"HH:MM\", 00:00 to 24:00"));
                continue;
            };
            if !(1..=7).contains(weekday) {
                self.problem(&hours_at, format!("weekday {weekday} is not 1 (Monday) to 7 (Sunday)"));
            } else if start_minute >= end_minute {
                self.problem(&hours_at, format!("{start}–{end}: the start must be before the end"));
            } else {
                work_hours.push(WorkPeriod { weekday: *weekday, start_minute, end_minute });
            }
        }
        let mut time_off = Vec::new();
        for (k, (start, end, reason)) in entry.time_off.iter().enumerate() {
            let off_at = format!("{at} time_off[{k}]");
            match (start.parse::<DateTime>(), end.parse::<DateTime>()) {
                (Ok(s), Ok(e)) if s < e => time_off.push(TimeOff { start: s, end: e, reason: reason.clone() }),
                (Ok(_), Ok(_)) => self.problem(&off_at, format!("the start {start} is not before the end {end}")),
                _ => self.problem(
                    &off_at,
                    format!("\"{start}\" and \"{end}\" must be dates and times, YYYY-MM-DDTHH:MM:SS"),
                ),
            }
        }
        Seller {
            id: SellerId(0),
            name: entry.name.clone(),
            email: entry.email.clone(),
            time_zone: entry.time_zone.clone(),
            attributes,
            capacity: entry.capacity,
            work_hours,
            time_off,
            assign_records: entry.assign_records,
        }
    }

    /// The id of a seller a bundle names by key: the bundle's (as imported), else the
    /// workspace's.
    pub(super) fn seller_id(&self, key: &str) -> Option<SellerId> {
        let key = fold(key);
        self.seller_ids
            .get(&key)
            .copied()
            .or_else(|| self.current.sellers.iter().find(|s| fold(&seller_key(s)) == key).map(|s| s.id))
    }

    // ----- teams -----

    pub(super) fn teams(&mut self, bundle: &Bundle) {
        let mut seen = HashSet::new();
        let mut taken: HashSet<String> = self.current.teams.iter().map(|t| fold(&t.name)).collect();
        taken.extend(bundle.teams.iter().map(|t| fold(&t.name)));
        for (i, entry) in bundle.teams.iter().enumerate() {
            let at = place("teams", i, &entry.name);
            if !seen.insert(fold(&entry.name)) {
                self.problem(&at, "the bundle lists this team twice");
                continue;
            }
            if entry.name.trim().is_empty() {
                self.problem(&at, "the name is required");
                continue;
            }
            let mut members = Vec::new();
            for member in &entry.members {
                match self.seller_id(member) {
                    Some(id) if members.contains(&id) => {
                        self.problem(&at, format!("member \"{member}\" is listed twice"));
                    }
                    Some(id) => members.push(id),
                    None => self.problem(
                        &at,
                        format!("member \"{member}\" is neither a seller of the bundle nor of the workspace"),
                    ),
                }
            }
            let existing = self.current.teams.iter().find(|t| fold(&t.name) == fold(&entry.name)).cloned();
            let team = Team { id: TeamId(0), name: entry.name.clone(), members };
            let id = match (existing, self.policy) {
                (None, _) => {
                    self.line("team", &entry.name, Outcome::Created);
                    self.new_team(team)
                }
                (Some(existing), OnClash::Skip) => {
                    self.line("team", &entry.name, Outcome::Skipped);
                    existing.id
                }
                (Some(existing), OnClash::Replace) => {
                    self.line("team", &entry.name, Outcome::Replaced);
                    let replaced = Team { id: existing.id, name: existing.name.clone(), ..team };
                    if let Some(slot) = self.teams.iter_mut().find(|t| t.id == existing.id) {
                        *slot = replaced.clone();
                    }
                    self.plan.teams.push(replaced);
                    existing.id
                }
                (Some(_), OnClash::Rename) => {
                    let to = free_name(&entry.name, &taken);
                    taken.insert(fold(&to));
                    self.line("team", &entry.name, Outcome::Renamed { to: to.clone() });
                    self.new_team(Team { name: to, ..team })
                }
            };
            self.team_ids.insert(fold(&entry.name), id);
        }
    }

    pub(super) fn new_team(&mut self, team: Team) -> TeamId {
        let id = TeamId(placeholder(self.plan.teams.len()));
        let team = Team { id, ..team };
        self.teams.push(team.clone());
        self.plan.teams.push(team);
        id
    }

    pub(super) fn team_id(&self, name: &str) -> Option<TeamId> {
        let name = fold(name);
        self.team_ids
            .get(&name)
            .copied()
            .or_else(|| self.current.teams.iter().find(|t| fold(&t.name) == name).map(|t| t.id))
    }
}
