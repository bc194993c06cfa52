//! `hocba registry`: the national registry server (see the `registry-server` crate), and
//! its operator commands `add-school`, `approve-seal` and `withdraw-seal`.
//!
//! Configuration of the server, each key documented once; a flag wins over its
//! environment variable:
//!
//! | flag | environment | default | meaning |
//! |---|---|---|---|
//! | `--db URL` | `HOCBA_DB` | — (required) | `postgres://…` (production) or `sqlite://PATH` (demo; created if missing) |
//! | `--listen ADDR` | `HOCBA_LISTEN` | `127.0.0.1:8090` | socket address to listen on |
//! | `--key PATH` | `HOCBA_REGISTRY_KEY` | — (required) | the receipt key: Ed25519 PKCS#8, DER |
//! | `--generate-key` | — | off | create `--key PATH` (mode 0600) when it does not exist; an existing file is used, never overwritten |
//! | `--trust PATH` | `HOCBA_TRUST` | — (required) | PEM bundle of the root CAs signers must chain to |
//! | `--demo` | `HOCBA_DEMO=1` | off | demo mode: banner on the pages |
//! | `--demo-pki DIR` | — | none | with `--demo`: add the four demo schools (tokens printed once) and approve each one's own seal `DIR/seal-CODE.cert.pem` for it only |
//!
//! Everything is checked before the server starts; a bad value stops start-up with a
//! message naming the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::{Args as ClapArgs, Subcommand};
use store::Store;

/// `hocba registry [OPTIONS]` runs the server; `hocba registry add-school|approve-seal`
/// are operator commands.
#[derive(ClapArgs)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

/// Operator commands.
#[derive(Subcommand)]
enum Command {
    /// Add a school to the registry and print its new API token (shown only this once).
    AddSchool(AddSchoolArgs),
    /// Approve a seal certificate for a school ("Phê duyệt chứng thư số"), for signatures
    /// made from the certificate's notBefore on.
    ApproveSeal(ApproveSealArgs),
    /// Withdraw an approval now: seals applied from now on with that certificate are
    /// refused; records sealed before stay valid.
    WithdrawSeal(WithdrawSealArgs),
    /// List revocation requests ("Đề nghị thu hồi"), pending ones by default.
    Revocations(RevocationsArgs),
    /// Approve a revocation request ("Phê duyệt thu hồi"): the record is revoked now.
    ApproveRevocation(DecideRevocationArgs),
    /// Reject a revocation request with a comment: the record stays current.
    RejectRevocation(DecideRevocationArgs),
    /// Add a supervisor account of an authority (Phòng VH-XH of a ward UBND, or the Sở
    /// GDĐT) for a set of schools, and print its first password (shown only this once).
    AddSupervisor(AddSupervisorArgs),
    /// Ingest rate and rejections over the last hours, pending approvals and revocation
    /// requests, schools that sent nothing (read-only; see docs/operating-registry.md).
    Stats(ops::StatsArgs),
    /// Check every stored record after a restore: digest of the XML, receipt signature
    /// and what it names, revocation fields. Exit 0 all good, 1 a bad record, 2 error.
    CheckStore(ops::CheckStoreArgs),
}

/// Options of the server.
#[derive(ClapArgs)]
struct ServeArgs {
    /// Database URL: `postgres://…` or `sqlite://PATH` [env: HOCBA_DB]
    #[arg(long)]
    db: Option<String>,
    /// Address to listen on [env: HOCBA_LISTEN] [default: 127.0.0.1:8090]
    #[arg(long)]
    listen: Option<String>,
    /// The receipt signing key, Ed25519 PKCS#8 (DER) [env: HOCBA_REGISTRY_KEY]
    #[arg(long)]
    key: Option<PathBuf>,
    /// Create the key file when it does not exist (never overwrites)
    #[arg(long)]
    generate_key: bool,
    /// Root CA certificates (PEM) that signers must chain to [env: HOCBA_TRUST]
    #[arg(long)]
    trust: Option<PathBuf>,
    /// Demo mode [env: HOCBA_DEMO=1]
    #[arg(long)]
    demo: bool,
    /// With --demo: seed the four demo schools and approve each one's own seal,
    /// DIR/seal-CODE.cert.pem, for it only (files of `hocba keys demo-pki`)
    #[arg(long, value_name = "DIR", requires = "demo")]
    demo_pki: Option<PathBuf>,
}

