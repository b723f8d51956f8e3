//! Invariants that must always hold; `salesos check` reports every broken one.
//!
//! Every invariant is one set-based query that returns only the offending rows, so the check
//! keeps a flat memory whatever the size of the database: the database compares stored figures
//! with their recomputation, and at most [`SHOWN`] offending rows per invariant come back (with
//! a count of the rest).

use crate::sql::Sql;
use crate::{Conn, StoreError};
use sqlx::any::AnyRow;
use sqlx::Row;

/// How many offending rows each invariant reports; the others are only counted.
pub const SHOWN: i64 = 20;

/// SQL that is true when `a` and `b` differ, a NULL differing from any value (a portable
/// `IS DISTINCT FROM`).
pub(crate) fn differ(a: &str, b: &str) -> String {
    format!("({a} <> {b} OR ({a} IS NULL) <> ({b} IS NULL))")
}

/// A SELECT of the rows of `kept` and `computed` (both SELECTs of `columns`) that are not in
/// both — `kept EXCEPT computed` and `computed EXCEPT kept` in one grouping pass — with
/// `kept_rows` and `computed_rows` saying on which side each row is.
pub(crate) fn set_difference(kept: &str, computed: &str, columns: &str) -> String {
    format!(
        "SELECT * FROM (SELECT {columns}, CAST(SUM(kept) AS BIGINT) AS kept_rows, CAST(SUM(1 - kept) AS BIGINT) AS computed_rows \
         FROM (SELECT {columns}, 1 AS kept FROM ({kept}) k UNION ALL SELECT {columns}, 0 AS kept FROM ({computed}) c) u \
         GROUP BY {columns}) d WHERE kept_rows <> computed_rows"
    )
}

/// Whether a row of [`set_difference`] is on the kept side (not recomputed) rather than on the
/// computed one.
pub(crate) fn kept_more(r: &AnyRow) -> Result<bool, sqlx::Error> {
    Ok(r.try_get::<i64, _>("kept_rows")? > r.try_get::<i64, _>("computed_rows")?)
}

/// Reports the rows that break one invariant: `offending` is a SELECT of them; the first
/// [`SHOWN`] in `order_by` order (columns of `offending`) are described by `describe`, and a
/// last line says how many more there are.
pub(crate) async fn first_offending(
    conn: &mut Conn,
    what: &str,
    offending: &str,
    order_by: &str,
    describe: impl Fn(&AnyRow, &mut Vec<String>) -> Result<(), sqlx::Error>,
) -> Result<Vec<String>, StoreError> {
    let sql = format!(
        "SELECT o.*, COUNT(*) OVER () AS offending_total FROM ({offending}) o ORDER BY {order_by} LIMIT {SHOWN}"
    );
    let rows = Sql::new(&sql).fetch_all(conn).await?;
    let mut problems = Vec::new();
    for r in &rows {
        describe(r, &mut problems)?;
    }
    if let Some(first) = rows.first() {
        let total: i64 = first.try_get("offending_total")?;
        if total > SHOWN {
            problems.push(format!(
                "{} more {what} not shown (first {SHOWN} above)",
                total - SHOWN
            ));
        }
    }
    Ok(problems)
}

/// Returns a human-readable line per broken invariant (at most [`SHOWN`] offending rows each,
/// then a count); empty when all hold.
pub async fn run(conn: &mut Conn) -> Result<Vec<String>, StoreError> {
    let mut problems = Vec::new();

    // every node's path is its parent's path plus its own id
    problems.extend(
        first_offending(
            conn,
            "org nodes with a wrong path",
            "SELECT n.id, n.path, COALESCE(p.path, '/') || CAST(n.id AS TEXT) || '/' AS expected \
             FROM org_nodes n LEFT JOIN org_nodes p ON p.id = n.parent_id \
             WHERE n.path <> COALESCE(p.path, '/') || CAST(n.id AS TEXT) || '/'",
            "id",
            |r, out| {
                let id: i64 = r.try_get("id")?;
                let path: String = r.try_get("path")?;
                let expected: String = r.try_get("expected")?;
                out.push(format!("org node {id}: path {path} should be {expected}"));
                Ok(())
            },
        )
        .await?,
    );

    // each node has exactly one open link, and it matches its current parent and path
    problems.extend(
        first_offending(
            conn,
            "org nodes whose history is wrong",
            &format!(
                "SELECT n.id, COALESCE(l.open_links, 0) AS open_links FROM org_nodes n \
                 LEFT JOIN (SELECT node_id, COUNT(*) AS open_links, MAX(parent_id) AS link_parent, MAX(path) AS link_path \
                 FROM org_node_links WHERE valid_to IS NULL GROUP BY node_id) l ON l.node_id = n.id \
                 WHERE COALESCE(l.open_links, 0) <> 1 OR {} OR {}",
                differ("n.parent_id", "l.link_parent"),
                differ("n.path", "l.link_path"),
            ),
            "id",
            |r, out| {
                let id: i64 = r.try_get("id")?;
                let open: i64 = r.try_get("open_links")?;
                out.push(if open != 1 {
                    format!("org node {id}: {open} open history periods, expected 1")
                } else {
                    format!("org node {id}: history does not match its current place")
                });
                Ok(())
            },
        )
        .await?,
    );

    // a person's current position equals their open assignment, and their path their node's
    problems.extend(
        first_offending(
            conn,
            "people whose position is wrong",
            &format!(
                "SELECT p.id, p.active, p.node_path, n.path AS real_path, COALESCE(a.open_count, 0) AS open_count, \
                 CASE WHEN {} OR {} THEN 1 ELSE 0 END AS position_differs \
                 FROM people p LEFT JOIN org_nodes n ON n.id = p.node_id \
                 LEFT JOIN (SELECT person_id, COUNT(*) AS open_count, MAX(node_id) AS open_node, MAX(role) AS open_role \
                 FROM assignments WHERE valid_to IS NULL GROUP BY person_id) a ON a.person_id = p.id \
                 WHERE COALESCE(a.open_count, 0) > 1 \
                 OR (p.active <> 0 AND a.open_count = 1 AND ({} OR {})) \
                 OR (p.active = 0 AND COALESCE(a.open_count, 0) > 0) \
                 OR {}",
                differ("a.open_node", "p.node_id"),
                differ("a.open_role", "p.role"),
                differ("a.open_node", "p.node_id"),
                differ("a.open_role", "p.role"),
                differ("p.node_path", "n.path"),
            ),
            "id",
            |r, out| {
                let id: i64 = r.try_get("id")?;
                let active = r.try_get::<i64, _>("active")? != 0;
                let open: i64 = r.try_get("open_count")?;
                let path: Option<String> = r.try_get("node_path")?;
                let real_path: Option<String> = r.try_get("real_path")?;
                if open > 1 {
                    out.push(format!(
                        "person {id}: {open} open assignments, expected at most 1"
                    ));
                }
                if active && open == 1 && r.try_get::<i64, _>("position_differs")? != 0 {
                    out.push(format!(
                        "person {id}: current position differs from the open assignment"
                    ));
                }
                if !active && open > 0 {
                    out.push(format!(
                        "person {id}: deactivated but still holds a position"
                    ));
                }
                if path != real_path {
                    out.push(format!(
                        "person {id}: node path {path:?} should be {real_path:?}"
                    ));
                }
                Ok(())
            },
        )
        .await?,
    );

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
    problems.extend(crate::credit::check_unscoped(conn).await?);
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
