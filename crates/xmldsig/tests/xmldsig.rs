//! Integration tests of the xmldsig crate: canonicalization (W3C examples and xmllint
//! cross-checks), sign/verify round trips, the ordered chain, remote signing, the attack
//! corpus, and interoperability with xmlsec1 both ways.
//!
//! Tests that run `xmllint` or `xmlsec1` FAIL when the tools are missing (Debian packages
//! `libxml2-utils` and `xmlsec1`; `scripts/test` installs them).

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use xmldsig::testing::PinnedRootPolicy;
use xmldsig::{
    ChainLayout, Limits, SignError, SignatureAlgorithm, SignatureProperties, Signer,
    SoftwareSigner, TrustError, VerifyError, c14n, prepare_next_signature, sign_next, verify_chain,
    verify_chain_with_limits, verify_signatures_only,
};

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

/// 2026-06-01T09:00:00Z, the signing time used throughout.
const T: i64 = 1_780_304_400;
const NS: &str = "urn:hocba:record:1";
const ROLES: [&str; 3] = ["GVCN", "HT", "DAU"];

struct Identity {
    key_pem: String,
    chain: Vec<Vec<u8>>,
}

impl Identity {
    fn signer(&self) -> SoftwareSigner {
        SoftwareSigner::from_parts(self.key_pem.as_bytes(), self.chain.clone()).unwrap()
    }
    fn cert_pem(&self) -> String {
        pem("CERTIFICATE", &self.chain[0])
    }
}

/// A test PKI made with rcgen: an EC root, an EC intermediate ("school CA") and leaves.
struct Pki {
    root_der: Vec<u8>,
    root_pem: String,
    intermediate_der: Vec<u8>,
    teacher: Identity,   // RSA-2048 via intermediate
    principal: Identity, // RSA-2048 via intermediate
    seal: Identity,      // P-256 via intermediate
    expired: Identity,   // RSA, valid 2020–2021
    future: Identity,    // EC, valid from 2027
    self_signed: Identity,
    foreign: Identity, // EC leaf under another root
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap());
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}

fn rsa_key() -> rcgen::KeyPair {
    use aws_lc_rs::encoding::AsDer;
    let kp = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let der: aws_lc_rs::encoding::Pkcs8V1Der<'static> = kp.as_der().unwrap();
    rcgen::KeyPair::try_from(der.as_ref()).unwrap()
}

fn ec_key() -> rcgen::KeyPair {
    rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap()
}

fn params(cn: &str, ca: bool, from: (i32, u8, u8), to: (i32, u8, u8)) -> rcgen::CertificateParams {
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    p.distinguished_name.push(rcgen::DnType::CountryName, "VN");
    p.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
    p.not_after = rcgen::date_time_ymd(to.0, to.1, to.2);
    if ca {
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
    } else {
        p.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::ContentCommitment,
        ];
    }
    p
}

fn leaf(
    cn: &str,
    key: rcgen::KeyPair,
    issuer: &rcgen::Issuer<'_, rcgen::KeyPair>,
    chain_tail: &[Vec<u8>],
    from: (i32, u8, u8),
    to: (i32, u8, u8),
) -> Identity {
    let cert = params(cn, false, from, to).signed_by(&key, issuer).unwrap();
    let mut chain = vec![cert.der().to_vec()];
    chain.extend_from_slice(chain_tail);
    Identity {
        key_pem: key.serialize_pem(),
        chain,
    }
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let root_key = ec_key();
        let root_params = params("Hocba Test Root CA", true, (2020, 1, 1), (2045, 1, 1));
        let root = root_params.self_signed(&root_key).unwrap();
        let root_issuer = rcgen::Issuer::new(root_params, root_key);
        let int_key = ec_key();
        let int_params = params("Sở GDĐT Thử nghiệm CA", true, (2021, 1, 1), (2040, 1, 1));
        let int = int_params.signed_by(&int_key, &root_issuer).unwrap();
        let int_issuer = rcgen::Issuer::new(int_params, int_key);
        let int_der = int.der().to_vec();
        let tail = [int_der.clone()];
        let teacher = leaf(
            "Nguyễn Thị Hoa (GVCN)",
            rsa_key(),
            &int_issuer,
            &tail,
            (2024, 1, 1),
            (2030, 1, 1),
        );
        let principal = leaf(
            "Trần Văn Bình (HT)",
            rsa_key(),
            &int_issuer,
            &tail,
            (2024, 1, 1),
            (2030, 1, 1),
        );
        let seal = leaf(
            "THPT Chu Văn An",
            ec_key(),
            &int_issuer,
            &tail,
            (2024, 1, 1),
            (2030, 1, 1),
        );
        let expired = leaf(
            "Hết hạn",
            rsa_key(),
            &int_issuer,
            &tail,
            (2020, 1, 1),
            (2021, 1, 1),
        );
        let future = leaf(
            "Chưa hiệu lực",
            ec_key(),
            &int_issuer,
            &tail,
            (2027, 1, 1),
            (2030, 1, 1),
        );

        let ss_key = ec_key();
        let ss = params("Tự ký", false, (2024, 1, 1), (2030, 1, 1))
            .self_signed(&ss_key)
            .unwrap();
        let self_signed = Identity {
            key_pem: ss_key.serialize_pem(),
            chain: vec![ss.der().to_vec()],
        };

        let other_key = ec_key();
        let other_params = params("Other Root", true, (2020, 1, 1), (2045, 1, 1));
        let other_root = other_params.self_signed(&other_key).unwrap();
        let other_issuer = rcgen::Issuer::new(other_params, other_key);
        let foreign = leaf(
            "Người lạ",
            ec_key(),
            &other_issuer,
            &[other_root.der().to_vec()],
            (2024, 1, 1),
            (2030, 1, 1),
        );

        Pki {
            root_der: root.der().to_vec(),
            root_pem: root.pem(),
            intermediate_der: int_der,
            teacher,
            principal,
            seal,
            expired,
            future,
            self_signed,
            foreign,
        }
    })
}

fn policy() -> PinnedRootPolicy {
    PinnedRootPolicy::new(pki().root_der.clone())
}

fn layout() -> ChainLayout {
    ChainLayout::new(NS, "DuLieu", NS, "ChuKySo")
}

fn props(role: &str) -> SignatureProperties {
    SignatureProperties {
        signing_time: T,
        role: role.to_owned(),
        signer_name: Some(format!("Người ký {role}")),
    }
}

/// A realistic THPT record: Vietnamese text, a prefixed namespace, attributes and text
/// that need escaping, a CR kept as a character reference, tabs and CDATA.
fn record() -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<HocBa xmlns=\"urn:hocba:record:1\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" PhienBan=\"1\">\n\
  <DuLieu Id=\"data\" xmlns:gd=\"urn:hocba:moet:1\">\n\
    <HocSinh MaHocSinh=\"0123456789ABCDEFGHIJ\" MaDinhDanh=\"001206001234\" HoTen=\"Nguyễn Văn An\" GioiTinh=\"Nam\"/>\n\
    <Truong MaTruong=\"01-THPT-CVA\" MaSoGD=\"01\" Ten=\"THPT Chu Văn An &amp; &quot;Chuyên&quot;\"/>\n\
    <gd:NamHoc gd:Ma=\"2025-2026\" Khoi=\"12\" Lop=\"12A1\">2025–2026</gd:NamHoc>\n",
    );
    for (i, mon) in [
        "TOAN", "VAN", "ANH", "LY", "HOA", "SINH", "SU", "DIA", "GDCD", "TIN",
    ]
    .iter()
    .enumerate()
    {
        s.push_str(&format!(
            "    <MonHoc MaMonHoc=\"{mon}\" DTB_HK1=\"{}.{}\" DTB_HK2=\"8.{}\" DTB_CN=\"8.{}\">Nhận xét: chăm chỉ, tiến bộ &lt;tốt&gt; &#13;\tdòng 2</MonHoc>\n",
            7 + i % 3, i, i, i
        ));
    }
    s.push_str(
        "    <NhanXet xsi:type=\"xs:string\"><![CDATA[Học sinh có ý thức <tốt> & lễ phép]]></NhanXet>\n\
    <KetQua HocLuc=\"Giỏi\" HanhKiem=\"Tốt\" LenLop=\"true\" GhiChu=\"a\tb&#10;c\"/>\n\
    <Trong xmlns=\"\"><KhongNS a=\"1\"/></Trong>\n\
  </DuLieu>\n\
  <ChuKySo/>\n\
</HocBa>\n",
    );
    s
}

