//! The server-side permission check. Every handler that shows or changes school data
//! calls [`require`] with what it is about to do, before reading anything else; the
//! check looks at the account's roles *and* the database (school of the class, homeroom
//! teacher, subject assignments). The menu ([`Menu`]) only hides what a role cannot do;
//! it is never what protects a page.

use domain::StudentCode;
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
    /// Read or write the TT27 assessments ("Nhập đánh giá": levels, periodic tests,
    /// comments) of `subject` in a primary `class`: only a subject teacher assigned to
    /// exactly that class × subject, in their own school.
    EnterPrimaryAssessment {
        /// The class.
        class: ClassId,
        /// The subject.
        subject: &'a SubjectCode,
    },
    /// Read or write the qualities, competences and "Học sinh Tiêu biểu" of a primary
    /// class (TT27): only its homeroom teacher.
    EditPrimaryRatings {
        /// The class.
        class: ClassId,
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
    /// "Kết quả kiểm tra lại / rèn luyện hè" of a class (STORIES #16): its homeroom
    /// teacher or the principal of its school.
    EnterSummerResults {
        /// The class.
        class: ClassId,
    },
    /// A student's change history ("Lịch sử thay đổi"): the homeroom teacher of a class
    /// of the user's school the student is or was enrolled in, or the principal / admin
    /// of a school the student is or was enrolled in.
    ViewStudentHistory {
        /// The student.
        student: &'a StudentCode,
    },
    /// The school overview: principal, admin and clerk of the school.
    ViewSchoolOverview,
    /// Import class lists from Excel ("Nhập danh sách lớp"): the school admin.
    ImportClassList,
    /// List one's homeroom classes' records ("Học bạ lớp"): homeroom teachers.
    ListOwnClassRecords,
    /// See a class's records page (review and signing status): its homeroom teacher, or
    /// the principal / admin / clerk of its school.
    ViewClassRecords {
        /// The class.
        class: ClassId,
    },
    /// "Xác nhận tổng hợp": only the class's homeroom teacher.
    ReviewClass {
        /// The class.
        class: ClassId,
    },
    /// "Ký số học bạ lớp" as GVCN: only the class's homeroom teacher.
    SignAsHomeroom {
        /// The class.
        class: ClassId,
    },
    /// The signing dashboard ("Ký duyệt học bạ"): principal (centre director) and clerk.
    ViewSigningDashboard,
    /// "Ký hàng loạt" of a class as HT / GD: the principal of its school.
    BatchSign {
        /// The class.
        class: ClassId,
    },
    /// "Đóng dấu số" on a class's records: the clerk or principal of its school.
    ApplySeal {
        /// The class.
        class: ClassId,
    },
    /// "In bản sao giấy" of a record of the class (STORIES #17): the clerk or principal of
    /// its school.
    PrintPaperCopy {
        /// The class of the record.
        class: ClassId,
    },
    /// "Mở khóa" a record of the class: the principal of its school.
    UnlockRecord {
        /// The class of the record.
        class: ClassId,
    },
    /// A student's record versions and their XML: the homeroom teacher of one of the
    /// student's classes, or the principal / admin / clerk of a school the student is
    /// enrolled at.
    ViewStudentRecords {
        /// The student.
        student: &'a StudentCode,
    },
    /// "Đồng bộ CSDL": the school's sync page (STORIES #18): principal and clerk.
    ViewSync,
    /// "Gửi lại" a rejected record of the class to the registry: the principal or clerk
    /// of its school.
    ResendToRegistry {
        /// The class of the record.
        class: ClassId,
    },
    /// "Tài khoản giáo viên": list, create, reset and change the roles of the school's
    /// accounts: the school admin.
    ManageAccounts,
    /// "Phân công giảng dạy": the classes and who teaches them: the school admin.
    ManageTeaching,
    /// Set the homeroom teacher and subject teachers of `class`: the admin of its school.
    AssignTeaching {
        /// The class.
        class: ClassId,
    },
    /// "Quy trình ký": the signing chain of each level of the school: the school admin.
    ViewSigningChain,
    /// "Chưa có mã định danh": the school's students without a personal ID: the school
    /// admin.
    ListMissingPersonalIds,
    /// Enter the personal ID of a student of `class`: the admin of its school.
    EnterPersonalId {
        /// The class the student is enrolled in.
        class: ClassId,
    },
    /// "Năm học": list the school years and create the next one: the school admin.
    ManageSchoolYears,
    /// "Kết nối CSDL": set the school's registry token: the school admin.
    ManageRegistryLink,
    /// "Chứng thư số": upload the school's certificates and see the registry's decisions
    /// (STORIES #3): the school admin and the principal.
    ManageCertificates,
    /// "Đề nghị thu hồi" a synced record of the class and, once approved, "Lập phiên bản
    /// thay thế" (STORIES #15): the principal of its school.
    RevokeRecord {
        /// The class of the record.
        class: ClassId,
    },
    /// "Nhật ký thay đổi của trường": every audit entry made in the user's school: the
    /// school admin and the principal.
    ViewSchoolAudit,
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
        Permission::ImportClassList => has(Role::Admin).then(Grant::default),
        Permission::ManageRegistryLink => has(Role::Admin).then(Grant::default),
        Permission::ManageCertificates | Permission::ViewSchoolAudit => {
            (has(Role::Admin) || has(Role::Principal)).then(Grant::default)
        }
        Permission::RevokeRecord { class } => {
            if !has(Role::Principal) {
                return Ok(None);
            }
            own_class(class).await?.and_then(|c| grant(Some(c)))
        }
        Permission::ManageAccounts
        | Permission::ManageTeaching
        | Permission::ViewSigningChain
        | Permission::ListMissingPersonalIds
        | Permission::ManageSchoolYears => has(Role::Admin).then(Grant::default),
        Permission::AssignTeaching { class } | Permission::EnterPersonalId { class } => {
            if !has(Role::Admin) {
                return Ok(None);
            }
            own_class(class).await?.and_then(|c| grant(Some(c)))
        }
        Permission::EnterScores { class, subject }
        | Permission::EnterPrimaryAssessment { class, subject } => {
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
        Permission::ViewStudentHistory { student } => {
            let classes = match store.classes_of_student(student).await {
                Ok(list) => list,
                Err(store::Error::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(AppError::from(e)),
            };
            let lead = has(Role::Principal) || has(Role::Admin);
            classes
                .into_iter()
                .map(|(c, _)| c)
                .filter(|c| c.school == me.school)
                .rfind(|c| lead || (has(Role::Homeroom) && c.homeroom_teacher == Some(me.id)))
                .and_then(|c| grant(Some(c)))
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
        Permission::EnterSummerResults { class } => {
            let Some(c) = own_class(class).await? else {
                return Ok(None);
            };
            let homeroom = has(Role::Homeroom) && c.homeroom_teacher == Some(me.id);
            if homeroom || has(Role::Principal) {
                grant(Some(c))
            } else {
                None
            }
        }
        Permission::EditClassSummary { class }
        | Permission::EditPrimaryRatings { class }
        | Permission::ReviewClass { class }
        | Permission::SignAsHomeroom { class } => {
            let Some(c) = own_class(class).await? else {
                return Ok(None);
            };
            if has(Role::Homeroom) && c.homeroom_teacher == Some(me.id) {
                grant(Some(c))
            } else {
                None
            }
        }
        Permission::ListOwnClassRecords => has(Role::Homeroom).then(Grant::default),
        Permission::ViewClassRecords { class } => {
            let Some(c) = own_class(class).await? else {
                return Ok(None);
            };
            let homeroom = has(Role::Homeroom) && c.homeroom_teacher == Some(me.id);
            if homeroom || has(Role::Principal) || has(Role::Admin) || has(Role::Clerk) {
                grant(Some(c))
            } else {
                None
            }
        }
        Permission::ViewSigningDashboard | Permission::ViewSync => {
            (has(Role::Principal) || has(Role::Clerk)).then(Grant::default)
        }
        Permission::BatchSign { class } | Permission::UnlockRecord { class } => {
            let Some(c) = own_class(class).await? else {
                return Ok(None);
            };
            if has(Role::Principal) {
                grant(Some(c))
            } else {
                None
            }
        }
        Permission::ApplySeal { class }
        | Permission::ResendToRegistry { class }
        | Permission::PrintPaperCopy { class } => {
            let Some(c) = own_class(class).await? else {
                return Ok(None);
            };
            if has(Role::Principal) || has(Role::Clerk) {
                grant(Some(c))
            } else {
                None
            }
        }
        Permission::ViewStudentRecords { student } => {
            let classes = match store.classes_of_student(student).await {
                Ok(list) => list,
                Err(store::Error::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(AppError::from(e)),
            };
            let staff = has(Role::Principal) || has(Role::Admin) || has(Role::Clerk);
            classes
                .into_iter()
                .map(|(c, _)| c)
                .filter(|c| c.school == me.school)
                .filter(|c| staff || (has(Role::Homeroom) && c.homeroom_teacher == Some(me.id)))
                .max_by_key(|c| c.year)
                .map(|c| Grant { class: Some(c) })
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
        Permission::EnterPrimaryAssessment { .. } => {
            "xem hay nhập đánh giá môn học này của lớp này: bạn không được phân công giảng dạy"
        }
        Permission::EditPrimaryRatings { .. } => {
            "xem hay nhập phẩm chất, năng lực của lớp này: chỉ giáo viên chủ nhiệm của lớp được nhập"
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
        Permission::EnterSummerResults { .. } => {
            "nhập kết quả kiểm tra lại, rèn luyện hè của lớp này: chỉ giáo viên chủ nhiệm của lớp và hiệu trưởng của trường"
        }
        Permission::ViewStudentHistory { .. } => {
            "xem lịch sử thay đổi của học sinh này: chỉ giáo viên chủ nhiệm của học sinh, hiệu trưởng và quản trị của trường được xem"
        }
        Permission::ViewSchoolOverview => {
            "xem tổng quan nhà trường: chức năng dành cho hiệu trưởng, quản trị và văn thư"
        }
        Permission::ImportClassList => "nhập danh sách lớp: chức năng dành cho quản trị trường",
        Permission::ListOwnClassRecords => "xem học bạ lớp: chức năng dành cho giáo viên chủ nhiệm",
        Permission::ViewClassRecords { .. } => {
            "xem học bạ của lớp này: bạn không phải giáo viên chủ nhiệm của lớp hay cán bộ quản lý của trường"
        }
        Permission::ReviewClass { .. } => {
            "xác nhận tổng hợp lớp này: chỉ giáo viên chủ nhiệm của lớp được xác nhận"
        }
        Permission::SignAsHomeroom { .. } => {
            "ký số học bạ lớp này: chỉ giáo viên chủ nhiệm của lớp được ký"
        }
        Permission::ViewSigningDashboard => {
            "xem tình hình ký học bạ: chức năng dành cho hiệu trưởng (giám đốc trung tâm) và văn thư"
        }
        Permission::BatchSign { .. } => {
            "ký duyệt học bạ của lớp này: chỉ hiệu trưởng (giám đốc trung tâm) của trường được ký"
        }
        Permission::ApplySeal { .. } => {
            "đóng dấu số học bạ của lớp này: chỉ văn thư hoặc hiệu trưởng của trường"
        }
        Permission::PrintPaperCopy { .. } => {
            "in bản sao giấy học bạ này: chỉ văn thư hoặc hiệu trưởng của trường"
        }
        Permission::UnlockRecord { .. } => {
            "mở khóa học bạ này: chỉ hiệu trưởng (giám đốc trung tâm) của trường được mở khóa"
        }
        Permission::ViewStudentRecords { .. } => {
            "xem học bạ của học sinh này: bạn không phải giáo viên chủ nhiệm hay cán bộ quản lý của trường nơi học sinh học"
        }
        Permission::ViewSync => {
            "xem tình hình đồng bộ CSDL: chức năng dành cho hiệu trưởng (giám đốc trung tâm) và văn thư"
        }
        Permission::ResendToRegistry { .. } => {
            "gửi lại học bạ này lên CSDL: chỉ hiệu trưởng hoặc văn thư của trường"
        }
        Permission::ManageAccounts => {
            "quản lý tài khoản giáo viên: chức năng dành cho quản trị trường"
        }
        Permission::ManageTeaching => "phân công giảng dạy: chức năng dành cho quản trị trường",
        Permission::AssignTeaching { .. } => {
            "phân công giảng dạy cho lớp này: chỉ quản trị của trường có lớp"
        }
        Permission::ViewSigningChain => "xem quy trình ký: chức năng dành cho quản trị trường",
        Permission::ListMissingPersonalIds => {
            "xem danh sách học sinh chưa có mã định danh: chức năng dành cho quản trị trường"
        }
        Permission::EnterPersonalId { .. } => {
            "nhập mã định danh cho học sinh của lớp này: chỉ quản trị của trường có lớp"
        }
        Permission::ManageSchoolYears => "quản lý năm học: chức năng dành cho quản trị trường",
        Permission::ManageRegistryLink => {
            "cấu hình kết nối CSDL học bạ số: chức năng dành cho quản trị trường"
        }
        Permission::ManageCertificates => {
            "quản lý chứng thư số của trường: chức năng dành cho quản trị trường và hiệu trưởng"
        }
        Permission::RevokeRecord { .. } => {
            "đề nghị thu hồi hay lập phiên bản thay thế học bạ này: chỉ hiệu trưởng (giám đốc trung tâm) của trường"
        }
        Permission::ViewSchoolAudit => {
            "xem nhật ký thay đổi của trường: chức năng dành cho quản trị trường và hiệu trưởng"
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
    /// "Học bạ lớp": review and sign the homeroom classes' records.
    ClassRecords,
    /// "Ký duyệt học bạ": the signing dashboard, batch signing and the seal.
    Signing,
    /// "Đồng bộ CSDL": sending signed records to the registry, and the deadlines.
    Sync,
    /// "Quản trị": the school admin's pages (accounts, teaching, signing chain, personal
    /// IDs, school years).
    Admin,
    /// "Kết nối CSDL": the school's registry token.
    RegistryLink,
    /// "Chứng thư số": the school's certificates and the registry's decisions.
    Certificates,
    /// "Nhật ký thay đổi": the school's audit log (the principal's menu; the admin's is
    /// linked from "Quản trị").
    SchoolAudit,
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
        if has(Role::Homeroom) {
            items.push(Menu::ClassRecords);
        }
        if has(Role::Principal) || has(Role::Clerk) {
            items.push(Menu::Signing);
            items.push(Menu::Sync);
        }
        if has(Role::Admin) {
            items.push(Menu::Admin);
        }
        if has(Role::Admin) {
            items.push(Menu::RegistryLink);
        }
        if has(Role::Admin) || has(Role::Principal) {
            items.push(Menu::Certificates);
        }
        if has(Role::Principal) {
            items.push(Menu::SchoolAudit);
        }
        items
    }

    /// The Vietnamese label.
    pub fn label(self) -> &'static str {
        match self {
            Menu::EnterScores => "Nhập điểm",
            Menu::ClassSummary => "Tổng hợp kết quả",
            Menu::SchoolOverview => "Tổng quan nhà trường",
            Menu::ClassRecords => "Học bạ lớp",
            Menu::Signing => "Ký duyệt học bạ",
            Menu::Sync => "Đồng bộ CSDL",
            Menu::Admin => "Quản trị",
            Menu::RegistryLink => "Kết nối CSDL",
            Menu::Certificates => "Chứng thư số",
            Menu::SchoolAudit => "Nhật ký thay đổi",
        }
    }

    /// The page.
    pub fn href(self) -> &'static str {
        match self {
            Menu::EnterScores => "/scores",
            Menu::ClassSummary => "/classes",
            Menu::SchoolOverview => "/school",
            Menu::ClassRecords => "/records",
            Menu::Signing => "/signing",
            Menu::Sync => "/sync",
            Menu::Admin => "/admin",
            Menu::RegistryLink => "/registry",
            Menu::Certificates => "/certificates",
            Menu::SchoolAudit => "/school/audit",
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
            Menu::ClassRecords => {
                "Xác nhận tổng hợp khi đủ dữ liệu, rồi ký số học bạ của lớp chủ nhiệm."
            }
            Menu::Signing => {
                "Tình hình ký theo khối, lớp; ký hàng loạt, đóng dấu số, mở khóa học bạ."
            }
            Menu::Sync => {
                "Học bạ đã gửi, đã được CSDL chấp nhận hay bị từ chối, theo lớp; hạn đồng bộ 25/6 và 10/8."
            }
            Menu::Admin => {
                "Tài khoản giáo viên, phân công giảng dạy, quy trình ký, học sinh chưa có mã định danh, năm học."
            }
            Menu::RegistryLink => {
                "Mã truy cập của trường trên CSDL học bạ số, dùng để gửi học bạ và chứng thư số."
            }
            Menu::Certificates => {
                "Gửi chứng thư số (dấu, cá nhân) của trường lên CSDL và xem cơ quan quản lý đã phê duyệt chưa."
            }
            Menu::SchoolAudit => {
                "Mọi thay đổi tại trường: tài khoản, phân công, điểm, học bạ; lọc theo loại và người thực hiện."
            }
        }
    }
}
