//! A real salesos server for integration tests: its own database (see [`crate::db`]), the tiny
//! demo company, and the web layer listening on a free port of 127.0.0.1. Tests talk to it over
//! HTTP with `reqwest` (or a browser) and look into the database directly for assertions.
//!
//! ```text
//! let t = TestApp::spawn().await;
//! let admin = t.sign_in("admin", DEMO_PASSWORD).await;
//! let res = admin.get(t.url("/")).send().await.unwrap();
//! ```

use crate::db::{test_db, TestDb};
use salesos_app::demo::{self, DemoSize};
use salesos_app::{auth, tokens, Actor, App, Config, Via};
use salesos_store::sql::Sql;
use salesos_store::{org, people};
use salesos_web::{AppState, WebConfig};
use sqlx::Row;
use std::net::SocketAddr;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use salesos_app::demo::DEMO_PASSWORD;

/// The role logins of the tiny demo company, one per role (see `salesos_app::demo`).
pub const ROLE_LOGINS: [&str; 10] = [
    "admin",
    "director",
    "mm.e",
    "am.sh",
    "kam.sh",
    "rep.sh1.1",
    "desk",
    "billing",
    "finance",
    "warehouse",
];

/// A running server on its own database. Dropping it stops the server and removes the database.
pub struct TestApp {
    /// The application the server runs on (same store, same configuration).
    pub app: App,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base_url: String,
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    // Declared last so it is dropped after the server has been told to stop.
    db: TestDb,
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp")
            .field("base_url", &self.base_url)
            .field("db", &self.db)
            .finish()
    }
}

/// One audit entry as stored, for assertions.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub person_id: Option<i64>,
    pub source: String,
    pub request_id: String,
    pub operation: String,
    pub entity: String,
    pub entity_id: i64,
    pub scope_path: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// A `_csrf` hidden field's value in an HTML page.
pub fn csrf_in_html(html: &str) -> Option<String> {
    let at = html.find("name=\"_csrf\"")?;
    let rest = &html[at..];
    let value = rest.find("value=\"")? + "value=\"".len();
    let end = rest[value..].find('"')?;
    Some(rest[value..value + end].to_string())
}