fn sign_with(doc: &str, id: &Identity, role: &str) -> String {
    String::from_utf8(sign_next(doc.as_bytes(), &layout(), &id.signer(), &props(role)).unwrap())
        .unwrap()
}

/// The record signed by teacher (RSA) → principal (RSA) → seal (ECDSA).
fn chain3() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        let p = pki();
        let d = sign_with(&record(), &p.teacher, "GVCN");
        let d = sign_with(&d, &p.principal, "HT");
        sign_with(&d, &p.seal, "DAU")
    })
}

fn verify3(doc: &str) -> Result<xmldsig::ChainReport, VerifyError> {
    verify_chain(doc.as_bytes(), &layout(), &policy(), Some(&ROLES))
}

/// Replaces the single occurrence of `from` (panics if absent, so a corpus entry can
/// never silently become the valid document).
fn replace1(doc: &str, from: &str, to: &str) -> String {
    assert!(doc.contains(from), "mutation pattern {from:?} not found");
    doc.replacen(from, to, 1)
}

/// The text of `<ds:Signature … Id="sigK">…</ds:Signature>`.
fn sig_text(doc: &str, k: usize) -> String {
    let start = doc.find(&format!("Id=\"sig{k}\">")).unwrap();
    let start = doc[..start].rfind("<ds:Signature").unwrap();
    let end = start + doc[start..].find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    doc[start..end].to_owned()
}

/// Applies `f` to the text of signature K only.
fn in_sig(doc: &str, k: usize, f: impl Fn(&str) -> String) -> String {
    let s = sig_text(doc, k);
    let t = f(&s);
    assert_ne!(s, t, "mutation of sig{k} changed nothing");
    doc.replacen(&s, &t, 1)
}

fn tool(name: &str) -> Command {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .unwrap();
    assert!(
        found.status.success(),
        "`{name}` is required by this test (apt-get install -y xmlsec1 libxml2-utils)"
    );
    Command::new(name)
}

// ---------------------------------------------------------------------------------------
// Canonicalization
// ---------------------------------------------------------------------------------------

fn check_c14n(xml: &str, id: &str, prefixes: &[&str], expected: &str) {
    let got = c14n::canonicalize_id(xml, id, prefixes).unwrap();
    assert_eq!(String::from_utf8(got).unwrap(), expected);
}

/// W3C exc-c14n §2.2: the two documents give the same exclusive canonical form of
/// `n1:elem2` although their inclusive forms differ.
#[test]
fn c14n_w3c_exc_c14n_section_2_2_examples() {
    let expected = "<n1:elem2 xmlns:n1=\"http://example.net\" xml:lang=\"en\">\n        <n3:stuff xmlns:n3=\"ftp://example.org\"></n3:stuff>\n    </n1:elem2>";
    let doc1 = "<n0:local xmlns:n0=\"foo:bar\" xmlns:n3=\"ftp://example.org\">\n    <n1:elem2 Id=\"e\" xmlns:n1=\"http://example.net\" xml:lang=\"en\">\n        <n3:stuff xmlns:n3=\"ftp://example.org\"/>\n    </n1:elem2>\n</n0:local>";
    let doc2 = "<n2:pdu xmlns:n1=\"http://example.com\" xmlns:n2=\"http://foo.example\" xml:lang=\"fr\" xml:space=\"retain\">\n    <n1:elem2 Id=\"e\" xmlns:n1=\"http://example.net\" xml:lang=\"en\">\n        <n3:stuff xmlns:n3=\"ftp://example.org\"/>\n    </n1:elem2>\n</n2:pdu>";
    let with_id = expected.replace(
        "<n1:elem2 xmlns:n1=\"http://example.net\"",
        "<n1:elem2 xmlns:n1=\"http://example.net\" Id=\"e\"",
    );
    check_c14n(doc1, "e", &[], &with_id);
    check_c14n(doc2, "e", &[], &with_id);
    // With InclusiveNamespaces PrefixList="n2", the in-scope n2 is rendered on the apex.
    let incl = with_id.replace(
        "xmlns:n1=\"http://example.net\"",
        "xmlns:n1=\"http://example.net\" xmlns:n2=\"http://foo.example\"",
    );
    check_c14n(doc2, "e", &["n2"], &incl);
    // n2 is not in scope in doc1: nothing to render.
    check_c14n(doc1, "e", &["n2"], &with_id);
}

#[test]
fn c14n_default_namespace_rules() {
    // The apex inherits a default namespace: it is rendered (visibly utilized).
    check_c14n(
        "<a xmlns=\"u:a\"><b Id=\"x\"><c/></b></a>",
        "x",
        &[],
        "<b xmlns=\"u:a\" Id=\"x\"><c></c></b>",
    );
    // xmlns="" is rendered only to cancel a rendered non-empty default.
    check_c14n(
        "<a xmlns=\"u:a\"><b Id=\"x\"><c xmlns=\"\"><d/></c></b></a>",
        "x",
        &[],
        "<b xmlns=\"u:a\" Id=\"x\"><c xmlns=\"\"><d></d></c></b>",
    );
    check_c14n(
        "<a xmlns=\"u:a\"><p:b xmlns:p=\"u:p\" Id=\"x\"><c xmlns=\"\"/></p:b></a>",
        "x",
        &[],
        "<p:b xmlns:p=\"u:p\" Id=\"x\"><c></c></p:b>",
    );
    // #default in the prefix list renders the default namespace on a prefixed apex.
    check_c14n(
        "<a xmlns=\"u:a\"><p:b xmlns:p=\"u:p\" Id=\"x\"/></a>",
        "x",
        &["#default"],
        "<p:b xmlns=\"u:a\" xmlns:p=\"u:p\" Id=\"x\"></p:b>",
    );
    // Unused prefixes are dropped; re-declarations with the same value are not repeated;
    // a different value is.
    check_c14n(
        "<r xmlns:p=\"u:1\" xmlns:q=\"u:q\"><p:e Id=\"x\"><p:f xmlns:p=\"u:1\"/><p:g xmlns:p=\"u:2\"/></p:e></r>",
        "x",
        &[],
        "<p:e xmlns:p=\"u:1\" Id=\"x\"><p:f></p:f><p:g xmlns:p=\"u:2\"></p:g></p:e>",
    );
    // A namespace used only by an attribute is rendered where the attribute is.
    check_c14n(
        "<r xmlns:q=\"u:q\"><e Id=\"x\"><f q:a=\"1\"/></e></r>",
        "x",
        &[],
        "<e Id=\"x\"><f xmlns:q=\"u:q\" q:a=\"1\"></f></e>",
    );
}

#[test]
fn c14n_attribute_order_and_escaping() {
    check_c14n(
        "<e xmlns:b=\"u:b\" xmlns:a=\"u:a\" Id=\"x\" z=\"&lt;&amp;&gt;&quot;'\" b:y=\"1\" a:y=\"2\" a=\"t&#9;&#10;&#13;x\">T &amp; &lt; &gt; &#13; \" '</e>",
        "x",
        &[],
        "<e xmlns:a=\"u:a\" xmlns:b=\"u:b\" Id=\"x\" a=\"t&#x9;&#xA;&#xD;x\" z=\"&lt;&amp;>&quot;'\" a:y=\"2\" b:y=\"1\">T &amp; &lt; &gt; &#xD; \" '</e>",
    );
    // CRLF in the source is normalized to LF by the parser; CDATA becomes escaped text;
    // comments vanish; PIs stay.
    check_c14n(
        "<e Id=\"x\">a\r\nb<![CDATA[<&>]]><!--c--><?pi  data?></e>",
        "x",
        &[],
        "<e Id=\"x\">a\nb&lt;&amp;&gt;<?pi data?></e>",
    );
}

