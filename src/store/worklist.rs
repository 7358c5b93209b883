//! Running enrolments step by step: finishing a step (done or skipped), the Work list of
//! due steps, and what an edit of a sequence does to the enrolments on its steps.
//!
//! Rules kept here (the arithmetic of steps and waits is `domain::cadence`):
//! - only a running enrolment of an active sequence moves; the enrolments of an inactive
//!   sequence are paused (not on the Work list, their steps cannot be finished) until it is
//!   active again, and then continue where they stood;
//! - a finished step is kept in `enrolment_step` (position, kind, name, done or skipped);
//!   the enrolment moves on to the next step, past waits counted on the owner's clock
//!   (their time zone, and their working hours when the sequence says so); past the last
//!   step it ends as "completed";
//! - the Work list reads running enrolments of active sequences in due order; filtered by
//!   seller it starts from the owner's records (an index of the owner column), otherwise
//!   from the due-time index of running enrolments.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use rusqlite::OptionalExtension;
use rusqlite::types::Value as SqlValue;

use super::sequences::{ENROLMENT_COLUMNS, RawEnrolment};
use super::{Result, SqlContext, StoreError, Workspace, quote};
use crate::domain::cadence::{self, Next, WaitClock};
use crate::domain::sequence::{EnrolmentStatus, StepOutcome, WorkFilter, WorkItem, WorkList};
use crate::domain::{FieldKind, RecordId, RecordTypeDef, RecordTypeName, SellerId, SequenceId, Status, Step, StepKind};

/// For each stored position of a sequence's steps, where an enrolment on it continues after
/// the steps were edited (`None`: it completes). `origins[i]` is the stored position of the
/// new step `i` (`None`: a new step). A kept step is followed wherever it moved; a removed
/// one is skipped to the next stored step that remains; a step that became a wait is passed
/// on to the step after it.
pub(super) fn carried_steps(stored_len: usize, steps: &[Step], origins: &[Option<u32>]) -> Vec<Option<u32>> {
    (0..stored_len)
        .map(|position| {
            let position = u32::try_from(position).ok()?;
            let (_, index) = origins
                .iter()
                .enumerate()
                .filter_map(|(i, origin)| origin.filter(|q| *q >= position).map(|q| (q, i)))
                .min()?;
            let index = (index..steps.len()).find(|&j| steps[j].kind != StepKind::Wait)?;
            u32::try_from(index).ok()
        })
        .collect()
}

impl Workspace {
    /// Moves the running enrolments of `sequence` to the steps `map` gives (see
    /// [`carried_steps`]); those it sends past the end complete at `at`. Inside the caller's
    /// write scope.
    pub(super) fn carry_enrolments(&self, sequence: SequenceId, map: &[Option<u32>], at: Timestamp) -> Result<()> {
        let context = "moving running enrolments to the edited steps";
        let json =
            format!("[{}]", map.iter().map(|m| m.map_or(-1, i64::from).to_string()).collect::<Vec<_>>().join(","));
        self.conn
            .execute(
                "UPDATE enrolment SET status = 'ended', end_reason = 'completed', ended_at = ?3, due_at = NULL
                 WHERE sequence_id = ?1 AND status = 'running'
                 AND coalesce(json_extract(?2, '$[' || step || ']'), -1) < 0",
                rusqlite::params![sequence.0, json, at.to_string()],
            )
            .context(context)?;
        self.conn
            .execute(
                "UPDATE enrolment SET step = json_extract(?2, '$[' || step || ']')
                 WHERE sequence_id = ?1 AND status = 'running' AND json_extract(?2, '$[' || step || ']') <> step",
                rusqlite::params![sequence.0, json],
            )
            .context(context)?;
        Ok(())
    }

