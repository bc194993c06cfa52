//! A locked record's inputs cannot change: every audited save checks, in its own
//! transaction, that no value of a student whose current record is `signing`, `signed`
//! or `synced` changes, and refuses with `Error::Locked` (nothing written, nothing
//! logged). A signature that locks a record and a save racing with it cannot both win.

use store::{
    AuditAction, ConductRating, EnrolmentKey, Error, HomeroomRow, RecordState, RetakeResult,
    RetrainedConduct, ScoreSheetRow, Semester, SheetMarks, Store, SummerRetake, Tt27Level,
    Tt27Period, Tt27SheetRow, ValueEdit,
};

use super::support::*;
use super::{audit, record_id, reviewed, sha, signature};

contract!(
    saves_that_change_a_locked_record_are_refused_and_change_nothing,
    an_unlocked_new_version_accepts_the_save,
    a_signature_and_a_save_racing_cannot_both_win,
    a_first_signature_is_refused_after_an_input_change_it_did_not_see,
);

const T0: i64 = 1_780_000_000;

/// Reviews record `n` of student `i` and signs it as GVCN: the record is `signing`.
async fn lock(s: &Store, w: &World, i: usize, n: u8) {
    let review = store::ClassReview {
        class: w.class,
        reviewed_by: w.teacher,
        reviewed_at: "2026-05-29T10:00:00Z".to_owned(),
    };
    s.review_class(&review, &[reviewed(w, i, n)], &audit::stamp(w, T0))
        .await
        .unwrap();
    s.add_signature(
        &signature(
            w,
            i,
            n,
            RecordState::Reviewed,
            0,
            RecordState::Signing,
            "GVCN",
        ),
        &audit::stamp(w, T0),
    )
    .await
    .unwrap();
}

fn toan_row(w: &World, i: usize, final_exam: &str) -> ScoreSheetRow {
    ScoreSheetRow {
        student: w.students[i].code.clone(),
        regular: ["8", "7"].map(score).to_vec(),
        midterm: Some(score("8")),
        final_exam: Some(score(final_exam)),
    }
}

async fn save_toan(s: &Store, w: &World, rows: &[ScoreSheetRow]) -> Result<(), Error> {
    s.save_subject_sheet_audited(
        w.class,
        &subject("TOAN"),
        Semester::First,
        SheetMarks::Scores(rows),
        &[],
        &audit::stamp(w, T0 + 60),
    )
    .await
}

fn assert_locked<T: std::fmt::Debug>(r: Result<T, Error>, w: &World, i: usize) {
    match r {
        Err(Error::Locked { student }) => assert_eq!(student, w.students[i].code),
        other => panic!("expected Locked for student {i}, got {other:?}"),
    }
}

async fn log_len(s: &Store) -> i64 {
    s.verify_audit_chain().await.unwrap().unwrap().entries
}

