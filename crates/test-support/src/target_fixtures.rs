//! Targets for scoreboard tests, set through the app's own operations: the company's year and
//! month targets, split to the markets, the Shanghai area and two of its field people (peers on
//! a leaderboard), plus a confirmed order this month for a dealer of rep.sh1.1.

use crate::order_fixtures::{catalogue, dealer};
use crate::TestApp;
use salesos_app::orders::{self, Created, LineInput, NewOrderInput};
use salesos_app::targets::{self, NewTargetInput, PartInput};

pub struct Scoreboard {
    pub month: String,
    pub company_year: i64,
    pub company_month: i64,
    pub area_month: i64,
    pub rep_month: i64,
    pub kam_month: i64,
    /// The dealer of rep.sh1.1 that ordered, and the order's value in fen.
    pub rep_dealer: i64,
    pub ordered_fen: i64,
}

/// The month before the current one, as (first day, `YYYY-MM`): a whole month of history that
/// tests fill with visits and orders.
pub fn last_month() -> (chrono::NaiveDate, String) {
    use chrono::Datelike;
    let today = chrono::Utc::now().date_naive();
    let first = today
        .with_day(1)
        .unwrap()
        .pred_opt()
        .unwrap()
        .with_day(1)
        .unwrap();
    (first, format!("{}-{:02}", first.year(), first.month()))
}

fn child_named(d: &targets::TargetDetail, node: Option<i64>, person: Option<i64>) -> i64 {
    d.children
        .iter()
        .find(|c| {
            c.view.target.person_id == person
                && (person.is_some() || Some(c.view.target.node_id) == node)
        })
        .map(|c| c.view.target.id)
        .expect("the cascade made the child")
}

pub async fn scoreboard(t: &TestApp) -> Scoreboard {
    let director = t.actor("director").await;
    let today = t.app.today();
    let month = today[..7].to_string();
    let year = today[..4].to_string();
    let hq = t.node_id("HQ").await;
    let year_target = targets::create(
        &t.app,
        &director,
        NewTargetInput {
            metric: Some("ordered_amount".into()),
            amount: Some(120_000_000),
            owner_node: Some(hq),
            period: Some(year),
            ..Default::default()
        },
    )
    .await
    .expect("the company's year target");
    let company_year = year_target.view.target.id;
    let month_target = targets::create(
        &t.app,
        &director,
        NewTargetInput {
            metric: Some("ordered_amount".into()),
            amount: Some(10_000_000),
            owner_node: Some(hq),
            period: Some(month.clone()),
            parent_id: Some(company_year),
            ..Default::default()
        },
    )
    .await
    .expect("the company's month target");
    let company_month = month_target.view.target.id;
    let (m_e, m_n) = (t.node_id("M-E").await, t.node_id("M-N").await);
    let split = |node: i64, amount: i64| PartInput {
        node_id: Some(node),
        person_id: None,
        period: month.clone(),
        amount,
    };
    let d = targets::save_cascade(
        &t.app,
        &director,
        company_month,
        vec![split(m_e, 6_000_000), split(m_n, 4_000_000)],
    )
    .await
    .expect("split to the markets");
    let east = child_named(&d, Some(m_e), None);
    let (a_sh, a_js) = (t.node_id("A-SH").await, t.node_id("A-JS").await);
    let mm = t.actor("mm.e").await;
    let d = targets::save_cascade(
        &t.app,
        &mm,
        east,
        vec![split(a_sh, 3_600_000), split(a_js, 2_400_000)],
    )
    .await
    .expect("split to the areas");
    let area_month = child_named(&d, Some(a_sh), None);
    let (rep, kam) = (t.person_id("rep.sh1.1").await, t.person_id("kam.sh").await);
    let person = |p: i64, amount: i64| PartInput {
        node_id: None,
        person_id: Some(p),
        period: month.clone(),
        amount,
    };
    let am = t.actor("am.sh").await;
    let d = targets::save_cascade(
        &t.app,
        &am,
        area_month,
        vec![person(rep, 2_000_000), person(kam, 1_600_000)],
    )
    .await
    .expect("split to the people");
    let rep_month = child_named(&d, None, Some(rep));
    let kam_month = child_named(&d, None, Some(kam));

    let c = catalogue(t, 10_000).await;
    let rep_dealer = dealer(t, "C-SH1", "rep.sh1.1", 100_000_000).await;
    let desk = t.actor("desk").await;
    let input = NewOrderInput {
        dealer_id: rep_dealer,
        order_date: None,
        source: None,
        note: None,
        lines: vec![LineInput {
            product_id: c.product,
            quantity: 50,
            unit_price_fen: None,
        }],
        draft: false,
    };
    match orders::create(&t.app, &desk, input, None, &|_| String::new()).await {
        Ok(Created::New(_)) => {}
        other => panic!("the scoreboard's order: {:?}", other.err()),
    }
    Scoreboard {
        month,
        company_year,
        company_month,
        area_month,
        rep_month,
        kam_month,
        rep_dealer,
        ordered_fen: 500_000,
    }
}

