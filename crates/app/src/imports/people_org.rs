//! People and organisation from one file: each row is a unit of the tree (`record` = unit:
//! code, names, kind, parent code) or a person (`record` = person: login, name, contact, role,
//! the unit of their position, active).
//!
//! Rows are checked as they are read and written at the end of the file: units first, each
//! after its parent whatever the order of the file (a loop of parents is a problem), then
//! people, who may sit in units created by the same file. The rules are those of the
//! organisation and people screens (codes, names, the kinds a unit may hang under, the kinds of
//! unit a role may sit at, the person's scope). An import creates and corrects; moving a unit,
//! moving, deactivating or reactivating a person happen on their page (with their dated
//! history), and the administrator role is given on the person's page only.
//!
//! People created by an import have **no usable password**: the stored hash is not a hash, so
//! no password matches it; an administrator resets it on the person's page (a temporary
//! password shown once), which is how the people screen hands out sign-ins.

use super::{Columns, Counts, Problem, Problems, Row};
use crate::audit::{record, snapshot};
use crate::org::{check_code as check_unit_code, check_name as check_unit_name};
use crate::{Actor, App, AppError};
use salesos_domain::org::{check_parent, NodeKind};
use salesos_domain::people::{check_contact, check_display_name, Login};
use salesos_domain::roles::{Capability, Role};
use salesos_store::imports as store;
use salesos_store::org::{self, NodeRow};
use salesos_store::{people, WriteTx};
use std::collections::{HashMap, HashSet};

/// Stored instead of a password hash for people made by an import: the verifier cannot parse
/// it, so it matches no password until an administrator sets one.
pub const NO_PASSWORD: &str = "!imported-no-password";

/// The value of a field and the spreadsheet row it came from, for problems found at the end.
#[derive(Debug, Clone, Default)]
struct At {
    row: u64,
    cells: HashMap<&'static str, String>,
}

impl At {
    fn value(&self, key: &str) -> String {
        self.cells.get(key).cloned().unwrap_or_default()
    }

    fn problem(
        &self,
        columns: &Columns,
        key: &str,
        code: &'static str,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            row: self.row,
            column: columns.header_of(key),
            field: key.to_string(),
            value: self.value(key),
            code,
            message: message.into(),
        }
    }

    /// A rule's refusal, under the column of the field it names (else `key`).
    fn refused(&self, columns: &Columns, key: &str, err: AppError) -> Problem {
        let (code, field, message) = match &err {
            AppError::Invalid(e) | AppError::Conflict(e) => (e.code, e.field, e.message.clone()),
            other => (other.code(), None, other.to_string()),
        };
        let field = field
            .filter(|f| columns.field_index(f).is_some())
            .unwrap_or(key);
        self.problem(columns, field, code, message)
    }
}

#[derive(Debug, Clone)]
struct UnitIn {
    at: At,
    code: String,
    name_zh: String,
    name_en: String,
    kind: NodeKind,
    parent: Option<String>,
    active: bool,
}

#[derive(Debug, Clone)]
struct PersonIn {
    at: At,
    login: Login,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    role: Option<Role>,
    unit: Option<String>,
    active: bool,
}

#[derive(Debug, Default)]
pub(crate) struct PeopleOrg {
    units: Vec<UnitIn>,
    people: Vec<PersonIn>,
}

