//! Rule versions: which circular (and which reading of it) computed a result.
//!
//! Every computed value a record stores carries the [`RuleVersion`] that produced it, so a
//! verifier can recompute it with the same rules years later, even after a circular is
//! amended and a new version is added next to the old one.

use std::fmt;
use std::str::FromStr;

use crate::Level;

/// The identifier of one version of the assessment rules. A new variant is added (never
/// an old one changed) whenever a circular is amended or our reading of it is corrected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum RuleVersion {
    /// Thông tư 22/2021/TT-BGDĐT (THCS, THPT), first implementation.
    Tt22V1,
    /// Thông tư 27/2020/TT-BGDĐT (primary), first implementation.
    Tt27V1,
    /// Thông tư 43/2021/TT-BGDĐT (GDTX, THCS/THPT programme), first implementation.
    Tt43V1,
}

impl RuleVersion {
    /// Every rule version, oldest first.
    pub const ALL: [RuleVersion; 3] = [
        RuleVersion::Tt22V1,
        RuleVersion::Tt27V1,
        RuleVersion::Tt43V1,
    ];

    /// The stable identifier stored in records: `TT22-2021/v1`, `TT27-2020/v1`,
    /// `TT43-2021/v1`.
    pub const fn id(self) -> &'static str {
        match self {
            RuleVersion::Tt22V1 => "TT22-2021/v1",
            RuleVersion::Tt27V1 => "TT27-2020/v1",
            RuleVersion::Tt43V1 => "TT43-2021/v1",
        }
    }

    /// The circular's number as printed on the record: `22/2021/TT-BGDĐT`.
    pub const fn circular(self) -> &'static str {
        match self {
            RuleVersion::Tt22V1 => "22/2021/TT-BGDĐT",
            RuleVersion::Tt27V1 => "27/2020/TT-BGDĐT",
            RuleVersion::Tt43V1 => "43/2021/TT-BGDĐT",
        }
    }

    /// The current rule version for a level.
    pub const fn current_for(level: Level) -> RuleVersion {
        match level {
            Level::Primary => RuleVersion::Tt27V1,
            Level::LowerSecondary | Level::UpperSecondary => RuleVersion::Tt22V1,
            Level::Continuing => RuleVersion::Tt43V1,
        }
    }

    /// Whether results under this version are computed by the score-and-comment engine
    /// ([`crate::tt22`]) rather than the primary engine ([`crate::tt27`]).
    pub const fn is_secondary(self) -> bool {
        matches!(self, RuleVersion::Tt22V1 | RuleVersion::Tt43V1)
    }
}

impl fmt::Display for RuleVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A text that names no rule version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule version {0:?}: expected TT22-2021/v1, TT27-2020/v1 or TT43-2021/v1")]
pub struct UnknownRuleVersion(pub String);

impl FromStr for RuleVersion {
    type Err = UnknownRuleVersion;

    /// Parses the identifier written by [`RuleVersion::id`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RuleVersion::ALL
            .into_iter()
            .find(|r| r.id() == s)
            .ok_or_else(|| UnknownRuleVersion(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_version_ids_round_trip_and_are_distinct() {
        for r in RuleVersion::ALL {
            assert_eq!(r.id().parse::<RuleVersion>(), Ok(r));
        }
        assert!("TT22".parse::<RuleVersion>().is_err());
    }

    #[test]
    fn each_level_has_its_circular() {
        assert_eq!(
            RuleVersion::current_for(Level::Primary),
            RuleVersion::Tt27V1
        );
        assert_eq!(
            RuleVersion::current_for(Level::LowerSecondary),
            RuleVersion::Tt22V1
        );
        assert_eq!(
            RuleVersion::current_for(Level::UpperSecondary),
            RuleVersion::Tt22V1
        );
        assert_eq!(
            RuleVersion::current_for(Level::Continuing),
            RuleVersion::Tt43V1
        );
    }
}
