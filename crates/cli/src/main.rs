//! `salesos`: one binary for the web UI, the JSON API, background jobs and the admin CLI.

mod commands;
mod import;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "salesos",
    version,
    about = "The operating system of a sales department"
)]
struct Cli {
    /// Log format: `text` or `json`.
    #[arg(
        long,
        env = "SALESOS_LOG_FORMAT",
        default_value = "text",
        global = true
    )]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives.
#[derive(Args, Clone, Debug)]
pub struct DbArgs {
    /// Folder for the embedded database and backups.
    #[arg(
        long,
        env = "SALESOS_DATA_DIR",
        default_value = "./salesos-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// `sqlite://FILE` or `postgres://USER@HOST/DB`; default: SQLite in the data folder.
    #[arg(long, env = "SALESOS_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
}

#[derive(Args, Clone, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "SALESOS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Mark cookies Secure (set when users reach salesos over https).
    #[arg(long, env = "SALESOS_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Trust X-Forwarded-For from a reverse proxy in front of salesos.
    #[arg(long, env = "SALESOS_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// `postgres://…` of a read replica of the PostgreSQL database: dashboards and reports read
    /// from it (a few seconds behind at most); everything else uses `--database-url`.
    #[arg(long, env = "SALESOS_REPLICA_URL")]
    pub replica_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (web UI, API, background jobs).
    Serve(ServeArgs),
    /// Create the demo company if the database is empty, print the demo logins, then serve.
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// `standard` (8 markets, 30 areas, ~150 field staff, ~2,000 dealers, two years of
        /// order-to-cash history), `large` (the same with ~10 million order lines) or `tiny`.
        #[arg(long, default_value = "standard")]
        size: String,
        /// About how many order lines of history to make instead of the size's default (0: none).
        #[arg(long)]
        lines: Option<u64>,
        /// Create the demo data and exit instead of serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Apply pending database migrations.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Manage people from the command line (acts as the operator, with full rights).
    User {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Write a consistent copy of the database while the server runs.
    Backup {
        #[command(flatten)]
        db: DbArgs,
        /// The file to write (default: DATA_DIR/backups/salesos-<time>.db or .dump).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verify every invariant; exit non-zero listing each difference.
    Check {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Check (`--dry-run`) or import a CSV or XLSX file of dealers, products, prices, opening
    /// receivables or historical orders: all rows or none, matched by code.
    Import(import::ImportArgs),
    /// Scheduled jobs: run one now (still at most once per period), or list recent runs.
    Jobs {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        command: JobsCommand,
    },
}

#[derive(Subcommand)]
pub enum JobsCommand {
    /// Run a job for a period unless it already ran (jobs: credit-limits, pae-pack).
    Run {
        name: String,
        /// `YYYY-MM`; default the current month.
        #[arg(long)]
        period: Option<String>,
    },
    /// The latest runs.
    List,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// List people with login, role and organisation unit.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add a person at a unit (by unit code, e.g. HQ, M-E, A-SH) in a role.
    Add {
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        password: String,
        /// Unit code, e.g. `HQ`.
        #[arg(long)]
        unit: String,
        /// director, market_manager, area_manager, kam, sales_rep, order_desk, billing, finance, warehouse, admin
        #[arg(long)]
        role: String,
    },
    /// Set a new password (printed when generated).
    ResetPassword {
        login: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// Print a new API token for the person.
    Token {
        login: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

fn init_logging(format: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("SALESOS_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.log_format);
    let result = match cli.command {
        Command::Serve(args) => commands::serve(args, None).await,
        Command::Demo {
            serve,
            size,
            lines,
            no_serve,
        } => commands::demo(serve, &size, lines, no_serve).await,
        Command::Migrate { db } => commands::migrate(db).await,
        Command::User { db, command } => commands::user(db, command).await,
        Command::Backup { db, out } => commands::backup(db, out).await,
        Command::Check { db } => commands::check(db).await,
        Command::Jobs { db, command } => commands::jobs(db, command).await,
        Command::Import(args) => import::run(args).await,
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("salesos: {err:#}");
            ExitCode::FAILURE
        }
    }
}