const FIELDS: [&str; 11] = [
    "record",
    "code",
    "name",
    "name_en",
    "unit_kind",
    "parent",
    "unit",
    "role",
    "email",
    "phone",
    "active",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Record {
    Unit,
    Person,
}

fn parse_record(text: &str) -> Option<Record> {
    match text.trim().to_lowercase().as_str() {
        "unit" | "org" | "node" | "organisation" | "organization" | "单位" | "组织" => {
            Some(Record::Unit)
        }
        "person" | "people" | "人员" | "员工" | "人" => Some(Record::Person),
        _ => None,
    }
}

fn parse_active(text: Option<String>) -> Option<bool> {
    match text.map(|t| t.trim().to_lowercase()).as_deref() {
        None => Some(true),
        Some("yes" | "y" | "true" | "1" | "active" | "是" | "启用" | "在职" | "有效") => {
            Some(true)
        }
        Some("no" | "n" | "false" | "0" | "inactive" | "否" | "停用" | "离职" | "无效") => {
            Some(false)
        }
        Some(_) => None,
    }
}

impl PeopleOrg {
    /// The key a row is matched by inside the file (record kind and code), or `None` when the
    /// row cannot say what it is (the problem is noted).
    pub(crate) fn key(&self, row: &mut Row<'_>) -> Option<String> {
        let record = row.required("record");
        let code = row.required("code");
        let record = match record.as_deref().map(parse_record) {
            Some(Some(r)) => r,
            Some(None) => {
                row.problem(
                    "record",
                    "import.value_unknown",
                    "a row is a unit or a person",
                );
                return None;
            }
            None => return None,
        };
        let code = code?;
        Some(match record {
            // unit codes are upper-case and logins lower-case, as their screens store them
            Record::Unit => format!("unit\u{1f}{}", code.trim().to_uppercase()),
            Record::Person => format!("person\u{1f}{}", code.trim().to_lowercase()),
        })
    }

    /// Checks what one row says on its own; what depends on other rows and on the database is
    /// checked by [`PeopleOrg::write`].
    pub(crate) fn read(&mut self, row: &mut Row<'_>) {
        let at = At {
            row: row.record.row,
            cells: FIELDS
                .iter()
                .map(|k| (*k, row.raw(k)))
                .filter(|(_, v)| !v.is_empty())
                .collect(),
        };
        let Some(record) = row.text("record").as_deref().and_then(parse_record) else {
            return;
        };
        let active = parse_active(row.text("active"));
        if active.is_none() {
            row.problem(
                "active",
                "import.value_unknown",
                "active is yes or no (是 or 否)",
            );
        }
        match record {
            Record::Unit => {
                let code = check_unit_code(&row.raw("code")).map_err(|e| row.refused("code", e));
                let name_zh = match row.required("name") {
                    Some(n) => check_unit_name(&n, "name").map_err(|e| row.refused("name", e)),
                    None => Err(()),
                };
                let name_en = match row.text("name_en") {
                    Some(n) => {
                        check_unit_name(&n, "name_en").map_err(|e| row.refused("name_en", e))
                    }
                    None => name_zh.clone(),
                };
                let kind = match row.required("unit_kind") {
                    Some(k) => match NodeKind::parse(k.trim().to_lowercase().as_str()) {
                        Some(k) => Some(k),
                        None => {
                            row.problem(
                                "unit_kind",
                                "import.value_unknown",
                                "the kind is company, market, area or city",
                            );
                            None
                        }
                    },
                    None => None,
                };
                let parent = row.text("parent").map(|p| p.trim().to_uppercase());
                if parent.is_none() && kind.is_some_and(|k| k != NodeKind::Company) {
                    row.required("parent");
                }
                if let (Ok(code), Ok(name_zh), Ok(name_en), Some(kind), Some(active)) =
                    (code, name_zh, name_en, kind, active)
                {
                    if row.ok() {
                        self.units.push(UnitIn {
                            at,
                            code,
                            name_zh,
                            name_en,
                            kind,
                            parent,
                            active,
                        });
                    }
                }
            }
            Record::Person => {
                let login = Login::try_from(row.raw("code").as_str())
                    .map_err(|e| row.refused("code", e.into()));
                let name = match row.required("name") {
                    Some(n) => check_display_name(&n).map_err(|e| row.refused("name", e.into())),
                    None => Err(()),
                };
                let email = check_contact(row.text("email").as_deref(), "email")
                    .map_err(|e| row.refused("email", e.into()));
                let phone = check_contact(row.text("phone").as_deref(), "phone")
                    .map_err(|e| row.refused("phone", e.into()));
                let role = match row.text("role") {
                    None => None,
                    Some(r) => match Role::parse(r.trim()) {
                        Some(r) => Some(r),
                        None => {
                            row.problem("role", "position.role_unknown", "unknown role");
                            None
                        }
                    },
                };
                let unit = row.text("unit").map(|u| u.trim().to_uppercase());
                if let (Ok(login), Ok(name), Ok(email), Ok(phone), Some(active)) =
                    (login, name, email, phone, active)
                {
                    if row.ok() {
                        self.people.push(PersonIn {
                            at,
                            login,
                            name,
                            email,
                            phone,
                            role,
                            unit,
                            active,
                        });
                    }
                }
            }
        }
    }

    /// Writes the units (parents first) and then the people, inside the import's transaction.
    pub(crate) async fn write(
        self,
        tx: &mut WriteTx,
        app: &App,
        actor: &Actor,
        columns: &Columns,
        counts: &mut Counts,
        sink: &mut Problems,
    ) -> Result<(), AppError> {
        // unit code -> its node, for the units of the file once written
        let mut written: HashMap<String, NodeRow> = HashMap::new();
        let today = app.today();
        for unit in parents_first(&self.units, columns, sink) {
            if let Some(node) =
                write_unit(tx, actor, columns, unit, &written, &today, counts, sink).await?
            {
                written.insert(unit.code.clone(), node);
            }
        }
        // units of the file that were refused: their own rows carry the problem
        let refused: HashSet<String> = self
            .units
            .iter()
            .filter(|u| !written.contains_key(&u.code))
            .map(|u| u.code.clone())
            .collect();
        let places = Places {
            written: &written,
            refused: &refused,
        };
        for person in &self.people {
            write_person(tx, actor, columns, person, &places, &today, counts, sink).await?;
        }
        Ok(())
    }
}

/// The units in an order where each comes after its parent (when the parent is in the file);
/// units on a loop of parents are problems and left out, and so are the units below them.
fn parents_first<'u>(
    units: &'u [UnitIn],
    columns: &Columns,
    sink: &mut Problems,
) -> Vec<&'u UnitIn> {
    let by_code: HashMap<&str, usize> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.code.as_str(), i))
        .collect();
    // 0 = not visited, 1 = on the current chain, 2 = placed, 3 = on or below a loop
    let mut state = vec![0u8; units.len()];
    let mut order = Vec::with_capacity(units.len());
    for start in 0..units.len() {
        let mut chain = Vec::new();
        let mut at = Some(start);
        // climb to the first unit already placed (or outside the file), then place downwards
        while let Some(i) = at {
            match state[i] {
                0 => {
                    state[i] = 1;
                    chain.push(i);
                    at = units[i]
                        .parent
                        .as_deref()
                        .and_then(|p| by_code.get(p).copied());
                }
                1 => {
                    // a loop: from i round to i again
                    let from = chain.iter().position(|c| *c == i).unwrap_or(0);
                    for c in &chain[from..] {
                        let u = &units[*c];
                        sink.push(u.at.problem(
                            columns,
                            "parent",
                            "import.parent_cycle",
                            "the parents of these units go round in a loop",
                        ));
                    }
                    for c in &chain {
                        state[*c] = 3;
                    }
                    chain.clear();
                    at = None;
                }
                3 => {
                    for c in &chain {
                        state[*c] = 3;
                    }
                    chain.clear();
                    at = None;
                }
                _ => at = None,
            }
        }
        for i in chain.into_iter().rev() {
            state[i] = 2;
            order.push(&units[i]);
        }
    }
    order
}

