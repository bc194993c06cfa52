//! Fault tolerance of the sync to the national registry (issue 6 item 7), with the real
//! binaries: a school server (`hocba serve`, SQLite) whose outbox holds sealed records of
//! the demo THPT school, and a registry (`hocba registry`, on a PostgreSQL database
//! created for the test and dropped after). Each test breaks something while records
//! are on their way — kill -9 of the school server, kill -9 of the registry, a registry
//! that is down for a while, a PostgreSQL restart — then checks that every sealed record
//! ends in the registry exactly once and that the school holds, for each, the receipt
//! the registry stored.
//!
//! Synchronisation is by polling state (outbox entries, registry rows) with a bounded
//! timeout, never by fixed sleeps. The school server runs with `--registry-retry-secs 1
//! --registry-lease-secs 2` so that retries and the re-claim after a crash happen within
//! seconds instead of the production 5 s / 300 s.
//!
//! `scripts/test` runs these in their own step after the other tests (they start
//! processes and a PostgreSQL cluster of their own for the restart case); run them alone
//! with `cargo nextest run -p hocba --test cli -E 'test(/^fault::/)'`.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::{Connection, Row};
use store::{
    Actor, AuditStamp, AuditTime, ClassReview, EnrolmentKey, NewSignature, OutboxState,
    RecordState, ReviewedRecord, SignerEntry, Store,
};
use xmldsig::{SignatureProperties, SoftwareSigner};

/// How long any awaited state may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(60);
/// How often state is polled while waiting.
const POLL: Duration = Duration::from_millis(20);

#[test]
fn registry_down_for_a_while_then_the_sender_catches_up() {
    let mut s = Scenario::new("down");
    // No registry yet: every entry fails, at least twice (backoff 1 s, then 2 s).
    s.start_school();
    s.wait_school("every entry has failed twice", |entries| {
        entries
            .iter()
            .all(|e| e.attempts >= 2 && e.last_error.is_some() && e.state != OutboxState::Accepted)
    });
    eprintln!(
        "{} sealed records, every one failed at least twice; starting the registry",
        s.sealed
    );
    s.start_registry();
    s.assert_all_synced_exactly_once();
}

#[test]
fn kill_9_of_the_school_server_while_it_sends() {
    let mut s = Scenario::new("school-kill");
    s.start_registry();
    s.start_school();
    s.wait_registry("the first records arrive", |n| n >= 1);
    s.kill_school();
    let at_kill = s.accepted_at_school();
    assert!(
        at_kill < s.sealed,
        "the kill came after the last receipt ({at_kill} of {}): nothing was tested",
        s.sealed
    );
    eprintln!(
        "school server killed with {at_kill} of {} receipts stored, {} in the registry",
        s.sealed,
        s.registry_rows()
    );
    s.start_school();
    s.assert_all_synced_exactly_once();
}

#[test]
fn kill_9_of_the_registry_mid_ingest() {
    let mut s = Scenario::new("registry-kill");
    s.start_registry();
    s.start_school();
    s.wait_registry("the first records arrive", |n| n >= 1);
    s.kill_registry();
    let stored = s.registry_rows();
    assert!(
        stored < s.sealed,
        "the kill came after the last record ({stored} of {}): nothing was tested",
        s.sealed
    );
    eprintln!(
        "registry killed with {stored} of {} records stored",
        s.sealed
    );
    // The sender meets a dead registry for a while: entries fail and are retried.
    s.wait_school("a send fails against the dead registry", |entries| {
        entries.iter().any(|e| e.last_error.is_some())
    });
    s.start_registry();
    s.assert_all_synced_exactly_once();
}

#[test]
fn postgresql_restart_during_ingest() {
    // Never the shared server: a throwaway cluster of this test's own.
    let cluster = Cluster::start();
    let mut s = Scenario::on(&cluster.admin_url(), "pg-restart");
    s.start_registry();
    s.start_school();
    s.wait_registry("the first records arrive", |n| n >= 1);
    cluster.restart();
    let stored = s.registry_rows();
    eprintln!(
        "PostgreSQL restarted with {stored} of {} records stored",
        s.sealed
    );
    s.assert_all_synced_exactly_once();
    drop(s);
    drop(cluster);
}

/// One school server, one registry, their files and database.
struct Scenario {
    dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    admin_url: String,
    db_name: String,
    pg_url: String,
    school_db: String,
    school_store: Store,
    school_id: store::SchoolId,
    school_code: String,
    /// Sealed records queued in the outbox: student code → digest.
    queued: BTreeMap<String, String>,
    sealed: usize,
    registry_port: u16,
    school_port: u16,
    key_hex: String,
    token: Option<String>,
    registry: Option<Child>,
    school: Option<Child>,
    starts: usize,
}

