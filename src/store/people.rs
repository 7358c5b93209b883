//! Sellers (attributes, capacity, work hours, time off), teams and seller attribute
//! definitions.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::civil::DateTime;

use rusqlite::Connection;

use super::{Result, SqlContext, StoreError, Workspace, is_foreign_key_error, is_unique_error, quote};
use crate::domain::assignment::{AssignmentRule, AttributeValue, Target};
use crate::domain::eval::fold;
use crate::domain::people::is_email_shaped;
use crate::domain::{
    AttributeDefinition, FieldKind, SegmentId, Seller, SellerBulkChange, SellerId, SellerUsage, Team, TeamId, TimeOff,
    WorkPeriod,
};

impl Workspace {
    /// Adds a seller; the incoming `id` is ignored and the new id returned. Checked: a name,
    /// a known IANA time zone, work periods (weekday 1–7, start before end, end ≤ 1440) and
    /// time off (start before end). Attributes with no values are not stored.
    pub fn insert_seller(&mut self, seller: &Seller) -> Result<SellerId> {
        self.check_writable()?;
        check_seller(seller)?;
        let context = format!("adding seller {}", seller.name);
        let tx = self.write_scope().with_context(|| context.clone())?;
        tx.execute(
            "INSERT INTO seller (name, email, time_zone, capacity, assign_records) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![seller.name, seller.email, seller.time_zone, seller.capacity, seller.assign_records],
        )
        .with_context(|| context.clone())?;
        let id = tx.last_insert_rowid();
        write_seller_details(&tx, id, seller, &context)?;
        tx.commit().with_context(|| context.clone())?;
        Ok(SellerId(id))
    }

    /// Every seller, by id.
    pub fn sellers(&self) -> Result<Vec<Seller>> {
        let context = "reading sellers";
        let mut stmt = self
            .conn
            .prepare("SELECT id, name, email, time_zone, capacity, assign_records FROM seller ORDER BY id")
            .context(context)?;
        let mut sellers: Vec<Seller> = stmt
            .query_map([], |r| {
                Ok(Seller {
                    id: SellerId(r.get(0)?),
                    name: r.get(1)?,
                    email: r.get(2)?,
                    time_zone: r.get(3)?,
                    capacity: r.get(4)?,
                    assign_records: r.get(5)?,
                    attributes: BTreeMap::new(),
                    work_hours: Vec::new(),
                    time_off: Vec::new(),
                })
            })
            .context(context)?
            .collect::<rusqlite::Result<_>>()
            .context(context)?;
        let index: HashMap<i64, usize> = sellers.iter().enumerate().map(|(i, s)| (s.id.0, i)).collect();

        let mut stmt = self
            .conn
            .prepare("SELECT seller_id, name, value FROM seller_attribute ORDER BY seller_id, name, position")
            .context(context)?;
        let mut rows = stmt.query([]).context(context)?;
        while let Some(row) = rows.next().context(context)? {
            let seller: i64 = row.get(0).context(context)?;
            if let Some(&i) = index.get(&seller) {
                let name: String = row.get(1).context(context)?;
                sellers[i].attributes.entry(name).or_default().push(row.get(2).context(context)?);
            }
        }

        let mut stmt = self
            .conn
            .prepare("SELECT seller_id, weekday, start_minute, end_minute FROM work_hours ORDER BY seller_id, position")
            .context(context)?;
        let mut rows = stmt.query([]).context(context)?;
        while let Some(row) = rows.next().context(context)? {
            let seller: i64 = row.get(0).context(context)?;
            if let Some(&i) = index.get(&seller) {
                sellers[i].work_hours.push(WorkPeriod {
                    weekday: row.get(1).context(context)?,
                    start_minute: row.get(2).context(context)?,
                    end_minute: row.get(3).context(context)?,
                });
            }
        }

        let mut stmt = self
            .conn
            .prepare("SELECT seller_id, start_at, end_at, reason FROM time_off ORDER BY seller_id, position")
            .context(context)?;
        let mut rows = stmt.query([]).context(context)?;
        while let Some(row) = rows.next().context(context)? {
            let seller: i64 = row.get(0).context(context)?;
            if let Some(&i) = index.get(&seller) {
                let start: String = row.get(1).context(context)?;
                let end: String = row.get(2).context(context)?;
                let parse = |text: &str| {
                    text.parse::<DateTime>().map_err(|e| {
                        self.corrupt(format!("time off of seller {seller}: \"{text}\" is not a date and time ({e})"))
                    })
                };
                sellers[i].time_off.push(TimeOff {
                    start: parse(&start)?,
                    end: parse(&end)?,
                    reason: row.get(3).context(context)?,
                });
            }
        }
        Ok(sellers)
    }

