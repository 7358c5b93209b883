//! Checks of new record types and fields, as the store would refuse them.

use std::collections::HashSet;

use super::super::definitions::RecordTypeEntry;
use crate::domain::FieldDef;
use crate::domain::FieldKind;
use crate::domain::schema::{RESERVED_TYPE_NAMES, check_logical_name};

/// What is wrong with a new field, as the store would refuse it.
pub(super) fn field_problem(field: &FieldDef, known_types: &HashSet<String>) -> Option<String> {
    if let Err(e) = check_logical_name(field.name.as_str()) {
        return Some(e.to_string());
    }
    if field.label.trim().is_empty() {
        return Some("the label is required".into());
    }
    if field.kind == FieldKind::Choice {
        if field.choices.is_empty() {
            return Some("a choice field needs at least one option".into());
        }
        let mut seen = HashSet::new();
        for option in &field.choices {
            if option.trim().is_empty() {
                return Some("an option is blank".into());
            }
            if !seen.insert(option.as_str()) {
                return Some(format!("the option \"{option}\" appears twice"));
            }
        }
    } else if !field.choices.is_empty() {
        return Some(format!("a {} field has no options", field.kind));
    }
    match (field.kind, &field.lookup_target) {
        (FieldKind::Lookup, None) => Some("a lookup field needs a lookup_target".into()),
        (FieldKind::Lookup, Some(target)) if !known_types.contains(target.as_str()) => {
            Some(format!("the lookup target \"{target}\" is not a record type of the bundle or the workspace"))
        }
        (FieldKind::Lookup, Some(_)) | (_, None) => None,
        (kind, Some(_)) => Some(format!("a {kind} field has no lookup target")),
    }
}

/// What is wrong with a new record type itself (its fields are checked one by one).
pub(super) fn type_problem(entry: &RecordTypeEntry, fields: &[(String, FieldDef)]) -> Option<String> {
    if let Err(e) = check_logical_name(&entry.name) {
        return Some(format!("name: {e}"));
    }
    if RESERVED_TYPE_NAMES.contains(&entry.name.as_str()) {
        return Some("the name is used by the workspace itself".into());
    }
    if entry.label.trim().is_empty() || entry.plural_label.trim().is_empty() {
        return Some("the label and plural label are required".into());
    }
    if entry.fields.is_empty() {
        return Some("a record type needs at least one field".into());
    }
    match fields.iter().find(|(_, f)| f.name.as_str() == entry.primary_field) {
        Some((_, f)) if f.kind == FieldKind::Text => None,
        Some((_, f)) => Some(format!("the primary field {} must be a text field, not {}", f.name, f.kind)),
        None => Some(format!("the primary field \"{}\" is not one of its fields", entry.primary_field)),
    }
}
