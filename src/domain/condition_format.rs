//! The persisted, human-readable form of a condition tree (RON), versioned.
//!
//! FIRST CUT: serializes the domain types inside a version envelope. To be replaced by a
//! dedicated versioned DTO so the domain types can change while old files keep loading.

use serde::{Deserialize, Serialize};

use super::condition::Group;

/// The version written by this build.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FormatError {
    #[error("conditions: {0}")]
    Syntax(String),
    #[error("conditions: format version {found} is newer than this app reads ({supported})")]
    Newer { found: u32, supported: u32 },
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    version: u32,
    root: Group,
}

pub fn to_ron(root: &Group) -> String {
    let envelope = Envelope { version: FORMAT_VERSION, root: root.clone() };
    ron::ser::to_string_pretty(&envelope, ron::ser::PrettyConfig::default())
        .unwrap_or_else(|e| unreachable!("condition trees always serialize: {e}"))
}

pub fn from_ron(text: &str) -> Result<Group, FormatError> {
    #[derive(Deserialize)]
    struct Version {
        version: u32,
    }
    let version: Version = ron::from_str(text).map_err(|e| FormatError::Syntax(e.to_string()))?;
    if version.version > FORMAT_VERSION {
        return Err(FormatError::Newer { found: version.version, supported: FORMAT_VERSION });
    }
    let envelope: Envelope = ron::from_str(text).map_err(|e| FormatError::Syntax(e.to_string()))?;
    Ok(envelope.root)
}
