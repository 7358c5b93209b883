//! Running compiled condition trees ([`crate::engine::sql`]) against a record table.

use rusqlite::types::{ToSql, ToSqlOutput, Value as SqlValue};

use super::{Result, SqlContext, Workspace, quote};
use crate::domain::{RecordId, RecordTypeName};
use crate::engine::sql::{CompiledSql, ROOT_ALIAS, SqlParam};

impl Workspace {
    /// The ids of the records of `ty` that `sql` selects, ascending. `sql` must have been
    /// compiled for `ty` with this workspace's schema ([`crate::engine::sql::compile_sql`]).
    pub fn matching_ids(&self, ty: &RecordTypeName, sql: &CompiledSql) -> Result<Vec<RecordId>> {
        let def = self.type_def(ty)?;
        let query = format!(
            "SELECT {ROOT_ALIAS}.\"id\" FROM {} AS {ROOT_ALIAS} WHERE {} ORDER BY {ROOT_ALIAS}.\"id\"",
            quote(ty.as_str()),
            sql.where_sql
        );
        let context = || format!("finding the matching {}", def.plural_label);
        let mut stmt = self.conn.prepare(&query).with_context(context)?;
        let ids = stmt
            .query_map(rusqlite::params_from_iter(&sql.params), |row| row.get(0).map(RecordId))
            .with_context(context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .with_context(context)?;
        Ok(ids)
    }

    /// How many records of `ty` `sql` selects (see [`Workspace::matching_ids`]).
    pub fn count_matching(&self, ty: &RecordTypeName, sql: &CompiledSql) -> Result<u64> {
        let def = self.type_def(ty)?;
        let query = format!("SELECT count(*) FROM {} AS {ROOT_ALIAS} WHERE {}", quote(ty.as_str()), sql.where_sql);
        let count: i64 = self
            .conn
            .query_row(&query, rusqlite::params_from_iter(&sql.params), |row| row.get(0))
            .with_context(|| format!("counting the matching {}", def.plural_label))?;
        Ok(u64::try_from(count).unwrap_or_default())
    }
}

impl ToSql for SqlParam {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            SqlParam::Null => ToSqlOutput::Owned(SqlValue::Null),
            SqlParam::Integer(n) => ToSqlOutput::from(*n),
            SqlParam::Real(x) => ToSqlOutput::from(*x),
            SqlParam::Text(text) => ToSqlOutput::from(text.as_str()),
        })
    }
}
