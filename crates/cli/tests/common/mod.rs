//! What the CLI tests that run `salesos serve` as a separate process share.
// each test file uses its own part of this module
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
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
