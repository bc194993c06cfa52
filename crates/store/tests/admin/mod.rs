//! The school admin's writes (migration 0009, `src/admin.rs`) on both backends: issued
//! first-login passwords, roles, "Phân công giảng dạy", personal IDs and school years —
//! confined to the actor's school, all or nothing, each with its audit entries.

use store::{
    Actor, AuditAction, AuditStamp, AuditTime, ClassTeaching, Error, NewSession, NewTeacher, Role,
    SchoolYearInfo, Store, SubjectAssignment, TeacherId,
};

use super::support::*;

contract!(
    admin_issued_passwords_must_be_changed_and_stay_in_the_school,
    admin_roles_change_is_audited_once,
    admin_class_teaching_is_saved_whole_within_the_school,
    admin_personal_id_is_set_once_unique_and_audited,
    admin_school_year_creation_is_audited,
    admin_lock_removes_the_password_and_sessions_in_own_school_only,
);

/// A school admin of `w.school` (and the stamp of their changes).
async fn admin(s: &Store, w: &World) -> AuditStamp {
    let id = TeacherBuilder::new(w.school)
        .roles(&[Role::Admin])
        .insert(s)
        .await;
    let t = s.teacher(id).await.unwrap();
    AuditStamp {
        actor: Actor {
            teacher: id,
            username: t.username,
            full_name: t.full_name,
            school: w.school,
        },
        at: AuditTime::from_unix(1_764_097_344),
        reason: None,
    }
}

/// The [`Cell`] of every entry, oldest first.
async fn log(s: &Store) -> Vec<Cell> {
    let mut entries = s.audit_latest(1000).await.unwrap();
    entries.reverse();
    cells(&entries)
}

async fn admin_issued_passwords_must_be_changed_and_stay_in_the_school(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 0).await;
    let st = admin(s, &w).await;
    let other_school = SchoolBuilder::new().insert(s).await;
    let stranger = TeacherBuilder::new(other_school).insert(s).await;
    let account = |school, username: &str, hash: Option<&str>| NewTeacher {
        school,
        full_name: "Lê Thị Hoa".to_owned(),
        username: username.to_owned(),
        roles: vec![Role::SubjectTeacher, Role::Homeroom],
        password_hash: hash.map(str::to_owned),
    };

    // Refused: no hash, another school, a taken username. Nothing written.
    let no_hash = s
        .create_account_audited(&account(w.school, "gv.hoa", None), &st)
        .await;
    assert!(matches!(no_hash, Err(Error::Invalid { .. })), "{no_hash:?}");
    let elsewhere = s
        .create_account_audited(&account(other_school, "gv.hoa", Some("$h1")), &st)
        .await;
    assert!(
        matches!(elsewhere, Err(Error::Invalid { .. })),
        "{elsewhere:?}"
    );
    let taken_name = s.teacher(stranger).await.unwrap().username;
    let taken = s
        .create_account_audited(&account(w.school, &taken_name, Some("$h1")), &st)
        .await;
    assert!(matches!(taken, Err(Error::Conflict { .. })), "{taken:?}");
    assert!(s.teacher_by_username("gv.hoa").await.unwrap().is_none());
    assert!(log(s).await.is_empty());

    let hoa = s
        .create_account_audited(&account(w.school, "gv.hoa", Some("$h1")), &st)
        .await
        .unwrap();
    let t = s.teacher(hoa).await.unwrap();
    assert_eq!(t.school, w.school);
    assert_eq!(t.roles, vec![Role::Homeroom, Role::SubjectTeacher]);
    assert_eq!(t.password_hash.as_deref(), Some("$h1"));
    assert!(s.must_change_password(hoa).await.unwrap());
    assert_eq!(
        s.accounts_awaiting_first_login(w.school).await.unwrap(),
        vec![hoa]
    );
    assert!(
        s.accounts_awaiting_first_login(other_school)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        log(s).await,
        [
            cell(
                AuditAction::AccountCreate,
                "account/gv.hoa",
                None,
                Some("homeroom,subject_teacher")
            ),
            cell(
                AuditAction::PasswordIssue,
                "account/gv.hoa/password",
                None,
                None
            ),
        ]
    );

    // The user changes it: no longer a first-login password.
    s.set_password_hash(hoa, Some("$own")).await.unwrap();
    assert!(!s.must_change_password(hoa).await.unwrap());
    assert!(s.must_change_password(w.teacher).await.is_ok_and(|m| !m));

    // A reset naming another school's account changes nothing at all, not even the
    // accounts of the own school listed before it.
    s.insert_session(&NewSession {
        id_hash: "a".repeat(64),
        teacher: hoa,
        csrf_token: "c".repeat(64),
        created_at: 100,
        expires_at: 100_000,
        must_change_password: false,
    })
    .await
    .unwrap();
    let mixed = s
        .reset_passwords_audited(
            &[(hoa, "$h2".to_owned()), (stranger, "$h2".to_owned())],
            &st,
        )
        .await;
    assert!(matches!(mixed, Err(Error::NotFound { .. })), "{mixed:?}");
    assert_eq!(
        s.teacher(hoa).await.unwrap().password_hash.as_deref(),
        Some("$own")
    );
    assert_eq!(s.teacher(stranger).await.unwrap().password_hash, None);
    assert!(s.session(&"a".repeat(64), 200).await.unwrap().is_some());
    assert_eq!(log(s).await.len(), 2);

    s.reset_passwords_audited(
        &[(hoa, "$h3".to_owned()), (w.teacher, "$h4".to_owned())],
        &st,
    )
    .await
    .unwrap();
    assert!(s.must_change_password(hoa).await.unwrap());
    assert!(s.must_change_password(w.teacher).await.unwrap());
    assert!(s.session(&"a".repeat(64), 200).await.unwrap().is_none());
    let entries = log(s).await;
    assert_eq!(entries.len(), 4);
    assert_eq!(
        entries[2],
        cell(
            AuditAction::PasswordIssue,
            "account/gv.hoa/password",
            None,
            None
        )
    );
    assert!(s.verify_audit_chain().await.unwrap().is_ok());
}

