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

// ---- people and organisation ----

const PEOPLE_HEADER: &str =
    "record,code,name,name_en,unit_kind,parent,unit,role,email,phone,active\n";

#[tokio::test]
async fn people_and_units_import_parents_first_without_passwords_and_again_changes_nothing() {
    let t = TestApp::spawn().await;
    let admin = t.token_for("admin").await;
    let audit_before = t.last_audit_id().await;
    // children before their parents: the import orders them
    let file = format!(
        "{PEOPLE_HEADER}\
        person,rep.nb1.1,宁波代表,,,,C-NB1,sales_rep,nb@example.com,,yes\n\
        unit,C-NB1,宁波,Ningbo,city,A-ZJ9,,,,,yes\n\
        unit,A-ZJ9,浙江九区,Zhejiang 9,area,M-E,,,,,是\n\
        person,am.zj9,浙江经理,,,,A-ZJ9,area_manager,,13800000000,yes\n\
        person,left.zj9,已离职,,,,A-ZJ9,kam,,,no\n"
    );
    let done = import_ok(&t, &admin, "people", file.as_bytes()).await;
    assert_eq!(done["created"], json!(5), "{done}");
    let area = t.node("A-ZJ9").await;
    let city = t.node("C-NB1").await;
    assert_eq!(city.parent_id, Some(area.id));
    assert_eq!(area.parent_id, Some(t.node_id("M-E").await));
    assert!(city.path.starts_with(&area.path));
    let rep = t.person("rep.nb1.1").await;
    assert_eq!(rep.node_id, Some(city.id));
    assert_eq!(rep.role.as_deref(), Some("sales_rep"));
    assert_eq!(rep.email.as_deref(), Some("nb@example.com"));
    let left = t.person("left.zj9").await;
    assert!(!left.active);
    // one audit entry per record, naming what was made
    let ops: Vec<String> = t
        .audit_since(audit_before)
        .await
        .into_iter()
        .map(|a| a.operation)
        .collect();
    assert_eq!(
        ops.iter().filter(|o| *o == "org_node.import").count(),
        2,
        "{ops:?}"
    );
    assert_eq!(
        ops.iter().filter(|o| *o == "person.import").count(),
        3,
        "{ops:?}"
    );
    // no password works until an administrator sets one
    let stored = t
        .count("SELECT COUNT(*) AS n FROM people WHERE login = 'rep.nb1.1' AND password_hash LIKE '$argon2%'")
        .await;
    assert_eq!(stored, 0, "an imported person has no password hash");
    for guess in ["", "!imported-no-password", "imported-no-password"] {
        let res = t.post_sign_in(&t.client(), "rep.nb1.1", guess, "/").await;
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        assert!(
            !location.ends_with('/') || location.contains("signin"),
            "signed in with {guess:?}: {location}"
        );
    }
    let res = t
        .api_client()
        .post(t.url(&format!("/api/v1/people/{}/password-reset", rep.id)))
        .bearer_auth(&admin)
        .json(&json!({ "password": "Reset-Imported-2026" }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let signed_in = t.sign_in("rep.nb1.1", "Reset-Imported-2026").await;
    let me = signed_in.get(t.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status().as_u16(), 200);

    // the same file again changes nothing and writes no audit entry
    let audit_mark = t.last_audit_id().await;
    let again = import_ok(&t, &admin, "people", file.as_bytes()).await;
    assert_eq!(
        (&again["created"], &again["updated"], &again["unchanged"]),
        (&json!(0), &json!(0), &json!(5)),
        "{again}"
    );
    assert_eq!(t.last_audit_id().await, audit_mark);

    // a corrected file changes only what differs
    let corrected = file.replace("浙江经理", "浙江区域经理");
    let fixed = import_ok(&t, &admin, "people", corrected.as_bytes()).await;
    assert_eq!(
        (&fixed["created"], &fixed["updated"], &fixed["unchanged"]),
        (&json!(0), &json!(1), &json!(4)),
        "{fixed}"
    );
    let audit = t.audit_since(audit_mark).await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].operation, "person.import_update");
    assert_eq!(t.person("am.zj9").await.display_name, "浙江区域经理");

    // round trip: the export imports back without a change
    let csv = export(&t, &admin, "people", "csv").await;
    let text = String::from_utf8(csv.clone()).unwrap();
    assert!(
        text.contains("A-ZJ9") && text.contains("rep.nb1.1"),
        "{text}"
    );
    let back = import_ok(&t, &admin, "people", &csv).await;
    assert_eq!(back["created"], json!(0), "{back}");
    assert_eq!(back["updated"], json!(0), "{back}");
    let again_csv = export(&t, &admin, "people", "csv").await;
    assert_eq!(again_csv, csv);
}

