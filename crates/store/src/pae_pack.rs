//! The monthly PAE packs (`pae_packs`, one per market and month) and the dealer figures they
//! hold that no other report reads the same way.
//!
//! Scope: a pack sits at its market's path, so the market's manager and the leadership above
//! see it; area managers (below the market) and field staff see none.

use crate::sql::Sql;
use crate::{now_micros, Conn, Scope, StoreError};
use salesos_domain::org::OrgPath;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, Serialize)]
pub struct PackRow {
    pub id: i64,
    pub month: String,
    pub node_id: i64,
    pub node_path: String,
    pub node_name_zh: String,
    pub node_name_en: String,
    pub generated_by: String,
    pub generated_at: i64,
}

const PACK: &str = "SELECT k.id, k.month, k.node_id, k.node_path, n.name_zh AS node_name_zh, n.name_en AS node_name_en, \
     k.generated_by, k.generated_at FROM pae_packs k JOIN org_nodes n ON n.id = k.node_id WHERE 1 = 1";

fn pack_of(r: &AnyRow) -> Result<PackRow, sqlx::Error> {
    Ok(PackRow {
        id: r.try_get("id")?,
        month: r.try_get("month")?,
        node_id: r.try_get("node_id")?,
        node_path: r.try_get("node_path")?,
        node_name_zh: r.try_get("node_name_zh")?,
        node_name_en: r.try_get("node_name_en")?,
        generated_by: r.try_get("generated_by")?,
        generated_at: r.try_get("generated_at")?,
    })
}

/// Packs are never owned by a person: field staff (scope `Own`) match none.
fn pack_scope(sql: &mut Sql, scope: &Scope) {
    sql.scope(scope, "k.node_path", "NULL");
}

/// Stores a market's pack for a month; `None` when that market already has one (the
/// `UNIQUE (month, node_id)` constraint: a pack is never generated twice).
pub async fn insert(
    conn: &mut Conn,
    month: &str,
    node_id: i64,
    node_path: &str,
    content: &str,
    generated_by: &str,
) -> Result<Option<i64>, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO pae_packs (month, node_id, node_path, content, generated_by, generated_at) VALUES (",
    );
    sql.bind(month)
        .push(", ")
        .bind(node_id)
        .push(", ")
        .bind(node_path)
        .push(", ")
        .bind(content)
        .push(", ")
        .bind(generated_by)
        .push(", ")
        .bind(now_micros())
        .push(") ON CONFLICT (month, node_id) DO NOTHING RETURNING id");
    Ok(sql
        .fetch_optional(conn)
        .await?
        .map(|r| r.try_get("id"))
        .transpose()?)
}

