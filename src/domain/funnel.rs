//! The builder's funnel figures of one condition or group: what the engine computes
//! (`engine::funnel`) and the builder shows (`state::builder::funnel`).

/// The figures of one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeFigures {
    /// The records the node matches on its own: of the segment's record type, or, inside
    /// a related-record block, of the block's related type.
    pub alone: usize,
    /// How many more records the whole tree matches without this node: 0 when it narrows
    /// nothing, negative when it widens (a child of an `Any` group, or of a negated group).
    /// `None` for the root and a related block's own group, which cannot be removed.
    pub without: Option<i64>,
}
