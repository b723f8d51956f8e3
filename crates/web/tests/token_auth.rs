//! Authenticating an API token reads the token, its person and their node in one query
//! (`auth::find_live_token_holder`); nothing is cached between requests, so a revoked token or a
//! deactivated person is refused on the very next call.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_store::{auth, org, people};
use salesos_test_support::TestApp;
use serde_json::Value;

async fn me(t: &TestApp, token: &str) -> reqwest::Response {
    t.api(token, reqwest::Method::GET, "/api/v1/me", None).await
}

/// The token is refused (401) with this problem code.
async fn assert_refused(t: &TestApp, token: &str, code: &str) {
    let res = me(t, token).await;
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], code);
}

#[tokio::test]
async fn the_joined_read_finds_what_the_separate_reads_find() {
    let t = TestApp::spawn().await;
    for login in ["admin", "desk", "rep.sh1.1"] {
        let token = t.token_for(login).await;
        let mut conn = t.app.store.read().await.unwrap();
        let holder = auth::find_live_token_holder(&mut conn, &token)
            .await
            .unwrap()
            .expect("a live token");
        let row = auth::find_live_token(&mut conn, &token)
            .await
            .unwrap()
            .unwrap();
        let person = people::get_unscoped(&mut conn, row.person_id)
            .await
            .unwrap()
            .unwrap();
        let node = match person.node_id {
            Some(id) => org::get_unscoped(&mut conn, id).await.unwrap(),
            None => None,
        };
        assert_eq!(holder.token, row, "{login}");
        assert_eq!(holder.person, person, "{login}");
        assert_eq!(holder.node, node, "{login}");
        assert!(holder.node.is_some(), "{login} has a position");
        assert!(auth::find_live_token_holder(&mut conn, "sos_no-such-token")
            .await
            .unwrap()
            .is_none());
    }
}

#[tokio::test]
async fn revocation_and_deactivation_take_effect_on_the_next_request() {
    let t = TestApp::spawn().await;
    let (token, id) = t.token_with_id("rep.sh1.1").await;
    let res = me(&t, &token).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["login"], "rep.sh1.1");

    // revoked straight in the database, as another server on the same database would
    let mut tx = t.app.store.begin().await.unwrap();
    auth::revoke_token(tx.conn(), id, salesos_store::now_micros())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_refused(&t, &token, "auth.token_invalid").await;

    // a person made inactive behind the server's back loses their live token at once
    let (token, _) = t.token_with_id("desk").await;
    assert_eq!(me(&t, &token).await.status(), 200);
    let desk = t.person_id("desk").await;
    let mut tx = t.app.store.begin().await.unwrap();
    salesos_store::sql::Sql::new("UPDATE people SET active = 0 WHERE id = ")
        .bind(desk)
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_refused(&t, &token, "auth.account_inactive").await;
}
