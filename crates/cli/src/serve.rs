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
//! | `--trust PATH` | `HOCBA_TRUST` | none: signing refused | PEM bundle of root CAs every signer's certificate must chain to |
//! | `--seal-p12 PATH` | `HOCBA_SEAL_P12` | none: "Đóng dấu số" refused | PKCS#12 file of the school seal |
//! | `--seal-password-env VAR` | `HOCBA_SEAL_PASSWORD_ENV` | `HOCBA_SEAL_PASSWORD` | the environment variable holding the seal file's password |
//! | `--seal-pkcs11-module PATH` | `HOCBA_SEAL_PKCS11_MODULE` | none | instead of `--seal-p12`: the seal key is on a PKCS#11 token (module `.so`) |
//! | `--seal-pkcs11-token LABEL` | `HOCBA_SEAL_PKCS11_TOKEN` | first token | its token label |
//! | `--seal-pkcs11-key LABEL` | `HOCBA_SEAL_PKCS11_KEY` | — (required with a module) | the private key's `CKA_LABEL` |
//! | `--seal-pkcs11-pin-env VAR` | `HOCBA_SEAL_PKCS11_PIN_ENV` | `HOCBA_SEAL_PIN` | the environment variable holding the user PIN |
//! | `--seal-chain PATH` | `HOCBA_SEAL_CHAIN` | — (required with a module) | the seal certificate then its issuers (PEM or DER) |
//! | `--school-seal-p12 CODE=PATH` (repeatable) | `HOCBA_SCHOOL_SEAL_P12` (`CODE=PATH,CODE=PATH`) | none: every school seals with the seal above | per school code, the PKCS#12 file of that school's own seal (several schools on one installation); per-school seals are PKCS#12 only today |
//! | `--school-seal-password-env CODE=VAR` (repeatable) | `HOCBA_SCHOOL_SEAL_PASSWORD_ENV` (`CODE=VAR,CODE=VAR`) | the variable of `--seal-password-env` | per school code, the environment variable holding that school's seal file password |
//! | `--registry-url URL` | `HOCBA_REGISTRY_URL` | none: sealed records wait in the outbox | the national registry (`http://host[:port][/prefix]`); starts the background sender |
//! | `--registry-token-env VAR` | `HOCBA_REGISTRY_TOKEN_ENV` | `HOCBA_REGISTRY_TOKEN` | the environment variable holding the school's bearer token (required with a URL) |
//! | `--registry-school-token CODE=VAR` (repeatable) | `HOCBA_REGISTRY_SCHOOL_TOKENS` (`CODE=VAR,CODE=VAR`) | none | per school code, the environment variable holding that school's token; a school's token set on "Kết nối CSDL" wins, the default token comes last |
//! | `--registry-key HEX` | `HOCBA_REGISTRY_KEY` | — (required with a URL) | the registry's Ed25519 public key: receipts signed by another key are refused |
//! | `--registry-retry-secs N` | `HOCBA_REGISTRY_RETRY_SECS` | `5` | first delay after a failed send; doubles with each attempt, up to 1 h |
//! | `--verify-url URL` | `HOCBA_VERIFY_URL` | `{registry url}/verify`, else the demo registry's | the public verify page printed and QR-encoded on paper copies (`?code=<record id>` is appended) |
//! | `--registry-lease-secs N` | `HOCBA_REGISTRY_LEASE_SECS` | `300` | how long a send holds its outbox entry: after a crash mid-send those entries are sent again once it ends (the registry is idempotent, so a shorter lease costs at most a duplicate request) |
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
    /// Root CA certificates (PEM) that signers must chain to [env: HOCBA_TRUST]
    #[arg(long)]
    trust: Option<std::path::PathBuf>,
    /// PKCS#12 file of the school seal ("Đóng dấu số") [env: HOCBA_SEAL_P12]
    #[arg(long)]
    seal_p12: Option<std::path::PathBuf>,
    /// Name of the environment variable holding the seal file's password
    /// [env: HOCBA_SEAL_PASSWORD_ENV] [default: HOCBA_SEAL_PASSWORD]
    #[arg(long)]
    seal_password_env: Option<String>,
    /// PKCS#11 module of the token holding the seal key (instead of --seal-p12)
    /// [env: HOCBA_SEAL_PKCS11_MODULE]
    #[arg(long, conflicts_with = "seal_p12")]
    seal_pkcs11_module: Option<std::path::PathBuf>,
    /// Label of the token [env: HOCBA_SEAL_PKCS11_TOKEN] [default: the first token]
    #[arg(long)]
    seal_pkcs11_token: Option<String>,
    /// CKA_LABEL of the seal's private key [env: HOCBA_SEAL_PKCS11_KEY]
    #[arg(long)]
    seal_pkcs11_key: Option<String>,
    /// Name of the environment variable holding the token's user PIN
    /// [env: HOCBA_SEAL_PKCS11_PIN_ENV] [default: HOCBA_SEAL_PIN]
    #[arg(long)]
    seal_pkcs11_pin_env: Option<String>,
    /// The seal certificate followed by its issuers, PEM or DER [env: HOCBA_SEAL_CHAIN]
    #[arg(long)]
    seal_chain: Option<std::path::PathBuf>,
    /// `CODE=PATH`: the school with code CODE seals with its own PKCS#12 file PATH instead
    /// of --seal-p12 (repeatable) [env: HOCBA_SCHOOL_SEAL_P12=CODE=PATH,CODE=PATH]
    #[arg(long = "school-seal-p12", value_name = "CODE=PATH")]
    school_seal_p12: Vec<String>,
    /// `CODE=VAR`: the password of that school's seal file is in the environment variable
    /// VAR (repeatable) [env: HOCBA_SCHOOL_SEAL_PASSWORD_ENV=CODE=VAR,CODE=VAR]
    /// [default: the variable of --seal-password-env]
    #[arg(long = "school-seal-password-env", value_name = "CODE=VAR")]
    school_seal_password_env: Vec<String>,
    /// The national registry to send sealed records to, `http://host[:port][/prefix]`
    /// [env: HOCBA_REGISTRY_URL]
    #[arg(long)]
    registry_url: Option<String>,
    /// Name of the environment variable holding the default registry token, used by
    /// every school without its own ("Kết nối CSDL") [env: HOCBA_REGISTRY_TOKEN_ENV]
    /// [default: HOCBA_REGISTRY_TOKEN, optional]
    #[arg(long)]
    registry_token_env: Option<String>,
    /// `CODE=VAR`: the school with code CODE sends with the token held in the environment
    /// variable VAR (repeatable; its own token from "Kết nối CSDL" wins)
    /// [env: HOCBA_REGISTRY_SCHOOL_TOKENS=CODE=VAR,CODE=VAR]
    #[arg(long = "registry-school-token", value_name = "CODE=VAR")]
    registry_school_token: Vec<String>,
    /// The registry's public key (64 hex digits) that every receipt must be signed with
    /// [env: HOCBA_REGISTRY_KEY]
    #[arg(long)]
    registry_key: Option<String>,
    /// First delay in seconds after a failed send, doubling per attempt up to 1 h
    /// [env: HOCBA_REGISTRY_RETRY_SECS] [default: 5]
    #[arg(long)]
    registry_retry_secs: Option<i64>,
    /// Seconds a send holds its outbox entry before another attempt may take it
    /// (after a crash) [env: HOCBA_REGISTRY_LEASE_SECS] [default: 300]
    #[arg(long)]
    registry_lease_secs: Option<i64>,
    /// The public verify page printed and QR-encoded on paper copies [env:
    /// HOCBA_VERIFY_URL] [default: {registry url}/verify]
    #[arg(long)]
    verify_url: Option<String>,
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
        let trust_roots_pem = match args.trust.or_else(|| env("HOCBA_TRUST").map(Into::into)) {
            Some(path) => {
                let pem = std::fs::read(&path).with_context(|| {
                    format!("--trust / HOCBA_TRUST: reading {}", path.display())
                })?;
                pki::TrustStore::from_pem_bundle(&pem).with_context(|| {
                    format!(
                        "--trust / HOCBA_TRUST: no usable root in {}",
                        path.display()
                    )
                })?;
                Some(pem)
            }
            None => None,
        };
        let seal_password_var = args
            .seal_password_env
            .or_else(|| env("HOCBA_SEAL_PASSWORD_ENV"))
            .unwrap_or_else(|| "HOCBA_SEAL_PASSWORD".to_owned());
        let seals = school_seals(
            args.school_seal_p12,
            args.school_seal_password_env,
            &seal_password_var,
            &env,
        )?;
        let seal = match args
            .seal_p12
            .or_else(|| env("HOCBA_SEAL_P12").map(Into::into))
        {
            Some(path) => {
                let var = seal_password_var;
                let p12 = std::fs::read(&path).with_context(|| {
                    format!("--seal-p12 / HOCBA_SEAL_P12: reading {}", path.display())
                })?;
                let Some(password) = env(&var) else {
                    bail!(
                        "--seal-p12 needs the seal file's password in the environment variable {var}"
                    );
                };
                let key = school::SealKey::Pkcs12 { p12, password };
                key.open().with_context(|| {
                    format!(
                        "--seal-p12 / HOCBA_SEAL_P12: cannot open {} with the password in {var}",
                        path.display()
                    )
                })?;
                Some(key)
            }
            None => match args
                .seal_pkcs11_module
                .or_else(|| env("HOCBA_SEAL_PKCS11_MODULE").map(Into::into))
            {
                Some(module) => Some(pkcs11_seal(
                    module,
                    args.seal_pkcs11_token
                        .or_else(|| env("HOCBA_SEAL_PKCS11_TOKEN")),
                    args.seal_pkcs11_key
                        .or_else(|| env("HOCBA_SEAL_PKCS11_KEY")),
                    args.seal_pkcs11_pin_env
                        .or_else(|| env("HOCBA_SEAL_PKCS11_PIN_ENV"))
                        .unwrap_or_else(|| "HOCBA_SEAL_PIN".to_owned()),
                    args.seal_chain
                        .or_else(|| env("HOCBA_SEAL_CHAIN").map(Into::into)),
                    &env,
                )?),
                None => None,
            },
        };
        let school_tokens = school_tokens(args.registry_school_token, &env)?;
        let registry = match args.registry_url.or_else(|| env("HOCBA_REGISTRY_URL")) {
            Some(url) => {
                // A named variable must hold a token; without one, the default variable is
                // optional: schools then sync with their own tokens ("Kết nối CSDL").
                let named = args
                    .registry_token_env
                    .or_else(|| env("HOCBA_REGISTRY_TOKEN_ENV"));
                let token = match named {
                    Some(var) => match env(&var) {
                        Some(token) => Some(token),
                        None => bail!(
                            "--registry-token-env names {var}, but that environment variable is not set"
                        ),
                    },
                    None => env("HOCBA_REGISTRY_TOKEN"),
                };
                let Some(key) = args.registry_key.or_else(|| env("HOCBA_REGISTRY_KEY")) else {
                    bail!(
                        "--registry-url needs --registry-key / HOCBA_REGISTRY_KEY (the registry's public key, 64 hex digits)"
                    );
                };
                school::sync::check_key_hex(&key)
                    .map_err(|e| anyhow::anyhow!("--registry-key / HOCBA_REGISTRY_KEY: {e}"))?;
                match &token {
                    Some(token) => school::sync::HttpTransport::new(&url, token),
                    None => school::sync::HttpTransport::without_token(&url),
                }
                .map_err(|e| {
                    anyhow::anyhow!("--registry-url / HOCBA_REGISTRY_URL (or its token): {e}")
                })?;
                let secs = |given: Option<i64>, var: &str, default: i64| -> anyhow::Result<i64> {
                    let value = match given {
                        Some(v) => v,
                        None => match env(var) {
                            Some(text) => text.parse().with_context(|| {
                                format!("{var} must be a whole number of seconds, got {text:?}")
                            })?,
                            None => default,
                        },
                    };
                    if value < 1 {
                        bail!("{var} (or its flag) must be at least 1 second, got {value}");
                    }
                    Ok(value)
                };
                let backoff = school::sync::Backoff {
                    base_secs: secs(args.registry_retry_secs, "HOCBA_REGISTRY_RETRY_SECS", 5)?,
                    ..school::sync::Backoff::default()
                };
                let lease_secs = secs(args.registry_lease_secs, "HOCBA_REGISTRY_LEASE_SECS", 300)?;
                Some(school::sync::RegistryConfig {
                    url,
                    token,
                    school_tokens,
                    public_key_hex: key.to_ascii_lowercase(),
                    backoff,
                    lease_secs,
                })
            }
            None if !school_tokens.is_empty() => bail!(
                "--registry-school-token / HOCBA_REGISTRY_SCHOOL_TOKENS needs --registry-url / HOCBA_REGISTRY_URL"
            ),
            None => None,
        };
        let school = school::Config {
            registry,
            demo: flag("HOCBA_DEMO", args.demo)?,
            secure_cookies: flag("HOCBA_SECURE_COOKIES", args.secure_cookies)?,
            trust_roots_pem,
            seal,
            seals,
            verify_url: verify_url(args.verify_url.or_else(|| env("HOCBA_VERIFY_URL")))?,
            ..school::Config::default()
        };
        Ok(Config { db, listen, school })
    }
}

