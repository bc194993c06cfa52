//! Revocation requests, share codes and the lookup rate limit (migration 0008), on both
//! backends: one pending request per record, approval revokes the record in the same
//! transaction, rejection leaves it current, decisions happen once; share codes by hash,
//! expiry and revocation by their own student only; failed attempts counted per bucket
//! within the window and forgotten after it.

use domain::{Grade, Level, SchoolYear};
use store::{
    Error, NewRegistryRecord, NewRegistrySchool, NewRevocation, NewShareCode, RegistryStatus,
    RevocationStatus, Store,
};

use super::support::{hex64, record_id, student};

contract!(
    revocation_is_requested_once_and_approval_revokes_the_record,
    rejected_revocation_keeps_the_record_and_a_new_request_may_follow,
    revocation_tables_are_checked_by_the_schema,
    share_codes_are_found_by_hash_expire_and_are_revoked_by_their_student,
    lookup_failures_are_counted_per_bucket_and_forgotten,
    a_version_is_replaced_at_most_once,
);

const NOW: i64 = 1_780_000_000;
const SCHOOL: &str = "79000303";

async fn world(s: &Store) {
    for (code, token) in [(SCHOOL, 'a'), ("79000101", 'b')] {
        s.insert_registry_school(&NewRegistrySchool {
            code: code.to_owned(),
            name: "Trường THPT Chu Văn An".to_owned(),
            level: Level::UpperSecondary,
            authority: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh".to_owned(),
            token_sha256: hex64(token),
            created_at: NOW,
        })
        .await
        .expect("school");
    }
    for (st, id, d) in [(1, 1, 'a'), (1, 2, 'b'), (2, 3, 'c')] {
        s.insert_registry_record(&NewRegistryRecord {
            student_code: student(st),
            record_id: record_id(id),
            version: 1,
            digest: hex64(d),
            school_code: SCHOOL.to_owned(),
            year: SchoolYear::starting(2025).expect("year"),
            grade: Grade::new(10).expect("grade"),
            supersedes_id: None,
            xml: "<HocBa/>".to_owned(),
            received_at: NOW,
            receipt: "{}".to_owned(),
        })
        .await
        .expect("record");
    }
}

fn request(st: u32, id: u8) -> NewRevocation {
    NewRevocation {
        student_code: student(st),
        record_id: record_id(id),
        school_code: SCHOOL.to_owned(),
        reason: "Nhập sai điểm Ngữ văn".to_owned(),
        requested_at: NOW + 10,
    }
}

