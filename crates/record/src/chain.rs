//! Quy trình ký: who signs a year record, in which order (DESIGN.md §4, DOMAIN.md
//! "Record lifecycle rules": individual signatures first, then the institution's seal).

use domain::Level;

/// A signer role in the chain, written in the signature's signed properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignerRole {
    /// Giáo viên chủ nhiệm (`GVCN`): consolidates the class and signs first.
    Homeroom,
    /// Hiệu trưởng (`HT`): the principal of a primary or secondary school.
    Principal,
    /// Giám đốc trung tâm (`GD`): the director of a GDTX centre.
    Director,
    /// Dấu đơn vị (`DAU`): the school's (or centre's) seal certificate, always last.
    Seal,
}

impl SignerRole {
    /// Every role.
    pub const ALL: [SignerRole; 4] = [
        SignerRole::Homeroom,
        SignerRole::Principal,
        SignerRole::Director,
        SignerRole::Seal,
    ];

    /// The code written in the signed properties: `GVCN`, `HT`, `GD`, `DAU`.
    pub const fn code(self) -> &'static str {
        match self {
            SignerRole::Homeroom => "GVCN",
            SignerRole::Principal => "HT",
            SignerRole::Director => "GD",
            SignerRole::Seal => "DAU",
        }
    }

    /// The Vietnamese name.
    pub const fn name_vi(self) -> &'static str {
        match self {
            SignerRole::Homeroom => "Giáo viên chủ nhiệm",
            SignerRole::Principal => "Hiệu trưởng",
            SignerRole::Director => "Giám đốc trung tâm",
            SignerRole::Seal => "Dấu đơn vị",
        }
    }

    /// The role with this code, if any.
    pub fn from_code(code: &str) -> Option<SignerRole> {
        SignerRole::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// The default signing chain of a level: homeroom teacher → principal (centre director
/// for GDTX) → seal.
pub fn default_chain(level: Level) -> [SignerRole; 3] {
    let head = match level {
        Level::Continuing => SignerRole::Director,
        _ => SignerRole::Principal,
    };
    [SignerRole::Homeroom, head, SignerRole::Seal]
}

/// The codes of [`default_chain`], as `xmldsig::verify_chain` takes them.
pub fn default_chain_codes(level: Level) -> [&'static str; 3] {
    default_chain(level).map(SignerRole::code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gdtx_centres_are_signed_by_their_director() {
        assert_eq!(
            default_chain_codes(Level::Continuing),
            ["GVCN", "GD", "DAU"]
        );
        for level in [Level::Primary, Level::LowerSecondary, Level::UpperSecondary] {
            assert_eq!(default_chain_codes(level), ["GVCN", "HT", "DAU"]);
        }
    }

    #[test]
    fn role_codes_round_trip() {
        for r in SignerRole::ALL {
            assert_eq!(SignerRole::from_code(r.code()), Some(r));
        }
        assert_eq!(SignerRole::from_code("gvcn"), None);
    }
}
