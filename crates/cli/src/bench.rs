//! `hocba bench year-end`: the year end of one large school, as the school server does it
//! — read every student's inputs, compute, build the record, sign it GVCN → HT → DAU
//! (verifying the chain before each later signature), store every transition with its
//! audit entry — timed per phase and printed beside the raw RSA limit measured in the
//! same run. `hocba bench ingest` and `hocba bench lookup` (module `lookup`) measure the
//! registry. Benchmarks, not tests: nothing here asserts a time.

use std::num::NonZeroU32;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use store::{
    Actor, AuditStamp, AuditTime, ClassReview, EnrolmentKey, NewSignature, RecordState,
    ReviewedRecord, SignerEntry, Store,
};
use xmldsig::{SignatureProperties, Signer, SoftwareSigner};

use crate::verify::now_unix;

mod lookup;

/// `hocba bench …`
#[derive(Subcommand)]
pub enum Command {
    /// Year end of one THPT school: compute, build, sign the three-signature chain, store.
    YearEnd(YearEndArgs),
    /// Registry ingest into PostgreSQL: full verification, signed receipt, storage.
    Ingest(IngestArgs),
    /// Registry lookup and verify latency under load, with N records in PostgreSQL.
    Lookup(lookup::LookupArgs),
}

/// Options of `hocba bench ingest`.
#[derive(Args)]
pub struct IngestArgs {
    /// PostgreSQL admin URL: the benchmark creates a database of its own through it and
    /// drops it at the end
    #[arg(long)]
    db: String,
    /// Distinct signed records to ingest.
    #[arg(long, default_value_t = 10_000)]
    records: usize,
    /// Threads for verification, and async worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Requests in flight at once, as concurrent schools would send them. The server's
    /// group commit stores every record waiting in one statement, so throughput grows
    /// with concurrency until the CPU is busy (at 10, each request mostly waits for its
    /// commit).
    #[arg(long, default_value_t = 64)]
    in_flight: usize,
}

/// Options of `hocba bench year-end`.
#[derive(Args)]
pub struct YearEndArgs {
    /// Number of students (about; classes hold at most 40).
    #[arg(long, default_value_t = 2000)]
    students: usize,
    /// Signing threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
}

/// Runs a `bench` subcommand.
pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::YearEnd(args) => year_end(&args),
        Command::Ingest(args) => ingest(&args),
        Command::Lookup(args) => lookup::run(&args),
    }
}

struct Built {
    class: store::ClassId,
    record: ReviewedRecord,
}