/// Options of `hocba registry add-school`.
#[derive(ClapArgs)]
struct AddSchoolArgs {
    /// Database URL [env: HOCBA_DB]
    #[arg(long)]
    db: Option<String>,
    /// MaTruong (letters and digits, at most 20)
    #[arg(long)]
    code: String,
    /// Tên trường
    #[arg(long)]
    name: String,
    /// Cấp học: TH, THCS, THPT or GDTX
    #[arg(long)]
    level: String,
    /// The supervising authority (Phòng VH-XH of the ward, or the Sở)
    #[arg(long)]
    authority: String,
}

/// Options of `hocba registry approve-seal`.
#[derive(ClapArgs)]
struct ApproveSealArgs {
    /// Database URL [env: HOCBA_DB]
    #[arg(long)]
    db: Option<String>,
    /// MaTruong of the school
    #[arg(long)]
    school: String,
    /// The seal certificate, PEM or DER (the first certificate in the file)
    #[arg(long)]
    cert: PathBuf,
    /// Who approves (recorded with the approval)
    #[arg(long, default_value = "hocba registry approve-seal")]
    approved_by: String,
}

/// Options of `hocba registry withdraw-seal`.
#[derive(ClapArgs)]
struct WithdrawSealArgs {
    /// Database URL [env: HOCBA_DB]
    #[arg(long)]
    db: Option<String>,
    /// The approval id printed by approve-seal
    #[arg(long)]
    id: i64,
}

/// Options of `hocba registry add-supervisor`.
#[derive(ClapArgs)]
struct AddSupervisorArgs {
    /// Database URL [env: HOCBA_DB]
    #[arg(long)]
    db: Option<String>,
    /// The supervising authority, e.g. "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh"
    #[arg(long)]
    authority: String,
    /// Login name (letters, digits, `.`, `_`, `-`)
    #[arg(long)]
    username: String,
    /// MaTruong of the supervised schools, comma-separated (each already added)
    #[arg(long, value_delimiter = ',', required = true)]
    schools: Vec<String>,
}

/// Options of `hocba registry revocations`.
#[derive(ClapArgs)]
struct RevocationsArgs {
    /// Database URL [env: HOCBA_DB]
    #[arg(long)]
    db: Option<String>,
    /// List every request, decided ones included
    #[arg(long)]
    all: bool,
}

/// Options of `hocba registry approve-revocation` / `reject-revocation`.
#[derive(ClapArgs)]
struct DecideRevocationArgs {
    /// Database URL [env: HOCBA_DB]
    #[arg(long)]
    db: Option<String>,
    /// The request id (from `hocba registry revocations`)
    #[arg(long)]
    id: i64,
    /// Who decides, for the record (the supervising authority's officer)
    #[arg(long)]
    by: String,
    /// The supervisor's comment (required to reject)
    #[arg(long, default_value = "")]
    comment: String,
}

