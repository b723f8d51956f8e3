//! Exports carry the same filters and the same scope as the list they come from.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_test_support::app::TestApp;

#[tokio::test]
async fn people_export_is_scoped_filtered_and_typed() {
    let app = TestApp::spawn().await;

    let director = app.sign_in_demo("director").await;
    let res = director
        .get(app.url("/people/export?format=xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(".xlsx"));
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK", "an xlsx file is a zip archive");

    // a market manager's export holds their market only
    let east = app.sign_in_demo("mm.e").await;
    let csv = east
        .get(app.url("/people/export?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    assert!(
        text.starts_with('\u{feff}'),
        "Excel needs the BOM for Chinese text"
    );
    let logins: Vec<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    assert!(logins.contains(&"mm.e") && logins.contains(&"am.sh") && logins.contains(&"rep.sh1.1"));
    assert!(
        !logins
            .iter()
            .any(|l| *l == "mm.n" || l.starts_with("am.bj") || *l == "director"),
        "{logins:?}"
    );

    // the list's filters apply
    let reps = east
        .get(app.url("/people/export?format=csv&role=sales_rep"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows: Vec<&str> = reps.lines().skip(1).filter(|l| !l.is_empty()).collect();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|l| l.starts_with("rep.")), "{rows:?}");

    // a rep has no right to the people list, so none to its export
    let rep = app.sign_in_demo("rep.sh1.1").await;
    let res = rep
        .get(app.url("/people/export?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
