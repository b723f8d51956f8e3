//! The plans-and-targets pages over HTTP, as a browser would use them (session cookie, CSRF
//! token, forms): a target created through its form and refused with the field at fault when it
//! is not SMART; a cascade proposed, edited and saved so that the parts sum exactly to the
//! parent; a plan sent for approval, locked once approved and changed through a new version with
//! a reason; the month's focus published; and the tables exported to XLSX with numbers as
//! numbers, limited to the person's scope.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_app::targets;
use salesos_domain::people::Locale;
use salesos_domain::targets as rules;
use salesos_test_support::app::html_escape;
use salesos_test_support::{PageSession, TestApp};
use salesos_web::i18n::Tr;

/// The message for an error code in either language (the demo people choose their own).
fn shows_error(html: &str, code: &str) -> bool {
    [Locale::ZhCn, Locale::En]
        .into_iter()
        .any(|l| html.contains(&html_escape(&Tr::new(l).error(code, code))))
}

fn id_after(loc: &str, prefix: &str) -> i64 {
    loc.strip_prefix(prefix)
        .and_then(|r| r.parse().ok())
        .unwrap_or_else(|| panic!("redirected to {loc}, expected {prefix}<id>"))
}

async fn targets_count(t: &TestApp) -> i64 {
    t.count("SELECT COUNT(*) AS n FROM targets").await
}

/// Yuan with two decimals, as typed into a form.
fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// Posts the new-target form: metric, amount, owner and period as typed.
async fn post_target(
    s: &PageSession,
    [metric, amount, owner, period]: [&str; 4],
) -> (u16, String, String) {
    let form = [
        ("metric", metric),
        ("amount", amount),
        ("owner", owner),
        ("period", period),
    ];
    s.post("/targets", &form).await
}

/// Posts a cascade form split `by` quarters or children: `weights` proposes the parts from the
/// typed weights, `save` saves the typed amounts (one value per row, in row order).
async fn post_cascade(
    s: &PageSession,
    path: &str,
    by: &str,
    action: &str,
    values: &[&str],
) -> (u16, String, String) {
    let field = if action == "weights" {
        "weight"
    } else {
        "amount"
    };
    let names: Vec<String> = (0..values.len()).map(|i| format!("{field}_{i}")).collect();
    let mut form = vec![("by", by), ("action", action)];
    form.extend(names.iter().map(String::as_str).zip(values.iter().copied()));
    s.post(path, &form).await
}