impl TestApp {
    /// A server with the default configuration.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(Config::default()).await
    }

    /// A server with the given configuration (e.g. tiny session timeouts or throttle limits).
    pub async fn spawn_with(config: Config) -> TestApp {
        TestApp::spawn_full(config, WebConfig::default()).await
    }

    pub async fn spawn_full(config: Config, web: WebConfig) -> TestApp {
        TestApp::spawn_demo(config, web, DemoSize::Tiny, 0).await
    }

    /// A server whose demo company of `size` also has about `history_lines` order lines of two
    /// years' order-to-cash history (see `salesos_app::demo_history`).
    pub async fn spawn_with_history(size: DemoSize, history_lines: u64) -> TestApp {
        TestApp::spawn_demo(Config::default(), WebConfig::default(), size, history_lines).await
    }

    async fn spawn_demo(
        config: Config,
        web: WebConfig,
        size: DemoSize,
        history_lines: u64,
    ) -> TestApp {
        let db = test_db().await;
        let app = App::new(db.store.clone(), config);
        if let Err(e) = demo::ensure_with(&app, size, history_lines).await {
            panic!("building the tiny demo company failed: {e:?}");
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let (tx, rx) = oneshot::channel::<()>();
        let state = AppState::new(app.clone(), web);
        let server = tokio::spawn(async move {
            let stop = async move {
                let _ = rx.await;
            };
            if let Err(e) = salesos_web::serve(listener, state, stop).await {
                eprintln!("test server stopped with an error: {e}");
            }
        });
        TestApp {
            app,
            base_url: format!("http://{addr}"),
            addr,
            shutdown: Some(tx),
            server: Some(server),
            db,
        }
    }

    pub fn db(&self) -> &TestDb {
        &self.db
    }

    pub fn backend(&self) -> salesos_store::Backend {
        self.app.store.backend()
    }

    /// `base_url` + `path` (`path` starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A browser-like client: keeps cookies, does not follow redirects (tests look at them).
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("building the HTTP client")
    }

    /// A client without cookies, for API calls with a bearer token.
    pub fn api_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("building the HTTP client")
    }

    /// Opens the sign-in page with `client` and returns the `_csrf` field of its form (the
    /// matching `salesos_csrf` cookie is now in the client's cookie store).
    pub async fn signin_csrf(&self, client: &reqwest::Client) -> String {
        let res = client
            .get(self.url("/signin"))
            .send()
            .await
            .expect("GET /signin");
        assert_eq!(res.status(), 200, "GET /signin");
        let html = res.text().await.expect("sign-in page body");
        csrf_in_html(&html).expect("the sign-in form has a _csrf field")
    }

    /// Posts the sign-in form (after fetching it for the CSRF token) and returns the response.
    pub async fn post_sign_in(
        &self,
        client: &reqwest::Client,
        login: &str,
        password: &str,
        next: &str,
    ) -> reqwest::Response {
        let csrf = self.signin_csrf(client).await;
        client
            .post(self.url("/signin"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("login", login),
                ("password", password),
                ("next", next),
            ])
            .send()
            .await
            .expect("POST /signin")
    }

    /// A client signed in through the sign-in form; panics unless the form answers 303.
    pub async fn sign_in(&self, login: &str, password: &str) -> reqwest::Client {
        let client = self.client();
        let res = self.post_sign_in(&client, login, password, "/").await;
        let status = res.status();
        if status != 303 {
            let body = res.text().await.unwrap_or_default();
            panic!("signing in as {login} answered {status}, not 303:\n{body}");
        }
        client
    }

    /// A demo login signed in with the demo password.
    pub async fn sign_in_demo(&self, login: &str) -> reqwest::Client {
        self.sign_in(login, DEMO_PASSWORD).await
    }

    /// The CSRF token of a signed-in client's session (the `_csrf` field on `/account`).
    pub async fn csrf_of(&self, client: &reqwest::Client) -> String {
        let res = client
            .get(self.url("/account"))
            .send()
            .await
            .expect("GET /account");
        assert_eq!(res.status(), 200, "GET /account (is the client signed in?)");
        let html = res.text().await.expect("account page body");
        csrf_in_html(&html).expect("the account page has a _csrf field")
    }

    /// A demo login signed in as a browser, with its session's CSRF token, for reading pages
    /// and posting forms.
    pub async fn page_session(&self, login: &str) -> PageSession {
        let client = self.sign_in_demo(login).await;
        let csrf = self.csrf_of(&client).await;
        PageSession {
            client,
            csrf,
            base_url: self.base_url.clone(),
        }
    }

    /// An API request with a bearer token and, when given, a JSON body.
    pub async fn api(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut req = self
            .api_client()
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("sending the API request")
    }

    /// [`TestApp::api`] answered as its status and JSON body (`Null` when the body is not JSON).
    pub async fn api_json(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let res = self.api(token, method, path, body).await;
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// The person with this login, as the system sees them (no scope).
    pub async fn person(&self, login: &str) -> people::PersonRow {
        let mut conn = self.app.store.read().await.expect("read connection");
        people::find_by_login_unscoped(&mut conn, login)
            .await
            .expect("looking up a login")
            .unwrap_or_else(|| panic!("no person with login {login}"))
    }

    pub async fn person_id(&self, login: &str) -> i64 {
        self.person(login).await.id
    }

    /// The organisation node with this code (`HQ`, `M-E`, `A-SH`, `C-SH1`, …).
    pub async fn node(&self, code: &str) -> org::NodeRow {
        let id = {
            let mut conn = self.app.store.read().await.expect("read connection");
            let mut sql = Sql::new("SELECT id FROM org_nodes WHERE code = ");
            sql.bind(code);
            let row = sql
                .fetch_optional(&mut conn)
                .await
                .expect("looking up a node code")
                .unwrap_or_else(|| panic!("no organisation node with code {code}"));
            row.try_get::<i64, _>("id").expect("node id")
        };
        let mut conn = self.app.store.read().await.expect("read connection");
        org::get_unscoped(&mut conn, id)
            .await
            .expect("loading a node")
            .expect("the node exists")
    }

    pub async fn node_id(&self, code: &str) -> i64 {
        self.node(code).await.id
    }

    /// The signed-in actor for a login, built the way a request would build it (no password
    /// needed, no session created).
    pub async fn actor(&self, login: &str) -> Actor {
        let person = self.person(login).await;
        let node = match person.node_id {
            Some(id) => {
                let mut conn = self.app.store.read().await.expect("read connection");
                org::get_unscoped(&mut conn, id)
                    .await
                    .expect("loading a node")
            }
            None => None,
        };
        Actor::from_person(person, node, Via::System, "127.0.0.1", "test-support")
    }

    /// A new API token acting as `login`, made by that person for themself.
    pub async fn token_for(&self, login: &str) -> String {
        self.token_with_id(login).await.0
    }

    /// A new API token for `login` and its id.
    pub async fn token_with_id(&self, login: &str) -> (String, i64) {
        let actor = self.actor(login).await;
        let id = actor.person_id().expect("a person");
        match tokens::create(&self.app, &actor, id, "test").await {
            Ok(created) => (created.token, created.row.id),
            Err(e) => panic!("creating a token for {login}: {e:?}"),
        }
    }

    /// Signs in at the application layer (no HTTP) and returns the session's actor.
    pub async fn app_session_actor(&self, login: &str, password: &str) -> Actor {
        let session = auth::sign_in(
            &self.app,
            auth::SignIn {
                login,
                password,
                source: "127.0.0.1",
                user_agent: "test-support",
                request_id: "test-support",
            },
        )
        .await
        .unwrap_or_else(|e| panic!("signing in as {login}: {e:?}"));
        auth::actor_from_session(&self.app, &session.token, "127.0.0.1", "test-support")
            .await
            .unwrap_or_else(|e| panic!("resolving the session of {login}: {e:?}"))
    }

    /// One number from a query such as `SELECT COUNT(*) AS n FROM people` (column named `n`).
    pub async fn count(&self, sql: &str) -> i64 {
        let mut conn = self.app.store.read().await.expect("read connection");
        let row = Sql::new(sql)
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        row.try_get::<i64, _>("n")
            .unwrap_or_else(|e| panic!("{sql}: column n: {e}"))
    }

    /// The highest audit entry id so far (0 when there is none).
    pub async fn last_audit_id(&self) -> i64 {
        self.count("SELECT COALESCE(MAX(id), 0) AS n FROM audit_log")
            .await
    }

    /// The audit entries written after `after_id`, oldest first.
    pub async fn audit_since(&self, after_id: i64) -> Vec<AuditRow> {
        let mut conn = self.app.store.read().await.expect("read connection");
        let mut sql = Sql::new(
            "SELECT id, at, person_id, source, request_id, operation, entity, entity_id, scope_path, \
             before_json, after_json FROM audit_log WHERE id > ",
        );
        sql.bind(after_id).push(" ORDER BY id");
        let rows = sql.fetch_all(&mut conn).await.expect("reading audit_log");
        let json = |text: Option<String>| {
            text.map(|t| serde_json::from_str(&t).expect("audit JSON is valid"))
        };
        rows.iter()
            .map(|r| AuditRow {
                id: r.try_get("id").expect("id"),
                at: r.try_get("at").expect("at"),
                person_id: r.try_get("person_id").expect("person_id"),
                source: r.try_get("source").expect("source"),
                request_id: r.try_get("request_id").expect("request_id"),
                operation: r.try_get("operation").expect("operation"),
                entity: r.try_get("entity").expect("entity"),
                entity_id: r.try_get("entity_id").expect("entity_id"),
                scope_path: r.try_get("scope_path").expect("scope_path"),
                before: json(r.try_get("before_json").expect("before_json")),
                after: json(r.try_get("after_json").expect("after_json")),
            })
            .collect()
    }

    /// Stops the server now (it also stops when the `TestApp` is dropped).
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let stopped = tokio::time::timeout(std::time::Duration::from_secs(5), server).await;
            if stopped.is_err() {
                eprintln!("the test server did not stop within 5 s");
            }
        }
    }
}

