//! "Explain" for one record: every segment of its type with each condition's result and the
//! record's value there (a draft's unsaved conditions in place of its stored ones when
//! asked), where it is and where it would go, "Why this seller?", and its timeline read
//! from the history tables. Used by the `explain` command and the window's Explain panel.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::domain::assignment::DefaultRoute;
use crate::domain::explain::{AssignmentExplained, ExplainReport, SegmentExplained, TimelineEntry, TimelineKind};
use crate::domain::{
    Condition, Dataset, EvalContext, FieldName, FieldPath, Group, MembershipReason, MemoryDataset, Node, NodeId,
    Operand, Operator, RecordId, RecordTypeDef, RecordTypeName, SegmentId, Seller, SellerId, Status,
};
use crate::engine::sql::compile_sql;

use super::{Result, SqlContext, Workspace};

/// A history row of one record: its time, three typed columns and an optional text.
type HistoryRow<A, B, C> = (String, A, B, C, Option<String>);

impl Workspace {
    /// Why the record `id` of `def` is or is not in each segment of its type, its
    /// assignment explained, at `now`; `draft` evaluates a segment's unsaved conditions in
    /// place of its stored ones. `None` when there is no such record.
    pub fn explain_record(
        &self,
        def: &RecordTypeDef,
        id: RecordId,
        now: Timestamp,
        draft: Option<(SegmentId, &Group)>,
    ) -> Result<Option<ExplainReport>> {
        let Some(subject) = self.record(&def.name, id)? else { return Ok(None) };
        let schema = self.schema().clone();
        let tz = jiff::tz::TimeZone::get(self.time_zone()).unwrap_or(jiff::tz::TimeZone::UTC);
        let ctx = EvalContext::new(now, tz);
        let segments = self.segments(&def.name)?;

        // Only what the trees can reach: the record, what its lookups point at (a few
        // hops), and the records pointing at it through the lookups the related blocks name.
        let mut dataset = MemoryDataset::new(schema.clone());
        dataset.set_definitions(self.segment_definitions()?);
        let mut frontier = vec![(def.name.clone(), subject.clone())];
        for _ in 0..=crate::domain::DEFAULT_MAX_DEPTH.min(3) {
            let mut next = Vec::new();
            for (ty, found) in frontier.drain(..) {
                let Some(ty_def) = schema.get(&ty) else { continue };
                for (index, field) in ty_def.fields.iter().enumerate() {
                    if let (Some(crate::domain::Value::Lookup(target_id)), Some(target)) =
                        (found.values.get(index), &field.lookup_target)
                        && dataset.record(target, *target_id).is_none()
                        && let Some(target_record) = self.record(target, *target_id)?
                    {
                        next.push((target.clone(), target_record));
                    }
                }
                dataset.set_membership(&ty, found.id, self.membership_of(&ty, found.id)?);
                dataset.insert(&ty, found);
            }
            frontier = next;
        }
        let mut related_ways = Vec::new();
        for segment in &segments {
            collect_related(&segment.conditions, &mut related_ways);
        }
        if let Some((_, tree)) = draft {
            collect_related(tree, &mut related_ways);
        }
        related_ways.sort();
        related_ways.dedup();
        for (related_type, via) in related_ways {
            let Some(related_def) = schema.get(&related_type) else { continue };
            let pointing = Group {
                children: vec![Node::Condition(Condition {
                    id: NodeId(1),
                    path: FieldPath { via: Vec::new(), field: via.clone() },
                    operator: Operator::Is,
                    value: Operand::Record(id),
                })],
                ..Group::all(NodeId(0))
            };
            let sql = compile_sql(&schema, related_def, &pointing, &ctx);
            let ids = self.matching_ids(&related_type, &sql)?;
            for found in self.records_by_id(&related_type, &ids)? {
                dataset.insert(&related_type, found);
            }
        }
        let sellers = self.sellers()?;
        let teams = self.teams()?;
        for team in &teams {
            dataset.set_team(team.id, team.members.clone());
        }
        let names = crate::domain::describe::PeopleNames { sellers: &sellers, teams: &teams };

        let mut explained = Vec::with_capacity(segments.len());
        let mut winner = None;
        for segment in &segments {
            let drafted = draft.filter(|(draft_id, _)| *draft_id == segment.id).map(|(_, tree)| tree);
            let tree = drafted.unwrap_or(&segment.conditions);
            let conditions = crate::domain::eval::explain(&dataset, &ctx, def, &subject, tree, &names);
            let matches = conditions.first().is_some_and(|l| l.holds);
            let active = segment.status == Status::Active;
            if matches && active && winner.is_none() {
                winner = Some(segment.name.clone());
            }
            explained.push(SegmentExplained {
                segment: segment.name.clone(),
                status: segment.status.to_string(),
                priority: segment.priority,
                matches,
                conditions,
                id: segment.id,
                active,
                accepts_from_others: segment.accept_from_other_segments,
                draft: drafted.is_some(),
            });
        }
        let member_of = self
            .membership_of(&def.name, id)?
            .and_then(|member| segments.iter().find(|s| s.id == member).map(|s| s.name.clone()));
        let title = self.record_titles(&def.name, &[id])?.remove(&id).unwrap_or_default();
        let assignment = self.explain_assignment_in_words(&def.name, id, now, &sellers)?;
        Ok(Some(ExplainReport {
            record_type: def.name.to_string(),
            record: id.0,
            title,
            winner,
            member_of,
            segments: explained,
            assignment,
        }))
    }

