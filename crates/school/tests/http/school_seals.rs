//! One seal key per school on a multi-school installation (`Config::seals`): school A
//! seals with its own key, school B with the server's default; each sealed record carries
//! its own school's seal certificate; a school with no seal at all is refused and nothing
//! changes. The clerk sees which seal will be applied before and after sealing, the admin
//! on "Quy trình ký".

use super::*;

/// School A's own seal: a second identity of the test PKI (issued by the same school CA,
/// same key usage as the demo seal), distinct from the default seal certificate.
fn own_seal_of_a() -> &'static pki::DemoIdentity {
    &test_pki().ecdsa
}

fn p12_key(id: &pki::DemoIdentity) -> school::SealKey {
    school::SealKey::Pkcs12 {
        p12: p12(id),
        password: pki::DEMO_P12_PASSWORD.to_owned(),
    }
}

/// Trusts the test PKI; school A (79000001) has its own seal; `default` for the others.
async fn spawn(default: Option<school::SealKey>) -> TestApp {
    let pki = test_pki();
    spawn_app_with(school::Config {
        trust_roots_pem: Some(pki.root_pem().into_bytes()),
        seal: default,
        seals: [("79000001".to_owned(), p12_key(own_seal_of_a()))].into(),
        ..school::Config::default()
    })
    .await
}

fn subject_of(der: &[u8]) -> String {
    pki::CertInfo::from_der(der).unwrap().subject
}

fn fingerprint(der: &[u8]) -> String {
    pki::CertInfo::from_der(der).unwrap().sha256_fingerprint
}

/// The SHA-256 fingerprint of the certificate of the last signature of `xml`, checked
/// against the test PKI and asserted to be the seal ("DAU").
fn last_signer_fingerprint(xml: &str) -> String {
    let trust = pki::TrustStore::from_pem_bundle(test_pki().root_pem().as_bytes()).unwrap();
    let report = xmldsig::verify_signatures_only(xml.as_bytes(), &trust, now()).unwrap();
    let last = report.signatures.last().unwrap();
    assert_eq!(last.role.as_deref(), Some("DAU"));
    last.signer.sha256_fingerprint.to_ascii_lowercase()
}

