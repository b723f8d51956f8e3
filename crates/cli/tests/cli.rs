#![allow(clippy::expect_used, clippy::unwrap_used)]
//! The command-line contract operators and scripts rely on, run against the real binary on the
//! backend chosen by `SALESOS_TEST_DB`.

use salesos_test_support::db::test_db;
use std::process::Command;

mod common;
use common::{run, run_tiny_demo, stdout, temp_dir};

#[tokio::test]
async fn demo_user_list_token_and_check() {
    let db = test_db().await;
    let dir = temp_dir("cli-demo");
    let out = run(&db.url, &dir, &["demo", "--size", "tiny", "--no-serve"]);
    assert!(
        out.status.success(),
        "demo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains("salesos-demo"),
        "the demo password is printed"
    );

    let out = run(&db.url, &dir, &["user", "list", "--json"]);
    assert!(out.status.success());
    let people: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&out)).expect("user list --json prints JSON");
    let admin = people
        .iter()
        .find(|p| p["login"] == "admin")
        .expect("admin is listed");
    assert_eq!(admin["role"], "admin");
    assert!(admin["node_id"].is_i64());
    assert!(people.iter().any(|p| p["role"] == "sales_rep"));

    let out = run(&db.url, &dir, &["user", "token", "mm.e"]);
    assert!(out.status.success());
    let token = stdout(&out).trim().to_string();
    assert!(
        token.starts_with("sos_") && token.len() > 30,
        "a token is printed: {token:?}"
    );
    let mut conn = db.store.read().await.expect("conn");
    let live = salesos_store::auth::find_live_token(&mut conn, &token)
        .await
        .expect("query");
    let person = salesos_store::people::find_by_login_unscoped(&mut conn, "mm.e")
        .await
        .expect("query")
        .expect("mm.e");
    assert_eq!(
        live.map(|t| t.person_id),
        Some(person.id),
        "the token acts as mm.e"
    );
    drop(conn);

    let out = run(&db.url, &dir, &["user", "token", "nobody"]);
    assert!(!out.status.success(), "an unknown login is an error");

    let out = run(&db.url, &dir, &["check"]);
    assert!(
        out.status.success(),
        "check passes on the demo: {}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("all invariants hold"));

    // break an invariant behind the application's back: check must see it and fail
    let mut tx = db.store.begin().await.expect("tx");
    sqlx::query("UPDATE people SET node_path = '/999/' WHERE login = 'am.sh'")
        .execute(tx.conn())
        .await
        .expect("corrupt");
    tx.commit().await.expect("commit");
    let out = run(&db.url, &dir, &["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("DIFFERENCE: person"),
        "{}",
        stdout(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn user_add_and_reset_password() {
    let db = test_db().await;
    let dir = temp_dir("cli-add");
    run_tiny_demo(&db.url, &dir);
    let out = run(
        &db.url,
        &dir,
        &[
            "user",
            "add",
            "--login",
            "zhao.new",
            "--name",
            "赵新",
            "--password",
            "a-long-secret-1",
            "--unit",
            "A-SH",
            "--role",
            "sales_rep",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        &db.url,
        &dir,
        &[
            "user",
            "add",
            "--login",
            "zhao.new",
            "--name",
            "x",
            "--password",
            "a-long-secret-1",
            "--unit",
            "A-SH",
            "--role",
            "sales_rep",
        ],
    );
    assert!(!out.status.success(), "a duplicate login is refused");
    let out = run(
        &db.url,
        &dir,
        &[
            "user",
            "add",
            "--login",
            "bad.role",
            "--name",
            "x",
            "--password",
            "a-long-secret-1",
            "--unit",
            "HQ",
            "--role",
            "sales_rep",
        ],
    );
    assert!(
        !out.status.success(),
        "a rep cannot sit at the company level"
    );
    let out = run(&db.url, &dir, &["user", "reset-password", "zhao.new"]);
    assert!(out.status.success());
    let generated = stdout(&out).trim().to_string();
    assert_eq!(generated.len(), 16);
    let mut conn = db.store.read().await.expect("conn");
    let person = salesos_store::people::find_by_login_unscoped(&mut conn, "zhao.new")
        .await
        .expect("q")
        .expect("added");
    assert_eq!(person.role.as_deref(), Some("sales_rep"));
    let creds = salesos_store::people::credentials(&mut conn, person.id)
        .await
        .expect("q")
        .expect("creds");
    assert!(
        salesos_app::password::verify(generated, creds.password_hash).await,
        "the printed password is the new one"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// SQLite: an online copy that is itself a working database; PostgreSQL: a pg_dump archive.
#[tokio::test]
async fn backup_is_a_consistent_restorable_copy() {
    match salesos_test_support::db::TestBackend::from_env().expect("backend") {
        salesos_test_support::db::TestBackend::Sqlite => sqlite_backup_restores().await,
        salesos_test_support::db::TestBackend::Postgres => postgres_backup_writes_a_dump().await,
    }
}

async fn sqlite_backup_restores() {
    let db = test_db().await;
    let dir = temp_dir("cli-backup");
    run_tiny_demo(&db.url, &dir);
    let target = dir.join("copy.db");
    let out = run(
        &db.url,
        &dir,
        &["backup", "--out", target.to_str().expect("utf-8")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        &db.url,
        &dir,
        &["backup", "--out", target.to_str().expect("utf-8")],
    );
    assert!(
        !out.status.success(),
        "an existing file is never overwritten"
    );
    // restore = use the copy as the database
    let restored = format!("sqlite://{}?mode=rw", target.display());
    let out = run(&restored, &dir, &["check"]);
    assert!(
        out.status.success(),
        "the copy is consistent: {}",
        stdout(&out)
    );
    let out = run(&restored, &dir, &["user", "list", "--json"]);
    let people: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).expect("json");
    let mut conn = db.store.read().await.expect("conn");
    assert_eq!(
        i64::try_from(people.len()).expect("fits"),
        salesos_store::people::count(&mut conn)
            .await
            .expect("count")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

async fn postgres_backup_writes_a_dump() {
    let db = test_db().await;
    let dir = temp_dir("cli-pgbackup");
    run_tiny_demo(&db.url, &dir);
    let target = dir.join("copy.dump");
    let out = run(
        &db.url,
        &dir,
        &["backup", "--out", target.to_str().expect("utf-8")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing = Command::new("pg_restore")
        .arg("--list")
        .arg(&target)
        .output()
        .expect("pg_restore runs");
    assert!(listing.status.success());
    let text = String::from_utf8_lossy(&listing.stdout);
    assert!(
        text.contains("TABLE DATA public people"),
        "the dump holds the people: {text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