    /// Adds a team; the incoming `id` is ignored. Checked: a name not used by another team
    /// (ignoring case), members that exist, no member twice.
    pub fn insert_team(&mut self, team: &Team) -> Result<TeamId> {
        self.check_writable()?;
        self.check_team(team, None)?;
        let context = format!("adding team {}", team.name);
        let tx = self.write_scope().with_context(|| context.clone())?;
        tx.execute("INSERT INTO team (name) VALUES (?1)", [team.name.trim()])
            .map_err(|e| team_error(team, e, &context))?;
        let id = tx.last_insert_rowid();
        write_team_members(&tx, id, team, &context)?;
        tx.commit().with_context(|| context.clone())?;
        Ok(TeamId(id))
    }

    /// Every team, by id, with its members in the order they were given.
    pub fn teams(&self) -> Result<Vec<Team>> {
        let context = "reading teams";
        let mut stmt = self.conn.prepare("SELECT id, name FROM team ORDER BY id").context(context)?;
        let mut teams: Vec<Team> = stmt
            .query_map([], |r| Ok(Team { id: TeamId(r.get(0)?), name: r.get(1)?, members: Vec::new() }))
            .context(context)?
            .collect::<rusqlite::Result<_>>()
            .context(context)?;
        let index: HashMap<i64, usize> = teams.iter().enumerate().map(|(i, t)| (t.id.0, i)).collect();
        let mut stmt = self
            .conn
            .prepare("SELECT team_id, seller_id FROM team_member ORDER BY team_id, position")
            .context(context)?;
        let mut rows = stmt.query([]).context(context)?;
        while let Some(row) = rows.next().context(context)? {
            let team: i64 = row.get(0).context(context)?;
            if let Some(&i) = index.get(&team) {
                teams[i].members.push(SellerId(row.get(1).context(context)?));
            }
        }
        Ok(teams)
    }

    /// Adds a seller attribute definition ("Language": German, French…) at the end of the
    /// list. Checked: a name not used by another definition, no blank or repeated value.
    pub fn insert_attribute_definition(&mut self, definition: &AttributeDefinition) -> Result<()> {
        self.check_writable()?;
        check_definition(definition)?;
        let name = &definition.name;
        let folded = fold(name);
        if self.attribute_definitions()?.iter().any(|d| fold(&d.name) == folded) {
            return Err(StoreError::Invalid(format!("seller attribute {name}: an attribute has that name already")));
        }
        let context = format!("adding seller attribute {name}");
        let tx = self.write_scope().with_context(|| context.clone())?;
        tx.execute(
            "INSERT INTO attribute_definition (name, position)
             VALUES (?1, (SELECT coalesce(max(position) + 1, 0) FROM attribute_definition))",
            [name],
        )
        .map_err(|e| {
            if is_unique_error(&e) {
                StoreError::Invalid(format!("seller attribute {name}: an attribute has that name already"))
            } else {
                super::sqlite_error(context.clone(), e)
            }
        })?;
        write_definition_values(&tx, definition, &context)?;
        tx.commit().with_context(|| context.clone())
    }

