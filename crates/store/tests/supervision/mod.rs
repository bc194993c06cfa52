//! The supervising authorities' tables (migration 0007), on both backends: accounts bound
//! to their schools, sessions, certificates submitted and decided only by a supervisor of
//! their school (an approval writing the seal approval in the same transaction), expected
//! counts, received and rejected counts for the dashboard.

use domain::{Grade, Level, SchoolYear};
use store::{
    CertificateStatus, Decision, Error, Ingested, NewCertificate, NewRegistryRecord,
    NewRegistrySchool, NewSupervisor, NewSupervisorSession, Store, Submitted,
};

use super::support::{hex64, student};

contract!(
    supervisors_round_trip_with_their_schools_and_sessions,
    certificates_are_decided_once_and_only_by_their_supervisor,
    dashboard_counts_expected_received_and_rejected,
    supervision_tables_are_checked_by_the_schema,
);

const NOW: i64 = 1_780_000_000;

async fn schools(s: &Store) {
    for (code, digit, level) in [
        ("79000303", 'a', Level::UpperSecondary),
        ("79000101", 'b', Level::Primary),
    ] {
        s.insert_registry_school(&NewRegistrySchool {
            code: code.to_owned(),
            name: "Trường Chu Văn An".to_owned(),
            level,
            authority: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh".to_owned(),
            token_sha256: hex64(digit),
            created_at: NOW,
        })
        .await
        .expect("school");
    }
}

fn supervisor(username: &str, schools: &[&str]) -> NewSupervisor {
    NewSupervisor {
        username: username.to_owned(),
        authority: "Phòng Văn hóa - Xã hội, Ủy ban nhân dân phường Sài Gòn".to_owned(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        schools: schools.iter().map(|s| (*s).to_owned()).collect(),
        created_at: NOW,
    }
}

fn cert(school: &str, digit: char) -> NewCertificate {
    NewCertificate {
        school_code: school.to_owned(),
        fingerprint: hex64(digit),
        subject: "CN=Trường THPT Chu Văn An, O=Sở GDĐT".to_owned(),
        issuer: "CN=Hocba Demo Root CA".to_owned(),
        not_before: NOW - 86_400,
        not_after: NOW + 365 * 86_400,
        pem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_owned(),
        submitted_at: NOW,
    }
}

async fn supervisors_round_trip_with_their_schools_and_sessions(db: super::support::TestDb) {
    let s = &db.store;
    schools(s).await;
    let id = s
        .insert_supervisor(&supervisor("so.hcm", &["79000303", "79000101"]))
        .await
        .unwrap();
    let got = s.supervisor_by_username("so.hcm").await.unwrap().unwrap();
    assert_eq!(got.id, id);
    assert_eq!(got.schools, ["79000101", "79000303"]);
    assert_eq!(
        got.authority,
        "Phòng Văn hóa - Xã hội, Ủy ban nhân dân phường Sài Gòn"
    );
    assert_eq!(s.supervisor(id).await.unwrap(), Some(got));
    assert_eq!(s.supervisor_by_username("khác").await.unwrap(), None);
    // Taken name; unknown school (nothing stored); no school.
    assert!(matches!(
        s.insert_supervisor(&supervisor("so.hcm", &["79000303"]))
            .await,
        Err(Error::Conflict { .. })
    ));
    assert!(
        s.insert_supervisor(&supervisor("x", &["79999999"]))
            .await
            .is_err()
    );
    assert_eq!(s.supervisor_by_username("x").await.unwrap(), None);
    assert!(matches!(
        s.insert_supervisor(&supervisor("y", &[])).await,
        Err(Error::Invalid { .. })
    ));

    s.insert_supervisor_session(&NewSupervisorSession {
        id_hash: hex64('1'),
        supervisor_id: id,
        csrf_token: "c".repeat(64),
        created_at: NOW,
        expires_at: NOW + 100,
    })
    .await
    .unwrap();
    let session = s
        .supervisor_session(&hex64('1'), NOW + 99)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.supervisor_id, id);
    assert_eq!(session.csrf_token, "c".repeat(64));
    assert_eq!(
        s.supervisor_session(&hex64('1'), NOW + 100).await.unwrap(),
        None
    );
    s.delete_supervisor_session(&hex64('1')).await.unwrap();
    assert_eq!(s.supervisor_session(&hex64('1'), NOW).await.unwrap(), None);
}