/// `--registry-school-token CODE=VAR` (repeated), else `HOCBA_REGISTRY_SCHOOL_TOKENS`
/// (`CODE=VAR,CODE=VAR`): each school code with the token read from its variable. A pair
/// without `=`, an empty code or variable, a code given twice, an unset variable or an
/// unusable token stops start-up with a message naming the flag.
fn school_tokens(
    flags: Vec<String>,
    env: &impl Fn(&str) -> Option<String>,
) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    const KEY: &str = "--registry-school-token / HOCBA_REGISTRY_SCHOOL_TOKENS";
    let mut tokens = std::collections::BTreeMap::new();
    for (code, var) in code_pairs(KEY, "VAR", flags, env("HOCBA_REGISTRY_SCHOOL_TOKENS"))? {
        let Some(token) = env(&var) else {
            bail!("{KEY}: {code}={var}, but the environment variable {var} is not set");
        };
        school::sync::check_token(&token).map_err(|e| anyhow::anyhow!("{KEY}: {var}: {e}"))?;
        tokens.insert(code, token);
    }
    Ok(tokens)
}

/// `CODE=VALUE` pairs of a repeatable flag, else of its environment list
/// (`CODE=VALUE,CODE=VALUE`), split and checked: a pair without `=`, a code that is not
/// letters and digits, an empty value or a code given twice stops start-up naming `key`.
fn code_pairs(
    key: &str,
    what: &str,
    flags: Vec<String>,
    list: Option<String>,
) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    let pairs = if flags.is_empty() {
        list.map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
    } else {
        flags
    };
    let mut out = std::collections::BTreeMap::new();
    for pair in pairs {
        let Some((code, value)) = pair.split_once('=') else {
            bail!("{key}: expected CODE={what}, got {pair:?}");
        };
        let (code, value) = (code.trim(), value.trim());
        if code.is_empty() || !code.bytes().all(|b| b.is_ascii_alphanumeric()) || value.is_empty() {
            bail!("{key}: expected CODE={what} with a school code, got {pair:?}");
        }
        if out.insert(code.to_owned(), value.to_owned()).is_some() {
            bail!("{key}: the school code {code} is given twice");
        }
    }
    Ok(out)
}

