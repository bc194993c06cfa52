//! Vietnamese alphabetical order for names and labels.
//!
//! The Vietnamese alphabet orders letters `a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t
//! u ư v x y`; tones are a secondary difference, ordered as dictionaries do: ngang,
//! huyền, hỏi, ngã, sắc, nặng. Case is a tertiary difference. Class lists are sorted by
//! given name (the last word), then by the rest of the name (family and middle names),
//! which is how Vietnamese schools print them.

use std::cmp::Ordering;

/// Letters with diacritics, each row a base letter followed by its five toned forms in
/// tone order (huyền, hỏi, ngã, sắc, nặng).
const TONED: [(&str, char); 12] = [
    ("aàảãáạ", 'a'),
    ("ăằẳẵắặ", 'ă'),
    ("âầẩẫấậ", 'â'),
    ("eèẻẽéẹ", 'e'),
    ("êềểễếệ", 'ê'),
    ("iìỉĩíị", 'i'),
    ("oòỏõóọ", 'o'),
    ("ôồổỗốộ", 'ô'),
    ("ơờởỡớợ", 'ơ'),
    ("uùủũúụ", 'u'),
    ("ưừửữứự", 'ư'),
    ("yỳỷỹýỵ", 'y'),
];

/// Base letters in Vietnamese alphabetical order; f, j, w, z (foreign names) are placed
/// where the Latin alphabet puts them.
const ALPHABET: &str = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz";

/// The collation weights of one character: (primary, tone, lowercase-first case bit).
fn weights(c: char) -> (u32, u8, u8) {
    let is_upper = c.is_uppercase();
    let lower = c.to_lowercase().next().unwrap_or(c);
    let (base, tone) = TONED
        .iter()
        .find_map(|(row, base)| {
            row.chars()
                .position(|x| x == lower)
                .map(|i| (*base, i as u8))
        })
        .unwrap_or((lower, 0));
    let primary = match ALPHABET.chars().position(|x| x == base) {
        // Letters come after digits and punctuation, which keep their code point order.
        Some(i) => 0x11_0000 + i as u32,
        None => u32::from(base),
    };
    (primary, tone, u8::from(is_upper))
}

/// Compares two strings in Vietnamese alphabetical order: letters first, then tones,
/// then case; text is expected in NFC (precomposed) form.
pub fn compare(a: &str, b: &str) -> Ordering {
    let wa: Vec<_> = a.chars().map(weights).collect();
    let wb: Vec<_> = b.chars().map(weights).collect();
    let level = |f: fn(&(u32, u8, u8)) -> u32| wa.iter().map(f).cmp(wb.iter().map(f));
    level(|w| w.0)
        .then_with(|| level(|w| u32::from(w.1)))
        .then_with(|| level(|w| u32::from(w.2)))
}

/// Compares two full names (`Họ Đệm Tên`) the way a class list is sorted: by given name
/// (the last word), then by the whole name.
pub fn compare_names(a: &str, b: &str) -> Ordering {
    let given = |s: &str| s.split_whitespace().last().unwrap_or("").to_string();
    compare(&given(a), &given(b)).then_with(|| compare(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut v: Vec<&str>, f: fn(&str, &str) -> Ordering) -> Vec<&str> {
        v.sort_by(|a, b| f(a, b));
        v
    }

    #[test]
    fn letters_follow_the_vietnamese_alphabet() {
        assert_eq!(
            sorted(
                vec!["đ", "d", "â", "ă", "a", "ơ", "ô", "o", "ư", "u", "e", "ê"],
                compare
            ),
            ["a", "ă", "â", "d", "đ", "e", "ê", "o", "ô", "ơ", "u", "ư"]
        );
        // Đ sorts after every word in D, whatever follows.
        assert_eq!(
            sorted(vec!["Đan", "Dung", "Duy"], compare),
            ["Dung", "Duy", "Đan"]
        );
    }

    #[test]
    fn tones_are_a_secondary_difference_in_dictionary_order() {
        assert_eq!(
            sorted(vec!["má", "mạ", "mà", "mã", "ma", "mả"], compare),
            ["ma", "mà", "mả", "mã", "má", "mạ"]
        );
        // A letter difference later in the word outweighs an earlier tone difference.
        assert_eq!(sorted(vec!["án", "am"], compare), ["am", "án"]);
    }

    #[test]
    fn class_lists_sort_by_given_name_first() {
        assert_eq!(
            sorted(
                vec![
                    "Trần Thị Ánh",
                    "Nguyễn Văn Bình",
                    "Lê Minh An",
                    "Nguyễn Thị An"
                ],
                compare_names
            ),
            [
                "Lê Minh An",
                "Nguyễn Thị An",
                "Trần Thị Ánh",
                "Nguyễn Văn Bình"
            ]
        );
    }
}
