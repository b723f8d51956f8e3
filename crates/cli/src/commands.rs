use crate::{DbArgs, JobsCommand, ServeArgs, UserCommand};
use anyhow::{anyhow, bail, Context, Result};
use salesos_app::demo::{self, DemoSize, DemoSummary};
use salesos_app::{people, tokens, Actor, App, Config};
use salesos_store::{migrate as migrations, org, Backend, Store};
use salesos_web::{AppState, WebConfig};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

fn database_url(db: &DbArgs) -> Result<String> {
    if let Some(url) = &db.database_url {
        return Ok(url.clone());
    }
    std::fs::create_dir_all(&db.data_dir)
        .with_context(|| format!("cannot create the data folder {}", db.data_dir.display()))?;
    let file = db.data_dir.join("salesos.db");
    Ok(format!("sqlite://{}?mode=rwc", file.display()))
}

pub(crate) async fn open(db: &DbArgs) -> Result<Store> {
    let url = database_url(db)?;
    let store = Store::connect(&url).await.with_context(|| {
        format!(
            "cannot open the database {}",
            salesos_store::db::redact_url(&url)
        )
    })?;
    let applied = migrations::run(&store)
        .await
        .context("migrating the database")?;
    if applied > 0 {
        tracing::info!(applied, "database schema brought up to date");
    }
    Ok(store)
}

