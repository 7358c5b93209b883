//! Sellers (attributes, capacity, work hours, time off), teams and seller attribute
//! definitions.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::civil::DateTime;

use super::{Result, SqlContext, StoreError, Workspace, is_foreign_key_error, is_unique_error};
use crate::domain::{AttributeDefinition, Seller, SellerId, Team, TeamId, TimeOff, WorkPeriod};

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
        {
            let mut attribute = tx
                .prepare("INSERT INTO seller_attribute (seller_id, name, position, value) VALUES (?1, ?2, ?3, ?4)")
                .with_context(|| context.clone())?;
            for (name, values) in &seller.attributes {
                for (position, value) in values.iter().enumerate() {
                    attribute.execute(rusqlite::params![id, name, position as i64, value]).map_err(|e| {
                        if is_unique_error(&e) {
                            StoreError::Invalid(format!("seller {}: attribute {name} twice", seller.name))
                        } else {
                            StoreError::Sqlite { context: context.clone(), source: e }
                        }
                    })?;
                }
            }
            let mut period = tx
                .prepare(
                    "INSERT INTO work_hours (seller_id, position, weekday, start_minute, end_minute)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .with_context(|| context.clone())?;
            for (position, p) in seller.work_hours.iter().enumerate() {
                period
                    .execute(rusqlite::params![id, position as i64, p.weekday, p.start_minute, p.end_minute])
                    .with_context(|| context.clone())?;
            }
            let mut off = tx
                .prepare(
                    "INSERT INTO time_off (seller_id, position, start_at, end_at, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .with_context(|| context.clone())?;
            for (position, t) in seller.time_off.iter().enumerate() {
                off.execute(rusqlite::params![id, position as i64, t.start.to_string(), t.end.to_string(), t.reason])
                    .with_context(|| context.clone())?;
            }
        }
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

    /// Adds a team; the incoming `id` is ignored. Checked: a name not used by another team,
    /// members that exist, no member twice.
    pub fn insert_team(&mut self, team: &Team) -> Result<TeamId> {
        self.check_writable()?;
        if team.name.trim().is_empty() {
            return Err(StoreError::Invalid("team: the name is required".into()));
        }
        let mut seen = HashSet::new();
        if let Some(twice) = team.members.iter().find(|m| !seen.insert(**m)) {
            return Err(StoreError::Invalid(format!("team {}: seller {} is a member twice", team.name, twice.0)));
        }
        let context = format!("adding team {}", team.name);
        let tx = self.write_scope().with_context(|| context.clone())?;
        tx.execute("INSERT INTO team (name) VALUES (?1)", [&team.name]).map_err(|e| {
            if is_unique_error(&e) {
                StoreError::Invalid(format!("team {}: a team has that name already", team.name))
            } else {
                StoreError::Sqlite { context: context.clone(), source: e }
            }
        })?;
        let id = tx.last_insert_rowid();
        {
            let mut member = tx
                .prepare("INSERT INTO team_member (team_id, seller_id, position) VALUES (?1, ?2, ?3)")
                .with_context(|| context.clone())?;
            for (position, seller) in team.members.iter().enumerate() {
                member.execute(rusqlite::params![id, seller.0, position as i64]).map_err(|e| {
                    if is_foreign_key_error(&e) {
                        StoreError::Invalid(format!("team {}: there is no seller with id {}", team.name, seller.0))
                    } else {
                        StoreError::Sqlite { context: context.clone(), source: e }
                    }
                })?;
            }
        }
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
        let name = &definition.name;
        if name.trim().is_empty() {
            return Err(StoreError::Invalid("seller attribute: the name is required".into()));
        }
        let mut seen = HashSet::new();
        for value in &definition.values {
            if value.trim().is_empty() {
                return Err(StoreError::Invalid(format!("seller attribute {name}: a value is blank")));
            }
            if !seen.insert(value.as_str()) {
                return Err(StoreError::Invalid(format!(
                    "seller attribute {name}: the value \"{value}\" appears twice"
                )));
            }
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
                StoreError::Sqlite { context: context.clone(), source: e }
            }
        })?;
        {
            let mut stmt = tx
                .prepare("INSERT INTO attribute_value (attribute, position, value) VALUES (?1, ?2, ?3)")
                .with_context(|| context.clone())?;
            for (position, value) in definition.values.iter().enumerate() {
                stmt.execute(rusqlite::params![name, position as i64, value]).with_context(|| context.clone())?;
            }
        }
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

fn check_seller(seller: &Seller) -> Result<()> {
    let who = if seller.name.trim().is_empty() { "seller".to_owned() } else { format!("seller {}", seller.name) };
    let invalid = |message: String| Err(StoreError::Invalid(format!("{who}: {message}")));
    if seller.name.trim().is_empty() {
        return invalid("the name is required".into());
    }
    if let Err(e) = jiff::tz::TimeZone::get(&seller.time_zone) {
        return invalid(format!("time zone \"{}\" is not a known IANA time zone ({e})", seller.time_zone));
    }
    for p in &seller.work_hours {
        if !(1..=7).contains(&p.weekday) {
            return invalid(format!("work hours: weekday {} is not 1 (Monday) to 7 (Sunday)", p.weekday));
        }
        if p.start_minute >= p.end_minute || p.end_minute > 1440 {
            return invalid(format!(
                "work hours: minutes {}–{} must have start before end, end at most 1440",
                p.start_minute, p.end_minute
            ));
        }
    }
    for t in &seller.time_off {
        if t.start >= t.end {
            return invalid(format!("time off {}: the start {} is not before the end {}", t.reason, t.start, t.end));
        }
    }
    Ok(())
}
