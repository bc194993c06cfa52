//! Registry ingest checks on records signed with a demo PKI: accepted only when complete,
//! trusted, sealed with a certificate approved for that school, and recomputable.

use registry::{ApprovedSeals, Rejection, check_record};
use xmldsig::{SignatureProperties, SoftwareSigner, sign_next};

const NOW: i64 = 1_780_000_000;

struct World {
    pki: pki::DemoPki,
    trust: pki::TrustStore,
}

fn world() -> World {
    let pki = pki::demo_pki(NOW - 86_400).expect("demo PKI");
    let trust = pki::TrustStore::from_pem_bundle(pki.root_pem().as_bytes()).expect("root");
    World { pki, trust }
}

fn sign(doc: &[u8], id: &pki::DemoIdentity, role: &str, at: i64) -> Vec<u8> {
    let signer = SoftwareSigner::from_parts(&id.key_pkcs8_der, id.chain.clone()).unwrap();
    let props = SignatureProperties {
        signing_time: at,
        role: role.into(),
        signer_name: None,
    };
    sign_next(doc, &registry::layout(), &signer, &props).unwrap()
}

/// The THPT example record signed GVCN → HT → DAU.
fn signed(w: &World, xml: &[u8]) -> Vec<u8> {
    let s1 = sign(xml, &w.pki.gvcn, "GVCN", NOW);
    let s2 = sign(&s1, &w.pki.ht, "HT", NOW + 60);
    sign(&s2, &w.pki.seal, "DAU", NOW + 120)
}

fn fingerprint(der: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der))
}

fn approvals_for(school: &str, w: &World) -> ApprovedSeals {
    let mut a = ApprovedSeals::new();
    a.approve(school, &fingerprint(&w.pki.seal.cert_der), NOW - 3600, None);
    a
}

fn thpt() -> (String, Vec<u8>) {
    let r = record::examples::thpt();
    (r.school.code.to_string(), r.to_xml())
}

#[test]
fn a_complete_trusted_approved_record_is_accepted() {
    let w = world();
    let (school, xml) = thpt();
    let doc = signed(&w, &xml);
    let accepted = check_record(&doc, &w.trust, &approvals_for(&school, &w)).unwrap();
    assert_eq!(accepted.school_code, school);
    assert_eq!(accepted.version, 1);
    assert_eq!(accepted.digest.len(), 64);
    let roles: Vec<&str> = accepted.signers.iter().map(|s| s.role.as_str()).collect();
    assert_eq!(roles, ["GVCN", "HT", "DAU"]);
    // Same bytes, same digest: the idempotency key.
    let again = check_record(&doc, &w.trust, &approvals_for(&school, &w)).unwrap();
    assert_eq!(again.digest, accepted.digest);
}

#[test]
fn a_seal_not_approved_or_approved_for_another_school_is_rejected() {
    let w = world();
    let (school, xml) = thpt();
    let doc = signed(&w, &xml);
    let none = ApprovedSeals::new();
    let err = check_record(&doc, &w.trust, &none).unwrap_err();
    assert_eq!(err.code(), "seal-not-approved");
    assert!(
        err.message_vi()
            .contains("chưa được cơ quan quản lý phê duyệt")
    );

    let other = approvals_for("79999999", &w);
    assert_eq!(
        check_record(&doc, &w.trust, &other).unwrap_err().code(),
        "seal-not-approved"
    );

    // Approval withdrawn before the seal was applied.
    let mut withdrawn = ApprovedSeals::new();
    withdrawn.approve(
        &school,
        &fingerprint(&w.pki.seal.cert_der),
        NOW - 3600,
        Some(NOW),
    );
    assert_eq!(
        check_record(&doc, &w.trust, &withdrawn).unwrap_err().code(),
        "seal-not-approved"
    );

    // The principal's certificate approved instead of the seal's does not count.
    let mut wrong = ApprovedSeals::new();
    wrong.approve(&school, &fingerprint(&w.pki.ht.cert_der), NOW - 3600, None);
    assert_eq!(
        check_record(&doc, &w.trust, &wrong).unwrap_err().code(),
        "seal-not-approved"
    );
}