async fn revocation_is_requested_once_and_approval_revokes_the_record(db: super::support::TestDb) {
    let s = &db.store;
    world(s).await;
    let id = s.insert_revocation(&request(1, 1)).await.unwrap();
    // One pending request per record.
    assert!(matches!(
        s.insert_revocation(&request(1, 1)).await,
        Err(Error::Conflict { .. })
    ));
    // Another school, an unknown record, the wrong student: not found.
    let mut other_school = request(1, 2);
    other_school.school_code = "79000101".to_owned();
    assert!(matches!(
        s.insert_revocation(&other_school).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        s.insert_revocation(&request(1, 9)).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        s.insert_revocation(&request(2, 1)).await,
        Err(Error::NotFound { .. })
    ));

    let got = s.revocation(id).await.unwrap().unwrap();
    assert_eq!(got.status, RevocationStatus::Pending);
    assert_eq!(got.reason, "Nhập sai điểm Ngữ văn");
    assert_eq!(got.decided_at, None);
    assert_eq!(
        s.revocations(Some(RevocationStatus::Pending))
            .await
            .unwrap()
            .len(),
        1
    );

    let decided = s
        .decide_revocation(id, true, "Sở GDĐT TP.HCM", "  ", NOW + 100)
        .await
        .unwrap();
    assert_eq!(decided.status, RevocationStatus::Approved);
    assert_eq!(decided.decided_by.as_deref(), Some("Sở GDĐT TP.HCM"));
    assert_eq!(decided.decided_at, Some(NOW + 100));
    assert_eq!(decided.comment, None);
    let rec = s
        .registry_record(&student(1), &record_id(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.status, RegistryStatus::Revoked);
    assert_eq!(rec.revoked_at, Some(NOW + 100));
    assert_eq!(rec.revoked_reason.as_deref(), Some("Nhập sai điểm Ngữ văn"));
    // The other record of the student is untouched.
    let other = s
        .registry_record(&student(1), &record_id(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.status, RegistryStatus::Current);

    // Decided once; a revoked record takes no new request.
    assert!(matches!(
        s.decide_revocation(id, false, "x", "", NOW + 200).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        s.insert_revocation(&request(1, 1)).await,
        Err(Error::NotFound { .. })
    ));
    assert!(
        s.revocations(Some(RevocationStatus::Pending))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.revocations(None).await.unwrap().len(), 1);
    assert_eq!(
        s.revocations_of_record(&student(1), &record_id(1))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(s.revocation(id + 100).await.unwrap().is_none());
}

async fn rejected_revocation_keeps_the_record_and_a_new_request_may_follow(
    db: super::support::TestDb,
) {
    let s = &db.store;
    world(s).await;
    let id = s.insert_revocation(&request(2, 3)).await.unwrap();
    let decided = s
        .decide_revocation(id, false, "Phòng VH-XH", "Không đủ căn cứ", NOW + 50)
        .await
        .unwrap();
    assert_eq!(decided.status, RevocationStatus::Rejected);
    assert_eq!(decided.comment.as_deref(), Some("Không đủ căn cứ"));
    let rec = s
        .registry_record(&student(2), &record_id(3))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.status, RegistryStatus::Current);
    let again = s.insert_revocation(&request(2, 3)).await.unwrap();
    assert_ne!(again, id);
    let all = s
        .revocations_of_record(&student(2), &record_id(3))
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|r| r.status).collect::<Vec<_>>(),
        [RevocationStatus::Rejected, RevocationStatus::Pending]
    );
}

async fn revocation_tables_are_checked_by_the_schema(db: super::support::TestDb) {
    let s = &db.store;
    world(s).await;
    let mut empty = request(1, 1);
    empty.reason = "   ".to_owned();
    assert!(matches!(
        s.insert_revocation(&empty).await,
        Err(Error::Invalid { .. })
    ));
    let id = s.insert_revocation(&request(1, 1)).await.unwrap();
    assert!(matches!(
        s.decide_revocation(id, true, "", "", NOW).await,
        Err(Error::Invalid { .. })
    ));
    // The failed decision left the request pending and the record current.
    assert_eq!(
        s.revocation(id).await.unwrap().unwrap().status,
        RevocationStatus::Pending
    );
    assert_eq!(
        s.registry_record(&student(1), &record_id(1))
            .await
            .unwrap()
            .unwrap()
            .status,
        RegistryStatus::Current
    );
    assert!(
        s.execute_raw_for_tests("UPDATE registry_revocations SET status = 'approved'")
            .await
            .is_err()
    );
    let bad_hash = NewShareCode {
        code_sha256: "ABC".to_owned(),
        student_code: student(1),
        record_id: None,
        created_at: NOW,
        expires_at: NOW + 10,
    };
    assert!(matches!(
        s.insert_share_code(&bad_hash).await,
        Err(Error::Invalid { .. })
    ));
    let backwards = NewShareCode {
        code_sha256: hex64('d'),
        expires_at: NOW - 1,
        ..bad_hash
    };
    assert!(matches!(
        s.insert_share_code(&backwards).await,
        Err(Error::Invalid { .. })
    ));
}