async fn certificates_are_decided_once_and_only_by_their_supervisor(db: super::support::TestDb) {
    let s = &db.store;
    schools(s).await;
    let so = s
        .insert_supervisor(&supervisor("so", &["79000303"]))
        .await
        .unwrap();
    let phong = s
        .insert_supervisor(&supervisor("phong", &["79000101"]))
        .await
        .unwrap();
    let Submitted::New(a) = s.submit_certificate(&cert("79000303", 'a')).await.unwrap() else {
        panic!("new");
    };
    assert_eq!(
        s.submit_certificate(&cert("79000303", 'a')).await.unwrap(),
        Submitted::Existing(a)
    );
    let Submitted::New(b) = s.submit_certificate(&cert("79000303", 'b')).await.unwrap() else {
        panic!("new");
    };
    let Submitted::New(c) = s.submit_certificate(&cert("79000101", 'c')).await.unwrap() else {
        panic!("new");
    };
    assert!(s.submit_certificate(&cert("79999999", 'd')).await.is_err());

    let mine: Vec<i64> = s
        .certificates_for_supervisor(so, Some(CertificateStatus::Pending))
        .await
        .unwrap()
        .iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(mine.len(), 2);
    assert!(mine.contains(&a) && mine.contains(&b) && !mine.contains(&c));

    // Another school's supervisor: refused, nothing written.
    let approve = Decision::Approve {
        approved_from: NOW + 10,
        comment: None,
    };
    assert!(matches!(
        s.decide_certificate(a, phong, &approve, "phong", NOW + 10)
            .await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(
        s.certificate(a).await.unwrap().unwrap().status,
        CertificateStatus::Pending
    );
    assert!(s.seal_approvals("79000303").await.unwrap().is_empty());

    s.decide_certificate(a, so, &approve, "so", NOW + 10)
        .await
        .unwrap();
    let got = s.certificate(a).await.unwrap().unwrap();
    assert_eq!(got.status, CertificateStatus::Approved);
    assert_eq!(got.decided_by.as_deref(), Some("so"));
    assert_eq!(got.decided_at, Some(NOW + 10));
    let approvals = s.seal_approvals("79000303").await.unwrap();
    assert_eq!(approvals.len(), 1);
    assert_eq!(Some(approvals[0].id), got.approval_id);
    assert_eq!(approvals[0].fingerprint, hex64('a'));
    assert_eq!(approvals[0].approved_from, NOW + 10);
    assert_eq!(approvals[0].approved_by, "so");
    // Once only.
    assert!(matches!(
        s.decide_certificate(a, so, &approve, "so", NOW + 11).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(s.seal_approvals("79000303").await.unwrap().len(), 1);

    // A rejection needs a comment and keeps it; it writes no approval.
    assert!(matches!(
        s.decide_certificate(
            b,
            so,
            &Decision::Reject {
                comment: " ".into()
            },
            "so",
            NOW
        )
        .await,
        Err(Error::Invalid { .. })
    ));
    let reason = "Không phải chứng thư của đơn vị";
    s.decide_certificate(
        b,
        so,
        &Decision::Reject {
            comment: reason.into(),
        },
        "so",
        NOW,
    )
    .await
    .unwrap();
    let got = s.certificate(b).await.unwrap().unwrap();
    assert_eq!(got.status, CertificateStatus::Rejected);
    assert_eq!(got.comment.as_deref(), Some(reason));
    assert_eq!(s.seal_approvals("79000303").await.unwrap().len(), 1);
    // A rejected certificate may be submitted again.
    assert!(matches!(
        s.submit_certificate(&cert("79000303", 'b')).await.unwrap(),
        Submitted::New(_)
    ));
    assert_eq!(s.certificates_of_school("79000303").await.unwrap().len(), 3);
}

fn record(n: u8, grade: u8, received_at: i64) -> NewRegistryRecord {
    NewRegistryRecord {
        student_code: student(u32::from(n)),
        record_id: format!("{:08x}-0000-8000-8000-{:012x}", n, n),
        version: 1,
        digest: format!("{:064x}", n),
        school_code: "79000303".to_owned(),
        year: SchoolYear::starting(2025).expect("year"),
        grade: Grade::new(grade).expect("grade"),
        supersedes_id: None,
        xml: "<HocBa/>".to_owned(),
        received_at,
        receipt: "{}".to_owned(),
    }
}

async fn dashboard_counts_expected_received_and_rejected(db: super::support::TestDb) {
    let s = &db.store;
    schools(s).await;
    s.set_expected_count("79000303", 2025, 10, 5, NOW)
        .await
        .unwrap();
    s.set_expected_count("79000303", 2025, 10, 3, NOW)
        .await
        .unwrap();
    s.set_expected_count("79000303", 2025, 11, 2, NOW)
        .await
        .unwrap();
    let expected = s.expected_counts("79000303", 2025).await.unwrap();
    assert_eq!(
        expected
            .iter()
            .map(|e| (e.grade, e.expected))
            .collect::<Vec<_>>(),
        [(10, 3), (11, 2)]
    );
    assert!(
        s.expected_counts("79000303", 2024)
            .await
            .unwrap()
            .is_empty()
    );

    for (n, grade, at) in [(1, 10, NOW), (2, 10, NOW + 50), (3, 11, NOW + 200)] {
        assert_eq!(
            s.insert_registry_record(&record(n, grade, at))
                .await
                .unwrap(),
            Ingested::Stored
        );
    }
    s.revoke_registry_record(
        &student(2),
        &format!("{:08x}-0000-8000-8000-{:012x}", 2, 2),
        NOW,
        "sai",
    )
    .await
    .unwrap();
    let received = s
        .received_counts("79000303", 2025, NOW + 100)
        .await
        .unwrap();
    assert_eq!(
        received
            .iter()
            .map(|r| (r.grade, r.received, r.before_deadline))
            .collect::<Vec<_>>(),
        [(10, 1, 1), (11, 1, 0)]
    );

    s.record_rejection("79000303", &hex64('e'), Some((2025, 10)), "signature", NOW)
        .await
        .unwrap();
    s.record_rejection("79000303", &hex64('e'), Some((2025, 10)), "signature", NOW)
        .await
        .unwrap();
    s.record_rejection("79000303", &hex64('f'), Some((2025, 11)), "signature", NOW)
        .await
        .unwrap();
    s.record_rejection("79000303", &hex64('d'), None, "schema", NOW)
        .await
        .unwrap();
    let rejected = s.rejected_counts("79000303", 2025).await.unwrap();
    assert_eq!(
        rejected
            .iter()
            .map(|r| (r.grade, r.rejected))
            .collect::<Vec<_>>(),
        [(Some(10), 1), (Some(11), 1)]
    );
}

async fn supervision_tables_are_checked_by_the_schema(db: super::support::TestDb) {
    let s = &db.store;
    schools(s).await;
    let so = s
        .insert_supervisor(&supervisor("so", &["79000303"]))
        .await
        .unwrap();
    // Bad username, bad fingerprint, negative expected count, bad session hash.
    assert!(
        s.insert_supervisor(&supervisor("có dấu", &["79000303"]))
            .await
            .is_err()
    );
    assert!(
        s.submit_certificate(&NewCertificate {
            fingerprint: "XYZ".to_owned(),
            ..cert("79000303", 'a')
        })
        .await
        .is_err()
    );
    assert!(
        s.set_expected_count("79000303", 2025, 10, -1, NOW)
            .await
            .is_err()
    );
    assert!(
        s.insert_supervisor_session(&NewSupervisorSession {
            id_hash: "short".to_owned(),
            supervisor_id: so,
            csrf_token: "c".repeat(64),
            created_at: NOW,
            expires_at: NOW + 1,
        })
        .await
        .is_err()
    );
    // An approved certificate without its approval row is refused by the database.
    let Submitted::New(id) = s.submit_certificate(&cert("79000303", 'a')).await.unwrap() else {
        panic!("new");
    };
    assert!(
        s.execute_raw_for_tests(&format!(
            "UPDATE registry_certificates SET status = 'approved', decided_by = 'x', \
             decided_at = 1 WHERE id = {id}"
        ))
        .await
        .is_err()
    );
    assert!(
        s.execute_raw_for_tests(&format!(
            "UPDATE registry_certificates SET status = 'rejected', decided_by = 'x', \
             decided_at = 1 WHERE id = {id}"
        ))
        .await
        .is_err()
    );
}
