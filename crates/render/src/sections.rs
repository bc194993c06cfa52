//! The template: what a paper học bạ shows, in its order.

use domain::Date;
use record::{PrimaryPeriod, PrimaryResults, Record, Results, SecondaryResults, SubjectAssessment};

use crate::font::Weight;
use crate::layout::{Align, Column, Doc, MARGIN, PAGE_W, WIDTH};
use crate::{Cover, PaperCopyInfo};

/// Lays out one record as one copy (its own pages, footer and page numbers); `attachment`
/// is the name its signed XML has inside the PDF.
pub(crate) fn write(
    doc: &mut Doc,
    r: &Record,
    info: &PaperCopyInfo,
    qr: &(usize, Vec<bool>),
    attachment: &str,
) {
    doc.footer = format!(
        "Bản sao chuyển đổi từ học bạ điện tử · {} · lớp {} · năm học {} · mã tra cứu {}",
        r.student.name, r.class.name, r.class.year, info.lookup_code
    );
    header(doc, r);
    identity(doc, r);
    match &r.results {
        Results::Secondary(s) => secondary(doc, s, r),
        Results::Primary(p) => primary(doc, p),
    }
    signers(doc, info);
    conversion_box(doc, r, info, qr, attachment);
    doc.end_copy();
}

/// Lays out the cover of a class's copies: what the file holds, in order, and every
/// student left out with the reason.
pub(crate) fn cover(doc: &mut Doc, c: &Cover) {
    doc.footer = c.title.clone();
    doc.centered_line(Weight::Bold, 9.5, &c.school.to_uppercase());
    doc.down(6.0);
    doc.centered_line(Weight::Bold, 15.0, "BẢN SAO GIẤY HỌC BẠ");
    doc.centered_line(Weight::Regular, 11.0, &c.title);
    doc.down(4.0);
    doc.field(
        MARGIN,
        WIDTH,
        "Người chuyển đổi:",
        &format!("{}, lúc {}", c.converted_by, c.converted_at),
    );
    doc.heading(&format!(
        "Các bản sao trong tệp này ({} học sinh, theo số thứ tự trong lớp)",
        c.included.len()
    ));
    let columns = [
        col("STT", 40.0, Align::Center),
        col("Mã học sinh", 110.0, Align::Left),
        col("Họ và tên", 200.0, Align::Left),
        col("Tệp đính kèm (XML đã ký)", WIDTH - 350.0, Align::Left),
    ];
    let rows: Vec<Vec<String>> = c
        .included
        .iter()
        .map(|e| {
            vec![
                e.roll.clone(),
                e.code.clone(),
                e.name.clone(),
                format!("{}.xml", e.code),
            ]
        })
        .collect();
    if rows.is_empty() {
        doc.field(MARGIN, WIDTH, "", "(không có)");
    } else {
        doc.table(&columns, &rows, 8.5);
    }
    doc.heading(&format!(
        "Học sinh không có bản sao trong tệp này ({})",
        c.skipped.len()
    ));
    let columns = [
        col("STT", 40.0, Align::Center),
        col("Mã học sinh", 110.0, Align::Left),
        col("Họ và tên", 160.0, Align::Left),
        col("Lý do", WIDTH - 310.0, Align::Left),
    ];
    let rows: Vec<Vec<String>> = c
        .skipped
        .iter()
        .map(|(e, reason)| {
            vec![
                e.roll.clone(),
                e.code.clone(),
                e.name.clone(),
                reason.clone(),
            ]
        })
        .collect();
    if rows.is_empty() {
        doc.field(MARGIN, WIDTH, "", "(không có)");
    } else {
        doc.table(&columns, &rows, 8.5);
    }
    doc.end_copy();
}