/// A person signed in through the sign-in form ([`TestApp::page_session`]): the cookie-keeping
/// client (which does not follow redirects) and the CSRF token its forms post back.
pub struct PageSession {
    pub client: reqwest::Client,
    pub csrf: String,
    base_url: String,
}

impl PageSession {
    /// GETs a page: its status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let res = self
            .client
            .get(format!("{}{path}", self.base_url))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = res.status().as_u16();
        (status, res.text().await.expect("page body"))
    }

    /// Posts a form with the CSRF token added: status, redirect target ("" when none) and body.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
        let mut pairs: Vec<(&str, &str)> = fields.to_vec();
        pairs.push(("_csrf", &self.csrf));
        let res = self
            .client
            .post(format!("{}{path}", self.base_url))
            .form(&pairs)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = res.status().as_u16();
        let loc = location(&res);
        (status, loc, res.text().await.expect("response body"))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            // Open keep-alive connections would hold a graceful shutdown; the test is over.
            server.abort();
        }
    }
}

/// A problem document (`application/problem+json`) as an API client receives it.
#[derive(Debug, Clone)]
pub struct ProblemDoc {
    pub status: u16,
    pub code: String,
    pub field: Option<String>,
    pub detail: String,
    pub body: serde_json::Value,
}

/// Reads a response that must be a problem document; panics (naming what came instead) if not.
pub async fn problem(res: reqwest::Response) -> ProblemDoc {
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = res.text().await.expect("response body");
    assert!(
        content_type.starts_with("application/problem+json"),
        "expected a problem document, got {status} {content_type:?}: {text}"
    );
    let body: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("problem document is not JSON ({e}): {text}"));
    assert_eq!(
        body["status"].as_u64(),
        Some(u64::from(status)),
        "problem status matches the HTTP status: {text}"
    );
    let code = body["code"]
        .as_str()
        .unwrap_or_else(|| panic!("problem without a code: {text}"))
        .to_string();
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "problem without a detail: {text}"
    );
    ProblemDoc {
        status,
        code,
        field: body["field"].as_str().map(str::to_string),
        detail: body["detail"].as_str().unwrap_or("").to_string(),
        body,
    }
}

