//! `hocba serve`: the school server (server-rendered Vietnamese pages, see the `school`
//! crate).
//!
//! Configuration, each key documented once; a flag wins over its environment variable:
//!
//! | flag | environment | default | meaning |
//! |---|---|---|---|
//! | `--db URL` | `HOCBA_DB` | — (required) | `sqlite://PATH` (created if missing) or `postgres://…` |
//! | `--listen ADDR` | `HOCBA_LISTEN` | `127.0.0.1:8080` | socket address to listen on |
//! | `--demo` | `HOCBA_DEMO=1` | off | demo mode: banner, demo password accepted as is |
//! | `--secure-cookies` | `HOCBA_SECURE_COOKIES=1` | off | `Secure` cookies (behind HTTPS) |
//!
//! Everything is checked before the database is opened; a bad value stops start-up with
//! a message naming the key.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::Args as ClapArgs;

/// Options of `hocba serve`.
#[derive(ClapArgs)]
pub struct Args {
    /// Database URL: `sqlite://PATH` (created if missing) or `postgres://…` [env: HOCBA_DB]
    #[arg(long)]
    db: Option<String>,
    /// Address to listen on [env: HOCBA_LISTEN] [default: 127.0.0.1:8080]
    #[arg(long)]
    listen: Option<String>,
    /// Demo mode: every page says so and the demo password needs no change [env: HOCBA_DEMO=1]
    #[arg(long)]
    demo: bool,
    /// Send cookies with `Secure` (when users reach the server over HTTPS) [env: HOCBA_SECURE_COOKIES=1]
    #[arg(long)]
    secure_cookies: bool,
}

/// The checked configuration.
#[derive(Debug)]
struct Config {
    db: String,
    listen: SocketAddr,
    school: school::Config,
}

impl Config {
    /// Merges flags and environment (`env` looks a variable up) and checks every value.
    fn new(args: Args, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Config> {
        let db = match args.db.or_else(|| env("HOCBA_DB")) {
            Some(db) if db.starts_with("sqlite:") => sqlite_url(&db),
            Some(db) if db.starts_with("postgres://") || db.starts_with("postgresql://") => db,
            Some(db) => bail!(
                "--db / HOCBA_DB must be sqlite://PATH or postgres://…, got {:?}",
                db.split("://").next().unwrap_or("")
            ),
            None => bail!("no database: pass --db URL or set HOCBA_DB"),
        };
        let listen_text = args
            .listen
            .or_else(|| env("HOCBA_LISTEN"))
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let listen: SocketAddr = listen_text.parse().with_context(|| {
            format!(
                "--listen / HOCBA_LISTEN must be IP:PORT (e.g. 127.0.0.1:8080), got {listen_text:?}"
            )
        })?;
        let flag = |name: &str, given: bool| -> anyhow::Result<bool> {
            if given {
                return Ok(true);
            }
            match env(name).as_deref() {
                None | Some("" | "0" | "false") => Ok(false),
                Some("1" | "true") => Ok(true),
                Some(other) => bail!("{name} must be 1/true or 0/false, got {other:?}"),
            }
        };
        let school = school::Config {
            demo: flag("HOCBA_DEMO", args.demo)?,
            secure_cookies: flag("HOCBA_SECURE_COOKIES", args.secure_cookies)?,
            ..school::Config::default()
        };
        Ok(Config { db, listen, school })
    }
}

/// Runs the server until the process is stopped.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::new(args, |k| std::env::var(k).ok())?;
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

async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let store = store::Store::open(&config.db)
        .await
        .context("opening the database")?;
    let demo = config.school.demo;
    let state = school::AppState::new(store.clone(), config.school)
        .map_err(|e| anyhow::anyhow!("preparing the server: {e}"))?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    tokio::spawn(sweep_sessions(store));
    tracing::info!(
        listen = %config.listen,
        demo,
        "Học bạ số — school server ready at http://{}/",
        config.listen
    );
    axum::serve(
        listener,
        school::router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
    .context("serving HTTP")?;
    Ok(ExitCode::SUCCESS)
}

/// Deletes expired sessions once an hour.
async fn sweep_sessions(store: store::Store) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        match store.delete_expired_sessions(now).await {
            Ok(n) if n > 0 => tracing::info!(deleted = n, "expired sessions removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
        }
    }
}

/// `sqlite://PATH` gets `?mode=rwc` so that a missing file is created.
fn sqlite_url(url: &str) -> String {
    if !url.contains('?') && !url.contains(":memory:") {
        format!("{url}?mode=rwc")
    } else {
        url.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(db: Option<&str>, listen: Option<&str>) -> Args {
        Args {
            db: db.map(str::to_owned),
            listen: listen.map(str::to_owned),
            demo: false,
            secure_cookies: false,
        }
    }

    #[test]
    fn configuration_fails_fast_and_names_the_key() {
        let none = |_: &str| None;
        let e = Config::new(args(None, None), none).unwrap_err();
        assert!(e.to_string().contains("HOCBA_DB"), "{e}");
        let e = Config::new(args(Some("mysql://x"), None), none).unwrap_err();
        assert!(e.to_string().contains("--db"), "{e}");
        let e = Config::new(args(Some("sqlite://a.db"), Some("localhost")), none).unwrap_err();
        assert!(e.to_string().contains("--listen"), "{e}");
        let bad_flag = |k: &str| (k == "HOCBA_DEMO").then(|| "yes".to_owned());
        let e = Config::new(args(Some("sqlite://a.db"), None), bad_flag).unwrap_err();
        assert!(e.to_string().contains("HOCBA_DEMO"), "{e}");
    }

    #[test]
    fn flags_win_over_environment_and_defaults_apply() {
        let env = |k: &str| match k {
            "HOCBA_DB" => Some("postgres://u@h/db".to_owned()),
            "HOCBA_DEMO" => Some("1".to_owned()),
            _ => None,
        };
        let c = Config::new(args(None, None), env).unwrap();
        assert_eq!(c.db, "postgres://u@h/db");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert!(c.school.demo && !c.school.secure_cookies);
        let c = Config::new(args(Some("sqlite://x.db"), Some("0.0.0.0:9000")), env).unwrap();
        assert_eq!(c.db, "sqlite://x.db?mode=rwc");
        assert_eq!(c.listen.port(), 9000);
    }
}
