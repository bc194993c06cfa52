//! The audit log's contract (migration 0004), on both backends like the rest of the
//! suite: appending keeps a gap-free chain under concurrent writers, audited writes log
//! exactly the cells that change, triggers refuse edits, and verification names the
//! first entry an attacker with database access altered, removed, inserted or reordered.

use domain::StudentCode;
use store::{
    Absences, Actor, AuditAction, AuditChange, AuditStamp, AuditTime, Backend, BreakReason,
    ConductRating, GENESIS_HASH, Role, ScoreSheetRow, Semester, SheetMarks, Store, SummaryRow,
    TeacherId,
};

use super::support::*;

contract!(
    audit_entries_chain_and_verify,
    audit_log_refuses_update_and_delete,
    audit_tampering_is_found_at_the_right_entry,
    concurrent_appends_keep_a_gap_free_chain,
    audited_sheet_save_logs_only_changed_cells,
    audited_summary_and_password_change_are_logged,
);

pub(crate) fn stamp(w: &World, at: i64) -> AuditStamp {
    AuditStamp {
        actor: Actor {
            teacher: w.teacher,
            username: "gvcn.6a".to_owned(),
            full_name: "Trần Văn Bình".to_owned(),
            school: w.school,
        },
        at: AuditTime::from_unix(at),
        reason: None,
    }
}

fn change(student: Option<&StudentCode>, field: &str, old: Option<&str>, new: &str) -> AuditChange {
    AuditChange {
        student: student.cloned(),
        class: None,
        action: AuditAction::ScoreSet,
        field: field.to_owned(),
        old: old.map(str::to_owned),
        new: Some(new.to_owned()),
    }
}

async fn verified(s: &Store) -> store::AuditCheck {
    match s.verify_audit_chain().await.unwrap() {
        Ok(check) => check,
        Err(b) => panic!("chain should be intact: {b}"),
    }
}

async fn broken(s: &Store) -> store::AuditBreak {
    match s.verify_audit_chain().await.unwrap() {
        Ok(check) => panic!("chain should be broken, verified {check:?}"),
        Err(b) => b,
    }
}

async fn audit_entries_chain_and_verify(db: TestDb) {
    let s = &db.store;
    let empty = verified(s).await;
    assert_eq!((empty.entries, empty.last_hash.as_str()), (0, GENESIS_HASH));

    let w = World::new(s, 2).await;
    let st = stamp(&w, 1_764_097_344);
    let (a, b) = (&w.students[0].code, &w.students[1].code);
    s.append_audit(&st, &[]).await.unwrap();
    assert_eq!(
        verified(s).await.entries,
        0,
        "nothing is written for no changes"
    );
    s.append_audit(
        &st,
        &[
            change(Some(a), "TOAN/HK1/tx1", None, "8.0"),
            change(Some(b), "TOAN/HK1/tx1", None, "7.5"),
        ],
    )
    .await
    .unwrap();
    s.append_audit(&st, &[change(Some(a), "TOAN/HK1/tx1", Some("8.0"), "9.0")])
        .await
        .unwrap();
    let check = verified(s).await;
    assert_eq!(check.entries, 3);

    // Newest first, only this student, only this school.
    let history = s.audit_of_student(w.school, a).await.unwrap();
    assert_eq!(
        history.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![3, 1]
    );
    assert_eq!(history[0].hash, check.last_hash);
    assert_eq!(history[0].at.as_str(), "2025-11-25T19:02:24Z");
    assert_eq!(history[0].actor, w.teacher);
    assert_eq!(history[0].actor_name, "Trần Văn Bình");
    assert_eq!(history[0].old.as_deref(), Some("8.0"));
    assert_eq!(history[1].prev_hash, GENESIS_HASH);
    let other_school = SchoolBuilder::new().insert(s).await;
    assert!(
        s.audit_of_student(other_school, a)
            .await
            .unwrap()
            .is_empty()
    );
    let latest = s.audit_latest(2).await.unwrap();
    assert_eq!(latest.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![3, 2]);
    // Every entry links to the one before it.
    let all = s.audit_latest(10).await.unwrap();
    for pair in all.windows(2) {
        assert_eq!(pair[0].prev_hash, pair[1].hash);
    }
}

async fn audit_log_refuses_update_and_delete(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 1).await;
    let a = &w.students[0].code;
    s.append_audit(
        &stamp(&w, 1),
        &[change(Some(a), "TOAN/HK1/gk", None, "8.0")],
    )
    .await
    .unwrap();
    for sql in [
        "UPDATE audit_log SET new_value = '10.0' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
        "DELETE FROM audit_log",
        "DELETE FROM audit_head",
        "UPDATE audit_head SET seq = 0",
    ] {
        assert!(
            s.execute_raw_for_tests(sql).await.is_err(),
            "{sql} succeeded"
        );
    }
    if s.backend() == Backend::Postgres {
        assert!(s.execute_raw_for_tests("TRUNCATE audit_log").await.is_err());
    }
    assert_eq!(verified(s).await.entries, 1);
    assert_eq!(
        s.audit_latest(1).await.unwrap()[0].new.as_deref(),
        Some("8.0")
    );
}

