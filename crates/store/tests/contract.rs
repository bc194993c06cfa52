//! The store's contract: every test is written once as an `async fn(TestDb)` and run on
//! a fresh SQLite file and on a fresh PostgreSQL database (see `support`).

/// Declares each test twice, `sqlite::name` and `postgres::name` inside the module where
/// it is invoked, running that module's `async fn name(TestDb)` on a fresh database of
/// each backend. Defined before the `mod` lines so that every module can use it.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    crate::support::on_sqlite(super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    crate::support::on_postgres(super::$name).await;
                }
            )*
        }
    };
}

mod admin;
mod audit;
mod audit_browse;
mod locking;
mod lookup;
mod registry;
mod registry_link;
mod registry_ops;
mod supervision;
mod support;

use domain::{Level, Score, StudentCode};
use store::{
    Absences, Backend, Batch, ClassSize, CommentResult, ConductEntry, ConductRating, Enrolment,
    EnrolmentKey, Error, NewSession, QualityItem, QualityRating, RetakeResult, RetrainedConduct,
    Role, SchoolYearInfo, ScoreSheetRow, Semester, Store, SubjectAssignment, SubjectComment,
    SubjectScores, SummerRetake, Term, Tt27Level, Tt27Period, Tt27Quality, Tt27SubjectEvaluation,
};
use support::*;

contract!(
    schools_round_trip,
    duplicate_school_code_is_a_conflict,
    school_years_round_trip_and_are_checked,
    teachers_round_trip_with_roles_and_password,
    classes_round_trip_and_are_checked,
    students_round_trip_and_codes_are_unique,
    enrolment_gives_the_class_list_in_roll_order,
    students_without_personal_id_are_listed_per_school,
    subject_assignments_round_trip,
    subject_scores_round_trip_and_overwrite,
    score_sheet_is_replaced_all_or_nothing,
    scores_above_ten_are_rejected_by_the_database,
    every_year_input_round_trips_in_one_call,
    batch_inserts_everything_or_nothing,
    counts_for_reports,
    vietnamese_text_round_trips_byte_exact,
    impossible_values_are_rejected_by_the_schema,
    concurrent_writers_all_succeed,
    reopening_applies_no_migration_twice,
    sessions_round_trip_expire_and_are_deleted,
    sessions_are_checked_by_the_schema,
    subject_comment_sheet_lists_one_term_in_roll_order,
    subject_sheet_saves_marks_and_comments_all_or_nothing,
    records_review_sign_seal_with_compare_and_set,
    records_unlock_makes_a_new_draft_version,
    racing_signers_on_one_record_exactly_one_wins,
    outbox_seal_enqueues_in_the_same_transaction_once_per_digest,
    outbox_claims_are_exclusive_and_expired_claims_are_taken_again,
    outbox_racing_senders_claim_each_entry_once,
    outbox_retry_waits_for_its_scheduled_time,
    outbox_accept_stores_the_receipt_and_syncs_the_record,
    outbox_reject_keeps_the_reason_and_resend_requeues_it,
    outbox_never_sends_a_version_unlocked_before_it_was_sent,
    tt27_subject_sheet_saves_audited_all_or_nothing,
    tt27_ratings_and_tieu_bieu_save_audited_all_or_nothing,
);

/// The store is shared behind `Arc` by the web server; every test also runs inside
/// `tokio::spawn`, which checks that the futures are `Send`.
#[test]
fn store_is_send_sync_and_cheap_to_clone() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<Store>();
}

fn assert_conflict<T: std::fmt::Debug>(r: Result<T, Error>) {
    assert!(
        matches!(r, Err(Error::Conflict { .. })),
        "expected Conflict, got {r:?}"
    );
}

fn assert_not_found<T: std::fmt::Debug>(r: Result<T, Error>) {
    assert!(
        matches!(r, Err(Error::NotFound { .. })),
        "expected NotFound, got {r:?}"
    );
}

fn assert_invalid<T: std::fmt::Debug>(r: Result<T, Error>) {
    assert!(
        matches!(r, Err(Error::Invalid { .. })),
        "expected Invalid, got {r:?}"
    );
}

async fn schools_round_trip(db: TestDb) {
    let s = &db.store;
    let b = SchoolBuilder::new()
        .code("79000701")
        .levels(&[Level::UpperSecondary, Level::LowerSecondary]);
    let expected = b.0.clone();
    let id = b.insert(s).await;
    let a = SchoolBuilder::new().code("01000001").insert(s).await;

    let got = s.school(id).await.unwrap();
    assert_eq!(got.id, id);
    assert_eq!(got.code, expected.code);
    assert_eq!(got.name, expected.name);
    assert_eq!(
        got.levels,
        vec![Level::LowerSecondary, Level::UpperSecondary]
    );
    assert_eq!(got.department_code, expected.department_code);
    assert_eq!(got.authority_name, expected.authority_name);
    assert_eq!(got.address, expected.address);

    assert_eq!(
        s.school_by_code("79000701").await.unwrap(),
        Some(got.clone())
    );
    assert_eq!(s.school_by_code("nope").await.unwrap(), None);
    let all = s.list_schools().await.unwrap();
    assert_eq!(all.iter().map(|x| x.id).collect::<Vec<_>>(), vec![a, id]);
    assert_not_found(s.school(store::SchoolId(id.0 + 1000)).await);
    assert_invalid(s.insert_school(&SchoolBuilder::new().levels(&[]).0).await);
}

async fn duplicate_school_code_is_a_conflict(db: TestDb) {
    let s = &db.store;
    SchoolBuilder::new().code("79000701").insert(s).await;
    assert_conflict(
        s.insert_school(&SchoolBuilder::new().code("79000701").0)
            .await,
    );
    // The failed insert left no levels or school behind.
    assert_eq!(s.list_schools().await.unwrap().len(), 1);
}

async fn school_years_round_trip_and_are_checked(db: TestDb) {
    let s = &db.store;
    insert_year(s).await;
    let next = SchoolYearInfo {
        year: "2026-2027".parse().unwrap(),
        starts_on: date("2026-09-05"),
        ends_on: date("2027-05-31"),
    };
    s.insert_school_year(&next).await.unwrap();
    let years = s.list_school_years().await.unwrap();
    assert_eq!(years.len(), 2);
    assert_eq!(years[0].year, year());
    assert_eq!(years[0].starts_on, date("2025-09-05"));
    assert_eq!(years[1], next);
    assert_conflict(s.insert_school_year(&next).await);
    let backwards = SchoolYearInfo {
        year: "2027-2028".parse().unwrap(),
        starts_on: date("2028-05-31"),
        ends_on: date("2027-09-05"),
    };
    assert_invalid(s.insert_school_year(&backwards).await);
}

