//! `hocba audit verify` on a database changed through the store's audited writes: exit 0
//! with the count and head hash while the chain is intact, 1 naming the entry once a row
//! is edited behind the application's back, 2 when the database cannot be opened.

use std::process::{Command, Output};

use domain::{Date, Grade, Level, SchoolYear, Sex, StudentCode};
use store::{
    Absences, Actor, AuditStamp, AuditTime, ConductRating, NewClass, NewSchool, NewTeacher, Role,
    SchoolYearInfo, ScoreSheetRow, Semester, SheetMarks, Store, Student, SummaryRow,
};

fn hocba(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hocba"))
        .args(args)
        .output()
        .expect("hocba runs")
}

fn date(s: &str) -> Date {
    s.parse().expect("date")
}

/// A school, a class of two students and three audited saves; returns the entry count.
async fn seed(url: &str) -> i64 {
    let store = Store::open(url).await.expect("open");
    let year = SchoolYear::starting(2025).expect("year");
    store
        .insert_school_year(&SchoolYearInfo {
            year,
            starts_on: date("2025-09-05"),
            ends_on: date("2026-05-31"),
        })
        .await
        .expect("year");
    let school = store
        .insert_school(&NewSchool {
            code: "79000001".into(),
            name: "Trường THCS Lê Quý Đôn".into(),
            levels: vec![Level::LowerSecondary],
            department_code: "79".into(),
            authority_name: "UBND phường Bến Thành".into(),
            address: "12 Lê Lợi".into(),
        })
        .await
        .expect("school");
    let teacher = store
        .insert_teacher(&NewTeacher {
            school,
            full_name: "Trần Văn Bình".into(),
            username: "gvcn.6a1".into(),
            roles: vec![Role::Homeroom, Role::SubjectTeacher],
            password_hash: None,
        })
        .await
        .expect("teacher");
    let class = store
        .insert_class(&NewClass {
            school,
            year,
            grade: Grade::new(6).expect("grade"),
            name: "6A1".into(),
            homeroom_teacher: Some(teacher),
        })
        .await
        .expect("class");
    let mut students = Vec::new();
    for (n, name) in [(1u32, "Nguyễn Thị Ánh"), (2, "Lê Hoàng Chi")] {
        let code: StudentCode = format!("79{n:018}").parse().expect("code");
        store
            .insert_student(&Student {
                code: code.clone(),
                personal_id: None,
                full_name: name.into(),
                sex: Sex::Female,
                born_on: date("2014-03-14"),
                ethnicity: "Kinh".into(),
                nationality: "Việt Nam".into(),
                place_of_birth: "TP. Hồ Chí Minh".into(),
                residence: "TP. Hồ Chí Minh".into(),
            })
            .await
            .expect("student");
        store.enrol(&code, class, None).await.expect("enrol");
        students.push(code);
    }
    let stamp = AuditStamp {
        actor: Actor {
            teacher,
            username: "gvcn.6a1".into(),
            full_name: "Trần Văn Bình".into(),
            school,
        },
        at: AuditTime::from_unix(1_764_097_344),
        reason: None,
    };
    let score = |s: &str| s.parse().expect("score");
    let rows: Vec<ScoreSheetRow> = students
        .iter()
        .map(|s| ScoreSheetRow {
            student: s.clone(),
            regular: vec![score("8"), score("7,5")],
            midterm: Some(score("9")),
            final_exam: None,
        })
        .collect();
    let toan = "TOAN".parse().expect("subject");
    store
        .save_subject_sheet_audited(
            class,
            &toan,
            Semester::First,
            SheetMarks::Scores(&rows),
            &[(students[0].clone(), "Chăm chỉ".into())],
            &stamp,
        )
        .await
        .expect("sheet");
    store
        .save_class_summary_audited(
            class,
            &[SummaryRow {
                student: students[1].clone(),
                conduct: [Some(ConductRating::Good), None],
                absences: Some(Absences {
                    excused_days: 1,
                    unexcused_days: 0,
                }),
            }],
            &stamp,
        )
        .await
        .expect("summary");
    let entries = match store.verify_audit_chain().await.expect("verify") {
        Ok(check) => check.entries,
        Err(b) => panic!("{b}"),
    };
    store.close().await;
    entries
}

#[tokio::test]
async fn audit_verify_passes_an_intact_log_and_names_the_tampered_entry() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hocba.sqlite3");
    let url = format!("sqlite://{}", path.display());
    let entries = seed(&format!("{url}?mode=rwc")).await;
    // 2 students × (ĐĐGtx 1, ĐĐGtx 2, ĐĐGgk) + 1 comment + conduct + 2 absence fields.
    assert_eq!(entries, 10);

    let ok = hocba(&["audit", "verify", "--db", &url]);
    let out = String::from_utf8_lossy(&ok.stdout).into_owned();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{out}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(out.starts_with("OK: 10 entries, head "), "{out}");
    let head = out.trim().rsplit(' ').next().expect("head hash").to_owned();
    assert_eq!(head.len(), 64, "{out}");
    let expect = format!("10:{head}");
    let pinned = hocba(&["audit", "verify", "--db", &url, "--expect", &expect]);
    assert_eq!(pinned.status.code(), Some(0));

    let log = hocba(&["audit", "log", "--db", &url, "--limit", "3"]);
    let log = String::from_utf8_lossy(&log.stdout).into_owned();
    assert_eq!(log.lines().count(), 3, "{log}");
    assert!(
        log.lines().next().is_some_and(|l| l.starts_with("10\t")),
        "{log}"
    );

    // Someone with access to the file drops the trigger and edits entry 4.
    let store = Store::open(&url).await.expect("open");
    store
        .execute_raw_for_tests("DROP TRIGGER audit_log_no_update")
        .await
        .expect("drop trigger");
    store
        .execute_raw_for_tests("UPDATE audit_log SET new_value = '10.0' WHERE seq = 4")
        .await
        .expect("tamper");
    store.close().await;
    let broken = hocba(&["audit", "verify", "--db", &url]);
    let out = String::from_utf8_lossy(&broken.stdout).into_owned();
    assert_eq!(broken.status.code(), Some(1), "{out}");
    assert!(out.starts_with("BROKEN at entry 4:"), "{out}");

    // Usage and database errors are 2.
    let missing = format!("sqlite://{}", dir.path().join("none.sqlite3").display());
    assert_eq!(
        hocba(&["audit", "verify", "--db", &missing]).status.code(),
        Some(2)
    );
    assert_eq!(hocba(&["audit", "verify"]).status.code(), Some(2));
    assert_eq!(
        hocba(&["audit", "verify", "--db", &url, "--expect", "x"])
            .status
            .code(),
        Some(2)
    );
}
