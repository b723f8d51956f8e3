#![allow(clippy::expect_used, clippy::unwrap_used)]
//! `salesos import` against the real binary on the backend chosen by `SALESOS_TEST_DB`: problems
//! listed with exit code 2 and nothing written, an import, the same file again changing
//! nothing, `--as` for kinds the operator may not import, `salesos check` clean afterwards.

use salesos_test_support::db::test_db;
use std::path::PathBuf;
use std::process::Output;

mod common;
use common::{run, run_tiny_demo, temp_dir};

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn data(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../web/tests/data")
        .join(name)
        .display()
        .to_string()
}

#[tokio::test]
async fn import_checks_imports_and_reimports_nothing() {
    let db = test_db().await;
    let dir = temp_dir("cli-import");
    run_tiny_demo(&db.url, &dir);

    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "code,name_zh,name_en,line,unit,case_size,tax_rate_bp\nCLI-1,命令行茶,CLI tea,BEV,瓶,-3,1300\n",
    )
    .unwrap();
    let out = run(
        &db.url,
        &dir,
        &["import", "products", bad.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let printed = text(&out);
    assert!(
        printed.contains("row 2\tcase_size\t\"-3\"\tproduct.case_size_invalid"),
        "{printed}"
    );
    assert!(printed.contains("nothing written"), "{printed}");

    let products = data("rt_products.csv");
    let out = run(
        &db.url,
        &dir,
        &["import", "products", &products, "--dry-run"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("2 new"), "{}", text(&out));
    let out = run(&db.url, &dir, &["import", "products", &products]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("imported"), "{}", text(&out));
    let out = run(&db.url, &dir, &["import", "products", &products]);
    assert!(
        text(&out).contains("0 new, 0 changed, 2 unchanged"),
        "{}",
        text(&out)
    );

    // the operator has the administrator's rights: order history needs the order desk
    for kind in ["prices", "dealers"] {
        let out = run(
            &db.url,
            &dir,
            &["import", kind, &data(&format!("rt_{kind}.csv"))],
        );
        assert!(out.status.success(), "{kind}: {}", text(&out));
    }
    let orders = data("rt_orders.csv");
    let out = run(&db.url, &dir, &["import", "orders", &orders]);
    assert!(!out.status.success());
    assert!(text(&out).contains("--as"), "{}", text(&out));
    let out = run(
        &db.url,
        &dir,
        &["import", "orders", &orders, "--as", "desk"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run(
        &db.url,
        &dir,
        &[
            "import",
            "receivables",
            &data("rt_receivables.csv"),
            "--as",
            "billing",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));

    // people and organisation: a unit and the person placed in it, in either order
    let people = dir.join("people.csv");
    std::fs::write(
        &people,
        "记录类型,编码/账号,名称/姓名,单位层级,上级单位编码,所属单位编码,角色\n\
         人员,rep.cli9.1,命令行代表,,,C-CLI9,sales_rep\n\
         单位,C-CLI9,命令行城,city,A-SH,,\n",
    )
    .unwrap();
    let path = people.to_str().unwrap();
    let out = run(&db.url, &dir, &["import", "people", path]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("2 new"), "{}", text(&out));
    let out = run(&db.url, &dir, &["import", "people", path]);
    assert!(
        text(&out).contains("0 new, 0 changed, 2 unchanged"),
        "{}",
        text(&out)
    );

    let out = run(&db.url, &dir, &["check"]);
    assert!(out.status.success(), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}
