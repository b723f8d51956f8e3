//! Every list's export holds exactly the rows of the list: the same filter, the person's scope,
//! every page (not only the first). Table-driven: for each list route, a market manager (the
//! East market) asks for CSV and XLSX with a filter; the keys in the file must equal the
//! records the database holds for that filter inside the East market, and a record that
//! matches the filter outside the market must be absent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_app::demo::DemoSize;
use salesos_store::imports::{export_rows, Out, OutType};
use salesos_test_support::TestApp;

struct Case {
    /// The list's export route (the list itself is the same path without `/export`).
    route: String,
    /// The filter as the list's query string.
    filter: String,
    /// Which column of the file names a record.
    column: usize,
    /// The records the list shows for the filter in the East market, in SQL.
    expected: String,
    /// Records that match the filter outside the market (None: the list is not scoped).
    outside: Option<String>,
    /// Whether the database surely has rows here (so the comparison is not of two empties).
    has_rows: bool,
    /// Whether there surely are rows outside the market to leave out.
    has_outside: bool,
    /// Records that repeat in the file (one row per change): compare the distinct keys.
    distinct: bool,
}

/// A list scoped by where its records sit in the organisation tree: `key` of `table` where
/// `filter_sql` holds, inside and outside the East market.
#[allow(clippy::too_many_arguments)]
fn scoped(
    route: &str,
    table: &str,
    key: &str,
    filter: String,
    filter_sql: String,
    has_rows: bool,
    path_column: &str,
    east_path: &str,
) -> Case {
    let inside = format!("{path_column} LIKE '{east_path}%'");
    Case {
        route: route.to_string(),
        filter,
        column: 0,
        expected: format!("SELECT {key} FROM {table} WHERE {filter_sql} AND {inside}"),
        outside: Some(format!(
            "SELECT {key} FROM {table} WHERE {filter_sql} AND NOT ({inside})"
        )),
        has_rows,
        has_outside: has_rows && table != "payments",
        distinct: false,
    }
}

async fn keys(t: &TestApp, sql: &str) -> Vec<String> {
    let mut conn = t.db().store.read().await.unwrap();
    let wrapped = format!("SELECT * FROM ({sql}) k WHERE 1 = 1");
    let mut found: Vec<String> = export_rows(&mut conn, &wrapped, None, "1", &[OutType::Text])
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.into_iter().next() {
            Some(Out::Text(k)) => Some(k),
            _ => None,
        })
        .collect();
    found.sort();
    found
}

/// One column of every data row of a CSV or XLSX file, read by the importer's reader.
fn column_of(bytes: Vec<u8>, column: usize) -> Vec<String> {
    let table = salesos_import::Table::from_bytes(bytes, None).unwrap();
    let mut found: Vec<String> = table
        .map(|r| r.unwrap().get(column).to_string())
        .filter(|k| !k.is_empty())
        .collect();
    found.sort();
    found
}

async fn most_common(t: &TestApp, table: &str, column: &str) -> String {
    let sql = format!(
        "SELECT {column} FROM {table} WHERE {column} IS NOT NULL GROUP BY {column} ORDER BY COUNT(*) DESC, {column} LIMIT 1"
    );
    keys(t, &sql).await.into_iter().next().unwrap_or_default()
}