async fn teachers_round_trip_with_roles_and_password(db: TestDb) {
    let s = &db.store;
    let school = SchoolBuilder::new().insert(s).await;
    let other = SchoolBuilder::new().insert(s).await;
    let t = TeacherBuilder::new(school).username("ht.lan").roles(&[
        Role::Principal,
        Role::Admin,
        Role::Principal,
    ]);
    let new = t.0.clone();
    let id = t.insert(s).await;
    TeacherBuilder::new(other).insert(s).await;

    let got = s.teacher(id).await.unwrap();
    assert_eq!(got.school, school);
    assert_eq!(got.full_name, new.full_name);
    assert_eq!(got.username, "ht.lan");
    assert_eq!(got.roles, vec![Role::Admin, Role::Principal]);
    assert_eq!(got.password_hash, None);
    assert_eq!(s.teacher_by_username("ht.lan").await.unwrap(), Some(got));
    assert_eq!(s.teacher_by_username("nobody").await.unwrap(), None);

    s.set_password_hash(id, Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"))
        .await
        .unwrap();
    assert_eq!(
        s.teacher(id).await.unwrap().password_hash.as_deref(),
        Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")
    );
    s.set_password_hash(id, None).await.unwrap();
    assert_eq!(s.teacher(id).await.unwrap().password_hash, None);

    s.set_teacher_roles(id, &[Role::Clerk, Role::Homeroom])
        .await
        .unwrap();
    assert_eq!(
        s.teacher(id).await.unwrap().roles,
        vec![Role::Homeroom, Role::Clerk]
    );
    s.set_teacher_roles(id, &[]).await.unwrap();
    assert!(s.teacher(id).await.unwrap().roles.is_empty());

    let staff = s.teachers_of_school(school).await.unwrap();
    assert_eq!(staff.len(), 1);
    assert_conflict(
        s.insert_teacher(&TeacherBuilder::new(other).username("ht.lan").0)
            .await,
    );
    assert_not_found(
        s.insert_teacher(&TeacherBuilder::new(store::SchoolId(9999)).0)
            .await,
    );
    assert_not_found(s.set_password_hash(store::TeacherId(9999), None).await);
    assert_not_found(s.set_teacher_roles(store::TeacherId(9999), &[]).await);
    assert_not_found(s.teacher(store::TeacherId(9999)).await);
}

async fn classes_round_trip_and_are_checked(db: TestDb) {
    let s = &db.store;
    let y = insert_year(s).await;
    let school = SchoolBuilder::new().insert(s).await;
    let other = SchoolBuilder::new().insert(s).await;
    let gvcn = TeacherBuilder::new(school).insert(s).await;
    let outsider = TeacherBuilder::new(other).insert(s).await;

    let b7 = ClassBuilder::new(school)
        .grade(7)
        .name("7A1")
        .insert(s)
        .await;
    let a6 = ClassBuilder::new(school)
        .name("6A2")
        .homeroom(gvcn)
        .insert(s)
        .await;
    let a1 = ClassBuilder::new(school).name("6A1").insert(s).await;
    ClassBuilder::new(other).name("6A1").insert(s).await;

    let got = s.class(a6).await.unwrap();
    assert_eq!(
        (got.school, got.year, got.grade, got.name.as_str()),
        (school, y, grade(6), "6A2")
    );
    assert_eq!(got.homeroom_teacher, Some(gvcn));
    let list = s.classes_of_school(school, y).await.unwrap();
    assert_eq!(
        list.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![a1, a6, b7]
    );
    assert!(
        s.classes_of_school(school, "2030-2031".parse().unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.homeroom_classes(gvcn).await.unwrap(), vec![got]);

    s.set_homeroom_teacher(a1, Some(gvcn)).await.unwrap();
    assert_eq!(s.class(a1).await.unwrap().homeroom_teacher, Some(gvcn));
    s.set_homeroom_teacher(a1, None).await.unwrap();
    assert_eq!(s.class(a1).await.unwrap().homeroom_teacher, None);

    assert_conflict(
        s.insert_class(&ClassBuilder::new(school).name("6A1").0)
            .await,
    );
    let mut no_year = ClassBuilder::new(school).0;
    no_year.year = "2030-2031".parse().unwrap();
    assert_not_found(s.insert_class(&no_year).await);
    assert_not_found(
        s.insert_class(&ClassBuilder::new(store::SchoolId(9999)).0)
            .await,
    );
    // A homeroom teacher from another school is refused.
    assert_not_found(
        s.insert_class(&ClassBuilder::new(school).homeroom(outsider).0)
            .await,
    );
    assert_not_found(s.set_homeroom_teacher(a1, Some(outsider)).await);
    assert_not_found(s.class(store::ClassId(9999)).await);
}

async fn students_round_trip_and_codes_are_unique(db: TestDb) {
    let s = &db.store;
    let st = StudentBuilder::new().insert(s).await;
    assert_eq!(s.student(&st.code).await.unwrap(), st);
    let pid = st.personal_id.clone().unwrap();
    assert_eq!(
        s.student_by_personal_id(&pid).await.unwrap(),
        Some(st.clone())
    );

    let mut changed = st.clone();
    changed.full_name = "Lê Hoàng Long".into();
    changed.sex = domain::Sex::Male;
    changed.personal_id = Some("079213000001".parse().unwrap());
    changed.born_on = date("2013-12-31");
    changed.ethnicity = "Tày".into();
    s.update_student(&changed).await.unwrap();
    assert_eq!(s.student(&st.code).await.unwrap(), changed);

    s.set_personal_id(&st.code, None).await.unwrap();
    assert_eq!(s.student(&st.code).await.unwrap().personal_id, None);
    s.set_personal_id(&st.code, Some(&pid)).await.unwrap();
    assert_eq!(
        s.student(&st.code).await.unwrap().personal_id,
        Some(pid.clone())
    );

    // Duplicate student code, duplicate personal ID.
    assert_conflict(
        s.insert_student(&StudentBuilder::new().code(st.code.as_str()).build())
            .await,
    );
    assert_conflict(
        s.insert_student(
            &StudentBuilder::new()
                .personal_id(Some(pid.as_str()))
                .build(),
        )
        .await,
    );
    let other = StudentBuilder::new().insert(s).await;
    assert_conflict(s.set_personal_id(&other.code, Some(&pid)).await);
    // Several students may lack a personal ID at once.
    StudentBuilder::new().personal_id(None).insert(s).await;
    StudentBuilder::new().personal_id(None).insert(s).await;

    let ghost: StudentCode = "99999999999999999999".parse().unwrap();
    assert_not_found(s.student(&ghost).await);
    assert_not_found(s.set_personal_id(&ghost, None).await);
    assert_not_found(
        s.update_student(&StudentBuilder::new().code(ghost.as_str()).build())
            .await,
    );
}

async fn enrolment_gives_the_class_list_in_roll_order(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 3).await;
    let late = StudentBuilder::new().insert(s).await;
    assert_eq!(s.enrol(&late.code, w.class, Some(10)).await.unwrap(), 10);
    let next = StudentBuilder::new().insert(s).await;
    assert_eq!(s.enrol(&next.code, w.class, None).await.unwrap(), 11);

    let members = s.class_members(w.class).await.unwrap();
    assert_eq!(
        members.iter().map(|m| m.roll_no).collect::<Vec<_>>(),
        vec![1, 2, 3, 10, 11]
    );
    assert_eq!(members[0].student, w.students[0]);
    assert_eq!(members[3].student, late);

    let other_class = ClassBuilder::new(w.school).insert(s).await;
    s.enrol(&late.code, other_class, None).await.unwrap();
    let history = s.classes_of_student(&late.code).await.unwrap();
    assert_eq!(
        history.iter().map(|(c, r)| (c.id, *r)).collect::<Vec<_>>(),
        vec![(w.class, 10), (other_class, 1)]
    );

    assert_conflict(s.enrol(&late.code, w.class, None).await);
    let fresh = StudentBuilder::new().insert(s).await;
    assert_conflict(s.enrol(&fresh.code, w.class, Some(1)).await);
    assert_not_found(s.enrol(&fresh.code, store::ClassId(9999), None).await);
    let ghost: StudentCode = "99999999999999999999".parse().unwrap();
    assert_not_found(s.enrol(&ghost, w.class, None).await);

    s.unenrol(&late.code, w.class).await.unwrap();
    assert_eq!(s.class_members(w.class).await.unwrap().len(), 4);

    // Renumbering (e.g. after sorting by Vietnamese name) is all or nothing.
    let order = vec![
        next.code.clone(),
        w.students[2].code.clone(),
        w.students[0].code.clone(),
        w.students[1].code.clone(),
    ];
    s.set_roll_order(w.class, &order).await.unwrap();
    let members = s.class_members(w.class).await.unwrap();
    assert_eq!(
        members
            .iter()
            .map(|m| (m.roll_no, m.student.code.clone()))
            .collect::<Vec<_>>(),
        order
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, c)| (i as u16 + 1, c))
            .collect::<Vec<_>>()
    );
    assert_invalid(s.set_roll_order(w.class, &order[..3]).await);
    let doubled = vec![
        order[0].clone(),
        order[0].clone(),
        order[1].clone(),
        order[2].clone(),
    ];
    assert_invalid(s.set_roll_order(w.class, &doubled).await);
    let mut with_stranger = order.clone();
    with_stranger[3] = fresh.code.clone();
    assert_invalid(s.set_roll_order(w.class, &with_stranger).await);
    assert_eq!(s.class_members(w.class).await.unwrap(), members);
    assert_not_found(s.unenrol(&late.code, w.class).await);
}

async fn students_without_personal_id_are_listed_per_school(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 2).await;
    let a = StudentBuilder::new().personal_id(None).insert(s).await;
    s.enrol(&a.code, w.class, None).await.unwrap();
    // Another school's student without an ID is not listed.
    let other = SchoolBuilder::new().insert(s).await;
    let oc = ClassBuilder::new(other).insert(s).await;
    let b = StudentBuilder::new().personal_id(None).insert(s).await;
    s.enrol(&b.code, oc, None).await.unwrap();

    assert_eq!(
        s.students_without_personal_id(w.school, w.year)
            .await
            .unwrap(),
        vec![a.clone()]
    );
    assert_eq!(
        s.students_without_personal_id(other, w.year).await.unwrap(),
        vec![b]
    );
    s.set_personal_id(&a.code, Some(&"079313999999".parse().unwrap()))
        .await
        .unwrap();
    assert!(
        s.students_without_personal_id(w.school, w.year)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn subject_assignments_round_trip(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 0).await;
    let t2 = TeacherBuilder::new(w.school).insert(s).await;
    let a = |t, code: &str| SubjectAssignment {
        class: w.class,
        subject: subject(code),
        teacher: t,
    };
    s.assign_subject(&a(w.teacher, "TOAN")).await.unwrap();
    s.assign_subject(&a(w.teacher, "TOAN")).await.unwrap();
    s.assign_subject(&a(w.teacher, "NGU_VAN")).await.unwrap();
    s.assign_subject(&a(t2, "TOAN")).await.unwrap();
    assert_eq!(
        s.assignments_of_teacher(w.teacher).await.unwrap(),
        vec![a(w.teacher, "NGU_VAN"), a(w.teacher, "TOAN")]
    );
    assert_eq!(s.assignments_of_class(w.class).await.unwrap().len(), 3);
    s.unassign_subject(&a(w.teacher, "TOAN")).await.unwrap();
    assert_not_found(s.unassign_subject(&a(w.teacher, "TOAN")).await);
    assert_not_found(s.assign_subject(&a(store::TeacherId(9999), "TOAN")).await);
    assert!("toan".parse::<store::SubjectCode>().is_err());
}

fn toan(semester: Semester, regular: &[&str], gk: &str, ck: &str) -> SubjectScores {
    SubjectScores {
        subject: subject("TOAN"),
        semester,
        regular: regular.iter().map(|x| score(x)).collect(),
        midterm: Some(score(gk)),
        final_exam: Some(score(ck)),
    }
}

async fn subject_scores_round_trip_and_overwrite(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 1).await;
    let k = w.key(0);
    let hk1 = toan(Semester::First, &["8", "7.5", "9", "8"], "7", "8.5");
    let hk2 = toan(Semester::Second, &["10", "0", "9.9"], "0.1", "10");
    s.set_subject_scores(&k, &hk1).await.unwrap();
    s.set_subject_scores(&k, &hk2).await.unwrap();
    assert_eq!(
        s.year_inputs(&k).await.unwrap().scores,
        vec![hk1.clone(), hk2]
    );

    let shorter = SubjectScores {
        regular: vec![score("6")],
        midterm: None,
        ..hk2_blank()
    };
    s.set_subject_scores(&k, &shorter).await.unwrap();
    assert_eq!(s.year_inputs(&k).await.unwrap().scores, vec![hk1, shorter]);

    let stranger = EnrolmentKey {
        student: w.students[0].code.clone(),
        class: store::ClassId(9999),
    };
    assert_not_found(
        s.set_subject_scores(&stranger, &toan(Semester::First, &[], "1", "1"))
            .await,
    );
    let too_many = toan(Semester::First, &["5"; 21], "5", "5");
    assert_invalid(s.set_subject_scores(&k, &too_many).await);
}

fn hk2_blank() -> SubjectScores {
    SubjectScores {
        subject: subject("TOAN"),
        semester: Semester::Second,
        regular: vec![],
        midterm: None,
        final_exam: None,
    }
}

fn sheet_row(student: &StudentCode, regular: &[&str], ck: &str) -> ScoreSheetRow {
    ScoreSheetRow {
        student: student.clone(),
        regular: regular.iter().map(|x| score(x)).collect(),
        midterm: Some(score("7")),
        final_exam: Some(score(ck)),
    }
}