impl Scenario {
    fn new(name: &str) -> Scenario {
        let admin = std::env::var("HOCBA_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        Scenario::on(&admin, name)
    }

    fn on(admin_url: &str, name: &str) -> Scenario {
        let dir = tempfile::tempdir().expect("temp dir");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let now = unix_now();

        // The demo PKI, as files for the registry (trust root, approved seal).
        let pki = pki::demo_pki(now - 86_400).expect("demo PKI");
        let pki_dir = dir.path().join("pki");
        std::fs::create_dir_all(&pki_dir).unwrap();
        for f in pki.files().expect("PKI files") {
            std::fs::write(pki_dir.join(&f.name), &f.contents).unwrap();
        }
        let key_der = registry::RegistryKey::generate_pkcs8().expect("registry key");
        std::fs::write(dir.path().join("registry.pk8"), &key_der).unwrap();
        let key_hex = registry::RegistryKey::from_pkcs8(&key_der)
            .unwrap()
            .public_hex();

        // The school: demo data, then one THPT school's records sealed into the outbox.
        let school_db = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("school.sqlite").display()
        );
        run_ok(&["demo", "seed", "--db", &school_db]);
        let school_code = demo::generate(demo::DEFAULT_SEED)
            .schools
            .into_iter()
            .find(|s| s.level == domain::Level::UpperSecondary)
            .expect("a THPT demo school")
            .code;
        let (school_store, school_id, queued) =
            rt.block_on(seal_school(&school_db, &school_code, &pki, now));
        let sealed = queued.len();
        assert!(sealed >= 20, "only {sealed} records sealed");

        // The registry's database.
        let db_name = format!(
            "hocba_fault_{}_{}_{}",
            name.replace('-', "_"),
            std::process::id(),
            now
        );
        rt.block_on(async {
            let mut admin = sqlx::PgConnection::connect(admin_url)
                .await
                .unwrap_or_else(|e| panic!("fault tests need PostgreSQL at {admin_url}: {e}"));
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE {db_name} TEMPLATE template0 ENCODING 'UTF8'"
            )))
            .execute(&mut admin)
            .await
            .expect("CREATE DATABASE");
        });
        let pg_url = with_database(admin_url, &db_name);
        Scenario {
            dir,
            rt,
            admin_url: admin_url.to_owned(),
            db_name,
            pg_url,
            school_db,
            school_store,
            school_id,
            school_code,
            queued,
            sealed,
            registry_port: free_port(),
            school_port: free_port(),
            key_hex,
            token: None,
            registry: None,
            school: None,
            starts: 0,
        }
    }

    fn log(&mut self, what: &str) -> (PathBuf, File) {
        self.starts += 1;
        let path = self.dir.path().join(format!("{}-{what}.log", self.starts));
        let file = File::create(&path).expect("log file");
        (path, file)
    }

    /// Starts (or restarts) the registry on its fixed port and waits until it listens.
    fn start_registry(&mut self) {
        assert!(self.registry.is_none(), "registry already running");
        let (path, log) = self.log("registry");
        let d = self.dir.path();
        let child = Command::new(env!("CARGO_BIN_EXE_hocba"))
            .arg("registry")
            .args(["--db", &self.pg_url])
            .args(["--listen", &format!("127.0.0.1:{}", self.registry_port)])
            .arg("--key")
            .arg(d.join("registry.pk8"))
            .arg("--trust")
            .arg(d.join("pki/root.pem"))
            .arg("--demo")
            .arg("--demo-pki")
            .arg(d.join("pki"))
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("hocba registry starts");
        self.registry = Some(child);
        let port = self.registry_port;
        wait_for(
            &format!("the registry to listen ({})", path.display()),
            || TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok(),
        );
        if self.token.is_none() {
            let text = std::fs::read_to_string(&path).unwrap();
            let prefix = format!("demo school {}: API token ", self.school_code);
            let token = text
                .lines()
                .find_map(|l| l.strip_prefix(&prefix))
                .unwrap_or_else(|| panic!("no token for {} in:\n{text}", self.school_code));
            self.token = Some(token.trim().to_owned());
        }
    }

    /// Starts (or restarts) the school server with the sender, fast retries and a short
    /// lease.
    fn start_school(&mut self) {
        assert!(self.school.is_none(), "school server already running");
        let (path, log) = self.log("school");
        // A school started before the registry ever ran gets its token up front.
        let token = match self.token.clone() {
            Some(t) => t,
            None => self.register_school_up_front(),
        };
        let child = Command::new(env!("CARGO_BIN_EXE_hocba"))
            .arg("serve")
            .args(["--db", &self.school_db])
            .args(["--listen", &format!("127.0.0.1:{}", self.school_port)])
            .args([
                "--registry-url",
                &format!("http://127.0.0.1:{}", self.registry_port),
            ])
            .args(["--registry-token-env", "HOCBA_FAULT_TOKEN"])
            .args(["--registry-key", &self.key_hex])
            .args(["--registry-retry-secs", "1", "--registry-lease-secs", "2"])
            .env("HOCBA_FAULT_TOKEN", token)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("hocba serve starts");
        self.school = Some(child);
        let port = self.school_port;
        wait_for(
            &format!("the school server to listen ({})", path.display()),
            || TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok(),
        );
    }

    /// For a school that starts before the registry ever ran: add the school and approve
    /// its seal with the operator commands, as a real deployment does, and use that
    /// token. The registry's `--demo-pki` later finds the school present and keeps it.
    fn register_school_up_front(&mut self) -> String {
        let school = demo::generate(demo::DEFAULT_SEED)
            .schools
            .into_iter()
            .find(|s| s.code == self.school_code)
            .unwrap();
        let out = run_ok(&[
            "registry",
            "add-school",
            "--db",
            &self.pg_url,
            "--code",
            &school.code,
            "--name",
            &school.name,
            "--level",
            school.level.code(),
            "--authority",
            &school.supervisor,
        ]);
        let token = out
            .lines()
            .last()
            .expect("the token line")
            .trim()
            .to_owned();
        let cert = self
            .dir
            .path()
            .join(format!("pki/seal-{}.cert.pem", school.code));
        run_ok(&[
            "registry",
            "approve-seal",
            "--db",
            &self.pg_url,
            "--school",
            &school.code,
            "--cert",
            cert.to_str().unwrap(),
        ]);
        self.token = Some(token.clone());
        token
    }

    fn kill_school(&mut self) {
        let mut child = self.school.take().expect("school server running");
        child.kill().expect("kill -9");
        child.wait().unwrap();
    }

    fn kill_registry(&mut self) {
        let mut child = self.registry.take().expect("registry running");
        child.kill().expect("kill -9");
        child.wait().unwrap();
    }

    fn outbox(&self) -> Vec<store::OutboxEntry> {
        self.rt
            .block_on(self.school_store.outbox_of_school(self.school_id))
            .expect("read the outbox")
    }

    fn accepted_at_school(&self) -> usize {
        self.outbox()
            .iter()
            .filter(|e| e.state == OutboxState::Accepted)
            .count()
    }

    /// Rows in the registry; 0 while the registry's tables do not exist yet.
    fn registry_rows(&self) -> usize {
        self.rt.block_on(async {
            let Ok(mut c) = sqlx::PgConnection::connect(&self.pg_url).await else {
                return 0;
            };
            sqlx::query("SELECT count(*) AS n FROM registry_records")
                .fetch_one(&mut c)
                .await
                .map_or(0, |r| usize::try_from(r.get::<i64, _>("n")).unwrap())
        })
    }

    fn wait_school(&self, what: &str, cond: impl Fn(&[store::OutboxEntry]) -> bool) {
        wait_for(what, || cond(&self.outbox()));
    }

    fn wait_registry(&self, what: &str, cond: impl Fn(usize) -> bool) {
        wait_for(what, || cond(self.registry_rows()));
    }

    /// Waits until the school holds a receipt for every sealed record, then checks
    /// exactly-once: one registry row per digest, the registry's rows are exactly the
    /// sealed records, and each receipt at the school is the one the registry stored.
    fn assert_all_synced_exactly_once(&self) {
        let total = self.sealed;
        wait_for(
            &format!("receipts for all {total} records at the school"),
            || self.accepted_at_school() == total,
        );
        let outbox = self.outbox();
        assert_eq!(outbox.len(), total, "one outbox entry per sealed record");
        let rows: Vec<(String, String, String, i64)> = self.rt.block_on(async {
            let mut c = sqlx::PgConnection::connect(&self.pg_url).await.unwrap();
            sqlx::query(
                "SELECT r.student_code, r.digest, r.receipt, \
                 (SELECT count(*) FROM registry_records x WHERE x.digest = r.digest) AS n \
                 FROM registry_records r",
            )
            .fetch_all(&mut c)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect()
        });
        assert_eq!(rows.len(), total, "registry rows = sealed records");
        let mut in_registry = BTreeMap::new();
        for (student, digest, receipt, n) in rows {
            assert_eq!(n, 1, "digest {digest} stored {n} times");
            assert!(
                in_registry
                    .insert(student.clone(), (digest, receipt))
                    .is_none(),
                "student {student} stored twice"
            );
        }
        for e in &outbox {
            let student = e.student.to_string();
            assert_eq!(self.queued.get(&student), Some(&e.digest));
            let (digest, receipt) = in_registry
                .get(&student)
                .unwrap_or_else(|| panic!("{student} is not in the registry"));
            assert_eq!(digest, &e.digest, "{student}: other bytes in the registry");
            assert_eq!(
                e.receipt.as_deref(),
                Some(receipt.as_str()),
                "{student}: the school's receipt is not the one the registry stored"
            );
            registry::verify_receipt(receipt, &self.key_hex)
                .unwrap_or_else(|err| panic!("{student}: receipt does not verify: {err}"));
        }
        let synced = self.rt.block_on(async {
            let mut n = 0;
            for student in self.queued.keys() {
                let code: domain::StudentCode = student.parse().unwrap();
                let records = self.school_store.records_of_student(&code).await.unwrap();
                n += records
                    .iter()
                    .filter(|r| r.state == RecordState::Synced)
                    .count();
            }
            n
        });
        assert_eq!(
            synced, total,
            "every sealed record is marked synced at the school"
        );
    }
}

