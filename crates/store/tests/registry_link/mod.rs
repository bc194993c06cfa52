//! The school's link to the registry (migration 0010), on both backends: per-school
//! tokens (audited without the token, replaced in place, found by class, and the claim
//! restricted to linked schools), kept certificates (once per fingerprint, audited once,
//! statuses copied from the registry) and revocation requests (one pending per record,
//! reason required, audited with the reason in the same transaction).

use store::{
    AuditAction, CertificateKind, Error, LinkStatus, NewRevocationRequest, NewSchoolCertificate,
    Store,
};

use super::support::*;
use super::{T0, assert_conflict, record_id, sealed, sha};

contract!(
    registry_tokens_are_per_school_audited_without_the_token_and_gate_the_claim,
    certificates_are_kept_once_per_fingerprint_with_the_registry_status,
    revocation_requests_need_a_reason_and_one_pending_per_record,
);

async fn latest(s: &Store, action: AuditAction) -> Vec<store::AuditEntry> {
    s.audit_latest(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action)
        .collect()
}

async fn registry_tokens_are_per_school_audited_without_the_token_and_gate_the_claim(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 1).await;
    let other = SchoolBuilder::new().code("79000999").insert(s).await;
    sealed(s, &w, 0, 1).await;
    let stamp = super::audit::stamp(&w, T0);
    assert_eq!(s.registry_token(w.school).await.unwrap(), None);
    // Without a token the linked-only claim leaves the entry alone.
    assert!(
        s.claim_outbox_of_linked_schools("a", T0, 60, 10)
            .await
            .unwrap()
            .is_empty()
    );
    for bad in ["", "có dấu", "a b", &"x".repeat(513)] {
        assert!(matches!(
            s.set_registry_token(w.school, bad, &stamp).await,
            Err(Error::Invalid { .. })
        ));
    }
    assert_eq!(s.registry_token(w.school).await.unwrap(), None);
    assert!(latest(s, AuditAction::RegistryTokenSet).await.is_empty());
    s.set_registry_token(w.school, "token-truong-a-1234", &stamp)
        .await
        .unwrap();
    s.set_registry_token(w.school, "token-truong-a-5678", &stamp)
        .await
        .unwrap();
    s.set_registry_token(other, "token-khac-9999", &stamp)
        .await
        .unwrap();
    assert_eq!(
        s.registry_token(w.school).await.unwrap().as_deref(),
        Some("token-truong-a-5678")
    );
    assert_eq!(
        s.registry_token_of_class(w.class).await.unwrap().as_deref(),
        Some("token-truong-a-5678")
    );
    let log = latest(s, AuditAction::RegistryTokenSet).await;
    assert_eq!(log.len(), 3);
    for e in &log {
        assert!(!e.new.as_deref().unwrap_or("").contains("token-"), "{e:?}");
        assert!(!e.old.as_deref().unwrap_or("").contains("token-"), "{e:?}");
    }
    let replaced = log
        .iter()
        .find(|e| e.new.as_deref() == Some("…5678"))
        .unwrap();
    assert_eq!(replaced.old.as_deref(), Some("…1234"));
    assert!(s.verify_audit_chain().await.unwrap().is_ok());
    // Now the school is linked: its entry is claimed.
    let claimed = s
        .claim_outbox_of_linked_schools("a", T0, 60, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].entry.student, w.students[0].code);
}

fn cert(w: &World, c: char) -> NewSchoolCertificate {
    NewSchoolCertificate {
        school: w.school,
        kind: CertificateKind::Seal,
        fingerprint: sha(c),
        subject: "CN=Trường THCS Lê Quý Đôn, O=Sở GD&ĐT".to_owned(),
        issuer: "CN=CA thử nghiệm".to_owned(),
        not_before: T0,
        not_after: T0 + 86_400 * 365,
        pem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_owned(),
    }
}