async fn admin_roles_change_is_audited_once(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 0).await;
    let st = admin(s, &w).await;
    let username = s.teacher(w.teacher).await.unwrap().username;
    s.set_account_roles_audited(w.teacher, &[Role::Clerk, Role::Homeroom], &st)
        .await
        .unwrap();
    // The same roles again, in another order: nothing to log.
    s.set_account_roles_audited(w.teacher, &[Role::Homeroom, Role::Clerk], &st)
        .await
        .unwrap();
    assert_eq!(
        s.teacher(w.teacher).await.unwrap().roles,
        vec![Role::Homeroom, Role::Clerk]
    );
    assert_eq!(
        log(s).await,
        [cell(
            AuditAction::AccountRoles,
            &format!("account/{username}/roles"),
            Some("homeroom,subject_teacher"),
            Some("homeroom,clerk")
        )]
    );
    let other_school = SchoolBuilder::new().insert(s).await;
    let stranger = TeacherBuilder::new(other_school).insert(s).await;
    let refused = s
        .set_account_roles_audited(stranger, &[Role::Admin], &st)
        .await;
    assert!(
        matches!(refused, Err(Error::NotFound { .. })),
        "{refused:?}"
    );
    assert_eq!(
        s.teacher(stranger).await.unwrap().roles,
        vec![Role::SubjectTeacher]
    );
    assert_eq!(log(s).await.len(), 1);
}