    /// Finishes the current step of a running enrolment at `now` (done or skipped) and moves
    /// it on: to the next step, due after the waits between them, or, past the last step,
    /// to its end ("completed"). Refused for an unknown or ended enrolment and while its
    /// sequence is not active. Returns the enrolment as it is afterwards.
    pub fn complete_step(
        &mut self,
        enrolment: i64,
        outcome: StepOutcome,
        now: Timestamp,
    ) -> Result<crate::domain::sequence::Enrolment> {
        self.check_writable()?;
        let current = self.enrolment_by_id(enrolment)?;
        if current.status != EnrolmentStatus::Running {
            let reason = current.end_reason.map(|r| r.to_string()).unwrap_or_default();
            return Err(StoreError::Invalid(format!("enrolment {enrolment} has ended ({reason})")));
        }
        let sequence = self.stored_sequence(current.sequence)?;
        if sequence.status != Status::Active {
            return Err(StoreError::Invalid(format!(
                "sequence {} is {}; its enrolments wait until it is active again",
                sequence.name,
                sequence.status.to_string().to_lowercase()
            )));
        }
        let Some(step) = sequence.steps.get(current.step as usize) else {
            return Err(StoreError::Invalid(format!(
                "enrolment {enrolment} is past the last step of sequence {}",
                sequence.name
            )));
        };
        let zone = TimeZone::get(self.time_zone()).unwrap_or(TimeZone::UTC);
        let owner = self.owner_of(&current.record_type, current.record)?;
        let sellers = if owner.is_some() { self.sellers()? } else { Vec::new() };
        let clock = match owner.and_then(|o| sellers.iter().find(|s| s.id == o)) {
            Some(seller) => WaitClock::of_seller(seller, &zone, sequence.options.working_hours),
            None => WaitClock::calendar(zone),
        };
        let next = cadence::arrive(&sequence.steps, current.step as usize + 1, now, &clock);
        let context = format!("finishing step {} of enrolment {enrolment}", current.step + 1);
        let tx = self.write_scope().with_context(|| context.clone())?;
        tx.execute(
            "INSERT INTO enrolment_step (enrolment_id, position, kind, name, outcome, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![enrolment, current.step, step.kind.key(), step.name, outcome.key(), now.to_string()],
        )
        .with_context(|| context.clone())?;
        match next {
            Next::Step { position, due_at } => tx.execute(
                "UPDATE enrolment SET step = ?2, due_at = ?3 WHERE id = ?1",
                rusqlite::params![enrolment, position, due_at.to_string()],
            ),
            Next::Completed => tx.execute(
                "UPDATE enrolment SET status = 'ended', end_reason = 'completed', ended_at = ?2, due_at = NULL
                 WHERE id = ?1",
                rusqlite::params![enrolment, now.to_string()],
            ),
        }
        .with_context(|| context.clone())?;
        tx.commit().with_context(|| context.clone())?;
        self.enrolment_by_id(enrolment)
    }

    /// One enrolment by id, or `Invalid` naming it.
    pub fn enrolment_by_id(&self, id: i64) -> Result<crate::domain::sequence::Enrolment> {
        let raw = self
            .conn
            .query_row(
                &format!("SELECT {ENROLMENT_COLUMNS} FROM enrolment e WHERE e.id = ?1"),
                [id],
                RawEnrolment::from_row,
            )
            .optional()
            .context("reading an enrolment")?;
        let Some(raw) = raw else {
            return Err(StoreError::Invalid(format!("there is no enrolment with id {id}")));
        };
        self.read_enrolment(raw)
    }

    /// The owner of a record, if the type has an owner field and the record one.
    fn owner_of(&self, ty: &RecordTypeName, record: RecordId) -> Result<Option<SellerId>> {
        let def = self.type_def(ty)?;
        let Some(owner) = owner_field(def) else { return Ok(None) };
        let sql = format!("SELECT {} FROM {} WHERE \"id\" = ?1", quote(owner), quote(def.name.as_str()));
        let owner: Option<Option<i64>> =
            self.conn.query_row(&sql, [record.0], |r| r.get(0)).optional().context("reading a record's owner")?;
        Ok(owner.flatten().map(SellerId))
    }

    /// The Work list: the current steps of running enrolments of active sequences that
    /// `filter` keeps, the first `limit` by due time (overdue first), and how many there are.
    /// `overdue` is set for steps due before today began in the workspace's time zone.
    pub fn work_list(&self, filter: &WorkFilter, now: Timestamp, limit: usize) -> Result<WorkList> {
        self.read_work(filter, now, limit, Count::All)
    }

    /// [`Workspace::work_list`] without counting what is beyond `limit` (`total` is then the
    /// number of items): counting every due step of a million enrolments costs half a second.
    pub fn first_work(&self, filter: &WorkFilter, now: Timestamp, limit: usize) -> Result<WorkList> {
        let mut list = self.read_work(filter, now, limit, Count::Returned)?;
        list.total = list.items.len() as u64;
        Ok(list)
    }

    fn read_work(&self, filter: &WorkFilter, now: Timestamp, limit: usize, count: Count) -> Result<WorkList> {
        let zone = TimeZone::get(self.time_zone()).unwrap_or(TimeZone::UTC);
        let today = zone.to_datetime(now).date().to_zoned(zone).map_or(now, |z| z.timestamp());
        let mut list = WorkList::default();
        for def in &self.schema.types {
            let owner = owner_field(def);
            if filter.seller.is_some() && owner.is_none() {
                continue;
            }
            let (items, total) = self.work_of_type(def, owner, filter, limit, count)?;
            list.total += total;
            list.items.extend(items);
        }
        list.items.sort_by_key(|item| (item.due_at, item.enrolment));
        list.items.truncate(limit);
        for item in &mut list.items {
            item.overdue = item.due_at < today;
        }
        Ok(list)
    }