#[tokio::test]
async fn target_form_refuses_non_smart_input_on_the_form_and_creates_a_smart_target() {
    let t = TestApp::spawn().await;
    let director = t.page_session("director").await;
    let hq = t.node_id("HQ").await;
    let owner = format!("node:{hq}");

    let (status, html) = director.get("/targets/new").await;
    assert_eq!(status, 200);
    assert!(html.contains("data-testid=\"new-target-form\""));
    assert!(
        html.contains(&format!("value=\"{owner}\"")),
        "the company is an owner to choose"
    );

    let before = targets_count(&t).await;
    let audit = t.last_audit_id().await;
    // no period end: refused, the field marked, what was typed kept
    let (status, _, html) = post_target(&director, ["ordered_amount", "1200000", &owner, ""]).await;
    assert_eq!(status, 422);
    assert!(html.contains("data-field=\"period\""), "{html}");
    assert!(shows_error(&html, "target.period_missing"));
    assert!(
        html.contains("value=\"1200000\""),
        "the typed amount is kept"
    );
    // no metric
    let (status, _, html) = post_target(&director, ["", "10", &owner, "2031"]).await;
    assert_eq!(status, 422);
    assert!(html.contains("data-field=\"metric\""));
    assert!(shows_error(&html, "target.metric_missing"));
    // not a number
    let (status, _, html) =
        post_target(&director, ["ordered_amount", "lots", &owner, "2031"]).await;
    assert_eq!(status, 422);
    assert!(html.contains("data-field=\"amount\""));
    // negative
    let (status, _, html) = post_target(&director, ["ordered_amount", "-5", &owner, "2031"]).await;
    assert_eq!(status, 422);
    assert!(shows_error(&html, "target.amount_negative"));
    // no owner
    let (status, _, html) = post_target(&director, ["ordered_amount", "5", "", "2031"]).await;
    assert_eq!(status, 422);
    assert!(html.contains("data-field=\"owner\""));
    // below the company without a parent
    let east = t.node_id("M-E").await;
    let (status, _, html) = post_target(
        &director,
        ["ordered_amount", "5", &format!("node:{east}"), "2031"],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("data-field=\"parent_id\""));
    assert_eq!(
        targets_count(&t).await,
        before,
        "a refused form writes nothing"
    );
    assert!(t.audit_since(audit).await.is_empty());

    // a SMART target: 1,200,000.50 yuan for the company in 2031
    let (status, loc, _) = post_target(
        &director,
        ["ordered_amount", "1,200,000.50", &owner, "2031"],
    )
    .await;
    assert_eq!(status, 303);
    let id = id_after(&loc, "/targets/");
    let d = targets::get(&t.app, &t.actor("director").await, id)
        .await
        .unwrap();
    assert_eq!(d.view.target.amount, 120_000_050);
    assert_eq!(d.view.target.period, "2031");
    let (status, html) = director.get(&loc).await;
    assert_eq!(status, 200);
    assert!(html.contains("1,200,000.50"), "the detail shows the number");

    // the list shows it, and its filters apply
    let (_, html) = director.get("/targets?period=2031").await;
    assert!(html.contains(&format!("data-id=\"{id}\"")));
    let (_, html) = director.get("/targets?period=2031&metric=visits").await;
    assert!(!html.contains(&format!("data-id=\"{id}\"")));
    let (_, html) = director.get(&format!("/targets?owner=node:{east}")).await;
    assert!(!html.contains(&format!("data-id=\"{id}\"")));
    let (_, html) = director
        .get(&format!("/targets?owner=node:{hq}&period=2031"))
        .await;
    assert!(
        html.contains(&format!("data-id=\"{id}\"")),
        "the owner filter keeps the owner's own target"
    );

    // a child target from the detail page's link: the parent is chosen already
    let (status, html) = director.get(&format!("/targets/new?parent_id={id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("value=\"{id}\" selected")));
    let (status, loc, _) = director
        .post(
            "/targets",
            &[
                ("metric", "ordered_amount"),
                ("amount", "600000"),
                ("owner", &format!("node:{east}")),
                ("period", "2031"),
                ("parent_id", &id.to_string()),
            ],
        )
        .await;
    assert_eq!(status, 303, "a market's target under the company's");
    let child = id_after(&loc, "/targets/");
    let (_, html) = director.get(&format!("/targets/{id}")).await;
    assert!(
        html.contains(&format!("href=\"/targets/{child}\"")),
        "the parent lists its child"
    );

    // a rep may look but not set targets
    let rep = t.page_session("rep.sh1.1").await;
    assert_eq!(rep.get("/targets/new").await.0, 403);
    let (status, _, _) = post_target(&rep, ["ordered_amount", "5", &owner, "2031"]).await;
    assert_eq!(status, 403);
    assert_eq!(rep.get("/targets").await.0, 200);
}

