//! The registry operator's read-only queries (STORIES #26), on both backends: the counts
//! of `hocba registry stats` over a window, and the keyset walk of `hocba registry
//! check-store` that visits every stored row exactly once, in key order.

use domain::{Grade, Level, SchoolYear};
use store::{
    HourCount, NewCertificate, NewRegistryRecord, NewRegistrySchool, NewRevocation,
    RejectionCodeCount, Store,
};

use super::support::{hex64, record_id, student};

contract!(
    registry_stats_count_the_window_exactly,
    registry_records_page_walks_every_row_once_in_key_order,
);

/// A round hour (494 445 × 3600), so that the hour buckets are predictable.
const NOW: i64 = 1_780_002_000;

async fn add_school(s: &Store, code: &str, token_digit: char) {
    s.insert_registry_school(&NewRegistrySchool {
        code: code.to_owned(),
        name: format!("Trường THPT {code}"),
        level: Level::UpperSecondary,
        authority: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh".to_owned(),
        token_sha256: hex64(token_digit),
        created_at: NOW - 400 * 86_400,
    })
    .await
    .expect("school");
}

async fn store_record(s: &Store, school: &str, student_n: u32, id: u8, at: i64) {
    let digest = format!("{:064x}", u32::from(id) * 7919);
    s.insert_registry_record(&NewRegistryRecord {
        student_code: student(student_n),
        record_id: record_id(id),
        version: 1,
        digest: digest.clone(),
        school_code: school.to_owned(),
        year: SchoolYear::starting(2025).expect("year"),
        grade: Grade::new(10).expect("grade"),
        supersedes_id: None,
        xml: format!("<HocBa>Nguyễn Thị Thu Hà {id}</HocBa>"),
        received_at: at,
        receipt: format!(r#"{{"receipt":{{"digest":"{digest}"}}}}"#),
    })
    .await
    .expect("record");
}

async fn registry_stats_count_the_window_exactly(db: super::support::TestDb) {
    let s = &db.store;
    add_school(s, "79000001", 'a').await;
    add_school(s, "79000002", 'b').await;
    add_school(s, "79000003", 'c').await;
    add_school(s, "79000004", 'd').await;
    let since = NOW - 24 * 3600;
    // School 1: two records in one hour, one in the last hour, one long before the window.
    store_record(s, "79000001", 1, 1, NOW - 7200).await;
    store_record(s, "79000001", 2, 2, NOW - 7200 + 3599).await;
    store_record(s, "79000001", 3, 3, NOW + 10).await;
    store_record(s, "79000001", 4, 4, since - 1).await;
    // School 2: only refusals (the same document twice, another one), and one before the
    // window that is not counted.
    s.record_rejection(
        "79000002",
        &hex64('1'),
        Some((2025, 10)),
        "signature",
        NOW - 60,
    )
    .await
    .unwrap();
    s.record_rejection(
        "79000002",
        &hex64('1'),
        Some((2025, 10)),
        "signature",
        NOW - 30,
    )
    .await
    .unwrap();
    s.record_rejection("79000002", &hex64('2'), None, "malformed", NOW - 20)
        .await
        .unwrap();
    s.record_rejection("79000002", &hex64('3'), None, "malformed", since - 1)
        .await
        .unwrap();
    // School 4: a record before the window only.
    store_record(s, "79000004", 5, 5, since - 3600).await;
    // Pending work for the authorities.
    s.submit_certificate(&NewCertificate {
        school_code: "79000003".to_owned(),
        fingerprint: hex64('e'),
        subject: "CN=Dấu Trường THPT 79000003".to_owned(),
        issuer: "CN=Hocba Demo School CA".to_owned(),
        not_before: NOW - 86_400,
        not_after: NOW + 365 * 86_400,
        pem: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n".to_owned(),
        submitted_at: NOW - 100,
    })
    .await
    .unwrap();
    s.insert_revocation(&NewRevocation {
        student_code: student(1),
        record_id: record_id(1),
        school_code: "79000001".to_owned(),
        reason: "Nhập nhầm điểm môn Toán".to_owned(),
        requested_at: NOW - 50,
    })
    .await
    .unwrap();

    let stats = s.registry_stats(since).await.unwrap();
    assert_eq!(
        stats.hourly,
        [
            HourCount {
                hour_start: NOW - 7200,
                stored: 2
            },
            HourCount {
                hour_start: NOW,
                stored: 1
            },
        ]
    );
    assert_eq!(stats.stored_in_window, 3);
    assert_eq!(stats.stored_total, 5);
    assert_eq!(
        stats.rejections,
        [
            RejectionCodeCount {
                code: "malformed".to_owned(),
                attempts: 1,
                documents: 1
            },
            RejectionCodeCount {
                code: "signature".to_owned(),
                attempts: 2,
                documents: 1
            },
        ]
    );
    assert_eq!(stats.pending_certificates, 1);
    assert_eq!(stats.pending_revocations, 1);
    assert_eq!(stats.silent_schools, ["79000003", "79000004"]);

    // A window that starts later sees only the last hour; an empty registry window
    // answers zeros, not an error.
    let late = s.registry_stats(NOW).await.unwrap();
    assert_eq!(late.stored_in_window, 1);
    assert!(late.rejections.is_empty());
    let future = s.registry_stats(NOW + 86_400).await.unwrap();
    assert!(future.hourly.is_empty());
    assert_eq!(future.stored_in_window, 0);
    assert_eq!(future.stored_total, 5);
    assert_eq!(future.silent_schools.len(), 4);
}

async fn registry_records_page_walks_every_row_once_in_key_order(db: super::support::TestDb) {
    let s = &db.store;
    assert!(s.registry_records_page(None, 3).await.unwrap().is_empty());
    add_school(s, "79000001", 'a').await;
    // Seven records over three students, inserted out of key order.
    let mut expected = Vec::new();
    for (student_n, id) in [(3, 9), (1, 4), (2, 7), (1, 2), (3, 1), (2, 8), (1, 6)] {
        store_record(s, "79000001", student_n, id, NOW).await;
        expected.push((student(student_n).to_string(), record_id(id)));
    }
    expected.sort();
    s.revoke_registry_record(&student(2), &record_id(7), NOW + 5, "Thu hồi theo đề nghị")
        .await
        .unwrap();

    let mut seen = Vec::new();
    let mut after: Option<(String, String)> = None;
    let mut pages = 0;
    loop {
        let page = s
            .registry_records_page(after.as_ref().map(|(a, b)| (a.as_str(), b.as_str())), 3)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        pages += 1;
        assert!(page.len() <= 3);
        for row in &page {
            seen.push((row.student_code.clone(), row.record_id.clone()));
        }
        let last = page.last().unwrap();
        after = Some((last.student_code.clone(), last.record_id.clone()));
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, expected);

    // The row comes back as stored, byte for byte, with its revocation.
    let all = s.registry_records_page(None, 100).await.unwrap();
    let revoked = all
        .iter()
        .find(|r| r.record_id == record_id(7))
        .expect("revoked row");
    assert_eq!(revoked.status, "revoked");
    assert_eq!(revoked.revoked_at, Some(NOW + 5));
    assert_eq!(
        revoked.revoked_reason.as_deref(),
        Some("Thu hồi theo đề nghị")
    );
    assert_eq!(revoked.xml, "<HocBa>Nguyễn Thị Thu Hà 7</HocBa>");
    assert_eq!(revoked.version, 1);
    assert_eq!(revoked.received_at, NOW);
    let current = all.iter().find(|r| r.record_id == record_id(1)).unwrap();
    assert_eq!(
        (current.status.as_str(), current.revoked_at),
        ("current", None)
    );
    assert_eq!(current.digest, format!("{:064x}", 7919));
}
