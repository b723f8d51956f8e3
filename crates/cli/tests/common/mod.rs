//! What the CLI tests that run `salesos serve` as a separate process share.
// each test file uses its own part of this module
#![allow(dead_code)]

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The `salesos` binary on this database and data folder, quiet, with no replica inherited
/// from the environment.
pub fn salesos(url: &str, dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_salesos"));
    cmd.env("SALESOS_DATABASE_URL", url)
        .env("SALESOS_DATA_DIR", dir)
        .env("SALESOS_LOG", "warn")
        .env_remove("SALESOS_REPLICA_URL");
    cmd
}

/// Runs `salesos` with `args` to the end (see [`salesos`]).
pub fn run(url: &str, dir: &Path, args: &[&str]) -> Output {
    salesos(url, dir)
        .args(args)
        .output()
        .expect("the salesos binary runs")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A running server, killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// Starts `salesos serve` on a free port with `extra` arguments, without waiting for it (so
/// several can start at once); see [`wait_ready`].
pub fn spawn_server(url: &str, dir: &Path, extra: &[&str]) -> Server {
    let port = free_port();
    let child = salesos(url, dir)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("salesos serve starts");
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    }
}

/// Waits until the server answers `/readyz` with 200 (a minute at most).
pub async fn wait_ready(server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(res) = reqwest::get(format!("{}/readyz", server.base)).await {
            if res.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} did not become ready", server.base);
}

/// A fresh, empty data folder for one test (`tag` keeps the tests of a run apart).
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("salesos-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Loads the tiny demo into the database, failing the test if it does not succeed.
pub fn run_tiny_demo(url: &str, dir: &Path) {
    let out = salesos(url, dir)
        .args(["demo", "--size", "tiny", "--no-serve"])
        .output()
        .expect("demo runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A new API token for `login`, made with `salesos user token`.
pub fn user_token(url: &str, dir: &Path, login: &str) -> String {
    let out = salesos(url, dir)
        .args(["user", "token", login])
        .output()
        .expect("user token");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Order lines of `quantity` each for the first `count` active products, as the server lists
/// them to `token`.
pub async fn order_lines(
    api: &reqwest::Client,
    base: &str,
    token: &str,
    count: usize,
    quantity: i64,
) -> Vec<Value> {
    let products: Vec<Value> = api
        .get(format!("{base}/api/v1/products?status=active"))
        .bearer_auth(token)
        .send()
        .await
        .expect("listing products")
        .json()
        .await
        .expect("a product list");
    products
        .iter()
        .take(count)
        .map(|p| json!({ "product_id": p["id"], "quantity": quantity }))
        .collect()
}