#[test]
fn tampered_incomplete_untrusted_or_miscomputed_records_are_rejected() {
    let w = world();
    let (school, xml) = thpt();
    let approvals = approvals_for(&school, &w);
    let doc = signed(&w, &xml);

    // Tampered after signing.
    let text = String::from_utf8(doc.clone()).unwrap();
    let at = text.find("<HoVaTen>").unwrap() + "<HoVaTen>".len();
    let tampered = format!("{}X{}", &text[..at], &text[at + 1..]);
    let err = check_record(tampered.as_bytes(), &w.trust, &approvals).unwrap_err();
    assert!(matches!(err, Rejection::Signature { .. }), "{err}");

    // Two signatures only.
    let s2 = sign(
        &sign(&xml, &w.pki.gvcn, "GVCN", NOW),
        &w.pki.ht,
        "HT",
        NOW + 60,
    );
    let err = check_record(&s2, &w.trust, &approvals).unwrap_err();
    assert_eq!(
        err,
        Rejection::IncompleteChain {
            found: 2,
            expected: 3
        }
    );

    // Signed by a PKI the registry does not trust.
    let stranger = pki::demo_pki(NOW - 86_400).unwrap();
    let foreign = {
        let s1 = sign(&xml, &stranger.gvcn, "GVCN", NOW);
        let s2 = sign(&s1, &stranger.ht, "HT", NOW + 60);
        sign(&s2, &stranger.seal, "DAU", NOW + 120)
    };
    let err = check_record(&foreign, &w.trust, &approvals).unwrap_err();
    assert_eq!(err.code(), "signature");

    // Signed correctly, but with a year average the engine does not give.
    let text = String::from_utf8(xml.clone()).unwrap();
    let tag = "<DiemTrungBinhCaNam>";
    let at = text.find(tag).unwrap() + tag.len();
    let end = at + text[at..].find('<').unwrap();
    let wrong = if &text[at..end] == "1.0" {
        "2.0"
    } else {
        "1.0"
    };
    let miscomputed = format!("{}{wrong}{}", &text[..at], &text[end..]);
    let doc = signed(&w, miscomputed.as_bytes());
    let err = check_record(&doc, &w.trust, &approvals).unwrap_err();
    assert_eq!(err.code(), "recompute-mismatch");
    assert!(!err.message_vi().is_empty());

    // Not a record at all.
    let err = check_record(b"<HocBa/>", &w.trust, &approvals).unwrap_err();
    assert_eq!(err.code(), "malformed");
}

#[test]
fn checking_a_parsed_record_gives_the_same_verdicts_as_check_record() {
    let w = world();
    let (school, xml) = thpt();
    let doc = signed(&w, &xml);
    let approvals = approvals_for(&school, &w);
    let parsed = registry::parse(&doc).unwrap();
    assert_eq!(
        registry::check_parsed(&doc, &parsed, &w.trust, &approvals),
        check_record(&doc, &w.trust, &approvals)
    );
    let none = ApprovedSeals::new();
    assert_eq!(
        registry::check_parsed(&doc, &parsed, &w.trust, &none)
            .unwrap_err()
            .code(),
        "seal-not-approved"
    );
    // The signatures are checked on the bytes: a document changed after the parse is
    // refused even with the parse of the original.
    let tampered = String::from_utf8(doc.clone())
        .unwrap()
        .replacen("<HoVaTen>", "<HoVaTen>X", 1);
    let err =
        registry::check_parsed(tampered.as_bytes(), &parsed, &w.trust, &approvals).unwrap_err();
    assert_eq!(err.code(), "signature", "{err}");
    assert!(matches!(
        registry::parse(b"<HocBa/>"),
        Err(Rejection::Malformed { .. })
    ));
}