async fn admin_class_teaching_is_saved_whole_within_the_school(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 0).await;
    let st = admin(s, &w).await;
    let toan = TeacherBuilder::new(w.school)
        .username("gv.toan")
        .insert(s)
        .await;
    let van = TeacherBuilder::new(w.school)
        .username("gv.van")
        .insert(s)
        .await;
    let other_school = SchoolBuilder::new().insert(s).await;
    let stranger = TeacherBuilder::new(other_school).insert(s).await;
    let their_class = ClassBuilder::new(other_school).insert(s).await;
    s.assign_subject(&SubjectAssignment {
        class: w.class,
        subject: subject("TOAN"),
        teacher: toan,
    })
    .await
    .unwrap();
    let homeroom_name = s.teacher(w.teacher).await.unwrap().username;

    // A teacher of another school anywhere in the request: nothing saved, not even the
    // homeroom change listed first.
    let with_stranger = ClassTeaching {
        homeroom: Some(van),
        subjects: vec![
            (subject("TOAN"), Some(van)),
            (subject("NGU_VAN"), Some(stranger)),
        ],
    };
    let r = s
        .save_class_teaching_audited(w.class, &with_stranger, &st)
        .await;
    assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");
    assert_eq!(
        s.class(w.class).await.unwrap().homeroom_teacher,
        Some(w.teacher)
    );
    let assigned = |s: &Store, class| {
        let s = s.clone();
        async move {
            s.assignments_of_class(class)
                .await
                .unwrap()
                .into_iter()
                .map(|a| (a.subject.as_str().to_owned(), a.teacher))
                .collect::<Vec<(String, TeacherId)>>()
        }
    };
    assert_eq!(assigned(s, w.class).await, [("TOAN".to_owned(), toan)]);
    // Another school's class.
    let r = s
        .save_class_teaching_audited(
            their_class,
            &ClassTeaching {
                homeroom: None,
                subjects: vec![],
            },
            &st,
        )
        .await;
    assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");
    assert!(log(s).await.is_empty());

    let teaching = ClassTeaching {
        homeroom: Some(van),
        subjects: vec![
            (subject("TOAN"), Some(van)),
            (subject("NGU_VAN"), Some(van)),
            (subject("GDTC"), None),
        ],
    };
    s.save_class_teaching_audited(w.class, &teaching, &st)
        .await
        .unwrap();
    assert_eq!(s.class(w.class).await.unwrap().homeroom_teacher, Some(van));
    assert_eq!(
        assigned(s, w.class).await,
        [("NGU_VAN".to_owned(), van), ("TOAN".to_owned(), van)]
    );
    let expected = [
        cell(
            AuditAction::HomeroomSet,
            "gvcn",
            Some(&homeroom_name),
            Some("gv.van"),
        ),
        cell(
            AuditAction::AssignmentSet,
            "TOAN/gv",
            Some("gv.toan"),
            Some("gv.van"),
        ),
        cell(
            AuditAction::AssignmentSet,
            "NGU_VAN/gv",
            None,
            Some("gv.van"),
        ),
    ];
    assert_eq!(log(s).await, expected);
    // Saving the same again logs nothing.
    s.save_class_teaching_audited(w.class, &teaching, &st)
        .await
        .unwrap();
    assert_eq!(log(s).await.len(), 3);
    // Clearing.
    s.save_class_teaching_audited(
        w.class,
        &ClassTeaching {
            homeroom: None,
            subjects: vec![(subject("TOAN"), None)],
        },
        &st,
    )
    .await
    .unwrap();
    assert_eq!(s.class(w.class).await.unwrap().homeroom_teacher, None);
    assert_eq!(assigned(s, w.class).await, [("NGU_VAN".to_owned(), van)]);
    let entries = log(s).await;
    assert_eq!(
        entries[3..],
        [
            cell(AuditAction::HomeroomSet, "gvcn", Some("gv.van"), None),
            cell(AuditAction::AssignmentSet, "TOAN/gv", Some("gv.van"), None),
        ]
    );
    assert!(s.verify_audit_chain().await.unwrap().is_ok());
}

async fn admin_personal_id_is_set_once_unique_and_audited(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 1).await;
    let st = admin(s, &w).await;
    let a = StudentBuilder::new().personal_id(None).insert(s).await;
    let b = StudentBuilder::new().personal_id(None).insert(s).await;
    s.enrol(&a.code, w.class, None).await.unwrap();
    s.enrol(&b.code, w.class, None).await.unwrap();
    let other_school = SchoolBuilder::new().insert(s).await;
    let their_class = ClassBuilder::new(other_school).insert(s).await;
    let c = StudentBuilder::new().personal_id(None).insert(s).await;
    s.enrol(&c.code, their_class, None).await.unwrap();
    let id = |t: &str| t.parse::<domain::PersonalId>().unwrap();

    s.set_personal_id_audited(&a.code, w.class, &id("079313000777"), &st)
        .await
        .unwrap();
    assert_eq!(
        s.student(&a.code)
            .await
            .unwrap()
            .personal_id
            .unwrap()
            .as_str(),
        "079313000777"
    );
    // Already set; held by someone else; another school's class; not in that class.
    let again = s
        .set_personal_id_audited(&a.code, w.class, &id("079313000778"), &st)
        .await;
    assert!(matches!(again, Err(Error::Conflict { .. })), "{again:?}");
    let dup = s
        .set_personal_id_audited(&b.code, w.class, &id("079313000777"), &st)
        .await;
    assert!(matches!(dup, Err(Error::Conflict { .. })), "{dup:?}");
    let held = w.students[0].personal_id.clone().unwrap();
    let dup = s
        .set_personal_id_audited(&b.code, w.class, &held, &st)
        .await;
    assert!(matches!(dup, Err(Error::Conflict { .. })), "{dup:?}");
    let theirs = s
        .set_personal_id_audited(&c.code, their_class, &id("079313000779"), &st)
        .await;
    assert!(matches!(theirs, Err(Error::NotFound { .. })), "{theirs:?}");
    let wrong_class = s
        .set_personal_id_audited(&c.code, w.class, &id("079313000779"), &st)
        .await;
    assert!(
        matches!(wrong_class, Err(Error::NotFound { .. })),
        "{wrong_class:?}"
    );
    assert_eq!(s.student(&b.code).await.unwrap().personal_id, None);
    assert_eq!(s.student(&c.code).await.unwrap().personal_id, None);

    let entries = s.audit_of_student(w.school, &a.code).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, AuditAction::PersonalIdSet);
    assert_eq!(entries[0].class, Some(w.class));
    assert_eq!(entries[0].new.as_deref(), Some("079313000777"));
    assert_eq!(log(s).await.len(), 1);
}

