//! Invariants that must always hold; `salesos check` reports every difference it finds.

use crate::sql::Sql;
use crate::{Conn, StoreError};
use sqlx::Row;

/// Returns a human-readable line per broken invariant; empty when all hold.
pub async fn run(conn: &mut Conn) -> Result<Vec<String>, StoreError> {
    let mut problems = Vec::new();

    // every node's path is its parent's path plus its own id
    let rows = Sql::new(
        "SELECT n.id, n.path, p.path AS parent_path FROM org_nodes n LEFT JOIN org_nodes p ON p.id = n.parent_id",
    )
    .fetch_all(conn)
    .await?;
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let path: String = r.try_get("path")?;
        let parent: Option<String> = r.try_get("parent_path")?;
        let expected = format!("{}{id}/", parent.unwrap_or_else(|| "/".to_string()));
        if path != expected {
            problems.push(format!("org node {id}: path {path} should be {expected}"));
        }
    }

    // each node has exactly one open link, and it matches its current parent and path
    let rows = Sql::new(
        "SELECT n.id, n.parent_id, n.path, COUNT(l.id) AS open_links, MAX(l.parent_id) AS link_parent, MAX(l.path) AS link_path \
         FROM org_nodes n LEFT JOIN org_node_links l ON l.node_id = n.id AND l.valid_to IS NULL \
         GROUP BY n.id, n.parent_id, n.path",
    )
    .fetch_all(conn)
    .await?;
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let open: i64 = r.try_get("open_links")?;
        let parent: Option<i64> = r.try_get("parent_id")?;
        let link_parent: Option<i64> = r.try_get("link_parent")?;
        let path: String = r.try_get("path")?;
        let link_path: Option<String> = r.try_get("link_path")?;
        if open != 1 {
            problems.push(format!(
                "org node {id}: {open} open history periods, expected 1"
            ));
        } else if parent != link_parent || Some(&path) != link_path.as_ref() {
            problems.push(format!(
                "org node {id}: history does not match its current place"
            ));
        }
    }

    // a person's current position equals their open assignment, and their path their node's
    let rows = Sql::new(
        "SELECT p.id, p.active, p.node_id, p.role, p.node_path, n.path AS real_path, \
         (SELECT COUNT(*) FROM assignments a WHERE a.person_id = p.id AND a.valid_to IS NULL) AS open_count, \
         (SELECT MAX(a.node_id) FROM assignments a WHERE a.person_id = p.id AND a.valid_to IS NULL) AS open_node, \
         (SELECT MAX(a.role) FROM assignments a WHERE a.person_id = p.id AND a.valid_to IS NULL) AS open_role \
         FROM people p LEFT JOIN org_nodes n ON n.id = p.node_id",
    )
    .fetch_all(conn)
    .await?;
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let active = r.try_get::<i64, _>("active")? != 0;
        let open: i64 = r.try_get("open_count")?;
        let node: Option<i64> = r.try_get("node_id")?;
        let role: Option<String> = r.try_get("role")?;
        let path: Option<String> = r.try_get("node_path")?;
        let real_path: Option<String> = r.try_get("real_path")?;
        if open > 1 {
            problems.push(format!(
                "person {id}: {open} open assignments, expected at most 1"
            ));
        }
        if active && open == 1 {
            let open_node: Option<i64> = r.try_get("open_node")?;
            let open_role: Option<String> = r.try_get("open_role")?;
            if open_node != node || open_role != role {
                problems.push(format!(
                    "person {id}: current position differs from the open assignment"
                ));
            }
        }
        if !active && open > 0 {
            problems.push(format!(
                "person {id}: deactivated but still holds a position"
            ));
        }
        if path != real_path {
            problems.push(format!(
                "person {id}: node path {path:?} should be {real_path:?}"
            ));
        }
    }

    // no assignment period is empty or inverted, and none overlaps another of the same person
    let bad = Sql::new(
        "SELECT COUNT(*) AS n FROM assignments a WHERE a.valid_to IS NOT NULL AND a.valid_to <= a.valid_from",
    )
    .fetch_one(conn)
    .await?
    .try_get::<i64, _>("n")?;
    if bad > 0 {
        problems.push(format!("{bad} assignments end on or before they start"));
    }
    let overlapping = Sql::new(
        "SELECT COUNT(*) AS n FROM assignments a JOIN assignments b ON a.person_id = b.person_id AND a.id < b.id \
         WHERE a.valid_from < COALESCE(b.valid_to, '9999-12-31') AND b.valid_from < COALESCE(a.valid_to, '9999-12-31')",
    )
    .fetch_one(conn)
    .await?
    .try_get::<i64, _>("n")?;
    if overlapping > 0 {
        problems.push(format!(
            "{overlapping} pairs of assignments of one person overlap"
        ));
    }
    // credit exposure: each dealer's balance equals the sum of its ledger entries, and the
    // open-order part equals its confirmed orders
    for rec in crate::credit::reconcile_unscoped(conn).await? {
        problems.extend(rec.problems());
    }
    // dealers & catalogue
    problems.extend(crate::dealers::check_unscoped(conn).await?);
    problems.extend(crate::catalogue::check_unscoped(conn).await?);
    problems.extend(crate::shipments::check_unscoped(conn).await?);
    problems.extend(crate::billing::check_unscoped(conn).await?);
    problems.extend(crate::returns::check_unscoped(conn).await?);
    problems.extend(crate::transfers::check_unscoped(conn).await?);
    problems.extend(crate::rollups::check_unscoped(conn).await?);
    problems.extend(crate::visits::check_unscoped(conn).await?);
    problems.extend(crate::targets::check_first_orders_unscoped(conn).await?);
    Ok(problems)
}
