//! Record types and their fields: the dynamic schema of a workspace.
//!
//! A record type's `name` is also the name of its SQLite table and a field's `name` the name
//! of its column, so both are restricted to `[a-z][a-z0-9_]*` and never change once created.
//! Labels are what users see and may change freely.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The logical name of a record type (`lead`, `account`, a custom `project`…).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordTypeName(pub String);

/// The logical name of a field within its record type (`country`, `estimated_value`…).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FieldName(pub String);

impl RecordTypeName {
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FieldName {
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RecordTypeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Names that record types may not take: the workspace's own tables.
pub const RESERVED_TYPE_NAMES: &[&str] = &[
    "record_type",
    "field",
    "field_choice",
    "setting",
    "seller",
    "seller_attribute",
    "attribute_definition",
    "attribute_value",
    "work_hours",
    "time_off",
    "team",
    "team_member",
    "segment",
    "segment_history",
    "sequence",
    "sequence_step",
    "membership",
    "membership_history",
    "enrolment",
    "enrolment_step",
    "assignment_rule",
    "assignment",
    "assignment_history",
    "unassigned",
    "pending_evaluation",
    "change_log",
    "change_log_horizon",
    "workspace_identity",
];

/// Why a logical name cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the name is empty")]
    Empty,
    #[error("the name is longer than 40 characters")]
    TooLong,
    #[error("the name must start with a lowercase letter a–z")]
    BadStart,
    #[error("the name may only contain lowercase letters a–z, digits and _ (found {0:?})")]
    BadChar(char),
    #[error("\"{0}\" is reserved by the workspace")]
    Reserved(String),
}

/// Checks a logical name (record type or field): `[a-z][a-z0-9_]{0,39}`, not `sqlite_…`.
pub fn check_logical_name(name: &str) -> Result<(), NameError> {
    let mut chars = name.chars();
    let first = chars.next().ok_or(NameError::Empty)?;
    if name.chars().count() > 40 {
        return Err(NameError::TooLong);
    }
    if !first.is_ascii_lowercase() {
        return Err(NameError::BadStart);
    }
    if let Some(bad) = chars.find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')) {
        return Err(NameError::BadChar(bad));
    }
    if name.starts_with("sqlite_") || name == "id" {
        return Err(NameError::Reserved(name.to_owned()));
    }
    Ok(())
}

/// Turns a label such as "Preferred language" into a logical name (`preferred_language`).
pub fn logical_name_from_label(label: &str) -> String {
    let mut out = String::new();
    for c in label.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        out.insert(0, 'f');
    }
    out.truncate(40);
    out
}

/// The kind of a field. Decides its column type, its value editor and its operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FieldKind {
    Text,
    WholeNumber,
    Decimal,
    Money,
    Date,
    DateTime,
    YesNo,
    Choice,
    Lookup,
    Owner,
}

impl FieldKind {
    pub const ALL: [FieldKind; 10] = [
        FieldKind::Text,
        FieldKind::WholeNumber,
        FieldKind::Decimal,
        FieldKind::Money,
        FieldKind::Date,
        FieldKind::DateTime,
        FieldKind::YesNo,
        FieldKind::Choice,
        FieldKind::Lookup,
        FieldKind::Owner,
    ];

    /// The stable key stored in the workspace (`field.kind`).
    pub fn key(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::WholeNumber => "whole_number",
            FieldKind::Decimal => "decimal",
            FieldKind::Money => "money",
            FieldKind::Date => "date",
            FieldKind::DateTime => "date_time",
            FieldKind::YesNo => "yes_no",
            FieldKind::Choice => "choice",
            FieldKind::Lookup => "lookup",
            FieldKind::Owner => "owner",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.key() == key)
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, FieldKind::WholeNumber | FieldKind::Decimal | FieldKind::Money)
    }

    pub fn is_temporal(self) -> bool {
        matches!(self, FieldKind::Date | FieldKind::DateTime)
    }
}

