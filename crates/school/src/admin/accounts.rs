//! "Tài khoản giáo viên" (STORIES #2): the school's accounts and their roles, creating an
//! account, resetting passwords, and "In mật khẩu lần đầu".
//!
//! A first-login password is drawn from the operating system's random source, hashed
//! with argon2id and stored only as that hash (with the mark that it was issued, so the
//! account must change it at its next login). The clear password appears exactly once:
//! in the response to the POST that issued it, a page that is never cached.

use std::collections::HashSet;
use std::fmt::Write;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use store::{NewTeacher, Role, Teacher, TeacherId};
use unicode_normalization::UnicodeNormalization;

use super::{back, field, form_pairs};
use crate::AppState;
use crate::auth::{CurrentUser, random_hex};
use crate::error::AppError;
use crate::history::stamp;
use crate::html::{Page, csrf_field, esc, page, role_label};
use crate::permission::{Permission, require};

/// The roles an admin can give, in the order the forms show them.
const ROLES: [Role; 5] = [
    Role::Homeroom,
    Role::SubjectTeacher,
    Role::Principal,
    Role::Clerk,
    Role::Admin,
];

/// Characters of a first-login password: lowercase letters and digits without the ones
/// people confuse on paper (i, l, o, 0, 1).
const PASSWORD_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Characters of a first-login password, before the dashes (12 × log2(31) ≈ 59 bits).
const PASSWORD_CHARS: usize = 12;

/// `GET /admin/accounts`: the school's accounts, the form to create one and the
/// "Cấp lại mật khẩu" action on the selected accounts.
pub async fn list(State(app): State<AppState>, user: CurrentUser) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ManageAccounts).await?;
    list_page(&app, &user, StatusCode::OK, None, &Draft::default()).await
}

/// `POST /admin/accounts`: creates an account with the roles ticked and a first-login
/// password, then shows "In mật khẩu lần đầu". Invalid input re-shows the form (422)
/// with a Vietnamese reason and creates nothing.
pub async fn create(
    State(app): State<AppState>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ManageAccounts).await?;
    let pairs = form_pairs(&body)?;
    let draft = Draft {
        full_name: field(&pairs, "full_name")
            .unwrap_or_default()
            .trim()
            .nfc()
            .collect(),
        username: field(&pairs, "username")
            .unwrap_or_default()
            .trim()
            .to_lowercase(),
        roles: roles_of(&pairs),
    };
    let problem = match (
        full_name_problem(&draft.full_name),
        username_problem(&draft.username),
    ) {
        (Some(p), _) | (None, Some(p)) => Some(p),
        (None, None) if draft.roles.is_empty() => Some("Hãy chọn ít nhất một vai trò.".to_owned()),
        (None, None) => None,
    };
    let problem = match problem {
        Some(p) => Some(p),
        None => app
            .store()
            .teacher_by_username(&draft.username)
            .await?
            .map(|_| taken(&draft.username)),
    };
    if let Some(problem) = problem {
        return list_page(
            &app,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some((&problem, false)),
            &draft,
        )
        .await;
    }
    let password = first_login_password()?;
    let hash = hash(&password).await?;
    let created = app
        .store()
        .create_account_audited(
            &NewTeacher {
                school: user.teacher.school,
                full_name: draft.full_name.clone(),
                username: draft.username.clone(),
                roles: draft.roles.clone(),
                password_hash: Some(hash),
            },
            &stamp(&user),
        )
        .await;
    match created {
        Ok(_) => {}
        // Taken between the check and the insert.
        Err(store::Error::Conflict { .. }) => {
            return list_page(
                &app,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((&taken(&draft.username), false)),
                &draft,
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(admin = %user.teacher.username, username = %draft.username, "account created");
    Ok(print_page(
        &app,
        &user,
        "Đã tạo tài khoản.",
        &[Issued {
            full_name: draft.full_name,
            username: draft.username,
            roles: draft.roles,
            password,
        }],
    ))
}

/// `POST /admin/accounts/reset`: issues a new first-login password to every selected
/// account (`teacher` fields) of the school in one transaction, ends their sessions and
/// shows "In mật khẩu lần đầu". An account of another school refuses the whole request.
pub async fn reset(
    State(app): State<AppState>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ManageAccounts).await?;
    let chosen = match chosen_accounts(&app, &user, &body, "cấp lại mật khẩu").await? {
        Ok(chosen) => chosen,
        Err(refused) => return Ok(refused),
    };
    let mut issued = Vec::new();
    let mut hashes = Vec::new();
    for t in chosen {
        let password = first_login_password()?;
        hashes.push((t.id, hash(&password).await?));
        issued.push(Issued {
            full_name: t.full_name.clone(),
            username: t.username.clone(),
            roles: t.roles.clone(),
            password,
        });
    }
    app.store()
        .reset_passwords_audited(&hashes, &stamp(&user))
        .await?;
    tracing::info!(admin = %user.teacher.username, count = issued.len(), "passwords reset");
    Ok(print_page(
        &app,
        &user,
        "Đã cấp lại mật khẩu; các phiên đăng nhập của những tài khoản này đã được đóng.",
        &issued,
    ))
}

/// `POST /admin/accounts/lock`: "Khóa tài khoản" for every selected account (`teacher`
/// fields) of the school, in one transaction: their passwords are removed (they cannot
/// log in) and their sessions ended; nothing else changes. "Cấp lại mật khẩu" opens an
/// account again. An account of another school refuses the whole request.
pub async fn lock(
    State(app): State<AppState>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ManageAccounts).await?;
    let chosen = match chosen_accounts(&app, &user, &body, "khóa").await? {
        Ok(chosen) => chosen,
        Err(refused) => return Ok(refused),
    };
    let ids: Vec<TeacherId> = chosen.iter().map(|t| t.id).collect();
    app.store()
        .lock_accounts_audited(&ids, &stamp(&user))
        .await?;
    tracing::info!(admin = %user.teacher.username, count = ids.len(), "accounts locked");
    let names: Vec<String> = chosen
        .iter()
        .map(|t| format!("{} ({})", t.full_name, t.username))
        .collect();
    let done = format!(
        "Đã khóa {} tài khoản: {}. Muốn mở lại, hãy cấp lại mật khẩu.",
        names.len(),
        names.join(", ")
    );
    list_page(
        &app,
        &user,
        StatusCode::OK,
        Some((&done, true)),
        &Draft::default(),
    )
    .await
}

