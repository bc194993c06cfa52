//! Value types of the record that are not domain types: free text, codes, the record id
//! and the SHA-256 digest of a superseded record.

use std::fmt;
use std::str::FromStr;

use unicode_normalization::UnicodeNormalization;

/// Why a text value cannot be stored in a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// The value is empty (or only whitespace).
    #[error("the value is empty")]
    Empty,
    /// The value is longer than the limit, counted in characters after NFC.
    #[error("the value has {actual} characters, more than {max}")]
    TooLong {
        /// The limit.
        max: usize,
        /// The length found.
        actual: usize,
    },
    /// The value holds a control character (other than a line feed) or a non-character.
    #[error("the value holds the forbidden character U+{0:04X}")]
    ForbiddenChar(u32),
    /// The value is not in Unicode Normalization Form C (only when parsing).
    #[error("the value is not in Unicode NFC")]
    NotNfc,
    /// The value does not have the required shape.
    #[error("{0}")]
    Shape(&'static str),
}

/// Free text of a record (name, place, comment…): NFC, 1–[`Text::MAX_CHARS`] characters,
/// no control characters except line feed, not only whitespace.
///
/// Built with [`Text::new`], which normalises to NFC; the parser uses
/// [`Text::parse_strict`], which rejects text that is not already NFC.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(String);

impl Text {
    /// The longest text accepted, in characters.
    pub const MAX_CHARS: usize = 4000;

    /// Normalises `value` to NFC and checks it.
    pub fn new(value: &str) -> Result<Self, TextError> {
        let nfc: String = value.nfc().collect();
        check_text(&nfc)?;
        Ok(Text(nfc))
    }