async fn saves_that_change_a_locked_record_are_refused_and_change_nothing(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 2).await;
    save_toan(s, &w, &[toan_row(&w, 0, "9"), toan_row(&w, 1, "9")])
        .await
        .unwrap();
    let k0 = w.key(0);
    s.save_homeroom_rows_audited(
        w.class,
        &[HomeroomRow {
            student: k0.student.clone(),
            conduct: [ValueEdit::Set(ConductRating::Good); 2],
            absences: None,
        }],
        &audit::stamp(&w, T0),
    )
    .await
    .unwrap();
    lock(s, &w, 0, 1).await;
    let before = s.year_inputs(&k0).await.unwrap();
    let entries = log_len(s).await;

    // The score sheet: changing the locked student's row is refused, whole.
    assert_locked(
        save_toan(s, &w, &[toan_row(&w, 0, "3"), toan_row(&w, 1, "5")]).await,
        &w,
        0,
    );
    // Dropping the locked student's row from the sheet is a change too.
    assert_locked(save_toan(s, &w, &[toan_row(&w, 1, "5")]).await, &w, 0);
    // Conduct set or cleared, absences.
    for conduct in [
        [ValueEdit::Set(ConductRating::Fair), ValueEdit::Keep],
        [ValueEdit::Keep, ValueEdit::Clear],
    ] {
        assert_locked(
            s.save_homeroom_rows_audited(
                w.class,
                &[HomeroomRow {
                    student: k0.student.clone(),
                    conduct,
                    absences: None,
                }],
                &audit::stamp(&w, T0 + 60),
            )
            .await,
            &w,
            0,
        );
    }
    assert_locked(
        s.save_homeroom_rows_audited(
            w.class,
            &[HomeroomRow {
                student: k0.student.clone(),
                conduct: [ValueEdit::Keep; 2],
                absences: Some(store::Absences {
                    excused_days: 2,
                    unexcused_days: 0,
                }),
            }],
            &audit::stamp(&w, T0 + 60),
        )
        .await,
        &w,
        0,
    );
    // Summer results, TT27 sheets.
    assert_locked(
        s.save_summer_results_audited(
            &k0,
            &[SummerRetake {
                subject: subject("TOAN"),
                result: RetakeResult::Score(score("6")),
                assessed_on: date("2026-07-20"),
            }],
            Some(RetrainedConduct {
                rating: ConductRating::Pass,
                assessed_on: date("2026-07-20"),
            }),
            &audit::stamp(&w, T0 + 60),
        )
        .await,
        &w,
        0,
    );
    assert_locked(
        s.save_tt27_subject_sheet_audited(
            w.class,
            &subject("TOAN"),
            Tt27Period::YearEnd,
            &[Tt27SheetRow {
                student: k0.student.clone(),
                level: Some(Tt27Level::Completed),
                test_score: Some(7),
                comment: String::new(),
            }],
            &audit::stamp(&w, T0 + 60),
        )
        .await,
        &w,
        0,
    );
    assert_locked(
        s.save_tt27_ratings_audited(
            w.class,
            Tt27Period::YearEnd,
            &[store::Tt27RatingsRow {
                student: k0.student.clone(),
                ratings: Vec::new(),
                outstanding: Some("Tiêu biểu".to_owned()),
                absences: None,
            }],
            &audit::stamp(&w, T0 + 60),
        )
        .await,
        &w,
        0,
    );
    assert_eq!(s.year_inputs(&k0).await.unwrap(), before);
    assert_eq!(log_len(s).await, entries);
    let other = s.year_inputs(&w.key(1)).await.unwrap();
    assert_eq!(other.scores[0].final_exam, Some(score("9")));

    // The locked row given unchanged, another student changed: saved.
    save_toan(s, &w, &[toan_row(&w, 0, "9"), toan_row(&w, 1, "5")])
        .await
        .unwrap();
    assert_eq!(s.year_inputs(&k0).await.unwrap(), before);
    let other = s.year_inputs(&w.key(1)).await.unwrap();
    assert_eq!(other.scores[0].final_exam, Some(score("5")));
    assert_eq!(log_len(s).await, entries + 1);
    // Conduct saved unchanged on the locked student: nothing to refuse, nothing logged.
    s.save_homeroom_rows_audited(
        w.class,
        &[HomeroomRow {
            student: k0.student.clone(),
            conduct: [ValueEdit::Set(ConductRating::Good); 2],
            absences: None,
        }],
        &audit::stamp(&w, T0 + 60),
    )
    .await
    .unwrap();
    assert_eq!(log_len(s).await, entries + 1);
}

