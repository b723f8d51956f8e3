//! `salesos import KIND FILE`: the same check and import as the browser's, for files of any
//! size (read row by row), with progress on stderr.

use crate::DbArgs;
use anyhow::{anyhow, bail, Result};
use clap::Args;
use salesos_app::imports::{self, Kind, Request};
use salesos_app::{Actor, App, Config, Via};
use salesos_store::{org, people};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Args, Clone, Debug)]
pub struct ImportArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// dealers, products, prices, receivables, orders or people (people and organisation)
    pub kind: String,
    /// A CSV (UTF-8 or GB18030) or XLSX file.
    pub file: PathBuf,
    /// Check every row and list the problems; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// A column mapping, `field=Header` (repeatable), for headers salesos does not recognise.
    #[arg(long = "map", value_name = "FIELD=HEADER")]
    pub mapping: Vec<String>,
    /// Keep the mapping for the next file of this kind (for the person of `--as`).
    #[arg(long)]
    pub save_mapping: bool,
    /// The XLSX sheet to read (default: the first with content).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Import as this person (their rights, scope and name in the audit trail); default: the
    /// operator, with the administrator's rights over the whole company.
    #[arg(long = "as", value_name = "LOGIN")]
    pub as_login: Option<String>,
}

async fn actor(app: &App, login: Option<&str>) -> Result<Actor> {
    let Some(login) = login else {
        return crate::commands::operator(app).await;
    };
    let mut conn = app.store.read().await?;
    let person = people::find_by_login_unscoped(&mut conn, login)
        .await?
        .ok_or_else(|| anyhow!("no person has the login {login}"))?;
    let node = match person.node_id {
        Some(id) => org::get_unscoped(&mut conn, id).await?,
        None => None,
    };
    Ok(Actor::from_person(person, node, Via::System, "cli", "cli"))
}

fn mapping(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(f, h)| (f.trim().to_string(), h.trim().to_string()))
                .ok_or_else(|| anyhow!("a mapping looks like field=Header, not {p}"))
        })
        .collect()
}

pub async fn run(args: ImportArgs) -> Result<ExitCode> {
    let kind = Kind::parse(&args.kind).ok_or_else(|| {
        anyhow!("the kind is dealers, products, prices, receivables, orders or people")
    })?;
    let mapping = mapping(&args.mapping)?;
    let table = salesos_import::Table::open_path(&args.file, args.sheet.as_deref())
        .map_err(|e| anyhow!("{}: {e}", args.file.display()))?;
    let store = crate::commands::open(&args.db).await?;
    let app = App::new(store.clone(), Config::default());
    let actor = actor(&app, args.as_login.as_deref()).await?;
    let request = Request {
        mapping,
        dry_run: args.dry_run,
        save_mapping: args.save_mapping,
        file_name: args
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned()),
    };
    let started = Instant::now();
    let mut progress = |rows: u64| {
        let secs = started.elapsed().as_secs_f64().max(0.001);
        eprint!("\r{rows} rows read ({:.0} rows/s)   ", rows as f64 / secs);
        let _ = std::io::stderr().flush();
    };
    let outcome = imports::run(&app, &actor, kind, table, request, &mut progress)
        .await
        .map_err(|e| match e {
            salesos_app::AppError::Forbidden { capability } => anyhow!(
                "importing {} needs the capability {capability}: run it --as the login of a person who has it",
                kind.code()
            ),
            other => anyhow!("{other}"),
        })?;
    eprintln!();
    store.close().await;
    let secs = started.elapsed().as_secs_f64();
    for p in &outcome.problems {
        println!(
            "row {}\t{}\t{:?}\t{}\t{}",
            p.row, p.column, p.value, p.code, p.message
        );
    }
    if outcome.problem_count > outcome.problems.len() as u64 {
        println!(
            "… and {} more problems",
            outcome.problem_count - outcome.problems.len() as u64
        );
    }
    println!(
        "{}: {} rows ({}) in {:.1} s ({:.0} rows/s): {} new, {} changed, {} unchanged, {} problems; {}",
        kind.code(),
        outcome.rows,
        outcome.encoding,
        secs,
        outcome.rows as f64 / secs.max(0.001),
        outcome.counts.created,
        outcome.counts.updated,
        outcome.counts.unchanged,
        outcome.problem_count,
        if outcome.committed {
            "imported"
        } else if outcome.dry_run && outcome.problem_count == 0 {
            "checked, nothing written (run without --dry-run to import)"
        } else {
            "nothing written"
        }
    );
    if outcome.problem_count > 0 {
        return Ok(ExitCode::from(2));
    }
    if !outcome.dry_run && !outcome.committed {
        bail!("the import was not committed");
    }
    Ok(ExitCode::SUCCESS)
}
