//! Exports in the import's own columns: what a person downloads here imports back unchanged
//! (and an empty export is the template for a new file). Every row is in the person's scope.

use super::Kind;
use crate::{Actor, App, AppError};
use salesos_store::imports::{export_rows, Out, OutType};

/// One cell, typed so the spreadsheet gets numbers as numbers and dates as dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportCell {
    Text(String),
    Int(i64),
    /// fen, shown as yuan
    Money(i64),
    /// `YYYY-MM-DD`
    Date(String),
    Empty,
}

/// The columns are the kind's fields (see [`Kind::fields`]), in order.
#[derive(Debug, Clone)]
pub struct ExportTable {
    pub kind: Kind,
    pub rows: Vec<Vec<ExportCell>>,
}

#[derive(Clone, Copy)]
enum As {
    Text,
    Int,
    Money,
    Date,
}

struct Query {
    select: &'static str,
    /// path and owner columns when the records are scoped
    scope: Option<(&'static str, &'static str)>,
    order_by: &'static str,
    columns: &'static [As],
}

/// The queries of a kind; their rows follow one another (units, then people).
fn queries(kind: Kind) -> Vec<Query> {
    use As::*;
    match kind {
        Kind::Dealers => vec![Query {
            select: "SELECT d.code, d.name, d.tier, d.status, n.code, p.login, d.licence_no, \
                d.legal_representative, d.address, d.city, d.delivery_station, d.bank_name, \
                d.bank_account, d.tax_no, d.phone, pl.code, d.payment_term_days, d.credit_limit_fen \
                FROM dealers d JOIN org_nodes n ON n.id = d.node_id JOIN people p ON p.id = d.owner_id \
                LEFT JOIN price_lists pl ON pl.id = d.price_list_id WHERE 1 = 1",
            scope: Some(("d.node_path", "d.owner_id")),
            order_by: "d.code",
            columns: &[
                Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text,
                Text, Text, Text, Int, Money,
            ],
        }],
        Kind::Products => vec![Query {
            select: "SELECT p.code, p.name_zh, p.name_en, l.code, p.unit, p.case_size, p.tax_rate_bp, p.status \
                FROM products p JOIN product_lines l ON l.id = p.line_id WHERE 1 = 1",
            scope: None,
            order_by: "p.code",
            columns: &[Text, Text, Text, Text, Text, Int, Int, Text],
        }],
        Kind::Prices => vec![Query {
            select: "SELECT pl.code, pl.name, pl.kind, pl.tier, p.code, i.price_fen, i.valid_from \
                FROM price_list_items i JOIN price_lists pl ON pl.id = i.price_list_id \
                JOIN products p ON p.id = i.product_id WHERE 1 = 1",
            scope: None,
            order_by: "pl.code, p.code, i.valid_from",
            columns: &[Text, Text, Text, Text, Text, Money, Date],
        }],
        Kind::Receivables => vec![Query {
            select: "SELECT d.code, i.number, i.invoice_date, i.due_date, i.open_fen \
                FROM invoices i JOIN dealers d ON d.id = i.dealer_id WHERE i.status = 'open'",
            scope: Some(("i.node_path", "i.owner_id")),
            order_by: "i.number",
            columns: &[Text, Text, Date, Date, Money],
        }],
        Kind::Orders => vec![Query {
            select: "SELECT o.number, d.code, o.order_date, p.code, l.quantity, l.unit_price_fen, o.note \
                FROM orders o JOIN dealers d ON d.id = o.dealer_id JOIN order_lines l ON l.order_id = o.id \
                JOIN products p ON p.id = l.product_id \
                WHERE o.number IS NOT NULL AND o.status NOT IN ('draft', 'cancelled')",
            scope: Some(("o.node_path", "o.owner_id")),
            order_by: "o.number, l.line_no",
            columns: &[Text, Text, Date, Text, Int, Money, Text],
        }],
        Kind::People => vec![
            // units in tree order (a parent's path is a prefix of its children's)
            Query {
                select: "SELECT 'unit', n.code, n.name_zh, n.name_en, n.kind, pn.code, \
                    CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), \
                    CASE WHEN n.active = 1 THEN 'yes' ELSE 'no' END \
                    FROM org_nodes n LEFT JOIN org_nodes pn ON pn.id = n.parent_id WHERE 1 = 1",
                // units have no owner: field staff see none here
                scope: Some(("n.path", "NULL")),
                order_by: "n.path",
                columns: &[Text; 11],
            },
            Query {
                select: "SELECT 'person', p.login, p.display_name, CAST(NULL AS TEXT), \
                    CAST(NULL AS TEXT), CAST(NULL AS TEXT), n.code, p.role, p.email, p.phone, \
                    CASE WHEN p.active = 1 THEN 'yes' ELSE 'no' END \
                    FROM people p LEFT JOIN org_nodes n ON n.id = p.node_id WHERE 1 = 1",
                scope: Some(("p.node_path", "p.id")),
                order_by: "p.login",
                columns: &[Text; 11],
            },
        ],
    }
}

/// Every record of the kind the person may see, in the import's columns.
pub async fn export(app: &App, actor: &Actor, kind: Kind) -> Result<ExportTable, AppError> {
    actor.require(kind.view_capability())?;
    let mut conn = app.store.read().await?;
    let mut rows = Vec::new();
    for q in queries(kind) {
        let types: Vec<OutType> = q
            .columns
            .iter()
            .map(|a| match a {
                As::Text | As::Date => OutType::Text,
                As::Int | As::Money => OutType::Int,
            })
            .collect();
        let scope = q.scope.map(|(path, owner)| (&actor.scope, path, owner));
        let found = export_rows(&mut conn, q.select, scope, q.order_by, &types).await?;
        rows.extend(found.into_iter().map(|r| {
            r.into_iter()
                .zip(q.columns)
                .map(|(v, a)| match (v, a) {
                    (Out::Null, _) => ExportCell::Empty,
                    (Out::Int(n), As::Money) => ExportCell::Money(n),
                    (Out::Int(n), _) => ExportCell::Int(n),
                    (Out::Text(t), As::Date) => ExportCell::Date(t),
                    (Out::Text(t), _) => ExportCell::Text(t),
                })
                .collect::<Vec<_>>()
        }));
    }
    Ok(ExportTable { kind, rows })
}
