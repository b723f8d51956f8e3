//! The store on a real database: whichever backend `SALESOS_TEST_DB` selects (`sqlite` by
//! default, `postgres` in the second CI pass), each test on a database of its own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_domain::org::{NodeKind, OrgPath};
use salesos_domain::PersonId;
use salesos_store::org::{NewNode, NodeRow};
use salesos_store::people::{NewPerson, PeopleFilter};
use salesos_store::sql::Sql;
use salesos_store::{audit, check, migrate, org, people, Backend, Conn, Scope, StoreError};
use salesos_test_support::db::{empty_test_db, TestBackend};
use salesos_test_support::test_db;
use sqlx::Row;

async fn add_node(
    conn: &mut Conn,
    parent: Option<&NodeRow>,
    kind: NodeKind,
    code: &str,
) -> NodeRow {
    org::insert(
        conn,
        NewNode {
            parent,
            kind,
            code,
            name_zh: code,
            name_en: code,
            effective_from: "2024-01-01",
        },
    )
    .await
    .unwrap()
}

async fn add_person(conn: &mut Conn, login: &str) -> Result<i64, StoreError> {
    people::insert(
        conn,
        NewPerson {
            login,
            display_name: login,
            email: None,
            phone: None,
            password_hash: "not-a-real-hash",
            locale: "zh-CN",
        },
    )
    .await
}

async fn place(conn: &mut Conn, login: &str, node: &NodeRow, role: &str) -> i64 {
    let id = add_person(conn, login).await.unwrap();
    people::assign(conn, id, node.id, &node.path, role, "2024-01-01")
        .await
        .unwrap();
    id
}

async fn node_path_of(conn: &mut Conn, login: &str) -> String {
    let person = people::find_by_login_unscoped(conn, login)
        .await
        .unwrap()
        .unwrap();
    person.node_path.unwrap()
}

fn all() -> PeopleFilter {
    PeopleFilter {
        limit: 1000,
        ..PeopleFilter::default()
    }
}

async fn logins(conn: &mut Conn, scope: &Scope) -> Vec<String> {
    let mut logins: Vec<String> = people::list(conn, scope, &all())
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.login)
        .collect();
    logins.sort();
    logins
}

fn subtree(node: &NodeRow) -> Scope {
    Scope::Subtree {
        path: OrgPath::parse(&node.path).unwrap(),
    }
}