async fn admin_school_year_creation_is_audited(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 0).await;
    let st = admin(s, &w).await;
    let next = SchoolYearInfo {
        year: domain::SchoolYear::starting(w.year.start() + 1).unwrap(),
        starts_on: date(&format!("{}-09-05", w.year.start() + 1)),
        ends_on: date(&format!("{}-05-31", w.year.start() + 2)),
    };
    s.create_school_year_audited(&next, &st).await.unwrap();
    let again = s.create_school_year_audited(&next, &st).await;
    assert!(matches!(again, Err(Error::Conflict { .. })), "{again:?}");
    let backwards = SchoolYearInfo {
        year: domain::SchoolYear::starting(w.year.start() + 2).unwrap(),
        starts_on: next.ends_on,
        ends_on: next.starts_on,
    };
    let r = s.create_school_year_audited(&backwards, &st).await;
    assert!(matches!(r, Err(Error::Invalid { .. })), "{r:?}");
    assert_eq!(s.list_school_years().await.unwrap().len(), 2);
    let entries = log(s).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].0, AuditAction::SchoolYearCreate);
}

async fn admin_lock_removes_the_password_and_sessions_in_own_school_only(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 0).await;
    let st = admin(s, &w).await;
    let other_school = SchoolBuilder::new().insert(s).await;
    let stranger = TeacherBuilder::new(other_school).insert(s).await;
    s.reset_passwords_audited(&[(w.teacher, "$h1".to_owned())], &st)
        .await
        .unwrap();
    s.set_password_hash(stranger, Some("$h2")).await.unwrap();
    s.insert_session(&NewSession {
        id_hash: "b".repeat(64),
        teacher: w.teacher,
        csrf_token: "c".repeat(64),
        created_at: 100,
        expires_at: 100_000,
        must_change_password: false,
    })
    .await
    .unwrap();
    let mixed = s.lock_accounts_audited(&[w.teacher, stranger], &st).await;
    assert!(matches!(mixed, Err(Error::NotFound { .. })), "{mixed:?}");
    assert_eq!(
        s.teacher(w.teacher).await.unwrap().password_hash.as_deref(),
        Some("$h1")
    );
    assert!(s.session(&"b".repeat(64), 200).await.unwrap().is_some());
    assert_eq!(log(s).await.len(), 1);

    s.lock_accounts_audited(&[w.teacher], &st).await.unwrap();
    let t = s.teacher(w.teacher).await.unwrap();
    assert_eq!(t.password_hash, None);
    assert_eq!(t.roles, vec![Role::Homeroom, Role::SubjectTeacher]);
    assert!(!s.must_change_password(w.teacher).await.unwrap());
    assert!(s.session(&"b".repeat(64), 200).await.unwrap().is_none());
    assert_eq!(
        s.teacher(stranger).await.unwrap().password_hash.as_deref(),
        Some("$h2")
    );
    let entries = log(s).await;
    assert_eq!(entries.len(), 2);
    assert_eq!(
        entries[1],
        cell(
            AuditAction::AccountLock,
            &format!("account/{}/password", t.username),
            None,
            None
        )
    );
}
