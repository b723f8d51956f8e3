//! Organisation nodes and the history of where each hung.

use crate::sql::Sql;
use crate::{now_micros, Conn, StoreError};
use salesos_domain::org::{NodeKind, OrgPath};
use salesos_domain::scope::Scope;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NodeRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: String,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub path: String,
    pub active: bool,
}

impl NodeRow {
    pub fn org_path(&self) -> OrgPath {
        OrgPath::parse(&self.path).unwrap_or_else(|| OrgPath::root(salesos_domain::NodeId(self.id)))
    }

    pub fn node_kind(&self) -> Option<NodeKind> {
        NodeKind::parse(&self.kind)
    }

    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(NodeRow {
            id: row.try_get("id")?,
            parent_id: row.try_get("parent_id")?,
            kind: row.try_get("kind")?,
            code: row.try_get("code")?,
            name_zh: row.try_get("name_zh")?,
            name_en: row.try_get("name_en")?,
            path: row.try_get("path")?,
            active: row.try_get::<i64, _>("active")? != 0,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeLinkRow {
    pub parent_id: Option<i64>,
    pub path: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
}

const COLUMNS: &str = "n.id, n.parent_id, n.kind, n.code, n.name_zh, n.name_en, n.path, n.active";

/// Applies the node visibility rule of [`Scope::admits_node`].
fn scope_nodes(sql: &mut Sql, scope: &Scope) {
    match scope {
        Scope::Subtree { path } => {
            sql.path_within("n.path", path);
        }
        Scope::Own { path, .. } => {
            // field staff see the chain of nodes from the root down to where they work
            sql.push(" AND n.id IN (");
            for (i, id) in path.ids().iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(id.0);
            }
            sql.push(")");
        }
        Scope::Nothing => {
            sql.push(" AND 1 = 0");
        }
    }
}

pub async fn list(conn: &mut Conn, scope: &Scope) -> Result<Vec<NodeRow>, StoreError> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM org_nodes n WHERE 1 = 1"));
    scope_nodes(&mut sql, scope);
    sql.push(" ORDER BY n.path");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows
        .iter()
        .map(NodeRow::from_row)
        .collect::<Result<_, _>>()?)
}

pub async fn get(conn: &mut Conn, scope: &Scope, id: i64) -> Result<Option<NodeRow>, StoreError> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM org_nodes n WHERE n.id = "));
    sql.bind(id);
    scope_nodes(&mut sql, scope);
    let row = sql.fetch_optional(conn).await?;
    Ok(row.as_ref().map(NodeRow::from_row).transpose()?)
}

/// For system work (demo, check, resolving a signed-in person's own node): no scope.
pub async fn get_unscoped(conn: &mut Conn, id: i64) -> Result<Option<NodeRow>, StoreError> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM org_nodes n WHERE n.id = "));
    sql.bind(id);
    let row = sql.fetch_optional(conn).await?;
    Ok(row.as_ref().map(NodeRow::from_row).transpose()?)
}

pub async fn root(conn: &mut Conn) -> Result<Option<NodeRow>, StoreError> {
    let sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM org_nodes n WHERE n.parent_id IS NULL ORDER BY n.id LIMIT 1"
    ));
    let row = sql.fetch_optional(conn).await?;
    Ok(row.as_ref().map(NodeRow::from_row).transpose()?)
}

pub async fn count(conn: &mut Conn) -> Result<i64, StoreError> {
    let row = Sql::new("SELECT COUNT(*) AS n FROM org_nodes")
        .fetch_one(conn)
        .await?;
    Ok(row.try_get("n")?)
}

pub struct NewNode<'a> {
    pub parent: Option<&'a NodeRow>,
    pub kind: NodeKind,
    pub code: &'a str,
    pub name_zh: &'a str,
    pub name_en: &'a str,
    pub effective_from: &'a str,
}