    /// Every seller attribute definition, in the order they were added.
    pub fn attribute_definitions(&self) -> Result<Vec<AttributeDefinition>> {
        let context = "reading seller attributes";
        let mut stmt = self.conn.prepare("SELECT name FROM attribute_definition ORDER BY position").context(context)?;
        let mut definitions: Vec<AttributeDefinition> = stmt
            .query_map([], |r| Ok(AttributeDefinition { name: r.get(0)?, values: Vec::new() }))
            .context(context)?
            .collect::<rusqlite::Result<_>>()
            .context(context)?;
        let mut stmt = self
            .conn
            .prepare("SELECT value FROM attribute_value WHERE attribute = ?1 ORDER BY position")
            .context(context)?;
        for definition in &mut definitions {
            definition.values = stmt
                .query_map([&definition.name], |r| r.get(0))
                .context(context)?
                .collect::<rusqlite::Result<_>>()
                .context(context)?;
        }
        Ok(definitions)
    }
}

/// Changing and removing sellers, teams and attribute definitions: each one savepoint, so
/// an outer transaction (an import) can wrap several and roll them back together.
impl Workspace {
    /// Adds a seller from the Sellers screen: what [`insert_seller`](Self::insert_seller)
    /// checks, and every attribute and value defined by an attribute definition.
    pub fn add_seller(&mut self, seller: &Seller) -> Result<SellerId> {
        check_seller(seller)?;
        check_attributes(seller, &self.attribute_definitions()?)?;
        self.insert_seller(seller)
    }

    /// Stores a seller's new name, email, time zone, capacity, switch, attributes, work
    /// hours and time off, checked as [`add_seller`](Self::add_seller) checks them.
    pub fn update_seller(&mut self, seller: &Seller) -> Result<()> {
        self.check_writable()?;
        check_seller(seller)?;
        check_attributes(seller, &self.attribute_definitions()?)?;
        let context = format!("saving seller {}", seller.name);
        let tx = self.write_scope().with_context(|| context.clone())?;
        write_seller(&tx, seller, &context)?;
        tx.commit().with_context(|| context.clone())
    }

