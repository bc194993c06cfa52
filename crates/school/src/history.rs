//! "Lịch sử thay đổi": one student's entries of the audit log — who, when, what, old →
//! new, why — newest first, for the homeroom teacher of one of the student's classes and
//! the principal and admin of the school. Also [`stamp`], which every handler that
//! changes school data uses to sign its audit entries.

use std::collections::HashMap;
use std::fmt::Write;

use axum::extract::{Path, State};
use domain::StudentCode;
use store::convert::rating_from_store;
use store::{Actor, AuditAction, AuditEntry, AuditStamp, AuditTime, ConductRating, SubjectCode};

use crate::AppState;
use crate::auth::{CurrentUser, unix_now};
use crate::error::AppError;
use crate::grades::subject_name;
use crate::html::{Page, esc, page};
use crate::permission::{Permission, require};

/// The audit stamp of a change `user` makes now (no reason).
pub fn stamp(user: &CurrentUser) -> AuditStamp {
    AuditStamp {
        actor: Actor {
            teacher: user.teacher.id,
            username: user.teacher.username.clone(),
            full_name: user.teacher.full_name.clone(),
            school: user.teacher.school,
        },
        at: AuditTime::from_unix(unix_now()),
        reason: None,
    }
}

/// The page of a student's history.
pub fn href(student: &StudentCode) -> String {
    format!("/students/{}/history", student.as_str())
}