#[tokio::test]
async fn every_people_and_unit_problem_is_listed_and_nothing_is_written() {
    let t = TestApp::spawn().await;
    let admin = t.token_for("admin").await;
    let nodes_before = t.count("SELECT COUNT(*) AS n FROM org_nodes").await;
    let people_before = t.count("SELECT COUNT(*) AS n FROM people").await;
    let audit_before = t.last_audit_id().await;
    let file = format!(
        "{PEOPLE_HEADER}\
        unit,C-X1,,,city,A-SH,,,,,yes\n\
        unit,C-X2,某城,,city,A-NOPE,,,,,yes\n\
        unit,L-1,环一,,area,L-2,,,,,yes\n\
        unit,L-2,环二,,area,L-1,,,,,yes\n\
        person,dup.one,重复,,,,C-SH1,sales_rep,,,yes\n\
        person,dup.one,重复,,,,C-SH1,sales_rep,,,yes\n\
        person,dup.one,重复改,,,,C-SH1,sales_rep,,,yes\n\
        person,boss.two,老板,,,,HQ,admin,,,yes\n\
        person,rep.bad,坏角色,,,,C-SH1,wizard,,,yes\n\
        person,rep.nounit,无单位,,,,C-NOPE,sales_rep,,,yes\n\
        unit,C-SH1,上海,Shanghai,city,A-JS,,,,,yes\n\
        person,rep.wrong,错层级,,,,M-E,sales_rep,,,yes\n\
        person,rep.sh1.1,,,,,,,,,maybe\n"
    );
    let (status, v) = import_bytes(&t, &admin, "people", file.as_bytes(), false, json!({})).await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(
        problems(&v["import"]),
        owned(&[
            (2, "name", "", "import.required"),
            (3, "parent", "A-NOPE", "import.unknown_code"),
            (4, "parent", "L-2", "import.parent_cycle"),
            (5, "parent", "L-1", "import.parent_cycle"),
            (7, "code", "dup.one", "import.duplicate_in_file"),
            (8, "code", "dup.one", "import.conflicting_rows"),
            (9, "role", "admin", "import.role_not_grantable"),
            (10, "role", "wizard", "position.role_unknown"),
            (11, "unit", "C-NOPE", "import.unknown_code"),
            (12, "parent", "A-JS", "import.change_on_page"),
            (13, "unit", "M-E", "position.wrong_node_kind"),
            (14, "active", "maybe", "import.value_unknown"),
            (14, "name", "", "import.required"),
        ])
    );
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM org_nodes").await,
        nodes_before
    );
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM people").await,
        people_before
    );
    assert_eq!(t.last_audit_id().await, audit_before);
}

