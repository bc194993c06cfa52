//! `seed_demo`: each demo school gets its own seal approved, for that school only.

use std::sync::Arc;

use axum::http::StatusCode;
use registry::RegistryKey;
use registry_server::{AppState, Config, SchoolEntry};
use store::Store;

use super::{NOW, TestApp, demo_pki, sign};

/// The demo schools with their own seals, as `hocba registry --demo-pki` passes them.
fn demo_schools(pki: &pki::DemoPki) -> Vec<(SchoolEntry, Vec<Vec<u8>>)> {
    let levels = [
        domain::Level::Primary,
        domain::Level::LowerSecondary,
        domain::Level::UpperSecondary,
        domain::Level::Continuing,
    ];
    pki::DEMO_SCHOOLS
        .iter()
        .zip(levels)
        .map(|(s, level)| {
            let seal = pki.school_seal(s.code).expect("a seal per demo school");
            (
                SchoolEntry {
                    code: s.code.to_owned(),
                    name: s.name.to_owned(),
                    level,
                    authority: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh".to_owned(),
                },
                vec![seal.cert_der.clone()],
            )
        })
        .collect()
}

fn fingerprint(der: &[u8]) -> String {
    pki::CertInfo::from_der(der)
        .unwrap()
        .sha256_fingerprint
        .to_ascii_lowercase()
}

async fn live_approvals(store: &Store, code: &str) -> Vec<String> {
    store
        .seal_approvals(code)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.withdrawn_at.is_none())
        .map(|a| a.fingerprint)
        .collect()
}

#[tokio::test]
async fn each_demo_school_gets_its_own_seal_approved_and_no_other() {
    let pki = demo_pki();
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("r.sqlite3").display()
    );
    let store = Store::open(&url).await.unwrap();
    let schools = demo_schools(&pki);

    let seeded = registry_server::seed_demo(&store, &schools, NOW)
        .await
        .unwrap();
    assert_eq!(seeded.len(), 4);
    assert!(seeded.iter().all(|(_, token)| token.is_some()));
    let shared = fingerprint(&pki.seal.cert_der);
    for (school, seals) in &schools {
        let live = live_approvals(&store, &school.code).await;
        assert_eq!(live, [fingerprint(&seals[0])], "{}", school.code);
        assert!(!live.contains(&shared), "the shared seal is not approved");
        for (other, other_seals) in &schools {
            if other.code != school.code {
                assert!(
                    !live.contains(&fingerprint(&other_seals[0])),
                    "{}",
                    other.code
                );
            }
        }
    }

    // Seeding again adds nothing and keeps the tokens.
    let again = registry_server::seed_demo(&store, &schools, NOW + 10)
        .await
        .unwrap();
    assert!(again.iter().all(|(_, token)| token.is_none()));
    for (school, _) in &schools {
        assert_eq!(live_approvals(&store, &school.code).await.len(), 1);
    }

    // Ingest: a record of Trường THPT Chu Văn An sealed with its own seal is accepted;
    // sealed with the THCS school's seal or the old shared seal it is not.
    let token = seeded
        .iter()
        .find(|(code, _)| code == "79000303")
        .and_then(|(_, t)| t.clone())
        .unwrap();
    let app = TestApp {
        router: registry_server::router(AppState::new(
            store.clone(),
            RegistryKey::from_pkcs8(&RegistryKey::generate_pkcs8().unwrap()).unwrap(),
            pki::TrustStore::from_pem_bundle(pki.root_pem().as_bytes()).unwrap(),
            Config {
                clock: Arc::new(|| NOW + 1000),
                ..Config::default()
            },
        )),
        store,
        key_hex: String::new(),
        token: token.clone(),
        other_token: String::new(),
        pki: pki.clone(),
        _dir: Some(dir),
    };
    let mut r = record::examples::thpt();
    r.school.code = "79000303".parse().unwrap();
    r.school.name = record::Text::new("Trường THPT Chu Văn An").unwrap();
    let xml = r.to_xml();
    let s2 = sign(&sign(&xml, &pki.gvcn, "GVCN", NOW), &pki.ht, "HT", NOW + 60);
    for wrong in [pki.school_seal("79000202").unwrap(), &pki.seal] {
        let (status, v) = app
            .post_record(Some(&token), sign(&s2, wrong, "DAU", NOW + 120))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "seal-not-approved", "{v}");
    }
    let own = pki.school_seal("79000303").unwrap();
    let (status, v) = app
        .post_record(Some(&token), sign(&s2, own, "DAU", NOW + 120))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "accepted");
}