/// Packs in the person's scope, latest month first.
pub async fn list(conn: &mut Conn, scope: &Scope, limit: i64) -> Result<Vec<PackRow>, StoreError> {
    let mut sql = Sql::new(PACK);
    pack_scope(&mut sql, scope);
    sql.push(" ORDER BY k.month DESC, k.node_path")
        .page(limit, 0);
    sql.fetch_all(conn)
        .await?
        .iter()
        .map(pack_of)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// A pack in the person's scope with its content.
pub async fn get(
    conn: &mut Conn,
    scope: &Scope,
    id: i64,
) -> Result<Option<(PackRow, String)>, StoreError> {
    let mut sql = Sql::new(&PACK.replace(" FROM pae_packs", ", k.content FROM pae_packs"));
    sql.push(" AND k.id = ").bind(id);
    pack_scope(&mut sql, scope);
    match sql.fetch_optional(conn).await? {
        Some(r) => Ok(Some((pack_of(&r)?, r.try_get("content")?))),
        None => Ok(None),
    }
}

/// The packs of a month, every market (system work and tests).
pub async fn of_month_unscoped(conn: &mut Conn, month: &str) -> Result<Vec<PackRow>, StoreError> {
    let mut sql = Sql::new(PACK);
    sql.push(" AND k.month = ")
        .bind(month)
        .push(" ORDER BY k.node_path");
    sql.fetch_all(conn)
        .await?
        .iter()
        .map(pack_of)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// A dealer's month in a pack: what it ordered, shipped, was invoiced and paid.
#[derive(Debug, Clone, Serialize)]
pub struct DealerMonthRow {
    pub dealer_id: i64,
    pub code: String,
    pub name: String,
    pub owner_name: String,
    pub ordered_fen: i64,
    pub shipped_fen: i64,
    pub invoiced_fen: i64,
    pub collected_fen: i64,
}

/// Active dealers now in `within` ranked by what they ordered in `month` (from the sales
/// rollups, by the documents' own territory): the `limit` best (`best = true`) or worst
/// (dealers without any order that month count as zero).
pub async fn dealers_by_month_unscoped(
    conn: &mut Conn,
    within: &OrgPath,
    month: &str,
    best: bool,
    limit: i64,
) -> Result<Vec<DealerMonthRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT d.id, d.code, d.name, p.display_name AS owner_name, \
         CAST(COALESCE(SUM(r.ordered_fen), 0) AS BIGINT) AS ordered_fen, CAST(COALESCE(SUM(r.shipped_fen), 0) AS BIGINT) AS shipped_fen, \
         CAST(COALESCE(SUM(r.invoiced_fen), 0) AS BIGINT) AS invoiced_fen, CAST(COALESCE(SUM(r.collected_fen), 0) AS BIGINT) AS collected_fen \
         FROM dealers d JOIN people p ON p.id = d.owner_id \
         LEFT JOIN sales_rollups r ON r.dealer_id = d.id AND r.month = ",
    );
    sql.bind(month).push(" WHERE d.status = 'active'");
    sql.path_within("d.node_path", within);
    sql.push(" GROUP BY d.id, d.code, d.name, p.display_name ORDER BY ordered_fen ")
        .push(if best { "DESC" } else { "ASC" })
        .push(", d.code")
        .page(limit, 0);
    sql.fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok(DealerMonthRow {
                dealer_id: r.try_get("id")?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                owner_name: r.try_get("owner_name")?,
                ordered_fen: r.try_get("ordered_fen")?,
                shipped_fen: r.try_get("shipped_fen")?,
                invoiced_fen: r.try_get("invoiced_fen")?,
                collected_fen: r.try_get("collected_fen")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// A dealer in `within` that owes overdue money or has orders on hold.
#[derive(Debug, Clone, Serialize)]
pub struct TroubleRow {
    pub dealer_id: i64,
    pub code: String,
    pub name: String,
    pub owner_name: String,
    /// Open invoices due before `today`.
    pub overdue_fen: i64,
    pub holds: i64,
    pub held_fen: i64,
}

/// Dealers now in `within` with overdue invoices (due before `today`) or orders on hold, most
/// overdue first.
pub async fn overdue_and_holds_unscoped(
    conn: &mut Conn,
    within: &OrgPath,
    today: &str,
    limit: i64,
) -> Result<Vec<TroubleRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT * FROM (SELECT d.id, d.code, d.name, p.display_name AS owner_name, \
         (SELECT CAST(COALESCE(SUM(i.open_fen), 0) AS BIGINT) FROM invoices i WHERE i.dealer_id = d.id AND i.status = 'open' AND i.due_date < ",
    );
    sql.bind(today).push(
        ") AS overdue_fen, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM orders o WHERE o.dealer_id = d.id AND o.status = 'on_hold') AS holds, \
         (SELECT CAST(COALESCE(SUM(o.total_fen), 0) AS BIGINT) FROM orders o WHERE o.dealer_id = d.id AND o.status = 'on_hold') AS held_fen \
         FROM dealers d JOIN people p ON p.id = d.owner_id WHERE 1 = 1",
    );
    sql.path_within("d.node_path", within);
    sql.push(") x WHERE x.overdue_fen > 0 OR x.holds > 0 ORDER BY x.overdue_fen DESC, x.held_fen DESC, x.code")
        .page(limit, 0);
    sql.fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok(TroubleRow {
                dealer_id: r.try_get("id")?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                owner_name: r.try_get("owner_name")?,
                overdue_fen: r.try_get("overdue_fen")?,
                holds: r.try_get("holds")?,
                held_fen: r.try_get("held_fen")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}