    /// One change to several sellers at once ("Set for N sellers"), in one savepoint: all
    /// of them change or none. Added values must be defined; returns how many changed.
    pub fn update_sellers(&mut self, ids: &[SellerId], change: &SellerBulkChange) -> Result<usize> {
        self.check_writable()?;
        let definitions = self.attribute_definitions()?;
        for (name, values) in &change.add_values {
            check_values(&format!("{} sellers", ids.len()), name, values, &definitions)?;
        }
        let sellers = self.sellers()?;
        let mut changed = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(seller) = sellers.iter().find(|s| s.id == *id) else {
                return Err(StoreError::Invalid(format!("there is no seller with id {}", id.0)));
            };
            let mut seller = seller.clone();
            change.apply_to(&mut seller, &definitions);
            changed.push(seller);
        }
        let context = format!("changing {} sellers", changed.len());
        let tx = self.write_scope().with_context(|| context.clone())?;
        for seller in &changed {
            write_seller(&tx, seller, &context)?;
        }
        tx.commit().with_context(|| context.clone())?;
        Ok(changed.len())
    }

    /// What deleting a seller touches: records it owns, its teams and the assignment rules
    /// that name it.
    pub fn seller_usage(&self, id: SellerId) -> Result<SellerUsage> {
        let context = "reading what a seller is used by";
        self.seller_name(id)?;
        let mut usage = SellerUsage::default();
        for def in &self.schema().types {
            for field in def.fields.iter().filter(|f| f.kind == FieldKind::Owner) {
                let sql = format!(
                    "SELECT count(*) FROM {} WHERE {} = ?1",
                    quote(def.name.as_str()),
                    quote(field.name.as_str())
                );
                let count: i64 = self.conn.query_row(&sql, [id.0], |r| r.get(0)).context(context)?;
                usage.owned_records += u64::try_from(count).unwrap_or(0);
            }
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT t.name FROM team t JOIN team_member m ON m.team_id = t.id WHERE m.seller_id = ?1 ORDER BY t.name",
            )
            .context(context)?;
        usage.teams =
            stmt.query_map([id.0], |r| r.get(0)).context(context)?.collect::<rusqlite::Result<_>>().context(context)?;
        usage.rules = self
            .all_rules()?
            .into_iter()
            .filter(|(_, rule)| matches!(&rule.target, Target::Sellers(ids) if ids.contains(&id)))
            .map(|(segment, rule)| format!("{segment} › {}", rule.name))
            .collect();
        let routed = self.segments_routed_to(crate::domain::assignment::DefaultRoute::Seller(id))?;
        usage.rules.extend(routed.into_iter().map(|segment| format!("{segment} › default route")));
        Ok(usage)
    }

    /// Deletes a seller with its attributes, work hours, time off and team memberships.
    /// Records it owns lose their owner (the owner field refers to sellers, so it becomes
    /// empty and the records count as unassigned); assignment rows and history keep the
    /// seller's id. Refused while an assignment rule names the seller. Returns what the
    /// deletion touched (read just before it), so callers need not read it again.
    pub fn delete_seller(&mut self, id: SellerId) -> Result<SellerUsage> {
        self.check_writable()?;
        let name = self.seller_name(id)?;
        let usage = self.seller_usage(id)?;
        if let Some(rule) = usage.rules.first() {
            return Err(StoreError::Invalid(format!(
                "seller {name}: the assignment rule {rule} names this seller; take the seller out of the rule first \
                 (or switch \"Assign records\" off)"
            )));
        }
        let context = format!("deleting seller {name}");
        let tx = self.write_scope().with_context(|| context.clone())?;
        tx.execute("DELETE FROM seller WHERE id = ?1", [id.0]).with_context(|| context.clone())?;
        tx.commit().with_context(|| context.clone())?;
        Ok(usage)
    }

    /// Renames a team and sets its members. Checked as [`insert_team`](Self::insert_team).
    pub fn update_team(&mut self, team: &Team) -> Result<()> {
        self.check_writable()?;
        self.check_team(team, Some(team.id))?;
        let context = format!("saving team {}", team.name);
        let tx = self.write_scope().with_context(|| context.clone())?;
        let changed = tx
            .execute("UPDATE team SET name = ?2 WHERE id = ?1", rusqlite::params![team.id.0, team.name.trim()])
            .map_err(|e| team_error(team, e, &context))?;
        if changed == 0 {
            return Err(StoreError::Invalid(format!("there is no team with id {}", team.id.0)));
        }
        tx.execute("DELETE FROM team_member WHERE team_id = ?1", [team.id.0]).with_context(|| context.clone())?;
        write_team_members(&tx, team.id.0, team, &context)?;
        tx.commit().with_context(|| context.clone())
    }

    /// Deletes a team (its sellers stay). Refused while an assignment rule targets it.
    pub fn delete_team(&mut self, id: TeamId) -> Result<()> {
        self.check_writable()?;
        let Some(team) = self.teams()?.into_iter().find(|t| t.id == id) else {
            return Err(StoreError::Invalid(format!("there is no team with id {}", id.0)));
        };
        if let Some((segment, rule)) = self.all_rules()?.into_iter().find(|(_, r)| r.target == Target::Team(id)) {
            return Err(StoreError::Invalid(format!(
                "team {}: the assignment rule {segment} › {} assigns to this team; change the rule first",
                team.name, rule.name
            )));
        }
        if let Some(segment) = self.segments_routed_to(crate::domain::assignment::DefaultRoute::Team(id))?.first() {
            return Err(StoreError::Invalid(format!(
                "team {}: segment {segment} routes records to this team by default; change its fallback chain first",
                team.name
            )));
        }
        let context = format!("deleting team {}", team.name);
        let tx = self.write_scope().with_context(|| context.clone())?;
        tx.execute("DELETE FROM team WHERE id = ?1", [id.0]).with_context(|| context.clone())?;
        tx.commit().with_context(|| context.clone())
    }

    /// Changes the attribute definition now named `old_name`: a new name (sellers' values
    /// follow it) and values. A value taken out of the list is taken from every seller
    /// holding it (cleaned up, not refused: the definition is the list of what sellers may
    /// hold). Refused when an assignment rule uses the attribute being renamed or a value
    /// being taken out, since that would silently change who the rule assigns to.
    pub fn update_attribute_definition(&mut self, old_name: &str, definition: &AttributeDefinition) -> Result<()> {
        self.check_writable()?;
        check_definition(definition)?;
        let name = definition.name.trim();
        let definitions = self.attribute_definitions()?;
        let Some(old) = definitions.iter().find(|d| d.name == old_name) else {
            return Err(StoreError::Invalid(format!("there is no seller attribute {old_name}")));
        };
        let folded = fold(name);
        if definitions.iter().any(|d| d.name != old_name && fold(&d.name) == folded) {
            return Err(StoreError::Invalid(format!("seller attribute {name}: an attribute has that name already")));
        }
        let renamed = fold(old_name) != folded;
        let removed: Vec<&String> = old.values.iter().filter(|v| !definition.values.contains(v)).collect();
        for (segment, rule) in self.rules_using_attribute(old_name)? {
            let uses_removed = attribute_conditions(&rule, old_name).any(|values| match values {
                AttributeValue::Fixed(values) => values.iter().any(|v| removed.contains(&v)),
                AttributeValue::FromRecord(_) => false,
            });
            if renamed || uses_removed {
                let what = if renamed { "renaming it" } else { "taking out a value it uses" };
                return Err(StoreError::Invalid(format!(
                    "seller attribute {old_name}: the assignment rule {segment} › {} uses it; change the rule before {what}",
                    rule.name
                )));
            }
        }
        let context = format!("saving seller attribute {name}");
        let tx = self.write_scope().with_context(|| context.clone())?;
        if name != old_name {
            tx.execute("UPDATE attribute_definition SET name = ?2 WHERE name = ?1", [old_name, name])
                .with_context(|| context.clone())?;
            tx.execute("UPDATE seller_attribute SET name = ?2 WHERE name = ?1", [old_name, name])
                .with_context(|| context.clone())?;
        }
        tx.execute("DELETE FROM attribute_value WHERE attribute = ?1", [name]).with_context(|| context.clone())?;
        let stored = AttributeDefinition { name: name.to_owned(), values: definition.values.clone() };
        write_definition_values(&tx, &stored, &context)?;
        for value in removed {
            tx.execute("DELETE FROM seller_attribute WHERE name = ?1 AND value = ?2", [name, value.as_str()])
                .with_context(|| context.clone())?;
        }
        tx.commit().with_context(|| context.clone())
    }

    /// Deletes an attribute definition and takes its values from every seller. Refused
    /// while an assignment rule matches sellers on it.
    pub fn delete_attribute_definition(&mut self, name: &str) -> Result<()> {
        self.check_writable()?;
        if !self.attribute_definitions()?.iter().any(|d| d.name == name) {
            return Err(StoreError::Invalid(format!("there is no seller attribute {name}")));
        }
        if let Some((segment, rule)) = self.rules_using_attribute(name)?.into_iter().next() {
            return Err(StoreError::Invalid(format!(
                "seller attribute {name}: the assignment rule {segment} › {} uses it; change the rule first",
                rule.name
            )));
        }
        let context = format!("deleting seller attribute {name}");
        let tx = self.write_scope().with_context(|| context.clone())?;
        tx.execute("DELETE FROM seller_attribute WHERE name = ?1", [name]).with_context(|| context.clone())?;
        tx.execute("DELETE FROM attribute_definition WHERE name = ?1", [name]).with_context(|| context.clone())?;
        tx.commit().with_context(|| context.clone())
    }

    fn seller_name(&self, id: SellerId) -> Result<String> {
        use rusqlite::OptionalExtension;
        self.conn
            .query_row("SELECT name FROM seller WHERE id = ?1", [id.0], |r| r.get(0))
            .optional()
            .context("reading a seller")?
            .ok_or_else(|| StoreError::Invalid(format!("there is no seller with id {}", id.0)))
    }

    /// A team's name is required and not another team's (ignoring case); members exist
    /// and appear once.
    fn check_team(&self, team: &Team, itself: Option<TeamId>) -> Result<()> {
        let name = team.name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid("team: the name is required".into()));
        }
        let folded = fold(name);
        if self.teams()?.iter().any(|t| Some(t.id) != itself && fold(&t.name) == folded) {
            return Err(StoreError::Invalid(format!("team {name}: a team has that name already")));
        }
        let mut seen = HashSet::new();
        if let Some(twice) = team.members.iter().find(|m| !seen.insert(**m)) {
            return Err(StoreError::Invalid(format!("team {name}: seller {} is a member twice", twice.0)));
        }
        Ok(())
    }

    /// Every assignment rule of every segment, with its segment's name.
    fn all_rules(&self) -> Result<Vec<(String, AssignmentRule)>> {
        let context = "reading assignment rules";
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT segment_id FROM assignment_rule ORDER BY segment_id")
            .context(context)?;
        let segments: Vec<i64> =
            stmt.query_map([], |r| r.get(0)).context(context)?.collect::<rusqlite::Result<_>>().context(context)?;
        let mut rules = Vec::new();
        for segment in segments {
            let segment = SegmentId(segment);
            let name = self.segment(segment).map_or_else(|_| format!("segment {}", segment.0), |s| s.name);
            rules.extend(self.rules(segment)?.into_iter().map(|rule| (name.clone(), rule)));
        }
        Ok(rules)
    }

    fn rules_using_attribute(&self, name: &str) -> Result<Vec<(String, AssignmentRule)>> {
        Ok(self
            .all_rules()?
            .into_iter()
            .filter(|(_, rule)| attribute_conditions(rule, name).next().is_some())
            .collect())
    }
}