    /// Checks `value` without normalising it: text that is not NFC is rejected.
    pub fn parse_strict(value: &str) -> Result<Self, TextError> {
        if !unicode_normalization::is_nfc(value) {
            return Err(TextError::NotNfc);
        }
        check_text(value)?;
        Ok(Text(value.to_string()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_text(value: &str) -> Result<(), TextError> {
    if value.trim().is_empty() {
        return Err(TextError::Empty);
    }
    let actual = value.chars().count();
    if actual > Text::MAX_CHARS {
        return Err(TextError::TooLong {
            max: Text::MAX_CHARS,
            actual,
        });
    }
    // XML 1.0 cannot carry most C0 controls; `\r` and `\t` would not survive the
    // parser's end-of-line and (in some tools) whitespace normalisation.
    if let Some(c) = value
        .chars()
        .find(|&c| (c.is_control() && c != '\n') || c == '\u{FFFE}' || c == '\u{FFFF}')
    {
        return Err(TextError::ForbiddenChar(u32::from(c)));
    }
    Ok(())
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<&str> for Text {
    type Error = TextError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Text::new(value)
    }
}

/// An administrative code: mã Sở GDĐT (`MaSoGD`), mã trường (`MaTruong`), mã môn học
/// (`MaMonHoc`). 1–40 characters from `A-Z`, `a-z`, `0-9`, `_`, `-`, `.`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(String);

impl Code {
    /// The longest code accepted.
    pub const MAX_LEN: usize = 40;

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Code {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(TextError::Empty);
        }
        if s.len() > Code::MAX_LEN {
            return Err(TextError::TooLong {
                max: Code::MAX_LEN,
                actual: s.len(),
            });
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            return Err(TextError::Shape(
                "a code holds only A-Z, a-z, 0-9, _, - and .",
            ));
        }
        Ok(Code(s.to_string()))
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Mã định danh học bạ: the id of one version of one year record, a UUID written in the
/// canonical lowercase form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
///
/// The crate never reads a clock or a random source: the caller supplies the 16 bytes
/// (from its own generator, or a hash of its own key) through [`RecordId::from_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId([u8; 16]);

impl RecordId {
    /// Turns 16 caller-provided bytes into a UUID version 8 (RFC 9562 "custom"): the
    /// version and variant bits are overwritten, the other 122 bits are kept.
    pub fn from_bytes(mut bytes: [u8; 16]) -> Self {
        bytes[6] = (bytes[6] & 0x0f) | 0x80;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        RecordId(bytes)
    }

    /// The 16 bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl FromStr for RecordId {
    type Err = TextError;

    /// Accepts only the canonical lowercase 8-4-4-4-12 form (any UUID version).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const SHAPE: TextError = TextError::Shape(
            "a record id is a lowercase UUID xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        );
        let b = s.as_bytes();
        if b.len() != 36 {
            return Err(SHAPE);
        }
        let mut out = [0u8; 16];
        let mut n = 0;
        let mut i = 0;
        while i < 36 {
            if matches!(i, 8 | 13 | 18 | 23) {
                if b[i] != b'-' {
                    return Err(SHAPE);
                }
                i += 1;
                continue;
            }
            let (Some(hi), Some(lo)) = (hex_lower(b[i]), hex_lower(b[i + 1])) else {
                return Err(SHAPE);
            };
            out[n] = (hi << 4) | lo;
            n += 1;
            i += 2;
        }
        Ok(RecordId(out))
    }
}

/// A SHA-256 digest (mã băm), written as 64 lowercase hexadecimal digits. The record crate
/// does not compute it: the caller hashes the superseded record's signed bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256Digest([u8; 32]);

impl Sha256Digest {
    /// Wraps a digest computed by the caller.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Sha256Digest(bytes)
    }

    /// The 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl FromStr for Sha256Digest {
    type Err = TextError;

    /// Accepts exactly 64 lowercase hexadecimal digits.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const SHAPE: TextError = TextError::Shape("a SHA-256 digest is 64 lowercase hex digits");
        let b = s.as_bytes();
        if b.len() != 64 {
            return Err(SHAPE);
        }
        let mut out = [0u8; 32];
        for (i, pair) in b.chunks_exact(2).enumerate() {
            let (Some(hi), Some(lo)) = (hex_lower(pair[0]), hex_lower(pair[1])) else {
                return Err(SHAPE);
            };
            out[i] = (hi << 4) | lo;
        }
        Ok(Sha256Digest(out))
    }
}

fn hex_lower(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_normalised_to_nfc_on_build_and_rejected_when_parsed_decomposed() {
        let decomposed = "Nguye\u{302}\u{303}n"; // "Nguyễn" with combining marks
        let built = Text::new(decomposed).unwrap();
        assert_eq!(built.as_str(), "Nguyễn");
        assert_eq!(Text::parse_strict(decomposed), Err(TextError::NotNfc));
        assert_eq!(Text::parse_strict("Nguyễn").unwrap(), built);
    }

    #[test]
    fn text_rejects_empty_controls_and_overlong() {
        assert_eq!(Text::new("  "), Err(TextError::Empty));
        assert_eq!(Text::new("a\rb"), Err(TextError::ForbiddenChar(0x0d)));
        assert_eq!(Text::new("a\u{0}b"), Err(TextError::ForbiddenChar(0)));
        assert!(Text::new("dòng 1\ndòng 2").is_ok());
        assert!(matches!(
            Text::new(&"a".repeat(Text::MAX_CHARS + 1)),
            Err(TextError::TooLong { .. })
        ));
    }

    #[test]
    fn record_id_is_uuid_v8_from_caller_bytes() {
        let id = RecordId::from_bytes([0xff; 16]);
        assert_eq!(id.to_string(), "ffffffff-ffff-8fff-bfff-ffffffffffff");
        assert_eq!(id.to_string().parse::<RecordId>(), Ok(id));
        assert!(
            "FFFFFFFF-ffff-8fff-bfff-ffffffffffff"
                .parse::<RecordId>()
                .is_err()
        );
        assert!(
            "ffffffffffff-8fff-bfff-ffffffffffff0"
                .parse::<RecordId>()
                .is_err()
        );
    }

    #[test]
    fn digest_is_64_lowercase_hex() {
        let d = Sha256Digest::from_bytes([0xab; 32]);
        assert_eq!(d.to_string(), "ab".repeat(32));
        assert_eq!(d.to_string().parse::<Sha256Digest>(), Ok(d));
        assert!("AB".repeat(32).parse::<Sha256Digest>().is_err());
        assert!("ab".repeat(31).parse::<Sha256Digest>().is_err());
    }

    #[test]
    fn codes_are_short_ascii() {
        assert!("79".parse::<Code>().is_ok());
        assert!("NGOAI_NGU_1".parse::<Code>().is_ok());
        assert!("".parse::<Code>().is_err());
        assert!("Toán".parse::<Code>().is_err());
        assert!("a b".parse::<Code>().is_err());
    }
}