async fn an_unlocked_new_version_accepts_the_save(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 1).await;
    save_toan(s, &w, &[toan_row(&w, 0, "9")]).await.unwrap();
    lock(s, &w, 0, 1).await;
    assert_locked(save_toan(s, &w, &[toan_row(&w, 0, "4")]).await, &w, 0);
    // The pages' read-only marking and the saves' refusal agree on what is locked.
    assert_eq!(
        s.locked_students(w.class).await.unwrap(),
        vec![w.students[0].code.clone()]
    );
    s.unlock_record(
        &store::Unlock {
            student: w.students[0].code.clone(),
            id: record_id(1),
            sha256: sha('b'),
            new_id: record_id(2),
            reason: "Nhập kết quả kiểm tra lại".to_owned(),
            by: w.teacher,
            at: "2026-07-01T09:00:00Z".to_owned(),
            replaces_revoked: false,
        },
        &audit::stamp(&w, T0 + 30),
    )
    .await
    .unwrap();
    assert!(s.locked_students(w.class).await.unwrap().is_empty());
    save_toan(s, &w, &[toan_row(&w, 0, "4")]).await.unwrap();
    let k0 = w.key(0);
    s.save_summer_results_audited(
        &k0,
        &[SummerRetake {
            subject: subject("TOAN"),
            result: RetakeResult::Score(score("6.5")),
            assessed_on: date("2026-07-20"),
        }],
        None,
        &audit::stamp(&w, T0 + 90),
    )
    .await
    .unwrap();
    let i = s.year_inputs(&k0).await.unwrap();
    assert_eq!(i.scores[0].final_exam, Some(score("4")));
    assert_eq!(i.summer_retakes.len(), 1);
    let logged = s.audit_of_student(w.school, &k0.student).await.unwrap();
    let summer = logged
        .iter()
        .find(|e| e.field == "TOAN/he/ktl")
        .expect("the retake is logged");
    assert_eq!(summer.action, AuditAction::ScoreSet);
    assert_eq!(summer.old, None);
    assert_eq!(summer.new.as_deref(), Some("6.5 2026-07-20"));
}

/// Each student's record is `reviewed`; for each, one task signs it as GVCN (the move
/// into a locked state) while another changes the student's Toán score. Whatever the
/// interleaving, the signature wins (a save never blocks it) and the save either lands
/// entirely before it — its log entry precedes the signature's, the log being appended
/// in each write's own transaction — or is refused and changes nothing.
async fn a_signature_and_a_save_racing_cannot_both_win(db: TestDb) {
    const N: usize = 6;
    let s = &db.store;
    let w = World::new(s, N).await;
    let rows: Vec<ScoreSheetRow> = (0..N).map(|i| toan_row(&w, i, "9")).collect();
    save_toan(s, &w, &rows).await.unwrap();
    let review = store::ClassReview {
        class: w.class,
        reviewed_by: w.teacher,
        reviewed_at: "2026-05-29T10:00:00Z".to_owned(),
    };
    let records: Vec<_> = (0..N).map(|i| reviewed(&w, i, i as u8 + 1)).collect();
    s.review_class(&review, &records, &audit::stamp(&w, T0))
        .await
        .unwrap();
    let (mut saved, mut refused) = (0, 0);
    // The sheet as stored, so each race changes exactly one student.
    let mut current = rows.clone();
    for i in 0..N {
        let sig = signature(
            &w,
            i,
            i as u8 + 1,
            RecordState::Reviewed,
            0,
            RecordState::Signing,
            "GVCN",
        );
        let (store_a, store_b) = (s.clone(), s.clone());
        let (stamp_a, stamp_b) = (audit::stamp(&w, T0 + 10), audit::stamp(&w, T0 + 20));
        let key = w.key(i);
        let changed = {
            let mut r = current.clone();
            r[i].final_exam = Some(score("2"));
            r
        };
        let class = w.class;
        let sign = tokio::spawn(async move { store_a.add_signature(&sig, &stamp_a).await });
        let save = tokio::spawn(async move {
            store_b
                .save_subject_sheet_audited(
                    class,
                    &subject("TOAN"),
                    Semester::First,
                    SheetMarks::Scores(&changed),
                    &[],
                    &stamp_b,
                )
                .await
        });
        let (signed, save) = (sign.await.unwrap(), save.await.unwrap());
        signed.expect("a save never makes the signature fail");
        let log = s.audit_of_student(w.school, &key.student).await.unwrap();
        let sign_seq = log
            .iter()
            .find(|e| e.action == AuditAction::RecordSign)
            .map(|e| e.seq)
            .expect("the signature is logged");
        let score_changes: Vec<i64> = log
            .iter()
            .filter(|e| e.action == AuditAction::ScoreSet && e.new.as_deref() == Some("2.0"))
            .map(|e| e.seq)
            .collect();
        let stored = s.year_inputs(&key).await.unwrap().scores[0].final_exam;
        match save {
            Ok(()) => {
                saved += 1;
                current[i].final_exam = Some(score("2"));
                assert_eq!(stored, Some(score("2")));
                assert_eq!(score_changes.len(), 1);
                assert!(
                    score_changes[0] < sign_seq,
                    "the save committed after the record was locked"
                );
            }
            Err(Error::Locked { student }) => {
                refused += 1;
                assert_eq!(student, key.student);
                assert_eq!(stored, Some(score("9")));
                assert!(score_changes.is_empty());
            }
            Err(e) => panic!("unexpected {e:?}"),
        }
        // Whichever won, the next race starts from what is stored.
        let sheet = s
            .score_sheet(w.class, &subject("TOAN"), Semester::First)
            .await
            .unwrap();
        assert_eq!(sheet, current);
    }
    assert_eq!(saved + refused, N);
    // Every record is locked now: a further change is refused for the first of them.
    let mut changed = current.clone();
    changed[0].final_exam = Some(score("1"));
    assert_locked(save_toan(s, &w, &changed).await, &w, 0);
    let key: EnrolmentKey = w.key(0);
    assert_ne!(
        s.year_inputs(&key).await.unwrap().scores[0].final_exam,
        Some(score("1"))
    );
}

