//! Receivables with known figures for the report tests: two fresh reps, three dealers, invoices,
//! payments, allocations, a credit note, ledger entries, orders, shipments and a credit hold —
//! all dated 2021 so nothing else in the demo company touches them. Rows are inserted directly
//! with SQL (the billing operations are tested on their own).
//!
//! Rep X (city C-SH1, market East) owns dealers A and B; rep Y (city C-BJ1, market North) owns
//! dealer C. On 2021-06-30, with the default buckets `0,30,60,90`:
//!
//! | invoice | dealer | date       | due        | gross   | paid / credited       | open on 06-30 | days |
//! |---------|--------|------------|------------|---------|-----------------------|---------------|------|
//! | A1      | A      | 2021-03-01 | 2021-03-31 | 1000.00 | paid 300.00 on 04-10  | 700.00        | 91   |
//! | A2      | A      | 2021-05-01 | 2021-05-31 |  500.00 | return CN 50.00 06-05 | 450.00        | 30   |
//! | A3      | A      | 2021-06-20 | 2021-07-20 |  200.00 |                       | 200.00        | -20  |
//! | B1      | B      | 2021-04-01 | 2021-04-16 |  800.00 |                       | 800.00        | 75   |
//! | B2      | B      | 2021-02-01 | 2021-03-03 |  400.00 | paid 400.00 on 03-20  | 0             |      |
//! | C1      | C      | 2021-05-15 | 2021-06-14 |  600.00 |                       | 600.00        | 16   |
//!
//! June 2021 orders of dealer A: O1 (2021-06-02, 300.00, 10 ordered / 10 shipped, confirmed
//! 06-02, shipped 06-04: on time), O2 (2021-06-10, 600.00, 20 / 5, confirmed 06-10, shipped
//! 06-20: late; its credit hold opened 06-10 and released 06-11) and a draft O3 (not counted).

use crate::builders::{self, DealerSpec};
use crate::order_fixtures;
use crate::TestApp;
use salesos_store::sql::Sql;
use salesos_store::Conn;
use sqlx::Row;
use std::sync::atomic::{AtomicU32, Ordering};

static SERIAL: AtomicU32 = AtomicU32::new(1);

#[derive(Debug, Clone)]
pub struct ReportFixture {
    pub rep_x: i64,
    pub rep_x_token: String,
    pub rep_y: i64,
    pub rep_y_token: String,
    pub dealer_a: i64,
    pub dealer_b: i64,
    pub dealer_c: i64,
    pub market_east: i64,
    pub area_sh: i64,
    /// The phone of dealer A's primary contact.
    pub phone_a: String,
    /// The invoice numbers, by the names in the module table.
    pub numbers: std::collections::HashMap<&'static str, String>,
}

struct Ctx {
    n: u32,
    now: i64,
}

async fn path_of_dealer(conn: &mut Conn, dealer: i64) -> (String, i64) {
    let mut sql = Sql::new("SELECT node_path, owner_id FROM dealers WHERE id = ");
    sql.bind(dealer);
    let r = sql.fetch_one(conn).await.unwrap();
    (
        r.try_get("node_path").unwrap(),
        r.try_get("owner_id").unwrap(),
    )
}

#[allow(clippy::too_many_arguments)]
async fn invoice(
    conn: &mut Conn,
    c: &Ctx,
    dealer: i64,
    number: &str,
    date: &str,
    due: &str,
    gross: i64,
    open: i64,
) -> i64 {
    let (path, owner) = path_of_dealer(conn, dealer).await;
    let status = if open == 0 { "paid" } else { "open" };
    let mut sql = Sql::new("INSERT INTO invoices (number, dealer_id, invoice_date, due_date, payment_term_days, net_fen, tax_fen, gross_fen, open_fen, status, node_path, owner_id, created_at, updated_at) VALUES (");
    sql.bind(number)
        .push(", ")
        .bind(dealer)
        .push(", ")
        .bind(date)
        .push(", ")
        .bind(due)
        .push(", 30, ")
        .bind(gross)
        .push(", 0, ")
        .bind(gross)
        .push(", ")
        .bind(open)
        .push(", ")
        .bind(status)
        .push(", ")
        .bind(path.as_str())
        .push(", ")
        .bind(owner)
        .push(", ")
        .bind(c.now)
        .push(", ")
        .bind(c.now)
        .push(") RETURNING id");
    let id: i64 = sql.fetch_one(conn).await.unwrap().try_get("id").unwrap();
    ledger(
        conn, c, dealer, date, "invoice", "invoice", id, number, gross,
    )
    .await;
    id
}

