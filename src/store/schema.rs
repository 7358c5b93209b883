//! The schema of record types as stored in `record_type`, `field` and `field_choice`,
//! custom record types and fields, and the workspace settings.

use std::collections::HashSet;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use super::migrate::{self, DEFAULT_TIME_ZONE};
use super::{Result, SqlContext, StoreError, Workspace, quote};
use crate::domain::schema::{RESERVED_TYPE_NAMES, check_logical_name};
use crate::domain::{FieldDef, FieldKind, FieldName, RecordTypeDef, RecordTypeName, Schema};

impl Workspace {
    /// Sets the workspace time zone; `tz` must be an IANA name jiff knows ("Europe/Berlin").
    pub fn set_time_zone(&mut self, tz: &str) -> Result<()> {
        self.check_writable()?;
        jiff::tz::TimeZone::get(tz)
            .map_err(|e| StoreError::Invalid(format!("time zone \"{tz}\" is not a known IANA time zone ({e})")))?;
        self.conn
            .execute(
                "INSERT INTO setting (key, value) VALUES ('time_zone', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [tz],
            )
            .context("saving the time zone")?;
        tz.clone_into(&mut self.time_zone);
        Ok(())
    }

    /// Adds a custom record type with its own table. The type and its fields are stored as
    /// custom (`built_in` is cleared). Checked: the name (`check_logical_name`, not reserved,
    /// not taken), labels, at least one field, a text primary field, and every field as in
    /// [`Workspace::add_field`]. Lookups may point at the type itself.
    pub fn add_record_type(&mut self, mut def: RecordTypeDef) -> Result<()> {
        self.check_writable()?;
        def.built_in = false;
        for field in &mut def.fields {
            field.built_in = false;
        }
        self.check_new_type(&def)?;
        let tx = self.write_scope().context("starting to add a record type")?;
        migrate::insert_type_metadata(&tx, &def, self.schema.types.len())?;
        migrate::create_type_table(&tx, &def)?;
        super::changes::create_record_triggers(&tx, def.name.as_str())?;
        tx.commit().with_context(|| format!("adding record type {}", def.name))?;
        self.schema.types.push(def);
        Ok(())
    }

    /// Adds a custom field (a new column; existing records get an empty value) at the end of
    /// the type's fields. Checked: the name (`check_logical_name`, unique in the type), the
    /// label, a choice field's options (at least one, no duplicates, none blank) and a lookup's
    /// target (an existing record type).
    pub fn add_field(&mut self, ty: &RecordTypeName, mut field: FieldDef) -> Result<()> {
        self.check_writable()?;
        field.built_in = false;
        let def = self.type_def(ty)?;
        let taken: HashSet<&str> = def.fields.iter().map(|f| f.name.as_str()).collect();
        check_field(&self.schema, ty, &field, &taken)?;
        let position = def.fields.len();
        let tx = self.write_scope().context("starting to add a field")?;
        tx.execute_batch(&format!("ALTER TABLE {} ADD COLUMN {}", quote(ty.as_str()), migrate::column_sql(&field)))
            .with_context(|| format!("adding column {}.{}", ty, field.name))?;
        let def = self.type_def(ty)?;
        migrate::create_reference_index(&tx, def, &field)?;
        migrate::insert_field_metadata(&tx, def, &field, position)?;
        tx.commit().with_context(|| format!("adding field {}.{}", ty, field.name))?;
        if let Some(def) = self.schema.types.iter_mut().find(|t| &t.name == ty) {
            def.fields.push(field);
        }
        Ok(())
    }

