//! The monthly PAE pack: made once per month for every market however many servers ask at
//! once, holding the month's targets against actuals with places among peers, the best and
//! worst dealers and the holds, read back from the XLSX a market manager downloads; other
//! markets' managers, area managers and reps cannot download it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration;
use salesos_app::jobs::{self, Outcome};
use salesos_app::pae_pack;
use salesos_app::targets::{self, NewTargetInput};
use salesos_store::sql::Sql;
use salesos_test_support::order_fixtures::{catalogue, dealer, history_order};
use salesos_test_support::target_fixtures::last_month;
use salesos_test_support::TestApp;
use serde_json::json;

async fn target(
    t: &TestApp,
    login: &str,
    owner_node: Option<i64>,
    owner_person: Option<i64>,
    amount: i64,
    month: &str,
    parent: Option<i64>,
) -> i64 {
    let actor = t.actor(login).await;
    targets::create(
        &t.app,
        &actor,
        NewTargetInput {
            metric: Some("ordered_amount".into()),
            amount: Some(amount),
            owner_node,
            owner_person,
            period: Some(month.into()),
            parent_id: parent,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .view
    .target
    .id
}

/// A confirmed order of one line of `amount` fen on `date` (the rollups count its line).
async fn sale(t: &TestApp, dealer: i64, product: i64, date: &str, amount: i64) {
    history_order(&t.app.store, dealer, date, amount, "confirmed").await;
    let mut tx = t.app.store.begin().await.unwrap();
    let mut sql = Sql::new(
        "INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price_fen, amount_fen) \
         SELECT MAX(id), 1, ",
    );
    sql.bind(product)
        .push(", 1, ")
        .bind(amount)
        .push(", ")
        .bind(amount)
        .push(" FROM orders WHERE dealer_id = ")
        .bind(dealer);
    sql.execute(tx.conn()).await.unwrap();
    tx.commit().await.unwrap();
}

async fn code_of(t: &TestApp, dealer: i64) -> String {
    let mut conn = t.app.store.read().await.unwrap();
    salesos_store::dealers::get_unscoped(&mut conn, dealer)
        .await
        .unwrap()
        .unwrap()
        .code
}

/// A sheet of a downloaded pack: its data rows as text.
fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<String>> {
    salesos_import::Table::from_bytes(bytes.to_vec(), Some(name))
        .unwrap_or_else(|e| panic!("sheet {name}: {e:?}"))
        .map(|r| r.unwrap().cells())
        .collect()
}

fn number(text: &str) -> f64 {
    text.parse()
        .unwrap_or_else(|_| panic!("{text:?} is not a number"))
}

fn row_with<'a>(rows: &'a [Vec<String>], text: &str) -> &'a Vec<String> {
    rows.iter()
        .find(|r| r.iter().any(|c| c.contains(text)))
        .unwrap_or_else(|| panic!("no row with {text}: {rows:?}"))
}