/// Targets and plans for the permission matrix: per role login one inside its scope and one
/// outside it (see the table in `tests/permission_matrix.rs`), all in 2030 under a company
/// year target, plus throwaway ones for writes that are expected to succeed.
pub struct MatrixTargets {
    /// The company's 2030 target: the parent new targets name.
    pub company: i64,
    targets: Vec<(&'static str, i64, Option<i64>)>,
    plans: Vec<(&'static str, i64, Option<i64>)>,
}

/// Where a login's in-scope (and out-of-scope) records sit: a unit code, or `@login` for a
/// person's own target.
fn places(
    login: &str,
) -> (
    &'static str,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
) {
    // (target in, target out, plan in, plan out)
    match login {
        "mm.e" => ("A-SH", Some("M-N"), "A-SH", Some("M-N")),
        "am.sh" => ("C-SH1", Some("A-JS"), "C-SH1", Some("A-JS")),
        "kam.sh" => ("@kam.sh", Some("@rep.sh1.1"), "A-SH", Some("A-JS")),
        "rep.sh1.1" => ("@rep.sh1.1", Some("@kam.sh"), "A-SH", Some("A-JS")),
        _ => ("M-E", None, "M-E", None),
    }
}

async fn quarter_target(t: &TestApp, parent: i64, place: &str) -> i64 {
    let director = t.actor("director").await;
    let (owner_node, owner_person) = match place.strip_prefix('@') {
        Some(login) => (None, Some(t.person_id(login).await)),
        None => (Some(t.node_id(place).await), None),
    };
    targets::create(
        &t.app,
        &director,
        NewTargetInput {
            metric: Some("ordered_amount".into()),
            amount: Some(1_200),
            owner_node,
            owner_person,
            period: Some("2030-Q1".into()),
            parent_id: Some(parent),
            ..Default::default()
        },
    )
    .await
    .expect("a matrix target")
    .view
    .target
    .id
}

async fn plan_at(t: &TestApp, parent: i64, unit: &str, approved: bool) -> i64 {
    let director = t.actor("director").await;
    let plan = targets::create_plan(
        &t.app,
        &director,
        "matrix plan",
        NewTargetInput {
            metric: Some("ordered_amount".into()),
            amount: Some(1_200),
            owner_node: Some(t.node_id(unit).await),
            period: Some("2030".into()),
            parent_id: Some(parent),
            ..Default::default()
        },
    )
    .await
    .expect("a matrix plan")
    .plan
    .id;
    if approved {
        let mut tx = t.app.store.begin().await.unwrap();
        salesos_store::targets::set_plan_status(tx.conn(), plan, "approved", None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    plan
}

impl MatrixTargets {
    pub async fn build(t: &TestApp) -> MatrixTargets {
        let director = t.actor("director").await;
        let company = targets::create(
            &t.app,
            &director,
            NewTargetInput {
                metric: Some("ordered_amount".into()),
                amount: Some(1_000_000),
                owner_node: Some(t.node_id("HQ").await),
                period: Some("2030".into()),
                ..Default::default()
            },
        )
        .await
        .expect("the matrix's company target")
        .view
        .target
        .id;
        let mut out = MatrixTargets {
            company,
            targets: Vec::new(),
            plans: Vec::new(),
        };
        for login in crate::ROLE_LOGINS {
            let (t_in, t_out, p_in, p_out) = places(login);
            let ti = quarter_target(t, company, t_in).await;
            let to = match t_out {
                Some(p) => Some(quarter_target(t, company, p).await),
                None => None,
            };
            let pi = plan_at(t, company, p_in, false).await;
            let po = match p_out {
                Some(p) => Some(plan_at(t, company, p, false).await),
                None => None,
            };
            out.targets.push((login, ti, to));
            out.plans.push((login, pi, po));
        }
        out
    }

    pub fn targets_of(&self, login: &str) -> (i64, Option<i64>) {
        let (_, i, o) = self
            .targets
            .iter()
            .find(|(l, _, _)| *l == login)
            .expect("a login");
        (*i, *o)
    }

    pub fn plans_of(&self, login: &str) -> (i64, Option<i64>) {
        let (_, i, o) = self
            .plans
            .iter()
            .find(|(l, _, _)| *l == login)
            .expect("a login");
        (*i, *o)
    }

    /// A fresh target in the login's scope (a write that succeeds changes only it).
    pub async fn throwaway_target(&self, t: &TestApp, login: &str) -> i64 {
        quarter_target(t, self.company, places(login).0).await
    }

    /// A fresh plan in the login's scope: a draft, or already approved (for a new version).
    pub async fn throwaway_plan(&self, t: &TestApp, login: &str, approved: bool) -> i64 {
        plan_at(t, self.company, places(login).2, approved).await
    }
}