#[allow(clippy::too_many_arguments)]
async fn write_unit(
    tx: &mut WriteTx,
    actor: &Actor,
    columns: &Columns,
    unit: &UnitIn,
    written: &HashMap<String, NodeRow>,
    today: &str,
    counts: &mut Counts,
    sink: &mut Problems,
) -> Result<Option<NodeRow>, AppError> {
    let at = &unit.at;
    if !actor.can(Capability::ManageOrg) {
        sink.push(at.refused(
            columns,
            "code",
            AppError::Forbidden {
                capability: "manage_org",
            },
        ));
        return Ok(None);
    }
    let parent = match &unit.parent {
        None => None,
        Some(code) => match find_node(tx, actor, code, written).await? {
            Found::Yes(n) => Some(n),
            Found::Missing => {
                sink.push(at.problem(
                    columns,
                    "parent",
                    "import.unknown_code",
                    "no unit has this code",
                ));
                return Ok(None);
            }
            Found::OutOfScope => {
                sink.push(at.problem(
                    columns,
                    "parent",
                    "import.out_of_scope",
                    "this unit is outside your part of the organisation",
                ));
                return Ok(None);
            }
        },
    };
    let Some(id) = store::id_by_code(tx.conn(), "org_nodes", "code", &unit.code).await? else {
        let Some(parent) = parent else {
            sink.push(at.problem(
                columns,
                "unit_kind",
                "import.value_unknown",
                "the company exists already; every other unit names its parent",
            ));
            return Ok(None);
        };
        if let Err(e) = check_parent(unit.kind, parent.node_kind()) {
            sink.push(at.refused(columns, "parent", e.into()));
            return Ok(None);
        }
        let node = org::insert(
            tx.conn(),
            org::NewNode {
                parent: Some(&parent),
                kind: unit.kind,
                code: &unit.code,
                name_zh: &unit.name_zh,
                name_en: &unit.name_en,
                effective_from: today,
            },
        )
        .await?;
        let node = if unit.active {
            node
        } else {
            org::rename(tx.conn(), node.id, &node.name_zh, &node.name_en, false).await?;
            org::get_unscoped(tx.conn(), node.id)
                .await?
                .ok_or_else(|| AppError::Internal("unit vanished".into()))?
        };
        record(
            tx.conn(),
            actor,
            "org_node.import",
            "org_node",
            node.id,
            Some(&node.path),
            None,
            snapshot(&node),
        )
        .await?;
        counts.created += 1;
        return Ok(Some(node));
    };
    let Some(before) = org::get(tx.conn(), &actor.scope, id).await? else {
        sink.push(at.problem(
            columns,
            "code",
            "import.out_of_scope",
            "this unit is outside your part of the organisation",
        ));
        return Ok(None);
    };
    let mut ok = true;
    if before.kind != unit.kind.code() {
        sink.push(at.problem(
            columns,
            "unit_kind",
            "import.change_on_page",
            "a unit keeps its kind",
        ));
        ok = false;
    }
    if before.parent_id != parent.as_ref().map(|p| p.id) {
        sink.push(at.problem(
            columns,
            "parent",
            "import.change_on_page",
            "move a unit on the organisation page (its history is dated); an import does not move units",
        ));
        ok = false;
    }
    if !unit.active && before.parent_id.is_none() {
        sink.push(at.problem(
            columns,
            "active",
            "org.root_must_stay_active",
            "the company itself cannot be deactivated",
        ));
        ok = false;
    }
    if !ok {
        return Ok(None);
    }
    if before.name_zh == unit.name_zh
        && before.name_en == unit.name_en
        && before.active == unit.active
    {
        counts.unchanged += 1;
        return Ok(Some(before));
    }
    org::rename(tx.conn(), id, &unit.name_zh, &unit.name_en, unit.active).await?;
    let after = org::get_unscoped(tx.conn(), id)
        .await?
        .ok_or_else(|| AppError::Internal("unit vanished".into()))?;
    record(
        tx.conn(),
        actor,
        "org_node.import_update",
        "org_node",
        id,
        Some(&after.path),
        snapshot(&before),
        snapshot(&after),
    )
    .await?;
    counts.updated += 1;
    Ok(Some(after))
}

