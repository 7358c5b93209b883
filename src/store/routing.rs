//! Each segment's fallback chain after its assignment rules (`domain::assignment::Routing`):
//! "try the next matching rule" and the default route, one row of `segment_routing` per
//! segment that has a chain (no row: no chain). Version 9 added the table, and the `via`
//! column of `assignment` and `assignment_history` that marks what the default route
//! placed (`'default'`; NULL for a rule or a manual assignment, told apart by `rule_id`).

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Transaction};

use super::{Result, SqlContext, StoreError, Workspace};
use crate::domain::assignment::{DefaultRoute, Routing};
use crate::domain::{SegmentChange, SegmentHistoryKind, SegmentId, SellerId, TeamId};

/// The stored `via` of an assignment the default route made.
pub(super) const VIA_DEFAULT: &str = "default";

/// Version 9: the fallback chains, and `via` on assignments. `IF NOT EXISTS` and the column
/// check: tests rebuild older versions by lowering `user_version` of a current file.
pub(super) fn v9_routing(tx: &Transaction<'_>) -> Result<()> {
    let context = "creating the fallback chains of segments";
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS segment_routing (
             segment_id INTEGER PRIMARY KEY,
             try_next_rule INTEGER NOT NULL CHECK (try_next_rule IN (0, 1)),
             default_kind TEXT NOT NULL CHECK (default_kind IN ('none', 'seller', 'team')),
             default_id INTEGER,
             CHECK ((default_kind = 'none') = (default_id IS NULL))
         );",
    )
    .context(context)?;
    for table in ["assignment", "assignment_history"] {
        let has_via: bool = tx
            .query_row(&format!("SELECT count(*) > 0 FROM pragma_table_info('{table}') WHERE name = 'via'"), [], |r| {
                r.get(0)
            })
            .context(context)?;
        if !has_via {
            tx.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN via TEXT CHECK (via IS NULL OR via = 'default')"
            ))
            .context(context)?;
        }
    }
    Ok(())
}

impl Workspace {
    /// A segment's fallback chain (the default, no chain, when none is stored).
    pub fn routing(&self, segment: SegmentId) -> Result<Routing> {
        let row: Option<(bool, String, Option<i64>)> = self
            .conn
            .query_row(
                "SELECT try_next_rule, default_kind, default_id FROM segment_routing WHERE segment_id = ?1",
                [segment.0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .context("reading a segment's fallback chain")?;
        let Some((try_next_rule, kind, id)) = row else { return Ok(Routing::default()) };
        let default = match (kind.as_str(), id) {
            ("none", _) => DefaultRoute::LeaveUnassigned,
            ("seller", Some(id)) => DefaultRoute::Seller(SellerId(id)),
            ("team", Some(id)) => DefaultRoute::Team(TeamId(id)),
            _ => {
                return Err(self.corrupt(format!(
                    "the fallback chain of segment {} has an unknown default \"{kind}\"",
                    segment.0
                )));
            }
        };
        Ok(Routing { try_next_rule, default })
    }

    /// Stores a segment's fallback chain, with an entry in its history when it changed. A
    /// default seller or team must exist.
    pub fn set_routing(&mut self, segment: SegmentId, routing: Routing, now: Timestamp) -> Result<()> {
        self.check_writable()?;
        let stored = self.segment(segment)?;
        let (kind, id) = match routing.default {
            DefaultRoute::LeaveUnassigned => ("none", None),
            DefaultRoute::Seller(seller) => {
                if !self.sellers()?.iter().any(|s| s.id == seller) {
                    return Err(StoreError::Invalid(format!("there is no seller with id {}", seller.0)));
                }
                ("seller", Some(seller.0))
            }
            DefaultRoute::Team(team) => {
                if !self.teams()?.iter().any(|t| t.id == team) {
                    return Err(StoreError::Invalid(format!("there is no team with id {}", team.0)));
                }
                ("team", Some(team.0))
            }
        };
        let context = format!("saving the fallback chain of segment {}", stored.name);
        let tx = self.write_scope().with_context(|| context.clone())?;
        let before = self.routing_text(segment)?;
        self.conn
            .execute(
                "INSERT INTO segment_routing (segment_id, try_next_rule, default_kind, default_id)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (segment_id) DO UPDATE
                 SET try_next_rule = excluded.try_next_rule, default_kind = excluded.default_kind,
                     default_id = excluded.default_id",
                rusqlite::params![segment.0, routing.try_next_rule, kind, id],
            )
            .with_context(|| context.clone())?;
        let after = self.routing_text(segment)?;
        if before != after {
            self.write_history(&stored, &SegmentChange::new(SegmentHistoryKind::Rules, before, after), now)?;
        }
        tx.commit().with_context(|| context.clone())
    }

    /// The chain as a line of history: "When a rule finds no seller: try the next matching
    /// rule; then team North".
    fn routing_text(&self, segment: SegmentId) -> Result<String> {
        let routing = self.routing(segment)?;
        let next = if routing.try_next_rule { "try the next matching rule" } else { "stop" };
        let last = match routing.default {
            DefaultRoute::LeaveUnassigned => "leave the record unassigned".to_owned(),
            DefaultRoute::Seller(id) => format!("seller {}", self.route_name(routing.default, id.0)?),
            DefaultRoute::Team(id) => format!("team {}", self.route_name(routing.default, id.0)?),
        };
        Ok(format!("When a rule finds no seller: {next}; when none places the record: {last}"))
    }

    /// The name of a default route's seller or team, `#id` once it is gone.
    fn route_name(&self, route: DefaultRoute, id: i64) -> Result<String> {
        let name = match route {
            DefaultRoute::Seller(_) => self.sellers()?.into_iter().find(|s| s.id.0 == id).map(|s| s.name),
            DefaultRoute::Team(_) => self.teams()?.into_iter().find(|t| t.id.0 == id).map(|t| t.name),
            DefaultRoute::LeaveUnassigned => None,
        };
        Ok(name.unwrap_or_else(|| format!("#{id}")))
    }

    /// The segments whose default route is `route`, by name: what deleting the seller or
    /// team would strand.
    pub(super) fn segments_routed_to(&self, route: DefaultRoute) -> Result<Vec<String>> {
        let (kind, id) = match route {
            DefaultRoute::LeaveUnassigned => return Ok(Vec::new()),
            DefaultRoute::Seller(seller) => ("seller", seller.0),
            DefaultRoute::Team(team) => ("team", team.0),
        };
        let context = "reading the segments with a default route";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT s.name FROM segment_routing r JOIN segment s ON s.id = r.segment_id
                 WHERE r.default_kind = ?1 AND r.default_id = ?2 ORDER BY s.name",
            )
            .context(context)?;
        let names = stmt
            .query_map(rusqlite::params![kind, id], |r| r.get(0))
            .context(context)?
            .collect::<rusqlite::Result<_>>()
            .context(context)?;
        Ok(names)
    }
}