/// `GET /admin/accounts/{id}`: one account of the school: its roles (editable) and
/// "Cấp lại mật khẩu".
pub async fn account(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ManageAccounts).await?;
    let teacher = own_account(&app, &user, id).await?;
    Ok(account_page(&app, &user, &teacher, StatusCode::OK, None))
}

/// `POST /admin/accounts/{id}/roles`: replaces the account's roles with those ticked.
/// At least one role; an admin cannot take the admin role away from themselves.
pub async fn set_roles(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ManageAccounts).await?;
    let teacher = own_account(&app, &user, id).await?;
    let pairs = form_pairs(&body)?;
    let roles = roles_of(&pairs);
    let problem = if roles.is_empty() {
        Some("Hãy chọn ít nhất một vai trò.")
    } else if teacher.id == user.teacher.id && !roles.contains(&Role::Admin) {
        Some("Bạn không thể bỏ vai trò Quản trị trường của chính mình.")
    } else {
        None
    };
    if let Some(problem) = problem {
        return Ok(account_page(
            &app,
            &user,
            &teacher,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some((problem, false)),
        ));
    }
    app.store()
        .set_account_roles_audited(teacher.id, &roles, &stamp(&user))
        .await?;
    let teacher = app.store().teacher(teacher.id).await?;
    Ok(account_page(
        &app,
        &user,
        &teacher,
        StatusCode::OK,
        Some(("Đã lưu vai trò.", true)),
    ))
}

/// The create form's values, kept when the form is shown again with a problem.
#[derive(Default)]
struct Draft {
    full_name: String,
    username: String,
    roles: Vec<Role>,
}

/// One account whose first-login password is on the page being printed.
struct Issued {
    full_name: String,
    username: String,
    roles: Vec<Role>,
    password: String,
}