/// The values of a rule's conditions on the attribute `name` (names compared ignoring case,
/// as rules compare them).
fn attribute_conditions<'a>(rule: &'a AssignmentRule, name: &str) -> impl Iterator<Item = &'a AttributeValue> {
    let folded = fold(name);
    let conditions = match &rule.target {
        Target::SellersMatching(conditions) => conditions.as_slice(),
        _ => &[],
    };
    conditions.iter().filter(move |c| fold(&c.attribute) == folded).map(|c| &c.values)
}

/// Checked for every seller stored: a name, an email of the shape `name@domain.tld`, a
/// known IANA time zone, work periods (weekday 1–7, start before end, end ≤ 24:00, none
/// overlapping on a day) and time off (start before end).
fn check_seller(seller: &Seller) -> Result<()> {
    let who = if seller.name.trim().is_empty() { "seller".to_owned() } else { format!("seller {}", seller.name) };
    let invalid = |message: String| Err(StoreError::Invalid(format!("{who}: {message}")));
    if seller.name.trim().is_empty() {
        return invalid("the name is required".into());
    }
    if seller.email.trim().is_empty() {
        return invalid("the email is required".into());
    }
    if !is_email_shaped(&seller.email) {
        return invalid(format!("the email \"{}\" is not an address like name@example.com", seller.email));
    }
    if let Err(e) = jiff::tz::TimeZone::get(&seller.time_zone) {
        return invalid(format!("time zone \"{}\" is not a known IANA time zone ({e})", seller.time_zone));
    }
    let day = |p: &WorkPeriod| crate::domain::people::WEEKDAYS.get(usize::from(p.weekday).wrapping_sub(1)).copied();
    let span = |p: &WorkPeriod| {
        use crate::domain::people::format_minute;
        format!("{}–{}", format_minute(p.start_minute), format_minute(p.end_minute))
    };
    for p in &seller.work_hours {
        let Some(weekday) = day(p) else {
            return invalid(format!("work hours: weekday {} is not 1 (Monday) to 7 (Sunday)", p.weekday));
        };
        if p.start_minute >= p.end_minute || p.end_minute > 1440 {
            return invalid(format!(
                "work hours on {weekday}: {} must have start before end, end at most 24:00 (minutes {}–{})",
                span(p),
                p.start_minute,
                p.end_minute
            ));
        }
    }
    let mut periods = seller.work_hours.clone();
    periods.sort_by_key(|p| (p.weekday, p.start_minute));
    for pair in periods.windows(2) {
        if pair[0].weekday == pair[1].weekday && pair[1].start_minute < pair[0].end_minute {
            let weekday = day(&pair[0]).unwrap_or("?");
            return invalid(format!("work hours on {weekday}: {} and {} overlap", span(&pair[0]), span(&pair[1])));
        }
    }
    for t in &seller.time_off {
        if t.start >= t.end {
            let reason = if t.reason.trim().is_empty() { String::new() } else { format!(" ({})", t.reason) };
            return invalid(format!("time off{reason}: the start {} is not before the end {}", t.start, t.end));
        }
    }
    Ok(())
}