#[tokio::test]
async fn cascade_page_proposes_validates_weights_and_saves_parts_summing_exactly() {
    let t = TestApp::spawn().await;
    let director = t.page_session("director").await;
    let actor = t.actor("director").await;
    let hq = t.node_id("HQ").await;
    // an amount that does not divide evenly: 1,000,000.01 yuan
    let total = 100_000_001;
    let year = targets::create(
        &t.app,
        &actor,
        targets::NewTargetInput {
            metric: Some("ordered_amount".into()),
            amount: Some(total),
            owner_node: Some(hq),
            period: Some("2032".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .view
    .target
    .id;
    let path = format!("/targets/{year}/cascade");

    // a year splits into quarters by default; no history in 2031, so equal parts
    let (status, html) = director.get(&path).await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("data-testid=\"cascade-row\"").count(), 4);
    for (i, a) in rules::split(total, &[1, 1, 1, 1])
        .unwrap()
        .iter()
        .enumerate()
    {
        assert!(
            html.contains(&format!("name=\"amount_{i}\" value=\"{}\"", yuan(*a))),
            "part {i}"
        );
    }
    assert!(html.contains("name=\"weight_0\" value=\"25.00\""));

    // typed seasonality: 10 / 20 / 30.5 / 39.5 %
    let weights = ["10", "20", "30.5", "39.5"];
    let (status, _, html) = post_cascade(&director, &path, "quarters", "weights", &weights).await;
    assert_eq!(status, 200, "{html}");
    let proposed = rules::split(total, &[1000, 2000, 3050, 3950]).unwrap();
    assert_eq!(proposed.iter().sum::<i64>(), total);
    for (i, a) in proposed.iter().enumerate() {
        assert!(
            html.contains(&format!("name=\"amount_{i}\" value=\"{}\"", yuan(*a))),
            "part {i}: {html}"
        );
    }

    // weights that do not add up to 100 %, and a negative one: shown on the form
    let (status, _, html) = post_cascade(
        &director,
        &path,
        "quarters",
        "weights",
        &["10", "20", "30", "30"],
    )
    .await;
    assert_eq!(status, 422);
    assert!(shows_error(&html, "cascade.weights_not_100"), "{html}");
    assert!(html.contains("value=\"30\""), "typed weights are kept");
    let (status, _, html) = post_cascade(
        &director,
        &path,
        "quarters",
        "weights",
        &["-10", "50", "30", "30"],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("data-field=\"weight_0\""));
    assert!(shows_error(&html, "cascade.weight_negative"));

    let before = targets_count(&t).await;
    // a negative amount, marked on its row; amounts that miss the total by one fen
    let a: Vec<String> = proposed.iter().map(|v| yuan(*v)).collect();
    let (status, _, html) = post_cascade(
        &director,
        &path,
        "quarters",
        "save",
        &[&a[0], "-1.00", &a[2], &a[3]],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("data-field=\"amount_1\""));
    assert!(shows_error(&html, "target.amount_negative"));
    let short = yuan(proposed[3] - 1);
    let (status, _, html) = post_cascade(
        &director,
        &path,
        "quarters",
        "save",
        &[&a[0], &a[1], &a[2], &short],
    )
    .await;
    assert_eq!(status, 422);
    assert!(shows_error(&html, "cascade.sum_mismatch"), "{html}");
    assert_eq!(targets_count(&t).await, before, "nothing saved");

    // edited and saved: Q1 takes 0.01 from Q4
    let q1 = yuan(proposed[0] + 1);
    let (status, loc, _) = post_cascade(
        &director,
        &path,
        "quarters",
        "save",
        &[&q1, &a[1], &a[2], &short],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(loc, format!("/targets/{year}"));
    let d = targets::get(&t.app, &actor, year).await.unwrap();
    assert_eq!(d.children.len(), 4);
    assert_eq!(
        d.children_total, total,
        "the saved parts sum exactly to the parent"
    );
    let q1_target = d
        .children
        .iter()
        .find(|c| c.view.target.period == "2032-Q1")
        .unwrap();
    assert_eq!(q1_target.view.target.amount, proposed[0] + 1);

    // down the tree: the company's year target to its markets by typed weights
    let (status, html) = director.get(&format!("{path}?by=children")).await;
    assert_eq!(status, 200);
    let markets = html.matches("data-testid=\"cascade-row\"").count();
    assert!(markets >= 2, "the company has markets below it");
    let weights: Vec<String> = (0..markets)
        .map(|i| if i == 0 { 100 - 10 * (markets - 1) } else { 10 }.to_string())
        .collect();
    let weights: Vec<&str> = weights.iter().map(String::as_str).collect();
    let (status, _, html) = post_cascade(&director, &path, "children", "weights", &weights).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("data-testid=\"save-cascade\""));
}

#[tokio::test]
async fn plan_pages_submit_lock_on_approval_and_change_through_a_new_version() {
    let t = TestApp::spawn().await;
    let director = t.page_session("director").await;
    let hq = format!("node:{}", t.node_id("HQ").await);
    // the company's 2033 plan: 900,000 yuan of orders
    let plan_form = |name| {
        [
            ("name", name),
            ("metric", "ordered_amount"),
            ("amount", "900000"),
            ("owner", hq.as_str()),
            ("period", "2033"),
        ]
    };

    // a refused plan: no name
    let (status, _, html) = director.post("/plans", &plan_form("")).await;
    assert_eq!(status, 422);
    assert!(html.contains("data-field=\"name\""));

    let (status, loc, _) = director.post("/plans", &plan_form("2033 plan")).await;
    assert_eq!(status, 303);
    let plan = id_after(&loc, "/plans/");
    let (status, html) = director.get(&loc).await;
    assert_eq!(status, 200);
    assert!(html.contains("data-status=\"draft\""));
    assert!(html.contains("data-testid=\"submit-plan\""));

    // the top target is split by the cascade page, and a market submits its figure bottom-up
    let actor = t.actor("director").await;
    let d = targets::get_plan(&t.app, &actor, plan).await.unwrap();
    let top = d.targets[0].target.id;
    let (status, html) = director
        .get(&format!("/targets/{top}/cascade?by=children"))
        .await;
    assert_eq!(status, 200);
    let parts = html.matches("data-testid=\"cascade-row\"").count();
    let amounts = rules::split(90_000_000, &vec![1; parts]).unwrap();
    let amounts: Vec<String> = amounts.iter().map(|a| yuan(*a)).collect();
    let amounts: Vec<&str> = amounts.iter().map(String::as_str).collect();
    let cascade = format!("/targets/{top}/cascade");
    let save = || post_cascade(&director, &cascade, "children", "save", &amounts);
    assert_eq!(save().await.0, 303);
    let d = targets::get(&t.app, &actor, top).await.unwrap();
    let first_child = d.children[0].view.target.id;
    let (status, loc, _) = director
        .post(
            &format!("/targets/{first_child}/submission"),
            &[("amount", "100.00")],
        )
        .await;
    assert_eq!(
        (status, loc.as_str()),
        (303, format!("/targets/{first_child}").as_str())
    );
    let (_, html) = director.get(&format!("/plans/{plan}")).await;
    assert!(
        html.contains("data-testid=\"plan-gap\""),
        "the plan shows the bottom-up gap"
    );
    assert!(
        html.contains(&salesos_domain::Money(10_000 - 90_000_000).to_string()),
        "gap = submitted − target"
    );

    // sent for approval: locked while it waits
    let (status, loc, _) = director.post(&format!("/plans/{plan}/submit"), &[]).await;
    assert_eq!(
        (status, loc.as_str()),
        (303, format!("/plans/{plan}").as_str())
    );
    let (_, html) = director.get(&loc).await;
    assert!(html.contains("data-status=\"pending\""));
    assert!(html.contains("data-testid=\"plan-locked\""));
    assert!(!html.contains("data-testid=\"submit-plan\""));
    let (status, _, html) = save().await;
    assert_eq!(
        status, 409,
        "a pending plan's targets cannot be split again"
    );
    assert!(shows_error(&html, "target.locked"));

    // approved through the approvals page
    let approval = targets::get_plan(&t.app, &actor, plan)
        .await
        .unwrap()
        .plan
        .approval_id
        .unwrap();
    let (status, _, _) = director
        .post(&format!("/approvals/{approval}/approve"), &[])
        .await;
    assert!(
        status == 303 || status == 200,
        "approving answered {status}"
    );
    let (_, html) = director.get(&format!("/plans/{plan}")).await;
    assert!(html.contains("data-status=\"approved\""));
    assert!(html.contains("data-testid=\"plan-locked\""));
    let (_, html) = director.get(&format!("/targets/{top}")).await;
    assert!(
        !html.contains("data-testid=\"cascade-link\""),
        "no split offered on a locked target"
    );
    let (status, _, _) = save().await;
    assert_eq!(status, 409);

    // a new version needs a reason
    let before = t.count("SELECT COUNT(*) AS n FROM target_plans").await;
    let (status, _, html) = director
        .post(&format!("/plans/{plan}/versions"), &[("reason", " ")])
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("data-field=\"reason\""));
    assert_eq!(
        t.count("SELECT COUNT(*) AS n FROM target_plans").await,
        before
    );
    let (status, loc, _) = director
        .post(
            &format!("/plans/{plan}/versions"),
            &[("reason", "a new market opens")],
        )
        .await;
    assert_eq!(status, 303);
    let v2 = id_after(&loc, "/plans/");
    assert_ne!(v2, plan);
    let (_, html) = director.get(&loc).await;
    assert!(html.contains("data-status=\"draft\""));
    assert!(html.contains("a new market opens"));
    assert_eq!(
        html.matches("data-testid=\"version-row\"").count(),
        2,
        "v1 and v2 listed"
    );
    assert!(html.contains(&format!("href=\"/plans/{plan}\">v1")));

    // the plans list shows both versions
    let (_, html) = director.get("/plans").await;
    assert!(
        html.contains(&format!("href=\"/plans/{plan}\""))
            && html.contains(&format!("href=\"/plans/{v2}\""))
    );
}

#[tokio::test]
async fn leadership_publishes_the_month_focus_and_everyone_sees_it() {
    let t = TestApp::spawn().await;
    let director = t.page_session("director").await;
    let month = t.app.today()[..7].to_string();
    let east = t.node_id("M-E").await;
    let (status, html) = director.get("/focus").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("name=\"goal_1_{east}\"")),
        "a goal field per market"
    );

    // no main priority: refused, nothing published
    let (status, _, html) = director
        .post(
            "/focus",
            &[
                ("month", &month),
                ("title_1", ""),
                ("title_2", "Shelf checks"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(shows_error(&html, "focus.title_invalid"));
    assert!(
        html.contains("value=\"Shelf checks\""),
        "typed values are kept"
    );

    let goal = format!("goal_1_{east}");
    let (status, loc, _) = director
        .post(
            "/focus",
            &[
                ("month", &month),
                ("title_1", "Collect overdue money"),
                ("detail_1", "before the 25th"),
                (&goal, "East: 90% of overdue collected"),
                ("title_2", "Open 5 outlets"),
                ("title_3", ""),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert!(loc.starts_with("/focus?month="));
    let (_, html) = director.get(&loc).await;
    assert!(html.contains("Collect overdue money") && html.contains("Open 5 outlets"));

    // a rep sees it on their home page and the focus page, but cannot publish
    let rep = t.page_session("rep.sh1.1").await;
    let (_, home) = rep.get("/").await;
    assert!(
        home.contains("Collect overdue money") && home.contains("East: 90% of overdue collected")
    );
    let (status, html) = rep.get("/focus").await;
    assert_eq!(status, 200);
    assert!(!html.contains("data-testid=\"focus-form\""));
    assert_eq!(
        rep.post("/focus", &[("month", &month), ("title_1", "x")])
            .await
            .0,
        403
    );
}

/// Cells of the first sheet of an XLSX file, read back with the project's own spreadsheet reader.
fn xlsx_rows(bytes: Vec<u8>) -> (Vec<String>, Vec<Vec<String>>) {
    let table = salesos_import::Table::from_bytes(bytes, None).expect("an XLSX file that opens");
    assert_eq!(table.encoding, "xlsx");
    let headers = table.headers.clone();
    let rows = table.map(|r| r.expect("a row").cells()).collect();
    (headers, rows)
}

#[tokio::test]
async fn target_tables_export_to_xlsx_and_csv_with_numbers_as_numbers_in_scope() {
    let t = TestApp::spawn().await;
    let board = salesos_test_support::target_fixtures::scoreboard(&t).await;
    let director = t.page_session("director").await;

    let res = director
        .client
        .get(t.url(&format!(
            "/targets/export?format=xlsx&period={}",
            board.month
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let (headers, rows) = xlsx_rows(res.bytes().await.unwrap().to_vec());
    assert!(headers.len() >= 5);
    // the company's month target: 100,000.00 yuan, written as the number 100000
    let company = rows
        .iter()
        .find(|r| r[3] == "100000")
        .unwrap_or_else(|| panic!("the company's month target as a plain number: {rows:?}"));
    assert_eq!(company[2], board.month);
    assert!(
        rows.iter().all(|r| !r[3].contains(',')),
        "figures are numbers, not formatted text"
    );
    // the rep's month target (20,000 yuan) is among the director's rows
    assert!(rows.iter().any(|r| r[3] == "20000"));

    // a rep's export holds only their own target
    let rep = t.page_session("rep.sh1.1").await;
    let res = rep
        .client
        .get(t.url("/targets/export?format=xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (_, rows) = xlsx_rows(res.bytes().await.unwrap().to_vec());
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|r| r[3] == "20000"),
        "only the rep's own target: {rows:?}"
    );

    // CSV of the area's children (the people), and the peers of the rep's target
    let csv = director
        .client
        .get(t.url(&format!(
            "/targets/{}/export?table=children&format=csv",
            board.area_month
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with('\u{feff}'));
    let lines: Vec<&str> = csv.lines().skip(1).filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines.iter().any(|l| l.contains(",20000.00,"))
            && lines.iter().any(|l| l.contains(",16000.00,")),
        "{csv}"
    );
    let res = rep
        .client
        .get(t.url(&format!(
            "/targets/{}/export?table=peers&format=xlsx",
            board.rep_month
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (_, peers) = xlsx_rows(res.bytes().await.unwrap().to_vec());
    assert_eq!(
        peers.len(),
        2,
        "the rep and the KAM under the same area target"
    );
    assert!(
        peers.iter().all(|r| r[0] == "1" || r[0] == "2"),
        "places as numbers: {peers:?}"
    );
    // the rep cannot export a target outside their scope
    let res = rep
        .client
        .get(t.url(&format!(
            "/targets/{}/export?table=children",
            board.company_month
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // the home page's tables link to their XLSX and CSV exports, which open
    let (_, home) = director.get("/").await;
    for table in ["trend", "units"] {
        assert!(home.contains(&format!("/home/export?table={table}&amp;format=xlsx")));
        assert!(home.contains(&format!("/home/export?table={table}&amp;format=csv")));
    }
    let res = director
        .client
        .get(t.url("/home/export?table=units&format=xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (_, units) = xlsx_rows(res.bytes().await.unwrap().to_vec());
    assert!(
        units.iter().any(|r| r[2] == "60000"),
        "East's target as a number: {units:?}"
    );
}