#[allow(clippy::too_many_arguments)]
async fn ledger(
    conn: &mut Conn,
    c: &Ctx,
    dealer: i64,
    date: &str,
    kind: &str,
    doc_type: &str,
    doc_id: i64,
    number: &str,
    amount: i64,
) {
    let (path, owner) = path_of_dealer(conn, dealer).await;
    let mut sql = Sql::new("INSERT INTO ar_ledger (dealer_id, entry_date, kind, doc_type, doc_id, doc_number, amount_fen, node_path, owner_id, at) VALUES (");
    sql.bind(dealer)
        .push(", ")
        .bind(date)
        .push(", ")
        .bind(kind)
        .push(", ")
        .bind(doc_type)
        .push(", ")
        .bind(doc_id)
        .push(", ")
        .bind(number)
        .push(", ")
        .bind(amount)
        .push(", ")
        .bind(path.as_str())
        .push(", ")
        .bind(owner)
        .push(", ")
        .bind(c.now)
        .push(")");
    sql.execute(conn).await.unwrap();
}

async fn payment(
    conn: &mut Conn,
    c: &Ctx,
    dealer: i64,
    invoice: i64,
    tag: &str,
    on: &str,
    amount: i64,
) {
    let (path, owner) = path_of_dealer(conn, dealer).await;
    let number = format!("PAY-R{}-{tag}", c.n);
    let mut sql = Sql::new("INSERT INTO payments (number, dealer_id, received_on, amount_fen, method, unallocated_fen, node_path, owner_id, created_at) VALUES (");
    sql.bind(number.as_str())
        .push(", ")
        .bind(dealer)
        .push(", ")
        .bind(on)
        .push(", ")
        .bind(amount)
        .push(", 'bank_transfer', 0, ")
        .bind(path.as_str())
        .push(", ")
        .bind(owner)
        .push(", ")
        .bind(c.now)
        .push(") RETURNING id");
    let id: i64 = sql.fetch_one(conn).await.unwrap().try_get("id").unwrap();
    let mut alloc = Sql::new("INSERT INTO payment_allocations (payment_id, invoice_id, amount_fen, allocated_on, created_at) VALUES (");
    alloc
        .bind(id)
        .push(", ")
        .bind(invoice)
        .push(", ")
        .bind(amount)
        .push(", ")
        .bind(on)
        .push(", ")
        .bind(c.now)
        .push(")");
    alloc.execute(conn).await.unwrap();
    ledger(
        conn, c, dealer, on, "payment", "payment", id, &number, -amount,
    )
    .await;
}

async fn credit_note(conn: &mut Conn, c: &Ctx, dealer: i64, invoice: i64, on: &str, amount: i64) {
    let (path, owner) = path_of_dealer(conn, dealer).await;
    let number = format!("CN-R{}", c.n);
    let mut sql = Sql::new("INSERT INTO credit_notes (number, dealer_id, invoice_id, issued_on, reason, amount_fen, node_path, owner_id, created_at) VALUES (");
    sql.bind(number.as_str())
        .push(", ")
        .bind(dealer)
        .push(", ")
        .bind(invoice)
        .push(", ")
        .bind(on)
        .push(", 'return', ")
        .bind(amount)
        .push(", ")
        .bind(path.as_str())
        .push(", ")
        .bind(owner)
        .push(", ")
        .bind(c.now)
        .push(") RETURNING id");
    let id: i64 = sql.fetch_one(conn).await.unwrap().try_get("id").unwrap();
    ledger(
        conn,
        c,
        dealer,
        on,
        "credit_note",
        "credit_note",
        id,
        &number,
        -amount,
    )
    .await;
}