/// Every attribute a seller holds is defined, with defined values, none twice.
fn check_attributes(seller: &Seller, definitions: &[AttributeDefinition]) -> Result<()> {
    let who = format!("seller {}", seller.name.trim());
    for (name, values) in &seller.attributes {
        check_values(&who, name, values, definitions)?;
        let mut seen = HashSet::new();
        if let Some(twice) = values.iter().find(|v| !seen.insert(v.as_str())) {
            return Err(StoreError::Invalid(format!("{who}: {name} has the value \"{twice}\" twice")));
        }
    }
    Ok(())
}

fn check_values(who: &str, name: &str, values: &[String], definitions: &[AttributeDefinition]) -> Result<()> {
    let Some(definition) = definitions.iter().find(|d| d.name == name) else {
        return Err(StoreError::Invalid(format!(
            "{who}: there is no seller attribute \"{name}\"; define it under Attributes first"
        )));
    };
    if let Some(unknown) = values.iter().find(|v| !definition.values.contains(v)) {
        return Err(StoreError::Invalid(format!(
            "{who}: \"{unknown}\" is not a value of {name} (it has {})",
            if definition.values.is_empty() { "no values yet".to_owned() } else { definition.values.join(", ") }
        )));
    }
    Ok(())
}

/// A name, and no blank or repeated value.
fn check_definition(definition: &AttributeDefinition) -> Result<()> {
    let name = definition.name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid("seller attribute: the name is required".into()));
    }
    let mut seen = HashSet::new();
    for value in &definition.values {
        if value.trim().is_empty() {
            return Err(StoreError::Invalid(format!("seller attribute {name}: a value is blank")));
        }
        if !seen.insert(value.as_str()) {
            return Err(StoreError::Invalid(format!("seller attribute {name}: the value \"{value}\" appears twice")));
        }
    }
    Ok(())
}

