//! The signing walk-through through the real binary: demo PKI → export a record →
//! GVCN, HT, DAU sign in order → `hocba verify` (text and JSON), and every refusal on the
//! way: wrong order, unknown role, tampering, untrusted root, incomplete chain.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn hocba(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hocba"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("hocba runs")
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
    pki: PathBuf,
    unsigned: PathBuf,
}

impl Setup {
    fn path(&self, name: &str) -> String {
        self.root.join(name).to_str().unwrap().to_string()
    }
    fn pki(&self, name: &str) -> String {
        self.pki.join(name).to_str().unwrap().to_string()
    }
}

/// Seeds a demo database, exports one THPT student's record and writes a demo PKI.
fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let db = format!("sqlite://{}", root.join("demo.sqlite").display());
    ok(&hocba(&["demo", "seed", "--db", &db], &[]));
    let data = demo::generate(demo::DEFAULT_SEED);
    let school = data
        .schools
        .iter()
        .find(|s| s.level == domain::Level::UpperSecondary)
        .unwrap();
    let student = school.classes[0]
        .students
        .iter()
        .find(|s| s.personal_id.is_some())
        .unwrap()
        .code
        .to_string();
    let unsigned = root.join("record.xml");
    ok(&hocba(
        &[
            "record",
            "export",
            "--db",
            &db,
            "--student",
            &student,
            "-o",
            unsigned.to_str().unwrap(),
        ],
        &[],
    ));
    let pki = root.join("pki");
    ok(&hocba(&["keys", "demo-pki", pki.to_str().unwrap()], &[]));
    Setup {
        _dir: dir,
        root,
        pki,
        unsigned,
    }
}

fn sign(s: &Setup, input: &str, role: &str, key: &str, out: &str) -> Output {
    hocba(
        &[
            "sign",
            input,
            "--role",
            role,
            "--key",
            &s.pki(&format!("{key}.key.pem")),
            "--cert",
            &s.pki(&format!("{key}.chain.pem")),
            "--trust",
            &s.pki("root.pem"),
            "-o",
            out,
        ],
        &[],
    )
}

fn verify(s: &Setup, file: &str, extra: &[&str]) -> Output {
    let root = s.pki("root.pem");
    let mut args = vec!["verify", file, "--trust", &root];
    args.extend_from_slice(extra);
    hocba(&args, &[])
}

fn signed_chain(s: &Setup) -> String {
    let unsigned = s.unsigned.to_str().unwrap().to_string();
    ok(&sign(s, &unsigned, "GVCN", "gvcn", &s.path("s1.xml")));
    // The principal signs with the PKCS#12 file, password from the environment.
    ok(&hocba(
        &[
            "sign",
            &s.path("s1.xml"),
            "--role",
            "HT",
            "--name",
            "Trần Văn Minh",
            "--p12",
            &s.pki("ht.p12"),
            "-o",
            &s.path("s2.xml"),
        ],
        &[("HOCBA_KEY_PASSWORD", pki::DEMO_P12_PASSWORD)],
    ));
    ok(&sign(
        s,
        &s.path("s2.xml"),
        "DAU",
        "seal",
        &s.path("s3.xml"),
    ));
    s.path("s3.xml")
}

#[test]
fn three_signatures_in_order_verify_and_report_each_signer() {
    let s = setup();
    let signed = signed_chain(&s);

    let text = verify(&s, &signed, &[]);
    ok(&text);
    let stdout = String::from_utf8(text.stdout).unwrap();
    assert!(stdout.starts_with("VALID"), "{stdout}");

    let json = verify(&s, &signed, &["--json"]);
    ok(&json);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(report["record"]["level"], "THPT");
    assert_eq!(report["record"]["school_code"], "79000303");
    let roles: Vec<&str> = report["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["GVCN", "HT", "DAU"]);
    assert_eq!(report["signatures"][1]["signer_name"], "Trần Văn Minh");
    assert!(
        report["signatures"][2]["subject"]
            .as_str()
            .unwrap()
            .contains("CN=")
    );
    // No personal data beyond what a verifier needs: no name, ID or birth date.
    let whole = report.to_string();
    assert!(!whole.contains("SoDinhDanh") && !whole.contains("personal"));

    // --signatures-only checks profile and trust without the record rules.
    ok(&verify(&s, &signed, &["--signatures-only"]));
}

#[test]
fn signing_out_of_order_or_with_an_unknown_role_is_refused() {
    let s = setup();
    let unsigned = s.unsigned.to_str().unwrap().to_string();
    let out = sign(&s, &unsigned, "DAU", "seal", &s.path("x.xml"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong-order"));
    assert!(!Path::new(&s.path("x.xml")).exists());

    let out = sign(&s, &unsigned, "BOSS", "seal", &s.path("x.xml"));
    assert_eq!(out.status.code(), Some(2));

    // A fourth signature after the seal is refused.
    let signed = signed_chain(&s);
    let out = sign(&s, &signed, "GVCN", "gvcn", &s.path("x.xml"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("chain-complete"));
}

#[test]
fn tampered_untrusted_or_incomplete_records_are_invalid() {
    let s = setup();
    let signed = signed_chain(&s);
    let xml = std::fs::read_to_string(&signed).unwrap();

    // Change the student's name inside the signed data.
    let start = xml.find("<HoVaTen>").unwrap() + "<HoVaTen>".len();
    let tampered = format!("{}X{}", &xml[..start], &xml[start + 1..]);
    std::fs::write(s.path("t.xml"), tampered).unwrap();
    let out = verify(&s, &s.path("t.xml"), &["--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert!(
        report["code"].as_str().unwrap().contains("digest"),
        "{report}"
    );

    // A trust store without the demo root: the signers are not trusted.
    let other = s.root.join("other");
    ok(&hocba(&["keys", "demo-pki", other.to_str().unwrap()], &[]));
    let out = hocba(
        &[
            "verify",
            &signed,
            "--trust",
            other.join("root.pem").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));

    // Two of three signatures: invalid unless --allow-incomplete.
    let partial = s.path("s2.xml");
    assert_eq!(verify(&s, &partial, &[]).status.code(), Some(1));
    ok(&verify(&s, &partial, &["--allow-incomplete"]));

    // An unsigned record is invalid; a missing file is a usage error.
    assert_eq!(
        verify(&s, s.unsigned.to_str().unwrap(), &[]).status.code(),
        Some(1)
    );
    assert_eq!(verify(&s, &s.path("nope.xml"), &[]).status.code(), Some(2));
}