pub async fn migrate(db: DbArgs) -> Result<ExitCode> {
    let store = open(&db).await?;
    println!("schema at version {}", migrations::latest_version());
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn serve(args: ServeArgs, demo: Option<DemoSummary>) -> Result<ExitCode> {
    let started = Instant::now();
    let mut store = open(&args.db).await?;
    if let Some(url) = args.replica_url.as_deref().filter(|u| !u.trim().is_empty()) {
        store = store
            .with_replica(url)
            .await
            .context("cannot use the read replica")?;
    }
    let app = App::new(store.clone(), Config::default());
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    let state = AppState::new(
        app.clone(),
        WebConfig {
            secure_cookies: args.secure_cookies,
            trust_proxy: args.trust_proxy,
        },
    );
    tokio::spawn(housekeeping(app.clone()));
    println!();
    println!("  salesos is running: open http://{address}/");
    println!(
        "  database: {} ({})",
        salesos_store::db::redact_url(store.url()),
        store.backend().name()
    );
    if let Some(replica) = store.replica_url() {
        println!(
            "  reports read from the replica: {}",
            salesos_store::db::redact_url(replica)
        );
    }
    if let Some(summary) = demo {
        println!(
            "  demo company: {} units, {} people; every demo login's password is: {}",
            summary.nodes,
            summary.people,
            demo::DEMO_PASSWORD
        );
        println!("  demo logins (one per role):");
        for login in &summary.logins {
            println!(
                "    {:<12} {:<15} {} · {}",
                login.login, login.role, login.name, login.unit
            );
        }
    }
    println!(
        "  ready in {} ms; press Ctrl-C to stop",
        started.elapsed().as_millis()
    );
    println!();
    tracing::info!(%address, "serving");
    salesos_web::serve(listener, state, shutdown_signal()).await?;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn demo(
    args: ServeArgs,
    size: &str,
    lines: Option<u64>,
    no_serve: bool,
) -> Result<ExitCode> {
    let size = DemoSize::parse(size)
        .ok_or_else(|| anyhow!("unknown demo size {size:?}: use standard, large or tiny"))?;
    let store = open(&args.db).await?;
    let app = App::new(store.clone(), Config::default());
    let started = Instant::now();
    let lines = lines.unwrap_or_else(|| size.history_lines());
    let summary = demo::ensure_with(&app, size, lines)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    if summary.created {
        println!(
            "demo company created in {} ms",
            started.elapsed().as_millis()
        );
    }
    if let Some(h) = &summary.history {
        let secs = (h.ms as f64 / 1000.0).max(0.001);
        println!(
            "history {} to {}: {} orders, {} order lines, {} shipments, {} invoices, {} payments, {} returns, {} credit holds; {} rows in {:.1} s ({:.0} rows/s)",
            h.from,
            h.to,
            h.orders,
            h.order_lines,
            h.shipments,
            h.invoices,
            h.payments,
            h.returns,
            h.holds,
            h.rows,
            secs,
            h.rows as f64 / secs
        );
    }
    store.close().await;
    if no_serve {
        println!(
            "{} units, {} people; password for every demo login: {}",
            summary.nodes,
            summary.people,
            demo::DEMO_PASSWORD
        );
        return Ok(ExitCode::SUCCESS);
    }
    serve(args, Some(summary)).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

/// Background job: removes expired sessions and old sign-in attempts every ten minutes.
async fn housekeeping(app: App) {
    // every 5 minutes: prune sessions, and run the scheduled jobs that are due (each at most
    // once per period across all servers; see `salesos_app::jobs`)
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    let server = server_name();
    loop {
        tick.tick().await;
        match salesos_app::auth::prune(&app).await {
            Ok((sessions, attempts)) => tracing::debug!(sessions, attempts, "housekeeping done"),
            Err(err) => tracing::warn!(error = %err, "housekeeping failed"),
        }
        let actor = match operator(&app).await {
            Ok(actor) => actor,
            Err(err) => {
                tracing::debug!(error = %err, "no scheduled jobs without an organisation");
                continue;
            }
        };
        for (job, result) in salesos_app::jobs::run_due(&app, &actor, &server).await {
            if let Err(err) = result {
                tracing::warn!(job, error = %err, "scheduled job failed");
            }
        }
    }
}

/// Who claimed a job run: host and process id.
fn server_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "salesos".to_string());
    format!("{host}:{}", std::process::id())
}

pub async fn jobs(db: DbArgs, command: JobsCommand) -> Result<ExitCode> {
    let store = open(&db).await?;
    let app = App::new(store.clone(), Config::default());
    let code = match command {
        JobsCommand::Run { name, period } => {
            let actor = operator(&app).await?;
            let period = period.unwrap_or_else(|| salesos_app::jobs::current_month(&app));
            let outcome = salesos_app::jobs::run_job(&app, &actor, &name, &period, &server_name())
                .await
                .map_err(|e| anyhow!("{e}"))?;
            match outcome {
                salesos_app::jobs::Outcome::Ran(result) => {
                    println!("{name} {period}: {result}");
                    ExitCode::SUCCESS
                }
                salesos_app::jobs::Outcome::AlreadyClaimed => {
                    println!("{name} {period}: already ran (or is running); nothing done");
                    ExitCode::SUCCESS
                }
            }
        }
        JobsCommand::List => {
            for j in salesos_app::jobs::recent(&app, 50)
                .await
                .map_err(|e| anyhow!("{e}"))?
            {
                println!(
                    "{:<16} {:<8} {:<8} {:<24} {}",
                    j.name,
                    j.period,
                    j.status,
                    j.claimed_by,
                    j.result.unwrap_or_default()
                );
            }
            ExitCode::SUCCESS
        }
    };
    store.close().await;
    Ok(code)
}

pub(crate) async fn operator(app: &App) -> Result<Actor> {
    let mut conn = app.store.read().await?;
    let root = org::root(&mut conn).await?;
    if root.is_none() {
        bail!("the organisation is empty: run `salesos demo` or import people first");
    }
    Ok(Actor::system(root.as_ref(), "cli"))
}

pub async fn user(db: DbArgs, command: UserCommand) -> Result<ExitCode> {
    let store = open(&db).await?;
    let app = App::new(store.clone(), Config::default());
    let result = run_user(&app, command).await;
    store.close().await;
    result
}

async fn run_user(app: &App, command: UserCommand) -> Result<ExitCode> {
    match command {
        UserCommand::List { json } => {
            let mut conn = app.store.read().await?;
            let rows = salesos_store::people::list_all_unscoped(&mut conn).await?;
            if json {
                let out: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "id": p.id, "login": p.login, "name": p.display_name, "active": p.active,
                            "role": p.role, "node_id": p.node_id, "node_name_zh": p.node_name_zh, "node_name_en": p.node_name_en,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                for p in rows {
                    println!(
                        "{:<14} {:<16} {:<8} {}{}",
                        p.login,
                        p.role.unwrap_or_default(),
                        p.display_name,
                        p.node_name_zh.unwrap_or_default(),
                        if p.active { "" } else { " (inactive)" }
                    );
                }
            }
        }
        UserCommand::Add {
            login,
            name,
            password,
            unit,
            role,
        } => {
            let actor = operator(app).await?;
            let node_id = find_unit(app, &unit).await?;
            let input = people::NewPersonInput {
                login,
                display_name: name,
                email: None,
                phone: None,
                password,
                locale: None,
                position: people::PositionInput {
                    node_id,
                    role,
                    effective_from: None,
                },
            };
            let person = people::create(app, &actor, input)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!("added {} (id {})", person.login, person.id);
        }
        UserCommand::ResetPassword { login, password } => {
            let actor = operator(app).await?;
            let id = find_person(app, &login).await?;
            let new = people::reset_password(app, &actor, id, password)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!("{new}");
        }
        UserCommand::Token { login, name } => {
            let actor = operator(app).await?;
            let id = find_person(app, &login).await?;
            let created = tokens::create(app, &actor, id, &name)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!("{}", created.token);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn find_person(app: &App, login: &str) -> Result<i64> {
    let mut conn = app.store.read().await?;
    salesos_store::people::find_by_login_unscoped(&mut conn, &login.trim().to_lowercase())
        .await?
        .map(|p| p.id)
        .ok_or_else(|| anyhow!("no person with login {login:?}"))
}

async fn find_unit(app: &App, code: &str) -> Result<i64> {
    let mut conn = app.store.read().await?;
    let root = org::root(&mut conn)
        .await?
        .ok_or_else(|| anyhow!("no organisation"))?;
    let all = org::list(
        &mut conn,
        &salesos_store::Scope::Subtree {
            path: root.org_path(),
        },
    )
    .await?;
    all.into_iter()
        .find(|n| n.code.eq_ignore_ascii_case(code))
        .map(|n| n.id)
        .ok_or_else(|| anyhow!("no organisation unit with code {code:?}"))
}

pub async fn backup(db: DbArgs, out: Option<PathBuf>) -> Result<ExitCode> {
    let url = database_url(&db)?;
    let backend = Backend::from_url(&url)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let out = match out {
        Some(path) => path,
        None => {
            let dir = db.data_dir.join("backups");
            std::fs::create_dir_all(&dir)?;
            dir.join(match backend {
                Backend::Sqlite => format!("salesos-{stamp}.db"),
                Backend::Postgres => format!("salesos-{stamp}.dump"),
            })
        }
    };
    if out.exists() {
        bail!("{} exists already; choose another file", out.display());
    }
    let started = Instant::now();
    match backend {
        Backend::Sqlite => {
            let store = Store::connect(&url).await?;
            salesos_store::db::sqlite_backup(&store, &out).await?;
            store.close().await;
        }
        Backend::Postgres => {
            // pg_dump takes a consistent snapshot without blocking the running servers.
            let status = tokio::process::Command::new("pg_dump")
                .arg("--format=custom")
                .arg("--file")
                .arg(&out)
                .arg("--dbname")
                .arg(&url)
                .status()
                .await
                .context("running pg_dump (install the PostgreSQL client tools)")?;
            if !status.success() {
                bail!("pg_dump failed with {status}");
            }
        }
    }
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    println!(
        "backup written to {} ({} bytes in {} ms)",
        out.display(),
        size,
        started.elapsed().as_millis()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn check(db: DbArgs) -> Result<ExitCode> {
    let store = open(&db).await?;
    let mut conn = store.read().await?;
    let problems = salesos_store::check::run(&mut conn).await?;
    drop(conn);
    store.close().await;
    if problems.is_empty() {
        println!("all invariants hold");
        Ok(ExitCode::SUCCESS)
    } else {
        for p in &problems {
            println!("DIFFERENCE: {p}");
        }
        println!("{} difference(s) found", problems.len());
        Ok(ExitCode::from(1))
    }
}