fn year_end(args: &YearEndArgs) -> anyhow::Result<ExitCode> {
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let dir = std::env::temp_dir().join(format!("hocba-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}?mode=rwc", dir.join("bench.sqlite").display());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(async { measure(&url, args.students, threads).await });
    std::fs::remove_dir_all(&dir).ok();
    result
}

async fn measure(url: &str, students: usize, threads: usize) -> anyhow::Result<ExitCode> {
    let now = now_unix()?;
    let store = Store::open(url).await?;
    let data = demo::large_school(7, students);
    let hash = school::hash_password("hocba-bench").map_err(|e| anyhow::anyhow!("{e}"))?;
    crate::demo::write(&store, &data, &hash).await?;
    let school = store
        .school_by_code(&data.schools[0].code)
        .await?
        .context("the benchmark school was written")?;
    let principal = store
        .teacher_by_username(&format!("hieutruong.{}", &school.code[4..]))
        .await?
        .context("the principal account")?;
    let stamp = AuditStamp {
        actor: Actor {
            teacher: principal.id,
            username: principal.username.clone(),
            full_name: principal.full_name.clone(),
            school: school.id,
        },
        at: AuditTime::from_unix(now),
        reason: None,
    };
    let pki = pki::demo_pki(now - 86_400).context("demo PKI")?;
    let trust = pki::TrustStore::from_pem_bundle(pki.root_pem().as_bytes())?;
    let signer =
        |id: &pki::DemoIdentity| SoftwareSigner::from_parts(&id.key_pkcs8_der, id.chain.clone());
    let signers = [signer(&pki.gvcn)?, signer(&pki.ht)?, signer(&pki.seal)?];
    println!(
        "year end of {} ({} students, {} classes), {threads} signing thread(s)",
        school.name,
        data.schools[0]
            .classes
            .iter()
            .map(|c| c.students.len())
            .sum::<usize>(),
        data.schools[0].classes.len()
    );

    // Baseline in the same run: raw RSA-2048 signatures per second on one thread.
    let probe = b"hocba raw signing baseline";
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed().as_millis() < 500 {
        signers[0].sign(probe).map_err(|e| anyhow::anyhow!("{e}"))?;
        n += 1;
    }
    let raw_per_thread = f64::from(n) / start.elapsed().as_secs_f64();

    // 1. Read inputs, compute with the engine, build each record.
    let t = Instant::now();
    let mut built = Vec::new();
    let created = domain::Date::new(data.year.end(), 5, 31)?;
    for class in store.classes_of_school(school.id, data.year).await? {
        let homeroom = match class.homeroom_teacher {
            Some(id) => store.teacher(id).await?.full_name,
            None => String::new(),
        };
        for member in store.class_members(class.id).await? {
            let inputs = store
                .year_inputs(&EnrolmentKey {
                    student: member.student.code.clone(),
                    class: class.id,
                })
                .await?;
            if member.student.personal_id.is_none() {
                continue;
            }
            let record = school::records::build_record(
                &inputs,
                &school,
                &homeroom,
                domain::Level::UpperSecondary,
                created,
                NonZeroU32::MIN,
                None,
            )
            .map_err(|e| anyhow::anyhow!("building a record: {e}"))?;
            let xml = String::from_utf8(record.to_xml()).context("records are UTF-8")?;
            built.push(Built {
                class: class.id,
                record: ReviewedRecord {
                    id: record.id.to_string(),
                    student: member.student.code.clone(),
                    class: class.id,
                    year: data.year,
                    version: 1,
                    sha256: sha256_hex(xml.as_bytes()),
                    xml,
                    replaces_sha256: None,
                },
            });
        }
    }
    let compute = t.elapsed().as_secs_f64();

    // 2. Sign the chain, verifying what is there before each later signature.
    let t = Instant::now();
    let layout = school::records::layout();
    let roles = ["GVCN", "HT", "DAU"];
    let chunk = built.len().div_ceil(threads).max(1);
    let signed: Vec<Vec<[String; 3]>> = std::thread::scope(|scope| {
        let handles: Vec<_> = built
            .chunks(chunk)
            .map(|part| {
                let (signers, trust, layout) = (&signers, &trust, &layout);
                scope.spawn(move || -> anyhow::Result<Vec<[String; 3]>> {
                    part.iter()
                        .map(|b| {
                            let mut doc = b.record.xml.clone().into_bytes();
                            let mut out: [String; 3] = Default::default();
                            for (k, role) in roles.iter().enumerate() {
                                if k > 0 {
                                    xmldsig::verify_chain(&doc, layout, trust, Some(&roles[..k]))
                                        .map_err(|e| anyhow::anyhow!("chain before {role}: {e}"))?;
                                }
                                let props = SignatureProperties {
                                    signing_time: now,
                                    role: (*role).to_string(),
                                    signer_name: None,
                                };
                                doc = xmldsig::sign_next(&doc, layout, &signers[k], &props)
                                    .map_err(|e| anyhow::anyhow!("signing as {role}: {e}"))?;
                                out[k] = String::from_utf8(doc.clone())?;
                            }
                            Ok(out)
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| anyhow::anyhow!("a signing thread panicked"))?
            })
            .collect::<anyhow::Result<_>>()
    })?;
    let sign = t.elapsed().as_secs_f64();

    // 3. Store: the class reviews with the built records, then each signature with its
    // compare-and-set transition and audit entry.
    let t = Instant::now();
    let mut classes: Vec<store::ClassId> = built.iter().map(|b| b.class).collect();
    classes.dedup();
    for class in &classes {
        let records: Vec<ReviewedRecord> = built
            .iter()
            .filter(|b| b.class == *class)
            .map(|b| b.record.clone())
            .collect();
        let review = ClassReview {
            class: *class,
            reviewed_by: principal.id,
            reviewed_at: stamp.at.as_str().to_string(),
        };
        store.review_class(&review, &records, &stamp).await?;
    }
    let signed: Vec<[String; 3]> = signed.into_iter().flatten().collect();
    for (b, docs) in built.iter().zip(&signed) {
        for (k, xml) in docs.iter().enumerate() {
            store
                .add_signature(
                    &NewSignature {
                        student: b.record.student.clone(),
                        id: b.record.id.clone(),
                        from: if k == 0 {
                            RecordState::Reviewed
                        } else {
                            RecordState::Signing
                        },
                        signatures_before: k as u32,
                        xml: xml.clone(),
                        sha256: sha256_hex(xml.as_bytes()),
                        to: if k == 2 {
                            RecordState::Signed
                        } else {
                            RecordState::Signing
                        },
                        signer: SignerEntry {
                            role: roles[k].to_string(),
                            name: String::new(),
                            at: stamp.at.as_str().to_string(),
                        },
                        inputs_as_of: None,
                    },
                    &stamp,
                )
                .await?;
        }
    }
    let persist = t.elapsed().as_secs_f64();
    store.close().await;

    let records = built.len();
    let total = compute + sign + persist;
    let rsa = 3.0 * records as f64;
    let raw_limit = raw_per_thread * threads as f64;
    println!("  compute + build {records} records: {compute:>7.2} s");
    println!(
        "  sign 3 × {records} (+ verify before HT, DAU): {sign:>7.2} s = {:.0} signatures/s, {:.2} × the raw RSA-2048 limit of {raw_limit:.0}/s measured in this run",
        rsa / sign,
        (rsa / sign) / raw_limit
    );
    println!(
        "  store reviews + {} signature transitions with audit: {persist:>7.2} s",
        3 * records
    );
    println!(
        "  total {total:.2} s for {records} records (target < 10 s: {:.2} of the budget)",
        total / 10.0
    );
    Ok(ExitCode::SUCCESS)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes))
}

// --- hocba bench ingest ------------------------------------------------------------------

/// The registry's receipt name in the benchmark.
const BENCH_REGISTRY: &str = "CSDL học bạ số (bench)";

/// `hocba bench ingest`: pre-signs N distinct THPT records (not measured), then ingests
/// them through the server's own `registry_server::ingest_record` (the handler of `POST
/// /api/v1/records` minus HTTP: authentication, the ingest rules, the school's seal
/// approvals, full verification, signed receipt, group-commit insert) with the given
/// requests in flight into a fresh PostgreSQL database, then again with one insert per
/// request. Baselines in the same run: verification alone with and without the chain
/// cache, the insert alone one by one and in batches.
fn ingest(args: &IngestArgs) -> anyhow::Result<ExitCode> {
    if !(args.db.starts_with("postgres://") || args.db.starts_with("postgresql://")) {
        anyhow::bail!("--db must be a postgres:// admin URL");
    }
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let n = args.records.max(1);
    let now = now_unix()?;
    let pki = pki::demo_pki(now - 86_400).context("demo PKI")?;
    let trust = pki::TrustStore::from_pem_bundle(pki.root_pem().as_bytes())?;

    println!("pre-signing {n} distinct THPT records (GVCN → HT → DAU, not measured) …");
    let t = Instant::now();
    let docs = presign(&pki, n, threads, now)?;
    println!(
        "  {n} records of {} bytes on average in {:.1} s",
        docs.iter().map(Vec::len).sum::<usize>() / n,
        t.elapsed().as_secs_f64()
    );

    // As in the server: async workers for IO, CPU-bound checks on blocking threads.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .max_blocking_threads(threads)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let name = format!("hocba_bench_ingest_{}_{now}", std::process::id());
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
        let in_flight = args.in_flight.max(1);
        let outcome = ingest_measure(&url, &pki, &trust, docs, (threads, in_flight), now).await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await
        .context("DROP DATABASE after the benchmark")?;
        outcome
    })
}