/// Runs `hocba registry …`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let env = |k: &str| std::env::var(k).ok();
    match args.command {
        Some(Command::AddSchool(a)) => {
            let db = db_url(a.db.or_else(|| env("HOCBA_DB")))?;
            let level: domain::Level = a
                .level
                .parse()
                .map_err(|_| anyhow::anyhow!("--level must be TH, THCS, THPT or GDTX"))?;
            let school = registry_server::SchoolEntry {
                code: a.code,
                name: a.name,
                level,
                authority: a.authority,
            };
            block_on(async move {
                let store = open(&db).await?;
                let token = registry_server::add_school(&store, &school, now()?)
                    .await
                    .with_context(|| format!("adding school {}", school.code))?;
                println!(
                    "school {} added; its API token (shown only now):",
                    school.code
                );
                println!("{token}");
                Ok(ExitCode::SUCCESS)
            })
        }
        Some(Command::ApproveSeal(a)) => {
            let db = db_url(a.db.or_else(|| env("HOCBA_DB")))?;
            let cert = std::fs::read(&a.cert)
                .with_context(|| format!("--cert: reading {}", a.cert.display()))?;
            block_on(async move {
                let store = open(&db).await?;
                let done =
                    registry_server::approve_seal(&store, &a.school, &cert, &a.approved_by, now()?)
                        .await
                        .with_context(|| format!("approving the seal of school {}", a.school))?;
                println!(
                    "approval {} for school {}: {}\n  issuer {}\n  SHA-256 {}\n  valid {} .. {} (Unix seconds)",
                    done.id,
                    a.school,
                    done.subject,
                    done.issuer,
                    done.fingerprint,
                    done.not_before,
                    done.not_after
                );
                Ok(ExitCode::SUCCESS)
            })
        }
        Some(Command::WithdrawSeal(a)) => {
            let db = db_url(a.db.or_else(|| env("HOCBA_DB")))?;
            block_on(async move {
                let store = open(&db).await?;
                let at = now()?;
                store
                    .withdraw_seal_approval(a.id, at)
                    .await
                    .with_context(|| format!("withdrawing approval {}", a.id))?;
                println!("approval {} withdrawn at {at} (Unix seconds)", a.id);
                Ok(ExitCode::SUCCESS)
            })
        }
        Some(Command::AddSupervisor(a)) => {
            let db = db_url(a.db.or_else(|| env("HOCBA_DB")))?;
            let schools: Vec<String> = a
                .schools
                .iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
            block_on(async move {
                let store = open(&db).await?;
                let password = registry_server::add_supervisor(
                    &store,
                    &a.username,
                    &a.authority,
                    &schools,
                    now()?,
                )
                .await
                .with_context(|| format!("adding supervisor {}", a.username))?;
                println!(
                    "supervisor {} of {} added for schools {}; first password (shown only now):",
                    a.username,
                    a.authority,
                    schools.join(", ")
                );
                println!("{password}");
                Ok(ExitCode::SUCCESS)
            })
        }
        Some(Command::Revocations(a)) => {
            let db = db_url(a.db.or_else(|| env("HOCBA_DB")))?;
            block_on(async move {
                let store = open(&db).await?;
                let status = (!a.all).then_some(store::RevocationStatus::Pending);
                for r in store
                    .revocations(status)
                    .await
                    .context("listing revocations")?
                {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        r.id,
                        r.status.code(),
                        r.school_code,
                        r.record_id,
                        r.requested_at,
                        r.reason
                    );
                }
                Ok(ExitCode::SUCCESS)
            })
        }
        Some(Command::ApproveRevocation(a)) => decide_revocation(a, true, &env),
        Some(Command::RejectRevocation(a)) => decide_revocation(a, false, &env),
        Some(Command::Stats(a)) => ops::stats(a, &env),
        Some(Command::CheckStore(a)) => ops::check_store(a, &env),
        None => {
            let config = Config::new(args.serve, env)?;
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::INFO)
                .with_target(false)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
                .init();
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            runtime.block_on(serve(config))
        }
    }
}