impl Drop for Scenario {
    fn drop(&mut self) {
        for child in [self.school.take(), self.registry.take()]
            .into_iter()
            .flatten()
        {
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            for entry in std::fs::read_dir(self.dir.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "log") {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    let tail: Vec<&str> = text.lines().rev().take(30).collect();
                    eprintln!("--- {} (last lines)", path.display());
                    for l in tail.into_iter().rev() {
                        eprintln!("{l}");
                    }
                }
            }
        }
        let (admin_url, db_name) = (self.admin_url.clone(), self.db_name.clone());
        self.rt.block_on(async {
            if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await;
            }
        });
    }
}

/// Builds, reviews and signs GVCN → HT → DAU every signable record of the school's
/// students, as the school server does on "Ký duyệt" and "Đóng dấu số": the seal queues
/// each in the outbox in the same transaction. Returns student code → queued digest.
async fn seal_school(
    url: &str,
    code: &str,
    pki: &pki::DemoPki,
    now: i64,
) -> (Store, store::SchoolId, BTreeMap<String, String>) {
    let store = Store::open(url).await.expect("open the school database");
    let school = store
        .school_by_code(code)
        .await
        .unwrap()
        .expect("the demo THPT school");
    let principal = store
        .teacher_by_username(&format!("hieutruong.{}", &code[code.len() - 4..]))
        .await
        .unwrap()
        .expect("the principal account");
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
    let signer = |id: &pki::DemoIdentity| {
        SoftwareSigner::from_parts(&id.key_pkcs8_der, id.chain.clone()).unwrap()
    };
    // The school's own demo seal: the demo registry approves it for this school only.
    let seal = pki.school_seal(code).expect("a demo school's own seal");
    let signers = [signer(&pki.gvcn), signer(&pki.ht), signer(seal)];
    let roles = ["GVCN", "HT", "DAU"];
    let layout = school::records::layout();
    let year = demo::generate(demo::DEFAULT_SEED).year;
    let created = domain::Date::new(year.end(), 5, 31).unwrap();
    let mut queued = BTreeMap::new();
    for class in store.classes_of_school(school.id, year).await.unwrap() {
        let homeroom = match class.homeroom_teacher {
            Some(id) => store.teacher(id).await.unwrap().full_name,
            None => String::new(),
        };
        let mut reviewed = Vec::new();
        for member in store.class_members(class.id).await.unwrap() {
            if member.student.personal_id.is_none() {
                continue;
            }
            let inputs = store
                .year_inputs(&EnrolmentKey {
                    student: member.student.code.clone(),
                    class: class.id,
                })
                .await
                .unwrap();
            let Ok(record) = school::records::build_record(
                &inputs,
                &school,
                &homeroom,
                domain::Level::UpperSecondary,
                created,
                NonZeroU32::MIN,
                None,
            ) else {
                continue;
            };
            if !record.signing_blockers().is_empty() {
                continue;
            }
            let xml = String::from_utf8(record.to_xml()).unwrap();
            reviewed.push(ReviewedRecord {
                id: record.id.to_string(),
                student: member.student.code.clone(),
                class: class.id,
                year,
                version: 1,
                sha256: sha256_hex(xml.as_bytes()),
                xml,
                replaces_sha256: None,
            });
        }
        if reviewed.is_empty() {
            continue;
        }
        let review = ClassReview {
            class: class.id,
            reviewed_by: principal.id,
            reviewed_at: stamp.at.as_str().to_string(),
        };
        store
            .review_class(&review, &reviewed, &stamp)
            .await
            .unwrap();
        for r in &reviewed {
            let mut doc = r.xml.clone().into_bytes();
            for (k, role) in roles.iter().enumerate() {
                let props = SignatureProperties {
                    signing_time: now,
                    role: (*role).to_string(),
                    signer_name: None,
                };
                doc = xmldsig::sign_next(&doc, &layout, &signers[k], &props).unwrap();
                let xml = String::from_utf8(doc.clone()).unwrap();
                let sha256 = sha256_hex(xml.as_bytes());
                store
                    .add_signature(
                        &NewSignature {
                            student: r.student.clone(),
                            id: r.id.clone(),
                            from: if k == 0 {
                                RecordState::Reviewed
                            } else {
                                RecordState::Signing
                            },
                            signatures_before: k as u32,
                            xml,
                            sha256: sha256.clone(),
                            to: if k == 2 {
                                RecordState::Signed
                            } else {
                                RecordState::Signing
                            },
                            signer: SignerEntry {
                                role: (*role).to_string(),
                                name: String::new(),
                                at: stamp.at.as_str().to_string(),
                            },
                            inputs_as_of: None,
                        },
                        &stamp,
                    )
                    .await
                    .unwrap();
                if k == 2 {
                    queued.insert(r.student.to_string(), sha256);
                }
            }
        }
    }
    let outbox = store.outbox_of_school(school.id).await.unwrap();
    assert_eq!(outbox.len(), queued.len(), "the seal queues every record");
    (store, school.id, queued)
}

