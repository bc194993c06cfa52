//! The signing walk-through through the real binary: demo PKI → export a record →
//! GVCN, HT, DAU sign in order → `hocba verify` (text and JSON), and every refusal on the
//! way: wrong order, unknown role, tampering, untrusted root, incomplete chain.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{assert_xsd_valid, change_first_value, hocba_env as hocba};

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

/// The byte range of the `n`-th (1-based) `<ds:Signature …>…</ds:Signature>` element.
fn signature_range(xml: &str, n: usize) -> std::ops::Range<usize> {
    let open = format!("Id=\"sig{n}\">");
    let id_at = xml.find(&open).unwrap();
    let start = xml[..id_at].rfind("<ds:Signature ").unwrap();
    let end = id_at + xml[id_at..].find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    start..end
}

fn verify_code(s: &Setup, xml: &str, name: &str) -> String {
    let path = s.path(name);
    std::fs::write(&path, xml).unwrap();
    let out = verify(s, &path, &["--json"]);
    assert_eq!(out.status.code(), Some(1), "{name} must be invalid");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["valid"], false);
    report["code"].as_str().unwrap().to_string()
}

/// Issue 4, "done when": a record computed by the engine, signed teacher → principal →
/// seal, validates against the XSD and verifies with ours and with xmlsec1; one changed
/// score, one changed signature byte, swapped signatures or a moved signed element make
/// `hocba verify` exit 1 with a precise reason.
#[test]
fn engine_record_signed_in_order_passes_xsd_ours_and_xmlsec1_and_tampering_is_caught() {
    let s = setup();
    let signed = signed_chain(&s);
    let xml = std::fs::read_to_string(&signed).unwrap();

    assert_xsd_valid(Path::new(&signed));

    for k in 1..=3 {
        let out = Command::new("xmlsec1")
            .args([
                "--verify",
                "--id-attr:Id",
                "urn:hocba:record:1:DuLieu",
                "--id-attr:Id",
                "http://www.w3.org/2000/09/xmldsig#:Signature",
                "--id-attr:Id",
                "http://www.w3.org/2000/09/xmldsig#:Object",
                "--trusted-pem",
                &s.pki("root.pem"),
                "--untrusted-pem",
                &s.pki("school-ca.pem"),
                "--node-id",
                &format!("sig{k}"),
                &signed,
            ])
            .output()
            .expect("xmlsec1 is installed (scripts/test installs it)");
        assert!(
            out.status.success(),
            "xmlsec1 rejects sig{k}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // One score inside the signed data.
    let changed = change_first_value(&xml, "DiemCuoiKy", "5", "6");
    assert_eq!(verify_code(&s, &changed, "score.xml"), "digest_mismatch");

    // One byte of the principal's signature value.
    let sv = "<ds:SignatureValue>";
    let sig2 = signature_range(&xml, 2);
    let at = sig2.start + xml[sig2.clone()].find(sv).unwrap() + sv.len();
    let flipped = if &xml[at..=at] == "A" { "B" } else { "A" };
    let changed = format!("{}{flipped}{}", &xml[..at], &xml[at + 1..]);
    assert_eq!(
        verify_code(&s, &changed, "sigbyte.xml"),
        "bad_signature_value"
    );

    // The principal's and the seal's signatures swapped.
    let (r2, r3) = (signature_range(&xml, 2), signature_range(&xml, 3));
    let swapped = format!(
        "{}{}{}{}",
        &xml[..r2.start],
        &xml[r3.clone()],
        &xml[r2.end..r3.start],
        &xml[r2.clone()]
    ) + &xml[r3.end..];
    let code = verify_code(&s, &swapped, "swapped.xml");
    assert_eq!(code, "signature_out_of_order");

    // The signed data moved inside the signatures container (a wrapping attack).
    let data_start = xml.find("<DuLieu").unwrap();
    let data_end = xml.find("</DuLieu>").unwrap() + "</DuLieu>".len();
    let container = xml.find("<ChuKySo>").unwrap() + "<ChuKySo>".len();
    let moved = format!(
        "{}{}{}{}",
        &xml[..data_start],
        &xml[data_end..container],
        &xml[data_start..data_end],
        &xml[container..]
    );
    let code = verify_code(&s, &moved, "moved.xml");
    assert_eq!(code, "unexpected-element");
}