async fn score_sheet_is_replaced_all_or_nothing(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 3).await;
    let (toan_code, sem) = (subject("TOAN"), Semester::First);
    let codes: Vec<StudentCode> = w.students.iter().map(|x| x.code.clone()).collect();
    let first = vec![
        sheet_row(&codes[2], &["8", "9"], "9"),
        sheet_row(&codes[0], &["5", "6", "7"], "6.5"),
        sheet_row(&codes[1], &[], "4"),
    ];
    s.replace_score_sheet(w.class, &toan_code, sem, &first)
        .await
        .unwrap();
    let read = s.score_sheet(w.class, &toan_code, sem).await.unwrap();
    // Returned in roll order.
    assert_eq!(
        read,
        vec![first[1].clone(), first[2].clone(), first[0].clone()]
    );

    // Another subject's sheet is untouched by replacing this one.
    let ly = subject("VAT_LI");
    s.replace_score_sheet(w.class, &ly, sem, &[sheet_row(&codes[0], &["1"], "2")])
        .await
        .unwrap();

    let second = vec![sheet_row(&codes[0], &["10"], "10")];
    s.replace_score_sheet(w.class, &toan_code, sem, &second)
        .await
        .unwrap();
    assert_eq!(
        s.score_sheet(w.class, &toan_code, sem).await.unwrap(),
        second
    );
    assert_eq!(s.score_sheet(w.class, &ly, sem).await.unwrap().len(), 1);

    // A sheet naming a student who is not in the class changes nothing.
    let outsider = StudentBuilder::new().insert(s).await;
    let bad = vec![
        sheet_row(&codes[1], &["3"], "3"),
        sheet_row(&outsider.code, &["3"], "3"),
    ];
    assert_not_found(s.replace_score_sheet(w.class, &toan_code, sem, &bad).await);
    assert_eq!(
        s.score_sheet(w.class, &toan_code, sem).await.unwrap(),
        second
    );
    // Too many regular scores: refused before anything is written.
    let long = vec![sheet_row(&codes[1], &["3"; 21], "3")];
    assert_invalid(s.replace_score_sheet(w.class, &toan_code, sem, &long).await);
    assert_eq!(
        s.score_sheet(w.class, &toan_code, sem).await.unwrap(),
        second
    );
    assert_not_found(
        s.replace_score_sheet(store::ClassId(9999), &toan_code, sem, &[])
            .await,
    );

    // Comment-only sheet.
    let gdtc = subject("GDTC");
    s.replace_comment_sheet(
        w.class,
        &gdtc,
        sem,
        &[(codes[0].clone(), true), (codes[1].clone(), false)],
    )
    .await
    .unwrap();
    let bad = [(codes[0].clone(), false), (outsider.code.clone(), true)];
    assert_not_found(s.replace_comment_sheet(w.class, &gdtc, sem, &bad).await);
    assert_eq!(
        s.comment_sheet(w.class, &gdtc, sem).await.unwrap(),
        vec![(codes[0].clone(), true), (codes[1].clone(), false)]
    );
    let results = s.year_inputs(&w.key(0)).await.unwrap().comment_results;
    assert_eq!(
        results,
        vec![CommentResult {
            subject: gdtc,
            semester: sem,
            passed: true
        }]
    );
}

async fn scores_above_ten_are_rejected_by_the_database(db: TestDb) {
    let s = &db.store;
    assert!(Score::from_tenths(101).is_err());
    assert!("10.1".parse::<Score>().is_err());
    let w = World::new(s, 1).await;
    let k = w.key(0);
    s.set_subject_scores(&k, &toan(Semester::First, &["8"], "7", "8"))
        .await
        .unwrap();
    // Reaching past the typed API, the schema still refuses 10.1 and -0.1.
    let code = k.student.as_str();
    let class = k.class.0;
    for (table, sql) in [
        (
            "regular_scores",
            format!(
                "INSERT INTO regular_scores (student_code, class_id, subject_code, semester, ordinal, tenths) \
                 VALUES ('{code}', {class}, 'TOAN', 1, 2, 101)"
            ),
        ),
        (
            "subject_scores",
            format!("UPDATE subject_scores SET final = 101 WHERE student_code = '{code}'"),
        ),
        (
            "subject_scores",
            format!("UPDATE subject_scores SET midterm = -1 WHERE student_code = '{code}'"),
        ),
        (
            "tt27_subject_evaluations",
            format!(
                "INSERT INTO tt27_subject_evaluations (student_code, class_id, subject_code, period, test_score) \
                 VALUES ('{code}', {class}, 'TOAN', 'CN', 11)"
            ),
        ),
    ] {
        let r = s.execute_raw_for_tests(&sql).await;
        assert!(matches!(r, Err(Error::Invalid { .. })), "{table}: {r:?}");
    }
    assert_eq!(
        s.year_inputs(&k).await.unwrap().scores,
        vec![toan(Semester::First, &["8"], "7", "8")]
    );
}

async fn every_year_input_round_trips_in_one_call(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 2).await;
    let k = w.key(0);
    let hk1 = toan(Semester::First, &["8", "7.5"], "7", "8.5");
    s.set_subject_scores(&k, &hk1).await.unwrap();
    let gdtc = CommentResult {
        subject: subject("GDTC"),
        semester: Semester::Second,
        passed: false,
    };
    s.set_comment_result(
        &k,
        &CommentResult {
            passed: true,
            ..gdtc.clone()
        },
    )
    .await
    .unwrap();
    s.set_comment_result(&k, &gdtc).await.unwrap();
    let comment = SubjectComment {
        subject: subject("TOAN"),
        term: Term::Year,
        body: "Tiến bộ rõ rệt.".into(),
    };
    s.set_subject_comment(
        &k,
        &SubjectComment {
            body: "x".into(),
            ..comment.clone()
        },
    )
    .await
    .unwrap();
    s.set_subject_comment(&k, &comment).await.unwrap();
    let c1 = ConductEntry {
        semester: Semester::First,
        rating: ConductRating::Good,
    };
    let c2 = ConductEntry {
        semester: Semester::Second,
        rating: ConductRating::Fail,
    };
    s.set_conduct(&k, c2).await.unwrap();
    s.set_conduct(&k, c1).await.unwrap();
    let absent = Absences {
        excused_days: 30,
        unexcused_days: 16,
    };
    s.set_absences(&k, absent).await.unwrap();
    assert_eq!(absent.total(), 46);
    let retake = SummerRetake {
        subject: subject("TOAN"),
        result: RetakeResult::Score(score("6")),
        assessed_on: date("2026-07-20"),
    };
    let retake_gdtc = SummerRetake {
        subject: subject("GDTC"),
        result: RetakeResult::Passed(true),
        assessed_on: date("2026-07-21"),
    };
    s.set_summer_retake(&k, &retake).await.unwrap();
    s.set_summer_retake(&k, &retake_gdtc).await.unwrap();
    let retrained = RetrainedConduct {
        rating: ConductRating::Pass,
        assessed_on: date("2026-08-01"),
    };
    s.set_retrained_conduct(&k, retrained).await.unwrap();
    let tv = Tt27SubjectEvaluation {
        subject: subject("TIENG_VIET"),
        period: Tt27Period::YearEnd,
        level: Some(Tt27Level::Excellent),
        test_score: Some(10),
        comment: Some("Đọc diễn cảm.".into()),
    };
    let tv_mid = Tt27SubjectEvaluation {
        period: Tt27Period::MidFirst,
        level: Some(Tt27Level::Completed),
        test_score: None,
        comment: None,
        ..tv.clone()
    };
    s.set_tt27_subject(&k, &tv).await.unwrap();
    s.set_tt27_subject(&k, &tv_mid).await.unwrap();
    let q1 = Tt27Quality {
        item: QualityItem::Patriotism,
        period: Tt27Period::YearEnd,
        rating: QualityRating::Good,
    };
    let q2 = Tt27Quality {
        item: QualityItem::Physical,
        period: Tt27Period::YearEnd,
        rating: QualityRating::NeedsEffort,
    };
    s.set_tt27_quality(&k, q2).await.unwrap();
    s.set_tt27_quality(&k, q1).await.unwrap();
    s.set_outstanding(&k, Some("Tiến bộ vượt bậc môn Toán"))
        .await
        .unwrap();

    // The other student's inputs must not leak into this one's.
    s.set_conduct(&w.key(1), c2).await.unwrap();

    let y = s.year_inputs(&k).await.unwrap();
    assert_eq!(y.student, w.students[0]);
    assert_eq!(y.class, s.class(w.class).await.unwrap());
    assert_eq!(y.school_levels, vec![Level::LowerSecondary]);
    assert_eq!(y.roll_no, 1);
    assert_eq!(y.scores, vec![hk1]);
    assert_eq!(y.comment_results, vec![gdtc]);
    assert_eq!(y.comments, vec![comment]);
    assert_eq!(y.conduct, vec![c1, c2]);
    assert_eq!(y.absences, Some(absent));
    assert_eq!(y.summer_retakes, vec![retake_gdtc, retake]);
    assert_eq!(y.retrained_conduct, Some(retrained));
    assert_eq!(y.tt27_subjects, vec![tv_mid, tv]);
    assert_eq!(y.tt27_qualities, vec![q1, q2]);
    assert_eq!(y.outstanding.as_deref(), Some("Tiến bộ vượt bậc môn Toán"));

    s.set_outstanding(&k, None).await.unwrap();
    assert_eq!(s.year_inputs(&k).await.unwrap().outstanding, None);

    let empty = s.year_inputs(&w.key(1)).await.unwrap();
    assert!(
        empty.scores.is_empty() && empty.absences.is_none() && empty.retrained_conduct.is_none()
    );
    assert_eq!(empty.conduct, vec![c2]);

    let stranger = EnrolmentKey {
        student: w.students[0].code.clone(),
        class: store::ClassId(9999),
    };
    assert_not_found(s.year_inputs(&stranger).await);
    assert_not_found(s.set_conduct(&stranger, c1).await);
    assert_not_found(s.set_absences(&stranger, absent).await);
    assert_invalid(
        s.set_absences(
            &k,
            Absences {
                excused_days: 400,
                unexcused_days: 0,
            },
        )
        .await,
    );
}