/// A PostgreSQL cluster of the test's own (initdb as the `postgres` user, like
/// `scripts/test` does), so that restarting it disturbs no other test.
struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl Cluster {
    fn start() -> Cluster {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server binaries in /usr/lib/postgresql")
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|p| p.join("initdb").exists())
            .max()
            .expect("an initdb");
        let dir = tempfile::Builder::new()
            .prefix("hocba-fault-pg")
            .tempdir()
            .unwrap();
        chown_postgres(dir.path());
        let port = free_port();
        let data = dir.path().join("data");
        as_postgres(
            &bin.join("initdb"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
            ],
        );
        let c = Cluster { bin, dir, port };
        c.pg_ctl("start");
        c
    }

    fn pg_ctl(&self, action: &str) {
        let data = self.dir.path().join("data");
        let log = self.dir.path().join("log");
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let mut args = vec![
            "-D",
            data.to_str().unwrap(),
            "-l",
            log.to_str().unwrap(),
            "-w",
        ];
        if action == "restart" {
            // As after a crash: in-flight transactions are cut, recovery runs on start.
            args.extend(["-m", "immediate"]);
        }
        args.extend(["-o", &opts, action]);
        as_postgres(&self.bin.join("pg_ctl"), &args);
    }

    fn restart(&self) {
        self.pg_ctl("restart");
    }

    fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", data.to_str().unwrap(), "-m", "immediate", "stop"])
            .output();
    }
}

fn as_postgres(program: &Path, args: &[&str]) {
    let out = Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(program)
        .args(args)
        .output()
        .expect("runuser (the test runs as root, like scripts/test)");
    assert!(
        out.status.success(),
        "{} {args:?}: {}{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn chown_postgres(path: &Path) {
    let out = Command::new("chown")
        .arg("postgres")
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "chown postgres {}", path.display());
}

/// Polls `cond` until it holds; fails after [`PATIENCE`].
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < PATIENCE,
            "timed out after {PATIENCE:?} waiting for {what}"
        );
        std::thread::sleep(POLL);
    }
}

fn run_ok(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_hocba"))
        .args(args)
        .output()
        .expect("hocba runs");
    assert!(
        out.status.success(),
        "hocba {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A port free now on loopback (the OS picks it; the process that binds it next is
/// ours — a small window, acceptable in a test).
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

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
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes))
}