/// µs since the epoch of 10:00 on `day` in Shanghai (UTC+8, no daylight saving).
fn at_ten(day: &str) -> i64 {
    let d = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    d.and_hms_opt(2, 0, 0).unwrap().and_utc().timestamp_micros()
}

#[allow(clippy::too_many_arguments)]
async fn order(
    conn: &mut Conn,
    c: &Ctx,
    dealer: i64,
    node_id: i64,
    tag: &str,
    date: &str,
    status: &str,
    product: i64,
    qty: i64,
    shipped: i64,
    total: i64,
    shipped_on: Option<&str>,
) -> i64 {
    let (path, owner) = path_of_dealer(conn, dealer).await;
    let number = format!("SO-R{}-{tag}", c.n);
    let mut sql = Sql::new("INSERT INTO orders (number, dealer_id, order_date, status, source, node_id, node_path, owner_id, total_fen, exposure_fen, created_at, updated_at) VALUES (");
    sql.bind(number.as_str())
        .push(", ")
        .bind(dealer)
        .push(", ")
        .bind(date)
        .push(", ")
        .bind(status)
        .push(", 'desk', ")
        .bind(node_id)
        .push(", ")
        .bind(path.as_str())
        .push(", ")
        .bind(owner)
        .push(", ")
        .bind(total)
        .push(", 0, ")
        .bind(c.now)
        .push(", ")
        .bind(c.now)
        .push(") RETURNING id");
    let id: i64 = sql.fetch_one(conn).await.unwrap().try_get("id").unwrap();
    let mut line = Sql::new("INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price_fen, amount_fen, shipped_qty) VALUES (");
    line.bind(id)
        .push(", 1, ")
        .bind(product)
        .push(", ")
        .bind(qty)
        .push(", ")
        .bind(total / qty)
        .push(", ")
        .bind(total)
        .push(", ")
        .bind(shipped)
        .push(")");
    line.execute(conn).await.unwrap();
    if status == "confirmed" {
        let mut ev = Sql::new(
            "INSERT INTO order_events (order_id, at, action, from_status, to_status) VALUES (",
        );
        ev.bind(id)
            .push(", ")
            .bind(at_ten(date))
            .push(", 'confirm', 'submitted', 'confirmed')");
        ev.execute(conn).await.unwrap();
    }
    if let Some(on) = shipped_on {
        let mut sh = Sql::new("INSERT INTO shipments (number, order_id, dealer_id, status, value_fen, shipped_on, node_path, owner_id, created_at, updated_at) VALUES (");
        sh.bind(format!("SH-R{}-{tag}", c.n))
            .push(", ")
            .bind(id)
            .push(", ")
            .bind(dealer)
            .push(", 'shipped', 0, ")
            .bind(on)
            .push(", ")
            .bind(path.as_str())
            .push(", ")
            .bind(owner)
            .push(", ")
            .bind(c.now)
            .push(", ")
            .bind(c.now)
            .push(")");
        sh.execute(conn).await.unwrap();
    }
    id
}

async fn rep(t: &TestApp, admin_token: &str, n: u32, tag: &str, city: &str) -> (i64, String) {
    let node = t.node_id(city).await;
    let p = t
        .create_person(admin_token, &format!("rr.{tag}{n}"), node, "sales_rep")
        .await;
    let id = p["id"].as_i64().unwrap();
    let (token, _) = t.token_for_person(id).await;
    (id, token)
}