pub async fn insert(conn: &mut Conn, new: NewNode<'_>) -> Result<NodeRow, StoreError> {
    let now = now_micros();
    let mut sql = Sql::new(
        "INSERT INTO org_nodes (parent_id, kind, code, name_zh, name_en, path, active, created_at, updated_at) VALUES (",
    );
    sql.bind(new.parent.map(|p| p.id))
        .push(", ")
        .bind(new.kind.code())
        .push(", ")
        .bind(new.code)
        .push(", ")
        .bind(new.name_zh)
        .push(", ")
        .bind(new.name_en)
        .push(", ")
        // a unique placeholder until the id is known
        .bind(format!("/new/{}/", new.code))
        .push(", 1, ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
    let id: i64 = sql.fetch_one(conn).await?.try_get("id")?;
    let path = match new.parent {
        Some(parent) => parent.org_path().child(salesos_domain::NodeId(id)),
        None => OrgPath::root(salesos_domain::NodeId(id)),
    };
    let mut update = Sql::new("UPDATE org_nodes SET path = ");
    update.bind(path.as_str()).push(" WHERE id = ").bind(id);
    update.execute(conn).await?;
    open_link(
        conn,
        id,
        new.parent.map(|p| p.id),
        path.as_str(),
        new.effective_from,
    )
    .await?;
    get_unscoped(conn, id)
        .await?
        .ok_or(StoreError::Db(sqlx::Error::RowNotFound))
}

async fn open_link(
    conn: &mut Conn,
    node_id: i64,
    parent_id: Option<i64>,
    path: &str,
    from: &str,
) -> Result<(), StoreError> {
    let mut sql =
        Sql::new("INSERT INTO org_node_links (node_id, parent_id, path, valid_from) VALUES (");
    sql.bind(node_id)
        .push(", ")
        .bind(parent_id)
        .push(", ")
        .bind(path)
        .push(", ")
        .bind(from)
        .push(")");
    sql.execute(conn).await?;
    Ok(())
}

pub async fn rename(
    conn: &mut Conn,
    id: i64,
    name_zh: &str,
    name_en: &str,
    active: bool,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE org_nodes SET name_zh = ");
    sql.bind(name_zh)
        .push(", name_en = ")
        .bind(name_en)
        .push(", active = ")
        .bind(i64::from(active))
        .push(", updated_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(id);
    sql.execute(conn).await?;
    Ok(())
}

/// Moves the subtree under `new_parent` from `effective_from`: every path below it (nodes and
/// people's current positions) is rebased, and every node of the subtree gets a new history
/// period (the moved node under its new parent, its descendants at their new paths), so the
/// history says where each node was on any day.
pub async fn move_subtree(
    conn: &mut Conn,
    node: &NodeRow,
    new_parent: &NodeRow,
    effective_from: &str,
) -> Result<NodeRow, StoreError> {
    let old = node.org_path();
    let new = new_parent.org_path().child(salesos_domain::NodeId(node.id));
    let old_len = i64::try_from(old.as_str().len()).unwrap_or(i64::MAX);
    let mut close = Sql::new("UPDATE org_node_links SET valid_to = ");
    close
        .bind(effective_from)
        .push(" WHERE valid_to IS NULL AND node_id IN (SELECT n.id FROM org_nodes n WHERE 1 = 1");
    close.path_within("n.path", &old).push(")");
    close.execute(conn).await?;
    // A period that ends the day it began never took effect (e.g. two moves on one day).
    let mut drop_empty = Sql::new(
        "DELETE FROM org_node_links WHERE valid_to = valid_from AND node_id IN (SELECT n.id FROM org_nodes n WHERE 1 = 1",
    );
    drop_empty.path_within("n.path", &old).push(")");
    drop_empty.execute(conn).await?;
    for (table, column) in [("org_nodes", "path"), ("people", "node_path")] {
        let mut sql = Sql::new(&format!("UPDATE {table} SET {column} = "));
        sql.bind(new.as_str())
            .push(&format!(" || substr({column}, CAST("))
            .bind(old_len + 1)
            .push(" AS INTEGER)) WHERE 1 = 1");
        sql.path_within(column, &old);
        sql.execute(conn).await?;
    }
    let mut parent = Sql::new("UPDATE org_nodes SET parent_id = ");
    parent
        .bind(new_parent.id)
        .push(", updated_at = ")
        .bind(now_micros())
        .push(" WHERE id = ")
        .bind(node.id);
    parent.execute(conn).await?;
    let mut open = Sql::new(
        "INSERT INTO org_node_links (node_id, parent_id, path, valid_from) SELECT n.id, n.parent_id, n.path, ",
    );
    open.bind(effective_from)
        .push(" FROM org_nodes n WHERE 1 = 1");
    open.path_within("n.path", &new);
    open.execute(conn).await?;
    get_unscoped(conn, node.id)
        .await?
        .ok_or(StoreError::Db(sqlx::Error::RowNotFound))
}

pub async fn links(conn: &mut Conn, node_id: i64) -> Result<Vec<NodeLinkRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT parent_id, path, valid_from, valid_to FROM org_node_links WHERE node_id = ",
    );
    sql.bind(node_id).push(" ORDER BY valid_from, id");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(NodeLinkRow {
                parent_id: r.try_get("parent_id")?,
                path: r.try_get("path")?,
                valid_from: r.try_get("valid_from")?,
                valid_to: r.try_get("valid_to")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

pub async fn current_link_start(
    conn: &mut Conn,
    node_id: i64,
) -> Result<Option<String>, StoreError> {
    let mut sql =
        Sql::new("SELECT valid_from FROM org_node_links WHERE valid_to IS NULL AND node_id = ");
    sql.bind(node_id);
    let row = sql.fetch_optional(conn).await?;
    Ok(row.map(|r| r.try_get("valid_from")).transpose()?)
}

/// The nodes on a path, root first: the signed-in person's own place in the organisation.
pub async fn chain(conn: &mut Conn, path: &OrgPath) -> Result<Vec<NodeRow>, StoreError> {
    let ids = path.ids();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM org_nodes n WHERE n.id IN ("
    ));
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(id.0);
    }
    sql.push(") ORDER BY n.path");
    let rows = sql.fetch_all(conn).await?;
    Ok(rows
        .iter()
        .map(NodeRow::from_row)
        .collect::<Result<_, _>>()?)
}