#[tokio::test]
async fn every_list_exports_its_filtered_scoped_rows_as_csv_and_xlsx() {
    let t = TestApp::spawn_with_history(DemoSize::Tiny, 3000).await;
    let east_path = t.node("M-E").await.path;
    let order_status = most_common(&t, "orders", "status").await;
    let shipment_status = most_common(&t, "shipments", "status").await;
    let return_status = most_common(&t, "returns", "status").await;
    let transfer_status = most_common(&t, "transfers", "status").await;
    // a dealer of the East market with payments: the payments list filtered to that dealer
    let east_dealer = keys(
        &t,
        &format!(
            "SELECT CAST(MIN(dealer_id) AS TEXT) FROM payments WHERE node_path LIKE '{east_path}%'"
        ),
    )
    .await
    .into_iter()
    .next()
    .unwrap();
    let mut cases = vec![
        scoped(
            "/people/export",
            "people",
            "login",
            "role=sales_rep".into(),
            "role = 'sales_rep' AND active = 1".into(),
            true,
            "node_path",
            &east_path,
        ),
        scoped(
            "/dealers/export",
            "dealers",
            "code",
            "status=active".into(),
            "status = 'active'".into(),
            true,
            "node_path",
            &east_path,
        ),
        scoped(
            "/orders/export",
            "orders",
            "number",
            format!("status={order_status}"),
            format!("status = '{order_status}'"),
            true,
            "node_path",
            &east_path,
        ),
        scoped(
            "/shipments/export",
            "shipments",
            "number",
            format!("status={shipment_status}"),
            format!("status = '{shipment_status}'"),
            true,
            "node_path",
            &east_path,
        ),
        scoped(
            "/invoices/export",
            "invoices",
            "number",
            "status=open".into(),
            "status = 'open'".into(),
            true,
            "node_path",
            &east_path,
        ),
        scoped(
            "/payments/export",
            "payments",
            "number",
            format!("dealer_id={east_dealer}"),
            format!("dealer_id = {east_dealer}"),
            true,
            "node_path",
            &east_path,
        ),
        scoped(
            "/credit-notes/export",
            "credit_notes",
            "number",
            String::new(),
            "1 = 1".into(),
            false,
            "node_path",
            &east_path,
        ),
        scoped(
            "/returns/export",
            "returns",
            "number",
            format!("status={return_status}"),
            if return_status.is_empty() {
                "1 = 1".into()
            } else {
                format!("status = '{return_status}'")
            },
            false,
            "node_path",
            &east_path,
        ),
        scoped(
            "/transfers/export",
            "transfers",
            "number",
            format!("status={transfer_status}"),
            if transfer_status.is_empty() {
                "1 = 1".into()
            } else {
                format!("status = '{transfer_status}'")
            },
            false,
            "node_path",
            &east_path,
        ),
        scoped(
            "/org/export",
            "org_nodes",
            "code",
            String::new(),
            "1 = 1".into(),
            true,
            "path",
            &east_path,
        ),
    ];
    cases.extend(later_lists(&t, &east_path, &east_dealer).await);
    let east = t.sign_in_demo("mm.e").await;
    for case in cases {
        let route = &case.route;
        let expected = keys(&t, &case.expected).await;
        if case.has_rows {
            assert!(!expected.is_empty(), "{route}: no rows to compare");
        }
        let outside = match &case.outside {
            Some(sql) => keys(&t, sql).await,
            None => Vec::new(),
        };
        if case.has_outside {
            assert!(
                !outside.is_empty(),
                "{route}: nothing outside the market to leave out"
            );
        }
        for format in ["csv", "xlsx"] {
            let sep = if case.filter.is_empty() { "" } else { "&" };
            let url = format!("{route}?format={format}{sep}{}", case.filter);
            let res = east.get(t.url(&url)).send().await.unwrap();
            assert_eq!(res.status().as_u16(), 200, "{url}");
            let mut got = column_of(res.bytes().await.unwrap().to_vec(), case.column);
            let mut want = expected.clone();
            if case.distinct {
                got.dedup();
                want.dedup();
            }
            assert_eq!(got, want, "{url}: the file's rows are the list's rows");
            for key in &outside {
                assert!(!got.contains(key), "{url}: {key} is outside the market");
            }
        }
    }
    // lists of one record (a dealer's ledger, a record's history): a record outside the
    // market is not exported at all
    let outside_dealer = keys(
        &t,
        &format!(
            "SELECT CAST(MIN(id) AS TEXT) FROM dealers WHERE node_path NOT LIKE '{east_path}%'"
        ),
    )
    .await
    .into_iter()
    .next()
    .unwrap();
    for route in [
        format!("/dealers/{outside_dealer}/receivables/export?format=csv"),
        format!("/audit/dealer/{outside_dealer}/export?format=csv"),
    ] {
        let status = east.get(t.url(&route)).send().await.unwrap().status();
        assert!(
            status.as_u16() == 404 || status.as_u16() == 403,
            "{route}: {status}"
        );
    }
}