/// GVCN and HT of `class` sign, so that its records wait for the seal.
async fn awaiting_seal(app: &TestApp, class: ClassId, gvcn: &str, ht: &str) {
    let pki = test_pki();
    let gvcn = app.login(gvcn).await;
    homeroom_signs(app, &gvcn, class).await;
    let ht = app.login(ht).await;
    let r = app
        .post_multipart(
            &ht,
            "/signing/batch",
            &[
                ("class", &class.to_string()),
                ("password", pki::DEMO_P12_PASSWORD),
            ],
            Some(&p12(&pki.ht)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn records_of(app: &TestApp, class: ClassId) -> Vec<store::StoredRecord> {
    app.store.current_records_of_class(class).await.unwrap()
}

#[tokio::test]
async fn each_school_seals_with_its_own_seal_or_the_default() {
    let pki = test_pki();
    let app = spawn(Some(p12_key(&pki.seal))).await;
    let (own_subject, default_subject) = (
        subject_of(&own_seal_of_a().cert_der),
        subject_of(&pki.seal.cert_der),
    );
    // Else the test would prove nothing.
    assert_ne!(own_subject, default_subject);
    reviewed_class(&app).await;
    awaiting_seal(&app, app.class_a1, "gvcn.a1", "ht.a").await;
    reviewed_class_b(&app).await;
    awaiting_seal(&app, app.class_b1, "gvcn.b1", "ht.b").await;

    // Before sealing, the clerk sees which seal will be applied: school A's own.
    let vt = app.login("vt.a").await;
    let dashboard = app.get(Some(&vt), "/signing").await;
    assert_eq!(dashboard.status, StatusCode::OK, "{}", dashboard.body);
    assert!(
        dashboard
            .body
            .contains("Chứng thư số dấu sẽ dùng khi «Đóng dấu số»")
            && dashboard.body.contains(&own_subject),
        "{}",
        dashboard.body
    );
    // School B's principal sees the default seal, never A's.
    let ht_b = app.login("ht.b").await;
    let dashboard = app.get(Some(&ht_b), "/signing").await;
    assert!(
        dashboard
            .body
            .contains("Chứng thư số dấu sẽ dùng khi «Đóng dấu số»")
            && dashboard.body.contains(&default_subject)
            && !dashboard.body.contains(&own_subject),
        "{}",
        dashboard.body
    );
    // "Quy trình ký" names the seal and whose it is.
    let admin = app.login("admin.a").await;
    let chain = app.get(Some(&admin), "/admin/signing-chain").await;
    assert_eq!(chain.status, StatusCode::OK, "{}", chain.body);
    assert!(
        chain.body.contains("riêng của trường") && chain.body.contains(&own_subject),
        "{}",
        chain.body
    );

    let r = app
        .post(
            &vt,
            "/signing/seal",
            &[("class", &app.class_a1.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã đóng dấu 2 học bạ"), "{}", r.body);
    assert!(
        r.body.contains("Chứng thư số dấu đã dùng") && r.body.contains(&own_subject),
        "{}",
        r.body
    );
    let r = app
        .post(
            &ht_b,
            "/signing/seal",
            &[("class", &app.class_b1.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã đóng dấu 1 học bạ"), "{}", r.body);

    let a = records_of(&app, app.class_a1).await;
    assert_eq!(a.len(), 2);
    for r in &a {
        assert_eq!((r.state, r.signatures), (store::RecordState::Signed, 3));
        assert_eq!(
            last_signer_fingerprint(r.xml.as_deref().unwrap()),
            fingerprint(&own_seal_of_a().cert_der)
        );
    }
    let b = records_of(&app, app.class_b1).await;
    assert_eq!(b.len(), 1);
    assert_eq!(
        (b[0].state, b[0].signatures),
        (store::RecordState::Signed, 3)
    );
    assert_eq!(
        last_signer_fingerprint(b[0].xml.as_deref().unwrap()),
        fingerprint(&pki.seal.cert_der)
    );
}

#[tokio::test]
async fn a_school_without_a_seal_is_refused_and_nothing_changes() {
    let app = spawn(None).await;
    reviewed_class_b(&app).await;
    awaiting_seal(&app, app.class_b1, "gvcn.b1", "ht.b").await;
    let before = records_of(&app, app.class_b1).await;
    assert_eq!(
        (before[0].state, before[0].signatures),
        (store::RecordState::Signing, 2)
    );

    let ht_b = app.login("ht.b").await;
    let dashboard = app.get(Some(&ht_b), "/signing").await;
    assert!(
        dashboard
            .body
            .contains("Máy chủ chưa có chứng thư số dấu của trường"),
        "{}",
        dashboard.body
    );
    let r = app
        .post(
            &ht_b,
            "/signing/seal",
            &[("class", &app.class_b1.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body
            .contains("Máy chủ chưa được cấu hình chứng thư số dấu của đơn vị"),
        "{}",
        r.body
    );
    let after = records_of(&app, app.class_b1).await;
    assert_eq!(
        after
            .iter()
            .map(|r| (r.state, r.signatures, r.sha256.clone()))
            .collect::<Vec<_>>(),
        before
            .iter()
            .map(|r| (r.state, r.signatures, r.sha256.clone()))
            .collect::<Vec<_>>()
    );

    // School A, on the same server, still seals with its own key.
    reviewed_class(&app).await;
    sign_and_seal(&app, app.class_a1, "gvcn.a1", "ht.a", "vt.a", 2).await;
    for r in records_of(&app, app.class_a1).await {
        assert_eq!(
            last_signer_fingerprint(r.xml.as_deref().unwrap()),
            fingerprint(&own_seal_of_a().cert_der)
        );
    }
}
