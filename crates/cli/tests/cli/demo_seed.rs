//! `hocba demo seed` then `hocba demo report` on a fresh SQLite file: every outcome the
//! issue asks for is present, nothing is missing, and re-seeding is refused.

use crate::support::{assert_xsd_valid, change_first_value, hocba};

/// The count printed after `label` in the report section of `school`.
fn count(report: &str, school: &str, label: &str) -> u32 {
    let section = report
        .split_once(school)
        .unwrap_or_else(|| panic!("no section for {school} in:\n{report}"))
        .1;
    let line = section
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no line {label} for {school}"));
    line.split_whitespace()
        .last()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line:?}"))
}

#[test]
fn seeded_demo_shows_every_outcome_category() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("demo.sqlite").display());

    let seeded = hocba(&["demo", "seed", "--db", &db, "--seed", "2025"]);
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let out = String::from_utf8(seeded.stdout).unwrap();
    assert!(out.starts_with("seeded 4 schools"), "{out}");

    let report = hocba(&["demo", "report", "--db", &db]);
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let report = String::from_utf8(report.stdout).unwrap();

    for school in [
        "Trường THCS Lê Quý Đôn",
        "Trường THPT Chu Văn An",
        "Trung tâm GDNN-GDTX phường Chợ Quán",
    ] {
        for label in [
            "Học sinh Xuất sắc",
            "Học sinh Giỏi",
            "Lên lớp (không danh hiệu)",
            "Kiểm tra lại → lên lớp",
            "Rèn luyện hè → lên lớp",
            "Ở lại lớp",
            "Nghỉ quá 45 ngày",
            "Chưa có số định danh",
        ] {
            assert!(
                count(&report, school, label) > 0,
                "{school}: no {label}\n{report}"
            );
        }
        assert_eq!(count(&report, school, "Thiếu dữ liệu"), 0, "{report}");
    }
    let primary = "Trường Tiểu học Nguyễn Bỉnh Khiêm";
    for label in [
        "Học sinh Xuất sắc",
        "Học sinh Tiêu biểu",
        "Ở lại lớp",
        "Chưa có số định danh",
    ] {
        assert!(
            count(&report, primary, label) > 0,
            "{primary}: no {label}\n{report}"
        );
    }
    assert_eq!(count(&report, primary, "Thiếu dữ liệu"), 0, "{report}");

    // Seeding twice would duplicate schools: refused, exit 2, nothing written.
    let again = hocba(&["demo", "seed", "--db", &db]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds schools"));
}

#[test]
fn stored_inputs_evaluate_exactly_like_the_generated_ones() {
    use domain::{tt22, tt27, tt43};
    use store::{EnrolmentKey, Store};

    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("demo.sqlite").display());
    let seeded = hocba(&["demo", "seed", "--db", &db, "--seed", "11"]);
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );

    let data = demo::generate(11);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = Store::open(&db).await.unwrap();
        let mut checked = 0;
        for school in &data.schools {
            let stored = store.school_by_code(&school.code).await.unwrap().unwrap();
            let classes = store.classes_of_school(stored.id, data.year).await.unwrap();
            for class in &school.classes {
                let class_id = classes.iter().find(|c| c.name == class.name).unwrap().id;
                for s in &class.students {
                    let key = EnrolmentKey {
                        student: s.code.clone(),
                        class: class_id,
                    };
                    let inputs = store.year_inputs(&key).await.unwrap();
                    match &s.year {
                        demo::Year::Secondary(y) => {
                            let eval = |y: &tt22::StudentYear| match school.level {
                                domain::Level::Continuing => tt43::evaluate(y),
                                _ => tt22::evaluate(y),
                            };
                            let back = inputs.secondary_year().unwrap();
                            let (a, b) = (eval(y).unwrap(), eval(&back).unwrap());
                            // Subjects come back in code order; compare per code.
                            let mut sa = a.subjects.clone();
                            let mut sb = b.subjects.clone();
                            sa.sort_by(|x, y| x.code.cmp(&y.code));
                            sb.sort_by(|x, y| x.code.cmp(&y.code));
                            assert_eq!(sa, sb, "{}", s.full_name);
                            assert_eq!(a.learning, b.learning);
                            assert_eq!(a.conduct, b.conduct);
                            assert_eq!(a.blockers, b.blockers);
                            assert_eq!(a.title, b.title);
                            assert_eq!(a.learning_after_retake, b.learning_after_retake);
                            assert_eq!(a.conduct_after_training, b.conduct_after_training);
                        }
                        demo::Year::Primary(y) => {
                            let back = inputs.primary_year().unwrap();
                            assert_eq!(tt27::evaluate(y), tt27::evaluate(&back), "{}", s.full_name);
                        }
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 300, "checked {checked}");
    });
}

#[test]
fn exported_record_validates_and_recomputes() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("demo.sqlite").display());
    assert!(hocba(&["demo", "seed", "--db", &db]).status.success());

    // A THPT student of the demo: the generator is deterministic, so take its first one.
    let data = demo::generate(demo::DEFAULT_SEED);
    let thpt = data
        .schools
        .iter()
        .find(|s| s.level == domain::Level::UpperSecondary)
        .unwrap();
    let student = thpt.classes[0].students[0].code.to_string();
    let out = dir.path().join("record.xml");
    let export = hocba(&[
        "record",
        "export",
        "--db",
        &db,
        "--student",
        &student,
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );

    let xml = std::fs::read_to_string(&out).unwrap();
    assert!(xml.contains(&format!("<MaHocSinh>{student}</MaHocSinh>")));
    assert!(xml.contains("<PhienBanQuyTac>TT22-2021/v1</PhienBanQuyTac>"));
    let check = hocba(&["record", "check", out.to_str().unwrap()]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    assert_xsd_valid(&out);

    // A tampered average is caught by the recomputation.
    let tampered = change_first_value(&xml, "DiemTrungBinhCaNam", "1.0", "2.0");
    let bad = dir.path().join("bad.xml");
    std::fs::write(&bad, tampered).unwrap();
    let check = hocba(&["record", "check", bad.to_str().unwrap()]);
    assert_eq!(
        check.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    // An unknown student: exit 2 with a message, nothing written.
    let missing = dir.path().join("none.xml");
    let unknown = hocba(&[
        "record",
        "export",
        "--db",
        &db,
        "--student",
        "00000000000000000000",
        "-o",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(!missing.exists());
}