#[tokio::test]
async fn the_pack_is_made_once_holds_the_right_figures_and_stays_in_its_market() {
    let t = TestApp::spawn().await;
    let (first, month) = last_month();
    let day = |n: i64| (first + Duration::days(n - 1)).to_string();
    let (hq, m_e) = (t.node_id("HQ").await, t.node_id("M-E").await);
    let (a_sh, a_js) = (t.node_id("A-SH").await, t.node_id("A-JS").await);
    let (rep, kam) = (t.person_id("rep.sh1.1").await, t.person_id("kam.sh").await);
    let top = target(&t, "director", Some(hq), None, 5_000_000, &month, None).await;
    let east = target(
        &t,
        "director",
        Some(m_e),
        None,
        2_000_000,
        &month,
        Some(top),
    )
    .await;
    let sh = target(&t, "mm.e", Some(a_sh), None, 1_000_000, &month, Some(east)).await;
    target(&t, "mm.e", Some(a_js), None, 100_000, &month, Some(east)).await;
    target(&t, "am.sh", None, Some(rep), 800_000, &month, Some(sh)).await;
    target(&t, "am.sh", None, Some(kam), 200_000, &month, Some(sh)).await;

    let c = catalogue(&t, 10_000).await;
    let d1 = dealer(&t, "C-SH1", "rep.sh1.1", 100_000_000).await;
    let d2 = dealer(&t, "C-SH1", "rep.sh1.1", 100_000_000).await;
    let d3 = dealer(&t, "C-JS1", "rep.js1.1", 100_000_000).await;
    let held = dealer(&t, "C-SH1", "rep.sh1.1", 100_000_000).await;
    let north = dealer(&t, "C-BJ1", "rep.bj1.1", 100_000_000).await;
    sale(&t, d1, c.product, &day(5), 300_000).await;
    sale(&t, d2, c.product, &day(9), 100_000).await;
    sale(&t, d3, c.product, &day(12), 50_000).await;
    sale(&t, north, c.product, &day(12), 999_000).await;
    // the month after is not this pack's
    sale(
        &t,
        d2,
        c.product,
        &(first + Duration::days(40)).to_string(),
        70_000,
    )
    .await;
    history_order(&t.app.store, held, &day(20), 77_700, "on_hold").await;

    // two servers at once: one makes the packs, the other finds them claimed
    let operator = salesos_app::Actor::system(None, "test");
    let (a, b) = tokio::join!(
        jobs::run_job(&t.app, &operator, pae_pack::JOB, &month, "server-a"),
        jobs::run_job(&t.app, &operator, pae_pack::JOB, &month, "server-b"),
    );
    let outcomes = [a.unwrap(), b.unwrap()];
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Ran(_)))
            .count(),
        1,
        "{outcomes:?}"
    );
    assert!(outcomes.contains(&Outcome::AlreadyClaimed), "{outcomes:?}");
    let again = jobs::run_job(&t.app, &operator, pae_pack::JOB, &month, "server-c")
        .await
        .unwrap();
    assert_eq!(again, Outcome::AlreadyClaimed);
    let packs = t
        .count(&format!(
            "SELECT COUNT(*) AS n FROM pae_packs WHERE month = '{month}'"
        ))
        .await;
    assert_eq!(packs, 2, "one pack per market (the tiny company has two)");
    // the scheduler's tick finds the month done once it is due
    if pae_pack::due_now(&t.app).as_deref() == Some(month.as_str()) {
        let due = jobs::run_due(&t.app, &operator, "server-d").await;
        let (_, r) = due.iter().find(|(n, _)| n == pae_pack::JOB).unwrap();
        assert_eq!(r.as_ref().unwrap(), &Outcome::AlreadyClaimed);
    }
    // a month that is not a month is refused
    let err = jobs::run_job(&t.app, &operator, pae_pack::JOB, "2026-13", "server-a")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "job.period_invalid");

    let mut conn = t.app.store.read().await.unwrap();
    let stored = salesos_store::pae_pack::of_month_unscoped(&mut conn, &month)
        .await
        .unwrap();
    drop(conn);
    let east_pack = stored.iter().find(|p| p.node_id == m_e).unwrap().id;
    let north_pack = stored.iter().find(|p| p.node_id != m_e).unwrap().id;

    // who sees which pack
    for (login, expected) in [
        ("director", vec![east_pack, north_pack]),
        ("mm.e", vec![east_pack]),
        ("mm.n", vec![north_pack]),
        ("am.sh", vec![]),
        ("rep.sh1.1", vec![]),
    ] {
        let actor = t.actor(login).await;
        let mut ids: Vec<i64> = pae_pack::list(&t.app, &actor)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect();
        ids.sort_unstable();
        let mut expected = expected;
        expected.sort_unstable();
        assert_eq!(ids, expected, "{login}");
    }
    let url = |id: i64| t.url(&format!("/pae-packs?download={id}"));
    for login in ["mm.n", "am.sh", "rep.sh1.1"] {
        let browser = t.sign_in_demo(login).await;
        let res = browser.get(url(east_pack)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{login} must not download the East pack");
    }
    let page = t
        .sign_in_demo("mm.e")
        .await
        .get(t.url("/pae-packs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("download={east_pack}")));
    assert!(!page.contains(&format!("download={north_pack}")));

    // the East pack, read in English
    let token = t.token_for("mm.e").await;
    let res = t
        .api_client()
        .put(t.url("/api/v1/me/locale"))
        .bearer_auth(&token)
        .json(&json!({ "locale": "en" }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let browser = t.sign_in_demo("mm.e").await;
    let res = browser.get(url(east_pack)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(&format!("pae-{month}")));
    let bytes = res.bytes().await.unwrap();

    let units = sheet(&bytes, "Targets by unit");
    // unit, metric, target, actual, variance, percent, projection, place
    let js = row_with(&units, "Jiangsu");
    assert_eq!((number(&js[2]), number(&js[3])), (1_000.0, 500.0));
    assert_eq!((js[5].as_str(), js[7].as_str()), ("50.00%", "1"));
    let shanghai = row_with(&units, "Shanghai");
    assert_eq!(
        (number(&shanghai[2]), number(&shanghai[3])),
        (10_000.0, 4_000.0)
    );
    assert_eq!(number(&shanghai[4]), -6_000.0);
    assert_eq!(
        (shanghai[5].as_str(), shanghai[7].as_str()),
        ("40.00%", "2")
    );
    let market = row_with(&units, "East");
    assert_eq!(
        number(&market[3]),
        4_500.0,
        "the North dealer is not East's"
    );
    assert_eq!(units.len(), 3, "{units:?}");

    let people = sheet(&bytes, "Targets by person");
    // unit, person, metric, target, actual, variance, percent, projection, place
    let rep_name = t.person("rep.sh1.1").await.display_name;
    let kam_name = t.person("kam.sh").await.display_name;
    let r = people.iter().find(|r| r[1] == rep_name).unwrap();
    assert_eq!(
        (number(&r[4]), r[6].as_str(), r[8].as_str()),
        (4_000.0, "50.00%", "1")
    );
    let k = people.iter().find(|r| r[1] == kam_name).unwrap();
    assert_eq!(
        (number(&k[4]), k[6].as_str(), k[8].as_str()),
        (0.0, "0.00%", "2")
    );

    let (c1, c2, c3, c_north, c_held) = (
        code_of(&t, d1).await,
        code_of(&t, d2).await,
        code_of(&t, d3).await,
        code_of(&t, north).await,
        code_of(&t, held).await,
    );
    let best = sheet(&bytes, "Best dealers");
    // place, code, name, owner, ordered, shipped, invoiced, collected
    assert_eq!(
        (best[0][1].as_str(), number(&best[0][4])),
        (c1.as_str(), 3_000.0)
    );
    assert_eq!(
        (best[1][1].as_str(), number(&best[1][4])),
        (c2.as_str(), 1_000.0),
        "only the month's orders"
    );
    assert_eq!(
        (best[2][1].as_str(), number(&best[2][4])),
        (c3.as_str(), 500.0)
    );
    assert!(best.iter().all(|r| r[1] != c_north));
    let worst = sheet(&bytes, "Weakest dealers");
    assert_eq!(number(&worst[0][4]), 0.0);
    assert!(
        worst.iter().any(|r| r[1] == c_held),
        "a dealer with nothing confirmed is among the weakest"
    );
    assert!(worst.iter().all(|r| r[1] != c_north));
    let trouble = sheet(&bytes, "Overdue and holds");
    // code, name, owner, overdue, holds, held
    let h = row_with(&trouble, &c_held);
    assert_eq!(
        (number(&h[3]), number(&h[4]), number(&h[5])),
        (0.0, 1.0, 777.0)
    );
    assert_eq!(trouble.len(), 1, "{trouble:?}");
    let about = sheet(&bytes, "About");
    assert!(
        about.iter().any(|r| r.iter().any(|c| c == &month)),
        "{about:?}"
    );
}
