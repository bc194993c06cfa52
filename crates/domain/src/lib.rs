#![doc = include_str!("../README.md")]

pub mod date;
pub mod ids;
pub mod level;
pub mod score;

pub use date::Date;
pub use ids::{PersonalId, PersonalIdError, Sex, StudentCode, StudentCodeError};
pub use level::{Grade, Level, SchoolYear};
pub use score::{Score, ScoreError, Tenths};
