//! "Quy trình ký" (STORIES #3): the signing chain of each level the school teaches, as
//! the server enforces it (`record::chain::default_chain`), with who holds each step in
//! this school. Read-only: the order is fixed by the record format (GVCN → Hiệu trưởng or
//! Giám đốc trung tâm → Dấu đơn vị), and the registry refuses any other order.

use std::fmt::Write;

use axum::extract::State;
use record::chain::{SignerRole, default_chain};
use store::Role;

use super::back;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::html::{Page, esc, page};
use crate::permission::{Permission, require};

/// `GET /admin/signing-chain`: one table per level of the school: step, signer role and
/// code, who signs in this school, and whether the server is set up for it.
pub async fn chain(State(app): State<AppState>, user: CurrentUser) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ViewSigningChain).await?;
    let staff = app.store().teachers_of_school(user.teacher.school).await?;
    let principals: Vec<String> = staff
        .iter()
        .filter(|t| t.roles.contains(&Role::Principal))
        .map(|t| format!("{} ({})", t.full_name, t.username))
        .collect();
    let config = app.config();
    let seal = crate::signing::seal_key_for(&app, &user.school).map(|key| {
        let whose = if config.seals.contains_key(&user.school.code) {
            "riêng của trường"
        } else {
            "mặc định của máy chủ"
        };
        let subject = key
            .subject()
            .unwrap_or_else(|| "không đọc được chứng thư".to_owned());
        format!(
            "Chứng thư số của đơn vị ({whose}, chủ thể: {subject}), đã cấu hình trên máy chủ; văn thư hoặc hiệu trưởng đóng dấu."
        )
    });
    let mut body = String::from(
        r#"<p>Mỗi học bạ số được ký theo đúng thứ tự dưới đây; trước mỗi lần ký, máy chủ kiểm tra các chữ ký đã có theo kho chứng thư gốc tin cậy, và CSDL học bạ từ chối học bạ ký sai thứ tự. Thứ tự này do định dạng học bạ quy định, không thay đổi được trên trang này.</p>"#,
    );
    for level in &user.school.levels {
        let _ = write!(
            body,
            r#"<h2>{level}</h2>
<table class="list"><thead><tr><th>Bước</th><th>Người ký</th><th>Mã</th><th>Trong trường</th></tr></thead><tbody>"#,
            level = esc(level.name_vi()),
        );
        for (i, role) in default_chain(*level).into_iter().enumerate() {
            let who = match role {
                SignerRole::Homeroom => {
                    "Giáo viên chủ nhiệm của từng lớp (xem Phân công giảng dạy), ký bằng chứng thư số cá nhân.".to_owned()
                }
                SignerRole::Principal | SignerRole::Director if principals.is_empty() => {
                    "Chưa có tài khoản nào có vai trò Hiệu trưởng (Giám đốc).".to_owned()
                }
                SignerRole::Principal | SignerRole::Director => format!(
                    "{}, ký hàng loạt bằng chứng thư số cá nhân.",
                    principals.join(", ")
                ),
                SignerRole::Seal => seal.clone().unwrap_or_else(|| {
                    "Chứng thư số của đơn vị: máy chủ chưa được cấu hình (chưa đóng dấu được).".to_owned()
                }),
            };
            let _ = write!(
                body,
                "<tr><td>{step}</td><td>{name}</td><td><code>{code}</code></td><td>{who}</td></tr>",
                step = i + 1,
                name = esc(role.name_vi()),
                code = esc(role.code()),
                who = esc(&who),
            );
        }
        body.push_str("</tbody></table>");
    }
    body.push_str(
        "<p>Chứng thư số của trường (dấu đơn vị và chứng thư cá nhân) được khai báo ở mục «Chứng thư số» và chờ cơ quan quản lý phê duyệt trước khi CSDL học bạ chấp nhận chữ ký.</p>",
    );
    if config.trust_roots_pem.is_none() {
        body.push_str(r#"<p class="warn">Máy chủ chưa có kho chứng thư gốc tin cậy: mọi thao tác ký đều bị từ chối cho đến khi được cấu hình.</p>"#);
    }
    body.push_str(back());
    Ok(page(&user, config.demo, "Quy trình ký", &body))
}