/// `n` records built from `record::examples::thpt()` with distinct student codes, names
/// and record ids, each signed GVCN → HT → DAU with the demo PKI.
fn presign(pki: &pki::DemoPki, n: usize, threads: usize, now: i64) -> anyhow::Result<Vec<Vec<u8>>> {
    let signer =
        |id: &pki::DemoIdentity| SoftwareSigner::from_parts(&id.key_pkcs8_der, id.chain.clone());
    let signers = [signer(&pki.gvcn)?, signer(&pki.ht)?, signer(&pki.seal)?];
    let layout = registry::layout();
    let template = record::examples::thpt();
    let given = [
        "Ánh Dương",
        "Minh Khôi",
        "Bảo Ngọc",
        "Gia Huy",
        "Thu Trang",
        "Đức Anh",
    ];
    let family = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng"];
    let indices: Vec<usize> = (0..n).collect();
    let chunk = n.div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = indices
            .chunks(chunk)
            .map(|part| {
                let (signers, layout, template) = (&signers, &layout, &template);
                scope.spawn(move || -> anyhow::Result<Vec<Vec<u8>>> {
                    part.iter()
                        .map(|&i| {
                            let mut r = template.clone();
                            r.student.code = format!("79{i:018}")
                                .parse()
                                .map_err(|e| anyhow::anyhow!("student code: {e}"))?;
                            r.student.name = record::Text::new(&format!(
                                "{} Văn {}",
                                family[i % family.len()],
                                given[i / family.len() % given.len()]
                            ))
                            .map_err(|e| anyhow::anyhow!("name: {e}"))?;
                            let mut id = [0u8; 16];
                            id[..8].copy_from_slice(&(i as u64).to_be_bytes());
                            id[8..].copy_from_slice(&now.to_be_bytes());
                            r.id = record::RecordId::from_bytes(id);
                            let mut doc = r.to_xml();
                            for (k, role) in ["GVCN", "HT", "DAU"].iter().enumerate() {
                                let props = SignatureProperties {
                                    signing_time: now - 3_600 + 60 * k as i64,
                                    role: (*role).to_string(),
                                    signer_name: None,
                                };
                                doc = xmldsig::sign_next(&doc, layout, &signers[k], &props)
                                    .map_err(|e| anyhow::anyhow!("signing as {role}: {e}"))?;
                            }
                            Ok(doc)
                        })
                        .collect()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(n);
        for h in handles {
            all.extend(
                h.join()
                    .map_err(|_| anyhow::anyhow!("a signing thread panicked"))??,
            );
        }
        Ok(all)
    })
}

async fn ingest_measure(
    url: &str,
    pki: &pki::DemoPki,
    trust: &pki::TrustStore,
    docs: Vec<Vec<u8>>,
    (threads, in_flight): (usize, usize),
    now: i64,
) -> anyhow::Result<ExitCode> {
    use std::sync::Arc;

    let store = Store::open(url)
        .await
        .context("opening the benchmark database")?;
    let template = record::examples::thpt();
    let school = registry_server::SchoolEntry {
        code: template.school.code.to_string(),
        name: template.school.name.to_string(),
        level: template.school.level,
        authority: "Sở GDĐT (bench)".to_owned(),
    };
    let token = registry_server::add_school(&store, &school, now)
        .await
        .map_err(|e| anyhow::anyhow!("adding the school: {e}"))?;
    registry_server::approve_seal(&store, &school.code, &pki.seal.cert_der, "bench", now)
        .await
        .map_err(|e| anyhow::anyhow!("approving the seal: {e}"))?;
    let key = Arc::new(registry::RegistryKey::from_pkcs8(
        &registry::RegistryKey::generate_pkcs8()?,
    )?);
    let n = docs.len();
    let docs = Arc::new(docs);
    let trust = Arc::new(trust.clone());
    println!(
        "ingest of {n} records into PostgreSQL ({}), {threads} thread(s), {in_flight} in flight",
        url.rsplit_once('@').map_or(url, |(_, host)| host)
    );

    // Baseline 1: verification alone (check_record), same workers.
    let approvals = Arc::new(approvals_of(&store, &school.code).await?);
    let t = Instant::now();
    let accepted = run_workers(in_flight, n, {
        let (docs, trust, approvals) = (docs.clone(), trust.clone(), approvals.clone());
        move |i| {
            let (docs, trust, approvals) = (docs.clone(), trust.clone(), approvals.clone());
            async move {
                tokio::task::spawn_blocking(move || {
                    registry::check_record(&docs[i], &*trust, &*approvals)
                        .map_err(|e| anyhow::anyhow!("record {i} rejected: {e}"))
                })
                .await?
            }
        }
    })
    .await?;
    let verify_rate = n as f64 / t.elapsed().as_secs_f64();
    println!(
        "  verification alone (check_record), chains validated per record: {verify_rate:>8.0} records/s"
    );

    // Baseline 2: the insert alone of the same rows (receipts signed beforehand).
    let rows: Arc<Vec<store::NewRegistryRecord>> = Arc::new(
        accepted
            .iter()
            .zip(docs.iter())
            .map(|(a, doc)| new_row(a, doc, &key, now))
            .collect::<anyhow::Result<_>>()?,
    );
    let t = Instant::now();
    run_workers(in_flight, n, {
        let (store, rows) = (store.clone(), rows.clone());
        move |i| {
            let (store, rows) = (store.clone(), rows.clone());
            async move {
                match store.insert_registry_record(&rows[i]).await? {
                    store::Ingested::Stored => Ok(()),
                    other => Err(anyhow::anyhow!("baseline insert {i}: {other:?}")),
                }
            }
        }
    })
    .await?;
    let insert_rate = n as f64 / t.elapsed().as_secs_f64();
    println!(
        "  insert alone, one statement and commit per record:               {insert_rate:>8.0} records/s"
    );
    clear_records(url).await?;

    // Baseline 2b: the same rows in batches of `in_flight` (one statement and commit per
    // batch, two batches at once, as the server's group commit writes them).
    let batches: Arc<Vec<Vec<(store::NewRegistryRecord, store::SealUse)>>> = Arc::new(
        rows.iter()
            .zip(&accepted)
            .map(|(row, a)| {
                let seal = a.signers.last().context("a seal signature")?;
                Ok((
                    row.clone(),
                    store::SealUse {
                        fingerprint: seal.fingerprint.clone(),
                        signed_at: seal.signing_time,
                    },
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()?
            .chunks(in_flight)
            .map(<[_]>::to_vec)
            .collect(),
    );
    drop(rows);
    let t = Instant::now();
    run_workers(2, batches.len(), {
        let (store, batches) = (store.clone(), batches.clone());
        move |i| {
            let (store, batches) = (store.clone(), batches.clone());
            async move {
                for outcome in store.insert_registry_records(&batches[i]).await {
                    match outcome? {
                        store::BatchIngested::Done(store::Ingested::Stored) => {}
                        other => anyhow::bail!("baseline batch {i}: {other:?}"),
                    }
                }
                Ok(())
            }
        }
    })
    .await?;
    let batch_insert_rate = n as f64 / t.elapsed().as_secs_f64();
    println!(
        "  insert alone, batches of {in_flight:>3} (one statement and commit each):     {batch_insert_rate:>8.0} records/s"
    );
    drop(batches);
    clear_records(url).await?;

    // Baseline 3: verification alone with certificate path validation cached across
    // records, as the server does it.
    let cached_trust = Arc::new(registry_server::TrustCache::new((*trust).clone()));
    let t = Instant::now();
    run_workers(in_flight, n, {
        let (docs, trust, approvals) = (docs.clone(), cached_trust.clone(), approvals.clone());
        move |i| {
            let (docs, trust, approvals) = (docs.clone(), trust.clone(), approvals.clone());
            async move {
                tokio::task::spawn_blocking(move || {
                    registry::check_record(&docs[i], &*trust, &*approvals)
                        .map(drop)
                        .map_err(|e| anyhow::anyhow!("record {i} rejected: {e}"))
                })
                .await?
            }
        }
    })
    .await?;
    let cached_verify_rate = n as f64 / t.elapsed().as_secs_f64();
    println!(
        "  verification alone (check_record), chains cached across records: {cached_verify_rate:>8.0} records/s"
    );

    // The measure: full ingest through the server's own function for `POST
    // /api/v1/records` (`registry_server::ingest_record`, the handler minus HTTP):
    // authentication, wrong-school and idempotency rules, the school's seal approvals,
    // `check_record`, receipt, storage through the group-commit queue. Then the same
    // with one insert per request, for comparison.
    let mut headers = axum::http::HeaderMap::new();
    headers.insert(
        axum::http::header::AUTHORIZATION,
        format!("Bearer {token}").parse()?,
    );
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/xml"),
    );
    let headers = Arc::new(headers);
    let bodies: Arc<Vec<axum::body::Bytes>> = Arc::new(
        docs.iter()
            .map(|d| axum::body::Bytes::from(d.clone()))
            .collect(),
    );
    let mut rates = Vec::new();
    for group_commit in [true, false] {
        let app = registry_server::AppState::new(
            store.clone(),
            registry::RegistryKey::from_pkcs8(&registry::RegistryKey::generate_pkcs8()?)?,
            (*trust).clone(),
            registry_server::Config {
                registry_name: BENCH_REGISTRY.to_owned(),
                group_commit,
                ..registry_server::Config::default()
            },
        );
        let t = Instant::now();
        run_workers(in_flight, n, {
            let (app, bodies, headers) = (app.clone(), bodies.clone(), headers.clone());
            move |i| {
                let (app, bodies, headers) = (app.clone(), bodies.clone(), headers.clone());
                async move {
                    let answer =
                        registry_server::ingest_record(&app, &headers, bodies[i].clone()).await;
                    if answer.status() != axum::http::StatusCode::OK {
                        let body = axum::body::to_bytes(answer.into_body(), 1 << 16).await?;
                        anyhow::bail!("record {i}: {}", String::from_utf8_lossy(&body));
                    }
                    Ok(())
                }
            }
        })
        .await?;
        let rate = n as f64 / t.elapsed().as_secs_f64();
        println!(
            "  full ingest ({}):{:>w$.0} records/s",
            if group_commit {
                "registry_server::ingest_record, group commit"
            } else {
                "registry_server::ingest_record, one insert per request"
            },
            rate,
            w = if group_commit { 19 } else { 12 }
        );
        rates.push(rate);
        drop(app);
        let stored = count_records(url).await?;
        if stored != n as i64 {
            anyhow::bail!("{stored} records stored of {n} ingested");
        }
        clear_records(url).await?;
    }
    let (ingest_rate, single_rate) = (rates[0], rates[1]);
    store.close().await;

    println!(
        "  full ingest = {:.2} × verification alone (uncached), {:.2} × the insert alone, {:.2} × one insert per request; target ≥ 3,000 records/s: {:.2} ×",
        ingest_rate / verify_rate,
        ingest_rate / insert_rate,
        ingest_rate / single_rate,
        ingest_rate / 3000.0
    );
    Ok(ExitCode::SUCCESS)
}

/// Rows of `registry_records`.
async fn count_records(url: &str) -> anyhow::Result<i64> {
    use sqlx::Connection as _;
    let mut c = sqlx::PgConnection::connect(url).await?;
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM registry_records")
        .fetch_one(&mut c)
        .await?;
    Ok(n)
}

/// Runs `job(i)` for every `i < n` on `tasks` tasks (each takes the next index), and
/// returns the results in index order.
async fn run_workers<T, F, Fut>(tasks: usize, n: usize, job: F) -> anyhow::Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<T>> + Send + 'static,
{
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (next, job) = (next.clone(), job.clone());
        handles.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                out.push((i, job(i).await?));
            }
            anyhow::Ok(out)
        }));
    }
    let mut all = Vec::with_capacity(n);
    for h in handles {
        all.extend(h.await??);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, v)| v).collect())
}