async fn share_codes_are_found_by_hash_expire_and_are_revoked_by_their_student(
    db: super::support::TestDb,
) {
    let s = &db.store;
    world(s).await;
    let one = NewShareCode {
        code_sha256: hex64('1'),
        student_code: student(1),
        record_id: Some(record_id(1)),
        created_at: NOW,
        expires_at: NOW + 7 * 86_400,
    };
    let id = s.insert_share_code(&one).await.unwrap();
    let all = NewShareCode {
        code_sha256: hex64('2'),
        record_id: None,
        ..one.clone()
    };
    let id_all = s.insert_share_code(&all).await.unwrap();
    assert!(matches!(
        s.insert_share_code(&one).await,
        Err(Error::Conflict { .. })
    ));

    let got = s.share_code_by_hash(&hex64('1')).await.unwrap().unwrap();
    assert_eq!(got.id, id);
    assert_eq!(got.record_id, Some(record_id(1)));
    assert!(got.is_active(NOW));
    assert!(got.is_active(NOW + 7 * 86_400 - 1));
    assert!(!got.is_active(NOW + 7 * 86_400));
    assert!(s.share_code_by_hash(&hex64('3')).await.unwrap().is_none());
    let listed = s.share_codes_of_student(&student(1)).await.unwrap();
    assert_eq!(
        listed.iter().map(|c| c.id).collect::<Vec<_>>(),
        [id_all, id]
    );
    assert!(
        s.share_codes_of_student(&student(2))
            .await
            .unwrap()
            .is_empty()
    );

    // Only the student's own code, once.
    assert!(matches!(
        s.revoke_share_code(&student(2), id, NOW + 5).await,
        Err(Error::NotFound { .. })
    ));
    s.revoke_share_code(&student(1), id, NOW + 5).await.unwrap();
    assert!(matches!(
        s.revoke_share_code(&student(1), id, NOW + 6).await,
        Err(Error::NotFound { .. })
    ));
    let got = s.share_code_by_hash(&hex64('1')).await.unwrap().unwrap();
    assert_eq!(got.revoked_at, Some(NOW + 5));
    assert!(!got.is_active(NOW + 6));
    assert!(
        s.share_code_by_hash(&hex64('2'))
            .await
            .unwrap()
            .unwrap()
            .is_active(NOW + 6)
    );
}

async fn lookup_failures_are_counted_per_bucket_and_forgotten(db: super::support::TestDb) {
    let s = &db.store;
    for i in 0..3 {
        s.record_lookup_failure(&["ip:10.0.0.1", "student:A"], NOW + i, NOW - 900)
            .await
            .unwrap();
    }
    s.record_lookup_failure(&["ip:10.0.0.2", "student:A"], NOW + 10, NOW - 900)
        .await
        .unwrap();
    assert_eq!(
        s.lookup_failures(&["ip:10.0.0.1", "student:A", "ip:10.0.0.3"], NOW - 900)
            .await
            .unwrap(),
        [3, 4, 0]
    );
    // Only attempts inside the window count.
    assert_eq!(
        s.lookup_failures(&["ip:10.0.0.1", "student:A"], NOW + 2)
            .await
            .unwrap(),
        [1, 2]
    );
    // A later failure forgets everything older than its window.
    s.record_lookup_failure(&["ip:10.0.0.9"], NOW + 2000, NOW + 1000)
        .await
        .unwrap();
    assert_eq!(
        s.lookup_failures(&["ip:10.0.0.1", "student:A", "ip:10.0.0.9"], 0)
            .await
            .unwrap(),
        [0, 0, 1]
    );
}

async fn a_version_is_replaced_at_most_once(db: super::support::TestDb) {
    let s = &db.store;
    world(s).await;
    let successor = |id: u8, d: char| NewRegistryRecord {
        student_code: student(1),
        record_id: record_id(id),
        version: 2,
        digest: hex64(d),
        school_code: SCHOOL.to_owned(),
        year: SchoolYear::starting(2025).expect("year"),
        grade: Grade::new(10).expect("grade"),
        supersedes_id: Some(record_id(1)),
        xml: "<HocBa/>".to_owned(),
        received_at: NOW,
        receipt: "{}".to_owned(),
    };
    assert_eq!(
        s.insert_registry_record(&successor(10, 'e')).await.unwrap(),
        store::Ingested::Stored
    );
    // The same bytes again are a duplicate, another successor is refused.
    assert!(matches!(
        s.insert_registry_record(&successor(10, 'e')).await.unwrap(),
        store::Ingested::Duplicate(_)
    ));
    assert!(matches!(
        s.insert_registry_record(&successor(11, 'f')).await,
        Err(Error::Conflict { .. })
    ));
    // A chain goes on: the successor may itself be replaced.
    let mut third = successor(12, '9');
    third.version = 3;
    third.supersedes_id = Some(record_id(10));
    assert_eq!(
        s.insert_registry_record(&third).await.unwrap(),
        store::Ingested::Stored
    );
}
