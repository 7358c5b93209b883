//! Which records a decision could place, from the sellers' side alone
//! ([`super::Assigner::placeable`]): what lets the retry of stranded records skip those
//! no seller with room could take, without reading them.

use crate::domain::eval::fold;
use crate::domain::schema::{FieldName, RecordTypeDef};
use crate::domain::value::{Record, Value};

/// One way a record could be placed: for each field, the values (folded) one of which
/// the record must hold. Empty: any record.
pub type Way = Vec<(FieldName, Vec<String>)>;

/// Which records a decision could place against a given load, whatever else the rules
/// ask of them (conditions, age): a record it leaves out is left unassigned by every
/// decision at that load, or at any load with less room.
#[derive(Clone, Debug, PartialEq)]
pub enum Placeable {
    /// None: no active rule or default route has a seller in its target who takes
    /// records, has room, is available in time and holds the attribute values asked for.
    Nobody,
    /// Any record, as far as the sellers tell.
    Anyone,
    /// Only a record that holds, in every field of one of these ways, one of its values:
    /// the attribute values ("seller language = the lead's language") of the sellers
    /// who could take it.
    Only(Vec<Way>),
}

impl Placeable {
    /// Whether `record` (of `def`) is among the records this admits, compared as
    /// deciding compares them: a text or choice field whose value folds to one of the
    /// values; any other kind of value matches no seller.
    pub fn admits(&self, def: &RecordTypeDef, record: &Record) -> bool {
        match self {
            Placeable::Nobody => false,
            Placeable::Anyone => true,
            Placeable::Only(ways) => ways.iter().any(|way| {
                way.iter().all(|(field, values)| match def.field_index(field).and_then(|i| record.values.get(i)) {
                    Some(Value::Text(text) | Value::Choice(text)) => values.contains(&fold(text)),
                    _ => false,
                })
            }),
        }
    }
}

/// `ways` with those asking for one field each merged by field (a record holding one of
/// A or one of B holds one of both), then the rest without repeats: the records admitted
/// stay the same.
pub(super) fn merged(ways: Vec<Way>) -> Vec<Way> {
    let mut single: Vec<(FieldName, Vec<String>)> = Vec::new();
    let mut several: Vec<Way> = Vec::new();
    for mut way in ways {
        match way.pop() {
            Some((field, values)) if way.is_empty() => match single.iter_mut().find(|(f, _)| *f == field) {
                Some((_, all)) => all.extend(values),
                None => single.push((field, values)),
            },
            Some(last) => {
                way.push(last);
                if !several.contains(&way) {
                    several.push(way);
                }
            }
            // Asking nothing of the record: any record.
            None => {
                if !several.contains(&way) {
                    several.push(way);
                }
            }
        }
    }
    for (_, values) in &mut single {
        values.sort_unstable();
        values.dedup();
    }
    single.into_iter().map(|entry| vec![entry]).chain(several).collect()
}