async fn batch_inserts_everything_or_nothing(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 0).await;
    let mut batch = Batch::default();
    for i in 0..40u16 {
        let st = StudentBuilder::new().build();
        let key = EnrolmentKey {
            student: st.code.clone(),
            class: w.class,
        };
        batch.students.push(st);
        batch.enrolments.push(Enrolment {
            key: key.clone(),
            roll_no: i + 1,
        });
        for sem in [Semester::First, Semester::Second] {
            for code in ["TOAN", "NGU_VAN", "TIENG_ANH"] {
                batch.scores.push((
                    key.clone(),
                    SubjectScores {
                        subject: subject(code),
                        semester: sem,
                        regular: vec![score("8"), score("7.5"), score("9"), score("6")],
                        midterm: Some(score("7")),
                        final_exam: Some(score("8.5")),
                    },
                ));
            }
            batch.comment_results.push((
                key.clone(),
                CommentResult {
                    subject: subject("GDTC"),
                    semester: sem,
                    passed: true,
                },
            ));
            batch.conduct.push((
                key.clone(),
                ConductEntry {
                    semester: sem,
                    rating: ConductRating::Good,
                },
            ));
        }
        batch.comments.push((
            key.clone(),
            SubjectComment {
                subject: subject("TOAN"),
                term: Term::Year,
                body: "Chăm chỉ.".into(),
            },
        ));
        batch.absences.push((
            key.clone(),
            Absences {
                excused_days: i,
                unexcused_days: 0,
            },
        ));
        batch.summer_retakes.push((
            key.clone(),
            SummerRetake {
                subject: subject("TOAN"),
                result: RetakeResult::Score(score("5")),
                assessed_on: date("2026-07-20"),
            },
        ));
        batch.retrained_conduct.push((
            key.clone(),
            RetrainedConduct {
                rating: ConductRating::Pass,
                assessed_on: date("2026-08-01"),
            },
        ));
        batch.tt27_subjects.push((
            key.clone(),
            Tt27SubjectEvaluation {
                subject: subject("TOAN"),
                period: Tt27Period::YearEnd,
                level: Some(Tt27Level::Completed),
                test_score: Some(7),
                comment: None,
            },
        ));
        batch.tt27_qualities.push((
            key.clone(),
            Tt27Quality {
                item: QualityItem::Honesty,
                period: Tt27Period::YearEnd,
                rating: QualityRating::Pass,
            },
        ));
        batch.outstanding.push((key, String::new()));
    }
    batch.subject_assignments.push(SubjectAssignment {
        class: w.class,
        subject: subject("TOAN"),
        teacher: w.teacher,
    });

    // A batch whose last row collides is rolled back whole.
    let mut broken = batch.clone();
    broken.tt27_qualities.push(broken.tt27_qualities[0].clone());
    assert_conflict(s.insert_batch(&broken).await);
    let zero = s.table_counts().await.unwrap();
    assert_eq!(
        (zero.students, zero.enrolments, zero.subject_scores),
        (0, 0, 0)
    );

    let counts = s.insert_batch(&batch).await.unwrap();
    assert_eq!((counts.students, counts.enrolments), (40, 40));
    let t = s.table_counts().await.unwrap();
    assert_eq!(
        (t.students, t.enrolments, t.subject_scores, t.regular_scores),
        (40, 40, 240, 960)
    );
    assert_eq!((t.comment_results, t.tt27_subject_evaluations), (80, 40));

    let members = s.class_members(w.class).await.unwrap();
    assert_eq!(members.len(), 40);
    assert_eq!(members[5].student, batch.students[5]);
    let key = batch.enrolments[5].key.clone();
    let y = s.year_inputs(&key).await.unwrap();
    assert_eq!(y.scores.len(), 6);
    assert_eq!(
        y.scores[0].regular,
        vec![score("8"), score("7.5"), score("9"), score("6")]
    );
    assert_eq!(
        y.absences,
        Some(Absences {
            excused_days: 5,
            unexcused_days: 0
        })
    );
    assert_eq!(y.outstanding.as_deref(), Some(""));

    // Inserting again: every row conflicts, nothing changes.
    assert_conflict(s.insert_batch(&batch).await);
    assert_eq!(s.table_counts().await.unwrap(), t);
}

async fn counts_for_reports(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 3).await;
    let second = ClassBuilder::new(w.school)
        .grade(7)
        .name("7A1")
        .insert(s)
        .await;
    let a = StudentBuilder::new().personal_id(None).insert(s).await;
    s.enrol(&a.code, second, None).await.unwrap();
    let counts = s.school_counts(w.school, w.year).await.unwrap();
    assert_eq!(counts.classes, 2);
    assert_eq!(counts.students, 4);
    assert_eq!(counts.students_without_personal_id, 1);
    assert_eq!(counts.teachers, 1);
    let sizes: Vec<(String, u64)> = s
        .class_sizes(w.school, w.year)
        .await
        .unwrap()
        .into_iter()
        .map(|ClassSize { class, students }| (class.name, students))
        .collect();
    assert_eq!(sizes[1], ("7A1".to_owned(), 1));
    assert_eq!(sizes[0].1, 3);
    let t = s.table_counts().await.unwrap();
    assert_eq!(
        (t.schools, t.classes, t.teachers, t.students, t.enrolments),
        (1, 2, 1, 4, 4)
    );
    let empty = s
        .school_counts(store::SchoolId(9999), w.year)
        .await
        .unwrap();
    assert_eq!(empty, store::SchoolCounts::default());
}

async fn vietnamese_text_round_trips_byte_exact(db: TestDb) {
    let s = &db.store;
    // NFC, written with escapes so the test does not depend on the editor.
    let nfc = "Nguy\u{1EC5}n Th\u{1ECB} \u{00C1}nh Tuy\u{1EBF}t \u{0110}\u{1EB7}ng";
    // The same name decomposed (NFD): the store must not normalise either form.
    let nfd = "Nguye\u{0302}\u{0303}n Thi\u{0323} A\u{0301}nh Tuye\u{0302}\u{0301}t \u{0110}a\u{0306}\u{0323}ng";
    assert_ne!(nfc.as_bytes(), nfd.as_bytes());

    let school = SchoolBuilder::new()
        .name("Trường THPT Chuyên Lê Hồng Phong — Ứng Hòa")
        .insert(s)
        .await;
    assert_eq!(
        s.school(school).await.unwrap().name.as_bytes(),
        "Trường THPT Chuyên Lê Hồng Phong — Ứng Hòa".as_bytes()
    );
    let a = StudentBuilder::new().name(nfc).insert(s).await;
    let b = StudentBuilder::new().name(nfd).insert(s).await;
    assert_eq!(
        s.student(&a.code).await.unwrap().full_name.as_bytes(),
        nfc.as_bytes()
    );
    assert_eq!(
        s.student(&b.code).await.unwrap().full_name.as_bytes(),
        nfd.as_bytes()
    );
    assert_eq!(s.student(&a.code).await.unwrap(), a);

    let w = World::new(s, 1).await;
    let body = "Em c\u{1EA7}n c\u{1ED1} g\u{1EAF}ng h\u{01A1}n \u{1EDF} ph\u{1EA7}n h\u{00EC}nh h\u{1ECD}c; \u{201C}\u{0111}\u{1EA1}t\u{201D} 🎉";
    let comment = SubjectComment {
        subject: subject("TOAN"),
        term: Term::First,
        body: body.into(),
    };
    s.set_subject_comment(&w.key(0), &comment).await.unwrap();
    assert_eq!(
        s.year_inputs(&w.key(0)).await.unwrap().comments[0]
            .body
            .as_bytes(),
        body.as_bytes()
    );
}

async fn impossible_values_are_rejected_by_the_schema(db: TestDb) {
    let s = &db.store;
    for sql in [
        "INSERT INTO school_years (start_year, starts_on, ends_on) VALUES (2030, '2030-02-30', '2031-05-31')",
        "INSERT INTO school_years (start_year, starts_on, ends_on) VALUES (2030, '5/9/2030', '2031-05-31')",
        "INSERT INTO school_years (start_year, starts_on, ends_on) VALUES (1999, '1999-09-05', '2000-05-31')",
        "INSERT INTO students (code, personal_id, full_name, sex, born_on, ethnicity, nationality, place_of_birth, residence) \
         VALUES ('7900000000000000000', NULL, 'A', 'F', '2013-01-01', '', '', '', '')",
        "INSERT INTO students (code, personal_id, full_name, sex, born_on, ethnicity, nationality, place_of_birth, residence) \
         VALUES ('79000000000000000000', '07931300000', 'A', 'F', '2013-01-01', '', '', '', '')",
        "INSERT INTO students (code, personal_id, full_name, sex, born_on, ethnicity, nationality, place_of_birth, residence) \
         VALUES ('79000000000000000000', NULL, 'A', 'X', '2013-01-01', '', '', '', '')",
        "INSERT INTO students (code, personal_id, full_name, sex, born_on, ethnicity, nationality, place_of_birth, residence) \
         VALUES ('79000000000000000000', NULL, '', 'F', '2013-01-01', '', '', '', '')",
        "INSERT INTO schools (code, name, department_code, authority_name, address) VALUES ('79 01', 'X', '79', 'Y', '')",
    ] {
        let r = s.execute_raw_for_tests(sql).await;
        assert!(matches!(r, Err(Error::Invalid { .. })), "{sql}: {r:?}");
    }
}

async fn concurrent_writers_all_succeed(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 12).await;
    let store = std::sync::Arc::new(s.clone());
    let mut tasks = Vec::new();
    for i in 0..12 {
        let store = store.clone();
        let key = w.key(i);
        tasks.push(tokio::spawn(async move {
            for sem in [Semester::First, Semester::Second] {
                store
                    .set_subject_scores(&key, &toan(sem, &["8", "9"], "7", "8"))
                    .await?;
                store
                    .set_conduct(
                        &key,
                        ConductEntry {
                            semester: sem,
                            rating: ConductRating::Fair,
                        },
                    )
                    .await?;
            }
            store.year_inputs(&key).await.map(|y| y.scores.len())
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), 2);
    }
    assert_eq!(s.table_counts().await.unwrap().subject_scores, 24);
}

async fn reopening_applies_no_migration_twice(db: TestDb) {
    let s = &db.store;
    SchoolBuilder::new().insert(s).await;
    let again = Store::open(&db.url).await.unwrap();
    assert_eq!(again.backend(), s.backend());
    assert_eq!(again.list_schools().await.unwrap().len(), 1);
    again.close().await;
    assert!(matches!(
        Store::open("mysql://localhost/x").await,
        Err(Error::UnsupportedUrl(_))
    ));
    if s.backend() == Backend::Sqlite {
        let dir = tempfile::tempdir().unwrap();
        let data = Store::open_data_dir(&dir.path().join("nested/data"))
            .await
            .unwrap();
        assert!(
            dir.path()
                .join("nested/data")
                .join(store::SQLITE_FILE_NAME)
                .exists()
        );
        data.close().await;
        let mem = Store::open("sqlite::memory:").await.unwrap();
        SchoolBuilder::new().insert(&mem).await;
        assert_eq!(mem.list_schools().await.unwrap().len(), 1);
    }
}

fn new_session(teacher: store::TeacherId, hash_digit: char, now: i64) -> NewSession {
    NewSession {
        id_hash: hash_digit.to_string().repeat(64),
        teacher,
        csrf_token: "c".repeat(64),
        created_at: now,
        expires_at: now + 3600,
        must_change_password: false,
    }
}

