//! Historical orders imported at volume, on the real database of the run (SQLite or
//! PostgreSQL): 20,000 lines checked, imported, re-imported, corrected; the rollups, which the
//! import keeps by summing its lines in memory instead of its per-line triggers, equal a full
//! recomputation afterwards (`salesos check`), the triggers are back after every run, and an
//! order whose lines come back batches later is found through the table of numbers met.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_app::imports::{self, Kind, Outcome, Request};
use salesos_import::Table;
use salesos_store::imports::{export_rows, Out, OutType};
use salesos_store::Backend;
use salesos_test_support::TestApp;

async fn codes(t: &TestApp, select: &str) -> Vec<String> {
    let mut conn = t.app.store.read().await.unwrap();
    export_rows(&mut conn, select, None, "id", &[OutType::Text])
        .await
        .unwrap()
        .into_iter()
        .map(|r| match &r[0] {
            Out::Text(code) => code.clone(),
            other => panic!("a code, not {other:?}"),
        })
        .collect()
}

/// `orders` orders of `lines_each` lines, over the active dealers and the products.
async fn history_file(t: &TestApp, orders: usize, lines_each: usize) -> (String, i64) {
    let dealers = codes(t, "SELECT code FROM dealers WHERE status = 'active'").await;
    let products = codes(t, "SELECT code FROM products WHERE 1 = 1").await;
    assert!(products.len() >= lines_each, "the demo has enough products");
    let mut csv = String::from("order_no,dealer,order_date,product,quantity,unit_price,note\n");
    let mut total_fen = 0i64;
    for o in 0..orders {
        let dealer = &dealers[o % dealers.len()];
        // five years of months, apart from the dealers' turns: many rollup rows
        let month = o / 7 % 60;
        let day = format!(
            "{}-{:02}-{:02}",
            2021 + month / 12,
            month % 12 + 1,
            o % 28 + 1
        );
        for l in 0..lines_each {
            let product = &products[(o + l) % products.len()];
            let quantity = (o * 7 + l) % 50 + 1;
            let price_fen = 100 + ((o + l * 13) % 900) as i64;
            total_fen += quantity as i64 * price_fen;
            csv.push_str(&format!(
                "HV-{o:06},{dealer},{day},{product},{quantity},{}.{:02},\n",
                price_fen / 100,
                price_fen % 100
            ));
        }
    }
    (csv, total_fen)
}

async fn import(t: &TestApp, csv: &str, dry_run: bool) -> Outcome {
    import_as(t, "desk", Kind::Orders, csv, dry_run).await
}

async fn import_as(t: &TestApp, login: &str, kind: Kind, csv: &str, dry_run: bool) -> Outcome {
    let actor = t.actor(login).await;
    let table = Table::from_bytes(csv.as_bytes().to_vec(), None).unwrap();
    let request = Request {
        dry_run,
        file_name: Some("history.csv".into()),
        ..Request::default()
    };
    imports::run(&t.app, &actor, kind, table, request, &mut |_| {})
        .await
        .unwrap()
}

async fn invariants_hold(t: &TestApp) {
    let mut conn = t.app.store.read().await.unwrap();
    let problems = salesos_store::check::run(&mut conn).await.unwrap();
    assert!(problems.is_empty(), "salesos check: {problems:?}");
}

/// The per-line rollup triggers, enabled (each backend names its own).
async fn line_rollup_triggers(t: &TestApp) -> i64 {
    match t.backend() {
        Backend::Sqlite => t.count("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rollup_order_line%'").await,
        Backend::Postgres => t.count("SELECT COUNT(*) AS n FROM pg_trigger WHERE tgname LIKE 'rollup_order_line%' AND tgenabled = 'O'").await,
    }
}

/// The definitions of `orders` and `order_lines` (columns, indexes, constraints, triggers):
/// an import sets some aside for its run and must leave them exactly as they were.
async fn order_tables_schema(t: &TestApp) -> Vec<String> {
    let select = match t.backend() {
        Backend::Sqlite => {
            "SELECT COALESCE(sql, name) AS d, name AS id FROM sqlite_master \
             WHERE tbl_name IN ('orders', 'order_lines')"
        }
        Backend::Postgres => {
            "SELECT CAST(c.conname AS TEXT) || ' ' || pg_get_constraintdef(c.oid) AS d, CAST(c.conname AS TEXT) AS id \
             FROM pg_constraint c WHERE c.conrelid IN (CAST('orders' AS regclass), CAST('order_lines' AS regclass)) \
             UNION ALL SELECT CAST(tgname AS TEXT) || ' ' || CAST(tgenabled AS TEXT) || ' ' || pg_get_triggerdef(oid), CAST(tgname AS TEXT) \
             FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN (CAST('orders' AS regclass), CAST('order_lines' AS regclass)) \
             UNION ALL SELECT indexdef, CAST(indexname AS TEXT) FROM pg_indexes WHERE tablename IN ('orders', 'order_lines')"
        }
    };
    // sorted in full: a constraint and its index share a name, and ties come in either order
    let mut schema = codes(t, select).await;
    schema.sort();
    assert!(schema.len() > 4, "{schema:?}");
    schema
}