/// Builds the fixture described in the module documentation.
pub async fn receivables(t: &TestApp) -> ReportFixture {
    let n = SERIAL.fetch_add(1, Ordering::Relaxed);
    let admin = t.token_for("admin").await;
    let (rep_x, rep_x_token) = rep(t, &admin, n, "x", "C-SH1").await;
    let (rep_y, rep_y_token) = rep(t, &admin, n, "y", "C-BJ1").await;
    let cat = order_fixtures::catalogue(t, 3000).await;
    let c_sh1 = t.node_id("C-SH1").await;
    let c_bj1 = t.node_id("C-BJ1").await;
    let c = Ctx {
        n,
        now: salesos_store::now_micros(),
    };
    let phone_a = format!("1380000{n:04}");
    let mut tx = t.app.store.begin().await.unwrap();
    let conn = tx.conn();
    let dealer_a = builders::dealer(conn, DealerSpec::new(&format!("R{n}-A"), rep_x, c_sh1)).await;
    let dealer_b = builders::dealer(conn, DealerSpec::new(&format!("R{n}-B"), rep_x, c_sh1)).await;
    let dealer_c = builders::dealer(conn, DealerSpec::new(&format!("R{n}-C"), rep_y, c_bj1)).await;
    let mut contact =
        Sql::new("INSERT INTO dealer_contacts (dealer_id, name, phone, is_primary) VALUES (");
    contact
        .bind(dealer_a)
        .push(", '张经理', ")
        .bind(phone_a.as_str())
        .push(", 1)");
    contact.execute(conn).await.unwrap();

    let mut numbers = std::collections::HashMap::new();
    let mut num = |tag: &'static str| {
        let s = format!("INV-R{n}-{tag}");
        numbers.insert(tag, s.clone());
        s
    };
    let a1 = invoice(
        conn,
        &c,
        dealer_a,
        &num("A1"),
        "2021-03-01",
        "2021-03-31",
        100_000,
        70_000,
    )
    .await;
    payment(conn, &c, dealer_a, a1, "A1", "2021-04-10", 30_000).await;
    let a2 = invoice(
        conn,
        &c,
        dealer_a,
        &num("A2"),
        "2021-05-01",
        "2021-05-31",
        50_000,
        45_000,
    )
    .await;
    credit_note(conn, &c, dealer_a, a2, "2021-06-05", 5_000).await;
    invoice(
        conn,
        &c,
        dealer_a,
        &num("A3"),
        "2021-06-20",
        "2021-07-20",
        20_000,
        20_000,
    )
    .await;
    invoice(
        conn,
        &c,
        dealer_b,
        &num("B1"),
        "2021-04-01",
        "2021-04-16",
        80_000,
        80_000,
    )
    .await;
    let b2 = invoice(
        conn,
        &c,
        dealer_b,
        &num("B2"),
        "2021-02-01",
        "2021-03-03",
        40_000,
        0,
    )
    .await;
    payment(conn, &c, dealer_b, b2, "B2", "2021-03-20", 40_000).await;
    invoice(
        conn,
        &c,
        dealer_c,
        &num("C1"),
        "2021-05-15",
        "2021-06-14",
        60_000,
        60_000,
    )
    .await;

    order(
        conn,
        &c,
        dealer_a,
        c_sh1,
        "O1",
        "2021-06-02",
        "confirmed",
        cat.product,
        10,
        10,
        30_000,
        Some("2021-06-04"),
    )
    .await;
    let o2 = order(
        conn,
        &c,
        dealer_a,
        c_sh1,
        "O2",
        "2021-06-10",
        "confirmed",
        cat.product,
        20,
        5,
        60_000,
        Some("2021-06-20"),
    )
    .await;
    order(
        conn,
        &c,
        dealer_a,
        c_sh1,
        "O3",
        "2021-06-15",
        "draft",
        cat.product,
        3,
        0,
        9_000,
        None,
    )
    .await;
    let mut hold = Sql::new("INSERT INTO credit_holds (order_id, dealer_id, kind, status, exposure_fen, limit_fen, amount_fen, created_at, resolved_at) VALUES (");
    hold.bind(o2)
        .push(", ")
        .bind(dealer_a)
        .push(", 'credit', 'released', 0, 0, 60000, ")
        .bind(at_ten("2021-06-10"))
        .push(", ")
        .bind(at_ten("2021-06-11"))
        .push(")");
    hold.execute(conn).await.unwrap();
    tx.commit().await.unwrap();

    ReportFixture {
        rep_x,
        rep_x_token,
        rep_y,
        rep_y_token,
        dealer_a,
        dealer_b,
        dealer_c,
        market_east: t.node_id("M-E").await,
        area_sh: t.node_id("A-SH").await,
        phone_a,
        numbers,
    }
}
