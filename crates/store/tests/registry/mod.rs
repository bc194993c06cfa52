//! The registry's tables (migration 0005), on both backends: schools and their token
//! hashes, seal approvals and their withdrawal, records stored once by digest even under
//! concurrent identical inserts, a second document under a taken record id refused,
//! revocation and the successor of a replaced version; the registry's batch insert (group
//! commit) with the seal approval checked in the inserting statement.

use domain::{Grade, Level, SchoolYear};
use store::{
    BatchIngested, Error, Ingested, NewRegistryRecord, NewRegistrySchool, NewSealApproval,
    RegistryStatus, SealUse, Store,
};

use super::support::{hex64, record_id, student};

contract!(
    registry_schools_round_trip_and_authenticate_by_token_hash,
    seal_approvals_round_trip_and_are_withdrawn,
    registry_records_are_stored_once_by_digest,
    concurrent_identical_registry_inserts_store_one_row,
    registry_records_are_revoked_and_superseded,
    registry_tables_are_checked_by_the_schema,
    a_batch_stores_each_record_once_and_answers_each_alone,
);

const NOW: i64 = 1_780_000_000;

fn school(code: &str, token_digit: char) -> NewRegistrySchool {
    NewRegistrySchool {
        code: code.to_owned(),
        name: "Trường THPT Chu Văn An".to_owned(),
        level: Level::UpperSecondary,
        authority: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh".to_owned(),
        token_sha256: hex64(token_digit),
        created_at: NOW,
    }
}

fn record(student_n: u32, id: u8, digest_digit: char) -> NewRegistryRecord {
    NewRegistryRecord {
        student_code: student(student_n),
        record_id: record_id(id),
        version: 1,
        digest: hex64(digest_digit),
        school_code: "79000303".to_owned(),
        year: SchoolYear::starting(2025).expect("year"),
        grade: Grade::new(10).expect("grade"),
        supersedes_id: None,
        xml: "<HocBa>Nguyễn Thị Thu Hà</HocBa>".to_owned(),
        received_at: NOW,
        receipt: format!(r#"{{"receipt":{{"digest":"{}"}}}}"#, hex64(digest_digit)),
    }
}

async fn with_school(s: &Store) {
    s.insert_registry_school(&school("79000303", 'a'))
        .await
        .expect("school");
}

async fn registry_schools_round_trip_and_authenticate_by_token_hash(db: super::support::TestDb) {
    let s = &db.store;
    with_school(s).await;
    s.insert_registry_school(&school("79000101", 'b'))
        .await
        .unwrap();
    let got = s.registry_school("79000303").await.unwrap().unwrap();
    assert_eq!(got.name, "Trường THPT Chu Văn An");
    assert_eq!(got.level, Level::UpperSecondary);
    assert_eq!(got.created_at, NOW);
    assert_eq!(
        s.registry_school_by_token(&hex64('a')).await.unwrap(),
        Some(got)
    );
    assert_eq!(s.registry_school_by_token(&hex64('c')).await.unwrap(), None);
    assert_eq!(s.registry_school("79999999").await.unwrap(), None);
    let codes: Vec<String> = s
        .list_registry_schools()
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.code)
        .collect();
    assert_eq!(codes, ["79000101", "79000303"]);
    // Same code, or same token hash: refused.
    assert!(matches!(
        s.insert_registry_school(&school("79000303", 'd')).await,
        Err(Error::Conflict { .. })
    ));
    assert!(matches!(
        s.insert_registry_school(&school("79000404", 'a')).await,
        Err(Error::Conflict { .. })
    ));
}

async fn seal_approvals_round_trip_and_are_withdrawn(db: super::support::TestDb) {
    let s = &db.store;
    with_school(s).await;
    let approval = NewSealApproval {
        school_code: "79000303".to_owned(),
        fingerprint: hex64('e'),
        subject: "CN=Trường THPT Chu Văn An, C=VN".to_owned(),
        approved_from: NOW - 3600,
        approved_until: None,
        approved_by: "Sở GDĐT TP.HCM".to_owned(),
        approved_at: NOW,
    };
    let id = s.insert_seal_approval(&approval).await.unwrap();
    let list = s.seal_approvals("79000303").await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, id);
    assert_eq!(list[0].fingerprint, hex64('e'));
    assert_eq!(list[0].approved_until, None);
    assert_eq!(list[0].withdrawn_at, None);
    assert!(s.seal_approvals("79000101").await.unwrap().is_empty());

    s.withdraw_seal_approval(id, NOW + 10).await.unwrap();
    let list = s.seal_approvals("79000303").await.unwrap();
    assert_eq!(list[0].approved_until, Some(NOW + 10));
    assert_eq!(list[0].withdrawn_at, Some(NOW + 10));
    // Withdrawn once only; unknown ids are not found.
    assert!(matches!(
        s.withdraw_seal_approval(id, NOW + 20).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        s.withdraw_seal_approval(id + 100, NOW).await,
        Err(Error::NotFound { .. })
    ));
    // Unknown school, bad fingerprint.
    let mut other = approval.clone();
    other.school_code = "79999999".to_owned();
    assert!(matches!(
        s.insert_seal_approval(&other).await,
        Err(Error::NotFound { .. })
    ));
    let mut bad = approval.clone();
    bad.fingerprint = "E".repeat(64);
    assert!(matches!(
        s.insert_seal_approval(&bad).await,
        Err(Error::Invalid { .. })
    ));
}