async fn sessions_round_trip_expire_and_are_deleted(db: TestDb) {
    let s = &db.store;
    let school = SchoolBuilder::new().insert(s).await;
    let t = TeacherBuilder::new(school).insert(s).await;
    let other = TeacherBuilder::new(school).insert(s).await;
    let now = 1_760_000_000;
    let mut a = new_session(t, 'a', now);
    a.must_change_password = true;
    s.insert_session(&a).await.unwrap();
    s.insert_session(&new_session(t, 'b', now)).await.unwrap();
    s.insert_session(&new_session(other, 'c', now))
        .await
        .unwrap();

    let got = s.session(&a.id_hash, now + 10).await.unwrap().unwrap();
    assert_eq!(got.teacher, t);
    assert_eq!(got.csrf_token, a.csrf_token);
    assert_eq!((got.created_at, got.expires_at), (now, now + 3600));
    assert_eq!(got.last_seen_at, now);
    assert!(got.must_change_password);

    s.touch_session(&a.id_hash, now + 100).await.unwrap();
    s.touch_session(&a.id_hash, now + 50).await.unwrap();
    assert_eq!(
        s.session(&a.id_hash, now + 100)
            .await
            .unwrap()
            .unwrap()
            .last_seen_at,
        now + 100
    );
    s.set_session_must_change_password(&a.id_hash, false)
        .await
        .unwrap();
    assert!(
        !s.session(&a.id_hash, now)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );

    // Expired at `expires_at` exactly; unknown hashes are simply absent.
    assert_eq!(s.session(&a.id_hash, now + 3600).await.unwrap(), None);
    assert_eq!(s.session(&"f".repeat(64), now).await.unwrap(), None);
    assert_not_found(s.touch_session(&"f".repeat(64), now).await);
    assert_not_found(
        s.set_session_must_change_password(&"f".repeat(64), true)
            .await,
    );

    // Logout of everything but the current session, then logout.
    assert_eq!(
        s.delete_sessions_of_teacher(t, Some(&a.id_hash))
            .await
            .unwrap(),
        1
    );
    assert!(s.session(&"b".repeat(64), now).await.unwrap().is_none());
    s.delete_session(&a.id_hash).await.unwrap();
    s.delete_session(&a.id_hash).await.unwrap();
    assert!(s.session(&a.id_hash, now).await.unwrap().is_none());

    // The other account's session survives until it expires, then is swept.
    assert!(s.session(&"c".repeat(64), now).await.unwrap().is_some());
    assert_eq!(s.delete_expired_sessions(now + 3599).await.unwrap(), 0);
    assert_eq!(s.delete_expired_sessions(now + 3600).await.unwrap(), 1);
    assert_eq!(s.delete_sessions_of_teacher(other, None).await.unwrap(), 0);
}

async fn sessions_are_checked_by_the_schema(db: TestDb) {
    let s = &db.store;
    let school = SchoolBuilder::new().insert(s).await;
    let t = TeacherBuilder::new(school).insert(s).await;
    let now = 1_760_000_000;
    let ok = new_session(t, 'd', now);
    s.insert_session(&ok).await.unwrap();
    assert_conflict(s.insert_session(&ok).await);
    let mut bad = new_session(t, 'e', now);
    bad.id_hash = "E".repeat(64);
    assert_invalid(s.insert_session(&bad).await);
    let mut bad = new_session(t, 'e', now);
    bad.expires_at = now - 1;
    assert_invalid(s.insert_session(&bad).await);
    let mut bad = new_session(t, 'e', now);
    bad.csrf_token = "short".into();
    assert_invalid(s.insert_session(&bad).await);
    let mut bad = new_session(t, 'e', now);
    bad.teacher = store::TeacherId(t.0 + 1000);
    assert_not_found(s.insert_session(&bad).await);
    // Sessions go with their account.
    s.execute_raw_for_tests(&format!(
        "DELETE FROM teacher_roles WHERE teacher_id = {}",
        t.0
    ))
    .await
    .unwrap();
    s.execute_raw_for_tests(&format!("DELETE FROM teachers WHERE id = {}", t.0))
        .await
        .unwrap();
    assert!(s.session(&ok.id_hash, now).await.unwrap().is_none());
}