/// What an attacker with the table owner's rights does first.
async fn drop_triggers(s: &Store) {
    let statements: &[&str] = match s.backend() {
        Backend::Sqlite => &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
        ],
        Backend::Postgres => &["DROP TRIGGER audit_log_no_update_delete ON audit_log"],
    };
    for sql in statements {
        s.execute_raw_for_tests(sql).await.unwrap();
    }
}

async fn raw(s: &Store, sql: &str) {
    s.execute_raw_for_tests(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
}

async fn audit_tampering_is_found_at_the_right_entry(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 1).await;
    let a = &w.students[0].code;
    for i in 1..=5 {
        s.append_audit(
            &stamp(&w, 1_764_000_000 + i),
            &[change(Some(a), &format!("TOAN/HK1/tx{i}"), None, "8.0")],
        )
        .await
        .unwrap();
    }
    let intact = verified(s).await;
    assert_eq!(intact.entries, 5);
    drop_triggers(s).await;
    raw(s, "CREATE TABLE audit_copy AS SELECT * FROM audit_log").await;
    let restore = || async {
        raw(s, "DELETE FROM audit_log").await;
        raw(s, "INSERT INTO audit_log SELECT * FROM audit_copy").await;
        assert_eq!(verified(s).await, intact);
    };

    // A value changed: entry 3 no longer hashes to its hash.
    raw(s, "UPDATE audit_log SET new_value = '10.0' WHERE seq = 3").await;
    let b = broken(s).await;
    assert_eq!(b.seq, 3, "{b}");
    assert!(matches!(b.reason, BreakReason::Hash { .. }), "{b}");
    restore().await;

    // The actor changed, every other field kept.
    raw(
        s,
        "UPDATE audit_log SET actor_name = 'Người khác' WHERE seq = 2",
    )
    .await;
    assert_eq!(broken(s).await.seq, 2);
    restore().await;

    // A row deleted in the middle.
    raw(s, "DELETE FROM audit_log WHERE seq = 2").await;
    let b = broken(s).await;
    assert_eq!(b.seq, 2, "{b}");
    assert!(matches!(b.reason, BreakReason::Missing { found: 3 }), "{b}");
    restore().await;

    // A row deleted and the later ones renumbered to hide the gap.
    raw(s, "DELETE FROM audit_log WHERE seq = 2").await;
    for n in 3..=5 {
        raw(
            s,
            &format!("UPDATE audit_log SET seq = {} WHERE seq = {n}", n - 1),
        )
        .await;
    }
    let b = broken(s).await;
    assert_eq!(b.seq, 2, "{b}");
    assert!(matches!(b.reason, BreakReason::PrevHash { .. }), "{b}");
    restore().await;

    // The last row deleted: the chain is fine, the head is not.
    raw(s, "DELETE FROM audit_log WHERE seq = 5").await;
    let b = broken(s).await;
    assert_eq!(b.seq, 5, "{b}");
    assert!(
        matches!(b.reason, BreakReason::Truncated { last: 4, head: 5 }),
        "{b}"
    );
    restore().await;

    // Two entries swapped.
    raw(s, "UPDATE audit_log SET seq = 1003 WHERE seq = 3").await;
    raw(s, "UPDATE audit_log SET seq = 3 WHERE seq = 4").await;
    raw(s, "UPDATE audit_log SET seq = 4 WHERE seq = 1003").await;
    let b = broken(s).await;
    assert_eq!(b.seq, 3, "{b}");
    assert!(matches!(b.reason, BreakReason::PrevHash { .. }), "{b}");
    restore().await;

    // An entry inserted in the middle (a copy of entry 1 as the new 4).
    raw(s, "UPDATE audit_log SET seq = 6 WHERE seq = 5").await;
    raw(s, "UPDATE audit_log SET seq = 5 WHERE seq = 4").await;
    raw(
        s,
        "INSERT INTO audit_log SELECT 4, at, actor_id, actor_username, actor_name, school_id, \
         student_code, class_id, action, field, old_value, new_value, reason, prev_hash, hash \
         FROM audit_copy WHERE seq = 1",
    )
    .await;
    let b = broken(s).await;
    assert_eq!(b.seq, 4, "{b}");
    restore().await;

    // An entry appended after the head, and one appended with the head moved too.
    raw(
        s,
        "INSERT INTO audit_log SELECT 6, at, actor_id, actor_username, actor_name, school_id, \
         student_code, class_id, action, field, old_value, new_value, reason, prev_hash, hash \
         FROM audit_copy WHERE seq = 5",
    )
    .await;
    let b = broken(s).await;
    assert_eq!(b.seq, 6, "{b}");
    raw(s, "DELETE FROM audit_log WHERE seq = 6").await;
    assert_eq!(verified(s).await, intact);
}