/// Whole-document exclusive C14N cross-checked against `xmllint --exc-c14n`.
#[test]
fn c14n_matches_xmllint_on_documents() {
    let docs = [
        record(),
        chain3().to_owned(),
        "<a:r xmlns:a=\"u:a\" xmlns=\"u:d\" xmlns:unused=\"u:x\"><b x=\"1\" a:y=\"2\"><c xmlns=\"\"/></b>Tiếng Việt: ă â đ ê ô ơ ư</a:r>".to_owned(),
        "<r xmlns=\"u:1\"><s xmlns=\"u:2\"><t xmlns=\"u:1\" attr=\"&#9;&lt;&#10;\"/></s></r>".to_owned(),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, d) in docs.iter().enumerate() {
        let path = dir.path().join(format!("d{i}.xml"));
        std::fs::write(&path, d).unwrap();
        let out = tool("xmllint")
            .arg("--exc-c14n")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "xmllint failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc = roxmltree::Document::parse(d).unwrap();
        let mut ours = Vec::new();
        c14n::canonicalize_document(&doc, &[], None, &mut ours).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(out.stdout).unwrap(),
            "document {i}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Signing and verification
// ---------------------------------------------------------------------------------------

#[test]
fn round_trip_rsa_single_signature() {
    let doc = sign_with(&record(), &pki().teacher, "GVCN");
    let report = verify_chain(doc.as_bytes(), &layout(), &policy(), Some(&["GVCN"])).unwrap();
    assert_eq!(report.data_id, "data");
    assert!(
        doc[report.data_range.clone()].starts_with("<DuLieu Id=\"data\"")
            && doc[report.data_range].ends_with("</DuLieu>")
    );
    let s = &report.signatures[0];
    assert_eq!(s.algorithm, SignatureAlgorithm::RsaSha256);
    assert_eq!(s.role.as_deref(), Some("GVCN"));
    assert_eq!(s.signing_time, Some(T));
    assert_eq!(s.signer_name.as_deref(), Some("Người ký GVCN"));
    assert!(
        s.signer.subject.contains("CN=Nguyễn Thị Hoa (GVCN)"),
        "{}",
        s.signer.subject
    );
    assert_eq!(s.references, ["#data", "#sig1-props"]);
    assert!(
        doc.contains("<ChuKySo><ds:Signature"),
        "self-closing container expanded"
    );
}

#[test]
fn round_trip_ecdsa_single_signature() {
    let doc = sign_with(&record(), &pki().seal, "DAU");
    let report = verify_chain(doc.as_bytes(), &layout(), &policy(), None).unwrap();
    assert_eq!(
        report.signatures[0].algorithm,
        SignatureAlgorithm::EcdsaP256Sha256
    );
}

#[test]
fn three_signature_chain_verifies_and_preserves_earlier_bytes() {
    let p = pki();
    let one = sign_with(&record(), &p.teacher, "GVCN");
    let two = sign_with(&one, &p.principal, "HT");
    assert!(two.contains(&sig_text(&one, 1)));
    let three = chain3();
    assert!(three.contains(&sig_text(&two, 1)) && three.contains(&sig_text(&two, 2)));
    let report = verify3(three).unwrap();
    let roles: Vec<_> = report
        .signatures
        .iter()
        .map(|s| s.role.clone().unwrap())
        .collect();
    assert_eq!(roles, ROLES);
    assert_eq!(
        report.signatures[2].references,
        ["#data", "#sig1", "#sig2", "#sig3-props"]
    );
    // Intermediate verification states also verify with their own role lists.
    verify_chain(two.as_bytes(), &layout(), &policy(), Some(&ROLES[..2])).unwrap();
    // And the chain verifies in signatures-only mode.
    let so = verify_signatures_only(three.as_bytes(), &policy(), 0).unwrap();
    assert_eq!(so.signatures.len(), 3);
}

#[test]
fn remote_signing_produces_the_same_bytes_as_sign_next() {
    let id = &pki().teacher;
    let signer = id.signer();
    let doc = record();
    let prepared = prepare_next_signature(
        doc.as_bytes(),
        &layout(),
        &id.chain,
        SignatureAlgorithm::RsaSha256,
        &props("GVCN"),
    )
    .unwrap();
    assert_eq!(prepared.signature_id, "sig1");
    let again = prepare_next_signature(
        doc.as_bytes(),
        &layout(),
        &id.chain,
        SignatureAlgorithm::RsaSha256,
        &props("GVCN"),
    )
    .unwrap();
    assert_eq!(
        again.signed_info_c14n, prepared.signed_info_c14n,
        "prepare is deterministic"
    );
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &prepared.signed_info_c14n);
    assert_eq!(digest.as_ref(), prepared.digest_to_sign);
    // "Elsewhere": the remote service signs the canonical SignedInfo.
    let value = signer.sign(&prepared.signed_info_c14n).unwrap();
    let remote = prepared.clone().finish(&value).unwrap();
    let local = sign_next(doc.as_bytes(), &layout(), &signer, &props("GVCN")).unwrap();
    assert_eq!(remote, local, "RSA PKCS#1 v1.5 is deterministic");
    // A wrong value never produces a document.
    let mut bad = value.clone();
    bad[10] ^= 1;
    assert_eq!(
        prepared.clone().finish(&bad),
        Err(SignError::SignatureValueInvalid)
    );
    assert_eq!(
        prepared.finish(&value[..100]),
        Err(SignError::SignatureValueInvalid)
    );
}

/// Remote ECDSA services often answer in DER; `finish` accepts it and writes `r || s`.
#[test]
fn remote_ecdsa_signature_in_der_is_accepted() {
    let id = &pki().seal;
    let prepared = prepare_next_signature(
        record().as_bytes(),
        &layout(),
        &id.chain,
        SignatureAlgorithm::EcdsaP256Sha256,
        &props("DAU"),
    )
    .unwrap();
    let pkcs8 = pem_body(&id.key_pem);
    let key = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &pkcs8,
    )
    .unwrap();
    let der = key
        .sign(
            &aws_lc_rs::rand::SystemRandom::new(),
            &prepared.signed_info_c14n,
        )
        .unwrap();
    assert_ne!(der.as_ref().len(), 64);
    let doc = prepared.finish(der.as_ref()).unwrap();
    verify_chain(&doc, &layout(), &policy(), Some(&["DAU"])).unwrap();
}

fn pem_body(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

#[test]
fn signing_rejects_bad_inputs() {
    let p = pki();
    let doc = record();
    let err = prepare_next_signature(
        doc.as_bytes(),
        &layout(),
        &p.seal.chain,
        SignatureAlgorithm::RsaSha256,
        &props("DAU"),
    );
    assert_eq!(err.unwrap_err(), SignError::AlgorithmMismatch);
    let mut bad = props("GVCN");
    bad.role = "GV\u{1}CN".into();
    assert!(matches!(
        sign_next(doc.as_bytes(), &layout(), &p.teacher.signer(), &bad),
        Err(SignError::InvalidProperty(_))
    ));
    let commented = replace1(&doc, "<Trong", "<!-- x --><Trong");
    assert!(matches!(
        sign_next(
            commented.as_bytes(),
            &layout(),
            &p.teacher.signer(),
            &props("GVCN")
        ),
        Err(SignError::InvalidDocument(VerifyError::CommentOrPi { .. }))
    ));
    // A key that is not the certificate's.
    assert!(
        SoftwareSigner::from_parts(p.teacher.key_pem.as_bytes(), p.principal.chain.clone())
            .is_err()
    );
    // PEM bundle construction.
    let bundle = format!(
        "{}{}",
        p.seal.cert_pem(),
        pem("CERTIFICATE", &p.intermediate_der)
    );
    let s = SoftwareSigner::new(p.seal.key_pem.as_bytes(), bundle.as_bytes()).unwrap();
    assert_eq!(s.certificate_chain().len(), 2);
}

#[test]
fn properties_with_markup_round_trip() {
    let mut pr = props("HT");
    pr.signer_name = Some("Lê <Thị> & \"Hà\"\r\n".into());
    let doc = sign_next(
        record().as_bytes(),
        &layout(),
        &pki().principal.signer(),
        &pr,
    )
    .unwrap();
    let r = verify_chain(&doc, &layout(), &policy(), None).unwrap();
    assert_eq!(
        r.signatures[0].signer_name.as_deref(),
        Some("Lê <Thị> & \"Hà\"\r\n")
    );
}

#[test]
fn error_codes_are_distinct() {
    let errors = attack_corpus();
    let mut codes: Vec<&str> = errors.iter().map(|a| a.expected).collect();
    codes.sort_unstable();
    codes.dedup();
    assert!(codes.len() >= 25, "{codes:?}");
}

// ---------------------------------------------------------------------------------------
// Attack corpus
// ---------------------------------------------------------------------------------------

struct Attack {
    name: &'static str,
    doc: Vec<u8>,
    /// Expected `VerifyError::code()`.
    expected: &'static str,
    limits: Option<Limits>,
    roles: Option<&'static [&'static str]>,
}