async fn subject_comment_sheet_lists_one_term_in_roll_order(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 3).await;
    let toan = subject("TOAN");
    let comment = |term, body: &str| SubjectComment {
        subject: toan.clone(),
        term,
        body: body.into(),
    };
    s.set_subject_comment(&w.key(2), &comment(Term::First, "Chăm chỉ"))
        .await
        .unwrap();
    s.set_subject_comment(&w.key(0), &comment(Term::First, "Tiến bộ"))
        .await
        .unwrap();
    s.set_subject_comment(&w.key(1), &comment(Term::Second, "Cần cố gắng"))
        .await
        .unwrap();
    let other = SubjectComment {
        subject: subject("NGU_VAN"),
        term: Term::First,
        body: "Khác môn".into(),
    };
    s.set_subject_comment(&w.key(1), &other).await.unwrap();

    let sheet = s
        .subject_comment_sheet(w.class, &toan, Term::First)
        .await
        .unwrap();
    assert_eq!(
        sheet,
        vec![
            (w.students[0].code.clone(), "Tiến bộ".to_owned()),
            (w.students[2].code.clone(), "Chăm chỉ".to_owned()),
        ]
    );
    assert!(
        s.subject_comment_sheet(w.class, &toan, Term::Year)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn subject_sheet_saves_marks_and_comments_all_or_nothing(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 2).await;
    let (toan, gdtc) = (subject("TOAN"), subject("GDTC"));
    let row = |i: usize, regular: &[&str]| ScoreSheetRow {
        student: w.students[i].code.clone(),
        regular: regular.iter().map(|x| score(x)).collect(),
        midterm: Some(score("7")),
        final_exam: None,
    };
    let first = [row(0, &["8", "9"]), row(1, &["6"])];
    s.save_subject_sheet(
        w.class,
        &toan,
        Semester::First,
        store::SheetMarks::Scores(&first),
        &[(w.students[1].code.clone(), "Cần cố gắng".to_owned())],
    )
    .await
    .unwrap();
    assert_eq!(
        s.score_sheet(w.class, &toan, Semester::First)
            .await
            .unwrap(),
        first.to_vec()
    );
    // A comment for a student outside the class rolls everything back.
    let outsider = StudentBuilder::new().insert(s).await;
    let second = [row(0, &["5"])];
    assert_not_found(
        s.save_subject_sheet(
            w.class,
            &toan,
            Semester::First,
            store::SheetMarks::Scores(&second),
            &[(outsider.code.clone(), "x".to_owned())],
        )
        .await,
    );
    assert_eq!(
        s.score_sheet(w.class, &toan, Semester::First)
            .await
            .unwrap(),
        first.to_vec()
    );
    // Replacing the sheet drops rows not given; comments are per term.
    s.save_subject_sheet(
        w.class,
        &toan,
        Semester::First,
        store::SheetMarks::Scores(&second),
        &[(w.students[1].code.clone(), "Tiến bộ".to_owned())],
    )
    .await
    .unwrap();
    assert_eq!(
        s.score_sheet(w.class, &toan, Semester::First)
            .await
            .unwrap(),
        second.to_vec()
    );
    assert_eq!(
        s.subject_comment_sheet(w.class, &toan, Term::First)
            .await
            .unwrap(),
        vec![(w.students[1].code.clone(), "Tiến bộ".to_owned())]
    );
    // Comment-only subjects.
    s.save_subject_sheet(
        w.class,
        &gdtc,
        Semester::Second,
        store::SheetMarks::Results(&[(w.students[0].code.clone(), false)]),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(
        s.comment_sheet(w.class, &gdtc, Semester::Second)
            .await
            .unwrap(),
        vec![(w.students[0].code.clone(), false)]
    );
    assert_not_found(
        s.save_subject_sheet(
            store::ClassId(w.class.0 + 1000),
            &gdtc,
            Semester::Second,
            store::SheetMarks::Results(&[]),
            &[],
        )
        .await,
    );
}

// ---------------------------------------------------------------------------------------
// Year records (migration 0003): review, compare-and-set signatures, unlock.

fn sha(c: char) -> String {
    std::iter::repeat_n(c, 64).collect()
}

fn record_id(n: u8) -> String {
    format!("00000000-0000-8000-8000-{n:012}")
}

/// "Mở khóa" of version 1 of `student`'s record (digest `sha256`) into version 2, by the
/// fixture's teacher.
fn unlock_v1(w: &World, student: &StudentCode, sha256: String) -> store::Unlock {
    store::Unlock {
        student: student.clone(),
        id: record_id(1),
        sha256,
        new_id: record_id(2),
        reason: "Sửa điểm Toán học kì II".to_owned(),
        by: w.teacher,
        at: "2026-06-01T09:00:00Z".to_owned(),
        replaces_revoked: false,
    }
}

fn reviewed(w: &World, i: usize, n: u8) -> store::ReviewedRecord {
    store::ReviewedRecord {
        id: record_id(n),
        student: w.students[i].code.clone(),
        class: w.class,
        year: w.year,
        version: 1,
        xml: format!("<HocBa n=\"{n}\"/>"),
        sha256: sha('a'),
        replaces_sha256: None,
    }
}

fn signature(
    w: &World,
    i: usize,
    n: u8,
    from: store::RecordState,
    before: u32,
    to: store::RecordState,
    role: &str,
) -> store::NewSignature {
    store::NewSignature {
        student: w.students[i].code.clone(),
        id: record_id(n),
        from,
        signatures_before: before,
        xml: format!("<HocBa n=\"{n}\" sigs=\"{}\"/>", before + 1),
        sha256: sha(char::from(b'b' + before as u8)),
        to,
        signer: store::SignerEntry {
            role: role.to_owned(),
            name: format!("Người ký {role}"),
            at: "2026-05-30T08:00:00Z".to_owned(),
        },
        inputs_as_of: None,
    }
}

async fn records_review_sign_seal_with_compare_and_set(db: TestDb) {
    use store::RecordState::*;
    let s = &db.store;
    let w = World::new(s, 2).await;
    assert_eq!(s.class_review(w.class).await.unwrap(), None);
    let review = store::ClassReview {
        class: w.class,
        reviewed_by: w.teacher,
        reviewed_at: "2026-05-29T10:00:00Z".to_owned(),
    };
    s.review_class(
        &review,
        &[reviewed(&w, 0, 1), reviewed(&w, 1, 2)],
        &audit::stamp(&w, 1_780_000_000),
    )
    .await
    .unwrap();
    assert_eq!(s.class_review(w.class).await.unwrap(), Some(review.clone()));
    // Reviewing again cannot insert a second version 1, and stores nothing at all.
    assert_conflict(
        s.review_class(
            &review,
            &[reviewed(&w, 0, 3)],
            &audit::stamp(&w, 1_780_000_000),
        )
        .await,
    );
    // A reviewed, unsigned document can be rebuilt, against the digest it replaces.
    let mut rebuilt = reviewed(&w, 1, 2);
    rebuilt.xml = "<HocBa n=\"2\" lan=\"2\"/>".to_owned();
    rebuilt.sha256 = sha('e');
    rebuilt.replaces_sha256 = Some(sha('f'));
    assert_conflict(
        s.review_class(
            &review,
            std::slice::from_ref(&rebuilt),
            &audit::stamp(&w, 1_780_000_000),
        )
        .await,
    );
    rebuilt.replaces_sha256 = Some(sha('a'));
    s.review_class(
        &review,
        std::slice::from_ref(&rebuilt),
        &audit::stamp(&w, 1_780_000_000),
    )
    .await
    .unwrap();
    let r = s.record(&w.students[1].code, &record_id(2)).await.unwrap();
    assert_eq!(
        (r.state, r.sha256.as_deref()),
        (Reviewed, Some(sha('e').as_str()))
    );
    assert_eq!(r.xml.as_deref(), Some("<HocBa n=\"2\" lan=\"2\"/>"));
    let current = s.current_records_of_class(w.class).await.unwrap();
    assert_eq!(current.len(), 2);
    assert!(
        current
            .iter()
            .all(|r| r.state == Reviewed && r.signatures == 0)
    );
    assert!(s.locked_students(w.class).await.unwrap().is_empty());

    // Wrong state or wrong count: conflict, nothing changes.
    assert_conflict(
        s.add_signature(
            &signature(&w, 0, 1, Signing, 0, Signing, "GVCN"),
            &audit::stamp(&w, 1_780_000_000),
        )
        .await,
    );
    assert_conflict(
        s.add_signature(
            &signature(&w, 0, 1, Reviewed, 1, Signing, "GVCN"),
            &audit::stamp(&w, 1_780_000_000),
        )
        .await,
    );
    assert_invalid(
        s.add_signature(
            &signature(&w, 0, 1, Draft, 0, Signing, "GVCN"),
            &audit::stamp(&w, 1_780_000_000),
        )
        .await,
    );
    s.add_signature(
        &signature(&w, 0, 1, Reviewed, 0, Signing, "GVCN"),
        &audit::stamp(&w, 1_780_000_000),
    )
    .await
    .unwrap();
    assert_conflict(
        s.add_signature(
            &signature(&w, 0, 1, Reviewed, 0, Signing, "GVCN"),
            &audit::stamp(&w, 1_780_000_000),
        )
        .await,
    );
    s.add_signature(
        &signature(&w, 0, 1, Signing, 1, Signing, "HT"),
        &audit::stamp(&w, 1_780_000_000),
    )
    .await
    .unwrap();
    s.add_signature(
        &signature(&w, 0, 1, Signing, 2, Signed, "DAU"),
        &audit::stamp(&w, 1_780_000_000),
    )
    .await
    .unwrap();
    let r = s.record(&w.students[0].code, &record_id(1)).await.unwrap();
    assert_eq!((r.state, r.signatures, r.version), (Signed, 3, 1));
    assert_eq!(r.xml.as_deref(), Some("<HocBa n=\"1\" sigs=\"3\"/>"));
    assert_eq!(r.sha256, Some(sha('d')));
    assert_eq!(
        r.signers
            .iter()
            .map(|e| e.role.as_str())
            .collect::<Vec<_>>(),
        ["GVCN", "HT", "DAU"]
    );
    assert_eq!(r.signers[1].name, "Người ký HT");
    assert_eq!(
        s.locked_students(w.class).await.unwrap(),
        vec![w.students[0].code.clone()]
    );
    assert_not_found(s.record(&w.students[0].code, &record_id(9)).await);
}

async fn records_unlock_makes_a_new_draft_version(db: TestDb) {
    use store::RecordState::*;
    let s = &db.store;
    let w = World::new(s, 1).await;
    let review = store::ClassReview {
        class: w.class,
        reviewed_by: w.teacher,
        reviewed_at: "2026-05-29T10:00:00Z".to_owned(),
    };
    s.review_class(
        &review,
        &[reviewed(&w, 0, 1)],
        &audit::stamp(&w, 1_780_000_000),
    )
    .await
    .unwrap();
    let code = w.students[0].code.clone();
    let unlock = |sha256: String| unlock_v1(&w, &code, sha256);
    // Not locked yet.
    assert_conflict(
        s.unlock_record(&unlock(sha('a')), &audit::stamp(&w, 1_780_000_000))
            .await,
    );
    s.add_signature(
        &signature(&w, 0, 1, Reviewed, 0, Signing, "GVCN"),
        &audit::stamp(&w, 1_780_000_000),
    )
    .await
    .unwrap();
    // Stale digest; empty reason.
    assert_conflict(
        s.unlock_record(&unlock(sha('a')), &audit::stamp(&w, 1_780_000_000))
            .await,
    );
    let mut blank = unlock(sha('b'));
    blank.reason = "  ".to_owned();
    assert_invalid(
        s.unlock_record(&blank, &audit::stamp(&w, 1_780_000_000))
            .await,
    );
    let draft = s
        .unlock_record(&unlock(sha('b')), &audit::stamp(&w, 1_780_000_000))
        .await
        .unwrap();
    assert_eq!((draft.state, draft.version), (Draft, 2));
    assert_eq!(draft.supersedes, Some((record_id(1), sha('b'))));
    assert_eq!(
        draft.unlock_reason.as_deref(),
        Some("Sửa điểm Toán học kì II")
    );
    assert_eq!(draft.unlocked_by, Some(w.teacher));
    assert_eq!(draft.xml, None);
    // The old version is kept as it was; the student is editable again.
    let old = s.record(&code, &record_id(1)).await.unwrap();
    assert_eq!((old.state, old.signatures), (Signing, 1));
    assert!(s.locked_students(w.class).await.unwrap().is_empty());
    // Unlocking the old version twice: a newer version exists.
    let mut again = unlock(sha('b'));
    again.new_id = record_id(3);
    assert_conflict(
        s.unlock_record(&again, &audit::stamp(&w, 1_780_000_000))
            .await,
    );
    // The draft is reviewed again as version 2.
    let mut v2 = reviewed(&w, 0, 2);
    v2.version = 2;
    s.review_class(
        &review,
        std::slice::from_ref(&v2),
        &audit::stamp(&w, 1_780_000_000),
    )
    .await
    .unwrap();
    assert_conflict(
        s.review_class(&review, &[v2], &audit::stamp(&w, 1_780_000_000))
            .await,
    );
    let versions = s.records_of_student(&code).await.unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|r| (r.version, r.state))
            .collect::<Vec<_>>(),
        vec![(1, Signing), (2, Reviewed)]
    );
    let current = s.current_records_of_class(w.class).await.unwrap();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].version, 2);

    // Every transition is in the audit log, in the same transactions, chain intact.
    let trail = s.audit_of_student(w.school, &code).await.unwrap();
    let actions: Vec<&str> = trail.iter().rev().map(|e| e.action.code()).collect();
    assert_eq!(
        actions,
        [
            "record.review",
            "record.sign",
            "record.unlock",
            "record.review"
        ]
    );
    let unlock_entry = trail
        .iter()
        .find(|e| e.action.code() == "record.unlock")
        .unwrap();
    assert_eq!(
        unlock_entry.reason.as_deref(),
        Some("Sửa điểm Toán học kì II")
    );
    assert!(s.verify_audit_chain().await.unwrap().is_ok());
}

