//! `hocba rules eval` end to end: the built binary, JSON on stdin, exact JSON on stdout.
//!
//! Every expected number was computed by hand from the scores in the input (the working
//! is in the comments: ĐTBmhk = (ΣĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck) / (n + 5), ĐTBmcn =
//! (hk1 + 2·hk2) / 3, both rounded half up to one decimal) and cross-checked with an
//! independent exact-fraction script.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

/// Runs `hocba rules eval` with `input` on stdin: (exit code, stdout, stderr).
fn run(input: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hocba"))
        .args(["rules", "eval"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hocba starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.as_bytes())
        .expect("stdin accepts the input");
    let out = child.wait_with_output().expect("hocba finishes");
    (
        out.status.code().expect("hocba exits normally"),
        String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    )
}

/// Evaluates a valid input: exit 0, exactly one JSON object on one line.
fn eval_ok(input: &Value) -> Value {
    let (code, stdout, stderr) = run(&input.to_string());
    assert_eq!(code, 0, "stderr: {stderr}");
    assert_eq!(stdout.lines().count(), 1, "one line of output: {stdout}");
    let out: Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    assert!(out.is_object());
    out
}

/// Evaluates an invalid input: exit 2, nothing on stdout; returns stderr.
fn eval_err(input: &str) -> String {
    let (code, stdout, stderr) = run(input);
    assert_eq!(code, 2, "stdout: {stdout} stderr: {stderr}");
    assert!(stdout.is_empty(), "no output on error: {stdout}");
    stderr
}

/// A scored subject.
fn scored(code: &str, hk1: (&[f64], f64, f64), hk2: (&[f64], f64, f64)) -> Value {
    json!({"code": code, "assessment": "score",
           "hk1": {"tx": hk1.0, "gk": hk1.1, "ck": hk1.2},
           "hk2": {"tx": hk2.0, "gk": hk2.1, "ck": hk2.2}})
}

/// A subject with every score equal to `v`.
fn uniform(code: &str, n: usize, v: f64) -> Value {
    let tx = vec![v; n];
    scored(code, (&tx, v, v), (&tx, v, v))
}

fn comment(code: &str, hk1: &str, hk2: &str) -> Value {
    json!({"code": code, "assessment": "comment", "hk1": hk1, "hk2": hk2})
}

// --- TT22, THCS ------------------------------------------------------------------------

#[test]
fn tt22_art15_thcs_grade8_hoc_sinh_gioi() {
    let input = json!({
        "rule": "TT22", "grade": 8,
        "subjects": [
            // (8+7.5+9+8 + 14 + 25.5)/9 = 72/9 = 8.0; (9+8+8+7 + 16 + 27)/9 = 75/9 → 8.3; (8.0+16.6)/3 = 8.2
            scored("NGU_VAN", (&[8.0, 7.5, 9.0, 8.0], 7.0, 8.5), (&[9.0, 8.0, 8.0, 7.0], 8.0, 9.0)),
            // (36 + 17 + 27)/9 = 80/9 → 8.9; (37 + 18 + 28.5)/9 = 83.5/9 → 9.3; (8.9+18.6)/3 = 27.5/3 → 9.2
            scored("TOAN", (&[9.0, 9.0, 8.0, 10.0], 8.5, 9.0), (&[9.0, 10.0, 9.0, 9.0], 9.0, 9.5)),
            // (32 + 16 + 24)/9 = 8.0; (34 + 17 + 24)/9 = 75/9 → 8.3; 8.2
            scored("NGOAI_NGU_1", (&[7.0, 8.0, 8.0, 9.0], 8.0, 8.0), (&[8.0, 8.0, 9.0, 9.0], 8.5, 8.0)),
            // (17 + 16 + 25.5)/7 = 58.5/7 → 8.4; (18 + 16 + 27)/7 = 61/7 → 8.7; (8.4+17.4)/3 = 8.6
            scored("GDCD", (&[9.0, 8.0], 8.0, 8.5), (&[9.0, 9.0], 8.0, 9.0)),
            // (28.5 + 14 + 22.5)/9 = 65/9 → 7.2; (30 + 14 + 21)/9 = 65/9 → 7.2; 7.2
            scored("LICH_SU_DIA_LI", (&[7.0, 7.0, 8.0, 6.5], 7.0, 7.5), (&[7.0, 8.0, 7.0, 8.0], 7.0, 7.0)),
            // (32 + 16 + 24)/9 = 8.0; (33 + 17 + 25.5)/9 = 75.5/9 → 8.4; (8.0+16.8)/3 = 24.8/3 → 8.3
            scored("KHTN", (&[8.0, 8.0, 9.0, 7.0], 8.0, 8.0), (&[9.0, 8.0, 8.0, 8.0], 8.5, 8.5)),
            // 52 periods → 3 ĐĐGtx: (25 + 16 + 27)/8 = 8.5; (26 + 18 + 27)/8 = 71/8 → 8.9; (8.5+17.8)/3 = 26.3/3 → 8.8
            scored("CONG_NGHE", (&[8.0, 9.0, 8.0], 8.0, 9.0), (&[9.0, 9.0, 8.0], 9.0, 9.0)),
            // (19 + 18 + 28.5)/7 = 65.5/7 → 9.4; (19 + 19 + 27)/7 = 65/7 → 9.3; (9.4+18.6)/3 = 28/3 → 9.3
            scored("TIN_HOC", (&[10.0, 9.0], 9.0, 9.5), (&[9.0, 10.0], 9.5, 9.0)),
            comment("GDTC", "Chưa đạt", "Đạt"),
            comment("NGHE_THUAT", "Đạt", "Đạt"),
            comment("HDTN_HN", "Đạt", "Đạt"),
            comment("GDDP", "Đạt", "Đạt"),
        ],
        "conduct": {"hk1": "Tốt", "hk2": "Tốt"},
        "absent_days": 2
    });
    let expected = json!({
        "subjects": [
            {"code": "NGU_VAN", "hk1": "8.0", "hk2": "8.3", "year": "8.2"},
            {"code": "TOAN", "hk1": "8.9", "hk2": "9.3", "year": "9.2"},
            {"code": "NGOAI_NGU_1", "hk1": "8.0", "hk2": "8.3", "year": "8.2"},
            {"code": "GDCD", "hk1": "8.4", "hk2": "8.7", "year": "8.6"},
            {"code": "LICH_SU_DIA_LI", "hk1": "7.2", "hk2": "7.2", "year": "7.2"},
            {"code": "KHTN", "hk1": "8.0", "hk2": "8.4", "year": "8.3"},
            {"code": "CONG_NGHE", "hk1": "8.5", "hk2": "8.9", "year": "8.8"},
            {"code": "TIN_HOC", "hk1": "9.4", "hk2": "9.3", "year": "9.3"},
            {"code": "GDTC", "hk1": "Chưa đạt", "hk2": "Đạt", "year": "Đạt"},
            {"code": "NGHE_THUAT", "hk1": "Đạt", "hk2": "Đạt", "year": "Đạt"},
            {"code": "HDTN_HN", "hk1": "Đạt", "hk2": "Đạt", "year": "Đạt"},
            {"code": "GDDP", "hk1": "Đạt", "hk2": "Đạt", "year": "Đạt"},
        ],
        // Semester I: one comment subject Chưa đạt → at most Đạt.
        "learning": {"hk1": "Đạt", "hk2": "Tốt", "year": "Tốt"},
        "conduct": {"hk1": "Tốt", "hk2": "Tốt", "year": "Tốt"},
        "promoted": true,
        // Only TOAN and TIN_HOC reach 9.0: Giỏi, not Xuất sắc.
        "title": "Học sinh Giỏi",
        "rule_version": "TT22-2021/v1",
        "summer_training": false,
        "reassessment_subjects": [],
        "not_promoted_because": []
    });
    assert_eq!(eval_ok(&input), expected);
}

#[test]
fn tt22_art14_thcs_grade6_reassessment_and_retake() {
    let subjects = json!([
        // (22 + 10 + 16.5)/9 = 48.5/9 → 5.4; (22 + 11 + 15)/9 = 48/9 → 5.3; (5.4+10.6)/3 = 16/3 → 5.3
        scored(
            "NGU_VAN",
            (&[5.0, 6.0, 5.0, 6.0], 5.0, 5.5),
            (&[6.0, 5.0, 6.0, 5.0], 5.5, 5.0)
        ),
        // (16 + 7 + 12)/9 = 35/9 → 3.9; (16 + 8 + 13.5)/9 = 37.5/9 → 4.2; (3.9+8.4)/3 = 12.3/3 = 4.1
        scored(
            "TOAN",
            (&[4.0, 3.0, 5.0, 4.0], 3.5, 4.0),
            (&[5.0, 4.0, 4.0, 3.0], 4.0, 4.5)
        ),
        // (21 + 10 + 15)/9 = 46/9 → 5.1; (21 + 10 + 18)/9 = 49/9 → 5.4; (5.1+10.8)/3 = 15.9/3 = 5.3
        scored(
            "NGOAI_NGU_1",
            (&[5.0, 5.0, 6.0, 5.0], 5.0, 5.0),
            (&[6.0, 5.0, 5.0, 5.0], 5.0, 6.0)
        ),
        // (13 + 12 + 19.5)/7 = 44.5/7 → 6.4; (14 + 12 + 21)/7 = 47/7 → 6.7; (6.4+13.4)/3 = 19.8/3 = 6.6
        scored("GDCD", (&[7.0, 6.0], 6.0, 6.5), (&[7.0, 7.0], 6.0, 7.0)),
        // (21 + 10 + 15)/9 → 5.1; (22 + 11 + 15)/9 → 5.3; (5.1+10.6)/3 = 15.7/3 → 5.2
        scored(
            "LICH_SU_DIA_LI",
            (&[5.0, 6.0, 5.0, 5.0], 5.0, 5.0),
            (&[5.0, 5.0, 6.0, 6.0], 5.5, 5.0)
        ),
        // (17 + 8 + 13.5)/9 = 38.5/9 → 4.3; (18 + 9 + 12)/9 = 39/9 → 4.3; 4.3
        scored(
            "KHTN",
            (&[4.0, 5.0, 4.0, 4.0], 4.0, 4.5),
            (&[5.0, 4.0, 5.0, 4.0], 4.5, 4.0)
        ),
        // 35 periods in grade 6 → 2 ĐĐGtx: (13 + 12 + 18)/7 = 43/7 → 6.1; (13 + 12 + 21)/7 = 46/7 → 6.6; (6.1+13.2)/3 = 19.3/3 → 6.4
        scored(
            "CONG_NGHE",
            (&[6.0, 7.0], 6.0, 6.0),
            (&[7.0, 6.0], 6.0, 7.0)
        ),
        // (9 + 8 + 13.5)/7 = 30.5/7 → 4.4; (10 + 9 + 13.5)/7 = 32.5/7 → 4.6; (4.4+9.2)/3 = 13.6/3 → 4.5
        scored("TIN_HOC", (&[5.0, 4.0], 4.0, 4.5), (&[5.0, 5.0], 4.5, 4.5)),
        comment("GDTC", "Đạt", "Đạt"),
        comment("NGHE_THUAT", "Đạt", "Chưa đạt"),
        comment("HDTN_HN", "Đạt", "Đạt"),
        comment("GDDP", "Đạt", "Đạt"),
    ]);
    let year_end = json!({
        "rule": "TT22", "grade": 6, "subjects": subjects,
        "conduct": {"hk1": "Đạt", "hk2": "Đạt"}, "absent_days": 10
    });
    let expected_subjects = json!([
        {"code": "NGU_VAN", "hk1": "5.4", "hk2": "5.3", "year": "5.3"},
        {"code": "TOAN", "hk1": "3.9", "hk2": "4.2", "year": "4.1"},
        {"code": "NGOAI_NGU_1", "hk1": "5.1", "hk2": "5.4", "year": "5.3"},
        {"code": "GDCD", "hk1": "6.4", "hk2": "6.7", "year": "6.6"},
        {"code": "LICH_SU_DIA_LI", "hk1": "5.1", "hk2": "5.3", "year": "5.2"},
        {"code": "KHTN", "hk1": "4.3", "hk2": "4.3", "year": "4.3"},
        {"code": "CONG_NGHE", "hk1": "6.1", "hk2": "6.6", "year": "6.4"},
        {"code": "TIN_HOC", "hk1": "4.4", "hk2": "4.6", "year": "4.5"},
        {"code": "GDTC", "hk1": "Đạt", "hk2": "Đạt", "year": "Đạt"},
        {"code": "NGHE_THUAT", "hk1": "Đạt", "hk2": "Chưa đạt", "year": "Chưa đạt"},
        {"code": "HDTN_HN", "hk1": "Đạt", "hk2": "Đạt", "year": "Đạt"},
        {"code": "GDDP", "hk1": "Đạt", "hk2": "Đạt", "year": "Đạt"},
    ]);
    // Only five subjects reach 5.0 in each period → Chưa đạt; conduct Đạt → re-assessment.
    assert_eq!(
        eval_ok(&year_end),
        json!({
            "subjects": expected_subjects,
            "learning": {"hk1": "Chưa đạt", "hk2": "Chưa đạt", "year": "Chưa đạt"},
            "conduct": {"hk1": "Đạt", "hk2": "Đạt", "year": "Đạt"},
            "promoted": false,
            "title": null,
            "rule_version": "TT22-2021/v1",
            "summer_training": false,
            "reassessment_subjects": ["TOAN", "KHTN", "TIN_HOC", "NGHE_THUAT"],
            "not_promoted_because": ["learning"]
        })
    );

    // After the summer: retakes replace the year results for the recomputation; the year
    // results themselves stay. All subjects now ≥ 5.0 but only GDCD ≥ 6.5 → Đạt.
    let mut after = year_end.clone();
    after["retake"] = json!({"TOAN": "5.5", "KHTN": 5, "TIN_HOC": 6.0, "NGHE_THUAT": "Đạt"});
    let out = eval_ok(&after);
    assert_eq!(
        out["subjects"][1],
        json!({"code": "TOAN", "hk1": "3.9", "hk2": "4.2", "year": "4.1", "retake": "5.5"})
    );
    assert_eq!(out["subjects"][5]["retake"], "5.0");
    assert_eq!(out["subjects"][7]["retake"], "6.0");
    assert_eq!(out["subjects"][9]["retake"], "Đạt");
    assert_eq!(out["subjects"][0].get("retake"), None);
    assert_eq!(
        out["learning"],
        json!({"hk1": "Chưa đạt", "hk2": "Chưa đạt", "year": "Chưa đạt", "year_after_retake": "Đạt"})
    );
    assert_eq!(out["promoted"], true);
    assert_eq!(out["not_promoted_because"], json!([]));

    // A retake that stays below 5.0: still five subjects at 5.0 → not promoted.
    let mut failed = year_end.clone();
    failed["retake"] = json!({"TOAN": 4.9});
    let out = eval_ok(&failed);
    assert_eq!(out["learning"]["year_after_retake"], "Chưa đạt");
    assert_eq!(out["promoted"], false);
}

#[test]
fn tt22_art13_thcs_grade7_summer_training() {
    let input = json!({
        "rule": "TT22", "grade": 7,
        "subjects": [
            // (27 + 13 + 21)/9 = 61/9 → 6.8; (28 + 14 + 21)/9 = 7.0; (6.8+14)/3 = 20.8/3 → 6.9
            scored("NGU_VAN", (&[7.0, 7.0, 6.0, 7.0], 6.5, 7.0), (&[7.0, 7.0, 7.0, 7.0], 7.0, 7.0)),
            // (26 + 12 + 19.5)/9 = 57.5/9 → 6.4; (27 + 13 + 21)/9 = 61/9 → 6.8; (6.4+13.6)/3 = 20/3 → 6.7
            scored("TOAN", (&[6.0, 7.0, 6.0, 7.0], 6.0, 6.5), (&[7.0, 6.0, 7.0, 7.0], 6.5, 7.0)),
            // (26 + 12 + 18)/9 = 56/9 → 6.2; (26 + 13 + 19.5)/9 = 58.5/9 = 6.5; (6.2+13)/3 = 19.2/3 = 6.4
            scored("NGOAI_NGU_1", (&[6.0, 6.0, 7.0, 7.0], 6.0, 6.0), (&[7.0, 7.0, 6.0, 6.0], 6.5, 6.5)),
            // (15 + 14 + 21)/7 = 50/7 → 7.1; (15 + 15 + 21)/7 = 51/7 → 7.3; (7.1+14.6)/3 = 21.7/3 → 7.2
            scored("GDCD", (&[7.0, 8.0], 7.0, 7.0), (&[8.0, 7.0], 7.5, 7.0)),
            // 54/9 = 6.0; (25 + 12 + 19.5)/9 = 56.5/9 → 6.3; (6.0+12.6)/3 = 6.2
            scored("LICH_SU_DIA_LI", (&[6.0, 6.0, 6.0, 6.0], 6.0, 6.0), (&[6.0, 7.0, 6.0, 6.0], 6.0, 6.5)),
            // (22 + 11 + 15)/9 = 48/9 → 5.3; (23 + 10 + 16.5)/9 = 49.5/9 = 5.5; (5.3+11)/3 = 16.3/3 → 5.4
            scored("KHTN", (&[5.0, 6.0, 5.0, 6.0], 5.5, 5.0), (&[6.0, 5.0, 6.0, 6.0], 5.0, 5.5)),
            // (14 + 14 + 21)/7 = 7.0; (15 + 14 + 22.5)/7 = 51.5/7 → 7.4; (7.0+14.8)/3 = 21.8/3 → 7.3
            scored("CONG_NGHE", (&[7.0, 7.0], 7.0, 7.0), (&[7.0, 8.0], 7.0, 7.5)),
            // (15 + 14 + 24)/7 = 53/7 → 7.6; (16 + 14 + 24)/7 = 54/7 → 7.7; (7.6+15.4)/3 = 23/3 → 7.7
            scored("TIN_HOC", (&[8.0, 7.0], 7.0, 8.0), (&[8.0, 8.0], 7.0, 8.0)),
            comment("GDTC", "Đạt", "Đạt"),
            comment("NGHE_THUAT", "Đạt", "Đạt"),
            comment("HDTN_HN", "Đạt", "Đạt"),
            comment("GDDP", "Đạt", "Đạt"),
        ],
        "conduct": {"hk1": "Khá", "hk2": "Chưa đạt"},
        "absent_days": 0
    });
    let out = eval_ok(&input);
    assert_eq!(
        out["subjects"],
        json!([
            {"code": "NGU_VAN", "hk1": "6.8", "hk2": "7.0", "year": "6.9"},
            {"code": "TOAN", "hk1": "6.4", "hk2": "6.8", "year": "6.7"},
            {"code": "NGOAI_NGU_1", "hk1": "6.2", "hk2": "6.5", "year": "6.4"},
            {"code": "GDCD", "hk1": "7.1", "hk2": "7.3", "year": "7.2"},
            {"code": "LICH_SU_DIA_LI", "hk1": "6.0", "hk2": "6.3", "year": "6.2"},
            {"code": "KHTN", "hk1": "5.3", "hk2": "5.5", "year": "5.4"},
            {"code": "CONG_NGHE", "hk1": "7.0", "hk2": "7.4", "year": "7.3"},
            {"code": "TIN_HOC", "hk1": "7.6", "hk2": "7.7", "year": "7.7"},
            {"code": "GDTC", "hk1": "Đạt", "hk2": "Đạt", "year": "Đạt"},
            {"code": "NGHE_THUAT", "hk1": "Đạt", "hk2": "Đạt", "year": "Đạt"},
            {"code": "HDTN_HN", "hk1": "Đạt", "hk2": "Đạt", "year": "Đạt"},
            {"code": "GDDP", "hk1": "Đạt", "hk2": "Đạt", "year": "Đạt"},
        ])
    );
    // Semester II: six subjects ≥ 6.5 (NGOAI_NGU_1 exactly 6.5) → Khá. Year: five → Đạt.
    assert_eq!(
        out["learning"],
        json!({"hk1": "Đạt", "hk2": "Khá", "year": "Đạt"})
    );
    assert_eq!(
        out["conduct"],
        json!({"hk1": "Khá", "hk2": "Chưa đạt", "year": "Chưa đạt"})
    );
    assert_eq!(out["summer_training"], true);
    assert_eq!(out["promoted"], false);
    assert_eq!(out["not_promoted_because"], json!(["conduct"]));

    let mut after = input.clone();
    after["conduct_retrained"] = json!("Đạt");
    let out = eval_ok(&after);
    assert_eq!(
        out["conduct"],
        json!({"hk1": "Khá", "hk2": "Chưa đạt", "year": "Chưa đạt", "year_after_training": "Đạt"})
    );
    assert_eq!(out["promoted"], true);
    assert_eq!(out["title"], Value::Null);
}

// --- TT22, THPT ------------------------------------------------------------------------

#[test]
fn tt22_art15_thpt_grade11_hoc_sinh_xuat_sac() {
    let input = json!({
        "rule": "TT22", "grade": 11,
        "subjects": [
            // (35.5 + 18 + 27)/9 = 80.5/9 → 8.9; (36.5 + 18 + 27)/9 = 81.5/9 → 9.1; (8.9+18.2)/3 = 27.1/3 → 9.0
            scored("NGU_VAN", (&[9.0, 8.5, 9.0, 9.0], 9.0, 9.0), (&[9.0, 9.0, 9.5, 9.0], 9.0, 9.0)),
            // (38 + 19 + 30)/9 = 87/9 → 9.7; (39 + 19 + 28.5)/9 = 86.5/9 → 9.6; (9.7+19.2)/3 = 28.9/3 → 9.6
            scored("TOAN", (&[10.0, 9.0, 10.0, 9.0], 9.5, 10.0), (&[10.0, 10.0, 9.0, 10.0], 9.5, 9.5)),
            // (35 + 17 + 27)/9 = 79/9 → 8.8; (36 + 18 + 28.5)/9 = 82.5/9 → 9.2; (8.8+18.4)/3 = 27.2/3 → 9.1
            scored("NGOAI_NGU_1", (&[9.0, 9.0, 8.0, 9.0], 8.5, 9.0), (&[9.0, 9.0, 9.0, 9.0], 9.0, 9.5)),
            // 52 periods → 3: (25 + 16 + 25.5)/8 = 66.5/8 → 8.3; (25 + 17 + 24)/8 = 66/8 → 8.3; 8.3
            scored("LICH_SU", (&[8.0, 8.0, 9.0], 8.0, 8.5), (&[9.0, 8.0, 8.0], 8.5, 8.0)),
            // 35 periods → 2: 63/7 = 9.0; (19 + 18 + 27)/7 = 64/7 → 9.1; (9.0+18.2)/3 = 27.2/3 → 9.1
            scored("GDQP_AN", (&[9.0, 9.0], 9.0, 9.0), (&[9.0, 10.0], 9.0, 9.0)),
            // With chuyên đề (70 + 35 periods) → 4: (37 + 18 + 28.5)/9 = 83.5/9 → 9.3;
            // (37 + 19 + 28.5)/9 = 84.5/9 → 9.4; (9.3+18.8)/3 = 28.1/3 → 9.4
            scored("VAT_LI", (&[9.0, 9.0, 10.0, 9.0], 9.0, 9.5), (&[10.0, 9.0, 9.0, 9.0], 9.5, 9.5)),
            // Without chuyên đề → 3: (26 + 17 + 27)/8 = 70/8 → 8.8; (27 + 18 + 28.5)/8 = 73.5/8 → 9.2; (8.8+18.4)/3 → 9.1
            scored("HOA_HOC", (&[9.0, 8.0, 9.0], 8.5, 9.0), (&[9.0, 9.0, 9.0], 9.0, 9.5)),
            // (23 + 15 + 24)/8 = 62/8 → 7.8; (24 + 16 + 22.5)/8 = 62.5/8 → 7.8; 7.8
            scored("SINH_HOC", (&[8.0, 8.0, 7.0], 7.5, 8.0), (&[8.0, 8.0, 8.0], 8.0, 7.5)),
            // (27 + 18 + 25.5)/8 = 70.5/8 → 8.8; 72/8 = 9.0; (8.8+18)/3 = 26.8/3 → 8.9
            scored("TIN_HOC", (&[9.0, 9.0, 9.0], 9.0, 8.5), (&[9.0, 9.0, 9.0], 9.0, 9.0)),
            comment("GDTC", "Đạt", "Đạt"),
            comment("HDTN_HN", "Đạt", "Đạt"),
            comment("GDDP", "Đạt", "Đạt"),
        ],
        "conduct": {"hk1": "Khá", "hk2": "Tốt"},
        "absent_days": 0
    });
    let out = eval_ok(&input);
    let years: Vec<&str> = out["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["year"].as_str().unwrap())
        .collect();
    assert_eq!(
        years,
        [
            "9.0", "9.6", "9.1", "8.3", "9.1", "9.4", "9.1", "7.8", "8.9", "Đạt", "Đạt", "Đạt"
        ]
    );
    assert_eq!(
        out["subjects"][0],
        json!({"code": "NGU_VAN", "hk1": "8.9", "hk2": "9.1", "year": "9.0"})
    );
    assert_eq!(
        out["subjects"][5],
        json!({"code": "VAT_LI", "hk1": "9.3", "hk2": "9.4", "year": "9.4"})
    );
    assert_eq!(
        out["learning"],
        json!({"hk1": "Tốt", "hk2": "Tốt", "year": "Tốt"})
    );
    // Conduct II Tốt and I Khá → Tốt.
    assert_eq!(
        out["conduct"],
        json!({"hk1": "Khá", "hk2": "Tốt", "year": "Tốt"})
    );
    // Exactly six subjects ≥ 9.0, NGU_VAN at 9.0 among them.
    assert_eq!(out["title"], "Học sinh Xuất sắc");
    assert_eq!(out["promoted"], true);

    // NGU_VAN one tenth lower (semester II final 8.5: (36.5 + 18 + 25.5)/9 = 80/9 → 8.9,
    // year (8.9 + 17.8)/3 = 26.7/3 = 8.9): five subjects ≥ 9.0 → Giỏi.
    let mut lower = input.clone();
    lower["subjects"][0]["hk2"]["ck"] = json!(8.5);
    let out = eval_ok(&lower);
    assert_eq!(out["subjects"][0]["year"], "8.9");
    assert_eq!(out["title"], "Học sinh Giỏi");
}

#[test]
fn tt22_art12_thpt_grade10_45_days_promoted_46_not() {
    let mut subjects: Vec<Value> = [
        ("NGU_VAN", 4),
        ("TOAN", 4),
        ("NGOAI_NGU_1", 4),
        ("LICH_SU", 3),
        ("GDQP_AN", 2),
    ]
    .iter()
    .chain(&[
        ("DIA_LI", 3),
        ("GDKT_PL", 3),
        ("CONG_NGHE", 3),
        ("TIN_HOC", 3),
    ])
    .map(|(code, n)| uniform(code, *n, 7.0))
    .collect();
    subjects.extend([
        comment("GDTC", "Đạt", "Đạt"),
        comment("HDTN_HN", "Đạt", "Đạt"),
        comment("GDDP", "Đạt", "Đạt"),
    ]);
    let input = |days: u32| {
        json!({"rule": "TT22", "grade": 10, "subjects": subjects,
               "conduct": {"hk1": "Tốt", "hk2": "Tốt"}, "absent_days": days})
    };
    let out = eval_ok(&input(45));
    assert_eq!(
        out["subjects"][3],
        json!({"code": "LICH_SU", "hk1": "7.0", "hk2": "7.0", "year": "7.0"})
    );
    // Every subject 7.0: all ≥ 5.0 and nine ≥ 6.5, none ≥ 8.0 → Khá.
    assert_eq!(
        out["learning"],
        json!({"hk1": "Khá", "hk2": "Khá", "year": "Khá"})
    );
    assert_eq!(out["promoted"], true);
    assert_eq!(out["title"], Value::Null);
    let out = eval_ok(&input(46));
    assert_eq!(out["promoted"], false);
    assert_eq!(out["not_promoted_because"], json!(["absence"]));
}

#[test]
fn tt22_example_of_the_contract() {
    // The issue's abbreviated example: with one scored subject there cannot be six ≥ 5.0,
    // so learning is Chưa đạt; the summer values do not apply and are reported as notes.
    let input = r#"{"rule":"TT22",
     "subjects":[
       {"code":"TOAN","assessment":"score",
        "hk1":{"tx":[8,7.5,9,8],"gk":7,"ck":8.5},
        "hk2":{"tx":[9,8,8,7],"gk":8,"ck":9}},
       {"code":"GDTC","assessment":"comment","hk1":"Đạt","hk2":"Đạt"}],
     "conduct":{"hk1":"Tốt","hk2":"Khá"},
     "absent_days":3,
     "retake":{"TOAN":"6.0"},
     "conduct_retrained":"Đạt"}"#;
    let (code, stdout, stderr) = run(input);
    assert_eq!(code, 0, "{stderr}");
    let out: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        out["subjects"],
        json!([{"code":"TOAN","hk1":"8.0","hk2":"8.3","year":"8.2"},
               {"code":"GDTC","hk1":"Đạt","hk2":"Đạt","year":"Đạt"}])
    );
    assert_eq!(
        out["conduct"],
        json!({"hk1":"Tốt","hk2":"Khá","year":"Khá"})
    );
    assert_eq!(out["notes"].as_array().map(Vec::len), Some(2));
    // Field order follows the contract.
    assert!(
        stdout.starts_with(r#"{"subjects":[{"code":"TOAN","hk1":"8.0","hk2":"8.3","year":"8.2"}"#),
        "{stdout}"
    );
}

// --- TT43 --------------------------------------------------------------------------------

#[test]
fn tt43_gdtx_grade10_hoc_vien_gioi() {
    let mut subjects: Vec<Value> = [
        ("NGU_VAN", 4),
        ("TOAN", 4),
        ("LICH_SU", 3),
        ("GDQP_AN", 2),
        ("DIA_LI", 3),
        ("GDKT_PL", 3),
        ("VAT_LI", 3),
    ]
    .iter()
    .map(|(code, n)| uniform(code, *n, 8.0))
    .collect();
    // (8.5·3 + 2·8.5 + 3·9)/8 = 69.5/8 → 8.7; (27 + 18 + 27)/8 = 9.0; (8.7+18)/3 = 26.7/3 = 8.9
    subjects.push(scored(
        "TIN_HOC",
        (&[8.5, 8.5, 8.5], 8.5, 9.0),
        (&[9.0, 9.0, 9.0], 9.0, 9.0),
    ));
    subjects.extend([
        comment("HDTN_HN", "Đạt", "Đạt"),
        comment("GDDP", "Đạt", "Đạt"),
    ]);
    let input = json!({"rule": "TT43", "grade": 10, "subjects": subjects,
                       "conduct": {"hk1": "Tốt", "hk2": "Tốt"}, "absent_days": 1});
    let out = eval_ok(&input);
    assert_eq!(
        out["subjects"][7],
        json!({"code": "TIN_HOC", "hk1": "8.7", "hk2": "9.0", "year": "8.9"})
    );
    assert_eq!(
        out["learning"],
        json!({"hk1": "Tốt", "hk2": "Tốt", "year": "Tốt"})
    );
    assert_eq!(out["title"], "Học viên Giỏi");
    assert_eq!(out["rule_version"], "TT43-2021/v1");
    assert_eq!(out["promoted"], true);

    // GDTX has no Giáo dục thể chất.
    let mut with_pe = input.clone();
    with_pe["subjects"]
        .as_array_mut()
        .unwrap()
        .push(comment("GDTC", "Đạt", "Đạt"));
    let err = eval_err(&with_pe.to_string());
    assert!(
        err.contains("subjects[10].code: subject GDTC is not in the grade 10 GDTX programme"),
        "{err}"
    );
}

// --- TT27 ----------------------------------------------------------------------------------

fn all_ratings(value: &str) -> (Value, Value) {
    let q = json!({"yeu_nuoc": value, "nhan_ai": value, "cham_chi": value, "trung_thuc": value, "trach_nhiem": value});
    let c = json!({"tu_chu_tu_hoc": value, "giao_tiep_hop_tac": value, "giai_quyet_van_de_sang_tao": value,
                   "ngon_ngu": value, "tinh_toan": value, "khoa_hoc": value, "cong_nghe": value,
                   "tin_hoc": value, "tham_mi": value, "the_chat": value});
    (q, c)
}

/// A grade-4 pupil: tested subjects with the given year-end tests (TV, Toán, NN1, LS&ĐL,
/// Khoa học, Tin học và Công nghệ), the rest Hoàn thành tốt.
fn grade4(tests: [u8; 6]) -> Value {
    let tested = [
        "TIENG_VIET",
        "TOAN",
        "NGOAI_NGU_1",
        "LICH_SU_DIA_LI",
        "KHOA_HOC",
        "TIN_HOC_CONG_NGHE",
    ];
    let mut subjects: Vec<Value> = tested
        .iter()
        .zip(tests)
        .map(|(code, t)| json!({"code": code, "level": "Hoàn thành tốt", "test": t}))
        .collect();
    for code in [
        "DAO_DUC",
        "GDTC",
        "AM_NHAC",
        "MI_THUAT",
        "HOAT_DONG_TRAI_NGHIEM",
    ] {
        subjects.push(json!({"code": code, "level": "Hoàn thành tốt"}));
    }
    let (q, c) = all_ratings("Tốt");
    json!({"rule": "TT27", "grade": 4, "subjects": subjects, "qualities": q, "competences": c})
}

#[test]
fn tt27_art9_grade4_hoan_thanh_xuat_sac() {
    let out = eval_ok(&grade4([9, 10, 9, 10, 9, 9]));
    assert_eq!(
        out,
        json!({"overall": "Hoàn thành xuất sắc", "title": "Học sinh Xuất sắc", "rule_version": "TT27-2020/v1"})
    );
}

#[test]
fn tt27_art9_grade4_test_8_gives_hoan_thanh_tot_and_tieu_bieu_flag() {
    let input = grade4([9, 10, 8, 10, 9, 9]);
    assert_eq!(eval_ok(&input)["overall"], "Hoàn thành tốt");
    assert_eq!(eval_ok(&input)["title"], Value::Null);
    let mut flagged = input.clone();
    flagged["tieu_bieu"] = json!(true);
    assert_eq!(eval_ok(&flagged)["title"], "Học sinh Tiêu biểu");
    // Boundary 7 still Hoàn thành tốt, 6 gives Hoàn thành, 5 too, 4 Chưa hoàn thành.
    assert_eq!(
        eval_ok(&grade4([7, 10, 10, 10, 10, 10]))["overall"],
        "Hoàn thành tốt"
    );
    assert_eq!(
        eval_ok(&grade4([6, 10, 10, 10, 10, 10]))["overall"],
        "Hoàn thành"
    );
    assert_eq!(
        eval_ok(&grade4([10, 10, 10, 10, 10, 5]))["overall"],
        "Hoàn thành"
    );
    assert_eq!(
        eval_ok(&grade4([10, 4, 10, 10, 10, 10]))["overall"],
        "Chưa hoàn thành"
    );
}

#[test]
fn tt27_art9_levels_and_ratings_cascade() {
    // A subject at Hoàn thành → at most Hoàn thành.
    let mut one_hoan_thanh = grade4([10; 6]);
    one_hoan_thanh["subjects"][7]["level"] = json!("Hoàn thành");
    assert_eq!(eval_ok(&one_hoan_thanh)["overall"], "Hoàn thành");
    // A quality at Đạt → Hoàn thành; a competence at Cần cố gắng → Chưa hoàn thành.
    let mut dat = grade4([10; 6]);
    dat["qualities"]["trung_thuc"] = json!("Đạt");
    assert_eq!(eval_ok(&dat)["overall"], "Hoàn thành");
    let mut weak = grade4([10; 6]);
    weak["competences"]["the_chat"] = json!("Cần cố gắng");
    assert_eq!(eval_ok(&weak)["overall"], "Chưa hoàn thành");
    // A subject Chưa hoàn thành → Chưa hoàn thành.
    let mut failed = grade4([10; 6]);
    failed["subjects"][0]["level"] = json!("Chưa hoàn thành");
    assert_eq!(eval_ok(&failed)["overall"], "Chưa hoàn thành");
}

#[test]
fn tt27_art7_grade1_and_unknown_subject_test_counts() {
    let (q, c) = all_ratings("Tốt");
    let input = json!({"rule": "TT27", "grade": 1,
        "subjects": [
            {"code": "TIENG_VIET", "level": "Hoàn thành tốt", "test": 10},
            {"code": "TOAN", "level": "Hoàn thành tốt", "test": 9},
            {"code": "DAO_DUC", "level": "Hoàn thành tốt"},
            {"code": "TU_NHIEN_XA_HOI", "level": "Hoàn thành tốt"},
            {"code": "TIENG_KHMER", "level": "Hoàn thành tốt", "test": 8}
        ],
        "qualities": q, "competences": c});
    // The unknown subject's test 8 counts: not every test ≥ 9.
    assert_eq!(eval_ok(&input)["overall"], "Hoàn thành tốt");
}

// --- invalid input --------------------------------------------------------------------------

#[test]
fn invalid_scores_name_the_field() {
    let input = |hk1: Value| {
        json!({"rule": "TT22", "subjects": [{"code": "TOAN", "assessment": "score", "hk1": hk1,
               "hk2": {"tx": [8, 8, 8, 8], "gk": 8, "ck": 8}}],
               "conduct": {"hk1": "Tốt", "hk2": "Tốt"}, "absent_days": 0})
        .to_string()
    };
    let err = eval_err(&input(json!({"tx": [8, 8, 8, 8], "gk": 10.5, "ck": 8})));
    assert!(
        err.contains("subjects[0].hk1.gk: score must be between 0 and 10, got 10.5"),
        "{err}"
    );
    let err = eval_err(&input(json!({"tx": [8, 8, 11, 8], "gk": 8, "ck": 8})));
    assert!(
        err.contains("subjects[0].hk1.tx[2]: score must be between 0 and 10, got 11"),
        "{err}"
    );
    let err = eval_err(&input(json!({"tx": [8, 8, 8, 8], "gk": 8, "ck": -1})));
    assert!(
        err.contains("subjects[0].hk1.ck: score must be between 0 and 10, got -1"),
        "{err}"
    );
    let err = eval_err(&input(json!({"tx": [8, 8.55, 8, 8], "gk": 8, "ck": 8})));
    assert!(
        err.contains("subjects[0].hk1.tx[1]: score must have at most one decimal, got 8.55"),
        "{err}"
    );
    let err = eval_err(&input(json!({"tx": [8, 8, 8, 8], "gk": "8", "ck": 8})));
    assert!(
        err.contains("subjects[0].hk1.gk: expected a score (number), got a string"),
        "{err}"
    );
    let err = eval_err(&input(json!({"tx": [], "gk": 8, "ck": 8})));
    assert!(
        err.contains("subjects[0].hk1.tx: subject TOAN needs"),
        "{err}"
    );
}

#[test]
fn wrong_number_of_regular_scores_for_the_grade() {
    let input = json!({"rule": "TT22", "grade": 8,
        "subjects": [scored("TOAN", (&[8.0, 8.0, 8.0], 8.0, 8.0), (&[8.0, 8.0, 8.0, 8.0], 8.0, 8.0)),
                     scored("GDCD", (&[8.0, 8.0, 8.0], 8.0, 8.0), (&[8.0, 8.0], 8.0, 8.0))],
        "conduct": {"hk1": "Tốt", "hk2": "Tốt"}, "absent_days": 0});
    let err = eval_err(&input.to_string());
    assert!(
        err.contains(
            "subjects[0].hk1.tx: subject TOAN needs 4 regular scores (ĐĐGtx) per semester, got 3"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "subjects[1].hk1.tx: subject GDCD needs 2 regular scores (ĐĐGtx) per semester, got 3"
        ),
        "{err}"
    );
    assert!(
        err.starts_with("error: invalid input (2 problems):"),
        "{err}"
    );
}

#[test]
fn unknown_labels_keys_and_rules_are_rejected() {
    let err = eval_err(r#"{"rule":"TT23"}"#);
    assert!(err.contains("rule: unknown rule \"TT23\""), "{err}");
    let err = eval_err(r#"{"subjects":[]}"#);
    assert!(err.contains("rule: missing"), "{err}");

    let err = eval_err(
        &json!({"rule": "TT22", "subjects": [comment("GDTC", "Dat", "Đạt")],
                "conduct": {"hk1": "Xuất sắc", "hk2": "Tốt"}, "absent_days": 0, "bonus": 1})
        .to_string(),
    );
    assert!(err.contains("bonus: unknown key"), "{err}");
    assert!(
        err.contains("subjects[0].hk1: unknown label \"Dat\""),
        "{err}"
    );
    assert!(
        err.contains("conduct.hk1: unknown label \"Xuất sắc\""),
        "{err}"
    );

    let mut pupil = grade4([10; 6]);
    pupil["subjects"][0]["level"] = json!("Xuất sắc");
    pupil["subjects"][1]["test"] = json!(0);
    pupil["subjects"][2]["test"] = json!(7.5);
    pupil["competences"]["sang_tao"] = json!("Tốt");
    pupil["qualities"]
        .as_object_mut()
        .unwrap()
        .remove("nhan_ai");
    let err = eval_err(&pupil.to_string());
    assert!(
        err.contains("subjects[0].level: unknown label \"Xuất sắc\""),
        "{err}"
    );
    assert!(
        err.contains(
            "subjects[1].test: periodic test score must be an integer from 1 to 10, got 0"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "subjects[2].test: periodic test score must be an integer from 1 to 10, got 7.5"
        ),
        "{err}"
    );
    assert!(err.contains("competences.sang_tao: unknown key"), "{err}");

    // Once the shape is right, the rule checks run: the missing quality is reported.
    let mut pupil = grade4([10; 6]);
    pupil["qualities"]
        .as_object_mut()
        .unwrap()
        .remove("nhan_ai");
    pupil["subjects"][0].as_object_mut().unwrap().remove("test");
    let err = eval_err(&pupil.to_string());
    assert!(
        err.contains("qualities.nhan_ai: nhan_ai is missing"),
        "{err}"
    );
    assert!(
        err.contains(
            "subjects[0].test: subject TIENG_VIET has a year-end periodic test in grade 4"
        ),
        "{err}"
    );
}

#[test]
fn not_json_or_not_an_object() {
    assert!(eval_err("{").contains("input: not valid JSON"));
    assert!(eval_err("[1]").contains("input: expected a JSON object"));
}

#[test]
fn retake_for_a_subject_not_in_the_list() {
    let input = json!({"rule": "TT22", "subjects": [uniform("TOAN", 4, 3.0)],
                       "conduct": {"hk1": "Tốt", "hk2": "Tốt"}, "absent_days": 0,
                       "retake": {"HOA_HOC": 6}});
    let err = eval_err(&input.to_string());
    assert!(
        err.contains("retake.HOA_HOC: retake for HOA_HOC: no such subject in the list"),
        "{err}"
    );
}
