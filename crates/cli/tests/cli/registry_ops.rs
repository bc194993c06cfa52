//! The registry operator (STORIES #26): `hocba registry stats` counts what was stored and
//! refused exactly; a PostgreSQL backup made with the real `pg_dump -Fc` and restored with
//! `pg_restore` into a fresh database passes `hocba registry check-store`, which then
//! names a row whose XML was changed behind its back and fails every receipt under a
//! wrong key. The same commands on a SQLite registry, with a `VACUUM INTO` copy.
//!
//! Records are stored through the store functions the ingest API uses, with receipts
//! signed by a registry key written to a file as `hocba registry --key` reads it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use sqlx::Connection;
use store::{NewCertificate, NewRegistryRecord, NewRegistrySchool, NewRevocation, Store};

use crate::support::hocba;

const PG_DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The records of the fixture stored inside a 24-hour window, and in all.
const IN_WINDOW: usize = 5;
const TOTAL: usize = 6;

#[test]
fn stats_and_check_store_on_a_restored_postgres_registry() {
    let f = Fixture::new();
    let pg = PgDatabases::new();
    let original = pg.create("orig");
    let ids = f.rt.block_on(seed(&original, &f.key));
    assert_eq!(ids.len(), TOTAL);

    // `stats --json` counts exactly what was stored and refused.
    assert_stats(&original);
    let out = run_ok(&["registry", "stats", "--db", &original]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Busiest hour:"), "{text}");
    assert!(text.contains("signature"), "{text}");
    assert!(
        text.contains("Schools that sent nothing in the window: 79000003"),
        "{text}"
    );

    // Backup with the real pg_dump, restore with the real pg_restore into a new database.
    let dump = f.dir.path().join("registry.dump");
    let status = Command::new("pg_dump")
        .args(["--format=custom", "--file"])
        .arg(&dump)
        .arg(format!("--dbname={original}"))
        .status()
        .expect("pg_dump is installed (Debian postgresql-client, installed by scripts/test)");
    assert!(status.success(), "pg_dump failed");
    let restored = pg.create("restored");
    let out = Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error"])
        .arg(format!("--dbname={restored}"))
        .arg(&dump)
        .output()
        .expect("pg_restore is installed (Debian postgresql-client, installed by scripts/test)");
    assert!(
        out.status.success(),
        "pg_restore: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The restored registry: same counts, every record intact.
    assert_stats(&restored);
    let out = f.check(&restored, &["--key", path_str(&f.key_file)]);
    assert_eq!(stdout(&out), format!("OK: {TOTAL} records\n"));
    assert_eq!(out.status.code(), Some(0));
    let out = f.check(&restored, &["--key-public", &f.key_hex, "--page-size", "2"]);
    assert_eq!(stdout(&out), format!("OK: {TOTAL} records\n"));

    // One row's XML changed with SQL: exit 1, that record and only it is named.
    let victim = &ids[3];
    f.tamper(&restored, victim);
    let out = f.check(&restored, &["--key-public", &f.key_hex, "--page-size", "4"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    let bad: Vec<&str> = text.lines().filter(|l| l.starts_with("BAD ")).collect();
    assert_eq!(bad.len(), 1, "{text}");
    assert!(
        bad[0].starts_with(&format!("BAD {victim}: SHA-256 of the stored XML")),
        "{text}"
    );
    assert_eq!(
        text.lines().last(),
        Some(format!("BAD: 1 of {TOTAL} records failed the check").as_str())
    );
    // The original database is untouched by the restore and the change.
    let out = f.check(&original, &["--key-public", &f.key_hex]);
    assert_eq!(stdout(&out), format!("OK: {TOTAL} records\n"));

    // A wrong public key: every receipt fails.
    let other =
        registry::RegistryKey::from_pkcs8(&registry::RegistryKey::generate_pkcs8().expect("a key"))
            .unwrap()
            .public_hex();
    let out = f.check(&original, &["--key-public", &other]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    for id in &ids {
        assert!(
            text.contains(&format!(
                "BAD {id}: receipt: receipt signed by an unexpected key"
            )),
            "{id} not named: {text}"
        );
    }
    assert!(text.ends_with(&format!(
        "BAD: {TOTAL} of {TOTAL} records failed the check\n"
    )));
}

#[test]
fn stats_and_check_store_on_a_sqlite_registry_and_its_copy() {
    let f = Fixture::new();
    let db = format!(
        "sqlite://{}?mode=rwc",
        f.dir.path().join("registry.sqlite3").display()
    );
    let ids = f.rt.block_on(seed(&db, &f.key));
    assert_stats(&db);

    // The documented SQLite backup: `VACUUM INTO` a new file, then check the copy.
    let copy_path = f.dir.path().join("copy.sqlite3");
    f.rt.block_on(async {
        let store = Store::open(&db).await.unwrap();
        store
            .execute_raw_for_tests(&format!("VACUUM INTO '{}'", copy_path.display()))
            .await
            .unwrap();
        store.close().await;
    });
    let copy = format!("sqlite://{}", copy_path.display());
    assert_stats(&copy);
    let out = f.check(
        &copy,
        &["--key", path_str(&f.key_file), "--progress-every", "2"],
    );
    assert_eq!(stdout(&out), format!("OK: {TOTAL} records\n"));
    assert_eq!(out.status.code(), Some(0));
    // A progress line on stderr every 2 records.
    let progress = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("checked "))
        .count();
    assert_eq!(progress, TOTAL / 2);

    let victim = &ids[0];
    f.tamper(&copy, victim);
    let out = f.check(&copy, &["--key-public", &f.key_hex]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert_eq!(text.lines().filter(|l| l.starts_with("BAD ")).count(), 1);
    assert!(text.contains(&format!("BAD {victim}: SHA-256 of the stored XML")));

    // Usage and database errors exit 2.
    let out = hocba(&["registry", "check-store", "--db", &db]);
    assert_eq!(out.status.code(), Some(2));
    let out = hocba(&[
        "registry",
        "check-store",
        "--db",
        &db,
        "--key-public",
        "not-hex",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = hocba(&[
        "registry",
        "check-store",
        "--db",
        &format!("sqlite://{}", f.dir.path().display()),
        "--key-public",
        &f.key_hex,
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn records_ingested_over_http_pass_the_full_check_until_forged() {
    let f = Fixture::new();
    let now = unix_now();
    let pki = pki::demo_pki(now - 86_400).expect("demo PKI");
    let trust_file = f.dir.path().join("roots.pem");
    std::fs::write(&trust_file, pki.root_pem()).unwrap();
    let db = format!(
        "sqlite://{}?mode=rwc",
        f.dir.path().join("registry.sqlite3").display()
    );
    let example = record::examples::thpt();
    let school = registry_server::SchoolEntry {
        code: example.school.code.to_string(),
        name: example.school.name.to_string(),
        level: example.school.level,
        authority: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh".to_owned(),
    };
    let doc = signed(&pki, &example, now - 600);
    let text = String::from_utf8(doc.clone()).unwrap();
    let at = text.find("<HoVaTen>").unwrap() + "<HoVaTen>".len();
    let forged = format!("{}X{}", &text[..at], &text[at + 1..]);

    // The registry's real HTTP API on a loopback port, fed one record and one forgery.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (addr, token) = server_rt.block_on(async {
        let store = Store::open(&db).await.unwrap();
        let token = registry_server::add_school(&store, &school, now - 3600)
            .await
            .unwrap();
        registry_server::approve_seal(
            &store,
            &school.code,
            &pki.seal.cert_der,
            "Sở GDĐT TP.HCM",
            now - 3600,
        )
        .await
        .unwrap();
        let trust = pki::TrustStore::from_pem_bundle(pki.root_pem().as_bytes()).unwrap();
        let key = registry::RegistryKey::from_pkcs8(&std::fs::read(&f.key_file).unwrap()).unwrap();
        let state =
            registry_server::AppState::new(store, key, trust, registry_server::Config::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(
                listener,
                registry_server::router(state)
                    .into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
        });
        (addr, token)
    });
    let (status, body) = post_record(addr, &token, doc.as_slice());
    assert_eq!(status, 200, "{body}");
    let (status, body) = post_record(addr, &token, forged.as_bytes());
    assert_eq!(status, 422, "{body}");
    drop(server_rt);

    let out = run_ok(&["registry", "stats", "--db", &db, "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["stored"]["in_window"], 1);
    // The server notes the refusal under the record check's own code: a changed name
    // breaks the data digest the signatures cover.
    assert_eq!(v["rejections"]["attempts"], 1);
    let by_code = v["rejections"]["by_code"].as_array().unwrap();
    assert_eq!(by_code.len(), 1, "{v:#}");
    assert_eq!(
        (
            &by_code[0]["code"],
            &by_code[0]["attempts"],
            &by_code[0]["documents"]
        ),
        (&json!("signature"), &json!(1), &json!(1))
    );
    assert_eq!(v["silent_schools"], json!([]));

    let trust = path_str(&trust_file);
    let key = path_str(&f.key_file);
    let out = f.check(&db, &["--key", key, "--full", "--trust", trust]);
    assert_eq!(stdout(&out), "OK: 1 records\n");
    // --full needs the trust list.
    assert_eq!(
        f.check(&db, &["--key", key, "--full"]).status.code(),
        Some(2)
    );

    // Someone holding the registry key rewrites the row consistently: new XML, its digest,
    // a receipt naming it. The simple checks cannot see it; the full check can.
    let digest = hex::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        forged.as_bytes(),
    ));
    let record_id = example.id.to_string();
    let receipt = f.key.sign(&registry::Receipt {
        registry: "CSDL học bạ số".to_owned(),
        record_id: record_id.clone(),
        version: example.version.get(),
        digest: digest.clone(),
        received_at: now,
    });
    f.rt.block_on(async {
        let store = Store::open(&db).await.unwrap();
        let sql = format!(
            "UPDATE registry_records SET xml = '{}', digest = '{digest}', receipt = '{}' \
             WHERE record_id = '{record_id}'",
            forged.replace('\'', "''"),
            receipt.replace('\'', "''")
        );
        assert_eq!(store.execute_raw_for_tests(&sql).await.unwrap(), 1);
        store.close().await;
    });
    let out = f.check(&db, &["--key", key]);
    assert_eq!(stdout(&out), "OK: 1 records\n");
    let out = f.check(&db, &["--key", key, "--full", "--trust", trust]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with(&format!("BAD {record_id}: record check [signature]")),
        "{}",
        stdout(&out)
    );
}

/// A temporary directory, a runtime, and the registry's receipt key (file and public hex).
struct Fixture {
    dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    key: registry::RegistryKey,
    key_file: PathBuf,
    key_hex: String,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let der = registry::RegistryKey::generate_pkcs8().expect("registry key");
        let key_file = dir.path().join("registry.pk8");
        std::fs::write(&key_file, &der).unwrap();
        let key = registry::RegistryKey::from_pkcs8(&der).unwrap();
        let key_hex = key.public_hex();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Fixture {
            dir,
            rt,
            key,
            key_file,
            key_hex,
        }
    }

    /// `hocba registry check-store --db DB` with `extra` arguments.
    fn check(&self, db: &str, extra: &[&str]) -> Output {
        let mut args = vec!["registry", "check-store", "--db", db];
        args.extend_from_slice(extra);
        hocba(&args)
    }

    /// Changes the stored XML of `record_id` with plain SQL, as a damaged restore would.
    fn tamper(&self, db: &str, record_id: &str) {
        self.rt.block_on(async {
            let store = Store::open(db).await.unwrap();
            let changed = store
                .execute_raw_for_tests(&format!(
                    "UPDATE registry_records SET xml = replace(xml, '8,5', '9,5') \
                     WHERE record_id = '{record_id}'"
                ))
                .await
                .unwrap();
            assert_eq!(changed, 1);
            store.close().await;
        });
    }
}

/// Stores the fixture: three schools (one sends records, one only refused documents, one
/// nothing), five records received a minute ago and one three days ago, one of them
/// revoked and one with a pending revocation request, three refusals of two documents,
/// one certificate waiting for approval. Returns the record ids, in key order.
async fn seed(db: &str, key: &registry::RegistryKey) -> Vec<String> {
    let store = Store::open(db).await.unwrap();
    let now = unix_now();
    for (code, token) in [("79000001", 'a'), ("79000002", 'b'), ("79000003", 'c')] {
        store
            .insert_registry_school(&NewRegistrySchool {
                code: code.to_owned(),
                name: format!("Trường THPT {code}"),
                level: domain::Level::UpperSecondary,
                authority: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh".to_owned(),
                token_sha256: std::iter::repeat_n(token, 64).collect(),
                created_at: now - 30 * 86_400,
            })
            .await
            .unwrap();
    }
    let mut ids = Vec::new();
    for n in 1..=TOTAL as u32 {
        let received_at = if n as usize <= IN_WINDOW {
            now - 60
        } else {
            now - 3 * 86_400
        };
        let record_id = format!("0000000{n}-0000-8000-8000-00000000000{n}");
        let xml = format!(
            "<HocBa xmlns=\"urn:hocba:record:1\"><DuLieu Id=\"data\"><HoTen>Nguyễn Thị Thu Hà \
             {n}</HoTen><Diem>8,5</Diem></DuLieu></HocBa>"
        );
        let digest = hex::encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            xml.as_bytes(),
        ));
        let receipt = key.sign(&registry::Receipt {
            registry: "CSDL học bạ số".to_owned(),
            record_id: record_id.clone(),
            version: 1,
            digest: digest.clone(),
            received_at,
        });
        let ingested = store
            .insert_registry_record(&NewRegistryRecord {
                student_code: student(n),
                record_id: record_id.clone(),
                version: 1,
                digest,
                school_code: "79000001".to_owned(),
                year: domain::SchoolYear::starting(2025).unwrap(),
                grade: domain::Grade::new(10).unwrap(),
                supersedes_id: None,
                xml,
                received_at,
                receipt,
            })
            .await
            .unwrap();
        assert_eq!(ingested, store::Ingested::Stored);
        ids.push(record_id);
    }
    store
        .revoke_registry_record(&student(2), &ids[1], now - 30, "Nhập nhầm điểm môn Toán")
        .await
        .unwrap();
    store
        .insert_revocation(&NewRevocation {
            student_code: student(3),
            record_id: ids[2].clone(),
            school_code: "79000001".to_owned(),
            reason: "Sai ngày sinh".to_owned(),
            requested_at: now - 20,
        })
        .await
        .unwrap();
    let refused: String = std::iter::repeat_n('d', 64).collect();
    let other: String = std::iter::repeat_n('e', 64).collect();
    for (digest, code) in [
        (&refused, "signature"),
        (&refused, "signature"),
        (&other, "seal-not-approved"),
    ] {
        store
            .record_rejection("79000002", digest, Some((2025, 10)), code, now - 10)
            .await
            .unwrap();
    }
    store
        .submit_certificate(&NewCertificate {
            school_code: "79000003".to_owned(),
            fingerprint: std::iter::repeat_n('f', 64).collect(),
            subject: "CN=Dấu Trường THPT 79000003".to_owned(),
            issuer: "CN=Hocba Demo School CA".to_owned(),
            not_before: now - 86_400,
            not_after: now + 365 * 86_400,
            pem: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n".to_owned(),
            submitted_at: now - 5,
        })
        .await
        .unwrap();
    store.close().await;
    ids
}

/// `stats --json` on `db` reports exactly what [`seed`] stored.
fn assert_stats(db: &str) {
    let out = run_ok(&["registry", "stats", "--db", db, "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["window"]["hours"], 24);
    assert_eq!(
        v["window"]["until"].as_i64().unwrap() - v["window"]["since"].as_i64().unwrap(),
        24 * 3600
    );
    assert_eq!(v["stored"]["in_window"], IN_WINDOW);
    assert_eq!(v["stored"]["total"], TOTAL);
    let hourly = v["stored"]["hourly"].as_array().unwrap();
    assert_eq!(hourly.len(), 1, "{v:#}");
    assert_eq!(hourly[0]["records"], IN_WINDOW);
    assert_eq!(v["stored"]["busiest_hour"]["records"], IN_WINDOW);
    assert_eq!(
        v["stored"]["busiest_hour"]["hour_start"],
        hourly[0]["hour_start"]
    );
    let rate = v["stored"]["busiest_hour"]["per_second"].as_f64().unwrap();
    assert!((rate - IN_WINDOW as f64 / 3600.0).abs() < 1e-9, "{rate}");
    assert_eq!(
        v["rejections"],
        json!({
            "attempts": 3,
            "by_code": [
                { "code": "seal-not-approved", "attempts": 1, "documents": 1 },
                { "code": "signature", "attempts": 2, "documents": 1 },
            ],
        })
    );
    assert_eq!(v["pending"], json!({ "certificates": 1, "revocations": 1 }));
    assert_eq!(v["silent_schools"], json!(["79000003"]));
}

/// PostgreSQL databases created for one test and dropped after it, even when it fails.
struct PgDatabases {
    admin_url: String,
    rt: tokio::runtime::Runtime,
    names: std::cell::RefCell<Vec<String>>,
}

impl PgDatabases {
    fn new() -> PgDatabases {
        PgDatabases {
            admin_url: std::env::var("HOCBA_TEST_PG_URL")
                .unwrap_or_else(|_| PG_DEFAULT_URL.to_owned()),
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            names: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// Creates an empty database and returns its URL.
    fn create(&self, label: &str) -> String {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("hocba_ops_{label}_{}_{nanos}", std::process::id());
        self.rt.block_on(async {
            let mut admin = sqlx::PgConnection::connect(&self.admin_url)
                .await
                .unwrap_or_else(|e| {
                    panic!("these tests need PostgreSQL at {}: {e}", self.admin_url)
                });
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'"
            )))
            .execute(&mut admin)
            .await
            .expect("CREATE DATABASE");
        });
        self.names.borrow_mut().push(name.clone());
        with_database(&self.admin_url, &name)
    }
}

impl Drop for PgDatabases {
    fn drop(&mut self) {
        let names = self.names.take();
        self.rt.block_on(async {
            if let Ok(mut admin) = sqlx::PgConnection::connect(&self.admin_url).await {
                for name in names {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await;
                }
            }
        });
    }
}

/// A record signed GVCN → HT → DAU with the demo PKI, a minute apart from `at`.
fn signed(pki: &pki::DemoPki, r: &record::Record, at: i64) -> Vec<u8> {
    let sign = |doc: &[u8], id: &pki::DemoIdentity, role: &str, at: i64| {
        let signer =
            xmldsig::SoftwareSigner::from_parts(&id.key_pkcs8_der, id.chain.clone()).unwrap();
        let props = xmldsig::SignatureProperties {
            signing_time: at,
            role: role.into(),
            signer_name: None,
        };
        xmldsig::sign_next(doc, &registry::layout(), &signer, &props).unwrap()
    };
    let s1 = sign(&r.to_xml(), &pki.gvcn, "GVCN", at);
    let s2 = sign(&s1, &pki.ht, "HT", at + 60);
    sign(&s2, &pki.seal, "DAU", at + 120)
}

/// `POST /api/v1/records` over plain HTTP/1.1: the status code and the body.
fn post_record(addr: std::net::SocketAddr, token: &str, body: &[u8]) -> (u16, String) {
    use std::io::{Read as _, Write as _};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST /api/v1/records HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    let status = response
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response}"));
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

fn run_ok(args: &[&str]) -> Output {
    let out = hocba(args);
    assert!(
        out.status.success(),
        "hocba {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

fn student(n: u32) -> domain::StudentCode {
    format!("79{n:018}").parse().expect("student code")
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

fn unix_now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}