/// Every `Set-Cookie` header of a response.
pub fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect()
}

/// The value a response sets for cookie `name` (None when it sets none).
pub fn cookie_value(res: &reqwest::Response, name: &str) -> Option<String> {
    set_cookies(res).into_iter().find_map(|c| {
        let first = c.split(';').next()?.trim().to_string();
        let (k, v) = first.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// The `Location` header of a redirect ("" when there is none).
pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// `text` as askama (0.14) writes it into HTML: numeric character references.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&#38;"),
            '<' => out.push_str("&#60;"),
            '>' => out.push_str("&#62;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

impl TestApp {
    /// Creates a person through `POST /api/v1/people` with `token` (an administrator's) and
    /// returns the created record. The position starts on 2024-01-01 so that moves dated today
    /// are possible at once.
    pub async fn create_person(
        &self,
        token: &str,
        login: &str,
        node_id: i64,
        role: &str,
    ) -> serde_json::Value {
        let res = self
            .api_client()
            .post(self.url("/api/v1/people"))
            .bearer_auth(token)
            .json(&serde_json::json!({
                "login": login,
                "display_name": format!("Test {login}"),
                "password": TestApp::created_password(login),
                "position": { "node_id": node_id, "role": role, "effective_from": "2024-01-01" },
            }))
            .send()
            .await
            .expect("POST /api/v1/people");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        assert_eq!(status, 201, "creating {login}: {text}");
        serde_json::from_str(&text).expect("created person JSON")
    }

    /// The password [`TestApp::create_person`] gives a login (the same for all; it must not
    /// contain the login).
    pub fn created_password(_login: &str) -> String {
        "Created-Password-2024!".to_string()
    }
}

impl TestApp {
    /// The operator's actor (full rights over the whole company), as the CLI uses it.
    pub async fn system_actor(&self) -> Actor {
        let mut conn = self.app.store.read().await.expect("read connection");
        let root = org::root(&mut conn).await.expect("loading the root node");
        Actor::system(root.as_ref(), "test-support")
    }

    /// A new API token for the person with this id (made by the operator): (secret, token id).
    pub async fn token_for_person(&self, person_id: i64) -> (String, i64) {
        let actor = self.system_actor().await;
        match tokens::create(&self.app, &actor, person_id, "test").await {
            Ok(created) => (created.token, created.row.id),
            Err(e) => panic!("creating a token for person {person_id}: {e:?}"),
        }
    }
}