async fn concurrent_appends_keep_a_gap_free_chain(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 8).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = s.clone();
        let st = stamp(&w, 1_764_000_000 + i as i64);
        let student = w.students[i].code.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..6 {
                store
                    .append_audit(
                        &st,
                        &[
                            change(Some(&student), &format!("TOAN/HK1/tx{n}"), None, "5.0"),
                            change(Some(&student), &format!("TOAN/HK2/tx{n}"), None, "6.0"),
                        ],
                    )
                    .await?;
            }
            Ok::<_, store::Error>(())
        }));
    }
    // Audited writes of school data race with them.
    let st = stamp(&w, 1_764_000_100);
    let sheet_store = s.clone();
    let (class, rows) = (
        w.class,
        w.students
            .iter()
            .map(|x| ScoreSheetRow {
                student: x.code.clone(),
                regular: vec![score("7")],
                midterm: None,
                final_exam: None,
            })
            .collect::<Vec<_>>(),
    );
    tasks.push(tokio::spawn(async move {
        sheet_store
            .save_subject_sheet_audited(
                class,
                &subject("NGU_VAN"),
                Semester::First,
                SheetMarks::Scores(&rows),
                &[],
                &st,
            )
            .await
    }));
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let check = verified(s).await;
    assert_eq!(check.entries, 8 * 6 * 2 + 8);
    let all = s.audit_latest(1000).await.unwrap();
    let seqs: Vec<i64> = all.iter().rev().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=check.entries).collect::<Vec<_>>());
}

async fn audited_sheet_save_logs_only_changed_cells(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 2).await;
    let (a, b) = (w.students[0].code.clone(), w.students[1].code.clone());
    let toan = subject("TOAN");
    let row = |student: &StudentCode, regular: &[&str], midterm: Option<&str>| ScoreSheetRow {
        student: student.clone(),
        regular: regular.iter().map(|x| score(x)).collect(),
        midterm: midterm.map(score),
        final_exam: None,
    };
    let save = |rows: Vec<ScoreSheetRow>, comments: Vec<(StudentCode, String)>, at: i64| {
        let st = stamp(&w, at);
        let toan = toan.clone();
        async move {
            s.save_subject_sheet_audited(
                w.class,
                &toan,
                Semester::First,
                SheetMarks::Scores(&rows),
                &comments,
                &st,
            )
            .await
            .unwrap();
        }
    };
    save(
        vec![row(&a, &["8", "9"], Some("7")), row(&b, &["6"], None)],
        vec![(a.clone(), "Chăm chỉ".to_owned())],
        1,
    )
    .await;
    let first = s.audit_of_student(w.school, &a).await.unwrap();
    let mut expected_a = vec![
        cell(
            AuditAction::CommentSet,
            "TOAN/HK1/nx",
            None,
            Some("Chăm chỉ"),
        ),
        cell(AuditAction::ScoreSet, "TOAN/HK1/gk", None, Some("7.0")),
        cell(AuditAction::ScoreSet, "TOAN/HK1/tx2", None, Some("9.0")),
        cell(AuditAction::ScoreSet, "TOAN/HK1/tx1", None, Some("8.0")),
    ];
    assert_eq!(cells(&first), expected_a);
    assert!(first.iter().all(|e| e.class == Some(w.class)));

    // The same sheet again: nothing changes, nothing is logged.
    let before = verified(s).await;
    save(
        vec![row(&a, &["8", "9"], Some("7")), row(&b, &["6"], None)],
        vec![(a.clone(), "Chăm chỉ".to_owned())],
        2,
    )
    .await;
    assert_eq!(verified(s).await, before);

    // One cell changed, one cleared, b's row dropped from the sheet.
    save(vec![row(&a, &["8", "9.5"], None)], vec![], 3).await;
    let now = s.audit_of_student(w.school, &a).await.unwrap();
    let mut expected = vec![
        cell(AuditAction::ScoreSet, "TOAN/HK1/gk", Some("7.0"), None),
        cell(
            AuditAction::ScoreSet,
            "TOAN/HK1/tx2",
            Some("9.0"),
            Some("9.5"),
        ),
    ];
    expected.append(&mut expected_a);
    assert_eq!(cells(&now), expected);
    assert_eq!(
        cells(&s.audit_of_student(w.school, &b).await.unwrap()),
        vec![
            cell(AuditAction::ScoreSet, "TOAN/HK1/tx1", Some("6.0"), None),
            cell(AuditAction::ScoreSet, "TOAN/HK1/tx1", None, Some("6.0")),
        ]
    );

    // Comment-only subjects log Đạt / Chưa đạt.
    let st = stamp(&w, 4);
    for passed in [true, true, false] {
        s.save_subject_sheet_audited(
            w.class,
            &subject("GDTC"),
            Semester::Second,
            SheetMarks::Results(&[(b.clone(), passed)]),
            &[],
            &st,
        )
        .await
        .unwrap();
    }
    let latest = s.audit_latest(2).await.unwrap();
    assert_eq!(
        cells(&latest),
        vec![
            cell(
                AuditAction::ResultSet,
                "GDTC/HK2/kq",
                Some("dat"),
                Some("chua_dat")
            ),
            cell(AuditAction::ResultSet, "GDTC/HK2/kq", None, Some("dat")),
        ]
    );

    // A failed save (student outside the class) writes no entry either.
    let outsider = StudentBuilder::new().insert(s).await;
    let before = verified(s).await;
    let r = s
        .save_subject_sheet_audited(
            w.class,
            &toan,
            Semester::First,
            SheetMarks::Scores(&[row(&a, &["1"], None)]),
            &[(outsider.code.clone(), "x".to_owned())],
            &stamp(&w, 5),
        )
        .await;
    assert!(matches!(r, Err(store::Error::NotFound { .. })), "{r:?}");
    assert_eq!(verified(s).await, before);
}