    fn work_of_type(
        &self,
        def: &RecordTypeDef,
        owner: Option<&str>,
        filter: &WorkFilter,
        limit: usize,
        count: Count,
    ) -> Result<(Vec<WorkItem>, u64)> {
        let context = format!("reading the work list of {}", def.name);
        let table = quote(def.name.as_str());
        let owner_sql = owner.map_or_else(|| "NULL".to_owned(), |o| format!("r.{}", quote(o)));
        let mut params: Vec<SqlValue> = vec![SqlValue::Text(def.name.as_str().to_owned())];
        let mut conditions = vec!["e.record_type = ?1".to_owned(), "e.status = 'running'".to_owned()];
        let from = match filter.seller {
            Some(seller) => {
                params.push(SqlValue::Integer(seller.0));
                conditions.push(format!("{owner_sql} = ?{}", params.len()));
                format!("{table} r CROSS JOIN enrolment e ON e.record_type = ?1 AND e.record_id = r.\"id\"")
            }
            None => {
                format!("enrolment e INDEXED BY \"ix:enrolment:due_at\" LEFT JOIN {table} r ON r.\"id\" = e.record_id")
            }
        };
        if let Some(due) = filter.due_before {
            params.push(SqlValue::Text(cadence::whole_second(due).to_string()));
            conditions.push(format!("e.due_at <= ?{}", params.len()));
        }
        if let Some(sequence) = filter.sequence {
            params.push(SqlValue::Integer(sequence.0));
            conditions.push(format!("e.sequence_id = ?{}", params.len()));
        }
        if let Some(kind) = filter.kind {
            params.push(SqlValue::Text(kind.key().to_owned()));
            conditions.push(format!("st.kind = ?{}", params.len()));
        }
        let body = format!(
            "FROM {from} JOIN sequence q ON q.id = e.sequence_id AND q.status = 'active'
             JOIN sequence_step st ON st.sequence_id = e.sequence_id AND st.position = e.step
             WHERE {}",
            conditions.join(" AND ")
        );
        let total: Option<i64> = match count {
            Count::All => Some(
                self.conn
                    .prepare_cached(&format!("SELECT count(*) {body}"))
                    .and_then(|mut stmt| stmt.query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0)))
                    .with_context(|| context.clone())?,
            ),
            Count::Returned => None,
        };
        if total == Some(0) {
            return Ok((Vec::new(), 0));
        }
        params.push(SqlValue::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        let sql = format!(
            "SELECT e.id, e.record_id, e.sequence_id, e.step, e.due_at, r.{}, {owner_sql}, st.kind, st.name, q.name,
             (SELECT count(*) FROM sequence_step c WHERE c.sequence_id = e.sequence_id)
             {body} ORDER BY e.due_at, e.id LIMIT ?{}",
            quote(def.primary_field.as_str()),
            params.len()
        );
        let mut stmt = self.conn.prepare_cached(&sql).with_context(|| context.clone())?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params.iter()), |r| {
                Ok(RawItem {
                    enrolment: r.get(0)?,
                    record: r.get(1)?,
                    sequence: r.get(2)?,
                    position: r.get(3)?,
                    due_at: r.get(4)?,
                    title: r.get(5)?,
                    owner: r.get(6)?,
                    kind: r.get(7)?,
                    step_name: r.get(8)?,
                    sequence_name: r.get(9)?,
                    steps: r.get(10)?,
                })
            })
            .with_context(|| context.clone())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .with_context(|| context.clone())?;
        let items: Vec<WorkItem> = rows.into_iter().map(|raw| self.work_item(&def.name, raw)).collect::<Result<_>>()?;
        let total = total.map_or(items.len() as u64, |total| total.max(0).cast_unsigned());
        Ok((items, total))
    }

    fn work_item(&self, ty: &RecordTypeName, raw: RawItem) -> Result<WorkItem> {
        let what = format!("enrolment {}", raw.enrolment);
        let due_at = raw
            .due_at
            .as_deref()
            .map(|text| {
                text.parse::<Timestamp>()
                    .map_err(|e| self.corrupt(format!("{what}: \"{text}\" is not an RFC 3339 time ({e})")))
            })
            .transpose()?
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let kind = StepKind::from_key(&raw.kind)
            .ok_or_else(|| self.corrupt(format!("{what}: unknown step kind \"{}\"", raw.kind)))?;
        let title = match raw.title {
            SqlValue::Text(text) if !text.trim().is_empty() => text,
            SqlValue::Integer(n) => n.to_string(),
            _ => format!("#{}", raw.record),
        };
        Ok(WorkItem {
            enrolment: raw.enrolment,
            record_type: ty.clone(),
            record: RecordId(raw.record),
            title,
            owner: raw.owner.map(SellerId),
            sequence: SequenceId(raw.sequence),
            sequence_name: raw.sequence_name,
            position: u32::try_from(raw.position).unwrap_or_default(),
            steps: u32::try_from(raw.steps).unwrap_or_default(),
            kind,
            step_name: raw.step_name,
            due_at,
            overdue: false,
        })
    }
}

/// The owner field of a record type, if it has one.
fn owner_field(def: &RecordTypeDef) -> Option<&str> {
    def.fields.iter().find(|f| f.kind == FieldKind::Owner).map(|f| f.name.as_str())
}

/// A Work list row as SQLite gives it.
struct RawItem {
    enrolment: i64,
    record: i64,
    sequence: i64,
    position: i64,
    due_at: Option<String>,
    title: SqlValue,
    owner: Option<i64>,
    kind: String,
    step_name: String,
    sequence_name: String,
    steps: i64,
}

/// Whether a work list counts every step its filter keeps, or only returns the first ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Count {
    All,
    Returned,
}