/// `--school-seal-p12 CODE=PATH` (repeated), else `HOCBA_SCHOOL_SEAL_P12`: each school
/// code with its own seal key, the password read from the variable named by
/// `--school-seal-password-env CODE=VAR` (else `HOCBA_SCHOOL_SEAL_PASSWORD_ENV`) for that
/// code, else from `default_var` (the variable of `--seal-password-env`). Each file is
/// opened once here; a bad pair, a code given twice, a password variable for a code
/// without a file, a missing file, an unset variable or a wrong password stops start-up
/// with a message naming the flag.
fn school_seals(
    p12_flags: Vec<String>,
    password_flags: Vec<String>,
    default_var: &str,
    env: &impl Fn(&str) -> Option<String>,
) -> anyhow::Result<std::collections::BTreeMap<String, school::SealKey>> {
    const KEY: &str = "--school-seal-p12 / HOCBA_SCHOOL_SEAL_P12";
    const PW_KEY: &str = "--school-seal-password-env / HOCBA_SCHOOL_SEAL_PASSWORD_ENV";
    let files = code_pairs(KEY, "PATH", p12_flags, env("HOCBA_SCHOOL_SEAL_P12"))?;
    let vars = code_pairs(
        PW_KEY,
        "VAR",
        password_flags,
        env("HOCBA_SCHOOL_SEAL_PASSWORD_ENV"),
    )?;
    if let Some(code) = vars.keys().find(|c| !files.contains_key(*c)) {
        bail!("{PW_KEY}: the school code {code} has no seal file in {KEY}");
    }
    let mut seals = std::collections::BTreeMap::new();
    for (code, path) in files {
        let p12 = std::fs::read(&path).with_context(|| format!("{KEY}: {code}: reading {path}"))?;
        let var = vars.get(&code).map_or(default_var, String::as_str);
        let Some(password) = env(var) else {
            bail!(
                "{KEY}: {code}={path} needs the seal file's password in the environment variable {var}"
            );
        };
        let key = school::SealKey::Pkcs12 { p12, password };
        key.open().with_context(|| {
            format!("{KEY}: {code}: cannot open {path} with the password in {var}")
        })?;
        seals.insert(code, key);
    }
    Ok(seals)
}

