//! `hocba bench lookup`: latency of the registry's public lookup ("Tra cứu học bạ",
//! `POST /tra-cuu` with the triple proof) and verify API (`GET /api/v1/verify?code=…`)
//! under an open-loop load on loopback, first against a small registry (only the signed
//! records that are looked up), then against the same registry grown to N records. A
//! benchmark, not a test: nothing here asserts a time.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{BENCH_REGISTRY, approvals_of, new_row, presign, run_workers, with_database};
use crate::verify::now_unix;

/// Options of `hocba bench lookup`.
#[derive(Args)]
pub struct LookupArgs {
    /// PostgreSQL admin URL: the benchmark creates a database of its own through it and
    /// drops it at the end
    #[arg(long)]
    db: String,
    /// Records in the registry for the measure (real signed ones included).
    #[arg(long, default_value_t = 5_000_000)]
    records: u64,
    /// Real signed records (distinct students) that the load looks up and verifies.
    #[arg(long, default_value_t = 2_000)]
    signed: usize,
    /// Requests per second offered (open loop: sent on schedule, whatever the answers).
    #[arg(long, default_value_t = 500)]
    rate: u32,
    /// Seconds of load per endpoint and registry size.
    #[arg(long, default_value_t = 30)]
    seconds: u32,
}

/// One looked-up record: the student's code and the record id (the paper copy's code).
struct Target {
    student: String,
    record_id: String,
}

/// Which endpoint a run drives.
#[derive(Clone, Copy)]
enum Endpoint {
    Lookup,
    Verify,
}

impl Endpoint {
    fn label(self) -> &'static str {
        match self {
            Endpoint::Lookup => "POST /tra-cuu (triple proof, result page)",
            Endpoint::Verify => "GET /api/v1/verify?code= (full verification)",
        }
    }
}

/// Latencies of one run, from each request's scheduled start to its complete answer.
struct Run {
    sorted: Vec<Duration>,
    failed: usize,
    offered: usize,
    elapsed: f64,
}

impl Run {
    fn pct(&self, p: f64) -> f64 {
        if self.sorted.is_empty() {
            return f64::NAN;
        }
        let i = ((p / 100.0) * self.sorted.len() as f64).ceil() as usize;
        ms(self.sorted[i.clamp(1, self.sorted.len()) - 1])
    }

    fn line(&self) -> String {
        format!(
            "p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} of {} answered 200 ({:.0} requests/s achieved)",
            self.pct(50.0),
            self.pct(95.0),
            self.pct(99.0),
            self.sorted.last().map_or(f64::NAN, |d| ms(*d)),
            self.sorted.len(),
            self.offered,
            self.sorted.len() as f64 / self.elapsed
        )
    }
}

/// Runs `hocba bench lookup`.
pub fn run(args: &LookupArgs) -> anyhow::Result<ExitCode> {
    if !(args.db.starts_with("postgres://") || args.db.starts_with("postgresql://")) {
        anyhow::bail!("--db must be a postgres:// admin URL");
    }
    let signed = args.signed.max(1);
    if (signed as u64) > args.records {
        anyhow::bail!("--signed must not exceed --records");
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let now = now_unix()?;
    let pki = pki::demo_pki(now - 86_400).context("demo PKI")?;
    let trust = pki::TrustStore::from_pem_bundle(pki.root_pem().as_bytes())?;
    println!("pre-signing {signed} distinct THPT records (not measured) …");
    let docs = presign(&pki, signed, threads, now)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let name = format!("hocba_bench_lookup_{}_{now}", std::process::id());
    runtime.block_on(async {
        use sqlx::Connection as _;
        let mut admin = sqlx::PgConnection::connect(&args.db)
            .await
            .with_context(|| format!("connecting to {}", args.db))?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'"
        )))
        .execute(&mut admin)
        .await
        .context("CREATE DATABASE for the benchmark")?;
        let url = with_database(&args.db, &name);
        let outcome = measure(&url, &pki, trust, docs, args, now).await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await
        .context("DROP DATABASE after the benchmark")?;
        outcome
    })
}