async fn certificates_are_kept_once_per_fingerprint_with_the_registry_status(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 0).await;
    let stamp = super::audit::stamp(&w, T0);
    let (kept, created) = s
        .add_school_certificate(&cert(&w, 'a'), &stamp)
        .await
        .unwrap();
    assert!(created);
    assert_eq!(kept.cert, cert(&w, 'a'));
    assert_eq!((kept.status, kept.registry_id), (LinkStatus::Unsent, None));
    let (again, created) = s
        .add_school_certificate(&cert(&w, 'a'), &stamp)
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again.id, kept.id);
    assert_eq!(latest(s, AuditAction::CertificateSubmit).await.len(), 1);
    s.add_school_certificate(&cert(&w, 'b'), &stamp)
        .await
        .unwrap();
    s.set_certificate_status(
        w.school,
        kept.id,
        Some(42),
        LinkStatus::Rejected,
        Some("Sai tên trường"),
        "2026-06-01T01:00:00Z",
    )
    .await
    .unwrap();
    // A later read without the id keeps the id.
    s.set_certificate_status(
        w.school,
        kept.id,
        None,
        LinkStatus::Rejected,
        Some("Sai tên trường"),
        "2026-06-02T01:00:00Z",
    )
    .await
    .unwrap();
    let list = s.school_certificates(w.school).await.unwrap();
    assert_eq!(list.len(), 2);
    let a = list.iter().find(|c| c.id == kept.id).unwrap();
    assert_eq!(
        (a.registry_id, a.status, a.comment.as_deref()),
        (Some(42), LinkStatus::Rejected, Some("Sai tên trường"))
    );
    assert_eq!(a.checked_at.as_deref(), Some("2026-06-02T01:00:00Z"));
    // Another school cannot touch it.
    let other = SchoolBuilder::new().code("79000998").insert(s).await;
    assert!(matches!(
        s.set_certificate_status(other, kept.id, None, LinkStatus::Approved, None, "x")
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(s.school_certificates(other).await.unwrap().is_empty());
}

async fn revocation_requests_need_a_reason_and_one_pending_per_record(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 1).await;
    sealed(s, &w, 0, 1).await;
    let code = w.students[0].code.clone();
    let stamp = super::audit::stamp(&w, T0);
    let new = |registry_id: i64, reason: &str| NewRevocationRequest {
        student: code.clone(),
        registry_id,
        record_id: record_id(1),
        class: w.class,
        reason: reason.to_owned(),
    };
    assert!(matches!(
        s.add_revocation_request(&new(1, "   "), &stamp).await,
        Err(Error::Invalid { .. })
    ));
    let kept = s
        .add_revocation_request(&new(7, "Sai điểm Toán học kì II"), &stamp)
        .await
        .unwrap();
    assert_eq!(kept.status, LinkStatus::Pending);
    assert_eq!(kept.requested_by, w.teacher);
    assert_conflict(s.add_revocation_request(&new(8, "Lần nữa"), &stamp).await);
    let log = s.audit_of_student(w.school, &code).await.unwrap();
    let entry = log
        .iter()
        .find(|e| e.action == AuditAction::RevocationRequest)
        .unwrap();
    assert_eq!(entry.reason.as_deref(), Some("Sai điểm Toán học kì II"));
    assert_eq!(
        entry.old.as_deref(),
        Some(format!("{} {}", record_id(1), sha('d')).as_str())
    );
    assert_eq!(entry.new.as_deref(), Some("revocation 7"));
    // Rejected: a new request may follow; the statuses are the registry's.
    s.set_revocation_request_status(
        &code,
        7,
        LinkStatus::Rejected,
        Some("Chưa đủ căn cứ"),
        "2026-06-03T00:00:00Z",
    )
    .await
    .unwrap();
    s.add_revocation_request(&new(8, "Sai điểm, có biên bản"), &stamp)
        .await
        .unwrap();
    s.set_revocation_request_status(&code, 8, LinkStatus::Approved, None, "2026-06-04T00:00:00Z")
        .await
        .unwrap();
    let all = s.revocation_requests_of_student(&code).await.unwrap();
    let got: Vec<_> = all
        .iter()
        .map(|r| (r.request.registry_id, r.status, r.comment.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (7, LinkStatus::Rejected, Some("Chưa đủ căn cứ")),
            (8, LinkStatus::Approved, None)
        ]
    );
    assert!(matches!(
        s.set_revocation_request_status(&code, 99, LinkStatus::Approved, None, "x")
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(s.verify_audit_chain().await.unwrap().is_ok());
}