/// `hocba registry approve-revocation` / `reject-revocation`.
fn decide_revocation(
    a: DecideRevocationArgs,
    approve: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<ExitCode> {
    if a.by.trim().is_empty() {
        anyhow::bail!("--by must name who decides");
    }
    if !approve && a.comment.trim().is_empty() {
        anyhow::bail!("--comment is required to reject a revocation request");
    }
    let db = db_url(a.db.or_else(|| env("HOCBA_DB")))?;
    block_on(async move {
        let store = open(&db).await?;
        let r =
            registry_server::decide_revocation(&store, a.id, approve, &a.by, &a.comment, now()?)
                .await
                .with_context(|| {
                    format!("deciding revocation request {} (is it pending?)", a.id)
                })?;
        println!(
            "revocation request {}: {} — record {} {}",
            r.id,
            r.status.label_vi(),
            r.record_id,
            if approve {
                "is revoked"
            } else {
                "stays current"
            }
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// The checked server configuration.
struct Config {
    db: String,
    listen: SocketAddr,
    key: registry::RegistryKey,
    trust: pki::TrustStore,
    demo: bool,
    /// With `--demo-pki`: each demo school's code and the seal certificates (PEM) to
    /// approve for it: its own only.
    demo_seals: Option<Vec<(String, Vec<Vec<u8>>)>>,
}

impl Config {
    fn new(args: ServeArgs, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Config> {
        let db = db_url(args.db.or_else(|| env("HOCBA_DB")))?;
        let listen_text = args
            .listen
            .or_else(|| env("HOCBA_LISTEN"))
            .unwrap_or_else(|| "127.0.0.1:8090".to_owned());
        let listen: SocketAddr = listen_text.parse().with_context(|| {
            format!("--listen / HOCBA_LISTEN must be IP:PORT, got {listen_text:?}")
        })?;
        let Some(key_path) = args
            .key
            .or_else(|| env("HOCBA_REGISTRY_KEY").map(Into::into))
        else {
            bail!(
                "no receipt key: pass --key PATH (with --generate-key to create it) or set HOCBA_REGISTRY_KEY"
            );
        };
        let key = load_or_generate_key(&key_path, args.generate_key)?;
        let Some(trust_path) = args.trust.or_else(|| env("HOCBA_TRUST").map(Into::into)) else {
            bail!("no trust list: pass --trust ROOTS.pem or set HOCBA_TRUST");
        };
        let pem = std::fs::read(&trust_path)
            .with_context(|| format!("--trust / HOCBA_TRUST: reading {}", trust_path.display()))?;
        let trust = pki::TrustStore::from_pem_bundle(&pem).with_context(|| {
            format!(
                "--trust / HOCBA_TRUST: no usable root in {}",
                trust_path.display()
            )
        })?;
        let demo = args.demo
            || match env("HOCBA_DEMO").as_deref() {
                None | Some("" | "0" | "false") => false,
                Some("1" | "true") => true,
                Some(other) => bail!("HOCBA_DEMO must be 1/true or 0/false, got {other:?}"),
            };
        let demo_seals = match args.demo_pki {
            Some(dir) => {
                let read = |name: String| {
                    let path = dir.join(name);
                    std::fs::read(&path).with_context(|| {
                        format!(
                            "--demo-pki: reading {} (write a fresh demo PKI with `hocba keys demo-pki`)",
                            path.display()
                        )
                    })
                };
                Some(
                    pki::DEMO_SCHOOLS
                        .iter()
                        .map(|school| {
                            let own = read(format!("{}.cert.pem", school.file_stem))?;
                            Ok((school.code.to_owned(), vec![own]))
                        })
                        .collect::<anyhow::Result<Vec<_>>>()?,
                )
            }
            None => None,
        };
        Ok(Config {
            db,
            listen,
            key,
            trust,
            demo,
            demo_seals,
        })
    }
}

/// The schools of the demo data set, as the registry lists them.
fn demo_school_entries() -> Vec<registry_server::SchoolEntry> {
    demo::generate(demo::DEFAULT_SEED)
        .schools
        .into_iter()
        .map(|s| registry_server::SchoolEntry {
            code: s.code,
            name: s.name,
            level: s.level,
            authority: s.supervisor,
        })
        .collect()
}

async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let store = open(&config.db).await?;
    if let Some(seals) = &config.demo_seals {
        let entries = demo_school_entries();
        let schools = entries
            .iter()
            .map(|school| {
                let seal = seals
                    .iter()
                    .find(|(code, _)| *code == school.code)
                    .with_context(|| {
                        format!("--demo-pki: no seal for demo school {}", school.code)
                    })?;
                Ok((school.clone(), seal.1.clone()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let seeded = registry_server::seed_demo(&store, &schools, now()?)
            .await
            .context("seeding the demo schools")?;
        for (code, token) in seeded {
            match token {
                Some(t) => println!("demo school {code}: API token {t}"),
                None => println!("demo school {code}: already present (token unchanged)"),
            }
        }
        let supervisors = registry_server::seed_demo_supervisors(&store, &entries, now()?)
            .await
            .context("seeding the demo supervisors")?;
        for (username, authority) in supervisors {
            println!(
                "demo supervisor {username} ({authority}): password {}, /supervisor/login",
                registry_server::DEMO_SUPERVISOR_PASSWORD
            );
        }
    }
    let public_key = config.key.public_hex();
    let state = registry_server::AppState::new(
        store,
        config.key,
        config.trust,
        registry_server::Config {
            demo: config.demo,
            ..registry_server::Config::default()
        },
    );
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    tracing::info!(
        listen = %config.listen,
        demo = config.demo,
        receipt_key = %public_key,
        "CSDL học bạ số — registry ready at http://{}/verify",
        config.listen
    );
    // With the peer address: the lookup page rate-limits per client.
    axum::serve(
        listener,
        registry_server::router(state)
            .into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await
    .context("serving HTTP")?;
    Ok(ExitCode::SUCCESS)
}

/// Loads the PKCS#8 key at `path`, creating it first (0600) when `generate` and missing.
fn load_or_generate_key(path: &Path, generate: bool) -> anyhow::Result<registry::RegistryKey> {
    if generate && !path.exists() {
        let der = registry::RegistryKey::generate_pkcs8().context("generating the receipt key")?;
        write_private(path, &der)
            .with_context(|| format!("--generate-key: writing {}", path.display()))?;
        eprintln!("wrote a new receipt key to {}", path.display());
    }
    let der = std::fs::read(path).with_context(|| {
        format!(
            "--key / HOCBA_REGISTRY_KEY: reading {} (pass --generate-key to create it)",
            path.display()
        )
    })?;
    registry::RegistryKey::from_pkcs8(&der).with_context(|| {
        format!(
            "--key / HOCBA_REGISTRY_KEY: {} is not an Ed25519 PKCS#8 (DER) key",
            path.display()
        )
    })
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

fn db_url(db: Option<String>) -> anyhow::Result<String> {
    match db {
        Some(db) if db.starts_with("sqlite:") => {
            if !db.contains('?') && !db.contains(":memory:") {
                Ok(format!("{db}?mode=rwc"))
            } else {
                Ok(db)
            }
        }
        Some(db) if db.starts_with("postgres://") || db.starts_with("postgresql://") => Ok(db),
        Some(db) => bail!(
            "--db / HOCBA_DB must be postgres://… or sqlite://PATH, got {:?}",
            db.split("://").next().unwrap_or("")
        ),
        None => bail!("no database: pass --db URL or set HOCBA_DB"),
    }
}

async fn open(url: &str) -> anyhow::Result<Store> {
    Store::open(url).await.context("opening the database")
}

fn block_on(
    f: impl std::future::Future<Output = anyhow::Result<ExitCode>>,
) -> anyhow::Result<ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(f)
}

fn now() -> anyhow::Result<i64> {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("system clock is before 1970")?
        .as_secs();
    i64::try_from(secs).context("system clock out of range")
}

/// `hocba registry stats` and `hocba registry check-store`: the operator's watch and the
/// integrity check after a restore (STORIES #26, docs/operating-registry.md). Both only
/// read the database.
mod ops {
    use std::path::PathBuf;
    use std::process::ExitCode;

    use anyhow::{Context, bail};
    use clap::Args as ClapArgs;
    use serde_json::{Value, json};

    use super::{block_on, db_url, now, open};

    /// Options of `hocba registry stats`.
    #[derive(ClapArgs)]
    pub(super) struct StatsArgs {
        /// Database URL [env: HOCBA_DB]
        #[arg(long)]
        db: Option<String>,
        /// The window: the last N hours (1 to 8784)
        #[arg(long, default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=8784))]
        hours: u32,
        /// Print JSON (keys documented in docs/operating-registry.md) instead of text
        #[arg(long)]
        json: bool,
    }

    /// Options of `hocba registry check-store`.
    #[derive(ClapArgs)]
    #[command(group = clap::ArgGroup::new("registry_key").required(true).args(["key_public", "key"]))]
    pub(super) struct CheckStoreArgs {
        /// Database URL [env: HOCBA_DB]
        #[arg(long)]
        db: Option<String>,
        /// The registry's public receipt key, 64 hex digits (as `GET /api/v1/registry-key`)
        #[arg(long, value_name = "HEX")]
        key_public: Option<String>,
        /// The registry's receipt key file (Ed25519 PKCS#8, DER); only its public half is used
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// Records read per page (keyset pagination; memory stays bounded by one page)
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        page_size: u32,
        /// A progress line on stderr every N records
        #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
        progress_every: u64,
        /// Also re-run the registry's full record check on each record (strict parse,
        /// signature chain, trust at signing time, seal approval, recomputation); slow
        #[arg(long, requires = "trust")]
        full: bool,
        /// With --full: the root CAs (PEM) signers must chain to, as given to the server
        #[arg(long, value_name = "FILE")]
        trust: Option<PathBuf>,
    }

    /// Runs `hocba registry stats`.
    pub(super) fn stats(
        a: StatsArgs,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<ExitCode> {
        let db = db_url(a.db.or_else(|| env("HOCBA_DB")))?;
        block_on(async move {
            let store = open(&db).await?;
            let until = now()?;
            let since = until - i64::from(a.hours) * 3600;
            let stats = store
                .registry_stats(since)
                .await
                .context("reading the registry's counts")?;
            if a.json {
                println!("{:#}", stats_json(&stats, a.hours, since, until));
            } else {
                print!("{}", stats_text(&stats, a.hours, since, until));
            }
            Ok(ExitCode::SUCCESS)
        })
    }

    /// The busiest hour of the window, if any record was stored.
    fn busiest(stats: &store::RegistryStats) -> Option<&store::HourCount> {
        // The earliest of equally busy hours, so the answer is stable.
        stats.hourly.iter().rev().max_by_key(|h| h.stored)
    }

    fn per_second(records: i64) -> f64 {
        // Counts per hour stay far below 2^52: the conversion is exact.
        records as f64 / 3600.0
    }

    /// The JSON document of `stats --json`. Its keys are part of the command's contract
    /// (docs/operating-registry.md); add keys, never rename them.
    fn stats_json(stats: &store::RegistryStats, hours: u32, since: i64, until: i64) -> Value {
        json!({
            "window": { "hours": hours, "since": since, "until": until },
            "stored": {
                "in_window": stats.stored_in_window,
                "total": stats.stored_total,
                "hourly": stats.hourly.iter().map(|h| json!({
                    "hour_start": h.hour_start,
                    "records": h.stored,
                })).collect::<Vec<_>>(),
                "busiest_hour": busiest(stats).map(|h| json!({
                    "hour_start": h.hour_start,
                    "records": h.stored,
                    "per_second": per_second(h.stored),
                })),
            },
            "rejections": {
                "attempts": stats.rejections.iter().map(|r| r.attempts).sum::<i64>(),
                "by_code": stats.rejections.iter().map(|r| json!({
                    "code": r.code,
                    "attempts": r.attempts,
                    "documents": r.documents,
                })).collect::<Vec<_>>(),
            },
            "pending": {
                "certificates": stats.pending_certificates,
                "revocations": stats.pending_revocations,
            },
            "silent_schools": stats.silent_schools,
        })
    }

    fn stats_text(stats: &store::RegistryStats, hours: u32, since: i64, until: i64) -> String {
        use std::fmt::Write as _;
        let iso = school::records::iso_utc;
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "Registry, last {hours} h ({} .. {})",
            iso(since),
            iso(until)
        );
        let _ = writeln!(
            out,
            "Records stored per hour (UTC; empty hours not listed):"
        );
        if stats.hourly.is_empty() {
            let _ = writeln!(out, "  (none)");
        }
        for h in &stats.hourly {
            let _ = writeln!(out, "  {}  {:>8}", iso(h.hour_start), h.stored);
        }
        if let Some(h) = busiest(stats) {
            let _ = writeln!(
                out,
                "Busiest hour: {}, {} records, {:.4} records/s",
                iso(h.hour_start),
                h.stored,
                per_second(h.stored)
            );
        }
        let _ = writeln!(
            out,
            "Stored in the window: {}; stored in all: {}",
            stats.stored_in_window, stats.stored_total
        );
        let _ = writeln!(out, "Rejections by code (posts / distinct documents):");
        if stats.rejections.is_empty() {
            let _ = writeln!(out, "  (none)");
        }
        for r in &stats.rejections {
            let _ = writeln!(out, "  {:<20} {:>6} / {}", r.code, r.attempts, r.documents);
        }
        let _ = writeln!(
            out,
            "Pending certificate approvals: {}",
            stats.pending_certificates
        );
        let _ = writeln!(
            out,
            "Pending revocation requests: {}",
            stats.pending_revocations
        );
        let _ = writeln!(
            out,
            "Schools that sent nothing in the window: {}",
            if stats.silent_schools.is_empty() {
                "(none)".to_owned()
            } else {
                stats.silent_schools.join(", ")
            }
        );
        out
    }

    /// Runs `hocba registry check-store`: `OK: N records` and exit 0, or one `BAD
    /// <record_id>: <why>` line per bad record, a summary and exit 1; errors exit 2.
    pub(super) fn check_store(
        a: CheckStoreArgs,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<ExitCode> {
        let db = db_url(a.db.or_else(|| env("HOCBA_DB")))?;
        let public = match (&a.key_public, &a.key) {
            (Some(hex), _) => {
                let hex = hex.trim().to_ascii_lowercase();
                if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    bail!("--key-public must be 64 hex digits (the registry's Ed25519 public key)");
                }
                hex
            }
            (None, Some(path)) => {
                let der = std::fs::read(path)
                    .with_context(|| format!("--key: reading {}", path.display()))?;
                registry::RegistryKey::from_pkcs8(&der)
                    .with_context(|| {
                        format!(
                            "--key: {} is not an Ed25519 PKCS#8 (DER) key",
                            path.display()
                        )
                    })?
                    .public_hex()
            }
            (None, None) => bail!("pass --key-public HEX or --key FILE"),
        };
        let trust =
            match &a.trust {
                Some(path) if a.full => {
                    let pem = std::fs::read(path)
                        .with_context(|| format!("--trust: reading {}", path.display()))?;
                    Some(pki::TrustStore::from_pem_bundle(&pem).with_context(|| {
                        format!("--trust: no usable root in {}", path.display())
                    })?)
                }
                _ => None,
            };
        block_on(async move {
            let store = open(&db).await?;
            let full = match trust {
                Some(trust) => Some((trust, approvals(&store).await?)),
                None => None,
            };
            let mut after: Option<(String, String)> = None;
            let (mut checked, mut bad) = (0u64, 0u64);
            loop {
                let page = store
                    .registry_records_page(
                        after.as_ref().map(|(s, r)| (s.as_str(), r.as_str())),
                        a.page_size,
                    )
                    .await
                    .context("reading the stored records")?;
                let Some(last) = page.last() else { break };
                after = Some((last.student_code.clone(), last.record_id.clone()));
                for row in &page {
                    let mut problems = problems(row, &public);
                    if let Some((trust, approvals)) = &full {
                        problems.extend(record_check(row, trust, approvals));
                    }
                    if !problems.is_empty() {
                        bad += 1;
                        println!("BAD {}: {}", row.record_id, problems.join("; "));
                    }
                    checked += 1;
                    if checked % a.progress_every == 0 {
                        eprintln!("checked {checked} records, {bad} bad so far");
                    }
                }
            }
            if bad == 0 {
                println!("OK: {checked} records");
                Ok(ExitCode::SUCCESS)
            } else {
                println!("BAD: {bad} of {checked} records failed the check");
                Ok(ExitCode::from(1))
            }
        })
    }

    /// Every seal approval of every school, withdrawn ones with their end: what ingest
    /// consulted, so that a record accepted then is accepted again.
    async fn approvals(store: &store::Store) -> anyhow::Result<registry::ApprovedSeals> {
        let mut approvals = registry::ApprovedSeals::new();
        for school in store
            .list_registry_schools()
            .await
            .context("reading the schools")?
        {
            for a in store
                .seal_approvals(&school.code)
                .await
                .context("reading the seal approvals")?
            {
                approvals.approve(
                    &school.code,
                    &a.fingerprint,
                    a.approved_from,
                    a.approved_until,
                );
            }
        }
        Ok(approvals)
    }

    /// What `registry::check_record` says about the stored XML now (`--full`).
    fn record_check(
        row: &store::StoredRegistryRow,
        trust: &pki::TrustStore,
        approvals: &registry::ApprovedSeals,
    ) -> Option<String> {
        match registry::check_record(row.xml.as_bytes(), trust, approvals) {
            Err(rejection) => Some(format!("record check [{}]: {rejection}", rejection.code())),
            Ok(accepted) if accepted.record_id.to_string() != row.record_id => Some(format!(
                "the XML is record {}, the row says {}",
                accepted.record_id, row.record_id
            )),
            Ok(_) => None,
        }
    }

    /// Everything wrong with one stored row; empty when it is intact.
    fn problems(row: &store::StoredRegistryRow, public_hex: &str) -> Vec<String> {
        let mut out = Vec::new();
        let actual = hex::encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            row.xml.as_bytes(),
        ));
        if actual != row.digest {
            out.push(format!(
                "SHA-256 of the stored XML is {actual}, the stored digest is {}",
                row.digest
            ));
        }
        match registry::verify_receipt(&row.receipt, public_hex) {
            Err(e) => out.push(format!("receipt: {e}")),
            Ok(r) => {
                if r.digest != row.digest {
                    out.push(format!(
                        "receipt names digest {}, the row has {}",
                        r.digest, row.digest
                    ));
                }
                if r.record_id != row.record_id {
                    out.push(format!("receipt names record {}", r.record_id));
                }
                if i64::from(r.version) != row.version {
                    out.push(format!(
                        "receipt names version {}, the row has {}",
                        r.version, row.version
                    ));
                }
            }
        }
        match (
            row.status.as_str(),
            row.revoked_at,
            row.revoked_reason.as_deref(),
        ) {
            ("current", None, None) => {}
            ("current", _, _) => out.push("current record with revocation fields".to_owned()),
            ("revoked", Some(_), Some(reason)) if !reason.trim().is_empty() => {}
            ("revoked", _, _) => {
                out.push("revoked record without a revocation time and reason".to_owned())
            }
            (other, _, _) => out.push(format!("unknown status {other:?}")),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(db: Option<&str>) -> ServeArgs {
        ServeArgs {
            db: db.map(str::to_owned),
            listen: None,
            key: None,
            generate_key: false,
            trust: None,
            demo: false,
            demo_pki: None,
        }
    }

    #[test]
    fn configuration_fails_fast_and_names_the_key() {
        let none = |_: &str| None;
        let e = Config::new(args(None), none).err().unwrap();
        assert!(e.to_string().contains("HOCBA_DB"), "{e}");
        let e = Config::new(args(Some("mysql://x")), none).err().unwrap();
        assert!(e.to_string().contains("--db"), "{e}");
        let e = Config::new(args(Some("sqlite://a.db")), none)
            .err()
            .unwrap();
        assert!(e.to_string().contains("--key"), "{e}");

        let dir = tempfile::tempdir().unwrap();
        let mut a = args(Some("sqlite://a.db"));
        a.key = Some(dir.path().join("registry.pk8"));
        let e = Config::new(a, none).err().unwrap();
        assert!(format!("{e:#}").contains("--generate-key"), "{e:#}");

        // --generate-key writes a key once, then reuses it; the trust list is required.
        let mut a = args(Some("sqlite://a.db"));
        a.key = Some(dir.path().join("registry.pk8"));
        a.generate_key = true;
        let e = Config::new(a, none).err().unwrap();
        assert!(e.to_string().contains("--trust"), "{e}");
        let first = std::fs::read(dir.path().join("registry.pk8")).unwrap();
        let pki = pki::demo_pki(1_780_000_000).unwrap();
        std::fs::write(dir.path().join("root.pem"), pki.root_pem()).unwrap();
        let mut a = args(Some("sqlite://a.db"));
        a.key = Some(dir.path().join("registry.pk8"));
        a.generate_key = true;
        a.trust = Some(dir.path().join("root.pem"));
        let c = Config::new(a, none).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("registry.pk8")).unwrap(),
            first
        );
        assert_eq!(c.listen.port(), 8090);
        assert_eq!(c.db, "sqlite://a.db?mode=rwc");
        let key = registry::RegistryKey::from_pkcs8(&first).unwrap();
        assert_eq!(c.key.public_hex(), key.public_hex());
    }

    #[test]
    fn demo_pki_gives_each_demo_school_its_own_seal() {
        // The demo PKI names exactly the schools of the demo data set.
        let entries = demo_school_entries();
        let listed: Vec<(&str, &str)> =
            pki::DEMO_SCHOOLS.iter().map(|s| (s.code, s.name)).collect();
        let seeded: Vec<(&str, &str)> = entries
            .iter()
            .map(|s| (s.code.as_str(), s.name.as_str()))
            .collect();
        assert_eq!(listed, seeded);

        let dir = tempfile::tempdir().unwrap();
        let pki = pki::demo_pki(1_780_000_000).unwrap();
        std::fs::write(dir.path().join("root.pem"), pki.root_pem()).unwrap();
        let key = dir.path().join("registry.pk8");
        let demo_args = || {
            let mut a = args(Some("sqlite://a.db"));
            a.key = Some(key.clone());
            a.generate_key = true;
            a.trust = Some(dir.path().join("root.pem"));
            a.demo = true;
            a.demo_pki = Some(dir.path().to_owned());
            a
        };
        // A demo PKI of before the per-school seals: the missing file is named.
        let files = pki.files().unwrap();
        for f in files.iter().filter(|f| !f.name.starts_with("seal-")) {
            std::fs::write(dir.path().join(&f.name), &f.contents).unwrap();
        }
        let e = Config::new(demo_args(), |_| None).err().unwrap();
        assert!(format!("{e:#}").contains("seal-79000101.cert.pem"), "{e:#}");

        for f in &files {
            std::fs::write(dir.path().join(&f.name), &f.contents).unwrap();
        }
        let c = Config::new(demo_args(), |_| None).unwrap();
        let seals = c.demo_seals.unwrap();
        assert_eq!(seals.len(), 4);
        for (code, pems) in seals {
            let own = pki::pem::encode("CERTIFICATE", &pki.school_seal(&code).unwrap().cert_der);
            assert_eq!(pems, [own.into_bytes()], "{code}");
        }
    }
}