async fn measure(
    url: &str,
    pki: &pki::DemoPki,
    trust: pki::TrustStore,
    docs: Vec<Vec<u8>>,
    args: &LookupArgs,
    now: i64,
) -> anyhow::Result<ExitCode> {
    let store = store::Store::open(url)
        .await
        .context("opening the benchmark database")?;
    let template = record::examples::thpt();
    let school = registry_server::SchoolEntry {
        code: template.school.code.to_string(),
        name: template.school.name.to_string(),
        level: template.school.level,
        authority: "Sở GDĐT (bench)".to_owned(),
    };
    registry_server::add_school(&store, &school, now)
        .await
        .map_err(|e| anyhow::anyhow!("adding the school: {e}"))?;
    registry_server::approve_seal(&store, &school.code, &pki.seal.cert_der, "bench", now)
        .await
        .map_err(|e| anyhow::anyhow!("approving the seal: {e}"))?;
    let key = registry::RegistryKey::from_pkcs8(&registry::RegistryKey::generate_pkcs8()?)?;

    // The real records, checked and stored as ingest does.
    let approvals = approvals_of(&store, &school.code).await?;
    let cache = registry_server::TrustCache::new(trust.clone());
    let mut targets = Vec::with_capacity(docs.len());
    let mut rows = Vec::with_capacity(docs.len());
    for (i, doc) in docs.iter().enumerate() {
        let a = registry::check_record(doc, &cache, &approvals)
            .map_err(|e| anyhow::anyhow!("record {i} rejected: {e}"))?;
        targets.push(Target {
            student: a.student.to_string(),
            record_id: a.record_id.to_string(),
        });
        rows.push(new_row(&a, doc, &key, now)?);
    }
    let rows = Arc::new(rows);
    run_workers(10, rows.len(), {
        let (store, rows) = (store.clone(), rows.clone());
        move |i| {
            let (store, rows) = (store.clone(), rows.clone());
            async move {
                match store.insert_registry_record(&rows[i]).await? {
                    store::Ingested::Stored => Ok(()),
                    other => Err(anyhow::anyhow!("storing record {i}: {other:?}")),
                }
            }
        }
    })
    .await?;
    drop(rows);
    let student = &template.student;
    let proof = Arc::new((
        student
            .personal_id
            .as_ref()
            .map(ToString::to_string)
            .context("the example record has a personal ID")?,
        student.born.to_string(),
    ));
    let targets = Arc::new(targets);

    // The real server on loopback, with the peer address as `hocba registry` serves it.
    let state = registry_server::AppState::new(
        store.clone(),
        key,
        trust,
        registry_server::Config {
            registry_name: BENCH_REGISTRY.to_owned(),
            ..registry_server::Config::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            registry_server::router(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
    });

    let signed = targets.len() as u64;
    println!(
        "registry on http://{addr}: {signed} signed records; open-loop load of {} requests/s for {} s per run, one connection per request",
        args.rate, args.seconds
    );
    let mut small = Vec::new();
    for endpoint in [Endpoint::Lookup, Endpoint::Verify] {
        let r = drive(addr, endpoint, &targets, &proof, args).await?;
        println!("  {signed} records, {}: {}", endpoint.label(), r.line());
        small.push(r);
    }

    fill(url, args.records - signed, &school.code, now).await?;
    explain(url, &targets[0]).await?;

    let mut big = Vec::new();
    for endpoint in [Endpoint::Lookup, Endpoint::Verify] {
        let r = drive(addr, endpoint, &targets, &proof, args).await?;
        println!(
            "  {} records, {}: {}",
            args.records,
            endpoint.label(),
            r.line()
        );
        big.push(r);
    }
    let _ = stop.send(());
    server.await??;
    store.close().await;

    println!(
        "summary ({} requests/s offered, {} s each):",
        args.rate, args.seconds
    );
    for ((endpoint, s), b) in [Endpoint::Lookup, Endpoint::Verify]
        .iter()
        .zip(&small)
        .zip(&big)
    {
        println!(
            "  {}: p99 {:.2} ms with {} records = {:.2} × p99 with {signed} records ({:.2} ms); target p99 < 20 ms: {:.2} of the budget; {} failed",
            endpoint.label(),
            b.pct(99.0),
            args.records,
            b.pct(99.0) / s.pct(99.0),
            s.pct(99.0),
            b.pct(99.0) / 20.0,
            b.failed
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Grows the registry by `n` synthetic rows, server-side (`INSERT … SELECT
/// generate_series`), in chunks with progress: 12 records per synthetic student (one per
/// school year), distinct student codes (prefix 80, never a real record's), record ids and
/// digests; a short placeholder instead of the XML and receipt (never read: the load
/// only asks for the real records).
async fn fill(url: &str, n: u64, school: &str, now: i64) -> anyhow::Result<()> {
    use sqlx::Connection as _;
    let mut c = sqlx::PgConnection::connect(url).await?;
    sqlx::query("SET synchronous_commit = off")
        .execute(&mut c)
        .await?;
    const CHUNK: u64 = 250_000;
    let t = Instant::now();
    println!("loading {n} synthetic records …");
    let mut done = 0u64;
    while done < n {
        let upto = (done + CHUNK).min(n);
        sqlx::query(
            "INSERT INTO registry_records (student_code, record_id, version, digest, school_code, \
             start_year, grade, supersedes_id, xml, received_at, receipt) \
             SELECT '80' || lpad((g / 12)::text, 18, '0'), \
             substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-' || substr(h, 13, 4) || '-' || \
             substr(h, 17, 4) || '-' || substr(h, 21, 12), \
             1, md5('d' || g) || md5('e' || g), $3, 2014 + g % 12, 1 + g % 12, NULL, \
             '<!-- synthetic benchmark row: no record -->', $4 - g % 86400, '{}' \
             FROM (SELECT g, md5('r' || g) AS h FROM generate_series($1::bigint, $2::bigint) g) s",
        )
        .bind(i64::try_from(done)?)
        .bind(i64::try_from(upto)? - 1)
        .bind(school)
        .bind(now)
        .execute(&mut c)
        .await?;
        done = upto;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "  {done} / {n} ({:.0} rows/s, {secs:.0} s)",
            done as f64 / secs
        );
    }
    sqlx::query("ANALYZE registry_records")
        .execute(&mut c)
        .await?;
    let (size,): (String,) =
        sqlx::query_as("SELECT pg_size_pretty(pg_database_size(current_database()))")
            .fetch_one(&mut c)
            .await?;
    println!(
        "  loaded in {:.0} s; database size {size}",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Prints the plans of the queries behind the lookup and verify endpoints for one real
/// record, to show they use the indexes.
async fn explain(url: &str, target: &Target) -> anyhow::Result<()> {
    use sqlx::Connection as _;
    let mut c = sqlx::PgConnection::connect(url).await?;
    let (student, id) = (target.student.as_str(), target.record_id.as_str());
    let queries: [(&str, &str, Vec<&str>); 4] = [
        (
            "records of a student (lookup)",
            "SELECT record_id FROM registry_records WHERE student_code = $1 \
             ORDER BY start_year, version, record_id",
            vec![student],
        ),
        (
            "one record's XML (lookup, verify)",
            "SELECT xml FROM registry_records WHERE student_code = $1 AND record_id = $2",
            vec![student, id],
        ),
        (
            "record by paper-copy code (verify)",
            "SELECT student_code FROM registry_records WHERE record_id = $1 \
             ORDER BY student_code LIMIT 1",
            vec![id],
        ),
        (
            "successor of a record (verify)",
            "SELECT record_id FROM registry_records WHERE student_code = $1 \
             AND supersedes_id = $2 ORDER BY version DESC LIMIT 1",
            vec![student, id],
        ),
    ];
    for (what, sql, binds) in queries {
        let mut q = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(format!(
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {sql}"
        )));
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&mut c).await?;
        println!("  plan, {what}:");
        for (line,) in rows {
            println!("    {line}");
        }
    }
    Ok(())
}

/// Sends `rate` requests per second for `seconds` on schedule, each on its own task and
/// connection, whatever the earlier answers (open loop: a slow answer does not delay the
/// next request, so queueing shows in the latencies).
async fn drive(
    addr: SocketAddr,
    endpoint: Endpoint,
    targets: &Arc<Vec<Target>>,
    proof: &Arc<(String, String)>,
    args: &LookupArgs,
) -> anyhow::Result<Run> {
    let total = (u64::from(args.rate) * u64::from(args.seconds)) as usize;
    let period = Duration::from_secs_f64(1.0 / f64::from(args.rate.max(1)));
    let start = tokio::time::Instant::now() + Duration::from_millis(100);
    let mut handles = Vec::with_capacity(total);
    for i in 0..total {
        let at = start + period.mul_f64(i as f64);
        tokio::time::sleep_until(at).await;
        // A stride through the targets, so consecutive requests name different students.
        let target = &targets[(i * 7_919) % targets.len()];
        let request = match endpoint {
            Endpoint::Lookup => {
                let form = format!(
                    "personal_id={}&student_code={}&born={}",
                    proof.0, target.student, proof.1
                );
                format!(
                    "POST /tra-cuu HTTP/1.1\r\nHost: bench\r\nContent-Type: \
                     application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{form}",
                    form.len()
                )
            }
            Endpoint::Verify => format!(
                "GET /api/v1/verify?code={} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n",
                target.record_id
            ),
        };
        handles.push(tokio::spawn(async move {
            let answer =
                tokio::time::timeout(Duration::from_secs(10), send(addr, request.as_bytes())).await;
            let ok = matches!(answer, Ok(Ok(200)));
            (ok, at.elapsed())
        }));
    }
    let mut sorted = Vec::with_capacity(total);
    let mut failed = 0;
    for h in handles {
        match h.await {
            Ok((true, latency)) => sorted.push(latency),
            _ => failed += 1,
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    sorted.sort_unstable();
    Ok(Run {
        sorted,
        failed,
        offered: total,
        elapsed,
    })
}

/// One HTTP/1.1 exchange on a new connection; the status code once the whole answer is
/// read.
async fn send(addr: SocketAddr, request: &[u8]) -> anyhow::Result<u16> {
    let mut conn = tokio::net::TcpStream::connect(addr).await?;
    conn.set_nodelay(true)?;
    conn.write_all(request).await?;
    let mut answer = Vec::with_capacity(32 * 1024);
    conn.read_to_end(&mut answer).await?;
    let status = answer
        .get(9..12)
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.parse().ok())
        .context("an HTTP status line")?;
    Ok(status)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
