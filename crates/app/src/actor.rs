use crate::AppError;
use salesos_domain::org::OrgPath;
use salesos_domain::people::Locale;
use salesos_domain::roles::{Capability, Role};
use salesos_domain::scope::Scope;
use salesos_domain::PersonId;
use salesos_store::org::NodeRow;
use salesos_store::people::PersonRow;
use serde::Serialize;

/// How the person reached us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Session {
        token_hash: String,
        csrf_token: String,
    },
    Token {
        id: i64,
    },
    /// The admin CLI or the demo builder, acting with full rights.
    System,
}

/// The signed-in person making a request, with everything needed to check permission and scope
/// and to write the audit entry.
#[derive(Debug, Clone)]
pub struct Actor {
    pub person: Option<PersonRow>,
    pub role: Option<Role>,
    pub node: Option<NodeRow>,
    pub scope: Scope,
    pub locale: Locale,
    pub via: Via,
    pub source: String,
    pub request_id: String,
}

/// What a page or API client may know about the signed-in person.
#[derive(Debug, Clone, Serialize)]
pub struct Me {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub locale: String,
    pub role: Option<Role>,
    pub node_id: Option<i64>,
    pub node_name_zh: Option<String>,
    pub node_name_en: Option<String>,
    pub scope: Scope,
    pub capabilities: Vec<Capability>,
}

impl Actor {
    pub fn from_person(
        person: PersonRow,
        node: Option<NodeRow>,
        via: Via,
        source: &str,
        request_id: &str,
    ) -> Actor {
        let role = person.role.as_deref().and_then(Role::parse);
        let scope = match (person.active, role, &node) {
            (true, Some(role), Some(node)) => {
                Scope::for_position(PersonId(person.id), role, node.org_path())
            }
            _ => Scope::Nothing,
        };
        Actor {
            locale: Locale::parse(&person.locale).unwrap_or_default(),
            role: if person.active { role } else { None },
            person: Some(person),
            node,
            scope,
            via,
            source: source.to_string(),
            request_id: request_id.to_string(),
        }
    }

    /// The operator at the command line: full rights over the whole tree below `root`.
    pub fn system(root: Option<&NodeRow>, source: &str) -> Actor {
        Actor {
            person: None,
            role: Some(Role::Admin),
            node: root.cloned(),
            scope: root.map_or(Scope::Nothing, |r| Scope::Subtree { path: r.org_path() }),
            locale: Locale::default(),
            via: Via::System,
            source: source.to_string(),
            request_id: "cli".to_string(),
        }
    }

    pub fn person_id(&self) -> Option<i64> {
        self.person.as_ref().map(|p| p.id)
    }

    pub fn can(&self, capability: Capability) -> bool {
        self.role.is_some_and(|r| r.can(capability))
    }

    pub fn require(&self, capability: Capability) -> Result<(), AppError> {
        if self.can(capability) {
            Ok(())
        } else {
            Err(AppError::Forbidden {
                capability: capability_code(capability),
            })
        }
    }

    pub fn node_path(&self) -> Option<OrgPath> {
        self.node.as_ref().map(NodeRow::org_path)
    }

    pub fn me(&self) -> Option<Me> {
        let person = self.person.as_ref()?;
        Some(Me {
            id: person.id,
            login: person.login.clone(),
            display_name: person.display_name.clone(),
            locale: self.locale.code().to_string(),
            role: self.role,
            node_id: self.node.as_ref().map(|n| n.id),
            node_name_zh: self.node.as_ref().map(|n| n.name_zh.clone()),
            node_name_en: self.node.as_ref().map(|n| n.name_en.clone()),
            scope: self.scope.clone(),
            capabilities: self
                .role
                .map(|r| r.capabilities().to_vec())
                .unwrap_or_default(),
        })
    }
}

pub fn capability_code(capability: Capability) -> &'static str {
    match capability {
        Capability::ViewPeople => "view_people",
        Capability::ManagePeople => "manage_people",
        Capability::ViewOrg => "view_org",
        Capability::ManageOrg => "manage_org",
        Capability::ViewAudit => "view_audit",
        Capability::ManageTokens => "manage_tokens",
        Capability::ViewDealers => "view_dealers",
        Capability::ManageDealers => "manage_dealers",
        Capability::ViewCatalogue => "view_catalogue",
        Capability::ManageCatalogue => "manage_catalogue",
        Capability::ChangeDealerTerms => "change_dealer_terms",
        Capability::ViewOrders => "view_orders",
        Capability::EnterOrders => "enter_orders",
        Capability::ViewCredit => "view_credit",
        Capability::Approve => "approve",
        Capability::ViewReports => "view_reports",
        Capability::Ship => "ship",
        Capability::Bill => "bill",
        Capability::ViewTargets => "view_targets",
        Capability::SetTargets => "set_targets",
        Capability::PublishFocus => "publish_focus",
    }
}
