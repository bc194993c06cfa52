//! Vietnamese personal names and places, in NFC (precomposed) form.

use domain::Sex;

use crate::rng::Rng;

/// Family names with their rough frequency order.
const FAMILY: &[&str] = &[
    "Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan",
    "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trương",
];

const MIDDLE_MALE: &[&str] = &[
    "Văn", "Minh", "Đức", "Quang", "Gia", "Hoàng", "Thành", "Anh", "Bảo", "Nhật", "Tuấn", "Hữu",
    "Công",
];

const MIDDLE_FEMALE: &[&str] = &[
    "Thị", "Ngọc", "Thu", "Thùy", "Phương", "Khánh", "Bảo", "Minh", "Gia", "Hồng", "Mai", "Thanh",
    "Quỳnh",
];

const GIVEN_MALE: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Đạt", "Đức", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy", "Khang",
    "Khoa", "Khôi", "Kiên", "Lâm", "Long", "Minh", "Nam", "Nghĩa", "Nhân", "Phát", "Phong", "Phúc",
    "Quân", "Quang", "Sơn", "Tài", "Thắng", "Thịnh", "Toàn", "Trí", "Trung", "Tuấn", "Việt",
    "Vinh", "Vũ",
];

const GIVEN_FEMALE: &[&str] = &[
    "An", "Anh", "Ánh", "Chi", "Diệp", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hương", "Huyền",
    "Lan", "Linh", "Loan", "Ly", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhi", "Nhung", "Oanh",
    "Phương", "Quyên", "Tâm", "Thảo", "Thư", "Trang", "Trâm", "Uyên", "Vân", "Vy", "Yến",
];

/// Ethnic groups with a realistic weight towards Kinh.
pub const ETHNICITIES: &[&str] = &[
    "Kinh", "Kinh", "Kinh", "Kinh", "Kinh", "Kinh", "Kinh", "Kinh", "Kinh", "Tày", "Hoa", "Khmer",
    "Mường", "Chăm",
];

/// A full name `Họ Đệm Tên` for the given sex.
pub fn person(rng: &mut Rng, sex: Sex) -> String {
    let family = rng.pick(FAMILY);
    let (middle, given) = match sex {
        Sex::Male => (rng.pick(MIDDLE_MALE), rng.pick(GIVEN_MALE)),
        Sex::Female => (rng.pick(MIDDLE_FEMALE), rng.pick(GIVEN_FEMALE)),
    };
    format!("{family} {middle} {given}")
}

/// A residence address in the school's ward.
pub fn residence(rng: &mut Rng, ward: &str, city: &str) -> String {
    const STREETS: &[&str] = &[
        "Lê Lợi",
        "Trần Hưng Đạo",
        "Nguyễn Trãi",
        "Hai Bà Trưng",
        "Lý Thường Kiệt",
        "Điện Biên Phủ",
        "Pasteur",
        "Võ Văn Tần",
        "Nam Kỳ Khởi Nghĩa",
        "Cách Mạng Tháng Tám",
    ];
    format!(
        "Số {} đường {}, {ward}, {city}",
        rng.range(1, 299),
        rng.pick(STREETS)
    )
}
