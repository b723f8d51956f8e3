//! The core permission rule: a person sees and acts on their own part of the organisation only.

use crate::org::OrgPath;
use crate::roles::{Role, ScopeKind};
use crate::PersonId;
use serde::Serialize;

/// Where a signed-in person's view reaches, as of now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    /// Every record at or below this node.
    Subtree { path: OrgPath },
    /// Only records this person owns (and the person's own record).
    Own { person: PersonId, path: OrgPath },
    /// A person with no current position sees no business data at all.
    Nothing,
}

impl Scope {
    pub fn for_position(person: PersonId, role: Role, node_path: OrgPath) -> Scope {
        match role.scope_kind() {
            ScopeKind::Subtree => Scope::Subtree { path: node_path },
            ScopeKind::Own => Scope::Own {
                person,
                path: node_path,
            },
        }
    }

    /// Whether a record that sits at `record_path`, owned by `owner`, is visible.
    pub fn admits(&self, record_path: &OrgPath, owner: Option<PersonId>) -> bool {
        match self {
            Scope::Subtree { path } => record_path.is_within(path),
            Scope::Own { person, .. } => owner == Some(*person),
            Scope::Nothing => false,
        }
    }

    /// Whether an organisation node itself is visible: the subtree for managers; for field staff
    /// the node they work in and the nodes above it (so they can see where they stand).
    pub fn admits_node(&self, node_path: &OrgPath) -> bool {
        match self {
            Scope::Subtree { path } => node_path.is_within(path),
            Scope::Own { path, .. } => path.is_within(node_path),
            Scope::Nothing => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NodeId;
    use proptest::prelude::*;

    fn path(ids: &[i64]) -> OrgPath {
        let mut p = OrgPath::root(NodeId(ids[0]));
        for id in &ids[1..] {
            p = p.child(NodeId(*id));
        }
        p
    }

    #[test]
    fn rep_sees_only_own_records() {
        let scope = Scope::for_position(PersonId(7), Role::SalesRep, path(&[1, 2, 3]));
        assert!(scope.admits(&path(&[1, 2, 3]), Some(PersonId(7))));
        assert!(!scope.admits(&path(&[1, 2, 3]), Some(PersonId(8))));
        assert!(!scope.admits(&path(&[1, 2, 3]), None));
    }

    #[test]
    fn manager_sees_subtree_not_siblings() {
        let scope = Scope::for_position(PersonId(1), Role::MarketManager, path(&[1, 2]));
        assert!(scope.admits(&path(&[1, 2, 9, 10]), None));
        assert!(!scope.admits(&path(&[1, 3]), None));
        assert!(!scope.admits(&path(&[1]), None));
        assert!(scope.admits_node(&path(&[1, 2])));
        assert!(!scope.admits_node(&path(&[1])));
    }

    #[test]
    fn nothing_admits_nothing() {
        assert!(!Scope::Nothing.admits(&path(&[1]), Some(PersonId(1))));
        assert!(!Scope::Nothing.admits_node(&path(&[1])));
    }

    proptest! {
        /// A subtree scope admits exactly the records whose path starts with the scope's path
        /// segments, whatever the ids look like (no "/1/4" matching "/1/41").
        #[test]
        fn subtree_admits_iff_ancestor(scope_ids in proptest::collection::vec(1i64..60, 1..4), rec_ids in proptest::collection::vec(1i64..60, 1..6)) {
            let scope = Scope::Subtree { path: path(&scope_ids) };
            let expected = rec_ids.len() >= scope_ids.len() && rec_ids[..scope_ids.len()] == scope_ids[..];
            prop_assert_eq!(scope.admits(&path(&rec_ids), None), expected);
        }
    }
}