const ORDERED_FEN: &str =
    "SELECT CAST(COALESCE(SUM(ordered_fen), 0) AS BIGINT) AS n FROM sales_rollups";

#[tokio::test]
async fn twenty_thousand_lines_check_import_reimport_and_correct() {
    let t = TestApp::spawn().await;
    let triggers = line_rollup_triggers(&t).await;
    assert!(triggers >= 2, "the rollup triggers exist: {triggers}");
    let schema = order_tables_schema(&t).await;
    let (csv, total_fen) = history_file(&t, 2_000, 10).await;
    let orders_before = t.count("SELECT COUNT(*) AS n FROM orders").await;
    let ordered_before = t.count(ORDERED_FEN).await;
    let audit_before = t.last_audit_id().await;

    let preview = import(&t, &csv, true).await;
    assert_eq!(preview.problems, vec![], "preview");
    assert_eq!((preview.rows, preview.counts.created), (20_000, 2_000));
    assert!(!preview.committed);
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM orders").await,
        orders_before
    );
    assert_eq!(t.count(ORDERED_FEN).await, ordered_before);
    assert_eq!(t.last_audit_id().await, audit_before);
    assert_eq!(line_rollup_triggers(&t).await, triggers);
    assert_eq!(order_tables_schema(&t).await, schema, "after a dry run");

    let done = import(&t, &csv, false).await;
    assert!(done.committed, "{:?}", done.problems);
    assert_eq!(done.counts.created, 2_000);
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.number LIKE 'HV-%'").await,
        20_000
    );
    // the run's sums added exactly the file's amounts, and match a full recomputation
    assert_eq!(t.count(ORDERED_FEN).await, ordered_before + total_fen);
    assert_eq!(line_rollup_triggers(&t).await, triggers);
    assert_eq!(order_tables_schema(&t).await, schema, "after an import");
    invariants_hold(&t).await;
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM audit_log WHERE operation = 'order.import'")
            .await,
        2_000
    );

    // the same file again changes nothing
    let audit_after = t.last_audit_id().await;
    let again = import(&t, &csv, false).await;
    assert!(again.committed, "{:?}", again.problems);
    assert_eq!((again.counts.created, again.counts.unchanged), (0, 2_000));
    // only the record of the run is new, no audit entry
    assert_eq!(t.last_audit_id().await, audit_after);
    assert_eq!(t.count(ORDERED_FEN).await, ordered_before + total_fen);

    // a posted order with other figures, in the last batch, is a problem; nothing is written
    let mut lines: Vec<String> = csv.lines().map(str::to_string).collect();
    let last = lines.last_mut().unwrap();
    let mut cells: Vec<String> = last.split(',').map(str::to_string).collect();
    cells[4] = (cells[4].parse::<i64>().unwrap() + 1).to_string();
    *last = cells.join(",");
    let corrected = lines.join("\n") + "\n";
    assert_ne!(corrected, csv);
    let refused = import(&t, &corrected, false).await;
    assert!(!refused.committed);
    let found: Vec<(u64, &str, &str)> = refused
        .problems
        .iter()
        .map(|p| (p.row, p.value.as_str(), p.code))
        .collect();
    assert_eq!(
        found,
        vec![(19_992, "HV-001999", "import.posted_document")],
        "{:?}",
        refused.problems
    );
    assert_eq!(t.count(ORDERED_FEN).await, ordered_before + total_fen);
    assert_eq!(line_rollup_triggers(&t).await, triggers);
    assert_eq!(
        order_tables_schema(&t).await,
        schema,
        "after a refused import"
    );
    invariants_hold(&t).await;
}