/// The units this file wrote, and those it refused (whose rows already carry a problem).
struct Places<'a> {
    written: &'a HashMap<String, NodeRow>,
    refused: &'a HashSet<String>,
}

enum Found {
    Yes(NodeRow),
    Missing,
    OutOfScope,
}

/// A unit by code: one written by this file, else one in the database inside the scope.
async fn find_node(
    tx: &mut WriteTx,
    actor: &Actor,
    code: &str,
    written: &HashMap<String, NodeRow>,
) -> Result<Found, AppError> {
    if let Some(n) = written.get(code) {
        return Ok(Found::Yes(n.clone()));
    }
    let Some(id) = store::id_by_code(tx.conn(), "org_nodes", "code", code).await? else {
        return Ok(Found::Missing);
    };
    Ok(match org::get(tx.conn(), &actor.scope, id).await? {
        Some(n) => Found::Yes(n),
        None => Found::OutOfScope,
    })
}

#[allow(clippy::too_many_arguments)]
async fn write_person(
    tx: &mut WriteTx,
    actor: &Actor,
    columns: &Columns,
    person: &PersonIn,
    places: &Places<'_>,
    today: &str,
    counts: &mut Counts,
    sink: &mut Problems,
) -> Result<(), AppError> {
    let at = &person.at;
    let existing = people::find_by_login_unscoped(tx.conn(), person.login.as_str()).await?;
    if let Some(found) = existing {
        let Some(before) = people::get(tx.conn(), &actor.scope, found.id).await? else {
            sink.push(at.problem(
                columns,
                "code",
                "import.out_of_scope",
                "this person is outside your part of the organisation",
            ));
            return Ok(());
        };
        let mut ok = true;
        if person
            .role
            .is_some_and(|r| before.role.as_deref() != Some(r.code()))
        {
            sink.push(at.problem(
                columns,
                "role",
                "import.change_on_page",
                "change a person's position on their page (the history is dated)",
            ));
            ok = false;
        }
        if let Some(unit) = &person.unit {
            let current = match before.node_id {
                Some(id) => org::get_unscoped(tx.conn(), id).await?.map(|n| n.code),
                None => None,
            };
            if current.as_deref() != Some(unit.as_str()) {
                sink.push(at.problem(
                    columns,
                    "unit",
                    "import.change_on_page",
                    "move a person on their page (the history is dated)",
                ));
                ok = false;
            }
        }
        if person.active != before.active {
            sink.push(at.problem(
                columns,
                "active",
                "import.change_on_page",
                "deactivate or reactivate a person on their page",
            ));
            ok = false;
        }
        if !ok {
            return Ok(());
        }
        if before.display_name == person.name
            && before.email == person.email
            && before.phone == person.phone
        {
            counts.unchanged += 1;
            return Ok(());
        }
        people::update_profile(
            tx.conn(),
            before.id,
            &person.name,
            person.email.as_deref(),
            person.phone.as_deref(),
        )
        .await?;
        let after = people::get_unscoped(tx.conn(), before.id)
            .await?
            .ok_or_else(|| AppError::Internal("person vanished".into()))?;
        record(
            tx.conn(),
            actor,
            "person.import_update",
            "person",
            before.id,
            after.node_path.as_deref(),
            snapshot(&before),
            snapshot(&after),
        )
        .await?;
        counts.updated += 1;
        return Ok(());
    }
    // a new person needs a position: a role at a unit
    let (Some(role), Some(unit)) = (person.role, person.unit.as_deref()) else {
        for key in ["role", "unit"] {
            if !at.cells.contains_key(key) {
                sink.push(at.problem(
                    columns,
                    key,
                    "import.required",
                    "a new person needs a role and a unit",
                ));
            }
        }
        return Ok(());
    };
    if role == Role::Admin {
        sink.push(at.problem(
            columns,
            "role",
            "import.role_not_grantable",
            "the administrator role is given on the person's page, not by a file",
        ));
        return Ok(());
    }
    let node = match find_node(tx, actor, unit, places.written).await? {
        Found::Yes(n) => n,
        Found::Missing => {
            if !places.refused.contains(unit) {
                sink.push(at.problem(
                    columns,
                    "unit",
                    "import.unknown_code",
                    "no unit has this code",
                ));
            }
            return Ok(());
        }
        Found::OutOfScope => {
            sink.push(at.problem(
                columns,
                "unit",
                "import.out_of_scope",
                "this unit is outside your part of the organisation",
            ));
            return Ok(());
        }
    };
    if !node.active {
        sink.push(at.problem(
            columns,
            "unit",
            "position.node_unknown",
            "the unit is not active",
        ));
        return Ok(());
    }
    let kind = node.node_kind();
    if !kind.is_some_and(|k| role.allowed_node_kinds().contains(&k)) {
        let allowed: Vec<&str> = role.allowed_node_kinds().iter().map(|k| k.code()).collect();
        sink.push(at.problem(
            columns,
            "unit",
            "position.wrong_node_kind",
            format!("a {} works at a {}", role.code(), allowed.join(" or ")),
        ));
        return Ok(());
    }
    let id = people::insert(
        tx.conn(),
        people::NewPerson {
            login: person.login.as_str(),
            display_name: &person.name,
            email: person.email.as_deref(),
            phone: person.phone.as_deref(),
            password_hash: NO_PASSWORD,
            locale: salesos_domain::people::Locale::default().code(),
        },
    )
    .await?;
    people::assign(tx.conn(), id, node.id, &node.path, role.code(), today).await?;
    if !person.active {
        // placed (so the right managers see them) but without a current position
        people::end_assignment(tx.conn(), id, today).await?;
        people::set_active(tx.conn(), id, false).await?;
    }
    let after = people::get_unscoped(tx.conn(), id)
        .await?
        .ok_or_else(|| AppError::Internal("person vanished".into()))?;
    record(
        tx.conn(),
        actor,
        "person.import",
        "person",
        id,
        Some(&node.path),
        None,
        snapshot(&after),
    )
    .await?;
    counts.created += 1;
    Ok(())
}
