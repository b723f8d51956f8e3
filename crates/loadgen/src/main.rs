//! `salesos-loadgen`: order intake through the HTTP API at several client counts, and the
//! verifier used after crash tests.
//!
//! `run` signs in with API tokens of order-desk people, takes 5-line orders for random active
//! dealers with an `Idempotency-Key` each (a share of them first sent with a timeout too short to
//! succeed, then retried with the same key; every transport error or 5xx is retried with the
//! same key as well), and reports orders/s, p50/p99 latency, holds and retries per client count.
//! The latency percentiles are of the orders sent normally; the deliberately cut ones (whose
//! latency includes the cut and a back-off) are counted in orders/s and reported apart.
//! Every acknowledged order is appended to `--ack-log` as `key<TAB>order id<TAB>status`.
//!
//! `verify` reads the database directly and checks that every acknowledged order is there with
//! its lines, credit ledger entry or hold, audit entry and idempotency record, that no order of
//! the generator is half-written, and that no key made two orders.

mod verify;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "salesos-loadgen", about = "Order-intake load for salesos")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Take orders through the API at each client count and report the figures.
    Run(RunArgs),
    /// Check the database against an acknowledgement log (after a crash test).
    Verify(verify::VerifyArgs),
}

#[derive(Args, Clone)]
struct RunArgs {
    /// Base URL of a server (repeat for several servers; orders go round-robin over them).
    #[arg(long = "url", required = true)]
    urls: Vec<String>,
    /// API token of an order-desk person (repeat; clients are spread over them).
    #[arg(long = "token", required = true)]
    tokens: Vec<String>,
    /// Client counts to run one after the other.
    #[arg(long, default_value = "1,4,16,64", value_delimiter = ',')]
    clients: Vec<usize>,
    /// Seconds of load per client count.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Stop a client count after this many acknowledged orders (in addition to --seconds).
    #[arg(long)]
    orders: Option<u64>,
    /// Lines per order.
    #[arg(long, default_value_t = 5)]
    lines: usize,
    /// Share of orders first sent with a 1–8 ms timeout, then retried with the same key.
    #[arg(long, default_value_t = 0.03)]
    retry_share: f64,
    /// How long one order keeps being retried while the server is unreachable.
    #[arg(long, default_value_t = 60.0)]
    give_up_after: f64,
    /// Append `key<TAB>order id<TAB>status` of every acknowledged order here.
    #[arg(long)]
    ack_log: Option<PathBuf>,
    /// Append one JSON line per client count here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Process id of a server whose resident memory is sampled (repeat for several).
    #[arg(long = "server-pid")]
    server_pids: Vec<u32>,
    /// Label of the run; keys are `lg-<tag>-…`.
    #[arg(long)]
    tag: Option<String>,
    /// Stop taking new orders once this file exists (for crash tests driven by a script).
    #[arg(long)]
    stop_file: Option<PathBuf>,
    /// Database of the servers: after the run, look for keys that made more than one order.
    #[arg(long)]
    database_url: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args).await,
        Command::Verify(args) => verify::verify(args).await,
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("salesos-loadgen: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// What the clients order from.
struct Catalogue {
    dealers: Vec<i64>,
    products: Vec<i64>,
}

async fn get_json(client: &reqwest::Client, url: &str, token: &str) -> Result<Value> {
    let res = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = res.status();
    let body: Value = res.json().await.with_context(|| format!("GET {url}"))?;
    if !status.is_success() {
        bail!("GET {url}: {status}: {body}");
    }
    Ok(body)
}

/// The ids of a list answer: a bare array, or a page with `items`.
fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .or_else(|| list["items"].as_array())
        .map(|a| a.iter().filter_map(|v| v["id"].as_i64()).collect())
        .unwrap_or_default()
}