fn header(doc: &mut Doc, r: &Record) {
    let top = doc.y;
    let left = MARGIN + 110.0;
    let right = PAGE_W - MARGIN - 125.0;
    doc.text_centered(
        left,
        top - 10.0,
        Weight::Regular,
        9.0,
        &format!("SỞ GIÁO DỤC VÀ ĐÀO TẠO (mã {})", r.school.department_code),
    );
    doc.text_centered(
        left,
        top - 22.0,
        Weight::Bold,
        9.5,
        &r.school.name.as_str().to_uppercase(),
    );
    doc.text_centered(
        left,
        top - 34.0,
        Weight::Regular,
        8.5,
        &format!("Mã trường: {}", r.school.code),
    );
    doc.text_centered(
        right,
        top - 10.0,
        Weight::Bold,
        9.0,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    );
    doc.text_centered(
        right,
        top - 22.0,
        Weight::Bold,
        9.5,
        "Độc lập - Tự do - Hạnh phúc",
    );
    doc.y = top - 40.0;
    doc.centered_line(Weight::Bold, 22.0, "HỌC BẠ");
    doc.down(3.0);
    doc.centered_line(Weight::Bold, 12.0, &r.school.level.name_vi().to_uppercase());
    doc.centered_line(
        Weight::Regular,
        10.5,
        &format!(
            "Năm học {} — Lớp {} (khối {}) — Giáo viên chủ nhiệm: {}",
            r.class.year, r.class.name, r.class.grade, r.class.homeroom_teacher
        ),
    );
    doc.down(4.0);
}

fn identity(doc: &mut Doc, r: &Record) {
    let s = &r.student;
    doc.heading("I. THÔNG TIN HỌC SINH");
    let half = WIDTH / 2.0;
    let pairs: [(&str, String, &str, String); 4] = [
        (
            "Họ và tên:",
            s.name.to_string(),
            "Giới tính:",
            s.sex.label().to_owned(),
        ),
        (
            "Ngày sinh:",
            vn_date(s.born),
            "Dân tộc:",
            s.ethnicity.to_string(),
        ),
        (
            "Quốc tịch:",
            s.nationality.to_string(),
            "Mã học sinh:",
            s.code.to_string(),
        ),
        (
            "Số định danh cá nhân:",
            s.personal_id
                .as_ref()
                .map_or("(chưa có)".to_owned(), ToString::to_string),
            "Nơi sinh:",
            s.birthplace.to_string(),
        ),
    ];
    for (l1, v1, l2, v2) in pairs {
        let y = doc.y;
        doc.field(MARGIN, half - 6.0, l1, &v1);
        let after_left = doc.y;
        doc.y = y;
        doc.field(MARGIN + half, half, l2, &v2);
        doc.y = doc.y.min(after_left);
    }
    doc.field(MARGIN, WIDTH, "Nơi cư trú:", s.residence.as_str());
    let mut version = format!(
        "{} — phiên bản {} — lập ngày {}",
        r.id,
        r.version,
        vn_date(r.created)
    );
    if let Some(old) = &r.supersedes {
        version.push_str(&format!(" — thay thế {}", old.id));
    }
    doc.field(MARGIN, WIDTH, "Mã học bạ:", &version);
}

