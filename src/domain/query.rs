//! How a list of records is asked for (a filter and a sort) and what an import does with
//! rows whose id is already stored. Plain data shared by the store, the workers and the screens.

/// How the Records screen asks for rows: a case-insensitive text filter over the text-like
/// fields, and a sort. Ties (and no sort) order by id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordQuery {
    pub filter: String,
    pub sort: Option<(crate::domain::FieldName, SortDirection)>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortDirection {
    #[default]
    Ascending,
    Descending,
}

/// What an import does with a row whose id is already in the workspace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnExisting {
    #[default]
    Update,
    Skip,
}