#[tokio::test]
async fn lines_of_an_order_coming_back_batches_later_are_duplicates() {
    let t = TestApp::spawn().await;
    let (csv, _) = history_file(&t, 2_100, 2).await;
    // the first order's lines again at the end, 2,100 orders (two batches) after they began
    let mut lines: Vec<&str> = csv.lines().collect();
    let first_order: Vec<String> = lines[1..3].iter().map(|l| l.to_string()).collect();
    lines.extend(first_order.iter().map(String::as_str));
    let file = lines.join("\n") + "\n";
    let orders_before = t.count("SELECT COUNT(*) AS n FROM orders").await;

    let done = import(&t, &file, false).await;
    assert!(!done.committed);
    let found: Vec<(u64, &str, &str, &str)> = done
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_str(), p.value.as_str(), p.code))
        .collect();
    assert_eq!(
        found,
        vec![
            (4_202, "order_no", "HV-000000", "import.duplicate_in_file"),
            (4_203, "order_no", "HV-000000", "import.duplicate_in_file"),
        ]
    );
    assert!(
        done.problems[0].message.contains("began in row 2"),
        "{}",
        done.problems[0].message
    );
    assert_eq!(done.problem_count, 2);
    assert_eq!(done.counts.created, 2_100);
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM orders").await,
        orders_before
    );
    invariants_hold(&t).await;
}

/// Notes with the characters a bulk statement must carry as data (quotes, commas, braces,
/// backslashes, the word NULL, Chinese text) arrive as written, and each dealer's first order
/// becomes the earliest imported one when it is earlier than what was stored (offered once
/// for the whole run, not per order), which `salesos check` recomputes.
#[tokio::test]
async fn notes_arrive_verbatim_and_first_orders_follow_the_import() {
    let t = TestApp::spawn().await;
    let dealers = codes(&t, "SELECT code FROM dealers WHERE status = 'active'").await;
    let products = codes(&t, "SELECT code FROM products WHERE 1 = 1").await;
    let notes = [
        r#"say "hi", {twice}"#,
        r#"back\slash \\ and \"#,
        "NULL",
        "",
        "赠品, 另计",
    ];
    let mut csv = String::from("order_no,dealer,order_date,product,quantity,unit_price,note\n");
    for (i, note) in notes.iter().enumerate() {
        let dealer = &dealers[i % 2];
        // 1990 is before any stored order, so these become the dealers' first orders
        let day = format!("1990-01-{:02}", 10 - i);
        let cell = format!("\"{}\"", note.replace('"', "\"\""));
        csv.push_str(&format!(
            "NT-{i},{dealer},{day},{},3,1.50,{cell}\n",
            products[0]
        ));
    }
    let done = import(&t, &csv, false).await;
    assert!(done.committed, "{:?}", done.problems);
    assert_eq!(done.counts.created, notes.len() as u64);
    let mut conn = t.app.store.read().await.unwrap();
    let stored = export_rows(
        &mut conn,
        "SELECT COALESCE(note, '<none>') AS note, number AS id FROM orders WHERE number LIKE 'NT-%'",
        None,
        "number",
        &[OutType::Text],
    )
    .await
    .unwrap();
    drop(conn);
    let stored: Vec<Out> = stored.into_iter().map(|mut r| r.remove(0)).collect();
    let expected: Vec<Out> = notes
        .iter()
        .map(|n| Out::Text(if n.is_empty() { "<none>" } else { n }.to_string()))
        .collect();
    assert_eq!(stored, expected);
    // each of the two dealers' first order is its earliest of the file (the last rows)
    let firsts = codes(
        &t,
        "SELECT o.number AS code, f.dealer_id AS id FROM dealer_first_orders f \
         JOIN orders o ON o.id = f.order_id WHERE o.number LIKE 'NT-%'",
    )
    .await;
    assert_eq!(firsts.len(), 2, "{firsts:?}");
    let mut firsts = firsts;
    firsts.sort();
    assert_eq!(firsts, vec!["NT-3", "NT-4"]);
    // the audit keeps each order whole, a line as [product_id, quantity, unit_price_fen]
    let product_id = t
        .count(&format!(
            "SELECT id AS n FROM products WHERE code = '{}'",
            products[0]
        ))
        .await;
    let audit = codes(
        &t,
        "SELECT a.after_json AS code, a.id AS id FROM audit_log a JOIN orders o ON o.id = a.entity_id \
         WHERE a.operation = 'order.import' AND a.entity = 'order' AND o.number = 'NT-1'",
    )
    .await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    let after: serde_json::Value = serde_json::from_str(&audit[0]).unwrap();
    assert_eq!(after["number"], "NT-1");
    assert_eq!(after["order_date"], "1990-01-09");
    assert_eq!(
        after["line_fields"],
        serde_json::json!(["product_id", "quantity", "unit_price_fen"])
    );
    assert_eq!(after["lines"], serde_json::json!([[product_id, 3, 150]]));
    invariants_hold(&t).await;
}