pub(super) fn write_definition_values(
    conn: &Connection,
    definition: &AttributeDefinition,
    context: &str,
) -> Result<()> {
    let mut stmt = conn
        .prepare("INSERT INTO attribute_value (attribute, position, value) VALUES (?1, ?2, ?3)")
        .context(context)?;
    for (position, value) in definition.values.iter().enumerate() {
        stmt.execute(rusqlite::params![definition.name.trim(), position as i64, value]).context(context)?;
    }
    Ok(())
}

/// Overwrites an existing seller's row and replaces its attributes, hours and time off.
pub(super) fn write_seller(conn: &Connection, seller: &Seller, context: &str) -> Result<()> {
    let changed = conn
        .execute(
            "UPDATE seller SET name = ?2, email = ?3, time_zone = ?4, capacity = ?5, assign_records = ?6 WHERE id = ?1",
            rusqlite::params![
                seller.id.0,
                seller.name.trim(),
                seller.email.trim(),
                seller.time_zone,
                seller.capacity,
                seller.assign_records
            ],
        )
        .context(context)?;
    if changed == 0 {
        return Err(StoreError::Invalid(format!("there is no seller with id {}", seller.id.0)));
    }
    for table in ["seller_attribute", "work_hours", "time_off"] {
        conn.execute(&format!("DELETE FROM {table} WHERE seller_id = ?1"), [seller.id.0]).context(context)?;
    }
    write_seller_details(conn, seller.id.0, seller, context)
}

