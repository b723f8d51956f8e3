//! After a crash test: is every acknowledged order whole, and nothing else half there?

use anyhow::{Context, Result};
use clap::Args;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};
use std::collections::HashMap;
use std::path::PathBuf;

#[derive(Args)]
pub struct VerifyArgs {
    /// The servers' database (`sqlite://FILE` or `postgres://…`).
    #[arg(long)]
    database_url: String,
    /// The acknowledgement log written by `run --ack-log`.
    #[arg(long)]
    ack_log: PathBuf,
    /// Orders whose note starts with this were made by the generator.
    #[arg(long, default_value = "lg-")]
    prefix: String,
    /// Lines per order the generator sent.
    #[arg(long, default_value_t = 5)]
    lines: i64,
}

/// What the database holds for one order of the generator.
struct Stored {
    id: i64,
    status: String,
    lines: i64,
    audit: i64,
    ledger: i64,
    holds: i64,
    keys: i64,
}

async fn connect(url: &str) -> Result<AnyPool> {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .with_context(|| format!("connecting to {url}"))
}

/// Keys (order notes) starting with `prefix` that made more than one order.
pub async fn duplicate_keys(url: &str, prefix: &str) -> Result<i64> {
    let pool = connect(url).await?;
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM (SELECT note FROM orders WHERE note LIKE $1 \
         GROUP BY note HAVING COUNT(*) > 1) d",
    )
    .bind(format!("{prefix}%"))
    .fetch_one(&pool)
    .await?;
    let n: i64 = row.try_get("n")?;
    pool.close().await;
    Ok(n)
}

pub async fn verify(args: VerifyArgs) -> Result<bool> {
    let pool = connect(&args.database_url).await?;
    let rows = sqlx::query(
        "SELECT o.id, o.note, o.status, \
         (SELECT COUNT(*) FROM order_lines l WHERE l.order_id = o.id) AS lines, \
         (SELECT COUNT(*) FROM audit_log a WHERE a.entity = 'order' AND a.entity_id = o.id \
            AND a.operation = 'order.create') AS audit, \
         (SELECT COUNT(*) FROM credit_ledger c WHERE c.doc_type = 'order' AND c.doc_id = o.id) AS ledger, \
         (SELECT COUNT(*) FROM credit_holds h WHERE h.order_id = o.id) AS holds, \
         (SELECT COUNT(*) FROM idempotency_keys k WHERE k.order_id = o.id) AS keys \
         FROM orders o WHERE o.note LIKE $1",
    )
    .bind(format!("{}%", args.prefix))
    .fetch_all(&pool)
    .await?;
    pool.close().await;
    let mut by_key: HashMap<String, Vec<Stored>> = HashMap::new();
    for r in rows {
        let note: String = r.try_get("note")?;
        by_key.entry(note).or_default().push(Stored {
            id: r.try_get("id")?,
            status: r.try_get("status")?,
            lines: r.try_get("lines")?,
            audit: r.try_get("audit")?,
            ledger: r.try_get("ledger")?,
            holds: r.try_get("holds")?,
            keys: r.try_get("keys")?,
        });
    }
    let mut problems = Vec::new();
    let stored_orders: usize = by_key.values().map(Vec::len).sum();
    for (key, orders) in &by_key {
        if orders.len() > 1 {
            problems.push(format!("key {key} made {} orders", orders.len()));
        }
        for o in orders {
            let mut missing = Vec::new();
            if o.lines != args.lines {
                missing.push(format!("{} lines", o.lines));
            }
            if o.audit != 1 {
                missing.push(format!("{} audit entries", o.audit));
            }
            if o.keys != 1 {
                missing.push(format!("{} idempotency records", o.keys));
            }
            match o.status.as_str() {
                "confirmed" if o.ledger == 0 => missing.push("no credit ledger entry".into()),
                "on_hold" if o.holds == 0 => missing.push("no credit hold".into()),
                "confirmed" | "on_hold" => {}
                other => missing.push(format!("status {other}")),
            }
            if !missing.is_empty() {
                problems.push(format!(
                    "order {} ({key}) is half-written: {}",
                    o.id,
                    missing.join(", ")
                ));
            }
        }
    }
    let log = std::fs::read_to_string(&args.ack_log)
        .with_context(|| format!("reading {}", args.ack_log.display()))?;
    let mut acked = 0usize;
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        let mut parts = line.split('\t');
        let (Some(key), Some(id)) = (parts.next(), parts.next()) else {
            problems.push(format!("unreadable acknowledgement line {line:?}"));
            continue;
        };
        acked += 1;
        let id: i64 = id.parse().unwrap_or(-1);
        match by_key.get(key) {
            None => problems.push(format!("acknowledged order {id} ({key}) is lost")),
            Some(orders) if !orders.iter().any(|o| o.id == id) => problems.push(format!(
                "acknowledged order {id} ({key}) is stored under another id"
            )),
            Some(_) => {}
        }
    }
    println!(
        "verify: {acked} acknowledged, {stored_orders} stored by the generator, {} problem(s)",
        problems.len()
    );
    for p in problems.iter().take(50) {
        println!("  {p}");
    }
    Ok(problems.is_empty())
}