fn secondary(doc: &mut Doc, s: &SecondaryResults, r: &Record) {
    doc.heading("II. KẾT QUẢ HỌC TẬP CÁC MÔN HỌC");
    let columns = [
        col("Môn học", 172.0, Align::Left),
        col("Học kì I", 46.0, Align::Center),
        col("Học kì II", 46.0, Align::Center),
        col("Cả năm", 46.0, Align::Center),
        col("KT lại", 58.0, Align::Center),
        col("Nhận xét của giáo viên môn học", WIDTH - 368.0, Align::Left),
    ];
    let rows: Vec<Vec<String>> = s
        .subjects
        .iter()
        .map(|sub| {
            let (hk1, hk2, year, retake) = match &sub.assessment {
                SubjectAssessment::Scored(x) => (
                    x.hk1.average.to_string(),
                    x.hk2.average.to_string(),
                    x.year_average.to_string(),
                    x.retake
                        .map(|d| format!("{} ({})", d.value, vn_date(d.date)))
                        .unwrap_or_default(),
                ),
                SubjectAssessment::Commented(x) => (
                    x.hk1.label().to_owned(),
                    x.hk2.label().to_owned(),
                    x.year.label().to_owned(),
                    x.retake
                        .map(|d| format!("{} ({})", d.value.label(), vn_date(d.date)))
                        .unwrap_or_default(),
                ),
            };
            vec![
                sub.name.to_string(),
                hk1,
                hk2,
                year,
                retake,
                sub.teacher_comment
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            ]
        })
        .collect();
    doc.table(&columns, &rows, 8.5);

    doc.heading("III. KẾT QUẢ HỌC TẬP VÀ RÈN LUYỆN");
    let columns = [
        col("", 150.0, Align::Left),
        col("Học kì I", 90.0, Align::Center),
        col("Học kì II", 90.0, Align::Center),
        col("Cả năm", 90.0, Align::Center),
    ];
    let rows = vec![
        vec![
            "Kết quả học tập".to_owned(),
            s.learning.hk1.label().to_owned(),
            s.learning.hk2.label().to_owned(),
            s.learning.year.label().to_owned(),
        ],
        vec![
            "Kết quả rèn luyện".to_owned(),
            s.conduct.hk1.label().to_owned(),
            s.conduct.hk2.label().to_owned(),
            s.conduct.year.label().to_owned(),
        ],
    ];
    doc.table(&columns, &rows, 9.0);
    doc.field(MARGIN, WIDTH, "Số ngày nghỉ học:", &absences(s.absences));
    if let Some(d) = s.conduct_retraining {
        doc.field(
            MARGIN,
            WIDTH,
            "Rèn luyện trong hè:",
            &format!("{} (ngày {})", d.value.label(), vn_date(d.date)),
        );
    }
    if let Some(v) = s.learning_after_reassessment {
        doc.field(
            MARGIN,
            WIDTH,
            "Kết quả học tập sau kiểm tra lại:",
            v.label(),
        );
    }
    let y = doc.y;
    doc.field(MARGIN, WIDTH / 2.0, "Kết quả lên lớp:", s.promotion.label());
    doc.y = y;
    doc.field(
        MARGIN + WIDTH / 2.0,
        WIDTH / 2.0,
        "Danh hiệu:",
        s.title.map_or("(không)", |t| t.label(r.results.rule())),
    );
    homeroom_comment(doc, s.homeroom_comment.as_ref().map(|t| t.as_str()));
}

fn primary(doc: &mut Doc, p: &PrimaryResults) {
    doc.heading("II. CÁC MÔN HỌC VÀ HOẠT ĐỘNG GIÁO DỤC (mức đạt được và điểm kiểm tra định kì)");
    let w = (WIDTH - 131.0) / 4.0;
    let columns = [
        col("Môn học và hoạt động giáo dục", 131.0, Align::Left),
        col("Giữa học kì I", w, Align::Center),
        col("Cuối học kì I", w, Align::Center),
        col("Giữa học kì II", w, Align::Center),
        col("Cuối năm học", w, Align::Center),
    ];
    let rows: Vec<Vec<String>> = p
        .subjects
        .iter()
        .map(|s| {
            vec![
                s.name.to_string(),
                period(&s.mid_hk1),
                period(&s.end_hk1),
                period(&s.mid_hk2),
                period(&s.end_year),
            ]
        })
        .collect();
    doc.table(&columns, &rows, 8.5);
    doc.heading("III. NĂNG LỰC VÀ PHẨM CHẤT");
    let columns = [
        col("", 231.0, Align::Left),
        col("Cuối học kì I", 100.0, Align::Center),
        col("Cuối năm học", 100.0, Align::Center),
    ];
    let mut rows = Vec::new();
    for c in &p.competences {
        rows.push(vec![
            format!("Năng lực: {}", c.key.name_vi()),
            c.hk1.label().to_owned(),
            c.year.label().to_owned(),
        ]);
    }
    for q in &p.qualities {
        rows.push(vec![
            format!("Phẩm chất: {}", q.key.name_vi()),
            q.hk1.label().to_owned(),
            q.year.label().to_owned(),
        ]);
    }
    doc.table(&columns, &rows, 8.5);
    doc.heading("IV. KẾT QUẢ GIÁO DỤC CUỐI NĂM");
    doc.field(MARGIN, WIDTH, "Kết quả giáo dục:", p.overall.label());
    doc.field(MARGIN, WIDTH, "Số ngày nghỉ học:", &absences(p.absences));
    doc.field(MARGIN, WIDTH, "Kết quả lên lớp:", p.promotion.label());
    let mut title = p
        .title
        .map_or("(không)".to_owned(), |t| t.label().to_owned());
    if p.exemplary {
        title.push_str(" — được tập thể lớp công nhận tiêu biểu");
    }
    doc.field(MARGIN, WIDTH, "Khen thưởng:", &title);
    homeroom_comment(doc, p.homeroom_comment.as_ref().map(|t| t.as_str()));
}

