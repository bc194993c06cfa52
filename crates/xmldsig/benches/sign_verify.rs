//! Sign and verify throughput of a realistic THPT record with a three-signature chain
//! (teacher RSA-2048 → principal RSA-2048 → seal ECDSA P-256), single- and multi-threaded,
//! beside the raw RSA-2048 signing rate of aws-lc-rs on the same machine.
//!
//! Run: `cargo bench -p xmldsig --bench sign_verify` (optional argument: seconds per
//! measurement, default 3). Trust validation is cached by (chain, time), as the contract of
//! `TrustPolicy` allows callers to do, so the numbers measure the XMLDSig work.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use xmldsig::testing::PinnedRootPolicy;
use xmldsig::{
    CertSummary, ChainLayout, SignatureProperties, Signer, SoftwareSigner, TrustError, TrustPolicy,
};

const T: i64 = 1_780_304_400;
const NS: &str = "urn:hocba:record:1";

struct Cached<P> {
    inner: P,
    cache: RwLock<HashMap<(Vec<u8>, i64), CertSummary>>,
}

impl<P: TrustPolicy> TrustPolicy for Cached<P> {
    fn validate(&self, chain: &[Vec<u8>], at: i64) -> Result<CertSummary, TrustError> {
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        for c in chain {
            ctx.update(c);
        }
        let key = (ctx.finish().as_ref().to_vec(), at);
        if let Some(s) = self.cache.read().unwrap().get(&key) {
            return Ok(s.clone());
        }
        let s = self.inner.validate(chain, at)?;
        self.cache.write().unwrap().insert(key, s.clone());
        Ok(s)
    }
}

fn key_rsa() -> rcgen::KeyPair {
    use aws_lc_rs::encoding::AsDer;
    let kp = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let der: aws_lc_rs::encoding::Pkcs8V1Der<'static> = kp.as_der().unwrap();
    rcgen::KeyPair::try_from(der.as_ref()).unwrap()
}

fn params(cn: &str, ca: bool) -> rcgen::CertificateParams {
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    p.not_before = rcgen::date_time_ymd(2024, 1, 1);
    p.not_after = rcgen::date_time_ymd(2030, 1, 1);
    if ca {
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    }
    p
}

/// A THPT grade-12 record: identity, 12 subjects with regular/mid/final scores per term.
fn record() -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<HocBa xmlns=\"urn:hocba:record:1\">\n  <DuLieu Id=\"data\">\n\
    <HocSinh MaHocSinh=\"0123456789ABCDEFGHIJ\" MaDinhDanh=\"001206001234\" HoTen=\"Nguyễn Văn An\" GioiTinh=\"Nam\" NgaySinh=\"2008-03-15\" DanToc=\"Kinh\" QuocTich=\"VN\" NoiSinh=\"Hà Nội\"/>\n\
    <Truong MaTruong=\"01-THPT-CVA\" MaSoGD=\"01\" Ten=\"THPT Chu Văn An\" MaKhoi=\"12\" Lop=\"12A1\" NamHoc=\"2025-2026\"/>\n",
    );
    let subjects = [
        "TOAN", "VAN", "ANH", "LY", "HOA", "SINH", "SU", "DIA", "GDKTPL", "TIN", "CN", "GDQPAN",
    ];
    for (i, m) in subjects.iter().enumerate() {
        s.push_str(&format!(
            "    <MonHoc MaMonHoc=\"{m}\" PhienBanQuyTac=\"TT22-2021/1\">\n"
        ));
        for hk in 1..=2 {
            s.push_str(&format!("      <HocKy So=\"{hk}\">"));
            for k in 0..4 {
                s.push_str(&format!(
                    "<DDGtx>{}.{}</DDGtx>",
                    6 + (i + k) % 4,
                    (i * k) % 10
                ));
            }
            s.push_str(&format!(
                "<DDGgk>7.{i}</DDGgk><DDGck>8.{hk}</DDGck><DTBmhk>7.{}</DTBmhk></HocKy>\n",
                (i + hk) % 10
            ));
        }
        s.push_str(&format!("      <DTBmcn>7.{}</DTBmcn><NhanXet>Chăm chỉ, tiến bộ rõ rệt trong học kì II.</NhanXet>\n    </MonHoc>\n", i % 10));
    }
    s.push_str("    <KetQua HocLuc=\"Tốt\" RenLuyen=\"Tốt\" LenLop=\"true\" DanhHieu=\"Học sinh Xuất sắc\" SoNgayNghi=\"2\"/>\n  </DuLieu>\n  <ChuKySo/>\n</HocBa>\n");
    s
}