async fn racing_signers_on_one_record_exactly_one_wins(db: TestDb) {
    use store::RecordState::*;
    let s = &db.store;
    let w = World::new(s, 1).await;
    let review = store::ClassReview {
        class: w.class,
        reviewed_by: w.teacher,
        reviewed_at: "2026-05-29T10:00:00Z".to_owned(),
    };
    s.review_class(
        &review,
        &[reviewed(&w, 0, 1)],
        &audit::stamp(&w, 1_780_000_000),
    )
    .await
    .unwrap();
    s.add_signature(
        &signature(&w, 0, 1, Reviewed, 0, Signing, "GVCN"),
        &audit::stamp(&w, 1_780_000_000),
    )
    .await
    .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = s.clone();
        let sig = signature(&w, 0, 1, Signing, 1, Signing, "HT");
        let stamp = audit::stamp(&w, 1_780_000_000);
        tasks.push(tokio::spawn(async move {
            store.add_signature(&sig, &stamp).await
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => won += 1,
            Err(Error::Conflict { .. }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(won, 1);
    let r = s.record(&w.students[0].code, &record_id(1)).await.unwrap();
    assert_eq!(r.signatures, 2);
}

// ---------------------------------------------------------------------------------------
// Outbox towards the registry (migration 0006): queued by the seal, claimed, settled.

/// Reviews and signs record `n` of student `i` up to the seal (GVCN, HT, DAU).
async fn sealed(s: &Store, w: &World, i: usize, n: u8) {
    use store::RecordState::*;
    let review = store::ClassReview {
        class: w.class,
        reviewed_by: w.teacher,
        reviewed_at: "2026-05-29T10:00:00Z".to_owned(),
    };
    s.review_class(
        &review,
        &[reviewed(w, i, n)],
        &audit::stamp(w, 1_780_000_000),
    )
    .await
    .unwrap();
    for (before, to, role) in [(0, Signing, "GVCN"), (1, Signing, "HT"), (2, Signed, "DAU")] {
        let from = if before == 0 { Reviewed } else { Signing };
        s.add_signature(
            &signature(w, i, n, from, before, to, role),
            &audit::stamp(w, 1_780_000_000),
        )
        .await
        .unwrap();
    }
}

const T0: i64 = 1_780_000_000;

async fn outbox_seal_enqueues_in_the_same_transaction_once_per_digest(db: TestDb) {
    use store::RecordState::*;
    let s = &db.store;
    let w = World::new(s, 2).await;
    let review = store::ClassReview {
        class: w.class,
        reviewed_by: w.teacher,
        reviewed_at: "2026-05-29T10:00:00Z".to_owned(),
    };
    s.review_class(&review, &[reviewed(&w, 0, 1)], &audit::stamp(&w, T0))
        .await
        .unwrap();
    // Signatures before the seal queue nothing.
    for (before, role) in [(0, "GVCN"), (1, "HT")] {
        let from = if before == 0 { Reviewed } else { Signing };
        s.add_signature(
            &signature(&w, 0, 1, from, before, Signing, role),
            &audit::stamp(&w, T0),
        )
        .await
        .unwrap();
    }
    assert!(s.outbox_of_school(w.school).await.unwrap().is_empty());
    // A seal that loses its compare-and-set queues nothing either.
    assert_conflict(
        s.add_signature(
            &signature(&w, 0, 1, Signing, 1, Signed, "DAU"),
            &audit::stamp(&w, T0),
        )
        .await,
    );
    assert!(s.outbox_of_school(w.school).await.unwrap().is_empty());
    s.add_signature(
        &signature(&w, 0, 1, Signing, 2, Signed, "DAU"),
        &audit::stamp(&w, T0),
    )
    .await
    .unwrap();
    let queued = s.outbox_of_school(w.school).await.unwrap();
    assert_eq!(queued.len(), 1);
    let e = &queued[0];
    assert_eq!(e.student, w.students[0].code);
    assert_eq!(e.digest, sha('d'));
    assert_eq!(e.record_id, record_id(1));
    assert_eq!(e.class, w.class);
    assert_eq!(
        (e.state, e.attempts, e.next_attempt_at),
        (store::OutboxState::Pending, 0, 0)
    );
    assert_eq!(e.created_at, "2026-05-30T08:00:00Z");
    assert_eq!(
        s.outbox_entry(&w.students[0].code, &sha('d'))
            .await
            .unwrap(),
        e.clone()
    );
    // The key is (student, digest): the same bytes cannot be queued twice for a student.
    let duplicate = format!(
        "INSERT INTO outbox (student_code, digest, record_id, class_id, state, created_at, \
         updated_at) VALUES ('{}', '{}', '{}', {}, 'pending', 'x', 'x')",
        w.students[0].code,
        sha('d'),
        record_id(1),
        w.class.0
    );
    assert!(s.execute_raw_for_tests(&duplicate).await.is_err());
    // Another student's record gets its own entry (even with equal test digests).
    sealed(s, &w, 1, 2).await;
    assert_eq!(s.outbox_of_school(w.school).await.unwrap().len(), 2);
    assert_eq!(
        s.outbox_of_student(&w.students[1].code)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(s.outbox_next_due().await.unwrap(), Some(0));
}

async fn outbox_claims_are_exclusive_and_expired_claims_are_taken_again(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 1).await;
    assert_eq!(s.outbox_next_due().await.unwrap(), None);
    sealed(s, &w, 0, 1).await;
    let code = &w.students[0].code;
    let a = s.claim_outbox("server-a", T0, 60, 10).await.unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].xml, "<HocBa n=\"1\" sigs=\"3\"/>");
    let e = &a[0].entry;
    assert_eq!((e.state, e.attempts), (store::OutboxState::Sent, 1));
    assert_eq!(
        (e.claimed_by.as_deref(), e.claimed_until),
        (Some("server-a"), Some(T0 + 60))
    );
    // While the claim holds nobody else gets it.
    assert!(
        s.claim_outbox("server-b", T0 + 59, 60, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.outbox_next_due().await.unwrap(), Some(T0 + 60));
    // Server A died: after the lease, B takes it again (attempt 2), and A can no longer
    // settle it.
    let b = s.claim_outbox("server-b", T0 + 60, 60, 10).await.unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].entry.attempts, 2);
    assert_conflict(
        s.outbox_accepted(code, &sha('d'), "server-a", "{}", T0 + 61)
            .await,
    );
    assert_conflict(
        s.outbox_retry(code, &sha('d'), "server-a", "x", T0 + 100, T0 + 61)
            .await,
    );
    let reject = store::OutboxReject {
        code: "x".into(),
        message: "x".into(),
        detail: String::new(),
    };
    assert_conflict(
        s.outbox_rejected(code, &sha('d'), "server-a", &reject, T0 + 61)
            .await,
    );
    let e = s.outbox_entry(code, &sha('d')).await.unwrap();
    assert_eq!(
        (e.state, e.claimed_by.as_deref()),
        (store::OutboxState::Sent, Some("server-b"))
    );
}

async fn outbox_racing_senders_claim_each_entry_once(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 4).await;
    for i in 0..4 {
        sealed(s, &w, i, i as u8 + 1).await;
    }
    let mut tasks = Vec::new();
    for n in 0..6 {
        let store = s.clone();
        tasks.push(tokio::spawn(async move {
            store
                .claim_outbox(&format!("server-{n}"), T0, 60, 10)
                .await
                .unwrap()
        }));
    }
    let mut claimed = Vec::new();
    for t in tasks {
        claimed.extend(t.await.unwrap().into_iter().map(|c| c.entry.student));
    }
    claimed.sort();
    let mut expected: Vec<_> = w.students.iter().map(|s| s.code.clone()).collect();
    expected.sort();
    assert_eq!(claimed, expected);
    for e in s.outbox_of_school(w.school).await.unwrap() {
        assert_eq!(e.attempts, 1);
    }
}

async fn outbox_retry_waits_for_its_scheduled_time(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 1).await;
    sealed(s, &w, 0, 1).await;
    let code = &w.students[0].code;
    assert_eq!(s.claim_outbox("a", T0, 60, 10).await.unwrap().len(), 1);
    s.outbox_retry(code, &sha('d'), "a", "HTTP 503", T0 + 5, T0)
        .await
        .unwrap();
    let e = s.outbox_entry(code, &sha('d')).await.unwrap();
    assert_eq!(
        (
            e.state,
            e.attempts,
            e.next_attempt_at,
            e.last_error.as_deref()
        ),
        (store::OutboxState::Pending, 1, T0 + 5, Some("HTTP 503"))
    );
    assert_eq!((e.claimed_by, e.claimed_until), (None, None));
    assert_eq!(s.outbox_next_due().await.unwrap(), Some(T0 + 5));
    assert!(
        s.claim_outbox("a", T0 + 4, 60, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = s.claim_outbox("a", T0 + 5, 60, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].entry.attempts, 2);
    // Settling an entry that is not claimed by anyone is a conflict.
    s.outbox_retry(code, &sha('d'), "a", "HTTP 503", T0 + 15, T0 + 5)
        .await
        .unwrap();
    assert_conflict(
        s.outbox_retry(code, &sha('d'), "a", "again", T0 + 15, T0 + 5)
            .await,
    );
}

async fn outbox_accept_stores_the_receipt_and_syncs_the_record(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 1).await;
    sealed(s, &w, 0, 1).await;
    let code = &w.students[0].code;
    s.claim_outbox("a", T0, 60, 10).await.unwrap();
    let receipt = r#"{"key":"ab","receipt":{"digest":"dd"},"signature":"x"}"#;
    s.outbox_accepted(code, &sha('d'), "a", receipt, T0 + 1)
        .await
        .unwrap();
    let e = s.outbox_entry(code, &sha('d')).await.unwrap();
    assert_eq!(e.state, store::OutboxState::Accepted);
    assert_eq!(e.receipt.as_deref(), Some(receipt));
    assert_eq!((e.claimed_by, e.claimed_until, e.attempts), (None, None, 1));
    let r = s.record(code, &record_id(1)).await.unwrap();
    assert_eq!(r.state, store::RecordState::Synced);
    assert_eq!(r.sha256, Some(sha('d')));
    // In the registry now: "Mở khóa" is refused inside the store, only the replacement
    // after an approved revocation supersedes it.
    let mut unlock = unlock_v1(&w, code, sha('d'));
    let before = s.audit_of_student(w.school, code).await.unwrap().len();
    assert_conflict(s.unlock_record(&unlock, &audit::stamp(&w, T0 + 2)).await);
    assert_eq!(
        s.audit_of_student(w.school, code).await.unwrap().len(),
        before
    );
    assert_eq!(
        s.record(code, &record_id(1)).await.unwrap().state,
        store::RecordState::Synced
    );
    // The move to `synced` is in the audit log, by the sender, chained with the rest.
    let log = s.audit_of_student(w.school, code).await.unwrap();
    let last = log.iter().max_by_key(|e| e.seq).unwrap();
    assert_eq!(last.action, store::AuditAction::RecordSync);
    assert_eq!(
        (last.actor_username.as_str(), last.school),
        (store::SYNC_ACTOR_USERNAME, w.school)
    );
    assert_eq!(
        last.new.as_deref(),
        Some(format!("{} synced {}", record_id(1), sha('d')).as_str())
    );
    assert!(s.verify_audit_chain().await.unwrap().is_ok());
    // Settled once: not claimable, not acceptable again.
    assert!(
        s.claim_outbox("a", T0 + 1000, 60, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_conflict(
        s.outbox_accepted(code, &sha('d'), "a", receipt, T0 + 2)
            .await,
    );
    assert_eq!(s.outbox_next_due().await.unwrap(), None);
    // The database keeps the receipt and the accepted state together.
    assert!(
        s.execute_raw_for_tests("UPDATE outbox SET receipt = NULL")
            .await
            .is_err()
    );
    // The replacement after an approved revocation may supersede the synced version.
    unlock.replaces_revoked = true;
    let draft = s
        .unlock_record(&unlock, &audit::stamp(&w, T0 + 3))
        .await
        .unwrap();
    assert_eq!((draft.version, draft.state), (2, store::RecordState::Draft));
}

async fn outbox_reject_keeps_the_reason_and_resend_requeues_it(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 1).await;
    sealed(s, &w, 0, 1).await;
    let code = &w.students[0].code;
    assert_conflict(
        s.outbox_resend(code, &sha('d'), &audit::stamp(&w, T0))
            .await,
    );
    assert_not_found(
        s.outbox_resend(code, &sha('e'), &audit::stamp(&w, T0))
            .await,
    );
    s.claim_outbox("a", T0, 60, 10).await.unwrap();
    let reject = store::OutboxReject {
        code: "seal_not_approved".into(),
        message: "Chứng thư số dấu của trường chưa được phê duyệt.".into(),
        detail: "seal certificate 3f…".into(),
    };
    s.outbox_rejected(code, &sha('d'), "a", &reject, T0 + 1)
        .await
        .unwrap();
    let e = s.outbox_entry(code, &sha('d')).await.unwrap();
    assert_eq!(e.state, store::OutboxState::Rejected);
    assert_eq!(e.reject_code.as_deref(), Some("seal_not_approved"));
    assert_eq!(e.reject_message.as_deref(), Some(reject.message.as_str()));
    assert_eq!(e.reject_detail.as_deref(), Some("seal certificate 3f…"));
    // Not retried automatically.
    assert!(
        s.claim_outbox("a", T0 + 100_000, 60, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.record(code, &record_id(1)).await.unwrap().state,
        store::RecordState::Signed
    );
    let e = s
        .outbox_resend(code, &sha('d'), &audit::stamp(&w, T0 + 200))
        .await
        .unwrap();
    assert_eq!(
        (e.state, e.resent, e.next_attempt_at),
        (store::OutboxState::Pending, 1, 0)
    );
    assert_eq!(e.reject_code, None);
    assert!(e.last_error.unwrap().contains("chưa được phê duyệt"));
    let log = s.audit_of_student(w.school, code).await.unwrap();
    let last = log.iter().max_by_key(|e| e.seq).unwrap();
    assert_eq!(last.action, store::AuditAction::RecordResend);
    assert_eq!(last.old.as_deref(), Some("seal_not_approved"));
    assert_conflict(
        s.outbox_resend(code, &sha('d'), &audit::stamp(&w, T0 + 201))
            .await,
    );
    assert_eq!(
        s.claim_outbox("a", T0 + 300, 60, 10).await.unwrap().len(),
        1
    );
}

// ---------------------------------------------------------------------------------------
// TT27 sheets (primary): audited, all-or-nothing saves.

async fn tt27_trail(
    s: &Store,
    w: &World,
    i: usize,
) -> Vec<(String, String, Option<String>, Option<String>)> {
    s.audit_of_student(w.school, &w.students[i].code)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action.code().to_owned(), e.field, e.old, e.new))
        .collect()
}