/// `--verify-url`: an absolute `http(s)://` URL without a query, so `?code=` can follow.
fn verify_url(value: Option<String>) -> anyhow::Result<Option<String>> {
    let Some(url) = value else { return Ok(None) };
    let url = url.trim().trim_end_matches('/').to_owned();
    let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
    if !scheme_ok || url.contains(['?', '#', ' ']) {
        anyhow::bail!(
            "--verify-url / HOCBA_VERIFY_URL must be an http(s) URL without query, e.g. https://hocba.example.vn/verify"
        );
    }
    Ok(Some(url))
}

/// The seal key on a PKCS#11 token, opened once to fail fast.
fn pkcs11_seal(
    module: std::path::PathBuf,
    token_label: Option<String>,
    key_label: Option<String>,
    pin_var: String,
    chain: Option<std::path::PathBuf>,
    env: &impl Fn(&str) -> Option<String>,
) -> anyhow::Result<school::SealKey> {
    let Some(key_label) = key_label else {
        bail!("--seal-pkcs11-module needs --seal-pkcs11-key / HOCBA_SEAL_PKCS11_KEY");
    };
    let Some(chain) = chain else {
        bail!("--seal-pkcs11-module needs --seal-chain / HOCBA_SEAL_CHAIN");
    };
    let Some(pin) = env(&pin_var) else {
        bail!(
            "--seal-pkcs11-module needs the token's user PIN in the environment variable {pin_var}"
        );
    };
    let bytes = std::fs::read(&chain)
        .with_context(|| format!("--seal-chain: reading {}", chain.display()))?;
    let chain_der = xmldsig::certificates_from_pem_or_der(&bytes)
        .with_context(|| format!("--seal-chain: certificates in {}", chain.display()))?;
    let key = school::SealKey::Pkcs11 {
        config: pki::Pkcs11Config {
            module,
            token_label,
            pin,
            key_label,
        },
        chain_der,
    };
    key.open()
        .context("--seal-pkcs11-module: cannot open the seal key on the token")?;
    Ok(key)
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
    for code in config.school.seals.keys() {
        // A typo in a school code would leave that school on the default seal: say so.
        if store.school_by_code(code).await?.is_none() {
            tracing::warn!(
                school = %code,
                "--school-seal-p12 names a school code this database does not have (yet)"
            );
        }
    }
    if let Some(registry) = &config.school.registry {
        school::sync::spawn_sender(store.clone(), registry)
            .map_err(|e| anyhow::anyhow!("starting the registry sender: {e}"))?;
        tracing::info!(registry = %registry.url, "sending sealed records to the registry");
    }
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
            trust: None,
            seal_p12: None,
            seal_password_env: None,
            seal_pkcs11_module: None,
            seal_pkcs11_token: None,
            seal_pkcs11_key: None,
            seal_pkcs11_pin_env: None,
            seal_chain: None,
            school_seal_p12: Vec::new(),
            school_seal_password_env: Vec::new(),
            registry_url: None,
            registry_token_env: None,
            registry_school_token: Vec::new(),
            registry_key: None,
            registry_retry_secs: None,
            registry_lease_secs: None,
            verify_url: None,
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
    fn trust_roots_and_the_seal_key_are_checked_at_start_up() {
        let pki = pki::demo_pki(1_780_000_000).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root.pem");
        let seal = dir.path().join("seal.p12");
        std::fs::write(&root, pki.root_pem()).unwrap();
        std::fs::write(&seal, pki.pkcs12(&pki.seal).unwrap()).unwrap();
        let with = |password: Option<&'static str>| {
            let mut a = args(Some("sqlite://a.db"), None);
            a.trust = Some(root.clone());
            a.seal_p12 = Some(seal.clone());
            a.seal_password_env = Some("SEAL_PW".to_owned());
            Config::new(a, move |k: &str| {
                (k == "SEAL_PW")
                    .then(|| password.map(str::to_owned))
                    .flatten()
            })
        };
        let c = with(Some(pki::DEMO_P12_PASSWORD)).unwrap();
        assert!(c.school.trust_roots_pem.is_some() && c.school.seal.is_some());
        let e = with(Some("wrong")).unwrap_err();
        assert!(format!("{e:#}").contains("wrong PKCS#12 password"), "{e:#}");
        let e = with(None).unwrap_err();
        assert!(e.to_string().contains("SEAL_PW"), "{e}");
        let mut a = args(Some("sqlite://a.db"), None);
        a.trust = Some(seal.clone());
        assert!(
            Config::new(a, |_: &str| None)
                .unwrap_err()
                .to_string()
                .contains("--trust")
        );
        let mut a = args(Some("sqlite://a.db"), None);
        a.seal_pkcs11_module = Some("/nonexistent/libsofthsm2.so".into());
        let e = Config::new(a, |_: &str| None).unwrap_err();
        assert!(e.to_string().contains("--seal-pkcs11-key"), "{e}");
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

    #[test]
    fn the_verify_url_printed_on_paper_copies_must_be_a_plain_http_url() {
        let with = |flag: Option<&str>, env_value: Option<&'static str>| {
            let mut a = args(Some("sqlite://a.db"), None);
            a.verify_url = flag.map(str::to_owned);
            Config::new(a, move |k: &str| {
                (k == "HOCBA_VERIFY_URL")
                    .then(|| env_value.map(str::to_owned))
                    .flatten()
            })
        };
        let url = |c: Config| c.school.verify_url;
        assert_eq!(url(with(None, None).unwrap()), None);
        assert_eq!(
            url(with(Some("https://hocba.example.vn/verify/"), None).unwrap()).as_deref(),
            Some("https://hocba.example.vn/verify")
        );
        assert_eq!(
            url(with(None, Some("http://10.0.0.1:8090/verify")).unwrap()).as_deref(),
            Some("http://10.0.0.1:8090/verify")
        );
        for bad in [
            "ftp://x/verify",
            "https://x/verify?code=1",
            "hocba.vn/verify",
        ] {
            let e = with(Some(bad), None).unwrap_err().to_string();
            assert!(e.contains("--verify-url"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_registry_needs_a_token_and_a_pinned_key() {
        let key = "ab".repeat(32);
        let with = |url: &str, key: Option<&str>, token: Option<&'static str>| {
            let mut a = args(Some("sqlite://a.db"), None);
            a.registry_url = Some(url.to_owned());
            a.registry_key = key.map(str::to_owned);
            a.registry_token_env = Some("REG_TOKEN".to_owned());
            Config::new(a, move |k: &str| {
                (k == "REG_TOKEN")
                    .then(|| token.map(str::to_owned))
                    .flatten()
            })
        };
        let c = with("http://127.0.0.1:9000", Some(&key), Some("t0k3n")).unwrap();
        let r = c.school.registry.unwrap();
        assert_eq!(
            (r.url.as_str(), r.token.as_deref()),
            ("http://127.0.0.1:9000", Some("t0k3n"))
        );
        assert!(!format!("{r:?}").contains("t0k3n"));
        assert_eq!((r.backoff.base_secs, r.lease_secs), (5, 300));
        let timed = |retry: Option<i64>, lease_env: Option<&'static str>| {
            let mut a = args(Some("sqlite://a.db"), None);
            a.registry_url = Some("http://127.0.0.1:9000".to_owned());
            a.registry_key = Some("ab".repeat(32));
            a.registry_retry_secs = retry;
            Config::new(a, move |k: &str| match k {
                "HOCBA_REGISTRY_TOKEN" => Some("t".to_owned()),
                "HOCBA_REGISTRY_LEASE_SECS" => lease_env.map(str::to_owned),
                _ => None,
            })
        };
        let r = timed(Some(1), Some("2")).unwrap().school.registry.unwrap();
        assert_eq!((r.backoff.base_secs, r.lease_secs), (1, 2));
        let e = timed(Some(0), None).unwrap_err();
        assert!(e.to_string().contains("HOCBA_REGISTRY_RETRY_SECS"), "{e}");
        let e = timed(None, Some("soon")).unwrap_err();
        assert!(e.to_string().contains("HOCBA_REGISTRY_LEASE_SECS"), "{e}");
        let e = with("http://127.0.0.1:9000", Some(&key), None).unwrap_err();
        assert!(e.to_string().contains("REG_TOKEN"), "{e}");
        let e = with("http://127.0.0.1:9000", None, Some("t")).unwrap_err();
        assert!(e.to_string().contains("--registry-key"), "{e}");
        let e = with("http://127.0.0.1:9000", Some("abc"), Some("t")).unwrap_err();
        assert!(e.to_string().contains("--registry-key"), "{e}");
        let e = with("ftp://x", Some(&key), Some("t")).unwrap_err();
        assert!(e.to_string().contains("--registry-url"), "{e}");
        let c = Config::new(args(Some("sqlite://a.db"), None), |_: &str| None).unwrap();
        assert!(c.school.registry.is_none());
        // Without a named variable the default token is optional: schools then use their
        // own tokens ("Kết nối CSDL").
        let mut a = args(Some("sqlite://a.db"), None);
        a.registry_url = Some("http://127.0.0.1:9000".to_owned());
        a.registry_key = Some(key.clone());
        let r = Config::new(a, |_: &str| None)
            .unwrap()
            .school
            .registry
            .unwrap();
        assert_eq!(r.token, None);
    }

    #[test]
    fn school_tokens_are_read_from_the_named_variables() {
        let env = |k: &str| match k {
            "TOKEN_THCS" => Some("thcs-t0k3n".to_owned()),
            "TOKEN_THPT" => Some("thpt-t0k3n".to_owned()),
            "BAD_TOKEN" => Some("a b".to_owned()),
            _ => None,
        };
        let flags = |pairs: &[&str]| pairs.iter().map(|p| (*p).to_owned()).collect();
        let t =
            school_tokens(flags(&["79000202=TOKEN_THCS", "79000303=TOKEN_THPT"]), &env).unwrap();
        assert_eq!(
            t.into_iter().collect::<Vec<_>>(),
            [
                ("79000202".to_owned(), "thcs-t0k3n".to_owned()),
                ("79000303".to_owned(), "thpt-t0k3n".to_owned())
            ]
        );
        assert!(school_tokens(Vec::new(), &env).unwrap().is_empty());
    }

    #[test]
    fn school_tokens_come_from_the_environment_list_when_no_flag_is_given() {
        let env = |k: &str| match k {
            "HOCBA_REGISTRY_SCHOOL_TOKENS" => {
                Some("79000202=TOKEN_THCS, 79000303=TOKEN_THPT".to_owned())
            }
            "TOKEN_THCS" => Some("thcs".to_owned()),
            "TOKEN_THPT" => Some("thpt".to_owned()),
            _ => None,
        };
        let t = school_tokens(Vec::new(), &env).unwrap();
        assert_eq!(t.get("79000303").map(String::as_str), Some("thpt"));
        assert_eq!(t.len(), 2);
        // A flag replaces the environment list.
        let t = school_tokens(vec!["79000202=TOKEN_THCS".to_owned()], &env).unwrap();
        assert_eq!(t.keys().collect::<Vec<_>>(), ["79000202"]);
    }

    #[test]
    fn a_bad_school_token_pair_stops_start_up_naming_the_flag() {
        let env = |k: &str| match k {
            "TOKEN_THCS" => Some("thcs".to_owned()),
            "BAD_TOKEN" => Some("a b".to_owned()),
            _ => None,
        };
        for (pair, why) in [
            ("79000202", "CODE=VAR"),
            ("=TOKEN_THCS", "CODE=VAR"),
            ("79000202=", "CODE=VAR"),
            ("79 000=TOKEN_THCS", "CODE=VAR"),
            ("79000202=UNSET_VAR", "UNSET_VAR is not set"),
            ("79000202=BAD_TOKEN", "printable ASCII"),
        ] {
            let e = school_tokens(vec![pair.to_owned()], &env)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("--registry-school-token") && e.contains(why),
                "{pair}: {e}"
            );
        }
        let e = school_tokens(
            vec![
                "79000202=TOKEN_THCS".to_owned(),
                "79000202=TOKEN_THCS".to_owned(),
            ],
            &env,
        )
        .unwrap_err();
        assert!(e.to_string().contains("given twice"), "{e}");
        // Without a registry URL the pairs have nothing to serve.
        let mut a = args(Some("sqlite://a.db"), None);
        a.registry_school_token = vec!["79000202=TOKEN_THCS".to_owned()];
        let e = Config::new(a, env).unwrap_err();
        assert!(e.to_string().contains("needs --registry-url"), "{e}");
    }

    #[test]
    fn school_tokens_reach_the_registry_configuration_without_a_default_token() {
        let mut a = args(Some("sqlite://a.db"), None);
        a.registry_url = Some("http://127.0.0.1:9000".to_owned());
        a.registry_key = Some("ab".repeat(32));
        a.registry_school_token = vec!["79000202=TOKEN_THCS".to_owned()];
        let r = Config::new(a, |k: &str| (k == "TOKEN_THCS").then(|| "thcs".to_owned()))
            .unwrap()
            .school
            .registry
            .unwrap();
        assert_eq!(r.token, None);
        assert_eq!(
            r.school_tokens.get("79000202").map(String::as_str),
            Some("thcs")
        );
        assert!(!format!("{r:?}").contains("thcs\""));
    }

    #[test]
    fn school_seals_are_opened_per_code_with_their_own_or_the_default_password() {
        let pki = pki::demo_pki(1_780_000_000).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (own, other) = (dir.path().join("a.p12"), dir.path().join("b.p12"));
        std::fs::write(&own, pki.pkcs12(&pki.ecdsa).unwrap()).unwrap();
        std::fs::write(&other, pki.pkcs12(&pki.seal).unwrap()).unwrap();
        let env = |k: &str| match k {
            "PW_A" | "SEAL_PW" => Some(pki::DEMO_P12_PASSWORD.to_owned()),
            _ => None,
        };
        let mut a = args(Some("sqlite://a.db"), None);
        a.seal_password_env = Some("SEAL_PW".to_owned());
        a.school_seal_p12 = vec![
            format!("79000001={}", own.display()),
            format!("79000002={}", other.display()),
        ];
        a.school_seal_password_env = vec!["79000001=PW_A".to_owned()];
        let c = Config::new(a, env).unwrap().school;
        assert!(c.seal.is_none());
        assert_eq!(c.seals.keys().collect::<Vec<_>>(), ["79000001", "79000002"]);
        let subject = |code: &str| c.seals[code].subject().unwrap();
        assert!(
            subject("79000001").contains("Lê Thị Hoa"),
            "{}",
            subject("79000001")
        );
        assert!(!subject("79000002").contains("Lê Thị Hoa"));
        // Without flags, the environment lists are read; a flag replaces its list.
        let list = format!("79000003={}, 79000004={}", own.display(), other.display());
        let env_list = |k: &str| match k {
            "HOCBA_SCHOOL_SEAL_P12" => Some(list.clone()),
            "HOCBA_SCHOOL_SEAL_PASSWORD_ENV" => Some("79000003=PW_A".to_owned()),
            "HOCBA_SEAL_PASSWORD" => Some(pki::DEMO_P12_PASSWORD.to_owned()),
            _ => None,
        };
        let s = school_seals(Vec::new(), Vec::new(), "HOCBA_SEAL_PASSWORD", &|k: &str| {
            env_list(k).or_else(|| env(k))
        })
        .unwrap();
        assert_eq!(s.keys().collect::<Vec<_>>(), ["79000003", "79000004"]);
        let s = school_seals(
            vec![format!("79000009={}", own.display())],
            vec!["79000009=PW_A".to_owned()],
            "UNSET",
            &|k: &str| env_list(k).or_else(|| env(k)),
        )
        .unwrap();
        assert_eq!(s.keys().collect::<Vec<_>>(), ["79000009"]);
        assert!(
            school_seals(Vec::new(), Vec::new(), "PW_A", &env)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_bad_school_seal_stops_start_up_naming_the_flag() {
        let pki = pki::demo_pki(1_780_000_000).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p12 = dir.path().join("a.p12");
        std::fs::write(&p12, pki.pkcs12(&pki.seal).unwrap()).unwrap();
        let good = format!("79000001={}", p12.display());
        let env = |k: &str| match k {
            "PW" => Some(pki::DEMO_P12_PASSWORD.to_owned()),
            "WRONG" => Some("wrong".to_owned()),
            _ => None,
        };
        let seals = |files: &[&str], vars: &[&str], default: &str| {
            let own = |v: &[&str]| v.iter().map(|p| (*p).to_owned()).collect();
            format!(
                "{:#}",
                school_seals(own(files), own(vars), default, &env).unwrap_err()
            )
        };
        for (files, vars, default, why) in [
            (&["79000001"][..], &[][..], "PW", "CODE=PATH"),
            (&["=a.p12"], &[], "PW", "CODE=PATH"),
            (&["79000001="], &[], "PW", "CODE=PATH"),
            (&["79 01=a.p12"], &[], "PW", "CODE=PATH"),
            (
                &["79000001=/nonexistent/a.p12"],
                &[],
                "PW",
                "reading /nonexistent/a.p12",
            ),
            (&[good.as_str()], &[], "UNSET", "environment variable UNSET"),
            (&[good.as_str()], &[], "WRONG", "wrong PKCS#12 password"),
            (
                &[good.as_str()],
                &["79000001=WRONG"],
                "PW",
                "wrong PKCS#12 password",
            ),
            (
                &[good.as_str(), good.as_str()],
                &[],
                "PW",
                "79000001 is given twice",
            ),
        ] {
            let e = seals(files, vars, default);
            assert!(
                e.contains("--school-seal-p12") && e.contains(why),
                "{files:?}: {e}"
            );
        }
        for (vars, why) in [
            (&["79000001"][..], "CODE=VAR"),
            (&["79000001=PW", "79000001=PW"], "given twice"),
            (&["79000002=PW"], "79000002 has no seal file"),
        ] {
            let e = seals(&[good.as_str()], vars, "PW");
            assert!(
                e.contains("--school-seal-password-env") && e.contains(why),
                "{vars:?}: {e}"
            );
        }
        // Start-up itself stops on the same errors.
        let mut a = args(Some("sqlite://a.db"), None);
        a.school_seal_p12 = vec![good.clone()];
        let e = Config::new(a, |_: &str| None).unwrap_err();
        assert!(e.to_string().contains("HOCBA_SEAL_PASSWORD"), "{e}");
    }
}
