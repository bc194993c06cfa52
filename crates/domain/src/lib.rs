#![doc = include_str!("../README.md")]

pub mod catalogue;
pub mod date;
pub mod ids;
pub mod level;
pub mod rule;
pub mod score;
pub mod tt22;
pub mod tt27;
pub mod tt43;
pub mod vi_order;

pub use catalogue::{AssessmentForm, Offering, Subject};
pub use date::Date;
pub use ids::{PersonalId, PersonalIdError, Sex, StudentCode, StudentCodeError};
pub use level::{Grade, Level, SchoolYear};
pub use rule::RuleVersion;
pub use score::{Score, ScoreError, Tenths};