/// A seller's attributes (those with values), work hours and time off.
fn write_seller_details(conn: &Connection, id: i64, seller: &Seller, context: &str) -> Result<()> {
    let mut attribute = conn
        .prepare("INSERT INTO seller_attribute (seller_id, name, position, value) VALUES (?1, ?2, ?3, ?4)")
        .context(context)?;
    for (name, values) in &seller.attributes {
        for (position, value) in values.iter().enumerate() {
            attribute.execute(rusqlite::params![id, name, position as i64, value]).map_err(|e| {
                if is_unique_error(&e) {
                    StoreError::Invalid(format!("seller {}: attribute {name} twice", seller.name))
                } else {
                    super::sqlite_error(context.to_owned(), e)
                }
            })?;
        }
    }
    let mut period = conn
        .prepare(
            "INSERT INTO work_hours (seller_id, position, weekday, start_minute, end_minute) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .context(context)?;
    for (position, p) in seller.work_hours.iter().enumerate() {
        period
            .execute(rusqlite::params![id, position as i64, p.weekday, p.start_minute, p.end_minute])
            .context(context)?;
    }
    let mut off = conn
        .prepare("INSERT INTO time_off (seller_id, position, start_at, end_at, reason) VALUES (?1, ?2, ?3, ?4, ?5)")
        .context(context)?;
    for (position, t) in seller.time_off.iter().enumerate() {
        off.execute(rusqlite::params![id, position as i64, t.start.to_string(), t.end.to_string(), t.reason])
            .context(context)?;
    }
    Ok(())
}

pub(super) fn write_team_members(conn: &Connection, id: i64, team: &Team, context: &str) -> Result<()> {
    let mut member =
        conn.prepare("INSERT INTO team_member (team_id, seller_id, position) VALUES (?1, ?2, ?3)").context(context)?;
    for (position, seller) in team.members.iter().enumerate() {
        member.execute(rusqlite::params![id, seller.0, position as i64]).map_err(|e| {
            if is_foreign_key_error(&e) {
                StoreError::Invalid(format!("team {}: there is no seller with id {}", team.name.trim(), seller.0))
            } else {
                super::sqlite_error(context.to_owned(), e)
            }
        })?;
    }
    Ok(())
}

fn team_error(team: &Team, error: rusqlite::Error, context: &str) -> StoreError {
    if is_unique_error(&error) {
        StoreError::Invalid(format!("team {}: a team has that name already", team.name.trim()))
    } else {
        super::sqlite_error(context.to_owned(), error)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn seller(name: &str) -> Seller {
        Seller {
            id: SellerId(0),
            name: name.to_owned(),
            email: format!("{}@example.com", name.to_lowercase()),
            time_zone: "UTC".into(),
            attributes: BTreeMap::new(),
            capacity: None,
            work_hours: Vec::new(),
            time_off: Vec::new(),
            assign_records: true,
        }
    }

    /// The changes nest in an outer SAVEPOINT (as an import wraps them): rolling the outer
    /// one back takes them all back, and a refused change inside leaves the outer one usable.
    #[test]
    fn people_changes_nest_in_an_outer_savepoint() {
        let mut ws = Workspace::in_memory().unwrap();
        let ana = ws.add_seller(&seller("Ana")).unwrap();
        ws.conn.execute_batch("SAVEPOINT outer_import").unwrap();
        ws.update_seller(&Seller { id: ana, capacity: Some(3), ..seller("Ana") }).unwrap();
        assert!(ws.update_seller(&Seller { id: ana, email: "nope".into(), ..seller("Ana") }).is_err());
        let bo = ws.add_seller(&seller("Bo")).unwrap();
        ws.insert_team(&Team { id: TeamId(0), name: "T".into(), members: vec![ana, bo] }).unwrap();
        ws.insert_attribute_definition(&AttributeDefinition { name: "L".into(), values: vec!["x".into()] }).unwrap();
        ws.update_sellers(&[ana, bo], &SellerBulkChange { assign_records: Some(false), ..Default::default() }).unwrap();
        assert_eq!(ws.sellers().unwrap().len(), 2);
        assert!(!ws.conn.is_autocommit(), "still inside the outer savepoint");
        ws.conn.execute_batch("ROLLBACK TO outer_import; RELEASE outer_import").unwrap();
        assert_eq!(ws.sellers().unwrap(), vec![Seller { id: ana, ..seller("Ana") }]);
        assert!(ws.teams().unwrap().is_empty());
        assert!(ws.attribute_definitions().unwrap().is_empty());
    }
}
