//! Imports and exports through the API, on the real database of the run (SQLite or
//! PostgreSQL): the round trip (export, import into a database without those records, export
//! again: identical), every kind of problem listed exactly with nothing written, GB18030 CSV
//! with Chinese headers, an XLSX written by LibreOffice, re-imports that change nothing and
//! corrections that change only what differs (with audit), scope.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use reqwest::Method;
use salesos_test_support::TestApp;
use serde_json::{json, Value};

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn import_bytes(
    t: &TestApp,
    token: &str,
    kind: &str,
    bytes: &[u8],
    dry_run: bool,
    extra: Value,
) -> (u16, Value) {
    let mut body = json!({
        "content_base64": base64::engine::general_purpose::STANDARD.encode(bytes),
        "file_name": format!("{kind}.csv"),
        "dry_run": dry_run,
    });
    if let (Some(b), Value::Object(more)) = (body.as_object_mut(), extra) {
        b.extend(more);
    }
    let res = t
        .api_client()
        .request(Method::POST, t.url(&format!("/api/v1/imports/{kind}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Checks, then imports; both must find no problem.
async fn import_ok(t: &TestApp, token: &str, kind: &str, bytes: &[u8]) -> Value {
    let (status, preview) = import_bytes(t, token, kind, bytes, true, json!({})).await;
    assert_eq!(status, 200, "{kind} preview: {preview}");
    assert_eq!(preview["problems"], json!([]), "{kind} preview: {preview}");
    assert_eq!(preview["committed"], json!(false));
    let (status, done) = import_bytes(t, token, kind, bytes, false, json!({})).await;
    assert_eq!(status, 200, "{kind} import: {done}");
    assert_eq!(done["committed"], json!(true), "{kind}: {done}");
    for key in ["created", "updated", "unchanged", "rows"] {
        assert_eq!(
            done[key], preview[key],
            "{kind}: the preview foretold {key}"
        );
    }
    done
}

async fn export(t: &TestApp, token: &str, kind: &str, format: &str) -> Vec<u8> {
    let res = t
        .api_client()
        .get(t.url(&format!("/api/v1/exports/{kind}?format={format}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "export {kind}");
    res.bytes().await.unwrap().to_vec()
}

async fn invariants_hold(t: &TestApp) {
    let mut conn = t.db().store.read().await.unwrap();
    let problems = salesos_store::check::run(&mut conn).await.unwrap();
    assert!(problems.is_empty(), "salesos check: {problems:?}");
}

const KINDS: [&str; 5] = ["products", "prices", "dealers", "receivables", "orders"];

/// Who imports each kind in the demo company: the admin keeps the catalogue and dealers,
/// billing the receivables, the order desk the order history.
async fn importer_of(t: &TestApp, kind: &str) -> String {
    let login = match kind {
        "receivables" => "billing",
        "orders" => "desk",
        _ => "admin",
    };
    t.token_for(login).await
}

async fn import_fixtures(t: &TestApp) {
    let expected = [
        ("products", 2),
        ("prices", 4),
        ("dealers", 2),
        ("receivables", 2),
        ("orders", 2),
    ];
    for (kind, created) in expected {
        let token = importer_of(t, kind).await;
        let done = import_ok(t, &token, kind, &data(&format!("rt_{kind}.csv"))).await;
        assert_eq!(done["created"], json!(created), "{kind}: {done}");
    }
}

#[tokio::test]
async fn round_trip_export_import_export_is_identical() {
    let a = TestApp::spawn().await;
    import_fixtures(&a).await;
    invariants_hold(&a).await;

    // what was imported is there, with its figures
    assert_eq!(
        a.count("SELECT COUNT(*) AS n FROM orders WHERE number IN ('H-0001', 'H-0002') AND status = 'closed' AND exposure_fen = 0").await,
        2
    );
    assert_eq!(
        a.count("SELECT total_fen AS n FROM orders WHERE number = 'H-0001'")
            .await,
        10 * 320 + 5 * 105
    );
    assert_eq!(
        a.count("SELECT COUNT(*) AS n FROM ar_ledger WHERE doc_number IN ('OB-0001', 'OB-0002')")
            .await,
        2
    );
    assert_eq!(
        a.count("SELECT receivables_fen AS n FROM dealer_balances b JOIN dealers d ON d.id = b.dealer_id WHERE d.code = 'RT-D1'").await,
        1_234_567
    );
    // no due date: the dealer's payment term (30 days) from the invoice date
    assert_eq!(
        a.count("SELECT COUNT(*) AS n FROM invoices WHERE number = 'OB-0002' AND due_date = '2026-11-14'").await,
        1
    );
    // a later price closes the earlier one the day before
    assert_eq!(
        a.count("SELECT COUNT(*) AS n FROM price_list_items i JOIN price_lists l ON l.id = i.price_list_id WHERE l.code = 'RT-PL' AND i.valid_to = '2026-07-01'").await,
        1
    );

    let mut first = Vec::new();
    for kind in KINDS {
        let token = importer_of(&a, kind).await;
        first.push(export(&a, &token, kind, "csv").await);
    }
    // the same file again changes nothing
    for (kind, file) in KINDS.iter().zip(&first) {
        let token = importer_of(&a, kind).await;
        let done = import_ok(&a, &token, kind, file).await;
        assert_eq!(
            (done["created"].clone(), done["updated"].clone()),
            (json!(0), json!(0)),
            "{kind}: {done}"
        );
    }

    // a database without these records (a new company of the same shape)
    let b = TestApp::spawn().await;
    for (kind, file) in KINDS.iter().zip(&first) {
        let token = importer_of(&b, kind).await;
        import_ok(&b, &token, kind, file).await;
    }
    invariants_hold(&b).await;
    for (kind, file) in KINDS.iter().zip(&first) {
        let token = importer_of(&b, kind).await;
        let again = export(&b, &token, kind, "csv").await;
        assert_eq!(
            String::from_utf8_lossy(&again),
            String::from_utf8_lossy(file),
            "{kind}: export, import, export again"
        );
    }
    // the XLSX export imports too (numbers and dates as typed cells)
    let desk = importer_of(&b, "orders").await;
    let xlsx = export(&b, &desk, "orders", "xlsx").await;
    assert!(xlsx.starts_with(b"PK"));
    let done = import_ok(&b, &desk, "orders", &xlsx).await;
    assert_eq!(done["encoding"], json!("xlsx"));
    assert_eq!(done["created"], json!(0));
    assert!(done["unchanged"].as_u64().unwrap() >= 2);
}

#[tokio::test]
async fn a_corrected_file_changes_only_what_differs_with_audit() {
    let t = TestApp::spawn().await;
    let admin = t.token_for("admin").await;
    import_fixtures(&t).await;
    let corrected = String::from_utf8(data("rt_products.csv"))
        .unwrap()
        .replace("Import test water", "Import test still water");
    let before = t.last_audit_id().await;
    let done = import_ok(&t, &admin, "products", corrected.as_bytes()).await;
    assert_eq!(
        (
            done["created"].clone(),
            done["updated"].clone(),
            done["unchanged"].clone()
        ),
        (json!(0), json!(1), json!(1))
    );
    let audit = t.audit_since(before).await;
    let ops: Vec<&str> = audit.iter().map(|a| a.operation.as_str()).collect();
    assert_eq!(ops, vec!["product.import_update"]);
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM products WHERE code = 'RT-P2' AND name_en = 'Import test still water'").await,
        1
    );
    // a posted opening invoice is not rewritten by a file with other figures
    let changed = String::from_utf8(data("rt_receivables.csv"))
        .unwrap()
        .replace("12345.67", "12000");
    let billing = importer_of(&t, "receivables").await;
    let (status, refused) = import_bytes(
        &t,
        &billing,
        "receivables",
        changed.as_bytes(),
        false,
        json!({}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["code"], json!("import.has_problems"));
    assert_eq!(
        refused["import"]["problems"][0]["code"],
        json!("import.posted_document")
    );
    assert_eq!(refused["import"]["problems"][0]["row"], json!(2));
    invariants_hold(&t).await;
}

fn problems(v: &Value) -> Vec<(u64, String, String, String)> {
    v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["row"].as_u64().unwrap(),
                p["column"].as_str().unwrap().to_string(),
                p["value"].as_str().unwrap().to_string(),
                p["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn owned(rows: &[(u64, &str, &str, &str)]) -> Vec<(u64, String, String, String)> {
    rows.iter()
        .map(|(r, c, v, k)| (*r, c.to_string(), v.to_string(), k.to_string()))
        .collect()
}

#[tokio::test]
async fn every_kind_of_problem_is_listed_and_nothing_is_written() {
    let t = TestApp::spawn().await;
    import_fixtures(&t).await;
    let am = t.token_for("am.sh").await;
    let desk = importer_of(&t, "orders").await;
    let billing = importer_of(&t, "receivables").await;
    let dealers_before = t.count("SELECT COUNT(*) AS n FROM dealers").await;
    let orders_before = t.count("SELECT COUNT(*) AS n FROM orders").await;
    let audit_before = t.last_audit_id().await;

    // the area manager of Shanghai imports dealers
    let dealers = "code,name,area,owner,payment_term_days\n\
        PX-1,问题商行一,C-SH1,rep.sh1.1,30\n\
        PX-2,,C-SH1,rep.sh1.1,30\n\
        PX-3,问题商行三,C-XX9,rep.sh1.1,30\n\
        PX-4,问题商行四,C-JS1,rep.js1.1,30\n\
        PX-1,问题商行一,C-SH1,rep.sh1.1,30\n\
        PX-1,问题商行一改,C-SH1,rep.sh1.1,30\n\
        PX-7,问题商行七,C-SH1,rep.sh1.1,thirty\n";
    let (status, v) = import_bytes(&t, &am, "dealers", dealers.as_bytes(), false, json!({})).await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["import"]["committed"], json!(false));
    assert_eq!(
        problems(&v["import"]),
        owned(&[
            (3, "name", "", "dealer.name_invalid"),
            (4, "area", "C-XX9", "import.unknown_code"),
            (5, "area", "C-JS1", "import.out_of_scope"),
            (6, "code", "PX-1", "import.duplicate_in_file"),
            (7, "code", "PX-1", "import.conflicting_rows"),
            (8, "payment_term_days", "thirty", "import.bad_number"),
        ])
    );

    // historical orders, checked only
    let orders = "order_no,dealer,order_date,product,quantity,unit_price\n\
        PO-1,RT-D1,2025-13-01,RT-P1,1,3.20\n\
        PO-2,RT-D1,2025-02-01,RT-P1,-4,3.20\n\
        PO-3,RT-D1,2025-02-01,NO-SUCH,1,3.20\n\
        PO-4,,2025-02-01,RT-P1,1,3.20\n\
        PO-5,RT-D1,2025-02-01,RT-P1,1,3.20\n\
        PO-5,RT-D2,2025-02-01,RT-P2,1,1.00\n\
        PO-6,RT-D1,2025-02-01,RT-P1,1,3.20\n\
        PO-5,RT-D1,2025-02-01,RT-P1,1,3.20\n";
    let (status, v) = import_bytes(&t, &desk, "orders", orders.as_bytes(), true, json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        problems(&v),
        owned(&[
            (2, "order_date", "2025-13-01", "import.bad_date"),
            (3, "quantity", "-4", "import.negative_quantity"),
            (4, "product", "NO-SUCH", "import.unknown_code"),
            (5, "dealer", "", "import.required"),
            (7, "dealer", "RT-D2", "import.conflicting_rows"),
            (9, "order_no", "PO-5", "import.duplicate_in_file"),
        ])
    );
    assert_eq!(v["problem_count"], json!(6));
    // the rows without problems were checked (and would be created), but nothing was written
    assert_eq!(v["created"], json!(1));

    // a file without a required column
    let (status, v) = import_bytes(
        &t,
        &billing,
        "receivables",
        b"dealer,amount\nRT-D1,5\n",
        true,
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    let missing: Vec<(String, String)> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["field"].as_str().unwrap().into(),
                p["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        missing,
        vec![
            ("invoice_no".into(), "import.column_missing".into()),
            ("invoice_date".into(), "import.column_missing".into())
        ]
    );

    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM dealers").await,
        dealers_before
    );
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM orders").await,
        orders_before
    );
    assert_eq!(t.last_audit_id().await, audit_before);
    invariants_hold(&t).await;
}

#[tokio::test]
async fn gb18030_csv_with_chinese_headers_and_a_saved_mapping() {
    let t = TestApp::spawn().await;
    let admin = t.token_for("admin").await;
    let done = import_ok(&t, &admin, "dealers", &data("dealers_gb18030.csv")).await;
    assert_eq!(done["encoding"], json!("gb18030"));
    assert_eq!(done["created"], json!(2));
    assert_eq!(done["columns"]["name"], json!("名称"));
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM dealers WHERE code = 'GB-D1' AND name = '华东导入商贸有限公司' AND city = '上海' AND credit_limit_fen = 1000000 AND status = 'active'").await,
        1
    );

    // a file with its own header names: mapped once, saved, recognised next time
    let own = "Kunde,Belegnummer,Datum,Saldo\nGB-D1,OB-GB1,2026-10-01,99.5\n";
    let mapping = json!({ "mapping": { "dealer": "Kunde", "invoice_no": "Belegnummer", "invoice_date": "Datum", "amount": "Saldo" }, "save_mapping": true });
    let billing = importer_of(&t, "receivables").await;
    let (status, v) =
        import_bytes(&t, &billing, "receivables", own.as_bytes(), false, mapping).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["created"], json!(1));
    let (status, v) =
        import_bytes(&t, &billing, "receivables", own.as_bytes(), true, json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["problems"], json!([]));
    assert_eq!(v["unchanged"], json!(1));
    invariants_hold(&t).await;
}

#[tokio::test]
async fn xlsx_written_by_libreoffice() {
    let t = TestApp::spawn().await;
    let admin = t.token_for("admin").await;
    let file = data("products_libreoffice.xlsx");
    let done = import_ok(&t, &admin, "products", &file).await;
    assert_eq!(done["encoding"], json!("xlsx"));
    assert_eq!(done["created"], json!(2));
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM products WHERE code = 'LO-001' AND name_zh = '办公室绿茶' AND case_size = 24 AND tax_rate_bp = 1300").await,
        1
    );
    // prices in the same workbook's second sheet, dates typed as dates by LibreOffice
    let body = json!({ "sheet": "价格" });
    let (status, v) = import_bytes(&t, &admin, "prices", &file, false, body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["created"], json!(2), "{v}");
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM price_list_items i JOIN products p ON p.id = i.product_id WHERE p.code = 'LO-002' AND i.price_fen = 1250 AND i.valid_from = '2026-03-01'").await,
        1
    );
}

#[tokio::test]
async fn imports_and_exports_keep_to_the_persons_rights_and_scope() {
    let t = TestApp::spawn().await;
    let admin = t.token_for("admin").await;
    import_fixtures(&t).await;
    let rep = t.token_for("rep.sh1.1").await;
    let (status, _) = import_bytes(
        &t,
        &rep,
        "products",
        &data("rt_products.csv"),
        true,
        json!({}),
    )
    .await;
    assert_eq!(status, 403);
    // the Shanghai area manager exports Shanghai's dealers only
    let am = t.token_for("am.sh").await;
    let csv = String::from_utf8(export(&t, &am, "dealers", "csv").await).unwrap();
    assert!(csv.contains("RT-D1"));
    assert!(!csv.contains("RT-D2"));
    // an unknown export format is a 4xx problem
    let res = t
        .api_client()
        .get(t.url("/api/v1/exports/dealers?format=pdf"))
        .bearer_auth(&am)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    // a file that is not base64 / not a spreadsheet
    let res = t
        .api_client()
        .post(t.url("/api/v1/imports/dealers"))
        .bearer_auth(&admin)
        .json(&json!({ "content_base64": "%%%" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
}
