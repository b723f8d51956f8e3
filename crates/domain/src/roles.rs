//! Roles (what a position is) and the capabilities they grant.

use crate::org::NodeKind;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Director,
    MarketManager,
    AreaManager,
    Kam,
    SalesRep,
    OrderDesk,
    Billing,
    Finance,
    Warehouse,
    Admin,
}

/// What a role may do; the scope (where) comes from the position's place in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    ViewPeople,
    ManagePeople,
    ViewOrg,
    ManageOrg,
    ViewAudit,
    ManageTokens,
    ViewDealers,
    ManageDealers,
    ViewCatalogue,
    ManageCatalogue,
    /// Asking for a change of a dealer's credit limit, payment term, price list or owner (the
    /// change itself goes through the approvals engine).
    ChangeDealerTerms,
    /// Seeing orders (in scope).
    ViewOrders,
    /// Taking, editing, confirming, cancelling and reopening orders.
    EnterOrders,
    /// Seeing a dealer's credit position and asking for temporary credit.
    ViewCredit,
    /// Deciding approval requests assigned to one (or delegated to one).
    Approve,
    /// Receivables and order-to-cash reports (aging, DSO, overdue list, statements, monthly
    /// review), limited to the person's scope.
    ViewReports,
    /// Creating shipments from confirmed orders, shipping them and confirming delivery.
    Ship,
    /// Raising invoices from delivered shipments and recording and allocating payments.
    Bill,
    /// Seeing targets and achievement (in scope) and the scoreboard.
    ViewTargets,
    /// Setting, cascading and submitting targets and plans.
    SetTargets,
    /// Publishing the month's focus (the leadership).
    PublishFocus,
}

/// How far a role's view reaches inside its node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    /// Everything at or below the position's node.
    Subtree,
    /// Only records the person owns (a rep's own customers), inside the node.
    Own,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::Director,
        Role::MarketManager,
        Role::AreaManager,
        Role::Kam,
        Role::SalesRep,
        Role::OrderDesk,
        Role::Billing,
        Role::Finance,
        Role::Warehouse,
        Role::Admin,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Director => "director",
            Role::MarketManager => "market_manager",
            Role::AreaManager => "area_manager",
            Role::Kam => "kam",
            Role::SalesRep => "sales_rep",
            Role::OrderDesk => "order_desk",
            Role::Billing => "billing",
            Role::Finance => "finance",
            Role::Warehouse => "warehouse",
            Role::Admin => "admin",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn scope_kind(self) -> ScopeKind {
        match self {
            Role::Kam | Role::SalesRep => ScopeKind::Own,
            _ => ScopeKind::Subtree,
        }
    }

    /// The node kinds a position of this role may sit at.
    pub fn allowed_node_kinds(self) -> &'static [NodeKind] {
        use NodeKind::*;
        match self {
            Role::Director | Role::Admin => &[Company],
            Role::MarketManager => &[Market],
            Role::AreaManager => &[Area],
            Role::Kam | Role::SalesRep => &[Area, City],
            Role::OrderDesk | Role::Billing | Role::Finance | Role::Warehouse => &[Company, Market],
        }
    }

    pub fn capabilities(self) -> &'static [Capability] {
        use Capability::*;
        match self {
            Role::Admin => &[
                ViewPeople,
                ManagePeople,
                ViewOrg,
                ManageOrg,
                ViewAudit,
                ManageTokens,
                ViewDealers,
                ManageDealers,
                ViewCatalogue,
                ManageCatalogue,
                ChangeDealerTerms,
            ],
            Role::Director => &[
                ViewPeople,
                ViewOrg,
                ViewAudit,
                ViewDealers,
                ViewCatalogue,
                ChangeDealerTerms,
                ViewOrders,
                ViewCredit,
                ViewReports,
                Approve,
                ViewTargets,
                SetTargets,
                PublishFocus,
            ],
            Role::MarketManager => &[
                ViewPeople,
                ViewOrg,
                ViewAudit,
                ViewDealers,
                ManageDealers,
                ChangeDealerTerms,
                ViewCatalogue,
                ViewOrders,
                ViewCredit,
                ViewReports,
                Approve,
                ViewTargets,
                SetTargets,
            ],
            Role::AreaManager => &[
                ViewPeople,
                ViewOrg,
                ViewAudit,
                ViewDealers,
                ManageDealers,
                ChangeDealerTerms,
                ViewCatalogue,
                ViewOrders,
                ViewCredit,
                ViewReports,
                ViewTargets,
                SetTargets,
            ],
            Role::OrderDesk => &[
                ViewPeople,
                ViewOrg,
                ViewDealers,
                ManageDealers,
                ChangeDealerTerms,
                ViewCatalogue,
                ViewOrders,
                EnterOrders,
                ViewCredit,
                ViewReports,
                Ship,
            ],
            Role::Billing | Role::Finance => &[
                ViewPeople,
                ViewOrg,
                ViewDealers,
                ViewCatalogue,
                ViewOrders,
                ViewCredit,
                ViewReports,
                Bill,
            ],
            Role::Warehouse => &[ViewPeople, ViewOrg, ViewCatalogue, ViewOrders, Ship],
            // field staff add prospects they own and file market feedback
            Role::Kam | Role::SalesRep => &[
                ViewOrg,
                ViewDealers,
                ManageDealers,
                ViewCatalogue,
                ViewOrders,
                EnterOrders,
                ViewCredit,
                ViewReports,
                ViewTargets,
            ],
        }
    }

    pub fn can(self, capability: Capability) -> bool {
        self.capabilities().contains(&capability)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Some(role));
        }
        assert_eq!(Role::parse("ceo"), None);
    }

    #[test]
    fn only_admin_manages_people_and_org() {
        for role in Role::ALL {
            assert_eq!(role.can(Capability::ManagePeople), role == Role::Admin);
            assert_eq!(role.can(Capability::ManageOrg), role == Role::Admin);
        }
    }

    #[test]
    fn dealer_capabilities() {
        for role in Role::ALL {
            assert!(role.can(Capability::ViewCatalogue));
            assert_eq!(role.can(Capability::ManageCatalogue), role == Role::Admin);
            assert_eq!(
                role.can(Capability::ChangeDealerTerms),
                matches!(
                    role,
                    Role::Admin
                        | Role::Director
                        | Role::MarketManager
                        | Role::AreaManager
                        | Role::OrderDesk
                )
            );
            assert_eq!(role.can(Capability::ViewDealers), role != Role::Warehouse);
        }
    }

    #[test]
    fn field_staff_see_only_their_own() {
        assert_eq!(Role::SalesRep.scope_kind(), ScopeKind::Own);
        assert_eq!(Role::Kam.scope_kind(), ScopeKind::Own);
        assert_eq!(Role::AreaManager.scope_kind(), ScopeKind::Subtree);
    }
}