fn attack(name: &'static str, doc: impl Into<Vec<u8>>, expected: &'static str) -> Attack {
    Attack {
        name,
        doc: doc.into(),
        expected,
        limits: None,
        roles: Some(&ROLES),
    }
}

/// The attack is a one-signature document checked against the first role only.
fn first_only(mut a: Attack) -> Attack {
    a.roles = Some(&ROLES[..1]);
    a
}

fn attack_corpus() -> Vec<Attack> {
    let p = pki();
    let good = chain3();
    let data_start = good.find("<DuLieu").unwrap();
    let data_end = good.find("</DuLieu>").unwrap() + "</DuLieu>".len();
    let data = &good[data_start..data_end];
    let s1 = sig_text(good, 1);
    let s2 = sig_text(good, 2);
    let mut v = vec![
        // XML signature wrapping.
        attack(
            "xsw-duplicate-data-element",
            replace1(
                good,
                "<ChuKySo>",
                &format!("{}<ChuKySo>", data.replace("Id=\"data\"", "Id=\"data2\"")),
            ),
            "duplicate_data_element",
        ),
        attack(
            "xsw-duplicate-data-same-id",
            replace1(
                good,
                "<ChuKySo>",
                &format!("{}<ChuKySo>", data.replace("8.5", "9.9")),
            ),
            "duplicate_id",
        ),
        attack(
            "xsw-data-moved-into-object-evil-copy",
            replace1(
                &replace1(good, data, &data.replace("Nguyễn Văn An", "Kẻ Giả Mạo")),
                "</ds:Signature></ChuKySo>",
                &format!("<ds:Object>{data}</ds:Object></ds:Signature></ChuKySo>"),
            ),
            "duplicate_id",
        ),
        attack(
            "xsw-data-moved-into-object",
            replace1(
                &good.replacen(data, "", 1),
                "</ds:Signature></ChuKySo>",
                &format!("<ds:Object>{data}</ds:Object></ds:Signature></ChuKySo>"),
            ),
            "missing_data_element",
        ),
        attack(
            "xsw-data-renamed-copy-in-object",
            replace1(
                good,
                "</ds:Signature></ChuKySo>",
                &format!(
                    "<ds:Object>{}</ds:Object></ds:Signature></ChuKySo>",
                    data.replace("Id=\"data\"", "Id=\"x\"")
                ),
            ),
            "duplicate_data_element",
        ),
        attack(
            "xsw-wrapper-around-data",
            replace1(
                &replace1(good, "<DuLieu", "<Vo><DuLieu"),
                "</DuLieu>",
                "</DuLieu></Vo>",
            ),
            "unexpected_content",
        ),
        attack(
            "xsw-wrapper-around-container",
            replace1(
                &replace1(good, "<ChuKySo>", "<Vo><ChuKySo>"),
                "</ChuKySo>",
                "</ChuKySo></Vo>",
            ),
            "unexpected_content",
        ),
        attack(
            "xsw-signature-wrapped-in-object",
            replace1(
                good,
                &s1,
                &format!(
                    "<ds:Object xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">{s1}</ds:Object>"
                ),
            ),
            "unexpected_content",
        ),
        attack(
            "xsw-extra-unsigned-element",
            replace1(good, "</ChuKySo>", "</ChuKySo><GhiChu>chưa ký</GhiChu>"),
            "unexpected_content",
        ),
        attack(
            "xsw-data-after-container",
            {
                let without = good.replacen(data, "", 1);
                replace1(&without, "</HocBa>", &format!("{data}</HocBa>"))
            },
            "unexpected_content",
        ),
        attack(
            "text-in-container",
            replace1(good, "</ChuKySo>", "văn bản</ChuKySo>"),
            "unexpected_content",
        ),
        // Tampering.
        attack(
            "tampered-score-text",
            replace1(good, "Lop=\"12A1\">2025–2026", "Lop=\"12A1\">2024–2025"),
            "digest_mismatch",
        ),
        attack(
            "tampered-attribute",
            replace1(good, "DTB_CN=\"8.0\"", "DTB_CN=\"9.0\""),
            "digest_mismatch",
        ),
        attack(
            "tampered-added-attribute",
            replace1(good, "<DuLieu Id=\"data\"", "<DuLieu Id=\"data\" Sua=\"1\""),
            "digest_mismatch",
        ),
        attack(
            "tampered-signing-time",
            in_sig(good, 2, |s| {
                s.replace("2026-06-01T09:00:00Z", "2026-06-02T09:00:00Z")
            }),
            "digest_mismatch",
        ),
        attack(
            "tampered-earlier-signature-props",
            in_sig(good, 1, |s| s.replace("Người ký GVCN", "Người khác")),
            "digest_mismatch",
        ),
        attack(
            "tampered-signature-value",
            in_sig(good, 2, |s| {
                let i = s.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len();
                let c = if &s[i..=i] == "A" { "B" } else { "A" };
                format!("{}{c}{}", &s[..i], &s[i + 1..])
            }),
            "bad_signature_value",
        ),
        attack(
            "tampered-digest-value-in-signedinfo",
            in_sig(good, 3, |s| {
                let i = s.find("<ds:DigestValue>").unwrap() + "<ds:DigestValue>".len();
                let c = if &s[i..=i] == "A" { "B" } else { "A" };
                format!("{}{c}{}", &s[..i], &s[i + 1..])
            }),
            "bad_signature_value",
        ),
        attack(
            "cross-document-signature",
            {
                let other = sign_with(
                    &record().replace("Nguyễn Văn An", "Lê Văn Bình"),
                    &p.teacher,
                    "GVCN",
                );
                good.replacen(&s1, &sig_text(&other, 1), 1)
            },
            "digest_mismatch",
        ),
        attack(
            "certificate-swapped",
            in_sig(good, 1, |s| {
                use base64::Engine as _;
                let b64 = base64::engine::general_purpose::STANDARD;
                s.replace(
                    &b64.encode(&p.teacher.chain[0]),
                    &b64.encode(&p.principal.chain[0]),
                )
            }),
            "certificate_digest_mismatch",
        ),
        attack(
            "key-algorithm-mismatch",
            in_sig(good, 3, |s| {
                s.replace("xmldsig-more#ecdsa-sha256", "xmldsig-more#rsa-sha256")
            }),
            "key_algorithm_mismatch",
        ),
        // Comments and processing instructions.
        attack(
            "comment-injection-in-data",
            replace1(good, ">2025–2026<", ">2025–<!-- -->2026<"),
            "comment_or_pi",
        ),
        attack(
            "comment-injection-in-signedinfo",
            in_sig(good, 1, |s| {
                s.replacen("<ds:Reference", "<!--x--><ds:Reference", 1)
            }),
            "comment_or_pi",
        ),
        attack(
            "pi-injection",
            replace1(good, "<HocSinh", "<?xml-stylesheet href=\"x\"?><HocSinh"),
            "comment_or_pi",
        ),
        // DTDs and entities.
        attack(
            "xxe-external-entity",
            replace1(
                &replace1(
                    good,
                    "<HocBa ",
                    "<!DOCTYPE HocBa [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<HocBa ",
                ),
                "Nguyễn Văn An",
                "&xxe;",
            ),
            "dtd_forbidden",
        ),
        attack(
            "billion-laughs",
            replace1(
                &replace1(
                    good,
                    "<HocBa ",
                    "<!DOCTYPE HocBa [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>\n<HocBa ",
                ),
                "Nguyễn Văn An",
                "&d;",
            ),
            "dtd_forbidden",
        ),
        attack(
            "empty-doctype",
            replace1(good, "<HocBa ", "<!DOCTYPE HocBa>\n<HocBa "),
            "dtd_forbidden",
        ),
        // Algorithms.
        attack(
            "weak-rsa-sha1",
            in_sig(good, 1, |s| {
                s.replace(
                    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                    "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
                )
            }),
            "weak_algorithm",
        ),
        attack(
            "weak-hmac-sha1",
            in_sig(good, 1, |s| {
                s.replace("<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"></ds:SignatureMethod>", "<ds:SignatureMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#hmac-sha1\"><ds:HMACOutputLength>8</ds:HMACOutputLength></ds:SignatureMethod>")
            }),
            "weak_algorithm",
        ),
        attack(
            "weak-digest-sha1",
            in_sig(good, 2, |s| {
                s.replacen(
                    "http://www.w3.org/2001/04/xmlenc#sha256",
                    "http://www.w3.org/2000/09/xmldsig#sha1",
                    1,
                )
            }),
            "weak_algorithm",
        ),
        attack(
            "weak-digest-md5",
            in_sig(good, 2, |s| {
                s.replacen(
                    "http://www.w3.org/2001/04/xmlenc#sha256",
                    "http://www.w3.org/2001/04/xmldsig-more#md5",
                    1,
                )
            }),
            "weak_algorithm",
        ),
        attack(
            "unknown-signature-algorithm",
            in_sig(good, 1, |s| {
                s.replace("xmldsig-more#rsa-sha256", "xmldsig-more#rsa-sha512")
            }),
            "unsupported_algorithm",
        ),
        attack(
            "c14n-with-comments",
            in_sig(good, 1, |s| {
                s.replacen("<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"", "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#WithComments\"", 1)
            }),
            "unsupported_canonicalization",
        ),
        attack(
            "inclusive-c14n",
            in_sig(good, 1, |s| {
                s.replacen("<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"", "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"", 1)
            }),
            "unsupported_canonicalization",
        ),
        // Transforms.
        attack(
            "xslt-transform",
            in_sig(good, 1, |s| {
                s.replacen("<ds:Transforms>", "<ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xslt-19991116\"><xsl:stylesheet xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\" version=\"1.0\"/></ds:Transform>", 1)
            }),
            "forbidden_transform",
        ),
        attack(
            "xpath-transform",
            in_sig(good, 1, |s| {
                s.replacen("<ds:Transforms>", "<ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"><ds:XPath>1</ds:XPath></ds:Transform>", 1)
            }),
            "forbidden_transform",
        ),
        attack(
            "enveloped-transform-in-chain",
            in_sig(good, 1, |s| {
                s.replacen("<ds:Transforms>", "<ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"></ds:Transform>", 1)
            }),
            "forbidden_transform",
        ),
        attack(
            "missing-transforms",
            in_sig(good, 1, |s| {
                s.replacen("<ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></ds:Transform></ds:Transforms>", "", 1)
            }),
            "wrong_transforms",
        ),
        // References.
        attack(
            "external-uri",
            in_sig(good, 1, |s| {
                s.replacen("URI=\"#data\"", "URI=\"http://evil.example/data.xml\"", 1)
            }),
            "external_reference",
        ),
        attack(
            "file-uri",
            in_sig(good, 1, |s| {
                s.replacen("URI=\"#data\"", "URI=\"file:///etc/passwd\"", 1)
            }),
            "external_reference",
        ),
        attack(
            "xpointer-uri",
            in_sig(good, 1, |s| {
                s.replacen("URI=\"#data\"", "URI=\"#xpointer(/)\"", 1)
            }),
            "unresolved_reference",
        ),
        attack(
            "whole-document-uri-in-chain",
            in_sig(good, 1, |s| s.replacen("URI=\"#data\"", "URI=\"\"", 1)),
            "unexpected_reference",
        ),
        attack(
            "reference-to-other-element",
            in_sig(good, 2, |s| s.replacen("URI=\"#sig1\"", "URI=\"#sig3\"", 1)),
            "unexpected_reference",
        ),
        attack(
            "reference-dropped",
            in_sig(good, 3, |s| {
                let i = s.find("<ds:Reference URI=\"#sig2\"").unwrap();
                let j = i + s[i..].find("</ds:Reference>").unwrap() + "</ds:Reference>".len();
                format!("{}{}", &s[..i], &s[j..])
            }),
            "missing_reference",
        ),
        attack(
            "reference-repeated",
            in_sig(good, 1, |s| {
                let i = s.find("<ds:Reference URI=\"#data\"").unwrap();
                let j = i + s[i..].find("</ds:Reference>").unwrap() + "</ds:Reference>".len();
                format!("{}{}", &s[..j], &s[j..]).replacen(
                    "</ds:SignedInfo>",
                    &format!("{}</ds:SignedInfo>", &s[i..j]),
                    1,
                )
            }),
            "unexpected_reference",
        ),
        // Identifiers.
        attack(
            "duplicate-id",
            replace1(good, "<KetQua ", "<KetQua Id=\"sig1\" "),
            "duplicate_id",
        ),
        attack(
            "duplicate-id-lowercase",
            replace1(good, "<KetQua ", "<KetQua id=\"data\" "),
            "duplicate_id",
        ),
        // Chain order.
        attack(
            "signatures-swapped",
            good.replacen(&s1, "@@S1@@", 1)
                .replacen(&s2, &s1, 1)
                .replacen("@@S1@@", &s2, 1),
            "signature_out_of_order",
        ),
        attack(
            "signature-missing-last",
            good.replacen(&sig_text(good, 3), "", 1),
            "missing_signature",
        ),
        attack(
            "signature-missing-middle",
            good.replacen(&s2, "", 1),
            "signature_out_of_order",
        ),
        attack(
            "signature-extra",
            sign_with(good, &p.seal, "DAU"),
            "extra_signature",
        ),
        attack("unsigned-document", record(), "missing_signature"),
        attack(
            "role-order-violated",
            {
                let d = sign_with(&record(), &p.principal, "HT");
                let d = sign_with(&d, &p.teacher, "GVCN");
                sign_with(&d, &p.seal, "DAU")
            },
            "role_mismatch",
        ),
        // Trust.
        first_only(attack(
            "untrusted-foreign-root",
            sign_with(&record(), &p.foreign, "GVCN"),
            "untrusted",
        )),
        first_only(attack(
            "self-signed-signer",
            sign_with(&record(), &p.self_signed, "GVCN"),
            "untrusted",
        )),
        first_only(attack(
            "expired-at-signing-time",
            sign_with(&record(), &p.expired, "GVCN"),
            "untrusted",
        )),
        first_only(attack(
            "not-yet-valid-at-signing-time",
            sign_with(&record(), &p.future, "GVCN"),
            "untrusted",
        )),
        attack(
            "untrusted-last-signer",
            sign_with(
                &sign_with(
                    &sign_with(&record(), &p.teacher, "GVCN"),
                    &p.principal,
                    "HT",
                ),
                &p.self_signed,
                "DAU",
            ),
            "untrusted",
        ),
        // KeyInfo.
        attack(
            "keyinfo-keyvalue",
            in_sig(good, 1, |s| {
                let i = s.find("<ds:KeyInfo>").unwrap() + "<ds:KeyInfo>".len();
                format!(
                    "{}<ds:KeyValue><ds:RSAKeyValue><ds:Modulus>AQAB</ds:Modulus><ds:Exponent>AQAB</ds:Exponent></ds:RSAKeyValue></ds:KeyValue>{}",
                    &s[..i],
                    &s[i..]
                )
            }),
            "key_info_not_allowed",
        ),
        attack(
            "keyinfo-retrieval-method",
            in_sig(good, 1, |s| {
                s.replace("</ds:X509Data></ds:KeyInfo>", "</ds:X509Data><ds:RetrievalMethod URI=\"http://evil.example/k\"></ds:RetrievalMethod></ds:KeyInfo>")
            }),
            "key_info_not_allowed",
        ),
        attack(
            "x509-issuer-serial",
            in_sig(good, 1, |s| {
                s.replace("</ds:X509Data>", "<ds:X509IssuerSerial><ds:X509IssuerName>CN=x</ds:X509IssuerName><ds:X509SerialNumber>1</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data>")
            }),
            "key_info_not_allowed",
        ),
        attack(
            "keyinfo-removed",
            in_sig(good, 1, |s| {
                let i = s.find("<ds:KeyInfo>").unwrap();
                let j = s.find("</ds:KeyInfo>").unwrap() + "</ds:KeyInfo>".len();
                format!("{}{}", &s[..i], &s[j..])
            }),
            "missing_certificate",
        ),
        // SignedInfo / structure tricks.
        attack(
            "text-in-signedinfo",
            in_sig(good, 1, |s| {
                s.replacen("<ds:SignedInfo>", "<ds:SignedInfo>ignored", 1)
            }),
            "malformed_signature",
        ),
        attack(
            "extra-attribute-on-reference",
            in_sig(good, 1, |s| {
                s.replacen(
                    "<ds:Reference URI=\"#data\"",
                    "<ds:Reference URI=\"#data\" Foo=\"1\"",
                    1,
                )
            }),
            "malformed_signature",
        ),
        attack(
            "second-signedinfo",
            in_sig(good, 1, |s| {
                let i = s.find("<ds:SignedInfo>").unwrap();
                let j = s.find("</ds:SignedInfo>").unwrap() + "</ds:SignedInfo>".len();
                format!("{}{}{}", &s[..j], &s[i..j], &s[j..])
            }),
            "malformed_signature",
        ),
        attack(
            "extra-object",
            in_sig(good, 3, |s| {
                s.replace(
                    "</ds:Signature>",
                    "<ds:Object Id=\"x1\">thêm</ds:Object></ds:Signature>",
                )
            }),
            "bad_properties",
        ),
        attack(
            "bad-base64-digest",
            in_sig(good, 1, |s| {
                let i = s.find("<ds:DigestValue>").unwrap() + "<ds:DigestValue>".len();
                format!("{}!!{}", &s[..i], &s[i + 2..])
            }),
            "bad_base64",
        ),
        // Encoding, size, depth, well-formedness.
        attack(
            "not-utf8",
            {
                let mut b = good.as_bytes().to_vec();
                let i = good.find("Nguyễn").unwrap();
                b[i + 2] = 0xff;
                b
            },
            "not_utf8",
        ),
        attack(
            "declared-latin1",
            replace1(good, "encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\""),
            "not_utf8",
        ),
        attack(
            "utf16-bom",
            {
                let mut b = vec![0xff, 0xfe];
                for u in good.encode_utf16() {
                    b.extend_from_slice(&u.to_le_bytes());
                }
                b
            },
            "not_utf8",
        ),
        attack(
            "truncated",
            &good.as_bytes()[..good.len() / 2],
            "malformed_xml",
        ),
        attack(
            "over-deep",
            replace1(
                good,
                "<Trong xmlns=\"\">",
                &format!(
                    "<Trong xmlns=\"\">{}{}",
                    "<s>".repeat(100),
                    "</s>".repeat(100)
                ),
            ),
            "too_deep",
        ),
    ];
    let mut big = good.to_owned();
    big.push_str(&" ".repeat(4 * 1024 * 1024));
    v.push(attack("oversize", big, "too_large"));
    let mut small = attack("oversize-configured-limit", good, "too_large");
    small.limits = Some(Limits {
        max_bytes: 10_000,
        ..Limits::default()
    });
    v.push(small);
    let mut nodes = attack("too-many-nodes", good, "too_many_nodes");
    nodes.limits = Some(Limits {
        max_nodes: 50,
        ..Limits::default()
    });
    v.push(nodes);
    let mut many = attack("too-many-signatures", good, "too_many_signatures");
    many.limits = Some(Limits {
        max_signatures: 2,
        ..Limits::default()
    });
    many.roles = None;
    v.push(many);
    let mut refs = attack("too-many-references", good, "too_many_references");
    refs.limits = Some(Limits {
        max_references: 3,
        ..Limits::default()
    });
    v.push(refs);
    let mut none = attack("no-signatures-without-roles", record(), "no_signatures");
    none.roles = None;
    v.push(none);
    v
}

#[test]
fn attack_corpus_is_rejected_with_expected_reasons() {
    let corpus = attack_corpus();
    assert!(corpus.len() >= 30);
    verify3(chain3()).expect("the unmutated document verifies");
    let mut failures = Vec::new();
    for a in &corpus {
        let limits = a.limits.unwrap_or_default();
        let result = verify_chain_with_limits(&a.doc, &layout(), &policy(), a.roles, &limits);
        match result {
            Err(e) if e.code() == a.expected => {}
            other => failures.push(format!(
                "{}: expected {}, got {:?}",
                a.name,
                a.expected,
                other.map(|_| "valid")
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} attacks misjudged:\n{}",
        failures.len(),
        corpus.len(),
        failures.join("\n")
    );
    if let Ok(dir) = std::env::var("HOCBA_WRITE_ATTACKS") {
        std::fs::create_dir_all(&dir).unwrap();
        let mut index =
            String::from("# file\texpected VerifyError::code()\texpected roles\tlimits\n");
        for a in &corpus {
            std::fs::write(Path::new(&dir).join(format!("{}.xml", a.name)), &a.doc).unwrap();
            let roles = a.roles.map_or_else(|| "-".to_owned(), |r| r.join(","));
            let limits = match a.limits {
                None => "default".to_owned(),
                Some(l) => format!("{l:?}"),
            };
            index.push_str(&format!(
                "{}.xml\t{}\t{roles}\t{limits}\n",
                a.name, a.expected
            ));
        }
        std::fs::write(Path::new(&dir).join("EXPECTED.tsv"), index).unwrap();
        std::fs::write(Path::new(&dir).join("root.pem"), &pki().root_pem).unwrap();
        std::fs::write(Path::new(&dir).join("valid.xml"), chain3()).unwrap();
    }
}

#[test]
fn trust_errors_carry_the_policy_reason() {
    let p = pki();
    let err = verify_chain(
        sign_with(&record(), &p.expired, "GVCN").as_bytes(),
        &layout(),
        &policy(),
        None,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::Untrusted {
                source: TrustError::NotValidAt { .. },
                ..
            }
        ),
        "{err:?}"
    );
    let err = verify_chain(
        sign_with(&record(), &p.foreign, "GVCN").as_bytes(),
        &layout(),
        &policy(),
        None,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::Untrusted {
                source: TrustError::Untrusted(_),
                ..
            }
        ),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Interoperability with xmlsec1
// ---------------------------------------------------------------------------------------

fn xmlsec_verify(dir: &Path, doc: &str, node_id: &str) -> std::process::Output {
    let path = dir.join("signed.xml");
    std::fs::write(&path, doc).unwrap();
    let root = dir.join("root.pem");
    std::fs::write(&root, &pki().root_pem).unwrap();
    tool("xmlsec1")
        .args(["--verify", "--enabled-reference-uris", "same-doc"])
        .args(["--id-attr:Id", "urn:hocba:record:1:DuLieu"])
        .args([
            "--id-attr:Id",
            "http://www.w3.org/2000/09/xmldsig#:Signature",
        ])
        .args(["--id-attr:Id", "http://www.w3.org/2000/09/xmldsig#:Object"])
        .args(["--trusted-pem"])
        .arg(&root)
        .args(["--verification-gmt-time", "2026-06-01 09:00:00"])
        .args(["--node-id", node_id])
        .arg(&path)
        .output()
        .unwrap()
}

#[test]
fn xmlsec1_verifies_each_signature_we_make() {
    let dir = tempfile::tempdir().unwrap();
    for k in 1..=3 {
        let out = xmlsec_verify(dir.path(), chain3(), &format!("sig{k}"));
        assert!(
            out.status.success(),
            "xmlsec1 rejected sig{k}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // And it notices tampering (the check is not vacuous).
    let tampered = chain3().replacen("Nguyễn Văn An", "Nguyễn Văn Ân", 1);
    let out = xmlsec_verify(dir.path(), &tampered, "sig1");
    assert!(!out.status.success());
}

const XMLSEC_TEMPLATE_ENVELOPED: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<BangDiem xmlns=\"urn:example:other\" xmlns:x=\"urn:example:x\">\n\
  <x:Lop Ten=\"10A2\">Trần Thị Bích &amp; Lê Văn Cường</x:Lop>\n\
  <Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">\n\
    <SignedInfo>\n\
      <CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\n\
      <SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>\n\
      <Reference URI=\"\">\n\
        <Transforms>\n\
          <Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\n\
          <Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\n\
        </Transforms>\n\
        <DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\n\
        <DigestValue/>\n\
      </Reference>\n\
    </SignedInfo>\n\
    <SignatureValue/>\n\
    <KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo>\n\
  </Signature>\n\
</BangDiem>\n";

const XMLSEC_TEMPLATE_ID: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<HocBa xmlns=\"urn:hocba:record:1\">\n\
  <DuLieu Id=\"data\"><HocSinh HoTen=\"Phạm Đức Duy\"/><Diem>9,5</Diem></DuLieu>\n\
  <ChuKySo>\n\
  <ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" Id=\"sig1\">\n\
    <ds:SignedInfo>\n\
      <ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\n\
      <ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256\"/>\n\
      <ds:Reference URI=\"#data\">\n\
        <ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms>\n\
        <ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\n\
        <ds:DigestValue/>\n\
      </ds:Reference>\n\
    </ds:SignedInfo>\n\
    <ds:SignatureValue/>\n\
    <ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>\n\
  </ds:Signature>\n\
  </ChuKySo>\n\
</HocBa>\n";

fn xmlsec_sign(dir: &Path, template: &str, id: &Identity, id_attr: Option<&str>) -> Vec<u8> {
    let tmpl = dir.join("tmpl.xml");
    std::fs::write(&tmpl, template).unwrap();
    let key = dir.join("key.pem");
    std::fs::write(&key, &id.key_pem).unwrap();
    let cert = dir.join("cert.pem");
    std::fs::write(&cert, id.cert_pem()).unwrap();
    let out_path = dir.join("xmlsec-signed.xml");
    let mut cmd = tool("xmlsec1");
    cmd.arg("--sign");
    if let Some(a) = id_attr {
        cmd.args(["--id-attr:Id", a]);
    }
    cmd.arg("--privkey-pem")
        .arg(format!("{},{}", key.display(), cert.display()));
    cmd.arg("--output").arg(&out_path).arg(&tmpl);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "xmlsec1 --sign failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&out_path).unwrap()
}

/// A self-issued signer certificate: xmlsec1 puts only the leaf in KeyInfo, so the
/// intermediate-issued test leaves would not chain to the pinned root by themselves.
fn direct_policy_for(id: &Identity) -> PinnedRootPolicy {
    PinnedRootPolicy::new(id.chain[1].clone())
}

#[test]
fn documents_signed_by_xmlsec1_verify_with_signatures_only() {
    let p = pki();
    let dir = tempfile::tempdir().unwrap();
    // Enveloped, URI="", RSA-SHA256, exc-c14n.
    let signed = xmlsec_sign(dir.path(), XMLSEC_TEMPLATE_ENVELOPED, &p.teacher, None);
    let report = verify_signatures_only(&signed, &direct_policy_for(&p.teacher), T).unwrap();
    assert_eq!(report.signatures.len(), 1);
    assert_eq!(report.signatures[0].references, [""]);
    assert_eq!(report.signatures[0].validated_at, T);
    let text = String::from_utf8(signed.clone()).unwrap();
    let tampered = replace1(&text, "Bích", "Bich");
    assert_eq!(
        verify_signatures_only(tampered.as_bytes(), &direct_policy_for(&p.teacher), T)
            .unwrap_err()
            .code(),
        "digest_mismatch"
    );
    // Id reference, ECDSA P-256.
    let signed = xmlsec_sign(
        dir.path(),
        XMLSEC_TEMPLATE_ID,
        &p.seal,
        Some("urn:hocba:record:1:DuLieu"),
    );
    let report = verify_signatures_only(&signed, &direct_policy_for(&p.seal), T).unwrap();
    assert_eq!(
        report.signatures[0].algorithm,
        SignatureAlgorithm::EcdsaP256Sha256
    );
    // InclusiveNamespaces PrefixList on the reference transform and on SignedInfo: the
    // in-scope but unused prefix `b` must be rendered by both sides.
    let inclusive = XMLSEC_TEMPLATE_ID
        .replace("<HocBa xmlns=\"urn:hocba:record:1\">", "<HocBa xmlns=\"urn:hocba:record:1\" xmlns:b=\"urn:b\">")
        .replace(
            "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>",
            "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"><ec:InclusiveNamespaces xmlns:ec=\"http://www.w3.org/2001/10/xml-exc-c14n#\" PrefixList=\"b #default\"/></ds:Transform>",
        )
        .replace(
            "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>",
            "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"><ec:InclusiveNamespaces xmlns:ec=\"http://www.w3.org/2001/10/xml-exc-c14n#\" PrefixList=\"b\"/></ds:CanonicalizationMethod>",
        );
    let signed_incl = xmlsec_sign(
        dir.path(),
        &inclusive,
        &p.seal,
        Some("urn:hocba:record:1:DuLieu"),
    );
    verify_signatures_only(&signed_incl, &direct_policy_for(&p.seal), T).unwrap();
    // Dropping the prefix list changes the canonical form, so the digest no longer matches.
    let text = String::from_utf8(signed_incl).unwrap();
    let without = replace1(
        &text,
        " PrefixList=\"b #default\"",
        " PrefixList=\"#default\"",
    );
    assert_eq!(
        verify_signatures_only(without.as_bytes(), &direct_policy_for(&p.seal), T)
            .unwrap_err()
            .code(),
        "bad_signature_value"
    );
    // Untrusted when the anchor is something else.
    let err = verify_signatures_only(&signed, &direct_policy_for(&p.foreign), T).unwrap_err();
    assert_eq!(err.code(), "untrusted");
}

// ---------------------------------------------------------------------------------------
// Randomised cross-checks of subtree canonicalization against xmlsec1
// ---------------------------------------------------------------------------------------

/// A tiny deterministic generator (xorshift) so every failing seed is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const URIS: [&str; 4] = [
    "urn:x",
    "urn:y",
    "http://example.com/z?q=1",
    "urn:vi:tieng-viet",
];
const TEXTS: [&str; 10] = [
    "Tiếng Việt có dấu",
    "a &amp; b",
    "&lt;tag&gt;",
    "x&#13;y",
    "\t tab\n",
    "<![CDATA[<&>]]>",
    "\"'",
    "  ",
    "]]&gt;",
    "đ Đ ư ơ",
];
const VALUES: [&str; 8] = [
    "plain",
    "&amp;&lt;&gt;",
    "&quot;'",
    "a&#9;b&#10;c&#13;d",
    "tab\there",
    "Nguyễn",
    "",
    "line\nbreak",
];

/// Generates an element with random namespace declarations, prefixes, attributes and
/// mixed content; `scope` maps prefixes ("" = default) to URIs ("" = none).
fn gen_element(
    rng: &mut Rng,
    depth: usize,
    scope: &mut Vec<(String, String)>,
    out: &mut String,
    target: &mut Option<String>,
) {
    let mark = scope.len();
    let mut decls = String::new();
    for _ in 0..rng.below(3) {
        let prefix = rng.pick(&["", "a", "b", "c"]);
        let uri = if prefix.is_empty() && rng.below(3) == 0 {
            ""
        } else {
            rng.pick(&URIS)
        };
        if decls.contains(&format!(
            "xmlns{}{prefix}=",
            if prefix.is_empty() { "" } else { ":" }
        )) {
            continue;
        }
        if prefix.is_empty() {
            decls.push_str(&format!(" xmlns=\"{uri}\""));
        } else {
            decls.push_str(&format!(" xmlns:{prefix}=\"{uri}\""));
        }
        scope.push((prefix.to_owned(), uri.to_owned()));
    }
    let lookup = |scope: &Vec<(String, String)>, p: &str| {
        scope
            .iter()
            .rev()
            .find(|(q, _)| q == p)
            .map(|(_, u)| u.clone())
            .unwrap_or_default()
    };
    let declared: Vec<String> = ["a", "b", "c"]
        .iter()
        .filter(|p| !lookup(scope, p).is_empty())
        .map(|p| (*p).to_owned())
        .collect();
    let is_target = target.is_none() && depth >= 1 && rng.below(4) == 0;
    let prefix = if !declared.is_empty() && rng.below(2) == 0 {
        declared[rng.below(declared.len())].clone()
    } else {
        String::new()
    };
    let local = if is_target {
        "T"
    } else {
        rng.pick(&["e", "f", "Gà", "h"])
    };
    let qname = if prefix.is_empty() {
        local.to_owned()
    } else {
        format!("{prefix}:{local}")
    };
    out.push_str(&format!("<{qname}{decls}"));
    if is_target {
        out.push_str(" Id=\"target\"");
        *target = Some(
            format!("{}:T", lookup(scope, &prefix))
                .trim_start_matches(':')
                .to_owned(),
        );
    }
    let mut used: Vec<(String, String)> = Vec::new();
    for _ in 0..rng.below(4) {
        let ap = if !declared.is_empty() && rng.below(2) == 0 {
            declared[rng.below(declared.len())].clone()
        } else {
            String::new()
        };
        let al = rng.pick(&["x", "y", "z"]);
        let key = (
            if ap.is_empty() {
                String::new()
            } else {
                lookup(scope, &ap)
            },
            al.to_owned(),
        );
        if used.contains(&key) {
            continue;
        }
        used.push(key);
        let aq = if ap.is_empty() {
            al.to_owned()
        } else {
            format!("{ap}:{al}")
        };
        out.push_str(&format!(" {aq}=\"{}\"", rng.pick(&VALUES)));
    }
    if depth >= 4 || rng.below(5) == 0 {
        out.push_str("/>");
    } else {
        out.push('>');
        for _ in 0..1 + rng.below(4) {
            if rng.below(2) == 0 {
                out.push_str(rng.pick(&TEXTS));
            } else {
                gen_element(rng, depth + 1, scope, out, target);
            }
        }
        out.push_str(&format!("</{qname}>"));
    }
    scope.truncate(mark);
}

/// Random documents: our whole-document canonical form equals `xmllint --exc-c14n`, and
/// xmlsec1 signs the `Id="target"` subtree (exclusive C14N, ECDSA) in a form our verifier
/// accepts, i.e. our subtree canonicalization is byte-equal to xmlsec1's on these shapes.
#[test]
fn random_subtrees_signed_by_xmlsec1_verify_with_ours() {
    let p = pki();
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    while checked < 100 {
        seed = seed.wrapping_add(0x1234_5678_9abc_def1);
        let mut rng = Rng(seed | 1);
        let mut body = String::new();
        let mut target = None;
        let mut scope = Vec::new();
        body.push_str("<R xmlns=\"urn:root\" xmlns:b=\"urn:y\">");
        scope.push((String::new(), "urn:root".to_owned()));
        scope.push(("b".to_owned(), "urn:y".to_owned()));
        for _ in 0..3 {
            gen_element(&mut rng, 1, &mut scope, &mut body, &mut target);
        }
        let Some(target) = target else { continue };
        let template = XMLSEC_TEMPLATE_ID
            .replace("<HocBa xmlns=\"urn:hocba:record:1\">", &body)
            .replace("</HocBa>", "</R>")
            .replace(
                "<DuLieu Id=\"data\"><HocSinh HoTen=\"Phạm Đức Duy\"/><Diem>9,5</Diem></DuLieu>",
                "",
            )
            .replace("URI=\"#data\"", "URI=\"#target\"");
        // Whole-document canonical form against xmllint first.
        let plain = dir.path().join("plain.xml");
        std::fs::write(&plain, &template).unwrap();
        let out = tool("xmllint")
            .arg("--exc-c14n")
            .arg(&plain)
            .output()
            .unwrap();
        assert!(out.status.success());
        let parsed = roxmltree::Document::parse(&template).unwrap();
        let mut ours = Vec::new();
        c14n::canonicalize_document(&parsed, &[], None, &mut ours).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(out.stdout).unwrap(),
            "seed {seed:#x}"
        );
        let signed = xmlsec_sign(dir.path(), &template, &p.seal, Some(&target));
        let result = verify_signatures_only(&signed, &direct_policy_for(&p.seal), T);
        assert!(
            result.is_ok(),
            "seed {seed:#x}: {result:?}\n{}",
            String::from_utf8_lossy(&signed)
        );
        checked += 1;
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Random byte edits of a valid chain never panic the verifier, and a letter or digit
    /// changed inside the data element is always rejected.
    #[test]
    fn random_edits_never_panic(pos in 0usize..20_000, byte in proptest::prelude::any::<u8>(), cut in proptest::prelude::any::<bool>()) {
        let good = chain3().as_bytes();
        let pos = pos % good.len();
        let mut doc = good.to_vec();
        if cut {
            doc.truncate(pos);
        } else {
            doc[pos] = byte;
        }
        let result = verify_chain(&doc, &layout(), &policy(), Some(&ROLES));
        let data_start = chain3().find("<DuLieu").unwrap();
        let data_end = chain3().find("</DuLieu>").unwrap();
        // An alphanumeric byte replaced by another one always changes a name, a value or
        // text (whitespace edits between attributes may legitimately be neutral).
        if !cut
            && (data_start..data_end).contains(&pos)
            && good[pos] != byte
            && good[pos].is_ascii_alphanumeric()
            && byte.is_ascii_alphanumeric()
        {
            proptest::prop_assert!(result.is_err(), "edit at {} accepted", pos);
        }
    }
}

/// Rejections specific to `verify_signatures_only` (enveloped and `#id` references).
#[test]
fn signatures_only_mode_rejections() {
    let p = pki();
    let dir = tempfile::tempdir().unwrap();
    let policy = direct_policy_for(&p.teacher);
    let signed = String::from_utf8(xmlsec_sign(
        dir.path(),
        XMLSEC_TEMPLATE_ENVELOPED,
        &p.teacher,
        None,
    ))
    .unwrap();
    let code = |doc: &str| {
        verify_signatures_only(doc.as_bytes(), &policy, T)
            .unwrap_err()
            .code()
    };
    // URI="" without the enveloped transform.
    let no_env = replace1(
        &signed,
        "<Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>",
        "",
    );
    assert_eq!(code(&no_env), "wrong_transforms");
    // Enveloped transform after exc-c14n.
    let order = replace1(
        &no_env,
        "<Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>",
        "<Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>",
    );
    assert_eq!(code(&order), "wrong_transforms");
    // Unresolvable same-document reference.
    assert_eq!(
        code(&replace1(&signed, "URI=\"\"", "URI=\"#nowhere\"")),
        "unresolved_reference"
    );
    // Enveloped transform on a reference that does not contain the signature.
    let sibling = replace1(&signed, "<x:Lop ", "<x:Lop Id=\"lop\" ");
    assert_eq!(
        code(&replace1(&sibling, "URI=\"\"", "URI=\"#lop\"")),
        "forbidden_transform"
    );
    // A second, unsigned copy of the content is still covered by URI="": digest fails.
    assert_eq!(
        code(&replace1(
            &signed,
            "</BangDiem>",
            "<x:Lop xmlns:x=\"urn:example:x\">giả</x:Lop></BangDiem>"
        )),
        "digest_mismatch"
    );
    // No signature at all.
    assert_eq!(code("<a/>"), "no_signatures");
    // DTDs are refused in this mode too.
    assert_eq!(
        code(&format!(
            "<!DOCTYPE BangDiem>{}",
            signed.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        )),
        "dtd_forbidden"
    );
}
