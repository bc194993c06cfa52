//! `hocba bench year-end`: the year end of one large school, as the school server does it
//! — read every student's inputs, compute, build the record, sign it GVCN → HT → DAU
//! (verifying the chain before each later signature), store every transition with its
//! audit entry — timed per phase and printed beside the raw RSA limit measured in the
//! same run. A benchmark, not a test: nothing here asserts a time.

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

/// `hocba bench …`
#[derive(Subcommand)]
pub enum Command {
    /// Year end of one THPT school: compute, build, sign the three-signature chain, store.
    YearEnd(YearEndArgs),
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