    fn check_new_type(&self, def: &RecordTypeDef) -> Result<()> {
        let name = def.name.as_str();
        check_logical_name(name).map_err(|e| StoreError::Invalid(format!("record type name \"{name}\": {e}")))?;
        if RESERVED_TYPE_NAMES.contains(&name) {
            return Err(StoreError::Invalid(format!(
                "record type name \"{name}\": the name is used by the workspace itself"
            )));
        }
        if self.schema.get(&def.name).is_some() {
            return Err(StoreError::Invalid(format!(
                "record type name \"{name}\": a record type has that name already"
            )));
        }
        let clash: Option<String> = self
            .conn
            .query_row("SELECT type FROM sqlite_master WHERE lower(name) = lower(?1)", [name], |r| r.get(0))
            .optional()
            .context("checking table names")?;
        if let Some(kind) = clash {
            return Err(StoreError::Invalid(format!(
                "record type name \"{name}\": the workspace has a {kind} of that name already"
            )));
        }
        if def.label.trim().is_empty() || def.plural_label.trim().is_empty() {
            return Err(StoreError::Invalid(format!("record type {name}: the label and plural label are required")));
        }
        if def.fields.is_empty() {
            return Err(StoreError::Invalid(format!("record type {name}: it needs at least one field")));
        }
        let mut taken = HashSet::new();
        // The type's own lookups may point at itself: check against a schema that has it.
        let mut with_self = self.schema.clone();
        with_self.types.push(RecordTypeDef { fields: Vec::new(), ..def.clone() });
        for field in &def.fields {
            check_field(&with_self, &def.name, field, &taken)?;
            taken.insert(field.name.as_str());
        }
        match def.field(&def.primary_field) {
            Some(primary) if primary.kind == FieldKind::Text => Ok(()),
            Some(primary) => Err(StoreError::Invalid(format!(
                "record type {name}: the primary field {} must be a Text field, not {}",
                primary.name, primary.kind
            ))),
            None => Err(StoreError::Invalid(format!(
                "record type {name}: the primary field \"{}\" is not one of its fields",
                def.primary_field
            ))),
        }
    }
}

/// Checks a new field of `ty` against the schema and the names already taken in the type.
fn check_field(schema: &Schema, ty: &RecordTypeName, field: &FieldDef, taken: &HashSet<&str>) -> Result<()> {
    let name = field.name.as_str();
    let invalid = |message: String| Err(StoreError::Invalid(format!("field {ty}.{name}: {message}")));
    if let Err(e) = check_logical_name(name) {
        return invalid(e.to_string());
    }
    if taken.contains(name) {
        return invalid("the record type has a field of that name already".into());
    }
    if field.label.trim().is_empty() {
        return invalid("the label is required".into());
    }
    if field.kind == FieldKind::Choice {
        if field.choices.is_empty() {
            return invalid("a choice field needs at least one option".into());
        }
        let mut seen = HashSet::new();
        for option in &field.choices {
            if option.trim().is_empty() {
                return invalid("an option is blank".into());
            }
            if !seen.insert(option.as_str()) {
                return invalid(format!("the option \"{option}\" appears twice"));
            }
        }
    } else if !field.choices.is_empty() {
        return invalid(format!("a {} field has no options", field.kind));
    }
    match (field.kind, &field.lookup_target) {
        (FieldKind::Lookup, None) => invalid("a lookup field needs a target record type".into()),
        (FieldKind::Lookup, Some(target)) if schema.get(target).is_none() => {
            invalid(format!("the lookup target \"{target}\" is not a record type"))
        }
        (FieldKind::Lookup, Some(_)) | (_, None) => Ok(()),
        (kind, Some(_)) => invalid(format!("a {kind} field has no lookup target")),
    }
}