impl fmt::Display for FieldKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FieldKind::Text => "Text",
            FieldKind::WholeNumber => "Whole number",
            FieldKind::Decimal => "Decimal",
            FieldKind::Money => "Money",
            FieldKind::Date => "Date",
            FieldKind::DateTime => "Date and time",
            FieldKind::YesNo => "Yes/No",
            FieldKind::Choice => "Choice",
            FieldKind::Lookup => "Lookup",
            FieldKind::Owner => "Owner",
        })
    }
}

/// One field of a record type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    pub name: FieldName,
    pub label: String,
    pub kind: FieldKind,
    /// The options of a `Choice` field, in display order. Empty for other kinds.
    #[serde(default)]
    pub choices: Vec<String>,
    /// The record type a `Lookup` field points at. `None` for other kinds.
    #[serde(default)]
    pub lookup_target: Option<RecordTypeName>,
    /// Built-in fields cannot be removed.
    #[serde(default)]
    pub built_in: bool,
}

impl FieldDef {
    pub fn new(name: &str, label: &str, kind: FieldKind) -> Self {
        Self {
            name: FieldName::new(name),
            label: label.to_owned(),
            kind,
            choices: Vec::new(),
            lookup_target: None,
            built_in: false,
        }
    }

    pub fn choice(name: &str, label: &str, options: &[&str]) -> Self {
        Self { choices: options.iter().map(|o| (*o).to_owned()).collect(), ..Self::new(name, label, FieldKind::Choice) }
    }

    pub fn lookup(name: &str, label: &str, target: &str) -> Self {
        Self { lookup_target: Some(RecordTypeName::new(target)), ..Self::new(name, label, FieldKind::Lookup) }
    }

    #[must_use]
    pub fn built_in(mut self) -> Self {
        self.built_in = true;
        self
    }
}

/// A record type with its ordered fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordTypeDef {
    pub name: RecordTypeName,
    /// Singular label: "Lead".
    pub label: String,
    /// Plural label: "Leads".
    pub plural_label: String,
    /// The field shown as the record's title (a lead's topic, an account's name).
    pub primary_field: FieldName,
    pub fields: Vec<FieldDef>,
    #[serde(default)]
    pub built_in: bool,
}

impl RecordTypeDef {
    pub fn field(&self, name: &FieldName) -> Option<&FieldDef> {
        self.fields.iter().find(|f| &f.name == name)
    }

    pub fn field_by_str(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name.as_str() == name)
    }

    /// Position of a field in `fields`, which is also its position in `Record::values`.
    pub fn field_index(&self, name: &FieldName) -> Option<usize> {
        self.fields.iter().position(|f| &f.name == name)
    }

    pub fn primary_index(&self) -> Option<usize> {
        self.field_index(&self.primary_field)
    }
}

/// All record types of a workspace, in display order (built-ins first).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub types: Vec<RecordTypeDef>,
}

impl Schema {
    pub fn get(&self, name: &RecordTypeName) -> Option<&RecordTypeDef> {
        self.types.iter().find(|t| &t.name == name)
    }

    pub fn get_by_str(&self, name: &str) -> Option<&RecordTypeDef> {
        self.types.iter().find(|t| t.name.as_str() == name)
    }