async fn list_page(
    app: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    notice: Option<(&str, bool)>,
    draft: &Draft,
) -> Result<Page, AppError> {
    let store = app.store();
    let staff = store.teachers_of_school(user.teacher.school).await?;
    let awaiting: HashSet<TeacherId> = store
        .accounts_awaiting_first_login(user.teacher.school)
        .await?
        .into_iter()
        .collect();
    let csrf = csrf_field(&user.session.csrf_token);
    let mut body = String::new();
    if let Some((text, ok)) = notice {
        let class = if ok { "ok" } else { "error-message" };
        let _ = write!(body, r#"<p class="{class}">{}</p>"#, esc(text));
    }
    let _ = write!(
        body,
        r#"<h2>Tài khoản của trường ({n})</h2>
<form method="post" action="/admin/accounts/reset">{csrf}
<table class="list"><thead><tr><th>Chọn</th><th>Họ và tên</th><th>Tên đăng nhập</th><th>Vai trò</th><th>Mật khẩu</th></tr></thead><tbody>"#,
        n = staff.len(),
    );
    for t in &staff {
        let state = if t.password_hash.is_none() {
            "Đã khóa (không có mật khẩu)"
        } else if awaiting.contains(&t.id) {
            "Chưa đổi mật khẩu lần đầu"
        } else {
            "Đã đặt"
        };
        let roles: Vec<&str> = t.roles.iter().map(|r| role_label(*r)).collect();
        let _ = write!(
            body,
            r#"<tr><td><input type="checkbox" name="teacher" value="{id}" aria-label="Chọn {name}"></td><td><a href="/admin/accounts/{id}">{name}</a></td><td>{username}</td><td>{roles}</td><td>{state}</td></tr>"#,
            id = t.id.0,
            name = esc(&t.full_name),
            username = esc(&t.username),
            roles = esc(&roles.join(", ")),
        );
    }
    body.push_str(
        r#"</tbody></table>
<p><button type="submit">Cấp lại mật khẩu cho các tài khoản đã chọn</button> <button type="submit" formaction="/admin/accounts/lock">Khóa các tài khoản đã chọn</button></p>
<p><small>Mật khẩu mới chỉ hiện một lần, trên trang «In mật khẩu lần đầu»; người dùng phải đổi mật khẩu khi đăng nhập. Tài khoản bị khóa không đăng nhập được (dữ liệu và lịch sử vẫn giữ); cấp lại mật khẩu để mở lại.</small></p>
</form>"#,
    );
    let _ = write!(
        body,
        r#"<h2>Tạo tài khoản</h2>
<form method="post" action="/admin/accounts" class="stacked">{csrf}
<label>Họ và tên <input name="full_name" value="{full_name}" maxlength="200" required></label>
<label>Tên đăng nhập (chữ thường không dấu, chữ số, dấu chấm, gạch dưới, gạch ngang; 3–64 kí tự) <input name="username" value="{username}" maxlength="64" autocomplete="off" required></label>
<fieldset><legend>Vai trò</legend>{roles}</fieldset>
<button type="submit">Tạo tài khoản và in mật khẩu lần đầu</button>
</form>{back}"#,
        full_name = esc(&draft.full_name),
        username = esc(&draft.username),
        roles = role_boxes(&draft.roles),
        back = back(),
    );
    let mut p = page(user, app.config().demo, "Tài khoản giáo viên", &body);
    p.status = status;
    Ok(p)
}

fn account_page(
    app: &AppState,
    user: &CurrentUser,
    teacher: &Teacher,
    status: StatusCode,
    notice: Option<(&str, bool)>,
) -> Page {
    let csrf = csrf_field(&user.session.csrf_token);
    let mut body = String::new();
    if let Some((text, ok)) = notice {
        let class = if ok { "ok" } else { "error-message" };
        let _ = write!(body, r#"<p class="{class}">{}</p>"#, esc(text));
    }
    let _ = write!(
        body,
        r#"<p><strong>{name}</strong> — tên đăng nhập <code>{username}</code></p>
<h2>Vai trò</h2>
<form method="post" action="/admin/accounts/{id}/roles" class="stacked">{csrf}
<fieldset><legend>Vai trò</legend>{roles}</fieldset>
<button type="submit">Lưu vai trò</button>
</form>
<h2>Mật khẩu</h2>
<form method="post" action="/admin/accounts/reset">{csrf}<input type="hidden" name="teacher" value="{id}">
<button type="submit">Cấp lại mật khẩu lần đầu</button> <button type="submit" formaction="/admin/accounts/lock">Khóa tài khoản</button> <small>Cả hai đều đóng các phiên đăng nhập của tài khoản; sau khi cấp lại, người dùng phải đổi mật khẩu khi đăng nhập.</small>
</form>
<p><a href="/admin/accounts">← Tài khoản giáo viên</a></p>"#,
        id = teacher.id.0,
        name = esc(&teacher.full_name),
        username = esc(&teacher.username),
        roles = role_boxes(&teacher.roles),
    );
    let mut p = page(user, app.config().demo, "Tài khoản giáo viên", &body);
    p.status = status;
    p
}

/// "In mật khẩu lần đầu": the accounts whose passwords were just issued, to print and
/// hand out. The only place a clear password ever appears.
fn print_page(app: &AppState, user: &CurrentUser, done: &str, issued: &[Issued]) -> Page {
    let mut body = format!(
        r#"<p class="ok">{done}</p>
<p class="warn">Mật khẩu dưới đây chỉ hiện <strong>một lần</strong>: máy chủ chỉ lưu bản băm nên không thể xem lại. Hãy in trang này (Ctrl+P) và trao tận tay từng người. Khi đăng nhập lần đầu, mỗi người phải đổi mật khẩu.</p>
<p>{school}</p>
<table class="list print"><thead><tr><th>STT</th><th>Họ và tên</th><th>Vai trò</th><th>Tên đăng nhập</th><th>Mật khẩu lần đầu</th></tr></thead><tbody>"#,
        done = esc(done),
        school = esc(&user.school.name),
    );
    for (i, a) in issued.iter().enumerate() {
        let roles: Vec<&str> = a.roles.iter().map(|r| role_label(*r)).collect();
        let _ = write!(
            body,
            r#"<tr><td>{n}</td><td>{name}</td><td>{roles}</td><td><code>{username}</code></td><td><code class="password">{password}</code></td></tr>"#,
            n = i + 1,
            name = esc(&a.full_name),
            roles = esc(&roles.join(", ")),
            username = esc(&a.username),
            password = esc(&a.password),
        );
    }
    body.push_str(r#"</tbody></table><p><a href="/admin/accounts">← Tài khoản giáo viên</a></p>"#);
    page(user, app.config().demo, "In mật khẩu lần đầu", &body)
}

/// The accounts ticked in a bulk form (`teacher` fields), each once, in the school's
/// order. `Ok(Err(page))`: nothing chosen, or the user among them (422 list page with the
/// reason). An id that is not an account of the user's school is a 403 for the whole
/// request.
async fn chosen_accounts(
    app: &AppState,
    user: &CurrentUser,
    body: &Bytes,
    action: &str,
) -> Result<Result<Vec<Teacher>, Page>, AppError> {
    let pairs = form_pairs(body)?;
    let staff = app.store().teachers_of_school(user.teacher.school).await?;
    let mut wanted = HashSet::new();
    for (_, value) in pairs.iter().filter(|(k, _)| k == "teacher") {
        let id = value.trim().parse::<i64>().ok().map(TeacherId);
        match id.filter(|id| staff.iter().any(|t| t.id == *id)) {
            Some(id) => {
                wanted.insert(id);
            }
            None => {
                return Err(AppError::forbidden(&format!(
                    "{action} tài khoản này: tài khoản không thuộc trường của bạn"
                )));
            }
        }
    }
    let problem = if wanted.is_empty() {
        Some(format!("Hãy chọn ít nhất một tài khoản để {action}."))
    } else if wanted.contains(&user.teacher.id) {
        Some(format!(
            "Bạn không thể tự {action} tài khoản của mình; hãy dùng «Đổi mật khẩu» nếu cần."
        ))
    } else {
        None
    };
    if let Some(problem) = problem {
        let page = list_page(
            app,
            user,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some((&problem, false)),
            &Draft::default(),
        )
        .await?;
        return Ok(Err(page));
    }
    Ok(Ok(staff
        .into_iter()
        .filter(|t| wanted.contains(&t.id))
        .collect()))
}

/// The account `id` if it belongs to the user's school; otherwise 403, the same answer
/// for an id that does not exist.
async fn own_account(app: &AppState, user: &CurrentUser, id: i64) -> Result<Teacher, AppError> {
    match app.store().teacher(TeacherId(id)).await {
        Ok(t) if t.school == user.teacher.school => Ok(t),
        Ok(_) | Err(store::Error::NotFound { .. }) => Err(AppError::forbidden(
            "quản lý tài khoản này: tài khoản không thuộc trường của bạn",
        )),
        Err(e) => Err(e.into()),
    }
}

/// The check boxes of [`ROLES`], `checked` ticked.
fn role_boxes(checked: &[Role]) -> String {
    let mut out = String::new();
    for role in ROLES {
        let _ = write!(
            out,
            r#"<label class="inline"><input type="checkbox" name="role" value="{code}"{on}> {label}</label> "#,
            code = role.code(),
            on = if checked.contains(&role) {
                " checked"
            } else {
                ""
            },
            label = role_label(role),
        );
    }
    out
}

/// The roles ticked in a form (`role` fields); unknown codes are ignored.
fn roles_of(pairs: &[(String, String)]) -> Vec<Role> {
    let mut roles: Vec<Role> = pairs
        .iter()
        .filter(|(k, _)| k == "role")
        .filter_map(|(_, v)| Role::from_code(v))
        .filter(|r| ROLES.contains(r))
        .collect();
    roles.sort();
    roles.dedup();
    roles
}

fn full_name_problem(name: &str) -> Option<String> {
    let n = name.chars().count();
    if n == 0 {
        Some("Hãy nhập họ và tên.".to_owned())
    } else if n > 200 {
        Some("Họ và tên dài quá 200 kí tự.".to_owned())
    } else if name.chars().any(char::is_control) {
        Some("Họ và tên có kí tự không hợp lệ.".to_owned())
    } else {
        None
    }
}

fn username_problem(username: &str) -> Option<String> {
    let n = username.chars().count();
    let allowed =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
    if !(3..=64).contains(&n) {
        Some("Tên đăng nhập phải có từ 3 đến 64 kí tự.".to_owned())
    } else if !username.chars().all(allowed)
        || !username.starts_with(|c: char| c.is_ascii_alphanumeric())
    {
        Some(format!(
            "Tên đăng nhập «{username}» không hợp lệ: chỉ dùng chữ thường không dấu, chữ số, dấu chấm, gạch dưới, gạch ngang, và bắt đầu bằng chữ hoặc số."
        ))
    } else {
        None
    }
}

fn taken(username: &str) -> String {
    format!("Tên đăng nhập «{username}» đã có người dùng; hãy chọn tên khác. Chưa có gì được lưu.")
}

/// A random first-login password, `xxxx-xxxx-xxxx` over [`PASSWORD_ALPHABET`]: easy to
/// read from paper and type, at least [`crate::auth::MIN_PASSWORD_CHARS`] long.
fn first_login_password() -> Result<String, AppError> {
    let mut chars = Vec::with_capacity(PASSWORD_CHARS);
    while chars.len() < PASSWORD_CHARS {
        let bytes = hex::decode(random_hex(32)?)
            .map_err(|e| AppError::Internal(format!("random bytes: {e}")))?;
        // Rejection sampling: 248 = 8 × 31, so every character is equally likely.
        for b in bytes.into_iter().filter(|b| *b < 248) {
            if chars.len() == PASSWORD_CHARS {
                break;
            }
            chars.push(char::from(
                PASSWORD_ALPHABET[usize::from(b) % PASSWORD_ALPHABET.len()],
            ));
        }
    }
    let groups: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
    Ok(groups.join("-"))
}

/// The argon2id hash of `password`, computed off the async runtime.
async fn hash(password: &str) -> Result<String, AppError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || crate::hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(format!("password hash task: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_login_passwords_are_long_readable_and_different() {
        let a = first_login_password().unwrap();
        let b = first_login_password().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 14);
        assert!(a.chars().count() >= crate::auth::MIN_PASSWORD_CHARS);
        for (i, c) in a.chars().enumerate() {
            if i % 5 == 4 {
                assert_eq!(c, '-');
            } else {
                assert!(PASSWORD_ALPHABET.contains(&(c as u8)), "{a}");
            }
        }
    }

    #[test]
    fn usernames_are_checked() {
        assert_eq!(username_problem("gv.toan"), None);
        assert_eq!(username_problem("nguyen-van_a2"), None);
        assert!(username_problem("ab").is_some());
        assert!(username_problem("Nguyễn").is_some());
        assert!(username_problem(".gv").is_some());
        assert!(username_problem("gv toan").is_some());
    }
}
