//! The server-side permission check. Every handler that shows or changes school data
//! calls [`require`] with what it is about to do, before reading anything else; the
//! check looks at the account's roles *and* the database (school of the class, homeroom
//! teacher, subject assignments). The menu ([`Menu`]) only hides what a role cannot do;
//! it is never what protects a page.

use store::{Class, ClassId, Role, Store, SubjectCode};

use crate::auth::CurrentUser;
use crate::error::AppError;

/// What a handler is about to do.
#[derive(Debug, Clone, Copy)]
pub enum Permission<'a> {
    /// List one's own subject assignments ("Nhập điểm"): subject teachers.
    ListOwnAssignments,
    /// Read or write the scores of `subject` in `class`: only a subject teacher assigned
    /// to exactly that class × subject, in their own school.
    EnterScores {
        /// The class.
        class: ClassId,
        /// The subject.
        subject: &'a SubjectCode,
    },
    /// List one's own homeroom classes ("Tổng hợp kết quả"): homeroom teachers.
    ListOwnHomeroomClasses,
    /// Read a class summary: its homeroom teacher, or the principal / admin of its school.
    ViewClassSummary {
        /// The class.
        class: ClassId,
    },
    /// Enter conduct and absences of a class: only its homeroom teacher.
    EditClassSummary {
        /// The class.
        class: ClassId,
    },
    /// The school overview: principal, admin and clerk of the school.
    ViewSchoolOverview,
}

/// What a granted check found, so the handler does not read it twice.
#[derive(Debug, Clone, Default)]
pub struct Grant {
    /// The class the permission was about, if any.
    pub class: Option<Class>,
}

/// Checks `permission` for `user` against the database. `Ok` only when every condition
/// holds; otherwise [`AppError::Forbidden`] with a Vietnamese reason ("Bạn không có quyền
/// …"). A class that does not exist is refused the same way as another school's class,
/// so the answer does not reveal which ids exist.
pub async fn require(
    store: &Store,
    user: &CurrentUser,
    permission: Permission<'_>,
) -> Result<Grant, AppError> {
    match check(store, user, permission).await? {
        Some(grant) => Ok(grant),
        None => Err(AppError::forbidden(refusal(permission))),
    }
}

/// [`require`] as a yes/no, for showing or hiding a control (the action behind the
/// control still calls [`require`]).
pub async fn allows(
    store: &Store,
    user: &CurrentUser,
    permission: Permission<'_>,
) -> Result<bool, AppError> {
    Ok(check(store, user, permission).await?.is_some())
}

async fn check(
    store: &Store,
    user: &CurrentUser,
    permission: Permission<'_>,
) -> Result<Option<Grant>, AppError> {
    let me = &user.teacher;
    let has = |role: Role| me.roles.contains(&role);
    let own_class = |class: ClassId| async move {
        match store.class(class).await {
            Ok(c) if c.school == me.school => Ok(Some(c)),
            Ok(_) | Err(store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(AppError::from(e)),
        }
    };
    let grant = |class: Option<Class>| Some(Grant { class });
    Ok(match permission {
        Permission::ListOwnAssignments => has(Role::SubjectTeacher).then(Grant::default),
        Permission::ListOwnHomeroomClasses => has(Role::Homeroom).then(Grant::default),
        Permission::ViewSchoolOverview => {
            (has(Role::Principal) || has(Role::Admin) || has(Role::Clerk)).then(Grant::default)
        }
        Permission::EnterScores { class, subject } => {
            if !has(Role::SubjectTeacher) {
                return Ok(None);
            }
            let Some(c) = own_class(class).await? else {
                return Ok(None);
            };
            let assigned = store
                .assignments_of_class(class)
                .await?
                .iter()
                .any(|a| a.teacher == me.id && &a.subject == subject);
            if assigned { grant(Some(c)) } else { None }
        }
        Permission::ViewClassSummary { class } => {
            let Some(c) = own_class(class).await? else {
                return Ok(None);
            };
            let homeroom = has(Role::Homeroom) && c.homeroom_teacher == Some(me.id);
            if homeroom || has(Role::Principal) || has(Role::Admin) {
                grant(Some(c))
            } else {
                None
            }
        }
        Permission::EditClassSummary { class } => {
            let Some(c) = own_class(class).await? else {
                return Ok(None);
            };
            if has(Role::Homeroom) && c.homeroom_teacher == Some(me.id) {
                grant(Some(c))
            } else {
                None
            }
        }
    })
}

/// The end of "Bạn không có quyền …" for a refused permission.
fn refusal(permission: Permission<'_>) -> &'static str {
    match permission {
        Permission::ListOwnAssignments => "nhập điểm: chức năng dành cho giáo viên bộ môn",
        Permission::EnterScores { .. } => {
            "xem hay nhập điểm môn học này của lớp này: bạn không được phân công giảng dạy"
        }
        Permission::ListOwnHomeroomClasses => {
            "xem tổng hợp kết quả: chức năng dành cho giáo viên chủ nhiệm"
        }
        Permission::ViewClassSummary { .. } => {
            "xem tổng hợp kết quả của lớp này: bạn không phải giáo viên chủ nhiệm của lớp"
        }
        Permission::EditClassSummary { .. } => {
            "nhập kết quả rèn luyện hay số ngày nghỉ của lớp này: chỉ giáo viên chủ nhiệm của lớp được nhập"
        }
        Permission::ViewSchoolOverview => {
            "xem tổng quan nhà trường: chức năng dành cho hiệu trưởng, quản trị và văn thư"
        }
    }
}

/// An entry of the menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Menu {
    /// "Nhập điểm".
    EnterScores,
    /// "Tổng hợp kết quả".
    ClassSummary,
    /// "Tổng quan nhà trường".
    SchoolOverview,
}

impl Menu {
    /// The entries whose pages the roles can open (the pages check again on the server).
    pub fn for_roles(roles: &[Role]) -> Vec<Menu> {
        let has = |r: Role| roles.contains(&r);
        let mut items = Vec::new();
        if has(Role::SubjectTeacher) {
            items.push(Menu::EnterScores);
        }
        if has(Role::Homeroom) {
            items.push(Menu::ClassSummary);
        }
        if has(Role::Principal) || has(Role::Admin) || has(Role::Clerk) {
            items.push(Menu::SchoolOverview);
        }
        items
    }

    /// The Vietnamese label.
    pub fn label(self) -> &'static str {
        match self {
            Menu::EnterScores => "Nhập điểm",
            Menu::ClassSummary => "Tổng hợp kết quả",
            Menu::SchoolOverview => "Tổng quan nhà trường",
        }
    }

    /// The page.
    pub fn href(self) -> &'static str {
        match self {
            Menu::EnterScores => "/scores",
            Menu::ClassSummary => "/classes",
            Menu::SchoolOverview => "/school",
        }
    }

    /// One sentence on what the page is for (home page cards).
    pub fn blurb(self) -> &'static str {
        match self {
            Menu::EnterScores => {
                "Nhập điểm thường xuyên, giữa kì, cuối kì và nhận xét cho các lớp, môn bạn được phân công."
            }
            Menu::ClassSummary => {
                "Xem kết quả cả lớp chủ nhiệm, nhập kết quả rèn luyện và số ngày nghỉ, xem những gì còn thiếu."
            }
            Menu::SchoolOverview => {
                "Danh sách lớp của trường, sĩ số và số học sinh chưa có mã định danh."
            }
        }
    }
}