    /// The lookup fields of other (or the same) types that point at `target`: the ways a
    /// related-record block can reach `target` ("opportunities whose account is this one").
    pub fn lookups_into<'a>(
        &'a self,
        target: &'a RecordTypeName,
    ) -> impl Iterator<Item = (&'a RecordTypeDef, &'a FieldDef)> + 'a {
        self.types.iter().flat_map(move |t| {
            t.fields.iter().filter(move |f| f.lookup_target.as_ref() == Some(target)).map(move |f| (t, f))
        })
    }

    /// The four built-in record types every workspace starts with.
    pub fn built_in() -> Self {
        use FieldKind as K;
        let f = |name: &str, label: &str, kind: FieldKind| FieldDef::new(name, label, kind).built_in();
        let choice = |name: &str, label: &str, options: &[&str]| FieldDef::choice(name, label, options).built_in();
        let lookup = |name: &str, label: &str, target: &str| FieldDef::lookup(name, label, target).built_in();
        let industries = INDUSTRIES;
        let ratings = &["Hot", "Warm", "Cold"];

        let account = RecordTypeDef {
            name: RecordTypeName::new("account"),
            label: "Account".into(),
            plural_label: "Accounts".into(),
            primary_field: FieldName::new("name"),
            built_in: true,
            fields: vec![
                f("name", "Account name", K::Text),
                choice(
                    "account_type",
                    "Relationship type",
                    &["Prospect", "Customer", "Partner", "Competitor", "Reseller"],
                ),
                choice("industry", "Industry", industries),
                f("website", "Website", K::Text),
                f("phone", "Main phone", K::Text),
                f("email", "Email", K::Text),
                f("country", "Country", K::Text),
                f("city", "City", K::Text),
                f("employee_count", "Number of employees", K::WholeNumber),
                f("annual_revenue", "Annual revenue", K::Money),
                lookup("parent_account", "Parent account", "account"),
                f("owner", "Owner", K::Owner),
                f("created_on", "Created on", K::DateTime),
            ],
        };
        let contact = RecordTypeDef {
            name: RecordTypeName::new("contact"),
            label: "Contact".into(),
            plural_label: "Contacts".into(),
            primary_field: FieldName::new("full_name"),
            built_in: true,
            fields: vec![
                f("full_name", "Full name", K::Text),
                f("first_name", "First name", K::Text),
                f("last_name", "Last name", K::Text),
                f("email", "Email", K::Text),
                f("phone", "Business phone", K::Text),
                f("job_title", "Job title", K::Text),
                lookup("account", "Account", "account"),
                f("country", "Country", K::Text),
                f("city", "City", K::Text),
                f("language", "Preferred language", K::Text),
                choice("preferred_contact_method", "Preferred method of contact", &["Any", "Email", "Phone", "Mail"]),
                f("do_not_email", "Do not email", K::YesNo),
                f("birthday", "Birthday", K::Date),
                f("owner", "Owner", K::Owner),
                f("created_on", "Created on", K::DateTime),
            ],
        };
        let lead = RecordTypeDef {
            name: RecordTypeName::new("lead"),
            label: "Lead".into(),
            plural_label: "Leads".into(),
            primary_field: FieldName::new("topic"),
            built_in: true,
            fields: vec![
                f("topic", "Topic", K::Text),
                f("first_name", "First name", K::Text),
                f("last_name", "Last name", K::Text),
                f("email", "Email", K::Text),
                f("phone", "Business phone", K::Text),
                f("company", "Company name", K::Text),
                f("job_title", "Job title", K::Text),
                f("country", "Country", K::Text),
                f("city", "City", K::Text),
                f("language", "Preferred language", K::Text),
                choice("industry", "Industry", industries),
                choice("lead_source", "Lead source", LEAD_SOURCES),
                choice("status", "Status", &["New", "Contacted", "Qualified", "Disqualified"]),
                choice("rating", "Rating", ratings),
                choice("product_interest", "Product interest", PRODUCT_LINES),
                f("estimated_value", "Estimated value", K::Money),
                f("employee_count", "Number of employees", K::WholeNumber),
                f("annual_revenue", "Annual revenue", K::Money),
                f("score", "Lead score", K::WholeNumber),
                f("qualified", "Qualified", K::YesNo),
                f("created_on", "Created on", K::DateTime),
                f("last_activity_on", "Last activity on", K::DateTime),
                f("owner", "Owner", K::Owner),
                lookup("account", "Account", "account"),
            ],
        };
        let opportunity = RecordTypeDef {
            name: RecordTypeName::new("opportunity"),
            label: "Opportunity".into(),
            plural_label: "Opportunities".into(),
            primary_field: FieldName::new("topic"),
            built_in: true,
            fields: vec![
                f("topic", "Topic", K::Text),
                lookup("account", "Account", "account"),
                lookup("contact", "Contact", "contact"),
                f("estimated_value", "Estimated revenue", K::Money),
                f("probability", "Probability (%)", K::WholeNumber),
                choice("stage", "Sales stage", &["Qualify", "Develop", "Propose", "Close"]),
                choice("status", "Status", &["Open", "Won", "Lost"]),
                choice("rating", "Rating", ratings),
                choice("product_line", "Product line", PRODUCT_LINES),
                f("estimated_close_date", "Estimated close date", K::Date),
                f("discount", "Discount (%)", K::Decimal),
                f("owner", "Owner", K::Owner),
                f("created_on", "Created on", K::DateTime),
                f("last_activity_on", "Last activity on", K::DateTime),
            ],
        };
        // Lookup targets come before the types that point at them, so tables can be created
        // in this order with their foreign keys.
        Self { types: vec![lead, opportunity, contact, account] }
    }

    /// The types in an order where every lookup target precedes the types that use it
    /// (self-references aside). Used to create tables with foreign keys.
    pub fn creation_order(&self) -> Vec<&RecordTypeDef> {
        let mut done: Vec<&RecordTypeDef> = Vec::new();
        let mut pending: Vec<&RecordTypeDef> = self.types.iter().collect();
        while !pending.is_empty() {
            let before = pending.len();
            pending.retain(|t| {
                let ready = t.fields.iter().filter_map(|f| f.lookup_target.as_ref()).all(|target| {
                    target == &t.name || done.iter().any(|d| &d.name == target) || self.get(target).is_none()
                });
                if ready {
                    done.push(t);
                }
                !ready
            });
            if pending.len() == before {
                // A cycle between types: create the rest in declaration order.
                done.append(&mut pending);
            }
        }
        done
    }
}