fn rate(secs: f64, threads: usize, f: impl Fn() + Sync) -> f64 {
    let deadline = Duration::from_secs_f64(secs);
    let counts: Vec<u64> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..threads)
            .map(|_| {
                sc.spawn(|| {
                    let start = Instant::now();
                    let mut n = 0u64;
                    while start.elapsed() < deadline {
                        f();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    counts.iter().sum::<u64>() as f64 / secs
}

fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3.0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());

    let root_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let root_params = params("Bench Root", true);
    let root = root_params.self_signed(&root_key).unwrap();
    let issuer = rcgen::Issuer::new(root_params, root_key);
    let mk = |cn: &str, key: rcgen::KeyPair| {
        let cert = params(cn, false).signed_by(&key, &issuer).unwrap();
        SoftwareSigner::from_parts(key.serialize_pem().as_bytes(), vec![cert.der().to_vec()])
            .unwrap()
    };
    let signers = [
        (mk("GVCN", key_rsa()), "GVCN"),
        (mk("HT", key_rsa()), "HT"),
        (
            mk(
                "DAU",
                rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
            ),
            "DAU",
        ),
    ];
    let layout = ChainLayout::new(NS, "DuLieu", NS, "ChuKySo");
    let unsigned = record();
    let sign3 = || {
        let mut d = unsigned.clone().into_bytes();
        for (s, role) in &signers {
            let p = SignatureProperties {
                signing_time: T,
                role: (*role).into(),
                signer_name: None,
            };
            d = xmldsig::sign_next(&d, &layout, s, &p).unwrap();
        }
        d
    };
    let signed = sign3();
    let policy = Cached {
        inner: PinnedRootPolicy::new(root.der().to_vec()),
        cache: RwLock::new(HashMap::new()),
    };
    let roles = ["GVCN", "HT", "DAU"];
    xmldsig::verify_chain(&signed, &layout, &policy, Some(&roles)).unwrap();
    if let Ok(dir) = std::env::var("HOCBA_BENCH_OUT") {
        std::fs::write(format!("{dir}/record-signed.xml"), &signed).unwrap();
        std::fs::write(format!("{dir}/root.pem"), root.pem()).unwrap();
    }

    if std::env::args().nth(2).as_deref() == Some("c14n-only") {
        let t = std::str::from_utf8(&signed).unwrap();
        let doc = roxmltree::Document::parse(t).unwrap();
        let data = doc
            .descendants()
            .find(|n| n.has_tag_name("DuLieu"))
            .unwrap();
        let sig1 = doc
            .descendants()
            .find(|n| n.attribute("Id") == Some("sig1"))
            .unwrap();
        let n_el = data.descendants().filter(|n| n.is_element()).count();
        let ns: usize = data
            .descendants()
            .filter(|n| n.is_element())
            .map(|n| n.namespaces().len())
            .sum();
        println!("data elements {n_el}, namespace nodes {ns}");
        for (name, node) in [("data", data), ("sig1", sig1)] {
            let r = rate(secs, 1, || {
                let mut buf = Vec::with_capacity(16 * 1024);
                xmldsig::c14n::canonicalize(node, &[], &mut buf).unwrap();
            });
            println!("c14n {name}: {r:.0}/s");
        }
        return;
    }
    if std::env::args().nth(2).as_deref() == Some("verify-only") {
        let n: usize = std::env::args()
            .nth(3)
            .and_then(|a| a.parse().ok())
            .unwrap_or(1);
        let r = rate(secs, n, || {
            xmldsig::verify_chain(&signed, &layout, &policy, Some(&roles)).unwrap();
        });
        println!("verify 3-signature record: {r:.0}/s on {n} thread(s)");
        return;
    }
    let rsa = &signers[0].0;
    let raw_1 = rate(secs, 1, || {
        rsa.sign(b"benchmark").unwrap();
    });
    let raw_n = rate(secs, threads, || {
        rsa.sign(b"benchmark").unwrap();
    });
    let ec = &signers[2].0;
    let rsa_sig = rsa.sign(b"benchmark").unwrap();
    let ec_sig = ec.sign(b"benchmark").unwrap();
    let rsa_pk = xmldsig::der::parse_certificate(&rsa.certificate_chain()[0])
        .unwrap()
        .public_key
        .to_vec();
    let ec_pk = xmldsig::der::parse_certificate(&ec.certificate_chain()[0])
        .unwrap()
        .public_key
        .to_vec();
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey,
    };
    let rsa_v = rate(secs, 1, || {
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &rsa_pk)
            .verify(b"benchmark", &rsa_sig)
            .unwrap();
    });
    let ec_v = rate(secs, 1, || {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &ec_pk)
            .verify(b"benchmark", &ec_sig)
            .unwrap();
    });
    let parse_only = rate(secs, 1, || {
        let t = std::str::from_utf8(&signed).unwrap();
        roxmltree::Document::parse(t).unwrap();
    });
    println!(
        "raw verify (1 thread): RSA-2048 {rsa_v:.0}/s, ECDSA P-256 {ec_v:.0}/s; roxmltree parse of the signed record {parse_only:.0}/s"
    );
    let verify_1 = rate(secs, 1, || {
        xmldsig::verify_chain(&signed, &layout, &policy, Some(&roles)).unwrap();
    });
    let verify_n = rate(secs, threads, || {
        xmldsig::verify_chain(&signed, &layout, &policy, Some(&roles)).unwrap();
    });
    let sign_n = rate(secs, threads, || {
        sign3();
    });

    println!(
        "document: {} bytes unsigned, {} bytes with 3 signatures",
        unsigned.len(),
        signed.len()
    );
    println!(
        "raw RSA-2048 sign (aws-lc-rs): {raw_1:>9.0}/s on 1 thread, {raw_n:>9.0}/s on {threads}"
    );
    println!(
        "verify 3-signature record:     {verify_1:>9.0}/s on 1 thread, {verify_n:>9.0}/s on {threads} (target >= 10000)"
    );
    println!(
        "sign 3-signature record:       {sign_n:>9.0}/s on {threads} threads = {:.2} x the raw limit of {:.0} records/s (3 RSA-2048 signatures each; our chain signs 2 RSA + 1 ECDSA)",
        sign_n / (raw_n / 3.0),
        raw_n / 3.0
    );
    println!(
        "RESULT threads={threads} raw_sign_1={raw_1:.0} raw_sign_n={raw_n:.0} verify_1={verify_1:.0} verify_n={verify_n:.0} sign_n={sign_n:.0}"
    );
}
