//! Segment conditions in SQL: "is in segment X" is `EXISTS` over the store's `membership`
//! table, "is not in" its `NOT`, "matches the conditions of X" is X's tree inlined over the
//! record (or over the record its lookups reach, inside an `EXISTS` that joins them, so an
//! empty or dangling link gives no row: false). The meaning is `domain::eval`'s.

use super::{Compiler, FALSE, Joins, SqlParam};
use crate::domain::schema::RecordTypeDef;
use crate::domain::{SegmentCondition, SegmentTest};

impl<'a> Compiler<'a> {
    pub(super) fn segment(
        &mut self,
        ty: &'a RecordTypeDef,
        alias: &str,
        node: &SegmentCondition,
        depth: usize,
    ) -> String {
        let definitions = self.definitions;
        let Some(definition) = definitions.get(node.segment) else { return FALSE.to_owned() };
        let Some(joins) = self.lookup_joins(ty, alias, &node.via) else { return FALSE.to_owned() };
        let Joins { from, link, last, reached: current } = joins;
        if current.name != definition.record_type {
            return FALSE.to_owned();
        }
        let test = match node.test {
            SegmentTest::InSegment | SegmentTest::NotInSegment => {
                let member = self.alias("m");
                let record_type = self.bind(SqlParam::Text(current.name.to_string()));
                let segment = self.bind(SqlParam::Integer(node.segment.0));
                format!(
                    "EXISTS (SELECT 1 FROM \"membership\" AS {member} WHERE {member}.\"record_type\" = {record_type} \
                     AND {member}.\"record_id\" = {last}.\"id\" AND {member}.\"segment_id\" = {segment})"
                )
            }
            SegmentTest::MatchesConditions => {
                if self.expanding.contains(&node.segment) {
                    return FALSE.to_owned();
                }
                self.expanding.push(node.segment);
                let tree = self.group(current, &last, &definition.conditions, depth + node.via.len() + 1);
                self.expanding.pop();
                tree
            }
        };
        let holds =
            if node.via.is_empty() { test } else { format!("EXISTS (SELECT 1 FROM {from} WHERE {link} AND {test})") };
        if node.test == SegmentTest::NotInSegment { format!("NOT ({holds})") } else { holds }
    }
}