/// The GVCN signature carries the last input change its signer checked against
/// (`inputs_as_of`): a score saved after that point refuses the signature and nothing
/// changes; read again after the save, the signature goes through.
async fn a_first_signature_is_refused_after_an_input_change_it_did_not_see(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 1).await;
    let review = store::ClassReview {
        class: w.class,
        reviewed_by: w.teacher,
        reviewed_at: "2026-05-29T10:00:00Z".to_owned(),
    };
    s.review_class(&review, &[reviewed(&w, 0, 1)], &audit::stamp(&w, T0))
        .await
        .unwrap();
    let code = &w.students[0].code;
    let seen = s.last_input_change(code, w.class).await.unwrap();
    save_toan(s, &w, &[toan_row(&w, 0, "9")]).await.unwrap();
    let later = s.last_input_change(code, w.class).await.unwrap();
    assert!(
        later > seen,
        "the save is an input change ({seen} → {later})"
    );
    let mut gvcn = signature(
        &w,
        0,
        1,
        RecordState::Reviewed,
        0,
        RecordState::Signing,
        "GVCN",
    );
    gvcn.inputs_as_of = Some(seen);
    let before = log_len(s).await;
    match s.add_signature(&gvcn, &audit::stamp(&w, T0 + 120)).await {
        Err(Error::Conflict { .. }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(log_len(s).await, before, "nothing logged");
    let r = s.record(code, &record_id(1)).await.unwrap();
    assert_eq!((r.state, r.signatures), (RecordState::Reviewed, 0));
    // Checked against the inputs as they are now, it goes through.
    gvcn.inputs_as_of = Some(later);
    s.add_signature(&gvcn, &audit::stamp(&w, T0 + 180))
        .await
        .unwrap();
    let r = s.record(code, &record_id(1)).await.unwrap();
    assert_eq!((r.state, r.signatures), (RecordState::Signing, 1));
}