async fn count(conn: &mut Conn, table: &str) -> i64 {
    Sql::new(&format!("SELECT COUNT(*) AS n FROM {table}"))
        .fetch_one(conn)
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

#[tokio::test]
async fn the_backend_is_the_one_selected() {
    let db = test_db().await;
    let expected = match TestBackend::from_env().unwrap() {
        TestBackend::Sqlite => Backend::Sqlite,
        TestBackend::Postgres => Backend::Postgres,
    };
    assert_eq!(db.backend(), expected);
    db.store.ping().await.unwrap();
    if db.backend() == Backend::Sqlite {
        // pragmas set on every connection
        let mut tx = db.store.begin().await.unwrap();
        let mode: String = sqlx::query("PRAGMA journal_mode")
            .fetch_one(tx.conn())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(mode.to_lowercase(), "wal");
        let fk: i64 = sqlx::query("PRAGMA foreign_keys")
            .fetch_one(tx.conn())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(fk, 1);
        let sync: i64 = sqlx::query("PRAGMA synchronous")
            .fetch_one(tx.conn())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(sync, 2, "synchronous = FULL");
    }
}

#[tokio::test]
async fn numbered_placeholders_bind_by_number() {
    let db = test_db().await;
    let mut conn = db.store.read().await.unwrap();
    // out of order and repeated: `$N` must bind by number, not by position
    let row = sqlx::query("SELECT $2 AS b, $1 AS a, $1 + 1 AS a_plus")
        .bind(41_i64)
        .bind("x")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(row.try_get::<String, _>("b").unwrap(), "x");
    assert_eq!(row.try_get::<i64, _>("a").unwrap(), 41);
    assert_eq!(row.try_get::<i64, _>("a_plus").unwrap(), 42);
}

#[tokio::test]
async fn migrations_run_once() {
    let db = empty_test_db().await;
    let first = migrate::run(&db.store).await.unwrap();
    assert!(first > 0);
    assert_eq!(i64::try_from(first).unwrap(), migrate::latest_version());
    assert_eq!(migrate::run(&db.store).await.unwrap(), 0);
    let mut conn = db.store.read().await.unwrap();
    assert_eq!(
        count(&mut conn, "schema_migrations").await,
        migrate::latest_version()
    );
    assert_eq!(count(&mut conn, "people").await, 0);

    // a database from test_db() is already at the latest version
    let migrated = test_db().await;
    assert_eq!(migrate::run(&migrated.store).await.unwrap(), 0);
}

#[tokio::test]
async fn moving_a_subtree_rebases_paths_and_keeps_history() {
    let db = test_db().await;
    let mut tx = db.store.begin().await.unwrap();
    let c = tx.conn();
    let company = add_node(c, None, NodeKind::Company, "co").await;
    let east = add_node(c, Some(&company), NodeKind::Market, "east").await;
    let west = add_node(c, Some(&company), NodeKind::Market, "west").await;
    let area = add_node(c, Some(&east), NodeKind::Area, "area").await;
    let city = add_node(c, Some(&area), NodeKind::City, "city").await;
    let stay = add_node(c, Some(&east), NodeKind::Area, "stay").await;
    place(c, "mm_east", &east, "market_manager").await;
    place(c, "am", &area, "area_manager").await;
    place(c, "rep", &city, "sales_rep").await;
    place(c, "am_stay", &stay, "area_manager").await;
    place(c, "mm_west", &west, "market_manager").await;
    assert_eq!(check::run(c).await.unwrap(), Vec::<String>::new());
    let old_area_path = area.path.clone();

    let moved = org::move_subtree(c, &area, &west, "2024-06-01")
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let expected_area = format!("{}{}/", west.path, area.id);
    let expected_city = format!("{expected_area}{}/", city.id);
    assert_eq!(moved.path, expected_area);
    assert_eq!(moved.parent_id, Some(west.id));

    let mut conn = db.store.read().await.unwrap();
    let c = &mut *conn;
    let city_now = org::get_unscoped(c, city.id).await.unwrap().unwrap();
    assert_eq!(city_now.path, expected_city);
    assert_eq!(city_now.parent_id, Some(area.id));
    // nodes outside the subtree keep their paths
    for node in [&company, &east, &west, &stay] {
        let now = org::get_unscoped(c, node.id).await.unwrap().unwrap();
        assert_eq!(now.path, node.path, "node {} must not move", node.code);
    }

    assert_eq!(node_path_of(c, "am").await, expected_area);
    assert_eq!(node_path_of(c, "rep").await, expected_city);
    assert_eq!(node_path_of(c, "mm_east").await, east.path);
    assert_eq!(node_path_of(c, "am_stay").await, stay.path);
    assert_eq!(node_path_of(c, "mm_west").await, west.path);

    // the moved node's history: the old period closed on the move date, a new one open
    let links = org::links(c, area.id).await.unwrap();
    assert_eq!(links.len(), 2, "{links:?}");
    assert_eq!(links[0].parent_id, Some(east.id));
    assert_eq!(links[0].path, old_area_path);
    assert_eq!(links[0].valid_from, "2024-01-01");
    assert_eq!(links[0].valid_to.as_deref(), Some("2024-06-01"));
    assert_eq!(links[1].parent_id, Some(west.id));
    assert_eq!(links[1].path, expected_area);
    assert_eq!(links[1].valid_from, "2024-06-01");
    assert_eq!(links[1].valid_to, None);
    assert_eq!(
        org::current_link_start(c, area.id)
            .await
            .unwrap()
            .as_deref(),
        Some("2024-06-01")
    );
    // a descendant's history says where it was before and after the move
    let city_links = org::links(c, city.id).await.unwrap();
    let open: Vec<_> = city_links.iter().filter(|l| l.valid_to.is_none()).collect();
    assert_eq!(open.len(), 1, "{city_links:?}");
    assert_eq!(open[0].path, expected_city);
    assert!(
        city_links
            .iter()
            .any(|l| l.path == city.path && l.valid_to.as_deref() == Some("2024-06-01")),
        "{city_links:?}"
    );

    // the west manager now sees the moved people, the east manager no longer does
    let west_scope = subtree(&west);
    assert_eq!(logins(c, &west_scope).await, ["am", "mm_west", "rep"]);
    let east_scope = subtree(&east);
    assert_eq!(logins(c, &east_scope).await, ["am_stay", "mm_east"]);

    assert_eq!(check::run(c).await.unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn people_lists_apply_the_scope() {
    let db = test_db().await;
    let mut tx = db.store.begin().await.unwrap();
    let c = tx.conn();
    let company = add_node(c, None, NodeKind::Company, "co").await;
    let market = add_node(c, Some(&company), NodeKind::Market, "m").await;
    // a sibling whose id starts with the market's id: "/1/2/" must not admit "/1/20/"
    let prefix = market.id.to_string();
    let mut trap = None;
    for i in 0..200 {
        let sibling = add_node(c, Some(&company), NodeKind::Market, &format!("s{i}")).await;
        if sibling.id.to_string().starts_with(&prefix) {
            trap = Some(sibling);
            break;
        }
    }
    let trap = trap.expect("a sibling whose id extends the market's id");
    assert!(trap.path.starts_with(market.path.trim_end_matches('/')));
    assert!(!trap.path.starts_with(&market.path));
    let area = add_node(c, Some(&market), NodeKind::Area, "a").await;
    let trap_area = add_node(c, Some(&trap), NodeKind::Area, "ta").await;

    let mm = place(c, "mm", &market, "market_manager").await;
    let rep = place(c, "rep", &area, "sales_rep").await;
    let other = place(c, "other", &trap, "market_manager").await;
    place(c, "other_rep", &trap_area, "sales_rep").await;
    place(c, "boss", &company, "director").await;
    let inactive = place(c, "gone", &area, "sales_rep").await;
    people::end_assignment(c, inactive, "2024-03-01")
        .await
        .unwrap();
    people::set_active(c, inactive, false).await.unwrap();
    tx.commit().await.unwrap();

    let mut conn = db.store.read().await.unwrap();
    let c = &mut *conn;
    let market_scope = subtree(&market);
    assert_eq!(logins(c, &market_scope).await, ["mm", "rep"]);
    let trap_scope = subtree(&trap);
    assert_eq!(logins(c, &trap_scope).await, ["other", "other_rep"]);
    assert_eq!(
        logins(c, &subtree(&company)).await,
        ["boss", "mm", "other", "other_rep", "rep"]
    );
    // inactive people only when asked for
    let with_inactive = PeopleFilter {
        include_inactive: true,
        ..all()
    };
    let listed = people::list(c, &market_scope, &with_inactive)
        .await
        .unwrap();
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().any(|p| p.login == "gone" && !p.active));

    let own = Scope::Own {
        person: PersonId(rep),
        path: OrgPath::parse(&area.path).unwrap(),
    };
    assert_eq!(logins(c, &own).await, ["rep"]);
    assert_eq!(logins(c, &Scope::Nothing).await, Vec::<String>::new());

    // details follow the same rule
    assert!(people::get(c, &market_scope, mm).await.unwrap().is_some());
    assert!(people::get(c, &market_scope, other)
        .await
        .unwrap()
        .is_none());
    assert!(people::get(c, &own, rep).await.unwrap().is_some());
    assert!(people::get(c, &own, mm).await.unwrap().is_none());
    assert!(people::get(c, &Scope::Nothing, rep)
        .await
        .unwrap()
        .is_none());

    // text filter, paging
    let text = PeopleFilter {
        text: Some("REP".to_string()),
        ..all()
    };
    let mut found: Vec<_> = people::list(c, &subtree(&company), &text)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.login)
        .collect();
    found.sort();
    assert_eq!(found, ["other_rep", "rep"]);
    let page = PeopleFilter {
        limit: 2,
        offset: 1,
        ..all()
    };
    assert_eq!(
        people::list(c, &subtree(&company), &page)
            .await
            .unwrap()
            .len(),
        2
    );

    // nodes: managers see their subtree only; field staff the chain above their node
    let node_ids = |rows: Vec<NodeRow>| rows.into_iter().map(|n| n.id).collect::<Vec<_>>();
    assert_eq!(
        node_ids(org::list(c, &market_scope).await.unwrap()),
        [market.id, area.id]
    );
    assert_eq!(
        node_ids(org::list(c, &own).await.unwrap()),
        [company.id, market.id, area.id]
    );
    assert!(org::list(c, &Scope::Nothing).await.unwrap().is_empty());
    assert!(org::get(c, &market_scope, trap.id).await.unwrap().is_none());
    assert!(org::get(c, &market_scope, area.id).await.unwrap().is_some());
}

#[tokio::test]
async fn unique_violations_name_the_field() {
    let db = test_db().await;
    let mut tx = db.store.begin().await.unwrap();
    add_person(tx.conn(), "ann").await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = db.store.begin().await.unwrap();
    match add_person(tx.conn(), "ann").await {
        Err(StoreError::Unique { field }) => assert_eq!(field, "login"),
        other => panic!("expected a unique violation on login, got {other:?}"),
    }
    drop(tx);

    let mut tx = db.store.begin().await.unwrap();
    let company = add_node(tx.conn(), None, NodeKind::Company, "co").await;
    let result = org::insert(
        tx.conn(),
        NewNode {
            parent: Some(&company),
            kind: NodeKind::Market,
            code: "co",
            name_zh: "x",
            name_en: "x",
            effective_from: "2024-01-01",
        },
    )
    .await;
    match result {
        Err(StoreError::Unique { field }) => assert_eq!(field, "code"),
        other => panic!("expected a unique violation on code, got {other:?}"),
    }
}

#[tokio::test]
async fn foreign_keys_are_enforced() {
    let db = test_db().await;
    let mut tx = db.store.begin().await.unwrap();
    let id = add_person(tx.conn(), "ann").await.unwrap();
    let result = people::assign(
        tx.conn(),
        id,
        999_999,
        "/999999/",
        "sales_rep",
        "2024-01-01",
    )
    .await;
    assert!(
        matches!(result, Err(StoreError::ForeignKey)),
        "expected a foreign key violation, got {result:?}"
    );
}

fn assert_refused(result: Result<u64, StoreError>, what: &str) {
    match result {
        Err(StoreError::Db(err)) => {
            let text = err.to_string();
            assert!(
                text.contains("append-only"),
                "{what}: unexpected error {text}"
            );
        }
        other => panic!("{what} on audit_log must be refused, got {other:?}"),
    }
}

#[tokio::test]
async fn the_audit_log_is_append_only() {
    let db = test_db().await;
    let mut tx = db.store.begin().await.unwrap();
    let id = audit::append(
        tx.conn(),
        audit::NewEntry {
            person_id: None,
            source: "127.0.0.1",
            request_id: "req-1",
            operation: "person.create",
            entity: "person",
            entity_id: 7,
            scope_path: Some("/1/"),
            before: None,
            after: Some(serde_json::json!({"login": "ann"})),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let attempts = [
        (
            "UPDATE",
            format!("UPDATE audit_log SET operation = 'forged' WHERE id = {id}"),
        ),
        ("DELETE", format!("DELETE FROM audit_log WHERE id = {id}")),
        ("DELETE all", "DELETE FROM audit_log".to_string()),
    ];
    for (what, sql) in attempts {
        let mut tx = db.store.begin().await.unwrap();
        assert_refused(Sql::new(&sql).execute(tx.conn()).await, what);
        drop(tx);
    }
    if db.backend() == Backend::Postgres {
        let mut tx = db.store.begin().await.unwrap();
        assert_refused(
            Sql::new("TRUNCATE audit_log").execute(tx.conn()).await,
            "TRUNCATE",
        );
        drop(tx);
    }

    let mut conn = db.store.read().await.unwrap();
    assert_eq!(audit::count(&mut conn).await.unwrap(), 1);
    let history = audit::for_record(&mut conn, "person", 7).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].operation, "person.create");
    assert_eq!(history[0].after, Some(serde_json::json!({"login": "ann"})));
    assert_eq!(history[0].before, None);
}

#[tokio::test]
async fn an_uncommitted_transaction_leaves_nothing() {
    let db = test_db().await;

    let mut tx = db.store.begin().await.unwrap();
    let company = add_node(tx.conn(), None, NodeKind::Company, "co").await;
    place(tx.conn(), "ann", &company, "director").await;
    assert_eq!(
        count(tx.conn(), "people").await,
        1,
        "visible inside the transaction"
    );
    drop(tx);

    let mut tx = db.store.begin().await.unwrap();
    assert_eq!(count(tx.conn(), "people").await, 0);
    assert_eq!(count(tx.conn(), "org_nodes").await, 0);
    assert_eq!(count(tx.conn(), "assignments").await, 0);
    add_person(tx.conn(), "bob").await.unwrap();
    tx.rollback().await.unwrap();

    let mut conn = db.store.read().await.unwrap();
    assert_eq!(count(&mut conn, "people").await, 0);
    assert_eq!(count(&mut conn, "org_node_links").await, 0);
    drop(conn);

    // and a committed one stays, with the same login free again
    let mut tx = db.store.begin().await.unwrap();
    add_person(tx.conn(), "ann").await.unwrap();
    tx.commit().await.unwrap();
    let mut conn = db.store.read().await.unwrap();
    assert_eq!(count(&mut conn, "people").await, 1);
}

#[tokio::test]
async fn check_reports_broken_invariants() {
    let db = test_db().await;
    let mut tx = db.store.begin().await.unwrap();
    let c = tx.conn();
    let company = add_node(c, None, NodeKind::Company, "co").await;
    let market = add_node(c, Some(&company), NodeKind::Market, "m").await;
    let area = add_node(c, Some(&market), NodeKind::Area, "a").await;
    let rep = place(c, "rep", &area, "sales_rep").await;
    tx.commit().await.unwrap();
    {
        let mut conn = db.store.read().await.unwrap();
        assert_eq!(check::run(&mut conn).await.unwrap(), Vec::<String>::new());
    }

    // a node path that no longer follows its parent
    let mut tx = db.store.begin().await.unwrap();
    let mut corrupt = Sql::new("UPDATE org_nodes SET path = ");
    corrupt.bind("/999/").push(" WHERE id = ").bind(area.id);
    assert_eq!(corrupt.execute(tx.conn()).await.unwrap(), 1);
    let problems = check::run(tx.conn()).await.unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with(&format!("org node {}:", area.id))),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with(&format!("person {rep}:"))),
        "the person's path no longer matches their node: {problems:?}"
    );
    drop(tx);

    // two open assignments for one person
    let mut tx = db.store.begin().await.unwrap();
    let mut second = Sql::new(
        "INSERT INTO assignments (person_id, node_id, role, valid_from, created_at) VALUES (",
    );
    second
        .bind(rep)
        .push(", ")
        .bind(market.id)
        .push(", 'sales_rep', '2024-02-01', 0)");
    second.execute(tx.conn()).await.unwrap();
    let problems = check::run(tx.conn()).await.unwrap();
    assert!(
        problems.iter().any(|p| p.contains("2 open assignments")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("overlap")),
        "{problems:?}"
    );
    drop(tx);

    // rolled back: all holds again
    let mut conn = db.store.read().await.unwrap();
    assert_eq!(check::run(&mut conn).await.unwrap(), Vec::<String>::new());
}
