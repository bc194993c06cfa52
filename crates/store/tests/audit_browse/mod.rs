//! `Store::audit_of_school` ("Nhật ký thay đổi của trường"), on both backends: only the
//! school's entries, newest first, paged by sequence number, filtered by action and by
//! the actor's username.

use store::{Actor, AuditAction, AuditChange, AuditFilter, AuditStamp, AuditTime, Store};

use super::support::*;

contract!(
    school_log_is_newest_first_of_one_school_and_pages_by_seq,
    school_log_filters_by_action_and_actor,
);

fn stamp(school: store::SchoolId, teacher: store::TeacherId, username: &str) -> AuditStamp {
    AuditStamp {
        actor: Actor {
            teacher,
            username: username.to_owned(),
            full_name: format!("Giáo viên {username}"),
            school,
        },
        at: AuditTime::from_unix(1_764_097_344),
        reason: None,
    }
}

fn change(action: AuditAction, field: &str, new: &str) -> AuditChange {
    AuditChange {
        student: None,
        class: None,
        action,
        field: field.to_owned(),
        old: None,
        new: Some(new.to_owned()),
    }
}

fn seqs(entries: &[store::AuditEntry]) -> Vec<i64> {
    entries.iter().map(|e| e.seq).collect()
}

/// Two schools; school A gets entries 1, 2, 4, 5 (admin.a: account creations and a
/// homeroom change; gv.a: a score), school B entry 3.
async fn two_schools(s: &Store) -> (store::SchoolId, store::SchoolId) {
    let w = World::new(s, 1).await;
    let admin = TeacherBuilder::new(w.school)
        .username("admin.a")
        .insert(s)
        .await;
    let school_b = SchoolBuilder::new().insert(s).await;
    let admin_b = TeacherBuilder::new(school_b)
        .username("admin.b")
        .insert(s)
        .await;
    let a = stamp(w.school, admin, "admin.a");
    let teacher = stamp(w.school, w.teacher, "gv.a");
    let b = stamp(school_b, admin_b, "admin.b");
    s.append_audit(
        &a,
        &[
            change(
                AuditAction::AccountCreate,
                "account/gv.hoa",
                "subject_teacher",
            ),
            change(AuditAction::PasswordIssue, "account/gv.hoa/password", ""),
        ],
    )
    .await
    .unwrap();
    s.append_audit(
        &b,
        &[change(
            AuditAction::AccountCreate,
            "account/gv.lan",
            "clerk",
        )],
    )
    .await
    .unwrap();
    s.append_audit(
        &teacher,
        &[AuditChange {
            student: Some(w.students[0].code.clone()),
            class: Some(w.class),
            ..change(AuditAction::ScoreSet, "TOAN/HK1/tx1", "8.0")
        }],
    )
    .await
    .unwrap();
    s.append_audit(&a, &[change(AuditAction::HomeroomSet, "gvcn", "gv.a")])
        .await
        .unwrap();
    (w.school, school_b)
}

async fn school_log_is_newest_first_of_one_school_and_pages_by_seq(db: TestDb) {
    let s = &db.store;
    let (a, b) = two_schools(s).await;
    let all = AuditFilter::default();
    let every = s.audit_of_school(a, &all, None, 100).await.unwrap();
    assert_eq!(
        seqs(&every),
        vec![5, 4, 2, 1],
        "school A only, newest first"
    );
    assert!(every.iter().all(|e| e.school == a));
    assert_eq!(every[1].action, AuditAction::ScoreSet);
    assert_eq!(every[1].field, "TOAN/HK1/tx1");
    assert_eq!(every[1].actor_username, "gv.a");
    let entry = s.audit_entry(5).await.unwrap().unwrap();
    assert_eq!(every[0], entry, "the entries are whole");

    let first = s.audit_of_school(a, &all, None, 2).await.unwrap();
    assert_eq!(seqs(&first), vec![5, 4]);
    let second = s.audit_of_school(a, &all, Some(4), 2).await.unwrap();
    assert_eq!(seqs(&second), vec![2, 1], "the page after seq 4");
    let third = s.audit_of_school(a, &all, Some(1), 2).await.unwrap();
    assert!(third.is_empty());

    let other = s.audit_of_school(b, &all, None, 100).await.unwrap();
    assert_eq!(seqs(&other), vec![3]);
    let none = SchoolBuilder::new().insert(s).await;
    assert!(
        s.audit_of_school(none, &all, None, 100)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn school_log_filters_by_action_and_actor(db: TestDb) {
    let s = &db.store;
    let (a, _) = two_schools(s).await;
    let by = |actions: &[AuditAction], actor: Option<&str>| AuditFilter {
        actions: actions.to_vec(),
        actor_username: actor.map(str::to_owned),
    };
    let accounts = by(
        &[AuditAction::AccountCreate, AuditAction::PasswordIssue],
        None,
    );
    let found = s.audit_of_school(a, &accounts, None, 100).await.unwrap();
    assert_eq!(
        seqs(&found),
        vec![2, 1],
        "school B's creation is not listed"
    );
    let one = by(&[AuditAction::HomeroomSet], None);
    assert_eq!(
        seqs(&s.audit_of_school(a, &one, None, 100).await.unwrap()),
        vec![5]
    );
    let admin = by(&[], Some("admin.a"));
    assert_eq!(
        seqs(&s.audit_of_school(a, &admin, None, 100).await.unwrap()),
        vec![5, 2, 1]
    );
    let teacher_accounts = by(&[AuditAction::AccountCreate], Some("gv.a"));
    assert!(
        s.audit_of_school(a, &teacher_accounts, None, 100)
            .await
            .unwrap()
            .is_empty()
    );
    let admin_b_here = by(&[], Some("admin.b"));
    assert!(
        s.audit_of_school(a, &admin_b_here, None, 100)
            .await
            .unwrap()
            .is_empty(),
        "another school's account is not found in this school"
    );
    // Filter, paging and limit together.
    let admin_page = s.audit_of_school(a, &admin, Some(5), 1).await.unwrap();
    assert_eq!(seqs(&admin_page), vec![2]);
}