async fn approvals_of(store: &Store, school: &str) -> anyhow::Result<registry::ApprovedSeals> {
    let mut approvals = registry::ApprovedSeals::new();
    for a in store.seal_approvals(school).await? {
        approvals.approve(
            &a.school_code,
            &a.fingerprint,
            a.approved_from,
            a.approved_until,
        );
    }
    Ok(approvals)
}

fn new_row(
    a: &registry::Accepted,
    doc: &[u8],
    key: &registry::RegistryKey,
    received_at: i64,
) -> anyhow::Result<store::NewRegistryRecord> {
    let receipt = key.sign(&registry::Receipt {
        registry: BENCH_REGISTRY.to_owned(),
        record_id: a.record_id.to_string(),
        version: a.version,
        digest: a.digest.clone(),
        received_at,
    });
    Ok(store::NewRegistryRecord {
        student_code: a.student.clone(),
        record_id: a.record_id.to_string(),
        version: a.version,
        digest: a.digest.clone(),
        school_code: a.school_code.clone(),
        year: a.year,
        grade: a.grade,
        supersedes_id: a.supersedes.map(|s| s.to_string()),
        xml: String::from_utf8(doc.to_vec()).context("records are UTF-8")?,
        received_at,
        receipt,
    })
}

/// Empties the records table between the insert baseline and the measure.
async fn clear_records(url: &str) -> anyhow::Result<()> {
    use sqlx::Connection as _;
    let mut c = sqlx::PgConnection::connect(url).await?;
    sqlx::query("TRUNCATE registry_records CASCADE")
        .execute(&mut c)
        .await?;
    sqlx::query("VACUUM ANALYZE registry_records")
        .execute(&mut c)
        .await?;
    Ok(())
}

/// `url` with its database name replaced by `name`, query string kept.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let prefix = base.rsplit_once('/').map_or(base, |(p, _)| p);
    format!("{prefix}/{name}{query}")
}