/// An import with more orders than the table had sets the secondary indexes of `orders` aside
/// after its first 20,000 orders and builds them again at its end: after a dry run and after
/// the import the schema is exactly as before, every order is found through the rebuilt
/// indexes, and `salesos check` holds.
#[tokio::test]
async fn a_large_import_rebuilds_the_orders_indexes_it_set_aside() {
    let t = TestApp::spawn().await;
    let schema = order_tables_schema(&t).await;
    let (csv, total_fen) = history_file(&t, 24_000, 1).await;
    let orders_before = t.count("SELECT COUNT(*) AS n FROM orders").await;
    let ordered_before = t.count(ORDERED_FEN).await;

    let preview = import(&t, &csv, true).await;
    assert_eq!(preview.problems, vec![], "preview");
    assert_eq!(preview.counts.created, 24_000);
    assert_eq!(order_tables_schema(&t).await, schema, "after a dry run");

    let done = import(&t, &csv, false).await;
    assert!(done.committed, "{:?}", done.problems);
    assert_eq!(order_tables_schema(&t).await, schema, "after an import");
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM orders").await,
        orders_before + 24_000
    );
    // read through the rebuilt indexes (dealer and status, path and id)
    let dealer_orders = t
        .count(
            "SELECT COUNT(*) AS n FROM orders o JOIN dealers d ON d.id = o.dealer_id \
             WHERE o.status = 'closed' AND o.node_path = d.node_path AND o.number LIKE 'HV-%'",
        )
        .await;
    assert_eq!(dealer_orders, 24_000);
    assert_eq!(t.count(ORDERED_FEN).await, ordered_before + total_fen);
    invariants_hold(&t).await;
}

/// A history with more rollup rows than an import run sums in memory at once (60 months × 60
/// dealers × 40 products, one line each): the run adds its sums to the rollups part way and
/// again at the end, and the rollups still equal a full recomputation.
#[tokio::test]
async fn more_rollup_rows_than_a_run_holds_are_added_part_way() {
    let t = TestApp::spawn().await;
    let (dealer_count, product_count, months) = (60, 40, 60);
    let mut dealers = String::from("code,name,area,owner,payment_term_days\n");
    for d in 0..dealer_count {
        dealers.push_str(&format!("RG-D{d:02},汇总商行{d},C-SH1,rep.sh1.1,30\n"));
    }
    let done = import_as(&t, "admin", Kind::Dealers, &dealers, false).await;
    assert!(done.committed, "{:?}", done.problems);
    let mut products = String::from("code,name_zh,name_en,line,unit,case_size,tax_rate_bp\n");
    for p in 0..product_count {
        products.push_str(&format!("RG-P{p:02},汇总品{p},Rollup {p},BEV,瓶,12,1300\n"));
    }
    let done = import_as(&t, "admin", Kind::Products, &products, false).await;
    assert!(done.committed, "{:?}", done.problems);

    let mut csv = String::from("order_no,dealer,order_date,product,quantity,unit_price,note\n");
    let mut total_fen = 0i64;
    for m in 0..months {
        let day = format!("{}-{:02}-15", 2020 + m / 12, m % 12 + 1);
        for d in 0..dealer_count {
            for p in 0..product_count {
                let quantity = (m + d + p) % 9 + 1;
                total_fen += quantity as i64 * 250;
                csv.push_str(&format!(
                    "RG-{m:02}-{d:02},RG-D{d:02},{day},RG-P{p:02},{quantity},2.50,\n"
                ));
            }
        }
    }
    let rollup_rows = months * dealer_count * product_count;
    assert!(rollup_rows > salesos_store::imports::ROLLUP_GROUPS_HELD);
    let ordered_before = t.count(ORDERED_FEN).await;

    let done = import(&t, &csv, false).await;
    assert!(done.committed, "{:?}", done.problems);
    assert_eq!(done.counts.created, (months * dealer_count) as u64);
    assert_eq!(t.count(ORDERED_FEN).await, ordered_before + total_fen);
    let rows = t
        .count("SELECT COUNT(*) AS n FROM sales_rollups r JOIN dealers d ON d.id = r.dealer_id WHERE d.code LIKE 'RG-D%'")
        .await;
    assert_eq!(rows, rollup_rows as i64);
    invariants_hold(&t).await;
}