/// `GET /students/{code}/history`: the student's changes made in the user's school.
pub async fn history(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> Result<Page, AppError> {
    let student: StudentCode = code.parse().map_err(|_| AppError::NotFound)?;
    require(
        app.store(),
        &user,
        Permission::ViewStudentHistory { student: &student },
    )
    .await?;
    let store = app.store();
    let info = store.student(&student).await?;
    let classes: HashMap<i64, String> = store
        .classes_of_student(&student)
        .await?
        .into_iter()
        .filter(|(c, _)| c.school == user.teacher.school)
        .map(|(c, _)| (c.id.0, format!("{} ({})", c.name, c.year)))
        .collect();
    let entries = store
        .audit_of_student(user.teacher.school, &student)
        .await?;
    let mut body = String::new();
    let _ = write!(
        body,
        r#"<p class="help">Mọi thay đổi về điểm, nhận xét, rèn luyện, số ngày nghỉ và hồ sơ của học sinh <strong>{name}</strong> (mã {code}) tại trường, mới nhất trước. Nhật ký chỉ được ghi thêm, không sửa hay xóa được.</p>"#,
        name = esc(&info.full_name),
        code = esc(student.as_str()),
    );
    if entries.is_empty() {
        body.push_str("<p>Chưa có thay đổi nào được ghi lại.</p>");
    } else {
        body.push_str(
            r#"<table class="list history"><thead><tr><th>Thời gian</th><th>Người thực hiện</th><th>Lớp</th><th>Nội dung</th><th>Giá trị cũ</th><th>Giá trị mới</th><th>Lý do</th></tr></thead><tbody>"#,
        );
        for e in &entries {
            let class = e
                .class
                .and_then(|c| classes.get(&c.0).cloned())
                .unwrap_or_default();
            let _ = writeln!(
                body,
                r#"<tr><td>{at}</td><td>{who}</td><td>{class}</td><td>{what}</td><td>{old}</td><td>{new}</td><td>{why}</td></tr>"#,
                at = esc(&vietnam_time(&e.at)),
                who = esc(&format!("{} ({})", e.actor_name, e.actor_username)),
                class = esc(&class),
                what = esc(&describe(e)),
                old = esc(&value_label(e.action, e.old.as_deref())),
                new = esc(&value_label(e.action, e.new.as_deref())),
                why = esc(e.reason.as_deref().unwrap_or("")),
            );
        }
        body.push_str("</tbody></table>");
    }
    let title = format!("Lịch sử thay đổi — {}", info.full_name);
    Ok(page(&user, app.config().demo, &title, &body))
}

/// "Toán HK I — ĐĐGtx 2", "Kết quả rèn luyện HK II", … for an entry.
pub(crate) fn describe(e: &AuditEntry) -> String {
    let what = field_label(&e.field);
    match e.action {
        AuditAction::RecordReview => format!("Xác nhận tổng hợp {what}"),
        AuditAction::RecordSign => format!("Ký số {what}"),
        AuditAction::RecordUnlock => format!("Mở khóa {what}"),
        AuditAction::RecordSync => format!("Đồng bộ CSDL (có biên nhận) {what}"),
        AuditAction::RecordResend => format!("Gửi lại lên CSDL {what}"),
        AuditAction::PasswordChange => "Đổi mật khẩu".to_owned(),
        _ => what,
    }
    .trim()
    .to_owned()
}

/// The Vietnamese name of a field code (see `store::AuditAction`); unknown codes as is.
fn field_label(field: &str) -> String {
    let parts: Vec<&str> = field.split('/').collect();
    let term = |t: &str| match t {
        "HK1" => Some("HK I"),
        "HK2" => Some("HK II"),
        "CN" => Some("Cả năm"),
        // TT27 checkpoints (primary).
        "GK1" => Some("Giữa HK I"),
        "CK1" => Some("Cuối HK I"),
        "GK2" => Some("Giữa HK II"),
        _ => None,
    };
    match parts.as_slice() {
        [subject, t, cell] if term(t).is_some() => {
            let name = subject
                .parse::<SubjectCode>()
                .map_or_else(|_| (*subject).to_owned(), |s| subject_name(&s));
            let cell = match *cell {
                "gk" => "ĐĐGgk".to_owned(),
                "ck" => "ĐĐGck".to_owned(),
                "kq" => "Kết quả".to_owned(),
                "nx" => "Nhận xét".to_owned(),
                "muc" => "Mức đạt được".to_owned(),
                "kt" => "Điểm KTĐK".to_owned(),
                c => match c.strip_prefix("tx") {
                    Some(n) => format!("ĐĐGtx {n}"),
                    None => c.to_owned(),
                },
            };
            format!("{name} {} — {cell}", term(t).unwrap_or_default())
        }
        // Summer results (TT22 art. 13–14): the retake of a subject and its result, the
        // retrained conduct.
        [subject, "he", cell @ ("ktl" | "kq")] => {
            let name = subject
                .parse::<SubjectCode>()
                .map_or_else(|_| (*subject).to_owned(), |s| subject_name(&s));
            match *cell {
                "ktl" => format!("Kiểm tra lại — {name}"),
                _ => format!("Kết quả kiểm tra lại — {name}"),
            }
        }
        ["he", "rl"] => "Kết quả rèn luyện hè".to_owned(),
        ["personal_id"] => "Mã định danh cá nhân".to_owned(),
        [t, "rl"] if term(t).is_some() => {
            format!("Kết quả rèn luyện {}", term(t).unwrap_or_default())
        }
        [t, item] if term(t).is_some() && store::QualityItem::from_code(item).is_some() => {
            let name = domain::tt27::Quality::from_key(item)
                .map(|q| q.name_vi())
                .or_else(|| domain::tt27::Competence::from_key(item).map(|c| c.name_vi()))
                .unwrap_or(item);
            format!("{name} — {}", term(t).unwrap_or_default())
        }
        ["record"] => "học bạ".to_owned(),
        ["record", role] => match record::SignerRole::from_code(role) {
            Some(r) => format!("học bạ ({})", r.name_vi()),
            None => format!("học bạ ({role})"),
        },
        ["tieu_bieu"] => "Học sinh Tiêu biểu".to_owned(),
        ["np"] => "Số ngày nghỉ có phép".to_owned(),
        ["kp"] => "Số ngày nghỉ không phép".to_owned(),
        _ => field.to_owned(),
    }
}

/// A stored value as a teacher reads it: `8,5`, `Đạt`, `Khá`; "(trống)" for none.
pub(crate) fn value_label(action: AuditAction, value: Option<&str>) -> String {
    let Some(v) = value else {
        return "(trống)".to_owned();
    };
    // Summer results are stored with their date: `6.5 2026-07-20`, `dat 2026-07-20`.
    if let Some((head, date)) = v.split_once(' ')
        && let [y, m, d] = date.split('-').collect::<Vec<_>>().as_slice()
        && y.len() == 4
        && date.bytes().all(|b| b.is_ascii_digit() || b == b'-')
    {
        return format!("{} (ngày {d}/{m}/{y})", value_label(action, Some(head)));
    }
    match action {
        AuditAction::ScoreSet => {
            let v = v.strip_suffix(".0").unwrap_or(v);
            v.replace('.', ",")
        }
        AuditAction::ResultSet => match v {
            "dat" => "Đạt".to_owned(),
            "chua_dat" => "Chưa đạt".to_owned(),
            other => other.to_owned(),
        },
        AuditAction::ConductSet => ConductRating::from_code(v)
            .map_or_else(|| v.to_owned(), |r| rating_from_store(r).label().to_owned()),
        AuditAction::AbsencesSet => format!("{v} ngày"),
        AuditAction::Tt27LevelSet => store::Tt27Level::from_code(v).map_or_else(
            || v.to_owned(),
            |l| {
                match l {
                    store::Tt27Level::Excellent => "Hoàn thành tốt",
                    store::Tt27Level::Completed => "Hoàn thành",
                    store::Tt27Level::NotCompleted => "Chưa hoàn thành",
                }
                .to_owned()
            },
        ),
        AuditAction::Tt27RatingSet => store::QualityRating::from_code(v).map_or_else(
            || v.to_owned(),
            |r| {
                match r {
                    store::QualityRating::Good => "Tốt",
                    store::QualityRating::Pass => "Đạt",
                    store::QualityRating::NeedsEffort => "Cần cố gắng",
                }
                .to_owned()
            },
        ),
        _ => v.to_owned(),
    }
}

/// `2025-11-25T19:02:24Z` as Vietnam time (UTC+7): `26/11/2025 02:02:24`.
pub(crate) fn vietnam_time(at: &AuditTime) -> String {
    let s = at.as_str();
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|t| t.parse::<i64>().ok());
    let (Some(y), Some(mo), Some(d), Some(h)) = (num(0..4), num(5..7), num(8..10), num(11..13))
    else {
        return s.to_owned();
    };
    let rest = s.get(13..19).unwrap_or(":00:00");
    let (mut y, mut mo, mut d, mut h) = (y, mo, d, h + 7);
    if h >= 24 {
        h -= 24;
        d += 1;
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
        let days = match mo {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if d > days {
            d = 1;
            mo += 1;
            if mo > 12 {
                mo = 1;
                y += 1;
            }
        }
    }
    format!("{d:02}/{mo:02}/{y:04} {h:02}{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_in_vietnamese() {
        assert_eq!(field_label("TOAN/HK1/tx2"), "Toán HK I — ĐĐGtx 2");
        assert_eq!(field_label("TOAN/HK2/ck"), "Toán HK II — ĐĐGck");
        assert_eq!(field_label("HK1/rl"), "Kết quả rèn luyện HK I");
        assert_eq!(field_label("np"), "Số ngày nghỉ có phép");
        assert_eq!(field_label("something/else"), "something/else");
    }

    #[test]
    fn a_summer_retake_reads_kiem_tra_lai_and_the_subject() {
        assert_eq!(field_label("TOAN/he/ktl"), "Kiểm tra lại — Toán");
    }

    #[test]
    fn a_summer_retake_result_reads_ket_qua_kiem_tra_lai() {
        assert_eq!(
            field_label("NGU_VAN/he/kq"),
            "Kết quả kiểm tra lại — Ngữ văn"
        );
    }

    #[test]
    fn the_retrained_conduct_reads_ket_qua_ren_luyen_he() {
        assert_eq!(field_label("he/rl"), "Kết quả rèn luyện hè");
    }

    #[test]
    fn the_personal_id_reads_ma_dinh_danh_ca_nhan() {
        assert_eq!(field_label("personal_id"), "Mã định danh cá nhân");
    }

    #[test]
    fn summer_values_read_with_their_date() {
        assert_eq!(
            value_label(AuditAction::ScoreSet, Some("6.5 2026-07-20")),
            "6,5 (ngày 20/07/2026)"
        );
        assert_eq!(
            value_label(AuditAction::ResultSet, Some("chua_dat 2026-07-20")),
            "Chưa đạt (ngày 20/07/2026)"
        );
        assert_eq!(
            value_label(AuditAction::ConductSet, Some("kha 2026-07-21")),
            "Khá (ngày 21/07/2026)"
        );
    }

    #[test]
    fn values_read_as_teachers_write_them() {
        assert_eq!(value_label(AuditAction::ScoreSet, Some("8.5")), "8,5");
        assert_eq!(value_label(AuditAction::ScoreSet, Some("10.0")), "10");
        assert_eq!(
            value_label(AuditAction::ResultSet, Some("chua_dat")),
            "Chưa đạt"
        );
        assert_eq!(value_label(AuditAction::ConductSet, None), "(trống)");
    }

    #[test]
    fn times_are_shown_in_vietnam_time() {
        let t = |s: &str| vietnam_time(&s.parse().unwrap());
        assert_eq!(t("2025-11-25T09:02:24Z"), "25/11/2025 16:02:24");
        assert_eq!(t("2025-12-31T19:00:00Z"), "01/01/2026 02:00:00");
        assert_eq!(t("2024-02-28T17:30:00Z"), "29/02/2024 00:30:00");
    }
}