pub const INDUSTRIES: &[&str] = &[
    "Software",
    "Manufacturing",
    "Retail",
    "Financial services",
    "Healthcare",
    "Education",
    "Government",
    "Telecommunications",
    "Energy",
    "Consulting",
    "Transportation",
    "Hospitality",
];

pub const LEAD_SOURCES: &[&str] =
    &["Web", "Advertisement", "Trade show", "Employee referral", "Partner", "Word of mouth", "Other"];

pub const PRODUCT_LINES: &[&str] =
    &["Analytics", "Cloud platform", "Security", "Collaboration", "Hardware", "Services"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_names() {
        assert_eq!(check_logical_name("lead"), Ok(()));
        assert_eq!(check_logical_name("x_1"), Ok(()));
        assert_eq!(check_logical_name(""), Err(NameError::Empty));
        assert_eq!(check_logical_name("1a"), Err(NameError::BadStart));
        assert_eq!(check_logical_name("a-b"), Err(NameError::BadChar('-')));
        assert!(matches!(check_logical_name("sqlite_master"), Err(NameError::Reserved(_))));
        assert_eq!(logical_name_from_label(" Preferred  language! "), "preferred_language");
        assert_eq!(logical_name_from_label("2nd phone"), "f2nd_phone");
    }

    #[test]
    fn built_in_schema_is_consistent() {
        let schema = Schema::built_in();
        for t in &schema.types {
            assert_eq!(check_logical_name(t.name.as_str()), Ok(()), "{}", t.name);
            assert!(t.field(&t.primary_field).is_some(), "{} has no primary field", t.name);
            for f in &t.fields {
                assert_eq!(check_logical_name(f.name.as_str()), Ok(()), "{}.{}", t.name, f.name);
                assert_eq!(f.kind == FieldKind::Choice, !f.choices.is_empty(), "{}.{}", t.name, f.name);
                assert_eq!(f.kind == FieldKind::Lookup, f.lookup_target.is_some(), "{}.{}", t.name, f.name);
                if let Some(target) = &f.lookup_target {
                    assert!(schema.get(target).is_some());
                }
            }
        }
        let order: Vec<_> = schema.creation_order().iter().map(|t| t.name.as_str()).collect();
        assert_eq!(order, ["account", "lead", "contact", "opportunity"]);
    }
}