    /// "Why this seller?" in words, from [`Workspace::explain_assignment`].
    fn explain_assignment_in_words(
        &self,
        ty: &RecordTypeName,
        record: RecordId,
        now: Timestamp,
        sellers: &[Seller],
    ) -> Result<AssignmentExplained> {
        let explanation = self.explain_assignment(ty, record, now)?;
        let seller_name = |id: SellerId| seller_name(sellers, id);
        let segment = match explanation.segment {
            Some(id) => Some(self.segment(id)?.name),
            None => None,
        };
        let stored = explanation.stored.as_ref().map(|row| match (row.seller, row.rule, row.reason) {
            (Some(seller), None, _) if row.by_default => {
                format!("assigned to {} by the default route", seller_name(seller))
            }
            (Some(seller), Some(_), _) => format!("assigned to {} by rule", seller_name(seller)),
            (Some(seller), None, _) => format!("assigned to {} by hand", seller_name(seller)),
            (None, _, Some(reason)) => format!("unassigned: {reason}"),
            (None, _, None) => "unassigned".to_owned(),
        });
        Ok(AssignmentExplained {
            segment,
            decided: if explanation.replayed { "replayed" } else { "now" },
            at: explanation.at.to_string(),
            rule: explanation.fired_rule().map(|r| r.name.clone()),
            rules: explanation.rule_lines(),
            default_route: explanation.default_line(&|route| match route {
                DefaultRoute::Seller(id) => format!("seller {}", seller_name(id)),
                DefaultRoute::Team(id) => format!("team #{}", id.0),
                DefaultRoute::LeaveUnassigned => "leave unassigned".to_owned(),
            }),
            seller: explanation.decision.as_ref().and_then(|d| d.seller()).map(seller_name),
            reason: explanation.decision.as_ref().and_then(|d| d.reason()).map(|r| r.to_string()),
            candidates: explanation.candidate_lines(sellers),
            stored,
        })
    }

    /// Everything that happened to one record, oldest first: joins, leaves and moves with
    /// their reasons, assignments and re-assignments, enrolments and their steps.
    pub fn record_timeline(&self, ty: &RecordTypeName, record: RecordId) -> Result<Vec<TimelineEntry>> {
        let segment_names = self.segment_names()?;
        let segment = |id: Option<i64>| {
            id.map_or_else(
                || "no segment".to_owned(),
                |id| segment_names.get(&id).cloned().unwrap_or_else(|| format!("a deleted segment (#{id})")),
            )
        };
        let mut entries = Vec::new();
        for (at, kind, from, to, reason) in self.timeline_rows::<String, Option<i64>, Option<i64>>(
            "SELECT at, kind, from_segment, to_segment, reason FROM membership_history
             WHERE record_id = ?1 AND record_type = ?2 ORDER BY id",
            ty,
            record,
        )? {
            let reason = reason.unwrap_or_default();
            let why = MembershipReason::from_key(&reason).map_or(reason, |r| r.to_string().to_lowercase());
            let text = match kind.as_str() {
                "join" => format!("Joined {} ({why})", segment(to)),
                "leave" => format!("Left {} ({why})", segment(from)),
                _ => format!("Moved from {} to {} ({why})", segment(from), segment(to)),
            };
            entries.push(self.timeline_entry(&at, TimelineKind::Membership, text)?);
        }
        let sellers = self.sellers()?;
        let rule_names = self.rule_names()?;
        for (at, seller, rule, status, reason) in self.timeline_rows::<Option<i64>, Option<i64>, String>(
            "SELECT at, seller_id, rule_id, status, reason FROM assignment_history
             WHERE record_id = ?1 AND record_type = ?2 ORDER BY id",
            ty,
            record,
        )? {
            let by = rule.map_or_else(
                || "by hand or by the default route".to_owned(),
                |rule| {
                    rule_names
                        .get(&crate::domain::assignment::RuleId(rule))
                        .map_or_else(|| format!("by rule #{rule}"), |name| format!("by rule \"{name}\""))
                },
            );
            let text = if let ("assigned", Some(seller)) = (status.as_str(), seller) {
                format!("Assigned to {} {by}", seller_name(&sellers, SellerId(seller)))
            } else {
                let reason = reason.map_or_else(String::new, |key| {
                    super::assignment::reason_from_key(&key).map_or(key, |r| r.to_string())
                });
                format!("Left unassigned: {reason}")
            };
            entries.push(self.timeline_entry(&at, TimelineKind::Assignment, text)?);
        }
        for (at, text) in self.enrolment_events(ty, record)? {
            entries.push(self.timeline_entry(&at, TimelineKind::Sequence, text)?);
        }
        // Stable: events of one instant keep the order membership → assignment → sequence.
        entries.sort_by_key(|e| e.at);
        Ok(entries)
    }