fn homeroom_comment(doc: &mut Doc, comment: Option<&str>) {
    doc.field(
        MARGIN,
        WIDTH,
        "Nhận xét của giáo viên chủ nhiệm:",
        comment.unwrap_or("(không có)"),
    );
}

fn signers(doc: &mut Doc, info: &PaperCopyInfo) {
    doc.heading("CHỮ KÝ SỐ TRÊN HỌC BẠ ĐIỆN TỬ");
    if info.signers.is_empty() {
        doc.field(MARGIN, WIDTH, "", "Học bạ điện tử chưa có chữ ký số.");
        return;
    }
    let columns = [
        col("Vai trò", 150.0, Align::Left),
        col("Người ký", 215.0, Align::Left),
        col("Thời điểm ký", WIDTH - 365.0, Align::Left),
    ];
    let rows: Vec<Vec<String>> = info
        .signers
        .iter()
        .map(|s| vec![s.role.clone(), s.name.clone(), s.time.clone()])
        .collect();
    doc.table(&columns, &rows, 9.0);
}

/// The footer box: the conversion mark, who and when, how to look the original up, QR.
fn conversion_box(
    doc: &mut Doc,
    r: &Record,
    info: &PaperCopyInfo,
    qr: &(usize, Vec<bool>),
    attachment: &str,
) {
    let side = 84.0;
    // Room for the QR code or about seven lines of text, whichever is taller; the box
    // is drawn after the text so that it always encloses it.
    doc.ensure(side + 40.0);
    doc.down(10.0);
    let top = doc.y;
    let (width, modules) = qr;
    doc.qr(
        PAGE_W - MARGIN - side - 4.0,
        top - 4.0,
        side,
        *width,
        modules,
    );
    let text_w = WIDTH - side - 24.0;
    let x = MARGIN + 8.0;
    doc.y = top - 16.0;
    doc.text_at(
        x,
        doc.y,
        Weight::Bold,
        11.0,
        "Bản sao chuyển đổi từ học bạ điện tử",
    );
    doc.down(2.0);
    doc.field(x, text_w, "Đơn vị:", r.school.name.as_str());
    doc.field(
        x,
        text_w,
        "Người chuyển đổi:",
        &format!("{}, lúc {}", info.converted_by, info.converted_at),
    );
    doc.field(x, text_w, "Mã tra cứu:", &info.lookup_code);
    doc.field(x, text_w, "Tra cứu tại:", &info.lookup_url);
    doc.field(
        x,
        text_w,
        "",
        &format!("Quét mã QR hoặc nhập mã tra cứu để đối chiếu với bản gốc. Học bạ điện tử đã ký số được đính kèm trong tệp PDF này ({attachment})."),
    );
    let h = (top - doc.y + 6.0).max(side + 8.0);
    doc.y = top;
    doc.frame(h, 1.2);
    doc.y = top - h;
}

fn col(header: &str, width: f32, align: Align) -> Column<'_> {
    Column {
        header,
        width,
        align,
    }
}

fn period(p: &PrimaryPeriod) -> String {
    match p.test {
        Some(t) => format!("{} ({})", p.level.label(), t.get()),
        None => p.level.label().to_owned(),
    }
}

fn absences(a: record::Absences) -> String {
    format!(
        "{} ngày (có phép {}, không phép {})",
        a.total(),
        a.excused,
        a.unexcused
    )
}

/// `dd/mm/yyyy`, as Vietnamese forms write dates.
fn vn_date(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
}
