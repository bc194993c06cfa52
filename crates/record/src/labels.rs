//! Record-level enumerations with their exact Vietnamese labels (NFC), for values the
//! `domain` crate does not define: only the promotion outcome (`LenLop`). Every other
//! label is the domain's own (`domain::tt22::{Rating, Comment, Title}`,
//! `domain::tt27::{SubjectLevel, Mastery, Overall, Title}`).

use std::fmt;
use std::str::FromStr;

/// A text that is not one of an enumeration's labels.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {found:?}: expected one of {expected}")]
pub struct UnknownLabel {
    /// The text found.
    pub found: String,
    /// The accepted labels.
    pub expected: &'static str,
}

macro_rules! labelled {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $label:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $( $(#[$vmeta])* $variant ),+ }

        impl $name {
            /// Every value, in document order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The label written in the record.
            pub const fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }

        impl FromStr for $name {
            type Err = UnknownLabel;

            /// Parses the exact label.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| v.label() == s).ok_or_else(|| UnknownLabel {
                    found: s.to_string(),
                    expected: concat!($("\"", $label, "\" "),+),
                })
            }
        }
    };
}

labelled! {
    /// Kết quả lên lớp: the outcome of the year for the student (TT22 art. 12–14, TT27
    /// art. 11). The two "pending" values are used for records issued before the summer
    /// results exist.
    pub enum Promotion {
        /// Lên lớp (hoàn thành chương trình lớp học).
        Promoted => "Lên lớp",
        /// Ở lại lớp.
        Retained => "Ở lại lớp",
        /// Phải rèn luyện trong kì nghỉ hè (conduct Chưa đạt, retraining not yet done).
        SummerTraining => "Rèn luyện trong hè",
        /// Phải kiểm tra, đánh giá lại (learning Chưa đạt, re-assessment not yet done).
        Reassessment => "Kiểm tra lại",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_are_nfc() {
        fn check<T: Copy + PartialEq + fmt::Debug + FromStr>(
            all: &[T],
            label: fn(T) -> &'static str,
        ) {
            for &v in all {
                assert!(unicode_normalization::is_nfc(label(v)));
                assert_eq!(label(v).parse::<T>().ok(), Some(v));
            }
        }
        check(Promotion::ALL, Promotion::label);
        assert!("Lên Lớp".parse::<Promotion>().is_err());
    }
}