#[tokio::test]
async fn a_people_import_stays_inside_the_importers_part_of_the_organisation() {
    let t = TestApp::spawn().await;
    // an administrator whose view is the East market only
    let mut actor = t.actor("admin").await;
    let east = t.node("M-E").await;
    actor.scope = salesos_domain::scope::Scope::Subtree {
        path: east.org_path(),
    };
    let file = format!(
        "{PEOPLE_HEADER}\
        unit,A-N9,北方九区,North 9,area,M-N,,,,,yes\n\
        person,rep.hq9,总部人员,,,,HQ,order_desk,,,yes\n\
        person,director,总监改名,,,,,,,,yes\n\
        person,rep.sh9,上海九号,,,,C-SH1,sales_rep,,,yes\n"
    );
    let table = salesos_import::Table::from_bytes(file.into_bytes(), None).unwrap();
    let outcome = salesos_app::imports::run(
        &t.app,
        &actor,
        salesos_app::imports::Kind::People,
        table,
        salesos_app::imports::Request {
            dry_run: false,
            ..Default::default()
        },
        &mut |_| {},
    )
    .await
    .unwrap();
    let found: Vec<(u64, String, String, String)> = outcome
        .problems
        .iter()
        .map(|p| (p.row, p.field.clone(), p.value.clone(), p.code.to_string()))
        .collect();
    assert_eq!(
        found,
        owned(&[
            (2, "parent", "M-N", "import.out_of_scope"),
            (3, "unit", "HQ", "import.out_of_scope"),
            (4, "code", "director", "import.out_of_scope"),
        ])
    );
    assert!(!outcome.committed);
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM people WHERE login = 'rep.sh9'")
            .await,
        0
    );
    // people without the right to manage people cannot import them
    let am = t.token_for("am.sh").await;
    let (status, _) =
        import_bytes(&t, &am, "people", PEOPLE_HEADER.as_bytes(), true, json!({})).await;
    assert_eq!(status, 403);
}

// ---- progress ----

// Two worker threads: the server's import and the polls for its progress run side by side, as
// they do in the product, instead of taking turns on one thread (where a fast import could end
// before a poll got its turn: seen once in CI as `[4000, 4000]`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_import_reports_its_progress_row_by_row_up_to_the_files_rows() {
    let t = TestApp::spawn().await;
    let admin = t.token_for("admin").await;
    let rows = 4000;
    let mut file = String::from("code,name_zh,name_en,line,unit,case_size,tax_rate_bp\n");
    for i in 0..rows {
        file.push_str(&format!(
            "PG-{i:05},进度测试{i},Progress {i},BEV,瓶,12,1300\n"
        ));
    }
    let job = "progress-test-0001";
    let body = json!({
        "content_base64": base64::engine::general_purpose::STANDARD.encode(file.as_bytes()),
        "file_name": "progress.csv",
        "dry_run": false,
        "progress_job": job,
    });
    let client = t.api_client();
    let request = client
        .post(t.url("/api/v1/imports/products"))
        .bearer_auth(&admin)
        .json(&body)
        .send();
    let poll = async {
        let mut seen = Vec::new();
        loop {
            let res = client
                .get(t.url(&format!("/api/v1/imports/progress?job={job}")))
                .bearer_auth(&admin)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 200);
            let all: Value = res.json().await.unwrap();
            let p = &all["jobs"][0];
            if !p.is_null() {
                assert_eq!(p["total_rows"], json!(rows), "{p}");
                seen.push(p["rows_read"].as_u64().unwrap());
                if p["done"] == json!(true) {
                    assert_eq!(p["status"], json!(200));
                    return seen;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    let (res, seen) = tokio::join!(request, poll);
    let res = res.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let done: Value = res.json().await.unwrap();
    assert_eq!(done["created"], json!(rows));
    // the count only grows, passes through the middle of the file and ends at its rows
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert_eq!(*seen.last().unwrap(), rows);
    assert!(
        seen.iter().any(|r| *r > 0 && *r < rows),
        "no intermediate progress seen: {seen:?}"
    );
    // someone else cannot follow it, and a bad job name is a 4xx
    let other = t.token_for("director").await;
    let res = client
        .get(t.url(&format!("/api/v1/imports/progress?job={job}")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let theirs: Value = res.json().await.unwrap();
    assert_eq!(
        theirs["jobs"],
        json!([]),
        "another person's import is not shown"
    );
    let (status, v) = import_bytes(
        &t,
        &admin,
        "products",
        b"code\n",
        true,
        json!({ "progress_job": "x" }),
    )
    .await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["code"], json!("import.progress_job_invalid"));
}