async fn audited_summary_and_password_change_are_logged(db: TestDb) {
    let s = &db.store;
    let w = World::new(s, 2).await;
    let a = w.students[0].code.clone();
    let st = stamp(&w, 10);
    let rows = [SummaryRow {
        student: a.clone(),
        conduct: [Some(ConductRating::Good), None],
        absences: Some(Absences {
            excused_days: 2,
            unexcused_days: 0,
        }),
    }];
    s.save_class_summary_audited(w.class, &rows, &st)
        .await
        .unwrap();
    s.save_class_summary_audited(w.class, &rows, &st)
        .await
        .unwrap();
    s.save_class_summary_audited(
        w.class,
        &[SummaryRow {
            student: a.clone(),
            conduct: [Some(ConductRating::Good), Some(ConductRating::Fair)],
            absences: Some(Absences {
                excused_days: 3,
                unexcused_days: 0,
            }),
        }],
        &st,
    )
    .await
    .unwrap();
    assert_eq!(
        cells(&s.audit_of_student(w.school, &a).await.unwrap()),
        vec![
            cell(AuditAction::AbsencesSet, "np", Some("2"), Some("3")),
            cell(AuditAction::ConductSet, "HK2/rl", None, Some("kha")),
            cell(AuditAction::AbsencesSet, "kp", None, Some("0")),
            cell(AuditAction::AbsencesSet, "np", None, Some("2")),
            cell(AuditAction::ConductSet, "HK1/rl", None, Some("tot")),
        ]
    );
    let inputs = s.year_inputs(&w.key(0)).await.unwrap();
    assert_eq!(
        inputs.conduct.iter().map(|c| c.rating).collect::<Vec<_>>(),
        vec![ConductRating::Good, ConductRating::Fair]
    );
    assert_eq!(inputs.absences.map(|x| x.excused_days), Some(3));
    // A student outside the class: nothing saved, nothing logged.
    let outsider = StudentBuilder::new().insert(s).await;
    let before = verified(s).await;
    let r = s
        .save_class_summary_audited(
            w.class,
            &[
                SummaryRow {
                    student: w.students[1].code.clone(),
                    conduct: [Some(ConductRating::Pass), None],
                    absences: None,
                },
                SummaryRow {
                    student: outsider.code.clone(),
                    conduct: [Some(ConductRating::Pass), None],
                    absences: None,
                },
            ],
            &st,
        )
        .await;
    assert!(matches!(r, Err(store::Error::NotFound { .. })), "{r:?}");
    assert_eq!(verified(s).await, before);
    assert!(s.year_inputs(&w.key(1)).await.unwrap().conduct.is_empty());

    // Password change: logged without any value.
    let admin = TeacherBuilder::new(w.school)
        .roles(&[Role::Admin])
        .insert(s)
        .await;
    s.set_password_hash_audited(admin, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", &st)
        .await
        .unwrap();
    let last = &s.audit_latest(1).await.unwrap()[0];
    assert_eq!(last.action, AuditAction::PasswordChange);
    assert_eq!((last.old.as_deref(), last.new.as_deref()), (None, None));
    assert_eq!(last.student, None);
    assert_eq!(
        s.teacher(admin).await.unwrap().password_hash.as_deref(),
        Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")
    );
    assert!(matches!(
        s.set_password_hash_audited(TeacherId(admin.0 + 999), "x", &st)
            .await,
        Err(store::Error::NotFound { .. })
    ));
    assert_eq!(verified(s).await.entries, before.entries + 1);
}