/// Loads the schema and the time zone, checking that every described table and column
/// exists. `path` only names the file in errors.
pub(super) fn load(conn: &Connection, path: &Path) -> Result<(Schema, String)> {
    let corrupt = |detail: String| StoreError::Corrupt { path: path.to_owned(), detail };
    let mut types_stmt = conn
        .prepare("SELECT name, label, plural_label, primary_field, built_in FROM record_type ORDER BY position, name")
        .context("reading record types")?;
    let mut fields_stmt = conn
        .prepare(
            "SELECT name, label, kind, lookup_target, built_in FROM field WHERE record_type = ?1 ORDER BY position, name",
        )
        .context("reading fields")?;
    let mut choices_stmt = conn
        .prepare("SELECT label FROM field_choice WHERE record_type = ?1 AND field = ?2 ORDER BY position")
        .context("reading field options")?;
    let mut columns_stmt = conn.prepare("SELECT name FROM pragma_table_info(?1)").context("reading columns")?;

    let rows = types_stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?, r.get::<_, bool>(4)?))
        })
        .context("reading record types")?
        .collect::<rusqlite::Result<Vec<(String, String, String, String, bool)>>>()
        .context("reading record types")?;
    let mut schema = Schema::default();
    for (name, label, plural_label, primary_field, built_in) in rows {
        check_logical_name(&name).map_err(|e| corrupt(format!("record type \"{name}\": {e}")))?;
        let field_rows = fields_stmt
            .query_map([&name], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, bool>(4)?,
                ))
            })
            .with_context(|| format!("reading the fields of {name}"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .with_context(|| format!("reading the fields of {name}"))?;
        let columns = columns_stmt
            .query_map([&name], |r| r.get::<_, String>(0))
            .with_context(|| format!("reading the columns of {name}"))?
            .collect::<rusqlite::Result<HashSet<String>>>()
            .with_context(|| format!("reading the columns of {name}"))?;
        if !columns.contains("id") {
            return Err(corrupt(format!("record type {name} has no table with an id column")));
        }
        let mut fields = Vec::with_capacity(field_rows.len());
        for (field_name, field_label, kind, lookup_target, field_built_in) in field_rows {
            check_logical_name(&field_name).map_err(|e| corrupt(format!("field {name}.{field_name}: {e}")))?;
            let kind = FieldKind::from_key(&kind)
                .ok_or_else(|| corrupt(format!("field {name}.{field_name}: unknown kind \"{kind}\"")))?;
            if !columns.contains(&field_name) {
                return Err(corrupt(format!("table {name} has no column {field_name}")));
            }
            let choices = choices_stmt
                .query_map([&name, &field_name], |r| r.get::<_, String>(0))
                .with_context(|| format!("reading the options of {name}.{field_name}"))?
                .collect::<rusqlite::Result<Vec<String>>>()
                .with_context(|| format!("reading the options of {name}.{field_name}"))?;
            if kind == FieldKind::Lookup && lookup_target.is_none() {
                return Err(corrupt(format!("lookup field {name}.{field_name} has no target")));
            }
            fields.push(FieldDef {
                name: FieldName::new(field_name),
                label: field_label,
                kind,
                choices,
                lookup_target: lookup_target.map(RecordTypeName::new),
                built_in: field_built_in,
            });
        }
        let def = RecordTypeDef {
            name: RecordTypeName::new(name),
            label,
            plural_label,
            primary_field: FieldName::new(primary_field),
            fields,
            built_in,
        };
        if def.primary_index().is_none() {
            return Err(corrupt(format!(
                "record type {}: the primary field {} does not exist",
                def.name, def.primary_field
            )));
        }
        schema.types.push(def);
    }
    for def in &schema.types {
        for field in &def.fields {
            if let Some(target) = &field.lookup_target
                && schema.get(target).is_none()
            {
                return Err(corrupt(format!(
                    "lookup field {}.{} points at unknown type {target}",
                    def.name, field.name
                )));
            }
        }
    }

    let time_zone: Option<String> = conn
        .query_row("SELECT value FROM setting WHERE key = 'time_zone'", [], |r| r.get(0))
        .optional()
        .context("reading the time zone")?;
    let time_zone = time_zone.unwrap_or_else(|| DEFAULT_TIME_ZONE.to_owned());
    if jiff::tz::TimeZone::get(&time_zone).is_err() {
        return Err(corrupt(format!("the time zone setting \"{time_zone}\" is not a known time zone")));
    }
    Ok((schema, time_zone))
}