async fn load_catalogue(base: &str, token: &str) -> Result<Catalogue> {
    let client = reqwest::Client::new();
    let mut dealers = Vec::new();
    let mut offset = 0;
    loop {
        let page = get_json(
            &client,
            &format!("{base}/api/v1/dealers?status=active&limit=1000&offset={offset}"),
            token,
        )
        .await?;
        let got = ids(&page);
        if got.is_empty() {
            break;
        }
        offset += got.len();
        dealers.extend(got);
    }
    let products = ids(&get_json(
        &client,
        &format!("{base}/api/v1/products?status=active"),
        token,
    )
    .await?);
    if dealers.is_empty() || products.is_empty() {
        bail!("the token's person sees no active dealers or no products: load the demo company (salesos demo --no-serve)");
    }
    Ok(Catalogue { dealers, products })
}

/// One client count's outcome.
#[derive(Default)]
struct Tally {
    /// acknowledged orders sent normally: first attempt to acknowledgement
    latencies_ms: Vec<f64>,
    /// acknowledged orders whose first attempt was cut on purpose (their latency includes the
    /// cut and the back-off before the retry, so they are reported apart)
    cut_latencies_ms: Vec<f64>,
    on_hold: u64,
    confirmed: u64,
    /// 4xx answers by error code (the order was refused, nothing made).
    refused: std::collections::BTreeMap<String, u64>,
    /// transport errors and timeouts that led to a retry with the same key
    retries: u64,
    /// deliberately cut first attempts
    cut: u64,
    /// answers marked `idempotent-replayed`
    replays: u64,
    /// 5xx answers (each retried)
    server_errors: u64,
    /// orders abandoned after --give-up-after
    gave_up: u64,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.latencies_ms.extend(other.latencies_ms);
        self.cut_latencies_ms.extend(other.cut_latencies_ms);
        self.on_hold += other.on_hold;
        self.confirmed += other.confirmed;
        for (code, n) in other.refused {
            *self.refused.entry(code).or_default() += n;
        }
        self.retries += other.retries;
        self.cut += other.cut;
        self.replays += other.replays;
        self.server_errors += other.server_errors;
        self.gave_up += other.gave_up;
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

struct Shared {
    args: RunArgs,
    catalogue: Catalogue,
    tag: String,
    ack_log: Option<Mutex<std::fs::File>>,
    acked: AtomicU64,
    stop: AtomicBool,
}

enum Outcome {
    Acked { id: i64, status: String },
    Refused(String),
    GaveUp,
}

/// Sends one order until it is answered: every transport error, timeout or 5xx is retried with
/// the same key, which is what makes the retry safe.
/// Where one client sends its orders.
struct Endpoint {
    client: reqwest::Client,
    url: String,
    token: String,
}

async fn submit(
    shared: &Shared,
    to: &Endpoint,
    key: &str,
    body: &Value,
    cut_first: bool,
    tally: &mut Tally,
) -> Outcome {
    let started = Instant::now();
    let give_up = Duration::from_secs_f64(shared.args.give_up_after);
    let mut attempt = 0u32;
    loop {
        let mut req = to
            .client
            .post(format!("{}/api/v1/orders", to.url))
            .bearer_auth(&to.token)
            .header("Idempotency-Key", key)
            .json(body);
        req = if attempt == 0 && cut_first {
            tally.cut += 1;
            req.timeout(Duration::from_millis(rand::thread_rng().gen_range(1..=8)))
        } else {
            req.timeout(Duration::from_secs(30))
        };
        attempt += 1;
        let answer = match req.send().await {
            Ok(res) => {
                let status = res.status();
                let replayed = res.headers().contains_key("idempotent-replayed");
                match res.json::<Value>().await {
                    Ok(v) => Some((status, replayed, v)),
                    Err(_) => None,
                }
            }
            Err(_) => None,
        };
        match answer {
            Some((status, replayed, v)) if status.is_success() => {
                if replayed {
                    tally.replays += 1;
                }
                let id = v["order"]["id"].as_i64().unwrap_or(0);
                let state = v["order"]["status"].as_str().unwrap_or("").to_string();
                return Outcome::Acked { id, status: state };
            }
            Some((status, _, v)) if status.is_client_error() => {
                let code = v["code"].as_str().unwrap_or("unknown").to_string();
                return Outcome::Refused(format!("{} {code}", status.as_u16()));
            }
            Some(_) => tally.server_errors += 1,
            None => tally.retries += 1,
        }
        if started.elapsed() > give_up {
            return Outcome::GaveUp;
        }
        let backoff = 20u64.saturating_mul(1 << attempt.min(4));
        tokio::time::sleep(Duration::from_millis(backoff)).await;
    }
}

async fn client_task(shared: Arc<Shared>, level: usize, n: usize, deadline: Instant) -> Tally {
    let mut tally = Tally::default();
    let mut rng = StdRng::from_entropy();
    let client = match reqwest::Client::builder().pool_max_idle_per_host(1).build() {
        Ok(c) => c,
        Err(_) => return tally,
    };
    let token = shared.args.tokens[n % shared.args.tokens.len()].clone();
    let urls = &shared.args.urls;
    let lines = shared.args.lines.min(shared.catalogue.products.len());
    let mut seq = 0u64;
    while Instant::now() < deadline && !shared.stop.load(Ordering::Relaxed) {
        if shared.args.stop_file.as_ref().is_some_and(|f| f.exists()) {
            break;
        }
        seq += 1;
        let key = format!("lg-{}-{level}-{n}-{seq}", shared.tag);
        let dealer = shared.catalogue.dealers[rng.gen_range(0..shared.catalogue.dealers.len())];
        let products: Vec<i64> = shared
            .catalogue
            .products
            .choose_multiple(&mut rng, lines)
            .copied()
            .collect();
        let order_lines: Vec<Value> = products
            .iter()
            .map(|p| json!({ "product_id": p, "quantity": rng.gen_range(1..=6) }))
            .collect();
        let body = json!({ "dealer_id": dealer, "note": key, "lines": order_lines });
        let cut_first = rng.gen_bool(shared.args.retry_share.clamp(0.0, 1.0));
        // round-robin over the servers, each client starting at another one, so every client's
        // token is used on every server
        let to = Endpoint {
            client: client.clone(),
            url: urls[(n + seq as usize) % urls.len()].clone(),
            token: token.clone(),
        };
        let t0 = Instant::now();
        match submit(&shared, &to, &key, &body, cut_first, &mut tally).await {
            Outcome::Acked { id, status } => {
                let ms = t0.elapsed().as_secs_f64() * 1000.0;
                if cut_first {
                    tally.cut_latencies_ms.push(ms);
                } else {
                    tally.latencies_ms.push(ms);
                }
                if status == "on_hold" {
                    tally.on_hold += 1;
                } else if status == "confirmed" {
                    tally.confirmed += 1;
                }
                if let Some(log) = &shared.ack_log {
                    if let Ok(mut f) = log.lock() {
                        // one write per line, so a line is never split between two orders
                        let _ = f.write_all(format!("{key}\t{id}\t{status}\n").as_bytes());
                    }
                }
                let done = shared.acked.fetch_add(1, Ordering::Relaxed) + 1;
                if shared.args.orders.is_some_and(|max| done >= max) {
                    shared.stop.store(true, Ordering::Relaxed);
                }
            }
            Outcome::Refused(code) => *tally.refused.entry(code).or_default() += 1,
            Outcome::GaveUp => tally.gave_up += 1,
        }
    }
    tally
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

async fn run(args: RunArgs) -> Result<bool> {
    let tag = args
        .tag
        .clone()
        .unwrap_or_else(|| format!("{:08x}", rand::random::<u32>()));
    let base = args.urls.first().ok_or_else(|| anyhow!("no --url"))?;
    let token = args.tokens.first().ok_or_else(|| anyhow!("no --token"))?;
    let catalogue = load_catalogue(base, token).await?;
    eprintln!(
        "loadgen {tag}: {} dealers, {} products, {} server(s), {} token(s)",
        catalogue.dealers.len(),
        catalogue.products.len(),
        args.urls.len(),
        args.tokens.len()
    );
    let ack_log = match &args.ack_log {
        Some(path) => Some(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("opening {}", path.display()))?,
        )),
        None => None,
    };
    let shared = Arc::new(Shared {
        args: args.clone(),
        catalogue,
        tag: tag.clone(),
        ack_log,
        acked: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    });
    println!(
        "{:>7} {:>7} {:>9} {:>8} {:>8} {:>7} {:>8} {:>7} {:>7} {:>7} {:>7} {:>8}",
        "clients",
        "orders",
        "orders/s",
        "p50 ms",
        "p99 ms",
        "on_hold",
        "refused",
        "cut",
        "retries",
        "replays",
        "gave_up",
        "RSS MiB"
    );
    let mut ok = true;
    for &clients in &args.clients {
        shared.acked.store(0, Ordering::Relaxed);
        shared.stop.store(false, Ordering::Relaxed);
        let started = Instant::now();
        let deadline = started + Duration::from_secs_f64(args.seconds);
        let tasks: Vec<_> = (0..clients)
            .map(|n| tokio::spawn(client_task(shared.clone(), clients, n, deadline)))
            .collect();
        let pids = args.server_pids.clone();
        let sampling = Arc::new(AtomicBool::new(true));
        let sampler = {
            let sampling = sampling.clone();
            tokio::spawn(async move {
                let mut peak = 0u64;
                while sampling.load(Ordering::Relaxed) {
                    let total: u64 = pids.iter().filter_map(|p| rss_kib(*p)).sum();
                    peak = peak.max(total);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                peak
            })
        };
        let mut tally = Tally::default();
        for t in tasks {
            tally.merge(t.await.context("a client task failed")?);
        }
        let elapsed = started.elapsed().as_secs_f64();
        sampling.store(false, Ordering::Relaxed);
        let peak_kib = sampler.await.unwrap_or(0);
        tally.latencies_ms.sort_by(f64::total_cmp);
        tally.cut_latencies_ms.sort_by(f64::total_cmp);
        let acked = (tally.latencies_ms.len() + tally.cut_latencies_ms.len()) as u64;
        let refused: u64 = tally.refused.values().sum();
        let rate = acked as f64 / elapsed;
        let p50 = percentile(&tally.latencies_ms, 0.50);
        let p99 = percentile(&tally.latencies_ms, 0.99);
        let cut_p50 = percentile(&tally.cut_latencies_ms, 0.50);
        println!(
            "{clients:>7} {acked:>7} {rate:>9.1} {p50:>8.2} {p99:>8.2} {:>7} {refused:>8} {:>7} {:>7} {:>7} {:>7} {:>8.1}",
            tally.on_hold,
            tally.cut,
            tally.retries,
            tally.replays,
            tally.gave_up,
            peak_kib as f64 / 1024.0
        );
        if !tally.refused.is_empty() {
            println!("        refused: {:?}", tally.refused);
        }
        if tally.server_errors > 0 {
            println!("        5xx answers (retried): {}", tally.server_errors);
            ok = false;
        }
        if let Some(path) = &args.json {
            let line = json!({
                "tag": tag, "clients": clients, "servers": args.urls.len(), "orders": acked,
                "seconds": elapsed, "orders_per_s": rate, "p50_ms": p50, "p99_ms": p99,
                "on_hold": tally.on_hold, "confirmed": tally.confirmed, "refused": refused,
                "cut": tally.cut, "retries": tally.retries, "replays": tally.replays,
                "server_errors": tally.server_errors, "gave_up": tally.gave_up,
                "peak_rss_kib": peak_kib, "cut_acked": tally.cut_latencies_ms.len(),
                "cut_p50_ms": cut_p50,
            });
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            writeln!(f, "{line}")?;
        }
    }
    if let Some(url) = &args.database_url {
        let duplicates = verify::duplicate_keys(url, &format!("lg-{tag}-")).await?;
        println!("duplicates (keys that made more than one order): {duplicates}");
        if duplicates > 0 {
            ok = false;
        }
    }
    Ok(ok)
}
