//! `hocba record export` of a primary (TT27) pupil of the demo: the record carries all
//! four checkpoints, validates against the XSD and recomputes.

use crate::support::{assert_xsd_valid, hocba};

#[test]
fn exported_primary_record_validates_and_recomputes_tt27() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("demo.sqlite").display());
    assert!(hocba(&["demo", "seed", "--db", &db]).status.success());

    let data = demo::generate(demo::DEFAULT_SEED);
    let primary = data
        .schools
        .iter()
        .find(|s| s.level == domain::Level::Primary)
        .unwrap();
    let student = primary.classes[0].students[0].code.to_string();
    let out = dir.path().join("primary.xml");
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
    assert!(xml.contains("<PhienBanQuyTac>TT27-2020/v1</PhienBanQuyTac>"));
    for period in ["GiuaHocKy1", "CuoiHocKy1", "GiuaHocKy2", "CuoiNam"] {
        assert!(xml.contains(&format!("<{period}>")), "{period} missing");
    }
    let check = hocba(&["record", "check", out.to_str().unwrap()]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    assert_xsd_valid(&out);
}

/// Every demo primary class can be reviewed ("Xác nhận tổng hợp"): nothing is missing for
/// any pupil, including the subjects assigned to teachers, and every record builds.
#[test]
fn every_demo_primary_class_is_complete_for_review() {
    use store::{EnrolmentKey, Store};

    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("demo.sqlite").display());
    assert!(hocba(&["demo", "seed", "--db", &db]).status.success());
    let data = demo::generate(demo::DEFAULT_SEED);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = Store::open(&db).await.unwrap();
        let mut checked = 0;
        for school in data
            .schools
            .iter()
            .filter(|s| s.level == domain::Level::Primary)
        {
            let stored = store.school_by_code(&school.code).await.unwrap().unwrap();
            for class in store.classes_of_school(stored.id, data.year).await.unwrap() {
                let assigned: Vec<_> = store
                    .assignments_of_class(class.id)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|a| a.subject)
                    .collect();
                for m in store.class_members(class.id).await.unwrap() {
                    let inputs = store
                        .year_inputs(&EnrolmentKey {
                            student: m.student.code.clone(),
                            class: class.id,
                        })
                        .await
                        .unwrap();
                    let gaps = school::primary::primary_gaps(&inputs, &assigned);
                    assert!(gaps.is_empty(), "{}: {gaps:?}", m.student.full_name);
                    let record = school::records::build_record(
                        &inputs,
                        &stored,
                        "Giáo viên chủ nhiệm",
                        domain::Level::Primary,
                        "2026-05-30".parse().unwrap(),
                        std::num::NonZeroU32::MIN,
                        None,
                    )
                    .unwrap();
                    assert_eq!(record::recompute_check(&record), Ok(()));
                    checked += 1;
                }
            }
        }
        assert!(checked > 50, "checked {checked}");
    });
}