async fn registry_records_are_stored_once_by_digest(db: super::support::TestDb) {
    let s = &db.store;
    with_school(s).await;
    let r = record(1, 1, 'a');
    assert_eq!(
        s.insert_registry_record(&r).await.unwrap(),
        Ingested::Stored
    );

    // Same bytes again, later: nothing written, the first receipt comes back.
    let mut again = r.clone();
    again.received_at = NOW + 500;
    again.receipt = "{}".to_owned();
    let Ingested::Duplicate(found) = s.insert_registry_record(&again).await.unwrap() else {
        panic!("expected a duplicate");
    };
    assert_eq!(found.receipt, r.receipt);
    assert_eq!(found.received_at, NOW);
    assert_eq!(found.status, RegistryStatus::Current);
    assert_eq!(found.year.start(), 2025);
    assert_eq!(found.grade.get(), 10);

    // Another document under the same record id: refused, nothing written.
    let other = record(1, 1, 'b');
    assert_eq!(
        s.insert_registry_record(&other).await.unwrap(),
        Ingested::RecordIdTaken {
            stored_digest: hex64('a')
        }
    );
    assert_eq!(
        s.registry_records_of_student(&student(1))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        s.registry_record_xml(&student(1), &record_id(1))
            .await
            .unwrap()
            .as_deref(),
        Some("<HocBa>Nguyễn Thị Thu Hà</HocBa>")
    );
    let found = s
        .find_registry_record(&record_id(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.student_code, student(1));
    assert!(
        s.find_registry_record(&record_id(9))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.registry_record_by_digest(&student(2), &hex64('a'))
            .await
            .unwrap()
            .is_none()
    );
    // A school the registry does not know.
    let mut stranger = record(3, 3, 'c');
    stranger.school_code = "79999999".to_owned();
    assert!(matches!(
        s.insert_registry_record(&stranger).await,
        Err(Error::NotFound { .. })
    ));
}

async fn concurrent_identical_registry_inserts_store_one_row(db: super::support::TestDb) {
    let s = &db.store;
    with_school(s).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = s.clone();
        let mut r = record(1, 1, 'a');
        r.received_at = NOW + i;
        tasks.push(tokio::spawn(async move {
            store.insert_registry_record(&r).await
        }));
    }
    let mut stored = 0;
    let mut receipts = std::collections::BTreeSet::new();
    for t in tasks {
        match t.await.unwrap().unwrap() {
            Ingested::Stored => stored += 1,
            Ingested::Duplicate(found) => {
                receipts.insert(found.received_at);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(stored, 1);
    // Every loser saw the one winner's row.
    assert!(receipts.len() <= 1, "{receipts:?}");
    assert_eq!(
        s.registry_records_of_student(&student(1))
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn registry_records_are_revoked_and_superseded(db: super::support::TestDb) {
    let s = &db.store;
    with_school(s).await;
    s.insert_registry_record(&record(1, 1, 'a')).await.unwrap();
    let mut v2 = record(1, 2, 'b');
    v2.version = 2;
    v2.supersedes_id = Some(record_id(1));
    s.insert_registry_record(&v2).await.unwrap();

    assert!(
        s.registry_successor(&student(1), &record_id(2))
            .await
            .unwrap()
            .is_none()
    );
    let next = s
        .registry_successor(&student(1), &record_id(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (next.record_id.as_str(), next.version),
        (record_id(2).as_str(), 2)
    );

    s.revoke_registry_record(&student(1), &record_id(1), NOW + 60, "Sửa điểm Toán")
        .await
        .unwrap();
    let old = s
        .registry_record(&student(1), &record_id(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.status, RegistryStatus::Revoked);
    assert_eq!(old.revoked_at, Some(NOW + 60));
    assert_eq!(old.revoked_reason.as_deref(), Some("Sửa điểm Toán"));
    assert!(matches!(
        s.revoke_registry_record(&student(1), &record_id(1), NOW + 70, "lần nữa")
            .await,
        Err(Error::NotFound { .. })
    ));
    let all = s.registry_records_of_student(&student(1)).await.unwrap();
    assert_eq!(all.iter().map(|r| r.version).collect::<Vec<_>>(), [1, 2]);
}

async fn registry_tables_are_checked_by_the_schema(db: super::support::TestDb) {
    let s = &db.store;
    with_school(s).await;
    let mut bad_token = school("79000101", 'b');
    bad_token.token_sha256 = "not-a-hash".to_owned();
    assert!(matches!(
        s.insert_registry_school(&bad_token).await,
        Err(Error::Invalid { .. })
    ));
    let mut bad_digest = record(1, 1, 'a');
    bad_digest.digest = "XYZ".to_owned();
    assert!(matches!(
        s.insert_registry_record(&bad_digest).await,
        Err(Error::Invalid { .. })
    ));
    let mut bad_id = record(1, 1, 'a');
    bad_id.record_id = "not-a-record-id".to_owned();
    assert!(matches!(
        s.insert_registry_record(&bad_id).await,
        Err(Error::Invalid { .. })
    ));
    // Revoked needs a time and a reason, and only 'current' / 'revoked' exist.
    s.insert_registry_record(&record(1, 1, 'a')).await.unwrap();
    assert!(
        s.execute_raw_for_tests("UPDATE registry_records SET status = 'revoked'")
            .await
            .is_err()
    );
    assert!(
        s.execute_raw_for_tests("UPDATE registry_records SET status = 'lost'")
            .await
            .is_err()
    );
}

async fn a_batch_stores_each_record_once_and_answers_each_alone(db: super::support::TestDb) {
    let s = &db.store;
    with_school(s).await;
    s.insert_seal_approval(&NewSealApproval {
        school_code: "79000303".to_owned(),
        fingerprint: hex64('f'),
        subject: "CN=Trường THPT Chu Văn An".to_owned(),
        approved_from: NOW,
        approved_until: Some(NOW + 1_000),
        approved_by: "Sở GDĐT".to_owned(),
        approved_at: NOW,
    })
    .await
    .unwrap();
    let seal = |at: i64| SealUse {
        fingerprint: hex64('f'),
        signed_at: at,
    };
    // Stored before the batch: its bytes again are a duplicate, its id with other bytes
    // is taken.
    let first = record(1, 1, 'a');
    s.insert_registry_record(&first).await.unwrap();
    let mut twin = record(2, 2, 'b');
    twin.receipt = "first".to_owned();
    let mut twin_again = twin.clone();
    twin_again.receipt = "second".to_owned();
    let mut stranger = record(6, 6, 'e');
    stranger.school_code = "79999999".to_owned();
    let batch = vec![
        (record(1, 1, 'a'), seal(NOW)),
        (record(1, 1, 'c'), seal(NOW)),
        (twin, seal(NOW + 10)),
        (twin_again, seal(NOW + 10)),
        (record(3, 3, 'd'), seal(NOW + 1_000)),
        (record(4, 4, '9'), seal(NOW - 1)),
        (record(5, 5, '8'), seal(NOW + 999)),
    ];
    let out = s.insert_registry_records(&batch).await;
    assert_eq!(out.len(), batch.len());
    let mut out = out.into_iter().map(Result::unwrap);
    let Some(BatchIngested::Done(Ingested::Duplicate(found))) = out.next() else {
        panic!("the same bytes again are a duplicate");
    };
    assert_eq!(found.receipt, first.receipt);
    assert_eq!(
        out.next(),
        Some(BatchIngested::Done(Ingested::RecordIdTaken {
            stored_digest: hex64('a')
        }))
    );
    assert_eq!(out.next(), Some(BatchIngested::Done(Ingested::Stored)));
    // The second of two identical records in one batch gets the first one's receipt.
    let Some(BatchIngested::Done(Ingested::Duplicate(found))) = out.next() else {
        panic!("the twin is a duplicate");
    };
    assert_eq!(found.receipt, "first");
    // Sealed when the approval had ended, and before it began: nothing written.
    assert_eq!(out.next(), Some(BatchIngested::SealNotApproved));
    assert_eq!(out.next(), Some(BatchIngested::SealNotApproved));
    assert_eq!(out.next(), Some(BatchIngested::Done(Ingested::Stored)));
    for (n, expected) in [(1, 1), (2, 1), (3, 0), (4, 0), (5, 1)] {
        assert_eq!(
            s.registry_records_of_student(&student(n))
                .await
                .unwrap()
                .len(),
            expected,
            "student {n}"
        );
    }
    // A school without approvals (here unknown) stores nothing; a record the schema
    // refuses fails alone, the rest of its batch is stored.
    let mut broken = record(8, 8, '6');
    broken.digest = hex64('G');
    let out = s
        .insert_registry_records(&[
            (stranger, seal(NOW)),
            (broken, seal(NOW)),
            (record(7, 7, '7'), seal(NOW)),
        ])
        .await;
    assert_eq!(out[0].as_ref().unwrap(), &BatchIngested::SealNotApproved);
    assert!(out[1].is_err(), "{:?}", out[1]);
    assert_eq!(
        out[2].as_ref().unwrap(),
        &BatchIngested::Done(Ingested::Stored)
    );
    assert!(
        s.find_registry_record(&record_id(8))
            .await
            .unwrap()
            .is_none()
    );
}
