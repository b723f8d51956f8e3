//! The organisation tree: company → market → area → city.
//!
//! Each node stores its materialised path (`/1/4/17/`), so "is this inside that subtree" is a
//! string-prefix test that the database can answer with an index.

use crate::{FieldError, NodeId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Company,
    Market,
    Area,
    City,
}

impl NodeKind {
    pub const ALL: [NodeKind; 4] = [
        NodeKind::Company,
        NodeKind::Market,
        NodeKind::Area,
        NodeKind::City,
    ];

    pub fn code(self) -> &'static str {
        match self {
            NodeKind::Company => "company",
            NodeKind::Market => "market",
            NodeKind::Area => "area",
            NodeKind::City => "city",
        }
    }

    pub fn parse(code: &str) -> Option<NodeKind> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The kind a node of this kind must hang under; `None` for the root.
    pub fn parent_kind(self) -> Option<NodeKind> {
        match self {
            NodeKind::Company => None,
            NodeKind::Market => Some(NodeKind::Company),
            NodeKind::Area => Some(NodeKind::Market),
            NodeKind::City => Some(NodeKind::Area),
        }
    }

    pub fn child_kind(self) -> Option<NodeKind> {
        NodeKind::ALL
            .into_iter()
            .find(|k| k.parent_kind() == Some(self))
    }
}

/// A materialised path such as `/1/4/17/`: the ids from the root down to the node itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrgPath(String);

impl OrgPath {
    pub fn root(id: NodeId) -> Self {
        OrgPath(format!("/{id}/"))
    }

    pub fn child(&self, id: NodeId) -> Self {
        OrgPath(format!("{}{id}/", self.0))
    }

    /// Accepts only well-formed paths (`/` then one or more `digits/`).
    pub fn parse(text: &str) -> Option<Self> {
        let inner = text.strip_prefix('/')?.strip_suffix('/')?;
        if inner.is_empty() {
            return None;
        }
        inner
            .split('/')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| OrgPath(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn ids(&self) -> Vec<NodeId> {
        self.0
            .split('/')
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.parse().ok())
            .map(NodeId)
            .collect()
    }

    pub fn node_id(&self) -> Option<NodeId> {
        self.ids().last().copied()
    }

    pub fn depth(&self) -> usize {
        self.ids().len()
    }

    /// True when `self` is `ancestor` or lies below it.
    pub fn is_within(&self, ancestor: &OrgPath) -> bool {
        self.0.starts_with(&ancestor.0)
    }

    /// The path a descendant gets when its subtree moves from `old_root` to `new_root`.
    pub fn rebase(&self, old_root: &OrgPath, new_root: &OrgPath) -> Option<OrgPath> {
        self.0
            .strip_prefix(&old_root.0)
            .map(|rest| OrgPath(format!("{}{rest}", new_root.0)))
    }
}

impl std::fmt::Display for OrgPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks that `kind` may hang under a parent of `parent_kind`.
pub fn check_parent(kind: NodeKind, parent_kind: Option<NodeKind>) -> Result<(), FieldError> {
    if kind.parent_kind() == parent_kind {
        Ok(())
    } else {
        Err(FieldError::new(
            "org.wrong_parent_kind",
            "parent_id",
            format!(
                "a {} must sit directly under a {}",
                kind.code(),
                kind.parent_kind().map(NodeKind::code).unwrap_or("nothing")
            ),
        ))
    }
}

/// Checks a move of the subtree at `node` under `new_parent`: never into its own subtree, and only
/// under a parent of the right kind.
pub fn check_move(
    node: &OrgPath,
    kind: NodeKind,
    new_parent: &OrgPath,
    new_parent_kind: NodeKind,
) -> Result<(), FieldError> {
    if new_parent.is_within(node) {
        return Err(FieldError::new(
            "org.move_into_own_subtree",
            "parent_id",
            "a node cannot be moved under itself or one of its own descendants",
        ));
    }
    check_parent(kind, Some(new_parent_kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn within_is_prefix_on_whole_segments() {
        let a = OrgPath::parse("/1/4/").expect("valid");
        let inside = OrgPath::parse("/1/4/17/").expect("valid");
        let sibling_with_same_digits = OrgPath::parse("/1/41/").expect("valid");
        assert!(inside.is_within(&a));
        assert!(a.is_within(&a));
        assert!(!sibling_with_same_digits.is_within(&a));
        assert!(!a.is_within(&inside));
    }

    #[test]
    fn parse_rejects_malformed() {
        for bad in ["", "/", "//", "1/", "/1", "/a/", "/1//2/"] {
            assert!(OrgPath::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn kinds_chain_from_company_to_city() {
        assert_eq!(NodeKind::Company.child_kind(), Some(NodeKind::Market));
        assert_eq!(NodeKind::City.child_kind(), None);
        assert!(check_parent(NodeKind::Area, Some(NodeKind::Market)).is_ok());
        assert_eq!(
            check_parent(NodeKind::Area, Some(NodeKind::Company))
                .map_err(|e| e.code)
                .unwrap_err(),
            "org.wrong_parent_kind"
        );
    }

    #[test]
    fn move_into_own_subtree_is_refused() {
        let area = OrgPath::parse("/1/2/5/").expect("valid");
        let city_below = OrgPath::parse("/1/2/5/9/").expect("valid");
        let err = check_move(&area, NodeKind::Area, &city_below, NodeKind::City).unwrap_err();
        assert_eq!(err.code, "org.move_into_own_subtree");
    }

    proptest! {
        #[test]
        fn rebase_keeps_subtree_shape(ids in proptest::collection::vec(1i64..1000, 2..6), new_root in proptest::collection::vec(1001i64..2000, 1..4)) {
            let mut path = OrgPath::root(NodeId(ids[0]));
            for id in &ids[1..] { path = path.child(NodeId(*id)); }
            let old_root = OrgPath::root(NodeId(ids[0])).child(NodeId(ids[1]));
            let mut target = OrgPath::root(NodeId(new_root[0]));
            for id in &new_root[1..] { target = target.child(NodeId(*id)); }
            let new_base = target.child(NodeId(ids[1]));
            let moved = path.rebase(&old_root, &new_base).expect("path is inside the moved subtree");
            prop_assert!(moved.is_within(&new_base));
            prop_assert_eq!(moved.node_id(), path.node_id());
            prop_assert_eq!(moved.depth(), path.depth() - 2 + target.depth() + 1);
            prop_assert!(OrgPath::parse(moved.as_str()).is_some());
        }
    }
}