/// The lists given exports after the first round: some of their records are made here, where
/// the demo history has none (feedback, delegations, credit-limit proposals, PAE packs).
async fn later_lists(t: &TestApp, east_path: &str, east_dealer: &str) -> Vec<Case> {
    use salesos_app::dealers::FeedbackInput;
    let mm = t.actor("mm.e").await;
    let director = t.actor("director").await;
    let other_market = keys(
        t,
        &format!(
            "SELECT CAST(MIN(id) AS TEXT) FROM org_nodes WHERE kind = 'market' AND path NOT LIKE '{east_path}%'"
        ),
    )
    .await
    .into_iter()
    .next()
    .unwrap()
    .parse::<i64>()
    .unwrap();
    for (actor, node_id, body) in [
        (&mm, None, "华东 competitor cut prices"),
        (&director, Some(other_market), "outside the East market"),
    ] {
        let input = FeedbackInput {
            kind: "competitor".into(),
            body: body.into(),
            node_id,
        };
        salesos_app::dealers::add_area_feedback(&t.app, actor, input)
            .await
            .unwrap();
    }
    // each hands over to a different stand-in, so the director's is not in the manager's list
    for (actor, last) in [(&mm, false), (&director, true)] {
        let candidates = salesos_app::approvals::stand_ins(&t.app, actor)
            .await
            .unwrap();
        let stand_in = if last {
            candidates.last()
        } else {
            candidates.first()
        }
        .unwrap()
        .clone();
        salesos_app::approvals::delegate(&t.app, actor, stand_in.id, None, "2099-12-31".into())
            .await
            .unwrap();
    }
    // proposals look at the months before their period: the month after the last order
    let last_order = most_common(t, "(SELECT MAX(order_date) AS d FROM orders) m", "d").await;
    let (year, mon) = (
        last_order[..4].parse::<i32>().unwrap(),
        last_order[5..7].parse::<u32>().unwrap(),
    );
    let month = if mon == 12 {
        format!("{}-01", year + 1)
    } else {
        format!("{year}-{:02}", mon + 1)
    };
    let system = t.system_actor().await;
    let run = salesos_app::credit_limits::propose_all(&t.app, &system, &month)
        .await
        .unwrap();
    assert!(run.proposals > 0, "no credit-limit proposals for {month}");
    salesos_app::pae_pack::generate_all(&t.app, &month, "test")
        .await
        .unwrap();
    let mm_id = t.person_id("mm.e").await;
    // quotas in two months: the list's month filter keeps one
    let admin = t.actor("admin").await;
    let products = keys(
        t,
        "SELECT CAST(id AS TEXT) FROM products ORDER BY id LIMIT 3",
    )
    .await;
    for (product, period) in products.iter().zip(["2099-01", "2099-01", "2099-02"]) {
        let input = salesos_app::catalogue::QuotaInput {
            product_id: product.parse().unwrap(),
            node_id: Some(other_market),
            dealer_id: None,
            period: period.into(),
            quantity: 10,
        };
        salesos_app::catalogue::create_quota(&t.app, &admin, input)
            .await
            .unwrap();
    }
    let quota_period = "2099-01";
    let price_list = keys(
        t,
        "SELECT CAST(price_list_id AS TEXT) FROM price_list_items GROUP BY price_list_id ORDER BY COUNT(*) DESC, price_list_id LIMIT 1",
    )
    .await
    .into_iter()
    .next()
    .unwrap_or_default();
    // the approvals waiting for the market manager, as the API lists them
    let api = t.sign_in_demo("mm.e").await;
    let queue: Vec<serde_json::Value> = api
        .get(t.url("/api/v1/approvals"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let summaries: Vec<String> = queue
        .iter()
        .map(|a| {
            format!(
                "SELECT '{}' AS k",
                a["summary"].as_str().unwrap().replace('\'', "''")
            )
        })
        .collect();
    let inside = format!("LIKE '{east_path}%'");
    let outside = format!("NOT LIKE '{east_path}%'");
    let unscoped = |route: String, filter: String, expected: String, has_rows: bool| Case {
        route,
        filter,
        column: 0,
        expected,
        outside: None,
        has_rows,
        has_outside: false,
        distinct: false,
    };
    vec![
        Case {
            route: "/feedback/export".into(),
            filter: String::new(),
            column: 0,
            expected: format!("SELECT body FROM market_feedback WHERE node_path {inside}"),
            outside: Some(format!("SELECT body FROM market_feedback WHERE node_path {outside}")),
            has_rows: true,
            has_outside: true,
            distinct: false,
        },
        Case {
            route: "/credit-limits/export".into(),
            filter: format!("period={month}"),
            column: 0,
            expected: format!(
                "SELECT d.code FROM dealer_term_requests r JOIN dealers d ON d.id = r.dealer_id \
                 WHERE r.kind = 'credit_limit_proposal' AND r.period = '{month}' AND d.node_path {inside}"
            ),
            outside: Some(format!(
                "SELECT d.code FROM dealer_term_requests r JOIN dealers d ON d.id = r.dealer_id \
                 WHERE r.kind = 'credit_limit_proposal' AND r.period = '{month}' AND d.node_path {outside}"
            )),
            has_rows: true,
            has_outside: true,
            distinct: false,
        },
        Case {
            route: "/approvals/delegations/export".into(),
            filter: String::new(),
            column: 0,
            expected: format!(
                "SELECT p.display_name FROM delegations d JOIN people p ON p.id = d.to_person \
                 WHERE d.revoked_at IS NULL AND d.from_person = {mm_id}"
            ),
            outside: Some(format!(
                "SELECT p.display_name FROM delegations d JOIN people p ON p.id = d.to_person \
                 WHERE d.from_person <> {mm_id} AND d.to_person NOT IN \
                 (SELECT to_person FROM delegations WHERE from_person = {mm_id})"
            )),
            has_rows: true,
            has_outside: true,
            distinct: false,
        },
        Case {
            route: "/pae-packs/export".into(),
            filter: String::new(),
            column: 0,
            expected: format!("SELECT month FROM pae_packs WHERE node_path {inside}"),
            outside: None,
            has_rows: true,
            has_outside: false,
            distinct: false,
        },
        Case {
            route: "/visits/export".into(),
            filter: String::new(),
            column: 2,
            expected: format!(
                "SELECT d.code || ' ' || d.name FROM visits v JOIN dealers d ON d.id = v.dealer_id \
                 WHERE v.node_path {inside}"
            ),
            outside: Some(format!(
                "SELECT d.code || ' ' || d.name FROM visits v JOIN dealers d ON d.id = v.dealer_id \
                 WHERE v.node_path {outside}"
            )),
            has_rows: true,
            has_outside: true,
            distinct: false,
        },
        Case {
            route: format!("/dealers/{east_dealer}/receivables/export"),
            filter: String::new(),
            column: 0,
            expected: format!("SELECT doc_number FROM ar_ledger WHERE dealer_id = {east_dealer}"),
            outside: None,
            has_rows: true,
            has_outside: false,
            distinct: false,
        },
        Case {
            route: format!("/audit/dealer/{east_dealer}/export"),
            filter: String::new(),
            column: 4,
            expected: format!(
                "SELECT request_id FROM audit_log WHERE entity = 'dealer' AND entity_id = {east_dealer}"
            ),
            outside: None,
            has_rows: true,
            has_outside: false,
            distinct: true,
        },
        unscoped(
            "/quotas/export".into(),
            format!("period={quota_period}"),
            format!(
                "SELECT p.code FROM quotas q JOIN products p ON p.id = q.product_id WHERE q.period = '{quota_period}'"
            ),
            true,
        ),
        unscoped(
            "/product-lines/export".into(),
            String::new(),
            "SELECT code FROM product_lines".into(),
            true,
        ),
        unscoped(
            format!("/price-lists/{price_list}/export"),
            String::new(),
            format!(
                "SELECT p.code FROM price_list_items i JOIN products p ON p.id = i.product_id WHERE i.price_list_id = {price_list}"
            ),
            true,
        ),
        unscoped(
            "/approvals/export".into(),
            String::new(),
            if summaries.is_empty() {
                "SELECT 'none' AS k WHERE 1 = 0".into()
            } else {
                summaries.join(" UNION ALL ")
            },
            true,
        ),
    ]
}

#[tokio::test]
async fn list_pages_link_their_exports_with_the_current_filters() {
    let t = TestApp::spawn().await;
    let director = t.sign_in_demo("director").await;
    let east = t.node_id("M-E").await;
    for (list, export) in [
        (
            "/dealers?status=active&q=a".to_string(),
            "/dealers/export?format=csv&amp;q=a&amp;status=active".to_string(),
        ),
        (
            "/transfers?status=posted".into(),
            "/transfers/export?format=csv&amp;status=posted".into(),
        ),
        (
            format!("/feedback?node_id={east}"),
            format!("/feedback/export?format=csv&amp;node_id={east}"),
        ),
        (
            "/quotas?period=2026-03".into(),
            "/quotas/export?format=csv&amp;period=2026-03".into(),
        ),
        (
            "/credit-limits?period=2026-03".into(),
            "/credit-limits/export?format=csv&amp;period=2026-03".into(),
        ),
        (
            "/approvals".into(),
            "/approvals/delegations/export?format=csv".into(),
        ),
        ("/pae-packs".into(), "/pae-packs/export?format=csv".into()),
        (
            "/price-lists/1".into(),
            "/price-lists/1/export?format=csv".into(),
        ),
        (
            "/audit/org_node/1".into(),
            "/audit/org_node/1/export?format=csv".into(),
        ),
    ] {
        let html = director
            .get(t.url(&list))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .replace("&#38;", "&amp;");
        let links: Vec<&str> = html.split('"').filter(|p| p.contains("/export?")).collect();
        assert!(html.contains(&export), "{list} links {export}: {links:?}");
    }
}

/// Long lists page through every row: the pages are disjoint, together they hold every record
/// in scope, the neighbours' links keep the filter, and a page past the end is empty.
#[tokio::test]
async fn long_lists_page_through_every_row() {
    let t = TestApp::spawn_with_history(DemoSize::Tiny, 3000).await;
    let director = t.page_session("director").await;
    for (path, table, filter) in [
        ("/orders", "orders", ""),
        ("/invoices", "invoices", ""),
        ("/shipments", "shipments", ""),
        ("/orders", "orders", "status=closed"),
    ] {
        let where_sql = match filter {
            "status=closed" => " WHERE status = 'closed'",
            _ => "",
        };
        let total = t
            .count(&format!("SELECT COUNT(*) AS n FROM {table}{where_sql}"))
            .await;
        assert!(
            total > 200,
            "{path}?{filter}: {total} rows is not more than one page"
        );
        let link = format!("href=\"{path}/");
        let ids_of = |body: &str| -> std::collections::BTreeSet<i64> {
            body.split(&link)
                .skip(1)
                .filter_map(|rest| rest.split('"').next()?.parse().ok())
                .collect()
        };
        let mut seen = std::collections::BTreeSet::new();
        let mut page = 1;
        loop {
            let url = match (filter, page) {
                ("", 1) => path.to_string(),
                ("", n) => format!("{path}?page={n}"),
                (f, 1) => format!("{path}?{f}"),
                (f, n) => format!("{path}?{f}&page={n}"),
            };
            let (status, body) = director.get(&url).await;
            assert_eq!(status, 200, "{url}");
            let ids = ids_of(&body);
            assert!(!ids.is_empty(), "{url}: an empty page");
            assert!(
                ids.is_disjoint(&seen),
                "{url}: rows of an earlier page again"
            );
            seen.extend(ids);
            assert_eq!(
                body.contains("data-testid=\"pager-prev\""),
                page > 1,
                "{url}"
            );
            if !body.contains("data-testid=\"pager-next\"") {
                break;
            }
            let next = if filter.is_empty() {
                format!("href=\"{path}?page={}\"", page + 1)
            } else {
                format!("href=\"{path}?{}&#38;page={}\"", filter, page + 1)
            };
            let nav = body
                .split("data-testid=\"pager\"")
                .nth(1)
                .unwrap_or_default();
            assert!(
                body.contains(&next),
                "{url}: the next link {next} keeps the filter: {}",
                &nav[..nav.len().min(1500)]
            );
            page += 1;
            assert!(page < 100, "{url}: runaway paging");
        }
        assert!(page >= 2, "{path}?{filter}: more than one page");
        assert_eq!(
            seen.len() as i64,
            total,
            "{path}?{filter}: every row on some page"
        );
        let past = if filter.is_empty() {
            format!("{path}?page={}", page + 1)
        } else {
            format!("{path}?{filter}&page={}", page + 1)
        };
        let (status, body) = director.get(&past).await;
        assert_eq!(status, 200, "{past}");
        assert!(
            ids_of(&body).is_empty(),
            "{past}: a page past the end lists nothing"
        );
    }
}