    fn timeline_entry(&self, at: &str, kind: TimelineKind, text: String) -> Result<TimelineEntry> {
        let at = at
            .parse()
            .map_err(|e| self.corrupt(format!("a record's history: \"{at}\" is not an RFC 3339 time ({e})")))?;
        Ok(TimelineEntry { at, kind, text })
    }

    /// The five columns of `sql`'s rows for one record (`?1` its id, `?2` its type).
    fn timeline_rows<A: rusqlite::types::FromSql, B: rusqlite::types::FromSql, C: rusqlite::types::FromSql>(
        &self,
        sql: &str,
        ty: &RecordTypeName,
        record: RecordId,
    ) -> Result<Vec<HistoryRow<A, B, C>>> {
        let context = "reading a record's history";
        let mut stmt = self.conn.prepare_cached(sql).context(context)?;
        let rows = stmt
            .query_map(rusqlite::params![record.0, ty.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .context(context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .context(context)?;
        Ok(rows)
    }

    /// (time, text) of the record's enrolments: started, each step done or skipped, ended.
    fn enrolment_events(&self, ty: &RecordTypeName, record: RecordId) -> Result<Vec<(String, String)>> {
        let context = "reading a record's enrolments";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT e.id, e.started_at, e.ended_at, e.end_reason, coalesce(q.name, '#' || e.sequence_id)
                 FROM enrolment e LEFT JOIN sequence q ON q.id = e.sequence_id
                 WHERE e.record_type = ?1 AND e.record_id = ?2 ORDER BY e.id",
            )
            .context(context)?;
        let enrolments = stmt
            .query_map(rusqlite::params![ty.as_str(), record.0], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .context(context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .context(context)?;
        let mut steps = self
            .conn
            .prepare_cached(
                "SELECT at, position, name, outcome FROM enrolment_step WHERE enrolment_id = ?1 ORDER BY id",
            )
            .context(context)?;
        let mut events = Vec::new();
        for (enrolment, started, ended, end_reason, sequence) in enrolments {
            events.push((started, format!("Enrolled in sequence {sequence}")));
            let done = steps
                .query_map([enrolment], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
                })
                .context(context)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .context(context)?;
            for (at, position, name, outcome) in done {
                events.push((at, format!("{sequence}: step {} \"{name}\" {outcome}", position + 1)));
            }
            if let (Some(ended), Some(reason)) = (ended, end_reason) {
                events.push((ended, format!("{sequence}: enrolment ended ({reason})")));
            }
        }
        Ok(events)
    }

    /// Every segment's name by id, all record types.
    fn segment_names(&self) -> Result<HashMap<i64, String>> {
        let context = "reading segment names";
        let mut stmt = self.conn.prepare_cached("SELECT id, name FROM segment").context(context)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .context(context)?
            .collect::<rusqlite::Result<HashMap<_, _>>>()
            .context(context)?;
        Ok(rows)
    }
}

fn seller_name(sellers: &[Seller], id: SellerId) -> String {
    sellers.iter().find(|s| s.id == id).map_or_else(|| format!("seller {}", id.0), |s| s.name.clone())
}

/// The (record type, lookup) of every related-record block in a tree.
fn collect_related(group: &Group, out: &mut Vec<(RecordTypeName, FieldName)>) {
    for child in &group.children {
        match child {
            Node::Group(inner) => collect_related(inner, out),
            Node::Related(block) => {
                out.push((block.record_type.clone(), block.via.clone()));
                collect_related(&block.group, out);
            }
            Node::Segment(_) | Node::Condition(_) => {}
        }
    }
}