async fn tt27_subject_sheet_saves_audited_all_or_nothing(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 3).await;
    let stamp = audit::stamp(&w, 1_780_000_000);
    let toan = subject("TOAN");
    let row = |i: usize, level, test, comment: &str| store::Tt27SheetRow {
        student: w.students[i].code.clone(),
        level,
        test_score: test,
        comment: comment.to_owned(),
    };
    let first = [
        row(1, Some(Tt27Level::Completed), Some(7), ""),
        row(0, Some(Tt27Level::Excellent), Some(9), "Tiến bộ rõ rệt"),
    ];
    s.save_tt27_subject_sheet_audited(w.class, &toan, Tt27Period::EndFirst, &first, &stamp)
        .await
        .unwrap();
    // Roll order; other periods untouched.
    assert_eq!(
        s.tt27_subject_sheet(w.class, &toan, Tt27Period::EndFirst)
            .await
            .unwrap(),
        vec![first[1].clone(), first[0].clone()]
    );
    assert!(
        s.tt27_subject_sheet(w.class, &toan, Tt27Period::YearEnd)
            .await
            .unwrap()
            .is_empty()
    );
    let trail = tt27_trail(s, &w, 0).await;
    assert_eq!(trail.len(), 3, "{trail:?}");
    assert!(trail.contains(&(
        "tt27.test.set".to_owned(),
        "TOAN/CK1/kt".to_owned(),
        None,
        Some("9".to_owned())
    )));
    // Saved unchanged: nothing logged. One cell changed: one entry.
    s.save_tt27_subject_sheet_audited(w.class, &toan, Tt27Period::EndFirst, &first, &stamp)
        .await
        .unwrap();
    assert_eq!(tt27_trail(s, &w, 0).await.len(), 3);
    let second = [row(
        0,
        Some(Tt27Level::Excellent),
        Some(10),
        "Tiến bộ rõ rệt",
    )];
    s.save_tt27_subject_sheet_audited(w.class, &toan, Tt27Period::EndFirst, &second, &stamp)
        .await
        .unwrap();
    let trail = tt27_trail(s, &w, 0).await;
    assert_eq!(trail.len(), 4);
    assert_eq!(
        trail[0],
        (
            "tt27.test.set".to_owned(),
            "TOAN/CK1/kt".to_owned(),
            Some("9".to_owned()),
            Some("10".to_owned())
        )
    );
    let stored = s
        .tt27_subject_sheet(w.class, &toan, Tt27Period::EndFirst)
        .await
        .unwrap();
    // A test outside 1-10, or a student outside the class: nothing changes, nothing logged.
    let head = s.verify_audit_chain().await.unwrap().unwrap();
    for bad in [0u8, 11] {
        assert_invalid(
            s.save_tt27_subject_sheet_audited(
                w.class,
                &toan,
                Tt27Period::EndFirst,
                &[row(2, None, None, ""), row(1, None, Some(bad), "")],
                &stamp,
            )
            .await,
        );
    }
    let outsider = StudentBuilder::new().insert(s).await;
    let mut with_outsider = vec![row(1, Some(Tt27Level::NotCompleted), None, "x")];
    with_outsider.push(store::Tt27SheetRow {
        student: outsider.code.clone(),
        level: Some(Tt27Level::Completed),
        test_score: None,
        comment: String::new(),
    });
    assert_not_found(
        s.save_tt27_subject_sheet_audited(
            w.class,
            &toan,
            Tt27Period::EndFirst,
            &with_outsider,
            &stamp,
        )
        .await,
    );
    assert_not_found(
        s.save_tt27_subject_sheet_audited(
            store::ClassId(w.class.0 + 1000),
            &toan,
            Tt27Period::EndFirst,
            &[],
            &stamp,
        )
        .await,
    );
    assert_eq!(
        s.tt27_subject_sheet(w.class, &toan, Tt27Period::EndFirst)
            .await
            .unwrap(),
        stored
    );
    assert_eq!(s.verify_audit_chain().await.unwrap().unwrap(), head);
    // An empty line removes the row (and logs the cleared cells).
    s.save_tt27_subject_sheet_audited(
        w.class,
        &toan,
        Tt27Period::EndFirst,
        &[row(1, None, None, "")],
        &stamp,
    )
    .await
    .unwrap();
    assert_eq!(
        s.tt27_subject_sheet(w.class, &toan, Tt27Period::EndFirst)
            .await
            .unwrap(),
        vec![second[0].clone()]
    );
    assert_eq!(tt27_trail(s, &w, 1).await.len(), 4);
    assert!(s.verify_audit_chain().await.unwrap().is_ok());
}

async fn tt27_ratings_and_tieu_bieu_save_audited_all_or_nothing(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 2).await;
    let stamp = audit::stamp(&w, 1_780_000_000);
    let rows = [store::Tt27RatingsRow {
        student: w.students[0].code.clone(),
        ratings: vec![
            (QualityItem::Patriotism, Some(QualityRating::Good)),
            (QualityItem::SelfLearning, Some(QualityRating::Pass)),
            (QualityItem::Numeracy, None),
        ],
        outstanding: Some("Tiến bộ vượt bậc".to_owned()),
        absences: None,
    }];
    s.save_tt27_ratings_audited(w.class, Tt27Period::YearEnd, &rows, &stamp)
        .await
        .unwrap();
    let sheet = s
        .tt27_rating_sheet(w.class, Tt27Period::YearEnd)
        .await
        .unwrap();
    let got = &sheet[&w.students[0].code];
    assert_eq!(got.outstanding.as_deref(), Some("Tiến bộ vượt bậc"));
    assert_eq!(got.ratings.len(), 2);
    assert!(
        s.tt27_rating_sheet(w.class, Tt27Period::EndFirst)
            .await
            .unwrap()
            .get(&w.students[0].code)
            .is_none_or(|r| r.ratings.is_empty())
    );
    let inputs = s
        .year_inputs(&EnrolmentKey {
            student: w.students[0].code.clone(),
            class: w.class,
        })
        .await
        .unwrap();
    assert_eq!(inputs.tt27_qualities.len(), 2);
    assert_eq!(inputs.outstanding.as_deref(), Some("Tiến bộ vượt bậc"));
    assert_eq!(tt27_trail(s, &w, 0).await.len(), 3);
    // Unchanged: nothing logged.
    s.save_tt27_ratings_audited(w.class, Tt27Period::YearEnd, &rows, &stamp)
        .await
        .unwrap();
    assert_eq!(tt27_trail(s, &w, 0).await.len(), 3);
    // A student outside the class rolls the whole save back.
    let outsider = StudentBuilder::new().insert(s).await;
    let head = s.verify_audit_chain().await.unwrap().unwrap();
    let change = [
        store::Tt27RatingsRow {
            student: w.students[0].code.clone(),
            ratings: vec![(QualityItem::Patriotism, Some(QualityRating::NeedsEffort))],
            outstanding: None,
            absences: Some(Absences {
                excused_days: 2,
                unexcused_days: 0,
            }),
        },
        store::Tt27RatingsRow {
            student: outsider.code.clone(),
            ratings: vec![(QualityItem::Patriotism, Some(QualityRating::Good))],
            outstanding: None,
            absences: None,
        },
    ];
    assert_not_found(
        s.save_tt27_ratings_audited(w.class, Tt27Period::YearEnd, &change, &stamp)
            .await,
    );
    assert_eq!(
        s.tt27_rating_sheet(w.class, Tt27Period::YearEnd)
            .await
            .unwrap(),
        sheet
    );
    assert_eq!(s.verify_audit_chain().await.unwrap().unwrap(), head);
    // Removing the flag, lowering a rating, absences: four entries.
    s.save_tt27_ratings_audited(w.class, Tt27Period::YearEnd, &change[..1], &stamp)
        .await
        .unwrap();
    let trail = tt27_trail(s, &w, 0).await;
    assert_eq!(trail.len(), 7, "{trail:?}");
    assert!(trail.contains(&(
        "absences.set".to_owned(),
        "np".to_owned(),
        None,
        Some("2".to_owned())
    )));
    let inputs = s
        .year_inputs(&EnrolmentKey {
            student: w.students[0].code.clone(),
            class: w.class,
        })
        .await
        .unwrap();
    assert_eq!(inputs.absences.map(|a| a.total()), Some(2));
    assert!(trail.contains(&(
        "tt27.outstanding.set".to_owned(),
        "tieu_bieu".to_owned(),
        Some("Tiến bộ vượt bậc".to_owned()),
        None
    )));
    assert!(s.verify_audit_chain().await.unwrap().is_ok());
}

async fn outbox_never_sends_a_version_unlocked_before_it_was_sent(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 1).await;
    sealed(s, &w, 0, 1).await;
    let code = &w.students[0].code;
    s.unlock_record(&unlock_v1(&w, code, sha('d')), &audit::stamp(&w, T0))
        .await
        .unwrap();
    assert!(s.claim_outbox("a", T0, 60, 10).await.unwrap().is_empty());
    assert_eq!(s.outbox_next_due().await.unwrap(), None);
    let e = s.outbox_entry(code, &sha('d')).await.unwrap();
    assert_eq!((e.state, e.attempts), (store::OutboxState::Pending, 0));
}
